/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder.c: see recorder.h. The recorder's life (made, run, resumed
 * after a crash, shut down) and the segment files' life from the capture
 * and the writer; the session's control (start, pause, stop, the slot's
 * hand-over) is recorder-control.c's, and the alarms, the disk guard, the
 * on-air policy, the schedule and the status are in files of their own
 * (recorder-private.h). */
#include "recorder/recorder.h"

#include <sodium.h>

#include "archive/reconcile.h"
#include "archive/storage-dir.h"
#include "config/text.h"
#include "recorder/alarms.h"
#include "recorder/coverage-watch.h"
#include "recorder/disk-guard.h"
#include "recorder/log-writer.h"
#include "recorder/on-air.h"
#include "recorder/recorder-private.h"
#include "recorder/scheduler.h"
#include "recorder/sealing.h"
#include "recorder/webhook.h"

G_DEFINE_QUARK (cr-recorder-error-quark, cr_recorder_error)


void
cr_recorder_open_segment_free (OpenSegment *segment)
{
  if (segment == NULL)
    return;
  g_free (segment->relative_path);
  g_free (segment);
}

char *
cr_recorder_json_detail (const char *first_key, ...)
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

gboolean
cr_recorder_index_failed (GError **error, GError *index_error)
{
  g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED,
               "The index could not be written: %s", index_error->message);
  g_error_free (index_error);
  return FALSE;
}

void
cr_recorder_update_caption (CrRecorder *recorder)
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
    {
      __atomic_store_n (&recorder->last_video_mono_us, g_get_monotonic_time (),
                        __ATOMIC_RELAXED);
      __atomic_store_n (&recorder->video_seen, TRUE, __ATOMIC_RELAXED);
    }
  cr_segment_writer_push (recorder->writer, sample, track, running_time, utc_us);
  cr_broadcast_push (recorder->broadcast, sample, track, running_time);
}

/* An event of the current session, if there is one; alarms are also
 * logged for the operator. */
void
cr_recorder_log_event_at (CrRecorder *recorder, gint64 at_us, CrEventKind kind,
                          const char *detail)
{
  g_autoptr (GError) error = NULL;

  if (recorder->session == NULL)
    return;
  if (cr_segment_index_add_event (recorder->index, recorder->session->id, at_us, kind,
                                  detail, &error) <= 0)
    g_warning ("Could not log the event '%s': %s", cr_event_kind_to_string (kind),
               cr_text_shown (error->message));
}

void
cr_recorder_log_event (CrRecorder *recorder, CrEventKind kind, const char *detail)
{
  cr_recorder_log_event_at (recorder, g_get_real_time (), kind, detail);
}

static void
on_capture_error (const GError *error, const char *debug, gpointer user_data)
{
  CrRecorder *recorder = user_data;

  /* Recorded against the session, so the hearing's log shows it. */
  if (recorder->session != NULL)
    {
      g_autofree char *detail = cr_recorder_json_detail ("message", error->message, NULL);
      g_autoptr (GError) index_error = NULL;
      if (cr_segment_index_add_event (recorder->index, recorder->session->id,
                                      g_get_real_time (), CR_EVENT_CAPTURE_ERROR, detail,
                                      &index_error) <= 0)
        g_warning ("%s", cr_text_shown (index_error->message));
    }
}

void
cr_recorder_log_gap (CrRecorder *recorder, gint64 from_us, gint64 to_us, const char *reason)
{
  g_autofree char *from = cr_format_utc (from_us);
  g_autofree char *to = cr_format_utc (to_us);
  char seconds[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *detail = NULL;

  /* JSON's decimal point, whatever the locale. */
  g_ascii_formatd (seconds, sizeof seconds, "%.3f", (to_us - from_us) / (double) G_USEC_PER_SEC);
  detail = cr_recorder_json_detail ("from", from, "to", to, "gap_seconds", seconds,
                                    "reason", reason, NULL);
  cr_recorder_log_event (recorder, CR_EVENT_GAP, detail);
  g_warning ("Not recorded from %s to %s (%s s): %s", from, to, seconds, cr_text_shown (reason));
}

/* The writer's gap callback: capture was interrupted (segment-writer.h). */
static void
on_capture_gap (gint64 session_id, gint64 from_us, gint64 to_us, const char *reason,
                gpointer user_data)
{
  CrRecorder *recorder = user_data;

  if (recorder->session != NULL && recorder->session->id == session_id)
    cr_recorder_log_gap (recorder, from_us, to_us, reason);
}

static void
on_keyframe_wanted (gpointer user_data)
{
  CrRecorder *recorder = user_data;

  cr_capture_request_keyframe (recorder->capture);
}

static void
on_segment_opened (gint64 session_id, guint sequence, const char *relative_path,
                   gint64 started_us, gpointer user_data)
{
  CrRecorder *recorder = user_data;
  g_autoptr (GError) error = NULL;
  gint64 row;

  cr_disk_guard_open_failure_over (recorder, started_us);

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
      cr_recorder_open_segment_free (recorder->segment);
      recorder->segment = g_new0 (OpenSegment, 1);
      recorder->segment->sequence = sequence;
      recorder->segment->relative_path = g_strdup (relative_path);
      recorder->segment->started_us = started_us;
      recorder->segment->opened_mono_us = g_get_monotonic_time ();
    }
  g_message ("Recording to %s/%s", cr_text_shown (recorder->config->storage_dir),
             cr_text_shown (relative_path));
}

