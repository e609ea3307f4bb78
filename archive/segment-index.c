/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index.c: see segment-index.h. */
#include "archive/segment-index.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "archive/chain.h"
#include "config/text.h"

G_DEFINE_QUARK (cr-index-error-quark, cr_index_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

struct CrSegmentIndex {
  sqlite3 *db;
  char *path;
};

/* Each step brings the schema from version N (its position) to N + 1; the
 * file's PRAGMA user_version says how many have been applied. To change the
 * schema, append a step: never edit one that has shipped, because files
 * written by older programs are brought up to date by replaying the steps
 * that follow their version.
 *
 * segments has no separate index on session_id: the index SQLite builds for
 * UNIQUE (session_id, sequence) starts with session_id and serves those
 * lookups already; a second one would only cost every insert. */
static const char *const schema_steps[] = {
  /* 0 -> 1 */
  "CREATE TABLE sessions ("
  "  id INTEGER PRIMARY KEY,"
  "  room_id TEXT NOT NULL,"
  "  case_no TEXT NOT NULL,"
  "  title TEXT,"
  "  started_at TEXT NOT NULL,"
  "  stopped_at TEXT,"
  "  state TEXT NOT NULL"
  "    CHECK (state IN ('recording', 'paused', 'stopped'))"
  ");"
  "CREATE INDEX sessions_case_no ON sessions (case_no);"
  "CREATE TABLE segments ("
  "  id INTEGER PRIMARY KEY,"
  "  session_id INTEGER NOT NULL REFERENCES sessions (id),"
  "  sequence INTEGER NOT NULL CHECK (sequence > 0),"
  "  path TEXT NOT NULL UNIQUE,"
  "  started_at TEXT NOT NULL,"
  "  duration_us INTEGER NOT NULL DEFAULT 0,"
  "  bytes INTEGER NOT NULL DEFAULT 0,"
  "  sha256 TEXT,"
  "  closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),"
  "  UNIQUE (session_id, sequence)"
  ");"
  "CREATE TABLE events ("
  "  id INTEGER PRIMARY KEY,"
  "  session_id INTEGER NOT NULL REFERENCES sessions (id),"
  "  at TEXT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  detail TEXT"
  ");"
  "CREATE INDEX events_session_id ON events (session_id);"
  "CREATE TABLE markers ("
  "  id INTEGER PRIMARY KEY,"
  "  session_id INTEGER NOT NULL REFERENCES sessions (id),"
  "  event_id INTEGER NOT NULL REFERENCES events (id),"
  "  at TEXT NOT NULL,"
  "  text TEXT NOT NULL"
  ");",

  /* 1 -> 2: the integrity chain (chain.h), seals, and the court's archive
   * marks. Links of rows written by version 1 are filled in by
   * fill_all_chains() after this step, in the same transaction: SQL has no
   * SHA-256. purged_segments keeps the rows of files that retention deleted,
   * out of the way of start-up reconciliation (which drops a row whose file
   * is gone) but still there to check the chain and its signature. */
  "ALTER TABLE sessions ADD COLUMN chain_root TEXT;"
  "ALTER TABLE sessions ADD COLUMN chain_head TEXT;"
  "ALTER TABLE sessions ADD COLUMN signature TEXT;"
  "ALTER TABLE sessions ADD COLUMN public_key TEXT;"
  "ALTER TABLE sessions ADD COLUMN sealed_at TEXT;"
  "ALTER TABLE sessions ADD COLUMN archived_at TEXT;"
  "ALTER TABLE sessions ADD COLUMN purged_at TEXT;"
  "ALTER TABLE segments ADD COLUMN link TEXT;"
  "CREATE TABLE purged_segments ("
  "  id INTEGER PRIMARY KEY,"
  "  session_id INTEGER NOT NULL REFERENCES sessions (id),"
  "  sequence INTEGER NOT NULL,"
  "  path TEXT NOT NULL,"
  "  started_at TEXT NOT NULL,"
  "  duration_us INTEGER NOT NULL,"
  "  bytes INTEGER NOT NULL,"
  "  sha256 TEXT,"
  "  closed INTEGER NOT NULL,"
  "  link TEXT,"
  "  UNIQUE (session_id, sequence)"
  ");",

  /* 2 -> 3: the court's broadcast decisions, per case (SPC 2010 rules: a
   * case is approved for broadcast once, or marked non-public). Rows are
   * never changed or deleted: the table is the decisions' record. */
  "CREATE TABLE broadcast_decisions ("
  "  id INTEGER PRIMARY KEY,"
  "  case_no TEXT NOT NULL,"
  "  decision TEXT NOT NULL CHECK (decision IN ('approved', 'forbidden')),"
  "  at TEXT NOT NULL,"
  "  decided_by TEXT,"
  "  reason TEXT"
  ");"
  "CREATE INDEX broadcast_decisions_case_no ON broadcast_decisions (case_no);",
};

#define SCHEMA_VERSION ((gint) G_N_ELEMENTS (schema_steps))

/* 5 s: a reader's snapshot or a checkpoint may hold the lock briefly; the
 * writer waits rather than failing to record a row. */
#define BUSY_TIMEOUT_MS 5000

#define SESSION_COLUMNS \
  "id, room_id, case_no, title, started_at, stopped_at, state, chain_root, " \
  "chain_head, signature, public_key, sealed_at, archived_at, purged_at"
#define SEGMENT_COLUMNS \
  "id, session_id, sequence, path, started_at, duration_us, bytes, sha256, " \
  "closed, link"
#define EVENT_COLUMNS "id, session_id, at, kind, detail"

static gboolean
set_sqlite_error (CrSegmentIndex *index, const char *doing, GError **error)
{
  g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
               "Failed to %s: %s", doing, sqlite3_errmsg (index->db));
  return FALSE;
}

/* Turns the result of a sqlite3 call into a GError. */
static gboolean
check (CrSegmentIndex *index, int rc, const char *doing, GError **error)
{
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  return set_sqlite_error (index, doing, error);
}

static gboolean
exec (CrSegmentIndex *index, const char *sql, const char *doing, GError **error)
{
  return check (index, sqlite3_exec (index->db, sql, NULL, NULL, NULL), doing,
                error);
}

