/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-inputs.c: a courtroom's inputs and their faults, judged in the
 * recording with ffprobe and ffmpeg: an RTSP camera (a real RTSP server)
 * that dies and comes back, a microphone that goes silent, per-microphone
 * tracks in sync, layout switches. */
#include <locale.h>
#include <math.h>
#include <signal.h>

#include "archive/segment-index.h"
#include "pipelines/layout.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"

/* --- helpers ---------------------------------------------------------------- */

/* Seconds until @input is in @state, or -1 after @timeout_s. */
static double
wait_for_input (CrTestRoom *room, const char *input, const char *state, double timeout_s)
{
  gint64 t0 = g_get_monotonic_time ();

  if (!cr_test_wait_for_input (room, input, state, (guint) (timeout_s * 1000)))
    return -1;
  return (g_get_monotonic_time () - t0) / 1e6;
}

static void
sleep_seconds (double seconds)
{
  if (seconds > 0)
    g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
}

static void
stop_process (GSubprocess *process)
{
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
}

static CrSegmentRecord *
only_segment (CrTestRoom *room, gint64 session_id, CrSegmentIndex **index_out,
              GPtrArray **rows_out)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  CrSegmentIndex *index = cr_segment_index_open (path, TRUE, NULL);
  GPtrArray *rows;

  g_assert_nonnull (index);
  rows = cr_segment_index_list_segments (index, session_id, NULL);
  g_assert_cmpuint (rows->len, ==, 1);
  *index_out = index;
  *rows_out = rows;
  return g_ptr_array_index (rows, 0);
}

/* The mean luma of a region of the frame at @at seconds, and the share of
 * its pixels that are bright (text). */
static void
measure_region (const char *path, double at, const CrTileRect *rect, double *mean,
                double *bright_share)
{
  g_autofree char *crop = g_strdup_printf ("crop=%d:%d:%d:%d,format=gray", rect->width,
                                           rect->height, rect->x, rect->y);
  g_autoptr (GBytes) out = cr_test_raw_frame (path, at, crop,
                                              (gsize) rect->width * rect->height);
  gsize n;
  const guint8 *pixels = g_bytes_get_data (out, &n);
  double sum = 0;
  gsize bright = 0;

  for (gsize i = 0; i < n; i++)
    {
      sum += pixels[i];
      bright += pixels[i] > 200;
    }
  *mean = sum / n;
  *bright_share = (double) bright / n;
}

static GPtrArray *
events_of (CrSegmentIndex *index, gint64 session_id, const char *kind)
{
  g_autoptr (GPtrArray) all = cr_segment_index_list_events (index, session_id, NULL);
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < all->len; i++)
    if (g_strcmp0 (((CrEventRecord *) g_ptr_array_index (all, i))->kind_name, kind) == 0)
      g_ptr_array_add (found, g_steal_pointer (&all->pdata[i]));
  g_ptr_array_set_free_func (found, (GDestroyNotify) cr_event_record_free);
  g_ptr_array_set_free_func (all, (GDestroyNotify) cr_event_record_free);
  return found;
}

/* --- tests ------------------------------------------------------------------ */

/* An RTSP camera with its sound dies mid-recording and comes back: the
 * recording goes on without a gap, the camera's tile shows the slate
 * meanwhile, the camera is back in the picture, and the index has it all. */
