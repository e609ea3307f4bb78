/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder.c: see recorder.h. */
#include "recorder/recorder.h"

#include <errno.h>
#include <gst/gst.h>
#include <math.h>

#include "archive/case-number.h"
#include "archive/device-key.h"
#include "archive/disk-space.h"
#include "archive/reconcile.h"
#include "archive/segment-index.h"
#include "archive/segment-writer.h"
#include "config/text.h"
#include "pipelines/capture.h"
#include "recorder/broadcast.h"

G_DEFINE_QUARK (cr-recorder-error-quark, cr_recorder_error)

/* Capture delivers a frame every 40 ms at 25 fps; this much silence from it
 * means it is stuck. */
#define HEALTHY_WITHIN_US (5 * G_USEC_PER_SEC)

/* Disk policy (design.md, "Faults"): an alarm when less than two hours of
 * recording fit, no new session when less than ten minutes do, and after
 * the disk filled up, recording goes on once a few minutes fit again. */
#define DISK_CHECK_SECONDS 10
#define DISK_LOW_SECONDS (2 * 3600)
#define DISK_START_SECONDS (10 * 60)
#define DISK_RESUME_SECONDS (5 * 60)
/* Kept allocated on the storage disk and deleted at ENOSPC, so that the
 * index can still close the rows of what was written (a few pages of WAL
 * per row) while the disk is otherwise full. */
#define DISK_RESERVE_NAME "disk-reserve"
#define DISK_RESERVE_BYTES (1024 * 1024)

static const char *const pause_reasons[] = {
  "recess", "non-public-evidence", "mediation", "other", NULL
};

typedef enum {
  STANDBY,
  RECORDING,
  PAUSED,
} RecorderState;

typedef struct {
  guint sequence;
  char *relative_path;
  gint64 started_us;
} OpenSegment;

typedef struct {
  char *what;                   /* input-lost, microphone-silent */
  char *input;                  /* the input's NAME */
  char *message;
  gint64 since_us;
} Alarm;

/* A segment row the index could not close (SQLITE_FULL on a full disk):
 * tried again until it is, or left to the reconcile at the next start. */
typedef struct {
  gint64 session_id;
  gint64 row;
  char *relative_path;
  gint64 duration_us;
  gint64 bytes;
  char *sha256;
} PendingClose;

static void
pending_close_free (PendingClose *pending)
{
  g_free (pending->relative_path);
  g_free (pending->sha256);
  g_free (pending);
}

static void
alarm_free (Alarm *alarm)
{
  g_free (alarm->what);
  g_free (alarm->input);
  g_free (alarm->message);
  g_free (alarm);
}

struct CrRecorder {
  const CrConfig *config;
  CrSegmentIndex *index;
  CrDeviceKey *key;             /* signs each session's chain head; may be NULL */
  CrCapture *capture;
  CrSegmentWriter *writer;
  CrBroadcast *broadcast;       /* the live outputs */

  RecorderState state;
  CrSessionRecord *session;     /* NULL in standby */
  char *pause_reason;           /* while PAUSED */
  OpenSegment *segment;         /* the file being written, or NULL */
  GHashTable *segment_rows;     /* relative path -> index row id (gint64*) */
  guint next_sequence;

  gint64 started_mono_us;
  gint64 last_video_mono_us;    /* atomic: written by the video streaming thread */

  GPtrArray *alarms;            /* Alarm*, the ones still standing */
  gint64 *silent_since_us;      /* by microphone: monotonic time it went quiet */
  gboolean *silent_alarmed;     /* by microphone */
  guint silence_timer;

  /* disk */
  double bytes_per_second;      /* of recording, from the config */
  char *reserve_path;
  gboolean reserve_failed;      /* the last try to make it failed */
  guint disk_timer;
  gboolean disk_known;          /* the last statvfs worked */
  guint64 disk_free_bytes;
  gint64 disk_seconds_left;
  gint64 disk_full_since_us;    /* UTC the media stopped at; 0 unless full */
  GPtrArray *pending_closes;    /* PendingClose* */

  /* shutdown */
  CrRecorderDoneFunc done;
  gpointer done_data;
  guint shutdown_timer;
};

static void
open_segment_free (OpenSegment *segment)
{
  if (segment == NULL)
    return;
  g_free (segment->relative_path);
  g_free (segment);
}

static char *
json_detail (const char *first_key, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  const char *key = first_key;
  va_list ap;

  va_start (ap, first_key);
  json_builder_begin_object (builder);
  while (key != NULL)
    {
      const char *value = va_arg (ap, const char *);
      json_builder_set_member_name (builder, key);
      json_builder_add_string_value (builder, value);
      key = va_arg (ap, const char *);
    }
  json_builder_end_object (builder);
  va_end (ap);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
index_failed (GError **error, GError *index_error)
{
  g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED,
               "The index could not be written: %s", index_error->message);
  g_error_free (index_error);
  return FALSE;
}

static void
update_caption (CrRecorder *recorder)
{
  g_autofree char *caption = NULL;

  switch (recorder->state)
    {
    case STANDBY:
      caption = g_strdup ("待机 standby");
      break;
    case RECORDING:
      caption = g_strdup_printf ("案号 %s  ● 录制中 REC", recorder->session->case_no);
      break;
    case PAUSED:
      caption = g_strdup_printf ("案号 %s  休庭 PAUSED (%s)", recorder->session->case_no,
                                 recorder->pause_reason);
      break;
    }
  cr_capture_set_caption (recorder->capture, caption);
}

/* --- from the capture and the writer ------------------------------------- */

static void
on_sample (GstSample *sample, guint track, GstClockTime running_time,
           gint64 utc_us, gpointer user_data)
{
  CrRecorder *recorder = user_data;

  if (track == CR_TRACK_VIDEO)
    __atomic_store_n (&recorder->last_video_mono_us, g_get_monotonic_time (),
                      __ATOMIC_RELAXED);
  cr_segment_writer_push (recorder->writer, sample, track, running_time, utc_us);
  cr_broadcast_push (recorder->broadcast, sample, track, running_time);
}

/* An event of the current session, if there is one; alarms are also
 * logged for the operator. */
static void
log_session_event (CrRecorder *recorder, const char *kind, const char *detail)
{
  g_autoptr (GError) error = NULL;

  if (recorder->session == NULL)
    return;
  if (cr_segment_index_add_event (recorder->index, recorder->session->id,
                                  g_get_real_time (), kind, detail, &error) <= 0)
    g_warning ("Could not log the event '%s': %s", kind, cr_text_shown (error->message));
}

