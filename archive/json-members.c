/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-members.c: see json-members.h. */
#include "archive/json-members.h"

#include "archive/utc.h"

void
cr_json_add_text (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
cr_json_add_time (JsonBuilder *builder, const char *name, gint64 utc_us)
{
  g_autofree char *text = utc_us > 0 ? cr_format_utc (utc_us) : NULL;

  cr_json_add_text (builder, name, text);
}

void
cr_json_add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* --- reading ---------------------------------------------------------- */

gboolean
cr_json_get_text (JsonObject *object, const char *name, gboolean nullable, char **out,
                  GString *wrong)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node) && nullable)
    return TRUE;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_string_append_printf (wrong, "%s\"%s\" (%s)", wrong->len > 0 ? ", " : "", name,
                              nullable ? "text or null" : "text");
      return FALSE;
    }
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

gboolean
cr_json_get_int (JsonObject *object, const char *name, gint64 *out, GString *wrong)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_string_append_printf (wrong, "%s\"%s\" (a whole number)", wrong->len > 0 ? ", " : "",
                              name);
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
cr_json_get_time (JsonObject *object, const char *name, gint64 *out, GString *wrong)
{
  g_autofree char *text = NULL;

  if (!cr_json_get_text (object, name, TRUE, &text, wrong))
    return FALSE;
  if (text != NULL && !cr_parse_utc (text, out))
    {
      g_string_append_printf (wrong, "%s\"%s\" (a UTC time)", wrong->len > 0 ? ", " : "", name);
      return FALSE;
    }
  return TRUE;
}

