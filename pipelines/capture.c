/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capture.c: see capture.h.
 *
 * The composer pipeline is written as a gst-launch description
 * (capture-description.c) so that the benchmark can run the very same
 * elements and settings through gst-launch-1.0. Only the main context touches CrCapture's fields, except
 * the appsink callbacks (sample hand-off) and the atomic layout-free
 * getters. */
#include "pipelines/capture-private.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdio.h>

#include "pipelines/description.h"
#include "pipelines/preview.h"

#include "config/text.h"
GST_DEBUG_CATEGORY_STATIC (cr_capture_debug);
#define GST_CAT_DEFAULT cr_capture_debug

G_DEFINE_QUARK (cr-capture-error-quark, cr_capture_error)

/* The voice layout follows a new speaker after 1.5 s, if 6 dB louder than
 * the current one, and nobody quieter than -50 dBFS counts as speaking. */
#define VOICE_HOLD_US (1500 * 1000)
#define VOICE_MARGIN_DB 6.0
#define VOICE_FLOOR_DBFS (-50.0)

/* 1024 samples at 48 kHz. */
#define AAC_PRIMING_NS (1024 * GST_SECOND / 48000)

typedef struct {
  CrCapture *capture;
  guint track;
  GstElement *appsink;
} Track;

typedef struct {
  double rms_dbfs;
  double peak_dbfs;
} Level;

struct CrCapture {
  const CrConfig *config;
  GstElement *pipeline;
  GstElement *caption;          /* textoverlay: court, room, case */
  GstElement *composer;
  GstElement *video_record;     /* appsink of track 0, for keyframe requests */
  GPtrArray *tracks;            /* Track*, by track number */
  GPtrArray *track_names;       /* char*, by track number */
  GPtrArray *slates;            /* GstElement* textoverlay, by camera */
  GPtrArray *inputs;            /* CrInput*: cameras, then microphones */
  Level *levels;                /* by microphone, under levels_lock */
  GMutex levels_lock;
  gint follows_voice;           /* atomic: layout is voice, levels go to the main loop */
  guint bus_watch;

  CrLayoutKind layout;
  guint main_camera;            /* shown large in single, pip, voice */
  CrVoiceSwitch *voice;
  int *camera_of_microphone;    /* camera index per microphone, -1 if none */

  CrCaptureSampleFunc sample_func;
  gpointer sample_data;
  CrCaptureRawFunc raw_func;
  gpointer raw_data;
  GstElement *raw_video;        /* appsink before the encoder, or NULL */
  GPtrArray *previews;          /* CrPreview*: the composed picture, then each camera */
  CrCaptureErrorFunc error_func;
  gpointer error_data;
  CrCaptureInputFunc input_func;
  gpointer input_data;

  char *header;                 /* "court  room" line of the caption */
};

GstClockTime
cr_capture_get_base_time (CrCapture *capture)
{
  return gst_element_get_base_time (capture->pipeline);
}

/* --- streaming threads ---------------------------------------------------- */

static GstFlowReturn
on_raw_video (GstAppSink *appsink, gpointer user_data)
{
  CrCapture *capture = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  GstBuffer *buffer;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_sample_get_buffer (sample);
  if (capture->raw_func != NULL)
    capture->raw_func (sample, gst_segment_to_running_time (gst_sample_get_segment (sample),
                                                            GST_FORMAT_TIME,
                                                            GST_BUFFER_PTS (buffer)),
                       capture->raw_data);
  return GST_FLOW_OK;
}

