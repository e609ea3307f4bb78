/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify-private.h: what the files of verification share: verify.c judges
 * the files, the segment chain and the seal; verify-ledger.c the session's
 * ledger, its events and markers against their links. */
#pragma once

#include "archive/verify.h"

G_BEGIN_DECLS

/* Adds a problem to @report and counts it against @session (may be NULL:
 * a file of no session). */
void cr_verify_add_problem (CrVerifyReport *report, CrVerifySession *session,
                            CrVerifyProblemKind kind, guint sequence, guint event,
                            const char *path, const char *format, ...)
    G_GNUC_PRINTF (7, 8);

/* Checks @ledger (the session's events by sequence, as
 * cr_segment_index_list_ledger gives them) link by link from @root, and
 * @markers against their events; names each event edited, deleted,
 * inserted or moved. */
void cr_verify_ledger (CrVerifyReport *report, CrVerifySession *summary,
                       const char *root, GPtrArray *ledger, GPtrArray *markers);

G_END_DECLS
