/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s3-object.c: the single-object calls of CrS3Client (s3-client.h): a
 * bucket, PUT, HEAD, GET, DELETE. */
#include "archive/s3-client-private.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>


/* Every call fills the caller's reply, or a scratch one when it gave none. */
#define REPLY(reply, scratch) ((reply) != NULL ? (cr_s3_reply_clear (reply), (reply)) : (scratch))

static gboolean
names_valid (const char *bucket, const char *key, GError **error)
{
  return cr_s3_bucket_validate (bucket, error) && (key == NULL || cr_s3_key_validate (key, error));
}

gboolean
cr_s3_bucket_create (CrS3Client *client, const char *bucket, gboolean object_lock,
                     CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  struct curl_slist *headers = NULL;
  CrS3Request request = { .method = "PUT", .bucket = bucket };
  g_autoptr (GError) local_error = NULL;
  gboolean ok;

  g_return_val_if_fail (client != NULL, FALSE);
  if (!names_valid (bucket, NULL, error))
    return FALSE;
  if (object_lock)
    headers = curl_slist_append (headers, "x-amz-bucket-object-lock-enabled: true");
  request.headers = headers;
  ok = cr_s3_perform (client, &request, r, NULL, &local_error);
  curl_slist_free_all (headers);
  if (!ok && r->code != NULL && strcmp (r->code, "BucketAlreadyOwnedByYou") == 0)
    ok = TRUE;
  else if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  cr_s3_reply_clear (&scratch);
  return ok;
}

gboolean
cr_s3_put_object (CrS3Client *client, const char *bucket, const char *key, const char *path,
                  const CrS3PutOptions *options, CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  g_autoptr (FILE) file = NULL;
  g_autofree char *md5 = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *md5_line = NULL;
  g_autofree char *type_line = NULL;
  struct curl_slist *headers = NULL;
  struct stat st;
  CrS3Request request = { .method = "PUT", .bucket = bucket, .key = key };
  gboolean ok = FALSE;

  g_return_val_if_fail (client != NULL && path != NULL, FALSE);
  if (!names_valid (bucket, key, error))
    return FALSE;
  if (options != NULL && options->sha256_hex != NULL
      && (strlen (options->sha256_hex) != 64
          || strspn (options->sha256_hex, "0123456789abcdef") != 64))
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "the SHA-256 given for %s is not 64 lowercase hex digits", path);
      return FALSE;
    }
  file = fopen (path, "rb");
  if (file == NULL || fstat (fileno (file), &st) != 0 || !S_ISREG (st.st_mode))
    {
      int saved_errno = errno;

      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot open %s to upload: %s", path,
                   file == NULL ? g_strerror (saved_errno) : "not a regular file");
      return FALSE;
    }
  /* One pass for what the caller does not know yet; a segment's SHA-256
   * is known, its MD5 is not. */
  if ((options == NULL || options->content_md5 == NULL || options->sha256_hex == NULL)
      && !cr_s3_hash_range (file, path, 0, st.st_size, &md5, NULL,
                            options == NULL || options->sha256_hex == NULL ? &sha256 : NULL,
                            error))
    return FALSE;
  md5_line = g_strdup_printf ("Content-MD5: %s", options != NULL && options->content_md5 != NULL
                                                 ? options->content_md5 : md5);
  type_line = g_strdup_printf ("Content-Type: %s", options != NULL && options->content_type != NULL
                                                   ? options->content_type
                                                   : "application/octet-stream");
  headers = curl_slist_append (headers, md5_line);
  headers = curl_slist_append (headers, type_line);
  if (cr_s3_add_object_headers (&headers, options, error))
    {
      request.headers = headers;
      request.payload_sha256 = options != NULL && options->sha256_hex != NULL
                               ? options->sha256_hex : sha256;
      request.body_file = file;
      request.body_offset = 0;
      request.body_length = st.st_size;
      ok = cr_s3_perform (client, &request, r, NULL, error);
    }
  curl_slist_free_all (headers);
  cr_s3_reply_clear (&scratch);
  return ok;
}

gboolean
cr_s3_head_object (CrS3Client *client, const char *bucket, const char *key,
                   CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  CrS3Request request = { .method = "HEAD", .bucket = bucket, .key = key };
  gboolean ok;

  g_return_val_if_fail (client != NULL, FALSE);
  if (!names_valid (bucket, key, error))
    return FALSE;
  ok = cr_s3_perform (client, &request, r, NULL, error);
  cr_s3_reply_clear (&scratch);
  return ok;
}

