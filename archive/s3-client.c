/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s3-client.c: CrS3Client (s3-client.h): one libcurl handle that signs
 * with CURLOPT_AWS_SIGV4, and the single-object calls.
 *
 * What libcurl 7.88 leaves to us (Debian 12; fixed upstream from 8.0 on):
 * it does not add x-amz-content-sha256, and without it signs the empty
 * body's hash (403 SignatureDoesNotMatch), so every request carries the
 * header with the body's real SHA-256, which 7.88 then signs as the payload
 * hash; and it signs the query as written, so every query here is already
 * canonical ("uploads=", sorted keys, values encoded). Keys are limited to
 * characters that need no encoding, so the path signed is the path sent. */
#include "archive/s3-client-private.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>

G_DEFINE_QUARK (cr-s3-error-quark, cr_s3_error)

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* An error or a part list is a few kB; a page of 1000 parts about 200 kB. */
#define ANSWER_MAX_BYTES (1024 * 1024)
#define KEY_MAX_BYTES 1024
#define HASH_CHUNK (1024 * 1024)
#define DEFAULT_STALL_SECONDS 30

struct CrS3Client {
  CURL *curl;               /* one connection, kept between calls */
  char *endpoint;           /* without a trailing '/' */
  char *sigv4;              /* "aws:amz:REGION:s3" */
  char *userpwd;            /* a secret */
  guint connect_timeout;
  guint stall_seconds;
  guint64 max_send;
  const gint *cancel;
};

void
cr_s3_reply_clear (CrS3Reply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->code);
  g_free (reply->message);
  g_free (reply->request_id);
  g_free (reply->etag);
  g_free (reply->version_id);
  g_clear_pointer (&reply->metadata, g_hash_table_unref);
  g_free (reply->lock_mode);
  g_free (reply->lock_retain_until);
  *reply = (CrS3Reply) CR_S3_REPLY_INIT;
}

/* The stall timeout when the caller leaves it to us: 30 s, or what
 * COURTREC_S3_STALL_SECONDS says. That variable is for tests, which must
 * see a stopped OSD turn a PUT "unknown" in seconds, through courtrecd,
 * without changing what it runs. It is not a courtrec.conf key on purpose:
 * 30 s without one byte either way is a dead link on any line a court has
 * (a slow one still moves bytes, and bandwidth_kbps is the knob for
 * that), while a short value set by hand would turn every busy moment of
 * the store into an "unknown" and a HEAD. A value that is not a whole
 * number of seconds from 1 to 3600 is refused, never taken as 30 s. */
static gboolean
stall_from_environment (guint *seconds, GError **error)
{
  const char *text = g_getenv ("COURTREC_S3_STALL_SECONDS");
  guint64 value = 0;

  *seconds = DEFAULT_STALL_SECONDS;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, 3600, &value, NULL))
    {
      g_autofree char *shown = g_strescape (text, NULL);

      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "COURTREC_S3_STALL_SECONDS=\"%.64s\" is refused: expected a whole number "
                   "of seconds from 1 to 3600", shown);
      return FALSE;
    }
  *seconds = (guint) value;
  return TRUE;
}

