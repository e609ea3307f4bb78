/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* integrity-verbs.c: the verbs about whether a recording is intact and how
 * long it is kept: verify, report, archived, seal and retention. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/case-number.h"
#include "archive/chain.h"
#include "archive/device-key.h"
#include "archive/late-seal.h"
#include "archive/report.h"
#include "archive/retention.h"
#include "archive/segment-index.h"
#include "archive/verify.h"
#include "config/config.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/daemon-reply.h"
#include "tools/index-access.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

/* The key seals must carry: --public-key, else the device's .pub file
 * beside the signing key; NULL when neither is at hand (then a seal counts
 * when its signature matches the key stored with it). */
char *
verify_trusted_key (const CrConfig *config, const char *given, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  char *key;

  *exit_code = EXIT_OK;
  if (given != NULL)
    {
      /* An Ed25519 public key is 32 bytes: the shape of a SHA-256 in hex. */
      if (!cr_chain_is_digest (given))
        {
          *exit_code = fail (EXIT_USAGE, "--public-key: expected 64 lowercase hex "
                             "digits, got '%s'", cr_text_shown (given));
          return NULL;
        }
      return g_strdup (given);
    }
  key = cr_device_key_read_public (config->key_file, &error);
  if (key == NULL && !g_error_matches (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_NOT_FOUND))
    *exit_code = fail (EXIT_RUNTIME, "%s", error->message);
  return key;
}

static void
print_problem (const CrVerifyProblem *problem)
{
  g_autofree char *message = terminal_message (problem->message);

  printf ("  %-18s %s\n", cr_verify_problem_kind_to_string (problem->kind), message);
  if (problem->path != NULL)
    {
      g_autofree char *path = shown_path (problem->path);
      printf ("  %-18s %s\n", "", path);
    }
}

void
print_verify_report (const CrVerifyReport *report, gint64 elapsed_us)
{
  guint outside = 0;

  for (guint i = 0; i < report->sessions->len; i++)
    {
      CrVerifySession *session = g_ptr_array_index (report->sessions, i);
      g_autoptr (GString) notes = g_string_new (NULL);

      g_string_append_printf (notes, "%s, %u segment%s", cr_session_state_to_string (session->state),
                              session->segments, session->segments == 1 ? "" : "s");
      if (session->open_segments > 0)
        g_string_append_printf (notes, ", %u open, not yet verifiable", session->open_segments);
      if (session->purged_segments > 0)
        g_string_append_printf (notes, ", media of %u deleted by retention (chain checked)",
                                session->purged_segments);
      g_string_append_printf (notes, ", %u event%s", session->events,
                              session->events == 1 ? "" : "s");
      if (session->chain_head != NULL)
        g_string_append_printf (notes, ", sealed%s%s", session->signature_good
                                ? ", signature good" : "",
                                session->sealed_events == 0 && session->events > 0
                                ? " (over the segments: sealed before events were chained)"
                                : "");
      else if (session->state == CR_SESSION_STOPPED)
        g_string_append (notes, ", not sealed");
      printf ("session %" G_GINT64_FORMAT "  %s  %s: %s\n", session->session_id,
              session->case_no != NULL ? cr_text_shown (session->case_no) : "(case not known)",
              notes->str,
              session->problems == 0 ? "intact" : "PROBLEMS");
      for (guint p = 0; p < report->problems->len; p++)
        {
          CrVerifyProblem *problem = g_ptr_array_index (report->problems, p);
          if (problem->session_id == session->session_id)
            print_problem (problem);
        }
    }
  for (guint p = 0; p < report->problems->len; p++)
    {
      CrVerifyProblem *problem = g_ptr_array_index (report->problems, p);
      if (problem->session_id != 0)
        continue;
      if (outside++ == 0)
        printf ("outside any session in scope:\n");
      print_problem (problem);
    }
  printf ("%u session%s, %u file%s, %.1f MB hashed", report->sessions->len,
          report->sessions->len == 1 ? "" : "s", report->files_hashed,
          report->files_hashed == 1 ? "" : "s", report->bytes_hashed / 1e6);
  if (elapsed_us > 0)
    printf (" in %.1f s (%.0f MB/s)", elapsed_us / 1e6,
            report->bytes_hashed / (double) elapsed_us);
  printf (": ");
  if (cr_verify_report_is_intact (report))
    printf ("INTACT\n");
  else
    printf ("NOT INTACT, %u problem%s\n", report->problems->len,
            report->problems->len == 1 ? "" : "s");
}

