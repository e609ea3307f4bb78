/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-audit.h: the trail of who asked for, was granted, used, played
 * and downloaded a case's recordings: every event of class "access"
 * (event-kind.h) of the case's sessions, read back from their chains, as
 * rows a court files or hands a privacy reviewer: text, CSV (RFC 4180),
 * JSON and a printable HTML page. The hearing report's "Access" section
 * (report.h) reads the same rows, one session's. */
#pragma once

#include <glib.h>

#include "archive/records.h"
#include "archive/segment-index.h"

G_BEGIN_DECLS

typedef struct {
  gint64 event_id;
  gint64 session_id;
  gint64 at_us;
  CrEventKind kind;
  char *kind_name;      /* as stored: "download", ... */
  char *subject;        /* "request 3, grant 12", "publication 2", or NULL */
  char *who;            /* the account ("by"), else the client's address, or NULL */
  gint64 bytes;         /* a download's bytes sent; -1 when the event has none */
  char *detail;         /* the detail's other members, "name: value; ...", or "" */
} CrAccessAuditRow;

void cr_access_audit_row_free (CrAccessAuditRow *row);

/* The row @event gives (any class; its detail JSON or free text). (transfer full) */
CrAccessAuditRow *cr_access_audit_row_new (const CrEventRecord *event);

/* The access events of @events (element-type CrEventRecord), in their
 * order. (transfer full) (element-type CrAccessAuditRow) */
GPtrArray *cr_access_audit_rows (GPtrArray *events);

/* Every access event of every session of @case_no (canonical), oldest
 * first (by time, then session, then as written); an empty array for a
 * case with no sessions. (transfer full) (element-type CrAccessAuditRow) */
GPtrArray *cr_access_audit_collect (CrSegmentIndex *index, const char *case_no,
                                    GError **error);

/* RFC 4180: a header line, CRLF line ends, every field quoted when it
 * holds a comma, a quote, CR or LF; a field a spreadsheet would run as a
 * formula (starting with = + - @ or a tab) begins with an apostrophe;
 * a control character other than a line end or a tab becomes U+FFFD, and
 * a line end within a field LF.
 * (transfer full) */
char *cr_access_audit_to_csv (GPtrArray *rows);
/* One field of such a CSV (a comma before it unless @first), for the other
 * tables the court files (the recording-rate report). */
void cr_access_audit_csv_field (GString *out, const char *field, gboolean first);
/* A self-contained printable page (inline CSS, no scripts), every text
 * escaped; @court and @case_no head it. (transfer full) */
char *cr_access_audit_to_html (GPtrArray *rows, const char *court, const char *case_no);
/* A JSON array, one object per row. (transfer full) */
char *cr_access_audit_to_json (GPtrArray *rows);

G_END_DECLS
