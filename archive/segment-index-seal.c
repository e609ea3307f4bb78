/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index-seal.c: sealing a session's chain and the court's archive
 * marks, archived and purged (segment-index.h). */
#include "archive/segment-index-private.h"

#include <json-glib/json-glib.h>

#include "archive/chain.h"

static char *
seal_detail (const char *chain_head, const char *public_key, guint segments,
             guint events)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "chain_head");
  json_builder_add_string_value (builder, chain_head);
  json_builder_set_member_name (builder, "public_key");
  json_builder_add_string_value (builder, public_key);
  json_builder_set_member_name (builder, "segments");
  json_builder_add_int_value (builder, segments);
  json_builder_set_member_name (builder, "events");
  json_builder_add_int_value (builder, events);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

typedef struct {
  gint64 session_id;
  const CrDeviceKey *key;
  gint64 at_us;
  char *chain_head;       /* out */
} Seal;

/* The last event of @ledger that has its place in the chain, or 0. */
static guint
last_sequence (GPtrArray *ledger)
{
  guint last = 0;

  for (guint i = 0; i < ledger->len; i++)
    last = MAX (last, ((CrEventRecord *) g_ptr_array_index (ledger, i))->sequence);
  return last;
}

/* The body of cr_segment_index_seal_session, inside its transaction. */
static gboolean
seal_locked (CrSegmentIndex *index, gpointer data, GError **error)
{
  Seal *seal = data;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) ledger = NULL;
  g_autofree char *segments_head = NULL;
  g_autofree char *head = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *detail = NULL;
  const char *public_key = cr_device_key_get_public_hex (seal->key);
  gint64 session_id = seal->session_id;
  guint covered;

  session = cr_segment_index_get_session (index, session_id, error);
  if (session == NULL)
    return FALSE;
  if (session->state != CR_SESSION_STOPPED)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "Session %" G_GINT64_FORMAT " is still %s: only a stopped "
                   "session is sealed", session_id,
                   cr_session_state_to_string (session->state));
      return FALSE;
    }
  if (!cr_index_fill_links (index, session_id, error))
    return FALSE;
  segments = cr_index_session_segments (index, session_id, error);
  if (segments == NULL)
    return FALSE;

  segments_head = g_strdup (session->chain_root);
  for (guint i = 0; i < segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      if (!segment->closed)
        {
          g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                       "Segment #%u of session %" G_GINT64_FORMAT " (%s) is "
                       "still being written", segment->sequence, session_id,
                       segment->path);
          return FALSE;
        }
      g_free (segments_head);
      segments_head = g_strdup (segment->link);
    }
  if (segments_head == NULL)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                   "Session %" G_GINT64_FORMAT " in '%s' has a broken chain: "
                   "a closed segment has no link", session_id, index->path);
      return FALSE;
    }
  ledger = cr_index_session_ledger (index, session_id, error);
  if (ledger == NULL)
    return FALSE;
  /* Sealed already: the head as it was sealed, to compare (layout 1 before
   * version 4, and for a ledger without events: the segments only). Else
   * every event so far. */
  covered = session->chain_head != NULL ? session->sealed_events : last_sequence (ledger);
  if (covered == 0)
    head = g_strdup (segments_head);
  else
    {
      CrEventRecord *last = cr_event_records_find (ledger, covered);

      head = cr_chain_head (segments_head, last != NULL ? last->link : NULL, error);
      if (head == NULL)
        {
          g_prefix_error (error, "Session %" G_GINT64_FORMAT " in '%s' has a broken "
                          "ledger at event #%u: ", session_id, index->path, covered);
          return FALSE;
        }
    }

  if (session->chain_head != NULL)
    {
      /* A second seal would launder whatever changed since the first. */
      if (!g_str_equal (session->chain_head, head))
        {
          g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_SEALED,
                       "Session %" G_GINT64_FORMAT " was sealed with chain head "
                       "%s, but its chain now ends at %s; it is not sealed "
                       "again", session_id, session->chain_head, head);
          return FALSE;
        }
      seal->chain_head = g_steal_pointer (&head);
      return TRUE;
    }

  signature = cr_device_key_sign (seal->key, head);
  if (!cr_index_run (index,
                     "UPDATE sessions SET chain_head = ?, signature = ?, "
                     "public_key = ?, sealed_at = ?, sealed_events = ? WHERE id = ?",
                     "seal a session",
                     CR_BIND (CR_VALUE_TEXT (head), CR_VALUE_TEXT (signature),
                              CR_VALUE_TEXT (public_key), CR_VALUE_UTC (seal->at_us),
                              covered > 0 ? CR_VALUE_INT (covered) : CR_VALUE_TEXT (NULL),
                              CR_VALUE_INT (session_id)),
                     error))
    return FALSE;
  detail = seal_detail (head, public_key, segments->len, covered);
  if (cr_index_insert_event (index, session_id, seal->at_us, CR_EVENT_SEAL, detail,
                             error) == 0)
    return FALSE;
  seal->chain_head = g_steal_pointer (&head);
  return TRUE;
}

