/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-party.c: the party's side of access-service.h: a grant's state
 * read fresh, the code's login with its second factor, the copies it may
 * fetch and the events of its use. */
#include "access/access-private.h"

#include <sodium.h>
#include <string.h>

#include "archive/utc.h"
#include "config/text.h"

/* One answer for every refused login: whether the code exists, has ended
 * or met the wrong identity number is not told to whoever tries. */
#define DENIED_MESSAGE "The access code or the identity number is wrong, or the grant has ended"

/* --- state -------------------------------------------------------------- */

CrAccessState
cr_access_grant_state (CrAccessService *svc, const CrAccessGrantRow *grant)
{
  g_autoptr (GPtrArray) copies = NULL;

  if (grant->revoked_us != 0)
    return CR_ACCESS_STATE_REVOKED;
  if (grant->expires_us <= g_get_real_time ())
    return CR_ACCESS_STATE_EXPIRED;
  copies = cr_access_store_list_copies (svc->index, grant->id, NULL);
  if (copies == NULL || copies->len == 0)
    return CR_ACCESS_STATE_PENDING;
  for (guint i = 0; i < copies->len; i++)
    if (!g_str_equal (((CrDerivedCopyRow *) g_ptr_array_index (copies, i))->state, "ready"))
      return CR_ACCESS_STATE_PENDING;
  return CR_ACCESS_STATE_READY;
}

static CrAccessGrant *
grant_from_rows (CrAccessService *svc, const CrAccessGrantRow *row,
                 const CrAccessRequestRow *request)
{
  CrAccessGrant *grant = g_new0 (CrAccessGrant, 1);

  grant->id = row->id;
  grant->request_id = row->request_id;
  grant->case_no = g_strdup (request->case_no);
  grant->requester = g_strdup (request->requester);
  grant->role = g_strdup (request->role);
  grant->mode = g_strdup (row->mode);
  grant->sessions = cr_access_grant_sessions (row);
  grant->expires_us = row->expires_us;
  grant->state = cr_access_grant_state (svc, row);
  return grant;
}

CrAccessState
cr_access_service_check (CrAccessService *svc, gint64 grant_id)
{
  g_autoptr (CrAccessGrantRow) grant = NULL;

  g_return_val_if_fail (svc != NULL, CR_ACCESS_STATE_UNKNOWN);
  grant = cr_access_store_get_grant (svc->index, grant_id, NULL);
  return grant != NULL ? cr_access_grant_state (svc, grant) : CR_ACCESS_STATE_UNKNOWN;
}

CrAccessGrant *
cr_access_service_get_grant (CrAccessService *svc, gint64 grant_id)
{
  g_autoptr (CrAccessGrantRow) row = NULL;
  g_autoptr (CrAccessRequestRow) request = NULL;

  g_return_val_if_fail (svc != NULL, NULL);
  row = cr_access_store_get_grant (svc->index, grant_id, NULL);
  if (row == NULL)
    return NULL;
  request = cr_access_store_get_request (svc->index, row->request_id, NULL);
  if (request == NULL)
    return NULL;
  return grant_from_rows (svc, row, request);
}

/* --- the party's side --------------------------------------------------- */

