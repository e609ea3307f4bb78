/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* live-schedule.c: see live-schedule.h. */
#include "streaming/live-schedule.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/json-members.h"
#include "schedule/slots.h"

struct CrLiveSchedule {
  CrSegmentIndex *index;        /* borrowed */
  GTimeZone *zone;
  char *zone_name;
  guint days;
  gboolean published;
  guint max_age_seconds;
  GBytes *body;                 /* the last good answer, or NULL */
  char *etag;
  gint64 built_at;              /* monotonic; 0: build on the next get */
  guint64 builds;
};

/* "2026-12-04T14:00:00+08:00": the court's wall clock with its offset, so
 * that the page shows the court's time whatever the viewer's zone.
 * (transfer full) */
static char *
format_local (GTimeZone *zone, gint64 utc_us)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (utc_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = NULL;

  if (utc == NULL)
    return NULL;
  local = g_date_time_to_timezone (utc, zone);
  return local != NULL ? g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
}

/* What the public may know of @hearing: its case, title and times, never
 * its description (parties' names are in it) nor where it came from. */
static void
add_hearing (JsonBuilder *builder, GTimeZone *zone, const CrHearingRow *hearing)
{
  g_autofree char *starts = cr_format_utc (hearing->starts_us);
  g_autofree char *ends = cr_format_utc (hearing->ends_us);
  g_autofree char *starts_local = format_local (zone, hearing->starts_us);
  g_autofree char *ends_local = format_local (zone, hearing->ends_us);

  json_builder_begin_object (builder);
  cr_json_add_text (builder, "case", hearing->case_no);
  cr_json_add_text (builder, "title", hearing->title);
  cr_json_add_text (builder, "starts", starts);
  cr_json_add_text (builder, "ends", ends);
  cr_json_add_text (builder, "starts_local", starts_local);
  cr_json_add_text (builder, "ends_local", ends_local);
  json_builder_end_object (builder);
}

/* Case number -> TRUE for the cases the court approved and never forbade,
 * from one read of every decision (a refusal outweighs any approval, as
 * cr_segment_index_get_broadcast_decision has it). (transfer full) */
static GHashTable *
approved_cases (CrSegmentIndex *index, GError **error)
{
  g_autoptr (GPtrArray) decisions = cr_segment_index_list_broadcast_decisions (index, error);
  g_autoptr (GHashTable) approved = NULL;
  g_autoptr (GHashTable) forbidden = NULL;

  if (decisions == NULL)
    return NULL;
  approved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  forbidden = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < decisions->len; i++)
    {
      const CrBroadcastRecord *decision = g_ptr_array_index (decisions, i);
      if (decision->decision == CR_BROADCAST_FORBIDDEN)
        g_hash_table_add (forbidden, decision->case_no);
    }
  for (guint i = 0; i < decisions->len; i++)
    {
      const CrBroadcastRecord *decision = g_ptr_array_index (decisions, i);
      if (decision->decision == CR_BROADCAST_APPROVED &&
          !g_hash_table_contains (forbidden, decision->case_no))
        g_hash_table_add (approved, g_strdup (decision->case_no));
    }
  return g_steal_pointer (&approved);
}

static gboolean
is_listed (const CrHearingRow *hearing, GHashTable *approved, gint64 now_us)
{
  return cr_slot_is_live (hearing) && hearing->public_hearing && hearing->ends_us > now_us &&
         hearing->case_no != NULL && g_hash_table_contains (approved, hearing->case_no);
}

