/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verb-call.c: a verb run from its row of the table: its options and
 * arguments parsed and checked before anything is used or sent, then the
 * handler, which gets the room's config, its index and the daemon's API
 * from here, each loaded once. */
#include <stdio.h>
#include <string.h>

#include "archive/case-number.h"
#include "config/config.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/index-access.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

static const struct {
  const char *name;   /* "--option", or a positional argument's name */
  gsize max_chars;
} text_limits[] = {
  { "--case", CASE_MAX_CHARS },
  { "--note", NOTE_MAX_CHARS },
  { "TEXT", NOTE_MAX_CHARS },
  { "--output", PATH_MAX_CHARS },
  { "--users", PATH_MAX_CHARS },
  { "--dir", PATH_MAX_CHARS },
};

/* Set by the global options; used by every verb. */
char **config_paths;
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

/* "--case CASE", "-o DIR", "--json": an option as the usage shows it. */
char *
verb_option_usage (const VerbOption *option)
{
  g_autofree char *flag = option->short_name != 0 && option->kind != OPT_FILES
                          ? g_strdup_printf ("-%c", option->short_name)
                          : g_strconcat ("--", option->name, NULL);

  if (option->value_name == NULL)
    return g_steal_pointer (&flag);
  return g_strdup_printf ("%s %s", flag, option->value_name);
}

static gsize
count_options (const Verb *verb)
{
  gsize n = 0;

  for (const VerbOption *option = verb->options; option != NULL && option->name != NULL;
       option++)
    n++;
  return n;
}

static gpointer
option_arg_data (VerbCall *call, gsize i, GOptionArg *arg)
{
  switch (call->verb->options[i].kind)
    {
    case OPT_FLAG:
      *arg = G_OPTION_ARG_NONE;
      return (gpointer) &call->flag[i];
    case OPT_FILES:
      *arg = G_OPTION_ARG_FILENAME_ARRAY;
      return (gpointer) &call->files[i];
    case OPT_TEXT:
    case OPT_CASE:
    case OPT_SESSION:
    default:
      *arg = G_OPTION_ARG_FILENAME;
      return (gpointer) &call->text[i];
    }
}

/* Checks what the table says of each option, once GOption has parsed
 * them: the text, the required ones, the choices; a case number becomes
 * its canonical form, a session id a number. */
static gboolean
check_options (VerbCall *call, int *exit_code)
{
  const Verb *verb = call->verb;
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; verb->options != NULL && verb->options[i].name != NULL; i++)
    {
      const VerbOption *option = &verb->options[i];
      g_autofree char *what = g_strconcat ("--", option->name, NULL);
      const char *value = call->text[i];

      if (option->kind == OPT_FLAG || option->kind == OPT_FILES)
        continue;
      if (value != NULL && !check_text (verb->name, what, value, exit_code))
        return FALSE;
    }
  for (gsize i = 0; verb->options != NULL && verb->options[i].name != NULL; i++)
    {
      const VerbOption *option = &verb->options[i];
      g_autofree char *usage = verb_option_usage (option);
      g_autofree char *choices = option->choices != NULL
                                 ? g_strjoinv (", ", (char **) option->choices) : NULL;
      char *canonical;

      if (option->required && call->text[i] == NULL && call->files[i] == NULL &&
          !call->flag[i])
        {
          *exit_code = fail (EXIT_USAGE, "%s: %s is required%s%s%s", verb->name, usage,
                             choices != NULL ? " (one of " : "", choices != NULL ? choices : "",
                             choices != NULL ? ")" : "");
          return FALSE;
        }
      if (call->text[i] == NULL)
        continue;
      if (option->choices != NULL && !g_strv_contains (option->choices, call->text[i]))
        {
          *exit_code = fail (EXIT_USAGE, "%s: unknown %s '%s'; expected one of %s", verb->name,
                             option->name, cr_text_shown (call->text[i]), choices);
          return FALSE;
        }
      switch (option->kind)
        {
        case OPT_CASE:
          /* Refuse a malformed number here, with the reason, before
           * anything is sent: the daemon would refuse it too, with less
           * to go on. */
          canonical = cr_case_number_canonicalize (call->text[i], &error);
          if (canonical == NULL)
            {
              *exit_code = fail (EXIT_USAGE, "%s: --%s: %s", verb->name, option->name,
                                 error->message);
              return FALSE;
            }
          g_free (call->text[i]);
          call->text[i] = canonical;
          break;
        case OPT_SESSION:
          if (!parse_session_id (verb->name, call->text[i], &call->number[i], exit_code))
            return FALSE;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

/* Parses @argv (argv[0] is the verb) by the verb's row: its options, its
 * positional arguments, which must number between the row's min_args and
 * max_args, each checked with check_text. On failure prints why and
 * returns FALSE; --help prints the verb's help and exits. Text options
 * are G_OPTION_ARG_FILENAME, taken as bytes: G_OPTION_ARG_STRING would
 * convert them from the locale's charset and refuse a case number under
 * LC_ALL=C. */
static gboolean
parse_call (VerbCall *call, int argc, char **argv, int *exit_code)
{
  const Verb *verb = call->verb;
  gsize n_options = count_options (verb);
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("courtrec -c FILE %s", verb->name);
  g_autofree GOptionEntry *entries = g_new0 (GOptionEntry, n_options + 2);
  g_autofree char *role = NULL;
  g_auto (GStrv) rest = NULL;
  guint n_rest;

  for (gsize i = 0; i < n_options; i++)
    {
      const VerbOption *option = &verb->options[i];

      entries[i].long_name = option->name;
      entries[i].short_name = option->short_name;
      entries[i].arg_data = option_arg_data (call, i, &entries[i].arg);
      entries[i].description = option->description;
      entries[i].arg_description = option->value_name;
    }
  entries[n_options] = (GOptionEntry) { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
                                        &rest, NULL, verb->params };

  g_set_prgname (prgname);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, verb->description);
  if (verb->role == CR_ROLE_ANYONE)
    role = g_strdup ("Does not call courtrecd: works with the daemon down.");
  else
    role = g_strdup_printf ("Needs the %s role on the room's courtrecd.",
                            verb_role_name (verb->role));
  g_option_context_set_description (context, role);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      *exit_code = fail (EXIT_USAGE, "%s: %s", verb->name, error->message);
      return FALSE;
    }
  for (guint i = 0; rest != NULL && rest[i] != NULL; i++)
    {
      g_autofree char *what = positional_name (verb->params, i);
      if (!check_text (verb->name, what, rest[i], exit_code))
        return FALSE;
    }
  n_rest = rest != NULL ? g_strv_length (rest) : 0;
  if (n_rest < verb->min_args)
    {
      *exit_code = fail (EXIT_USAGE, "%s: missing argument; usage: courtrec -c FILE %s %s",
                         verb->name, verb->name, verb->params != NULL ? verb->params : "");
      return FALSE;
    }
  if (n_rest > verb->max_args)
    {
      *exit_code = fail (EXIT_USAGE, "%s: unexpected argument '%s'%s", verb->name,
                         cr_text_shown (rest[verb->max_args]),
                         verb->max_args > 0 ? " (quote text that has spaces)" : "");
      return FALSE;
    }
  call->args = rest != NULL ? g_steal_pointer (&rest) : g_new0 (char *, 1);
  call->n_args = n_rest;
  return check_options (call, exit_code);
}

