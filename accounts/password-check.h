/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* password-check.h: Argon2id verifications off the main loop.
 *
 * A verification costs about 0.1 s of one core and 64 MB (password.h);
 * the recorder lives on the main loop, so each runs on a worker thread of
 * a pool of @threads, its answer delivered back on the main context of the
 * caller through a GTask. At most @threads run and @queue more wait; a
 * check beyond that is refused at once (the API answers 503), so that a
 * flood of logins costs at most @threads cores and @threads x 64 MB, and
 * never the recording's time. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct CrPasswordChecker CrPasswordChecker;

/* (transfer full) */
CrPasswordChecker *cr_password_checker_new (guint threads, guint queue);
/* Waits for the checks running now; their callbacks no longer run. */
void cr_password_checker_free (CrPasswordChecker *checker);

/* Starts checking @password (copied, wiped after) against @hash (NULL: an
 * unknown account, checked against a decoy all the same). FALSE, at once
 * and without calling @callback, when the queue is full. */
gboolean cr_password_checker_check (CrPasswordChecker *checker, const char *hash,
                                    const char *password, GAsyncReadyCallback callback,
                                    gpointer user_data);
/* Whether the password matched. */
gboolean cr_password_checker_finish (GAsyncResult *result);

/* Checks waiting or running now. */
guint cr_password_checker_pending (CrPasswordChecker *checker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPasswordChecker, cr_password_checker_free)

G_END_DECLS
