/* report.c: see report.h. A placeholder until the report is written: it
 * names the session and says the full report is not available yet. */
#include "archive/report.h"

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

char *
cr_report_render (CrSegmentIndex *index, const CrConfig *config,
                  gint64 session_id, CrReportFormat format, GError **error)
{
  g_autoptr (CrSessionRecord) session = cr_segment_index_get_session (index, session_id,
                                                                      error);
  if (session == NULL)
    return NULL;
  return g_strdup_printf ("%s %s\nsession %" G_GINT64_FORMAT " of %s\n", config->court,
                          config->room_name, session->id, session->case_no);
}
