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

G_END_DECLS
