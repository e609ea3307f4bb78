/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* alarms.c: see alarms.h. */
#include "recorder/alarms.h"

#include "config/text.h"
#include "recorder/recorder-private.h"
#include "recorder/webhook.h"

void
cr_alarm_free (CrAlarm *alarm)
{
  g_free (alarm->input);
  g_free (alarm->label);
  g_free (alarm->message);
  g_free (alarm);
}

/* The event of @alarm at @at_us: {"alarm","input","label","message","since"};
 * "since" is when it was raised, which is before @at_us for one that was
 * standing when the session began. */
static void
log_alarm (CrRecorder *recorder, const CrAlarm *alarm, gint64 at_us)
{
  g_autofree char *since = cr_format_utc (alarm->since_us);
  g_autofree char *detail = cr_recorder_json_detail ("alarm", cr_event_kind_to_string (alarm->what),
                                                     "input", alarm->input,
                                                     "label", alarm->label,
                                                     "message", alarm->message,
                                                     "since", since, NULL);

  cr_recorder_log_event_at (recorder, at_us, CR_EVENT_ALARM, detail);
}

static void
add_member (JsonBuilder *builder, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/* Tells every [alarm webhook NAME] that @alarm was raised, or cleared at
 * @until_us: {"id","room","room_name","court","state","kind","input",
 * "label","message","since"[,"until"][,"session","case"]}. The id is new
 * for each notification, the same in each attempt at it: a receiver that
 * sees it twice has seen one notification. */
static void
push_alarm (CrRecorder *recorder, const CrAlarm *alarm, gint64 until_us)
{
  const CrConfig *config = recorder->config;
  const char *kind = cr_event_kind_to_string (alarm->what);
  const char *state = until_us != 0 ? "cleared" : "raised";
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *id = NULL;
  g_autofree char *since = NULL;
  g_autofree char *until = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;

  if (recorder->webhooks == NULL || recorder->webhooks->len == 0)
    return;
  id = g_uuid_string_random ();
  since = cr_format_utc (alarm->since_us);
  until = until_us != 0 ? cr_format_utc (until_us) : NULL;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_member (builder, "id", id);
  add_member (builder, "room", config->room_id);
  add_member (builder, "room_name", config->room_name);
  add_member (builder, "court", config->court);
  add_member (builder, "state", state);
  add_member (builder, "kind", kind);
  add_member (builder, "input", alarm->input);
  add_member (builder, "label", alarm->label);
  add_member (builder, "message", alarm->message);
  add_member (builder, "since", since);
  add_member (builder, "until", until);
  if (recorder->session != NULL)
    {
      json_builder_set_member_name (builder, "session");
      json_builder_add_int_value (builder, recorder->session->id);
      add_member (builder, "case", recorder->session->case_no);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);
  summary = g_strdup_printf ("%s %s %s", kind, state, cr_text_shown (alarm->input));
  for (guint i = 0; i < recorder->webhooks->len; i++)
    cr_webhook_push (g_ptr_array_index (recorder->webhooks, i), id, summary, body);
}

void
cr_alarms_raise (CrRecorder *recorder, CrEventKind what, const char *input,
                 const char *label, const char *message)
{
  CrAlarm *alarm = g_new0 (CrAlarm, 1);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_ALARM", cr_event_kind_to_string (what),
                    "CR_INPUT", input, "MESSAGE", "ALARM %s: %s (%s): %s",
                    cr_event_kind_to_string (what), cr_text_shown (input), cr_text_shown (label),
                    cr_text_shown (message));
  alarm->what = what;
  alarm->input = g_strdup (input);
  alarm->label = g_strdup (label);
  alarm->message = g_strdup (message);
  alarm->since_us = g_get_real_time ();
  g_ptr_array_add (recorder->alarms, alarm);
  log_alarm (recorder, alarm, alarm->since_us);
  push_alarm (recorder, alarm, 0);
}

/* An input lost before the session began is lost in it from its first
 * instant: the same input-lost event a loss during the session gets, at
 * the session's start, with "since" when it was lost. */
static void
log_inputs_down (CrRecorder *recorder, gint64 at_us)
{
  for (guint i = 0; i < cr_capture_get_n_inputs (recorder->capture); i++)
    {
      CrInput *input = cr_capture_get_input (recorder->capture, i);
      const char *name = cr_input_get_name (input);
      CrAlarm *alarm = cr_alarms_find (recorder, CR_EVENT_INPUT_LOST, name);
      g_autofree char *since = NULL;
      g_autofree char *detail = NULL;

      if (cr_input_get_state (input) != CR_INPUT_LOST || alarm == NULL)
        continue;
      since = cr_format_utc (alarm->since_us);
      detail = cr_recorder_json_detail (
          "input", name, "kind", cr_input_get_role (input) == CR_INPUT_CAMERA ? "camera"
                                                                                : "microphone",
          "label", cr_input_get_label (input), "reason", alarm->message, "since", since,
          NULL);
      cr_recorder_log_event_at (recorder, at_us, CR_EVENT_INPUT_LOST, detail);
    }
}

void
cr_alarms_log_standing (CrRecorder *recorder, gint64 at_us)
{
  log_inputs_down (recorder, at_us);
  for (guint i = 0; i < recorder->alarms->len; i++)
    log_alarm (recorder, g_ptr_array_index (recorder->alarms, i), at_us);
}

CrAlarm *
cr_alarms_find (CrRecorder *recorder, CrEventKind what, const char *input)
{
  for (guint i = 0; i < recorder->alarms->len; i++)
    {
      CrAlarm *alarm = g_ptr_array_index (recorder->alarms, i);
      if (alarm->what == what && g_strcmp0 (alarm->input, input) == 0)
        return alarm;
    }
  return NULL;
}

