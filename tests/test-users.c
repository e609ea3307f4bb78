/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-users.c: accounts and roles: the route table's roles, the
 * admission check's principal, the users store, logins and their
 * cookies, the brute-force lock, and what courtrecd records of who did
 * what. */
#include "tests/test-util.h"

#include <libsoup/soup.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts/login-guard.h"
#include "accounts/principal.h"
#include "accounts/role.h"
#include "accounts/users.h"
#include "archive/records.h"
#include "archive/segment-index.h"
#include "recorder/api-auth.h"
#include "recorder/api-request.h"

#define ROOM_TOKEN "0123456789abcdef0123456789abcdef"

/* --- the route table --------------------------------------------------------- */

static CrRole
role_of (const char *path)
{
  gsize n = 0;
  const CrApiRoute *routes = cr_api_request_routes (&n);

  for (gsize i = 0; i < n; i++)
    if (g_str_equal (routes[i].path, path))
      return routes[i].role;
  g_assert_not_reached ();
}

static void
test_route_roles (void)
{
  g_assert_cmpint (role_of ("/api/v1/status"), ==, CR_ROLE_VIEWER);
  for (const char *const *path = (const char *const[]) {
         "/api/v1/session/start", "/api/v1/session/pause", "/api/v1/session/resume",
         "/api/v1/session/stop", "/api/v1/session/markers", "/api/v1/layout",
         "/api/v1/stream/cut", "/api/v1/stream/resume", "/api/v1/stream/start",
         "/api/v1/stream/stop", NULL };
       *path != NULL; path++)
    g_assert_cmpint (role_of (*path), ==, CR_ROLE_CLERK);
  g_assert_cmpint (role_of ("/api/v1/broadcast/approve"), ==, CR_ROLE_APPROVER);
  g_assert_cmpint (role_of ("/api/v1/broadcast/forbid"), ==, CR_ROLE_APPROVER);
}

static void
test_role_names (void)
{
  CrRole role = CR_ROLE_ANYONE;

  g_assert_true (cr_role_parse ("approver", &role));
  g_assert_cmpint (role, ==, CR_ROLE_APPROVER);
  g_assert_cmpstr (cr_role_name (CR_ROLE_CLERK), ==, "clerk");
  /* Nobody is given "anyone", and names are exact. */
  g_assert_false (cr_role_parse ("anyone", &role));
  g_assert_false (cr_role_parse ("Admin", &role));
  g_assert_false (cr_role_parse ("", &role));
  g_assert_true (cr_role_allows (CR_ROLE_ADMIN, CR_ROLE_CLERK));
  g_assert_false (cr_role_allows (CR_ROLE_VIEWER, CR_ROLE_CLERK));
}

/* The room's token is the room's admin; anything else is refused before
 * its path is looked at. */
static void
test_room_token_admin (void)
{
  g_autoptr (CrApiAuth) auth = cr_api_auth_new (ROOM_TOKEN);
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (CrPrincipal) principal = NULL;
  g_autoptr (GError) error = NULL;
  const CrApiRoute *route;

  route = cr_api_request_admit ("GET", "/no/such/path", headers, auth, &principal, &error);
  g_assert_null (route);
  g_assert_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_UNAUTHORIZED);
  g_assert_null (principal);
  g_clear_error (&error);

  soup_message_headers_replace (headers, "Authorization", "Bearer " ROOM_TOKEN "x");
  route = cr_api_request_admit ("POST", "/api/v1/session/start", headers, auth, &principal,
                                &error);
  g_assert_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  soup_message_headers_replace (headers, "Authorization", "bearer " ROOM_TOKEN);
  soup_message_headers_set_content_length (headers, 10);
  route = cr_api_request_admit ("POST", "/api/v1/broadcast/approve", headers, auth,
                                &principal, &error);
  g_assert_no_error (error);
  g_assert_nonnull (route);
  g_assert_nonnull (principal);
  g_assert_cmpstr (principal->user, ==, CR_PRINCIPAL_ROOM_TOKEN_ACTOR);
  g_assert_cmpint (principal->role, ==, CR_ROLE_ADMIN);
  g_assert_cmpint (principal->via, ==, CR_PRINCIPAL_ROOM_TOKEN);
  soup_message_headers_unref (headers);
}


