/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-upload.c: courtrecd's store-and-forward to the court's archive,
 * against a real single-node Ceph (tests/test-util-ceph.h). What reaches
 * the bucket is fetched back with curl's own SigV4 and judged with
 * sha256sum against the file on the room's disk and the hash in its
 * index; the queue is read with sqlite3. Never a fake store: without Ceph
 * the cases skip, saying why. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/records.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"
#include "tests/test-util-metrics.h"

#define BUCKET "court-rooms"
#define SERIES "{room=\"test-room\",archive=\"court\"}"
#define CASE_NO "（2026）浙1022民初123号"
/* The SHA-256 of nothing: what a body-less request declares. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static CrTestCeph *store;

static CrTestRoom *
archived_room_with (const char *more)
{
  g_autofree char *access = cr_test_ceph_key_file (store, "archive.access", store->access_key);
  g_autofree char *secret = cr_test_ceph_key_file (store, "archive.secret", store->secret_key);
  g_autofree char *extra = g_strdup_printf (
      "[archive court]\nendpoint = %s\nbucket = " BUCKET "\nprefix = sanmen\n"
      "region = %s\naccess_key_file = %s\nsecret_key_file = %s\n%s",
      store->endpoint, store->region, access, secret, more);
  CrTestRoom *room = cr_test_room_new (10, extra);

  cr_test_room_start (room);
  return room;
}

static CrTestRoom *
archived_room (void)
{
  return archived_room_with ("");
}

/* The room's one archive in status, "archive"[0]. (transfer full) */
static JsonObject *
archive_status (CrTestRoom *room)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  JsonArray *archives = json_object_get_array_member (status, "archive");

  g_assert_nonnull (archives);
  g_assert_cmpuint (json_array_get_length (archives), ==, 1);
  return json_object_ref (json_array_get_object_element (archives, 0));
}

/* Waits until the queue is empty and something was verified. */
static void
wait_archived (CrTestRoom *room, guint seconds)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) archive = archive_status (room);

      if (json_object_get_int_member (archive, "queue_length") == 0 &&
          !json_object_get_null_member (archive, "last_success"))
        {
          g_assert_cmpint (json_object_get_int_member (archive, "queue_bytes"), ==, 0);
          return;
        }
      if (g_get_monotonic_time () > until)
        g_error ("the archive's queue did not empty in %u s: %u waiting, last error %s",
                 seconds, (guint) json_object_get_int_member (archive, "queue_length"),
                 json_object_get_null_member (archive, "last_error")
                     ? "none" : json_object_get_string_member (archive, "last_error"));
      g_usleep (250 * 1000);
    }
}

/* The queue's rows of @session_id, "item|sequence|key|sha256|state" a line,
 * read by sqlite3 from the room's index. (transfer full) */
static GStrv
queue_rows (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *sql = g_strdup_printf (
      "SELECT item, coalesce(sequence, ''), key, sha256, state FROM upload_queue"
      " WHERE session_id = %" G_GINT64_FORMAT " ORDER BY item DESC, sequence", session_id);
  const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strsplit (g_strchomp (out), "\n", -1);
}

/* curl's own SigV4 on @key of the bucket: GET into @into, or HEAD (@into
 * NULL) with the headers returned. Returns curl's exit status. */
static int
fetch (const char *key, const char *into, char **headers)
{
  g_autofree char *url = g_strdup_printf ("%s/" BUCKET "/%s", store->endpoint, key);
  g_autofree char *sigv4 = g_strdup_printf ("aws:amz:%s:s3", store->region);
  g_autofree char *user = g_strdup_printf ("%s:%s", store->access_key, store->secret_key);
  const char *argv[] = { "curl", "-sS", "-f", "--aws-sigv4", sigv4, "--user", user,
                         "-H", "x-amz-content-sha256: " EMPTY_SHA256,
                         into != NULL ? "-o" : "-I", into != NULL ? into : url,
                         into != NULL ? url : NULL, NULL };

  return cr_test_run (headers, NULL, argv);
}

