/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* utc.h: the archive's one text form of a time, "2026-11-27T02:13:25.316Z"
 * (UTC, milliseconds, always 24 characters), so that times sort as text in
 * sqlite3 and read the same in the index, the chain, reports and exports.
 * In C a time is microseconds since the epoch (g_get_real_time ()). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "2026-11-27T02:13:25.316Z" for @utc_us. (transfer full) */
char *cr_format_utc (gint64 utc_us);
/* Inverse of cr_format_utc; FALSE for anything else. */
gboolean cr_parse_utc (const char *text, gint64 *utc_us);

G_END_DECLS
