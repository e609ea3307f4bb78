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
static char *
trusted_public_key (const CrConfig *config, const char *given, int *exit_code)
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

static void
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
              cr_text_shown (session->case_no), notes->str,
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
run_verify (const char *verb, int argc, char **argv)
{
  g_autofree char *case_arg = NULL;
  g_autofree char *case_no = NULL;
  g_autofree char *session_arg = NULL;
  g_autofree char *public_key_arg = NULL;
  g_autofree char *trusted = NULL;
  g_autofree char *index_path = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrVerifyReport) report = NULL;
  g_autoptr (GError) error = NULL;
  gboolean all = FALSE;
  gint64 session_id = 0;
  gint64 started;
  CrVerifyScope scope = { NULL, 0, NULL };
  int code;
  GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_FILENAME, &case_arg,
      "Only the sessions of this case number", "CASE" },
    { "session", 0, 0, G_OPTION_ARG_FILENAME, &session_arg, "Only this session", "ID" },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all,
      "The whole archive, unknown files included (the default)", NULL },
    { "public-key", 0, 0, G_OPTION_ARG_FILENAME, &public_key_arg,
      "The key seals must carry (64 hex digits); default: the device's KEY_FILE.pub", "HEX" },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL,
                           "Checks every segment file against its SHA-256, every index row "
                           "against the chain, every seal against its signature, and looks "
                           "for files the index does not know. Names each problem. Exit "
                           "status 0 when all is intact, 3 when not.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if ((case_arg != NULL) + (session_arg != NULL) + (all != FALSE) > 1)
    return fail (EXIT_USAGE, "verify: give one of --case, --session and --all");
  if (case_arg != NULL)
    {
      case_no = cr_case_number_canonicalize (case_arg, &error);
      if (case_no == NULL)
        return fail (EXIT_USAGE, "verify: --case: %s", error->message);
    }
  if (session_arg != NULL && !parse_session_id (verb, session_arg, &session_id, &code))
    return code;
  config = load_config (&code);
  if (config == NULL)
    return code;
  trusted = trusted_public_key (config, public_key_arg, &code);
  if (code != EXIT_OK)
    return code;

  index = open_index (config, FALSE, &index_path, &code);
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
                 cr_text_shown (index_path), error->message);
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
run_report (const char *verb, int argc, char **argv)
{
  g_autofree char *session_arg = NULL;
  g_autofree char *format_arg = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GError) error = NULL;
  CrReportFormat format = CR_REPORT_TEXT;
  gint64 session_id = 0;
  int code;
  GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_FILENAME, &session_arg, "The session (required)", "ID" },
    { "format", 0, 0, G_OPTION_ARG_FILENAME, &format_arg,
      "text (default), json, or html (a printable page)", "F" },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL,
                           "Prints the hearing report filed with the case: times, pauses, "
                           "faults, markers, segments with their hashes, chain head and "
                           "signature.", entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (!parse_required_session (verb, session_arg, &session_id, &code))
    return code;
  if (format_arg != NULL && !cr_report_format_from_string (format_arg, &format))
    return fail (EXIT_USAGE, "report: unknown format '%s'; expected text, json or html",
                 cr_text_shown (format_arg));
  config = load_config (&code);
  if (config == NULL)
    return code;
  index = open_index (config, FALSE, &index_path, &code);
  if (index == NULL)
    return code;
  text = cr_report_render (index, config, session_id, format, &error);
  if (text == NULL)
    {
      if (g_error_matches (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND))
        return fail (EXIT_RUNTIME, "no session %" G_GINT64_FORMAT " in room %s",
                     session_id, cr_text_shown (config->room_id));
      return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                   cr_text_shown (index_path), error->message);
    }
  print_report (text, format);
  return EXIT_OK;
}

