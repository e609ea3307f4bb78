/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* input.c: see input.h. All but the buffer probe runs on the main context. */
#include "pipelines/input.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "pipelines/description.h"

#include "config/text.h"
GST_DEBUG_CATEGORY_STATIC (cr_input_debug);
#define GST_CAT_DEFAULT cr_input_debug

/* No data for this long and the input is lost (its tile shows the slate
 * within the next check). */
#define STALL_US (1 * G_USEC_PER_SEC)
#define CHECK_INTERVAL_MS 250
/* A pipeline that has not delivered after this long is started afresh. */
#define CONNECT_TIMEOUT_US (8 * G_USEC_PER_SEC)
/* rtspsrc's jitter buffer: enough for a LAN, short enough for sync. */
#define RTSP_LATENCY_MS 200
/* Backoff between attempts; kept short so that an input is back in the
 * picture within seconds of its device or stream returning. */
static const guint retry_ms[] = { 500, 1000, 2000 };

struct CrInput {
  CrInputRole role;
  guint index;
  char *name;
  char *label;
  CrSource source;
  gboolean loop;                /* a file: start again at its end */
  char *channel;
  GstElement *sound;            /* the capture pipeline's appsrc, or NULL */
  GstElement *capture;          /* the capture pipeline */
  guint width, height, framerate;

  CrInputStateFunc func;
  gpointer user_data;

  GstElement *pipeline;
  GSource *bus_source;
  CrInputState state;
  gint64 connected_us;          /* when the current pipeline was built */
  gint64 last_data_us;          /* atomic: written by the streaming thread */
  guint attempt;                /* consecutive failed attempts */
  guint losses;
  gboolean checked;              /* in checked_inputs */
  guint retry_timer;
};

static const char *const ball_colours[] = {
  "0xffffffff", "0xffffd700", "0xff7fffd4", "0xffff7f50", "0xffadff2f",
  "0xff87cefa", "0xffff69b4", "0xffffa500", "0xffdda0dd",
};

/* Where an input's sound goes: an appsink named "sound", or in the
 * benchmark's reference an inter channel. */
/* Every sink of a live pipeline here is async=false: a branch that never
 * gets data (a stream without the sound a microphone expects) must not
 * hold the others back from PLAYING. */
static void
append_sound_handoff (GString *desc, const char *sound_channel, gboolean paced)
{
  if (sound_channel != NULL)
    g_string_append_printf (desc, "interaudiosink channel=%s async=false sync=%s ", sound_channel,
                            paced ? "true" : "false");
  else
    g_string_append_printf (desc, "appsink name=sound async=false sync=%s emit-signals=false ",
                            paced ? "true" : "false");
}

static void
append_camera_source (GString *desc, const CrSource *source, guint index,
                      guint framerate, gboolean with_sound, const char *sound_channel)
{
  g_autofree char *location = source->location ? cr_description_quote (source->location)
                                                : NULL;

  switch (source->kind)
    {
    case CR_SOURCE_TEST:
      if (g_strcmp0 (source->location, "sync") == 0)
        /* Black, with a white flash drawn by a probe (see mark_sync). */
        g_string_append_printf (desc, "videotestsrc name=sync_marker is-live=true "
                                "pattern=black ! video/x-raw,format=I420,framerate=%u/1 ",
                                framerate);
      else
        g_string_append_printf (desc,
            "videotestsrc is-live=true pattern=ball foreground-color=%s "
            "background-color=0xff202830 ! video/x-raw,framerate=%u/1 ",
            ball_colours[index % G_N_ELEMENTS (ball_colours)], framerate);
      break;
    case CR_SOURCE_V4L2:
      g_string_append_printf (desc, "v4l2src device=%s ! decodebin ", location);
      break;
    case CR_SOURCE_RTSP:
      /* rtspsrc itself rather than uridecodebin, for a short jitter buffer
       * (its default is two seconds) and to tell picture from sound by
       * their RTP caps. The stream's sound, if it has any, goes to the
       * camera's audio channel: a remote witness is one input with picture
       * and sound. */
      g_string_append_printf (desc, "rtspsrc name=camera%u_source location=%s latency=%u ",
                              index, location, RTSP_LATENCY_MS);
      if (with_sound)
        {
          g_string_append_printf (desc, "camera%u_source. ! application/x-rtp,media=audio "
                                  "! decodebin ! queue ! audioconvert ! audioresample ! "
                                  CR_INPUT_AUDIO_CAPS " ! ", index);
          append_sound_handoff (desc, sound_channel, FALSE);
        }
      g_string_append_printf (desc, "camera%u_source. ! application/x-rtp,media=video "
                              "! decodebin ", index);
      break;
    case CR_SOURCE_SRT:
    case CR_SOURCE_RTMP:
    case CR_SOURCE_FILE:
      {
        g_autofree char *uri_raw = source->kind == CR_SOURCE_FILE
                                   ? g_filename_to_uri (source->location, NULL, NULL)
                                   : g_strdup (source->location);
        g_autofree char *uri = cr_description_quote (uri_raw);
        g_string_append_printf (desc,
            "uridecodebin name=camera%u_source uri=%s caps=\"video/x-raw;audio/x-raw\" ",
            index, uri);
        if (with_sound)
          {
            g_string_append_printf (desc, "camera%u_source. ! queue ! audioconvert "
                                    "! audioresample ! " CR_INPUT_AUDIO_CAPS " ! ", index);
            append_sound_handoff (desc, sound_channel, source->kind == CR_SOURCE_FILE);
          }
        g_string_append_printf (desc, "camera%u_source. ", index);
        break;
      }
    default:
      g_assert_not_reached (); /* the config refuses sound sources for cameras */
    }
}

