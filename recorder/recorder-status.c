/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-status.c: the recorder's state as JSON for status and the API,
 * and the watchdog's view of it (recorder.h). */
#include <math.h>

#include "config/text.h"
#include "recorder/alarms.h"
#include "recorder/schedule-status.h"
#include "recorder/recorder-private.h"
#include "recorder/webhook.h"

/* Capture delivers a frame every 40 ms at 25 fps; this much silence from it
 * means it is stuck. */
#define HEALTHY_WITHIN_US (5 * G_USEC_PER_SEC)

/* Quieter than this, a level is no sound at all: 16-bit audio reaches
 * about -96 dBFS. */
#define LEVEL_FLOOR_DBFS -100.0

/* A level in dBFS, or null below the floor. */
static void
add_level (JsonBuilder *b, double dbfs)
{
  if (isfinite (dbfs) && dbfs >= LEVEL_FLOOR_DBFS)
    json_builder_add_double_value (b, dbfs);
  else
    json_builder_add_null_value (b);
}

/* A peak at or above this is shown as clipping: -1 dBFS, the ceiling
 * broadcast loudness rules (EBU R 128) leave for the peaks, is the point
 * past which a louder voice is flattened somewhere downstream. */
#define CLIPPING_DBFS -1.0

/* [{"name","label","rms_dbfs","peak_dbfs","clipping","silent"}], one per
 * microphone, as the level element measured them last. */
static void
add_microphones (JsonBuilder *b, CrRecorder *recorder)
{
  const CrConfig *config = recorder->config;

  json_builder_begin_array (b);
  for (guint i = 0; i < config->microphones->len; i++)
    {
      const CrInputConfig *microphone = g_ptr_array_index (config->microphones, i);
      double rms, peak;

      cr_capture_get_level (recorder->capture, i, &rms, &peak);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, microphone->name);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, microphone->label);
      /* No number for no sound: below the meter's floor (the level
       * element says -700 dB for digital silence, -inf for none) the
       * microphone is silent, not at some figure. */
      json_builder_set_member_name (b, "rms_dbfs");
      add_level (b, rms);
      json_builder_set_member_name (b, "peak_dbfs");
      add_level (b, peak);
      json_builder_set_member_name (b, "clipping");
      json_builder_add_boolean_value (b, peak >= CLIPPING_DBFS);
      json_builder_set_member_name (b, "silent");
      json_builder_add_boolean_value (b, !(peak >= config->silence_dbfs));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

JsonNode *
cr_recorder_get_levels (CrRecorder *recorder)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (recorder != NULL, NULL);
  add_microphones (b, recorder);
  return json_builder_get_root (b);
}

GBytes *
cr_recorder_get_preview (CrRecorder *recorder, const char *name, gboolean *known)
{
  g_return_val_if_fail (recorder != NULL && name != NULL, NULL);
  return cr_capture_get_preview (recorder->capture, name, NULL, known);
}

static const char *
state_name (RecorderState state)
{
  static const char *const names[] = { "standby", "recording", "paused" };
  return names[state];
}

