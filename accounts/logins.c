/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* logins.c: see logins.h. */
#include "accounts/logins.h"

#include <sodium.h>
#include <string.h>

#define SECRET_BYTES 32

typedef struct {
  char *user;
  char *csrf;
  gint64 opened_us;   /* monotonic */
  gint64 used_us;     /* monotonic */
  gint64 opened_utc_us;
} Login;

struct CrLogins {
  gint64 idle_us;
  gint64 max_us;
  GHashTable *by_digest;   /* SHA-256 of the key (hex) -> Login */
};

static void
login_free (Login *login)
{
  g_free (login->user);
  sodium_memzero (login->csrf, strlen (login->csrf));
  g_free (login->csrf);
  g_free (login);
}

CrLogins *
cr_logins_new (guint idle_seconds, guint max_seconds)
{
  CrLogins *logins;

  g_return_val_if_fail (idle_seconds > 0 && max_seconds > 0, NULL);

  logins = g_new0 (CrLogins, 1);
  logins->idle_us = (gint64) idle_seconds * G_USEC_PER_SEC;
  logins->max_us = (gint64) max_seconds * G_USEC_PER_SEC;
  logins->by_digest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) login_free);
  return logins;
}

void
cr_logins_free (CrLogins *logins)
{
  if (logins == NULL)
    return;
  g_hash_table_unref (logins->by_digest);
  g_free (logins);
}

/* 256 random bits as URL-safe base64 without padding: a cookie value and
 * a header value need no quoting. (transfer full) */
static char *
random_secret (void)
{
  guint8 bytes[SECRET_BYTES];
  char text[sodium_base64_ENCODED_LEN (SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  /* randombytes_buf() initializes libsodium's generator itself if need be. */
  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (text, sizeof text, bytes, sizeof bytes,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  return g_strdup (text);
}

static char *
key_digest (const char *key)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}

static gboolean
expired (CrLogins *logins, const Login *login, gint64 now_us)
{
  return now_us - login->used_us > logins->idle_us || now_us - login->opened_us > logins->max_us;
}

/* Drops the expired logins, and the oldest while there are too many. */
static void
sweep (CrLogins *logins, gint64 now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, logins->by_digest);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (expired (logins, value, now_us))
      g_hash_table_iter_remove (&iter);
  while (g_hash_table_size (logins->by_digest) >= CR_LOGINS_MAX)
    {
      gpointer oldest_key = NULL, key;
      gint64 oldest_us = G_MAXINT64;

      g_hash_table_iter_init (&iter, logins->by_digest);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (((Login *) value)->used_us < oldest_us)
          {
            oldest_us = ((Login *) value)->used_us;
            oldest_key = key;
          }
      g_hash_table_remove (logins->by_digest, oldest_key);
    }
}

char *
cr_logins_open (CrLogins *logins, const char *user, char **csrf)
{
  gint64 now_us = g_get_monotonic_time ();
  Login *login;
  char *key;

  g_return_val_if_fail (logins != NULL && user != NULL && csrf != NULL, NULL);

  sweep (logins, now_us);
  login = g_new0 (Login, 1);
  login->user = g_strdup (user);
  login->csrf = random_secret ();
  login->opened_us = login->used_us = now_us;
  login->opened_utc_us = g_get_real_time ();
  key = random_secret ();
  g_hash_table_replace (logins->by_digest, key_digest (key), login);
  *csrf = g_strdup (login->csrf);
  return key;
}

const char *
cr_logins_lookup (CrLogins *logins, const char *key, const char **csrf, gint64 *opened_us)
{
  g_autofree char *digest = NULL;
  gint64 now_us = g_get_monotonic_time ();
  Login *login;

  g_return_val_if_fail (logins != NULL && key != NULL, NULL);

  digest = key_digest (key);
  login = g_hash_table_lookup (logins->by_digest, digest);
  if (login == NULL)
    return NULL;
  if (expired (logins, login, now_us))
    {
      g_hash_table_remove (logins->by_digest, digest);
      return NULL;
    }
  login->used_us = now_us;
  if (csrf != NULL)
    *csrf = login->csrf;
  if (opened_us != NULL)
    *opened_us = login->opened_utc_us;
  return login->user;
}

gboolean
cr_logins_close (CrLogins *logins, const char *key)
{
  g_autofree char *digest = NULL;

  g_return_val_if_fail (logins != NULL && key != NULL, FALSE);
  digest = key_digest (key);
  return g_hash_table_remove (logins->by_digest, digest);
}

guint
cr_logins_count (CrLogins *logins)
{
  g_return_val_if_fail (logins != NULL, 0);
  sweep (logins, g_get_monotonic_time ());
  return g_hash_table_size (logins->by_digest);
}
