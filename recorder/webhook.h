/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webhook.h: one [alarm webhook NAME] receiver. Notifications (JSON
 * documents) are queued by the main loop and posted, one after the other
 * in the order queued, by a thread of the webhook's own through libcurl,
 * so that a receiver that is slow, down or hangs delays neither the
 * recording nor another receiver. Each POST carries
 *
 *   Content-Type: application/json
 *   X-Courtrec-Id: the notification's id (the same in every attempt)
 *   X-Courtrec-Timestamp: Unix seconds of this attempt
 *   X-Courtrec-Signature: sha256=HEX
 *
 * where HEX is the HMAC-SHA256, keyed with the secret, of the timestamp, a
 * '.' and the body: a receiver that checks it and refuses a timestamp far
 * from its clock is safe from forged and replayed notifications.
 *
 * An answer 2xx delivers a notification; a connection that fails, a
 * timeout, 408, 429 or 5xx is tried again after a delay that starts at
 * retry_min_seconds and doubles up to retry_max_seconds, with jitter so
 * that many rooms do not retry at once; any other answer is a refusal,
 * logged, and the notification is given up. When max_queued are waiting,
 * the oldest of them that is not being sent is dropped, logged and
 * counted. */
#pragma once

#include <glib.h>

#include "config/config.h"

G_BEGIN_DECLS

typedef struct CrWebhook CrWebhook;

/* Starts @config's thread; @secret (the HMAC key) is copied. @config must
 * outlive the webhook. (transfer full) */
CrWebhook *cr_webhook_new (const CrWebhookConfig *config, const char *secret);
/* Stops the thread (an attempt under way is abandoned) and logs how many
 * notifications were never delivered. NULL is fine. */
void cr_webhook_free (CrWebhook *webhook);

/* Queues @body (a JSON document) for delivery with the id @id; @summary
 * names it in the log ("input-lost raised witness"). Never blocks on the
 * network: safe on the main loop. */
void cr_webhook_push (CrWebhook *webhook, const char *id, const char *summary,
                      const char *body);

typedef struct {
  guint64 delivered;    /* answered 2xx */
  guint64 refused;      /* answered otherwise, given up */
  guint64 dropped;      /* pushed out of a full queue */
  guint64 failures;     /* attempts that failed and were retried */
  guint queued;         /* waiting, the one being sent included */
} CrWebhookCounts;

void cr_webhook_get_counts (CrWebhook *webhook, CrWebhookCounts *counts);
const char *cr_webhook_get_name (CrWebhook *webhook);

/* "sha256=HEX" over "@timestamp.@body" keyed with @secret: what the
 * X-Courtrec-Signature header says. (transfer full) */
char *cr_webhook_sign (const char *secret, gint64 timestamp, const char *body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrWebhook, cr_webhook_free)

G_END_DECLS
