/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-hls.c: CrHls fed by a small live capture (x264 + AAC) in the test,
 * served by the public /live routes (live-web.c) on a SoupServer on
 * 127.0.0.1; ffprobe over HTTP and the page in headless chromium are the
 * judges.
 *
 * The server runs in a thread with a main context of its own, so that
 * the synchronous helpers (ffprobe, node) can run while it answers. */
#include "streaming/hls.h"
#include "streaming/live-web.h"
#include "tests/test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOM_ID "test-room"
#define CASE_NUMBER "(2025)浙1022刑初88号"
/* A push blocked by the hung disk would last until the pipeline is rebuilt
 * (seconds); a loaded 2-core machine was seen to preempt one for 0.47 s. */
#define PUSH_LIMIT_US (1000 * 1000)

typedef struct {
  gint64 seen_us;           /* monotonic, when the poller saw it */
  gint64 mtime_ns;
} Snapshot;

typedef struct {
  char *dir;                /* temporary, removed at the end */
  char *hls_dir;
  GstElement *capture;

  GMutex lock;              /* protects hls (swap), the push counters, the
                             * state served and the poller's records */
  CrHls *hls;
  gint64 max_push_us;
  guint64 pushes;
  guint64 video_pushes, video_queued;
  char *state;              /* "live", "paused", "off" */
  GArray *snapshots;        /* Snapshot, each distinct file seen */
  guint max_segments;       /* most .ts files seen in hls_dir at once */
  gboolean torn_snapshot;   /* a snapshot.jpg that was not a whole JPEG */

  GThread *server_thread;
  GMainContext *server_context;
  GMainLoop *server_loop;
  char *base_url;           /* "http://127.0.0.1:PORT" */
  char *raw_base_url;       /* the same routes on a server with raw-paths */
  gboolean server_ready;
  GCond server_cond;

  GThread *poller;
  gint stop_poller;         /* atomic */
} Fixture;

/* ---- the capture that feeds CrHls -------------------------------------- */

static GstFlowReturn
new_sample (GstAppSink *appsink, gpointer data, guint track)
{
  Fixture *fx = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  gint64 before, took;
  gboolean queued;

  if (sample == NULL)
    return GST_FLOW_EOS;
  g_mutex_lock (&fx->lock);
  if (fx->hls != NULL)
    {
      before = g_get_monotonic_time ();
      queued = cr_hls_push (fx->hls, sample, track);
      took = g_get_monotonic_time () - before;
      fx->pushes++;
      fx->max_push_us = MAX (fx->max_push_us, took);
      if (track == CR_HLS_TRACK_VIDEO)
        {
          fx->video_pushes++;
          fx->video_queued += queued;
        }
    }
  g_mutex_unlock (&fx->lock);
  return GST_FLOW_OK;
}

static GstFlowReturn
new_video (GstAppSink *appsink, gpointer data)
{
  return new_sample (appsink, data, CR_HLS_TRACK_VIDEO);
}

static GstFlowReturn
new_audio (GstAppSink *appsink, gpointer data)
{
  return new_sample (appsink, data, CR_HLS_TRACK_AUDIO);
}

