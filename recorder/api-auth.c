/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-auth.c: see api-auth.h. */
#include "recorder/api-auth.h"

#include <string.h>

#include "recorder/api-request.h"

struct CrApiAuth {
  char *room_token;   /* a secret: never logged, wiped on free */
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
  g_free (auth);
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

CrPrincipal *
cr_api_auth_resolve (CrApiAuth *auth, const char *method, SoupMessageHeaders *headers,
                     GError **error)
{
  char *given;

  g_return_val_if_fail (auth != NULL && method != NULL && headers != NULL, NULL);

  given = bearer_token (headers);
  if (given != NULL && cr_api_token_matches (auth->room_token, given))
    {
      wipe_free (given);
      return cr_principal_new (CR_PRINCIPAL_ROOM_TOKEN_ACTOR, CR_ROLE_ADMIN,
                               CR_PRINCIPAL_ROOM_TOKEN, NULL);
    }
  wipe_free (given);
  g_set_error_literal (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_UNAUTHORIZED,
                       "A valid API token is required: send \"Authorization: Bearer "
                       "TOKEN\" with the token from the room's token file or an "
                       "account's token (courtrec user token NAME), or log in");
  return NULL;
}