CrS3Client *
cr_s3_client_new (const CrS3Config *config, GError **error)
{
  g_autoptr (CrS3Client) client = g_new0 (CrS3Client, 1);

  g_return_val_if_fail (config != NULL, NULL);

  if (config->endpoint == NULL
      || (!g_str_has_prefix (config->endpoint, "http://")
          && !g_str_has_prefix (config->endpoint, "https://"))
      || strpbrk (config->endpoint, "?# \t\r\n") != NULL)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "the archive's endpoint \"%s\" is not an http:// or https:// URL",
                   config->endpoint != NULL ? config->endpoint : "");
      return NULL;
    }
  if (config->region == NULL || *config->region == '\0'
      || strspn (config->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen (config->region))
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "the archive's region \"%s\" is not a region name like us-east-1",
                   config->region != NULL ? config->region : "");
      return NULL;
    }
  if (config->access_key == NULL || *config->access_key == '\0'
      || strchr (config->access_key, ':') != NULL
      || config->secret_key == NULL || *config->secret_key == '\0')
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                   "the archive's access key or secret is missing or holds a ':'");
      return NULL;
    }
  client->curl = curl_easy_init ();
  if (client->curl == NULL)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "libcurl cannot make a handle");
      return NULL;
    }
  client->endpoint = g_strdup (config->endpoint);
  while (g_str_has_suffix (client->endpoint, "/"))
    client->endpoint[strlen (client->endpoint) - 1] = '\0';
  client->sigv4 = g_strdup_printf ("aws:amz:%s:s3", config->region);
  client->userpwd = g_strdup_printf ("%s:%s", config->access_key, config->secret_key);
  client->connect_timeout = config->connect_timeout_seconds ? config->connect_timeout_seconds : 10;
  if (config->stall_seconds != 0)
    client->stall_seconds = config->stall_seconds;
  else if (!stall_from_environment (&client->stall_seconds, error))
    return NULL;
  client->max_send = config->max_send_bytes_per_second;
  client->cancel = config->cancel;
  return g_steal_pointer (&client);
}

void
cr_s3_client_free (CrS3Client *client)
{
  if (client == NULL)
    return;
  g_clear_pointer (&client->curl, curl_easy_cleanup);
  g_free (client->endpoint);
  g_free (client->sigv4);
  if (client->userpwd != NULL)
    explicit_bzero (client->userpwd, strlen (client->userpwd));
  g_free (client->userpwd);
  g_free (client);
}

/* ---- names ---- */

gboolean
cr_s3_key_validate (const char *key, GError **error)
{
  const char *why = NULL;
  gsize length = key != NULL ? strlen (key) : 0;

  if (length == 0)
    why = "it is empty";
  else if (length > KEY_MAX_BYTES)
    why = "it is longer than 1024 bytes";
  else
    {
      g_auto (GStrv) segments = g_strsplit (key, "/", -1);

      for (const char *p = key; *p != '\0' && why == NULL; p++)
        if (!g_ascii_isalnum (*p) && strchr ("._~-/", *p) == NULL)
          why = (guchar) *p >= 0x80 ? "it is not ASCII (a case number goes in metadata)"
                                    : "it holds a character outside A-Z a-z 0-9 . _ ~ - /";
      for (guint i = 0; segments[i] != NULL && why == NULL; i++)
        if (*segments[i] == '\0')
          why = "it has an empty segment (a leading, trailing or double '/')";
        else if (strcmp (segments[i], ".") == 0 || strcmp (segments[i], "..") == 0)
          why = "it has a \".\" or \"..\" segment";
    }
  if (why == NULL)
    return TRUE;
  {
    g_autofree char *shown = g_strescape (key != NULL ? key : "", NULL);

    g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                 "the object key \"%.200s\" is refused: %s", shown, why);
  }
  return FALSE;
}

gboolean
cr_s3_bucket_validate (const char *bucket, GError **error)
{
  gsize length = bucket != NULL ? strlen (bucket) : 0;

  if (length >= 3 && length <= 63
      && strspn (bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") == length
      && g_ascii_isalnum (bucket[0]) && g_ascii_isalnum (bucket[length - 1])
      && strstr (bucket, "..") == NULL)
    return TRUE;
  {
    g_autofree char *shown = g_strescape (bucket != NULL ? bucket : "", NULL);

    g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                 "the bucket name \"%.200s\" is refused: expected 3 to 63 of a-z 0-9 . -, "
                 "starting and ending with a letter or digit", shown);
  }
  return FALSE;
}

/* ---- the answer's XML (GMarkup: S3's answers are plain XML) ---- */

typedef struct {
  const char *name;
  gboolean inside;
  gboolean done;
  GString *text;
} XmlFind;

static void
xml_start (GMarkupParseContext *context, const char *element, const char **names,
           const char **values, gpointer data, GError **error)
{
  XmlFind *find = data;

  if (!find->done && strcmp (element, find->name) == 0)
    find->inside = TRUE;
}