static void
test_rtsp_camera_lost_and_back (void)
{
  guint16 port = cr_test_free_port ();
  g_autofree char *extra = g_strdup_printf (
      "[video]\nwidth = 640\nheight = 360\nframerate = 25\nbitrate_kbps = 500\n\n"
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n\n"
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
      "[microphone witness]\nsource = camera:witness\nlabel = 证人\n", port);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autoptr (GSubprocess) server = cr_test_rtsp_camera_new (port);
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) lost = NULL;
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GPtrArray) alarms = NULL;
  g_autoptr (JsonObject) probe = NULL;
  g_autofree char *path = NULL;
  CrSegmentRecord *row;
  CrTileRect rects[2];
  gint64 session_id, t_start, t_end;
  double t_kill, t_restart, took, mean, bright, duration;

  cr_test_room_start (room);
  g_assert_cmpfloat (wait_for_input (room, "witness", "live", 15), >=, 0);

  session_id = cr_test_start_session (room, CASE_NO);
  t_start = g_get_monotonic_time ();
  sleep_seconds (3);

  stop_process (server);
  g_clear_object (&server);
  t_kill = (g_get_monotonic_time () - t_start) / 1e6;
  took = wait_for_input (room, "witness", "lost", 5);
  g_test_message ("camera declared lost %.2f s after its server died", took);
  g_assert_cmpfloat (took, >=, 0);
  g_assert_cmpfloat (took, <, 2.0);

  sleep_seconds (4);
  server = cr_test_rtsp_camera_new (port);
  t_restart = (g_get_monotonic_time () - t_start) / 1e6;
  took = wait_for_input (room, "witness", "live", 10);
  g_test_message ("camera back in the picture %.2f s after its server returned", took);
  g_assert_cmpfloat (took, >=, 0);
  g_assert_cmpfloat (took, <, 5.0);
  sleep_seconds (3);
  t_end = g_get_monotonic_time ();
  cr_test_stop_and_wait (room, session_id);

  /* One file, no gap: as long as the hearing. */
  row = only_segment (room, session_id, &index, &rows);
  path = g_build_filename (room->storage_dir, row->path, NULL);
  probe = cr_test_ffprobe (path, FALSE);
  g_assert_nonnull (probe);
  g_assert_true (cr_test_ffmpeg_decodes (path, NULL));
  duration = g_ascii_strtod (json_object_get_string_member (
      json_object_get_object_member (probe, "format"), "duration"), NULL);
  g_assert_cmpfloat_with_epsilon (duration, (t_end - t_start) / 1e6, 0.4);

  /* The witness tile: red while up, the slate (dark, with white text) while
   * lost, red again once back. */
  cr_layout_compute (CR_LAYOUT_GRID, 2, 0, 640, 360, rects);
  /* The middle of the witness's tile: where the slate's text goes, clear of
   * the camera's label in the corner. */
  rects[1].x += rects[1].width / 8 * 2;
  rects[1].width = rects[1].width / 8 * 4;
  rects[1].y += rects[1].height / 8 * 2;
  rects[1].height = rects[1].height / 8 * 4;
  measure_region (path, 1.5, &rects[1], &mean, &bright);
  g_test_message ("before: mean %.0f, bright %.3f", mean, bright);
  g_assert_cmpfloat (mean, >, 55);
  g_assert_cmpfloat (bright, <, 0.001);
  measure_region (path, t_kill + 2.5, &rects[1], &mean, &bright);
  g_test_message ("lost: mean %.0f, bright %.3f", mean, bright);
  g_assert_cmpfloat (mean, <, 45);
  g_assert_cmpfloat (bright, >, 0.02);
  measure_region (path, duration - 1.0, &rects[1], &mean, &bright);
  g_test_message ("back: mean %.0f, bright %.3f", mean, bright);
  g_assert_cmpfloat (mean, >, 55);
  g_assert_cmpfloat (bright, <, 0.001);

  /* The index: input-lost and input-back of the witness, and an alarm. */
  lost = events_of (index, session_id, "input-lost");
  back = events_of (index, session_id, "input-back");
  alarms = events_of (index, session_id, "alarm");
  g_assert_cmpuint (lost->len, ==, 1);
  g_assert_cmpuint (back->len, ==, 1);
  g_assert_cmpuint (alarms->len, >=, 1);
  g_assert_nonnull (strstr (((CrEventRecord *) lost->pdata[0])->detail, "\"witness\""));
  g_assert_nonnull (strstr (((CrEventRecord *) back->pdata[0])->detail, "\"witness\""));
  g_assert_cmpint (((CrEventRecord *) back->pdata[0])->at_us - ((CrEventRecord *) lost->pdata[0])->at_us,
                   >, (gint64) ((t_restart - t_kill - 1.5) * G_USEC_PER_SEC));
  stop_process (server);
}

/* A camera that stalls without a word (its stream still connected, nothing
 * flowing: the server is frozen with SIGSTOP) is declared lost within 2 s,
 * and is back within 5 s of flowing again. */
