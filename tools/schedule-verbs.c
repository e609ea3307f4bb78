/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedule-verbs.c: `courtrec schedule`, the room's hearings as the index
 * holds them (what the recorder will act on), and `--check FILE`, which
 * reads a calendar or feed the way the daemon would and says what it
 * would store and every event it would not, with why: what a court's IT
 * runs on an export before pointing [schedule] at it. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/utc.h"
#include "config/text.h"
#include "schedule/hearing-feed.h"
#include "schedule/hearing-store.h"
#include "schedule/ical-calendar.h"
#include "schedule/schedule-parse.h"
#include "schedule/schedule-poller.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

#define DEFAULT_DAYS 14

/* --from/--to: a date (the day's start in the court's zone; --to takes
 * the whole day), or a time as the feed takes it. */
static gboolean
parse_day_or_time (const char *text, GTimeZone *zone, gboolean end_of_day, gint64 *utc_us)
{
  int year, month, day;
  char tail;

  if (sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3 && strlen (text) == 10)
    {
      g_autoptr (GDateTime) start = g_date_time_new (zone, year, month, day, 0, 0, 0);
      g_autoptr (GDateTime) next = start != NULL ? g_date_time_add_days (start, 1) : NULL;

      if (start == NULL || next == NULL)
        return FALSE;
      *utc_us = g_date_time_to_unix (end_of_day ? next : start) * G_USEC_PER_SEC;
      return TRUE;
    }
  return cr_schedule_parse_time (text, zone, utc_us);
}

static void
add_hearing_json (JsonBuilder *builder, const CrHearingRow *row, GTimeZone *zone)
{
  g_autofree char *starts = cr_format_utc (row->starts_us);
  g_autofree char *ends = cr_format_utc (row->ends_us);
  g_autofree char *starts_local = cr_schedule_format_local (row->starts_us, zone);
  g_autofree char *ends_local = cr_schedule_format_local (row->ends_us, zone);
  g_autofree char *removed = row->removed_us != 0 ? cr_format_utc (row->removed_us) : NULL;
  g_autofree char *not_held = row->not_held_us != 0 ? cr_format_utc (row->not_held_us) : NULL;

  json_builder_begin_object (builder);
  if (row->id != 0)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, row->id);
    }
  add_string_or_null (builder, "source", row->source);
  add_string_or_null (builder, "uid", row->uid);
  add_string_or_null (builder, "case", row->case_no);
  add_string_or_null (builder, "title", row->title);
  add_string_or_null (builder, "location", row->location);
  add_string_or_null (builder, "starts", starts);
  add_string_or_null (builder, "ends", ends);
  add_string_or_null (builder, "starts_local", starts_local);
  add_string_or_null (builder, "ends_local", ends_local);
  json_builder_set_member_name (builder, "public");
  json_builder_add_boolean_value (builder, row->public_hearing);
  add_string_or_null (builder, "status", row->status);
  add_string_or_null (builder, "removed", removed);
  add_string_or_null (builder, "not_held", not_held);
  add_string_or_null (builder, "not_held_reason", row->not_held_reason);
  json_builder_end_object (builder);
}

/* "2026-12-03 09:00-11:00 +08:00" in the court's zone. */
static char *
slot_text (const CrHearingRow *row, GTimeZone *zone)
{
  g_autoptr (GDateTime) start_utc = g_date_time_new_from_unix_utc (row->starts_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) end_utc = g_date_time_new_from_unix_utc (row->ends_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) start = g_date_time_to_timezone (start_utc, zone);
  g_autoptr (GDateTime) end = g_date_time_to_timezone (end_utc, zone);
  g_autofree char *from = g_date_time_format (start, "%Y-%m-%d %H:%M");
  g_autofree char *to = g_date_time_format (end, g_date_time_get_day_of_year (end)
                                                 == g_date_time_get_day_of_year (start)
                                            ? "%H:%M" : "%Y-%m-%d %H:%M");
  g_autofree char *offset = g_date_time_format (start, "%:z");

  return g_strdup_printf ("%s-%s %s", from, to, offset);
}

static void
print_hearing_line (const CrHearingRow *row, GTimeZone *zone)
{
  g_autofree char *slot = slot_text (row, zone);
  g_autoptr (GString) notes = g_string_new (row->public_hearing ? "public" : "not public");

  if (g_strcmp0 (row->status, "cancelled") == 0)
    g_string_append (notes, ", cancelled");
  if (row->removed_us != 0)
    g_string_append (notes, ", removed from the calendar");
  if (row->not_held_us != 0)
    g_string_append_printf (notes, ", not held: %s", cr_text_shown (row->not_held_reason));
  printf ("%s  %s  %s  [%s]  (%s%s%s)\n", slot, cr_text_shown (row->case_no),
          row->title != NULL ? cr_text_shown (row->title) : "-", notes->str,
          row->source != NULL ? row->source : "", row->source != NULL ? " " : "",
          cr_text_shown (row->uid));
}

