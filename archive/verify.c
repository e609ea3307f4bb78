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

#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/chain.h"
#include "archive/device-key.h"
#include "archive/digest.h"
#include "archive/segment-files.h"
#include "archive/segment-writer.h"


typedef struct {
  char *path;             /* relative */
  char *full_path;
  char *sha256;           /* result, NULL on error */
  gint64 bytes;
  GError *error;
  gboolean unknown;       /* a file no index row names */
  gboolean consumed;      /* unknown, and explained or not to be judged */
  gboolean in_scope;      /* unknown, and to be judged */
  gint64 session_id;      /* unknown: the session its name says, or 0 */
} HashJob;

/* One segment row and what was found about it. */
typedef struct {
  CrSegmentRecord *row;   /* owned by the session's rows */
  char *previous_link;    /* the link it chains from, NULL when unknown */
  gboolean link_mismatch;
  gboolean link_missing;
  char *link_error;       /* a malformed hash in the row */
  HashJob *job;           /* its file, when present and closed */
  gboolean file_missing;
} RowCheck;

typedef struct {
  CrSessionRecord *session;
  GPtrArray *rows;        /* CrSegmentRecord, the chain */
  GPtrArray *checks;      /* RowCheck */
  GPtrArray *events;      /* CrEventRecord, by time */
  GPtrArray *ledger;      /* CrEventRecord, by sequence */
  GPtrArray *markers;     /* CrMarkerRecord */
  CrVerifySession *summary;
  gboolean root_mismatch;
  char *head_now;         /* where the chain ends now, NULL when it cannot be told */
} SessionCheck;

static void
hash_job_free (HashJob *job)
{
  g_free (job->path);
  g_free (job->full_path);
  g_free (job->sha256);
  g_clear_error (&job->error);
  g_free (job);
}

static void
row_check_free (RowCheck *check)
{
  g_free (check->previous_link);
  g_free (check->link_error);
  g_free (check);
}

static void
session_check_free (SessionCheck *check)
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SessionCheck, session_check_free)

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

/* --- the chain of one session ----------------------------------------- */

/* Checks @check's rows against their links and the root, without the
 * files: those come later. */
static void
check_chain (SessionCheck *check)
{
  CrSessionRecord *session = check->session;
  g_autofree char *root_now = cr_chain_root (session);
  g_autofree char *previous = NULL;
  gboolean complete = TRUE;

  check->root_mismatch = session->chain_root == NULL ||
                         !g_str_equal (session->chain_root, root_now);
  previous = g_strdup (session->chain_root != NULL ? session->chain_root : root_now);

  for (guint i = 0; i < check->rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (check->rows, i);
      RowCheck *row_check = g_new0 (RowCheck, 1);

      row_check->row = row;
      row_check->previous_link = g_strdup (previous);
      g_ptr_array_add (check->checks, row_check);

      if (!row->closed)
        {
          /* Everything after it waits for its link. */
          complete = FALSE;
          g_clear_pointer (&previous, g_free);
          continue;
        }
      if (row->link == NULL)
        {
          /* Only a segment waiting for an open one may lack its link. */
          row_check->link_missing = complete;
          complete = FALSE;
          g_clear_pointer (&previous, g_free);
          continue;
        }
      if (previous != NULL)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char *link_now = cr_chain_link (previous, row, &error);

          if (link_now == NULL)
            row_check->link_error = g_strdup (error->message);
          else
            row_check->link_mismatch = !g_str_equal (link_now, row->link);
        }
      g_free (previous);
      previous = g_strdup (row->link);
    }
  if (complete)
    check->head_now = g_steal_pointer (&previous);
}

/* The "segments" of the session's last "seal" event, or -1. */
static gint64
sealed_segment_count (SessionCheck *check, gint64 *sealed_at_us)
{
  for (guint i = check->events->len; i > 0; i--)
    {
      CrEventRecord *event = g_ptr_array_index (check->events, i - 1);
      g_autoptr (JsonNode) node = NULL;

      if (event->kind != CR_EVENT_SEAL)
        continue;
      if (sealed_at_us != NULL)
        *sealed_at_us = event->at_us;
      node = event->detail != NULL ? json_from_string (event->detail, NULL) : NULL;
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        return -1;
      return json_object_get_int_member_with_default (json_node_get_object (node),
                                                      "segments", -1);
    }
  return -1;
}

