/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hearing-feed.h: the court's 开庭公告 (hearing announcements) as a feed,
 * JSON (json-glib) or CSV (libcsv), read into this room's hearings. See
 * docs/schedule.md for the fields and the forms a case system may write. */
#pragma once

#include "schedule/schedule-parse.h"

G_BEGIN_DECLS

typedef enum {
  CR_HEARING_FEED_AUTO,
  CR_HEARING_FEED_JSON,
  CR_HEARING_FEED_CSV,
} CrHearingFeedFormat;

/* JSON when @content_type (may be NULL) says so (application/json,
 * ...+json), CSV when it says text/csv; else by content: the first
 * character that is not a space (after a BOM) [ or { is JSON, anything
 * else CSV. */
CrHearingFeedFormat cr_hearing_feed_detect (const char *text, gsize length,
                                            const char *content_type);

/* Reads @text as @format (AUTO: detected by content) into the hearings of
 * @scope's room; records of other rooms are counted, records of this
 * room that cannot be a hearing are listed in skipped with where and why.
 * NULL and an error naming where (line, column or record) for a text that
 * is not the format. (transfer full) */
CrScheduleParse *cr_hearing_feed_parse (const char *text, gsize length,
                                        CrHearingFeedFormat format,
                                        const CrScheduleScope *scope, GError **error);

G_END_DECLS
