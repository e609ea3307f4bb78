/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-writer-private.h: what the segment writer (segment-writer.c:
 * routing a session's media into files, keyframe to keyframe) and one
 * segment's file (segment-file.c: its pipeline built, fed, closed and
 * hashed) share. The locking rules are segment-writer.c's. */
#pragma once

#include <gst/app/gstappsrc.h>

#include "archive/capture-continuity.h"
#include "archive/segment-writer.h"

G_BEGIN_DECLS

typedef struct {
  CrSegmentWriter *writer;
  gint64 session_id;
  guint sequence;
  char *relative_path;
  char *path;
  gint64 started_us;
  GstClockTime start_rt;      /* running time of the opening keyframe */
  GstClockTime end_rt;        /* latest end of any buffer written */
  GstClockTime video_end_rt;  /* end of the last frame written */
  GstElement *pipeline;
  GstAppSrc **sources;        /* by track */
  gboolean *ended;            /* by track; a track left out is ended from the start */
  GstClockTime *last_rt;      /* by track: running time of the last buffer written */
  GstClockTime *last_end;     /* by track: ...and where it ends */
  GstBufferList **pending;    /* by track: written, not yet handed to its source */
  GstClockTime batch_rt;      /* running time of the first pending buffer */
  gboolean failed;            /* an error came: push nothing more */
  gboolean opened;            /* the sink created the file (main context only) */
  GError *error;              /* the first error, reported when closed */
  GSource *bus_source;
} Segment;

struct CrSegmentWriter {
  char *storage_dir;
  char *room_id;
  GstClockTime segment_duration;
  guint n_tracks;
  char **track_names;
  CrSegmentWriterCallbacks callbacks;
  gpointer user_data;
  GMainContext *context;

  GMutex lock;
  gboolean recording;
  gboolean held;              /* the disk is full: open no file */
  gint64 session_id;
  guint next_sequence;
  Segment *current;           /* receives video, and audio from its start on */
  Segment *previous;          /* video ended; sound until boundary_rt */
  GstClockTime boundary_rt;   /* where previous's sound ends */
  gint64 previous_deadline_us;/* ...or at this monotonic time at the latest */
  gint64 begun_us;            /* monotonic time of the last begin */
  gint64 begun_utc_us;        /* and its UTC: no picture taken before it is in the run */
  GstCaps **track_caps;       /* the latest caps seen on each track */
  GSource *deadline_timer;
  guint alive;                /* segments opened and not yet reported closed */
  GList *unfinished;          /* Segment*: started and not yet finishing */
  /* The gap being crossed (under lock). */
  CrCaptureContinuity *continuity;  /* touched under lock only */
  gint64 gap_from_us;         /* UTC where the gap began; 0 when none */
  char *gap_reason;
  gboolean keyframe_asked;    /* for the run's next file (after a gap, or at
                                 its start once pictures are in time) */
  GstClockTime keyframe_asked_rt;  /* the last picture seen when it was asked */
  GstClockTime last_picture_rt;    /* the last picture seen, recording or not */
  gboolean tracks_awaited;    /* a first keyframe went by before every track
                                 had begun: another is asked for once they have */
  /* A switch to another session asked for (cr_segment_writer_switch): the
   * next keyframe ends the open file and opens the new session's first. */
  gboolean switch_pending;
  gint64 switch_session_id;
  guint switch_sequence;
  /* Main context only: */
  gboolean disk_stalled;      /* the open file lags behind capture */
  gboolean open_failing;      /* the last file could not be created */
};

/* A new file of the writer's session, numbered next, its pipeline playing;
 * @video_caps: the picture's; @start_rt: running time of the keyframe that
 * opens it, taken at UTC @started_us. Under writer->lock, on the video
 * streaming thread. */
Segment *cr_segment_file_open (CrSegmentWriter *writer, GstCaps *video_caps,
                               GstClockTime start_rt, gint64 started_us);
void cr_segment_file_free (Segment *segment);
/* Ends @track of @segment's file (once). Under writer->lock. */
void cr_segment_file_end_track (Segment *segment, guint track);
/* Ends every track but the video. Under writer->lock. */
void cr_segment_file_end_audio (Segment *segment);
/* Writes @sample of @track at @running_time, stamped from the file's start,
 * unless it would make the track go back. Under writer->lock. */
void cr_segment_file_push (Segment *segment, GstSample *sample, guint track,
                           GstClockTime running_time);

/* The disk is full: no file is opened until released. Under writer->lock. */
void cr_segment_writer_hold_locked (CrSegmentWriter *writer);

G_END_DECLS
