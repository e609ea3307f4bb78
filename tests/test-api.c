/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-api.c: courtrecd's control API and the courtrec client, end to end.
 *
 * Each test runs the real courtrecd on a fresh room and drives it the way an
 * operator would: through the courtrec client, and through raw HTTP where
 * the point is what the API does with a bad request. What a session left
 * behind is read back with `courtrec sessions/events --json`, which read the
 * index directly. */
#include "tests/test-util.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "archive/segment-index.h"

#define CASE_NO "（2026）浙1022民初123号"

typedef struct {
  CrTestRoom *room;
} Fixture;

static void
set_up (Fixture *fixture, gconstpointer data)
{
  fixture->room = cr_test_room_new (60, NULL);
  cr_test_room_start (fixture->room);
}

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

/* --- helpers ---------------------------------------------------------------- */

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (text);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_parser_get_root (parser));
  return json_node_copy (json_parser_get_root (parser));
}

/* Runs the client, which must succeed, and parses what it printed. */
#define client_json(room, ...) client_json_impl (room, __VA_ARGS__, NULL)

static JsonNode *
client_json_impl (CrTestRoom *room, const char *verb, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (room->config_path));
  g_ptr_array_add (argv, g_strdup (verb));
  va_start (ap, verb);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  status = cr_test_run (&out, &err, (const char *const *) argv->pdata);
  if (status != 0)
    g_test_message ("courtrec %s: exit %d, stderr: %s", verb, status, err);
  g_assert_cmpint (status, ==, 0);
  return parse_json (out);
}

/* The daemon's status, fetched with the right token. */
static JsonObject *
get_status (CrTestRoom *room)
{
  g_autofree char *body = NULL;
  g_autoptr (JsonNode) node = NULL;

  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/status", room->token,
                                  NULL, &body), ==, 200);
  node = parse_json (body);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static void
assert_state (CrTestRoom *room, const char *expected)
{
  g_autoptr (JsonObject) status = get_status (room);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, expected);
}

static gint64
current_session_id (CrTestRoom *room)
{
  g_autoptr (JsonObject) status = get_status (room);
  JsonObject *session = json_object_get_object_member (status, "session");

  g_assert_nonnull (session);
  return json_object_get_int_member (session, "id");
}

/* The sessions in the index, as `courtrec sessions --json` lists them. */
static guint
count_sessions (CrTestRoom *room)
{
  g_autoptr (JsonNode) sessions = client_json (room, "sessions", "--json");

  g_assert_true (JSON_NODE_HOLDS_ARRAY (sessions));
  return json_array_get_length (json_node_get_array (sessions));
}

/* The error object of an API error body, checked for its shape. */
static JsonObject *
api_error (const char *body, const char *expected_code)
{
  g_autoptr (JsonNode) node = parse_json (body);
  JsonObject *error;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  error = json_object_get_object_member (json_node_get_object (node), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, expected_code);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
  return json_object_ref (error);
}

/* HTTP for the cases where a response header matters too. */
static guint
http_header (CrTestRoom *room, const char *method, const char *path,
             const char *token, const char *header, char **value, char **body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", room->port, path);
  SoupMessageHeaders *headers;

  message = soup_message_new (method, uri);
  g_assert_nonnull (message);
  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", auth);
    }
  reply = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  headers = soup_message_get_response_headers (message);
  *value = g_strdup (soup_message_headers_get_one (headers, header));
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==,
                   "application/json");
  *body = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  return soup_message_get_status (message);
}

/* --- tests ----------------------------------------------------------------------- */

static void
test_unauthorized (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  const char *start = "{\"case\":\"" CASE_NO "\"}";
  g_autofree char *same_length = g_strdup (room->token);
  g_autofree char *body = NULL;
  g_autofree char *challenge = NULL;
  g_autoptr (JsonObject) error = NULL;

  /* A wrong token of the right length differs only in its last character:
   * the comparison must not pass on a prefix. */
  same_length[strlen (same_length) - 1] ^= 1;

  g_assert_cmpuint (http_header (room, "GET", "/api/v1/status", NULL,
                                 "WWW-Authenticate", &challenge, &body), ==, 401);
  g_assert_cmpstr (challenge, ==, "Bearer");
  error = api_error (body, "unauthorized");
  g_clear_pointer (&body, g_free);

  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/start", NULL,
                                  start, &body), ==, 401);
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/start", "wrong",
                                  start, &body), ==, 401);
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/start", same_length,
                                  start, &body), ==, 401);
  g_clear_pointer (&body, g_free);
  /* Authentication comes before routing: no token, no 404 either. */
  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/no-such-thing", NULL,
                                  NULL, &body), ==, 401);

  assert_state (room, "standby");
  g_assert_cmpuint (count_sessions (room), ==, 0);
}

