/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-render-private.h: the renderer's steps, shared by copy-render.c
 * (the order and the directories), render-edits.c (the job's times on the
 * copy's timeline), copy-encode.c (GStreamer: decode, redact, watermark,
 * encode) and copy-mux.c (libavformat: MP4 with titles and chapters, HLS,
 * chapters.json). */
#pragma once

#include <gst/gst.h>

#include "render/copy-render.h"
#include "render/segment-join.h"

G_BEGIN_DECLS

/* A span of the joined file's time, in microseconds, [from, to). */
typedef struct {
  gint64 from_us, to_us;
} CrSpan;

typedef struct {
  CrSpan span;
  gint x, y, width, height;
} CrBlurSpan;

typedef struct {
  gint64 offset_us;          /* in the copy's timeline */
  const char *text;          /* the job's */
} CrChapter;

/* The job's redactions, window and markers on the joined file's time. */
typedef struct {
  GArray *removed;           /* CrSpan, sorted, merged: before the window, cuts, after */
  GArray **muted;            /* per audio stream: CrSpan */
  guint n_audio;
  GArray *blurs;             /* CrBlurSpan */
  GArray *chapters;          /* CrChapter, in the copy's time, sorted */
  gint64 duration_us;        /* the copy's length */
} CrEditPlan;

CrEditPlan *cr_edit_plan_new (const CrRenderJob *job, const CrJoinedRecording *joined);
void cr_edit_plan_free (CrEditPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrEditPlan, cr_edit_plan_free)

/* Whether joined time @at_us is cut out; else its time in the copy. */
gboolean cr_edit_plan_removed (const CrEditPlan *plan, gint64 at_us);
gint64 cr_edit_plan_copy_time (const CrEditPlan *plan, gint64 at_us);

typedef struct {
  const CrRenderJob *job;
  const CrJoinedRecording *joined;
  const CrEditPlan *plan;
  const char *input_path;    /* the joined Matroska */
  const char *output_path;   /* encoded Matroska: H.264 and AAC tracks */
  CrCopyRenderProgress progress; /* fraction of the encode, 0..1 */
  gpointer user_data;
  volatile gint *cancelled;
} CrEncodeStep;

gboolean cr_copy_encode (const CrEncodeStep *step, GError **error);

/* encoded Matroska -> copy.mp4: titles, languages, default track, chapters,
 * faststart. Returns the copy's length. */
gboolean cr_copy_mux_mp4 (const CrRenderJob *job, const CrEditPlan *plan,
                          const char *encoded_path, const char *mp4_path,
                          gint64 *duration_us, GError **error);
/* copy.mp4 -> @hls_dir/index.m3u8 + segments: video and the mix. */
gboolean cr_copy_mux_hls (const char *mp4_path, const char *hls_dir, GError **error);
gboolean cr_copy_write_chapters (const CrEditPlan *plan, const char *path, GError **error);

G_END_DECLS
