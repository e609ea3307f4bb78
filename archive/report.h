/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.h: the hearing report, the page filed with the case (SPC 2017
 * rules, Art. 3 and 4): court, room, case, title, start and stop, every
 * pause with its reason and length, every input fault and crash gap,
 * markers, the segments with their hashes, the chain head and its
 * signature. */
#pragma once

#include "archive/segment-index.h"
#include "config/config.h"

G_BEGIN_DECLS

typedef enum {
  CR_REPORT_TEXT,   /* plain UTF-8 text, printable */
  CR_REPORT_JSON,   /* machine-readable, the same facts */
  CR_REPORT_HTML,   /* a self-contained printable page (inline CSS, no scripts) */
} CrReportFormat;

gboolean cr_report_format_from_string (const char *text, CrReportFormat *format);

/* Renders the report of @session_id. @config gives the court and room
 * names. (transfer full) */
char *cr_report_render (CrSegmentIndex *index, const CrConfig *config,
                        gint64 session_id, CrReportFormat format,
                        GError **error);

G_END_DECLS
