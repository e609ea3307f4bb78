/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-archive-verify.c: what the court archive's verified copy allows,
 * against a real single-node Ceph (tests/test-util-ceph.h): retention
 * deletes a session's local media once every object of it is verified in
 * the bucket, and keeps, saying why, those of a session the archive does
 * not hold yet. Files are judged with stat; never a fake store. */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/records.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"

#define BUCKET "court-verify"
#define CASE_NO "（2026）浙1022民初124号"

static CrTestCeph *store;

static CrTestRoom *
archived_room (void)
{
  g_autofree char *access = cr_test_ceph_key_file (store, "archive.access", store->access_key);
  g_autofree char *secret = cr_test_ceph_key_file (store, "archive.secret", store->secret_key);
  g_autofree char *extra = g_strdup_printf (
      "[archive court]\nendpoint = %s\nbucket = " BUCKET "\nprefix = sanmen\n"
      "region = %s\naccess_key_file = %s\nsecret_key_file = %s\n",
      store->endpoint, store->region, access, secret);
  CrTestRoom *room = cr_test_room_new (10, extra);

  cr_test_room_start (room);
  return room;
}

/* The states of @session_id's queue rows, one a line, read by sqlite3. */
static char *
queue_states (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *sql = g_strdup_printf ("SELECT state FROM upload_queue WHERE session_id = %"
                                          G_GINT64_FORMAT, session_id);
  const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
  char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return out;
}

/* Waits until every queue row of @session_id (a manifest among them) is
 * verified. */
static void
wait_verified (CrTestRoom *room, gint64 session_id, guint seconds)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *states = queue_states (room, session_id);
      g_auto (GStrv) lines = g_strsplit (g_strchomp (states), "\n", -1);
      guint verified = 0;

      for (guint i = 0; lines[i] != NULL; i++)
        verified += g_str_equal (lines[i], "verified");
      if (verified >= 2 && verified == g_strv_length (lines))
        return;
      if (g_get_monotonic_time () > until)
        g_error ("session %" G_GINT64_FORMAT " not verified in %u s: %s", session_id,
                 seconds, states);
      g_usleep (250 * 1000);
    }
}

static int
courtrec (CrTestRoom *room, char **out, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  int status;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (room->config_path));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  status = cr_test_run (&stdout_text, &stderr_text, (const char *const *) argv->pdata);
  *out = g_strconcat (stdout_text, stderr_text, NULL);
  g_test_message ("%s said:\n%s", args[0], *out);
  return status;
}

static gboolean
exists (CrTestRoom *room, const CrSegmentRecord *segment)
{
  g_autofree char *path = g_build_filename (room->storage_dir, segment->path, NULL);
  struct stat st;

  return stat (path, &st) == 0;
}

static void
test_retention_after_verified (void)
{
  const char *const retention[] = { "retention", "--older-than", "0", NULL };
  CrTestRoom *room;
  gint64 archived, waiting;
  g_autoptr (GPtrArray) archived_segments = NULL;
  g_autoptr (GPtrArray) waiting_segments = NULL;
  g_autofree char *out = NULL;

  if (cr_test_ceph_skipped (store))
    return;
  room = archived_room ();
  archived = cr_test_start_session (room, CASE_NO);
  g_usleep (2 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, archived);
  cr_test_wait_sealed (room, archived);
  wait_verified (room, archived, 45);

  /* The gateway gone before the second hearing is sent: it waits. */
  g_assert_cmpint (kill (cr_test_ceph_pid (store, "CEPH_RGW_PID"), SIGKILL), ==, 0);
  waiting = cr_test_start_session (room, CASE_NO);
  g_usleep (2 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, waiting);
  cr_test_wait_sealed (room, waiting);
  archived_segments = cr_test_segments (room, archived);
  waiting_segments = cr_test_segments (room, waiting);
  g_assert_cmpuint (archived_segments->len, >=, 1);
  g_assert_cmpuint (waiting_segments->len, >=, 1);

  /* A dry run says what it would delete, and where the archive has it,
   * and deletes nothing. */
  {
    const char *const dry_run[] = { "retention", "--older-than", "0", "--dry-run", NULL };

    g_assert_cmpint (courtrec (room, &out, dry_run), ==, 0);
    g_assert_nonnull (strstr (out, ": would delete: verified in archive court as "));
    for (guint i = 0; i < archived_segments->len; i++)
      g_assert_true (exists (room, g_ptr_array_index (archived_segments, i)));
    g_clear_pointer (&out, g_free);
  }

  /* Never marked archived by a clerk: the archive's verified copy is
   * enough, and the waiting session keeps every file, saying why. */
  g_assert_cmpint (courtrec (room, &out, retention), ==, 0);
  for (guint i = 0; i < archived_segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (archived_segments, i);
      g_autofree char *said = g_strdup_printf ("%s: deleted: verified in archive court as "
                                               "sanmen/test-room/", segment->path);

      g_assert_nonnull (strstr (out, said));
      g_assert_false (exists (room, segment));
    }
  g_assert_nonnull (strstr (out, "ETag "));
  for (guint i = 0; i < waiting_segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (waiting_segments, i);
      g_autofree char *said = g_strdup_printf ("%s: kept: ", segment->path);
      const char *line = strstr (out, said);

      g_assert_nonnull (line);
      g_assert_true (g_str_has_prefix (line + strlen (said), "not verified in archive court") ||
                     g_str_has_prefix (line + strlen (said), "not queued for archive court"));
      g_assert_true (exists (room, segment));
    }
  g_clear_pointer (&out, g_free);

  /* The archive's copy stood for the court's mark: an event of the chain
   * says so and names the archive. */
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, archived);
    const char *const events[] = { "events", id, NULL };

    g_assert_cmpint (courtrec (room, &out, events), ==, 0);
    g_assert_nonnull (strstr (out, "archived"));
    g_assert_nonnull (strstr (out, "\"verified_in\":[\"court\"]"));
    g_assert_nonnull (strstr (out, "media-deleted"));
  }
  cr_test_room_free (room);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/archive-verify/retention-after-verified",
                   test_retention_after_verified);
  store = cr_test_ceph_new ("test-archive-verify");
  return g_test_run ();
}
