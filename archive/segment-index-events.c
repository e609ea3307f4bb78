/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index-events.c: the events and markers of a session
 * (segment-index.h). */
#include "archive/segment-index-private.h"

gint64
cr_index_insert_event (CrSegmentIndex *index, gint64 session_id, gint64 at_us,
                       CrEventKind kind, const char *detail, GError **error)
{
  return cr_index_insert (index,
                          "INSERT INTO events (session_id, at, kind, detail) "
                          "VALUES (?, ?, ?, ?)", "insert an event",
                          CR_BIND (CR_VALUE_INT (session_id), CR_VALUE_UTC (at_us),
                                   CR_VALUE_TEXT (cr_event_kind_to_string (kind)),
                                   CR_VALUE_TEXT (detail)),
                          error);
}

gint64
cr_segment_index_add_event (CrSegmentIndex *index, gint64 session_id,
                            gint64 at_us, CrEventKind kind, const char *detail,
                            GError **error)
{
  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (cr_event_kind_to_string (kind) != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  return cr_index_insert_event (index, session_id, at_us, kind, detail, error);
}

typedef struct {
  gint64 session_id;
  gint64 at_us;
  const char *text;
  gint64 event_id;        /* out */
} NewMarker;

static gboolean
insert_marker (CrSegmentIndex *index, gpointer data, GError **error)
{
  NewMarker *marker = data;
  gint64 event_id;

  event_id = cr_index_insert_event (index, marker->session_id, marker->at_us,
                                    CR_EVENT_MARKER, marker->text, error);
  if (event_id == 0)
    return FALSE;
  if (cr_index_insert (index,
                       "INSERT INTO markers (session_id, event_id, at, text) "
                       "VALUES (?, ?, ?, ?)", "insert a marker",
                       CR_BIND (CR_VALUE_INT (marker->session_id),
                                CR_VALUE_INT (event_id),
                                CR_VALUE_UTC (marker->at_us),
                                CR_VALUE_TEXT (marker->text)),
                       error) == 0)
    return FALSE;
  marker->event_id = event_id;
  return TRUE;
}

gint64
cr_segment_index_add_marker (CrSegmentIndex *index, gint64 session_id,
                             gint64 at_us, const char *text, GError **error)
{
  NewMarker marker = { .session_id = session_id, .at_us = at_us, .text = text };

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (text != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!cr_index_transaction (index, insert_marker, &marker, error))
    return 0;
  return marker.event_id;
}

GPtrArray *
cr_segment_index_list_events (CrSegmentIndex *index, gint64 session_id,
                              GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) events =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_record_free);
  const char *doing = "list events";
  int rc;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = cr_index_statement (index,
                             "SELECT " CR_INDEX_EVENT_COLUMNS " FROM events "
                             "WHERE session_id = ? ORDER BY at, id", doing,
                             CR_BIND (CR_VALUE_INT (session_id)), error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrEventRecord) record = g_new0 (CrEventRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->session_id = sqlite3_column_int64 (stmt, 1);
      if (!cr_index_column_utc (index, stmt, 2, "events", &record->at_us, error))
        return NULL;
      record->kind_name = cr_index_column_text (stmt, 3);
      record->kind = cr_event_kind_from_string (record->kind_name);
      record->detail = cr_index_column_text (stmt, 4);
      g_ptr_array_add (events, g_steal_pointer (&record));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&events);
}