static void
raise_alarm (CrRecorder *recorder, const char *what, const char *input,
             const char *label, const char *message)
{
  g_autofree char *detail = json_detail ("alarm", what, "input", input, "label", label,
                                         "message", message, NULL);
  Alarm *alarm = g_new0 (Alarm, 1);

  g_warning ("ALARM %s: %s (%s): %s", what, cr_text_shown (input), cr_text_shown (label),
             cr_text_shown (message));
  alarm->what = g_strdup (what);
  alarm->input = g_strdup (input);
  alarm->message = g_strdup (message);
  alarm->since_us = g_get_real_time ();
  g_ptr_array_add (recorder->alarms, alarm);
  log_session_event (recorder, "alarm", detail);
}

static Alarm *
find_alarm (CrRecorder *recorder, const char *what, const char *input)
{
  for (guint i = 0; i < recorder->alarms->len; i++)
    {
      Alarm *alarm = g_ptr_array_index (recorder->alarms, i);
      if (g_strcmp0 (alarm->what, what) == 0 && g_strcmp0 (alarm->input, input) == 0)
        return alarm;
    }
  return NULL;
}

static void
clear_alarm (CrRecorder *recorder, const char *what, const char *input)
{
  for (guint i = recorder->alarms->len; i > 0; i--)
    {
      Alarm *alarm = g_ptr_array_index (recorder->alarms, i - 1);
      if (g_strcmp0 (alarm->what, what) == 0 && g_strcmp0 (alarm->input, input) == 0)
        g_ptr_array_remove_index (recorder->alarms, i - 1);
    }
}

static void
on_input (CrInput *input, CrInputState state, const char *reason, gpointer user_data)
{
  CrRecorder *recorder = user_data;
  const char *name = cr_input_get_name (input);
  const char *label = cr_input_get_label (input);
  const char *role = cr_input_get_role (input) == CR_INPUT_CAMERA ? "camera" : "microphone";

  if (state == CR_INPUT_LOST)
    {
      g_autofree char *detail = json_detail ("input", name, "kind", role, "label", label,
                                             "reason", reason, NULL);
      log_session_event (recorder, "input-lost", detail);
      raise_alarm (recorder, "input-lost", name, label, reason);
    }
  else if (state == CR_INPUT_LIVE && cr_input_get_losses (input) > 0)
    {
      g_autofree char *detail = json_detail ("input", name, "kind", role, "label", label,
                                             NULL);
      log_session_event (recorder, "input-back", detail);
      clear_alarm (recorder, "input-lost", name);
    }
}

/* Once a second: a microphone quieter than silence_dbfs for
 * silence_alarm_seconds while recording raises an alarm ("low audio" in a
 * transcript is a dead microphone nobody noticed). */
static gboolean
check_silence (gpointer user_data)
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
              g_autofree char *detail = json_detail ("input", microphone->name,
                                                     "label", microphone->label, NULL);
              log_session_event (recorder, "microphone-sound", detail);
              clear_alarm (recorder, "microphone-silent", microphone->name);
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
          raise_alarm (recorder, "microphone-silent", microphone->name, microphone->label,
                       message);
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
on_capture_error (const GError *error, const char *debug, gpointer user_data)
{
  CrRecorder *recorder = user_data;

  /* Recorded against the session, so the hearing's log shows it. */
  if (recorder->session != NULL)
    {
      g_autofree char *detail = json_detail ("message", error->message, NULL);
      g_autoptr (GError) index_error = NULL;
      if (cr_segment_index_add_event (recorder->index, recorder->session->id,
                                      g_get_real_time (), "capture-error", detail,
                                      &index_error) <= 0)
        g_warning ("%s", cr_text_shown (index_error->message));
    }
}

static void
on_segment_opened (gint64 session_id, guint sequence, const char *relative_path,
                   gint64 started_us, gpointer user_data)
{
  CrRecorder *recorder = user_data;
  g_autoptr (GError) error = NULL;
  gint64 row;

  row = cr_segment_index_add_segment (recorder->index, session_id, sequence,
                                      relative_path, started_us, &error);
  if (row <= 0)
    {
      g_warning ("Segment '%s' could not be indexed (it is reconciled at the "
                 "next start): %s", cr_text_shown (relative_path), cr_text_shown (error->message));
      return;
    }
  g_hash_table_insert (recorder->segment_rows, g_strdup (relative_path),
                       g_memdup2 (&row, sizeof row));

  if (recorder->session != NULL && recorder->session->id == session_id)
    {
      open_segment_free (recorder->segment);
      recorder->segment = g_new0 (OpenSegment, 1);
      recorder->segment->sequence = sequence;
      recorder->segment->relative_path = g_strdup (relative_path);
      recorder->segment->started_us = started_us;
    }
  g_message ("Recording to %s/%s", cr_text_shown (recorder->config->storage_dir),
             cr_text_shown (relative_path));
}

static void finish_shutdown (CrRecorder *recorder);

/* Seals @session_id once it is stopped and its last segment is closed: the
 * chain head signed with the device key, the integrity value the parties
 * sign (SPC 2017 rules, Art. 9). Not ready yet is not an error. */
static void
try_seal (CrRecorder *recorder, gint64 session_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *head = NULL;

  if (recorder->key == NULL)
    return;
  if (cr_segment_index_seal_session (recorder->index, session_id, recorder->key,
                                     g_get_real_time (), &head, &error))
    {
      g_message ("Session %" G_GINT64_FORMAT " sealed: chain head %s", session_id, head);
      return;
    }
  if (g_error_matches (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY))
    return;
  g_warning ("Session %" G_GINT64_FORMAT " could not be sealed: %s", session_id,
             cr_text_shown (error->message));
  {
    g_autofree char *detail = json_detail ("message", error->message, NULL);
    g_autoptr (GError) event_error = NULL;
    if (cr_segment_index_add_event (recorder->index, session_id, g_get_real_time (),
                                    "seal-error", detail, &event_error) <= 0)
      g_warning ("%s", cr_text_shown (event_error->message));
  }
}

/* --- the disk ------------------------------------------------------------ */

static char *
disk_message (CrRecorder *recorder)
{
  g_autofree char *free_text = cr_disk_space_format_bytes (recorder->disk_free_bytes);
  g_autofree char *left = cr_disk_space_format_seconds (recorder->disk_seconds_left);

  return g_strdup_printf ("%s free on '%s': about %s of recording at %.0f kbit/s",
                          free_text, recorder->config->storage_dir, left,
                          recorder->bytes_per_second * 8 / 1000);
}

