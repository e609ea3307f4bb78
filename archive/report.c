/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.c: see report.h. The facts are gathered once (report-facts.c),
 * then written out here by one function per format. */
#include "archive/report-private.h"

#include <string.h>

#include "archive/json-members.h"

gboolean
cr_report_format_from_string (const char *text, CrReportFormat *format)
{
  if (g_strcmp0 (text, "text") == 0)
    *format = CR_REPORT_TEXT;
  else if (g_strcmp0 (text, "json") == 0)
    *format = CR_REPORT_JSON;
  else if (g_strcmp0 (text, "html") == 0)
    *format = CR_REPORT_HTML;
  else
    return FALSE;
  return TRUE;
}

/* --- shared wording ----------------------------------------------------- */

/* "1:02:03" */
static char *
format_length (gint64 us)
{
  gint64 seconds = (us + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC;

  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                          (int) (seconds / 60 % 60), (int) (seconds % 60));
}

static char *
format_time (gint64 utc_us)
{
  return utc_us != 0 ? cr_format_utc (utc_us) : g_strdup ("-");
}

/* The same moment on the machine's clock, for the people in the room. */
static char *
format_local (gint64 utc_us)
{
  g_autoptr (GDateTime) time = NULL;

  if (utc_us == 0)
    return g_strdup ("-");
  time = g_date_time_new_from_unix_local (utc_us / G_USEC_PER_SEC);
  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S %:z") : g_strdup ("-");
}

/* What an event's detail says, in one line: the members of a JSON object
 * as "name: value", anything else as it is. */
static char *
describe_detail (const CrEventRecord *event)
{
  g_autoptr (JsonNode) holder = NULL;
  JsonObject *object = cr_report_detail_object (event, &holder);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GList) members = NULL;

  if (object == NULL)
    return g_strdup (event->detail != NULL ? event->detail : "");
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);
      g_autofree char *value = NULL;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        value = g_strdup (json_node_get_string (node));
      else
        value = json_to_string (node, FALSE);
      if (text->len > 0)
        g_string_append (text, "; ");
      g_string_append_printf (text, "%s: %s", (const char *) l->data, value);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* When @fault was: "T1 to T2 (0:00:20)", "T1 (the session's start) to
 * (still standing)", or "at T" for a fault of a moment. */
static char *
describe_span (const CrReportFault *fault)
{
  g_autofree char *from = format_time (fault->start_us);
  g_autofree char *to = NULL;
  g_autofree char *length = NULL;

  if (!fault->spans)
    return g_strdup_printf ("at %s", from);
  if (fault->end_us == 0)
    return g_strdup_printf ("%s%s to (still standing)", from,
                            fault->from_start ? " (the session's start)" : "");
  to = format_time (fault->end_us);
  length = format_length (fault->end_us - fault->start_us);
  return g_strdup_printf ("%s%s to %s (%s)", from,
                          fault->from_start ? " (the session's start)" : "", to, length);
}

/* What failed, in the words of a written statement (SPC 2017 rules,
 * Art. 4); the kind as stored for any other. */
static const char *
fault_words (const CrReportFault *fault)
{
  switch (fault->kind)
    {
    case CR_EVENT_INPUT_LOST:
      return "signal lost 信号中断";
    case CR_EVENT_MICROPHONE_SILENT:
      return "microphone silent 麦克风无声";
    case CR_EVENT_DISK_LOW:
      return "disk nearly full 存储空间不足";
    case CR_EVENT_DISK_FULL:
      return "disk full, not recorded 存储空间已满";
    case CR_EVENT_DISK_STALL:
      return "storage stalled 存储写入停滞";
    case CR_EVENT_SEAL_UNAVAILABLE:
      return "recording cannot be sealed 无法签名封存";
    case CR_EVENT_SCHEDULED_NOT_RECORDING:
      return "scheduled hearing not recorded 排期庭审未录像";
    case CR_EVENT_HEARING_OVERRUN:
      return "hearing ran into the next slot 庭审超时";
    case CR_EVENT_SCHEDULE_STALE:
      return "hearing calendar unreadable 排期无法读取";
    case CR_EVENT_COVERAGE_SHORTFALL:
      return "recording-rate check failed 录像率核查未通过";
    case CR_EVENT_GAP:
      return "not recorded 录制中断";
    case CR_EVENT_SEGMENT_OPEN_FAILED:
      return "a recording file could not be opened 录像文件无法创建";
    default:
      return fault->what;
    }
}

