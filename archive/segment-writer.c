/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-writer.c: see segment-writer.h.
 *
 * Threads: cr_segment_writer_push() runs on the capture's streaming
 * threads (one per track); begin/end/free and every callback run on the
 * main context. writer->lock protects the routing state they all touch
 * (recording, held, session, sequence, current, previous, track_caps,
 * alive). A segment's pipeline is built on the video streaming thread at
 * the keyframe that opens it, so the first frame reaches the disk at once;
 * it is torn down on the main context when its EOS or error arrives. */
#include "archive/segment-writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>

#include "archive/capture-continuity.h"
#include "archive/digest.h"
#include "archive/media-probe.h"
#include "archive/segment-sink.h"
#include "config/text.h"

GST_DEBUG_CATEGORY_STATIC (cr_segment_writer_debug);
#define GST_CAT_DEFAULT cr_segment_writer_debug

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

static void segment_free (Segment *segment);

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

/* --- closing, on the main context --------------------------------------- */

typedef struct {
  Segment *segment;
  gint64 bytes;
  char *sha256;
  gint64 probed_duration_us;  /* of a file that failed; -1 when not probed */
} Closing;

static void
hash_file_thread (GTask *task, gpointer source, gpointer task_data,
                  GCancellable *cancellable)
{
  Closing *closing = task_data;
  GError *error = NULL;

  /* Stopping the sink closes the file: on a slow disk that waits, and it
   * must wait neither on the main loop nor on capture. */
  gst_element_set_state (closing->segment->pipeline, GST_STATE_NULL);
  closing->sha256 = cr_digest_file_sha256 (closing->segment->path,
                                           &closing->bytes, &error);
  /* A file cut short holds less than was pushed into it: its duration is
   * what it plays. */
  if (closing->sha256 != NULL && closing->segment->error != NULL &&
      !cr_media_probe_duration (closing->segment->path, &closing->probed_duration_us,
                                NULL))
    closing->probed_duration_us = 0;
  if (closing->sha256 == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
hash_file_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Closing *closing = user_data;
  Segment *segment = closing->segment;
  CrSegmentWriter *writer = segment->writer;
  g_autoptr (GError) hash_error = NULL;
  gint64 duration_us = 0;

  if (!g_task_propagate_boolean (G_TASK (result), &hash_error) && segment->error == NULL)
    segment->error = g_steal_pointer (&hash_error);

  g_mutex_lock (&writer->lock);
  /* A file is as long as its picture: the files of a session follow each
   * other back to back on the picture's keyframes. Sound stamped a little
   * ahead of the picture (see capture.c) may run a few tens of ms past the
   * last frame; it is in the file, and the next file's sound starts as
   * much later. */
  if (GST_CLOCK_TIME_IS_VALID (segment->video_end_rt) &&
      segment->video_end_rt > segment->start_rt)
    duration_us = (segment->video_end_rt - segment->start_rt) / GST_USECOND;
  else if (GST_CLOCK_TIME_IS_VALID (segment->end_rt) && segment->end_rt > segment->start_rt)
    duration_us = (segment->end_rt - segment->start_rt) / GST_USECOND;
  g_mutex_unlock (&writer->lock);
  if (closing->probed_duration_us >= 0)
    duration_us = closing->probed_duration_us;

  GST_INFO ("closed %s: %" G_GINT64_FORMAT " us, %" G_GINT64_FORMAT " bytes",
            cr_text_shown (segment->path), duration_us, closing->bytes);
  /* Counted out before the owner hears of it, so that an owner waiting for
   * the writer to be idle sees it at once. */
  g_mutex_lock (&writer->lock);
  writer->alive--;
  g_mutex_unlock (&writer->lock);

  if (!segment->opened)
    {
      if (writer->callbacks.open_failed != NULL)
        writer->callbacks.open_failed (segment->session_id, segment->sequence,
                                       segment->relative_path, segment->started_us,
                                       segment->error, writer->user_data);
    }
  else if (writer->callbacks.closed != NULL)
    writer->callbacks.closed (segment->session_id, segment->sequence,
                              segment->relative_path, duration_us, closing->bytes,
                              closing->sha256, segment->error, writer->user_data);

  segment_free (segment);
  g_free (closing->sha256);
  g_free (closing);
}

static void
segment_finish (Segment *segment)
{
  g_mutex_lock (&segment->writer->lock);
  segment->writer->unfinished = g_list_remove (segment->writer->unfinished, segment);
  g_mutex_unlock (&segment->writer->lock);

  Closing *closing = g_new0 (Closing, 1);
  g_autoptr (GTask) task = NULL;

  g_source_destroy (segment->bus_source);
  g_clear_pointer (&segment->bus_source, g_source_unref);

  /* Close and hash off the main loop: a ten-minute segment is hundreds of MB. */
  closing->segment = segment;
  closing->probed_duration_us = -1;
  task = g_task_new (NULL, NULL, hash_file_done, closing);
  g_task_set_task_data (task, closing, NULL);
  g_task_run_in_thread (task, hash_file_thread);
}

static void hold_locked (CrSegmentWriter *writer);

static gboolean
on_segment_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Segment *segment = user_data;
  CrSegmentWriter *writer = segment->writer;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (message, CR_SEGMENT_SINK_OPENED))
        {
          segment->opened = TRUE;
          if (writer->open_failing)
            g_message ("Segment files can be created again: '%s'",
                       cr_text_shown (segment->path));
          writer->open_failing = FALSE;
          GST_INFO ("opened %s", cr_text_shown (segment->path));
          if (writer->callbacks.opened != NULL)
            writer->callbacks.opened (segment->session_id, segment->sequence,
                                      segment->relative_path, segment->started_us,
                                      writer->user_data);
        }
      if (gst_message_has_name (message, CR_SEGMENT_SINK_WITHDRAWN))
        {
          segment->opened = FALSE;
          GST_INFO ("withdrew %s: no frame in it", cr_text_shown (segment->path));
          if (writer->callbacks.withdrawn != NULL)
            writer->callbacks.withdrawn (segment->session_id, segment->sequence,
                                         segment->relative_path, writer->user_data);
        }
      return G_SOURCE_CONTINUE;
    case GST_MESSAGE_EOS:
      segment_finish (segment);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *debug = NULL;
        gst_message_parse_error (message, &error, &debug);
        /* A file that cannot be created fails again at every keyframe
         * until it can: said once, and the owner raises the alarm. */
        if (segment->opened || !writer->open_failing)
          g_warning ("Segment '%s': %s", cr_text_shown (segment->path),
                     cr_text_shown (error->message));
        GST_WARNING ("%s", debug ? cr_text_shown (debug) : "");
        if (!segment->opened)
          writer->open_failing = TRUE;

        /* Stop routing samples into it; the next keyframe opens a new file
         * while recording goes on, unless the disk is full: then every
         * keyframe would open a file that fails at once. */
        g_mutex_lock (&writer->lock);
        segment->failed = TRUE;
        if (writer->current == segment)
          writer->current = NULL;
        if (writer->previous == segment)
          writer->previous = NULL;
        /* A file never created takes no number: the next one has it, and
         * the session's files stay numbered without a hole. */
        if (!segment->opened && writer->next_sequence == segment->sequence + 1)
          writer->next_sequence = segment->sequence;
        if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT))
          hold_locked (writer);
        g_mutex_unlock (&writer->lock);

        if (segment->error == NULL)
          segment->error = g_steal_pointer (&error);
        segment_finish (segment);
        return G_SOURCE_REMOVE;
      }
    default:
      return G_SOURCE_CONTINUE;
    }
}

