/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-console.c: the operator console against a real courtrecd: the
 * preview pictures (ffprobe judges them), the event stream and its bounds
 * (many streams, a client that never reads, with the recording's frames
 * counted by ffprobe meanwhile), and the page itself in headless chromium
 * (tests/console-page.mjs), with the session's ledger read back by
 * sqlite3 and the screenshots by ffmpeg.
 *
 * Screenshots are kept in $CR_ARTIFACTS/console, or else in
 * $CR_BUILD/artifacts/console. */
#include "archive/segment-index.h"
#include "schedule/hearing-store.h"
#include "tests/test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#define TYPED_CASE "(2026)浙1022刑初123号"
#define CANONICAL_CASE "（2026）浙1022刑初123号"
#define FPS 25

/* Two test cameras, a tone and a microphone that beeps (test:sync). */
#define TWO_CAMERAS \
  "[video]\nwidth = 640\nheight = 360\nframerate = 25\nbitrate_kbps = 500\n\n" \
  "[camera judge]\nsource = test\nlabel = 审判长\n\n" \
  "[camera clerk]\nsource = test\nlabel = 书记员\n\n" \
  "[microphone judge]\nsource = test\nlabel = 审判长\n\n" \
  "[microphone clerk]\nsource = test:sync\nlabel = 书记员\n\n"

/* ---- HTTP --------------------------------------------------------------- */

typedef struct {
  guint status;
  GBytes *body;
  SoupMessageHeaders *headers;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static void
request (CrTestRoom *room, const char *method, const char *path, const char *json,
         Reply *reply)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", room->port, path);
  g_autoptr (SoupMessage) message = soup_message_new (method, uri);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", room->token);

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                auth);
  if (json != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (json, strlen (json));
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  reply->body = soup_session_send_and_read (session, message, NULL, NULL);
  reply->status = soup_message_get_status (message);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
}

/* An event stream opened by hand: the request written, nothing read. */
static GSocketConnection *
open_live (CrTestRoom *room, int receive_buffer)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: Bearer %s\r\n"
                                           "Accept: text/event-stream\r\n\r\n", room->token);
  GSocketConnection *conn;
  GSocket *socket;

  /* A small receive buffer must be set before connecting (the window is
   * agreed then): a client that never reads fills it at once. */
  if (receive_buffer > 0)
    {
      g_autoptr (GSocket) early = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, &error);
      g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, room->port);
      g_assert_no_error (error);
      g_assert_true (g_socket_set_option (early, SOL_SOCKET, SO_RCVBUF, receive_buffer, &error));
      g_assert_true (g_socket_connect (early, address, NULL, &error));
      g_assert_no_error (error);
      conn = g_socket_connection_factory_create_connection (early);
    }
  else
    {
      conn = g_socket_client_connect_to_host (client, "127.0.0.1", room->port, NULL, &error);
      g_assert_no_error (error);
    }
  socket = g_socket_connection_get_socket (conn);
  g_assert_cmpint (g_socket_send (socket, text, strlen (text), NULL, &error), ==,
                   (gssize) strlen (text));
  g_assert_no_error (error);
  return conn;
}

/* What @conn sends within @ms, appended to @into; FALSE once it closed. */
static gboolean
read_for (GSocketConnection *conn, guint ms, GString *into)
{
  GSocket *socket = g_socket_connection_get_socket (conn);
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      char buffer[8192];
      gint64 left = until - g_get_monotonic_time ();
      gssize n;

      if (left <= 0)
        return TRUE;
      if (!g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP, left, NULL, NULL))
        return TRUE;
      n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
      if (n <= 0)
        return FALSE;
      g_string_append_len (into, buffer, n);
    }
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* A preview picture: the first comes once the capture runs and once the
 * branch, shut while nobody looks, has opened: asked again for up to
 * 10 s while the answer is 503. */
