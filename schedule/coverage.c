/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coverage.c: see coverage.h.
 *
 * What a session holds is read as the hearing report reads it
 * (report-private.h: its pauses and their reasons, its gaps, its segment
 * rows), and its files are checked as `courtrec verify` checks them
 * (verify.h), so that the rate, the report filed with the case and the
 * archive's check can never disagree. */
#include "schedule/coverage.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "archive/report-private.h"
#include "archive/verify.h"

G_DEFINE_QUARK (cr-coverage-error-quark, cr_coverage_error)

static const char *const class_names[] = {
  "full", "partial", "missing", "not-held", "cancelled"
};

/* The reasons a hearing may lawfully be paused for: the time is not the
 * record's to hold. */
static const char *const lawful_reasons[] = { "recess", "non-public-evidence", "mediation", NULL };

const char *
cr_coverage_class_to_string (CrCoverageClass klass)
{
  g_return_val_if_fail (klass < CR_COVERAGE_N_CLASSES, "?");
  return class_names[klass];
}

gboolean
cr_coverage_parse_date (const char *text, GDate *date)
{
  guint year, month, day;
  char rest;

  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;
  if (sscanf (text, "%4u-%2u-%2u%c", &year, &month, &day, &rest) != 3)
    return FALSE;
  if (year < 1970 || year > 9998 || !g_date_valid_dmy (day, month, year))
    return FALSE;
  g_date_clear (date, 1);
  g_date_set_dmy (date, day, month, year);
  return TRUE;
}

GTimeZone *
cr_coverage_zone (const CrConfig *config)
{
  GTimeZone *zone = NULL;

  if (config != NULL && config->schedule_timezone != NULL)
    zone = g_time_zone_new_identifier (config->schedule_timezone);
  return zone != NULL ? zone : g_time_zone_new_local ();
}

/* The UTC microseconds at which local @date begins in @zone. */
static gint64
day_start_us (const GDate *date, GTimeZone *zone)
{
  g_autoptr (GDateTime) start = g_date_time_new (zone, g_date_get_year (date),
                                                 g_date_get_month (date),
                                                 g_date_get_day (date), 0, 0, 0);
  return g_date_time_to_unix (start) * G_USEC_PER_SEC;
}

static char *
date_text (const GDate *date)
{
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
                          g_date_get_day (date));
}

/* --- the parts of a hearing ----------------------------------------------- */

static void
span_free (CrCoverageSpan *span)
{
  g_free (span->what);
  g_free (span);
}

static void
add_span (GPtrArray *spans, gint64 from_us, gint64 to_us, const char *what)
{
  CrCoverageSpan *span = g_new0 (CrCoverageSpan, 1);

  span->from_us = from_us;
  span->to_us = to_us;
  span->what = g_strdup (what);
  g_ptr_array_add (spans, span);
}

static void
file_problem_free (CrCoverageFileProblem *problem)
{
  g_free (problem->path);
  g_free (problem->problem);
  g_free (problem->message);
  g_free (problem);
}

static void
session_free (CrCoverageSession *session)
{
  g_free (session->case_no);
  g_free (session);
}

static void
hearing_free (CrCoverageHearing *hearing)
{
  g_free (hearing->room_id);
  g_free (hearing->room_name);
  g_clear_pointer (&hearing->zone, g_time_zone_unref);
  cr_hearing_row_free (hearing->hearing);
  g_ptr_array_unref (hearing->sessions);
  g_ptr_array_unref (hearing->file_problems);
  g_ptr_array_unref (hearing->gaps);
  g_ptr_array_unref (hearing->unlawful_pauses);
  g_ptr_array_unref (hearing->lawful_pauses);
  g_free (hearing);
}

