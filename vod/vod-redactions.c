/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod-redactions.c: see vod-redactions.h. */
#include "vod/vod-redactions.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/utc.h"
#include "config/text.h"

#define TEXT_MAX 200

/* json-glib recurses once per level: a list is an array of flat objects,
 * so anything nested deeper is refused before it is parsed. */
static gboolean
nesting_at_most (const char *text, guint limit)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (const char *c = text; *c != '\0'; c++)
    {
      if (in_string)
        {
          if (*c == '\\' && c[1] != '\0')
            c++;
          else if (*c == '"')
            in_string = FALSE;
          continue;
        }
      if (*c == '"')
        in_string = TRUE;
      else if (*c == '[' || *c == '{')
        {
          if (++depth > limit)
            return FALSE;
        }
      else if ((*c == ']' || *c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

gboolean
cr_vod_redaction_time (const char *text, gint64 start_us, gint64 *utc_us)
{
  g_autoptr (GRegex) offset = NULL;
  g_autoptr (GMatchInfo) match = NULL;
  gint64 hours = 0, minutes = 0;
  double seconds;

  if (text == NULL)
    return FALSE;
  if (cr_parse_utc (text, utc_us))
    return TRUE;
  offset = g_regex_new ("^(?:(?:(\\d{1,3}):)?(\\d{1,2}):)?(\\d{1,6}(?:\\.\\d{1,6})?)$", 0, 0,
                        NULL);
  if (!g_regex_match (offset, text, 0, &match))
    return FALSE;
  {
    g_autofree char *h = g_match_info_fetch (match, 1);
    g_autofree char *m = g_match_info_fetch (match, 2);
    g_autofree char *s = g_match_info_fetch (match, 3);
    hours = h != NULL && h[0] != '\0' ? g_ascii_strtoll (h, NULL, 10) : 0;
    minutes = m != NULL && m[0] != '\0' ? g_ascii_strtoll (m, NULL, 10) : 0;
    seconds = g_ascii_strtod (s, NULL);
    /* 01:75:00 is a typing error, not an hour and a quarter. */
    if ((m != NULL && m[0] != '\0' && minutes > 59) ||
        ((m != NULL && m[0] != '\0') && seconds >= 60.0))
      return FALSE;
  }
  *utc_us = start_us + (hours * 3600 + minutes * 60) * G_USEC_PER_SEC +
            (gint64) (seconds * G_USEC_PER_SEC + 0.5);
  return TRUE;
}

static gboolean
fail (GError **error, guint entry, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, guint entry, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Redaction %u: %s", entry + 1,
               what);
  return FALSE;
}

/* Member @name of @entry as text of at most TEXT_MAX characters, or NULL
 * (with @error when @required, or when it is there but not text). */
static const char *
member_text (JsonObject *entry, guint i, const char *name, gboolean required, GError **error)
{
  JsonNode *node = json_object_get_member (entry, name);
  const char *text;
  g_autoptr (GError) text_error = NULL;
  g_autofree char *what = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        fail (error, i, "\"%s\" is required", name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      fail (error, i, "\"%s\" must be text", name);
      return NULL;
    }
  text = json_node_get_string (node);
  what = g_strdup_printf ("\"%s\"", name);
  if (!cr_text_validate (text, what, TEXT_MAX, FALSE, &text_error))
    {
      fail (error, i, "%s", text_error->message);
      return NULL;
    }
  if (required && text[0] == '\0')
    {
      fail (error, i, "\"%s\" is required", name);
      return NULL;
    }
  return text;
}

static gboolean
member_pixels (JsonObject *entry, guint i, const char *name, gboolean positive, gint64 *value,
               GError **error)
{
  JsonNode *node = json_object_get_member (entry, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return fail (error, i, "blur needs \"%s\", a whole number of pixels", name);
  *value = json_node_get_int (node);
  if (*value < (positive ? 1 : 0) || *value > 100000)
    return fail (error, i, "\"%s\" = %" G_GINT64_FORMAT " is out of range", name, *value);
  return TRUE;
}

static gboolean
track_known (const CrConfig *config, const char *track)
{
  if (g_str_equal (track, "mix") || g_str_equal (track, "all"))
    return TRUE;
  for (guint m = 0; m < config->microphones->len; m++)
    {
      const CrInputConfig *microphone = g_ptr_array_index (config->microphones, m);
      if (g_str_equal (microphone->name, track))
        return TRUE;
    }
  return FALSE;
}

static const char *const entry_members[] = {
  "kind", "track", "x", "y", "width", "height", "from", "to", "reason", "by", NULL
};

/* Entry @i checked, added to @builder in its stored form. */
static gboolean
add_entry (JsonBuilder *builder, JsonNode *node, guint i, const CrSessionRecord *session,
           const CrConfig *config, const char *by, GError **error)
{
  JsonObject *entry;
  const char *kind, *from_text, *to_text, *reason, *given_by, *track = NULL;
  gint64 from_us, to_us, x = 0, y = 0, width = 0, height = 0;
  gint64 end_us = session->stopped_us > 0 ? session->stopped_us : G_MAXINT64;
  g_autoptr (GList) names = NULL;
  g_autofree char *from_utc = NULL, *to_utc = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, i, "each redaction is an object");
  entry = json_node_get_object (node);
  names = json_object_get_members (entry);
  for (GList *l = names; l != NULL; l = l->next)
    if (!g_strv_contains (entry_members, l->data))
      return fail (error, i, "unknown field \"%s\"", cr_text_shown (l->data));

  if ((kind = member_text (entry, i, "kind", TRUE, error)) == NULL)
    return FALSE;
  if (!g_str_equal (kind, "mute") && !g_str_equal (kind, "blur") && !g_str_equal (kind, "cut"))
    return fail (error, i, "\"kind\" is mute, blur or cut, not \"%s\"", cr_text_shown (kind));
  if ((from_text = member_text (entry, i, "from", TRUE, error)) == NULL ||
      (to_text = member_text (entry, i, "to", TRUE, error)) == NULL ||
      (reason = member_text (entry, i, "reason", TRUE, error)) == NULL)
    return FALSE;
  given_by = member_text (entry, i, "by", FALSE, error);
  if (given_by == NULL && error != NULL && *error != NULL)
    return FALSE;
  if (!cr_vod_redaction_time (from_text, session->started_us, &from_us))
    return fail (error, i, "\"from\" = \"%s\" is neither UTC time nor an offset HH:MM:SS",
                 cr_text_shown (from_text));
  if (!cr_vod_redaction_time (to_text, session->started_us, &to_us))
    return fail (error, i, "\"to\" = \"%s\" is neither UTC time nor an offset HH:MM:SS",
                 cr_text_shown (to_text));
  if (from_us >= to_us)
    return fail (error, i, "\"from\" must come before \"to\"");
  if (to_us <= session->started_us || from_us >= end_us)
    return fail (error, i, "the span is outside the session");

  if (g_str_equal (kind, "mute"))
    {
      if ((track = member_text (entry, i, "track", TRUE, error)) == NULL)
        return FALSE;
      if (!track_known (config, track))
        return fail (error, i, "\"track\" is mix, all or a microphone of the room, not \"%s\"",
                     cr_text_shown (track));
    }
  else if (json_object_has_member (entry, "track"))
    return fail (error, i, "only a mute names a track");
  if (g_str_equal (kind, "blur"))
    {
      if (!member_pixels (entry, i, "x", FALSE, &x, error) ||
          !member_pixels (entry, i, "y", FALSE, &y, error) ||
          !member_pixels (entry, i, "width", TRUE, &width, error) ||
          !member_pixels (entry, i, "height", TRUE, &height, error))
        return FALSE;
    }
  else if (json_object_has_member (entry, "x") || json_object_has_member (entry, "width"))
    return fail (error, i, "only a blur has a rectangle");

  from_utc = cr_format_utc (from_us);
  to_utc = cr_format_utc (to_us);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, kind);
  if (track != NULL)
    {
      json_builder_set_member_name (builder, "track");
      json_builder_add_string_value (builder, track);
    }
  if (g_str_equal (kind, "blur"))
    {
      json_builder_set_member_name (builder, "x");
      json_builder_add_int_value (builder, x);
      json_builder_set_member_name (builder, "y");
      json_builder_add_int_value (builder, y);
      json_builder_set_member_name (builder, "width");
      json_builder_add_int_value (builder, width);
      json_builder_set_member_name (builder, "height");
      json_builder_add_int_value (builder, height);
    }
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from_utc);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, to_utc);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_set_member_name (builder, "by");
  json_builder_add_string_value (builder, given_by != NULL && given_by[0] != '\0' ? given_by
                                          : by != NULL ? by : "unknown");
  json_builder_end_object (builder);
  return TRUE;
}

