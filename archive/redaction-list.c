/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redaction-list.c: see redaction-list.h. */
#include "archive/redaction-list.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <yajl/yajl_parse.h>
#include <stdarg.h>
#include <string.h>

#include "archive/utc.h"
#include "config/config.h"
#include "config/text.h"

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return FALSE;
}

/* ---- times ---- */

/* @length ASCII digits at @text, at least @min, at most @max of them. */
static gboolean
digits (const char *text, gsize length, gsize min, gsize max, guint *value)
{
  *value = 0;
  if (length < min || length > max)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      *value = *value * 10 + (guint) (text[i] - '0');
    }
  return TRUE;
}

gboolean
cr_redaction_offset (const char *text, gint64 *offset_us)
{
  g_auto (GStrv) parts = NULL;
  const char *seconds, *point;
  guint n, whole, fraction = 0, hours = 0, minutes = 0;
  gsize fraction_digits = 0;

  if (text == NULL || strlen (text) > 32)
    return FALSE;
  parts = g_strsplit (text, ":", 0);
  n = g_strv_length (parts);
  if (n < 1 || n > 3)
    return FALSE;
  if (n == 3 && !digits (parts[0], strlen (parts[0]), 1, 3, &hours))
    return FALSE;
  if (n >= 2 && (!digits (parts[n - 2], strlen (parts[n - 2]), 1, 2, &minutes) || minutes > 59))
    return FALSE;
  seconds = parts[n - 1];
  point = strchr (seconds, '.');
  if (point != NULL)
    {
      fraction_digits = strlen (point + 1);
      if (!digits (point + 1, fraction_digits, 1, 3, &fraction))
        return FALSE;
      while (fraction_digits++ < 3)
        fraction *= 10;
    }
  if (!digits (seconds, point != NULL ? (gsize) (point - seconds) : strlen (seconds), 1,
               n == 1 ? 6 : 2, &whole) ||
      (n >= 2 && whole > 59))
    return FALSE;
  *offset_us = (((gint64) hours * 3600 + minutes * 60 + whole) * 1000 + fraction) * 1000;
  return TRUE;
}

gboolean
cr_redaction_time (const char *text, gint64 start_us, gint64 *utc_us)
{
  gint64 offset_us;

  if (text == NULL)
    return FALSE;
  if (cr_parse_utc (text, utc_us))
    return TRUE;
  if (!cr_redaction_offset (text, &offset_us))
    return FALSE;
  *utc_us = start_us + offset_us;
  return TRUE;
}

/* An offset as the stored form writes it: HH:MM:SS[.mmm]. */
static char *
offset_text (gint64 offset_us)
{
  gint64 ms = offset_us / 1000;
  gint64 s = ms / 1000;

  if (ms % 1000 != 0)
    return g_strdup_printf ("%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT
                            ".%03" G_GINT64_FORMAT, s / 3600, s / 60 % 60, s % 60, ms % 1000);
  return g_strdup_printf ("%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
                          s / 3600, s / 60 % 60, s % 60);
}

/* ---- the text, before json-glib reads it ---- */

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

/* json-glib takes what is not JSON (a "\3" escape, comments), lets the
 * last of a member given twice win, and recurses without a bound; yajl is
 * strict and keeps its nesting on the heap, and a list of flat objects is
 * two deep. */
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

/* ---- one entry ---- */

static const char *const kinds[] = { "mute", "blur", "cut", NULL };
static const char *const text_members[] = { "kind", "track", "from", "to", "reason", "by", NULL };
static const char *const pixel_members[] = { "x", "y", "width", "height", NULL };

/* Every member is one of a redaction's, of its type, and belongs to the
 * entry's kind. */
static gboolean
members_known (JsonObject *entry, guint i, const char *kind, GError **error)
{
  g_autoptr (GList) names = json_object_get_members (entry);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (entry, name);
      GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                                : G_TYPE_INVALID;

      if (g_strv_contains (text_members, name))
        {
          if (type != G_TYPE_STRING)
            return invalid (error, "redactions[%u].%s: expected a string", i, name);
        }
      else if (g_strv_contains (pixel_members, name))
        {
          if (type != G_TYPE_INT64)
            return invalid (error, "redactions[%u].%s: expected a whole number of pixels", i,
                            name);
        }
      else
        return invalid (error, "redactions[%u].%s: unknown member, not one of a redaction", i,
                        cr_text_shown (name));
      if (kind != NULL && g_str_equal (name, "track") && !g_str_equal (kind, "mute"))
        return invalid (error, "redactions[%u].track: only a mute names a track", i);
      if (kind != NULL && g_strv_contains (pixel_members, name) && !g_str_equal (kind, "blur"))
        return invalid (error, "redactions[%u].%s: only a blur has a rectangle", i, name);
    }
  return TRUE;
}

