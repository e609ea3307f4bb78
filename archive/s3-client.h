/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s3-client.h: the court archive's object store, spoken to over S3 with
 * libcurl's SigV4 signing (Debian 12's 7.88; tested against Ceph's RADOS
 * Gateway 16.2). Every body is sent with Content-MD5 and its real
 * x-amz-content-sha256, so the store refuses a body damaged on the way
 * (BadDigest, XAmzContentSHA256Mismatch); large files go in multipart
 * parts that a restarted uploader finds again with ListParts.
 *
 * Calls block until the store answers or the transfer stalls: they are
 * meant for an uploader thread of its own, never the main loop or a
 * streaming thread. A client is one connection: one client per thread.
 *
 * What the caller must know about outcomes (CrS3Error): a refusal is the
 * store's answer; UNKNOWN means the request went out and no answer came (a
 * timeout, a reset): the object may or may not be stored, and only a HEAD
 * settles it (a stopped OSD was seen to finish a PUT whose client had
 * given up). A CompleteMultipartUpload answer from RGW 16.2 carries an
 * empty ETag: verify with HEAD, never with that answer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_S3_ERROR (cr_s3_error_quark ())
GQuark cr_s3_error_quark (void);

typedef enum {
  CR_S3_ERROR_INVALID,      /* refused by the client, nothing sent: a key, a bucket,
                               metadata, a part number */
  CR_S3_ERROR_IO,           /* the local file could not be read or written */
  CR_S3_ERROR_UNREACHABLE,  /* nothing reached the store (no connection): safe to retry */
  CR_S3_ERROR_REFUSED,      /* the store answered no: see the reply's status and code */
  CR_S3_ERROR_NOT_FOUND,    /* 404: no such bucket, key or upload */
  CR_S3_ERROR_UNKNOWN,      /* sent, no answer (timeout, reset): HEAD before anything else */
} CrS3Error;

typedef struct CrS3Client CrS3Client;

typedef struct {
  const char *endpoint;     /* "http://127.0.0.1:7480" or https://..., path-style */
  const char *region;       /* "us-east-1"; RGW takes any */
  const char *access_key;
  const char *secret_key;   /* a secret: never logged (config/archive-secret.h) */
  guint connect_timeout_seconds;   /* 0: 10 */
  guint stall_seconds;      /* no byte either way for this long: UNKNOWN; 0: 30, or
                               $COURTREC_S3_STALL_SECONDS (for tests: 1 to 3600) */
  guint64 max_send_bytes_per_second;  /* the bandwidth cap; 0: none */
  /* The owner's stop: once it holds 1 (g_atomic_int_set), a transfer
   * under way ends within about a second and none starts, UNKNOWN (a
   * stopping uploader must not first finish a segment over a slow link).
   * NULL: none. */
  const gint *cancel;
} CrS3Config;

/* What the store said, filled by every call (also on failure, as far as
 * an answer came). */
typedef struct {
  long status;              /* HTTP status; 0 when no answer came */
  char *code;               /* the S3 error code ("BadDigest"), NULL when none */
  char *message;            /* the store's error message, or NULL */
  char *request_id;
  char *etag;               /* without quotes */
  char *version_id;         /* x-amz-version-id, in a versioned bucket */
  gint64 size;              /* HEAD/GET: the object's length; -1 unknown */
  GHashTable *metadata;     /* HEAD: NAME -> value of x-amz-meta-NAME, decoded */
  char *lock_mode;          /* HEAD: x-amz-object-lock-mode */
  char *lock_retain_until;  /* HEAD: x-amz-object-lock-retain-until-date */
  gint64 date;              /* the answer's Date (the store's clock), Unix seconds;
                               0 when none came */
} CrS3Reply;

#define CR_S3_REPLY_INIT { 0, NULL, NULL, NULL, NULL, NULL, -1, NULL, NULL, NULL, 0 }

void cr_s3_reply_clear (CrS3Reply *reply);

typedef struct {
  const char *sha256_hex;   /* the body's SHA-256 when known (a segment's is): sent
                               and signed as x-amz-content-sha256; NULL: computed */
  const char *content_md5;  /* base64 MD5 when known; NULL: computed */
  const char *content_type; /* NULL: application/octet-stream */
  const char *const *metadata;  /* NULL-terminated NAME, VALUE pairs: x-amz-meta-NAME.
                               NAME: [a-z0-9-], none a prefix of another; VALUE:
                               UTF-8, sent percent-encoded outside printable ASCII;
                               an empty VALUE is not sent */
  const char *lock_mode;    /* "COMPLIANCE" or "GOVERNANCE" with lock_retain_until */
  gint64 lock_retain_until; /* Unix seconds */
} CrS3PutOptions;

/* A part of a multipart upload, as the store lists it. */
typedef struct {
  guint number;             /* 1 to 10000 */
  gint64 size;
  char *etag;               /* without quotes: the part's MD5 in hex */
} CrS3Part;

/* The most parts an upload has and the least a part other than the last
 * may hold (S3's limits). */
