/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-upload-queue.c: the court archive's upload queue in the index
 * (archive/upload-queue.h): order, idempotence, retries that never end,
 * what status counts, and that it survives closing the index. */
#include <sqlite3.h>

#include "archive/upload-queue.h"

#define SHA_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MD5_A "d41d8cd98f00b204e9800998ecf8427e"
#define T0_US G_GINT64_CONSTANT (1795745605316000)
#define MINUTE_US (60 * G_USEC_PER_SEC)

typedef struct {
  char *dir;
  char *path;
  CrSegmentIndex *index;
  gint64 session;
} Fixture;

static void
set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("courtrec-queue-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "index.sqlite", NULL);
  fixture->index = cr_segment_index_open (fixture->path, FALSE, &error);
  g_assert_no_error (error);
  fixture->session = cr_segment_index_begin_session (fixture->index, "room-101",
                                                     "（2026）浙1022民初123号", "t", T0_US,
                                                     &error);
  g_assert_no_error (error);
}

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", fixture->dir);

  g_clear_pointer (&fixture->index, cr_segment_index_free);
  g_assert_cmpint (system (command), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static gint64
add (Fixture *fixture, const char *archive, gint64 sequence, gboolean jump_ahead, gint64 at_us)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *key = sequence < 0
      ? g_strdup_printf ("room-101/2026-11-27/%" G_GINT64_FORMAT "/manifest.json",
                         fixture->session)
      : g_strdup_printf ("room-101/2026-11-27/%" G_GINT64_FORMAT "/%06" G_GINT64_FORMAT ".mkv",
                         fixture->session, sequence);
  CrUploadItem item = {
    .archive = (char *) archive, .session_id = fixture->session,
    .item = sequence < 0 ? "manifest" : "segment", .sequence = sequence,
    .path = "/srv/courtrec/x.mkv", .key = key, .bytes = 1000 + sequence,
    .sha256 = SHA_A, .md5 = MD5_A, .jump_ahead = jump_ahead,
  };
  gint64 id = cr_upload_queue_add (fixture->index, &item, at_us, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static gint64
next_id (Fixture *fixture, const char *archive, gint64 now_us)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrUploadItem) item = cr_upload_queue_next (fixture->index, archive, now_us,
                                                        &error);

  g_assert_no_error (error);
  return item != NULL ? item->id : 0;
}

/* Oldest first; the newest segment of an ended session jumps ahead; an
 * item queued twice is one row. */
static void
test_order (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 first = add (fixture, "court", 1, FALSE, T0_US);
  gint64 second = add (fixture, "court", 2, FALSE, T0_US + MINUTE_US);
  gint64 last, manifest;

  g_assert_cmpint (next_id (fixture, "court", T0_US + 2 * MINUTE_US), ==, first);
  g_assert_cmpint (add (fixture, "court", 1, FALSE, T0_US + 5 * MINUTE_US), ==, first);
  last = add (fixture, "court", 3, TRUE, T0_US + 3 * MINUTE_US);
  g_assert_cmpint (next_id (fixture, "court", T0_US + 3 * MINUTE_US), ==, last);
  /* Another archive has a queue of its own. */
  g_assert_cmpint (next_id (fixture, "elsewhere", T0_US + 3 * MINUTE_US), ==, 0);

  g_assert_true (cr_upload_queue_verified (fixture->index, last, MD5_A,
                                           T0_US + 4 * MINUTE_US, &error));
  g_assert_no_error (error);
  g_assert_cmpint (next_id (fixture, "court", T0_US + 4 * MINUTE_US), ==, first);
  /* A verified row stays verified whatever comes later. */
  g_assert_true (cr_upload_queue_fail (fixture->index, last, "refused", "late", T0_US, &error));
  {
    g_autoptr (CrUploadItem) item = cr_upload_queue_get (fixture->index, last, &error);
    g_assert_cmpint (item->state, ==, CR_UPLOAD_VERIFIED);
    g_assert_cmpstr (item->verified_etag, ==, MD5_A);
    g_assert_cmpint (item->verified_at_us, ==, T0_US + 4 * MINUTE_US);
  }
  manifest = add (fixture, "court", -1, TRUE, T0_US + 5 * MINUTE_US);
  g_assert_cmpint (next_id (fixture, "court", T0_US + 5 * MINUTE_US), ==, manifest);
  g_assert_cmpint (second, >, first);
}

