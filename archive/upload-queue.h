/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* upload-queue.h: the court archive's upload queue, kept in the index
 * (upload_queue, schema 8) so that it survives a restart, a crash and a
 * network down for days. One row per object for one [archive NAME]: a
 * closed segment, or a sealed session's manifest. A row is never deleted;
 * it ends verified, with the ETag the store showed back, which is what
 * allows local media to be deleted later (and nothing else does).
 *
 * Order: due rows oldest first, except that a jump-ahead row (the newest
 * segment of an ended session, its manifest) goes before the others.
 * Retries never end: each failure waits cr_upload_backoff_us (), up to
 * about ten minutes; what waits too long is the uploader's alarm. */
#pragma once

#include "archive/segment-index.h"

G_BEGIN_DECLS

typedef enum {
  CR_UPLOAD_QUEUED,      /* not tried yet */
  CR_UPLOAD_UPLOADING,   /* being sent; found so at start: a crash, ask the store */
  CR_UPLOAD_UNKNOWN,     /* sent, no answer: a HEAD settles it before any retry */
  CR_UPLOAD_VERIFIED,    /* the store showed the right size and ETag */
  CR_UPLOAD_FAILED,      /* the last attempt failed: tried again at next_try_at */
} CrUploadState;

const char *cr_upload_state_to_string (CrUploadState state);

typedef struct {
  gint64 id;
  char *archive;          /* the [archive NAME] */
  gint64 session_id;
  char *item;             /* "segment" or "manifest" */
  gint64 sequence;        /* the segment's; -1 for a manifest */
  char *path;             /* the local file */
  char *key;              /* the object key (ASCII, s3-client.h) */
  gint64 bytes;
  char *sha256;           /* hex */
  char *md5;              /* hex */
  gint64 part_bytes;      /* 0: one PUT; else multipart in parts of this size */
  gboolean jump_ahead;
  CrUploadState state;
  guint attempts;
  gint64 queued_at_us;
  gint64 next_try_at_us;
  char *last_error;       /* the store's or the network's words */
  char *reason;           /* a short class for counting: unreachable, refused, ... */
  char *upload_id;        /* a multipart upload under way */
  char *verified_etag;
  gint64 verified_at_us;  /* 0: not verified */
} CrUploadItem;

void cr_upload_item_free (CrUploadItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUploadItem, cr_upload_item_free)

/* Queues @item (archive, session_id, item, sequence, path, key, bytes,
 * sha256, md5, part_bytes, jump_ahead), due at once. An object already
 * queued for that archive and key is left as it is (a restart's second
 * enqueue is harmless): its id is returned. 0 on error. */
gint64 cr_upload_queue_add (CrSegmentIndex *index, const CrUploadItem *item,
                            gint64 now_us, GError **error);

/* The next row of @archive to work on at @now_us: unknown and uploading
 * first (they must be settled), then due queued or failed rows,
 * jump-ahead first, then oldest. NULL with no error: nothing due. */
CrUploadItem *cr_upload_queue_next (CrSegmentIndex *index, const char *archive,
                                    gint64 now_us, GError **error);

CrUploadItem *cr_upload_queue_get (CrSegmentIndex *index, gint64 id, GError **error);
/* Every row of @session_id, by id. (transfer full: CrUploadItem*) */
GPtrArray *cr_upload_queue_session (CrSegmentIndex *index, gint64 session_id,
                                    GError **error);

/* UPLOADING or UNKNOWN (counting an attempt when UPLOADING). */
gboolean cr_upload_queue_set_state (CrSegmentIndex *index, gint64 id, CrUploadState state,
                                    GError **error);
gboolean cr_upload_queue_set_upload_id (CrSegmentIndex *index, gint64 id,
                                        const char *upload_id, GError **error);
/* FAILED, tried again at @next_try_at_us; @reason counts it, @message says it. */
gboolean cr_upload_queue_fail (CrSegmentIndex *index, gint64 id, const char *reason,
                               const char *message, gint64 next_try_at_us, GError **error);
/* UNKNOWN: sent and no answer; a HEAD settles it at @next_try_at_us,
 * before anything is sent again. */
gboolean cr_upload_queue_unknown (CrSegmentIndex *index, gint64 id, const char *message,
                                  gint64 next_try_at_us, GError **error);
/* VERIFIED with the ETag a HEAD showed. */
gboolean cr_upload_queue_verified (CrSegmentIndex *index, gint64 id, const char *etag,
                                   gint64 at_us, GError **error);

/* The sessions with a closed segment or a seal not yet queued for
 * @archive (and media still here): what the uploader queues after a
 * segment closes, a seal, or a start. (transfer full: gint64 ids) */
GArray *cr_upload_queue_sessions_to_queue (CrSegmentIndex *index, const char *archive,
                                           GError **error);
/* The sessions with a row of @archive not verified yet, oldest first.
 * (transfer full: gint64 ids) */
GArray *cr_upload_queue_waiting_sessions (CrSegmentIndex *index, const char *archive,
                                          GError **error);
/* Whether @archive has a row for @key. */
gboolean cr_upload_queue_has (CrSegmentIndex *index, const char *archive, const char *key,
                              gboolean *has, GError **error);

/* What status and /metrics show of one archive's queue (NULL: all). */
typedef struct {
  guint length;             /* rows not verified */
  gint64 bytes;             /* their bytes: local media that must stay */
  gint64 oldest_queued_at_us;  /* 0: none waiting */
  gint64 last_success_us;   /* the last verified row's time; 0: none */
  GHashTable *failures;     /* reason -> GUINT_TO_POINTER (rows failed for it) */
} CrUploadQueueStats;

void cr_upload_queue_stats_clear (CrUploadQueueStats *stats);
gboolean cr_upload_queue_stats (CrSegmentIndex *index, const char *archive,
                                CrUploadQueueStats *stats, GError **error);

/* How long the @attempts-th failure waits: 5 s doubled each time up to
 * 600 s, then a random part of it from half to all (@random in 0..1), so
 * that many rooms back online at once do not all try together. */
gint64 cr_upload_backoff_us (guint attempts, double random);

/* Where a session's objects go in the bucket: PREFIX/ROOM/YYYY-MM-DD/
 * HHMMSSZ-SESSION (@prefix may be empty), ASCII whatever the case number
 * is. The start's time as well as the session's number: a room whose index
 * was made anew (a new disk) numbers its sessions from 1 again, and its
 * uploads must not land on the keys of the old ones. The uploader writes
 * under it and `archive verify` reads back from it. (transfer full) */
char *cr_upload_session_key (const char *prefix, const char *room_id,
                             const CrSessionRecord *session);
/* The key of segment @sequence of the session at @session_key: its
 * number, six digits, and the extension of its file (@path) when that is
 * ASCII a key may hold: ".../000042.mkv". (transfer full) */
char *cr_upload_segment_key (const char *session_key, guint sequence, const char *path);
/* The key of the session's manifest (session-manifest.h). (transfer full) */
char *cr_upload_manifest_key (const char *session_key);

/* When a session's objects may be deleted at the earliest, in a bucket
 * with Object Lock: its start (UTC, to the second) plus @years, so that
 * every object of one hearing, and one sent again after a crash, carries
 * the same date; 29 February ends on the 28th in a common year. Unix
 * seconds; 0 when the start is no date. */
gint64 cr_upload_retain_until (gint64 started_us, guint years);

G_END_DECLS
