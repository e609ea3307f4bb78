/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* profile-encoder.c: a stream's own encoder (see profile-encoder.h). */
#include "streaming/profile-encoder.h"

#include "pipelines/capture.h"

#include "streaming/pipeline-guard.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

struct CrProfileEncoder {
  GstElement *pipeline;
  GstAppSrc *src;
  GstElement *sink;
  CrProfileSampleFunc func;
  gpointer user_data;
  gint running;                 /* atomic: pushes are taken */
  CrPipelineGuard *guard;       /* restarts it after a failure */
};

static GstFlowReturn
on_encoded (GstAppSink *sink, gpointer data)
{
  CrProfileEncoder *encoder = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  guint64 running = 0;

  if (sample == NULL)
    return GST_FLOW_EOS;
  /* Through the segment: x264enc shifts its timestamps by 1000 h. The
   * appsrc's segment starts at 0, so running time is the PTS pushed: the
   * capture time. */
  if (gst_segment_to_running_time_full (gst_sample_get_segment (sample), GST_FORMAT_TIME,
                                        GST_BUFFER_PTS (gst_sample_get_buffer (sample)),
                                        &running) > 0)
    encoder->func (sample, running, encoder->user_data);
  return GST_FLOW_OK;
}

CrProfileEncoder *
cr_profile_encoder_new (const CrConfig *config, guint width, guint height, guint bitrate_kbps,
                        CrProfileSampleFunc func, gpointer user_data, GError **error)
{
  g_autofree char *x264 = cr_describe_video_encoder (config, bitrate_kbps);
  g_autofree char *picture = cr_capture_describe_picture (config, width, height);
  /* The picture's caps pinned as the slate's at this size: the same codec
   * headers on both sides of a cut. Two pictures at most wait; beyond,
   * the oldest goes. */
  g_autofree char *description = g_strdup_printf (
      "appsrc name=raw format=time is-live=false block=false max-buffers=2 max-bytes=0 "
      "leaky-type=downstream ! videoscale ! %s "
      "! %s ! appsink name=encoded sync=false async=false max-buffers=25 drop=true",
      picture, x264);
  GstAppSinkCallbacks callbacks = { .new_sample = on_encoded };
  CrProfileEncoder *encoder;
  GstElement *pipeline;

  pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (pipeline == NULL)
    {
      g_prefix_error (error, "Cannot build a stream's own encoder: ");
      return NULL;
    }
  encoder = g_new0 (CrProfileEncoder, 1);
  encoder->pipeline = pipeline;
  encoder->func = func;
  encoder->user_data = user_data;
  encoder->src = GST_APP_SRC (gst_bin_get_by_name (GST_BIN (pipeline), "raw"));
  encoder->sink = gst_bin_get_by_name (GST_BIN (pipeline), "encoded");
  gst_app_sink_set_callbacks (GST_APP_SINK (encoder->sink), &callbacks, encoder, NULL);
  encoder->guard = cr_pipeline_guard_new (pipeline, "a stream's own encoder");
  return encoder;
}

void
cr_profile_encoder_free (CrProfileEncoder *encoder)
{
  if (encoder == NULL)
    return;
  cr_profile_encoder_stop (encoder);
  cr_pipeline_guard_free (encoder->guard);
  gst_object_unref (encoder->src);
  gst_object_unref (encoder->sink);
  gst_object_unref (encoder->pipeline);
  g_free (encoder);
}

gboolean
cr_profile_encoder_start (CrProfileEncoder *encoder, GError **error)
{
  if (g_atomic_int_get (&encoder->running))
    return TRUE;
  if (gst_element_set_state (encoder->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    {
      gst_element_set_state (encoder->pipeline, GST_STATE_NULL);
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                   "A stream's own encoder would not start");
      return FALSE;
    }
  g_atomic_int_set (&encoder->running, 1);
  cr_pipeline_guard_set_active (encoder->guard, TRUE);
  return TRUE;
}

void
cr_profile_encoder_stop (CrProfileEncoder *encoder)
{
  if (!g_atomic_int_get (&encoder->running))
    return;
  g_atomic_int_set (&encoder->running, 0);
  cr_pipeline_guard_set_active (encoder->guard, FALSE);
  gst_element_set_state (encoder->pipeline, GST_STATE_NULL);
}

void
cr_profile_encoder_push (CrProfileEncoder *encoder, GstSample *sample,
                         GstClockTime capture_time)
{
  g_autoptr (GstBuffer) buffer = NULL;
  g_autoptr (GstSample) stamped = NULL;

  if (!g_atomic_int_get (&encoder->running))
    return;
  buffer = gst_buffer_copy (gst_sample_get_buffer (sample)); /* shares the picture */
  GST_BUFFER_PTS (buffer) = capture_time;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  stamped = gst_sample_new (buffer, gst_sample_get_caps (sample), NULL, NULL);
  /* block=FALSE, leaky: returns at once. */
  gst_app_src_push_sample (encoder->src, stamped);
}

void
cr_profile_encoder_request_keyframe (CrProfileEncoder *encoder)
{
  gst_element_send_event (encoder->sink,
                          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                       TRUE, 0));
}
