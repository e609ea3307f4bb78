/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-cli.c: the courtrec client's text.
 *
 * Arguments are UTF-8 whatever the locale: every verb that takes text runs
 * under LC_ALL=C (and C.UTF-8, zh_CN.UTF-8 when installed) with Chinese
 * arguments, against a real courtrecd and its index. Text from outside is
 * checked before it is sent (ESC sequences, a newline, 100 kB, bytes that
 * are not UTF-8) and escaped before it reaches the terminal, whether it
 * came from the user, from the index or from whatever answers on the
 * daemon's port.
 *
 * And what a clerk, an IT department and an auditor read: status in plain
 * words, the help of every verb, manual pages that cover every verb and
 * every config key, and an archive closed to other users of the machine
 * (an unprivileged user gets "Permission denied" and courtrec says so). */
#include "tests/test-util.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <fcntl.h>
#include <locale.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts/users.h"
#include "archive/segment-index.h"
#include "config/config.h"
#include "config/text.h"

#define CASE_NO "（2026）浙1022民初123号"

typedef struct {
  CrTestRoom *room;
} Fixture;

static void
set_up (Fixture *fixture, gconstpointer data)
{
  fixture->room = cr_test_room_new (60, NULL);
}

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

/* --- helpers ---------------------------------------------------------------- */

/* The locales the client must behave the same in: C (ASCII), C.UTF-8, and
 * zh_CN.UTF-8 when this machine has it. */
static GPtrArray *
test_locales (void)
{
  GPtrArray *locales = g_ptr_array_new ();
  locale_t zh = newlocale (LC_ALL_MASK, "zh_CN.UTF-8", (locale_t) 0);

  g_ptr_array_add (locales, "C");
  g_ptr_array_add (locales, "C.UTF-8");
  if (zh != (locale_t) 0)
    {
      g_ptr_array_add (locales, "zh_CN.UTF-8");
      freelocale (zh);
    }
  else
    g_test_message ("zh_CN.UTF-8 is not installed: tested under C and C.UTF-8");
  return locales;
}

/* What a terminal must be able to show as it is: UTF-8 with no control
 * character other than the newlines and tabs of the client's layout, no
 * line separator and no bidirectional override. */
static void
assert_terminal_safe (const char *text, const char *what)
{
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (text);
  if (!cr_text_validate (text, what, G_MAXSIZE, TRUE, &error))
    g_test_message ("%s: %s", what, cr_text_shown (text));
  g_assert_no_error (error);
}

/* Runs courtrec -c CONFIG @args (NULL-terminated) under LC_ALL=@locale
 * and returns its exit status; stdout and stderr are checked to be safe
 * for a terminal. */
static int
client_in (CrTestRoom *room, const char *locale, char **out, char **err,
           const char *const *args)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GBytes) stdout_bytes = NULL;
  g_autoptr (GBytes) stderr_bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (room->config_path));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", locale, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANG");
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate (process, NULL, NULL, &stdout_bytes, &stderr_bytes, &error);
  g_assert_no_error (error);
  /* g_strndup (NULL, 0), for nothing printed, is NULL. */
  out_text = g_strndup (g_bytes_get_size (stdout_bytes) > 0
                        ? g_bytes_get_data (stdout_bytes, NULL) : "",
                        g_bytes_get_size (stdout_bytes));
  err_text = g_strndup (g_bytes_get_size (stderr_bytes) > 0
                        ? g_bytes_get_data (stderr_bytes, NULL) : "",
                        g_bytes_get_size (stderr_bytes));
  /* A NUL in what it printed would hide the rest from the checks. */
  g_assert_cmpuint (strlen (out_text), ==, g_bytes_get_size (stdout_bytes));
  g_assert_cmpuint (strlen (err_text), ==, g_bytes_get_size (stderr_bytes));
  assert_terminal_safe (out_text, "stdout");
  assert_terminal_safe (err_text, "stderr");
  if (out != NULL)
    *out = g_steal_pointer (&out_text);
  if (err != NULL)
    *err = g_steal_pointer (&err_text);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

#define client(room, locale, out, err, ...) \
  client_in (room, locale, out, err, (const char *const[]) { __VA_ARGS__, NULL })

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static gint64
current_session_id (CrTestRoom *room)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  JsonObject *session = json_object_get_object_member (status, "session");

  g_assert_nonnull (session);
  return json_object_get_int_member (session, "id");
}

/* --- every verb that takes text, under every locale --------------------------- */

/* An approver's account @name in the room's users store, and a file with
 * a token of it, for --token-file. (transfer full) */
static char *
approver_token_file (CrTestRoom *room, const char *name)
{
  g_autofree char *db = g_build_filename (room->dir, "users.db", NULL);
  g_autofree char *path = g_build_filename (room->dir, "approver.token", NULL);
  g_autoptr (CrUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;

  users = cr_users_open (db, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (cr_users_add (users, name, CR_ROLE_APPROVER, "approver-pass-5678", &error));
  token = cr_users_issue_token (users, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, token, -1, NULL));
  return g_steal_pointer (&path);
}

static void
test_locales_every_verb (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autoptr (GPtrArray) locales = test_locales ();
  g_autofree char *first_sessions = NULL;

  g_autofree char *approver_token = approver_token_file (room, "王法官");

  cr_test_room_start (room);
  for (guint l = 0; l < locales->len; l++)
    {
      const char *locale = g_ptr_array_index (locales, l);
      g_autofree char *case_no = g_strdup_printf ("（2026）浙1022民初%u号", 200 + l);
      g_autofree char *half_width = g_strdup_printf ("(2026)浙1022民初%u号", 200 + l);
      g_autofree char *other_case = g_strdup_printf ("（2026）浙1022民初%u号", 300 + l);
      g_autofree char *title = g_strdup_printf ("张三诉李四 第%u次开庭", l + 1);
      g_autofree char *id = NULL;
      g_autofree char *package = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr (JsonNode) sessions = NULL;
      g_autoptr (GPtrArray) segments = NULL;
      JsonArray *array;
      gint64 session_id;

      g_test_message ("LC_ALL=%s", locale);
#define CLEAR() \
      G_STMT_START { g_clear_pointer (&out, g_free); g_clear_pointer (&err, g_free); } G_STMT_END
      /* Half-width brackets: the client canonicalizes what it was given. */
      g_assert_cmpint (client (room, locale, &out, &err, "start", "--case", half_width,
                               "--title", title), ==, 0);
      g_assert_nonnull (strstr (out, case_no));
      session_id = current_session_id (room);
      id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "status"), ==, 0);
      g_assert_nonnull (strstr (out, case_no));
      g_assert_nonnull (strstr (out, title));
      g_assert_nonnull (strstr (out, "第一法庭"));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "mark", "证人入场 witness sworn"),
                       ==, 0);
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "pause", "--reason", "午休"), ==, 2);
      g_assert_nonnull (strstr (err, "午休"));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "pause", "--reason", "recess"), ==, 0);
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "resume"), ==, 0);
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "layout", "画中画"), ==, 2);
      g_assert_nonnull (strstr (err, "画中画"));
      CLEAR ();
      /* No stream of that name: the daemon says so, the name intact. */
      g_assert_cmpint (client (room, locale, &out, &err, "stream", "start", "门户网站"), !=, 0);
      g_test_message ("stream start 门户网站: %s", err);
      g_assert_null (strstr (err, "conversion"));
      CLEAR ();
      /* The approver is the account of the token, its name intact. */
      g_assert_cmpint (client (room, locale, &out, &err, "--token-file", approver_token,
                               "broadcast", "approve", "--case", case_no), ==, 0);
      g_assert_nonnull (strstr (out, "王法官"));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "broadcast", "forbid", "--case",
                               other_case, "--reason", "涉及个人隐私"), ==, 0);
      g_assert_nonnull (strstr (out, other_case));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "broadcast", "list"), ==, 0);
      g_assert_nonnull (strstr (out, "王法官"));
      g_assert_nonnull (strstr (out, "涉及个人隐私"));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "stop"), ==, 0);
      CLEAR ();
      segments = cr_test_wait_closed (room, session_id, 1);
      /* The seal follows the last segment's close by a moment. */
      cr_test_wait_sealed (room, session_id);

      g_assert_cmpint (client (room, locale, &out, &err, "sessions", "--case", case_no), ==, 0);
      g_assert_nonnull (strstr (out, title));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "sessions", "--case", case_no,
                               "--json"), ==, 0);
      sessions = parse_json (out);
      array = json_node_get_array (sessions);
      g_assert_cmpuint (json_array_get_length (array), ==, 1);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                      "title"), ==, title);
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "events", id), ==, 0);
      g_assert_nonnull (strstr (out, "证人入场 witness sworn"));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "verify", "--case", case_no), ==, 0);
      g_assert_nonnull (strstr (out, case_no));
      g_assert_nonnull (strstr (out, "INTACT"));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "report", "--session", id), ==, 0);
      g_assert_nonnull (strstr (out, case_no));
      g_assert_nonnull (strstr (out, "证人入场"));
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "archived", "--session", id,
                               "--note", "已送电子档案 第88号回执"), ==, 0);
      CLEAR ();
      g_assert_cmpint (client (room, locale, &out, &err, "events", id), ==, 0);
      g_assert_nonnull (strstr (out, "已送电子档案 第88号回执"));
      CLEAR ();
      package = g_strdup_printf ("%s/导出-%u", room->dir, l);
      g_assert_cmpint (client (room, locale, &out, &err, "export", "--case", case_no,
                               "-o", package), ==, 0);
      g_test_message ("export: %s%s", out, err);
      g_assert_nonnull (strstr (out, package));
      g_assert_nonnull (strstr (out, case_no));
      CLEAR ();
