/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* small-file.h: reading a config, a token or a key without trusting what
 * the path leads to. g_file_get_contents() reads a FIFO until a writer
 * comes (forever) and /dev/zero until memory runs out; these files are
 * small and regular, so anything else is refused before a byte is read. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads @path, which must be a regular file (links are followed) of at most
 * @max_bytes, into @contents (NUL-terminated; its length in @length, which
 * may be NULL). Errors are G_FILE_ERROR (G_FILE_ERROR_NOENT for a missing
 * file, G_FILE_ERROR_INVAL for a FIFO, a device, a directory or a file too
 * large) with a message that names @what and the path. */
gboolean cr_small_file_read (const char *path, const char *what, gsize max_bytes,
                             char **contents, gsize *length, GError **error);

G_END_DECLS
