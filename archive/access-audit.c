/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-audit.c: see access-audit.h. An access event's detail is JSON
 * (event-kind.h gives each kind's members); the members every kind shares
 * (request, grant, publication; by or address; bytes) become columns, the
 * rest stays in the detail, so nothing the chain holds is left out. A
 * detail that is not JSON (written by hand, or by a newer program) is
 * shown as it is. */
#include "archive/access-audit.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/utc.h"

void
cr_access_audit_row_free (CrAccessAuditRow *row)
{
  if (row == NULL)
    return;
  g_free (row->kind_name);
  g_free (row->subject);
  g_free (row->who);
  g_free (row->detail);
  g_free (row);
}

/* A member's value as text: a string as it is, anything else as JSON. */
static char *
member_text (JsonNode *node)
{
  g_autofree char *text = JSON_NODE_HOLDS_VALUE (node) &&
                          json_node_get_value_type (node) == G_TYPE_STRING
                          ? g_strdup (json_node_get_string (node)) : json_to_string (node, FALSE);

  return g_utf8_make_valid (text, -1);
}

/* @name is in @object, not null and not "". */
static gboolean
present (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  return !(JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
           *json_node_get_string (node) == '\0');
}

static const char *const subject_members[] = { "request", "grant", "publication", NULL };

CrAccessAuditRow *
cr_access_audit_row_new (const CrEventRecord *event)
{
  CrAccessAuditRow *row = g_new0 (CrAccessAuditRow, 1);
  g_autoptr (JsonNode) holder = event->detail != NULL ? json_from_string (event->detail, NULL)
                                                      : NULL;
  g_autoptr (GString) subject = g_string_new (NULL);
  g_autoptr (GString) detail = g_string_new (NULL);
  g_autoptr (GList) members = NULL;
  JsonObject *object;
  JsonNode *node;

  row->event_id = event->id;
  row->session_id = event->session_id;
  row->at_us = event->at_us;
  row->kind = event->kind;
  /* The index's text is UTF-8 unless someone wrote it by hand: the rows
   * are, whatever it holds, for the documents made of them. */
  row->kind_name = g_utf8_make_valid (event->kind_name != NULL ? event->kind_name : "?", -1);
  row->bytes = -1;
  if (holder == NULL || !JSON_NODE_HOLDS_OBJECT (holder))
    {
      row->detail = g_utf8_make_valid (event->detail != NULL ? event->detail : "", -1);
      return row;
    }
  object = json_node_get_object (holder);

  for (guint i = 0; subject_members[i] != NULL; i++)
    if ((node = json_object_get_member (object, subject_members[i])) != NULL &&
        !JSON_NODE_HOLDS_NULL (node))
      {
        g_autofree char *value = member_text (node);
        g_string_append_printf (subject, "%s%s %s", subject->len > 0 ? ", " : "",
                                subject_members[i], value);
      }
  row->subject = subject->len > 0 ? g_utf8_make_valid (subject->str, -1) : NULL;

  /* The account that acted, else where the party came from (a request
   * from the public form has no account: "by" is empty). */
  if (present (object, "by"))
    row->who = member_text (json_object_get_member (object, "by"));
  else if (present (object, "address"))
    row->who = member_text (json_object_get_member (object, "address"));

  if ((node = json_object_get_member (object, "bytes")) != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64)
    row->bytes = json_node_get_int (node);

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      g_autofree char *value = NULL;

      /* "by" is the who, or empty; "address" is the who unless there is
       * an account, or empty. */
      if (g_strv_contains (subject_members, name) ||
          (g_str_equal (name, "bytes") && row->bytes >= 0) || g_str_equal (name, "by") ||
          (g_str_equal (name, "address") && (!present (object, "by") ||
                                             !present (object, "address"))))
        continue;
      value = member_text (json_object_get_member (object, name));
      g_string_append_printf (detail, "%s%s: %s", detail->len > 0 ? "; " : "", name, value);
    }
  row->detail = g_utf8_make_valid (detail->str, -1);
  return row;
}

GPtrArray *
cr_access_audit_rows (GPtrArray *events)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_access_audit_row_free);

  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      if (cr_event_kind_get_class (event->kind) == CR_EVENT_CLASS_ACCESS)
        g_ptr_array_add (rows, cr_access_audit_row_new (event));
    }
  return rows;
}

static gint
oldest_first (gconstpointer a, gconstpointer b)
{
  const CrAccessAuditRow *x = *(CrAccessAuditRow *const *) a;
  const CrAccessAuditRow *y = *(CrAccessAuditRow *const *) b;

  if (x->at_us != y->at_us)
    return x->at_us < y->at_us ? -1 : 1;
  if (x->session_id != y->session_id)
    return x->session_id < y->session_id ? -1 : 1;
  return (x->event_id > y->event_id) - (x->event_id < y->event_id);
}

