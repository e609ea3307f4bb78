/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk-guard.h: the recorder's disk policy (design.md, "Faults"): the
 * free space measured every DISK_CHECK_SECONDS, an alarm when less than two
 * hours of recording fit, no new session when less than ten minutes do,
 * the writer held while the disk is full and released, with the gap
 * logged, once a few minutes fit again; a small reserve file keeps room
 * for the index to close its rows. Main loop only. */
#pragma once

#include <glib.h>

#include "recorder/recorder.h"

G_BEGIN_DECLS

#define DISK_CHECK_SECONDS 10

/* Sets the recorder's disk fields from its config. */
void cr_disk_guard_init (CrRecorder *recorder);

/* Every DISK_CHECK_SECONDS (a GSourceFunc on the recorder) and at start. */
gboolean cr_disk_guard_check (gpointer user_data);

/* FALSE (CR_RECORDER_ERROR_STATE, with the figures) when too little fits
 * to start a session; releases a writer held for a full disk. */
gboolean cr_disk_guard_allows_start (CrRecorder *recorder, GError **error);

/* A write failed with ENOSPC: the media of the session ended at
 * @media_end_us. */
void cr_disk_guard_full (CrRecorder *recorder, gint64 media_end_us);

/* The writer's disk_stall callback (segment-writer.h): the disk-stall
 * alarm, raised and cleared. */
void cr_disk_guard_on_stall (gboolean stalled, gint64 lag_us, const char *relative_path,
                             gpointer user_data);
/* The writer's open_failed callback: the segment-open-failed alarm, once
 * while it lasts. */
void cr_disk_guard_on_open_failed (gint64 session_id, guint sequence,
                                   const char *relative_path, gint64 started_us,
                                   const GError *error, gpointer user_data);
/* A file opened again at @until_us, or the run ended then: the time
 * without one is a gap, and the alarm is cleared. */
void cr_disk_guard_open_failure_over (CrRecorder *recorder, gint64 until_us);

/* A segment row the index could not close, tried again at every check. */
void cr_disk_guard_add_pending_close (CrRecorder *recorder, gint64 session_id, gint64 row,
                                      const char *relative_path, gint64 duration_us,
                                      gint64 bytes, const char *sha256);
void cr_disk_guard_retry_pending_closes (CrRecorder *recorder);

G_END_DECLS
