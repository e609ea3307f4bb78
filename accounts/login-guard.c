/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* login-guard.c: see login-guard.h. */
#include "accounts/login-guard.h"

#include <string.h>

#include "config/text.h"

#define DELAY_MAX_SECONDS 16

typedef struct {
  gint64 failures[CR_LOGIN_GUARD_LOCK_AFTER];  /* the latest, a ring, 0 for none */
  guint next;                                  /* where the next failure goes */
  gint64 locked_until_us;
  gint64 touched_us;
  guint in_flight;
} Record;

struct CrLoginGuard {
  gint64 (*clock_us) (void);
  GHashTable *records;   /* "user NAME" or "client ADDRESS" -> Record */
};

CrLoginGuard *
cr_login_guard_new (gint64 (*clock_us) (void))
{
  CrLoginGuard *guard = g_new0 (CrLoginGuard, 1);

  guard->clock_us = clock_us != NULL ? clock_us : g_get_monotonic_time;
  guard->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return guard;
}

void
cr_login_guard_free (CrLoginGuard *guard)
{
  if (guard == NULL)
    return;
  g_hash_table_unref (guard->records);
  g_free (guard);
}

/* Failures of @record within the window before @now_us, and the latest. */
static guint
recent_failures (const Record *record, gint64 now_us, gint64 *latest_us)
{
  gint64 window_us = (gint64) CR_LOGIN_GUARD_WINDOW_SECONDS * G_USEC_PER_SEC;
  guint count = 0;

  *latest_us = 0;
  for (guint i = 0; i < G_N_ELEMENTS (record->failures); i++)
    if (record->failures[i] != 0 && now_us - record->failures[i] < window_us)
      {
        count++;
        *latest_us = MAX (*latest_us, record->failures[i]);
      }
  return count;
}

static gboolean
holds_back (const Record *record, gint64 now_us)
{
  gint64 latest_us;
  return record->in_flight > 0 || record->locked_until_us > now_us ||
         recent_failures (record, now_us, &latest_us) > 0;
}

/* Room for one more record: the oldest that holds nothing back goes. */
static gboolean
make_room (CrLoginGuard *guard, gint64 now_us)
{
  GHashTableIter iter;
  gpointer key, value, oldest = NULL;
  gint64 oldest_us = G_MAXINT64;

  if (g_hash_table_size (guard->records) < CR_LOGIN_GUARD_MAX)
    return TRUE;
  g_hash_table_iter_init (&iter, guard->records);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Record *record = value;
      if (!holds_back (record, now_us))
        {
          g_hash_table_iter_remove (&iter);
          continue;
        }
      if (record->in_flight == 0 && record->locked_until_us <= now_us &&
          record->touched_us < oldest_us)
        {
          oldest_us = record->touched_us;
          oldest = key;
        }
    }
  if (g_hash_table_size (guard->records) < CR_LOGIN_GUARD_MAX)
    return TRUE;
  if (oldest == NULL)
    return FALSE;
  g_hash_table_remove (guard->records, oldest);
  return TRUE;
}

static Record *
record_for (CrLoginGuard *guard, const char *kind, const char *name, gboolean create,
            gint64 now_us)
{
  g_autofree char *key = g_strdup_printf ("%s %s", kind, name);
  Record *record = g_hash_table_lookup (guard->records, key);

  if (record == NULL && create && make_room (guard, now_us))
    {
      record = g_new0 (Record, 1);
      g_hash_table_insert (guard->records, g_steal_pointer (&key), record);
    }
  if (record != NULL)
    record->touched_us = now_us;
  return record;
}

