/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-store.c: see access-store.h. The tables are a section of the
 * index like the broadcast decisions, so they use its SQL helpers
 * (segment-index-private.h): one way to bind, step and report. */
#include "access/access-store.h"

#include "archive/segment-index-private.h"

#define REQUEST_COLUMNS \
  "id, case_no, requester, role, identity_hash, identity_suffix_hash, sessions, " \
  "span_from, span_to, purpose, contact, source, entered_by, entered_at, state, " \
  "decided_by, decided_at, reason"
#define GRANT_COLUMNS \
  "id, request_id, mode, sessions, expires_at, redactions, watermark, code_hash, " \
  "granted_by, granted_at, revoked_at, revoked_by, revoke_reason, failures"
#define COPY_COLUMNS \
  "id, grant_id, session_id, dir, state, sha256, bytes, duration_us, rendered_at, error"

/* A time that may be open: SQL NULL for 0. */
static CrIndexValue
optional_utc (gint64 us, char **text)
{
  *text = us != 0 ? cr_format_utc (us) : NULL;
  return CR_VALUE_TEXT (*text);
}

void
cr_access_request_row_free (CrAccessRequestRow *row)
{
  if (row == NULL)
    return;
  g_free (row->case_no); g_free (row->requester); g_free (row->role);
  g_free (row->identity_hash); g_free (row->identity_suffix_hash);
  g_free (row->sessions); g_free (row->purpose); g_free (row->contact);
  g_free (row->source); g_free (row->entered_by); g_free (row->state);
  g_free (row->decided_by); g_free (row->reason);
  g_free (row);
}

void
cr_access_grant_row_free (CrAccessGrantRow *row)
{
  if (row == NULL)
    return;
  g_free (row->mode); g_free (row->sessions); g_free (row->redactions);
  g_free (row->watermark); g_free (row->code_hash); g_free (row->granted_by);
  g_free (row->revoked_by); g_free (row->revoke_reason);
  g_free (row);
}

void
cr_derived_copy_row_free (CrDerivedCopyRow *row)
{
  if (row == NULL)
    return;
  g_free (row->dir); g_free (row->state); g_free (row->sha256); g_free (row->error);
  g_free (row);
}

gint64
cr_access_store_add_request (CrSegmentIndex *index, const CrAccessRequestRow *row,
                             GError **error)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  g_return_val_if_fail (index != NULL && row != NULL, 0);
  return cr_index_insert (
      index,
      "INSERT INTO access_requests (case_no, requester, role, identity_hash, "
      "identity_suffix_hash, sessions, span_from, span_to, purpose, contact, source, "
      "entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "record an access request",
      CR_BIND (CR_VALUE_TEXT (row->case_no), CR_VALUE_TEXT (row->requester),
               CR_VALUE_TEXT (row->role), CR_VALUE_TEXT (row->identity_hash),
               CR_VALUE_TEXT (row->identity_suffix_hash), CR_VALUE_TEXT (row->sessions),
               optional_utc (row->span_from_us, &from), optional_utc (row->span_to_us, &to),
               CR_VALUE_TEXT (row->purpose), CR_VALUE_TEXT (row->contact),
               CR_VALUE_TEXT (row->source), CR_VALUE_TEXT (row->entered_by),
               CR_VALUE_UTC (row->entered_us)),
      error);
}

