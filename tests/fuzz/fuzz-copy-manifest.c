/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-copy-manifest.c: what a party hands back, on any bytes: a copy's
 * manifest (cr_copy_manifest_from_json) and an access event's detail as
 * the audit trail reads it (cr_access_audit_row_new, CSV and HTML).
 * Beyond what ASan and UBSan catch, it checks:
 *   - a manifest or an error, never both, never neither; the error in the
 *     copy-manifest domain with a UTF-8 message;
 *   - a manifest read back is written again (cr_copy_manifest_to_json)
 *     or refused with an error, and what is written reads back and writes
 *     the same bytes: the signed form is a fixed point;
 *   - the audit's CSV is UTF-8 with its quotes paired and every record
 *     ended by CRLF outside quotes; its page is UTF-8 and the detail
 *     brings no markup into it;
 *   - the same bytes as a session's manifest back from the court archive
 *     (cr_archive_manifest_parse): records or a problem, never both, never
 *     neither; records are judged (their chain, ledger and seal, every
 *     object missing) into a report of one session whose every problem has
 *     a UTF-8 message. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz-log.h"
#include "archive/access-audit.h"
#include "archive/copy-manifest.h"
#include "archive/verify-private.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  return 0;
}

static void
check_manifest (const char *text, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrCopyManifest) m = cr_copy_manifest_from_json (text, size, &error);
  g_autofree char *written = NULL;
  g_autofree char *again = NULL;
  g_autoptr (CrCopyManifest) back = NULL;

  CHECK ((m == NULL) != (error == NULL), "a manifest or an error");
  if (m == NULL)
    {
      CHECK (error->domain == CR_COPY_MANIFEST_ERROR, "in its domain");
      CHECK (g_utf8_validate (error->message, -1, NULL), "a UTF-8 message");
      return;
    }
  written = cr_copy_manifest_to_json (m, &error);
  if (written == NULL)
    {
      CHECK (g_error_matches (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID),
             "refused as invalid");
      return;
    }
  back = cr_copy_manifest_from_json (written, strlen (written), &error);
  CHECK (back != NULL, "what is written reads back: %s", error->message);
  again = cr_copy_manifest_to_json (back, &error);
  CHECK (again != NULL && g_str_equal (written, again), "a fixed point");
}

static void
check_audit (const char *text)
{
  CrEventRecord event = { .id = 1, .session_id = 2, .sequence = 3, .at_us = 1764700000000000,
                          .kind = CR_EVENT_DOWNLOAD, .kind_name = (char *) "download",
                          .detail = (char *) text };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (
      (GDestroyNotify) cr_access_audit_row_free);
  g_autofree char *csv = NULL;
  g_autofree char *html = NULL;
  gboolean quoted = FALSE;
  guint records = 0;

  g_ptr_array_add (rows, cr_access_audit_row_new (&event));
  csv = cr_access_audit_to_csv (rows);
  CHECK (g_utf8_validate (csv, -1, NULL), "CSV in UTF-8");
  for (const char *p = csv; *p != '\0'; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else if (!quoted && *p == '\r')
        {
          CHECK (p[1] == '\n', "CR only before LF outside quotes");
          records++;
        }
      else if (!quoted && *p == '\n')
        CHECK (p > csv && p[-1] == '\r', "records end with CRLF");
    }
  CHECK (!quoted, "quotes paired");
  CHECK (records == 2, "a header and one record, not %u", records);

  html = cr_access_audit_to_html (rows, "court", "case");
  CHECK (g_utf8_validate (html, -1, NULL), "the page in UTF-8");
  CHECK (strstr (html, "<script") == NULL, "no markup from the detail");
  {
    /* Every '<' on the page is one of its own tags. */
    guint tags = 0;
    for (const char *p = strstr (html, "<tr><td>"); p != NULL && *p != '\0'; p++)
      if (*p == '<')
        tags++;
    /* <tr>, 7 × (<td>, </td>), </tr>, </table>, the note's <p>, <br>,
     * </p>, </body>, </html> */
    CHECK (tags == 1 + 14 + 1 + 6, "%u tags in the row and after it", tags);
  }
}

static void
check_session_manifest (const char *text, size_t size)
{
  g_autoptr (SessionCheck) check = g_new0 (SessionCheck, 1);
  g_autoptr (CrVerifyReport) report = NULL;
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  g_autofree char *problem = NULL;

  check->archive_copy = TRUE;
  if (!cr_archive_manifest_parse (text, (gssize) size, check, &problem))
    {
      g_assert_nonnull (problem);
      g_assert_true (g_utf8_validate (problem, -1, NULL));
      return;
    }
  g_assert_null (problem);
  report = cr_verify_report_new ();
  cr_verify_summarize (report, check);
  cr_verify_check_chain (check);
  for (guint i = 0; i < check->checks->len; i++)
    ((RowCheck *) g_ptr_array_index (check->checks, i))->file_missing = TRUE;
  cr_verify_judge_session (report, check, none, NULL);
  g_assert_cmpuint (report->sessions->len, ==, 1);
  for (guint i = 0; i < report->problems->len; i++)
    {
      const CrVerifyProblem *found = g_ptr_array_index (report->problems, i);
      g_assert_nonnull (found->message);
      g_assert_true (g_utf8_validate (found->message, -1, NULL));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);

  check_manifest ((const char *) data, size);
  check_audit (text);
  check_session_manifest ((const char *) data, size);
  return 0;
}
