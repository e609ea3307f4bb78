/* capture.c: see capture.h.
 *
 * The pipeline is written as a gst-launch description so that the benchmark
 * can run exactly the same elements and settings through gst-launch-1.0;
 * the only difference is where encoded samples go (appsink here, fakesink
 * there). */
#include "pipelines/capture.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <math.h>

GST_DEBUG_CATEGORY_STATIC (cr_capture_debug);
#define GST_CAT_DEFAULT cr_capture_debug

G_DEFINE_QUARK (cr-capture-error-quark, cr_capture_error)

struct CrCapture {
  GstElement *pipeline;
  GstElement *video_record;     /* appsink of encoded video */
  GstElement *audio_record;     /* appsink of encoded audio */
  GstElement *caption;          /* textoverlay: court, room, case */
  guint bus_watch;

  CrCaptureSampleFunc sample_func;
  gpointer sample_data;
  CrCaptureErrorFunc error_func;
  gpointer error_data;

  char *header;                 /* "court  room" line of the caption */
};

/* Test sources differ per input so an operator tells them apart. */
static const char *const ball_colours[] = {
  "0xffffffff", "0xffffd700", "0xff7fffd4", "0xffff7f50", "0xffadff2f",
  "0xff87cefa", "0xffff69b4", "0xffffa500", "0xffdda0dd",
};

static char *
quote (const char *text)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

/* An RTSP stream or a media file, decoded to the raw @caps of its input. */
static void
append_decoded_uri (GString *desc, const CrSource *source, const char *role,
                    guint index, const char *caps)
{
  g_autofree char *uri_raw = source->kind == CR_SOURCE_FILE
                             ? g_filename_to_uri (source->location, NULL, NULL)
                             : g_strdup (source->location);
  g_autofree char *uri = quote (uri_raw);

  g_string_append_printf (desc, "uridecodebin name=%s%u_source uri=%s caps=%s ",
                          role, index, uri, caps);
}

/* The elements that turn one camera's source into raw video of the tile's
 * size. */
static void
append_camera (GString *desc, const CrConfig *config, const CrInputConfig *camera,
               guint index, guint tile_w, guint tile_h, guint font_px)
{
  g_autofree char *label = quote (camera->label);
  const CrSource *source = &camera->source;

  switch (source->kind)
    {
    case CR_SOURCE_TEST:
      g_string_append_printf (desc,
          "videotestsrc name=camera%u_source is-live=true pattern=ball "
          "foreground-color=%s background-color=0xff202830 ",
          index, ball_colours[index % G_N_ELEMENTS (ball_colours)]);
      break;
    case CR_SOURCE_V4L2:
      {
        g_autofree char *device = quote (source->location);
        g_string_append_printf (desc,
            "v4l2src name=camera%u_source device=%s ! decodebin ", index, device);
        break;
      }
    case CR_SOURCE_RTSP:
    case CR_SOURCE_FILE:
      append_decoded_uri (desc, source, "camera", index, "video/x-raw");
      break;
    case CR_SOURCE_ALSA:
    case CR_SOURCE_PULSE:
      g_assert_not_reached (); /* config refuses audio sources for cameras */
    }

  g_string_append_printf (desc,
      "! videoconvert ! videoscale ! videorate "
      "! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1,pixel-aspect-ratio=1/1 "
      "! textoverlay name=camera%u_label text=%s valignment=bottom halignment=left "
      "shaded-background=true auto-resize=false font-desc=\"Noto Sans CJK SC %upx\" "
      "! queue max-size-buffers=5 ! composer.sink_%u ",
      tile_w, tile_h, config->framerate, index, label, font_px, index);
}

static void
append_microphone (GString *desc, const CrInputConfig *microphone, guint index)
{
  const CrSource *source = &microphone->source;

  switch (source->kind)
    {
    case CR_SOURCE_TEST:
      /* A distinct tone per microphone: 440 Hz, 550 Hz, ... */
      g_string_append_printf (desc,
          "audiotestsrc name=microphone%u_source is-live=true wave=sine freq=%u "
          "volume=0.2 samplesperbuffer=960 ", index, 440 + 110 * index);
      break;
    case CR_SOURCE_ALSA:
    case CR_SOURCE_PULSE:
      {
        g_autofree char *device = quote (source->location);
        g_string_append_printf (desc, "%s name=microphone%u_source device=%s ",
                                source->kind == CR_SOURCE_ALSA ? "alsasrc" : "pulsesrc",
                                index, device);
        break;
      }
    case CR_SOURCE_RTSP:
    case CR_SOURCE_FILE:
      append_decoded_uri (desc, source, "microphone", index, "audio/x-raw");
      break;
    case CR_SOURCE_V4L2:
      g_assert_not_reached (); /* config refuses video sources for microphones */
    }

  g_string_append_printf (desc,
      "! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 "
      "! queue max-size-time=200000000 ! mixer. ");
}

