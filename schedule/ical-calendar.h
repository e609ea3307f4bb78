/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ical-calendar.h: the court's calendar as iCalendar (RFC 5545, the
 * Opencast capture-agent form), read with libical into this room's
 * hearings. See docs/schedule.md for what a case system must write. */
#pragma once

#include "schedule/schedule-parse.h"

G_BEGIN_DECLS

/* Reads @text (@length bytes, not NUL-ended needed) into the hearings of
 * @scope's room. Events of other rooms are counted, not stored; events of
 * this room that cannot be a hearing (no case number, no time, all-day, a
 * zone nobody knows, ...) are listed in the result's skipped with where
 * they are and why. NULL and an error naming where, for a text that is
 * not an iCalendar at all. (transfer full) */
CrScheduleParse *cr_ical_calendar_parse (const char *text, gsize length,
                                         const CrScheduleScope *scope, GError **error);

G_END_DECLS