CrCoverageReport *
cr_coverage_report_new (const GDate *from, const GDate *to, gint64 now_us, GError **error)
{
  CrCoverageReport *report;
  gint days;

  g_return_val_if_fail (g_date_valid (from) && g_date_valid (to), NULL);
  days = g_date_days_between (from, to) + 1;
  if (days < 1)
    {
      g_set_error_literal (error, cr_coverage_error_quark (), 0,
                           "the report's last day is before its first");
      return NULL;
    }
  if (days > CR_COVERAGE_MAX_DAYS)
    {
      g_set_error (error, cr_coverage_error_quark (), 0,
                   "a report covers at most %u days; these are %d", CR_COVERAGE_MAX_DAYS, days);
      return NULL;
    }
  report = g_new0 (CrCoverageReport, 1);
  report->from_date = date_text (from);
  report->to_date = date_text (to);
  report->generated_us = now_us;
  report->rooms = g_ptr_array_new_with_free_func (g_free);
  report->hearings = g_ptr_array_new_with_free_func ((GDestroyNotify) hearing_free);
  return report;
}

void
cr_coverage_report_free (CrCoverageReport *report)
{
  if (report == NULL)
    return;
  g_free (report->from_date);
  g_free (report->to_date);
  g_free (report->timezone);
  g_ptr_array_unref (report->rooms);
  g_ptr_array_unref (report->hearings);
  g_free (report);
}

/* --- which sessions are the hearing's ------------------------------------- */

/* The "hearing" of a session's start event, when the schedule started it
 * for one; NULL for a clerk's start. (transfer full) */
static char *
started_for (const CrReportFacts *facts)
{
  for (guint i = 0; i < facts->events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (facts->events, i);
      g_autoptr (JsonNode) holder = NULL;
      JsonObject *object;

      if (event->kind != CR_EVENT_START)
        continue;
      object = cr_report_detail_object (event, &holder);
      if (object == NULL || !json_object_has_member (object, "hearing") ||
          !JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "hearing")))
        return NULL;
      return g_strdup (json_object_get_string_member (object, "hearing"));
    }
  return NULL;
}

static gboolean
belongs (const CrHearingRow *hearing, const CrSessionRecord *session, gint64 now_us)
{
  gint64 end_us = session->stopped_us != 0 ? session->stopped_us : now_us;

  return g_strcmp0 (session->case_no, hearing->case_no) == 0 &&
         session->started_us < hearing->ends_us + CR_COVERAGE_SLACK_US &&
         end_us > hearing->starts_us - CR_COVERAGE_SLACK_US;
}

/* How well @session fits @hearing's slot: the time they share, or, when
 * they share none, minus the time between them. */
static gint64
fit (const CrHearingRow *hearing, const CrSessionRecord *session, gint64 now_us)
{
  gint64 end_us = session->stopped_us != 0 ? session->stopped_us : now_us;
  gint64 from = MAX (session->started_us, hearing->starts_us);
  gint64 to = MIN (end_us, hearing->ends_us);

  return to - from;
}

/* A clerk's session of a case with two slots near each other (a morning
 * and its continuation) is one hearing's, not both: the slot it fits best,
 * the earlier on a tie. Else the continuation would be counted recorded
 * by the morning's session. */
static gboolean
fits_best (const CrHearingRow *hearing, const CrSessionRecord *session, GPtrArray *hearings,
           gint64 now_us)
{
  gint64 mine = fit (hearing, session, now_us);

  for (guint i = 0; i < hearings->len; i++)
    {
      const CrHearingRow *other = g_ptr_array_index (hearings, i);
      gint64 theirs;

      if (other->id == hearing->id || g_strcmp0 (other->status, "cancelled") == 0 ||
          !belongs (other, session, now_us))
        continue;
      theirs = fit (other, session, now_us);
      if (theirs > mine || (theirs == mine && other->starts_us < hearing->starts_us))
        return FALSE;
    }
  return TRUE;
}

/* --- what was recorded ---------------------------------------------------- */

static gint64
overlap (gint64 a_from, gint64 a_to, gint64 b_from, gint64 b_to)
{
  gint64 from = MAX (a_from, b_from), to = MIN (a_to, b_to);

  return to > from ? to - from : 0;
}

