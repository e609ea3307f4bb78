/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ical-calendar.c: see ical-calendar.h.
 *
 * Times: DTSTART/DTEND with TZID take the file's VTIMEZONE of that name,
 * else libical's zone of that Olson name (its builtin zones, read from
 * the system's tz database); UTC (Z) as is; floating times in the court's
 * zone ([schedule] timezone) through GLib, as the feed's local times are.
 *
 * Recurring events (RRULE) are expanded with libical's recurrence
 * iterator over the scope's window (a month behind, a year ahead), with
 * EXDATE taken out and a VEVENT with RECURRENCE-ID replacing its
 * occurrence; each occurrence is a hearing of its own with the uid
 * "UID/YYYYMMDDTHHMMSSZ" (its original start, UTC). The iterator is
 * bounded: a rule that would give more than MAX_OCCURRENCE_STEPS
 * occurrences up to the window's end (FREQ=SECONDLY from 1970) stops
 * there and the event is skipped with that reason. RDATE is not read. */
#include "schedule/ical-calendar.h"

#include <libical/ical.h>
#include <string.h>

#include "archive/case-number.h"
#include "archive/utc.h"

#define MAX_OCCURRENCE_STEPS 5000
#define MAX_NESTING 8
#define MIN_YEAR 1970
#define MAX_YEAR 2200
#define MAX_SECONDS G_GINT64_CONSTANT (7258118400) /* 2200-01-01 */

/* libical keeps its builtin zones and its error state in globals; the
 * poller parses in a worker thread while a verb or a test may parse on
 * another. */
static GMutex ical_lock;

typedef struct {
  const CrScheduleScope *scope;
  CrScheduleParse *parse;
  icalcomponent *calendar;     /* the VCALENDAR of the event, for its zones */
  GHashTable *uids;            /* uids stored so far */
  GHashTable *overrides;       /* "UID/occurrence" of RECURRENCE-ID events */
  GArray *event_lines;         /* line of each BEGIN:VEVENT, in order */
  guint event_number;
} Reader;

static guint
event_line (Reader *reader)
{
  if (reader->event_number < reader->event_lines->len)
    return g_array_index (reader->event_lines, guint, reader->event_number);
  return 0;
}

/* Lines that begin a VEVENT, for messages: libical keeps no positions. */
static GArray *
find_event_lines (const char *text, gsize length)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (guint));
  guint line = 1;
  static const char begin[] = "BEGIN:VEVENT";

  for (gsize i = 0; i < length; i++)
    {
      if ((i == 0 || text[i - 1] == '\n') && length - i >= strlen (begin)
          && g_ascii_strncasecmp (text + i, begin, strlen (begin)) == 0)
        g_array_append_val (lines, line);
      if (text[i] == '\n')
        line++;
    }
  return lines;
}

static gboolean
check_text (const char *text, gsize length, GError **error)
{
  const char *end = NULL;
  const char *p = text;
  gsize rest = length;

  if (memchr (text, '\0', length) != NULL)
    {
      const char *nul = memchr (text, '\0', length);
      guint line = 1;

      for (const char *q = text; q < nul; q++)
        line += *q == '\n';
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line %u: a NUL byte: not an iCalendar text", line);
      return FALSE;
    }
  if (!g_utf8_validate_len (text, length, &end))
    {
      guint line = 1;

      for (const char *q = text; q < end; q++)
        line += *q == '\n';
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line %u (byte %" G_GSIZE_FORMAT "): not UTF-8", line,
                   (gsize) (end - text));
      return FALSE;
    }
  if (rest >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3, rest -= 3;
  while (rest > 0 && g_ascii_isspace (*p))
    p++, rest--;
  if (rest < 15 || g_ascii_strncasecmp (p, "BEGIN:VCALENDAR", 15) != 0)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line 1: not an iCalendar text (it does not begin with BEGIN:VCALENDAR)");
      return FALSE;
    }
  /* libical builds and frees components by recursion: BEGIN:VEVENT a
   * million times over would overflow the stack and take the daemon
   * down. A calendar nests three deep (VCALENDAR, VTIMEZONE, STANDARD). */
  {
    guint depth = 0, line = 1;

    for (gsize i = 0; i < length; i++)
      {
        if (i == 0 || text[i - 1] == '\n')
          {
            if (length - i >= 6 && g_ascii_strncasecmp (text + i, "BEGIN:", 6) == 0
                && ++depth > MAX_NESTING)
              {
                g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                             "line %u: components nested deeper than %d", line, MAX_NESTING);
                return FALSE;
              }
            if (length - i >= 4 && g_ascii_strncasecmp (text + i, "END:", 4) == 0 && depth > 0)
              depth--;
          }
        line += text[i] == '\n';
      }
  }
  /* A body cut short (a dropped connection, a full disk at the case
   * system) must not read as a calendar with fewer hearings. */
  while (rest > 0 && g_ascii_isspace (p[rest - 1]))
    rest--;
  if (rest < 13 || g_ascii_strncasecmp (p + rest - 13, "END:VCALENDAR", 13) != 0)
    {
      guint line = 1;

      for (gsize i = 0; i < length; i++)
        line += text[i] == '\n';
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line %u: the text ends without END:VCALENDAR (cut short?)", line);
      return FALSE;
    }
  return TRUE;
}

