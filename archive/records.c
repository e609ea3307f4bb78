/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* records.c: see records.h. */
#include "archive/records.h"

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