#undef CLEAR
    }

  /* The same listing, byte for byte, whatever the locale. */
  for (guint l = 0; l < locales->len; l++)
    {
      g_autofree char *out = NULL;

      g_assert_cmpint (client (room, g_ptr_array_index (locales, l), &out, NULL,
                               "sessions"), ==, 0);
      if (first_sessions == NULL)
        first_sessions = g_steal_pointer (&out);
      else
        g_assert_cmpstr (out, ==, first_sessions);
    }

  /* The help's Chinese examples are UTF-8, not "?" or \u escapes. */
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (client (room, "C", &out, NULL, "start", "--help"), ==, 0);
    g_assert_nonnull (strstr (out, "案号"));
  }
}

/* --- arguments checked before they are sent ------------------------------------ */

#define V "\x01"  /* stands for the hostile value in the argument lists below */

static void
test_hostile_arguments (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *flood = g_strnfill (100 * 1000, 'x');
  g_autofree char *long_case = g_strnfill (101, 'x');
  g_autofree char *long_title = g_strnfill (201, 'x');
  g_autofree char *long_marker = g_strnfill (2001, 'x');
  g_autofree char *package = g_build_filename (room->dir, "package", NULL);
  const char *values[] = {
    "\x1b[31m" CASE_NO "\x1b[0m",   /* colours */
    "\x1b]0;pwned\x07\x1b[2J",      /* a window title, a cleared screen */
    "第一行\n第二行",                 /* a newline */
    "\xc2\x9b" "31m",               /* a C1 CSI */
    "\xe2\x80\xae" "evil",          /* a right-to-left override */
    "\xff\xfe",                     /* not UTF-8 */
    flood,                          /* 100 kB */
  };
  const struct {
    const char *args[9];
    const char *option;   /* what the message must name */
  } uses[] = {
    { { "start", "--case", V }, "--case" },
    { { "start", "--case", CASE_NO, "--title", V }, "--title" },
    { { "pause", "--reason", V }, "--reason" },
    { { "mark", V }, "TEXT" },
    { { "sessions", "--case", V }, "--case" },
    { { "events", V }, "SESSION_ID" },
    { { "verify", "--case", V }, "--case" },
    { { "verify", "--public-key", V }, "--public-key" },
    { { "report", "--session", V }, "--session" },
    { { "report", "--session", "1", "--format", V }, "--format" },
    { { "archived", "--session", "1", "--note", V }, "--note" },
    { { "retention", "--older-than", V }, "--older-than" },
    { { "export", "--case", V, "-o", package }, "--case" },
    { { "export", "--case", CASE_NO, "-o", V }, "--output" },
    { { "export", "--case", CASE_NO, "--from", V, "-o", package }, "--from" },
    { { "layout", V }, "NAME" },
    { { "broadcast", V }, "approve|forbid|list" },
    { { "broadcast", "approve", "--case", V, "--by", "王法官" }, "--case" },
    { { "broadcast", "approve", "--case", CASE_NO, "--by", V }, "--by" },
    { { "broadcast", "forbid", "--case", CASE_NO, "--reason", V }, "--reason" },
    { { "stream", V }, "start|stop|cut|resume" },
    { { "stream", "start", V }, "NAME" },
  };
  /* One character over each limit. */
  const struct {
    const char *args[8];
    const char *option;
  } too_long[] = {
    { { "start", "--case", long_case }, "--case" },
    { { "start", "--case", CASE_NO, "--title", long_title }, "--title" },
    { { "broadcast", "forbid", "--case", CASE_NO, "--reason", long_title }, "--reason" },
    { { "mark", long_marker }, "TEXT" },
  };
  g_autoptr (JsonObject) status = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonNode) sessions = NULL;

  cr_test_room_start (room);
  for (gsize u = 0; u < G_N_ELEMENTS (uses); u++)
    for (gsize v = 0; v < G_N_ELEMENTS (values); v++)
      {
        const char *args[G_N_ELEMENTS (uses[u].args)] = { NULL };
        g_autofree char *shown_start = NULL;
        char *cut;

        for (gsize i = 0; uses[u].args[i] != NULL; i++)
          args[i] = g_str_equal (uses[u].args[i], V) ? values[v] : uses[u].args[i];
        g_test_message ("%s %s %s", args[0], uses[u].option, cr_text_shown (values[v]));
        g_clear_pointer (&out, g_free);
        g_clear_pointer (&err, g_free);
        g_assert_cmpint (client_in (room, "C", &out, &err, args), ==, 2);
        g_test_message ("  -> %s", err);
        g_assert_true (g_str_has_prefix (err, "courtrec: "));
        g_assert_nonnull (strstr (err, uses[u].option));
        g_assert_cmpstr (out, ==, "");
        /* The value is quoted, escaped and shortened: one line, not 100 kB. */
        g_assert_cmpuint (strlen (err), <, 1000);
        g_assert_cmpuint (strlen (err), ==, strcspn (err, "\n") + 1);
        /* Its first characters, as shown, without the "… (N bytes)". */
        shown_start = cr_text_escape (values[v], -1, 8);
        cut = strstr (shown_start, "…");
        if (cut != NULL)
          *cut = '\0';
        g_assert_nonnull (strstr (err, shown_start));
      }
  for (gsize t = 0; t < G_N_ELEMENTS (too_long); t++)
    {
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (client_in (room, "C", NULL, &err, too_long[t].args), ==, 2);
      g_assert_nonnull (strstr (err, too_long[t].option));
      g_assert_nonnull (strstr (err, "too long"));
    }
  /* The verb itself, and an option that does not exist. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (client (room, "C", NULL, &err, "\x1b]0;pwned\x07"), ==, 2);
  g_assert_nonnull (strstr (err, "\\u001b]0;pwned\\u0007"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (client (room, "C", NULL, &err, "status", "--\x1b[2J"), ==, 2);
  g_assert_nonnull (strstr (err, "\\u001b[2J"));

  /* Nothing was sent: no session, no broadcast decision. */
  status = cr_test_status (room);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "standby");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (client (room, "C", &out, NULL, "sessions", "--json"), ==, 0);
  sessions = parse_json (out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sessions)), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (client (room, "C", &out, NULL, "broadcast", "list"), ==, 0);
  g_assert_nonnull (strstr (out, "No broadcast decisions"));
}

