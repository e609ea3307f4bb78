/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-access-web.c: the parties' pages under /access/ on a real
 * courtrecd's public listener, as a stranger would try them: no cookie,
 * a forged one, a session of another case (404, byte for byte the answer
 * for one that does not exist), paths that climb out of the copy, a link
 * planted in it, bodies too large, chunked, of the wrong type or not
 * JSON, a review grant's copy.mp4, wrong codes slowed and then locked
 * (429 with Retry-After), a revoked grant (403), and a crowd of requests
 * while a hearing records. What a party is given is checked with
 * independent tools: sha256sum on the download, sqlite3 on the events in
 * each session's chain.
 *
 * Wrong codes lock the address they come from: the lock is tried on a
 * room of its own (all clients here are 127.0.0.1), in a thread that
 * paces its guesses as the answers say while the other tests run. */
#include "recorder/access-download.h"
#include "recorder/access-logins.h"
#include "tests/test-util-access.h"

#include <glib/gstdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASE_A "（2026）浙1022民初88号"
#define CASE_B "（2026）浙1022刑初7号"
#define IDENTITY_A "33010219900101123X"
#define IDENTITY_B "330102198001015678"
#define NOT_FOUND_BODY "Not found\n"

static struct {
  CrTestRoom *room;
  gint64 a1, a2, b1;
  gint64 copy_grant, review_grant, other_grant;
  char *copy_code, *review_code, *other_code;
  char *copy_cookie;            /* a login of copy_grant */
} fx;

/* --- the lock, on a room of its own ---------------------------------------- */

static struct {
  CrTestRoom *room;
  GThread *thread;
  guint wrong;                /* 401s seen */
  guint slowed;               /* 429 slow-down seen */
  gboolean locked;
  guint lock_retry_after;
  char *failure;
} lock;

static gpointer
guess_codes (gpointer data)
{
  for (guint round = 0; round < 100; round++)
    {
      g_auto (CrTestReply) reply = { 0 };
      g_autofree char *code = g_strdup_printf ("ZZZZ-%04u-GUESS-GUESS-GUESS-GUESS", round);
      char *cookie = cr_test_access_login (lock.room, code, "1234", &reply);

      g_free (cookie);
      if (reply.status == 401)
        {
          lock.wrong++;
          continue;
        }
      if (reply.status != 429 ||
          soup_message_headers_get_one (reply.headers, "Retry-After") == NULL)
        {
          lock.failure = g_strdup_printf ("guess %u: %u %s", round, reply.status,
                                          reply.body != NULL ? reply.body : "");
          return NULL;
        }
      if (strstr (reply.body, "\"locked\"") != NULL)
        {
          lock.locked = TRUE;
          lock.lock_retry_after =
            atoi (soup_message_headers_get_one (reply.headers, "Retry-After"));
          return NULL;
        }
      lock.slowed++;
      g_usleep ((gulong) atoi (soup_message_headers_get_one (reply.headers, "Retry-After")) *
                G_USEC_PER_SEC);
    }
  lock.failure = g_strdup ("never locked");
  return NULL;
}

/* --- helpers --------------------------------------------------------------- */

static char *
path_of (gint64 session, const char *rest)
{
  return g_strdup_printf ("/access/s/%" G_GINT64_FORMAT "/%s", session, rest);
}

static void
get (const char *path, const char *cookie, CrTestReply *reply)
{
  cr_test_access_http (fx.room, "GET", path, cookie, NULL, NULL, reply);
}

static void
assert_status (const CrTestReply *reply, guint status, const char *what)
{
  if (reply->status != status)
    g_error ("%s: expected %u, got %u: %s", what, status, reply->status,
             reply->body != NULL ? reply->body : "");
}

/* A 404 that says nothing more than a missing file's. */
static void
assert_plain_not_found (const char *path, const char *cookie)
{
  g_auto (CrTestReply) reply = { 0 };

  get (path, cookie, &reply);
  assert_status (&reply, 404, path);
  g_assert_cmpstr (reply.body, ==, NOT_FOUND_BODY);
  g_assert_cmpstr (soup_message_headers_get_content_type (reply.headers, NULL), ==,
                   "text/plain");
}

