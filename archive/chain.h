/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chain.h: the integrity chain of a session, as an outside auditor can
 * recompute it from the index with any SHA-256 tool.
 *
 * Each session has a root, and each closed segment a link that folds in the
 * link before it, so that no segment can be changed, dropped, added or moved
 * without every later link changing; the last link is the chain head, which
 * is signed when the session is sealed (device-key.h) and is the integrity
 * value the parties sign (SPC 2017 rules, Art. 9).
 *
 * Byte layout, version 1. H(x) is SHA-256 of x: 32 raw bytes, written in the
 * index as 64 lowercase hex digits. LP(s) is the length of s in bytes as a
 * 4-byte big-endian unsigned integer, then the bytes of s (UTF-8, no NUL).
 * Numbers are in decimal ASCII, no sign, no leading zeros ("0" for zero).
 * Times are the index's text form, "2026-11-27T02:13:25.316Z".
 *
 *   root   = H( LP("courtrec-chain-1") ‖ LP(sessions.id) ‖ LP(room_id)
 *               ‖ LP(case_no) ‖ LP(started_at) )
 *
 *   M_n    = LP(session_id) ‖ LP(sequence) ‖ LP(path) ‖ LP(started_at)
 *            ‖ LP(duration_us) ‖ LP(bytes)          (the row of segment n)
 *   link_n = H( link_p ‖ sha256_n ‖ LP(M_n) )
 *
 * where link_p is the link of the session's segment with the next lower
 * sequence, or the root for its first segment, and sha256_n is the raw
 * SHA-256 of the segment's file (the 32 bytes behind segments.sha256). The
 * chain head of a session is the link of its highest sequence, or its root
 * when it has no segment. The index keeps sessions.chain_root,
 * segments.link and, once sealed, sessions.chain_head with its Ed25519
 * signature over the 64 hex characters of the head. */
#pragma once

#include <glib.h>

#include "archive/records.h"

G_BEGIN_DECLS

#define CR_CHAIN_ERROR (cr_chain_error_quark ())
GQuark cr_chain_error_quark (void);

typedef enum {
  CR_CHAIN_ERROR_INVALID,   /* a digest that is not 64 lowercase hex digits */
} CrChainError;

/* The root of @session: only id, room_id, case_no and started_us count.
 * (transfer full) hex */
char *cr_chain_root (const CrSessionRecord *session);

/* The link of @segment (closed) after @previous_hex. Fails when
 * @previous_hex or segment->sha256 is not a digest. (transfer full) hex */
char *cr_chain_link (const char *previous_hex, const CrSegmentRecord *segment,
                     GError **error);

/* TRUE when @hex is 64 lowercase hex digits. */
gboolean cr_chain_is_digest (const char *hex);

G_END_DECLS
