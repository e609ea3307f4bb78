/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-upload-wake.c: the uploader's thread wakes for every segment it is
 * told of (cr_uploader_poke), against a real single-node Ceph
 * (tests/test-util-ceph.h). It runs on an index of the test's own, where
 * the test closes segments of noise one after the other, each as soon as
 * the one before is verified: each must be verified well before the
 * uploader's own poll (10 s) would have found it. A poke that came while
 * the thread was still busy with the one before, or just after it had
 * looked at the queue, used to be taken by a wait that found nothing new,
 * and the segment waited for the poll. */
#include <string.h>

#include "archive/segment-index.h"
#include "recorder/uploader.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"

#define CASE_NO "（2026）浙1022民初77号"
#define SEGMENTS 5
/* Far below the 10 s poll, far above an upload of 1 MiB to this gateway. */
#define WAKE_SECONDS 5

static CrTestCeph *store;

/* How many of the queue's rows are verified, read by sqlite3. */
static guint
verified (const char *index_path)
{
  const char *argv[] = { "sqlite3", "-readonly", index_path,
                         "SELECT count(*) FROM upload_queue WHERE state = 'verified'", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return (guint) g_ascii_strtoull (out, NULL, 10);
}

static void
test_poke_after_poke (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *index_path = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrUploader) uploader = NULL;
  g_autoptr (GError) error = NULL;
  CrArchiveConfig config = {
    .name = "court", .endpoint = store->endpoint, .bucket = "court-wake",
    .prefix = "sanmen", .region = store->region, .max_age_hours = 24,
    .window = { TRUE, 0, 0 }, .object_lock = FALSE, .lock_retain_years = 30,
  };
  gint64 session;
  double offset;
  guint measure;

  if (cr_test_ceph_skipped (store))
    return;
  config.access_key_file = cr_test_ceph_key_file (store, "wake.access", store->access_key);
  config.secret_key_file = cr_test_ceph_key_file (store, "wake.secret", store->secret_key);
  dir = g_build_filename (store->work, "wake", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  index_path = g_build_filename (dir, "index.db", NULL);
  index = cr_segment_index_open (index_path, FALSE, &error);
  g_assert_no_error (error);
  session = cr_segment_index_begin_session (index, "test-room", CASE_NO, NULL,
                                            g_get_real_time (), &error);
  g_assert_no_error (error);
  uploader = cr_uploader_new (&config, "test-room", NULL, index_path, dir);

  for (guint sequence = 1; sequence <= SEGMENTS; sequence++)
    {
      g_autofree char *name = g_strdup_printf ("%06u.mkv", sequence);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *sha256 = cr_test_random_file (path, 1 << 20, sequence);
      gint64 segment = cr_segment_index_add_segment (index, session, sequence, name,
                                                     g_get_real_time (), &error);
      gint64 told, until;

      g_assert_no_error (error);
      g_assert_true (cr_segment_index_close_segment (index, segment, 10 * G_USEC_PER_SEC,
                                                     1 << 20, sha256, &error));
      g_assert_no_error (error);
      /* What the recorder does when a segment closes. */
      cr_uploader_poke (uploader);
      told = g_get_monotonic_time ();
      /* The first waits for the store's checks (clock, bucket) too. */
      until = told + (sequence == 1 ? 30 : WAKE_SECONDS) * G_USEC_PER_SEC;
      while (verified (index_path) < sequence)
        {
          /* The recorder takes the clock's measure, which the first upload
           * waits for. */
          if (cr_uploader_peek_clock_offset (uploader, &offset, &measure))
            cr_uploader_clock_logged (uploader, measure);
          if (g_get_monotonic_time () > until)
            g_error ("segment %u was not verified in %d s after its poke", sequence,
                     sequence == 1 ? 30 : WAKE_SECONDS);
          g_usleep (20 * 1000);
        }
      g_test_message ("segment %u verified %.2f s after its poke", sequence,
                      (g_get_monotonic_time () - told) / 1e6);
    }
  g_clear_pointer (&uploader, cr_uploader_free);
  g_free (config.access_key_file);
  g_free (config.secret_key_file);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/upload-wake/poke-after-poke", test_poke_after_poke);
  store = cr_test_ceph_new ("test-upload-wake");
  return g_test_run ();
}