char *
cr_vod_redactions_normalize (const char *text, const CrSessionRecord *session,
                             const CrConfig *config, const char *by, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) parse_error = NULL;
  JsonArray *list;

  g_return_val_if_fail (session != NULL && config != NULL, NULL);

  if (text == NULL || text[0] == '\0')
    return g_strdup ("[]");
  if (strlen (text) > CR_VOD_REDACTIONS_MAX_CHARS * 6 || !nesting_at_most (text, 2))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The redaction list must be a JSON array of flat objects");
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, &parse_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The redaction list is not valid JSON: %s",
                   cr_text_shown (parse_error->message));
      return NULL;
    }
  /* Blank text parses to no value at all. */
  if (json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The redaction list must be a JSON array");
      return NULL;
    }
  list = json_node_get_array (json_parser_get_root (parser));
  if (json_array_get_length (list) > CR_VOD_REDACTIONS_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The redaction list has %u entries; at most %d", json_array_get_length (list),
                   CR_VOD_REDACTIONS_MAX);
      return NULL;
    }
  builder = json_builder_new ();
  json_builder_begin_array (builder);
  for (guint i = 0; i < json_array_get_length (list); i++)
    if (!add_entry (builder, json_array_get_element (list, i), i, session, config, by, error))
      return NULL;
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}