/* --- what the index holds, escaped on the way out -------------------------------- */

/* What a tampered index, or another writer, could hold. */
#define EVIL_CASE CASE_NO "\x1b[2J"
#define EVIL_TITLE "\x1b]0;pwned\x07张三诉李四\xc2\x9b" "31m\xe2\x80\xae" "evil\\u001b"
#define EVIL_MARKER "证人\x1b[1A\x1b[K入场\n第二行\x7f"
#define EVIL_BYTES "not UTF-8: \xff\xfe"

static void
test_hostile_index (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) sessions = NULL;
  g_autoptr (JsonNode) events = NULL;
  g_autofree char *id = NULL;
  gboolean marker_seen = FALSE;
  gint64 now = g_get_real_time ();
  gint64 session_id;
  JsonArray *array;
  JsonObject *session;

  g_assert_cmpint (g_mkdir_with_parents (room->storage_dir, 0700), ==, 0);
  index = cr_segment_index_open (index_path, FALSE, &error);
  g_assert_no_error (error);
  session_id = cr_segment_index_begin_session (index, "test-room", EVIL_CASE, EVIL_TITLE,
                                               now - 60 * G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  cr_segment_index_add_marker (index, session_id, now - 30 * G_USEC_PER_SEC, EVIL_MARKER,
                               &error);
  g_assert_no_error (error);
  cr_segment_index_add_event (index, session_id, now - 20 * G_USEC_PER_SEC, CR_EVENT_CAPTURE_ERROR,
                              EVIL_BYTES, &error);
  g_assert_no_error (error);
  cr_segment_index_add_broadcast_decision (index, EVIL_CASE, CR_BROADCAST_FORBIDDEN,
                                           now - 10 * G_USEC_PER_SEC, "\x1b[5m王法官",
                                           "\x1b[8m涉及个人隐私", &error);
  g_assert_no_error (error);
  cr_segment_index_change_session_state (index, session_id, CR_SESSION_STOPPED, now,
                                         CR_EVENT_STOP, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&index, cr_segment_index_free);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);

  /* The text forms: every line safe (client_in checks), the text still
   * there, its controls shown as escapes. */
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (client (room, "C", &out, NULL, "sessions"), ==, 0);
    g_assert_nonnull (strstr (out, "张三诉李四"));
    g_assert_nonnull (strstr (out, "\\u001b]0;pwned\\u0007"));
    g_assert_nonnull (strstr (out, "\\u009b31m\\u202eevil\\\\u001b"));
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (client (room, "C", &out, NULL, "events", id), ==, 0);
    g_assert_nonnull (strstr (out, "证人\\u001b[1A\\u001b[K入场\\u000a第二行\\u007f"));
    g_assert_nonnull (strstr (out, "not UTF-8: \\xff\\xfe"));
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (client (room, "C", &out, NULL, "broadcast", "list"), ==, 0);
    g_assert_nonnull (strstr (out, "\\u001b[5m王法官"));
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (client (room, "C", &out, NULL, "report", "--session", id), ==, 0);
    g_assert_nonnull (strstr (out, "张三诉李四"));
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (client (room, "C", &out, NULL, "report", "--session", id,
                             "--format", "html"), ==, 0);
    g_assert_nonnull (strstr (out, "张三诉李四"));
    g_clear_pointer (&out, g_free);
    /* Not sealed: verify says so; what it says is safe. */
    g_assert_cmpint (client (room, "C", &out, NULL, "verify"), !=, 2);
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (client (room, "C", &out, NULL, "retention", "--older-than", "0",
                             "--dry-run"), ==, 0);
  }

  /* JSON: safe on a terminal, and the text read back the same. */
  {
    g_autofree char *out = NULL;
    g_autofree char *report = NULL;
    g_autoptr (JsonNode) report_node = NULL;

    g_assert_cmpint (client (room, "C", &out, NULL, "sessions", "--json"), ==, 0);
    sessions = parse_json (out);
    array = json_node_get_array (sessions);
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    session = json_array_get_object_element (array, 0);
    g_assert_cmpstr (json_object_get_string_member (session, "case"), ==, EVIL_CASE);
    g_assert_cmpstr (json_object_get_string_member (session, "title"), ==, EVIL_TITLE);
    g_clear_pointer (&out, g_free);

    g_assert_cmpint (client (room, "C", &out, NULL, "events", id, "--json"), ==, 0);
    events = parse_json (out);
    array = json_node_get_array (events);
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *event = json_array_get_object_element (array, i);
        const char *kind = json_object_get_string_member (event, "kind");
        const char *detail = json_object_get_string_member_with_default (event, "detail", NULL);

        if (g_str_equal (kind, "marker"))
          {
            g_assert_cmpstr (detail, ==, EVIL_MARKER);
            marker_seen = TRUE;
          }
        /* Bytes that are not UTF-8 cannot be JSON: each one is U+FFFD. */
        if (g_str_equal (kind, "fault"))
          g_assert_cmpstr (detail, ==, "not UTF-8: \xef\xbf\xbd\xef\xbf\xbd");
      }
    g_assert_true (marker_seen);

    g_assert_cmpint (client (room, "C", &report, NULL, "report", "--session", id,
                             "--format", "json"), ==, 0);
    report_node = parse_json (report);
    g_assert_nonnull (strstr (report, "张三诉李四"));
  }
}

/* --- what answers on the daemon's port, escaped on the way out --------------------- */

#define EVIL_MESSAGE "\x1b[2J\x1b[H" "案号 " CASE_NO " \xc2\x9b" "1A refused"

typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  GThread *thread;
  guint16 port;
  guint status;          /* what every request is answered */
  char *body;
} FakeDaemon;

static void
fake_handler (SoupServer *server, SoupServerMessage *message, const char *path,
              GHashTable *query, gpointer user_data)
{
  FakeDaemon *fake = user_data;

  soup_server_message_set_status (message, fake->status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY,
                                    fake->body, strlen (fake->body));
}

static gpointer
fake_thread (gpointer data)
{
  FakeDaemon *fake = data;

  g_main_context_push_thread_default (fake->context);
  g_main_loop_run (fake->loop);
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

static FakeDaemon *
fake_daemon_new (guint16 port)
{
  FakeDaemon *fake = g_new0 (FakeDaemon, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, port);

  fake->context = g_main_context_new ();
  fake->loop = g_main_loop_new (fake->context, FALSE);
  g_main_context_push_thread_default (fake->context);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, NULL, fake_handler, fake, NULL);
  soup_server_listen (fake->server, address, 0, &error);
  g_main_context_pop_thread_default (fake->context);
  g_assert_no_error (error);
  fake->body = g_strdup ("{}");
  fake->thread = g_thread_new ("fake-daemon", fake_thread, fake);
  return fake;
}