/* A marker's event: its text alone, or its text and who added it; a
 * marker typed as JSON stays its own text. */
static void
test_marker_text (void)
{
  const struct { const char *detail, *text, *by; } cases[] = {
    { "证人出庭", "证人出庭", NULL },
    { "{\"text\":\"宣布开庭\",\"by\":\"clerk1\"}", "宣布开庭", "clerk1" },
    { "{\"text\":\"x\"}", "{\"text\":\"x\"}", NULL },
    { "{\"text\":\"x\",\"by\":1}", "{\"text\":\"x\",\"by\":1}", NULL },
    { "{\"text\":\"x\",\"by\":\"a\",\"more\":\"b\"}",
      "{\"text\":\"x\",\"by\":\"a\",\"more\":\"b\"}", NULL },
    { "{not json", "{not json", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CrEventRecord event = { 0 };
      g_autofree char *by = NULL;
      g_autofree char *text = NULL;

      event.kind = CR_EVENT_MARKER;
      event.detail = (char *) cases[i].detail;
      text = cr_event_marker_text (&event, &by);
      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpstr (by, ==, cases[i].by);
    }
}

/* --- the brute-force guard, on a clock of the test's ------------------------- */

static gint64 fake_now_us;

static gint64
fake_clock (void)
{
  return fake_now_us;
}

/* One whole attempt that fails; the guard's verdict before it. */
static CrLoginGuardVerdict
fail_once (CrLoginGuard *guard, const char *user, const char *client, guint *retry)
{
  CrLoginGuardVerdict verdict = cr_login_guard_admit (guard, user, client, retry);

  if (verdict == CR_LOGIN_GUARD_GO)
    cr_login_guard_done (guard, user, client, FALSE);
  return verdict;
}

static void
test_guard (void)
{
  g_autoptr (CrLoginGuard) guard = NULL;
  guint retry = 0;

  fake_now_us = 1000 * G_USEC_PER_SEC;
  guard = cr_login_guard_new (fake_clock);

  /* Four failures cost nothing; from the fifth the next one waits. */
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpint (fail_once (guard, "clerk1", "10.0.0.1", &retry), ==, CR_LOGIN_GUARD_GO);
      fake_now_us += G_USEC_PER_SEC / 10;
    }
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk1", "10.0.0.2", &retry), ==,
                   CR_LOGIN_GUARD_WAIT);
  g_assert_cmpuint (retry, ==, 1);
  /* The wait grows: 1, 2, 4, 8, 16 s. */
  for (guint i = 0; i < 4; i++)
    {
      fake_now_us += (gint64) (1u << i) * G_USEC_PER_SEC;
      g_assert_cmpint (fail_once (guard, "clerk1", "10.0.0.2", &retry), ==, CR_LOGIN_GUARD_GO);
    }
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk1", "10.0.0.3", &retry), ==,
                   CR_LOGIN_GUARD_WAIT);
  g_assert_cmpuint (retry, ==, 16);
  /* The tenth failure within 15 minutes locks the account for 15 more,
   * from any address, the right password or not. */
  fake_now_us += 16 * G_USEC_PER_SEC;
  g_test_expect_message ("courtrec-accounts", G_LOG_LEVEL_WARNING,
                         "Login: user \"clerk1\" locked for 15 minutes*10.0.0.3*");
  g_assert_cmpint (fail_once (guard, "clerk1", "10.0.0.3", &retry), ==, CR_LOGIN_GUARD_GO);
  g_test_assert_expected_messages ();
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk1", "10.0.0.9", &retry), ==,
                   CR_LOGIN_GUARD_LOCKED);
  g_assert_cmpuint (retry, ==, 15 * 60);
  fake_now_us += (15 * 60 - 1) * G_USEC_PER_SEC;
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk1", "10.0.0.9", &retry), ==,
                   CR_LOGIN_GUARD_LOCKED);
  /* Another account is not held back by this one's lock. */
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk2", "10.0.0.9", &retry), ==,
                   CR_LOGIN_GUARD_GO);
  cr_login_guard_done (guard, "clerk2", "10.0.0.9", TRUE);
  fake_now_us += 2 * G_USEC_PER_SEC;
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk1", "10.0.0.9", &retry), ==,
                   CR_LOGIN_GUARD_GO);
  /* One attempt per account at a time: a second one while the first is
   * being checked does not slip past the count. */
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk1", "10.0.0.8", &retry), ==,
                   CR_LOGIN_GUARD_BUSY);
  cr_login_guard_done (guard, "clerk1", "10.0.0.9", TRUE);

  /* An address that guesses many names is locked on its own. */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u", i);
      fake_now_us += 20 * G_USEC_PER_SEC;
      if (i == 9)
        g_test_expect_message ("courtrec-accounts", G_LOG_LEVEL_WARNING, "Login: client 10.6.6.6 locked*");
      g_assert_cmpint (fail_once (guard, name, "10.6.6.6", &retry), ==, CR_LOGIN_GUARD_GO);
    }
  g_test_assert_expected_messages ();
  g_assert_cmpint (cr_login_guard_admit (guard, "clerk1", "10.6.6.6", &retry), ==,
                   CR_LOGIN_GUARD_LOCKED);
}

