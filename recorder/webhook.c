/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webhook.c: see webhook.h. */
#include "recorder/webhook.h"

#include <curl/curl.h>
#include <sodium.h>
#include <string.h>

#include "config/text.h"

/* An answer's body is not read, only its status: a little is kept for the
 * log of a refusal. */
#define ANSWER_KEPT_BYTES 200

typedef struct {
  char *id;
  char *summary;
  char *body;
  guint attempts;
  gint64 next_attempt_us;       /* monotonic; 0: at once */
} Notification;

struct CrWebhook {
  const CrWebhookConfig *config;
  char *secret;
  GThread *thread;

  GMutex lock;                  /* protects what follows */
  GCond changed;                /* a notification queued, or stopping */
  GQueue queue;                 /* Notification*, oldest first */
  Notification *sending;        /* the head while an attempt is under way, or NULL */
  gboolean stopping;
  CrWebhookCounts counts;

  gint abort;                   /* atomic: set when stopping, read by curl's progress */
};

static void
notification_free (Notification *notification)
{
  g_free (notification->id);
  g_free (notification->summary);
  g_free (notification->body);
  g_free (notification);
}

char *
cr_webhook_sign (const char *secret, gint64 timestamp, const char *body)
{
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  g_autofree char *stamp = g_strdup_printf ("%" G_GINT64_FORMAT ".", timestamp);

  crypto_auth_hmacsha256_init (&state, (const unsigned char *) secret, strlen (secret));
  crypto_auth_hmacsha256_update (&state, (const unsigned char *) stamp, strlen (stamp));
  crypto_auth_hmacsha256_update (&state, (const unsigned char *) body, strlen (body));
  crypto_auth_hmacsha256_final (&state, mac);
  sodium_memzero (&state, sizeof state);
  sodium_bin2hex (hex, sizeof hex, mac, sizeof mac);
  return g_strconcat ("sha256=", hex, NULL);
}

/* curl's progress callback: a nonzero answer abandons the transfer, so
 * that stopping does not wait out a receiver that hangs. */
static int
on_progress (void *user_data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
             curl_off_t ulnow)
{
  CrWebhook *webhook = user_data;
  return g_atomic_int_get (&webhook->abort);
}

static size_t
on_answer (char *data, size_t size, size_t n, void *user_data)
{
  GString *answer = user_data;
  gsize length = size * n;

  if (answer->len < ANSWER_KEPT_BYTES)
    g_string_append_len (answer, data, MIN (length, ANSWER_KEPT_BYTES - answer->len));
  return length;
}

typedef enum {
  DELIVERED,
  RETRY,
  REFUSED,
} Outcome;

/* One attempt at @notification; what went wrong in @reason. Called
 * without the lock. */
static Outcome
post (CrWebhook *webhook, CURL *curl, const Notification *notification, char **reason)
{
  const CrWebhookConfig *config = webhook->config;
  gint64 timestamp = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *signature = cr_webhook_sign (webhook->secret, timestamp, notification->body);
  g_autofree char *id_header = g_strdup_printf ("X-Courtrec-Id: %s", notification->id);
  g_autofree char *stamp_header = g_strdup_printf ("X-Courtrec-Timestamp: %" G_GINT64_FORMAT,
                                                   timestamp);
  g_autofree char *signature_header = g_strdup_printf ("X-Courtrec-Signature: %s", signature);
  g_autoptr (GString) answer = g_string_new (NULL);
  struct curl_slist *headers = NULL;
  char curl_error[CURL_ERROR_SIZE] = "";
  long status = 0;
  CURLcode code;

  headers = curl_slist_append (headers, "Content-Type: application/json");
  headers = curl_slist_append (headers, id_header);
  headers = curl_slist_append (headers, stamp_header);
  headers = curl_slist_append (headers, signature_header);
  /* No "Expect: 100-continue" wait for a small body. */
  headers = curl_slist_append (headers, "Expect:");

  curl_easy_reset (curl);
  curl_easy_setopt (curl, CURLOPT_URL, config->url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
  /* Threads: no SIGALRM for name resolution's timeout. */
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) config->timeout_seconds);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) config->timeout_seconds);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "courtrec/" COURTREC_VERSION);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, notification->body);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (notification->body));
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_answer);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, answer);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, webhook);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);

  code = curl_easy_perform (curl);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all (headers);
  if (code != CURLE_OK)
    {
      *reason = g_strdup (*curl_error != '\0' ? curl_error : curl_easy_strerror (code));
      return RETRY;
    }
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300)
    return DELIVERED;
  *reason = g_strdup_printf ("HTTP %ld: %s", status, cr_text_shown (answer->str));
  /* The receiver is busy or broken for now; anything else is its word
   * about this notification, which another try would not change. */
  if (status == 408 || status == 429 || status >= 500)
    return RETRY;
  return REFUSED;
}