static GPtrArray *
select_requests (CrSegmentIndex *index, const char *sql, const CrIndexValue *values,
                 gsize n_values, GError **error)
{
  const char *doing = "read the access requests";
  g_autoptr (sqlite3_stmt) stmt = cr_index_statement (index, sql, doing, values, n_values,
                                                      error);
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_access_request_row_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrAccessRequestRow) row = g_new0 (CrAccessRequestRow, 1);

      row->id = sqlite3_column_int64 (stmt, 0);
      row->case_no = cr_index_column_text (stmt, 1);
      row->requester = cr_index_column_text (stmt, 2);
      row->role = cr_index_column_text (stmt, 3);
      row->identity_hash = cr_index_column_text (stmt, 4);
      row->identity_suffix_hash = cr_index_column_text (stmt, 5);
      row->sessions = cr_index_column_text (stmt, 6);
      row->purpose = cr_index_column_text (stmt, 9);
      row->contact = cr_index_column_text (stmt, 10);
      row->source = cr_index_column_text (stmt, 11);
      row->entered_by = cr_index_column_text (stmt, 12);
      row->state = cr_index_column_text (stmt, 14);
      row->decided_by = cr_index_column_text (stmt, 15);
      row->reason = cr_index_column_text (stmt, 17);
      if (!cr_index_column_utc (index, stmt, 7, "access_requests", &row->span_from_us, error) ||
          !cr_index_column_utc (index, stmt, 8, "access_requests", &row->span_to_us, error) ||
          !cr_index_column_utc (index, stmt, 13, "access_requests", &row->entered_us, error) ||
          !cr_index_column_utc (index, stmt, 16, "access_requests", &row->decided_us, error))
        return NULL;
      g_ptr_array_add (rows, g_steal_pointer (&row));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

CrAccessRequestRow *
cr_access_store_get_request (CrSegmentIndex *index, gint64 id, GError **error)
{
  g_autoptr (GPtrArray) rows =
      select_requests (index, "SELECT " REQUEST_COLUMNS " FROM access_requests WHERE id = ?",
                       CR_BIND (CR_VALUE_INT (id)), error);

  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
cr_access_store_list_requests (CrSegmentIndex *index, const char *state, GError **error)
{
  return select_requests (index,
                          "SELECT " REQUEST_COLUMNS " FROM access_requests "
                          "WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT 1000",
                          CR_BIND (CR_VALUE_TEXT (state)), error);
}

gboolean
cr_access_store_refuse (CrSegmentIndex *index, gint64 request_id, const char *by,
                        gint64 at_us, const char *reason, GError **error)
{
  return cr_index_run (index,
                       "UPDATE access_requests SET state = 'refused', decided_by = ?, "
                       "decided_at = ?, reason = ? WHERE id = ? AND state = 'pending'",
                       "refuse an access request",
                       CR_BIND (CR_VALUE_TEXT (by), CR_VALUE_UTC (at_us),
                                CR_VALUE_TEXT (reason), CR_VALUE_INT (request_id)),
                       error);
}

typedef struct {
  const CrAccessGrantRow *row;
  gint64 id;
} AddGrant;

static gboolean
add_grant_work (CrSegmentIndex *index, gpointer data, GError **error)
{
  AddGrant *work = data;
  const CrAccessGrantRow *row = work->row;

  if (!cr_index_run (index,
                     "UPDATE access_requests SET state = 'granted', decided_by = ?, "
                     "decided_at = ? WHERE id = ? AND state = 'pending'",
                     "mark an access request granted",
                     CR_BIND (CR_VALUE_TEXT (row->granted_by), CR_VALUE_UTC (row->granted_us),
                              CR_VALUE_INT (row->request_id)),
                     error))
    return FALSE;
  work->id = cr_index_insert (
      index,
      "INSERT INTO access_grants (request_id, mode, sessions, expires_at, redactions, "
      "watermark, code_hash, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "record an access grant",
      CR_BIND (CR_VALUE_INT (row->request_id), CR_VALUE_TEXT (row->mode),
               CR_VALUE_TEXT (row->sessions), CR_VALUE_UTC (row->expires_us),
               CR_VALUE_TEXT (row->redactions != NULL ? row->redactions : "[]"),
               CR_VALUE_TEXT (row->watermark), CR_VALUE_TEXT (row->code_hash),
               CR_VALUE_TEXT (row->granted_by), CR_VALUE_UTC (row->granted_us)),
      error);
  return work->id > 0;
}

gint64
cr_access_store_add_grant (CrSegmentIndex *index, const CrAccessGrantRow *row, GError **error)
{
  AddGrant work = { row, 0 };

  g_return_val_if_fail (index != NULL && row != NULL, 0);
  if (!cr_index_transaction (index, add_grant_work, &work, error))
    return 0;
  return work.id;
}

gboolean
cr_access_store_set_watermark (CrSegmentIndex *index, gint64 grant_id, const char *watermark,
                               GError **error)
{
  return cr_index_run (index, "UPDATE access_grants SET watermark = ? WHERE id = ?",
                       "record a grant's watermark",
                       CR_BIND (CR_VALUE_TEXT (watermark), CR_VALUE_INT (grant_id)), error);
}

static CrAccessGrantRow *
select_grant (CrSegmentIndex *index, const char *sql, const CrIndexValue *values,
              gsize n_values, GError **error)
{
  const char *doing = "read an access grant";
  g_autoptr (sqlite3_stmt) stmt = cr_index_statement (index, sql, doing, values, n_values,
                                                      error);
  g_autoptr (CrAccessGrantRow) row = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      cr_index_check (index, rc, doing, error);
      return NULL;
    }
  row = g_new0 (CrAccessGrantRow, 1);
  row->id = sqlite3_column_int64 (stmt, 0);
  row->request_id = sqlite3_column_int64 (stmt, 1);
  row->mode = cr_index_column_text (stmt, 2);
  row->sessions = cr_index_column_text (stmt, 3);
  row->redactions = cr_index_column_text (stmt, 5);
  row->watermark = cr_index_column_text (stmt, 6);
  row->code_hash = cr_index_column_text (stmt, 7);
  row->granted_by = cr_index_column_text (stmt, 8);
  row->revoked_by = cr_index_column_text (stmt, 11);
  row->revoke_reason = cr_index_column_text (stmt, 12);
  row->failures = sqlite3_column_int64 (stmt, 13);
  if (!cr_index_column_utc (index, stmt, 4, "access_grants", &row->expires_us, error) ||
      !cr_index_column_utc (index, stmt, 9, "access_grants", &row->granted_us, error) ||
      !cr_index_column_utc (index, stmt, 10, "access_grants", &row->revoked_us, error))
    return NULL;
  return g_steal_pointer (&row);
}