/* Who and why: "camera 证人 (witness): connection refused; cleared by
 * input-back". */
static char *
describe_fault (const CrReportFault *fault)
{
  g_autoptr (GString) text = g_string_new (NULL);

  if (fault->input != NULL)
    {
      if (fault->role != NULL)
        g_string_append_printf (text, "%s ", fault->role);
      if (fault->label != NULL && g_strcmp0 (fault->label, fault->input) != 0)
        g_string_append_printf (text, "%s (%s)", fault->label, fault->input);
      else
        g_string_append (text, fault->input);
    }
  if (fault->message != NULL)
    g_string_append_printf (text, "%s%s", text->len > 0 ? ": " : "", fault->message);
  else if (!fault->spans && fault->events->len > 0)
    {
      g_autofree char *detail = describe_detail (g_ptr_array_index (fault->events, 0));
      g_string_append_printf (text, "%s%s", text->len > 0 ? ": " : "", detail);
    }
  if (fault->ended_by != NULL)
    g_string_append_printf (text, "%sended by %s", text->len > 0 ? "; " : "",
                            fault->ended_by);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const char *
state_text (const CrSessionRecord *session)
{
  return cr_session_state_to_string (session->state);
}

/* --- text ------------------------------------------------------------------ */

/* Columns on a terminal or a printed page, where a Han character takes two. */
static gsize
display_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}

static void
text_field (GString *out, const char *label, const char *value)
{
  g_string_append_printf (out, "  %s", label);
  for (gsize pad = display_width (label); pad < 23; pad++)
    g_string_append_c (out, ' ');
  g_string_append_printf (out, "%s\n", value != NULL ? value : "-");
}

