/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-encode.c: the one re-encode of a derived copy, in GStreamer:
 *
 *   joined.mkv -> matroskademux -> h264 decode -> [redact] -> textoverlay
 *              -> x264enc ------------------------------------> matroskamux
 *              -> each audio stream: decode -> [redact] -> AAC -^
 *
 * [redact] is a pad probe on the raw frames: it drops what is cut (and
 * what lies outside the window) and moves what follows back by as much, so
 * the encoders see one continuous stream; it pixelates the blur
 * rectangles during their spans, silences the muted spans, and moves the
 * watermark. The probes only touch the buffers passing and the overlay's
 * position; the progress is handed to the main loop through an atomic. */
#include "render/copy-render-private.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (cr_copy_encode_debug);
#define GST_CAT_DEFAULT cr_copy_encode_debug

typedef struct {
  const CrEditPlan *plan;
  GstElement *watermark;     /* textoverlay, or NULL */
  GstVideoInfo video_info;
  gboolean have_info;
  gpointer copy_end_us;      /* atomic: the latest frame's copy time (a gintptr) */
} VideoProbe;

typedef struct {
  const CrEditPlan *plan;
  guint track;
  GstAudioInfo audio_info;
  gboolean have_info;
} AudioProbe;

const char *
cr_copy_render_speed_preset (gint width, gint height, double fps)
{
  double pixels_per_second = (double) width * height * (fps > 0 ? fps : 25);

  /* The target is 5x real time on two cores while the room records
   * (BENCHMARKS.md, "Rendering a derived copy"): at 720p25 superfast takes
   * 14 CPU s per minute of a reference courtroom, ultrafast about two
   * thirds of it, and the recording's own encoder wants a third of a core
   * besides. Smaller pictures afford the better presets. */
  if (pixels_per_second <= 640.0 * 360 * 30)
    return "veryfast";
  if (pixels_per_second <= 1024.0 * 576 * 30)
    return "superfast";
  return "ultrafast";
}

/* --- video ------------------------------------------------------------------ */

/* A coarse mosaic: each block of the rectangle becomes its average. */
static void
pixelate (GstVideoFrame *frame, const CrBlurSpan *blur)
{
  gint width = GST_VIDEO_FRAME_WIDTH (frame), height = GST_VIDEO_FRAME_HEIGHT (frame);
  gint x0 = CLAMP (blur->x, 0, width), y0 = CLAMP (blur->y, 0, height);
  gint x1 = CLAMP (blur->x + blur->width, 0, width);
  gint y1 = CLAMP (blur->y + blur->height, 0, height);
  /* Blocks a sixth of the rectangle's smaller side, 16 px at least: a face
   * or a document becomes a few patches of colour. */
  gint block = MAX (16, MIN (x1 - x0, y1 - y0) / 6) & ~1;

  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (frame); p++)
    {
      guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
      gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
      gint sx = p == 0 ? 0 : GST_VIDEO_FORMAT_INFO_W_SUB (frame->info.finfo, p);
      gint sy = p == 0 ? 0 : GST_VIDEO_FORMAT_INFO_H_SUB (frame->info.finfo, p);
      gint px0 = x0 >> sx, px1 = x1 >> sx, py0 = y0 >> sy, py1 = y1 >> sy;
      gint bw = MAX (block >> sx, 1), bh = MAX (block >> sy, 1);

      for (gint by = py0; by < py1; by += bh)
        for (gint bx = px0; bx < px1; bx += bw)
          {
            gint ex = MIN (bx + bw, px1), ey = MIN (by + bh, py1);
            guint64 sum = 0;
            guint8 mean;

            for (gint y = by; y < ey; y++)
              for (gint x = bx; x < ex; x++)
                sum += data[y * stride + x];
            mean = sum / ((guint64) (ex - bx) * (ey - by));
            for (gint y = by; y < ey; y++)
              memset (data + y * stride + bx, mean, ex - bx);
          }
    }
}

