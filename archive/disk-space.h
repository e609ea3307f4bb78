/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk-space.h: how much room the storage disk has, and how long recording
 * still fits in it.
 *
 * The estimate is from the configured bit rates, not from what the encoders
 * happen to produce: it must hold before the first byte of a hearing is
 * written. The reserve is a small file of allocated blocks kept on the
 * storage disk; deleted at ENOSPC, it gives the index (SQLite) room to close
 * the rows of what was written while the disk is otherwise full. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_DISK_ERROR (cr_disk_error_quark ())
GQuark cr_disk_error_quark (void);

typedef enum {
  CR_DISK_ERROR_FAILED,     /* statvfs(2), fallocate(2) or unlink(2) said no */
  CR_DISK_ERROR_NO_SPACE,   /* the reserve could not be allocated */
} CrDiskError;

/* Bytes per second of recording: the video and the mixed sound at their
 * configured rates, plus a track per microphone when @each_microphone
 * (64 kbit/s of Opus, or about 700 kbit/s of FLAC when @flac), plus 3% for
 * the container. */
double cr_disk_space_bytes_per_second (guint video_bitrate_kbps,
                                       guint audio_bitrate_kbps,
                                       guint n_microphones,
                                       gboolean each_microphone,
                                       gboolean flac);

/* Bytes available to courtrecd under @dir (f_bavail * f_frsize). */
gboolean cr_disk_space_free_bytes (const char *dir, guint64 *free_bytes,
                                   GError **error);

/* Whole seconds of recording that @free_bytes hold at @bytes_per_second. */
gint64 cr_disk_space_seconds_left (guint64 free_bytes, double bytes_per_second);

/* "1.4 GB", "512 kB": decimal units, as disks are sold. (transfer full) */
char *cr_disk_space_format_bytes (guint64 bytes);
/* "3 h 12 min", "7 min 30 s", "12 s". (transfer full) */
char *cr_disk_space_format_seconds (gint64 seconds);

/* Makes @path a file of @bytes allocated blocks (fallocate(2)); one that is
 * already there at that size is kept. CR_DISK_ERROR_NO_SPACE when the disk
 * has not that much room (nothing is left behind then). */
gboolean cr_disk_space_make_reserve (const char *path, guint64 bytes,
                                     GError **error);
/* Deletes the reserve at @path; FALSE without error when there was none. */
gboolean cr_disk_space_drop_reserve (const char *path, GError **error);

G_END_DECLS
