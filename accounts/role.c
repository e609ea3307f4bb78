/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* role.c: see role.h. */
#include "accounts/role.h"

static const char *const names[] = {
  [CR_ROLE_ANYONE] = "anyone",
  [CR_ROLE_VIEWER] = "viewer",
  [CR_ROLE_CLERK] = "clerk",
  [CR_ROLE_APPROVER] = "approver",
  [CR_ROLE_ADMIN] = "admin",
};

const char *
cr_role_name (CrRole role)
{
  g_return_val_if_fail ((guint) role < G_N_ELEMENTS (names), "unknown");
  return names[role];
}

gboolean
cr_role_parse (const char *name, CrRole *role)
{
  g_return_val_if_fail (role != NULL, FALSE);

  if (name == NULL)
    return FALSE;
  for (guint i = CR_ROLE_VIEWER; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (names[i], name))
      {
        *role = (CrRole) i;
        return TRUE;
      }
  return FALSE;
}
