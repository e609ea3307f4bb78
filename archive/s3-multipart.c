/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s3-multipart.c: multipart uploads of CrS3Client (s3-client.h), the path
 * that survives a crash: each part is stored on its own (Content-MD5 and
 * SHA-256 checked by the store), ListParts tells a restarted uploader which
 * ones the store holds, and only Complete makes the object visible, so no
 * partial object is ever there to be mistaken for the recording. */
#include "archive/s3-client-private.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define REPLY(reply, scratch) ((reply) != NULL ? (cr_s3_reply_clear (reply), (reply)) : (scratch))

static gboolean
names_valid (const char *bucket, const char *key, const char *upload_id, GError **error)
{
  if (!cr_s3_bucket_validate (bucket, error) || !cr_s3_key_validate (key, error))
    return FALSE;
  if (upload_id != NULL && *upload_id != '\0' && strlen (upload_id) <= 1024)
    return TRUE;
  g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID, "the upload ID is empty or too long");
  return FALSE;
}

/* "uploadId=<encoded>", and before it (sorted, as 7.88 signs it as
 * written) @before when not NULL. */
static char *
upload_query (const char *before, const char *upload_id)
{
  char *escaped = curl_easy_escape (NULL, upload_id, 0);
  char *query = g_strdup_printf ("%s%suploadId=%s", before != NULL ? before : "",
                                 before != NULL ? "&" : "", escaped);

  curl_free (escaped);
  return query;
}

char *
cr_s3_multipart_create (CrS3Client *client, const char *bucket, const char *key,
                        const CrS3PutOptions *options, CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  g_autoptr (GString) answer = NULL;
  struct curl_slist *headers = NULL;
  /* "uploads=", not "uploads": 7.88 signs the query as written. */
  CrS3Request request = { .method = "POST", .bucket = bucket, .key = key, .query = "uploads=" };
  char *upload_id = NULL;

  g_return_val_if_fail (client != NULL, NULL);
  if (!names_valid (bucket, key, "-", error))
    return NULL;
  headers = curl_slist_append (headers, "Content-Type: application/octet-stream");
  if (cr_s3_add_object_headers (&headers, options, error))
    {
      request.headers = headers;
      if (cr_s3_perform (client, &request, r, &answer, error))
        {
          upload_id = cr_s3_xml_text (answer->str, answer->len, "UploadId");
          if (upload_id == NULL || *upload_id == '\0')
            {
              g_clear_pointer (&upload_id, g_free);
              g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED,
                           "POST %s/%s?uploads: the archive's answer holds no UploadId",
                           bucket, key);
            }
        }
    }
  curl_slist_free_all (headers);
  cr_s3_reply_clear (&scratch);
  return upload_id;
}

gboolean
cr_s3_multipart_upload_part (CrS3Client *client, const char *bucket, const char *key,
                             const char *upload_id, guint number, const char *path,
                             gint64 offset, gint64 length, CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  g_autoptr (FILE) file = NULL;
  g_autofree char *md5 = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *md5_line = NULL;
  g_autofree char *number_text = NULL;
  g_autofree char *query = NULL;
  struct curl_slist *headers = NULL;
  struct stat st;
  CrS3Request request = { .method = "PUT", .bucket = bucket, .key = key };
  gboolean ok;

  g_return_val_if_fail (client != NULL && path != NULL, FALSE);
  if (!names_valid (bucket, key, upload_id, error))
    return FALSE;
  if (number < 1 || number > CR_S3_MAX_PARTS || offset < 0 || length <= 0)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "part %u of %s (bytes %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT "): "
                   "expected a number from 1 to 10000 and a range that is not empty",
                   number, path, offset, length);
      return FALSE;
    }
  file = fopen (path, "rb");
  if (file == NULL || fstat (fileno (file), &st) != 0 || offset + length > st.st_size)
    {
      int saved_errno = errno;

      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot read part %u of %s: %s",
                   number, path, file == NULL ? g_strerror (saved_errno)
                                              : "the range runs past the file's end");
      return FALSE;
    }
  if (!cr_s3_hash_range (file, path, offset, length, &md5, NULL, &sha256, error))
    return FALSE;
  md5_line = g_strdup_printf ("Content-MD5: %s", md5);
  headers = curl_slist_append (headers, md5_line);
  number_text = g_strdup_printf ("partNumber=%u", number);
  query = upload_query (number_text, upload_id);
  request.query = query;
  request.headers = headers;
  request.payload_sha256 = sha256;
  request.body_file = file;
  request.body_offset = offset;
  request.body_length = length;
  ok = cr_s3_perform (client, &request, r, NULL, error);
  curl_slist_free_all (headers);
  cr_s3_reply_clear (&scratch);
  return ok;
}

static void
part_clear (gpointer data)
{
  CrS3Part *part = data;

  g_free (part->etag);
}

