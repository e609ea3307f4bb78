/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-case-number.c: cr_case_number_canonicalize() on any bytes. Beyond
 * what ASan and UBSan catch, it checks what the index relies on:
 *   - a result or an error, never both, never neither; the error in the
 *     case-number domain with a UTF-8 message;
 *   - a canonical form matches the form of case-number.h, written here
 *     once more as a regular expression, independent of the scanner;
 *   - the canonical form is a fixed point, and the typings people use
 *     (half-width brackets, full-width digits, spaces around) of it give
 *     it back: a session is found by any typing of its number. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz-log.h"
#include "archive/case-number.h"

#define PROVINCES "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼兵"
#define HAN "\\x{4e00}-\\x{9fff}\\x{3400}-\\x{4dbf}\\x{20000}-\\x{2a6df}" \
            "\\x{2a700}-\\x{2ebef}\\x{30000}-\\x{323af}"
/* （year） court type serial 号; [0-9] rather than \d, which GRegex takes
 * as any Unicode digit. */
#define CANONICAL_FORM \
  "^（([0-9]{4})）(?:最高法|[" PROVINCES "](?:[0-9]{2}|[0-9]{4})?)" \
  "(?:(?!号)[" HAN "]){1,4}[1-9][0-9]{0,5}号$"

static GRegex *canonical_form;


int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  canonical_form = g_regex_new (CANONICAL_FORM, G_REGEX_OPTIMIZE, 0, &error);
  if (canonical_form == NULL)
    {
      fprintf (stderr, "fuzz-case-number: %s\n", error->message);
      abort ();
    }
  return 0;
}

/* @canonical with each of @from's characters replaced by @to's. */
static char *
replace (const char *canonical, const char *from, const char *to)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (const char *p = canonical; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      const char *f = from, *t = to;

      while (*f != '\0' && g_utf8_get_char (f) != c)
        {
          f = g_utf8_next_char (f);
          t = g_utf8_next_char (t);
        }
      if (*f != '\0')
        g_string_append_unichar (out, g_utf8_get_char (t));
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
check_typing (const char *canonical, const char *typing)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *again = cr_case_number_canonicalize (typing, &error);

  CHECK (again != NULL, "'%s' (a typing of '%s') refused: %s", typing,
         canonical, error->message);
  CHECK (strcmp (again, canonical) == 0, "'%s' gives '%s', not '%s'", typing,
         again, canonical);
}

static void
check_canonical (const char *input, const char *canonical)
{
  g_autoptr (GMatchInfo) match = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *year = NULL;
  g_autofree char *half_width = NULL;
  g_autofree char *full_width = NULL;
  g_autofree char *spaced = NULL;
  int value;

  CHECK (g_utf8_validate (canonical, -1, NULL), "'%s' gives bytes that are not UTF-8",
         input);
  CHECK (g_regex_match (canonical_form, canonical, 0, &match),
         "'%s' gives '%s', not of the canonical form", input, canonical);
  year = g_match_info_fetch (match, 1);
  value = atoi (year);
  CHECK (value >= 1950 && value <= g_date_time_get_year (now) + 1,
         "'%s' gives '%s', a year out of range", input, canonical);

  check_typing (canonical, canonical);
  half_width = replace (canonical, "（）", "()");
  check_typing (canonical, half_width);
  full_width = replace (canonical, "0123456789", "０１２３４５６７８９");
  check_typing (canonical, full_width);
  spaced = g_strconcat (" \t　", canonical, "\u00a0 ", NULL);
  check_typing (canonical, spaced);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* The parser takes a C string: the input up to its first NUL. */
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autofree char *canonical = cr_case_number_canonicalize (input, &error);

  CHECK ((canonical == NULL) != (error == NULL),
         "a result and an error must not come together, nor be both missing");
  if (canonical == NULL)
    {
      CHECK (g_error_matches (error, CR_CASE_NUMBER_ERROR, CR_CASE_NUMBER_ERROR_INVALID),
             "error %s:%d", g_quark_to_string (error->domain), error->code);
      CHECK (g_utf8_validate (error->message, -1, NULL),
             "the message is not UTF-8");
      return 0;
    }
  check_canonical (input, canonical);
  return 0;
}
