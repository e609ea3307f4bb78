/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-schedule.c: the court's calendar (cr_ical_calendar_parse) and the
 * 开庭公告 feed (cr_hearing_feed_parse, JSON and CSV) on any bytes. The
 * first byte picks the reader (0: iCalendar, 1: JSON, 2: CSV, else the
 * feed's detection by content); the rest is the text. Beyond what ASan
 * and UBSan catch, it checks what the recorder relies on:
 *   - a parse or an error, never both, never neither; the error in the
 *     schedule domain with a UTF-8 message (status and the CLI show it);
 *   - every hearing is of the room (its location one of the scope's
 *     names), has a UTF-8 uid, a canonical case number that is a fixed
 *     point, a slot that ends after it starts and lasts at most 24 hours,
 *     a status scheduled or cancelled; uids are unique;
 *   - every skipped event's reason is UTF-8; other rooms and skipped
 *     events are no more than the events read. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz-log.h"
#include "archive/case-number.h"
#include "schedule/hearing-feed.h"
#include "schedule/ical-calendar.h"
#include "schedule/schedule-parse.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const rooms[] = { "room-101", "第一法庭", NULL };
static CrScheduleScope *scope;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  /* 2026-12-01T00:00:00Z: a fixed window, so that a run is repeatable. */
  scope = cr_schedule_scope_new_for (rooms, "Asia/Shanghai",
                                     G_GINT64_CONSTANT (1795996800) * G_USEC_PER_SEC);
  return 0;
}

static void
check_hearing (const CrHearingRow *row, GHashTable *uids)
{
  g_autofree char *again = NULL;

  CHECK (row->uid != NULL && *row->uid != '\0' && g_utf8_validate (row->uid, -1, NULL),
         "a hearing without a UTF-8 uid");
  CHECK (g_hash_table_add (uids, row->uid), "uid '%s' twice", row->uid);
  CHECK (row->case_no != NULL, "hearing %s without a case", row->uid);
  again = cr_case_number_canonicalize (row->case_no, NULL);
  CHECK (again != NULL && strcmp (again, row->case_no) == 0,
         "hearing %s: case '%s' is not canonical", row->uid, row->case_no);
  CHECK (cr_schedule_scope_is_room (scope, row->location), "hearing %s of room '%s'",
         row->uid, row->location);
  CHECK (row->ends_us > row->starts_us, "hearing %s ends before it starts", row->uid);
  CHECK (row->ends_us - row->starts_us <= CR_SCHEDULE_MAX_SLOT_US,
         "hearing %s longer than a day", row->uid);
  CHECK (g_strcmp0 (row->status, "scheduled") == 0 || g_strcmp0 (row->status, "cancelled") == 0,
         "hearing %s: status '%s'", row->uid, row->status);
  CHECK (row->title == NULL || g_utf8_validate (row->title, -1, NULL), "title not UTF-8");
  CHECK (row->description == NULL || g_utf8_validate (row->description, -1, NULL),
         "description not UTF-8");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrScheduleParse) parse = NULL;
  g_autoptr (GHashTable) uids = NULL;
  const char *text;
  gsize length;

  if (size == 0)
    return 0;
  text = (const char *) data + 1;
  length = size - 1;
  switch (data[0])
    {
    case 0:
      parse = cr_ical_calendar_parse (text, length, scope, &error);
      break;
    case 1:
      parse = cr_hearing_feed_parse (text, length, CR_HEARING_FEED_JSON, scope, &error);
      break;
    case 2:
      parse = cr_hearing_feed_parse (text, length, CR_HEARING_FEED_CSV, scope, &error);
      break;
    default:
      parse = cr_hearing_feed_parse (text, length, CR_HEARING_FEED_AUTO, scope, &error);
      break;
    }
  CHECK ((parse == NULL) != (error == NULL), "a parse and an error must come one at a time");
  if (parse == NULL)
    {
      CHECK (g_error_matches (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE), "error %s:%d",
             g_quark_to_string (error->domain), error->code);
      CHECK (g_utf8_validate (error->message, -1, NULL), "the message is not UTF-8");
      return 0;
    }
  uids = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < parse->hearings->len; i++)
    check_hearing (parse->hearings->pdata[i], uids);
  for (guint i = 0; i < parse->skipped->len; i++)
    CHECK (g_utf8_validate (parse->skipped->pdata[i], -1, NULL), "a reason is not UTF-8");
  CHECK (parse->other_rooms + parse->skipped->len <= parse->events,
         "%u other rooms and %u skipped of %u events", parse->other_rooms, parse->skipped->len,
         parse->events);
  return 0;
}
