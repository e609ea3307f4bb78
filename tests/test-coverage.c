/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-coverage.c: the recording-rate report (courtrec coverage), read as
 * the case-management office reads it.
 *
 * A real courtrecd records a short day: one hearing full, one partial (the
 * daemon killed with SIGKILL mid-hearing and restarted: a crash gap, and a
 * long recess that must not count against it), one missing, one
 * cancelled. The report must give exactly those classes, both rates, and
 * a coverage figure computed here from ffprobe's durations of the files;
 * a clerk's not-held mark moves the missing one out of the held hearings;
 * an emptied file and a flipped byte fail the file check and the nightly
 * run. Without a daemon: the court's days in Asia/Shanghai and across
 * Europe/Berlin's return to winter time (2026-10-25, a day of 25 hours)
 * hold exactly the hearings that start in them; hostile dates, ranges,
 * configs and titles. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <signal.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/segment-index.h"
#include "archive/storage-dir.h"
#include "archive/utc.h"
#include "config/config.h"
#include "recorder/alarms.h"
#include "recorder/coverage-watch.h"
#include "schedule/hearing-store.h"
#include "tests/test-util-access.h"
#include "tests/test-util.h"

#define SCRIPT "<script>alert(1)</script>"
#define FORMULA "=HYPERLINK(\"http://x\",\"y\")"

static CrHearingRow *
hearing (const char *uid, const char *case_no, const char *title, gint64 starts_us,
         gint64 ends_us, const char *status)
{
  CrHearingRow *row = g_new0 (CrHearingRow, 1);

  row->uid = g_strdup (uid);
  row->case_no = g_strdup (case_no);
  row->title = g_strdup (title);
  row->location = g_strdup ("test-room");
  row->starts_us = starts_us;
  row->ends_us = ends_us;
  row->status = g_strdup (status);
  return row;
}

static CrSegmentIndex *
open_room_index (CrTestRoom *room)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (room->storage_dir, CR_STORAGE_INDEX_NAME, NULL);
  CrSegmentIndex *index;

  g_mkdir_with_parents (room->storage_dir, 0750);
  index = cr_segment_index_open (path, FALSE, &error);
  g_assert_no_error (error);
  return index;
}

static void
seed (CrTestRoom *room, GPtrArray *rows)
{
  g_autoptr (CrSegmentIndex) index = open_room_index (room);
  g_autoptr (GError) error = NULL;

  g_assert_true (cr_hearing_store_replace (index, "feed", rows, g_get_real_time (), NULL,
                                           &error));
  g_assert_no_error (error);
}

