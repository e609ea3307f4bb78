/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* password-check.c: see password-check.h. */
#include "accounts/password-check.h"

#include <sodium.h>
#include <string.h>

#include "accounts/password.h"

/* What the main context and the workers share: counted, so that a check
 * that ends after its checker was freed still has it to report to. */
typedef struct {
  gint pending;          /* atomic: checks queued or running */
  gint closed;           /* atomic: the checker was freed; answer nobody */
} Shared;

struct CrPasswordChecker {
  GThreadPool *pool;
  guint limit;           /* threads + queue */
  Shared *shared;        /* a ref of its own */
};

typedef struct {
  Shared *shared;        /* a ref */
  char *hash;
  char *password;        /* a secret: wiped when done */
  GAsyncReadyCallback callback;
  gpointer user_data;
} Check;

static void
check_free (Check *check)
{
  g_atomic_int_dec_and_test (&check->shared->pending);
  g_atomic_rc_box_release (check->shared);
  g_free (check->hash);
  if (check->password != NULL)
    {
      sodium_memzero (check->password, strlen (check->password));
      g_free (check->password);
    }
  g_free (check);
}

/* On the caller's main context: hand the answer on, unless the checker is
 * gone. */
static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Check *check = user_data;

  if (!g_atomic_int_get (&check->shared->closed))
    check->callback (NULL, result, check->user_data);
}

/* On a worker. */
static void
run_check (gpointer data, gpointer pool_data)
{
  GTask *task = data;
  Check *check = g_task_get_task_data (task);
  gboolean matched = FALSE;

  if (!g_atomic_int_get (&check->shared->closed))
    matched = cr_password_verify (check->hash, check->password);
  sodium_memzero (check->password, strlen (check->password));
  g_task_return_boolean (task, matched);
  g_object_unref (task);
}

CrPasswordChecker *
cr_password_checker_new (guint threads, guint queue)
{
  CrPasswordChecker *checker;

  g_return_val_if_fail (threads > 0, NULL);

  checker = g_new0 (CrPasswordChecker, 1);
  checker->shared = g_atomic_rc_box_new0 (Shared);
  checker->limit = threads + queue;
  /* Not exclusive: the threads exist only while there is work. */
  checker->pool = g_thread_pool_new (run_check, NULL, (gint) threads, FALSE, NULL);
  return checker;
}

void
cr_password_checker_free (CrPasswordChecker *checker)
{
  if (checker == NULL)
    return;
  g_atomic_int_set (&checker->shared->closed, 1);
  /* Queued checks still run, but skip the hash (closed): waiting is short. */
  g_thread_pool_free (checker->pool, FALSE, TRUE);
  g_atomic_rc_box_release (checker->shared);
  g_free (checker);
}

gboolean
cr_password_checker_check (CrPasswordChecker *checker, const char *hash, const char *password,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  Check *check;
  GTask *task;

  g_return_val_if_fail (checker != NULL && password != NULL && callback != NULL, FALSE);

  if ((guint) g_atomic_int_get (&checker->shared->pending) >= checker->limit)
    return FALSE;
  g_atomic_int_inc (&checker->shared->pending);
  check = g_new0 (Check, 1);
  check->shared = g_atomic_rc_box_acquire (checker->shared);
  check->hash = g_strdup (hash);
  check->password = g_strdup (password);
  check->callback = callback;
  check->user_data = user_data;
  task = g_task_new (NULL, NULL, check_done, check);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  g_task_set_source_tag (task, cr_password_checker_check);
  g_thread_pool_push (checker->pool, task, NULL);
  return TRUE;
}

gboolean
cr_password_checker_finish (GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

guint
cr_password_checker_pending (CrPasswordChecker *checker)
{
  g_return_val_if_fail (checker != NULL, 0);
  return (guint) g_atomic_int_get (&checker->shared->pending);
}
