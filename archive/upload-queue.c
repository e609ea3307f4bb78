/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* upload-queue.c: the court archive's upload queue, a section of the
 * index (upload-queue.h). */
#include "archive/upload-queue.h"

#include <string.h>

#include "archive/s3-client.h"
#include "archive/segment-index-private.h"

#define QUEUE_COLUMNS \
  "id, archive, session_id, item, sequence, path, key, bytes, sha256, md5, part_bytes, " \
  "priority, state, attempts, queued_at, next_try_at, last_error, reason, upload_id, " \
  "verified_etag, verified_at"

#define BACKOFF_FIRST_US (5 * G_USEC_PER_SEC)
#define BACKOFF_MAX_US (600 * G_USEC_PER_SEC)

static const char *const state_names[] = {
  [CR_UPLOAD_QUEUED] = "queued",
  [CR_UPLOAD_UPLOADING] = "uploading",
  [CR_UPLOAD_UNKNOWN] = "unknown",
  [CR_UPLOAD_VERIFIED] = "verified",
  [CR_UPLOAD_FAILED] = "failed",
};

const char *
cr_upload_state_to_string (CrUploadState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (state_names), "queued");
  return state_names[state];
}

static CrUploadState
state_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (text, state_names[i]) == 0)
      return i;
  return CR_UPLOAD_QUEUED;
}

void
cr_upload_item_free (CrUploadItem *item)
{
  if (item == NULL)
    return;
  g_free (item->archive);
  g_free (item->item);
  g_free (item->path);
  g_free (item->key);
  g_free (item->sha256);
  g_free (item->md5);
  g_free (item->last_error);
  g_free (item->reason);
  g_free (item->upload_id);
  g_free (item->verified_etag);
  g_free (item);
}

gint64
cr_upload_backoff_us (guint attempts, double random)
{
  gint64 wait = BACKOFF_FIRST_US;

  for (guint i = 1; i < attempts && wait < BACKOFF_MAX_US; i++)
    wait *= 2;
  wait = MIN (wait, BACKOFF_MAX_US);
  random = CLAMP (random, 0.0, 1.0);
  return wait / 2 + (gint64) ((double) (wait / 2) * random);
}

/* The rows @sql (QUEUE_COLUMNS) selects. */
static GPtrArray *
select_items (CrSegmentIndex *index, const char *sql, const char *doing,
              const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_upload_item_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrUploadItem) item = g_new0 (CrUploadItem, 1);

      item->id = sqlite3_column_int64 (stmt, 0);
      item->archive = cr_index_column_text (stmt, 1);
      item->session_id = sqlite3_column_int64 (stmt, 2);
      item->item = cr_index_column_text (stmt, 3);
      item->sequence = sqlite3_column_type (stmt, 4) == SQLITE_NULL
                         ? -1 : sqlite3_column_int64 (stmt, 4);
      item->path = cr_index_column_text (stmt, 5);
      item->key = cr_index_column_text (stmt, 6);
      item->bytes = sqlite3_column_int64 (stmt, 7);
      item->sha256 = cr_index_column_text (stmt, 8);
      item->md5 = cr_index_column_text (stmt, 9);
      item->part_bytes = sqlite3_column_int64 (stmt, 10);
      item->jump_ahead = sqlite3_column_int64 (stmt, 11) > 0;
      item->state = state_from_string ((const char *) sqlite3_column_text (stmt, 12));
      item->attempts = (guint) sqlite3_column_int64 (stmt, 13);
      if (!cr_index_column_utc (index, stmt, 14, "upload_queue", &item->queued_at_us, error) ||
          !cr_index_column_utc (index, stmt, 15, "upload_queue", &item->next_try_at_us,
                                error))
        return NULL;
      item->last_error = cr_index_column_text (stmt, 16);
      item->reason = cr_index_column_text (stmt, 17);
      item->upload_id = cr_index_column_text (stmt, 18);
      item->verified_etag = cr_index_column_text (stmt, 19);
      if (!cr_index_column_utc (index, stmt, 20, "upload_queue", &item->verified_at_us,
                                error))
        return NULL;
      g_ptr_array_add (rows, g_steal_pointer (&item));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

