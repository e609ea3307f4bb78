/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index-segments.c: the segments of a session and their links in
 * the session's integrity chain (segment-index.h, chain.h). */
#include "archive/segment-index-private.h"

#include "archive/chain.h"
#include "config/text.h"

gint64
cr_segment_index_add_segment (CrSegmentIndex *index, gint64 session_id,
                              guint sequence, const char *path,
                              gint64 started_us, GError **error)
{
  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (path != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  return cr_index_insert (index,
                          "INSERT INTO segments (session_id, sequence, path, "
                          "started_at) VALUES (?, ?, ?, ?)", "insert a segment",
                          CR_BIND (CR_VALUE_INT (session_id), CR_VALUE_INT (sequence),
                                   CR_VALUE_TEXT (path), CR_VALUE_UTC (started_us)),
                          error);
}

/* The segment rows @sql selects with @values (CR_INDEX_SEGMENT_COLUMNS,
 * then optionally a "purged" flag). */
static GPtrArray *
select_segments (CrSegmentIndex *index, const char *sql, const char *doing,
                 const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GPtrArray) segments =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_segment_record_free);
  gboolean has_purged;
  int rc;

  if (stmt == NULL)
    return NULL;
  has_purged = sqlite3_column_count (stmt) > 10;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrSegmentRecord) record = g_new0 (CrSegmentRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->session_id = sqlite3_column_int64 (stmt, 1);
      record->sequence = (guint) sqlite3_column_int64 (stmt, 2);
      record->path = cr_index_column_text (stmt, 3);
      if (!cr_index_column_utc (index, stmt, 4, "segments", &record->started_us, error))
        return NULL;
      record->duration_us = sqlite3_column_int64 (stmt, 5);
      record->bytes = sqlite3_column_int64 (stmt, 6);
      record->sha256 = cr_index_column_text (stmt, 7);
      record->closed = sqlite3_column_int (stmt, 8) != 0;
      record->link = cr_index_column_text (stmt, 9);
      record->purged = has_purged && sqlite3_column_int (stmt, 10) != 0;
      g_ptr_array_add (segments, g_steal_pointer (&record));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&segments);
}

GPtrArray *
cr_index_session_segments (CrSegmentIndex *index, gint64 session_id,
                           GError **error)
{
  return select_segments (index,
                          "SELECT " CR_INDEX_SEGMENT_COLUMNS " FROM segments "
                          "WHERE session_id = ? ORDER BY sequence",
                          "list the segments of a session",
                          CR_BIND (CR_VALUE_INT (session_id)), error);
}

/* Sessions begun by schema version 1 have no stored root. */
char *
cr_index_ensure_chain_root (CrSegmentIndex *index, gint64 session_id, GError **error)
{
  g_autoptr (CrSessionRecord) session =
      cr_segment_index_get_session (index, session_id, error);
  g_autofree char *root = NULL;

  if (session == NULL)
    return NULL;
  if (session->chain_root != NULL)
    return g_steal_pointer (&session->chain_root);
  root = cr_chain_root (session);
  if (!cr_index_run (index, "UPDATE sessions SET chain_root = ? WHERE id = ?",
                     "store the chain root of a session",
                     CR_BIND (CR_VALUE_TEXT (root), CR_VALUE_INT (session_id)),
                     error))
    return NULL;
  return g_steal_pointer (&root);
}

/* Gives a link to every closed segment of @session_id that has none yet,
 * in sequence order, up to the first segment still open: a link needs the
 * link before it. Existing links are taken as they are: they were computed
 * when their rows were final, and verification is what checks them. Run
 * inside a write transaction. */
gboolean
cr_index_fill_links (CrSegmentIndex *index, gint64 session_id, GError **error)
{
  g_autoptr (GPtrArray) segments = NULL;
  g_autofree char *previous = cr_index_ensure_chain_root (index, session_id, error);

  if (previous == NULL)
    return FALSE;
  segments = cr_index_session_segments (index, session_id, error);
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
      if (!cr_index_run (index,
                         "UPDATE segments SET link = ? WHERE id = ? AND link IS NULL",
                         "store a segment's chain link",
                         CR_BIND (CR_VALUE_TEXT (link), CR_VALUE_INT (segment->id)),
                         error))
        return FALSE;
    }
  return TRUE;
}

