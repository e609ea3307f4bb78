/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-disk.c: the disk policy on a small filesystem made for the test (a
 * tmpfs with a size limit, mounted on the room's storage directory): a
 * session that would not fit is refused, a low disk raises an alarm, and a
 * disk that fills up mid-hearing loses nothing already recorded, keeps the
 * index true to the files, and recording goes on when space returns.
 * Mounting needs root; without it every case is skipped. */
#define _GNU_SOURCE /* unshare(2) */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "archive/segment-index.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"

typedef struct {
  const char *size;           /* of the tmpfs, as mount(8) takes it */
  guint segment_seconds;
  const char *extra;          /* more config */
} DiskParams;

typedef struct {
  CrTestRoom *room;
  gboolean mounted;
  char *filler;               /* a file that takes the disk's room, or NULL */
} Fixture;

/* 20 Mbit/s: a few MB hold seconds, not minutes. */
static const DiskParams tiny_fast = {
  "6m", 10, "[video]\nwidth = 320\nheight = 180\nframerate = 25\nbitrate_kbps = 20000\n\n"
};
/* The test room's bit rates: 32 MB hold minutes, not hours. */
static const DiskParams small = { "32m", 10, NULL };
/* About 25 kB/s by the estimate: 24 MB hold the 10 min a start needs. */
static const DiskParams small_slow = {
  "24m", 10, "[video]\nwidth = 320\nheight = 180\nframerate = 25\nbitrate_kbps = 100\n\n[audio]\nbitrate_kbps = 32\n\n"
};

static int
run_quiet (const char *const *argv, char **err)
{
  return cr_test_run (NULL, err, argv);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  const DiskParams *params = data;
  g_autofree char *options = g_strdup_printf ("size=%s,mode=0750", params->size);
  g_autofree char *err = NULL;

  fixture->room = cr_test_room_new (params->segment_seconds, params->extra);
  g_assert_cmpint (g_mkdir_with_parents (fixture->room->storage_dir, 0750), ==, 0);
  {
    const char *argv[] = { "mount", "-t", "tmpfs", "-o", options, "tmpfs",
                           fixture->room->storage_dir, NULL };
    fixture->mounted = run_quiet (argv, &err) == 0;
  }
  if (!fixture->mounted)
    g_test_message ("could not mount a tmpfs: %s", err ? err : "");
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  /* The daemon first: it holds files on the mount. */
  if (fixture->room->daemon != NULL)
    cr_test_room_signal (fixture->room, SIGKILL, 10);
  if (fixture->mounted)
    {
      const char *argv[] = { "umount", fixture->room->storage_dir, NULL };
      g_autofree char *err = NULL;
      if (run_quiet (argv, &err) != 0)
        {
          const char *lazy[] = { "umount", "-l", fixture->room->storage_dir, NULL };
          g_test_message ("umount: %s; detaching it", err ? err : "");
          run_quiet (lazy, NULL);
        }
    }
  g_free (fixture->filler);
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

static gboolean
skip_unless_mounted (Fixture *fixture)
{
  if (fixture->mounted)
    return FALSE;
  g_test_skip ("cannot mount a tmpfs here (needs root)");
  return TRUE;
}

/* --- helpers --------------------------------------------------------------- */

static JsonObject *
status (CrTestRoom *room)
{
  g_autofree char *body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/status", room->token, NULL,
                                  &body), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The standing alarm of kind @what, or NULL. */
static JsonObject *
find_alarm (JsonObject *st, const char *what)
{
  JsonArray *alarms = json_object_get_array_member (st, "alarms");

  for (guint i = 0; i < json_array_get_length (alarms); i++)
    {
      JsonObject *alarm = json_array_get_object_element (alarms, i);
      if (g_strcmp0 (json_object_get_string_member (alarm, "alarm"), what) == 0)
        return alarm;
    }
  return NULL;
}

typedef struct {
  CrTestRoom *room;
  const char *what;
} AlarmWait;

static gboolean
alarm_standing (gpointer data)
{
  AlarmWait *wait = data;
  g_autoptr (JsonObject) st = status (wait->room);

  return find_alarm (st, wait->what) != NULL;
}

static CrSegmentIndex *
open_index (CrTestRoom *room)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  CrSegmentIndex *index = cr_segment_index_open (path, TRUE, &error);

  g_assert_no_error (error);
  return index;
}

static gboolean
has_event (CrTestRoom *room, gint64 session_id, const char *kind, const char *in_detail)
{
  g_autoptr (CrSegmentIndex) index = open_index (room);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = cr_segment_index_list_events (index, session_id, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      if (g_str_equal (event->kind_name, kind) &&
          (in_detail == NULL || (event->detail && strstr (event->detail, in_detail))))
        return TRUE;
    }
  return FALSE;
}

static char *
sha256sum (const char *path)
{
  const char *argv[] = { "sha256sum", path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strndup (out, 64);
}

static guint64
free_bytes (const char *dir)
{
  struct statvfs fs;

  g_assert_cmpint (statvfs (dir, &fs), ==, 0);
  return (guint64) fs.f_bavail * fs.f_frsize;
}

typedef struct {
  CrTestRoom *room;
  gint64 session_id;
  GString *problems;          /* why it is not (yet) consistent */
} Consistency;

/* Every segment file has a closed row, and every row its file, with the
 * file's real size and hash. */
static gboolean
index_matches_files (gpointer data)
{
  Consistency *check = data;
  g_autoptr (GPtrArray) rows = cr_test_segments (check->room, check->session_id);
  g_autofree char *recordings = g_build_filename (check->room->storage_dir,
                                                  "recordings", NULL);
  g_autoptr (GPtrArray) files = cr_test_find_files (recordings, ".mkv");
  g_autoptr (GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);

  g_string_truncate (check->problems, 0);
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (check->room->storage_dir, row->path, NULL);
      GStatBuf st;

      g_hash_table_add (by_path, row->path);
      if (!row->closed)
        {
          g_string_append_printf (check->problems, "%s: row not closed\n", row->path);
          continue;
        }
      if (g_stat (path, &st) != 0)
        {
          g_string_append_printf (check->problems, "%s: no file\n", row->path);
          continue;
        }
      if (st.st_size != row->bytes)
        g_string_append_printf (check->problems, "%s: %" G_GINT64_FORMAT " bytes, the "
                                "row says %" G_GINT64_FORMAT "\n", row->path,
                                (gint64) st.st_size, row->bytes);
      else
        {
          g_autofree char *sha = sha256sum (path);
          if (g_strcmp0 (sha, row->sha256) != 0)
            g_string_append_printf (check->problems, "%s: sha256 %s, the row says %s\n",
                                    row->path, sha, row->sha256);
        }
    }
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      const char *relative = path + strlen (check->room->storage_dir) + 1;
      if (!g_hash_table_contains (by_path, relative))
        g_string_append_printf (check->problems, "%s: no row\n", relative);
    }
  return check->problems->len == 0 && rows->len > 0;
}

