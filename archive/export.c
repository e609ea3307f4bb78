/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* export.c: see export.h.
 *
 * The timeline of an exported session. A session's segments are back to
 * back except across a pause or a crash; the MP4 joins every part of the
 * session back to back, with no gap, and says in its metadata (comment)
 * and in the package (timeline.tsv) at which MP4 time each part starts and
 * the UTC time that was. A recess kept as a timestamp jump would make an
 * MP4 that players show as one frame frozen for the whole recess, with a
 * hole in the audio, and whose length no longer matches the recorded time
 * in the index; joined, the MP4 is exactly what was recorded, and the real
 * time of every part stays on record beside it.
 *
 * Parts are joined on the reference stream (the first video stream): the
 * recorder cuts segments at video keyframes and stamps every stream of a
 * segment from the same clock, so the first frame of a part is placed
 * where the last frame of the previous part ends, and the part's other
 * streams move by the same amount, which keeps them in sync. */
#include "archive/export-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "archive/bagit.h"
#include "archive/report.h"

G_DEFINE_QUARK (cr-export-error-quark, cr_export_error)

/* --- the plan: which part of which segment goes into which MP4 ---------- */

static void
part_free (Part *part)
{
  g_free (part->path);
  g_free (part);
}

static void
session_plan_free (SessionPlan *plan)
{
  if (plan == NULL)
    return;
  g_clear_pointer (&plan->session, cr_session_record_free);
  g_clear_pointer (&plan->segments, g_ptr_array_unref);
  g_clear_pointer (&plan->parts, g_ptr_array_unref);
  g_free (plan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SessionPlan, session_plan_free)

static char *
describe_window (const CrExportRequest *request)
{
  g_autofree char *from = request->from_us != 0 ? cr_format_utc (request->from_us) : NULL;
  g_autofree char *to = request->to_us != 0 ? cr_format_utc (request->to_us) : NULL;

  if (from != NULL && to != NULL)
    return g_strdup_printf ("between %s and %s", from, to);
  if (from != NULL)
    return g_strdup_printf ("after %s", from);
  if (to != NULL)
    return g_strdup_printf ("before %s", to);
  return g_strdup ("at all");
}

/* The parts of @session inside the request's window; every file they need
 * is checked here, before anything is written, so that an export never
 * comes out silently short. NULL without error when the session has
 * nothing in the window. */
static SessionPlan *
plan_session (CrSegmentIndex *index, const CrConfig *config,
              const CrExportRequest *request, CrSessionRecord *session,
              GError **error)
{
  g_autoptr (SessionPlan) plan = g_new0 (SessionPlan, 1);
  gint64 from = request->from_us != 0 ? request->from_us : G_MININT64;
  gint64 to = request->to_us != 0 ? request->to_us : G_MAXINT64;

  plan->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) part_free);
  plan->segments = cr_segment_index_list_segments (index, session->id, error);
  if (plan->segments == NULL)
    return NULL;

  for (guint i = 0; i < plan->segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (plan->segments, i);
      gint64 start = segment->started_us;
      gint64 end = segment->closed ? start + segment->duration_us : G_MAXINT64;
      Part *part;
      GStatBuf st;

      /* A closed segment of no length holds no frame (a crash at once
       * after it opened): leaving it out shortens nothing. */
      if (end <= from || start >= to || (segment->closed && segment->duration_us == 0))
        continue;
      if (!segment->closed)
        {
          g_autofree char *at = cr_format_utc (start);
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                       "Segment %u of session %" G_GINT64_FORMAT " is still being "
                       "recorded: stop the session, or end the window before %s",
                       segment->sequence, session->id, at);
          return NULL;
        }

      part = g_new0 (Part, 1);
      part->segment = segment;
      part->path = g_build_filename (config->storage_dir, segment->path, NULL);
      part->from_us = from > start ? from - start : 0;
      part->to_us = to < end ? to - start : G_MAXINT64;
      g_ptr_array_add (plan->parts, part);

      if (g_stat (part->path, &st) != 0)
        {
          int errnum = errno;
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Segment %u of session %" G_GINT64_FORMAT " is missing: "
                       "'%s': %s", segment->sequence, session->id, part->path,
                       g_strerror (errnum));
          return NULL;
        }
      /* A cheap check that the file is the one the index recorded; the
       * full check is the integrity chain's (courtrec verify). */
      if (st.st_size != segment->bytes)
        {
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Segment %u of session %" G_GINT64_FORMAT " ('%s') has %"
                       G_GINT64_FORMAT " bytes but the index recorded %" G_GINT64_FORMAT
                       ": it was changed after it was recorded", segment->sequence,
                       session->id, part->path, (gint64) st.st_size, segment->bytes);
          return NULL;
        }
    }
  if (plan->parts->len == 0)
    return NULL;
  /* Taken only now, so that a plan dropped above leaves it to the caller. */
  plan->session = session;
  return g_steal_pointer (&plan);
}

