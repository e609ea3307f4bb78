/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-upload-policy.c: what courtrecd asks of the court's archive before
 * it sends anything, against a real single-node Ceph
 * (tests/test-util-ceph.h): the store's clock against this one, logged in
 * the hearing's log (read back with sqlite3), and the bucket's Object Lock
 * proven by a canary whose delete must be refused; a bucket without a lock
 * raises archive-lock-failed. The bucket is listed with curl's own SigV4. */
#include <string.h>

#include "tests/test-util.h"
#include "tests/test-util-ceph.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CANARIES "sanmen/test-room/.courtrec-lock-canary/"

static CrTestCeph *store;

/* The bucket's listing under @prefix, by curl's SigV4 (ListObjects XML). */
static char *
list_bucket (const char *bucket, const char *prefix)
{
  /* Encoded as SigV4 signs it: curl 7.88 signs the query as written. */
  g_autofree char *encoded = g_uri_escape_string (prefix, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s/%s?prefix=%s", store->endpoint, bucket, encoded);
  g_autofree char *sigv4 = g_strdup_printf ("aws:amz:%s:s3", store->region);
  g_autofree char *user = g_strdup_printf ("%s:%s", store->access_key, store->secret_key);
  const char *argv[] = { "curl", "-sS", "-f", "--aws-sigv4", sigv4, "--user", user,
                         "-H", "x-amz-content-sha256: " EMPTY_SHA256, url, NULL };
  char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return out;
}

/* Waits until the uploader has measured the store's clock. */
static double
wait_clock_offset (CrTestRoom *room)
{
  gint64 until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) archive = cr_test_archive_status (room);

      if (!json_object_get_null_member (archive, "clock_offset_seconds"))
        return json_object_get_double_member (archive, "clock_offset_seconds");
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (250 * 1000);
    }
}

static void
test_lock_holds (void)
{
  CrTestRoom *room;
  gint64 session;
  double offset;
  g_autofree char *listing = NULL;
  g_autofree char *index = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *events = NULL;

  if (cr_test_ceph_skipped (store))
    return;
  room = cr_test_ceph_room (store, "court-locked", TRUE, "");
  session = cr_test_start_session (room, "（2026）浙1022民初7号");
  offset = wait_clock_offset (room);
  /* Ceph runs on this machine's clock: within the Date's second. */
  g_assert_cmpfloat (offset, >, -1.5);
  g_assert_cmpfloat (offset, <, 1.5);
  /* The canary is written and its delete tried before the first upload. */
  g_usleep (3 * G_USEC_PER_SEC);
  {
    g_autoptr (JsonObject) archive = cr_test_archive_status (room);
    g_autofree char *lock = cr_test_alarm_message (room, "archive-lock-failed");
    g_autofree char *skew = cr_test_alarm_message (room, "clock-skew");

    g_assert_true (json_object_get_null_member (archive, "lock_problem"));
    g_assert_null (lock);
    g_assert_null (skew);
  }
  listing = list_bucket ("court-locked", CANARIES);
  g_test_message ("%s", listing);
  g_assert_nonnull (strstr (listing, "<Key>" CANARIES));
  cr_test_stop_and_wait (room, session);
  /* The measure is in the hearing's own log. */
  index = g_build_filename (room->storage_dir, "index.db", NULL);
  sql = g_strdup_printf ("SELECT detail FROM events WHERE kind = 'clock-offset' AND "
                         "session_id = %" G_GINT64_FORMAT, session);
  {
    const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };

    g_assert_cmpint (cr_test_run (&events, NULL, argv), ==, 0);
  }
  g_test_message ("clock-offset: %s", events);
  g_assert_nonnull (strstr (events, "\"offset_seconds\""));
  g_assert_nonnull (strstr (events, "\"archive\":\"court\""));
  cr_test_room_free (room);
}

static void
test_bucket_without_lock (void)
{
  CrTestRoom *room;
  g_autofree char *message = NULL;
  gint64 until;

  if (cr_test_ceph_skipped (store))
    return;
  room = cr_test_ceph_room (store, "court-unlocked", FALSE, "");
  until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((message = cr_test_alarm_message (room, "archive-lock-failed")) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (250 * 1000);
    }
  g_test_message ("archive-lock-failed: %s", message);
  g_assert_nonnull (strstr (message, "court-unlocked"));
  g_assert_nonnull (strstr (message, "no Object Lock"));
  cr_test_room_free (room);
}

/* An upload window that excludes this minute holds everything: the queue
 * grows, the bucket stays empty, and the disk's backlog says the media
 * cannot be freed. */
static void
test_window_closed (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  guint minute = g_date_time_get_hour (now) * 60 + g_date_time_get_minute (now);
  guint start = (minute + 2) % 1440, end = (minute + 3) % 1440;
  g_autofree char *window = g_strdup_printf ("window = %02u:%02u-%02u:%02u\n", start / 60,
                                             start % 60, end / 60, end % 60);
  g_autofree char *listing = NULL;
  CrTestRoom *room;
  gint64 session, until;

  if (cr_test_ceph_skipped (store))
    return;
  room = cr_test_ceph_room (store, "court-window", TRUE, window);
  session = cr_test_start_session (room, "（2026）浙1022民初8号");
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (JsonObject) archive = cr_test_archive_status (room);
      g_autoptr (JsonObject) status = cr_test_status (room);
      JsonObject *disk = json_object_get_object_member (status, "disk");
      gint64 queued = json_object_get_int_member (archive, "queue_bytes");

      g_assert_false (json_object_get_boolean_member (archive, "window_open"));
      {
        g_autofree char *opens = g_strdup_printf ("%02u:%02u", start / 60, start % 60);

        g_assert_cmpstr (json_object_get_string_member (archive, "window_opens"), ==, opens);
      }
      if (json_object_get_int_member (archive, "queue_length") >= 1 && queued > 0 &&
          json_object_get_int_member (disk, "archive_backlog_bytes") == queued)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (250 * 1000);
    }
  listing = list_bucket ("court-window", "sanmen/test-room/2");
  g_test_message ("%s", listing);
  g_assert_null (strstr (listing, ".mkv"));
  cr_test_room_free (room);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/upload-policy/lock-holds", test_lock_holds);
  g_test_add_func ("/courtrec/upload-policy/bucket-without-lock", test_bucket_without_lock);
  g_test_add_func ("/courtrec/upload-policy/window-closed", test_window_closed);
  store = cr_test_ceph_new ("test-upload-policy");
  return g_test_run ();
}
