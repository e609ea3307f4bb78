/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify.c: see verify.h.
 *
 * Three passes: read what is there (the files first, then the index),
 * hash every file that needs it in parallel, then judge each session in
 * order. Judging after hashing lets one finding explain another: a missing
 * file whose content turns up under another name was renamed, a file that
 * holds another segment's content was reordered, and a row whose hash
 * column was edited is told from a file whose bytes were. */
#include "archive/verify-private.h"

#include "archive/digest.h"
#include "archive/segment-files.h"
#include "archive/segment-writer.h"

void
cr_verify_hash_job_free (HashJob *job)
{
  g_free (job->path);
  g_free (job->full_path);
  g_free (job->sha256);
  g_clear_error (&job->error);
  g_free (job);
}

void
cr_verify_row_check_free (RowCheck *check)
{
  g_free (check->previous_link);
  g_free (check->link_error);
  g_free (check);
}

void
cr_verify_session_check_free (SessionCheck *check)
{
  cr_session_record_free (check->session);
  g_clear_pointer (&check->rows, g_ptr_array_unref);
  g_clear_pointer (&check->checks, g_ptr_array_unref);
  g_clear_pointer (&check->events, g_ptr_array_unref);
  g_clear_pointer (&check->ledger, g_ptr_array_unref);
  g_clear_pointer (&check->markers, g_ptr_array_unref);
  g_free (check->head_now);
  g_free (check);
}

static void
problem_free (CrVerifyProblem *problem)
{
  g_free (problem->path);
  g_free (problem->message);
  g_free (problem);
}

static void
verify_session_free (CrVerifySession *session)
{
  g_free (session->case_no);
  g_free (session->chain_head);
  g_free (session);
}

CrVerifyReport *
cr_verify_report_new (void)
{
  CrVerifyReport *report = g_new0 (CrVerifyReport, 1);

  report->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) verify_session_free);
  report->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);
  return report;
}

void
cr_verify_summarize (CrVerifyReport *report, SessionCheck *check)
{
  check->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_verify_row_check_free);
  check->summary = g_new0 (CrVerifySession, 1);
  check->summary->session_id = check->session->id;
  check->summary->case_no = g_strdup (check->session->case_no);
  check->summary->state = check->session->state;
  check->summary->segments = check->rows->len;
  g_ptr_array_add (report->sessions, check->summary);
}

void
cr_verify_report_free (CrVerifyReport *report)
{
  if (report == NULL)
    return;
  g_clear_pointer (&report->sessions, g_ptr_array_unref);
  g_clear_pointer (&report->problems, g_ptr_array_unref);
  g_free (report);
}

gboolean
cr_verify_report_is_intact (const CrVerifyReport *report)
{
  g_return_val_if_fail (report != NULL, FALSE);
  return report->problems->len == 0;
}

const char *
cr_verify_problem_kind_to_string (CrVerifyProblemKind kind)
{
  switch (kind)
    {
    case CR_VERIFY_CHANGED:
      return "changed";
    case CR_VERIFY_DELETED:
      return "deleted";
    case CR_VERIFY_ADDED:
      return "added";
    case CR_VERIFY_RENAMED:
      return "renamed";
    case CR_VERIFY_REORDERED:
      return "reordered";
    case CR_VERIFY_EDITED:
      return "edited";
    case CR_VERIFY_SEAL_BROKEN:
      return "seal-broken";
    case CR_VERIFY_BAD_SIGNATURE:
      return "bad-signature";
    case CR_VERIFY_MISSING_SIGNATURE:
      return "missing-signature";
    case CR_VERIFY_UNKNOWN_KEY:
      return "unknown-key";
    case CR_VERIFY_UNREADABLE:
      return "unreadable";
    }
  return "unknown";
}

void
cr_verify_add_problem (CrVerifyReport *report, CrVerifySession *session,
                       CrVerifyProblemKind kind, guint sequence, guint event,
                       const char *path, const char *format, ...)
{
  CrVerifyProblem *problem = g_new0 (CrVerifyProblem, 1);
  va_list ap;

  problem->kind = kind;
  problem->session_id = session != NULL ? session->session_id : 0;
  problem->sequence = sequence;
  problem->event = event;
  problem->path = g_strdup (path);
  va_start (ap, format);
  problem->message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_ptr_array_add (report->problems, problem);
  if (session != NULL)
    session->problems++;
}