static GstFlowReturn
on_new_sample (GstAppSink *appsink, gpointer user_data)
{
  Track *track = user_data;
  CrCapture *capture = track->capture;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  GstBuffer *buffer;
  const GstSegment *segment;
  GstClockTime running_time;
  gint64 utc_us;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_sample_get_buffer (sample);
  segment = gst_sample_get_segment (sample);
  running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
                                              GST_BUFFER_PTS (buffer));

  /* Wall-clock time of capture: the pipeline runs on the system clock,
   * which is CLOCK_MONOTONIC like g_get_monotonic_time(), so running time +
   * base time is a monotonic instant; the two reads side by side give the
   * wall clock's offset from it without a scheduling delay in between. */
  utc_us = (gint64) ((running_time + gst_element_get_base_time (capture->pipeline)) /
                     GST_USECOND) + (g_get_real_time () - g_get_monotonic_time ());

  /* The AAC encoder's output starts with 1024 samples of priming that
   * neither avenc_aac nor matroskamux 1.22 signal, so players sound the mix
   * that much late: stamp it that much earlier. */
  if (track->track == CR_TRACK_MIX && running_time > AAC_PRIMING_NS)
    running_time -= AAC_PRIMING_NS;

  if (capture->sample_func != NULL)
    capture->sample_func (sample, track->track, running_time, utc_us,
                          capture->sample_data);
  return GST_FLOW_OK;
}

/* --- main loop -------------------------------------------------------------- */

static void
apply_layout (CrCapture *capture)
{
  guint n = capture->config->cameras->len;
  g_autofree CrTileRect *rects = g_new0 (CrTileRect, n);

  cr_layout_compute (capture->layout, n, capture->main_camera, capture->config->width,
                     capture->config->height, rects);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("sink_%u", i);
      g_autoptr (GstPad) pad = gst_element_get_static_pad (capture->composer, name);

      if (pad == NULL)
        continue;
      /* A hidden tile is fully transparent: the compositor skips it. */
      g_object_set (pad, "xpos", rects[i].x, "ypos", rects[i].y,
                    "width", MAX (rects[i].width, 2), "height", MAX (rects[i].height, 2),
                    "zorder", rects[i].zorder, "alpha", rects[i].visible ? 1.0 : 0.0,
                    NULL);
    }
}

static void
follow_voice (CrCapture *capture)
{
  guint n = capture->config->microphones->len;
  g_autofree double *rms = g_new (double, n);
  guint loudest;
  int camera;

  g_mutex_lock (&capture->levels_lock);
  for (guint i = 0; i < n; i++)
    rms[i] = capture->levels[i].rms_dbfs;
  g_mutex_unlock (&capture->levels_lock);
  loudest = cr_voice_switch_update (capture->voice, rms, g_get_monotonic_time ());
  camera = capture->camera_of_microphone[loudest];
  if (camera >= 0 && (guint) camera != capture->main_camera)
    {
      capture->main_camera = camera;
      apply_layout (capture);
    }
}

/* Keeps a microphone's level; on the thread that measured it. */
static void
keep_level (CrCapture *capture, GstMessage *message)
{
  const GstStructure *s = gst_message_get_structure (message);
  const char *name = GST_OBJECT_NAME (message->src);
  guint index;
  const GValue *rms, *peak;
  GValueArray *rms_array, *peak_array;

  if (sscanf (name, "microphone%u_level", &index) != 1 ||
      index >= capture->config->microphones->len)
    return;
  rms = gst_structure_get_value (s, "rms");
  peak = gst_structure_get_value (s, "peak");
  if (rms == NULL || peak == NULL)
    return;
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  rms_array = g_value_get_boxed (rms);
  peak_array = g_value_get_boxed (peak);
  if (rms_array->n_values > 0 && peak_array->n_values > 0)
    {
      g_mutex_lock (&capture->levels_lock);
      capture->levels[index].rms_dbfs = g_value_get_double (rms_array->values);
      capture->levels[index].peak_dbfs = g_value_get_double (peak_array->values);
      g_mutex_unlock (&capture->levels_lock);
    }
G_GNUC_END_IGNORE_DEPRECATIONS
}

/* Every microphone's level comes ten times a second: kept where it is
 * posted rather than waking the main loop forty times a second for a
 * number. Only the voice layout, which follows them, takes them there. */
