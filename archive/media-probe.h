/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* media-probe.h: what a segment file holds, read with libavformat (the
 * same library ffprobe uses), for reconciling the index with the disk after
 * a crash: a file cut short by a power failure has no duration in its
 * header, so the packets themselves are read. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_MEDIA_ERROR (cr_media_error_quark ())
GQuark cr_media_error_quark (void);

typedef enum {
  CR_MEDIA_ERROR_OPEN,      /* libavformat cannot open or parse it */
} CrMediaError;

/* Reads every packet of @path and returns the span they cover, from the
 * earliest start to the latest end, in microseconds. */
gboolean cr_media_probe_duration (const char *path, gint64 *duration_us,
                                  GError **error);

G_END_DECLS
