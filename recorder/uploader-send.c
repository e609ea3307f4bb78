/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uploader-send.c: one attempt at one queued item (uploader-private.h):
 * settle what the store holds, send what it lacks in one PUT or in parts,
 * set its retention, and count it only once a HEAD shows it whole. */
#include "recorder/uploader-private.h"

#include <string.h>

#include <gio/gio.h>

#include "config/text.h"

gint64
cr_uploader_backoff (guint attempts)
{
  return cr_upload_backoff_us (MAX (attempts, 1), g_random_double ());
}

char *
cr_uploader_file_md5 (const char *path, gint64 offset, gint64 length, GError **error)
{
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
  g_autofree guchar *buffer = g_malloc (1 << 20);
  gint64 left = length;

  if (in == NULL)
    return NULL;
  if (offset > 0 && !g_seekable_seek (G_SEEKABLE (in), offset, G_SEEK_SET, NULL, error))
    return NULL;
  while (length < 0 || left > 0)
    {
      gsize want = length < 0 ? (1 << 20) : (gsize) MIN (left, 1 << 20);
      gssize got = g_input_stream_read (G_INPUT_STREAM (in), buffer, want, NULL, error);

      if (got < 0)
        return NULL;
      if (got == 0)
        break;
      g_checksum_update (md5, buffer, got);
      left -= got;
    }
  return g_strdup (g_checksum_get_string (md5));
}

static char *
md5_base64 (const char *hex)
{
  guchar raw[16];

  for (guint i = 0; i < 16; i++)
    raw[i] = (guchar) (g_ascii_xdigit_value (hex[2 * i]) * 16 +
                       g_ascii_xdigit_value (hex[2 * i + 1]));
  return g_base64_encode (raw, sizeof raw);
}

/* What a HEAD of an item's key showed. */
typedef struct {
  char *etag;               /* the ETag when size and ETag are ours, else NULL */
  char *version_id;         /* the version it saw, in a versioned bucket */
  gboolean retained;        /* COMPLIANCE until the date asked or later */
} Held;

static void
held_clear (Held *held)
{
  g_clear_pointer (&held->etag, g_free);
  g_clear_pointer (&held->version_id, g_free);
  held->retained = FALSE;
}

static gboolean
retained_until (const CrS3Reply *reply, gint64 retain_until)
{
  g_autoptr (GDateTime) until = NULL;

  if (g_strcmp0 (reply->lock_mode, "COMPLIANCE") != 0 || reply->lock_retain_until == NULL)
    return FALSE;
  /* RGW writes nanoseconds: "2056-12-04T10:00:00.000000000Z". */
  until = g_date_time_new_from_iso8601 (reply->lock_retain_until, NULL);
  return until != NULL && g_date_time_to_unix (until) >= retain_until;
}

/* What the store holds of @item: HEAD's size, ETag and, when
 * @retain_until is not 0, retention, in @held (all empty when the key is
 * not there). FALSE with @error: no answer. */
