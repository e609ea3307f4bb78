/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-writer.c: see segment-writer.h.
 *
 * Threads: cr_segment_writer_push() runs on the capture's streaming
 * threads (one per track); begin/end/free and every callback run on the
 * main context. writer->lock protects the routing state they all touch
 * (recording, held, session, sequence, current, previous, track_caps,
 * alive). A segment's pipeline is built on the video streaming thread at
 * the keyframe that opens it, so the first frame reaches the disk at once;
 * it is torn down on the main context when its EOS or error arrives
 * (segment-file.c). */
#include "archive/segment-writer-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "archive/segment-sink.h"
#include "config/text.h"

GST_DEBUG_CATEGORY (cr_segment_writer_debug);
#define GST_CAT_DEFAULT cr_segment_writer_debug

char *
cr_segment_writer_relative_path (const char *room_id, gint64 session_id,
                                 guint sequence, gint64 started_us)
{
  g_autoptr (GDateTime) start = g_date_time_new_from_unix_utc (started_us / G_USEC_PER_SEC);
  g_autofree char *day = g_date_time_format (start, "%Y-%m-%d");
  g_autofree char *stamp = g_date_time_format (start, "%Y%m%dT%H%M%SZ");

  return g_strdup_printf ("recordings/%s/%s_%s_s%" G_GINT64_FORMAT "_%04u.mkv",
                          day, room_id, stamp, session_id, sequence);
}

gboolean
cr_segment_writer_parse_name (const char *basename, gint64 *session_id,
                              guint *sequence, gint64 *started_us)
{
  g_auto (GStrv) parts = NULL;
  guint n;
  gint64 session;
  guint64 seq;
  char *end;

  if (!g_str_has_suffix (basename, ".mkv"))
    return FALSE;
  parts = g_strsplit (basename, "_", -1);
  n = g_strv_length (parts);
  if (n < 4 || parts[n - 2][0] != 's')
    return FALSE;
  session = g_ascii_strtoll (parts[n - 2] + 1, &end, 10);
  if (*end != '\0' || session <= 0)
    return FALSE;
  seq = g_ascii_strtoull (parts[n - 1], &end, 10);
  if (g_strcmp0 (end, ".mkv") != 0 || seq == 0 || seq > G_MAXUINT)
    return FALSE;
  {
    /* "20261127T021325Z" -> "2026-11-27T02:13:25Z" */
    const char *t = parts[n - 3];
    g_autofree char *iso = NULL;
    g_autoptr (GDateTime) when = NULL;
    if (strlen (t) != 16 || t[8] != 'T' || t[15] != 'Z')
      return FALSE;
    iso = g_strdup_printf ("%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", t, t + 4, t + 6,
                           t + 9, t + 11, t + 13);
    when = g_date_time_new_from_iso8601 (iso, NULL);
    if (when == NULL)
      return FALSE;
    *started_us = g_date_time_to_unix (when) * G_USEC_PER_SEC;
  }
  *session_id = session;
  *sequence = (guint) seq;
  return TRUE;
}

/* Sound arrives later than pictures (it waits in the mixer for the slowest
 * microphone), so when a file's picture ends its sound goes on until the
 * first sample past the boundary on each track, or this long at most (a
 * microphone that died sends nothing past it). */
#define SOUND_GRACE_US (1500 * 1000)

#define TRACKS_WAIT_US (2 * G_USEC_PER_SEC)
/* A keyframe asked for is among the next few pictures the encoder takes
 * in; when pictures taken 300 ms after the last one seen at the request
 * still come as deltas, the request went by unused (it reached the
 * encoder as it made a keyframe anyway, or the pictures it was in were
 * left out) and it is made again. Measured in the pictures' own time, not
 * the wall clock's, so that a slow encoder on a loaded machine is not
 * asked twice. */
#define KEYFRAME_RETRY_NS (300 * GST_MSECOND)
/* A picture's UTC is its capture's, to a few ms. */
#define BEFORE_RUN_TOLERANCE_US (20 * 1000)

