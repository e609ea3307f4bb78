/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-dir.c: cr_storage_dir_prepare() leaves the storage
 * directory and the index closed to other users, whatever the umask and
 * whatever modes they were given before; SQLite's WAL and SHM take the
 * index's mode; what is not its to change is refused, saying why. */
#include <errno.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive/segment-index.h"
#include "archive/storage-dir.h"

typedef struct {
  char *dir;         /* fresh, removed at the end */
  char *storage;     /* dir/storage, not made yet */
  char *index;       /* storage/index.db */
  mode_t umask;      /* the test's, restored */
} Fixture;

static void
set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("courtrec-storage-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->storage = g_build_filename (fixture->dir, "storage", NULL);
  fixture->index = g_build_filename (fixture->storage, "index.db", NULL);
  fixture->umask = umask (022);
}

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  g_autofree char *quoted = g_shell_quote (fixture->dir);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  umask (fixture->umask);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (fixture->dir);
  g_free (fixture->storage);
  g_free (fixture->index);
}

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static void
touch (const char *path, guint mode)
{
  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

/* Nothing there yet, under umask 0 and under 077: the directory is 0750 and
 * the index 0640 exactly (the group, courtrec's operators, reads it), and
 * SQLite, opening it, makes its WAL and SHM 0640 too. */
static void
test_fresh (Fixture *fixture, gconstpointer data)
{
  const mode_t masks[] = { 0, 077 };

  for (gsize m = 0; m < G_N_ELEMENTS (masks); m++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CrSegmentIndex) index = NULL;
      g_autofree char *wal = g_strconcat (fixture->index, "-wal", NULL);
      g_autofree char *shm = g_strconcat (fixture->index, "-shm", NULL);
      g_autofree char *quoted = g_shell_quote (fixture->storage);
      g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

      g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
      umask (masks[m]);
      g_assert_true (cr_storage_dir_prepare (fixture->storage, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (mode_of (fixture->storage), ==, 0750);
      g_assert_cmpuint (mode_of (fixture->index), ==, 0640);

      index = cr_segment_index_open (fixture->index, FALSE, &error);
      g_assert_no_error (error);
      if (masks[m] == 0)
        {
          g_assert_cmpuint (mode_of (wal), ==, 0640);
          g_assert_cmpuint (mode_of (shm), ==, 0640);
        }
      else
        {
          /* The umask may take more, never give others anything. */
          g_assert_cmpuint (mode_of (wal) & 0007, ==, 0);
          g_assert_cmpuint (mode_of (shm) & 0007, ==, 0);
        }
    }
}

/* Made before by someone else's mkdir and an earlier courtrecd under umask
 * 022 or 0: closed to others, a stricter 0700 and 0600 kept as they are. */
static void
test_existing (Fixture *fixture, gconstpointer data)
{
  static const struct { guint dir, file, dir_after, file_after; } cases[] = {
    { 0755, 0644, 0750, 0640 },
    { 0777, 0666, 0750, 0640 },
    { 0775, 0664, 0750, 0640 },
    { 0700, 0600, 0700, 0600 },
    { 02775, 0644, 02750, 0640 },
  };
  const char *suffixes[] = { "", "-wal", "-shm" };

  g_assert_cmpint (g_mkdir (fixture->storage, 0700), ==, 0);
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *other = g_build_filename (fixture->storage, "recordings", NULL);

      g_test_message ("directory %04o, files %04o", cases[c].dir, cases[c].file);
      g_assert_cmpint (g_chmod (fixture->storage, cases[c].dir), ==, 0);
      for (gsize s = 0; s < G_N_ELEMENTS (suffixes); s++)
        {
          g_autofree char *path = g_strconcat (fixture->index, suffixes[s], NULL);
          touch (path, cases[c].file);
        }
      g_assert_true (cr_storage_dir_prepare (fixture->storage, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (mode_of (fixture->storage), ==, cases[c].dir_after);
      for (gsize s = 0; s < G_N_ELEMENTS (suffixes); s++)
        {
          g_autofree char *path = g_strconcat (fixture->index, suffixes[s], NULL);
          g_assert_cmpuint (mode_of (path), ==, cases[c].file_after);
        }
      g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
    }
}

/* An index that is not a file is an error naming it. */
static void
test_index_not_a_file (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fixture->index, 0700), ==, 0);
  g_assert_false (cr_storage_dir_prepare (fixture->storage, &error));
  g_assert_error (error, CR_STORAGE_ERROR, CR_STORAGE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, fixture->index));
}

/* Open to others and someone else's: refused with the mode, the owner and
 * what to make it, nothing changed, no index made. As the user nobody, in
 * a child process. */
static void
test_not_ours (Fixture *fixture, gconstpointer data)
{
  struct passwd *nobody = getpwnam ("nobody");
  g_autoptr (GString) message = g_string_new (NULL);
  char buffer[512];
  ssize_t n;
  int fds[2];
  int status;
  pid_t child;

  if (geteuid () != 0 || nobody == NULL)
    {
      g_test_skip ("needs root to act as the user nobody");
      return;
    }
  g_assert_cmpint (g_chmod (fixture->dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (fixture->storage, 0755), ==, 0);
  g_assert_cmpint (g_chmod (fixture->storage, 0755), ==, 0);
  g_assert_cmpint (pipe (fds), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      GError *error = NULL;
      gboolean refused;

      close (fds[0]);
      if (setgid (nobody->pw_gid) != 0 || setuid (nobody->pw_uid) != 0)
        _exit (3);
      refused = !cr_storage_dir_prepare (fixture->storage, &error) &&
                g_error_matches (error, CR_STORAGE_ERROR, CR_STORAGE_ERROR_NOT_PRIVATE);
      if (error != NULL && write (fds[1], error->message, strlen (error->message)) < 0)
        _exit (4);
      _exit (refused ? 0 : 1);
    }
  close (fds[1]);
  while ((n = read (fds[0], buffer, sizeof buffer)) > 0)
    g_string_append_len (message, buffer, n);
  close (fds[0]);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_test_message ("%s", message->str);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_true (g_pattern_match_simple (
      "The storage directory '*storage' is mode 0755, open to others, and not nobody's "
      "to change (owner root: *); make it 0750", message->str));
  g_assert_cmpuint (mode_of (fixture->storage), ==, 0755);
  g_assert_false (g_file_test (fixture->index, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/courtrec/archive/storage-dir/" path, Fixture, NULL, set_up, func, tear_down)
  ADD ("fresh", test_fresh);
  ADD ("existing", test_existing);
  ADD ("index-not-a-file", test_index_not_a_file);
  ADD ("not-ours", test_not_ours);
#undef ADD

  return g_test_run ();
}
