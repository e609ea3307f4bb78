/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coverage-render.c: see coverage-render.h. */
#include "schedule/coverage-render.h"

#include <json-glib/json-glib.h>

#include "archive/access-audit.h"
#include "archive/json-members.h"
#include "archive/utc.h"

const char *
cr_coverage_format_extension (CrCoverageFormat format)
{
  static const char *const extensions[] = { "txt", "json", "csv", "html" };

  return extensions[format];
}

/* --- shared words --------------------------------------------------------- */

/* "2026-12-03T14:00:00+08:00": the court's clock. (transfer full) */
static char *
local_time (gint64 utc_us, GTimeZone *zone)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (utc_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, zone);

  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");
}

/* "14:00" local, for the text and the page. (transfer full) */
static char *
local_clock (gint64 utc_us, GTimeZone *zone, const char *format)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (utc_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, zone);

  return g_date_time_format (local, format);
}

static double
seconds (gint64 us)
{
  return (double) us / G_USEC_PER_SEC;
}

/* "98.7 %" or "-". (transfer full) */
static char *
percent (double ratio)
{
  return ratio >= 0 ? g_strdup_printf ("%.1f %%", ratio * 100) : g_strdup ("-");
}

static char *
rate_text (guint numerator, guint denominator)
{
  return denominator > 0 ? g_strdup_printf ("%u/%u = %.1f %%", numerator, denominator,
                                            100.0 * numerator / denominator)
                         : g_strdup_printf ("%u/0 = -", numerator);
}

static gboolean
files_verified (const CrCoverageHearing *hearing)
{
  return hearing->empty_segments == 0 && hearing->unverified_segments == 0;
}

/* One line of what went wrong, "" when nothing. (transfer full) */
static char *
problems_text (const CrCoverageHearing *hearing)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < hearing->gaps->len; i++)
    {
      CrCoverageSpan *gap = g_ptr_array_index (hearing->gaps, i);
      g_autofree char *from = local_clock (gap->from_us, hearing->zone, "%H:%M:%S");
      g_string_append_printf (out, "%sgap %s +%.0f s (%s)", out->len > 0 ? "; " : "", from,
                              seconds (gap->to_us - gap->from_us), gap->what);
    }
  for (guint i = 0; i < hearing->unlawful_pauses->len; i++)
    {
      CrCoverageSpan *pause = g_ptr_array_index (hearing->unlawful_pauses, i);
      g_autofree char *from = local_clock (pause->from_us, hearing->zone, "%H:%M:%S");
      g_string_append_printf (out, "%spause %s +%.0f s (%s)", out->len > 0 ? "; " : "", from,
                              seconds (pause->to_us - pause->from_us), pause->what);
    }
  for (guint i = 0; i < hearing->file_problems->len; i++)
    {
      CrCoverageFileProblem *problem = g_ptr_array_index (hearing->file_problems, i);
      g_string_append_printf (out, "%s%s: %s", out->len > 0 ? "; " : "", problem->problem,
                              problem->path != NULL ? problem->path : "?");
    }
  if (hearing->start_lag_us > CR_COVERAGE_MAX_LAG_US)
    g_string_append_printf (out, "%sstarted %.0f s late", out->len > 0 ? "; " : "",
                            seconds (hearing->start_lag_us));
  if (hearing->hearing->not_held_us != 0)
    g_string_append_printf (out, "%snot held: %s", out->len > 0 ? "; " : "",
                            hearing->hearing->not_held_reason != NULL
                              ? hearing->hearing->not_held_reason : "");
  return g_string_free (out, FALSE);
}

/* --- JSON ----------------------------------------------------------------- */

static void
json_seconds (JsonBuilder *builder, const char *name, gint64 us)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, (double) (us / 1000) / 1000.0);
}

static void
json_ratio (JsonBuilder *builder, const char *name, guint numerator, guint denominator)
{
  json_builder_set_member_name (builder, name);
  if (denominator > 0)
    json_builder_add_double_value (builder, (double) numerator / denominator);
  else
    json_builder_add_null_value (builder);
}

