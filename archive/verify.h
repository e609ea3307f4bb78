/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify.h: checks the archive against its index and its seals: every
 * closed segment's file against its SHA-256, every index row (segments,
 * events, markers) against its chain link (chain.h), every sealed chain
 * head against its signature, and the recordings directory for files the
 * index does not know. Each problem is named; nothing is changed.
 *
 * Files are hashed with cr_digest_file_sha256 on a pool of threads, one per
 * processor, so that a long archive is read at disk speed where SHA-256 on
 * one core would be slower than the disk. */
#pragma once

#include "archive/segment-index.h"

G_BEGIN_DECLS

typedef enum {
  CR_VERIFY_CHANGED,           /* a file's bytes no longer match its SHA-256 */
  CR_VERIFY_DELETED,           /* a segment's file, or an index row, is gone */
  CR_VERIFY_ADDED,             /* a media file under recordings/ the index does not
                                  know, or an event inserted into a ledger */
  CR_VERIFY_RENAMED,           /* a segment's file is there under another name */
  CR_VERIFY_REORDERED,         /* a segment's file holds another segment's content,
                                  or an event stands at another place */
  CR_VERIFY_EDITED,            /* an index row no longer matches the chain */
  CR_VERIFY_SEAL_BROKEN,       /* the chain no longer ends at the sealed head */
  CR_VERIFY_BAD_SIGNATURE,     /* the signature does not match the sealed head */
  CR_VERIFY_MISSING_SIGNATURE, /* a sealed session without its signature, or a
                                  stopped one never sealed */
  CR_VERIFY_UNKNOWN_KEY,       /* signed, but not by the trusted key */
  CR_VERIFY_UNREADABLE,        /* a file that could not be read */
} CrVerifyProblemKind;

typedef struct {
  CrVerifyProblemKind kind;
  gint64 session_id;      /* 0 for a file that belongs to no session */
  guint sequence;         /* the segment concerned, 0 for none */
  guint event;            /* the ledger's event concerned (its sequence), 0 for none */
  char *path;             /* relative to the storage directory, or NULL */
  char *message;          /* one sentence, what was found */
} CrVerifyProblem;

typedef struct {
  gint64 session_id;
  char *case_no;
  CrSessionState state;
  guint segments;         /* rows in its chain */
  guint open_segments;    /* still being written: not yet verifiable */
  guint purged_segments;  /* media deleted by retention: chain checked only */
  guint events;           /* events in its ledger, each checked against its link */
  guint sealed_events;    /* of them, covered by the seal; 0 for a seal made
                             before version 4, which covers the segments only */
  gint64 bytes_hashed;
  char *chain_head;       /* the sealed head, or NULL when not sealed */
  gboolean signature_good;
  guint problems;
} CrVerifySession;

typedef struct {
  GPtrArray *sessions;    /* (element-type CrVerifySession), oldest first */
  GPtrArray *problems;    /* (element-type CrVerifyProblem) */
  gint64 bytes_hashed;
  guint files_hashed;
} CrVerifyReport;

typedef struct {
  const char *case_no;        /* canonical; NULL: every case */
  gint64 session_id;          /* 0: every session (of the case) */
  /* hex public key the seals must carry, e.g. from the device's .pub
   * file; NULL: any key, as long as the signature matches it */
  const char *trusted_public_key;
} CrVerifyScope;

/* Verifies what @scope selects; files are under @storage_dir. Only a
 * failure to read the index is an error: everything else is a problem in
 * the report. With a session or case given, an unknown file counts when its
 * name says it is of a session in scope, or when it holds a missing
 * segment's content. (transfer full) */
CrVerifyReport *cr_verify (CrSegmentIndex *index, const char *storage_dir,
                           const CrVerifyScope *scope, GError **error);
void cr_verify_report_free (CrVerifyReport *report);

/* TRUE when the report holds no problem. */
gboolean cr_verify_report_is_intact (const CrVerifyReport *report);

/* "changed", "deleted", "added", "renamed", "reordered", "edited",
 * "seal-broken", "bad-signature", "missing-signature", "unknown-key",
 * "unreadable". */
const char *cr_verify_problem_kind_to_string (CrVerifyProblemKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrVerifyReport, cr_verify_report_free)

G_END_DECLS