int
run_archived (const char *verb, int argc, char **argv)
{
  g_autofree char *session_arg = NULL;
  g_autofree char *note = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *trusted = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (CrVerifyReport) report = NULL;
  g_autoptr (GError) error = NULL;
  gint64 session_id = 0;
  int code;
  GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_FILENAME, &session_arg, "The session (required)", "ID" },
    { "note", 0, 0, G_OPTION_ARG_FILENAME, &note,
      "Where it was archived, e.g. the electronic archive's receipt", "TEXT" },
    { NULL }
  };

  config = load_session_verb (verb, "Marks a session archived by the court, so that "
                              "retention may later delete its media. Only a stopped, sealed "
                              "session that verifies intact is marked; the mark is an event.",
                              entries, argc, argv, &session_arg, &session_id, &code);
  if (config == NULL)
    return code;
  trusted = trusted_public_key (config, NULL, &code);
  if (code != EXIT_OK)
    return code;
  index = open_index (config, TRUE, &index_path, &code);
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
run_seal (const char *verb, int argc, char **argv)
{
  g_autofree char *session_arg = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *head = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrDeviceKey) key = NULL;
  g_autoptr (GError) error = NULL;
  gint64 session_id = 0;
  gboolean already = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_FILENAME, &session_arg, "The session (required)", "ID" },
    { NULL }
  };

  config = load_session_verb (verb, "Seals a stopped session that was not sealed at its "
                              "stop (the device key could not be used), with the device key; "
                              "a seal-late event says when and why.",
                              entries, argc, argv, &session_arg, &session_id, &code);
  if (config == NULL)
    return code;
  index = open_index (config, TRUE, &index_path, &code);
  if (index == NULL)
    return code;
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

int
run_retention (const char *verb, int argc, char **argv)
{
  g_autofree char *days_arg = NULL;
  g_autofree char *index_path = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError) error = NULL;
  gboolean dry_run = FALSE;
  guint64 days;
  gint64 cutoff_us, bytes = 0;
  guint files = 0, failures = 0;
  int code;
  GOptionEntry entries[] = {
    { "older-than", 0, 0, G_OPTION_ARG_FILENAME, &days_arg,
      "Sessions that stopped more than DAYS days ago (required)", "DAYS" },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, "Only say what would be deleted", NULL },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL,
                           "Deletes the media files of sessions the court marked archived "
                           "(courtrec archived) that stopped more than DAYS days ago, and "
                           "nothing else. The index keeps their rows and events.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (days_arg == NULL)
    return fail (EXIT_USAGE, "retention: --older-than DAYS is required");
  if (!g_ascii_string_to_unsigned (days_arg, 10, 0, 36500, &days, NULL))
    return fail (EXIT_USAGE, "retention: --older-than: expected a whole number of days "
                 "from 0 to 36500, got '%s'", cr_text_shown (days_arg));
  config = load_config (&code);
  if (config == NULL)
    return code;
  index = open_index (config, !dry_run, &index_path, &code);
  if (index == NULL)
    return code;

  cutoff_us = g_get_real_time () - (gint64) days * 24 * 3600 * G_USEC_PER_SEC;
  items = cr_retention_run (index, config->storage_dir, cutoff_us, dry_run, &error);
  if (items == NULL)
    return fail (EXIT_RUNTIME, "retention in %s: %s", cr_text_shown (index_path),
                 error->message);

  for (guint i = 0; i < items->len; i++)
    {
      CrRetentionItem *item = g_ptr_array_index (items, i);
      g_autofree char *stopped = cr_format_utc (item->stopped_us);

      printf ("session %" G_GINT64_FORMAT "  %s  stopped %s: %s %u file%s (%.1f MB)%s\n",
              item->session_id, cr_text_shown (item->case_no), stopped,
              dry_run ? "would delete" : "deleted",
              item->deleted->len, item->deleted->len == 1 ? "" : "s", item->bytes / 1e6,
              item->rows > 0 ? (dry_run ? "; its segment rows would move to the purged record"
                                        : "; its segment rows moved to the purged record")
                             : "");
      for (guint f = 0; f < item->deleted->len; f++)
        {
          g_autofree char *path = shown_path (g_ptr_array_index (item->deleted, f));
          printf ("  %s %s\n", dry_run ? "would delete" : "deleted", path);
        }
      for (guint f = 0; f < item->failed->len; f++)
        {
          g_autofree char *path = shown_path (g_ptr_array_index (item->failed, f));
          printf ("  kept %s\n", path);
        }
      files += item->deleted->len;
      bytes += item->bytes;
      failures += item->failed->len;
    }
  if (items->len == 0)
    printf ("No session marked archived stopped more than %d day%s ago: nothing deleted\n",
            (int) days, days == 1 ? "" : "s");
  else
    printf ("%s %u file%s (%.1f MB) of %u archived session%s that stopped more than %d "
            "day%s ago; nothing else was touched\n", dry_run ? "Would delete" : "Deleted",
            files, files == 1 ? "" : "s", bytes / 1e6, items->len, items->len == 1 ? "" : "s",
            (int) days, days == 1 ? "" : "s");
  if (failures > 0)
    return fail (EXIT_RUNTIME, "%u file%s could not be deleted (listed above as kept)",
                 failures, failures == 1 ? "" : "s");
  return EXIT_OK;
}