static void
json_spans (JsonBuilder *builder, const char *name, GPtrArray *spans, const char *what)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < spans->len; i++)
    {
      CrCoverageSpan *span = g_ptr_array_index (spans, i);
      json_builder_begin_object (builder);
      cr_json_add_time (builder, "from", span->from_us);
      cr_json_add_time (builder, "to", span->to_us);
      json_seconds (builder, "seconds", span->to_us - span->from_us);
      cr_json_add_text (builder, what, span->what);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
json_hearing (JsonBuilder *builder, const CrCoverageHearing *hearing)
{
  const CrHearingRow *row = hearing->hearing;
  g_autofree char *starts_local = local_time (row->starts_us, hearing->zone);
  g_autofree char *ends_local = local_time (row->ends_us, hearing->zone);

  json_builder_begin_object (builder);
  cr_json_add_text (builder, "room", hearing->room_id);
  cr_json_add_int (builder, "id", row->id);
  cr_json_add_text (builder, "uid", row->uid);
  cr_json_add_text (builder, "source", row->source);
  cr_json_add_text (builder, "case", row->case_no);
  cr_json_add_text (builder, "title", row->title);
  cr_json_add_text (builder, "location", row->location);
  cr_json_add_time (builder, "starts", row->starts_us);
  cr_json_add_time (builder, "ends", row->ends_us);
  cr_json_add_text (builder, "starts_local", starts_local);
  cr_json_add_text (builder, "ends_local", ends_local);
  cr_json_add_text (builder, "status", row->status);
  cr_json_add_time (builder, "removed", row->removed_us);
  json_builder_set_member_name (builder, "not_held");
  if (row->not_held_us != 0)
    {
      json_builder_begin_object (builder);
      cr_json_add_time (builder, "at", row->not_held_us);
      cr_json_add_text (builder, "by", row->not_held_by);
      cr_json_add_text (builder, "reason", row->not_held_reason);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  cr_json_add_text (builder, "class", cr_coverage_class_to_string (hearing->klass));
  json_builder_set_member_name (builder, "coverage");
  if (hearing->coverage >= 0)
    json_builder_add_double_value (builder, hearing->coverage);
  else
    json_builder_add_null_value (builder);
  json_seconds (builder, "recorded_seconds", hearing->recorded_us);
  json_seconds (builder, "span_seconds", hearing->span_us);
  json_seconds (builder, "lawful_pause_seconds", hearing->lawful_pause_us);
  json_builder_set_member_name (builder, "start_lag_seconds");
  if (hearing->start_lag_us >= 0)
    json_builder_add_double_value (builder, (double) (hearing->start_lag_us / 1000) / 1000.0);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "sessions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < hearing->sessions->len; i++)
    {
      CrCoverageSession *session = g_ptr_array_index (hearing->sessions, i);
      json_builder_begin_object (builder);
      cr_json_add_int (builder, "id", session->id);
      cr_json_add_time (builder, "started", session->started_us);
      cr_json_add_time (builder, "stopped", session->stopped_us);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  cr_json_add_int (builder, "segments", hearing->segments);
  cr_json_add_int (builder, "open_segments", hearing->open_segments);
  cr_json_add_int (builder, "empty_segments", hearing->empty_segments);
  cr_json_add_int (builder, "unverified_segments", hearing->unverified_segments);
  json_builder_set_member_name (builder, "files_verified");
  json_builder_add_boolean_value (builder, files_verified (hearing));
  json_builder_set_member_name (builder, "file_problems");
  json_builder_begin_array (builder);
  for (guint i = 0; i < hearing->file_problems->len; i++)
    {
      CrCoverageFileProblem *problem = g_ptr_array_index (hearing->file_problems, i);
      json_builder_begin_object (builder);
      cr_json_add_int (builder, "session", problem->session_id);
      cr_json_add_int (builder, "sequence", problem->sequence);
      cr_json_add_text (builder, "path", problem->path);
      cr_json_add_text (builder, "problem", problem->problem);
      cr_json_add_text (builder, "message", problem->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_spans (builder, "gaps", hearing->gaps, "reason");
  json_spans (builder, "lawful_pauses", hearing->lawful_pauses, "reason");
  json_spans (builder, "unlawful_pauses", hearing->unlawful_pauses, "reason");
  json_builder_set_member_name (builder, "bad");
  json_builder_add_boolean_value (builder, cr_coverage_hearing_is_bad (hearing));
  json_builder_end_object (builder);
}

static char *
render_json (const CrCoverageReport *report)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  guint recorded = cr_coverage_report_recorded (report);

  json_builder_begin_object (builder);
  cr_json_add_int (builder, "version", 1);
  cr_json_add_time (builder, "generated", report->generated_us);
  cr_json_add_text (builder, "from", report->from_date);
  cr_json_add_text (builder, "to", report->to_date);
  cr_json_add_text (builder, "timezone", report->timezone);
  json_builder_set_member_name (builder, "rooms");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->rooms->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (report->rooms, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "counts");
  json_builder_begin_object (builder);
  for (guint klass = 0; klass < CR_COVERAGE_N_CLASSES; klass++)
    cr_json_add_int (builder, cr_coverage_class_to_string (klass), report->counts[klass]);
  cr_json_add_int (builder, "total", report->hearings->len);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "rates");
  json_builder_begin_object (builder);
  cr_json_add_int (builder, "recorded", recorded);
  cr_json_add_int (builder, "scheduled", cr_coverage_report_scheduled (report));
  cr_json_add_int (builder, "held", cr_coverage_report_held (report));
  json_ratio (builder, "recorded_over_scheduled", recorded, cr_coverage_report_scheduled (report));
  json_ratio (builder, "recorded_over_held", recorded, cr_coverage_report_held (report));
  json_builder_end_object (builder);
  cr_json_add_int (builder, "bad", cr_coverage_report_bad (report));
  json_builder_set_member_name (builder, "hearings");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->hearings->len; i++)
    json_hearing (builder, g_ptr_array_index (report->hearings, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

/* --- text ------------------------------------------------------------------ */

/* @text padded with spaces to @width columns, counting a CJK character as
 * two (a clerk's terminal does). */
static void
append_padded (GString *out, const char *text, guint width)
{
  guint columns = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_iscntrl (c))
        c = 0xFFFD;
      g_string_append_unichar (out, c);
      columns += g_unichar_iswide (c) ? 2 : 1;
    }
  for (; columns < width; columns++)
    g_string_append_c (out, ' ');
}

static char *
render_text (const CrCoverageReport *report, const char *court)
{
  GString *out = g_string_new (NULL);
  guint recorded = cr_coverage_report_recorded (report);
  g_autofree char *over_scheduled = rate_text (recorded, cr_coverage_report_scheduled (report));
  g_autofree char *over_held = rate_text (recorded, cr_coverage_report_held (report));

  g_string_append_printf (out, "RECORDING RATE 庭审录像率  %s .. %s (%s)\n",
                          report->from_date, report->to_date,
                          report->timezone != NULL ? report->timezone : "local");
  if (court != NULL)
    g_string_append_printf (out, "%s\n", court);
  g_string_append_printf (out, "recorded/scheduled  %s\nrecorded/held       %s\n",
                          over_scheduled, over_held);
  g_string_append_printf (out, "full %u  partial %u  missing %u  not-held %u  cancelled %u\n\n",
                          report->counts[CR_COVERAGE_CLASS_FULL],
                          report->counts[CR_COVERAGE_CLASS_PARTIAL],
                          report->counts[CR_COVERAGE_CLASS_MISSING],
                          report->counts[CR_COVERAGE_CLASS_NOT_HELD],
                          report->counts[CR_COVERAGE_CLASS_CANCELLED]);
  append_padded (out, "ROOM", 10);
  append_padded (out, "DAY", 11);
  append_padded (out, "SLOT", 12);
  append_padded (out, "CASE", 30);
  append_padded (out, "CLASS", 10);
  append_padded (out, "COVERAGE", 9);
  append_padded (out, "LAG", 7);
  append_padded (out, "FILES", 7);
  g_string_append (out, "TITLE / PROBLEMS\n");
  for (guint i = 0; i < report->hearings->len; i++)
    {
      const CrCoverageHearing *hearing = g_ptr_array_index (report->hearings, i);
      const CrHearingRow *row = hearing->hearing;
      g_autofree char *day = local_clock (row->starts_us, hearing->zone, "%Y-%m-%d");
      g_autofree char *from = local_clock (row->starts_us, hearing->zone, "%H:%M");
      g_autofree char *to = local_clock (row->ends_us, hearing->zone, "%H:%M");
      g_autofree char *slot = g_strdup_printf ("%s-%s", from, to);
      g_autofree char *coverage = percent (hearing->coverage);
      g_autofree char *lag = hearing->start_lag_us >= 0
                               ? g_strdup_printf ("%.0fs", seconds (hearing->start_lag_us))
                               : g_strdup ("-");
      g_autofree char *problems = problems_text (hearing);
      g_autofree char *title = g_strdup_printf ("%s%s%s", row->title != NULL ? row->title : "",
                                                *problems != '\0' ? "  ! " : "", problems);

      append_padded (out, hearing->room_id, 10);
      append_padded (out, day, 11);
      append_padded (out, slot, 12);
      append_padded (out, row->case_no, 30);
      append_padded (out, cr_coverage_class_to_string (hearing->klass), 10);
      append_padded (out, coverage, 9);
      append_padded (out, lag, 7);
      append_padded (out, hearing->sessions->len == 0 ? "-"
                          : files_verified (hearing) ? "ok" : "BAD", 7);
      append_padded (out, title, 0);
      g_string_append_c (out, '\n');
    }
  if (report->hearings->len == 0)
    g_string_append (out, "  no hearing was scheduled\n");
  return g_string_free (out, FALSE);
}

/* --- CSV ------------------------------------------------------------------- */

static const char *const csv_header[] = {
  "room", "hearing", "uid", "case", "title", "starts_utc", "ends_utc", "starts_local",
  "class", "coverage", "recorded_seconds", "span_seconds", "lawful_pause_seconds",
  "start_lag_seconds", "sessions", "segments", "empty_segments", "unverified_segments",
  "files_verified", "problems", NULL
};

static char *
render_csv (const CrCoverageReport *report)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; csv_header[i] != NULL; i++)
    cr_access_audit_csv_field (out, csv_header[i], i == 0);
  g_string_append (out, "\r\n");
  for (guint i = 0; i < report->hearings->len; i++)
    {
      const CrCoverageHearing *hearing = g_ptr_array_index (report->hearings, i);
      const CrHearingRow *row = hearing->hearing;
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, row->id);
      g_autofree char *starts = cr_format_utc (row->starts_us);
      g_autofree char *ends = cr_format_utc (row->ends_us);
      g_autofree char *starts_local = local_time (row->starts_us, hearing->zone);
      g_autofree char *coverage = hearing->coverage >= 0
                                    ? g_strdup_printf ("%.4f", hearing->coverage) : g_strdup ("");
      g_autofree char *recorded = g_strdup_printf ("%.3f", seconds (hearing->recorded_us));
      g_autofree char *span = g_strdup_printf ("%.3f", seconds (hearing->span_us));
      g_autofree char *paused = g_strdup_printf ("%.3f", seconds (hearing->lawful_pause_us));
      g_autofree char *lag = hearing->start_lag_us >= 0
                               ? g_strdup_printf ("%.3f", seconds (hearing->start_lag_us))
                               : g_strdup ("");
      GString *sessions = g_string_new (NULL);
      g_autofree char *segments = g_strdup_printf ("%u", hearing->segments);
      g_autofree char *empty = g_strdup_printf ("%u", hearing->empty_segments);
      g_autofree char *unverified = g_strdup_printf ("%u", hearing->unverified_segments);
      g_autofree char *problems = problems_text (hearing);

      for (guint s = 0; s < hearing->sessions->len; s++)
        g_string_append_printf (sessions, "%s%" G_GINT64_FORMAT, s > 0 ? " " : "",
                                ((CrCoverageSession *) g_ptr_array_index (hearing->sessions,
                                                                          s))->id);
      cr_access_audit_csv_field (out, hearing->room_id, TRUE);
      cr_access_audit_csv_field (out, id, FALSE);
      cr_access_audit_csv_field (out, row->uid, FALSE);
      cr_access_audit_csv_field (out, row->case_no, FALSE);
      cr_access_audit_csv_field (out, row->title, FALSE);
      cr_access_audit_csv_field (out, starts, FALSE);
      cr_access_audit_csv_field (out, ends, FALSE);
      cr_access_audit_csv_field (out, starts_local, FALSE);
      cr_access_audit_csv_field (out, cr_coverage_class_to_string (hearing->klass), FALSE);
      cr_access_audit_csv_field (out, coverage, FALSE);
      cr_access_audit_csv_field (out, recorded, FALSE);
      cr_access_audit_csv_field (out, span, FALSE);
      cr_access_audit_csv_field (out, paused, FALSE);
      cr_access_audit_csv_field (out, lag, FALSE);
      cr_access_audit_csv_field (out, sessions->str, FALSE);
      cr_access_audit_csv_field (out, segments, FALSE);
      cr_access_audit_csv_field (out, empty, FALSE);
      cr_access_audit_csv_field (out, unverified, FALSE);
      cr_access_audit_csv_field (out, hearing->sessions->len == 0 ? ""
                                      : files_verified (hearing) ? "yes" : "no", FALSE);
      cr_access_audit_csv_field (out, problems, FALSE);
      g_string_append (out, "\r\n");
      g_string_free (sessions, TRUE);
    }
  return g_string_free (out, FALSE);
}