/* Reads the free space; FALSE (logged once, until it works again) when it
 * cannot be read. */
static gboolean
measure_disk (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;
  guint64 free_bytes;

  if (!cr_disk_space_free_bytes (recorder->config->storage_dir, &free_bytes, &error))
    {
      if (recorder->disk_known)
        g_warning ("%s", cr_text_shown (error->message));
      recorder->disk_known = FALSE;
      return FALSE;
    }
  recorder->disk_known = TRUE;
  recorder->disk_free_bytes = free_bytes;
  recorder->disk_seconds_left = cr_disk_space_seconds_left (free_bytes,
                                                            recorder->bytes_per_second);
  return TRUE;
}

static void
make_reserve (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;

  if (cr_disk_space_make_reserve (recorder->reserve_path, DISK_RESERVE_BYTES, &error))
    recorder->reserve_failed = FALSE;
  else if (!recorder->reserve_failed)
    {
      /* Tried again every DISK_CHECK_SECONDS; said once. */
      recorder->reserve_failed = TRUE;
      g_warning ("%s (the index may not be written when the disk fills up)",
                 cr_text_shown (error->message));
    }
}

static void
add_pending_close (CrRecorder *recorder, gint64 session_id, gint64 row,
                   const char *relative_path, gint64 duration_us, gint64 bytes,
                   const char *sha256)
{
  PendingClose *pending = g_new0 (PendingClose, 1);

  pending->session_id = session_id;
  pending->row = row;
  pending->relative_path = g_strdup (relative_path);
  pending->duration_us = duration_us;
  pending->bytes = bytes;
  pending->sha256 = g_strdup (sha256);
  g_ptr_array_add (recorder->pending_closes, pending);
}

static void try_seal (CrRecorder *recorder, gint64 session_id);

/* Closes the rows that could not be closed before, oldest first; stops at
 * the first that still cannot. */
static void
retry_pending_closes (CrRecorder *recorder)
{
  while (recorder->pending_closes->len > 0)
    {
      PendingClose *pending = g_ptr_array_index (recorder->pending_closes, 0);
      g_autoptr (GError) error = NULL;
      gint64 session_id = pending->session_id;

      if (!cr_segment_index_close_segment (recorder->index, pending->row,
                                           pending->duration_us, pending->bytes,
                                           pending->sha256, &error))
        {
          if (!g_error_matches (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED))
            {
              /* Not for want of room: trying again will not help. */
              g_warning ("Segment '%s' could not be closed in the index (it is "
                         "reconciled at the next start): %s",
                         cr_text_shown (pending->relative_path),
                         cr_text_shown (error->message));
              g_ptr_array_remove_index (recorder->pending_closes, 0);
              continue;
            }
          return;
        }
      g_message ("Segment '%s' closed in the index", cr_text_shown (pending->relative_path));
      g_ptr_array_remove_index (recorder->pending_closes, 0);
      if (recorder->session == NULL || recorder->session->id != session_id)
        try_seal (recorder, session_id);
    }
}

/* The disk ran full while a segment was being written: the writer holds
 * (it opens no file until released), the reserve goes so that the index
 * can be written, and the operator hears of it. */
static void
disk_full (CrRecorder *recorder, gint64 media_end_us)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;

  cr_segment_writer_hold (recorder->writer);
  if (recorder->disk_full_since_us != 0)
    {
      recorder->disk_full_since_us = MAX (recorder->disk_full_since_us, media_end_us);
      return;
    }
  recorder->disk_full_since_us = media_end_us;
  if (!cr_disk_space_drop_reserve (recorder->reserve_path, &error) && error != NULL)
    g_warning ("%s", cr_text_shown (error->message));
  measure_disk (recorder);
  message = g_strdup_printf ("The disk of '%s' is full: recording is suspended until "
                             "at least %u min of recording fit again; what was "
                             "recorded is kept", recorder->config->storage_dir,
                             DISK_RESUME_SECONDS / 60);
  raise_alarm (recorder, "disk-full", "disk", recorder->config->storage_dir, message);
}

/* Space is back: the same session goes on in a new file at once, and the
 * time nobody recorded is logged as a gap, like a crash's. */
