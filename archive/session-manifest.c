/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* session-manifest.c: a sealed session's manifest for the court archive
 * (session-manifest.h). */
#include "archive/session-manifest.h"

#include <json-glib/json-glib.h>

#include "archive/json-members.h"
#include "archive/report.h"

gboolean
cr_session_manifest_write (CrSegmentIndex *index, gint64 session_id, const CrConfig *room,
                           const char *path, GError **error)
{
  g_autoptr (JsonNode) report = NULL;
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
  if (room != NULL)
    {
      g_autofree char *json = cr_report_render (index, room, session_id, CR_REPORT_JSON, error);

      if (json == NULL || (report = json_from_string (json, error)) == NULL)
        return FALSE;
    }

  json_builder_begin_object (b);
  cr_json_add_text (b, "format", CR_SESSION_MANIFEST_FORMAT);
  json_builder_set_member_name (b, "session");
  json_builder_begin_object (b);
  cr_json_add_int (b, "id", session->id);
  cr_json_add_text (b, "room", session->room_id);
  cr_json_add_text (b, "case", session->case_no);
  cr_json_add_text (b, "title", session->title);
  cr_json_add_time (b, "started", session->started_us);
  cr_json_add_time (b, "stopped", session->stopped_us);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "seal");
  json_builder_begin_object (b);
  cr_json_add_text (b, "chain_root", session->chain_root);
  cr_json_add_text (b, "chain_head", session->chain_head);
  cr_json_add_text (b, "signature", session->signature);
  cr_json_add_text (b, "public_key", session->public_key);
  cr_json_add_time (b, "sealed", session->sealed_us);
  cr_json_add_int (b, "sealed_events", session->sealed_events);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "segments");
  json_builder_begin_array (b);
  for (guint i = 0; i < segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (segments, i);

      json_builder_begin_object (b);
      cr_json_add_int (b, "sequence", segment->sequence);
      cr_json_add_text (b, "path", segment->path);
      cr_json_add_time (b, "started", segment->started_us);
      cr_json_add_int (b, "duration_us", segment->duration_us);
      cr_json_add_int (b, "bytes", segment->bytes);
      cr_json_add_text (b, "sha256", segment->sha256);
      cr_json_add_text (b, "link", segment->link);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ledger");
  json_builder_begin_array (b);
  for (guint i = 0; i < ledger->len; i++)
    {
      const CrEventRecord *event = g_ptr_array_index (ledger, i);

      json_builder_begin_object (b);
      cr_json_add_int (b, "sequence", event->sequence);
      cr_json_add_time (b, "at", event->at_us);
      cr_json_add_text (b, "kind", event->kind_name);
      cr_json_add_text (b, "detail", event->detail);
      cr_json_add_text (b, "link", event->link);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (report != NULL)
    {
      json_builder_set_member_name (b, "report");
      json_builder_add_value (b, g_steal_pointer (&report));
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);
  return g_file_set_contents_full (path, text, (gssize) length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