static CrUploadItem *
select_one (CrSegmentIndex *index, const char *sql, const char *doing,
            const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (GPtrArray) rows = select_items (index, sql, doing, values, n_values, error);

  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

gint64
cr_upload_queue_add (CrSegmentIndex *index, const CrUploadItem *item, gint64 now_us,
                     GError **error)
{
  g_autoptr (GArray) ids = NULL;
  gboolean manifest;

  g_return_val_if_fail (index != NULL && item != NULL, 0);
  g_return_val_if_fail (item->archive != NULL && item->key != NULL && item->path != NULL, 0);
  g_return_val_if_fail (item->sha256 != NULL && item->md5 != NULL && item->item != NULL, 0);
  manifest = g_strcmp0 (item->item, "manifest") == 0;

  /* OR IGNORE: the same object queued twice (the segment-closed path after
   * a restart, a re-sealed manifest) stays one row, in whatever state it
   * has reached. */
  if (!cr_index_run (index,
                     "INSERT OR IGNORE INTO upload_queue (archive, session_id, item, "
                     "sequence, path, key, bytes, sha256, md5, part_bytes, priority, "
                     "queued_at, next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     "queue an upload to the archive",
                     CR_BIND (CR_VALUE_TEXT (item->archive), CR_VALUE_INT (item->session_id),
                              CR_VALUE_TEXT (item->item),
                              manifest ? CR_VALUE_TEXT (NULL) : CR_VALUE_INT (item->sequence),
                              CR_VALUE_TEXT (item->path), CR_VALUE_TEXT (item->key),
                              CR_VALUE_INT (item->bytes), CR_VALUE_TEXT (item->sha256),
                              CR_VALUE_TEXT (item->md5), CR_VALUE_INT (item->part_bytes),
                              CR_VALUE_INT (item->jump_ahead ? 1 : 0), CR_VALUE_UTC (now_us),
                              CR_VALUE_UTC (now_us)),
                     error))
    return 0;
  ids = cr_index_select_ids (index, "SELECT id FROM upload_queue WHERE archive = ? AND key = ?",
                             "find a queued upload",
                             CR_BIND (CR_VALUE_TEXT (item->archive), CR_VALUE_TEXT (item->key)),
                             error);
  if (ids == NULL)
    return 0;
  if (ids->len == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                   "Failed to queue an upload to the archive: the row vanished");
      return 0;
    }
  return g_array_index (ids, gint64, 0);
}

CrUploadItem *
cr_upload_queue_next (CrSegmentIndex *index, const char *archive, gint64 now_us,
                      GError **error)
{
  g_return_val_if_fail (index != NULL && archive != NULL, NULL);

  /* An uploading row at this point was left by a crash: settled (HEAD,
   * ListParts) before anything new goes out, whatever its retry time. An
   * unknown one (a lost answer) waits its backoff, then goes first. */
  return select_one (index,
                     "SELECT " QUEUE_COLUMNS " FROM upload_queue "
                     "WHERE archive = ?1 AND state != 'verified' "
                     "AND (state = 'uploading' OR next_try_at <= ?2) "
                     "ORDER BY state IN ('uploading', 'unknown') DESC, priority DESC, id "
                     "LIMIT 1",
                     "find the next upload to the archive",
                     CR_BIND (CR_VALUE_TEXT (archive), CR_VALUE_UTC (now_us)), error);
}

CrUploadItem *
cr_upload_queue_get (CrSegmentIndex *index, gint64 id, GError **error)
{
  return select_one (index, "SELECT " QUEUE_COLUMNS " FROM upload_queue WHERE id = ?",
                     "read a queued upload", CR_BIND (CR_VALUE_INT (id)), error);
}

GPtrArray *
cr_upload_queue_session (CrSegmentIndex *index, gint64 session_id, GError **error)
{
  return select_items (index,
                       "SELECT " QUEUE_COLUMNS " FROM upload_queue WHERE session_id = ? "
                       "ORDER BY id", "list a session's uploads",
                       CR_BIND (CR_VALUE_INT (session_id)), error);
}

gboolean
cr_upload_queue_set_state (CrSegmentIndex *index, gint64 id, CrUploadState state,
                           GError **error)
{
  g_return_val_if_fail (state == CR_UPLOAD_UPLOADING || state == CR_UPLOAD_UNKNOWN, FALSE);

  return cr_index_run (index,
                       "UPDATE upload_queue SET state = ?, attempts = attempts + ? "
                       "WHERE id = ? AND state != 'verified'",
                       "mark an upload under way",
                       CR_BIND (CR_VALUE_TEXT (cr_upload_state_to_string (state)),
                                CR_VALUE_INT (state == CR_UPLOAD_UPLOADING ? 1 : 0),
                                CR_VALUE_INT (id)),
                       error);
}