static void
get_preview (CrTestRoom *room, const char *name, Reply *reply)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/preview/%s.jpg", name);

  for (guint i = 0; i < 100; i++)
    {
      reply_clear (reply);
      request (room, "GET", path, NULL, reply);
      if (reply->status != 503)
        return;
      g_usleep (100 * 1000);
    }
  g_error ("no preview of %s within 10 s", name);
}

/* ---- judges ------------------------------------------------------------- */

static JsonObject *
probe_jpeg (const char *dir, const char *name, GBytes *jpeg)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  JsonObject *probe;

  g_file_set_contents (path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), &error);
  g_assert_no_error (error);
  probe = cr_test_ffprobe (path, FALSE);
  g_assert_nonnull (probe);
  return probe;
}

static JsonObject *
first_stream (JsonObject *probe)
{
  return json_array_get_object_element (json_object_get_array_member (probe, "streams"), 0);
}

/* The screenshot is a picture of @width x @height (ffprobe) with a page
 * on it, not a blank: decoded by ffmpeg to grey, its values spread. */
static void
assert_screenshot (const char *path, gint64 width, gint64 height)
{
  g_autoptr (JsonObject) probe = cr_test_ffprobe (path, FALSE);
  g_autofree char *raw = g_strconcat (path, ".gray", NULL);
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path,
                         "-f", "rawvideo", "-pix_fmt", "gray", raw, NULL };
  g_autofree guint8 *pixels = NULL;
  gsize size = 0;
  guint histogram[256] = { 0 };
  guint levels = 0;
  double mean = 0, variance = 0;

  g_assert_nonnull (probe);
  g_assert_cmpint (json_object_get_int_member (first_stream (probe), "width"), ==, width);
  g_assert_cmpint (json_object_get_int_member (first_stream (probe), "height"), ==, height);
  g_assert_cmpint (cr_test_run (NULL, NULL, argv), ==, 0);
  g_assert_true (g_file_get_contents (raw, (char **) &pixels, &size, NULL));
  g_assert_cmpuint (size, ==, (gsize) (width * height));
  for (gsize i = 0; i < size; i++)
    {
      histogram[pixels[i]]++;
      mean += pixels[i];
    }
  mean /= size;
  for (gsize i = 0; i < size; i++)
    variance += (pixels[i] - mean) * (pixels[i] - mean);
  variance /= size;
  for (guint v = 0; v < 256; v++)
    levels += histogram[v] > size / 10000;
  g_test_message ("%s: %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT ", %u grey levels, "
                  "mean %.1f, deviation %.1f", path, width, height, levels, mean, sqrt (variance));
  g_assert_cmpuint (levels, >, 32);
  g_assert_cmpfloat (sqrt (variance), >, 20.0);
  g_unlink (raw);
}

/* sqlite3, the independent reader of the index: "kind|detail" per event
 * of @session_id, in the order written. */
static char **
ledger (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *db = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *sql = g_strdup_printf ("SELECT kind || '|' || coalesce(detail, '') FROM "
                                          "events WHERE session_id = %" G_GINT64_FORMAT
                                          " ORDER BY id", session_id);
  const char *argv[] = { "sqlite3", "-readonly", db, sql, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strsplit (g_strchomp (out), "\n", -1);
}

static const char *
find_line (char **lines, const char *prefix, const char *contains)
{
  for (char **line = lines; *line != NULL; line++)
    if (g_str_has_prefix (*line, prefix) && (contains == NULL || strstr (*line, contains)))
      return *line;
  return NULL;
}

/* The recording's video frames against its length: a frame the console
 * cost would be missing here. */
static void
assert_no_frame_lost (CrTestRoom *room, gint64 session_id)
{
  g_autoptr (GPtrArray) rows = cr_test_wait_closed (room, session_id, 1);
  double frames = 0, duration = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, TRUE);
      JsonArray *streams = json_object_get_array_member (probe, "streams");

      for (guint s = 0; s < json_array_get_length (streams); s++)
        {
          JsonObject *stream = json_array_get_object_element (streams, s);
          if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
            frames += g_ascii_strtod (json_object_get_string_member (stream, "nb_read_frames"),
                                      NULL);
        }
      duration += g_ascii_strtod (json_object_get_string_member (
          json_object_get_object_member (probe, "format"), "duration"), NULL);
    }
  g_test_message ("recorded %.0f frames in %.2f s: %.2f fps", frames, duration,
                  frames / duration);
  g_assert_cmpfloat_with_epsilon (frames / FPS, duration, 0.1);
  {
    g_auto (GStrv) lines = ledger (room, session_id);
    g_assert_null (find_line (lines, "gap|", NULL));
  }
}

