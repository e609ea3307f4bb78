/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-logins.h: the parties' logins to /access/, in memory only: a
 * random 256-bit id in a cookie stands for one grant until the grant's
 * expiry or two hours without a request, whichever comes first. A restart
 * of courtrecd ends them all; the party logs in again with the code.
 *
 * Only a hash of each id is kept (crypto_generichash), so that looking one
 * up takes no time that depends on how much of a guess was right, and a
 * memory dump holds nothing a browser could present. Memory is bounded:
 * CR_ACCESS_LOGINS_MAX at most, CR_ACCESS_LOGINS_PER_GRANT per grant (a
 * new login of the same grant ends its oldest). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_ACCESS_LOGINS_MAX 2048
#define CR_ACCESS_LOGINS_PER_GRANT 8
#define CR_ACCESS_LOGIN_IDLE_SECONDS (2 * 60 * 60)
/* The hex characters of an id. */
#define CR_ACCESS_LOGIN_ID_LENGTH 64

/* What a login holds: the grant as it was at the login (what cannot
 * change: its id, case, requester, mode and sessions). Its state is
 * always read fresh from the access service. */
typedef struct {
  gint64 grant_id;
  char *case_no;
  char *requester;
  char *role;
  gboolean copy_mode;     /* mode "copy": downloads allowed */
  gint64 expires_us;      /* the grant's expiry, UTC */
  GArray *sessions;       /* gint64: the granted sessions */
  guint events;           /* playback events recorded through it */
} CrAccessLogin;

typedef struct CrAccessLogins CrAccessLogins;

/* @clock_us: UTC in µs (g_get_real_time() when NULL); tests pass their own
 * to pass the idle time. (transfer full) */
CrAccessLogins *cr_access_logins_new (gint64 (*clock_us) (void));
void cr_access_logins_free (CrAccessLogins *logins);

/* A new login for @login's grant (its fields are copied); returns the id for
 * the cookie, or NULL when CR_ACCESS_LOGINS_MAX live logins are open.
 * (transfer full) */
char *cr_access_logins_open (CrAccessLogins *logins, const CrAccessLogin *login);

/* The login @id stands for, or NULL when unknown, expired or idle too long;
 * counts as a use. @id may be anything a client sent, NULL included.
 * (transfer none): valid until the next call on @logins. */
CrAccessLogin *cr_access_logins_lookup (CrAccessLogins *logins, const char *id);

/* Ends the login @id, if any. */
void cr_access_logins_close (CrAccessLogins *logins, const char *id);

/* Ends every login of @grant_id (revoked). */
void cr_access_logins_close_grant (CrAccessLogins *logins, gint64 grant_id);

guint cr_access_logins_count (CrAccessLogins *logins);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAccessLogins, cr_access_logins_free)

G_END_DECLS
