/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* password.h: account passwords, hashed with libsodium's Argon2id
 * (crypto_pwhash_str at the INTERACTIVE limits: about 0.1 s and 64 MB a
 * hash), in the self-describing "$argon2id$v=19$m=...,t=...,p=...$salt$hash"
 * form, so that limits raised later still verify the old hashes.
 *
 * Both calls are slow on purpose: the daemon runs them on a worker thread
 * (password-check.h), never on the main loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The bounds a password is held to where it is set: long enough to resist
 * guessing at the lock's pace, short enough to be typed, and free of
 * control characters (the API refuses them in every field). */
#define CR_PASSWORD_MIN_CHARS 8
#define CR_PASSWORD_MAX_CHARS 1024

/* Whether @password may be set, with an error (CR_USERS_ERROR_INVALID)
 * that says why not; the password itself is never in the message. */
gboolean cr_password_check (const char *password, GError **error);

/* The Argon2id string for @password, or NULL with an error when libsodium
 * cannot have the memory. (transfer full) */
char *cr_password_hash (const char *password, GError **error);

/* Whether @password is the one @hash was made of. A NULL @hash (an account
 * that does not exist, or has no password) is checked against a hash made
 * once at random, so that an unknown name costs the same time as a known
 * one, and never matches. */
gboolean cr_password_verify (const char *hash, const char *password);

G_END_DECLS
