/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hearing-store.c: see hearing-store.h. A section of the index like the
 * access tables, through its SQL helpers (segment-index-private.h). */
#include "schedule/hearing-store.h"

#include "archive/segment-index-private.h"
#include "archive/utc.h"

#define HEARING_COLUMNS \
  "id, source, uid, case_no, title, location, starts_at, ends_at, tzid, public, status, " \
  "description, first_seen, updated_at, removed_at, not_held_at, not_held_by, " \
  "not_held_reason"

static CrIndexValue
optional_utc (gint64 us, char **text)
{
  *text = us != 0 ? cr_format_utc (us) : NULL;
  return CR_VALUE_TEXT (*text);
}

void
cr_hearing_row_free (CrHearingRow *row)
{
  if (row == NULL)
    return;
  g_free (row->source); g_free (row->uid); g_free (row->case_no); g_free (row->title);
  g_free (row->location); g_free (row->tzid); g_free (row->status);
  g_free (row->description); g_free (row->not_held_by); g_free (row->not_held_reason);
  g_free (row);
}

CrHearingRow *
cr_hearing_row_copy (const CrHearingRow *row)
{
  CrHearingRow *copy = g_memdup2 (row, sizeof *row);

  copy->source = g_strdup (row->source);
  copy->uid = g_strdup (row->uid);
  copy->case_no = g_strdup (row->case_no);
  copy->title = g_strdup (row->title);
  copy->location = g_strdup (row->location);
  copy->tzid = g_strdup (row->tzid);
  copy->status = g_strdup (row->status);
  copy->description = g_strdup (row->description);
  copy->not_held_by = g_strdup (row->not_held_by);
  copy->not_held_reason = g_strdup (row->not_held_reason);
  return copy;
}

void
cr_schedule_source_row_free (CrScheduleSourceRow *row)
{
  if (row == NULL)
    return;
  g_free (row->source); g_free (row->location); g_free (row->etag);
  g_free (row->last_modified); g_free (row->sha256); g_free (row->error);
  g_free (row);
}

static GPtrArray *
select_hearings (CrSegmentIndex *index, const char *sql, const CrIndexValue *values,
                 gsize n_values, GError **error)
{
  const char *doing = "read the hearings";
  g_autoptr (sqlite3_stmt) stmt = cr_index_statement (index, sql, doing, values, n_values,
                                                      error);
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrHearingRow) row = g_new0 (CrHearingRow, 1);

      row->id = sqlite3_column_int64 (stmt, 0);
      row->source = cr_index_column_text (stmt, 1);
      row->uid = cr_index_column_text (stmt, 2);
      row->case_no = cr_index_column_text (stmt, 3);
      row->title = cr_index_column_text (stmt, 4);
      row->location = cr_index_column_text (stmt, 5);
      row->tzid = cr_index_column_text (stmt, 8);
      row->public_hearing = sqlite3_column_int64 (stmt, 9) != 0;
      row->status = cr_index_column_text (stmt, 10);
      row->description = cr_index_column_text (stmt, 11);
      row->not_held_by = cr_index_column_text (stmt, 16);
      row->not_held_reason = cr_index_column_text (stmt, 17);
      if (!cr_index_column_utc (index, stmt, 6, "hearings", &row->starts_us, error) ||
          !cr_index_column_utc (index, stmt, 7, "hearings", &row->ends_us, error) ||
          !cr_index_column_utc (index, stmt, 12, "hearings", &row->first_seen_us, error) ||
          !cr_index_column_utc (index, stmt, 13, "hearings", &row->updated_us, error) ||
          !cr_index_column_utc (index, stmt, 14, "hearings", &row->removed_us, error) ||
          !cr_index_column_utc (index, stmt, 15, "hearings", &row->not_held_us, error))
        return NULL;
      g_ptr_array_add (rows, g_steal_pointer (&row));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

static CrHearingRow *
first_hearing (GPtrArray *rows)
{
  if (rows == NULL || rows->len == 0)
    {
      if (rows != NULL)
        g_ptr_array_unref (rows);
      return NULL;
    }
  CrHearingRow *row = g_ptr_array_steal_index (rows, 0);
  g_ptr_array_unref (rows);
  return row;
}

CrHearingRow *
cr_hearing_store_get (CrSegmentIndex *index, gint64 id, GError **error)
{
  return first_hearing (select_hearings (
      index, "SELECT " HEARING_COLUMNS " FROM hearings WHERE id = ?",
      CR_BIND (CR_VALUE_INT (id)), error));
}

