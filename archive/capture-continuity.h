/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capture-continuity.h: whether the pictures of a recording run were
 * captured live and back to back, judged from the clocks.
 *
 * When the whole process stops (SIGSTOP, a VM paused, a machine too loaded
 * to run it for a second), capture stops with it; afterwards the sources
 * make up the time they missed in a burst of pictures stamped as if taken
 * during the stop but showing what the camera sees, and what the burned-in
 * clock says, only afterwards. A watchdog thread that wakes every 100 ms
 * sees such a stop on the monotonic clock; the pictures that then come more
 * than a second after their capture time are to be left out, and the time
 * is a gap. (Pictures merely late from a slow encoder were composed in time
 * and are kept.) A hole of more than a second in the pictures' own
 * timeline, and a jump of the wall clock against the capture clock (a
 * suspend, or the clock set), interrupt a run too. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct CrCaptureContinuity CrCaptureContinuity;

/* Starts the watchdog thread. (transfer full) */
CrCaptureContinuity *cr_capture_continuity_new (void);
void cr_capture_continuity_free (CrCaptureContinuity *continuity);

/* Forgets the last picture written: the next one follows nothing (a run
 * begins or ends, the writer holds, a gap began). */
void cr_capture_continuity_forget (CrCaptureContinuity *continuity);

/* For each picture of a run, before it is written, from one thread at a
 * time: FALSE when it was made up after a stop and is to be left out.
 * When capture was interrupted before it, sets @interruption to why
 * (transfer full) and @from_us to the UTC end of the last picture in time
 * (the picture's own time when none was written). */
gboolean cr_capture_continuity_check (CrCaptureContinuity *continuity,
                                      GstClockTime running_time, gint64 utc_us,
                                      char **interruption, gint64 *from_us);

/* The picture at @running_time, captured at @utc_us, was written. */
void cr_capture_continuity_written (CrCaptureContinuity *continuity,
                                    GstClockTime running_time, GstClockTime duration,
                                    gint64 utc_us);

G_END_DECLS