static int
run_check (VerbCall *call, const char *path)
{
  const char *format = verb_text (call, "format");
  g_autoptr (CrScheduleScope) scope = NULL;
  g_autoptr (CrScheduleParse) parse = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length;
  gboolean calendar;
  int code;

  if (config_paths != NULL && config_paths[0] != NULL)
    {
      const CrConfig *config = verb_config (call, &code);

      if (config == NULL)
        return code;
      scope = cr_schedule_scope_new (config, g_get_real_time ());
    }
  else
    scope = cr_schedule_scope_new_for (NULL, NULL, g_get_real_time ());
  if (!g_file_get_contents (path, &text, &length, &error))
    return fail (EXIT_USAGE, "schedule: %s", error->message);
  if (length > CR_SCHEDULE_MAX_BYTES)
    return fail (EXIT_USAGE, "schedule: %s: larger than %d MiB, the most a schedule may be",
                 cr_text_shown (path), CR_SCHEDULE_MAX_BYTES / (1024 * 1024));
  if (format != NULL)
    calendar = strcmp (format, "ical") == 0;
  else
    {
      /* By content, as the daemon tells its sources apart by key. */
      const char *p = text;
      while (p < text + length && (g_ascii_isspace (*p) || (guchar) *p >= 0xef))
        p++;
      calendar = (gsize) (text + length - p) >= 15
                 && g_ascii_strncasecmp (p, "BEGIN:VCALENDAR", 15) == 0;
    }
  if (calendar)
    parse = cr_ical_calendar_parse (text, length, scope, &error);
  else
    parse = cr_hearing_feed_parse (text, length,
                                   format == NULL ? CR_HEARING_FEED_AUTO
                                   : strcmp (format, "json") == 0 ? CR_HEARING_FEED_JSON
                                                                 : CR_HEARING_FEED_CSV,
                                   scope, &error);
  if (parse == NULL)
    return fail (EXIT_USAGE, "schedule: %s: %s", cr_text_shown (path), error->message);

  if (verb_flag (call, "json"))
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "events");
      json_builder_add_int_value (builder, parse->events);
      json_builder_set_member_name (builder, "other_rooms");
      json_builder_add_int_value (builder, parse->other_rooms);
      json_builder_set_member_name (builder, "hearings");
      json_builder_begin_array (builder);
      for (guint i = 0; i < parse->hearings->len; i++)
        add_hearing_json (builder, parse->hearings->pdata[i], scope->zone);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "skipped");
      json_builder_begin_array (builder);
      for (guint i = 0; i < parse->skipped->len; i++)
        json_builder_add_string_value (builder, parse->skipped->pdata[i]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_OK;
    }
  printf ("%s: %u events, %u hearings of this room, %u of other rooms, %u not stored "
          "(times in %s)\n", cr_text_shown (path), parse->events, parse->hearings->len,
          parse->other_rooms, parse->skipped->len, scope->zone_name);
  for (guint i = 0; i < parse->hearings->len; i++)
    print_hearing_line (parse->hearings->pdata[i], scope->zone);
  for (guint i = 0; i < parse->skipped->len; i++)
    printf ("not stored: %s\n", cr_text_shown (parse->skipped->pdata[i]));
  return EXIT_OK;
}

int
run_schedule (VerbCall *call)
{
  const char *check = verb_text (call, "check");
  const char *from_arg = verb_text (call, "from");
  const char *to_arg = verb_text (call, "to");
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (GTimeZone) zone = NULL;
  g_autoptr (GPtrArray) hearings = NULL;
  g_autoptr (GError) error = NULL;
  gint64 from_us, to_us;
  int code;

  if (check != NULL)
    return run_check (call, check);
  if (verb_text (call, "format") != NULL)
    return fail (EXIT_USAGE, "schedule: --format goes with --check FILE");
  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  zone = config->schedule_timezone != NULL ? g_time_zone_new_identifier (config->schedule_timezone)
                                           : NULL;
  if (zone == NULL)
    zone = g_time_zone_new_local ();
  {
    g_autoptr (GDateTime) now = g_date_time_new_now (zone);
    g_autoptr (GDateTime) today = g_date_time_new (zone, g_date_time_get_year (now),
                                                   g_date_time_get_month (now),
                                                   g_date_time_get_day_of_month (now), 0, 0, 0);
    from_us = g_date_time_to_unix (today) * G_USEC_PER_SEC;
  }
  if (from_arg != NULL && !parse_day_or_time (from_arg, zone, FALSE, &from_us))
    return fail (EXIT_USAGE, "schedule: --from '%s' is not a date: expected e.g. 2026-12-03 "
                 "or '2026-12-03 09:00'", cr_text_shown (from_arg));
  to_us = from_us + DEFAULT_DAYS * G_TIME_SPAN_DAY;
  if (to_arg != NULL && !parse_day_or_time (to_arg, zone, TRUE, &to_us))
    return fail (EXIT_USAGE, "schedule: --to '%s' is not a date: expected e.g. 2026-12-17 "
                 "or '2026-12-17 18:00'", cr_text_shown (to_arg));
  if (to_us <= from_us)
    return fail (EXIT_USAGE, "schedule: --to must be later than --from");
  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  hearings = cr_hearing_store_list (index, from_us, to_us, TRUE, &error);
  if (hearings == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s", cr_text_shown (call->index_path),
                 error->message);
  if (verb_flag (call, "json"))
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < hearings->len; i++)
        add_hearing_json (builder, hearings->pdata[i], zone);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_OK;
    }
  if (hearings->len == 0)
    printf ("no hearings of room %s in the index between these days\n",
            cr_text_shown (config->room_id));
  for (guint i = 0; i < hearings->len; i++)
    print_hearing_line (hearings->pdata[i], zone);
  return EXIT_OK;
}