int
run_verify (VerbCall *call)
{
  const char *case_no = verb_text (call, "case");
  gint64 session_id = verb_session (call, "session");
  g_autofree char *trusted = NULL;
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (CrVerifyReport) report = NULL;
  g_autoptr (GError) error = NULL;
  gint64 started;
  CrVerifyScope scope = { NULL, 0, NULL };
  int code;

  if ((case_no != NULL) + (session_id != 0) + (verb_flag (call, "all") != FALSE) > 1)
    return fail (EXIT_USAGE, "verify: give one of --case, --session and --all");
  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  trusted = verify_trusted_key (config, verb_text (call, "public-key"), &code);
  if (code != EXIT_OK)
    return code;

  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  if (session_id != 0)
    {
      g_autoptr (CrSessionRecord) session = cr_segment_index_get_session (index, session_id,
                                                                          &error);
      if (session == NULL)
        return fail (EXIT_RUNTIME, "%s", error->message);
    }

  scope.case_no = case_no;
  scope.session_id = session_id;
  scope.trusted_public_key = trusted;
  started = g_get_monotonic_time ();
  report = cr_verify (index, config->storage_dir, &scope, &error);
  if (report == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                 cr_text_shown (call->index_path), error->message);
  if (case_no != NULL && report->sessions->len == 0)
    printf ("No sessions of case %s in room %s\n", cr_text_shown (case_no),
            cr_text_shown (config->room_id));
  if (trusted == NULL)
    {
      g_autofree char *key_file = shown_path (config->key_file);
      printf ("note: no device public key at %s.pub; seals are checked against the key "
              "stored with them\n", key_file);
    }
  print_verify_report (report, g_get_monotonic_time () - started);
  return cr_verify_report_is_intact (report) ? EXIT_OK : EXIT_INTEGRITY;
}

/* The report quotes the index (titles, markers, reasons, paths): escaped
 * line by line as text, in its own syntax as JSON or HTML. */
static void
print_report (const char *text, CrReportFormat format)
{
  g_auto (GStrv) lines = NULL;

  if (format != CR_REPORT_TEXT)
    {
      g_autofree char *shown = escape_in_document (text, format == CR_REPORT_HTML);
      fputs (shown, stdout);
      return;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = cr_text_escape (lines[i], -1, G_MAXINT);
      fputs (line, stdout);
      if (lines[i + 1] != NULL)
        fputc ('\n', stdout);
    }
}

int
run_report (VerbCall *call)
{
  gint64 session_id = verb_session (call, "session");
  const char *format_arg = verb_text (call, "format");
  g_autofree char *text = NULL;
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (GError) error = NULL;
  CrReportFormat format = CR_REPORT_TEXT;
  int code;

  if (format_arg != NULL && !cr_report_format_from_string (format_arg, &format))
    return fail (EXIT_USAGE, "report: unknown format '%s'; expected text, json or html",
                 cr_text_shown (format_arg));
  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  config = call->config;
  text = cr_report_render (index, config, session_id, format, &error);
  if (text == NULL)
    {
      if (g_error_matches (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND))
        return fail (EXIT_RUNTIME, "no session %" G_GINT64_FORMAT " in room %s",
                     session_id, cr_text_shown (config->room_id));
      return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                   cr_text_shown (call->index_path), error->message);
    }
  print_report (text, format);
  return EXIT_OK;
}

