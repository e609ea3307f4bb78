/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-export.c: a real courtrecd records a real session of two segments;
 * cr_export_package () makes a package of it, and ffprobe, ffmpeg and
 * sha256sum judge the package as the court's archive would, and its modes
 * as the court's IT would: closed to other users whatever the umask. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/export.h"
#include "archive/segment-index.h"
#include "config/config.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
#define OTHER_CASE_NO "（2026）浙1022民初124号"
/* The recording below is made with keyframe_seconds = 1: one GOP is one
 * second, which bounds how far a keyframe-accurate cut may reach. */
#define GOP_S 1.0

/* One recording serves every test that needs one: recording is the slow
 * part, and exporting never changes it. */
typedef struct {
  CrTestRoom *room;
  CrConfig *config;
  gint64 session_id;
  GPtrArray *segments;   /* CrSegmentRecord */
} Recording;

static Recording *recording;

typedef struct {
  char *dir;             /* fresh; the package goes in it */
  char *bag;             /* dir/package */
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("courtrec-export-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->bag = g_build_filename (fixture->dir, "package", NULL);
}

static void
remove_tree (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };
  g_assert_cmpint (cr_test_run (NULL, NULL, argv), ==, 0);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  if (g_getenv ("CR_TEST_KEEP") == NULL)
    remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->bag);
}

/* --- helpers --------------------------------------------------------------- */

static CrSegmentIndex *
open_index (const CrConfig *config)
{
  g_autofree char *path = g_build_filename (config->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  CrSegmentIndex *index = cr_segment_index_open (path, TRUE, &error);

  g_assert_no_error (error);
  return index;
}

static const CrSegmentRecord *
segment (const Recording *rec, guint i)
{
  return g_ptr_array_index (rec->segments, i);
}

static gboolean
three_segments_closed (gpointer data)
{
  Recording *rec = data;
  g_autoptr (CrSegmentIndex) index = open_index (rec->config);
  g_autoptr (GPtrArray) rows = cr_segment_index_list_segments (index, rec->session_id, NULL);

  if (rows == NULL || rows->len < 3)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    if (!((CrSegmentRecord *) g_ptr_array_index (rows, i))->closed)
      return FALSE;
  return TRUE;
}

/* A session of two segments back to back (segment_seconds = 10, about
 * 14 s), a pause of 2 s, and a third segment of about 3 s after it; then
 * the daemon is stopped so that nothing changes under the exports. */
static Recording *
get_recording (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  gint64 t0;

  if (recording != NULL)
    return recording;
  recording = g_new0 (Recording, 1);
  recording->room = cr_test_room_new (
      10, "[video]\nwidth = 320\nheight = 180\nframerate = 25\nbitrate_kbps = 500\nkeyframe_seconds = 1\n");
  recording->config = cr_config_load (recording->room->config_path, &error);
  g_assert_no_error (error);
  cr_test_room_start (recording->room);

  t0 = g_get_monotonic_time ();
  g_assert_cmpint (cr_test_client (recording->room, NULL, NULL, "start", "--case", CASE_NO,
                                   NULL), ==, 0);
  g_usleep (14 * G_USEC_PER_SEC - (g_get_monotonic_time () - t0));
  g_assert_cmpint (cr_test_client (recording->room, NULL, NULL, "pause", "--reason", "recess",
                                   NULL), ==, 0);
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (recording->room, NULL, NULL, "resume", NULL), ==, 0);
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (recording->room, NULL, NULL, "stop", NULL), ==, 0);

  index = open_index (recording->config);
  sessions = cr_segment_index_list_sessions (index, CASE_NO, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sessions->len, ==, 1);
  recording->session_id = ((CrSessionRecord *) g_ptr_array_index (sessions, 0))->id;
  g_assert_true (cr_test_wait_until (three_segments_closed, recording, 15000));
  g_assert_cmpint (cr_test_room_signal (recording->room, SIGTERM, 10), !=, -1);

  g_clear_pointer (&index, cr_segment_index_free);
  index = open_index (recording->config);
  recording->segments = cr_segment_index_list_segments (index, recording->session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recording->segments->len, ==, 3);
  /* The pause left a gap between the second and the third. */
  g_assert_cmpint (segment (recording, 2)->started_us - segment (recording, 1)->started_us -
                   segment (recording, 1)->duration_us, >, G_USEC_PER_SEC);
  return recording;
}

