/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hearing-feed.c: see hearing-feed.h. Both forms come down to records of
 * named text fields (FeedRecord), read by one function, so that JSON and
 * CSV say the same about the same mistake. */
#include "schedule/hearing-feed.h"

#include <csv.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/case-number.h"
#include "archive/utc.h"

/* The fields, and the names a column or member may have. */
typedef enum {
  FIELD_CASE, FIELD_TITLE, FIELD_ROOM, FIELD_START, FIELD_END, FIELD_PUBLIC,
  FIELD_UID, FIELD_STATUS, N_FIELDS
} Field;

static const char *const field_names[N_FIELDS][4] = {
  [FIELD_CASE] = { "case", "案号", NULL },
  [FIELD_TITLE] = { "title", "案由", "标题", NULL },
  [FIELD_ROOM] = { "room", "法庭", NULL },
  [FIELD_START] = { "start", "开始", NULL },
  [FIELD_END] = { "end", "结束", NULL },
  [FIELD_PUBLIC] = { "public", "公开", NULL },
  [FIELD_UID] = { "uid", NULL },
  [FIELD_STATUS] = { "status", "状态", NULL },
};

/* Columns beyond this many are not read: a header of a million commas
 * must not cost a million slots per record. */
#define MAX_COLUMNS 64

typedef struct {
  char *value[N_FIELDS];       /* NULL when not given */
} FeedRecord;

static void
feed_record_clear (FeedRecord *record)
{
  for (guint i = 0; i < N_FIELDS; i++)
    g_clear_pointer (&record->value[i], g_free);
}

static int
field_of_name (const char *name)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (name));

  for (guint i = 0; i < N_FIELDS; i++)
    for (guint j = 0; field_names[i][j] != NULL; j++)
      if (g_ascii_strcasecmp (trimmed, field_names[i][j]) == 0)
        return (int) i;
  return -1;
}

static const char *
text_or_null (const char *text)
{
  return text != NULL && *text != '\0' ? text : NULL;
}

/* true/false/1/0/是/否 (and yes/no); -1 for anything else. */
static int
read_public (const char *text)
{
  static const char *const yes[] = { "true", "1", "是", "yes", NULL };
  static const char *const no[] = { "false", "0", "否", "no", NULL };
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  for (guint i = 0; yes[i] != NULL; i++)
    if (g_ascii_strcasecmp (trimmed, yes[i]) == 0)
      return 1;
  for (guint i = 0; no[i] != NULL; i++)
    if (g_ascii_strcasecmp (trimmed, no[i]) == 0)
      return 0;
  return -1;
}

static const char *
read_status (const char *text)
{
  g_autofree char *trimmed = text != NULL ? g_strstrip (g_strdup (text)) : NULL;

  if (trimmed == NULL || *trimmed == '\0' || g_ascii_strcasecmp (trimmed, "scheduled") == 0)
    return "scheduled";
  if (g_ascii_strcasecmp (trimmed, "cancelled") == 0
      || g_ascii_strcasecmp (trimmed, "canceled") == 0 || strcmp (trimmed, "取消") == 0
      || strcmp (trimmed, "已取消") == 0)
    return "cancelled";
  return NULL;
}

/* Reads one record; NULL when stored or of another room (*@other set),
 * else why not. */
