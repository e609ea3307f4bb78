/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index.c: see segment-index.h. Opening, the schema and its
 * migrations, and the SQL helpers of segment-index-private.h; the sections
 * of the index are in the segment-index-*.c files beside this one. */
#include "archive/segment-index-private.h"

G_DEFINE_QUARK (cr-index-error-quark, cr_index_error)

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

  /* 3 -> 4: the ledger in the chain (chain.h, layout 2): every event is
   * numbered within its session in the order it was written and gets a
   * link, filled in by cr_index_fill_all_ledgers() after this step; a seal
   * from now on covers the events up to sealed_events. The numbering of
   * the rows already there is their order of writing, their id. */
  "ALTER TABLE events ADD COLUMN sequence INTEGER;"
  "ALTER TABLE events ADD COLUMN link TEXT;"
  "ALTER TABLE sessions ADD COLUMN sealed_events INTEGER;"
  "UPDATE events SET sequence = (SELECT count (*) FROM events AS earlier "
  "  WHERE earlier.session_id = events.session_id AND earlier.id <= events.id);"
  "CREATE UNIQUE INDEX events_session_sequence ON events (session_id, sequence);",

  /* 4 -> 5: litigant access (access/access-store.h). A request holds no
   * identity number, only keyed hashes of it and of its last 4 characters;
   * a grant holds no code, only its keyed hash. What each row records is
   * also an event in every session it covers, where the chain keeps it:
   * these tables are the working state, the events the record. IF NOT
   * EXISTS: an index set back to an older version by hand keeps them. */
  "CREATE TABLE IF NOT EXISTS access_requests ("
  "  id INTEGER PRIMARY KEY,"
  "  case_no TEXT NOT NULL,"
  "  requester TEXT NOT NULL,"
  "  role TEXT NOT NULL"
  "    CHECK (role IN ('party', 'agent', 'defence', 'victim', 'media')),"
  "  identity_hash TEXT NOT NULL,"
  "  identity_suffix_hash TEXT NOT NULL,"
  "  sessions TEXT,"
  "  span_from TEXT,"
  "  span_to TEXT,"
  "  purpose TEXT,"
  "  contact TEXT,"
  "  source TEXT NOT NULL CHECK (source IN ('clerk', 'public')),"
  "  entered_by TEXT,"
  "  entered_at TEXT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending'"
  "    CHECK (state IN ('pending', 'granted', 'refused')),"
  "  decided_by TEXT,"
  "  decided_at TEXT,"
  "  reason TEXT"
  ");"
  "CREATE INDEX IF NOT EXISTS access_requests_case_no ON access_requests (case_no);"
  "CREATE TABLE IF NOT EXISTS access_grants ("
  "  id INTEGER PRIMARY KEY,"
  "  request_id INTEGER NOT NULL UNIQUE REFERENCES access_requests (id),"
  "  mode TEXT NOT NULL CHECK (mode IN ('review', 'copy')),"
  "  sessions TEXT NOT NULL,"
  "  expires_at TEXT NOT NULL,"
  "  redactions TEXT NOT NULL DEFAULT '[]',"
  "  watermark TEXT,"
  "  code_hash TEXT NOT NULL UNIQUE,"
  "  granted_by TEXT NOT NULL,"
  "  granted_at TEXT NOT NULL,"
  "  revoked_at TEXT,"
  "  revoked_by TEXT,"
  "  revoke_reason TEXT,"
  "  failures INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE TABLE IF NOT EXISTS derived_copies ("
  "  id INTEGER PRIMARY KEY,"
  "  grant_id INTEGER REFERENCES access_grants (id),"
  "  publication_id INTEGER,"
  "  session_id INTEGER NOT NULL REFERENCES sessions (id),"
  "  dir TEXT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending'"
  "    CHECK (state IN ('pending', 'ready', 'failed')),"
  "  sha256 TEXT,"
  "  bytes INTEGER,"
  "  duration_us INTEGER,"
  "  rendered_at TEXT,"
  "  error TEXT,"
  "  UNIQUE (grant_id, session_id)"
  ");",

  /* 5 -> 6: the court's publications of stopped sessions as video on demand
   * (vod/publication-store.h). A row is never deleted: a withdrawn one
   * keeps who withdrew it and why, its files gone. */
  "CREATE TABLE IF NOT EXISTS publications ("
  "  id INTEGER PRIMARY KEY,"
  "  session_id INTEGER NOT NULL REFERENCES sessions (id),"
  "  title TEXT,"
  "  redactions TEXT NOT NULL,"
  "  state TEXT NOT NULL"
  "    CHECK (state IN ('rendering', 'published', 'failed', 'withdrawn')),"
  "  published_by TEXT,"
  "  created_at TEXT NOT NULL,"
  "  ready_at TEXT,"
  "  sha256 TEXT,"
  "  bytes INTEGER,"
  "  duration_us INTEGER,"
  "  withdrawn_at TEXT,"
  "  withdrawn_by TEXT,"
  "  reason TEXT"
  ");"
  "CREATE INDEX IF NOT EXISTS publications_session_id ON publications (session_id);",

  /* 6 -> 7: the court's hearing calendar (schedule/hearing-store.h), kept
   * so that a restart or a network outage changes nothing: a hearing known
   * yesterday is recorded today with the network down. A hearing is never
   * deleted: one gone from the calendar keeps its row with removed_at, so
   * the recording-rate report still accounts for it. */
  "CREATE TABLE IF NOT EXISTS hearings ("
  "  id INTEGER PRIMARY KEY,"
  "  source TEXT NOT NULL CHECK (source IN ('calendar', 'feed')),"
  "  uid TEXT NOT NULL,"
  "  case_no TEXT NOT NULL,"
  "  title TEXT,"
  "  location TEXT NOT NULL,"
  "  starts_at TEXT NOT NULL,"
  "  ends_at TEXT NOT NULL,"
  "  tzid TEXT,"
  "  public INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL DEFAULT 'scheduled'"
  "    CHECK (status IN ('scheduled', 'cancelled')),"
  "  description TEXT,"
  "  first_seen TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL,"
  "  removed_at TEXT,"
  "  not_held_at TEXT,"
  "  not_held_by TEXT,"
  "  not_held_reason TEXT,"
  "  UNIQUE (source, uid)"
  ");"
  "CREATE INDEX IF NOT EXISTS hearings_starts_at ON hearings (starts_at);"
  /* What was last fetched from each source, for If-None-Match and
   * If-Modified-Since, and for status to say how old the schedule is. */
  "CREATE TABLE IF NOT EXISTS schedule_sources ("
  "  source TEXT PRIMARY KEY CHECK (source IN ('calendar', 'feed')),"
  "  location TEXT NOT NULL,"
  "  etag TEXT,"
  "  last_modified TEXT,"
  "  checked_at TEXT,"
  "  changed_at TEXT,"
  "  sha256 TEXT,"
  "  hearings INTEGER NOT NULL DEFAULT 0,"
  "  error TEXT,"
  "  error_at TEXT"
  ");",

  /* 7 -> 8: the court archive's upload queue (archive/upload-queue.h):
   * one row per object to copy to an [archive NAME] bucket, kept until
   * the store has shown it back (verified), so that a restart, a crash or
   * a network down for days loses nothing. A row is never deleted: its
   * verified ETag and time are what allows local media to go later. */
  "CREATE TABLE IF NOT EXISTS upload_queue ("
  "  id INTEGER PRIMARY KEY,"
  "  archive TEXT NOT NULL,"
  "  session_id INTEGER NOT NULL REFERENCES sessions (id),"
  "  item TEXT NOT NULL CHECK (item IN ('segment', 'manifest')),"
  "  sequence INTEGER,"
  "  path TEXT NOT NULL,"
  "  key TEXT NOT NULL,"
  "  bytes INTEGER NOT NULL CHECK (bytes >= 0),"
  "  sha256 TEXT NOT NULL,"
  "  md5 TEXT NOT NULL,"
  "  part_bytes INTEGER NOT NULL DEFAULT 0,"
  "  priority INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'queued'"
  "    CHECK (state IN ('queued', 'uploading', 'unknown', 'verified', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  queued_at TEXT NOT NULL,"
  "  next_try_at TEXT NOT NULL,"
  "  last_error TEXT,"
  "  reason TEXT,"
  "  upload_id TEXT,"
  "  verified_etag TEXT,"
  "  verified_at TEXT,"
  "  UNIQUE (archive, key)"
  ");"
  "CREATE INDEX IF NOT EXISTS upload_queue_waiting ON upload_queue (archive, state);"
  "CREATE INDEX IF NOT EXISTS upload_queue_session ON upload_queue (session_id);",
};

