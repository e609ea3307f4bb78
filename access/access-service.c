/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-service.c: see access-service.h. Requests and decisions; the
 * party's side is access-party.c's, the listing and slips
 * access-listing.c's, the copies a grant makes access-copies.c's.
 *
 * What is checked here is what an approver and a privacy reviewer expect:
 * an identity number is hashed the moment it arrives and never written
 * or logged; a code is made from randombytes, returned once and stored as
 * a keyed hash; a grant covers only stopped sessions of the request's
 * case that exist, and ends within 90 days; a login that fails says the
 * same whatever the cause. */
#include "access/access-private.h"

#include <sodium.h>
#include <string.h>

#include "archive/redaction-list.h"
#include "access/access-slip.h"
#include "archive/case-number.h"
#include "config/text.h"

G_DEFINE_QUARK (cr-access-error-quark, cr_access_error)

#define MAX_DAYS 90
#define NAME_MAX_CHARS 100
#define TEXT_MAX_CHARS 500
#define REDACTIONS_MAX 200


static const char *const roles[] = { "party", "agent", "defence", "victim", "media", NULL };
static const char *const modes[] = { "review", "copy", NULL };

const char *
cr_access_state_to_string (CrAccessState state)
{
  switch (state)
    {
    case CR_ACCESS_STATE_PENDING: return "pending";
    case CR_ACCESS_STATE_READY: return "ready";
    case CR_ACCESS_STATE_EXPIRED: return "expired";
    case CR_ACCESS_STATE_REVOKED: return "revoked";
    case CR_ACCESS_STATE_UNKNOWN: break;
    }
  return "unknown";
}

void
cr_access_grant_free (CrAccessGrant *grant)
{
  if (grant == NULL)
    return;
  g_free (grant->case_no);
  g_free (grant->requester);
  g_free (grant->role);
  g_free (grant->mode);
  g_clear_pointer (&grant->sessions, g_array_unref);
  g_free (grant);
}

gboolean
cr_access_index_failed (GError **error, GError *index_error)
{
  g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_FAILED, "The index: %s",
               index_error != NULL ? index_error->message : "no answer");
  g_clear_error (&index_error);
  return FALSE;
}

gboolean
cr_access_invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

gboolean
cr_access_invalid (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID, format, args);
  va_end (args);
  return FALSE;
}

/* The copies of grants that have expired are deleted within the hour. */
#define SWEEP_SECONDS 3600

static gboolean
sweep (gpointer user_data)
{
  CrAccessService *svc = user_data;
  g_autoptr (GArray) ended = cr_access_store_expired_grants (svc->index, g_get_real_time (),
                                                             NULL);

  for (guint i = 0; ended != NULL && i < ended->len; i++)
    cr_access_copies_discard (svc, g_array_index (ended, gint64, i));
  return G_SOURCE_CONTINUE;
}

CrAccessService *
cr_access_service_new (CrSegmentIndex *index, const CrConfig *config,
                       struct CrRenderQueue *queue, CrAccessDeviceKeyFunc device_key,
                       gpointer device_key_data, GError **error)
{
  g_autoptr (CrAccessKey) key = NULL;
  CrAccessService *svc;

  g_return_val_if_fail (index != NULL && config != NULL, NULL);

  key = cr_access_key_load (config->storage_dir, error);
  if (key == NULL)
    return NULL;
  svc = g_new0 (CrAccessService, 1);
  svc->index = index;
  svc->config = config;
  svc->queue = queue;
  svc->device_key = device_key;
  svc->device_key_data = device_key_data;
  svc->key = g_steal_pointer (&key);
  svc->jobs = g_ptr_array_new ();
  svc->cancelled = g_ptr_array_new ();
  cr_access_copies_resume (svc);
  sweep (svc);
  svc->sweep_timer = g_timeout_add_seconds (SWEEP_SECONDS, sweep, svc);
  return svc;
}

void
cr_access_service_free (CrAccessService *svc)
{
  if (svc == NULL)
    return;
  g_clear_handle_id (&svc->sweep_timer, g_source_remove);
  cr_access_copies_cancel_all (svc);
  g_clear_pointer (&svc->jobs, g_ptr_array_unref);
  g_clear_pointer (&svc->cancelled, g_ptr_array_unref);
  cr_access_key_free (svc->key);
  g_free (svc);
}

