/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* case-number.c: see case-number.h.
 *
 * The form, from the SPC rules on case numbering:
 *   （year） court-code case-type-code serial 号
 * court code: 最高法, or a province abbreviation followed by 0, 2 or 4 digits
 * (higher, intermediate, basic court); case-type code: 1 to 4 Han
 * characters. The scanner walks the text one character (gunichar) at a time,
 * skipping stray spaces between the parts, and stops at the first thing that
 * does not fit, saying what it is. */
#include "archive/case-number.h"

#include <string.h>

G_DEFINE_QUARK (cr-case-number-error-quark, cr_case_number_error)

#define EXAMPLE "（2026）浙1022民初123号"
#define FIRST_YEAR 1950
#define MAX_TYPE_CHARS 4
#define MAX_SERIAL_DIGITS 6

/* The 31 mainland provinces, plus 兵 for the Xinjiang Production and
 * Construction Corps courts. */
static const char provinces[] =
  "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼兵";

static const char supreme_court[] = "最高法";

static gboolean
is_space (gunichar c)
{
  return c == ' ' || c == '\t' || c == 0x3000 /* ideographic space */ ||
         c == 0x00a0 /* no-break space, from pasted web text */;
}

/* ASCII 0-9 and full-width ０-９; -1 for anything else. */
static int
digit_value (gunichar c)
{
  if (c >= '0' && c <= '9')
    return (int) (c - '0');
  if (c >= 0xff10 && c <= 0xff19)
    return (int) (c - 0xff10);
  return -1;
}

/* CJK Unified Ideographs and their extensions A to H. */
static gboolean
is_han (gunichar c)
{
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
         (c >= 0x20000 && c <= 0x2a6df) || (c >= 0x2a700 && c <= 0x2ebef) ||
         (c >= 0x30000 && c <= 0x323af);
}

static gboolean
is_open_round (gunichar c)
{
  return c == '(' || c == 0xff08;
}

static gboolean
is_close_round (gunichar c)
{
  return c == ')' || c == 0xff09;
}

/* Brackets people use by mistake for the year: [] ［］ 〔〕 【】 〖〗 {} ｛｝
 * 〈〉 《》. 〔〕 is right in document numbers (法释〔2017〕5号), which is
 * why it turns up in case numbers. */
static gboolean
is_other_open_bracket (gunichar c)
{
  return c == '[' || c == 0xff3b || c == 0x3014 || c == 0x3010 ||
         c == 0x3016 || c == '{' || c == 0xff5b || c == 0x3008 || c == 0x300a;
}

static gboolean
is_other_close_bracket (gunichar c)
{
  return c == ']' || c == 0xff3d || c == 0x3015 || c == 0x3011 ||
         c == 0x3017 || c == '}' || c == 0xff5d || c == 0x3009 || c == 0x300b;
}

static gboolean
is_province (gunichar c)
{
  for (const char *p = provinces; *p != '\0'; p = g_utf8_next_char (p))
    if (g_utf8_get_char (p) == c)
      return TRUE;
  return FALSE;
}

typedef struct {
  const char *text;   /* the whole input, for messages */
  const char *at;     /* the next character */
} Scanner;

static gunichar
peek (const Scanner *scanner)
{
  return g_utf8_get_char (scanner->at);
}

static gboolean
at_end (const Scanner *scanner)
{
  return *scanner->at == '\0';
}

static void
advance (Scanner *scanner)
{
  if (!at_end (scanner))
    scanner->at = g_utf8_next_char (scanner->at);
}

static void
skip_spaces (Scanner *scanner)
{
  while (!at_end (scanner) && is_space (peek (scanner)))
    advance (scanner);
}

/* Appends the run of digits at the cursor to @out as ASCII; returns how
 * many there were. */
