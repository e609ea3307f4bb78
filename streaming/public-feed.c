/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* public-feed.c: delay, cut and slate for one public output (see
 * public-feed.h). */
#include "streaming/public-feed.h"

#include "config/text.h"
/* The delay queue holds delay x bitrate, with room for x264's swings
 * (1.5x) and never less than this. Beyond its bound the hearing is dropped
 * up to the next keyframe (and counted), never the recording: this queue
 * only feeds the public. */
#define MIN_QUEUED_BYTES (32 * 1024 * 1024)

#define DEFAULT_FRAME_NS (GST_SECOND / 25)

typedef struct {
  GstSample *sample;
  guint track;
  GstClockTime due;
} Entry;

struct CrPublicFeed {
  char *name;
  GstClockTime delay;
  CrFeedOutputFunc push;
  gpointer output;
  CrFeedKeyframeFunc slate_keyframe;
  CrFeedKeyframeFunc live_keyframe;
  gpointer keyframe_data;

  GMutex lock;                  /* everything below */
  GCond cond;                   /* the queue changed, or quit */
  GThread *thread;              /* releases the queue; only with a delay */
  gboolean quit;
  GQueue queue;                 /* Entry*, by due time */
  gsize queued_bytes;
  gsize max_queued_bytes;
  guint64 overflows;

  CrFeedShowing showing;
  gboolean cut;
  gboolean live_need_key;       /* the hearing enters only at a keyframe */
  gboolean slate_need_key;
  gboolean switching;           /* the next video frame sent begins a new source */
  gboolean have_epoch;
  GstClockTime epoch;           /* capture time of the first sample sent */
  gint64 shift;                 /* ns added so that timestamps never go back */
  gint64 last_out[2];           /* by track; -1: none yet */
  GstCaps *last_caps[2];        /* of the last sample sent, by track */
  gboolean warned_caps;
};

static void
entry_free (Entry *entry)
{
  gst_sample_unref (entry->sample);
  g_free (entry);
}

static gboolean
is_keyframe (GstSample *sample)
{
  return !GST_BUFFER_FLAG_IS_SET (gst_sample_get_buffer (sample), GST_BUFFER_FLAG_DELTA_UNIT);
}

static void
clear_queue_locked (CrPublicFeed *feed)
{
  g_queue_clear_full (&feed->queue, (GDestroyNotify) entry_free);
  feed->queued_bytes = 0;
}

static gboolean
same_codec_data (GstCaps *a, GstCaps *b)
{
  const GValue *x = gst_structure_get_value (gst_caps_get_structure (a, 0), "codec_data");
  const GValue *y = gst_structure_get_value (gst_caps_get_structure (b, 0), "codec_data");
  return x != NULL && y != NULL && gst_value_compare (x, y) == GST_VALUE_EQUAL;
}

/* Re-stamps @sample into the feed's own time line and hands it over. */
static void
forward_locked (CrPublicFeed *feed, GstSample *sample, guint track, GstClockTime capture_time)
{
  static GstSegment segment;
  static gsize segment_ready = 0;
  GstBuffer *in = gst_sample_get_buffer (sample);
  g_autoptr (GstBuffer) out_buffer = NULL;
  g_autoptr (GstSample) out_sample = NULL;
  gint64 out;

  if (g_once_init_enter (&segment_ready))
    {
      gst_segment_init (&segment, GST_FORMAT_TIME);
      g_once_init_leave (&segment_ready, 1);
    }
  if (track > 1)
    return;
  if (!feed->have_epoch)
    {
      feed->epoch = capture_time;
      feed->have_epoch = TRUE;
    }
  out = (gint64) capture_time - (gint64) feed->epoch + feed->shift;
  if (feed->switching)
    {
      gint64 frame = GST_BUFFER_DURATION_IS_VALID (in) ? (gint64) GST_BUFFER_DURATION (in)
                                                       : DEFAULT_FRAME_NS;
      if (track != 0)
        return;
      /* The two sources are encoded alike so that players carry on across
       * the switch; if their codec headers (SPS, PPS) differ anyway, say so
       * once. */
      if (feed->last_caps[0] != NULL && !feed->warned_caps &&
          !same_codec_data (feed->last_caps[0], gst_sample_get_caps (sample)))
        {
          g_autofree char *was = gst_caps_to_string (feed->last_caps[0]);
          g_autofree char *now = gst_caps_to_string (gst_sample_get_caps (sample));
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_DESTINATION", feed->name,
                            "MESSAGE", "Stream %s: the hearing's and the slate's codec headers "
                            "differ; players may stop at the switch (%s, then %s)",
                            cr_text_shown (feed->name), cr_text_shown (was), cr_text_shown (now));
          feed->warned_caps = TRUE;
        }
      /* A frame's length at least after the last one: closer, and players
       * that count frames at the nominal rate see two in one slot. */
      if (feed->last_out[0] >= 0 && out < feed->last_out[0] + frame)
        {
          feed->shift += feed->last_out[0] + frame - out;
          out = feed->last_out[0] + frame;
        }
      feed->switching = FALSE;
    }
  /* FLV stamps in whole milliseconds: two samples of a track closer than
   * that would go out with the same time, which players take as going
   * back. */
  if (out < 0 || (feed->last_out[track] >= 0 && out < feed->last_out[track] + GST_MSECOND))
    return;

  out_buffer = gst_buffer_copy (in); /* metadata only: the memory is shared */
  GST_BUFFER_PTS (out_buffer) = (GstClockTime) out;
  GST_BUFFER_DTS (out_buffer) = (GstClockTime) out;
  out_sample = gst_sample_new (out_buffer, gst_sample_get_caps (sample), &segment, NULL);
  feed->push (feed->output, out_sample, track);
  feed->last_out[track] = out;
  gst_caps_replace (&feed->last_caps[track], gst_sample_get_caps (sample));
}