/* --- helpers ------------------------------------------------------------ */

gboolean
cr_access_parse_sessions (const char *text, GArray *ids)
{
  g_auto (GStrv) parts = NULL;

  if (text == NULL || *text == '\0')
    return FALSE;
  parts = g_strsplit (text, ",", 0);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 id;
      gboolean seen = FALSE;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, G_MAXINT64, &id, NULL))
        return FALSE;
      for (guint j = 0; j < ids->len; j++)
        seen |= g_array_index (ids, gint64, j) == (gint64) id;
      if (!seen)
        g_array_append_val (ids, id);
    }
  return ids->len > 0 && ids->len <= 1000;
}

static char *
sessions_text (GArray *ids)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            g_array_index (ids, gint64, i));
  return g_string_free (text, FALSE);
}

static gint
compare_ids (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

void
cr_access_set_utc (JsonObject *object, const char *name, gint64 utc_us)
{
  g_autofree char *text = cr_format_utc (utc_us);
  json_object_set_string_member (object, name, text);
}

JsonArray *
cr_access_sessions_array (GArray *ids)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < ids->len; i++)
    json_array_add_int_element (array, g_array_index (ids, gint64, i));
  return array;
}

gboolean
cr_access_write_events (CrAccessService *svc, GArray *sessions, CrEventKind kind,
                        JsonObject *detail, GError **error)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  gint64 now = g_get_real_time ();
  gboolean ok = TRUE;

  json_node_take_object (node, detail);
  text = json_to_string (node, FALSE);
  /* Each covered session's chain gets its own copy of the event: the
   * session's report and its verification stand alone. */
  for (guint i = 0; i < sessions->len; i++)
    {
      GError *local_error = NULL;

      if (cr_segment_index_add_event (svc->index, g_array_index (sessions, gint64, i), now,
                                      kind, text, &local_error) <= 0)
        {
          g_warning ("Could not record %s in session %" G_GINT64_FORMAT ": %s",
                     cr_event_kind_to_string (kind), g_array_index (sessions, gint64, i),
                     local_error->message);
          if (ok)
            ok = cr_access_index_failed (error, local_error);
          else
            g_clear_error (&local_error);
        }
    }
  return ok;
}

/* The sessions of @case_no (canonical), all of them or those of @wanted
 * (each must be one of them); with @stopped_only, each must be stopped. */
static GArray *
case_sessions (CrAccessService *svc, const char *case_no, const char *wanted,
               gboolean stopped_only, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) asked = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) sessions = NULL;
  GError *local_error = NULL;

  sessions = cr_segment_index_list_sessions (svc->index, case_no, &local_error);
  if (sessions == NULL)
    {
      cr_access_index_failed (error, local_error);
      return NULL;
    }
  if (wanted != NULL && g_ascii_strcasecmp (wanted, "all") != 0)
    {
      if (!cr_access_parse_sessions (wanted, asked))
        {
          cr_access_invalid (error, "sessions = \"%s\": expected \"all\" or session ids like \"12,13\"",
                   cr_text_shown (wanted));
          return NULL;
        }
      for (guint i = 0; i < asked->len; i++)
        {
          gint64 id = g_array_index (asked, gint64, i);
          CrSessionRecord *found = NULL;

          for (guint j = 0; j < sessions->len && found == NULL; j++)
            if (((CrSessionRecord *) g_ptr_array_index (sessions, j))->id == id)
              found = g_ptr_array_index (sessions, j);
          if (found == NULL)
            {
              cr_access_invalid (error, "Session %" G_GINT64_FORMAT " is not a session of case %s",
                       id, case_no);
              return NULL;
            }
          if (stopped_only && found->state != CR_SESSION_STOPPED)
            {
              cr_access_invalid (error, "Session %" G_GINT64_FORMAT " is still being recorded: only a "
                       "stopped session can be granted", id);
              return NULL;
            }
          g_array_append_val (ids, id);
        }
    }
  else
    for (guint j = 0; j < sessions->len; j++)
      {
        CrSessionRecord *session = g_ptr_array_index (sessions, j);

        if (!stopped_only || session->state == CR_SESSION_STOPPED)
          g_array_append_val (ids, session->id);
      }
  g_array_sort (ids, compare_ids);
  return g_steal_pointer (&ids);
}