/* Set only while no client runs: the server thread reads them. */
static void
fake_daemon_answer (FakeDaemon *fake, guint status, const char *body)
{
  fake->status = status;
  g_free (fake->body);
  fake->body = g_strdup (body);
}

static void
fake_daemon_free (FakeDaemon *fake)
{
  g_main_loop_quit (fake->loop);
  g_thread_join (fake->thread);
  soup_server_disconnect (fake->server);
  g_object_unref (fake->server);
  g_main_loop_unref (fake->loop);
  g_main_context_unref (fake->context);
  g_free (fake->body);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeDaemon, fake_daemon_free)

static char *
error_body (const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, "invalid");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
test_hostile_daemon (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *token_path = g_build_filename (room->dir, "api-token", NULL);
  g_autoptr (FakeDaemon) fake = fake_daemon_new (room->port);
  g_autoptr (GError) error = NULL;
  g_autofree char *flood = g_strnfill (100 * 1000, 'x');
  g_autofree char *evil = error_body (EVIL_MESSAGE);
  g_autofree char *flooded = error_body (flood);
  g_autofree char *status_body = NULL;
  const guint statuses[] = { 400, 403, 409, 500 };

  g_file_set_contents (token_path, "0123456789abcdef0123456789abcdef\n", -1, &error);
  g_assert_no_error (error);

  for (gsize s = 0; s < G_N_ELEMENTS (statuses); s++)
    {
      g_autofree char *err = NULL;

      fake_daemon_answer (fake, statuses[s], evil);
      g_assert_cmpint (client (room, "C", NULL, &err, "start", "--case", CASE_NO), ==,
                       statuses[s] == 400 ? 2 : 1);
      g_test_message ("%u: %s", statuses[s], err);
      g_assert_nonnull (strstr (err, "\\u001b[2J\\u001b[H案号 " CASE_NO " \\u009b1A refused"));
      /* Refused for the account's role: the message says which it needs. */
      if (statuses[s] == 403)
        g_assert_nonnull (strstr (err, "start needs the clerk role"));
      g_clear_pointer (&err, g_free);

      fake_daemon_answer (fake, statuses[s], flooded);
      g_assert_cmpint (client (room, "C", NULL, &err, "mark", "证人入场"), !=, 0);
      g_assert_cmpuint (strlen (err), <, 1000);
      g_assert_nonnull (strstr (err, "bytes)"));
    }

  /* A status full of controls: the text form escapes them, the JSON form
   * keeps them as JSON escapes. */
  status_body = g_strdup_printf (
      "{\"state\":\"recording\\u001b[2J\","
      "\"room\":{\"name\":\"第一法庭\\u001b[31m\",\"court\":\"\\u009b1A\"},"
      "\"session\":{\"id\":7,\"case\":\"%s\\u0007\",\"title\":\"\\u202e标题\","
      "\"started\":\"2026-11-27T01:30:00Z\\u001b\"},"
      "\"segment\":{\"sequence\":1,\"path\":\"a/\\u001b[Kb.mp4\",\"started\":\"x\"},"
      "\"broadcast\":{\"on_air\":true,\"public_state\":\"live\\u001b\"},"
      "\"streams\":[{\"name\":\"门户\\u001b\",\"kind\":\"rtmp\",\"state\":\"live\","
      "\"showing\":\"live\",\"last_error\":\"%s\"}]}", CASE_NO, "\\u001b[2Jgone");
  fake_daemon_answer (fake, 200, status_body);
  {
    g_autofree char *out = NULL;
    g_autoptr (JsonNode) node = NULL;
    JsonObject *session;

    g_assert_cmpint (client (room, "C", &out, NULL, "status"), ==, 0);
    g_test_message ("%s", out);
    g_assert_nonnull (strstr (out, "第一法庭\\u001b[31m"));
    g_assert_nonnull (strstr (out, CASE_NO "\\u0007"));
    g_assert_nonnull (strstr (out, "\\u202e标题"));
    g_assert_nonnull (strstr (out, "门户\\u001b"));
    g_assert_nonnull (strstr (out, "\\u001b[2Jgone"));
    g_clear_pointer (&out, g_free);

    /* rooms shows the same status on one line, escaped the same. */
    g_assert_cmpint (client (room, "C", &out, NULL, "rooms"), ==, 0);
    g_test_message ("%s", out);
    g_assert_nonnull (strstr (out, "recording\\u001b[2J"));
    g_assert_nonnull (strstr (out, CASE_NO "\\u0007"));
    g_assert_nonnull (strstr (out, "门户\\u001b live"));
    g_clear_pointer (&out, g_free);
    /* An alarm standing: named on the line, and the room is not well. */
    fake_daemon_answer (fake, 200, "{\"state\":\"standby\",\"alarms\":[{\"alarm\":"
                        "\"camera-lost\",\"input\":\"证人\",\"message\":\"gone\"}],"
                        "\"disk\":{\"free_bytes\":1e11,\"seconds_left\":7260}}");
    g_assert_cmpint (client (room, "C", &out, NULL, "rooms"), ==, 1);
    g_test_message ("%s", out);
    g_assert_nonnull (strstr (out, " standby "));
    g_assert_nonnull (strstr (out, " 1: camera-lost 证人 "));
    g_assert_nonnull (strstr (out, " 2 h 01 min "));
    g_clear_pointer (&out, g_free);
    /* What answers but refuses the token cannot say: unknown, not down. */
    fake_daemon_answer (fake, 401, evil);
    g_assert_cmpint (client (room, "C", &out, NULL, "rooms"), ==, 1);
    g_assert_nonnull (strstr (out, " unknown "));
    g_assert_nonnull (strstr (out, "refused the API token"));
    g_clear_pointer (&out, g_free);
    fake_daemon_answer (fake, 200, status_body);

    g_assert_cmpint (client (room, "C", &out, NULL, "status", "--json"), ==, 0);
    node = parse_json (out);
    session = json_object_get_object_member (json_node_get_object (node), "session");
    g_assert_cmpstr (json_object_get_string_member (session, "title"), ==, "\xe2\x80\xae标题");
  }
}


/* --- help, version and the manual pages ------------------------------------------ */

/* The verbs, as `courtrec --help` lists them from the client's own table. */
static GPtrArray *
client_verbs (CrTestRoom *room)
{
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *verbs = g_ptr_array_new_with_free_func (g_free);
  gboolean in_verbs = FALSE;

  g_assert_cmpint (client (room, "C.UTF-8", &out, NULL, "--help"), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_equal (lines[i], "Verbs:"))
        in_verbs = TRUE;
      else if (in_verbs && g_str_has_prefix (lines[i], "  ") && lines[i][2] != ' ')
        {
          g_auto (GStrv) words = g_strsplit (lines[i] + 2, " ", 2);
          g_ptr_array_add (verbs, g_strdup (words[0]));
        }
      else if (in_verbs)
        break;
    }
  g_assert_cmpuint (verbs->len, >=, 17);
  return verbs;
}

