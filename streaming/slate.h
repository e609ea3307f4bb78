/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slate.h: the broadcast slate, "庭审直播暂停 / broadcast paused" over black
 * with silence, encoded exactly like the capture (same x264 and AAC
 * settings, so the same codec headers) for the public streams to show
 * instead of the hearing: while the broadcast is cut, during a recess, and
 * while a delayed stream fills its delay.
 *
 * A pipeline of its own, never part of the recording:
 *
 *   videotestsrc (one black frame) ! textoverlay ! imagefreeze is-live
 *     ! x264enc (as the capture) ! appsink
 *   audiotestsrc wave=silence is-live ! avenc_aac (as the capture) ! appsink
 *
 * The picture is drawn once and repeated, but x264 still works on every
 * frame: the slate costs as much as the hearing's encode (BENCHMARKS.md),
 * which is why its owner runs it only while it may be shown. Keyframes come only on request
 * (cr_slate_request_keyframe), so a stream switches to the slate at its
 * next frame rather than within a second. The pipeline runs on the system
 * clock like the capture's: a sample's capture time (running time + base
 * time) compares with the capture's. */
#pragma once

#include <gst/gst.h>

#include "config/config.h"

G_BEGIN_DECLS

typedef struct CrSlate CrSlate;

/* Called on the slate's streaming threads for every encoded sample: track
 * 0 video, 1 AAC; @capture_time on the system clock. Never block. */
typedef void (*CrSlateSampleFunc) (GstSample *sample, guint track,
                                   GstClockTime capture_time, gpointer user_data);

/* The court and room are shown under the notice. @width, @height and
 * @bitrate_kbps: the picture of the streams it stands in for ([video]'s,
 * or a stream's own). (transfer full) */
CrSlate *cr_slate_new (const CrConfig *config, guint width, guint height,
                       guint bitrate_kbps, CrSlateSampleFunc func,
                       gpointer user_data, GError **error);
void cr_slate_free (CrSlate *slate);

gboolean cr_slate_start (CrSlate *slate, GError **error);
void cr_slate_stop (CrSlate *slate);
gboolean cr_slate_is_running (CrSlate *slate);

/* The next video frame will be a keyframe. Any thread; never blocks. */
void cr_slate_request_keyframe (CrSlate *slate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSlate, cr_slate_free)

G_END_DECLS
