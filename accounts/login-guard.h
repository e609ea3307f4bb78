/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* login-guard.h: what holds password guessing back, per account and per
 * client address, each on its own:
 *   - from the 5th failure within 15 minutes, the next attempt waits 1 s
 *     after the last failure, then 2, 4, 8, 16 s;
 *   - the 10th failure within 15 minutes locks for 15 minutes;
 *   - one attempt at a time per account and CR_LOGIN_GUARD_PER_CLIENT per
 *     address, so that attempts sent in parallel cannot slip past the
 *     count while the first ones are being checked.
 * An attempt refused here is answered 429 with Retry-After and costs no
 * Argon2id. A success clears its account's failures (not its address's:
 * one good password must not buy another thousand guesses at the
 * others). Every failure and every lock is logged with the name given and
 * the address, never the password. Memory is bounded: at most
 * CR_LOGIN_GUARD_MAX records; the oldest one that holds nothing back
 * goes first, and beyond that a new name or address is refused as if
 * locked. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct CrLoginGuard CrLoginGuard;

#define CR_LOGIN_GUARD_SLOW_AFTER 5
#define CR_LOGIN_GUARD_LOCK_AFTER 10
#define CR_LOGIN_GUARD_WINDOW_SECONDS (15 * 60)
#define CR_LOGIN_GUARD_LOCK_SECONDS (15 * 60)
#define CR_LOGIN_GUARD_PER_CLIENT 4
#define CR_LOGIN_GUARD_MAX 4096

typedef enum {
  CR_LOGIN_GUARD_GO,       /* check the password now */
  CR_LOGIN_GUARD_WAIT,     /* slowed: try again in *retry_seconds */
  CR_LOGIN_GUARD_BUSY,     /* an attempt for the same account or address is being checked */
  CR_LOGIN_GUARD_LOCKED,   /* locked: for *retry_seconds more */
} CrLoginGuardVerdict;

/* @clock_us: the time in µs the guard runs on (monotonic); NULL for
 * g_get_monotonic_time(). Tests pass their own. (transfer full) */
CrLoginGuard *cr_login_guard_new (gint64 (*clock_us) (void));
void cr_login_guard_free (CrLoginGuard *guard);

/* Whether an attempt by @client for @user may be checked now. On
 * CR_LOGIN_GUARD_GO it counts as in flight until cr_login_guard_done(). */
CrLoginGuardVerdict cr_login_guard_admit (CrLoginGuard *guard, const char *user,
                                          const char *client, guint *retry_seconds);

/* The end of an admitted attempt: failed or not. Logs a failure, and a
 * lock when this failure sets one. */
void cr_login_guard_done (CrLoginGuard *guard, const char *user, const char *client,
                          gboolean succeeded);

/* The end of an admitted attempt that was never checked (the checker was
 * full): neither a failure nor a success. */
void cr_login_guard_release (CrLoginGuard *guard, const char *user, const char *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrLoginGuard, cr_login_guard_free)

G_END_DECLS
