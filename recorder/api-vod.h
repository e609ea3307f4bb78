/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-vod.h: the control API's publication routes (vod-service.h):
 *   POST /api/v1/vod/publish  {"session", "title"?, "redactions"?} (approver)
 *     -> {"publication": {...}} (vod-service.h's description), RENDERING
 *   POST /api/v1/vod/withdraw {"publication", "reason"} (approver)
 *     -> {"publication": {...}}, WITHDRAWN, its files gone
 * The account that publishes or withdraws is the caller's. */
#pragma once

#include <json-glib/json-glib.h>

#include "accounts/principal.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

JsonNode *cr_api_vod_publish (CrRecorder *recorder, const CrPrincipal *principal,
                              GHashTable *fields, GError **error);
JsonNode *cr_api_vod_withdraw (CrRecorder *recorder, const CrPrincipal *principal,
                               GHashTable *fields, GError **error);
/* The HTTP status and API code of a CR_VOD_ERROR. */
guint cr_api_vod_error_status (const GError *error, const char **code);

G_END_DECLS