static void
disk_room_again (CrRecorder *recorder)
{
  g_autofree char *from = cr_format_utc (recorder->disk_full_since_us);
  gint64 now = g_get_real_time ();
  g_autofree char *to = cr_format_utc (now);
  char seconds[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *message = disk_message (recorder);

  /* JSON's decimal point, whatever the locale. */
  g_ascii_formatd (seconds, sizeof seconds, "%.1f",
                   (now - recorder->disk_full_since_us) / (double) G_USEC_PER_SEC);
  make_reserve (recorder);
  recorder->disk_full_since_us = 0;
  clear_alarm (recorder, "disk-full", "disk");
  cr_segment_writer_release (recorder->writer);
  if (recorder->state == RECORDING)
    {
      g_autofree char *gap = json_detail ("from", from, "to", to,
                                          "reason", "the disk was full", NULL);
      g_autofree char *resumed = json_detail ("after", "disk-full", "from", from, "to", to,
                                              "gap_seconds", seconds, "message", message,
                                              NULL);
      log_session_event (recorder, "gap", gap);
      log_session_event (recorder, "recording-resumed", resumed);
      cr_capture_request_keyframe (recorder->capture);
      g_warning ("Session %" G_GINT64_FORMAT " was not recorded from %s to %s (the "
                 "disk was full); recording goes on: %s", recorder->session->id,
                 from, to, cr_text_shown (message));
    }
  else
    g_message ("The disk has room again: %s", cr_text_shown (message));
}

/* Every DISK_CHECK_SECONDS and at start. */
static gboolean
check_disk (gpointer user_data)
{
  CrRecorder *recorder = user_data;
  Alarm *low;

  retry_pending_closes (recorder);
  if (!measure_disk (recorder))
    return G_SOURCE_CONTINUE;

  if (recorder->disk_full_since_us != 0 &&
      recorder->disk_seconds_left >= DISK_RESUME_SECONDS)
    {
      disk_room_again (recorder);
      measure_disk (recorder);
    }
  else if (recorder->disk_full_since_us == 0 &&
           !g_file_test (recorder->reserve_path, G_FILE_TEST_EXISTS))
    {
      make_reserve (recorder);
      measure_disk (recorder);
    }

  low = find_alarm (recorder, "disk-low", "disk");
  if (recorder->disk_seconds_left < DISK_LOW_SECONDS)
    {
      g_autofree char *message = disk_message (recorder);
      if (low == NULL)
        raise_alarm (recorder, "disk-low", "disk", recorder->config->storage_dir, message);
      else
        {
          /* Standing: the operator sees the figure fall, the log stays quiet. */
          g_free (low->message);
          low->message = g_steal_pointer (&message);
        }
    }
  else if (low != NULL)
    {
      g_autofree char *message = disk_message (recorder);
      g_autofree char *detail = json_detail ("alarm", "disk-low", "message", message, NULL);
      log_session_event (recorder, "disk-ok", detail);
      clear_alarm (recorder, "disk-low", "disk");
      g_message ("Disk space is enough again: %s", cr_text_shown (message));
    }
  return G_SOURCE_CONTINUE;
}

static void
on_segment_closed (gint64 session_id, guint sequence, const char *relative_path,
                   gint64 duration_us, gint64 bytes, const char *sha256,
                   const GError *write_error, gpointer user_data)
{
  CrRecorder *recorder = user_data;
  g_autoptr (GError) error = NULL;
  gint64 *row = g_hash_table_lookup (recorder->segment_rows, relative_path);

  /* First, so that the reserve is gone before the index is written. */
  if (g_error_matches (write_error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT))
    {
      gint64 media_end_us = g_get_real_time ();
      if (recorder->segment != NULL &&
          g_strcmp0 (recorder->segment->relative_path, relative_path) == 0)
        media_end_us = recorder->segment->started_us + duration_us;
      disk_full (recorder, media_end_us);
    }
  retry_pending_closes (recorder);

  if (write_error != NULL)
    {
      g_autofree char *detail = json_detail ("path", relative_path,
                                             "message", write_error->message, NULL);
      if (cr_segment_index_add_event (recorder->index, session_id, g_get_real_time (),
                                      "segment-error", detail, &error) <= 0)
        g_warning ("%s", cr_text_shown (error->message));
      g_clear_error (&error);
    }
  if (row != NULL && sha256 != NULL &&
      !cr_segment_index_close_segment (recorder->index, *row, duration_us, bytes,
                                       sha256, &error))
    {
      g_warning ("Segment '%s' could not be closed in the index (tried again "
                 "every %u s, else reconciled at the next start): %s",
                 cr_text_shown (relative_path), DISK_CHECK_SECONDS,
                 cr_text_shown (error->message));
      add_pending_close (recorder, session_id, *row, relative_path, duration_us,
                         bytes, sha256);
    }
  else if (recorder->session == NULL || recorder->session->id != session_id)
    try_seal (recorder, session_id);
  g_hash_table_remove (recorder->segment_rows, relative_path);

  if (recorder->segment != NULL &&
      g_strcmp0 (recorder->segment->relative_path, relative_path) == 0)
    g_clear_pointer (&recorder->segment, open_segment_free);

  if (recorder->done != NULL && cr_segment_writer_is_idle (recorder->writer))
    finish_shutdown (recorder);
}

/* --- life ---------------------------------------------------------------- */

CrRecorder *
cr_recorder_new (const CrConfig *config, GError **error)
{
  g_autoptr (CrRecorder) recorder = g_new0 (CrRecorder, 1);
  g_autofree char *index_path = NULL;
  CrReconcileReport report;
  CrSegmentWriterCallbacks callbacks = {
    .opened = on_segment_opened,
    .closed = on_segment_closed,
  };
  GError *local_error = NULL;

  recorder->config = config;
  recorder->bytes_per_second = cr_disk_space_bytes_per_second (
      config->video_bitrate_kbps, config->audio_bitrate_kbps, config->microphones->len,
      g_strcmp0 (config->tracks, "mix+each") == 0,
      g_strcmp0 (config->track_codec, "flac") == 0);
  recorder->reserve_path = g_build_filename (config->storage_dir, DISK_RESERVE_NAME, NULL);
  recorder->pending_closes = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_close_free);
  recorder->segment_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  recorder->started_mono_us = g_get_monotonic_time ();

  if (g_mkdir_with_parents (config->storage_dir, 0750) != 0)
    {
      int errnum = errno;
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED,
                   "Could not create the storage directory '%s': %s",
                   config->storage_dir, g_strerror (errnum));
      return NULL;
    }
  index_path = g_build_filename (config->storage_dir, "index.db", NULL);
  recorder->index = cr_segment_index_open (index_path, FALSE, &local_error);
  if (recorder->index == NULL)
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED,
                   "Could not open the index '%s': %s", index_path, local_error->message);
      g_error_free (local_error);
      return NULL;
    }

  if (!cr_reconcile (recorder->index, config->storage_dir, &report, &local_error))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED,
                   "Could not reconcile the index with '%s': %s",
                   config->storage_dir, local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  recorder->key = cr_device_key_load (config->key_file, TRUE, &local_error);
  if (recorder->key == NULL)
    {
      /* Recording matters more than signing: go on, loudly. */
      g_warning ("Sessions will not be sealed: %s", cr_text_shown (local_error->message));
      g_clear_error (&local_error);
    }
  else if (!cr_segment_index_seal_pending (recorder->index, recorder->key,
                                           g_get_real_time (), NULL, &local_error))
    {
      g_warning ("Could not seal the sessions left unsealed: %s",
                 cr_text_shown (local_error->message));
      g_clear_error (&local_error);
    }
  if (report.recovered + report.adopted + report.missing + report.strays > 0)
    g_message ("Reconciled the index with the disk: %u segment(s) completed from "
               "their files, %u file(s) adopted, %u row(s) without a file, %u "
               "stray file(s)", report.recovered, report.adopted, report.missing,
               report.strays);

  recorder->capture = cr_capture_new (config, &local_error);
  if (recorder->capture == NULL)
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED, "%s",
                   local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  {
    guint n_tracks = cr_capture_get_n_tracks (recorder->capture);
    g_autofree const char **names = g_new0 (const char *, n_tracks + 1);
    for (guint t = 0; t < n_tracks; t++)
      names[t] = cr_capture_get_track_name (recorder->capture, t);
    recorder->writer = cr_segment_writer_new (config->storage_dir, config->room_id,
                                              config->segment_seconds, n_tracks, names,
                                              &callbacks, recorder);
  }
  recorder->broadcast = cr_broadcast_new (config, recorder->capture, &local_error);
  if (recorder->broadcast == NULL)
    {
      /* A stream's key file or URL: the config's fault, like a bad key. */
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                   local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  cr_capture_set_sample_func (recorder->capture, on_sample, recorder);
  cr_capture_set_error_func (recorder->capture, on_capture_error, recorder);
  cr_capture_set_input_func (recorder->capture, on_input, recorder);
  recorder->alarms = g_ptr_array_new_with_free_func ((GDestroyNotify) alarm_free);
  recorder->silent_since_us = g_new0 (gint64, config->microphones->len);
  recorder->silent_alarmed = g_new0 (gboolean, config->microphones->len);
  return g_steal_pointer (&recorder);
}