static void
recording_free (Recording *rec)
{
  if (rec == NULL)
    return;
  g_clear_pointer (&rec->segments, g_ptr_array_unref);
  g_clear_pointer (&rec->config, cr_config_free);
  g_clear_pointer (&rec->room, cr_test_room_free);
  g_free (rec);
}

static gboolean
export (const CrConfig *config, const CrExportRequest *request, CrExportResult *result,
        GError **error)
{
  g_autoptr (CrSegmentIndex) index = open_index (config);
  return cr_export_package (index, config, request, result, error);
}

static double
member_double (JsonObject *object, const char *name)
{
  const char *text = json_object_get_string_member_with_default (object, name, NULL);
  g_assert_nonnull (text);
  return g_ascii_strtod (text, NULL);
}

static gboolean
has_stream (JsonObject *probe, const char *type, const char *codec)
{
  JsonArray *streams = json_object_get_array_member (probe, "streams");

  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), type) == 0 &&
          g_strcmp0 (json_object_get_string_member (stream, "codec_name"), codec) == 0)
        return TRUE;
    }
  return FALSE;
}

static const char *
format_tag (JsonObject *probe, const char *name)
{
  JsonObject *format = json_object_get_object_member (probe, "format");
  JsonObject *tags = json_object_get_object_member (format, "tags");

  return json_object_get_string_member_with_default (tags, name, NULL);
}

static gint64
parse_iso8601_us (const char *text)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (text, NULL);

  g_assert_nonnull (when);
  return g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
}

/* Runs @command (sh) in @dir; returns its exit status, its output in @out. */
static int
run_in (const char *dir, const char *command, char **out)
{
  const char *argv[] = { "sh", "-c", command, "sh", dir, NULL };
  g_autofree char *err = NULL;
  g_autofree char *stdout_text = NULL;
  int status = cr_test_run (&stdout_text, &err, argv);

  if (status != 0)
    g_test_message ("%s: %s%s", command, stdout_text, err);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return status;
}

static void
sum_files (const char *dir, gint64 *bytes, guint *count)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      g_assert_cmpint (g_lstat (path, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        sum_files (path, bytes, count);
      else
        {
          *bytes += st.st_size;
          (*count)++;
        }
    }
}