static char *
read_record (const CrScheduleScope *scope, CrScheduleParse *parse, GHashTable *uids,
             FeedRecord *record, gboolean *other)
{
  const char *room = text_or_null (record->value[FIELD_ROOM]);
  g_autoptr (CrHearingRow) row = NULL;
  g_autoptr (GError) error = NULL;
  int public_value = 0;

  *other = FALSE;
  if (room == NULL)
    return g_strdup ("no room");
  if (!cr_schedule_scope_is_room (scope, room))
    {
      *other = TRUE;
      return NULL;
    }
  row = g_new0 (CrHearingRow, 1);
  if (text_or_null (record->value[FIELD_CASE]) == NULL)
    return g_strdup ("no case");
  row->case_no = cr_case_number_canonicalize (record->value[FIELD_CASE], &error);
  if (row->case_no == NULL)
    return g_strdup_printf ("case: %s", error->message);
  if (text_or_null (record->value[FIELD_START]) == NULL)
    return g_strdup ("no start");
  if (!cr_schedule_parse_time (record->value[FIELD_START], scope->zone, &row->starts_us))
    return g_strdup_printf ("start \"%s\" is not YYYY-MM-DD HH:MM[:SS] nor ISO 8601 with an offset",
                            record->value[FIELD_START]);
  if (text_or_null (record->value[FIELD_END]) == NULL)
    return g_strdup ("no end");
  if (!cr_schedule_parse_time (record->value[FIELD_END], scope->zone, &row->ends_us))
    return g_strdup_printf ("end \"%s\" is not YYYY-MM-DD HH:MM[:SS] nor ISO 8601 with an offset",
                            record->value[FIELD_END]);
  if (row->ends_us <= row->starts_us)
    return g_strdup ("it ends before it starts");
  if (row->ends_us - row->starts_us > CR_SCHEDULE_MAX_SLOT_US)
    return g_strdup ("a slot longer than 24 hours");
  if (text_or_null (record->value[FIELD_PUBLIC]) != NULL
      && (public_value = read_public (record->value[FIELD_PUBLIC])) < 0)
    return g_strdup_printf ("public \"%s\" is not true, false, 1, 0, 是 or 否",
                            record->value[FIELD_PUBLIC]);
  row->public_hearing = public_value == 1;
  row->status = g_strdup (read_status (record->value[FIELD_STATUS]));
  if (row->status == NULL)
    return g_strdup_printf ("status \"%s\" is not scheduled or cancelled",
                            record->value[FIELD_STATUS]);
  if (record->value[FIELD_UID] != NULL)
    row->uid = g_strstrip (g_strdup (record->value[FIELD_UID]));
  if (row->uid != NULL && *row->uid == '\0')
    g_clear_pointer (&row->uid, g_free);
  if (row->uid == NULL)
    {
      g_autofree char *start = cr_format_utc (row->starts_us);
      row->uid = g_strdup_printf ("%s@%s", row->case_no, start);
    }
  if (g_hash_table_contains (uids, row->uid))
    return g_strdup_printf ("uid %s is listed by a record before it", row->uid);
  row->title = g_strdup (text_or_null (record->value[FIELD_TITLE]));
  row->location = g_strstrip (g_strdup (room));
  row->tzid = g_strdup (scope->zone_name);
  g_hash_table_add (uids, g_strdup (row->uid));
  g_ptr_array_add (parse->hearings, g_steal_pointer (&row));
  return NULL;
}

static void
take_record (const CrScheduleScope *scope, CrScheduleParse *parse, GHashTable *uids,
             FeedRecord *record, const char *where)
{
  gboolean other;
  g_autofree char *why = read_record (scope, parse, uids, record, &other);

  parse->events++;
  if (other)
    parse->other_rooms++;
  else if (why != NULL)
    cr_schedule_parse_skip (parse, "%s: %s", where, why);
}

static guint line_at (const char *text, gsize offset);

/* UTF-8 without NUL, or an error naming where: a parser's own message
 * would quote the bytes that are not. */
static gboolean
check_text (const char *text, gsize length, const char *format, GError **error)
{
  const char *end = NULL;
  const char *nul = memchr (text, '\0', length);

  if (!g_utf8_validate_len (text, length, &end))
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line %u (byte %" G_GSIZE_FORMAT "): not UTF-8",
                   line_at (text, (gsize) (end - text)), (gsize) (end - text));
      return FALSE;
    }
  if (nul != NULL)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line %u: a NUL byte: not a %s text", line_at (text, (gsize) (nul - text)),
                   format);
      return FALSE;
    }
  return TRUE;
}

/* JSON */

static const char *
json_type_name (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_BOOLEAN: return "a boolean";
    case G_TYPE_INT64: return "an integer";
    case G_TYPE_DOUBLE: return "a number";
    default: return "a string";
    }
}

/* The members of @object as text; FALSE with @why for a wrong type. */
static gboolean
json_record (JsonObject *object, FeedRecord *record, char **why)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    {
      int field = field_of_name (name);

      if (field < 0 || JSON_NODE_HOLDS_NULL (node))
        continue;
      /* Names are matched without case, so "public" and "Public" are the
       * same field: the last one given stands, as with a repeated name. */
      g_clear_pointer (&record->value[field], g_free);
      if (field == FIELD_PUBLIC && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        record->value[field] = g_strdup (json_node_get_boolean (node) ? "true" : "false");
      else if (field == FIELD_PUBLIC && JSON_NODE_HOLDS_VALUE (node)
               && json_node_get_value_type (node) == G_TYPE_INT64)
        record->value[field] = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        record->value[field] = g_strdup (json_node_get_string (node));
      else
        {
          *why = g_strdup_printf ("\"%s\" must be %s, not %s", name,
                                  field == FIELD_PUBLIC ? "a boolean" : "a string",
                                  json_type_name (node));
          return FALSE;
        }
    }
  return TRUE;
}

