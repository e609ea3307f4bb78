/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-upload-lock.c: WORM in the court's archive, against a real
 * single-node Ceph (tests/test-util-ceph.h). In a bucket with Object Lock
 * every object of a hearing is written under COMPLIANCE until the
 * session's start plus [archive] lock_retain_years: a HEAD by curl's own
 * SigV4 shows the mode and the date (the same for all of them), and the
 * store refuses the test's DELETE of that version. A file large enough to
 * go in parts is locked too (RGW 16.2 drops the lock headers of a
 * multipart create), and one sent again after a crash gets the same date.
 * With object_lock = off nothing is locked; a bad
 * lock_retain_years stops --check-config, naming the key and the file. */
#include <string.h>

#include "archive/segment-index.h"
#include "archive/upload-queue.h"
#include "recorder/uploader.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"

#define CASE_NO "（2026）浙1022民初31号"

static CrTestCeph *store;

/* Runs sqlite3 on the room's index; the first line of its answer. */
static char *
index_query (CrTestRoom *room, const char *sql)
{
  g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
  const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
  char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strchomp (out);
}

/* Waits until every queued item of the room is verified. */
static void
wait_archived (CrTestRoom *room, guint seconds)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) archive = cr_test_archive_status (room);

      if (json_object_get_int_member (archive, "queue_length") == 0 &&
          !json_object_get_null_member (archive, "last_success"))
        return;
      if (g_get_monotonic_time () > until)
        g_error ("the archive's queue did not empty in %u s: last error %s", seconds,
                 json_object_get_null_member (archive, "last_error")
                     ? "none" : json_object_get_string_member (archive, "last_error"));
      g_usleep (250 * 1000);
    }
}

/* The value of header @name in curl's -I output, or NULL. (transfer full) */
static char *
header_value (const char *headers, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (headers, "\n", -1);
  gsize length = strlen (name);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, length) == 0 && lines[i][length] == ':')
      return g_strstrip (g_strdup (lines[i] + length + 1));
  return NULL;
}

/* The session's start plus @years, UTC, "YYYY-MM-DD": the day its
 * retention ends, from the index's own start time. */
static char *
expected_day (CrTestRoom *room, gint64 session, guint years)
{
  g_autofree char *sql = g_strdup_printf ("SELECT started_at FROM sessions WHERE id = %"
                                          G_GINT64_FORMAT, session);
  g_autofree char *started_at = index_query (room, sql);
  g_autoptr (GDateTime) started = g_date_time_new_from_iso8601 (started_at, NULL);
  g_autoptr (GDateTime) until = NULL;

  g_assert_nonnull (started);
  until = g_date_time_add_years (started, (gint) years);
  return g_date_time_format (until, "%Y-%m-%d");
}

/* HEADs BUCKET/KEY with curl and checks its lock: COMPLIANCE until @day,
 * or none (@day NULL). Returns its version. (transfer full) */
static char *
assert_lock (const char *bucket, const char *key, const char *day)
{
  g_autofree char *path = g_strdup_printf ("%s/%s", bucket, key);
  g_autofree char *head = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *until = NULL;
  char *version;

  g_assert_cmpint (cr_test_ceph_curl (store, path, NULL, &head), ==, 0);
  mode = header_value (head, "x-amz-object-lock-mode");
  until = header_value (head, "x-amz-object-lock-retain-until-date");
  version = header_value (head, "x-amz-version-id");
  g_test_message ("%s: %s until %s, version %s", key, mode, until, version);
  g_assert_nonnull (version);
  if (day == NULL)
    {
      g_assert_null (mode);
      g_assert_null (until);
      return version;
    }
  g_assert_cmpstr (mode, ==, "COMPLIANCE");
  g_assert_nonnull (until);
  g_assert_true (g_str_has_prefix (until, day));
  return version;
}

/* curl's DELETE of one version: refused by the lock, 403 AccessDenied. */
static void
assert_delete_refused (const char *bucket, const char *key, const char *version)
{
  g_autofree char *escaped = g_uri_escape_string (version, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s/%s/%s?versionId=%s", store->endpoint, bucket,
                                          key, escaped);
  g_autofree char *sigv4 = g_strdup_printf ("aws:amz:%s:s3", store->region);
  g_autofree char *user = g_strdup_printf ("%s:%s", store->access_key, store->secret_key);
  const char *argv[] = {
    "curl", "-sS", "-X", "DELETE", "--aws-sigv4", sigv4, "--user", user,
    "-H", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "-w", "\n%{http_code}", url, NULL,
  };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_test_message ("DELETE %s?versionId=%s: %s", key, version, out);
  g_assert_true (g_str_has_suffix (g_strchomp (out), "\n403"));
  g_assert_nonnull (strstr (out, "<Code>AccessDenied</Code>"));
}