/* --- the package ----------------------------------------------------------- */

static char *
timeline_tsv (SessionPlan *plan)
{
  GString *tsv = g_string_new (NULL);

  g_string_append_printf (tsv, "# Session %" G_GINT64_FORMAT " of case %s: the parts "
                          "of session-%" G_GINT64_FORMAT ".mp4, joined without the "
                          "gaps between them.\n", plan->session->id,
                          plan->session->case_no, plan->session->id);
  g_string_append (tsv, "part\tmp4_start_s\tduration_s\tutc_start\tsegment\tsegment_sha256\n");
  for (guint i = 0; i < plan->parts->len; i++)
    {
      const Part *part = g_ptr_array_index (plan->parts, i);
      g_autofree char *utc = cr_format_utc (part->segment->started_us + part->first_us);
      g_string_append_printf (tsv, "%u\t%.3f\t%.3f\t%s\t%s\t%s\n", i + 1,
                              part->mp4_start_us / 1e6, part->duration_us / 1e6, utc,
                              part->segment->path,
                              part->segment->sha256 != NULL ? part->segment->sha256 : "");
    }
  return g_string_free (tsv, FALSE);
}

static gboolean
write_text (const char *dir, const char *name, const char *contents, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) local = NULL;

  /* 0640: the bag is closed to others (bagit.h), whatever the umask; it is
   * synced as a whole when it is finished. */
  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0640,
                                 &local))
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_session (CrSegmentIndex *index, const CrConfig *config, SessionPlan *plan,
               const char *payload_dir, gint64 *duration_us, GError **error)
{
  static const struct { CrReportFormat format; const char *name; } reports[] = {
    { CR_REPORT_TEXT, "report.txt" },
    { CR_REPORT_HTML, "report.html" },
    { CR_REPORT_JSON, "report.json" },
  };
  gint64 id = plan->session->id;
  g_autofree char *dir_name = g_strdup_printf ("session-%" G_GINT64_FORMAT, id);
  g_autofree char *dir = g_build_filename (payload_dir, dir_name, NULL);
  g_autofree char *mp4_name = g_strdup_printf ("session-%" G_GINT64_FORMAT ".mp4", id);
  g_autofree char *mp4_path = g_build_filename (dir, mp4_name, NULL);
  g_autofree char *shown = g_strdup_printf ("data/%s/%s", dir_name, mp4_name);
  g_autofree char *timeline = NULL;

  if (g_mkdir (dir, 0750) != 0)
    {
      int errnum = errno;
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                   "Could not create '%s': %s", dir, g_strerror (errnum));
      return FALSE;
    }
  if (!cr_export_write_mp4 (config, plan, mp4_path, shown, duration_us, error))
    return FALSE;
  timeline = timeline_tsv (plan);
  if (!write_text (dir, "timeline.tsv", timeline, error))
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (reports); i++)
    {
      g_autoptr (GError) local = NULL;
      g_autofree char *report = cr_report_render (index, config, id, reports[i].format,
                                                  &local);
      if (report == NULL)
        {
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Could not make the report of session %" G_GINT64_FORMAT ": %s",
                       id, local->message);
          return FALSE;
        }
      if (!write_text (dir, reports[i].name, report, error))
        return FALSE;
    }
  return TRUE;
}

/* The bag's errors are G_IO_ERROR; the ones the user caused are INVALID. */
static void
set_bag_error (GError **error, const GError *cause)
{
  gboolean user = g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY) ||
                  g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_EXISTS);

  g_set_error (error, CR_EXPORT_ERROR,
               user ? CR_EXPORT_ERROR_INVALID : CR_EXPORT_ERROR_FAILED, "%s",
               cause->message);
}