static gboolean
in_span (const CrSpan *span, gint64 at_us)
{
  return at_us >= span->from_us && at_us < span->to_us;
}

static GstPadProbeReturn
video_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  VideoProbe *probe = data;
  GstBuffer *buffer;
  gint64 at_us, copy_us;
  gboolean blurred = FALSE;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      GstCaps *caps;

      if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
        {
          gst_event_parse_caps (event, &caps);
          probe->have_info = gst_video_info_from_caps (&probe->video_info, caps);
        }
      return GST_PAD_PROBE_OK;
    }
  buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buffer))
    return GST_PAD_PROBE_DROP;
  at_us = GST_BUFFER_PTS (buffer) / GST_USECOND;
  if (cr_edit_plan_removed (probe->plan, at_us))
    return GST_PAD_PROBE_DROP;
  copy_us = cr_edit_plan_copy_time (probe->plan, at_us);

  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) = copy_us * GST_USECOND;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  for (guint i = 0; i < probe->plan->blurs->len && probe->have_info; i++)
    blurred |= in_span (&g_array_index (probe->plan->blurs, CrBlurSpan, i).span, at_us);
  if (blurred)
    {
      GstVideoFrame frame;

      if (gst_video_frame_map (&frame, &probe->video_info, buffer, GST_MAP_READWRITE))
        {
          for (guint i = 0; i < probe->plan->blurs->len; i++)
            {
              const CrBlurSpan *blur = &g_array_index (probe->plan->blurs, CrBlurSpan, i);

              if (in_span (&blur->span, at_us))
                pixelate (&frame, blur);
            }
          gst_video_frame_unmap (&frame);
        }
    }
  GST_PAD_PROBE_INFO_DATA (info) = buffer;

  if (probe->watermark != NULL)
    {
      /* A slow Lissajous path over the whole picture: never in one place
       * long enough to be covered up, or cropped out, for the whole copy. */
      double t = copy_us / 1e6;
      g_object_set (probe->watermark,
                    "xpos", 0.5 + 0.5 * sin (2 * G_PI * t / 41.0),
                    "ypos", 0.5 + 0.5 * sin (2 * G_PI * t / 29.0 + 1.0), NULL);
    }
  g_atomic_pointer_set (&probe->copy_end_us, (gpointer) (gintptr) copy_us);
  return GST_PAD_PROBE_OK;
}

/* --- audio ------------------------------------------------------------------ */

static GstPadProbeReturn
audio_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  AudioProbe *probe = data;
  GstBuffer *buffer;
  GArray *muted = probe->plan->muted[probe->track];
  gint64 at_us, end_us, mid_us;
  gsize frames;
  gint rate, bpf;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      GstCaps *caps;

      if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
        {
          gst_event_parse_caps (event, &caps);
          probe->have_info = gst_audio_info_from_caps (&probe->audio_info, caps);
        }
      return GST_PAD_PROBE_OK;
    }
  buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buffer) || !probe->have_info)
    return GST_PAD_PROBE_DROP;
  rate = GST_AUDIO_INFO_RATE (&probe->audio_info);
  bpf = GST_AUDIO_INFO_BPF (&probe->audio_info);
  frames = gst_buffer_get_size (buffer) / bpf;
  at_us = GST_BUFFER_PTS (buffer) / GST_USECOND;
  end_us = at_us + (gint64) frames * G_USEC_PER_SEC / rate;
  /* A buffer is a few tens of milliseconds: it goes with the side of a
   * cut its middle is on. */
  mid_us = (at_us + end_us) / 2;
  if (cr_edit_plan_removed (probe->plan, mid_us))
    return GST_PAD_PROBE_DROP;

  buffer = gst_buffer_make_writable (buffer);
  for (guint i = 0; i < muted->len; i++)
    {
      const CrSpan *span = &g_array_index (muted, CrSpan, i);
      gint64 from = MAX (span->from_us, at_us), to = MIN (span->to_us, end_us);
      GstMapInfo map;

      if (from >= to)
        continue;
      if (gst_buffer_map (buffer, &map, GST_MAP_READWRITE))
        {
          gsize first = (from - at_us) * rate / G_USEC_PER_SEC;
          gsize last = MIN ((gsize) ((to - at_us) * rate / G_USEC_PER_SEC + 1), frames);

          /* Signed integer and float samples: zero is silence. */
          if (last > first)
            memset (map.data + first * bpf, 0, (last - first) * bpf);
          gst_buffer_unmap (buffer, &map);
        }
    }
  GST_BUFFER_PTS (buffer) = cr_edit_plan_copy_time (probe->plan, at_us) * GST_USECOND;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