int
run_archived (VerbCall *call)
{
  gint64 session_id = verb_session (call, "session");
  const char *note = verb_text (call, "note");
  g_autofree char *trusted = NULL;
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (CrVerifyReport) report = NULL;
  g_autoptr (GError) error = NULL;
  int code;

  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  trusted = verify_trusted_key (config, NULL, &code);
  if (code != EXIT_OK)
    return code;
  index = verb_index (call, TRUE, &code);
  if (index == NULL)
    return code;
  session = cr_segment_index_get_session (index, session_id, &error);
  if (session == NULL)
    return fail (EXIT_RUNTIME, "%s", error->message);
  if (session->archived_us != 0)
    {
      g_autofree char *at = cr_format_utc (session->archived_us);
      printf ("Session %" G_GINT64_FORMAT " was marked archived already, at %s\n",
              session_id, at);
      return EXIT_OK;
    }

  if (!cr_retention_mark_archived (index, config->storage_dir, session_id, trusted, note,
                                   &report, &error))
    {
      if (g_error_matches (error, CR_RETENTION_ERROR, CR_RETENTION_ERROR_NOT_INTACT))
        {
          print_verify_report (report, 0);
          return fail (EXIT_INTEGRITY, "%s", error->message);
        }
      return fail (EXIT_RUNTIME, "%s", error->message);
    }
  printf ("Session %" G_GINT64_FORMAT " of %s verified intact (%u files, %.1f MB) and "
          "marked archived\n", session_id, cr_text_shown (session->case_no), report->files_hashed,
          report->bytes_hashed / 1e6);
  return EXIT_OK;
}

/* A stopped session that was not sealed at its stop (the device key could
 * not be used): sealed now, with a seal-late event that says when and why. */
int
run_seal (VerbCall *call)
{
  gint64 session_id = verb_session (call, "session");
  g_autofree char *head = NULL;
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (CrDeviceKey) key = NULL;
  g_autoptr (GError) error = NULL;
  gboolean already = FALSE;
  int code;

  index = verb_index (call, TRUE, &code);
  if (index == NULL)
    return code;
  config = call->config;
  key = cr_device_key_load (config->key_file, FALSE, &error);
  if (key == NULL)
    return fail (EXIT_RUNTIME, "cannot seal: %s", error->message);
  if (!cr_late_seal_session (index, session_id, key, "courtrec seal", g_get_real_time (),
                             &head, &already, &error))
    return fail (EXIT_RUNTIME, "%s", error->message);
  if (already)
    printf ("Session %" G_GINT64_FORMAT " is sealed already\n", session_id);
  else
    printf ("Sealed session %" G_GINT64_FORMAT " late (a seal-late event says when and "
            "why)\n", session_id);
  printf ("Integrity value (chain head): %s\n", cr_text_shown (head));
  return EXIT_OK;
}

/* The names of the room's [archive NAME]s, NULL-terminated; empty when
 * none. (transfer container) */
static const char **
archive_names (const CrConfig *config)
{
  guint n = config->archives != NULL ? config->archives->len : 0;
  const char **names = g_new0 (const char *, n + 1);

  for (guint i = 0; i < n; i++)
    names[i] = ((const CrArchiveConfig *) g_ptr_array_index (config->archives, i))->name;
  return names;
}

