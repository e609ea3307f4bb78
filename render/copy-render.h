/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-render.h: a derived copy of a recording (a litigant's copy, a
 * published video), made from a render job (render-job.h):
 *
 *   OUTPUT_DIR/copy.mp4      H.264 re-encoded once, the watermark burned in
 *                            (moving, semi-opaque, large enough to read),
 *                            blurs applied; the mix (AAC, default track) and
 *                            one AAC track per microphone, each titled and
 *                            tagged with its language; the markers as
 *                            chapters; the index at the front (faststart)
 *   OUTPUT_DIR/hls/          index.m3u8 and its segments: video and mix,
 *                            remuxed from copy.mp4, a VOD playlist
 *   OUTPUT_DIR/chapters.json [{"offset": SECONDS, "text": S}] in the copy's
 *                            own timeline (after cuts)
 *
 * It is written into OUTPUT_DIR.partial and renamed when whole, so that a
 * copy either is there whole or not at all; a .partial left by a render
 * that was killed is removed by the next render of the same copy. The
 * original segments are only read. */
#pragma once

#include "render/render-job.h"

G_BEGIN_DECLS

typedef void (*CrCopyRenderProgress) (double fraction, gpointer user_data);

typedef struct {
  char sha256[65];           /* of copy.mp4, lowercase hex */
  gint64 bytes;              /* of copy.mp4 */
  gint64 duration_us;        /* the copy's length */
} CrCopyRenderResult;

/* Renders @job. @progress (may be NULL) is called on the calling thread
 * with the fraction done, a few times a second. While it runs, setting
 * *@cancelled (may be NULL) to non-zero, even from a signal handler,
 * stops it: CR_RENDER_ERROR_CANCELLED, and no .partial is left. */
gboolean cr_copy_render (const CrRenderJob *job, CrCopyRenderProgress progress,
                         gpointer user_data, volatile gint *cancelled,
                         CrCopyRenderResult *result, GError **error);

/* The x264 speed preset the renderer takes for a recording of @width x
 * @height at @fps frames a second (see BENCHMARKS.md, "Rendering a
 * derived copy"). */
const char *cr_copy_render_speed_preset (gint width, gint height, double fps);

G_END_DECLS
