/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bagit.c: see bagit.h. */
#include "archive/bagit.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "archive/digest.h"
#include "archive/storage-dir.h"

/* A bag is the court's: its directories and files are never open to other
 * users, whatever the umask (the payload's writers, libav among them,
 * create files 0666 less the umask; cr_bagit_finish() closes them too). */
#define BAG_DIR_MODE 0750
#define BAG_FILE_MODE 0640
/* How many times a build directory is made again when an interrupted
 * export's cleaner took it in the instant before it was locked. */
#define BUILD_DIR_TRIES 3

struct CrBagit {
  char *path;           /* the final path, canonical */
  char *build_dir;      /* the hidden directory it is built in */
  char *payload_dir;    /* build_dir/data */
  GPtrArray *info;      /* "Label: value" lines of bag-info.txt */
  int lock_fd;          /* build_dir, flock()ed while it is being built */
  guint partials_removed;
  gboolean finished;    /* renamed: nothing to remove */
};

static gboolean
set_errno_error (GError **error, int errnum, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errnum),
               "Could not %s '%s': %s", what, path, g_strerror (errnum));
  return FALSE;
}

/* Best effort: only ever called on the bag's own hidden build directory,
 * whose every entry this module made; symbolic links are not followed. */
static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static gboolean
sync_path (const char *path, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    return set_errno_error (error, errno, "open", path);
  if (fsync (fd) != 0)
    {
      int errnum = errno;
      close (fd);
      return set_errno_error (error, errnum, "sync", path);
    }
  close (fd);
  return TRUE;
}

static gboolean
write_file_synced (const char *path, const char *contents, GError **error)
{
  gsize length = strlen (contents);
  gsize done = 0;
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, BAG_FILE_MODE);

  if (fd < 0)
    return set_errno_error (error, errno, "create", path);
  while (done < length)
    {
      ssize_t n = write (fd, contents + done, length - done);
      if (n < 0)
        {
          int errnum = errno;
          if (errnum == EINTR)
            continue;
          close (fd);
          return set_errno_error (error, errnum, "write", path);
        }
      done += n;
    }
  if (fsync (fd) != 0)
    {
      int errnum = errno;
      close (fd);
      return set_errno_error (error, errnum, "sync", path);
    }
  if (close (fd) != 0)
    return set_errno_error (error, errno, "write", path);
  return TRUE;
}

/* ".NAME.partial-XXXXXX", as g_mkdtemp() fills it in. */
static gboolean
is_partial_name (const char *name)
{
  const char *mark = g_strrstr (name, ".partial-");

  if (name[0] != '.' || mark == NULL || mark == name)
    return FALSE;
  mark += strlen (".partial-");
  if (strlen (mark) != 6)
    return FALSE;
  for (; *mark != '\0'; mark++)
    if (!g_ascii_isalnum (*mark))
      return FALSE;
  return TRUE;
}

/* Removes the build directories an interrupted export (killed, its machine
 * stopped) left in @parent, copies of recordings nobody would ever find
 * and delete: each hidden .NAME.partial-XXXXXX directory of this user that
 * no build holds. A build holds its own locked (flock) from the moment it
 * is made until it is renamed or removed, and the lock goes with the
 * process, so one that is unlocked is nobody's. */
static guint
remove_partials (const char *parent)
{
  g_autoptr (GDir) dir = g_dir_open (parent, 0, NULL);
  const char *name;
  guint removed = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      GStatBuf st;
      int fd;

      if (!is_partial_name (name))
        continue;
      path = g_build_filename (parent, name, NULL);
      if (g_lstat (path, &st) != 0 || !S_ISDIR (st.st_mode) || st.st_uid != geteuid ())
        continue;
      fd = g_open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
      if (fd < 0)
        continue;
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        {
          remove_tree (path);
          removed += g_file_test (path, G_FILE_TEST_EXISTS) ? 0 : 1;
        }
      close (fd);
    }
  return removed;
}

/* Makes the hidden build directory beside @bag->path and locks it (see
 * remove_partials). */
