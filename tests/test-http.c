/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-http.c: courtrecd's listeners under a crowd and under attack, as a
 * court's IT would try them: thousands of requests and idle connections
 * while a hearing records, bodies too large or without a token, broken
 * JSON, one greedy client, silent clients, and a process out of
 * descriptors. The recording is checked afterwards with ffprobe. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "archive/segment-index.h"
#include "recorder/http-server.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初77号"

static guint
open_descriptors (guint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static guint64
rss_kb (guint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

/* Runs tests/fixtures/http-flood.py with @args; its JSON answer. */
static JsonObject *
flood (const char *const *args)
{
  g_autofree char *script = cr_test_top_path ("tests/fixtures/http-flood.py");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, "python3");
  g_ptr_array_add (argv, script);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (cr_test_run (&out, &err, (const char *const *) argv->pdata) != 0)
    g_error ("http-flood.py failed: %s", err);
  g_test_message ("http-flood %s: %s", args[0], out);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static guint
count_of (JsonObject *statuses, const char *kind, const char *code)
{
  JsonObject *codes = json_object_get_object_member (statuses, kind);
  g_assert_nonnull (codes);
  return json_object_get_int_member_with_default (codes, code, 0);
}

typedef struct {
  guint pid;
  guint limit;
  guint16 ports[2];
} Descriptors;

/* TCP connections still open on the daemon's side of @port (ss). */
static guint
connections_on (guint16 port)
{
  g_autofree char *filter = g_strdup_printf ("sport = :%u", port);
  /* TIME-WAIT is the kernel's, not a descriptor of the daemon. */
  const char *argv[] = { "ss", "-Htn", "state", "established", "state", "close-wait",
                         "state", "syn-recv", filter, NULL };
  g_autofree char *out = NULL;
  guint n = 0;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  for (const char *c = out; *c != '\0'; c++)
    n += *c == '\n';
  return n;
}

static gboolean
descriptors_back (gpointer data)
{
  Descriptors *d = data;
  return open_descriptors (d->pid) <= d->limit && connections_on (d->ports[0]) == 0 &&
         connections_on (d->ports[1]) == 0;
}

/* --- a crowd while recording ------------------------------------------------ */

/* A [public] group of a test's own says "listen = 127.0.0.1:PUBLIC": put
 * the room's public port in. */
static void
put_public_port (CrTestRoom *room)
{
  g_autofree char *conf = NULL;
  g_autofree char *port = g_strdup_printf ("%u", room->public_port);
  g_autoptr (GString) text = NULL;

  g_assert_true (g_file_get_contents (room->config_path, &conf, NULL, NULL));
  text = g_string_new (conf);
  g_string_replace (text, "PUBLIC", port, 0);
  g_assert_true (g_file_set_contents (room->config_path, text->str, -1, NULL));
}

static void
test_crowd_while_recording (void)
{
  /* Per-client limits out of the way: here every request is one client
   * (127.0.0.1), and all of them must be served. */
  CrTestRoom *room = cr_test_room_new (10, "[public]\nlisten = 127.0.0.1:PUBLIC\n"
                                           "max_connections_per_client = 65536\n"
                                           "requests_per_second_per_client = 100000\n");
  g_autofree char *pid_text = NULL, *api_port = NULL, *public_port = NULL;
  g_autoptr (JsonObject) crowd = NULL;
  g_autoptr (JsonObject) idle_public = NULL;
  g_autoptr (JsonObject) idle_api = NULL;
  g_autofree char *out = NULL;
  JsonObject *statuses;
  const char *kinds[] = { "public-page", "public-state", "api-token", "api-no-token" };
  const char *expected[] = { "200", "200", "200", "401" };
  Descriptors back;
  guint baseline;
  gint64 session_id;
  gint64 started_us;

  put_public_port (room);

  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  started_us = g_get_monotonic_time ();
  back.pid = cr_test_room_pid (room);
  baseline = open_descriptors (back.pid);
  pid_text = g_strdup_printf ("%u", back.pid);
  api_port = g_strdup_printf ("%u", room->port);
  public_port = g_strdup_printf ("%u", room->public_port);

  {
    /* 625 rounds of 8 kinds: 5,000 requests, 32 at a time: within the
     * API's cap of 64 even while closed connections are being let go. */
    const char *args[] = { "requests", pid_text, api_port, public_port, room->token, "625",
                           "32", NULL };
    crowd = flood (args);
  }
  g_assert_cmpint (json_object_get_int_member (crowd, "failures"), ==, 0);
  statuses = json_object_get_object_member (crowd, "statuses");
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint keep = 0; keep < 2; keep++)
      {
        g_autofree char *kind = g_strdup_printf ("%s/%s", kinds[k], keep ? "keep-alive" : "close");
        /* 625 rounds: the odd ones close, the even ones keep alive. */
        g_assert_cmpuint (count_of (statuses, kind, expected[k]), ==, keep ? 313 : 312);
      }

  {
    const char *args[] = { "idle", pid_text, public_port, "2000", "3", NULL };
    idle_public = flood (args);
  }
  {
    const char *args[] = { "idle", pid_text, api_port, "300", "3", NULL };
    idle_api = flood (args);
  }
  /* Beyond its cap a listener answers at once and closes: the daemon
   * never holds more than the caps (512 public, 64 control) and what it
   * is draining. */
  g_assert_cmpint (json_object_get_int_member (idle_public, "refused_at_once"), >=, 2000 - 512 - 8);
  g_assert_cmpint (json_object_get_int_member (idle_api, "refused_at_once"), >=, 300 - 64 - 8);
  g_assert_cmpint (json_object_get_int_member (idle_public, "max_fds"), <=,
                   baseline + 512 + 64 + 2 * 64 + 16);
  g_assert_cmpint (json_object_get_int_member (crowd, "max_fds"), <=, baseline + 2 * 64 + 16);

  /* Every connection is closed and its descriptor back once the clients
   * are gone (a few more for the recording's own: the next segment file,
   * a muxer's thread, a pipeline's poll pair); no TCP connection stays. */
  back.limit = baseline + 8;
  back.ports[0] = room->port;
  back.ports[1] = room->public_port;
  if (!cr_test_wait_until (descriptors_back, &back, 15000))
    {
      g_autofree char *listing = NULL;
      g_autofree char *fd_dir = g_strdup_printf ("/proc/%u/fd", back.pid);
      const char *argv[] = { "ls", "-l", fd_dir, NULL };
      cr_test_run (&listing, NULL, argv);
      g_test_message ("%u descriptors, %u at the start:\n%s", open_descriptors (back.pid),
                      baseline, listing);
      g_assert_not_reached ();
    }

  /* The API still answers, and the hearing went on without a gap. */
  g_assert_cmpint (cr_test_client (room, &out, NULL, "status", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "recording"));
  /* Past the first segment boundary (10 s), so that the check below
   * sees two files meet. */
  while (g_get_monotonic_time () - started_us < 13 * G_USEC_PER_SEC)
    g_usleep (G_USEC_PER_SEC / 10);
  cr_test_stop_and_wait (room, session_id);
  cr_test_assert_recording_whole (room, session_id, 2);
  cr_test_room_free (room);
}

/* --- refused at the headers ----------------------------------------------- */

typedef struct {
  char *status_line;
  char *body;
  double seconds;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->status_line, g_free);
  g_clear_pointer (&answer->body, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

/* Sends @head, then up to @body_bytes of filler (without waiting for it
 * to be taken), and reads the answer. */
static void
exchange (guint16 port, const char *head, const char *body, gsize body_bytes, Answer *answer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GString) received = g_string_new (NULL);
  GSocket *socket;
  gint64 started = g_get_monotonic_time ();
  static char filler[65536];
  gsize sent = 0;
  char buffer[4096];
  char *split;

  memset (filler, 'x', sizeof filler);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (connection);
  g_socket_set_timeout (socket, 10);
  g_assert_true (g_socket_send (socket, head, strlen (head), NULL, NULL) == (gssize) strlen (head));
  if (body != NULL)
    g_socket_send (socket, body, strlen (body), NULL, NULL);
  /* Push filler while the server lets us, never blocking long: a server
   * that refuses stops reading. */
  while (sent < body_bytes)
    {
      g_autoptr (GError) send_error = NULL;
      gssize n = g_socket_send_with_blocking (socket, filler, MIN (sizeof filler, body_bytes - sent),
                                              FALSE, NULL, &send_error);
      if (n <= 0)
        {
          if (g_error_matches (send_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
              g_socket_condition_timed_wait (socket, G_IO_OUT, 50000, NULL, NULL) &&
              g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0)
            continue;
          break;
        }
      sent += n;
      if (g_socket_condition_check (socket, G_IO_IN) != 0)
        break;
    }
  for (;;)
    {
      gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
      if (n <= 0)
        break;
      g_string_append_len (received, buffer, n);
    }
  answer->seconds = (g_get_monotonic_time () - started) / 1e6;
  split = strstr (received->str, "\r\n");
  answer->status_line = split != NULL ? g_strndup (received->str, split - received->str)
                                      : g_strdup (received->str);
  split = strstr (received->str, "\r\n\r\n");
  answer->body = g_strdup (split != NULL ? split + 4 : "");
}

static void
test_refused_at_headers (void)
{
  CrTestRoom *room = cr_test_room_new (10, NULL);
  g_auto (Answer) answer = { 0 };
  g_autofree char *with_token = NULL;
  guint64 rss_before, rss_after;
  guint pid;

  cr_test_room_start (room);
  pid = cr_test_room_pid (room);
  rss_before = rss_kb (pid);

  /* 1 GB without a token: refused at once, none of it kept. */
  exchange (room->port, "POST /api/v1/session/markers HTTP/1.1\r\nHost: t\r\n"
                        "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n",
            NULL, 256 * 1024 * 1024, &answer);
  g_assert_cmpstr (answer.status_line, ==, "HTTP/1.1 401 Unauthorized");
  g_assert_nonnull (strstr (answer.body, "\"unauthorized\""));
  g_assert_cmpfloat (answer.seconds, <, 3.0);
  rss_after = rss_kb (pid);
  g_test_message ("RSS %" G_GUINT64_FORMAT " kB before, %" G_GUINT64_FORMAT " kB after",
                  rss_before, rss_after);
  g_assert_cmpuint (rss_after, <, rss_before + 16 * 1024);
  answer_clear (&answer);

  /* 8 GB announced with the token: too large, said before any body. */
  with_token = g_strdup_printf ("POST /api/v1/session/markers HTTP/1.1\r\nHost: t\r\n"
                                "Authorization: Bearer %s\r\nContent-Length: 8589934592\r\n\r\n",
                                room->token);
  exchange (room->port, with_token, NULL, 0, &answer);
  g_assert_cmpstr (answer.status_line, ==, "HTTP/1.1 413 Request Entity Too Large");
  g_assert_nonnull (strstr (answer.body, "8589934592 bytes, at most 131072"));
  answer_clear (&answer);
  g_clear_pointer (&with_token, g_free);

  /* A body without its length. */
  with_token = g_strdup_printf ("POST /api/v1/session/markers HTTP/1.1\r\nHost: t\r\n"
                                "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5\r\nhello\r\n", room->token);
  exchange (room->port, with_token, NULL, 0, &answer);
  g_assert_cmpstr (answer.status_line, ==, "HTTP/1.1 411 Length Required");
  answer_clear (&answer);
  g_clear_pointer (&with_token, g_free);

  /* A public page takes no body at all. */
  exchange (room->public_port, "POST /live/ HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n",
            NULL, 1000000, &answer);
  g_assert_cmpstr (answer.status_line, ==, "HTTP/1.1 405 Method Not Allowed");
  answer_clear (&answer);
  exchange (room->public_port, "GET /live/ HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n",
            NULL, 1000000, &answer);
  g_assert_cmpstr (answer.status_line, ==, "HTTP/1.1 413 Request Entity Too Large");
  answer_clear (&answer);

  /* The API answers as before. */
  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/status", room->token, NULL, NULL), ==, 200);
  cr_test_room_free (room);
}

/* --- bodies parsed strictly ---------------------------------------------------- */

/* The "message" of an API error answer. (transfer full) */
static char *
error_message (const char *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *error;

  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  error = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                         "error");
  g_assert_nonnull (error);
  return g_strdup (json_object_get_string_member (error, "message"));
}

static void
test_strict_bodies (void)
{
  CrTestRoom *room = cr_test_room_new (10, NULL);
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (GString) long_text = g_string_new ("{\"text\":\"");
  g_autofree char *reply = NULL;
  gint64 session_id;
  const struct {
    const char *path;
    const char *body;
    const char *says;
  } refused[] = {
    { "/api/v1/session/markers", "{\"text\":\"a\"} {\"text\":\"b\"}", "trailing garbage" },
    { "/api/v1/session/markers", "{\"text\":\"a\" /* note */}", "comment" },
    { "/api/v1/session/markers", "{'text':'a'}", "not valid JSON" },
    { "/api/v1/session/markers", "{\"text\":\"a\",}", "not valid JSON" },
    { "/api/v1/session/markers", "{\"text\":\"a\",\"text\":\"b\"}", "Field \"text\" is given twice" },
    { "/api/v1/session/markers", "{\"text\":{\"a\":1}}", "Field \"text\" must be a string" },
    { "/api/v1/session/markers", "{\"text\":[\"a\"]}", "Field \"text\" must be a string" },
    { "/api/v1/session/markers", "{\"text\":12}", "Field \"text\" must be a string" },
    { "/api/v1/session/markers", "{\"text\":null}", "Field \"text\" must be a string" },
    { "/api/v1/session/markers", "{\"text\":\"a\\u0000b\"}", "Field \"text\" contains a NUL" },
    { "/api/v1/session/markers", "{\"text\":\"a\\u001b[2Jb\"}", "Field \"text\" contains a control character" },
    { "/api/v1/session/markers", "{\"text\":\"line\\nforged\"}", "Field \"text\" contains a control character" },
    { "/api/v1/session/markers", "{\"text\":\"\xff\xfe\"}", "not valid JSON" },
    { "/api/v1/session/markers", "[\"text\"]", "must be a JSON object, not an array" },
    { "/api/v1/session/markers", "\"text\"", "must be a JSON object, not a single value" },
    { "/api/v1/session/markers", "{\"txt\":\"a\"}", "Unknown field \"txt\"" },
    { "/api/v1/session/markers", "{\"te\\u001bxt\":\"a\"}", "Unknown field \"te\\u001bxt\"" },
    { "/api/v1/session/markers", "{}", "Field \"text\" is missing" },
    { "/api/v1/session/pause", "{\"reason\":\"recess\u2028forged\"}", "Field \"reason\" contains a control character" },
    { "/api/v1/layout", "{\"layout\":\"" "0123456789012345678901234567890123456789012345678901234567890123456789" "\"}",
      "Field \"layout\" is too long: at most 64 characters" },
  };

  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);

  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *body = NULL;
      guint status = cr_test_http (room, "POST", refused[i].path, room->token, refused[i].body,
                                   &body);
      g_autofree char *message = NULL;
      g_test_message ("%s %s -> %u %s", refused[i].path, refused[i].body, status, body);
      g_assert_cmpuint (status, ==, 400);
      message = error_message (body);
      g_assert_nonnull (strstr (message, refused[i].says));
      /* The answer itself shows no raw control byte. */
      for (const char *c = body; *c != '\0'; c++)
        g_assert_cmpint ((guchar) *c, >=, 0x20);
    }

  /* 100,000 levels deep, within the size limit: 400, and the daemon lives. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/markers", room->token, deep->str,
                                  &reply), ==, 400);
  g_assert_nonnull (strstr (reply, "not an array"));
  g_clear_pointer (&reply, g_free);
  g_string_truncate (deep, 0);
  for (guint i = 0; i < 50000; i++)
    g_string_append (deep, "{\"text\":");
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/markers", room->token, deep->str,
                                  &reply), ==, 413);
  g_clear_pointer (&reply, g_free);

  /* A marker over 2000 characters is refused; one of 2000 (CJK, 6 kB) is kept. */
  for (guint i = 0; i < 2001; i++)
    g_string_append (long_text, "证");
  g_string_append (long_text, "\"}");
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/markers", room->token,
                                  long_text->str, &reply), ==, 400);
  g_assert_nonnull (strstr (reply, "at most 2000 characters"));
  g_clear_pointer (&reply, g_free);
  g_string_erase (long_text, long_text->len - strlen ("证\"}"), strlen ("证"));
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/markers", room->token,
                                  long_text->str, &reply), ==, 200);

  cr_test_stop_and_wait (room, session_id);
  cr_test_assert_recording_whole (room, session_id, 1);
  cr_test_room_free (room);
}

