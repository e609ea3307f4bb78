/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-stall.c: what stops under courtrecd while it records.
 *
 * The process (SIGSTOP): the time it did not run is a logged gap, and
 * every file is what the index says it is: the wall-clock time burned into
 * its pictures, read back with ffmpeg and tesseract, agrees with the
 * segment's start in the index plus the picture's time in the file.
 *
 * The disk: recordings/ on a real ext4 filesystem of its own (a loop
 * device) that fsfreeze(8) stops for seconds, across a segment boundary:
 * not one picture is lost and a disk-stall alarm stands meanwhile. And a
 * directory where no file can be created (chattr +i): an alarm, a gap of
 * the time without a file, and no row without a file. */
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

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
program_available (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);
  return path != NULL;
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
  guint readings = 0, disagreements = 0;

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
      if (event->kind != CR_EVENT_GAP)
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
          /* The picture shows whole seconds: it was taken in [burned, burned + 1). */
          if (indexed < burned - 1.0 || indexed >= burned + 2.0)
            disagreements++;
          g_test_message ("segment %u at %.1f s: index says %.3f, the picture shows %"
                          G_GINT64_FORMAT "%s", row->sequence, at, indexed, burned,
                          indexed < burned - 1.0 || indexed >= burned + 2.0 ? ": DISAGREE" : "");
        }
    }
  /* Enough of the clock was read to judge the files by it, and it agrees.
   * One reading may be tesseract's slip (a 1 read as 0); pictures made up
   * after the stop disagree by the length of the stop, in every reading
   * past it. */
  g_assert_cmpuint (readings, >=, 5);
  g_assert_cmpuint (disagreements, <=, 1);
}

/* --- the disk ------------------------------------------------------------- */

typedef struct {
  CrTestRoom *room;
  char *mount_point;     /* STORAGE/recordings on a filesystem of its own */
  gboolean mounted;
  gboolean frozen;
  char *immutable;       /* a directory made immutable, to undo */
} DiskFixture;

static int
run_quiet (const char *const *argv, char **err)
{
  return cr_test_run (NULL, err, argv);
}

static void
disk_fixture_set_up (DiskFixture *fixture, gconstpointer data)
{
  const char *with_loop = data;

  fixture->room = cr_test_room_new (10, NULL);
  cr_test_room_setenv (fixture->room, "TZ", "UTC");
  fixture->mount_point = g_build_filename (fixture->room->storage_dir, "recordings", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->mount_point, 0750), ==, 0);
  if (with_loop != NULL)
    {
      g_autofree char *image = g_build_filename (fixture->room->dir, "recordings.ext4", NULL);
      const char *truncate[] = { "truncate", "-s", "256M", image, NULL };
      const char *mkfs[] = { "mkfs.ext4", "-q", "-F", image, NULL };
      const char *mount[] = { "mount", "-o", "loop", image, fixture->mount_point, NULL };
      g_autofree char *err = NULL;

      if (getuid () != 0 || !program_available ("mkfs.ext4") ||
          !program_available ("fsfreeze") || run_quiet (truncate, NULL) != 0 ||
          run_quiet (mkfs, NULL) != 0 || run_quiet (mount, &err) != 0)
        {
          g_test_message ("no loop-mounted filesystem here: %s", err ? err : "not root");
          return;
        }
      fixture->mounted = TRUE;
    }
  cr_test_room_start (fixture->room);
}

static void
disk_fixture_tear_down (DiskFixture *fixture, gconstpointer data)
{
  /* A process writing to a frozen filesystem cannot even be killed. */
  if (fixture->frozen)
    {
      const char *thaw[] = { "fsfreeze", "--unfreeze", fixture->mount_point, NULL };
      run_quiet (thaw, NULL);
    }
  if (fixture->immutable != NULL)
    {
      const char *undo[] = { "chattr", "-i", fixture->immutable, NULL };
      run_quiet (undo, NULL);
    }
  if (fixture->room->daemon != NULL)
    cr_test_room_signal (fixture->room, SIGKILL, 10);
  if (fixture->mounted)
    {
      const char *umount[] = { "umount", fixture->mount_point, NULL };
      g_assert_cmpint (run_quiet (umount, NULL), ==, 0);
    }
  g_clear_pointer (&fixture->room, cr_test_room_free);
  g_free (fixture->mount_point);
  g_free (fixture->immutable);
}

static gboolean
is_recording_with_segment (gpointer data)
{
  CrTestRoom *room = data;
  g_autoptr (JsonObject) st = cr_test_status (room);
  return g_strcmp0 (json_object_get_string_member (st, "state"), "recording") == 0 &&
         !json_object_get_null_member (st, "segment");
}

