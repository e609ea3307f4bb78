/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-render.c: a real courtrecd records a short session (two
 * microphones, a pause between two parts); the renderer makes derived
 * copies of it through the render queue and the `courtrec render` verb,
 * and ffprobe, ffmpeg, sha256sum and tesseract judge them as a lawyer and
 * a privacy reviewer would: the tracks are named, the markers are
 * chapters, the watermark reads, the mute is silent only where asked, the
 * blur covers only its rectangle and span, a cut shortens the copy, a bad
 * job file is refused naming its field, a killed render leaves no copy. */
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "archive/segment-index.h"
#include "archive/utc.h"
#include "config/config.h"
#include "render/render-job.h"
#include "render/render-queue.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初321号"
#define NAME "张三"
#define WATERMARK NAME " · 授权 G12 · 2026-12-03"
#define WIDTH 640
#define HEIGHT 360

typedef struct {
  CrTestRoom *room;
  gint64 session_id;
  GPtrArray *segments;   /* CrSegmentRecord */
  gint64 t0;             /* UTC of the first frame */
  char *dir;             /* the copies go here */
} Recording;

static Recording *recording;

static const CrSegmentRecord *
segment (guint i)
{
  return g_ptr_array_index (recording->segments, i);
}

/* About 6 s, a pause of 1.5 s, about 3 s more. */
static Recording *
get_recording (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autofree char *index_path = NULL;

  if (recording != NULL)
    return recording;
  recording = g_new0 (Recording, 1);
  recording->room = cr_test_room_new (
      30, "[video]\nwidth = 640\nheight = 360\nframerate = 25\nbitrate_kbps = 800\n"
          "keyframe_seconds = 1\n\n[audio]\ntracks = mix+each\n\n"
          "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
          "[microphone clerk]\nsource = test\nlabel = 书记员\n\n");
  cr_test_room_start (recording->room);
  recording->session_id = cr_test_start_session (recording->room, CASE_NO);
  g_usleep (6 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (recording->room, NULL, NULL, "pause", "--reason", "recess",
                                   NULL), ==, 0);
  g_usleep (1500 * 1000);
  g_assert_cmpint (cr_test_client (recording->room, NULL, NULL, "resume", NULL), ==, 0);
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (recording->room, recording->session_id);
  g_assert_cmpint (cr_test_room_signal (recording->room, SIGTERM, 10), !=, -1);

  recording->segments = cr_test_segments (recording->room, recording->session_id);
  g_assert_cmpuint (recording->segments->len, ==, 2);
  recording->t0 = segment (0)->started_us;
  recording->dir = g_build_filename (recording->room->dir, "copies", NULL);
  return recording;
}

static void
recording_free (void)
{
  if (recording == NULL)
    return;
  g_clear_pointer (&recording->segments, g_ptr_array_unref);
  g_clear_pointer (&recording->room, cr_test_room_free);
  g_free (recording->dir);
  g_free (recording);
}

/* A job over the whole recording: the daemon's, as access would build it. */
static CrRenderJob *
new_job (const char *name)
{
  CrRenderJob *job = cr_render_job_new ();

  job->output_dir = g_build_filename (recording->dir, name, NULL);
  for (guint i = 0; i < recording->segments->len; i++)
    {
      g_autofree char *path = g_build_filename (recording->room->storage_dir,
                                                segment (i)->path, NULL);
      cr_render_job_add_segment (job, path, segment (i)->started_us, segment (i)->duration_us);
    }
  cr_render_job_add_track (job, "mix", "混音 / Mix");
  cr_render_job_add_track (job, "judge", "审判长");
  cr_render_job_add_track (job, "clerk", "书记员");
  return job;
}

static char *
save_job (const CrRenderJob *job, const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s.json", name);
  char *path = g_build_filename (recording->room->dir, file, NULL);
  g_autoptr (GError) error = NULL;

  cr_render_job_save (job, path, &error);
  g_assert_no_error (error);
  return path;
}

static void
add_redaction (CrRenderJob *job, CrRedactionKind kind, const char *track, gint64 from_s_ms,
               gint64 to_s_ms, gint x, gint y, gint w, gint h)
{
  CrRedaction r = { kind, (char *) track, x, y, w, h,
                    recording->t0 + from_s_ms * 1000, recording->t0 + to_s_ms * 1000,
                    (char *) "保护未成年人", (char *) "审判长 李四" };
  cr_render_job_add_redaction (job, &r);
}

