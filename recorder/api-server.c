/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-server.c: courtrecd's HTTP control API, see api-server.h.
 *
 * What a request may be is decided in api-request.c: who calls
 * (api-auth.c), the path, the method, the caller's role and the body's
 * size once its headers are in (a refusal is answered before any of the
 * body is read, see http-server.h), then the body, parsed strictly. The
 * admitted caller's principal rides on the message (ROUTE_KEY beside
 * PRINCIPAL_KEY). The JSON handlers answer synchronously on the main loop,
 * which is where the recorder must be called from; a route with a handler
 * of its own (cr_api_server_set_handler) answers as it likes. */
#include "recorder/api-server.h"

#include <string.h>

#include "archive/case-number.h"
#include "config/text.h"
#include "recorder/api-access.h"
#include "recorder/api-hearings.h"
#include "recorder/api-auth.h"
#include "recorder/api-login.h"
#include "recorder/api-request.h"
#include "recorder/api-vod.h"
#include "recorder/console-feed.h"
#include "recorder/console-web.h"
#include "recorder/http-server.h"
#include "recorder/metrics.h"
#include "vod/vod-service.h"

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"
#define ROUTE_KEY "cr-api-route"
#define PRINCIPAL_KEY "cr-api-principal"

/* A control request's headers must be in within this long of the
 * connection, and the whole exchange done within the second: a CLI or a
 * scraper on loopback needs milliseconds. */
#define HEADER_TIMEOUT_MS 10000
#define EXCHANGE_TIMEOUT_MS 30000

typedef struct {
  CrApiRouteHandler func;
  gpointer user_data;
} RouteHandler;

struct CrApiServer {
  CrRecorder *recorder;   /* borrowed */
  CrHttpServer *http;
  CrApiAuth *auth;        /* holds the room's token */
  GHashTable *handlers;   /* CrApiAction -> RouteHandler: routes not answered here */
  CrApiLogin *login;      /* NULL until the accounts are enabled */
  CrMetrics *metrics;     /* /metrics */
  CrConsoleFeed *feed;    /* the consoles' event streams */
};

typedef GHashTable Fields;

static const char *
optional_string (Fields *request, const char *name)
{
  return g_hash_table_lookup (request, name);
}

/* --- routes -------------------------------------------------------------- */

/* { "status": {...} } with the status after the request, plus @session_id
 * when it is positive. (transfer full) */
static JsonNode *
reply_with_status (CrApiServer *self, const char *id_name, gint64 id)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  if (id_name != NULL)
    {
      if (id > 0)
        json_object_set_int_member (object, id_name, id);
      else
        json_object_set_null_member (object, id_name);
    }
  json_object_set_member (object, "status", cr_recorder_get_status (self->recorder));
  json_node_take_object (node, object);
  return node;
}

/* The id of the current session in @status, 0 when there is none. */
static gint64
current_session_id (JsonNode *status)
{
  JsonObject *object;
  JsonNode *session;

  if (status == NULL || !JSON_NODE_HOLDS_OBJECT (status))
    return 0;
  object = json_node_get_object (status);
  session = json_object_get_member (object, "session");
  if (session == NULL || !JSON_NODE_HOLDS_OBJECT (session))
    return 0;
  return json_object_get_int_member_with_default (json_node_get_object (session),
                                                  "id", 0);
}

static JsonNode *
handle_status (CrApiServer *self, const CrPrincipal *principal, Fields *request,
               GError **error)
{
  return cr_recorder_get_status (self->recorder);
}

static JsonNode *
handle_start (CrApiServer *self, const CrPrincipal *principal, Fields *request,
               GError **error)
{
  GError *local_error = NULL;
  gint64 session_id;
  g_autoptr (JsonNode) before = cr_recorder_get_status (self->recorder);
  gboolean alarms_standing =
      json_object_get_boolean_member_with_default (json_node_get_object (before),
                                                   "alarms_standing", FALSE);
  const char *confirmed = optional_string (request, "alarms_confirmed");

  if (confirmed != NULL && !g_str_equal (confirmed, "yes"))
    {
      g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_INVALID,
                   "alarms_confirmed is \"yes\" or absent, not \"%s\"",
                   cr_text_shown (confirmed));
      return NULL;
    }
  session_id = cr_recorder_start (self->recorder,
                                  optional_string (request, "case"),
                                  optional_string (request, "title"),
                                  cr_principal_actor (principal), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  /* The console asked the clerk before starting over a standing alarm:
   * the answer, and who gave it, go into the session's ledger. */
  if (confirmed != NULL && alarms_standing &&
      cr_recorder_confirm_alarms (self->recorder, cr_principal_actor (principal),
                                  &local_error) <= 0)
    {
      g_warning ("%s", cr_text_shown (local_error->message));
      g_clear_error (&local_error);
    }
  return reply_with_status (self, "session_id", session_id);
}