/* Text member @name: valid, at most CR_REDACTION_TEXT_MAX characters and
 * not blank; NULL (with @error) when it is not, or absent and @required. */
static const char *
member_text (JsonObject *entry, guint i, const char *name, gboolean required, GError **error)
{
  const char *text = json_object_get_string_member_with_default (entry, name, NULL);
  g_autoptr (GError) text_error = NULL;
  g_autofree char *what = NULL;
  g_autofree char *stripped = NULL;

  if (text == NULL)
    {
      if (required)
        invalid (error, "redactions[%u].%s: required", i, name);
      return NULL;
    }
  what = g_strdup_printf ("redactions[%u].%s", i, name);
  if (!cr_text_validate (text, what, CR_REDACTION_TEXT_MAX, FALSE, &text_error))
    {
      invalid (error, "%s", text_error->message);
      return NULL;
    }
  stripped = g_strstrip (g_strdup (text));
  if (stripped[0] == '\0')
    {
      invalid (error, "redactions[%u].%s: required, not blank", i, name);
      return NULL;
    }
  return text;
}

static gboolean
track_known (const CrRedactionScope *scope, const char *track)
{
  if (g_str_equal (track, "mix") || g_str_equal (track, "all"))
    return TRUE;
  for (guint m = 0; scope->microphones != NULL && m < scope->microphones->len; m++)
    if (g_str_equal (((const CrInputConfig *) g_ptr_array_index (scope->microphones, m))->name,
                     track))
      return TRUE;
  return FALSE;
}

/* The span of entry @i as stored: both UTC, or (with no start) both
 * offsets; from before to, touching the session when it is known. */
static gboolean
entry_span (JsonObject *entry, guint i, const CrRedactionScope *scope, char **from_out,
            char **to_out, GError **error)
{
  const char *text[2];
  const char *const names[2] = { "from", "to" };
  gint64 us[2];
  gboolean utc[2];
  char *stored[2] = { NULL, NULL };

  for (guint t = 0; t < 2; t++)
    {
      if ((text[t] = member_text (entry, i, names[t], TRUE, error)) == NULL)
        return FALSE;
      utc[t] = cr_parse_utc (text[t], &us[t]);
      if (!utc[t] && !cr_redaction_offset (text[t], &us[t]))
        return invalid (error, "redactions[%u].%s = \"%s\": expected a UTC time "
                        "(2026-11-27T02:13:25.316Z) or an offset HH:MM:SS from the "
                        "session's start", i, names[t], cr_text_shown (text[t]));
    }
  if (scope->start_us == CR_REDACTION_NO_START && utc[0] != utc[1])
    return invalid (error, "redactions[%u]: from and to both UTC, or both HH:MM:SS", i);
  for (guint t = 0; t < 2; t++)
    {
      if (scope->start_us != CR_REDACTION_NO_START && !utc[t])
        {
          us[t] += scope->start_us;
          utc[t] = TRUE;
        }
      stored[t] = utc[t] ? cr_format_utc (us[t]) : offset_text (us[t]);
      /* What is compared is what is stored, to the millisecond. */
      if (utc[t])
        cr_parse_utc (stored[t], &us[t]);
    }
  *from_out = stored[0];
  *to_out = stored[1];
  if (us[0] >= us[1])
    return invalid (error, "redactions[%u]: from must be before to", i);
  if (scope->start_us != CR_REDACTION_NO_START &&
      (us[1] <= scope->start_us || (scope->end_us > 0 && us[0] >= scope->end_us)))
    return invalid (error, "redactions[%u]: the span %s - %s is outside the session", i,
                    stored[0], stored[1]);
  return TRUE;
}

static gboolean
entry_rectangle (JsonObject *entry, guint i, const CrRedactionScope *scope, gint64 pixels[4],
                 GError **error)
{
  for (guint p = 0; p < 4; p++)
    {
      const char *name = pixel_members[p];

      if (!json_object_has_member (entry, name))
        return invalid (error, "redactions[%u].%s: a blur needs \"%s\", a whole number of "
                        "pixels", i, name, name);
      pixels[p] = json_object_get_int_member (entry, name);
      if (pixels[p] < (p < 2 ? 0 : 1) || pixels[p] > CR_REDACTION_PIXELS_MAX)
        return invalid (error, "redactions[%u].%s = %" G_GINT64_FORMAT ": out of range (%d to "
                        "%d pixels)", i, name, pixels[p], p < 2 ? 0 : 1,
                        CR_REDACTION_PIXELS_MAX);
    }
  if (pixels[0] + pixels[2] > (gint64) scope->width ||
      pixels[1] + pixels[3] > (gint64) scope->height)
    return invalid (error, "redactions[%u]: the rectangle is outside the %ux%u picture", i,
                    scope->width, scope->height);
  return TRUE;
}

