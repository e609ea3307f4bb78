/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk-space.c: see disk-space.h. */
#include "archive/disk-space.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

G_DEFINE_QUARK (cr-disk-error-quark, cr_disk_error)

/* Per-microphone tracks: opusenc runs at 64 kbit/s; FLAC of a 48 kHz
 * microphone is about 700 kbit/s of speech. */
#define OPUS_TRACK_KBPS 64
#define FLAC_TRACK_KBPS 700
#define CONTAINER_OVERHEAD 1.03

double
cr_disk_space_bytes_per_second (guint video_bitrate_kbps, guint audio_bitrate_kbps,
                                guint n_microphones, gboolean each_microphone,
                                gboolean flac)
{
  double kbps = (double) video_bitrate_kbps + audio_bitrate_kbps;

  if (each_microphone)
    kbps += (double) n_microphones * (flac ? FLAC_TRACK_KBPS : OPUS_TRACK_KBPS);
  return kbps * 1000.0 / 8.0 * CONTAINER_OVERHEAD;
}

gboolean
cr_disk_space_free_bytes (const char *dir, guint64 *free_bytes, GError **error)
{
  struct statvfs fs;

  if (statvfs (dir, &fs) != 0)
    {
      int errnum = errno;
      g_set_error (error, CR_DISK_ERROR, CR_DISK_ERROR_FAILED,
                   "Could not read the free space of '%s': %s", dir,
                   g_strerror (errnum));
      return FALSE;
    }
  *free_bytes = (guint64) fs.f_bavail * fs.f_frsize;
  return TRUE;
}

gint64
cr_disk_space_seconds_left (guint64 free_bytes, double bytes_per_second)
{
  if (bytes_per_second <= 0)
    return G_MAXINT64;
  return (gint64) (free_bytes / bytes_per_second);
}

char *
cr_disk_space_format_bytes (guint64 bytes)
{
  static const char *const units[] = { "bytes", "kB", "MB", "GB", "TB" };
  double value = bytes;
  guint unit = 0;

  while (value >= 1000 && unit + 1 < G_N_ELEMENTS (units))
    {
      value /= 1000;
      unit++;
    }
  if (unit == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
  return g_strdup_printf (value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
}

char *
cr_disk_space_format_seconds (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min",
                            seconds / 3600, seconds % 3600 / 60);
  if (seconds >= 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %" G_GINT64_FORMAT " s",
                            seconds / 60, seconds % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " s", seconds);
}

gboolean
cr_disk_space_make_reserve (const char *path, guint64 bytes, GError **error)
{
  GStatBuf st;
  int fd, errnum;

  /* Blocks, not a hole: st_blocks counts what is really allocated. */
  if (g_stat (path, &st) == 0 && (guint64) st.st_size == bytes &&
      (guint64) st.st_blocks * 512 >= bytes)
    return TRUE;
  fd = g_open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      errnum = errno;
      g_set_error (error, CR_DISK_ERROR, CR_DISK_ERROR_FAILED,
                   "Could not create the reserve '%s': %s", path, g_strerror (errnum));
      return FALSE;
    }
  errnum = posix_fallocate (fd, 0, bytes);
  if (errnum == 0 && ftruncate (fd, bytes) != 0)
    errnum = errno;
  close (fd);
  if (errnum != 0)
    {
      g_unlink (path);
      g_set_error (error, CR_DISK_ERROR,
                   errnum == ENOSPC || errnum == EDQUOT ? CR_DISK_ERROR_NO_SPACE
                                                        : CR_DISK_ERROR_FAILED,
                   "Could not allocate %" G_GUINT64_FORMAT " bytes for the reserve "
                   "'%s': %s", bytes, path, g_strerror (errnum));
      return FALSE;
    }
  return TRUE;
}

gboolean
cr_disk_space_drop_reserve (const char *path, GError **error)
{
  if (g_unlink (path) == 0)
    return TRUE;
  if (errno != ENOENT)
    {
      int errnum = errno;
      g_set_error (error, CR_DISK_ERROR, CR_DISK_ERROR_FAILED,
                   "Could not delete the reserve '%s': %s", path, g_strerror (errnum));
    }
  return FALSE;
}
