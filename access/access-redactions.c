/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-redactions.c: see access-redactions.h. */
#include "access/access-redactions.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "access/access-service.h"
#include "config/config.h"
#include "archive/utc.h"
#include "config/text.h"

#define REDACTIONS_MAX 200
#define TEXT_MAX_CHARS 500

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID, format, args);
  va_end (args);
  return FALSE;
}

static const char *const redaction_kinds[] = { "mute", "blur", "cut", NULL };

/* A time of a redaction: UTC, or HH:MM:SS from the session's start
 * (resolved per session when its job is written). */
static gboolean
redaction_time_ok (const char *text)
{
  gint64 utc;
  guint h, m, s;
  char end;

  if (text == NULL)
    return FALSE;
  return cr_parse_utc (text, &utc) ||
         (sscanf (text, "%u:%u:%u%c", &h, &m, &s, &end) == 3 && m < 60 && s < 60);
}

char *
cr_access_redactions_check (const char *text, const char *by, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  JsonArray *array;
  JsonNode *root;
  gint depth = 0, deepest = 0;

  if (text == NULL || *text == '\0')
    return g_strdup ("[]");
  if (strlen (text) > 64 * 1024)
    return invalid (error, "redactions: at most 64 kB"), NULL;
  /* json-glib recurses without a bound: a list of flat objects is two
   * deep, so anything deeper is refused before it is parsed. */
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        {
          for (p++; *p != '\0' && *p != '"'; p++)
            if (*p == '\\' && p[1] != '\0')
              p++;
          if (*p == '\0')
            break;
        }
      else if (*p == '[' || *p == '{')
        {
          depth++;
          deepest = MAX (deepest, depth);
        }
      else if (*p == ']' || *p == '}')
        depth--;
    }
  if (deepest > 2)
    return invalid (error, "redactions: expected a JSON array of flat objects"), NULL;
  if (!json_parser_load_from_data (parser, text, -1, &parse_error))
    {
      /* json-glib quotes what it stumbled on, which may be half a
       * character. */
      g_autofree char *why = g_utf8_make_valid (parse_error->message, -1);
      return invalid (error, "redactions: not JSON: %s", cr_text_shown (why)), NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return invalid (error, "redactions: expected a JSON array"), NULL;
  array = json_node_get_array (root);
  if (json_array_get_length (array) > REDACTIONS_MAX)
    return invalid (error, "redactions: at most %d", REDACTIONS_MAX), NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *object;
      const char *kind, *from, *to, *reason;
      gint64 from_us = 0, to_us = 0;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return invalid (error, "redactions[%u]: expected an object", i), NULL;
      object = json_node_get_object (item);
      kind = json_object_get_string_member_with_default (object, "kind", NULL);
      from = json_object_get_string_member_with_default (object, "from", NULL);
      to = json_object_get_string_member_with_default (object, "to", NULL);
      reason = json_object_get_string_member_with_default (object, "reason", NULL);
      if (kind == NULL || !g_strv_contains (redaction_kinds, kind))
        return invalid (error, "redactions[%u].kind: expected mute, blur or cut", i), NULL;
      if (!redaction_time_ok (from) || !redaction_time_ok (to))
        return invalid (error, "redactions[%u]: from and to are UTC times or HH:MM:SS", i),
               NULL;
      if (cr_parse_utc (from, &from_us) && cr_parse_utc (to, &to_us) && from_us >= to_us)
        return invalid (error, "redactions[%u]: from must be before to", i), NULL;
      if (reason == NULL || *reason == '\0' || g_utf8_strlen (reason, -1) > TEXT_MAX_CHARS)
        return invalid (error, "redactions[%u].reason: required, at most %d characters", i,
                        TEXT_MAX_CHARS), NULL;
      if (g_str_equal (kind, "mute") &&
          json_object_get_string_member_with_default (object, "track", NULL) == NULL)
        return invalid (error, "redactions[%u].track: mix, all or a microphone's name", i),
               NULL;
      if (g_str_equal (kind, "blur"))
        for (const char *const *member = (const char *const[]) { "x", "y", "width", "height",
                                                                 NULL };
             *member != NULL; member++)
          {
            JsonNode *n = json_object_get_member (object, *member);
            if (n == NULL || json_node_get_value_type (n) != G_TYPE_INT64 ||
                json_node_get_int (n) < 0 || json_node_get_int (n) > 10000 ||
                (json_node_get_int (n) == 0 && (*member)[0] != 'x' && (*member)[0] != 'y'))
              return invalid (error, "redactions[%u].%s: expected a number of pixels", i,
                              *member), NULL;
          }
      if (!json_object_has_member (object, "by"))
        json_object_set_string_member (object, "by", by);
    }
  return json_to_string (root, FALSE);
}


char *
cr_access_redactions_check_for (const char *text, const char *by, const GPtrArray *microphones,
                                guint width, guint height, GError **error)
{
  g_autofree char *list = cr_access_redactions_check (text, by, error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *array;

  if (list == NULL || !json_parser_load_from_data (parser, list, -1, NULL))
    return NULL;
  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      const char *kind = json_object_get_string_member (object, "kind");

      if (g_str_equal (kind, "mute"))
        {
          const char *track = json_object_get_string_member (object, "track");
          gboolean known = g_str_equal (track, "mix") || g_str_equal (track, "all");

          for (guint m = 0; !known && microphones != NULL && m < microphones->len; m++)
            known = g_str_equal (((CrInputConfig *) g_ptr_array_index (microphones, m))->name,
                                 track);
          if (!known)
            return invalid (error, "redactions[%u].track = \"%s\": expected mix, all or the "
                            "NAME of a [microphone NAME]", i, cr_text_shown (track)), NULL;
        }
      else if (g_str_equal (kind, "blur") &&
               (json_object_get_int_member (object, "x") +
                  json_object_get_int_member (object, "width") > (gint64) width ||
                json_object_get_int_member (object, "y") +
                  json_object_get_int_member (object, "height") > (gint64) height))
        return invalid (error, "redactions[%u]: the rectangle is outside the %ux%u picture", i,
                        width, height), NULL;
    }
  return g_steal_pointer (&list);
}
