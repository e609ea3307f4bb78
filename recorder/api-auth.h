/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-auth.h: who a control request comes from, decided from its headers
 * alone (before any of its body is read), as a principal (principal.h):
 *   1. "Authorization: Bearer TOKEN" with the room's token (its token
 *      file): the room's admin, so that existing installs keep working;
 *   2. "Authorization: Bearer TOKEN" with an account's API token
 *      (`courtrec user token NAME`): that account, with its role;
 *   3. the console login's cookie (POST /api/v1/login): that account; a
 *      request that changes anything (any method but GET and HEAD) must
 *      also carry the login's "X-CSRF-Token" header (GET /api/v1/whoami
 *      tells it), or it is refused (403). A bearer token needs none: a
 *      browser never sends one by itself.
 * A disabled account, a revoked token, a login that expired or that the
 * server does not know are all 401, like no credentials at all. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "accounts/logins.h"
#include "accounts/principal.h"
#include "accounts/users.h"

G_BEGIN_DECLS

typedef struct CrApiAuth CrApiAuth;

/* The console login's cookie is CR_API_AUTH_COOKIE_PREFIX and the room's
 * id: a browser sends a host's cookies to every port of it, and the rooms
 * of a machine are ports of one host. */
#define CR_API_AUTH_COOKIE_PREFIX "courtrec_login_"
#define CR_API_AUTH_CSRF_HEADER "X-CSRF-Token"

/* With the room's @room_token (copied; a secret, wiped on free).
 * (transfer full) */
CrApiAuth *cr_api_auth_new (const char *room_token);
void cr_api_auth_free (CrApiAuth *auth);

/* Lets @auth know the machine's accounts (@users, read-only) and the
 * room's console logins: both owned by @auth from here on. @room_id names
 * the cookie. */
void cr_api_auth_set_accounts (CrApiAuth *auth, CrUsers *users, CrLogins *logins,
                               const char *room_id);
/* (transfer none; NULL before cr_api_auth_set_accounts) */
CrUsers *cr_api_auth_get_users (CrApiAuth *auth);
CrLogins *cr_api_auth_get_logins (CrApiAuth *auth);
/* The cookie's name for this room. (transfer none) */
const char *cr_api_auth_get_cookie_name (CrApiAuth *auth);
/* The value of this room's login cookie in @headers, or NULL.
 * (transfer full) */
char *cr_api_auth_login_key (CrApiAuth *auth, SoupMessageHeaders *headers);

/* The principal the headers prove, or NULL with a CR_API_REQUEST_ERROR:
 * UNAUTHORIZED (no credentials, or none that hold) or FORBIDDEN (a
 * login's cookie on a request that changes something, without its CSRF
 * header). @method decides whether the CSRF header is needed.
 * (transfer full) */
CrPrincipal *cr_api_auth_resolve (CrApiAuth *auth, const char *method,
                                  SoupMessageHeaders *headers, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrApiAuth, cr_api_auth_free)

G_END_DECLS
