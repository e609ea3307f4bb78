/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-vod.c: publication of recorded hearings as video on demand, on a
 * real courtrecd recording test sources. Only an approver publishes, only
 * a stopped session of a case approved for broadcast; the published copy
 * is listed at /vod/ and plays in chromium through hls.js; withdrawal
 * takes it off the catalogue and off the disk at once; a case forbidden
 * after publication stops being served. Every face gets hostile input:
 * malformed and oversized bodies, unknown ids, paths that try to leave the
 * copy's directory. */
#include <gio/gio.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "accounts/users.h"
#include "archive/segment-index.h"
#include "tests/test-util.h"

#define CASE_APPROVED "（2026）浙1022民初501号"
#define CASE_FORBIDDEN "（2026）浙1022刑初502号"
/* Markup in a title is text on the page, never markup. */
#define TITLE "王某诉李某买卖合同纠纷 / Wang v. Li, sale of goods <i>&amp;</i>"

/* Texts made for one call (ids, bodies), freed at the end of the test. */
static GPtrArray *kept;
#define KEEP(text) keep (text)

static const char *
keep (char *text)
{
  g_ptr_array_add (kept, text);
  return text;
}

static const char *
id_text (gint64 id)
{
  return KEEP (g_strdup_printf ("%" G_GINT64_FORMAT, id));
}

typedef struct {
  CrTestRoom *room;
  char *viewer, *clerk, *approver;   /* API tokens */
  char *approver_file;               /* the approver's token, for --token-file */
} Fixture;

/* --- HTTP ---------------------------------------------------------------- */

/* One request to 127.0.0.1:@port exactly as written (no client
 * normalizes its path), "Connection: close"; the status, and the body in
 * @body. */
static guint
raw_request (guint16 port, const char *method, const char *path, char **body)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Connection: close\r\n\r\n", method, path);
  g_autoptr (GString) reply = g_string_new (NULL);
  GInputStream *in;
  char buffer[65536];
  gssize n;
  guint status = 0;
  const char *start;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (reply, buffer, n);
  if (g_str_has_prefix (reply->str, "HTTP/1.1 ") || g_str_has_prefix (reply->str, "HTTP/1.0 "))
    status = (guint) g_ascii_strtoull (reply->str + 9, NULL, 10);
  start = strstr (reply->str, "\r\n\r\n");
  if (body != NULL)
    *body = g_strdup (start != NULL ? start + 4 : "");
  return status;
}

static guint
public_get (Fixture *fx, const char *path, char **body)
{
  return raw_request (fx->room->public_port, "GET", path, body);
}

/* POST @path of the API as @token with @json; the status, the reply in
 * @reply (may be NULL). */
