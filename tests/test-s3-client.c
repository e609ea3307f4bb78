/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-s3-client.c: archive/s3-client.h against a real object store: a
 * single-node Ceph with its RADOS Gateway, started here from Debian's
 * packages (tests/ceph/start-ceph.sh) and thrown away at the end. Without
 * the packages every case is skipped, saying so: never run against a fake.
 * What comes back from the store is judged with sha256sum and md5sum. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "archive/s3-client.h"
#include "config/archive-secret.h"
#include "config/config.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"

#define MIB (1024 * 1024)

/* The store, for every case. */
static CrTestCeph *store;

static gboolean
skipped (void)
{
  return cr_test_ceph_skipped (store);
}

static CrS3Client *
client_new (const char *secret, guint64 max_send)
{
  return cr_test_ceph_client (store, secret, max_send);
}

/* A file of @bytes random bytes in the work directory. (transfer full) */
static char *
random_file (const char *name, gsize bytes)
{
  char *path = g_build_filename (store->work, name, NULL);
  g_autofree guint32 *data = g_malloc (bytes + 4);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < bytes / 4 + 1; i++)
    data[i] = g_random_int ();
  g_file_set_contents (path, (const char *) data, (gssize) bytes, &error);
  g_assert_no_error (error);
  return path;
}

/* The first word of `TOOL PATH`: sha256sum's or md5sum's digest. */
static char *
tool_digest (const char *tool, const char *path)
{
  const char *argv[] = { tool, path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  *strchr (out, ' ') = '\0';
  return g_steal_pointer (&out);
}

static void
make_bucket (CrS3Client *client, const char *bucket, gboolean lock)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (cr_s3_bucket_create (client, bucket, lock, NULL, &error));
  g_assert_no_error (error);
}

/* ---- cases ---- */

