/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk-guard.c: see disk-guard.h. */
#include "recorder/disk-guard.h"

#include "archive/disk-space.h"
#include "config/text.h"
#include "recorder/alarms.h"
#include "recorder/recorder-private.h"
#include "recorder/sealing.h"

/* Disk policy (design.md, "Faults"): an alarm when less than two hours of
 * recording fit, no new session when less than ten minutes do (see
 * disk-guard.h), and after the disk filled up, recording goes on once a
 * few minutes fit again. */
#define DISK_LOW_SECONDS (2 * 3600)
#define DISK_START_SECONDS (10 * 60)
#define DISK_RESUME_SECONDS (5 * 60)
/* Kept allocated on the storage disk and deleted at ENOSPC, so that the
 * index can still close the rows of what was written (a few pages of WAL
 * per row) while the disk is otherwise full. */
#define DISK_RESERVE_NAME "disk-reserve"
#define DISK_RESERVE_BYTES (1024 * 1024)

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

void
cr_disk_guard_init (CrRecorder *recorder)
{
  const CrConfig *config = recorder->config;

  recorder->bytes_per_second = cr_disk_space_bytes_per_second (
      config->video_bitrate_kbps, config->audio_bitrate_kbps, config->microphones->len,
      g_strcmp0 (config->tracks, "mix+each") == 0,
      g_strcmp0 (config->track_codec, "flac") == 0);
  recorder->reserve_path = g_build_filename (config->storage_dir, DISK_RESERVE_NAME, NULL);
  recorder->pending_closes = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_close_free);
}

static char *
disk_message (CrRecorder *recorder)
{
  g_autofree char *free_text = cr_disk_space_format_bytes (recorder->disk_free_bytes);
  g_autofree char *left = cr_disk_space_format_seconds (recorder->disk_seconds_left);

  gint64 backlog = cr_recorder_uploads_queue_bytes (recorder);
  g_autofree char *backlog_text = backlog > 0 ? cr_disk_space_format_bytes (backlog) : NULL;

  /* What waits for the archive cannot be freed by retention: room is made
   * only once the archive has it. */
  return g_strdup_printf ("%s free on '%s': about %s of recording at %.0f kbit/s%s%s%s",
                          free_text, recorder->config->storage_dir, left,
                          recorder->bytes_per_second * 8 / 1000,
                          backlog_text != NULL ? "; " : "",
                          backlog_text != NULL ? backlog_text : "",
                          backlog_text != NULL ? " wait for the archive and cannot be freed "
                                                 "by retention until it has them" : "");
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

void
cr_disk_guard_add_pending_close (CrRecorder *recorder, gint64 session_id, gint64 row,
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


/* Closes the rows that could not be closed before, oldest first; stops at
 * the first that still cannot. */
void
cr_disk_guard_retry_pending_closes (CrRecorder *recorder)
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
        cr_sealing_try (recorder, session_id);
    }
}

/* The disk ran full while a segment was being written: the writer holds
 * (it opens no file until released), the reserve goes so that the index
 * can be written, and the operator hears of it. */
void
cr_disk_guard_full (CrRecorder *recorder, gint64 media_end_us)
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
  cr_alarms_raise (recorder, CR_EVENT_DISK_FULL, "disk", recorder->config->storage_dir, message);
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
  cr_segment_writer_release (recorder->writer);
  if (recorder->state == RECORDING)
    {
      g_autofree char *gap = cr_recorder_json_detail ("from", from, "to", to,
                                                      "reason", "the disk was full", NULL);
      cr_recorder_log_event (recorder, CR_EVENT_GAP, gap);
      cr_alarms_clear (recorder, CR_EVENT_DISK_FULL, "disk", CR_EVENT_RECORDING_RESUMED, "after", "disk-full",
                       "from", from, "to", to, "gap_seconds", seconds, "message", message,
                       NULL);
      cr_capture_request_keyframe (recorder->capture);
      g_warning ("Session %" G_GINT64_FORMAT " was not recorded from %s to %s (the "
                 "disk was full); recording goes on: %s", recorder->session->id,
                 from, to, cr_text_shown (message));
    }
  else
    {
      cr_alarms_clear (recorder, CR_EVENT_DISK_FULL, "disk", CR_EVENT_ALARM_CLEARED, "message", message, NULL);
      g_message ("The disk has room again: %s", cr_text_shown (message));
    }
}

