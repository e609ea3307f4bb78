/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-access.c: see api-access.h. */
#include "recorder/api-access.h"

#include <string.h>

#include "archive/utc.h"
#include "config/text.h"
#include "recorder/http-server.h"

static CrAccessService *
service (CrRecorder *recorder, GError **error)
{
  CrAccessService *svc = cr_recorder_get_access_service (recorder);

  if (svc == NULL)
    g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_FAILED,
                         "Litigant access is not available in this room (see the log)");
  return svc;
}

static const char *
field (GHashTable *fields, const char *name)
{
  return g_hash_table_lookup (fields, name);
}

/* A request's or a grant's number: "12", or as shown, "R12" / "G12". */
static gint64
parse_id (const char *text, char prefix, const char *name, GError **error)
{
  guint64 id = 0;

  if (text != NULL && (text[0] == prefix || text[0] == g_ascii_tolower (prefix)))
    text++;
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL))
    {
      g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID,
                   "%s = \"%s\": expected a number like %c12", name,
                   cr_text_shown (text != NULL ? text : ""), prefix);
      return 0;
    }
  return (gint64) id;
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
handle_request (CrAccessService *svc, const CrPrincipal *principal, GHashTable *fields,
                GError **error)
{
  CrAccessRequestFields request = {
    .case_no = field (fields, "case"), .requester = field (fields, "requester"),
    .role = field (fields, "role"), .identity = field (fields, "identity"),
    .sessions = field (fields, "sessions"), .span_from = field (fields, "from"),
    .span_to = field (fields, "to"), .purpose = field (fields, "purpose"),
    .contact = field (fields, "contact"),
  };
  gint64 id = cr_access_service_submit (svc, &request, cr_principal_actor (principal), error);
  JsonObject *object;

  if (id <= 0)
    return NULL;
  object = json_object_new ();
  json_object_set_int_member (object, "request", id);
  return object_node (object);
}

/* "expires" (UTC) or "days" (1 to 90); neither: the config's. */
static gboolean
parse_expiry (GHashTable *fields, gint64 *expires_us, GError **error)
{
  const char *expires = field (fields, "expires");
  const char *days = field (fields, "days");
  guint64 n;

  *expires_us = 0;
  if (expires != NULL && days != NULL)
    {
      g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID,
                           "Give expires or days, not both");
      return FALSE;
    }
  if (expires != NULL && !cr_parse_utc (expires, expires_us))
    {
      g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID,
                   "expires = \"%s\": expected a UTC time like 2026-12-06T09:00:00.000Z",
                   cr_text_shown (expires));
      return FALSE;
    }
  if (days != NULL)
    {
      if (!g_ascii_string_to_unsigned (days, 10, 1, 90, &n, NULL))
        {
          g_set_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID,
                       "days = \"%s\": expected a whole number from 1 to 90",
                       cr_text_shown (days));
          return FALSE;
        }
      *expires_us = g_get_real_time () + (gint64) n * G_TIME_SPAN_DAY;
    }
  return TRUE;
}

static JsonNode *
handle_grant (CrAccessService *svc, const CrPrincipal *principal, GHashTable *fields,
              GError **error)
{
  g_autofree char *code = NULL;
  g_autofree char *slip = NULL;
  g_autofree char *slip_url = NULL;
  g_autoptr (CrAccessGrant) grant = NULL;
  g_autofree char *expires = NULL;
  gint64 request_id, expires_us, id;
  JsonObject *object;

  request_id = parse_id (field (fields, "request"), 'R', "request", error);
  if (request_id <= 0 || !parse_expiry (fields, &expires_us, error))
    return NULL;
  id = cr_access_service_grant (svc, request_id, field (fields, "mode"), expires_us,
                                field (fields, "sessions"), field (fields, "redactions"),
                                cr_principal_actor (principal), &code, &slip, error);
  if (id <= 0)
    return NULL;
  grant = cr_access_service_get_grant (svc, id);
  expires = cr_format_utc (grant != NULL ? grant->expires_us : 0);
  slip_url = g_strdup_printf ("/api/v1/access/slip/%" G_GINT64_FORMAT, id);
  object = json_object_new ();
  json_object_set_int_member (object, "grant", id);
  json_object_set_int_member (object, "request", request_id);
  json_object_set_string_member (object, "code", code);
  json_object_set_string_member (object, "expires", expires);
  json_object_set_string_member (object, "state",
                                 cr_access_state_to_string (grant != NULL ? grant->state
                                                            : CR_ACCESS_STATE_UNKNOWN));
  json_object_set_string_member (object, "slip_url", slip_url);
  json_object_set_string_member (object, "slip_html", slip);
  return object_node (object);
}

