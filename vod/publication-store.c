/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* publication-store.c: see publication-store.h. A section of the index
 * of its own, through the index's SQL helpers. */
#include "vod/publication-store.h"

#include <json-glib/json-glib.h>

#include "archive/segment-index-private.h"

#define PUBLICATION_COLUMNS \
  "id, session_id, title, redactions, state, published_by, created_at, ready_at, " \
  "sha256, bytes, duration_us, withdrawn_at, withdrawn_by, reason"

static const char *const state_names[] = {
  [CR_PUBLICATION_RENDERING] = "rendering",
  [CR_PUBLICATION_PUBLISHED] = "published",
  [CR_PUBLICATION_FAILED] = "failed",
  [CR_PUBLICATION_WITHDRAWN] = "withdrawn",
};

const char *
cr_publication_state_to_string (CrPublicationState state)
{
  if ((gsize) state >= G_N_ELEMENTS (state_names))
    return NULL;
  return state_names[state];
}

static CrPublicationState
state_from_string (const char *text)
{
  for (gsize i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (text, state_names[i]) == 0)
      return (CrPublicationState) i;
  /* A state this program does not know is nothing to serve. */
  return CR_PUBLICATION_FAILED;
}

void
cr_publication_record_free (CrPublicationRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->title);
  g_free (record->redactions);
  g_free (record->published_by);
  g_free (record->sha256);
  g_free (record->withdrawn_by);
  g_free (record->reason);
  g_free (record);
}

/* An event's detail: {"publication": ID, NAME: VALUE, ...} with the
 * values given as JSON text (a string already quoted, a list as is).
 * (transfer full) */
static char *
event_detail (gint64 id, const char *first_name, ...) G_GNUC_NULL_TERMINATED;

static char *
event_detail (gint64 id, const char *first_name, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  va_list args;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "publication");
  json_builder_add_int_value (builder, id);
  va_start (args, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      JsonNode *value = va_arg (args, JsonNode *);
      json_builder_set_member_name (builder, name);
      json_builder_add_value (builder, value != NULL ? value : json_node_new (JSON_NODE_NULL));
    }
  va_end (args);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static JsonNode *
text_node (const char *text)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  if (text == NULL)
    return json_node_init_null (node);
  json_node_set_string (node, text);
  return node;
}

/* The stored list as a value (it was checked before it was stored; a
 * list that does not parse goes in as its text). */
static JsonNode *
list_node (const char *redactions)
{
  JsonNode *node = json_from_string (redactions, NULL);
  return node != NULL ? node : text_node (redactions);
}

typedef struct {
  gint64 session_id;
  const char *title, *redactions, *by;
  gint64 at_us;
  gint64 id;                /* out */
} NewPublication;

static gboolean
insert_publication (CrSegmentIndex *index, gpointer data, GError **error)
{
  NewPublication *new = data;
  g_autofree char *detail = NULL;

  new->id = cr_index_insert (index,
                             "INSERT INTO publications (session_id, title, redactions, state, "
                             "published_by, created_at) VALUES (?, ?, ?, 'rendering', ?, ?)",
                             "record a publication",
                             CR_BIND (CR_VALUE_INT (new->session_id), CR_VALUE_TEXT (new->title),
                                      CR_VALUE_TEXT (new->redactions), CR_VALUE_TEXT (new->by),
                                      CR_VALUE_UTC (new->at_us)),
                             error);
  if (new->id == 0)
    return FALSE;
  detail = event_detail (new->id, "redactions", list_node (new->redactions),
                         "by", text_node (new->by), NULL);
  return cr_index_insert_event (index, new->session_id, new->at_us, CR_EVENT_PUBLISHED,
                                detail, error) != 0;
}

gint64
cr_publication_store_add (CrSegmentIndex *index, gint64 session_id, const char *title,
                          const char *redactions, const char *by, gint64 at_us,
                          GError **error)
{
  NewPublication new = { session_id, title, redactions, by, at_us, 0 };

  g_return_val_if_fail (index != NULL && redactions != NULL, 0);

  if (!cr_index_transaction (index, insert_publication, &new, error))
    return 0;
  return new.id;
}

static GPtrArray *
select_publications (CrSegmentIndex *index, const char *sql, const char *doing,
                     const CrIndexValue *values, gsize n_values, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
      cr_index_statement (index, sql, doing, values, n_values, error);
  g_autoptr (GPtrArray) rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_publication_record_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (CrPublicationRecord) record = g_new0 (CrPublicationRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->session_id = sqlite3_column_int64 (stmt, 1);
      record->title = cr_index_column_text (stmt, 2);
      record->redactions = cr_index_column_text (stmt, 3);
      record->state = state_from_string ((const char *) sqlite3_column_text (stmt, 4));
      record->published_by = cr_index_column_text (stmt, 5);
      if (!cr_index_column_utc (index, stmt, 6, "publications", &record->created_us, error) ||
          !cr_index_column_utc (index, stmt, 7, "publications", &record->ready_us, error) ||
          !cr_index_column_utc (index, stmt, 11, "publications", &record->withdrawn_us, error))
        return NULL;
      record->sha256 = cr_index_column_text (stmt, 8);
      record->bytes = sqlite3_column_int64 (stmt, 9);
      record->duration_us = sqlite3_column_int64 (stmt, 10);
      record->withdrawn_by = cr_index_column_text (stmt, 12);
      record->reason = cr_index_column_text (stmt, 13);
      g_ptr_array_add (rows, g_steal_pointer (&record));
    }
  if (!cr_index_check (index, rc, doing, error))
    return NULL;
  return g_steal_pointer (&rows);
}