static void
xml_end (GMarkupParseContext *context, const char *element, gpointer data, GError **error)
{
  XmlFind *find = data;

  if (find->inside && strcmp (element, find->name) == 0)
    {
      find->inside = FALSE;
      find->done = TRUE;
    }
}

static void
xml_text (GMarkupParseContext *context, const char *text, gsize length, gpointer data,
          GError **error)
{
  XmlFind *find = data;

  if (find->inside)
    g_string_append_len (find->text, text, (gssize) length);
}

char *
cr_s3_xml_text (const char *xml, gsize length, const char *name)
{
  static const GMarkupParser parser = { xml_start, xml_end, xml_text, NULL, NULL };
  XmlFind find = { name, FALSE, FALSE, g_string_new (NULL) };
  GMarkupParseContext *context;
  const char *start = xml;

  /* GMarkup takes no XML declaration. */
  if (length > 5 && strncmp (xml, "<?xml", 5) == 0)
    {
      const char *end = g_strstr_len (xml, (gssize) length, "?>");

      if (end != NULL)
        start = end + 2;
    }
  context = g_markup_parse_context_new (&parser, G_MARKUP_IGNORE_QUALIFIED, &find, NULL);
  g_markup_parse_context_parse (context, start, (gssize) (length - (gsize) (start - xml)), NULL);
  g_markup_parse_context_free (context);
  if (!find.done)
    {
      g_string_free (find.text, TRUE);
      return NULL;
    }
  return g_string_free (find.text, FALSE);
}

/* ---- hashing (GChecksum) ---- */

gboolean
cr_s3_hash_range (FILE *file, const char *path, gint64 offset, gint64 length,
                  char **md5_base64, char **md5_hex, char **sha256_hex, GError **error)
{
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  /* GnuTLS's SHA-256 (nettle's, with the CPU's SHA extensions where it has
   * them) for every part of a multipart upload: GLib's ran at 376 MB/s on
   * the bench machine against 1,523, and was a third of what a part
   * cost. */
  gnutls_hash_hd_t sha256 = NULL;
  g_autofree guchar *buffer = g_malloc (HASH_CHUNK);
  gint64 left = length;
  guint8 digest[16];
  gsize digest_length = sizeof digest;
  guint8 sha256_digest[32];

  if (sha256_hex != NULL && gnutls_hash_init (&sha256, GNUTLS_DIG_SHA256) < 0)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot hash %s: no SHA-256", path);
      return FALSE;
    }
  if (fseeko (file, offset, SEEK_SET) != 0)
    goto io_error;
  while (left > 0)
    {
      size_t n = fread (buffer, 1, (size_t) MIN (left, HASH_CHUNK), file);

      if (n == 0)
        {
          if (ferror (file))
            goto io_error;
          g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO,
                       "%s ends before byte %" G_GINT64_FORMAT " (it changed?)", path,
                       offset + length);
          if (sha256 != NULL)
            gnutls_hash_deinit (sha256, NULL);
          return FALSE;
        }
      g_checksum_update (md5, buffer, n);
      if (sha256 != NULL)
        gnutls_hash (sha256, buffer, n);
      left -= (gint64) n;
    }
  g_checksum_get_digest (md5, digest, &digest_length);
  if (md5_base64 != NULL)
    *md5_base64 = g_base64_encode (digest, digest_length);
  if (md5_hex != NULL)
    *md5_hex = g_strdup (g_checksum_get_string (md5));
  if (sha256 != NULL)
    {
      GString *hex = g_string_sized_new (64);

      gnutls_hash_deinit (sha256, sha256_digest);
      for (guint i = 0; i < sizeof sha256_digest; i++)
        g_string_append_printf (hex, "%02x", sha256_digest[i]);
      *sha256_hex = g_string_free (hex, FALSE);
    }
  return TRUE;

io_error:
  {
    int saved_errno = errno;

    g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot read %s: %s", path,
                 g_strerror (saved_errno));
  }
  if (sha256 != NULL)
    gnutls_hash_deinit (sha256, NULL);
  return FALSE;
}