static void
test_round_trip (void)
{
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *back = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *md5 = NULL;
  g_autofree char *back_sha256 = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;
  /* An empty value ("no sequence", a manifest's) once made the PUT 403. */
  const char *metadata[] = { "case", "（2026）浙1022民初123号", "seq", "7", "empty", "", NULL };
  CrS3PutOptions options = { 0 };
  gint64 started;
  double seconds;

  if (skipped ())
    return;
  client = client_new (NULL, 0);
  make_bucket (client, "rooms", FALSE);
  /* Twice: an existing bucket of ours is not an error. */
  make_bucket (client, "rooms", FALSE);
  path = random_file ("segment.mp4", 24 * MIB + 17);
  sha256 = tool_digest ("sha256sum", path);
  md5 = tool_digest ("md5sum", path);
  options.sha256_hex = sha256;
  options.metadata = metadata;
  options.content_type = "video/mp4";

  started = g_get_monotonic_time ();
  g_assert_true (cr_s3_put_object (client, "rooms", "r1/s1/seg-00001.mp4", path, &options,
                                   &reply, &error));
  seconds = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_assert_no_error (error);
  g_assert_cmpint (reply.status, ==, 200);
  g_assert_cmpstr (reply.etag, ==, md5);
  g_test_message ("one PUT of 24 MiB: %.2f s, %.0f MiB/s (Ceph started in %.1f s)", seconds,
                  24 / seconds, store->start_seconds);

  g_assert_true (cr_s3_head_object (client, "rooms", "r1/s1/seg-00001.mp4", &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reply.size, ==, 24 * MIB + 17);
  g_assert_cmpstr (reply.etag, ==, md5);
  g_assert_cmpstr (g_hash_table_lookup (reply.metadata, "case"), ==, "（2026）浙1022民初123号");
  g_assert_cmpstr (g_hash_table_lookup (reply.metadata, "seq"), ==, "7");
  g_assert_false (g_hash_table_contains (reply.metadata, "empty"));

  back = g_build_filename (store->work, "fetched.mp4", NULL);
  g_assert_true (cr_s3_get_object (client, "rooms", "r1/s1/seg-00001.mp4", back, &reply, &error));
  g_assert_no_error (error);
  back_sha256 = tool_digest ("sha256sum", back);
  g_assert_cmpstr (back_sha256, ==, sha256);

  /* A key not there: NOT_FOUND, for HEAD and GET alike, and GET leaves no file. */
  g_assert_false (cr_s3_head_object (client, "rooms", "r1/s1/none.mp4", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cr_s3_get_object (client, "rooms", "r1/s1/none.mp4", back, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  g_assert_cmpstr (reply.code, ==, "NoSuchKey");
  g_clear_error (&error);
  g_assert_true (g_file_test (back, G_FILE_TEST_EXISTS));   /* the earlier copy, untouched */

  g_assert_true (cr_s3_delete_object (client, "rooms", "r1/s1/seg-00001.mp4", NULL, &reply, &error));
  g_assert_no_error (error);
  g_assert_false (cr_s3_head_object (client, "rooms", "r1/s1/seg-00001.mp4", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  cr_s3_reply_clear (&reply);
}

static void
test_damaged_body_refused (void)
{
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *other = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;
  /* The MD5 of "other bytes", not of the file. */
  CrS3PutOptions options = { .content_md5 = "1B2M2Y8AsgTpgAmY7PhCfg==" };
  char zeros[64];

  if (skipped ())
    return;
  client = client_new (NULL, 0);
  make_bucket (client, "damaged", FALSE);
  path = random_file ("damaged.bin", MIB);
  g_assert_false (cr_s3_put_object (client, "damaged", "a.bin", path, &options, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED);
  g_assert_cmpint (reply.status, ==, 400);
  g_assert_cmpstr (reply.code, ==, "BadDigest");
  g_clear_error (&error);

  /* A SHA-256 of other bytes: refused too, by the signed payload hash. */
  memset (zeros, '0', sizeof zeros);
  other = g_strndup (zeros, sizeof zeros);
  options.content_md5 = NULL;
  options.sha256_hex = other;
  g_assert_false (cr_s3_put_object (client, "damaged", "a.bin", path, &options, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED);
  g_assert_cmpint (reply.status, ==, 400);
  g_assert_cmpstr (reply.code, ==, "XAmzContentSHA256Mismatch");
  g_clear_error (&error);

  /* Neither left an object behind. */
  g_assert_false (cr_s3_head_object (client, "damaged", "a.bin", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  cr_s3_reply_clear (&reply);
}

static void
test_multipart_resumed (void)
{
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) parts = NULL;
  g_autofree char *path = NULL;
  g_autofree char *upload_id = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *back = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *back_sha256 = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;
  const gint64 size = 20 * MIB + 12345;
  const gint64 part = 5 * MIB;
  const guint count = 5;   /* 4 of 5 MiB and the rest */

  if (skipped ())
    return;
  path = random_file ("long.mp4", (gsize) size);
  sha256 = tool_digest ("sha256sum", path);

  /* The first uploader: two parts, then it is gone (a crash: the handle
   * abandoned, nothing completed or aborted). */
  {
    g_autoptr (CrS3Client) first = client_new (NULL, 0);

    make_bucket (first, "parts", FALSE);
    upload_id = cr_s3_multipart_create (first, "parts", "r1/s2/seg-00001.mp4", NULL, &reply, &error);
    g_assert_no_error (error);
    g_assert_nonnull (upload_id);
    for (guint n = 1; n <= 2; n++)
      {
        g_assert_true (cr_s3_multipart_upload_part (first, "parts", "r1/s2/seg-00001.mp4",
                                                    upload_id, n, path, (n - 1) * part, part,
                                                    &reply, &error));
        g_assert_no_error (error);
        g_assert_nonnull (reply.etag);
      }
  }
  /* No object is visible while the upload is open. */
  client = client_new (NULL, 0);
  g_assert_false (cr_s3_head_object (client, "parts", "r1/s2/seg-00001.mp4", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The next uploader knows only the upload ID (kept in the index). */
  parts = cr_s3_multipart_list_parts (client, "parts", "r1/s2/seg-00001.mp4", upload_id,
                                      &reply, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parts->len, ==, 2);
  for (guint i = 0; i < parts->len; i++)
    {
      g_assert_cmpuint (g_array_index (parts, CrS3Part, i).number, ==, i + 1);
      g_assert_cmpint (g_array_index (parts, CrS3Part, i).size, ==, part);
    }
  for (guint n = parts->len + 1; n <= count; n++)
    {
      CrS3Part done = { n, MIN (part, size - (n - 1) * part), NULL };

      g_assert_true (cr_s3_multipart_upload_part (client, "parts", "r1/s2/seg-00001.mp4",
                                                  upload_id, n, path, (n - 1) * part,
                                                  done.size, &reply, &error));
      g_assert_no_error (error);
      done.etag = g_strdup (reply.etag);
      g_array_append_val (parts, done);
    }
  g_assert_true (cr_s3_multipart_complete (client, "parts", "r1/s2/seg-00001.mp4", upload_id,
                                           parts, &reply, &error));
  g_assert_no_error (error);

  g_assert_true (cr_s3_head_object (client, "parts", "r1/s2/seg-00001.mp4", &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reply.size, ==, size);
  expected = cr_s3_expected_etag (path, part, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (expected, "-5"));
  g_assert_cmpstr (reply.etag, ==, expected);
  back = g_build_filename (store->work, "long-back.mp4", NULL);
  g_assert_true (cr_s3_get_object (client, "parts", "r1/s2/seg-00001.mp4", back, &reply, &error));
  g_assert_no_error (error);
  back_sha256 = tool_digest ("sha256sum", back);
  g_assert_cmpstr (back_sha256, ==, sha256);

  /* A part under 5 MiB that is not the last: the store refuses to
   * complete; abort then removes the upload. */
  {
    g_autofree char *small_id = cr_s3_multipart_create (client, "parts", "small.bin", NULL,
                                                        &reply, &error);
    g_autoptr (GArray) small = g_array_new (FALSE, FALSE, sizeof (CrS3Part));
    CrS3Part one = { 1, MIB, NULL };
    CrS3Part two = { 2, MIB, NULL };

    g_assert_no_error (error);
    g_assert_true (cr_s3_multipart_upload_part (client, "parts", "small.bin", small_id, 1, path,
                                                0, MIB, &reply, &error));
    one.etag = g_strdup (reply.etag);
    g_assert_true (cr_s3_multipart_upload_part (client, "parts", "small.bin", small_id, 2, path,
                                                MIB, MIB, &reply, &error));
    two.etag = g_strdup (reply.etag);
    g_array_append_val (small, one);
    g_array_append_val (small, two);
    g_assert_false (cr_s3_multipart_complete (client, "parts", "small.bin", small_id, small,
                                              &reply, &error));
    g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED);
    g_assert_cmpstr (reply.code, ==, "EntityTooSmall");
    g_clear_error (&error);
    g_free (one.etag);
    g_free (two.etag);
    g_assert_true (cr_s3_multipart_abort (client, "parts", "small.bin", small_id, &reply, &error));
    g_assert_no_error (error);
    g_assert_null (cr_s3_multipart_list_parts (client, "parts", "small.bin", small_id, &reply,
                                               &error));
    g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
    /* AWS says NoSuchUpload; RGW 16.2 says NoSuchKey. */
    g_assert_true (g_strcmp0 (reply.code, "NoSuchUpload") == 0 ||
                   g_strcmp0 (reply.code, "NoSuchKey") == 0);
  }
  /* The parts' etags go with the array (its clear function). */
  cr_s3_reply_clear (&reply);
}

static void
test_names_refused (void)
{
  static const char *const keys[] = {
    "（2026）浙1022民初123号.mp4", "r1/caf\xc3\xa9.mp4", "", "/r1/a.mp4", "r1//a.mp4",
    "r1/a.mp4/", "r1/../a.mp4", "./a", "r1/a b.mp4", "a?b", "a#b", "a%2Fb", "a\nb",
    "a+b", NULL,
  };
  static const char *const buckets[] = { "ab", "Rooms", "-rooms", "rooms-", "ro..oms",
                                         "rooms_1", "", NULL };
  g_autofree char *long_key = g_strnfill (1025, 'a');
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (GError) error = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;
  const char *prefix_names[] = { "seq", "1", "seq-2", "2", NULL };
  const char *bad_name[] = { "Case", "x", NULL };
  CrS3PutOptions options = { 0 };
  g_autofree char *path = NULL;

  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_assert_false (cr_s3_key_validate (keys[i], &error));
      g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_false (cr_s3_key_validate (long_key, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cr_s3_key_validate (keys[0], &error));
  g_assert_nonnull (strstr (error->message, "not ASCII"));
  g_clear_error (&error);
  g_assert_true (cr_s3_key_validate ("r1/2026-12-03/s_1/seg-00001.mp4", &error));
  g_assert_no_error (error);
  for (guint i = 0; buckets[i] != NULL; i++)
    {
      g_assert_false (cr_s3_bucket_validate (buckets[i], &error));
      g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
      g_clear_error (&error);
    }

  if (skipped ())
    return;
  /* Refused by the client before anything goes out: no object appears. */
  client = client_new (NULL, 0);
  make_bucket (client, "names", FALSE);
  path = random_file ("names.bin", 1000);
  g_assert_false (cr_s3_put_object (client, "names", keys[0], path, NULL, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_assert_cmpint (reply.status, ==, 0);
  g_clear_error (&error);
  g_assert_null (cr_s3_multipart_create (client, "names", keys[0], NULL, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  options.metadata = prefix_names;
  g_assert_false (cr_s3_put_object (client, "names", "a.bin", path, &options, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  options.metadata = bad_name;
  g_assert_false (cr_s3_put_object (client, "names", "a.bin", path, &options, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  options.metadata = NULL;
  options.sha256_hex = "ABC";
  g_assert_false (cr_s3_put_object (client, "names", "a.bin", path, &options, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cr_s3_multipart_upload_part (client, "names", "a.bin", "id", 0, path, 0, 10,
                                               &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cr_s3_multipart_upload_part (client, "names", "a.bin", "id", 10001, path, 0,
                                               10, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cr_s3_head_object (client, "names", "a.bin", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  cr_s3_reply_clear (&reply);
}

static void
test_wrong_secret_refused (void)
{
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (CrS3Client) good = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;

  if (skipped ())
    return;
  good = client_new (NULL, 0);
  make_bucket (good, "secrets", FALSE);
  client = client_new ("not-the-secret-0123456789abcdefghijklmno", 0);
  path = random_file ("secret.bin", 100000);
  g_assert_false (cr_s3_put_object (client, "secrets", "a.bin", path, NULL, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED);
  g_assert_cmpint (reply.status, ==, 403);
  g_assert_cmpstr (reply.code, ==, "SignatureDoesNotMatch");
  g_clear_error (&error);
  g_assert_false (cr_s3_head_object (good, "secrets", "a.bin", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  cr_s3_reply_clear (&reply);
}

typedef struct {
  GPid pid;
  guint delay_ms;
} Kill;

static gpointer
kill_later (gpointer data)
{
  Kill *kill_at = data;

  g_usleep (kill_at->delay_ms * 1000);
  kill (kill_at->pid, SIGKILL);
  return NULL;
}

static void
test_gateway_killed (void)
{
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *md5 = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;
  Kill kill_at;
  GThread *killer;
  gint64 started;

  if (skipped ())
    return;
  path = random_file ("killed.mp4", 16 * MIB);
  md5 = tool_digest ("md5sum", path);
  {
    g_autoptr (CrS3Client) setup = client_new (NULL, 0);

    make_bucket (setup, "killed", FALSE);
  }
  /* 4 MiB/s: the gateway dies a second into a 4 s upload. */
  client = client_new (NULL, 4 * MIB);
  kill_at = (Kill) { cr_test_ceph_pid (store, "CEPH_RGW_PID"), 1000 };
  killer = g_thread_new ("kill-rgw", kill_later, &kill_at);
  started = g_get_monotonic_time ();
  g_assert_false (cr_s3_put_object (client, "killed", "seg.mp4", path, NULL, &reply, &error));
  g_thread_join (killer);
  g_test_message ("the PUT ended %.1f s in: %s",
                  (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC, error->message);
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_UNKNOWN);
  g_assert_cmpint (reply.status, ==, 0);
  g_clear_error (&error);

  /* Nobody listens now: that is not "unknown", nothing went out. */
  g_assert_false (cr_s3_head_object (client, "killed", "seg.mp4", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_UNREACHABLE);
  g_clear_error (&error);

  /* The gateway back: HEAD settles the unknown (not stored, no partial
   * object), and the PUT sent again lands whole. */
  g_assert_true (cr_test_ceph_start (store));
  g_assert_false (cr_s3_head_object (client, "killed", "seg.mp4", &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (cr_s3_put_object (client, "killed", "seg.mp4", path, NULL, &reply, &error));
  g_assert_no_error (error);
  g_assert_true (cr_s3_head_object (client, "killed", "seg.mp4", &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reply.size, ==, 16 * MIB);
  g_assert_cmpstr (reply.etag, ==, md5);
  cr_s3_reply_clear (&reply);
}

static void
test_object_lock (void)
{
  g_autoptr (CrS3Client) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *version = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;
  gint64 until = g_get_real_time () / G_USEC_PER_SEC + 86400;
  CrS3PutOptions options = { .lock_mode = "COMPLIANCE", .lock_retain_until = until };
  CrS3PutOptions past = { .lock_mode = "COMPLIANCE", .lock_retain_until = until - 2 * 86400 };
  CrS3PutOptions odd = { .lock_mode = "FOREVER", .lock_retain_until = until };

  if (skipped ())
    return;
  client = client_new (NULL, 0);
  make_bucket (client, "locked", TRUE);
  make_bucket (client, "unlocked", FALSE);
  path = random_file ("canary", 1);

  g_assert_true (cr_s3_put_object (client, "locked", "canary", path, &options, &reply, &error));
  g_assert_no_error (error);
  g_assert_nonnull (reply.version_id);
  version = g_strdup (reply.version_id);
  g_assert_true (cr_s3_head_object (client, "locked", "canary", &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (reply.lock_mode, ==, "COMPLIANCE");
  g_assert_nonnull (reply.lock_retain_until);

  /* The locked version refuses deletion. */
  g_assert_false (cr_s3_delete_object (client, "locked", "canary", version, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED);
  g_assert_cmpint (reply.status, ==, 403);
  g_assert_cmpstr (reply.code, ==, "AccessDenied");
  g_clear_error (&error);
  g_assert_true (cr_s3_head_object (client, "locked", "canary", &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (reply.version_id, ==, version);

  /* A lock the bucket cannot hold is refused by the store; a lock in the
   * past or of no known mode, by the client. */
  g_assert_false (cr_s3_put_object (client, "unlocked", "canary", path, &options, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED);
  g_assert_cmpint (reply.status, ==, 400);
  g_clear_error (&error);
  g_assert_false (cr_s3_put_object (client, "locked", "c2", path, &past, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cr_s3_put_object (client, "locked", "c2", path, &odd, &reply, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  cr_s3_reply_clear (&reply);
}

static void
test_secret_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("s3-secret-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "secret", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *secret = NULL;
  static const char *const bad[] = { "", "  \n", "two words\n", "a:b\n", "caf\xc3\xa9\n", NULL };

  g_assert_true (g_file_set_contents_full (path, "  abcDEF123/+=\n", -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  secret = cr_config_load_archive_secret (path, "[archive court] secret_key_file", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, "abcDEF123/+=");

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_test_message ("key file holding \"%s\"", bad[i]);
      g_assert_true (g_file_set_contents_full (path, bad[i], -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                               0600, NULL));
      g_assert_null (cr_config_load_archive_secret (path, "[archive court] secret_key_file",
                                                    &error));
      g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "[archive court] secret_key_file"));
      g_clear_error (&error);
    }
  /* Readable by everyone: refused, and the secret is not in the message. */
  g_assert_true (g_file_set_contents_full (path, "hunter2secret\n", -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_null (cr_config_load_archive_secret (path, "[archive court] secret_key_file", &error));
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "0644"));
  g_assert_null (strstr (error->message, "hunter2"));
  g_clear_error (&error);
  g_unlink (path);
  g_assert_null (cr_config_load_archive_secret (path, "[archive court] secret_key_file", &error));
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
  g_clear_error (&error);
  /* A directory or a FIFO is not a key file. */
  g_assert_null (cr_config_load_archive_secret (dir, "[archive court] secret_key_file", &error));
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  g_assert_null (cr_config_load_archive_secret (path, "[archive court] secret_key_file", &error));
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_config_refused (void)
{
  CrS3Config config = { "ftp://127.0.0.1:1", "us-east-1", "AK", "SK", 0, 0, 0, NULL };
  g_autoptr (GError) error = NULL;

  g_assert_null (cr_s3_client_new (&config, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  config.endpoint = "http://127.0.0.1:1/?x";
  g_assert_null (cr_s3_client_new (&config, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  config.endpoint = "http://127.0.0.1:1";
  config.region = "US East";
  g_assert_null (cr_s3_client_new (&config, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  config.region = "us-east-1";
  config.access_key = "A:K";
  g_assert_null (cr_s3_client_new (&config, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
  g_clear_error (&error);
  config.access_key = "AK";
  config.secret_key = "";
  g_assert_null (cr_s3_client_new (&config, &error));
  g_assert_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/s3/config-refused", test_config_refused);
  g_test_add_func ("/courtrec/s3/secret-file", test_secret_file);
  g_test_add_func ("/courtrec/s3/names-refused", test_names_refused);
  g_test_add_func ("/courtrec/s3/round-trip", test_round_trip);
  g_test_add_func ("/courtrec/s3/damaged-body-refused", test_damaged_body_refused);
  g_test_add_func ("/courtrec/s3/multipart-resumed", test_multipart_resumed);
  g_test_add_func ("/courtrec/s3/wrong-secret-refused", test_wrong_secret_refused);
  g_test_add_func ("/courtrec/s3/object-lock", test_object_lock);
  g_test_add_func ("/courtrec/s3/gateway-killed", test_gateway_killed);

  store = cr_test_ceph_new ("test-s3");
  return g_test_run ();
}