static void
capture_start (Fixture *fx)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) video = NULL;
  g_autoptr (GstElement) audio = NULL;
  GstAppSinkCallbacks video_cb = { .new_sample = new_video };
  GstAppSinkCallbacks audio_cb = { .new_sample = new_audio };

  fx->capture = gst_parse_launch (
      "videotestsrc is-live=true pattern=ball "
      "! video/x-raw,format=I420,width=320,height=180,framerate=25/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=400 key-int-max=25 "
      "! h264parse ! video/x-h264,stream-format=avc,alignment=au "
      "! appsink name=video sync=false max-buffers=50 drop=true "
      "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample "
      "! audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse "
      "! appsink name=audio sync=false max-buffers=100 drop=true", &error);
  g_assert_no_error (error);
  video = gst_bin_get_by_name (GST_BIN (fx->capture), "video");
  audio = gst_bin_get_by_name (GST_BIN (fx->capture), "audio");
  gst_app_sink_set_callbacks (GST_APP_SINK (video), &video_cb, fx, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (audio), &audio_cb, fx, NULL);
  g_assert_cmpint (gst_element_set_state (fx->capture, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
}

/* ---- the web server, in its own thread --------------------------------- */

static void
live_state (CrLiveWebState *state, gpointer data)
{
  Fixture *fx = data;
  gboolean off;

  g_mutex_lock (&fx->lock);
  off = g_str_equal (fx->state, "off");
  /* Interned: valid after the lock is released. */
  state->state = g_intern_string (fx->state);
  g_mutex_unlock (&fx->lock);
  state->court = "浙江省三门县人民法院";
  state->room_name = "第一法庭";
  state->case_number = off ? NULL : CASE_NUMBER;
  state->hls_dir = off ? NULL : fx->hls_dir;
}

static SoupServer *
serve (Fixture *fx, gboolean raw_paths, char **base_url)
{
  g_autoptr (GError) error = NULL;
  SoupServer *server = soup_server_new ("raw-paths", raw_paths, NULL);
  GSList *uris;

  cr_live_web_add_handlers (server, ROOM_ID, live_state, fx);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  *base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return server;
}

static gpointer
server_thread (gpointer data)
{
  Fixture *fx = data;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (SoupServer) raw_server = NULL;

  g_main_context_push_thread_default (fx->server_context);
  g_mutex_lock (&fx->lock);
  server = serve (fx, FALSE, &fx->base_url);
  raw_server = serve (fx, TRUE, &fx->raw_base_url);
  fx->server_ready = TRUE;
  g_cond_signal (&fx->server_cond);
  g_mutex_unlock (&fx->lock);

  g_main_loop_run (fx->server_loop);
  soup_server_disconnect (server);
  soup_server_disconnect (raw_server);
  g_clear_object (&server);
  g_clear_object (&raw_server);
  g_main_context_pop_thread_default (fx->server_context);
  return NULL;
}

static void
set_state (Fixture *fx, const char *state)
{
  g_mutex_lock (&fx->lock);
  g_free (fx->state);
  fx->state = g_strdup (state);
  g_mutex_unlock (&fx->lock);
}

typedef struct {
  guint status;
  GHashTable *headers;      /* lower-case name -> value */
  GBytes *body;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->headers, g_hash_table_unref);
  g_clear_pointer (&reply->body, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

/* One request over a raw socket: the path goes out exactly as written
 * ("..", "%2F"), which an HTTP client would normalise first. */
static void
http_to (const char *base_url, const char *method, const char *path, Reply *reply)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autofree char *request = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *head = NULL;
  const guint8 *end;
  guint8 chunk[65536];
  gssize n;
  GInputStream *in;
  GUri *uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, &error);

  g_assert_no_error (error);
  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri),
                                                NULL, &error);
  g_uri_unref (uri);
  g_assert_no_error (error);
  request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                             method, path);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((n = g_input_stream_read (in, chunk, sizeof chunk, NULL, &error)) > 0)
    g_byte_array_append (data, chunk, n);
  g_assert_no_error (error);

  end = (const guint8 *) g_strstr_len ((const char *) data->data, data->len, "\r\n\r\n");
  g_assert_nonnull (end);
  head = g_strndup ((const char *) data->data, end - data->data);
  lines = g_strsplit (head, "\r\n", 0);
  g_assert_true (g_str_has_prefix (lines[0], "HTTP/1.1 "));
  reply->status = atoi (lines[0] + strlen ("HTTP/1.1 "));
  reply->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');
      if (colon != NULL)
        g_hash_table_replace (reply->headers,
                              g_ascii_strdown (lines[i], colon - lines[i]),
                              g_strstrip (g_strdup (colon + 1)));
    }
  end += 4;
  reply->body = g_bytes_new (end, data->data + data->len - end);
}

static void
http (Fixture *fx, const char *method, const char *path, Reply *reply)
{
  http_to (fx->base_url, method, path, reply);
}

/* Whether the body holds @needle: as a pointer for the assertions. */
static const char *
body_has (Reply *reply, const char *needle)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (reply->body, &size);
  return size > 0 ? g_strstr_len (data, size, needle) : NULL;
}

static const char *
header (Reply *reply, const char *name)
{
  return g_hash_table_lookup (reply->headers, name);
}

static guint
status_of (Fixture *fx, const char *method, const char *path)
{
  g_auto (Reply) reply = { 0 };
  http (fx, method, path, &reply);
  g_test_message ("%s %s -> %u", method, path, reply.status);
  return reply.status;
}

/* ---- the poller: what a reader of hls_dir could see -------------------- */

static gpointer
poller_thread (gpointer data)
{
  Fixture *fx = data;
  g_autofree char *path = g_build_filename (fx->hls_dir, "snapshot.jpg", NULL);
  gint64 last_mtime = 0;

  while (!g_atomic_int_get (&fx->stop_poller))
    {
      g_autoptr (GDir) dir = g_dir_open (fx->hls_dir, 0, NULL);
      const char *name;
      guint segments = 0;
      struct stat st;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        segments += g_str_has_suffix (name, ".ts");
      if (g_stat (path, &st) == 0)
        {
          gint64 mtime = st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
          g_autofree char *jpeg = NULL;
          gsize length = 0;
          gboolean whole = g_file_get_contents (path, &jpeg, &length, NULL) && length > 4 &&
                           (guint8) jpeg[0] == 0xFF && (guint8) jpeg[1] == 0xD8 &&
                           (guint8) jpeg[length - 2] == 0xFF && (guint8) jpeg[length - 1] == 0xD9;
          g_mutex_lock (&fx->lock);
          if (mtime != last_mtime)
            {
              Snapshot snapshot = { g_get_monotonic_time (), mtime };
              g_array_append_val (fx->snapshots, snapshot);
              last_mtime = mtime;
            }
          if (!whole && g_file_test (path, G_FILE_TEST_EXISTS))
            fx->torn_snapshot = TRUE;
          g_mutex_unlock (&fx->lock);
        }
      g_mutex_lock (&fx->lock);
      fx->max_segments = MAX (fx->max_segments, segments);
      g_mutex_unlock (&fx->lock);
      g_usleep (50 * 1000);
    }
  return NULL;
}

