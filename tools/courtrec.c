/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* courtrec: the command-line client of one courtroom's courtrecd.
 *
 * Control verbs (start, pause, resume, stop, mark, status) go to the
 * daemon's HTTP API on the address in the room's config, with the token from
 * its token file. Archive verbs (sessions, events, report, verify) read the
 * index directly, so they work whether the daemon runs or not; archived and
 * retention write to it (see open_index).
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input,
 * 3 integrity failure (verify found a problem; archived refused one).
 *
 * Text is UTF-8 whatever the locale: arguments are taken as bytes and
 * checked (a court terminal or a cron job often runs under LC_ALL=C, whose
 * charset is ASCII), and what is printed is written as is. Whatever the
 * client prints that came from outside (an argument, a daemon's message, a
 * field of the index, the config) is escaped for the terminal first. */
#include <json-glib/json-glib.h>
#include <libavutil/log.h>
#include <libsoup/soup.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive/case-number.h"
#include "archive/export.h"
#include "archive/late-seal.h"
#include "archive/chain.h"
#include "archive/device-key.h"
#include "archive/report.h"
#include "archive/retention.h"
#include "archive/segment-index.h"
#include "archive/storage-dir.h"
#include "archive/verify.h"
#include "config/config.h"
#include "config/text.h"

enum {
  EXIT_OK = 0,
  EXIT_RUNTIME = 1,
  EXIT_USAGE = 2,
  EXIT_INTEGRITY = 3,
};

#define HTTP_TIMEOUT_SECONDS 15

/* The most characters an argument may have, by what it is (the daemon
 * holds a case number, a title, a reason and a marker to the same). */
#define CASE_MAX_CHARS 100
#define LINE_MAX_CHARS 200      /* a title, a reason, a name, a word */
#define NOTE_MAX_CHARS 2000     /* a marker's text, an archive note */
#define PATH_MAX_CHARS 4096
/* The most of a message (the daemon's, a library's) shown on a terminal. */
#define MESSAGE_MAX_CHARS 1000

static const struct {
  const char *name;   /* "--option", or a positional argument's name */
  gsize max_chars;
} text_limits[] = {
  { "--case", CASE_MAX_CHARS },
  { "--note", NOTE_MAX_CHARS },
  { "TEXT", NOTE_MAX_CHARS },
  { "--output", PATH_MAX_CHARS },
};

static const char *const pause_reasons[] = {
  "recess", "non-public-evidence", "mediation", "other", NULL
};

typedef struct {
  const char *name;
  const char *params;   /* shown in the help after the verb */
  const char *summary;
  int (*run) (const char *verb, int argc, char **argv);
} Verb;

/* Set by the global options; used by every verb. */
static char *config_path;
/* The global options' context: 'courtrec help' prints its help. */
static GOptionContext *main_context;

/* A message for the terminal: as it is when it has nothing a terminal
 * would act on and is not too long, else escaped and cut. The pieces of a
 * message that came from outside are escaped where it is made; this also
 * covers what a library put into a GError. (transfer full) */
static char *
terminal_message (const char *message)
{
  if (cr_text_validate (message, "message", MESSAGE_MAX_CHARS, FALSE, NULL))
    return g_strdup (message);
  return cr_text_escape (message, -1, MESSAGE_MAX_CHARS);
}

/* A path for the terminal: escaped, and cut only when longer than a path
 * can be. (transfer full) */
static char *
shown_path (const char *path)
{
  return cr_text_escape (path, -1, PATH_MAX_CHARS);
}

static int G_GNUC_PRINTF (2, 3)
fail (int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *shown = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  shown = terminal_message (message);
  fprintf (stderr, "courtrec: %s\n", shown);
  return code;
}

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
static gboolean
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

static CrConfig *
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

static gboolean
is_pause_reason (const char *reason)
{
  return g_strv_contains (pause_reasons, reason);
}

/* --- HTTP to courtrecd ----------------------------------------------------- */

/* "host:port", with brackets around an IPv6 literal. */
static char *
format_endpoint (const CrConfig *config)
{
  if (strchr (config->api_host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", config->api_host, config->api_port);
  return g_strdup_printf ("%s:%u", config->api_host, config->api_port);
}

static void
wipe_string (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

typedef char SecretString;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretString, wipe_string)

/* The message of an API error body {"error":{"message":...}}, or NULL. */
static const char *
api_error_message (JsonNode *reply)
{
  JsonObject *object;
  JsonObject *inner;

  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    return NULL;
  object = json_node_get_object (reply);
  if (!json_object_has_member (object, "error") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error")))
    return NULL;
  inner = json_object_get_object_member (object, "error");
  return json_object_get_string_member_with_default (inner, "message", NULL);
}

/* Sends @method @path (under /api/v1) with @request as the body (or none)
 * and returns the exit code; on 200 sets @reply to the JSON body. Prints
 * every failure. */
static int
call_api (const CrConfig *config, const char *method, const char *path,
          JsonNode *request, JsonNode **reply)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretString) token = NULL;
  g_autoptr (SecretString) authorization = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *endpoint = format_endpoint (config);
  g_autofree char *uri = g_strdup_printf ("http://%s/api/v1%s", endpoint, path);
  JsonNode *root = NULL;
  const char *daemon_message;
  guint status;

  token = cr_config_load_token (config, FALSE, &error);
  if (token == NULL)
    return fail (EXIT_RUNTIME, "room %s: %s", cr_text_shown (config->room_id),
                 error->message);

  session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_SECONDS,
                                           "user-agent", "courtrec", NULL);
  message = soup_message_new (method, uri);
  if (message == NULL)
    return fail (EXIT_USAGE, "cannot make a URL of the [api] listen address %s",
                 cr_text_shown (endpoint));
  authorization = g_strdup_printf ("Bearer %s", token);
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", authorization);
  if (request != NULL)
    {
      g_autoptr (JsonGenerator) generator = json_generator_new ();
      g_autoptr (GBytes) bytes = NULL;
      gsize length = 0;
      char *text;

      json_generator_set_root (generator, request);
      text = json_generator_to_data (generator, &length);
      bytes = g_bytes_new_take (text, length);
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  body = soup_session_send_and_read (session, message, NULL, &error);
  if (body == NULL)
    return fail (EXIT_RUNTIME, "courtrecd for room %s is not answering on %s: %s",
                 cr_text_shown (config->room_id), cr_text_shown (endpoint), error->message);

  status = soup_message_get_status (message);
  if (g_bytes_get_size (body) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                  g_bytes_get_size (body), NULL))
    root = json_parser_get_root (parser);
  /* The daemon's messages quote what it was sent, and whatever answers on
   * its port may say anything: escaped and shortened like any outside text. */
  daemon_message = api_error_message (root);
  if (daemon_message != NULL)
    daemon_message = cr_text_shown (daemon_message);

  switch (status)
    {
    case SOUP_STATUS_OK:
      if (root == NULL)
        return fail (EXIT_RUNTIME, "courtrecd on %s answered %s %s with a body that is not JSON",
                     cr_text_shown (endpoint), method, cr_text_shown (path));
      if (reply != NULL)
        *reply = json_node_copy (root);
      return EXIT_OK;
    case SOUP_STATUS_BAD_REQUEST:
      return fail (EXIT_USAGE, "%s", daemon_message != NULL ? daemon_message
                                      : "courtrecd refused the request as invalid");
    case SOUP_STATUS_UNAUTHORIZED:
      return fail (EXIT_RUNTIME, "courtrecd for room %s on %s refused the API token "
                   "(is another daemon on that port, or was the token file replaced?)",
                   cr_text_shown (config->room_id), cr_text_shown (endpoint));
    case SOUP_STATUS_CONFLICT:
      return fail (EXIT_RUNTIME, "%s", daemon_message != NULL ? daemon_message
                                        : "courtrecd refused: not allowed now");
    default:
      return fail (EXIT_RUNTIME, "courtrecd for room %s on %s answered %u %s%s%s",
                   cr_text_shown (config->room_id), cr_text_shown (endpoint), status,
                   cr_text_shown (soup_message_get_reason_phrase (message) != NULL
                                  ? soup_message_get_reason_phrase (message) : ""),
                   daemon_message != NULL ? ": " : "",
                   daemon_message != NULL ? daemon_message : "");
    }
}