static gboolean
store_holds (CrS3Client *client, const char *bucket, const CrUploadItem *item,
             const char *expected_etag, gint64 retain_until, Held *held, GError **error)
{
  CrS3Reply reply = CR_S3_REPLY_INIT;
  GError *local_error = NULL;

  held_clear (held);
  if (!cr_s3_head_object (client, bucket, item->key, &reply, &local_error))
    {
      cr_s3_reply_clear (&reply);
      if (g_error_matches (local_error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND))
        {
          g_error_free (local_error);
          return TRUE;
        }
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (reply.size == item->bytes && g_strcmp0 (reply.etag, expected_etag) == 0)
    held->etag = g_strdup (reply.etag);
  else
    g_message ("[archive %s]: %s in the store is not ours (size %" G_GINT64_FORMAT
               ", ETag %s; expected %" G_GINT64_FORMAT ", %s): sent again",
               item->archive, item->key, reply.size, cr_text_shown (reply.etag),
               item->bytes, expected_etag);
  held->version_id = g_strdup (reply.version_id);
  held->retained = retain_until != 0 && retained_until (&reply, retain_until);
  cr_s3_reply_clear (&reply);
  return TRUE;
}

/* An object held whole but without its retention is locked now, and
 * counts once a HEAD shows it locked: a multipart upload (RGW 16.2 drops
 * the lock headers of its create), a crash between the two, or one sent
 * before its bucket was found locked. */
static gboolean
settle_retention (CrS3Client *client, const char *bucket, const CrUploadItem *item,
                  const char *expected_etag, gint64 retain_until, Held *held, GError **error)
{
  CrS3Reply reply = CR_S3_REPLY_INIT;
  gboolean ok;

  if (retain_until == 0 || held->retained)
    return TRUE;
  if (held->version_id == NULL)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED,
                   "the store keeps no version of %s, so it cannot lock it", item->key);
      return FALSE;
    }
  ok = cr_s3_put_retention (client, bucket, item->key, held->version_id, "COMPLIANCE",
                            retain_until, &reply, error);
  cr_s3_reply_clear (&reply);
  if (!ok || !store_holds (client, bucket, item, expected_etag, retain_until, held, error))
    return FALSE;
  if (held->etag == NULL || !held->retained)
    {
      g_set_error (error, CR_S3_ERROR, CR_S3_ERROR_REFUSED,
                   "the store does not show %s whole and under COMPLIANCE retention after "
                   "it was set", item->key);
      return FALSE;
    }
  g_message ("[archive %s]: %s locked after it was sent (version %s)", item->archive,
             item->key, held->version_id);
  return TRUE;
}

/* Sends the parts the store does not hold yet (ListParts after a crash)
 * and completes. */
