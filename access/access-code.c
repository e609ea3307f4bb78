/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-code.c: see access-code.h. */
#include "access/access-code.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/small-file.h"
#include "config/text.h"

/* Crockford's base32: no I, L, O or U, which a party would misread. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct CrAccessKey {
  guint8 bytes[CR_ACCESS_KEY_BYTES];
};

/* Each hash says what it is of, so that no code hashes like an identity
 * number or the last 4 characters of one. */
#define DOMAIN_CODE "courtrec-access-code-1:"
#define DOMAIN_IDENTITY "courtrec-identity-1:"
#define DOMAIN_SUFFIX "courtrec-identity-suffix-1:"

static gboolean
make_key (const char *path, CrAccessKey *key, GError **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  gboolean ok;

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot make the access key '%s': %s", cr_text_shown (path),
                   g_strerror (saved));
      return FALSE;
    }
  randombytes_buf (key->bytes, sizeof key->bytes);
  ok = write (fd, key->bytes, sizeof key->bytes) == (ssize_t) sizeof key->bytes &&
       fsync (fd) == 0;
  if (close (fd) != 0)
    ok = FALSE;
  if (!ok)
    {
      g_unlink (path);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "Cannot write the access key '%s'",
                   cr_text_shown (path));
    }
  return ok;
}

CrAccessKey *
cr_access_key_load (const char *storage_dir, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  CrAccessKey *key;
  gsize length = 0;
  struct stat st;

  g_return_val_if_fail (storage_dir != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                           "libsodium could not be initialised");
      return NULL;
    }
  path = g_build_filename (storage_dir, "access-key", NULL);
  key = g_new0 (CrAccessKey, 1);
  if (!cr_small_file_read (path, "The access key", 4096, &contents, &length, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          cr_access_key_free (key);
          return NULL;
        }
      if (!make_key (path, key, error))
        {
          cr_access_key_free (key);
          return NULL;
        }
      return key;
    }
  if (length != CR_ACCESS_KEY_BYTES)
    {
      sodium_memzero (contents, length);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "The access key '%s' holds %" G_GSIZE_FORMAT " bytes: expected %d "
                   "random bytes", cr_text_shown (path), length, CR_ACCESS_KEY_BYTES);
      cr_access_key_free (key);
      return NULL;
    }
  if (stat (path, &st) == 0 && (st.st_mode & 077) != 0)
    {
      sodium_memzero (contents, length);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   "The access key '%s' has mode %04o: expected 0600 (chmod go= FILE)",
                   cr_text_shown (path), (guint) (st.st_mode & 07777));
      cr_access_key_free (key);
      return NULL;
    }
  memcpy (key->bytes, contents, CR_ACCESS_KEY_BYTES);
  sodium_memzero (contents, length);
  return key;
}

void
cr_access_key_free (CrAccessKey *key)
{
  if (key == NULL)
    return;
  sodium_memzero (key, sizeof *key);
  g_free (key);
}

char *
cr_access_code_new (void)
{
  GString *code = g_string_new (NULL);

  /* 26 symbols of 5 bits: 130 bits. Grouped 4-4-4-4-5-5 for reading out. */
  for (guint i = 0; i < CR_ACCESS_CODE_CHARS; i++)
    {
      if (i == 4 || i == 8 || i == 12 || i == 16 || i == 21)
        g_string_append_c (code, '-');
      g_string_append_c (code, alphabet[randombytes_uniform (32)]);
    }
  return g_string_free (code, FALSE);
}

char *
cr_access_code_normalize (const char *typed)
{
  GString *code;

  if (typed == NULL || strlen (typed) > 64)
    return NULL;
  code = g_string_new (NULL);
  for (const char *p = typed; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == '-' || c == ' ')
        continue;
      if (c == 'O')
        c = '0';
      else if (c == 'I' || c == 'L')
        c = '1';
      if (c == '\0' || strchr (alphabet, c) == NULL || code->len >= CR_ACCESS_CODE_CHARS)
        {
          g_string_free (code, TRUE);
          return NULL;
        }
      g_string_append_c (code, c);
    }
  if (code->len != CR_ACCESS_CODE_CHARS)
    {
      g_string_free (code, TRUE);
      return NULL;
    }
  return g_string_free (code, FALSE);
}

static char *
keyed_hash (const CrAccessKey *key, const char *domain, const char *text)
{
  guint8 hash[32];
  char hex[sizeof hash * 2 + 1];
  crypto_generichash_state state;

  crypto_generichash_init (&state, key->bytes, sizeof key->bytes, sizeof hash);
  crypto_generichash_update (&state, (const guint8 *) domain, strlen (domain));
  crypto_generichash_update (&state, (const guint8 *) text, strlen (text));
  crypto_generichash_final (&state, hash, sizeof hash);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

char *
cr_access_code_hash (const CrAccessKey *key, const char *typed)
{
  g_autofree char *code = cr_access_code_normalize (typed);

  g_return_val_if_fail (key != NULL, NULL);
  if (code == NULL)
    return NULL;
  return keyed_hash (key, DOMAIN_CODE, code);
}

char *
cr_access_identity_normalize (const char *typed)
{
  GString *id;

  if (typed == NULL || strlen (typed) > 80)
    return NULL;
  id = g_string_new (NULL);
  for (const char *p = typed; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == '-')
        continue;
      if (!g_ascii_isalnum (*p))
        {
          g_string_free (id, TRUE);
          return NULL;
        }
      g_string_append_c (id, g_ascii_toupper (*p));
    }
  if (id->len < 4 || id->len > 40)
    {
      g_string_free (id, TRUE);
      return NULL;
    }
  return g_string_free (id, FALSE);
}

char *
cr_access_identity_hash (const CrAccessKey *key, const char *identity)
{
  g_autofree char *id = cr_access_identity_normalize (identity);

  g_return_val_if_fail (key != NULL, NULL);
  if (id == NULL)
    return NULL;
  return keyed_hash (key, DOMAIN_IDENTITY, id);
}

char *
cr_access_identity_suffix_hash (const CrAccessKey *key, const char *suffix)
{
  g_autofree char *id = cr_access_identity_normalize (suffix);

  g_return_val_if_fail (key != NULL, NULL);
  if (id == NULL)
    return NULL;
  /* The whole number or only its end: the last 4 either way. */
  return keyed_hash (key, DOMAIN_SUFFIX, id + strlen (id) - 4);
}
