/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-logins.c: see access-logins.h. */
#include "recorder/access-logins.h"

#include <sodium.h>
#include <string.h>

#define ID_BYTES 32

typedef struct {
  CrAccessLogin login;
  gint64 opened_us;
  gint64 used_us;
} Entry;

struct CrAccessLogins {
  gint64 (*clock_us) (void);
  GHashTable *entries;   /* hex hash of the id -> Entry */
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;
  g_free (entry->login.case_no);
  g_free (entry->login.requester);
  g_free (entry->login.role);
  if (entry->login.sessions != NULL)
    g_array_unref (entry->login.sessions);
  g_free (entry);
}

static gint64
now_us (CrAccessLogins *logins)
{
  return logins->clock_us != NULL ? logins->clock_us () : g_get_real_time ();
}

/* The key an id is kept under. (transfer full) */
static char *
key_of (const char *id)
{
  guint8 hash[crypto_generichash_BYTES];
  char hex[crypto_generichash_BYTES * 2 + 1];

  crypto_generichash (hash, sizeof hash, (const guint8 *) id, strlen (id), NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

static gboolean
entry_live (const Entry *entry, gint64 now)
{
  return now < entry->login.expires_us &&
         now - entry->used_us < (gint64) CR_ACCESS_LOGIN_IDLE_SECONDS * G_USEC_PER_SEC;
}

static void
drop_dead (CrAccessLogins *logins)
{
  GHashTableIter iter;
  gpointer value;
  gint64 now = now_us (logins);

  g_hash_table_iter_init (&iter, logins->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!entry_live (value, now))
      g_hash_table_iter_remove (&iter);
}

/* Ends the oldest login of @grant_id when it has its share already. */
static void
make_room_in_grant (CrAccessLogins *logins, gint64 grant_id)
{
  GHashTableIter iter;
  gpointer key, value;
  gpointer oldest = NULL;
  gint64 oldest_us = G_MAXINT64;
  guint count = 0;

  g_hash_table_iter_init (&iter, logins->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Entry *entry = value;
      if (entry->login.grant_id != grant_id)
        continue;
      count++;
      if (entry->opened_us < oldest_us)
        {
          oldest_us = entry->opened_us;
          oldest = key;
        }
    }
  if (count >= CR_ACCESS_LOGINS_PER_GRANT && oldest != NULL)
    g_hash_table_remove (logins->entries, oldest);
}

CrAccessLogins *
cr_access_logins_new (gint64 (*clock_us) (void))
{
  CrAccessLogins *logins = g_new0 (CrAccessLogins, 1);

  logins->clock_us = clock_us;
  logins->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  return logins;
}

void
cr_access_logins_free (CrAccessLogins *logins)
{
  if (logins == NULL)
    return;
  g_hash_table_unref (logins->entries);
  g_free (logins);
}

char *
cr_access_logins_open (CrAccessLogins *logins, const CrAccessLogin *login)
{
  guint8 bytes[ID_BYTES];
  char id[ID_BYTES * 2 + 1];
  Entry *entry;

  g_return_val_if_fail (logins != NULL && login != NULL, NULL);

  drop_dead (logins);
  make_room_in_grant (logins, login->grant_id);
  if (g_hash_table_size (logins->entries) >= CR_ACCESS_LOGINS_MAX)
    return NULL;
  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2hex (id, sizeof id, bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);

  entry = g_new0 (Entry, 1);
  entry->login.grant_id = login->grant_id;
  entry->login.case_no = g_strdup (login->case_no);
  entry->login.requester = g_strdup (login->requester);
  entry->login.role = g_strdup (login->role);
  entry->login.copy_mode = login->copy_mode;
  entry->login.expires_us = login->expires_us;
  entry->login.sessions = login->sessions != NULL ? g_array_ref (login->sessions)
                                                  : g_array_new (FALSE, FALSE, sizeof (gint64));
  entry->opened_us = entry->used_us = now_us (logins);
  g_hash_table_replace (logins->entries, key_of (id), entry);
  return g_strdup (id);
}

/* Only what an id can look like is hashed: anything else is no login. */
static gboolean
id_well_formed (const char *id)
{
  if (id == NULL || strlen (id) != CR_ACCESS_LOGIN_ID_LENGTH)
    return FALSE;
  for (const char *c = id; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c) || g_ascii_isupper (*c))
      return FALSE;
  return TRUE;
}

CrAccessLogin *
cr_access_logins_lookup (CrAccessLogins *logins, const char *id)
{
  g_autofree char *key = NULL;
  Entry *entry;
  gint64 now;

  g_return_val_if_fail (logins != NULL, NULL);

  if (!id_well_formed (id))
    return NULL;
  key = key_of (id);
  entry = g_hash_table_lookup (logins->entries, key);
  if (entry == NULL)
    return NULL;
  now = now_us (logins);
  if (!entry_live (entry, now))
    {
      g_hash_table_remove (logins->entries, key);
      return NULL;
    }
  entry->used_us = now;
  return &entry->login;
}

void
cr_access_logins_close (CrAccessLogins *logins, const char *id)
{
  g_autofree char *key = NULL;

  g_return_if_fail (logins != NULL);
  if (!id_well_formed (id))
    return;
  key = key_of (id);
  g_hash_table_remove (logins->entries, key);
}

void
cr_access_logins_close_grant (CrAccessLogins *logins, gint64 grant_id)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (logins != NULL);
  g_hash_table_iter_init (&iter, logins->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Entry *) value)->login.grant_id == grant_id)
      g_hash_table_iter_remove (&iter);
}

guint
cr_access_logins_count (CrAccessLogins *logins)
{
  g_return_val_if_fail (logins != NULL, 0);
  return g_hash_table_size (logins->entries);
}