gboolean
cr_s3_get_object (CrS3Client *client, const char *bucket, const char *key, const char *path,
                  CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  g_autofree char *partial = g_strdup_printf ("%s.partial", path);
  CrS3Request request = { .method = "GET", .bucket = bucket, .key = key };
  FILE *file;
  gboolean ok;

  g_return_val_if_fail (client != NULL && path != NULL, FALSE);
  if (!names_valid (bucket, key, error))
    return FALSE;
  file = fopen (partial, "wb");
  if (file == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot write %s: %s", partial,
                   g_strerror (saved_errno));
      return FALSE;
    }
  request.out_file = file;
  ok = cr_s3_perform (client, &request, r, NULL, error);
  if (fclose (file) != 0 && ok)
    {
      int saved_errno = errno;

      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot write %s: %s", partial,
                   g_strerror (saved_errno));
      ok = FALSE;
    }
  if (ok && g_rename (partial, path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot rename %s: %s", partial,
                   g_strerror (saved_errno));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (partial);
  cr_s3_reply_clear (&scratch);
  return ok;
}

gboolean
cr_s3_delete_object (CrS3Client *client, const char *bucket, const char *key,
                     const char *version_id, CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  CrS3Request request = { .method = "DELETE", .bucket = bucket, .key = key };
  g_autofree char *query = NULL;
  gboolean ok;

  g_return_val_if_fail (client != NULL, FALSE);
  if (!names_valid (bucket, key, error))
    return FALSE;
  if (version_id != NULL)
    {
      char *escaped = curl_easy_escape (NULL, version_id, 0);

      query = g_strdup_printf ("versionId=%s", escaped);
      curl_free (escaped);
      request.query = query;
    }
  ok = cr_s3_perform (client, &request, r, NULL, error);
  cr_s3_reply_clear (&scratch);
  return ok;
}

gboolean
cr_s3_put_retention (CrS3Client *client, const char *bucket, const char *key,
                     const char *version_id, const char *mode, gint64 retain_until,
                     CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  CrS3Request request = { .method = "PUT", .bucket = bucket, .key = key };
  g_autoptr (GDateTime) until = NULL;
  g_autofree char *date = NULL;
  g_autofree char *body = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *md5_line = NULL;
  g_autofree char *query = NULL;
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize digest_length = sizeof digest;
  struct curl_slist *headers = NULL;
  char *escaped;
  gboolean ok;

  g_return_val_if_fail (client != NULL && version_id != NULL && mode != NULL, FALSE);
  if (!names_valid (bucket, key, error))
    return FALSE;
  until = g_date_time_new_from_unix_utc (retain_until);
  if ((strcmp (mode, "COMPLIANCE") != 0 && strcmp (mode, "GOVERNANCE") != 0) || until == NULL)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "the retention \"%.32s\" is refused: expected COMPLIANCE or GOVERNANCE "
                   "and a date", mode);
      return FALSE;
    }
  date = g_date_time_format (until, "%Y-%m-%dT%H:%M:%SZ");
  body = g_strdup_printf ("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                          "<Mode>%s</Mode><RetainUntilDate>%s</RetainUntilDate></Retention>",
                          mode, date);
  sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, body, -1);
  g_checksum_update (md5, (const guchar *) body, strlen (body));
  g_checksum_get_digest (md5, digest, &digest_length);
  {
    g_autofree char *md5_base64 = g_base64_encode (digest, digest_length);

    md5_line = g_strdup_printf ("Content-MD5: %s", md5_base64);
  }
  /* Canonical, as libcurl 7.88 signs the query as written: sorted, and
   * "retention=" for the empty value. */
  escaped = curl_easy_escape (NULL, version_id, 0);
  query = g_strdup_printf ("retention=&versionId=%s", escaped);
  curl_free (escaped);
  headers = curl_slist_append (headers, "Content-Type: application/xml");
  headers = curl_slist_append (headers, md5_line);
  request.query = query;
  request.headers = headers;
  request.payload_sha256 = sha256;
  request.body_text = body;
  request.body_length = (gint64) strlen (body);
  ok = cr_s3_perform (client, &request, r, NULL, error);
  curl_slist_free_all (headers);
  cr_s3_reply_clear (&scratch);
  return ok;
}
