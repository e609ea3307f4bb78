/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index-private.h: what the files of the index share and nobody
 * else sees. segment-index.c opens the file, keeps the schema and holds
 * the SQL helpers below; the sections of the index live beside it:
 * segment-index-sessions.c, -segments.c (segments and their chain links),
 * -events.c (events and markers), -seal.c (sealing and the court's archive
 * marks) and -broadcast.c (broadcast decisions).
 *
 * Every statement goes through one helper that prepares it and binds its
 * values (cr_index_statement, cr_index_run, cr_index_insert), every write of
 * more than one row through one that brackets it in a transaction
 * (cr_index_transaction); a foreign SQLite result becomes a GError there,
 * once, with what was being done. */
#pragma once

#include <sqlite3.h>

#include "archive/segment-index.h"

G_BEGIN_DECLS

struct CrSegmentIndex {
  sqlite3 *db;
  char *path;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define CR_INDEX_SESSION_COLUMNS \
  "id, room_id, case_no, title, started_at, stopped_at, state, chain_root, " \
  "chain_head, signature, public_key, sealed_at, archived_at, purged_at, " \
  "sealed_events"
#define CR_INDEX_SEGMENT_COLUMNS \
  "id, session_id, sequence, path, started_at, duration_us, bytes, sha256, " \
  "closed, link"
#define CR_INDEX_EVENT_COLUMNS "id, session_id, at, kind, detail, sequence, link"

/* A value for a statement's parameter: a number, a text (NULL binds SQL
 * NULL) or a time, bound in utc.h's text form. */
typedef enum {
  CR_INDEX_VALUE_INT64,
  CR_INDEX_VALUE_TEXT,
  CR_INDEX_VALUE_UTC,
} CrIndexValueType;

typedef struct {
  CrIndexValueType type;
  gint64 number;          /* INT64, UTC */
  const char *text;       /* TEXT */
} CrIndexValue;

#define CR_VALUE_INT(n)  ((CrIndexValue) { CR_INDEX_VALUE_INT64, (gint64) (n), NULL })
#define CR_VALUE_TEXT(s) ((CrIndexValue) { CR_INDEX_VALUE_TEXT, 0, (s) })
#define CR_VALUE_UTC(t)  ((CrIndexValue) { CR_INDEX_VALUE_UTC, (gint64) (t), NULL })

/* The values of parameters ?1, ?2, ... in order, as the two arguments
 * @values and @n_values of the helpers below:
 *   cr_index_run (index, "UPDATE ... WHERE id = ?", doing,
 *                 CR_BIND (CR_VALUE_TEXT (root), CR_VALUE_INT (id)), error) */
#define CR_BIND(...) \
  (const CrIndexValue[]) { __VA_ARGS__ }, \
  G_N_ELEMENTS (((const CrIndexValue[]) { __VA_ARGS__ }))
#define CR_BIND_NONE NULL, 0

/* Sets @error from the connection's last error: "Failed to @doing: ...".
 * Returns FALSE, for `return cr_index_fail (...)`. */
gboolean cr_index_fail (CrSegmentIndex *index, const char *doing,
                        GError **error);
/* TRUE for SQLITE_OK, _DONE and _ROW; else cr_index_fail. */
gboolean cr_index_check (CrSegmentIndex *index, int rc, const char *doing,
                         GError **error);
/* Runs @sql, any number of statements without parameters. */
gboolean cr_index_exec (CrSegmentIndex *index, const char *sql,
                        const char *doing, GError **error);

/* @sql prepared with @values bound. (transfer full) */
sqlite3_stmt *cr_index_statement (CrSegmentIndex *index, const char *sql,
                                  const char *doing, const CrIndexValue *values,
                                  gsize n_values, GError **error);
/* @sql with @values, run to completion; it returns no rows. */
gboolean cr_index_run (CrSegmentIndex *index, const char *sql,
                       const char *doing, const CrIndexValue *values,
                       gsize n_values, GError **error);
/* cr_index_run for an INSERT: the new row's id, 0 on error. */
gint64 cr_index_insert (CrSegmentIndex *index, const char *sql,
                        const char *doing, const CrIndexValue *values,
                        gsize n_values, GError **error);
/* The first column of every row @sql selects, as gint64: ids to work
 * through after the statement is finished. (transfer full) */
GArray *cr_index_select_ids (CrSegmentIndex *index, const char *sql,
                             const char *doing, const CrIndexValue *values,
                             gsize n_values, GError **error);

/* Column @column of the current row as a copy, NULL for SQL NULL. */
char *cr_index_column_text (sqlite3_stmt *stmt, int column);
/* Column @column as a time (0 for SQL NULL); a malformed one is an error
 * naming the row of @table and the file. */
gboolean cr_index_column_utc (CrSegmentIndex *index, sqlite3_stmt *stmt,
                              int column, const char *table, gint64 *utc_us,
                              GError **error);

/* Runs @work (@data) in one IMMEDIATE transaction: committed when it
 * returns TRUE, rolled back when it or the commit fails. Every write that
 * touches more than one row goes through here, so that a crash never
 * leaves half of it and SQLITE_BUSY cannot strike halfway. */
typedef gboolean (*CrIndexWork) (CrSegmentIndex *index, gpointer data,
                                 GError **error);
gboolean cr_index_transaction (CrSegmentIndex *index, CrIndexWork work,
                               gpointer data, GError **error);

/* Sections' functions that other sections call. */

/* segment-index-events.c: adds an event row; its id, 0 on error. */
gint64 cr_index_insert_event (CrSegmentIndex *index, gint64 session_id,
                              gint64 at_us, CrEventKind kind,
                              const char *detail, GError **error);

/* segment-index-segments.c */
/* The segments of @session_id by sequence (the live table only). */
GPtrArray *cr_index_session_segments (CrSegmentIndex *index,
                                      gint64 session_id, GError **error);
/* Links every closed segment of @session_id that has no link yet, up to
 * the first one still open. Inside a write transaction. */
gboolean cr_index_fill_links (CrSegmentIndex *index, gint64 session_id,
                              GError **error);
/* cr_index_fill_links for every session (migration to version 2). */
gboolean cr_index_fill_all_chains (CrSegmentIndex *index, GError **error);
/* The stored root of @session_id, computed and stored first if missing.
 * (transfer full) */
char *cr_index_ensure_chain_root (CrSegmentIndex *index, gint64 session_id,
                                  GError **error);

/* segment-index-events.c */
/* The events of @session_id by sequence: its ledger. */
GPtrArray *cr_index_session_ledger (CrSegmentIndex *index, gint64 session_id,
                                    GError **error);
/* Links every event of every session in sequence order (migration to
 * version 4). */
gboolean cr_index_fill_all_ledgers (CrSegmentIndex *index, GError **error);

G_END_DECLS