/* The disk filled before the file held a frame: the sink removed it, and
 * its row goes too (no row without a file, verify would call it deleted).
 * The writer reports it as open_failed next: the disk guard's gap covers
 * the time. */
static void
on_segment_withdrawn (gint64 session_id, guint sequence, const char *relative_path,
                      gpointer user_data)
{
  CrRecorder *recorder = user_data;
  g_autoptr (GError) error = NULL;
  gint64 *row = g_hash_table_lookup (recorder->segment_rows, relative_path);

  if (row != NULL && !cr_segment_index_delete_segment (recorder->index, *row, &error))
    g_warning ("The row of '%s', which holds no frame, could not be removed (it is "
               "reconciled at the next start): %s", cr_text_shown (relative_path),
               cr_text_shown (error->message));
  g_hash_table_remove (recorder->segment_rows, relative_path);
  if (recorder->segment != NULL &&
      g_strcmp0 (recorder->segment->relative_path, relative_path) == 0)
    g_clear_pointer (&recorder->segment, cr_recorder_open_segment_free);
  g_message ("No frame of %s/%s reached the disk: the file was removed",
             cr_text_shown (recorder->config->storage_dir), cr_text_shown (relative_path));
}

static void finish_shutdown (CrRecorder *recorder);

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
      cr_disk_guard_full (recorder, media_end_us);
    }
  cr_disk_guard_retry_pending_closes (recorder);

  if (write_error != NULL)
    {
      g_autofree char *detail = cr_recorder_json_detail ("path", relative_path,
                                                         "message", write_error->message, NULL);
      if (cr_segment_index_add_event (recorder->index, session_id, g_get_real_time (),
                                      CR_EVENT_SEGMENT_ERROR, detail, &error) <= 0)
        g_warning ("%s", cr_text_shown (error->message));
      g_clear_error (&error);
    }
  if (sha256 != NULL)
    {
      recorder->segments_closed++;
      recorder->recorded_closed_us += duration_us;
    }
  if (row != NULL && sha256 != NULL &&
      !cr_segment_index_close_segment (recorder->index, *row, duration_us, bytes,
                                       sha256, &error))
    {
      g_warning ("Segment '%s' could not be closed in the index (tried again "
                 "every %u s, else reconciled at the next start): %s",
                 cr_text_shown (relative_path), DISK_CHECK_SECONDS,
                 cr_text_shown (error->message));
      cr_disk_guard_add_pending_close (recorder, session_id, *row, relative_path, duration_us,
                                       bytes, sha256);
    }
  else if (recorder->session == NULL || recorder->session->id != session_id)
    cr_sealing_try (recorder, session_id);
  g_hash_table_remove (recorder->segment_rows, relative_path);
  cr_recorder_uploads_poke (recorder);

  if (recorder->segment != NULL &&
      g_strcmp0 (recorder->segment->relative_path, relative_path) == 0)
    g_clear_pointer (&recorder->segment, cr_recorder_open_segment_free);

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
    .withdrawn = on_segment_withdrawn,
    .open_failed = cr_disk_guard_on_open_failed,
    .disk_stall = cr_disk_guard_on_stall,
    .gap = on_capture_gap,
    .keyframe_wanted = on_keyframe_wanted,
  };
  GError *local_error = NULL;

  recorder->config = config;
  cr_disk_guard_init (recorder);
  recorder->segment_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  recorder->started_mono_us = g_get_monotonic_time ();
  recorder->alarms = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_alarm_free);
  /* Before anything can raise an alarm: a missing disk is one too. */
  recorder->webhooks = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_webhook_free);
  for (guint i = 0; i < config->webhooks->len; i++)
    {
      const CrWebhookConfig *webhook = g_ptr_array_index (config->webhooks, i);
      g_autofree char *secret = cr_config_load_webhook_secret (webhook, &local_error);

      if (secret == NULL)
        {
          /* The config's fault, like a stream's key file. */
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                       local_error->message);
          g_error_free (local_error);
          return NULL;
        }
      g_ptr_array_add (recorder->webhooks, cr_webhook_new (webhook, secret));
      sodium_memzero (secret, strlen (secret));
    }

  /* Before the index is opened: closed to others before anything is in it.
   * A directory others may read and that is not ours to change is the
   * machine's set-up to fix, not to be retried: INVALID. */
  if (!cr_storage_dir_prepare (config->storage_dir, &local_error))
    {
      g_set_error (error, CR_RECORDER_ERROR,
                   g_error_matches (local_error, CR_STORAGE_ERROR, CR_STORAGE_ERROR_NOT_PRIVATE)
                   ? CR_RECORDER_ERROR_INVALID : CR_RECORDER_ERROR_FAILED,
                   "%s", local_error->message);
      g_error_free (local_error);
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
  cr_sealing_init (recorder);
  cr_recorder_access_start (recorder);
  cr_recorder_uploads_start (recorder, index_path);
  if (report.recovered + report.adopted + report.missing + report.strays +
      report.unnamed > 0)
    g_message ("Reconciled the index with the disk: %u segment(s) completed from "
               "their files, %u file(s) adopted, %u row(s) without a file, %u "
               "stray file(s), %u file(s) begun without a frame removed",
               report.recovered, report.adopted, report.missing, report.strays,
               report.unnamed);

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
  cr_capture_set_input_func (recorder->capture, cr_alarms_on_input, recorder);
  recorder->silent_since_us = g_new0 (gint64, config->microphones->len);
  recorder->silent_alarmed = g_new0 (gboolean, config->microphones->len);
  cr_recorder_vod_start (recorder);
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
  if (recorder->coverage_timer != 0)
    g_source_remove (recorder->coverage_timer);
  g_clear_handle_id (&recorder->key_timer, g_source_remove);
  g_clear_pointer (&recorder->scheduler, cr_scheduler_free);
  /* Publications first: their renders belong to the queue. */
  cr_recorder_vod_stop (recorder);
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
  /* Before the index they write into. */
  cr_recorder_access_stop (recorder);
  cr_recorder_uploads_stop (recorder);
  g_clear_pointer (&recorder->index, cr_segment_index_free);
  g_clear_pointer (&recorder->key, cr_device_key_free);
  g_clear_pointer (&recorder->session, cr_session_record_free);
  g_clear_pointer (&recorder->segment, cr_recorder_open_segment_free);
  g_clear_pointer (&recorder->segment_rows, g_hash_table_unref);
  g_clear_pointer (&recorder->alarms, g_ptr_array_unref);
  /* After the capture: no alarm is raised any more. */
  g_clear_pointer (&recorder->webhooks, g_ptr_array_unref);
  g_clear_pointer (&recorder->pending_closes, g_ptr_array_unref);
  g_free (recorder->reserve_path);
  g_free (recorder->silent_since_us);
  g_free (recorder->silent_alarmed);
  g_free (recorder->pause_reason);
  g_free (recorder->session_hearing);
  g_free (recorder);
}