/* --- reading what is there -------------------------------------------- */

static HashJob *
new_job (const char *storage_dir, const char *path)
{
  HashJob *job = g_new0 (HashJob, 1);

  job->path = g_strdup (path);
  job->full_path = g_build_filename (storage_dir, path, NULL);
  return job;
}

static void
run_hash_job (gpointer data, gpointer user_data)
{
  HashJob *job = data;

  job->sha256 = cr_digest_file_sha256 (job->full_path, &job->bytes, &job->error);
}

/* Hashes every job whose file is to be read, one thread per processor:
 * SHA-256 on one core is slower than a good disk. */
static void
hash_all (GPtrArray *jobs)
{
  GThreadPool *pool;
  guint threads = MIN ((guint) g_get_num_processors (), jobs->len);

  if (jobs->len == 0)
    return;
  pool = g_thread_pool_new (run_hash_job, NULL, (gint) MAX (threads, 1), FALSE, NULL);
  for (guint i = 0; i < jobs->len; i++)
    g_thread_pool_push (pool, g_ptr_array_index (jobs, i), NULL);
  /* Waits for every job to run. */
  g_thread_pool_free (pool, FALSE, TRUE);
}

/* --- the whole ---------------------------------------------------------- */

static gboolean
in_scope (const CrVerifyScope *scope, const CrSessionRecord *session)
{
  if (scope->session_id != 0 && session->id != scope->session_id)
    return FALSE;
  if (scope->case_no != NULL && g_strcmp0 (scope->case_no, session->case_no) != 0)
    return FALSE;
  return TRUE;
}