static gboolean
make_build_dir (CrBagit *bag, const char *parent, const char *name, GError **error)
{
  for (guint tries = 0; tries < BUILD_DIR_TRIES; tries++)
    {
      /* Beside the final path, so that the last rename stays on one file
       * system and is atomic; hidden, so that it never looks like a bag. */
      g_autofree char *template = g_strdup_printf ("%s/.%s.partial-XXXXXX", parent, name);
      struct stat st;
      int fd;

      if (g_mkdtemp_full (template, BAG_DIR_MODE) == NULL)
        return set_errno_error (error, errno, "create a directory beside", bag->path);
      fd = g_open (template, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
      if (fd < 0)
        {
          int errnum = errno;
          g_rmdir (template);
          if (errnum == ENOENT)
            continue;
          return set_errno_error (error, errnum, "open", template);
        }
      /* Blocking: a cleaner that took it first lets go once it is gone. */
      if (flock (fd, LOCK_EX) != 0 || fstat (fd, &st) != 0 || st.st_nlink == 0)
        {
          close (fd);
          continue;
        }
      bag->lock_fd = fd;
      bag->build_dir = g_steal_pointer (&template);
      return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "Could not keep a directory beside '%s' to build the package in: "
               "another export removed it each time", bag->path);
  return FALSE;
}

CrBagit *
cr_bagit_new (const char *path, GError **error)
{
  g_autoptr (CrBagit) bag = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *name = NULL;
  GStatBuf st;

  g_return_val_if_fail (path != NULL && *path != '\0', NULL);

  bag = g_new0 (CrBagit, 1);
  bag->lock_fd = -1;
  bag->info = g_ptr_array_new_with_free_func (g_free);
  /* Canonical, so that "out/" has the parent and the name of "out". */
  bag->path = g_canonicalize_filename (path, NULL);

  if (g_stat (bag->path, &st) == 0)
    {
      g_autoptr (GDir) dir = NULL;

      if (!S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "'%s' exists and is not a directory", path);
          return NULL;
        }
      dir = g_dir_open (bag->path, 0, error);
      if (dir == NULL)
        return NULL;
      if (g_dir_read_name (dir) != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY,
                       "'%s' is not empty: a package is only written to a new "
                       "or an empty directory", path);
          return NULL;
        }
    }
  else if (errno != ENOENT)
    {
      set_errno_error (error, errno, "look at", path);
      return NULL;
    }

  parent = g_path_get_dirname (bag->path);
  name = g_path_get_basename (bag->path);
  if (g_mkdir_with_parents (parent, BAG_DIR_MODE) != 0)
    {
      set_errno_error (error, errno, "create", parent);
      return NULL;
    }
  bag->partials_removed = remove_partials (parent);
  if (!make_build_dir (bag, parent, name, error))
    return NULL;
  bag->payload_dir = g_build_filename (bag->build_dir, "data", NULL);
  if (g_mkdir (bag->payload_dir, BAG_DIR_MODE) != 0)
    {
      set_errno_error (error, errno, "create", bag->payload_dir);
      return NULL;
    }
  return g_steal_pointer (&bag);
}

void
cr_bagit_free (CrBagit *bag)
{
  if (bag == NULL)
    return;
  if (!bag->finished && bag->build_dir != NULL)
    remove_tree (bag->build_dir);
  if (bag->lock_fd >= 0)
    close (bag->lock_fd);
  g_free (bag->path);
  g_free (bag->build_dir);
  g_free (bag->payload_dir);
  g_ptr_array_unref (bag->info);
  g_free (bag);
}

guint
cr_bagit_get_partials_removed (CrBagit *bag)
{
  g_return_val_if_fail (bag != NULL, 0);
  return bag->partials_removed;
}

const char *
cr_bagit_get_payload_dir (CrBagit *bag)
{
  g_return_val_if_fail (bag != NULL && !bag->finished, NULL);
  return bag->payload_dir;
}

void
cr_bagit_add_info (CrBagit *bag, const char *label, const char *value)
{
  g_autofree char *line = NULL;

  g_return_if_fail (bag != NULL && label != NULL && value != NULL);
  /* RFC 8493 2.2.2: one line per element (long ones may be folded, short
   * ones need not be); a line break inside a value would start a bogus
   * element. */
  line = g_strdup_printf ("%s: %s", label, value);
  for (char *p = line; *p != '\0'; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  g_ptr_array_add (bag->info, g_steal_pointer (&line));
}

/* Every file and directory below @dir, as paths relative to the bag
 * ("data/..."); directories in @dirs (absolute) so they can be synced. */
static gboolean
list_payload (const char *dir, const char *relative, GPtrArray *files,
              GPtrArray *dirs, GError **error)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, error);
  const char *name;

  if (listing == NULL)
    return FALSE;
  g_ptr_array_add (dirs, g_strdup (dir));
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *child = g_strdup_printf ("%s/%s", relative, name);
      GStatBuf st;

      if (g_lstat (path, &st) != 0)
        return set_errno_error (error, errno, "look at", path);
      /* Whatever wrote it, and with whatever umask. */
      if ((S_ISDIR (st.st_mode) || S_ISREG (st.st_mode)) &&
          cr_storage_private_mode (st.st_mode) != (st.st_mode & 07777) &&
          g_chmod (path, cr_storage_private_mode (st.st_mode)) != 0)
        return set_errno_error (error, errno, "change the mode of", path);
      if (S_ISDIR (st.st_mode))
        {
          if (!list_payload (path, child, files, dirs, error))
            return FALSE;
        }
      else if (S_ISREG (st.st_mode))
        g_ptr_array_add (files, g_steal_pointer (&child));
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                       "'%s' is not a regular file: a bag's payload holds only files",
                       path);
          return FALSE;
        }
    }
  return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* RFC 8493 2.1.3: in a manifest, CR, LF and '%' in a path are
 * percent-encoded, so that every line names exactly one file. */
