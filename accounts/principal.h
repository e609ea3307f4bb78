/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* principal.h: who made a request, as the API's admission check found
 * them: an account's name and role, and how they proved it. Every
 * admitted request carries one (api-server.h), and what a person causes is
 * recorded under cr_principal_actor(). */
#pragma once

#include <glib.h>

#include "accounts/role.h"

G_BEGIN_DECLS

typedef enum {
  CR_PRINCIPAL_ROOM_TOKEN,  /* the room's own token file: admin, for existing installs */
  CR_PRINCIPAL_USER_TOKEN,  /* an account's API token (scripts, Prometheus) */
  CR_PRINCIPAL_LOGIN,       /* a console login's cookie */
} CrPrincipalVia;

/* The actor recorded for the room's token: not a valid account name
 * (cr_users refuses it), so the ledger never confuses the two. */
#define CR_PRINCIPAL_ROOM_TOKEN_ACTOR "room-token"

typedef struct {
  char *user;         /* the account's name, or CR_PRINCIPAL_ROOM_TOKEN_ACTOR */
  CrRole role;
  CrPrincipalVia via;
  char *login;        /* CR_PRINCIPAL_LOGIN: the login's key (a secret), else NULL */
} CrPrincipal;

/* (transfer full) */
CrPrincipal *cr_principal_new (const char *user, CrRole role, CrPrincipalVia via,
                               const char *login);
CrPrincipal *cr_principal_copy (const CrPrincipal *principal);
void cr_principal_free (CrPrincipal *principal);

/* The name events and log lines record for what @principal caused; NULL
 * gives NULL (nobody: the recorder itself). */
const char *cr_principal_actor (const CrPrincipal *principal);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPrincipal, cr_principal_free)

G_END_DECLS
