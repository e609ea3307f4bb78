/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report-access.c: the hearing report's "Access" section: every request
 * for the session's recording, the decision on it, each use of a grant
 * (code used or wrong, playback, download with its bytes), each copy
 * rendered and each publication, as the chain holds them (access-audit.h
 * reads the rows; here they are written out in the report's formats). */
#include "archive/report-private.h"

#include "archive/access-audit.h"
#include "archive/json-members.h"
#include "archive/utc.h"

#define TITLE "Access 查阅、复制及公开记录"

/* "12345" or "-". (transfer full) */
static char *
bytes_text (const CrAccessAuditRow *row)
{
  return row->bytes >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, row->bytes) : g_strdup ("-");
}

void
cr_report_access_text (GString *out, const CrReportFacts *facts)
{
  g_string_append_printf (out, "\nACCESS 查阅、复制及公开记录 (%u)\n", facts->access->len);
  if (facts->access->len == 0)
    g_string_append (out, "  none\n");
  for (guint i = 0; i < facts->access->len; i++)
    {
      CrAccessAuditRow *row = g_ptr_array_index (facts->access, i);
      g_autofree char *at = cr_format_utc (row->at_us);
      g_autofree char *bytes = bytes_text (row);

      g_string_append_printf (out, "  %s  %s  %s  %s  bytes %s%s%s\n", at, row->kind_name,
                              row->subject != NULL ? row->subject : "-",
                              row->who != NULL ? row->who : "-", bytes,
                              *row->detail != '\0' ? "  " : "", row->detail);
    }
}

void
cr_report_access_json (JsonBuilder *builder, const CrReportFacts *facts)
{
  json_builder_set_member_name (builder, "access");
  json_builder_begin_array (builder);
  for (guint i = 0; i < facts->access->len; i++)
    {
      CrAccessAuditRow *row = g_ptr_array_index (facts->access, i);
      g_autofree char *at = cr_format_utc (row->at_us);

      json_builder_begin_object (builder);
      cr_json_add_text (builder, "time", at);
      cr_json_add_text (builder, "kind", row->kind_name);
      cr_json_add_text (builder, "subject", row->subject);
      cr_json_add_text (builder, "who", row->who);
      json_builder_set_member_name (builder, "bytes");
      if (row->bytes >= 0)
        json_builder_add_int_value (builder, row->bytes);
      else
        json_builder_add_null_value (builder);
      cr_json_add_text (builder, "detail", row->detail);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
html_cell (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "-", -1);

  g_string_append_printf (out, "<td>%s</td>", escaped);
}

void
cr_report_access_html (GString *out, const CrReportFacts *facts)
{
  g_string_append_printf (out, "<h2>%s (%u)</h2>\n", TITLE, facts->access->len);
  if (facts->access->len == 0)
    {
      g_string_append (out, "<p class=\"none\">none</p>\n");
      return;
    }
  g_string_append (out, "<table>\n<tr><th>Time (UTC)</th><th>Kind</th><th>Grant or request</th>"
                        "<th>Who or address</th><th>Bytes</th><th>Detail</th></tr>\n");
  for (guint i = 0; i < facts->access->len; i++)
    {
      CrAccessAuditRow *row = g_ptr_array_index (facts->access, i);
      g_autofree char *at = cr_format_utc (row->at_us);
      g_autofree char *bytes = bytes_text (row);

      g_string_append (out, "<tr>");
      html_cell (out, at);
      html_cell (out, row->kind_name);
      html_cell (out, row->subject);
      html_cell (out, row->who);
      html_cell (out, bytes);
      html_cell (out, row->detail);
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</table>\n");
}
