/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* court-archive-verbs.c: `courtrec archive verify`, the court archive's
 * copy of a session read back from the bucket and verified from it alone
 * (archive/archive-verify.h), for each [archive NAME] of the room or the
 * one given. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "archive/archive-verify.h"
#include "archive/s3-client.h"
#include "archive/segment-index.h"
#include "archive/upload-queue.h"
#include "config/archive-secret.h"
#include "config/text.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

/* A client of @archive's store, with its keys read as the uploader reads
 * them. NULL with the reason printed. */
static CrS3Client *
archive_client (const CrArchiveConfig *archive)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *access = NULL;
  g_autofree char *secret = NULL;
  CrS3Client *client = NULL;

  if (cr_config_load_archive_keys (archive, &access, &secret, &error))
    {
      CrS3Config s3 = {
        .endpoint = archive->endpoint, .region = archive->region,
        .access_key = access, .secret_key = secret,
      };
      client = cr_s3_client_new (&s3, &error);
    }
  if (access != NULL)
    explicit_bzero (access, strlen (access));
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  if (client == NULL)
    fail (EXIT_RUNTIME, "%s", cr_text_shown (error->message));
  return client;
}

/* Verifies the session at @session_key in @archive; the exit status. */
static int
verify_in (const CrArchiveConfig *archive, const char *session_key, gint64 session_id,
           const CrSessionRecord *local, const char *trusted)
{
  g_autoptr (CrS3Client) client = archive_client (archive);
  g_autoptr (CrVerifyReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *work = NULL;
  gint64 started = g_get_monotonic_time ();
  CrArchiveVerifyRequest request = {
    .bucket = archive->bucket, .session_key = session_key, .session_id = session_id,
    .trusted_public_key = trusted, .local = local,
  };

  if (client == NULL)
    return EXIT_RUNTIME;
  /* Each object is fetched here and removed once hashed. */
  work = g_dir_make_tmp ("courtrec-archive-verify-XXXXXX", &error);
  if (work == NULL)
    return fail (EXIT_RUNTIME, "archive verify: %s", error->message);
  request.client = client;
  request.work_dir = work;
  printf ("[archive %s] %s/%s/\n", cr_text_shown (archive->name),
          cr_text_shown (archive->bucket), cr_text_shown (session_key));
  report = cr_archive_verify_session (&request, &error);
  g_rmdir (work);
  if (report == NULL)
    return fail (EXIT_RUNTIME, "[archive %s]: %s", cr_text_shown (archive->name),
                 cr_text_shown (error->message));
  print_verify_report (report, g_get_monotonic_time () - started);
  return cr_verify_report_is_intact (report) ? EXIT_OK : EXIT_INTEGRITY;
}

int
run_archive (VerbCall *call)
{
  gint64 session_id = verb_session (call, "session");
  const char *key = verb_text (call, "key");
  const char *only = verb_text (call, "archive");
  g_autoptr (CrSessionRecord) session = NULL;
  g_autofree char *trusted = NULL;
  g_autofree char *session_key = NULL;
  const CrConfig *config;
  guint checked = 0;
  int code, worst = EXIT_OK;

  if (strcmp (call->args[0], "verify") != 0)
    return fail (EXIT_USAGE, "archive: expected verify, got '%s'",
                 cr_text_shown (call->args[0]));
  if ((session_id != 0) == (key != NULL))
    return fail (EXIT_USAGE, "archive verify: give one of --session ID and --key KEY");
  if (key != NULL && !cr_s3_key_validate (key, NULL))
    return fail (EXIT_USAGE, "archive verify: --key: '%s' is not an object key (ASCII "
                 "letters, digits and ._~- between single '/')", cr_text_shown (key));
  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  if (config->archives == NULL || config->archives->len == 0)
    return fail (EXIT_USAGE, "archive verify: %s has no [archive NAME] group",
                 cr_text_shown (config->path));
  trusted = verify_trusted_key (config, verb_text (call, "public-key"), &code);
  if (code != EXIT_OK)
    return code;

  if (session_id != 0)
    {
      g_autoptr (GError) error = NULL;
      CrSegmentIndex *index = verb_index (call, FALSE, &code);

      if (index == NULL)
        return code;
      session = cr_segment_index_get_session (index, session_id, &error);
      if (session == NULL)
        return fail (EXIT_USAGE, "archive verify: %s (courtrec sessions lists them)",
                     cr_text_shown (error->message));
    }

  for (guint i = 0; i < config->archives->len; i++)
    {
      const CrArchiveConfig *archive = g_ptr_array_index (config->archives, i);

      if (only != NULL && strcmp (only, archive->name) != 0)
        continue;
      g_free (session_key);
      session_key = key != NULL ? g_strdup (key)
                                : cr_upload_session_key (archive->prefix, config->room_id,
                                                         session);
      code = verify_in (archive, session_key, session_id, session, trusted);
      /* The gravest outcome: a copy not intact beats an archive not reached. */
      if (code == EXIT_INTEGRITY || worst == EXIT_OK)
        worst = code;
      checked++;
    }
  if (checked == 0)
    return fail (EXIT_USAGE, "archive verify: --archive: %s has no [archive %s]",
                 cr_text_shown (config->path), cr_text_shown (only));
  return worst;
}