static GPtrArray *
plan_export (CrSegmentIndex *index, const CrConfig *config,
             const CrExportRequest *request, GError **error)
{
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) plans = g_ptr_array_new_with_free_func (
      (GDestroyNotify) session_plan_free);
  g_autoptr (GError) local = NULL;
  gboolean found = FALSE;

  sessions = cr_segment_index_list_sessions (index, request->case_no, &local);
  if (sessions == NULL)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                   "Could not read the index: %s", local->message);
      return NULL;
    }
  if (sessions->len == 0)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "No sessions of case '%s' in the index", request->case_no);
      return NULL;
    }
  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      SessionPlan *plan;

      if (request->session_id != 0 && session->id != request->session_id)
        continue;
      found = TRUE;
      plan = plan_session (index, config, request, session, &local);
      if (local != NULL)
        {
          if (local->domain == CR_EXPORT_ERROR)
            g_propagate_error (error, g_steal_pointer (&local));
          else
            g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                         "Could not read the index: %s", local->message);
          return NULL;
        }
      if (plan != NULL)
        {
          /* The plan owns its session from here. */
          g_ptr_array_index (sessions, i) = NULL;
          g_ptr_array_add (plans, plan);
        }
    }
  if (!found)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "Session %" G_GINT64_FORMAT " is not a session of case '%s'",
                   request->session_id, request->case_no);
      return NULL;
    }
  if (plans->len == 0)
    {
      g_autofree char *window = describe_window (request);
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "Nothing of case '%s'%s was recorded %s", request->case_no,
                   request->session_id != 0 ? " in that session" : "", window);
      return NULL;
    }
  return g_steal_pointer (&plans);
}

static char *
describe_package (const CrConfig *config, const CrExportRequest *request,
                  GPtrArray *plans)
{
  g_autoptr (GString) ids = g_string_new (NULL);
  g_autofree char *window = NULL;

  for (guint i = 0; i < plans->len; i++)
    g_string_append_printf (ids, "%s%" G_GINT64_FORMAT, i == 0 ? "" : ", ",
                            ((SessionPlan *) g_ptr_array_index (plans, i))->session->id);
  if (request->from_us != 0 || request->to_us != 0)
    {
      g_autofree char *between = describe_window (request);
      window = g_strdup_printf ("the part recorded %s", between);
    }
  else
    window = g_strdup ("all that was recorded");
  return g_strdup_printf (
      "Recording of the hearings of case %s in %s, %s (room %s): session(s) %s, %s. "
      "One MP4 per session (H.264 and AAC as recorded, not re-encoded), its "
      "timeline.tsv (the UTC start of each part), and its report as text, HTML "
      "and JSON.", request->case_no, config->court, config->room_name,
      config->room_id, ids->str, window);
}

gboolean
cr_export_package (CrSegmentIndex *index, const CrConfig *config,
                   const CrExportRequest *request, CrExportResult *result,
                   GError **error)
{
  g_autoptr (GPtrArray) plans = NULL;
  g_autoptr (CrBagit) bag = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *description = NULL;
  CrExportResult done = { 0 };
  guint files = 0;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (request->case_no != NULL && *request->case_no != '\0', FALSE);
  g_return_val_if_fail (request->output_dir != NULL && *request->output_dir != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (request->from_us != 0 && request->to_us != 0 && request->from_us >= request->to_us)
    {
      g_autofree char *from = cr_format_utc (request->from_us);
      g_autofree char *to = cr_format_utc (request->to_us);
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "The window's start (%s) is not before its end (%s)", from, to);
      return FALSE;
    }

  plans = plan_export (index, config, request, error);
  if (plans == NULL)
    return FALSE;

  bag = cr_bagit_new (request->output_dir, &local);
  if (bag == NULL)
    {
      set_bag_error (error, local);
      return FALSE;
    }
  done.partials_removed = cr_bagit_get_partials_removed (bag);
  for (guint i = 0; i < plans->len; i++)
    {
      gint64 duration_us = 0;

      if (!write_session (index, config, g_ptr_array_index (plans, i),
                          cr_bagit_get_payload_dir (bag), &duration_us, error))
        return FALSE;
      done.sessions++;
      done.media_us += duration_us;
    }

  description = describe_package (config, request, plans);
  cr_bagit_add_info (bag, "Source-Organization", config->court);
  cr_bagit_add_info (bag, "External-Identifier", request->case_no);
  cr_bagit_add_info (bag, "External-Description", description);
  cr_bagit_add_info (bag, "Bag-Software-Agent", "courtrec " COURTREC_VERSION);
  if (!cr_bagit_finish (bag, &done.bytes, &files, &local))
    {
      set_bag_error (error, local);
      return FALSE;
    }
  if (result != NULL)
    *result = done;
  return TRUE;
}
