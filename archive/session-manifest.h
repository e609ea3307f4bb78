/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* session-manifest.h: a sealed session as the court archive keeps it
 * beside its segments: one JSON document with the session's row, every
 * segment's row (sequence, bytes, SHA-256, chain link), the ledger (every
 * event with its link) and the seal (chain root, head, signature, public
 * key), so that the archive's copy alone proves the chain and the seal
 * (archive/verify.h) with no access to the room. */
#pragma once

#include "archive/segment-index.h"

G_BEGIN_DECLS

#define CR_SESSION_MANIFEST_FORMAT "courtrec-session-manifest-1"

/* Writes the manifest of sealed @session_id to @path (beside it and
 * renamed). NOT_READY (index error) when the session is not sealed. */
gboolean cr_session_manifest_write (CrSegmentIndex *index, gint64 session_id,
                                    const char *path, GError **error);

G_END_DECLS