static sqlite3_stmt *
prepare (CrSegmentIndex *index, const char *sql, const char *doing,
         GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (index->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (index, doing, error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* Runs @stmt to completion when it returns no rows. */
static gboolean
step_done (CrSegmentIndex *index, sqlite3_stmt *stmt, const char *doing,
           GError **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_sqlite_error (index, doing, error);
  return TRUE;
}

/* Runs @sql, which takes one id parameter and returns no rows. */
static gboolean
exec_with_id (CrSegmentIndex *index, const char *sql, gint64 id,
              const char *doing, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (index, sql, doing, error);

  if (stmt == NULL)
    return FALSE;
  return check (index, sqlite3_bind_int64 (stmt, 1, id), doing, error) &&
         step_done (index, stmt, doing, error);
}

static int
bind_text (sqlite3_stmt *stmt, int column, const char *text)
{
  if (text == NULL)
    return sqlite3_bind_null (stmt, column);
  return sqlite3_bind_text (stmt, column, text, -1, SQLITE_TRANSIENT);
}

static int
bind_utc (sqlite3_stmt *stmt, int column, gint64 utc_us)
{
  g_autofree char *text = cr_format_utc (utc_us);
  return bind_text (stmt, column, text);
}

static gboolean
column_utc (CrSegmentIndex *index, sqlite3_stmt *stmt, int column,
            const char *table, gint64 *utc_us, GError **error)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  if (text == NULL)
    {
      *utc_us = 0;
      return TRUE;
    }
  if (!cr_parse_utc (text, utc_us))
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                   "Row %" G_GINT64_FORMAT " of %s in '%s' has a malformed "
                   "time '%s' in %s",
                   (gint64) sqlite3_column_int64 (stmt, 0), table, index->path,
                   text, sqlite3_column_name (stmt, column));
      return FALSE;
    }
  return TRUE;
}

static char *
column_strdup (sqlite3_stmt *stmt, int column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Every write that touches more than one row takes the write lock up front
 * (IMMEDIATE), so that it cannot fail halfway with SQLITE_BUSY. */
static gboolean
transaction_begin (CrSegmentIndex *index, GError **error)
{
  return exec (index, "BEGIN IMMEDIATE", "begin a transaction", error);
}

static gboolean
transaction_commit (CrSegmentIndex *index, GError **error)
{
  return exec (index, "COMMIT", "commit a transaction", error);
}

static void
transaction_rollback (CrSegmentIndex *index)
{
  /* The error that brought us here is the one worth reporting; SQLite may
   * also have rolled back by itself already (after SQLITE_FULL, say). */
  if (!sqlite3_get_autocommit (index->db))
    sqlite3_exec (index->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The first column of the first row of @sql, for pragmas. The statement is
 * finalized before returning: a statement left mid-step holds a read
 * transaction, and SQLite refuses to change the journal mode under one. */
static gboolean
query_text (CrSegmentIndex *index, const char *sql, const char *doing,
            char **text, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (index, sql, doing, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return set_sqlite_error (index, doing, error);
  *text = column_strdup (stmt, 0);
  return TRUE;
}

static gboolean
read_user_version (CrSegmentIndex *index, gint *version, GError **error)
{
  g_autofree char *text = NULL;

  if (!query_text (index, "PRAGMA user_version", "read the schema version",
                   &text, error))
    return FALSE;
  *version = (gint) g_ascii_strtoll (text != NULL ? text : "0", NULL, 10);
  return TRUE;
}

static gboolean
check_version_known (CrSegmentIndex *index, gint version, GError **error)
{
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_VERSION,
                   "schema version %d is newer than this program's (%d)",
                   version, SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean fill_all_chains (CrSegmentIndex *index, GError **error);

static gboolean
migrate_locked (CrSegmentIndex *index, GError **error)
{
  gint version = 0;
  g_autofree char *set_version = NULL;

  /* Read again under the write lock: another writer may have migrated
   * between our first look and now. */
  if (!read_user_version (index, &version, error))
    return FALSE;
  if (!check_version_known (index, version, error))
    return FALSE;

  for (gint step = version; step < SCHEMA_VERSION; step++)
    {
      g_autofree char *doing =
          g_strdup_printf ("migrate the schema from version %d to %d", step,
                           step + 1);
      if (!exec (index, schema_steps[step], doing, error))
        return FALSE;
    }
  /* Version 2 brought the chain: link what version 1 recorded. */
  if (version < 2 && !fill_all_chains (index, error))
    return FALSE;

  if (version == SCHEMA_VERSION)
    return TRUE;
  set_version = g_strdup_printf ("PRAGMA user_version = %d", SCHEMA_VERSION);
  return exec (index, set_version, "set the schema version", error);
}

static gboolean
migrate (CrSegmentIndex *index, GError **error)
{
  if (!transaction_begin (index, error))
    return FALSE;
  if (!migrate_locked (index, error))
    {
      transaction_rollback (index);
      return FALSE;
    }
  return transaction_commit (index, error);
}

static gboolean
configure_writer (CrSegmentIndex *index, GError **error)
{
  g_autofree char *mode = NULL;

  /* WAL lets courtrec read while courtrecd writes. The pragma answers with
   * the mode in force, which is not WAL when the file system cannot do it
   * (no shared memory on some network mounts): say so rather than run in a
   * mode where every reader blocks the recorder. */
  if (!query_text (index, "PRAGMA journal_mode = WAL",
                   "switch to write-ahead logging", &mode, error))
    return FALSE;
  if (g_ascii_strcasecmp (mode != NULL ? mode : "", "wal") != 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                   "Failed to switch to write-ahead logging: the journal "
                   "mode stayed '%s'", mode != NULL ? mode : "");
      return FALSE;
    }

  /* FULL, said here rather than left to how SQLite was built: in WAL mode
   * NORMAL syncs only at checkpoints, so the last transactions can vanish in
   * a power cut after we acknowledged them. For a court record an
   * acknowledged row must survive. */
  return exec (index, "PRAGMA synchronous = FULL",
               "set synchronous mode", error);
}

CrSegmentIndex *
cr_segment_index_open (const char *path, gboolean read_only, GError **error)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  int flags;
  int rc;
  gint version = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  index = g_new0 (CrSegmentIndex, 1);
  index->path = g_strdup (path);

  flags = read_only ? SQLITE_OPEN_READONLY
                    : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  rc = sqlite3_open_v2 (path, &index->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      if (read_only && !g_file_test (path, G_FILE_TEST_EXISTS))
        g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                     "Failed to open index '%s': no such file", path);
      else
        g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                     "Failed to open index '%s': %s", path,
                     index->db != NULL ? sqlite3_errmsg (index->db)
                                       : sqlite3_errstr (rc));
      return NULL;
    }

  if (!check (index, sqlite3_busy_timeout (index->db, BUSY_TIMEOUT_MS),
              "set the busy timeout", error))
    return NULL;
  if (!exec (index, "PRAGMA foreign_keys = ON", "enable foreign keys", error))
    return NULL;

  /* SQLite opens lazily: this first read is where a file that is not a
   * database is found out. Check the version before touching the file, so
   * that a newer program's index is left exactly as it was. */
  if (!read_user_version (index, &version, error))
    {
      g_prefix_error (error, "Index '%s': ", path);
      return NULL;
    }
  if (!check_version_known (index, version, error))
    {
      g_prefix_error (error, "Index '%s': ", path);
      return NULL;
    }

  if (read_only)
    {
      if (version < SCHEMA_VERSION)
        {
          g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                       "Index '%s' has schema version %d, not %d; courtrecd "
                       "brings it up to date when it opens it for writing",
                       path, version, SCHEMA_VERSION);
          return NULL;
        }
      return g_steal_pointer (&index);
    }

  if (!configure_writer (index, error) || !migrate (index, error))
    {
      g_prefix_error (error, "Index '%s': ", path);
      return NULL;
    }
  return g_steal_pointer (&index);
}