/* A field of text that must be there, of at most @max characters. */
static gboolean
check_text (const char *value, const char *name, guint max, gboolean required,
            GError **error)
{
  g_autoptr (GError) text_error = NULL;

  const char *p = value;

  while (p != NULL && g_ascii_isspace (*p))
    p++;
  if (p == NULL || *p == '\0')
    return required ? cr_access_invalid (error, "%s is missing", name) : TRUE;
  if (!cr_text_validate (value, name, max, FALSE, &text_error))
    return cr_access_invalid (error, "%s", text_error->message);
  return TRUE;
}

static gboolean
parse_time (const char *text, const char *name, gint64 *utc_us, GError **error)
{
  *utc_us = 0;
  if (text == NULL || *text == '\0')
    return TRUE;
  if (!cr_parse_utc (text, utc_us))
    return cr_access_invalid (error, "%s = \"%s\": expected a UTC time like 2026-11-27T02:13:25.316Z",
                    name, cr_text_shown (text));
  return TRUE;
}

/* --- requests ----------------------------------------------------------- */

/* The access-requested event of @row in @sessions. */
static void
record_requested (CrAccessService *svc, const CrAccessRequestRow *row, GArray *sessions)
{
  JsonObject *detail = json_object_new ();

  json_object_set_int_member (detail, "request", row->id);
  json_object_set_string_member (detail, "name", row->requester);
  json_object_set_string_member (detail, "role", row->role);
  json_object_set_string_member (detail, "purpose", row->purpose != NULL ? row->purpose : "");
  json_object_set_string_member (detail, "source", row->source);
  json_object_set_string_member (detail, "by", row->entered_by != NULL ? row->entered_by : "");
  cr_access_set_utc (detail, "entered_at", row->entered_us);
  cr_access_write_events (svc, sessions, CR_EVENT_ACCESS_REQUESTED, detail, NULL);
}

/* A request from the public form names sessions nobody has checked: it
 * goes into their chains only once an approver decides on it, before the
 * decision. */
static void
record_public_request (CrAccessService *svc, const CrAccessRequestRow *request,
                       GArray *sessions)
{
  if (g_strcmp0 (request->source, "public") == 0)
    record_requested (svc, request, sessions);
}

static gint64
submit (CrAccessService *svc, const CrAccessRequestFields *fields, const char *source,
        const char *entered_by, GError **error)
{
  g_autoptr (CrAccessRequestRow) row = g_new0 (CrAccessRequestRow, 1);
  g_autoptr (GArray) sessions = NULL;
  g_autofree char *identity = NULL;
  GError *local_error = NULL;
  gboolean public = g_str_equal (source, "public");
  gint64 id;

  g_return_val_if_fail (svc != NULL && fields != NULL, 0);

  if (!check_text (fields->requester, "requester", NAME_MAX_CHARS, TRUE, error) ||
      !check_text (fields->purpose, "purpose", TEXT_MAX_CHARS, FALSE, error) ||
      !check_text (fields->contact, "contact", NAME_MAX_CHARS, FALSE, error))
    return 0;
  if (fields->role == NULL || !g_strv_contains (roles, fields->role))
    return cr_access_invalid (error, "role = \"%s\": expected party, agent, defence, victim or media",
                    cr_text_shown (fields->role != NULL ? fields->role : ""));
  identity = cr_access_identity_normalize (fields->identity);
  if (identity == NULL)
    return cr_access_invalid (error, "identity: expected the identity number, 4 to 40 letters and "
                    "digits");
  row->case_no = cr_case_number_canonicalize (fields->case_no, &local_error);
  if (row->case_no == NULL)
    {
      g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID, "case: %s",
                   local_error->message);
      g_clear_error (&local_error);
      return 0;
    }
  if (!parse_time (fields->span_from, "from", &row->span_from_us, error) ||
      !parse_time (fields->span_to, "to", &row->span_to_us, error))
    return 0;
  if (row->span_from_us != 0 && row->span_to_us != 0 && row->span_from_us >= row->span_to_us)
    return cr_access_invalid (error, "from must be before to");
  if (public)
    {
      /* The public form learns nothing of which cases or sessions exist:
       * what it names is checked by the approver. */
      sessions = g_array_new (FALSE, FALSE, sizeof (gint64));
      if (fields->sessions != NULL && g_ascii_strcasecmp (fields->sessions, "all") != 0 &&
          !cr_access_parse_sessions (fields->sessions, sessions))
        return cr_access_invalid (error, "sessions: expected \"all\" or session ids like \"12,13\"");
      g_array_set_size (sessions, 0);
    }
  else
    {
      sessions = case_sessions (svc, row->case_no, fields->sessions, FALSE, error);
      if (sessions == NULL)
        return 0;
      if (sessions->len == 0)
        return cr_access_invalid (error, "No session of case %s is recorded in this room",
                        row->case_no);
    }
  row->requester = g_strdup (fields->requester);
  row->role = g_strdup (fields->role);
  row->identity_hash = cr_access_identity_hash (svc->key, identity);
  row->identity_suffix_hash = cr_access_identity_suffix_hash (svc->key, identity);
  sodium_memzero (identity, strlen (identity));
  if (fields->sessions != NULL && g_ascii_strcasecmp (fields->sessions, "all") != 0)
    row->sessions = public ? g_strdup (fields->sessions) : sessions_text (sessions);
  row->purpose = g_strdup (fields->purpose);
  row->contact = g_strdup (fields->contact);
  row->source = g_strdup (source);
  row->entered_by = g_strdup (entered_by);
  row->entered_us = g_get_real_time ();

  id = cr_access_store_add_request (svc->index, row, &local_error);
  if (id <= 0)
    return cr_access_index_failed (error, local_error);
  g_message ("Access request R%" G_GINT64_FORMAT " for case %s entered by %s (%s)", id,
             row->case_no, cr_text_shown (entered_by != NULL ? entered_by : "?"), source);
  row->id = id;
  record_requested (svc, row, sessions);
  return id;
}

