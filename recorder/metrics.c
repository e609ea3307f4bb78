/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* metrics.c: see metrics.h.
 *
 * The text format is simple enough to write by hand (Debian 12 packages no
 * C client library): a family's "# HELP" and "# TYPE" lines, then its
 * samples, each family whole and once. A family is announced only with
 * its first sample, so that one with nothing to count (no destination)
 * leaves no empty header. Everything is read from the recorder's state at
 * the scrape; nothing is kept between scrapes but the high-water mark that
 * keeps the recorded seconds counting up. */
#include "recorder/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "recorder/alarms.h"
#include "recorder/recorder-private.h"
#include "recorder/scheduler.h"
#include "recorder/uploader.h"
#include "schedule/slots.h"

/* The meter's floor, as in status: quieter is no sound at all. */
#define LEVEL_FLOOR_DBFS -100.0

/* The alarms a recorder raises, shown at 0 while none stands so that a
 * rule or a panel finds its series before the first fault. Any other
 * kind that stands is added after them. */
static const CrEventKind alarm_kinds[] = {
  CR_EVENT_INPUT_LOST, CR_EVENT_MICROPHONE_SILENT, CR_EVENT_DISK_LOW,
  CR_EVENT_DISK_FULL, CR_EVENT_DISK_STALL, CR_EVENT_SEGMENT_OPEN_FAILED,
  CR_EVENT_SEAL_UNAVAILABLE, CR_EVENT_SCHEDULED_NOT_RECORDING, CR_EVENT_HEARING_OVERRUN,
  CR_EVENT_SCHEDULE_STALE, CR_EVENT_COVERAGE_SHORTFALL, CR_EVENT_UPLOAD_OVERDUE,
  CR_EVENT_ARCHIVE_UNAVAILABLE,
  CR_EVENT_ARCHIVE_LOCK_FAILED,
  CR_EVENT_CLOCK_SKEW,
};

struct CrMetrics {
  CrRecorder *recorder;     /* borrowed */
  GPtrArray *listeners;     /* CrHttpServer*, borrowed */
  gint64 recorded_shown_us; /* the most courtrec_recorded_seconds_total said */
};

/* One scrape being written. */
typedef struct {
  GString *out;
  char *room;               /* escaped */
  const char *name;         /* the family announced by family() */
  const char *type;
  const char *help;
  gboolean announced;       /* its HELP and TYPE are out */
} Exposition;

CrMetrics *
cr_metrics_new (CrRecorder *recorder)
{
  CrMetrics *metrics;

  g_return_val_if_fail (recorder != NULL, NULL);
  metrics = g_new0 (CrMetrics, 1);
  metrics->recorder = recorder;
  metrics->listeners = g_ptr_array_new ();
  return metrics;
}

void
cr_metrics_free (CrMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_ptr_array_unref (metrics->listeners);
  g_free (metrics);
}

void
cr_metrics_add_listener (CrMetrics *metrics, CrHttpServer *http)
{
  g_return_if_fail (metrics != NULL && http != NULL);
  g_ptr_array_add (metrics->listeners, http);
}

void
cr_metrics_remove_listener (CrMetrics *metrics, CrHttpServer *http)
{
  g_return_if_fail (metrics != NULL);
  g_ptr_array_remove (metrics->listeners, http);
}

char *
cr_metrics_escape_label (const char *value)
{
  GString *out = g_string_sized_new (strlen (value) + 8);

  for (const char *p = value; *p != '\0'; p++)
    switch (*p)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case '"': g_string_append (out, "\\\""); break;
      case '\n': g_string_append (out, "\\n"); break;
      default: g_string_append_c (out, *p);
      }
  return g_string_free (out, FALSE);
}

/* The next samples are of family @name; announced with the first. */
static void
family (Exposition *e, const char *name, const char *type, const char *help)
{
  e->name = name;
  e->type = type;
  e->help = help;
  e->announced = FALSE;
}

/* One sample of the current family: the room, then the label pairs given
 * (name, value, ..., NULL), and @value already formatted. */
static void
sample_valist (Exposition *e, const char *value, va_list labels)
{
  const char *label;

  if (!e->announced)
    {
      g_string_append_printf (e->out, "# HELP %s %s\n# TYPE %s %s\n", e->name, e->help,
                              e->name, e->type);
      e->announced = TRUE;
    }
  g_string_append_printf (e->out, "%s{room=\"%s\"", e->name, e->room);
  while ((label = va_arg (labels, const char *)) != NULL)
    {
      g_autofree char *escaped = cr_metrics_escape_label (va_arg (labels, const char *));
      g_string_append_printf (e->out, ",%s=\"%s\"", label, escaped);
    }
  g_string_append_printf (e->out, "} %s\n", value);
}