static GstBusSyncReply
on_bus_sync (GstBus *bus, GstMessage *message, gpointer user_data)
{
  CrCapture *capture = user_data;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ELEMENT ||
      !gst_message_has_name (message, "level"))
    return GST_BUS_PASS;
  keep_level (capture, message);
  return g_atomic_int_get (&capture->follows_voice) ? GST_BUS_PASS : GST_BUS_DROP;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  CrCapture *capture = user_data;
  guint index;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ELEMENT:
      /* Kept already (on_bus_sync); once per round of the microphones. */
      if (gst_message_has_name (message, "level") && capture->layout == CR_LAYOUT_VOICE &&
          sscanf (GST_OBJECT_NAME (message->src), "microphone%u_level", &index) == 1 &&
          index == capture->config->microphones->len - 1)
        follow_voice (capture);
      break;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *debug = NULL;
        gst_message_parse_error (message, &error, &debug);
        g_warning ("Capture: %s: %s", cr_text_shown (GST_OBJECT_NAME (message->src)),
                   cr_text_shown (error->message));
        GST_WARNING ("%s", debug ? cr_text_shown (debug) : "");
        if (capture->error_func != NULL)
          capture->error_func (error, debug, capture->error_data);
        break;
      }
    case GST_MESSAGE_WARNING:
      {
        g_autoptr (GError) error = NULL;
        gst_message_parse_warning (message, &error, NULL);
        g_message ("Capture: %s: %s", cr_text_shown (GST_OBJECT_NAME (message->src)),
                   cr_text_shown (error->message));
        break;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_input_state (CrInput *input, CrInputState state, const char *reason,
                gpointer user_data)
{
  CrCapture *capture = user_data;

  if (cr_input_get_role (input) == CR_INPUT_CAMERA)
    {
      GstElement *slate = g_ptr_array_index (capture->slates, cr_input_get_index (input));
      /* Connecting after a loss keeps the slate until frames flow again. */
      if (state == CR_INPUT_LOST)
        g_object_set (slate, "silent", FALSE, NULL);
      else if (state == CR_INPUT_LIVE)
        g_object_set (slate, "silent", TRUE, NULL);
      else if (state == CR_INPUT_ENDED)
        {
          /* For good: a file played once, not a fault. */
          g_autofree char *text = g_strdup_printf ("%s\n播放结束 / playback ended",
                                                   cr_input_get_label (input));
          g_object_set (slate, "text", text, "silent", FALSE, NULL);
        }
    }
  else if (state == CR_INPUT_LOST || state == CR_INPUT_ENDED)
    {
      /* No sound arrives to be measured: show the silence it is. */
      g_mutex_lock (&capture->levels_lock);
      capture->levels[cr_input_get_index (input)].rms_dbfs = -INFINITY;
      capture->levels[cr_input_get_index (input)].peak_dbfs = -INFINITY;
      g_mutex_unlock (&capture->levels_lock);
    }
  if (state == CR_INPUT_LOST)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_INPUT", cr_input_get_name (input),
                      "MESSAGE", "Input %s (%s) lost: %s", cr_text_shown (cr_input_get_name (input)),
                      cr_text_shown (cr_input_get_label (input)), cr_text_shown (reason));
  else if (state == CR_INPUT_ENDED)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_INPUT", cr_input_get_name (input),
                      "MESSAGE", "Input %s (%s) ended: %s", cr_text_shown (cr_input_get_name (input)),
                      cr_text_shown (cr_input_get_label (input)), cr_text_shown (reason));
  else if (state == CR_INPUT_LIVE)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_INPUT", cr_input_get_name (input),
                      "MESSAGE", "Input %s (%s) live", cr_text_shown (cr_input_get_name (input)),
                      cr_text_shown (cr_input_get_label (input)));
  if (capture->input_func != NULL)
    capture->input_func (input, state, reason, capture->input_data);
}

/* --- life ------------------------------------------------------------------- */

static void
track_free (Track *track)
{
  gst_clear_object (&track->appsink);
  g_free (track);
}

