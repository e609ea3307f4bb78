/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* live-schedule.h: the public schedule of /live/ (live-web.h), what the
 * court announces of the room's coming live trials.
 *
 * Listed are the hearings of the index (schedule/hearing-store.h) that
 * overlap the next [schedule] public_days days and that
 *   - are to be held (schedule/slots.h: not cancelled, removed or marked
 *     not held),
 *   - are public (CLASS:PUBLIC, the feed's public), and
 *   - whose case the court approved for broadcast and never forbade
 *     (the broadcast decisions are per case: segment-index.h).
 * Nothing else of any other hearing is ever in the answer: no count, no
 * gap, no description, no party.
 *
 *   {"timezone": "Asia/Shanghai", "days": 7,
 *    "published": whether the room reads a calendar or a feed at all (a
 *                 page without one says nothing of the schedule),
 *    "utc_offset": the court's offset now, e.g. "+08:00",
 *    "current": null|H (a listed hearing whose slot holds now),
 *    "next": null|H (the first listed to start after now),
 *    "hearings": [H, ...] (by start)}
 *   H = {"case", "title" (may be null), "starts", "ends" (archive/utc.h),
 *        "starts_local", "ends_local" (e.g. "2026-12-04T14:00:00+08:00")}
 *
 * The answer is built once and kept for a few seconds, so that a crowd of
 * viewers costs the index two queries per period, not two per request. */
#pragma once

#include <glib.h>

#include "archive/segment-index.h"

G_BEGIN_DECLS

/* The answer as of @now_us, from @index, in @zone (NULL: the machine's).
 * (transfer full) */
char *cr_live_schedule_build (CrSegmentIndex *index, GTimeZone *zone, guint days,
                              gboolean published, gint64 now_us, GError **error);

typedef struct CrLiveSchedule CrLiveSchedule;

/* @index is borrowed and must outlive it; @timezone as [schedule]
 * timezone (NULL: the machine's zone); @published: [schedule] has a
 * calendar or a feed; @max_age_seconds: how long an answer is kept (at
 * least 1). (transfer full) */
CrLiveSchedule *cr_live_schedule_new (CrSegmentIndex *index, const char *timezone,
                                      guint days, gboolean published,
                                      guint max_age_seconds);
void cr_live_schedule_free (CrLiveSchedule *schedule);

/* The answer, rebuilt when older than max_age (by the monotonic clock)
 * or after cr_live_schedule_invalidate(); when the index cannot be read,
 * the last good answer, or NULL with @error before there was one.
 * @etag (may be NULL): its entity tag, quoted, the same for the same
 * bytes. From the main loop. (transfer full) */
GBytes *cr_live_schedule_get (CrLiveSchedule *schedule, const char **etag, GError **error);
/* The next get rebuilds (the calendar or a decision changed). */
void cr_live_schedule_invalidate (CrLiveSchedule *schedule);
/* How many times it was built, for tests and /metrics. */
guint64 cr_live_schedule_builds (CrLiveSchedule *schedule);
/* How long an answer is kept, for Cache-Control. */
guint cr_live_schedule_max_age (CrLiveSchedule *schedule);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrLiveSchedule, cr_live_schedule_free)

G_END_DECLS