CrAccessGrantRow *
cr_access_store_get_grant (CrSegmentIndex *index, gint64 id, GError **error)
{
  return select_grant (index, "SELECT " GRANT_COLUMNS " FROM access_grants WHERE id = ?",
                       CR_BIND (CR_VALUE_INT (id)), error);
}

CrAccessGrantRow *
cr_access_store_grant_of_request (CrSegmentIndex *index, gint64 request_id, GError **error)
{
  return select_grant (index,
                       "SELECT " GRANT_COLUMNS " FROM access_grants WHERE request_id = ?",
                       CR_BIND (CR_VALUE_INT (request_id)), error);
}

CrAccessGrantRow *
cr_access_store_grant_by_code (CrSegmentIndex *index, const char *code_hash, GError **error)
{
  return select_grant (index,
                       "SELECT " GRANT_COLUMNS " FROM access_grants WHERE code_hash = ?",
                       CR_BIND (CR_VALUE_TEXT (code_hash)), error);
}

gboolean
cr_access_store_revoke (CrSegmentIndex *index, gint64 grant_id, const char *by, gint64 at_us,
                        const char *reason, GError **error)
{
  return cr_index_run (index,
                       "UPDATE access_grants SET revoked_at = ?, revoked_by = ?, "
                       "revoke_reason = ? WHERE id = ? AND revoked_at IS NULL",
                       "revoke an access grant",
                       CR_BIND (CR_VALUE_UTC (at_us), CR_VALUE_TEXT (by),
                                CR_VALUE_TEXT (reason), CR_VALUE_INT (grant_id)),
                       error);
}

gint64
cr_access_store_count_failure (CrSegmentIndex *index, gint64 grant_id, GError **error)
{
  g_autoptr (CrAccessGrantRow) row = NULL;

  if (!cr_index_run (index, "UPDATE access_grants SET failures = failures + 1 WHERE id = ?",
                     "count a wrong second factor", CR_BIND (CR_VALUE_INT (grant_id)), error))
    return 0;
  row = cr_access_store_get_grant (index, grant_id, error);
  return row != NULL ? row->failures : 0;
}

