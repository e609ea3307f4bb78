/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hls.c: see hls.h.
 *
 * The hand-off (push) is streaming/handoff.h's, as the destinations':
 * bounded appsrcs, a keyframe gate and a running-time zero, so that a
 * stall of the disk can never reach the capture.
 *
 * Segment names carry the pipeline's generation so that a rebuilt
 * pipeline (whose hlssink2 counts from 0 again) never overwrites a segment
 * a player may still fetch from the old playlist, and so that the old
 * pipeline's teardown can delete exactly its own files. */
#include "streaming/hls.h"

#include "streaming/handoff.h"

#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "config/text.h"
GST_DEBUG_CATEGORY_STATIC (cr_hls_debug);
#define GST_CAT_DEFAULT cr_hls_debug

G_DEFINE_QUARK (cr-hls-error-quark, cr_hls_error)

#define VIDEO_MAX_BYTES (4 * 1024 * 1024)
#define AUDIO_MAX_BYTES (512 * 1024)
#define MAX_QUEUE_TIME (2 * GST_SECOND)
#define TARGET_DURATION_S 2
#define PLAYLIST_LENGTH 4
/* Closed segments kept: the playlist's 4 and 5 more, ~10 s, as long as a
 * player that read the oldest playlist may still ask for them. */
#define MAX_FILES 9
#define SNAPSHOT_INTERVAL_US (10 * G_USEC_PER_SEC)
#define SNAPSHOT_TIMEOUT (5 * GST_SECOND)
#define WATCHDOG_TICK_MS 1000
#define WATCHDOG_STALL_TICKS 5
#define BACKOFF_INITIAL_MS 2000
#define BACKOFF_MAX_MS 60000
#define HEALTHY_BUILD_US (30 * G_USEC_PER_SEC)

#define VIDEO_PLAYLIST "index.m3u8"
#define AUDIO_PLAYLIST "audio.m3u8"
#define SNAPSHOT "snapshot.jpg"

typedef struct {
  GThread *thread;
  GstElement *pipeline;
  char *dir;
  guint generation;               /* whose segments to delete when done */
  gint done;                      /* atomic */
} Teardown;

struct CrHls {
  char *dir;
  GMainContext *context;
  GThreadPool *snapshots;         /* one thread: decodes one keyframe at a time */
  guint run;                      /* start()s so far, under the lock: a keyframe of
                                   * an earlier run is never written */

  /* Main context only. */
  gboolean running;
  GstElement *pipeline;
  guint generation;
  gint64 built_at_us;
  GSource *bus_source;
  GSource *watchdog_source;
  GSource *backoff_source;
  guint stalled_ticks;
  guint next_backoff_ms;
  GPtrArray *teardowns;           /* Teardown*, joined when done or at stop */

  /* Protects the hand-off (the appsrcs, the keyframe gate, the zero) and
   * the snapshot schedule: push() runs in the capture's streaming threads. */
  GMutex lock;
  gboolean accepting;             /* between start and stop */
  CrHandoff handoff;              /* no pipeline attached: pushes dropped */
  gint64 snapshot_due_us;
};

static void rebuild (CrHls *hls, const char *reason);

/* ---- files ------------------------------------------------------------- */

/* TRUE for a name this module writes into its directory; @generation > 0
 * limits it to that pipeline's segments. */
static gboolean
is_own_file (const char *name, guint generation)
{
  const char *prefixes[] = { "live-", "audio-" };

  if (generation == 0)
    {
      if (g_str_equal (name, VIDEO_PLAYLIST) || g_str_equal (name, AUDIO_PLAYLIST) ||
          g_str_equal (name, SNAPSHOT) || g_str_has_prefix (name, SNAPSHOT "."))
        return TRUE;
    }
  if (!g_str_has_suffix (name, ".ts"))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autofree char *prefix = generation > 0
          ? g_strdup_printf ("%s%u-", prefixes[i], generation)
          : g_strdup (prefixes[i]);
      if (g_str_has_prefix (name, prefix))
        return TRUE;
    }
  return FALSE;
}