/* --- reading replies --------------------------------------------------------- */

/* @object's member @name if it is a @type, else NULL: whatever answers on
 * the daemon's port may send anything. */
static JsonNode *
member_of_type (JsonObject *object, const char *name, JsonNodeType type)
{
  JsonNode *member;

  if (object == NULL)
    return NULL;
  member = json_object_get_member (object, name);
  if (member == NULL || JSON_NODE_TYPE (member) != type)
    return NULL;
  return member;
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_OBJECT);

  return member != NULL ? json_node_get_object (member) : NULL;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *member;

  if (object == NULL)
    return NULL;
  member = json_object_get_member (object, name);
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}

static gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *member;

  if (object == NULL)
    return 0;
  member = json_object_get_member (object, name);
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (member);
}

static JsonObject *
reply_status (JsonNode *reply)
{
  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    return NULL;
  return member_object (json_node_get_object (reply), "status");
}

/* @text with every character a terminal would act on written as a JSON
 * escape (\u001b) or, when @html, a character reference (&#x1b;), the
 * newlines and tabs of its layout kept, and bytes that are not UTF-8 made
 * U+FFFD.
 * For a document (JSON, HTML) whose syntax is ASCII: what this replaces
 * can only stand in a string or in text, where the replacement means the
 * same character. (transfer full) */
static char *
escape_in_document (const char *text, gboolean html)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gsize length = g_utf8_next_char (p) - p;
      g_autofree char *escaped = NULL;

      if (*p == '\n' || *p == '\t' || *p == '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      /* cr_text_escape leaves a character as it is unless a terminal would
       * act on it. */
      escaped = cr_text_escape (p, length, 1);
      if (strlen (escaped) == length && memcmp (escaped, p, length) == 0)
        g_string_append_len (out, p, length);
      else if (html)
        g_string_append_printf (out, "&#x%x;", g_utf8_get_char (p));
      else
        g_string_append_printf (out, "\\u%04x", g_utf8_get_char (p));
    }
  return g_string_free (out, FALSE);
}

/* json-glib escapes the C0 controls and DEL in strings, but leaves the C1
 * controls (U+009B is a CSI), the line separators and the bidirectional
 * overrides as they are, and copies bytes that are not UTF-8. */
static void
print_json_text (const char *json)
{
  g_autofree char *shown = escape_in_document (json, FALSE);

  printf ("%s\n", shown);
}

static void
print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  print_json_text (text);
}

/* --- the index ------------------------------------------------------------- */

/* "/var/lib/courtrec/room-101 is courtrec:courtrec, mode 0750": the
 * nearest of @path and its parents this user can look at, which is what
 * keeps it out. (transfer full) */
static char *
describe_access (const char *path)
{
  g_autofree char *at = g_strdup (path);

  for (;;)
    {
      g_autofree char *parent = NULL;
      GStatBuf st;

      if (g_stat (at, &st) == 0)
        {
          struct passwd *owner = getpwuid (st.st_uid);
          struct group *group = getgrgid (st.st_gid);
          g_autofree char *shown = shown_path (at);
          g_autofree char *owner_name = owner != NULL ? g_strdup (owner->pw_name)
                                                      : g_strdup_printf ("%u", (guint) st.st_uid);
          g_autofree char *group_name = group != NULL ? g_strdup (group->gr_name)
                                                      : g_strdup_printf ("%u", (guint) st.st_gid);

          return g_strdup_printf ("%s is %s:%s, mode %04o", shown, owner_name, group_name,
                                  (guint) (st.st_mode & 07777));
        }
      parent = g_path_get_dirname (at);
      if (g_str_equal (parent, at))
        return NULL;
      g_free (at);
      at = g_steal_pointer (&parent);
    }
}

/* Opens the room's index, read-only unless @for_writing. Whatever keeps it
 * from being read (no index there, no permission, not a database) is an
 * error that names the index, never an empty archive: "No sessions" from
 * an index this user may not read would tell an operator a court's
 * recordings are not there.
 *
 * courtrecd is the index's main writer; archived, retention and export
 * write a few rows of their own. That is safe while it runs: the index is
 * in WAL mode, every write is one short IMMEDIATE transaction, and both
 * sides wait out the other's lock (busy timeout) rather than fail. */