static gboolean
alarm_stands (CrTestRoom *room, const char *what)
{
  g_autoptr (JsonObject) st = cr_test_status (room);
  JsonArray *alarms = json_object_get_array_member (st, "alarms");

  for (guint i = 0; i < json_array_get_length (alarms); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (alarms, i),
                                                  "alarm"), what) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
disk_stall_stands (gpointer data)
{
  return alarm_stands (data, "disk-stall");
}

static gboolean
disk_stall_over (gpointer data)
{
  return !alarm_stands (data, "disk-stall");
}

static gboolean
open_failure_stands (gpointer data)
{
  return alarm_stands (data, "segment-open-failed");
}

/* The events of @kind (as stored) in @session_id, "alarm:NAME" for the
 * alarms NAME. (element-type CrEventRecord) */
static GPtrArray *
events_of (CrTestRoom *room, gint64 session_id, const char *kind)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, NULL);
  g_autoptr (GPtrArray) events = NULL;
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_record_free);

  g_assert_nonnull (index);
  events = cr_segment_index_list_events (index, session_id, NULL);
  g_assert_nonnull (events);
  for (guint i = events->len; i > 0; i--)
    {
      CrEventRecord *event = g_ptr_array_index (events, i - 1);
      g_test_message ("event %s %s", event->kind_name, event->detail ? event->detail : "");
      if (g_strcmp0 (event->kind_name, kind) == 0 ||
          (g_str_has_prefix (kind, "alarm:") && g_strcmp0 (event->kind_name, "alarm") == 0 &&
           strstr (event->detail, kind + strlen ("alarm:")) != NULL))
        g_ptr_array_insert (found, 0, g_ptr_array_steal_index (events, i - 1));
    }
  return found;
}

/* Every row has its file, decodable, as long as its pictures; with
 * @back_to_back the files follow each other without a hole. Returns the
 * seconds recorded. */
static double
judge_rows (CrTestRoom *room, GPtrArray *rows, gboolean back_to_back)
{
  double total = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, TRUE);
      JsonArray *streams = json_object_get_array_member (probe, "streams");
      g_autofree char *errors = NULL;
      gint64 frames = 0;

      g_assert_true (row->closed);
      g_assert_cmpuint (row->sequence, ==, i + 1);
      g_assert_cmpint (row->bytes, >, 0);
      if (!cr_test_ffmpeg_decodes (path, &errors))
        g_error ("ffmpeg could not decode %s: %s", path, errors);
      for (guint s = 0; s < json_array_get_length (streams); s++)
        {
          JsonObject *stream = json_array_get_object_element (streams, s);
          if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
            frames = g_ascii_strtoll (json_object_get_string_member (stream, "nb_read_frames"),
                                      NULL, 10);
        }
      g_test_message ("segment %u: %.3f s, %" G_GINT64_FORMAT " pictures", row->sequence,
                      row->duration_us / 1e6, frames);
      g_assert_cmpfloat_with_epsilon (row->duration_us / 1e6, frames / FPS, 0.15);
      if (back_to_back && i > 0)
        {
          CrSegmentRecord *before = g_ptr_array_index (rows, i - 1);
          g_assert_cmpfloat_with_epsilon ((before->started_us + before->duration_us) / 1e6,
                                          row->started_us / 1e6, 0.1);
        }
      total += row->duration_us / 1e6;
    }
  return total;
}

/* The filesystem of the recordings stops for 10 s, across a boundary:
 * capture goes on into memory, the alarm stands, and once the disk is back
 * every picture is in the files, back to back. */
static void
test_frozen_disk (DiskFixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  const char *freeze[] = { "fsfreeze", "--freeze", fixture->mount_point, NULL };
  const char *thaw[] = { "fsfreeze", "--unfreeze", fixture->mount_point, NULL };
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) stalls = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (GPtrArray) oks = NULL;
  gint64 session_id, started_us, stopped_us;
  double recorded;

  if (!fixture->mounted)
    {
      g_test_skip ("needs root, a loop device, mkfs.ext4 and fsfreeze");
      return;
    }
  session_id = cr_test_start_session (room, CASE_NO);
  started_us = g_get_real_time ();
  g_assert_true (cr_test_wait_until (is_recording_with_segment, room, 5000));
  g_usleep (2 * G_USEC_PER_SEC);

  g_assert_cmpint (run_quiet (freeze, NULL), ==, 0);
  fixture->frozen = TRUE;
  /* The alarm within the 2 s of lag it waits for, and a little. */
  g_assert_true (cr_test_wait_until (disk_stall_stands, room,
                                     4000 * cr_test_timing_factor ()));
  g_usleep (8 * G_USEC_PER_SEC);
  g_assert_cmpint (run_quiet (thaw, NULL), ==, 0);
  fixture->frozen = FALSE;
  g_assert_true (cr_test_wait_until (disk_stall_over, room, 10000 * cr_test_timing_factor ()));
  g_usleep (2 * G_USEC_PER_SEC);
  stopped_us = g_get_real_time ();
  cr_test_stop_and_wait (room, session_id);

  stalls = events_of (room, session_id, "alarm:disk-stall");
  oks = events_of (room, session_id, "disk-ok");
  gaps = events_of (room, session_id, "gap");
  g_assert_cmpuint (stalls->len, ==, 1);
  g_assert_cmpuint (oks->len, ==, 1);
  g_assert_cmpuint (gaps->len, ==, 0);

  /* No picture lost: the files hold the whole recording, back to back. */
  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, >=, 2);
  recorded = judge_rows (room, rows, TRUE);
  g_test_message ("%.3f s recorded in %.3f s", recorded, (stopped_us - started_us) / 1e6);
  g_assert_cmpfloat (recorded, >=, (stopped_us - started_us) / 1e6 - 1.5);
}