static guint
api_post (Fixture *fx, const char *path, const char *token, const char *json, char **reply)
{
  g_autofree char *body = NULL;
  guint status = cr_test_http (fx->room, "POST", path, token, json, &body);

  g_test_message ("POST %s %.200s -> %u %.300s", path, json != NULL ? json : "", status,
                  body != NULL ? body : "");
  if (reply != NULL)
    *reply = g_steal_pointer (&body);
  return status;
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* {"session": "ID", ...} publishing as @token; the publication's id on
 * 200, else 0 with the status in @status. */
static gint64
publish (Fixture *fx, const char *token, gint64 session_id, const char *extra, guint *status)
{
  g_autofree char *json = g_strdup_printf ("{\"session\":\"%" G_GINT64_FORMAT "\"%s%s}",
                                           session_id, extra != NULL ? "," : "",
                                           extra != NULL ? extra : "");
  g_autofree char *reply = NULL;
  g_autoptr (JsonObject) object = NULL;

  *status = api_post (fx, "/api/v1/vod/publish", token, json, &reply);
  if (*status != 200)
    return 0;
  object = parse_object (reply);
  return json_object_get_int_member (json_object_get_object_member (object, "publication"),
                                     "id");
}

/* --- the room -------------------------------------------------------------- */

static char *
add_account (CrUsers *users, const char *name, CrRole role)
{
  g_autoptr (GError) error = NULL;
  char *token;

  g_assert_true (cr_users_add (users, name, role, "account-pass-5678", &error));
  g_assert_no_error (error);
  token = cr_users_issue_token (users, name, NULL, &error);
  g_assert_no_error (error);
  return token;
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autofree char *db = NULL;
  g_autoptr (CrUsers) users = NULL;
  g_autoptr (GError) error = NULL;

  fx->room = cr_test_room_new (10, NULL);
  db = g_build_filename (fx->room->dir, "users.db", NULL);
  users = cr_users_open (db, TRUE, &error);
  g_assert_no_error (error);
  fx->viewer = add_account (users, "viewer1", CR_ROLE_VIEWER);
  fx->clerk = add_account (users, "clerk1", CR_ROLE_CLERK);
  fx->approver = add_account (users, "审批人", CR_ROLE_APPROVER);
  fx->approver_file = g_build_filename (fx->room->dir, "approver.token", NULL);
  g_assert_true (g_file_set_contents (fx->approver_file, fx->approver, -1, NULL));
  /* @data: a renderer of the test's own instead of courtrec; "slow":
   * courtrec's, 2 s late. */
  if (g_strcmp0 (data, "slow") == 0)
    {
      g_autofree char *script = g_build_filename (fx->room->dir, "slow-courtrec", NULL);
      g_autofree char *courtrec = cr_test_build_path ("courtrec");
      g_autofree char *absolute = g_canonicalize_filename (courtrec, NULL);
      g_autofree char *quoted = g_shell_quote (absolute);
      g_autofree char *text = g_strdup_printf ("#!/bin/sh\nsleep 2\nexec %s \"$@\"\n", quoted);

      g_assert_true (g_file_set_contents (script, text, -1, NULL));
      g_assert_cmpint (g_chmod (script, 0700), ==, 0);
      cr_test_room_setenv (fx->room, "CR_COURTREC", script);
    }
  else if (data != NULL)
    cr_test_room_setenv (fx->room, "CR_COURTREC", data);
  cr_test_room_start (fx->room);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_autofree char *log = NULL;

  if (g_test_failed () && g_file_get_contents (fx->room->daemon_log, &log, NULL, NULL))
    g_test_message ("courtrecd's log:\n%s", log);
  cr_test_room_free (fx->room);
  g_free (fx->viewer);
  g_free (fx->clerk);
  g_free (fx->approver);
  g_free (fx->approver_file);
}

static void
decide (Fixture *fx, const char *case_no, gboolean approve)
{
  g_autofree char *json = approve
      ? g_strdup_printf ("{\"case\":\"%s\"}", case_no)
      : g_strdup_printf ("{\"case\":\"%s\",\"reason\":\"未成年人 / a minor\"}", case_no);

  g_assert_cmpuint (api_post (fx, approve ? "/api/v1/broadcast/approve"
                                          : "/api/v1/broadcast/forbid",
                              fx->approver, json, NULL), ==, 200);
}

/* A session of @case_no recorded for about @seconds, with a marker. */
static gint64
record (Fixture *fx, const char *case_no, guint seconds, gboolean stop)
{
  gint64 id = cr_test_start_session (fx->room, case_no);

  g_usleep (seconds * G_USEC_PER_SEC / 2);
  g_assert_cmpint (cr_test_client (fx->room, NULL, NULL, "mark", "原告陈述 / plaintiff's statement",
                                   NULL), ==, 0);
  g_usleep (seconds * G_USEC_PER_SEC / 2);
  if (stop)
    {
      cr_test_stop_and_wait (fx->room, id);
      cr_test_wait_sealed (fx->room, id);
    }
  return id;
}

/* The events of @session_id of @kind whose detail names publication @id. */
static guint
count_events (Fixture *fx, gint64 session_id, const char *kind, gint64 id)
{
  g_autofree char *path = g_build_filename (fx->room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, &error);
  g_autoptr (GPtrArray) events = NULL;
  guint count = 0;

  g_assert_no_error (error);
  events = cr_segment_index_list_events (index, session_id, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      g_autoptr (JsonNode) detail = NULL;

      if (g_strcmp0 (event->kind_name, kind) != 0 || event->detail == NULL)
        continue;
      detail = json_from_string (event->detail, NULL);
      if (detail != NULL && JSON_NODE_HOLDS_OBJECT (detail) &&
          json_object_get_int_member_with_default (json_node_get_object (detail),
                                                   "publication", 0) == id)
        count++;
    }
  return count;
}

/* @data: "LOG\nTEXT\nTEXT...": courtrecd's log LOG has one of the TEXTs. */
static gboolean
log_says (gpointer data)
{
  g_auto (GStrv) parts = g_strsplit (data, "\n", -1);
  g_autofree char *log = NULL;

  if (!g_file_get_contents (parts[0], &log, NULL, NULL))
    return FALSE;
  for (guint i = 1; parts[i] != NULL; i++)
    if (strstr (log, parts[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* --- the catalogue ----------------------------------------------------------- */

/* The catalogue's entry of publication @id, or NULL. (transfer full) */
static JsonObject *
catalogue_entry (Fixture *fx, gint64 id)
{
  g_autofree char *body = NULL;
  g_autoptr (JsonObject) catalogue = NULL;
  JsonArray *publications;

  g_assert_cmpuint (public_get (fx, "/vod/api/catalogue", &body), ==, 200);
  catalogue = parse_object (body);
  publications = json_object_get_array_member (catalogue, "publications");
  for (guint i = 0; i < json_array_get_length (publications); i++)
    {
      JsonObject *entry = json_array_get_object_element (publications, i);
      if (json_object_get_int_member (entry, "id") == id)
        return json_object_ref (entry);
    }
  return NULL;
}

typedef struct {
  Fixture *fx;
  gint64 id;
} Listed;

static gboolean
is_listed (gpointer data)
{
  Listed *listed = data;
  g_autoptr (JsonObject) entry = catalogue_entry (listed->fx, listed->id);
  return entry != NULL;
}

static void
wait_listed (Fixture *fx, gint64 id)
{
  Listed listed = { fx, id };
  /* A render of a few seconds of 320x180: seconds, more under load. */
  g_assert_true (cr_test_wait_until (is_listed, &listed,
                                     (guint) (40000 * cr_test_timing_factor ())));
}

static char *
publication_dir (Fixture *fx, gint64 id)
{
  g_autofree char *name = g_strdup_printf ("P%" G_GINT64_FORMAT, id);
  return g_build_filename (fx->room->storage_dir, "vod", name, NULL);
}

static char *
playlist_path (gint64 id)
{
  return g_strdup_printf ("/vod/p/%" G_GINT64_FORMAT "/hls/index.m3u8", id);
}

/* The loudest sample (dB) of @url's audio from @from to @to seconds:
 * ffmpeg's volumedetect. */
static double
max_volume (const char *url, double from, double to)
{
  g_autofree char *filter = g_strdup_printf ("atrim=%.2f:%.2f,volumedetect", from, to);
  const char *argv[] = { "ffmpeg", "-hide_banner", "-nostats", "-i", url, "-vn", "-af", filter,
                         "-f", "null", "-", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *at;

  g_assert_cmpint (cr_test_run (&out, &err, argv), ==, 0);
  at = strstr (err, "max_volume:");
  if (at == NULL)
    g_error ("ffmpeg measured no volume from %.2f to %.2f s: %s", from, to, err);
  return g_ascii_strtod (at + strlen ("max_volume:"), NULL);
}

/* --- the browser ------------------------------------------------------------ */

typedef struct {
  gboolean exited;
  int status;
  char *out, *err;
} Page;

static void
page_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Page *page = data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &page->out, &page->err,
                                        &error);
  page->status = g_subprocess_get_if_exited (G_SUBPROCESS (source))
                 ? g_subprocess_get_exit_status (G_SUBPROCESS (source)) : 128;
  page->exited = TRUE;
}

static gboolean
page_exited (gpointer data)
{
  return ((Page *) data)->exited;
}

typedef struct {
  const char *path;
  Page *page;
} Ready;

static gboolean
page_ready (gpointer data)
{
  Ready *ready = data;
  return ready->page->exited || g_file_test (ready->path, G_FILE_TEST_EXISTS);
}

/* --- tests ------------------------------------------------------------------- */

/* The whole life of a publication, as the court and the public meet it. */
static void
test_publish_play_withdraw (Fixture *fx, gconstpointer data)
{
  CrTestRoom *room = fx->room;
  gint64 running, forbidden, session, id;
  guint status = 0;
  g_autofree char *reply = NULL;
  g_autofree char *body = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *playlist = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autoptr (JsonObject) object = NULL;

  decide (fx, CASE_APPROVED, TRUE);
  decide (fx, CASE_FORBIDDEN, FALSE);

  /* A session still recording is refused, even to an approver. */
  running = record (fx, CASE_APPROVED, 3, FALSE);
  g_assert_cmpint (publish (fx, fx->approver, running, NULL, &status), ==, 0);
  g_assert_cmpuint (status, ==, 409);
  cr_test_stop_and_wait (room, running);
  cr_test_wait_sealed (room, running);
  session = running;

  /* A non-public case never, though stopped and sealed. */
  forbidden = record (fx, CASE_FORBIDDEN, 2, TRUE);
  g_assert_cmpint (publish (fx, fx->approver, forbidden, NULL, &status), ==, 0);
  g_assert_cmpuint (status, ==, 409);
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/publish", fx->approver,
                              KEEP (g_strdup_printf ("{\"session\":\"%" G_GINT64_FORMAT "\"}", forbidden)),
                              &reply), ==, 409);
  g_assert_nonnull (strstr (reply, "forbidden"));
  g_clear_pointer (&reply, g_free);

  /* Only an approver. */
  g_assert_cmpint (publish (fx, fx->viewer, session, NULL, &status), ==, 0);
  g_assert_cmpuint (status, ==, 403);
  g_assert_cmpint (publish (fx, fx->clerk, session, NULL, &status), ==, 0);
  g_assert_cmpuint (status, ==, 403);
  g_assert_cmpint (publish (fx, NULL, session, NULL, &status), ==, 0);
  g_assert_cmpuint (status, ==, 401);
  {
    g_autoptr (JsonObject) catalogue = NULL;
    g_assert_cmpuint (public_get (fx, "/vod/api/catalogue", &body), ==, 200);
    catalogue = parse_object (body);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (catalogue,
                                                                           "publications")),
                      ==, 0);
    g_clear_pointer (&body, g_free);
  }

  /* The CLI refuses what is not of its form before anything is sent. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "publish", "abc", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "SESSION"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "publish", "1", "--mute", "judge@later:why", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--mute"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "publish", "1", "--blur", "1,2@00:00:01-00:00:02:face", NULL),
                   ==, 2);
  g_assert_nonnull (strstr (err, "--blur"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  /* ... and the daemon what is not of the session: a span after its end,
   * a track the room has not. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "publish", id_text (session),
                                   "--cut", "05:00:00-05:00:01:after the end", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "outside the session"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "publish", id_text (session),
                                   "--mute", "nobody@00:00:01-00:00:02:x", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "track"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  /* The approver publishes with the CLI, a muted second on the mix. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "publish", id_text (session),
                                   "--title", TITLE, "--mute",
                                   "mix@00:00:01-00:00:02:证人住址 / a witness's address",
                                   "--json", NULL), ==, 0);
  g_test_message ("publish: %s%s", out, err);
  object = parse_object (out);
  {
    JsonObject *publication = json_object_get_object_member (object, "publication");
    JsonArray *redactions = json_object_get_array_member (publication, "redactions");
    JsonObject *mute = json_array_get_object_element (redactions, 0);

    id = json_object_get_int_member (publication, "id");
    g_assert_cmpstr (json_object_get_string_member (publication, "state"), ==, "rendering");
    g_assert_cmpstr (json_object_get_string_member (publication, "published_by"), ==, "审批人");
    /* Offsets are resolved into UTC, "by" is the approver. */
    g_assert_cmpuint (json_array_get_length (redactions), ==, 1);
    g_assert_true (g_str_has_suffix (json_object_get_string_member (mute, "from"), "Z"));
    g_assert_cmpstr (json_object_get_string_member (mute, "by"), ==, "审批人");
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpuint (count_events (fx, session, "published", id), ==, 1);

  wait_listed (fx, id);
  entry = catalogue_entry (fx, id);
  g_assert_cmpstr (json_object_get_string_member (entry, "case"), ==, CASE_APPROVED);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, TITLE);
  g_assert_cmpstr (json_object_get_string_member (entry, "court"), ==, "浙江省三门县人民法院");
  g_assert_nonnull (json_object_get_string_member (entry, "date"));
  g_assert_cmpuint (count_events (fx, session, "copy-rendered", id), ==, 1);

  /* Its HLS, read by ffprobe over the public listener: a picture and the
   * recording's length. */
  dir = publication_dir (fx, id);
  playlist = playlist_path (id);
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", room->public_port, playlist);
    g_autoptr (JsonObject) probe = cr_test_ffprobe (url, FALSE);
    JsonArray *streams;
    gboolean video = FALSE;

    g_assert_nonnull (probe);
    streams = json_object_get_array_member (probe, "streams");
    for (guint i = 0; i < json_array_get_length (streams); i++)
      video |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (streams, i),
                                                         "codec_type"), "video") == 0;
    g_assert_true (video);
  }
  /* The copy is the court's until it is served: nobody else's to read. */
  {
    GStatBuf st;
    g_autofree char *copy = g_build_filename (dir, "copy.mp4", NULL);
    g_assert_cmpint (g_stat (dir, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
    g_assert_cmpint (g_stat (copy, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
  }
  /* The mute is in the published copy: silence in its span, the tone
   * outside it. */
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", room->public_port, playlist);
    double muted = max_volume (url, 1.3, 1.8);
    double heard = max_volume (url, 2.2, 2.8);

    g_test_message ("max volume: %.1f dB in the muted span, %.1f dB after it", muted, heard);
    g_assert_cmpfloat (muted, <, -70.0);
    g_assert_cmpfloat (heard, >, -40.0);
  }
  /* Its signed manifest lies beside the copy and proves where it came
   * from. */
  {
    g_autofree char *copy = g_build_filename (dir, "copy.mp4", NULL);
    g_autofree char *manifest = g_strconcat (copy, ".manifest.json", NULL);
    g_assert_true (g_file_test (manifest, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint (cr_test_client (room, &out, &err, "verify-copy", copy, NULL), ==, 0);
    g_test_message ("verify-copy: %s%s", out, err);
    g_assert_nonnull (strstr (out, id_text (id)));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  /* The chain covers it all: verify passes. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "verify", "--session",
                                   id_text (session), NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Played in chromium through hls.js; withdrawn while the page is open,
   * it stops and says so. */
  if (cr_test_browser_available ())
    {
      g_autofree char *script = cr_test_top_path ("tests/vod-page.mjs");
      g_autofree char *origin = g_strdup_printf ("http://127.0.0.1:%u", room->public_port);
      g_autofree char *ready_path = g_build_filename (room->dir, "page-ready", NULL);
      g_autofree char *ready_arg = g_strconcat ("--ready=", ready_path, NULL);
      g_autoptr (GSubprocess) node = NULL;
      g_autoptr (GError) error = NULL;
      Page page = { 0 };
      Ready ready = { ready_path, &page };

      node = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error, "node", script, origin, CASE_APPROVED, ready_arg, NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8_async (node, NULL, NULL, page_done, &page);
      g_assert_true (cr_test_wait_until (page_ready, &ready, 60000));
      if (!page.exited)
        g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->approver,
                                    KEEP (g_strdup_printf ("{\"publication\":\"%" G_GINT64_FORMAT
                                                     "\",\"reason\":\"当事人申请 / at a party's "
                                                     "request\"}", id)), NULL), ==, 200);
      g_assert_true (cr_test_wait_until (page_exited, &page, 60000));
      g_test_message ("vod-page.mjs: %s%s", page.out, page.err);
      g_assert_cmpint (page.status, ==, 0);
      g_free (page.out);
      g_free (page.err);
    }
  else
    {
      g_test_message ("no browser (node, playwright-core, chromium): withdrawn without the page");
      g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->approver,
                                  KEEP (g_strdup_printf ("{\"publication\":\"%" G_GINT64_FORMAT
                                                   "\",\"reason\":\"at a party's request\"}", id)),
                                  NULL), ==, 200);
    }

  /* Gone at once: from the catalogue, the disk and the listener. */
  g_clear_pointer (&entry, json_object_unref);
  g_assert_null (catalogue_entry (fx, id));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  {
    g_autofree char *partial = g_strconcat (dir, ".partial", NULL);
    g_autofree char *vod = g_build_filename (fx->room->storage_dir, "vod", NULL);
    g_autoptr (GPtrArray) left = cr_test_find_files (vod, "");
    g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
    g_assert_cmpuint (left->len, ==, 0);
  }
  g_assert_cmpuint (public_get (fx, playlist, NULL), ==, 404);
  g_assert_cmpuint (public_get (fx, KEEP (g_strdup_printf ("/vod/api/p/%" G_GINT64_FORMAT, id)), NULL),
                    ==, 404);
  g_assert_cmpuint (count_events (fx, session, "withdrawn", id), ==, 1);
  /* Twice is refused; the original recording is untouched. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "withdraw", id_text (id),
                                   "--reason", "again", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "already"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  cr_test_assert_recording_whole (room, session, 1);

  /* Published again, then the court forbids the case: from that request
   * on nothing of it is served, though its files are still there. */
  id = publish (fx, fx->approver, session, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  wait_listed (fx, id);
  g_free (playlist);
  playlist = playlist_path (id);
  g_assert_cmpuint (public_get (fx, playlist, NULL), ==, 200);
  decide (fx, CASE_APPROVED, FALSE);
  g_assert_null (catalogue_entry (fx, id));
  g_assert_cmpuint (public_get (fx, playlist, NULL), ==, 404);
  g_assert_cmpuint (public_get (fx, KEEP (g_strdup_printf ("/vod/p/%" G_GINT64_FORMAT "/", id)), NULL),
                    ==, 404);
  g_assert_cmpint (publish (fx, fx->approver, session, NULL, &status), ==, 0);
  g_assert_cmpuint (status, ==, 409);
  g_free (dir);
  dir = publication_dir (fx, id);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  /* Withdrawn, its files go too. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "withdraw", id_text (id),
                                   "--reason", "案件不公开 / the case is non-public", NULL), ==, 0);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The approver's list, from the index: both withdrawn, by whom, why. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "publications", "--json", NULL), ==, 0);
  {
    g_autoptr (JsonNode) node = json_from_string (out, NULL);
    JsonArray *list;
    JsonObject *first;

    g_assert_nonnull (node);
    list = json_node_get_array (node);
    g_assert_cmpuint (json_array_get_length (list), ==, 2);
    first = json_array_get_object_element (list, 0);
    g_assert_cmpstr (json_object_get_string_member (first, "state"), ==, "withdrawn");
    g_assert_cmpstr (json_object_get_string_member (first, "withdrawn_by"), ==, "审批人");
    g_assert_nonnull (json_object_get_string_member (first, "sha256"));
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 1),
                                                    "reason"),
                     ==, "案件不公开 / the case is non-public");
  }
}

/* What the routes refuse: bodies, ids, roles, paths. */
static void
test_hostile (Fixture *fx, gconstpointer data)
{
  CrTestRoom *room = fx->room;
  g_autofree char *big = NULL;
  g_autofree char *deep = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *secret = g_build_filename (room->storage_dir, "vod", "P1", "hls", NULL);
  gint64 session;
  guint status;
  struct {
    const char *body;
    guint status;
  } bodies[] = {
    { "{\"session\":", 400 },
    { "[\"session\"]", 400 },
    { "{\"session\":1}", 400 },
    { "{\"session\":\"1\",\"session\":\"1\"}", 400 },
    { "{\"session\":\"1\",\"owner\":\"x\"}", 400 },
    { "{\"session\":\"abc\"}", 400 },
    { "{\"session\":\"-1\"}", 400 },
    { "{\"session\":\"0\"}", 400 },
    { "{\"session\":\"99999999999999999999\"}", 400 },
    { "{\"session\":\"424242\"}", 404 },
    { "{}", 400 },
  };
  struct {
    const char *redactions;
    const char *says;
  } lists[] = {
    { "not json", "JSON" },
    { "  ", "array" },
    { "{}", "array" },
    { "[1]", "object" },
    { "[{\"kind\":\"erase\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]", "kind" },
    { "[{\"kind\":\"cut\",\"from\":\"00:00:02\",\"to\":\"00:00:01\",\"reason\":\"r\"}]", "before" },
    { "[{\"kind\":\"cut\",\"from\":\"00:00:01\",\"to\":\"00:00:02\"}]", "reason" },
    { "[{\"kind\":\"cut\",\"from\":\"00:00:01\",\"to\":\"00:00:02\",\"reason\":\"\"}]", "reason" },
    { "[{\"kind\":\"cut\",\"from\":\"yesterday\",\"to\":\"00:00:02\",\"reason\":\"r\"}]", "from" },
    { "[{\"kind\":\"blur\",\"x\":-1,\"y\":0,\"width\":10,\"height\":10,\"from\":\"1\","
      "\"to\":\"2\",\"reason\":\"r\"}]", "range" },
    { "[{\"kind\":\"blur\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]", "\\\"x\\\"" },
    { "[{\"kind\":\"mute\",\"track\":\"../../etc\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]",
      "track" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\",\"extra\":1}]", "unknown" },
    { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      "array" },
  };
  const char *paths[] = {
    "/vod/p/1/hls/../../../../room.conf",
    "/vod/p/1/hls/%2e%2e/%2e%2e/index.db",
    "/vod/p/1/hls/..%2f..%2findex.db",
    "/vod/p/1/hls/%2Fetc%2Fpasswd",
    "/vod/p/1/hls/.index.m3u8",
    "/vod/p/1/hls/index.m3u8%00.ts",
    "/vod/p/1/hls/a/index.m3u8",
    "/vod/p/01/hls/index.m3u8",
    "/vod/p/-1/hls/index.m3u8",
    "/vod/p/1e3/hls/index.m3u8",
    "/vod/p/99999999999999999999/hls/index.m3u8",
    "/vod/p/424242/",
    "/vod/p/424242/chapters.json",
    "/vod/api/p/424242",
    "/vod/api/p/abc",
    "/vod/api/p/1/x",
    "/vod/api/nothing",
    "/vod/assets/../vod.html",
    "/vod/assets/room.conf",
    "/vod/x/y",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    g_assert_cmpuint (api_post (fx, "/api/v1/vod/publish", fx->approver, bodies[i].body, NULL),
                      ==, bodies[i].status);
  /* Larger than any body the route takes: refused before it is read. */
  big = g_strnfill (200 * 1024, 'a');
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/publish", fx->approver,
                              KEEP (g_strdup_printf ("{\"session\":\"1\",\"title\":\"%s\"}", big)), NULL),
                    ==, 413);
  /* A title over its length, a redaction list over its. */
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/publish", fx->approver,
                              KEEP (g_strdup_printf ("{\"session\":\"1\",\"title\":\"%.300s\"}", big)),
                              NULL), ==, 400);
  deep = g_strnfill (40000, '[');
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/publish", fx->approver,
                              KEEP (g_strdup_printf ("{\"session\":\"1\",\"redactions\":\"%s\"}", deep)),
                              NULL), ==, 400);
  /* Withdraw: its fields, an unknown id, the role. */
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->approver,
                              "{\"publication\":\"1\"}", NULL), ==, 400);
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->approver,
                              "{\"publication\":\"1\",\"reason\":\"\"}", NULL), ==, 400);
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->approver,
                              "{\"publication\":\"424242\",\"reason\":\"r\"}", NULL), ==, 404);
  g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->clerk,
                              "{\"publication\":\"1\",\"reason\":\"r\"}", NULL), ==, 403);
  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/vod/publish", fx->approver, NULL, NULL),
                    ==, 405);
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "withdraw", "7", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--reason"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "--token-file", fx->approver_file,
                                   "withdraw", "../1", "--reason", "r", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Each bad redaction list, on a session that could be published. */
  decide (fx, CASE_APPROVED, TRUE);
  session = record (fx, CASE_APPROVED, 2, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *json = NULL;
      const char *session_text = id_text (session);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "session");
      json_builder_add_string_value (builder, session_text);
      json_builder_set_member_name (builder, "redactions");
      json_builder_add_string_value (builder, lists[i].redactions);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json = json_to_string (root, FALSE);
      g_assert_cmpuint (api_post (fx, "/api/v1/vod/publish", fx->approver, json, &reply), ==, 400);
      if (strstr (reply, lists[i].says) == NULL)
        g_error ("refusing %s, the reply does not say '%s': %s", lists[i].redactions,
                 lists[i].says, reply);
      g_clear_pointer (&reply, g_free);
    }
  /* Nothing was published by any of it. */
  g_assert_cmpuint (count_events (fx, session, "published", 1), ==, 0);

  /* Withdrawn while its copy renders: the render is stopped and nothing
   * of it stays, on disk or in the catalogue. */
  {
    gint64 id = publish (fx, fx->approver, session, NULL, &status);
    g_autofree char *vod = g_build_filename (room->storage_dir, "vod", NULL);
    g_autoptr (GPtrArray) left = NULL;

    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->approver,
                                KEEP (g_strdup_printf ("{\"publication\":\"%" G_GINT64_FORMAT
                                                       "\",\"reason\":\"r\"}", id)), NULL),
                      ==, 200);
    /* The renderer stops on SIGTERM and removes what it wrote; then
     * courtrecd makes sure. (On a machine so loaded that the render was
     * done before the withdrawal came, the withdrawal deleted it.) */
    g_assert_true (cr_test_wait_until (log_says, (gpointer) KEEP (g_strdup_printf (
                                         "%s\nPublication %" G_GINT64_FORMAT " was withdrawn "
                                         "while it rendered\nPublication %" G_GINT64_FORMAT
                                         " of session", room->daemon_log, id, id)),
                                       (guint) (20000 * cr_test_timing_factor ())));
    left = cr_test_find_files (vod, "");
    for (guint i = 0; i < left->len; i++)
      g_test_message ("left: %s", (const char *) g_ptr_array_index (left, i));
    g_assert_cmpuint (left->len, ==, 0);
    g_assert_null (catalogue_entry (fx, id));
    g_assert_cmpuint (count_events (fx, session, "withdrawn", id), ==, 1);
  }

  /* courtrecd stopped while a copy renders: started again, it renders it
   * anew and publishes it. */
  {
    gint64 id = publish (fx, fx->approver, session, NULL, &status);

    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 20), ==, 0);
    cr_test_room_start (room);
    wait_listed (fx, id);
    g_assert_cmpuint (count_events (fx, session, "copy-rendered", id), ==, 1);
    g_assert_cmpuint (api_post (fx, "/api/v1/vod/withdraw", fx->approver,
                                KEEP (g_strdup_printf ("{\"publication\":\"%" G_GINT64_FORMAT
                                                       "\",\"reason\":\"r\"}", id)), NULL),
                      ==, 200);
  }

  /* The public listener: read-only, and never outside a copy. A file
   * planted where publication 1's copy would be is not served, for
   * publication 1 does not exist. */
  g_assert_cmpint (g_mkdir_with_parents (secret, 0700), ==, 0);
  {
    g_autofree char *planted = g_build_filename (secret, "index.m3u8", NULL);
    g_assert_true (g_file_set_contents (planted, "#EXTM3U\n", -1, NULL));
  }
  g_assert_cmpuint (public_get (fx, "/vod/p/1/hls/index.m3u8", NULL), ==, 404);
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *body = NULL;
      status = public_get (fx, paths[i], &body);
      g_test_message ("GET %s -> %u", paths[i], status);
      /* libsoup answers some paths itself (400); never with a file. */
      g_assert_true (status == 404 || status == 400);
      g_assert_null (strstr (body, "[storage]"));
      g_assert_null (strstr (body, "SQLite"));
    }
  g_assert_cmpuint (raw_request (room->public_port, "POST", "/vod/api/catalogue", NULL), ==, 405);
  g_assert_cmpuint (raw_request (room->public_port, "DELETE", "/vod/p/1/", NULL), ==, 405);
  g_assert_cmpuint (public_get (fx, "/vod", NULL), ==, 301);
  g_assert_cmpuint (public_get (fx, "/vod/", &reply), ==, 200);
  g_assert_nonnull (strstr (reply, "庭审录像"));
  g_assert_nonnull (strstr (reply, "Recorded trials"));
  g_clear_pointer (&reply, g_free);
  g_assert_cmpuint (public_get (fx, "/vod/assets/hls.min.js", NULL), ==, 200);
  g_assert_cmpuint (public_get (fx, "/vod/api/catalogue", &reply), ==, 200);
  g_assert_nonnull (strstr (reply, "\"publications\":[]"));
  /* The control API's routes are not on the public listener. */
  g_assert_cmpuint (raw_request (room->public_port, "POST", "/api/v1/vod/publish", NULL), !=, 200);
}