static void
test_start_twice (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id_text = NULL;
  g_autoptr (JsonNode) status = NULL;
  gint64 session_id;

  g_assert_cmpint (cr_test_client (room, &out, &err, "start", "--case", CASE_NO,
                                   "--title", "张三诉李四", NULL), ==, 0);
  session_id = current_session_id (room);
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_assert_nonnull (strstr (out, id_text));
  g_assert_nonnull (strstr (out, room->storage_dir));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = client_json (room, "status", "--json");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (status), "state"),
                   ==, "recording");
  g_assert_cmpint (cr_test_client (room, &out, &err, "status", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "recording"));
  g_assert_nonnull (strstr (out, CASE_NO));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A second start is refused, and says why; the first goes on. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "start", "--case",
                                   "（2026）浙1022民初124号", NULL), ==, 1);
  g_test_message ("second start: %s", err);
  g_assert_true (g_str_has_prefix (err, "courtrec: "));
  g_assert_nonnull (strstr (err, "already"));
  g_assert_nonnull (strstr (err, "recording"));
  g_assert_cmpint (current_session_id (room), ==, session_id);
  g_assert_cmpuint (count_sessions (room), ==, 1);
}

static void
test_bad_pause_reason (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *err = NULL;
  g_autofree char *body = NULL;
  g_autoptr (JsonObject) error = NULL;

  g_assert_cmpint (cr_test_client (room, NULL, NULL, "start", "--case", CASE_NO, NULL), ==, 0);

  g_assert_cmpint (cr_test_client (room, NULL, &err, "pause", "--reason", "lunch", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "lunch"));
  g_assert_nonnull (strstr (err, "recess"));
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", NULL), ==, 2);

  /* The daemon refuses it as well, for clients other than courtrec. */
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/pause", room->token,
                                  "{\"reason\":\"lunch\"}", &body), ==, 400);
  error = api_error (body, "invalid");
  assert_state (room, "recording");
}

/* The events a session's control steps leave, in order; other kinds
 * (segments, inputs) may come between them. */
static const char *const session_kinds[] = { "start", "pause", "resume", "marker", "stop", NULL };

static void
test_session_events (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *out = NULL;
  g_autofree char *id_text = NULL;
  g_autoptr (JsonNode) events = NULL;
  g_autoptr (JsonNode) sessions = NULL;
  g_autoptr (GPtrArray) kinds = g_ptr_array_new ();
  JsonArray *array;
  JsonObject *session;
  gint64 session_id;
  gint64 last_us = 0;
  gint64 last_control_us = 0;

  g_assert_cmpint (cr_test_client (room, NULL, NULL, "start", "--case", CASE_NO, NULL), ==, 0);
  session_id = current_session_id (room);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess", NULL), ==, 0);
  assert_state (room, "paused");
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "resume", NULL), ==, 0);
  assert_state (room, "recording");
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "mark", "证人入场 witness sworn", NULL), ==, 0);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "stop", NULL), ==, 0);
  assert_state (room, "standby");
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_assert_nonnull (strstr (out, id_text));
  g_assert_nonnull (strstr (out, "segment"));

  events = client_json (room, "events", id_text, "--json");
  array = json_node_get_array (events);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *event = json_array_get_object_element (array, i);
      const char *kind = json_object_get_string_member (event, "kind");
      const char *detail = json_object_get_string_member_with_default (event, "detail", NULL);
      const char *time = json_object_get_string_member (event, "time");
      gint64 at_us = 0;

      /* UTC, as the index stores it, oldest first. */
      g_assert_true (g_str_has_suffix (time, "Z"));
      g_assert_true (cr_parse_utc (time, &at_us));
      g_assert_cmpint (at_us, >=, last_us);
      last_us = at_us;
      if (!g_strv_contains (session_kinds, kind))
        continue;
      /* Each control step was a separate request, milliseconds apart. */
      g_assert_cmpint (at_us, >, last_control_us);
      last_control_us = at_us;
      g_ptr_array_add (kinds, (gpointer) kind);
      if (g_str_equal (kind, "pause"))
        g_assert_nonnull (strstr (detail, "recess"));
      /* The text, and who added it: the room's token. */
      if (g_str_equal (kind, "marker"))
        g_assert_cmpstr (detail, ==, "{\"text\":\"证人入场 witness sworn\",\"by\":\"room-token\"}");
    }
  g_ptr_array_add (kinds, NULL);
  g_assert_cmpstrv ((const char *const *) kinds->pdata, session_kinds);

  sessions = client_json (room, "sessions", "--json");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sessions)), ==, 1);
  session = json_array_get_object_element (json_node_get_array (sessions), 0);
  g_assert_cmpint (json_object_get_int_member (session, "id"), ==, session_id);
  g_assert_cmpstr (json_object_get_string_member (session, "case"), ==, CASE_NO);
  g_assert_cmpstr (json_object_get_string_member (session, "state"), ==, "stopped");
  g_assert_nonnull (json_object_get_string_member (session, "stopped"));
}

