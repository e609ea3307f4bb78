/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedule-parse.h: what the calendar's and the feed's parsers share:
 * which names are this room, the court's zone for times given without
 * one, what a parse gives (the room's hearings, and every event it did
 * not store with the reason), and finding a case number in free text. */
#pragma once

#include <glib.h>

#include "config/config.h"
#include "schedule/hearing-store.h"

G_BEGIN_DECLS

#define CR_SCHEDULE_ERROR (cr_schedule_error_quark ())
GQuark cr_schedule_error_quark (void);

typedef enum {
  CR_SCHEDULE_ERROR_PARSE,      /* the text as a whole is not the format */
  CR_SCHEDULE_ERROR_FETCH,      /* the source could not be read */
} CrScheduleError;

typedef struct {
  char **rooms;           /* the names that are this room, trimmed */
  GTimeZone *zone;        /* the court's zone for times given without one */
  char *zone_name;        /* its identifier, e.g. Asia/Shanghai */
  /* Recurring events are expanded over [window_from, window_to). */
  gint64 window_from_us, window_to_us;
} CrScheduleScope;

/* The scope of @config's room at @now_us: [schedule] location, the room
 * id and its name; [schedule] timezone or the machine's; occurrences of a
 * recurring hearing from 31 days before to 366 days after. */
CrScheduleScope *cr_schedule_scope_new (const CrConfig *config, gint64 now_us);
/* The same for tests and `courtrec schedule --check`: @rooms NULL-ended,
 * @zone_name NULL for the machine's zone. */
CrScheduleScope *cr_schedule_scope_new_for (const char *const *rooms, const char *zone_name,
                                            gint64 now_us);
void cr_schedule_scope_free (CrScheduleScope *scope);
/* TRUE when @location (trimmed) is one of the room's names; with no
 * names (`courtrec schedule --check` without a config), any room. */
gboolean cr_schedule_scope_is_room (const CrScheduleScope *scope, const char *location);

typedef struct {
  GPtrArray *hearings;    /* CrHearingRow of this room, source unset */
  guint events;           /* how many events the text held */
  guint other_rooms;      /* events of other rooms: not stored, not skipped */
  GPtrArray *skipped;     /* char *: each event of this room not stored,
                             "where: why" */
} CrScheduleParse;

CrScheduleParse *cr_schedule_parse_new (void);
void cr_schedule_parse_free (CrScheduleParse *parse);
void cr_schedule_parse_skip (CrScheduleParse *parse, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The first case number in @text (any typing, the year in round
 * brackets, half- or full-width), canonical; NULL when there is none. (transfer full) */
char *cr_schedule_find_case_number (const char *text);

/* A local time "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]" in
 * @zone, or ISO 8601 with an offset or Z; FALSE for anything else. A
 * local time that does not exist (the hour skipped in spring) is taken
 * as the moment of the change (02:30 in Berlin on 29 March 2026 is 03:00
 * CEST); one that is ambiguous (the hour repeated in autumn) as the second
 * (standard time, as libical takes it too): GLib's g_date_time_new, tested in test-schedule.c. */
gboolean cr_schedule_parse_time (const char *text, GTimeZone *zone, gint64 *utc_us);

/* @utc_us as ISO 8601 with @zone's offset then, e.g.
 * "2026-12-03T14:00:00+08:00". (transfer full) */
char *cr_schedule_format_local (gint64 utc_us, GTimeZone *zone);

/* Slots longer than this are not a hearing's (a misexported all-week
 * event would hold the room's alarms for days). */
#define CR_SCHEDULE_MAX_SLOT_US (24 * G_TIME_SPAN_HOUR)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrScheduleScope, cr_schedule_scope_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrScheduleParse, cr_schedule_parse_free)

G_END_DECLS
