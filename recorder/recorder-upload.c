/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-upload.c: the recorder's uploaders, one per [archive NAME]
 * (uploader.h): started once the index is open, poked when a segment
 * closes, watched from the main loop for their alarms: a key file that
 * cannot be read (archive-unavailable), a backlog too old
 * (upload-overdue), a bucket whose Object Lock does not hold
 * (archive-lock-failed) and a clock too far from the store's (clock-skew,
 * after each measure logged as clock-offset). An archive's fault never
 * stops the recording. */
#include "recorder/recorder-private.h"

#include <math.h>

#include "archive/upload-queue.h"
#include "config/text.h"
#include "recorder/alarms.h"
#include "recorder/uploader.h"
#include "recorder/uploader-checks.h"

/* Often enough that the first upload after a clock measure, which waits
 * for it to be logged, hardly waits. */
#define CHECK_SECONDS 1

/* Raises @kind for @config's archive with @message while @message is not
 * NULL, and clears it when it goes. */
static void
keep_alarm (CrRecorder *recorder, CrEventKind kind, const CrArchiveConfig *config,
            const char *message, const char *cleared)
{
  gboolean standing = cr_alarms_find (recorder, kind, config->name) != NULL;

  if (message != NULL && !standing)
    cr_alarms_raise (recorder, kind, config->name, config->bucket, message);
  else if (message == NULL && standing)
    cr_alarms_clear (recorder, kind, config->name, CR_EVENT_ALARM_CLEARED, "message", cleared,
                     NULL);
}

/* A new measure of the clock goes into the log (the session's, when one
 * runs, and the journal's); beyond the threshold the alarm stands until a
 * measure within it. */
/* The measure goes into the hearing being recorded; with none (a circuit
 * laptop back after its hearings ended offline), into the newest hearing
 * still waiting for this archive, whose times that clock made: the drift
 * of a week away is then in a hearing's log, not only in the journal. */
static void
log_clock_offset (CrRecorder *recorder, const CrArchiveConfig *config, const char *detail)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) waiting = NULL;
  gint64 session_id;

  if (recorder->session != NULL)
    {
      cr_recorder_log_event (recorder, CR_EVENT_CLOCK_OFFSET, detail);
      return;
    }
  waiting = cr_upload_queue_waiting_sessions (recorder->index, config->name, &error);
  if (waiting == NULL || waiting->len == 0)
    {
      if (error != NULL)
        g_warning ("[archive %s]: %s", cr_text_shown (config->name),
                   cr_text_shown (error->message));
      return;
    }
  session_id = g_array_index (waiting, gint64, waiting->len - 1);
  if (cr_segment_index_add_event (recorder->index, session_id, g_get_real_time (),
                                  CR_EVENT_CLOCK_OFFSET, detail, &error) <= 0)
    g_warning ("Could not log the clock's offset in session %" G_GINT64_FORMAT ": %s",
               session_id, cr_text_shown (error->message));
}

