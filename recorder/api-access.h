/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-access.h: the control API's litigant access routes (api-request.c
 * has them with their roles): a clerk enters and lists requests, an
 * approver grants, refuses and revokes. Who acts is the caller's
 * account, never a name in the body. Answered on the main loop through
 * the recorder's access service (access-service.h). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "accounts/principal.h"
#include "recorder/api-request.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

/* The JSON routes: CR_API_ACCESS_REQUEST, _REQUESTS, _GRANT, _REFUSE,
 * _REVOKE, with the parsed body's @fields.
 *   request -> {"request": ID}
 *   requests -> {"requests": [...]} (cr_access_service_list)
 *   grant -> {"grant": ID, "request": ID, "code": CODE (shown once),
 *             "expires": T, "slip_url": "/api/v1/access/slip/ID",
 *             "slip_html": HTML (with the code)}
 *   refuse, revoke -> {"request"|"grant": ID, "state": "refused"|"revoked"}
 * (transfer full) */
JsonNode *cr_api_access_dispatch (CrRecorder *recorder, CrApiAction action,
                                  const CrPrincipal *principal, GHashTable *fields,
                                  GError **error);

/* GET /api/v1/access/slip/ID: the slip's HTML without the code (a
 * CrApiRouteHandler; @user_data the recorder). */
void cr_api_access_serve_slip (SoupServerMessage *msg, const CrApiRoute *route,
                               const CrPrincipal *principal, gpointer user_data);

/* The HTTP status of an access error. */
guint cr_api_access_error_status (const GError *error, const char **code);

G_END_DECLS
