/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* retention.h: the court's disk policy for recordings it has archived
 * elsewhere. Nothing is deleted that the court has not marked archived, and
 * a session is marked archived only when it is stopped, sealed and verifies
 * intact. What retention deletes is media files; the index keeps every row
 * of the session (its segment rows move to purged_segments), so the hearing's
 * record, its events and its signed chain stay checkable after the media
 * are gone. */
#pragma once

#include "archive/segment-index.h"
#include "archive/verify.h"

G_BEGIN_DECLS

#define CR_RETENTION_ERROR (cr_retention_error_quark ())
GQuark cr_retention_error_quark (void);

typedef enum {
  CR_RETENTION_ERROR_REFUSED,     /* not stopped, or not sealed */
  CR_RETENTION_ERROR_NOT_INTACT,  /* verification found problems */
  CR_RETENTION_ERROR_FAILED,      /* the index or the disk failed */
} CrRetentionError;

/* Verifies @session_id (files under @storage_dir; seals against
 * @trusted_public_key when not NULL) and, when intact, marks it archived
 * with an "archived" event carrying @note (may be NULL). A session already
 * marked is left as it is. @report: (out) (optional) (transfer full) the
 * verification, also when it failed. */
gboolean cr_retention_mark_archived (CrSegmentIndex *index,
                                     const char *storage_dir,
                                     gint64 session_id,
                                     const char *trusted_public_key,
                                     const char *note,
                                     CrVerifyReport **report, GError **error);

typedef struct {
  gint64 session_id;
  char *case_no;
  gint64 stopped_us;
  GPtrArray *deleted;     /* (element-type utf8) paths relative to the storage dir */
  gint64 bytes;           /* in the files deleted */
  guint rows;             /* segment rows moved to the purged record */
  GPtrArray *failed;      /* (element-type utf8) "PATH: why", kept files */
} CrRetentionItem;

void cr_retention_item_free (CrRetentionItem *item);

/* Deletes the media of every session marked archived that stopped before
 * @cutoff_us, and of nothing else; with @dry_run, only says what it would
 * delete. Only files under recordings/ named by the session's rows are
 * touched, and only regular files (never a symbolic link). Rows are moved
 * first, then files deleted, so a run cut short is finished by the next.
 * (transfer full) (element-type CrRetentionItem) */
GPtrArray *cr_retention_run (CrSegmentIndex *index, const char *storage_dir,
                             gint64 cutoff_us, gboolean dry_run,
                             GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRetentionItem, cr_retention_item_free)

G_END_DECLS
