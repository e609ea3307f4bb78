/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* text.c: see text.h. */
#include "config/text.h"

#include <string.h>

G_DEFINE_QUARK (cr-text-error-quark, cr_text_error)

/* Characters that change what a terminal or a log shows rather than being
 * shown: C0 controls, DEL, C1 controls, the line and paragraph separators
 * and the bidirectional embeddings, overrides and isolates. */
static gboolean
is_unprintable (gunichar c)
{
  return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
         c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f ||
         c == 0x061c;
}

char *
cr_text_escape (const char *text, gssize length, gsize max_chars)
{
  GString *out;
  const char *p, *end;
  gsize shown = 0;

  if (text == NULL)
    return g_strdup ("(null)");
  if (length < 0)
    length = strlen (text);
  out = g_string_sized_new (MIN ((gsize) length, max_chars * 4) + 16);
  p = text;
  end = text + length;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (shown == max_chars)
        {
          g_string_append_printf (out, "… (%" G_GSSIZE_FORMAT " bytes)", length);
          break;
        }
      shown++;
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }
      if (c == '\\')
        g_string_append (out, "\\\\");
      else if (is_unprintable (c))
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

const char *
cr_text_shown (const char *text)
{
  /* A ring per thread: several escaped values can stand in one call. */
  static GPrivate ring_key = G_PRIVATE_INIT ((GDestroyNotify) g_strfreev);
  char **ring = g_private_get (&ring_key);
  static GPrivate next_key;
  guint next = GPOINTER_TO_UINT (g_private_get (&next_key));

  if (ring == NULL)
    {
      ring = g_new0 (char *, 17);
      /* g_strfreev stops at the first NULL: keep every slot filled. */
      for (guint i = 0; i < 16; i++)
        ring[i] = g_strdup ("");
      g_private_set (&ring_key, ring);
    }
  g_free (ring[next]);
  ring[next] = cr_text_escape (text, -1, CR_TEXT_SHOWN_MAX);
  g_private_set (&next_key, GUINT_TO_POINTER ((next + 1) % 16));
  return ring[next];
}

gboolean
cr_text_validate (const char *text, const char *what, gsize max_chars,
                  gboolean multiline, GError **error)
{
  const char *end = NULL;
  gsize chars = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  if (!g_utf8_validate (text, -1, &end))
    {
      g_set_error (error, CR_TEXT_ERROR, CR_TEXT_ERROR_INVALID,
                   "%s is not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")", what,
                   (gsize) (end - text));
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (++chars > max_chars)
        {
          g_set_error (error, CR_TEXT_ERROR, CR_TEXT_ERROR_INVALID,
                       "%s is too long: at most %" G_GSIZE_FORMAT " characters", what,
                       max_chars);
          return FALSE;
        }
      if (multiline && (c == '\n' || c == '\t'))
        continue;
      if (is_unprintable (c))
        {
          g_set_error (error, CR_TEXT_ERROR, CR_TEXT_ERROR_INVALID,
                       "%s contains a control character (U+%04X at character %" G_GSIZE_FORMAT
                       "): %s", what, c, chars, cr_text_shown (text));
          return FALSE;
        }
    }
  return TRUE;
}
