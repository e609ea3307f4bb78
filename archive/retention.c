/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* retention.c: see retention.h. */
#include "archive/retention.h"

#include "archive/upload-queue.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK (cr-retention-error-quark, cr_retention_error)

void
cr_retention_item_free (CrRetentionItem *item)
{
  if (item == NULL)
    return;
  g_free (item->case_no);
  g_clear_pointer (&item->deleted, g_ptr_array_unref);
  g_clear_pointer (&item->failed, g_ptr_array_unref);
  g_clear_pointer (&item->archived_as, g_hash_table_unref);
  g_clear_pointer (&item->kept, g_ptr_array_unref);
  g_free (item);
}

static char *
archived_detail (const char *note, const CrSessionRecord *session,
                 const CrVerifyReport *report)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "chain_head");
  json_builder_add_string_value (builder, session->chain_head);
  json_builder_set_member_name (builder, "verified_files");
  json_builder_add_int_value (builder, report->files_hashed);
  json_builder_set_member_name (builder, "verified_bytes");
  json_builder_add_int_value (builder, report->bytes_hashed);
  if (note != NULL)
    {
      json_builder_set_member_name (builder, "note");
      json_builder_add_string_value (builder, note);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

gboolean
cr_retention_mark_archived (CrSegmentIndex *index, const char *storage_dir,
                            gint64 session_id, const char *trusted_public_key,
                            const char *note, CrVerifyReport **report,
                            GError **error)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (CrVerifyReport) verified = NULL;
  g_autofree char *detail = NULL;
  GError *local_error = NULL;
  CrVerifyScope scope = { NULL, session_id, trusted_public_key };

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (storage_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  session = cr_segment_index_get_session (index, session_id, error);
  if (session == NULL)
    return FALSE;
  if (session->archived_us != 0)
    return TRUE;
  if (session->state != CR_SESSION_STOPPED)
    {
      g_set_error (error, CR_RETENTION_ERROR, CR_RETENTION_ERROR_REFUSED,
                   "Session %" G_GINT64_FORMAT " is still %s: stop it first",
                   session_id, cr_session_state_to_string (session->state));
      return FALSE;
    }
  if (session->chain_head == NULL)
    {
      g_set_error (error, CR_RETENTION_ERROR, CR_RETENTION_ERROR_REFUSED,
                   "Session %" G_GINT64_FORMAT " is not sealed: courtrecd seals a "
                   "session when its last segment has closed", session_id);
      return FALSE;
    }

  verified = cr_verify (index, storage_dir, &scope, error);
  if (verified == NULL)
    return FALSE;
  if (!cr_verify_report_is_intact (verified))
    {
      CrVerifyProblem *first = g_ptr_array_index (verified->problems, 0);
      g_set_error (error, CR_RETENTION_ERROR, CR_RETENTION_ERROR_NOT_INTACT,
                   "Session %" G_GINT64_FORMAT " does not verify (%u problem%s, "
                   "the first: %s: %s); it is not marked archived", session_id,
                   verified->problems->len, verified->problems->len == 1 ? "" : "s",
                   cr_verify_problem_kind_to_string (first->kind), first->message);
      if (report != NULL)
        *report = g_steal_pointer (&verified);
      return FALSE;
    }

  detail = archived_detail (note, session, verified);
  if (!cr_segment_index_mark_archived (index, session_id, g_get_real_time (), detail,
                                       &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (report != NULL)
    *report = g_steal_pointer (&verified);
  return TRUE;
}

/* Only what the recorder itself writes may be deleted: a relative path
 * under recordings/ with no way out of it. A row edited to name something
 * else is never followed. */
static gboolean
is_deletable_path (const char *path)
{
  g_auto (GStrv) parts = NULL;

  if (path == NULL || g_path_is_absolute (path) ||
      !g_str_has_prefix (path, "recordings/"))
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (parts[i], "..") || g_str_equal (parts[i], ".") ||
        parts[i][0] == '\0')
      return FALSE;
  return TRUE;
}

/* --- what the archives hold ------------------------------------------- */

static gboolean
has_archives (const char *const *archives)
{
  return archives != NULL && archives[0] != NULL;
}

/* @archive's row for @sequence of @uploads (-1: the manifest), or NULL. */
static const CrUploadItem *
find_upload (GPtrArray *uploads, const char *archive, gint64 sequence)
{
  for (guint i = 0; i < uploads->len; i++)
    {
      const CrUploadItem *upload = g_ptr_array_index (uploads, i);

      if (g_strcmp0 (upload->archive, archive) == 0 && upload->sequence == sequence &&
          g_strcmp0 (upload->item, sequence < 0 ? "manifest" : "segment") == 0)
        return upload;
    }
  return NULL;
}

/* Why @upload is not @archive's verified copy of content @sha256 (NULL:
 * any), or NULL when it is. (transfer full) */
static char *
not_verified (const CrUploadItem *upload, const char *archive, const char *sha256)
{
  if (upload == NULL)
    return g_strdup_printf ("not queued for archive %s yet", archive);
  if (upload->state != CR_UPLOAD_VERIFIED || upload->verified_etag == NULL)
    return g_strdup_printf ("not verified in archive %s (state %s%s%s)", archive,
                            cr_upload_state_to_string (upload->state),
                            upload->last_error != NULL ? ": " : "",
                            upload->last_error != NULL ? upload->last_error : "");
  /* A row queued for other bytes than the index's is no copy of these. */
  if (sha256 != NULL && g_strcmp0 (upload->sha256, sha256) != 0)
    return g_strdup_printf ("archive %s verified other content as %s (SHA-256 %.12s…, "
                            "the index's %.12s…)", archive, upload->key,
                            upload->sha256 != NULL ? upload->sha256 : "none", sha256);
  return NULL;
}

/* Judges @rows of @session_id against every archive: for each row's path
 * in @verdicts, where each archive holds it ("verified in archive NAME as
 * KEY, ETag E") or why not ("!" and the reason). *@gap: the first object
 * not verified ("segment #N is ...", "its manifest is ..."), NULL when the
 * session is whole in every archive. FALSE when the queue cannot be read. */
static gboolean
judge_in_archives (CrSegmentIndex *index, const char *const *archives, gint64 session_id,
                   GPtrArray *rows, GHashTable *verdicts, char **gap_out, GError **error)
{
  g_autoptr (GPtrArray) uploads = cr_upload_queue_session (index, session_id, error);
  char *gap = NULL;

  if (uploads == NULL)
    return FALSE;
  for (guint a = 0; archives[a] != NULL && gap == NULL; a++)
    {
      g_autofree char *why = not_verified (find_upload (uploads, archives[a], -1),
                                           archives[a], NULL);
      if (why != NULL)
        gap = g_strdup_printf ("its manifest is %s", why);
    }
  for (guint i = 0; i < rows->len; i++)
    {
      const CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autoptr (GString) proof = g_string_new (NULL);
      char *why = NULL;

      for (guint a = 0; archives[a] != NULL && why == NULL; a++)
        {
          const CrUploadItem *upload = find_upload (uploads, archives[a], row->sequence);

          why = not_verified (upload, archives[a], row->sha256);
          if (why == NULL)
            g_string_append_printf (proof, "%sverified in archive %s as %s, ETag %s",
                                    proof->len > 0 ? "; " : "", archives[a], upload->key,
                                    upload->verified_etag);
        }
      if (why != NULL)
        {
          if (gap == NULL)
            gap = g_strdup_printf ("segment #%u is %s", row->sequence, why);
          g_hash_table_insert (verdicts, g_strdup (row->path), g_strconcat ("!", why, NULL));
          g_free (why);
        }
      else
        g_hash_table_insert (verdicts, g_strdup (row->path),
                             g_string_free (g_steal_pointer (&proof), FALSE));
    }
  *gap_out = gap;
  return TRUE;
}

/* The archived mark retention gives a session verified whole:
 * {"verified_in": [NAME, ...], "by": "retention"}. */
static char *
archives_detail (const char *const *archives)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "verified_in");
  json_builder_begin_array (builder);
  for (guint a = 0; archives[a] != NULL; a++)
    json_builder_add_string_value (builder, archives[a]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "by");
  json_builder_add_string_value (builder, "retention");
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char *
purge_detail (guint files, gint64 bytes, gint64 cutoff_us, const char *const *archives)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *cutoff = cr_format_utc (cutoff_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "files");
  json_builder_add_int_value (builder, files);
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, bytes);
  json_builder_set_member_name (builder, "stopped_before");
  json_builder_add_string_value (builder, cutoff);
  if (has_archives (archives))
    {
      json_builder_set_member_name (builder, "verified_in");
      json_builder_begin_array (builder);
      for (guint a = 0; archives[a] != NULL; a++)
        json_builder_add_string_value (builder, archives[a]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Removes the now empty day directories between @path and recordings/. */
static void
remove_empty_parents (const char *storage_dir, const char *path)
{
  g_autofree char *relative = g_path_get_dirname (path);

  while (g_str_has_prefix (relative, "recordings/"))
    {
      g_autofree char *full = g_build_filename (storage_dir, relative, NULL);
      char *parent;

      if (g_rmdir (full) != 0)
        return;
      parent = g_path_get_dirname (relative);
      g_free (relative);
      relative = parent;
    }
}

static CrRetentionItem *
retain_session (CrSegmentIndex *index, const char *storage_dir,
                const char *const *archives, CrSessionRecord *session, gint64 cutoff_us,
                gboolean dry_run, GError **error)
{
  g_autoptr (CrRetentionItem) item = g_new0 (CrRetentionItem, 1);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) doomed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) verdicts = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           g_free, g_free);
  g_autofree char *detail = NULL;
  g_autofree char *gap = NULL;

  item->session_id = session->id;
  item->case_no = g_strdup (session->case_no);
  item->stopped_us = session->stopped_us;
  item->deleted = g_ptr_array_new_with_free_func (g_free);
  item->failed = g_ptr_array_new_with_free_func (g_free);
  item->kept = g_ptr_array_new_with_free_func (g_free);
  item->archived_as = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  rows = cr_segment_index_list_chain (index, session->id, error);
  if (rows == NULL)
    return NULL;
  if (has_archives (archives) &&
      !judge_in_archives (index, archives, session->id, rows, verdicts, &gap, error))
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      const char *verdict = g_hash_table_lookup (verdicts, row->path);
      g_autofree char *full = NULL;
      GStatBuf st;

      if (!row->purged && gap == NULL)
        item->rows++;
      if (!is_deletable_path (row->path))
        {
          g_ptr_array_add (item->failed,
                           g_strdup_printf ("%s: not a path under recordings/; left alone",
                                            row->path));
          continue;
        }
      full = g_build_filename (storage_dir, row->path, NULL);
      if (g_lstat (full, &st) != 0)
        continue; /* gone already */
      if (!S_ISREG (st.st_mode))
        {
          g_ptr_array_add (item->failed,
                           g_strdup_printf ("%s: not a regular file; left alone", row->path));
          continue;
        }
      if (gap != NULL)
        {
          /* The session goes whole or not at all. */
          if (verdict != NULL && verdict[0] == '!')
            g_ptr_array_add (item->kept, g_strdup_printf ("%s: %s", row->path, verdict + 1));
          else
            g_ptr_array_add (item->kept, g_strdup_printf ("%s: %s, but %s", row->path,
                                                          verdict, gap));
          continue;
        }
      if (verdict != NULL)
        g_hash_table_insert (item->archived_as, g_strdup (row->path), g_strdup (verdict));
      item->bytes += st.st_size;
      g_ptr_array_add (doomed, g_strdup (row->path));
    }

  if (dry_run || gap != NULL)
    {
      for (guint i = 0; i < doomed->len; i++)
        g_ptr_array_add (item->deleted, g_strdup (g_ptr_array_index (doomed, i)));
      return g_steal_pointer (&item);
    }

  /* Verified whole in every archive counts as the court's mark: it is
   * recorded as one, in the chain, naming the archives. */
  if (session->archived_us == 0 && has_archives (archives))
    {
      g_autofree char *mark = archives_detail (archives);

      if (!cr_segment_index_mark_archived (index, session->id, g_get_real_time (), mark,
                                           error))
        return NULL;
    }
  /* The rows first: once they are in the purged record, a file that is
   * then gone is expected, and the daemon's start-up check leaves them. */
  if (session->purged_us == 0)
    {
      detail = purge_detail (doomed->len, item->bytes, cutoff_us, archives);
      if (!cr_segment_index_purge_session (index, session->id, g_get_real_time (),
                                           detail, error))
        return NULL;
    }
  else
    item->rows = 0;

  item->bytes = 0;
  for (guint i = 0; i < doomed->len; i++)
    {
      const char *path = g_ptr_array_index (doomed, i);
      g_autofree char *full = g_build_filename (storage_dir, path, NULL);
      GStatBuf st;
      gint64 size = g_lstat (full, &st) == 0 ? st.st_size : 0;

      if (g_unlink (full) != 0)
        {
          int errnum = errno;
          g_ptr_array_add (item->failed, g_strdup_printf ("%s: %s", path,
                                                          g_strerror (errnum)));
          continue;
        }
      item->bytes += size;
      g_ptr_array_add (item->deleted, g_strdup (path));
      remove_empty_parents (storage_dir, path);
    }
  return g_steal_pointer (&item);
}

GPtrArray *
cr_retention_run (CrSegmentIndex *index, const char *storage_dir,
                  const char *const *archives, gint64 cutoff_us, gboolean dry_run,
                  GError **error)
{
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) items =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_retention_item_free);

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (storage_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  sessions = cr_segment_index_list_sessions (index, NULL, error);
  if (sessions == NULL)
    return NULL;
  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      CrRetentionItem *item;

      /* The rule (retention.h): old enough, and archived by the court or,
       * with archives, verified in every one (judged file by file). */
      if (session->state != CR_SESSION_STOPPED || session->stopped_us == 0 ||
          session->stopped_us >= cutoff_us ||
          (session->archived_us == 0 && !has_archives (archives)))
        continue;
      item = retain_session (index, storage_dir, archives, session, cutoff_us, dry_run,
                             error);
      if (item == NULL)
        return NULL;
      if (item->deleted->len == 0 && item->rows == 0 && item->failed->len == 0 &&
          item->kept->len == 0)
        {
          cr_retention_item_free (item);
          continue;
        }
      g_ptr_array_add (items, item);
    }
  return g_steal_pointer (&items);
}