/* No file can be created in the day's directory for a while: an alarm,
 * one event, the time without a file logged as a gap, no row without a
 * file (verify finds the session intact), and recording goes on in the
 * same session, numbered on, once files can be created again. */
static void
test_open_failure (DiskFixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (GPtrArray) missing = NULL;
  g_autoptr (GPtrArray) days = NULL;
  g_autoptr (JsonNode) gap = NULL;
  g_autofree char *out = NULL;
  g_autofree char *session_arg = NULL;
  gint64 session_id;
  double gap_seconds;

  if (getuid () != 0 || !program_available ("chattr"))
    {
      g_test_skip ("needs root and chattr");
      return;
    }
  session_id = cr_test_start_session (room, CASE_NO);
  g_assert_true (cr_test_wait_until (is_recording_with_segment, room, 5000));
  days = cr_test_find_files (fixture->mount_point, ".mkv");
  g_assert_cmpuint (days->len, ==, 1);
  fixture->immutable = g_path_get_dirname (g_ptr_array_index (days, 0));
  {
    const char *argv[] = { "chattr", "+i", fixture->immutable, NULL };
    if (run_quiet (argv, NULL) != 0)
      {
        g_clear_pointer (&fixture->immutable, g_free);
        g_test_skip ("this filesystem cannot make a directory immutable");
        return;
      }
  }
  /* The next boundary (10 s) cannot open its file, nor any keyframe after. */
  g_assert_true (cr_test_wait_until (open_failure_stands, room, 14000 * cr_test_timing_factor ()));
  g_usleep (3 * G_USEC_PER_SEC);
  {
    const char *argv[] = { "chattr", "-i", fixture->immutable, NULL };
    g_assert_cmpint (run_quiet (argv, NULL), ==, 0);
  }
  g_assert_true (cr_test_wait_until (is_recording_with_segment, room, 5000));
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_false (open_failure_stands (room));
  cr_test_stop_and_wait (room, session_id);
  cr_test_wait_sealed (room, session_id);

  failures = events_of (room, session_id, "segment-open-failed");
  g_assert_cmpuint (failures->len, ==, 1);
  gaps = events_of (room, session_id, "gap");
  g_assert_cmpuint (gaps->len, ==, 1);
  gap = json_from_string (((CrEventRecord *) g_ptr_array_index (gaps, 0))->detail, NULL);
  g_assert_nonnull (gap);
  gap_seconds = g_ascii_strtod (json_object_get_string_member (json_node_get_object (gap),
                                                               "gap_seconds"), NULL);
  g_test_message ("gap of %.3f s: %s", gap_seconds,
                  ((CrEventRecord *) g_ptr_array_index (gaps, 0))->detail);
  g_assert_cmpfloat (gap_seconds, >=, 3.0);

  /* Every row has its file, numbered without a hole; verify agrees. */
  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, >=, 2);
  judge_rows (room, rows, FALSE);
  session_arg = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "verify", "--session", session_arg, NULL),
                   ==, 0);

  /* A restart reconciles nothing away. */
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 15), ==, 0);
  cr_test_room_start (room);
  missing = events_of (room, session_id, "segment-missing");
  g_assert_cmpuint (missing->len, ==, 0);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/courtrec/recording/sigstop", Fixture, NULL, fixture_set_up, test_sigstop,
              fixture_tear_down);
  g_test_add ("/courtrec/recording/frozen-disk", DiskFixture, "loop", disk_fixture_set_up,
              test_frozen_disk, disk_fixture_tear_down);
  g_test_add ("/courtrec/recording/segment-open-failed", DiskFixture, NULL,
              disk_fixture_set_up, test_open_failure, disk_fixture_tear_down);
  return g_test_run ();
}
