/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-upload-faults.c: what the court's archive does when the way to it
 * or the store itself goes wrong while courtrecd uploads, against a real
 * single-node Ceph (tests/test-util-ceph.h):
 *
 * - a byte of a PUT's body flipped on the way, by a TCP proxy of the
 *   test's own between courtrecd and the gateway: the store refuses it,
 *   the queue says why, and the segment goes again and verifies;
 * - the OSD stopped (SIGSTOP) under a PUT: the stall timeout makes the
 *   row "unknown", and once the OSD goes on a HEAD settles it before
 *   anything is sent again (a second one, after the stall time, when the
 *   first finds nothing); one version of each object in
 *   ListObjectVersions, whole, verified once.
 *
 * Both while the room records: its segments close on time. The gateway
 * killed mid-PUT is test-s3-client's gateway-killed, courtrecd killed
 * mid-upload test-upload's daemon-killed-mid-upload. What reaches the
 * bucket is fetched back with curl's own SigV4 straight from the gateway
 * (never through the proxy) and judged with sha256sum; the queue is read
 * with sqlite3. */
#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include "archive/records.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"
#include "tests/test-util-proxy.h"

#define BUCKET "court-faults"
#define CASE_NO "（2026）浙1022民初456号"
/* The stall timeout courtrecd's client gets here (30 s in a court). */
#define STALL_SECONDS "3"

static CrTestCeph *store;

/* ---- the room, its proxy and its queue ------------------------------------ */

/* A proxy of the test's own in front of the gateway (test-util-proxy.h). */
static CrTestProxy *
gateway_proxy (gboolean flip)
{
  g_autoptr (GUri) uri = g_uri_parse (store->endpoint, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return cr_test_proxy_new ((guint16) g_uri_get_port (uri), flip);
}

/* The methods of the requests the proxy saw for @key of the bucket. */
static char *
methods_for (CrTestProxy *proxy, const char *key)
{
  g_autofree char *path = g_strdup_printf ("/" BUCKET "/%s", key);

  return cr_test_proxy_methods (proxy, path);
}

static CrTestRoom *
room_through (CrTestProxy *proxy, guint segment_seconds)
{
  g_autofree char *endpoint =
      g_strdup_printf ("http://127.0.0.1:%u", cr_test_proxy_port (proxy));
  g_autofree char *section = cr_test_ceph_archive_section (store, endpoint, BUCKET, NULL);
  CrTestRoom *room = cr_test_room_new (segment_seconds, section);

  cr_test_room_setenv (room, "COURTREC_S3_STALL_SECONDS", STALL_SECONDS);
  cr_test_room_start (room);
  return room;
}

/* The queue's rows of @session_id, @columns of each joined by '|', one a
 * line, read by sqlite3 from the room's index. (transfer full) */
static GStrv
queue_rows (CrTestRoom *room, gint64 session_id, const char *columns, const char *where)
{
  g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *sql = g_strdup_printf (
      "SELECT %s FROM upload_queue WHERE session_id = %" G_GINT64_FORMAT " AND (%s)"
      " ORDER BY item DESC, sequence", columns, session_id, where);
  const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_strchomp (out);
  return *out == '\0' ? g_new0 (char *, 1) : g_strsplit (out, "\n", -1);
}

/* Waits up to @seconds for a row of @session_id matching @where; its
 * @columns split at '|'. (transfer full) */
static GStrv
wait_row (CrTestRoom *room, gint64 session_id, const char *columns, const char *where,
          guint seconds)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_auto (GStrv) rows = queue_rows (room, session_id, columns, where);

      if (rows[0] != NULL)
        return g_strsplit (rows[0], "|", -1);
      if (g_get_monotonic_time () > until)
        {
          g_auto (GStrv) all = queue_rows (room, session_id,
                                           "key, state, attempts, last_error", "1");
          g_autofree char *shown = g_strjoinv ("\n", all);

          g_error ("no row of the upload queue where %s in %u s; the queue:\n%s", where,
                   seconds, shown);
        }
      g_usleep (50 * 1000);
    }
}