static JsonNode *
handle_pause (CrApiServer *self, const CrPrincipal *principal, Fields *request,
               GError **error)
{
  if (!cr_recorder_pause (self->recorder, optional_string (request, "reason"),
                          cr_principal_actor (principal), error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

static JsonNode *
handle_resume (CrApiServer *self, const CrPrincipal *principal, Fields *request,
               GError **error)
{
  if (!cr_recorder_resume (self->recorder, cr_principal_actor (principal), error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

static JsonNode *
handle_stop (CrApiServer *self, const CrPrincipal *principal, Fields *request,
               GError **error)
{
  /* The status after the stop has no session any more: take its id first. */
  g_autoptr (JsonNode) before = cr_recorder_get_status (self->recorder);
  gint64 session_id = current_session_id (before);

  if (!cr_recorder_stop (self->recorder, cr_principal_actor (principal), error))
    return NULL;
  return reply_with_status (self, "session_id", session_id);
}

static JsonNode *
handle_marker (CrApiServer *self, const CrPrincipal *principal, Fields *request,
               GError **error)
{
  GError *local_error = NULL;
  JsonObject *object;
  JsonNode *node;
  gint64 event_id;

  event_id = cr_recorder_mark (self->recorder, optional_string (request, "text"),
                               cr_principal_actor (principal), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  object = json_object_new ();
  json_object_set_int_member (object, "event_id", event_id);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
handle_layout (CrApiServer *self, const CrPrincipal *principal, Fields *request,
               GError **error)
{
  if (!cr_recorder_set_layout (self->recorder, optional_string (request, "layout"),
                               cr_principal_actor (principal), error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

/* {"input", "canonical"}: what start would record for this case number. */
static JsonNode *
handle_case_number (CrApiServer *self, const CrPrincipal *principal, Fields *request,
                    GError **error)
{
  const char *typed = optional_string (request, "case");
  g_autofree char *canonical = cr_case_number_canonicalize (typed, error);
  JsonObject *object;
  JsonNode *node;

  if (canonical == NULL)
    return NULL;
  object = json_object_new ();
  json_object_set_string_member (object, "input", typed);
  json_object_set_string_member (object, "canonical", canonical);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
decide_broadcast (CrApiServer *self, const CrPrincipal *principal, Fields *request,
                  gboolean approve, GError **error)
{
  GError *local_error = NULL;
  /* Who decides is the caller's account, never the "by" a request typed
   * (still taken from older clients, and ignored). */
  gint64 id = cr_recorder_decide_broadcast (self->recorder, optional_string (request, "case"),
                                            approve, cr_principal_actor (principal),
                                            optional_string (request, "reason"),
                                            &local_error);
  JsonNode *reply;

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  reply = reply_with_status (self, "decision_id", id);
  json_object_set_string_member (json_node_get_object (reply), "by",
                                 cr_principal_actor (principal));
  return reply;
}

static JsonNode *
stream_control (CrApiServer *self, const CrPrincipal *principal, Fields *request,
                const char *action, GError **error)
{
  if (!cr_recorder_stream_control (self->recorder, action, optional_string (request, "name"),
                                   cr_principal_actor (principal), error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

/* --- the handler ----------------------------------------------------------- */

static JsonNode *
dispatch (CrApiServer *self, CrApiAction action, const CrPrincipal *principal,
          Fields *request, GError **error)
{
  switch (action)
    {
    case CR_API_STATUS: return handle_status (self, principal, request, error);
    case CR_API_START: return handle_start (self, principal, request, error);
    case CR_API_PAUSE: return handle_pause (self, principal, request, error);
    case CR_API_RESUME: return handle_resume (self, principal, request, error);
    case CR_API_STOP: return handle_stop (self, principal, request, error);
    case CR_API_MARKER: return handle_marker (self, principal, request, error);
    case CR_API_LAYOUT: return handle_layout (self, principal, request, error);
    case CR_API_BROADCAST_APPROVE: return decide_broadcast (self, principal, request, TRUE, error);
    case CR_API_BROADCAST_FORBID: return decide_broadcast (self, principal, request, FALSE, error);
    case CR_API_STREAM_START: return stream_control (self, principal, request, "start", error);
    case CR_API_STREAM_STOP: return stream_control (self, principal, request, "stop", error);
    case CR_API_STREAM_CUT: return stream_control (self, principal, request, "cut", error);
    case CR_API_STREAM_RESUME: return stream_control (self, principal, request, "resume", error);
    case CR_API_CASE_NUMBER: return handle_case_number (self, principal, request, error);
    case CR_API_ACCESS_REQUEST:
    case CR_API_ACCESS_REQUESTS:
    case CR_API_ACCESS_GRANT:
    case CR_API_ACCESS_REFUSE:
    case CR_API_ACCESS_REVOKE:
      return cr_api_access_dispatch (self->recorder, action, principal, request, error);
    case CR_API_ACCESS_SLIP:
      break;   /* HTML: cr_api_access_serve_slip */
    case CR_API_HEARING_MARK:
      break;   /* cr_api_hearings_serve: the path names the hearing */
    case CR_API_VOD_PUBLISH: return cr_api_vod_publish (self->recorder, principal, request, error);
    case CR_API_VOD_WITHDRAW: return cr_api_vod_withdraw (self->recorder, principal, request, error);
    case CR_API_LIVE:
    case CR_API_PREVIEW:
      break;  /* not JSON: answered in handle_request */
    case CR_API_LOGIN:
    case CR_API_LOGOUT:
    case CR_API_WHOAMI:
      /* Answered by api-login.c when the server has its accounts. */
      g_set_error_literal (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                           "This room has no accounts: use its token");
      return NULL;
    case CR_API_METRICS:
      break;   /* a handler of its own: serve_metrics */
    }
  g_return_val_if_reached (NULL);
}

static void
send_json (SoupServerMessage *msg, guint status, JsonNode *body)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  gsize length = 0;
  char *text;

  json_generator_set_root (generator, body);
  text = json_generator_to_data (generator, &length);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE,
                                    text, length);
}

/* HTTP status and API error code for a failure of the request or the
 * recorder. */
static guint
status_for_error (const GError *error, const char **code)
{
  if (error->domain == CR_VOD_ERROR)
    return cr_api_vod_error_status (error, code);
  if (error->domain == CR_API_REQUEST_ERROR ||
      error->domain == CR_CASE_NUMBER_ERROR ||
      g_error_matches (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID))
    {
      *code = "invalid";
      return SOUP_STATUS_BAD_REQUEST;
    }
  if (error->domain == CR_ACCESS_ERROR)
    return cr_api_access_error_status (error, code);
  if (g_error_matches (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE))
    {
      *code = "conflict";
      return SOUP_STATUS_CONFLICT;
    }
  *code = "failed";
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static const char *
refusal_code (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED: return "unauthorized";
    case SOUP_STATUS_FORBIDDEN: return "forbidden";
    case SOUP_STATUS_NOT_FOUND: return "not-found";
    case SOUP_STATUS_METHOD_NOT_ALLOWED: return "method-not-allowed";
    case SOUP_STATUS_LENGTH_REQUIRED: return "length-required";
    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE: return "too-large";
    default: return "invalid";
    }
}

/* After the headers, before the body: who, the route, the role, the size. */
static gboolean
admit_request (SoupServerMessage *msg, const char *path, CrHttpRefusal *refusal,
               gpointer user_data)
{
  CrApiServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (GError) error = NULL;
  CrPrincipal *principal = NULL;
  const CrApiRoute *route;
  guint status;

  /* The console's page holds nothing of the room (console-web.h). */
  if (cr_console_web_owns (path))
    return TRUE;
  route = cr_api_request_admit (method, path, soup_server_message_get_request_headers (msg),
                                self->auth, &principal, &error);
  if (route != NULL)
    {
      g_object_set_data (G_OBJECT (msg), ROUTE_KEY, (gpointer) route);
      g_object_set_data_full (G_OBJECT (msg), PRINCIPAL_KEY, principal,
                              (GDestroyNotify) cr_principal_free);
      return TRUE;
    }
  status = cr_api_request_error_status (error);
  cr_http_refusal_set_json (refusal, status, refusal_code (status), error->message);
  if (status == SOUP_STATUS_UNAUTHORIZED)
    {
      refusal->header_name = "WWW-Authenticate";
      refusal->header_value = "Bearer";
    }
  else if (status == SOUP_STATUS_METHOD_NOT_ALLOWED)
    {
      refusal->header_name = "Allow";
      refusal->header_value = cr_api_request_allowed_method (path);
    }
  /* Not logged one by one: a flood of refusals would flood the log; the
   * HTTP server reports them in a line every 10 s. */
  return FALSE;
}

static const char *
actor_shown (const CrPrincipal *principal)
{
  return principal != NULL ? cr_text_shown (principal->user) : "(anyone)";
}

const CrPrincipal *
cr_api_server_get_principal (SoupServerMessage *msg)
{
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);
  return g_object_get_data (G_OBJECT (msg), PRINCIPAL_KEY);
}

void
cr_api_server_set_handler (CrApiServer *server, CrApiAction action, CrApiRouteHandler handler,
                           gpointer user_data)
{
  RouteHandler *entry;

  g_return_if_fail (server != NULL && handler != NULL);

  entry = g_new0 (RouteHandler, 1);
  entry->func = handler;
  entry->user_data = user_data;
  g_hash_table_replace (server->handlers, GINT_TO_POINTER (action), entry);
}

void
cr_api_server_enable_accounts (CrApiServer *server, const char *users_path, const char *room_id,
                               guint idle_seconds, guint max_seconds,
                               gint64 (*clock_us) (void))
{
  g_return_if_fail (server != NULL && users_path != NULL && room_id != NULL);
  g_return_if_fail (server->login == NULL);

  cr_api_auth_set_accounts (server->auth, cr_users_open (users_path, FALSE, NULL),
                            cr_logins_new (idle_seconds, max_seconds), room_id);
  server->login = cr_api_login_new (server, clock_us);
}

CrApiAuth *
cr_api_server_get_auth (CrApiServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return server->auth;
}

static void
send_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  char *text = cr_http_error_json (code, message);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE, text,
                                    strlen (text));
}

/* GET /api/v1/preview/NAME.jpg: the latest picture, never cached. One
 * picture per request rather than a multipart stream: a console shows the
 * composed picture and every camera, and a stream each would hold that
 * many connections (and descriptors) open per console against the
 * listener's cap; a page that asks for the next picture once the last has
 * loaded paces itself, so a slow link gets fewer pictures and the daemon
 * queues none. Not logged: a console asks twice a second per picture. */
static void
handle_preview (CrApiServer *self, SoupServerMessage *msg, const char *path)
{
  const char *file = path + strlen ("/api/v1/preview/");
  g_autofree char *name = NULL;
  g_autoptr (GBytes) jpeg = NULL;
  gboolean known = FALSE;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_has_suffix (file, ".jpg"))
    name = g_strndup (file, strlen (file) - strlen (".jpg"));
  if (name != NULL && *name != '\0')
    jpeg = cr_recorder_get_preview (self->recorder, name, &known);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  if (!known)
    {
      send_error (msg, SOUP_STATUS_NOT_FOUND, "not-found",
                  "No such preview: /api/v1/preview/ takes composed.jpg or CAMERA.jpg, "
                  "CAMERA the NAME of a [camera NAME] group");
      return;
    }
  if (jpeg == NULL)
    {
      soup_message_headers_replace (headers, "Retry-After", "1");
      send_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "not-yet",
                  "No picture yet: the capture is starting, or the preview was idle "
                  "(asked for again within a second)");
      return;
    }
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "image/jpeg", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), jpeg);
}

static void
take_live (GIOStream *stream, GSocket *socket, gpointer user_data)
{
  CrApiServer *self = user_data;
  cr_console_feed_take (self->feed, stream, socket);
}

/* GET /api/v1/live: the connection is handed to the console feed, out of
 * the exchange deadline, within a cap of its own. */
static void
handle_live (CrApiServer *self, SoupServerMessage *msg)
{
  if (cr_console_feed_is_full (self->feed))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "2");
      send_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
                  "Too many consoles open: [console] max_streams event streams already");
      g_message ("API GET /api/v1/live: 503 busy");
      return;
    }
  g_message ("API GET /api/v1/live: an event stream opened (%u open)",
             cr_console_feed_get_streams (self->feed) + 1);
  cr_http_server_take_connection (self->http, msg, take_live, self);
}

static void
handle_request (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  CrApiServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  const CrApiRoute *route = g_object_get_data (G_OBJECT (msg), ROUTE_KEY);
  const CrPrincipal *principal = cr_api_server_get_principal (msg);
  RouteHandler *handler;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) request = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GBytes) body = NULL;
  const char *code;
  guint status;

  /* Every request passed admit_request, which found its route. */
  g_return_if_fail (route != NULL);
  handler = g_hash_table_lookup (self->handlers, GINT_TO_POINTER (route->action));
  if (handler != NULL)
    {
      handler->func (msg, route, principal, handler->user_data);
      return;
    }
  if (route->action == CR_API_PREVIEW)
    {
      handle_preview (self, msg, path);
      return;
    }
  if (route->action == CR_API_LIVE)
    {
      handle_live (self, msg);
      return;
    }
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  request = cr_api_request_parse (route, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  &error);
  if (request != NULL)
    reply = dispatch (self, route->action, principal, request, &error);

  if (reply == NULL)
    {
      char *text;

      /* A handler that fails must say why; guard against one that does not. */
      if (error == NULL)
        g_set_error_literal (&error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED,
                             "The recorder gave no answer");
      status = status_for_error (error, &code);
      text = cr_http_error_json (code, error->message);
      soup_server_message_set_status (msg, status, NULL);
      soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE, text,
                                        strlen (text));
      g_message ("API %s %s by %s: %u %s: %s", method, route->path, actor_shown (principal),
                 status, code, cr_text_shown (error->message));
      return;
    }

  send_json (msg, SOUP_STATUS_OK, reply);
  g_message ("API %s %s by %s: 200 ok", method, route->path, actor_shown (principal));
}

