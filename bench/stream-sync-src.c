/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/stream-sync-src.c: gst-launch-1.0 with courtrec's test:sync flash.
 *
 *   stream-sync-src 'videotestsrc name=sync_marker is-live=true pattern=black ! ... ! rtmp2sink ...'
 *
 * Runs the pipeline description given on the command line (one argument,
 * gst_parse_launch syntax) on the system clock, as courtrecd's input
 * pipelines do, and draws on the buffers of the element named
 * "sync_marker" the same white flash as pipelines/input.c mark_sync():
 * full-frame I420 white during the first 40 ms of every second of the
 * clock (GStreamer's system clock, CLOCK_MONOTONIC). Used by
 * bench/stream-latency.sh as the reference stream.
 *
 * SIGUSR1 toggles a marker: from the next frame on, the top-right quarter
 * of the picture is drawn mid-grey, like courtrecd's layout switch in the
 * bench, so the reader can time a change it asked for. SIGINT or SIGTERM
 * stops the pipeline. Prints "PLAYING" on stdout once it plays. */
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <string.h>

#define SYNC_MARK_NS (40 * GST_MSECOND)

static gint marker_on;          /* atomic */
static GMainLoop *loop;

static GstPadProbeReturn
mark_sync (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstElement *element = GST_ELEMENT (user_data);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstClockTime at = GST_BUFFER_PTS (buffer);
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  gboolean flash, grey;

  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (caps == NULL || !GST_CLOCK_TIME_IS_VALID (at) || !gst_video_info_from_caps (&vinfo, caps))
    goto out;
  at += gst_element_get_base_time (element);
  flash = at % GST_SECOND < SYNC_MARK_NS;
  grey = g_atomic_int_get (&marker_on);
  if ((!flash && !grey) || !gst_video_frame_map (&frame, &vinfo, buffer, GST_MAP_WRITE))
    goto out;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++)
    {
      guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
      gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
      gint w = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p);
      gint h = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p);
      if (flash)
        memset (data, p == 0 ? 235 : 128, (gsize) stride * h);
      else
        for (gint y = 0; y < h / 2; y++)
          memset (data + (gsize) y * stride + w / 2, p == 0 ? 126 : 128, w - w / 2);
    }
  gst_video_frame_unmap (&frame);
out:
  if (caps != NULL)
    gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

static gboolean
on_usr1 (gpointer data)
{
  g_atomic_int_set (&marker_on, !g_atomic_int_get (&marker_on));
  return G_SOURCE_CONTINUE;
}

static gboolean
on_quit (gpointer data)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus (GstBus *bus, GstMessage *message, gpointer data)
{
  GstElement *pipeline = data;
  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        GError *error = NULL;
        gst_message_parse_error (message, &error, NULL);
        g_printerr ("stream-sync-src: %s: %s\n", GST_OBJECT_NAME (message->src), error->message);
        g_error_free (error);
        g_main_loop_quit (loop);
        break;
      }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (loop);
      break;
    case GST_MESSAGE_STATE_CHANGED:
      if (message->src == GST_OBJECT (pipeline))
        {
          GstState state;
          gst_message_parse_state_changed (message, NULL, &state, NULL);
          if (state == GST_STATE_PLAYING)
            {
              g_print ("PLAYING\n");
              fflush (stdout);
            }
        }
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GstElement *pipeline, *marker;
  GstClock *clock;
  GstBus *bus;

  gst_init (&argc, &argv);
  if (argc != 2)
    {
      g_printerr ("usage: stream-sync-src 'PIPELINE DESCRIPTION'\n");
      return 2;
    }
  pipeline = gst_parse_launch (argv[1], &error);
  if (pipeline == NULL || error != NULL)
    {
      g_printerr ("stream-sync-src: %s\n", error ? error->message : "no pipeline");
      return 1;
    }
  marker = gst_bin_get_by_name (GST_BIN (pipeline), "sync_marker");
  if (marker == NULL)
    {
      g_printerr ("stream-sync-src: no element named sync_marker\n");
      return 1;
    }
  {
    GstPad *src = gst_element_get_static_pad (marker, "src");
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, mark_sync, marker, NULL);
    gst_object_unref (src);
  }
  clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (pipeline), clock);
  gst_object_unref (clock);

  loop = g_main_loop_new (NULL, FALSE);
  bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  gst_bus_add_watch (bus, on_bus, pipeline);
  g_unix_signal_add (SIGUSR1, on_usr1, NULL);
  g_unix_signal_add (SIGINT, on_quit, NULL);
  g_unix_signal_add (SIGTERM, on_quit, NULL);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_printerr ("stream-sync-src: the pipeline did not start\n");
      return 1;
    }
  g_main_loop_run (loop);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (marker);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return 0;
}