/* Opens the file run for the current session at the next keyframe, which
 * is asked for at once. */
void
cr_recorder_begin_segments (CrRecorder *recorder)
{
  cr_segment_writer_begin (recorder->writer, recorder->session->id,
                           recorder->next_sequence);
  cr_capture_request_keyframe (recorder->capture);
  /* Recording (again): a microphone is silent "while recording" from here. */
  cr_alarms_restart_silence (recorder);
}

/* Closes the run; the sequence goes on where the writer stopped. */
void
cr_recorder_end_segments (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;

  cr_segment_writer_end (recorder->writer);
  cr_disk_guard_open_failure_over (recorder, g_get_real_time ());
  /* The open file is being finished: status shows none from now on. */
  g_clear_pointer (&recorder->segment, cr_recorder_open_segment_free);
  /* The writer numbered files as it opened them; the next run follows on.
   * Rows are added on the main loop, when the opening is heard of: a file
   * opened a moment before a pause may have none yet, and the next run
   * must not take its number (and in the same second its name, which
   * would put the next file over it). */
  recorder->next_sequence = MAX (recorder->next_sequence,
                                 cr_segment_index_last_sequence (recorder->index,
                                                                 recorder->session->id,
                                                                 &error) + 1);
  recorder->next_sequence = MAX (recorder->next_sequence,
                                 cr_segment_writer_next_sequence (recorder->writer,
                                                                  recorder->session->id));
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
    return cr_recorder_index_failed (error, local_error);
  if (session == NULL)
    return TRUE;

  segments = cr_segment_index_list_segments (recorder->index, session->id, &local_error);
  if (segments == NULL)
    return cr_recorder_index_failed (error, local_error);
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
  detail = cr_recorder_json_detail ("from", from, "to", to,
                                    "reason", "courtrecd was not running", NULL);
  if (cr_segment_index_add_event (recorder->index, session->id, now, CR_EVENT_GAP, detail,
                                  &local_error) <= 0)
    return cr_recorder_index_failed (error, local_error);
  g_warning ("Session %" G_GINT64_FORMAT " of %s was interrupted from %s to %s; "
             "the gap is logged", session->id, cr_text_shown (session->case_no), from, to);

  recorder->session = g_steal_pointer (&session);
  cr_log_set_session (recorder->session->id, recorder->session->case_no);
  cr_alarms_log_standing (recorder, now);
  if (recorder->session->state == CR_SESSION_RECORDING)
    {
      recorder->state = RECORDING;
      cr_recorder_begin_segments (recorder);
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
          if (event->kind != CR_EVENT_PAUSE || event->detail == NULL)
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

const CrConfig *
cr_recorder_get_config (CrRecorder *recorder)
{
  return recorder->config;
}

static gboolean
coverage_tick (gpointer user_data)
{
  cr_coverage_watch_check (user_data);
  return G_SOURCE_CONTINUE;
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
  cr_recorder_update_caption (recorder);
  cr_on_air_update (recorder);
  /* Silence is counted from now, not from the epoch. */
  cr_alarms_restart_silence (recorder);
  recorder->silence_timer = g_timeout_add_seconds (1, cr_alarms_check_silence, recorder);
  cr_disk_guard_check (recorder);
  recorder->disk_timer = g_timeout_add_seconds (DISK_CHECK_SECONDS, cr_disk_guard_check, recorder);
  /* The nightly recording-rate check (courtrec coverage --nightly) files
   * its report for the daemon to raise coverage-shortfall from. */
  cr_coverage_watch_check (recorder);
  recorder->coverage_timer = g_timeout_add_seconds (60, coverage_tick, recorder);
  cr_sealing_run (recorder);
  cr_recorder_vod_resume (recorder);
  recorder->scheduler = cr_scheduler_new (recorder);
  return TRUE;
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
                                      g_get_real_time (), CR_EVENT_DAEMON_STOP, NULL,
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

GPtrArray *
cr_recorder_list_events_after (CrRecorder *recorder, gint64 session_id, gint64 after_id,
                               guint limit, GError **error)
{
  g_return_val_if_fail (recorder != NULL, NULL);
  return cr_segment_index_list_events_after (recorder->index, session_id, after_id, limit,
                                             error);
}

gint64
cr_recorder_confirm_alarms (CrRecorder *recorder, const char *by, GError **error)
{
  g_autoptr (GString) alarms = g_string_new (NULL);
  g_autofree char *detail = NULL;
  GError *index_error = NULL;
  gint64 id;

  g_return_val_if_fail (recorder != NULL, 0);
  if (recorder->session == NULL)
    {
      g_set_error_literal (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                           "No session runs: there is nothing to confirm alarms for");
      return 0;
    }
  /* "input-lost:camera2, disk-low:disk": what stood, as the status names it. */
  for (guint i = 0; i < recorder->alarms->len; i++)
    {
      CrAlarm *alarm = g_ptr_array_index (recorder->alarms, i);
      g_string_append_printf (alarms, "%s%s:%s", i > 0 ? ", " : "",
                              cr_event_kind_to_string (alarm->what), alarm->input);
    }
  detail = by != NULL ? cr_recorder_json_detail ("alarms", alarms->str, "by", by, NULL)
                      : cr_recorder_json_detail ("alarms", alarms->str, NULL);
  id = cr_segment_index_add_event (recorder->index, recorder->session->id, g_get_real_time (),
                                   CR_EVENT_ALARMS_CONFIRMED, detail, &index_error);
  if (id <= 0)
    return cr_recorder_index_failed (error, index_error);
  g_message ("Session %" G_GINT64_FORMAT " started with alarms standing, confirmed: %s",
             recorder->session->id, alarms->len > 0 ? alarms->str : "none");
  return id;
}