/* The unescaped text of @event's first @kind property, or NULL. */
static const char *
property_text (icalcomponent *event, icalproperty_kind kind)
{
  icalproperty *prop = icalcomponent_get_first_property (event, kind);

  if (prop == NULL)
    return NULL;
  switch (kind)
    {
    case ICAL_SUMMARY_PROPERTY: return icalproperty_get_summary (prop);
    case ICAL_LOCATION_PROPERTY: return icalproperty_get_location (prop);
    case ICAL_DESCRIPTION_PROPERTY: return icalproperty_get_description (prop);
    case ICAL_UID_PROPERTY: return icalproperty_get_uid (prop);
    default: g_return_val_if_reached (NULL);
    }
}

static const char *
x_property (icalcomponent *event, const char *name)
{
  for (icalproperty *prop = icalcomponent_get_first_property (event, ICAL_X_PROPERTY);
       prop != NULL; prop = icalcomponent_get_next_property (event, ICAL_X_PROPERTY))
    if (g_ascii_strcasecmp (icalproperty_get_x_name (prop), name) == 0)
      return icalproperty_get_x (prop);
  return NULL;
}

/* The zone of a DTSTART/DTEND/RECURRENCE-ID/EXDATE property: NULL for
 * UTC or floating; *@unknown set when a TZID names no zone. */
static icaltimezone *
property_zone (Reader *reader, icalproperty *prop, const char **tzid_out, gboolean *unknown)
{
  icalparameter *param = icalproperty_get_first_parameter (prop, ICAL_TZID_PARAMETER);
  const char *tzid = param != NULL ? icalparameter_get_tzid (param) : NULL;
  icaltimezone *zone = NULL;

  *unknown = FALSE;
  if (tzid_out != NULL)
    *tzid_out = tzid;
  if (tzid == NULL)
    return NULL;
  zone = icalcomponent_get_timezone (reader->calendar, tzid);
  if (zone == NULL)
    zone = icaltimezone_get_builtin_timezone (tzid);
  if (zone == NULL)
    zone = icaltimezone_get_builtin_timezone_from_tzid (tzid);
  *unknown = zone == NULL;
  return zone;
}

/* @time (of a property whose zone is @zone) in UTC microseconds. */
static gboolean
to_utc (Reader *reader, struct icaltimetype time, icaltimezone *zone, gint64 *us)
{
  if (icaltime_is_null_time (time) || !icaltime_is_valid_time (time))
    return FALSE;
  /* No court sits outside these; microseconds of year 50000 overflow. */
  if (time.year < MIN_YEAR || time.year > MAX_YEAR)
    return FALSE;
  if (zone != NULL || icaltime_is_utc (time))
    {
      /* A VTIMEZONE's offsets are the file's word: a wild one may take
       * the time far out of the years checked above. */
      time_t seconds = icaltime_as_timet_with_zone (time, zone != NULL ? zone
                                                    : icaltimezone_get_utc_timezone ());
      if (seconds < 0 || seconds > MAX_SECONDS)
        return FALSE;
      *us = (gint64) seconds * G_USEC_PER_SEC;
    }
  else
    {
      /* Floating: the court's zone, as GLib resolves a local time. */
      g_autoptr (GDateTime) local = g_date_time_new (reader->scope->zone, time.year,
                                                     time.month, time.day, time.hour,
                                                     time.minute, time.second);
      if (local == NULL)
        return FALSE;
      *us = g_date_time_to_unix (local) * G_USEC_PER_SEC;
    }
  return TRUE;
}