/* Waits until every row of @session_id (at least @at_least) is verified. */
static void
wait_verified (CrTestRoom *room, gint64 session_id, guint at_least, guint seconds)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_auto (GStrv) all = queue_rows (room, session_id, "key", "1");
      g_auto (GStrv) waiting = queue_rows (room, session_id, "key || ' ' || state",
                                           "state != 'verified'");

      if (g_strv_length (all) >= at_least && waiting[0] == NULL)
        return;
      if (g_get_monotonic_time () > until)
        {
          g_autoptr (JsonObject) archive = cr_test_archive_status (room);

          g_error ("the session's uploads were not verified in %u s: %s waiting; %s", seconds,
                   waiting[0] != NULL ? waiting[0] : "none",
                   json_object_get_null_member (archive, "last_error")
                       ? "no error" : json_object_get_string_member (archive, "last_error"));
        }
      g_usleep (250 * 1000);
    }
}

/* Every row of @session_id is verified, and each object fetched back from
 * the gateway itself is the file on the room's disk: sha256sum of both,
 * and the hash in the queue. Every version the bucket lists of each key
 * is that file's size and MD5 (md5sum): nothing partial or other was
 * ever accepted. Returns how many keys list more than one version. */
static guint
assert_all_in_bucket (CrTestRoom *room, gint64 session_id)
{
  g_auto (GStrv) rows = queue_rows (room, session_id, "key, path, sha256, state", "1");
  g_autofree char *versions = NULL;
  guint doubled = 0;

  g_assert_cmpint (cr_test_ceph_curl (store, BUCKET "?versions=", "-", &versions), ==, 0);
  g_assert_nonnull (rows[0]);
  for (guint i = 0; rows[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (rows[i], "|", -1);
      g_autofree char *path = g_strdup_printf (BUCKET "/%s", f[0]);
      g_autofree char *back = g_build_filename (room->dir, "fetched", NULL);
      g_autofree char *back_sha256 = NULL;
      g_autofree char *local_sha256 = NULL;
      g_autofree char *local_md5 = NULL;
      g_autofree char *escaped = g_regex_escape_string (f[0], -1);
      g_autofree char *pattern = g_strdup_printf (
          "<Version><Key>%s</Key>.*?<ETag>&quot;([0-9a-f-]+)&quot;</ETag><Size>([0-9]+)</Size>",
          escaped);
      g_autoptr (GRegex) version = g_regex_new (pattern, 0, 0, NULL);
      g_autoptr (GMatchInfo) match = NULL;
      g_autofree char *local = g_path_is_absolute (f[1])
                                   ? g_strdup (f[1])
                                   : g_build_filename (room->storage_dir, f[1], NULL);
      GStatBuf st;
      guint copies = 0;

      g_assert_cmpuint (g_strv_length (f), ==, 4);
      g_assert_cmpstr (f[3], ==, "verified");
      g_assert_cmpint (cr_test_ceph_curl (store, path, back, NULL), ==, 0);
      back_sha256 = cr_test_tool_digest ("sha256sum", back);
      local_sha256 = cr_test_tool_digest ("sha256sum", local);
      local_md5 = cr_test_tool_digest ("md5sum", local);
      g_assert_cmpstr (back_sha256, ==, local_sha256);
      g_assert_cmpstr (back_sha256, ==, f[2]);
      g_assert_cmpint (g_stat (local, &st), ==, 0);
      for (g_regex_match (version, versions, 0, &match); g_match_info_matches (match);
           g_match_info_next (match, NULL))
        {
          g_autofree char *etag = g_match_info_fetch (match, 1);
          g_autofree char *size = g_match_info_fetch (match, 2);

          g_assert_cmpstr (etag, ==, local_md5);
          g_assert_cmpint (g_ascii_strtoll (size, NULL, 10), ==, st.st_size);
          copies++;
        }
      g_assert_cmpuint (copies, >=, 1);
      if (copies > 1)
        {
          g_test_message ("%s: the bucket lists %u versions of it, each the whole file", f[0],
                          copies);
          doubled++;
        }
    }
  return doubled;
}

/* How often the daemon's log says @key was verified. */
static guint
times_verified (CrTestRoom *room, const char *key)
{
  g_autofree char *log = NULL;
  g_autofree char *said = g_strdup_printf (" %s verified (", key);
  guint n = 0;

  g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
  for (const char *at = log; (at = strstr (at, said)) != NULL; at++)
    n++;
  return n;
}

/* Watches a session's segments from a thread of its own, noting when each
 * is first seen closed in the index, whatever the case waits for. */
typedef struct {
  CrTestRoom *room;
  gint64 session_id;
  GThread *thread;
  gint stopping;
  GMutex lock;
  GArray *closed_at_us;     /* gint64 by sequence - 1; 0 while open */
} Watch;

static gpointer
watch_run (gpointer data)
{
  Watch *watch = data;

  while (!g_atomic_int_get (&watch->stopping))
    {
      g_autoptr (GPtrArray) segments = cr_test_segments (watch->room, watch->session_id);
      gint64 now = g_get_real_time ();

      g_mutex_lock (&watch->lock);
      for (guint i = 0; i < segments->len; i++)
        {
          const CrSegmentRecord *segment = g_ptr_array_index (segments, i);
          gint64 zero = 0;

          while (watch->closed_at_us->len < segment->sequence)
            g_array_append_val (watch->closed_at_us, zero);
          if (segment->closed && g_array_index (watch->closed_at_us, gint64,
                                                segment->sequence - 1) == 0)
            g_array_index (watch->closed_at_us, gint64, segment->sequence - 1) = now;
        }
      g_mutex_unlock (&watch->lock);
      g_usleep (100 * 1000);
    }
  return NULL;
}

static Watch *
watch_new (CrTestRoom *room, gint64 session_id)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->room = room;
  watch->session_id = session_id;
  watch->closed_at_us = g_array_new (FALSE, TRUE, sizeof (gint64));
  g_mutex_init (&watch->lock);
  watch->thread = g_thread_new ("watch-segments", watch_run, watch);
  return watch;
}

