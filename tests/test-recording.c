/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-recording.c: a real courtrecd records real encoders into real files,
 * and ffprobe/ffmpeg/sha256sum judge what it wrote. */
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "archive/segment-index.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
#define FPS 25.0

typedef struct {
  CrTestRoom *room;
} Fixture;

static void
fixture_set_up_60 (Fixture *fixture, gconstpointer data)
{
  fixture->room = cr_test_room_new (60, NULL);
  cr_test_room_start (fixture->room);
}

static void
fixture_set_up_10 (Fixture *fixture, gconstpointer data)
{
  fixture->room = cr_test_room_new (10, NULL);
  cr_test_room_start (fixture->room);
}

/* Each microphone on a track of its own, as courts record them. */
static void
fixture_set_up_10_tracks (Fixture *fixture, gconstpointer data)
{
  fixture->room = cr_test_room_new (10, "[audio]\nbitrate_kbps = 96\ntracks = mix+each\n\n"
                                        "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
                                        "[microphone witness]\nsource = test\nlabel = 证人\n\n");
  cr_test_room_start (fixture->room);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

/* --- helpers --------------------------------------------------------------- */

static CrSegmentIndex *
open_index (CrTestRoom *room)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  CrSegmentIndex *index = cr_segment_index_open (path, TRUE, &error);

  g_assert_no_error (error);
  return index;
}


static double
member_double (JsonObject *object, const char *name)
{
  const char *text = json_object_get_string_member_with_default (object, name, NULL);
  g_assert_nonnull (text);
  return g_ascii_strtod (text, NULL);
}

static JsonObject *
stream_of (JsonObject *probe, const char *type)
{
  JsonArray *streams = json_object_get_array_member (probe, "streams");

  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), type) == 0)
        return stream;
    }
  g_assert_not_reached ();
}

/* Wall-clock seconds since @start_us. */
static double
since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

static void
sleep_seconds (double seconds)
{
  g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
}

static char *
sha256sum (const char *path)
{
  const char *argv[] = { "sha256sum", path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strndup (out, 64);
}

/* ffmpeg decodes every stream of @path (-map 0: each microphone's track
 * too) without one error, and without a timestamp going back (a warning:
 * "non monotonically increasing dts"). */
static void
assert_decodes_every_stream (const char *path)
{
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "warning", "-i", path, "-map", "0",
                         "-f", "null", "-", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 0);
  if (err != NULL && (strstr (err, "monoton") != NULL || strstr (err, "rror") != NULL))
    g_error ("ffmpeg, decoding every stream of %s: %s", path, err);
  {
    const char *strict[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0",
                             "-f", "null", "-", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cr_test_run (NULL, &err, strict), ==, 0);
    if (err != NULL && *err != '\0')
      g_error ("ffmpeg, decoding every stream of %s: %s", path, err);
  }
}

/* The file plays: ffprobe reads its streams, ffmpeg decodes all of it. */
static JsonObject *
assert_plays (const char *path)
{
  g_autofree char *errors = NULL;
  JsonObject *probe = cr_test_ffprobe (path, TRUE);

  g_assert_nonnull (probe);
  if (!cr_test_ffmpeg_decodes (path, &errors))
    g_error ("ffmpeg could not decode %s: %s", path, errors);
  assert_decodes_every_stream (path);
  return probe;
}

/* --- tests ----------------------------------------------------------------- */

/* A ten-second hearing, judged by ffprobe: codecs, size, duration, frames,
 * and what the file says of itself. */
