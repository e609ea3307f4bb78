/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-schedule.c: the court's calendar and feed read into hearings, and
 * the index's copy of them. Times are judged by Python's zoneinfo (the
 * system's tz database through another implementation than libical's
 * or GLib's); where a local time does not exist or is ambiguous, the
 * tests pin down what courtrec does (docs/schedule.md says the same). */
#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "archive/segment-index.h"
#include "archive/utc.h"
#include "schedule/hearing-feed.h"
#include "schedule/hearing-store.h"
#include "schedule/ical-calendar.h"
#include "schedule/schedule-parse.h"
#include "tests/test-util.h"

/* 2026-12-01T00:00:00Z: the fixtures' recurring events are around it. */
#define NOW_US (G_GINT64_CONSTANT (1795996800) * G_USEC_PER_SEC)

static const char *const rooms[] = { "room-101", "test-room", "第一法庭", NULL };

static gint64
utc (const char *text)
{
  gint64 us = 0;
  g_autoptr (GDateTime) time = g_date_time_new_from_iso8601 (text, NULL);

  g_assert_nonnull (time);
  us = g_date_time_to_unix (time) * G_USEC_PER_SEC;
  return us;
}

/* @local ("2026-03-29 02:30") in @zone as Python's zoneinfo puts it in
 * UTC (fold 0: the offset before a change). */
static gint64
zoneinfo_utc (const char *zone, const char *local)
{
  g_autofree char *script = g_strdup_printf (
      "import datetime, zoneinfo\n"
      "t = datetime.datetime.fromisoformat('%s').replace(tzinfo=zoneinfo.ZoneInfo('%s'))\n"
      "print(int(t.timestamp()))\n", local, zone);
  const char *argv[] = { "python3", "-c", script, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (cr_test_run (&out, &err, argv), ==, 0);
  return g_ascii_strtoll (out, NULL, 10) * G_USEC_PER_SEC;
}

static char *
fixture_text (const char *name, gsize *length)
{
  g_autofree char *relative = g_build_filename ("tests/fixtures/schedule", name, NULL);
  g_autofree char *path = cr_test_top_path (relative);
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, length, &error);
  g_assert_no_error (error);
  return text;
}

static const CrHearingRow *
find (CrScheduleParse *parse, const char *uid)
{
  for (guint i = 0; i < parse->hearings->len; i++)
    {
      const CrHearingRow *row = parse->hearings->pdata[i];
      if (strcmp (row->uid, uid) == 0)
        return row;
    }
  return NULL;
}

static gboolean
skipped_with (CrScheduleParse *parse, const char *needle)
{
  for (guint i = 0; i < parse->skipped->len; i++)
    if (strstr (parse->skipped->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

static CrScheduleParse *
parse_fixture (const char *name, const char *zone)
{
  gsize length;
  g_autofree char *text = fixture_text (name, &length);
  g_autoptr (CrScheduleScope) scope = cr_schedule_scope_new_for (rooms, zone, NOW_US);
  g_autoptr (GError) error = NULL;
  CrScheduleParse *parse;

  if (g_str_has_suffix (name, ".ics"))
    parse = cr_ical_calendar_parse (text, length, scope, &error);
  else
    parse = cr_hearing_feed_parse (text, length, CR_HEARING_FEED_AUTO, scope, &error);
  g_assert_no_error (error);
  g_assert_nonnull (parse);
  return parse;
}

static void
test_ical_shanghai (void)
{
  g_autoptr (CrScheduleParse) parse = parse_fixture ("shanghai.ics", "Asia/Shanghai");
  const CrHearingRow *row;

  g_assert_cmpuint (parse->events, ==, 8);
  g_assert_cmpuint (parse->other_rooms, ==, 1);    /* room-102 */
  g_assert_cmpuint (parse->hearings->len, ==, 4);
  g_assert_cmpuint (parse->skipped->len, ==, 3);

  /* A VTIMEZONE of the file's own name (Outlook writes these). */
  row = find (parse, "h-1001@court.example");
  g_assert_nonnull (row);
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Asia/Shanghai", "2026-12-03 09:00"));
  g_assert_cmpint (row->ends_us, ==, zoneinfo_utc ("Asia/Shanghai", "2026-12-03 11:00"));
  g_assert_cmpstr (row->case_no, ==, "（2026）浙1022民初123号");
  g_assert_true (row->public_hearing);
  g_assert_cmpstr (row->status, ==, "scheduled");
  g_assert_cmpstr (row->tzid, ==, "China Standard Time");

  /* An Olson TZID without VTIMEZONE; DURATION; the room by its name with
   * spaces around; the case number found in DESCRIPTION in a sloppy
   * typing; CLASS:PRIVATE. */
  row = find (parse, "h-1002@court.example");
  g_assert_nonnull (row);
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Asia/Shanghai", "2026-12-03 14:00"));
  g_assert_cmpint (row->ends_us - row->starts_us, ==, 90 * G_TIME_SPAN_MINUTE);
  g_assert_cmpstr (row->location, ==, "第一法庭");
  g_assert_cmpstr (row->case_no, ==, "（2026）浙1022民初456号");
  g_assert_false (row->public_hearing);

  /* UTC; X-COURTREC-CASE wins; CANCELLED. */
  row = find (parse, "h-1003@court.example");
  g_assert_nonnull (row);
  g_assert_cmpint (row->starts_us, ==, utc ("2026-12-04T01:00:00Z"));
  g_assert_cmpstr (row->case_no, ==, "（2026）浙1022刑初7号");
  g_assert_cmpstr (row->status, ==, "cancelled");

  /* Floating: the court's zone. No CLASS: not public. */
  row = find (parse, "h-1004@court.example");
  g_assert_nonnull (row);
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Asia/Shanghai", "2026-12-04 15:00"));
  g_assert_false (row->public_hearing);

  g_assert_null (find (parse, "h-2001@court.example"));
  g_assert_true (skipped_with (parse, "UID h-1005@court.example (line 60): no case number"));
  g_assert_true (skipped_with (parse, "UID h-1006@court.example (line 68): an all-day event"));
  g_assert_true (skipped_with (parse, "TZID=Mars/Olympus"));
}

/* Europe/Berlin without VTIMEZONE (libical's zone of that name). */
static void
test_ical_dst_builtin (void)
{
  g_autoptr (CrScheduleParse) parse = parse_fixture ("berlin.ics", "Asia/Shanghai");
  const CrHearingRow *row;

  g_assert_cmpuint (parse->hearings->len, ==, 5);
  row = find (parse, "dst-summer");
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Europe/Berlin", "2026-07-01 10:00"));
  g_assert_cmpint (row->starts_us, ==, utc ("2026-07-01T08:00:00Z"));

  /* 01:30 CET to 03:30 CEST on 29 March: one real hour. */
  row = find (parse, "dst-spring-straddle");
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Europe/Berlin", "2026-03-29 01:30"));
  g_assert_cmpint (row->ends_us, ==, zoneinfo_utc ("Europe/Berlin", "2026-03-29 03:30"));
  g_assert_cmpint (row->ends_us - row->starts_us, ==, G_TIME_SPAN_HOUR);

  /* 02:30 on 29 March does not exist: libical applies the new offset
   * (+02:00), giving 00:30Z, i.e. 01:30 CET (zoneinfo's fold 0 would say
   * 01:30Z). The slot starts earlier, never later: no part of it is
   * missed. */
  row = find (parse, "dst-spring-nonexistent");
  g_assert_cmpint (row->starts_us, ==, utc ("2026-03-29T00:30:00Z"));
  g_assert_cmpint (row->ends_us, ==, zoneinfo_utc ("Europe/Berlin", "2026-03-29 04:00"));

  /* 01:30 CEST to 03:30 CET on 25 October: three real hours. */
  row = find (parse, "dst-autumn-straddle");
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Europe/Berlin", "2026-10-25 01:30"));
  g_assert_cmpint (row->ends_us, ==, zoneinfo_utc ("Europe/Berlin", "2026-10-25 03:30"));
  g_assert_cmpint (row->ends_us - row->starts_us, ==, 3 * G_TIME_SPAN_HOUR);

  /* 02:30 on 25 October happens twice: libical takes the second (CET,
   * 01:30Z). */
  row = find (parse, "dst-autumn-ambiguous");
  g_assert_cmpint (row->starts_us, ==, utc ("2026-10-25T01:30:00Z"));
}

/* A VTIMEZONE with its own DST rules, under a Windows name. */
static void
test_ical_dst_vtimezone (void)
{
  g_autoptr (CrScheduleParse) parse = parse_fixture ("new-york.ics", NULL);
  const CrHearingRow *row;

  row = find (parse, "ny-before");
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("America/New_York", "2026-03-06 09:00"));
  g_assert_cmpint (row->starts_us, ==, utc ("2026-03-06T14:00:00Z"));
  row = find (parse, "ny-after");
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("America/New_York", "2026-03-09 09:00"));
  g_assert_cmpint (row->starts_us, ==, utc ("2026-03-09T13:00:00Z"));
  /* 01:00 on 1 November is ambiguous: the second (EST) again. */
  row = find (parse, "ny-straddle");
  g_assert_cmpint (row->starts_us, ==, utc ("2026-11-01T06:00:00Z"));
  g_assert_cmpint (row->ends_us, ==, zoneinfo_utc ("America/New_York", "2026-11-01 03:00"));
}

/* Floating times and the feed's local times in a DST zone go through
 * GLib: a time that does not exist or is ambiguous. */
static void
test_floating_dst (void)
{
  g_autoptr (GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  gint64 us;

  g_assert_true (cr_schedule_parse_time ("2026-07-01 10:00", berlin, &us));
  g_assert_cmpint (us, ==, zoneinfo_utc ("Europe/Berlin", "2026-07-01 10:00"));
  g_assert_true (cr_schedule_parse_time ("2026-03-29 01:30", berlin, &us));
  g_assert_cmpint (us, ==, zoneinfo_utc ("Europe/Berlin", "2026-03-29 01:30"));
  /* Nonexistent 02:30: GLib moves it to the change itself, 03:00 CEST
   * (01:00Z). */
  g_assert_true (cr_schedule_parse_time ("2026-03-29 02:30", berlin, &us));
  g_assert_cmpint (us, ==, utc ("2026-03-29T01:00:00Z"));
  /* Ambiguous 02:30 in October: GLib takes the second (CET, 01:30Z), as
   * libical does. */
  g_assert_true (cr_schedule_parse_time ("2026-10-25T02:30", berlin, &us));
  g_assert_cmpint (us, ==, utc ("2026-10-25T01:30:00Z"));
  /* An offset given wins over the zone. */
  g_assert_true (cr_schedule_parse_time ("2026-10-25T02:30:00+08:00", berlin, &us));
  g_assert_cmpint (us, ==, utc ("2026-10-24T18:30:00Z"));
  g_assert_false (cr_schedule_parse_time ("2026-10-25", berlin, &us));
  g_assert_false (cr_schedule_parse_time ("25.10.2026 09:00", berlin, &us));
  g_assert_false (cr_schedule_parse_time ("2026-13-45 09:00", berlin, &us));
  g_assert_false (cr_schedule_parse_time ("2026-10-25 29:00", berlin, &us));
}

static void
test_ical_recurring (void)
{
  g_autoptr (CrScheduleParse) parse = parse_fixture ("recurring.ics", "Asia/Shanghai");
  const CrHearingRow *row;

  /* COUNT=4 from 2 December, 9 December taken out by EXDATE, 16 December
   * moved to the afternoon by a RECURRENCE-ID. */
  g_assert_cmpuint (parse->hearings->len, ==, 3);
  g_assert_nonnull (find (parse, "weekly-mediation/20261202T010000Z"));
  g_assert_null (find (parse, "weekly-mediation/20261209T010000Z"));
  row = find (parse, "weekly-mediation/20261216T010000Z");
  g_assert_nonnull (row);
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Asia/Shanghai", "2026-12-16 14:00"));
  g_assert_cmpstr (row->title, ==, "（2026）浙1022民初300号 调解（改期）");
  row = find (parse, "weekly-mediation/20261223T010000Z");
  g_assert_cmpint (row->ends_us - row->starts_us, ==, G_TIME_SPAN_HOUR);
  /* FREQ=SECONDLY from 1970 is stopped, not iterated for minutes. */
  g_assert_true (skipped_with (parse, "UID runaway (line 21): its RRULE gives more than"));
}

static void
test_feed_json (void)
{
  g_autoptr (CrScheduleParse) parse = parse_fixture ("feed.json", "Asia/Shanghai");
  const CrHearingRow *row;

  g_assert_cmpuint (parse->events, ==, 9);
  g_assert_cmpuint (parse->other_rooms, ==, 1);
  g_assert_cmpuint (parse->hearings->len, ==, 3);
  row = find (parse, "（2026）浙1022民初123号@2026-12-03T01:00:00.000Z");
  g_assert_nonnull (row);
  g_assert_cmpint (row->ends_us, ==, utc ("2026-12-03T03:00:00Z"));
  g_assert_true (row->public_hearing);
  g_assert_cmpstr (row->title, ==, "买卖合同纠纷");
  row = find (parse, "F-2");
  g_assert_nonnull (row);
  g_assert_cmpstr (row->case_no, ==, "（2026）浙1022民初456号");
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Asia/Shanghai", "2026-12-03 14:00"));
  g_assert_false (row->public_hearing);   /* 否 */
  row = find (parse, "（2026）浙1022刑初7号@2026-12-04T01:00:00.000Z");
  g_assert_nonnull (row);
  g_assert_true (row->public_hearing);    /* 1 */
  g_assert_cmpstr (row->status, ==, "cancelled");
  /* Wrong types and values, each named with its place. */
  g_assert_true (skipped_with (parse, "hearing 5: \"start\" must be a string, not an integer"));
  g_assert_true (skipped_with (parse, "hearing 6: case: "));
  g_assert_true (skipped_with (parse, "hearing 7: start \"2026-12-03\" is not"));
  g_assert_true (skipped_with (parse, "hearing 8: a string, not an object"));
  g_assert_true (skipped_with (parse, "hearing 9: public \"maybe\""));
}

static void
test_feed_csv (void)
{
  g_autoptr (CrScheduleParse) zh = parse_fixture ("feed-zh.csv", "Asia/Shanghai");
  g_autoptr (CrScheduleParse) en = parse_fixture ("feed.csv", "Asia/Shanghai");
  const CrHearingRow *row;

  /* Chinese headers, a BOM, a comma and a quoted newline and quotes in
   * fields, a column nobody knows (备注). */
  g_assert_cmpuint (zh->hearings->len, ==, 2);
  g_assert_cmpuint (zh->other_rooms, ==, 1);
  row = find (zh, "（2026）浙1022民初123号@2026-12-03T01:00:00.000Z");
  g_assert_nonnull (row);
  g_assert_cmpstr (row->title, ==, "买卖合同纠纷, 第一次");
  g_assert_true (row->public_hearing);
  row = find (zh, "（2026）浙1022民初456号@2026-12-03T06:00:00.000Z");
  g_assert_nonnull (row);
  g_assert_cmpstr (row->title, ==, "离婚纠纷\r\n（\"不公开\")");
  g_assert_cmpstr (row->location, ==, "第一法庭");
  g_assert_true (skipped_with (zh, "record 5: no end"));

  /* English headers in another order, uid and status given. */
  g_assert_cmpuint (en->hearings->len, ==, 2);
  row = find (en, "C-2");
  g_assert_cmpstr (row->status, ==, "cancelled");
  g_assert_cmpint (row->starts_us, ==, zoneinfo_utc ("Asia/Shanghai", "2026-12-04 09:00"));
  g_assert_cmpint (find (en, "C-1")->starts_us, ==, utc ("2026-12-03T01:00:00Z"));
}

static void
assert_refused (const char *text, gsize length, gboolean calendar, const char *needle)
{
  g_autoptr (CrScheduleScope) scope = cr_schedule_scope_new_for (rooms, "Asia/Shanghai", NOW_US);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrScheduleParse) parse =
      calendar ? cr_ical_calendar_parse (text, length, scope, &error)
               : cr_hearing_feed_parse (text, length, CR_HEARING_FEED_AUTO, scope, &error);

  g_assert_null (parse);
  g_assert_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' does not say '%s'", error->message, needle);
}

#define REFUSED(text, calendar, needle) assert_refused (text, sizeof text - 1, calendar, needle)

static void
test_hostile (void)
{
  static const char junk[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe";
  g_autofree char *truncated = NULL;
  gsize length;
  g_autofree char *calendar = fixture_text ("shanghai.ics", &length);

  REFUSED ("", TRUE, "line 1: not an iCalendar");
  REFUSED ("<html><body>502 Bad Gateway</body></html>", TRUE, "line 1: not an iCalendar");
  REFUSED (junk, TRUE, "NUL byte");
  REFUSED ("BEGIN:VCALENDAR\r\n\xff\xfe\r\nEND:VCALENDAR\r\n", TRUE, "line 2 (byte 17): not UTF-8");
  /* Nesting that would overflow libical's recursion, refused first. */
  {
    g_autoptr (GString) deep = g_string_new ("BEGIN:VCALENDAR\r\n");
    for (guint i = 0; i < 300000; i++)
      g_string_append (deep, "BEGIN:VEVENT\r\n");
    for (guint i = 0; i < 300000; i++)
      g_string_append (deep, "END:VEVENT\r\n");
    g_string_append (deep, "END:VCALENDAR\r\n");
    assert_refused (deep->str, deep->len, TRUE, "line 9: components nested deeper than 8");
  }
  /* Cut short mid-event: refused, not read as a shorter calendar. */
  truncated = g_strndup (calendar, length / 2);
  assert_refused (truncated, strlen (truncated), TRUE, "ends without END:VCALENDAR");

  REFUSED ("{\"hearings\": 3}", FALSE, "neither an array");
  /* Nesting that would overflow json-glib's recursion, refused first. */
  {
    g_autofree char *deep = g_strnfill (2000000, '[');
    assert_refused (deep, strlen (deep), FALSE, "byte 16): JSON nested deeper than 16 levels");
  }
  /* Brackets inside strings are not nesting. */
  {
    static const char brackets[] =
        "[{\"case\": \"（2026）浙1022民初1号\", \"room\": \"room-101\", \"title\": "
        "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\\" {{{{{{{{{{{{{{{{{{{{{{\", "
        "\"start\": \"2026-12-03 09:00\", \"end\": \"2026-12-03 10:00\"}]";
    g_autoptr (CrScheduleScope) scope = cr_schedule_scope_new_for (rooms, NULL, NOW_US);
    g_autoptr (GError) error = NULL;
    g_autoptr (CrScheduleParse) parse = cr_hearing_feed_parse (brackets, sizeof brackets - 1,
                                                               CR_HEARING_FEED_AUTO, scope,
                                                               &error);
    g_assert_no_error (error);
    g_assert_cmpuint (parse->hearings->len, ==, 1);
  }
  REFUSED ("[{\"case\": ", FALSE, "not JSON");
  REFUSED ("42", FALSE, "header (record 1) has no column \"case\"");
  REFUSED ("  \n", FALSE, "an empty CSV");
  REFUSED ("case,room,start\n", FALSE, "no column \"end\" (or 结束)");
  REFUSED ("case,room,start,end\n\"unclosed,room-101,x,y\n", FALSE, "record 2");
  REFUSED ("case,room,start,end\nab\"c,room-101,x,y\n", FALSE, "line 2");
  REFUSED ("case,room,start,end\n\xc3\x28,room-101\n", FALSE, "not UTF-8");

  /* Broken properties inside a calendar: the events go, the rest stays. */
  {
    static const char broken[] =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:garbage\r\nDTEND:20261203T020000Z\r\n"
        "SUMMARY:（2026）浙1022民初1号\r\nLOCATION:room-101\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261203T030000Z\r\nDTEND:20261203T020000Z\r\n"
        "SUMMARY:（2026）浙1022民初2号\r\nLOCATION:room-101\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261203T010000Z\r\nDTEND:20261210T020000Z\r\n"
        "SUMMARY:（2026）浙1022民初3号\r\nLOCATION:room-101\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20261203T010000Z\r\nDTEND:20261203T020000Z\r\n"
        "SUMMARY:（2026）浙1022民初4号\r\nLOCATION:room-101\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20261204T010000Z\r\nDTEND:20261204T020000Z\r\n"
        "SUMMARY:（2026）浙1022民初5号\r\nLOCATION:room-101\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nDTSTART:20261204T010000Z\r\nDTEND:20261204T020000Z\r\n"
        "SUMMARY:（2026）浙1022民初6号\r\nLOCATION:room-101\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20261204T010000Z\r\nDTEND:20261204T020000Z\r\n"
        "X-COURTREC-CASE:2026-123\r\nLOCATION:room-101\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n";
    g_autoptr (CrScheduleScope) scope = cr_schedule_scope_new_for (rooms, NULL, NOW_US);
    g_autoptr (GError) error = NULL;
    g_autoptr (CrScheduleParse) parse = cr_ical_calendar_parse (broken, sizeof broken - 1,
                                                                scope, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (parse->hearings->len, ==, 1);
    g_assert_cmpstr (((CrHearingRow *) parse->hearings->pdata[0])->uid, ==, "d");
    g_assert_cmpuint (parse->skipped->len, ==, 6);
    g_assert_true (skipped_with (parse, "UID a (line 3): "));
    g_assert_true (skipped_with (parse, "UID b (line 10): it ends before it starts"));
    g_assert_true (skipped_with (parse, "UID c (line 17): a slot longer than 24 hours"));
    g_assert_true (skipped_with (parse, "UID d (line 31): its UID is listed by an event before"));
    g_assert_true (skipped_with (parse, "UID (none) (line 38): no UID"));
    g_assert_true (skipped_with (parse, "UID e (line 44): X-COURTREC-CASE: "));
  }
}

/* 100,000 events of several rooms: parsed in bounded time. */
static void
test_large_calendar (void)
{
  g_autoptr (GString) text = g_string_new ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
  g_autoptr (CrScheduleScope) scope = cr_schedule_scope_new_for (rooms, "Asia/Shanghai", NOW_US);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrScheduleParse) parse = NULL;
  gint64 started = g_get_monotonic_time ();
  double seconds;

  for (guint i = 0; i < 100000; i++)
    g_string_append_printf (text,
        "BEGIN:VEVENT\r\nUID:e%u\r\nDTSTART;TZID=Asia/Shanghai:2026%02u%02uT%02u0000\r\n"
        "DURATION:PT1H\r\nSUMMARY:（2026）浙1022民初%u号\r\nLOCATION:room-%u\r\nEND:VEVENT\r\n",
        i, 1 + i % 12, 1 + i % 28, 8 + i % 9, 1 + i, 100 + i % 4);
  g_string_append (text, "END:VCALENDAR\r\n");
  parse = cr_ical_calendar_parse (text->str, text->len, scope, &error);
  seconds = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_test_message ("100000 events (%" G_GSIZE_FORMAT " bytes) in %.1f s", text->len, seconds);
  g_assert_no_error (error);
  g_assert_cmpuint (parse->events, ==, 100000);
  g_assert_cmpuint (parse->hearings->len, ==, 25000);   /* room-101 */
  g_assert_cmpfloat (seconds, <, 20.0 * cr_test_timing_factor ());
}

/* 50,000 feed records each way, and a header of 100,000 columns. */
static void
test_large_feed (void)
{
  g_autoptr (GString) csv = g_string_new ("case,room,start,end,public\n");
  g_autoptr (GString) json = g_string_new ("[");
  g_autoptr (GString) wide = g_string_new ("case,room,start,end");
  g_autoptr (CrScheduleScope) scope = cr_schedule_scope_new_for (rooms, "Asia/Shanghai", NOW_US);
  g_autoptr (GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  double seconds;

  for (guint i = 0; i < 50000; i++)
    {
      g_string_append_printf (csv, "（2026）浙1022民初%u号,room-%u,2026-12-%02u %02u:00,"
                              "2026-12-%02u %02u:30,是\n", i + 1, 100 + i % 2, 1 + i % 28,
                              8 + i % 9, 1 + i % 28, 8 + i % 9);
      g_string_append_printf (json, "%s{\"case\":\"（2026）浙1022民初%u号\",\"room\":\"room-%u\","
                              "\"start\":\"2026-12-%02u %02u:00\",\"end\":\"2026-12-%02u %02u:30\"}",
                              i == 0 ? "" : ",", i + 1, 100 + i % 2, 1 + i % 28, 8 + i % 9,
                              1 + i % 28, 8 + i % 9);
    }
  g_string_append (json, "]");
  for (guint i = 0; i < 100000; i++)
    g_string_append (wide, ",x");
  g_string_append (wide, "\n（2026）浙1022民初1号,room-101,2026-12-03 09:00,2026-12-03 10:00\n");
  {
    g_autoptr (CrScheduleParse) a = cr_hearing_feed_parse (csv->str, csv->len,
                                                           CR_HEARING_FEED_AUTO, scope, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (a->hearings->len, ==, 25000);
    g_autoptr (CrScheduleParse) b = cr_hearing_feed_parse (json->str, json->len,
                                                           CR_HEARING_FEED_AUTO, scope, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (b->hearings->len, ==, 25000);
    g_autoptr (CrScheduleParse) c = cr_hearing_feed_parse (wide->str, wide->len,
                                                           CR_HEARING_FEED_CSV, scope, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (c->hearings->len, ==, 1);
  }
  seconds = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_test_message ("feeds of %" G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT " bytes in %.1f s",
                  csv->len, json->len, seconds);
  g_assert_cmpfloat (seconds, <, 10.0 * cr_test_timing_factor ());
}

static CrHearingRow *
hearing (const char *uid, const char *case_no, const char *starts, const char *ends)
{
  CrHearingRow *row = g_new0 (CrHearingRow, 1);

  row->uid = g_strdup (uid);
  row->case_no = g_strdup (case_no);
  row->title = g_strdup ("开庭");
  row->location = g_strdup ("room-101");
  row->starts_us = utc (starts);
  row->ends_us = utc (ends);
  row->status = g_strdup ("scheduled");
  return row;
}

static void
test_store (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("courtrec-schedule-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "index.db", NULL);
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, FALSE, &error);
  g_autoptr (GPtrArray) first = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (GPtrArray) second = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (GPtrArray) listed = NULL;
  g_autoptr (CrHearingRow) a = NULL;
  g_autoptr (CrHearingRow) b = NULL;
  gint64 t1 = utc ("2026-12-01T00:00:00Z"), t2 = utc ("2026-12-02T00:00:00Z");
  gint64 t3 = utc ("2026-12-02T06:00:00Z");
  guint changed = 0;
  const char *sql_argv[] = { "sqlite3", path, "SELECT uid, removed_at IS NOT NULL, "
                             "not_held_reason FROM hearings ORDER BY uid", NULL };
  g_autofree char *out = NULL;

  g_assert_no_error (error);
  g_ptr_array_add (first, hearing ("a", "（2026）浙1022民初1号", "2026-12-03T01:00:00Z",
                                   "2026-12-03T02:00:00Z"));
  g_ptr_array_add (first, hearing ("b", "（2026）浙1022民初2号", "2026-12-03T03:00:00Z",
                                   "2026-12-03T04:00:00Z"));
  g_assert_true (cr_hearing_store_replace (index, "calendar", first, t1, &changed, &error));
  g_assert_cmpuint (changed, ==, 2);
  g_assert_true (cr_hearing_store_replace (index, "calendar", first, t2, &changed, &error));
  g_assert_cmpuint (changed, ==, 0);   /* the same again changes nothing */

  a = cr_hearing_store_find_uid (index, "calendar", "a", &error);
  g_assert_true (cr_hearing_store_set_not_held (index, a->id, t2, "clerk", "当事人未到庭", &error));

  /* b moves an hour, a is dropped. */
  g_ptr_array_add (second, hearing ("b", "（2026）浙1022民初2号", "2026-12-03T04:00:00Z",
                                    "2026-12-03T05:00:00Z"));
  g_assert_true (cr_hearing_store_replace (index, "calendar", second, t3, &changed, &error));
  g_assert_cmpuint (changed, ==, 2);
  g_clear_pointer (&a, cr_hearing_row_free);
  a = cr_hearing_store_find_uid (index, "calendar", "a", &error);
  g_assert_cmpint (a->removed_us, ==, t3);
  g_assert_cmpstr (a->not_held_reason, ==, "当事人未到庭");
  b = cr_hearing_store_find_uid (index, "calendar", "b", &error);
  g_assert_cmpint (b->starts_us, ==, utc ("2026-12-03T04:00:00Z"));
  g_assert_cmpint (b->updated_us, ==, t3);
  g_assert_cmpint (b->first_seen_us, ==, t1);
  listed = cr_hearing_store_list (index, t1, utc ("2026-12-04T00:00:00Z"), FALSE, &error);
  g_assert_cmpuint (listed->len, ==, 1);
  g_clear_pointer (&listed, g_ptr_array_unref);
  listed = cr_hearing_store_list (index, t1, utc ("2026-12-04T00:00:00Z"), TRUE, &error);
  g_assert_cmpuint (listed->len, ==, 2);

  /* Listed again: a is back, its clerk's mark kept, its row the same. */
  g_assert_true (cr_hearing_store_replace (index, "calendar", first, t3 + 1, &changed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cr_test_run (&out, NULL, sql_argv), ==, 0);
  g_assert_cmpstr (out, ==, "a|0|当事人未到庭\nb|0|\n");
  g_clear_pointer (&a, cr_hearing_row_free);
  a = cr_hearing_store_find_uid (index, "calendar", "a", &error);
  g_assert_cmpint (a->removed_us, ==, 0);
  g_assert_cmpint (a->first_seen_us, ==, t1);

  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

static void
test_find_case_number (void)
{
  g_autofree char *a = cr_schedule_find_case_number ("开庭：(2026)浙1022民初 123号 张三");
  g_autofree char *b = cr_schedule_find_case_number ("参见〔2025〕号文，（２０２６）京0105刑初４５号，另案");
  g_autofree char *c = cr_schedule_find_case_number ("（2026）浙1022民初123 未完 （2025）浙1022民终9号");
  g_autofree char *d = cr_schedule_find_case_number ("没有案号 (x) 号");

  g_assert_cmpstr (a, ==, "（2026）浙1022民初123号");
  g_assert_cmpstr (b, ==, "（2026）京0105刑初45号");
  g_assert_cmpstr (c, ==, "（2025）浙1022民终9号");
  g_assert_null (d);
}

static void
test_feed_detect (void)
{
  g_assert_cmpint (cr_hearing_feed_detect ("\xef\xbb\xbf  [", 6, NULL), ==, CR_HEARING_FEED_JSON);
  g_assert_cmpint (cr_hearing_feed_detect ("\n{\"hearings\"", 13, NULL), ==, CR_HEARING_FEED_JSON);
  g_assert_cmpint (cr_hearing_feed_detect ("case,room", 9, NULL), ==, CR_HEARING_FEED_CSV);
  g_assert_cmpint (cr_hearing_feed_detect ("", 0, NULL), ==, CR_HEARING_FEED_CSV);
  /* A served Content-Type wins over the content. */
  g_assert_cmpint (cr_hearing_feed_detect ("case,room", 9, "Application/JSON; charset=utf-8"),
                   ==, CR_HEARING_FEED_JSON);
  g_assert_cmpint (cr_hearing_feed_detect ("[1]", 3, "text/csv"), ==, CR_HEARING_FEED_CSV);
  g_assert_cmpint (cr_hearing_feed_detect ("[1]", 3, "application/vnd.court+json"), ==,
                   CR_HEARING_FEED_JSON);
  g_assert_cmpint (cr_hearing_feed_detect ("[1]", 3, "text/plain"), ==, CR_HEARING_FEED_JSON);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/schedule/store", test_store);
  g_test_add_func ("/courtrec/schedule/find-case-number", test_find_case_number);
  g_test_add_func ("/courtrec/schedule/ical/shanghai", test_ical_shanghai);
  g_test_add_func ("/courtrec/schedule/ical/dst-builtin", test_ical_dst_builtin);
  g_test_add_func ("/courtrec/schedule/ical/dst-vtimezone", test_ical_dst_vtimezone);
  g_test_add_func ("/courtrec/schedule/ical/recurring", test_ical_recurring);
  g_test_add_func ("/courtrec/schedule/floating-dst", test_floating_dst);
  g_test_add_func ("/courtrec/schedule/feed/json", test_feed_json);
  g_test_add_func ("/courtrec/schedule/feed/csv", test_feed_csv);
  g_test_add_func ("/courtrec/schedule/feed/detect", test_feed_detect);
  g_test_add_func ("/courtrec/schedule/hostile", test_hostile);
  g_test_add_func ("/courtrec/schedule/large-calendar", test_large_calendar);
  g_test_add_func ("/courtrec/schedule/large-feed", test_large_feed);
  return g_test_run ();
}