static JsonObject *
object_of (const CrTestReply *reply)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (reply->body == NULL || !json_parser_load_from_data (parser, reply->body, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("not a JSON object: %s", reply->body != NULL ? reply->body : "(nothing)");
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static guint
count_lines_with (const char *text, const char *needle)
{
  guint n = 0;
  g_auto (GStrv) lines = g_strsplit (text, "\n", 0);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      n++;
  return n;
}

/* --- tests ----------------------------------------------------------------- */

static void
test_login (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autoptr (JsonObject) me = NULL;
  g_autofree char *forged = NULL, *events = NULL, *hls = NULL, *lower = NULL;
  const char *set_cookie;
  JsonArray *sessions;

  /* No cookie, a forged one, a malformed one: 401 everywhere. */
  forged = g_strdup_printf ("courtrec_access=%s", "0123456789abcdef0123456789abcdef"
                                                  "0123456789abcdef0123456789abcdef");
  hls = path_of (fx.a1, "hls/index.m3u8");
  for (guint i = 0; i < 3; i++)
    {
      const char *cookie = i == 0 ? NULL : i == 1 ? forged : "courtrec_access=../../etc";
      const char *paths[] = { "/access/api/me", "/access/api/state", hls };
      for (guint j = 0; j < G_N_ELEMENTS (paths); j++)
        {
          get (paths[j], cookie, &reply);
          assert_status (&reply, 401, paths[j]);
        }
    }

  /* The right code with a wrong second factor, and the code of one
   * party with another's identity digits. */
  g_assert_null (cr_test_access_login (fx.room, fx.copy_code, "0000", &reply));
  assert_status (&reply, 401, "wrong last 4");
  g_assert_nonnull (strstr (reply.body, "login-failed"));
  g_assert_null (cr_test_access_login (fx.room, fx.copy_code, "5678", &reply));
  assert_status (&reply, 401, "another's last 4");

  /* The code as typed: lower case, spaces for dashes; the X of the
   * identity number in lower case. */
  lower = g_ascii_strdown (fx.copy_code, -1);
  g_strdelimit (lower, "-", ' ');
  fx.copy_cookie = cr_test_access_login (fx.room, lower, "123x", &reply);
  assert_status (&reply, 200, "login");
  set_cookie = soup_message_headers_get_one (reply.headers, "Set-Cookie");
  g_assert_nonnull (strstr (set_cookie, "HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "SameSite=Strict"));
  g_assert_nonnull (strstr (set_cookie, "Path=/access/"));
  /* 256 random bits, in hex. */
  g_assert_cmpuint (strlen (fx.copy_cookie), ==, strlen ("courtrec_access=") + 64);

  /* The grant's sessions, with the report's facts; nothing of case B. */
  get ("/access/api/me", fx.copy_cookie, &reply);
  assert_status (&reply, 200, "me");
  g_assert_null (strstr (reply.body, "刑初7号"));
  me = object_of (&reply);
  g_assert_cmpstr (json_object_get_string_member (me, "mode"), ==, "copy");
  g_assert_cmpstr (json_object_get_string_member (me, "state"), ==, "ready");
  g_assert_cmpstr (json_object_get_string_member (me, "case"), ==, CASE_A);
  sessions = json_object_get_array_member (me, "sessions");
  g_assert_cmpuint (json_array_get_length (sessions), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *session = json_array_get_object_element (sessions, i);
      g_assert_cmpint (json_object_get_int_member (session, "id"), ==, i == 0 ? fx.a1 : fx.a2);
      g_assert_cmpstr (json_object_get_string_member (session, "court"), ==,
                       "浙江省三门县人民法院");
      g_assert_cmpstr (json_object_get_string_member (session, "room"), ==, "第一法庭");
      g_assert_cmpstr (json_object_get_string_member (session, "case"), ==, CASE_A);
      g_assert_true (g_str_has_suffix (json_object_get_string_member (session, "started"), "Z"));
      g_assert_true (g_str_has_suffix (json_object_get_string_member (session, "stopped"), "Z"));
      /* The first has the recess, with its reason and length. */
      if (i == 0)
        {
          JsonArray *pauses = json_object_get_array_member (session, "pauses");
          JsonObject *pause;
          g_assert_cmpuint (json_array_get_length (pauses), ==, 1);
          pause = json_array_get_object_element (pauses, 0);
          g_assert_cmpstr (json_object_get_string_member (pause, "reason"), ==, "recess");
          g_assert_cmpfloat (json_object_get_double_member (pause, "seconds"), >, 0.5);
          g_assert_cmpfloat (json_object_get_double_member (session, "paused_seconds"), >, 0.5);
        }
      else
        g_assert_cmpuint (json_array_get_length (json_object_get_array_member (session,
                                                                               "pauses")), ==, 0);
      g_assert_cmpstr (json_object_get_string_member (session, "copy"), ==, "ready");
    }

  /* Each use is in each covered session's chain, the wrong ones too. */
  events = cr_test_access_events (fx.room, fx.a1);
  g_assert_cmpuint (count_lines_with (events, "access-code-wrong"), ==, 2);
  g_assert_cmpuint (count_lines_with (events, "access-code-used"), ==, 1);
  g_clear_pointer (&events, g_free);
  events = cr_test_access_events (fx.room, fx.a2);
  g_assert_cmpuint (count_lines_with (events, "access-code-used"), ==, 1);
  g_clear_pointer (&events, g_free);
  events = cr_test_access_events (fx.room, fx.b1);
  g_assert_cmpuint (count_lines_with (events, "access-code-used"), ==, 0);

  /* A logout ends the login on the server, not only in the browser. */
  {
    g_autofree char *second = cr_test_access_login (fx.room, fx.copy_code, "123X", NULL);
    g_assert_nonnull (second);
    cr_test_access_http (fx.room, "POST", "/access/api/logout", second, "application/json",
                         "{}", &reply);
    assert_status (&reply, 200, "logout");
    get ("/access/api/me", second, &reply);
    assert_status (&reply, 401, "me after logout");
  }
}

static void
test_grant_isolation (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autofree char *other = path_of (fx.b1, "hls/index.m3u8");
  g_autofree char *missing = path_of (fx.b1 + 1000, "hls/index.m3u8");
  g_autofree char *dir = cr_test_access_copy_dir (fx.room, fx.copy_grant, fx.a1);
  g_autofree char *link = g_build_filename (dir, "hls", "planted.ts", NULL);
  g_autofree char *db = g_build_filename (fx.room->storage_dir, "index.db", NULL);
  g_autofree char *other_login = cr_test_access_login (fx.room, fx.other_code, "5678", NULL);
  g_autofree char *own_by_other = path_of (fx.a1, "hls/index.m3u8");
  const char *rests[] = { "hls/../../../index.db", "hls/..%2fcopy.mp4", "hls/%2e%2e%2fcopy.mp4",
                          "hls/.hidden.ts", "hls/planted.ts", "hls/index.m3u8/x",
                          "../G1/S1/copy.mp4", "hls/seg000.ts%00", "hls", "",
                          "chapters.json/..", "copy.mp4.job.json", "hls/index.M3U8" };

  /* Another case's session, a session that does not exist: the same
   * bytes, whichever login asks. */
  assert_plain_not_found (other, fx.copy_cookie);
  assert_plain_not_found (missing, fx.copy_cookie);
  g_assert_nonnull (other_login);
  assert_plain_not_found (own_by_other, other_login);
  get (other, other_login, &reply);
  assert_status (&reply, 200, "case B's own session");
  g_assert_true (g_str_has_prefix (reply.body, "#EXTM3U"));

  /* A copy not rendered yet is not there either, and the grant says it
   * is being prepared. */
  {
    g_autofree char *pending = g_strdup_printf ("UPDATE derived_copies SET state = '%%s' WHERE "
                                                "grant_id = %" G_GINT64_FORMAT
                                                " AND session_id = %" G_GINT64_FORMAT,
                                                fx.copy_grant, fx.a2);
    g_autofree char *to_pending = g_strdup_printf (pending, "pending");
    g_autofree char *to_ready = g_strdup_printf (pending, "ready");
    g_autofree char *a2_playlist = path_of (fx.a2, "hls/index.m3u8");
    g_autoptr (JsonObject) me = NULL;
    JsonArray *sessions;

    g_free (cr_test_access_sql (fx.room, to_pending));
    assert_plain_not_found (a2_playlist, fx.copy_cookie);
    get ("/access/api/me", fx.copy_cookie, &reply);
    me = object_of (&reply);
    g_assert_cmpstr (json_object_get_string_member (me, "state"), ==, "pending");
    sessions = json_object_get_array_member (me, "sessions");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (sessions, 0),
                                                    "copy"), ==, "ready");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (sessions, 1),
                                                    "copy"), ==, "pending");
    g_free (cr_test_access_sql (fx.room, to_ready));
    get (a2_playlist, fx.copy_cookie, &reply);
    assert_status (&reply, 200, "rendered again");
  }

  /* Ids that are not ids. */
  assert_plain_not_found ("/access/s/abc/hls/index.m3u8", fx.copy_cookie);
  assert_plain_not_found ("/access/s/-1/hls/index.m3u8", fx.copy_cookie);
  assert_plain_not_found ("/access/s/99999999999999999999999/hls/index.m3u8", fx.copy_cookie);
  assert_plain_not_found ("/access/s/0001x/chapters.json", fx.copy_cookie);

  /* A link planted in the copy leads nowhere; paths do not climb. */
  g_assert_cmpint (symlink (db, link), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (rests); i++)
    {
      g_autofree char *path = path_of (fx.a1, rests[i]);
      get (path, fx.copy_cookie, &reply);
      if (reply.status != 404 && reply.status != 400)
        g_error ("%s: %u %s", path, reply.status, reply.body);
      g_assert_null (strstr (reply.body != NULL ? reply.body : "", "SQLite"));
    }
  /* Sent as is, without a client's normalising of the path. */
  {
    g_autofree char *request = g_strdup_printf (
      "GET /access/s/%" G_GINT64_FORMAT "/hls/../../../index.db HTTP/1.1\r\nHost: x\r\n"
      "Cookie: %s\r\n\r\n", fx.a1, fx.copy_cookie);
    g_autofree char *answer = cr_test_access_raw (fx.room, request, strlen (request));
    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 404") ||
                   g_str_has_prefix (answer, "HTTP/1.1 400"));
    g_assert_null (strstr (answer, "SQLite"));
  }
  g_assert_cmpint (g_unlink (link), ==, 0);
}