static guint
seconds_until (gint64 then_us, gint64 now_us)
{
  return (guint) MAX (1, (then_us - now_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* What @record says of an attempt now. */
static CrLoginGuardVerdict
judge (const Record *record, guint per_record, gint64 now_us, guint *retry_seconds)
{
  gint64 latest_us;
  guint failures;

  if (record->locked_until_us > now_us)
    {
      *retry_seconds = seconds_until (record->locked_until_us, now_us);
      return CR_LOGIN_GUARD_LOCKED;
    }
  if (record->in_flight >= per_record)
    {
      *retry_seconds = 1;
      return CR_LOGIN_GUARD_BUSY;
    }
  failures = recent_failures (record, now_us, &latest_us);
  if (failures >= CR_LOGIN_GUARD_SLOW_AFTER)
    {
      guint delay = MIN (DELAY_MAX_SECONDS, 1u << (failures - CR_LOGIN_GUARD_SLOW_AFTER));
      gint64 not_before_us = latest_us + (gint64) delay * G_USEC_PER_SEC;

      if (not_before_us > now_us)
        {
          *retry_seconds = seconds_until (not_before_us, now_us);
          return CR_LOGIN_GUARD_WAIT;
        }
    }
  return CR_LOGIN_GUARD_GO;
}

CrLoginGuardVerdict
cr_login_guard_admit (CrLoginGuard *guard, const char *user, const char *client,
                      guint *retry_seconds)
{
  gint64 now_us;
  Record *by_user, *by_client;
  CrLoginGuardVerdict verdict;
  guint unused;

  g_return_val_if_fail (guard != NULL && user != NULL && client != NULL,
                        CR_LOGIN_GUARD_LOCKED);

  if (retry_seconds == NULL)
    retry_seconds = &unused;
  now_us = guard->clock_us ();
  by_user = record_for (guard, "user", user, TRUE, now_us);
  by_client = record_for (guard, "client", client, TRUE, now_us);
  if (by_user == NULL || by_client == NULL)
    {
      /* Every record holds someone back: a flood from many addresses. */
      *retry_seconds = 60;
      return CR_LOGIN_GUARD_LOCKED;
    }
  verdict = judge (by_client, CR_LOGIN_GUARD_PER_CLIENT, now_us, retry_seconds);
  if (verdict == CR_LOGIN_GUARD_GO)
    verdict = judge (by_user, 1, now_us, retry_seconds);
  if (verdict != CR_LOGIN_GUARD_GO)
    return verdict;
  by_user->in_flight++;
  by_client->in_flight++;
  return CR_LOGIN_GUARD_GO;
}

/* Counts a failure on @record; TRUE when it sets a lock. */
static gboolean
count_failure (Record *record, gint64 now_us)
{
  gint64 latest_us;

  record->failures[record->next] = now_us;
  record->next = (record->next + 1) % G_N_ELEMENTS (record->failures);
  if (recent_failures (record, now_us, &latest_us) >= CR_LOGIN_GUARD_LOCK_AFTER &&
      record->locked_until_us <= now_us)
    {
      record->locked_until_us = now_us + (gint64) CR_LOGIN_GUARD_LOCK_SECONDS * G_USEC_PER_SEC;
      memset (record->failures, 0, sizeof record->failures);
      return TRUE;
    }
  return FALSE;
}

static void
release (CrLoginGuard *guard, const char *user, const char *client, gint64 now_us,
         Record **by_user, Record **by_client)
{
  *by_user = record_for (guard, "user", user, FALSE, now_us);
  *by_client = record_for (guard, "client", client, FALSE, now_us);
  if (*by_user != NULL && (*by_user)->in_flight > 0)
    (*by_user)->in_flight--;
  if (*by_client != NULL && (*by_client)->in_flight > 0)
    (*by_client)->in_flight--;
}

void
cr_login_guard_release (CrLoginGuard *guard, const char *user, const char *client)
{
  Record *by_user, *by_client;

  g_return_if_fail (guard != NULL && user != NULL && client != NULL);
  release (guard, user, client, guard->clock_us (), &by_user, &by_client);
}

void
cr_login_guard_done (CrLoginGuard *guard, const char *user, const char *client,
                     gboolean succeeded)
{
  gint64 now_us, latest_us;
  Record *by_user, *by_client;

  g_return_if_fail (guard != NULL && user != NULL && client != NULL);

  now_us = guard->clock_us ();
  release (guard, user, client, now_us, &by_user, &by_client);
  if (succeeded)
    {
      if (by_user != NULL)
        {
          memset (by_user->failures, 0, sizeof by_user->failures);
          by_user->locked_until_us = 0;
        }
      return;
    }
  if (by_user != NULL && count_failure (by_user, now_us))
    g_warning ("Login: user \"%s\" locked for %d minutes after %d failed logins "
               "(the last from %s)", cr_text_shown (user), CR_LOGIN_GUARD_LOCK_SECONDS / 60,
               CR_LOGIN_GUARD_LOCK_AFTER, cr_text_shown (client));
  if (by_client != NULL && count_failure (by_client, now_us))
    g_warning ("Login: client %s locked for %d minutes after %d failed logins "
               "(the last as \"%s\")", cr_text_shown (client), CR_LOGIN_GUARD_LOCK_SECONDS / 60,
               CR_LOGIN_GUARD_LOCK_AFTER, cr_text_shown (user));
  g_message ("Login failed: user \"%s\" from %s (%u failure(s) in %d minutes)",
             cr_text_shown (user), cr_text_shown (client),
             by_user != NULL ? recent_failures (by_user, now_us, &latest_us) : 0,
             CR_LOGIN_GUARD_WINDOW_SECONDS / 60);
}