/* Every segment and the manifest of a hearing: COMPLIANCE until its
 * start plus lock_retain_years (7 here, not the default), the same day for
 * all, and none can be deleted. */
static void
test_session_locked (void)
{
  g_autofree char *keys_sql = NULL;
  g_autofree char *keys = NULL;
  g_autofree char *day = NULL;
  g_auto (GStrv) lines = NULL;
  CrTestRoom *room;
  gint64 session;
  guint segments = 0, manifests = 0;

  if (cr_test_ceph_skipped (store))
    return;
  room = cr_test_ceph_room (store, "court-worm", TRUE, "lock_retain_years = 7\n");
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  wait_archived (room, 60);
  day = expected_day (room, session, 7);
  keys_sql = g_strdup_printf ("SELECT key FROM upload_queue WHERE state = 'verified' AND "
                              "session_id = %" G_GINT64_FORMAT, session);
  keys = index_query (room, keys_sql);
  lines = g_strsplit (keys, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *version = assert_lock ("court-worm", lines[i], day);

      assert_delete_refused ("court-worm", lines[i], version);
      if (g_str_has_suffix (lines[i], "/manifest.json"))
        manifests++;
      else
        segments++;
    }
  g_assert_cmpuint (manifests, ==, 1);
  g_assert_cmpuint (segments, >=, 1);
  cr_test_room_free (room);
}

/* object_lock = off on a bucket that has a lock: what is sent carries no
 * retention (the bucket has no default one, so a lock seen would be
 * ours). */
static void
test_lock_off (void)
{
  g_autofree char *keys_sql = NULL;
  g_autofree char *keys = NULL;
  g_auto (GStrv) lines = NULL;
  CrTestRoom *room;
  gint64 session;

  if (cr_test_ceph_skipped (store))
    return;
  room = cr_test_ceph_room (store, "court-worm-off", TRUE, "object_lock = off\n");
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (2 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  wait_archived (room, 60);
  keys_sql = g_strdup_printf ("SELECT key FROM upload_queue WHERE state = 'verified' AND "
                              "session_id = %" G_GINT64_FORMAT, session);
  keys = index_query (room, keys_sql);
  lines = g_strsplit (keys, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 2);
  for (guint i = 0; lines[i] != NULL; i++)
    g_free (assert_lock ("court-worm-off", lines[i], NULL));
  cr_test_room_free (room);
}

/* Runs an uploader on an index of the test's own until @rows of its
 * queue are verified (read by sqlite3), then stops it. */
static void
upload_own_index (const CrArchiveConfig *config, const char *index_path, const char *dir,
                  guint rows)
{
  g_autoptr (CrUploader) uploader = cr_uploader_new (config, "test-room", NULL, index_path, dir);
  gint64 until = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  const char *argv[] = { "sqlite3", "-readonly", index_path,
                         "SELECT count(*) FROM upload_queue WHERE state = 'verified'", NULL };

  cr_uploader_poke (uploader);
  for (;;)
    {
      g_autofree char *out = NULL;
      double offset;
      guint measure;

      g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
      if (g_ascii_strtoull (out, NULL, 10) >= rows)
        break;
      /* What the recorder does: take the clock's measure and say it is
       * logged, which the first upload waits for. */
      if (cr_uploader_peek_clock_offset (uploader, &offset, &measure))
        cr_uploader_clock_logged (uploader, measure);
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (100 * 1000);
    }
}

/* An index of the test's own in store->work/@name with one session of
 * this room started at @started and its segment 1, a closed file of
 * @bytes random bytes (@seed), and @config an archive of @bucket with
 * Object Lock for it; the segment's key in *@key, its session's in
 * *@base. (No room records 65 MiB cheaply, nor starts in 2024.) */
static void
own_session (const char *name, const char *bucket, GDateTime *started, gsize bytes,
             guint seed, CrArchiveConfig *config, char **dir, char **index_path, char **base,
             char **key)
{
  g_autofree char *access = g_strdup_printf ("%s.access", name);
  g_autofree char *secret = g_strdup_printf ("%s.secret", name);
  g_autofree char *segment_path = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) record = NULL;
  g_autoptr (GError) error = NULL;
  gint64 started_us = g_date_time_to_unix (started) * G_USEC_PER_SEC;
  gint64 session, segment;

  *config = (CrArchiveConfig) {
    .name = "court", .endpoint = store->endpoint, .bucket = (char *) bucket,
    .prefix = "sanmen", .region = store->region, .max_age_hours = 24,
    .window = { TRUE, 0, 0 }, .object_lock = TRUE, .lock_retain_years = 3,
  };
  config->access_key_file = cr_test_ceph_key_file (store, access, store->access_key);
  config->secret_key_file = cr_test_ceph_key_file (store, secret, store->secret_key);
  *dir = g_build_filename (store->work, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (*dir, 0700), ==, 0);
  *index_path = g_build_filename (*dir, "index.db", NULL);
  segment_path = g_build_filename (*dir, "000001.mkv", NULL);
  sha256 = cr_test_random_file (segment_path, bytes, seed);
  index = cr_segment_index_open (*index_path, FALSE, &error);
  g_assert_no_error (error);
  session = cr_segment_index_begin_session (index, "test-room", CASE_NO, NULL, started_us,
                                            &error);
  g_assert_no_error (error);
  segment = cr_segment_index_add_segment (index, session, 1, "000001.mkv", started_us, &error);
  g_assert_no_error (error);
  g_assert_true (cr_segment_index_close_segment (index, segment, 10 * G_USEC_PER_SEC, bytes,
                                                 sha256, &error));
  g_assert_no_error (error);
  record = cr_segment_index_get_session (index, session, &error);
  g_assert_no_error (error);
  *base = cr_upload_session_key ("sanmen", "test-room", record);
  *key = g_strdup_printf ("%s/000001.mkv", *base);
}

