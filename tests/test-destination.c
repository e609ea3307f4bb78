/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-destination.c: CrDestination against a real nginx with its RTMP
 * module on 127.0.0.1 (plain, and behind an nginx stream-module TLS proxy
 * for rtmps://, with certificates made here by openssl: a test CA that
 * signs for "localhost" and for another name, and a self-signed one), and
 * against ffprobe as an SRT listener, fed by a small
 * live capture (x264 + AAC) in the test; ffprobe reading the stream back is
 * the judge. Every log line of the process (operator messages and the
 * courtrec* debug categories, librtmp's lines included, at DEBUG) is
 * captured, and no test may leave the stream key in any of them.
 *
 * Timing of the reconnect test: nginx is SIGKILLed, the send fails at once
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
#include <librtmp/log.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>

#define STREAM_KEY "s3cr3t-K3Y-42"
#define PUSH_LIMIT_US 5000

typedef struct {
  char *dir;
  CrTestNginx *nginx;
  CrTestNginx *proxy;       /* TLS in front of nginx, for rtmps:// */
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

static void
sleep_ms (guint ms)
{
  gboolean never = FALSE;
  cr_test_wait_until (flag_set, &never, ms);
}

/* ---- every log line, to look for the key ------------------------------- */

static GMutex captured_lock;      /* protects captured */
static GPtrArray *captured;       /* char *: log lines since the test began */

static void
capture (const char *line)
{
  g_mutex_lock (&captured_lock);
  g_ptr_array_add (captured, g_strdup (line));
  g_mutex_unlock (&captured_lock);
}

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                gpointer data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      {
        g_autofree char *line = fields[i].length < 0
                                ? g_strdup (fields[i].value)
                                : g_strndup (fields[i].value, fields[i].length);
        capture (line);
      }
  return g_log_writer_default (level, fields, n_fields, data);
}

static void
capture_gst (GstDebugCategory *category, GstDebugLevel level, const gchar *file,
             const gchar *function, gint line, GObject *object,
             GstDebugMessage *message, gpointer data)
{
  if (g_str_has_prefix (gst_debug_category_get_name (category), "courtrec"))
    capture (gst_debug_message_get (message));
}

/* Asserts that no line holds the key; returns how many lines show it
 * masked ("***"). */
static guint
assert_key_never_logged (void)
{
  guint masked = 0;
  g_mutex_lock (&captured_lock);
  for (guint i = 0; i < captured->len; i++)
    {
      const char *line = g_ptr_array_index (captured, i);
      if (strstr (line, STREAM_KEY) != NULL)
        g_error ("the stream key was logged: %s", line);
      if (strstr (line, "***") != NULL)
        masked++;
    }
  g_test_message ("%u log lines captured, none with the key, %u with it masked",
                  captured->len, masked);
  g_mutex_unlock (&captured_lock);
  return masked;
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
  g_mutex_lock (&captured_lock);
  g_ptr_array_set_size (captured, 0);
  g_mutex_unlock (&captured_lock);
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
  assert_key_never_logged ();
  gst_element_set_state (fx->capture, GST_STATE_NULL);
  gst_clear_object (&fx->capture);
  cr_test_nginx_free (fx->proxy);
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
new_destination_url (Fixture *fx, const char *url)
{
  g_autoptr (GError) error = NULL;
  CrDestination *dest = cr_destination_new ("portal", url, STREAM_KEY, &error);
  g_assert_no_error (error);
  cr_destination_set_state_func (dest, state_changed, fx, NULL);
  return dest;
}

static CrDestination *
new_destination (Fixture *fx, guint16 port)
{
  g_autofree char *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/", port);
  return new_destination_url (fx, url);
}

/* The numbers of the destination's stats now (last_error left out). */
static CrDestinationStats
current_stats (Fixture *fx)
{
  CrDestinationStats stats;
  cr_destination_get_stats (fx->dest, &stats);
  cr_destination_stats_clear (&stats);
  return stats;
}

static gboolean
is_state (gpointer data)
{
  return current_stats (data).state == CR_DESTINATION_LIVE;
}

static gboolean
not_live (gpointer data)
{
  return !is_state (data);
}

static gboolean
is_connecting (gpointer data)
{
  return current_stats (data).state == CR_DESTINATION_CONNECTING;
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
  sleep_ms (3000);
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

static gboolean
is_backoff (gpointer data)
{
  return current_stats (data).state == CR_DESTINATION_BACKOFF;
}

/* Kills nginx under a live stream; returns the first backoff delay. */
static guint
first_backoff_after_kill (Fixture *fx)
{
  guint delay_ms;

  cr_test_nginx_kill (fx->nginx);
  g_assert_true (cr_test_wait_until (is_backoff, fx, 7000));
  delay_ms = current_stats (fx).backoff_ms;
  g_test_message ("nginx killed: backing off %u ms", delay_ms);
  return delay_ms;
}

/* Separate outages each start again from the initial backoff (2 s, +-20 %)
 * once the stream has been live a while (10 s) in between: after a long
 * outage in which the backoff grew, and after short ones where the server
 * was back before the first retry. */
static void
test_rtmp_backoff_resets (Fixture *fx, gconstpointer data)
{
  fx->nginx = cr_test_nginx_new (fx->dir, NULL);
  set_destination (fx, new_destination (fx, fx->nginx->port));
  cr_destination_start (fx->dest);
  g_assert_true (cr_test_wait_until (is_state, fx, 10000));

  for (guint outage = 0; outage < 3; outage++)
    {
      guint first, grown;

      sleep_ms (11000);
      g_assert_cmpint (current_stats (fx).state, ==, CR_DESTINATION_LIVE);
      first = first_backoff_after_kill (fx);
      g_assert_cmpuint (first, >=, 1600);
      g_assert_cmpuint (first, <=, 2400);
      if (outage == 0)
        {
          /* Down long enough for the retries to fail and the backoff to
           * grow. */
          sleep_ms (first + 4000);
          grown = current_stats (fx).backoff_ms;
          g_test_message ("after %u reconnects the backoff is %u ms",
                          current_stats (fx).reconnects, grown);
          g_assert_cmpuint (grown, >, 2400);
        }
      else
        grown = first;
      cr_test_nginx_start (fx->nginx);
      g_assert_true (cr_test_wait_until (is_state, fx, grown + 5000));
    }
}

/* The destination's next connection is blocked in a handshake, reading
 * an answer that never comes (receive timeout: watchdog + 5 s = 10 s).
 * Stopping must not wait for it: the socket is shut down under it. */
static void
assert_stop_unblocks_handshake (Fixture *fx, const char *handshake)
{
  gint64 before, took;

  g_assert_true (cr_test_wait_until (is_connecting, fx, 5000));
  sleep_ms (1000);
  before = g_get_monotonic_time ();
  cr_destination_stop (fx->dest);
  took = g_get_monotonic_time () - before;
  g_test_message ("stopped in %" G_GINT64_FORMAT " us while blocked in the %s handshake",
                  took, handshake);
  g_assert_cmpint (took, <, G_USEC_PER_SEC);
}

static gboolean
stalled_twice (gpointer data)
{
  return current_stats (data).watchdog_stalls >= 2;
}

static void
test_silent_server (Fixture *fx, gconstpointer data)
{
  guint16 port;
  g_autoptr (CrTestSilentServer) server = cr_test_silent_server_new (&port);
  CrDestinationStats stats;

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
  g_assert_cmpuint (cr_test_silent_server_connections (server), >=, 2);
  assert_pushes_never_blocked (fx);

  assert_stop_unblocks_handshake (fx, "RTMP");
}

static gboolean
stalled_once (gpointer data)
{
  return current_stats (data).watchdog_stalls >= 1;
}

/* nginx stops reading mid-stream (SIGSTOP): the connection stays up, the
 * socket buffers fill and librtmp blocks in send (until its 10 s send
 * timeout); the watchdog must catch it first and the teardown must not
 * hang. Loopback's socket buffers take
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

/* ---- rtmps:// ---------------------------------------------------------- */

/* Runs openssl with these arguments, NULL-terminated. */
static void
openssl (const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
openssl (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  va_list args;

  g_ptr_array_add (argv, "openssl");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  if (cr_test_run (NULL, &err, (const char *const *) argv->pdata) != 0)
    g_error ("openssl %s failed: %s", first, err);
}

/* "@fx->dir/@name" (transfer full) */
static char *
in_dir (Fixture *fx, const char *name)
{
  return g_build_filename (fx->dir, name, NULL);
}

/* A test CA in @fx->dir: ca.pem (the certificate), ca-key.pem. */
static void
make_ca (Fixture *fx)
{
  g_autofree char *cert = in_dir (fx, "ca.pem");
  g_autofree char *key = in_dir (fx, "ca-key.pem");

  openssl ("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-days", "1", "-subj", "/CN=courtrec test CA",
           "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=critical,keyCertSign,cRLSign",
           "-keyout", key, "-out", cert, NULL);
}

/* A server certificate for @host, @host.pem and @host-key.pem in @fx->dir:
 * signed by the test CA (make_ca()), or self-signed. */
static void
make_server_cert (Fixture *fx, const char *host, gboolean self_signed)
{
  g_autofree char *cert = g_strdup_printf ("%s/%s.pem", fx->dir, host);
  g_autofree char *key = g_strdup_printf ("%s/%s-key.pem", fx->dir, host);
  g_autofree char *subject = g_strdup_printf ("/CN=%s", host);
  g_autofree char *san = g_strdup_printf ("subjectAltName=DNS:%s", host);

  if (self_signed)
    openssl ("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", subject, "-addext", san,
             "-keyout", key, "-out", cert, NULL);
  else
    {
      g_autofree char *request = g_strdup_printf ("%s/%s.csr", fx->dir, host);
      g_autofree char *extensions = g_strdup_printf ("%s/%s.ext", fx->dir, host);
      g_autofree char *ca_cert = in_dir (fx, "ca.pem");
      g_autofree char *ca_key = in_dir (fx, "ca-key.pem");
      g_autofree char *text = g_strdup_printf ("%s\nbasicConstraints=CA:FALSE\n"
                                               "extendedKeyUsage=serverAuth\n", san);
      g_autoptr (GError) error = NULL;

      g_file_set_contents (extensions, text, -1, &error);
      g_assert_no_error (error);
      openssl ("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-subj", subject, "-keyout", key, "-out", request, NULL);
      openssl ("x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key,
               "-set_serial", "2", "-days", "1", "-extfile", extensions, "-out", cert, NULL);
    }
}

/* TLS in front of fx->nginx: an nginx stream-module proxy with the
 * certificate made for @host (make_server_cert()). Returns the TLS port. */
static guint16
start_tls_proxy (Fixture *fx, const char *host)
{
  g_autofree char *proxy_dir = in_dir (fx, "tls-proxy");
  g_autofree char *cert = g_strdup_printf ("%s/%s.pem", fx->dir, host);
  g_autofree char *key = g_strdup_printf ("%s/%s-key.pem", fx->dir, host);
  g_autofree char *conf = NULL;
  guint16 port = cr_test_free_port ();

  g_assert_cmpint (g_mkdir (proxy_dir, 0700), ==, 0);
  conf = g_strdup_printf ("stream { server { listen 127.0.0.1:%u ssl;\n"
                          "  ssl_certificate %s; ssl_certificate_key %s;\n"
                          "  proxy_pass 127.0.0.1:%u; } }\n",
                          port, cert, key, fx->nginx->port);
  fx->proxy = cr_test_nginx_new (proxy_dir, conf);
  g_assert_true (cr_test_port_answers (port));
  return port;
}

/* rtmps://localhost:PORT/live to the proxy; @ca_file (NULL: the system's
 * CAs) set on the destination, which is started. */
static void
start_rtmps (Fixture *fx, guint16 tls_port, const char *ca_file)
{
  g_autofree char *url = g_strdup_printf ("rtmps://localhost:%u/live", tls_port);
  set_destination (fx, new_destination_url (fx, url));
  cr_destination_set_backoff (fx->dest, 1000, 60000);
  cr_destination_set_tls_ca_file (fx->dest, ca_file);
  cr_destination_start (fx->dest);
}

static gboolean
failed_twice (gpointer data)
{
  return current_stats (data).reconnects >= 2;
}

/* The server's certificate is refused: the destination keeps trying (twice
 * here), never goes live, sends nothing, and nothing reaches nginx.
 * Returns the last error. (transfer full) */
static char *
assert_rtmps_refused (Fixture *fx)
{
  CrDestinationStats stats;
  g_autofree char *codecs = NULL;
  g_autofree char *nginx_url = cr_test_nginx_url (fx->nginx, STREAM_KEY);
  char *last_error;

  g_assert_true (cr_test_wait_until (failed_twice, fx, 8000));
  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("reconnects %u, bytes sent %" G_GUINT64_FORMAT ", last error: %s",
                  stats.reconnects, stats.bytes_sent, stats.last_error);
  g_assert_nonnull (stats.last_error);
  g_assert_true (g_str_has_prefix (stats.last_error, "rtmps: The certificate of localhost "));
  g_assert_null (strstr (stats.last_error, STREAM_KEY));
  g_assert_cmpuint (stats.bytes_sent, ==, 0);
  last_error = g_steal_pointer (&stats.last_error);
  for (guint i = 0; i < fx->states->len; i++)
    g_assert_cmpint (g_array_index (fx->states, CrDestinationState, i), !=,
                     CR_DESTINATION_LIVE);
  /* Nothing was published on the plain side behind the proxy. */
  codecs = cr_test_probe_stream (nginx_url, 3);
  g_test_message ("ffprobe on nginx read: %s", codecs != NULL ? codecs : "nothing");
  g_assert_null (codecs);
  return last_error;
}

/* The default trust (the system's CAs) refuses a self-signed server,
 * though its certificate names the host. */
static void
test_rtmps_untrusted (Fixture *fx, gconstpointer data)
{
  g_autofree char *last_error = NULL;

  fx->nginx = cr_test_nginx_new (fx->dir, NULL);
  make_server_cert (fx, "localhost", TRUE);
  start_rtmps (fx, start_tls_proxy (fx, "localhost"), NULL);
  last_error = assert_rtmps_refused (fx);
  g_assert_nonnull (strstr (last_error, "is not trusted (signer not found)"));
  g_assert_null (strstr (last_error, "host name"));
}

/* A certificate from the CA in tls_ca_file, but for another name. */
static void
test_rtmps_wrong_name (Fixture *fx, gconstpointer data)
{
  g_autofree char *last_error = NULL;
  g_autofree char *ca_file = in_dir (fx, "ca.pem");

  fx->nginx = cr_test_nginx_new (fx->dir, NULL);
  make_ca (fx);
  make_server_cert (fx, "portal.example", FALSE);
  start_rtmps (fx, start_tls_proxy (fx, "portal.example"), ca_file);
  last_error = assert_rtmps_refused (fx);
  g_assert_nonnull (strstr (last_error, "does not match the host name"));
  g_assert_null (strstr (last_error, "not trusted"));
}

/* rtmps:// to a server that accepts and never answers the TLS
 * handshake: stopping does not wait for it either. */
static void
test_rtmps_silent_server (Fixture *fx, gconstpointer data)
{
  guint16 port;
  g_autoptr (CrTestSilentServer) server = cr_test_silent_server_new (&port);

  start_rtmps (fx, port, NULL);
  assert_stop_unblocks_handshake (fx, "TLS");
  g_assert_cmpuint (cr_test_silent_server_connections (server), ==, 1);
}

/* rtmps:// to a server whose certificate for "localhost" the CA in
 * tls_ca_file signed: verified, live, and read back by ffprobe from the
 * plain RTMP side of the proxy (the only way in is through TLS). */
static void
test_rtmps (Fixture *fx, gconstpointer data)
{
  g_autofree char *ca_file = in_dir (fx, "ca.pem");
  CrDestinationStats stats;

  fx->nginx = cr_test_nginx_new (fx->dir, NULL);
  make_ca (fx);
  make_server_cert (fx, "localhost", FALSE);
  start_rtmps (fx, start_tls_proxy (fx, "localhost"), ca_file);

  g_assert_true (cr_test_wait_until (is_state, fx, 10000));
  g_assert_true (ffprobe_until (fx, 10000));
  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("rtmps live at %u kbit/s, %" G_GUINT64_FORMAT " bytes, last error: %s",
                  stats.bitrate_kbps, stats.bytes_sent, stats.last_error);
  g_assert_cmpuint (stats.bitrate_kbps, >, 100);
  g_assert_cmpuint (stats.bitrate_kbps, <, 2000);
  g_assert_cmpuint (stats.reconnects, ==, 0);
  g_assert_null (stats.last_error);
  cr_destination_stats_clear (&stats);
  assert_pushes_never_blocked (fx);
  /* librtmp's log goes through the destination's mask while a connection
   * lives. This librtmp does not log the play path on a good publish, so
   * say it the way librtmp would, and check that it came out masked. */
  RTMP_Log (RTMP_LOGERROR, "HandleInvoke, refused play path <%s>", STREAM_KEY);
  g_assert_cmpuint (assert_key_never_logged (), >, 0);
}

static gboolean
reconnected (gpointer data)
{
  CrDestinationStats stats = current_stats (data);
  return stats.reconnects >= 1 && stats.state != CR_DESTINATION_LIVE;
}

static gboolean
has_h264_and_aac (const char *codecs)
{
  return codecs != NULL && strstr (codecs, "h264") != NULL && strstr (codecs, "aac") != NULL;
}

/* srt:// in caller mode to ffprobe as the listener (the key goes as the
 * streamid). ffprobe exits once it has read the streams: the listener is
 * gone; the destination notices and reconnects until a new listener
 * comes, which reads h264 + aac again. */
static void
test_srt_listener_returns (Fixture *fx, gconstpointer data)
{
  guint16 port = cr_test_free_port ();
  g_autofree char *url = g_strdup_printf ("srt://127.0.0.1:%u?latency=120", port);
  g_autofree char *listener = g_strdup_printf ("srt://127.0.0.1:%u?mode=listener", port);
  g_autofree char *codecs = NULL;
  CrDestinationStats stats;
  gint64 back_at;
  guint in_force_ms;

  set_destination (fx, new_destination_url (fx, url));
  cr_destination_set_backoff (fx->dest, 1000, 60000);
  cr_destination_start (fx->dest);

  codecs = cr_test_probe_stream (listener, 10);
  g_test_message ("first listener read: %s", codecs);
  g_assert_true (has_h264_and_aac (codecs));
  g_assert_cmpint (fx->live_at_us, >, 0);
  cr_destination_get_stats (fx->dest, &stats);
  g_assert_cmpuint (stats.bytes_sent, >, 0);
  cr_destination_stats_clear (&stats);

  /* The listener went away with ffprobe. */
  g_assert_true (cr_test_wait_until (reconnected, fx, 10000));
  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("after the listener left: %s", stats.last_error);
  g_assert_nonnull (stats.last_error);
  g_assert_null (strstr (stats.last_error, STREAM_KEY));
  cr_destination_stats_clear (&stats);

  /* It stays away 2 s, then comes back. */
  sleep_ms (2000);
  cr_destination_get_stats (fx->dest, &stats);
  in_force_ms = stats.backoff_ms;
  cr_destination_stats_clear (&stats);
  fx->live_at_us = 0;
  back_at = g_get_monotonic_time ();
  g_clear_pointer (&codecs, g_free);
  codecs = cr_test_probe_stream (listener, 12);
  g_test_message ("second listener read: %s; live %" G_GINT64_FORMAT " ms after it "
                  "came (backoff in force %u ms)", codecs,
                  fx->live_at_us > 0 ? (fx->live_at_us - back_at) / 1000 : -1, in_force_ms);
  g_assert_true (has_h264_and_aac (codecs));
  g_assert_cmpint (fx->live_at_us, >, 0);
  g_assert_cmpint (fx->live_at_us - back_at, <, (in_force_ms + 5000) * (gint64) 1000);

  cr_destination_get_stats (fx->dest, &stats);
  g_test_message ("reconnects %u, stalls %u, dropped video %" G_GUINT64_FORMAT,
                  stats.reconnects, stats.watchdog_stalls, stats.dropped_video);
  g_assert_cmpuint (stats.reconnects, >=, 1);
  cr_destination_stats_clear (&stats);
  assert_pushes_never_blocked (fx);
}

static void
test_bad_url (void)
{
  const struct {
    const char *url;
    const char *says;
  } bad[] = {
    { "http://x/live/" STREAM_KEY, "scheme 'http'" },
    { "RTSP://x:554/" STREAM_KEY, "scheme 'rtsp'" },
    { "x/live/" STREAM_KEY, "no scheme" },
    { "srt://127.0.0.1?passphrase=" STREAM_KEY, "host and a port" },
  };
  const char *const good[] = { "rtmp://x/live", "rtmps://x:443/live/", "RTMP://x/live",
                               "srt://x:9000", "srt://127.0.0.1:9000?latency=200" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CrDestination) dest = cr_destination_new ("portal", bad[i].url,
                                                           STREAM_KEY, &error);
      g_assert_null (dest);
      g_assert_error (error, CR_DESTINATION_ERROR, CR_DESTINATION_ERROR_INVALID_URL);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, bad[i].says));
      g_assert_null (strstr (error->message, STREAM_KEY));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CrDestination) dest = cr_destination_new ("portal", good[i], STREAM_KEY,
                                                           &error);
      g_assert_no_error (error);
      g_assert_null (strstr (cr_destination_get_url (dest), STREAM_KEY));
    }
  {
    /* The SRT passphrase is a secret too: masked in the url shown. */
    g_autoptr (GError) error = NULL;
    g_autoptr (CrDestination) dest = cr_destination_new (
        "centre", "srt://10.0.0.1:9000?latency=200&passphrase=" STREAM_KEY "&pbkeylen=16",
        NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (cr_destination_get_url (dest), ==,
                     "srt://10.0.0.1:9000?latency=200&passphrase=***&pbkeylen=16");
  }
}

int
main (int argc, char **argv)
{
  captured = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* Our categories at DEBUG (librtmp's lines too), into the capture; on
   * stderr only when GST_DEBUG asks for it. */
  if (g_getenv ("GST_DEBUG") == NULL)
    gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (capture_gst, NULL, NULL);
  gst_debug_set_threshold_for_name ("courtrec*", GST_LEVEL_DEBUG);

  g_test_add_func ("/courtrec/destination/bad-url", test_bad_url);
  g_test_add ("/courtrec/destination/srt-listener-returns", Fixture, NULL, fixture_set_up,
              test_srt_listener_returns, fixture_tear_down);
  if (!cr_test_nginx_available ())
    {
      g_printerr ("nginx with its RTMP module is not installed "
                  "(scripts/install-deps.sh): skipping the RTMP tests\n");
      return g_test_run ();
    }
  g_test_add ("/courtrec/destination/rtmp-reconnect", Fixture, NULL, fixture_set_up,
              test_rtmp_reconnect, fixture_tear_down);
  g_test_add ("/courtrec/destination/rtmp-backoff-resets", Fixture, NULL, fixture_set_up,
              test_rtmp_backoff_resets, fixture_tear_down);
  g_test_add ("/courtrec/destination/silent-server", Fixture, NULL, fixture_set_up,
              test_silent_server, fixture_tear_down);
  g_test_add ("/courtrec/destination/server-frozen", Fixture, GUINT_TO_POINTER (8000),
              fixture_set_up, test_server_frozen, fixture_tear_down);
  g_test_add ("/courtrec/destination/rtmps", Fixture, NULL, fixture_set_up,
              test_rtmps, fixture_tear_down);
  g_test_add ("/courtrec/destination/rtmps-untrusted", Fixture, NULL, fixture_set_up,
              test_rtmps_untrusted, fixture_tear_down);
  g_test_add ("/courtrec/destination/rtmps-wrong-name", Fixture, NULL, fixture_set_up,
              test_rtmps_wrong_name, fixture_tear_down);
  g_test_add ("/courtrec/destination/rtmps-silent-server", Fixture, NULL, fixture_set_up,
              test_rtmps_silent_server, fixture_tear_down);
  return g_test_run ();
}