JsonNode *
cr_recorder_get_status (CrRecorder *recorder)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const CrConfig *config = recorder->config;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "room");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, config->room_id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, config->room_name);
  json_builder_set_member_name (b, "court");
  json_builder_add_string_value (b, config->court);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state_name (recorder->state));

  json_builder_set_member_name (b, "session");
  if (recorder->session == NULL)
    json_builder_add_null_value (b);
  else
    {
      g_autofree char *started = cr_format_utc (recorder->session->started_us);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, recorder->session->id);
      json_builder_set_member_name (b, "case");
      json_builder_add_string_value (b, recorder->session->case_no);
      json_builder_set_member_name (b, "title");
      if (recorder->session->title != NULL)
        json_builder_add_string_value (b, recorder->session->title);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "started");
      json_builder_add_string_value (b, started);
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, state_name (recorder->state));
      json_builder_set_member_name (b, "pause_reason");
      if (recorder->pause_reason != NULL)
        json_builder_add_string_value (b, recorder->pause_reason);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }

  json_builder_set_member_name (b, "segment");
  if (recorder->segment == NULL)
    json_builder_add_null_value (b);
  else
    {
      g_autofree char *started = cr_format_utc (recorder->segment->started_us);
      g_autofree char *path = g_build_filename (config->storage_dir,
                                                recorder->segment->relative_path, NULL);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sequence");
      json_builder_add_int_value (b, recorder->segment->sequence);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, path);
      json_builder_set_member_name (b, "started");
      json_builder_add_string_value (b, started);
      json_builder_end_object (b);
    }

  json_builder_set_member_name (b, "layout");
  json_builder_add_string_value (b, cr_layout_kind_to_string (
      cr_capture_get_layout (recorder->capture)));

  json_builder_set_member_name (b, "inputs");
  json_builder_begin_array (b);
  for (guint i = 0; i < cr_capture_get_n_inputs (recorder->capture); i++)
    {
      CrInput *input = cr_capture_get_input (recorder->capture, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, cr_input_get_name (input));
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, cr_input_get_role (input) == CR_INPUT_CAMERA
                                        ? "camera" : "microphone");
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, cr_input_get_label (input));
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, cr_input_state_to_string (cr_input_get_state (input)));
      json_builder_set_member_name (b, "losses");
      json_builder_add_int_value (b, cr_input_get_losses (input));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "microphones");
  add_microphones (b, recorder);

  json_builder_set_member_name (b, "alarms");
  json_builder_begin_array (b);
  for (guint i = 0; i < recorder->alarms->len; i++)
    {
      CrAlarm *alarm = g_ptr_array_index (recorder->alarms, i);
      g_autofree char *since = cr_format_utc (alarm->since_us);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "alarm");
      json_builder_add_string_value (b, cr_event_kind_to_string (alarm->what));
      json_builder_set_member_name (b, "input");
      json_builder_add_string_value (b, alarm->input);
      json_builder_set_member_name (b, "label");
      if (alarm->label != NULL)
        json_builder_add_string_value (b, alarm->label);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, alarm->message);
      json_builder_set_member_name (b, "since");
      json_builder_add_string_value (b, since);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "storage_dir");
  json_builder_add_string_value (b, config->storage_dir);
  json_builder_set_member_name (b, "disk");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "free_bytes");
  if (recorder->disk_known)
    json_builder_add_int_value (b, (gint64) MIN (recorder->disk_free_bytes, G_MAXINT64));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "seconds_left");
  if (recorder->disk_known)
    json_builder_add_int_value (b, recorder->disk_seconds_left);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "bytes_per_second");
  json_builder_add_int_value (b, (gint64) recorder->bytes_per_second);
  json_builder_set_member_name (b, "full");
  json_builder_add_boolean_value (b, recorder->disk_full_since_us != 0);
  /* Media that waits for the archive: on the disk already (not free), and
   * out of retention's reach until it is verified there. */
  json_builder_set_member_name (b, "archive_backlog_bytes");
  json_builder_add_int_value (b, cr_recorder_uploads_queue_bytes (recorder));
  json_builder_end_object (b);
  cr_recorder_uploads_add_status (recorder, b);
  json_builder_set_member_name (b, "broadcast");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "on_air");
  json_builder_add_boolean_value (b, cr_broadcast_is_on_air (recorder->broadcast));
  json_builder_set_member_name (b, "public_state");
  json_builder_add_string_value (b, cr_broadcast_get_public_state (recorder->broadcast));
  json_builder_set_member_name (b, "decision");
  if (recorder->session == NULL)
    json_builder_add_null_value (b);
  else
    {
      g_autoptr (CrBroadcastRecord) decision = cr_segment_index_get_broadcast_decision (
          recorder->index, recorder->session->case_no, NULL);
      json_builder_add_string_value (b, cr_broadcast_decision_to_string (
          decision ? decision->decision : CR_BROADCAST_UNDECIDED));
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "streams");
  json_builder_add_value (b, cr_broadcast_get_status (recorder->broadcast));
  /* Each [alarm webhook NAME]: what it delivered, retried, refused, dropped. */
  json_builder_set_member_name (b, "webhooks");
  json_builder_begin_array (b);
  for (guint i = 0; i < recorder->webhooks->len; i++)
    {
      CrWebhook *webhook = g_ptr_array_index (recorder->webhooks, i);
      CrWebhookCounts counts;

      cr_webhook_get_counts (webhook, &counts);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, cr_webhook_get_name (webhook));
      json_builder_set_member_name (b, "queued");
      json_builder_add_int_value (b, counts.queued);
      json_builder_set_member_name (b, "delivered");
      json_builder_add_int_value (b, (gint64) counts.delivered);
      json_builder_set_member_name (b, "failed_attempts");
      json_builder_add_int_value (b, (gint64) counts.failures);
      json_builder_set_member_name (b, "refused");
      json_builder_add_int_value (b, (gint64) counts.refused);
      json_builder_set_member_name (b, "dropped");
      json_builder_add_int_value (b, (gint64) counts.dropped);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "alarms_standing");
  json_builder_add_boolean_value (b, recorder->alarms->len > 0);
  /* Healthy has a grace at start-up (no picture yet is not yet a fault);
   * capturing says that pictures do come. */
  json_builder_set_member_name (b, "capturing");
  json_builder_add_boolean_value (b, __atomic_load_n (&recorder->video_seen, __ATOMIC_RELAXED) &&
                                     cr_recorder_is_healthy (recorder));
  /* What a clerk wants to know at a glance: all is well only when capture
   * delivers and nothing is wrong. */
  json_builder_set_member_name (b, "healthy");
  json_builder_add_boolean_value (b, cr_recorder_is_healthy (recorder) &&
                                     recorder->alarms->len == 0);
  json_builder_set_member_name (b, "uptime_seconds");
  json_builder_add_int_value (b, (g_get_monotonic_time () - recorder->started_mono_us) /
                                 G_USEC_PER_SEC);
  cr_schedule_status_add (recorder, b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
cr_recorder_is_healthy (CrRecorder *recorder)
{
  gint64 last = __atomic_load_n (&recorder->last_video_mono_us, __ATOMIC_RELAXED);
  return g_get_monotonic_time () - last < HEALTHY_WITHIN_US;
}

char *
cr_recorder_describe (CrRecorder *recorder)
{
  GString *text = g_string_new (NULL);

  if (recorder->session == NULL)
    g_string_append (text, "standby");
  else
    g_string_append_printf (text, "%s session %" G_GINT64_FORMAT " of %s",
                            state_name (recorder->state), recorder->session->id,
                            recorder->session->case_no);
  /* What `systemctl status` shows first: the standing alarms by name. */
  for (guint i = 0; i < recorder->alarms->len; i++)
    {
      const CrAlarm *alarm = g_ptr_array_index (recorder->alarms, i);

      g_string_append_printf (text, "%s%s %s", i == 0 ? "; ALARM " : ", ",
                              cr_event_kind_to_string (alarm->what),
                              cr_text_shown (alarm->input));
    }
  return g_string_free (text, FALSE);
}