static void
append_microphone_source (GString *desc, const CrSource *source, guint index)
{
  g_autofree char *location = source->location ? cr_description_quote (source->location)
                                                : NULL;

  switch (source->kind)
    {
    case CR_SOURCE_TEST:
      if (g_strcmp0 (source->location, "silence") == 0)
        g_string_append (desc, "audiotestsrc is-live=true wave=silence samplesperbuffer=480 ");
      else if (g_strcmp0 (source->location, "sync") == 0)
        /* Silence, with a beep drawn by a probe (see mark_sync). */
        g_string_append (desc, "audiotestsrc name=sync_marker is-live=true wave=silence "
                               "samplesperbuffer=480 ! " CR_INPUT_AUDIO_CAPS " ");
      else
        /* A distinct tone per microphone: 440 Hz, 550 Hz, ... */
        g_string_append_printf (desc,
            "audiotestsrc is-live=true wave=sine freq=%u volume=0.2 samplesperbuffer=480 ",
            440 + 110 * index);
      break;
    case CR_SOURCE_ALSA:
      g_string_append_printf (desc, "alsasrc device=%s ", location);
      break;
    case CR_SOURCE_PULSE:
      g_string_append_printf (desc, "pulsesrc device=%s ", location);
      break;
    case CR_SOURCE_RTSP:
    case CR_SOURCE_SRT:
    case CR_SOURCE_RTMP:
    case CR_SOURCE_FILE:
      {
        g_autofree char *uri_raw = source->kind == CR_SOURCE_FILE
                                   ? g_filename_to_uri (source->location, NULL, NULL)
                                   : g_strdup (source->location);
        g_autofree char *uri = cr_description_quote (uri_raw);
        g_string_append_printf (desc, "uridecodebin uri=%s caps=audio/x-raw ", uri);
        break;
      }
    default:
      g_assert_not_reached (); /* the config refuses picture sources here */
    }
}

char *
cr_input_describe (const CrInputConfig *config, CrInputRole role, guint index,
                   const char *channel, gboolean with_sound,
                   const char *sound_channel, guint width, guint height,
                   guint framerate)
{
  GString *desc = g_string_new (NULL);

  if (role == CR_INPUT_CAMERA)
    {
      g_autofree char *channel_q = cr_description_quote (channel);
      append_camera_source (desc, &config->source, index, framerate, with_sound,
                            sound_channel);
      g_autofree char *tile_caps = g_strdup_printf (CR_INPUT_VIDEO_CAPS, width, height,
                                                    framerate);
      /* No videorate: the composer's inter source samples every camera at
       * the room's frame rate, and one would hold a frame back. The frame
       * rate in the caps is only declared (capssetter), so that the
       * channel's format is the composer's exactly whatever the camera's
       * own rate. */
      /* A live source must never wait for conversion: its queue leaks.
       * A file is paced by the sink waiting on the clock, so its queue
       * must block instead: a leaky one lets the decoder race ahead,
       * dropping all but the frames far in the future that the sink then
       * waits for (3 frames in 4 s, and the input seen as stalled). */
      g_string_append_printf (desc,
          "! queue max-size-buffers=3%s ! videoconvert ! videoscale "
          "! video/x-raw,format=I420,width=%u,height=%u,pixel-aspect-ratio=1/1,"
          "interlace-mode=progressive,colorimetry=bt601,chroma-site=mpeg2 "
          "! capssetter caps=\"%s\" "
          "! intervideosink name=camera%u_handoff channel=%s async=false sync=%s ",
          config->source.kind == CR_SOURCE_FILE ? "" : " leaky=downstream",
          width, height, tile_caps, index, channel_q,
          /* Live sources come at their pace; only a file is paced here. */
          config->source.kind == CR_SOURCE_FILE ? "true" : "false");
    }
  else
    {
      append_microphone_source (desc, &config->source, index);
      /* Leaky for a live source, blocking for a paced file (as above). */
      g_string_append_printf (desc, "! queue max-size-time=200000000%s "
                              "! audioconvert ! audioresample ! " CR_INPUT_AUDIO_CAPS " ! ",
                              config->source.kind == CR_SOURCE_FILE ? ""
                              : " leaky=downstream");
      append_sound_handoff (desc, sound_channel, config->source.kind == CR_SOURCE_FILE);
    }
  return g_string_free (desc, FALSE);
}