/* A failure waits its backoff; an unknown or interrupted upload is
 * settled first, whatever its time. */
static void
test_retry (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 first = add (fixture, "court", 1, FALSE, T0_US);
  gint64 second = add (fixture, "court", 2, FALSE, T0_US);
  g_autoptr (CrUploadItem) item = NULL;

  g_assert_true (cr_upload_queue_set_state (fixture->index, first, CR_UPLOAD_UPLOADING,
                                            &error));
  g_assert_true (cr_upload_queue_fail (fixture->index, first, "unreachable",
                                       "Could not connect", T0_US + 10 * G_USEC_PER_SEC,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpint (next_id (fixture, "court", T0_US + G_USEC_PER_SEC), ==, second);
  g_assert_true (cr_upload_queue_set_state (fixture->index, second, CR_UPLOAD_UPLOADING,
                                            &error));
  g_assert_true (cr_upload_queue_set_state (fixture->index, second, CR_UPLOAD_UNKNOWN,
                                            &error));
  g_assert_cmpint (next_id (fixture, "court", T0_US + 20 * G_USEC_PER_SEC), ==, second);
  g_assert_true (cr_upload_queue_fail (fixture->index, second, "unknown", "reset",
                                       T0_US + 30 * G_USEC_PER_SEC, &error));
  g_assert_cmpint (next_id (fixture, "court", T0_US + 20 * G_USEC_PER_SEC), ==, first);
  g_assert_cmpint (next_id (fixture, "court", T0_US + 9 * G_USEC_PER_SEC), ==, 0);

  item = cr_upload_queue_get (fixture->index, first, &error);
  g_assert_cmpint (item->state, ==, CR_UPLOAD_FAILED);
  g_assert_cmpuint (item->attempts, ==, 1);
  g_assert_cmpstr (item->reason, ==, "unreachable");
  g_assert_cmpstr (item->last_error, ==, "Could not connect");
}

static void
test_backoff (void)
{
  gint64 previous = 0;

  g_assert_cmpint (cr_upload_backoff_us (1, 1.0), ==, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_upload_backoff_us (1, 0.0), ==, 5 * G_USEC_PER_SEC / 2);
  for (guint attempts = 1; attempts < 1000; attempts++)
    {
      gint64 top = cr_upload_backoff_us (attempts, 1.0);
      gint64 bottom = cr_upload_backoff_us (attempts, 0.0);

      g_assert_cmpint (top, >=, previous);
      g_assert_cmpint (top, <=, 600 * G_USEC_PER_SEC);
      g_assert_cmpint (bottom, ==, top / 2);
      g_assert_cmpint (cr_upload_backoff_us (attempts, 0.5), >, bottom);
      previous = top;
    }
  /* Forever means forever: no attempt count makes it give up or wrap. */
  g_assert_cmpint (cr_upload_backoff_us (G_MAXUINT, 1.0), ==, 600 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_upload_backoff_us (12, 1.0), ==, 600 * G_USEC_PER_SEC);
}

/* What status shows, and the queue after the index was closed (a daemon
 * killed): read back by the program and by sqlite3 itself. */
static void
test_stats_and_reopen (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  CrUploadQueueStats stats = { 0 };
  gint64 a = add (fixture, "court", 1, FALSE, T0_US);
  gint64 b = add (fixture, "court", 2, FALSE, T0_US + MINUTE_US);
  gint64 c = add (fixture, "court", 3, FALSE, T0_US + 2 * MINUTE_US);
  g_autofree char *command = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  add (fixture, "night", 1, FALSE, T0_US + 3 * MINUTE_US);
  g_assert_true (cr_upload_queue_verified (fixture->index, a, MD5_A, T0_US + 5 * MINUTE_US,
                                           &error));
  g_assert_true (cr_upload_queue_fail (fixture->index, b, "refused", "400 BadDigest",
                                       T0_US, &error));
  g_assert_true (cr_upload_queue_fail (fixture->index, c, "refused", "403", T0_US, &error));
  g_assert_no_error (error);

  cr_segment_index_free (g_steal_pointer (&fixture->index));
  fixture->index = cr_segment_index_open (fixture->path, FALSE, &error);
  g_assert_no_error (error);

  g_assert_true (cr_upload_queue_stats (fixture->index, "court", &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.length, ==, 2);
  g_assert_cmpint (stats.bytes, ==, 1002 + 1003);
  g_assert_cmpint (stats.oldest_queued_at_us, ==, T0_US + MINUTE_US);
  g_assert_cmpint (stats.last_success_us, ==, T0_US + 5 * MINUTE_US);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (stats.failures, "refused")), ==, 2);
  cr_upload_queue_stats_clear (&stats);
  g_assert_true (cr_upload_queue_stats (fixture->index, NULL, &stats, &error));
  g_assert_cmpuint (stats.length, ==, 3);
  g_assert_cmpint (stats.bytes, ==, 1002 + 1003 + 1001);
  cr_upload_queue_stats_clear (&stats);
  g_assert_true (cr_upload_queue_stats (fixture->index, "nowhere", &stats, &error));
  g_assert_cmpuint (stats.length, ==, 0);
  g_assert_cmpint (stats.oldest_queued_at_us, ==, 0);
  g_assert_cmpint (stats.last_success_us, ==, 0);
  cr_upload_queue_stats_clear (&stats);

  command = g_strdup_printf ("sqlite3 -readonly '%s' \"SELECT state || ':' || key FROM "
                             "upload_queue WHERE archive = 'court' ORDER BY id\"",
                             fixture->path);
  if (!g_spawn_command_line_sync (command, &out, NULL, &status, NULL) || status != 0)
    {
      g_test_skip ("no sqlite3 to read the queue with");
      return;
    }
  g_assert_nonnull (strstr (out, "verified:room-101/2026-11-27/"));
  g_assert_nonnull (strstr (out, "failed:room-101/"));
  g_assert_null (strstr (out, "浙"));
}

/* The schema refuses what the queue must never hold. */
static void
test_schema_checks (Fixture *fixture, gconstpointer data)
{
  sqlite3 *db = NULL;
  char *message = NULL;
  static const char *const bad[] = {
    "UPDATE upload_queue SET state = 'done'",
    "UPDATE upload_queue SET bytes = -1",
    "UPDATE upload_queue SET item = 'video'",
    "INSERT INTO upload_queue (archive, session_id, item, path, key, bytes, sha256, md5, "
    "queued_at, next_try_at) SELECT archive, session_id, item, path, key, bytes, sha256, md5, "
    "queued_at, next_try_at FROM upload_queue",
  };

  add (fixture, "court", 1, FALSE, T0_US);
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_cmpint (sqlite3_exec (db, bad[i], NULL, NULL, &message), ==, SQLITE_CONSTRAINT);
      g_test_message ("%s: %s", bad[i], message);
      sqlite3_free (message);
      message = NULL;
    }
  sqlite3_close (db);
}

#define ADD(path, func) \
  g_test_add ("/courtrec/upload-queue/" path, Fixture, NULL, set_up, func, tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("order", test_order);
  ADD ("retry", test_retry);
  ADD ("stats-and-reopen", test_stats_and_reopen);
  ADD ("schema-checks", test_schema_checks);
  g_test_add_func ("/courtrec/upload-queue/backoff", test_backoff);
  return g_test_run ();
}