static char *
bag_info (const char *bag, const char *label)
{
  g_autofree char *path = g_build_filename (bag, "bag-info.txt", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *prefix = g_strdup_printf ("%s: ", label);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_strdup (lines[i] + strlen (prefix));
  return NULL;
}

/* The bag is whole and checks with the tools an archive would use. */
static void
assert_valid_bag (const char *bag, const CrExportResult *result)
{
  g_autofree char *bagit_txt = g_build_filename (bag, "bagit.txt", NULL);
  g_autofree char *payload = g_build_filename (bag, "data", NULL);
  g_autofree char *declaration = NULL;
  g_autofree char *oxum = NULL;
  g_autofree char *expected_oxum = NULL;
  g_autofree char *parent = g_path_get_dirname (bag);
  g_autoptr (GDir) siblings = NULL;
  gint64 bytes = 0;
  guint count = 0;
  const char *name;

  g_assert_true (g_file_get_contents (bagit_txt, &declaration, NULL, NULL));
  g_assert_cmpstr (declaration, ==, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
  g_assert_cmpint (run_in (bag, "cd \"$1\" && sha256sum --strict -c manifest-sha256.txt",
                           NULL), ==, 0);
  g_assert_cmpint (run_in (bag, "cd \"$1\" && sha256sum --strict -c tagmanifest-sha256.txt",
                           NULL), ==, 0);
  /* Every payload file is in the manifest. */
  {
    g_autofree char *listed = NULL;
    g_autofree char *found = NULL;
    g_assert_cmpint (run_in (bag, "cd \"$1\" && cut -c67- manifest-sha256.txt | sort", &listed),
                     ==, 0);
    g_assert_cmpint (run_in (bag, "cd \"$1\" && find data -type f | LC_ALL=C sort", &found),
                     ==, 0);
    g_assert_cmpstr (listed, ==, found);
  }

  sum_files (payload, &bytes, &count);
  oxum = bag_info (bag, "Payload-Oxum");
  expected_oxum = g_strdup_printf ("%" G_GINT64_FORMAT ".%u", bytes, count);
  g_assert_cmpstr (oxum, ==, expected_oxum);
  g_assert_cmpint (result->bytes, ==, bytes);
  g_free (oxum);
  oxum = bag_info (bag, "External-Identifier");
  g_assert_cmpstr (oxum, ==, CASE_NO);
  g_free (oxum);
  oxum = bag_info (bag, "Source-Organization");
  g_assert_cmpstr (oxum, ==, "浙江省三门县人民法院");
  g_free (oxum);
  oxum = bag_info (bag, "Bagging-Date");
  g_assert_nonnull (oxum);

  /* Nothing half-built is left beside it. */
  siblings = g_dir_open (parent, 0, NULL);
  while ((name = g_dir_read_name (siblings)) != NULL)
    g_assert_null (strstr (name, "partial"));
}

static JsonObject *
assert_plays (const char *path, const Recording *rec)
{
  g_autofree char *errors = NULL;
  JsonObject *probe = cr_test_ffprobe (path, TRUE);

  g_assert_nonnull (probe);
  if (!cr_test_ffmpeg_decodes (path, &errors))
    {
      /* Say whether the recording itself decodes: it tells an export bug
       * from a recording bug. */
      g_autoptr (GString) sources = g_string_new (NULL);
      for (guint i = 0; i < rec->segments->len; i++)
        {
          const CrSegmentRecord *row = g_ptr_array_index (rec->segments, i);
          g_autofree char *source = g_build_filename (rec->config->storage_dir, row->path,
                                                      NULL);
          g_autofree char *source_errors = NULL;
          gboolean clean = cr_test_ffmpeg_decodes (source, &source_errors);
          g_string_append_printf (sources, "\nsegment %u: %s %s", row->sequence,
                                  clean ? "decodes" : "does not decode either:",
                                  clean ? "" : source_errors);
        }
      g_error ("ffmpeg could not decode %s: %s%s", path, errors, sources->str);
    }
  g_assert_true (has_stream (probe, "video", "h264"));
  g_assert_true (has_stream (probe, "audio", "aac"));
  return probe;
}

static char *
session_mp4 (const char *bag, gint64 session_id)
{
  return g_strdup_printf ("%s/data/session-%" G_GINT64_FORMAT "/session-%" G_GINT64_FORMAT
                          ".mp4", bag, session_id, session_id);
}

/* --- tests ----------------------------------------------------------------- */

/* The whole session: one MP4 as long as the index says, that plays, in a
 * bag that checks. */
static void
test_session (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  CrExportRequest request = { .case_no = CASE_NO, .output_dir = fixture->bag };
  CrExportResult result = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *mp4 = session_mp4 (fixture->bag, rec->session_id);
  g_autoptr (JsonObject) probe = NULL;
  double indexed = 0, duration;
  gint64 created;

  g_assert_true (export (rec->config, &request, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.sessions, ==, 1);

  probe = assert_plays (mp4, rec);
  for (guint i = 0; i < rec->segments->len; i++)
    indexed += segment (rec, i)->duration_us / 1e6;
  duration = member_double (json_object_get_object_member (probe, "format"), "duration");
  g_test_message ("index %.3f s, export %.3f s", indexed, duration);
  g_assert_cmpfloat_with_epsilon (duration, indexed, GOP_S);
  g_assert_cmpfloat_with_epsilon (result.media_us / 1e6, duration, 0.05);

  /* What the file says of itself: its case and session, when it starts
   * (MP4 keeps whole seconds), and where its second part came from. */
  g_assert_nonnull (strstr (format_tag (probe, "title"), CASE_NO));
  created = parse_iso8601_us (format_tag (probe, "creation_time"));
  g_assert_cmpint (segment (rec, 0)->started_us - created, >=, 0);
  g_assert_cmpint (segment (rec, 0)->started_us - created, <, G_USEC_PER_SEC);
  /* Joined across the pause, with the real start of each part on record. */
  for (guint i = 1; i < rec->segments->len; i++)
    {
      g_autofree char *part = cr_format_utc (segment (rec, i)->started_us);
      g_assert_nonnull (strstr (format_tag (probe, "comment"), part));
    }

  assert_valid_bag (fixture->bag, &result);
  {
    g_autofree char *dir = g_path_get_dirname (mp4);
    const char *names[] = { "report.txt", "report.html", "report.json", "timeline.tsv" };
    for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = g_build_filename (dir, names[i], NULL);
        g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      }
  }
}

/* A window across the segment boundary: from the keyframe at or before
 * its start to its end, within one GOP. */
static void
test_window (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  gint64 from = segment (rec, 0)->started_us + 7300 * 1000;
  gint64 to = segment (rec, 0)->started_us + 12500 * 1000;
  CrExportRequest request = { .case_no = CASE_NO, .session_id = rec->session_id,
                              .from_us = from, .to_us = to, .output_dir = fixture->bag };
  CrExportResult result = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *mp4 = session_mp4 (fixture->bag, rec->session_id);
  g_autoptr (JsonObject) probe = NULL;
  const char *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v",
                         "-show_entries", "packet=pts_time,flags", "-read_intervals", "%+#1",
                         "-of", "csv=p=0", mp4, NULL };
  g_autofree char *first = NULL;
  g_autofree char *timeline_path = NULL;
  g_autofree char *timeline = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) columns = NULL;
  double duration, wanted = (to - from) / 1e6;
  gint64 first_utc;

  g_assert_true (export (rec->config, &request, &result, &error));
  g_assert_no_error (error);
  probe = assert_plays (mp4, rec);
  duration = member_double (json_object_get_object_member (probe, "format"), "duration");
  g_test_message ("window %.3f s, export %.3f s", wanted, duration);
  g_assert_cmpfloat (duration, >=, wanted - 0.05);
  g_assert_cmpfloat (duration, <=, wanted + GOP_S + 0.05);

  /* It opens on a keyframe, at time 0. */
  g_assert_cmpint (cr_test_run (&first, NULL, argv), ==, 0);
  g_assert_true (g_str_has_prefix (first, "0.000000,K"));

  /* That keyframe is at or before the window's start, by less than a GOP. */
  timeline_path = g_strdup_printf ("%s/data/session-%" G_GINT64_FORMAT "/timeline.tsv",
                                   fixture->bag, rec->session_id);
  g_assert_true (g_file_get_contents (timeline_path, &timeline, NULL, NULL));
  lines = g_strsplit (timeline, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 4);
  columns = g_strsplit (lines[2], "\t", -1);
  g_assert_cmpuint (g_strv_length (columns), ==, 6);
  g_assert_true (cr_parse_utc (columns[3], &first_utc));
  g_assert_cmpint (first_utc, <=, from);
  g_assert_cmpint (from - first_utc, <, GOP_S * G_USEC_PER_SEC);
  g_assert_cmpint (from - parse_iso8601_us (format_tag (probe, "creation_time")), <,
                   2 * G_USEC_PER_SEC);
  assert_valid_bag (fixture->bag, &result);
}

