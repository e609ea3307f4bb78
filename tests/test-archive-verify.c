/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-archive-verify.c: what the court archive's verified copy allows,
 * against a real single-node Ceph (tests/test-util-ceph.h): `courtrec
 * archive verify` re-reads a session from the bucket and proves it from
 * the archive's copy alone, naming an object changed, deleted or a
 * manifest edited there; retention deletes a session's local media once
 * every object of it is verified in the bucket, and keeps, saying why,
 * those of a session the archive does not hold yet. Objects fetched back
 * are hashed with sha256sum, files judged with stat; never a fake store. */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/records.h"
#include "archive/s3-client.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"

#define BUCKET "court-verify"
#define CASE_NO "（2026）浙1022民初124号"

static CrTestCeph *store;

static CrTestRoom *
archived_room (guint segment_seconds)
{
  g_autofree char *access = cr_test_ceph_key_file (store, "archive.access", store->access_key);
  g_autofree char *secret = cr_test_ceph_key_file (store, "archive.secret", store->secret_key);
  g_autofree char *extra = g_strdup_printf (
      "[archive court]\nendpoint = %s\nbucket = " BUCKET "\nprefix = sanmen\n"
      "region = %s\naccess_key_file = %s\nsecret_key_file = %s\n",
      store->endpoint, store->region, access, secret);
  CrTestRoom *room = cr_test_room_new (segment_seconds, extra);

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
  room = archived_room (10);
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
  /* The clerk's status says what waits, and why. */
  {
    const char *const status[] = { "status", NULL };
    g_autofree char *said = NULL;

    g_assert_cmpint (courtrec (room, &said, status), ==, 0);
    g_assert_nonnull (strstr (said, "archive:  court: "));
    g_assert_nonnull (strstr (said, " waiting ("));
    g_assert_nonnull (strstr (said, "MB), the oldest for "));
  }
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


/* The object key of @session_id's @item ("manifest", or the segment of
 * @sequence), as the uploader queued it, read by sqlite3. */
static char *
queued_key (CrTestRoom *room, gint64 session_id, const char *item, gint64 sequence)
{
  g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autofree char *which = sequence < 0 ? g_strdup ("IS NULL")
                                         : g_strdup_printf ("= %" G_GINT64_FORMAT, sequence);
  g_autofree char *sql = g_strdup_printf ("SELECT key FROM upload_queue WHERE session_id = %"
                                          G_GINT64_FORMAT " AND item = '%s' AND sequence %s",
                                          session_id, item, which);
  const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
  char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_strchomp (out);
  g_assert_cmpstr (out, !=, "");
  return out;
}

/* Writes @path over @key in the bucket: what an archive operator with
 * write rights, or a fault of the store, could do. */
static void
put_over (const char *key, const char *path)
{
  g_autoptr (CrS3Client) client = cr_test_ceph_client (store, NULL, 0);
  g_autoptr (GError) error = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;

  g_assert_true (cr_s3_put_object (client, BUCKET, key, path, NULL, &reply, &error));
  g_assert_no_error (error);
  cr_s3_reply_clear (&reply);
}

static void
delete_in_bucket (const char *key)
{
  g_autoptr (CrS3Client) client = cr_test_ceph_client (store, NULL, 0);
  g_autoptr (GError) error = NULL;
  CrS3Reply reply = CR_S3_REPLY_INIT;

  g_assert_true (cr_s3_delete_object (client, BUCKET, key, NULL, &reply, &error));
  g_assert_no_error (error);
  cr_s3_reply_clear (&reply);
}

/* `courtrec archive verify` with @args after the verb's "verify". */
static int
archive_verify (CrTestRoom *room, char **out, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "archive");
  g_ptr_array_add (args, (gpointer) "verify");
  va_start (ap, out);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  g_clear_pointer (out, g_free);
  return courtrec (room, out, (const char *const *) args->pdata);
}