static void
test_sessions_by_case (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autoptr (JsonNode) found = NULL;
  g_autoptr (JsonNode) other = NULL;
  g_autofree char *out = NULL;
  JsonArray *array;

  g_assert_cmpint (cr_test_client (room, NULL, NULL, "start", "--case", CASE_NO, NULL), ==, 0);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);

  /* Half-width brackets, spaces and a leading zero: the same case. */
  found = client_json (room, "sessions", "--case", "( 2026 ) 浙1022 民初 0123 号", "--json");
  array = json_node_get_array (found);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                  "case"), ==, CASE_NO);

  other = client_json (room, "sessions", "--case", "(2026)浙1022民初124号", "--json");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (other)), ==, 0);

  /* The human form has the case in a row of its own. */
  g_assert_cmpint (cr_test_client (room, &out, NULL, "sessions", "--case",
                                   "(2026)浙1022民初123号", NULL), ==, 0);
  g_assert_nonnull (strstr (out, CASE_NO));
  g_assert_nonnull (strstr (out, "stopped"));
}

static void
test_malformed_case (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *err = NULL;
  g_autofree char *body = NULL;
  g_autoptr (JsonObject) error = NULL;

  g_assert_cmpint (cr_test_client (room, NULL, &err, "start", "--case",
                                   "[2026]浙1022民初123号", NULL), ==, 2);
  g_assert_true (g_str_has_prefix (err, "courtrec: "));
  g_assert_nonnull (strstr (err, "round"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (cr_test_client (room, NULL, &err, "start", "--case",
                                   "（2026）浙1022民初123", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "号"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (cr_test_client (room, NULL, &err, "sessions", "--case", "nonsense", NULL), ==, 2);

  /* The daemon checks the number itself too. */
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/start", room->token,
                                  "{\"case\":\"[2026]浙1022民初123号\"}", &body), ==, 400);
  error = api_error (body, "invalid");
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "round"));

  assert_state (room, "standby");
  g_assert_cmpuint (count_sessions (room), ==, 0);
}