static void
remove_files (const char *dir, guint generation)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      if (!is_own_file (name, generation))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (g_unlink (path) != 0)
        GST_WARNING ("Failed to remove '%s': %s", cr_text_shown (path), g_strerror (errno));
    }
}

static void
remove_playlists (CrHls *hls)
{
  const char *names[] = { VIDEO_PLAYLIST, AUDIO_PLAYLIST };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (hls->dir, names[i], NULL);
      g_unlink (path);
    }
}

/* Ends both playlists, so that players play out and stop. hlssink2
 * (1.22) ends them itself when taken down in order; this covers the
 * playlists of a pipeline that failed first. */
static void
end_playlists (CrHls *hls)
{
  const char *names[] = { VIDEO_PLAYLIST, AUDIO_PLAYLIST };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (hls->dir, names[i], NULL);
      g_autofree char *contents = NULL;
      g_autofree char *ended = NULL;
      g_autoptr (GError) error = NULL;

      if (!g_file_get_contents (path, &contents, NULL, NULL) ||
          strstr (contents, "#EXT-X-ENDLIST") != NULL)
        continue;
      ended = g_strconcat (contents, g_str_has_suffix (contents, "\n") ? "" : "\n",
                           "#EXT-X-ENDLIST\n", NULL);
      if (!g_file_set_contents_full (path, ended, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                     0644, &error))
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                          "MESSAGE", "Failed to end the HLS playlist '%s': %s",
                          cr_text_shown (path), cr_text_shown (error->message));
    }
}

/* ---- snapshots: their own thread --------------------------------------- */

/* Decodes one keyframe to JPEG. A pipeline per snapshot: every 10 s it
 * costs little, and EOS drains the decoder whatever its latency. */
typedef struct {
  GstSample *keyframe;
  guint run;
} SnapshotJob;

static void
snapshot_job_free (SnapshotJob *job)
{
  gst_sample_unref (job->keyframe);
  g_free (job);
}

static gboolean
run_is_current (CrHls *hls, guint run)
{
  gboolean current;
  g_mutex_lock (&hls->lock);
  current = hls->accepting && hls->run == run;
  g_mutex_unlock (&hls->lock);
  return current;
}