static void
add_file_problem (CrCoverageHearing *hearing, gint64 session_id, guint sequence,
                  const char *path, const char *problem, const char *message)
{
  CrCoverageFileProblem *row = g_new0 (CrCoverageFileProblem, 1);

  row->session_id = session_id;
  row->sequence = sequence;
  row->path = g_strdup (path);
  row->problem = g_strdup (problem);
  row->message = g_strdup (message);
  g_ptr_array_add (hearing->file_problems, row);
}

static gboolean
is_file_problem (CrVerifyProblemKind kind)
{
  return kind == CR_VERIFY_CHANGED || kind == CR_VERIFY_DELETED ||
         kind == CR_VERIFY_RENAMED || kind == CR_VERIFY_REORDERED ||
         kind == CR_VERIFY_UNREADABLE;
}

/* Every closed segment's file hashed again (verify.h) and weighed: a
 * segment of no bytes or no duration, in the index or on the disk, is
 * empty (the nightly check HMCTS runs on zero-byte files). */
static gboolean
check_files (CrCoverageHearing *hearing, CrSegmentIndex *index, const char *storage_dir,
             const CrReportFacts *facts, GError **error)
{
  CrVerifyScope scope = { .session_id = facts->session->id };
  g_autoptr (CrVerifyReport) verified = cr_verify (index, storage_dir, &scope, error);
  GHashTable *unverified;

  if (verified == NULL)
    return FALSE;
  unverified = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < verified->problems->len; i++)
    {
      CrVerifyProblem *problem = g_ptr_array_index (verified->problems, i);

      if (problem->session_id != facts->session->id || problem->sequence == 0 ||
          !is_file_problem (problem->kind))
        continue;
      g_hash_table_add (unverified, GUINT_TO_POINTER (problem->sequence));
      add_file_problem (hearing, problem->session_id, problem->sequence, problem->path,
                        cr_verify_problem_kind_to_string (problem->kind), problem->message);
    }
  hearing->unverified_segments += g_hash_table_size (unverified);
  g_hash_table_unref (unverified);

  for (guint i = 0; i < facts->segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (facts->segments, i);
      g_autofree char *path = g_build_filename (storage_dir, segment->path, NULL);
      GStatBuf info;

      hearing->segments++;
      if (!segment->closed)
        {
          hearing->open_segments++;
          continue;
        }
      if (segment->purged)
        continue;
      if (segment->bytes == 0 || segment->duration_us == 0 ||
          (g_stat (path, &info) == 0 && info.st_size == 0))
        {
          hearing->empty_segments++;
          add_file_problem (hearing, facts->session->id, segment->sequence, segment->path,
                            "empty", segment->bytes == 0 || info.st_size == 0
                                       ? "the file holds no bytes"
                                       : "the segment holds no time");
        }
    }
  return TRUE;
}

static gboolean
is_lawful (const char *reason)
{
  return reason != NULL && g_strv_contains (lawful_reasons, reason);
}

/* Pauses and gaps of @facts inside [@from_us, @to_us). */
static void
take_spans (CrCoverageHearing *hearing, const CrReportFacts *facts, gint64 from_us,
            gint64 to_us)
{
  for (guint i = 0; i < facts->pauses->len; i++)
    {
      CrReportPause *pause = g_ptr_array_index (facts->pauses, i);
      gint64 end_us = pause->end_us != 0 ? pause->end_us : to_us;
      gint64 inside = overlap (pause->start_us, end_us, from_us, to_us);

      if (is_lawful (pause->reason))
        {
          hearing->lawful_pause_us += inside;
          add_span (hearing->lawful_pauses, pause->start_us, end_us, pause->reason);
        }
      else
        add_span (hearing->unlawful_pauses, pause->start_us, end_us, pause->reason);
    }
  for (guint i = 0; i < facts->faults->len; i++)
    {
      CrReportFault *fault = g_ptr_array_index (facts->faults, i);

      if (fault->kind == CR_EVENT_GAP && fault->spans)
        add_span (hearing->gaps, fault->start_us, fault->end_us,
                  fault->message != NULL ? fault->message : "gap");
    }
  for (guint i = 0; i < facts->segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (facts->segments, i);

      hearing->recorded_us += overlap (segment->started_us,
                                       segment->started_us + segment->duration_us,
                                       from_us, to_us);
    }
}