CrCapture *
cr_capture_new (const CrConfig *config, GError **error)
{
  g_autoptr (CrCapture) capture = g_new0 (CrCapture, 1);
  g_autofree char *description = NULL;
  g_autoptr (GError) parse_error = NULL;
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  g_autoptr (GstBus) bus = NULL;
  guint tile_w, tile_h, n_tracks;

  g_return_val_if_fail (config != NULL, NULL);

  if (cr_capture_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (cr_capture_debug, "courtrec-capture", 0,
                             "courtrec capture pipeline");
  capture->config = config;
  capture->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) track_free);
  capture->track_names = g_ptr_array_new_with_free_func (g_free);
  capture->slates = g_ptr_array_new_with_free_func (gst_object_unref);
  capture->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_input_free);
  capture->levels = g_new (Level, config->microphones->len);
  g_mutex_init (&capture->levels_lock);
  capture->camera_of_microphone = g_new (int, config->microphones->len);
  for (guint i = 0; i < config->microphones->len; i++)
    {
      const CrInputConfig *microphone = g_ptr_array_index (config->microphones, i);
      capture->levels[i].rms_dbfs = -INFINITY;
      capture->levels[i].peak_dbfs = -INFINITY;
      /* The voice layout shows the camera a microphone names, the camera
       * whose sound it is, or the camera in the same position. */
      capture->camera_of_microphone[i] =
          microphone->camera ? cr_capture_camera_index (config, microphone->camera)
          : microphone->source.kind == CR_SOURCE_CAMERA
            ? cr_capture_camera_index (config, microphone->source.location)
          : i < config->cameras->len ? (int) i : -1;
    }
  capture->voice = cr_voice_switch_new (config->microphones->len, VOICE_HOLD_US,
                                        VOICE_MARGIN_DB, VOICE_FLOOR_DBFS);

  description = cr_capture_build_description (config, NULL);
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_INFO)
    {
      /* A trace, not cut at CR_TEXT_SHOWN_MAX: the whole description. */
      g_autofree char *shown = cr_text_escape (description, -1, G_MAXINT);
      GST_INFO ("capture pipeline: %s", shown);
    }
  capture->pipeline = gst_parse_launch_full (description, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (capture->pipeline == NULL)
    {
      g_set_error (error, CR_CAPTURE_ERROR, CR_CAPTURE_ERROR_BUILD,
                   "Could not build the capture pipeline: %s", parse_error->message);
      return NULL;
    }
  gst_object_ref_sink (capture->pipeline);
  gst_element_set_name (capture->pipeline, "capture");
  capture->caption = gst_bin_get_by_name (GST_BIN (capture->pipeline), "caption");
  capture->composer = gst_bin_get_by_name (GST_BIN (capture->pipeline), "composer");

  n_tracks = CR_TRACK_MIX + 1 + (cr_capture_each_microphone_tracked (config) ? config->microphones->len : 0);
  for (guint t = 0; t < n_tracks; t++)
    {
      g_autofree char *name = g_strdup_printf ("track%u", t);
      Track *track = g_new0 (Track, 1);

      track->capture = capture;
      track->track = t;
      track->appsink = gst_bin_get_by_name (GST_BIN (capture->pipeline), name);
      gst_app_sink_set_callbacks (GST_APP_SINK (track->appsink), &callbacks, track, NULL);
      g_ptr_array_add (capture->tracks, track);
      /* Names in the files stay within the characters matroskamux 1.22
       * does not escape (see segment-writer.c): the microphones' NAMEs. */
      g_ptr_array_add (capture->track_names,
                       t == CR_TRACK_VIDEO ? g_strdup ("video")
                       : t == CR_TRACK_MIX ? g_strdup ("mix")
                       : g_strdup (((CrInputConfig *) g_ptr_array_index (
                             config->microphones, t - CR_TRACK_MIX - 1))->name));
    }
  capture->video_record = gst_object_ref (((Track *) capture->tracks->pdata[0])->appsink);
  capture->previews = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_preview_free);
  for (guint i = 0; i <= config->cameras->len; i++)
    {
      g_autofree char *sink_name = i == 0 ? g_strdup ("preview_composed")
                                          : g_strdup_printf ("preview_camera%u", i - 1);
      g_autofree char *valve_name = g_strconcat (sink_name, "_valve", NULL);
      g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (capture->pipeline),
                                                         sink_name);
      g_autoptr (GstElement) valve = gst_bin_get_by_name (GST_BIN (capture->pipeline),
                                                          valve_name);
      const CrInputConfig *camera = i == 0 ? NULL : g_ptr_array_index (config->cameras, i - 1);
      g_ptr_array_add (capture->previews,
                       cr_preview_new (camera != NULL ? camera->name : "composed", sink,
                                       valve));
    }
  capture->raw_video = gst_bin_get_by_name (GST_BIN (capture->pipeline), "raw_video");
  if (capture->raw_video != NULL)
    {
      GstAppSinkCallbacks raw_callbacks = { .new_sample = on_raw_video };
      gst_app_sink_set_callbacks (GST_APP_SINK (capture->raw_video), &raw_callbacks, capture,
                                  NULL);
    }

  /* Sound keeps its capture time (input.c, forward_sound) through the
   * mixer and the encoders, which keep their input's timestamps. A
   * picture does not: the composer's inter source, at each tick, takes
   * the camera's latest frame and then waits for its next tick to send
   * it, stamped with that tick. So a frame waits from its capture to the
   * next grab (0 to 1 frame period, half on average: a camera's ticks
   * and the composer's are not in phase), then one period more: it is
   * 1.5 frame periods late on average, at any frame rate. The sound is
   * moved by as much. (Measured with test:sync sources at 15, 25, 30
   * and 50 fps: tests/test-inputs.c tracks-in-sync.) */
  {
    GstClockTimeDiff picture_lag = (GstClockTimeDiff) gst_util_uint64_scale (
        3, GST_SECOND, 2 * (guint64) config->framerate);
    for (guint i = 0; i < config->microphones->len; i++)
      {
        g_autofree char *name = g_strdup_printf ("microphone%u_feed", i);
        g_autoptr (GstElement) feed = gst_bin_get_by_name (GST_BIN (capture->pipeline), name);
        g_autoptr (GstPad) pad = gst_element_get_static_pad (feed, "src");
        gst_pad_set_offset (pad, picture_lag);
      }
  }

  cr_capture_grid_tile (config, &tile_w, &tile_h);
  {
    g_autoptr (GstClock) clock = gst_system_clock_obtain ();
    gst_pipeline_use_clock (GST_PIPELINE (capture->pipeline), clock);
  }
  for (guint i = 0; i < config->cameras->len; i++)
    {
      const CrInputConfig *camera = g_ptr_array_index (config->cameras, i);
      g_autofree char *slate_name = g_strdup_printf ("camera%u_slate", i);
      g_autofree char *channel = cr_capture_channel_name (config, "camera", i);
      g_autoptr (GstElement) sound = NULL;

      /* The microphone that is this camera's sound, if any. */
      for (guint m = 0; m < config->microphones->len; m++)
        {
          const CrInputConfig *microphone = g_ptr_array_index (config->microphones, m);
          g_autofree char *feed = g_strdup_printf ("microphone%u_feed", m);
          if (microphone->source.kind == CR_SOURCE_CAMERA && sound == NULL &&
              g_strcmp0 (microphone->source.location, camera->name) == 0)
            sound = gst_bin_get_by_name (GST_BIN (capture->pipeline), feed);
        }
      g_ptr_array_add (capture->slates,
                       gst_bin_get_by_name (GST_BIN (capture->pipeline), slate_name));
      g_ptr_array_add (capture->inputs,
                       cr_input_new (camera, CR_INPUT_CAMERA, i, channel, sound,
                                     capture->pipeline, tile_w, tile_h, config->framerate,
                                     on_input_state, capture));
    }
  for (guint i = 0; i < config->microphones->len; i++)
    {
      const CrInputConfig *microphone = g_ptr_array_index (config->microphones, i);
      g_autofree char *feed = g_strdup_printf ("microphone%u_feed", i);
      g_autoptr (GstElement) sound = NULL;

      /* The sound of a camera's stream lives and dies with that camera. */
      if (microphone->source.kind == CR_SOURCE_CAMERA)
        continue;
      sound = gst_bin_get_by_name (GST_BIN (capture->pipeline), feed);
      g_ptr_array_add (capture->inputs,
                       cr_input_new (microphone, CR_INPUT_MICROPHONE, i, NULL, sound,
                                     capture->pipeline, 0, 0, 0, on_input_state, capture));
    }

  capture->header = g_strdup_printf ("%s  %s", config->court, config->room_name);
  cr_layout_kind_from_string (config->layout, &capture->layout);
  g_atomic_int_set (&capture->follows_voice, capture->layout == CR_LAYOUT_VOICE);
  if (capture->layout == CR_LAYOUT_EVIDENCE)
    {
      g_autoptr (GError) layout_error = NULL;
      if (!cr_capture_set_layout (capture, CR_LAYOUT_EVIDENCE, &layout_error))
        {
          g_set_error (error, CR_CAPTURE_ERROR, CR_CAPTURE_ERROR_LAYOUT,
                       "%s: [video] layout = evidence: %s", config->path,
                       layout_error->message);
          return NULL;
        }
    }
  apply_layout (capture);

  bus = gst_element_get_bus (capture->pipeline);
  gst_bus_set_sync_handler (bus, on_bus_sync, capture, NULL);
  capture->bus_watch = gst_bus_add_watch (bus, on_bus_message, capture);
  return g_steal_pointer (&capture);
}