static void
snapshot_job (gpointer data, gpointer user_data)
{
  SnapshotJob *job = data;
  g_autoptr (GstSample) keyframe = gst_sample_ref (job->keyframe);
  guint run = job->run;
  CrHls *hls = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstSample) jpeg = NULL;
  g_autofree char *path = g_build_filename (hls->dir, SNAPSHOT, NULL);
  GstMapInfo map;
  GstBuffer *buffer;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! h264parse "
                               "! avdec_h264 max-threads=1 ! videoconvert "
                               "! jpegenc quality=85 ! appsink name=sink sync=false",
                               &error);
  if (pipeline == NULL)
    {
      GST_WARNING ("snapshot pipeline: %s", cr_text_shown (error->message));
      snapshot_job_free (job);
      return;
    }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    goto out;
  gst_app_src_push_sample (GST_APP_SRC (src), keyframe);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  jpeg = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), SNAPSHOT_TIMEOUT);
  if (jpeg == NULL || (buffer = gst_sample_get_buffer (jpeg)) == NULL)
    {
      GST_WARNING ("no picture decoded for the snapshot");
      goto out;
    }
  /* Stopped meanwhile (the session ended): the next hearing's page must
   * not show this one's picture. */
  if (!run_is_current (hls, run))
    goto out;
  if (gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      /* Written beside and renamed: a reader gets the old or the new one. */
      if (!g_file_set_contents_full (path, (const char *) map.data, map.size,
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
        GST_WARNING ("Failed to write '%s': %s", cr_text_shown (path),
                       cr_text_shown (error->message));
      gst_buffer_unmap (buffer, &map);
    }
out:
  gst_element_set_state (pipeline, GST_STATE_NULL);
  snapshot_job_free (job);
}

/* ---- life ---------------------------------------------------------------- */

CrHls *
cr_hls_new (const char *dir, GError **error)
{
  CrHls *hls;
  const char *const needed[] = { "appsrc", "h264parse", "aacparse", "tee", "queue",
                                 "hlssink2", "avdec_h264", "videoconvert", "jpegenc",
                                 "appsink" };

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (cr_hls_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (cr_hls_debug, "courtrec-hls", 0, "courtrec built-in HLS");

  for (gsize i = 0; i < G_N_ELEMENTS (needed); i++)
    {
      g_autoptr (GstElementFactory) factory = gst_element_factory_find (needed[i]);
      if (factory == NULL)
        {
          g_set_error (error, CR_HLS_ERROR, CR_HLS_ERROR_NO_ELEMENT,
                       "HLS: GStreamer element '%s' is not installed", needed[i]);
          return NULL;
        }
    }
  /* hlssink2 takes a printf pattern for its segment names. */
  if (strchr (dir, '%') != NULL)
    {
      g_set_error (error, CR_HLS_ERROR, CR_HLS_ERROR_DIRECTORY,
                   "HLS directory '%s': '%%' is not allowed in its path", dir);
      return NULL;
    }
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, CR_HLS_ERROR, CR_HLS_ERROR_DIRECTORY,
                   "Failed to create the HLS directory '%s': %s", dir, g_strerror (saved));
      return NULL;
    }

  hls = g_new0 (CrHls, 1);
  hls->dir = g_strdup (dir);
  hls->context = g_main_context_ref_thread_default ();
  hls->teardowns = g_ptr_array_new ();
  cr_handoff_init (&hls->handoff, "hls", VIDEO_MAX_BYTES, AUDIO_MAX_BYTES, MAX_QUEUE_TIME);
  g_mutex_init (&hls->lock);
  /* exclusive: its thread is started now and kept, so push() never waits
   * for a thread to be spawned. */
  hls->snapshots = g_thread_pool_new_full (snapshot_job, hls,
                                          (GDestroyNotify) snapshot_job_free, 1, TRUE,
                                          NULL);
  remove_files (hls->dir, 0);
  return hls;
}

const char *
cr_hls_get_dir (CrHls *hls)
{
  g_return_val_if_fail (hls != NULL, NULL);
  return hls->dir;
}

/* ---- hand-off: any thread ---------------------------------------------- */


/* Every 10 s, the next keyframe goes to the snapshot thread, unless it is
 * still busy with the last one. Called with the lock held. */
static void
maybe_snapshot (CrHls *hls, GstSample *sample)
{
  gint64 now = g_get_monotonic_time ();
  gint64 next = hls->snapshot_due_us + SNAPSHOT_INTERVAL_US;

  if (now < hls->snapshot_due_us || g_thread_pool_unprocessed (hls->snapshots) > 0)
    return;
  /* On the 10 s grid, not 10 s after this keyframe, which may come up to
   * a GOP late; a new grid after a pause. */
  hls->snapshot_due_us = next > now ? next : now + SNAPSHOT_INTERVAL_US;
  {
    SnapshotJob *job = g_new0 (SnapshotJob, 1);
    job->keyframe = gst_sample_ref (sample);
    job->run = hls->run;
    g_thread_pool_push (hls->snapshots, job, NULL);
  }
}