#define SCHEMA_VERSION ((gint) G_N_ELEMENTS (schema_steps))

/* 5 s: a reader's snapshot or a checkpoint may hold the lock briefly; the
 * writer waits rather than failing to record a row. */
#define BUSY_TIMEOUT_MS 5000

/* SQL helpers */

gboolean
cr_index_fail (CrSegmentIndex *index, const char *doing, GError **error)
{
  g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
               "Failed to %s: %s", doing, sqlite3_errmsg (index->db));
  return FALSE;
}

gboolean
cr_index_check (CrSegmentIndex *index, int rc, const char *doing,
                GError **error)
{
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  return cr_index_fail (index, doing, error);
}

gboolean
cr_index_exec (CrSegmentIndex *index, const char *sql, const char *doing,
               GError **error)
{
  return cr_index_check (index, sqlite3_exec (index->db, sql, NULL, NULL, NULL),
                         doing, error);
}

static int
bind_value (sqlite3_stmt *stmt, int parameter, const CrIndexValue *value)
{
  g_autofree char *utc = NULL;

  switch (value->type)
    {
    case CR_INDEX_VALUE_INT64:
      return sqlite3_bind_int64 (stmt, parameter, value->number);
    case CR_INDEX_VALUE_UTC:
      utc = cr_format_utc (value->number);
      return sqlite3_bind_text (stmt, parameter, utc, -1, SQLITE_TRANSIENT);
    case CR_INDEX_VALUE_TEXT:
      if (value->text == NULL)
        return sqlite3_bind_null (stmt, parameter);
      return sqlite3_bind_text (stmt, parameter, value->text, -1,
                                SQLITE_TRANSIENT);
    }
  return SQLITE_MISUSE;
}