void
cr_segment_index_free (CrSegmentIndex *index)
{
  if (index == NULL)
    return;
  /* Every statement is finalized where it was prepared, so close cannot be
   * refused as busy. */
  sqlite3_close (index->db);
  g_free (index->path);
  g_free (index);
}

const char *
cr_session_state_to_string (CrSessionState state)
{
  switch (state)
    {
    case CR_SESSION_RECORDING:
      return "recording";
    case CR_SESSION_PAUSED:
      return "paused";
    case CR_SESSION_STOPPED:
      return "stopped";
    }
  return NULL;
}

gboolean
cr_session_state_from_string (const char *text, CrSessionState *state)
{
  static const CrSessionState all[] = {
    CR_SESSION_RECORDING, CR_SESSION_PAUSED, CR_SESSION_STOPPED,
  };

  g_return_val_if_fail (state != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    if (g_str_equal (text, cr_session_state_to_string (all[i])))
      {
        *state = all[i];
        return TRUE;
      }
  return FALSE;
}

/* Sessions */

static char *
start_event_detail (const char *case_no, const char *title)
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
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static gint64
insert_event (CrSegmentIndex *index, gint64 session_id, gint64 at_us,
              const char *kind, const char *detail, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "insert an event";
  int rc;

  stmt = prepare (index,
                  "INSERT INTO events (session_id, at, kind, detail) "
                  "VALUES (?, ?, ?, ?)", doing, error);
  if (stmt == NULL)
    return 0;
  rc = sqlite3_bind_int64 (stmt, 1, session_id);
  if (rc == SQLITE_OK)
    rc = bind_utc (stmt, 2, at_us);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 3, kind);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 4, detail);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error))
    return 0;
  return sqlite3_last_insert_rowid (index->db);
}

static gboolean
set_chain_root (CrSegmentIndex *index, gint64 session_id, const char *root,
                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "store the chain root of a session";
  int rc;

  stmt = prepare (index, "UPDATE sessions SET chain_root = ? WHERE id = ?",
                  doing, error);
  if (stmt == NULL)
    return FALSE;
  rc = bind_text (stmt, 1, root);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 2, session_id);
  return check (index, rc, doing, error) && step_done (index, stmt, doing, error);
}

static gint64
insert_session (CrSegmentIndex *index, const char *room_id,
                const char *case_no, const char *title, gint64 started_us,
                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *detail = NULL;
  const char *doing = "insert a session";
  gint64 session_id;
  int rc;

  stmt = prepare (index,
                  "INSERT INTO sessions (room_id, case_no, title, started_at, "
                  "state) VALUES (?, ?, ?, ?, 'recording')", doing, error);
  if (stmt == NULL)
    return 0;
  rc = bind_text (stmt, 1, room_id);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 2, case_no);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 3, title);
  if (rc == SQLITE_OK)
    rc = bind_utc (stmt, 4, started_us);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error))
    return 0;
  session_id = sqlite3_last_insert_rowid (index->db);

  {
    CrSessionRecord session = {
      .id = session_id, .room_id = (char *) room_id,
      .case_no = (char *) case_no, .started_us = started_us,
    };
    g_autofree char *root = cr_chain_root (&session);
    if (!set_chain_root (index, session_id, root, error))
      return 0;
  }

  detail = start_event_detail (case_no, title);
  if (insert_event (index, session_id, started_us, "start", detail, error) == 0)
    return 0;
  return session_id;
}

gint64
cr_segment_index_begin_session (CrSegmentIndex *index, const char *room_id,
                                const char *case_no, const char *title,
                                gint64 started_us, GError **error)
{
  gint64 session_id;

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (room_id != NULL, 0);
  g_return_val_if_fail (case_no != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!transaction_begin (index, error))
    return 0;
  session_id = insert_session (index, room_id, case_no, title, started_us,
                               error);
  if (session_id == 0 || !transaction_commit (index, error))
    {
      transaction_rollback (index);
      return 0;
    }
  return session_id;
}

gboolean
cr_segment_index_set_session_state (CrSegmentIndex *index, gint64 session_id,
                                    CrSessionState state, gint64 at_us,
                                    GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "change the state of a session";
  const char *state_text = cr_session_state_to_string (state);
  int rc;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (state_text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* stopped_at is NULL unless stopped, so that a session reopened after a
   * stop does not carry a stale stop time. */
  stmt = prepare (index,
                  "UPDATE sessions SET state = ?1, "
                  "stopped_at = CASE WHEN ?1 = 'stopped' THEN ?2 END "
                  "WHERE id = ?3", doing, error);
  if (stmt == NULL)
    return FALSE;
  rc = bind_text (stmt, 1, state_text);
  if (rc == SQLITE_OK)
    rc = bind_utc (stmt, 2, at_us);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 3, session_id);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error))
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