gint64
cr_access_service_submit (CrAccessService *svc, const CrAccessRequestFields *fields,
                          const char *entered_by, GError **error)
{
  return submit (svc, fields, "clerk", entered_by, error);
}

gint64
cr_access_service_submit_public (CrAccessService *svc, const CrAccessRequestFields *fields,
                                 const char *address, GError **error)
{
  return submit (svc, fields, "public", address, error);
}

/* The request @id, or CR_ACCESS_ERROR_NOT_FOUND. */
CrAccessRequestRow *
cr_access_get_request (CrAccessService *svc, gint64 id, GError **error)
{
  GError *local_error = NULL;
  CrAccessRequestRow *row = cr_access_store_get_request (svc->index, id, &local_error);

  if (row == NULL && local_error != NULL)
    cr_access_index_failed (error, local_error);
  else if (row == NULL)
    g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_NOT_FOUND,
                 "No access request R%" G_GINT64_FORMAT, id);
  return row;
}

CrAccessGrantRow *
cr_access_get_grant_row (CrAccessService *svc, gint64 id, GError **error)
{
  GError *local_error = NULL;
  CrAccessGrantRow *row = cr_access_store_get_grant (svc->index, id, &local_error);

  if (row == NULL && local_error != NULL)
    cr_access_index_failed (error, local_error);
  else if (row == NULL)
    g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_NOT_FOUND,
                 "No access grant G%" G_GINT64_FORMAT, id);
  return row;
}

static gboolean
require_pending (const CrAccessRequestRow *request, GError **error)
{
  if (g_str_equal (request->state, "pending"))
    return TRUE;
  g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_STATE,
               "Access request R%" G_GINT64_FORMAT " is %s already: one decision per request",
               request->id, request->state);
  return FALSE;
}

/* The sessions a request names that exist now (a public request may name
 * none that do). */
static GArray *
request_sessions (CrAccessService *svc, const CrAccessRequestRow *request)
{
  g_autoptr (GArray) ids = case_sessions (svc, request->case_no, NULL, FALSE, NULL);
  g_autoptr (GArray) asked = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *kept;

  if (ids == NULL)
    return g_array_new (FALSE, FALSE, sizeof (gint64));
  if (request->sessions == NULL || !cr_access_parse_sessions (request->sessions, asked))
    return g_steal_pointer (&ids);
  kept = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < ids->len; i++)
    for (guint j = 0; j < asked->len; j++)
      if (g_array_index (ids, gint64, i) == g_array_index (asked, gint64, j))
        g_array_append_val (kept, g_array_index (ids, gint64, i));
  return kept;
}

/* --- decisions ---------------------------------------------------------- */