gint64
cr_access_store_add_copy (CrSegmentIndex *index, gint64 grant_id, gint64 session_id,
                          const char *dir, GError **error)
{
  return cr_index_insert (index,
                          "INSERT INTO derived_copies (grant_id, session_id, dir) "
                          "VALUES (?, ?, ?)", "record a derived copy",
                          CR_BIND (CR_VALUE_INT (grant_id), CR_VALUE_INT (session_id),
                                   CR_VALUE_TEXT (dir)),
                          error);
}

gboolean
cr_access_store_finish_copy (CrSegmentIndex *index, gint64 copy_id, gboolean ok,
                             const char *sha256, gint64 bytes, gint64 duration_us,
                             gint64 at_us, const char *error_text, GError **error)
{
  return cr_index_run (index,
                       "UPDATE derived_copies SET state = ?, sha256 = ?, bytes = ?, "
                       "duration_us = ?, rendered_at = ?, error = ? WHERE id = ?",
                       "record a finished derived copy",
                       CR_BIND (CR_VALUE_TEXT (ok ? "ready" : "failed"),
                                CR_VALUE_TEXT (sha256), CR_VALUE_INT (bytes),
                                CR_VALUE_INT (duration_us), CR_VALUE_UTC (at_us),
                                CR_VALUE_TEXT (error_text), CR_VALUE_INT (copy_id)),
                       error);
}

static GPtrArray *
select_copies (CrSegmentIndex *index, const char *sql, const CrIndexValue *values,
               gsize n_values, GError **error)
{
  const char *doing = "read the derived copies";
  g_autoptr (sqlite3_stmt) stmt = cr_index_statement (index, sql, doing, values, n_values,
                                                      error);
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_derived_copy_row_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrDerivedCopyRow) row = g_new0 (CrDerivedCopyRow, 1);

      row->id = sqlite3_column_int64 (stmt, 0);
      row->grant_id = sqlite3_column_int64 (stmt, 1);
      row->session_id = sqlite3_column_int64 (stmt, 2);
      row->dir = cr_index_column_text (stmt, 3);
      row->state = cr_index_column_text (stmt, 4);
      row->sha256 = cr_index_column_text (stmt, 5);
      row->bytes = sqlite3_column_int64 (stmt, 6);
      row->duration_us = sqlite3_column_int64 (stmt, 7);
      row->error = cr_index_column_text (stmt, 9);
      if (!cr_index_column_utc (index, stmt, 8, "derived_copies", &row->rendered_us, error))
        return NULL;
      g_ptr_array_add (rows, g_steal_pointer (&row));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

GPtrArray *
cr_access_store_list_copies (CrSegmentIndex *index, gint64 grant_id, GError **error)
{
  return select_copies (index, "SELECT " COPY_COLUMNS " FROM derived_copies "
                        "WHERE grant_id = ? ORDER BY session_id",
                        CR_BIND (CR_VALUE_INT (grant_id)), error);
}

GPtrArray *
cr_access_store_list_pending_copies (CrSegmentIndex *index, GError **error)
{
  return select_copies (index, "SELECT " COPY_COLUMNS " FROM derived_copies "
                        "WHERE grant_id IS NOT NULL AND state IN ('pending', 'failed') "
                        "ORDER BY id",
                        CR_BIND_NONE, error);
}

GArray *
cr_access_store_expired_grants (CrSegmentIndex *index, gint64 now_us, GError **error)
{
  g_autofree char *now = cr_format_utc (now_us);

  return cr_index_select_ids (index,
                              "SELECT id FROM access_grants WHERE revoked_at IS NULL AND "
                              "expires_at < ? AND id IN (SELECT grant_id FROM derived_copies) "
                              "ORDER BY id", "find the grants that expired",
                              CR_BIND (CR_VALUE_TEXT (now)), error);
}