static void
test_rtsp_camera_stalls (void)
{
  guint16 port = cr_test_free_port ();
  g_autofree char *extra = g_strdup_printf (
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n\n"
      "[microphone judge]\nsource = test\nlabel = 审判长\n", port);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autoptr (GSubprocess) server = cr_test_rtsp_camera_new (port);
  g_autoptr (JsonObject) st = NULL;
  double took;

  cr_test_room_start (room);
  g_assert_cmpfloat (wait_for_input (room, "witness", "live", 15), >=, 0);

  g_subprocess_send_signal (server, SIGSTOP);
  took = wait_for_input (room, "witness", "lost", 5);
  g_test_message ("stalled camera declared lost after %.2f s", took);
  g_assert_cmpfloat (took, >=, 0);
  g_assert_cmpfloat (took, <, 2.0);
  st = cr_test_status (room);
  g_assert_cmpstr (json_object_get_string_member (st, "state"), ==, "standby");
  /* Capture goes on, but a camera lost is not healthy. */
  g_assert_true (json_object_get_boolean_member (st, "capturing"));
  g_assert_true (json_object_get_boolean_member (st, "alarms_standing"));
  g_assert_false (json_object_get_boolean_member (st, "healthy"));

  g_subprocess_send_signal (server, SIGCONT);
  took = wait_for_input (room, "witness", "live", 10);
  g_test_message ("back %.2f s after it flowed again", took);
  g_assert_cmpfloat (took, >=, 0);
  g_assert_cmpfloat (took, <, 5.0);
  stop_process (server);
}

/* A camera with sound that has been dead since start-up: capture runs, the
 * recording goes on, and its silent track can never keep a file from
 * closing (it once held the whole capture pipeline in PAUSED). */
static void
test_dead_since_start (void)
{
  guint16 port = cr_test_free_port ();  /* nobody serves it */
  g_autofree char *extra = g_strdup_printf (
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n\n"
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
      "[microphone witness]\nsource = camera:witness\nlabel = 证人\n", port);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (JsonObject) probe = NULL;
  g_autofree char *path = NULL;
  gint64 session_id;

  cr_test_room_start (room);
  g_assert_cmpfloat (wait_for_input (room, "witness", "lost", 10), >=, 0);
  session_id = cr_test_start_session (room, CASE_NO);
  sleep_seconds (4);
  cr_test_stop_and_wait (room, session_id);

  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, ==, 1);
  path = g_build_filename (room->storage_dir,
                           ((CrSegmentRecord *) g_ptr_array_index (rows, 0))->path, NULL);
  probe = cr_test_ffprobe (path, FALSE);
  g_assert_nonnull (probe);
  g_assert_true (cr_test_ffmpeg_decodes (path, NULL));
  /* Picture, mix, and each microphone's own track: the witness's is there,
   * silent, as the record that nothing came from that seat. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (probe, "streams")),
                    ==, 4);
}

/* A microphone that stays silent while recording raises the alarm; one
 * that carries sound does not. Levels are in status. */
static void
test_silent_microphone_alarm (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60,
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
      "[microphone clerk]\nsource = test:silence\nlabel = 书记员\n");
  g_autoptr (JsonObject) st = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) alarms = NULL;
  g_autofree char *path = NULL;
  JsonArray *levels, *standing;
  gint64 session_id;

  /* A short alarm time for the test; the default is 120 s. */
  {
    g_autofree char *conf = NULL;
    g_autofree char *more = NULL;
    g_assert_true (g_file_get_contents (room->config_path, &conf, NULL, NULL));
    more = g_strconcat (conf, "", NULL);
    g_assert_nonnull (strstr (more, "[audio]\nbitrate_kbps = 96\n"));
    g_autofree char *edited = NULL;
    {
      g_autoptr (GString) text = g_string_new (more);
      g_string_replace (text, "[audio]\nbitrate_kbps = 96\n",
                        "[audio]\nbitrate_kbps = 96\nsilence_alarm_seconds = 2\n", 1);
      edited = g_strdup (text->str);
    }
    g_assert_true (g_file_set_contents (room->config_path, edited, -1, NULL));
  }
  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  sleep_seconds (4);

  st = cr_test_status (room);
  levels = json_object_get_array_member (st, "microphones");
  g_assert_cmpuint (json_array_get_length (levels), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (levels, 0),
                                                    "rms_dbfs"), >, -30);
  /* No sound is no number: silent. */
  g_assert_true (json_object_get_null_member (json_array_get_object_element (levels, 1),
                                              "rms_dbfs"));
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (levels, 1),
                                                 "silent"));
  g_assert_false (json_object_get_boolean_member (json_array_get_object_element (levels, 0),
                                                  "silent"));
  standing = json_object_get_array_member (st, "alarms");
  g_assert_cmpuint (json_array_get_length (standing), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (standing, 0),
                                                  "input"), ==, "clerk");
  cr_test_stop_and_wait (room, session_id);

  path = g_build_filename (room->storage_dir, "index.db", NULL);
  index = cr_segment_index_open (path, TRUE, NULL);
  alarms = events_of (index, session_id, "alarm");
  g_assert_cmpuint (alarms->len, ==, 1);
  g_assert_nonnull (strstr (((CrEventRecord *) alarms->pdata[0])->detail, "microphone-silent"));
  g_assert_nonnull (strstr (((CrEventRecord *) alarms->pdata[0])->detail, "\"clerk\""));
}