CrVerifyReport *
cr_verify (CrSegmentIndex *index, const char *storage_dir,
           const CrVerifyScope *scope, GError **error)
{
  static const CrVerifyScope everything = { NULL, 0, NULL };
  g_autoptr (CrVerifyReport) report = cr_verify_report_new ();
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) live_rows = NULL;
  g_autoptr (GPtrArray) checks =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_verify_session_check_free);
  g_autoptr (GPtrArray) jobs =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_verify_hash_job_free);
  g_autoptr (GPtrArray) unknown = g_ptr_array_new ();
  g_autoptr (GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                        g_free, NULL);
  g_autoptr (GHashTable) scoped_ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree char *recordings = NULL;
  gboolean any_missing = FALSE;
  gboolean whole = FALSE;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (storage_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (scope == NULL)
    scope = &everything;
  whole = scope->session_id == 0 && scope->case_no == NULL;

  /* The files before the index: a segment opened in between then has its
   * row by the time the index is read, rather than passing for an added
   * file. */
  recordings = g_build_filename (storage_dir, "recordings", NULL);
  files = cr_segment_files_list (storage_dir);
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);

  sessions = cr_segment_index_list_sessions (index, NULL, error);
  if (sessions == NULL)
    return NULL;
  live_rows = cr_segment_index_list_segments (index, 0, error);
  if (live_rows == NULL)
    return NULL;
  for (guint i = 0; i < live_rows->len; i++)
    g_hash_table_add (known, g_strdup (((CrSegmentRecord *) g_ptr_array_index (live_rows, i))->path));

  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      g_autoptr (SessionCheck) check = NULL;

      if (!in_scope (scope, session))
        {
          /* The rows of media retention deleted are still known paths. */
          if (session->purged_us != 0)
            {
              g_autoptr (GPtrArray) rows = cr_segment_index_list_chain (index, session->id, error);
              if (rows == NULL)
                return NULL;
              for (guint r = 0; r < rows->len; r++)
                g_hash_table_add (known, g_strdup (((CrSegmentRecord *) g_ptr_array_index (rows, r))->path));
            }
          continue;
        }

      check = g_new0 (SessionCheck, 1);
      /* Taken over; the array's free function passes over NULL. */
      check->session = session;
      sessions->pdata[i] = NULL;
      check->rows = cr_segment_index_list_chain (index, check->session->id, error);
      if (check->rows == NULL)
        return NULL;
      check->events = cr_segment_index_list_events (index, check->session->id, error);
      if (check->events == NULL)
        return NULL;
      check->ledger = cr_segment_index_list_ledger (index, check->session->id, error);
      if (check->ledger == NULL)
        return NULL;
      check->markers = cr_segment_index_list_markers (index, check->session->id, error);
      if (check->markers == NULL)
        return NULL;
      cr_verify_summarize (report, check);
      g_hash_table_add (scoped_ids, &check->session->id);

      cr_verify_check_chain (check);
      for (guint r = 0; r < check->checks->len; r++)
        {
          RowCheck *row_check = g_ptr_array_index (check->checks, r);
          CrSegmentRecord *row = row_check->row;
          g_autofree char *full = NULL;

          g_hash_table_add (known, g_strdup (row->path));
          if (row->purged)
            {
              check->summary->purged_segments++;
              continue;
            }
          if (!row->closed)
            {
              check->summary->open_segments++;
              continue;
            }
          full = g_build_filename (storage_dir, row->path, NULL);
          if (!g_file_test (full, G_FILE_TEST_EXISTS))
            {
              row_check->file_missing = TRUE;
              any_missing = TRUE;
              continue;
            }
          row_check->job = new_job (storage_dir, row->path);
          g_ptr_array_add (jobs, row_check->job);
        }
      g_ptr_array_add (checks, g_steal_pointer (&check));
    }

  /* Unknown files: in scope when their name says whose they are, or when
   * the whole archive is verified. Hash them when one might be a renamed
   * segment. */
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *basename = NULL;
      HashJob *job;
      gint64 session_id = 0, started_us = 0;
      guint sequence = 0;

      if (g_hash_table_contains (known, path))
        continue;
      job = new_job (storage_dir, path);
      job->unknown = TRUE;
      basename = g_path_get_basename (path);
      if (cr_segment_writer_parse_name (basename, &session_id, &sequence, &started_us) &&
          g_hash_table_contains (scoped_ids, &session_id))
        job->session_id = session_id;
      job->in_scope = whole || job->session_id != 0;
      g_ptr_array_add (jobs, job);
      g_ptr_array_add (unknown, job);
    }
  if (!any_missing)
    for (guint i = 0; i < unknown->len; i++)
      {
        HashJob *job = g_ptr_array_index (unknown, i);
        /* Not needed: mark it done without reading it. */
        job->consumed = !job->in_scope;
      }

  {
    g_autoptr (GPtrArray) to_hash = g_ptr_array_new ();
    for (guint i = 0; i < jobs->len; i++)
      {
        HashJob *job = g_ptr_array_index (jobs, i);
        if (!job->consumed && (any_missing || !job->unknown))
          g_ptr_array_add (to_hash, job);
      }
    hash_all (to_hash);
    for (guint i = 0; i < to_hash->len; i++)
      {
        HashJob *job = g_ptr_array_index (to_hash, i);
        if (job->sha256 != NULL)
          {
            report->files_hashed++;
            report->bytes_hashed += job->bytes;
          }
      }
  }

  for (guint i = 0; i < checks->len; i++)
    cr_verify_judge_session (report, g_ptr_array_index (checks, i), unknown,
                   scope->trusted_public_key);

  for (guint i = 0; i < unknown->len; i++)
    {
      HashJob *job = g_ptr_array_index (unknown, i);
      CrVerifySession *owner = NULL;

      if (job->consumed || !job->in_scope)
        continue;
      for (guint s = 0; s < report->sessions->len && job->session_id != 0; s++)
        if (((CrVerifySession *) g_ptr_array_index (report->sessions, s))->session_id ==
            job->session_id)
          owner = g_ptr_array_index (report->sessions, s);
      cr_verify_add_problem (report, owner, CR_VERIFY_ADDED, 0, 0, job->path,
                             "a file the index does not know was added under %s", recordings);
    }
  return g_steal_pointer (&report);
}

