/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-case-number.c: the case number (案号) canonical form, row by row
 * against tests/fixtures/case-numbers.tsv, plus what the table cannot say. */
#include <glib.h>
#include <locale.h>
#include <string.h>

#include "archive/case-number.h"

typedef struct {
  guint line;
  char *input;
  char *canonical;   /* NULL when the row is an error */
  char *reason;      /* words the error message must contain */
} FixtureRow;

static void
fixture_row_free (gpointer data)
{
  FixtureRow *row = data;

  g_free (row->input);
  g_free (row->canonical);
  g_free (row->reason);
  g_free (row);
}

/* Every row of the fixture; filled in main before the tests run. */
static GPtrArray *rows;

static char *
fixture_path (void)
{
  const char *top = g_getenv ("CR_TOP");

  return g_build_filename (top != NULL ? top : ".", "tests", "fixtures",
                           "case-numbers.tsv", NULL);
}

static GPtrArray *
load_fixture (void)
{
  g_autofree char *path = fixture_path ();
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *loaded = g_ptr_array_new_with_free_func (fixture_row_free);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;
      FixtureRow *row;

      /* An empty input is a row (a line starting with TAB); only a
       * completely empty line is not. */
      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      fields = g_strsplit (lines[i], "\t", -1);
      row = g_new0 (FixtureRow, 1);
      row->line = i + 1;
      row->input = g_strdup (fields[0]);
      if (g_strv_length (fields) == 3 && strcmp (fields[1], "ERROR") == 0)
        row->reason = g_strdup (fields[2]);
      else if (g_strv_length (fields) == 2)
        row->canonical = g_strdup (fields[1]);
      else
        g_error ("%s:%u: expected input TAB canonical, or input TAB ERROR "
                 "TAB reason", path, i + 1);
      g_ptr_array_add (loaded, row);
    }
  return loaded;
}

static void
test_fixture_row (gconstpointer data)
{
  const FixtureRow *row = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *canonical = cr_case_number_canonicalize (row->input, &error);

  if (row->canonical != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (canonical, ==, row->canonical);
      return;
    }
  g_assert_null (canonical);
  g_assert_error (error, CR_CASE_NUMBER_ERROR, CR_CASE_NUMBER_ERROR_INVALID);
  g_test_message ("%s", error->message);
  if (strstr (error->message, row->reason) == NULL)
    g_error ("line %u: message \"%s\" does not say \"%s\"", row->line,
             error->message, row->reason);
  /* The user sees what they typed, to find the mistake in it. */
  {
    g_autofree char *quoted = g_strdup_printf ("'%s'", row->input);
    g_assert_nonnull (strstr (error->message, quoted));
  }
}

/* The index compares canonical forms: canonicalizing one must not change
 * it, or the same case would be stored under two numbers. */