static void
sample_int (Exposition *e, guint64 value, ...) G_GNUC_NULL_TERMINATED;

static void
sample_int (Exposition *e, guint64 value, ...)
{
  char text[24];
  va_list labels;

  g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, value);
  va_start (labels, value);
  sample_valist (e, text, labels);
  va_end (labels);
}

static void
sample_double (Exposition *e, double value, ...) G_GNUC_NULL_TERMINATED;

/* Milliseconds and hundredths of a dB are all any panel shows; the C
 * locale's point, whatever the daemon's. */
static void
sample_double (Exposition *e, double value, ...)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  va_list labels;

  if (isnan (value))
    g_strlcpy (text, "NaN", sizeof text);
  else if (isinf (value))
    g_strlcpy (text, value > 0 ? "+Inf" : "-Inf", sizeof text);
  else
    g_ascii_formatd (text, sizeof text, "%.3f", value);
  va_start (labels, value);
  sample_valist (e, text, labels);
  va_end (labels);
}

/* --- the families -------------------------------------------------------- */

static void
add_recorder (CrMetrics *metrics, Exposition *e)
{
  static const char *const states[] = { "standby", "recording", "paused" };
  CrRecorder *recorder = metrics->recorder;
  gint64 now_mono = g_get_monotonic_time ();
  gint64 recorded_us;

  family (e, "courtrec_build_info", "gauge", "The version of courtrecd, as a label.");
  sample_int (e, 1, "version", COURTREC_VERSION, NULL);

  family (e, "courtrec_start_time_seconds", "gauge",
          "When courtrecd started, in seconds since the Unix epoch.");
  sample_double (e, (g_get_real_time () - (now_mono - recorder->started_mono_us)) / 1e6, NULL);

  family (e, "courtrec_recording", "gauge",
          "1 for the recorder's state (standby, recording, paused), 0 for the others.");
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    sample_int (e, recorder->state == (RecorderState) i, "state", states[i], NULL);

  family (e, "courtrec_capturing", "gauge",
          "1 while capture delivers video (what the watchdog vouches for).");
  sample_int (e, cr_recorder_is_healthy (recorder), NULL);

  /* The closed files' lengths and the open one's age: the open file is
   * counted as it grows, and the mark keeps the total from stepping back
   * when it closes a little shorter than its age. */
  recorded_us = recorder->recorded_closed_us;
  if (recorder->segment != NULL && recorder->segment->opened_mono_us > 0)
    recorded_us += now_mono - recorder->segment->opened_mono_us;
  metrics->recorded_shown_us = MAX (metrics->recorded_shown_us, recorded_us);
  family (e, "courtrec_recorded_seconds_total", "counter",
          "Seconds of hearing written to segment files since courtrecd started.");
  sample_double (e, metrics->recorded_shown_us / 1e6, NULL);

  family (e, "courtrec_segments_closed_total", "counter",
          "Segment files finished, hashed and closed since courtrecd started.");
  sample_int (e, recorder->segments_closed, NULL);
}

static void
add_inputs (CrMetrics *metrics, Exposition *e)
{
  CrCapture *capture = metrics->recorder->capture;
  guint n = cr_capture_get_n_inputs (capture);

  family (e, "courtrec_input_up", "gauge",
          "1 while the camera or microphone delivers, 0 while connecting, lost or ended.");
  for (guint i = 0; i < n; i++)
    {
      CrInput *input = cr_capture_get_input (capture, i);
      sample_int (e, cr_input_get_state (input) == CR_INPUT_LIVE,
                  "input", cr_input_get_name (input),
                  "kind", cr_input_get_role (input) == CR_INPUT_CAMERA ? "camera" : "microphone",
                  NULL);
    }
  family (e, "courtrec_input_losses_total", "counter",
          "Times the camera or microphone was lost since courtrecd started.");
  for (guint i = 0; i < n; i++)
    {
      CrInput *input = cr_capture_get_input (capture, i);
      sample_int (e, cr_input_get_losses (input),
                  "input", cr_input_get_name (input),
                  "kind", cr_input_get_role (input) == CR_INPUT_CAMERA ? "camera" : "microphone",
                  NULL);
    }
}