/* ---- the page ----------------------------------------------------------- */

static char *
artifacts_dir (void)
{
  const char *base = g_getenv ("CR_ARTIFACTS");
  g_autofree char *build = base == NULL ? cr_test_build_path ("artifacts") : NULL;
  char *dir = g_build_filename (base != NULL ? base : build, "console", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return dir;
}

/* An account for the page: `courtrec user add NAME --role ROLE
 * --password-stdin` when the build has accounts; FALSE otherwise, and the
 * page then logs in with the room's token, the room's administrator. */
static gboolean
add_user (CrTestRoom *room, const char *name, const char *role, const char *password)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  g_autofree char *input = g_strdup_printf ("%s\n", password);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, courtrec, "-c", room->config_path,
                                         "user", "add", name, "--role", role,
                                         "--password-stdin", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error));
  g_test_message ("courtrec user add %s --role %s: %s%s", name, role, out, err);
  return g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0;
}

/* tests/console-page.mjs @scenario, with the login given, asserting it
 * exits 0. (transfer full): its JSON summary. */
static JsonObject *
run_page (CrTestRoom *room, const char *scenario, const char *user, const char *password,
          const char *extra_arg)
{
  g_autofree char *script = cr_test_top_path ("tests/console-page.mjs");
  g_autofree char *page_url = g_strdup_printf ("http://127.0.0.1:%u/console/", room->port);
  g_autofree char *login = user != NULL ? g_strdup_printf ("--user=%s", user)
                                        : g_strdup_printf ("--token=%s", room->token);
  g_autofree char *pass = password != NULL ? g_strdup_printf ("--password=%s", password)
                                           : g_strdup ("--password=");
  g_autofree char *dir = artifacts_dir ();
  g_autofree char *artifacts = g_strdup_printf ("--artifacts=%s", dir);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "node", script, page_url, scenario, login, pass, artifacts,
                         extra_arg, NULL };
  g_autoptr (JsonParser) parser = json_parser_new ();
  gint64 started = g_get_monotonic_time ();
  int status = cr_test_run (&out, &err, argv);

  g_test_message ("console-page.mjs %s (%.1f s): %s%s", scenario,
                  (g_get_monotonic_time () - started) / 1e6, out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* ---- tests -------------------------------------------------------------- */

/* The previews, the case-number check and the page's files, by HTTP. */
static void
test_routes (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, TWO_CAMERAS
      "[console]\nbookmarks = 宣布开庭; 法庭调查 ;;宣判\n");
  g_auto (Reply) first = { 0 };
  g_auto (Reply) second = { 0 };
  g_auto (Reply) camera = { 0 };
  g_auto (Reply) missing = { 0 };
  g_auto (Reply) check = { 0 };
  g_auto (Reply) bad = { 0 };
  g_auto (Reply) page = { 0 };
  g_auto (Reply) moved = { 0 };
  g_autoptr (JsonObject) probe = NULL;
  g_autoptr (JsonObject) camera_probe = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  cr_test_room_start (room);

  get_preview (room, "composed", &first);
  g_assert_cmpuint (first.status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (first.headers, NULL), ==,
                   "image/jpeg");
  g_assert_cmpstr (soup_message_headers_get_one (first.headers, "Cache-Control"), ==,
                   "no-store");
  probe = probe_jpeg (room->dir, "composed.jpg", first.body);
  g_assert_cmpstr (json_object_get_string_member (first_stream (probe), "codec_name"), ==,
                   "mjpeg");
  g_assert_cmpint (json_object_get_int_member (first_stream (probe), "width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (first_stream (probe), "height"), ==, 180);
  /* 2 a second: the next one differs (the clock and the test patterns
   * move). */
  g_usleep (700 * 1000);
  get_preview (room, "composed", &second);
  g_assert_cmpuint (second.status, ==, 200);
  g_assert_false (g_bytes_equal (first.body, second.body));

  /* A camera's own: 320 wide at its tile's shape (the grid of two at
   * 640x360: 320x180 tiles). */
  get_preview (room, "clerk", &camera);
  g_assert_cmpuint (camera.status, ==, 200);
  camera_probe = probe_jpeg (room->dir, "clerk.jpg", camera.body);
  g_assert_cmpint (json_object_get_int_member (first_stream (camera_probe), "width"), ==, 320);

  get_preview (room, "witness", &missing);
  g_assert_cmpuint (missing.status, ==, 404);
  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/preview/composed.jpg", NULL, NULL,
                                  NULL), ==, 401);

  /* The case number as start would record it, and nothing recorded. */
  request (room, "POST", "/api/v1/case-number", "{\"case\":\"" TYPED_CASE "\"}", &check);
  g_assert_cmpuint (check.status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (check.body, NULL),
                                             g_bytes_get_size (check.body), NULL));
  g_assert_cmpstr (json_object_get_string_member (
      json_node_get_object (json_parser_get_root (parser)), "canonical"), ==, CANONICAL_CASE);
  request (room, "POST", "/api/v1/case-number", "{\"case\":\"浙1022刑初\"}", &bad);
  g_assert_cmpuint (bad.status, ==, 400);
  {
    g_autoptr (JsonObject) status = cr_test_status (room);
    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "standby");
  }

  /* The page, which holds nothing of the room, needs no login; it loads
   * nothing from elsewhere and is never framed. */
  request (room, "GET", "/console/", NULL, &page);
  g_assert_cmpuint (page.status, ==, 200);
  g_assert_nonnull (strstr (soup_message_headers_get_one (page.headers,
                                                          "Content-Security-Policy"),
                            "default-src 'self'"));
  g_assert_cmpstr (soup_message_headers_get_one (page.headers, "X-Frame-Options"), ==, "DENY");
  g_assert_cmpuint (cr_test_http (room, "GET", "/console/console.js", NULL, NULL, NULL), ==,
                    200);
  g_assert_cmpuint (cr_test_http (room, "GET", "/console/nothing.js", NULL, NULL, NULL), ==,
                    404);
  g_assert_cmpuint (cr_test_http (room, "POST", "/console/", NULL, "{}", NULL), ==, 405);
  {
    g_autoptr (SoupSession) session = soup_session_new ();
    g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u/console", room->port);
    g_autoptr (SoupMessage) message = soup_message_new ("GET", uri);
    soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
    moved.body = soup_session_send_and_read (session, message, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (message), ==, 301);
  }

  /* The event stream: the room and its bookmarks (trimmed, empty ones
   * dropped), the status, and the levels 10 times a second. */
  {
    g_autoptr (GSocketConnection) conn = open_live (room, 0);
    g_autoptr (GString) got = g_string_new (NULL);
    guint levels;

    g_assert_true (read_for (conn, 300, got));
    g_string_truncate (got, 0);
    g_assert_true (read_for (conn, 2000, got));
    levels = count (got->str, "event: levels\n");
    g_test_message ("%u level frames in 2 s", levels);
    g_assert_cmpuint (levels, >=, 18);
    g_assert_cmpuint (levels, <=, 22);
    g_assert_nonnull (strstr (got->str, "event: status\n"));
    g_assert_nonnull (strstr (got->str, "\"clipping\":false"));
  }
  {
    g_autoptr (GSocketConnection) conn = open_live (room, 0);
    g_autoptr (GString) got = g_string_new (NULL);

    g_assert_true (read_for (conn, 500, got));
    g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 200 OK\r\n"));
    g_assert_nonnull (strstr (got->str, "Content-Type: text/event-stream"));
    g_assert_nonnull (strstr (got->str, "\"bookmarks\":[\"宣布开庭\",\"法庭调查\",\"宣判\"]"));
    g_assert_nonnull (strstr (got->str, "\"cameras\":[{\"name\":\"judge\""));
  }

  /* Unasked for 10 s, the preview shuts; asking opens it again, and a
   * fresh picture (never the stale one) follows within a second. */
  g_usleep (12 * G_USEC_PER_SEC);
  {
    g_auto (Reply) idle = { 0 };
    request (room, "GET", "/api/v1/preview/composed.jpg", NULL, &idle);
    g_assert_cmpuint (idle.status, ==, 503);
    g_assert_cmpstr (soup_message_headers_get_one (idle.headers, "Retry-After"), ==, "1");
  }
  g_usleep (G_USEC_PER_SEC);
  {
    g_auto (Reply) woken = { 0 };
    request (room, "GET", "/api/v1/preview/composed.jpg", NULL, &woken);
    g_assert_cmpuint (woken.status, ==, 200);
  }
}