/* --- the sync test source ---------------------------------------------------
 *
 * "test:sync" microphones beep (1 kHz) during the first 40 ms of every
 * second of the system clock, which every input pipeline shares, and
 * "test:sync" cameras flash white in the one frame nearest to each whole
 * second (within half a frame period of it, at any frame rate): what they
 * capture at the same instant is marked at the same instant, so the offset
 * between flash and beep in a recording is the recorder's audio/video sync
 * error, to within half a frame period. */

#define SYNC_MARK_NS (40 * GST_MSECOND)

static GstClockTime
clock_time_of (GstPad *pad, GstClockTime pts)
{
  g_autoptr (GstElement) element = gst_pad_get_parent_element (pad);
  return element ? pts + gst_element_get_base_time (element) : pts;
}

static GstPadProbeReturn
mark_sync (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  gboolean video = GPOINTER_TO_INT (user_data);
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstClockTime at = clock_time_of (pad, GST_BUFFER_PTS (buffer));
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (caps == NULL || !GST_CLOCK_TIME_IS_VALID (at))
    return GST_PAD_PROBE_OK;
  if (video)
    {
      GstVideoInfo vinfo;
      GstVideoFrame frame;
      GstClockTime period;
      if (!gst_video_info_from_caps (&vinfo, caps) || vinfo.fps_n <= 0)
        return GST_PAD_PROBE_OK;
      period = gst_util_uint64_scale (GST_SECOND, vinfo.fps_d, vinfo.fps_n);
      if ((at + period / 2) % GST_SECOND >= period ||
          !gst_video_frame_map (&frame, &vinfo, buffer, GST_MAP_WRITE))
        return GST_PAD_PROBE_OK;
      /* I420 white: full luma, neutral chroma. */
      for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++)
        memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, p), p == 0 ? 235 : 128,
                GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p) *
                GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p));
      gst_video_frame_unmap (&frame);
    }
  else
    {
      GstMapInfo map;
      /* wave=silence marks its buffers as gaps, which a mixer skips. */
      GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_GAP);
      if (!gst_buffer_map (buffer, &map, GST_MAP_WRITE))
        return GST_PAD_PROBE_OK;
      for (gsize i = 0; i < map.size / 2; i++)
        {
          GstClockTime t = at + gst_util_uint64_scale (i, GST_SECOND, 48000);
          gint16 *sample = (gint16 *) map.data + i;
          *sample = t % GST_SECOND < SYNC_MARK_NS
                    ? (gint16) (16000 * sin (2 * G_PI * 1000.0 * (t % GST_SECOND) / GST_SECOND))
                    : 0;
        }
      gst_buffer_unmap (buffer, &map);
    }
  return GST_PAD_PROBE_OK;
}

/* --- life of one pipeline ------------------------------------------------- */

static void set_state (CrInput *input, CrInputState state, const char *reason);
static void schedule_retry (CrInput *input);