/* The delay before attempt @attempts + 1: retry_min_seconds doubled per
 * failure up to retry_max_seconds, of which a random half: receivers that
 * come back are not met by every room of a court at the same instant. */
static gint64
backoff_us (const CrWebhookConfig *config, guint attempts)
{
  double delay = config->retry_min_seconds;

  for (guint i = 1; i < attempts && delay < config->retry_max_seconds; i++)
    delay *= 2;
  delay = MIN (delay, (double) config->retry_max_seconds);
  return (gint64) (delay * G_USEC_PER_SEC * g_random_double_range (0.5, 1.0));
}

static gpointer
run (gpointer data)
{
  CrWebhook *webhook = data;
  const char *name = webhook->config->name;
  CURL *curl = curl_easy_init ();

  g_mutex_lock (&webhook->lock);
  while (!webhook->stopping)
    {
      Notification *notification = g_queue_peek_head (&webhook->queue);
      g_autofree char *reason = NULL;
      Outcome outcome;

      if (notification == NULL)
        {
          g_cond_wait (&webhook->changed, &webhook->lock);
          continue;
        }
      if (notification->next_attempt_us > g_get_monotonic_time ())
        {
          g_cond_wait_until (&webhook->changed, &webhook->lock, notification->next_attempt_us);
          continue;
        }
      webhook->sending = notification;
      g_mutex_unlock (&webhook->lock);

      outcome = curl != NULL ? post (webhook, curl, notification, &reason) : RETRY;
      if (curl == NULL)
        reason = g_strdup ("libcurl could not start a transfer");

      g_mutex_lock (&webhook->lock);
      webhook->sending = NULL;
      notification->attempts++;
      if (outcome == RETRY && !webhook->stopping)
        {
          gint64 delay = backoff_us (webhook->config, notification->attempts);

          webhook->counts.failures++;
          notification->next_attempt_us = g_get_monotonic_time () + delay;
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_WEBHOOK", name, "MESSAGE",
                            "[alarm webhook %s] %s (%s): attempt %u failed: %s; trying again "
                            "in %.1f s", name, notification->summary, notification->id,
                            notification->attempts, reason, delay / 1e6);
          continue;
        }
      if (outcome == RETRY)
        continue;       /* stopping: counted as not delivered below */
      if (outcome == DELIVERED)
        {
          webhook->counts.delivered++;
          if (notification->attempts > 1)
            g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_WEBHOOK", name, "MESSAGE",
                              "[alarm webhook %s] %s (%s): delivered at attempt %u", name,
                              notification->summary, notification->id, notification->attempts);
        }
      else
        {
          webhook->counts.refused++;
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_WEBHOOK", name, "MESSAGE",
                            "[alarm webhook %s] %s (%s): refused by the receiver (%s): given up",
                            name, notification->summary, notification->id, reason);
        }
      g_queue_remove (&webhook->queue, notification);
      notification_free (notification);
    }
  g_mutex_unlock (&webhook->lock);
  if (curl != NULL)
    curl_easy_cleanup (curl);
  return NULL;
}

