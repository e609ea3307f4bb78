/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-dir.c: see storage-dir.h.
 *
 * Modes are set with fchmod, not left to the mode given to mkdir or open:
 * those only ever lose bits to the umask, and a umask of 0 or 002 (a
 * desktop session, a shell's profile) would otherwise decide. */
#include "archive/storage-dir.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (cr-storage-error-quark, cr_storage_error)

#define DIR_MODE 0750
#define FILE_MODE 0640

/* The index and the files SQLite keeps beside it. */
static const char *const index_files[] = {
  CR_STORAGE_INDEX_NAME, CR_STORAGE_INDEX_NAME "-wal", CR_STORAGE_INDEX_NAME "-shm",
};

guint
cr_storage_private_mode (guint mode)
{
  return mode & 07777 & ~(guint) (S_IRWXO | S_IWGRP);
}

/* "root", or "uid 1234" when it has no name. (transfer full) */
static char *
user_name (uid_t uid)
{
  struct passwd *entry = getpwuid (uid);

  if (entry != NULL && entry->pw_name != NULL)
    return g_strdup (entry->pw_name);
  return g_strdup_printf ("uid %u", (guint) uid);
}

static gboolean
set_errno_error (GError **error, int errnum, const char *what, const char *path)
{
  g_set_error (error, CR_STORAGE_ERROR, CR_STORAGE_ERROR_FAILED,
               "Could not %s '%s': %s", what, path, g_strerror (errnum));
  return FALSE;
}

/* Takes the others' permissions (and the group's write) from @path, whose
 * stat is @st: @name in @dir_fd, or @dir_fd itself when @name is NULL.
 * Refuses, saying why and what to do, when it is not ours to change. */
static gboolean
close_to_others (int dir_fd, const char *name, const char *path, const GStatBuf *st,
                 const char *what, GError **error)
{
  guint wanted = cr_storage_private_mode (st->st_mode);
  int rc;

  if ((st->st_mode & 07777) == wanted)
    return TRUE;
  rc = name != NULL ? fchmodat (dir_fd, name, wanted, 0) : fchmod (dir_fd, wanted);
  if (rc == 0)
    {
      g_message ("%s '%s' was mode %04o: made %04o, closed to other users", what, path,
                 (guint) (st->st_mode & 07777), wanted);
      return TRUE;
    }
  if (errno == EPERM || errno == EACCES || errno == EROFS)
    {
      int errnum = errno;
      g_autofree char *owner = user_name (st->st_uid);
      g_autofree char *self = user_name (geteuid ());

      /* Short: courtrecd shows a message of 200 characters at most. */
      g_set_error (error, CR_STORAGE_ERROR, CR_STORAGE_ERROR_NOT_PRIVATE,
                   "%s '%s' is mode %04o, open to others, and not %s's to change "
                   "(owner %s: %s); make it %04o", what, path,
                   (guint) (st->st_mode & 07777), self, owner, g_strerror (errnum), wanted);
      return FALSE;
    }
  return set_errno_error (error, errno, "change the mode of", path);
}

/* index.db made FILE_MODE before SQLite first opens it, so that the file,
 * and the -wal and -shm SQLite makes from its mode, never exist open to
 * others. */
static gboolean
create_index (int dir_fd, const char *path, GError **error)
{
  int fd = openat (dir_fd, CR_STORAGE_INDEX_NAME,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);

  if (fd < 0)
    {
      if (errno == EEXIST)
        return TRUE;
      return set_errno_error (error, errno, "create", path);
    }
  /* The umask may have taken the group's read: the group (the court's
   * operators) reads the index with courtrec. */
  if (fchmod (fd, FILE_MODE) != 0)
    {
      int errnum = errno;
      close (fd);
      unlinkat (dir_fd, CR_STORAGE_INDEX_NAME, 0);
      return set_errno_error (error, errnum, "change the mode of", path);
    }
  if (close (fd) != 0)
    return set_errno_error (error, errno, "create", path);
  return TRUE;
}

gboolean
cr_storage_dir_prepare (const char *storage_dir, GError **error)
{
  GStatBuf st;
  int dir_fd;
  gboolean created;
  gboolean ok = TRUE;

  g_return_val_if_fail (storage_dir != NULL && *storage_dir != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  created = g_stat (storage_dir, &st) != 0 && errno == ENOENT;
  if (g_mkdir_with_parents (storage_dir, DIR_MODE) != 0)
    return set_errno_error (error, errno, "create the storage directory", storage_dir);
  dir_fd = g_open (storage_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd < 0)
    return set_errno_error (error, errno, "open the storage directory", storage_dir);
  /* One made here is DIR_MODE exactly, for the group (the court's
   * operators) to read; one made before keeps a stricter mode it was given. */
  if (created && fchmod (dir_fd, DIR_MODE) != 0)
    ok = set_errno_error (error, errno, "change the mode of", storage_dir);
  else if (fstat (dir_fd, &st) != 0)
    ok = set_errno_error (error, errno, "look at the storage directory", storage_dir);
  else
    ok = close_to_others (dir_fd, NULL, storage_dir, &st, "The storage directory", error);

  if (ok)
    {
      g_autofree char *index_path = g_build_filename (storage_dir, CR_STORAGE_INDEX_NAME,
                                                      NULL);
      ok = create_index (dir_fd, index_path, error);
    }
  for (gsize i = 0; ok && i < G_N_ELEMENTS (index_files); i++)
    {
      g_autofree char *path = g_build_filename (storage_dir, index_files[i], NULL);

      if (fstatat (dir_fd, index_files[i], &st, 0) != 0)
        {
          if (errno != ENOENT)
            ok = set_errno_error (error, errno, "look at", path);
          continue;
        }
      if (!S_ISREG (st.st_mode))
        {
          g_set_error (error, CR_STORAGE_ERROR, CR_STORAGE_ERROR_FAILED,
                       "'%s' is not a regular file: the index must be one", path);
          ok = FALSE;
          continue;
        }
      ok = close_to_others (dir_fd, index_files[i], path, &st, "The index file", error);
    }
  close (dir_fd);
  return ok;
}