static void
test_copy_verified_from_the_bucket (void)
{
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autofree char *out = NULL;
  g_autofree char *id = NULL;
  g_autofree char *manifest_key = NULL;
  g_autofree char *session_key = NULL;
  g_autofree char *work = NULL;
  g_autofree char *fetched = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *text = NULL;
  const CrSegmentRecord *second;
  gint64 session;
  char *marker;

  if (cr_test_ceph_skipped (store))
    return;
  g_assert_true (cr_test_ceph_start (store));
  room = archived_room (10);
  session = cr_test_start_session (room, CASE_NO);
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "mark", "证人出庭 witness called", NULL), ==, 0);
  /* A recess ends a segment: the session has two, and a pause in its
   * ledger. */
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess", NULL), ==, 0);
  g_usleep (G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "resume", NULL), ==, 0);
  g_usleep (2 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  wait_verified (room, session, 60);
  segments = cr_test_segments (room, session);
  g_assert_cmpuint (segments->len, >=, 2);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, session);
  manifest_key = queued_key (room, session, "manifest", -1);
  g_assert_true (g_str_has_suffix (manifest_key, "/manifest.json"));
  session_key = g_strndup (manifest_key, strlen (manifest_key) - strlen ("/manifest.json"));

  /* The clerk's status says the archive holds it all. */
  {
    const char *const status[] = { "status", NULL };

    g_assert_cmpint (courtrec (room, &out, status), ==, 0);
    g_assert_nonnull (strstr (out, "archive:  court: all sent and verified; last success 20"));
  }

  /* Intact: every object fetched back, its chain and seal proven. */
  g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 0);
  g_assert_nonnull (strstr (out, session_key));
  g_assert_nonnull (strstr (out, "signature good"));
  g_assert_nonnull (strstr (out, ": INTACT\n"));
  text = g_strdup_printf ("%u files", segments->len);
  g_assert_nonnull (strstr (out, text));

  /* What the bucket holds is the recording: each object, fetched with
   * curl's own signing, hashes with sha256sum to the index's SHA-256. */
  work = g_dir_make_tmp ("archive-verify-XXXXXX", NULL);
  fetched = g_build_filename (work, "object", NULL);
  for (guint i = 0; i < segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      g_autofree char *key = queued_key (room, session, "segment", segment->sequence);
      g_autofree char *path = g_strdup_printf (BUCKET "/%s", key);
      g_autofree char *digest = NULL;

      g_assert_cmpint (cr_test_ceph_curl (store, path, fetched, NULL), ==, 0);
      digest = cr_test_tool_digest ("sha256sum", fetched);
      g_assert_cmpstr (digest, ==, segment->sha256);
    }

  /* Without the room's index (its disk gone): the session's place in the
   * bucket is enough. */
  {
    g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
    g_autofree char *away = g_strconcat (index, ".away", NULL);

    cr_test_room_signal (room, SIGTERM, 20);
    g_assert_cmpint (g_rename (index, away), ==, 0);
    g_assert_cmpint (archive_verify (room, &out, "--key", session_key, NULL), ==, 0);
    g_assert_nonnull (strstr (out, ": INTACT\n"));
    g_assert_cmpint (g_rename (away, index), ==, 0);
  }

  /* A segment's object changed in the bucket: named, with its key. */
  second = g_ptr_array_index (segments, 1);
  {
    g_autofree char *key = queued_key (room, session, "segment", second->sequence);
    g_autofree char *local = g_build_filename (room->storage_dir, second->path, NULL);
    g_autofree char *contents = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (local, &contents, &length, NULL));
    contents[length / 2] ^= 0x01;
    tampered = g_build_filename (work, "tampered", NULL);
    g_assert_true (g_file_set_contents (tampered, contents, length, NULL));
    put_over (key, tampered);
    g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 3);
    g_clear_pointer (&text, g_free);
    text = g_strdup_printf ("segment #%u's content changed", second->sequence);
    g_assert_nonnull (strstr (out, text));
    g_assert_nonnull (strstr (out, key));
    g_assert_nonnull (strstr (out, "in the archive"));
    g_assert_nonnull (strstr (out, "NOT INTACT, 1 problem\n"));

    /* Deleted from the bucket: named as missing there. */
    delete_in_bucket (key);
    g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 3);
    g_clear_pointer (&text, g_free);
    text = g_strdup_printf ("segment #%u is not in the archive", second->sequence);
    g_assert_nonnull (strstr (out, text));
    g_assert_nonnull (strstr (out, "NOT INTACT, 1 problem\n"));

    /* Put back as recorded: intact again. */
    put_over (key, local);
    g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 0);
  }

  /* The manifest edited in the bucket: the marker's words changed, which
   * the chain links; the event is named. */
  manifest = g_build_filename (work, "manifest.json", NULL);
  {
    g_autofree char *path = g_strdup_printf (BUCKET "/%s", manifest_key);
    g_assert_cmpint (cr_test_ceph_curl (store, path, manifest, NULL), ==, 0);
  }
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (manifest, &text, NULL, NULL));
  /* The hearing report filed with the case goes with it, telling the
   * hearing from the archive alone. */
  {
    const char *report = strstr (text, "\"report\" : {");

    g_assert_nonnull (report);
    g_assert_nonnull (strstr (report, CASE_NO));
    g_assert_nonnull (strstr (report, "witness called"));
  }
  marker = strstr (text, "witness called");
  g_assert_nonnull (marker);
  memcpy (marker, "witness absent", strlen ("witness absent"));
  g_assert_true (g_file_set_contents (tampered, text, -1, NULL));
  put_over (manifest_key, tampered);
  g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "(marker at "));
  g_assert_nonnull (strstr (out, "was edited"));
  /* A manifest that is not one is said to be so. */
  g_assert_true (g_file_set_contents (tampered, "{\"format\": 7}", -1, NULL));
  put_over (manifest_key, tampered);
  g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "not a courtrec session manifest"));
  /* One whose members are of the wrong kind is named member by member,
   * and nothing of it is trusted. */
  {
    static const struct {
      const char *from, *to, *named;
    } damage[] = {
      { "\"segments\" : [", "\"segments\" : 7, \"x\" : [", "\"segments\" and \"ledger\" (arrays)" },
      { "\"sequence\" : 1,", "\"sequence\" : \"one\",", "segments[0] (\"sequence\" (a whole number))" },
      { "\"sealed_events\" : ", "\"sealed_events\" : -", "\"sealed_events\" (0 or more)" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (damage); i++)
      {
        g_autofree char *original = NULL;
        g_autofree char *damaged = NULL;
        char *at;

        g_assert_true (g_file_get_contents (manifest, &original, NULL, NULL));
        at = strstr (original, damage[i].from);
        g_assert_nonnull (at);
        *at = '\0';
        damaged = g_strconcat (original, damage[i].to, at + strlen (damage[i].from), NULL);
        g_assert_true (g_file_set_contents (tampered, damaged, -1, NULL));
        put_over (manifest_key, tampered);
        g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 3);
        g_assert_nonnull (strstr (out, "the archive's manifest is damaged: expected "));
        g_assert_nonnull (strstr (out, damage[i].named));
      }
  }
  put_over (manifest_key, manifest);
  g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 0);

  /* Bad requests: exit 2, saying what. */
  g_assert_cmpint (archive_verify (room, &out, NULL), ==, 2);
  g_assert_nonnull (strstr (out, "give one of --session ID and --key KEY"));
  g_assert_cmpint (archive_verify (room, &out, "--session", id, "--key", session_key, NULL), ==, 2);
  g_assert_cmpint (archive_verify (room, &out, "--session", "abc", NULL), ==, 2);
  g_assert_cmpint (archive_verify (room, &out, "--session", "99", NULL), ==, 2);
  g_assert_nonnull (strstr (out, "99"));
  g_assert_cmpint (archive_verify (room, &out, "--key", "../etc/passwd", NULL), ==, 2);
  g_assert_nonnull (strstr (out, "is not an object key"));
  g_assert_cmpint (archive_verify (room, &out, "--session", id, "--archive", "nosuch", NULL), ==, 2);
  g_assert_nonnull (strstr (out, "[archive nosuch]"));
  {
    const char *const frob[] = { "archive", "frob", NULL };
    g_assert_cmpint (courtrec (room, &out, frob), ==, 2);
  }
  /* A session the archive never had: not intact, and said so. */
  {
    g_autofree char *elsewhere = g_strconcat (session_key, "0", NULL);
    g_assert_cmpint (archive_verify (room, &out, "--key", elsewhere, NULL), ==, 3);
    g_assert_nonnull (strstr (out, "holds no manifest"));
  }

  /* The store down: exit 1, not a verdict. */
  g_assert_cmpint (kill (cr_test_ceph_pid (store, "CEPH_RGW_PID"), SIGKILL), ==, 0);
  g_assert_cmpint (archive_verify (room, &out, "--session", id, NULL), ==, 1);
  g_assert_null (strstr (out, "INTACT"));
  g_assert_true (cr_test_ceph_start (store));
  g_assert_cmpint (g_unlink (fetched), ==, 0);
  g_unlink (manifest);
  g_unlink (tampered);
  g_rmdir (work);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/archive-verify/copy-verified-from-the-bucket",
                   test_copy_verified_from_the_bucket);
  g_test_add_func ("/courtrec/archive-verify/retention-after-verified",
                   test_retention_after_verified);
  store = cr_test_ceph_new ("test-archive-verify");
  return g_test_run ();
}