/* `courtrec coverage --from FROM --to TO --json`, parsed. */
static JsonObject *
report_json (CrTestRoom *room, const char *from, const char *to)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  int status = cr_test_client (room, &out, &err, "coverage", "--from", from, "--to", to,
                               "--json", NULL);

  if (status != 0)
    g_printerr ("%s", err);
  g_assert_cmpint (status, ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static JsonObject *
find_hearing (JsonObject *report, const char *uid)
{
  JsonArray *hearings = json_object_get_array_member (report, "hearings");

  for (guint i = 0; i < json_array_get_length (hearings); i++)
    {
      JsonObject *row = json_array_get_object_element (hearings, i);
      if (g_strcmp0 (json_object_get_string_member (row, "uid"), uid) == 0)
        return row;
    }
  return NULL;
}

static gint
by_text (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The uids of the report's hearings, sorted, space-separated. */
static char *
uids (JsonObject *report)
{
  JsonArray *hearings = json_object_get_array_member (report, "hearings");
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (hearings); i++)
    g_ptr_array_add (names, (gpointer) json_object_get_string_member (
                              json_array_get_object_element (hearings, i), "uid"));
  g_ptr_array_sort (names, by_text);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static gint64
utc (const char *text)
{
  gint64 us = 0;

  g_assert_true (cr_parse_utc (text, &us));
  return us;
}

/* --- the court's days -------------------------------------------------------- */

static void
test_zones (void)
{
  g_autoptr (CrTestRoom) shanghai = cr_test_room_new (10, "[schedule]\ntimezone = Asia/Shanghai\n");
  g_autoptr (CrTestRoom) berlin = cr_test_room_new (10, "[schedule]\ntimezone = Europe/Berlin\n");
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (GPtrArray) berlin_rows = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                      cr_hearing_row_free);
  g_autoptr (JsonObject) day = NULL, dst = NULL;
  g_autofree char *in_day = NULL, *in_dst = NULL;
  gint64 hour = G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC;

  /* 2026-12-03 in Shanghai (UTC+8, no DST): [12-02T16:00Z, 12-03T16:00Z). */
  g_ptr_array_add (rows, hearing ("before", "（2026）浙1022民初1号", "a",
                                  utc ("2026-12-02T15:59:59.000Z"),
                                  utc ("2026-12-02T15:59:59.000Z") + hour, "scheduled"));
  g_ptr_array_add (rows, hearing ("first", "（2026）浙1022民初2号", SCRIPT,
                                  utc ("2026-12-02T16:00:00.000Z"),
                                  utc ("2026-12-02T16:00:00.000Z") + hour, "scheduled"));
  g_ptr_array_add (rows, hearing ("last", "（2026）浙1022民初3号", FORMULA,
                                  utc ("2026-12-03T15:59:59.000Z"),
                                  utc ("2026-12-03T15:59:59.000Z") + hour, "scheduled"));
  g_ptr_array_add (rows, hearing ("after", "（2026）浙1022民初4号", "d",
                                  utc ("2026-12-03T16:00:00.000Z"),
                                  utc ("2026-12-03T16:00:00.000Z") + hour, "scheduled"));
  seed (shanghai, rows);
  day = report_json (shanghai, "2026-12-03", "2026-12-03");
  in_day = uids (day);
  g_assert_cmpstr (in_day, ==, "first last");
  g_assert_cmpstr (json_object_get_string_member (day, "timezone"), ==, "Asia/Shanghai");
  g_assert_cmpstr (json_object_get_string_member (find_hearing (day, "first"), "starts_local"),
                   ==, "2026-12-03T00:00:00+08:00");
  g_assert_cmpstr (json_object_get_string_member (find_hearing (day, "first"), "class"), ==,
                   "missing");

  /* 2026-10-25 in Berlin: CEST (UTC+2) until 01:00Z, then CET (UTC+1):
   * [10-24T22:00Z, 10-25T23:00Z), 25 hours. */
  g_ptr_array_add (berlin_rows, hearing ("b-before", "（2026）浙1022民初5号", "e",
                                         utc ("2026-10-24T21:59:59.000Z"),
                                         utc ("2026-10-24T21:59:59.000Z") + hour, "scheduled"));
  g_ptr_array_add (berlin_rows, hearing ("b-first", "（2026）浙1022民初6号", "f",
                                         utc ("2026-10-24T22:00:00.000Z"),
                                         utc ("2026-10-24T22:00:00.000Z") + hour, "scheduled"));
  g_ptr_array_add (berlin_rows, hearing ("b-last", "（2026）浙1022民初7号", "g",
                                         utc ("2026-10-25T22:59:59.000Z"),
                                         utc ("2026-10-25T22:59:59.000Z") + hour, "cancelled"));
  g_ptr_array_add (berlin_rows, hearing ("b-after", "（2026）浙1022民初8号", "h",
                                         utc ("2026-10-25T23:00:00.000Z"),
                                         utc ("2026-10-25T23:00:00.000Z") + hour, "scheduled"));
  seed (berlin, berlin_rows);
  dst = report_json (berlin, "2026-10-25", "2026-10-25");
  in_dst = uids (dst);
  g_assert_cmpstr (in_dst, ==, "b-first b-last");
  g_assert_cmpstr (json_object_get_string_member (find_hearing (dst, "b-first"), "starts_local"),
                   ==, "2026-10-25T00:00:00+02:00");
  g_assert_cmpstr (json_object_get_string_member (find_hearing (dst, "b-last"), "starts_local"),
                   ==, "2026-10-25T23:59:59+01:00");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (dst, "counts"),
                                               "cancelled"), ==, 1);
  /* The day before and after, in the same zone: the rows just outside. */
  {
    g_autoptr (JsonObject) around = report_json (berlin, "2026-10-24", "2026-10-26");
    g_autofree char *all = uids (around);
    g_assert_cmpstr (all, ==, "b-after b-before b-first b-last");
  }

  /* Both rooms in one report, each in its own zone. */
  {
    g_autofree char *courtrec = cr_test_build_path ("courtrec");
    g_autofree char *out = NULL;
    g_autoptr (JsonParser) parser = json_parser_new ();
    const char *argv[] = { courtrec, "-c", shanghai->config_path, "-c", berlin->config_path,
                           "coverage", "--from", "2026-10-25", "--to", "2026-12-03", "--json",
                           NULL };
    JsonObject *both;

    g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
    g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
    both = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (both, "rooms")), ==, 2);
    /* Shanghai: before (12-02 23:59:59 local), first, last; Berlin: all
     * but b-before (10-24 23:59:59 local). */
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (both, "counts"),
                                                 "total"), ==, 6);
  }

  /* Hostile: each refused with exit 2, naming what. */
  {
    struct { const char *from, *to, *says; } bad[] = {
      { "2026-12-04", "2026-12-03", "before its first" },
      { "2026-13-01", "2026-12-03", "--from 2026-13-01 is not a day" },
      { "2026-02-30", "2026-12-03", "--from 2026-02-30 is not a day" },
      { "2026-12-01", "yesterday", "--to yesterday is not a day" },
      { "2026-12-01", "2026-12-01T00:00", "is not a day" },
      { "2026-12-01", "2026-12-01 ", "is not a day" },
      { "2016-12-01", "2026-12-01", "at most 366 days" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *err = NULL;
        int status = cr_test_client (shanghai, NULL, &err, "coverage", "--from", bad[i].from,
                                     "--to", bad[i].to, NULL);
        g_assert_cmpint (status, ==, 2);
        g_assert_nonnull (strstr (err, bad[i].says));
      }
  }
  {
    g_autofree char *err = NULL;
    g_autofree char *missing = g_build_filename (shanghai->dir, "nowhere.conf", NULL);
    const char *argv[] = { NULL, "coverage", "-c", missing, "--from", "2026-12-03", "--to",
                           "2026-12-03", NULL };
    g_autofree char *courtrec = cr_test_build_path ("courtrec");
    argv[0] = courtrec;
    g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
    g_assert_nonnull (strstr (err, "nowhere.conf"));
  }

  /* The page escapes a hostile title; the CSV keeps a formula text. */
  {
    g_autofree char *html = NULL, *csv = NULL, *err = NULL;
    g_autofree char *page = g_build_filename (shanghai->dir, "page.html", NULL);
    g_autofree char *py_out = NULL;
    struct stat info;

    g_assert_cmpint (cr_test_client (shanghai, NULL, &err, "coverage", "--from", "2026-12-03",
                                     "--to", "2026-12-03", "--html", "-o", page, NULL), ==, 0);
    g_assert_true (g_file_get_contents (page, &html, NULL, NULL));
    g_assert_null (strstr (html, "<script"));
    g_assert_nonnull (strstr (html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    g_assert_cmpint (stat (page, &info), ==, 0);
    g_assert_cmpint (info.st_mode & 0777, ==, 0640);
    g_assert_cmpint (cr_test_client (shanghai, &csv, NULL, "coverage", "--from", "2026-12-03",
                                     "--to", "2026-12-03", "--csv", NULL), ==, 0);
    {
      g_autofree char *csv_path = g_build_filename (shanghai->dir, "r.csv", NULL);
      const char *argv[] = { "python3", "-c",
        "import csv,sys\n"
        "rows=list(csv.DictReader(open(sys.argv[1],newline='',encoding='utf-8')))\n"
        "print('|'.join(sorted(r['title'] for r in rows)))\n", csv_path, NULL };
      g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
      g_assert_cmpint (cr_test_run (&py_out, NULL, argv), ==, 0);
      g_assert_cmpstr (g_strstrip (py_out), ==, "'" FORMULA "|" SCRIPT);
    }
  }

  /* The nightly run: a day of missing hearings exits 1; an empty day 0,
   * its four files there, 0640. */
  {
    g_autofree char *out = NULL;
    g_autofree char *json_path = g_build_filename (shanghai->storage_dir, "coverage",
                                                   "2026-11-30.json", NULL);
    g_assert_cmpint (cr_test_client (shanghai, &out, NULL, "coverage", "--nightly", "--date",
                                     "2026-12-03", NULL), ==, 1);
    g_assert_cmpint (cr_test_client (shanghai, &out, NULL, "coverage", "--nightly", "--date",
                                     "2026-11-30", NULL), ==, 0);
    for (guint i = 0; i < 4; i++)
      {
        static const char *const ext[] = { "txt", "json", "csv", "html" };
        g_autofree char *name = g_strdup_printf ("2026-11-30.%s", ext[i]);
        g_autofree char *path = g_build_filename (shanghai->storage_dir, "coverage", name, NULL);
        struct stat info;
        g_assert_cmpint (stat (path, &info), ==, 0);
        g_assert_cmpint (info.st_mode & 0777, ==, 0640);
      }
    g_assert_true (g_file_test (json_path, G_FILE_TEST_EXISTS));
    g_assert_cmpint (cr_test_client (shanghai, NULL, NULL, "coverage", "--nightly", "--date",
                                     "2026-11-30", "--today", NULL), ==, 2);
    g_assert_cmpint (cr_test_client (shanghai, NULL, NULL, "coverage", "--nightly", "--date",
                                     "30.11.2026", NULL), ==, 2);
  }
}


/* --- a day recorded -------------------------------------------------------- */

#define CASE_FULL "（2026）浙1022民初101号"
#define CASE_PART "（2026）浙1022民初102号"
#define CASE_MISS "（2026）浙1022民初103号"
#define CASE_CANC "（2026）浙1022民初104号"

static void
sleep_s (double seconds)
{
  g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
}

static char *
local_day (gint64 utc_us, int days)
{
  g_autoptr (GDateTime) at = g_date_time_new_from_unix_local (utc_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) moved = g_date_time_add_days (at, days);

  return g_date_time_format (moved, "%Y-%m-%d");
}

/* The seconds of media in @session_id's files, as ffprobe reads them. */
static double
probed_seconds (CrTestRoom *room, gint64 session_id)
{
  g_autoptr (GPtrArray) rows = cr_test_segments (room, session_id);
  double total = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, TRUE);
      JsonArray *streams;

      g_assert_nonnull (probe);
      /* A file cut short by the crash may carry no duration: its frames
       * say how long it is (the test camera's 25 fps). */
      streams = json_object_get_array_member (probe, "streams");
      for (guint k = 0; k < json_array_get_length (streams); k++)
        {
          JsonObject *stream = json_array_get_object_element (streams, k);
          if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
            total += g_ascii_strtod (json_object_get_string_member (stream, "nb_read_frames"),
                                     NULL) / 25.0;
        }
    }
  return total;
}