gboolean
cr_segment_index_seal_session (CrSegmentIndex *index, gint64 session_id,
                               const CrDeviceKey *key, gint64 at_us,
                               char **chain_head, GError **error)
{
  Seal seal = { .session_id = session_id, .key = key, .at_us = at_us };

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cr_index_transaction (index, seal_locked, &seal, error))
    {
      g_free (seal.chain_head);
      return FALSE;
    }
  if (chain_head != NULL)
    *chain_head = seal.chain_head;
  else
    g_free (seal.chain_head);
  return TRUE;
}

typedef struct {
  gint64 session_id;
  gint64 at_us;
  const char *detail;
} ArchiveMark;

static gboolean
mark_archived (CrSegmentIndex *index, gpointer data, GError **error)
{
  ArchiveMark *mark = data;
  g_autoptr (CrSessionRecord) session =
      cr_segment_index_get_session (index, mark->session_id, error);

  if (session == NULL)
    return FALSE;
  if (session->archived_us != 0)
    return TRUE;
  if (session->state != CR_SESSION_STOPPED || session->chain_head == NULL)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "Session %" G_GINT64_FORMAT " is %s: only a stopped, sealed "
                   "session can be marked archived", mark->session_id,
                   session->state != CR_SESSION_STOPPED
                     ? cr_session_state_to_string (session->state) : "not sealed");
      return FALSE;
    }
  return cr_index_run (index, "UPDATE sessions SET archived_at = ? WHERE id = ?",
                       "mark a session archived",
                       CR_BIND (CR_VALUE_UTC (mark->at_us),
                                CR_VALUE_INT (mark->session_id)),
                       error) &&
         cr_index_insert_event (index, mark->session_id, mark->at_us,
                                CR_EVENT_ARCHIVED, mark->detail, error) != 0;
}

gboolean
cr_segment_index_mark_archived (CrSegmentIndex *index, gint64 session_id,
                                gint64 at_us, const char *detail,
                                GError **error)
{
  ArchiveMark mark = { .session_id = session_id, .at_us = at_us, .detail = detail };

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return cr_index_transaction (index, mark_archived, &mark, error);
}

static gboolean
purge_session (CrSegmentIndex *index, gpointer data, GError **error)
{
  ArchiveMark *mark = data;
  g_autoptr (CrSessionRecord) session =
      cr_segment_index_get_session (index, mark->session_id, error);
  const char *doing = "record deleted media";

  if (session == NULL)
    return FALSE;
  if (session->purged_us != 0)
    return TRUE;
  if (session->archived_us == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "Session %" G_GINT64_FORMAT " is not marked archived: its "
                   "media are kept", mark->session_id);
      return FALSE;
    }
  return cr_index_run (index,
                       "INSERT INTO purged_segments (" CR_INDEX_SEGMENT_COLUMNS ") "
                       "SELECT " CR_INDEX_SEGMENT_COLUMNS " FROM segments "
                       "WHERE session_id = ?", doing,
                       CR_BIND (CR_VALUE_INT (mark->session_id)), error) &&
         cr_index_run (index, "DELETE FROM segments WHERE session_id = ?", doing,
                       CR_BIND (CR_VALUE_INT (mark->session_id)), error) &&
         cr_index_run (index, "UPDATE sessions SET purged_at = ? WHERE id = ?",
                       doing,
                       CR_BIND (CR_VALUE_UTC (mark->at_us),
                                CR_VALUE_INT (mark->session_id)),
                       error) &&
         cr_index_insert_event (index, mark->session_id, mark->at_us,
                                CR_EVENT_MEDIA_DELETED, mark->detail, error) != 0;
}

gboolean
cr_segment_index_purge_session (CrSegmentIndex *index, gint64 session_id,
                                gint64 at_us, const char *detail,
                                GError **error)
{
  ArchiveMark mark = { .session_id = session_id, .at_us = at_us, .detail = detail };

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return cr_index_transaction (index, purge_session, &mark, error);
}
