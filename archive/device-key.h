/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* device-key.h: the recorder's Ed25519 signing key (libsodium), which seals
 * each session by signing its chain head (chain.h).
 *
 * The secret key file holds one line: the 64-byte libsodium secret key
 * (seed, then public key) as 128 lowercase hex digits. It is made at first
 * use with mode 0600 and refused when anyone but its owner may read it. The
 * public key is written beside it, in PATH.pub (64 hex digits, mode 0644),
 * and is also stored with every seal in the index, so that verification
 * needs only the public key. A signature is 64 bytes, written as 128 hex
 * digits; what is signed is the 64 hex characters of the chain head. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_DEVICE_KEY_ERROR (cr_device_key_error_quark ())
GQuark cr_device_key_error_quark (void);

typedef enum {
  CR_DEVICE_KEY_ERROR_IO,        /* the file could not be read or written */
  CR_DEVICE_KEY_ERROR_NOT_FOUND, /* no key file, and not asked to make one */
  CR_DEVICE_KEY_ERROR_INVALID,   /* malformed, or readable by others */
  CR_DEVICE_KEY_ERROR_FAILED,    /* libsodium could not start */
} CrDeviceKeyError;

typedef struct CrDeviceKey CrDeviceKey;

/* Loads the secret key at @path; with @create, a missing key is made (and
 * its directory, mode 0700). Two processes making it at once end up with
 * the same key. The secret is wiped from memory when freed. (transfer full) */
CrDeviceKey *cr_device_key_load (const char *path, gboolean create,
                                 GError **error);
void cr_device_key_free (CrDeviceKey *key);

/* Whether courtrecd could sign with the key at @path, changing nothing:
 * TRUE when it is there and usable, or missing (@missing set) where it can
 * be made. Else FALSE with an error that names the path and what is wrong:
 * a directory or other non-file, open to others (its mode), malformed,
 * unreadable, or missing where it cannot be made. */
gboolean cr_device_key_check (const char *path, gboolean *missing, GError **error);

/* 64 lowercase hex digits. */
const char *cr_device_key_get_public_hex (const CrDeviceKey *key);

/* The detached signature of @message. (transfer full) 128 hex digits */
char *cr_device_key_sign (const CrDeviceKey *key, const char *message);

/* TRUE when @signature_hex is @public_hex's valid signature of @message;
 * FALSE for a bad signature and for malformed input. */
gboolean cr_device_key_verify (const char *public_hex, const char *message,
                               const char *signature_hex);

/* The same over raw bytes, for a file signed as it is (a copy's manifest,
 * copy-manifest.h): the bare 64-byte signature, the form `openssl pkeyutl
 * -verify -rawin` checks. */
void cr_device_key_sign_bytes (const CrDeviceKey *key, const guint8 *data, gsize length,
                               guint8 signature[64]);
/* TRUE when @signature (64 bytes) is @public_hex's valid signature of
 * @data; FALSE for a bad signature and a malformed key. */
gboolean cr_device_key_verify_bytes (const char *public_hex, const guint8 *data,
                                     gsize length, const guint8 signature[64]);

/* The public key in @path's ".pub" file, or NULL (with an error) when it is
 * missing or malformed. (transfer full) 64 hex digits */
char *cr_device_key_read_public (const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrDeviceKey, cr_device_key_free)

G_END_DECLS