GPtrArray *
cr_access_audit_collect (CrSegmentIndex *index, const char *case_no, GError **error)
{
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) rows = NULL;

  g_return_val_if_fail (case_no != NULL, NULL);

  sessions = cr_segment_index_list_sessions (index, case_no, error);
  if (sessions == NULL)
    return NULL;
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_access_audit_row_free);
  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      g_autoptr (GPtrArray) events = cr_segment_index_list_events (index, session->id, error);
      g_autoptr (GPtrArray) session_rows = NULL;

      if (events == NULL)
        return NULL;
      session_rows = cr_access_audit_rows (events);
      /* The rows move; the array that held them frees nothing. */
      g_ptr_array_set_free_func (session_rows, NULL);
      for (guint r = 0; r < session_rows->len; r++)
        g_ptr_array_add (rows, g_ptr_array_index (session_rows, r));
    }
  g_ptr_array_sort (rows, oldest_first);
  return g_steal_pointer (&rows);
}

/* --- CSV -------------------------------------------------------------------- */

/* A comma, a quote, a line end or a control character: quoted (and the
 * controls replaced). */
static gboolean
needs_quotes (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c == ',' || c == '"' || g_unichar_iscntrl (c))
        return TRUE;
    }
  return FALSE;
}

static void
csv_field (GString *out, const char *field, gboolean first)
{
  g_autofree char *text = g_utf8_make_valid (field, -1);
  gboolean formula = text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                     text[0] == '\t' || text[0] == '\r';

  if (!first)
    g_string_append_c (out, ',');
  if (!needs_quotes (text) && !formula)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  /* An apostrophe first: Excel and LibreOffice show it as text rather than
   * run a party's name "=HYPERLINK(...)" as a formula. */
  if (formula)
    g_string_append_c (out, '\'');
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '"')
        g_string_append (out, "\"\"");
      else if (c == '\r' && p[1] == '\n')
        continue;
      else if (c == '\r')
        g_string_append_c (out, '\n');
      else if (c == '\n' || c == '\t' || !g_unichar_iscntrl (c))
        g_string_append_unichar (out, c);
      else
        /* A control character would act on the terminal the file is
         * shown on; what it was is in the index. */
        g_string_append_unichar (out, 0xFFFD);
    }
  g_string_append_c (out, '"');
}

static const char *const csv_header[] = {
  "time_utc", "session", "kind", "grant_or_request", "who_or_address", "bytes", "detail", NULL
};

char *
cr_access_audit_to_csv (GPtrArray *rows)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; csv_header[i] != NULL; i++)
    csv_field (out, csv_header[i], i == 0);
  g_string_append (out, "\r\n");
  for (guint i = 0; i < rows->len; i++)
    {
      CrAccessAuditRow *row = g_ptr_array_index (rows, i);
      g_autofree char *at = cr_format_utc (row->at_us);
      g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, row->session_id);
      g_autofree char *bytes = row->bytes >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, row->bytes)
                                               : g_strdup ("");

      csv_field (out, at, TRUE);
      csv_field (out, session, FALSE);
      csv_field (out, row->kind_name, FALSE);
      csv_field (out, row->subject != NULL ? row->subject : "", FALSE);
      csv_field (out, row->who != NULL ? row->who : "", FALSE);
      csv_field (out, bytes, FALSE);
      csv_field (out, row->detail, FALSE);
      g_string_append (out, "\r\n");
    }
  return g_string_free (out, FALSE);
}

/* --- HTML ------------------------------------------------------------------- */

static void
html_text (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);
  g_string_append (out, escaped);
}

static void
html_cell (GString *out, const char *text)
{
  g_string_append (out, "<td>");
  html_text (out, text);
  g_string_append (out, "</td>");
}

/* What each kind is, in the words of the page. */
static const char *
kind_words (CrEventKind kind)
{
  switch (kind)
    {
    case CR_EVENT_ACCESS_REQUESTED: return "申请 requested";
    case CR_EVENT_ACCESS_GRANTED: return "批准 granted";
    case CR_EVENT_ACCESS_REFUSED: return "驳回 refused";
    case CR_EVENT_ACCESS_REVOKED: return "撤销 revoked";
    case CR_EVENT_ACCESS_CODE_USED: return "凭码登录 code used";
    case CR_EVENT_ACCESS_CODE_WRONG: return "验证失败 wrong code";
    case CR_EVENT_PLAYBACK_START: return "开始播放 playback start";
    case CR_EVENT_PLAYBACK_END: return "结束播放 playback end";
    case CR_EVENT_DOWNLOAD: return "下载 download";
    case CR_EVENT_COPY_RENDERED: return "生成副本 copy rendered";
    case CR_EVENT_PUBLISHED: return "公开 published";
    case CR_EVENT_WITHDRAWN: return "撤回 withdrawn";
    default: return NULL;
    }
}

