/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-upload.c: the recorder's uploaders, one per [archive NAME]
 * (uploader.h): started once the index is open, poked when a segment
 * closes, watched from the main loop for the overdue alarm. */
#include "recorder/recorder-private.h"

#include "recorder/alarms.h"
#include "recorder/uploader.h"

#define OVERDUE_CHECK_SECONDS 30

static gboolean
check_overdue (gpointer user_data)
{
  CrRecorder *recorder = user_data;

  for (guint i = 0; i < recorder->uploaders->len; i++)
    {
      CrUploader *uploader = g_ptr_array_index (recorder->uploaders, i);
      const CrArchiveConfig *config = g_ptr_array_index (recorder->config->archives, i);
      gint64 age = cr_uploader_get_oldest_age_seconds (uploader);
      gboolean overdue = age > (gint64) config->max_age_hours * 3600;
      gboolean standing = cr_alarms_find (recorder, CR_EVENT_UPLOAD_OVERDUE, config->name)
                          != NULL;

      if (overdue && !standing)
        {
          g_autofree char *message = g_strdup_printf (
              "the oldest of %u item(s) waiting for the archive %s has waited %" G_GINT64_FORMAT
              " h, more than %u h: its media must stay on this disk", cr_uploader_get_queue_length (uploader),
              config->name, age / 3600, config->max_age_hours);
          cr_alarms_raise (recorder, CR_EVENT_UPLOAD_OVERDUE, config->name, config->bucket,
                           message);
        }
      else if (!overdue && standing)
        cr_alarms_clear (recorder, CR_EVENT_UPLOAD_OVERDUE, config->name,
                         CR_EVENT_ALARM_CLEARED, "message", "the archive caught up", NULL);
    }
  return G_SOURCE_CONTINUE;
}

gboolean
cr_recorder_uploads_start (CrRecorder *recorder, const char *index_path, GError **error)
{
  const CrConfig *config = recorder->config;

  recorder->uploaders = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_uploader_free);
  for (guint i = 0; i < config->archives->len; i++)
    {
      const CrArchiveConfig *archive = g_ptr_array_index (config->archives, i);
      GError *local_error = NULL;
      CrUploader *uploader = cr_uploader_new (archive, config->room_id, index_path,
                                              config->storage_dir, &local_error);

      if (uploader == NULL)
        {
          /* A key file missing or open to all: the config's fault. */
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                       local_error->message);
          g_error_free (local_error);
          return FALSE;
        }
      g_ptr_array_add (recorder->uploaders, uploader);
    }
  if (recorder->uploaders->len > 0)
    recorder->upload_timer = g_timeout_add_seconds (OVERDUE_CHECK_SECONDS, check_overdue,
                                                    recorder);
  return TRUE;
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