static void
add_microphones (CrMetrics *metrics, Exposition *e)
{
  CrRecorder *recorder = metrics->recorder;
  const CrConfig *config = recorder->config;
  guint n = config->microphones->len;
  g_autofree double *rms = g_new (double, n);
  g_autofree double *peak = g_new (double, n);
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    {
      cr_capture_get_level (recorder->capture, i, &rms[i], &peak[i]);
      /* -700 dB for digital silence, -inf before any sound: a graph and
       * a rule want the floor, not a figure nobody can plot. */
      rms[i] = isfinite (rms[i]) ? MAX (rms[i], LEVEL_FLOOR_DBFS) : LEVEL_FLOOR_DBFS;
      peak[i] = isfinite (peak[i]) ? MAX (peak[i], LEVEL_FLOOR_DBFS) : LEVEL_FLOOR_DBFS;
    }

  family (e, "courtrec_audio_peak_dbfs", "gauge",
          "The microphone's peak level over the latest 100 ms, in dBFS (-100: no sound).");
  for (guint i = 0; i < n; i++)
    sample_double (e, peak[i], "input",
                   ((const CrInputConfig *) g_ptr_array_index (config->microphones, i))->name,
                   NULL);
  family (e, "courtrec_audio_rms_dbfs", "gauge",
          "The microphone's RMS level over the latest 100 ms, in dBFS (-100: no sound).");
  for (guint i = 0; i < n; i++)
    sample_double (e, rms[i], "input",
                   ((const CrInputConfig *) g_ptr_array_index (config->microphones, i))->name,
                   NULL);
  /* The silence alarm's own count (alarms.c): it runs only while
   * recording, from the last second the microphone was heard. */
  family (e, "courtrec_audio_silent_seconds", "gauge",
          "Seconds the microphone has been below [audio] silence_dbfs while recording.");
  for (guint i = 0; i < n; i++)
    {
      gint64 since = recorder->silent_since_us[i];
      double silent = 0;

      if (recorder->state == RECORDING && !(peak[i] >= config->silence_dbfs) && since > 0)
        silent = MAX (now - since, 0) / 1e6;
      sample_double (e, silent, "input",
                     ((const CrInputConfig *) g_ptr_array_index (config->microphones, i))->name,
                     NULL);
    }
}

static void
add_disk (CrMetrics *metrics, Exposition *e)
{
  CrRecorder *recorder = metrics->recorder;

  if (!recorder->disk_known)
    return;
  family (e, "courtrec_disk_free_bytes", "gauge",
          "Bytes free for courtrecd on the storage directory's filesystem.");
  sample_int (e, recorder->disk_free_bytes, NULL);
  family (e, "courtrec_disk_runway_seconds", "gauge",
          "Seconds of recording that still fit on the storage disk, at the configured bit rates.");
  sample_int (e, (guint64) MAX (recorder->disk_seconds_left, 0), NULL);
  family (e, "courtrec_disk_archive_backlog_bytes", "gauge",
          "Bytes on the storage disk waiting for the archive: retention cannot free them.");
  sample_int (e, (guint64) MAX (cr_recorder_uploads_queue_bytes (recorder), 0), NULL);
}

/* The court archive's queues, one series per [archive NAME]. */
static void
add_archive (CrMetrics *metrics, Exposition *e)
{
  GPtrArray *uploaders = metrics->recorder->uploaders;

  if (uploaders == NULL || uploaders->len == 0)
    return;
  family (e, "courtrec_archive_queue_items", "gauge",
          "Objects waiting to be uploaded to the archive and verified there.");
  for (guint i = 0; i < uploaders->len; i++)
    sample_int (e, cr_uploader_get_queue_length (g_ptr_array_index (uploaders, i)),
                "archive", cr_uploader_get_name (g_ptr_array_index (uploaders, i)), NULL);
  family (e, "courtrec_archive_queue_bytes", "gauge",
          "Bytes waiting to be uploaded to the archive: local media that must stay.");
  for (guint i = 0; i < uploaders->len; i++)
    sample_int (e, (guint64) cr_uploader_get_queue_bytes (g_ptr_array_index (uploaders, i)),
                "archive", cr_uploader_get_name (g_ptr_array_index (uploaders, i)), NULL);
  family (e, "courtrec_archive_oldest_age_seconds", "gauge",
          "How long the oldest object waiting for the archive has waited; 0 when none.");
  for (guint i = 0; i < uploaders->len; i++)
    sample_int (e, (guint64) cr_uploader_get_oldest_age_seconds (g_ptr_array_index (uploaders, i)),
                "archive", cr_uploader_get_name (g_ptr_array_index (uploaders, i)), NULL);
  family (e, "courtrec_archive_last_success_seconds", "gauge",
          "Unix time of the last object verified in the archive; 0 when none.");
  for (guint i = 0; i < uploaders->len; i++)
    sample_int (e, (guint64) (cr_uploader_get_last_success_us (g_ptr_array_index (uploaders, i)) /
                              G_USEC_PER_SEC),
                "archive", cr_uploader_get_name (g_ptr_array_index (uploaders, i)), NULL);
  family (e, "courtrec_archive_failed_items", "gauge",
          "Objects whose last upload attempt failed, by reason (tried again with backoff).");
  for (guint i = 0; i < uploaders->len; i++)
    {
      g_autoptr (GHashTable) failures = cr_uploader_dup_failures (g_ptr_array_index (uploaders, i));
      GHashTableIter iter;
      gpointer reason, count;

      g_hash_table_iter_init (&iter, failures);
      while (g_hash_table_iter_next (&iter, &reason, &count))
        sample_int (e, GPOINTER_TO_UINT (count), "archive",
                    cr_uploader_get_name (g_ptr_array_index (uploaders, i)), "reason", reason,
                    NULL);
    }
}

