/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* public-feed.h: what one public output (an RTMP/SRT destination, the
 * built-in HLS) is given to send: the hearing, or the broadcast slate, with
 * the broadcast delay, the operator's cut and the recess applied.
 *
 *   capture's encoded samples ─ cut? ─ delay queue ─┐
 *                                                   ├─ restamp ─ output push
 *   slate's encoded samples ─────── (while not live) ┘
 *
 * The hearing enters at a keyframe; with a delay it waits in the queue
 * until its capture time + delay (a thread of the feed's own releases it),
 * and the slate is shown meanwhile. A cut takes effect at once: whatever
 * of the hearing is still queued is dropped, never sent, and the slate
 * follows from its next keyframe (asked for). (What the output has
 * already taken, at most its hand-off's 2 s when the network is slow,
 * still goes out.) On resume the hearing comes back from its next
 * keyframe, still delayed.
 *
 * Timestamps: the two sources are on the same clock (capture time on the
 * system clock); each sample goes out re-stamped in a segment of its own
 * starting at the feed's first sample. Where a switch would go back in
 * time (the slate stamped before the hearing's last frame sent), later
 * samples are shifted forward: the stream's timestamps never go back.
 *
 * Threads: the push functions are called from streaming threads and never
 * block (the output's push must not either); the rest from the main loop. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Hands a sample to the output: cr_destination_push(), cr_hls_push(). */
typedef gboolean (*CrFeedOutputFunc) (gpointer output, GstSample *sample, guint track);
/* Asks for a keyframe from a source (the slate, the capture); called
 * outside the feed's lock, from any thread. */
typedef void (*CrFeedKeyframeFunc) (gpointer user_data);

typedef enum {
  CR_FEED_OFF,      /* stopped: every push is dropped */
  CR_FEED_WAITING,  /* started, nothing sent yet */
  CR_FEED_SLATE,    /* sending the slate */
  CR_FEED_LIVE,     /* sending the hearing */
} CrFeedShowing;

typedef struct CrPublicFeed CrPublicFeed;

/* @bitrate_kbps: of the output's picture and sound, which sizes the delay
 * queue. @output is borrowed. (transfer full) */
CrPublicFeed *cr_public_feed_new (const char *name, guint delay_seconds,
                                  guint bitrate_kbps, CrFeedOutputFunc push,
                                  gpointer output);
void cr_public_feed_free (CrPublicFeed *feed);

/* Where keyframes are asked for when the feed switches. Before start. */
void cr_public_feed_set_keyframe_funcs (CrPublicFeed *feed,
                                        CrFeedKeyframeFunc slate_keyframe,
                                        CrFeedKeyframeFunc live_keyframe,
                                        gpointer user_data);

/* Starts sending; @cut as cr_public_feed_set_cut(). Stop drops the queue
 * and every later push. */
void cr_public_feed_start (CrPublicFeed *feed, gboolean cut);
void cr_public_feed_stop (CrPublicFeed *feed);

/* TRUE: the slate instead of the hearing, at once, and nothing of the
 * hearing captured until it is FALSE again is ever sent. */
void cr_public_feed_set_cut (CrPublicFeed *feed, gboolean cut);

/* Samples of the hearing (track 0 H.264, 1 AAC) and of the slate, with
 * their capture time on the system clock. */
void cr_public_feed_push_live (CrPublicFeed *feed, GstSample *sample, guint track,
                               GstClockTime capture_time);
void cr_public_feed_push_slate (CrPublicFeed *feed, GstSample *sample, guint track,
                                GstClockTime capture_time);

/* TRUE while the feed may show the slate (cut, or filling its delay). */
gboolean cr_public_feed_wants_slate (CrPublicFeed *feed);
CrFeedShowing cr_public_feed_get_showing (CrPublicFeed *feed);
const char *cr_feed_showing_to_string (CrFeedShowing showing);
guint cr_public_feed_get_delay (CrPublicFeed *feed);
/* Samples of the hearing dropped by the delay queue's memory bound. */
guint64 cr_public_feed_get_overflows (CrPublicFeed *feed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPublicFeed, cr_public_feed_free)

G_END_DECLS