/* --- the pipeline ----------------------------------------------------------- */

static char *
quoted (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static guint
default_kbps (const CrJoinedRecording *joined)
{
  double fps = joined->fps_den > 0 ? (double) joined->fps_num / joined->fps_den : 25;

  /* 0.07 bit a pixel: a court picture (still people, a fixed camera) at
   * about the recording's own quality. */
  return CLAMP ((guint) (joined->width * joined->height * fps * 0.07 / 1000), 300, 20000);
}

static char *
describe_pipeline (const CrEncodeStep *step)
{
  const CrJoinedRecording *joined = step->joined;
  g_autofree char *input = quoted (step->input_path);
  g_autofree char *output = quoted (step->output_path);
  double fps = joined->fps_den > 0 ? (double) joined->fps_num / joined->fps_den : 25;
  guint kbps = step->job->video_kbps != 0 ? step->job->video_kbps : default_kbps (joined);
  GString *d = g_string_new (NULL);

  g_string_append_printf (d, "filesrc location=%s ! matroskademux name=demux "
                          "matroskamux name=mux writing-app=courtrec ! filesink location=%s ",
                          input, output);
  g_string_append (d, "demux.video_0 ! queue max-size-buffers=0 max-size-bytes=0 "
                      "max-size-time=2000000000 ! h264parse ! avdec_h264 ! videoconvert ! "
                      "capsfilter name=video_raw caps=video/x-raw,format=I420 ! ");
  if (step->job->watermark != NULL)
    /* A text line a twelfth of the picture high: `tesseract` reads it in
     * a 360p copy, and a person in any. Semi-opaque, on a shaded box, so
     * that it reads on any background and hides little. */
    g_string_append_printf (d, "textoverlay name=watermark auto-resize=false "
                            "font-desc=\"Noto Sans CJK SC Bold %dpx\" halignment=position "
                            "valignment=position line-alignment=left color=0xd0ffffff "
                            "outline-color=0xd0000000 shaded-background=true "
                            "shading-value=200 wait-text=false ! videoconvert ! ",
                            MAX (joined->height / 12, 14));
  /* The queue: the decode and the overlay in one thread, the encoder in
   * another (10 % faster on two cores). */
  g_string_append_printf (d, "queue max-size-buffers=8 max-size-bytes=0 max-size-time=0 ! "
                          "x264enc speed-preset=%s bitrate=%u key-int-max=%u bframes=0 "
                          "! video/x-h264,profile=high ! h264parse ! queue ! mux. ",
                          cr_copy_render_speed_preset (joined->width, joined->height, fps),
                          kbps, (guint) MAX (lround (2 * fps), 1));
  for (guint i = 0; i < joined->n_audio; i++)
    g_string_append_printf (d, "demux.audio_%u ! queue max-size-buffers=0 max-size-bytes=0 "
                            "max-size-time=2000000000 ! decodebin ! audioconvert ! "
                            "audioresample ! capsfilter name=audio_raw_%u "
                            "caps=audio/x-raw,format=S16LE,layout=interleaved ! voaacenc "
                            "bitrate=%u ! aacparse ! queue ! mux. ", i, i,
                            i == 0 ? 128000 : 64000);
  return g_string_free (d, FALSE);
}

typedef struct {
  GMainLoop *loop;
  GError *error;
  const CrEncodeStep *step;
  VideoProbe *video;
} Run;

static gboolean
on_bus (GstBus *bus, GstMessage *message, gpointer data)
{
  Run *run = data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (run->loop);
      break;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) cause = NULL;
        g_autofree char *debug = NULL;

        gst_message_parse_error (message, &cause, &debug);
        GST_WARNING ("%s (%s)", cause->message, debug != NULL ? debug : "");
        if (run->error == NULL)
          g_set_error (&run->error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                       "Could not render the copy: %s: %s",
                       GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), cause->message);
        g_main_loop_quit (run->loop);
      }
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer data)
{
  Run *run = data;
  const CrEncodeStep *step = run->step;
  gint64 done_us = (gint64) (gintptr) g_atomic_pointer_get (&run->video->copy_end_us);

  if (step->cancelled != NULL && g_atomic_int_get (step->cancelled))
    {
      g_set_error (&run->error, CR_RENDER_ERROR, CR_RENDER_ERROR_CANCELLED, "Cancelled");
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }
  if (step->progress != NULL && step->plan->duration_us > 0)
    step->progress (MIN (1.0, (double) done_us / step->plan->duration_us), step->user_data);
  return G_SOURCE_CONTINUE;
}