static double
probe_duration (const char *path)
{
  g_autoptr (JsonObject) probe = cr_test_ffprobe (path, FALSE);

  g_assert_nonnull (probe);
  return g_ascii_strtod (json_object_get_string_member (
      json_object_get_object_member (probe, "format"), "duration"), NULL);
}

/* The recording's length as the joined copy has it: the parts back to back. */
static double
recorded_seconds (void)
{
  double total = 0;

  for (guint i = 0; i < recording->segments->len; i++)
    total += segment (i)->duration_us / 1e6;
  return total;
}

/* ffmpeg -ss @at -i @path, one frame, cropped, as gray bytes. */
static GBytes *
gray_frame (const char *path, double at, gint x, gint y, gint w, gint h)
{
  g_autofree char *vf = g_strdup_printf ("crop=%d:%d:%d:%d,format=gray", w, h, x, y);

  return cr_test_raw_frame (path, at, vf, (gsize) w * h);
}

static double
mean_difference (GBytes *a, GBytes *b)
{
  gsize n = g_bytes_get_size (a);
  const guint8 *x = g_bytes_get_data (a, NULL), *y = g_bytes_get_data (b, NULL);
  double sum = 0;

  g_assert_cmpuint (n, ==, g_bytes_get_size (b));
  for (gsize i = 0; i < n; i++)
    sum += fabs ((double) x[i] - y[i]);
  return sum / n;
}

/* The max_volume of audio stream @stream between @from and @to s, in dB. */
static double
max_volume (const char *path, guint stream, double from, double to)
{
  g_autofree char *map = g_strdup_printf ("0:a:%u", stream);
  g_autofree char *ss = g_strdup_printf ("%.3f", from);
  g_autofree char *t = g_strdup_printf ("%.3f", to - from);
  const char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-ss", ss, "-t", t, "-i", path,
                         "-map", map, "-af", "volumedetect", "-f", "null", "-", NULL };
  g_autofree char *err = NULL;
  const char *at;

  g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 0);
  at = strstr (err, "max_volume: ");
  g_assert_nonnull (at);
  return g_ascii_strtod (at + strlen ("max_volume: "), NULL);
}

static char *
sha256sum (const char *path)
{
  const char *argv[] = { "sha256sum", path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strndup (out, 64);
}

/* --- the copy of a grant: through the queue ----------------------------------- */

typedef struct {
  guint progress_calls;
  double last_fraction;
  gboolean done;
  gboolean ok;
  char *sha256;
  gint64 bytes, duration_us;
  char *error_message;
} Outcome;

static void
on_progress (double fraction, gpointer data)
{
  Outcome *outcome = data;

  g_assert_cmpfloat (fraction, >=, outcome->last_fraction);
  outcome->last_fraction = fraction;
  outcome->progress_calls++;
}

static void
on_done (gboolean ok, const char *sha256, gint64 bytes, gint64 duration_us,
         const char *error_message, gpointer data)
{
  Outcome *outcome = data;

  g_assert_false (outcome->done);
  outcome->done = TRUE;
  outcome->ok = ok;
  outcome->sha256 = g_strdup (sha256);
  outcome->bytes = bytes;
  outcome->duration_us = duration_us;
  outcome->error_message = g_strdup (error_message);
}

static gboolean
is_done (gpointer data)
{
  return ((Outcome *) data)->done;
}

static gboolean
has_progress (gpointer data)
{
  return ((Outcome *) data)->progress_calls > 0;
}

static CrRenderQueue *
new_queue (void)
{
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  return cr_render_queue_new (courtrec);
}

static const char *
stream_tag (JsonObject *stream, const char *name)
{
  JsonObject *tags = json_object_get_object_member (stream, "tags");
  return tags != NULL ? json_object_get_string_member_with_default (tags, name, NULL) : NULL;
}

static void
check_tracks_and_chapters (const char *mp4)
{
  const char *argv[] = { "ffprobe", "-v", "error", "-show_streams", "-show_chapters",
                         "-of", "json", mp4, NULL };
  static const char *const titles[] = { "混音 / Mix", "审判长", "书记员" };
  g_autofree char *out = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *probe;
  JsonArray *streams, *chapters;
  guint audio = 0, video = 0;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  probe = json_node_get_object (json_parser_get_root (parser));
  streams = json_object_get_array_member (probe, "streams");
  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      const char *type = json_object_get_string_member (stream, "codec_type");
      JsonObject *disposition = json_object_get_object_member (stream, "disposition");

      if (g_str_equal (type, "video"))
        {
          g_assert_cmpstr (json_object_get_string_member (stream, "codec_name"), ==, "h264");
          g_assert_cmpint (json_object_get_int_member (stream, "width"), ==, WIDTH);
          video++;
        }
      else if (g_str_equal (type, "audio"))
        {
          g_assert_cmpuint (audio, <, G_N_ELEMENTS (titles));
          g_assert_cmpstr (json_object_get_string_member (stream, "codec_name"), ==, "aac");
          g_assert_cmpstr (stream_tag (stream, "handler_name"), ==, titles[audio]);
          g_assert_cmpstr (stream_tag (stream, "language"), ==, "zho");
          /* The mix, and only the mix, plays by default. */
          g_assert_cmpint (json_object_get_int_member (disposition, "default"), ==,
                           audio == 0);
          audio++;
        }
    }
  g_assert_cmpuint (video, ==, 1);
  g_assert_cmpuint (audio, ==, 3);
  chapters = json_object_get_array_member (probe, "chapters");
  g_assert_cmpuint (json_array_get_length (chapters), ==, 2);
  g_assert_cmpstr (stream_tag (json_array_get_object_element (chapters, 0), "title"), ==, "开庭");
  g_assert_cmpstr (stream_tag (json_array_get_object_element (chapters, 1), "title"), ==,
                   "举证质证");
  /* The second marker is 1 s into the second part: after the first part,
   * the pause gone. */
  g_assert_cmpfloat_with_epsilon (
      g_ascii_strtod (json_object_get_string_member (
          json_array_get_object_element (chapters, 1), "start_time"), NULL),
      segment (0)->duration_us / 1e6 + 1.0, 0.15);
}