static guint
count_events (SessionCheck *check, CrEventKind kind)
{
  guint n = 0;

  for (guint i = 0; i < check->events->len; i++)
    if (((CrEventRecord *) g_ptr_array_index (check->events, i))->kind == kind)
      n++;
  return n;
}

static char *
short_hex (const char *hex)
{
  return hex != NULL ? g_strndup (hex, 12) : g_strdup ("(none)");
}

/* A file whose content is another row's in the same session. */
static CrSegmentRecord *
row_with_content (SessionCheck *check, const char *sha256, CrSegmentRecord *not)
{
  for (guint i = 0; i < check->rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (check->rows, i);
      if (row != not && g_strcmp0 (row->sha256, sha256) == 0)
        return row;
    }
  return NULL;
}

static HashJob *
unknown_with_content (GPtrArray *unknown, const char *sha256)
{
  for (guint i = 0; i < unknown->len; i++)
    {
      HashJob *job = g_ptr_array_index (unknown, i);
      if (!job->consumed && job->sha256 != NULL && g_strcmp0 (job->sha256, sha256) == 0)
        return job;
    }
  return NULL;
}

static void
judge_row (CrVerifyReport *report, SessionCheck *check, RowCheck *row_check,
           GPtrArray *unknown)
{
  CrVerifySession *summary = check->summary;
  CrSegmentRecord *row = row_check->row;
  HashJob *job = row_check->job;
  gboolean file_intact = FALSE;
  gboolean explained = FALSE;

  if (row->purged || !row->closed)
    ;
  else if (row_check->file_missing)
    {
      HashJob *renamed = row->sha256 != NULL ? unknown_with_content (unknown, row->sha256)
                                             : NULL;
      if (renamed != NULL)
        {
          renamed->consumed = TRUE;
          cr_verify_add_problem (report, summary, CR_VERIFY_RENAMED, row->sequence, 0,
                                 row->path,
                                 "segment #%u's file was renamed to %s", row->sequence,
                                 renamed->path);
        }
      else
        cr_verify_add_problem (report, summary, CR_VERIFY_DELETED, row->sequence, 0, row->path,
                               "segment #%u's file is gone", row->sequence);
    }
  else if (job != NULL && job->sha256 == NULL)
    cr_verify_add_problem (report, summary, CR_VERIFY_UNREADABLE, row->sequence, 0, row->path,
                           "segment #%u could not be read: %s", row->sequence,
                           job->error != NULL ? job->error->message : "unknown error");
  else if (job != NULL)
    {
      summary->bytes_hashed += job->bytes;
      if (g_strcmp0 (job->sha256, row->sha256) == 0 && job->bytes == row->bytes)
        file_intact = TRUE;
      else if (row_check->link_mismatch && row_check->previous_link != NULL)
        {
          /* If the file as it is reproduces the stored link, the file is
           * what was chained and the row's hash or size was edited. */
          CrSegmentRecord as_file = *row;
          g_autofree char *link_now = NULL;

          as_file.sha256 = job->sha256;
          as_file.bytes = job->bytes;
          link_now = cr_chain_link (row_check->previous_link, &as_file, NULL);
          if (g_strcmp0 (link_now, row->link) == 0)
            {
              cr_verify_add_problem (report, summary, CR_VERIFY_EDITED, row->sequence, 0,
                                     row->path,
                                     "segment #%u's row was edited: its hash or size in the "
                                     "index changed, while the file still matches the chain",
                                     row->sequence);
              explained = TRUE;
              file_intact = TRUE;
            }
        }
      if (!file_intact)
        {
          CrSegmentRecord *other = row_with_content (check, job->sha256, row);
          g_autofree char *expected = short_hex (row->sha256);
          g_autofree char *found = short_hex (job->sha256);

          if (other != NULL)
            cr_verify_add_problem (report, summary, CR_VERIFY_REORDERED, row->sequence, 0,
                                   row->path,
                                   "segment #%u's file holds the content of segment #%u "
                                   "(%s): files were swapped or reordered", row->sequence,
                                   other->sequence, other->path);
          else
            cr_verify_add_problem (report, summary, CR_VERIFY_CHANGED, row->sequence, 0,
                                   row->path,
                                   "segment #%u's content changed: SHA-256 %s… in the index, "
                                   "%s… on disk (%" G_GINT64_FORMAT " bytes indexed, %"
                                   G_GINT64_FORMAT " on disk)", row->sequence, expected, found,
                                   row->bytes, job->bytes);
        }
    }

  if (explained)
    return;
  if (row_check->link_error != NULL)
    cr_verify_add_problem (report, summary, CR_VERIFY_EDITED, row->sequence, 0, row->path,
                           "segment #%u's row was edited: %s", row->sequence,
                           row_check->link_error);
  else if (row_check->link_mismatch)
    cr_verify_add_problem (report, summary, CR_VERIFY_EDITED, row->sequence, 0, row->path,
                           "segment #%u's row was edited: its path, start, duration, size, "
                           "hash or sequence no longer match its chain link", row->sequence);
  else if (row_check->link_missing)
    cr_verify_add_problem (report, summary, CR_VERIFY_EDITED, row->sequence, 0, row->path,
                           "segment #%u is closed but its chain link was removed from the "
                           "index", row->sequence);
}

