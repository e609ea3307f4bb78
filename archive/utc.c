/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* utc.c: see utc.h. */
#include "archive/utc.h"

#include <string.h>

char *
cr_format_utc (gint64 utc_us)
{
  g_autoptr (GDateTime) time = NULL;
  gint64 seconds = utc_us / G_USEC_PER_SEC;
  gint64 rest_us = utc_us % G_USEC_PER_SEC;

  /* Floor, not C's truncation toward zero, so that times before 1970 still
   * count their milliseconds forward from the second. */
  if (rest_us < 0)
    {
      seconds -= 1;
      rest_us += G_USEC_PER_SEC;
    }

  time = g_date_time_new_from_unix_utc (seconds);
  /* GDateTime covers years 1 to 9999, all that the text form can hold. */
  g_return_val_if_fail (time != NULL, g_strdup ("0001-01-01T00:00:00.000Z"));

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                          g_date_time_get_year (time),
                          g_date_time_get_month (time),
                          g_date_time_get_day_of_month (time),
                          g_date_time_get_hour (time),
                          g_date_time_get_minute (time),
                          g_date_time_get_second (time),
                          (int) (rest_us / 1000));
}

/* The number in the @width ASCII digits at @text, already checked. */
static gint
digits (const char *text, guint width)
{
  gint value = 0;

  for (guint i = 0; i < width; i++)
    value = value * 10 + (text[i] - '0');
  return value;
}

gboolean
cr_parse_utc (const char *text, gint64 *utc_us)
{
  /* "2026-11-27T02:13:25.316Z": the one form cr_format_utc writes. Anything
   * looser (a zone offset, no milliseconds) would sort wrongly as text. */
  static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  g_autoptr (GDateTime) time = NULL;
  gint second;

  if (text == NULL || strlen (text) != sizeof pattern - 1)
    return FALSE;
  for (gsize i = 0; i < sizeof pattern - 1; i++)
    if (pattern[i] == 'd' ? !g_ascii_isdigit (text[i]) : text[i] != pattern[i])
      return FALSE;

  /* g_date_time_new_utc rejects February 30th, hour 24 and the like; it
   * takes no leap second (60) either, and neither does cr_format_utc write
   * one. */
  second = digits (text + 17, 2);
  if (second > 59)
    return FALSE;
  time = g_date_time_new_utc (digits (text, 4), digits (text + 5, 2),
                              digits (text + 8, 2), digits (text + 11, 2),
                              digits (text + 14, 2), second);
  if (time == NULL)
    return FALSE;

  if (utc_us != NULL)
    *utc_us = g_date_time_to_unix (time) * G_USEC_PER_SEC +
              (gint64) digits (text + 20, 3) * 1000;
  return TRUE;
}
