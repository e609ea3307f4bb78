/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coverage.h: the recording-rate report. Every hearing of a room's
 * calendar over a span of the court's days (removed ones too), set against
 * the sessions recorded for it, classified for the case-management office
 * that answers for the rate:
 *
 *   full       coverage >= 99.5 %, started at most 30 s late, every segment
 *              verifies against its SHA-256 and none is empty
 *   partial    something was recorded, but not that
 *   missing    nothing was recorded and no clerk said it was not held
 *   not-held   nothing was recorded and a clerk marked it not held
 *   cancelled  the calendar cancelled it, or dropped it before its start
 *
 * A recording wins over a clerk's not-held mark: what was recorded is
 * counted, whatever the mark says.
 *
 * coverage = recorded seconds / (span - lawful pauses): the span runs from
 * its first session's start to its last's stop (the slot's end while one
 * still runs); lawful pauses are those for recess, non-public-evidence and
 * mediation ("other" counts against it); recorded seconds are the segment
 * rows' durations inside the span. A session belongs to a hearing when it
 * is of the same case and overlaps [slot start - 1 h, slot end + 1 h], or
 * when its start event names the hearing's uid.
 *
 * The rates: recorded (full + partial) over scheduled (all but cancelled),
 * and over held (full + partial + missing). */
#pragma once

#include <glib.h>

#include "archive/segment-index.h"
#include "config/config.h"
#include "schedule/hearing-store.h"

G_BEGIN_DECLS

#define CR_COVERAGE_FULL_RATIO 0.995
#define CR_COVERAGE_MAX_LAG_US (G_GINT64_CONSTANT (30) * G_USEC_PER_SEC)
#define CR_COVERAGE_SLACK_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
/* The longest report: a year and a day, so that a mistyped year cannot
 * make it hash ten years of media. */
#define CR_COVERAGE_MAX_DAYS 366

typedef enum {
  CR_COVERAGE_CLASS_FULL,
  CR_COVERAGE_CLASS_PARTIAL,
  CR_COVERAGE_CLASS_MISSING,
  CR_COVERAGE_CLASS_NOT_HELD,
  CR_COVERAGE_CLASS_CANCELLED,
  CR_COVERAGE_N_CLASSES
} CrCoverageClass;

/* "full", "partial", "missing", "not-held", "cancelled". */
const char *cr_coverage_class_to_string (CrCoverageClass klass);

/* A stretch of the hearing: a gap in the record, or a pause. */
typedef struct {
  gint64 from_us, to_us;
  char *what;              /* a gap's reason, a pause's reason */
} CrCoverageSpan;

typedef struct {
  gint64 session_id;
  guint sequence;
  char *path;              /* relative to the storage directory */
  char *problem;           /* "empty", "changed", "deleted", ... */
  char *message;
} CrCoverageFileProblem;

typedef struct {
  gint64 id;
  gint64 started_us, stopped_us;   /* stopped 0 while it runs */
  char *case_no;
} CrCoverageSession;

typedef struct {
  char *room_id, *room_name;
  GTimeZone *zone;                 /* the court's zone for local times */
  CrHearingRow *hearing;
  CrCoverageClass klass;
  GPtrArray *sessions;             /* CrCoverageSession, oldest first */
  gint64 span_us, lawful_pause_us, recorded_us;
  double coverage;                 /* 0..1; < 0 when nothing was recorded */
  gint64 start_lag_us;             /* < 0 when nothing was recorded */
  guint segments, empty_segments, unverified_segments, open_segments;
  GPtrArray *file_problems;        /* CrCoverageFileProblem */
  GPtrArray *gaps;                 /* CrCoverageSpan */
  GPtrArray *unlawful_pauses;      /* CrCoverageSpan */
  GPtrArray *lawful_pauses;        /* CrCoverageSpan */
} CrCoverageHearing;

typedef struct {
  char *from_date, *to_date;       /* YYYY-MM-DD, the court's local days */
  char *timezone;                  /* the first room's zone's name */
  gint64 generated_us;
  GPtrArray *rooms;                /* char * room ids, in the order added */
  GPtrArray *hearings;             /* CrCoverageHearing, by room then start */
  guint counts[CR_COVERAGE_N_CLASSES];
} CrCoverageReport;

/* Reads "YYYY-MM-DD" strictly (a real day of the calendar). */
gboolean cr_coverage_parse_date (const char *text, GDate *date);

/* The zone of @config's [schedule] timezone, else the machine's.
 * (transfer full) */
GTimeZone *cr_coverage_zone (const CrConfig *config);

/* An empty report over the local days @from .. @to (both included); FALSE
 * with the reason in @error when @to is before @from or the span is longer
 * than CR_COVERAGE_MAX_DAYS. */
CrCoverageReport *cr_coverage_report_new (const GDate *from, const GDate *to,
                                          gint64 now_us, GError **error);
void cr_coverage_report_free (CrCoverageReport *report);

/* Adds every hearing of @config's room whose slot starts within the
 * report's days in the room's zone, each classified from @index and the
 * files under the storage directory (each segment hashed again). */
gboolean cr_coverage_report_add_room (CrCoverageReport *report, const CrConfig *config,
                                      CrSegmentIndex *index, GError **error);

/* Hearings recorded (full + partial), scheduled (all but cancelled) and
 * held (full + partial + missing). */
guint cr_coverage_report_recorded (const CrCoverageReport *report);
guint cr_coverage_report_scheduled (const CrCoverageReport *report);
guint cr_coverage_report_held (const CrCoverageReport *report);

/* TRUE for a hearing the nightly check alarms on: missing, partial, or
 * with an empty or unverifiable file. */
gboolean cr_coverage_hearing_is_bad (const CrCoverageHearing *hearing);
/* How many hearings of the report are bad. */
guint cr_coverage_report_bad (const CrCoverageReport *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrCoverageReport, cr_coverage_report_free)

G_END_DECLS