static void
assert_index_matches_files (CrTestRoom *room, gint64 session_id)
{
  Consistency check = { room, session_id, g_string_new (NULL) };

  if (!cr_test_wait_until (index_matches_files, &check, 15000))
    g_error ("the index does not match the files:\n%s", check.problems->str);
  g_string_free (check.problems, TRUE);
}

static void
assert_every_file_decodes (CrTestRoom *room)
{
  g_autofree char *recordings = g_build_filename (room->storage_dir, "recordings", NULL);
  g_autoptr (GPtrArray) files = cr_test_find_files (recordings, ".mkv");

  g_assert_cmpuint (files->len, >, 0);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *errors = NULL;
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, FALSE);

      if (probe == NULL)
        {
          const char *argv[] = { "ffprobe", "-v", "error", path, NULL };
          struct stat st = { 0 };

          g_stat (path, &st);
          cr_test_run (NULL, &errors, argv);
          g_error ("%s (%" G_GINT64_FORMAT " bytes) does not probe: %s", path,
                   (gint64) st.st_size, errors);
        }
      if (!cr_test_ffmpeg_decodes (path, &errors))
        g_error ("%s does not decode: %s", path, errors);
    }
}

static guint
count_files (CrTestRoom *room)
{
  g_autofree char *recordings = g_build_filename (room->storage_dir, "recordings", NULL);
  g_autoptr (GPtrArray) files = cr_test_find_files (recordings, ".mkv");

  return files->len;
}