/* More event streams than the cap: 503 beyond it, a place again once one
 * closes; a client that never reads is cut while the others are fed; and
 * the recording meanwhile loses no frame. */
static void
test_streams_bounded (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, "[console]\nmax_streams = 4\n");
  g_autoptr (GPtrArray) open = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GSocketConnection) deaf = NULL;
  g_autoptr (GSocketConnection) reader = NULL;
  gint64 session_id;
  guint refused = 0;
  gboolean cut = FALSE;
  gint64 deadline;

  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CANONICAL_CASE);

  /* The deaf one first, with a small window: it never reads a byte. */
  deaf = open_live (room, 4096);
  reader = open_live (room, 0);
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (open, open_live (room, 0));
  for (guint i = 0; i < open->len; i++)
    {
      g_autoptr (GString) got = g_string_new (NULL);
      read_for (g_ptr_array_index (open, i), 300, got);
      g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 200 OK\r\n"));
    }
  /* Full: twenty more are refused at once. */
  for (guint i = 0; i < 20; i++)
    {
      g_auto (Reply) busy = { 0 };
      request (room, "GET", "/api/v1/live", NULL, &busy);
      refused += busy.status == 503;
      if (i == 0)
        g_assert_cmpstr (soup_message_headers_get_one (busy.headers, "Retry-After"), ==, "2");
    }
  g_assert_cmpuint (refused, ==, 20);
  /* The API itself still answers. */
  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/status", room->token, NULL, NULL), ==,
                    200);

  /* A place comes free when a client leaves. */
  g_ptr_array_remove_index (open, 0);
  g_usleep (300 * 1000);
  {
    g_autoptr (GSocketConnection) again = open_live (room, 0);
    g_autoptr (GString) got = g_string_new (NULL);
    read_for (again, 500, got);
    g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 200 OK\r\n"));
  }

  /* The deaf client is cut (its unsent text waits 10 s at most once its
   * window and the daemon's small send buffer are full), while the
   * reader keeps its 10 level frames a second. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GString) got = g_string_new (NULL);
      g_autofree char *log = NULL;
      guint levels;

      g_assert_true (read_for (reader, 1000, got));
      levels = count (got->str, "event: levels\n");
      g_assert_cmpuint (levels, >=, 8);
      g_file_get_contents (room->daemon_log, &log, NULL, NULL);
      if (log != NULL && strstr (log, "an event stream was cut: the client stopped reading"))
        {
          cut = TRUE;
          break;
        }
    }
  g_test_message ("the deaf client was cut: %s", cut ? "yes" : "no");
  g_assert_true (cut);

  g_ptr_array_set_size (open, 0);
  g_clear_object (&reader);
  cr_test_stop_and_wait (room, session_id);
  assert_no_frame_lost (room, session_id);
}

/* A client that reads, but more slowly than the stream goes (1.6 kB/s
 * against about 4): it loses level frames, never a status, and is not cut
 * while it keeps reading; the daemon holds for it no more than a bound. */
