/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* layout.h: where each camera's tile goes on the composed picture, and
 * which camera is the main picture in the "voice" layout. Pure functions
 * of their inputs: the capture applies the rectangles to the composer's
 * pads. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_LAYOUT_SINGLE,    /* the main camera alone, full frame */
  CR_LAYOUT_PIP,       /* the main camera full frame, the next camera small in a corner */
  CR_LAYOUT_GRID,      /* every camera: 2x2 up to 4, 3x3 up to 9, 4x4 up to 16 */
  CR_LAYOUT_VOICE,     /* the camera of the loudest microphone full frame, the others
                          small along the bottom */
  CR_LAYOUT_EVIDENCE,  /* the evidence camera alone, full frame */
} CrLayoutKind;

typedef struct {
  gint x, y;
  gint width, height;  /* 0 when the camera is not shown */
  guint zorder;        /* higher is on top */
  gboolean visible;
} CrTileRect;

gboolean cr_layout_kind_from_string (const char *text, CrLayoutKind *kind);
const char *cr_layout_kind_to_string (CrLayoutKind kind);

/* Fills @rects[0..n_cameras-1] for a @width x @height picture (both even).
 * @main_camera is the camera shown large in single, pip, voice and evidence;
 * for evidence the caller passes the evidence camera's index, and the
 * picture is the same as single. A @main_camera out of range means camera 0:
 * a wrong index in a room's config must not leave the picture black. Every
 * tile keeps the picture's aspect ratio (to the nearest even pixel), even
 * coordinates and sizes (I420), and lies inside the picture; a camera not
 * shown has visible FALSE, zorder 0 and an empty rectangle.
 *
 *  - single, evidence: the main camera full frame, zorder 1.
 *  - pip: the main camera full frame, zorder 1; camera (@main_camera + 1)
 *    modulo @n_cameras at a quarter of the width in the bottom-right
 *    corner, 2% of the width from both edges, zorder 2.
 *  - grid: one camera fills the frame; 2x2 cells for 2-4 cameras, 3x3 for
 *    5-9, 4x4 for 10-16, filled row by row in camera order; the cells are
 *    equal, do not overlap and the grid is centred (zorder 1). Cameras past
 *    the sixteenth are not shown.
 *  - voice: the main camera full frame, zorder 1, and every other camera in
 *    index order in one row along the bottom edge, centred, zorder 2; each a
 *    fifth of the width, narrower only when more than five must fit, so
 *    that every participant stays in the picture. The main picture stays
 *    full frame (the row covers it) so that switching speakers never
 *    rescales it. */
void cr_layout_compute (CrLayoutKind kind, guint n_cameras, guint main_camera,
                        guint width, guint height, CrTileRect *rects);

/* The voice layout's choice, with hysteresis so the picture does not
 * flicker between speakers. */
typedef struct CrVoiceSwitch CrVoiceSwitch;

/* @hold_us: how long a new microphone must stay loudest before the picture
 * follows it; @margin_db: by how much it must beat the current one;
 * @floor_dbfs: below this nobody is speaking and the picture stays. */
CrVoiceSwitch *cr_voice_switch_new (guint n_microphones, gint64 hold_us,
                                    double margin_db, double floor_dbfs);
void cr_voice_switch_free (CrVoiceSwitch *voice);
/* Feeds one reading of every microphone's level (dBFS; @levels_dbfs holds
 * @n_microphones values, NaN counts as silence) at @now_us, a monotonic time
 * the caller reads; returns the index of the microphone the picture should
 * follow, 0 at the start.
 *
 * The picture moves from the current microphone to m at the first reading
 * where m has been the loudest of the microphones above @floor_dbfs at
 * every reading for at least @hold_us (now_us minus the time of the first
 * such reading), and m is louder than the current one by at least
 * @margin_db. A reading where nobody is above the floor, or where another
 * microphone is the loudest, restarts the count: pauses and people taking
 * turns quickly keep the picture where it is. Ties go to the lower index. */
guint cr_voice_switch_update (CrVoiceSwitch *voice, const double *levels_dbfs,
                              gint64 now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrVoiceSwitch, cr_voice_switch_free)

G_END_DECLS