/* --- one greedy client ----------------------------------------------------------- */

static void
test_per_client_limits (void)
{
  /* The defaults, as a court that leaves them alone has them. */
  CrTestRoom *room = cr_test_room_new (10, "[public]\nlisten = 127.0.0.1:PUBLIC\n");
  g_autofree char *pid_text = NULL, *public_port = NULL, *api_port = NULL;
  g_autoptr (JsonObject) crowd = NULL;
  g_autoptr (JsonObject) idle = NULL;
  JsonObject *statuses;

  put_public_port (room);
  cr_test_room_start (room);
  pid_text = g_strdup_printf ("%u", cr_test_room_pid (room));
  public_port = g_strdup_printf ("%u", room->public_port);
  api_port = g_strdup_printf ("%u", room->port);

  /* 100 quick public requests (and 100 to the API) from one client: the
   * default 20 a second in bursts of 40 serves the burst and what the
   * rate refills, and answers the rest 429; the API, on its own
   * listener, serves every one. */
  {
    const char *args[] = { "requests", pid_text, api_port, public_port, room->token, "50", "32",
                           NULL };
    crowd = flood (args);
  }
  statuses = json_object_get_object_member (crowd, "statuses");
  g_assert_cmpint (json_object_get_int_member (crowd, "failures"), ==, 0);
  g_assert_cmpuint (count_of (statuses, "api-token/close", "200"), ==, 25);
  g_assert_cmpuint (count_of (statuses, "api-token/keep-alive", "200"), ==, 25);
  {
    const char *public_kinds[] = { "public-page/close", "public-state/close",
                                   "public-page/keep-alive", "public-state/keep-alive" };
    guint served = 0, refused = 0;
    double seconds = json_object_get_double_member (crowd, "seconds");

    for (guint i = 0; i < G_N_ELEMENTS (public_kinds); i++)
      {
        served += count_of (statuses, public_kinds[i], "200");
        refused += count_of (statuses, public_kinds[i], "429");
      }
    g_assert_cmpuint (served + refused, ==, 100);
    g_assert_cmpuint (served, >=, 40);
    g_assert_cmpfloat (served, <=, 40 + 20 * seconds + 2);
    g_assert_cmpuint (refused, >, 0);
  }

  /* 100 idle connections from one client: 16 are held, the others
   * answered 429 at once. */
  {
    const char *args[] = { "idle", pid_text, public_port, "100", "1", NULL };
    idle = flood (args);
  }
  g_assert_cmpint (json_object_get_int_member (idle, "refused_at_once"), >=, 100 - 16);
  cr_test_room_free (room);
}