/* A segment past the multipart threshold (64 MiB) goes in parts and is
 * locked all the same; its session started on 29 February, so with 3
 * years its retention ends on 28 February (a common year). The uploader
 * runs on an index of the test's own (no room records 65 MiB cheaply). */
static void
test_multipart_locked (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *base = NULL;
  g_autofree char *key = NULL;
  g_autofree char *version = NULL;
  g_autoptr (GDateTime) started = g_date_time_new_utc (2024, 2, 29, 9, 30, 0);
  CrArchiveConfig config;

  if (cr_test_ceph_skipped (store))
    return;
  own_session ("parts", "court-worm-parts", started, 65 << 20, 31, &config, &dir, &index_path,
               &base, &key);

  upload_own_index (&config, index_path, dir, 1);
  {
    g_autofree char *path = g_strdup_printf ("court-worm-parts/%s", key);
    g_autofree char *head = NULL;
    g_autofree char *etag = NULL;

    g_assert_cmpint (cr_test_ceph_curl (store, path, NULL, &head), ==, 0);
    etag = header_value (head, "ETag");
    g_test_message ("%s: ETag %s", key, etag);
    /* 65 MiB in parts of 16 MiB: five. */
    g_assert_true (g_str_has_suffix (etag, "-5\""));
  }
  version = assert_lock ("court-worm-parts", key, "2027-02-28");
  assert_delete_refused ("court-worm-parts", key, version);
  g_free (config.access_key_file);
  g_free (config.secret_key_file);
}

/* Sent again after a crash (the row found "uploading" at start, the key
 * gone from the bucket's listing behind a delete marker): the new version
 * carries the very date the first one does, its session's start plus
 * lock_retain_years, and both stay locked. */