static void
test_slow_client (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autoptr (GSocketConnection) slow = NULL;
  g_autoptr (GString) got = g_string_new (NULL);
  g_autofree char *log = NULL;
  GSocket *socket;
  gint64 start, seconds;
  guint levels, statuses;
  const char *late;

  cr_test_room_start (room);
  slow = open_live (room, 4096);
  socket = g_socket_connection_get_socket (slow);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 25 * G_USEC_PER_SEC)
    {
      char buffer[320];
      gssize n;

      g_usleep (200 * 1000);
      if (!g_socket_condition_check (socket, G_IO_IN))
        continue;
      n = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (got, buffer, n);
    }
  seconds = (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  levels = count (got->str, "event: levels\n");
  statuses = count (got->str, "event: status\n");
  g_test_message ("a slow client read %" G_GSIZE_FORMAT " bytes in %" G_GINT64_FORMAT
                  " s: %u level frames, %u statuses", got->len, seconds, levels, statuses);
  /* Frames were dropped for it (10 a second were made), but what it got
   * kept coming to the end: a status in the last ten seconds' worth. */
  g_assert_cmpuint (levels, <, 10 * seconds * 3 / 4);
  g_assert_cmpuint (statuses, >=, seconds / 3);
  late = strstr (got->str + got->len * 2 / 3, "event: status\n");
  g_assert_nonnull (late);
  g_file_get_contents (room->daemon_log, &log, NULL, NULL);
  g_assert_null (strstr (log, "an event stream was cut"));
}

