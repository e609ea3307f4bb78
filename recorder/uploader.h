/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uploader.h: store-and-forward to one [archive NAME] bucket. A thread of
 * its own, with its own connection to the index, queues every closed
 * segment and every sealed session's manifest (archive/upload-queue.h) and
 * sends them, oldest first, to the bucket (archive/s3-client.h). An object
 * counts only once a HEAD shows its size and ETag; a lost answer is
 * settled by a HEAD before anything is sent again; a multipart upload
 * goes on after a crash with ListParts. In a bucket whose Object Lock the
 * canary proved (uploader-checks.h), every object goes under COMPLIANCE
 * until its session's start plus [archive] lock_retain_years, and counts
 * only once a HEAD shows that too. Nothing here runs on a streaming
 * thread or the main loop's network: the recording never waits for it.
 *
 * Keys are ASCII: PREFIX/ROOM/YYYY-MM-DD/HHMMSSZ-SESSION/NNNNNN.mkv and
 * .../manifest.json (the session's start, UTC); the case number goes
 * in x-amz-meta-courtrec-case, percent-encoded by the client. */
#pragma once

#include <json-glib/json-glib.h>

#include "config/config.h"

G_BEGIN_DECLS

typedef struct CrUploader CrUploader;

/* Starts the thread, which reads the key files itself and, while they
 * cannot be read (missing, or open to others), tries again every
 * POLL_SECONDS: a bad key file costs the archive its uploads, never the
 * room its recording (cr_uploader_dup_key_problem). @room: the room's
 * config, whose hearing report goes into each manifest (NULL: none; it
 * must outlive the uploader); @index_path: the room's index;
 * @storage_dir: what segment paths are relative to, and where manifests
 * are written (archive-manifests/). */
CrUploader *cr_uploader_new (const CrArchiveConfig *config, const char *room_id,
                             const CrConfig *room, const char *index_path,
                             const char *storage_dir);
/* Stops the thread (an upload under way is abandoned: its row stays
 * "uploading" and is settled at the next start) and frees. */
void cr_uploader_free (CrUploader *uploader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUploader, cr_uploader_free)

/* Something was closed or sealed: look for it now rather than at the
 * next poll. Cheap, from any thread. */
void cr_uploader_poke (CrUploader *uploader);

const char *cr_uploader_get_name (CrUploader *uploader);

/* What the last look at the queue found, as status's "archive" members
 * {"name", "queue_length", "queue_bytes", "oldest_age_seconds",
 * "failures": {reason: n}, "last_success", "last_error", "window_open",
 * "window_opens" (local "HH:MM" while closed), "lock_problem",
 * "clock_offset_seconds"}. */
void cr_uploader_add_status (CrUploader *uploader, JsonBuilder *builder);
/* The bytes waiting, which local media must keep (the disk's runway). */
gint64 cr_uploader_get_queue_bytes (CrUploader *uploader);
guint cr_uploader_get_queue_length (CrUploader *uploader);
/* Seconds the oldest waiting item has waited; 0 when none. */
gint64 cr_uploader_get_oldest_age_seconds (CrUploader *uploader);
/* The failures counted by reason. (transfer full: reason -> count) */
GHashTable *cr_uploader_dup_failures (CrUploader *uploader);
/* Why the key files cannot be read (names the file, never a secret), or
 * NULL once they have been. (transfer full) */
char *cr_uploader_dup_key_problem (CrUploader *uploader);
/* Why the bucket's Object Lock is not proven (object_lock = auto), or NULL
 * while it held at the last check. (transfer full) */
char *cr_uploader_dup_lock_problem (CrUploader *uploader);
/* The store's clock minus this one's, in seconds, as last measured; TRUE
 * while that measure (*@measure) is not logged yet. Nothing is sent to the
 * store after a measure until the recorder says it is logged
 * (cr_uploader_clock_logged), or for 5 s at most: a busy main loop delays
 * the archive a little, never for good. */
gboolean cr_uploader_peek_clock_offset (CrUploader *uploader, double *offset_seconds,
                                        guint *measure);
/* The recorder logged @measure: the uploads may go on. */
void cr_uploader_clock_logged (CrUploader *uploader, guint measure);
/* The last verified object's UTC time (µs); 0 when none. */
gint64 cr_uploader_get_last_success_us (CrUploader *uploader);

G_END_DECLS