gboolean
cr_index_fill_all_chains (CrSegmentIndex *index, GError **error)
{
  g_autoptr (GArray) ids =
      cr_index_select_ids (index, "SELECT id FROM sessions ORDER BY id",
                           "list sessions to chain", CR_BIND_NONE, error);

  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      GError *chain_error = NULL;

      if (cr_index_fill_links (index, g_array_index (ids, gint64, i), &chain_error))
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

typedef struct {
  gint64 segment_id;
  gint64 duration_us;
  gint64 bytes;
  const char *sha256;
} SegmentClose;

static gboolean
close_segment (CrSegmentIndex *index, gpointer data, GError **error)
{
  SegmentClose *closing = data;
  g_autoptr (sqlite3_stmt) lookup = NULL;
  const char *doing = "close a segment";
  gint64 session_id;
  gboolean linked;
  int rc;

  lookup = cr_index_statement (index,
                               "SELECT session_id, link IS NOT NULL FROM segments "
                               "WHERE id = ?", doing,
                               CR_BIND (CR_VALUE_INT (closing->segment_id)), error);
  if (lookup == NULL)
    return FALSE;
  rc = sqlite3_step (lookup);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No segment %" G_GINT64_FORMAT " in '%s'", closing->segment_id,
                   index->path);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return cr_index_fail (index, doing, error);
  session_id = sqlite3_column_int64 (lookup, 0);
  linked = sqlite3_column_int (lookup, 1) != 0;
  g_clear_pointer (&lookup, sqlite3_finalize);
  /* Its link vouches for the row as it is: changing it now would be
   * indistinguishable from tampering. */
  if (linked)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_SEALED,
                   "Segment %" G_GINT64_FORMAT " in '%s' is closed and chained "
                   "already; its row cannot change", closing->segment_id,
                   index->path);
      return FALSE;
    }

  return cr_index_run (index,
                       "UPDATE segments SET duration_us = ?, bytes = ?, "
                       "sha256 = ?, closed = 1 WHERE id = ?", doing,
                       CR_BIND (CR_VALUE_INT (closing->duration_us),
                                CR_VALUE_INT (closing->bytes),
                                CR_VALUE_TEXT (closing->sha256),
                                CR_VALUE_INT (closing->segment_id)),
                       error) &&
         cr_index_fill_links (index, session_id, error);
}

gboolean
cr_segment_index_close_segment (CrSegmentIndex *index, gint64 segment_id,
                                gint64 duration_us, gint64 bytes,
                                const char *sha256, GError **error)
{
  SegmentClose closing = {
    .segment_id = segment_id, .duration_us = duration_us, .bytes = bytes,
    .sha256 = sha256,
  };

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (sha256 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return cr_index_transaction (index, close_segment, &closing, error);
}

gboolean
cr_segment_index_delete_segment (CrSegmentIndex *index, gint64 segment_id,
                                 GError **error)
{
  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cr_index_run (index, "DELETE FROM segments WHERE id = ?",
                     "delete a segment", CR_BIND (CR_VALUE_INT (segment_id)),
                     error))
    return FALSE;
  if (sqlite3_changes (index->db) == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No segment %" G_GINT64_FORMAT " in '%s'", segment_id,
                   index->path);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
cr_segment_index_list_segments (CrSegmentIndex *index, gint64 session_id,
                                GError **error)
{
  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return select_segments (index,
                          "SELECT " CR_INDEX_SEGMENT_COLUMNS " FROM segments "
                          "WHERE ?1 = 0 OR session_id = ?1 "
                          "ORDER BY session_id, sequence", "list segments",
                          CR_BIND (CR_VALUE_INT (session_id)), error);
}

GPtrArray *
cr_segment_index_list_chain (CrSegmentIndex *index, gint64 session_id,
                             GError **error)
{
  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return select_segments (index,
                          "SELECT " CR_INDEX_SEGMENT_COLUMNS ", 0 FROM segments "
                          "WHERE session_id = ?1 "
                          "UNION ALL "
                          "SELECT " CR_INDEX_SEGMENT_COLUMNS ", 1 FROM purged_segments "
                          "WHERE session_id = ?1 "
                          "ORDER BY sequence", "list the chain of a session",
                          CR_BIND (CR_VALUE_INT (session_id)), error);
}

guint
cr_segment_index_last_sequence (CrSegmentIndex *index, gint64 session_id,
                                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *doing = "read the last segment sequence";

  g_return_val_if_fail (index != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  stmt = cr_index_statement (index,
                             "SELECT COALESCE (MAX (sequence), 0) FROM segments "
                             "WHERE session_id = ?", doing,
                             CR_BIND (CR_VALUE_INT (session_id)), error);
  if (stmt == NULL)
    return 0;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cr_index_fail (index, doing, error);
      return 0;
    }
  return (guint) sqlite3_column_int64 (stmt, 0);
}