static const char html_style[] =
  "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;font-size:10pt;"
  "margin:2em auto;max-width:70em;color:#000;background:#fff}"
  "h1{font-size:15pt;text-align:center;margin-bottom:.2em}"
  "p.court{text-align:center;margin-top:0}"
  "table{border-collapse:collapse;width:100%}"
  "th,td{border:1px solid #888;padding:.2em .4em;text-align:left;vertical-align:top;"
  "white-space:pre-wrap;word-break:break-word}"
  "th{background:#eee}"
  ".none,.note{color:#555}"
  "@media print{body{margin:0;max-width:none}tr{page-break-inside:avoid}}";

char *
cr_access_audit_to_html (GPtrArray *rows, const char *court, const char *case_no)
{
  GString *out = g_string_new (NULL);
  g_autofree char *generated = cr_format_utc (g_get_real_time ());

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
                        "<meta charset=\"utf-8\">\n<title>查阅记录 ");
  html_text (out, case_no);
  g_string_append_printf (out, "</title>\n<style>%s</style>\n</head>\n<body>\n", html_style);
  g_string_append (out, "<h1>庭审录像查阅记录<br>Access log of the recordings</h1>\n"
                        "<p class=\"court\">");
  html_text (out, court);
  g_string_append (out, "<br>案号 Case: ");
  html_text (out, case_no);
  g_string_append_printf (out, "<br>%u 条 entries; 生成于 generated %s (UTC)</p>\n", rows->len,
                          generated);
  if (rows->len == 0)
    {
      g_string_append (out, "<p class=\"none\">无记录 No access recorded.</p>\n"
                            "</body>\n</html>\n");
      return g_string_free (out, FALSE);
    }
  g_string_append (out, "<table>\n<tr><th>时间 Time (UTC)</th><th>庭次 Session</th>"
                        "<th>事项 Kind</th><th>申请/授权 Grant or request</th>"
                        "<th>人员/地址 Who or address</th><th>字节 Bytes</th>"
                        "<th>详情 Detail</th></tr>\n");
  for (guint i = 0; i < rows->len; i++)
    {
      CrAccessAuditRow *row = g_ptr_array_index (rows, i);
      g_autofree char *at = cr_format_utc (row->at_us);
      g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, row->session_id);
      g_autofree char *bytes = row->bytes >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, row->bytes)
                                               : g_strdup ("");
      const char *words = kind_words (row->kind);

      g_string_append (out, "<tr>");
      html_cell (out, at);
      html_cell (out, session);
      html_cell (out, words != NULL ? words : row->kind_name);
      html_cell (out, row->subject);
      html_cell (out, row->who);
      html_cell (out, bytes);
      html_cell (out, row->detail);
      g_string_append (out, "</tr>\n");
    }
  /* What the page is worth: each row is a link of its session's chain,
   * which the sealed head and verify stand behind. */
  g_string_append (out, "</table>\n<p class=\"note\">每条记录均已写入该庭次的完整性校验链；"
                        "核验：courtrec verify --case 案号。<br>Each entry is an event in its "
                        "session's integrity chain; check them with courtrec verify --case "
                        "CASE.</p>\n</body>\n</html>\n");
  return g_string_free (out, FALSE);
}

/* --- JSON ------------------------------------------------------------------- */

char *
cr_access_audit_to_json (GPtrArray *rows)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      CrAccessAuditRow *row = g_ptr_array_index (rows, i);
      g_autofree char *at = cr_format_utc (row->at_us);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "time");
      json_builder_add_string_value (builder, at);
      json_builder_set_member_name (builder, "session");
      json_builder_add_int_value (builder, row->session_id);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, row->kind_name);
      json_builder_set_member_name (builder, "subject");
      if (row->subject != NULL)
        json_builder_add_string_value (builder, row->subject);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "who");
      if (row->who != NULL)
        json_builder_add_string_value (builder, row->who);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "bytes");
      if (row->bytes >= 0)
        json_builder_add_int_value (builder, row->bytes);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "detail");
      json_builder_add_string_value (builder, row->detail);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

void
cr_access_audit_csv_field (GString *out, const char *field, gboolean first)
{
  csv_field (out, field != NULL ? field : "", first);
}
