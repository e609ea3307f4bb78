/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index-sessions.c: the sessions of the index (segment-index.h). */
#include "archive/segment-index-private.h"

#include <json-glib/json-glib.h>

#include "archive/chain.h"

static char *
start_event_detail (const char *case_no, const char *title, const char *by,
                    const char *hearing)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "case");
  json_builder_add_string_value (builder, case_no);
  json_builder_set_member_name (builder, "title");
  if (title != NULL)
    json_builder_add_string_value (builder, title);
  else
    json_builder_add_null_value (builder);
  if (by != NULL)
    {
      json_builder_set_member_name (builder, "by");
      json_builder_add_string_value (builder, by);
    }
  if (hearing != NULL)
    {
      json_builder_set_member_name (builder, "hearing");
      json_builder_add_string_value (builder, hearing);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

typedef struct {
  const char *room_id;
  const char *case_no;
  const char *title;
  gint64 started_us;
  const char *by;
  const char *hearing;
  gint64 session_id;      /* out */
} NewSession;

static gboolean
insert_session (CrSegmentIndex *index, gpointer data, GError **error)
{
  NewSession *new = data;
  g_autofree char *detail = NULL;
  g_autofree char *root = NULL;
  CrSessionRecord session = {
    .room_id = (char *) new->room_id, .case_no = (char *) new->case_no,
    .started_us = new->started_us,
  };

  session.id = cr_index_insert (index,
                                "INSERT INTO sessions (room_id, case_no, title, "
                                "started_at, state) VALUES (?, ?, ?, ?, 'recording')",
                                "insert a session",
                                CR_BIND (CR_VALUE_TEXT (new->room_id),
                                         CR_VALUE_TEXT (new->case_no),
                                         CR_VALUE_TEXT (new->title),
                                         CR_VALUE_UTC (new->started_us)),
                                error);
  if (session.id == 0)
    return FALSE;

  root = cr_chain_root (&session);
  if (!cr_index_run (index, "UPDATE sessions SET chain_root = ? WHERE id = ?",
                     "store the chain root of a session",
                     CR_BIND (CR_VALUE_TEXT (root), CR_VALUE_INT (session.id)),
                     error))
    return FALSE;

  detail = start_event_detail (new->case_no, new->title, new->by, new->hearing);
  if (cr_index_insert_event (index, session.id, new->started_us, CR_EVENT_START,
                             detail, error) == 0)
    return FALSE;
  new->session_id = session.id;
  return TRUE;
}

gint64
cr_segment_index_begin_session (CrSegmentIndex *index, const char *room_id,
                                const char *case_no, const char *title,
                                gint64 started_us, GError **error)
{
  return cr_segment_index_begin_session_by (index, room_id, case_no, title, started_us, NULL,
                                            error);
}

gint64
cr_segment_index_begin_session_by (CrSegmentIndex *index, const char *room_id,
                                   const char *case_no, const char *title,
                                   gint64 started_us, const char *by, GError **error)
{
  return cr_segment_index_begin_session_for (index, room_id, case_no, title, started_us, by,
                                             NULL, error);
}

gint64
cr_segment_index_begin_session_for (CrSegmentIndex *index, const char *room_id,
                                    const char *case_no, const char *title,
                                    gint64 started_us, const char *by,
                                    const char *hearing_uid, GError **error)
{
  NewSession new = {
    .room_id = room_id, .case_no = case_no, .title = title,
    .started_us = started_us, .by = by, .hearing = hearing_uid,
  };

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (room_id != NULL, 0);
  g_return_val_if_fail (case_no != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!cr_index_transaction (index, insert_session, &new, error))
    return 0;
  return new.session_id;
}

gboolean
cr_segment_index_set_session_state (CrSegmentIndex *index, gint64 session_id,
                                    CrSessionState state, gint64 at_us,
                                    GError **error)
{
  const char *state_text = cr_session_state_to_string (state);

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (state_text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* stopped_at is NULL unless stopped, so that a session reopened after a
   * stop does not carry a stale stop time. */
  if (!cr_index_run (index,
                     "UPDATE sessions SET state = ?1, "
                     "stopped_at = CASE WHEN ?1 = 'stopped' THEN ?2 END "
                     "WHERE id = ?3", "change the state of a session",
                     CR_BIND (CR_VALUE_TEXT (state_text), CR_VALUE_UTC (at_us),
                              CR_VALUE_INT (session_id)),
                     error))
    return FALSE;
  if (sqlite3_changes (index->db) == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No session %" G_GINT64_FORMAT " in '%s'", session_id,
                   index->path);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  gint64 session_id;
  CrSessionState state;
  gint64 at_us;
  CrEventKind kind;
  const char *detail;
} StateChange;

static gboolean
change_state (CrSegmentIndex *index, gpointer data, GError **error)
{
  StateChange *change = data;

  return cr_segment_index_set_session_state (index, change->session_id,
                                             change->state, change->at_us,
                                             error) &&
         cr_index_insert_event (index, change->session_id, change->at_us,
                                change->kind, change->detail, error) != 0;
}

gboolean
cr_segment_index_change_session_state (CrSegmentIndex *index, gint64 session_id,
                                       CrSessionState state, gint64 at_us,
                                       CrEventKind kind, const char *detail,
                                       GError **error)
{
  StateChange change = {
    .session_id = session_id, .state = state, .at_us = at_us, .kind = kind,
    .detail = detail,
  };

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (cr_event_kind_to_string (kind) != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* One transaction: a crash never leaves a state without its event. */
  return cr_index_transaction (index, change_state, &change, error);
}

static CrSessionRecord *
session_from_row (CrSegmentIndex *index, sqlite3_stmt *stmt, GError **error)
{
  g_autoptr (CrSessionRecord) record = g_new0 (CrSessionRecord, 1);
  const char *state = (const char *) sqlite3_column_text (stmt, 6);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->room_id = cr_index_column_text (stmt, 1);
  record->case_no = cr_index_column_text (stmt, 2);
  record->title = cr_index_column_text (stmt, 3);
  record->chain_root = cr_index_column_text (stmt, 7);
  record->chain_head = cr_index_column_text (stmt, 8);
  record->signature = cr_index_column_text (stmt, 9);
  record->public_key = cr_index_column_text (stmt, 10);
  if (!cr_index_column_utc (index, stmt, 4, "sessions", &record->started_us, error) ||
      !cr_index_column_utc (index, stmt, 5, "sessions", &record->stopped_us, error) ||
      !cr_index_column_utc (index, stmt, 11, "sessions", &record->sealed_us, error) ||
      !cr_index_column_utc (index, stmt, 12, "sessions", &record->archived_us, error) ||
      !cr_index_column_utc (index, stmt, 13, "sessions", &record->purged_us, error))
    return NULL;
  record->sealed_events = (guint) sqlite3_column_int64 (stmt, 14);
  /* The CHECK constraint keeps other values out of the table. */
  if (!cr_session_state_from_string (state, &record->state))
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                   "Session %" G_GINT64_FORMAT " in '%s' has an unknown "
                   "state '%s'", record->id, index->path,
                   state != NULL ? state : "(null)");
      return NULL;
    }
  return g_steal_pointer (&record);
}

/* The sessions @sql (CR_INDEX_SESSION_COLUMNS) selects with @values. */
static GPtrArray *
select_sessions (CrSegmentIndex *index, const char *sql, const char *doing,
                 const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GPtrArray) sessions =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_session_record_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CrSessionRecord *record = session_from_row (index, stmt, error);
      if (record == NULL)
        return NULL;
      g_ptr_array_add (sessions, record);
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&sessions);
}