gboolean
cr_upload_queue_set_upload_id (CrSegmentIndex *index, gint64 id, const char *upload_id,
                               GError **error)
{
  return cr_index_run (index, "UPDATE upload_queue SET upload_id = ? WHERE id = ?",
                       "keep a multipart upload's id",
                       CR_BIND (CR_VALUE_TEXT (upload_id), CR_VALUE_INT (id)), error);
}

gboolean
cr_upload_queue_fail (CrSegmentIndex *index, gint64 id, const char *reason,
                      const char *message, gint64 next_try_at_us, GError **error)
{
  g_return_val_if_fail (reason != NULL, FALSE);

  return cr_index_run (index,
                       "UPDATE upload_queue SET state = 'failed', reason = ?, "
                       "last_error = ?, next_try_at = ? WHERE id = ? AND state != 'verified'",
                       "record a failed upload",
                       CR_BIND (CR_VALUE_TEXT (reason), CR_VALUE_TEXT (message),
                                CR_VALUE_UTC (next_try_at_us), CR_VALUE_INT (id)),
                       error);
}

gboolean
cr_upload_queue_verified (CrSegmentIndex *index, gint64 id, const char *etag, gint64 at_us,
                          GError **error)
{
  g_return_val_if_fail (etag != NULL, FALSE);

  return cr_index_run (index,
                       "UPDATE upload_queue SET state = 'verified', verified_etag = ?, "
                       "verified_at = ?, upload_id = NULL WHERE id = ?",
                       "mark an upload verified",
                       CR_BIND (CR_VALUE_TEXT (etag), CR_VALUE_UTC (at_us), CR_VALUE_INT (id)),
                       error);
}

void
cr_upload_queue_stats_clear (CrUploadQueueStats *stats)
{
  g_clear_pointer (&stats->failures, g_hash_table_unref);
  *stats = (CrUploadQueueStats) { 0 };
}

gboolean
cr_upload_queue_stats (CrSegmentIndex *index, const char *archive, CrUploadQueueStats *stats,
                       GError **error)
{
  const char *doing = "count the archive's upload queue";
  g_autoptr (sqlite3_stmt) totals = NULL;
  g_autoptr (sqlite3_stmt) failures = NULL;
  int rc;

  *stats = (CrUploadQueueStats) { 0 };
  stats->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* ?1 IS NULL: every archive. */
  totals = cr_index_statement (index,
                               "SELECT (SELECT count(*) FROM upload_queue WHERE state != "
                               "'verified' AND (?1 IS NULL OR archive = ?1)), "
                               "(SELECT total(bytes) FROM upload_queue WHERE state != "
                               "'verified' AND (?1 IS NULL OR archive = ?1)), "
                               "(SELECT min(queued_at) FROM upload_queue WHERE state != "
                               "'verified' AND (?1 IS NULL OR archive = ?1)), "
                               "(SELECT max(verified_at) FROM upload_queue WHERE state = "
                               "'verified' AND (?1 IS NULL OR archive = ?1))",
                               doing, CR_BIND (CR_VALUE_TEXT (archive)), error);
  if (totals == NULL)
    return FALSE;
  rc = sqlite3_step (totals);
  if (rc != SQLITE_ROW)
    return cr_index_check (index, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, doing, error);
  stats->length = (guint) sqlite3_column_int64 (totals, 0);
  stats->bytes = (gint64) sqlite3_column_double (totals, 1);
  if (!cr_index_column_utc (index, totals, 2, "upload_queue", &stats->oldest_queued_at_us,
                            error) ||
      !cr_index_column_utc (index, totals, 3, "upload_queue", &stats->last_success_us, error))
    return FALSE;

  failures = cr_index_statement (index,
                                 "SELECT reason, count(*) FROM upload_queue WHERE state = "
                                 "'failed' AND (?1 IS NULL OR archive = ?1) GROUP BY reason",
                                 doing, CR_BIND (CR_VALUE_TEXT (archive)), error);
  if (failures == NULL)
    return FALSE;
  while ((rc = sqlite3_step (failures)) == SQLITE_ROW)
    g_hash_table_insert (stats->failures, cr_index_column_text (failures, 0),
                         GUINT_TO_POINTER ((guint) sqlite3_column_int64 (failures, 1)));
  return cr_index_check (index, rc, doing, error);
}