static CrSegmentIndex *
open_index (const CrConfig *config, gboolean for_writing, char **index_path, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (config->storage_dir, CR_STORAGE_INDEX_NAME, NULL);
  g_autofree char *shown = shown_path (path);
  CrSegmentIndex *index;
  int fd;

  *exit_code = EXIT_OK;
  if (index_path != NULL)
    *index_path = g_strdup (path);
  /* SQLite says "unable to open database file" whatever the cause; open(2)
   * says which. */
  fd = g_open (path, (for_writing ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int errnum = errno;
      g_autofree char *config_shown = shown_path (config->path);

      if (errnum == ENOENT)
        *exit_code = fail (EXIT_RUNTIME, "no index at %s: nothing has been recorded in room "
                           "%s, or [storage] dir in %s is not where courtrecd records",
                           shown, cr_text_shown (config->room_id), config_shown);
      else if (errnum == EACCES || errnum == EPERM || errnum == EROFS)
        {
          g_autofree char *why = describe_access (path);
          *exit_code = fail (EXIT_RUNTIME, "cannot %s the index %s: %s%s%s%s",
                             for_writing ? "write to" : "read", shown, g_strerror (errnum),
                             why != NULL ? " (" : "", why != NULL ? why : "",
                             why != NULL ? "; the archive is for that owner and group only)"
                                         : "");
        }
      else
        *exit_code = fail (EXIT_RUNTIME, "cannot open the index %s: %s", shown,
                           g_strerror (errnum));
      return NULL;
    }
  close (fd);
  index = cr_segment_index_open (path, !for_writing, &error);
  if (index == NULL && strstr (error->message, path) != NULL)
    *exit_code = fail (EXIT_RUNTIME, "%s", error->message);
  else if (index == NULL)
    *exit_code = fail (EXIT_RUNTIME, "cannot read the index %s: %s", shown, error->message);
  return index;
}

/* The index for what only adds to what a verb did (stop's summary): NULL,
 * quietly, when it cannot be read. */
static CrSegmentIndex *
open_index_quietly (const CrConfig *config)
{
  g_autofree char *path = g_build_filename (config->storage_dir, CR_STORAGE_INDEX_NAME, NULL);

  return cr_segment_index_open (path, TRUE, NULL);
}

/* Columns of text aligned by their width on a terminal, where a Han
 * character takes two cells. */
static gsize
display_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

/* @rows: GStrv per row, the first row the header. */
static void
print_table (GPtrArray *rows)
{
  g_autofree gsize *widths = NULL;
  guint n_columns;

  if (rows->len == 0)
    return;
  n_columns = g_strv_length (rows->pdata[0]);
  widths = g_new0 (gsize, n_columns);
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      for (guint c = 0; c < n_columns; c++)
        widths[c] = MAX (widths[c], display_width (row[c]));
    }
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      g_autoptr (GString) line = g_string_new (NULL);

      for (guint c = 0; c < n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < n_columns)
            for (gsize pad = display_width (row[c]); pad < widths[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      printf ("%s\n", line->str);
    }
}

static char *
format_time_or_dash (gint64 utc_us)
{
  return utc_us > 0 ? cr_format_utc (utc_us) : g_strdup ("-");
}

/* --- verbs: control ------------------------------------------------------- */

static int
run_start (const char *verb, int argc, char **argv)
{
  g_autofree char *case_arg = NULL;
  g_autofree char *title = NULL;
  g_autofree char *case_no = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_autofree char *reply_dir = NULL;
  int code;
  GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_FILENAME, &case_arg,
      "The case number (案号), e.g. （2026）浙1022民初123号", "CASE" },
    { "title", 0, 0, G_OPTION_ARG_FILENAME, &title, "A title for the hearing", "T" },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL, "Starts recording a hearing of a case.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (case_arg == NULL)
    return fail (EXIT_USAGE, "start: --case CASE is required");
  /* Refuse a malformed number here, with the reason, before anything is
   * sent: the daemon would refuse it too, with less to go on. */
  case_no = cr_case_number_canonicalize (case_arg, &error);
  if (case_no == NULL)
    return fail (EXIT_USAGE, "start: --case: %s", error->message);

  config = load_config (&code);
  if (config == NULL)
    return code;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "case");
  json_builder_add_string_value (builder, case_no);
  if (title != NULL)
    {
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, title);
    }
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  code = call_api (config, "POST", "/session/start", request, &reply);
  if (code != EXIT_OK)
    return code;

  reply_dir = shown_path (member_string (reply_status (reply), "storage_dir") != NULL
                          ? member_string (reply_status (reply), "storage_dir")
                          : config->storage_dir);
  printf ("Recording session %" G_GINT64_FORMAT " of case %s in room %s\n",
          member_int (json_node_get_object (reply), "session_id"), cr_text_shown (case_no),
          cr_text_shown (config->room_id));
  printf ("Storage directory: %s\n", reply_dir);
  return EXIT_OK;
}

static int
run_pause (const char *verb, int argc, char **argv)
{
  g_autofree char *reason = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_autofree char *reasons = g_strjoinv (", ", (char **) pause_reasons);
  int code;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_FILENAME, &reason,
      "recess, non-public-evidence, mediation or other", "R" },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL, "Pauses the recording, for a reason.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (reason == NULL)
    return fail (EXIT_USAGE, "pause: --reason R is required (one of %s)", reasons);
  if (!is_pause_reason (reason))
    return fail (EXIT_USAGE, "pause: unknown reason '%s'; expected one of %s",
                 cr_text_shown (reason), reasons);

  config = load_config (&code);
  if (config == NULL)
    return code;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  code = call_api (config, "POST", "/session/pause", request, &reply);
  if (code != EXIT_OK)
    return code;
  printf ("Paused session %" G_GINT64_FORMAT " (%s)\n",
          member_int (member_object (reply_status (reply), "session"), "id"),
          cr_text_shown (reason));
  return EXIT_OK;
}

static int
run_resume (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  int code;

  if (!parse_verb_options (verb, NULL, "Resumes a paused recording.",
                           NULL, argc, argv, 0, 0, NULL, &code))
    return code;
  config = load_config (&code);
  if (config == NULL)
    return code;
  code = call_api (config, "POST", "/session/resume", NULL, &reply);
  if (code != EXIT_OK)
    return code;
  printf ("Recording session %" G_GINT64_FORMAT " again\n",
          member_int (member_object (reply_status (reply), "session"), "id"));
  return EXIT_OK;
}

/* "N segments in DIR" for the session just stopped, from the index. */
static void
print_stopped_segments (const CrConfig *config, gint64 session_id)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GError) error = NULL;
  const char *dir = config->storage_dir;
  g_autofree char *where = NULL;
  g_autofree char *shown = NULL;

  index = open_index_quietly (config);
  if (index != NULL)
    segments = cr_segment_index_list_segments (index, session_id, &error);
  if (segments == NULL)
    {
      shown = shown_path (dir);
      printf ("Files are in %s\n", shown);
      return;
    }
  /* Segments of one session share a directory; name it rather than the
   * storage root so that the operator can go straight there. */
  if (segments->len > 0)
    {
      CrSegmentRecord *first = segments->pdata[0];
      g_autofree char *relative_dir = g_path_get_dirname (first->path);
      where = g_str_equal (relative_dir, ".") ? g_strdup (dir)
                                              : g_build_filename (dir, relative_dir, NULL);
    }
  else
    where = g_strdup (dir);
  shown = shown_path (where);
  printf ("%u segment%s in %s\n", segments->len, segments->len == 1 ? "" : "s", shown);
}

/* The integrity value the parties sign (SPC 2017 rules, Art. 9): from the
 * daemon's reply when it sealed the session before answering, else from the
 * index if the seal is there already. */
static void
print_chain_head (const CrConfig *config, gint64 session_id, const char *from_reply)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session = NULL;

  if (from_reply != NULL)
    {
      printf ("Integrity value (chain head): %s\n", cr_text_shown (from_reply));
      return;
    }
  index = open_index_quietly (config);
  /* The daemon seals the session as soon as its last segment is finished
   * and hashed: a moment after the stop. Wait for it, within reason. */
  for (guint tries = 0; index != NULL && tries < 100; tries++)
    {
      g_clear_pointer (&session, cr_session_record_free);
      session = cr_segment_index_get_session (index, session_id, NULL);
      if (session == NULL || session->chain_head != NULL)
        break;
      g_usleep (100 * 1000);
    }
  if (session != NULL && session->chain_head != NULL)
    printf ("Integrity value (chain head): %s\n", cr_text_shown (session->chain_head));
  else
    printf ("Integrity value: not sealed yet (the last segment is still being "
            "finished); 'courtrec -c FILE report --session %" G_GINT64_FORMAT
            "' shows it once sealed\n", session_id);
}