/* @detail's members as strings, from the pairs in @pairs ended by NULL. */
static void
add_pairs (JsonBuilder *detail, const char *first_key, va_list pairs)
{
  for (const char *key = first_key; key != NULL; key = va_arg (pairs, const char *))
    {
      const char *value = va_arg (pairs, const char *);
      json_builder_set_member_name (detail, key);
      json_builder_add_string_value (detail, value);
    }
}

void
cr_alarms_clear (CrRecorder *recorder, CrEventKind what, const char *input, CrEventKind kind,
                 const char *first_key, ...)
{
  for (guint i = recorder->alarms->len; i > 0; i--)
    {
      CrAlarm *alarm = g_ptr_array_index (recorder->alarms, i - 1);
      g_autoptr (JsonBuilder) builder = NULL;
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *since = NULL;
      g_autofree char *until = NULL;
      g_autofree char *detail = NULL;
      gint64 now = g_get_real_time ();
      va_list pairs;

      if (alarm->what != what || g_strcmp0 (alarm->input, input) != 0)
        continue;
      /* One event ends it, with both ends of its span, whenever it began. */
      since = cr_format_utc (alarm->since_us);
      until = cr_format_utc (now);
      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "alarm");
      json_builder_add_string_value (builder, cr_event_kind_to_string (alarm->what));
      json_builder_set_member_name (builder, "input");
      json_builder_add_string_value (builder, alarm->input);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, alarm->label);
      json_builder_set_member_name (builder, "since");
      json_builder_add_string_value (builder, since);
      json_builder_set_member_name (builder, "until");
      json_builder_add_string_value (builder, until);
      va_start (pairs, first_key);
      add_pairs (builder, first_key, pairs);
      va_end (pairs);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      detail = json_to_string (root, FALSE);
      cr_recorder_log_event_at (recorder, now, kind, detail);
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_ALARM", cr_event_kind_to_string (what),
                        "CR_INPUT", alarm->input, "MESSAGE", "Alarm %s: %s cleared (%s)",
                        cr_event_kind_to_string (what), cr_text_shown (alarm->input),
                        cr_event_kind_to_string (kind));
      push_alarm (recorder, alarm, now);
      g_ptr_array_remove_index (recorder->alarms, i - 1);
    }
}

void
cr_alarms_on_input (CrInput *input, CrInputState state, const char *reason, gpointer user_data)
{
  CrRecorder *recorder = user_data;
  const char *name = cr_input_get_name (input);
  const char *label = cr_input_get_label (input);
  const char *role = cr_input_get_role (input) == CR_INPUT_CAMERA ? "camera" : "microphone";

  if (state == CR_INPUT_LOST)
    {
      g_autofree char *detail = cr_recorder_json_detail ("input", name, "kind", role,
                                                         "label", label, "reason", reason,
                                                         NULL);
      cr_recorder_log_event (recorder, CR_EVENT_INPUT_LOST, detail);
      cr_alarms_raise (recorder, CR_EVENT_INPUT_LOST, name, label, reason);
    }
  else if (state == CR_INPUT_ENDED)
    {
      /* An evidence clip played to its end, as configured (loop = false):
       * not a fault, but the record says when its picture stopped. */
      g_autofree char *detail = cr_recorder_json_detail ("input", name, "kind", role,
                                                         "label", label, NULL);
      cr_recorder_log_event (recorder, CR_EVENT_INPUT_ENDED, detail);
    }
  else if (state == CR_INPUT_LIVE && cr_input_get_losses (input) > 0)
    {
      cr_alarms_clear (recorder, CR_EVENT_INPUT_LOST, name, CR_EVENT_INPUT_BACK, "kind", role, NULL);
    }
}

void
cr_alarms_restart_silence (CrRecorder *recorder)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < recorder->config->microphones->len; i++)
    recorder->silent_since_us[i] = now;
}

/* Once a second: a microphone quieter than silence_dbfs for
 * silence_alarm_seconds while recording raises an alarm ("low audio" in a
 * transcript is a dead microphone nobody noticed). */
gboolean
cr_alarms_check_silence (gpointer user_data)
{
  CrRecorder *recorder = user_data;
  const CrConfig *config = recorder->config;
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < config->microphones->len; i++)
    {
      const CrInputConfig *microphone = g_ptr_array_index (config->microphones, i);
      double rms, peak;

      cr_capture_get_level (recorder->capture, i, &rms, &peak);
      if (recorder->state != RECORDING || peak >= config->silence_dbfs)
        {
          if (recorder->silent_alarmed[i])
            cr_alarms_clear (recorder, CR_EVENT_MICROPHONE_SILENT, microphone->name,
                             CR_EVENT_MICROPHONE_SOUND, NULL);
          recorder->silent_since_us[i] = now;
          recorder->silent_alarmed[i] = FALSE;
          continue;
        }
      if (!recorder->silent_alarmed[i] &&
          now - recorder->silent_since_us[i] >= config->silence_alarm_seconds * G_USEC_PER_SEC)
        {
          g_autofree char *message = g_strdup_printf (
              "below %d dBFS for %u s while recording", config->silence_dbfs,
              config->silence_alarm_seconds);
          recorder->silent_alarmed[i] = TRUE;
          cr_alarms_raise (recorder, CR_EVENT_MICROPHONE_SILENT, microphone->name, microphone->label,
                           message);
        }
    }
  return G_SOURCE_CONTINUE;
}