gboolean
cr_hls_push (CrHls *hls, GstSample *sample, guint track)
{
  gboolean video = track == CR_HLS_TRACK_VIDEO;
  GstBuffer *buffer;
  gboolean queued = FALSE;

  g_return_val_if_fail (hls != NULL, FALSE);
  g_return_val_if_fail (GST_IS_SAMPLE (sample), FALSE);
  g_return_val_if_fail (track <= CR_HLS_TRACK_AUDIO, FALSE);

  buffer = gst_sample_get_buffer (sample);
  g_mutex_lock (&hls->lock);
  if (hls->accepting)
    {
      if (video && buffer != NULL && !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
        maybe_snapshot (hls, sample);
      queued = cr_handoff_push (&hls->handoff, sample, video);
    }
  g_mutex_unlock (&hls->lock);
  return queued;
}

/* ---- pipeline: main context ---------------------------------------------- */

static gpointer
teardown_thread (gpointer data)
{
  Teardown *teardown = data;
  gst_element_set_state (teardown->pipeline, GST_STATE_NULL);
  gst_clear_object (&teardown->pipeline);
  if (teardown->generation > 0)
    remove_files (teardown->dir, teardown->generation);
  g_atomic_int_set (&teardown->done, 1);
  return NULL;
}

static void
join_teardowns (CrHls *hls, gboolean all)
{
  for (guint i = hls->teardowns->len; i > 0; i--)
    {
      Teardown *teardown = g_ptr_array_index (hls->teardowns, i - 1);
      if (!all && !g_atomic_int_get (&teardown->done))
        continue;
      g_thread_join (teardown->thread);
      g_free (teardown->dir);
      g_free (teardown);
      g_ptr_array_remove_index (hls->teardowns, i - 1);
    }
}

/* Stops the hand-off at once and takes the pipeline apart in a thread:
 * a filesink stuck on a hung disk must not hold up the main loop.
 * @keep_segments: the playlists stay, to be ended (stop). */
static void
detach_pipeline (CrHls *hls, gboolean keep_segments, gboolean wait)
{
  Teardown *teardown;

  g_mutex_lock (&hls->lock);
  cr_handoff_detach (&hls->handoff);
  g_mutex_unlock (&hls->lock);

  if (hls->bus_source != NULL)
    {
      g_source_destroy (hls->bus_source);
      g_clear_pointer (&hls->bus_source, g_source_unref);
    }
  hls->stalled_ticks = 0;
  if (hls->pipeline == NULL)
    return;

  if (!keep_segments)
    remove_playlists (hls);
  teardown = g_new0 (Teardown, 1);
  teardown->pipeline = g_steal_pointer (&hls->pipeline);
  teardown->dir = g_strdup (hls->dir);
  teardown->generation = keep_segments ? 0 : hls->generation;
  teardown->thread = g_thread_new ("cr-hls-teardown", teardown_thread, teardown);
  g_ptr_array_add (hls->teardowns, teardown);
  join_teardowns (hls, wait);
}

static gboolean
bus_cb (GstBus *bus, GstMessage *message, gpointer data)
{
  CrHls *hls = data;
  g_autofree char *reason = cr_handoff_bus_failure (message);

  if (reason == NULL)
    return G_SOURCE_CONTINUE;
  rebuild (hls, reason);
  return G_SOURCE_REMOVE;
}

/* Playlists are replaced whole, a temporary file renamed over the old one
 * (g_file_replace without REPLACE_DESTINATION, which hlssink2's own
 * default uses: that unlinks and writes in place). The first one is
 * written in place all the same; live-web.c answers an empty one with 404. */
static GOutputStream *
open_playlist (GstElement *sink, const char *location, gpointer data)
{
  g_autoptr (GFile) file = g_file_new_for_path (location);
  g_autoptr (GError) error = NULL;
  GFileOutputStream *stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                              &error);
  if (stream == NULL)
    GST_WARNING ("Cannot write the playlist '%s': %s", cr_text_shown (location),
                 cr_text_shown (error->message));
  return G_OUTPUT_STREAM (stream);
}

/* An hlssink2 writing @playlist and @prefix-G-N.ts segments. */
static GstElement *
make_sink (CrHls *hls, GstBin *bin, const char *playlist, const char *prefix)
{
  GstElement *sink = cr_handoff_add_element (bin, "hlssink2", NULL);
  g_autofree char *pattern = g_strdup_printf ("%s-%u-%%05d.ts", prefix, hls->generation);
  g_autofree char *location = g_build_filename (hls->dir, pattern, NULL);
  g_autofree char *playlist_location = g_build_filename (hls->dir, playlist, NULL);

  /* The capture sends a keyframe every second: no requests upstream,
   * where an appsrc would only swallow them. */
  g_object_set (sink, "location", location, "playlist-location", playlist_location,
                "target-duration", TARGET_DURATION_S, "playlist-length", PLAYLIST_LENGTH,
                "max-files", MAX_FILES, "send-keyframe-requests", FALSE, NULL);
  g_signal_connect (sink, "get-playlist-stream", G_CALLBACK (open_playlist), NULL);
  return sink;
}