static void
watch_free (Watch *watch)
{
  g_atomic_int_set (&watch->stopping, 1);
  g_thread_join (watch->thread);
  g_array_unref (watch->closed_at_us);
  g_mutex_clear (&watch->lock);
  g_free (watch);
}

static gint64
watch_closed_at (Watch *watch, guint sequence)
{
  gint64 at = 0;

  g_mutex_lock (&watch->lock);
  if (watch->closed_at_us->len >= sequence)
    at = g_array_index (watch->closed_at_us, gint64, sequence - 1);
  g_mutex_unlock (&watch->lock);
  return at;
}

/* Waits (@seconds at most) for the first segment to end after @after_us
 * (wall clock) and returns its sequence: it closed on time, its index row
 * within two seconds of its last frame, and lasts @segment_seconds. */
static guint
assert_next_closes_on_time (Watch *watch, gint64 after_us, guint segment_seconds,
                            guint seconds)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (GPtrArray) segments = cr_test_segments (watch->room, watch->session_id);

      for (guint i = 0; i < segments->len; i++)
        {
          const CrSegmentRecord *segment = g_ptr_array_index (segments, i);
          gint64 closed_at = watch_closed_at (watch, segment->sequence);
          double late;

          if (closed_at == 0 || segment->started_us + segment->duration_us <= after_us)
            continue;
          late = (double) (closed_at - segment->started_us - segment->duration_us) /
                 G_USEC_PER_SEC;
          g_test_message ("segment %u closed %.2f s after its last frame, %.2f s long",
                          segment->sequence, late, segment->duration_us / 1e6);
          g_assert_cmpfloat (late, <, 2 * cr_test_timing_factor ());
          g_assert_cmpfloat_with_epsilon (segment->duration_us / 1e6, segment_seconds, 0.5);
          return segment->sequence;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (100 * 1000);
    }
}

/* ---- cases ---- */

