/* test-destination.c: CrDestination against a real nginx with its RTMP
 * module on 127.0.0.1, fed by a small live capture (x264 + AAC) in the test;
 * ffprobe reading the stream back from nginx is the judge.
 *
 * Timing of the reconnect test: nginx is SIGKILLed, the sink fails at once
 * (connection reset) and the destination backs off ~2 s (+-20 %); the retry
 * is refused and the next backoff is ~3 s, ~4.5 s ... nginx comes back 3 s
 * after the kill, so one backoff is in force at that moment; when it ends
 * the destination connects, waits for the next keyframe (at most 1 s here)
 * and is live. We assert live within (the backoff in force + 5 s) of nginx
 * returning, and that ffprobe reads h264 + aac afterwards. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "streaming/destination.h"
#include "tests/test-util.h"

#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>

#define STREAM_KEY "s3cr3t-K3Y-42"
#define PUSH_LIMIT_US 5000

typedef struct {
  char *dir;
  CrTestNginx *nginx;
  GstElement *capture;
  CrDestination *dest;      /* fed by the capture while set */
  GMutex lock;              /* protects dest (swap) and the push counters */
  gint64 max_push_us;
  guint64 pushes;
  guint64 blocked_pushes;   /* >= PUSH_LIMIT_US and slept in push() */
  guint64 preempted_pushes; /* >= PUSH_LIMIT_US, only preempted */
  GArray *states;           /* CrDestinationState, in order */
  gint64 live_at_us;        /* last change to LIVE, monotonic */
} Fixture;

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* TRUE when ffprobe reads an h264 and an aac stream from nginx. */
static gboolean
ffprobe_reads (Fixture *fx)
{
  g_autofree char *url = cr_test_nginx_url (fx->nginx, STREAM_KEY);
  g_autofree char *codecs = cr_test_probe_stream (url, 8);
  return codecs != NULL && strstr (codecs, "h264") != NULL && strstr (codecs, "aac") != NULL;
}

/* ---- the capture that feeds the destination ---------------------------- */

static GstFlowReturn
new_sample (GstAppSink *appsink, gpointer data, guint track)
{
  Fixture *fx = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  gint64 before, took;

  if (sample == NULL)
    return GST_FLOW_EOS;
  g_mutex_lock (&fx->lock);
  if (fx->dest != NULL)
    {
      struct rusage r0, r1;
      getrusage (RUSAGE_THREAD, &r0);
      before = g_get_monotonic_time ();
      cr_destination_push (fx->dest, sample, track);
      took = g_get_monotonic_time () - before;
      getrusage (RUSAGE_THREAD, &r1);
      fx->pushes++;
      fx->max_push_us = MAX (fx->max_push_us, took);
      if (took >= PUSH_LIMIT_US)
        {
          /* Over the limit: did push() wait (a voluntary context switch:
           * a lock, a full queue, I/O), or was the thread only preempted? */
          if (r1.ru_nvcsw > r0.ru_nvcsw)
            fx->blocked_pushes++;
          else
            fx->preempted_pushes++;
        }
    }
  g_mutex_unlock (&fx->lock);
  return GST_FLOW_OK;
}

static GstFlowReturn
new_video (GstAppSink *appsink, gpointer data)
{
  return new_sample (appsink, data, CR_DESTINATION_TRACK_VIDEO);
}

static GstFlowReturn
new_audio (GstAppSink *appsink, gpointer data)
{
  return new_sample (appsink, data, CR_DESTINATION_TRACK_AUDIO);
}