/* json-glib parses nested values by recursion: two million '[' would
 * overflow the stack and take the daemon down. The brackets are counted
 * first (outside strings); a feed needs three levels. */
#define MAX_JSON_DEPTH 16

static gboolean
check_json_depth (const char *text, gsize length, GError **error)
{
  gboolean in_string = FALSE, escaped = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if ((c == '[' || c == '{') && ++depth > MAX_JSON_DEPTH)
        {
          g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                       "line %u (byte %" G_GSIZE_FORMAT "): JSON nested deeper than %d levels",
                       line_at (text, i), i, MAX_JSON_DEPTH);
          return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

static CrScheduleParse *
parse_json (const char *text, gsize length, const CrScheduleScope *scope, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (CrScheduleParse) parse = NULL;
  g_autoptr (GHashTable) uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;
  JsonArray *hearings = NULL;

  if (!check_text (text, length, "JSON", error) || !check_json_depth (text, length, error))
    return NULL;
  if (length > G_MAXSSIZE || !json_parser_load_from_data (parser, text, (gssize) length,
                                                          &local_error))
    {
      /* json-glib's message quotes the text and may cut a character in
       * two. */
      g_autofree char *message = g_utf8_make_valid (local_error != NULL
                                                    ? local_error->message : "too long", -1);
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE, "not JSON: %s", message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    hearings = json_node_get_array (root);
  else if (root != NULL && JSON_NODE_HOLDS_OBJECT (root)
           && json_object_has_member (json_node_get_object (root), "hearings")
           && JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (root),
                                                             "hearings")))
    hearings = json_object_get_array_member (json_node_get_object (root), "hearings");
  if (hearings == NULL)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "the JSON is neither an array of hearings nor an object with a "
                   "\"hearings\" array");
      return NULL;
    }
  parse = cr_schedule_parse_new ();
  for (guint i = 0; i < json_array_get_length (hearings); i++)
    {
      JsonNode *node = json_array_get_element (hearings, i);
      FeedRecord record = { 0 };
      g_autofree char *why = NULL;
      g_autofree char *where = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          parse->events++;
          cr_schedule_parse_skip (parse, "hearing %u: %s, not an object", i + 1,
                                  json_type_name (node));
          continue;
        }
      if (!json_record (json_node_get_object (node), &record, &why))
        {
          parse->events++;
          cr_schedule_parse_skip (parse, "hearing %u: %s", i + 1, why);
          feed_record_clear (&record);
          continue;
        }
      where = record.value[FIELD_UID] != NULL
              ? g_strdup_printf ("hearing %u (uid %s)", i + 1, record.value[FIELD_UID])
              : g_strdup_printf ("hearing %u", i + 1);
      take_record (scope, parse, uids, &record, where);
      feed_record_clear (&record);
    }
  return g_steal_pointer (&parse);
}

/* CSV */

typedef struct {
  const CrScheduleScope *scope;
  CrScheduleParse *parse;
  GHashTable *uids;
  int columns[MAX_COLUMNS];    /* the field of each column, -1: not read */
  guint n_columns;
  gboolean have_header;
  guint column;                /* of the field being read */
  guint record_number;         /* 1 = the header */
  FeedRecord record;
  char *error;                 /* a header that will not do */
} CsvReader;

static void
csv_field (void *data, size_t length, void *user_data)
{
  CsvReader *reader = user_data;
  guint column = reader->column++;
  g_autofree char *text = NULL;

  if (reader->error != NULL || column >= MAX_COLUMNS)
    return;
  text = g_strndup (data != NULL ? data : "", length);
  if (!reader->have_header)
    {
      const char *name = text;

      /* A BOM before the first column's name, as spreadsheets write. */
      if (column == 0 && g_str_has_prefix (name, "\xef\xbb\xbf"))
        name += 3;
      reader->columns[column] = field_of_name (name);
      reader->n_columns = column + 1;
      return;
    }
  if (column < reader->n_columns && reader->columns[column] >= 0)
    {
      int field = reader->columns[column];

      g_free (reader->record.value[field]);
      reader->record.value[field] = g_steal_pointer (&text);
    }
}