static char *
occurrence_uid (const char *uid, gint64 original_us)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (original_us / G_USEC_PER_SEC);

  return g_strdup_printf ("%s/%04d%02d%02dT%02d%02d%02dZ", uid, g_date_time_get_year (time),
                          g_date_time_get_month (time), g_date_time_get_day_of_month (time),
                          g_date_time_get_hour (time), g_date_time_get_minute (time),
                          g_date_time_get_second (time));
}

static void
add_hearing (Reader *reader, const CrHearingRow *base, const char *uid, gint64 starts_us,
             gint64 ends_us)
{
  CrHearingRow *row = cr_hearing_row_copy (base);

  g_free (row->uid);
  row->uid = g_strdup (uid);
  row->starts_us = starts_us;
  row->ends_us = ends_us;
  g_hash_table_add (reader->uids, g_strdup (uid));
  g_ptr_array_add (reader->parse->hearings, row);
}

/* The occurrences of @event's RRULE in the window, EXDATEs and
 * overridden ones left out. FALSE (with @why) when the rule runs away. */
static gboolean
expand (Reader *reader, icalcomponent *event, const CrHearingRow *base,
        struct icaltimetype dtstart, icaltimezone *zone, gint64 length_us, char **why)
{
  icalproperty *rule_prop = icalcomponent_get_first_property (event, ICAL_RRULE_PROPERTY);
  struct icalrecurrencetype rule = icalproperty_get_rrule (rule_prop);
  g_autoptr (GHashTable) excluded = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                           g_free, NULL);
  icalrecur_iterator *iterator;
  guint steps = 0;

  for (icalproperty *prop = icalcomponent_get_first_property (event, ICAL_EXDATE_PROPERTY);
       prop != NULL; prop = icalcomponent_get_next_property (event, ICAL_EXDATE_PROPERTY))
    {
      gboolean unknown;
      icaltimezone *exzone = property_zone (reader, prop, NULL, &unknown);
      gint64 us;

      if (!unknown && to_utc (reader, icalproperty_get_exdate (prop), exzone, &us))
        g_hash_table_add (excluded, g_memdup2 (&us, sizeof us));
    }
  iterator = icalrecur_iterator_new (rule, dtstart);
  if (iterator == NULL)
    {
      *why = g_strdup ("an RRULE libical cannot iterate");
      return FALSE;
    }
  for (struct icaltimetype next = icalrecur_iterator_next (iterator);
       !icaltime_is_null_time (next); next = icalrecur_iterator_next (iterator))
    {
      gint64 starts_us;

      if (++steps > MAX_OCCURRENCE_STEPS)
        {
          icalrecur_iterator_free (iterator);
          *why = g_strdup_printf ("its RRULE gives more than %d occurrences up to a year ahead",
                                  MAX_OCCURRENCE_STEPS);
          return FALSE;
        }
      if (!to_utc (reader, next, zone, &starts_us))
        continue;
      if (starts_us >= reader->scope->window_to_us)
        break;
      if (starts_us + length_us <= reader->scope->window_from_us
          || g_hash_table_contains (excluded, &starts_us))
        continue;
      g_autofree char *uid = occurrence_uid (base->uid, starts_us);
      if (!g_hash_table_contains (reader->overrides, uid)
          && !g_hash_table_contains (reader->uids, uid))
        add_hearing (reader, base, uid, starts_us, starts_us + length_us);
    }
  icalrecur_iterator_free (iterator);
  return TRUE;
}

static char *
read_case (icalcomponent *event, char **why)
{
  const char *given = x_property (event, "X-COURTREC-CASE");
  char *found;

  if (given != NULL)
    {
      g_autoptr (GError) error = NULL;
      char *canonical = cr_case_number_canonicalize (given, &error);

      if (canonical == NULL)
        *why = g_strdup_printf ("X-COURTREC-CASE: %s", error->message);
      return canonical;
    }
  found = cr_schedule_find_case_number (property_text (event, ICAL_SUMMARY_PROPERTY));
  if (found == NULL)
    found = cr_schedule_find_case_number (property_text (event, ICAL_DESCRIPTION_PROPERTY));
  if (found == NULL)
    *why = g_strdup ("no case number (X-COURTREC-CASE, or one in SUMMARY or DESCRIPTION)");
  return found;
}

static char *
libical_error (icalcomponent *event)
{
  icalproperty *prop = icalcomponent_get_first_property (event, ICAL_XLICERROR_PROPERTY);

  return prop != NULL ? g_strdup_printf (" (libical: %s)", icalproperty_get_xlicerror (prop))
                      : g_strdup ("");
}