/* How long after its stop an unsealed session is "not sealed yet" rather
 * than "never sealed". */
#define SEAL_PENDING_US (60 * G_USEC_PER_SEC)

static void
judge_seal (CrVerifyReport *report, SessionCheck *check, const char *trusted)
{
  CrSessionRecord *session = check->session;
  CrVerifySession *summary = check->summary;
  gint64 sealed_at_us = 0;
  gint64 sealed_count = sealed_segment_count (check, &sealed_at_us);

  if (session->chain_head == NULL)
    {
      if (sealed_count >= 0 || sealed_at_us != 0)
        {
          g_autofree char *at = cr_format_utc (sealed_at_us);
          cr_verify_add_problem (report, summary, CR_VERIFY_MISSING_SIGNATURE, 0, 0, NULL,
                                 "the session was sealed at %s (its seal event says so), but "
                                 "its chain head and signature are gone from the index", at);
        }
      else if (session->state == CR_SESSION_STOPPED && summary->open_segments == 0)
        {
          /* Stopped and finished, yet never sealed: the device key could not
           * be used, or courtrecd ended before it sealed. Not intact until
           * someone seals it, which says so in the session's log. */
          g_autofree char *at = cr_format_utc (session->stopped_us);

          /* courtrecd seals as soon as the last segment is finished: a
           * session stopped a moment ago may just not be sealed yet, and
           * "never sealed" would alarm an auditor for nothing. */
          if (g_get_real_time () - session->stopped_us < SEAL_PENDING_US)
            {
              cr_verify_add_problem (report, summary, CR_VERIFY_MISSING_SIGNATURE, 0, 0, NULL,
                                     "the session stopped at %s, moments ago, and is not "
                                     "sealed yet: courtrecd seals it once its last segment "
                                     "is finished; verify it again in a minute", at);
              return;
            }
          cr_verify_add_problem (report, summary, CR_VERIFY_MISSING_SIGNATURE, 0, 0, NULL,
                                 "the session stopped at %s but was never sealed; once the "
                                 "device key can be used, `courtrec seal --session %"
                                 G_GINT64_FORMAT "` seals it", at, session->id);
        }
      return;
    }

  summary->chain_head = g_strdup (session->chain_head);
  summary->sealed_events = session->sealed_events;
  /* Layout 2 (chain.h): the head covers the ledger up to sealed_events. */
  if (check->head_now != NULL && session->sealed_events > 0)
    {
      CrEventRecord *last = cr_event_records_find (check->ledger, session->sealed_events);
      const char *ledger_head = last != NULL ? last->link : NULL;
      char *head = ledger_head != NULL
          ? cr_chain_head (check->head_now, ledger_head, NULL) : NULL;

      g_free (check->head_now);
      check->head_now = head;
      if (ledger_head == NULL)
        {
          cr_verify_add_problem (report, summary, CR_VERIFY_DELETED, 0, session->sealed_events,
                                 NULL, "the seal covers %u events; event #%u is gone from "
                                 "the ledger: events were deleted", session->sealed_events,
                                 session->sealed_events);
          goto signature;
        }
    }
  if (check->head_now == NULL || !g_str_equal (check->head_now, session->chain_head))
    {
      gint64 now_count = check->rows->len;

      if (sealed_count >= 0 && now_count < sealed_count)
        cr_verify_add_problem (report, summary, CR_VERIFY_DELETED, 0, 0, NULL,
                               "the session was sealed with %" G_GINT64_FORMAT " segments; the "
                               "index now has %" G_GINT64_FORMAT ": segment rows were deleted",
                               sealed_count, now_count);
      else if (sealed_count >= 0 && now_count > sealed_count)
        cr_verify_add_problem (report, summary, CR_VERIFY_ADDED, 0, 0, NULL,
                               "the session was sealed with %" G_GINT64_FORMAT " segments; the "
                               "index now has %" G_GINT64_FORMAT ": segments were added after "
                               "sealing", sealed_count, now_count);
      else
        cr_verify_add_problem (report, summary, CR_VERIFY_SEAL_BROKEN, 0, 0, NULL,
                               "the chain no longer ends at the sealed head %s",
                               session->chain_head);
    }

signature:
  if (session->signature == NULL || session->public_key == NULL)
    cr_verify_add_problem (report, summary, CR_VERIFY_MISSING_SIGNATURE, 0, 0, NULL,
                           "the session is sealed but its signature or public key is missing");
  else if (!cr_device_key_verify (session->public_key, session->chain_head,
                                  session->signature))
    cr_verify_add_problem (report, summary, CR_VERIFY_BAD_SIGNATURE, 0, 0, NULL,
                           "the signature does not match the sealed chain head: it was forged, "
                           "or the head or signature was altered");
  else
    {
      summary->signature_good = TRUE;
      if (trusted != NULL && !g_str_equal (trusted, session->public_key))
        cr_verify_add_problem (report, summary, CR_VERIFY_UNKNOWN_KEY, 0, 0, NULL,
                               "signed by key %s, which is not this device's key %s",
                               session->public_key, trusted);
    }
}