int
run_retention (VerbCall *call)
{
  const char *days_arg = verb_text (call, "older-than");
  gboolean dry_run = verb_flag (call, "dry-run");
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree const char **archives = NULL;
  guint64 days;
  gint64 cutoff_us, bytes = 0;
  guint files = 0, failures = 0, kept = 0, sessions = 0;
  int code;

  if (!g_ascii_string_to_unsigned (days_arg, 10, 0, 36500, &days, NULL))
    return fail (EXIT_USAGE, "retention: --older-than: expected a whole number of days "
                 "from 0 to 36500, got '%s'", cr_text_shown (days_arg));
  index = verb_index (call, !dry_run, &code);
  if (index == NULL)
    return code;
  config = call->config;
  archives = archive_names (config);
  cutoff_us = g_get_real_time () - (gint64) days * 24 * 3600 * G_USEC_PER_SEC;
  items = cr_retention_run (index, config->storage_dir, archives, cutoff_us, dry_run, &error);
  if (items == NULL)
    return fail (EXIT_RUNTIME, "retention in %s: %s", cr_text_shown (call->index_path),
                 error->message);

  for (guint i = 0; i < items->len; i++)
    {
      CrRetentionItem *item = g_ptr_array_index (items, i);
      g_autofree char *stopped = cr_format_utc (item->stopped_us);

      if (item->kept->len > 0)
        printf ("session %" G_GINT64_FORMAT "  %s  stopped %s: kept %u file%s: not yet "
                "verified whole in the archive%s\n", item->session_id,
                cr_text_shown (item->case_no), stopped, item->kept->len,
                item->kept->len == 1 ? "" : "s", archives[1] != NULL ? "s" : "");
      else
        printf ("session %" G_GINT64_FORMAT "  %s  stopped %s: %s %u file%s (%.1f MB)%s\n",
                item->session_id, cr_text_shown (item->case_no), stopped,
                dry_run ? "would delete" : "deleted",
                item->deleted->len, item->deleted->len == 1 ? "" : "s", item->bytes / 1e6,
                item->rows > 0 ? (dry_run ? "; its segment rows would move to the purged record"
                                          : "; its segment rows moved to the purged record")
                               : "");
      for (guint f = 0; f < item->deleted->len; f++)
        {
          const char *deleted = g_ptr_array_index (item->deleted, f);
          const char *where = g_hash_table_lookup (item->archived_as, deleted);
          g_autofree char *path = shown_path (deleted);
          g_autofree char *shown_where = where != NULL ? terminal_message (where) : NULL;

          if (where != NULL)
            printf ("  %s: %s: %s\n", path, dry_run ? "would delete" : "deleted", shown_where);
          else
            printf ("  %s %s\n", dry_run ? "would delete" : "deleted", path);
        }
      for (guint f = 0; f < item->kept->len; f++)
        {
          g_autofree char *why = terminal_message (g_ptr_array_index (item->kept, f));
          char *colon = strstr (why, ": ");

          /* "PATH: kept: why", as a deleted file says where it went. */
          if (colon != NULL)
            {
              *colon = '\0';
              printf ("  %s: kept: %s\n", why, colon + 2);
            }
          else
            printf ("  kept %s\n", why);
        }
      for (guint f = 0; f < item->failed->len; f++)
        {
          g_autofree char *path = shown_path (g_ptr_array_index (item->failed, f));
          printf ("  kept %s\n", path);
        }
      files += item->deleted->len;
      bytes += item->bytes;
      failures += item->failed->len;
      kept += item->kept->len;
      sessions += item->kept->len == 0;
    }
  if (sessions == 0)
    printf ("No session %s stopped more than %d day%s ago: nothing deleted\n",
            archives[0] != NULL ? "verified whole in every archive or marked archived"
                                : "marked archived",
            (int) days, days == 1 ? "" : "s");
  else
    printf ("%s %u file%s (%.1f MB) of %u archived session%s that stopped more than %d "
            "day%s ago; nothing else was touched\n", dry_run ? "Would delete" : "Deleted",
            files, files == 1 ? "" : "s", bytes / 1e6, sessions, sessions == 1 ? "" : "s",
            (int) days, days == 1 ? "" : "s");
  if (kept > 0)
    printf ("Kept %u file%s the archive%s do%s not hold verified yet: a later run deletes "
            "them once they are\n", kept, kept == 1 ? "" : "s", archives[1] != NULL ? "s" : "",
            archives[1] != NULL ? "" : "es");
  if (failures > 0)
    return fail (EXIT_RUNTIME, "%u file%s could not be deleted (listed above as kept)",
                 failures, failures == 1 ? "" : "s");
  return EXIT_OK;
}
