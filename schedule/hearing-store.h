/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hearing-store.h: the index's copy of the court's hearing calendar
 * (schema step 6 -> 7 in segment-index.c): hearings and schedule_sources.
 *
 * A source ("calendar" for [schedule] calendar, "feed" for [schedule] feed)
 * is replaced as a whole each time it is read and changed: hearings it no
 * longer lists keep their rows with removed_at set (a hearing is never
 * deleted, so the recording-rate report still accounts for it), hearings
 * it lists again lose it. What the rows mean, when a slot starts a
 * recording and how the rate is counted, is for schedule/ and the
 * recorder; this file is rows only. */
#pragma once

#include <glib.h>

#include "archive/segment-index.h"

G_BEGIN_DECLS

typedef struct {
  gint64 id;
  char *source;                 /* calendar | feed */
  char *uid;                    /* iCal UID; a feed's uid, or case@start */
  char *case_no;                /* canonical (case-number.h) */
  char *title;                  /* SUMMARY, or the feed's title; may be NULL */
  char *location;               /* LOCATION or the feed's room, as given */
  gint64 starts_us, ends_us;    /* UTC */
  char *tzid;                   /* the zone the calendar gave, or NULL */
  gboolean public_hearing;      /* CLASS:PUBLIC or the feed's public */
  char *status;                 /* scheduled | cancelled */
  char *description;
  gint64 first_seen_us, updated_us;
  gint64 removed_us;            /* 0 while the source lists it */
  /* A clerk's word that the hearing was not held (postponed in court, a
   * party absent): the report then counts it "not held", not "missing". */
  gint64 not_held_us;           /* 0 unless so marked */
  char *not_held_by, *not_held_reason;
} CrHearingRow;

typedef struct {
  char *source;                 /* calendar | feed */
  char *location;               /* the URL or the file */
  char *etag, *last_modified;   /* as the server sent them, for the next GET */
  gint64 checked_us;            /* the last read that succeeded (changed or not) */
  gint64 changed_us;            /* the last read that changed the hearings */
  char *sha256;                 /* of the last body read */
  gint64 hearings;              /* how many it listed for this room */
  char *error;                  /* the last failure, NULL after a success */
  gint64 error_us;
} CrScheduleSourceRow;

void cr_hearing_row_free (CrHearingRow *row);
void cr_schedule_source_row_free (CrScheduleSourceRow *row);
CrHearingRow *cr_hearing_row_copy (const CrHearingRow *row);

/* Replaces what @source lists with @hearings (element-type CrHearingRow;
 * their source, id, first_seen, updated, removed and not_held fields are
 * ignored), at @now_us, in one transaction: new uids are added, known
 * ones updated where they differ (updated_at then moves), listed ones
 * lose removed_at, the rest of the source's rows not yet removed get
 * removed_at = @now_us. *@changed (may be NULL): how many rows changed. */
gboolean cr_hearing_store_replace (CrSegmentIndex *index, const char *source,
                                   GPtrArray *hearings, gint64 now_us, guint *changed,
                                   GError **error);

/* Hearings overlapping [@from_us, @to_us), by start then id; removed ones
 * too when @with_removed. (element-type CrHearingRow) (transfer full) */
GPtrArray *cr_hearing_store_list (CrSegmentIndex *index, gint64 from_us, gint64 to_us,
                                  gboolean with_removed, GError **error);
/* NULL without error when there is none. (transfer full) */
CrHearingRow *cr_hearing_store_get (CrSegmentIndex *index, gint64 id, GError **error);
CrHearingRow *cr_hearing_store_find_uid (CrSegmentIndex *index, const char *source,
                                         const char *uid, GError **error);
/* A clerk marks a hearing not held (@reason required), or takes it back
 * (@at_us 0, @by and @reason NULL). */
gboolean cr_hearing_store_set_not_held (CrSegmentIndex *index, gint64 id, gint64 at_us,
                                        const char *by, const char *reason, GError **error);

/* The row of @source, NULL without error before its first read. */
CrScheduleSourceRow *cr_schedule_source_get (CrSegmentIndex *index, const char *source,
                                             GError **error);
/* Writes the row of @row->source as given (insert or replace). */
gboolean cr_schedule_source_put (CrSegmentIndex *index, const CrScheduleSourceRow *row,
                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrHearingRow, cr_hearing_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrScheduleSourceRow, cr_schedule_source_row_free)

G_END_DECLS
