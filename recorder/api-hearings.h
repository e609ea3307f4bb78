/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-hearings.h: a clerk's word on a scheduled hearing, for the
 * recording-rate report (schedule/coverage.h):
 *   POST /api/v1/hearings/ID/not-held {"reason"}  (clerk) -> {"hearing": H}
 *   POST /api/v1/hearings/ID/held     {}          (clerk) -> {"hearing": H}
 * with H = {"id", "uid", "case", "starts", "not_held": null|{"at","by","reason"}};
 * "held" takes the mark back. The account is the caller's. */
#pragma once

#include <libsoup/soup.h>

#include "accounts/principal.h"
#include "recorder/api-request.h"

G_BEGIN_DECLS

/* A CrApiRouteHandler (api-server.h); @user_data is the CrRecorder. */
void cr_api_hearings_serve (SoupServerMessage *msg, const CrApiRoute *route,
                            const CrPrincipal *principal, gpointer user_data);

G_END_DECLS
