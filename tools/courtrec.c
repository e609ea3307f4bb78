/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* courtrec: the command-line client of one courtroom's courtrecd.
 *
 * Control verbs (start, pause, resume, stop, mark, status) go to the
 * daemon's HTTP API on the address in the room's config, with the token from
 * its token file. Archive verbs (sessions, events, report, verify) read the
 * index directly, so they work whether the daemon runs or not; archived and
 * retention write to it (see index-access.c).
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input,
 * 3 integrity failure (verify found a problem; archived refused one).
 *
 * Text is UTF-8 whatever the locale: arguments are taken as bytes and
 * checked (a court terminal or a cron job often runs under LC_ALL=C, whose
 * charset is ASCII), and what is printed is written as is. Whatever the
 * client prints that came from outside (an argument, a daemon's message, a
 * field of the index, the config) is escaped for the terminal first.
 *
 * This file holds the verb table, help and main; the verbs are in
 * control-verbs.c, status.c, archive-verbs.c and integrity-verbs.c, on
 * top of verb-options.c (arguments), daemon-client.c and daemon-reply.c
 * (the HTTP API), index-access.c (the index) and terminal.c (output). */
#include <locale.h>
#include <stdio.h>

#include "config/text.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

typedef struct {
  const char *name;
  const char *params;   /* shown in the help after the verb */
  const char *summary;
  int (*run) (const char *verb, int argc, char **argv);
} Verb;

/* The global options' context: 'courtrec help' prints its help. */
static GOptionContext *main_context;

static int run_help (const char *verb, int argc, char **argv);

static const Verb verbs[] = {
  { "start", "--case CASE [--title T]", "start recording a hearing", run_start },
  { "pause", "--reason R", "pause (recess, non-public-evidence, mediation, other)", run_pause },
  { "resume", "", "resume a paused recording", run_resume },
  { "stop", "", "stop recording and end the session", run_stop },
  { "mark", "TEXT", "add a timestamped marker to the session", run_mark },
  { "status", "[--json]", "show what the recorder is doing", run_status },
  { "sessions", "[--case CASE] [--json]", "list sessions (reads the index; daemon not needed)", run_sessions },
  { "events", "SESSION_ID [--json]", "list a session's events (reads the index)", run_events },
  { "report", "--session ID [--format text|json|html]", "the hearing report filed with the case", run_report },
  { "verify", "[--case CASE | --session ID | --all]", "check files, index and seals; exit 3 if not intact", run_verify },
  { "archived", "--session ID [--note TEXT]", "mark a verified, sealed session archived by the court", run_archived },
  { "seal", "--session ID", "seal a stopped session left unsealed (its key was unusable)", run_seal },
  { "retention", "--older-than DAYS [--dry-run]", "delete media of archived sessions older than DAYS", run_retention },
  { "export", "--case CASE [--session ID] [--from T --to T] -o DIR", "write a BagIt package of MP4s and reports", run_export },
  { "layout", "NAME", "switch the picture: single, pip, grid, voice, evidence", run_layout },
  { "broadcast", "approve|forbid|list [--case C --by N|--reason R]", "the court's live-broadcast decision on a case", run_broadcast },
  { "stream", "start|stop|cut|resume [NAME]", "control the live streams (cut: the slate at once)", run_stream },
  { "user", "add|passwd|role|disable|enable|list|token [NAME]", "the machine's accounts and their API tokens", run_user },
  { "help", "[VERB]", "a verb's options and what it does; this list without VERB", run_help },
};

/* A verb's help is its own --help: the options it parses are the ones it
 * shows, so the two cannot drift apart. */
static int
run_help (const char *verb, int argc, char **argv)
{
  g_auto (GStrv) positional = NULL;
  int code;

  if (!parse_verb_options (verb, "[VERB]", "Shows a verb's options and what it does; "
                           "without VERB, the list of verbs. The manual pages are "
                           "courtrec(1), courtrecd(8) and courtrec.conf(5).",
                           NULL, argc, argv, 0, 1, &positional, &code))
    return code;
  if (positional == NULL || positional[0] == NULL)
    {
      g_autofree char *help = g_option_context_get_help (main_context, TRUE, NULL);
      fputs (help, stdout);
      return EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (positional[0], verbs[i].name))
      {
        char *help_argv[] = { (char *) verbs[i].name, (char *) "--help", NULL };
        return verbs[i].run (verbs[i].name, 2, help_argv);
      }
  return fail (EXIT_USAGE, "help: unknown verb '%s'; run 'courtrec help' for the list",
               cr_text_shown (positional[0]));
}

static char *
verbs_help (void)
{
  GString *help = g_string_new ("Verbs:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    {
      g_autofree char *usage = g_strdup_printf ("%s %s", verbs[i].name, verbs[i].params);
      g_string_append_printf (help, "  %-46s %s\n", usage, verbs[i].summary);
    }
  g_string_append (help,
      "\nControl verbs talk to courtrecd at the config's [api] listen address;\n"
      "the archive verbs read the index and the files and work with the daemon down.\n"
      "Run 'courtrec help VERB' for a verb's options; man courtrec for the whole of it.\n"
      "Exit status: 0 success, 1 runtime failure, 2 bad usage or bad input,\n"
      "3 integrity failure (verify found a problem; archived refused a session).");
  return g_string_free (help, FALSE);
}

/* g_print, which prints --help, converts to the locale's charset: under
 * LC_ALL=C the help's Chinese examples would come out as "?". The client
 * writes UTF-8 whatever the locale. */
static void
print_utf8 (const char *text)
{
  fputs (text, stdout);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *description = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "The courtroom's config file", "FILE" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file_path,
      "An account's API token for the control verbs (or COURTREC_TOKEN; default: the "
      "room's token)", "FILE" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  int status;

  setlocale (LC_ALL, "");
  /* Numbers the same in every locale: scripts read what the client prints. */
  setlocale (LC_NUMERIC, "C");
  g_set_print_handler (print_utf8);
  context = g_option_context_new ("VERB [ARGS…]");
  g_option_context_set_summary (context,
      "Controls one courtroom's recorder (courtrecd) and reads its archive index.");
  description = verbs_help ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  /* Stop at the verb: what follows it is the verb's own options. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (EXIT_USAGE, "%s", error->message);
  if (version)
    {
      printf ("courtrec %s\n", COURTREC_VERSION);
      return EXIT_OK;
    }
  main_context = context;

  if (argc < 2)
    return fail (EXIT_USAGE, "no verb given; run 'courtrec --help' for the list");
  /* The verb's arguments are checked where the verb parses them, so that
   * the message can name the option. */
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (argv[1], verbs[i].name))
      {
        status = verbs[i].run (verbs[i].name, argc - 1, argv + 1);
        g_free (config_path);
        g_free (token_file_path);
        return status;
      }
  return fail (EXIT_USAGE, "unknown verb '%s'; run 'courtrec --help' for the list",
               cr_text_shown (argv[1]));
}