/* --- silent clients -------------------------------------------------------------- */

static void
test_deadlines (void)
{
  CrTestRoom *room = cr_test_room_new (10, NULL);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) silent = NULL;
  g_autoptr (GSocketConnection) slow = NULL;
  g_autoptr (GError) error = NULL;
  gint64 started;
  char byte;
  gssize n;

  cr_test_room_start (room);
  silent = g_socket_client_connect_to_host (client, "127.0.0.1", room->public_port, NULL, &error);
  g_assert_no_error (error);
  slow = g_socket_client_connect_to_host (client, "127.0.0.1", room->port, NULL, &error);
  g_assert_no_error (error);
  started = g_get_monotonic_time ();
  /* One byte of headers a second: never done. */
  for (guint i = 0; i < 14; i++)
    {
      GSocket *socket = g_socket_connection_get_socket (slow);
      if (g_socket_send (socket, "G", 1, NULL, NULL) != 1)
        break;
      g_usleep (G_USEC_PER_SEC);
      if (g_socket_condition_check (socket, G_IO_IN | G_IO_HUP) != 0)
        break;
    }
  g_socket_set_timeout (g_socket_connection_get_socket (silent), 20);
  n = g_socket_receive (g_socket_connection_get_socket (silent), &byte, 1, NULL, NULL);
  /* Closed (0) by the server at the header deadline, 10 s. */
  g_assert_cmpint (n, <=, 0);
  g_assert_cmpfloat ((g_get_monotonic_time () - started) / 1e6, <, 14.0);
  g_socket_set_timeout (g_socket_connection_get_socket (slow), 5);
  n = g_socket_receive (g_socket_connection_get_socket (slow), &byte, 1, NULL, NULL);
  g_assert_cmpint (n, <=, 0);
  cr_test_room_free (room);
}

