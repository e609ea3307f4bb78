/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uploader-private.h: what uploader.c (the thread, its queue, its status)
 * and uploader-send.c (one item's attempt at the store) share. */
#pragma once

#include "archive/s3-client.h"
#include "archive/segment-index.h"
#include "archive/upload-queue.h"
#include "recorder/uploader.h"

G_BEGIN_DECLS

struct CrUploader {
  const CrArchiveConfig *config;
  char *room_id;
  const CrConfig *room;         /* for the hearing report in manifests, or NULL */
  char *index_path;
  char *storage_dir;
  char *access_key;
  char *secret_key;
  /* the uploader thread's own */
  gboolean store_lost;          /* a transfer found nothing there */
  gboolean bucket_locked;       /* the bucket took the canary's lock headers: every
                                   object goes with its session's retention */

  GThread *thread;
  gint cancel;                  /* set once, at free: ends the store's transfers (atomic) */
  GMutex lock;                  /* guards what follows */
  GCond wake;
  gboolean stopping;
  guint pokes;                  /* cr_uploader_poke calls, counted: the thread compares
                                   it with what its last look at the queue saw */
  /* the last look at the queue, for status and /metrics */
  CrUploadQueueStats stats;
  char *last_error;
  char *key_problem;            /* why the key files cannot be read, or NULL */
  gboolean window_open;
  /* what the store said when it last answered again */
  char *lock_problem;           /* why its lock is not proven, or NULL */
  double clock_offset;          /* store minus local, seconds */
  guint clock_measures;         /* how many were taken */
  guint clock_logged;           /* how many the recorder has logged */
};

/* Waits @seconds unless the uploader stops (pokes do not end it); FALSE
 * when stopping. */
gboolean cr_uploader_pause (CrUploader *uploader, guint seconds);
/* How long to wait after the @attempts-th failure, with jitter. */
gint64 cr_uploader_backoff (guint attempts);
/* The file's MD5 in hex, or of @length bytes from @offset (-1: to the
 * end). (transfer full) */
char *cr_uploader_file_md5 (const char *path, gint64 offset, gint64 length, GError **error);
/* @item was not sent for @error: counted by reason, tried again after a
 * backoff; *@last_error replaced. */
void cr_uploader_record_failure (CrUploader *uploader, CrSegmentIndex *index,
                                 CrUploadItem *item, const GError *error, char **last_error);
/* One attempt at @item: settle what the store holds, send if needed,
 * verify; a failure is recorded (cr_uploader_record_failure). */
void cr_uploader_work_on (CrUploader *uploader, CrS3Client *client, CrSegmentIndex *index,
                          CrUploadItem *item, char **last_error);

G_END_DECLS
