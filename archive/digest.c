/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* digest.c: see digest.h. */
#include "archive/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <unistd.h>

#define CHUNK (1 << 20)

char *
cr_digest_file_sha256 (const char *path, gint64 *bytes, GError **error)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *chunk = g_malloc (CHUNK);
  gint64 total = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      int errnum = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errnum),
                   "Could not read '%s': %s", path, g_strerror (errnum));
      return NULL;
    }
  /* One pass, front to back: tell the kernel so it reads ahead. */
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;)
    {
      ssize_t n = read (fd, chunk, CHUNK);
      if (n == 0)
        break;
      if (n < 0)
        {
          int errnum = errno;
          if (errnum == EINTR)
            continue;
          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errnum),
                       "Could not read '%s': %s", path, g_strerror (errnum));
          return NULL;
        }
      g_checksum_update (checksum, chunk, n);
      total += n;
    }
  close (fd);
  if (bytes != NULL)
    *bytes = total;
  return g_strdup (g_checksum_get_string (checksum));
}
