/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon-client.h: the room's courtrecd over its HTTP API. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdarg.h>

#include "config/config.h"

G_BEGIN_DECLS

char *api_endpoint (const CrConfig *config);
const char *api_token_source (void);
SoupSession *api_session_new (guint timeout_seconds, guint connections);
SoupMessage *api_request_new (const CrConfig *config, const char *method, const char *path,
                              JsonNode *request, GError **error);
JsonNode *api_reply_json (GBytes *body);
JsonNode *fields_request (va_list ap);
int call_api (const CrConfig *config, const char *method, const char *path,
              JsonNode *request, JsonNode **reply, const char *needs);

G_END_DECLS
