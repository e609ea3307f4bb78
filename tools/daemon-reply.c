/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon-reply.c: reading the members of a daemon's JSON reply, each of the
 * type asked for or nothing: whatever answers on its port may send anything. */
#include "tools/daemon-reply.h"

/* @object's member @name if it is a @type, else NULL: whatever answers on
 * the daemon's port may send anything. */
static JsonNode *
member_of_type (JsonObject *object, const char *name, JsonNodeType type)
{
  JsonNode *member;

  if (object == NULL)
    return NULL;
  member = json_object_get_member (object, name);
  if (member == NULL || JSON_NODE_TYPE (member) != type)
    return NULL;
  return member;
}

JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_OBJECT);

  return member != NULL ? json_node_get_object (member) : NULL;
}

const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *member;

  if (object == NULL)
    return NULL;
  member = json_object_get_member (object, name);
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}

gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *member;

  if (object == NULL)
    return 0;
  member = json_object_get_member (object, name);
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (member);
}

JsonObject *
reply_status (JsonNode *reply)
{
  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    return NULL;
  return member_object (json_node_get_object (reply), "status");
}

JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_ARRAY);

  return member != NULL ? json_node_get_array (member) : NULL;
}

/* The @i-th element of @array if it is an object, else NULL. */
JsonObject *
element_object (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A member that is a JSON number, integer or not. */
gboolean
member_number (JsonObject *object, const char *name, double *value)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_VALUE);
  GType type = member != NULL ? json_node_get_value_type (member) : G_TYPE_INVALID;

  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_double (member);
  return TRUE;
}

/* A member that is true or false; FALSE, @value untouched, when there is
 * none (an older daemon's status). */
gboolean
member_boolean (JsonObject *object, const char *name, gboolean *value)
{
  JsonNode *member = member_of_type (object, name, JSON_NODE_VALUE);

  if (member == NULL || json_node_get_value_type (member) != G_TYPE_BOOLEAN)
    return FALSE;
  *value = json_node_get_boolean (member);
  return TRUE;
}