/* ---- fixture --------------------------------------------------------------- */

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("courtrec-hls-XXXXXX", &error);
  g_assert_no_error (error);
  fx->hls_dir = g_build_filename (fx->dir, "hls", NULL);
  fx->state = g_strdup ("live");
  fx->snapshots = g_array_new (FALSE, FALSE, sizeof (Snapshot));
  g_mutex_init (&fx->lock);
  g_cond_init (&fx->server_cond);

  fx->server_context = g_main_context_new ();
  fx->server_loop = g_main_loop_new (fx->server_context, FALSE);
  fx->server_thread = g_thread_new ("test-http", server_thread, fx);
  g_mutex_lock (&fx->lock);
  while (!fx->server_ready)
    g_cond_wait (&fx->server_cond, &fx->lock);
  g_mutex_unlock (&fx->lock);
}

static void
set_hls (Fixture *fx, CrHls *hls)
{
  g_mutex_lock (&fx->lock);
  fx->hls = hls;
  g_mutex_unlock (&fx->lock);
}

static void
start_hls (Fixture *fx)
{
  g_autoptr (GError) error = NULL;
  CrHls *hls = cr_hls_new (fx->hls_dir, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cr_hls_get_dir (hls), ==, fx->hls_dir);
  cr_hls_start (hls);
  set_hls (fx, hls);
  fx->poller = g_thread_new ("test-poller", poller_thread, fx);
  capture_start (fx);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  CrHls *hls = fx->hls;

  if (fx->poller != NULL)
    {
      g_atomic_int_set (&fx->stop_poller, 1);
      g_thread_join (fx->poller);
    }
  set_hls (fx, NULL);
  cr_hls_free (hls);
  if (fx->capture != NULL)
    {
      gst_element_set_state (fx->capture, GST_STATE_NULL);
      gst_clear_object (&fx->capture);
    }
  g_main_loop_quit (fx->server_loop);
  g_thread_join (fx->server_thread);
  g_main_loop_unref (fx->server_loop);
  g_main_context_unref (fx->server_context);
  g_cond_clear (&fx->server_cond);
  g_mutex_clear (&fx->lock);
  g_array_unref (fx->snapshots);
  g_free (fx->state);
  g_free (fx->base_url);
  g_free (fx->raw_base_url);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", fx->dir);
    g_assert_cmpint (system (command), ==, 0);
  }
  g_free (fx->hls_dir);
  g_free (fx->dir);
}

/* ---- helpers --------------------------------------------------------------- */

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static char *
url (Fixture *fx, const char *path)
{
  return g_strconcat (fx->base_url, path, NULL);
}

static char *
read_playlist (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->hls_dir, name, NULL);
  char *contents = NULL;
  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

/* The segment names of a playlist, in order. (transfer full) */
static GStrv
playlist_segments (const char *playlist)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) lines = g_strsplit (playlist != NULL ? playlist : "", "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '#' && lines[i][0] != '\0')
      g_strv_builder_add (builder, lines[i]);
  return g_strv_builder_end (builder);
}

typedef struct {
  Fixture *fx;
  const char *playlist;
  const char *prefix;       /* segments must start with it; NULL: any */
  guint at_least;
} PlaylistWait;

static gboolean
playlist_has (gpointer data)
{
  PlaylistWait *wait = data;
  g_autofree char *playlist = read_playlist (wait->fx, wait->playlist);
  g_auto (GStrv) segments = playlist_segments (playlist);
  guint matching = 0;
  for (guint i = 0; segments[i] != NULL; i++)
    matching += wait->prefix == NULL || g_str_has_prefix (segments[i], wait->prefix);
  return matching >= wait->at_least;
}

static double
json_double (JsonObject *object, const char *member)
{
  const char *text = json_object_get_string_member_with_default (object, member, "0");
  return g_ascii_strtod (text, NULL);
}

/* ffprobe's streams of @path (a URL), as "codec,codec". */
static char *
codecs_of (JsonObject *probe)
{
  g_autoptr (GString) codecs = g_string_new (NULL);
  JsonArray *streams = json_object_get_array_member (probe, "streams");
  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      g_string_append_printf (codecs, "%s%s", i > 0 ? "," : "",
                              json_object_get_string_member (stream, "codec_name"));
    }
  return g_string_free (g_steal_pointer (&codecs), FALSE);
}

