/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* session-manifest.c: a sealed session's manifest for the court archive
 * (session-manifest.h). */
#include "archive/session-manifest.h"

#include <json-glib/json-glib.h>

#include "archive/utc.h"

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_time (JsonBuilder *b, const char *name, gint64 utc_us)
{
  g_autofree char *text = utc_us != 0 ? cr_format_utc (utc_us) : NULL;
  add_string (b, name, text);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

gboolean
cr_session_manifest_write (CrSegmentIndex *index, gint64 session_id, const char *path,
                           GError **error)
{
  g_autoptr (CrSessionRecord) session = cr_segment_index_get_session (index, session_id,
                                                                      error);
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) ledger = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  if (session == NULL)
    return FALSE;
  if (session->sealed_us == 0 || session->chain_head == NULL)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "session %" G_GINT64_FORMAT " is not sealed: no manifest yet", session_id);
      return FALSE;
    }
  /* Every row, those of files retention deleted too: the whole chain. */
  segments = cr_segment_index_list_chain (index, session_id, error);
  if (segments == NULL)
    return FALSE;
  ledger = cr_segment_index_list_ledger (index, session_id, error);
  if (ledger == NULL)
    return FALSE;

  json_builder_begin_object (b);
  add_string (b, "format", CR_SESSION_MANIFEST_FORMAT);
  json_builder_set_member_name (b, "session");
  json_builder_begin_object (b);
  add_int (b, "id", session->id);
  add_string (b, "room", session->room_id);
  add_string (b, "case", session->case_no);
  add_string (b, "title", session->title);
  add_time (b, "started", session->started_us);
  add_time (b, "stopped", session->stopped_us);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "seal");
  json_builder_begin_object (b);
  add_string (b, "chain_root", session->chain_root);
  add_string (b, "chain_head", session->chain_head);
  add_string (b, "signature", session->signature);
  add_string (b, "public_key", session->public_key);
  add_time (b, "sealed", session->sealed_us);
  add_int (b, "sealed_events", session->sealed_events);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "segments");
  json_builder_begin_array (b);
  for (guint i = 0; i < segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (segments, i);

      json_builder_begin_object (b);
      add_int (b, "sequence", segment->sequence);
      add_string (b, "path", segment->path);
      add_time (b, "started", segment->started_us);
      add_int (b, "duration_us", segment->duration_us);
      add_int (b, "bytes", segment->bytes);
      add_string (b, "sha256", segment->sha256);
      add_string (b, "link", segment->link);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ledger");
  json_builder_begin_array (b);
  for (guint i = 0; i < ledger->len; i++)
    {
      const CrEventRecord *event = g_ptr_array_index (ledger, i);

      json_builder_begin_object (b);
      add_int (b, "sequence", event->sequence);
      add_time (b, "at", event->at_us);
      add_string (b, "kind", event->kind_name);
      add_string (b, "detail", event->detail);
      add_string (b, "link", event->link);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);
  return g_file_set_contents_full (path, text, (gssize) length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