static void
test_stall_variable_refused (void)
{
  const char *bad[] = { "", "0", "-3", "abc", "3s", " 3", "3601", "99999999999999999999" };
  CrS3Config config = { "http://127.0.0.1:9", "us-east-1", "access", "secret", 0, 0, 0, NULL };

  /* Refused by name and value, never quietly taken as 30 s. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CrS3Client) client = NULL;

      g_setenv ("COURTREC_S3_STALL_SECONDS", bad[i], TRUE);
      client = cr_s3_client_new (&config, &error);
      g_assert_null (client);
      g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "COURTREC_S3_STALL_SECONDS"));
      g_assert_nonnull (strstr (error->message, "1 to 3600"));
    }
  /* A good value, and a caller's own timeout that the variable leaves be. */
  for (guint seconds = 0; seconds <= 5; seconds += 5)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CrS3Client) client = NULL;

      g_setenv ("COURTREC_S3_STALL_SECONDS", seconds == 0 ? "3" : "bad", TRUE);
      config.stall_seconds = seconds;
      client = cr_s3_client_new (&config, &error);
      g_assert_no_error (error);
      g_assert_nonnull (client);
    }
  g_unsetenv ("COURTREC_S3_STALL_SECONDS");
}

static void
test_stall_variable_refused_by_courtrecd (void)
{
  g_autofree char *section = NULL;
  g_autofree char *log = NULL;
  CrTestRoom *room;
  gint64 until;
  gint64 session;

  if (cr_test_ceph_skipped (store))
    return;
  /* Set wrong in courtrecd's environment: its log says which variable and
   * why, nothing goes to the archive, and the room records all the same. */
  section = cr_test_ceph_archive_section (store, NULL, BUCKET, NULL);
  room = cr_test_room_new (10, section);
  cr_test_room_setenv (room, "COURTREC_S3_STALL_SECONDS", "30s");
  cr_test_room_start (room);
  session = cr_test_start_session (room, CASE_NO);
  until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (log == NULL || strstr (log, "COURTREC_S3_STALL_SECONDS=\"30s\" is refused") == NULL)
    {
      g_clear_pointer (&log, g_free);
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (100 * 1000);
      g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
    }
  cr_test_stop_and_wait (room, session);
  cr_test_assert_recording_whole (room, session, 1);
  {
    g_auto (GStrv) rows = queue_rows (room, session, "state", "state = 'verified'");

    g_assert_null (rows[0]);
  }
  cr_test_room_free (room);
}

static void
test_stall_ends_transfer (void)
{
  g_autoptr (CrTestSilentServer) deaf = NULL;
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "courtrec-stall.bin", NULL);
  CrS3Config config = { NULL, "us-east-1", "access", "secret", 2, 2, 0, NULL };
  guint16 port;
  gint64 started;
  double seconds;

  /* A store that takes the connection and never answers: "unknown" after
   * the stall time, not libcurl's five-second average on top of it. */
  deaf = cr_test_silent_server_new (&port);
  endpoint = g_strdup_printf ("http://127.0.0.1:%u", port);
  config.endpoint = endpoint;
  client = cr_s3_client_new (&config, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, "a few bytes of a hearing", -1, &error);
  g_assert_no_error (error);
  started = g_get_monotonic_time ();
  g_assert_false (cr_s3_put_object (client, "rooms", "a.bin", path, NULL, NULL, &error));
  seconds = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_test_message ("%.2f s: %s", seconds, error->message);
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_UNKNOWN);
  g_assert_nonnull (strstr (error->message, "no byte either way for 2 s"));
  g_assert_cmpfloat (seconds, >=, 1.9);
  /* Looked at about once a second while idle; libcurl's own check took
   * nine. A second more for a loaded machine (4.005 s was seen at a load
   * of 15) still tells the two apart. */
  g_assert_cmpfloat (seconds, <, 2 + 1 + 2 * cr_test_timing_factor ());
  g_unlink (path);
}