/* The clerk's day in chromium, then the ledger as sqlite3 reads it. */
static void
test_page_clerk (void)
{
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (JsonObject) summary = NULL;
  g_auto (GStrv) lines = NULL;
  JsonArray *shots;
  gboolean accounts;
  gint64 session_id;

  if (!cr_test_browser_available ())
    {
      g_test_skip ("node, playwright-core or /usr/bin/chromium missing");
      return;
    }
  room = cr_test_room_new (60, TWO_CAMERAS);
  cr_test_room_start (room);
  /* Approved for broadcast: the built-in HLS is the live destination the
   * clerk cuts and resumes. */
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "broadcast", "approve", "--case", TYPED_CASE,
                                   "--by", "张法官", NULL), ==, 0);
  accounts = add_user (room, "zhang", "clerk", "clerk-password-1");
  summary = run_page (room, "clerk", accounts ? "zhang" : NULL,
                      accounts ? "clerk-password-1" : NULL, "--case=" TYPED_CASE);
  if (accounts)
    g_assert_cmpstr (json_object_get_string_member (summary, "role"), ==, "clerk");
  g_assert_cmpstr (json_object_get_string_member (summary, "case"), ==, CANONICAL_CASE);
  /* The beeping microphone moved its meter (more than one peak shown). */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (summary,
                                                                              "meters"),
                                               "clerk"), >, 1);

  session_id = json_object_get_int_member (summary, "session");
  lines = ledger (room, session_id);
  g_assert_nonnull (find_line (lines, "start|", CANONICAL_CASE));
  /* Who did it, when the page logged in with an account. */
  if (accounts)
    {
      g_assert_nonnull (find_line (lines, "start|", "zhang"));
      g_assert_nonnull (find_line (lines, "pause|", "zhang"));
    }
  g_assert_nonnull (find_line (lines, "marker|", "宣布开庭"));
  g_assert_nonnull (find_line (lines, "pause|", "recess"));
  g_assert_nonnull (find_line (lines, "resume|", NULL));
  g_assert_nonnull (find_line (lines, "layout|", "single"));
  g_assert_nonnull (find_line (lines, "stream-cut|", NULL));
  g_assert_nonnull (find_line (lines, "stream-resume|", NULL));
  g_assert_nonnull (find_line (lines, "stop|", NULL));
  /* What courtrec itself says of it. */
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
    g_autofree char *out = NULL;
    g_assert_cmpint (cr_test_client (room, &out, NULL, "events", id, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "宣布开庭"));
  }

  shots = json_object_get_array_member (summary, "screenshots");
  g_assert_cmpuint (json_array_get_length (shots), ==, 3);
  assert_screenshot (json_array_get_string_element (shots, 0), 1366, 768);
  assert_screenshot (json_array_get_string_element (shots, 1), 1024, 768);
  assert_screenshot (json_array_get_string_element (shots, 2), 768, 1024);
}

