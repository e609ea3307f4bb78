/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-token.c: the room's API token: read from its file, or made
 * there from the system's randomness on first start. */
#include "config/config-private.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "config/small-file.h"
#include "config/text.h"

/* Bytes of randomness in a fresh API token (64 hex characters). */
#define TOKEN_BYTES 32

static gboolean
fill_random (guint8 *buffer, gsize length, GError **error)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = getrandom (buffer + done, length - done, 0);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                       "cannot get random bytes for the API token: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

static char *
create_token (const char *path, GError **error)
{
  static const char hex[] = "0123456789abcdef";
  guint8 random[TOKEN_BYTES];
  char text[TOKEN_BYTES * 2 + 2];
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) local_error = NULL;
  char *token;

  /* 0750: the storage directory holds the recordings, which are not for
   * everyone on the machine (SPC rules, Art. 15). */
  if (g_mkdir_with_parents (dir, 0750) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                   "cannot create the directory %s for the API token file: %s",
                   dir, g_strerror (saved_errno));
      return NULL;
    }

  if (!fill_random (random, sizeof random, error))
    return NULL;
  for (gsize i = 0; i < TOKEN_BYTES; i++)
    {
      text[2 * i] = hex[random[i] >> 4];
      text[2 * i + 1] = hex[random[i] & 0xf];
    }
  text[TOKEN_BYTES * 2] = '\n';
  text[TOKEN_BYTES * 2 + 1] = '\0';
  explicit_bzero (random, sizeof random);

  /* Written to a temporary file and renamed: a reader never sees half a
   * token, and the mode is 0600 from the start. */
  if (!g_file_set_contents_full (path, text, TOKEN_BYTES * 2 + 1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &local_error))
    {
      explicit_bzero (text, sizeof text);
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                   "cannot write the API token file: %s", local_error->message);
      return NULL;
    }
  token = g_strndup (text, TOKEN_BYTES * 2);
  explicit_bzero (text, sizeof text);
  return token;
}

char *
cr_config_load_token (const CrConfig *config, gboolean create, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->token_file != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!cr_small_file_read (config->token_file, "The API token file", SECRET_MAX_BYTES,
                           &contents, &length, &local_error))
    {
      if (create && g_error_matches (local_error, G_FILE_ERROR,
                                     G_FILE_ERROR_NOENT))
        return create_token (config->token_file, error);
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                   "cannot read the API token: %s", local_error->message);
      return NULL;
    }

  /* A NUL would cut the token short without anyone noticing. */
  if (memchr (contents, '\0', length) != NULL)
    {
      explicit_bzero (contents, length);
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: the API token file holds a NUL byte: expected one "
                   "word of visible ASCII characters", cr_text_shown (config->token_file));
      return NULL;
    }
  g_strstrip (contents);
  if (*contents == '\0')
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: the API token file is empty: expected a token "
                   "(remove the file to have a new one made)",
                   cr_text_shown (config->token_file));
      return NULL;
    }
  /* It goes into an HTTP header as is. */
  for (gsize i = 0; contents[i] != '\0'; i++)
    if (contents[i] < 0x21 || contents[i] > 0x7e)
      {
        explicit_bzero (contents, length);
        g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                     "%s: the API token must be one word of visible ASCII "
                     "characters", cr_text_shown (config->token_file));
        return NULL;
      }
  return g_steal_pointer (&contents);
}