static void
capture_start (Fixture *fx, guint kbps)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) video = NULL;
  g_autoptr (GstElement) audio = NULL;
  GstAppSinkCallbacks video_cb = { .new_sample = new_video };
  GstAppSinkCallbacks audio_cb = { .new_sample = new_audio };

  g_autofree char *description = g_strdup_printf (
      "videotestsrc is-live=true pattern=%s ! video/x-raw,width=320,height=180,framerate=25/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=%u key-int-max=25 "
      "! h264parse ! video/x-h264,stream-format=avc,alignment=au "
      "! appsink name=video sync=false max-buffers=50 drop=true "
      "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample "
      "! audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse "
      "! appsink name=audio sync=false max-buffers=100 drop=true",
      kbps > 1000 ? "snow" : "ball", kbps);

  fx->capture = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  video = gst_bin_get_by_name (GST_BIN (fx->capture), "video");
  audio = gst_bin_get_by_name (GST_BIN (fx->capture), "audio");
  gst_app_sink_set_callbacks (GST_APP_SINK (video), &video_cb, fx, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (audio), &audio_cb, fx, NULL);
  g_assert_cmpint (gst_element_set_state (fx->capture, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
}

/* ---- fixture --------------------------------------------------------------- */

static void
state_changed (CrDestination *dest, CrDestinationState state, gpointer data)
{
  Fixture *fx = data;
  g_array_append_val (fx->states, state);
  if (state == CR_DESTINATION_LIVE)
    fx->live_at_us = g_get_monotonic_time ();
  g_test_message ("%.3f s: %s is %s", g_get_monotonic_time () / 1e6,
                  cr_destination_get_name (dest), cr_destination_state_to_string (state));
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  fx->dir = g_dir_make_tmp ("courtrec-dest-XXXXXX", &error);
  g_assert_no_error (error);
  fx->states = g_array_new (FALSE, FALSE, sizeof (CrDestinationState));
  g_mutex_init (&fx->lock);
  capture_start (fx, data != NULL ? GPOINTER_TO_UINT (data) : 400);
}

static void
set_destination (Fixture *fx, CrDestination *dest)
{
  g_mutex_lock (&fx->lock);
  fx->dest = dest;
  g_mutex_unlock (&fx->lock);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  CrDestination *dest = fx->dest;
  set_destination (fx, NULL);
  cr_destination_free (dest);
  gst_element_set_state (fx->capture, GST_STATE_NULL);
  gst_clear_object (&fx->capture);
  cr_test_nginx_free (fx->nginx);
  g_array_unref (fx->states);
  g_mutex_clear (&fx->lock);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", fx->dir);
    g_assert_cmpint (system (command), ==, 0);
  }
  g_free (fx->dir);
}

static CrDestination *
new_destination (Fixture *fx, guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/", port);
  CrDestination *dest = cr_destination_new ("portal", url, STREAM_KEY, &error);
  g_assert_no_error (error);
  cr_destination_set_state_func (dest, state_changed, fx, NULL);
  return dest;
}

static gboolean
is_state (gpointer data)
{
  Fixture *fx = data;
  CrDestinationStats stats;
  gboolean live;
  cr_destination_get_stats (fx->dest, &stats);
  live = stats.state == CR_DESTINATION_LIVE;
  cr_destination_stats_clear (&stats);
  return live;
}

static gboolean
not_live (gpointer data)
{
  return !is_state (data);
}

