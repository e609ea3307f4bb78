/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* export.h: the package a litigant or the court's electronic archive gets:
 * one continuous MP4 per session, remuxed with libavformat across segment
 * boundaries without re-encoding (cut at the keyframe at or before the
 * start of the window), the hearing report, in a BagIt (RFC 8493) bag with
 * manifest-sha256.txt, so any BagIt tool can check it. Like the index, a
 * package is closed to other users of the machine (see bagit.h). */
#pragma once

#include "archive/segment-index.h"
#include "config/config.h"

G_BEGIN_DECLS

#define CR_EXPORT_ERROR (cr_export_error_quark ())
GQuark cr_export_error_quark (void);

typedef enum {
  CR_EXPORT_ERROR_INVALID,   /* nothing matches, bad window, output dir not empty */
  CR_EXPORT_ERROR_FAILED,    /* reading, remuxing or writing failed */
} CrExportError;

typedef struct {
  const char *case_no;       /* canonical form; required */
  gint64 session_id;         /* 0: every session of the case */
  gint64 from_us;            /* UTC window start, 0 = from the beginning */
  gint64 to_us;              /* UTC window end, 0 = to the end */
  const char *output_dir;    /* the bag; created, must not exist or be empty */
} CrExportRequest;

typedef struct {
  guint sessions;            /* MP4 files written */
  gint64 media_us;           /* total duration exported */
  gint64 bytes;              /* payload bytes */
  guint partials_removed;    /* what interrupted exports left beside it, removed */
} CrExportResult;

/* Writes the bag. Segment paths in the index are relative to
 * config->storage_dir. */
gboolean cr_export_package (CrSegmentIndex *index, const CrConfig *config,
                            const CrExportRequest *request,
                            CrExportResult *result, GError **error);

G_END_DECLS