static void
judge_session (CrVerifyReport *report, SessionCheck *check, GPtrArray *unknown,
               const char *trusted)
{
  CrVerifySession *summary = check->summary;
  guint expected = 1;
  guint missing_logged = count_events (check, CR_EVENT_SEGMENT_MISSING);

  if (check->root_mismatch)
    cr_verify_add_problem (report, summary, CR_VERIFY_EDITED, 0, 0, NULL,
                           "the session's row was edited: its room, case number or start "
                           "time no longer match its chain root");

  for (guint i = 0; i < check->checks->len; i++)
    {
      RowCheck *row_check = g_ptr_array_index (check->checks, i);
      CrSegmentRecord *row = row_check->row;

      if (row->sequence > expected)
        {
          g_autofree char *which = row->sequence - 1 > expected
              ? g_strdup_printf ("#%u to #%u", expected, row->sequence - 1)
              : g_strdup_printf ("#%u", expected);
          cr_verify_add_problem (report, summary, CR_VERIFY_DELETED, expected, 0, NULL,
                                 "segment %s is not in the index: its row was deleted%s", which,
                                 missing_logged > 0
                                 ? " (courtrecd logged a segment missing at start-up: see "
                                 "the session's segment-missing events)" : "");
        }
      expected = row->sequence + 1;
      judge_row (report, check, row_check, unknown);
    }
  cr_verify_ledger (report, summary, check->session->chain_root, check->ledger,
                    check->markers);
  judge_seal (report, check, trusted);
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
  g_autoptr (CrVerifyReport) report = g_new0 (CrVerifyReport, 1);
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) live_rows = NULL;
  g_autoptr (GPtrArray) checks =
      g_ptr_array_new_with_free_func ((GDestroyNotify) session_check_free);
  g_autoptr (GPtrArray) jobs =
      g_ptr_array_new_with_free_func ((GDestroyNotify) hash_job_free);
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
  report->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) verify_session_free);
  report->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);

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
      check->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) row_check_free);
      check->summary = g_new0 (CrVerifySession, 1);
      check->summary->session_id = check->session->id;
      check->summary->case_no = g_strdup (check->session->case_no);
      check->summary->state = check->session->state;
      check->summary->segments = check->rows->len;
      g_ptr_array_add (report->sessions, check->summary);
      g_hash_table_add (scoped_ids, &check->session->id);

      check_chain (check);
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
    judge_session (report, g_ptr_array_index (checks, i), unknown,
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