/* The destination's counters, each from a member of its status. */
static const struct {
  const char *family, *help, *member;
} destination_counters[] = {
  { "courtrec_destination_sent_bytes_total",
    "Bytes sent to the live destination since courtrecd started.", "bytes_sent" },
  { "courtrec_destination_reconnects_total",
    "Connections to the live destination torn down to reconnect.", "reconnects" },
};

/* Each output of the broadcast, from its status: the names status and
 * the console show, and the destination's own counters where it has
 * them (the built-in HLS has none). */
static void
add_destinations (CrMetrics *metrics, Exposition *e)
{
  CrBroadcast *broadcast = metrics->recorder->broadcast;
  g_autoptr (JsonNode) node = cr_broadcast_get_status (broadcast);
  JsonArray *outputs = json_node_get_array (node);
  guint n = json_array_get_length (outputs);
  g_autofree JsonObject **output = g_new (JsonObject *, n + 1);
  g_autofree const char **name = g_new (const char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      output[i] = json_array_get_object_element (outputs, i);
      name[i] = json_object_get_string_member (output[i], "name");
    }

  family (e, "courtrec_broadcast_on_air", "gauge",
          "1 while a session whose case the court approved for broadcast is on air.");
  sample_int (e, cr_broadcast_is_on_air (broadcast), NULL);

  family (e, "courtrec_destination_running", "gauge",
          "1 while the live destination is started (on air, by autostart or by hand).");
  for (guint i = 0; i < n; i++)
    sample_int (e, json_object_get_boolean_member (output[i], "running"),
                "destination", name[i], NULL);
  family (e, "courtrec_destination_up", "gauge",
          "1 while bytes leave for the live destination.");
  for (guint i = 0; i < n; i++)
    sample_int (e, g_strcmp0 (json_object_get_string_member_with_default (output[i], "state",
                                                                          ""), "live") == 0,
                "destination", name[i], NULL);
  for (guint c = 0; c < G_N_ELEMENTS (destination_counters); c++)
    {
      family (e, destination_counters[c].family, "counter", destination_counters[c].help);
      for (guint i = 0; i < n; i++)
        if (json_object_has_member (output[i], destination_counters[c].member))
          sample_int (e, json_object_get_int_member (output[i], destination_counters[c].member),
                      "destination", name[i], NULL);
    }
  family (e, "courtrec_destination_dropped_frames_total", "counter",
          "Frames never handed to the live destination (never the recording's).");
  for (guint i = 0; i < n; i++)
    if (json_object_has_member (output[i], "dropped_video"))
      {
        sample_int (e, json_object_get_int_member (output[i], "dropped_video"),
                    "destination", name[i], "kind", "video", NULL);
        sample_int (e, json_object_get_int_member (output[i], "dropped_audio"),
                    "destination", name[i], "kind", "audio", NULL);
      }
}

static void
add_alarms (CrMetrics *metrics, Exposition *e)
{
  GPtrArray *alarms = metrics->recorder->alarms;
  g_autoptr (GArray) kinds = g_array_new (FALSE, FALSE, sizeof (CrEventKind));

  g_array_append_vals (kinds, alarm_kinds, G_N_ELEMENTS (alarm_kinds));
  for (guint i = 0; i < alarms->len; i++)
    {
      CrEventKind what = ((CrAlarm *) g_ptr_array_index (alarms, i))->what;
      gboolean known = FALSE;

      for (guint k = 0; k < kinds->len && !known; k++)
        known = g_array_index (kinds, CrEventKind, k) == what;
      if (!known)
        g_array_append_val (kinds, what);
    }

  family (e, "courtrec_alarms", "gauge", "Alarms standing, by kind.");
  for (guint k = 0; k < kinds->len; k++)
    {
      CrEventKind kind = g_array_index (kinds, CrEventKind, k);
      guint64 standing = 0;

      for (guint i = 0; i < alarms->len; i++)
        standing += ((CrAlarm *) g_ptr_array_index (alarms, i))->what == kind;
      sample_int (e, standing, "kind", cr_event_kind_to_string (kind), NULL);
    }
}

