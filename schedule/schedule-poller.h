/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedule-poller.h: reads the court's calendar and 开庭公告 feed
 * ([schedule] calendar, feed) into the index, at once and every
 * poll_seconds.
 *
 * A source is an http(s):// URL (libsoup, with If-None-Match and
 * If-Modified-Since from the source's row, a size cap, a timeout and few
 * redirects) or a file (GIO). The body is parsed off the main loop (a
 * GTask in a thread: a large calendar must not hold up the recorder) and
 * the hearings are written on it, in one transaction per source
 * (cr_hearing_store_replace). A failure (unreachable, HTTP error, a body
 * that does not parse) records the error in the source's row and changes
 * no hearing: the cached schedule keeps running everything, so a network
 * outage or a bad export by the case system never loses a slot. */
#pragma once

#include <json-glib/json-glib.h>

#include "archive/segment-index.h"
#include "config/config.h"

G_BEGIN_DECLS

typedef struct CrSchedulePoller CrSchedulePoller;

/* The largest body read from a source; more is refused with an error
 * naming the cap. */
#define CR_SCHEDULE_MAX_BYTES (8 * 1024 * 1024)
/* How long one GET may take, connection to last byte. */
#define CR_SCHEDULE_TIMEOUT_SECONDS 20

/* Starts polling each source of @config (none: a poller that does
 * nothing) on the thread-default main context. @config and @index must
 * outlive the poller. @changed (may be NULL) is called on that context
 * after a read changed the index's hearings. (transfer full) */
CrSchedulePoller *cr_schedule_poller_new (const CrConfig *config, CrSegmentIndex *index,
                                          void (*changed) (gpointer user_data),
                                          gpointer user_data);
/* Reads every source now (a read already under way is not doubled). */
void cr_schedule_poller_poll_now (CrSchedulePoller *poller);

/* TRUE while a read of a source is under way. */
gboolean cr_schedule_poller_busy (CrSchedulePoller *poller);

/* The status's "sources" array, one object per configured source:
 * {"source", "location", "checked", "changed", "hearings", "skipped",
 * "error", "error_since"} (times in archive/utc.h form or null; skipped:
 * the events of the last parsed body that were not stored, "skipped_reason"
 * the first reason or null). (transfer full) */
JsonNode *cr_schedule_poller_get_sources (CrSchedulePoller *poller);

/* TRUE when a source has failed for longer than max(3 x poll_seconds,
 * 15 min) at @now_us (also when it never succeeded since it first failed
 * that long ago); *@why (may be NULL) then says which and since when.
 * (transfer full) */
gboolean cr_schedule_poller_is_stale (CrSchedulePoller *poller, gint64 now_us, char **why);

/* Stops polling; a read under way is abandoned (its result is dropped). */
void cr_schedule_poller_free (CrSchedulePoller *poller);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSchedulePoller, cr_schedule_poller_free)

G_END_DECLS