/* Links @src to @sink through request pads where they have them (tee's
 * "src_%u", hlssink2's "video" and "audio"), else their static pads. */
static gboolean
link_pads (GstElement *src, GstElement *sink, const char *sink_template)
{
  g_autoptr (GstPad) srcpad = gst_element_get_static_pad (src, "src");
  g_autoptr (GstPad) sinkpad = sink_template != NULL
      ? gst_element_request_pad_simple (sink, sink_template)
      : gst_element_get_static_pad (sink, "sink");
  if (srcpad == NULL)
    srcpad = gst_element_request_pad_simple (src, "src_%u");
  return srcpad != NULL && sinkpad != NULL && gst_pad_link (srcpad, sinkpad) == GST_PAD_LINK_OK;
}

static void
build (CrHls *hls)
{
  GstBin *bin;
  GstElement *av_sink, *audio_sink, *video_parse, *audio_parse, *tee, *av_queue, *audio_queue;
  g_autoptr (GstAppSrc) video_src = NULL;
  g_autoptr (GstAppSrc) audio_src = NULL;
  g_autoptr (GstBus) bus = NULL;
  gboolean linked;

  join_teardowns (hls, FALSE);
  hls->generation++;
  hls->built_at_us = g_get_monotonic_time ();
  hls->stalled_ticks = 0;
  hls->pipeline = gst_pipeline_new ("hls");
  bin = GST_BIN (hls->pipeline);
  video_src = cr_handoff_make_src (bin, "video", VIDEO_MAX_BYTES);
  audio_src = cr_handoff_make_src (bin, "audio", AUDIO_MAX_BYTES);
  video_parse = cr_handoff_add_element (bin, "h264parse", NULL);
  audio_parse = cr_handoff_add_element (bin, "aacparse", NULL);
  tee = cr_handoff_add_element (bin, "tee", NULL);
  av_queue = cr_handoff_add_element (bin, "queue", NULL);
  audio_queue = cr_handoff_add_element (bin, "queue", NULL);
  av_sink = make_sink (hls, bin, VIDEO_PLAYLIST, "live");
  audio_sink = make_sink (hls, bin, AUDIO_PLAYLIST, "audio");

  linked = gst_element_link (GST_ELEMENT (video_src), video_parse) &&
           link_pads (video_parse, av_sink, "video") &&
           gst_element_link_many (GST_ELEMENT (audio_src), audio_parse, tee, NULL) &&
           link_pads (tee, av_queue, NULL) && link_pads (av_queue, av_sink, "audio") &&
           link_pads (tee, audio_queue, NULL) &&
           link_pads (audio_queue, audio_sink, "audio");

  bus = gst_pipeline_get_bus (GST_PIPELINE (hls->pipeline));
  hls->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (hls->bus_source, G_SOURCE_FUNC (bus_cb), hls, NULL);
  g_source_attach (hls->bus_source, hls->context);

  if (!linked ||
      gst_element_set_state (hls->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      rebuild (hls, linked ? "the pipeline did not start" : "could not link the pipeline");
      return;
    }

  g_mutex_lock (&hls->lock);
  cr_handoff_attach (&hls->handoff, video_src, audio_src);
  g_mutex_unlock (&hls->lock);
  GST_DEBUG ("pipeline %u built", hls->generation);
}

static gboolean
backoff_done (gpointer data)
{
  CrHls *hls = data;
  g_clear_pointer (&hls->backoff_source, g_source_unref);
  build (hls);
  return G_SOURCE_REMOVE;
}

static void
rebuild (CrHls *hls, const char *reason)
{
  guint delay_ms;

  if (!hls->running || hls->backoff_source != NULL)
    return;

  if (g_get_monotonic_time () - hls->built_at_us >= HEALTHY_BUILD_US)
    hls->next_backoff_ms = 0;
  detach_pipeline (hls, FALSE, FALSE);

  if (hls->next_backoff_ms == 0)
    hls->next_backoff_ms = BACKOFF_INITIAL_MS;
  delay_ms = hls->next_backoff_ms;
  hls->next_backoff_ms = MIN (hls->next_backoff_ms * 2, BACKOFF_MAX_MS);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                    "CR_HLS_DIR", cr_text_shown (hls->dir),
                    "MESSAGE", "HLS output in '%s' failed: %s; rebuilding in %.1f s",
                    cr_text_shown (hls->dir), cr_text_shown (reason), delay_ms / 1000.0);

  hls->backoff_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (hls->backoff_source, backoff_done, hls, NULL);
  g_source_attach (hls->backoff_source, hls->context);
}

