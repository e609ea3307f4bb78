/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report-private.h: the facts of a hearing report, gathered once from the
 * index (report-facts.c) and written out by one function per format
 * (report.c), so that the text, the JSON and the page can never disagree. */
#pragma once

#include <json-glib/json-glib.h>

#include "archive/report.h"

G_BEGIN_DECLS

typedef struct {
  gint64 start_us;
  gint64 end_us;          /* 0 while still paused */
  char *reason;
  const char *ended_by;   /* "resume", "stop", "pause" or NULL */
} CrReportPause;

/* An equipment failure or a gap in the record (SPC 2017 rules, Art. 4):
 * an alarm from when it was raised to when it was cleared, or to the
 * session's end; a gap from its "from" to its "to"; any other fault at its
 * moment. */
typedef struct {
  CrEventKind kind;       /* the alarm, CR_EVENT_GAP, or the fault's own kind;
                             CR_EVENT_ALARM for an alarm of an unknown name */
  char *what;             /* that kind as stored: "input-lost", "gap", ... */
  char *input;            /* the input concerned, or NULL */
  char *label;            /* its label, or NULL */
  char *role;             /* "camera", "microphone", or NULL */
  char *message;          /* why, in the events' words, or NULL */
  gint64 start_us;
  gint64 end_us;          /* 0 while it stands in a session not stopped */
  gboolean spans;         /* an alarm or a gap, rather than a moment */
  gboolean from_start;    /* it stood from the session's start */
  char *ended_by;         /* the clearing kind, "the session's end", or NULL */
  GPtrArray *events;      /* CrEventRecord (borrowed) it was read from */
} CrReportFault;

typedef struct {
  const CrConfig *config;
  CrSessionRecord *session;
  GPtrArray *events;      /* CrEventRecord, oldest first */
  GPtrArray *segments;    /* CrSegmentRecord, the whole chain */
  GPtrArray *pauses;      /* CrReportPause */
  GPtrArray *faults;      /* CrReportFault, by start */
  GPtrArray *markers;     /* CrEventRecord, borrowed */
  GPtrArray *others;      /* CrEventRecord, borrowed */
  GPtrArray *access;      /* CrAccessAuditRow: requests, grants, their use */
  gint64 recorded_us;
  gint64 paused_us;
  gint64 bytes;
} CrReportFacts;

/* (transfer full) */
CrReportFacts *cr_report_facts_gather (CrSegmentIndex *index, const CrConfig *config,
                                       gint64 session_id, GError **error);
void cr_report_facts_free (CrReportFacts *facts);

/* The "Access" section (report-access.c): who asked for the recording,
 * who was let in, what they watched and took, in each format. */
void cr_report_access_text (GString *out, const CrReportFacts *facts);
void cr_report_access_json (JsonBuilder *builder, const CrReportFacts *facts);
void cr_report_access_html (GString *out, const CrReportFacts *facts);

/* The members of @event's detail when it is a JSON object, else NULL;
 * @holder keeps them. */
JsonObject *cr_report_detail_object (const CrEventRecord *event, JsonNode **holder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrReportFacts, cr_report_facts_free)

G_END_DECLS