/* Nothing to export: a clear INVALID, and no package. */
static void
test_nothing (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  CrExportRequest request = { .case_no = OTHER_CASE_NO, .output_dir = fixture->bag };
  g_autoptr (GError) error = NULL;

  g_assert_false (export (rec->config, &request, NULL, &error));
  g_assert_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "No sessions"));
  g_assert_nonnull (strstr (error->message, OTHER_CASE_NO));
  g_clear_error (&error);

  /* A window in which nothing was recorded. */
  request.case_no = CASE_NO;
  request.from_us = segment (rec, 1)->started_us + (gint64) 3600 * G_USEC_PER_SEC;
  request.to_us = request.from_us + (gint64) 60 * G_USEC_PER_SEC;
  g_assert_false (export (rec->config, &request, NULL, &error));
  g_assert_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Nothing"));
  g_clear_error (&error);

  /* A window that ends before it starts. */
  request.to_us = request.from_us - 1;
  g_assert_false (export (rec->config, &request, NULL, &error));
  g_assert_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID);
  g_clear_error (&error);

  /* A session of another case. */
  request.from_us = request.to_us = 0;
  request.session_id = rec->session_id + 1000;
  g_assert_false (export (rec->config, &request, NULL, &error));
  g_assert_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID);

  g_assert_false (g_file_test (fixture->bag, G_FILE_TEST_EXISTS));
}