/* Onsets (s) of the marks in @path's stream @stream: frames brighter than
 * mid-grey, or 10 ms audio windows louder than -30 dBFS. */
static GArray *
onsets (const char *path, const char *stream, gboolean video)
{
  const char *filter = video ? "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-"
                             : "asetnsamples=480,astats=metadata=1:reset=1,"
                               "ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-";
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", stream,
                         video ? "-vf" : "-af", filter, "-f", "null", "-", NULL };
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *found = g_array_new (FALSE, FALSE, sizeof (double));
  double time = -1, last_mark = -10;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *pts = strstr (lines[i], "pts_time:");
      const char *value = strchr (lines[i], '=');
      if (pts != NULL)
        time = g_ascii_strtod (pts + 9, NULL);
      else if (value != NULL && time >= 0)
        {
          double v = g_ascii_strtod (value + 1, NULL);
          if ((video ? v > 128 : v > -30) && time - last_mark > 0.5)
            g_array_append_val (found, time);
          if (video ? v > 128 : v > -30)
            last_mark = time;
        }
    }
  return found;
}

static double
median_offset (GArray *a, GArray *b)
{
  g_autoptr (GArray) offsets = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < a->len; i++)
    for (guint j = 0; j < b->len; j++)
      {
        double d = g_array_index (a, double, i) - g_array_index (b, double, j);
        if (fabs (d) < 0.5)
          g_array_append_val (offsets, d);
      }
  g_assert_cmpuint (offsets->len, >=, 5);
  for (guint i = 0; i < offsets->len; i++)
    g_test_message ("  offset %+.0f ms", g_array_index (offsets, double, i) * 1000);
  for (guint i = 1; i < offsets->len; i++)
    for (guint j = i; j > 0 && g_array_index (offsets, double, j - 1) >
                                g_array_index (offsets, double, j); j--)
      {
        double t = g_array_index (offsets, double, j);
        g_array_index (offsets, double, j) = g_array_index (offsets, double, j - 1);
        g_array_index (offsets, double, j - 1) = t;
      }
  return g_array_index (offsets, double, offsets->len / 2);
}

/* The times (s) of the keyframes of @path's video, by ffprobe, and the
 * time of its last picture in @last. */
static GArray *
keyframes (const char *path, double *last)
{
  const char *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                         "packet=pts_time,flags", "-of", "csv=p=0", path, NULL };
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *found = g_array_new (FALSE, FALSE, sizeof (double));

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  *last = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      double t;

      if (lines[i][0] == '\0')
        continue;
      t = g_ascii_strtod (lines[i], NULL);
      *last = MAX (*last, t);
      if (strchr (lines[i], 'K') != NULL)
        g_array_append_val (found, t);
    }
  return found;
}

/* Keyframes every @seconds in @path, from the first (the segment's
 * start) to its last picture, none missing: as many as the file's length
 * calls for, and never fewer than @at_least (a recording long enough to
 * show the interval twice or more). The count follows the file, not the
 * time the test waited: a loaded machine may start the recording later
 * within the wait, and that is not this test's concern. */
static void
assert_keyframe_interval (const char *path, double seconds, guint at_least)
{
  double last = 0;
  g_autoptr (GArray) keys = keyframes (path, &last);
  guint expected;

  g_assert_cmpuint (keys->len, >, 0);
  expected = (guint) ((last - g_array_index (keys, double, 0) + 0.002) / seconds) + 1;
  g_test_message ("%u keyframes in %s, last picture at %.3f s", keys->len, path, last);
  g_assert_cmpuint (expected, >=, at_least);
  g_assert_cmpuint (keys->len, ==, expected);
  for (guint i = 1; i < keys->len; i++)
    {
      double gap = g_array_index (keys, double, i) - g_array_index (keys, double, i - 1);
      g_test_message ("  keyframe at %.3f s, %.3f s after the one before",
                      g_array_index (keys, double, i), gap);
      g_assert_cmpfloat_with_epsilon (gap, seconds, 0.021);
    }
}

