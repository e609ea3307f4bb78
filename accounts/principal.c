/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* principal.c: see principal.h. */
#include "accounts/principal.h"

#include <string.h>

CrPrincipal *
cr_principal_new (const char *user, CrRole role, CrPrincipalVia via, const char *login)
{
  CrPrincipal *principal;

  g_return_val_if_fail (user != NULL && *user != '\0', NULL);

  principal = g_new0 (CrPrincipal, 1);
  principal->user = g_strdup (user);
  principal->role = role;
  principal->via = via;
  principal->login = g_strdup (login);
  return principal;
}

CrPrincipal *
cr_principal_copy (const CrPrincipal *principal)
{
  if (principal == NULL)
    return NULL;
  return cr_principal_new (principal->user, principal->role, principal->via, principal->login);
}

void
cr_principal_free (CrPrincipal *principal)
{
  if (principal == NULL)
    return;
  g_free (principal->user);
  if (principal->login != NULL)
    {
      explicit_bzero (principal->login, strlen (principal->login));
      g_free (principal->login);
    }
  g_free (principal);
}

const char *
cr_principal_actor (const CrPrincipal *principal)
{
  return principal != NULL ? principal->user : NULL;
}