static void
test_help_every_verb (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autoptr (GPtrArray) verbs = client_verbs (room);
  g_autofree char *version = NULL;
  g_autofree char *daemon_version = NULL;
  g_autofree char *err = NULL;
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  const char *daemon_argv[] = { courtrecd, "--version", NULL };

  for (guint i = 0; i < verbs->len; i++)
    {
      const char *verb = g_ptr_array_index (verbs, i);
      g_autofree char *out = NULL;
      g_autofree char *same = NULL;
      g_autofree char *usage = g_strdup_printf ("courtrec -c FILE %s", verb);
      g_auto (GStrv) lines = NULL;

      g_test_message ("help %s", verb);
      g_assert_cmpint (client (room, "C", &out, NULL, "help", verb), ==, 0);
      g_assert_nonnull (strstr (out, usage));
      /* More than a usage line: what the verb does, in a sentence. */
      lines = g_strsplit (out, "\n", -1);
      g_assert_cmpuint (g_strv_length (lines), >=, 5);
      g_assert_cmpuint (strlen (lines[3]), >, 20);
      /* The same as the verb's own --help. */
      g_assert_cmpint (client (room, "C", &same, NULL, verb, "--help"), ==, 0);
      g_assert_cmpstr (same, ==, out);
    }
  g_assert_cmpint (client (room, "C", NULL, &err, "help", "nosuchverb"), ==, 2);
  g_assert_nonnull (strstr (err, "nosuchverb"));

  g_assert_cmpint (client (room, "C", &version, NULL, "--version"), ==, 0);
  g_assert_true (g_regex_match_simple ("^courtrec [0-9]+\\.[0-9]+\\.[0-9]+\n$", version, 0, 0));
  g_assert_cmpint (cr_test_run (&daemon_version, NULL, daemon_argv), ==, 0);
  g_assert_true (g_str_has_prefix (daemon_version, "courtrecd "));
  g_assert_cmpstr (daemon_version + strlen ("courtrecd "), ==, version + strlen ("courtrec "));
}

/* A manual page renders without a single warning, in groff and in man. */
static void
assert_renders_cleanly (const char *page)
{
  const char *groff_argv[] = { "groff", "-k", "-Tutf8", "-man", "-ww", "-z", page, NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (cr_test_run (NULL, &err, groff_argv), ==, 0);
  if (*err != '\0')
    g_test_message ("%s: %s", page, err);
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&err, g_free);
  if (g_find_program_in_path ("man") != NULL)
    {
      const char *man_argv[] = { "env", "LC_ALL=C.UTF-8", "MANWIDTH=80", "man", "--warnings",
                                 "-l", page, NULL };
      g_autofree char *out = NULL;

      g_assert_cmpint (cr_test_run (&out, &err, man_argv), ==, 0);
      if (*err != '\0')
        g_test_message ("%s: %s", page, err);
      g_assert_cmpstr (err, ==, "");
      g_assert_cmpuint (strlen (out), >, 1000);
    }
}

/* The words of a roff request line (".BR width \", \" height"), quotes
 * taken off. */
static GPtrArray *
roff_arguments (const char *line)
{
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  const char *p = strchr (line, ' ');

  while (p != NULL && *p != '\0')
    {
      GString *word = g_string_new (NULL);

      while (*p == ' ')
        p++;
      if (*p == '\0')
        {
          g_string_free (word, TRUE);
          break;
        }
      if (*p == '"')
        {
          for (p++; *p != '\0' && *p != '"'; p++)
            g_string_append_c (word, *p);
          if (*p == '"')
            p++;
        }
      else
        for (; *p != '\0' && *p != ' '; p++)
          g_string_append_c (word, *p);
      g_ptr_array_add (words, g_string_free (word, FALSE));
    }
  return words;
}

/* The tag lines (the line after each .TP) of @page, by the .SH or .SS
 * heading they are under ("VERBS", "[camera NAME]"). In roff a "\-" is a
 * "-". (transfer full) */
static GHashTable *
page_tags (const char *page)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) dash = g_regex_new ("\\\\-", 0, 0, NULL);
  g_auto (GStrv) lines = NULL;
  GHashTable *tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_ptr_array_unref);
  GPtrArray *current = NULL;

  g_file_get_contents (page, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_regex_replace_literal (dash, lines[i], -1, 0, "-", 0, NULL);

      if (g_str_has_prefix (line, ".SH ") || g_str_has_prefix (line, ".SS "))
        {
          g_autoptr (GPtrArray) heading = roff_arguments (line);

          g_ptr_array_add (heading, NULL);
          current = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_replace (tags, g_strjoinv (" ", (char **) heading->pdata), current);
        }
      else if (current != NULL && i > 0 && g_str_equal (lines[i - 1], ".TP"))
        g_ptr_array_add (current, g_steal_pointer (&line));
    }
  return tags;
}

/* The terms a tag line sets in bold: ".B start --case CASE" -> "start",
 * ".BR width \", \" height" -> "width", "height". */
static GPtrArray *
tag_terms (GPtrArray *tag_lines)
{
  GPtrArray *terms = g_ptr_array_new_with_free_func (g_free);

  for (guint t = 0; tag_lines != NULL && t < tag_lines->len; t++)
    {
      const char *line = g_ptr_array_index (tag_lines, t);
      g_autoptr (GPtrArray) words = roff_arguments (line);
      gboolean all_bold = g_str_has_prefix (line, ".B ");

      if (!all_bold && !g_str_has_prefix (line, ".BR ") && !g_str_has_prefix (line, ".BI "))
        continue;
      /* .B: the first word is the term; .BR and .BI: every other one. */
      for (guint w = 0; w < words->len; w += all_bold ? words->len : 2)
        {
          g_auto (GStrv) parts = g_strsplit (g_ptr_array_index (words, w), " ", 2);
          g_ptr_array_add (terms, g_strdup (parts[0]));
        }
    }
  return terms;
}

static gboolean
terms_contain (GPtrArray *terms, const char *term)
{
  for (guint i = 0; terms != NULL && i < terms->len; i++)
    if (g_str_equal (g_ptr_array_index (terms, i), term))
      return TRUE;
  return FALSE;
}