CrHearingRow *
cr_hearing_store_find_uid (CrSegmentIndex *index, const char *source, const char *uid,
                           GError **error)
{
  return first_hearing (select_hearings (
      index, "SELECT " HEARING_COLUMNS " FROM hearings WHERE source = ? AND uid = ?",
      CR_BIND (CR_VALUE_TEXT (source), CR_VALUE_TEXT (uid)), error));
}

GPtrArray *
cr_hearing_store_list (CrSegmentIndex *index, gint64 from_us, gint64 to_us,
                       gboolean with_removed, GError **error)
{
  return select_hearings (
      index,
      "SELECT " HEARING_COLUMNS " FROM hearings WHERE starts_at < ?2 AND ends_at > ?1 "
      "AND (?3 OR removed_at IS NULL) ORDER BY starts_at, id",
      CR_BIND (CR_VALUE_UTC (from_us), CR_VALUE_UTC (to_us), CR_VALUE_INT (with_removed)),
      error);
}

typedef struct {
  const char *source;
  GPtrArray *hearings;
  gint64 now_us;
  guint changed;
} Replacement;

static gboolean
same_text (const char *a, const char *b)
{
  return g_strcmp0 (a, b) == 0;
}

/* Whether the calendar's view of @row differs from @given. */
static gboolean
hearing_differs (const CrHearingRow *row, const CrHearingRow *given)
{
  return !same_text (row->case_no, given->case_no) || !same_text (row->title, given->title) ||
         !same_text (row->location, given->location) || row->starts_us != given->starts_us ||
         row->ends_us != given->ends_us || !same_text (row->tzid, given->tzid) ||
         row->public_hearing != given->public_hearing ||
         !same_text (row->status, given->status) ||
         !same_text (row->description, given->description);
}

static gboolean
replace_work (CrSegmentIndex *index, gpointer data, GError **error)
{
  Replacement *work = data;
  g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) known = select_hearings (
      index, "SELECT " HEARING_COLUMNS " FROM hearings WHERE source = ?",
      CR_BIND (CR_VALUE_TEXT (work->source)), error);
  g_autoptr (GHashTable) by_uid = g_hash_table_new (g_str_hash, g_str_equal);

  if (known == NULL)
    return FALSE;
  for (guint i = 0; i < known->len; i++)
    {
      CrHearingRow *row = g_ptr_array_index (known, i);
      g_hash_table_insert (by_uid, row->uid, row);
    }

  for (guint i = 0; i < work->hearings->len; i++)
    {
      const CrHearingRow *given = g_ptr_array_index (work->hearings, i);
      CrHearingRow *row = g_hash_table_lookup (by_uid, given->uid);
      const char *status = given->status != NULL ? given->status : "scheduled";
      CrHearingRow effective = *given;

      /* A uid listed twice: the first stands, as a calendar reader would
       * show one of them. */
      if (!g_hash_table_add (listed, given->uid))
        continue;
      effective.status = (char *) status;
      if (row == NULL)
        {
          if (cr_index_insert (
                  index,
                  "INSERT INTO hearings (source, uid, case_no, title, location, starts_at, "
                  "ends_at, tzid, public, status, description, first_seen, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "add a hearing",
                  CR_BIND (CR_VALUE_TEXT (work->source), CR_VALUE_TEXT (given->uid),
                           CR_VALUE_TEXT (given->case_no), CR_VALUE_TEXT (given->title),
                           CR_VALUE_TEXT (given->location), CR_VALUE_UTC (given->starts_us),
                           CR_VALUE_UTC (given->ends_us), CR_VALUE_TEXT (given->tzid),
                           CR_VALUE_INT (given->public_hearing), CR_VALUE_TEXT (status),
                           CR_VALUE_TEXT (given->description), CR_VALUE_UTC (work->now_us),
                           CR_VALUE_UTC (work->now_us)),
                  error) == 0)
            return FALSE;
          work->changed++;
        }
      else if (hearing_differs (row, &effective) || row->removed_us != 0)
        {
          if (!cr_index_run (
                  index,
                  "UPDATE hearings SET case_no = ?, title = ?, location = ?, starts_at = ?, "
                  "ends_at = ?, tzid = ?, public = ?, status = ?, description = ?, "
                  "updated_at = ?, removed_at = NULL WHERE id = ?",
                  "update a hearing",
                  CR_BIND (CR_VALUE_TEXT (given->case_no), CR_VALUE_TEXT (given->title),
                           CR_VALUE_TEXT (given->location), CR_VALUE_UTC (given->starts_us),
                           CR_VALUE_UTC (given->ends_us), CR_VALUE_TEXT (given->tzid),
                           CR_VALUE_INT (given->public_hearing), CR_VALUE_TEXT (status),
                           CR_VALUE_TEXT (given->description), CR_VALUE_UTC (work->now_us),
                           CR_VALUE_INT (row->id)),
                  error))
            return FALSE;
          work->changed++;
        }
    }

  for (guint i = 0; i < known->len; i++)
    {
      CrHearingRow *row = g_ptr_array_index (known, i);
      if (row->removed_us != 0 || g_hash_table_contains (listed, row->uid))
        continue;
      if (!cr_index_run (index, "UPDATE hearings SET removed_at = ? WHERE id = ?",
                         "mark a hearing removed from the calendar",
                         CR_BIND (CR_VALUE_UTC (work->now_us), CR_VALUE_INT (row->id)), error))
        return FALSE;
      work->changed++;
    }
  return TRUE;
}

