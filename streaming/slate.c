/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slate.c: the broadcast slate's pipeline (see slate.h). */
#include "streaming/slate.h"

#include "pipelines/capture.h"
#include "pipelines/description.h"

#include "streaming/pipeline-guard.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#define SLATE_TEXT "庭审直播暂停\nbroadcast paused"

struct CrSlate {
  GstElement *pipeline;
  GstElement *video_sink;
  GstElement *audio_sink;
  CrSlateSampleFunc func;
  gpointer user_data;
  gboolean running;
  CrPipelineGuard *guard;       /* restarts it after a failure */
};

typedef struct {
  CrSlate *slate;
  guint track;
} SinkContext;

static char *
build_description (const CrConfig *config, guint width, guint height, guint bitrate_kbps)
{
  g_autofree char *notice = g_strdup_printf ("%s\n%s  %s", SLATE_TEXT, config->court,
                                             config->room_name);
  g_autofree char *text = cr_description_quote (notice);
  g_autofree char *video_encoder = cr_describe_video_encoder (config, bitrate_kbps);
  g_autofree char *audio_encoder = cr_capture_describe_audio_encoder (config);
  g_autofree char *picture = cr_capture_describe_picture (config, width, height);

  /* The encoders are the capture's own descriptions, so the codec headers
   * match and a stream can switch between hearing and slate at a keyframe.
   * x264's key-int-max stays as in the capture (it shapes the headers);
   * keyframes are asked for when a stream switches. */
  return g_strdup_printf (
      "videotestsrc pattern=black num-buffers=1 "
      "! %s,framerate=%u/1 "
      "! textoverlay text=%s valignment=center halignment=center line-alignment=center "
      "auto-resize=false font-desc=\"Noto Sans CJK SC %upx\" "
      "! imagefreeze is-live=true ! video/x-raw,framerate=%u/1 "
      "! %s ! appsink name=video sync=false async=false max-buffers=50 drop=true "
      "audiotestsrc wave=silence is-live=true samplesperbuffer=1024 "
      "! audio/x-raw,rate=48000,channels=2 ! audioconvert "
      "! %s ! appsink name=audio sync=false async=false max-buffers=100 drop=true",
      picture, config->framerate, text, MAX (12u, height / 14), config->framerate,
      video_encoder, audio_encoder);
}

static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer data)
{
  SinkContext *context = data;
  CrSlate *slate = context->slate;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer;
  guint64 running = 0;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_sample_get_buffer (sample);
  /* Through the segment: x264enc shifts its timestamps by 1000 h and says
   * so there. */
  if (gst_segment_to_running_time_full (gst_sample_get_segment (sample), GST_FORMAT_TIME,
                                        GST_BUFFER_PTS (buffer), &running) <= 0)
    return GST_FLOW_OK;
  slate->func (sample, context->track,
               running + gst_element_get_base_time (slate->pipeline), slate->user_data);
  return GST_FLOW_OK;
}

static void
connect_sink (CrSlate *slate, GstElement *sink, guint track)
{
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  SinkContext *context = g_new0 (SinkContext, 1);

  context->slate = slate;
  context->track = track;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, context, g_free);
}

CrSlate *
cr_slate_new (const CrConfig *config, guint width, guint height, guint bitrate_kbps,
              CrSlateSampleFunc func, gpointer user_data, GError **error)
{
  g_autofree char *description = build_description (config, width, height, bitrate_kbps);
  g_autoptr (GstClock) clock = gst_system_clock_obtain ();
  CrSlate *slate;
  GstElement *pipeline;

  pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (pipeline == NULL)
    {
      g_prefix_error (error, "Cannot build the broadcast slate: ");
      return NULL;
    }
  slate = g_new0 (CrSlate, 1);
  slate->pipeline = pipeline;
  slate->func = func;
  slate->user_data = user_data;
  gst_pipeline_use_clock (GST_PIPELINE (pipeline), clock);
  slate->video_sink = gst_bin_get_by_name (GST_BIN (pipeline), "video");
  slate->audio_sink = gst_bin_get_by_name (GST_BIN (pipeline), "audio");
  connect_sink (slate, slate->video_sink, 0);
  connect_sink (slate, slate->audio_sink, 1);
  slate->guard = cr_pipeline_guard_new (pipeline, "the broadcast slate");
  return slate;
}

void
cr_slate_free (CrSlate *slate)
{
  if (slate == NULL)
    return;
  cr_slate_stop (slate);
  cr_pipeline_guard_free (slate->guard);
  gst_object_unref (slate->video_sink);
  gst_object_unref (slate->audio_sink);
  gst_object_unref (slate->pipeline);
  g_free (slate);
}

gboolean
cr_slate_start (CrSlate *slate, GError **error)
{
  if (slate->running)
    return TRUE;
  if (gst_element_set_state (slate->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      gst_element_set_state (slate->pipeline, GST_STATE_NULL);
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                   "The broadcast slate's pipeline would not start");
      return FALSE;
    }
  slate->running = TRUE;
  cr_pipeline_guard_set_active (slate->guard, TRUE);
  return TRUE;
}

void
cr_slate_stop (CrSlate *slate)
{
  if (!slate->running)
    return;
  cr_pipeline_guard_set_active (slate->guard, FALSE);
  gst_element_set_state (slate->pipeline, GST_STATE_NULL);
  slate->running = FALSE;
}

gboolean
cr_slate_is_running (CrSlate *slate)
{
  return slate->running;
}

void
cr_slate_request_keyframe (CrSlate *slate)
{
  /* Handled by the encoder under its object lock: safe from any thread,
   * even the slate's own streaming thread. */
  gst_element_send_event (slate->video_sink,
                          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                       TRUE, 0));
}