static gboolean
send_parts (CrUploader *uploader, CrS3Client *client, CrSegmentIndex *index,
            CrUploadItem *item, const CrS3PutOptions *options, GError **error)
{
  const char *bucket = uploader->config->bucket;
  g_autoptr (GArray) held = NULL;
  g_autoptr (GArray) parts = g_array_new (FALSE, TRUE, sizeof (CrS3Part));
  CrS3Reply reply = CR_S3_REPLY_INIT;
  guint n = (guint) ((item->bytes + item->part_bytes - 1) / item->part_bytes);
  gboolean ok;

  if (item->upload_id != NULL)
    {
      GError *local_error = NULL;
      held = cr_s3_multipart_list_parts (client, bucket, item->key, item->upload_id, &reply,
                                         &local_error);
      cr_s3_reply_clear (&reply);
      if (held == NULL && !g_error_matches (local_error, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_clear_error (&local_error);
      if (held == NULL)
        g_clear_pointer (&item->upload_id, g_free);
      else
        g_message ("[archive %s]: %s goes on where it stopped: the store holds %u of its "
                   "%u parts", item->archive, item->key, held->len, n);
    }
  if (item->upload_id == NULL)
    {
      item->upload_id = cr_s3_multipart_create (client, bucket, item->key, options, &reply,
                                                error);
      cr_s3_reply_clear (&reply);
      if (item->upload_id == NULL ||
          !cr_upload_queue_set_upload_id (index, item->id, item->upload_id, error))
        return FALSE;
    }
  for (guint number = 1; number <= n; number++)
    {
      gint64 offset = (gint64) (number - 1) * item->part_bytes;
      gint64 length = MIN (item->part_bytes, item->bytes - offset);
      CrS3Part part = { number, length, NULL };

      /* A part the store holds is hashed here to be compared; one it
       * does not is hashed once, by the upload that sends it. */
      for (guint i = 0; held != NULL && i < held->len && part.etag == NULL; i++)
        {
          const CrS3Part *have = &g_array_index (held, CrS3Part, i);
          g_autofree char *md5 = NULL;

          if (have->number != number || have->size != length)
            continue;
          if ((md5 = cr_uploader_file_md5 (item->path, offset, length, error)) == NULL)
            return FALSE;
          if (g_ascii_strcasecmp (have->etag, md5) == 0)
            part.etag = g_steal_pointer (&md5);
        }
      if (part.etag == NULL)
        {
          ok = cr_s3_multipart_upload_part (client, bucket, item->key, item->upload_id,
                                            number, item->path, offset, length, &reply, error);
          part.etag = g_strdup (ok ? reply.etag : NULL);
          cr_s3_reply_clear (&reply);
          if (!ok)
            return FALSE;
        }
      g_array_append_val (parts, part);
    }
  ok = cr_s3_multipart_complete (client, bucket, item->key, item->upload_id, parts, &reply,
                                 error);
  cr_s3_reply_clear (&reply);
  for (guint i = 0; i < parts->len; i++)
    g_free (g_array_index (parts, CrS3Part, i).etag);
  return ok;
}

static const char *
reason_of (const GError *error)
{
  if (error->domain != CR_S3_ERROR)
    return "local";
  switch (error->code)
    {
    case CR_S3_ERROR_UNREACHABLE: return "unreachable";
    case CR_S3_ERROR_REFUSED: return "refused";
    case CR_S3_ERROR_NOT_FOUND: return "no-bucket";
    case CR_S3_ERROR_UNKNOWN: return "unknown";
    case CR_S3_ERROR_IO: return "local";
    default: return "invalid";
    }
}

void
cr_uploader_record_failure (CrUploader *uploader, CrSegmentIndex *index, CrUploadItem *item,
                const GError *error, char **last_error)
{
  g_autoptr (GError) record_error = NULL;
  gint64 next = g_get_real_time () + cr_uploader_backoff (item->attempts);
  const char *reason = reason_of (error);

  /* Ended by the uploader's own stop: no fault of the store's, nothing to
   * count or warn of; the row waits for the next start, which settles it
   * as a crash's (HEAD, ListParts). */
  if (g_atomic_int_get (&uploader->cancel))
    {
      g_message ("[archive %s]: %s: left for the next start to settle (%s)", item->archive,
                 item->key, cr_text_shown (error->message));
      if (!cr_upload_queue_unknown (index, item->id, error->message, g_get_real_time (),
                                    &record_error))
        g_warning ("[archive %s]: %s", item->archive, cr_text_shown (record_error->message));
      return;
    }
  g_warning ("[archive %s]: %s: %s (%s; tried again in %" G_GINT64_FORMAT " s)",
             item->archive, item->key, cr_text_shown (error->message), reason,
             (next - g_get_real_time ()) / G_USEC_PER_SEC);
  g_free (*last_error);
  *last_error = g_strdup_printf ("%s: %s", item->key, error->message);
  /* When it answers again, the clock and the lock are asked again. */
  if (g_error_matches (error, CR_S3_ERROR, CR_S3_ERROR_UNREACHABLE))
    uploader->store_lost = TRUE;
  if (!(g_error_matches (error, CR_S3_ERROR, CR_S3_ERROR_UNKNOWN)
          ? cr_upload_queue_unknown (index, item->id, error->message, next, &record_error)
          : cr_upload_queue_fail (index, item->id, reason, error->message, next,
                                  &record_error)))
    g_warning ("[archive %s]: %s", item->archive, cr_text_shown (record_error->message));
}

void
cr_uploader_work_on (CrUploader *uploader, CrS3Client *client, CrSegmentIndex *index,
                     CrUploadItem *item, char **last_error)
{
  const CrArchiveConfig *config = uploader->config;
  const char *bucket = config->bucket;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *content_md5 = md5_base64 (item->md5);
  g_autoptr (CrSessionRecord) session = cr_segment_index_get_session (index, item->session_id,
                                                                      &error);
  g_autofree char *session_text = g_strdup_printf ("%" G_GINT64_FORMAT, item->session_id);
  g_autofree char *sequence_text = g_strdup_printf ("%" G_GINT64_FORMAT, item->sequence);
  const char *metadata[] = {
    "courtrec-room", uploader->room_id,
    "courtrec-case", session != NULL && session->case_no != NULL ? session->case_no : "",
    "courtrec-session", session_text,
    "courtrec-item", item->item,
    "courtrec-sequence", item->sequence >= 0 ? sequence_text : "",
    "courtrec-sha256", item->sha256,
    NULL,
  };
  CrS3PutOptions options = {
    .sha256_hex = item->sha256, .content_md5 = content_md5,
    .content_type = g_strcmp0 (item->item, "manifest") == 0 ? "application/json"
                                                            : "video/x-matroska",
    .metadata = metadata,
  };
  CrS3Reply reply = CR_S3_REPLY_INIT;
  Held held = { NULL, NULL, FALSE };
  gint64 retain_until = 0;
  gboolean sent;

  if (uploader->bucket_locked)
    {
      /* Without its session's start, no date: better not sent yet than
       * sent with a retention of its own. */
      if (session == NULL)
        {
          if (error == NULL)
            g_set_error (&error, CR_S3_ERROR, CR_S3_ERROR_IO, "session %" G_GINT64_FORMAT
                         " is not in the index: its retention is unknown", item->session_id);
          goto failed;
        }
      retain_until = cr_upload_retain_until (session->started_us, config->lock_retain_years);
      /* A retention already over (a start more than lock_retain_years ago)
       * is none: the store refuses a date in the past. */
      if (retain_until <= g_get_real_time () / G_USEC_PER_SEC)
        retain_until = 0;
      options.lock_mode = retain_until != 0 ? "COMPLIANCE" : NULL;
      options.lock_retain_until = retain_until;
    }
  g_clear_error (&error);
  expected = item->part_bytes == 0 ? g_strdup (item->md5)
                                   : cr_s3_expected_etag (item->path, item->part_bytes, &error);
  if (expected == NULL)
    goto failed;
  /* Anything tried before (a crash, a lost answer, a failure) is asked
   * about first: a timed-out PUT was seen to complete in the store. */
  if (item->state != CR_UPLOAD_QUEUED || item->attempts > 0)
    {
      if (!store_holds (client, bucket, item, expected, retain_until, &held, &error))
        goto failed;
      /* A PUT whose answer was lost may still be under way at the gateway:
       * with its OSD stopped, RGW finished one after a HEAD had found
       * nothing, and the PUT sent again then made a second version. So
       * "nothing there" after "no answer" is asked once more, after the
       * time a transfer may stall, before anything is sent again. */
      if (item->state == CR_UPLOAD_UNKNOWN && held.etag == NULL && held.version_id == NULL)
        {
          guint stall = cr_s3_client_get_stall_seconds (client);

          g_message ("[archive %s]: %s is not in the store after its answer was lost: asked "
                     "again in %u s before it is sent again", item->archive, item->key, stall);
          if (!cr_uploader_pause (uploader, stall))
            return;
          if (!store_holds (client, bucket, item, expected, retain_until, &held, &error))
            goto failed;
        }
      if (held.etag != NULL)
        goto verified;
    }
  if (!cr_upload_queue_set_state (index, item->id, CR_UPLOAD_UPLOADING, &error))
    goto failed;
  item->attempts++;
  if (item->part_bytes == 0)
    {
      sent = cr_s3_put_object (client, bucket, item->key, item->path, &options, &reply, &error);
      cr_s3_reply_clear (&reply);
    }
  else
    sent = send_parts (uploader, client, index, item, &options, &error);
  if (!sent)
    goto failed;
  /* Only a HEAD counts, never the answer to the PUT or the Complete. */
  if (!store_holds (client, bucket, item, expected, retain_until, &held, &error))
    goto failed;
  if (held.etag == NULL)
    {
      g_set_error (&error, CR_S3_ERROR, CR_S3_ERROR_REFUSED,
                   "the store does not show %s back as sent (size or ETag differ)", item->key);
      goto failed;
    }

verified:
  if (!settle_retention (client, bucket, item, expected, retain_until, &held, &error) ||
      !cr_upload_queue_verified (index, item->id, held.etag, g_get_real_time (), &error))
    goto failed;
  if (retain_until != 0)
    {
      g_autoptr (GDateTime) until = g_date_time_new_from_unix_utc (retain_until);
      g_autofree char *date = g_date_time_format (until, "%Y-%m-%d");

      g_message ("[archive %s]: %s verified (%" G_GINT64_FORMAT " bytes, ETag %s, "
                 "COMPLIANCE until %s)", item->archive, item->key, item->bytes, held.etag,
                 date);
    }
  else
    g_message ("[archive %s]: %s verified (%" G_GINT64_FORMAT " bytes, ETag %s)",
               item->archive, item->key, item->bytes, held.etag);
  held_clear (&held);
  return;

failed:
  held_clear (&held);
  cr_uploader_record_failure (uploader, index, item, error, last_error);
}
