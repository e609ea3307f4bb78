/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reconcile.h: after a crash or power cut, make the index and the files on
 * disk agree again: a row for every segment file, a file for every row,
 * durations, sizes and hashes read from the files themselves. Nothing
 * recorded is ever deleted here; every change is an event of its session.
 * The one file removed is a segment's hidden ".NAME.partial" left by a kill
 * before its first cluster: a header without a frame. */
#pragma once

#include "archive/segment-index.h"

G_BEGIN_DECLS

typedef struct {
  guint recovered;   /* rows left open by the crash, completed from the file */
  guint adopted;     /* files without a row, given one */
  guint missing;     /* rows whose file is gone, removed (with an event) */
  guint strays;      /* files that belong to no known session, left alone */
  guint unnamed;     /* hidden .partial files without a frame, removed */
} CrReconcileReport;

gboolean cr_reconcile (CrSegmentIndex *index, const char *storage_dir,
                       CrReconcileReport *report, GError **error);

G_END_DECLS