/* --- HTML ------------------------------------------------------------------ */

static void
html_text (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);
  g_string_append (out, escaped);
}

static void
html_cell (GString *out, const char *text, const char *klass)
{
  if (klass != NULL)
    g_string_append_printf (out, "<td class=\"%s\">", klass);
  else
    g_string_append (out, "<td>");
  html_text (out, text);
  g_string_append (out, "</td>");
}

static const char html_style[] =
  "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;font-size:10pt;"
  "margin:2em auto;max-width:75em;color:#000;background:#fff}"
  "h1{font-size:15pt;text-align:center;margin-bottom:.2em}"
  "p.court{text-align:center;margin-top:0}"
  "table{border-collapse:collapse;width:100%}"
  "th,td{border:1px solid #888;padding:.2em .4em;text-align:left;vertical-align:top;"
  "white-space:pre-wrap;word-break:break-word}"
  "th{background:#eee}"
  "td.bad{font-weight:bold}"
  ".none,.note{color:#555}"
  "@media print{body{margin:0;max-width:none}tr{page-break-inside:avoid}}";

static char *
render_html (const CrCoverageReport *report, const char *court)
{
  GString *out = g_string_new (NULL);
  guint recorded = cr_coverage_report_recorded (report);
  g_autofree char *over_scheduled = rate_text (recorded, cr_coverage_report_scheduled (report));
  g_autofree char *over_held = rate_text (recorded, cr_coverage_report_held (report));
  g_autofree char *generated = cr_format_utc (report->generated_us);

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
                        "<meta charset=\"utf-8\">\n<title>庭审录像率 ");
  html_text (out, report->from_date);
  g_string_append (out, " .. ");
  html_text (out, report->to_date);
  g_string_append_printf (out, "</title>\n<style>%s</style>\n</head>\n<body>\n", html_style);
  g_string_append (out, "<h1>庭审录像率<br>Recording rate of the scheduled hearings</h1>\n"
                        "<p class=\"court\">");
  html_text (out, court);
  g_string_append (out, "<br>");
  html_text (out, report->from_date);
  g_string_append (out, " .. ");
  html_text (out, report->to_date);
  g_string_append (out, " (");
  html_text (out, report->timezone);
  g_string_append (out, ")<br>录像/排期 recorded/scheduled: ");
  html_text (out, over_scheduled);
  g_string_append (out, "<br>录像/开庭 recorded/held: ");
  html_text (out, over_held);
  g_string_append_printf (out, "<br>full %u, partial %u, missing %u, not-held %u, "
                          "cancelled %u; 生成于 generated %s (UTC)</p>\n",
                          report->counts[CR_COVERAGE_CLASS_FULL],
                          report->counts[CR_COVERAGE_CLASS_PARTIAL],
                          report->counts[CR_COVERAGE_CLASS_MISSING],
                          report->counts[CR_COVERAGE_CLASS_NOT_HELD],
                          report->counts[CR_COVERAGE_CLASS_CANCELLED], generated);
  if (report->hearings->len == 0)
    {
      g_string_append (out, "<p class=\"none\">无排期 No hearing was scheduled.</p>\n"
                            "</body>\n</html>\n");
      return g_string_free (out, FALSE);
    }
  g_string_append (out, "<table>\n<tr><th>法庭 Room</th><th>开庭时间 Slot</th>"
                        "<th>案号 Case</th><th>案由 Title</th><th>结果 Class</th>"
                        "<th>覆盖 Coverage</th><th>迟延 Lag</th><th>文件 Files</th>"
                        "<th>问题 Problems</th></tr>\n");
  for (guint i = 0; i < report->hearings->len; i++)
    {
      const CrCoverageHearing *hearing = g_ptr_array_index (report->hearings, i);
      const CrHearingRow *row = hearing->hearing;
      g_autofree char *from = local_clock (row->starts_us, hearing->zone, "%Y-%m-%d %H:%M");
      g_autofree char *to = local_clock (row->ends_us, hearing->zone, "%H:%M");
      g_autofree char *slot = g_strdup_printf ("%s-%s", from, to);
      g_autofree char *coverage = percent (hearing->coverage);
      g_autofree char *lag = hearing->start_lag_us >= 0
                               ? g_strdup_printf ("%.0f s", seconds (hearing->start_lag_us))
                               : g_strdup ("-");
      g_autofree char *problems = problems_text (hearing);
      gboolean bad = cr_coverage_hearing_is_bad (hearing);

      g_string_append (out, "<tr>");
      html_cell (out, hearing->room_id, NULL);
      html_cell (out, slot, NULL);
      html_cell (out, row->case_no, NULL);
      html_cell (out, row->title, NULL);
      html_cell (out, cr_coverage_class_to_string (hearing->klass), bad ? "bad" : NULL);
      html_cell (out, coverage, NULL);
      html_cell (out, lag, NULL);
      html_cell (out, hearing->sessions->len == 0 ? "-"
                      : files_verified (hearing) ? "ok" : "BAD", NULL);
      html_cell (out, problems, NULL);
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</table>\n<p class=\"note\">覆盖率 = 录制时长 / (庭次时长 - 休庭等合法暂停)。"
                        "<br>Coverage is the recorded time over the sessions' span less lawful "
                        "pauses (recess, non-public evidence, mediation); every file was hashed "
                        "again against the index.</p>\n</body>\n</html>\n");
  return g_string_free (out, FALSE);
}

char *
cr_coverage_render (const CrCoverageReport *report, const char *court, CrCoverageFormat format)
{
  switch (format)
    {
    case CR_COVERAGE_TEXT: return render_text (report, court);
    case CR_COVERAGE_JSON: return render_json (report);
    case CR_COVERAGE_CSV: return render_csv (report);
    case CR_COVERAGE_HTML: return render_html (report, court);
    }
  g_return_val_if_reached (NULL);
}