static char *
sha256sum (const char *path)
{
  const char *argv[] = { "sha256sum", path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  *strchr (out, ' ') = '\0';
  return g_steal_pointer (&out);
}

/* Every object of @session_id is in the bucket, verified in the index, and
 * the bytes fetched back are the segment on disk (sha256sum of both, and
 * the index's hash); the manifest names the session. */
static void
assert_session_in_bucket (CrTestRoom *room, gint64 session_id)
{
  g_autoptr (GPtrArray) segments = cr_test_segments (room, session_id);
  g_auto (GStrv) rows = queue_rows (room, session_id);
  guint manifests = 0, uploaded = 0;
  g_autofree char *key_pattern = NULL;

  g_assert_cmpuint (segments->len, >=, 1);
  {
    const CrSegmentRecord *first = g_ptr_array_index (segments, 0);
    g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (first->started_us / G_USEC_PER_SEC);
    g_autofree char *date = g_date_time_format (t, "%Y-%m-%d");

    /* PREFIX/ROOM/DATE/HHMMSSZ-SESSION/: a session's keys are its own even
     * when a new index numbers sessions from 1 again. */
    key_pattern = g_strdup_printf ("^sanmen/test-room/%s/[0-2][0-9][0-5][0-9][0-6][0-9]Z-%"
                                   G_GINT64_FORMAT "/(manifest\\.json|[0-9]{6}\\.mkv)$",
                                   date, session_id);
  }
  for (guint i = 0; rows[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (rows[i], "|", -1);
      g_autofree char *back = g_build_filename (room->dir, "fetched", NULL);
      g_autofree char *back_sha256 = NULL;

      g_assert_cmpuint (g_strv_length (f), ==, 5);
      g_test_message ("%s %s: %s", f[0], f[2], f[4]);
      g_assert_cmpstr (f[4], ==, "verified");
      /* ASCII keys below the prefix; the case number is not in them. */
      g_assert_true (g_regex_match_simple (key_pattern, f[2], 0, 0));
      for (const char *c = f[2]; *c != '\0'; c++)
        g_assert_true (g_ascii_isalnum (*c) || strchr ("/-_.", *c) != NULL);
      g_assert_cmpint (fetch (f[2], back, NULL), ==, 0);
      back_sha256 = sha256sum (back);
      g_assert_cmpstr (back_sha256, ==, f[3]);
      if (g_strcmp0 (f[0], "manifest") == 0)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          g_autoptr (GError) error = NULL;
          g_autofree char *text = NULL;

          g_assert_true (g_file_get_contents (back, &text, NULL, NULL));
          g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
          g_assert_no_error (error);
          g_assert_nonnull (strstr (text, CASE_NO));
          manifests++;
        }
      else
        {
          guint sequence = (guint) g_ascii_strtoull (f[1], NULL, 10);
          const CrSegmentRecord *row = NULL;
          g_autofree char *local = NULL;
          g_autofree char *local_sha256 = NULL;
          g_autofree char *head = NULL;

          g_assert_cmpuint (sequence, >=, 1);
          g_assert_cmpuint (sequence, <=, segments->len);
          row = g_ptr_array_index (segments, sequence - 1);
          local = g_build_filename (room->storage_dir, row->path, NULL);
          local_sha256 = sha256sum (local);
          g_assert_cmpstr (back_sha256, ==, local_sha256);
          g_assert_cmpstr (back_sha256, ==, row->sha256);
          /* The case travels in the object's metadata, percent-encoded. */
          g_assert_cmpint (fetch (f[2], NULL, &head), ==, 0);
          g_assert_nonnull (strstr (head, "x-amz-meta-courtrec-case: "));
          uploaded++;
        }
    }
  g_assert_cmpuint (uploaded, ==, segments->len);
  g_assert_cmpuint (manifests, ==, 1);
}

/* ---- cases ---- */

static void
test_session_archived (void)
{
  CrTestRoom *room;
  gint64 session;

  if (cr_test_ceph_skipped (store))
    return;
  room = archived_room ();
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  wait_archived (room, 45);
  assert_session_in_bucket (room, session);
  cr_test_assert_recording_whole (room, session, 1);
  cr_test_room_free (room);
}

/* The court archive's line on the operator console (tests/console-page.mjs
 * in chromium) once it reaches @state; NULL when there is no browser.
 * (transfer full) */
static char *
console_archive_line (CrTestRoom *room, const char *state)
{
  g_autofree char *script = cr_test_top_path ("tests/console-page.mjs");
  g_autofree char *page_url = g_strdup_printf ("http://127.0.0.1:%u/console/", room->port);
  g_autofree char *login = g_strdup_printf ("--token=%s", room->token);
  g_autofree char *state_arg = g_strdup_printf ("--state=%s", state);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "node", script, page_url, "archive", login, "--archive=court",
                         state_arg, NULL };
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *steps;
  int status;

  if (!cr_test_browser_available ())
    {
      g_test_message ("no browser (node, playwright-core, chromium): the console not checked");
      return NULL;
    }
  status = cr_test_run (&out, &err, argv);
  g_test_message ("console-page.mjs archive %s: %s%s", state, out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  steps = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "steps");
  return g_strdup (json_object_get_string_member (
      json_array_get_object_element (steps, json_array_get_length (steps) - 1), "archive"));
}

