/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scheduler.h: what the court's calendar asks of the recorder, checked
 * once a second on its main loop against the hearings in the index
 * (schedule/slots.h for which slot is on):
 *
 *   scheduled-not-recording  a live slot's start + [schedule] grace_seconds
 *                            has passed with the room in standby (or paused
 *                            in another case); clears when recording starts
 *                            or the slot ends
 *   hearing-overrun          a session begun before the current slot, of
 *                            another case, still runs in it
 *   schedule-stale           a source has failed for longer than
 *                            max(3 x poll_seconds, 15 min)
 *
 * each with input "schedule" and the hearing's uid (or the source) as label.
 * With [schedule] autostart the slot's case is started at its start (also
 * late inside it, after a restart), by "schedule"; a session the schedule
 * started is split at its slot's end into the next slot's case when that
 * slot begins there, with no gap (cr_recorder_split_at_boundary). The
 * schedule never stops a session otherwise. */
#pragma once

#include <glib.h>

#include "recorder/recorder.h"
#include "schedule/hearing-store.h"

G_BEGIN_DECLS

typedef struct CrScheduler CrScheduler;

/* Starts the tick (and the poller when [schedule] calendar or feed is
 * set). (transfer full) */
CrScheduler *cr_scheduler_new (CrRecorder *recorder);
void cr_scheduler_free (CrScheduler *scheduler);

/* The hearings read from the index (re-read when the poller reports a
 * change, and every minute), element-type CrHearingRow. (transfer none) */
GPtrArray *cr_scheduler_get_hearings (CrScheduler *scheduler);
/* The poller's "sources" for status, or NULL without a poller (then read
 * from the index). (transfer full) */
JsonNode *cr_scheduler_get_sources (CrScheduler *scheduler);
/* Reads the index's hearings again at the next tick. */
void cr_scheduler_changed (gpointer scheduler);
/* Runs the tick now (tests and the status). */
void cr_scheduler_tick (CrScheduler *scheduler);

G_END_DECLS