CrSessionRecord *
cr_segment_index_get_session (CrSegmentIndex *index, gint64 session_id,
                              GError **error)
{
  g_autoptr (GPtrArray) sessions = NULL;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  sessions = select_sessions (index,
                              "SELECT " CR_INDEX_SESSION_COLUMNS " FROM sessions "
                              "WHERE id = ?", "read a session",
                              CR_BIND (CR_VALUE_INT (session_id)), error);
  if (sessions == NULL)
    return NULL;
  if (sessions->len == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No session %" G_GINT64_FORMAT " in '%s'", session_id,
                   index->path);
      return NULL;
    }
  return g_ptr_array_steal_index (sessions, 0);
}

GPtrArray *
cr_segment_index_list_sessions (CrSegmentIndex *index, const char *case_no,
                                GError **error)
{
  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return select_sessions (index,
                          "SELECT " CR_INDEX_SESSION_COLUMNS " FROM sessions "
                          "WHERE ?1 IS NULL OR case_no = ?1 "
                          "ORDER BY started_at, id", "list sessions",
                          CR_BIND (CR_VALUE_TEXT (case_no)), error);
}

CrSessionRecord *
cr_segment_index_find_unfinished_session (CrSegmentIndex *index,
                                          const char *room_id, GError **error)
{
  g_autoptr (GPtrArray) sessions = NULL;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (room_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Latest by id, the order sessions were begun in, rather than by
   * started_at: the clock may have been stepped back in between. */
  sessions = select_sessions (index,
                              "SELECT " CR_INDEX_SESSION_COLUMNS " FROM sessions "
                              "WHERE room_id = ? AND state IN ('recording', 'paused') "
                              "ORDER BY id DESC LIMIT 1",
                              "look for an unfinished session",
                              CR_BIND (CR_VALUE_TEXT (room_id)), error);
  if (sessions == NULL || sessions->len == 0)
    return NULL;
  return g_ptr_array_steal_index (sessions, 0);
}