void
cr_capture_free (CrCapture *capture)
{
  if (capture == NULL)
    return;
  if (capture->bus_watch != 0)
    g_source_remove (capture->bus_watch);
  if (capture->pipeline != NULL)
    {
      g_autoptr (GstBus) bus = gst_element_get_bus (capture->pipeline);
      gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
    }
  /* Inputs first: nothing may feed a channel of a pipeline going away. */
  g_clear_pointer (&capture->inputs, g_ptr_array_unref);
  if (capture->pipeline != NULL)
    gst_element_set_state (capture->pipeline, GST_STATE_NULL);
  g_clear_pointer (&capture->tracks, g_ptr_array_unref);
  g_clear_pointer (&capture->previews, g_ptr_array_unref);
  g_clear_pointer (&capture->track_names, g_ptr_array_unref);
  g_clear_pointer (&capture->slates, g_ptr_array_unref);
  gst_clear_object (&capture->video_record);
  gst_clear_object (&capture->raw_video);
  gst_clear_object (&capture->caption);
  gst_clear_object (&capture->composer);
  gst_clear_object (&capture->pipeline);
  g_clear_pointer (&capture->voice, cr_voice_switch_free);
  g_free (capture->levels);
  g_mutex_clear (&capture->levels_lock);
  g_free (capture->camera_of_microphone);
  g_free (capture->header);
  g_free (capture);
}