static void
append_manifest_line (GString *manifest, const char *digest, const char *relative)
{
  g_string_append_printf (manifest, "%s  ", digest);
  for (const char *p = relative; *p != '\0'; p++)
    {
      if (*p == '%')
        g_string_append (manifest, "%25");
      else if (*p == '\n')
        g_string_append (manifest, "%0A");
      else if (*p == '\r')
        g_string_append (manifest, "%0D");
      else
        g_string_append_c (manifest, *p);
    }
  g_string_append_c (manifest, '\n');
}

static gboolean
hash_into_manifest (const char *root, GPtrArray *relatives, gboolean sync,
                    GString *manifest, gint64 *total, GError **error)
{
  for (guint i = 0; i < relatives->len; i++)
    {
      const char *relative = g_ptr_array_index (relatives, i);
      g_autofree char *path = g_build_filename (root, relative, NULL);
      gint64 bytes = 0;
      g_autofree char *digest = cr_digest_file_sha256 (path, &bytes, error);

      if (digest == NULL)
        return FALSE;
      /* Synced here, while it is likely still in the page cache: the rename
       * must never reach the disk before the data it vouches for. */
      if (sync && !sync_path (path, error))
        return FALSE;
      append_manifest_line (manifest, digest, relative);
      if (total != NULL)
        *total += bytes;
    }
  return TRUE;
}

gboolean
cr_bagit_finish (CrBagit *bag, gint64 *payload_bytes, guint *payload_files,
                 GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) tag_files = g_ptr_array_new ();
  g_autoptr (GString) manifest = g_string_new (NULL);
  g_autoptr (GString) tag_manifest = g_string_new (NULL);
  g_autoptr (GString) info = g_string_new (NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *parent = NULL;
  gint64 total = 0;

  g_return_val_if_fail (bag != NULL && !bag->finished, FALSE);

  if (!list_payload (bag->payload_dir, "data", files, dirs, error))
    return FALSE;
  g_ptr_array_sort (files, compare_strings);
  if (!hash_into_manifest (bag->build_dir, files, TRUE, manifest, &total, error))
    return FALSE;

  for (guint i = 0; i < bag->info->len; i++)
    g_string_append_printf (info, "%s\n", (const char *) g_ptr_array_index (bag->info, i));
  g_string_append_printf (info, "Bagging-Date: %s\n", today);
  g_string_append_printf (info, "Payload-Oxum: %" G_GINT64_FORMAT ".%u\n", total,
                          files->len);

  {
    g_autofree char *bagit_txt = g_build_filename (bag->build_dir, "bagit.txt", NULL);
    g_autofree char *info_txt = g_build_filename (bag->build_dir, "bag-info.txt", NULL);
    g_autofree char *manifest_txt = g_build_filename (bag->build_dir,
                                                      "manifest-sha256.txt", NULL);
    g_autofree char *tag_manifest_txt = g_build_filename (bag->build_dir,
                                                          "tagmanifest-sha256.txt", NULL);

    if (!write_file_synced (bagit_txt,
                            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
                            error) ||
        !write_file_synced (info_txt, info->str, error) ||
        !write_file_synced (manifest_txt, manifest->str, error))
      return FALSE;
    /* The tag manifest covers every tag file but itself. */
    g_ptr_array_add (tag_files, "bag-info.txt");
    g_ptr_array_add (tag_files, "bagit.txt");
    g_ptr_array_add (tag_files, "manifest-sha256.txt");
    if (!hash_into_manifest (bag->build_dir, tag_files, FALSE, tag_manifest, NULL, error) ||
        !write_file_synced (tag_manifest_txt, tag_manifest->str, error))
      return FALSE;
  }

  /* New directory entries are durable only once their directory is
   * synced; the deepest first, the bag's own directory last. */
  for (guint i = dirs->len; i > 0; i--)
    if (!sync_path (g_ptr_array_index (dirs, i - 1), error))
      return FALSE;
  if (!sync_path (bag->build_dir, error))
    return FALSE;

  /* rename(2) replaces an empty directory at the final path atomically;
   * one that was filled meanwhile makes it fail (ENOTEMPTY or EEXIST). */
  if (g_rename (bag->build_dir, bag->path) != 0)
    {
      int errnum = errno;
      if (errnum == ENOTEMPTY || errnum == EEXIST)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY,
                       "'%s' is not empty: a package is only written to a new "
                       "or an empty directory", bag->path);
          return FALSE;
        }
      return set_errno_error (error, errnum, "rename the finished bag to", bag->path);
    }
  bag->finished = TRUE;
  parent = g_path_get_dirname (bag->path);
  if (!sync_path (parent, error))
    return FALSE;

  if (payload_bytes != NULL)
    *payload_bytes = total;
  if (payload_files != NULL)
    *payload_files = files->len;
  return TRUE;
}