static void
test_man_pages (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *courtrec_1 = cr_test_top_path ("man/courtrec.1");
  g_autofree char *courtrecd_8 = cr_test_top_path ("man/courtrecd.8");
  g_autofree char *conf_5 = cr_test_top_path ("man/courtrec.conf.5");
  g_autoptr (GPtrArray) verbs = client_verbs (room);
  g_autoptr (GPtrArray) keys = cr_config_list_keys ();
  g_autoptr (GHashTable) verb_tags = NULL;
  g_autoptr (GHashTable) key_tags = NULL;
  g_autoptr (GHashTable) daemon_tags = NULL;
  g_autoptr (GPtrArray) verb_terms = NULL;
  g_autofree char *daemon_help = NULL;
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  const char *daemon_argv[] = { courtrecd, "--help", NULL };
  g_auto (GStrv) help_lines = NULL;
  GPtrArray *options;

  if (g_find_program_in_path ("groff") == NULL)
    {
      g_test_skip ("groff is not installed");
      return;
    }
  assert_renders_cleanly (courtrec_1);
  assert_renders_cleanly (courtrecd_8);
  assert_renders_cleanly (conf_5);

  /* courtrec(1) has an entry for every verb of the client's table. */
  verb_tags = page_tags (courtrec_1);
  verb_terms = tag_terms (g_hash_table_lookup (verb_tags, "VERBS"));
  for (guint i = 0; i < verbs->len; i++)
    if (!terms_contain (verb_terms, g_ptr_array_index (verbs, i)))
      g_error ("courtrec(1) has no entry under VERBS for '%s'",
               (const char *) g_ptr_array_index (verbs, i));

  /* courtrec.conf(5) has one for every key the loader knows, under its
   * group's heading ("[camera NAME]" for "camera source"). */
  key_tags = page_tags (conf_5);
  g_assert_cmpuint (keys->len, >=, 38);
  for (guint i = 0; i < keys->len; i++)
    {
      /* "GROUP KEY", the group perhaps of two words ("alarm webhook url"). */
      const char *group_and_key = g_ptr_array_index (keys, i);
      const char *space = strrchr (group_and_key, ' ');
      g_autofree char *group = g_strndup (group_and_key, space - group_and_key);
      const char *group_key[] = { group, space + 1 };
      g_autofree char *plain = g_strdup_printf ("[%s]", group_key[0]);
      g_autofree char *named = g_strdup_printf ("[%s NAME]", group_key[0]);
      GPtrArray *lines = g_hash_table_lookup (key_tags, plain);
      g_autoptr (GPtrArray) terms = NULL;

      if (lines == NULL)
        lines = g_hash_table_lookup (key_tags, named);
      terms = tag_terms (lines);
      if (!terms_contain (terms, group_key[1]))
        g_error ("courtrec.conf(5) has no entry for [%s] %s", group_key[0], group_key[1]);
    }

  /* courtrecd(8) has one for every option courtrecd takes. */
  daemon_tags = page_tags (courtrecd_8);
  options = g_hash_table_lookup (daemon_tags, "OPTIONS");
  g_assert_cmpint (cr_test_run (&daemon_help, NULL, daemon_argv), ==, 0);
  help_lines = g_strsplit (daemon_help, "\n", -1);
  for (guint i = 0; help_lines[i] != NULL; i++)
    {
      g_autoptr (GMatchInfo) match = NULL;
      g_autoptr (GRegex) option = g_regex_new ("^  (?:-., )?(--[a-z-]+)", 0, 0, NULL);

      if (!g_regex_match (option, help_lines[i], 0, &match))
        continue;
      {
        g_autofree char *name = g_match_info_fetch (match, 1);
        g_autofree char *pattern = g_strdup_printf ("%s(?![a-z-])", name);
        gboolean found = FALSE;

        /* A tag names it: ".B --check-config", ".BR -h , --help-all". */
        for (guint o = 0; !found && options != NULL && o < options->len; o++)
          found = g_regex_match_simple (pattern, g_ptr_array_index (options, o), 0, 0);
        if (!found)
          g_error ("courtrecd(8) has no entry under OPTIONS for %s", name);
      }
    }
}

/* --- status in plain words ----------------------------------------------------------- */

static char *
iso_ago (gint64 seconds)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) then = g_date_time_add_seconds (now, (gdouble) -seconds);

  return g_date_time_format_iso8601 (then);
}

/* The line of @out that holds @needle. (transfer full) */
static char *
line_with (const char *out, const char *needle)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      return g_strdup (lines[i]);
  g_test_message ("no line with '%s' in:\n%s", needle, out);
  g_assert_not_reached ();
}

/* What the daemon's status says, as a clerk reads it: a camera lost, a
 * microphone at the meter's floor (-699.99), an alarm, the disk; first as
 * a daemon that gives no "silent" and no "alarms_standing", then as one
 * that does. */
static void
test_status_for_clerk (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *token_path = g_build_filename (room->dir, "api-token", NULL);
  g_autoptr (FakeDaemon) fake = fake_daemon_new (room->port);
  g_autoptr (GError) error = NULL;
  g_autofree char *started = iso_ago (3725);
  g_autofree char *lost_since = iso_ago (125);
  const char *flags[] = { "", "\"alarms_standing\":true," };
  const char *silent[] = { "", ",\"silent\":true" };

  g_file_set_contents (token_path, "0123456789abcdef0123456789abcdef\n", -1, &error);
  g_assert_no_error (error);
  for (guint v = 0; v < G_N_ELEMENTS (flags); v++)
    {
      g_autofree char *body = g_strdup_printf (
          "{\"state\":\"recording\",%s"
          "\"room\":{\"id\":\"test-room\",\"name\":\"第一法庭\",\"court\":\"浙江省三门县人民法院\"},"
          "\"session\":{\"id\":7,\"case\":\"%s\",\"title\":\"张三诉李四\",\"started\":\"%s\","
          "\"state\":\"recording\",\"pause_reason\":null},"
          "\"segment\":{\"sequence\":2,\"path\":\"/srv/a.mkv\",\"started\":\"%s\"},"
          "\"inputs\":["
          "{\"name\":\"judge\",\"kind\":\"camera\",\"label\":\"审判长\",\"state\":\"live\",\"losses\":0},"
          "{\"name\":\"witness\",\"kind\":\"camera\",\"label\":\"证人\",\"state\":\"lost\",\"losses\":3},"
          "{\"name\":\"judge\",\"kind\":\"microphone\",\"label\":\"审判长\",\"state\":\"live\",\"losses\":0},"
          "{\"name\":\"clerk\",\"kind\":\"microphone\",\"label\":\"书记员\",\"state\":\"live\",\"losses\":0}],"
          "\"microphones\":["
          "{\"name\":\"judge\",\"label\":\"审判长\",\"rms_dbfs\":-23.4,\"peak_dbfs\":-12.0},"
          "{\"name\":\"clerk\",\"label\":\"书记员\",\"rms_dbfs\":-699.99,\"peak_dbfs\":-699.99%s}],"
          "\"alarms\":[{\"alarm\":\"input-lost\",\"input\":\"witness\",\"label\":\"证人\","
          "\"message\":\"camera 证人 "
          "is lost\",\"since\":\"%s\"}],"
          "\"storage_dir\":\"/srv/courtrec\","
          "\"disk\":{\"free_bytes\":123400000000,\"seconds_left\":19800,\"bytes_per_second\":400000,"
          "\"full\":false},\"healthy\":true,\"streams\":[]}",
          flags[v], CASE_NO, started, started, silent[v], lost_since);
      g_autofree char *out = NULL;
      g_autofree char *line = NULL;

      fake_daemon_answer (fake, 200, body);
      g_assert_cmpint (client (room, "C", &out, NULL, "status"), ==, 0);
      g_test_message ("%s", out);
      g_assert_nonnull (strstr (out, "case:     " CASE_NO " — 张三诉李四"));
      g_assert_nonnull (strstr (out, "elapsed 1 h 02 min"));
      line = line_with (out, "证人");
      g_assert_nonnull (strstr (line, "camera"));
      g_assert_nonnull (strstr (line, "LOST (lost 3 times)"));
      g_free (line);
      line = line_with (out, "书记员");
      g_assert_nonnull (strstr (line, "silent"));
      g_free (line);
      line = line_with (out, "审判长  live, ");
      g_assert_nonnull (strstr (line, "-23.4 dBFS (peak -12.0)"));
      /* The silent microphone's -699.99 dBFS is never shown (a bare "699"
       * may be in a time's microseconds). */
      g_assert_null (strstr (out, "-699"));
      g_assert_nonnull (strstr (out, "alarms:   1 STANDING"));
      g_free (line);
      line = line_with (out, "input-lost witness (证人)");
      g_assert_nonnull (strstr (line, lost_since));
      g_assert_nonnull (strstr (line, "(2 min 05 s)"));
      g_assert_nonnull (strstr (line, "camera 证人 is lost"));
      g_assert_nonnull (strstr (out, "disk:     123.4 GB free in /srv/courtrec, about 5 h 30 min "
                                     "of recording left"));
    }

  /* The daemon's silent flag wins over the level; nothing standing is said. */
  {
    g_autofree char *out = NULL;

    fake_daemon_answer (fake, 200,
        "{\"state\":\"standby\",\"session\":null,\"alarms_standing\":false,\"alarms\":[],"
        "\"inputs\":[{\"name\":\"m\",\"kind\":\"microphone\",\"label\":\"书记员\","
        "\"state\":\"live\",\"losses\":0}],"
        "\"microphones\":[{\"name\":\"m\",\"label\":\"书记员\",\"rms_dbfs\":-30.0,"
        "\"peak_dbfs\":-20.0,\"silent\":true}],"
        "\"disk\":{\"free_bytes\":null,\"seconds_left\":null}}");
    g_assert_cmpint (client (room, "C", &out, NULL, "status"), ==, 0);
    g_test_message ("%s", out);
    g_assert_nonnull (strstr (out, "silent"));
    g_assert_null (strstr (out, "-30.0"));
    g_assert_nonnull (strstr (out, "alarms:   none"));
    g_assert_nonnull (strstr (out, "not measured yet"));
  }
}

