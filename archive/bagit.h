/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bagit.h: a BagIt bag (RFC 8493, BagIt-Version 1.0) with SHA-256
 * manifests, the form in which the court's electronic archive, or any
 * BagIt tool, takes a package and checks it.
 *
 * The bag is built in a hidden directory beside its final place
 * (".NAME.partial-XXXXXX") and renamed there by cr_bagit_finish() only once
 * every file is written, hashed and synced: a bag found at its final path
 * is always complete. A bag freed before it is finished is removed; what
 * an interrupted build left (a killed export) is removed by the next bag
 * made in the same directory.
 *
 * A bag is closed to other users whatever the umask: its directories are
 * 0750, its files 0640 (cr_bagit_finish() takes the others' permissions
 * from every payload file, whoever wrote it).
 *
 * File system errors are reported in the G_IO_ERROR domain, converted from
 * errno where they happen. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct CrBagit CrBagit;

/* Starts a bag that will be @path. @path must not exist, or be an empty
 * directory (else G_IO_ERROR_NOT_EMPTY, or G_IO_ERROR_EXISTS when it is not
 * a directory); its parent is created as needed. (transfer full) */
CrBagit *cr_bagit_new (const char *path, GError **error);
void cr_bagit_free (CrBagit *bag);

/* How many build directories of interrupted bags (hidden
 * .NAME.partial-XXXXXX directories of this user that no running build
 * holds) cr_bagit_new() found beside @path and removed. */
guint cr_bagit_get_partials_removed (CrBagit *bag);

/* The payload directory ("data/") while the bag is being built: write the
 * payload files under it. Valid until cr_bagit_finish() or free. */
const char *cr_bagit_get_payload_dir (CrBagit *bag);

/* Adds a "LABEL: VALUE" line to bag-info.txt, in the order given. Line
 * breaks in @value are folded to spaces. Bagging-Date and Payload-Oxum are
 * added by cr_bagit_finish(). */
void cr_bagit_add_info (CrBagit *bag, const char *label, const char *value);

/* Hashes every payload file (archive/digest.h), writes bagit.txt,
 * bag-info.txt, manifest-sha256.txt and tagmanifest-sha256.txt, syncs the
 * whole bag to disk and renames it to its final path. @payload_bytes and
 * @payload_files (may be NULL) get the Payload-Oxum. */
gboolean cr_bagit_finish (CrBagit *bag, gint64 *payload_bytes,
                          guint *payload_files, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBagit, cr_bagit_free)

G_END_DECLS