#define CR_S3_MAX_PARTS 10000
#define CR_S3_MIN_PART_BYTES (5 * 1024 * 1024)

CrS3Client *cr_s3_client_new (const CrS3Config *config, GError **error);
void cr_s3_client_free (CrS3Client *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrS3Client, cr_s3_client_free)

/* How long no byte may go either way before a call gives up with
 * CR_S3_ERROR_UNKNOWN: also how long a caller gives a store to finish what
 * it may still be doing for a call that ended so. */
guint cr_s3_client_get_stall_seconds (CrS3Client *client);

/* Object keys are ASCII: [A-Za-z0-9._~-] in segments separated by single
 * '/', no "." or ".." segment, at most 1024 bytes (case numbers go in
 * metadata, not keys). Such a key needs no encoding, so what is signed is
 * what is sent. Buckets: 3 to 63 of [a-z0-9.-], starting and ending with a
 * letter or digit. */
gboolean cr_s3_key_validate (const char *key, GError **error);
gboolean cr_s3_bucket_validate (const char *bucket, GError **error);

/* Creates @bucket; with @object_lock the bucket holds Object Lock (and so
 * versioning), which RGW 16.2 can only give a bucket at its creation. An
 * existing bucket of ours is not an error. */
gboolean cr_s3_bucket_create (CrS3Client *client, const char *bucket, gboolean object_lock,
                              CrS3Reply *reply, GError **error);

/* PUTs the file @path as @key in one request. */
gboolean cr_s3_put_object (CrS3Client *client, const char *bucket, const char *key,
                           const char *path, const CrS3PutOptions *options,
                           CrS3Reply *reply, GError **error);

/* HEAD: size, ETag, metadata, lock in @reply; CR_S3_ERROR_NOT_FOUND when
 * the key is not there. */
gboolean cr_s3_head_object (CrS3Client *client, const char *bucket, const char *key,
                            CrS3Reply *reply, GError **error);

/* GETs @key into @path (written beside it and renamed, so @path is either
 * the whole object or untouched). */
gboolean cr_s3_get_object (CrS3Client *client, const char *bucket, const char *key,
                           const char *path, CrS3Reply *reply, GError **error);

/* DELETEs @key, or one version of it when @version_id is not NULL (in a
 * locked bucket: refused with AccessDenied while the retention holds). */
gboolean cr_s3_delete_object (CrS3Client *client, const char *bucket, const char *key,
                              const char *version_id, CrS3Reply *reply, GError **error);

/* Sets @version_id of @key under @mode ("COMPLIANCE" or "GOVERNANCE")
 * until @retain_until (Unix seconds): PUT ?retention. RGW 16.2 takes the
 * lock headers of a multipart create without a word and completes the
 * object unlocked, so parts are locked afterwards with this. A date
 * earlier than the one held is refused (AccessDenied): COMPLIANCE only
 * grows. */
gboolean cr_s3_put_retention (CrS3Client *client, const char *bucket, const char *key,
                              const char *version_id, const char *mode, gint64 retain_until,
                              CrS3Reply *reply, GError **error);

/* Multipart (s3-multipart.c). The upload ID is the caller's to keep (in the
 * index): with it and ListParts an upload goes on after a crash. @options'
 * metadata and lock are sent at create (RGW 16.2 drops the lock: see
 * cr_s3_put_retention); its hashes are not used. */
char *cr_s3_multipart_create (CrS3Client *client, const char *bucket, const char *key,
                              const CrS3PutOptions *options, CrS3Reply *reply,
                              GError **error);

/* Sends bytes @offset to @offset + @length of @path as part @number, with
 * their Content-MD5 and SHA-256; its ETag in @reply. */
gboolean cr_s3_multipart_upload_part (CrS3Client *client, const char *bucket,
                                      const char *key, const char *upload_id, guint number,
                                      const char *path, gint64 offset, gint64 length,
                                      CrS3Reply *reply, GError **error);

/* The parts the store holds for @upload_id, by number (every page).
 * (transfer full: a GArray of CrS3Part, cleared with it) */
GArray *cr_s3_multipart_list_parts (CrS3Client *client, const char *bucket, const char *key,
                                    const char *upload_id, CrS3Reply *reply, GError **error);

/* Completes with @parts (CrS3Part, by number). */
gboolean cr_s3_multipart_complete (CrS3Client *client, const char *bucket, const char *key,
                                   const char *upload_id, GArray *parts, CrS3Reply *reply,
                                   GError **error);

gboolean cr_s3_multipart_abort (CrS3Client *client, const char *bucket, const char *key,
                                const char *upload_id, CrS3Reply *reply, GError **error);

/* The ETag the store gives @path once uploaded in parts of @part_bytes
 * (0: in one PUT): the MD5 in hex, or for parts MD5(part MD5s)-N, what a
 * HEAD is compared with. (transfer full) */
char *cr_s3_expected_etag (const char *path, gint64 part_bytes, GError **error);

G_END_DECLS