gboolean
cr_segment_index_change_session_state (CrSegmentIndex *index, gint64 session_id,
                                       CrSessionState state, gint64 at_us,
                                       const char *kind, const char *detail,
                                       GError **error)
{
  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (kind != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* One transaction: a crash never leaves a state without its event. */
  if (!transaction_begin (index, error))
    return FALSE;
  if (!cr_segment_index_set_session_state (index, session_id, state, at_us, error) ||
      insert_event (index, session_id, at_us, kind, detail, error) == 0 ||
      !transaction_commit (index, error))
    {
      transaction_rollback (index);
      return FALSE;
    }
  return TRUE;
}

static CrSessionRecord *
session_from_row (CrSegmentIndex *index, sqlite3_stmt *stmt, GError **error)
{
  g_autoptr (CrSessionRecord) record = g_new0 (CrSessionRecord, 1);
  const char *state = (const char *) sqlite3_column_text (stmt, 6);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->room_id = column_strdup (stmt, 1);
  record->case_no = column_strdup (stmt, 2);
  record->title = column_strdup (stmt, 3);
  record->chain_root = column_strdup (stmt, 7);
  record->chain_head = column_strdup (stmt, 8);
  record->signature = column_strdup (stmt, 9);
  record->public_key = column_strdup (stmt, 10);
  if (!column_utc (index, stmt, 4, "sessions", &record->started_us, error) ||
      !column_utc (index, stmt, 5, "sessions", &record->stopped_us, error) ||
      !column_utc (index, stmt, 11, "sessions", &record->sealed_us, error) ||
      !column_utc (index, stmt, 12, "sessions", &record->archived_us, error) ||
      !column_utc (index, stmt, 13, "sessions", &record->purged_us, error))
    return NULL;
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

/* Reads the sessions @stmt selects (SESSION_COLUMNS). */
static GPtrArray *
collect_sessions (CrSegmentIndex *index, sqlite3_stmt *stmt, const char *doing,
                  GError **error)
{
  g_autoptr (GPtrArray) sessions =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_session_record_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CrSessionRecord *record = session_from_row (index, stmt, error);
      if (record == NULL)
        return NULL;
      g_ptr_array_add (sessions, record);
    }
  if (!check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&sessions);
}

CrSessionRecord *
cr_segment_index_get_session (CrSegmentIndex *index, gint64 session_id,
                              GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  const char *doing = "read a session";

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = prepare (index,
                  "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?",
                  doing, error);
  if (stmt == NULL)
    return NULL;
  if (!check (index, sqlite3_bind_int64 (stmt, 1, session_id), doing, error))
    return NULL;
  sessions = collect_sessions (index, stmt, doing, error);
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
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "list sessions";

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = prepare (index,
                  "SELECT " SESSION_COLUMNS " FROM sessions "
                  "WHERE ?1 IS NULL OR case_no = ?1 "
                  "ORDER BY started_at, id", doing, error);
  if (stmt == NULL)
    return NULL;
  if (!check (index, bind_text (stmt, 1, case_no), doing, error))
    return NULL;
  return collect_sessions (index, stmt, doing, error);
}

CrSessionRecord *
cr_segment_index_find_unfinished_session (CrSegmentIndex *index,
                                          const char *room_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  const char *doing = "look for an unfinished session";

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (room_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Latest by id, the order sessions were begun in, rather than by
   * started_at: the clock may have been stepped back in between. */
  stmt = prepare (index,
                  "SELECT " SESSION_COLUMNS " FROM sessions "
                  "WHERE room_id = ? AND state IN ('recording', 'paused') "
                  "ORDER BY id DESC LIMIT 1", doing, error);
  if (stmt == NULL)
    return NULL;
  if (!check (index, bind_text (stmt, 1, room_id), doing, error))
    return NULL;
  sessions = collect_sessions (index, stmt, doing, error);
  if (sessions == NULL || sessions->len == 0)
    return NULL;
  return g_ptr_array_steal_index (sessions, 0);
}

/* Events and markers */

gint64
cr_segment_index_add_event (CrSegmentIndex *index, gint64 session_id,
                            gint64 at_us, const char *kind, const char *detail,
                            GError **error)
{
  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (kind != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  return insert_event (index, session_id, at_us, kind, detail, error);
}

static gint64
insert_marker (CrSegmentIndex *index, gint64 session_id, gint64 at_us,
               const char *text, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "insert a marker";
  gint64 event_id;
  int rc;

  event_id = insert_event (index, session_id, at_us, "marker", text, error);
  if (event_id == 0)
    return 0;

  stmt = prepare (index,
                  "INSERT INTO markers (session_id, event_id, at, text) "
                  "VALUES (?, ?, ?, ?)", doing, error);
  if (stmt == NULL)
    return 0;
  rc = sqlite3_bind_int64 (stmt, 1, session_id);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 2, event_id);
  if (rc == SQLITE_OK)
    rc = bind_utc (stmt, 3, at_us);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 4, text);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error))
    return 0;
  return event_id;
}

gint64
cr_segment_index_add_marker (CrSegmentIndex *index, gint64 session_id,
                             gint64 at_us, const char *text, GError **error)
{
  gint64 event_id;

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (text != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!transaction_begin (index, error))
    return 0;
  event_id = insert_marker (index, session_id, at_us, text, error);
  if (event_id == 0 || !transaction_commit (index, error))
    {
      transaction_rollback (index);
      return 0;
    }
  return event_id;
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

  stmt = prepare (index,
                  "SELECT " EVENT_COLUMNS " FROM events WHERE session_id = ? "
                  "ORDER BY at, id", doing, error);
  if (stmt == NULL)
    return NULL;
  if (!check (index, sqlite3_bind_int64 (stmt, 1, session_id), doing, error))
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrEventRecord) record = g_new0 (CrEventRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->session_id = sqlite3_column_int64 (stmt, 1);
      if (!column_utc (index, stmt, 2, "events", &record->at_us, error))
        return NULL;
      record->kind = column_strdup (stmt, 3);
      record->detail = column_strdup (stmt, 4);
      g_ptr_array_add (events, g_steal_pointer (&record));
    }
  if (!check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&events);
}