sqlite3_stmt *
cr_index_statement (CrSegmentIndex *index, const char *sql, const char *doing,
                    const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (index->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      cr_index_fail (index, doing, error);
      return NULL;
    }
  for (gsize i = 0; i < n_values; i++)
    if (!cr_index_check (index, bind_value (stmt, (int) i + 1, &values[i]),
                         doing, error))
      return NULL;
  return g_steal_pointer (&stmt);
}

gboolean
cr_index_run (CrSegmentIndex *index, const char *sql, const char *doing,
              const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return cr_index_fail (index, doing, error);
  return TRUE;
}

gint64
cr_index_insert (CrSegmentIndex *index, const char *sql, const char *doing,
                 const CrIndexValue *values, gsize n_values, GError **error)
{
  if (!cr_index_run (index, sql, doing, values, n_values, error))
    return 0;
  return sqlite3_last_insert_rowid (index->db);
}

GArray *
cr_index_select_ids (CrSegmentIndex *index, const char *sql, const char *doing,
                     const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&ids);
}

char *
cr_index_column_text (sqlite3_stmt *stmt, int column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

gboolean
cr_index_column_utc (CrSegmentIndex *index, sqlite3_stmt *stmt, int column,
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

gboolean
cr_index_transaction (CrSegmentIndex *index, CrIndexWork work, gpointer data,
                      GError **error)
{
  /* IMMEDIATE takes the write lock up front, so that the work cannot fail
   * halfway with SQLITE_BUSY. */
  if (!cr_index_exec (index, "BEGIN IMMEDIATE", "begin a transaction", error))
    return FALSE;
  if (work (index, data, error) &&
      cr_index_exec (index, "COMMIT", "commit a transaction", error))
    return TRUE;
  /* The error that brought us here is the one worth reporting; SQLite may
   * also have rolled back by itself already (after SQLITE_FULL, say). */
  if (!sqlite3_get_autocommit (index->db))
    sqlite3_exec (index->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* Opening and the schema */

/* The first column of the first row of @sql, for pragmas. The statement is
 * finalized before returning: a statement left mid-step holds a read
 * transaction, and SQLite refuses to change the journal mode under one. */
static gboolean
query_text (CrSegmentIndex *index, const char *sql, const char *doing,
            char **text, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, CR_BIND_NONE, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return cr_index_fail (index, doing, error);
  *text = cr_index_column_text (stmt, 0);
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
      if (!cr_index_exec (index, schema_steps[step], doing, error))
        return FALSE;
    }
  /* Version 2 brought the chain: link what version 1 recorded; version 4
   * the ledger's links. */
  if (version < 2 && !cr_index_fill_all_chains (index, error))
    return FALSE;
  if (version < 4 && !cr_index_fill_all_ledgers (index, error))
    return FALSE;

  if (version == SCHEMA_VERSION)
    return TRUE;
  set_version = g_strdup_printf ("PRAGMA user_version = %d", SCHEMA_VERSION);
  return cr_index_exec (index, set_version, "set the schema version", error);
}


static gboolean
migrate_work (CrSegmentIndex *index, gpointer data, GError **error)
{
  return migrate_locked (index, error);
}

static gboolean
migrate (CrSegmentIndex *index, GError **error)
{
  return cr_index_transaction (index, migrate_work, NULL, error);
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
  return cr_index_exec (index, "PRAGMA synchronous = FULL",
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

  if (!cr_index_check (index, sqlite3_busy_timeout (index->db, BUSY_TIMEOUT_MS),
              "set the busy timeout", error))
    return NULL;
  if (!cr_index_exec (index, "PRAGMA foreign_keys = ON", "enable foreign keys", error))
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