static char *
render_text (CrReportFacts *facts)
{
  CrSessionRecord *session = facts->session;
  const CrConfig *config = facts->config;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *started = format_time (session->started_us);
  g_autofree char *stopped = format_time (session->stopped_us);
  g_autofree char *started_local = format_local (session->started_us);
  g_autofree char *stopped_local = format_local (session->stopped_us);
  g_autofree char *recorded = format_length (facts->recorded_us);
  g_autofree char *paused = format_length (facts->paused_us);
  g_autofree char *room = g_strdup_printf ("%s (%s)", config->room_name, config->room_id);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, session->id);

  g_string_append (out, "HEARING RECORDING REPORT 庭审录音录像报告\n\n");
  text_field (out, "Court 法院", config->court);
  text_field (out, "Room 法庭", room);
  text_field (out, "Case 案号", session->case_no);
  text_field (out, "Title 案由", session->title);
  text_field (out, "Session", id);
  text_field (out, "State", state_text (session));
  text_field (out, "Started (UTC)", started);
  text_field (out, "Started (local)", started_local);
  text_field (out, "Stopped (UTC)", stopped);
  text_field (out, "Stopped (local)", stopped_local);
  text_field (out, "Recorded", recorded);
  text_field (out, "Paused", paused);

  g_string_append_printf (out, "\nPAUSES 休庭及中断 (%u)\n", facts->pauses->len);
  if (facts->pauses->len == 0)
    g_string_append (out, "  none\n");
  for (guint i = 0; i < facts->pauses->len; i++)
    {
      CrReportPause *pause = g_ptr_array_index (facts->pauses, i);
      g_autofree char *from = format_time (pause->start_us);
      g_autofree char *to = pause->end_us != 0 ? format_time (pause->end_us)
                                               : g_strdup ("(still paused)");
      g_autofree char *length = pause->end_us != 0
          ? format_length (pause->end_us - pause->start_us) : g_strdup ("-");
      g_string_append_printf (out, "  %u. %s to %s  %s  reason: %s%s\n", i + 1, from, to,
                              length, pause->reason,
                              g_strcmp0 (pause->ended_by, "stop") == 0 ? " (ended by the stop)" : "");
    }

  g_string_append_printf (out, "\nFAULTS AND GAPS 设备故障及中断 (%u)\n", facts->faults->len);
  if (facts->faults->len == 0)
    g_string_append (out, "  none\n");
  for (guint i = 0; i < facts->faults->len; i++)
    {
      CrReportFault *fault = g_ptr_array_index (facts->faults, i);
      g_autofree char *span = describe_span (fault);
      g_autofree char *detail = describe_fault (fault);
      g_string_append_printf (out, "  %s  %s  %s\n", span, fault->what, detail);
    }

  g_string_append_printf (out, "\nMARKERS 标记 (%u)\n", facts->markers->len);
  if (facts->markers->len == 0)
    g_string_append (out, "  none\n");
  for (guint i = 0; i < facts->markers->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (facts->markers, i);
      g_autofree char *at = format_time (event->at_us);
      g_autofree char *by = NULL;
      g_autofree char *text = cr_event_marker_text (event, &by);
      g_string_append_printf (out, "  %s  %s%s%s%s\n", at, text, by != NULL ? "  (" : "",
                              by != NULL ? by : "", by != NULL ? ")" : "");
    }

  g_string_append_printf (out, "\nSEGMENTS 录像文件 (%u, %" G_GINT64_FORMAT " bytes)\n",
                          facts->segments->len, facts->bytes);
  if (facts->segments->len == 0)
    g_string_append (out, "  none\n");
  for (guint i = 0; i < facts->segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (facts->segments, i);
      g_autofree char *at = format_time (segment->started_us);
      g_autofree char *length = format_length (segment->duration_us);
      g_string_append_printf (out, "  #%u  %s  %s  %" G_GINT64_FORMAT " bytes%s%s\n"
                              "      %s\n      sha256 %s\n      link   %s\n",
                              segment->sequence, at, length, segment->bytes,
                              segment->closed ? "" : "  (open)",
                              segment->purged ? "  (media deleted by retention)" : "",
                              segment->path, segment->sha256 != NULL ? segment->sha256 : "-",
                              segment->link != NULL ? segment->link : "-");
    }

  g_string_append (out, "\nINTEGRITY 完整性校验值\n");
  text_field (out, "Chain root", session->chain_root);
  if (session->chain_head != NULL)
    {
      g_autofree char *sealed = format_time (session->sealed_us);
      text_field (out, "Chain head", session->chain_head);
      text_field (out, "Signature (Ed25519)", session->signature);
      text_field (out, "Public key", session->public_key);
      text_field (out, "Sealed (UTC)", sealed);
    }
  else
    text_field (out, "Chain head", "not sealed");
  if (session->archived_us != 0)
    {
      g_autofree char *archived = format_time (session->archived_us);
      text_field (out, "Archived (UTC)", archived);
    }
  if (session->purged_us != 0)
    {
      g_autofree char *purged = format_time (session->purged_us);
      text_field (out, "Media deleted (UTC)", purged);
    }

  cr_report_access_text (out, facts);

  if (facts->others->len > 0)
    {
      g_string_append_printf (out, "\nOTHER EVENTS (%u)\n", facts->others->len);
      for (guint i = 0; i < facts->others->len; i++)
        {
          CrEventRecord *event = g_ptr_array_index (facts->others, i);
          g_autofree char *at = format_time (event->at_us);
          g_autofree char *detail = describe_detail (event);
          g_string_append_printf (out, "  %s  %s  %s\n", at, event->kind_name, detail);
        }
    }

  g_string_append_printf (out, "\nCheck the files against these values: courtrec -c FILE "
                          "verify --session %" G_GINT64_FORMAT "\n", session->id);
  /* The page is filed with the case: the parties sign the integrity value
   * on it (SPC 2017 rules, Art. 9). */
  g_string_append (out, "\nSTATEMENT OF EQUIPMENT FAILURES 设备故障情况说明 "
                        "(SPC 2017 rules, Art. 4)\n");
  if (facts->faults->len == 0)
    g_string_append (out, "  No equipment failure or technical fault was recorded during "
                          "this session.\n");
  else
    {
      g_string_append (out, "  Because of the equipment failures and technical faults "
                            "below, the recording\n  of this session may not be complete "
                            "or true at the times given:\n");
      for (guint i = 0; i < facts->faults->len; i++)
        {
          CrReportFault *fault = g_ptr_array_index (facts->faults, i);
          g_autofree char *span = describe_span (fault);
          g_autofree char *detail = describe_fault (fault);
          g_string_append_printf (out, "  %u. %s, %s%s%s.\n", i + 1, span,
                                  fault_words (fault), *detail != '\0' ? ": " : "", detail);
        }
      g_string_append (out, "  审判长 Presiding judge:  ______________________\n");
    }

  g_string_append (out, "\nSIGNATURES 签名\n"
                        "  审判长 Presiding judge:  ______________________\n"
                        "  书记员 Clerk:            ______________________\n"
                        "  当事人 Parties:          ______________________\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* --- JSON ------------------------------------------------------------------ */

static void
json_seconds (JsonBuilder *builder, const char *name, gint64 us)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, us / (double) G_USEC_PER_SEC);
}

