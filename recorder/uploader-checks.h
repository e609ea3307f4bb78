/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uploader-checks.h: what the uploader asks of a store each time it answers
 * again (at start, and after it was unreachable), before anything is sent:
 * how far the local clock is from the store's (segment times come from the
 * local one), and, with object_lock = auto, whether the bucket really
 * refuses to delete a locked object. Uploader thread only. */
#pragma once

#include "archive/s3-client.h"
#include "config/config.h"

G_BEGIN_DECLS

/* Beyond this, the clock-skew alarm: a court's times are read to the
 * second, and the store's Date has a second's resolution. */
#define CR_UPLOADER_CLOCK_THRESHOLD_SECONDS 2.0

/* The store's clock minus the local one, in seconds, from @reply's Date and
 * the local times the request went out and its answer came; FALSE when the
 * answer had no Date. The Date is cut to the second: its middle is used. */
gboolean cr_uploader_clock_offset (const CrS3Reply *reply, gint64 sent_us, gint64 answered_us,
                                   double *offset_seconds);

/* PUTs a small canary under PREFIX/ROOM/.courtrec-lock-canary/ with a
 * short COMPLIANCE retention and tries to DELETE its version. NULL when
 * the delete was refused (the lock holds); else why not, for the
 * archive-lock-failed alarm. *@unreachable: no answer came, so nothing is
 * known (try again when the store is back). *@locked: the bucket takes
 * lock headers (so the objects sent get them). (transfer full) */
char *cr_uploader_prove_lock (CrS3Client *client, const CrArchiveConfig *config,
                              const char *room_id, const char *storage_dir, gint64 store_now,
                              gboolean *unreachable, gboolean *locked);

G_END_DECLS