static gboolean
ffprobe_until (Fixture *fx, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;
  do
    {
      if (ffprobe_reads (fx))
        return TRUE;
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

static void
assert_pushes_never_blocked (Fixture *fx)
{
  g_mutex_lock (&fx->lock);
  g_test_message ("%" G_GUINT64_FORMAT " pushes, the longest %" G_GINT64_FORMAT
                  " us; at or over %d us: %" G_GUINT64_FORMAT " waited, %"
                  G_GUINT64_FORMAT " only preempted by the scheduler",
                  fx->pushes, fx->max_push_us, PUSH_LIMIT_US, fx->blocked_pushes,
                  fx->preempted_pushes);
  g_assert_cmpuint (fx->pushes, >, 100);
  /* On an idle machine every push takes well under 1 ms; on a loaded one
   * (2 cores, x264, ffprobe, nginx, sanitizers) the scheduler can preempt a
   * push, or a push can wait a moment for the hand-off's own lock, for tens
   * of ms. Neither is blocking on the network, which would last as long as
   * the server's silence (seconds): that is what must never happen. Waits
   * are logged above; the bound is on time. */
  g_assert_cmpint (fx->max_push_us, <, 250 * 1000);
  g_mutex_unlock (&fx->lock);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_rtmp_reconnect (Fixture *fx, gconstpointer data)
{
  CrDestinationStats stats;
  gint64 back_at, waited_ms;
  guint in_force_ms;

  fx->nginx = cr_test_nginx_new (fx->dir, NULL);
  set_destination (fx, new_destination (fx, fx->nginx->port));
  cr_destination_start (fx->dest);

  g_assert_true (cr_test_wait_until (is_state, fx, 10000));
  g_assert_true (ffprobe_until (fx, 10000));
  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("live at %u kbit/s, %" G_GUINT64_FORMAT " bytes", stats.bitrate_kbps,
                  stats.bytes_sent);
  /* x264 at bitrate=400 on a mostly still picture, plus 128 kbit/s AAC. */
  g_assert_cmpuint (stats.bitrate_kbps, >, 100);
  g_assert_cmpuint (stats.bitrate_kbps, <, 2000);
  g_assert_cmpuint (stats.reconnects, ==, 0);
  cr_destination_stats_clear (&stats);

  /* The server dies mid-stream. */
  cr_test_nginx_kill (fx->nginx);
  g_assert_true (cr_test_wait_until (not_live, fx, 7000));
  cr_destination_get_stats (fx->dest, &stats);
  g_assert_nonnull (stats.last_error);
  g_test_message ("after the kill: %s", stats.last_error);
  g_assert_null (strstr (stats.last_error, STREAM_KEY));
  cr_destination_stats_clear (&stats);

  /* It stays down 3 s, then returns on the same port. */
  {
    gboolean never = FALSE;
    cr_test_wait_until (flag_set, &never, 3000);
  }
  cr_destination_get_stats (fx->dest, &stats);
  in_force_ms = stats.backoff_ms;
  g_assert_cmpuint (stats.reconnects, >=, 1);
  cr_destination_stats_clear (&stats);
  cr_test_nginx_start (fx->nginx);
  back_at = g_get_monotonic_time ();

  g_assert_true (cr_test_wait_until (is_state, fx, in_force_ms + 5000));
  waited_ms = (fx->live_at_us - back_at) / 1000;
  g_test_message ("live again %" G_GINT64_FORMAT " ms after nginx returned "
                  "(backoff in force %u ms)", waited_ms, in_force_ms);
  g_assert_true (ffprobe_until (fx, 8000));

  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("reconnects %u, dropped video %" G_GUINT64_FORMAT " audio %"
                  G_GUINT64_FORMAT ", last error: %s", stats.reconnects,
                  stats.dropped_video, stats.dropped_audio, stats.last_error);
  g_assert_cmpuint (stats.reconnects, >=, 1);
  g_assert_cmpuint (stats.dropped_video, >, 0);
  cr_destination_stats_clear (&stats);
  assert_pushes_never_blocked (fx);
}

/* A server that accepts and never reads nor answers. */
typedef struct {
  GSocketListener *listener;
  GCancellable *cancellable;
  GPtrArray *connections;   /* kept open, never read */
  GMutex lock;
} SilentServer;

static gpointer
silent_server_thread (gpointer data)
{
  SilentServer *server = data;
  for (;;)
    {
      GSocketConnection *connection =
          g_socket_listener_accept (server->listener, NULL, server->cancellable, NULL);
      if (connection == NULL)
        break;
      g_mutex_lock (&server->lock);
      g_ptr_array_add (server->connections, connection);
      g_mutex_unlock (&server->lock);
    }
  return NULL;
}

static gboolean
stalled_twice (gpointer data)
{
  Fixture *fx = data;
  CrDestinationStats stats;
  gboolean done;
  cr_destination_get_stats (fx->dest, &stats);
  done = stats.watchdog_stalls >= 2;
  cr_destination_stats_clear (&stats);
  return done;
}

static void
test_silent_server (Fixture *fx, gconstpointer data)
{
  SilentServer server = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GThread) thread = NULL;
  CrDestinationStats stats;
  guint16 port = cr_test_free_port ();
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, port);

  server.listener = g_socket_listener_new ();
  server.cancellable = g_cancellable_new ();
  server.connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&server.lock);
  g_socket_listener_add_address (server.listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("silent-server", silent_server_thread, &server);

  set_destination (fx, new_destination (fx, port));
  cr_destination_set_backoff (fx->dest, 1000, 60000);
  cr_destination_start (fx->dest);

  /* watchdog 5 s, backoff ~1 s, watchdog 5 s: two stalls within ~13 s. */
  g_assert_true (cr_test_wait_until (stalled_twice, fx, 16000));
  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("stalls %u, reconnects %u, last error: %s", stats.watchdog_stalls,
                  stats.reconnects, stats.last_error);
  g_assert_cmpuint (stats.reconnects, >=, 2);
  g_assert_nonnull (strstr (stats.last_error, "no progress"));
  g_assert_null (strstr (stats.last_error, STREAM_KEY));
  g_assert_cmpuint (stats.bytes_sent, ==, 0);
  cr_destination_stats_clear (&stats);
  for (guint i = 0; i < fx->states->len; i++)
    g_assert_cmpint (g_array_index (fx->states, CrDestinationState, i), !=,
                     CR_DESTINATION_LIVE);
  g_mutex_lock (&server.lock);
  g_assert_cmpuint (server.connections->len, >=, 2);
  g_mutex_unlock (&server.lock);
  assert_pushes_never_blocked (fx);

  g_cancellable_cancel (server.cancellable);
  g_thread_join (g_steal_pointer (&thread));
  g_socket_listener_close (server.listener);
  g_object_unref (server.listener);
  g_object_unref (server.cancellable);
  g_ptr_array_unref (server.connections);
  g_mutex_clear (&server.lock);
}

static gboolean
stalled_once (gpointer data)
{
  Fixture *fx = data;
  CrDestinationStats stats;
  gboolean done;
  cr_destination_get_stats (fx->dest, &stats);
  done = stats.watchdog_stalls >= 1;
  cr_destination_stats_clear (&stats);
  return done;
}

/* nginx stops reading mid-stream (SIGSTOP): the connection stays up, the
 * socket buffers fill, rtmp2sink has no timeout any more; the watchdog must
 * catch it and the teardown must not hang. Loopback's socket buffers take
 * about 5 MB before a write blocks, hence ~4 Mbit/s here: the watchdog
 * trips ~11 s after the freeze instead of ~25 s at the usual bitrate. */
static void
test_server_frozen (Fixture *fx, gconstpointer data)
{
  CrDestinationStats stats;
  gint64 stopped_at;

  fx->nginx = cr_test_nginx_new (fx->dir, NULL);
  set_destination (fx, new_destination (fx, fx->nginx->port));
  cr_destination_set_backoff (fx->dest, 1000, 60000);
  cr_destination_start (fx->dest);
  g_assert_true (cr_test_wait_until (is_state, fx, 10000));

  g_subprocess_send_signal (fx->nginx->process, SIGSTOP);
  stopped_at = g_get_monotonic_time ();
  g_assert_true (cr_test_wait_until (stalled_once, fx, 20000));
  g_test_message ("watchdog tripped %.1f s after nginx froze",
                  (g_get_monotonic_time () - stopped_at) / 1e6);
  g_subprocess_send_signal (fx->nginx->process, SIGCONT);

  g_assert_true (cr_test_wait_until (is_state, fx, 10000));
  g_assert_true (ffprobe_until (fx, 8000));
  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("stalls %u, reconnects %u, dropped video %" G_GUINT64_FORMAT,
                  stats.watchdog_stalls, stats.reconnects, stats.dropped_video);
  cr_destination_stats_clear (&stats);
  assert_pushes_never_blocked (fx);
}

static void
test_bad_url (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrDestination) dest = cr_destination_new ("portal", "http://x/live",
                                                       STREAM_KEY, &error);
  g_assert_null (dest);
  g_assert_error (error, CR_DESTINATION_ERROR, CR_DESTINATION_ERROR_INVALID_URL);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/destination/bad-url", test_bad_url);
  if (!cr_test_nginx_available ())
    {
      g_printerr ("nginx with its RTMP module is not installed "
                  "(scripts/install-deps.sh): skipping the RTMP tests\n");
      return g_test_run ();
    }
  g_test_add ("/courtrec/destination/rtmp-reconnect", Fixture, NULL, fixture_set_up,
              test_rtmp_reconnect, fixture_tear_down);
  g_test_add ("/courtrec/destination/silent-server", Fixture, NULL, fixture_set_up,
              test_silent_server, fixture_tear_down);
  g_test_add ("/courtrec/destination/server-frozen", Fixture, GUINT_TO_POINTER (8000),
              fixture_set_up, test_server_frozen, fixture_tear_down);
  return g_test_run ();
}
