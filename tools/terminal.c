/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* terminal.c: how the client writes for a terminal and for scripts: messages
 * and paths escaped, errors on stderr, JSON with nothing a terminal would act
 * on, tables aligned by display width. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/utc.h"
#include "config/text.h"
#include "tools/terminal.h"

/* A message for the terminal: as it is when it has nothing a terminal
 * would act on and is not too long, else escaped and cut. The pieces of a
 * message that came from outside are escaped where it is made; this also
 * covers what a library put into a GError. (transfer full) */
char *
terminal_message (const char *message)
{
  if (cr_text_validate (message, "message", MESSAGE_MAX_CHARS, FALSE, NULL))
    return g_strdup (message);
  return cr_text_escape (message, -1, MESSAGE_MAX_CHARS);
}

/* A path for the terminal: escaped, and cut only when longer than a path
 * can be. (transfer full) */
char *
shown_path (const char *path)
{
  return cr_text_escape (path, -1, PATH_MAX_CHARS);
}

int G_GNUC_PRINTF (2, 3)
fail (int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *shown = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  shown = terminal_message (message);
  fprintf (stderr, "courtrec: %s\n", shown);
  return code;
}

/* @text with every character a terminal would act on written as a JSON
 * escape (\u001b) or, when @html, a character reference (&#x1b;), the
 * newlines and tabs of its layout kept, and bytes that are not UTF-8 made
 * U+FFFD.
 * For a document (JSON, HTML) whose syntax is ASCII: what this replaces
 * can only stand in a string or in text, where the replacement means the
 * same character. (transfer full) */
char *
escape_in_document (const char *text, gboolean html)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gsize length = g_utf8_next_char (p) - p;
      g_autofree char *escaped = NULL;

      if (*p == '\n' || *p == '\t' || *p == '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      /* cr_text_escape leaves a character as it is unless a terminal would
       * act on it. */
      escaped = cr_text_escape (p, length, 1);
      if (strlen (escaped) == length && memcmp (escaped, p, length) == 0)
        g_string_append_len (out, p, length);
      else if (html)
        g_string_append_printf (out, "&#x%x;", g_utf8_get_char (p));
      else
        g_string_append_printf (out, "\\u%04x", g_utf8_get_char (p));
    }
  return g_string_free (out, FALSE);
}

/* json-glib escapes the C0 controls and DEL in strings, but leaves the C1
 * controls (U+009B is a CSI), the line separators and the bidirectional
 * overrides as they are, and copies bytes that are not UTF-8. */
void
print_json_text (const char *json)
{
  g_autofree char *shown = escape_in_document (json, FALSE);

  printf ("%s\n", shown);
}

void
print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  print_json_text (text);
}

/* Columns of text aligned by their width on a terminal, where a Han
 * character takes two cells. */
static gsize
display_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

/* @rows: GStrv per row, the first row the header. */
void
print_table (GPtrArray *rows)
{
  g_autofree gsize *widths = NULL;
  guint n_columns;

  if (rows->len == 0)
    return;
  n_columns = g_strv_length (rows->pdata[0]);
  widths = g_new0 (gsize, n_columns);
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      for (guint c = 0; c < n_columns; c++)
        widths[c] = MAX (widths[c], display_width (row[c]));
    }
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      g_autoptr (GString) line = g_string_new (NULL);

      for (guint c = 0; c < n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < n_columns)
            for (gsize pad = display_width (row[c]); pad < widths[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      /* Padding for empty last columns is not worth a byte. */
      printf ("%s\n", g_strchomp (line->str));
    }
}

char *
format_time_or_dash (gint64 utc_us)
{
  return utc_us > 0 ? cr_format_utc (utc_us) : g_strdup ("-");
}

/* "1 h 05 min", "12 min 30 s", "40 s". (transfer full) */
char *
format_duration (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %02d min", seconds / 3600,
                            (int) (seconds % 3600 / 60));
  if (seconds >= 60)
    return g_strdup_printf ("%d min %02d s", (int) (seconds / 60), (int) (seconds % 60));
  return g_strdup_printf ("%d s", (int) seconds);
}

/* Seconds from the UTC time @iso (as the daemon writes it) to now, or -1
 * when it is not a time. */
gint64
seconds_since (const char *iso)
{
  g_autoptr (GDateTime) then = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  if (then == NULL)
    return -1;
  return g_date_time_difference (now, then) / G_USEC_PER_SEC;
}

/* "NAME": VALUE, or "NAME": null for no value. */
void
add_string_or_null (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}