/* Reads one VEVENT; NULL when it is a hearing (stored), else why not. */
static char *
read_event (Reader *reader, icalcomponent *event)
{
  const char *uid = property_text (event, ICAL_UID_PROPERTY);
  icalproperty *start_prop = icalcomponent_get_first_property (event, ICAL_DTSTART_PROPERTY);
  icalproperty *end_prop = icalcomponent_get_first_property (event, ICAL_DTEND_PROPERTY);
  icalproperty *duration_prop = icalcomponent_get_first_property (event, ICAL_DURATION_PROPERTY);
  icalproperty *recurrence_prop = icalcomponent_get_first_property (event,
                                                                    ICAL_RECURRENCEID_PROPERTY);
  g_autoptr (CrHearingRow) row = g_new0 (CrHearingRow, 1);
  struct icaltimetype dtstart;
  icaltimezone *zone;
  const char *tzid = NULL;
  gboolean unknown;
  gint64 starts_us, ends_us;
  char *why = NULL;

  if (uid == NULL || *uid == '\0')
    return g_strdup ("no UID");
  if (start_prop == NULL)
    {
      g_autofree char *detail = libical_error (event);
      return g_strdup_printf ("no DTSTART%s", detail);
    }
  dtstart = icalproperty_get_dtstart (start_prop);
  if (icaltime_is_date (dtstart))
    return g_strdup ("an all-day event (DTSTART is a DATE): no slot to record");
  zone = property_zone (reader, start_prop, &tzid, &unknown);
  if (unknown)
    return g_strdup_printf ("DTSTART's TZID=%s is neither a VTIMEZONE of the file nor a known zone",
                            tzid);
  if (!to_utc (reader, dtstart, zone, &starts_us))
    return g_strdup ("DTSTART is not a valid time");
  if (end_prop != NULL)
    {
      icaltimezone *end_zone = property_zone (reader, end_prop, &tzid, &unknown);

      if (unknown)
        return g_strdup_printf ("DTEND's TZID=%s is neither a VTIMEZONE of the file nor a known zone",
                                tzid);
      if (!to_utc (reader, icalproperty_get_dtend (end_prop), end_zone, &ends_us))
        return g_strdup ("DTEND is not a valid time");
    }
  else if (duration_prop != NULL)
    {
      struct icaldurationtype duration = icalproperty_get_duration (duration_prop);

      if (icaldurationtype_is_bad_duration (duration) || duration.is_neg)
        return g_strdup ("DURATION is not a valid duration");
      ends_us = starts_us + (gint64) icaldurationtype_as_int (duration) * G_USEC_PER_SEC;
    }
  else
    return g_strdup ("neither DTEND nor DURATION: the slot has no end");
  if (ends_us <= starts_us)
    return g_strdup ("it ends before it starts");
  if (ends_us - starts_us > CR_SCHEDULE_MAX_SLOT_US)
    return g_strdup ("a slot longer than 24 hours");
  row->case_no = read_case (event, &why);
  if (row->case_no == NULL)
    return why;
  row->uid = g_strdup (uid);
  row->title = g_strdup (property_text (event, ICAL_SUMMARY_PROPERTY));
  row->location = g_strstrip (g_strdup (property_text (event, ICAL_LOCATION_PROPERTY)));
  row->description = g_strdup (property_text (event, ICAL_DESCRIPTION_PROPERTY));
  {
    icalparameter *start_tzid = icalproperty_get_first_parameter (start_prop,
                                                                  ICAL_TZID_PARAMETER);
    icalproperty *class_prop = icalcomponent_get_first_property (event, ICAL_CLASS_PROPERTY);

    row->tzid = start_tzid != NULL ? g_strdup (icalparameter_get_tzid (start_tzid)) : NULL;
    /* Courts mark the public hearings; no CLASS is not public. */
    row->public_hearing = class_prop != NULL
                          && icalproperty_get_class (class_prop) == ICAL_CLASS_PUBLIC;
  }
  row->status = g_strdup (icalcomponent_get_status (event) == ICAL_STATUS_CANCELLED
                          ? "cancelled" : "scheduled");

  if (recurrence_prop != NULL)
    {
      icaltimezone *rzone = property_zone (reader, recurrence_prop, NULL, &unknown);
      gint64 original_us;

      if (unknown || !to_utc (reader, icalproperty_get_recurrenceid (recurrence_prop), rzone,
                              &original_us))
        return g_strdup ("RECURRENCE-ID is not a valid time");
      g_autofree char *occurrence = occurrence_uid (uid, original_us);
      if (g_hash_table_contains (reader->uids, occurrence))
        return g_strdup ("its RECURRENCE-ID is given by an event before it");
      add_hearing (reader, row, occurrence, starts_us, ends_us);
      return NULL;
    }
  if (g_hash_table_contains (reader->uids, uid))
    return g_strdup ("its UID is listed by an event before it");
  if (icalcomponent_get_first_property (event, ICAL_RRULE_PROPERTY) != NULL)
    {
      if (!expand (reader, event, row, dtstart, zone, ends_us - starts_us, &why))
        return why;
      return NULL;
    }
  add_hearing (reader, row, uid, starts_us, ends_us);
  return NULL;
}