static gboolean
ocr_reads_name (const char *mp4, double at)
{
  g_autofree char *png = g_build_filename (recording->room->dir, "frame.png", NULL);
  g_autofree char *ss = g_strdup_printf ("%.3f", at);
  const char *extract[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", ss, "-i", mp4,
                            "-frames:v", "1", png, NULL };
  const char *ocr[] = { "tesseract", png, "-", "-l", "chi_sim+eng", NULL };
  g_autofree char *text = NULL;
  g_autofree char *squeezed = NULL;

  g_assert_cmpint (cr_test_run (NULL, NULL, extract), ==, 0);
  g_assert_cmpint (cr_test_run (&text, NULL, ocr), ==, 0);
  /* tesseract puts spaces between CJK characters. */
  squeezed = g_strdelimit (g_strdup (text), " ", '\x01');
  {
    GString *s = g_string_new (NULL);
    for (const char *c = squeezed; *c; c++)
      if (*c != '\x01')
        g_string_append_c (s, *c);
    g_free (squeezed);
    squeezed = g_string_free (s, FALSE);
  }
  g_test_message ("OCR at %.1f s: %s", at, text);
  return strstr (squeezed, NAME) != NULL;
}

static void
test_grant_copy (void)
{
  g_autoptr (CrRenderJob) job = NULL;
  g_autoptr (CrRenderQueue) queue = new_queue ();
  g_autofree char *job_path = NULL;
  g_autofree char *mp4 = NULL, *hls = NULL, *chapters = NULL, *sum = NULL;
  g_autofree char *chapters_text = NULL, *playlist = NULL;
  g_autofree char *original = NULL;
  g_autoptr (JsonObject) hls_probe = NULL;
  g_autoptr (GBytes) copy_frame = NULL, original_frame = NULL;
  Outcome outcome = { 0 };
  double recorded;
  guint read = 0;

  get_recording ();
  job = new_job ("G12/S1");
  job->watermark = g_strdup (WATERMARK);
  job->title = g_strdup (CASE_NO);
  /* The judge's microphone muted from 1.5 s to 3.5 s. */
  add_redaction (job, CR_REDACTION_MUTE, "judge", 1500, 3500, 0, 0, 0, 0);
  cr_render_job_add_marker (job, recording->t0 + 1000 * 1000, "开庭");
  cr_render_job_add_marker (job, segment (1)->started_us + 1000 * 1000, "举证质证");
  job_path = save_job (job, "grant");

  g_assert_cmpuint (cr_render_queue_submit (queue, job_path, on_progress, on_done, &outcome),
                    >, 0);
  g_assert_cmpuint (cr_render_queue_length (queue), ==, 1);
  g_assert_true (cr_test_wait_until (is_done, &outcome, 40000 * cr_test_timing_factor ()));
  g_assert_cmpstr (outcome.error_message, ==, NULL);
  g_assert_true (outcome.ok);
  g_assert_cmpuint (outcome.progress_calls, >=, 2);
  g_assert_cmpfloat (outcome.last_fraction, ==, 1.0);
  g_assert_cmpuint (cr_render_queue_length (queue), ==, 0);

  mp4 = g_build_filename (job->output_dir, "copy.mp4", NULL);
  sum = sha256sum (mp4);
  g_assert_cmpstr (outcome.sha256, ==, sum);
  {
    GStatBuf st;
    g_assert_cmpint (g_stat (mp4, &st), ==, 0);
    g_assert_cmpint (outcome.bytes, ==, st.st_size);
    /* Closed to other users. */
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
  }
  g_assert_false (g_file_test (job_path, G_FILE_TEST_IS_DIR));
  {
    g_autofree char *partial = g_strconcat (job->output_dir, ".partial", NULL);
    g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  }
  g_assert_true (cr_test_ffmpeg_decodes (mp4, NULL));
  recorded = recorded_seconds ();
  g_assert_cmpfloat_with_epsilon (probe_duration (mp4), recorded, 0.3);
  g_assert_cmpfloat_with_epsilon (outcome.duration_us / 1e6, recorded, 0.3);
  check_tracks_and_chapters (mp4);

  /* chapters.json, in the copy's time. */
  chapters = g_build_filename (job->output_dir, "chapters.json", NULL);
  g_assert_true (g_file_get_contents (chapters, &chapters_text, NULL, NULL));
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonArray *list;

    g_assert_true (json_parser_load_from_data (parser, chapters_text, -1, NULL));
    list = json_node_get_array (json_parser_get_root (parser));
    g_assert_cmpuint (json_array_get_length (list), ==, 2);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (
        json_array_get_object_element (list, 0), "offset"), 1.0, 0.15);
    g_assert_cmpstr (json_object_get_string_member (
        json_array_get_object_element (list, 1), "text"), ==, "举证质证");
  }

  /* HLS: a VOD playlist of video and the mix. */
  hls = g_build_filename (job->output_dir, "hls", "index.m3u8", NULL);
  g_assert_true (g_file_get_contents (hls, &playlist, NULL, NULL));
  g_assert_nonnull (strstr (playlist, "#EXT-X-PLAYLIST-TYPE:VOD"));
  g_assert_nonnull (strstr (playlist, "#EXT-X-ENDLIST"));
  hls_probe = cr_test_ffprobe (hls, FALSE);
  g_assert_nonnull (hls_probe);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (hls_probe, "streams")),
                    ==, 2);
  g_assert_cmpfloat_with_epsilon (probe_duration (hls), recorded, 0.5);

  /* The mute: the judge's track and the mix silent in the span, the
   * clerk's not; all of them sound outside it. */
  g_assert_cmpfloat (max_volume (mp4, 1, 1.7, 3.3), <, -80);
  g_assert_cmpfloat (max_volume (mp4, 0, 1.7, 3.3), <, -80);
  g_assert_cmpfloat (max_volume (mp4, 2, 1.7, 3.3), >, -40);
  g_assert_cmpfloat (max_volume (mp4, 1, 4.0, 5.5), >, -40);
  g_assert_cmpfloat (max_volume (mp4, 0, 4.0, 5.5), >, -40);

  /* The watermark: the picture differs from the recording, and OCR reads
   * the name at several moments (it moves). */
  original = g_build_filename (recording->room->storage_dir, segment (0)->path, NULL);
  copy_frame = gray_frame (mp4, 2.0, 0, 0, WIDTH, HEIGHT);
  original_frame = gray_frame (original, 2.0, 0, 0, WIDTH, HEIGHT);
  g_assert_cmpfloat (mean_difference (copy_frame, original_frame), >, 2.0);
  for (double at = 1.0; at < 8.0; at += 2.0)
    read += ocr_reads_name (mp4, at);
  g_assert_cmpuint (read, >=, 3);

  g_free (outcome.sha256);
  g_free (outcome.error_message);
}

