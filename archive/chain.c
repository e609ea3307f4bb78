/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chain.c: see chain.h. The layout there is the specification; keep the two
 * in step, and never change a layout that has shipped: sealed sessions
 * depend on it. */
#include "archive/chain.h"

#include <string.h>

#include "archive/utc.h"

G_DEFINE_QUARK (cr-chain-error-quark, cr_chain_error)

#define DIGEST_BYTES 32
#define ROOT_TAG "courtrec-chain-1"
#define EVENT_TAG "event"
#define HEAD_TAG "courtrec-head-2"

static void
append_length (GByteArray *bytes, gsize length)
{
  guint8 be[4] = {
    (guint8) (length >> 24), (guint8) (length >> 16),
    (guint8) (length >> 8), (guint8) length,
  };

  g_byte_array_append (bytes, be, sizeof be);
}

/* LP(text) */
static void
append_field (GByteArray *bytes, const char *text)
{
  gsize length = strlen (text);

  append_length (bytes, length);
  g_byte_array_append (bytes, (const guint8 *) text, length);
}

static void
append_number (GByteArray *bytes, gint64 number)
{
  char text[24];

  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, number);
  append_field (bytes, text);
}

static void
append_utc (GByteArray *bytes, gint64 utc_us)
{
  g_autofree char *text = cr_format_utc (utc_us);

  append_field (bytes, text);
}

gboolean
cr_chain_is_digest (const char *hex)
{
  if (hex == NULL || strlen (hex) != DIGEST_BYTES * 2)
    return FALSE;
  for (const char *p = hex; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* Only lowercase is accepted: the index holds one spelling of a digest, so
 * that comparing text compares values. */
static gboolean
decode_digest (const char *hex, const char *what, guint8 digest[DIGEST_BYTES],
               GError **error)
{
  if (!cr_chain_is_digest (hex))
    {
      g_set_error (error, CR_CHAIN_ERROR, CR_CHAIN_ERROR_INVALID,
                   "%s '%s' is not a SHA-256 (64 lowercase hex digits)", what,
                   hex != NULL ? hex : "(none)");
      return FALSE;
    }
  for (guint i = 0; i < DIGEST_BYTES; i++)
    digest[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 |
                          g_ascii_xdigit_value (hex[2 * i + 1]));
  return TRUE;
}

static char *
sha256_hex (GByteArray *bytes)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, bytes->data, bytes->len);
}

char *
cr_chain_root (const CrSessionRecord *session)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();

  g_return_val_if_fail (session != NULL, NULL);

  append_field (bytes, ROOT_TAG);
  append_number (bytes, session->id);
  append_field (bytes, session->room_id != NULL ? session->room_id : "");
  append_field (bytes, session->case_no != NULL ? session->case_no : "");
  append_utc (bytes, session->started_us);
  return sha256_hex (bytes);
}

char *
cr_chain_link (const char *previous_hex, const CrSegmentRecord *segment,
               GError **error)
{
  g_autoptr (GByteArray) metadata = g_byte_array_new ();
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 previous[DIGEST_BYTES];
  guint8 content[DIGEST_BYTES];

  g_return_val_if_fail (segment != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!decode_digest (previous_hex, "The previous link", previous, error))
    return NULL;
  if (!decode_digest (segment->sha256, "The segment's hash", content, error))
    {
      g_prefix_error (error, "Segment #%u: ", segment->sequence);
      return NULL;
    }

  append_number (metadata, segment->session_id);
  append_number (metadata, segment->sequence);
  append_field (metadata, segment->path != NULL ? segment->path : "");
  append_utc (metadata, segment->started_us);
  append_number (metadata, segment->duration_us);
  append_number (metadata, segment->bytes);

  g_byte_array_append (bytes, previous, DIGEST_BYTES);
  g_byte_array_append (bytes, content, DIGEST_BYTES);
  append_length (bytes, metadata->len);
  g_byte_array_append (bytes, metadata->data, metadata->len);
  return sha256_hex (bytes);
}

char *
cr_chain_event_link (const char *previous_hex, const CrEventRecord *event,
                     GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 previous[DIGEST_BYTES];

  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!decode_digest (previous_hex, "The previous link", previous, error))
    return NULL;
  g_byte_array_append (bytes, previous, DIGEST_BYTES);
  append_field (bytes, EVENT_TAG);
  append_number (bytes, event->session_id);
  append_number (bytes, event->sequence);
  append_utc (bytes, event->at_us);
  append_field (bytes, event->kind_name != NULL ? event->kind_name : "");
  append_field (bytes, event->detail != NULL ? event->detail : "");
  return sha256_hex (bytes);
}

char *
cr_chain_head (const char *segments_hex, const char *ledger_hex, GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 segments[DIGEST_BYTES];
  guint8 ledger[DIGEST_BYTES];

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!decode_digest (segments_hex, "The segments' head", segments, error) ||
      !decode_digest (ledger_hex, "The ledger's head", ledger, error))
    return NULL;
  append_field (bytes, HEAD_TAG);
  g_byte_array_append (bytes, segments, DIGEST_BYTES);
  g_byte_array_append (bytes, ledger, DIGEST_BYTES);
  return sha256_hex (bytes);
}