/* Under writer->lock. */
static gboolean
all_tracks_known (CrSegmentWriter *writer)
{
  for (guint t = 1; t < writer->n_tracks; t++)
    if (writer->track_caps[t] == NULL)
      return FALSE;
  return TRUE;
}

/* Hands the previous file's sound over to its end. Under writer->lock. */
static void
retire_previous (CrSegmentWriter *writer, Segment *segment, GstClockTime boundary_rt)
{
  if (writer->previous != NULL)
    cr_segment_file_end_audio (writer->previous);
  cr_segment_file_end_track (segment, 0);
  writer->previous = segment;
  writer->boundary_rt = boundary_rt;
  writer->previous_deadline_us = g_get_monotonic_time () + SOUND_GRACE_US;
}

/* Under writer->lock. */
static void
check_previous_deadline (CrSegmentWriter *writer)
{
  if (writer->previous != NULL &&
      g_get_monotonic_time () > writer->previous_deadline_us)
    {
      cr_segment_file_end_audio (writer->previous);
      writer->previous = NULL;
    }
}

/* How far the disk lags behind capture: the media queued in front of the
 * open file's muxer, which grows while a write, a sync or the file's
 * creation waits on the disk. A stall is said past DISK_STALL_NS and over
 * once the queue is back under DISK_STALL_OVER_NS. */
#define DISK_STALL_NS (2 * GST_SECOND)
#define DISK_STALL_OVER_NS (GST_SECOND / 2)

/* Under writer->lock. */
static GstClockTime
queued_time (Segment *segment)
{
  guint64 level = 0;

  if (segment->failed || segment->sources[0] == NULL)
    return 0;
  g_object_get (segment->sources[0], "current-level-time", &level, NULL);
  return level;
}

static void
check_disk_lag (CrSegmentWriter *writer)
{
  GstClockTime lag;
  g_autofree char *path = NULL;

  g_mutex_lock (&writer->lock);
  /* Every file still being written: a file whose picture has ended may
   * still wait for the disk, and the next one's queue starts empty. */
  lag = 0;
  for (GList *l = writer->unfinished; l != NULL; l = l->next)
    lag = MAX (lag, queued_time (l->data));
  if (writer->current != NULL)
    path = g_strdup (writer->current->relative_path);
  g_mutex_unlock (&writer->lock);

  if (!writer->disk_stalled && lag > DISK_STALL_NS)
    writer->disk_stalled = TRUE;
  else if (writer->disk_stalled && lag < DISK_STALL_OVER_NS)
    writer->disk_stalled = FALSE;
  else
    return;
  GST_INFO ("disk %s: %" GST_TIME_FORMAT " queued", writer->disk_stalled ? "stalled" : "caught up",
            GST_TIME_ARGS (lag));
  if (writer->callbacks.disk_stall != NULL)
    writer->callbacks.disk_stall (writer->disk_stalled, lag / GST_USECOND, path,
                                  writer->user_data);
}

static gboolean
on_deadline_timer (gpointer user_data)
{
  CrSegmentWriter *writer = user_data;

  g_mutex_lock (&writer->lock);
  check_previous_deadline (writer);
  g_mutex_unlock (&writer->lock);
  check_disk_lag (writer);
  return G_SOURCE_CONTINUE;
}

typedef struct {
  CrSegmentWriter *writer;
  gint64 session_id;
  gint64 from_us;
  gint64 to_us;
  char *reason;
} GapNotice;

static gboolean
notify_gap (gpointer data)
{
  GapNotice *notice = data;
  CrSegmentWriter *writer = notice->writer;

  if (writer->callbacks.gap != NULL)
    writer->callbacks.gap (notice->session_id, notice->from_us, notice->to_us,
                           notice->reason, writer->user_data);
  return G_SOURCE_REMOVE;
}

static void
gap_notice_free (gpointer data)
{
  GapNotice *notice = data;
  g_free (notice->reason);
  g_free (notice);
}