/* A viewer sees no controls, and the API refuses them if forged. */
static void
test_page_viewer (void)
{
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (JsonObject) summary = NULL;

  if (!cr_test_browser_available ())
    {
      g_test_skip ("node, playwright-core or /usr/bin/chromium missing");
      return;
    }
  room = cr_test_room_new (60, NULL);
  cr_test_room_start (room);
  if (!add_user (room, "li", "viewer", "viewer-password-1"))
    {
      g_test_skip ("this build has no accounts (courtrec user add)");
      return;
    }
  summary = run_page (room, "viewer", "li", "viewer-password-1", NULL);
  g_assert_cmpstr (json_object_get_string_member (summary, "role"), ==, "viewer");
  {
    g_autoptr (JsonObject) status = cr_test_status (room);
    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "standby");
  }
}

/* A scheduled slot passed its grace with the room in standby: the page
 * shows the banner naming the hearing, the slot now and the next one in
 * the court's time, and a clerk's start clears the banner. */
static void
test_page_schedule (void)
{
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (JsonObject) summary = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier ("Asia/Shanghai");
  g_autofree char *index_path = NULL;
  g_autofree char *local = NULL;
  g_autofree char *local_arg = NULL;
  g_autofree char *case_arg = g_strdup ("--case=（2026）浙1022民初55号");
  gint64 now = g_get_real_time ();
  const char *next_arg = "--next=（2026）浙1022民初56号";

  if (!cr_test_browser_available ())
    {
      g_test_skip ("node, playwright-core or /usr/bin/chromium missing");
      return;
    }
  room = cr_test_room_new (60, "[schedule]\ntimezone = Asia/Shanghai\ngrace_seconds = 2\n\n");
  cr_test_room_start (room);
  index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  for (guint i = 0; i < 2; i++)
    {
      CrHearingRow *row = g_new0 (CrHearingRow, 1);
      row->uid = g_strdup_printf ("console-%u", i);
      row->case_no = g_strdup (i == 0 ? "（2026）浙1022民初55号" : "（2026）浙1022民初56号");
      row->title = g_strdup (i == 0 ? "买卖合同纠纷" : "离婚纠纷");
      row->location = g_strdup ("第一法庭");
      row->starts_us = i == 0 ? now - 10 * G_USEC_PER_SEC : now + (gint64) 3600 * G_USEC_PER_SEC;
      row->ends_us = row->starts_us + (gint64) 1800 * G_USEC_PER_SEC;
      row->status = g_strdup ("scheduled");
      g_ptr_array_add (rows, row);
    }
  {
    g_autoptr (CrSegmentIndex) index = cr_segment_index_open (index_path, FALSE, &error);
    CrScheduleSourceRow source = { .source = (char *) "feed", .location = (char *) "feed.json",
                                   .checked_us = now, .changed_us = now, .hearings = 2 };
    g_assert_no_error (error);
    g_assert_true (cr_hearing_store_replace (index, "feed", rows, now, NULL, &error));
    g_assert_true (cr_schedule_source_put (index, &source, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (
        ((CrHearingRow *) g_ptr_array_index (rows, 0))->starts_us / G_USEC_PER_SEC);
    g_autoptr (GDateTime) shanghai = g_date_time_to_timezone (utc, zone);
    local = g_date_time_format (shanghai, "%H:%M");
    local_arg = g_strdup_printf ("--local=%s", local);
  }
  {
    g_autofree char *script = cr_test_top_path ("tests/console-page.mjs");
    g_autofree char *page_url = g_strdup_printf ("http://127.0.0.1:%u/console/", room->port);
    g_autofree char *login = g_strdup_printf ("--token=%s", room->token);
    g_autofree char *dir = artifacts_dir ();
    g_autofree char *artifacts = g_strdup_printf ("--artifacts=%s", dir);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *argv[] = { "node", script, page_url, "schedule", login, artifacts, case_arg,
                           local_arg, next_arg, NULL };
    int status = cr_test_run (&out, &err, argv);

    g_test_message ("console-page.mjs schedule: %s%s", out, err);
    g_assert_cmpint (status, ==, 0);
  }
  {
    g_autoptr (JsonObject) status = cr_test_status (room);
    JsonObject *current = json_object_get_object_member (
        json_object_get_object_member (status, "schedule"), "current");
    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "recording");
    g_assert_true (json_object_get_boolean_member (current, "recording"));
  }
}

/* A camera killed: the banner within 3 s; a start over the standing alarm
 * is confirmed, and the confirmation is in the ledger. */
static void
test_page_camera_lost (void)
{
  guint16 port = cr_test_free_port ();
  g_autofree char *extra = g_strdup_printf (
      "[video]\nwidth = 640\nheight = 360\nframerate = 25\nbitrate_kbps = 500\n\n"
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n\n"
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n", port);
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (GSubprocess) camera = NULL;
  g_autoptr (JsonObject) summary = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *kill_arg = NULL;
  gboolean accounts;

  if (!cr_test_browser_available ())
    {
      g_test_skip ("node, playwright-core or /usr/bin/chromium missing");
      return;
    }
  camera = cr_test_rtsp_camera_new (port);
  room = cr_test_room_new (60, extra);
  cr_test_room_start (room);
  accounts = add_user (room, "zhang", "clerk", "clerk-password-1");
  kill_arg = g_strdup_printf ("--kill-pid=%s --camera=witness",
                              g_subprocess_get_identifier (camera));
  {
    /* Two options in one argv slot would not parse: split them. */
    g_auto (GStrv) parts = g_strsplit (kill_arg, " ", 2);
    g_autofree char *script_page = cr_test_top_path ("tests/console-page.mjs");
    g_autofree char *page_url = g_strdup_printf ("http://127.0.0.1:%u/console/", room->port);
    g_autofree char *login = accounts ? g_strdup ("--user=zhang")
                                      : g_strdup_printf ("--token=%s", room->token);
    g_autofree char *dir = artifacts_dir ();
    g_autofree char *artifacts = g_strdup_printf ("--artifacts=%s", dir);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *argv[] = { "node", script_page, page_url, "alarm", login,
                           "--password=clerk-password-1", artifacts, parts[0], parts[1],
                           "--case=(2026)浙1022民初7号", NULL };
    g_autoptr (JsonParser) parser = json_parser_new ();
    int status = cr_test_run (&out, &err, argv);

    g_test_message ("console-page.mjs alarm: %s%s", out, err);
    g_assert_cmpint (status, ==, 0);
    g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
    summary = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  }
  g_subprocess_wait (camera, NULL, NULL);
  g_assert_cmpint (json_object_get_int_member (summary, "banner_ms"), <=, 3000);
  lines = ledger (room, json_object_get_int_member (summary, "session"));
  g_assert_nonnull (find_line (lines, "start|", "（2026）浙1022民初7号"));
  g_assert_nonnull (find_line (lines, "alarms-confirmed|", "input-lost:witness"));
  if (accounts)
    g_assert_nonnull (find_line (lines, "alarms-confirmed|", "\"by\":\"zhang\""));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/console/routes", test_routes);
  g_test_add_func ("/courtrec/console/streams-bounded", test_streams_bounded);
  g_test_add_func ("/courtrec/console/slow-client", test_slow_client);
  g_test_add_func ("/courtrec/console/page-clerk", test_page_clerk);
  g_test_add_func ("/courtrec/console/page-viewer", test_page_viewer);
  g_test_add_func ("/courtrec/console/page-camera-lost", test_page_camera_lost);
  g_test_add_func ("/courtrec/console/page-schedule", test_page_schedule);
  return g_test_run ();
}
