/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verb-options.c: the options and arguments of a verb, checked before they
 * are used or sent, and the room config they name. */
#include <string.h>

#include "config/config.h"
#include "config/text.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"

static const struct {
  const char *name;   /* "--option", or a positional argument's name */
  gsize max_chars;
} text_limits[] = {
  { "--case", CASE_MAX_CHARS },
  { "--note", NOTE_MAX_CHARS },
  { "TEXT", NOTE_MAX_CHARS },
  { "--output", PATH_MAX_CHARS },
};

/* Set by the global options; used by every verb. */
char *config_path;
char *token_file_path;

/* --- options ----------------------------------------------------------- */

/* Checks an argument before it is used or sent: UTF-8, no control
 * characters, no longer than text_limits says for @what (the option, e.g.
 * "--case", or the positional argument's name). The message names @what
 * and quotes the value, escaped and shortened. */
static gboolean
check_text (const char *verb, const char *what, const char *text, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  gsize max_chars = LINE_MAX_CHARS;
  const char *shown;

  for (gsize i = 0; i < G_N_ELEMENTS (text_limits); i++)
    if (g_str_equal (what, text_limits[i].name))
      max_chars = text_limits[i].max_chars;
  if (cr_text_validate (text, what, max_chars, FALSE, &error))
    return TRUE;
  /* cr_text_validate quotes the value when it finds a control character;
   * quote it when the value is too long or not UTF-8 too. */
  shown = cr_text_shown (text);
  if (strstr (error->message, shown) != NULL)
    *exit_code = fail (EXIT_USAGE, "%s: %s", verb, error->message);
  else
    *exit_code = fail (EXIT_USAGE, "%s: %s: '%s'", verb, error->message, shown);
  return FALSE;
}

/* The name of the @n-th positional argument in @params ("TEXT" in "TEXT",
 * "NAME" in "start|stop|cut|resume [NAME]"). (transfer full) */
static char *
positional_name (const char *params, guint n)
{
  g_auto (GStrv) words = g_strsplit (params != NULL ? params : "", " ", -1);

  if (n < g_strv_length (words))
    return g_strdup (g_strstrip (g_strdelimit (words[n], "[]", ' ')));
  return g_strdup_printf ("argument %u", n + 1);
}

/* Parses a verb's own options and its positional arguments, which must
 * number between @min_args and @max_args, and checks every one with
 * check_text. On failure prints why and returns FALSE; --help prints the
 * verb's help and exits. Text options are G_OPTION_ARG_FILENAME, taken as
 * bytes: G_OPTION_ARG_STRING would convert them from the locale's charset
 * and refuse a case number under LC_ALL=C. */
gboolean
parse_verb_options (const char *verb, const char *params, const char *summary,
                    GOptionEntry *entries, int argc, char **argv,
                    guint min_args, guint max_args, char ***positional,
                    int *exit_code)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("courtrec -c FILE %s", verb);
  g_auto (GStrv) rest = NULL;
  GOptionEntry remaining[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, params },
    { NULL }
  };
  guint n_rest;

  g_set_prgname (prgname);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, remaining, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      *exit_code = fail (EXIT_USAGE, "%s: %s", verb, error->message);
      return FALSE;
    }

  for (GOptionEntry *entry = entries; entry != NULL && entry->long_name != NULL; entry++)
    {
      const char *value;
      g_autofree char *what = NULL;

      if (entry->arg != G_OPTION_ARG_FILENAME)
        continue;
      value = *(const char **) entry->arg_data;
      what = g_strconcat ("--", entry->long_name, NULL);
      if (value != NULL && !check_text (verb, what, value, exit_code))
        return FALSE;
    }
  for (guint i = 0; rest != NULL && rest[i] != NULL; i++)
    {
      g_autofree char *what = positional_name (params, i);
      if (!check_text (verb, what, rest[i], exit_code))
        return FALSE;
    }

  n_rest = rest != NULL ? g_strv_length (rest) : 0;
  if (n_rest < min_args)
    {
      *exit_code = fail (EXIT_USAGE, "%s: missing argument; usage: courtrec -c FILE %s %s",
                         verb, verb, params != NULL ? params : "");
      return FALSE;
    }
  if (n_rest > max_args)
    {
      *exit_code = fail (EXIT_USAGE, "%s: unexpected argument '%s'%s", verb,
                         cr_text_shown (rest[max_args]),
                         max_args > 0 ? " (quote text that has spaces)" : "");
      return FALSE;
    }
  if (positional != NULL)
    *positional = g_steal_pointer (&rest);
  return TRUE;
}

CrConfig *
load_config (int *exit_code)
{
  g_autoptr (GError) error = NULL;
  CrConfig *config;

  if (config_path == NULL)
    {
      *exit_code = fail (EXIT_USAGE, "no config file given; use -c FILE");
      return NULL;
    }
  config = cr_config_load (config_path, &error);
  if (config == NULL)
    *exit_code = fail (EXIT_USAGE, "%s", error->message);
  return config;
}

/* A session id given as --session, checked. */
gboolean
parse_session_id (const char *verb, const char *text, gint64 *session_id, int *exit_code)
{
  guint64 id;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL))
    {
      *exit_code = fail (EXIT_USAGE, "%s: '%s' is not a session id (a number from "
                         "'courtrec sessions')", verb, cr_text_shown (text));
      return FALSE;
    }
  *session_id = (gint64) id;
  return TRUE;
}

/* --session ID where a verb needs it: given, and a session id. */
gboolean
parse_required_session (const char *verb, const char *text, gint64 *session_id, int *exit_code)
{
  if (text == NULL)
    {
      *exit_code = fail (EXIT_USAGE, "%s: --session ID is required", verb);
      return FALSE;
    }
  return parse_session_id (verb, text, session_id, exit_code);
}

/* What a verb about one stopped session (archived, seal) does first: its
 * options parsed (@entries put --session in *@session_arg), the session
 * id checked, the room config loaded. NULL, with *@exit_code set, when
 * any of it fails. */
CrConfig *
load_session_verb (const char *verb, const char *summary, GOptionEntry *entries,
                   int argc, char **argv, char **session_arg, gint64 *session_id,
                   int *exit_code)
{
  if (!parse_verb_options (verb, NULL, summary, entries, argc, argv, 0, 0, NULL, exit_code))
    return NULL;
  if (!parse_required_session (verb, *session_arg, session_id, exit_code))
    return NULL;
  return load_config (exit_code);
}
