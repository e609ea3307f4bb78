/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* archive-secret.c: cr_config_load_archive_secret (archive-secret.h). */
#include "config/archive-secret.h"

#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "config/small-file.h"
#include "config/text.h"

/* An S3 secret is 40 characters; a file far larger is not one. */
#define ARCHIVE_SECRET_MAX_BYTES 4096

char *
cr_config_load_archive_secret (const char *path, const char *what, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length = 0;
  struct stat st;

  g_return_val_if_fail (path != NULL && what != NULL, NULL);

  if (!cr_small_file_read (path, "The archive's key file", ARCHIVE_SECRET_MAX_BYTES,
                           &contents, &length, &local_error))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                   "%s = \"%s\": cannot read the key: %s", what, cr_text_shown (path),
                   local_error->message);
      return NULL;
    }
  /* Whoever holds the secret can delete the court's archive (where the
   * bucket has no lock) or fill it: a file anyone may read is a set-up to
   * fix. */
  if (stat (path, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0)
    {
      explicit_bzero (contents, length);
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s = \"%s\": mode %04o lets every user of the machine read or change "
                   "the key: expected 0600 or 0640 (chmod o= FILE)", what,
                   cr_text_shown (path), (guint) (st.st_mode & 07777));
      return NULL;
    }
  if (memchr (contents, '\0', length) != NULL)
    {
      explicit_bzero (contents, length);
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s = \"%s\": the file holds a NUL byte: expected the key as one word",
                   what, cr_text_shown (path));
      return NULL;
    }
  g_strstrip (contents);
  if (*contents == '\0' || strpbrk (contents, " \t\r\n") != NULL)
    {
      gboolean empty = *contents == '\0';

      /* Not printed: a wrong key is still a secret. */
      explicit_bzero (contents, strlen (contents));
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID, "%s = \"%s\": %s", what,
                   cr_text_shown (path),
                   empty ? "the file is empty: expected the key"
                         : "not a key: expected one word without spaces");
      return NULL;
    }
  for (const char *p = contents; *p != '\0'; p++)
    if ((guchar) *p < 0x21 || (guchar) *p > 0x7e || *p == ':')
      {
        explicit_bzero (contents, strlen (contents));
        g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                     "%s = \"%s\": not a key: expected printable ASCII without ':'", what,
                     cr_text_shown (path));
        return NULL;
      }
  return g_steal_pointer (&contents);
}

gboolean
cr_config_load_archive_keys (const CrArchiveConfig *archive, char **access_key,
                             char **secret_key, GError **error)
{
  g_autofree char *what = g_strdup_printf ("[archive %s] access_key_file", archive->name);
  g_autofree char *access = cr_config_load_archive_secret (archive->access_key_file, what,
                                                           error);
  char *secret;

  if (access == NULL)
    return FALSE;
  g_free (what);
  what = g_strdup_printf ("[archive %s] secret_key_file", archive->name);
  secret = cr_config_load_archive_secret (archive->secret_key_file, what, error);
  if (secret == NULL)
    {
      explicit_bzero (access, strlen (access));
      return FALSE;
    }
  *access_key = g_steal_pointer (&access);
  *secret_key = secret;
  return TRUE;
}