void
cr_recorder_free (CrRecorder *recorder)
{
  if (recorder == NULL)
    return;
  if (recorder->shutdown_timer != 0)
    g_source_remove (recorder->shutdown_timer);
  if (recorder->silence_timer != 0)
    g_source_remove (recorder->silence_timer);
  if (recorder->disk_timer != 0)
    g_source_remove (recorder->disk_timer);
  /* The capture stops first: once its streaming threads are joined no
   * sample reaches the writer or the broadcast. The broadcast goes next,
   * while the capture it hangs off is still there to detach from (its
   * outputs are handed the capture's pictures), then the capture, then
   * the writer. */
  if (recorder->capture != NULL)
    cr_capture_stop (recorder->capture);
  g_clear_pointer (&recorder->broadcast, cr_broadcast_free);
  g_clear_pointer (&recorder->capture, cr_capture_free);
  g_clear_pointer (&recorder->writer, cr_segment_writer_free);
  g_clear_pointer (&recorder->index, cr_segment_index_free);
  g_clear_pointer (&recorder->key, cr_device_key_free);
  g_clear_pointer (&recorder->session, cr_session_record_free);
  g_clear_pointer (&recorder->segment, open_segment_free);
  g_clear_pointer (&recorder->segment_rows, g_hash_table_unref);
  g_clear_pointer (&recorder->alarms, g_ptr_array_unref);
  g_clear_pointer (&recorder->pending_closes, g_ptr_array_unref);
  g_free (recorder->reserve_path);
  g_free (recorder->silent_since_us);
  g_free (recorder->silent_alarmed);
  g_free (recorder->pause_reason);
  g_free (recorder);
}

/* Opens the file run for the current session at the next keyframe, which
 * is asked for at once. */
static void
begin_segments (CrRecorder *recorder)
{
  cr_segment_writer_begin (recorder->writer, recorder->session->id,
                           recorder->next_sequence);
  cr_capture_request_keyframe (recorder->capture);
}

/* Closes the run; the sequence goes on where the writer stopped. */
static void
end_segments (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;

  cr_segment_writer_end (recorder->writer);
  /* The open file is being finished: status shows none from now on. */
  g_clear_pointer (&recorder->segment, open_segment_free);
  /* The writer numbered files as it opened them; the next run follows on.
   * Rows are added on the main loop, so count what was handed out. */
  recorder->next_sequence = MAX (recorder->next_sequence,
                                 cr_segment_index_last_sequence (recorder->index,
                                                                 recorder->session->id,
                                                                 &error) + 1);
}

/* After a crash: log the time nobody recorded, and go on recording a
 * session that was recording, without anyone's command. */
static gboolean
resume_unfinished_session (CrRecorder *recorder, GError **error)
{
  GError *local_error = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  gint64 last_media_us, now = g_get_real_time ();
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *detail = NULL;

  session = cr_segment_index_find_unfinished_session (recorder->index,
                                                      recorder->config->room_id,
                                                      &local_error);
  if (local_error != NULL)
    return index_failed (error, local_error);
  if (session == NULL)
    return TRUE;

  segments = cr_segment_index_list_segments (recorder->index, session->id, &local_error);
  if (segments == NULL)
    return index_failed (error, local_error);
  last_media_us = session->started_us;
  for (guint i = 0; i < segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      last_media_us = MAX (last_media_us, segment->started_us + segment->duration_us);
      recorder->next_sequence = MAX (recorder->next_sequence, segment->sequence + 1);
    }
  if (recorder->next_sequence == 0)
    recorder->next_sequence = 1;

  from = cr_format_utc (last_media_us);
  to = cr_format_utc (now);
  detail = json_detail ("from", from, "to", to,
                        "reason", "courtrecd was not running", NULL);
  if (cr_segment_index_add_event (recorder->index, session->id, now, "gap", detail,
                                  &local_error) <= 0)
    return index_failed (error, local_error);
  g_warning ("Session %" G_GINT64_FORMAT " of %s was interrupted from %s to %s; "
             "the gap is logged", session->id, cr_text_shown (session->case_no), from, to);

  recorder->session = g_steal_pointer (&session);
  if (recorder->session->state == CR_SESSION_RECORDING)
    {
      recorder->state = RECORDING;
      begin_segments (recorder);
      g_message ("Resumed recording session %" G_GINT64_FORMAT, recorder->session->id);
    }
  else
    {
      g_autoptr (GPtrArray) events = cr_segment_index_list_events (
          recorder->index, recorder->session->id, NULL);
      recorder->state = PAUSED;
      recorder->pause_reason = g_strdup ("other");
      /* The reason of the last pause, from its event. */
      for (guint i = events ? events->len : 0; i > 0; i--)
        {
          CrEventRecord *event = g_ptr_array_index (events, i - 1);
          g_autoptr (JsonNode) node = NULL;
          if (g_strcmp0 (event->kind, "pause") != 0 || event->detail == NULL)
            continue;
          node = json_from_string (event->detail, NULL);
          if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
            {
              g_free (recorder->pause_reason);
              recorder->pause_reason = g_strdup (json_object_get_string_member_with_default (
                  json_node_get_object (node), "reason", "other"));
            }
          break;
        }
    }
  return TRUE;
}

/* --- live broadcast ---------------------------------------------------------- */

/* The session's case goes on air if the court approved it for broadcast
 * (and never forbade it). */