/* @reference_file: NULL for courtrecd's own pipeline (encoded samples go to
 * appsinks), or the file the benchmark's reference pipeline muxes into. */
static char *
build_description (const CrConfig *config, const char *reference_file)
{
  GString *desc = g_string_new (NULL);
  guint cameras = config->cameras->len;
  guint columns = (guint) ceil (sqrt (cameras));
  guint rows = (cameras + columns - 1) / columns;
  /* Even sizes: I420 needs them. */
  guint tile_w = (config->width / columns) & ~1u;
  guint tile_h = (config->height / rows) & ~1u;
  guint caption_px = MAX (10, config->height / 30);
  guint label_px = MAX (10, tile_h / 16);
  g_autofree char *caption = NULL;
  g_autofree char *header = g_strdup_printf ("%s  %s\n待机 standby", config->court,
                                             config->room_name);
  g_autofree char *location = reference_file ? quote (reference_file) : NULL;

  caption = quote (header);

  /* The composer: tiles in a grid, then court/room/case and the clock,
   * burned in (SPC 2017 rules, Art. 4), then one H.264 encode. */
  g_string_append (desc, "compositor name=composer background=black ");
  for (guint i = 0; i < cameras; i++)
    g_string_append_printf (desc, "sink_%u::xpos=%u sink_%u::ypos=%u ", i,
                            (i % columns) * tile_w, i, (i / columns) * tile_h);
  g_string_append_printf (desc,
      "! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 "
      "! textoverlay name=caption text=%s valignment=top halignment=left line-alignment=left "
      "shaded-background=true auto-resize=false font-desc=\"Noto Sans CJK SC %upx\" "
      "! clockoverlay name=clock time-format=\"%%Y-%%m-%%d %%H:%%M:%%S\" "
      "valignment=bottom halignment=right shaded-background=true "
      "font-desc=\"Noto Sans Mono CJK SC %upx\" "
      "! x264enc name=video_encoder tune=zerolatency speed-preset=veryfast "
      "bitrate=%u key-int-max=%u "
      "! h264parse ! video/x-h264,stream-format=avc,alignment=au "
      "! tee name=video_tee "
      "video_tee. ! queue name=video_record_queue max-size-buffers=0 "
      "max-size-bytes=0 max-size-time=10000000000 ! ",
      config->width, config->height, config->framerate, caption, caption_px,
      caption_px, config->video_bitrate_kbps, config->framerate);
  if (reference_file == NULL)
    g_string_append (desc, "appsink name=video_record sync=false emit-signals=false ");
  else
    g_string_append_printf (desc, "reference_mux.video_0 matroskamux name=reference_mux "
                            "! filesink location=%s ", location);

  for (guint i = 0; i < cameras; i++)
    append_camera (desc, config, g_ptr_array_index (config->cameras, i), i,
                   tile_w, tile_h, label_px);

  g_string_append_printf (desc,
      "audiomixer name=mixer ! audio/x-raw,rate=48000,channels=2 ! audioconvert "
      "! avenc_aac name=audio_encoder bitrate=%u ! aacparse ! tee name=audio_tee "
      "audio_tee. ! queue name=audio_record_queue max-size-buffers=0 "
      "max-size-bytes=0 max-size-time=10000000000 ! ",
      config->audio_bitrate_kbps * 1000);
  if (reference_file == NULL)
    g_string_append (desc, "appsink name=audio_record sync=false emit-signals=false ");
  else
    g_string_append (desc, "reference_mux.audio_0 ");

  for (guint i = 0; i < config->microphones->len; i++)
    append_microphone (desc, g_ptr_array_index (config->microphones, i), i);

  return g_string_free (desc, FALSE);
}