static GstPadProbeReturn
on_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  CrInput *input = user_data;
  __atomic_store_n (&input->last_data_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* On the sound's streaming thread: hand the sample to the capture
 * pipeline's appsrc, timestamped on its running time. Both pipelines run on
 * the system clock, so a running time here is (clock time - our base time)
 * and there (clock time - its base time). */
static GstFlowReturn
forward_sound (GstAppSink *appsink, gpointer user_data)
{
  CrInput *input = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  GstBuffer *buffer;
  GstClockTime running_time, capture_base;
  GstClockTimeDiff shifted;
  g_autoptr (GstElement) pipeline = NULL;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_sample_get_buffer (sample);
  running_time = gst_segment_to_running_time (gst_sample_get_segment (sample),
                                              GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  pipeline = GST_ELEMENT (gst_object_get_parent (GST_OBJECT (appsink)));
  capture_base = gst_element_get_base_time (input->capture);
  if (pipeline == NULL || !GST_CLOCK_TIME_IS_VALID (running_time))
    return GST_FLOW_OK;
  shifted = (GstClockTimeDiff) (running_time + gst_element_get_base_time (pipeline)) -
            (GstClockTimeDiff) capture_base;
  if (shifted < 0)
    return GST_FLOW_OK;
  buffer = gst_buffer_copy (buffer);
  GST_BUFFER_PTS (buffer) = shifted;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (input->sound), buffer);
  return GST_FLOW_OK;
}

static gpointer
teardown_thread (gpointer data)
{
  GstElement *pipeline = data;

  /* Stopping a network source can wait on its peer: never on the main
   * loop. */
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return NULL;
}

static void
drop_pipeline (CrInput *input)
{
  if (input->bus_source != NULL)
    {
      g_source_destroy (input->bus_source);
      g_clear_pointer (&input->bus_source, g_source_unref);
    }
  if (input->pipeline != NULL)
    {
      GstElement *pipeline = g_steal_pointer (&input->pipeline);
      g_thread_unref (g_thread_new ("cr-input-teardown", teardown_thread, pipeline));
    }
}

/* The secrets an input's url may hold: the password of rtsp://user:pw@
 * and the value of an srt:// passphrase=. (transfer full) */
static GStrv
location_secrets (const CrSource *source)
{
  g_autoptr (GStrvBuilder) secrets = g_strv_builder_new ();
  g_autoptr (GUri) uri = NULL;
  const char *query;

  if (source->location == NULL || source->kind == CR_SOURCE_FILE)
    return g_strv_builder_end (secrets);
  uri = g_uri_parse (source->location, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  if (uri != NULL && g_uri_get_password (uri) != NULL && g_uri_get_password (uri)[0] != '\0')
    g_strv_builder_add (secrets, g_uri_get_password (uri));
  query = uri != NULL ? g_uri_get_query (uri) : NULL;
  if (query != NULL)
    {
      g_auto (GStrv) params = g_strsplit (query, "&", -1);
      for (guint i = 0; params[i] != NULL; i++)
        if (g_ascii_strncasecmp (params[i], "passphrase=", strlen ("passphrase=")) == 0 &&
            params[i][strlen ("passphrase=")] != '\0')
          g_strv_builder_add (secrets, params[i] + strlen ("passphrase="));
    }
  return g_strv_builder_end (secrets);
}

/* @text with the secrets of the input's url replaced by "***": what
 * GStreamer says of a failed rtspsrc or srtsrc may quote the url.
 * (transfer full) */
static char *
mask_secrets (CrInput *input, const char *text)
{
  g_autoptr (GString) out = g_string_new (text);
  g_auto (GStrv) secrets = location_secrets (&input->source);

  for (guint i = 0; secrets[i] != NULL; i++)
    g_string_replace (out, secrets[i], "***", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The pipeline failed or stalled: drop it and try again later. Only the
 * first failure is news; failed attempts while it is lost are not. */
static void
lose (CrInput *input, const char *raw_reason)
{
  g_autofree char *reason = mask_secrets (input, raw_reason);

  GST_WARNING ("%s: %s", cr_text_shown (input->name), cr_text_shown (reason));
  drop_pipeline (input);
  if (input->state != CR_INPUT_LOST)
    {
      input->losses++;
      set_state (input, CR_INPUT_LOST, reason);
    }
  schedule_retry (input);
}

static void connect (CrInput *input);

/* A file played to its end: nothing failed. With loop it starts again at
 * once, still live (the stall check gets a second's grace for the new
 * pipeline's first data); without, it has ended for good. */
static void
file_ended (CrInput *input)
{
  drop_pipeline (input);
  if (input->loop)
    {
      GST_INFO ("%s: the file ended; playing it again", cr_text_shown (input->name));
      connect (input);
      __atomic_store_n (&input->last_data_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
      return;
    }
  GST_INFO ("%s: the file ended", cr_text_shown (input->name));
  set_state (input, CR_INPUT_ENDED, "the file ended");
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  CrInput *input = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *debug = NULL;
        g_autofree char *reason = NULL;
        gst_message_parse_error (message, &error, &debug);
        if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_DEBUG)
          {
            g_autofree char *masked = mask_secrets (input, debug ? debug : "");
            GST_DEBUG ("%s: %s", cr_text_shown (input->name), cr_text_shown (masked));
          }
        reason = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (message->src), error->message);
        lose (input, reason);
        return G_SOURCE_REMOVE;
      }
    case GST_MESSAGE_EOS:
      if (input->source.kind == CR_SOURCE_FILE)
        file_ended (input);
      else
        lose (input, "the stream ended");
      return G_SOURCE_REMOVE;
    default:
      return G_SOURCE_CONTINUE;
    }
}

static void
connect (CrInput *input)
{
  g_autofree char *description = cr_input_describe (
      &(CrInputConfig) { .name = input->name, .source = input->source, .label = input->label },
      input->role, input->index, input->channel, input->sound != NULL, NULL, input->width,
      input->height, input->framerate);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) handoff = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstBus) bus = NULL;

  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_INFO)
    {
      /* A trace, not cut at CR_TEXT_SHOWN_MAX: the whole description. */
      g_autofree char *masked = mask_secrets (input, description);
      g_autofree char *shown = cr_text_escape (masked, -1, G_MAXINT);
      GST_INFO ("%s: %s", cr_text_shown (input->name), shown);
    }
  input->pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
                                           &error);
  input->connected_us = g_get_monotonic_time ();
  __atomic_store_n (&input->last_data_us, 0, __ATOMIC_RELAXED);
  /* A lost input stays lost, to the world, until data flows again; a
   * looping file stays live across its restart. */
  if (input->state != CR_INPUT_LOST && input->state != CR_INPUT_LIVE)
    set_state (input, CR_INPUT_CONNECTING, NULL);
  if (input->pipeline == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("could not build its pipeline: %s",
                                                 error->message);
      lose (input, reason);
      return;
    }
  gst_object_ref_sink (input->pipeline);

  {
    g_autoptr (GstElement) marker = gst_bin_get_by_name (GST_BIN (input->pipeline),
                                                         "sync_marker");
    if (marker != NULL)
      {
        g_autoptr (GstPad) src = gst_element_get_static_pad (marker, "src");
        gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, mark_sync,
                           GINT_TO_POINTER (input->role == CR_INPUT_CAMERA), NULL);
      }
  }
  /* Every pipeline on the system clock: the capture pipeline's running time
   * is then computable from ours (see forward_sound). */
  {
    g_autoptr (GstClock) clock = gst_system_clock_obtain ();
    gst_pipeline_use_clock (GST_PIPELINE (input->pipeline), clock);
  }
  if (input->sound != NULL)
    {
      g_autoptr (GstElement) sound = gst_bin_get_by_name (GST_BIN (input->pipeline), "sound");
      GstAppSinkCallbacks callbacks = { .new_sample = forward_sound };
      gst_app_sink_set_callbacks (GST_APP_SINK (sound), &callbacks, input, NULL);
    }
  /* What proves the input alive: frames for a camera, sound for a
   * microphone. */
  if (input->role == CR_INPUT_CAMERA)
    {
      g_autofree char *name = g_strdup_printf ("camera%u_handoff", input->index);
      handoff = gst_bin_get_by_name (GST_BIN (input->pipeline), name);
    }
  else
    handoff = gst_bin_get_by_name (GST_BIN (input->pipeline), "sound");
  pad = gst_element_get_static_pad (handoff, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_data, input, NULL);

  bus = gst_element_get_bus (input->pipeline);
  input->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (input->bus_source, G_SOURCE_FUNC (on_bus_message), input, NULL);
  g_source_attach (input->bus_source, NULL);

  if (gst_element_set_state (input->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    lose (input, "its device or stream could not be opened");
}

static gboolean
retry (gpointer user_data)
{
  CrInput *input = user_data;

  input->retry_timer = 0;
  connect (input);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (CrInput *input)
{
  guint delay = retry_ms[MIN (input->attempt, G_N_ELEMENTS (retry_ms) - 1)];

  input->attempt++;
  if (input->retry_timer == 0)
    input->retry_timer = g_timeout_add (delay, retry, input);
}

static gboolean
check (gpointer user_data)
{
  CrInput *input = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 last = __atomic_load_n (&input->last_data_us, __ATOMIC_RELAXED);

  if (input->pipeline == NULL)
    return G_SOURCE_CONTINUE;  /* waiting to retry */
  if (input->state == CR_INPUT_LIVE)
    {
      if (now - last > STALL_US)
        lose (input, "no data for a second");
    }
  else if (last != 0)
    {
      input->attempt = 0;
      set_state (input, CR_INPUT_LIVE, NULL);
    }
  else if (now - input->connected_us > CONNECT_TIMEOUT_US)
    lose (input, "no data since it was opened");
  return G_SOURCE_CONTINUE;
}

/* Every started input is looked at by one timer. A timer each woke the
 * main loop 64 times a second for a room of eight inputs (a timeout that
 * re-arms wakes the loop once more), to read a timestamp. Main context
 * only. */
static GPtrArray *checked_inputs;
static guint check_timer;

static gboolean
check_all (gpointer unused)
{
  /* An input freed by what a check sets off leaves the array shorter. */
  for (guint i = 0; i < checked_inputs->len; i++)
    check (g_ptr_array_index (checked_inputs, i));
  return G_SOURCE_CONTINUE;
}

static void
start_checking (CrInput *input)
{
  if (checked_inputs == NULL)
    checked_inputs = g_ptr_array_new ();
  g_ptr_array_add (checked_inputs, input);
  input->checked = TRUE;
  if (check_timer == 0)
    check_timer = g_timeout_add (CHECK_INTERVAL_MS, check_all, NULL);
}

static void
stop_checking (CrInput *input)
{
  g_ptr_array_remove (checked_inputs, input);
  input->checked = FALSE;
  if (checked_inputs->len == 0 && check_timer != 0)
    {
      g_source_remove (check_timer);
      check_timer = 0;
    }
}

static void
set_state (CrInput *input, CrInputState state, const char *reason)
{
  if (input->state == state)
    return;
  input->state = state;
  if (input->func != NULL)
    input->func (input, state, reason, input->user_data);
}

/* --- public --------------------------------------------------------------- */

CrInput *
cr_input_new (const CrInputConfig *config, CrInputRole role, guint index,
              const char *channel, GstElement *sound, GstElement *capture,
              guint width, guint height, guint framerate, CrInputStateFunc func,
              gpointer user_data)
{
  CrInput *input = g_new0 (CrInput, 1);

  if (cr_input_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (cr_input_debug, "courtrec-input", 0, "courtrec inputs");
  input->role = role;
  input->index = index;
  input->name = g_strdup (config->name);
  input->label = g_strdup (config->label);
  input->source.kind = config->source.kind;
  input->source.location = g_strdup (config->source.location);
  input->loop = config->loop;
  input->channel = g_strdup (channel);
  input->sound = sound ? gst_object_ref (sound) : NULL;
  input->capture = capture ? gst_object_ref (capture) : NULL;
  input->width = width;
  input->height = height;
  input->framerate = framerate;
  input->func = func;
  input->user_data = user_data;
  input->state = CR_INPUT_CONNECTING;
  return input;
}

void
cr_input_free (CrInput *input)
{
  if (input == NULL)
    return;
  if (input->checked)
    stop_checking (input);
  if (input->retry_timer != 0)
    g_source_remove (input->retry_timer);
  if (input->bus_source != NULL)
    {
      g_source_destroy (input->bus_source);
      g_clear_pointer (&input->bus_source, g_source_unref);
    }
  if (input->pipeline != NULL)
    {
      /* At shutdown: stop it here, so nothing runs on after us. */
      gst_element_set_state (input->pipeline, GST_STATE_NULL);
      gst_clear_object (&input->pipeline);
    }
  g_free (input->name);
  g_free (input->label);
  g_free (input->source.location);
  g_free (input->channel);
  gst_clear_object (&input->sound);
  gst_clear_object (&input->capture);
  g_free (input);
}

void
cr_input_start (CrInput *input)
{
  connect (input);
  if (!input->checked)
    start_checking (input);
}

const char *
cr_input_get_name (CrInput *input)
{
  return input->name;
}

const char *
cr_input_get_label (CrInput *input)
{
  return input->label;
}

CrInputRole
cr_input_get_role (CrInput *input)
{
  return input->role;
}

guint
cr_input_get_index (CrInput *input)
{
  return input->index;
}

CrInputState
cr_input_get_state (CrInput *input)
{
  return input->state;
}

guint
cr_input_get_losses (CrInput *input)
{
  return input->losses;
}

const char *
cr_input_state_to_string (CrInputState state)
{
  static const char *const names[] = { "connecting", "live", "lost", "ended" };
  return names[state];
}