/* Takes all of the disk's room but @leave bytes. */
static void
fill_disk (Fixture *fixture, guint64 leave)
{
  guint64 available = free_bytes (fixture->room->storage_dir);
  int fd, err;

  g_assert_cmpuint (available, >, leave);
  fixture->filler = g_build_filename (fixture->room->storage_dir, "filler", NULL);
  fd = g_open (fixture->filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  err = posix_fallocate (fd, 0, available - leave);
  g_assert_cmpint (err, ==, 0);
  close (fd);
}

typedef struct {
  CrTestRoom *room;
  GPtrArray *known;           /* relative paths seen before */
  char *path;                 /* the new segment's, once there is one */
} NewSegmentWait;

static gboolean
new_segment_open (gpointer data)
{
  NewSegmentWait *wait = data;
  g_autoptr (JsonObject) st = status (wait->room);
  JsonNode *node = json_object_get_member (st, "segment");
  const char *path;

  if (JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  path = json_object_get_string_member (json_node_get_object (node), "path");
  for (guint i = 0; i < wait->known->len; i++)
    if (g_str_has_suffix (path, g_ptr_array_index (wait->known, i)))
      return FALSE;
  g_free (wait->path);
  wait->path = g_strdup (path);
  return TRUE;
}


/* --- cases ----------------------------------------------------------------- */

static void
test_start_refused (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) st = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GError) error = NULL;

  if (skip_unless_mounted (fixture))
    return;
  cr_test_room_start (room);

  g_assert_cmpint (cr_test_client (room, &out, &err, "start", "--case", CASE_NO, NULL),
                   ==, 1);
  /* Says why, how much is free, how long that lasts, and where. */
  g_assert_nonnull (strstr (err, "almost full"));
  g_assert_nonnull (strstr (err, " free on "));
  g_assert_nonnull (strstr (err, room->storage_dir));
  g_assert_nonnull (strstr (err, "of recording"));
  g_assert_nonnull (strstr (err, "10 min"));

  st = status (room);
  g_assert_cmpstr (json_object_get_string_member (st, "state"), ==, "standby");
  g_assert_true (json_node_is_null (json_object_get_member (st, "session")));
  g_assert_nonnull (find_alarm (st, "disk-low"));

  index = open_index (room);
  sessions = cr_segment_index_list_sessions (index, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sessions->len, ==, 0);
}

static void
test_low_alarm (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autoptr (JsonObject) st = NULL;
  JsonObject *alarm, *disk;

  if (skip_unless_mounted (fixture))
    return;
  cr_test_room_start (room);

  st = status (room);
  alarm = find_alarm (st, "disk-low");
  g_assert_nonnull (alarm);
  g_assert_cmpstr (json_object_get_string_member (alarm, "input"), ==, "disk");
  g_assert_nonnull (strstr (json_object_get_string_member (alarm, "message"),
                            room->storage_dir));
  disk = json_object_get_object_member (st, "disk");
  g_assert_nonnull (disk);
  g_assert_cmpint (json_object_get_int_member (disk, "free_bytes"), >, 0);
  g_assert_cmpint (json_object_get_int_member (disk, "free_bytes"), <=, 32 * 1024 * 1024);
  g_assert_cmpint (json_object_get_int_member (disk, "seconds_left"), <, 2 * 3600);
  g_assert_cmpint (json_object_get_int_member (disk, "seconds_left"), >, 0);
  g_assert_false (json_object_get_boolean_member (disk, "full"));
}