/* --- the users store ------------------------------------------------------------ */

/* `courtrec user ARGS...` with @password on its standard input (NULL: none),
 * against the room's config; the exit status, and what it printed. */
#define user_verb(room, password, out, err, ...) \
  user_verb_impl (room, password, out, err, __VA_ARGS__, NULL)

static int
user_verb_impl (CrTestRoom *room, const char *password, char **out, char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stdin_text = password != NULL ? g_strdup_printf ("%s\n", password) : NULL;
  g_autofree char *out_text = NULL, *err_text = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (room->config_path));
  g_ptr_array_add (argv, g_strdup ("user"));
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  if (password != NULL)
    g_ptr_array_add (argv, g_strdup ("--password-stdin"));
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, stdin_text != NULL ? stdin_text : "", NULL,
                                 &out_text, &err_text, &error);
  g_assert_no_error (error);
  if (err_text != NULL && *err_text != '\0')
    g_test_message ("courtrec user: %s", err_text);
  if (out != NULL)
    *out = g_steal_pointer (&out_text);
  if (err != NULL)
    *err = g_steal_pointer (&err_text);
  return g_subprocess_get_exit_status (process);
}

static void
add_user (CrTestRoom *room, const char *name, const char *role, const char *password)
{
  g_assert_cmpint (user_verb (room, password, NULL, NULL, "add", name, "--role", role), ==, 0);
}

/* A new API token of @name. (transfer full) */
static char *
issue_token (CrTestRoom *room, const char *name)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (user_verb (room, NULL, &out, NULL, "token", name), ==, 0);
  g_assert_true (g_str_has_prefix (out, "cru_"));
  return g_strstrip (g_steal_pointer (&out));
}

static char *
users_db (CrTestRoom *room)
{
  return g_build_filename (room->dir, "users.db", NULL);
}

/* Whether @needle's bytes are anywhere in the file at @path. */
static gboolean
file_holds (const char *path, const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  gsize needle_length = strlen (needle);

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  /* Byte by byte: the file holds NULs. */
  for (gsize at = 0; at + needle_length <= length; at++)
    if (memcmp (contents + at, needle, needle_length) == 0)
      return TRUE;
  return FALSE;
}

#define PASSWORD_CLERK "Clerk-passw0rd-书记员"
#define PASSWORD_VIEWER "viewer-pass-1234"
#define PASSWORD_APPROVER "approver-pass-5678"