static void
test_idempotent (void)
{
  g_assert_cmpuint (rows->len, >, 0);
  for (guint i = 0; i < rows->len; i++)
    {
      const FixtureRow *row = g_ptr_array_index (rows, i);
      g_autoptr (GError) error = NULL;
      g_autofree char *again = NULL;

      if (row->canonical == NULL)
        continue;
      again = cr_case_number_canonicalize (row->canonical, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (again, ==, row->canonical);
    }
}

static void
assert_canonical (const char *input, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *canonical = cr_case_number_canonicalize (input, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (canonical, ==, expected);
}

static void
assert_invalid (const char *input, const char *reason)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *canonical = cr_case_number_canonicalize (input, &error);

  g_assert_null (canonical);
  g_assert_error (error, CR_CASE_NUMBER_ERROR, CR_CASE_NUMBER_ERROR_INVALID);
  g_test_message ("%s", error->message);
  if (strstr (error->message, reason) == NULL)
    g_error ("message \"%s\" does not say \"%s\"", error->message, reason);
}

static void
test_invalid_utf8 (void)
{
  assert_invalid ("（2026）浙1022民初123\xff号", "not valid UTF-8");
  /* A truncated three-byte sequence: the 号 cut short. */
  assert_invalid ("（2026）浙1022民初123\xe5\x8f", "not valid UTF-8");
  /* An overlong "(" must not slip through as a bracket. */
  assert_invalid ("\xc0\xa8" "2026)浙1022民初123号", "not valid UTF-8");
}

static void
test_spaces_and_widths (void)
{
  /* Ideographic space, tabs, no-break space (pasted from a web page),
   * full-width digits everywhere, mixed bracket widths. */
  assert_canonical ("\u3000（２０２６）\u3000浙\u3000１０２２民初\t１２３号\u3000",
                    "（2026）浙1022民初123号");
  assert_canonical ("(2026）浙1022民初123号", "（2026）浙1022民初123号");
  assert_canonical ("（2026)浙1022民初\u00a0123号", "（2026）浙1022民初123号");
  assert_canonical ("（2026）浙 1022 民初 123 号", "（2026）浙1022民初123号");
}

static void
test_court_codes (void)
{
  assert_canonical ("（2026）兵0101民初7号", "（2026）兵0101民初7号");
  assert_canonical ("（2026）琼民终7号", "（2026）琼民终7号");
  assert_canonical ("（2026）最高法刑核7号", "（2026）最高法刑核7号");
  assert_invalid ("（2026）最高法12民终7号", "最高法 takes no court digits");
  assert_invalid ("（2026）台1022民初7号", "is not a court code");
  assert_invalid ("（2026）浙1民初7号", "court digits must be 2 or 4");
  assert_invalid ("（2026）浙102233民初7号", "court digits must be 2 or 4");
}

static void
test_parts_out_of_range (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int year = g_date_time_get_year (now);
  g_autofree char *next_year = g_strdup_printf ("（%d）浙1022民初1号", year + 1);
  g_autofree char *too_late = g_strdup_printf ("（%d）浙1022民初1号", year + 2);

  /* Numbers for next year's cases are issued in the last days of this one. */
  assert_canonical (next_year, next_year);
  assert_invalid (too_late, "year after");
  assert_canonical ("（1950）浙1022民初1号", "（1950）浙1022民初1号");
  assert_invalid ("（12026）浙1022民初1号", "year is not four digits");
  assert_canonical ("（2026）浙1022民初999999号", "（2026）浙1022民初999999号");
  assert_canonical ("（2026）浙1022民初000999999号", "（2026）浙1022民初999999号");
  assert_invalid ("（2026）浙1022民初1000000号", "more than 6 digits");
  assert_canonical ("（2026）浙1022执恢监督1号", "（2026）浙1022执恢监督1号");
  assert_invalid ("（2026）浙1022执恢监督审1号", "longer than 4 characters");
  assert_invalid ("（2026）浙1022民初0000号", "serial number must be 1 or more");
}

static void
test_malformed (void)
{
  assert_invalid ("   ", "empty");
  assert_invalid ("\u3000", "empty");
  assert_invalid ("【2026】浙1022民初123号", "brackets must be round");
  assert_invalid ("（2026]浙1022民初123号", "brackets must be round");
  assert_invalid ("（2026浙1022民初123号", "no closing bracket");
  assert_invalid ("（2026）浙1022民初123号之一", "text after 号");
  assert_invalid ("（2026）浙1022民初12a号", "'a' after the serial number");
  assert_invalid ("（2026）浙1022民初x号", "'x' where the serial number");
  assert_invalid ("（2026）", "no court code");
}

int
main (int argc, char **argv)
{
  int status;

  /* So that messages with Chinese text print as such, not as '?'. */
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  rows = load_fixture ();

  for (guint i = 0; i < rows->len; i++)
    {
      const FixtureRow *row = g_ptr_array_index (rows, i);
      g_autofree char *name = g_strdup_printf ("/courtrec/case-number/fixture/line-%u",
                                               row->line);
      g_test_add_data_func (name, row, test_fixture_row);
    }
  g_test_add_func ("/courtrec/case-number/idempotent", test_idempotent);
  g_test_add_func ("/courtrec/case-number/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/courtrec/case-number/spaces-and-widths", test_spaces_and_widths);
  g_test_add_func ("/courtrec/case-number/court-codes", test_court_codes);
  g_test_add_func ("/courtrec/case-number/out-of-range", test_parts_out_of_range);
  g_test_add_func ("/courtrec/case-number/malformed", test_malformed);

  status = g_test_run ();
  g_ptr_array_unref (rows);
  return status;
}