char *
cr_live_schedule_build (CrSegmentIndex *index, GTimeZone *zone, guint days,
                        gboolean published, gint64 now_us, GError **error)
{
  g_autoptr (GTimeZone) local_zone = NULL;
  g_autoptr (GHashTable) approved = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) listed = g_ptr_array_new ();
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *now_local = NULL;
  const CrHearingRow *current, *next;

  g_return_val_if_fail (index != NULL, NULL);
  if (zone == NULL)
    zone = local_zone = g_time_zone_new_local ();

  approved = approved_cases (index, error);
  if (approved == NULL)
    return NULL;
  rows = cr_hearing_store_list (index, now_us, now_us + (gint64) days * G_TIME_SPAN_DAY,
                                FALSE, error);
  if (rows == NULL)
    return NULL;
  /* Filtered before anything is chosen from them: "current" and "next"
   * come from the public list only, so that a hearing that is not listed
   * shows nowhere, not even as a gap. */
  for (guint i = 0; i < rows->len; i++)
    if (is_listed (g_ptr_array_index (rows, i), approved, now_us))
      g_ptr_array_add (listed, g_ptr_array_index (rows, i));
  current = cr_slots_current (listed, now_us);
  next = cr_slots_next (listed, now_us);
  now_local = format_local (zone, now_us);

  json_builder_begin_object (builder);
  cr_json_add_text (builder, "timezone", g_time_zone_get_identifier (zone));
  json_builder_set_member_name (builder, "days");
  json_builder_add_int_value (builder, days);
  json_builder_set_member_name (builder, "published");
  json_builder_add_boolean_value (builder, published);
  /* The offset alone, not the time: the same hearings give the same bytes
   * (and ETag) from one period to the next, and the viewer's clock with
   * it tells the court's date. */
  cr_json_add_text (builder, "utc_offset", now_local != NULL ? now_local + strlen (now_local) - 6
                                                       : NULL);
  json_builder_set_member_name (builder, "current");
  if (current != NULL)
    add_hearing (builder, zone, current);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "next");
  if (next != NULL)
    add_hearing (builder, zone, next);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "hearings");
  json_builder_begin_array (builder);
  for (guint i = 0; i < listed->len; i++)
    add_hearing (builder, zone, g_ptr_array_index (listed, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

CrLiveSchedule *
cr_live_schedule_new (CrSegmentIndex *index, const char *timezone, guint days,
                      gboolean published, guint max_age_seconds)
{
  CrLiveSchedule *schedule;

  g_return_val_if_fail (index != NULL, NULL);
  schedule = g_new0 (CrLiveSchedule, 1);
  schedule->index = index;
  /* The config has validated the name. */
  schedule->zone = timezone != NULL ? g_time_zone_new_identifier (timezone) : NULL;
  if (schedule->zone == NULL)
    schedule->zone = g_time_zone_new_local ();
  schedule->days = days;
  schedule->published = published;
  schedule->max_age_seconds = MAX (max_age_seconds, 1);
  return schedule;
}

void
cr_live_schedule_free (CrLiveSchedule *schedule)
{
  if (schedule == NULL)
    return;
  g_time_zone_unref (schedule->zone);
  g_clear_pointer (&schedule->body, g_bytes_unref);
  g_free (schedule->etag);
  g_free (schedule);
}

/* A strong tag of the bytes: the same answer rebuilt keeps its tag, so a
 * viewer's If-None-Match still gets 304. (transfer full) */
static char *
etag_of (GBytes *body)
{
  g_autofree char *sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, body);
  return g_strdup_printf ("\"%.32s\"", sum);
}

GBytes *
cr_live_schedule_get (CrLiveSchedule *schedule, const char **etag, GError **error)
{
  gint64 now = g_get_monotonic_time ();

  g_return_val_if_fail (schedule != NULL, NULL);
  if (schedule->built_at == 0 ||
      now - schedule->built_at >= (gint64) schedule->max_age_seconds * G_USEC_PER_SEC)
    {
      g_autoptr (GError) local_error = NULL;
      char *json = cr_live_schedule_build (schedule->index, schedule->zone, schedule->days,
                                           schedule->published, g_get_real_time (),
                                           &local_error);

      /* Tried once per period even when it fails: a broken index must
       * not cost a query per viewer either. */
      schedule->built_at = now;
      schedule->builds++;
      if (json != NULL)
        {
          g_clear_pointer (&schedule->body, g_bytes_unref);
          schedule->body = g_bytes_new_take (json, strlen (json));
          g_free (schedule->etag);
          schedule->etag = etag_of (schedule->body);
        }
      else
        {
          g_warning ("Could not read the public schedule%s: %s",
                     schedule->body != NULL ? " (the last one is served)" : "",
                     local_error->message);
        }
    }
  if (schedule->body == NULL)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED,
                   "The schedule cannot be read from the index now");
      return NULL;
    }
  if (etag != NULL)
    *etag = schedule->etag;
  return g_bytes_ref (schedule->body);
}

void
cr_live_schedule_invalidate (CrLiveSchedule *schedule)
{
  g_return_if_fail (schedule != NULL);
  schedule->built_at = 0;
}

guint64
cr_live_schedule_builds (CrLiveSchedule *schedule)
{
  g_return_val_if_fail (schedule != NULL, 0);
  return schedule->builds;
}

guint
cr_live_schedule_max_age (CrLiveSchedule *schedule)
{
  g_return_val_if_fail (schedule != NULL, 1);
  return schedule->max_age_seconds;
}