static JsonObject *
stream_of (JsonObject *probe, const char *codec)
{
  JsonArray *streams = json_object_get_array_member (probe, "streams");
  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      if (g_str_equal (json_object_get_string_member (stream, "codec_name"), codec))
        return stream;
    }
  return NULL;
}

/* tests/live-page.mjs on @path; asserts it exits 0. */
static void
run_page (Fixture *fx, const char *path, const char *expect)
{
  g_autofree char *script = cr_test_top_path ("tests/live-page.mjs");
  g_autofree char *page_url = url (fx, path);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "node", script, page_url, expect, NULL };
  gint64 started = g_get_monotonic_time ();
  int status = cr_test_run (&out, &err, argv);

  g_test_message ("live-page.mjs %s %s (%.1f s): %s%s", page_url, expect ? expect : "",
                  (g_get_monotonic_time () - started) / 1e6, out, err);
  g_assert_cmpint (status, ==, 0);
}

static void
assert_pushes_bounded (Fixture *fx)
{
  g_mutex_lock (&fx->lock);
  g_test_message ("%" G_GUINT64_FORMAT " pushes, the longest %" G_GINT64_FORMAT " us; "
                  "video %" G_GUINT64_FORMAT " pushed, %" G_GUINT64_FORMAT " queued",
                  fx->pushes, fx->max_push_us, fx->video_pushes, fx->video_queued);
  g_assert_cmpuint (fx->pushes, >, 100);
  /* Well under 1 ms on an idle machine; a loaded one (2 cores, x264,
   * chromium) may preempt a push. A blocked push would last as long as the
   * stall: seconds (see PUSH_LIMIT_US). */
  g_assert_cmpint (fx->max_push_us, <, PUSH_LIMIT_US);
  g_mutex_unlock (&fx->lock);
}

/* ---- tests ------------------------------------------------------------- */

/* The routes on a directory laid out by hand: what is served, with which
 * type, and what never is. */
