/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-dir.h: the storage directory kept the court's.
 *
 * The recordings and the index name the cases and the parties of hearings
 * that are not all public (SPC rules, Art. 15): nobody on the machine but
 * the daemon's user and its group may read them, whatever the umask the
 * daemon was started with and whatever mode a directory made beforehand
 * (by hand, by a package) was given.
 *
 * cr_storage_dir_prepare() is called where the daemon sets its storage up,
 * before the index is opened:
 *   - the directory is created 0750 if need be (exactly: the group, the
 *     court's operators, reads the archive); an existing one loses
 *     every permission for others and the group's write (0755 becomes
 *     0750; a stricter 0700 stays). A directory that is not the daemon's to
 *     change is refused, with its mode, its owner and what to do;
 *   - index.db is created 0640 before SQLite opens it (SQLite gives its
 *     -wal and -shm the mode of the database file), and an existing
 *     index.db, index.db-wal or index.db-shm loses the permissions of
 *     others the same way.
 * Segment files need nothing of their own: no one else can enter the
 * directory they are in. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_STORAGE_ERROR (cr_storage_error_quark ())
GQuark cr_storage_error_quark (void);

typedef enum {
  CR_STORAGE_ERROR_FAILED,       /* a system call failed (created, opened, changed) */
  CR_STORAGE_ERROR_NOT_PRIVATE,  /* others may read it, and it is not ours to change */
} CrStorageError;

/* The index's file name in the storage directory. */
#define CR_STORAGE_INDEX_NAME "index.db"

/* Creates @storage_dir or closes it to others, and does the same for the
 * index and its WAL and SHM files (see above). */
gboolean cr_storage_dir_prepare (const char *storage_dir, GError **error);

/* @mode (st_mode's permission bits) without what others and the group's
 * write allow: what cr_storage_dir_prepare() leaves a directory (0755 ->
 * 0750) or a file (0644 -> 0640; it keeps 0600). */
guint cr_storage_private_mode (guint mode);

G_END_DECLS