static void
test_byte_flipped (void)
{
  CrTestProxy *proxy;
  CrTestRoom *room;
  gint64 session;
  g_auto (GStrv) failed = NULL;
  g_autofree char *flipped = NULL;
  g_autofree char *methods = NULL;
  g_autofree char *path = NULL;
  g_autofree char *head = NULL;
  g_autofree char *where = NULL;

  if (cr_test_ceph_skipped (store))
    return;
  proxy = gateway_proxy (TRUE);
  room = room_through (proxy, 10);
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (3 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);

  /* The store refused the damaged body, and the queue says so and why. */
  failed = wait_row (room, session, "key, reason, last_error, attempts", "state = 'failed'", 20);
  g_test_message ("refused: %s: %s (%s)", failed[0], failed[2], failed[1]);
  g_assert_cmpstr (failed[1], ==, "refused");
  g_assert_true (strstr (failed[2], "BadDigest") != NULL ||
                 strstr (failed[2], "XAmzContentSHA256Mismatch") != NULL);
  g_assert_cmpstr (failed[3], ==, "1");
  flipped = cr_test_proxy_flipped (proxy);
  g_assert_nonnull (flipped);
  {
    g_autofree char *expected = g_strdup_printf ("/" BUCKET "/%s", failed[0]);

    g_assert_cmpstr (flipped, ==, expected);
  }
  /* Nothing with the flipped byte was taken: the key is not there, or it
   * is already the retry's whole object. */
  path = g_strdup_printf (BUCKET "/%s", failed[0]);
  if (cr_test_ceph_curl (store, path, NULL, &head) == 0)
    {
      g_autofree char *back = g_build_filename (room->dir, "early", NULL);
      g_autofree char *back_sha256 = NULL;
      g_autofree char *where = g_strdup_printf ("key = '%s'", failed[0]);
      g_auto (GStrv) row = wait_row (room, session, "sha256", where, 1);

      g_test_message ("already sent again when looked at");
      g_assert_cmpint (cr_test_ceph_curl (store, path, back, NULL), ==, 0);
      back_sha256 = cr_test_tool_digest ("sha256sum", back);
      g_assert_cmpstr (back_sha256, ==, row[0]);
    }
  /* Status shows it too. */
  {
    g_autoptr (JsonObject) archive = cr_test_archive_status (room);
    const char *last_error = json_object_get_null_member (archive, "last_error")
                                 ? NULL : json_object_get_string_member (archive, "last_error");

    g_assert_nonnull (last_error);
    g_assert_nonnull (strstr (last_error, failed[0]));
    g_assert_true (strstr (last_error, "BadDigest") != NULL ||
                   strstr (last_error, "XAmzContentSHA256Mismatch") != NULL);
  }

  /* Sent again, verified, and what the bucket holds is the file. */
  cr_test_wait_sealed (room, session);
  wait_verified (room, session, 2, 30);
  g_assert_cmpuint (assert_all_in_bucket (room, session), ==, 0);
  methods = methods_for (proxy, failed[0]);
  g_test_message ("%s: %s", failed[0], methods);
  /* The refused PUT, a HEAD that found nothing, the PUT again, its HEAD. */
  g_assert_cmpstr (methods, ==, "PUT HEAD PUT HEAD");
  /* Two attempts: the refused one and the good one. */
  where = g_strdup_printf ("key = '%s' AND state = 'verified' AND attempts = 2", failed[0]);
  g_strfreev (wait_row (room, session, "attempts", where, 1));
  g_assert_cmpuint (times_verified (room, failed[0]), ==, 1);
  cr_test_assert_recording_whole (room, session, 1);
  cr_test_room_free (room);
  cr_test_proxy_free (proxy);
}

/* A session's objects verified in the bucket, each with one version in
 * ListObjectVersions: the gateway can finish an abandoned PUT once the OSD
 * goes on, after a first HEAD found nothing, so the uploader asks a second
 * time, after the stall time, before it sends anything again. */
