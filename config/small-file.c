/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* small-file.c: see small-file.h. */
#include "config/small-file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/text.h"

static const char *
kind_of (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a regular file";
}

gboolean
cr_small_file_read (const char *path, const char *what, gsize max_bytes, char **contents,
                    gsize *length, GError **error)
{
  g_autofree char *buffer = NULL;
  struct stat st;
  gsize done = 0;
  int fd;

  g_return_val_if_fail (path != NULL && what != NULL && contents != NULL, FALSE);

  /* Judged by its path first: opening some devices does something
   * (a watchdog starts), and no device is ever ours to read. */
  if (stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s '%s' is %s: expected a regular file", what, cr_text_shown (path),
                   kind_of (st.st_mode));
      return FALSE;
    }
  /* O_NONBLOCK: a FIFO put in its place since must not wait for a writer;
   * the descriptor is judged again below. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot open %s '%s': %s", what, cr_text_shown (path),
                   g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0)
    st.st_mode = 0;
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s '%s' is %s: expected a regular file", what, cr_text_shown (path),
                   kind_of (st.st_mode));
      close (fd);
      return FALSE;
    }
  if ((guint64) st.st_size > max_bytes)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s '%s' is too large: %" G_GUINT64_FORMAT " bytes, at most %"
                   G_GSIZE_FORMAT, what, cr_text_shown (path), (guint64) st.st_size,
                   max_bytes);
      close (fd);
      return FALSE;
    }
  /* Read up to one byte past the limit: a file that grew since fstat is
   * still held to it. */
  buffer = g_malloc (max_bytes + 2);
  while (done <= max_bytes)
    {
      ssize_t n = read (fd, buffer + done, max_bytes + 1 - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "Cannot read %s '%s': %s", what, cr_text_shown (path),
                       g_strerror (saved_errno));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      done += (gsize) n;
    }
  close (fd);
  if (done > max_bytes)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s '%s' is too large: more than %" G_GSIZE_FORMAT " bytes", what,
                   cr_text_shown (path), max_bytes);
      return FALSE;
    }
  buffer[done] = '\0';
  if (length != NULL)
    *length = done;
  *contents = g_steal_pointer (&buffer);
  return TRUE;
}
