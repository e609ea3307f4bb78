/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coverage-verbs.c: `courtrec coverage`, the recording-rate report over
 * one room, several, or every room of the machine (schedule/coverage.h),
 * and its nightly run (the systemd timer courtrec-coverage@.timer), which
 * files the day's report under STORAGE/coverage/ and says by its exit
 * status whether any hearing needs the office's attention; `courtrec
 * hearing not-held|held`, a clerk's word that a hearing was not held. */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "config/text.h"
#include "schedule/coverage-render.h"
#include "schedule/coverage.h"
#include "schedule/hearing-store.h"
#include "tools/index-access.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

#define ROOMS_DIR "/etc/courtrec"
#define NIGHTLY_DIR "coverage"

static gint
by_path (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The room configs: the global -c FILEs and the verb's, else every *.conf
 * of @dir (the machine's rooms), sorted. NULL, the message printed, when
 * there is none. */
static GPtrArray *
room_configs (VerbCall *call, int *exit_code)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  char **given = verb_files (call, "config");
  const char *dir = verb_text (call, "dir") != NULL ? verb_text (call, "dir") : ROOMS_DIR;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) listing = NULL;
  g_autofree char *shown = shown_path (dir);
  const char *name;

  for (guint i = 0; config_paths != NULL && config_paths[i] != NULL; i++)
    g_ptr_array_add (paths, g_strdup (config_paths[i]));
  for (guint i = 0; given != NULL && given[i] != NULL; i++)
    g_ptr_array_add (paths, g_strdup (given[i]));
  if (paths->len > 0)
    return g_steal_pointer (&paths);
  listing = g_dir_open (dir, 0, &error);
  if (listing == NULL)
    {
      *exit_code = fail (EXIT_USAGE, "%s: cannot read the room configs in %s: %s", call->name,
                         shown, error->message);
      return NULL;
    }
  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (name, ".conf") && name[0] != '.')
      g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
  if (paths->len == 0)
    {
      *exit_code = fail (EXIT_USAGE, "%s: no room config (*.conf) in %s; give -c FILE",
                         call->name, shown);
      return NULL;
    }
  g_ptr_array_sort (paths, by_path);
  return g_steal_pointer (&paths);
}

static gboolean
take_date (VerbCall *call, const char *option, GDate *date, int *exit_code)
{
  const char *text = verb_text (call, option);

  if (!cr_coverage_parse_date (text, date))
    {
      *exit_code = fail (EXIT_USAGE, "%s: --%s %s is not a day (YYYY-MM-DD, e.g. 2026-12-03)",
                         call->name, option, cr_text_shown (text));
      return FALSE;
    }
  return TRUE;
}

/* Today, or yesterday (@days_back 1), in @config's court's zone. */
static void
court_day (const CrConfig *config, int days_back, GDate *date)
{
  g_autoptr (GTimeZone) zone = cr_coverage_zone (config);
  g_autoptr (GDateTime) now = g_date_time_new_now (zone);
  g_autoptr (GDateTime) before = g_date_time_add_days (now, -days_back);

  g_date_clear (date, 1);
  g_date_set_dmy (date, g_date_time_get_day_of_month (before), g_date_time_get_month (before),
                  g_date_time_get_year (before));
}

static CrCoverageReport *
build_report (GPtrArray *paths, const GDate *from, const GDate *to, GPtrArray *configs,
              int *exit_code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrCoverageReport) report = cr_coverage_report_new (from, to, g_get_real_time (),
                                                               &error);

  if (report == NULL)
    {
      *exit_code = fail (EXIT_USAGE, "coverage: %s", error->message);
      return NULL;
    }
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autofree char *shown = shown_path (path);
      CrConfig *config = cr_config_load (path, &error);
      g_autoptr (CrSegmentIndex) index = NULL;

      if (config == NULL)
        {
          *exit_code = fail (EXIT_USAGE, "coverage: the room config %s: %s", shown,
                             error->message);
          return NULL;
        }
      g_ptr_array_add (configs, config);
      index = open_index (config, FALSE, NULL, exit_code);
      if (index == NULL)
        return NULL;
      if (!cr_coverage_report_add_room (report, config, index, &error))
        {
          *exit_code = fail (EXIT_RUNTIME, "coverage: room %s: %s",
                             cr_text_shown (config->room_id), error->message);
          return NULL;
        }
    }
  return g_steal_pointer (&report);
}

static gboolean
write_file (const char *path, const char *text, int *exit_code)
{
  g_autoptr (GError) error = NULL;

  /* Written whole or not at all: a reader (the daemon's watch, the
   * office's share) never sees half a report. */
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0640, &error))
    {
      g_autofree char *shown = shown_path (path);
      *exit_code = fail (EXIT_RUNTIME, "coverage: cannot write %s: %s", shown, error->message);
      return FALSE;
    }
  return TRUE;
}

/* --nightly: the day's report in every format, in each room's
 * STORAGE/coverage/, the JSON last (the daemon watches it). */
static int
run_nightly (VerbCall *call, GPtrArray *paths)
{
  g_autoptr (GPtrArray) configs = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_config_free);
  g_autoptr (CrCoverageReport) report = NULL;
  GDate day;
  int code = EXIT_OK;
  guint bad;

  if (verb_text (call, "date") != NULL && verb_flag (call, "today"))
    return fail (EXIT_USAGE, "coverage: give --date DATE or --today, not both");
  if (verb_text (call, "date") != NULL)
    {
      if (!take_date (call, "date", &day, &code))
        return code;
    }
  else
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CrConfig) first = cr_config_load (g_ptr_array_index (paths, 0), &error);
      if (first == NULL)
        {
          g_autofree char *shown = shown_path (g_ptr_array_index (paths, 0));
          return fail (EXIT_USAGE, "coverage: the room config %s: %s", shown, error->message);
        }
      court_day (first, verb_flag (call, "today") ? 0 : 1, &day);
    }
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr (GPtrArray) one = g_ptr_array_new ();
      g_autoptr (CrCoverageReport) room_report = NULL;
      g_autoptr (GPtrArray) room_configs_ = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                            cr_config_free);
      const CrConfig *config;
      g_autofree char *dir = NULL;
      static const CrCoverageFormat order[] = { CR_COVERAGE_TEXT, CR_COVERAGE_CSV,
                                                CR_COVERAGE_HTML, CR_COVERAGE_JSON };

      g_ptr_array_add (one, g_ptr_array_index (paths, i));
      room_report = build_report (one, &day, &day, room_configs_, &code);
      if (room_report == NULL)
        return code;
      config = g_ptr_array_index (room_configs_, 0);
      dir = g_build_filename (config->storage_dir, NIGHTLY_DIR, NULL);
      if (g_mkdir_with_parents (dir, 0750) != 0)
        {
          g_autofree char *shown = shown_path (dir);
          return fail (EXIT_RUNTIME, "coverage: cannot make %s: %s", shown, g_strerror (errno));
        }
      for (guint f = 0; f < G_N_ELEMENTS (order); f++)
        {
          g_autofree char *name = g_strdup_printf ("%s.%s", room_report->from_date,
                                                   cr_coverage_format_extension (order[f]));
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree char *text = cr_coverage_render (room_report, config->court, order[f]);

          if (!write_file (path, text, &code))
            return code;
        }
      bad = cr_coverage_report_bad (room_report);
      printf ("%s %s: %u hearings, %u to look at\n", cr_text_shown (config->room_id),
              room_report->from_date, room_report->hearings->len, bad);
      if (bad > 0)
        code = EXIT_RUNTIME;
    }
  return code;
}

int
run_coverage (VerbCall *call)
{
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GPtrArray) configs = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_config_free);
  g_autoptr (CrCoverageReport) report = NULL;
  g_autofree char *text = NULL;
  CrCoverageFormat format = CR_COVERAGE_TEXT;
  const char *output = verb_text (call, "output");
  GDate from, to;
  int code = EXIT_OK;
  guint chosen = 0;

  if (verb_flag (call, "json"))
    format = CR_COVERAGE_JSON, chosen++;
  if (verb_flag (call, "csv"))
    format = CR_COVERAGE_CSV, chosen++;
  if (verb_flag (call, "html"))
    format = CR_COVERAGE_HTML, chosen++;
  if (chosen > 1)
    return fail (EXIT_USAGE, "coverage: give one of --json, --csv and --html");
  paths = room_configs (call, &code);
  if (paths == NULL)
    return code;
  if (verb_flag (call, "nightly"))
    return run_nightly (call, paths);
  if (verb_text (call, "from") == NULL || verb_text (call, "to") == NULL)
    return fail (EXIT_USAGE, "coverage: --from DATE and --to DATE are required (or --nightly)");
  if (!take_date (call, "from", &from, &code) || !take_date (call, "to", &to, &code))
    return code;
  report = build_report (paths, &from, &to, configs, &code);
  if (report == NULL)
    return code;
  text = cr_coverage_render (report, ((CrConfig *) g_ptr_array_index (configs, 0))->court,
                             format);
  if (output != NULL)
    return write_file (output, text, &code) ? EXIT_OK : code;
  fputs (text, stdout);
  return EXIT_OK;
}

/* --- hearing not-held | held ---------------------------------------------- */

int
run_hearing (VerbCall *call)
{
  const char *action = call->args[0];
  const char *reason = verb_text (call, "reason");
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *path = NULL;
  JsonObject *hearing;
  gboolean not_held;
  gint64 id;
  char *end = NULL;
  int code = EXIT_OK;

  if (g_str_equal (action, "not-held"))
    not_held = TRUE;
  else if (g_str_equal (action, "held"))
    not_held = FALSE;
  else
    return fail (EXIT_USAGE, "hearing: unknown action %s; expected not-held or held",
                 cr_text_shown (action));
  if (call->n_args < 2)
    return fail (EXIT_USAGE, "hearing %s: the hearing's number (from courtrec coverage) is "
                 "required", action);
  errno = 0;
  id = g_ascii_strtoll (call->args[1], &end, 10);
  if (errno != 0 || end == call->args[1] || *end != '\0' || id <= 0)
    return fail (EXIT_USAGE, "hearing %s: %s is not a hearing's number", action,
                 cr_text_shown (call->args[1]));
  if (not_held && (reason == NULL || *reason == '\0'))
    return fail (EXIT_USAGE, "hearing not-held: --reason TEXT is required (why it was not held)");
  if (!not_held && reason != NULL)
    return fail (EXIT_USAGE, "hearing held: takes no --reason");
  path = g_strdup_printf ("/hearings/%" G_GINT64_FORMAT "/%s", id, action);
  code = verb_post (call, path, &reply, "reason", reason, NULL);
  if (code != EXIT_OK)
    return code;
  hearing = json_node_get_object (reply);
  hearing = hearing != NULL && json_object_has_member (hearing, "hearing")
              ? json_object_get_object_member (hearing, "hearing") : NULL;
  printf ("hearing %" G_GINT64_FORMAT " (%s) %s\n", id,
          hearing != NULL ? cr_text_shown (json_object_get_string_member_with_default (
                              hearing, "case", "?")) : "?",
          not_held ? "marked not held" : "counted as scheduled again");
  return EXIT_OK;
}