static void
assert_session_archived (CrTestRoom *room, CrTestProxy *proxy, gint64 session_id,
                         guint objects)
{
  g_auto (GStrv) keys = NULL;
  guint resent = 0;

  cr_test_wait_sealed (room, session_id);
  wait_verified (room, session_id, objects, 40);
  keys = queue_rows (room, session_id, "key", "1");
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *sent = methods_for (proxy, keys[i]);

      /* Never sent twice without a HEAD between. */
      g_assert_null (strstr (sent, "PUT PUT"));
      resent += strstr (sent, "HEAD HEAD PUT") != NULL;
      g_assert_cmpuint (times_verified (room, keys[i]), ==, 1);
    }
  g_test_message ("session %" G_GINT64_FORMAT ": %u object(s) sent again after two HEADs "
                  "found nothing", session_id, resent);
  g_assert_cmpuint (assert_all_in_bucket (room, session_id), ==, 0);
}

static void
test_osd_stopped (void)
{
  CrTestProxy *proxy;
  CrTestRoom *room;
  Watch *watch;
  gint64 first;
  gint64 second;
  gint64 stuck_at;
  GPid osd;
  g_auto (GStrv) stuck = NULL;
  g_autofree char *methods = NULL;
  g_autofree char *where = NULL;

  if (cr_test_ceph_skipped (store))
    return;
  proxy = gateway_proxy (FALSE);
  room = room_through (proxy, 10);
  osd = cr_test_ceph_pid (store, "CEPH_OSD_PID");
  /* The OSD stops during a short hearing: what it leaves to upload goes
   * to a gateway that cannot store it, and stalls. */
  first = cr_test_start_session (room, CASE_NO);
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (kill (osd, SIGSTOP), ==, 0);
  cr_test_stop_and_wait (room, first);
  /* The next hearing records meanwhile. */
  second = cr_test_start_session (room, CASE_NO);
  watch = watch_new (room, second);
  stuck = wait_row (room, first, "key, last_error, attempts", "state = 'unknown'", 20);
  stuck_at = g_get_real_time ();
  g_test_message ("stuck: %s: %s", stuck[0], stuck[1]);
  g_assert_nonnull (strstr (stuck[1], "no answer"));
  g_assert_cmpstr (stuck[2], ==, "1");
  {
    g_autoptr (JsonObject) archive = cr_test_archive_status (room);

    g_assert_cmpint (json_object_get_int_member (archive, "queue_length"), >=, 1);
    g_assert_nonnull (strstr (json_object_get_string_member (archive, "last_error"),
                              "unknown"));
  }
  /* The recording goes on: the next segment closes on time while the
   * upload is stuck, and the row is still unsettled then. */
  assert_next_closes_on_time (watch, stuck_at, 10, 15);
  where = g_strdup_printf ("key = '%s' AND state = 'unknown'", stuck[0]);
  g_strfreev (wait_row (room, first, "state", where, 1));
  g_assert_cmpint (kill (osd, SIGCONT), ==, 0);
  cr_test_stop_and_wait (room, second);
  watch_free (watch);

  assert_session_archived (room, proxy, first, 2);
  assert_session_archived (room, proxy, second, 3);
  /* Settled by a HEAD before anything went again: the stopped OSD may
   * have stored the stalled PUT (then no second one). */
  methods = methods_for (proxy, stuck[0]);
  g_test_message ("%s: %s", stuck[0], methods);
  g_assert_true (g_str_has_prefix (methods, "PUT HEAD"));
  g_assert_true (g_str_has_suffix (methods, "HEAD"));
  cr_test_assert_recording_whole (room, first, 1);
  cr_test_assert_recording_whole (room, second, 2);
  cr_test_room_free (room);
  cr_test_proxy_free (proxy);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/upload-faults/stall-variable-refused",
                   test_stall_variable_refused);
  g_test_add_func ("/courtrec/upload-faults/stall-variable-refused-by-courtrecd",
                   test_stall_variable_refused_by_courtrecd);
  g_test_add_func ("/courtrec/upload-faults/stall-ends-transfer", test_stall_ends_transfer);
  g_test_add_func ("/courtrec/upload-faults/byte-flipped", test_byte_flipped);
  g_test_add_func ("/courtrec/upload-faults/osd-stopped", test_osd_stopped);
  store = cr_test_ceph_new ("test-upload-faults");
  return g_test_run ();
}
