/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* export-private.h: what the export's plan and package (export.c) and its
 * remuxer (export-mp4.c: a session's segments in, one MP4 out) share. */
#pragma once

#include "archive/export.h"

G_BEGIN_DECLS

/* One segment's share of an MP4. Times without "utc" are in the segment
 * file's own time, which starts at 0 at its first frame, the frame whose
 * UTC time is the segment's started_us. */
typedef struct {
  const CrSegmentRecord *segment;  /* owned by the SessionPlan */
  char *path;                      /* absolute */
  gint64 from_us;                  /* start at the keyframe at or before this */
  gint64 to_us;                    /* end before this; G_MAXINT64: the end */
  /* Known once remuxed. */
  gint64 first_us;                 /* its first exported frame */
  gint64 mp4_start_us;             /* where that frame is in the MP4 */
  gint64 duration_us;
} Part;

typedef struct {
  CrSessionRecord *session;
  GPtrArray *segments;             /* CrSegmentRecord */
  GPtrArray *parts;                /* Part */
} SessionPlan;

/* Remuxes every part of @plan, in order and back to back, into one MP4 at
 * @path (@name: how messages show it); its comment says where each part
 * starts in MP4 time and UTC. @duration_us: (out) the longest stream's end. */
gboolean cr_export_write_mp4 (const CrConfig *config, SessionPlan *plan, const char *path,
                              const char *name, gint64 *duration_us, GError **error);

G_END_DECLS