char *
cr_capture_describe (const CrConfig *config, const char *reference_file)
{
  return build_description (config, reference_file);
}

static GstFlowReturn
on_new_sample (GstAppSink *appsink, gpointer user_data)
{
  CrCapture *capture = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  CrMediaKind kind = GST_ELEMENT (appsink) == capture->video_record
                     ? CR_MEDIA_VIDEO : CR_MEDIA_AUDIO;
  GstBuffer *buffer;
  const GstSegment *segment;
  GstClockTime running_time;
  gint64 utc_us = g_get_real_time ();
  g_autoptr (GstClock) clock = NULL;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_sample_get_buffer (sample);
  segment = gst_sample_get_segment (sample);
  running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
                                              GST_BUFFER_PTS (buffer));

  /* Map running time to wall-clock time: the sample was captured
   * (now - running_time) ago. */
  clock = gst_element_get_clock (capture->pipeline);
  if (clock != NULL && GST_CLOCK_TIME_IS_VALID (running_time))
    {
      GstClockTime now = gst_clock_get_time (clock) -
                         gst_element_get_base_time (capture->pipeline);
      utc_us -= GST_CLOCK_DIFF (running_time, now) / GST_USECOND;
    }

  if (capture->sample_func != NULL)
    capture->sample_func (sample, kind, running_time, utc_us, capture->sample_data);
  return GST_FLOW_OK;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  CrCapture *capture = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *debug = NULL;
        gst_message_parse_error (message, &error, &debug);
        g_warning ("Capture: %s: %s", GST_OBJECT_NAME (message->src), error->message);
        GST_WARNING ("%s", debug ? debug : "");
        if (capture->error_func != NULL)
          capture->error_func (error, debug, capture->error_data);
        break;
      }
    case GST_MESSAGE_WARNING:
      {
        g_autoptr (GError) error = NULL;
        gst_message_parse_warning (message, &error, NULL);
        g_message ("Capture: %s: %s", GST_OBJECT_NAME (message->src), error->message);
        break;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

CrCapture *
cr_capture_new (const CrConfig *config, GError **error)
{
  g_autoptr (CrCapture) capture = g_new0 (CrCapture, 1);
  g_autofree char *description = NULL;
  g_autoptr (GError) parse_error = NULL;
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  g_autoptr (GstBus) bus = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  if (cr_capture_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (cr_capture_debug, "courtrec-capture", 0,
                             "courtrec capture pipeline");

  description = build_description (config, NULL);
  GST_INFO ("capture pipeline: %s", description);
  capture->pipeline = gst_parse_launch_full (description, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS,
                                             &parse_error);
  if (capture->pipeline == NULL)
    {
      g_set_error (error, CR_CAPTURE_ERROR, CR_CAPTURE_ERROR_BUILD,
                   "Could not build the capture pipeline: %s", parse_error->message);
      return NULL;
    }
  gst_object_ref_sink (capture->pipeline);
  gst_element_set_name (capture->pipeline, "capture");

  capture->video_record = gst_bin_get_by_name (GST_BIN (capture->pipeline), "video_record");
  capture->audio_record = gst_bin_get_by_name (GST_BIN (capture->pipeline), "audio_record");
  capture->caption = gst_bin_get_by_name (GST_BIN (capture->pipeline), "caption");
  gst_app_sink_set_callbacks (GST_APP_SINK (capture->video_record), &callbacks, capture, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (capture->audio_record), &callbacks, capture, NULL);

  capture->header = g_strdup_printf ("%s  %s", config->court, config->room_name);

  bus = gst_element_get_bus (capture->pipeline);
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
    gst_element_set_state (capture->pipeline, GST_STATE_NULL);
  g_clear_object (&capture->video_record);
  g_clear_object (&capture->audio_record);
  g_clear_object (&capture->caption);
  g_clear_object (&capture->pipeline);
  g_free (capture->header);
  g_free (capture);
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

gboolean
cr_capture_play (CrCapture *capture, GError **error)
{
  if (gst_element_set_state (capture->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, CR_CAPTURE_ERROR, CR_CAPTURE_ERROR_STATE,
                   "The capture pipeline would not start (a camera or microphone "
                   "could not be opened; see the log)");
      return FALSE;
    }
  return TRUE;
}

void
cr_capture_stop (CrCapture *capture)
{
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