/* Pause to resume of the session, from its events. */
static double
paused_seconds (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *path = g_build_filename (room->storage_dir, CR_STORAGE_INDEX_NAME, NULL);
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, NULL);
  g_autoptr (GPtrArray) events = cr_segment_index_list_events (index, session_id, NULL);
  gint64 paused = 0, since = 0;

  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      if (event->kind == CR_EVENT_PAUSE)
        since = event->at_us;
      else if (event->kind == CR_EVENT_RESUME && since != 0)
        paused += event->at_us - since, since = 0;
    }
  return paused / 1e6;
}

static CrSessionRecord *
session_row (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *path = g_build_filename (room->storage_dir, CR_STORAGE_INDEX_NAME, NULL);
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, NULL);

  return cr_segment_index_get_session (index, session_id, NULL);
}

static const char *
class_of (JsonObject *report, const char *uid)
{
  JsonObject *row = find_hearing (report, uid);

  g_assert_nonnull (row);
  return json_object_get_string_member (row, "class");
}

static double
rate (JsonObject *report, const char *name)
{
  return json_object_get_double_member (json_object_get_object_member (report, "rates"), name);
}

/* A viewer account beside clerk1 and approver1 (test-util-access.h). */
static void
add_viewer (CrTestRoom *room)
{
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                              &error, courtrec, "-c", room->config_path, "user", "add",
                              "viewer1", "--role", "viewer", "--password-stdin", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, CR_TEST_ACCESS_PASSWORD "\n", NULL, NULL, NULL,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

static void
test_day (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (10, NULL);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (JsonObject) report = NULL;
  g_autoptr (CrSessionRecord) part = NULL;
  g_autofree char *from = NULL, *to = NULL, *today = NULL;
  gint64 s = G_USEC_PER_SEC, t0, full_id, part_id;
  double expected, recorded, pause;
  JsonObject *partial;

  cr_test_access_add_users (room);
  add_viewer (room);
  cr_test_room_start (room);
  t0 = g_get_real_time ();
  from = local_day (t0, -1);
  to = local_day (t0, 1);
  today = local_day (t0, 0);
  g_ptr_array_add (rows, hearing ("h-full", CASE_FULL, "张三诉李四", t0, t0 + 18 * s,
                                  "scheduled"));
  g_ptr_array_add (rows, hearing ("h-part", CASE_PART, "王五诉赵六", t0 + 18 * s, t0 + 45 * s,
                                  "scheduled"));
  g_ptr_array_add (rows, hearing ("h-miss", CASE_MISS, "无人到庭", t0 + 45 * s, t0 + 55 * s,
                                  "scheduled"));
  g_ptr_array_add (rows, hearing ("h-canc", CASE_CANC, "撤诉", t0 + 55 * s, t0 + 65 * s,
                                  "cancelled"));
  seed (room, rows);

  /* Full: started at its slot, stopped at its end. */
  full_id = cr_test_start_session (room, CASE_FULL);
  sleep_s (15);
  cr_test_stop_and_wait (room, full_id);

  /* Partial: a long recess (lawful), then courtrecd killed and restarted. */
  part_id = cr_test_start_session (room, CASE_PART);
  sleep_s (3);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess", NULL), ==, 0);
  sleep_s (6);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "resume", NULL), ==, 0);
  sleep_s (2.5);
  g_assert_cmpint (cr_test_room_signal (room, SIGKILL, 5), !=, -1);
  sleep_s (2);
  cr_test_room_start (room);
  sleep_s (2.5);
  cr_test_stop_and_wait (room, part_id);

  report = report_json (room, from, to);
  {
    JsonObject *full = find_hearing (report, "h-full");
    g_test_message ("full: coverage %.4f, %.3f s recorded of %.3f s, lag %.3f s",
                    json_object_get_double_member (full, "coverage"),
                    json_object_get_double_member (full, "recorded_seconds"),
                    json_object_get_double_member (full, "span_seconds"),
                    json_object_get_double_member (full, "start_lag_seconds"));
  }
  g_assert_cmpstr (class_of (report, "h-full"), ==, "full");
  g_assert_cmpstr (class_of (report, "h-part"), ==, "partial");
  g_assert_cmpstr (class_of (report, "h-miss"), ==, "missing");
  g_assert_cmpstr (class_of (report, "h-canc"), ==, "cancelled");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (report, "rates"),
                                               "scheduled"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (report, "rates"),
                                               "held"), ==, 3);
  g_assert_cmpfloat_with_epsilon (rate (report, "recorded_over_scheduled"), 2.0 / 3, 1e-9);
  g_assert_cmpfloat_with_epsilon (rate (report, "recorded_over_held"), 2.0 / 3, 1e-9);
  g_assert_true (json_object_get_boolean_member (find_hearing (report, "h-full"),
                                                 "files_verified"));
  {
    g_autofree char *text = NULL;
    g_assert_cmpint (cr_test_client (room, &text, NULL, "coverage", "--from", from, "--to", to,
                                     NULL), ==, 0);
    g_assert_nonnull (strstr (text, "recorded/scheduled  2/3 = 66.7 %"));
    g_assert_nonnull (strstr (text, "recorded/held       2/3 = 66.7 %"));
    g_assert_nonnull (strstr (text, "full 1  partial 1  missing 1  not-held 0  cancelled 1"));
  }
  g_assert_cmpfloat (json_object_get_double_member (find_hearing (report, "h-full"),
                                                    "start_lag_seconds"), <=, 30);

  /* The partial one's figure, computed here: ffprobe's seconds over the
   * session's span less its recess. Partial by the crash gap, not the
   * recess. */
  partial = find_hearing (report, "h-part");
  part = session_row (room, part_id);
  recorded = probed_seconds (room, part_id);
  pause = paused_seconds (room, part_id);
  g_assert_cmpfloat (pause, >, 5.5);
  expected = recorded / ((part->stopped_us - part->started_us) / 1e6 - pause);
  g_test_message ("partial: %.3f s recorded, %.3f s paused, coverage %.4f (report %.4f)",
                  recorded, pause, expected, json_object_get_double_member (partial, "coverage"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (partial, "coverage"), expected,
                                  0.02);
  g_assert_cmpfloat (expected, <, 0.97);
  g_assert_cmpfloat (expected, >, 0.5);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (partial, "lawful_pause_seconds"),
                                  pause, 0.01);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (partial, "gaps")), >=, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (partial,
                                                                         "unlawful_pauses")),
                    ==, 0);

  /* A clerk's mark: missing becomes not held and leaves the held ones. */
  {
    gint64 id = json_object_get_int_member (find_hearing (report, "h-miss"), "id");
    g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
    g_autoptr (JsonObject) marked = NULL, unmarked = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (cr_test_client (room, NULL, &err, "hearing", "not-held", id_text, NULL),
                     ==, 2);
    g_assert_nonnull (strstr (err, "--reason"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cr_test_client (room, NULL, &err, "hearing", "not-held", "99999",
                                     "--reason", "x", NULL), !=, 0);
    g_assert_nonnull (strstr (err, "99999"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cr_test_client (room, NULL, &err, "hearing", "not-held", "1x",
                                     "--reason", "x", NULL), ==, 2);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cr_test_client (room, NULL, &err, "hearing", "adjourned", id_text, NULL),
                     ==, 2);
    /* The route itself: credentials, paths, bodies. */
    {
      g_autofree char *route = g_strdup_printf ("/api/v1/hearings/%s/not-held", id_text);
      struct { const char *path, *method, *token, *body; guint status; } bad[] = {
        { route, "POST", NULL, "{\"reason\":\"x\"}", 401 },
        { route, "POST", "forged-token", "{\"reason\":\"x\"}", 401 },
        { route, "GET", room->token, NULL, 405 },
        { route, "POST", room->token, "{}", 400 },
        { route, "POST", room->token, "{\"reason\":\"   \"}", 400 },
        { route, "POST", room->token, "{\"reason\":\"x\",\"by\":\"y\"}", 400 },
        { route, "POST", room->token, "[1]", 400 },
        { "/api/v1/hearings/99999/not-held", "POST", room->token, "{\"reason\":\"x\"}", 404 },
        { "/api/v1/hearings/-1/not-held", "POST", room->token, "{\"reason\":\"x\"}", 404 },
        { "/api/v1/hearings/1/delete", "POST", room->token, "{\"reason\":\"x\"}", 404 },
        { "/api/v1/hearings/", "POST", room->token, "{}", 404 },
      };
      for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
        {
          g_autofree char *body = NULL;
          guint status = cr_test_http (room, bad[i].method, bad[i].path, bad[i].token,
                                       bad[i].body, &body);
          g_test_message ("%s %s: %u %s", bad[i].method, bad[i].path, status, body);
          g_assert_cmpuint (status, ==, bad[i].status);
        }
    }
    /* A viewer may not mark; a clerk may, and is named. */
    {
      g_autofree char *route = g_strdup_printf ("/api/v1/hearings/%s/not-held", id_text);
      g_autofree char *held = g_strdup_printf ("/api/v1/hearings/%s/held", id_text);
      g_autofree char *viewer = cr_test_access_token (room, "viewer1");
      g_autofree char *clerk = cr_test_access_token (room, "clerk1");
      g_autofree char *body = NULL, *body2 = NULL;

      g_assert_cmpuint (cr_test_http (room, "POST", route, viewer, "{\"reason\":\"x\"}", NULL),
                        ==, 403);
      g_assert_cmpuint (cr_test_http (room, "POST", route, clerk, "{\"reason\":\"休庭\"}",
                                      &body), ==, 200);
      g_assert_nonnull (strstr (body, "\"by\":\"clerk1\""));
      g_assert_cmpuint (cr_test_http (room, "POST", held, clerk, "{\"reason\":\"x\"}", NULL),
                        ==, 400);
      g_assert_cmpuint (cr_test_http (room, "POST", held, clerk, "{}", &body2), ==, 200);
      g_assert_nonnull (strstr (body2, "\"not_held\":null"));
    }
    g_assert_cmpint (cr_test_client (room, NULL, NULL, "hearing", "not-held", id_text,
                                     "--reason", "当事人未到庭", NULL), ==, 0);
    marked = report_json (room, from, to);
    g_assert_cmpstr (class_of (marked, "h-miss"), ==, "not-held");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                       find_hearing (marked, "h-miss"), "not_held"), "reason"), ==,
                     "当事人未到庭");
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (marked, "rates"),
                                                 "held"), ==, 2);
    g_assert_cmpfloat_with_epsilon (rate (marked, "recorded_over_held"), 1.0, 1e-9);
    g_assert_cmpfloat_with_epsilon (rate (marked, "recorded_over_scheduled"), 2.0 / 3, 1e-9);
    g_assert_cmpint (cr_test_client (room, NULL, NULL, "hearing", "held", id_text, NULL), ==, 0);
    unmarked = report_json (room, from, to);
    g_assert_cmpstr (class_of (unmarked, "h-miss"), ==, "missing");
    g_assert_cmpint (cr_test_client (room, NULL, NULL, "hearing", "not-held", id_text,
                                     "--reason", "当事人未到庭", NULL), ==, 0);
  }

  /* The full hearing's case continued in a later slot of the day that
   * nobody recorded: the morning's session is the morning's alone, so the
   * continuation is missing (not "full" by the morning's recording). */
  {
    g_autoptr (JsonObject) continued = NULL;

    g_ptr_array_add (rows, hearing ("h-cont", CASE_FULL, "张三诉李四（续）", t0 + 70 * s,
                                    t0 + 80 * s, "scheduled"));
    seed (room, rows);
    continued = report_json (room, from, to);
    g_assert_cmpstr (class_of (continued, "h-full"), ==, "full");
    g_assert_cmpstr (class_of (continued, "h-cont"), ==, "missing");
    g_ptr_array_remove_index (rows, rows->len - 1);
    seed (room, rows);
  }

  /* An emptied file and a flipped byte: the check fails, the nightly run
   * says so by its exit status and in the day's JSON. */
  {
    g_autoptr (GPtrArray) full_rows = cr_test_segments (room, full_id);
    g_autoptr (GPtrArray) part_rows = cr_test_segments (room, part_id);
    CrSegmentRecord *first = g_ptr_array_index (full_rows, 0);
    CrSegmentRecord *last = g_ptr_array_index (part_rows, part_rows->len - 1);
    g_autofree char *emptied = g_build_filename (room->storage_dir, first->path, NULL);
    g_autofree char *flipped = g_build_filename (room->storage_dir, last->path, NULL);
    g_autofree char *bytes = NULL;
    g_autofree char *out = NULL;
    g_autofree char *day_json = NULL;
    g_autofree char *json_name = g_strdup_printf ("%s.json", today);
    g_autofree char *json_path = g_build_filename (room->storage_dir, "coverage", json_name,
                                                   NULL);
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (JsonObject) broken = NULL;
    JsonObject *nightly;
    gsize length;

    g_assert_cmpint (truncate (emptied, 0), ==, 0);
    g_assert_true (g_file_get_contents (flipped, &bytes, &length, NULL));
    bytes[length / 2] ^= 0x01;
    g_assert_true (g_file_set_contents (flipped, bytes, length, NULL));

    broken = report_json (room, from, to);
    g_assert_cmpstr (class_of (broken, "h-full"), ==, "partial");
    g_assert_false (json_object_get_boolean_member (find_hearing (broken, "h-full"),
                                                    "files_verified"));
    g_assert_cmpint (json_object_get_int_member (find_hearing (broken, "h-full"),
                                                 "empty_segments"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (find_hearing (broken, "h-part"),
                                                 "unverified_segments"), ==, 1);

    g_assert_cmpint (cr_test_client (room, &out, NULL, "coverage", "--nightly", "--date", today,
                                     NULL), ==, 1);
    g_assert_true (g_file_get_contents (json_path, &day_json, NULL, NULL));
    g_assert_true (json_parser_load_from_data (parser, day_json, -1, NULL));
    nightly = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpint (json_object_get_int_member (nightly, "bad"), ==, 2);
    g_assert_cmpstr (class_of (nightly, "h-miss"), ==, "not-held");
  }
}