/* --- opening and routing, on streaming threads, under writer->lock ------- */

static GstAppSrc *
make_source (const char *name)
{
  GstElement *src = gst_element_factory_make ("appsrc", name);

  /* Never block the capture thread and never drop: a stalled disk grows the
   * queue in memory (minutes of media at these bit rates) rather than
   * losing anything. */
  g_object_set (src, "format", GST_FORMAT_TIME, "is-live", FALSE,
                "block", FALSE, "max-bytes", (guint64) 512 * 1024 * 1024,
                "max-buffers", (guint64) 0, "max-time", (guint64) 0, NULL);
  return GST_APP_SRC (src);
}

static Segment *
segment_open (CrSegmentWriter *writer, GstCaps *video_caps,
              GstClockTime start_rt, gint64 started_us)
{
  Segment *segment = g_new0 (Segment, 1);
  g_autoptr (GDateTime) start_s = g_date_time_new_from_unix_utc (started_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) start = g_date_time_add (start_s, started_us % G_USEC_PER_SEC);
  g_autofree char *start_text = g_date_time_format (start, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_autofree char *identity = NULL;
  GstElement *mux, *sink;
  g_autoptr (GstBus) bus = NULL;

  segment->writer = writer;
  segment->session_id = writer->session_id;
  segment->sequence = writer->next_sequence++;
  segment->started_us = started_us;
  segment->start_rt = start_rt;
  segment->end_rt = start_rt;
  segment->relative_path = cr_segment_writer_relative_path (
      writer->room_id, segment->session_id, segment->sequence, started_us);
  /* The sink makes the directory and the file, on its own thread. */
  segment->path = g_build_filename (writer->storage_dir, segment->relative_path, NULL);

  segment->pipeline = gst_pipeline_new (NULL);
  segment->sources = g_new0 (GstAppSrc *, writer->n_tracks);
  segment->ended = g_new0 (gboolean, writer->n_tracks);
  segment->last_rt = g_new (GstClockTime, writer->n_tracks);
  segment->last_end = g_new (GstClockTime, writer->n_tracks);
  for (guint t = 0; t < writer->n_tracks; t++)
    segment->last_rt[t] = segment->last_end[t] = GST_CLOCK_TIME_NONE;
  mux = gst_element_factory_make ("matroskamux", "mux");
  sink = gst_element_factory_make ("courtrecsegmentsink", "sink");
  gst_bin_add_many (GST_BIN (segment->pipeline), mux, sink, NULL);

  /* What the file says of itself, readable without the index: the UTC time
   * of its first frame as Matroska's DateUTC, and room, session, segment and
   * that time again (to the millisecond) as the name of each track. Both
   * are in the header, so a file cut short by a crash still carries them;
   * Matroska's Tags element is only written when a file is finished.
   * matroskamux 1.22 writes that element with gst_value_serialize(), which
   * quotes and backslash-escapes any string with spaces or '=': keep to
   * letters, digits and "_-+/:." so both places read the same. */
  identity = g_strdup_printf ("courtrec/room:%s/session:%" G_GINT64_FORMAT
                              "/segment:%u/utc_start:%s", writer->room_id,
                              segment->session_id, segment->sequence, start_text);
  /* A cluster at most a second long, whatever the keyframe interval: the
   * sink makes each one durable as the next begins, so a power cut costs
   * at most the last second. */
  g_object_set (mux, "creation-time", start, "writing-app", "courtrec " COURTREC_VERSION,
                "max-cluster-duration", (gint64) GST_SECOND, NULL);
  g_object_set (sink, "location", segment->path, NULL);

  /* A track whose encoder has produced nothing yet has no place in the
   * file: the muxer would wait for it forever. The first file of a run
   * waits for every track a moment (see cr_segment_writer_push), so only a
   * track dead since start-up is left out. */
  for (guint t = 0; t < writer->n_tracks; t++)
    {
      GstCaps *caps = t == 0 ? video_caps : writer->track_caps[t];
      g_autofree char *name = g_strdup_printf ("track%u", t);

      if (caps == NULL)
        {
          segment->ended[t] = TRUE;
          g_warning ("Track %s has produced nothing: left out of '%s'",
                     cr_text_shown (writer->track_names[t]), cr_text_shown (segment->path));
          continue;
        }
      segment->sources[t] = make_source (name);
      gst_app_src_set_caps (segment->sources[t], caps);
      gst_bin_add (GST_BIN (segment->pipeline), GST_ELEMENT (segment->sources[t]));
      if (!gst_element_link_pads (GST_ELEMENT (segment->sources[t]), "src", mux,
                                  t == 0 ? "video_%u" : "audio_%u"))
        g_warning ("Could not link track %u into '%s'", t, cr_text_shown (segment->path));
    }
  if (!gst_element_link (mux, sink))
    g_warning ("Could not link the segment pipeline for '%s'", cr_text_shown (segment->path));

  bus = gst_element_get_bus (segment->pipeline);
  segment->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (segment->bus_source, G_SOURCE_FUNC (on_segment_bus_message),
                         segment, NULL);
  g_source_attach (segment->bus_source, writer->context);

  gst_element_set_state (segment->pipeline, GST_STATE_PLAYING);
  writer->alive++;
  writer->unfinished = g_list_prepend (writer->unfinished, segment);
  for (guint t = 0; t < writer->n_tracks; t++)
    {
      GstTagList *tags;
      if (segment->sources[t] == NULL)
        continue;
      tags = gst_tag_list_new (GST_TAG_TITLE, t == 0 ? identity : writer->track_names[t],
                               NULL);
      gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
      /* Queued by the source and sent ahead of its first buffer. */
      gst_element_send_event (GST_ELEMENT (segment->sources[t]), gst_event_new_tag (tags));
    }

  GST_INFO ("started %s", cr_text_shown (segment->path));
  return segment;
}

static void
segment_free (Segment *segment)
{
  if (segment == NULL)
    return;
  if (segment->bus_source != NULL)
    {
      g_source_destroy (segment->bus_source);
      g_source_unref (segment->bus_source);
    }
  if (segment->pipeline != NULL)
    {
      gst_element_set_state (segment->pipeline, GST_STATE_NULL);
      gst_object_unref (segment->pipeline);
    }
  g_clear_error (&segment->error);
  g_free (segment->sources);
  g_free (segment->ended);
  g_free (segment->last_rt);
  g_free (segment->last_end);
  g_free (segment->relative_path);
  g_free (segment->path);
  g_free (segment);
}

static void
segment_end_track (Segment *segment, guint track)
{
  if (!segment->ended[track])
    {
      segment->ended[track] = TRUE;
      gst_app_src_end_of_stream (segment->sources[track]);
    }
}

/* Ends every track but the video. */
static void
segment_end_audio (Segment *segment)
{
  for (guint t = 1; t < segment->writer->n_tracks; t++)
    segment_end_track (segment, t);
}

/* Sound packets are stamped by the capture clock, a few µs either way. */
#define SOUND_OVERLAP_NS GST_MSECOND

static void
segment_push (Segment *segment, GstSample *sample, guint track,
              GstClockTime running_time)
{
  GstBuffer *original = gst_sample_get_buffer (sample);
  GstBuffer *buffer;
  GstClockTime end;

  if (segment->failed || running_time < segment->start_rt || segment->ended[track])
    return;
  /* A buffer that does not come after the last one of its track would
   * make the file's timestamps go back, which players and ffmpeg refuse
   * ("non monotonically increasing dts"); it is dropped and traced. So is
   * a sound packet that begins inside the last one: compressed sound
   * cannot be cut, and the two would overlap. An encoder that has just
   * started stamps its first packet a few tens of ms ahead of those that
   * follow (opusenc, right after courtrecd starts: a file that begins at
   * once after a restart got both). */
  if (GST_CLOCK_TIME_IS_VALID (segment->last_rt[track]) &&
      (running_time <= segment->last_rt[track] ||
       (track != 0 && running_time + SOUND_OVERLAP_NS < segment->last_end[track])))
    {
      GST_WARNING ("track %u of %s: a buffer at %" GST_TIME_FORMAT " after one at %"
                   GST_TIME_FORMAT " to %" GST_TIME_FORMAT ": dropped", track,
                   segment->relative_path, GST_TIME_ARGS (running_time),
                   GST_TIME_ARGS (segment->last_rt[track]),
                   GST_TIME_ARGS (segment->last_end[track]));
      return;
    }
  segment->last_rt[track] = running_time;
  segment->last_end[track] = running_time + (GST_BUFFER_DURATION_IS_VALID (original)
                                             ? GST_BUFFER_DURATION (original) : 0);
  GST_LOG ("track %u of %s: %" GST_TIME_FORMAT " + %" GST_TIME_FORMAT, track,
           segment->relative_path, GST_TIME_ARGS (running_time),
           GST_TIME_ARGS (GST_BUFFER_DURATION (original)));

  /* Each file starts at zero: timestamps relative to its first keyframe.
   * The copy shares the memory; only the metadata is new. */
  buffer = gst_buffer_copy (original);
  GST_BUFFER_PTS (buffer) = running_time - segment->start_rt;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  end = running_time + (GST_BUFFER_DURATION_IS_VALID (buffer)
                        ? GST_BUFFER_DURATION (buffer) : 0);
  if (end > segment->end_rt)
    segment->end_rt = end;
  if (track == 0)
    segment->video_end_rt = end;
  gst_app_src_push_buffer (segment->sources[track], buffer);
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
    segment_end_audio (writer->previous);
  segment_end_track (segment, 0);
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
      segment_end_audio (writer->previous);
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
              writer->current = current = segment_open (writer, caps, running_time, utc_us);
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
          writer->current = segment_open (writer, caps, running_time, utc_us);
          writer->keyframe_asked = FALSE;
          end_gap (writer, utc_us);
        }
      segment_push (writer->current, sample, 0, running_time);
      cr_capture_continuity_written (writer->continuity, running_time,
                                     GST_BUFFER_DURATION_IS_VALID (buffer)
                                     ? GST_BUFFER_DURATION (buffer) : 0, utc_us);
    }
  else
    {
      /* Sound before the boundary belongs to the previous file; the first
       * sample past it on a track closes that track of the previous file. */
      if (writer->previous != NULL && running_time < writer->boundary_rt)
        segment_push (writer->previous, sample, track, running_time);
      else
        {
          if (writer->previous != NULL)
            {
              gboolean all_ended = TRUE;
              segment_end_track (writer->previous, track);
              for (guint t = 1; t < writer->n_tracks; t++)
                all_ended = all_ended && writer->previous->ended[t];
              if (all_ended)
                writer->previous = NULL;
            }
          if (writer->current != NULL)
            segment_push (writer->current, sample, track, running_time);
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
    segment_end_audio (writer->previous);
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

/* Under writer->lock. */
static void
hold_locked (CrSegmentWriter *writer)
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
  hold_locked (writer);
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
