/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify-judge.c: judging one session once what is there has been read
 * and hashed (verify-private.h): its segment chain from the root, each
 * row against its file, the ledger (verify-ledger.c) and the seal. The
 * same judge serves the room's own archive (verify.c) and the court
 * archive's copy of a session (archive-verify.c). */
#include "archive/verify-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/chain.h"
#include "archive/device-key.h"

/* Where the rows and the files of @check are: the room's index and disk,
 * or the court archive's manifest and objects. */
static const char *
rows_held_in (const SessionCheck *check)
{
  return check->archive_copy ? "the manifest" : "the index";
}

static const char *
files_held_in (const SessionCheck *check)
{
  return check->archive_copy ? "in the archive" : "on disk";
}

/* --- the chain of one session ----------------------------------------- */

/* Checks @check's rows against their links and the root, without the
 * files: those come later. */
void
cr_verify_check_chain (SessionCheck *check)
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
        cr_verify_add_problem (report, summary, CR_VERIFY_DELETED, row->sequence, 0,
                               job != NULL ? job->path : row->path,
                               check->archive_copy ? "segment #%u is not in the archive"
                                                   : "segment #%u's file is gone",
                               row->sequence);
    }
  else if (job != NULL && job->sha256 == NULL)
    cr_verify_add_problem (report, summary, CR_VERIFY_UNREADABLE, row->sequence, 0, job->path,
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
                                     job->path,
                                     "segment #%u's row was edited: its hash or size in %s "
                                     "changed, while the file still matches the chain",
                                     row->sequence, rows_held_in (check));
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
                                   job->path,
                                   "segment #%u's file holds the content of segment #%u "
                                   "(%s): files were swapped or reordered", row->sequence,
                                   other->sequence, other->path);
          else
            cr_verify_add_problem (report, summary, CR_VERIFY_CHANGED, row->sequence, 0,
                                   job->path,
                                   "segment #%u's content changed: SHA-256 %s… in %s, "
                                   "%s… %s (%" G_GINT64_FORMAT " bytes listed, %"
                                   G_GINT64_FORMAT " %s)", row->sequence, expected,
                                   rows_held_in (check), found, files_held_in (check),
                                   row->bytes, job->bytes, files_held_in (check));
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
                           "segment #%u is closed but its chain link was removed from %s",
                           row->sequence, rows_held_in (check));
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
                                 "its chain head and signature are gone from %s", at,
                                 rows_held_in (check));
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
                               "the session was sealed with %" G_GINT64_FORMAT " segments; %s "
                               "now has %" G_GINT64_FORMAT ": segment rows were deleted",
                               sealed_count, rows_held_in (check), now_count);
      else if (sealed_count >= 0 && now_count > sealed_count)
        cr_verify_add_problem (report, summary, CR_VERIFY_ADDED, 0, 0, NULL,
                               "the session was sealed with %" G_GINT64_FORMAT " segments; %s "
                               "now has %" G_GINT64_FORMAT ": segments were added after "
                               "sealing", sealed_count, rows_held_in (check), now_count);
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

void
cr_verify_judge_session (CrVerifyReport *report, SessionCheck *check, GPtrArray *unknown,
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
                                 "segment %s is not in %s: its row was deleted%s", which,
                                 rows_held_in (check),
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

