/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon-client.h: the room's courtrecd over its HTTP API. */
#pragma once

#include <json-glib/json-glib.h>

#include "config/config.h"

G_BEGIN_DECLS

int call_api (const CrConfig *config, const char *method, const char *path,
              JsonNode *request, JsonNode **reply);
int post_fields (const CrConfig *config, const char *path, JsonNode **reply, ...);

G_END_DECLS