/* A camera that flashes and a microphone that beeps at the same instants,
 * at @data frames per second: in the file, the flash and the beep (in the
 * mix and in the microphone's own track) are within a frame period (plus
 * the 10 ms of an audio window) of each other. The keyframes are [video]
 * keyframe_seconds' default, 2 s, apart. */
static void
test_tracks_in_sync (gconstpointer data)
{
  guint fps = GPOINTER_TO_UINT (data);
  g_autofree char *extra = g_strdup_printf (
      "[video]\nwidth = 320\nheight = 180\nframerate = %u\nbitrate_kbps = 500\n\n"
      "[camera judge]\nsource = test:sync\nlabel = 审判长\n\n"
      "[microphone judge]\nsource = test:sync\nlabel = 审判长\n", fps);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GArray) flashes = NULL;
  g_autoptr (GArray) mix_beeps = NULL;
  g_autoptr (GArray) own_beeps = NULL;
  g_autofree char *path = NULL;
  CrSegmentRecord *row;
  gint64 session_id;
  double video_mix, video_own, bound_early, bound_late;

  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  sleep_seconds (8);
  cr_test_stop_and_wait (room, session_id);
  row = only_segment (room, session_id, &index, &rows);
  path = g_build_filename (room->storage_dir, row->path, NULL);

  flashes = onsets (path, "0:v:0", TRUE);
  mix_beeps = onsets (path, "0:a:0", FALSE);
  own_beeps = onsets (path, "0:a:1", FALSE);
  g_test_message ("%u fps: %u flashes, %u beeps in the mix, %u in the microphone's track",
                  fps, flashes->len, mix_beeps->len, own_beeps->len);
  video_mix = median_offset (flashes, mix_beeps);
  video_own = median_offset (flashes, own_beeps);
  g_test_message ("%u fps: flash - beep: %+.0f ms (mix), %+.0f ms (own track)",
                  fps, video_mix * 1000, video_own * 1000);
  /* The flash is in the frame nearest to the instant, the beep's onset is
   * found to a 10 ms window, and the composer samples each camera once a
   * frame: the picture is exact to half a frame period either way and so
   * is this measure of it, a frame period in all (66 ms at 15 fps, 40 ms
   * at 25, 20 ms at 50), plus the window. The alignment is computed from
   * the frame rate (capture.c), not measured at one rate, so the bound
   * holds at every rate; the sanitized build, slower, gets the timing
   * factor. Sound after the picture (a negative offset) is held to what
   * broadcasters allow, EBU R37's 60 ms late (40 ms early), where that is
   * looser than a frame: each input runs in a pipeline of its own, and on
   * a loaded machine the beep of one run sits a frame later than another's
   * (-54 ms seen at 25 fps under CI's load, -10 and -27 ms in others). */
  bound_early = (MAX (1.0 / fps, 0.040) + 0.010) * cr_test_timing_factor ();
  bound_late = (MAX (1.0 / fps, 0.060) + 0.010) * cr_test_timing_factor ();
  g_assert_cmpfloat (video_mix, <=, bound_early);
  g_assert_cmpfloat (video_own, <=, bound_early);
  g_assert_cmpfloat (-video_mix, <=, bound_late);
  g_assert_cmpfloat (-video_own, <=, bound_late);
  assert_keyframe_interval (path, 2.0, 3);
}

/* [video] keyframe_seconds = 3: the recording has a keyframe every 3 s
 * (ffprobe reads the packets' key flags). */
static void
test_keyframe_interval (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60,
      "[video]\nwidth = 320\nheight = 180\nframerate = 25\nbitrate_kbps = 500\n"
      "keyframe_seconds = 3\n");
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *path = NULL;
  CrSegmentRecord *row;
  gint64 session_id;

  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  sleep_seconds (10);
  cr_test_stop_and_wait (room, session_id);
  row = only_segment (room, session_id, &index, &rows);
  path = g_build_filename (room->storage_dir, row->path, NULL);
  assert_keyframe_interval (path, 3.0, 3);
}

/* --- file sources ------------------------------------------------------------ */

