/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-login.h: the console's login, logout and whoami routes:
 *   POST /api/v1/login   {"user": NAME, "password": PASSWORD}: the login's
 *        cookie (HttpOnly, SameSite=Strict, Path=/) and {user, role, csrf};
 *        401 for a wrong name or password (the same answer for both, in
 *        the same time), 429 with Retry-After when slowed or locked
 *        (login-guard.h), 503 when too many logins are being checked;
 *   POST /api/v1/logout  ends the caller's login and clears the cookie;
 *   GET  /api/v1/whoami  {user, role, via, csrf}: csrf is the value a
 *        login's requests that change something send in X-CSRF-Token
 *        (null for a token, which needs none).
 * The password is checked on a worker thread (password-check.h): the
 * request waits, paused, and the main loop goes on. */
#pragma once

#include <glib.h>

#include "accounts/login-guard.h"
#include "recorder/api-server.h"

G_BEGIN_DECLS

typedef struct CrApiLogin CrApiLogin;

/* Answers the routes above on @server, whose auth has its accounts
 * (cr_api_auth_set_accounts). @guard's clock may be a test's: NULL for
 * the real one. (transfer full) */
CrApiLogin *cr_api_login_new (CrApiServer *server, gint64 (*clock_us) (void));
void cr_api_login_free (CrApiLogin *login);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrApiLogin, cr_api_login_free)

G_END_DECLS