typedef struct {
  Fixture *fx;
  gint64 session_id, id;
} Events;

static gboolean
has_withdrawn_event (gpointer data)
{
  Events *events = data;
  return count_events (events->fx, events->session_id, "withdrawn", events->id) > 0;
}

/* A renderer that fails: the publication is never listed, nothing of it
 * stays, and the chain says it never was. */
static void
test_render_fails (Fixture *fx, gconstpointer data)
{
  g_autofree char *vod = g_build_filename (fx->room->storage_dir, "vod", NULL);
  g_autofree char *log = NULL;
  g_autoptr (GPtrArray) left = NULL;
  Events events = { fx, 0, 0 };
  guint status;

  decide (fx, CASE_APPROVED, TRUE);
  events.session_id = record (fx, CASE_APPROVED, 2, TRUE);
  events.id = publish (fx, fx->approver, events.session_id, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (cr_test_wait_until (has_withdrawn_event, &events, 15000));
  g_assert_null (catalogue_entry (fx, events.id));
  g_assert_cmpuint (count_events (fx, events.session_id, "copy-rendered", events.id), ==, 0);
  left = cr_test_find_files (vod, "");
  g_assert_cmpuint (left->len, ==, 0);
  g_assert_cmpuint (public_get (fx, KEEP (playlist_path (events.id)), NULL), ==, 404);
  g_assert_true (g_file_get_contents (fx->room->daemon_log, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "failed"));
  g_clear_pointer (&log, g_free);
  g_assert_cmpint (cr_test_client (fx->room, &log, NULL, "publications", NULL), ==, 0);
  g_assert_nonnull (strstr (log, "failed"));
}

/* The court forbids the case while the copy renders: when it is done it
 * is not published, its files go, and the chain says why. */
static void
test_forbidden_while_rendering (Fixture *fx, gconstpointer data)
{
  g_autofree char *vod = g_build_filename (fx->room->storage_dir, "vod", NULL);
  g_autofree char *path = g_build_filename (fx->room->storage_dir, "index.db", NULL);
  g_autoptr (GPtrArray) left = NULL;
  Events events = { fx, 0, 0 };
  guint status;

  decide (fx, CASE_APPROVED, TRUE);
  events.session_id = record (fx, CASE_APPROVED, 2, TRUE);
  events.id = publish (fx, fx->approver, events.session_id, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  decide (fx, CASE_APPROVED, FALSE);
  g_assert_true (cr_test_wait_until (has_withdrawn_event, &events,
                                     (guint) (20000 * cr_test_timing_factor ())));
  g_assert_cmpuint (count_events (fx, events.session_id, "copy-rendered", events.id), ==, 0);
  g_assert_null (catalogue_entry (fx, events.id));
  left = cr_test_find_files (vod, "");
  g_assert_cmpuint (left->len, ==, 0);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, &error);
    g_autoptr (GPtrArray) events_list = cr_segment_index_list_events (index, events.session_id,
                                                                      &error);
    CrEventRecord *last = g_ptr_array_index (events_list, events_list->len - 1);

    g_assert_no_error (error);
    g_assert_cmpstr (last->kind_name, ==, "withdrawn");
    g_assert_nonnull (strstr (last->detail, "forbidden"));
  }
}

int
main (int argc, char **argv)
{
  g_setenv ("LC_ALL", "C.UTF-8", FALSE);
  g_test_init (&argc, &argv, NULL);
  kept = g_ptr_array_new_with_free_func (g_free);
  g_test_add ("/courtrec/vod/publish-play-withdraw", Fixture, NULL, fixture_set_up,
              test_publish_play_withdraw, fixture_tear_down);
  g_test_add ("/courtrec/vod/hostile", Fixture, NULL, fixture_set_up, test_hostile, fixture_tear_down);
  g_test_add ("/courtrec/vod/forbidden-while-rendering", Fixture, "slow", fixture_set_up,
              test_forbidden_while_rendering, fixture_tear_down);
  g_test_add ("/courtrec/vod/render-fails", Fixture, "/bin/false", fixture_set_up,
              test_render_fails, fixture_tear_down);
  return g_test_run ();
}
