/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* users.h: the accounts of a machine, shared by all its rooms: one SQLite
 * file (`[api] users`, /var/lib/courtrec/users.db by default), mode 0640
 * and in the group of its directory, so that every room's daemon (the
 * user courtrec) reads it and only root and that user change it.
 *
 * An account has a name, a role (role.h), a password kept only as its
 * Argon2id hash (password.h), a disabled flag, and API tokens for scripts
 * and scrapers. A token is 256 random bits, shown once when it is issued
 * and kept only as its SHA-256: a token is not a password a person
 * chose, so one fast hash makes it as hard to find from the file as to
 * guess, and lets the daemon look it up on every request without an
 * Argon2id's cost. A token is revoked one by one or all at once.
 *
 * The daemons open the file read-only and on demand: one that starts
 * before the first `courtrec user add` has only the room's token, and
 * sees the accounts as soon as they are there, without a restart. Every
 * change (a password, a role, the disabled flag) is stamped, and a console
 * login made before it no longer holds. */
#pragma once

#include <glib.h>

#include "accounts/role.h"

G_BEGIN_DECLS

#define CR_USERS_ERROR (cr_users_error_quark ())
GQuark cr_users_error_quark (void);

typedef enum {
  CR_USERS_ERROR_INVALID,    /* a bad name, role or password: usage (exit 2) */
  CR_USERS_ERROR_EXISTS,     /* add: the name is taken */
  CR_USERS_ERROR_NOT_FOUND,  /* no such account, or token */
  CR_USERS_ERROR_FAILED,     /* the file: opened, read, written */
} CrUsersError;

/* Where the account names are bounded: the console and the ledger show
 * them, and log lines quote them. */
#define CR_USER_NAME_MAX_CHARS 64

typedef struct {
  char *name;
  CrRole role;
  gboolean disabled;
  gboolean has_password;
  gint64 changed_us;    /* UTC, µs: the last change of password, role or flag */
  char *created_at;     /* UTC, as the index writes times */
  guint tokens;         /* tokens in force */
} CrUser;

void cr_user_free (CrUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUser, cr_user_free)

typedef struct CrUsers CrUsers;

/* The store at @path. With @writable (the CLI) the file is created if
 * need be, with its directory's group and mode 0640; without (the daemon)
 * nothing is opened until it is needed, and a file that is not there is a
 * store without accounts. (transfer full) */
CrUsers *cr_users_open (const char *path, gboolean writable, GError **error);
void cr_users_free (CrUsers *users);
const char *cr_users_get_path (CrUsers *users);

/* Whether @name may be an account's: 1 to CR_USER_NAME_MAX_CHARS letters
 * (of any script), digits, '.', '_' and '-', not starting with '-' or '.',
 * and not the name the room's token acts under. */
gboolean cr_user_name_check (const char *name, GError **error);

gboolean cr_users_add (CrUsers *users, const char *name, CrRole role, const char *password,
                       GError **error);
gboolean cr_users_set_password (CrUsers *users, const char *name, const char *password,
                                GError **error);
gboolean cr_users_set_role (CrUsers *users, const char *name, CrRole role, GError **error);
gboolean cr_users_set_disabled (CrUsers *users, const char *name, gboolean disabled,
                                GError **error);

/* Every account, by name. (transfer full) (element-type CrUser) */
GPtrArray *cr_users_list (CrUsers *users, GError **error);

/* The account @name, or NULL: with CR_USERS_ERROR_NOT_FOUND when there is
 * none. With @password_hash, its Argon2id hash too (NULL when it has
 * none). (transfer full) */
CrUser *cr_users_get (CrUsers *users, const char *name, char **password_hash,
                      GError **error);

/* Issues a new token for @name: the token (shown once, never stored) and
 * its number in @token_id. (transfer full) */
char *cr_users_issue_token (CrUsers *users, const char *name, gint64 *token_id,
                            GError **error);

/* Revokes @name's token @token_id, or all its tokens when @token_id is 0;
 * returns how many were revoked, -1 on error (NOT_FOUND for a token of
 * another account, or one revoked already). */
gint cr_users_revoke_tokens (CrUsers *users, const char *name, gint64 token_id,
                             GError **error);

/* The account a token in force belongs to, enabled or not, or NULL (with
 * NOT_FOUND when no token in force is @token). (transfer full) */
CrUser *cr_users_find_token (CrUsers *users, const char *token, GError **error);

/* The numbers of @name's tokens in force, oldest first. (transfer full) */
GArray *cr_users_list_tokens (CrUsers *users, const char *name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUsers, cr_users_free)

G_END_DECLS
