/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s3-client-private.h: what s3-client.c and s3-multipart.c share: one
 * signed request, its body and the store's answer. */
#pragma once

#include <stdio.h>
#include <curl/curl.h>

#include "archive/s3-client.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FILE, fclose)

typedef struct {
  const char *method;       /* "GET", "PUT", "POST", "HEAD", "DELETE" */
  const char *bucket;
  const char *key;          /* NULL: the bucket itself */
  const char *query;        /* canonical (sorted, "key=" for empty values), no '?' */
  struct curl_slist *headers;  /* besides x-amz-content-sha256 (not freed) */
  const char *payload_sha256;  /* hex; NULL: the empty body's */
  /* The body: bytes @body_offset to + @body_length of @body_file, or the
   * @body_text of @body_length bytes. */
  FILE *body_file;
  gint64 body_offset;
  gint64 body_length;
  const char *body_text;
  /* GET: the object goes here. */
  FILE *out_file;
} CrS3Request;

/* Sends @request; TRUE for a 2xx answer. The answer's XML body (an error,
 * a part list) in @body when not NULL. */
gboolean cr_s3_perform (CrS3Client *client, const CrS3Request *request, CrS3Reply *reply,
                        GString **body, GError **error);

/* The MD5 (base64) and SHA-256 (hex) of @length bytes of @file from
 * @offset, and the MD5 in hex in @md5_hex (each may be NULL). */
gboolean cr_s3_hash_range (FILE *file, const char *path, gint64 offset, gint64 length,
                           char **md5_base64, char **md5_hex, char **sha256_hex,
                           GError **error);

/* Text of the first element named @name in @xml, NULL when none. */
char *cr_s3_xml_text (const char *xml, gsize length, const char *name);

/* Adds "x-amz-meta-*" and the lock headers of @options to @headers. */
gboolean cr_s3_add_object_headers (struct curl_slist **headers,
                                   const CrS3PutOptions *options, GError **error);

G_END_DECLS
