/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* late-seal.c: see late-seal.h. */
#include "archive/late-seal.h"

#include <json-glib/json-glib.h>

/* @member of the JSON object in @detail, or NULL. (transfer full) */
static char *
detail_member (const char *detail, const char *member)
{
  g_autoptr (JsonNode) node = NULL;

  if (detail == NULL)
    return NULL;
  node = json_from_string (detail, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (json_node_get_object (node),
                                                               member, NULL));
}

/* Why @session_id was not sealed at its stop, from what its events say
 * (the last word first). (transfer full) */
static char *
late_reason (CrSegmentIndex *index, gint64 session_id)
{
  g_autoptr (GPtrArray) events = cr_segment_index_list_events (index, session_id, NULL);

  for (guint i = events != NULL ? events->len : 0; i > 0; i--)
    {
      CrEventRecord *event = g_ptr_array_index (events, i - 1);
      g_autofree char *alarm = NULL;
      g_autofree char *message = NULL;

      if (event->kind == CR_EVENT_SEAL_ERROR)
        {
          message = detail_member (event->detail, "message");
          return g_strdup_printf ("sealing failed: %s", message ? message : "(no message)");
        }
      if (event->kind != CR_EVENT_ALARM)
        continue;
      alarm = detail_member (event->detail, "alarm");
      if (g_strcmp0 (alarm, "seal-unavailable") != 0)
        continue;
      message = detail_member (event->detail, "message");
      return g_strdup_printf ("the device key could not be used: %s",
                              message ? message : "(no message)");
    }
  return g_strdup ("it was not sealed at its stop: courtrecd ended before its last "
                   "segment was closed");
}

static char *
late_detail (const char *stopped, const char *reason, const char *by)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "stopped");
  json_builder_add_string_value (builder, stopped);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_set_member_name (builder, "by");
  json_builder_add_string_value (builder, by);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

gboolean
cr_late_seal_session (CrSegmentIndex *index, gint64 session_id, const CrDeviceKey *key,
                      const char *by, gint64 at_us, char **chain_head, gboolean *already,
                      GError **error)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *stopped = NULL;
  g_autofree char *detail = NULL;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (by != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (already != NULL)
    *already = FALSE;
  session = cr_segment_index_get_session (index, session_id, error);
  if (session == NULL)
    return FALSE;
  if (session->state != CR_SESSION_STOPPED)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                   "Session %" G_GINT64_FORMAT " is still %s: only a stopped session "
                   "is sealed; stop it first", session_id,
                   cr_session_state_to_string (session->state));
      return FALSE;
    }
  if (session->chain_head != NULL)
    {
      /* Sealed once is sealed: verify says whether it still holds. */
      if (already != NULL)
        *already = TRUE;
      if (chain_head != NULL)
        *chain_head = g_strdup (session->chain_head);
      return TRUE;
    }
  /* Asked before the event is logged, so that a session not ready yet
   * gets no word of a late seal it did not have. */
  segments = cr_segment_index_list_segments (index, session_id, error);
  if (segments == NULL)
    return FALSE;
  for (guint i = 0; i < segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      if (!segment->closed)
        {
          g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY,
                       "Segment #%u of session %" G_GINT64_FORMAT " (%s) is still being "
                       "written: try again once courtrecd has finished it",
                       segment->sequence, session_id, segment->path);
          return FALSE;
        }
    }

  reason = late_reason (index, session_id);
  stopped = cr_format_utc (session->stopped_us);
  detail = late_detail (stopped, reason, by);
  if (cr_segment_index_add_event (index, session_id, at_us, CR_EVENT_SEAL_LATE, detail,
                                  error) <= 0)
    return FALSE;
  return cr_segment_index_seal_session (index, session_id, key, at_us, chain_head, error);
}

gboolean
cr_late_seal_pending (CrSegmentIndex *index, const CrDeviceKey *key, const char *by,
                      gint64 at_us, guint *n_sealed, GError **error)
{
  g_autoptr (GPtrArray) sessions = NULL;
  guint sealed = 0;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_sealed != NULL)
    *n_sealed = 0;
  sessions = cr_segment_index_list_sessions (index, NULL, error);
  if (sessions == NULL)
    return FALSE;
  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      GError *seal_error = NULL;

      if (session->state != CR_SESSION_STOPPED || session->chain_head != NULL ||
          session->purged_us != 0)
        continue;
      if (cr_late_seal_session (index, session->id, key, by, at_us, NULL, NULL,
                                &seal_error))
        {
          sealed++;
          continue;
        }
      if (g_error_matches (seal_error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY))
        {
          g_error_free (seal_error);
          continue;
        }
      g_propagate_error (error, seal_error);
      if (n_sealed != NULL)
        *n_sealed = sealed;
      return FALSE;
    }
  if (n_sealed != NULL)
    *n_sealed = sealed;
  return TRUE;
}
