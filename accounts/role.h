/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* role.h: what a person may do with a room, in four ranks, each allowed
 * everything the ranks below it are:
 *   viewer    read only: status, the console, the metrics
 *   clerk     the hearing: start, pause, resume, stop, markers, layout,
 *             stream cut, resume, start and stop
 *   approver  broadcast approve and forbid
 *   admin     the accounts
 * A route that needs no one (the console's page, the login itself) needs
 * CR_ROLE_ANYONE. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_ROLE_ANYONE = 0,
  CR_ROLE_VIEWER,
  CR_ROLE_CLERK,
  CR_ROLE_APPROVER,
  CR_ROLE_ADMIN,
} CrRole;

/* "viewer", "clerk", "approver", "admin"; "anyone" for CR_ROLE_ANYONE. */
const char *cr_role_name (CrRole role);

/* A role from its name (exactly as cr_role_name() gives it; "anyone" is
 * not a role anyone is given). FALSE for anything else. */
gboolean cr_role_parse (const char *name, CrRole *role);

/* Whether @held is enough for a route that needs @needed. */
static inline gboolean
cr_role_allows (CrRole held, CrRole needed)
{
  return held >= needed;
}

G_END_DECLS