gboolean
cr_upload_queue_unknown (CrSegmentIndex *index, gint64 id, const char *message,
                         gint64 next_try_at_us, GError **error)
{
  return cr_index_run (index,
                       "UPDATE upload_queue SET state = 'unknown', reason = 'unknown', "
                       "last_error = ?, next_try_at = ? WHERE id = ? AND state != 'verified'",
                       "record an upload with no answer",
                       CR_BIND (CR_VALUE_TEXT (message), CR_VALUE_UTC (next_try_at_us),
                                CR_VALUE_INT (id)),
                       error);
}

GArray *
cr_upload_queue_sessions_to_queue (CrSegmentIndex *index, const char *archive, GError **error)
{
  return cr_index_select_ids (index,
                              "SELECT DISTINCT s.session_id FROM segments s "
                              "JOIN sessions ON sessions.id = s.session_id "
                              "WHERE s.closed = 1 AND s.sha256 IS NOT NULL "
                              "AND sessions.purged_at IS NULL AND NOT EXISTS "
                              "(SELECT 1 FROM upload_queue q WHERE q.archive = ?1 AND "
                              "q.session_id = s.session_id AND q.item = 'segment' AND "
                              "q.sequence = s.sequence) "
                              "UNION SELECT id FROM sessions WHERE sealed_at IS NOT NULL "
                              "AND purged_at IS NULL AND NOT EXISTS "
                              "(SELECT 1 FROM upload_queue q WHERE q.archive = ?1 AND "
                              "q.session_id = sessions.id AND q.item = 'manifest') ORDER BY 1",
                              "find what the archive has not been given",
                              CR_BIND (CR_VALUE_TEXT (archive)), error);
}

GArray *
cr_upload_queue_waiting_sessions (CrSegmentIndex *index, const char *archive, GError **error)
{
  return cr_index_select_ids (index,
                              "SELECT DISTINCT session_id FROM upload_queue WHERE archive = ? "
                              "AND state != 'verified' ORDER BY session_id",
                              "find the sessions waiting for the archive",
                              CR_BIND (CR_VALUE_TEXT (archive)), error);
}

gboolean
cr_upload_queue_has (CrSegmentIndex *index, const char *archive, const char *key,
                     gboolean *has, GError **error)
{
  g_autoptr (GArray) ids =
      cr_index_select_ids (index, "SELECT id FROM upload_queue WHERE archive = ? AND key = ?",
                           "find a queued upload",
                           CR_BIND (CR_VALUE_TEXT (archive), CR_VALUE_TEXT (key)), error);

  if (ids == NULL)
    return FALSE;
  *has = ids->len > 0;
  return TRUE;
}

char *
cr_upload_session_key (const char *prefix, const char *room_id, const CrSessionRecord *session)
{
  g_autoptr (GDateTime) started = g_date_time_new_from_unix_utc (session->started_us /
                                                                 G_USEC_PER_SEC);
  g_autofree char *when = g_date_time_format (started, "%Y-%m-%d/%H%M%SZ");

  return g_strdup_printf ("%s%s%s/%s-%" G_GINT64_FORMAT, prefix, *prefix != '\0' ? "/" : "",
                          room_id, when, session->id);
}

char *
cr_upload_segment_key (const char *session_key, guint sequence, const char *path)
{
  const char *dot = path != NULL ? strrchr (path, '.') : NULL;
  gboolean keeps_extension = dot != NULL && strchr (dot, '/') == NULL &&
                             cr_s3_key_validate (dot + 1, NULL);

  return g_strdup_printf ("%s/%06u%s", session_key, sequence, keeps_extension ? dot : "");
}

char *
cr_upload_manifest_key (const char *session_key)
{
  return g_strdup_printf ("%s/manifest.json", session_key);
}

gint64
cr_upload_retain_until (gint64 started_us, guint years)
{
  g_autoptr (GDateTime) started = g_date_time_new_from_unix_utc (started_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) until = started != NULL ? g_date_time_add_years (started, (gint) years)
                                                : NULL;

  return until != NULL ? g_date_time_to_unix (until) : 0;
}