static void
test_resent_same_date (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *base = NULL;
  g_autofree char *key = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *path = NULL;
  g_autofree char *versions = NULL;
  g_autoptr (GDateTime) started = g_date_time_new_utc (2025, 6, 15, 10, 0, 0);
  CrArchiveConfig config;

  if (cr_test_ceph_skipped (store))
    return;
  own_session ("again", "court-worm-again", started, 1 << 20, 47, &config, &dir, &index_path,
               &base, &key);

  upload_own_index (&config, index_path, dir, 1);
  first = assert_lock ("court-worm-again", key, "2028-06-15");
  /* A delete marker (allowed under the lock: the version stays), and the
   * row as a crash mid-upload leaves it. */
  {
    g_autofree char *url = g_strdup_printf ("%s/court-worm-again/%s", store->endpoint, key);
    g_autofree char *sigv4 = g_strdup_printf ("aws:amz:%s:s3", store->region);
    g_autofree char *user = g_strdup_printf ("%s:%s", store->access_key, store->secret_key);
    const char *argv[] = {
      "curl", "-sS", "-f", "-X", "DELETE", "--aws-sigv4", sigv4, "--user", user,
      "-H", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      url, NULL,
    };
    const char *reset[] = { "sqlite3", index_path,
                            "UPDATE upload_queue SET state = 'uploading'", NULL };

    g_assert_cmpint (cr_test_run (NULL, NULL, argv), ==, 0);
    g_assert_cmpint (cr_test_run (NULL, NULL, reset), ==, 0);
  }
  upload_own_index (&config, index_path, dir, 1);
  second = assert_lock ("court-worm-again", key, "2028-06-15");
  g_assert_cmpstr (first, !=, second);
  /* Both versions there, the first still refusing its delete. */
  {
    /* Encoded as SigV4 signs it: curl 7.88 signs the query as written. */
    g_autofree char *prefix = g_uri_escape_string (base, NULL, FALSE);

    path = g_strdup_printf ("court-worm-again?prefix=%s&versions=", prefix);
  }
  g_assert_cmpint (cr_test_ceph_curl (store, path, "-", &versions), ==, 0);
  g_assert_nonnull (strstr (versions, first));
  g_assert_nonnull (strstr (versions, second));
  assert_delete_refused ("court-worm-again", key, first);
  g_free (config.access_key_file);
  g_free (config.secret_key_file);
}


/* A log handler that keeps each message's text, a line each, in @data
 * (a GString), and lets it through. */
static void
keep_message (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  static GMutex lock;

  g_mutex_lock (&lock);
  g_string_append_printf (data, "%s\n", message);
  g_mutex_unlock (&lock);
  g_log_default_handler (domain, level, message, NULL);
}

