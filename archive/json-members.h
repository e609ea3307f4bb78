/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-members.h: the members every JSON answer, report and manifest
 * writes the same way: a text (null when there is none) and a time in
 * archive/utc.h's form (null for 0, "not yet" or "open"), so that a
 * client reads them alike in status, reports, manifests and the API. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "name": "value", or "name": null for NULL. */
void cr_json_add_text (JsonBuilder *builder, const char *name, const char *value);
/* "name": "2026-11-27T02:13:25.316Z", or null for @utc_us 0 (or less). */
void cr_json_add_time (JsonBuilder *builder, const char *name, gint64 utc_us);
void cr_json_add_int (JsonBuilder *builder, const char *name, gint64 value);

/* Reading a document someone else may have written (a manifest back from
 * the archive, a copy's manifest): member @name of @object as the writer
 * above makes it. FALSE when it is missing or of another type, and then
 * "\"name\" (what it should be)" is appended to @wrong, so that one
 * message names every bad member. */
/* A text, or NULL for null when @nullable. (*@out: transfer full) */
gboolean cr_json_get_text (JsonObject *object, const char *name, gboolean nullable,
                           char **out, GString *wrong);
gboolean cr_json_get_int (JsonObject *object, const char *name, gint64 *out, GString *wrong);
/* A time in utc.h's form, or null (*@out left as it is). */
gboolean cr_json_get_time (JsonObject *object, const char *name, gint64 *out, GString *wrong);

G_END_DECLS