/* ListParts' answer: <Part><PartNumber>, <ETag>, <Size> ... and whether
 * it goes on (<IsTruncated>, <NextPartNumberMarker>). */
typedef struct {
  GArray *parts;
  CrS3Part current;
  const char *element;
  gboolean in_part;
  gboolean truncated;
  guint next_marker;
  GString *text;
} PartList;

static void
list_start (GMarkupParseContext *context, const char *element, const char **names,
            const char **values, gpointer data, GError **error)
{
  PartList *list = data;

  if (strcmp (element, "Part") == 0)
    {
      list->in_part = TRUE;
      list->current = (CrS3Part) { 0, -1, NULL };
    }
  g_string_truncate (list->text, 0);
}

static void
list_end (GMarkupParseContext *context, const char *element, gpointer data, GError **error)
{
  PartList *list = data;
  const char *text = list->text->str;

  if (list->in_part && strcmp (element, "PartNumber") == 0)
    list->current.number = (guint) g_ascii_strtoull (text, NULL, 10);
  else if (list->in_part && strcmp (element, "Size") == 0)
    list->current.size = g_ascii_strtoll (text, NULL, 10);
  else if (list->in_part && strcmp (element, "ETag") == 0)
    {
      g_free (list->current.etag);
      list->current.etag = g_strdup (text);
      if (strlen (list->current.etag) >= 2 && list->current.etag[0] == '"')
        {
          list->current.etag[strlen (list->current.etag) - 1] = '\0';
          memmove (list->current.etag, list->current.etag + 1, strlen (list->current.etag));
        }
    }
  else if (strcmp (element, "Part") == 0)
    {
      list->in_part = FALSE;
      if (list->current.number >= 1 && list->current.number <= CR_S3_MAX_PARTS
          && list->current.etag != NULL)
        g_array_append_val (list->parts, list->current);
      else
        g_free (list->current.etag);
      list->current.etag = NULL;
    }
  else if (strcmp (element, "IsTruncated") == 0)
    list->truncated = strcmp (text, "true") == 0;
  else if (strcmp (element, "NextPartNumberMarker") == 0)
    list->next_marker = (guint) g_ascii_strtoull (text, NULL, 10);
  g_string_truncate (list->text, 0);
}

static void
list_text (GMarkupParseContext *context, const char *text, gsize length, gpointer data,
           GError **error)
{
  PartList *list = data;

  if (list->text->len + length < 4096)
    g_string_append_len (list->text, text, (gssize) length);
}

static gint
part_order (gconstpointer a, gconstpointer b)
{
  const CrS3Part *x = a, *y = b;

  return x->number < y->number ? -1 : x->number > y->number;
}

GArray *
cr_s3_multipart_list_parts (CrS3Client *client, const char *bucket, const char *key,
                            const char *upload_id, CrS3Reply *reply, GError **error)
{
  static const GMarkupParser parser = { list_start, list_end, list_text, NULL, NULL };
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  g_autoptr (GArray) parts = g_array_new (FALSE, FALSE, sizeof (CrS3Part));
  guint marker = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (client != NULL, NULL);
  if (!names_valid (bucket, key, upload_id, error))
    return NULL;
  g_array_set_clear_func (parts, part_clear);
  /* A page holds at most 1000 parts; an upload up to 10000. */
  for (guint page = 0; ok && page <= CR_S3_MAX_PARTS / 1000; page++)
    {
      g_autoptr (GString) answer = NULL;
      g_autofree char *marker_text = g_strdup_printf ("max-parts=1000&part-number-marker=%u", marker);
      g_autofree char *query = upload_query (marker_text, upload_id);
      CrS3Request request = { .method = "GET", .bucket = bucket, .key = key, .query = query };
      PartList list = { parts, { 0, -1, NULL }, NULL, FALSE, FALSE, 0, g_string_new (NULL) };
      GMarkupParseContext *context;
      const char *start;

      ok = cr_s3_perform (client, &request, r, &answer, error);
      if (!ok)
        {
          g_string_free (list.text, TRUE);
          break;
        }
      start = answer->str;
      if (g_str_has_prefix (start, "<?xml") && strstr (start, "?>") != NULL)
        start = strstr (start, "?>") + 2;
      context = g_markup_parse_context_new (&parser, G_MARKUP_IGNORE_QUALIFIED, &list, NULL);
      if (!g_markup_parse_context_parse (context, start, -1, NULL)
          || !g_markup_parse_context_end_parse (context, NULL))
        {
          g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED,
                       "ListParts %s/%s: the archive's answer is not the XML expected",
                       bucket, key);
          ok = FALSE;
        }
      g_markup_parse_context_free (context);
      g_free (list.current.etag);
      g_string_free (list.text, TRUE);
      if (!list.truncated || list.next_marker <= marker)
        break;
      marker = list.next_marker;
    }
  cr_s3_reply_clear (&scratch);
  if (!ok)
    return NULL;
  g_array_sort (parts, part_order);
  return g_steal_pointer (&parts);
}

