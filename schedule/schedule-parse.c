/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedule-parse.c: see schedule-parse.h. */
#include "schedule/schedule-parse.h"

#include <string.h>

#include "archive/case-number.h"

G_DEFINE_QUARK (cr-schedule-error-quark, cr_schedule_error)

#define WINDOW_BEHIND_US (31 * G_TIME_SPAN_DAY)
#define WINDOW_AHEAD_US (366 * G_TIME_SPAN_DAY)
/* A case number is short: from its opening bracket to 号 within this many
 * characters, or it is not one. */
#define CASE_NUMBER_MAX_CHARS 40

CrScheduleScope *
cr_schedule_scope_new_for (const char *const *rooms, const char *zone_name, gint64 now_us)
{
  CrScheduleScope *scope = g_new0 (CrScheduleScope, 1);
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; rooms != NULL && rooms[i] != NULL; i++)
    {
      char *name = g_strstrip (g_strdup (rooms[i]));

      if (*name != '\0')
        g_ptr_array_add (names, name);
      else
        g_free (name);
    }
  g_ptr_array_add (names, NULL);
  scope->rooms = (char **) g_ptr_array_free (names, FALSE);
  scope->zone = zone_name != NULL ? g_time_zone_new_identifier (zone_name) : NULL;
  if (scope->zone == NULL)
    scope->zone = g_time_zone_new_local ();
  scope->zone_name = g_strdup (g_time_zone_get_identifier (scope->zone));
  scope->window_from_us = now_us - WINDOW_BEHIND_US;
  scope->window_to_us = now_us + WINDOW_AHEAD_US;
  return scope;
}

CrScheduleScope *
cr_schedule_scope_new (const CrConfig *config, gint64 now_us)
{
  const char *rooms[] = {
    config->schedule_location != NULL ? config->schedule_location : config->room_id,
    config->room_id, config->room_name, NULL
  };

  if (rooms[2] == NULL || *rooms[2] == '\0')
    rooms[2] = NULL;
  return cr_schedule_scope_new_for (rooms, config->schedule_timezone, now_us);
}

void
cr_schedule_scope_free (CrScheduleScope *scope)
{
  if (scope == NULL)
    return;
  g_strfreev (scope->rooms);
  g_time_zone_unref (scope->zone);
  g_free (scope->zone_name);
  g_free (scope);
}

gboolean
cr_schedule_scope_is_room (const CrScheduleScope *scope, const char *location)
{
  g_autofree char *trimmed = NULL;

  if (location == NULL)
    return FALSE;
  trimmed = g_strstrip (g_strdup (location));
  if (scope->rooms[0] == NULL)
    return *trimmed != '\0';
  for (guint i = 0; scope->rooms[i] != NULL; i++)
    if (strcmp (scope->rooms[i], trimmed) == 0)
      return TRUE;
  return FALSE;
}

CrScheduleParse *
cr_schedule_parse_new (void)
{
  CrScheduleParse *parse = g_new0 (CrScheduleParse, 1);

  parse->hearings = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  parse->skipped = g_ptr_array_new_with_free_func (g_free);
  return parse;
}

void
cr_schedule_parse_free (CrScheduleParse *parse)
{
  if (parse == NULL)
    return;
  g_ptr_array_unref (parse->hearings);
  g_ptr_array_unref (parse->skipped);
  g_free (parse);
}

void
cr_schedule_parse_skip (CrScheduleParse *parse, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_autofree char *reason = g_strdup_vprintf (format, args);
  va_end (args);
  /* A library's message may quote the input and cut a character in two;
   * the reason goes to the journal, status and a terminal. */
  g_ptr_array_add (parse->skipped, g_utf8_make_valid (reason, -1));
}

/* The round ones: case-number.c refuses the others (〔〕, 【】, ...) with
 * a message, which a free text gives no one to read. */
static gboolean
is_open_bracket (gunichar c)
{
  return c == '(' || c == 0xff08;
}

char *
cr_schedule_find_case_number (const char *text)
{
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      const char *end = p;
      guint chars = 0;

      if (!is_open_bracket (g_utf8_get_char (p)))
        continue;
      /* The candidate runs to the first 号 after the bracket. */
      while (*end != '\0' && chars < CASE_NUMBER_MAX_CHARS && !g_str_has_prefix (end, "号"))
        {
          end = g_utf8_next_char (end);
          chars++;
        }
      if (!g_str_has_prefix (end, "号"))
        continue;
      g_autofree char *candidate = g_strndup (p, (gsize) (end - p) + strlen ("号"));
      char *canonical = cr_case_number_canonicalize (candidate, NULL);

      if (canonical != NULL)
        return canonical;
    }
  return NULL;
}

static gboolean
all_digits (const char *text, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

gboolean
cr_schedule_parse_time (const char *text, GTimeZone *zone, gint64 *utc_us)
{
  g_autofree char *copy = NULL;
  g_autoptr (GDateTime) time = NULL;
  gsize length;

  if (text == NULL)
    return FALSE;
  copy = g_strstrip (g_strdup (text));
  length = strlen (copy);
  /* YYYY-MM-DD, a separator, HH:MM at least: a date alone has no slot. */
  if (length < 16 || length > 40 || !all_digits (copy, 4) || copy[4] != '-'
      || !all_digits (copy + 5, 2) || copy[7] != '-' || !all_digits (copy + 8, 2)
      || (copy[10] != ' ' && copy[10] != 'T') || !all_digits (copy + 11, 2)
      || copy[13] != ':' || !all_digits (copy + 14, 2))
    return FALSE;
  copy[10] = 'T';
  if (length == 16 || (length > 16 && !g_ascii_isdigit (copy[16]) && copy[16] != ':'))
    {
      /* HH:MM: GLib's ISO 8601 wants the seconds. */
      char *with_seconds = g_strdup_printf ("%.16s:00%s", copy, copy + 16);
      g_free (copy);
      copy = with_seconds;
    }
  time = g_date_time_new_from_iso8601 (copy, zone);
  if (time == NULL || g_date_time_get_year (time) < 1970 || g_date_time_get_year (time) > 2200)
    return FALSE;
  *utc_us = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
  return TRUE;
}

char *
cr_schedule_format_local (gint64 utc_us, GTimeZone *zone)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (utc_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_timezone (utc, zone) : NULL;

  return local != NULL ? g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
}
