/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stream-key.c: a live destination's stream key, read from a file
 * of its own, never from the config, never printed. */
#include "config/config-private.h"

#include <string.h>

#include "config/small-file.h"
#include "config/text.h"

char *
cr_config_load_stream_key (const CrStreamConfig *stream, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;

  if (stream->key_file == NULL)
    return g_strdup ("");
  if (!cr_small_file_read (stream->key_file, "The stream key file", SECRET_MAX_BYTES, &contents,
                           NULL, &local_error))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                   "[stream %s] key_file = \"%s\": cannot read the stream key: %s",
                   stream->name, cr_text_shown (stream->key_file), local_error->message);
      return NULL;
    }
  g_strstrip (contents);
  if (*contents == '\0' || strpbrk (contents, " \t\r\n/?#") != NULL)
    {
      /* Not printed: a wrong key is still a secret. */
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "[stream %s] key_file = \"%s\": %s", stream->name,
                   cr_text_shown (stream->key_file),
                   *contents == '\0' ? "the file is empty: expected the stream key"
                                     : "not a stream key: expected one word without "
                                       "spaces, '/', '?' or '#'");
      explicit_bzero (contents, strlen (contents));
      return NULL;
    }
  return g_steal_pointer (&contents);
}
