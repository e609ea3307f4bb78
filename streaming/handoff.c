/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* handoff.c: the bounded hand-off into a live output's pipeline (see
 * handoff.h). */
#include "streaming/handoff.h"

#include "config/text.h"
GST_DEBUG_CATEGORY_STATIC (handoff_debug);
#define GST_CAT_DEFAULT handoff_debug

void
cr_handoff_init (CrHandoff *handoff, const char *name, guint64 video_max_bytes,
                 guint64 audio_max_bytes, GstClockTime max_time)
{
  static gsize debug_ready = 0;

  if (g_once_init_enter (&debug_ready))
    {
      GST_DEBUG_CATEGORY_INIT (handoff_debug, "courtrec-handoff", 0,
                               "courtrec live outputs' hand-off");
      g_once_init_leave (&debug_ready, 1);
    }
  *handoff = (CrHandoff) {
    .video_max_bytes = video_max_bytes,
    .audio_max_bytes = audio_max_bytes,
    .max_time = max_time,
    .want_video = TRUE,
    .name = name,
    .need_keyframe = TRUE,
    .zero = GST_CLOCK_TIME_NONE,
  };
}

void
cr_handoff_attach (CrHandoff *handoff, GstAppSrc *video, GstAppSrc *audio)
{
  g_set_object (&handoff->video, video);
  g_set_object (&handoff->audio, audio);
  handoff->need_keyframe = TRUE;
  handoff->video_started = FALSE;
  handoff->zero = GST_CLOCK_TIME_NONE;
}

void
cr_handoff_detach (CrHandoff *handoff)
{
  cr_handoff_attach (handoff, NULL, NULL);
}

void
cr_handoff_clear (CrHandoff *handoff)
{
  cr_handoff_detach (handoff);
}

static GstClockTime
shift (GstClockTime t, GstClockTime zero)
{
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return t;
  return t > zero ? t - zero : 0;
}

/* Only running times of two tracks compare. */
static GstClockTime
running_time (const GstSegment *segment, GstClockTime t)
{
  guint64 running = 0;
  if (!GST_CLOCK_TIME_IS_VALID (t) || segment == NULL || segment->format != GST_FORMAT_TIME)
    return t;
  if (gst_segment_to_running_time_full (segment, GST_FORMAT_TIME, t, &running) <= 0)
    return 0;
  return running;
}

static gboolean
has_room (GstAppSrc *src, GstBuffer *buffer, guint64 max_bytes, GstClockTime max_time)
{
  return gst_app_src_get_current_level_bytes (src) + gst_buffer_get_size (buffer) <= max_bytes &&
         gst_app_src_get_current_level_time (src) <= max_time;
}

/* Whether @buffer may go in now, moving the keyframe gate and the zero. */
static gboolean
admit (CrHandoff *handoff, GstAppSrc *src, GstBuffer *buffer, gboolean video,
       GstClockTime when)
{
  if (video)
    {
      gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);

      if (handoff->need_keyframe && !keyframe)
        return FALSE;
      if (!has_room (src, buffer, handoff->video_max_bytes, handoff->max_time))
        {
          if (!handoff->need_keyframe)
            GST_DEBUG ("%s: video queue full, dropping to the next keyframe",
                       cr_text_shown (handoff->name));
          handoff->need_keyframe = TRUE;
          return FALSE;
        }
      if (handoff->need_keyframe)
        {
          handoff->need_keyframe = FALSE;
          if (!GST_CLOCK_TIME_IS_VALID (handoff->zero))
            handoff->zero = when;
          handoff->video_started = TRUE;
        }
      return TRUE;
    }
  if (!GST_CLOCK_TIME_IS_VALID (handoff->zero))
    {
      if (handoff->want_video)
        return FALSE;
      handoff->zero = when;
    }
  return when >= handoff->zero &&
         has_room (src, buffer, handoff->audio_max_bytes, 2 * handoff->max_time);
}

gboolean
cr_handoff_push (CrHandoff *handoff, GstSample *sample, gboolean video)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstAppSrc *src = video ? handoff->video : handoff->audio;
  const GstSegment *segment = gst_sample_get_segment (sample);
  GstClockTime pts, dts, when;
  gboolean queued = FALSE;

  if (buffer != NULL && src != NULL)
    {
      pts = running_time (segment, GST_BUFFER_PTS (buffer));
      dts = running_time (segment, GST_BUFFER_DTS (buffer));
      when = GST_CLOCK_TIME_IS_VALID (dts) ? dts : pts;
      if (GST_CLOCK_TIME_IS_VALID (when) && admit (handoff, src, buffer, video, when))
        {
          g_autoptr (GstBuffer) shifted = gst_buffer_copy (buffer); /* shares memory */
          g_autoptr (GstSample) out_sample = NULL;

          GST_BUFFER_PTS (shifted) = shift (pts, handoff->zero);
          GST_BUFFER_DTS (shifted) = shift (dts, handoff->zero);
          out_sample = gst_sample_new (shifted, gst_sample_get_caps (sample), NULL, NULL);
          /* block=FALSE: returns at once; admit() keeps it bounded. */
          queued = gst_app_src_push_sample (src, out_sample) == GST_FLOW_OK;
        }
    }
  if (!queued)
    {
      if (video)
        handoff->dropped_video++;
      else
        handoff->dropped_audio++;
    }
  return queued;
}

GstElement *
cr_handoff_add_element (GstBin *bin, const char *factory, const char *name)
{
  GstElement *element = gst_element_factory_make (factory, name);
  if (element != NULL)
    gst_bin_add (bin, element);
  return element;
}

GstAppSrc *
cr_handoff_make_src (GstBin *bin, const char *name, guint64 max_bytes)
{
  GstElement *src = cr_handoff_add_element (bin, "appsrc", name);
  g_object_set (src, "format", GST_FORMAT_TIME, "is-live", FALSE,
                "block", FALSE, "max-bytes", max_bytes,
                /* A backstop only: admit() drops whole GOPs before this. */
                "leaky-type", GST_APP_LEAKY_TYPE_UPSTREAM,
                "stream-type", GST_APP_STREAM_TYPE_STREAM, NULL);
  return GST_APP_SRC (gst_object_ref (src));
}

char *
cr_handoff_bus_failure (GstMessage *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      /* The element's debug text is left out: an SRT sink's can hold its
       * URI, with the stream id and passphrase. */
      gst_message_parse_error (message, &error, &debug);
      GST_DEBUG ("error from %s", cr_text_shown (GST_MESSAGE_SRC_NAME (message)));
      return g_strdup_printf ("%s: %s", GST_MESSAGE_SRC_NAME (message), error->message);
    case GST_MESSAGE_EOS:
      return g_strdup ("the stream ended (EOS)");
    default:
      return NULL;
    }
}