/* A directory with something in it is never written into. */
static void
test_output_not_empty (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  CrExportRequest request = { .case_no = CASE_NO, .output_dir = fixture->bag };
  g_autoptr (GError) error = NULL;
  g_autofree char *kept = g_build_filename (fixture->bag, "notes.txt", NULL);
  g_autoptr (GDir) dir = NULL;
  guint entries = 0;

  g_assert_cmpint (g_mkdir (fixture->bag, 0755), ==, 0);
  g_assert_true (g_file_set_contents (kept, "mine", -1, NULL));
  g_assert_false (export (rec->config, &request, NULL, &error));
  g_assert_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "not empty"));

  dir = g_dir_open (fixture->bag, 0, NULL);
  while (g_dir_read_name (dir) != NULL)
    entries++;
  g_assert_cmpuint (entries, ==, 1);
  g_clear_error (&error);

  /* An empty one is fine. */
  g_assert_cmpint (g_unlink (kept), ==, 0);
  g_assert_true (export (rec->config, &request, NULL, &error));
  g_assert_no_error (error);
}

/* Through the client, as court IT runs it: the bag checks with sha256sum,
 * and the export is an event of the session (a copy is never made
 * unbeknownst to the court). */
static void
test_client_export_logged (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *events = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, rec->session_id);
  const char *check[] = { "sh", "-c", "cd \"$0\" && sha256sum -c --quiet manifest-sha256.txt",
                          fixture->bag, NULL };

  g_assert_cmpint (cr_test_client (rec->room, &out, &err, "export", "--case",
                                   "(2026) 浙1022民初123号", "-o", fixture->bag, NULL), ==, 0);
  g_test_message ("%s%s", out, err);
  g_assert_cmpint (cr_test_run (NULL, NULL, check), ==, 0);
  g_assert_cmpint (cr_test_client (rec->room, &events, NULL, "events", id, "--json", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (events, "\"export\""));
  g_assert_nonnull (strstr (events, fixture->bag));
  /* A bad case number is the user's mistake: exit 2, nothing written. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (rec->room, NULL, &err, "export", "--case", "浙1022民初123号",
                                   "-o", fixture->bag, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "no year in brackets"));
}

/* A segment file gone from the disk: an error that names it, never a
 * shorter export, and nothing left behind. */
static void
test_missing_segment (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  g_autofree char *storage = g_build_filename (fixture->dir, "storage", NULL);
  const char *copy_argv[] = { "cp", "-a", rec->config->storage_dir, storage, NULL };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = NULL;
  CrExportRequest request = { .case_no = CASE_NO, .output_dir = fixture->bag };
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_assert_cmpint (cr_test_run (NULL, NULL, copy_argv), ==, 0);
  config = cr_config_load (rec->room->config_path, &error);
  g_assert_no_error (error);
  g_free (config->storage_dir);
  config->storage_dir = g_strdup (storage);
  missing = g_build_filename (storage, segment (rec, 1)->path, NULL);
  g_assert_cmpint (g_unlink (missing), ==, 0);

  g_assert_false (export (config, &request, NULL, &error));
  g_assert_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, missing));
  g_assert_nonnull (strstr (error->message, "missing"));

  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_cmpstr (name, ==, "storage");
}

/* Every directory of @path 0750 and every file 0640, exactly. */
static void
assert_private_tree (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      if ((st.st_mode & 07777) != 0750)
        g_error ("%s is mode %04o, not 0750", path, (guint) (st.st_mode & 07777));
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          assert_private_tree (child);
        }
    }
  else
    {
      g_assert_true (S_ISREG (st.st_mode));
      if ((st.st_mode & 07777) != 0640)
        g_error ("%s is mode %04o, not 0640", path, (guint) (st.st_mode & 07777));
    }
}

/* Under umask 0, into an empty directory made 0777: the package is still
 * closed to other users, the MP4 libav wrote (0666 less the umask) too, and
 * it still checks. */
