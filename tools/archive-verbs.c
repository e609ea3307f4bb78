/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* archive-verbs.c: the verbs that read what the index holds, sessions and
 * events, and export, which packages a case's recordings for the court. */
#include <libavutil/log.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/case-number.h"
#include "archive/export.h"
#include "archive/segment-index.h"
#include "config/config.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/daemon-reply.h"
#include "tools/index-access.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

int
run_sessions (VerbCall *call)
{
  const char *case_no = verb_text (call, "case");
  CrSegmentIndex *index;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GHashTable) segment_counts = NULL;
  g_autoptr (GError) error = NULL;
  int code;

  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  sessions = cr_segment_index_list_sessions (index, case_no, &error);
  if (sessions != NULL)
    segments = cr_segment_index_list_segments (index, 0, &error);
  if (sessions == NULL || segments == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                 cr_text_shown (call->index_path), error->message);

  segment_counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, NULL);
  for (guint i = 0; i < segments->len; i++)
    {
      CrSegmentRecord *segment = segments->pdata[i];
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (segment_counts,
                                                           &segment->session_id));
      g_hash_table_insert (segment_counts, &segment->session_id,
                           GUINT_TO_POINTER (count + 1));
    }

  if (verb_flag (call, "json"))
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < sessions->len; i++)
        {
          CrSessionRecord *session = sessions->pdata[i];
          g_autofree char *started = cr_format_utc (session->started_us);
          g_autofree char *stopped = session->stopped_us > 0
                                     ? cr_format_utc (session->stopped_us) : NULL;

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_int_value (builder, session->id);
          add_string_or_null (builder, "case", session->case_no);
          add_string_or_null (builder, "title", session->title);
          add_string_or_null (builder, "state",
                              cr_session_state_to_string (session->state));
          add_string_or_null (builder, "started", started);
          add_string_or_null (builder, "stopped", stopped);
          json_builder_set_member_name (builder, "segments");
          json_builder_add_int_value (builder,
              GPOINTER_TO_UINT (g_hash_table_lookup (segment_counts, &session->id)));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_OK;
    }

  if (sessions->len == 0)
    {
      if (case_no != NULL)
        printf ("No sessions of case %s in room %s\n", cr_text_shown (case_no),
                cr_text_shown (call->config->room_id));
      else
        printf ("No sessions in room %s\n", cr_text_shown (call->config->room_id));
      return EXIT_OK;
    }

  {
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    g_ptr_array_add (rows, g_strsplit ("ID CASE TITLE STATE STARTED STOPPED SEGMENTS", " ", -1));
    for (guint i = 0; i < sessions->len; i++)
      {
        CrSessionRecord *session = sessions->pdata[i];
        char **row = g_new0 (char *, 8);

        row[0] = g_strdup_printf ("%" G_GINT64_FORMAT, session->id);
        row[1] = g_strdup (cr_text_shown (session->case_no));
        row[2] = g_strdup (session->title != NULL && *session->title != '\0'
                           ? cr_text_shown (session->title) : "-");
        row[3] = g_strdup (cr_session_state_to_string (session->state));
        row[4] = format_time_or_dash (session->started_us);
        row[5] = format_time_or_dash (session->stopped_us);
        row[6] = g_strdup_printf ("%u", GPOINTER_TO_UINT (
                     g_hash_table_lookup (segment_counts, &session->id)));
        g_ptr_array_add (rows, row);
      }
    print_table (rows);
  }
  return EXIT_OK;
}

int
run_events (VerbCall *call)
{
  CrSegmentIndex *index;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  gint64 session_id;
  int code;

  if (!parse_session_id (call->name, call->args[0], &session_id, &code))
    return code;
  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  session = cr_segment_index_get_session (index, session_id, &error);
  if (session == NULL)
    {
      if (g_error_matches (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND))
        return fail (EXIT_RUNTIME, "no session %" G_GINT64_FORMAT " in room %s",
                     session_id, cr_text_shown (call->config->room_id));
      return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                   cr_text_shown (call->index_path), error->message);
    }
  events = cr_segment_index_list_events (index, session_id, &error);
  if (events == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                 cr_text_shown (call->index_path), error->message);

  if (verb_flag (call, "json"))
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < events->len; i++)
        {
          CrEventRecord *event = events->pdata[i];
          g_autofree char *at = cr_format_utc (event->at_us);

          json_builder_begin_object (builder);
          add_string_or_null (builder, "time", at);
          add_string_or_null (builder, "kind", event->kind_name);
          add_string_or_null (builder, "detail", event->detail);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_OK;
    }

  {
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    printf ("Session %" G_GINT64_FORMAT ", case %s%s%s\n", session->id,
            cr_text_shown (session->case_no), session->title != NULL ? " — " : "",
            session->title != NULL ? cr_text_shown (session->title) : "");
    g_ptr_array_add (rows, g_strsplit ("TIME KIND DETAIL", " ", -1));
    for (guint i = 0; i < events->len; i++)
      {
        CrEventRecord *event = events->pdata[i];
        char **row = g_new0 (char *, 4);

        row[0] = cr_format_utc (event->at_us);
        row[1] = g_strdup (cr_text_shown (event->kind_name));
        /* A marker's text may be longer than cr_text_shown shows. */
        row[2] = cr_text_escape (event->detail != NULL ? event->detail : "", -1,
                                 NOTE_MAX_CHARS);
        g_ptr_array_add (rows, row);
      }
    print_table (rows);
  }
  return EXIT_OK;
}

