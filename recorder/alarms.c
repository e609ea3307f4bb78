/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* alarms.c: see alarms.h. */
#include "recorder/alarms.h"

#include "config/text.h"
#include "recorder/recorder-private.h"

void
cr_alarm_free (CrAlarm *alarm)
{
  g_free (alarm->what);
  g_free (alarm->input);
  g_free (alarm->label);
  g_free (alarm->message);
  g_free (alarm);
}

/* The event of @alarm: {"alarm","input","label","message","since"}. */
static void
log_alarm (CrRecorder *recorder, const CrAlarm *alarm)
{
  g_autofree char *since = cr_format_utc (alarm->since_us);
  g_autofree char *detail = cr_recorder_json_detail ("alarm", alarm->what,
                                                     "input", alarm->input,
                                                     "label", alarm->label,
                                                     "message", alarm->message,
                                                     "since", since, NULL);

  cr_recorder_log_event (recorder, CR_EVENT_ALARM, detail);
}

void
cr_alarms_raise (CrRecorder *recorder, const char *what, const char *input,
                 const char *label, const char *message)
{
  CrAlarm *alarm = g_new0 (CrAlarm, 1);

  g_warning ("ALARM %s: %s (%s): %s", what, cr_text_shown (input), cr_text_shown (label),
             cr_text_shown (message));
  alarm->what = g_strdup (what);
  alarm->input = g_strdup (input);
  alarm->label = g_strdup (label);
  alarm->message = g_strdup (message);
  alarm->since_us = g_get_real_time ();
  g_ptr_array_add (recorder->alarms, alarm);
  log_alarm (recorder, alarm);
}

void
cr_alarms_log_standing (CrRecorder *recorder)
{
  for (guint i = 0; i < recorder->alarms->len; i++)
    log_alarm (recorder, g_ptr_array_index (recorder->alarms, i));
}

CrAlarm *
cr_alarms_find (CrRecorder *recorder, const char *what, const char *input)
{
  for (guint i = 0; i < recorder->alarms->len; i++)
    {
      CrAlarm *alarm = g_ptr_array_index (recorder->alarms, i);
      if (g_strcmp0 (alarm->what, what) == 0 && g_strcmp0 (alarm->input, input) == 0)
        return alarm;
    }
  return NULL;
}

void
cr_alarms_clear (CrRecorder *recorder, const char *what, const char *input)
{
  for (guint i = recorder->alarms->len; i > 0; i--)
    {
      CrAlarm *alarm = g_ptr_array_index (recorder->alarms, i - 1);
      if (g_strcmp0 (alarm->what, what) == 0 && g_strcmp0 (alarm->input, input) == 0)
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
      cr_alarms_raise (recorder, "input-lost", name, label, reason);
    }
  else if (state == CR_INPUT_LIVE && cr_input_get_losses (input) > 0)
    {
      g_autofree char *detail = cr_recorder_json_detail ("input", name, "kind", role,
                                                         "label", label, NULL);
      cr_recorder_log_event (recorder, CR_EVENT_INPUT_BACK, detail);
      cr_alarms_clear (recorder, "input-lost", name);
    }
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
            {
              g_autofree char *detail = cr_recorder_json_detail ("input", microphone->name,
                                                                 "label", microphone->label, NULL);
              cr_recorder_log_event (recorder, CR_EVENT_MICROPHONE_SOUND, detail);
              cr_alarms_clear (recorder, "microphone-silent", microphone->name);
            }
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
          cr_alarms_raise (recorder, "microphone-silent", microphone->name, microphone->label,
                           message);
        }
    }
  return G_SOURCE_CONTINUE;
}
