/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* preview.c: see preview.h. */
#include "pipelines/preview.h"

#include <gst/app/gstappsink.h>

/* The branch runs while someone looks: a picture asked for in the last
 * IDLE_US keeps it open; a picture older than FRESH_US is not shown (the
 * branch was shut, the first request reopens it). */
#define IDLE_US (10 * G_USEC_PER_SEC)
#define FRESH_US (2 * G_USEC_PER_SEC)

struct CrPreview {
  char *name;
  GstElement *appsink;
  GstElement *valve;    /* shuts the branch off at the tee while nobody looks */
  gint open;            /* atomic: the valve lets pictures through */
  gint64 asked_us;      /* atomic: monotonic, the last request */
  GMutex lock;          /* protects jpeg, captured_us, frames */
  GBytes *jpeg;
  gint64 captured_us;   /* monotonic */
  guint64 frames;
};

char *
cr_preview_describe (const char *tee, const char *sink, guint width, guint height)
{
  /* A picture narrower than the preview is not enlarged; both sides even
   * for the encoder's 4:2:0. */
  guint w = MIN (width, CR_PREVIEW_WIDTH) & ~1u;
  guint h = MAX (2u, (guint) ((guint64) height * w / MAX (width, 1u)) & ~1u);

  /* The valve first: shut, the tee's push to this branch returns at
   * once; the caps still pass, so that it opens without renegotiating. */
  return g_strdup_printf (
      "%s. ! valve name=%s_valve drop=true drop-mode=forward-sticky-events "
      "! queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 "
      "! videorate drop-only=true skip-to-first=true ! video/x-raw,framerate=%u/1 "
      "! videoscale ! video/x-raw,width=%u,height=%u,pixel-aspect-ratio=1/1 "
      "! jpegenc quality=60 "
      "! appsink name=%s sync=false async=false max-buffers=1 drop=true "
      "emit-signals=false ",
      tee, sink, CR_PREVIEW_FPS, w, h, sink);
}

/* The streaming thread: hand the picture over and return. A copy of a
 * 10-20 kB JPEG twice a second costs less than keeping the sample (and
 * its pool's buffer) alive until someone asks. */
static GstFlowReturn
on_sample (GstAppSink *appsink, gpointer user_data)
{
  CrPreview *preview = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  GstBuffer *buffer;
  gpointer data;
  gsize size;
  GBytes *jpeg, *old;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_sample_get_buffer (sample);
  if (buffer == NULL)
    return GST_FLOW_OK;
  gst_buffer_extract_dup (buffer, 0, gst_buffer_get_size (buffer), &data, &size);
  jpeg = g_bytes_new_take (data, size);
  g_mutex_lock (&preview->lock);
  old = preview->jpeg;
  preview->jpeg = jpeg;
  preview->captured_us = g_get_monotonic_time ();
  preview->frames++;
  g_mutex_unlock (&preview->lock);
  g_clear_pointer (&old, g_bytes_unref);
  /* Nobody asked for a while: shut the branch until someone does. */
  if (g_get_monotonic_time () - __atomic_load_n (&preview->asked_us, __ATOMIC_RELAXED) > IDLE_US &&
      g_atomic_int_compare_and_exchange (&preview->open, TRUE, FALSE))
    g_object_set (preview->valve, "drop", TRUE, NULL);
  return GST_FLOW_OK;
}

CrPreview *
cr_preview_new (const char *name, GstElement *appsink, GstElement *valve)
{
  GstAppSinkCallbacks callbacks = { .new_sample = on_sample };
  CrPreview *preview;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (GST_IS_APP_SINK (appsink), NULL);
  g_return_val_if_fail (GST_IS_ELEMENT (valve), NULL);

  preview = g_new0 (CrPreview, 1);
  preview->name = g_strdup (name);
  preview->appsink = gst_object_ref (appsink);
  preview->valve = gst_object_ref (valve);
  g_mutex_init (&preview->lock);
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &callbacks, preview, NULL);
  return preview;
}

void
cr_preview_free (CrPreview *preview)
{
  if (preview == NULL)
    return;
  /* The pipeline is stopped before the previews go: no callback runs. */
  gst_object_unref (preview->appsink);
  gst_object_unref (preview->valve);
  g_clear_pointer (&preview->jpeg, g_bytes_unref);
  g_mutex_clear (&preview->lock);
  g_free (preview->name);
  g_free (preview);
}

const char *
cr_preview_get_name (CrPreview *preview)
{
  return preview->name;
}

GBytes *
cr_preview_get_jpeg (CrPreview *preview, gint64 *captured_us)
{
  GBytes *jpeg;

  gint64 now_us = g_get_monotonic_time ();
  gboolean fresh;

  g_return_val_if_fail (preview != NULL, NULL);
  __atomic_store_n (&preview->asked_us, now_us, __ATOMIC_RELAXED);
  if (g_atomic_int_compare_and_exchange (&preview->open, FALSE, TRUE))
    g_object_set (preview->valve, "drop", FALSE, NULL);
  g_mutex_lock (&preview->lock);
  fresh = preview->jpeg != NULL && now_us - preview->captured_us <= FRESH_US;
  jpeg = fresh ? g_bytes_ref (preview->jpeg) : NULL;
  if (captured_us != NULL)
    *captured_us = fresh ? g_get_real_time () - (now_us - preview->captured_us) : 0;
  g_mutex_unlock (&preview->lock);
  return jpeg;
}

guint64
cr_preview_get_frames (CrPreview *preview)
{
  guint64 frames;

  g_mutex_lock (&preview->lock);
  frames = preview->frames;
  g_mutex_unlock (&preview->lock);
  return frames;
}