/* Every DISK_CHECK_SECONDS and at start. */
gboolean
cr_disk_guard_check (gpointer user_data)
{
  CrRecorder *recorder = user_data;
  CrAlarm *low;

  cr_disk_guard_retry_pending_closes (recorder);
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

  low = cr_alarms_find (recorder, CR_EVENT_DISK_LOW, "disk");
  if (recorder->disk_seconds_left < DISK_LOW_SECONDS)
    {
      g_autofree char *message = disk_message (recorder);
      if (low == NULL)
        cr_alarms_raise (recorder, CR_EVENT_DISK_LOW, "disk", recorder->config->storage_dir, message);
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
      cr_alarms_clear (recorder, CR_EVENT_DISK_LOW, "disk", CR_EVENT_DISK_OK, "message", message, NULL);
      g_message ("Disk space is enough again: %s", cr_text_shown (message));
    }
  return G_SOURCE_CONTINUE;
}

gboolean
cr_disk_guard_allows_start (CrRecorder *recorder, GError **error)
{
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
      return FALSE;
    }
  if (recorder->disk_full_since_us != 0)
    {
      /* Room again before the 10 s check noticed: a new session, no gap. */
      recorder->disk_full_since_us = 0;
      cr_alarms_clear (recorder, CR_EVENT_DISK_FULL, "disk", CR_EVENT_ALARM_CLEARED, NULL);
      make_reserve (recorder);
      cr_segment_writer_release (recorder->writer);
    }
  return TRUE;
}

void
cr_disk_guard_on_stall (gboolean stalled, gint64 lag_us, const char *relative_path,
                        gpointer user_data)
{
  CrRecorder *recorder = user_data;
  CrAlarm *alarm = cr_alarms_find (recorder, CR_EVENT_DISK_STALL, "disk");

  if (stalled && alarm == NULL)
    {
      g_autofree char *message = g_strdup_printf (
          "The disk of '%s' is not keeping up: %.1f s of recording wait in memory to be "
          "written; capture goes on", recorder->config->storage_dir,
          lag_us / (double) G_USEC_PER_SEC);
      cr_alarms_raise (recorder, CR_EVENT_DISK_STALL, "disk", recorder->config->storage_dir, message);
    }
  else if (!stalled && alarm != NULL)
    {
      cr_alarms_clear (recorder, CR_EVENT_DISK_STALL, "disk", CR_EVENT_DISK_OK, NULL);
      g_message ("The disk of '%s' has caught up", cr_text_shown (recorder->config->storage_dir));
    }
}

void
cr_disk_guard_on_open_failed (gint64 session_id, guint sequence, const char *relative_path,
                              gint64 started_us, const GError *error, gpointer user_data)
{
  CrRecorder *recorder = user_data;
  const char *why = error != NULL ? error->message : "unknown error";
  g_autofree char *detail = NULL;
  g_autofree char *message = NULL;

  /* A file that the full disk left without a frame: the disk is full, not
   * the directory closed; the disk-full alarm and its gap say so. */
  if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT))
    {
      cr_disk_guard_full (recorder, started_us);
      return;
    }
  if (recorder->open_failed_since_us != 0)
    return;  /* standing: each keyframe tries again */
  recorder->open_failed_since_us = started_us;
  detail = cr_recorder_json_detail ("path", relative_path, "message", why, NULL);
  cr_recorder_log_event (recorder, CR_EVENT_SEGMENT_OPEN_FAILED, detail);
  message = g_strdup_printf ("Segment files cannot be created in '%s' (%s): recording is "
                             "lost until they can", recorder->config->storage_dir, why);
  cr_alarms_raise (recorder, CR_EVENT_SEGMENT_OPEN_FAILED, "disk", recorder->config->storage_dir,
                   message);
}

void
cr_disk_guard_open_failure_over (CrRecorder *recorder, gint64 until_us)
{
  if (recorder->open_failed_since_us == 0)
    return;
  cr_recorder_log_gap (recorder, recorder->open_failed_since_us, until_us,
                       "no segment file could be created");
  cr_alarms_clear (recorder, CR_EVENT_SEGMENT_OPEN_FAILED, "disk", CR_EVENT_ALARM_CLEARED, NULL);
  recorder->open_failed_since_us = 0;
}