static void
update_on_air (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBroadcastRecord) decision = NULL;
  gboolean approved = FALSE;

  if (recorder->session != NULL)
    {
      decision = cr_segment_index_get_broadcast_decision (recorder->index,
                                                          recorder->session->case_no,
                                                          &error);
      if (error != NULL)
        g_warning ("Could not read the broadcast decision of %s: %s (not streaming)",
                   cr_text_shown (recorder->session->case_no),
                   cr_text_shown (error->message));
      approved = decision != NULL && decision->decision == CR_BROADCAST_APPROVED;
    }
  if (approved && !cr_broadcast_is_on_air (recorder->broadcast))
    {
      g_autofree char *approved_at = cr_format_utc (decision->at_us);
      g_autofree char *detail = json_detail ("approved_by", decision->by,
                                             "approved_at", approved_at, NULL);

      cr_broadcast_go_on_air (recorder->broadcast, recorder->session->case_no,
                              recorder->state == PAUSED);
      /* The approval it goes on air under, in the session's own record. */
      log_session_event (recorder, "on-air", detail);
      g_message ("Session %" G_GINT64_FORMAT " of %s is on air", recorder->session->id,
                 cr_text_shown (recorder->session->case_no));
    }
  else if (!approved && cr_broadcast_is_on_air (recorder->broadcast))
    {
      cr_broadcast_go_off_air (recorder->broadcast);
      log_session_event (recorder, "off-air", NULL);
      g_message ("Off air");
    }
}

/* Why @case_no cannot be streamed, or NULL if it can. (transfer full) */
static char *
broadcast_refusal (CrRecorder *recorder, const char *case_no)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBroadcastRecord) decision =
      cr_segment_index_get_broadcast_decision (recorder->index, case_no, &error);
  g_autofree char *at = NULL;

  if (error != NULL)
    return g_strdup_printf ("the broadcast decision of %s cannot be read: %s", case_no,
                            error->message);
  if (decision == NULL)
    return g_strdup_printf ("case %s is not approved for broadcast: approve it first "
                            "with `courtrec broadcast approve --case %s --by NAME`",
                            case_no, case_no);
  if (decision->decision == CR_BROADCAST_APPROVED)
    return NULL;
  at = cr_format_utc (decision->at_us);
  return g_strdup_printf ("case %s is non-public: broadcast forbidden%s%s on %s%s%s",
                          case_no, decision->by ? " by " : "", decision->by ? decision->by : "",
                          at, decision->reason ? ": " : "",
                          decision->reason ? decision->reason : "");
}

gint64
cr_recorder_decide_broadcast (CrRecorder *recorder, const char *case_no,
                              gboolean approve, const char *by, const char *reason,
                              GError **error)
{
  GError *local_error = NULL;
  g_autofree char *canonical = NULL;
  g_autoptr (CrBroadcastRecord) before = NULL;
  g_autofree char *detail = NULL;
  gint64 id;

  canonical = cr_case_number_canonicalize (case_no ? case_no : "", &local_error);
  if (canonical == NULL)
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                   local_error->message);
      g_error_free (local_error);
      return 0;
    }
  if (approve && (by == NULL || *by == '\0'))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "An approval must say who approved it (--by NAME)");
      return 0;
    }
  if (!approve && (reason == NULL || *reason == '\0'))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "A refusal must give its reason (--reason TEXT)");
      return 0;
    }
  before = cr_segment_index_get_broadcast_decision (recorder->index, canonical, &local_error);
  if (local_error != NULL)
    return index_failed (error, local_error);
  if (before != NULL)
    {
      g_autofree char *at = cr_format_utc (before->at_us);

      if (before->decision == CR_BROADCAST_FORBIDDEN)
        {
          /* Non-public stays non-public: the rules know no way back. */
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Case %s is already non-public: broadcast forbidden on %s%s%s",
                       canonical, at, before->reason ? ": " : "",
                       before->reason ? before->reason : "");
          return 0;
        }
      if (approve)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Case %s is already approved for broadcast (by %s on %s): a case "
                       "is approved once", canonical, before->by ? before->by : "?", at);
          return 0;
        }
    }
  id = cr_segment_index_add_broadcast_decision (recorder->index, canonical,
                                                approve ? CR_BROADCAST_APPROVED
                                                        : CR_BROADCAST_FORBIDDEN,
                                                g_get_real_time (), by, reason, &local_error);
  if (id <= 0)
    return index_failed (error, local_error);
  g_message ("Broadcast of %s %s%s%s", cr_text_shown (canonical),
             approve ? "approved" : "forbidden", by ? " by " : "", by ? cr_text_shown (by) : "");
  if (recorder->session != NULL && g_str_equal (recorder->session->case_no, canonical))
    {
      detail = json_detail ("by", by, "reason", reason, NULL);
      log_session_event (recorder, approve ? "broadcast-approved" : "broadcast-forbidden",
                         detail);
      update_on_air (recorder);
    }
  return id;
}

/* Turns a broadcast error into the recorder's: unknown names and bad
 * states are the caller's, set-up failures ours. */
static gboolean
broadcast_failed (GError **error, GError *broadcast_error)
{
  g_set_error (error, CR_RECORDER_ERROR,
               broadcast_error->code == CR_BROADCAST_ERROR_UNKNOWN ? CR_RECORDER_ERROR_INVALID
               : broadcast_error->code == CR_BROADCAST_ERROR_STATE ? CR_RECORDER_ERROR_STATE
                                                                   : CR_RECORDER_ERROR_FAILED,
               "%s", broadcast_error->message);
  g_error_free (broadcast_error);
  return FALSE;
}

gboolean
cr_recorder_stream_control (CrRecorder *recorder, const char *action, const char *name,
                            GError **error)
{
  GError *local_error = NULL;
  g_autofree char *detail = NULL;
  gboolean ok;

  if (name != NULL && *name == '\0')
    name = NULL;
  if (g_strcmp0 (action, "start") == 0)
    {
      g_autofree char *refusal = NULL;

      if (name == NULL)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                       "Which stream? Give its NAME (a [stream NAME] group, or hls)");
          return FALSE;
        }
      if (recorder->session == NULL)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Cannot start stream %s: no session is running", name);
          return FALSE;
        }
      refusal = broadcast_refusal (recorder, recorder->session->case_no);
      if (refusal != NULL)
        {
          detail = json_detail ("stream", name, "reason", refusal, NULL);
          log_session_event (recorder, "stream-refused", detail);
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Cannot start stream %s: %s", name, refusal);
          return FALSE;
        }
      update_on_air (recorder);
      ok = cr_broadcast_start_output (recorder->broadcast, name, &local_error);
    }
  else if (g_strcmp0 (action, "stop") == 0)
    ok = cr_broadcast_stop_output (recorder->broadcast, name, &local_error);
  else if (g_strcmp0 (action, "cut") == 0 || g_strcmp0 (action, "resume") == 0)
    {
      /* A cut belongs to a session (it may precede the approval, and then
       * the stream opens on the slate); in standby there is nothing to cut. */
      if (recorder->session == NULL)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Cannot %s the broadcast: no session is running", action);
          return FALSE;
        }
      ok = cr_broadcast_cut (recorder->broadcast, name, g_str_equal (action, "cut"),
                             &local_error);
    }
  else
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Unknown stream action '%s': expected start, stop, cut or resume",
                   action ? action : "");
      return FALSE;
    }
  if (!ok)
    return broadcast_failed (error, local_error);
  detail = json_detail ("stream", name ? name : "all", NULL);
  g_autofree char *kind = g_strdup_printf ("stream-%s", action);
  log_session_event (recorder, kind, detail);
  g_message ("Stream %s: %s", name ? cr_text_shown (name) : "(all)", action);
  return TRUE;
}

