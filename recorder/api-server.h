/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-server.h: courtrecd's HTTP control API (libsoup 3, JSON, /api/v1/).
 * Every request is admitted with the caller's principal (api-auth.h) and
 * the route's role checked (api-request.h) before its body is read. The
 * public pages have a listener of their own (public-server.h). */
#pragma once

#include <glib.h>

#include <libsoup/soup.h>

#include "accounts/principal.h"
#include "recorder/api-auth.h"
#include "recorder/api-request.h"
#include "recorder/metrics.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef struct CrApiServer CrApiServer;

/* Listens on @host:@port (loopback in the shipped config), with at most
 * @max_connections open at once. The recorder is borrowed and must
 * outlive the server. (transfer full) */
CrApiServer *cr_api_server_new (CrRecorder *recorder, const char *host,
                                guint16 port, const char *token,
                                guint max_connections, GError **error);
void cr_api_server_free (CrApiServer *server);

/* Answers a route of the table (api-request.c) that is not one of the
 * JSON routes answered here: called on the main loop once the request is
 * admitted (its caller holds the route's role; @principal is NULL only on
 * a CR_ROLE_ANYONE route called without credentials) and its body is in.
 * It sets the response on @msg (it may pause the message and answer
 * later). */
typedef void (*CrApiRouteHandler) (SoupServerMessage *msg, const CrApiRoute *route,
                                   const CrPrincipal *principal, gpointer user_data);

/* Has @handler answer the routes of @action; @user_data must outlive the
 * server. */
void cr_api_server_set_handler (CrApiServer *server, CrApiAction action,
                                CrApiRouteHandler handler, gpointer user_data);

/* The principal an admitted request was made by, NULL for a caller
 * without credentials on a CR_ROLE_ANYONE route. (transfer none: lives as
 * long as @msg) */
const CrPrincipal *cr_api_server_get_principal (SoupServerMessage *msg);

/* Admits the accounts of @users_path (users.h, opened read-only when
 * first needed) besides the room's token, and answers the console's
 * login routes (api-login.h): a login lasts @idle_seconds idle and
 * @max_seconds in all, and the cookie is named after @room_id. @clock_us
 * drives the brute-force guard (NULL: the monotonic clock). */
void cr_api_server_enable_accounts (CrApiServer *server, const char *users_path,
                                    const char *room_id, guint idle_seconds,
                                    guint max_seconds, gint64 (*clock_us) (void));

/* Who the server admits. (transfer none) */
CrApiAuth *cr_api_server_get_auth (CrApiServer *server);

/* What /metrics shows; it counts this listener's connections.
 * (transfer none) */
CrMetrics *cr_api_server_get_metrics (CrApiServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrApiServer, cr_api_server_free)

G_END_DECLS