/* --- the timer --------------------------------------------------------------- */

/* systemd-analyze verify reads the units as installed (the Makefile's
 * substitution), the timer's calendar and the service's command. */
static void
test_units (void)
{
  g_autofree char *analyze = g_find_program_in_path ("systemd-analyze");
  g_autofree char *dir = g_dir_make_tmp ("courtrec-units-XXXXXX", NULL);
  g_autofree char *template_path = cr_test_top_path ("systemd/courtrec-coverage@.service.in");
  g_autofree char *timer_path = cr_test_top_path ("systemd/courtrec-coverage@.timer");
  g_autofree char *bindir = cr_test_build_path ("");
  g_autofree char *template = NULL, *timer = NULL, *err = NULL;
  g_autofree char *service_out = g_build_filename (dir, "courtrec-coverage@.service", NULL);
  g_autofree char *timer_out = g_build_filename (dir, "courtrec-coverage@.timer", NULL);
  g_autofree char *instance = g_build_filename (dir, "courtrec-coverage@room-1.timer", NULL);
  g_auto (GStrv) parts = NULL;
  g_autofree char *service = NULL;
  g_autofree char *absolute = NULL;

  g_assert_true (g_file_get_contents (template_path, &template, NULL, NULL));
  g_assert_true (g_file_get_contents (timer_path, &timer, NULL, NULL));
  g_assert_nonnull (strstr (timer, "OnCalendar=*-*-* 22:30:00\n"));
  g_assert_nonnull (strstr (timer, "Persistent=true\n"));
  g_assert_nonnull (strstr (template, "coverage --nightly --today\n"));
  if (analyze == NULL)
    {
      g_test_skip ("no systemd-analyze");
      return;
    }
  absolute = g_canonicalize_filename (bindir, NULL);
  parts = g_strsplit (template, "@BINDIR@", -1);
  service = g_strjoinv (absolute, parts);
  g_strfreev (g_steal_pointer (&parts));
  parts = g_strsplit (service, "@SYSCONFDIR@", -1);
  g_free (service);
  service = g_strjoinv ("/etc", parts);
  g_assert_true (g_file_set_contents (service_out, service, -1, NULL));
  g_assert_true (g_file_set_contents (timer_out, timer, -1, NULL));
  {
    const char *argv[] = { analyze, "verify", "--man=no", instance, NULL };
    int status = cr_test_run (NULL, &err, argv);
    g_test_message ("systemd-analyze verify: %s", err);
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpstr (err, ==, "");
  }
  g_remove (service_out);
  g_remove (timer_out);
  g_rmdir (dir);
}

