/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* handoff.h: the bounded hand-off from the capture's streaming threads into
 * a live output's own pipeline (a destination, the HLS), as design.md's
 * "leaky hand-off": two appsrcs that never block the caller.
 *
 * - Video is dropped when its queue is full (bytes or time), and then up to
 *   the next keyframe that finds room: a congested or dead output never
 *   gets a broken GOP. Audio is dropped only when its own, larger queue is
 *   full.
 * - Each attached pipeline starts at a keyframe, with timestamps from 0
 *   there; audio waits for that zero (unless the output takes no video).
 * - Timestamps are running times through the sample's segment: encoders
 *   shift theirs (x264enc by 1000 h) and say so there.
 *
 * Not locked by itself: its owner calls every function under its own lock,
 * and builds and tears down the pipelines whose appsrcs it attaches. */
#pragma once

#include <gst/app/gstappsrc.h>

G_BEGIN_DECLS

typedef struct {
  guint64 video_max_bytes;
  guint64 audio_max_bytes;
  GstClockTime max_time;      /* video's queue; audio's is twice as long */
  gboolean want_video;        /* FALSE: audio sets the zero itself */
  const char *name;           /* for debug lines; borrowed */

  GstAppSrc *video;           /* the attached pipeline's; NULL: none */
  GstAppSrc *audio;
  gboolean need_keyframe;
  gboolean video_started;     /* a keyframe went in since attach */
  GstClockTime zero;
  guint64 dropped_video;
  guint64 dropped_audio;
} CrHandoff;

void cr_handoff_init (CrHandoff *handoff, const char *name, guint64 video_max_bytes,
                      guint64 audio_max_bytes, GstClockTime max_time);
/* A new pipeline takes the samples: the next video pushed must be a
 * keyframe, and sets the zero. Either may be NULL. Takes refs. */
void cr_handoff_attach (CrHandoff *handoff, GstAppSrc *video, GstAppSrc *audio);
/* No pipeline: every push is dropped (and counted). */
void cr_handoff_detach (CrHandoff *handoff);
void cr_handoff_clear (CrHandoff *handoff);

/* Hands one encoded frame over, never blocking. TRUE if it was queued;
 * FALSE if dropped (counted). */
gboolean cr_handoff_push (CrHandoff *handoff, GstSample *sample, gboolean video);

/* Elements for the owner's pipeline: @factory added to @bin (NULL if not
 * installed), and an appsrc set up for the hand-off. (transfer none) and
 * (transfer full) */
GstElement *cr_handoff_add_element (GstBin *bin, const char *factory, const char *name);
GstAppSrc *cr_handoff_make_src (GstBin *bin, const char *name, guint64 max_bytes);

/* What ended an output's pipeline, from its bus: "SOURCE: message" for an
 * error, a sentence for end of stream; NULL for any other message. The
 * owner tears the pipeline down and builds it again. (transfer full) */
char *cr_handoff_bus_failure (GstMessage *message);

G_END_DECLS