/* ---- one request ---- */

typedef struct {
  const CrS3Request *request;
  gint64 sent;              /* of the body */
  GString *answer;          /* an XML body, up to ANSWER_MAX_BYTES */
  CURL *curl;
  gboolean write_failed;
  /* The stall watch: bytes moved either way, and when that last changed. */
  guint stall_seconds;
  curl_off_t moved;
  gint64 moved_at_us;
  gboolean stalled;
  const gint *cancel;       /* the owner's stop, or NULL */
  gboolean cancelled;
} Transfer;

/* Ends the transfer once no byte went either way for stall_seconds.
 * CURLOPT_LOW_SPEED_TIME does not: libcurl 7.88 averages the speed over
 * the last five seconds or so, so a PUT whose answer never comes was seen
 * to end ten seconds after a stall of three, and a stall of 30 s would
 * take up to 37. libcurl calls this about once a second while idle, so a
 * stall ends within a second after stall_seconds. */
static int
watch_stall (void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
             curl_off_t ulnow)
{
  Transfer *transfer = data;
  gint64 now = g_get_monotonic_time ();

  if (transfer->cancel != NULL && g_atomic_int_get (transfer->cancel))
    {
      transfer->cancelled = TRUE;
      return 1;
    }
  if (dlnow + ulnow != transfer->moved || transfer->moved_at_us == 0)
    {
      transfer->moved = dlnow + ulnow;
      transfer->moved_at_us = now;
      return 0;
    }
  if (now - transfer->moved_at_us < (gint64) transfer->stall_seconds * G_USEC_PER_SEC)
    return 0;
  transfer->stalled = TRUE;
  return 1;
}

static size_t
read_body (char *buffer, size_t size, size_t count, void *data)
{
  Transfer *transfer = data;
  const CrS3Request *request = transfer->request;
  gint64 left = request->body_length - transfer->sent;
  size_t want = (size_t) MIN ((gint64) (size * count), left);
  size_t n;

  if (want == 0)
    return 0;
  if (request->body_text != NULL)
    {
      memcpy (buffer, request->body_text + transfer->sent, want);
      n = want;
    }
  else
    {
      n = fread (buffer, 1, want, request->body_file);
      /* A file cut short under us: abort rather than send a short body. */
      if (n == 0)
        return CURL_READFUNC_ABORT;
    }
  transfer->sent += (gint64) n;
  return n;
}

static size_t
write_answer (char *buffer, size_t size, size_t count, void *data)
{
  Transfer *transfer = data;
  size_t n = size * count;
  long status = 0;

  curl_easy_getinfo (transfer->curl, CURLINFO_RESPONSE_CODE, &status);
  if (transfer->request->out_file != NULL && status >= 200 && status < 300)
    {
      if (fwrite (buffer, 1, n, transfer->request->out_file) != n)
        {
          transfer->write_failed = TRUE;
          return 0;
        }
      return n;
    }
  if (transfer->answer->len + n > ANSWER_MAX_BYTES)
    return 0;
  g_string_append_len (transfer->answer, buffer, (gssize) n);
  return n;
}