static JsonNode *
handle_refuse (CrAccessService *svc, const CrPrincipal *principal, GHashTable *fields,
               GError **error)
{
  gint64 id = parse_id (field (fields, "request"), 'R', "request", error);
  JsonObject *object;

  if (id <= 0 || !cr_access_service_refuse (svc, id, field (fields, "reason"),
                                            cr_principal_actor (principal), error))
    return NULL;
  object = json_object_new ();
  json_object_set_int_member (object, "request", id);
  json_object_set_string_member (object, "state", "refused");
  return object_node (object);
}

static JsonNode *
handle_revoke (CrAccessService *svc, const CrPrincipal *principal, GHashTable *fields,
               GError **error)
{
  gint64 id = parse_id (field (fields, "grant"), 'G', "grant", error);
  JsonObject *object;

  if (id <= 0 || !cr_access_service_revoke (svc, id, field (fields, "reason"),
                                            cr_principal_actor (principal), error))
    return NULL;
  object = json_object_new ();
  json_object_set_int_member (object, "grant", id);
  json_object_set_string_member (object, "state", "revoked");
  return object_node (object);
}

JsonNode *
cr_api_access_dispatch (CrRecorder *recorder, CrApiAction action,
                        const CrPrincipal *principal, GHashTable *fields, GError **error)
{
  CrAccessService *svc = service (recorder, error);
  JsonNode *list;
  JsonObject *object;

  if (svc == NULL)
    return NULL;
  switch (action)
    {
    case CR_API_ACCESS_REQUEST: return handle_request (svc, principal, fields, error);
    case CR_API_ACCESS_GRANT: return handle_grant (svc, principal, fields, error);
    case CR_API_ACCESS_REFUSE: return handle_refuse (svc, principal, fields, error);
    case CR_API_ACCESS_REVOKE: return handle_revoke (svc, principal, fields, error);
    case CR_API_ACCESS_REQUESTS:
      list = cr_access_service_list (svc, NULL, error);
      if (list == NULL)
        return NULL;
      object = json_object_new ();
      json_object_set_member (object, "requests", list);
      return object_node (object);
    default:
      break;
    }
  g_return_val_if_reached (NULL);
}

guint
cr_api_access_error_status (const GError *error, const char **code)
{
  switch (error->code)
    {
    case CR_ACCESS_ERROR_INVALID: *code = "invalid"; return SOUP_STATUS_BAD_REQUEST;
    case CR_ACCESS_ERROR_NOT_FOUND: *code = "not-found"; return SOUP_STATUS_NOT_FOUND;
    case CR_ACCESS_ERROR_STATE: *code = "conflict"; return SOUP_STATUS_CONFLICT;
    case CR_ACCESS_ERROR_DENIED: *code = "forbidden"; return SOUP_STATUS_FORBIDDEN;
    default: *code = "failed"; return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
}

void
cr_api_access_serve_slip (SoupServerMessage *msg, const CrApiRoute *route,
                          const CrPrincipal *principal, gpointer user_data)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr (GError) error = NULL;
  g_autofree char *html = NULL;
  CrAccessService *svc = service (user_data, &error);
  gint64 id = 0;
  gsize length;
  guint status;
  const char *code;

  if (svc != NULL)
    id = parse_id (path + strlen (route->path), 'G', "the slip's grant", &error);
  if (id > 0)
    html = cr_access_service_slip (svc, id, &error);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  if (html == NULL)
    {
      char *text;

      status = cr_api_access_error_status (error, &code);
      text = cr_http_error_json (code, error->message);
      soup_server_message_set_status (msg, status, NULL);
      soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                        SOUP_MEMORY_TAKE, text, strlen (text));
      g_message ("API GET %s by %s: %u %s", route->path,
                 cr_text_shown (cr_principal_actor (principal) != NULL
                                  ? cr_principal_actor (principal) : "(anyone)"),
                 status, code);
      return;
    }
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  length = strlen (html);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&html), length);
}