static int
run_stop (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  gint64 session_id;
  int code;

  if (!parse_verb_options (verb, NULL, "Stops the recording and ends the session.",
                           NULL, argc, argv, 0, 0, NULL, &code))
    return code;
  config = load_config (&code);
  if (config == NULL)
    return code;
  code = call_api (config, "POST", "/session/stop", NULL, &reply);
  if (code != EXIT_OK)
    return code;

  session_id = member_int (json_node_get_object (reply), "session_id");
  if (session_id <= 0)
    {
      printf ("Nothing was recording\n");
      return EXIT_OK;
    }
  printf ("Stopped session %" G_GINT64_FORMAT "\n", session_id);
  print_stopped_segments (config, session_id);
  {
    /* No promise of a seal that cannot come: the daemon's alarm says why. */
    JsonObject *status = member_object (json_node_get_object (reply), "status");
    JsonNode *alarms = status != NULL ? json_object_get_member (status, "alarms") : NULL;
    JsonArray *list = alarms != NULL && JSON_NODE_HOLDS_ARRAY (alarms)
                        ? json_node_get_array (alarms) : NULL;
    for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
      {
        JsonNode *element = json_array_get_element (list, i);
        JsonObject *alarm = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element)
                                                             : NULL;
        if (g_strcmp0 (member_string (alarm, "alarm"), "seal-unavailable") == 0)
          {
            printf ("NOT SEALED: the device key cannot be used: %s\nOnce it can, "
                    "courtrecd seals the session within a minute; or seal it then with "
                    "courtrec seal --session %" G_GINT64_FORMAT "\n",
                    cr_text_shown (member_string (alarm, "message")), session_id);
            return EXIT_OK;
          }
      }
  }
  print_chain_head (config, session_id,
                    member_string (json_node_get_object (reply), "chain_head"));
  return EXIT_OK;
}

static int
run_mark (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_auto (GStrv) positional = NULL;
  int code;

  if (!parse_verb_options (verb, "TEXT", "Adds a timestamped note to the session.",
                           NULL, argc, argv, 1, 1, &positional, &code))
    return code;
  if (g_strstrip (positional[0])[0] == '\0')
    return fail (EXIT_USAGE, "mark: the TEXT is empty");
  config = load_config (&code);
  if (config == NULL)
    return code;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, positional[0]);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  code = call_api (config, "POST", "/session/markers", request, &reply);
  if (code != EXIT_OK)
    return code;
  printf ("Marker added (event %" G_GINT64_FORMAT ")\n",
          member_int (json_node_get_object (reply), "event_id"));
  return EXIT_OK;
}

static int
run_layout (const char *verb, int argc, char **argv)
{
  static const char *const layouts[] = { "single", "pip", "grid", "voice", "evidence", NULL };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_auto (GStrv) positional = NULL;
  int code;

  if (!parse_verb_options (verb, "NAME", "Switches the composed picture's layout: single, "
                           "pip, grid, voice (follows the loudest microphone) or evidence "
                           "(the evidence camera full screen).",
                           NULL, argc, argv, 1, 1, &positional, &code))
    return code;
  if (!g_strv_contains (layouts, positional[0]))
    return fail (EXIT_USAGE, "layout: unknown layout '%s': expected single, pip, grid, "
                 "voice or evidence", cr_text_shown (positional[0]));
  config = load_config (&code);
  if (config == NULL)
    return code;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "layout");
  json_builder_add_string_value (builder, positional[0]);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  code = call_api (config, "POST", "/layout", request, &reply);
  if (code != EXIT_OK)
    return code;
  printf ("Layout: %s\n", cr_text_shown (positional[0]));
  return EXIT_OK;
}

/* One line per live output, e.g.
 * "stream:   portal (rtmp) live, showing live, 2030 kbit/s, 0 reconnects". */
static void
print_streams (JsonObject *status)
{
  JsonArray *streams = status != NULL && json_object_has_member (status, "streams")
                         ? json_object_get_array_member (status, "streams") : NULL;
  JsonObject *broadcast = member_object (status, "broadcast");

  if (broadcast != NULL)
    printf ("on air:   %s (public: %s)\n",
            json_object_get_boolean_member_with_default (broadcast, "on_air", FALSE) ? "yes"
                                                                                     : "no",
            cr_text_shown (member_string (broadcast, "public_state")));
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      const char *error = member_string (stream, "last_error");

      printf ("stream:   %s (%s) %s, showing %s%s, %" G_GINT64_FORMAT " kbit/s, %"
              G_GINT64_FORMAT " reconnects, %" G_GINT64_FORMAT " frames dropped%s%s\n",
              cr_text_shown (member_string (stream, "name")),
              cr_text_shown (member_string (stream, "kind")),
              cr_text_shown (member_string (stream, "state")),
              cr_text_shown (member_string (stream, "showing")),
              json_object_get_boolean_member_with_default (stream, "cut", FALSE) ? " (cut)" : "",
              member_int (stream, "bitrate_kbps"), member_int (stream, "reconnects"),
              member_int (stream, "dropped_video"), error != NULL ? "; last error: " : "",
              error != NULL ? cr_text_shown (error) : "");
    }
}

/* "1 h 05 min", "12 min 30 s", "40 s". (transfer full) */
static char *
format_duration (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %02d min", seconds / 3600,
                            (int) (seconds % 3600 / 60));
  if (seconds >= 60)
    return g_strdup_printf ("%d min %02d s", (int) (seconds / 60), (int) (seconds % 60));
  return g_strdup_printf ("%d s", (int) seconds);
}

/* Seconds from the UTC time @iso (as the daemon writes it) to now, or -1
 * when it is not a time. */
static gint64
seconds_since (const char *iso)
{
  g_autoptr (GDateTime) then = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  if (then == NULL)
    return -1;
  return g_date_time_difference (now, then) / G_USEC_PER_SEC;
}

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_ARRAY);

  return member != NULL ? json_node_get_array (member) : NULL;
}

/* The @i-th element of @array if it is an object, else NULL. */
static JsonObject *
element_object (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A member that is a JSON number, integer or not. */
static gboolean
member_number (JsonObject *object, const char *name, double *value)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_VALUE);
  GType type = member != NULL ? json_node_get_value_type (member) : G_TYPE_INVALID;

  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_double (member);
  return TRUE;
}

/* A member that is true or false; FALSE, @value untouched, when there is
 * none (an older daemon's status). */
static gboolean
member_boolean (JsonObject *object, const char *name, gboolean *value)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_VALUE);

  if (member == NULL || json_node_get_value_type (member) != G_TYPE_BOOLEAN)
    return FALSE;
  *value = json_node_get_boolean (member);
  return TRUE;
}

/* The level of a microphone as a clerk reads it: "silent" at or below the
 * room's silence floor (the meter's own floor is a number like -699.99
 * that means nothing to anyone), else "-23.4 dBFS (peak -12.0)".
 * The daemon's "silent" says so when it gives one. (transfer full) */
static char *
format_level (const CrConfig *config, JsonObject *microphone)
{
  double rms = 0, peak = 0;
  gboolean silent = FALSE;
  gboolean has_rms = member_number (microphone, "rms_dbfs", &rms);
  gboolean has_peak = member_number (microphone, "peak_dbfs", &peak);

  if (!member_boolean (microphone, "silent", &silent))
    {
      if (!has_peak && !has_rms)
        return g_strdup ("level unknown");
      silent = (has_peak ? peak : rms) <= config->silence_dbfs;
    }
  if (silent)
    return g_strdup_printf ("silent (at or below %d dBFS)", config->silence_dbfs);
  if (has_rms && has_peak)
    return g_strdup_printf ("%.1f dBFS (peak %.1f)", rms, peak);
  return g_strdup_printf ("%.1f dBFS", has_rms ? rms : peak);
}