static void
test_play_files (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autofree char *playlist = path_of (fx.a1, "hls/index.m3u8");
  g_autofree char *chapters = path_of (fx.a1, "chapters.json");
  g_autofree char *segment = NULL, *events = NULL, *body = NULL;
  g_auto (GStrv) lines = NULL;

  get (playlist, fx.copy_cookie, &reply);
  assert_status (&reply, 200, playlist);
  g_assert_cmpstr (soup_message_headers_get_content_type (reply.headers, NULL), ==,
                   "application/vnd.apple.mpegurl");
  g_assert_nonnull (strstr (soup_message_headers_get_one (reply.headers, "Cache-Control"),
                            "no-store"));
  g_assert_nonnull (strstr (reply.body, "#EXT-X-ENDLIST"));
  lines = g_strsplit (reply.body, "\n", 0);
  for (guint i = 0; lines[i] != NULL && segment == NULL; i++)
    if (lines[i][0] != '#' && lines[i][0] != '\0')
      {
        g_autofree char *rest = g_strconcat ("hls/", lines[i], NULL);
        segment = path_of (fx.a1, rest);
      }
  g_assert_nonnull (segment);
  get (segment, fx.copy_cookie, &reply);
  assert_status (&reply, 200, segment);
  g_assert_cmpuint (reply.length, >, 1000);
  /* MPEG-TS: a sync byte every 188. */
  g_assert_cmpint (reply.body[0], ==, 0x47);
  g_assert_cmpint (reply.body[188], ==, 0x47);

  get (chapters, fx.copy_cookie, &reply);
  assert_status (&reply, 200, chapters);
  g_assert_nonnull (strstr (reply.body, "证人出庭"));

  /* Playback start and end, in each covered session's chain. */
  body = g_strdup_printf ("{\"session\":%" G_GINT64_FORMAT ",\"event\":\"start\"}", fx.a1);
  cr_test_access_http (fx.room, "POST", "/access/api/playback", fx.copy_cookie,
                       "application/json", body, &reply);
  assert_status (&reply, 200, "playback start");
  g_free (body);
  body = g_strdup_printf ("{\"session\":%" G_GINT64_FORMAT ",\"event\":\"end\",\"seconds\":2.6}",
                          fx.a1);
  cr_test_access_http (fx.room, "POST", "/access/api/playback", fx.copy_cookie,
                       "application/json", body, &reply);
  assert_status (&reply, 200, "playback end");
  events = cr_test_access_events (fx.room, fx.a2);
  g_assert_cmpuint (count_lines_with (events, "playback-start"), ==, 1);
  g_assert_cmpuint (count_lines_with (events, "playback-end"), ==, 1);
  g_assert_nonnull (strstr (events, "\"seconds\":3"));
  g_assert_nonnull (strstr (events, "127.0.0.1"));

  /* Behind the proxy on loopback, its X-Real-IP names the party; what is
   * not an address is not believed. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"session\":%" G_GINT64_FORMAT
                                               ",\"event\":\"end\",\"seconds\":1}", fx.a1);
      g_autofree char *request = g_strdup_printf (
        "POST /access/api/playback HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
        "X-Real-IP: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
        fx.copy_cookie, i == 0 ? "203.0.113.7" : "evil\"},{\"x", strlen (json), json);
      g_autofree char *answer = cr_test_access_raw (fx.room, request, strlen (request));
      g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200"));
    }
  g_clear_pointer (&events, g_free);
  events = cr_test_access_events (fx.room, fx.a1);
  g_assert_nonnull (strstr (events, "\"address\":\"203.0.113.7\""));
  g_assert_null (strstr (events, "evil"));
  g_assert_cmpuint (count_lines_with (events, "playback-end"), ==, 3);

  /* Of a session not granted, or a made-up event: refused, nothing written. */
  g_free (body);
  body = g_strdup_printf ("{\"session\":%" G_GINT64_FORMAT ",\"event\":\"start\"}", fx.b1);
  cr_test_access_http (fx.room, "POST", "/access/api/playback", fx.copy_cookie,
                       "application/json", body, &reply);
  assert_status (&reply, 404, "playback of another case");
  g_free (body);
  body = g_strdup_printf ("{\"session\":%" G_GINT64_FORMAT ",\"event\":\"delete\"}", fx.a1);
  cr_test_access_http (fx.room, "POST", "/access/api/playback", fx.copy_cookie,
                       "application/json", body, &reply);
  assert_status (&reply, 400, "playback event delete");
  cr_test_access_http (fx.room, "POST", "/access/api/playback", fx.copy_cookie,
                       "application/json", "{\"session\":\"1\",\"event\":\"start\",\"seconds\":-4}",
                       &reply);
  assert_status (&reply, 400, "playback with a string id");
  g_clear_pointer (&events, g_free);
  events = cr_test_access_events (fx.room, fx.b1);
  g_assert_cmpuint (count_lines_with (events, "playback-"), ==, 0);
}