int
run_verb (const Verb *verb, int argc, char **argv)
{
  gsize n_options = count_options (verb);
  VerbCall call = {
    .verb = verb,
    .name = verb->name,
    .text = g_new0 (char *, n_options + 1),
    .flag = g_new0 (gboolean, n_options + 1),
    .number = g_new0 (gint64, n_options + 1),
    .files = g_new0 (char **, n_options + 1),
  };
  int code = EXIT_OK;

  if (parse_call (&call, argc, argv, &code))
    code = verb->run (&call);

  for (gsize i = 0; i < n_options; i++)
    {
      g_free (call.text[i]);
      g_strfreev (call.files[i]);
    }
  g_free (call.text);
  g_free (call.flag);
  g_free (call.number);
  g_free (call.files);
  g_strfreev (call.args);
  g_clear_pointer (&call.index, cr_segment_index_free);
  g_free (call.index_path);
  g_clear_pointer (&call.config, cr_config_free);
  return code;
}

/* --- what the handler reads -------------------------------------------------- */

static gssize
option_index (VerbCall *call, const char *name)
{
  for (gsize i = 0; call->verb->options != NULL && call->verb->options[i].name != NULL; i++)
    if (g_str_equal (call->verb->options[i].name, name))
      return (gssize) i;
  g_critical ("verb %s has no option --%s in its row", call->name, name);
  return -1;
}

const char *
verb_text (VerbCall *call, const char *option)
{
  gssize i = option_index (call, option);

  return i >= 0 ? call->text[i] : NULL;
}

gboolean
verb_flag (VerbCall *call, const char *option)
{
  gssize i = option_index (call, option);

  return i >= 0 ? call->flag[i] : FALSE;
}

gint64
verb_session (VerbCall *call, const char *option)
{
  gssize i = option_index (call, option);

  return i >= 0 ? call->number[i] : 0;
}

char **
verb_files (VerbCall *call, const char *option)
{
  gssize i = option_index (call, option);

  return i >= 0 ? call->files[i] : NULL;
}

/* The one place a room's config is loaded for a verb. */
const CrConfig *
verb_config (VerbCall *call, int *exit_code)
{
  g_autoptr (GError) error = NULL;

  if (call->config != NULL)
    return call->config;
  if (config_paths == NULL || config_paths[0] == NULL)
    {
      *exit_code = fail (EXIT_USAGE, "no config file given; use -c FILE");
      return NULL;
    }
  if (config_paths[1] != NULL)
    {
      *exit_code = fail (EXIT_USAGE, "%s: one room at a time: give -c FILE once "
                         "('courtrec rooms' takes several)", call->name);
      return NULL;
    }
  call->config = cr_config_load (config_paths[0], &error);
  if (call->config == NULL)
    *exit_code = fail (EXIT_USAGE, "%s", error->message);
  return call->config;
}

/* The one place the room's index is opened for a verb. A verb that
 * writes asks for it so the first time. */
CrSegmentIndex *
verb_index (VerbCall *call, gboolean for_writing, int *exit_code)
{
  const CrConfig *config = verb_config (call, exit_code);

  if (config == NULL)
    return NULL;
  if (call->index == NULL)
    {
      g_clear_pointer (&call->index_path, g_free);
      call->index = open_index (config, for_writing, &call->index_path, exit_code);
    }
  return call->index;
}

/* The one place a verb calls the daemon's API. */
int
verb_call_api (VerbCall *call, const char *method, const char *path, JsonNode *request,
               JsonNode **reply)
{
  int code;
  const CrConfig *config = verb_config (call, &code);
  g_autofree char *needs = NULL;

  if (config == NULL)
    return code;
  needs = g_strdup_printf ("%s needs the %s role", call->name,
                           verb_role_name (call->verb->role));
  return call_api (config, method, path, request, reply, needs);
}

int
verb_post (VerbCall *call, const char *path, JsonNode **reply, ...)
{
  g_autoptr (JsonNode) request = NULL;
  va_list ap;

  va_start (ap, reply);
  request = fields_request (ap);
  va_end (ap);
  return verb_call_api (call, "POST", path, request, reply);
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