static JsonObject *
find_microphone (JsonArray *microphones, const char *name)
{
  for (guint i = 0; microphones != NULL && i < json_array_get_length (microphones); i++)
    {
      JsonObject *microphone = element_object (microphones, i);

      if (g_strcmp0 (member_string (microphone, "name"), name) == 0)
        return microphone;
    }
  return NULL;
}

/* One row per input: kind, name, label, state, and a microphone's level;
 * microphones the daemon gives levels of but not a state get a row too. */
static void
print_inputs (const CrConfig *config, JsonObject *status)
{
  JsonArray *inputs = member_array (status, "inputs");
  JsonArray *microphones = member_array (status, "microphones");
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; inputs != NULL && i < json_array_get_length (inputs); i++)
    {
      JsonObject *input = element_object (inputs, i);
      const char *kind = member_string (input, "kind");
      const char *name = member_string (input, "name");
      gint64 losses = member_int (input, "losses");
      g_autofree char *state = NULL;
      char **row = g_new0 (char *, 5);

      if (g_strcmp0 (member_string (input, "state"), "lost") == 0)
        state = g_strdup ("LOST");
      else
        state = g_strdup (member_string (input, "state") != NULL
                          ? cr_text_shown (member_string (input, "state")) : "unknown");
      if (losses > 0)
        {
          char *with_losses = g_strdup_printf ("%s (lost %" G_GINT64_FORMAT " time%s)", state,
                                               losses, losses == 1 ? "" : "s");
          g_free (state);
          state = with_losses;
        }
      if (g_strcmp0 (kind, "microphone") == 0)
        {
          JsonObject *microphone = find_microphone (microphones, name);
          g_autofree char *level = microphone != NULL ? format_level (config, microphone) : NULL;

          if (name != NULL)
            g_hash_table_add (listed, (gpointer) name);
          if (level != NULL)
            {
              char *with_level = g_strdup_printf ("%s, %s", state, level);
              g_free (state);
              state = with_level;
            }
        }
      row[0] = g_strdup (kind != NULL ? cr_text_shown (kind) : "input");
      row[1] = g_strdup (name != NULL ? cr_text_shown (name) : "?");
      row[2] = g_strdup (member_string (input, "label") != NULL
                         ? cr_text_shown (member_string (input, "label")) : "");
      row[3] = g_steal_pointer (&state);
      g_ptr_array_add (rows, row);
    }
  for (guint i = 0; microphones != NULL && i < json_array_get_length (microphones); i++)
    {
      JsonObject *microphone = element_object (microphones, i);
      const char *name = member_string (microphone, "name");
      char **row;

      if (microphone == NULL || (name != NULL && g_hash_table_contains (listed, name)))
        continue;
      row = g_new0 (char *, 5);
      row[0] = g_strdup ("microphone");
      row[1] = g_strdup (name != NULL ? cr_text_shown (name) : "?");
      row[2] = g_strdup (member_string (microphone, "label") != NULL
                         ? cr_text_shown (member_string (microphone, "label")) : "");
      row[3] = format_level (config, microphone);
      g_ptr_array_add (rows, row);
    }
  if (rows->len == 0)
    {
      printf ("inputs:   none reported\n");
      return;
    }
  printf ("inputs:\n");
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      char *indented = g_strconcat ("  ", row[0], NULL);
      g_free (row[0]);
      row[0] = indented;
    }
  print_table (rows);
}

/* "alarms:   none", or how many stand and one line each. */
static void
print_alarms (JsonObject *status)
{
  JsonArray *alarms = member_array (status, "alarms");
  guint n = alarms != NULL ? json_array_get_length (alarms) : 0;
  gboolean standing = n > 0;

  member_boolean (status, "alarms_standing", &standing);
  if (!standing && n == 0)
    {
      printf ("alarms:   none\n");
      return;
    }
  if (n == 0)
    {
      printf ("alarms:   STANDING (see status --json)\n");
      return;
    }
  printf ("alarms:   %u STANDING\n", n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *alarm = element_object (alarms, i);
      const char *what = member_string (alarm, "alarm");
      const char *input = member_string (alarm, "input");
      const char *label = member_string (alarm, "label");
      const char *since = member_string (alarm, "since");
      gint64 seconds = seconds_since (since);
      g_autofree char *message = terminal_message (member_string (alarm, "message") != NULL
                                                   ? member_string (alarm, "message") : "");
      g_autofree char *how_long = seconds >= 0 ? format_duration (seconds) : NULL;
      g_autofree char *shown_label = label != NULL && g_strcmp0 (label, input) != 0
                                     ? g_strdup_printf (" (%s)", cr_text_shown (label)) : NULL;

      printf ("  %s%s%s%s, since %s%s%s%s: %s\n", what != NULL ? cr_text_shown (what) : "alarm",
              input != NULL ? " " : "", input != NULL ? cr_text_shown (input) : "",
              shown_label != NULL ? shown_label : "", since != NULL ? cr_text_shown (since) : "?",
              how_long != NULL ? " (" : "", how_long != NULL ? how_long : "",
              how_long != NULL ? ")" : "", message);
    }
}

/* "disk:     12.3 GB free in DIR, about 5 h 30 min of recording left". */
static void
print_disk (const CrConfig *config, JsonObject *status)
{
  JsonObject *disk = member_object (status, "disk");
  const char *dir = member_string (status, "storage_dir");
  g_autofree char *shown = shown_path (dir != NULL ? dir : config->storage_dir);
  double free_bytes = 0, seconds_left = 0;
  gboolean full = FALSE;
  g_autofree char *left = NULL;

  member_boolean (disk, "full", &full);
  if (!member_number (disk, "free_bytes", &free_bytes))
    {
      printf ("disk:     %s, not measured yet\n", shown);
      return;
    }
  if (member_number (disk, "seconds_left", &seconds_left))
    left = format_duration ((gint64) seconds_left);
  printf ("disk:     %s%.1f GB free in %s%s%s%s\n", full ? "FULL, " : "", free_bytes / 1e9,
          shown, left != NULL ? ", about " : "", left != NULL ? left : "",
          left != NULL ? " of recording left" : "");
}

/* The hearing being recorded: case, title, how long, the open file. */
static void
print_session (JsonObject *session, JsonObject *segment)
{
  const char *title = member_string (session, "title");
  const char *started = member_string (session, "started");
  gint64 elapsed = seconds_since (started);
  g_autofree char *elapsed_text = elapsed >= 0 ? format_duration (elapsed) : NULL;

  printf ("case:     %s%s%s\n", cr_text_shown (member_string (session, "case")),
          title != NULL ? " — " : "", title != NULL ? cr_text_shown (title) : "");
  printf ("session:  %" G_GINT64_FORMAT ", since %s%s%s\n", member_int (session, "id"),
          started != NULL ? cr_text_shown (started) : "?",
          elapsed_text != NULL ? ", elapsed " : "", elapsed_text != NULL ? elapsed_text : "");
  if (segment != NULL)
    {
      const char *path = member_string (segment, "path");
      g_autofree char *shown = shown_path (path != NULL ? path : "?");

      printf ("segment:  #%" G_GINT64_FORMAT " %s, since %s\n",
              member_int (segment, "sequence"), shown,
              member_string (segment, "started")
                ? cr_text_shown (member_string (segment, "started")) : "?");
    }
  else
    printf ("segment:  none open\n");
}