static void
test_store (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *db = users_db (room);
  g_autofree char *err = NULL, *out = NULL;
  g_autofree char *token = NULL;
  struct stat st;
  mode_t old_umask = umask (0);

  /* 0640 whatever the umask of who runs it. */
  add_user (room, "书记员01", "clerk", PASSWORD_CLERK);
  umask (old_umask);
  g_assert_cmpint (stat (db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0640);

  /* Bad input: exit 2, saying what. */
  g_assert_cmpint (user_verb (room, PASSWORD_CLERK, NULL, &err, "add", "书记员01", "--role",
                              "clerk"), ==, 2);
  g_assert_nonnull (strstr (err, "exists"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (user_verb (room, PASSWORD_CLERK, NULL, &err, "add", "bob", "--role", "boss"),
                   ==, 2);
  g_assert_nonnull (strstr (err, "unknown role 'boss'"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (user_verb (room, PASSWORD_CLERK, NULL, &err, "add", "bob smith", "--role",
                              "clerk"), ==, 2);
  g_assert_nonnull (strstr (err, "no spaces"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (user_verb (room, PASSWORD_CLERK, NULL, &err, "add", "room-token", "--role",
                              "admin"), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (user_verb (room, "short", NULL, &err, "add", "bob", "--role", "clerk"), ==, 2);
  g_assert_nonnull (strstr (err, "8 to 1024"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (user_verb (room, NULL, NULL, &err, "add", "bob", "--role", "clerk",
                              "--password-stdin"), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (user_verb (room, NULL, NULL, &err, "passwd", "nobody-here",
                              "--password-stdin"), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (user_verb (room, NULL, NULL, &err, "frobnicate", "x"), ==, 2);
  g_clear_pointer (&err, g_free);

  /* A token: shown once, stored only as its hash, revocable. */
  token = issue_token (room, "书记员01");
  g_assert_cmpuint (strlen (token), ==, 4 + 64);
  g_assert_false (file_holds (db, token));
  g_assert_false (file_holds (db, token + 4));
  g_assert_cmpint (user_verb (room, NULL, &out, NULL, "list", "--json"), ==, 0);
  g_assert_nonnull (strstr (out, "\"tokens\" : 1"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (user_verb (room, NULL, NULL, NULL, "token", "书记员01", "--revoke", "1"), ==, 0);
  g_assert_cmpint (user_verb (room, NULL, NULL, &err, "token", "书记员01", "--revoke", "1"), ==,
                   2);
  g_clear_pointer (&err, g_free);

  /* The password is nowhere in the file, in any form a grep finds. */
  g_assert_false (file_holds (db, PASSWORD_CLERK));
  g_assert_true (file_holds (db, "$argon2id$"));
}

/* --- the daemon ------------------------------------------------------------------ */

typedef struct {
  guint status;
  char *body;
  char *set_cookie;
  char *retry_after;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->body, g_free);
  g_clear_pointer (&reply->set_cookie, g_free);
  g_clear_pointer (&reply->retry_after, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

/* @method @path on the room's API with a bearer @token (or NULL), a
 * @cookie (or NULL), a CSRF header (or NULL) and a raw @body (or NULL). */
static void
request (CrTestRoom *room, const char *method, const char *path, const char *token,
         const char *cookie, const char *csrf, const char *body, Reply *reply)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", room->port, path);
  SoupMessageHeaders *headers;

  reply_clear (reply);
  message = soup_message_new (method, uri);
  headers = soup_message_get_request_headers (message);
  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (cookie != NULL)
    soup_message_headers_replace (headers, "Cookie", cookie);
  if (csrf != NULL)
    soup_message_headers_replace (headers, "X-CSRF-Token", csrf);
  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  data = soup_session_send_and_read (session, message, NULL, NULL);
  reply->status = soup_message_get_status (message);
  reply->body = data != NULL ? g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data))
                             : NULL;
  reply->set_cookie = g_strdup (soup_message_headers_get_one (
    soup_message_get_response_headers (message), "Set-Cookie"));
  reply->retry_after = g_strdup (soup_message_headers_get_one (
    soup_message_get_response_headers (message), "Retry-After"));
}

static JsonObject *
reply_object (const Reply *reply)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_nonnull (reply->body);
  g_assert_true (json_parser_load_from_data (parser, reply->body, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
assert_error_code (const Reply *reply, guint status, const char *code)
{
  g_autoptr (JsonObject) object = NULL;

  if (reply->status != status)
    g_test_message ("expected %u, got %u: %s", status, reply->status, reply->body);
  g_assert_cmpuint (reply->status, ==, status);
  object = reply_object (reply);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (object, "error"), "code"), ==, code);
}

static const char *
state_of (CrTestRoom *room)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  static char state[32];

  g_strlcpy (state, json_object_get_string_member (status, "state"), sizeof state);
  return state;
}

/* The "by" of @session_id's first event of @kind, from `courtrec events
 * --json`, which reads the index. (transfer full) */
static char *
event_by (CrTestRoom *room, gint64 session_id, const char *kind)
{
  g_autofree char *out = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *events;

  g_assert_cmpint (cr_test_client (room, &out, NULL, "events", id, "--json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  events = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      g_autoptr (JsonParser) detail_parser = json_parser_new ();
      const char *detail;

      if (!g_str_equal (json_object_get_string_member (event, "kind"), kind))
        continue;
      detail = json_object_get_string_member_with_default (event, "detail", NULL);
      if (detail == NULL || !json_parser_load_from_data (detail_parser, detail, -1, NULL))
        return NULL;
      return g_strdup (json_object_get_string_member_with_default (
        json_node_get_object (json_parser_get_root (detail_parser)), "by", NULL));
    }
  return NULL;
}

static CrTestRoom *
room_with_accounts (void)
{
  CrTestRoom *room = cr_test_room_new (60, NULL);

  add_user (room, "viewer1", "viewer", PASSWORD_VIEWER);
  add_user (room, "clerk1", "clerk", PASSWORD_CLERK);
  add_user (room, "approver1", "approver", PASSWORD_APPROVER);
  cr_test_room_start (room);
  return room;
}

#define START_BODY "{\"case\":\"（2026）浙1022民初123号\"}"

static void
test_roles (void)
{
  g_autoptr (CrTestRoom) room = room_with_accounts ();
  g_autofree char *viewer = issue_token (room, "viewer1");
  g_autofree char *clerk = issue_token (room, "clerk1");
  g_autofree char *approver = issue_token (room, "approver1");
  g_autofree char *by = NULL, *err = NULL, *out = NULL;
  g_auto (Reply) reply = { 0 };
  g_autoptr (JsonObject) object = NULL;
  gint64 session_id;

  /* A viewer reads, and a start it forges is refused before anything
   * happens. */
  request (room, "GET", "/api/v1/status", viewer, NULL, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  request (room, "POST", "/api/v1/session/start", viewer, NULL, NULL, START_BODY, &reply);
  assert_error_code (&reply, 403, "forbidden");
  g_assert_nonnull (strstr (reply.body, "clerk"));
  g_assert_cmpstr (state_of (room), ==, "standby");
  /* The CLI with the viewer's token: refused, exit 1, saying why. */
  cr_test_room_setenv (room, "COURTREC_TOKEN", NULL);
  {
    g_autofree char *token_file = g_build_filename (room->dir, "viewer.token", NULL);
    g_assert_true (g_file_set_contents (token_file, viewer, -1, NULL));
    {
      g_autofree char *courtrec = cr_test_build_path ("courtrec");
      const char *argv[] = { courtrec, "-c", room->config_path, "--token-file", token_file,
                             "start", "--case", "（2026）浙1022民初123号", NULL };
      g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 1);
      g_assert_nonnull (strstr (err, "needs the role clerk"));
      g_clear_pointer (&err, g_free);
    }
  }
  g_assert_cmpstr (state_of (room), ==, "standby");

  /* A clerk starts, pauses and resumes: each event says who. */
  request (room, "POST", "/api/v1/session/start", clerk, NULL, NULL, START_BODY, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  object = reply_object (&reply);
  session_id = json_object_get_int_member (object, "session_id");
  request (room, "POST", "/api/v1/session/pause", clerk, NULL, NULL, "{\"reason\":\"recess\"}",
           &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  request (room, "POST", "/api/v1/session/resume", clerk, NULL, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  request (room, "POST", "/api/v1/session/markers", clerk, NULL, NULL,
           "{\"text\":\"宣布开庭\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  /* A clerk cannot approve a broadcast; an approver can, and is the one
   * recorded, whatever "by" the request typed. */
  request (room, "POST", "/api/v1/broadcast/approve", clerk, NULL, NULL,
           "{\"case\":\"（2026）浙1022民初123号\",\"by\":\"院长\"}", &reply);
  assert_error_code (&reply, 403, "forbidden");
  request (room, "POST", "/api/v1/broadcast/approve", approver, NULL, NULL,
           "{\"case\":\"（2026）浙1022民初123号\",\"by\":\"院长\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "broadcast", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "approver1"));
  g_assert_null (strstr (out, "院长"));
  /* The room's token still works, as the room's admin, recorded so. The
   * seal follows the last segment's close: waited for, as verify below
   * would rightly call a stopped, unsealed session missing its signature. */
  cr_test_stop_and_wait (room, session_id);
  cr_test_wait_sealed (room, session_id);

  by = event_by (room, session_id, "start");
  g_assert_cmpstr (by, ==, "clerk1");
  g_clear_pointer (&by, g_free);
  by = event_by (room, session_id, "pause");
  g_assert_cmpstr (by, ==, "clerk1");
  g_clear_pointer (&by, g_free);
  by = event_by (room, session_id, "broadcast-approved");
  g_assert_cmpstr (by, ==, "approver1");
  g_clear_pointer (&by, g_free);
  by = event_by (room, session_id, "stop");
  g_assert_cmpstr (by, ==, CR_PRINCIPAL_ROOM_TOKEN_ACTOR);
  g_clear_pointer (&by, g_free);
  by = event_by (room, session_id, "marker");
  g_assert_cmpstr (by, ==, "clerk1");
  g_clear_pointer (&by, g_free);
  /* The report names who added the marker, beside its text. */
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
    g_autofree char *report = NULL;

    g_assert_cmpint (cr_test_client (room, &report, NULL, "report", "--session", id,
                                     "--format", "json", NULL), ==, 0);
    g_assert_nonnull (strstr (report, "\"text\" : \"宣布开庭\""));
    g_assert_nonnull (strstr (report, "\"by\" : \"clerk1\""));
  }
  /* Who did what is in the chain: the session verifies once sealed. */
  {
    g_autofree char *verify_out = NULL;
    int verified = cr_test_client (room, &verify_out, NULL, "verify", "--all", NULL);

    g_test_message ("verify --all: %s", verify_out);
    g_assert_cmpint (verified, ==, 0);
  }

  /* A revoked token and a disabled account's token: 401. */
  g_assert_cmpint (user_verb (room, NULL, NULL, NULL, "token", "viewer1", "--revoke", "all"),
                   ==, 0);
  request (room, "GET", "/api/v1/status", viewer, NULL, NULL, NULL, &reply);
  assert_error_code (&reply, 401, "unauthorized");
  g_assert_cmpint (user_verb (room, NULL, NULL, NULL, "disable", "clerk1"), ==, 0);
  request (room, "POST", "/api/v1/session/start", clerk, NULL, NULL, START_BODY, &reply);
  assert_error_code (&reply, 401, "unauthorized");
  g_assert_cmpstr (state_of (room), ==, "standby");
  /* A forged token of the right shape: 401. */
  request (room, "GET", "/api/v1/status",
           "cru_0000000000000000000000000000000000000000000000000000000000000000", NULL, NULL,
           NULL, &reply);
  assert_error_code (&reply, 401, "unauthorized");
}

/* "courtrec_login_test-room=KEY" from a Set-Cookie. (transfer full) */
static char *
cookie_of (const Reply *reply)
{
  g_assert_nonnull (reply->set_cookie);
  g_assert_true (g_str_has_prefix (reply->set_cookie, CR_API_AUTH_COOKIE_PREFIX "test-room="));
  g_assert_nonnull (strstr (reply->set_cookie, "HttpOnly"));
  g_assert_nonnull (strstr (reply->set_cookie, "SameSite=Strict"));
  g_assert_nonnull (strstr (reply->set_cookie, "Path=/"));
  return g_strndup (reply->set_cookie, strcspn (reply->set_cookie, ";"));
}

static void
test_login (void)
{
  g_autoptr (CrTestRoom) room = room_with_accounts ();
  g_auto (Reply) reply = { 0 };
  g_autoptr (JsonObject) object = NULL;
  g_autofree char *cookie = NULL, *csrf = NULL, *log = NULL, *big = NULL;
  g_autofree char *db = users_db (room);

  /* Hostile bodies: refused, and none of them logs in. */
  big = g_strdup_printf ("{\"user\":\"clerk1\",\"password\":\"%0*d\"}", 9000, 0);
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL, big, &reply);
  assert_error_code (&reply, 413, "too-large");
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL, "{\"user\":\"clerk1\"", &reply);
  assert_error_code (&reply, 400, "invalid");
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL, "{\"user\":\"clerk1\"}", &reply);
  assert_error_code (&reply, 400, "invalid");
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"clerk1\",\"password\":\"" PASSWORD_CLERK "\",\"role\":\"admin\"}", &reply);
  assert_error_code (&reply, 400, "invalid");
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"clerk1\",\"password\":[\"" PASSWORD_CLERK "\"]}", &reply);
  assert_error_code (&reply, 400, "invalid");
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"clerk1\",\"password\":\"wrong-password\"}", &reply);
  assert_error_code (&reply, 401, "login-failed");
  g_assert_null (reply.set_cookie);
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"nobody\",\"password\":\"wrong-password\"}", &reply);
  assert_error_code (&reply, 401, "login-failed");

  /* The right one: a cookie, and the CSRF token. */
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"clerk1\",\"password\":\"" PASSWORD_CLERK "\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  cookie = cookie_of (&reply);
  object = reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (object, "role"), ==, "clerk");
  csrf = g_strdup (json_object_get_string_member (object, "csrf"));
  g_clear_pointer (&object, json_object_unref);
  request (room, "GET", "/api/v1/whoami", NULL, cookie, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  object = reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (object, "user"), ==, "clerk1");
  g_assert_cmpstr (json_object_get_string_member (object, "csrf"), ==, csrf);
  g_clear_pointer (&object, json_object_unref);

  /* A cookie without its CSRF header (or with another) changes nothing. */
  request (room, "POST", "/api/v1/session/start", NULL, cookie, NULL, START_BODY, &reply);
  assert_error_code (&reply, 403, "forbidden");
  request (room, "POST", "/api/v1/session/start", NULL, cookie, "not-the-token", START_BODY,
           &reply);
  assert_error_code (&reply, 403, "forbidden");
  g_assert_cmpstr (state_of (room), ==, "standby");
  request (room, "POST", "/api/v1/session/start", NULL, cookie, csrf, START_BODY, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  request (room, "POST", "/api/v1/session/stop", NULL, cookie, csrf, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);

  /* A forged cookie, and another room's: 401. */
  request (room, "GET", "/api/v1/status", NULL,
           CR_API_AUTH_COOKIE_PREFIX "test-room=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
           NULL, NULL, &reply);
  assert_error_code (&reply, 401, "unauthorized");
  {
    g_autofree char *other = g_strdup_printf ("%s%s", CR_API_AUTH_COOKIE_PREFIX "room-202",
                                              strchr (cookie, '='));
    request (room, "GET", "/api/v1/status", NULL, other, NULL, NULL, &reply);
    assert_error_code (&reply, 401, "unauthorized");
  }

  /* Logout ends it. */
  request (room, "POST", "/api/v1/logout", NULL, cookie, csrf, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_nonnull (strstr (reply.set_cookie, "Max-Age=0"));
  request (room, "GET", "/api/v1/status", NULL, cookie, NULL, NULL, &reply);
  assert_error_code (&reply, 401, "unauthorized");

  /* A new password ends the logins made before it. */
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"viewer1\",\"password\":\"" PASSWORD_VIEWER "\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_clear_pointer (&cookie, g_free);
  cookie = cookie_of (&reply);
  request (room, "GET", "/api/v1/status", NULL, cookie, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (user_verb (room, "viewer-pass-new-1", NULL, NULL, "passwd", "viewer1"), ==, 0);
  request (room, "GET", "/api/v1/status", NULL, cookie, NULL, NULL, &reply);
  assert_error_code (&reply, 401, "unauthorized");
  /* A disabled account cannot log in, even with its password. */
  g_assert_cmpint (user_verb (room, NULL, NULL, NULL, "disable", "approver1"), ==, 0);
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"approver1\",\"password\":\"" PASSWORD_APPROVER "\"}", &reply);
  assert_error_code (&reply, 401, "login-failed");

  /* No password in the log or the store; the failures are logged with
   * the name given. */
  g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
  g_assert_null (strstr (log, PASSWORD_CLERK));
  g_assert_null (strstr (log, PASSWORD_APPROVER));
  g_assert_null (strstr (log, "wrong-password"));
  g_assert_nonnull (strstr (log, "Login failed: user \"nobody\" from 127.0.0.1"));
  g_assert_false (file_holds (db, PASSWORD_CLERK));
  g_assert_false (file_holds (db, PASSWORD_VIEWER));
}

/* A thousand wrong logins at once while a hearing records, then guesses
 * at the pace allowed: none gets in, the recording loses nothing, and the
 * account is locked, even for its right password, and the lock logged. */
static void
test_login_flood (void)
{
  g_autoptr (CrTestRoom) room = room_with_accounts ();
  g_autofree char *script = cr_test_top_path ("tests/fixtures/login-flood.py");
  g_autofree char *port = g_strdup_printf ("%u", room->port);
  g_autofree char *out = NULL, *log = NULL;
  const char *argv[] = { "python3", script, port, "clerk1", "1000", "64", NULL };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (Reply) reply = { 0 };
  JsonObject *result, *statuses;
  GList *codes;
  gint64 session_id, started_us;

  session_id = cr_test_start_session (room, "（2026）浙1022民初123号");
  started_us = g_get_monotonic_time ();
  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_test_message ("login-flood: %s", out);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  result = json_node_get_object (json_parser_get_root (parser));
  statuses = json_object_get_object_member (result, "statuses");
  /* Every one answered, none let in: wrong (401), held back (429) or
   * turned away while the checker was full (503). */
  g_assert_cmpint (json_object_get_int_member (result, "failures"), ==, 0);
  codes = json_object_get_members (statuses);
  for (GList *l = codes; l != NULL; l = l->next)
    g_assert_true (g_str_equal (l->data, "401") || g_str_equal (l->data, "429") ||
                   g_str_equal (l->data, "503"));
  g_list_free (codes);
  /* One check at a time per account: the flood bought a few guesses,
   * not a thousand. */
  g_assert_cmpint (json_object_get_int_member_with_default (statuses, "401", 0), <=, 5);

  /* Guessing on at the pace the answers allow (Retry-After) meets the
   * lock at the tenth failure, about 31 s in. */
  for (guint rounds = 0; rounds < 200; rounds++)
    {
      request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
               "{\"user\":\"clerk1\",\"password\":\"wrong-guess-paced\"}", &reply);
      if (reply.status == 401)
        continue;
      g_assert_cmpuint (reply.status, ==, 429);
      if (strstr (reply.body, "\"locked\"") != NULL)
        break;
      g_assert_nonnull (reply.retry_after);
      g_usleep ((gulong) atoi (reply.retry_after) * G_USEC_PER_SEC);
    }

  /* The lock holds: the right password is refused now. */
  request (room, "POST", "/api/v1/login", NULL, NULL, NULL,
           "{\"user\":\"clerk1\",\"password\":\"" PASSWORD_CLERK "\"}", &reply);
  assert_error_code (&reply, 429, "locked");
  g_assert_nonnull (reply.retry_after);
  g_assert_cmpint (atoi (reply.retry_after), >, 800);
  g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "user \"clerk1\" locked for 15 minutes"));
  g_assert_null (strstr (log, "wrong-guess-"));
  g_assert_null (strstr (log, PASSWORD_CLERK));

  /* The hearing went on without a gap. */
  g_assert_cmpstr (state_of (room), ==, "recording");
  while (g_get_monotonic_time () - started_us < 5 * G_USEC_PER_SEC)
    g_usleep (G_USEC_PER_SEC / 10);
  cr_test_stop_and_wait (room, session_id);
  cr_test_assert_recording_whole (room, session_id, 1);
  {
    g_autofree char *events = NULL;
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
    g_assert_cmpint (cr_test_client (room, &events, NULL, "events", id, NULL), ==, 0);
    g_assert_null (strstr (events, "gap"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/users/route-roles", test_route_roles);
  g_test_add_func ("/courtrec/users/role-names", test_role_names);
  g_test_add_func ("/courtrec/users/room-token-admin", test_room_token_admin);
  g_test_add_func ("/courtrec/users/marker-text", test_marker_text);
  g_test_add_func ("/courtrec/users/guard", test_guard);
  g_test_add_func ("/courtrec/users/store", test_store);
  g_test_add_func ("/courtrec/users/roles", test_roles);
  g_test_add_func ("/courtrec/users/login", test_login);
  g_test_add_func ("/courtrec/users/login-flood", test_login_flood);
  return g_test_run ();
}
