/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify-private.h: what the files of verification share. verify.c reads
 * the room's own archive (its files, then its index) and hashes the files;
 * verify-judge.c judges each session: its segment chain, each row against
 * its file, and the seal; verify-ledger.c the session's ledger, its events
 * and markers against their links. archive-verify.c reads a session back
 * from the court archive and has it judged by the same code. */
#pragma once

#include "archive/verify.h"

G_BEGIN_DECLS

typedef struct {
  char *path;             /* relative */
  char *full_path;
  char *sha256;           /* result, NULL on error */
  gint64 bytes;
  GError *error;
  gboolean unknown;       /* a file no index row names */
  gboolean consumed;      /* unknown, and explained or not to be judged */
  gboolean in_scope;      /* unknown, and to be judged */
  gint64 session_id;      /* unknown: the session its name says, or 0 */
} HashJob;

/* One segment row and what was found about it. */
typedef struct {
  CrSegmentRecord *row;   /* owned by the session's rows */
  char *previous_link;    /* the link it chains from, NULL when unknown */
  gboolean link_mismatch;
  gboolean link_missing;
  char *link_error;       /* a malformed hash in the row */
  HashJob *job;           /* its file, when present and closed */
  gboolean file_missing;
} RowCheck;

typedef struct {
  CrSessionRecord *session;
  GPtrArray *rows;        /* CrSegmentRecord, the chain */
  GPtrArray *checks;      /* RowCheck */
  GPtrArray *events;      /* CrEventRecord, by time */
  GPtrArray *ledger;      /* CrEventRecord, by sequence */
  GPtrArray *markers;     /* CrMarkerRecord */
  CrVerifySession *summary;
  gboolean root_mismatch;
  char *head_now;         /* where the chain ends now, NULL when it cannot be told */
  /* The court archive's copy (archive-verify.c) rather than the room's
   * own files: problems speak of objects in the archive and of the
   * manifest, not of files on disk and the index. */
  gboolean archive_copy;
} SessionCheck;

void cr_verify_hash_job_free (HashJob *job);
void cr_verify_row_check_free (RowCheck *check);
void cr_verify_session_check_free (SessionCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SessionCheck, cr_verify_session_check_free)

/* An empty report. (transfer full) */
CrVerifyReport *cr_verify_report_new (void);
/* Starts @check's summary (from its session and rows) and adds it to
 * @report, which owns it. */
void cr_verify_summarize (CrVerifyReport *report, SessionCheck *check);

/* Adds a problem to @report and counts it against @session (may be NULL:
 * a file of no session). */
void cr_verify_add_problem (CrVerifyReport *report, CrVerifySession *session,
                            CrVerifyProblemKind kind, guint sequence, guint event,
                            const char *path, const char *format, ...)
    G_GNUC_PRINTF (7, 8);

/* Checks @check's rows against their links and the root, without the
 * files (those come later); fills check->checks. */
void cr_verify_check_chain (SessionCheck *check);

/* Judges @check once its files are hashed: each row against its file
 * (@unknown: files no row names, HashJob*, which may explain a missing
 * one), the ledger and the seal against @trusted (NULL: any key). */
void cr_verify_judge_session (CrVerifyReport *report, SessionCheck *check,
                              GPtrArray *unknown, const char *trusted);

/* Checks @ledger (the session's events by sequence, as
 * cr_segment_index_list_ledger gives them) link by link from @root, and
 * @markers against their events (NULL: a copy that keeps markers only as
 * their events, such as the court archive's manifest); names each event
 * edited, deleted, inserted or moved. */
void cr_verify_ledger (CrVerifyReport *report, CrVerifySession *summary,
                       const char *root, GPtrArray *ledger, GPtrArray *markers);

/* Reads a session's manifest as the court archive holds it
 * (session-manifest.h) into @check: the session, its segment rows (closed,
 * by sequence) and its ledger (by sequence), for the judge. FALSE with
 * @problem saying why when @text is not such a manifest (archive-verify.c). */
gboolean cr_archive_manifest_parse (const char *text, gssize length, SessionCheck *check,
                                    char **problem);

G_END_DECLS
