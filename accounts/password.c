/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* password.c: see password.h. */
#include "accounts/password.h"

#include <sodium.h>
#include <string.h>

#include "accounts/users.h"

gboolean
cr_password_check (const char *password, GError **error)
{
  glong chars;

  g_return_val_if_fail (password != NULL, FALSE);

  if (!g_utf8_validate (password, -1, NULL))
    {
      g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                           "The password is not valid UTF-8");
      return FALSE;
    }
  chars = g_utf8_strlen (password, -1);
  if (chars < CR_PASSWORD_MIN_CHARS || chars > CR_PASSWORD_MAX_CHARS)
    {
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                   "The password must be %d to %d characters long (it is %ld)",
                   CR_PASSWORD_MIN_CHARS, CR_PASSWORD_MAX_CHARS, chars);
      return FALSE;
    }
  for (const char *p = password; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                             "The password contains a control character (a tab, a line "
                             "end...), which a login could not send");
        return FALSE;
      }
  return TRUE;
}

char *
cr_password_hash (const char *password, GError **error)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (sodium_init () < 0 ||
      crypto_pwhash_str (hash, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    {
      g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_FAILED,
                           "Could not hash the password: Argon2id needs 64 MB of memory");
      return NULL;
    }
  return g_strdup (hash);
}

/* A hash nobody knows the password of, made once (at a cost of one hash)
 * for the names that have none. */
static const char *
decoy_hash (void)
{
  static gsize decoy;

  if (g_once_init_enter (&decoy))
    {
      guint8 secret[32];
      char *hash;

      randombytes_buf (secret, sizeof secret);
      {
        g_autofree char *text = g_base64_encode (secret, sizeof secret);
        hash = cr_password_hash (text, NULL);
        sodium_memzero (text, strlen (text));
      }
      sodium_memzero (secret, sizeof secret);
      g_once_init_leave (&decoy, (gsize) (hash != NULL ? hash : g_strdup ("")));
    }
  return (const char *) decoy;
}

gboolean
cr_password_verify (const char *hash, const char *password)
{
  gboolean known = hash != NULL;

  g_return_val_if_fail (password != NULL, FALSE);

  if (sodium_init () < 0)
    return FALSE;
  if (!known)
    hash = decoy_hash ();
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0 && known;
}
