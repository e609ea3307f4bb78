/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slots.h: which scheduled hearing is on now and which comes next, the
 * one answer the recorder's alarms, autostart, status, the console,
 * /metrics and the public schedule all use.
 *
 * A hearing takes its slot [starts, ends) (half-open, so that back-to-back
 * slots never both hold the same instant). Only hearings that are to be
 * held count: not cancelled, not removed from the calendar, not marked not
 * held by a clerk. When slots of the room overlap (a double booking), the
 * one that began first is current until its end. */
#pragma once

#include <glib.h>

#include "schedule/hearing-store.h"

G_BEGIN_DECLS

/* TRUE for a hearing that is to be held. */
gboolean cr_slot_is_live (const CrHearingRow *hearing);

/* The hearing whose slot holds @now_us, or NULL; from @hearings
 * (element-type CrHearingRow, sorted by start as the store lists them).
 * (transfer none) */
const CrHearingRow *cr_slots_current (GPtrArray *hearings, gint64 now_us);
/* The first hearing to start after @now_us, or NULL. (transfer none) */
const CrHearingRow *cr_slots_next (GPtrArray *hearings, gint64 now_us);

/* The hearings of the room that matter around @now_us (from a day before
 * to @days_ahead days after), from the index. (transfer full) */
GPtrArray *cr_slots_around (CrSegmentIndex *index, gint64 now_us, guint days_ahead,
                            GError **error);

G_END_DECLS