gboolean
cr_access_service_login (CrAccessService *svc, const char *code, const char *id_suffix,
                         const char *address, CrAccessGrant **grant_out, GError **error)
{
  g_autofree char *code_hash = NULL;
  g_autofree char *suffix_hash = NULL;
  g_autoptr (CrAccessGrantRow) grant = NULL;
  g_autoptr (CrAccessRequestRow) request = NULL;
  g_autoptr (GArray) sessions = NULL;
  CrAccessState state;
  JsonObject *detail;

  g_return_val_if_fail (svc != NULL, FALSE);

  code_hash = cr_access_code_hash (svc->key, code);
  if (code_hash != NULL)
    grant = cr_access_store_grant_by_code (svc->index, code_hash, NULL);
  if (grant != NULL)
    request = cr_access_store_get_request (svc->index, grant->request_id, NULL);
  if (grant == NULL || request == NULL)
    {
      g_message ("Access login from %s: no such code",
                 cr_text_shown (address != NULL ? address : "?"));
      g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED, DENIED_MESSAGE);
      return FALSE;
    }
  sessions = cr_access_grant_sessions (grant);
  /* The second factor has some 15,000 values: past this many wrong ones
   * the code opens nothing, whoever types it, until the court revokes it
   * and grants again. */
  if (grant->failures >= CR_ACCESS_MAX_WRONG_FACTORS)
    {
      g_message ("Access login to G%" G_GINT64_FORMAT " from %s: refused, the code is locked "
                 "after %" G_GINT64_FORMAT " wrong identity numbers", grant->id,
                 cr_text_shown (address != NULL ? address : "?"), grant->failures);
      g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED, DENIED_MESSAGE);
      return FALSE;
    }
  suffix_hash = cr_access_identity_suffix_hash (svc->key, id_suffix);
  if (suffix_hash == NULL || strlen (id_suffix) != 4 ||
      strlen (suffix_hash) != strlen (request->identity_suffix_hash) ||
      sodium_memcmp (suffix_hash, request->identity_suffix_hash, strlen (suffix_hash)) != 0)
    {
      gint64 failures = cr_access_store_count_failure (svc->index, grant->id, NULL);

      g_message ("Access login to G%" G_GINT64_FORMAT " from %s: wrong identity number "
                 "(%" G_GINT64_FORMAT " so far)", grant->id,
                 cr_text_shown (address != NULL ? address : "?"), failures);
      detail = json_object_new ();
      json_object_set_int_member (detail, "grant", grant->id);
      json_object_set_string_member (detail, "address", address != NULL ? address : "");
      json_object_set_int_member (detail, "failures", failures);
      cr_access_write_events (svc, sessions, CR_EVENT_ACCESS_CODE_WRONG, detail, NULL);
      g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED, DENIED_MESSAGE);
      return FALSE;
    }
  state = cr_access_grant_state (svc, grant);
  if (state == CR_ACCESS_STATE_REVOKED || state == CR_ACCESS_STATE_EXPIRED)
    {
      g_message ("Access login to G%" G_GINT64_FORMAT " from %s: the grant is %s", grant->id,
                 cr_text_shown (address != NULL ? address : "?"),
                 cr_access_state_to_string (state));
      g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED, DENIED_MESSAGE);
      return FALSE;
    }
  detail = json_object_new ();
  json_object_set_int_member (detail, "grant", grant->id);
  json_object_set_string_member (detail, "address", address != NULL ? address : "");
  cr_access_write_events (svc, sessions, CR_EVENT_ACCESS_CODE_USED, detail, NULL);
  if (grant_out != NULL)
    *grant_out = grant_from_rows (svc, grant, request);
  return TRUE;
}

char *
cr_access_service_copy_dir (CrAccessService *svc, gint64 grant_id, gint64 session_id)
{
  g_autoptr (CrAccessGrantRow) grant = NULL;
  g_autoptr (GPtrArray) copies = NULL;
  CrAccessState state;

  g_return_val_if_fail (svc != NULL, NULL);
  grant = cr_access_store_get_grant (svc->index, grant_id, NULL);
  if (grant == NULL)
    return NULL;
  state = cr_access_grant_state (svc, grant);
  if (state != CR_ACCESS_STATE_READY && state != CR_ACCESS_STATE_PENDING)
    return NULL;
  copies = cr_access_store_list_copies (svc->index, grant_id, NULL);
  for (guint i = 0; copies != NULL && i < copies->len; i++)
    {
      CrDerivedCopyRow *copy = g_ptr_array_index (copies, i);

      if (copy->session_id == session_id && g_str_equal (copy->state, "ready"))
        return cr_access_copy_path (svc, grant_id, session_id);
    }
  return NULL;
}

gboolean
cr_access_service_record (CrAccessService *svc, gint64 grant_id, CrEventKind kind,
                          const char *detail_json, GError **error)
{
  g_autoptr (CrAccessGrantRow) grant = NULL;
  g_autoptr (GArray) sessions = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *detail;
  JsonNode *root;

  g_return_val_if_fail (svc != NULL, FALSE);

  if (cr_event_kind_get_class (kind) != CR_EVENT_CLASS_ACCESS)
    return cr_access_invalid (error, "%s is not an access event",
                    cr_event_kind_to_string (kind) != NULL ? cr_event_kind_to_string (kind)
                                                           : "?");
  grant = cr_access_get_grant_row (svc, grant_id, error);
  if (grant == NULL)
    return FALSE;
  if (detail_json == NULL)
    detail_json = "{}";
  if (strlen (detail_json) > 16 * 1024 ||
      !json_parser_load_from_data (parser, detail_json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return cr_access_invalid (error, "The event's detail must be a JSON object of at most 16 kB");
  detail = json_object_ref (json_node_get_object (root));
  json_object_set_int_member (detail, "grant", grant_id);
  sessions = cr_access_grant_sessions (grant);
  return cr_access_write_events (svc, sessions, kind, detail, error);
}