/* Broadcast decisions */

#define BROADCAST_COLUMNS "id, case_no, decision, at, decided_by, reason"

gint64
cr_segment_index_add_broadcast_decision (CrSegmentIndex *index, const char *case_no,
                                         CrBroadcastDecision decision, gint64 at_us,
                                         const char *by, const char *reason,
                                         GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "record a broadcast decision";
  int rc;

  g_return_val_if_fail (index != NULL && case_no != NULL, 0);
  g_return_val_if_fail (decision != CR_BROADCAST_UNDECIDED, 0);

  stmt = prepare (index,
                  "INSERT INTO broadcast_decisions (case_no, decision, at, decided_by, reason) "
                  "VALUES (?, ?, ?, ?, ?)", doing, error);
  if (stmt == NULL)
    return 0;
  rc = bind_text (stmt, 1, case_no);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 2, cr_broadcast_decision_to_string (decision));
  if (rc == SQLITE_OK)
    rc = bind_utc (stmt, 3, at_us);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 4, by);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 5, reason);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error))
    return 0;
  return sqlite3_last_insert_rowid (index->db);
}

/* Rows of @stmt (BROADCAST_COLUMNS) into records. */
static GPtrArray *
read_broadcast_rows (CrSegmentIndex *index, sqlite3_stmt *stmt, const char *doing,
                     GError **error)
{
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_broadcast_record_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrBroadcastRecord) record = g_new0 (CrBroadcastRecord, 1);
      const char *decision = (const char *) sqlite3_column_text (stmt, 2);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->case_no = column_strdup (stmt, 1);
      record->decision = g_strcmp0 (decision, "forbidden") == 0 ? CR_BROADCAST_FORBIDDEN
                                                                : CR_BROADCAST_APPROVED;
      if (!column_utc (index, stmt, 3, "broadcast_decisions", &record->at_us, error))
        return NULL;
      record->by = column_strdup (stmt, 4);
      record->reason = column_strdup (stmt, 5);
      g_ptr_array_add (rows, g_steal_pointer (&record));
    }
  if (!check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

CrBroadcastRecord *
cr_segment_index_get_broadcast_decision (CrSegmentIndex *index, const char *case_no,
                                         GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  const char *doing = "read the broadcast decision of a case";

  /* A refusal outweighs any approval, before or after it. */
  stmt = prepare (index,
                  "SELECT " BROADCAST_COLUMNS " FROM broadcast_decisions WHERE case_no = ? "
                  "ORDER BY decision = 'forbidden' DESC, id LIMIT 1", doing, error);
  if (stmt == NULL || !check (index, bind_text (stmt, 1, case_no), doing, error))
    return NULL;
  rows = read_broadcast_rows (index, stmt, doing, error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
cr_segment_index_list_broadcast_decisions (CrSegmentIndex *index, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "list the broadcast decisions";

  stmt = prepare (index, "SELECT " BROADCAST_COLUMNS " FROM broadcast_decisions ORDER BY id",
                  doing, error);
  if (stmt == NULL)
    return NULL;
  return read_broadcast_rows (index, stmt, doing, error);
}

const char *
cr_broadcast_decision_to_string (CrBroadcastDecision decision)
{
  switch (decision)
    {
    case CR_BROADCAST_APPROVED:
      return "approved";
    case CR_BROADCAST_FORBIDDEN:
      return "forbidden";
    default:
      return "undecided";
    }
}

void
cr_broadcast_record_free (CrBroadcastRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->case_no);
  g_free (record->by);
  g_free (record->reason);
  g_free (record);
}

/* Segments */

gint64
cr_segment_index_add_segment (CrSegmentIndex *index, gint64 session_id,
                              guint sequence, const char *path,
                              gint64 started_us, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "insert a segment";
  int rc;

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (path != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  stmt = prepare (index,
                  "INSERT INTO segments (session_id, sequence, path, "
                  "started_at) VALUES (?, ?, ?, ?)", doing, error);
  if (stmt == NULL)
    return 0;
  rc = sqlite3_bind_int64 (stmt, 1, session_id);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 2, sequence);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 3, path);
  if (rc == SQLITE_OK)
    rc = bind_utc (stmt, 4, started_us);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error))
    return 0;
  return sqlite3_last_insert_rowid (index->db);
}

static gboolean
check_changed (CrSegmentIndex *index, gint64 segment_id, GError **error)
{
  if (sqlite3_changes (index->db) == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No segment %" G_GINT64_FORMAT " in '%s'", segment_id,
                   index->path);
      return FALSE;
    }
  return TRUE;
}

/* Reads the segment rows @stmt selects (SEGMENT_COLUMNS, then optionally a
 * "purged" flag). */
static GPtrArray *
collect_segments (CrSegmentIndex *index, sqlite3_stmt *stmt, const char *doing,
                  GError **error)
{
  g_autoptr (GPtrArray) segments =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_segment_record_free);
  gboolean has_purged = sqlite3_column_count (stmt) > 10;
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrSegmentRecord) record = g_new0 (CrSegmentRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->session_id = sqlite3_column_int64 (stmt, 1);
      record->sequence = (guint) sqlite3_column_int64 (stmt, 2);
      record->path = column_strdup (stmt, 3);
      if (!column_utc (index, stmt, 4, "segments", &record->started_us, error))
        return NULL;
      record->duration_us = sqlite3_column_int64 (stmt, 5);
      record->bytes = sqlite3_column_int64 (stmt, 6);
      record->sha256 = column_strdup (stmt, 7);
      record->closed = sqlite3_column_int (stmt, 8) != 0;
      record->link = column_strdup (stmt, 9);
      record->purged = has_purged && sqlite3_column_int (stmt, 10) != 0;
      g_ptr_array_add (segments, g_steal_pointer (&record));
    }
  if (!check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&segments);
}

