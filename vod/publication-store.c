/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* publication-store.c: see publication-store.h. A section of the index
 * of its own, through the index's SQL helpers. */
#include "vod/publication-store.h"

#include "archive/segment-index-private.h"

#define PUBLICATION_COLUMNS \
  "id, session_id, title, redactions, state, published_by, created_at, ready_at, " \
  "sha256, bytes, duration_us, withdrawn_at, withdrawn_by, reason"

static const char *const state_names[] = {
  [CR_PUBLICATION_RENDERING] = "rendering",
  [CR_PUBLICATION_PUBLISHED] = "published",
  [CR_PUBLICATION_FAILED] = "failed",
  [CR_PUBLICATION_WITHDRAWN] = "withdrawn",
};

const char *
cr_publication_state_to_string (CrPublicationState state)
{
  if ((gsize) state >= G_N_ELEMENTS (state_names))
    return NULL;
  return state_names[state];
}

static CrPublicationState
state_from_string (const char *text)
{
  for (gsize i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (text, state_names[i]) == 0)
      return (CrPublicationState) i;
  /* A state this program does not know is nothing to serve. */
  return CR_PUBLICATION_FAILED;
}

void
cr_publication_record_free (CrPublicationRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->title);
  g_free (record->redactions);
  g_free (record->published_by);
  g_free (record->sha256);
  g_free (record->withdrawn_by);
  g_free (record->reason);
  g_free (record);
}

gint64
cr_publication_store_add (CrSegmentIndex *index, gint64 session_id, const char *title,
                          const char *redactions, const char *by, gint64 at_us,
                          GError **error)
{
  g_return_val_if_fail (index != NULL && redactions != NULL, 0);

  return cr_index_insert (index,
                          "INSERT INTO publications (session_id, title, redactions, state, "
                          "published_by, created_at) VALUES (?, ?, ?, 'rendering', ?, ?)",
                          "record a publication",
                          CR_BIND (CR_VALUE_INT (session_id), CR_VALUE_TEXT (title),
                                   CR_VALUE_TEXT (redactions), CR_VALUE_TEXT (by),
                                   CR_VALUE_UTC (at_us)),
                          error);
}

static GPtrArray *
select_publications (CrSegmentIndex *index, const char *sql, const char *doing,
                     const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_publication_record_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrPublicationRecord) record = g_new0 (CrPublicationRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->session_id = sqlite3_column_int64 (stmt, 1);
      record->title = cr_index_column_text (stmt, 2);
      record->redactions = cr_index_column_text (stmt, 3);
      record->state = state_from_string ((const char *) sqlite3_column_text (stmt, 4));
      record->published_by = cr_index_column_text (stmt, 5);
      if (!cr_index_column_utc (index, stmt, 6, "publications", &record->created_us, error) ||
          !cr_index_column_utc (index, stmt, 7, "publications", &record->ready_us, error) ||
          !cr_index_column_utc (index, stmt, 11, "publications", &record->withdrawn_us, error))
        return NULL;
      record->sha256 = cr_index_column_text (stmt, 8);
      record->bytes = sqlite3_column_int64 (stmt, 9);
      record->duration_us = sqlite3_column_int64 (stmt, 10);
      record->withdrawn_by = cr_index_column_text (stmt, 12);
      record->reason = cr_index_column_text (stmt, 13);
      g_ptr_array_add (rows, g_steal_pointer (&record));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

CrPublicationRecord *
cr_publication_store_get (CrSegmentIndex *index, gint64 id, GError **error)
{
  g_autoptr (GPtrArray) rows =
      select_publications (index, "SELECT " PUBLICATION_COLUMNS " FROM publications "
                           "WHERE id = ?", "read a publication",
                           CR_BIND (CR_VALUE_INT (id)), error);

  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No publication %" G_GINT64_FORMAT, id);
      return NULL;
    }
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
cr_publication_store_list (CrSegmentIndex *index, gint state, GError **error)
{
  if (state < 0)
    return select_publications (index, "SELECT " PUBLICATION_COLUMNS " FROM publications "
                                "ORDER BY id", "list the publications", CR_BIND_NONE, error);
  return select_publications (index, "SELECT " PUBLICATION_COLUMNS " FROM publications "
                              "WHERE state = ? ORDER BY id", "list the publications",
                              CR_BIND (CR_VALUE_TEXT (cr_publication_state_to_string (state))),
                              error);
}

/* Runs @sql on row @id and says NOT_FOUND when it changed no row (the
 * row is gone or not in the state the statement asks for). */
static gboolean
update_one (CrSegmentIndex *index, gint64 id, const char *sql, const char *doing,
            const CrIndexValue *values, gsize n_values, GError **error)
{
  if (!cr_index_run (index, sql, doing, values, n_values, error))
    return FALSE;
  if (sqlite3_changes (index->db) == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No publication %" G_GINT64_FORMAT " to %s", id, doing);
      return FALSE;
    }
  return TRUE;
}

gboolean
cr_publication_store_set_published (CrSegmentIndex *index, gint64 id, const char *sha256,
                                    gint64 bytes, gint64 duration_us, gint64 at_us,
                                    GError **error)
{
  return update_one (index, id,
                     "UPDATE publications SET state = 'published', sha256 = ?, bytes = ?, "
                     "duration_us = ?, ready_at = ? WHERE id = ? AND state = 'rendering'",
                     "mark a publication published",
                     CR_BIND (CR_VALUE_TEXT (sha256), CR_VALUE_INT (bytes),
                              CR_VALUE_INT (duration_us), CR_VALUE_UTC (at_us),
                              CR_VALUE_INT (id)),
                     error);
}

gboolean
cr_publication_store_set_failed (CrSegmentIndex *index, gint64 id, const char *reason,
                                 GError **error)
{
  return update_one (index, id,
                     "UPDATE publications SET state = 'failed', reason = ? "
                     "WHERE id = ? AND state = 'rendering'",
                     "mark a publication failed",
                     CR_BIND (CR_VALUE_TEXT (reason), CR_VALUE_INT (id)), error);
}

gboolean
cr_publication_store_set_withdrawn (CrSegmentIndex *index, gint64 id, const char *reason,
                                    const char *by, gint64 at_us, GError **error)
{
  return update_one (index, id,
                     "UPDATE publications SET state = 'withdrawn', reason = ?, "
                     "withdrawn_by = ?, withdrawn_at = ? WHERE id = ? AND state != 'withdrawn'",
                     "withdraw a publication",
                     CR_BIND (CR_VALUE_TEXT (reason), CR_VALUE_TEXT (by), CR_VALUE_UTC (at_us),
                              CR_VALUE_INT (id)),
                     error);
}