static void
test_ten_seconds (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  gint64 t0 = g_get_monotonic_time ();
  gint64 session_id = cr_test_start_session (room, "(2026) 浙1022民初123号");
  gint64 started = g_get_monotonic_time (), stop_sent, stopped;
  g_autoptr (GPtrArray) rows = NULL;
  CrSegmentRecord *row;
  g_autofree char *path = NULL;
  g_autofree char *digest = NULL;
  g_autoptr (JsonObject) probe = NULL;
  JsonObject *video, *audio, *format, *tags;
  double duration;
  gint64 frames;
  g_autofree char *identity = NULL;

  sleep_seconds (10.0 - since (t0));
  stop_sent = g_get_monotonic_time ();
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);
  stopped = g_get_monotonic_time ();

  rows = cr_test_wait_closed (room, session_id, 1);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  path = g_build_filename (room->storage_dir, row->path, NULL);
  /* Media paths never name the case. */
  g_assert_null (strstr (row->path, "浙"));
  g_assert_null (strstr (row->path, "民初"));

  probe = assert_plays (path);
  video = stream_of (probe, "video");
  audio = stream_of (probe, "audio");
  format = json_object_get_object_member (probe, "format");
  g_assert_cmpstr (json_object_get_string_member (video, "codec_name"), ==, "h264");
  g_assert_cmpstr (json_object_get_string_member (audio, "codec_name"), ==, "aac");
  g_assert_cmpint (json_object_get_int_member (video, "width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (video, "height"), ==, 180);
  g_assert_cmpint (json_object_get_int_member (audio, "channels"), ==, 2);
  /* The legal record: the mix, then a track of its own per microphone,
   * named after it (the room has one microphone, "judge"). */
  {
    JsonArray *streams = json_object_get_array_member (probe, "streams");
    JsonObject *own;
    g_assert_cmpuint (json_array_get_length (streams), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (
        json_object_get_object_member (audio, "tags"), "TITLE"), ==, "mix");
    own = json_array_get_object_element (streams, 2);
    g_assert_cmpstr (json_object_get_string_member (own, "codec_type"), ==, "audio");
    g_assert_cmpstr (json_object_get_string_member (own, "codec_name"), ==, "opus");
    g_assert_cmpstr (json_object_get_string_member (
        json_object_get_object_member (own, "tags"), "TITLE"), ==, "judge");
  }

  /* From the start to the stop, each taken between when its command was
   * sent and when it was answered (a client takes a while to start on a
   * loaded machine, more under the sanitizers), give or take 0.3 s: the
   * capture's own latency at either end. */
  duration = member_double (format, "duration");
  g_test_message ("recorded %.3f s in the file; the commands were %.3f to %.3f s apart",
                  duration, (stop_sent - started) / 1e6, (stopped - t0) / 1e6);
  g_assert_cmpfloat (duration, >=, (stop_sent - started) / 1e6 - 0.3);
  g_assert_cmpfloat (duration, <=, (stopped - t0) / 1e6 + 0.3);
  frames = g_ascii_strtoll (json_object_get_string_member (video, "nb_read_frames"), NULL, 10);
  g_assert_cmpfloat_with_epsilon (frames / FPS, duration, 0.1);
  g_assert_cmpfloat_with_epsilon (row->duration_us / 1e6, duration, 0.1);

  /* The index's hash is the file's, by an independent tool. */
  digest = sha256sum (path);
  g_assert_cmpstr (row->sha256, ==, digest);

  /* The file names its session and its UTC start. */
  tags = json_object_get_object_member (video, "tags");
  identity = g_strdup_printf ("courtrec/room:test-room/session:%" G_GINT64_FORMAT
                              "/segment:1/utc_start:", session_id);
  /* ffprobe names it "title" from the track header, "TITLE" from the tags
   * written when the file is finished: this one is finished. */
  g_assert_true (g_str_has_prefix (json_object_get_string_member (tags, "TITLE"), identity));
  {
    const char *created = json_object_get_string_member (
        json_object_get_object_member (format, "tags"), "creation_time");
    g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (created, NULL);
    g_assert_nonnull (when);
    g_assert_cmpint (ABS (g_date_time_to_unix (when) * G_USEC_PER_SEC +
                          g_date_time_get_microsecond (when) - row->started_us), <, 1000);
  }
}

typedef struct {
  const char *dir;
  char *copy;
} FirstData;

static gboolean
copied_first_data (gpointer data)
{
  FirstData *first = data;
  g_autoptr (GPtrArray) files = cr_test_find_files (first->dir, ".mkv");
  g_autofree char *contents = NULL;
  gsize length;

  if (files->len == 0 ||
      !g_file_get_contents (g_ptr_array_index (files, 0), &contents, &length, NULL) ||
      length < 1000)
    return FALSE;
  /* Snapshot what is on disk now; judged after the clock stops. */
  g_assert_true (g_file_set_contents (first->copy, contents, length, NULL));
  return TRUE;
}

/* The first frame is on disk within 0.5 s of the command (twice that
 * under the sanitizers, which CI runs beside the fuzzers on two cores). */
static void
test_first_frame_at_once (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *recordings = g_build_filename (room->storage_dir, "recordings", NULL);
  g_autofree char *copy = g_build_filename (room->dir, "first.mkv", NULL);
  FirstData first = { recordings, copy };
  gint64 t0 = g_get_monotonic_time ();
  double elapsed;
  g_autoptr (JsonObject) probe = NULL;
  gint64 frames;

  /* A courtroom in standby: capture has been running for a while. */
  sleep_seconds (1.5);
  t0 = g_get_monotonic_time ();
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/start", room->token,
                                  "{\"case\":\"" CASE_NO "\"}", NULL), ==, 200);
  g_assert_true (cr_test_wait_until (copied_first_data, &first, 2000));
  elapsed = since (t0);
  g_test_message ("first data on disk %.3f s after the command", elapsed);
  g_assert_cmpfloat (elapsed, <, 0.5 * cr_test_timing_factor ());

  probe = cr_test_ffprobe (copy, TRUE);
  g_assert_nonnull (probe);
  frames = g_ascii_strtoll (json_object_get_string_member (
      stream_of (probe, "video"), "nb_read_frames"), NULL, 10);
  g_assert_cmpint (frames, >=, 1);
}

