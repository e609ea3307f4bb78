/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uploader-checks.c: the clock and the lock (uploader-checks.h). */
#include "recorder/uploader-checks.h"

#include <errno.h>

#include <glib/gstdio.h>

/* Long enough for the DELETE that follows at once and for a clock some
 * minutes off; short, since each start leaves one canary in the bucket
 * (a few bytes) that nobody can delete until then. */
#define CANARY_RETAIN_SECONDS 3600

gboolean
cr_uploader_clock_offset (const CrS3Reply *reply, gint64 sent_us, gint64 answered_us,
                          double *offset_seconds)
{
  double local;

  if (reply->date <= 0)
    return FALSE;
  local = (sent_us + answered_us) / 2.0 / G_USEC_PER_SEC;
  *offset_seconds = (reply->date + 0.5) - local;
  return TRUE;
}

static gboolean
no_answer (const GError *error)
{
  return g_error_matches (error, CR_S3_ERROR, CR_S3_ERROR_UNREACHABLE) ||
         g_error_matches (error, CR_S3_ERROR, CR_S3_ERROR_UNKNOWN);
}

char *
cr_uploader_prove_lock (CrS3Client *client, const CrArchiveConfig *config, const char *room_id,
                        const char *storage_dir, gint64 store_now, gboolean *unreachable,
                        gboolean *locked)
{
  gint64 now = MAX (store_now, g_get_real_time () / G_USEC_PER_SEC);
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (now);
  g_autofree char *when = g_date_time_format (t, "%Y%m%dT%H%M%SZ");
  g_autofree char *key = g_strdup_printf ("%s%s%s/.courtrec-lock-canary/%s-%08x",
                                          config->prefix, *config->prefix != '\0' ? "/" : "",
                                          room_id, when, g_random_int ());
  g_autofree char *dir = g_build_filename (storage_dir, "archive-manifests", NULL);
  g_autofree char *path = g_build_filename (dir, "lock-canary.txt", NULL);
  g_autofree char *body = g_strdup_printf ("courtrec lock canary of room %s, %s: its delete "
                                           "must be refused\n", room_id, when);
  CrS3PutOptions options = {
    .content_type = "text/plain", .lock_mode = "COMPLIANCE",
    .lock_retain_until = now + CANARY_RETAIN_SECONDS,
  };
  CrS3Reply reply = CR_S3_REPLY_INIT;
  g_autoptr (GError) error = NULL;
  g_autofree char *version = NULL;
  char *problem = NULL;

  *unreachable = FALSE;
  *locked = FALSE;
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents (path, body, -1, &error))
    return g_strdup_printf ("the lock canary could not be written locally: %s",
                            error != NULL ? error->message : g_strerror (errno));
  if (!cr_s3_put_object (client, config->bucket, key, path, &options, &reply, &error))
    {
      *unreachable = no_answer (error);
      /* RGW answers 400 InvalidRequest to lock headers on a bucket made
       * without Object Lock. */
      problem = reply.status == 400
                    ? g_strdup_printf ("the bucket %s has no Object Lock (%s): what is sent "
                                       "there can be deleted or overwritten with its keys; "
                                       "object_lock = off accepts that",
                                       config->bucket, reply.code != NULL ? reply.code : "400")
                    : g_strdup_printf ("the lock canary %s could not be sent: %s", key,
                                       error->message);
      cr_s3_reply_clear (&reply);
      return problem;
    }
  *locked = TRUE;
  version = g_steal_pointer (&reply.version_id);
  cr_s3_reply_clear (&reply);
  if (version == NULL)
    return g_strdup_printf ("the bucket %s keeps no versions, so no Object Lock: the "
                            "canary %s was stored unlocked", config->bucket, key);
  if (cr_s3_delete_object (client, config->bucket, key, version, &reply, &error))
    problem = g_strdup_printf ("the bucket %s let the COMPLIANCE-locked canary %s (version "
                               "%s) be deleted: its lock does not hold", config->bucket, key,
                               version);
  else if (no_answer (error))
    *unreachable = TRUE;
  else if (g_strcmp0 (reply.code, "AccessDenied") != 0)
    problem = g_strdup_printf ("deleting the lock canary %s was refused, but not by the lock "
                               "(%s): the lock is not proven", key, error->message);
  cr_s3_reply_clear (&reply);
  if (problem == NULL && !*unreachable)
    g_message ("[archive %s]: the bucket %s refused to delete the locked canary %s: its "
               "Object Lock holds", config->name, config->bucket, key);
  return problem;
}