void
cr_capture_set_raw_video_func (CrCapture *capture, CrCaptureRawFunc func, gpointer user_data)
{
  capture->raw_func = func;
  capture->raw_data = user_data;
}

void
cr_capture_set_sample_func (CrCapture *capture, CrCaptureSampleFunc func,
                            gpointer user_data)
{
  capture->sample_func = func;
  capture->sample_data = user_data;
}

void
cr_capture_set_error_func (CrCapture *capture, CrCaptureErrorFunc func,
                           gpointer user_data)
{
  capture->error_func = func;
  capture->error_data = user_data;
}

void
cr_capture_set_input_func (CrCapture *capture, CrCaptureInputFunc func,
                           gpointer user_data)
{
  capture->input_func = func;
  capture->input_data = user_data;
}

/* Every microphone's branch gets a moment of silence before anything else,
 * so that every track has its caps at once, even one whose input never
 * delivers (dead since start-up). (Its sink could not hold the live
 * pipeline back in any case: every sink here is async=false, so a starving
 * branch never keeps the others from PLAYING.) 100 ms: more than an Opus
 * frame. */
static void
prime_microphones (CrCapture *capture)
{
  for (guint i = 0; i < capture->config->microphones->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("microphone%u_feed", i);
      g_autoptr (GstElement) feed = gst_bin_get_by_name (GST_BIN (capture->pipeline), name);
      GstBuffer *silence;

      if (feed == NULL || !GST_IS_APP_SRC (feed))
        continue;
      silence = gst_buffer_new_allocate (NULL, 4800 * 2, NULL);  /* S16 mono */
      gst_buffer_memset (silence, 0, 0, 4800 * 2);
      GST_BUFFER_PTS (silence) = 0;
      GST_BUFFER_DURATION (silence) = 100 * GST_MSECOND;
      gst_app_src_push_buffer (GST_APP_SRC (feed), silence);
    }
}