CrPublicationRecord *
cr_publication_store_get (CrSegmentIndex *index, gint64 id, GError **error)
{
  g_autoptr (GPtrArray) rows =
      select_publications (index, "SELECT " PUBLICATION_COLUMNS " FROM publications "
                           "WHERE id = ?", "read a publication",
                           CR_BIND (CR_VALUE_INT (id)), error);

  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No publication %" G_GINT64_FORMAT, id);
      return NULL;
    }
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
cr_publication_store_list (CrSegmentIndex *index, gint state, GError **error)
{
  if (state < 0)
    return select_publications (index, "SELECT " PUBLICATION_COLUMNS " FROM publications "
                                "ORDER BY id", "list the publications", CR_BIND_NONE, error);
  return select_publications (index, "SELECT " PUBLICATION_COLUMNS " FROM publications "
                              "WHERE state = ? ORDER BY id", "list the publications",
                              CR_BIND (CR_VALUE_TEXT (cr_publication_state_to_string (state))),
                              error);
}

/* Runs @sql on row @id and says NOT_FOUND when it changed no row (the
 * row is gone or not in the state the statement asks for). */
static gboolean
update_one (CrSegmentIndex *index, gint64 id, const char *sql, const char *doing,
            const CrIndexValue *values, gsize n_values, GError **error)
{
  if (!cr_index_run (index, sql, doing, values, n_values, error))
    return FALSE;
  if (sqlite3_changes (index->db) == 0)
    {
      g_set_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND,
                   "No publication %" G_GINT64_FORMAT " to %s", id, doing);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  gint64 id, session_id;
  const char *sql, *doing;
  const CrIndexValue *values;
  gsize n_values;
  CrEventKind kind;
  char *detail;
  gint64 at_us;
} Change;

static gboolean
change_work (CrSegmentIndex *index, gpointer data, GError **error)
{
  Change *change = data;

  if (!update_one (index, change->id, change->sql, change->doing, change->values,
                   change->n_values, error))
    return FALSE;
  return cr_index_insert_event (index, change->session_id, change->at_us, change->kind,
                                change->detail, error) != 0;
}

/* Runs the change and writes its event, in one transaction. */
static gboolean
change_with_event (CrSegmentIndex *index, Change *change, GError **error)
{
  g_autoptr (CrPublicationRecord) record = cr_publication_store_get (index, change->id, error);
  gboolean ok;

  if (record == NULL)
    return FALSE;
  change->session_id = record->session_id;
  ok = cr_index_transaction (index, change_work, change, error);
  g_free (change->detail);
  return ok;
}

gboolean
cr_publication_store_set_published (CrSegmentIndex *index, gint64 id, const char *sha256,
                                    gint64 bytes, gint64 duration_us, gint64 at_us,
                                    GError **error)
{
  g_autoptr (CrPublicationRecord) record = cr_publication_store_get (index, id, error);
  Change change = {
    .id = id, .at_us = at_us, .kind = CR_EVENT_COPY_RENDERED,
    .sql = "UPDATE publications SET state = 'published', sha256 = ?, bytes = ?, "
           "duration_us = ?, ready_at = ? WHERE id = ? AND state = 'rendering'",
    .doing = "mark a publication published",
    .values = (const CrIndexValue[]) { CR_VALUE_TEXT (sha256), CR_VALUE_INT (bytes),
                                       CR_VALUE_INT (duration_us), CR_VALUE_UTC (at_us),
                                       CR_VALUE_INT (id) },
    .n_values = 5,
  };

  if (record == NULL)
    return FALSE;
  change.detail = event_detail (id, "sha256", text_node (sha256),
                                "bytes", json_node_init_int (json_node_alloc (), bytes),
                                "redactions", list_node (record->redactions), NULL);
  return change_with_event (index, &change, error);
}

gboolean
cr_publication_store_set_failed (CrSegmentIndex *index, gint64 id, const char *reason,
                                 GError **error)
{
  Change change = {
    .id = id, .at_us = g_get_real_time (), .kind = CR_EVENT_WITHDRAWN,
    .sql = "UPDATE publications SET state = 'failed', reason = ? "
           "WHERE id = ? AND state = 'rendering'",
    .doing = "mark a publication failed",
    .values = (const CrIndexValue[]) { CR_VALUE_TEXT (reason), CR_VALUE_INT (id) },
    .n_values = 2,
  };
  g_autofree char *why = g_strdup_printf ("not rendered: %s",
                                          reason != NULL ? reason : "(no message)");

  /* The chain said "published": it says too that it never was. */
  change.detail = event_detail (id, "reason", text_node (why), "by", text_node (NULL), NULL);
  return change_with_event (index, &change, error);
}

gboolean
cr_publication_store_set_withdrawn (CrSegmentIndex *index, gint64 id, const char *reason,
                                    const char *by, gint64 at_us, GError **error)
{
  Change change = {
    .id = id, .at_us = at_us, .kind = CR_EVENT_WITHDRAWN,
    .sql = "UPDATE publications SET state = 'withdrawn', reason = ?, "
           "withdrawn_by = ?, withdrawn_at = ? WHERE id = ? AND state != 'withdrawn'",
    .doing = "withdraw a publication",
    .values = (const CrIndexValue[]) { CR_VALUE_TEXT (reason), CR_VALUE_TEXT (by),
                                       CR_VALUE_UTC (at_us), CR_VALUE_INT (id) },
    .n_values = 4,
  };

  change.detail = event_detail (id, "reason", text_node (reason), "by", text_node (by), NULL);
  return change_with_event (index, &change, error);
}