gboolean
cr_s3_multipart_complete (CrS3Client *client, const char *bucket, const char *key,
                          const char *upload_id, GArray *parts, CrS3Reply *reply,
                          GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  g_autoptr (GString) body = g_string_new ("<CompleteMultipartUpload>");
  g_autofree char *query = NULL;
  g_autofree char *sha256 = NULL;
  struct curl_slist *headers = NULL;
  g_autofree char *md5_line = NULL;
  CrS3Request request = { .method = "POST", .bucket = bucket, .key = key };
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize digest_length = sizeof digest;
  g_autofree char *md5_base64 = NULL;
  gboolean ok;

  g_return_val_if_fail (client != NULL && parts != NULL, FALSE);
  if (!names_valid (bucket, key, upload_id, error))
    return FALSE;
  if (parts->len == 0 || parts->len > CR_S3_MAX_PARTS)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "completing %s/%s: expected 1 to 10000 parts, got %u", bucket, key, parts->len);
      return FALSE;
    }
  for (guint i = 0; i < parts->len; i++)
    {
      const CrS3Part *part = &g_array_index (parts, CrS3Part, i);

      if (part->etag == NULL || strspn (part->etag, "0123456789abcdef-") != strlen (part->etag)
          || (i > 0 && part->number <= g_array_index (parts, CrS3Part, i - 1).number))
        {
          g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                       "completing %s/%s: part %u has no ETag of hex digits or is out of order",
                       bucket, key, part->number);
          return FALSE;
        }
      g_string_append_printf (body, "<Part><PartNumber>%u</PartNumber><ETag>\"%s\"</ETag></Part>",
                              part->number, part->etag);
    }
  g_string_append (body, "</CompleteMultipartUpload>");
  sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, body->str, (gssize) body->len);
  g_checksum_update (md5, (const guchar *) body->str, body->len);
  g_checksum_get_digest (md5, digest, &digest_length);
  md5_base64 = g_base64_encode (digest, digest_length);
  md5_line = g_strdup_printf ("Content-MD5: %s", md5_base64);
  headers = curl_slist_append (headers, "Content-Type: application/xml");
  headers = curl_slist_append (headers, md5_line);
  query = upload_query (NULL, upload_id);
  request.query = query;
  request.headers = headers;
  request.payload_sha256 = sha256;
  request.body_text = body->str;
  request.body_length = (gint64) body->len;
  ok = cr_s3_perform (client, &request, r, NULL, error);
  curl_slist_free_all (headers);
  cr_s3_reply_clear (&scratch);
  return ok;
}

gboolean
cr_s3_multipart_abort (CrS3Client *client, const char *bucket, const char *key,
                       const char *upload_id, CrS3Reply *reply, GError **error)
{
  CrS3Reply scratch = CR_S3_REPLY_INIT;
  CrS3Reply *r = REPLY (reply, &scratch);
  g_autofree char *query = NULL;
  CrS3Request request = { .method = "DELETE", .bucket = bucket, .key = key };
  gboolean ok;

  g_return_val_if_fail (client != NULL, FALSE);
  if (!names_valid (bucket, key, upload_id, error))
    return FALSE;
  query = upload_query (NULL, upload_id);
  request.query = query;
  ok = cr_s3_perform (client, &request, r, NULL, error);
  cr_s3_reply_clear (&scratch);
  return ok;
}

char *
cr_s3_expected_etag (const char *path, gint64 part_bytes, GError **error)
{
  g_autoptr (FILE) file = fopen (path, "rb");
  g_autoptr (GChecksum) of_parts = g_checksum_new (G_CHECKSUM_MD5);
  struct stat st;
  guint count = 0;

  if (file == NULL || fstat (fileno (file), &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot read %s: %s", path,
                   g_strerror (saved_errno));
      return NULL;
    }
  if (part_bytes <= 0)
    {
      char *md5_hex = NULL;

      return cr_s3_hash_range (file, path, 0, st.st_size, NULL, &md5_hex, NULL, error)
             ? md5_hex : NULL;
    }
  for (gint64 offset = 0; offset < st.st_size || count == 0; offset += part_bytes)
    {
      g_autofree char *md5_base64 = NULL;
      g_autofree guchar *digest = NULL;
      gsize digest_length = 0;

      if (!cr_s3_hash_range (file, path, offset, MIN (part_bytes, st.st_size - offset),
                             &md5_base64, NULL, NULL, error))
        return NULL;
      digest = g_base64_decode (md5_base64, &digest_length);
      g_checksum_update (of_parts, digest, digest_length);
      count++;
    }
  return g_strdup_printf ("%s-%u", g_checksum_get_string (of_parts), count);
}
