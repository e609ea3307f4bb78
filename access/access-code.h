/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-code.h: the secrets of litigant access. An access code is 130
 * random bits (randombytes), shown once as 26 characters of Crockford
 * base32 in dashed groups ("7K3Q-M9TX-..."); what a party types is read
 * case- and dash-insensitive (O as 0, I and L as 1). Codes and identity
 * numbers are kept only as keyed BLAKE2b hashes (crypto_generichash) under
 * the room's access key, STORAGE/access-key: 32 random bytes, 0600, made
 * on first use. Without the key a stolen index gives neither codes nor
 * identity numbers, not even by trying every 18-digit number. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_ACCESS_CODE_CHARS 26
#define CR_ACCESS_KEY_BYTES 32

typedef struct CrAccessKey CrAccessKey;

/* Reads STORAGE/access-key, or makes it (0600) when missing. A file of
 * another size or readable by others is an error naming it. (transfer full) */
CrAccessKey *cr_access_key_load (const char *storage_dir, GError **error);
void cr_access_key_free (CrAccessKey *key);

/* A new code, dashed for display. (transfer full) */
char *cr_access_code_new (void);
/* @typed in its canonical form (26 upper-case base32 characters), or
 * NULL when it cannot be a code. (transfer full) */
char *cr_access_code_normalize (const char *typed);
/* The stored hash (hex) of a code as typed; NULL when it cannot be one. */
char *cr_access_code_hash (const CrAccessKey *key, const char *typed);

/* An identity number as compared: upper case, without spaces or dashes;
 * NULL when it is not 4 to 40 letters and digits. (transfer full) */
char *cr_access_identity_normalize (const char *typed);
/* The keyed hash (hex) of a whole identity number, and of its last 4
 * characters (the second factor); NULL when it is not one. */
char *cr_access_identity_hash (const CrAccessKey *key, const char *identity);
char *cr_access_identity_suffix_hash (const CrAccessKey *key, const char *suffix);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAccessKey, cr_access_key_free)

G_END_DECLS