/* The same against a real courtrecd: a microphone of digital silence reads
 * "silent", one with a tone reads its level. */
static void
test_status_real_room (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60,
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
      "[microphone clerk]\nsource = test:silence\nlabel = 书记员\n\n");
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autofree char *line = NULL;
  g_autoptr (JsonNode) node = NULL;
  gboolean standing = TRUE;

  cr_test_room_start (room);
  /* The level meter reports every 100 ms once audio flows. */
  g_usleep (1500 * 1000);
  g_assert_cmpint (client (room, "C", &out, NULL, "status"), ==, 0);
  g_test_message ("%s", out);
  line = line_with (out, "书记员");
  g_assert_nonnull (strstr (line, "microphone"));
  g_assert_nonnull (strstr (line, "live, silent"));
  g_free (line);
  line = line_with (out, "审判长  live, ");
  g_assert_nonnull (strstr (line, "dBFS (peak "));
  g_assert_null (strstr (out, "-699"));
  g_assert_null (strstr (out, "-200"));
  g_assert_nonnull (line_with (out, "camera"));
  g_assert_nonnull (strstr (out, "alarms:   none"));
  g_assert_nonnull (strstr (out, "GB free in " ));
  g_assert_nonnull (strstr (out, "of recording left"));

  g_assert_cmpint (client (room, "C", &json, NULL, "status", "--json"), ==, 0);
  node = parse_json (json);
  if (json_object_has_member (json_node_get_object (node), "alarms_standing"))
    {
      standing = json_object_get_boolean_member (json_node_get_object (node), "alarms_standing");
      g_assert_false (standing);
    }
}

/* --- an index that cannot be read ------------------------------------------------------ */

/* Every verb that reads the index, with what it needs besides. */
static const char *const index_verbs[][8] = {
  { "sessions" }, { "sessions", "--json" }, { "events", "1" }, { "report", "--session", "1" },
  { "verify" }, { "verify", "--all" }, { "verify", "--case", CASE_NO },
  { "archived", "--session", "1" }, { "retention", "--older-than", "0" },
  { "retention", "--older-than", "0", "--dry-run" }, { "broadcast", "list" },
  { "export", "--case", CASE_NO, "-o", "@DIR@/package" },
};

/* Each verb of index_verbs fails with exit 1 and a message that names
 * @index_path and says @why; nothing on stdout ("No sessions" or
 * "nothing to verify" would tell the operator an archive is empty). */
static void
assert_index_refused (CrTestRoom *room, const char *index_path, const char *why,
                      gboolean as_nobody)
{
  for (gsize v = 0; v < G_N_ELEMENTS (index_verbs); v++)
    {
      g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autofree char *courtrec = cr_test_build_path ("courtrec");
      int status;

      if (as_nobody)
        {
          g_ptr_array_add (args, g_strdup ("setpriv"));
          g_ptr_array_add (args, g_strdup ("--reuid=nobody"));
          g_ptr_array_add (args, g_strdup ("--regid=nogroup"));
          g_ptr_array_add (args, g_strdup ("--clear-groups"));
          g_ptr_array_add (args, g_strdup (courtrec));
          g_ptr_array_add (args, g_strdup ("-c"));
          g_ptr_array_add (args, g_strdup (room->config_path));
        }
      for (guint a = 0; index_verbs[v][a] != NULL; a++)
        {
          g_autoptr (GRegex) dir = g_regex_new ("@DIR@", 0, 0, NULL);
          g_ptr_array_add (args, g_regex_replace_literal (dir, index_verbs[v][a], -1, 0,
                                                          room->dir, 0, NULL));
        }
      g_ptr_array_add (args, NULL);
      if (as_nobody)
        status = cr_test_run (&out, &err, (const char *const *) args->pdata);
      else
        status = client_in (room, "C", &out, &err, (const char *const *) args->pdata);
      g_test_message ("%s: %d %s", (const char *) g_ptr_array_index (args, as_nobody ? 7 : 0),
                      status, err);
      g_assert_cmpint (status, ==, 1);
      g_assert_cmpstr (out, ==, "");
      g_assert_true (g_str_has_prefix (err, "courtrec: "));
      g_assert_nonnull (strstr (err, index_path));
      g_assert_nonnull (strstr (err, why));
    }
}

static void
test_unreadable_index (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;

  /* No index at all: the daemon never ran here, or [storage] dir is wrong. */
  assert_index_refused (room, index_path, "no index at", FALSE);
  /* Not a database. */
  g_assert_cmpint (g_mkdir_with_parents (room->storage_dir, 0750), ==, 0);
  g_file_set_contents (index_path, "these are not the minutes\n", -1, &error);
  g_assert_no_error (error);
  assert_index_refused (room, index_path, "not a database", FALSE);
}

/* --- the archive is the court's ----------------------------------------------------------- */

static gboolean
can_switch_user (void)
{
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");

  if (geteuid () != 0 || setpriv == NULL)
    {
      g_test_skip ("needs root and setpriv(1) to read as the user nobody");
      return FALSE;
    }
  return TRUE;
}

/* Runs @argv (NULL-terminated) as the user nobody, in no group; returns
 * its exit status. */
static int
run_as_nobody (char **out, char **err, const char *const *argv)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();

  g_ptr_array_add (args, "setpriv");
  g_ptr_array_add (args, "--reuid=nobody");
  g_ptr_array_add (args, "--regid=nogroup");
  g_ptr_array_add (args, "--clear-groups");
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  return cr_test_run (out, err, (const char *const *) args->pdata);
}

#define as_nobody(out, err, ...) \
  run_as_nobody (out, err, (const char *const[]) { __VA_ARGS__, NULL })

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* What an auditor runs: anything under @dir that others may read, write or
 * enter, but for the built-in HLS (STORAGE/live), which is what the public
 * is shown. (transfer full) */
static char *
open_to_others (const char *dir)
{
  g_autofree char *live = g_build_filename (dir, "live", NULL);
  const char *argv[] = { "find", dir, "-path", live, "-prune", "-o", "-perm", "/o=rwx",
                         "-print", NULL };
  char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return out;
}

