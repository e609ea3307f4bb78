/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* logins.h: the console's logins to one room, in the daemon's memory (a
 * restart logs everyone out, which a clerk notices at once and fixes by
 * logging in again).
 *
 * A login is known by its key, 256 random bits sent to the browser as an
 * HttpOnly cookie and kept here only as its SHA-256, and has a CSRF token
 * of its own that the console sends back in a header with every request
 * that changes something. It ends when it is idle for @idle_seconds, when
 * it is @max_seconds old, at logout, or when its account changes (a new
 * password, role or the disabled flag: users.h's changed_us). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct CrLogins CrLogins;

/* At most this many logins at once: the oldest goes first. A court's
 * room has a handful of people. */
#define CR_LOGINS_MAX 256

/* (transfer full) */
CrLogins *cr_logins_new (guint idle_seconds, guint max_seconds);
void cr_logins_free (CrLogins *logins);

/* A login for @user: its key (the cookie's value) and, in @csrf, its CSRF
 * token. (transfer full) */
char *cr_logins_open (CrLogins *logins, const char *user, char **csrf);

/* The login of @key, if it holds: its user, its CSRF token and when it
 * was made (UTC, µs), and it is touched (its idle time starts again).
 * NULL for a key that is unknown, expired or logged out. (transfer none:
 * valid until the next call) */
const char *cr_logins_lookup (CrLogins *logins, const char *key, const char **csrf,
                              gint64 *opened_us);

/* Ends the login of @key; FALSE when there was none. */
gboolean cr_logins_close (CrLogins *logins, const char *key);

/* How many logins hold now, for status and tests. */
guint cr_logins_count (CrLogins *logins);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrLogins, cr_logins_free)

G_END_DECLS