static char *
sha256_of_file (const char *path)
{
  const char *argv[] = { "sha256sum", path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strndup (out, 64);
}

static char *
sha256_of_bytes (const char *data, gsize length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
}

static void
test_download (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autofree char *dir = cr_test_access_copy_dir (fx.room, fx.copy_grant, fx.a1);
  g_autofree char *file = g_build_filename (dir, "copy.mp4", NULL);
  g_autofree char *expected = sha256_of_file (file);
  g_autofree char *got = NULL, *events = NULL, *review = NULL, *bytes_text = NULL;
  g_autofree char *path = path_of (fx.a1, "copy.mp4");
  g_autofree char *manifest = path_of (fx.a1, "copy.mp4.manifest.json");
  struct stat st;

  g_assert_cmpint (g_stat (file, &st), ==, 0);
  get (path, fx.copy_cookie, &reply);
  assert_status (&reply, 200, path);
  g_assert_cmpuint (reply.length, ==, (gsize) st.st_size);
  got = sha256_of_bytes (reply.body, reply.length);
  g_assert_cmpstr (got, ==, expected);
  g_assert_nonnull (strstr (soup_message_headers_get_one (reply.headers, "Content-Disposition"),
                            "attachment"));
  g_assert_cmpstr (soup_message_headers_get_content_type (reply.headers, NULL), ==, "video/mp4");
  get (manifest, fx.copy_cookie, &reply);
  assert_status (&reply, 200, manifest);
  /* A HEAD says the size and sends nothing: no download in the chain. */
  cr_test_access_http (fx.room, "HEAD", path, fx.copy_cookie, NULL, NULL, &reply);
  assert_status (&reply, 200, "HEAD copy.mp4");
  g_assert_cmpint (soup_message_headers_get_content_length (reply.headers), ==, st.st_size);
  g_assert_cmpuint (reply.length, ==, 0);

  /* Cut short: read the headers and a little, then hang up. The
   * receive window is made small before connecting, so that little of
   * the rest can be in flight. */
  {
    g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback,
                                                                     fx.room->public_port);
    g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n\r\n",
                                                path, fx.copy_cookie);
    char buffer[1024];

    g_assert_nonnull (socket);
    g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 2048, NULL));
    g_assert_true (g_socket_connect (socket, address, NULL, NULL));
    g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, NULL), ==,
                     (gssize) strlen (request));
    g_assert_cmpint (g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL), >, 0);
    /* Let the server fill what it can, then hang up. */
    g_usleep (G_USEC_PER_SEC / 2);
    g_socket_close (socket, NULL);
  }

  /* Each download in the chain: the address, the bytes, whether whole. */
  bytes_text = g_strdup_printf ("\"bytes\":%" G_GINT64_FORMAT, (gint64) st.st_size);
  for (guint i = 0; i < 100; i++)
    {
      g_free (events);
      events = cr_test_access_events (fx.room, fx.a1);
      if (count_lines_with (events, "download ") >= 3)
        break;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_assert_cmpuint (count_lines_with (events, "download "), ==, 3);
  g_assert_nonnull (strstr (events, bytes_text));
  g_assert_nonnull (strstr (events, "\"complete\":true"));
  g_assert_nonnull (strstr (events, "\"file\":\"copy.mp4.manifest.json\""));
  g_assert_nonnull (strstr (events, "\"address\":\"127.0.0.1\""));
  g_assert_nonnull (strstr (events, "\"complete\":false"));

  /* Mode review: no copy, no manifest, as if there were none. */
  review = cr_test_access_login (fx.room, fx.review_code, "123X", NULL);
  g_assert_nonnull (review);
  assert_plain_not_found (path, review);
  assert_plain_not_found (manifest, review);
  {
    g_autofree char *sig = path_of (fx.a1, "copy.mp4.manifest.sig");
    g_autofree char *playlist = path_of (fx.a1, "hls/index.m3u8");
    assert_plain_not_found (sig, review);
    get (playlist, review, &reply);
    assert_status (&reply, 200, "review plays");
  }
}

