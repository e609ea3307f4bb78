/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-auth.c: see api-auth.h. */
#include "recorder/api-auth.h"

#include <string.h>

#include "recorder/api-request.h"

struct CrApiAuth {
  char *room_token;   /* a secret: never logged, wiped on free */
  CrUsers *users;     /* NULL: the room's token only */
  CrLogins *logins;
  char *cookie_name;
};

CrApiAuth *
cr_api_auth_new (const char *room_token)
{
  CrApiAuth *auth;

  g_return_val_if_fail (room_token != NULL && *room_token != '\0', NULL);

  auth = g_new0 (CrApiAuth, 1);
  auth->room_token = g_strdup (room_token);
  return auth;
}

void
cr_api_auth_free (CrApiAuth *auth)
{
  if (auth == NULL)
    return;
  explicit_bzero (auth->room_token, strlen (auth->room_token));
  g_free (auth->room_token);
  cr_users_free (auth->users);
  cr_logins_free (auth->logins);
  g_free (auth->cookie_name);
  g_free (auth);
}

void
cr_api_auth_set_accounts (CrApiAuth *auth, CrUsers *users, CrLogins *logins,
                          const char *room_id)
{
  g_return_if_fail (auth != NULL && users != NULL && logins != NULL && room_id != NULL);

  cr_users_free (auth->users);
  cr_logins_free (auth->logins);
  g_free (auth->cookie_name);
  auth->users = users;
  auth->logins = logins;
  auth->cookie_name = g_strconcat (CR_API_AUTH_COOKIE_PREFIX, room_id, NULL);
}

CrUsers *
cr_api_auth_get_users (CrApiAuth *auth)
{
  g_return_val_if_fail (auth != NULL, NULL);
  return auth->users;
}

CrLogins *
cr_api_auth_get_logins (CrApiAuth *auth)
{
  g_return_val_if_fail (auth != NULL, NULL);
  return auth->logins;
}

const char *
cr_api_auth_get_cookie_name (CrApiAuth *auth)
{
  g_return_val_if_fail (auth != NULL, NULL);
  return auth->cookie_name;
}

char *
cr_api_auth_login_key (CrApiAuth *auth, SoupMessageHeaders *headers)
{
  const char *cookies;
  GHashTable *pairs;
  char *key = NULL;

  g_return_val_if_fail (auth != NULL && headers != NULL, NULL);

  cookies = soup_message_headers_get_list (headers, "Cookie");
  if (auth->cookie_name == NULL || cookies == NULL)
    return NULL;
  /* "a=1; b=2" (RFC 6265, 5.4). */
  pairs = soup_header_parse_semi_param_list (cookies);
  key = g_strdup (g_hash_table_lookup (pairs, auth->cookie_name));
  soup_header_free_param_list (pairs);
  if (key != NULL && *key == '\0')
    g_clear_pointer (&key, g_free);
  return key;
}

/* The bearer token of @headers, or NULL when there is none. The scheme is
 * case-insensitive (RFC 9110, 11.1). (transfer full) */
static char *
bearer_token (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Authorization");

  if (value == NULL || g_ascii_strncasecmp (value, "Bearer ", 7) != 0)
    return NULL;
  return g_strstrip (g_strdup (value + 7));
}

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static void
unauthorized (GError **error, const char *why)
{
  g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_UNAUTHORIZED, "%s", why);
}

/* A bearer token: the room's, or an account's in force. */
static CrPrincipal *
from_token (CrApiAuth *auth, const char *given, GError **error)
{
  g_autoptr (CrUser) user = NULL;

  if (cr_api_token_matches (auth->room_token, given))
    return cr_principal_new (CR_PRINCIPAL_ROOM_TOKEN_ACTOR, CR_ROLE_ADMIN,
                             CR_PRINCIPAL_ROOM_TOKEN, NULL);
  if (auth->users != NULL)
    user = cr_users_find_token (auth->users, given, NULL);
  if (user == NULL)
    {
      unauthorized (error, "This API token is not the room's nor an account's in force");
      return NULL;
    }
  if (user->disabled || user->role == CR_ROLE_ANYONE)
    {
      unauthorized (error, "The account of this API token is disabled");
      return NULL;
    }
  return cr_principal_new (user->name, user->role, CR_PRINCIPAL_USER_TOKEN, NULL);
}

static gboolean
changes_something (const char *method)
{
  return !g_str_equal (method, "GET") && !g_str_equal (method, "HEAD");
}

/* The console's cookie: a login that holds, of an account that is still
 * as it was when it logged in. */
static CrPrincipal *
from_login (CrApiAuth *auth, const char *method, SoupMessageHeaders *headers, char *key,
            GError **error)
{
  g_autoptr (CrUser) user = NULL;
  const char *name, *csrf = NULL, *given_csrf;
  gint64 opened_us = 0;

  name = cr_logins_lookup (auth->logins, key, &csrf, &opened_us);
  if (name == NULL)
    {
      unauthorized (error, "The login has expired or was ended: log in again");
      return NULL;
    }
  user = cr_users_get (auth->users, name, NULL, NULL);
  if (user == NULL || user->disabled || user->role == CR_ROLE_ANYONE ||
      user->changed_us > opened_us)
    {
      /* Disabled, or its password or role changed since: the login ends. */
      cr_logins_close (auth->logins, key);
      unauthorized (error, "The account changed since this login: log in again");
      return NULL;
    }
  given_csrf = soup_message_headers_get_one (headers, CR_API_AUTH_CSRF_HEADER);
  if (changes_something (method) &&
      (given_csrf == NULL || !cr_api_token_matches (csrf, given_csrf)))
    {
      g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_FORBIDDEN,
                   "A request made with the login's cookie must send its \"%s\" header "
                   "(GET /api/v1/whoami gives it)", CR_API_AUTH_CSRF_HEADER);
      return NULL;
    }
  return cr_principal_new (user->name, user->role, CR_PRINCIPAL_LOGIN, key);
}

CrPrincipal *
cr_api_auth_resolve (CrApiAuth *auth, const char *method, SoupMessageHeaders *headers,
                     GError **error)
{
  char *given;

  g_return_val_if_fail (auth != NULL && method != NULL && headers != NULL, NULL);

  /* A bearer token decides alone: one that does not hold is not made good
   * by a cookie beside it. */
  given = bearer_token (headers);
  if (given != NULL)
    {
      CrPrincipal *principal = from_token (auth, given, error);
      wipe_free (given);
      return principal;
    }
  if (auth->logins != NULL)
    {
      given = cr_api_auth_login_key (auth, headers);
      if (given != NULL)
        {
          CrPrincipal *principal = from_login (auth, method, headers, given, error);
          wipe_free (given);
          return principal;
        }
    }
  g_set_error_literal (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_UNAUTHORIZED,
                       "A valid API token is required: send \"Authorization: Bearer "
                       "TOKEN\" with the token from the room's token file or an "
                       "account's token (courtrec user token NAME), or log in");
  return NULL;
}