static void
test_closed_to_others (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  CrExportRequest request = { .case_no = CASE_NO, .output_dir = fixture->bag };
  CrExportResult result = { 0 };
  g_autoptr (GError) error = NULL;
  const char *check[] = { "sh", "-c", "cd \"$0\" && sha256sum -c --quiet manifest-sha256.txt",
                          fixture->bag, NULL };
  mode_t old_umask = umask (0);

  g_assert_cmpint (g_mkdir (fixture->bag, 0777), ==, 0);
  g_assert_true (export (rec->config, &request, &result, &error));
  g_assert_no_error (error);
  umask (old_umask);
  assert_private_tree (fixture->bag);
  g_assert_cmpint (cr_test_run (NULL, NULL, check), ==, 0);
  g_assert_cmpuint (result.partials_removed, ==, 0);
}

static void
make_partial (const char *path)
{
  g_autofree char *data = g_build_filename (path, "data", NULL);
  g_autofree char *file = g_build_filename (data, "copy.mp4", NULL);

  g_assert_cmpint (g_mkdir_with_parents (data, 0755), ==, 0);
  g_assert_true (g_file_set_contents (file, "a copy of a hearing", -1, NULL));
}

/* What killed exports left beside the package is removed by the next one
 * (whatever package they were for); a build still going on (it holds its
 * lock), a symbolic link and names not of that form are left alone. */
static void
test_partials_removed (Fixture *fixture, gconstpointer data)
{
  Recording *rec = get_recording ();
  CrExportRequest request = { .case_no = CASE_NO, .output_dir = fixture->bag };
  CrExportResult result = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *killed = g_build_filename (fixture->dir, ".package.partial-a1B2c3", NULL);
  g_autofree char *other = g_build_filename (fixture->dir, ".hearing-2.partial-ZZ9x0q", NULL);
  g_autofree char *building = g_build_filename (fixture->dir, ".package.partial-Busy42", NULL);
  g_autofree char *link = g_build_filename (fixture->dir, ".link.partial-Lnk123", NULL);
  g_autofree char *short_name = g_build_filename (fixture->dir, ".package.partial-abc", NULL);
  g_autofree char *not_hidden = g_build_filename (fixture->dir, "package.partial-abcdef", NULL);
  const char *check[] = { "sh", "-c", "cd \"$0\" && sha256sum -c --quiet manifest-sha256.txt",
                          fixture->bag, NULL };
  int lock_fd;

  make_partial (killed);
  make_partial (other);
  make_partial (building);
  make_partial (short_name);
  make_partial (not_hidden);
  g_assert_cmpint (symlink (other, link), ==, 0);
  lock_fd = g_open (building, O_RDONLY | O_DIRECTORY, 0);
  g_assert_cmpint (lock_fd, >=, 0);
  g_assert_cmpint (flock (lock_fd, LOCK_EX), ==, 0);

  g_assert_true (export (rec->config, &request, &result, &error));
  g_assert_no_error (error);
  close (lock_fd);
  g_assert_cmpuint (result.partials_removed, ==, 2);
  g_assert_false (g_file_test (killed, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (building, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (short_name, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (not_hidden, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpint (cr_test_run (NULL, NULL, check), ==, 0);
}

int
main (int argc, char **argv)
{
  int status;

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/courtrec/archive/export/session", Fixture, NULL, fixture_set_up,
              test_session, fixture_tear_down);
  g_test_add ("/courtrec/archive/export/window", Fixture, NULL, fixture_set_up,
              test_window, fixture_tear_down);
  g_test_add ("/courtrec/archive/export/nothing", Fixture, NULL, fixture_set_up,
              test_nothing, fixture_tear_down);
  g_test_add ("/courtrec/archive/export/output-not-empty", Fixture, NULL, fixture_set_up,
              test_output_not_empty, fixture_tear_down);
  g_test_add ("/courtrec/archive/export/client-logged", Fixture, NULL, fixture_set_up,
              test_client_export_logged, fixture_tear_down);
  g_test_add ("/courtrec/archive/export/missing-segment", Fixture, NULL, fixture_set_up,
              test_missing_segment, fixture_tear_down);
  g_test_add ("/courtrec/archive/export/closed-to-others", Fixture, NULL, fixture_set_up,
              test_closed_to_others, fixture_tear_down);
  g_test_add ("/courtrec/archive/export/partials-removed", Fixture, NULL, fixture_set_up,
              test_partials_removed, fixture_tear_down);

  status = g_test_run ();
  g_clear_pointer (&recording, recording_free);
  return status;
}