static void
check_clock (CrRecorder *recorder, CrUploader *uploader, const CrArchiveConfig *config)
{
  double offset = 0;
  guint measure = 0;
  g_autofree char *skew = NULL;

  if (cr_uploader_peek_clock_offset (uploader, &offset, &measure))
    {
      gint64 now = g_get_real_time ();
      g_autofree char *local = cr_format_utc (now);
      g_autofree char *store = cr_format_utc (now + (gint64) (offset * G_USEC_PER_SEC));
      char seconds[G_ASCII_DTOSTR_BUF_SIZE], threshold[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *detail = NULL;

      g_ascii_formatd (seconds, sizeof seconds, "%.1f", offset);
      g_ascii_formatd (threshold, sizeof threshold, "%.1f", CR_UPLOADER_CLOCK_THRESHOLD_SECONDS);
      detail = cr_recorder_json_detail ("archive", config->name, "offset_seconds", seconds,
                                        "store_date", store, "local_date", local,
                                        "threshold_seconds", threshold, NULL);
      log_clock_offset (recorder, config, detail);
      g_message ("clock-offset: the archive %s's clock is %s s from this one",
                 cr_text_shown (config->name), seconds);
      /* Only now, with the event in the index, may anything be sent. */
      cr_uploader_clock_logged (uploader, measure);
    }
  if (fabs (offset) > CR_UPLOADER_CLOCK_THRESHOLD_SECONDS)
    skew = g_strdup_printf ("this clock is %+.1f s from the archive %s's (more than %.0f s): "
                            "the times of what is recorded may be off by as much",
                            -offset, config->name, CR_UPLOADER_CLOCK_THRESHOLD_SECONDS);
  keep_alarm (recorder, CR_EVENT_CLOCK_SKEW, config, skew,
              "the clock is within its threshold of the archive's");
}

static gboolean
check_alarms (gpointer user_data)
{
  CrRecorder *recorder = user_data;

  for (guint i = 0; i < recorder->uploaders->len; i++)
    {
      CrUploader *uploader = g_ptr_array_index (recorder->uploaders, i);
      const CrArchiveConfig *config = g_ptr_array_index (recorder->config->archives, i);
      gint64 age = cr_uploader_get_oldest_age_seconds (uploader);
      g_autofree char *key_problem = cr_uploader_dup_key_problem (uploader);
      g_autofree char *lock_problem = cr_uploader_dup_lock_problem (uploader);
      g_autofree char *overdue = NULL;

      if (age > (gint64) config->max_age_hours * 3600)
        overdue = g_strdup_printf (
            "the oldest of %u item(s) waiting for the archive %s has waited %" G_GINT64_FORMAT
            " h, more than %u h: its media must stay on this disk",
            cr_uploader_get_queue_length (uploader), config->name, age / 3600,
            config->max_age_hours);
      keep_alarm (recorder, CR_EVENT_ARCHIVE_UNAVAILABLE, config, key_problem,
                  "the archive's key files can be read");
      keep_alarm (recorder, CR_EVENT_UPLOAD_OVERDUE, config, overdue, "the archive caught up");
      keep_alarm (recorder, CR_EVENT_ARCHIVE_LOCK_FAILED, config, lock_problem,
                  "the bucket's Object Lock held");
      check_clock (recorder, uploader, config);
    }
  return G_SOURCE_CONTINUE;
}

void
cr_recorder_uploads_start (CrRecorder *recorder, const char *index_path)
{
  const CrConfig *config = recorder->config;

  recorder->uploaders = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_uploader_free);
  for (guint i = 0; i < config->archives->len; i++)
    {
      const CrArchiveConfig *archive = g_ptr_array_index (config->archives, i);
      g_ptr_array_add (recorder->uploaders, cr_uploader_new (archive, config->room_id, config,
                                                             index_path,
                                                             config->storage_dir));
    }
  if (recorder->uploaders->len > 0)
    recorder->upload_timer = g_timeout_add_seconds (CHECK_SECONDS, check_alarms, recorder);
}

void
cr_recorder_uploads_poke (CrRecorder *recorder)
{
  for (guint i = 0; recorder->uploaders != NULL && i < recorder->uploaders->len; i++)
    cr_uploader_poke (g_ptr_array_index (recorder->uploaders, i));
}

void
cr_recorder_uploads_stop (CrRecorder *recorder)
{
  g_clear_handle_id (&recorder->upload_timer, g_source_remove);
  g_clear_pointer (&recorder->uploaders, g_ptr_array_unref);
}

gint64
cr_recorder_uploads_queue_bytes (CrRecorder *recorder)
{
  gint64 bytes = 0;

  for (guint i = 0; recorder->uploaders != NULL && i < recorder->uploaders->len; i++)
    bytes += cr_uploader_get_queue_bytes (g_ptr_array_index (recorder->uploaders, i));
  return bytes;
}

void
cr_recorder_uploads_add_status (CrRecorder *recorder, JsonBuilder *b)
{
  json_builder_set_member_name (b, "archive");
  json_builder_begin_array (b);
  for (guint i = 0; recorder->uploaders != NULL && i < recorder->uploaders->len; i++)
    cr_uploader_add_status (g_ptr_array_index (recorder->uploaders, i), b);
  json_builder_end_array (b);
}
