/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index-events.c: the events and markers of a session, its ledger,
 * each event linked into the session's chain as it is written
 * (segment-index.h, chain.h). */
#include "archive/segment-index-private.h"

#include <json-glib/json-glib.h>

#include "archive/chain.h"
#include "config/text.h"

/* The link the next event of @session_id chains from: the link of its
 * last event, or its root. @sequence: (out) the last event's sequence, 0
 * for none. (transfer full) */
static char *
ledger_tail (CrSegmentIndex *index, gint64 session_id, guint *sequence,
             GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "read the last event of a session";
  const char *link;
  int rc;

  *sequence = 0;
  stmt = cr_index_statement (index,
                             "SELECT sequence, link FROM events WHERE session_id = ? "
                             "AND sequence IS NOT NULL ORDER BY sequence DESC LIMIT 1",
                             doing, CR_BIND (CR_VALUE_INT (session_id)), error);
  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      cr_index_fail (index, doing, error);
      return NULL;
    }
  if (rc == SQLITE_DONE)
    return cr_index_ensure_chain_root (index, session_id, error);
  *sequence = (guint) sqlite3_column_int64 (stmt, 0);
  link = (const char *) sqlite3_column_text (stmt, 1);
  if (cr_chain_is_digest (link))
    return g_strdup (link);
  /* A row someone changed by hand: the recorder still logs, from the root,
   * and verification names the broken place. */
  g_warning ("Index '%s': event #%u of session %" G_GINT64_FORMAT " has no valid "
             "chain link; the next event is linked from the session's root",
             cr_text_shown (index->path), *sequence, session_id);
  return cr_index_ensure_chain_root (index, session_id, error);
}

gint64
cr_index_insert_event (CrSegmentIndex *index, gint64 session_id, gint64 at_us,
                       CrEventKind kind, const char *detail, GError **error)
{
  g_autofree char *previous = NULL;
  g_autofree char *link = NULL;
  CrEventRecord event = {
    .session_id = session_id, .at_us = at_us, .kind = kind,
    .kind_name = (char *) cr_event_kind_to_string (kind), .detail = (char *) detail,
  };
  guint last = 0;

  previous = ledger_tail (index, session_id, &last, error);
  if (previous == NULL)
    return 0;
  event.sequence = last + 1;
  link = cr_chain_event_link (previous, &event, error);
  if (link == NULL)
    return 0;
  return cr_index_insert (index,
                          "INSERT INTO events (session_id, sequence, at, kind, detail, link) "
                          "VALUES (?, ?, ?, ?, ?, ?)", "insert an event",
                          CR_BIND (CR_VALUE_INT (session_id), CR_VALUE_INT (event.sequence),
                                   CR_VALUE_UTC (at_us), CR_VALUE_TEXT (event.kind_name),
                                   CR_VALUE_TEXT (detail), CR_VALUE_TEXT (link)),
                          error);
}

typedef struct {
  gint64 session_id;
  gint64 at_us;
  CrEventKind kind;
  const char *detail;
  gint64 event_id;        /* out */
} NewEvent;

static gboolean
insert_event (CrSegmentIndex *index, gpointer data, GError **error)
{
  NewEvent *event = data;

  event->event_id = cr_index_insert_event (index, event->session_id, event->at_us,
                                           event->kind, event->detail, error);
  return event->event_id != 0;
}

gint64
cr_segment_index_add_event (CrSegmentIndex *index, gint64 session_id,
                            gint64 at_us, CrEventKind kind, const char *detail,
                            GError **error)
{
  NewEvent event = {
    .session_id = session_id, .at_us = at_us, .kind = kind, .detail = detail,
  };

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (cr_event_kind_to_string (kind) != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  /* The link reads the last one: both under the write lock. */
  if (!cr_index_transaction (index, insert_event, &event, error))
    return 0;
  return event.event_id;
}

typedef struct {
  gint64 session_id;
  gint64 at_us;
  const char *text;
  const char *by;         /* may be NULL */
  gint64 event_id;        /* out */
} NewMarker;

static gboolean
insert_marker (CrSegmentIndex *index, gpointer data, GError **error)
{
  NewMarker *marker = data;
  g_autofree char *detail = NULL;
  gint64 event_id;

  /* Who added it goes where the chain covers it: the event's detail
   * (records.h, cr_event_marker_text). The markers row keeps the text. */
  if (marker->by != NULL)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, marker->text);
      json_builder_set_member_name (builder, "by");
      json_builder_add_string_value (builder, marker->by);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      detail = json_to_string (root, FALSE);
    }
  event_id = cr_index_insert_event (index, marker->session_id, marker->at_us,
                                    CR_EVENT_MARKER, detail != NULL ? detail : marker->text,
                                    error);
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
  return cr_segment_index_add_marker_by (index, session_id, at_us, text, NULL, error);
}

gint64
cr_segment_index_add_marker_by (CrSegmentIndex *index, gint64 session_id, gint64 at_us,
                                const char *text, const char *by, GError **error)
{
  NewMarker marker = { .session_id = session_id, .at_us = at_us, .text = text, .by = by };

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (text != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!cr_index_transaction (index, insert_marker, &marker, error))
    return 0;
  return marker.event_id;
}