static void
classify (CrCoverageHearing *hearing)
{
  const CrHearingRow *row = hearing->hearing;
  gint64 denominator = hearing->span_us - hearing->lawful_pause_us;

  if (g_strcmp0 (row->status, "cancelled") == 0 ||
      (row->removed_us != 0 && row->removed_us < row->starts_us))
    {
      hearing->klass = CR_COVERAGE_CLASS_CANCELLED;
      return;
    }
  if (hearing->sessions->len == 0 || hearing->recorded_us <= 0)
    {
      hearing->klass = row->not_held_us != 0 ? CR_COVERAGE_CLASS_NOT_HELD
                                             : CR_COVERAGE_CLASS_MISSING;
      if (hearing->sessions->len == 0)
        return;
    }
  hearing->coverage = denominator > 0 ? MIN (1.0, (double) hearing->recorded_us / denominator)
                                      : 0.0;
  if (hearing->recorded_us <= 0)
    return;
  hearing->klass = hearing->coverage >= CR_COVERAGE_FULL_RATIO &&
                   hearing->start_lag_us <= CR_COVERAGE_MAX_LAG_US &&
                   hearing->empty_segments == 0 && hearing->unverified_segments == 0
                     ? CR_COVERAGE_CLASS_FULL : CR_COVERAGE_CLASS_PARTIAL;
}

static CrCoverageHearing *
account_for (CrHearingRow *row, const CrConfig *config, GTimeZone *zone,
             CrSegmentIndex *index, GPtrArray *all_sessions, GPtrArray *all_hearings,
             gint64 now_us, GError **error)
{
  CrCoverageHearing *hearing = g_new0 (CrCoverageHearing, 1);
  g_autoptr (GPtrArray) facts = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                cr_report_facts_free);
  gint64 from_us = G_MAXINT64, to_us = 0;

  hearing->room_id = g_strdup (config->room_id);
  hearing->room_name = g_strdup (config->room_name);
  hearing->zone = g_time_zone_ref (zone);
  hearing->hearing = row;
  hearing->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) session_free);
  hearing->file_problems = g_ptr_array_new_with_free_func ((GDestroyNotify) file_problem_free);
  hearing->gaps = g_ptr_array_new_with_free_func ((GDestroyNotify) span_free);
  hearing->unlawful_pauses = g_ptr_array_new_with_free_func ((GDestroyNotify) span_free);
  hearing->lawful_pauses = g_ptr_array_new_with_free_func ((GDestroyNotify) span_free);
  hearing->coverage = -1;
  hearing->start_lag_us = -1;

  for (guint i = 0; i < all_sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (all_sessions, i);
      CrReportFacts *found;
      CrCoverageSession *mine;

      if (g_strcmp0 (session->case_no, row->case_no) != 0)
        continue;
      found = cr_report_facts_gather (index, config, session->id, error);
      if (found == NULL)
        {
          hearing_free (hearing);
          return NULL;
        }
      /* A session the schedule started is its hearing's alone; a clerk's
       * is the hearing of its case whose slot it fits best. */
      g_autofree char *named = started_for (found);
      gboolean ours = named != NULL ? g_strcmp0 (named, row->uid) == 0
                                    : belongs (row, session, now_us) &&
                                      fits_best (row, session, all_hearings, now_us);
      if (!ours)
        {
          cr_report_facts_free (found);
          continue;
        }
      g_ptr_array_add (facts, found);
      mine = g_new0 (CrCoverageSession, 1);
      mine->id = session->id;
      mine->started_us = session->started_us;
      mine->stopped_us = session->stopped_us;
      mine->case_no = g_strdup (session->case_no);
      g_ptr_array_add (hearing->sessions, mine);
      from_us = MIN (from_us, session->started_us);
      /* Still running: the slot's end is the most it can be asked for. */
      to_us = MAX (to_us, session->stopped_us != 0 ? session->stopped_us
                                                   : MAX (row->ends_us, session->started_us));
    }

  if (hearing->sessions->len > 0)
    {
      hearing->span_us = to_us - from_us;
      hearing->start_lag_us = MAX (0, from_us - row->starts_us);
      for (guint i = 0; i < facts->len; i++)
        {
          CrReportFacts *session_facts = g_ptr_array_index (facts, i);

          take_spans (hearing, session_facts, from_us, to_us);
          if (!check_files (hearing, index, config->storage_dir, session_facts, error))
            {
              hearing_free (hearing);
              return NULL;
            }
        }
      /* Between two sessions of one hearing nothing was recorded. */
      for (guint i = 1; i < hearing->sessions->len; i++)
        {
          CrCoverageSession *before = g_ptr_array_index (hearing->sessions, i - 1);
          CrCoverageSession *after = g_ptr_array_index (hearing->sessions, i);

          if (before->stopped_us != 0 && after->started_us > before->stopped_us)
            add_span (hearing->gaps, before->stopped_us, after->started_us,
                      "between two sessions");
        }
    }
  classify (hearing);
  return hearing;
}