/* --- export ------------------------------------------------------------------ */

/* "2026-11-27T09:30:00Z", or local time "2026-11-27 09:30[:00]". */
static gboolean
parse_time_arg (const char *text, gint64 *utc_us)
{
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autofree char *iso = g_strdelimit (g_strdup (text), " ", 'T');

  when = g_date_time_new_from_iso8601 (iso, local);
  if (when == NULL)
    {
      g_autofree char *with_seconds = g_strconcat (iso, ":00", NULL);
      when = g_date_time_new_from_iso8601 (with_seconds, local);
    }
  if (when == NULL)
    return FALSE;
  *utc_us = g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
  return TRUE;
}

/* Every export is an event of each session it holds (SPC 2017 rules,
 * Art. 15: no copy without the court's knowledge). The daemon is the
 * index's main writer; one more event from here is safe under WAL and the
 * busy timeout. */
static void
record_export (const char *index_path, const CrExportRequest *request, const char *output)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (index_path, FALSE, &error);
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *absolute = g_canonicalize_filename (output, NULL);
  g_autofree char *detail = NULL;
  g_autofree char *user = g_strdup (g_get_user_name ());

  if (index != NULL)
    sessions = cr_segment_index_list_sessions (index, request->case_no, &error);
  if (sessions == NULL)
    {
      fail (EXIT_RUNTIME, "warning: the export could not be logged in the index: %s",
            error->message);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "output");
  json_builder_add_string_value (builder, absolute);
  json_builder_set_member_name (builder, "by");
  json_builder_add_string_value (builder, user);
  if (request->from_us != 0)
    {
      g_autofree char *from = cr_format_utc (request->from_us);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
    }
  if (request->to_us != 0)
    {
      g_autofree char *to = cr_format_utc (request->to_us);
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, to);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  detail = json_to_string (root, FALSE);
  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      if (request->session_id != 0 && session->id != request->session_id)
        continue;
      if (cr_segment_index_add_event (index, session->id, g_get_real_time (), CR_EVENT_EXPORT,
                                      detail, &error) <= 0)
        {
          fail (EXIT_RUNTIME, "warning: the export could not be logged in the index: %s",
                error->message);
          return;
        }
    }
}

int
run_export (VerbCall *call)
{
  const char *case_no = verb_text (call, "case");
  const char *from_arg = verb_text (call, "from");
  const char *to_arg = verb_text (call, "to");
  const char *output = verb_text (call, "output");
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (GError) error = NULL;
  g_autofree char *shown_output = NULL;
  CrExportRequest request = { 0 };
  CrExportResult result = { 0 };
  int code;

  request.session_id = verb_session (call, "session");
  if (from_arg != NULL && !parse_time_arg (from_arg, &request.from_us))
    return fail (EXIT_USAGE, "export: --from '%s' is not a time: expected e.g. "
                 "'2026-11-27 09:30' or 2026-11-27T01:30:00Z", cr_text_shown (from_arg));
  if (to_arg != NULL && !parse_time_arg (to_arg, &request.to_us))
    return fail (EXIT_USAGE, "export: --to '%s' is not a time: expected e.g. "
                 "'2026-11-27 11:00' or 2026-11-27T03:00:00Z", cr_text_shown (to_arg));
  if (request.from_us != 0 && request.to_us != 0 && request.to_us <= request.from_us)
    return fail (EXIT_USAGE, "export: --to must be later than --from");
  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  config = call->config;
  request.case_no = case_no;
  request.output_dir = output;
  av_log_set_level (AV_LOG_ERROR);  /* libav's notes are not the operator's business */
  if (!cr_export_package (index, config, &request, &result, &error))
    return fail (g_error_matches (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID)
                 ? EXIT_USAGE : EXIT_RUNTIME, "export: %s", error->message);
  record_export (call->index_path, &request, output);
  shown_output = shown_path (output);
  printf ("Exported %u session%s of %s, %.1f s of media, to %s\n", result.sessions,
          result.sessions == 1 ? "" : "s", cr_text_shown (case_no), result.media_us / 1e6,
          shown_output);
  printf ("Check it with: cd %s && sha256sum -c manifest-sha256.txt\n", shown_output);
  if (result.partials_removed > 0)
    printf ("Removed %u unfinished package%s that interrupted exports had left beside it\n",
            result.partials_removed, result.partials_removed == 1 ? "" : "s");
  return EXIT_OK;
}
