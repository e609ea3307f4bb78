/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* digest.h: SHA-256 of a whole file (GChecksum), read in large chunks at
 * disk speed. Used when a segment closes, when the index is reconciled
 * after a crash, and by verification. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns the lowercase hex digest and the file's size in @bytes.
 * (transfer full) */
char *cr_digest_file_sha256 (const char *path, gint64 *bytes, GError **error);

G_END_DECLS