static void
emit_live_locked (CrPublicFeed *feed, GstSample *sample, guint track, GstClockTime due)
{
  if (feed->showing != CR_FEED_LIVE)
    {
      /* The hearing begins at its keyframe; anything before is not sent. */
      if (track != 0 || !is_keyframe (sample))
        return;
      feed->showing = CR_FEED_LIVE;
      feed->switching = TRUE;
    }
  forward_locked (feed, sample, track, due);
}

static gpointer
release_thread (gpointer data)
{
  CrPublicFeed *feed = data;

  g_mutex_lock (&feed->lock);
  while (!feed->quit)
    {
      Entry *head = g_queue_peek_head (&feed->queue);
      gint64 now_ns = g_get_monotonic_time () * 1000;

      if (head == NULL)
        {
          g_cond_wait (&feed->cond, &feed->lock);
          continue;
        }
      /* The system clock and g_get_monotonic_time() are both
       * CLOCK_MONOTONIC on Linux. */
      if ((gint64) head->due > now_ns)
        {
          g_cond_wait_until (&feed->cond, &feed->lock, (gint64) head->due / 1000);
          continue;
        }
      g_queue_pop_head (&feed->queue);
      feed->queued_bytes -= gst_buffer_get_size (gst_sample_get_buffer (head->sample));
      emit_live_locked (feed, head->sample, head->track, head->due);
      entry_free (head);
    }
  g_mutex_unlock (&feed->lock);
  return NULL;
}

CrPublicFeed *
cr_public_feed_new (const char *name, guint delay_seconds, guint bitrate_kbps,
                    CrFeedOutputFunc push, gpointer output)
{
  CrPublicFeed *feed = g_new0 (CrPublicFeed, 1);
  guint64 needed = (guint64) bitrate_kbps * 1000 / 8 * delay_seconds * 3 / 2;

  feed->max_queued_bytes = MAX (needed, MIN_QUEUED_BYTES);
  feed->name = g_strdup (name);
  feed->delay = delay_seconds * GST_SECOND;
  feed->push = push;
  feed->output = output;
  feed->showing = CR_FEED_OFF;
  g_mutex_init (&feed->lock);
  g_cond_init (&feed->cond);
  g_queue_init (&feed->queue);
  if (feed->delay > 0)
    {
      g_autofree char *thread_name = g_strdup_printf ("delay-%s", name);
      feed->thread = g_thread_new (thread_name, release_thread, feed);
    }
  return feed;
}

void
cr_public_feed_free (CrPublicFeed *feed)
{
  if (feed == NULL)
    return;
  g_mutex_lock (&feed->lock);
  feed->quit = TRUE;
  g_cond_signal (&feed->cond);
  g_mutex_unlock (&feed->lock);
  if (feed->thread != NULL)
    g_thread_join (feed->thread);
  clear_queue_locked (feed);
  gst_caps_replace (&feed->last_caps[0], NULL);
  gst_caps_replace (&feed->last_caps[1], NULL);
  g_mutex_clear (&feed->lock);
  g_cond_clear (&feed->cond);
  g_free (feed->name);
  g_free (feed);
}

void
cr_public_feed_set_keyframe_funcs (CrPublicFeed *feed, CrFeedKeyframeFunc slate_keyframe,
                                   CrFeedKeyframeFunc live_keyframe, gpointer user_data)
{
  feed->slate_keyframe = slate_keyframe;
  feed->live_keyframe = live_keyframe;
  feed->keyframe_data = user_data;
}

static gboolean
wants_slate_locked (CrPublicFeed *feed)
{
  return feed->showing == CR_FEED_SLATE ||
         (feed->showing == CR_FEED_WAITING && (feed->cut || feed->delay > 0));
}

/* Outside the lock: the sources' keyframe requests take locks of theirs. */
static void
request_keyframes (CrPublicFeed *feed, gboolean slate, gboolean live)
{
  if (slate && feed->slate_keyframe != NULL)
    feed->slate_keyframe (feed->keyframe_data);
  if (live && feed->live_keyframe != NULL)
    feed->live_keyframe (feed->keyframe_data);
}