static char *
header_value (CURL *curl, const char *name)
{
  struct curl_header *header = NULL;

  if (curl_easy_header (curl, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK)
    return NULL;
  return g_strdup (header->value);
}

static char *
unquote (char *etag)
{
  gsize length = etag != NULL ? strlen (etag) : 0;

  if (length >= 2 && etag[0] == '"' && etag[length - 1] == '"')
    {
      memmove (etag, etag + 1, length - 2);
      etag[length - 2] = '\0';
    }
  return etag;
}

static void
read_answer_headers (CURL *curl, CrS3Reply *reply)
{
  struct curl_header *header = NULL;
  curl_off_t length = -1;

  g_free (reply->etag);
  reply->etag = unquote (header_value (curl, "ETag"));
  g_free (reply->version_id);
  reply->version_id = header_value (curl, "x-amz-version-id");
  g_free (reply->request_id);
  reply->request_id = header_value (curl, "x-amz-request-id");
  g_free (reply->lock_mode);
  reply->lock_mode = header_value (curl, "x-amz-object-lock-mode");
  g_free (reply->lock_retain_until);
  reply->lock_retain_until = header_value (curl, "x-amz-object-lock-retain-until-date");
  {
    g_autofree char *date = header_value (curl, "Date");
    time_t when = date != NULL ? curl_getdate (date, NULL) : -1;

    reply->date = when > 0 ? (gint64) when : 0;
  }
  if (curl_easy_getinfo (curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK)
    reply->size = length;
  g_clear_pointer (&reply->metadata, g_hash_table_unref);
  reply->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while ((header = curl_easy_nextheader (curl, CURLH_HEADER, -1, header)) != NULL)
    if (g_ascii_strncasecmp (header->name, "x-amz-meta-", 11) == 0)
      {
        char *value = g_uri_unescape_string (header->value, NULL);

        g_hash_table_replace (reply->metadata, g_ascii_strdown (header->name + 11, -1),
                              value != NULL ? value : g_strdup (header->value));
      }
}

/* The error a failed transfer is: nothing sent, sent with no answer, or a
 * local file's fault. */
static void
set_transfer_error (CURL *curl, CURLcode code, const Transfer *transfer,
                    const CrS3Request *request, GError **error)
{
  long request_bytes = 0;

  curl_easy_getinfo (curl, CURLINFO_REQUEST_SIZE, &request_bytes);
  if (transfer->cancelled)
    g_set_error (error, CR_S3_ERROR,
                 request_bytes == 0 ? CR_S3_ERROR_UNREACHABLE : CR_S3_ERROR_UNKNOWN,
                 "%s %s/%s: ended, the uploader is stopping%s", request->method,
                 request->bucket, request->key != NULL ? request->key : "",
                 request_bytes == 0 ? "" : ": the outcome is unknown until a HEAD settles it");
  else if (transfer->stalled)
    g_set_error (error, CR_S3_ERROR,
                 request_bytes == 0 ? CR_S3_ERROR_UNREACHABLE : CR_S3_ERROR_UNKNOWN,
                 "%s %s/%s: no byte either way for %u s%s", request->method, request->bucket,
                 request->key != NULL ? request->key : "", transfer->stall_seconds,
                 request_bytes == 0 ? " before the request went out"
                                    : ", sent but no answer came: the outcome is unknown "
                                      "until a HEAD settles it");
  else if (transfer->write_failed || code == CURLE_WRITE_ERROR)
    g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO,
                 "cannot write the object fetched from the archive: %s",
                 g_strerror (errno));
  else if (code == CURLE_ABORTED_BY_CALLBACK || code == CURLE_READ_ERROR)
    g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO,
                 "%s %s/%s: the local file could not be read to the end", request->method,
                 request->bucket, request->key != NULL ? request->key : "");
  else if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT
           || code == CURLE_COULDNT_RESOLVE_PROXY || request_bytes == 0)
    g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_UNREACHABLE,
                 "%s %s/%s: the archive cannot be reached: %s", request->method,
                 request->bucket, request->key != NULL ? request->key : "",
                 curl_easy_strerror (code));
  else
    g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_UNKNOWN,
                 "%s %s/%s: sent, but no answer came (%s): the outcome is unknown until "
                 "a HEAD settles it", request->method, request->bucket,
                 request->key != NULL ? request->key : "", curl_easy_strerror (code));
}

