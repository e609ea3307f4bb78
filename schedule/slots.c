/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slots.c: see slots.h. */
#include "schedule/slots.h"

gboolean
cr_slot_is_live (const CrHearingRow *hearing)
{
  return hearing->removed_us == 0 && hearing->not_held_us == 0 &&
         g_strcmp0 (hearing->status, "cancelled") != 0 && hearing->ends_us > hearing->starts_us;
}

const CrHearingRow *
cr_slots_current (GPtrArray *hearings, gint64 now_us)
{
  for (guint i = 0; i < hearings->len; i++)
    {
      const CrHearingRow *hearing = g_ptr_array_index (hearings, i);
      if (cr_slot_is_live (hearing) && hearing->starts_us <= now_us && now_us < hearing->ends_us)
        return hearing;
    }
  return NULL;
}

const CrHearingRow *
cr_slots_next (GPtrArray *hearings, gint64 now_us)
{
  const CrHearingRow *next = NULL;

  for (guint i = 0; i < hearings->len; i++)
    {
      const CrHearingRow *hearing = g_ptr_array_index (hearings, i);
      if (cr_slot_is_live (hearing) && hearing->starts_us > now_us &&
          (next == NULL || hearing->starts_us < next->starts_us))
        next = hearing;
    }
  return next;
}

GPtrArray *
cr_slots_around (CrSegmentIndex *index, gint64 now_us, guint days_ahead, GError **error)
{
  return cr_hearing_store_list (index, now_us - G_TIME_SPAN_DAY,
                                now_us + (gint64) days_ahead * G_TIME_SPAN_DAY, FALSE, error);
}
