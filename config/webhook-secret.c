/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webhook-secret.c: cr_config_load_webhook_secret (config.h), the secret
 * an [alarm webhook NAME] signs with, read like a stream key: from a small
 * regular file of its own, never from the config, never logged. */
#include "config/config.h"

#include <string.h>
#include <sys/stat.h>

#include "config/small-file.h"
#include "config/text.h"

/* A secret is a line; a file far larger is not one. */
#define WEBHOOK_SECRET_MAX_BYTES 4096

char *
cr_config_load_webhook_secret (const CrWebhookConfig *webhook, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length = 0;
  struct stat st;

  g_return_val_if_fail (webhook != NULL && webhook->secret_file != NULL, NULL);

  if (!cr_small_file_read (webhook->secret_file, "The webhook secret file",
                           WEBHOOK_SECRET_MAX_BYTES, &contents, &length, &local_error))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                   "[alarm webhook %s] secret_file = \"%s\": cannot read the secret: %s",
                   webhook->name, cr_text_shown (webhook->secret_file), local_error->message);
      return NULL;
    }
  /* Whoever holds the secret can forge an alarm, or its clearing: a file
   * that anyone on the machine can read is a set-up to fix. */
  if (stat (webhook->secret_file, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0)
    {
      explicit_bzero (contents, length);
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "[alarm webhook %s] secret_file = \"%s\": mode %04o lets every user of "
                   "the machine read or change the secret: expected 0600 or 0640 "
                   "(chmod o= FILE)", webhook->name, cr_text_shown (webhook->secret_file),
                   (guint) (st.st_mode & 07777));
      return NULL;
    }
  if (memchr (contents, '\0', length) != NULL)
    {
      explicit_bzero (contents, length);
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "[alarm webhook %s] secret_file = \"%s\": the file holds a NUL byte: "
                   "expected the secret as one line of text", webhook->name,
                   cr_text_shown (webhook->secret_file));
      return NULL;
    }
  g_strstrip (contents);
  if (*contents == '\0')
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "[alarm webhook %s] secret_file = \"%s\": the file is empty: expected "
                   "the secret the receiver checks signatures with", webhook->name,
                   cr_text_shown (webhook->secret_file));
      return NULL;
    }
  return g_steal_pointer (&contents);
}