/* Segments of segment_seconds, split at keyframes, with no gap between
 * them; pause and resume are session boundaries for the files. */
static void
test_segments_split (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  gint64 t0 = g_get_monotonic_time ();
  gint64 session_id = cr_test_start_session (room, CASE_NO);
  gint64 started = g_get_monotonic_time ();
  gint64 pause_sent, pause_done, resume_sent, resume_done, stop_sent, stop_done;
  g_autoptr (GPtrArray) rows = NULL;
  double total = 0, third, fourth;

  /* Each request takes effect somewhere between its sending and its
   * answer: on a loaded machine (a sanitized build beside other tests) a
   * client can take most of a second to start, which the bounds below
   * allow for rather than a fixed tolerance. */
  sleep_seconds (22.5 - since (t0));
  pause_sent = g_get_monotonic_time ();
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess", NULL), ==, 0);
  pause_done = g_get_monotonic_time ();
  sleep_seconds (2);
  resume_sent = g_get_monotonic_time ();
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "resume", NULL), ==, 0);
  resume_done = g_get_monotonic_time ();
  sleep_seconds (3);
  stop_sent = g_get_monotonic_time ();
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);
  stop_done = g_get_monotonic_time ();

  rows = cr_test_wait_closed (room, session_id, 4);
  g_assert_cmpuint (rows->len, ==, 4);
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = assert_plays (path);
      g_autoptr (JsonObject) first = NULL;
      const char *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v",
                             "-show_entries", "packet=flags", "-read_intervals", "%+#1",
                             "-of", "csv=p=0", path, NULL };
      g_autofree char *flags = NULL;
      double duration = member_double (json_object_get_object_member (probe, "format"),
                                       "duration");

      g_assert_cmpuint (row->sequence, ==, i + 1);
      g_test_message ("segment %u: %.3f s", row->sequence, duration);
      /* Every file opens on a keyframe. */
      g_assert_cmpint (cr_test_run (&flags, NULL, argv), ==, 0);
      g_assert_true (flags[0] == 'K');
      if (i < 2)
        {
          g_assert_cmpfloat_with_epsilon (duration, 10.0, 0.1);
          /* Back to back: the next file starts where this one ends. */
          CrSegmentRecord *next = g_ptr_array_index (rows, i + 1);
          g_assert_cmpint (ABS (next->started_us - row->started_us - row->duration_us), <, 60000);
        }
      total += duration;
    }
  /* The third file ends at the pause, 20 s after the first frame (which
   * came between the start's sending and a little after its answer); the
   * fourth runs from the resume to the stop. */
  third = ((CrSegmentRecord *) g_ptr_array_index (rows, 2))->duration_us / 1e6;
  fourth = ((CrSegmentRecord *) g_ptr_array_index (rows, 3))->duration_us / 1e6;
  g_assert_cmpfloat (third, >=, (pause_sent - started) / 1e6 - 20 - 0.35);
  g_assert_cmpfloat (third, <=, (pause_done - t0) / 1e6 - 20 + 0.35);
  g_assert_cmpfloat (fourth, >=, (stop_sent - resume_done) / 1e6 - 0.35);
  g_assert_cmpfloat (fourth, <=, (stop_done - resume_sent) / 1e6 + 0.35);
  g_assert_cmpfloat_with_epsilon (total, 20 + third + fourth, 0.5);
}

