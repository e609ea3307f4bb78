/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coverage-watch.c: see coverage-watch.h. The report is the nightly
 * run's JSON (docs/coverage.md): its "from" day and its "bad" count. A
 * file that cannot be read or parsed changes nothing (the run writes it
 * atomically, so that is a foreign file, not half a report). */
#include "recorder/coverage-watch.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "recorder/alarms.h"
#include "recorder/recorder-private.h"

#define WATCH_INPUT "schedule"
#define WATCH_LABEL "coverage"
/* A year of nightly files is 365 names: read no further than that many
 * times ten. */
#define MAX_NAMES 4000

/* "YYYY-MM-DD.json". */
static gboolean
is_report_name (const char *name)
{
  if (strlen (name) != 15 || !g_str_has_suffix (name, ".json"))
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if ((i == 4 || i == 7) ? name[i] != '-' : !g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

/* The newest report's path, or NULL. (transfer full) */
static char *
newest_report (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  g_autofree char *newest = NULL;
  const char *name;
  guint seen = 0;

  if (listing == NULL)
    return NULL;
  while ((name = g_dir_read_name (listing)) != NULL && seen++ < MAX_NAMES)
    if (is_report_name (name) && (newest == NULL || strcmp (name, newest) > 0))
      {
        g_free (newest);
        newest = g_strdup (name);
      }
  return newest != NULL ? g_build_filename (dir, newest, NULL) : NULL;
}

void
cr_coverage_watch_check (CrRecorder *recorder)
{
  g_autofree char *dir = g_build_filename (recorder->config->storage_dir, "coverage", NULL);
  g_autofree char *path = newest_report (dir);
  g_autoptr (JsonParser) parser = NULL;
  g_autofree char *message = NULL;
  JsonObject *report;
  CrAlarm *standing;
  const char *day;
  gint64 bad;

  if (path == NULL)
    return;
  parser = json_parser_new ();
  if (!json_parser_load_from_mapped_file (parser, path, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  report = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (report, "bad") || !json_object_has_member (report, "from") ||
      json_object_get_string_member_with_default (report, "from", NULL) == NULL)
    return;
  day = json_object_get_string_member (report, "from");
  bad = json_object_get_int_member_with_default (report, "bad", 0);
  standing = cr_alarms_find (recorder, CR_EVENT_COVERAGE_SHORTFALL, WATCH_INPUT);
  if (bad <= 0)
    {
      if (standing != NULL)
        cr_alarms_clear (recorder, CR_EVENT_COVERAGE_SHORTFALL, WATCH_INPUT,
                         CR_EVENT_ALARM_CLEARED, "report", day, NULL);
      return;
    }
  message = g_strdup_printf ("the recording-rate report of %s has %" G_GINT64_FORMAT
                             " hearing%s missing, partial or with an empty or unverifiable "
                             "file (courtrec coverage --from %s --to %s)",
                             day, bad, bad == 1 ? "" : "s", day, day);
  if (standing != NULL && g_strcmp0 (standing->message, message) == 0)
    return;
  if (standing != NULL)
    cr_alarms_clear (recorder, CR_EVENT_COVERAGE_SHORTFALL, WATCH_INPUT,
                     CR_EVENT_ALARM_CLEARED, "report", day, NULL);
  cr_alarms_raise (recorder, CR_EVENT_COVERAGE_SHORTFALL, WATCH_INPUT, WATCH_LABEL, message);
}