static GPtrArray *
select_session_segments (CrSegmentIndex *index, gint64 session_id,
                         GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "list the segments of a session";

  stmt = prepare (index,
                  "SELECT " SEGMENT_COLUMNS " FROM segments "
                  "WHERE session_id = ? ORDER BY sequence", doing, error);
  if (stmt == NULL)
    return NULL;
  if (!check (index, sqlite3_bind_int64 (stmt, 1, session_id), doing, error))
    return NULL;
  return collect_segments (index, stmt, doing, error);
}

static gboolean
store_link (CrSegmentIndex *index, gint64 segment_id, const char *link,
            GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "store a segment's chain link";
  int rc;

  stmt = prepare (index, "UPDATE segments SET link = ? WHERE id = ? AND link IS NULL",
                  doing, error);
  if (stmt == NULL)
    return FALSE;
  rc = bind_text (stmt, 1, link);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 2, segment_id);
  return check (index, rc, doing, error) && step_done (index, stmt, doing, error);
}

/* The stored root of @session_id, computed and stored first if missing
 * (sessions begun by schema version 1). (transfer full) */
static char *
ensure_chain_root (CrSegmentIndex *index, gint64 session_id, GError **error)
{
  g_autoptr (CrSessionRecord) session =
      cr_segment_index_get_session (index, session_id, error);
  char *root;

  if (session == NULL)
    return NULL;
  if (session->chain_root != NULL)
    return g_steal_pointer (&session->chain_root);
  root = cr_chain_root (session);
  if (!set_chain_root (index, session_id, root, error))
    {
      g_free (root);
      return NULL;
    }
  return root;
}

/* Gives a link to every closed segment of @session_id that has none yet,
 * in sequence order, up to the first segment still open: a link needs the
 * link before it. Existing links are taken as they are: they were computed
 * when their rows were final, and verification is what checks them. Run
 * inside a write transaction. */
static gboolean
fill_links (CrSegmentIndex *index, gint64 session_id, GError **error)
{
  g_autoptr (GPtrArray) segments = NULL;
  g_autofree char *previous = ensure_chain_root (index, session_id, error);

  if (previous == NULL)
    return FALSE;
  segments = select_session_segments (index, session_id, error);
  if (segments == NULL)
    return FALSE;

  for (guint i = 0; i < segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      char *link;

      if (segment->link != NULL)
        {
          g_free (previous);
          previous = g_strdup (segment->link);
          continue;
        }
      if (!segment->closed)
        break;
      link = cr_chain_link (previous, segment, error);
      if (link == NULL)
        {
          g_prefix_error (error, "Session %" G_GINT64_FORMAT ": ", session_id);
          return FALSE;
        }
      g_free (previous);
      previous = link;
      if (!store_link (index, segment->id, link, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
fill_all_chains (CrSegmentIndex *index, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  const char *doing = "list sessions to chain";
  int rc;

  stmt = prepare (index, "SELECT id FROM sessions ORDER BY id", doing, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (!check (index, rc, doing, error))
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      GError *chain_error = NULL;

      if (fill_links (index, g_array_index (ids, gint64, i), &chain_error))
        continue;
      /* A row SQLite accepted but the chain cannot take (a malformed hash)
       * must not keep the recorder from starting: it stays unlinked, and
       * verification names it. */
      if (chain_error->domain != CR_CHAIN_ERROR)
        {
          g_propagate_error (error, chain_error);
          return FALSE;
        }
      g_warning ("Index '%s': %s; left without a chain link", cr_text_shown (index->path),
                 cr_text_shown (chain_error->message));
      g_error_free (chain_error);
    }
  return TRUE;
}

gboolean
cr_segment_index_close_segment (CrSegmentIndex *index, gint64 segment_id,
                                gint64 duration_us, gint64 bytes,
                                const char *sha256, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (sqlite3_stmt) lookup = NULL;
  const char *doing = "close a segment";
  gint64 session_id;
  gboolean linked;
  int rc;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (sha256 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!transaction_begin (index, error))
    return FALSE;

  lookup = prepare (index, "SELECT session_id, link IS NOT NULL FROM segments "
                    "WHERE id = ?", doing, error);
  if (lookup == NULL)
    goto failed;
  if (!check (index, sqlite3_bind_int64 (lookup, 1, segment_id), doing, error))
    goto failed;
  rc = sqlite3_step (lookup);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No segment %" G_GINT64_FORMAT " in '%s'", segment_id,
                   index->path);
      goto failed;
    }
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (index, doing, error);
      goto failed;
    }
  session_id = sqlite3_column_int64 (lookup, 0);
  linked = sqlite3_column_int (lookup, 1) != 0;
  g_clear_pointer (&lookup, sqlite3_finalize);
  /* Its link vouches for the row as it is: changing it now would be
   * indistinguishable from tampering. */
  if (linked)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_SEALED,
                   "Segment %" G_GINT64_FORMAT " in '%s' is closed and chained "
                   "already; its row cannot change", segment_id, index->path);
      goto failed;
    }

  stmt = prepare (index,
                  "UPDATE segments SET duration_us = ?, bytes = ?, "
                  "sha256 = ?, closed = 1 WHERE id = ?", doing, error);
  if (stmt == NULL)
    goto failed;
  rc = sqlite3_bind_int64 (stmt, 1, duration_us);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 2, bytes);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 3, sha256);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 4, segment_id);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error) ||
      !fill_links (index, session_id, error) || !transaction_commit (index, error))
    goto failed;
  return TRUE;

failed:
  transaction_rollback (index);
  return FALSE;
}

gboolean
cr_segment_index_delete_segment (CrSegmentIndex *index, gint64 segment_id,
                                 GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "delete a segment";

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stmt = prepare (index, "DELETE FROM segments WHERE id = ?", doing, error);
  if (stmt == NULL)
    return FALSE;
  if (!check (index, sqlite3_bind_int64 (stmt, 1, segment_id), doing, error) ||
      !step_done (index, stmt, doing, error))
    return FALSE;
  return check_changed (index, segment_id, error);
}

