/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-redactions.c: see access-redactions.h. */
#include "access/access-redactions.h"

#include <json-glib/json-glib.h>
#include <yajl/yajl_parse.h>
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

typedef struct {
  guint depth;
  gboolean too_deep;
  GHashTable *keys;      /* of the object being read */
  char *twice;           /* a member given twice, which json-glib would let win */
} Nesting;

static int
on_open (void *ctx)
{
  Nesting *nesting = ctx;

  if (++nesting->depth > 2)
    {
      nesting->too_deep = TRUE;
      return 0;   /* stops yajl */
    }
  g_hash_table_remove_all (nesting->keys);
  return 1;
}

static int
on_key (void *ctx, const unsigned char *key, size_t length)
{
  Nesting *nesting = ctx;
  char *name = g_strndup ((const char *) key, length);

  if (!g_hash_table_add (nesting->keys, name))
    {
      nesting->twice = g_strdup (name);
      return 0;
    }
  return 1;
}

static int
on_close (void *ctx)
{
  ((Nesting *) ctx)->depth--;
  return 1;
}

static const yajl_callbacks nesting_callbacks = {
  .yajl_start_map = on_open,
  .yajl_map_key = on_key,
  .yajl_end_map = on_close,
  .yajl_start_array = on_open,
  .yajl_end_array = on_close,
};

static gboolean
strict_and_flat (const char *text, GError **error)
{
  Nesting nesting = { 0, FALSE, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
                      NULL };
  yajl_handle parser = yajl_alloc (&nesting_callbacks, NULL, &nesting);
  yajl_status status = yajl_parse (parser, (const unsigned char *) text, strlen (text));
  gboolean ok;

  if (status == yajl_status_ok)
    status = yajl_complete_parse (parser);
  ok = status == yajl_status_ok;
  if (!ok && nesting.too_deep)
    invalid (error, "redactions: expected a JSON array of flat objects");
  else if (!ok && nesting.twice != NULL)
    invalid (error, "redactions: \"%s\" is given twice in one entry",
             cr_text_shown (nesting.twice));
  else if (!ok)
    {
      unsigned char *why = yajl_get_error (parser, 0, NULL, 0);
      g_autofree char *valid = g_utf8_make_valid ((const char *) why, -1);

      invalid (error, "redactions: not JSON: %s (at byte %" G_GSIZE_FORMAT ")",
               cr_text_shown (g_strstrip (valid)), yajl_get_bytes_consumed (parser));
      yajl_free_error (parser, why);
    }
  yajl_free (parser);
  g_hash_table_unref (nesting.keys);
  g_free (nesting.twice);
  return ok;
}

/* Every member is one of a redaction's, of its type. */
static gboolean
members_known (JsonObject *object, guint i, GError **error)
{
  static const char *const texts[] = { "kind", "track", "from", "to", "reason", "by", NULL };
  static const char *const numbers[] = { "x", "y", "width", "height", NULL };
  g_autoptr (GList) names = json_object_get_members (object);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (object, name);
      GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                                : G_TYPE_INVALID;

      if (g_strv_contains (texts, name) ? type != G_TYPE_STRING
          : g_strv_contains (numbers, name) ? type != G_TYPE_INT64 : TRUE)
        return invalid (error, "redactions[%u].%s: %s", i, cr_text_shown (name),
                        g_strv_contains (texts, name) ? "expected a string"
                        : g_strv_contains (numbers, name) ? "expected a whole number"
                        : "not a member of a redaction"), FALSE;
    }
  return TRUE;
}

static gint64
offset_seconds (const char *text)
{
  guint h = 0, m = 0, sec = 0;

  sscanf (text, "%u:%u:%u", &h, &m, &sec);
  return (gint64) h * 3600 + m * 60 + sec;
}

char *
cr_access_redactions_check (const char *text, const char *by, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  JsonArray *array;
  JsonNode *root;

  if (text == NULL || *text == '\0')
    return g_strdup ("[]");
  if (strlen (text) > 64 * 1024)
    return invalid (error, "redactions: at most 64 kB"), NULL;
  /* Checked by yajl first, as the API's bodies are (api-request.c):
   * json-glib takes what is not JSON (a "\3" escape, comments) and
   * recurses without a bound; yajl is strict and keeps its nesting on the
   * heap, and a list of flat objects is two deep. */
  if (!strict_and_flat (text, error))
    return NULL;
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
      if (!members_known (object, i, error))
        return NULL;
      kind = json_object_get_string_member_with_default (object, "kind", NULL);
      from = json_object_get_string_member_with_default (object, "from", NULL);
      to = json_object_get_string_member_with_default (object, "to", NULL);
      reason = json_object_get_string_member_with_default (object, "reason", NULL);
      if (kind == NULL || !g_strv_contains (redaction_kinds, kind))
        return invalid (error, "redactions[%u].kind: expected mute, blur or cut", i), NULL;
      if (!redaction_time_ok (from) || !redaction_time_ok (to))
        return invalid (error, "redactions[%u]: from and to are UTC times or HH:MM:SS", i),
               NULL;
      if (cr_parse_utc (from, &from_us) != cr_parse_utc (to, &to_us))
        return invalid (error, "redactions[%u]: from and to both UTC, or both HH:MM:SS", i),
               NULL;
      if (!cr_parse_utc (from, &from_us))
        {
          from_us = offset_seconds (from);
          to_us = offset_seconds (to);
        }
      if (from_us >= to_us)
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
      else if (*json_object_get_string_member (object, "by") == '\0' ||
               g_utf8_strlen (json_object_get_string_member (object, "by"), -1) > 200)
        return invalid (error, "redactions[%u].by: a name of at most 200 characters", i),
               NULL;
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