static void
json_events (JsonBuilder *builder, const char *name, GPtrArray *events)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      g_autoptr (JsonNode) detail = event->detail != NULL
          ? json_from_string (event->detail, NULL) : NULL;

      json_builder_begin_object (builder);
      cr_json_add_time (builder, "time", event->at_us);
      cr_json_add_text (builder, "kind", event->kind_name);
      json_builder_set_member_name (builder, "detail");
      /* A detail that is JSON stays JSON; free text stays a string. */
      if (detail != NULL)
        json_builder_add_value (builder, g_steal_pointer (&detail));
      else if (event->detail != NULL)
        json_builder_add_string_value (builder, event->detail);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
json_faults (JsonBuilder *builder, GPtrArray *faults)
{
  json_builder_set_member_name (builder, "faults");
  json_builder_begin_array (builder);
  for (guint i = 0; i < faults->len; i++)
    {
      CrReportFault *fault = g_ptr_array_index (faults, i);

      json_builder_begin_object (builder);
      cr_json_add_text (builder, "kind", fault->what);
      cr_json_add_time (builder, "start", fault->start_us);
      cr_json_add_time (builder, "end", fault->spans ? fault->end_us : fault->start_us);
      json_builder_set_member_name (builder, "seconds");
      if (fault->spans && fault->end_us != 0)
        json_builder_add_double_value (builder, (fault->end_us - fault->start_us) /
                                                (double) G_USEC_PER_SEC);
      else if (fault->spans)
        json_builder_add_null_value (builder);
      else
        json_builder_add_double_value (builder, 0);
      json_builder_set_member_name (builder, "from_session_start");
      json_builder_add_boolean_value (builder, fault->from_start);
      json_builder_set_member_name (builder, "standing");
      json_builder_add_boolean_value (builder, fault->spans && fault->end_us == 0);
      cr_json_add_text (builder, "ended_by", fault->ended_by);
      cr_json_add_text (builder, "input", fault->input);
      cr_json_add_text (builder, "label", fault->label);
      cr_json_add_text (builder, "role", fault->role);
      cr_json_add_text (builder, "message", fault->message);
      json_events (builder, "events", fault->events);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static char *
render_json (CrReportFacts *facts)
{
  CrSessionRecord *session = facts->session;
  const CrConfig *config = facts->config;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  cr_json_add_text (builder, "court", config->court);
  json_builder_set_member_name (builder, "room");
  json_builder_begin_object (builder);
  cr_json_add_text (builder, "id", config->room_id);
  cr_json_add_text (builder, "name", config->room_name);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "session");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, session->id);
  cr_json_add_text (builder, "case", session->case_no);
  cr_json_add_text (builder, "title", session->title);
  cr_json_add_text (builder, "state", state_text (session));
  cr_json_add_time (builder, "started", session->started_us);
  cr_json_add_time (builder, "stopped", session->stopped_us);
  json_seconds (builder, "recorded_seconds", facts->recorded_us);
  json_seconds (builder, "paused_seconds", facts->paused_us);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "pauses");
  json_builder_begin_array (builder);
  for (guint i = 0; i < facts->pauses->len; i++)
    {
      CrReportPause *pause = g_ptr_array_index (facts->pauses, i);
      json_builder_begin_object (builder);
      cr_json_add_time (builder, "start", pause->start_us);
      cr_json_add_time (builder, "end", pause->end_us);
      cr_json_add_text (builder, "reason", pause->reason);
      cr_json_add_text (builder, "ended_by", pause->ended_by);
      json_builder_set_member_name (builder, "seconds");
      if (pause->end_us != 0)
        json_builder_add_double_value (builder,
                                       (pause->end_us - pause->start_us) / (double) G_USEC_PER_SEC);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_faults (builder, facts->faults);

  json_builder_set_member_name (builder, "markers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < facts->markers->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (facts->markers, i);
      g_autofree char *by = NULL;
      g_autofree char *text = cr_event_marker_text (event, &by);
      json_builder_begin_object (builder);
      cr_json_add_time (builder, "time", event->at_us);
      cr_json_add_text (builder, "text", text);
      cr_json_add_text (builder, "by", by);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "segments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < facts->segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (facts->segments, i);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "sequence");
      json_builder_add_int_value (builder, segment->sequence);
      cr_json_add_text (builder, "path", segment->path);
      cr_json_add_time (builder, "started", segment->started_us);
      json_seconds (builder, "duration_seconds", segment->duration_us);
      json_builder_set_member_name (builder, "bytes");
      json_builder_add_int_value (builder, segment->bytes);
      cr_json_add_text (builder, "sha256", segment->sha256);
      cr_json_add_text (builder, "link", segment->link);
      json_builder_set_member_name (builder, "closed");
      json_builder_add_boolean_value (builder, segment->closed);
      json_builder_set_member_name (builder, "media_deleted");
      json_builder_add_boolean_value (builder, segment->purged);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "integrity");
  json_builder_begin_object (builder);
  cr_json_add_text (builder, "chain_root", session->chain_root);
  cr_json_add_text (builder, "chain_head", session->chain_head);
  cr_json_add_text (builder, "signature", session->signature);
  cr_json_add_text (builder, "public_key", session->public_key);
  cr_json_add_time (builder, "sealed", session->sealed_us);
  cr_json_add_time (builder, "archived", session->archived_us);
  cr_json_add_time (builder, "media_deleted", session->purged_us);
  json_builder_end_object (builder);

  cr_report_access_json (builder, facts);
  json_events (builder, "other_events", facts->others);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

/* --- HTML ------------------------------------------------------------------ */

/* Every text from the index or the config goes through here. */
static void
html_text (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "-", -1);
  g_string_append (out, escaped);
}

