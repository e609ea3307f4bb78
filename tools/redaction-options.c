/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redaction-options.c: see redaction-options.h. */
#include "tools/redaction-options.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/redaction-list.h"
#include "archive/utc.h"
#include "config/text.h"
#include "tools/terminal.h"

#define OPTION_MAX_CHARS 1000

static const char *const kinds[] = { "mute", "blur", "cut", NULL };
static const char *const pixel_names[] = { "x", "y", "width", "height" };

static gboolean
is_time (const char *text)
{
  gint64 us;

  return cr_parse_utc (text, &us) || cr_redaction_offset (text, &us);
}

/* "FROM-TO:REASON" into its parts. UTC times hold dashes and colons, and
 * offsets colons, so every split is tried: the first dash with a time
 * before it, then the longest time after it that a colon and a reason
 * follow. */
static gboolean
parse_span (const char *text, char **from, char **to, char **reason)
{
  gsize length = strlen (text);

  for (gsize dash = 1; dash < length; dash++)
    {
      g_autofree char *left = NULL;
      gsize best = 0;

      if (text[dash] != '-')
        continue;
      left = g_strndup (text, dash);
      if (!is_time (left))
        continue;
      for (gsize colon = dash + 2; colon + 1 < length; colon++)
        {
          g_autofree char *middle = NULL;

          if (text[colon] != ':')
            continue;
          middle = g_strndup (text + dash + 1, colon - dash - 1);
          if (is_time (middle))
            best = colon;
        }
      if (best == 0)
        continue;
      *from = g_steal_pointer (&left);
      *to = g_strndup (text + dash + 1, best - dash - 1);
      *reason = g_strstrip (g_strdup (text + best + 1));
      return TRUE;
    }
  return FALSE;
}

/* X,Y,W,H: four whole numbers of pixels, the size positive. */
static gboolean
parse_rectangle (const char *text, gint64 pixels[4], const char **wrong)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", 0);

  *wrong = NULL;
  if (g_strv_length (parts) != 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (parts[i], 10, i < 2 ? 0 : 1, CR_REDACTION_PIXELS_MAX,
                                       &value, NULL))
        {
          *wrong = pixel_names[i];
          return FALSE;
        }
      pixels[i] = (gint64) value;
    }
  return TRUE;
}

/* One option's value as an entry of @list; FALSE (message printed) when
 * it is not of its form. */
static gboolean
add_redaction (JsonArray *list, const char *kind, const char *value, const char *verb)
{
  g_autofree char *option = g_strconcat ("--", kind, NULL);
  g_autofree char *head = NULL, *from = NULL, *to = NULL, *reason = NULL;
  g_autoptr (GError) text_error = NULL;
  const char *span = value;
  const char *at = strchr (value, '@');
  gint64 pixels[4];
  JsonObject *entry;

  if (!cr_text_validate (value, option, OPTION_MAX_CHARS, FALSE, &text_error))
    return fail (EXIT_USAGE, "%s: %s", verb, text_error->message), FALSE;
  if (!g_str_equal (kind, "cut"))
    {
      if (at == NULL || at == value)
        return fail (EXIT_USAGE, "%s: %s '%s': expected %s", verb, option,
                     cr_text_shown (value),
                     g_str_equal (kind, "mute")
                       ? "TRACK@FROM-TO:REASON (TRACK: mix, all or a microphone)"
                       : "X,Y,W,H@FROM-TO:REASON (pixels of the recording)"), FALSE;
      head = g_strndup (value, at - value);
      span = at + 1;
    }
  if (g_str_equal (kind, "blur"))
    {
      const char *wrong;

      if (!parse_rectangle (head, pixels, &wrong))
        return fail (EXIT_USAGE, "%s: --blur '%s': %s%s", verb, cr_text_shown (value),
                     wrong != NULL ? wrong : "expected X,Y,W,H in pixels",
                     wrong != NULL ? " is not a number of pixels" : ""), FALSE;
    }
  if (!parse_span (span, &from, &to, &reason) || reason[0] == '\0')
    return fail (EXIT_USAGE, "%s: %s '%s': expected FROM-TO:REASON, FROM and TO UTC times "
                 "(2026-11-27T02:13:25.316Z) or HH:MM:SS from the session's start, and a "
                 "reason", verb, option, cr_text_shown (value)), FALSE;

  entry = json_object_new ();
  json_object_set_string_member (entry, "kind", kind);
  if (g_str_equal (kind, "mute"))
    json_object_set_string_member (entry, "track", head);
  else if (g_str_equal (kind, "blur"))
    for (guint i = 0; i < 4; i++)
      json_object_set_int_member (entry, pixel_names[i], pixels[i]);
  json_object_set_string_member (entry, "from", from);
  json_object_set_string_member (entry, "to", to);
  json_object_set_string_member (entry, "reason", reason);
  json_array_add_object_element (list, entry);
  return TRUE;
}

char *
redaction_options_json (VerbCall *call, const char *verb, int *code)
{
  g_autoptr (JsonArray) list = json_array_new ();
  g_autoptr (JsonNode) node = NULL;

  *code = EXIT_OK;
  for (const char *const *kind = kinds; *kind != NULL; kind++)
    {
      char **values = verb_files (call, *kind);

      for (guint i = 0; values != NULL && values[i] != NULL; i++)
        if (!add_redaction (list, *kind, values[i], verb))
          {
            *code = EXIT_USAGE;
            return NULL;
          }
    }
  if (json_array_get_length (list) == 0)
    return NULL;
  node = json_node_init_array (json_node_alloc (), list);
  return json_to_string (node, FALSE);
}
