/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-file.c: one segment's file, see segment-writer-private.h. Its
 * pipeline (appsrc per track, matroskamux, courtrecsegmentsink) is built on
 * the video streaming thread at the keyframe that opens it, fed under
 * writer->lock, and closed and hashed off the main loop once its EOS or
 * error comes. */
#include "archive/segment-writer-private.h"

#include <gio/gio.h>

#include "archive/digest.h"
#include "archive/media-probe.h"
#include "archive/segment-sink.h"
#include "config/text.h"

GST_DEBUG_CATEGORY_EXTERN (cr_segment_writer_debug);
#define GST_CAT_DEFAULT cr_segment_writer_debug

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

  cr_segment_file_free (segment);
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
          cr_segment_writer_hold_locked (writer);
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

Segment *
cr_segment_file_open (CrSegmentWriter *writer, GstCaps *video_caps,
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
  segment->pending = g_new0 (GstBufferList *, writer->n_tracks);
  segment->batch_rt = GST_CLOCK_TIME_NONE;
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

void
cr_segment_file_free (Segment *segment)
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
  for (guint t = 0; t < segment->writer->n_tracks; t++)
    g_clear_pointer (&segment->pending[t], gst_buffer_list_unref);
  g_free (segment->pending);
  g_free (segment->relative_path);
  g_free (segment->path);
  g_free (segment);
}

/* What was written goes to the sources in batches of BATCH_NS: each buffer
 * handed over wakes its source's thread, which for every track of one file
 * (270 buffers a second, 50 per microphone) was the largest part of what
 * courtrecd costs beyond the muxing itself. A kill loses at most the
 * batch more, far within the second a crash may cost; a cluster is made
 * durable only as the next begins anyway (segment-sink.c). */
#define BATCH_NS (100 * GST_MSECOND)

static void
hand_over (Segment *segment)
{
  for (guint t = 0; t < segment->writer->n_tracks; t++)
    if (segment->pending[t] != NULL)
      gst_app_src_push_buffer_list (segment->sources[t], g_steal_pointer (&segment->pending[t]));
  segment->batch_rt = GST_CLOCK_TIME_NONE;
}

void
cr_segment_file_end_track (Segment *segment, guint track)
{
  if (!segment->ended[track])
    {
      hand_over (segment);
      segment->ended[track] = TRUE;
      gst_app_src_end_of_stream (segment->sources[track]);
    }
}

/* Ends every track but the video. */
void
cr_segment_file_end_audio (Segment *segment)
{
  for (guint t = 1; t < segment->writer->n_tracks; t++)
    cr_segment_file_end_track (segment, t);
}

/* Sound packets are stamped by the capture clock, a few µs either way. */
#define SOUND_OVERLAP_NS GST_MSECOND

void
cr_segment_file_push (Segment *segment, GstSample *sample, guint track,
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
  if (segment->pending[track] == NULL)
    segment->pending[track] = gst_buffer_list_new ();
  gst_buffer_list_add (segment->pending[track], buffer);
  if (!GST_CLOCK_TIME_IS_VALID (segment->batch_rt))
    segment->batch_rt = running_time;
  else if (running_time >= segment->batch_rt + BATCH_NS)
    hand_over (segment);
}

