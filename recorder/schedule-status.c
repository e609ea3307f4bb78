/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedule-status.c: see schedule-status.h. */
#include "recorder/schedule-status.h"

#include "archive/json-members.h"
#include "archive/utc.h"
#include "recorder/recorder-private.h"
#include "recorder/scheduler.h"
#include "schedule/schedule-parse.h"
#include "schedule/slots.h"

/* The court's zone: [schedule] timezone, else the machine's. (transfer full) */
static GTimeZone *
court_zone (const CrConfig *config)
{
  GTimeZone *zone = config->schedule_timezone != NULL
                    ? g_time_zone_new_identifier (config->schedule_timezone) : NULL;
  return zone != NULL ? zone : g_time_zone_new_local ();
}

static void
add_hearing (CrRecorder *recorder, JsonBuilder *b, const char *name,
             const CrHearingRow *hearing)
{
  g_autoptr (GTimeZone) zone = court_zone (recorder->config);
  g_autofree char *starts_local = NULL;
  g_autofree char *ends_local = NULL;

  json_builder_set_member_name (b, name);
  if (hearing == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  starts_local = cr_schedule_format_local (hearing->starts_us, zone);
  ends_local = cr_schedule_format_local (hearing->ends_us, zone);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, hearing->id);
  cr_json_add_text (b, "uid", hearing->uid);
  cr_json_add_text (b, "case", hearing->case_no);
  cr_json_add_text (b, "title", hearing->title);
  cr_json_add_text (b, "location", hearing->location);
  cr_json_add_time (b, "starts", hearing->starts_us);
  cr_json_add_time (b, "ends", hearing->ends_us);
  cr_json_add_text (b, "starts_local", starts_local);
  cr_json_add_text (b, "ends_local", ends_local);
  json_builder_set_member_name (b, "public");
  json_builder_add_boolean_value (b, hearing->public_hearing);
  json_builder_set_member_name (b, "recording");
  json_builder_add_boolean_value (b, recorder->state == RECORDING && recorder->session != NULL &&
                                     g_strcmp0 (recorder->session->case_no, hearing->case_no) == 0);
  json_builder_end_object (b);
}

/* The sources as the index has them (what the poller wrote). */
static void
add_source_rows (CrRecorder *recorder, JsonBuilder *b)
{
  const CrConfig *config = recorder->config;
  const char *const sources[][2] = { { "calendar", config->schedule_calendar },
                                     { "feed", config->schedule_feed } };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autoptr (CrScheduleSourceRow) row = NULL;

      if (sources[i][1] == NULL)
        continue;
      row = cr_schedule_source_get (recorder->index, sources[i][0], NULL);
      json_builder_begin_object (b);
      cr_json_add_text (b, "source", sources[i][0]);
      cr_json_add_text (b, "location", sources[i][1]);
      cr_json_add_time (b, "checked", row != NULL ? row->checked_us : 0);
      cr_json_add_time (b, "changed", row != NULL ? row->changed_us : 0);
      json_builder_set_member_name (b, "hearings");
      json_builder_add_int_value (b, row != NULL ? row->hearings : 0);
      json_builder_set_member_name (b, "skipped");
      json_builder_add_null_value (b);
      cr_json_add_text (b, "error", row != NULL ? row->error : NULL);
      cr_json_add_time (b, "error_since", row != NULL && row->error != NULL ? row->error_us : 0);
      json_builder_end_object (b);
    }
}

void
cr_schedule_status_add (CrRecorder *recorder, JsonBuilder *b)
{
  const CrConfig *config = recorder->config;
  GPtrArray *hearings = recorder->scheduler != NULL
                        ? cr_scheduler_get_hearings (recorder->scheduler) : NULL;
  gint64 now = g_get_real_time ();
  g_autoptr (JsonNode) sources = recorder->scheduler != NULL
                                 ? cr_scheduler_get_sources (recorder->scheduler) : NULL;

  json_builder_set_member_name (b, "schedule");
  json_builder_begin_object (b);
  cr_json_add_text (b, "timezone", config->schedule_timezone);
  json_builder_set_member_name (b, "autostart");
  json_builder_add_boolean_value (b, config->schedule_autostart);
  json_builder_set_member_name (b, "grace_seconds");
  json_builder_add_int_value (b, config->schedule_grace_seconds);
  add_hearing (recorder, b, "current", hearings ? cr_slots_current (hearings, now) : NULL);
  add_hearing (recorder, b, "next", hearings ? cr_slots_next (hearings, now) : NULL);
  json_builder_set_member_name (b, "sources");
  if (sources != NULL)
    json_builder_add_value (b, g_steal_pointer (&sources));
  else
    {
      json_builder_begin_array (b);
      add_source_rows (recorder, b);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}