CrBroadcast *
cr_recorder_get_broadcast (CrRecorder *recorder)
{
  return recorder->broadcast;
}

const CrConfig *
cr_recorder_get_config (CrRecorder *recorder)
{
  return recorder->config;
}

gboolean
cr_recorder_run (CrRecorder *recorder, GError **error)
{
  GError *local_error = NULL;

  if (!cr_capture_play (recorder->capture, &local_error))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED, "%s",
                   local_error->message);
      g_error_free (local_error);
      return FALSE;
    }
  __atomic_store_n (&recorder->last_video_mono_us, g_get_monotonic_time (),
                    __ATOMIC_RELAXED);
  if (!resume_unfinished_session (recorder, error))
    return FALSE;
  update_caption (recorder);
  update_on_air (recorder);
  /* Silence is counted from now, not from the epoch. */
  for (guint i = 0; i < recorder->config->microphones->len; i++)
    recorder->silent_since_us[i] = g_get_monotonic_time ();
  recorder->silence_timer = g_timeout_add_seconds (1, check_silence, recorder);
  check_disk (recorder);
  recorder->disk_timer = g_timeout_add_seconds (DISK_CHECK_SECONDS, check_disk, recorder);
  return TRUE;
}

/* --- control ------------------------------------------------------------- */

gint64
cr_recorder_start (CrRecorder *recorder, const char *case_no, const char *title,
                   GError **error)
{
  g_autofree char *canonical = NULL;
  GError *local_error = NULL;
  gint64 id;
  gint64 now = g_get_real_time ();

  if (recorder->state != STANDBY)
    {
      g_autofree char *since = cr_format_utc (recorder->session->started_us);
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                   "A session is already %s in this room: session %" G_GINT64_FORMAT
                   " of %s, since %s. Stop it before starting another.",
                   recorder->state == RECORDING ? "recording" : "paused",
                   recorder->session->id, recorder->session->case_no, since);
      return 0;
    }
  canonical = cr_case_number_canonicalize (case_no ? case_no : "", &local_error);
  if (canonical == NULL)
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                   local_error->message);
      g_error_free (local_error);
      return 0;
    }
  if (title != NULL && *title == '\0')
    title = NULL;

  /* A disk that cannot be read does not stop a hearing; one that is nearly
   * full does, before it begins rather than in its eleventh minute. */
  if (measure_disk (recorder) && recorder->disk_seconds_left < DISK_START_SECONDS)
    {
      g_autofree char *message = disk_message (recorder);
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                   "Cannot start: the disk is almost full. %s; at least %u min are "
                   "needed to start a session. Free space there (export and archive "
                   "old sessions, then run retention) and start again.",
                   message, DISK_START_SECONDS / 60);
      return 0;
    }
  if (recorder->disk_full_since_us != 0)
    {
      /* Room again before the 10 s check noticed: a new session, no gap. */
      recorder->disk_full_since_us = 0;
      clear_alarm (recorder, "disk-full", "disk");
      make_reserve (recorder);
      cr_segment_writer_release (recorder->writer);
    }

  id = cr_segment_index_begin_session (recorder->index, recorder->config->room_id,
                                       canonical, title, now, &local_error);
  if (id <= 0)
    return index_failed (error, local_error);

  recorder->session = cr_segment_index_get_session (recorder->index, id, &local_error);
  if (recorder->session == NULL)
    return index_failed (error, local_error);
  recorder->state = RECORDING;
  recorder->next_sequence = 1;
  update_caption (recorder);
  begin_segments (recorder);
  g_message ("Started session %" G_GINT64_FORMAT " of %s", id, cr_text_shown (canonical));
  update_on_air (recorder);
  return id;
}

static gboolean
require_state (CrRecorder *recorder, RecorderState wanted, const char *verb,
               GError **error)
{
  static const char *const names[] = { "in standby", "recording", "paused" };

  if (recorder->state == wanted)
    return TRUE;
  g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
               "Cannot %s: the room is %s%s", verb, names[recorder->state],
               recorder->state == STANDBY ? " (no session is running)" : "");
  return FALSE;
}

static gboolean
transition (CrRecorder *recorder, CrSessionState state, RecorderState next,
            const char *event, const char *detail, GError **error)
{
  GError *local_error = NULL;
  gint64 now = g_get_real_time ();

  if (!cr_segment_index_change_session_state (recorder->index, recorder->session->id,
                                              state, now, event, detail, &local_error))
    return index_failed (error, local_error);
  recorder->session->state = state;
  recorder->state = next;
  return TRUE;
}

gboolean
cr_recorder_pause (CrRecorder *recorder, const char *reason, GError **error)
{
  g_autofree char *detail = NULL;

  if (reason == NULL || !g_strv_contains (pause_reasons, reason))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Unknown pause reason '%s': expected recess, "
                   "non-public-evidence, mediation or other", reason ? reason : "");
      return FALSE;
    }
  if (!require_state (recorder, RECORDING, "pause", error))
    return FALSE;
  detail = json_detail ("reason", reason, NULL);
  if (!transition (recorder, CR_SESSION_PAUSED, PAUSED, "pause", detail, error))
    return FALSE;
  /* A session boundary for the files: the recess is not in any of them. */
  end_segments (recorder);
  g_free (recorder->pause_reason);
  recorder->pause_reason = g_strdup (reason);
  update_caption (recorder);
  cr_broadcast_set_recess (recorder->broadcast, TRUE);
  g_message ("Paused session %" G_GINT64_FORMAT ": %s", recorder->session->id,
             cr_text_shown (reason));
  return TRUE;
}