/* A clip made here by ffmpeg: @seconds of testsrc2 (a picture that changes
 * every frame) at 25 fps with a 440 Hz tone, and a 660 Hz tone alone in a
 * WAV file. (transfer full) */
static char *
make_clip (CrTestRoom *room, const char *name, guint seconds, gboolean picture)
{
  g_autofree char *path = g_build_filename (room->dir, name, NULL);
  g_autofree char *video = g_strdup_printf ("testsrc2=size=320x180:rate=25:duration=%u",
                                            seconds);
  g_autofree char *tone = g_strdup_printf ("sine=frequency=%u:duration=%u",
                                           picture ? 440 : 660, seconds);
  const char *with_picture[] = { "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", video,
                                 "-f", "lavfi", "-i", tone, "-c:v", "libx264", "-preset",
                                 "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "flac",
                                 path, NULL };
  const char *sound_only[] = { "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", tone,
                               "-c:a", "pcm_s16le", path, NULL };

  g_assert_cmpint (cr_test_run (NULL, NULL, picture ? with_picture : sound_only), ==, 0);
  return g_steal_pointer (&path);
}

/* The seconds (pts) at which ffmpeg's freezedetect saw the picture of
 * @path stand still for @min_s or more, inside @rect. */
static GArray *
freezes (const char *path, const CrTileRect *rect, double min_s)
{
  g_autofree char *filter = g_strdup_printf (
      "crop=%d:%d:%d:%d,freezedetect=n=-50dB:d=%.2f,metadata=print:file=-", rect->width,
      rect->height, rect->x, rect->y, min_s);
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
                         "-vf", filter, "-f", "null", "-", NULL };
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *found = g_array_new (FALSE, FALSE, sizeof (double));

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *start = strstr (lines[i], "lavfi.freezedetect.freeze_start=");
      if (start != NULL)
        {
          double t = g_ascii_strtod (strchr (start, '=') + 1, NULL);
          g_array_append_val (found, t);
        }
    }
  return found;
}

/* The RMS level (dBFS) of each whole @window_s of @path's stream @stream. */
static GArray *
window_levels (const char *path, const char *stream, double window_s)
{
  g_autofree char *filter = g_strdup_printf (
      "aresample=48000,asetnsamples=%u,astats=metadata=1:reset=1,"
      "ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-",
      (guint) (window_s * 48000));
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", stream,
                         "-af", filter, "-f", "null", "-", NULL };
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *found = g_array_new (FALSE, FALSE, sizeof (double));

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *value = strstr (lines[i], "RMS_level=");
      if (value != NULL)
        {
          double v = g_str_has_prefix (value + 10, "-inf") ? -1000
                     : g_ascii_strtod (value + 10, NULL);
          g_array_append_val (found, v);
        }
    }
  return found;
}

typedef struct {
  CrTestRoom *room;
  guint polls;
  guint not_live;           /* polls that found an input other than live */
} LivePoll;

static gboolean
poll_inputs (gpointer data)
{
  LivePoll *poll = data;
  g_autoptr (JsonObject) st = cr_test_status (poll->room);
  JsonArray *inputs = json_object_get_array_member (st, "inputs");

  poll->polls++;
  for (guint i = 0; i < json_array_get_length (inputs); i++)
    {
      JsonObject *input = json_array_get_object_element (inputs, i);
      if (g_strcmp0 (json_object_get_string_member (input, "state"), "live") != 0)
        {
          g_test_message ("poll %u: %s is %s", poll->polls,
                          json_object_get_string_member (input, "name"),
                          json_object_get_string_member (input, "state"));
          poll->not_live++;
        }
    }
  return FALSE;
}

/* A file camera (a 4 s clip, with its sound as a microphone) and a file
 * microphone (a 3 s tone), both with loop = true, recorded for 20 s: they
 * play at their own pace and start again at their end; never lost, no
 * alarm; the picture moves all along and the sound never stops. */