static void
csv_record (int terminator, void *user_data)
{
  CsvReader *reader = user_data;

  reader->record_number++;
  reader->column = 0;
  if (reader->error != NULL)
    return;
  if (!reader->have_header)
    {
      static const Field required[] = { FIELD_CASE, FIELD_ROOM, FIELD_START, FIELD_END };

      reader->have_header = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (required); i++)
        {
          gboolean found = FALSE;

          for (guint c = 0; c < reader->n_columns; c++)
            found |= reader->columns[c] == (int) required[i];
          if (!found)
            {
              reader->error = g_strdup_printf (
                  "the CSV's header (record 1) has no column \"%s\" (or %s)",
                  field_names[required[i]][0], field_names[required[i]][1]);
              return;
            }
        }
      return;
    }
  g_autofree char *where = reader->record.value[FIELD_UID] != NULL
      ? g_strdup_printf ("record %u (uid %s)", reader->record_number,
                         reader->record.value[FIELD_UID])
      : g_strdup_printf ("record %u", reader->record_number);
  take_record (reader->scope, reader->parse, reader->uids, &reader->record, where);
  feed_record_clear (&reader->record);
}

static guint
line_at (const char *text, gsize offset)
{
  guint line = 1;

  for (gsize i = 0; i < offset; i++)
    line += text[i] == '\n';
  return line;
}

static CrScheduleParse *
parse_csv (const char *text, gsize length, const CrScheduleScope *scope, GError **error)
{
  g_autoptr (CrScheduleParse) parse = cr_schedule_parse_new ();
  g_autoptr (GHashTable) uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  CsvReader reader = { .scope = scope, .parse = parse, .uids = uids };
  struct csv_parser parser;
  size_t done;
  gboolean ok = TRUE;

  if (!check_text (text, length, "CSV", error))
    return NULL;
  if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE, "libcsv will not start");
      return NULL;
    }
  done = csv_parse (&parser, text, length, csv_field, csv_record, &reader);
  if (done != length)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line %u (record %u): %s (a quote inside an unquoted field?)",
                   line_at (text, done), reader.record_number + 1,
                   csv_strerror (csv_error (&parser)));
      ok = FALSE;
    }
  else if (csv_fini (&parser, csv_field, csv_record, &reader) != 0)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "record %u: a quoted field is not closed by the end of the text (line %u)",
                   reader.record_number + 1, line_at (text, length));
      ok = FALSE;
    }
  csv_free (&parser);
  feed_record_clear (&reader.record);
  if (ok && reader.error != NULL)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE, "%s", reader.error);
      ok = FALSE;
    }
  else if (ok && !reader.have_header)
    {
      g_set_error (error, CR_SCHEDULE_ERROR, CR_SCHEDULE_ERROR_PARSE,
                   "line 1: an empty CSV (no header naming the columns)");
      ok = FALSE;
    }
  g_free (reader.error);
  return ok ? g_steal_pointer (&parse) : NULL;
}

CrHearingFeedFormat
cr_hearing_feed_detect (const char *text, gsize length, const char *content_type)
{
  gsize i = 0;

  if (content_type != NULL)
    {
      g_autofree char *type = g_ascii_strdown (content_type, -1);
      char *semicolon = strchr (type, ';');

      if (semicolon != NULL)
        *semicolon = '\0';
      g_strstrip (type);
      if (strcmp (type, "application/json") == 0 || g_str_has_suffix (type, "+json")
          || strcmp (type, "text/json") == 0)
        return CR_HEARING_FEED_JSON;
      if (strcmp (type, "text/csv") == 0)
        return CR_HEARING_FEED_CSV;
    }
  if (length >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < length && g_ascii_isspace (text[i]))
    i++;
  if (i < length && (text[i] == '[' || text[i] == '{'))
    return CR_HEARING_FEED_JSON;
  return CR_HEARING_FEED_CSV;
}

CrScheduleParse *
cr_hearing_feed_parse (const char *text, gsize length, CrHearingFeedFormat format,
                       const CrScheduleScope *scope, GError **error)
{
  if (format == CR_HEARING_FEED_AUTO)
    format = cr_hearing_feed_detect (text, length, NULL);
  if (format == CR_HEARING_FEED_JSON)
    return parse_json (text, length, scope, error);
  return parse_csv (text, length, scope, error);
}
