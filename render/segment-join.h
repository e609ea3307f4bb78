/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-join.h: the renderer's first step: the segments of a session
 * inside a window, joined back to back into one Matroska file without
 * re-encoding (libavformat), as archive/export.c joins them into an MP4:
 * the parts across a pause follow each other with no gap, each part's
 * first frame placed where the previous part's last frame ends, the other
 * streams moved by the same amount. What is kept beside it is the map from
 * UTC (the time of redactions and markers) to the joined file's time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint64 joined_us;     /* where the part starts in the joined file */
  gint64 utc_us;        /* the UTC time of that first frame */
  gint64 duration_us;
} CrJoinedPart;

typedef enum {
  CR_JOINED_AAC,
  CR_JOINED_OPUS,
  CR_JOINED_FLAC,
  CR_JOINED_OTHER,
} CrJoinedAudio;

typedef struct {
  GArray *parts;        /* CrJoinedPart */
  gint64 duration_us;   /* the joined video's length */
  gint width, height;
  gint fps_num, fps_den;
  guint n_audio;        /* audio streams, in the file's order */
  CrJoinedAudio *audio_codecs;
} CrJoinedRecording;

void cr_joined_recording_clear (CrJoinedRecording *joined);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CrJoinedRecording, cr_joined_recording_clear)

/* Joins @segments (CrRenderSegment, by sequence) inside [@from_us, @to_us)
 * (0: open) into @output_path, starting at the keyframe at or before
 * @from_us. Every segment must have the first one's streams.
 * @cancelled, when not NULL, is read between packets. */
gboolean cr_segment_join (GArray *segments, gint64 from_us, gint64 to_us,
                          const char *output_path, volatile gint *cancelled,
                          CrJoinedRecording *joined, GError **error);

/* The joined time of @utc_us: inside a part, its place there; in a gap
 * between parts (a pause), where the next part starts; before the first or
 * after the last, 0 or the end. */
gint64 cr_joined_recording_map (const CrJoinedRecording *joined, gint64 utc_us);

G_END_DECLS