typedef struct {
  CrTestRoom *room;
} RecordingAgain;

static gboolean
is_recording_with_segment (gpointer data)
{
  CrTestRoom *room = data;
  g_autoptr (JsonObject) st = cr_test_status (room);
  return g_strcmp0 (json_object_get_string_member (st, "state"), "recording") == 0 &&
         !json_object_get_null_member (st, "segment");
}

/* kill -9 at several moments: every file plays, every stream of it
 * decodes without an error or a timestamp going back (each microphone has
 * a track of its own), at most the last second is missing before each kill
 * (before the pause, for a kill in a pause), the session goes on by itself,
 * and each gap is logged. */
static void
test_kill_and_restart (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  gint64 session_id = cr_test_start_session (room, CASE_NO);
  /* Mid-segment; on a boundary (segments of 10 s start at a keyframe,
   * every second) and just after one; at once after a restart; in a
   * pause. */
  const struct {
    double after;
    gboolean in_pause;
  } kills[] = { { 7.3, FALSE }, { 10.0, FALSE }, { 10.4, FALSE }, { 1.2, FALSE },
                { 4.0, TRUE } };
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  guint gaps = 0;
  gint64 t = g_get_monotonic_time ();

  for (guint k = 0; k < G_N_ELEMENTS (kills); k++)
    {
      gint64 expected_us;
      g_autoptr (JsonObject) st = NULL;
      gint64 last_end = 0;

      if (kills[k].in_pause)
        {
          sleep_seconds (kills[k].after - 1.0 - since (t));
          expected_us = g_get_real_time ();
          g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess",
                                           NULL), ==, 0);
          sleep_seconds (1.0);
        }
      else
        {
          sleep_seconds (kills[k].after - since (t));
          expected_us = g_get_real_time ();
        }
      g_assert_cmpint (cr_test_room_signal (room, SIGKILL, 5), !=, -1);

      /* Judge the files as the crash left them, before any restart. */
      files = cr_test_find_files (room->storage_dir, ".mkv");
      g_assert_cmpuint (files->len, >, 0);
      for (guint i = 0; i < files->len; i++)
        {
          g_autoptr (JsonObject) probe = assert_plays (g_ptr_array_index (files, i));
          JsonObject *video = stream_of (probe, "video");
          const char *created = json_object_get_string_member (
              json_object_get_object_member (json_object_get_object_member (probe, "format"),
                                             "tags"), "creation_time");
          g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (created, NULL);
          gint64 frames = g_ascii_strtoll (json_object_get_string_member (video, "nb_read_frames"),
                                           NULL, 10);
          gint64 end = g_date_time_to_unix (when) * G_USEC_PER_SEC +
                       g_date_time_get_microsecond (when) + (gint64) (frames / FPS * 1e6);
          last_end = MAX (last_end, end);
        }
      g_test_message ("kill %u (%.2f s%s): %.3f s of media missing", k, kills[k].after,
                      kills[k].in_pause ? ", in a pause" : "", (expected_us - last_end) / 1e6);
      g_assert_cmpint (expected_us - last_end, <=, G_USEC_PER_SEC);
      g_clear_pointer (&files, g_ptr_array_unref);

      cr_test_room_start (room);
      if (kills[k].in_pause)
        g_assert_cmpint (cr_test_client (room, NULL, NULL, "resume", NULL), ==, 0);
      t = g_get_monotonic_time ();
      g_assert_true (cr_test_wait_until (is_recording_with_segment, room, 5000));
      st = cr_test_status (room);
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (st, "session"),
                                                   "id"), ==, session_id);
    }

  sleep_seconds (1.0);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);
  rows = cr_test_wait_closed (room, session_id, 1);

  /* A row for every file and a file for every row, durations from the files. */
  files = cr_test_find_files (room->storage_dir, ".mkv");
  g_assert_cmpuint (files->len, ==, rows->len);
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = assert_plays (path);
      g_autofree char *digest = sha256sum (path);
      gint64 frames = g_ascii_strtoll (json_object_get_string_member (
          stream_of (probe, "video"), "nb_read_frames"), NULL, 10);

      g_assert_true (row->closed);
      g_assert_cmpstr (row->sha256, ==, digest);
      g_assert_cmpfloat_with_epsilon (row->duration_us / 1e6, frames / FPS, 0.15);
    }

  index = open_index (room);
  events = cr_segment_index_list_events (index, session_id, NULL);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      if (g_strcmp0 (event->kind_name, "gap") == 0)
        {
          g_autoptr (JsonNode) detail = json_from_string (event->detail, NULL);
          g_assert_nonnull (detail);
          g_assert_true (json_object_has_member (json_node_get_object (detail), "from"));
          gaps++;
        }
    }
  g_assert_cmpuint (gaps, ==, G_N_ELEMENTS (kills));
}