static void
test_routes (Fixture *fx, gconstpointer data)
{
  g_autofree char *secret = g_build_filename (fx->dir, "secret.txt", NULL);
  g_autofree char *link = g_build_filename (fx->hls_dir, "live-1-00001.ts", NULL);
  g_autofree char *fifo = g_build_filename (fx->hls_dir, "live-1-00002.ts", NULL);
  const char *playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nlive-1-00000.ts\n";
  struct {
    const char *name, *contents;
  } files[] = {
    { "index.m3u8", playlist }, { "audio.m3u8", playlist },
    { "live-1-00000.ts", "G-segment" }, { "snapshot.jpg", "\xff\xd8jpeg\xff\xd9" },
  };
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fx->hls_dir, 0755), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (fx->hls_dir, files[i].name, NULL);
      g_file_set_contents (path, files[i].contents, -1, &error);
      g_assert_no_error (error);
    }
  g_file_set_contents (secret, "secret", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink ("../secret.txt", link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);

  /* A playlist being created (still empty) is not there yet: 404, for the
   * player to ask again, never an empty 200. */
  {
    g_autofree char *audio = g_build_filename (fx->hls_dir, "audio.m3u8", NULL);
    g_file_set_contents (audio, "", 0, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (status_of (fx, "GET", "/live/" ROOM_ID "/audio.m3u8"), ==, 404);
    g_file_set_contents (audio, playlist, -1, &error);
    g_assert_no_error (error);
  }

  /* The page, at /live/ and /live/ROOM/, with the room filled in. */
  {
    g_auto (Reply) reply = { 0 };
    http (fx, "GET", "/live/" ROOM_ID "/", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_true (g_str_has_prefix (header (&reply, "content-type"), "text/html"));
    g_assert_nonnull (body_has (&reply, "庭审直播"));
    g_assert_nonnull (body_has (&reply, "content=\"" ROOM_ID "\""));
  }
  g_assert_cmpuint (status_of (fx, "GET", "/live/"), ==, 200);
  {
    g_auto (Reply) reply = { 0 };
    http (fx, "GET", "/live/" ROOM_ID, &reply);
    g_assert_cmpuint (reply.status, ==, 301);
    g_assert_cmpstr (header (&reply, "location"), ==, "/live/" ROOM_ID "/");
  }

  /* The state, the media, the scripts: types and caching. */
  {
    g_auto (Reply) reply = { 0 };
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonObject *state;
    http (fx, "GET", "/live/" ROOM_ID "/state.json", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_cmpstr (header (&reply, "content-type"), ==, "application/json");
    g_assert_cmpstr (header (&reply, "cache-control"), ==, "no-cache");
    json_parser_load_from_data (parser, g_bytes_get_data (reply.body, NULL),
                                g_bytes_get_size (reply.body), &error);
    g_assert_no_error (error);
    state = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (state, "state"), ==, "live");
    g_assert_cmpstr (json_object_get_string_member (state, "case_number"), ==, CASE_NUMBER);
    g_assert_cmpstr (json_object_get_string_member (state, "video"), ==, "index.m3u8");
  }
  {
    struct {
      const char *path, *type, *cache;
    } served[] = {
      { "/live/" ROOM_ID "/index.m3u8", "application/vnd.apple.mpegurl", "no-cache" },
      { "/live/" ROOM_ID "/audio.m3u8", "application/vnd.apple.mpegurl", "no-cache" },
      { "/live/" ROOM_ID "/live-1-00000.ts", "video/mp2t", NULL },
      { "/live/" ROOM_ID "/snapshot.jpg", "image/jpeg", "no-cache" },
      { "/live/assets/hls.min.js", "text/javascript; charset=utf-8", NULL },
      { "/live/assets/live.js", "text/javascript; charset=utf-8", NULL },
      { "/live/assets/live.css", "text/css; charset=utf-8", NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (served); i++)
      {
        g_auto (Reply) reply = { 0 };
        http (fx, "GET", served[i].path, &reply);
        g_test_message ("GET %s -> %u %s", served[i].path, reply.status,
                        header (&reply, "content-type"));
        g_assert_cmpuint (reply.status, ==, 200);
        g_assert_cmpstr (header (&reply, "content-type"), ==, served[i].type);
        if (served[i].cache != NULL)
          g_assert_cmpstr (header (&reply, "cache-control"), ==, served[i].cache);
        g_assert_cmpuint (g_bytes_get_size (reply.body), >, 0);
      }
  }
  {
    g_auto (Reply) reply = { 0 };
    http (fx, "GET", "/live/" ROOM_ID "/index.m3u8", &reply);
    g_assert_cmpmem (g_bytes_get_data (reply.body, NULL), g_bytes_get_size (reply.body),
                     playlist, strlen (playlist));
  }
  {
    g_auto (Reply) reply = { 0 };
    g_autofree char *length = g_strdup_printf ("%zu", strlen (playlist));
    http (fx, "HEAD", "/live/" ROOM_ID "/index.m3u8", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_cmpstr (header (&reply, "content-length"), ==, length);
    g_assert_cmpuint (g_bytes_get_size (reply.body), ==, 0);
  }

  /* Never outside hls_dir, never anything but our own plain names. GLib
   * removes literal dot segments when it parses the request ("/a/../b" is
   * "/b"); a path that has ".." segments only once decoded is refused by
   * libsoup itself (400) before any handler runs. The server with
   * raw-paths hands such a path to ours undecoded, which must refuse it
   * too (404). */
  {
    struct {
      const char *path;
      guint status;         /* on the usual server */
    } refused[] = {
      { "/live/" ROOM_ID "/..%2F..%2Fetc%2Fpasswd", 400 },
      { "/live/" ROOM_ID "/../x", 404 },
      { "/live/" ROOM_ID "/../../../../etc/passwd", 404 },
      { "/live/" ROOM_ID "/..%2Fsecret.txt", 400 },
      { "/live/" ROOM_ID "/%2E%2E/secret.txt", 404 },
      { "/live/" ROOM_ID "/%2e%2e%2fsecret.txt", 400 },
      { "/live/assets/../" ROOM_ID "/secret.txt", 404 },
      { "/live/" ROOM_ID "/secret.txt", 404 },
      { "/live/" ROOM_ID "/live-1-00001.ts", 404 },    /* a symlink to ../secret.txt */
      { "/live/" ROOM_ID "/live-1-00002.ts", 404 },    /* a FIFO: must not hang */
      { "/live/" ROOM_ID "/.index.m3u8", 404 },
      { "/live/" ROOM_ID "/sub/index.m3u8", 404 },
      { "/live/" ROOM_ID "/sub%2Findex.m3u8", 404 },
      { "/live/" ROOM_ID "/index.m3u8%00.ts", 400 },
      { "/live/other-room/", 404 },
      { "/live/other-room/state.json", 404 },
      { "/live/other-room/index.m3u8", 404 },
      { "/live/assets/nope.js", 404 },
      { "/live/assets/live.html", 404 },
      { "/livex", 404 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_auto (Reply) reply = { 0 };
        g_auto (Reply) raw_reply = { 0 };
        http (fx, "GET", refused[i].path, &reply);
        http_to (fx->raw_base_url, "GET", refused[i].path, &raw_reply);
        g_test_message ("GET %s -> %u, with raw paths %u", refused[i].path, reply.status,
                        raw_reply.status);
        g_assert_cmpuint (reply.status, ==, refused[i].status);
        g_assert_cmpuint (raw_reply.status, ==, 404);
        g_assert_null (body_has (&reply, "secret"));
        g_assert_null (body_has (&raw_reply, "secret"));
      }
  }
  /* And with raw paths, an escaped name is still served. */
  {
    g_auto (Reply) reply = { 0 };
    http_to (fx->raw_base_url, "GET", "/live/" ROOM_ID "/index%2Em3u8", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
  }

  /* Read-only. */
  {
    const char *methods[] = { "POST", "PUT", "DELETE", "PATCH" };
    for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
      {
        g_auto (Reply) reply = { 0 };
        http (fx, methods[i], "/live/" ROOM_ID "/state.json", &reply);
        g_assert_cmpuint (reply.status, ==, 405);
        g_assert_cmpstr (header (&reply, "allow"), ==, "GET, HEAD");
      }
    g_assert_cmpuint (status_of (fx, "POST", "/live/"), ==, 405);
  }

  /* Paused: the slate is in the stream, the playlists stay. Off: nothing
   * but the state. */
  set_state (fx, "paused");
  g_assert_cmpuint (status_of (fx, "GET", "/live/" ROOM_ID "/index.m3u8"), ==, 200);
  set_state (fx, "off");
  g_assert_cmpuint (status_of (fx, "GET", "/live/" ROOM_ID "/index.m3u8"), ==, 404);
  g_assert_cmpuint (status_of (fx, "GET", "/live/" ROOM_ID "/audio.m3u8"), ==, 404);
  g_assert_cmpuint (status_of (fx, "GET", "/live/" ROOM_ID "/snapshot.jpg"), ==, 404);
  g_assert_cmpuint (status_of (fx, "GET", "/live/" ROOM_ID "/live-1-00000.ts"), ==, 404);
  {
    g_auto (Reply) reply = { 0 };
    http (fx, "GET", "/live/" ROOM_ID "/state.json", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_nonnull (body_has (&reply, "\"state\":\"off\""));
    g_assert_nonnull (body_has (&reply, "\"case_number\":null"));
  }
}

static gboolean
first_segment_deleted (gpointer data)
{
  Fixture *fx = data;
  g_autofree char *first = g_build_filename (fx->hls_dir, "live-1-00000.ts", NULL);
  return !g_file_test (first, G_FILE_TEST_EXISTS);
}

static gboolean
snapshot_refreshed (gpointer data)
{
  Fixture *fx = data;
  gboolean refreshed;
  g_mutex_lock (&fx->lock);
  refreshed = fx->snapshots->len >= 3;
  g_mutex_unlock (&fx->lock);
  return refreshed;
}

/* A real capture through CrHls to ffprobe and to the page in chromium. */
static void
test_live (Fixture *fx, gconstpointer data)
{
  PlaylistWait video = { fx, "index.m3u8", "live-1-", 3 };
  PlaylistWait audio = { fx, "audio.m3u8", "audio-1-", 3 };
  g_autofree char *index_url = url (fx, "/live/" ROOM_ID "/index.m3u8");
  g_autofree char *audio_url = url (fx, "/live/" ROOM_ID "/audio.m3u8");
  g_autofree char *snapshot_url = url (fx, "/live/" ROOM_ID "/snapshot.jpg");
  g_autoptr (JsonObject) probe = NULL;
  g_autofree char *codecs = NULL;
  g_autofree char *playlist = NULL;
  g_auto (GStrv) segments = NULL;
  gint64 started = g_get_monotonic_time ();

  start_hls (fx);
  g_assert_true (cr_test_wait_until (playlist_has, &video, 15000));
  g_assert_true (cr_test_wait_until (playlist_has, &audio, 5000));
  g_test_message ("3 segments in both playlists after %.1f s",
                  (g_get_monotonic_time () - started) / 1e6);

  /* Over HTTP: the playlist has h264 + aac, the audio rendition only aac. */
  probe = cr_test_ffprobe (index_url, FALSE);
  g_assert_nonnull (probe);
  codecs = codecs_of (probe);
  g_test_message ("index.m3u8: %s", codecs);
  g_assert_nonnull (stream_of (probe, "h264"));
  g_assert_nonnull (stream_of (probe, "aac"));
  g_assert_cmpint (json_object_get_int_member (stream_of (probe, "h264"), "width"), ==, 320);
  g_clear_pointer (&probe, json_object_unref);
  g_clear_pointer (&codecs, g_free);
  probe = cr_test_ffprobe (audio_url, FALSE);
  g_assert_nonnull (probe);
  codecs = codecs_of (probe);
  g_test_message ("audio.m3u8: %s", codecs);
  g_assert_cmpstr (codecs, ==, "aac");
  g_clear_pointer (&probe, json_object_unref);

  /* Each listed segment is ~2 s of both tracks, read over HTTP. */
  playlist = read_playlist (fx, "index.m3u8");
  segments = playlist_segments (playlist);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      g_autofree char *path = g_strconcat ("/live/" ROOM_ID "/", segments[i], NULL);
      g_autofree char *segment_url = url (fx, path);
      JsonObject *audio_stream;
      double duration;
      probe = cr_test_ffprobe (segment_url, FALSE);
      g_assert_nonnull (probe);
      duration = json_double (json_object_get_object_member (probe, "format"), "duration");
      g_test_message ("%s: %.2f s", segments[i], duration);
      g_assert_cmpfloat (duration, >, 1.5);
      g_assert_cmpfloat (duration, <, 3.5);
      g_assert_nonnull (stream_of (probe, "h264"));
      audio_stream = stream_of (probe, "aac");
      g_assert_nonnull (audio_stream);
      g_assert_cmpint (json_object_get_int_member (audio_stream, "channels"), ==, 2);
      g_assert_cmpstr (json_object_get_string_member (audio_stream, "sample_rate"), ==,
                       "48000");
      g_clear_pointer (&probe, json_object_unref);
    }

  /* The picture: a JPEG of the video's size. */
  probe = cr_test_ffprobe (snapshot_url, FALSE);
  g_assert_nonnull (probe);
  g_assert_nonnull (stream_of (probe, "mjpeg"));
  g_assert_cmpint (json_object_get_int_member (stream_of (probe, "mjpeg"), "width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (stream_of (probe, "mjpeg"), "height"), ==, 180);
  g_clear_pointer (&probe, json_object_unref);

  /* The page plays it in chromium, video then audio only. */
  if (cr_test_browser_available ())
    run_page (fx, "/live/" ROOM_ID "/", NULL);
  else
    g_printerr ("node, playwright-core or /usr/bin/chromium missing "
                "(scripts/install-deps.sh): the page was not played\n");

  /* Segments roll: the first is deleted, the directory stays bounded. */
  g_assert_true (cr_test_wait_until (first_segment_deleted, fx, 25000));
  /* Snapshots every 10 s, each replaced whole. */
  g_assert_true (cr_test_wait_until (snapshot_refreshed, fx, 25000));
  g_mutex_lock (&fx->lock);
  g_test_message ("at most %u segments on disk; %u snapshots", fx->max_segments,
                  fx->snapshots->len);
  /* 9 closed + 1 being written, for each of the two playlists. */
  g_assert_cmpuint (fx->max_segments, <=, 2 * 10);
  g_assert_false (fx->torn_snapshot);
  for (guint i = 1; i < fx->snapshots->len; i++)
    {
      Snapshot *a = &g_array_index (fx->snapshots, Snapshot, i - 1);
      Snapshot *b = &g_array_index (fx->snapshots, Snapshot, i);
      double interval = (b->mtime_ns - a->mtime_ns) / 1e9;
      g_test_message ("snapshot refreshed after %.2f s", interval);
      g_assert_cmpfloat (interval, >, 9.0);
      g_assert_cmpfloat (interval, <, 13.0);
    }
  g_mutex_unlock (&fx->lock);
  {
    g_autofree char *now = read_playlist (fx, "index.m3u8");
    g_assert_null (strstr (now, "EXT-X-MEDIA-SEQUENCE:0\n"));
    g_assert_null (strstr (now, "live-1-00000.ts"));
  }

  /* The page's other states. */
  if (cr_test_browser_available ())
    {
      set_state (fx, "paused");
      run_page (fx, "/live/", "--expect=paused");
      set_state (fx, "off");
      run_page (fx, "/live/" ROOM_ID "/", "--expect=off");
    }
  set_state (fx, "off");
  g_assert_cmpuint (status_of (fx, "GET", "/live/" ROOM_ID "/index.m3u8"), ==, 404);

  assert_pushes_bounded (fx);

  /* Stopped: both playlists end, pushes are refused at once. */
  {
    g_autofree char *index_end = NULL;
    g_autofree char *audio_end = NULL;
    guint64 queued_before;
    cr_hls_stop (fx->hls);
    index_end = read_playlist (fx, "index.m3u8");
    audio_end = read_playlist (fx, "audio.m3u8");
    g_assert_true (g_str_has_suffix (g_strstrip (index_end), "\n#EXT-X-ENDLIST"));
    g_assert_true (g_str_has_suffix (g_strstrip (audio_end), "\n#EXT-X-ENDLIST"));
    g_mutex_lock (&fx->lock);
    queued_before = fx->video_queued;
    g_mutex_unlock (&fx->lock);
    {
      gboolean never = FALSE;
      cr_test_wait_until (flag_set, &never, 500);
    }
    g_mutex_lock (&fx->lock);
    g_assert_cmpuint (fx->video_queued, ==, queued_before);
    g_mutex_unlock (&fx->lock);
  }
}

/* The highest N of the PREFIXN.ts files in hls_dir: the segment being
 * written. */
static guint
highest_segment (Fixture *fx, const char *prefix)
{
  g_autoptr (GDir) dir = g_dir_open (fx->hls_dir, 0, NULL);
  const char *name;
  guint highest = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".ts"))
      highest = MAX (highest, (guint) atoi (name + strlen (prefix)));
  return highest;
}

static gboolean
old_segments_gone (gpointer data)
{
  Fixture *fx = data;
  g_autoptr (GDir) dir = g_dir_open (fx->hls_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "live-1-") || g_str_has_prefix (name, "audio-1-"))
      return FALSE;
  return TRUE;
}

/* The disk hangs: the next segments are FIFOs nobody reads, so the muxer's
 * open() blocks for good, as on a dead network share. Pushes must stay
 * quick, the watchdog must give up on that pipeline and a new one must
 * serve again; once the writer is released, the old pipeline's files go. */
static void
test_stalled (Fixture *fx, gconstpointer data)
{
  PlaylistWait first = { fx, "index.m3u8", "live-1-", 1 };
  PlaylistWait rebuilt = { fx, "index.m3u8", "live-2-", 1 };
  g_autoptr (GPtrArray) fifos = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) readers = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree char *index_url = url (fx, "/live/" ROOM_ID "/index.m3u8");
  g_autofree char *codecs = NULL;
  guint64 pushed_at_stall, queued_at_stall;
  gint64 stalled_at, stop_started;
  guint highest;
  GLogLevelFlags fatal;

  start_hls (fx);
  g_assert_true (cr_test_wait_until (playlist_has, &first, 15000));
  highest = highest_segment (fx, "live-1-");
  /* The muxer may open the next segment meanwhile: skip the names that
   * already exist. */
  for (guint n = highest + 1; fifos->len < 8 && n <= highest + 16; n++)
    {
      char *fifo = g_strdup_printf ("%s/live-1-%05u.ts", fx->hls_dir, n);
      if (mkfifo (fifo, 0644) != 0)
        {
          g_assert_cmpint (errno, ==, EEXIST);
          g_free (fifo);
          continue;
        }
      g_ptr_array_add (fifos, fifo);
    }
  g_assert_cmpuint (fifos->len, ==, 8);
  stalled_at = g_get_monotonic_time ();
  g_mutex_lock (&fx->lock);
  pushed_at_stall = fx->video_pushes;
  queued_at_stall = fx->video_queued;
  g_mutex_unlock (&fx->lock);

  g_assert_true (cr_test_wait_until (playlist_has, &rebuilt, 30000));
  g_test_message ("serving again from a new pipeline %.1f s after the disk hung",
                  (g_get_monotonic_time () - stalled_at) / 1e6);
  g_mutex_lock (&fx->lock);
  g_test_message ("video frames since the stall: %" G_GUINT64_FORMAT " pushed, %"
                  G_GUINT64_FORMAT " queued", fx->video_pushes - pushed_at_stall,
                  fx->video_queued - queued_at_stall);
  g_assert_cmpuint (fx->video_pushes - pushed_at_stall, >,
                    fx->video_queued - queued_at_stall);
  g_mutex_unlock (&fx->lock);
  assert_pushes_bounded (fx);
  codecs = cr_test_probe_stream (index_url, 8);
  g_test_message ("index.m3u8 after the rebuild: %s", codecs);
  g_assert_cmpstr (codecs, ==, "h264,aac");

  /* Release the hung writer: a reader comes and goes, its next write
   * fails (EPIPE), and the old pipeline's teardown can finish. */
  /* Taken down while its muxer was stuck in open(), the given-up pipeline
   * complains on its way out once released: mpegtsmux (1.22) gets the
   * buffer it held after its pads were flushed ("data flow before segment
   * event", then a critical on that buffer's segment). That is GStreamer
   * about a pipeline already replaced, logged and survived in the daemon;
   * here such messages are not fatal until the pipeline is gone. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  for (guint i = 0; i < fifos->len; i++)
    {
      int fd = open (g_ptr_array_index (fifos, i), O_RDONLY | O_NONBLOCK);
      g_assert_cmpint (fd, >=, 0);
      g_array_append_val (readers, fd);
      g_unlink (g_ptr_array_index (fifos, i));
    }
  for (guint i = 0; i < readers->len; i++)
    close (g_array_index (readers, int, i));
  g_assert_true (cr_test_wait_until (old_segments_gone, fx, 10000));
  g_log_set_always_fatal (fatal);

  stop_started = g_get_monotonic_time ();
  cr_hls_stop (fx->hls);
  g_test_message ("stopped in %.2f s", (g_get_monotonic_time () - stop_started) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - stop_started, <, 5 * G_USEC_PER_SEC);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* A FIFO released under a writer (the stalled test) must not kill us. */
  signal (SIGPIPE, SIG_IGN);

  g_test_add ("/courtrec/hls/routes", Fixture, NULL, fixture_set_up, test_routes,
              fixture_tear_down);
  g_test_add ("/courtrec/hls/live", Fixture, NULL, fixture_set_up, test_live,
              fixture_tear_down);
  g_test_add ("/courtrec/hls/stalled", Fixture, NULL, fixture_set_up, test_stalled,
              fixture_tear_down);
  return g_test_run ();
}