/* The calendar's view of now. No case number in any label: a non-public
 * case must not reach a monitoring system. */
static void
add_schedule (CrMetrics *metrics, Exposition *e)
{
  CrRecorder *recorder = metrics->recorder;
  const CrConfig *config = recorder->config;
  GPtrArray *hearings = recorder->scheduler != NULL
                        ? cr_scheduler_get_hearings (recorder->scheduler) : NULL;
  gint64 now = g_get_real_time ();
  const CrHearingRow *current = hearings != NULL ? cr_slots_current (hearings, now) : NULL;
  const CrHearingRow *next = hearings != NULL ? cr_slots_next (hearings, now) : NULL;
  const char *const sources[][2] = { { "calendar", config->schedule_calendar },
                                     { "feed", config->schedule_feed } };

  family (e, "courtrec_hearing_in_slot", "gauge",
          "1 while a scheduled hearing's slot holds now.");
  sample_int (e, current != NULL, NULL);
  family (e, "courtrec_hearing_slot_recording", "gauge",
          "1 while the current slot's case is being recorded.");
  sample_int (e, current != NULL && recorder->state == RECORDING && recorder->session != NULL &&
                 g_strcmp0 (recorder->session->case_no, current->case_no) == 0, NULL);
  family (e, "courtrec_hearing_slot_start_timestamp_seconds", "gauge",
          "When the current slot began, in seconds since the Unix epoch.");
  if (current != NULL)
    sample_double (e, current->starts_us / 1e6, NULL);
  family (e, "courtrec_hearing_next_start_timestamp_seconds", "gauge",
          "When the next scheduled hearing starts, in seconds since the Unix epoch.");
  if (next != NULL)
    sample_double (e, next->starts_us / 1e6, NULL);

  family (e, "courtrec_schedule_last_success_timestamp_seconds", "gauge",
          "The last read of the schedule's source that worked, in seconds since the Unix epoch.");
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autoptr (CrScheduleSourceRow) row = NULL;
      if (sources[i][1] == NULL)
        continue;
      row = cr_schedule_source_get (recorder->index, sources[i][0], NULL);
      if (row != NULL && row->checked_us > 0)
        sample_double (e, row->checked_us / 1e6, "source", sources[i][0], NULL);
    }
  family (e, "courtrec_schedule_hearings", "gauge",
          "Hearings of this room the source listed at its last read.");
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autoptr (CrScheduleSourceRow) row = NULL;
      if (sources[i][1] == NULL)
        continue;
      row = cr_schedule_source_get (recorder->index, sources[i][0], NULL);
      sample_int (e, row != NULL ? (guint64) MAX (row->hearings, 0) : 0,
                  "source", sources[i][0], NULL);
    }
}

static void
add_http (CrMetrics *metrics, Exposition *e)
{
  family (e, "courtrec_http_connections", "gauge",
          "Connections open on the HTTP listener (this scrape's included).");
  for (guint i = 0; i < metrics->listeners->len; i++)
    {
      CrHttpServer *http = g_ptr_array_index (metrics->listeners, i);
      sample_int (e, cr_http_server_get_connections (http),
                  "kind", cr_http_server_get_name (http), NULL);
    }
  family (e, "courtrec_http_refused_total", "counter",
          "Requests and connections the HTTP listener refused (401, 404, 429, 503, ...).");
  for (guint i = 0; i < metrics->listeners->len; i++)
    {
      CrHttpServer *http = g_ptr_array_index (metrics->listeners, i);
      sample_int (e, cr_http_server_get_refused (http),
                  "kind", cr_http_server_get_name (http), NULL);
    }
}

char *
cr_metrics_render (CrMetrics *metrics, gsize *length)
{
  Exposition e = { 0 };

  g_return_val_if_fail (metrics != NULL, NULL);

  e.out = g_string_sized_new (4096);
  e.room = cr_metrics_escape_label (metrics->recorder->config->room_id);
  add_recorder (metrics, &e);
  add_inputs (metrics, &e);
  add_microphones (metrics, &e);
  add_disk (metrics, &e);
  add_archive (metrics, &e);
  add_destinations (metrics, &e);
  add_alarms (metrics, &e);
  add_schedule (metrics, &e);
  add_http (metrics, &e);
  g_free (e.room);
  if (length != NULL)
    *length = e.out->len;
  return g_string_free (e.out, FALSE);
}