/* SIGTERM: the open segment is finished cleanly, exit 0 within 10 s, and a
 * restart resumes the session. */
static void
test_sigterm (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  gint64 session_id = cr_test_start_session (room, CASE_NO);
  gint64 t0;
  int wait_status;
  g_autoptr (GPtrArray) rows = NULL;
  CrSegmentRecord *row;
  g_autofree char *path = NULL;
  g_autofree char *digest = NULL;
  g_autoptr (JsonObject) probe = NULL;

  sleep_seconds (3);
  t0 = g_get_monotonic_time ();
  wait_status = cr_test_room_signal (room, SIGTERM, 10);
  g_assert_cmpint (wait_status, !=, -1);
  g_assert_cmpfloat (since (t0), <, 10.0);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);

  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_true (row->closed);
  path = g_build_filename (room->storage_dir, row->path, NULL);
  digest = sha256sum (path);
  g_assert_cmpstr (row->sha256, ==, digest);
  /* Finished, not cut: the header carries the duration. */
  probe = assert_plays (path);
  g_assert_cmpfloat_with_epsilon (member_double (json_object_get_object_member (probe, "format"),
                                                 "duration"), 3.0, 0.5);

  cr_test_room_start (room);
  g_assert_true (cr_test_wait_until (is_recording_with_segment, room, 5000));
}

/* Every fragment (a one-second Matroska cluster) is flushed to disk when it
 * closes: strace, attached to the running daemon, counts the fdatasync
 * calls while it records. */
static void
test_fragments_synced (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *trace = g_build_filename (room->dir, "strace.log", NULL);
  const char *pid = g_subprocess_get_identifier (room->daemon);
  const char *argv[] = { "strace", "-f", "-qq", "-y", "-e", "trace=fdatasync", "-o", trace,
                         "-p", pid, NULL };
  g_autoptr (GSubprocess) strace = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;
  guint syncs = 0;

  if (!g_file_test ("/usr/bin/strace", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("strace is not installed");
      return;
    }
  strace = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  sleep_seconds (1.0);  /* attached to every thread */
  cr_test_start_session (room, CASE_NO);
  sleep_seconds (5.2);
  g_subprocess_send_signal (strace, SIGINT);
  g_subprocess_wait (strace, NULL, NULL);

  g_file_get_contents (trace, &log, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "fdatasync(") != NULL && strstr (lines[i], ".mkv>") != NULL &&
        strstr (lines[i], "= 0") != NULL)
      syncs++;
  g_test_message ("%u fdatasync calls on the segment in 5.2 s of recording", syncs);
  /* One per closed one-second cluster, give or take the edges. */
  g_assert_cmpuint (syncs, >=, 4);
  g_assert_cmpuint (syncs, <=, 12);
}

static void
test_check_config (void)
{
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *example = cr_test_top_path ("config/courtrec.conf.example");
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, "[camera witness]\nsource = vl42:/dev/video0\n");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *good[] = { courtrecd, "-c", example, "--check-config", NULL };
  const char *bad[] = { courtrecd, "-c", room->config_path, "--check-config", NULL };
  const char *usage[] = { courtrecd, "--no-such-option", NULL };

  g_assert_cmpint (cr_test_run (&out, &err, good), ==, 0);
  g_assert_cmpint (cr_test_run (&out, &err, bad), ==, 2);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, room->config_path));
  g_assert_nonnull (strstr (err, "[camera witness]"));
  g_assert_nonnull (strstr (err, "source"));
  g_assert_nonnull (strstr (err, "vl42:/dev/video0"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_run (NULL, &err, usage), ==, 2);
  g_clear_pointer (&err, g_free);

  /* A stream whose key cannot be read would run without it: the check
   * says so, naming the stream and the file. */
  {
    g_autoptr (CrTestRoom) streaming = cr_test_room_new (
        60, "[stream portal]\nurl = rtmp://127.0.0.1:1935/live\n"
            "key_file = /nonexistent/portal.key\n");
    const char *check[] = { courtrecd, "-c", streaming->config_path, "--check-config", NULL };

    g_assert_cmpint (cr_test_run (NULL, &err, check), ==, 2);
    g_assert_nonnull (strstr (err, "[stream portal] key_file"));
    g_assert_nonnull (strstr (err, "/nonexistent/portal.key"));
  }
}