static int
run_status (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  gboolean json = FALSE;
  JsonObject *status, *room, *session, *segment;
  const char *state, *pause_reason;
  gboolean healthy = TRUE;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the daemon's JSON as is", NULL },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL, "Shows what the recorder is doing: the state, the "
                           "case and session with the time elapsed, each input with its "
                           "state and each microphone's level (\"silent\" at or below the "
                           "room's silence_dbfs), the alarms standing, the disk's free space "
                           "and the recording time left, the live streams.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  config = load_config (&code);
  if (config == NULL)
    return code;
  code = call_api (config, "GET", "/status", NULL, &reply);
  if (code != EXIT_OK)
    return code;
  if (json)
    {
      print_json (reply);
      return EXIT_OK;
    }

  status = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  room = member_object (status, "room");
  session = member_object (status, "session");
  segment = member_object (status, "segment");
  state = member_string (status, "state");

  printf ("room:     %s (%s, %s)\n", cr_text_shown (config->room_id),
          cr_text_shown (member_string (room, "name") ? member_string (room, "name")
                                                      : config->room_name),
          cr_text_shown (member_string (room, "court") ? member_string (room, "court")
                                                       : config->court));
  pause_reason = member_string (session, "pause_reason");
  if (pause_reason != NULL && g_strcmp0 (state, "paused") == 0)
    printf ("state:    paused (%s)\n", cr_text_shown (pause_reason));
  else
    printf ("state:    %s\n", state != NULL ? cr_text_shown (state) : "unknown");
  if (session != NULL)
    print_session (session, segment);
  /* "capturing" says it; an older daemon's "healthy" meant the same. */
  if ((member_boolean (status, "capturing", &healthy) ||
       member_boolean (status, "healthy", &healthy)) && !healthy)
    printf ("capture:  NO PICTURE from capture for a while: see the daemon's log\n");
  print_inputs (config, status);
  print_alarms (status);
  print_disk (config, status);
  print_streams (status);
  return EXIT_OK;
}

/* --- verbs: archive ------------------------------------------------------- */

static void
add_string_or_null (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static int
run_sessions (const char *verb, int argc, char **argv)
{
  g_autofree char *case_arg = NULL;
  g_autofree char *case_no = NULL;
  g_autofree char *index_path = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GHashTable) segment_counts = NULL;
  g_autoptr (GError) error = NULL;
  gboolean json = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_FILENAME, &case_arg,
      "Only sessions of this case number (any typing of it)", "CASE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL, "Lists the recorded sessions, from the index.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (case_arg != NULL)
    {
      case_no = cr_case_number_canonicalize (case_arg, &error);
      if (case_no == NULL)
        return fail (EXIT_USAGE, "sessions: --case: %s", error->message);
    }
  config = load_config (&code);
  if (config == NULL)
    return code;

  index = open_index (config, FALSE, &index_path, &code);
  if (index == NULL)
    return code;
  sessions = cr_segment_index_list_sessions (index, case_no, &error);
  if (sessions != NULL)
    segments = cr_segment_index_list_segments (index, 0, &error);
  if (sessions == NULL || segments == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s", cr_text_shown (index_path),
                 error->message);

  segment_counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, NULL);
  for (guint i = 0; i < segments->len; i++)
    {
      CrSegmentRecord *segment = segments->pdata[i];
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (segment_counts,
                                                           &segment->session_id));
      g_hash_table_insert (segment_counts, &segment->session_id,
                           GUINT_TO_POINTER (count + 1));
    }

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < sessions->len; i++)
        {
          CrSessionRecord *session = sessions->pdata[i];
          g_autofree char *started = cr_format_utc (session->started_us);
          g_autofree char *stopped = session->stopped_us > 0
                                     ? cr_format_utc (session->stopped_us) : NULL;

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_int_value (builder, session->id);
          add_string_or_null (builder, "case", session->case_no);
          add_string_or_null (builder, "title", session->title);
          add_string_or_null (builder, "state",
                              cr_session_state_to_string (session->state));
          add_string_or_null (builder, "started", started);
          add_string_or_null (builder, "stopped", stopped);
          json_builder_set_member_name (builder, "segments");
          json_builder_add_int_value (builder,
              GPOINTER_TO_UINT (g_hash_table_lookup (segment_counts, &session->id)));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_OK;
    }

  if (sessions->len == 0)
    {
      if (case_no != NULL)
        printf ("No sessions of case %s in room %s\n", cr_text_shown (case_no),
                cr_text_shown (config->room_id));
      else
        printf ("No sessions in room %s\n", cr_text_shown (config->room_id));
      return EXIT_OK;
    }

  {
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    g_ptr_array_add (rows, g_strsplit ("ID CASE TITLE STATE STARTED STOPPED SEGMENTS", " ", -1));
    for (guint i = 0; i < sessions->len; i++)
      {
        CrSessionRecord *session = sessions->pdata[i];
        char **row = g_new0 (char *, 8);

        row[0] = g_strdup_printf ("%" G_GINT64_FORMAT, session->id);
        row[1] = g_strdup (cr_text_shown (session->case_no));
        row[2] = g_strdup (session->title != NULL && *session->title != '\0'
                           ? cr_text_shown (session->title) : "-");
        row[3] = g_strdup (cr_session_state_to_string (session->state));
        row[4] = format_time_or_dash (session->started_us);
        row[5] = format_time_or_dash (session->stopped_us);
        row[6] = g_strdup_printf ("%u", GPOINTER_TO_UINT (
                     g_hash_table_lookup (segment_counts, &session->id)));
        g_ptr_array_add (rows, row);
      }
    print_table (rows);
  }
  return EXIT_OK;
}