static void
test_gateway_down_and_back (void)
{
  CrTestRoom *room;
  gint64 session;
  gint64 until;
  g_autofree char *last_error = NULL;

  if (cr_test_ceph_skipped (store))
    return;
  room = archived_room ();
  /* The gateway dies before the hearing: the room records as ever. */
  g_assert_cmpint (kill (cr_test_ceph_pid (store, "CEPH_RGW_PID"), SIGKILL), ==, 0);
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  cr_test_assert_recording_whole (room, session, 1);

  /* The queue holds the session and says why. */
  until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (last_error == NULL)
    {
      g_autoptr (JsonObject) archive = archive_status (room);

      if (!json_object_get_null_member (archive, "last_error") &&
          json_object_get_int_member (archive, "queue_length") >= 2)
        {
          last_error = g_strdup (json_object_get_string_member (archive, "last_error"));
          g_assert_cmpint (json_object_get_int_member (archive, "queue_bytes"), >, 0);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (250 * 1000);
    }
  g_test_message ("with the gateway down: %s", last_error);
  /* Its secret is never what status shows. */
  g_assert_null (strstr (last_error, store->secret_key));
  /* Fleet monitoring sees the same: the backlog and why it waits. */
  {
    CrTestScrape *scrape = cr_test_scrape (room);

    g_assert_cmpfloat (cr_test_scrape_value (scrape, "courtrec_archive_queue_items" SERIES),
                       >=, 2);
    g_assert_cmpfloat (cr_test_scrape_value (scrape, "courtrec_archive_queue_bytes" SERIES),
                       >, 0);
    g_assert_cmpfloat (cr_test_scrape_value (
                           scrape, "courtrec_archive_failed_items{room=\"test-room\","
                                   "archive=\"court\",reason=\"unreachable\"}"), >=, 1);
    cr_test_scrape_free (scrape);
  }
  /* And the clerk, on the console: how much waits, and why. */
  {
    g_autoptr (JsonObject) archive = archive_status (room);
    g_autofree char *line = console_archive_line (room, "failing");
    g_autofree char *waiting = g_strdup_printf (
        "%" G_GINT64_FORMAT " 项", json_object_get_int_member (archive, "queue_length"));

    if (line != NULL)
      {
        g_assert_nonnull (strstr (line, waiting));
        g_assert_nonnull (strstr (line, "unreachable"));
        g_assert_nonnull (strstr (line, "never"));
        g_assert_null (strstr (line, store->secret_key));
      }
  }

  /* The gateway back: the backlog goes on its own and verifies. */
  g_assert_true (cr_test_ceph_start (store));
  wait_archived (room, 60);
  assert_session_in_bucket (room, session);
  {
    CrTestScrape *scrape = cr_test_scrape (room);
    double last = cr_test_scrape_value (scrape, "courtrec_archive_last_success_seconds" SERIES);

    g_assert_cmpfloat (cr_test_scrape_value (scrape, "courtrec_archive_queue_items" SERIES),
                       ==, 0);
    g_assert_cmpfloat (fabs (last - (double) g_get_real_time () / G_USEC_PER_SEC), <, 120);
    cr_test_scrape_free (scrape);
  }
  {
    g_autofree char *line = console_archive_line (room, "uploaded");

    if (line != NULL)
      {
        g_assert_nonnull (strstr (line, "all uploaded"));
        g_assert_null (strstr (line, "never"));
      }
  }
  cr_test_room_free (room);
}

/* One of the queue's rows of @session_id in @state, as "item|key". */
static char *
row_in_state (CrTestRoom *room, gint64 session_id, const char *state)
{
  g_auto (GStrv) rows = queue_rows (room, session_id);

  for (guint i = 0; rows[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (rows[i], "|", -1);

      if (g_strv_length (f) == 5 && g_strcmp0 (f[4], state) == 0)
        return g_strdup_printf ("%s|%s", f[0], f[2]);
    }
  return NULL;
}

static void
test_daemon_killed_mid_upload (void)
{
  CrTestRoom *room;
  gint64 session;
  gint64 until;
  g_autofree char *underway = NULL;

  if (cr_test_ceph_skipped (store))
    return;
  /* 200 kbit/s: a few seconds of upload for the segment. */
  room = archived_room_with ("bandwidth_kbps = 200\n");
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while ((underway = row_in_state (room, session, "uploading")) == NULL ||
         !g_str_has_prefix (underway, "segment|"))
    {
      g_clear_pointer (&underway, g_free);
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (100 * 1000);
    }
  g_test_message ("killed while sending %s", underway);
  g_usleep (500 * 1000);
  g_assert_cmpint (cr_test_room_signal (room, SIGKILL, 5), !=, -1);

  /* Nothing half-sent is in the bucket, and the next start finishes it. */
  {
    g_auto (GStrv) parts = g_strsplit (underway, "|", 2);
    g_autofree char *head = NULL;

    g_assert_cmpint (fetch (parts[1], NULL, &head), !=, 0);
  }
  cr_test_room_start (room);
  wait_archived (room, 60);
  assert_session_in_bucket (room, session);
  cr_test_room_free (room);
}

/* The message of the alarm @kind standing in status, or NULL. */
static char *
alarm_message (CrTestRoom *room, const char *kind)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  JsonArray *alarms = json_object_get_array_member (status, "alarms");

  for (guint i = 0; i < json_array_get_length (alarms); i++)
    {
      JsonObject *alarm = json_array_get_object_element (alarms, i);

      if (g_strcmp0 (json_object_get_string_member (alarm, "alarm"), kind) == 0)
        return g_strdup (json_object_get_string_member (alarm, "message"));
    }
  return NULL;
}

static void
test_key_file_unusable (void)
{
  g_autofree char *secret = NULL;
  g_autofree char *message = NULL;
  CrTestRoom *room;
  gint64 session;
  gint64 until;

  if (cr_test_ceph_skipped (store))
    return;
  /* The secret readable by every user: the daemon starts and records all
   * the same, and says why nothing goes to the archive. */
  room = archived_room ();
  secret = g_build_filename (store->work, "archive.secret", NULL);
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 10), !=, -1);
  g_assert_cmpint (chmod (secret, 0644), ==, 0);
  cr_test_room_start (room);
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  cr_test_assert_recording_whole (room, session, 1);
  until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while ((message = alarm_message (room, "archive-unavailable")) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (250 * 1000);
    }
  g_test_message ("archive-unavailable: %s", message);
  g_assert_nonnull (strstr (message, "archive.secret"));
  g_assert_null (strstr (message, store->secret_key));

  /* Mended while it runs: the alarm clears and the session goes. */
  g_assert_cmpint (chmod (secret, 0600), ==, 0);
  wait_archived (room, 60);
  assert_session_in_bucket (room, session);
  g_clear_pointer (&message, g_free);
  until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while ((message = alarm_message (room, "archive-unavailable")) != NULL)
    {
      g_clear_pointer (&message, g_free);
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (250 * 1000);
    }
  cr_test_room_free (room);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/upload/session-archived", test_session_archived);
  g_test_add_func ("/courtrec/upload/gateway-down-and-back", test_gateway_down_and_back);
  g_test_add_func ("/courtrec/upload/daemon-killed-mid-upload", test_daemon_killed_mid_upload);
  g_test_add_func ("/courtrec/upload/key-file-unusable", test_key_file_unusable);
  store = cr_test_ceph_new ("test-upload");
  return g_test_run ();
}
