/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* records.c: see records.h. */
#include "archive/records.h"

#include <json-glib/json-glib.h>

const char *
cr_session_state_to_string (CrSessionState state)
{
  switch (state)
    {
    case CR_SESSION_RECORDING:
      return "recording";
    case CR_SESSION_PAUSED:
      return "paused";
    case CR_SESSION_STOPPED:
      return "stopped";
    }
  return NULL;
}

gboolean
cr_session_state_from_string (const char *text, CrSessionState *state)
{
  static const CrSessionState all[] = {
    CR_SESSION_RECORDING, CR_SESSION_PAUSED, CR_SESSION_STOPPED,
  };

  g_return_val_if_fail (state != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    if (g_str_equal (text, cr_session_state_to_string (all[i])))
      {
        *state = all[i];
        return TRUE;
      }
  return FALSE;
}

const char *
cr_broadcast_decision_to_string (CrBroadcastDecision decision)
{
  switch (decision)
    {
    case CR_BROADCAST_APPROVED:
      return "approved";
    case CR_BROADCAST_FORBIDDEN:
      return "forbidden";
    default:
      return "undecided";
    }
}

void
cr_session_record_free (CrSessionRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->room_id);
  g_free (record->case_no);
  g_free (record->title);
  g_free (record->chain_root);
  g_free (record->chain_head);
  g_free (record->signature);
  g_free (record->public_key);
  g_free (record);
}

void
cr_segment_record_free (CrSegmentRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->path);
  g_free (record->sha256);
  g_free (record->link);
  g_free (record);
}

void
cr_event_record_free (CrEventRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->kind_name);
  g_free (record->detail);
  g_free (record->link);
  g_free (record);
}

CrEventRecord *
cr_event_records_find (GPtrArray *ledger, guint sequence)
{
  for (guint i = 0; i < ledger->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (ledger, i);
      if (event->sequence == sequence)
        return event;
    }
  return NULL;
}

void
cr_marker_record_free (CrMarkerRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->text);
  g_free (record);
}

void
cr_broadcast_record_free (CrBroadcastRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->case_no);
  g_free (record->by);
  g_free (record->reason);
  g_free (record);
}

char *
cr_event_marker_text (const CrEventRecord *event, char **by)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *object;

  g_return_val_if_fail (event != NULL, NULL);

  if (by != NULL)
    *by = NULL;
  if (event->detail == NULL)
    return g_strdup ("");
  /* Only an object of exactly "text" and "by", both strings, is the
   * second form: a marker typed as JSON stays its own text. */
  parser = json_parser_new ();
  if (event->detail[0] != '{' || !json_parser_load_from_data (parser, event->detail, -1, NULL))
    return g_strdup (event->detail);
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return g_strdup (event->detail);
  object = json_node_get_object (root);
  if (json_object_get_size (object) != 2 || !json_object_has_member (object, "text") ||
      !json_object_has_member (object, "by") ||
      json_node_get_value_type (json_object_get_member (object, "text")) != G_TYPE_STRING ||
      json_node_get_value_type (json_object_get_member (object, "by")) != G_TYPE_STRING)
    return g_strdup (event->detail);
  if (by != NULL)
    *by = g_strdup (json_object_get_string_member (object, "by"));
  return g_strdup (json_object_get_string_member (object, "text"));
}