static int
run_events (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *index_path = NULL;
  g_auto (GStrv) positional = NULL;
  gboolean json = FALSE;
  guint64 session_id;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL },
    { NULL }
  };

  if (!parse_verb_options (verb, "SESSION_ID", "Lists a session's events, from the index.",
                           entries, argc, argv, 1, 1, &positional, &code))
    return code;
  if (!g_ascii_string_to_unsigned (positional[0], 10, 1, G_MAXINT64, &session_id, NULL))
    return fail (EXIT_USAGE, "events: '%s' is not a session id (a number from 'courtrec sessions')",
                 cr_text_shown (positional[0]));
  config = load_config (&code);
  if (config == NULL)
    return code;

  index = open_index (config, FALSE, &index_path, &code);
  if (index == NULL)
    return code;
  session = cr_segment_index_get_session (index, (gint64) session_id, &error);
  if (session == NULL)
    {
      if (g_error_matches (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND))
        return fail (EXIT_RUNTIME, "no session %" G_GUINT64_FORMAT " in room %s",
                     session_id, cr_text_shown (config->room_id));
      return fail (EXIT_RUNTIME, "cannot read the index %s: %s", cr_text_shown (index_path),
                   error->message);
    }
  events = cr_segment_index_list_events (index, (gint64) session_id, &error);
  if (events == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s", cr_text_shown (index_path),
                 error->message);

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < events->len; i++)
        {
          CrEventRecord *event = events->pdata[i];
          g_autofree char *at = cr_format_utc (event->at_us);

          json_builder_begin_object (builder);
          add_string_or_null (builder, "time", at);
          add_string_or_null (builder, "kind", event->kind_name);
          add_string_or_null (builder, "detail", event->detail);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_OK;
    }

  {
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    printf ("Session %" G_GINT64_FORMAT ", case %s%s%s\n", session->id,
            cr_text_shown (session->case_no), session->title != NULL ? " — " : "",
            session->title != NULL ? cr_text_shown (session->title) : "");
    g_ptr_array_add (rows, g_strsplit ("TIME KIND DETAIL", " ", -1));
    for (guint i = 0; i < events->len; i++)
      {
        CrEventRecord *event = events->pdata[i];
        char **row = g_new0 (char *, 4);

        row[0] = cr_format_utc (event->at_us);
        row[1] = g_strdup (cr_text_shown (event->kind_name));
        /* A marker's text may be longer than cr_text_shown shows. */
        row[2] = cr_text_escape (event->detail != NULL ? event->detail : "", -1,
                                 NOTE_MAX_CHARS);
        g_ptr_array_add (rows, row);
      }
    print_table (rows);
  }
  return EXIT_OK;
}

/* --- verbs: integrity and retention --------------------------------------- */

/* A session id given as --session, checked. */
static gboolean
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

static int
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

static int
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
  if (session_arg == NULL)
    return fail (EXIT_USAGE, "report: --session ID is required");
  if (!parse_session_id (verb, session_arg, &session_id, &code))
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

static int
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

  if (!parse_verb_options (verb, NULL,
                           "Marks a session archived by the court, so that retention may "
                           "later delete its media. Only a stopped, sealed session that "
                           "verifies intact is marked; the mark is an event.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (session_arg == NULL)
    return fail (EXIT_USAGE, "archived: --session ID is required");
  if (!parse_session_id (verb, session_arg, &session_id, &code))
    return code;
  config = load_config (&code);
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
static int
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

  if (!parse_verb_options (verb, NULL,
                           "Seals a stopped session that was not sealed at its stop (the "
                           "device key could not be used), with the device key; a "
                           "seal-late event says when and why.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (session_arg == NULL)
    return fail (EXIT_USAGE, "seal: --session ID is required");
  if (!parse_session_id (verb, session_arg, &session_id, &code))
    return code;
  config = load_config (&code);
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

static int
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

/* --- main ------------------------------------------------------------------ */

/* "2026-11-27T09:30:00Z", or local time "2026-11-27 09:30[:00]". */
static gboolean
parse_time_arg (const char *text, gint64 *utc_us)
{
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autofree char *iso = g_strdelimit (g_strdup (text), " ", 'T');

  when = g_date_time_new_from_iso8601 (iso, local);
  if (when == NULL)
    {
      g_autofree char *with_seconds = g_strconcat (iso, ":00", NULL);
      when = g_date_time_new_from_iso8601 (with_seconds, local);
    }
  if (when == NULL)
    return FALSE;
  *utc_us = g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
  return TRUE;
}

/* Every export is an event of each session it holds (SPC 2017 rules,
 * Art. 15: no copy without the court's knowledge). The daemon is the
 * index's main writer; one more event from here is safe under WAL and the
 * busy timeout. */
static void
record_export (const char *index_path, const CrExportRequest *request, const char *output)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (index_path, FALSE, &error);
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *absolute = g_canonicalize_filename (output, NULL);
  g_autofree char *detail = NULL;
  g_autofree char *user = g_strdup (g_get_user_name ());

  if (index != NULL)
    sessions = cr_segment_index_list_sessions (index, request->case_no, &error);
  if (sessions == NULL)
    {
      fail (EXIT_RUNTIME, "warning: the export could not be logged in the index: %s",
            error->message);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "output");
  json_builder_add_string_value (builder, absolute);
  json_builder_set_member_name (builder, "by");
  json_builder_add_string_value (builder, user);
  if (request->from_us != 0)
    {
      g_autofree char *from = cr_format_utc (request->from_us);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
    }
  if (request->to_us != 0)
    {
      g_autofree char *to = cr_format_utc (request->to_us);
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, to);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  detail = json_to_string (root, FALSE);
  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      if (request->session_id != 0 && session->id != request->session_id)
        continue;
      if (cr_segment_index_add_event (index, session->id, g_get_real_time (), CR_EVENT_EXPORT,
                                      detail, &error) <= 0)
        {
          fail (EXIT_RUNTIME, "warning: the export could not be logged in the index: %s",
                error->message);
          return;
        }
    }
}

static int
run_export (const char *verb, int argc, char **argv)
{
  g_autofree char *case_arg = NULL;
  g_autofree char *session_arg = NULL;
  g_autofree char *from_arg = NULL;
  g_autofree char *to_arg = NULL;
  g_autofree char *output = NULL;
  GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_FILENAME, &case_arg, "The case, in any typing", "CASE" },
    { "session", 0, 0, G_OPTION_ARG_FILENAME, &session_arg, "Only this session", "ID" },
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from_arg, "From this time (local, or ISO 8601 with Z)", "TIME" },
    { "to", 0, 0, G_OPTION_ARG_FILENAME, &to_arg, "Up to this time", "TIME" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The package directory (new or empty)", "DIR" },
    { NULL }
  };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *case_no = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *shown_output = NULL;
  CrExportRequest request = { 0 };
  CrExportResult result = { 0 };
  int code;

  if (!parse_verb_options (verb, NULL, "Writes a package for a litigant or the court's "
                           "electronic archive: one MP4 per session (no re-encoding), the "
                           "hearing reports, as a BagIt bag with SHA-256 manifests.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (case_arg == NULL || output == NULL)
    return fail (EXIT_USAGE, "export: --case CASE and -o DIR are required");
  case_no = cr_case_number_canonicalize (case_arg, &error);
  if (case_no == NULL)
    return fail (EXIT_USAGE, "export: --case: %s", error->message);
  if (session_arg != NULL && !parse_session_id (verb, session_arg, &request.session_id, &code))
    return code;
  if (from_arg != NULL && !parse_time_arg (from_arg, &request.from_us))
    return fail (EXIT_USAGE, "export: --from '%s' is not a time: expected e.g. "
                 "'2026-11-27 09:30' or 2026-11-27T01:30:00Z", cr_text_shown (from_arg));
  if (to_arg != NULL && !parse_time_arg (to_arg, &request.to_us))
    return fail (EXIT_USAGE, "export: --to '%s' is not a time: expected e.g. "
                 "'2026-11-27 11:00' or 2026-11-27T03:00:00Z", cr_text_shown (to_arg));
  if (request.from_us != 0 && request.to_us != 0 && request.to_us <= request.from_us)
    return fail (EXIT_USAGE, "export: --to must be later than --from");
  config = load_config (&code);
  if (config == NULL)
    return code;
  index = open_index (config, FALSE, &index_path, &code);
  if (index == NULL)
    return code;
  request.case_no = case_no;
  request.output_dir = output;
  av_log_set_level (AV_LOG_ERROR);  /* libav's notes are not the operator's business */
  if (!cr_export_package (index, config, &request, &result, &error))
    return fail (g_error_matches (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID)
                 ? EXIT_USAGE : EXIT_RUNTIME, "export: %s", error->message);
  record_export (index_path, &request, output);
  shown_output = shown_path (output);
  printf ("Exported %u session%s of %s, %.1f s of media, to %s\n", result.sessions,
          result.sessions == 1 ? "" : "s", cr_text_shown (case_no), result.media_us / 1e6,
          shown_output);
  printf ("Check it with: cd %s && sha256sum -c manifest-sha256.txt\n", shown_output);
  if (result.partials_removed > 0)
    printf ("Removed %u unfinished package%s that interrupted exports had left beside it\n",
            result.partials_removed, result.partials_removed == 1 ? "" : "s");
  return EXIT_OK;
}

/* --- verbs: live broadcast --------------------------------------------------- */

/* POSTs {"NAME": VALUE, ...} (pairs, NULL-terminated; NULL values left
 * out) to @path. */
static int
post_fields (const CrConfig *config, const char *path, JsonNode **reply, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  const char *name;
  va_list ap;

  va_start (ap, reply);
  json_builder_begin_object (builder);
  while ((name = va_arg (ap, const char *)) != NULL)
    {
      const char *value = va_arg (ap, const char *);
      if (value == NULL)
        continue;
      json_builder_set_member_name (builder, name);
      json_builder_add_string_value (builder, value);
    }
  json_builder_end_object (builder);
  va_end (ap);
  request = json_builder_get_root (builder);
  return call_api (config, "POST", path, request, reply);
}

static int
list_broadcast_decisions (const CrConfig *config)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) decisions = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *index_path = NULL;
  int code;

  index = open_index (config, FALSE, &index_path, &code);
  if (index == NULL)
    return code;
  decisions = cr_segment_index_list_broadcast_decisions (index, &error);
  if (decisions == NULL)
    return fail (EXIT_RUNTIME, "broadcast: %s", error->message);
  if (decisions->len == 0)
    printf ("No broadcast decisions yet\n");
  for (guint i = 0; i < decisions->len; i++)
    {
      CrBroadcastRecord *record = g_ptr_array_index (decisions, i);
      g_autofree char *at = cr_format_utc (record->at_us);
      printf ("%s  %-10s %s%s%s%s%s\n", at, cr_broadcast_decision_to_string (record->decision),
              cr_text_shown (record->case_no), record->by ? "  by " : "",
              record->by ? cr_text_shown (record->by) : "",
              record->reason ? "  reason: " : "",
              record->reason ? cr_text_shown (record->reason) : "");
    }
  return EXIT_OK;
}

