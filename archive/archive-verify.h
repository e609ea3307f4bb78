/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* archive-verify.h: a session read back from the court archive and
 * verified from the archive's copy alone, as an archivist must be able to
 * in ten years when the room's disk is long gone. Its manifest
 * (session-manifest.h) gives the session's row, every segment's row and
 * link, the ledger and the seal; each segment's object is fetched, one at
 * a time, and hashed; then the chain is recomputed from the root link by
 * link and the seal's signature checked, by the judge that verifies the
 * room's own archive (verify-private.h), so that the two can never
 * disagree on what intact means.
 *
 * When the room's own row of the session is at hand, its sealed head is
 * also compared with the archive's: a copy sealed anew, or another
 * session's copy under this one's key, is named. */
#pragma once

#include "archive/s3-client.h"
#include "archive/verify.h"

G_BEGIN_DECLS

typedef struct {
  CrS3Client *client;
  const char *bucket;
  const char *session_key;         /* the session's place, cr_upload_session_key () */
  gint64 session_id;               /* what the report calls it before the manifest is
                                      read; 0: from the key's last part */
  const char *trusted_public_key;  /* hex; NULL: any key whose signature matches */
  const CrSessionRecord *local;    /* the room's own row of it, or NULL */
  const char *work_dir;            /* where each object is fetched, then removed */
} CrArchiveVerifyRequest;

/* The biggest manifest read back: a day's hearing in 10 s segments is
 * about 3 MB of it. */
#define CR_ARCHIVE_MANIFEST_MAX_BYTES (64 * 1024 * 1024)

/* Verifies the archive's copy of one session. Only a store that cannot be
 * asked (unreachable, no answer, refusing to read) or a local file that
 * cannot be written is an error; an object missing, changed or a manifest
 * that is not one is a problem in the report. (transfer full) */
CrVerifyReport *cr_archive_verify_session (const CrArchiveVerifyRequest *request,
                                           GError **error);

G_END_DECLS