gboolean
cr_recorder_resume (CrRecorder *recorder, GError **error)
{
  if (!require_state (recorder, PAUSED, "resume", error))
    return FALSE;
  if (!transition (recorder, CR_SESSION_RECORDING, RECORDING, "resume", NULL, error))
    return FALSE;
  g_clear_pointer (&recorder->pause_reason, g_free);
  update_caption (recorder);
  begin_segments (recorder);
  cr_broadcast_set_recess (recorder->broadcast, FALSE);
  g_message ("Resumed session %" G_GINT64_FORMAT, recorder->session->id);
  return TRUE;
}

gboolean
cr_recorder_stop (CrRecorder *recorder, GError **error)
{
  gint64 id;

  if (recorder->state == STANDBY)
    return require_state (recorder, RECORDING, "stop", error);
  if (recorder->state == RECORDING)
    end_segments (recorder);
  if (!transition (recorder, CR_SESSION_STOPPED, STANDBY, "stop", NULL, error))
    return FALSE;
  id = recorder->session->id;
  if (cr_broadcast_is_on_air (recorder->broadcast))
    log_session_event (recorder, "off-air", NULL);
  /* Also when never on air: a cut made in this session ends with it. */
  cr_broadcast_go_off_air (recorder->broadcast);
  g_clear_pointer (&recorder->session, cr_session_record_free);
  g_clear_pointer (&recorder->pause_reason, g_free);
  update_caption (recorder);
  g_message ("Stopped session %" G_GINT64_FORMAT, id);
  /* Sealed now if every file is already closed (stopped while paused),
   * else when the last one closes. */
  try_seal (recorder, id);
  return TRUE;
}

gint64
cr_recorder_mark (CrRecorder *recorder, const char *text, GError **error)
{
  GError *local_error = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (text ? text : ""));
  gint64 id;

  if (*stripped == '\0')
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "A marker needs some text");
      return 0;
    }
  if (recorder->session == NULL)
    {
      require_state (recorder, RECORDING, "add a marker", error);
      return 0;
    }
  id = cr_segment_index_add_marker (recorder->index, recorder->session->id,
                                    g_get_real_time (), text, &local_error);
  if (id <= 0)
    return index_failed (error, local_error);
  return id;
}

gboolean
cr_recorder_set_layout (CrRecorder *recorder, const char *layout, GError **error)
{
  CrLayoutKind kind;
  g_autoptr (GError) capture_error = NULL;
  g_autofree char *detail = NULL;

  if (layout == NULL || !cr_layout_kind_from_string (layout, &kind))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Unknown layout '%s': expected single, pip, grid, voice or evidence",
                   layout ? layout : "");
      return FALSE;
    }
  if (!cr_capture_set_layout (recorder->capture, kind, &capture_error))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Cannot show the %s layout: %s", layout, capture_error->message);
      return FALSE;
    }
  detail = json_detail ("layout", layout, NULL);
  log_session_event (recorder, "layout", detail);
  g_message ("Layout: %s", cr_text_shown (layout));
  return TRUE;
}

/* --- state --------------------------------------------------------------- */

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
      /* JSON has no -inf: silence below the meter's range is its floor. */
      json_builder_set_member_name (b, "rms_dbfs");
      json_builder_add_double_value (b, isfinite (rms) ? rms : -200.0);
      json_builder_set_member_name (b, "peak_dbfs");
      json_builder_add_double_value (b, isfinite (peak) ? peak : -200.0);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "alarms");
  json_builder_begin_array (b);
  for (guint i = 0; i < recorder->alarms->len; i++)
    {
      Alarm *alarm = g_ptr_array_index (recorder->alarms, i);
      g_autofree char *since = cr_format_utc (alarm->since_us);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "alarm");
      json_builder_add_string_value (b, alarm->what);
      json_builder_set_member_name (b, "input");
      json_builder_add_string_value (b, alarm->input);
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
  json_builder_end_object (b);
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

  json_builder_set_member_name (b, "healthy");
  json_builder_add_boolean_value (b, cr_recorder_is_healthy (recorder));
  json_builder_set_member_name (b, "uptime_seconds");
  json_builder_add_int_value (b, (g_get_monotonic_time () - recorder->started_mono_us) /
                                 G_USEC_PER_SEC);
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
  if (recorder->session == NULL)
    return g_strdup ("standby");
  return g_strdup_printf ("%s session %" G_GINT64_FORMAT " of %s",
                          state_name (recorder->state), recorder->session->id,
                          recorder->session->case_no);
}

/* --- shutdown ------------------------------------------------------------ */

static void
finish_shutdown (CrRecorder *recorder)
{
  CrRecorderDoneFunc done = recorder->done;

  if (done == NULL)
    return;
  recorder->done = NULL;
  if (recorder->shutdown_timer != 0)
    {
      g_source_remove (recorder->shutdown_timer);
      recorder->shutdown_timer = 0;
    }
  cr_capture_stop (recorder->capture);
  done (recorder->done_data);
}

static gboolean
shutdown_timed_out (gpointer user_data)
{
  CrRecorder *recorder = user_data;

  recorder->shutdown_timer = 0;
  g_warning ("Segment files did not finish in time; stopping anyway (they are "
             "readable up to the last fragment and reconciled at the next start)");
  finish_shutdown (recorder);
  return G_SOURCE_REMOVE;
}

void
cr_recorder_shutdown (CrRecorder *recorder, guint timeout_ms,
                      CrRecorderDoneFunc done, gpointer user_data)
{
  recorder->done = done;
  recorder->done_data = user_data;

  /* The session stays "recording" in the index: a restart resumes it (a
   * stopped daemon is not a stopped hearing). */
  if (recorder->session != NULL)
    {
      g_autoptr (GError) error = NULL;
      if (cr_segment_index_add_event (recorder->index, recorder->session->id,
                                      g_get_real_time (), "daemon-stop", NULL,
                                      &error) <= 0)
        g_warning ("%s", cr_text_shown (error->message));
    }
  cr_segment_writer_end (recorder->writer);
  if (cr_segment_writer_is_idle (recorder->writer))
    {
      finish_shutdown (recorder);
      return;
    }
  recorder->shutdown_timer = g_timeout_add (timeout_ms, shutdown_timed_out, recorder);
}