typedef struct {
  CrTestRoom *room;
  gint done;
} StatusFlood;

static gpointer
read_status (gpointer data)
{
  StatusFlood *flood = data;

  while (!g_atomic_int_get (&flood->done))
    cr_test_http (flood->room, "GET", "/api/v1/status", flood->room->token, NULL, NULL);
  return NULL;
}

/* A recess called a moment after a start or a resume, again and again, as
 * a clerk's double click does: each run's files take numbers of their own,
 * never one a file opening that moment took, so no file is put over
 * another (same number, same second: same name), and the session verifies
 * whole. Before, the number came from the index, whose row of a file just
 * opened waits for the main loop. */
static void
test_quick_pauses (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  gint64 session_id = cr_test_start_session (room, CASE_NO);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GHashTable) paths = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *out = NULL;
  GRand *rand = g_rand_new_with_seed (20261204);

  StatusFlood flood = { room, 0 };
  GThread *readers[3];

  /* Readers of status keep the main loop busy, as a console wall does,
   * which widens the moment between a file's opening on the streaming
   * thread and the main loop hearing of it. */
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    readers[i] = g_thread_new ("status-reader", read_status, &flood);
  for (guint i = 0; i < 40; i++)
    {
      g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/pause", room->token,
                                      "{\"reason\":\"recess\"}", NULL), ==, 200);
      g_usleep (g_rand_int_range (rand, 0, 20) * 1000);
      g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/session/resume", room->token,
                                      NULL, NULL), ==, 200);
      /* About a frame: the file opens at the keyframe asked for. */
      g_usleep (g_rand_int_range (rand, 20, 60) * 1000);
    }
  g_atomic_int_set (&flood.done, 1);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    g_thread_join (readers[i]);
  g_rand_free (rand);
  g_usleep (G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session_id);
  cr_test_wait_sealed (room, session_id);

  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, >=, 1);
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autofree char *errors = NULL;

      g_assert_false (g_hash_table_contains (paths, row->path));
      g_hash_table_add (paths, row->path);
      g_assert_cmpuint (row->sequence, ==, i + 1);
      if (!cr_test_ffmpeg_decodes (path, &errors))
        g_error ("%s does not decode: %s", row->path, errors);
    }
  /* Every file is what was hashed when it closed. */
  if (cr_test_client (room, &out, NULL, "verify", "--all", NULL) != 0)
    g_error ("the session does not verify: %s", out);
  g_assert_nonnull (strstr (out, "INTACT"));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/daemon/check-config", test_check_config);
  g_test_add ("/courtrec/recording/ten-seconds", Fixture, NULL,
              fixture_set_up_60, test_ten_seconds, fixture_tear_down);
  g_test_add ("/courtrec/recording/first-frame-at-once", Fixture, NULL,
              fixture_set_up_60, test_first_frame_at_once, fixture_tear_down);
  g_test_add ("/courtrec/recording/segments-split", Fixture, NULL,
              fixture_set_up_10, test_segments_split, fixture_tear_down);
  g_test_add ("/courtrec/recording/quick-pauses", Fixture, NULL,
              fixture_set_up_10, test_quick_pauses, fixture_tear_down);
  g_test_add ("/courtrec/recording/kill-9-and-restart", Fixture, NULL,
              fixture_set_up_10_tracks, test_kill_and_restart, fixture_tear_down);
  g_test_add ("/courtrec/recording/fragments-synced", Fixture, NULL,
              fixture_set_up_60, test_fragments_synced, fixture_tear_down);
  g_test_add ("/courtrec/daemon/sigterm", Fixture, NULL,
              fixture_set_up_60, test_sigterm, fixture_tear_down);
  return g_test_run ();
}