/* --- a published copy: cut and blur, by the verb, killed once ------------------ */

static GSubprocess *
spawn_render (const char *job_path, GDataInputStream **out)
{
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, courtrec, "render", job_path, NULL);
  g_assert_no_error (error);
  *out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  return process;
}

static void
test_cut_blur_killed (void)
{
  g_autoptr (CrRenderJob) job = NULL;
  g_autofree char *job_path = NULL, *partial = NULL, *mp4 = NULL, *original = NULL;
  g_autofree char *line = NULL, *out = NULL, *chapters_text = NULL, *chapters = NULL;
  g_autoptr (GSubprocess) killed = NULL;
  g_autoptr (GDataInputStream) stdout_lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in_span = NULL, in_span_original = NULL;
  g_autoptr (GBytes) outside = NULL, outside_original = NULL;
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  const char *argv[] = { courtrec, "render", NULL, NULL };
  double recorded;

  get_recording ();
  job = new_job ("P7");
  /* Blur the left half from 1 s to 2 s; cut 3 s to 5 s (the copy is 2 s
   * shorter, and what follows moves back by 2 s). */
  add_redaction (job, CR_REDACTION_BLUR, NULL, 1000, 2000, 0, 0, WIDTH / 2, HEIGHT);
  add_redaction (job, CR_REDACTION_CUT, NULL, 3000, 5000, 0, 0, 0, 0);
  cr_render_job_add_marker (job, recording->t0 + 4000 * 1000, "被剪去的");
  cr_render_job_add_marker (job, recording->t0 + 5500 * 1000, "剪后");
  job_path = save_job (job, "publication");
  partial = g_strconcat (job->output_dir, ".partial", NULL);

  /* Killed once it is under way: no copy, only the .partial. */
  killed = spawn_render (job_path, &stdout_lines);
  line = g_data_input_stream_read_line_utf8 (stdout_lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "progress "));
  g_subprocess_force_exit (killed);
  g_subprocess_wait (killed, NULL, NULL);
  g_assert_false (g_file_test (job->output_dir, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (partial, G_FILE_TEST_IS_DIR));

  /* The next render of the same copy removes it and finishes. */
  argv[2] = job_path;
  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_assert_nonnull (strstr (out, "\ndone {\"sha256\":\""));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  mp4 = g_build_filename (job->output_dir, "copy.mp4", NULL);
  recorded = recorded_seconds ();
  g_assert_cmpfloat_with_epsilon (probe_duration (mp4), recorded - 2.0, 0.3);
  /* A second render of a copy that exists is refused. */
  g_assert_cmpint (cr_test_run (NULL, NULL, argv), ==, 1);

  /* The marker in the cut is gone; the one after it moved back by 2 s. */
  chapters = g_build_filename (job->output_dir, "chapters.json", NULL);
  g_assert_true (g_file_get_contents (chapters, &chapters_text, NULL, NULL));
  g_assert_null (strstr (chapters_text, "被剪去的"));
  g_assert_nonnull (strstr (chapters_text, "剪后"));
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonArray *list;

    g_assert_true (json_parser_load_from_data (parser, chapters_text, -1, NULL));
    list = json_node_get_array (json_parser_get_root (parser));
    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (
        json_array_get_object_element (list, 0), "offset"), 3.5, 0.15);
  }

  /* The blur: the rectangle differs from the recording in its span, the
   * other half does not, and outside the span neither does. The copy's
   * time before the cut is the recording's. */
  original = g_build_filename (recording->room->storage_dir, segment (0)->path, NULL);
  in_span = gray_frame (mp4, 1.5, 0, 0, WIDTH / 2, HEIGHT);
  in_span_original = gray_frame (original, 1.5, 0, 0, WIDTH / 2, HEIGHT);
  g_assert_cmpfloat (mean_difference (in_span, in_span_original), >, 1.0);
  {
    g_autoptr (GBytes) right = gray_frame (mp4, 1.5, WIDTH / 2, 0, WIDTH / 2, HEIGHT);
    g_autoptr (GBytes) right_original = gray_frame (original, 1.5, WIDTH / 2, 0, WIDTH / 2,
                                                    HEIGHT);
    g_assert_cmpfloat (mean_difference (right, right_original), <, 1.0);
  }
  outside = gray_frame (mp4, 2.5, 0, 0, WIDTH / 2, HEIGHT);
  outside_original = gray_frame (original, 2.5, 0, 0, WIDTH / 2, HEIGHT);
  g_assert_cmpfloat (mean_difference (outside, outside_original), <, 1.0);
  g_test_message ("blur: %.2f in its span, %.2f outside",
                  mean_difference (in_span, in_span_original),
                  mean_difference (outside, outside_original));
}

