/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* preview.h: the small, slow pictures of the operator console: the latest
 * JPEG of the composed picture and of each camera, taken from the capture
 * pipeline by a branch of its own that can only lose frames, never hold
 * the recording up.
 *
 * The branch, after a tee of the raw picture:
 *   queue leaky=downstream max-size-buffers=1   (the tee never waits)
 *   videorate drop-only=true ! framerate=2/1     (drops, never duplicates)
 *   videoscale ! WIDTHxHEIGHT ! jpegenc quality=60
 *   appsink max-buffers=1 drop=true              (only the latest is kept)
 * so that it costs two small encodes a second per source, whatever the
 * room's frame rate. A valve before the queue keeps the branch shut while
 * nobody looks (no picture asked for in 10 s): then it costs nothing but
 * the tee's pad. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Frames a second and the width of every preview. */
#define CR_PREVIEW_FPS 2
#define CR_PREVIEW_WIDTH 320

typedef struct CrPreview CrPreview;

/* The branch as a gst-launch fragment that starts at "@tee." and ends in
 * an appsink named @sink, for a picture of @width x @height. (transfer
 * full) */
char *cr_preview_describe (const char *tee, const char *sink, guint width, guint height);

/* Keeps the latest JPEG that @appsink (built by cr_preview_describe, with
 * its valve @valve, named SINK_valve) delivers, under @name ("composed"
 * or a camera's NAME). (transfer full) */
CrPreview *cr_preview_new (const char *name, GstElement *appsink, GstElement *valve);
void cr_preview_free (CrPreview *preview);

const char *cr_preview_get_name (CrPreview *preview);
/* The latest picture, or NULL when there is none of the last 2 s (the
 * branch was shut: this call opens it, a picture follows within half a
 * second); @captured_us (may be NULL) is the wall-clock time it was
 * taken. Any thread. (transfer full) */
GBytes *cr_preview_get_jpeg (CrPreview *preview, gint64 *captured_us);
/* Pictures delivered since the start. */
guint64 cr_preview_get_frames (CrPreview *preview);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPreview, cr_preview_free)

G_END_DECLS