GPtrArray *
cr_segment_index_list_segments (CrSegmentIndex *index, gint64 session_id,
                                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "list segments";

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = prepare (index,
                  "SELECT " SEGMENT_COLUMNS " FROM segments "
                  "WHERE ?1 = 0 OR session_id = ?1 "
                  "ORDER BY session_id, sequence", doing, error);
  if (stmt == NULL)
    return NULL;
  if (!check (index, sqlite3_bind_int64 (stmt, 1, session_id), doing, error))
    return NULL;
  return collect_segments (index, stmt, doing, error);
}

GPtrArray *
cr_segment_index_list_chain (CrSegmentIndex *index, gint64 session_id,
                             GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "list the chain of a session";

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = prepare (index,
                  "SELECT " SEGMENT_COLUMNS ", 0 FROM segments WHERE session_id = ?1 "
                  "UNION ALL "
                  "SELECT " SEGMENT_COLUMNS ", 1 FROM purged_segments WHERE session_id = ?1 "
                  "ORDER BY sequence", doing, error);
  if (stmt == NULL)
    return NULL;
  if (!check (index, sqlite3_bind_int64 (stmt, 1, session_id), doing, error))
    return NULL;
  return collect_segments (index, stmt, doing, error);
}

guint
cr_segment_index_last_sequence (CrSegmentIndex *index, gint64 session_id,
                                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "read the last segment sequence";

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  stmt = prepare (index,
                  "SELECT COALESCE (MAX (sequence), 0) FROM segments "
                  "WHERE session_id = ?", doing, error);
  if (stmt == NULL)
    return 0;
  if (!check (index, sqlite3_bind_int64 (stmt, 1, session_id), doing, error))
    return 0;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (index, doing, error);
      return 0;
    }
  return (guint) sqlite3_column_int64 (stmt, 0);
}

/* Sealing and the court's archive */

static char *
seal_detail (const char *chain_head, const char *public_key, guint segments)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "chain_head");
  json_builder_add_string_value (builder, chain_head);
  json_builder_set_member_name (builder, "public_key");
  json_builder_add_string_value (builder, public_key);
  json_builder_set_member_name (builder, "segments");
  json_builder_add_int_value (builder, segments);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* The body of cr_segment_index_seal_session, inside its transaction. */
static gboolean
seal_locked (CrSegmentIndex *index, gint64 session_id, const CrDeviceKey *key,
             gint64 at_us, char **chain_head, GError **error)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *head = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *detail = NULL;
  const char *public_key = cr_device_key_get_public_hex (key);
  const char *doing = "seal a session";
  int rc;

  session = cr_segment_index_get_session (index, session_id, error);
  if (session == NULL)
    return FALSE;
  if (session->state != CR_SESSION_STOPPED)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "Session %" G_GINT64_FORMAT " is still %s: only a stopped "
                   "session is sealed", session_id,
                   cr_session_state_to_string (session->state));
      return FALSE;
    }
  if (!fill_links (index, session_id, error))
    return FALSE;
  segments = select_session_segments (index, session_id, error);
  if (segments == NULL)
    return FALSE;

  head = g_strdup (session->chain_root);
  for (guint i = 0; i < segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      if (!segment->closed)
        {
          g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                       "Segment #%u of session %" G_GINT64_FORMAT " (%s) is "
                       "still being written", segment->sequence, session_id,
                       segment->path);
          return FALSE;
        }
      g_free (head);
      head = g_strdup (segment->link);
    }
  if (head == NULL)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                   "Session %" G_GINT64_FORMAT " in '%s' has a broken chain: "
                   "a closed segment has no link", session_id, index->path);
      return FALSE;
    }

  if (session->chain_head != NULL)
    {
      /* A second seal would launder whatever changed since the first. */
      if (!g_str_equal (session->chain_head, head))
        {
          g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_SEALED,
                       "Session %" G_GINT64_FORMAT " was sealed with chain head "
                       "%s, but its chain now ends at %s; it is not sealed "
                       "again", session_id, session->chain_head, head);
          return FALSE;
        }
      if (chain_head != NULL)
        *chain_head = g_steal_pointer (&head);
      return TRUE;
    }

  signature = cr_device_key_sign (key, head);
  stmt = prepare (index,
                  "UPDATE sessions SET chain_head = ?, signature = ?, "
                  "public_key = ?, sealed_at = ? WHERE id = ?", doing, error);
  if (stmt == NULL)
    return FALSE;
  rc = bind_text (stmt, 1, head);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 2, signature);
  if (rc == SQLITE_OK)
    rc = bind_text (stmt, 3, public_key);
  if (rc == SQLITE_OK)
    rc = bind_utc (stmt, 4, at_us);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 5, session_id);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error))
    return FALSE;
  detail = seal_detail (head, public_key, segments->len);
  if (insert_event (index, session_id, at_us, "seal", detail, error) == 0)
    return FALSE;
  if (chain_head != NULL)
    *chain_head = g_steal_pointer (&head);
  return TRUE;
}

gboolean
cr_segment_index_seal_session (CrSegmentIndex *index, gint64 session_id,
                               const CrDeviceKey *key, gint64 at_us,
                               char **chain_head, GError **error)
{
  g_autofree char *head = NULL;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!transaction_begin (index, error))
    return FALSE;
  if (!seal_locked (index, session_id, key, at_us, &head, error) ||
      !transaction_commit (index, error))
    {
      transaction_rollback (index);
      return FALSE;
    }
  if (chain_head != NULL)
    *chain_head = g_steal_pointer (&head);
  return TRUE;
}

gboolean
cr_segment_index_seal_pending (CrSegmentIndex *index, const CrDeviceKey *key,
                               gint64 at_us, guint *n_sealed, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  const char *doing = "list sessions to seal";
  guint sealed = 0;
  int rc;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_sealed != NULL)
    *n_sealed = 0;
  stmt = prepare (index,
                  "SELECT id FROM sessions WHERE state = 'stopped' AND "
                  "chain_head IS NULL AND purged_at IS NULL ORDER BY id",
                  doing, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (!check (index, rc, doing, error))
    return FALSE;
  g_clear_pointer (&stmt, sqlite3_finalize);

  for (guint i = 0; i < ids->len; i++)
    {
      GError *seal_error = NULL;

      if (cr_segment_index_seal_session (index, g_array_index (ids, gint64, i),
                                         key, at_us, NULL, &seal_error))
        {
          sealed++;
          continue;
        }
      if (g_error_matches (seal_error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY))
        {
          g_error_free (seal_error);
          continue;
        }
      g_propagate_error (error, seal_error);
      if (n_sealed != NULL)
        *n_sealed = sealed;
      return FALSE;
    }
  if (n_sealed != NULL)
    *n_sealed = sealed;
  return TRUE;
}