void
cr_public_feed_start (CrPublicFeed *feed, gboolean cut)
{
  gboolean slate;

  g_mutex_lock (&feed->lock);
  clear_queue_locked (feed);
  feed->showing = CR_FEED_WAITING;
  feed->cut = cut;
  feed->live_need_key = TRUE;
  feed->slate_need_key = TRUE;
  feed->switching = FALSE;
  feed->have_epoch = FALSE;
  feed->shift = 0;
  feed->last_out[0] = feed->last_out[1] = -1;
  slate = wants_slate_locked (feed);
  g_mutex_unlock (&feed->lock);
  request_keyframes (feed, slate, !cut);
}

void
cr_public_feed_stop (CrPublicFeed *feed)
{
  g_mutex_lock (&feed->lock);
  feed->showing = CR_FEED_OFF;
  clear_queue_locked (feed);
  g_mutex_unlock (&feed->lock);
}

void
cr_public_feed_set_cut (CrPublicFeed *feed, gboolean cut)
{
  gboolean slate = FALSE, live = FALSE;

  g_mutex_lock (&feed->lock);
  if (feed->cut == cut || feed->showing == CR_FEED_OFF)
    {
      feed->cut = cut;
      g_mutex_unlock (&feed->lock);
      return;
    }
  feed->cut = cut;
  feed->live_need_key = TRUE;
  if (cut)
    {
      /* Nothing of the hearing not yet sent goes out any more. */
      clear_queue_locked (feed);
      if (feed->showing != CR_FEED_SLATE)
        {
          feed->showing = CR_FEED_WAITING;
          feed->slate_need_key = TRUE;
          slate = TRUE;
        }
    }
  else
    live = TRUE;
  g_mutex_unlock (&feed->lock);
  request_keyframes (feed, slate, live);
}

void
cr_public_feed_push_live (CrPublicFeed *feed, GstSample *sample, guint track,
                          GstClockTime capture_time)
{
  g_mutex_lock (&feed->lock);
  if (feed->showing == CR_FEED_OFF || feed->cut || track > 1)
    goto out;
  if (feed->live_need_key)
    {
      if (track != 0 || !is_keyframe (sample))
        goto out;
      feed->live_need_key = FALSE;
    }
  if (feed->delay == 0)
    {
      emit_live_locked (feed, sample, track, capture_time);
      goto out;
    }
  if (feed->queued_bytes > feed->max_queued_bytes)
    {
      feed->overflows++;
      feed->live_need_key = TRUE;
      goto out;
    }
  {
    Entry *entry = g_new0 (Entry, 1);
    entry->sample = gst_sample_ref (sample);
    entry->track = track;
    entry->due = capture_time + feed->delay;
    feed->queued_bytes += gst_buffer_get_size (gst_sample_get_buffer (sample));
    g_queue_push_tail (&feed->queue, entry);
    if (feed->queue.length == 1)
      g_cond_signal (&feed->cond);
  }
out:
  g_mutex_unlock (&feed->lock);
}

void
cr_public_feed_push_slate (CrPublicFeed *feed, GstSample *sample, guint track,
                           GstClockTime capture_time)
{
  g_mutex_lock (&feed->lock);
  if (!wants_slate_locked (feed))
    goto out;
  if (feed->slate_need_key)
    {
      if (track != 0 || !is_keyframe (sample))
        goto out;
      feed->slate_need_key = FALSE;
      feed->showing = CR_FEED_SLATE;
      feed->switching = TRUE;
    }
  forward_locked (feed, sample, track, capture_time);
out:
  g_mutex_unlock (&feed->lock);
}

gboolean
cr_public_feed_wants_slate (CrPublicFeed *feed)
{
  gboolean wants;

  g_mutex_lock (&feed->lock);
  wants = wants_slate_locked (feed);
  g_mutex_unlock (&feed->lock);
  return wants;
}

CrFeedShowing
cr_public_feed_get_showing (CrPublicFeed *feed)
{
  CrFeedShowing showing;

  g_mutex_lock (&feed->lock);
  showing = feed->showing;
  g_mutex_unlock (&feed->lock);
  return showing;
}

const char *
cr_feed_showing_to_string (CrFeedShowing showing)
{
  static const char *const names[] = { "off", "waiting", "slate", "live" };
  return showing < G_N_ELEMENTS (names) ? names[showing] : "?";
}

guint
cr_public_feed_get_delay (CrPublicFeed *feed)
{
  return (guint) (feed->delay / GST_SECOND);
}

guint64
cr_public_feed_get_overflows (CrPublicFeed *feed)
{
  guint64 overflows;

  g_mutex_lock (&feed->lock);
  overflows = feed->overflows;
  g_mutex_unlock (&feed->lock);
  return overflows;
}
