/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-archive-bandwidth.c: the court archive's bandwidth cap
 * ([archive NAME] bandwidth_kbps), against a real single-node Ceph
 * (tests/test-util-ceph.h): a segment is sent no faster than the cap, a
 * field unit's live stream keeps its share of the uplink, and not much
 * slower either, or a day's backlog would never catch up. The queue's
 * states are read with sqlite3, the object fetched back hashed with
 * sha256sum. */
#include <glib/gstdio.h>
#include <string.h>

#include "archive/records.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"

#define BUCKET "court-capped"
#define CASE_NO "（2026）浙1022民初125号"
/* 25 kB/s: the test pattern's few hundred kB take several seconds. */
#define CAP_KBPS 200

static CrTestCeph *store;

/* The state and bytes of segment 1's queue row, read by sqlite3: "state|bytes",
 * or "" while it has none. (transfer full) */
static char *
segment_row (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *sql = g_strdup_printf ("SELECT state, bytes FROM upload_queue WHERE "
                                          "session_id = %" G_GINT64_FORMAT " AND item = "
                                          "'segment' AND sequence = 1", session_id);
  const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
  char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strchomp (out);
}

static void
test_cap_holds (void)
{
  g_autofree char *section = NULL;
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  gint64 session, started_us = 0, verified_us = 0, bytes = 0, until;
  double seconds, rate, cap = CAP_KBPS * 1000.0 / 8;

  if (cr_test_ceph_skipped (store))
    return;
  section = cr_test_ceph_archive_section (store, NULL, BUCKET,
                                          "bandwidth_kbps = " G_STRINGIFY (CAP_KBPS) "\n");
  room = cr_test_room_new (10, section);
  cr_test_room_start (room);
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (8 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);

  /* From the moment the segment is being sent to its HEAD's verdict. */
  until = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  while (verified_us == 0)
    {
      g_autofree char *row = segment_row (room, session);

      if (started_us == 0 && g_str_has_prefix (row, "uploading|"))
        started_us = g_get_monotonic_time ();
      if (g_str_has_prefix (row, "verified|"))
        {
          verified_us = g_get_monotonic_time ();
          bytes = g_ascii_strtoll (strchr (row, '|') + 1, NULL, 10);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (50 * 1000);
    }
  g_assert_cmpint (started_us, >, 0);
  seconds = (verified_us - started_us) / 1e6;
  rate = bytes / seconds;
  g_test_message ("%" G_GINT64_FORMAT " bytes in %.2f s: %.1f kB/s against a cap of %.1f kB/s",
                  bytes, seconds, rate / 1000, cap / 1000);
  /* Long enough for the cap to tell: several seconds of it. */
  g_assert_cmpfloat (bytes, >, 3 * cap);
  g_assert_cmpfloat (rate, <=, 1.15 * cap);
  g_assert_cmpfloat (rate, >=, 0.5 * cap);

  /* What was sent so slowly is the file. */
  segments = cr_test_segments (room, session);
  {
    const CrSegmentRecord *segment = g_ptr_array_index (segments, 0);
    g_autofree char *work = g_dir_make_tmp ("archive-bandwidth-XXXXXX", NULL);
    g_autofree char *fetched = g_build_filename (work, "object", NULL);
    g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
    g_autofree char *sql = g_strdup_printf ("SELECT key FROM upload_queue WHERE session_id = %"
                                            G_GINT64_FORMAT " AND sequence = 1", session);
    const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
    g_autofree char *key = NULL;
    g_autofree char *path = NULL;
    g_autofree char *digest = NULL;

    g_assert_cmpint (cr_test_run (&key, NULL, argv), ==, 0);
    path = g_strdup_printf (BUCKET "/%s", g_strchomp (key));
    g_assert_cmpint (cr_test_ceph_curl (store, path, fetched, NULL), ==, 0);
    digest = cr_test_tool_digest ("sha256sum", fetched);
    g_assert_cmpstr (digest, ==, segment->sha256);
    g_assert_cmpint (g_remove (fetched), ==, 0);
    g_assert_cmpint (g_rmdir (work), ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/archive-bandwidth/cap-holds", test_cap_holds);
  store = cr_test_ceph_new ("test-archive-bandwidth");
  return g_test_run ();
}