static void
add_text (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/* Entry @i checked, added to @builder in its stored form. */
static gboolean
add_entry (JsonBuilder *builder, JsonNode *node, guint i, const CrRedactionScope *scope,
           GError **error)
{
  JsonObject *entry;
  const char *kind, *reason, *by, *track = NULL;
  gint64 pixels[4] = { 0, 0, 0, 0 };
  g_autofree char *from = NULL, *to = NULL;
  g_autoptr (GError) by_error = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "redactions[%u]: expected an object", i);
  entry = json_node_get_object (node);
  if (!members_known (entry, i, NULL, error))
    return FALSE;
  if ((kind = member_text (entry, i, "kind", TRUE, error)) == NULL)
    return FALSE;
  if (!g_strv_contains (kinds, kind))
    return invalid (error, "redactions[%u].kind = \"%s\": expected mute, blur or cut", i,
                    cr_text_shown (kind));
  if (!members_known (entry, i, kind, error) ||
      !entry_span (entry, i, scope, &from, &to, error) ||
      (reason = member_text (entry, i, "reason", TRUE, error)) == NULL)
    return FALSE;
  by = member_text (entry, i, "by", FALSE, &by_error);
  if (by_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&by_error));
      return FALSE;
    }
  if (g_str_equal (kind, "mute"))
    {
      if ((track = member_text (entry, i, "track", TRUE, error)) == NULL)
        return FALSE;
      if (!track_known (scope, track))
        return invalid (error, "redactions[%u].track = \"%s\": expected mix, all or the NAME "
                        "of a [microphone NAME]", i, cr_text_shown (track));
    }
  if (g_str_equal (kind, "blur") && !entry_rectangle (entry, i, scope, pixels, error))
    return FALSE;

  json_builder_begin_object (builder);
  add_text (builder, "kind", kind);
  if (track != NULL)
    add_text (builder, "track", track);
  if (g_str_equal (kind, "blur"))
    for (guint p = 0; p < 4; p++)
      {
        json_builder_set_member_name (builder, pixel_members[p]);
        json_builder_add_int_value (builder, pixels[p]);
      }
  add_text (builder, "from", from);
  add_text (builder, "to", to);
  add_text (builder, "reason", reason);
  add_text (builder, "by", by != NULL ? by : scope->by != NULL ? scope->by : "unknown");
  json_builder_end_object (builder);
  return TRUE;
}

char *
cr_redaction_list_normalize (const char *text, const CrRedactionScope *scope, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) parse_error = NULL;
  g_autofree char *stored = NULL;
  JsonArray *list;

  g_return_val_if_fail (scope != NULL, NULL);

  if (text == NULL || text[0] == '\0')
    return g_strdup ("[]");
  /* Blank is not none: whatever was meant, it was not "no redactions". */
  if (text[strspn (text, " \t\r\n")] == '\0')
    return invalid (error, "redactions: expected a JSON array, not blank text"), NULL;
  if (strlen (text) > CR_REDACTION_LIST_MAX_BYTES)
    return invalid (error, "redactions: at most %d kB", CR_REDACTION_LIST_MAX_BYTES / 1024),
           NULL;
  if (!strict_and_flat (text, error))
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, &parse_error))
    {
      /* json-glib quotes what it stumbled on, which may be half a
       * character. */
      g_autofree char *why = g_utf8_make_valid (parse_error->message, -1);
      return invalid (error, "redactions: not JSON: %s", cr_text_shown (why)), NULL;
    }
  /* Blank text parses to no value at all. */
  if (json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return invalid (error, "redactions: expected a JSON array"), NULL;
  list = json_node_get_array (json_parser_get_root (parser));
  if (json_array_get_length (list) > CR_REDACTION_LIST_MAX)
    return invalid (error, "redactions: %u entries; at most %d", json_array_get_length (list),
                    CR_REDACTION_LIST_MAX), NULL;
  builder = json_builder_new ();
  json_builder_begin_array (builder);
  for (guint i = 0; i < json_array_get_length (list); i++)
    if (!add_entry (builder, json_array_get_element (list, i), i, scope, error))
      return NULL;
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  stored = json_to_string (root, FALSE);
  /* Filled in and resolved, a list grows; what is stored is read again. */
  if (strlen (stored) > CR_REDACTION_LIST_MAX_BYTES)
    return invalid (error, "redactions: at most %d kB as stored",
                    CR_REDACTION_LIST_MAX_BYTES / 1024), NULL;
  return g_steal_pointer (&stored);
}