gboolean
cr_segment_index_mark_archived (CrSegmentIndex *index, gint64 session_id,
                                gint64 at_us, const char *detail,
                                GError **error)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "mark a session archived";
  int rc;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!transaction_begin (index, error))
    return FALSE;
  session = cr_segment_index_get_session (index, session_id, error);
  if (session == NULL)
    goto failed;
  if (session->archived_us != 0)
    return transaction_commit (index, error);
  if (session->state != CR_SESSION_STOPPED || session->chain_head == NULL)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "Session %" G_GINT64_FORMAT " is %s: only a stopped, sealed "
                   "session can be marked archived", session_id,
                   session->state != CR_SESSION_STOPPED
                     ? cr_session_state_to_string (session->state) : "not sealed");
      goto failed;
    }
  stmt = prepare (index, "UPDATE sessions SET archived_at = ? WHERE id = ?",
                  doing, error);
  if (stmt == NULL)
    goto failed;
  rc = bind_utc (stmt, 1, at_us);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 2, session_id);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error) ||
      insert_event (index, session_id, at_us, "archived", detail, error) == 0 ||
      !transaction_commit (index, error))
    goto failed;
  return TRUE;

failed:
  transaction_rollback (index);
  return FALSE;
}

gboolean
cr_segment_index_purge_session (CrSegmentIndex *index, gint64 session_id,
                                gint64 at_us, const char *detail,
                                GError **error)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "record deleted media";
  int rc;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!transaction_begin (index, error))
    return FALSE;
  session = cr_segment_index_get_session (index, session_id, error);
  if (session == NULL)
    goto failed;
  if (session->purged_us != 0)
    return transaction_commit (index, error);
  if (session->archived_us == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "Session %" G_GINT64_FORMAT " is not marked archived: its "
                   "media are kept", session_id);
      goto failed;
    }
  if (!exec_with_id (index,
                     "INSERT INTO purged_segments (" SEGMENT_COLUMNS ") "
                     "SELECT " SEGMENT_COLUMNS " FROM segments WHERE session_id = ?",
                     session_id, doing, error) ||
      !exec_with_id (index, "DELETE FROM segments WHERE session_id = ?",
                     session_id, doing, error))
    goto failed;
  stmt = prepare (index, "UPDATE sessions SET purged_at = ? WHERE id = ?",
                  doing, error);
  if (stmt == NULL)
    goto failed;
  rc = bind_utc (stmt, 1, at_us);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 2, session_id);
  if (!check (index, rc, doing, error) || !step_done (index, stmt, doing, error) ||
      insert_event (index, session_id, at_us, "media-deleted", detail, error) == 0 ||
      !transaction_commit (index, error))
    goto failed;
  return TRUE;

failed:
  transaction_rollback (index);
  return FALSE;
}

/* Records */

void
cr_session_record_free (CrSessionRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->room_id);
  g_free (record->case_no);
  g_free (record->title);
  g_free (record->chain_root);
  g_free (record->chain_head);
  g_free (record->signature);
  g_free (record->public_key);
  g_free (record);
}

void
cr_segment_record_free (CrSegmentRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->path);
  g_free (record->sha256);
  g_free (record->link);
  g_free (record);
}

void
cr_event_record_free (CrEventRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->kind);
  g_free (record->detail);
  g_free (record);
}

/* Times */

char *
cr_format_utc (gint64 utc_us)
{
  g_autoptr (GDateTime) time = NULL;
  gint64 seconds = utc_us / G_USEC_PER_SEC;
  gint64 rest_us = utc_us % G_USEC_PER_SEC;

  /* Floor, not C's truncation toward zero, so that times before 1970 still
   * count their milliseconds forward from the second. */
  if (rest_us < 0)
    {
      seconds -= 1;
      rest_us += G_USEC_PER_SEC;
    }

  time = g_date_time_new_from_unix_utc (seconds);
  /* GDateTime covers years 1 to 9999, all that the text form can hold. */
  g_return_val_if_fail (time != NULL, g_strdup ("0001-01-01T00:00:00.000Z"));

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                          g_date_time_get_year (time),
                          g_date_time_get_month (time),
                          g_date_time_get_day_of_month (time),
                          g_date_time_get_hour (time),
                          g_date_time_get_minute (time),
                          g_date_time_get_second (time),
                          (int) (rest_us / 1000));
}

/* The number in the @width ASCII digits at @text, already checked. */
static gint
digits (const char *text, guint width)
{
  gint value = 0;

  for (guint i = 0; i < width; i++)
    value = value * 10 + (text[i] - '0');
  return value;
}

gboolean
cr_parse_utc (const char *text, gint64 *utc_us)
{
  /* "2026-11-27T02:13:25.316Z": the one form cr_format_utc writes. Anything
   * looser (a zone offset, no milliseconds) would sort wrongly as text. */
  static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  g_autoptr (GDateTime) time = NULL;
  gint second;

  if (text == NULL || strlen (text) != sizeof pattern - 1)
    return FALSE;
  for (gsize i = 0; i < sizeof pattern - 1; i++)
    if (pattern[i] == 'd' ? !g_ascii_isdigit (text[i]) : text[i] != pattern[i])
      return FALSE;

  /* g_date_time_new_utc rejects February 30th, hour 24 and the like; it
   * takes no leap second (60) either, and neither does cr_format_utc write
   * one. */
  second = digits (text + 17, 2);
  if (second > 59)
    return FALSE;
  time = g_date_time_new_utc (digits (text, 4), digits (text + 5, 2),
                              digits (text + 8, 2), digits (text + 11, 2),
                              digits (text + 14, 2), second);
  if (time == NULL)
    return FALSE;

  if (utc_us != NULL)
    *utc_us = g_date_time_to_unix (time) * G_USEC_PER_SEC +
              (gint64) digits (text + 20, 3) * 1000;
  return TRUE;
}