gboolean
cr_hearing_store_replace (CrSegmentIndex *index, const char *source, GPtrArray *hearings,
                          gint64 now_us, guint *changed, GError **error)
{
  Replacement work = { source, hearings, now_us, 0 };

  g_return_val_if_fail (index != NULL && source != NULL && hearings != NULL, FALSE);
  if (!cr_index_transaction (index, replace_work, &work, error))
    return FALSE;
  if (changed != NULL)
    *changed = work.changed;
  return TRUE;
}

gboolean
cr_hearing_store_set_not_held (CrSegmentIndex *index, gint64 id, gint64 at_us, const char *by,
                               const char *reason, GError **error)
{
  g_autofree char *at = NULL;

  return cr_index_run (index,
                       "UPDATE hearings SET not_held_at = ?, not_held_by = ?, "
                       "not_held_reason = ? WHERE id = ?",
                       "mark a hearing not held",
                       CR_BIND (optional_utc (at_us, &at), CR_VALUE_TEXT (by),
                                CR_VALUE_TEXT (reason), CR_VALUE_INT (id)),
                       error);
}

CrScheduleSourceRow *
cr_schedule_source_get (CrSegmentIndex *index, const char *source, GError **error)
{
  const char *doing = "read the schedule's source";
  g_autoptr (sqlite3_stmt) stmt = cr_index_statement (
      index,
      "SELECT source, location, etag, last_modified, checked_at, changed_at, sha256, "
      "hearings, error, error_at FROM schedule_sources WHERE source = ?",
      doing, CR_BIND (CR_VALUE_TEXT (source)), error);
  g_autoptr (CrScheduleSourceRow) row = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      cr_index_check (index, rc, doing, error);
      return NULL;
    }
  row = g_new0 (CrScheduleSourceRow, 1);
  row->source = cr_index_column_text (stmt, 0);
  row->location = cr_index_column_text (stmt, 1);
  row->etag = cr_index_column_text (stmt, 2);
  row->last_modified = cr_index_column_text (stmt, 3);
  row->sha256 = cr_index_column_text (stmt, 6);
  row->hearings = sqlite3_column_int64 (stmt, 7);
  row->error = cr_index_column_text (stmt, 8);
  if (!cr_index_column_utc (index, stmt, 4, "schedule_sources", &row->checked_us, error) ||
      !cr_index_column_utc (index, stmt, 5, "schedule_sources", &row->changed_us, error) ||
      !cr_index_column_utc (index, stmt, 9, "schedule_sources", &row->error_us, error))
    return NULL;
  return g_steal_pointer (&row);
}

gboolean
cr_schedule_source_put (CrSegmentIndex *index, const CrScheduleSourceRow *row, GError **error)
{
  g_autofree char *checked = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *error_at = NULL;

  return cr_index_run (
      index,
      "INSERT OR REPLACE INTO schedule_sources (source, location, etag, last_modified, "
      "checked_at, changed_at, sha256, hearings, error, error_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "write the schedule's source",
      CR_BIND (CR_VALUE_TEXT (row->source), CR_VALUE_TEXT (row->location),
               CR_VALUE_TEXT (row->etag), CR_VALUE_TEXT (row->last_modified),
               optional_utc (row->checked_us, &checked), optional_utc (row->changed_us, &changed),
               CR_VALUE_TEXT (row->sha256), CR_VALUE_INT (row->hearings),
               CR_VALUE_TEXT (row->error), optional_utc (row->error_us, &error_at)),
      error);
}