/* The uids of the RECURRENCE-ID events, before the rules are expanded. */
static void
collect_overrides (Reader *reader, icalcomponent *calendar)
{
  for (icalcomponent *event = icalcomponent_get_first_component (calendar, ICAL_VEVENT_COMPONENT);
       event != NULL; event = icalcomponent_get_next_component (calendar, ICAL_VEVENT_COMPONENT))
    {
      icalproperty *prop = icalcomponent_get_first_property (event, ICAL_RECURRENCEID_PROPERTY);
      const char *uid = property_text (event, ICAL_UID_PROPERTY);
      gboolean unknown;
      gint64 us;

      if (prop == NULL || uid == NULL)
        continue;
      icaltimezone *zone = property_zone (reader, prop, NULL, &unknown);
      if (!unknown && to_utc (reader, icalproperty_get_recurrenceid (prop), zone, &us))
        g_hash_table_add (reader->overrides, occurrence_uid (uid, us));
    }
}

static void
read_calendar (Reader *reader, icalcomponent *calendar)
{
  reader->calendar = calendar;
  collect_overrides (reader, calendar);
  for (icalcomponent *event = icalcomponent_get_first_component (calendar, ICAL_VEVENT_COMPONENT);
       event != NULL;
       event = icalcomponent_get_next_component (calendar, ICAL_VEVENT_COMPONENT),
       reader->event_number++)
    {
      const char *location = property_text (event, ICAL_LOCATION_PROPERTY);
      const char *uid = property_text (event, ICAL_UID_PROPERTY);
      g_autofree char *why = NULL;

      reader->parse->events++;
      if (location != NULL && !cr_schedule_scope_is_room (reader->scope, location))
        {
          reader->parse->other_rooms++;
          continue;
        }
      why = location == NULL ? g_strdup ("no LOCATION (the room)") : read_event (reader, event);
      if (why != NULL)
        cr_schedule_parse_skip (reader->parse, "UID %s (line %u): %s",
                                uid != NULL && *uid != '\0' ? uid : "(none)",
                                event_line (reader), why);
    }
}

CrScheduleParse *
cr_ical_calendar_parse (const char *text, gsize length, const CrScheduleScope *scope,
                        GError **error)
{
  g_autoptr (CrScheduleParse) parse = NULL;
  g_autofree char *copy = NULL;
  icalcomponent *root;
  Reader reader = { 0 };

  if (!check_text (text, length, error))
    return NULL;
  copy = g_strndup (text, length);
  parse = cr_schedule_parse_new ();
  reader.scope = scope;
  reader.parse = parse;
  reader.uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  reader.overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  reader.event_lines = find_event_lines (text, length);

  g_mutex_lock (&ical_lock);
  icalerror_set_errors_are_fatal (0);
  root = icalparser_parse_string (copy);
  if (root == NULL)
    g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                 "line 1: libical finds no calendar in it");
  else if (icalcomponent_isa (root) == ICAL_VCALENDAR_COMPONENT)
    read_calendar (&reader, root);
  else if (icalcomponent_isa (root) == ICAL_XROOT_COMPONENT)
    for (icalcomponent *c = icalcomponent_get_first_component (root, ICAL_VCALENDAR_COMPONENT);
         c != NULL; c = icalcomponent_get_next_component (root, ICAL_VCALENDAR_COMPONENT))
      read_calendar (&reader, c);
  else
    g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                 "line 1: the text is a %s, not a VCALENDAR",
                 icalcomponent_kind_to_string (icalcomponent_isa (root)));
  if (root != NULL)
    icalcomponent_free (root);
  g_mutex_unlock (&ical_lock);

  g_hash_table_unref (reader.uids);
  g_hash_table_unref (reader.overrides);
  g_array_unref (reader.event_lines);
  if (error != NULL && *error != NULL)
    return NULL;
  return g_steal_pointer (&parse);
}
