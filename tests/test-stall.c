/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-stall.c: courtrecd stopped with SIGSTOP while it records. The time
 * it did not run is a logged gap, and every file is what the index says it
 * is: the wall-clock time burned into its pictures, read back with ffmpeg
 * and tesseract, agrees with the segment's start in the index plus the
 * picture's time in the file. */
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>

#include "archive/segment-index.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
#define FPS 25.0
#define STOP_SECONDS 8

typedef struct {
  CrTestRoom *room;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  /* One long segment: a file that ran on through the stop would show it. */
  fixture->room = cr_test_room_new (60, NULL);
  /* The burned-in clock shows local time: make it UTC, like the index. */
  cr_test_room_setenv (fixture->room, "TZ", "UTC");
  cr_test_room_start (fixture->room);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

static gboolean
tesseract_available (void)
{
  g_autofree char *path = g_find_program_in_path ("tesseract");
  return path != NULL;
}

/* The UTC second of the day burned in at @seconds into @path's picture, or
 * -1 when it cannot be read. */
static gint64
burned_in_second (const char *dir, const char *path, double seconds)
{
  g_autofree char *png = g_build_filename (dir, "clock.png", NULL);
  char at[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *out = NULL;
  g_autoptr (GRegex) regex = g_regex_new ("([0-2][0-9]):([0-5][0-9]):([0-5][0-9])", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  g_ascii_formatd (at, sizeof at, "%.3f", seconds);
  {
    /* The clock is in the lower right corner (capture.c): cut it out,
     * enlarge it and make it dark on light, which tesseract reads best. */
    const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", at, "-i", path,
                           "-frames:v", "1", "-vf",
                           "crop=iw*0.45:ih*0.16:iw*0.55:ih*0.74,scale=iw*4:ih*4:flags=bicubic,"
                           "format=gray,negate", png, NULL };
    g_assert_cmpint (cr_test_run (NULL, NULL, argv), ==, 0);
  }
  {
    const char *argv[] = { "tesseract", png, "stdout", "--psm", "7", "-c",
                           "tessedit_char_whitelist=0123456789-:", NULL };
    if (cr_test_run (&out, NULL, argv) != 0)
      return -1;
  }
  if (!g_regex_match (regex, out, 0, &match))
    return -1;
  {
    g_autofree char *h = g_match_info_fetch (match, 1);
    g_autofree char *m = g_match_info_fetch (match, 2);
    g_autofree char *s = g_match_info_fetch (match, 3);
    return g_ascii_strtoll (h, NULL, 10) * 3600 + g_ascii_strtoll (m, NULL, 10) * 60 +
           g_ascii_strtoll (s, NULL, 10);
  }
}

static gint64
utc_of (const char *iso)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert_nonnull (when);
  return g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
}

static void
test_sigstop (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  gint64 session_id, stopped_us, continued_us;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  JsonObject *gap = NULL;
  g_autoptr (JsonNode) gap_node = NULL;
  gint64 gap_from_us, gap_to_us;
  guint readings = 0;

  if (!tesseract_available ())
    {
      g_test_skip ("tesseract is not installed (scripts/install-deps.sh installs it)");
      return;
    }

  session_id = cr_test_start_session (room, CASE_NO);
  g_usleep (4 * G_USEC_PER_SEC);
  stopped_us = g_get_real_time ();
  g_assert_cmpint (kill (g_ascii_strtoll (g_subprocess_get_identifier (room->daemon), NULL, 10),
                         SIGSTOP), ==, 0);
  g_usleep (STOP_SECONDS * G_USEC_PER_SEC);
  continued_us = g_get_real_time ();
  g_assert_cmpint (kill (g_ascii_strtoll (g_subprocess_get_identifier (room->daemon), NULL, 10),
                         SIGCONT), ==, 0);
  g_usleep (6 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session_id);

  /* The gap is logged: from where the pictures stopped, as long as the
   * stop (give or take a second; the first picture after it starts the
   * next file at a keyframe). */
  index = cr_segment_index_open (index_path, TRUE, NULL);
  g_assert_nonnull (index);
  events = cr_segment_index_list_events (index, session_id, NULL);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      if (g_strcmp0 (event->kind, "gap") != 0)
        continue;
      g_assert_null (gap_node);
      gap_node = json_from_string (event->detail, NULL);
      g_assert_nonnull (gap_node);
      gap = json_node_get_object (gap_node);
    }
  g_assert_nonnull (gap);
  gap_from_us = utc_of (json_object_get_string_member (gap, "from"));
  gap_to_us = utc_of (json_object_get_string_member (gap, "to"));
  g_test_message ("SIGSTOP at %.3f, SIGCONT at %.3f; gap logged from %.3f to %.3f",
                  stopped_us / 1e6, continued_us / 1e6, gap_from_us / 1e6, gap_to_us / 1e6);
  g_assert_cmpint (ABS (gap_from_us - stopped_us), <=, G_USEC_PER_SEC);
  g_assert_cmpint (gap_to_us - gap_from_us, >=, (STOP_SECONDS - 1) * G_USEC_PER_SEC);
  g_assert_cmpint (gap_to_us, <=, continued_us + 2 * G_USEC_PER_SEC * cr_test_timing_factor ());
  g_assert_true (json_object_has_member (gap, "gap_seconds"));

  /* Each file is what its row says: its length is its pictures', and the
   * burned-in clock of its pictures agrees with the row's start plus their
   * time in the file, within one second. */
  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, ==, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, TRUE);
      g_autofree char *errors = NULL;
      JsonArray *streams = json_object_get_array_member (probe, "streams");
      gint64 frames = 0;
      double duration = row->duration_us / 1e6;

      if (!cr_test_ffmpeg_decodes (path, &errors))
        g_error ("ffmpeg could not decode %s: %s", path, errors);
      for (guint s = 0; s < json_array_get_length (streams); s++)
        {
          JsonObject *stream = json_array_get_object_element (streams, s);
          if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
            frames = g_ascii_strtoll (json_object_get_string_member (stream, "nb_read_frames"),
                                      NULL, 10);
        }
      g_assert_cmpfloat_with_epsilon (duration, frames / FPS, 0.15);

      for (double at = 0.2; at < duration - 0.1; at += MAX (0.5, (duration - 0.3) / 5))
        {
          gint64 burned = burned_in_second (room->dir, path, at);
          gint64 indexed_us = row->started_us + (gint64) (at * G_USEC_PER_SEC);
          /* Seconds into the UTC day, with their fraction. */
          double indexed = (indexed_us % ((gint64) 86400 * G_USEC_PER_SEC)) / 1e6;

          if (burned < 0)
            {
              g_test_message ("segment %u at %.1f s: the clock could not be read", row->sequence,
                              at);
              continue;
            }
          readings++;
          g_test_message ("segment %u at %.1f s: index says %.3f, the picture shows %"
                          G_GINT64_FORMAT, row->sequence, at, indexed, burned);
          /* The picture shows whole seconds: it was taken in [burned, burned + 1). */
          g_assert_cmpfloat (indexed, >=, burned - 1.0);
          g_assert_cmpfloat (indexed, <, burned + 2.0);
        }
    }
  /* Enough of the clock was read to judge the files by it. */
  g_assert_cmpuint (readings, >=, 5);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/courtrec/recording/sigstop", Fixture, NULL, fixture_set_up, test_sigstop,
              fixture_tear_down);
  return g_test_run ();
}