static gboolean
notify_keyframe_wanted (gpointer data)
{
  CrSegmentWriter *writer = data;

  if (writer->callbacks.keyframe_wanted != NULL)
    writer->callbacks.keyframe_wanted (writer->user_data);
  return G_SOURCE_REMOVE;
}

/* The gap being crossed ends at @to_us. Under writer->lock. */
static void
end_gap (CrSegmentWriter *writer, gint64 to_us)
{
  GapNotice *notice;

  if (writer->gap_from_us == 0)
    return;
  notice = g_new0 (GapNotice, 1);
  notice->writer = writer;
  notice->session_id = writer->session_id;
  notice->from_us = writer->gap_from_us;
  notice->to_us = MAX (to_us, writer->gap_from_us);
  notice->reason = g_steal_pointer (&writer->gap_reason);
  writer->gap_from_us = 0;
  g_main_context_invoke_full (writer->context, G_PRIORITY_DEFAULT, notify_gap, notice,
                              gap_notice_free);
}

/* Whether a picture of a recording run belongs in its files (see
 * capture-continuity.h); at the start of a gap the open file ends with the
 * last picture before it. Under writer->lock. */
static gboolean
picture_in_time (CrSegmentWriter *writer, GstBuffer *buffer, GstClockTime running_time,
                 gint64 utc_us)
{
  g_autofree char *reason = NULL;
  gint64 from_us = 0;
  gboolean in_time = cr_capture_continuity_check (writer->continuity, running_time, utc_us,
                                                  &reason, &from_us);

  if (reason != NULL && writer->gap_from_us == 0 && writer->current != NULL)
    {
      GST_WARNING ("gap from %" G_GINT64_FORMAT ": %s", from_us, reason);
      writer->gap_from_us = from_us;
      writer->gap_reason = g_steal_pointer (&reason);
      writer->keyframe_asked = FALSE;
      retire_previous (writer, writer->current, writer->current->video_end_rt);
      writer->current = NULL;
      cr_capture_continuity_forget (writer->continuity);
    }
  if (!in_time)
    {
      /* A keyframe asked for to open the run's first file may be among
       * the pictures left out: once in time, another is asked for. */
      if (writer->current == NULL)
        writer->keyframe_asked = FALSE;
      return FALSE;
    }
  /* In time again: the next file starts at a keyframe, asked for now. */
  if (writer->gap_from_us != 0 && !writer->keyframe_asked &&
      GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    {
      writer->keyframe_asked = TRUE;
      writer->keyframe_asked_rt = running_time;
      g_main_context_invoke (writer->context, notify_keyframe_wanted, writer);
    }
  return TRUE;
}

void
cr_segment_writer_push (CrSegmentWriter *writer, GstSample *sample,
                        guint track, GstClockTime running_time,
                        gint64 utc_us)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);

  if (buffer == NULL || !GST_CLOCK_TIME_IS_VALID (running_time) || track >= writer->n_tracks)
    return;

  g_mutex_lock (&writer->lock);
  if (caps != NULL && (writer->track_caps[track] == NULL ||
                       !gst_caps_is_equal (caps, writer->track_caps[track])))
    gst_caps_replace (&writer->track_caps[track], caps);
  check_previous_deadline (writer);
  /* Every track has begun now: the first file need not wait for the
   * encoder's next keyframe of its own (keyframe_seconds away). */
  if (writer->tracks_awaited && all_tracks_known (writer))
    {
      writer->tracks_awaited = FALSE;
      GST_DEBUG ("every track has begun (track %u last): a keyframe asked for", track);
      g_main_context_invoke (writer->context, notify_keyframe_wanted, writer);
    }

  if (track == 0)
    {
      gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
      Segment *current = writer->current;

      writer->last_picture_rt = running_time;
      if (!writer->recording || writer->held)
        goto out;
      if (!picture_in_time (writer, buffer, running_time, utc_us))
        {
          GST_LOG ("picture at %" GST_TIME_FORMAT " not in time", GST_TIME_ARGS (running_time));
          goto out;
        }
      if (writer->current == NULL)
        GST_LOG ("picture at %" GST_TIME_FORMAT " for a new file, %s", GST_TIME_ARGS (running_time),
                 keyframe ? "a keyframe" : "a delta");
      current = writer->current;
      /* The boundary of a switch: this keyframe is the new session's first
       * picture and the old file's picture ends right before it. */
      if (writer->switch_pending && keyframe)
        {
          GST_INFO ("switch to session %" G_GINT64_FORMAT " at %" GST_TIME_FORMAT,
                    writer->switch_session_id, GST_TIME_ARGS (running_time));
          writer->switch_pending = FALSE;
          writer->session_id = writer->switch_session_id;
          writer->next_sequence = writer->switch_sequence;
          if (current != NULL)
            {
              retire_previous (writer, current, running_time);
              writer->current = current = cr_segment_file_open (writer, caps, running_time, utc_us);
              writer->keyframe_asked = FALSE;
            }
        }
      if (current == NULL || (keyframe && running_time >=
                              current->start_rt + writer->segment_duration))
        {
          if (!keyframe)
            {
              /* A file must start with a keyframe. The one asked for at the
               * run's start may have gone by unused (pictures made late at
               * start-up are not in time, see capture-continuity.h): ask
               * again, once, rather than wait keyframe_seconds for the
               * encoder's own. */
              if (current == NULL &&
                  (!writer->keyframe_asked ||
                   !GST_CLOCK_TIME_IS_VALID (writer->keyframe_asked_rt) ||
                   running_time > writer->keyframe_asked_rt + KEYFRAME_RETRY_NS))
                {
                  GST_DEBUG ("picture at %" GST_TIME_FORMAT " waits for a keyframe: asked",
                             GST_TIME_ARGS (running_time));
                  writer->keyframe_asked = TRUE;
                  writer->keyframe_asked_rt = running_time;
                  g_main_context_invoke (writer->context, notify_keyframe_wanted, writer);
                }
              goto out;
            }
          /* A keyframe still on its way when the run began (a loaded
           * encoder runs some frames behind) was taken before the clerk
           * started or resumed: in a recess, off the record. The file
           * starts at the next one, asked for at once. */
          if (current == NULL && utc_us < writer->begun_utc_us - BEFORE_RUN_TOLERANCE_US)
            {
              GST_DEBUG ("keyframe at %" GST_TIME_FORMAT " taken %.3f s before the run began",
                         GST_TIME_ARGS (running_time),
                         (writer->begun_utc_us - utc_us) / (double) G_USEC_PER_SEC);
              writer->keyframe_asked = FALSE;
              goto out;
            }
          /* Just after start-up some encoder may not have produced yet: the
           * first file waits (a keyframe or two) for every track, for up to
           * TRACKS_WAIT_US, rather than leave one out. */
          if (current == NULL && !all_tracks_known (writer) &&
              g_get_monotonic_time () - writer->begun_us < TRACKS_WAIT_US)
            {
              if (!writer->tracks_awaited)
                GST_DEBUG ("keyframe at %" GST_TIME_FORMAT " before every track began",
                           GST_TIME_ARGS (running_time));
              writer->tracks_awaited = TRUE;
              goto out;
            }
          if (current != NULL)
            retire_previous (writer, current, running_time);
          writer->current = cr_segment_file_open (writer, caps, running_time, utc_us);
          writer->keyframe_asked = FALSE;
          end_gap (writer, utc_us);
        }
      cr_segment_file_push (writer->current, sample, 0, running_time);
      cr_capture_continuity_written (writer->continuity, running_time,
                                     GST_BUFFER_DURATION_IS_VALID (buffer)
                                     ? GST_BUFFER_DURATION (buffer) : 0, utc_us);
    }
  else
    {
      /* Sound before the boundary belongs to the previous file; the first
       * sample past it on a track closes that track of the previous file. */
      if (writer->previous != NULL && running_time < writer->boundary_rt)
        cr_segment_file_push (writer->previous, sample, track, running_time);
      else
        {
          if (writer->previous != NULL)
            {
              gboolean all_ended = TRUE;
              cr_segment_file_end_track (writer->previous, track);
              for (guint t = 1; t < writer->n_tracks; t++)
                all_ended = all_ended && writer->previous->ended[t];
              if (all_ended)
                writer->previous = NULL;
            }
          if (writer->current != NULL)
            cr_segment_file_push (writer->current, sample, track, running_time);
        }
    }