/* A pipeline that takes nothing while its video queue stays full is stuck
 * (a hung disk): no error will ever come from it. */
static gboolean
watchdog_tick (gpointer data)
{
  CrHls *hls = data;
  gboolean full = FALSE;

  g_mutex_lock (&hls->lock);
  if (hls->handoff.video != NULL)
    full = gst_app_src_get_current_level_time (hls->handoff.video) >= MAX_QUEUE_TIME ||
           gst_app_src_get_current_level_bytes (hls->handoff.video) >= VIDEO_MAX_BYTES / 2;
  g_mutex_unlock (&hls->lock);

  hls->stalled_ticks = full ? hls->stalled_ticks + 1 : 0;
  if (hls->stalled_ticks >= WATCHDOG_STALL_TICKS)
    rebuild (hls, "stalled: nothing written for 5 s");
  return G_SOURCE_CONTINUE;
}

void
cr_hls_start (CrHls *hls)
{
  g_return_if_fail (hls != NULL);
  if (hls->running)
    return;
  join_teardowns (hls, TRUE);
  remove_files (hls->dir, 0);
  hls->running = TRUE;
  hls->next_backoff_ms = 0;
  g_mutex_lock (&hls->lock);
  hls->accepting = TRUE;
  hls->run++;
  hls->snapshot_due_us = 0;
  g_mutex_unlock (&hls->lock);
  hls->watchdog_source = g_timeout_source_new (WATCHDOG_TICK_MS);
  g_source_set_callback (hls->watchdog_source, watchdog_tick, hls, NULL);
  g_source_attach (hls->watchdog_source, hls->context);
  build (hls);
}

void
cr_hls_stop (CrHls *hls)
{
  g_return_if_fail (hls != NULL);
  if (!hls->running)
    return;
  hls->running = FALSE;
  g_mutex_lock (&hls->lock);
  hls->accepting = FALSE;
  g_mutex_unlock (&hls->lock);
  if (hls->watchdog_source != NULL)
    {
      g_source_destroy (hls->watchdog_source);
      g_clear_pointer (&hls->watchdog_source, g_source_unref);
    }
  if (hls->backoff_source != NULL)
    {
      g_source_destroy (hls->backoff_source);
      g_clear_pointer (&hls->backoff_source, g_source_unref);
    }
  detach_pipeline (hls, TRUE, TRUE);
  end_playlists (hls);
}

void
cr_hls_free (CrHls *hls)
{
  if (hls == NULL)
    return;
  cr_hls_stop (hls);
  join_teardowns (hls, TRUE);
  /* Drops a keyframe still waiting, waits for the one being decoded. */
  g_thread_pool_free (hls->snapshots, TRUE, TRUE);
  g_ptr_array_unref (hls->teardowns);
  cr_handoff_clear (&hls->handoff);
  g_mutex_clear (&hls->lock);
  g_main_context_unref (hls->context);
  g_free (hls->dir);
  g_free (hls);
}