gint64
cr_access_service_grant (CrAccessService *svc, gint64 request_id, const char *mode,
                         gint64 expires_us, const char *sessions, const char *redactions,
                         const char *by, char **code_out, char **slip_out, GError **error)
{
  g_autoptr (CrAccessRequestRow) request = NULL;
  g_autoptr (CrAccessGrantRow) grant = g_new0 (CrAccessGrantRow, 1);
  g_autoptr (GArray) covered = NULL;
  g_autoptr (GArray) asked = NULL;
  g_autoptr (GDateTime) now_time = g_date_time_new_now_utc ();
  g_autofree char *code = NULL;
  g_autofree char *date = NULL;
  g_autoptr (GError) list_error = NULL;
  GError *local_error = NULL;
  gint64 now = g_get_real_time ();
  JsonObject *detail;

  g_return_val_if_fail (svc != NULL && by != NULL, 0);

  request = cr_access_get_request (svc, request_id, error);
  if (request == NULL || !require_pending (request, error))
    return 0;
  if (mode == NULL || !g_strv_contains (modes, mode))
    return cr_access_invalid (error, "mode = \"%s\": expected review or copy",
                    cr_text_shown (mode != NULL ? mode : ""));
  if (expires_us == 0)
    expires_us = now + (gint64) svc->config->access_code_days * G_TIME_SPAN_DAY;
  if (expires_us <= now)
    return cr_access_invalid (error, "expires: the time is past; expected a time within %d days",
                    MAX_DAYS);
  if (expires_us > now + MAX_DAYS * G_TIME_SPAN_DAY)
    return cr_access_invalid (error, "expires: at most %d days from now", MAX_DAYS);

  /* What may be granted: the request's sessions that exist and are
   * stopped; the approver may narrow it. */
  covered = request_sessions (svc, request);
  asked = sessions != NULL && g_ascii_strcasecmp (sessions, "all") != 0
            ? case_sessions (svc, request->case_no, sessions, TRUE, error)
            : case_sessions (svc, request->case_no, NULL, TRUE, error);
  if (asked == NULL)
    return 0;
  for (guint i = 0; i < asked->len; i++)
    {
      gboolean requested = FALSE;
      for (guint j = 0; j < covered->len; j++)
        requested |= g_array_index (covered, gint64, j) == g_array_index (asked, gint64, i);
      if (!requested)
        {
          if (sessions != NULL && g_ascii_strcasecmp (sessions, "all") != 0)
            return cr_access_invalid (error, "Session %" G_GINT64_FORMAT " is not one the request "
                            "R%" G_GINT64_FORMAT " asked for",
                            g_array_index (asked, gint64, i), request_id);
          g_array_remove_index (asked, i--);
        }
    }
  if (asked->len == 0)
    return cr_access_invalid (error, "No stopped session of case %s to grant for request R%"
                    G_GINT64_FORMAT, request->case_no, request_id);

  /* A grant may cover several sessions: its offsets are resolved per
   * session when each copy's job is written (access-copies.c). */
  grant->redactions = cr_redaction_list_normalize (redactions, &(CrRedactionScope) {
                                                     .start_us = CR_REDACTION_NO_START,
                                                     .microphones = svc->config->microphones,
                                                     .width = svc->config->width,
                                                     .height = svc->config->height,
                                                     .by = by }, &list_error);
  if (grant->redactions == NULL)
    return cr_access_invalid (error, "%s", list_error->message);
  code = cr_access_code_new ();
  date = g_date_time_format (now_time, "%Y-%m-%d");
  grant->request_id = request_id;
  grant->mode = g_strdup (mode);
  grant->sessions = sessions_text (asked);
  grant->expires_us = expires_us;
  grant->code_hash = cr_access_code_hash (svc->key, code);
  grant->granted_by = g_strdup (by);
  grant->granted_us = now;
  grant->id = cr_access_store_add_grant (svc->index, grant, &local_error);
  if (grant->id <= 0)
    return cr_access_index_failed (error, local_error);
  /* The watermark names the recipient and the grant: a leaked copy says
   * whose it was. */
  grant->watermark = g_strdup_printf ("%s · 授权 G%" G_GINT64_FORMAT " · %s",
                                      request->requester, grant->id, date);
  if (!cr_access_store_set_watermark (svc->index, grant->id, grant->watermark, &local_error))
    {
      g_warning ("%s", local_error->message);
      g_clear_error (&local_error);
    }
  g_message ("Access request R%" G_GINT64_FORMAT " granted as G%" G_GINT64_FORMAT
             " (%s, %u session(s)) by %s", request_id, grant->id, mode, asked->len,
             cr_text_shown (by));

  detail = json_object_new ();
  json_object_set_int_member (detail, "request", request_id);
  json_object_set_int_member (detail, "grant", grant->id);
  json_object_set_string_member (detail, "mode", mode);
  cr_access_set_utc (detail, "expires", expires_us);
  json_object_set_array_member (detail, "sessions", cr_access_sessions_array (asked));
  json_object_set_int_member (detail, "redactions",
                              (gint64) strlen (grant->redactions) > 2 ? 1 : 0);
  json_object_set_string_member (detail, "by", by);
  record_public_request (svc, request, asked);
  cr_access_write_events (svc, asked, CR_EVENT_ACCESS_GRANTED, detail, NULL);

  cr_access_copies_start (svc, grant, request, asked);
  if (slip_out != NULL)
    *slip_out = cr_access_make_slip (svc, request, grant, asked, code);
  if (code_out != NULL)
    *code_out = g_steal_pointer (&code);
  return grant->id;
}

