/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-writer.h: turns the capture's encoded samples into segment files.
 *
 * Each segment is its own small pipeline (appsrc -> matroskamux ->
 * courtrecsegmentsink), fed from the capture's streaming threads without
 * ever blocking them: a slow disk can never stall capture, and a failing
 * file can never take capture down. A run of segments starts at the first
 * keyframe after cr_segment_writer_begin(); a new segment starts at the
 * first keyframe past segment_seconds; cr_segment_writer_end() closes the
 * run (session stop, pause, shutdown). Every file carries its session id
 * and UTC start time in its tags. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  /* A file was created on the disk (its name synced into the directory)
   * and holds its first keyframe. */
  void (*opened) (gint64 session_id, guint sequence, const char *relative_path,
                  gint64 started_us, gpointer user_data);
  /* A file was finished, synced and hashed; @error is set when writing it
   * failed part-way (what was written stays; at a full disk the file is cut
   * after its last whole element, and @duration_us is read from what it
   * holds). */
  void (*closed) (gint64 session_id, guint sequence, const char *relative_path,
                  gint64 duration_us, gint64 bytes, const char *sha256,
                  const GError *error, gpointer user_data);
  /* The file reported opened holds no frame after all (the disk filled
   * in its first cluster) and was removed again: it is reported as
   * open_failed next, never closed. */
  void (*withdrawn) (gint64 session_id, guint sequence, const char *relative_path,
                     gpointer user_data);
  /* A file could not be created (@error): nothing of it is on the disk
   * and it is never reported opened or closed; the next keyframe tries a
   * new file, which takes the same @sequence. The time from @started_us
   * until a file opens again is not recorded. */
  void (*open_failed) (gint64 session_id, guint sequence, const char *relative_path,
                       gint64 started_us, const GError *error, gpointer user_data);
  /* The disk fell behind capture (@stalled TRUE: more than 2 s of media
   * waits in memory for it, @lag_us of it) or caught up again. Capture
   * goes on either way; nothing is dropped. */
  void (*disk_stall) (gboolean stalled, gint64 lag_us, const char *relative_path,
                      gpointer user_data);
  /* Capture was interrupted from @from_us to @to_us (UTC) for @reason:
   * the process or the machine stopped, a pipeline stalled or the wall
   * clock jumped. The file open then ended with the last picture taken in
   * time; pictures made up afterwards are left out; the next file starts
   * at the first keyframe in time again. */
  void (*gap) (gint64 session_id, gint64 from_us, gint64 to_us, const char *reason,
               gpointer user_data);
  /* A keyframe is needed to start the next file (after a gap). */
  void (*keyframe_wanted) (gpointer user_data);
} CrSegmentWriterCallbacks;

typedef struct CrSegmentWriter CrSegmentWriter;

/* Segment files go under @storage_dir/recordings/. Track 0 is the video,
 * which decides where files start; every other track is audio. Each track
 * carries its name from @track_names (n_tracks of them; the video track's
 * name is replaced by the file's identity). Callbacks are invoked on the
 * thread-default main context of the caller. (transfer full) */
CrSegmentWriter *cr_segment_writer_new (const char *storage_dir,
                                        const char *room_id,
                                        guint segment_seconds,
                                        guint n_tracks,
                                        const char *const *track_names,
                                        const CrSegmentWriterCallbacks *callbacks,
                                        gpointer user_data);
void cr_segment_writer_free (CrSegmentWriter *writer);

/* Starts a run of segments for @session_id, the first numbered
 * @first_sequence, at the next keyframe. */
void cr_segment_writer_begin (CrSegmentWriter *writer, gint64 session_id,
                              guint first_sequence);
/* Hands the run over to @session_id without a gap: the next keyframe
 * ends the open file (its picture ends right before that keyframe) and
 * opens the first of @session_id, numbered @first_sequence, with it.
 * Without an open file the run just goes on as @session_id's. A pause or
 * end before that keyframe ends the run as @session_id's. */
void cr_segment_writer_switch (CrSegmentWriter *writer, gint64 session_id,
                               guint first_sequence);
/* Ends the run: the open segment is finished. */
void cr_segment_writer_end (CrSegmentWriter *writer);
/* The number the next file of @session_id's run would take: one past every
 * file handed out, those whose opening the owner has not heard of yet
 * included (a pause a moment after a start); 0 when the run is another
 * session's. Any thread. */
guint cr_segment_writer_next_sequence (CrSegmentWriter *writer, gint64 session_id);
/* Holding: no file is opened while the disk is full. A segment that fails
 * with GST_RESOURCE_ERROR_NO_SPACE_LEFT holds the writer by itself (before
 * the next keyframe could open another file that fails at once); hold()
 * also finishes the open segment. The run goes on where it was: after
 * release() the next keyframe opens the next file of the same session, in
 * sequence. */
void cr_segment_writer_hold (CrSegmentWriter *writer);
void cr_segment_writer_release (CrSegmentWriter *writer);
gboolean cr_segment_writer_is_held (CrSegmentWriter *writer);

/* TRUE when no segment file is open or still being finished. */
gboolean cr_segment_writer_is_idle (CrSegmentWriter *writer);

/* From the capture's streaming threads: one encoded sample of @track. */
void cr_segment_writer_push (CrSegmentWriter *writer, GstSample *sample,
                             guint track, GstClockTime running_time,
                             gint64 utc_us);

/* "recordings/2026-11-27/ROOM_20261127T021325Z_s12_0003.mkv": sorts by
 * time, and names no case. (transfer full) */
char *cr_segment_writer_relative_path (const char *room_id, gint64 session_id,
                                       guint sequence, gint64 started_us);
/* Parses a name made by cr_segment_writer_relative_path; @started_us to
 * the second. */
gboolean cr_segment_writer_parse_name (const char *basename, gint64 *session_id,
                                       guint *sequence, gint64 *started_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSegmentWriter, cr_segment_writer_free)

G_END_DECLS