static void
test_hostile_bodies (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autofree char *big = g_strnfill (100 * 1024, 'a');
  g_autofree char *huge_code = NULL;
  const struct {
    const char *type, *body;
    guint status;
  } cases[] = {
    { "application/json", "{\"code\":", 400 },
    { "application/json", "[]", 400 },
    { "application/json", "{\"code\":42,\"id_last4\":\"123X\"}", 400 },
    { "application/json", "{\"code\":\"AAAA\"}", 400 },
    { "application/json", "{\"code\":\"\",\"id_last4\":\"\"}", 400 },
    { "text/plain", "{\"code\":\"AAAA\",\"id_last4\":\"123X\"}", 415 },
    { "application/x-www-form-urlencoded", "code=AAAA&id_last4=123X", 415 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      cr_test_access_http (fx.room, "POST", "/access/api/login", NULL, cases[i].type,
                           cases[i].body, &reply);
      if (reply.status != cases[i].status)
        g_error ("%s %s: expected %u, got %u %s", cases[i].type, cases[i].body, cases[i].status,
                 reply.status, reply.body);
    }
  {
    g_autofree char *code = g_strnfill (91, 'A');
    huge_code = g_strdup_printf ("{\"code\":\"%s\",\"id_last4\":\"123X\"}", code);
  }
  cr_test_access_http (fx.room, "POST", "/access/api/login", NULL, "application/json", huge_code,
                       &reply);
  assert_status (&reply, 400, "a code of 91 characters");

  cr_test_access_http (fx.room, "POST", "/access/api/login", NULL, "application/json", big,
                       &reply);
  assert_status (&reply, 413, "100 kB login");
  cr_test_access_http (fx.room, "POST", "/access/api/request", NULL, "application/json", big,
                       &reply);
  assert_status (&reply, 413, "100 kB request");

  /* Chunked: no length said beforehand. */
  {
    const char request[] = "POST /access/api/login HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5\r\n{\"a\":\r\n0\r\n\r\n";
    g_autofree char *answer = cr_test_access_raw (fx.room, request, strlen (request));
    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 411"));
  }
  /* Methods: the pages read, the API's routes are POST. */
  get ("/access/api/login", NULL, &reply);
  assert_status (&reply, 405, "GET login");
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Allow"), ==, "POST");
  cr_test_access_http (fx.room, "POST", "/access/", NULL, "application/json", "{}", &reply);
  assert_status (&reply, 405, "POST page");
  cr_test_access_http (fx.room, "PUT", "/access/api/me", NULL, "application/json", "{}", &reply);
  assert_status (&reply, 405, "PUT me");
  cr_test_access_http (fx.room, "DELETE", "/access/s/1/copy.mp4", NULL, NULL, NULL, &reply);
  assert_status (&reply, 405, "DELETE copy");
  /* A GET with a body. */
  cr_test_access_http (fx.room, "GET", "/access/api/me", NULL, "application/json", "{\"x\":1}",
                       &reply);
  assert_status (&reply, 413, "GET with a body");

  /* The page and its assets are there; an unknown asset is not. */
  get ("/access/", NULL, &reply);
  assert_status (&reply, 200, "page");
  g_assert_nonnull (strstr (reply.body, "查阅码"));
  g_assert_nonnull (strstr (reply.body, "Access code"));
  g_assert_nonnull (strstr (soup_message_headers_get_one (reply.headers, "Content-Security-Policy"),
                            "frame-ancestors 'none'"));
  get ("/access/assets/access.js", NULL, &reply);
  assert_status (&reply, 200, "access.js");
  get ("/access/assets/hls.min.js", NULL, &reply);
  assert_status (&reply, 200, "hls.min.js");
  get ("/access/assets/console.js", NULL, &reply);
  assert_status (&reply, 404, "console.js is not the party's");
  {
    const char request[] = "GET /access HTTP/1.1\r\nHost: x\r\n\r\n";
    g_autofree char *answer = cr_test_access_raw (fx.room, request, strlen (request));
    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 301"));
    g_assert_nonnull (strstr (answer, "Location: /access/\r\n"));
  }
}

static void
test_request_form (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *clerk = cr_test_access_token (fx.room, "clerk1");
  const char *unknown_case =
    "{\"name\":\"李四\",\"role\":\"party\",\"identity\":\"330102197001011111\","
    "\"case\":\"（2026）浙1022民初99999号\",\"purpose\":\"复制\",\"contact\":\"13800000000\"}";
  const char *known_case =
    "{\"name\":\"王五\",\"role\":\"victim\",\"identity\":\"330102197001012222\","
    "\"case\":\"" CASE_A "\",\"purpose\":\"查阅\",\"contact\":\"wang@example.org\"}";

  get ("/access/request", NULL, &reply);
  assert_status (&reply, 200, "the form");
  g_assert_nonnull (strstr (reply.body, "content=\"request\""));

  /* A case not recorded here and one that is: the same answer. */
  cr_test_access_http (fx.room, "POST", "/access/api/request", NULL, "application/json",
                       unknown_case, &reply);
  assert_status (&reply, 202, "request for an unknown case");
  answer = object_of (&reply);
  g_assert_true (g_regex_match_simple ("^R[0-9]+$", json_object_get_string_member (answer,
                                                                                   "reference"),
                                       0, 0));
  g_assert_cmpstr (json_object_get_string_member (answer, "state"), ==, "received");
  cr_test_access_http (fx.room, "POST", "/access/api/request", NULL, "application/json",
                       known_case, &reply);
  assert_status (&reply, 202, "request for case A");

  /* Malformed fields are named; no identity number stored. */
  cr_test_access_http (fx.room, "POST", "/access/api/request", NULL, "application/json",
                       "{\"name\":\"x\",\"role\":\"judge\",\"identity\":\"330102197001011111\","
                       "\"case\":\"" CASE_A "\"}", &reply);
  assert_status (&reply, 400, "role judge");
  g_assert_nonnull (strstr (reply.body, "role"));
  cr_test_access_http (fx.room, "POST", "/access/api/request", NULL, "application/json",
                       "{\"name\":\"x\",\"role\":\"party\"}", &reply);
  assert_status (&reply, 400, "no identity");

  g_assert_cmpuint (cr_test_http (fx.room, "GET", "/api/v1/access/requests", clerk, NULL, &listed),
                    ==, 200);
  g_assert_nonnull (strstr (listed, "王五"));
  g_assert_nonnull (strstr (listed, "\"public\""));
  g_assert_null (strstr (listed, "330102197001012222"));

  /* A flood of requests from one address is held back. */
  for (guint i = 0; i < 10 && reply.status != 429; i++)
    cr_test_access_http (fx.room, "POST", "/access/api/request", NULL, "application/json",
                         known_case, &reply);
  assert_status (&reply, 429, "many requests");
  g_assert_nonnull (soup_message_headers_get_one (reply.headers, "Retry-After"));
}

/* A crowd on the parties' pages while a hearing records: every picture
 * is in the file. */
static void
test_flood (void)
{
  g_autofree char *script = cr_test_top_path ("tests/fixtures/http-flood.py");
  g_autofree char *pid = g_strdup_printf ("%u", cr_test_room_pid (fx.room));
  g_autofree char *port = g_strdup_printf ("%u", fx.room->public_port);
  g_autofree char *out = NULL;
  g_auto (CrTestReply) reply = { 0 };
  gint64 session;
  const char *argv[] = { "python3", script, "flood", pid, port, "/access/api/me", "3", "64",
                         NULL };

  session = cr_test_start_session (fx.room, "（2026）浙1022民初300号");
  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_test_message ("http-flood on /access/api/me: %s", out);
  /* A party's login still works in the middle of it. */
  get ("/access/api/state", fx.copy_cookie, &reply);
  assert_status (&reply, 200, "state after the flood");
  g_usleep (G_USEC_PER_SEC);
  cr_test_stop_and_wait (fx.room, session);
  cr_test_assert_recording_whole (fx.room, session, 1);
}

static void
test_revoke (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autoptr (JsonObject) state = NULL;
  g_autofree char *review = cr_test_access_login (fx.room, fx.review_code, "123X", NULL);
  g_autofree char *playlist = path_of (fx.a1, "hls/index.m3u8");
  g_autofree char *chapters = path_of (fx.a1, "chapters.json");

  g_assert_nonnull (review);
  get (playlist, review, &reply);
  assert_status (&reply, 200, "before the revocation");
  cr_test_access_revoke (fx.room, fx.review_grant);

  /* The next request knows. */
  get (playlist, review, &reply);
  assert_status (&reply, 403, "playlist after the revocation");
  get (chapters, review, &reply);
  assert_status (&reply, 403, "chapters after the revocation");
  get ("/access/api/state", review, &reply);
  assert_status (&reply, 200, "state");
  state = object_of (&reply);
  g_assert_cmpstr (json_object_get_string_member (state, "state"), ==, "revoked");
  get ("/access/api/me", review, &reply);
  assert_status (&reply, 200, "me");
  g_assert_null (strstr (reply.body, "\"started\""));
  /* The code is refused from now on. */
  g_assert_null (cr_test_access_login (fx.room, fx.review_code, "123X", &reply));
  assert_status (&reply, 401, "a revoked code");
  /* Another grant of the same case is not touched. */
  get (playlist, fx.copy_cookie, &reply);
  assert_status (&reply, 200, "the copy grant plays on");
}

/* An expiry that passes while a party is logged in: the next request
 * knows, though the login itself was made before. */
static void
test_expired (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autoptr (JsonObject) state = NULL;
  g_autofree char *playlist = path_of (fx.a1, "hls/index.m3u8");
  g_autofree char *query = g_strdup_printf ("UPDATE access_grants SET expires_at = "
                                            "'2026-01-01T00:00:00.000Z' WHERE id = %"
                                            G_GINT64_FORMAT, fx.copy_grant);

  get (playlist, fx.copy_cookie, &reply);
  assert_status (&reply, 200, "before the expiry");
  g_free (cr_test_access_sql (fx.room, query));
  get (playlist, fx.copy_cookie, &reply);
  assert_status (&reply, 403, "after the expiry");
  g_assert_nonnull (strstr (reply.body, "expired"));
  {
    g_autofree char *copy = path_of (fx.a1, "copy.mp4");
    get (copy, fx.copy_cookie, &reply);
    assert_status (&reply, 403, "a download after the expiry");
  }
  get ("/access/api/state", fx.copy_cookie, &reply);
  state = object_of (&reply);
  g_assert_cmpstr (json_object_get_string_member (state, "state"), ==, "expired");
  g_assert_null (cr_test_access_login (fx.room, fx.copy_code, "123X", &reply));
  assert_status (&reply, 401, "an expired code");
}

/* Five wrong second factors in a row: the sixth try waits, said in
 * Retry-After; the party gets in once it has waited. */
static void
test_slowed (void)
{
  g_auto (CrTestReply) reply = { 0 };
  g_autofree char *cookie = NULL, *events = NULL, *log = NULL;
  guint retry, wrong;

  /* The address has four failures already (test_login's two, the
   * revoked and the expired code): one more makes five. */
  for (wrong = 0; wrong < 10; wrong++)
    {
      g_assert_null (cr_test_access_login (fx.room, fx.other_code, "9999", &reply));
      if (reply.status != 401)
        break;
    }
  assert_status (&reply, 429, "the sixth failure's next try, at once");
  g_assert_cmpuint (wrong, >=, 1);
  g_assert_cmpuint (wrong, <=, 5);
  g_assert_nonnull (strstr (reply.body, "slow-down"));
  /* Even the right second factor waits. */
  g_assert_null (cr_test_access_login (fx.room, fx.other_code, "5678", &reply));
  assert_status (&reply, 429, "the right one, at once");
  retry = atoi (soup_message_headers_get_one (reply.headers, "Retry-After"));
  g_assert_cmpuint (retry, >=, 1);
  g_assert_cmpuint (retry, <=, 2);
  g_usleep ((retry + 0.2) * G_USEC_PER_SEC);
  cookie = cr_test_access_login (fx.room, fx.other_code, "5678", &reply);
  assert_status (&reply, 200, "after waiting");

  events = cr_test_access_events (fx.room, fx.b1);
  g_assert_cmpuint (count_lines_with (events, "access-code-wrong"), ==, wrong);
  g_assert_true (g_file_get_contents (fx.room->daemon_log, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "Access login refused from 127.0.0.1"));
  /* The code is never in the log. */
  g_assert_null (strstr (log, fx.other_code));
}

static void
test_locked (void)
{
  g_autofree char *log = NULL;
  g_auto (CrTestReply) reply = { 0 };

  g_thread_join (lock.thread);
  lock.thread = NULL;
  if (lock.failure != NULL)
    g_error ("the lock: %s", lock.failure);
  g_test_message ("lock: %u wrong, %u slowed, then locked for %u s", lock.wrong, lock.slowed,
                  lock.lock_retry_after);
  g_assert_true (lock.locked);
  /* Ten wrong in all, each waited for: a guess every few seconds at
   * first, then none for 15 minutes. */
  g_assert_cmpuint (lock.wrong, ==, 10);
  g_assert_cmpuint (lock.lock_retry_after, >, 800);
  /* Any code from that address now, without being checked. */
  g_assert_null (cr_test_access_login (lock.room, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFFF", "1234",
                                       &reply));
  assert_status (&reply, 429, "locked address");
  g_assert_nonnull (strstr (reply.body, "\"locked\""));
  g_assert_true (g_file_get_contents (lock.room->daemon_log, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "locked for 15 minutes"));
  g_assert_null (strstr (log, "GUESS-GUESS"));
}

/* --- the logins' store, in process, on a clock of the test's -------------- */

/* A second, in the 64 bits of the times it is added to. */
#define SECOND ((gint64) G_USEC_PER_SEC)

static gint64 fake_now_us;

static gint64
fake_clock (void)
{
  return fake_now_us;
}

static void
test_logins (void)
{
  g_autoptr (CrAccessLogins) logins = cr_access_logins_new (fake_clock);
  g_autoptr (GArray) sessions = g_array_new (FALSE, FALSE, sizeof (gint64));
  CrAccessLogin login = { .grant_id = 7, .case_no = "case", .requester = "张三",
                          .role = "party", .copy_mode = TRUE, .sessions = sessions };
  g_autofree char *id = NULL, *upper = NULL, *first = NULL;
  char *ids[CR_ACCESS_LOGINS_PER_GRANT];
  gint64 session = 12;

  g_array_append_val (sessions, session);
  fake_now_us = 1000 * SECOND;
  login.expires_us = fake_now_us + 3 * 3600 * SECOND;
  id = cr_access_logins_open (logins, &login);
  g_assert_cmpuint (strlen (id), ==, CR_ACCESS_LOGIN_ID_LENGTH);
  g_assert_nonnull (cr_access_logins_lookup (logins, id));
  g_assert_cmpint (cr_access_logins_lookup (logins, id)->grant_id, ==, 7);

  /* What is not the id is no login: a prefix, upper case, one more
   * character, nothing. */
  upper = g_ascii_strup (id, -1);
  g_assert_null (cr_access_logins_lookup (logins, upper));
  g_assert_null (cr_access_logins_lookup (logins, NULL));
  g_assert_null (cr_access_logins_lookup (logins, ""));
  {
    g_autofree char *prefix = g_strndup (id, 63);
    g_autofree char *longer = g_strconcat (id, "0", NULL);
    g_assert_null (cr_access_logins_lookup (logins, prefix));
    g_assert_null (cr_access_logins_lookup (logins, longer));
  }

  /* Idle for almost two hours, it lives on; two hours idle, it ends. */
  fake_now_us += (CR_ACCESS_LOGIN_IDLE_SECONDS - 1) * SECOND;
  g_assert_nonnull (cr_access_logins_lookup (logins, id));
  fake_now_us += (CR_ACCESS_LOGIN_IDLE_SECONDS) * SECOND;
  g_assert_null (cr_access_logins_lookup (logins, id));
  g_assert_cmpuint (cr_access_logins_count (logins), ==, 0);

  /* Used all along, it still ends at the grant's expiry. */
  g_clear_pointer (&id, g_free);
  login.expires_us = fake_now_us + 3 * SECOND;
  id = cr_access_logins_open (logins, &login);
  fake_now_us += 2 * SECOND;
  g_assert_nonnull (cr_access_logins_lookup (logins, id));
  fake_now_us += 2 * SECOND;
  g_assert_null (cr_access_logins_lookup (logins, id));

  /* One grant holds a few at most: a new one ends the oldest. */
  login.expires_us = fake_now_us + 3600 * SECOND;
  first = cr_access_logins_open (logins, &login);
  for (guint i = 0; i < CR_ACCESS_LOGINS_PER_GRANT; i++)
    {
      fake_now_us += SECOND;
      ids[i] = cr_access_logins_open (logins, &login);
    }
  g_assert_null (cr_access_logins_lookup (logins, first));
  for (guint i = 0; i < CR_ACCESS_LOGINS_PER_GRANT; i++)
    g_assert_nonnull (cr_access_logins_lookup (logins, ids[i]));
  g_assert_cmpuint (cr_access_logins_count (logins), ==, CR_ACCESS_LOGINS_PER_GRANT);

  /* A revoked grant's logins all end; another grant's do not. */
  login.grant_id = 8;
  g_clear_pointer (&id, g_free);
  id = cr_access_logins_open (logins, &login);
  cr_access_logins_close_grant (logins, 7);
  for (guint i = 0; i < CR_ACCESS_LOGINS_PER_GRANT; i++)
    {
      g_assert_null (cr_access_logins_lookup (logins, ids[i]));
      g_free (ids[i]);
    }
  g_assert_nonnull (cr_access_logins_lookup (logins, id));
  cr_access_logins_close (logins, id);
  g_assert_null (cr_access_logins_lookup (logins, id));
  g_assert_cmpuint (cr_access_logins_count (logins), ==, 0);

  /* Bounded: beyond the cap, no new login (grants of their own). */
  for (guint i = 0; i < CR_ACCESS_LOGINS_MAX; i++)
    {
      login.grant_id = 1000 + i;
      g_free (cr_access_logins_open (logins, &login));
    }
  login.grant_id = 99999;
  g_assert_null (cr_access_logins_open (logins, &login));
  /* Once they are idle they make room again. */
  fake_now_us += (CR_ACCESS_LOGIN_IDLE_SECONDS + 1) * SECOND;
  login.expires_us = fake_now_us + 3600 * SECOND;
  g_clear_pointer (&id, g_free);
  id = cr_access_logins_open (logins, &login);
  g_assert_nonnull (id);
  g_assert_cmpuint (cr_access_logins_count (logins), ==, 1);
}

/* --- a download, in process: cut when the grant ends ---------------------- */

typedef struct {
  guint asked;
  gboolean done;
  guint64 bytes;
  gboolean complete;
} DownloadRun;

static gboolean
allowed_once (gpointer user_data)
{
  DownloadRun *run = user_data;
  return run->asked++ == 0;
}

static void
download_finished (guint64 bytes, gboolean complete, gpointer user_data)
{
  DownloadRun *run = user_data;
  run->done = TRUE;
  run->bytes = bytes;
  run->complete = complete;
}

static gboolean
download_ended (gpointer data)
{
  return ((DownloadRun *) data)->done;
}

static void
read_all_async (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GString *got = user_data;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                               NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      g_string_append (got, "");
      g_object_set_data (G_OBJECT (source), "eof", GINT_TO_POINTER (1));
      return;
    }
  g_string_append_len (got, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 65536, G_PRIORITY_DEFAULT, NULL,
                                   read_all_async, got);
}