static void
add_probe (GstElement *pipeline, const char *name, GstPadProbeCallback callback,
           gpointer data)
{
  g_autoptr (GstElement) element = gst_bin_get_by_name (GST_BIN (pipeline), name);
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     callback, data, NULL);
}

gboolean
cr_copy_encode (const CrEncodeStep *step, GError **error)
{
  g_autofree char *description = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GSource) bus_source = NULL;
  g_autoptr (GSource) tick = NULL;
  g_autofree AudioProbe *audio = NULL;
  VideoProbe video = { 0 };
  Run run = { 0 };

  GST_DEBUG_CATEGORY_INIT (cr_copy_encode_debug, "courtrec-render", 0, "copy renderer");
  description = describe_pipeline (step);
  GST_INFO ("pipeline: %s", description);
  pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (pipeline == NULL)
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                   "Could not build the renderer: %s", local->message);
      return FALSE;
    }
  gst_object_ref_sink (pipeline);

  video.plan = step->plan;
  if (step->job->watermark != NULL)
    {
      video.watermark = gst_bin_get_by_name (GST_BIN (pipeline), "watermark");
      g_object_set (video.watermark, "text", step->job->watermark, NULL);
    }
  add_probe (pipeline, "video_raw", video_probe, &video);
  audio = g_new0 (AudioProbe, MAX (step->joined->n_audio, 1));
  for (guint i = 0; i < step->joined->n_audio; i++)
    {
      g_autofree char *name = g_strdup_printf ("audio_raw_%u", i);

      audio[i].plan = step->plan;
      audio[i].track = i;
      add_probe (pipeline, name, audio_probe, &audio[i]);
    }

  g_main_context_push_thread_default (context);
  loop = g_main_loop_new (context, FALSE);
  run.loop = loop;
  run.step = step;
  run.video = &video;
  bus = gst_element_get_bus (pipeline);
  bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (bus_source, (GSourceFunc) (void (*) (void)) on_bus, &run, NULL);
  g_source_attach (bus_source, context);
  tick = g_timeout_source_new (250);
  g_source_set_callback (tick, on_tick, &run, NULL);
  g_source_attach (tick, context);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE &&
      run.error == NULL)
    g_set_error (&run.error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                 "Could not start the renderer on '%s'", step->input_path);
  else
    g_main_loop_run (loop);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_source_destroy (bus_source);
  g_source_destroy (tick);
  g_main_context_pop_thread_default (context);
  g_clear_object (&video.watermark);

  if (run.error != NULL)
    {
      g_propagate_error (error, run.error);
      return FALSE;
    }
  if (step->progress != NULL)
    step->progress (1.0, step->user_data);
  return TRUE;
}
