/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chain.h: the integrity chain of a session, as an outside auditor can
 * recompute it from the index with sqlite3 and any SHA-256 tool (README,
 * "Integrity", works one link through).
 *
 * Each session has a root. Each closed segment has a link that folds in the
 * link before it, and so has each event of the session's ledger (its
 * events and markers: starts, pauses with their reasons, faults, markers),
 * so that no segment or event can be changed, dropped, added or moved
 * without a link no longer matching; the chain head, made of the last
 * segment link and the last event link, is signed when the session is
 * sealed (device-key.h) and is the integrity value the parties sign (SPC
 * 2017 rules, Art. 9).
 *
 * Byte layout. H(x) is SHA-256 of x: 32 raw bytes, written in the index as
 * 64 lowercase hex digits. LP(s) is the length of s in bytes as a 4-byte
 * big-endian unsigned integer, then the bytes of s (UTF-8, no NUL). Numbers
 * are in decimal ASCII, no sign, no leading zeros ("0" for zero). Times are
 * the index's text form, "2026-11-27T02:13:25.316Z". ‖ joins bytes.
 *
 *   root    = H( LP("courtrec-chain-1") ‖ LP(sessions.id) ‖ LP(room_id)
 *                ‖ LP(case_no) ‖ LP(started_at) )
 *
 * Segments (layout 1):
 *   M_n     = LP(session_id) ‖ LP(sequence) ‖ LP(path) ‖ LP(started_at)
 *             ‖ LP(duration_us) ‖ LP(bytes)          (the row of segment n)
 *   link_n  = H( link_p ‖ sha256_n ‖ LP(M_n) )
 * where link_p is the link of the session's segment with the next lower
 * sequence, or the root for its first segment, and sha256_n is the raw
 * SHA-256 of the segment's file (the 32 bytes behind segments.sha256). The
 * segments' head is the link of the highest sequence, or the root when the
 * session has no segment.
 *
 * Events (layout 2, schema version 4): every row of events is numbered
 * 1, 2, ... within its session (events.sequence) as it is written, and
 *   elink_k = H( elink_p ‖ LP("event") ‖ LP(session_id) ‖ LP(sequence)
 *                ‖ LP(at) ‖ LP(kind) ‖ LP(detail) )
 * where elink_p is the link of event k - 1, or the root for event 1, and an
 * absent detail (NULL) counts as the empty text. An event a person caused
 * names them as "by" in its JSON detail (the account's name, "room-token"
 * for the room's token), so the chain covers who as well as what. A marker
 * is its event of kind "marker", whose detail is the marker's text, or
 * {"text": TEXT, "by": NAME} when an account added it; the row of markers
 * repeats the text and must agree. The ledger's head is the link of the event
 * with the highest sequence when the session is sealed.
 *
 * Seal (layout 2):
 *   head    = H( LP("courtrec-head-2") ‖ segments' head ‖ ledger's head )
 * stored as sessions.chain_head, with sessions.sealed_events the sequence
 * of the last event it covers and an Ed25519 signature over the 64 hex
 * characters of the head. The "seal" event and whatever follows it
 * (archived, media-deleted, export) are linked after that event, beyond the
 * seal. A session sealed before version 4 has sealed_events NULL, and its
 * head is the segments' head (layout 1): its events were linked when the
 * index was migrated, but no signature covers them. */
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

/* The link of @event (its session_id, sequence, at_us, kind_name and
 * detail) after @previous_hex. (transfer full) hex */
char *cr_chain_event_link (const char *previous_hex, const CrEventRecord *event,
                           GError **error);

/* The sealed head of layout 2 over the segments' head and the ledger's.
 * (transfer full) hex */
char *cr_chain_head (const char *segments_hex, const char *ledger_hex, GError **error);

/* TRUE when @hex is 64 lowercase hex digits. */
gboolean cr_chain_is_digest (const char *hex);

G_END_DECLS