gboolean
cr_s3_perform (CrS3Client *client, const CrS3Request *request, CrS3Reply *reply,
               GString **body, GError **error)
{
  CURL *curl = client->curl;
  g_autoptr (GString) url = g_string_new (client->endpoint);
  g_autoptr (GString) answer = g_string_new (NULL);
  g_autofree char *hash_header = g_strdup_printf ("x-amz-content-sha256: %s",
                                                  request->payload_sha256 != NULL
                                                  ? request->payload_sha256 : EMPTY_SHA256);
  struct curl_slist *headers = NULL;
  Transfer transfer = { request, 0, answer, curl, FALSE, client->stall_seconds, 0, 0, FALSE,
                        client->cancel, FALSE };
  CURLcode code;
  gboolean upload = request->body_file != NULL || request->body_text != NULL;

  g_string_append_printf (url, "/%s", request->bucket);
  if (request->key != NULL)
    g_string_append_printf (url, "/%s", request->key);
  if (request->query != NULL)
    g_string_append_printf (url, "?%s", request->query);

  for (struct curl_slist *h = request->headers; h != NULL; h = h->next)
    headers = curl_slist_append (headers, h->data);
  headers = curl_slist_append (headers, hash_header);

  curl_easy_reset (curl);
  curl_easy_setopt (curl, CURLOPT_URL, url->str);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_AWS_SIGV4, client->sigv4);
  curl_easy_setopt (curl, CURLOPT_USERPWD, client->userpwd);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) client->connect_timeout);
  /* No total time limit (a segment over a slow link takes long): a stall
   * in either direction is what ends a transfer (watch_stall). */
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, watch_stall);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt (curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, write_answer);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, &transfer);
  if (client->max_send > 0)
    curl_easy_setopt (curl, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t) client->max_send);

  if (strcmp (request->method, "HEAD") == 0)
    curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
  else if (strcmp (request->method, "POST") == 0)
    {
      curl_easy_setopt (curl, CURLOPT_POST, 1L);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, request->body_text != NULL ? request->body_text : "");
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE,
                        (curl_off_t) (request->body_text != NULL ? request->body_length : 0));
      upload = FALSE;
    }
  else if (strcmp (request->method, "PUT") == 0)
    {
      curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_body);
      curl_easy_setopt (curl, CURLOPT_READDATA, &transfer);
      curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE,
                        (curl_off_t) (upload ? request->body_length : 0));
      /* A body of a few hundred bytes (PUT ?retention) goes at once: RGW
       * 16.2 sends its 100 Continue to it only when libcurl's wait (1 s)
       * is over, which cost every multipart upload a second. An empty
       * "Expect:" would be signed but not sent (403). */
      if (request->body_text != NULL)
        curl_easy_setopt (curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 1L);
      if (request->body_file != NULL && fseeko (request->body_file, request->body_offset, SEEK_SET) != 0)
        {
          curl_slist_free_all (headers);
          g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_IO, "cannot seek the file to send: %s",
                       g_strerror (errno));
          return FALSE;
        }
    }
  else if (strcmp (request->method, "GET") != 0)
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, request->method);

  if (client->cancel != NULL && g_atomic_int_get (client->cancel))
    {
      curl_slist_free_all (headers);
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_UNREACHABLE,
                   "%s %s/%s: not sent, the uploader is stopping", request->method,
                   request->bucket, request->key != NULL ? request->key : "");
      return FALSE;
    }
  code = curl_easy_perform (curl);
  curl_slist_free_all (headers);
  reply->status = 0;
  if (code != CURLE_OK)
    {
      set_transfer_error (curl, code, &transfer, request, error);
      return FALSE;
    }
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &reply->status);
  read_answer_headers (curl, reply);
  if (reply->status >= 200 && reply->status < 300)
    {
      if (body != NULL)
        *body = g_steal_pointer (&answer);
      return TRUE;
    }
  g_free (reply->code);
  reply->code = cr_s3_xml_text (answer->str, answer->len, "Code");
  g_free (reply->message);
  reply->message = cr_s3_xml_text (answer->str, answer->len, "Message");
  if (reply->message != NULL && *reply->message == '\0')
    g_clear_pointer (&reply->message, g_free);
  {
    g_autofree char *rid = cr_s3_xml_text (answer->str, answer->len, "RequestId");

    if (rid != NULL && reply->request_id == NULL)
      reply->request_id = g_steal_pointer (&rid);
  }
  g_set_error (error, CR_S3_ERROR,
               reply->status == 404 ? CR_S3_ERROR_NOT_FOUND : CR_S3_ERROR_REFUSED,
               "%s %s/%s: the archive answered %ld %s%s%s", request->method, request->bucket,
               request->key != NULL ? request->key : "", reply->status,
               reply->code != NULL ? reply->code : (reply->status == 404 ? "NotFound" : "(no code)"),
               reply->message != NULL ? ": " : "",
               reply->message != NULL ? reply->message : "");
  return FALSE;
}

