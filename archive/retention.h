/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* retention.h: the court's disk policy for recordings it has archived
 * elsewhere. What retention deletes is media files; the index keeps every
 * row of the session (its segment rows move to purged_segments), so the
 * hearing's record, its events and its signed chain stay checkable after
 * the media are gone.
 *
 * The rule. A room without an [archive NAME]: only sessions the court
 * marked archived (courtrec archived: stopped, sealed and verified intact)
 * lose their media. A room with one or more: a session's media go only
 * when every segment of its chain and its manifest are verified in every
 * archive (the upload queue's rows, archive/upload-queue.h: the store
 * showed the right size and ETag), and then whether or not the court
 * marked it archived, since the archive's verified copy is what the mark
 * stands for (retention records the mark then, an "archived" event
 * {"verified_in": [NAME, ...], "by": "retention"}); a session with any object not verified in any archive keeps
 * every file, even when marked archived, and each file says why. A session
 * goes whole or not at all: its rows move to the purged record together. */
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
  /* With archives configured: */
  GHashTable *archived_as; /* deleted PATH -> "verified in archive NAME as KEY, ETag
                              E" (each archive, "; " between) */
  GPtrArray *kept;        /* (element-type utf8) "PATH: why", files kept because
                             the archives do not hold the session yet */
} CrRetentionItem;

void cr_retention_item_free (CrRetentionItem *item);

/* Deletes the media of every session that stopped before @cutoff_us and
 * that the rule above allows, and of nothing else; @archives: the names
 * of the room's [archive NAME]s (NULL-terminated; NULL or empty: none).
 * With archives, each stopped session before the cutoff that is not
 * wholly verified is an item too, its files in kept with why. With
 * @dry_run, only says what it would delete. Only files under recordings/
 * named by the session's rows are touched, and only regular files (never
 * a symbolic link). Rows are moved first, then files deleted, so a run
 * cut short is finished by the next.
 * (transfer full) (element-type CrRetentionItem) */
GPtrArray *cr_retention_run (CrSegmentIndex *index, const char *storage_dir,
                             const char *const *archives, gint64 cutoff_us,
                             gboolean dry_run, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRetentionItem, cr_retention_item_free)

G_END_DECLS
