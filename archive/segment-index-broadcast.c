/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index-broadcast.c: the court's broadcast decisions, per case
 * (segment-index.h). */
#include "archive/segment-index-private.h"

#define BROADCAST_COLUMNS "id, case_no, decision, at, decided_by, reason"

gint64
cr_segment_index_add_broadcast_decision (CrSegmentIndex *index, const char *case_no,
                                         CrBroadcastDecision decision, gint64 at_us,
                                         const char *by, const char *reason,
                                         GError **error)
{
  g_return_val_if_fail (index != NULL && case_no != NULL, 0);
  g_return_val_if_fail (decision != CR_BROADCAST_UNDECIDED, 0);

  return cr_index_insert (index,
                          "INSERT INTO broadcast_decisions (case_no, decision, at, "
                          "decided_by, reason) VALUES (?, ?, ?, ?, ?)",
                          "record a broadcast decision",
                          CR_BIND (CR_VALUE_TEXT (case_no),
                                   CR_VALUE_TEXT (cr_broadcast_decision_to_string (decision)),
                                   CR_VALUE_UTC (at_us), CR_VALUE_TEXT (by),
                                   CR_VALUE_TEXT (reason)),
                          error);
}

/* The decisions @sql (BROADCAST_COLUMNS) selects with @values. */
static GPtrArray *
select_decisions (CrSegmentIndex *index, const char *sql, const char *doing,
                  const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_broadcast_record_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrBroadcastRecord) record = g_new0 (CrBroadcastRecord, 1);
      const char *decision = (const char *) sqlite3_column_text (stmt, 2);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->case_no = cr_index_column_text (stmt, 1);
      record->decision = g_strcmp0 (decision, "forbidden") == 0 ? CR_BROADCAST_FORBIDDEN
                                                                : CR_BROADCAST_APPROVED;
      if (!cr_index_column_utc (index, stmt, 3, "broadcast_decisions",
                                &record->at_us, error))
        return NULL;
      record->by = cr_index_column_text (stmt, 4);
      record->reason = cr_index_column_text (stmt, 5);
      g_ptr_array_add (rows, g_steal_pointer (&record));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

CrBroadcastRecord *
cr_segment_index_get_broadcast_decision (CrSegmentIndex *index, const char *case_no,
                                         GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;

  /* A refusal outweighs any approval, before or after it. */
  rows = select_decisions (index,
                           "SELECT " BROADCAST_COLUMNS " FROM broadcast_decisions "
                           "WHERE case_no = ? "
                           "ORDER BY decision = 'forbidden' DESC, id LIMIT 1",
                           "read the broadcast decision of a case",
                           CR_BIND (CR_VALUE_TEXT (case_no)), error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
cr_segment_index_list_broadcast_decisions (CrSegmentIndex *index, GError **error)
{
  return select_decisions (index,
                           "SELECT " BROADCAST_COLUMNS " FROM broadcast_decisions "
                           "ORDER BY id", "list the broadcast decisions",
                           CR_BIND_NONE, error);
}