/* /metrics, text for Prometheus, a viewer's; not logged: a scrape every
 * few seconds would fill the journal. */
static void
serve_metrics (SoupServerMessage *msg, const CrApiRoute *route, const CrPrincipal *principal,
               gpointer user_data)
{
  gsize length;
  char *text = cr_metrics_render (user_data, &length);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, CR_METRICS_CONTENT_TYPE, SOUP_MEMORY_TAKE, text, length);
}

CrApiServer *
cr_api_server_new (CrRecorder *recorder, const char *host, guint16 port,
                   const char *token, guint max_connections, GError **error)
{
  g_autoptr (CrApiServer) self = NULL;
  const CrConfig *config;
  CrHttpLimits limits = {
    .name = "control",
    .max_connections = max_connections,
    .header_timeout_ms = HEADER_TIMEOUT_MS,
    .exchange_timeout_ms = EXCHANGE_TIMEOUT_MS,
  };

  g_return_val_if_fail (recorder != NULL, NULL);
  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (token != NULL && *token != '\0', NULL);
  g_return_val_if_fail (max_connections > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (CrApiServer, 1);
  self->recorder = recorder;
  self->auth = cr_api_auth_new (token);
  self->handlers = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->http = cr_http_server_new (&limits, admit_request, self);
  self->metrics = cr_metrics_new (recorder);
  cr_metrics_add_listener (self->metrics, self->http);
  cr_api_server_set_handler (self, CR_API_METRICS, serve_metrics, self->metrics);
  cr_api_server_set_handler (self, CR_API_ACCESS_SLIP, cr_api_access_serve_slip, recorder);
  cr_api_server_set_handler (self, CR_API_HEARING_MARK, cr_api_hearings_serve, recorder);
  config = cr_recorder_get_config (recorder);
  /* Each stream holds one of the listener's connections: leave the CLI
   * and the scrapers at least a quarter of them. */
  self->feed = cr_console_feed_new (recorder,
                                    MAX (1u, MIN (config->console_max_streams,
                                                  max_connections - max_connections / 4)),
                                    config->console_bookmarks);
  soup_server_add_handler (cr_http_server_get_soup (self->http), NULL, handle_request, self,
                           NULL);
  cr_console_web_add_handlers (cr_http_server_get_soup (self->http));
  if (!cr_http_server_listen (self->http, host, port, error))
    return NULL;
  return g_steal_pointer (&self);
}

CrMetrics *
cr_api_server_get_metrics (CrApiServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return server->metrics;
}

void
cr_api_server_free (CrApiServer *server)
{
  if (server == NULL)
    return;
  /* The server first: a connection being taken must find it gone. */
  cr_http_server_free (server->http);
  cr_console_feed_free (server->feed);
  cr_api_login_free (server->login);
  cr_api_auth_free (server->auth);
  g_clear_pointer (&server->handlers, g_hash_table_unref);
  cr_metrics_free (server->metrics);
  g_free (server);
}