gboolean
cr_coverage_report_add_room (CrCoverageReport *report, const CrConfig *config,
                             CrSegmentIndex *index, GError **error)
{
  g_autoptr (GTimeZone) zone = cr_coverage_zone (config);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  GDate from, to;
  gint64 from_us, to_us;

  g_date_clear (&from, 1);
  g_date_clear (&to, 1);
  cr_coverage_parse_date (report->from_date, &from);
  cr_coverage_parse_date (report->to_date, &to);
  g_date_add_days (&to, 1);
  from_us = day_start_us (&from, zone);
  to_us = day_start_us (&to, zone);
  if (report->timezone == NULL)
    report->timezone = g_strdup (g_time_zone_get_identifier (zone));
  g_ptr_array_add (report->rooms, g_strdup (config->room_id));

  rows = cr_hearing_store_list (index, from_us, to_us, TRUE, error);
  if (rows == NULL)
    return FALSE;
  sessions = cr_segment_index_list_sessions (index, NULL, error);
  if (sessions == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      CrHearingRow *row = g_ptr_array_index (rows, i);
      CrCoverageHearing *hearing;

      /* A hearing is the day's on which its slot starts. */
      if (row->starts_us < from_us || row->starts_us >= to_us)
        continue;
      hearing = account_for (cr_hearing_row_copy (row), config, zone, index, sessions, rows,
                             report->generated_us, error);
      if (hearing == NULL)
        return FALSE;
      report->counts[hearing->klass]++;
      g_ptr_array_add (report->hearings, hearing);
    }
  return TRUE;
}

guint
cr_coverage_report_recorded (const CrCoverageReport *report)
{
  return report->counts[CR_COVERAGE_CLASS_FULL] + report->counts[CR_COVERAGE_CLASS_PARTIAL];
}

guint
cr_coverage_report_scheduled (const CrCoverageReport *report)
{
  return report->hearings->len - report->counts[CR_COVERAGE_CLASS_CANCELLED];
}

guint
cr_coverage_report_held (const CrCoverageReport *report)
{
  return cr_coverage_report_recorded (report) + report->counts[CR_COVERAGE_CLASS_MISSING];
}

gboolean
cr_coverage_hearing_is_bad (const CrCoverageHearing *hearing)
{
  return hearing->klass == CR_COVERAGE_CLASS_MISSING ||
         hearing->klass == CR_COVERAGE_CLASS_PARTIAL ||
         hearing->empty_segments > 0 || hearing->unverified_segments > 0;
}

guint
cr_coverage_report_bad (const CrCoverageReport *report)
{
  guint bad = 0;

  for (guint i = 0; i < report->hearings->len; i++)
    bad += cr_coverage_hearing_is_bad (g_ptr_array_index (report->hearings, i));
  return bad;
}