static void
test_full (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room = fixture->room;
  g_autofree char *out = NULL;
  g_autoptr (JsonObject) st = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  AlarmWait full = { room, "disk-full" };
  NewSegmentWait resumed = { room, g_ptr_array_new_with_free_func (g_free), NULL };
  gint64 session_id;
  guint files_when_full;

  if (skip_unless_mounted (fixture))
    return;
  cr_test_room_start (room);

  g_assert_cmpint (cr_test_client (room, &out, NULL, "start", "--case", CASE_NO, NULL),
                   ==, 0);
  st = status (room);
  g_assert_cmpstr (json_object_get_string_member (st, "state"), ==, "recording");
  session_id = json_object_get_int_member (json_object_get_object_member (st, "session"),
                                           "id");
  g_clear_pointer (&st, json_object_unref);

  /* A few seconds of recording are left: the disk fills mid-segment. */
  g_usleep (2 * G_USEC_PER_SEC);
  fill_disk (fixture, 300 * 1000);
  g_assert_true (cr_test_wait_until (alarm_standing, &full, 30000));

  /* Alive, answering, still in the session, and saying why it is not
   * writing. */
  g_assert_nonnull (room->daemon);
  g_assert_nonnull (g_subprocess_get_identifier (room->daemon));
  st = status (room);
  g_assert_cmpstr (json_object_get_string_member (st, "state"), ==, "recording");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (st, "disk"),
                                                 "full"));
  g_assert_nonnull (find_alarm (st, "disk-full"));
  g_clear_pointer (&st, json_object_unref);

  /* Nothing recorded is lost: every file plays, and the index says what
   * is on the disk, byte for byte. */
  assert_index_matches_files (room, session_id);
  assert_every_file_decodes (room);
  g_assert_true (has_event (room, session_id, "alarm", "\"disk-full\""));

  /* No storm of files that fail at once, keyframe after keyframe. */
  files_when_full = count_files (room);
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_files (room), ==, files_when_full);

  /* Space returns: the same session goes on in a new file, the gap is
   * logged. */
  rows = cr_test_segments (room, session_id);
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (resumed.known,
                     g_strdup (((CrSegmentRecord *) g_ptr_array_index (rows, i))->path));
  g_assert_cmpint (g_unlink (fixture->filler), ==, 0);
  g_assert_true (cr_test_wait_until (new_segment_open, &resumed, 15000));
  g_assert_nonnull (strstr (resumed.path, room->storage_dir));
  st = status (room);
  g_assert_null (find_alarm (st, "disk-full"));
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (st, "disk"),
                                                  "full"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (st, "session"),
                                               "id"), ==, session_id);
  g_assert_true (has_event (room, session_id, "gap", "disk was full"));
  g_assert_true (has_event (room, session_id, "recording-resumed", NULL));

  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "stop", NULL), ==, 0);
  {
    g_ptr_array_unref (cr_test_wait_closed (room, session_id, rows->len + 1));
  }
  assert_index_matches_files (room, session_id);
  assert_every_file_decodes (room);
  g_ptr_array_unref (resumed.known);
  g_free (resumed.path);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  /* Mounts made from here on live in a mount namespace of this process and
   * its children (the mount(8) runs, courtrecd): a failed assertion aborts
   * before the teardown could unmount, and the namespace goes with the
   * last of them. Without root this fails, and so does every mount. */
  if (unshare (CLONE_NEWNS) != 0 ||
      mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    g_test_message ("no mount namespace of its own: %s", g_strerror (errno));

  g_test_add ("/courtrec/disk/start-refused", Fixture, &tiny_fast,
              fixture_set_up, test_start_refused, fixture_tear_down);
  g_test_add ("/courtrec/disk/low-alarm", Fixture, &small,
              fixture_set_up, test_low_alarm, fixture_tear_down);
  g_test_add ("/courtrec/disk/full", Fixture, &small_slow,
              fixture_set_up, test_full, fixture_tear_down);
  return g_test_run ();
}