/* The events @sql (CR_INDEX_EVENT_COLUMNS) selects with @values. */
static GPtrArray *
select_events (CrSegmentIndex *index, const char *sql, const char *doing,
               const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GPtrArray) events =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_record_free);
  int rc;

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
      record->sequence = (guint) sqlite3_column_int64 (stmt, 5);
      record->link = cr_index_column_text (stmt, 6);
      g_ptr_array_add (events, g_steal_pointer (&record));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&events);
}

GPtrArray *
cr_segment_index_list_events (CrSegmentIndex *index, gint64 session_id,
                              GError **error)
{
  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return select_events (index,
                        "SELECT " CR_INDEX_EVENT_COLUMNS " FROM events "
                        "WHERE session_id = ? ORDER BY at, id", "list events",
                        CR_BIND (CR_VALUE_INT (session_id)), error);
}

GPtrArray *
cr_segment_index_list_events_after (CrSegmentIndex *index, gint64 session_id,
                                    gint64 after_id, guint limit, GError **error)
{
  g_autoptr (GPtrArray) newest = NULL;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The newest @limit, read backwards by the primary key, then turned
   * round: oldest first. */
  newest = select_events (index,
                          "SELECT " CR_INDEX_EVENT_COLUMNS " FROM events "
                          "WHERE session_id = ? AND id > ? ORDER BY id DESC LIMIT ?",
                          "list the newest events",
                          CR_BIND (CR_VALUE_INT (session_id), CR_VALUE_INT (after_id),
                                   CR_VALUE_INT (limit)), error);
  if (newest == NULL)
    return NULL;
  for (guint i = 0; i < newest->len / 2; i++)
    {
      gpointer swap = newest->pdata[i];
      newest->pdata[i] = newest->pdata[newest->len - 1 - i];
      newest->pdata[newest->len - 1 - i] = swap;
    }
  return g_steal_pointer (&newest);
}

GPtrArray *
cr_index_session_ledger (CrSegmentIndex *index, gint64 session_id, GError **error)
{
  /* Rows without a sequence (written by hand) last, in the order written. */
  return select_events (index,
                        "SELECT " CR_INDEX_EVENT_COLUMNS " FROM events "
                        "WHERE session_id = ? ORDER BY sequence IS NULL, sequence, id",
                        "list the ledger of a session",
                        CR_BIND (CR_VALUE_INT (session_id)), error);
}

GPtrArray *
cr_segment_index_list_ledger (CrSegmentIndex *index, gint64 session_id,
                              GError **error)
{
  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return cr_index_session_ledger (index, session_id, error);
}

GPtrArray *
cr_segment_index_list_markers (CrSegmentIndex *index, gint64 session_id,
                               GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) markers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_marker_record_free);
  const char *doing = "list markers";
  int rc;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = cr_index_statement (index,
                             "SELECT id, session_id, event_id, at, text FROM markers "
                             "WHERE session_id = ? ORDER BY id", doing,
                             CR_BIND (CR_VALUE_INT (session_id)), error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrMarkerRecord) record = g_new0 (CrMarkerRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->session_id = sqlite3_column_int64 (stmt, 1);
      record->event_id = sqlite3_column_int64 (stmt, 2);
      if (!cr_index_column_utc (index, stmt, 3, "markers", &record->at_us, error))
        return NULL;
      record->text = cr_index_column_text (stmt, 4);
      g_ptr_array_add (markers, g_steal_pointer (&record));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&markers);
}

/* Links the ledger of @session_id from its root, every event in sequence
 * order (migration: the rows have none yet). */
static gboolean
fill_ledger (CrSegmentIndex *index, gint64 session_id, GError **error)
{
  g_autofree char *previous = cr_index_ensure_chain_root (index, session_id, error);
  g_autoptr (GPtrArray) ledger = NULL;

  if (previous == NULL)
    return FALSE;
  ledger = cr_index_session_ledger (index, session_id, error);
  if (ledger == NULL)
    return FALSE;
  for (guint i = 0; i < ledger->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (ledger, i);
      char *link = cr_chain_event_link (previous, event, error);

      if (link == NULL)
        {
          g_prefix_error (error, "Session %" G_GINT64_FORMAT ": ", session_id);
          return FALSE;
        }
      g_free (previous);
      previous = link;
      if (!cr_index_run (index, "UPDATE events SET link = ? WHERE id = ?",
                         "store an event's chain link",
                         CR_BIND (CR_VALUE_TEXT (link), CR_VALUE_INT (event->id)), error))
        return FALSE;
    }
  return TRUE;
}

gboolean
cr_index_fill_all_ledgers (CrSegmentIndex *index, GError **error)
{
  g_autoptr (GArray) ids =
      cr_index_select_ids (index, "SELECT id FROM sessions ORDER BY id",
                           "list sessions to link", CR_BIND_NONE, error);

  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      GError *chain_error = NULL;

      if (fill_ledger (index, g_array_index (ids, gint64, i), &chain_error))
        continue;
      /* As for the segments (cr_index_fill_all_chains): a row the chain
       * cannot take keeps the recorder from nothing; verification names it. */
      if (chain_error->domain != CR_CHAIN_ERROR)
        {
          g_propagate_error (error, chain_error);
          return FALSE;
        }
      g_warning ("Index '%s': %s; its events are left without chain links",
                 cr_text_shown (index->path), cr_text_shown (chain_error->message));
      g_error_free (chain_error);
    }
  return TRUE;
}