static void
html_row (GString *out, const char *label, const char *value, gboolean code)
{
  g_string_append (out, "<tr><th>");
  html_text (out, label);
  g_string_append (out, code ? "</th><td class=\"hash\">" : "</th><td>");
  html_text (out, value);
  g_string_append (out, "</td></tr>\n");
}

/* One cell; @hash sets it in a narrow monospace face. */
static void
html_cell (GString *out, const char *text, gboolean hash)
{
  g_string_append (out, hash ? "<td class=\"hash\">" : "<td>");
  html_text (out, text);
  g_string_append (out, "</td>");
}

/* A row of plain cells, the list ending in NULL. */
static void
html_cells (GString *out, const char *first, ...)
{
  va_list ap;

  va_start (ap, first);
  g_string_append (out, "<tr>");
  for (const char *cell = first; cell != NULL; cell = va_arg (ap, const char *))
    html_cell (out, cell, FALSE);
  g_string_append (out, "</tr>\n");
  va_end (ap);
}

static const char html_style[] =
  "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;font-size:10.5pt;"
  "margin:2em auto;max-width:60em;color:#000;background:#fff}"
  "h1{font-size:16pt;text-align:center;margin-bottom:.2em}"
  "p.court{text-align:center;margin-top:0}"
  "h2{font-size:12pt;border-bottom:1px solid #000;margin-top:1.5em}"
  "table{border-collapse:collapse;width:100%}"
  "th,td{border:1px solid #888;padding:.2em .4em;text-align:left;vertical-align:top}"
  "th{background:#eee;white-space:nowrap}"
  ".hash{font-family:'DejaVu Sans Mono',monospace;font-size:8pt;word-break:break-all;"
  "white-space:pre-wrap}"
  ".none{color:#555}"
  ".signatures td{height:3em}"
  "@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}"
  "tr{page-break-inside:avoid}}";