static guint
read_digits (Scanner *scanner, GString *out)
{
  guint count = 0;
  int value;

  while (!at_end (scanner) && (value = digit_value (peek (scanner))) >= 0)
    {
      g_string_append_c (out, (char) ('0' + value));
      advance (scanner);
      count++;
    }
  return count;
}

/* Consumes @word if the text continues with it, compared character by
 * character. */
static gboolean
read_word (Scanner *scanner, const char *word)
{
  const char *p = scanner->at;

  for (const char *w = word; *w != '\0'; w = g_utf8_next_char (w))
    {
      if (*p == '\0' || g_utf8_get_char (p) != g_utf8_get_char (w))
        return FALSE;
      p = g_utf8_next_char (p);
    }
  scanner->at = p;
  return TRUE;
}

static gboolean
has_han (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (is_han (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

static char *
describe_char (gunichar c)
{
  char buffer[8] = { 0 };

  g_unichar_to_utf8 (c, buffer);
  return g_strdup (buffer);
}

static gboolean invalid (const Scanner *scanner, GError **error,
                         const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (const Scanner *scanner, GError **error, const char *format, ...)
{
  g_autofree char *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CR_CASE_NUMBER_ERROR, CR_CASE_NUMBER_ERROR_INVALID,
               "'%s' is not a valid case number: %s (expected the form %s)",
               scanner->text, why, EXAMPLE);
  return FALSE;
}

static gboolean
read_year (Scanner *scanner, GString *canonical, GError **error)
{
  g_autoptr (GString) year = g_string_new (NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int last_year = g_date_time_get_year (now) + 1;
  gunichar c;
  int value;

  c = peek (scanner);
  if (is_other_open_bracket (c))
    return invalid (scanner, error, "brackets must be round");
  if (!is_open_round (c))
    return invalid (scanner, error, "no year in brackets");
  advance (scanner);
  skip_spaces (scanner);

  if (read_digits (scanner, year) != 4)
    return invalid (scanner, error, "year is not four digits");
  skip_spaces (scanner);
  c = peek (scanner);
  if (is_other_close_bracket (c))
    return invalid (scanner, error, "brackets must be round");
  if (digit_value (c) >= 0 || (!is_close_round (c) && g_unichar_isalnum (c) &&
                               !is_han (c)))
    return invalid (scanner, error, "year is not four digits");
  if (!is_close_round (c))
    return invalid (scanner, error, "no closing bracket after the year");
  advance (scanner);

  value = (int) g_ascii_strtoull (year->str, NULL, 10);
  if (value < FIRST_YEAR)
    return invalid (scanner, error, "year before %d", FIRST_YEAR);
  if (value > last_year)
    return invalid (scanner, error, "year after %d", last_year);

  g_string_append_printf (canonical, "（%s）", year->str);
  return TRUE;
}

static gboolean
starts_type_code (gunichar c)
{
  return is_han (c) && c != 0x53f7 /* 号 */;
}

static gboolean
read_court (Scanner *scanner, GString *canonical, GError **error)
{
  g_autoptr (GString) digits = g_string_new (NULL);
  gunichar c;
  guint count;

  skip_spaces (scanner);
  c = peek (scanner);

  if (read_word (scanner, supreme_court))
    {
      skip_spaces (scanner);
      if (digit_value (peek (scanner)) >= 0)
        return invalid (scanner, error, "%s takes no court digits",
                        supreme_court);
      g_string_append (canonical, supreme_court);
      return TRUE;
    }

  if (digit_value (c) >= 0)
    return invalid (scanner, error, "no court code before the digits");
  if (at_end (scanner))
    return invalid (scanner, error, "no court code");
  if (!is_province (c))
    {
      g_autofree char *shown = describe_char (c);
      return invalid (scanner, error,
                      "'%s' is not a court code: expected %s or a province "
                      "abbreviation such as 浙", shown, supreme_court);
    }
  advance (scanner);
  skip_spaces (scanner);
  count = read_digits (scanner, digits);
  skip_spaces (scanner);

  /* Digits running straight into 号 are a serial without a type code, not
   * a court with too many digits. */
  if (!starts_type_code (peek (scanner)))
    return invalid (scanner, error, "no case-type code");
  if (count != 0 && count != 2 && count != 4)
    return invalid (scanner, error, "court digits must be 2 or 4");

  g_string_append_unichar (canonical, c);
  g_string_append (canonical, digits->str);
  return TRUE;
}

static gboolean
read_type (Scanner *scanner, GString *canonical, GError **error)
{
  guint count = 0;

  while (!at_end (scanner) && starts_type_code (peek (scanner)))
    {
      g_string_append_unichar (canonical, peek (scanner));
      advance (scanner);
      count++;
    }
  if (count == 0)
    return invalid (scanner, error, "no case-type code");
  if (count > MAX_TYPE_CHARS)
    return invalid (scanner, error,
                    "case-type code is longer than %d characters",
                    MAX_TYPE_CHARS);
  return TRUE;
}

static gboolean
read_serial (Scanner *scanner, GString *canonical, GError **error)
{
  g_autoptr (GString) serial = g_string_new (NULL);
  const char *significant;

  skip_spaces (scanner);
  if (read_digits (scanner, serial) == 0)
    {
      g_autofree char *shown = NULL;

      if (at_end (scanner) || peek (scanner) == 0x53f7 /* 号 */)
        return invalid (scanner, error, "no serial number");
      shown = describe_char (peek (scanner));
      return invalid (scanner, error,
                      "'%s' where the serial number should be", shown);
    }

  significant = serial->str + strspn (serial->str, "0");
  if (*significant == '\0')
    return invalid (scanner, error, "serial number must be 1 or more");
  if (strlen (significant) > MAX_SERIAL_DIGITS)
    return invalid (scanner, error, "serial number has more than %d digits",
                    MAX_SERIAL_DIGITS);

  g_string_append (canonical, significant);
  return TRUE;
}

static gboolean
read_end (Scanner *scanner, GString *canonical, GError **error)
{
  skip_spaces (scanner);
  if (at_end (scanner))
    return invalid (scanner, error, "does not end in 号");
  if (peek (scanner) != 0x53f7 /* 号 */)
    {
      g_autofree char *shown = describe_char (peek (scanner));
      return invalid (scanner, error,
                      "'%s' after the serial number, where 号 should be",
                      shown);
    }
  advance (scanner);
  skip_spaces (scanner);
  if (!at_end (scanner))
    return invalid (scanner, error, "text after 号");

  g_string_append (canonical, "号");
  return TRUE;
}

char *
cr_case_number_canonicalize (const char *text, GError **error)
{
  g_autoptr (GString) canonical = g_string_new (NULL);
  Scanner scanner = { text, text };

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (text, -1);

      g_set_error (error, CR_CASE_NUMBER_ERROR, CR_CASE_NUMBER_ERROR_INVALID,
                   "'%s' is not a valid case number: not valid UTF-8 text",
                   shown);
      return NULL;
    }

  skip_spaces (&scanner);
  if (at_end (&scanner))
    {
      invalid (&scanner, error, "empty");
      return NULL;
    }
  /* Every case number has Han characters (court, type, 号): text without
   * any, that does not even start like one, is something else entirely,
   * not a case number typed wrong. */
  if (!has_han (text) && !is_open_round (peek (&scanner)) &&
      !is_other_open_bracket (peek (&scanner)))
    {
      invalid (&scanner, error, "not a case number");
      return NULL;
    }

  if (!read_year (&scanner, canonical, error) ||
      !read_court (&scanner, canonical, error) ||
      !read_type (&scanner, canonical, error) ||
      !read_serial (&scanner, canonical, error) ||
      !read_end (&scanner, canonical, error))
    return NULL;

  return g_string_free (g_steal_pointer (&canonical), FALSE);
}