static void
test_file_sources_loop (void)
{
  /* Relative paths: beside the config, in the room's directory. */
  g_autoptr (CrTestRoom) file_room = cr_test_room_new (60,
      "[camera exhibit]\nsource = file:exhibit.mkv\nloop = true\nlabel = 证据\n\n"
      "[microphone exhibit]\nsource = camera:exhibit\nlabel = 证据\n\n"
      "[microphone clerk]\nsource = file:tone.wav\nloop = true\nlabel = 书记员\n");
  g_autofree char *clip = make_clip (file_room, "exhibit.mkv", 4, TRUE);
  g_autofree char *tone = make_clip (file_room, "tone.wav", 3, FALSE);
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) lost = NULL;
  g_autoptr (GPtrArray) alarms = NULL;
  g_autoptr (GArray) stills = NULL;
  g_autofree char *path = NULL;
  LivePoll poll = { 0 };
  CrSegmentRecord *row;
  CrTileRect middle = { 320 / 4, 180 / 4, 320 / 2, 180 / 2, 0, TRUE };
  gint64 session_id;

  cr_test_room_start (file_room);
  g_assert_cmpfloat (wait_for_input (file_room, "exhibit", "live", 10), >=, 0);
  g_assert_cmpfloat (wait_for_input (file_room, "clerk", "live", 10), >=, 0);
  session_id = cr_test_start_session (file_room, CASE_NO);
  poll.room = file_room;
  for (guint i = 0; i < 20; i++)
    {
      sleep_seconds (1);
      poll_inputs (&poll);
    }
  cr_test_stop_and_wait (file_room, session_id);
  g_test_message ("%u of %u polls found an input not live", poll.not_live, poll.polls);
  g_assert_cmpuint (poll.not_live, ==, 0);

  row = only_segment (file_room, session_id, &index, &rows);
  path = g_build_filename (file_room->storage_dir, row->path, NULL);
  g_assert_true (cr_test_ffmpeg_decodes (path, NULL));
  lost = events_of (index, session_id, "input-lost");
  alarms = events_of (index, session_id, "alarm");
  g_assert_cmpuint (lost->len, ==, 0);
  g_assert_cmpuint (alarms->len, ==, 0);

  /* The picture never stands still for half a second: not across a
   * loop either. */
  stills = freezes (path, &middle, 0.5);
  for (guint i = 0; i < stills->len; i++)
    g_test_message ("the picture stood still from %.2f s", g_array_index (stills, double, i));
  g_assert_cmpuint (stills->len, ==, 0);

  /* Each microphone's own track (a:1 the camera's sound, a:2 the tone
   * file): every second of the recording carries the sound. */
  for (guint track = 1; track <= 2; track++)
    {
      g_autofree char *stream = g_strdup_printf ("0:a:%u", track);
      g_autoptr (GArray) levels = window_levels (path, stream, 1.0);
      g_assert_cmpuint (levels->len, >=, 18);
      for (guint i = 0; i + 1 < levels->len; i++)
        {
          if (g_array_index (levels, double, i) < -40)
            g_test_message ("track a:%u, second %u: %.1f dBFS", track, i,
                            g_array_index (levels, double, i));
          g_assert_cmpfloat (g_array_index (levels, double, i), >, -40);
        }
    }
}

/* A file camera without loop plays once: then it has ended, shown as a
 * slate on its tile, with no alarm and no input-lost: nothing failed. */
static void
test_file_source_ends (void)
{
  g_autoptr (CrTestRoom) file_room = cr_test_room_new (60,
      "[camera exhibit]\nsource = file:exhibit.mkv\nlabel = 证据\n\n");
  g_autofree char *clip = make_clip (file_room, "exhibit.mkv", 3, TRUE);
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) lost = NULL;
  g_autoptr (GPtrArray) alarms = NULL;
  g_autoptr (GPtrArray) ended = NULL;
  g_autoptr (JsonObject) st = NULL;
  g_autofree char *path = NULL;
  CrSegmentRecord *row;
  CrTileRect middle = { 320 / 4, 180 / 4, 320 / 2, 180 / 2, 0, TRUE };
  gint64 session_id;
  double took, mean, bright;

  cr_test_room_start (file_room);
  session_id = cr_test_start_session (file_room, CASE_NO);
  took = wait_for_input (file_room, "exhibit", "ended", 15);
  g_test_message ("the 3 s clip ended %.2f s into the recording", took);
  g_assert_cmpfloat (took, >=, 0);
  sleep_seconds (3);
  st = cr_test_status (file_room);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (st, "alarms")), ==, 0);
  g_assert_true (cr_test_wait_for_input (file_room, "exhibit", "ended", 0));
  cr_test_stop_and_wait (file_room, session_id);

  row = only_segment (file_room, session_id, &index, &rows);
  path = g_build_filename (file_room->storage_dir, row->path, NULL);
  lost = events_of (index, session_id, "input-lost");
  alarms = events_of (index, session_id, "alarm");
  g_assert_cmpuint (lost->len, ==, 0);
  g_assert_cmpuint (alarms->len, ==, 0);
  /* The record says when the exhibit's picture stopped, once. */
  ended = events_of (index, session_id, "input-ended");
  g_assert_cmpuint (ended->len, ==, 1);
  g_assert_nonnull (strstr (((CrEventRecord *) ended->pdata[0])->detail, "\"exhibit\""));
  /* The slate: dark, with its white text in the middle of the tile. */
  measure_region (path, took + 2.0, &middle, &mean, &bright);
  g_test_message ("ended: mean %.0f, bright %.3f", mean, bright);
  g_assert_cmpfloat (mean, <, 45);
  g_assert_cmpfloat (bright, >, 0.02);
}

