/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* archive-secret.h: the object store's access key and secret, read like a
 * stream key: from a small regular file of its own, never from the config,
 * never logged. */
#pragma once

#include "config/config.h"

G_BEGIN_DECLS

/* Reads the one word in @path (surrounding white space stripped). An
 * unreadable or empty file, more than one word, or a file every user of
 * the machine may read (expected mode 0600 or 0640) is an error naming
 * @what (e.g. "[archive court] secret_key_file") and the file, never the
 * secret. (transfer full) */
char *cr_config_load_archive_secret (const char *path, const char *what, GError **error);

/* Both keys of @archive, its access_key_file and its
 * secret_key_file, each named in the error as "[archive NAME] KEY"; FALSE
 * with neither set when either cannot be read. (transfer full: wipe them
 * with explicit_bzero before freeing) */
gboolean cr_config_load_archive_keys (const CrArchiveConfig *archive, char **access_key,
                                      char **secret_key, GError **error);

G_END_DECLS
