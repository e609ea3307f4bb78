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
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/segment-index.h"
#include "archive/storage-dir.h"
#include "archive/utc.h"
#include "schedule/hearing-store.h"
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
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/coverage/zones", test_zones);
  return g_test_run ();
}