/* --- out of descriptors ----------------------------------------------------------- */

static void
serve_ok (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
          gpointer data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok\n", 3);
}

typedef struct {
  GSocket *socket;
  GString *received;
} Client;

static gboolean
client_answered (gpointer data)
{
  Client *client = data;
  char buffer[256];
  gssize n = g_socket_receive_with_blocking (client->socket, buffer, sizeof buffer, FALSE, NULL,
                                             NULL);
  if (n > 0)
    g_string_append_len (client->received, buffer, n);
  return n == 0;
}

static void
test_out_of_descriptors (void)
{
  CrHttpLimits limits = { "test", 16, 0, 0, 5000, 5000 };
  g_autoptr (CrHttpServer) server = cr_http_server_new (&limits, NULL, NULL);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GArray) spare = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) received = g_string_new (NULL);
  guint16 port = cr_test_free_port ();
  struct rlimit saved, low;
  const char *request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  Client client = { NULL, received };
  int fd;

  soup_server_add_handler (cr_http_server_get_soup (server), NULL, serve_ok, NULL, NULL);
  g_assert_true (cr_http_server_listen (server, "127.0.0.1", port, &error));
  g_assert_no_error (error);

  /* The client's socket exists before the descriptors run out: connect()
   * needs none of its own. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", port);

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  low = saved;
  low.rlim_cur = 256;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  while ((fd = dup (0)) >= 0)
    g_array_append_val (spare, fd);
  g_assert_cmpint (errno, ==, EMFILE);

  /* The listener warns that it ran out of descriptors: that is this
   * test, not a failure of it. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_socket_connect (socket, address, NULL, NULL);
  g_socket_condition_timed_wait (socket, G_IO_OUT, G_USEC_PER_SEC, NULL, NULL);
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, NULL), ==,
                   strlen (request));
  /* accept() fails for a while: nothing is served, nothing spins. */
  client.socket = socket;
  g_assert_false (cr_test_wait_until (client_answered, &client, 1000));
  g_assert_cmpuint (received->len, ==, 0);

  /* Descriptors come free: the listener takes the waiting client by
   * itself. */
  for (guint i = 0; i < spare->len; i++)
    close (g_array_index (spare, int, i));
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_assert_true (cr_test_wait_until (client_answered, &client, 3000));
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_assert_true (g_str_has_prefix (received->str, "HTTP/1.1 200 OK"));
  g_assert_nonnull (strstr (received->str, "Connection: close"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/http/crowd-while-recording", test_crowd_while_recording);
  g_test_add_func ("/courtrec/http/refused-at-headers", test_refused_at_headers);
  g_test_add_func ("/courtrec/http/strict-bodies", test_strict_bodies);
  g_test_add_func ("/courtrec/http/per-client-limits", test_per_client_limits);
  g_test_add_func ("/courtrec/http/deadlines", test_deadlines);
  g_test_add_func ("/courtrec/http/out-of-descriptors", test_out_of_descriptors);
  return g_test_run ();
}