static void
html_section (GString *out, const char *title, guint count)
{
  g_autofree char *heading = g_strdup_printf ("%s (%u)", title, count);
  g_string_append (out, "<h2>");
  html_text (out, heading);
  g_string_append (out, "</h2>\n");
  if (count == 0)
    g_string_append (out, "<p class=\"none\">none</p>\n");
}

static char *
render_html (CrReportFacts *facts)
{
  CrSessionRecord *session = facts->session;
  const CrConfig *config = facts->config;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *started = format_time (session->started_us);
  g_autofree char *stopped = format_time (session->stopped_us);
  g_autofree char *started_local = format_local (session->started_us);
  g_autofree char *stopped_local = format_local (session->stopped_us);
  g_autofree char *recorded = format_length (facts->recorded_us);
  g_autofree char *paused = format_length (facts->paused_us);
  g_autofree char *room = g_strdup_printf ("%s (%s)", config->room_name, config->room_id);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, session->id);
  g_autofree char *title = g_strdup_printf ("庭审录音录像报告 %s", session->case_no);

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
                        "<meta charset=\"utf-8\">\n<title>");
  html_text (out, title);
  g_string_append_printf (out, "</title>\n<style>%s</style>\n</head>\n<body>\n", html_style);
  g_string_append (out, "<h1>庭审录音录像报告<br>Hearing recording report</h1>\n"
                        "<p class=\"court\">");
  html_text (out, config->court);
  g_string_append (out, "</p>\n");

  g_string_append (out, "<table>\n");
  html_row (out, "Case 案号", session->case_no, FALSE);
  html_row (out, "Title 案由", session->title, FALSE);
  html_row (out, "Room 法庭", room, FALSE);
  html_row (out, "Session", id, FALSE);
  html_row (out, "State", state_text (session), FALSE);
  html_row (out, "Started (UTC)", started, FALSE);
  html_row (out, "Started (local)", started_local, FALSE);
  html_row (out, "Stopped (UTC)", stopped, FALSE);
  html_row (out, "Stopped (local)", stopped_local, FALSE);
  html_row (out, "Recorded", recorded, FALSE);
  html_row (out, "Paused", paused, FALSE);
  g_string_append (out, "</table>\n");

  html_section (out, "Pauses 休庭及中断", facts->pauses->len);
  if (facts->pauses->len > 0)
    {
      g_string_append (out, "<table>\n<tr><th>#</th><th>From (UTC)</th><th>To (UTC)</th>"
                            "<th>Length</th><th>Reason</th></tr>\n");
      for (guint i = 0; i < facts->pauses->len; i++)
        {
          CrReportPause *pause = g_ptr_array_index (facts->pauses, i);
          g_autofree char *n = g_strdup_printf ("%u", i + 1);
          g_autofree char *from = format_time (pause->start_us);
          g_autofree char *to = pause->end_us != 0 ? format_time (pause->end_us)
                                                   : g_strdup ("(still paused)");
          g_autofree char *length = pause->end_us != 0
              ? format_length (pause->end_us - pause->start_us) : g_strdup ("-");
          g_autofree char *reason = g_strcmp0 (pause->ended_by, "stop") == 0
              ? g_strdup_printf ("%s (ended by the stop)", pause->reason)
              : g_strdup (pause->reason);
          html_cells (out, n, from, to, length, reason, NULL);
        }
      g_string_append (out, "</table>\n");
    }

  html_section (out, "Faults and gaps 设备故障及中断", facts->faults->len);
  if (facts->faults->len > 0)
    {
      g_string_append (out, "<table>\n<tr><th>When (UTC)</th><th>Kind</th><th>Detail</th></tr>\n");
      for (guint i = 0; i < facts->faults->len; i++)
        {
          CrReportFault *fault = g_ptr_array_index (facts->faults, i);
          g_autofree char *span = describe_span (fault);
          g_autofree char *detail = describe_fault (fault);
          html_cells (out, span, fault->what, detail, NULL);
        }
      g_string_append (out, "</table>\n");
    }

  html_section (out, "Markers 标记", facts->markers->len);
  if (facts->markers->len > 0)
    {
      g_string_append (out, "<table>\n<tr><th>Time (UTC)</th><th>Text</th><th>By</th></tr>\n");
      for (guint i = 0; i < facts->markers->len; i++)
        {
          CrEventRecord *event = g_ptr_array_index (facts->markers, i);
          g_autofree char *at = format_time (event->at_us);
          g_autofree char *by = NULL;
          g_autofree char *text = cr_event_marker_text (event, &by);
          html_cells (out, at, text, by != NULL ? by : "", NULL);
        }
      g_string_append (out, "</table>\n");
    }

  html_section (out, "Segments 录像文件", facts->segments->len);
  if (facts->segments->len > 0)
    {
      g_string_append (out, "<table>\n<tr><th>#</th><th>Start (UTC)</th><th>Length</th>"
                            "<th>Bytes</th><th>File, SHA-256 and link</th></tr>\n");
      for (guint i = 0; i < facts->segments->len; i++)
        {
          CrSegmentRecord *segment = g_ptr_array_index (facts->segments, i);
          g_autofree char *n = g_strdup_printf ("%u%s%s", segment->sequence,
                                                segment->closed ? "" : " (open)",
                                                segment->purged ? " (media deleted)" : "");
          g_autofree char *at = format_time (segment->started_us);
          g_autofree char *length = format_length (segment->duration_us);
          g_autofree char *bytes = g_strdup_printf ("%" G_GINT64_FORMAT, segment->bytes);
          g_autofree char *hashes = g_strdup_printf ("%s\nsha256 %s\nlink %s", segment->path,
                                                     segment->sha256 != NULL ? segment->sha256 : "-",
                                                     segment->link != NULL ? segment->link : "-");
          g_string_append (out, "<tr>");
          html_cell (out, n, FALSE);
          html_cell (out, at, FALSE);
          html_cell (out, length, FALSE);
          html_cell (out, bytes, FALSE);
          html_cell (out, hashes, TRUE);
          g_string_append (out, "</tr>\n");
        }
      g_string_append (out, "</table>\n");
    }

  g_string_append (out, "<h2>Integrity 完整性校验值</h2>\n<table>\n");
  html_row (out, "Chain root", session->chain_root, TRUE);
  if (session->chain_head != NULL)
    {
      g_autofree char *sealed = format_time (session->sealed_us);
      html_row (out, "Chain head", session->chain_head, TRUE);
      html_row (out, "Signature (Ed25519)", session->signature, TRUE);
      html_row (out, "Public key", session->public_key, TRUE);
      html_row (out, "Sealed (UTC)", sealed, FALSE);
    }
  else
    html_row (out, "Chain head", "not sealed", FALSE);
  if (session->archived_us != 0)
    {
      g_autofree char *archived = format_time (session->archived_us);
      html_row (out, "Archived (UTC)", archived, FALSE);
    }
  if (session->purged_us != 0)
    {
      g_autofree char *purged = format_time (session->purged_us);
      html_row (out, "Media deleted (UTC)", purged, FALSE);
    }
  g_string_append (out, "</table>\n");

  cr_report_access_html (out, facts);

  if (facts->others->len > 0)
    {
      html_section (out, "Other events", facts->others->len);
      g_string_append (out, "<table>\n<tr><th>Time (UTC)</th><th>Kind</th><th>Detail</th></tr>\n");
      for (guint i = 0; i < facts->others->len; i++)
        {
          CrEventRecord *event = g_ptr_array_index (facts->others, i);
          g_autofree char *at = format_time (event->at_us);
          g_autofree char *detail = describe_detail (event);
          html_cells (out, at, event->kind_name, detail, NULL);
        }
      g_string_append (out, "</table>\n");
    }

  /* The page is filed with the case: the parties sign the integrity value
   * on it (SPC 2017 rules, Art. 9). */
  g_string_append (out, "<h2>Statement of equipment failures 设备故障情况说明 "
                        "(SPC 2017 rules, Art. 4)</h2>\n");
  if (facts->faults->len == 0)
    g_string_append (out, "<p>No equipment failure or technical fault was recorded during "
                          "this session.</p>\n");
  else
    {
      g_string_append (out, "<p>Because of the equipment failures and technical faults "
                            "below, the recording of this session may not be complete or "
                            "true at the times given:</p>\n<ol>\n");
      for (guint i = 0; i < facts->faults->len; i++)
        {
          CrReportFault *fault = g_ptr_array_index (facts->faults, i);
          g_autofree char *span = describe_span (fault);
          g_autofree char *detail = describe_fault (fault);
          g_autofree char *item = g_strdup_printf ("%s, %s%s%s.", span, fault_words (fault),
                                                   *detail != '\0' ? ": " : "", detail);
          g_string_append (out, "<li>");
          html_text (out, item);
          g_string_append (out, "</li>\n");
        }
      g_string_append (out, "</ol>\n<table class=\"signatures\">\n"
                            "<tr><th>审判长 Presiding judge</th><td></td></tr>\n</table>\n");
    }

  g_string_append (out, "<h2>Signatures 签名</h2>\n<table class=\"signatures\">\n"
                        "<tr><th>审判长 Presiding judge</th><td></td></tr>\n"
                        "<tr><th>书记员 Clerk</th><td></td></tr>\n"
                        "<tr><th>当事人 Parties</th><td></td></tr>\n</table>\n");
  g_string_append (out, "</body>\n</html>\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
cr_report_render (CrSegmentIndex *index, const CrConfig *config,
                  gint64 session_id, CrReportFormat format, GError **error)
{
  g_autoptr (CrReportFacts) facts = NULL;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  facts = cr_report_facts_gather (index, config, session_id, error);
  if (facts == NULL)
    return NULL;
  switch (format)
    {
    case CR_REPORT_TEXT:
      return render_text (facts);
    case CR_REPORT_JSON:
      return render_json (facts);
    case CR_REPORT_HTML:
      return render_html (facts);
    }
  g_return_val_if_reached (NULL);
}