static void
test_bad_usage (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *bad_config = g_build_filename (room->dir, "bad.conf", NULL);
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  const char *help_argv[] = { courtrec, "--help", NULL };
  const char *bad_config_argv[] = { courtrec, "-c", bad_config, "status", NULL };
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (cr_test_client (room, NULL, &err, "frobnicate", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "frobnicate"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, NULL), ==, 2);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", "now", NULL), ==, 2);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "events", NULL), ==, 2);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "events", "first", NULL), ==, 2);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "mark", NULL), ==, 2);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "start", NULL), ==, 2);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "status", "--bogus", NULL), ==, 2);

  g_assert_cmpint (cr_test_run (&out, NULL, help_argv), ==, 0);
  for (const char *const *verb = (const char *const[]) { "start", "pause", "resume", "stop",
                                                          "mark", "status", "sessions",
                                                          "events", NULL };
       *verb != NULL; verb++)
    g_assert_nonnull (strstr (out, *verb));

  g_file_set_contents (bad_config, "[room]\nid = x\ncolour = blue\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cr_test_run (NULL, &err, bad_config_argv), ==, 2);
  g_assert_nonnull (strstr (err, "bad.conf"));

  assert_state (room, "standby");
}

static void
test_daemon_down (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *endpoint = g_strdup_printf ("127.0.0.1:%u", room->port);
  g_autofree char *id_text = NULL;
  g_autoptr (JsonNode) sessions = NULL;
  g_autoptr (JsonNode) events = NULL;
  int wait_status;

  g_assert_cmpint (cr_test_client (room, NULL, NULL, "start", "--case", CASE_NO, NULL), ==, 0);
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, current_session_id (room));
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "mark", "before the stop", NULL), ==, 0);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);

  wait_status = cr_test_room_signal (room, SIGTERM, 20);
  g_assert_cmpint (wait_status, !=, -1);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);

  sessions = client_json (room, "sessions", "--json");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sessions)), ==, 1);
  events = client_json (room, "events", id_text, "--json");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (events)), >=, 3);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "sessions", NULL), ==, 0);
  g_assert_nonnull (strstr (out, CASE_NO));

  g_assert_cmpint (cr_test_client (room, NULL, &err, "status", NULL), ==, 1);
  g_test_message ("status with the daemon down: %s", err);
  g_assert_nonnull (strstr (err, "courtrecd for room test-room is not answering on"));
  g_assert_nonnull (strstr (err, endpoint));
}

static void
test_malformed_json (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  struct {
    const char *path;
    const char *body;
    const char *says;   /* in the message */
  } cases[] = {
    { "/api/v1/session/start", "{\"case\":", "JSON" },
    { "/api/v1/session/start", "[\"" CASE_NO "\"]", "object" },
    { "/api/v1/session/start", "{}", "\"case\"" },
    { "/api/v1/session/start", "{\"case\":2026}", "\"case\"" },
    { "/api/v1/session/start", "{\"case\":\"" CASE_NO "\",\"title\":7}", "\"title\"" },
    { "/api/v1/session/start", "{\"case\":\"" CASE_NO "\",\"titel\":\"x\"}", "\"titel\"" },
    { "/api/v1/session/pause", "{\"reason\":null}", "\"reason\"" },
    { "/api/v1/session/markers", "{\"txt\":\"x\"}", "\"txt\"" },
    { "/api/v1/session/stop", "not json", "JSON" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = NULL;
      g_autoptr (JsonObject) error = NULL;
      const char *message;

      g_test_message ("POST %s %s", cases[i].path, cases[i].body);
      g_assert_cmpuint (cr_test_http (room, "POST", cases[i].path, room->token,
                                      cases[i].body, &body), ==, 400);
      error = api_error (body, "invalid");
      message = json_object_get_string_member (error, "message");
      g_test_message ("  -> %s", message);
      g_assert_nonnull (strstr (message, cases[i].says));
    }
  assert_state (room, "standby");
  g_assert_cmpuint (count_sessions (room), ==, 0);
}

static void
test_unknown_path (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *body = NULL;
  g_autofree char *allow = NULL;
  g_autoptr (JsonObject) error = NULL;
  g_autoptr (JsonObject) wrong_method = NULL;

  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/sessoin/start", room->token,
                                  NULL, &body), ==, 404);
  error = api_error (body, "not-found");
  g_clear_pointer (&body, g_free);

  g_assert_cmpuint (http_header (room, "GET", "/api/v1/session/start", room->token,
                                 "Allow", &allow, &body), ==, 405);
  g_assert_cmpstr (allow, ==, "POST");
  wrong_method = api_error (body, "method-not-allowed");
  assert_state (room, "standby");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/courtrec/api/" path, Fixture, NULL, set_up, func, tear_down)
  ADD ("unauthorized", test_unauthorized);
  ADD ("start-twice", test_start_twice);
  ADD ("bad-pause-reason", test_bad_pause_reason);
  ADD ("session-events", test_session_events);
  ADD ("sessions-by-case", test_sessions_by_case);
  ADD ("malformed-case", test_malformed_case);
  ADD ("bad-usage", test_bad_usage);
  ADD ("daemon-down", test_daemon_down);
  ADD ("malformed-json", test_malformed_json);
  ADD ("unknown-path", test_unknown_path);
#undef ADD

  return g_test_run ();
}