gboolean
cr_capture_play (CrCapture *capture, GError **error)
{
  prime_microphones (capture);
  if (gst_element_set_state (capture->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, CR_CAPTURE_ERROR, CR_CAPTURE_ERROR_STATE,
                   "The capture pipeline would not start (see the log)");
      return FALSE;
    }
  /* Each input on its own: one that cannot open is retried and shown as
   * lost, and never keeps the others or the recording from starting. */
  for (guint i = 0; i < capture->inputs->len; i++)
    cr_input_start (g_ptr_array_index (capture->inputs, i));
  return TRUE;
}

void
cr_capture_stop (CrCapture *capture)
{
  g_ptr_array_set_size (capture->inputs, 0);
  gst_element_set_state (capture->pipeline, GST_STATE_NULL);
}

void
cr_capture_request_keyframe (CrCapture *capture)
{
  GstEvent *event = gst_video_event_new_upstream_force_key_unit (
      GST_CLOCK_TIME_NONE, TRUE, 0);
  gst_element_send_event (capture->video_record, event);
}

void
cr_capture_set_caption (CrCapture *capture, const char *caption)
{
  g_autofree char *text = g_strdup_printf ("%s\n%s", capture->header, caption);
  g_object_set (capture->caption, "text", text, NULL);
}

gboolean
cr_capture_set_layout (CrCapture *capture, CrLayoutKind kind, GError **error)
{
  if (kind == CR_LAYOUT_EVIDENCE)
    {
      gint evidence = -1;
      for (guint i = 0; i < capture->config->cameras->len && evidence < 0; i++)
        if (g_strcmp0 (((CrInputConfig *) g_ptr_array_index (capture->config->cameras, i))->role,
                       "evidence") == 0)
          evidence = i;
      if (evidence < 0)
        {
          g_set_error (error, CR_CAPTURE_ERROR, CR_CAPTURE_ERROR_LAYOUT,
                       "no camera has role = evidence in %s", capture->config->path);
          return FALSE;
        }
      capture->main_camera = evidence;
    }
  else if (capture->layout == CR_LAYOUT_EVIDENCE)
    capture->main_camera = 0;
  capture->layout = kind;
  g_atomic_int_set (&capture->follows_voice, kind == CR_LAYOUT_VOICE);
  apply_layout (capture);
  return TRUE;
}

CrLayoutKind
cr_capture_get_layout (CrCapture *capture)
{
  return capture->layout;
}

guint
cr_capture_get_n_tracks (CrCapture *capture)
{
  return capture->tracks->len;
}

const char *
cr_capture_get_track_name (CrCapture *capture, guint track)
{
  g_return_val_if_fail (track < capture->track_names->len, NULL);
  return g_ptr_array_index (capture->track_names, track);
}

guint
cr_capture_get_n_inputs (CrCapture *capture)
{
  return capture->inputs->len;
}

CrInput *
cr_capture_get_input (CrCapture *capture, guint index)
{
  g_return_val_if_fail (index < capture->inputs->len, NULL);
  return g_ptr_array_index (capture->inputs, index);
}

void
cr_capture_get_level (CrCapture *capture, guint index, double *rms_dbfs,
                      double *peak_dbfs)
{
  g_return_if_fail (index < capture->config->microphones->len);
  g_mutex_lock (&capture->levels_lock);
  *rms_dbfs = capture->levels[index].rms_dbfs;
  *peak_dbfs = capture->levels[index].peak_dbfs;
  g_mutex_unlock (&capture->levels_lock);
}

GBytes *
cr_capture_get_preview (CrCapture *capture, const char *name, gint64 *captured_us,
                        gboolean *known)
{
  g_return_val_if_fail (capture != NULL && name != NULL, NULL);

  for (guint i = 0; capture->previews != NULL && i < capture->previews->len; i++)
    {
      CrPreview *preview = g_ptr_array_index (capture->previews, i);
      if (g_str_equal (cr_preview_get_name (preview), name))
        {
          if (known != NULL)
            *known = TRUE;
          return cr_preview_get_jpeg (preview, captured_us);
        }
    }
  if (known != NULL)
    *known = FALSE;
  return NULL;
}
