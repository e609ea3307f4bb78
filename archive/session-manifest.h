/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* session-manifest.h: a sealed session as the court archive keeps it
 * beside its segments: one JSON document with the session's row, every
 * segment's row (sequence, bytes, SHA-256, chain link), the ledger (every
 * event with its link), the seal (chain root, head, signature, public
 * key) and the hearing report filed with the case, so that the archive's
 * copy alone proves the chain and the seal (archive/archive-verify.h) and
 * tells the hearing, with no access to the room. The report is what the
 * rows say, not part of what the chain proves. */
#pragma once

#include "archive/segment-index.h"
#include "config/config.h"

G_BEGIN_DECLS

#define CR_SESSION_MANIFEST_FORMAT "courtrec-session-manifest-1"

/* Writes the manifest of sealed @session_id to @path (beside it and
 * renamed), with the hearing report (report.h, its JSON form) as "report"
 * when @room is given. NOT_READY (index error) when the session is not
 * sealed. */
gboolean cr_session_manifest_write (CrSegmentIndex *index, gint64 session_id,
                                    const CrConfig *room, const char *path, GError **error);

G_END_DECLS