/* ---- object headers ---- */

static char *
encode_meta_value (const char *value)
{
  GString *out = g_string_new (NULL);

  /* Printable ASCII goes as it is (a signed header must be), the rest (a
   * case number's 号, a space) percent-encoded; HEAD decodes it. */
  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    if (*p > 0x20 && *p < 0x7f && *p != '%')
      g_string_append_c (out, (char) *p);
    else
      g_string_append_printf (out, "%%%02X", *p);
  return g_string_free (out, FALSE);
}

guint
cr_s3_client_get_stall_seconds (CrS3Client *client)
{
  g_return_val_if_fail (client != NULL, 0);
  return client->stall_seconds;
}

gboolean
cr_s3_add_object_headers (struct curl_slist **headers, const CrS3PutOptions *options,
                          GError **error)
{
  if (options == NULL)
    return TRUE;
  for (guint i = 0; options->metadata != NULL && options->metadata[i] != NULL; i += 2)
    {
      const char *name = options->metadata[i];
      const char *value = options->metadata[i + 1];
      g_autofree char *encoded = NULL;
      g_autofree char *line = NULL;

      if (value == NULL || *name == '\0'
          || strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen (name)
          || !g_utf8_validate (value, -1, NULL) || strlen (value) > 1024)
        {
          g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                       "the metadata \"%.64s\" is refused: expected a name of a-z 0-9 - and "
                       "a UTF-8 value of at most 1024 bytes", name);
          return FALSE;
        }
      /* libcurl 7.88 sorts "name:value" lines, not names: a name that is
       * another's prefix would be signed out of order. */
      for (guint j = 0; options->metadata[j] != NULL; j += 2)
        if (j != i && g_str_has_prefix (options->metadata[j], name))
          {
            g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                         "the metadata names \"%.64s\" and \"%.64s\": one is the other's "
                         "prefix, which this libcurl signs wrongly", name, options->metadata[j]);
            return FALSE;
          }
      /* An empty value is not sent: libcurl turns "name: " into a header
       * it sends otherwise than it signs (403 SignatureDoesNotMatch), and a
       * HEAD that finds no such member means the same thing. */
      if (*value == '\0')
        continue;
      encoded = encode_meta_value (value);
      line = g_strdup_printf ("x-amz-meta-%s: %s", name, encoded);
      *headers = curl_slist_append (*headers, line);
    }
  if (options->lock_mode != NULL)
    {
      g_autoptr (GDateTime) until = g_date_time_new_from_unix_utc (options->lock_retain_until);
      g_autofree char *date = until != NULL ? g_date_time_format (until, "%Y-%m-%dT%H:%M:%SZ") : NULL;
      g_autofree char *mode = g_strdup_printf ("x-amz-object-lock-mode: %s", options->lock_mode);
      g_autofree char *line = NULL;

      if ((strcmp (options->lock_mode, "COMPLIANCE") != 0
           && strcmp (options->lock_mode, "GOVERNANCE") != 0) || date == NULL
          || options->lock_retain_until <= g_get_real_time () / G_USEC_PER_SEC)
        {
          g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_INVALID,
                       "the object lock \"%.32s\" is refused: expected COMPLIANCE or "
                       "GOVERNANCE and a retain-until date in the future", options->lock_mode);
          return FALSE;
        }
      line = g_strdup_printf ("x-amz-object-lock-retain-until-date: %s", date);
      *headers = curl_slist_append (*headers, mode);
      *headers = curl_slist_append (*headers, line);
    }
  return TRUE;
}