static void
test_download_cut (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) near = NULL, far = NULL;
  g_autoptr (GString) got = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *data = g_malloc0 (10 * 1024 * 1024);
  DownloadRun run = { 0 };
  guint16 port;
  int fd;

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  far = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  near = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);
  fd = g_file_open_tmp ("access-download-XXXXXX", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, data, 10 * 1024 * 1024, NULL));
  fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);

  /* The grant is there at the first check, gone at the second. */
  cr_access_download_start (G_IO_STREAM (g_object_ref (near)), fd, "video/mp4", "G1-S1-copy.mp4",
                            allowed_once, download_finished, &run, NULL);
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (far)), 65536,
                                   G_PRIORITY_DEFAULT, NULL, read_all_async, got);
  g_assert_true (cr_test_wait_until (download_ended, &run, 20000));
  g_test_message ("cut after %" G_GUINT64_FORMAT " bytes, asked %u times", run.bytes, run.asked);
  g_assert_false (run.complete);
  g_assert_cmpuint (run.asked, ==, 2);
  g_assert_cmpuint (run.bytes, >=, CR_ACCESS_DOWNLOAD_CHECK_BYTES);
  g_assert_cmpuint (run.bytes, <, 10 * 1024 * 1024);
  /* The client reads what was sent, then the end. */
  while (g_object_get_data (G_OBJECT (g_io_stream_get_input_stream (G_IO_STREAM (far))),
                            "eof") == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (got->str, "Content-Length: 10485760\r\n"));
  g_assert_nonnull (strstr (got->str,
                            "Content-Disposition: attachment; filename=\"G1-S1-copy.mp4\""));
  g_assert_cmpuint (got->len - (strstr (got->str, "\r\n\r\n") + 4 - got->str), ==, run.bytes);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  if (!g_test_subprocess ())
    {
      /* The lock's room first: its 31 s of paced guessing run beside
       * everything else. */
      lock.room = cr_test_room_new (60, NULL);
      cr_test_room_start (lock.room);
      lock.thread = g_thread_new ("guesses", guess_codes, NULL);

      fx.room = cr_test_room_new (60, NULL);
      cr_test_access_add_users (fx.room);
      cr_test_room_start (fx.room);
      fx.a1 = cr_test_access_record (fx.room, CASE_A, 4, TRUE);
      fx.a2 = cr_test_access_record (fx.room, CASE_A, 1, FALSE);
      fx.b1 = cr_test_access_record (fx.room, CASE_B, 1, FALSE);
      fx.copy_grant = cr_test_access_grant (fx.room, CASE_A, "all", "张三", IDENTITY_A, "copy",
                                            &fx.copy_code);
      fx.review_grant = cr_test_access_grant (fx.room, CASE_A, "all", "张三", IDENTITY_A,
                                              "review", &fx.review_code);
      fx.other_grant = cr_test_access_grant (fx.room, CASE_B, "all", "赵六", IDENTITY_B, "copy",
                                             &fx.other_code);
      cr_test_access_copies_ready (fx.room, fx.copy_grant);
      cr_test_access_copies_ready (fx.room, fx.review_grant);
      cr_test_access_copies_ready (fx.room, fx.other_grant);
    }

  g_test_add_func ("/courtrec/access-web/logins", test_logins);
  g_test_add_func ("/courtrec/access-web/download-cut", test_download_cut);
  g_test_add_func ("/courtrec/access-web/login", test_login);
  g_test_add_func ("/courtrec/access-web/grant-isolation", test_grant_isolation);
  g_test_add_func ("/courtrec/access-web/play-files", test_play_files);
  g_test_add_func ("/courtrec/access-web/download", test_download);
  g_test_add_func ("/courtrec/access-web/hostile-bodies", test_hostile_bodies);
  g_test_add_func ("/courtrec/access-web/request-form", test_request_form);
  g_test_add_func ("/courtrec/access-web/flood", test_flood);
  g_test_add_func ("/courtrec/access-web/revoke", test_revoke);
  g_test_add_func ("/courtrec/access-web/expired", test_expired);
  g_test_add_func ("/courtrec/access-web/slowed", test_slowed);
  g_test_add_func ("/courtrec/access-web/locked", test_locked);
  status = g_test_run ();

  if (lock.thread != NULL)
    g_thread_join (lock.thread);
  g_free (lock.failure);
  cr_test_room_free (lock.room);
  cr_test_room_free (fx.room);
  g_free (fx.copy_code);
  g_free (fx.review_code);
  g_free (fx.other_code);
  g_free (fx.copy_cookie);
  return status;
}
