/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-listing.c: what access-service.h shows the court: the requests
 * with their decisions and copies, and a grant's slip. */
#include "access/access-private.h"

#include "access/access-slip.h"
#include "archive/utc.h"

static char *
slip_url (CrAccessService *svc)
{
  const CrConfig *config = svc->config;

  if (config->access_public_url != NULL)
    return g_strdup (config->access_public_url);
  if (config->public_host != NULL)
    return g_strdup_printf ("http://%s%s%s:%u/access/",
                            strchr (config->public_host, ':') != NULL ? "[" : "",
                            config->public_host,
                            strchr (config->public_host, ':') != NULL ? "]" : "",
                            config->public_port);
  return g_strdup ("/access/");
}

char *
cr_access_make_slip (CrAccessService *svc, const CrAccessRequestRow *request,
           const CrAccessGrantRow *grant, GArray *sessions, const char *code)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *url = slip_url (svc);
  CrAccessSlip slip = {
    .court = svc->config->court, .room_name = svc->config->room_name,
    .case_no = request->case_no, .requester = request->requester, .role = request->role,
    .mode = grant->mode, .grant_id = grant->id, .sessions = lines,
    .expires_us = grant->expires_us, .url = url, .code = code,
  };

  for (guint i = 0; i < sessions->len; i++)
    {
      gint64 id = g_array_index (sessions, gint64, i);
      g_autoptr (CrSessionRecord) session = cr_segment_index_get_session (svc->index, id, NULL);
      g_autofree char *started = session != NULL ? cr_format_utc (session->started_us) : NULL;

      g_ptr_array_add (lines, g_strdup_printf ("S%" G_GINT64_FORMAT "  %s  %s", id,
                                               started != NULL ? started : "",
                                               session != NULL && session->title != NULL
                                                 ? session->title : ""));
    }
  return cr_access_slip_html (&slip);
}

/* --- listing ------------------------------------------------------------ */

JsonNode *
cr_access_service_list (CrAccessService *svc, const char *state_filter, GError **error)
{
  g_autoptr (GPtrArray) requests = NULL;
  GError *local_error = NULL;
  JsonArray *array;
  JsonNode *node;

  g_return_val_if_fail (svc != NULL, NULL);

  requests = cr_access_store_list_requests (svc->index, state_filter, &local_error);
  if (requests == NULL)
    {
      cr_access_index_failed (error, local_error);
      return NULL;
    }
  array = json_array_new ();
  for (guint i = 0; i < requests->len; i++)
    {
      CrAccessRequestRow *request = g_ptr_array_index (requests, i);
      g_autoptr (CrAccessGrantRow) grant =
          cr_access_store_grant_of_request (svc->index, request->id, NULL);
      JsonObject *object = json_object_new ();

      json_object_set_int_member (object, "id", request->id);
      json_object_set_string_member (object, "case", request->case_no);
      json_object_set_string_member (object, "requester", request->requester);
      json_object_set_string_member (object, "role", request->role);
      json_object_set_string_member (object, "sessions",
                                     request->sessions != NULL ? request->sessions : "all");
      json_object_set_string_member (object, "purpose", request->purpose);
      json_object_set_string_member (object, "source", request->source);
      json_object_set_string_member (object, "entered_by", request->entered_by);
      cr_access_set_utc (object, "entered_at", request->entered_us);
      json_object_set_string_member (object, "state", request->state);
      json_object_set_string_member (object, "decided_by", request->decided_by);
      json_object_set_string_member (object, "reason", request->reason);
      if (grant != NULL)
        {
          JsonObject *g = json_object_new ();
          JsonArray *copies_array = json_array_new ();
          g_autoptr (GPtrArray) copies =
              cr_access_store_list_copies (svc->index, grant->id, NULL);
          g_autoptr (GArray) sessions = cr_access_grant_sessions (grant);

          json_object_set_int_member (g, "id", grant->id);
          json_object_set_string_member (g, "mode", grant->mode);
          cr_access_set_utc (g, "expires", grant->expires_us);
          json_object_set_string_member (g, "state",
                                         cr_access_state_to_string (cr_access_grant_state (svc, grant)));
          json_object_set_array_member (g, "sessions", cr_access_sessions_array (sessions));
          json_object_set_string_member (g, "granted_by", grant->granted_by);
          json_object_set_string_member (g, "revoke_reason", grant->revoke_reason);
          for (guint j = 0; copies != NULL && j < copies->len; j++)
            {
              CrDerivedCopyRow *copy = g_ptr_array_index (copies, j);
              JsonObject *c = json_object_new ();

              json_object_set_int_member (c, "session", copy->session_id);
              json_object_set_string_member (c, "state", copy->state);
              json_object_set_string_member (c, "sha256", copy->sha256);
              json_array_add_object_element (copies_array, c);
            }
          json_object_set_array_member (g, "copies", copies_array);
          json_object_set_object_member (object, "grant", g);
        }
      else
        json_object_set_null_member (object, "grant");
      json_array_add_object_element (array, object);
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}

char *
cr_access_service_slip (CrAccessService *svc, gint64 grant_id, GError **error)
{
  g_autoptr (CrAccessGrantRow) grant = NULL;
  g_autoptr (CrAccessRequestRow) request = NULL;
  g_autoptr (GArray) sessions = NULL;

  g_return_val_if_fail (svc != NULL, NULL);
  grant = cr_access_get_grant_row (svc, grant_id, error);
  if (grant == NULL)
    return NULL;
  request = cr_access_get_request (svc, grant->request_id, error);
  if (request == NULL)
    return NULL;
  sessions = cr_access_grant_sessions (grant);
  return cr_access_make_slip (svc, request, grant, sessions, NULL);
}
