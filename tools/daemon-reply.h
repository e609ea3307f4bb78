/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon-reply.h: the members of a daemon's JSON reply, by type. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonObject *member_object (JsonObject *object, const char *name);
const char *member_string (JsonObject *object, const char *name);
gint64 member_int (JsonObject *object, const char *name);
JsonObject *reply_status (JsonNode *reply);
JsonArray *member_array (JsonObject *object, const char *name);
JsonObject *element_object (JsonArray *array, guint i);
gboolean member_number (JsonObject *object, const char *name, double *value);
gboolean member_boolean (JsonObject *object, const char *name, gboolean *value);

G_END_DECLS
