/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* archive-verify.c: a session verified from the court archive's copy
 * (archive-verify.h). */
#include "archive/archive-verify.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/digest.h"
#include "archive/json-members.h"
#include "archive/session-manifest.h"
#include "archive/upload-queue.h"
#include "archive/verify-private.h"

/* Member @name of @object when it is an object (an array), else NULL:
 * json-glib's own getters insist on the type, and the archive's copy is
 * not to be trusted with it. */
static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
array_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
object_element (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Says which element of @what a bad member in @wrong is of. */
static void
name_element (GString *wrong, const char *what, guint i)
{
  g_autofree char *where = g_strdup_printf ("%s[%u] (", what, i);

  if (wrong->len > 0)
    g_string_append_c (g_string_prepend (wrong, where), ')');
}

/* The manifest, read into the records the judge takes. A member of the
 * wrong type is named in @wrong; one the chain covers but that is merely
 * absent or null (a hash, a link, a signature) is left NULL for the judge
 * to name as it names an edited index. */
static gboolean
read_session (JsonObject *root, SessionCheck *check, GString *wrong)
{
  JsonObject *session = object_member (root, "session");
  JsonObject *seal = object_member (root, "seal");
  CrSessionRecord *record = g_new0 (CrSessionRecord, 1);
  gint64 sealed_events = 0;

  check->session = record;
  record->state = CR_SESSION_STOPPED;
  if (session == NULL || seal == NULL)
    {
      g_string_append_printf (wrong, "%s\"session\" and \"seal\" (objects)",
                              wrong->len > 0 ? ", " : "");
      return FALSE;
    }
  cr_json_get_int (session, "id", &record->id, wrong);
  cr_json_get_text (session, "room", FALSE, &record->room_id, wrong);
  cr_json_get_text (session, "case", FALSE, &record->case_no, wrong);
  cr_json_get_text (session, "title", TRUE, &record->title, wrong);
  cr_json_get_time (session, "started", &record->started_us, wrong);
  cr_json_get_time (session, "stopped", &record->stopped_us, wrong);
  cr_json_get_text (seal, "chain_root", TRUE, &record->chain_root, wrong);
  cr_json_get_text (seal, "chain_head", TRUE, &record->chain_head, wrong);
  cr_json_get_text (seal, "signature", TRUE, &record->signature, wrong);
  cr_json_get_text (seal, "public_key", TRUE, &record->public_key, wrong);
  cr_json_get_time (seal, "sealed", &record->sealed_us, wrong);
  cr_json_get_int (seal, "sealed_events", &sealed_events, wrong);
  if (sealed_events < 0 || sealed_events > G_MAXUINT)
    g_string_append_printf (wrong, "%s\"sealed_events\" (0 or more)", wrong->len > 0 ? ", " : "");
  else
    record->sealed_events = (guint) sealed_events;
  return wrong->len == 0;
}

/* A sequence number as the index keeps it: 1 to G_MAXUINT. */
static gboolean
get_sequence (JsonObject *object, guint *out, GString *wrong)
{
  gint64 value = 0;

  if (!cr_json_get_int (object, "sequence", &value, wrong))
    return FALSE;
  if (value < 1 || value > G_MAXUINT)
    {
      g_string_append_printf (wrong, "%s\"sequence\" (1 or more)", wrong->len > 0 ? ", " : "");
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

static gboolean
read_rows (JsonObject *root, SessionCheck *check, GString *wrong)
{
  JsonArray *segments = array_member (root, "segments");
  JsonArray *ledger = array_member (root, "ledger");

  check->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_segment_record_free);
  check->ledger = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_record_free);
  if (segments == NULL || ledger == NULL)
    {
      g_string_append_printf (wrong, "%s\"segments\" and \"ledger\" (arrays)",
                              wrong->len > 0 ? ", " : "");
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (segments) && wrong->len == 0; i++)
    {
      JsonObject *object = object_element (segments, i);
      CrSegmentRecord *row = g_new0 (CrSegmentRecord, 1);

      g_ptr_array_add (check->rows, row);
      if (object == NULL)
        {
          g_string_append_printf (wrong, "segments[%u] (an object)", i);
          break;
        }
      row->session_id = check->session->id;
      row->closed = TRUE;
      get_sequence (object, &row->sequence, wrong);
      cr_json_get_text (object, "path", FALSE, &row->path, wrong);
      cr_json_get_time (object, "started", &row->started_us, wrong);
      cr_json_get_int (object, "duration_us", &row->duration_us, wrong);
      cr_json_get_int (object, "bytes", &row->bytes, wrong);
      cr_json_get_text (object, "sha256", TRUE, &row->sha256, wrong);
      cr_json_get_text (object, "link", TRUE, &row->link, wrong);
      name_element (wrong, "segments", i);
    }
  for (guint i = 0; i < json_array_get_length (ledger) && wrong->len == 0; i++)
    {
      JsonObject *object = object_element (ledger, i);
      CrEventRecord *event = g_new0 (CrEventRecord, 1);

      g_ptr_array_add (check->ledger, event);
      if (object == NULL)
        {
          g_string_append_printf (wrong, "ledger[%u] (an object)", i);
          break;
        }
      event->session_id = check->session->id;
      event->id = i + 1;
      get_sequence (object, &event->sequence, wrong);
      cr_json_get_time (object, "at", &event->at_us, wrong);
      cr_json_get_text (object, "kind", FALSE, &event->kind_name, wrong);
      cr_json_get_text (object, "detail", TRUE, &event->detail, wrong);
      cr_json_get_text (object, "link", TRUE, &event->link, wrong);
      event->kind = cr_event_kind_from_string (event->kind_name);
      name_element (wrong, "ledger", i);
    }
  /* The judge also reads the ledger by time (the seal's event). */
  check->events = g_ptr_array_ref (check->ledger);
  return wrong->len == 0;
}

/* GETs @key into @path; NOT_FOUND is FALSE with *@missing set, anything
 * else that is not the object an error. */
static gboolean
fetch (const CrArchiveVerifyRequest *request, const char *key, const char *path,
       gboolean *missing, GError **error)
{
  CrS3Reply reply = CR_S3_REPLY_INIT;
  g_autoptr (GError) local = NULL;
  gboolean fetched;

  *missing = FALSE;
  fetched = cr_s3_get_object (request->client, request->bucket, key, path, &reply, &local);
  cr_s3_reply_clear (&reply);
  if (fetched)
    return TRUE;
  if (g_error_matches (local, CR_S3_ERROR, CR_S3_ERROR_NOT_FOUND))
    {
      *missing = TRUE;
      return FALSE;
    }
  g_propagate_prefixed_error (error, g_steal_pointer (&local), "reading %s/%s back: ",
                              request->bucket, key);
  return FALSE;
}

static gint
by_segment_sequence (gconstpointer a, gconstpointer b)
{
  const CrSegmentRecord *x = *(CrSegmentRecord *const *) a, *y = *(CrSegmentRecord *const *) b;

  return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

static gint
by_event_sequence (gconstpointer a, gconstpointer b)
{
  const CrEventRecord *x = *(CrEventRecord *const *) a, *y = *(CrEventRecord *const *) b;

  return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

gboolean
cr_archive_manifest_parse (const char *text, gssize length, SessionCheck *check,
                           char **problem)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GString) wrong = g_string_new (NULL);
  g_autoptr (GError) parse_error = NULL;
  g_autofree char *format = NULL;
  JsonNode *root;
  JsonObject *object;

  if (!json_parser_load_from_data (parser, text, length, &parse_error))
    {
      /* json-glib quotes the bytes it stumbled on, which need not be text. */
      g_autofree char *why = g_utf8_make_valid (parse_error->message, -1);

      *problem = g_strdup_printf ("the archive's manifest is not JSON: %s", why);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  if (object != NULL)
    cr_json_get_text (object, "format", FALSE, &format, wrong);
  if (object == NULL || g_strcmp0 (format, CR_SESSION_MANIFEST_FORMAT) != 0)
    {
      *problem = g_strdup ("the archive's object is not a courtrec session manifest (no "
                           "\"format\": \"" CR_SESSION_MANIFEST_FORMAT "\")");
      return FALSE;
    }
  g_string_truncate (wrong, 0);
  if (!read_session (object, check, wrong) || !read_rows (object, check, wrong))
    {
      *problem = g_strdup_printf ("the archive's manifest is damaged: expected %s",
                                  wrong->str);
      return FALSE;
    }
  /* The order of the arrays is the writer's, not part of what the chain
   * proves: the judge reads rows and events by their numbers, as the
   * index gives them. */
  g_ptr_array_sort (check->rows, by_segment_sequence);
  g_ptr_array_sort (check->ledger, by_event_sequence);
  return TRUE;
}

/* Reads the manifest at @key into @check; FALSE with no error when the
 * archive holds none, or holds something that is not one (@problem says
 * which, for the report). */
static gboolean
read_manifest (const CrArchiveVerifyRequest *request, const char *key, SessionCheck *check,
               char **problem, CrVerifyProblemKind *kind, GError **error)
{
  g_autofree char *path = g_build_filename (request->work_dir, "manifest.json", NULL);
  g_autofree char *text = NULL;
  gsize length = 0;
  gboolean missing;
  GStatBuf st;

  if (!fetch (request, key, path, &missing, error))
    {
      if (missing)
        {
          *kind = CR_VERIFY_DELETED;
          *problem = g_strdup ("the archive holds no manifest of this session: it was not "
                               "archived yet (courtrec status shows the queue), or its "
                               "manifest was deleted");
        }
      return FALSE;
    }
  *kind = CR_VERIFY_UNREADABLE;
  if (g_stat (path, &st) != 0 || st.st_size > CR_ARCHIVE_MANIFEST_MAX_BYTES)
    {
      *problem = g_strdup_printf ("the archive's manifest is larger than %d MB: not a "
                                  "manifest courtrec wrote",
                                  CR_ARCHIVE_MANIFEST_MAX_BYTES / (1024 * 1024));
      g_unlink (path);
      return FALSE;
    }
  if (!g_file_get_contents (path, &text, &length, error))
    {
      g_unlink (path);
      return FALSE;
    }
  g_unlink (path);
  return cr_archive_manifest_parse (text, (gssize) length, check, problem);
}

/* Fetches and hashes each segment's object, one at a time (a hearing's
 * segments may not fit the disk twice over), as the judge's files. */
static gboolean
fetch_segments (const CrArchiveVerifyRequest *request, CrVerifyReport *report,
                SessionCheck *check, GPtrArray *jobs, GError **error)
{
  g_autofree char *path = g_build_filename (request->work_dir, "segment", NULL);

  for (guint i = 0; i < check->checks->len; i++)
    {
      RowCheck *row_check = g_ptr_array_index (check->checks, i);
      HashJob *job = g_new0 (HashJob, 1);
      gboolean missing;

      job->path = cr_upload_segment_key (request->session_key, row_check->row->sequence,
                                         row_check->row->path);
      g_ptr_array_add (jobs, job);
      row_check->job = job;
      if (!fetch (request, job->path, path, &missing, error))
        {
          if (!missing)
            return FALSE;
          row_check->file_missing = TRUE;
          continue;
        }
      job->sha256 = cr_digest_file_sha256 (path, &job->bytes, &job->error);
      g_unlink (path);
      if (job->sha256 != NULL)
        {
          report->files_hashed++;
          report->bytes_hashed += job->bytes;
        }
    }
  return TRUE;
}

/* The room's own row against the archive's: the same session, sealed at
 * the same head. */
static void
compare_with_room (CrVerifyReport *report, SessionCheck *check, const CrSessionRecord *local)
{
  const CrSessionRecord *copy = check->session;

  if (local->id != copy->id || g_strcmp0 (local->chain_root, copy->chain_root) != 0)
    cr_verify_add_problem (report, check->summary, CR_VERIFY_EDITED, 0, 0, NULL,
                           "the archive's copy is of session %" G_GINT64_FORMAT " (root %.12s…), "
                           "not of the room's session %" G_GINT64_FORMAT " (root %.12s…)",
                           copy->id, copy->chain_root != NULL ? copy->chain_root : "none",
                           local->id, local->chain_root != NULL ? local->chain_root : "none");
  else if (local->chain_head != NULL && g_strcmp0 (local->chain_head, copy->chain_head) != 0)
    cr_verify_add_problem (report, check->summary, CR_VERIFY_SEAL_BROKEN, 0, 0, NULL,
                           "the archive's copy is sealed at %.12s…, the room's index at "
                           "%.12s…: one of the two was sealed anew",
                           copy->chain_head != NULL ? copy->chain_head : "none",
                           local->chain_head);
}

/* A report of one session that could not be judged, with @problem. */
static void
report_unjudged (CrVerifyReport *report, const CrArchiveVerifyRequest *request,
                 const char *key, CrVerifyProblemKind kind, const char *problem)
{
  CrVerifySession *summary = g_new0 (CrVerifySession, 1);
  const char *dash = strrchr (request->session_key, '-');

  summary->session_id = request->session_id;
  if (summary->session_id == 0 && dash != NULL)
    summary->session_id = g_ascii_strtoll (dash + 1, NULL, 10);
  summary->case_no = g_strdup (request->local != NULL ? request->local->case_no : NULL);
  summary->state = CR_SESSION_STOPPED;
  g_ptr_array_add (report->sessions, summary);
  cr_verify_add_problem (report, summary, kind, 0, 0, key, "%s", problem);
}

CrVerifyReport *
cr_archive_verify_session (const CrArchiveVerifyRequest *request, GError **error)
{
  g_autoptr (CrVerifyReport) report = cr_verify_report_new ();
  g_autoptr (SessionCheck) check = g_new0 (SessionCheck, 1);
  g_autoptr (GPtrArray) jobs =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cr_verify_hash_job_free);
  g_autoptr (GPtrArray) no_unknown = g_ptr_array_new ();
  g_autofree char *key = cr_upload_manifest_key (request->session_key);
  g_autofree char *problem = NULL;
  CrVerifyProblemKind kind = CR_VERIFY_DELETED;

  g_return_val_if_fail (request->client != NULL && request->work_dir != NULL, NULL);

  check->archive_copy = TRUE;
  if (!read_manifest (request, key, check, &problem, &kind, error))
    {
      if (problem == NULL)
        return NULL;
      report_unjudged (report, request, key, kind, problem);
      return g_steal_pointer (&report);
    }
  cr_verify_summarize (report, check);
  cr_verify_check_chain (check);
  if (!fetch_segments (request, report, check, jobs, error))
    return NULL;
  cr_verify_judge_session (report, check, no_unknown, request->trusted_public_key);
  if (request->local != NULL)
    compare_with_room (report, check, request->local);
  return g_steal_pointer (&report);
}