gboolean
cr_access_service_refuse (CrAccessService *svc, gint64 request_id, const char *reason,
                          const char *by, GError **error)
{
  g_autoptr (CrAccessRequestRow) request = NULL;
  g_autoptr (GArray) sessions = NULL;
  GError *local_error = NULL;
  JsonObject *detail;

  g_return_val_if_fail (svc != NULL, FALSE);

  if (!check_text (reason, "reason", TEXT_MAX_CHARS, TRUE, error))
    return FALSE;
  request = cr_access_get_request (svc, request_id, error);
  if (request == NULL || !require_pending (request, error))
    return FALSE;
  if (!cr_access_store_refuse (svc->index, request_id, by, g_get_real_time (), reason,
                               &local_error))
    return cr_access_index_failed (error, local_error);
  g_message ("Access request R%" G_GINT64_FORMAT " refused by %s", request_id,
             cr_text_shown (by));
  sessions = request_sessions (svc, request);
  detail = json_object_new ();
  json_object_set_int_member (detail, "request", request_id);
  json_object_set_string_member (detail, "reason", reason);
  json_object_set_string_member (detail, "by", by);
  record_public_request (svc, request, sessions);
  cr_access_write_events (svc, sessions, CR_EVENT_ACCESS_REFUSED, detail, NULL);
  return TRUE;
}

GArray *
cr_access_grant_sessions (const CrAccessGrantRow *grant)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (!cr_access_parse_sessions (grant->sessions, ids))
    g_array_set_size (ids, 0);
  return ids;
}

gboolean
cr_access_service_revoke (CrAccessService *svc, gint64 grant_id, const char *reason,
                          const char *by, GError **error)
{
  g_autoptr (CrAccessGrantRow) grant = NULL;
  g_autoptr (GArray) sessions = NULL;
  GError *local_error = NULL;
  JsonObject *detail;

  g_return_val_if_fail (svc != NULL, FALSE);

  if (!check_text (reason, "reason", TEXT_MAX_CHARS, TRUE, error))
    return FALSE;
  grant = cr_access_get_grant_row (svc, grant_id, error);
  if (grant == NULL)
    return FALSE;
  if (grant->revoked_us != 0)
    {
      g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_STATE,
                   "Access grant G%" G_GINT64_FORMAT " is revoked already", grant_id);
      return FALSE;
    }
  if (!cr_access_store_revoke (svc->index, grant_id, by, g_get_real_time (), reason,
                               &local_error))
    return cr_access_index_failed (error, local_error);
  g_message ("Access grant G%" G_GINT64_FORMAT " revoked by %s", grant_id, cr_text_shown (by));
  cr_access_copies_discard (svc, grant_id);
  sessions = cr_access_grant_sessions (grant);
  detail = json_object_new ();
  json_object_set_int_member (detail, "grant", grant_id);
  json_object_set_string_member (detail, "reason", reason);
  json_object_set_string_member (detail, "by", by);
  cr_access_write_events (svc, sessions, CR_EVENT_ACCESS_REVOKED, detail, NULL);
  return TRUE;
}