/* --- the daemon's watch ------------------------------------------------------ */

static void
file_report (CrTestRoom *room, const char *day, const char *text)
{
  g_autofree char *dir = g_build_filename (room->storage_dir, "coverage", NULL);
  g_autofree char *name = g_strdup_printf ("%s.json", day);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0750), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* The recorder built as courtrecd builds it (its pipeline not playing):
 * the newest nightly report raises the alarm, the same report keeps it
 * as it is, a newer clean one clears it, a broken one changes nothing. */
static void
test_watch (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (10, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = cr_config_load (room->config_path, &error);
  g_autoptr (CrRecorder) recorder = NULL;
  CrAlarm *alarm;
  gint64 since;

  /* An alarm is a warning in the journal: expected here. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_assert_no_error (error);
  recorder = cr_recorder_new (config, &error);
  g_assert_no_error (error);

  cr_coverage_watch_check (recorder);
  g_assert_null (cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule"));

  file_report (room, "2026-12-01", "{\"version\":1,\"from\":\"2026-12-01\",\"bad\":2}");
  file_report (room, "notes", "{\"from\":\"2099-01-01\",\"bad\":0}");
  cr_coverage_watch_check (recorder);
  alarm = cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule");
  g_assert_nonnull (alarm);
  g_assert_nonnull (strstr (alarm->message, "2026-12-01"));
  g_assert_nonnull (strstr (alarm->message, "2 hearings"));
  since = alarm->since_us;
  cr_coverage_watch_check (recorder);
  alarm = cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule");
  g_assert_nonnull (alarm);
  g_assert_cmpint (alarm->since_us, ==, since);

  /* An older clean day does not clear it; a newer one does. */
  file_report (room, "2026-11-30", "{\"version\":1,\"from\":\"2026-11-30\",\"bad\":0}");
  cr_coverage_watch_check (recorder);
  g_assert_nonnull (cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule"));
  file_report (room, "2026-12-02", "{\"version\":1,\"from\":\"2026-12-02\",\"bad\":0}");
  cr_coverage_watch_check (recorder);
  g_assert_null (cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule"));

  /* Not JSON, or not a report: nothing changes. */
  file_report (room, "2026-12-03", "{\"from\":");
  cr_coverage_watch_check (recorder);
  g_assert_null (cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule"));
  file_report (room, "2026-12-04", "[\"bad\", 3]");
  cr_coverage_watch_check (recorder);
  g_assert_null (cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule"));

  file_report (room, "2026-12-05", "{\"version\":1,\"from\":\"2026-12-05\",\"bad\":1}");
  cr_coverage_watch_check (recorder);
  alarm = cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, "schedule");
  g_assert_nonnull (alarm);
  g_assert_nonnull (strstr (alarm->message, "1 hearing missing"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/courtrec/coverage/zones", test_zones);
  g_test_add_func ("/courtrec/coverage/day", test_day);
  g_test_add_func ("/courtrec/coverage/units", test_units);
  g_test_add_func ("/courtrec/coverage/watch", test_watch);
  return g_test_run ();
}
