/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reconcile.c: see reconcile.h. */
#include "archive/reconcile.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/digest.h"
#include "archive/media-probe.h"
#include "archive/segment-files.h"
#include "archive/segment-writer.h"
#include "config/text.h"

static char *
detail_json (const char *path, gint64 duration_us, const char *note)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  if (duration_us >= 0)
    {
      json_builder_set_member_name (builder, "duration_seconds");
      json_builder_add_double_value (builder, duration_us / (double) G_USEC_PER_SEC);
    }
  if (note != NULL)
    {
      json_builder_set_member_name (builder, "note");
      json_builder_add_string_value (builder, note);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Reads what the file holds; a file libavformat cannot open at all still
 * gets its row (duration 0) so that nothing on disk is unaccounted for. */
static gboolean
measure (const char *path, gint64 *duration_us, gint64 *bytes, char **sha256,
         GError **error)
{
  g_autoptr (GError) probe_error = NULL;

  *sha256 = cr_digest_file_sha256 (path, bytes, error);
  if (*sha256 == NULL)
    return FALSE;
  if (!cr_media_probe_duration (path, duration_us, &probe_error))
    {
      g_warning ("%s", cr_text_shown (probe_error->message));
      *duration_us = 0;
    }
  return TRUE;
}

gboolean
cr_reconcile (CrSegmentIndex *index, const char *storage_dir,
              CrReconcileReport *report, GError **error)
{
  g_autoptr (GPtrArray) rows = cr_segment_index_list_segments (index, 0, error);
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) unnamed = NULL;
  gint64 now = g_get_real_time ();

  memset (report, 0, sizeof *report);
  if (rows == NULL)
    return FALSE;

  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (storage_dir, row->path, NULL);
      gint64 duration_us, bytes;
      g_autofree char *sha256 = NULL;
      g_autofree char *detail = NULL;

      g_hash_table_add (known, row->path);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_warning ("Segment '%s' is in the index but not on disk", cr_text_shown (path));
          detail = detail_json (row->path, -1, "file not found at start-up");
          if (!cr_segment_index_add_event (index, row->session_id, now,
                                           CR_EVENT_SEGMENT_MISSING, detail, error) ||
              !cr_segment_index_delete_segment (index, row->id, error))
            return FALSE;
          report->missing++;
          continue;
        }
      if (row->closed)
        continue;
      /* Left open by a crash: the file is as far as it got. */
      if (!measure (path, &duration_us, &bytes, &sha256, error))
        return FALSE;
      detail = detail_json (row->path, duration_us, "completed from the file after a crash");
      if (!cr_segment_index_close_segment (index, row->id, duration_us, bytes,
                                           sha256, error) ||
          cr_segment_index_add_event (index, row->session_id, now,
                                      CR_EVENT_SEGMENT_RECOVERED, detail, error) <= 0)
        return FALSE;
      report->recovered++;
    }

  files = cr_segment_files_list (storage_dir);
  for (guint i = 0; i < files->len; i++)
    {
      const char *relative = g_ptr_array_index (files, i);
      g_autofree char *basename = g_path_get_basename (relative);
      g_autofree char *path = g_build_filename (storage_dir, relative, NULL);
      g_autoptr (CrSessionRecord) session = NULL;
      g_autofree char *sha256 = NULL;
      g_autofree char *detail = NULL;
      gint64 session_id, started_us, duration_us, bytes, segment_id;
      guint sequence;

      if (g_hash_table_contains (known, relative))
        continue;
      if (!cr_segment_writer_parse_name (basename, &session_id, &sequence, &started_us) ||
          (session = cr_segment_index_get_session (index, session_id, NULL)) == NULL)
        {
          g_warning ("'%s' belongs to no session in the index; left as it is", cr_text_shown (path));
          report->strays++;
          continue;
        }
      if (!measure (path, &duration_us, &bytes, &sha256, error))
        return FALSE;
      segment_id = cr_segment_index_add_segment (index, session_id, sequence,
                                                 relative, started_us, error);
      if (segment_id <= 0)
        return FALSE;
      detail = detail_json (relative, duration_us, "file found without an index row");
      if (!cr_segment_index_close_segment (index, segment_id, duration_us, bytes,
                                           sha256, error) ||
          cr_segment_index_add_event (index, session_id, now, CR_EVENT_SEGMENT_ADOPTED,
                                      detail, error) <= 0)
        return FALSE;
      report->adopted++;
    }

  /* A symbolic link is not removed: only a regular file the sink made. */
  unnamed = cr_segment_files_list_unnamed (storage_dir);
  for (guint i = 0; i < unnamed->len; i++)
    {
      g_autofree char *path = g_build_filename (storage_dir, unnamed->pdata[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_unlink (path) != 0)
        {
          g_warning ("Could not remove '%s', a segment file begun before a crash "
                     "and holding no frame", cr_text_shown (path));
          continue;
        }
      report->unnamed++;
    }
  return TRUE;
}