/* The parts of @upload_id the store holds, by curl's ListParts. */
static guint
parts_held (const char *bucket, const char *key, const char *upload_id)
{
  g_autofree char *escaped = g_uri_escape_string (upload_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("%s/%s?uploadId=%s", bucket, key, escaped);
  g_autofree char *listing = NULL;
  guint n = 0;

  if (cr_test_ceph_curl (store, path, "-", &listing) != 0)
    return 0;
  for (const char *at = listing; (at = strstr (at, "<Part>")) != NULL; at++)
    n++;
  return n;
}

/* An uploader stopped in the middle of a segment's parts (its row left
 * "uploading" with the upload's id, as a crash leaves it): the next one
 * asks the store which parts it holds (ListParts), sends only the others,
 * completes, locks and verifies; what the bucket then holds is the file. */
static void
test_multipart_resumed (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *base = NULL;
  g_autofree char *key = NULL;
  g_autofree char *upload_id = NULL;
  g_autofree char *fetched = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *local = NULL;
  g_autoptr (GDateTime) started = g_date_time_new_utc (2025, 3, 1, 8, 0, 0);
  CrArchiveConfig config;
  guint held = 0;
  gint64 stop_started;
  double stop_seconds;

  if (cr_test_ceph_skipped (store))
    return;
  own_session ("resume", "court-worm-resume", started, 65 << 20, 53, &config, &dir,
               &index_path, &base, &key);
  /* The stall time is also how long a row left unknown waits before its
   * second look (30 s by default): shorter here. */
  g_setenv ("COURTREC_S3_STALL_SECONDS", "3", TRUE);
  /* 10 MB/s: a part of 16 MiB every 1.7 s. */
  config.bandwidth_kbps = 80000;
  {
    g_autoptr (CrUploader) uploader = cr_uploader_new (&config, "test-room", NULL, index_path,
                                                       dir);
    const char *argv[] = { "sqlite3", "-readonly", index_path,
                           "SELECT upload_id FROM upload_queue WHERE upload_id IS NOT NULL",
                           NULL };
    gint64 until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

    cr_uploader_poke (uploader);
    while (held < 2)
      {
        double offset;
        guint measure;

        if (cr_uploader_peek_clock_offset (uploader, &offset, &measure))
          cr_uploader_clock_logged (uploader, measure);
        if (upload_id == NULL)
          {
            g_autofree char *out = NULL;

            g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
            if (*g_strchomp (out) != '\0')
              upload_id = g_steal_pointer (&out);
          }
        if (upload_id != NULL)
          held = parts_held ("court-worm-resume", key, upload_id);
        g_assert_cmpint (g_get_monotonic_time (), <, until);
        g_usleep (100 * 1000);
      }
    /* Stopped mid-part, as a crash or a stop would: at once, not after
     * the parts still to go (three more at this rate: 5 s). */
    stop_started = g_get_monotonic_time ();
    g_clear_pointer (&uploader, cr_uploader_free);
    stop_seconds = (g_get_monotonic_time () - stop_started) / 1e6;
  }
  g_test_message ("stopped in %.2f s with %u of 5 parts in the store", stop_seconds, held);
  g_assert_cmpfloat (stop_seconds, <, 1.5 * cr_test_timing_factor ());
  g_assert_cmpuint (parts_held ("court-worm-resume", key, upload_id), <, 5);

  /* The next uploader goes on from the parts the store holds, and says so. */
  {
    GString *said = g_string_new (NULL);
    g_autofree char *expected = g_strdup_printf ("goes on where it stopped: the store holds "
                                                 "%u of its 5 parts", held);
    GLogFunc was = g_log_set_default_handler (keep_message, said);

    config.bandwidth_kbps = 0;
    upload_own_index (&config, index_path, dir, 1);
    g_log_set_default_handler (was, NULL);
    g_test_message ("the second uploader said: %s", said->str);
    g_assert_nonnull (strstr (said->str, expected));
    g_string_free (said, TRUE);
  }
  assert_lock ("court-worm-resume", key, "2028-03-01");

  fetched = g_build_filename (dir, "fetched", NULL);
  local = g_build_filename (dir, "000001.mkv", NULL);
  {
    g_autofree char *path = g_strdup_printf ("court-worm-resume/%s", key);
    g_assert_cmpint (cr_test_ceph_curl (store, path, fetched, NULL), ==, 0);
  }
  digest = cr_test_tool_digest ("sha256sum", fetched);
  {
    g_autofree char *expected = cr_test_tool_digest ("sha256sum", local);
    g_assert_cmpstr (digest, ==, expected);
  }
  g_unsetenv ("COURTREC_S3_STALL_SECONDS");
  g_free (config.access_key_file);
  g_free (config.secret_key_file);
}

/* A bad lock_retain_years stops the daemon's --check-config with exit 2,
 * naming the file, the group, the key and what was expected. */
static void
test_bad_years (void)
{
  const char *bad[] = { "0", "101", "-1", "ten", "30.5", "" };
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *more = g_strdup_printf ("lock_retain_years = %s\n", bad[i]);
      g_autofree char *extra = cr_test_ceph_archive_section (store, "http://127.0.0.1:9",
                                                             "court-bad", more);
      CrTestRoom *room = cr_test_room_new (10, extra);
      const char *argv[] = { courtrecd, "-c", room->config_path, "--check-config", NULL };
      g_autofree char *err = NULL;
      g_autofree char *named = g_strdup_printf ("[archive court] lock_retain_years = \"%s\"",
                                                bad[i]);

      g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
      g_test_message ("%s: %s", bad[i], err);
      g_assert_nonnull (strstr (err, room->config_path));
      g_assert_nonnull (strstr (err, named));
      g_assert_nonnull (strstr (err, "from 1 to 100"));
      cr_test_room_free (room);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/upload-lock/bad-years", test_bad_years);
  g_test_add_func ("/courtrec/upload-lock/session-locked", test_session_locked);
  g_test_add_func ("/courtrec/upload-lock/multipart-locked", test_multipart_locked);
  g_test_add_func ("/courtrec/upload-lock/resent-same-date", test_resent_same_date);
  g_test_add_func ("/courtrec/upload-lock/multipart-resumed", test_multipart_resumed);
  g_test_add_func ("/courtrec/upload-lock/lock-off", test_lock_off);
  store = cr_test_ceph_new ("test-upload-lock");
  return g_test_run ();
}
