/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* late-seal.h: sealing a session after its stop. courtrecd seals a session
 * as soon as its last segment closes (segment-index.h); when the device key
 * was unusable then, or courtrecd ended first, the session is sealed later:
 * by `courtrec seal --session ID`, or by courtrecd once its key is usable.
 * A late seal is never quiet: a "seal-late" event, logged in the session
 * just before its "seal" event, says when it stopped, why it was not
 * sealed then, and who seals it now:
 *
 *   {"stopped": "2026-...Z", "reason": "the device key was unusable: ...",
 *    "by": "courtrec seal"}
 *
 * Its own time is when the late seal was made. */
#pragma once

#include "archive/device-key.h"
#include "archive/segment-index.h"

G_BEGIN_DECLS

/* Seals the stopped session @session_id with @key at @at_us, by @by (who
 * seals: "courtrec seal", "courtrecd"). Already sealed: TRUE, @already set,
 * nothing written. CR_INDEX_ERROR_NOT_READY while it is recording or
 * paused, or a segment is still being written; CR_INDEX_ERROR_NOT_FOUND
 * for no such session.
 * @chain_head: (out) (optional) (transfer full) the sealed head
 * @already: (out) (optional) */
gboolean cr_late_seal_session (CrSegmentIndex *index, gint64 session_id,
                               const CrDeviceKey *key, const char *by, gint64 at_us,
                               char **chain_head, gboolean *already, GError **error);

/* Late-seals every stopped, unsealed session that is ready (its segments
 * all closed); the others are left for later. @n_sealed: (out) (optional) */
gboolean cr_late_seal_pending (CrSegmentIndex *index, const CrDeviceKey *key,
                               const char *by, gint64 at_us, guint *n_sealed,
                               GError **error);

G_END_DECLS