/* Under umask 022, with a storage directory made 0755 beforehand and an
 * index 0644 (what a package or an administrator's mkdir leaves): the
 * daemon closes both, its WAL and SHM come out 0640, an export is 0750 and
 * 0640 with libav's MP4 in it, and the user nobody reads none of it while
 * courtrec, run as nobody, says so. */
static void
test_storage_closed_to_others (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *wal_path = g_strconcat (index_path, "-wal", NULL);
  g_autofree char *shm_path = g_strconcat (index_path, "-shm", NULL);
  g_autofree char *package = g_build_filename (room->dir, "package", NULL);
  g_autofree char *manifest = g_build_filename (package, "manifest-sha256.txt", NULL);
  g_autofree char *leftover = g_build_filename (room->dir, ".package.partial-Kx8q2Z", NULL);
  g_autofree char *leftover_file = g_build_filename (leftover, "data", "session-1",
                                                     "session-1.mp4", NULL);
  g_autofree char *held = g_build_filename (room->dir, ".package.partial-Held01", NULL);
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *exposed = NULL;
  g_autofree char *leftover_dir = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *session = NULL;
  mode_t old_umask;
  gint64 session_id;
  int held_fd;

  if (!can_switch_user ())
    return;
  old_umask = umask (022);
  /* The room's own directory is the test's (0700): open it, so that only
   * the modes courtrec sets stand between nobody and the archive. */
  g_assert_cmpint (g_chmod (room->dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (room->config_path, 0644), ==, 0);
  g_assert_cmpint (g_mkdir (room->storage_dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (room->storage_dir, 0755), ==, 0);
  {
    g_autoptr (CrSegmentIndex) index = cr_segment_index_open (index_path, FALSE, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (g_chmod (index_path, 0644), ==, 0);

  cr_test_room_start (room);
  g_assert_cmpuint (mode_of (room->storage_dir), ==, 0750);
  g_assert_cmpuint (mode_of (index_path), ==, 0640);
  /* The daemon holds the index open in WAL mode: both files exist. */
  g_assert_cmpuint (mode_of (wal_path), ==, 0640);
  g_assert_cmpuint (mode_of (shm_path), ==, 0640);

  session_id = cr_test_start_session (room, CASE_NO);
  session = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_usleep (2 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session_id);
  exposed = open_to_others (room->storage_dir);
  g_assert_cmpstr (exposed, ==, "");

  /* A killed export's leftover (0755, a copy of the recording in it) and
   * one still being built (locked by its process, here the test). */
  leftover_dir = g_path_get_dirname (leftover_file);
  g_assert_cmpint (g_mkdir_with_parents (leftover_dir, 0755), ==, 0);
  g_file_set_contents (leftover_file, "half an MP4", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (held, 0750), ==, 0);
  held_fd = g_open (held, O_RDONLY | O_DIRECTORY, 0);
  g_assert_cmpint (held_fd, >=, 0);
  g_assert_cmpint (flock (held_fd, LOCK_EX), ==, 0);

  g_assert_cmpint (client (room, "C", &out, &err, "export", "--case", CASE_NO, "-o", package),
                   ==, 0);
  g_test_message ("%s%s", out, err);
  g_assert_nonnull (strstr (out, "Removed 1 unfinished package"));
  g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (held, G_FILE_TEST_IS_DIR));
  close (held_fd);
  g_assert_cmpuint (mode_of (package), ==, 0750);
  g_assert_cmpuint (mode_of (manifest), ==, 0640);
  g_clear_pointer (&exposed, g_free);
  exposed = open_to_others (package);
  g_assert_cmpstr (exposed, ==, "");

  /* nobody: permission denied on the index and on the package. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (as_nobody (NULL, &err, "cat", index_path), !=, 0);
  g_assert_nonnull (strstr (err, "Permission denied"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (as_nobody (NULL, &err, "cat", manifest), !=, 0);
  g_assert_nonnull (strstr (err, "Permission denied"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (as_nobody (NULL, &err, "ls", package), !=, 0);
  g_assert_nonnull (strstr (err, "Permission denied"));
  /* courtrec as nobody says so, naming the index and what keeps it out. */
  assert_index_refused (room, index_path, "Permission denied", TRUE);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (as_nobody (NULL, &err, courtrec, "-c", room->config_path, "sessions"), ==, 1);
  g_assert_nonnull (strstr (err, room->storage_dir));
  g_assert_nonnull (strstr (err, "mode 0750"));

  /* Were the directory opened to others by mistake, the index itself and
   * its WAL still keep them out. */
  g_assert_cmpint (g_chmod (room->storage_dir, 0711), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (as_nobody (NULL, &err, "cat", index_path, wal_path, shm_path), !=, 0);
  g_assert_nonnull (strstr (err, "index.db: Permission denied"));
  g_assert_nonnull (strstr (err, "index.db-wal: Permission denied"));
  g_assert_nonnull (strstr (err, "index.db-shm: Permission denied"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (as_nobody (NULL, &err, courtrec, "-c", room->config_path, "report",
                              "--session", session), ==, 1);
  g_assert_nonnull (strstr (err, index_path));
  g_assert_nonnull (strstr (err, "Permission denied"));
  g_assert_nonnull (strstr (err, "mode 0640"));
  g_assert_cmpint (g_chmod (room->storage_dir, 0750), ==, 0);

  /* Root, the daemon's user here, still reads it all. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (client (room, "C", &out, NULL, "verify", "--session", session), ==, 0);
  g_assert_nonnull (strstr (out, "INTACT"));
  umask (old_umask);
}

/* A storage directory open to others that courtrecd may not change (its
 * user is not the owner) is refused at start, saying why, exit 2: systemd
 * does not restart a daemon for what only its administrator can fix. */
static void
test_storage_not_ours (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *token_path = g_build_filename (room->dir, "api-token", NULL);
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  struct passwd *nobody = getpwnam ("nobody");

  if (!can_switch_user () || nobody == NULL)
    return;
  g_assert_cmpint (g_chmod (room->dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (room->config_path, 0644), ==, 0);
  g_assert_cmpint (g_mkdir (room->storage_dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (room->storage_dir, 0755), ==, 0);
  g_file_set_contents (token_path, "0123456789abcdef0123456789abcdef\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chown (token_path, nobody->pw_uid, (gid_t) -1), ==, 0);

  g_assert_cmpint (as_nobody (NULL, &err, courtrecd, "-c", room->config_path), ==, 2);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, room->storage_dir));
  g_assert_nonnull (strstr (err, "mode 0755"));
  g_assert_nonnull (strstr (err, "owner root"));
  g_assert_nonnull (strstr (err, "make it 0750"));
  g_assert_cmpuint (mode_of (room->storage_dir), ==, 0755);
  g_assert_false (g_file_test (index_path, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/courtrec/cli/" path, Fixture, NULL, set_up, func, tear_down)
  ADD ("locales-every-verb", test_locales_every_verb);
  ADD ("hostile-arguments", test_hostile_arguments);
  ADD ("hostile-index", test_hostile_index);
  ADD ("hostile-daemon", test_hostile_daemon);
  ADD ("help-every-verb", test_help_every_verb);
  ADD ("man-pages", test_man_pages);
  ADD ("status-for-clerk", test_status_for_clerk);
  ADD ("unreadable-index", test_unreadable_index);
  ADD ("storage-closed-to-others", test_storage_closed_to_others);
  ADD ("storage-not-ours", test_storage_not_ours);
#undef ADD
  g_test_add_func ("/courtrec/cli/status-real-room", test_status_real_room);

  return g_test_run ();
}