out:
  g_mutex_unlock (&writer->lock);
}

/* --- control, on the main context ---------------------------------------- */

CrSegmentWriter *
cr_segment_writer_new (const char *storage_dir, const char *room_id,
                       guint segment_seconds, guint n_tracks,
                       const char *const *track_names,
                       const CrSegmentWriterCallbacks *callbacks,
                       gpointer user_data)
{
  CrSegmentWriter *writer = g_new0 (CrSegmentWriter, 1);

  writer->last_picture_rt = GST_CLOCK_TIME_NONE;
  writer->keyframe_asked_rt = GST_CLOCK_TIME_NONE;

  if (cr_segment_writer_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (cr_segment_writer_debug, "courtrec-segments", 0,
                             "courtrec segment writer");
  cr_segment_sink_register ();

  writer->storage_dir = g_strdup (storage_dir);
  writer->room_id = g_strdup (room_id);
  writer->segment_duration = segment_seconds * GST_SECOND;
  writer->n_tracks = n_tracks;
  writer->track_names = g_new0 (char *, n_tracks + 1);
  for (guint t = 0; t < n_tracks; t++)
    writer->track_names[t] = g_strdup (track_names[t]);
  writer->track_caps = g_new0 (GstCaps *, n_tracks);
  if (callbacks != NULL)
    writer->callbacks = *callbacks;
  writer->user_data = user_data;
  writer->context = g_main_context_ref_thread_default ();
  g_mutex_init (&writer->lock);
  writer->continuity = cr_capture_continuity_new ();
  writer->deadline_timer = g_timeout_source_new (250);
  g_source_set_callback (writer->deadline_timer, on_deadline_timer, writer, NULL);
  g_source_attach (writer->deadline_timer, writer->context);
  return writer;
}

void
cr_segment_writer_free (CrSegmentWriter *writer)
{
  if (writer == NULL)
    return;
  cr_segment_writer_end (writer);
  g_mutex_lock (&writer->lock);
  if (writer->previous != NULL)
    cr_segment_file_end_audio (writer->previous);
  writer->previous = NULL;
  g_mutex_unlock (&writer->lock);
  g_source_destroy (writer->deadline_timer);
  g_source_unref (writer->deadline_timer);
  cr_capture_continuity_free (writer->continuity);
  /* Segments still finishing hold a pointer to the writer: the owner waits
   * for cr_segment_writer_is_idle() before freeing (see recorder). */
  if (writer->alive != 0)
    g_warning ("%u segment(s) still being finished at shutdown", writer->alive);
  for (guint t = 0; t < writer->n_tracks; t++)
    gst_caps_replace (&writer->track_caps[t], NULL);
  g_free (writer->track_caps);
  g_strfreev (writer->track_names);
  g_main_context_unref (writer->context);
  g_mutex_clear (&writer->lock);
  g_list_free (writer->unfinished);
  g_free (writer->gap_reason);
  g_free (writer->storage_dir);
  g_free (writer->room_id);
  g_free (writer);
}

void
cr_segment_writer_begin (CrSegmentWriter *writer, gint64 session_id,
                         guint first_sequence)
{
  g_mutex_lock (&writer->lock);
  writer->recording = TRUE;
  writer->session_id = session_id;
  writer->next_sequence = first_sequence;
  writer->begun_us = g_get_monotonic_time ();
  writer->begun_utc_us = g_get_real_time ();
  cr_capture_continuity_forget (writer->continuity);
  /* The owner asks for the first keyframe as the run begins. */
  writer->keyframe_asked = TRUE;
  writer->keyframe_asked_rt = writer->last_picture_rt;
  GST_INFO ("run of session %" G_GINT64_FORMAT " begins", session_id);
  g_mutex_unlock (&writer->lock);
}

void
cr_segment_writer_switch (CrSegmentWriter *writer, gint64 session_id, guint first_sequence)
{
  g_mutex_lock (&writer->lock);
  if (!writer->recording || writer->current == NULL)
    {
      /* No file open to hand over from: the run simply goes on as the new
       * session's, from its next keyframe. */
      writer->switch_pending = FALSE;
      writer->session_id = session_id;
      writer->next_sequence = first_sequence;
      writer->recording = TRUE;
      writer->begun_utc_us = g_get_real_time ();
    }
  else
    {
      writer->switch_pending = TRUE;
      writer->switch_session_id = session_id;
      writer->switch_sequence = first_sequence;
    }
  GST_INFO ("run switches to session %" G_GINT64_FORMAT, session_id);
  g_mutex_unlock (&writer->lock);
}

guint
cr_segment_writer_next_sequence (CrSegmentWriter *writer, gint64 session_id)
{
  guint next;

  g_mutex_lock (&writer->lock);
  next = writer->session_id == session_id ? writer->next_sequence : 0;
  g_mutex_unlock (&writer->lock);
  return next;
}

void
cr_segment_writer_end (CrSegmentWriter *writer)
{
  g_mutex_lock (&writer->lock);
  GST_INFO ("run ends");
  writer->recording = FALSE;
  /* A switch not yet made ends with the run, into the new session. */
  if (writer->switch_pending)
    {
      writer->switch_pending = FALSE;
      writer->session_id = writer->switch_session_id;
      writer->next_sequence = writer->switch_sequence;
    }
  /* A gap still being crossed ends with the run. */
  end_gap (writer, g_get_real_time ());
  cr_capture_continuity_forget (writer->continuity);
  /* The picture ends now; the sound up to the same instant is still on its
   * way and follows within SOUND_GRACE_US. */
  if (writer->current != NULL)
    {
      retire_previous (writer, writer->current, writer->current->video_end_rt);
      writer->current = NULL;
    }
  g_mutex_unlock (&writer->lock);
}

void
cr_segment_writer_hold_locked (CrSegmentWriter *writer)
{
  if (!writer->held)
    GST_INFO ("held: no file is opened until released");
  writer->held = TRUE;
  /* The owner logs the time the disk was full; no gap of ours. */
  cr_capture_continuity_forget (writer->continuity);
  if (writer->current != NULL)
    {
      retire_previous (writer, writer->current, writer->current->video_end_rt);
      writer->current = NULL;
    }
}

void
cr_segment_writer_hold (CrSegmentWriter *writer)
{
  g_mutex_lock (&writer->lock);
  cr_segment_writer_hold_locked (writer);
  g_mutex_unlock (&writer->lock);
}

void
cr_segment_writer_release (CrSegmentWriter *writer)
{
  g_mutex_lock (&writer->lock);
  if (writer->held)
    GST_INFO ("released: the next keyframe opens a file");
  writer->held = FALSE;
  g_mutex_unlock (&writer->lock);
}

gboolean
cr_segment_writer_is_held (CrSegmentWriter *writer)
{
  gboolean held;

  g_mutex_lock (&writer->lock);
  held = writer->held;
  g_mutex_unlock (&writer->lock);
  return held;
}

gboolean
cr_segment_writer_is_idle (CrSegmentWriter *writer)
{
  gboolean idle;

  g_mutex_lock (&writer->lock);
  idle = writer->alive == 0;
  g_mutex_unlock (&writer->lock);
  return idle;
}