/* Layout switches are events; an evidence layout needs an evidence camera. */
static void
test_layout_switches (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60,
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera exhibit]\nsource = test\nlabel = 证据\nrole = evidence\n");
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) layouts = NULL;
  g_autoptr (JsonObject) st = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  gint64 session_id;

  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  sleep_seconds (1.5);
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/layout", room->token,
                                  "{\"layout\":\"pip\"}", NULL), ==, 200);
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/layout", room->token,
                                  "{\"layout\":\"evidence\"}", NULL), ==, 200);
  st = cr_test_status (room);
  g_assert_cmpstr (json_object_get_string_member (st, "layout"), ==, "evidence");
  g_assert_cmpuint (cr_test_http (room, "POST", "/api/v1/layout", room->token,
                                  "{\"layout\":\"mosaic\"}", &body), ==, 400);
  g_assert_nonnull (strstr (body, "mosaic"));
  sleep_seconds (1.0);
  cr_test_stop_and_wait (room, session_id);

  path = g_build_filename (room->storage_dir, "index.db", NULL);
  index = cr_segment_index_open (path, TRUE, NULL);
  layouts = events_of (index, session_id, "layout");
  g_assert_cmpuint (layouts->len, ==, 2);
  g_assert_nonnull (strstr (((CrEventRecord *) layouts->pdata[0])->detail, "pip"));
  g_assert_nonnull (strstr (((CrEventRecord *) layouts->pdata[1])->detail, "evidence"));
}

/* A broken source is refused when courtrecd starts, naming the key. */
static void
test_broken_source_refused (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60,
      "[microphone judge]\nsource = camera:nobody\nlabel = 审判长\n");
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *err = NULL;
  const char *argv[] = { courtrecd, "-c", room->config_path, NULL };

  g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "[microphone judge]"));
  g_assert_nonnull (strstr (err, "camera:nobody"));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/inputs/rtsp-camera-lost-and-back", test_rtsp_camera_lost_and_back);
  g_test_add_func ("/courtrec/inputs/rtsp-camera-stalls", test_rtsp_camera_stalls);
  g_test_add_func ("/courtrec/inputs/dead-since-start", test_dead_since_start);
  g_test_add_func ("/courtrec/inputs/silent-microphone-alarm", test_silent_microphone_alarm);
  g_test_add_data_func ("/courtrec/inputs/tracks-in-sync/15fps", GUINT_TO_POINTER (15),
                        test_tracks_in_sync);
  g_test_add_data_func ("/courtrec/inputs/tracks-in-sync/25fps", GUINT_TO_POINTER (25),
                        test_tracks_in_sync);
  g_test_add_data_func ("/courtrec/inputs/tracks-in-sync/30fps", GUINT_TO_POINTER (30),
                        test_tracks_in_sync);
  g_test_add_data_func ("/courtrec/inputs/tracks-in-sync/50fps", GUINT_TO_POINTER (50),
                        test_tracks_in_sync);
  g_test_add_func ("/courtrec/inputs/keyframe-interval", test_keyframe_interval);
  g_test_add_func ("/courtrec/inputs/file-sources-loop", test_file_sources_loop);
  g_test_add_func ("/courtrec/inputs/file-source-ends", test_file_source_ends);
  g_test_add_func ("/courtrec/inputs/layout-switches", test_layout_switches);
  g_test_add_func ("/courtrec/inputs/broken-source-refused", test_broken_source_refused);
  return g_test_run ();
}