/* --- the queue: a cancelled render ---------------------------------------------- */

static void
test_queue_cancel (void)
{
  g_autoptr (CrRenderJob) job = NULL, other = NULL;
  g_autoptr (CrRenderQueue) queue = new_queue ();
  g_autofree char *job_path = NULL, *other_path = NULL, *partial = NULL;
  Outcome outcome = { 0 }, queued = { 0 };
  guint64 id, queued_id;

  get_recording ();
  job = new_job ("G13/S1");
  job->watermark = g_strdup (WATERMARK);
  job_path = save_job (job, "cancelled");
  other = new_job ("G14/S1");
  other_path = save_job (other, "never");
  partial = g_strconcat (job->output_dir, ".partial", NULL);

  id = cr_render_queue_submit (queue, job_path, on_progress, on_done, &outcome);
  queued_id = cr_render_queue_submit (queue, other_path, on_progress, on_done, &queued);
  g_assert_cmpuint (id, !=, queued_id);
  g_assert_cmpuint (cr_render_queue_length (queue), ==, 2);
  /* A queued job is dropped without running. */
  g_assert_true (cr_render_queue_cancel (queue, queued_id));
  g_assert_cmpuint (cr_render_queue_length (queue), ==, 1);
  g_assert_true (cr_test_wait_until (has_progress, &outcome, 20000));
  g_assert_true (cr_render_queue_cancel (queue, id));
  g_assert_true (cr_test_wait_until (is_done, &outcome, 20000));
  g_assert_false (outcome.ok);
  g_assert_cmpstr (outcome.error_message, ==, "Cancelled");
  g_assert_false (cr_render_queue_cancel (queue, id));
  /* The renderer removed what it had written. */
  g_assert_false (g_file_test (job->output_dir, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  g_assert_false (queued.done);
  g_assert_false (g_file_test (other->output_dir, G_FILE_TEST_EXISTS));
  g_free (outcome.error_message);
}

/* --- bad job files ---------------------------------------------------------------- */

static void
test_bad_jobs (void)
{
  g_autoptr (CrRenderJob) job = NULL;
  g_autoptr (CrRenderQueue) queue = new_queue ();
  g_autofree char *good = NULL, *courtrec = cr_test_build_path ("courtrec");
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "courtrec-bad-job-XXXXXX.json",
                                            NULL);
  g_autofree char *huge = NULL;
  static const struct { const char *from, *to, *field; } edits[] = {
    { "\"courtrec-render-1\"", "\"courtrec-render-9\"", "format" },
    { "\"output_dir\" : \"", "\"output_dir\" : \"relative/", "output_dir" },
    { "\"started_at\" : \"", "\"started_at\" : \"yesterday", "segments[0].started_at" },
    { "\"duration_us\" : ", "\"duration_us\" : -", "segments[0].duration_us" },
    { "\"name\" : \"mix\"", "\"name\" : \"judges\"", "tracks[0].name" },
    { "\"track\" : \"judge\"", "\"track\" : \"witness\"", "redactions[0].track" },
    { "\"reason\" : \"", "\"reason\" : 7, \"x\" : \"", "redactions[0].reason" },
    { "\"kind\" : \"mute\"", "\"kind\" : \"erase\"", "redactions[0].kind" },
    { "\"width\" : 100", "\"width\" : 0", "redactions[1].width" },
    { "\"segments\" : [", "\"segments\" : 3, \"x\" : [", "segments" },
    { "\"video_kbps\" : 0", "\"video_kbps\" : \"fast\"", "video_kbps" },
    { "{", "[", "(file)" },
  };
  int fd;

  get_recording ();
  job = new_job ("bad");
  add_redaction (job, CR_REDACTION_MUTE, "judge", 1000, 2000, 0, 0, 0, 0);
  add_redaction (job, CR_REDACTION_BLUR, NULL, 1000, 2000, 10, 10, 100, 100);
  good = cr_render_job_to_json (job);
  fd = g_mkstemp (path);
  g_assert_cmpint (fd, >=, 0);
  close (fd);

  /* The file round-trips. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrRenderJob) back = cr_render_job_parse (good, -1, NULL, &error);
    g_autofree char *again = NULL;

    g_assert_no_error (error);
    again = cr_render_job_to_json (back);
    g_assert_cmpstr (again, ==, good);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      const char *at = strstr (good, edits[i].from);
      g_autofree char *bad = NULL, *err = NULL;
      const char *argv[] = { courtrec, "render", path, NULL };

      g_assert_nonnull (at);
      bad = g_strdup_printf ("%.*s%s%s", (int) (at - good), good, edits[i].to,
                             at + strlen (edits[i].from));
      g_assert_true (g_file_set_contents (path, bad, -1, NULL));
      g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
      g_test_message ("%s: %s", edits[i].field, err);
      g_assert_nonnull (strstr (err, edits[i].field));
    }

  /* A mute's end before its start; no reason; a blur without a size. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *t1 = cr_format_utc (recording->t0 + 2000000);
    g_autofree char *t2 = cr_format_utc (recording->t0 + 1000000);
    g_autofree char *list = g_strdup_printf (
        "[{\"kind\":\"cut\",\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"r\",\"by\":\"b\"}]",
        t1, t2);
    g_autoptr (GArray) parsed = cr_redactions_parse (list, &error);

    g_assert_null (parsed);
    g_assert_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "redactions[0].to"));
    g_clear_error (&error);
    g_clear_pointer (&list, g_free);
    list = g_strdup_printf ("[{\"kind\":\"cut\",\"from\":\"%s\",\"to\":\"%s\",\"by\":\"b\"}]",
                            t2, t1);
    g_assert_null (cr_redactions_parse (list, &error));
    g_assert_nonnull (strstr (error->message, "redactions[0].reason"));
    g_clear_error (&error);
    g_clear_pointer (&list, g_free);
    list = g_strdup_printf ("[{\"kind\":\"blur\",\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"r\","
                            "\"by\":\"b\"}]", t2, t1);
    g_assert_null (cr_redactions_parse (list, &error));
    g_assert_nonnull (strstr (error->message, "redactions[0].x"));
  }

  /* Oversized, and not UTF-8. */
  {
    const char *argv[] = { courtrec, "render", path, NULL };
    g_autofree char *err = NULL;

    huge = g_strnfill (5 * 1024 * 1024, ' ');
    g_assert_true (g_file_set_contents (path, huge, -1, NULL));
    g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
    g_assert_nonnull (strstr (err, "bytes, more than"));
    g_clear_pointer (&err, g_free);
    g_assert_true (g_file_set_contents (path, "{\"format\":\"\xff\"}", -1, NULL));
    g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
    g_assert_nonnull (strstr (err, "not UTF-8"));
  }

  /* A job whose tracks do not match the recording's audio streams. */
  {
    g_autoptr (CrRenderJob) short_job = new_job ("two-tracks");
    g_autofree char *short_path = NULL, *err = NULL;
    const char *argv[] = { courtrec, "render", NULL, NULL };

    g_array_set_size (short_job->tracks, 2);
    short_path = save_job (short_job, "two-tracks");
    argv[2] = short_path;
    g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
    g_assert_nonnull (strstr (err, "tracks"));
    g_assert_false (g_file_test (short_job->output_dir, G_FILE_TEST_EXISTS));
  }

  /* A segment gone: a runtime failure, through the queue. */
  {
    g_autoptr (CrRenderJob) missing = new_job ("missing");
    g_autofree char *missing_path = NULL;
    Outcome outcome = { 0 };

    g_free (g_array_index (missing->segments, CrRenderSegment, 0).path);
    g_array_index (missing->segments, CrRenderSegment, 0).path = g_strdup ("/nonexistent.mkv");
    missing_path = save_job (missing, "missing");
    cr_render_queue_submit (queue, missing_path, NULL, on_done, &outcome);
    g_assert_true (cr_test_wait_until (is_done, &outcome, 20000));
    g_assert_false (outcome.ok);
    g_assert_nonnull (strstr (outcome.error_message, "/nonexistent.mkv"));
    g_assert_null (outcome.sha256);
    g_free (outcome.error_message);
  }
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  int status;

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/render/grant-copy", test_grant_copy);
  g_test_add_func ("/courtrec/render/cut-blur-killed", test_cut_blur_killed);
  g_test_add_func ("/courtrec/render/queue-cancel", test_queue_cancel);
  g_test_add_func ("/courtrec/render/bad-jobs", test_bad_jobs);
  status = g_test_run ();
  recording_free ();
  return status;
}