static int
run_broadcast (const char *verb, int argc, char **argv)
{
  g_autofree char *case_arg = NULL;
  g_autofree char *by = NULL;
  g_autofree char *reason = NULL;
  GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_FILENAME, &case_arg, "The case, in any typing", "CASE" },
    { "by", 0, 0, G_OPTION_ARG_FILENAME, &by, "Who decided (required to approve)", "NAME" },
    { "reason", 0, 0, G_OPTION_ARG_FILENAME, &reason, "Why it is non-public (required to forbid)", "TEXT" },
    { NULL }
  };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_auto (GStrv) positional = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *case_no = NULL;
  const char *action;
  int code;

  if (!parse_verb_options (verb, "approve|forbid|list", "The court's broadcast decisions: "
                           "approve a case for live broadcast (once), or forbid it (a "
                           "non-public case: no stream of it can ever start).",
                           entries, argc, argv, 1, 1, &positional, &code))
    return code;
  action = positional[0];
  if (!g_str_equal (action, "approve") && !g_str_equal (action, "forbid") &&
      !g_str_equal (action, "list"))
    return fail (EXIT_USAGE, "broadcast: unknown action '%s': expected approve, forbid or list",
                 cr_text_shown (action));
  config = load_config (&code);
  if (config == NULL)
    return code;
  if (g_str_equal (action, "list"))
    return list_broadcast_decisions (config);
  if (case_arg == NULL)
    return fail (EXIT_USAGE, "broadcast %s: --case CASE is required", action);
  case_no = cr_case_number_canonicalize (case_arg, &error);
  if (case_no == NULL)
    return fail (EXIT_USAGE, "broadcast %s: --case: %s", action, error->message);
  if (g_str_equal (action, "approve") && (by == NULL || *g_strstrip (by) == '\0'))
    return fail (EXIT_USAGE, "broadcast approve: --by NAME is required (who approved it)");
  if (g_str_equal (action, "forbid") && (reason == NULL || *g_strstrip (reason) == '\0'))
    return fail (EXIT_USAGE, "broadcast forbid: --reason TEXT is required");
  code = post_fields (config, g_str_equal (action, "approve") ? "/broadcast/approve"
                                                             : "/broadcast/forbid",
                      &reply, "case", case_no, "by", by, "reason", reason, NULL);
  if (code != EXIT_OK)
    return code;
  if (g_str_equal (action, "approve"))
    printf ("Case %s approved for live broadcast by %s\n", cr_text_shown (case_no),
            cr_text_shown (by));
  else
    printf ("Case %s is non-public: no stream of it can start\n", cr_text_shown (case_no));
  return EXIT_OK;
}

static int
run_stream (const char *verb, int argc, char **argv)
{
  static const char *const actions[] = { "start", "stop", "cut", "resume", NULL };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_auto (GStrv) positional = NULL;
  g_autofree char *path = NULL;
  const char *action, *name;
  int code;

  if (!parse_verb_options (verb, "start|stop|cut|resume [NAME]", "Controls the live "
                           "streams: cut puts the \"庭审直播暂停 / broadcast paused\" slate "
                           "and silence on the public stream at once while the recording "
                           "goes on; resume brings the hearing back. Without NAME: every "
                           "stream (start needs a NAME).",
                           NULL, argc, argv, 1, 2, &positional, &code))
    return code;
  action = positional[0];
  name = positional[1];
  if (!g_strv_contains (actions, action))
    return fail (EXIT_USAGE, "stream: unknown action '%s': expected start, stop, cut or resume",
                 cr_text_shown (action));
  if (g_str_equal (action, "start") && name == NULL)
    return fail (EXIT_USAGE, "stream start: which stream? Give its NAME");
  config = load_config (&code);
  if (config == NULL)
    return code;
  path = g_strdup_printf ("/stream/%s", action);
  code = post_fields (config, path, &reply, "name", name, NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Stream %s: %s\n", name != NULL ? cr_text_shown (name) : "(all)",
          g_str_equal (action, "cut") ? "cut, the slate is on air"
          : g_str_equal (action, "resume") ? "the hearing is back on air"
          : g_str_equal (action, "start") ? "started" : "stopped");
  return EXIT_OK;
}

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
        return status;
      }
  return fail (EXIT_USAGE, "unknown verb '%s'; run 'courtrec --help' for the list",
               cr_text_shown (argv[1]));
}