CrWebhook *
cr_webhook_new (const CrWebhookConfig *config, const char *secret)
{
  static gsize initialised = 0;
  CrWebhook *webhook;
  g_autofree char *thread_name = NULL;

  g_return_val_if_fail (config != NULL && secret != NULL, NULL);

  /* Once, before any thread of ours runs a transfer. */
  if (g_once_init_enter (&initialised))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      if (sodium_init () < 0)
        g_critical ("libsodium could not be initialised");
      g_once_init_leave (&initialised, 1);
    }
  webhook = g_new0 (CrWebhook, 1);
  webhook->config = config;
  webhook->secret = g_strdup (secret);
  g_mutex_init (&webhook->lock);
  g_cond_init (&webhook->changed);
  g_queue_init (&webhook->queue);
  thread_name = g_strdup_printf ("webhook-%s", config->name);
  webhook->thread = g_thread_new (thread_name, run, webhook);
  return webhook;
}

void
cr_webhook_free (CrWebhook *webhook)
{
  guint left;

  if (webhook == NULL)
    return;
  g_mutex_lock (&webhook->lock);
  webhook->stopping = TRUE;
  g_atomic_int_set (&webhook->abort, 1);
  g_cond_signal (&webhook->changed);
  g_mutex_unlock (&webhook->lock);
  g_thread_join (webhook->thread);

  left = g_queue_get_length (&webhook->queue);
  if (left > 0)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_WEBHOOK", webhook->config->name,
                      "MESSAGE", "[alarm webhook %s] stopping with %u notification(s) not "
                      "delivered", webhook->config->name, left);
  g_queue_clear_full (&webhook->queue, (GDestroyNotify) notification_free);
  g_mutex_clear (&webhook->lock);
  g_cond_clear (&webhook->changed);
  sodium_memzero (webhook->secret, strlen (webhook->secret));
  g_free (webhook->secret);
  g_free (webhook);
}

void
cr_webhook_push (CrWebhook *webhook, const char *id, const char *summary, const char *body)
{
  Notification *notification = g_new0 (Notification, 1);
  Notification *dropped = NULL;

  g_return_if_fail (webhook != NULL && id != NULL && body != NULL);

  notification->id = g_strdup (id);
  notification->summary = g_strdup (summary != NULL ? summary : "notification");
  notification->body = g_strdup (body);

  g_mutex_lock (&webhook->lock);
  if (g_queue_get_length (&webhook->queue) >= webhook->config->max_queued)
    {
      /* The oldest waiting one goes: the newest say how things stand now.
       * The one being sent stays (max_queued is at least 2). */
      GList *oldest = webhook->queue.head;

      if (oldest->data == webhook->sending)
        oldest = oldest->next;
      dropped = oldest->data;
      g_queue_delete_link (&webhook->queue, oldest);
      webhook->counts.dropped++;
    }
  g_queue_push_tail (&webhook->queue, notification);
  g_cond_signal (&webhook->changed);
  g_mutex_unlock (&webhook->lock);

  if (dropped != NULL)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_WEBHOOK", webhook->config->name,
                        "MESSAGE", "[alarm webhook %s] %u notification(s) waiting: dropped %s "
                        "(%s), the oldest", webhook->config->name, webhook->config->max_queued,
                        dropped->summary, dropped->id);
      notification_free (dropped);
    }
}

void
cr_webhook_get_counts (CrWebhook *webhook, CrWebhookCounts *counts)
{
  g_mutex_lock (&webhook->lock);
  *counts = webhook->counts;
  counts->queued = g_queue_get_length (&webhook->queue);
  g_mutex_unlock (&webhook->lock);
}

const char *
cr_webhook_get_name (CrWebhook *webhook)
{
  return webhook->config->name;
}
