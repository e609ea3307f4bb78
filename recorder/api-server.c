/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-server.c: courtrecd's HTTP control API, see api-server.h.
 *
 * One default handler takes every request so that the token is checked
 * before the path, the method or the body is looked at: a request without
 * the right token learns nothing and changes nothing. The handler answers
 * synchronously on the main loop, which is where the recorder must be
 * called from. */
#include "recorder/api-server.h"

#include "recorder/broadcast.h"
#include "streaming/live-web.h"

#include <libsoup/soup.h>
#include <string.h>

#include "archive/case-number.h"

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

struct CrApiServer {
  CrRecorder *recorder;   /* borrowed */
  SoupServer *soup;
  char *token;            /* a secret: never logged, wiped on free */
};

/* Errors in the request itself (not from the recorder): always a 400. */
static GQuark
request_error_quark (void)
{
  return g_quark_from_static_string ("cr-api-request-error-quark");
}

typedef JsonNode *(*RouteHandler) (CrApiServer *self, JsonObject *request,
                                   GError **error);

typedef struct {
  const char *path;
  const char *method;
  RouteHandler handler;
  /* Members the body may have; the first @n_required are required strings,
   * the rest optional strings (or null). NULL: no body is needed, and any
   * body given must be an empty JSON object. */
  const char *const *fields;
  guint n_required;
} Route;

/* --- request validation ------------------------------------------------- */

static gboolean
field_allowed (const Route *route, const char *name)
{
  for (guint i = 0; route->fields != NULL && route->fields[i] != NULL; i++)
    if (g_str_equal (route->fields[i], name))
      return TRUE;
  return FALSE;
}

/* Parses the body into a JSON object and checks its members against
 * @route. An empty body is an empty object, which is fine for routes that
 * need no fields. (transfer full) */
static JsonObject *
parse_request_body (const Route *route, GBytes *body, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (JsonObject) request = NULL;
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  JsonNode *root;

  if (size > 0 && !json_parser_load_from_data (parser, data, size, &parse_error))
    {
      /* json-glib names the input "<data>"; keep only where and what. */
      const char *why = parse_error->message;
      if (g_str_has_prefix (why, "<data>:"))
        why += strlen ("<data>:");
      g_set_error (error, request_error_quark (), 0,
                   "The request body is not valid JSON: %s", why);
      return NULL;
    }
  root = size > 0 ? json_parser_get_root (parser) : NULL;
  if (root == NULL)
    request = json_object_new ();
  else if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, request_error_quark (), 0,
                   "The request body must be a JSON object, not %s",
                   JSON_NODE_HOLDS_ARRAY (root) ? "an array" : "a single value");
      return NULL;
    }
  else
    request = json_object_ref (json_node_get_object (root));

  {
    g_autoptr (GList) members = json_object_get_members (request);
    for (GList *l = members; l != NULL; l = l->next)
      if (!field_allowed (route, l->data))
        {
          g_set_error (error, request_error_quark (), 0,
                       "Unknown field \"%s\" in the request body",
                       (const char *) l->data);
          return NULL;
        }
  }

  for (guint i = 0; route->fields != NULL && route->fields[i] != NULL; i++)
    {
      const char *name = route->fields[i];
      JsonNode *member = json_object_get_member (request, name);
      gboolean required = i < route->n_required;

      if (member == NULL && required)
        {
          g_set_error (error, request_error_quark (), 0,
                       "Field \"%s\" is missing from the request body", name);
          return NULL;
        }
      if (member == NULL || (JSON_NODE_HOLDS_NULL (member) && !required))
        continue;
      if (json_node_get_value_type (member) != G_TYPE_STRING)
        {
          g_set_error (error, request_error_quark (), 0,
                       "Field \"%s\" must be a string", name);
          return NULL;
        }
    }
  return g_steal_pointer (&request);
}

static const char *
optional_string (JsonObject *request, const char *name)
{
  JsonNode *member = json_object_get_member (request, name);
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    return NULL;
  return json_node_get_string (member);
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
handle_status (CrApiServer *self, JsonObject *request, GError **error)
{
  return cr_recorder_get_status (self->recorder);
}

static JsonNode *
handle_start (CrApiServer *self, JsonObject *request, GError **error)
{
  GError *local_error = NULL;
  gint64 session_id;

  session_id = cr_recorder_start (self->recorder,
                                  optional_string (request, "case"),
                                  optional_string (request, "title"),
                                  &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  return reply_with_status (self, "session_id", session_id);
}

static JsonNode *
handle_pause (CrApiServer *self, JsonObject *request, GError **error)
{
  if (!cr_recorder_pause (self->recorder, optional_string (request, "reason"),
                          error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

static JsonNode *
handle_resume (CrApiServer *self, JsonObject *request, GError **error)
{
  if (!cr_recorder_resume (self->recorder, error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

static JsonNode *
handle_stop (CrApiServer *self, JsonObject *request, GError **error)
{
  /* The status after the stop has no session any more: take its id first. */
  g_autoptr (JsonNode) before = cr_recorder_get_status (self->recorder);
  gint64 session_id = current_session_id (before);

  if (!cr_recorder_stop (self->recorder, error))
    return NULL;
  return reply_with_status (self, "session_id", session_id);
}

static JsonNode *
handle_marker (CrApiServer *self, JsonObject *request, GError **error)
{
  GError *local_error = NULL;
  JsonObject *object;
  JsonNode *node;
  gint64 event_id;

  event_id = cr_recorder_mark (self->recorder, optional_string (request, "text"),
                               &local_error);
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
handle_layout (CrApiServer *self, JsonObject *request, GError **error)
{
  if (!cr_recorder_set_layout (self->recorder, optional_string (request, "layout"), error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

static JsonNode *
decide_broadcast (CrApiServer *self, JsonObject *request, gboolean approve, GError **error)
{
  GError *local_error = NULL;
  gint64 id = cr_recorder_decide_broadcast (self->recorder, optional_string (request, "case"),
                                            approve, optional_string (request, "by"),
                                            optional_string (request, "reason"),
                                            &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  return reply_with_status (self, "decision_id", id);
}

static JsonNode *
handle_broadcast_approve (CrApiServer *self, JsonObject *request, GError **error)
{
  return decide_broadcast (self, request, TRUE, error);
}

static JsonNode *
handle_broadcast_forbid (CrApiServer *self, JsonObject *request, GError **error)
{
  return decide_broadcast (self, request, FALSE, error);
}

static JsonNode *
stream_control (CrApiServer *self, JsonObject *request, const char *action, GError **error)
{
  if (!cr_recorder_stream_control (self->recorder, action, optional_string (request, "name"),
                                   error))
    return NULL;
  return reply_with_status (self, NULL, 0);
}

static JsonNode *
handle_stream_start (CrApiServer *self, JsonObject *request, GError **error)
{
  return stream_control (self, request, "start", error);
}

static JsonNode *
handle_stream_stop (CrApiServer *self, JsonObject *request, GError **error)
{
  return stream_control (self, request, "stop", error);
}

static JsonNode *
handle_stream_cut (CrApiServer *self, JsonObject *request, GError **error)
{
  return stream_control (self, request, "cut", error);
}

static JsonNode *
handle_stream_resume (CrApiServer *self, JsonObject *request, GError **error)
{
  return stream_control (self, request, "resume", error);
}

static const char *const start_fields[] = { "case", "title", NULL };
static const char *const approve_fields[] = { "case", "by", NULL };
static const char *const forbid_fields[] = { "case", "reason", "by", NULL };
static const char *const stream_fields[] = { "name", NULL };
static const char *const layout_fields[] = { "layout", NULL };
static const char *const pause_fields[] = { "reason", NULL };
static const char *const marker_fields[] = { "text", NULL };

static const Route routes[] = {
  { "/api/v1/status", "GET", handle_status, NULL, 0 },
  { "/api/v1/session/start", "POST", handle_start, start_fields, 1 },
  { "/api/v1/session/pause", "POST", handle_pause, pause_fields, 1 },
  { "/api/v1/session/resume", "POST", handle_resume, NULL, 0 },
  { "/api/v1/session/stop", "POST", handle_stop, NULL, 0 },
  { "/api/v1/session/markers", "POST", handle_marker, marker_fields, 1 },
  { "/api/v1/layout", "POST", handle_layout, layout_fields, 1 },
  { "/api/v1/broadcast/approve", "POST", handle_broadcast_approve, approve_fields, 2 },
  { "/api/v1/broadcast/forbid", "POST", handle_broadcast_forbid, forbid_fields, 2 },
  { "/api/v1/stream/start", "POST", handle_stream_start, stream_fields, 1 },
  { "/api/v1/stream/stop", "POST", handle_stream_stop, stream_fields, 0 },
  { "/api/v1/stream/cut", "POST", handle_stream_cut, stream_fields, 0 },
  { "/api/v1/stream/resume", "POST", handle_stream_resume, stream_fields, 0 },
};

/* --- the handler ----------------------------------------------------------- */

/* Compares in time that depends only on the length of @expected, so that a
 * caller cannot find the token one byte at a time. */
static gboolean
token_matches (const char *expected, const char *given)
{
  gsize expected_len = strlen (expected);
  gsize given_len = strlen (given);
  guint8 diff = expected_len != given_len;

  for (gsize i = 0; i < expected_len; i++)
    diff |= (guint8) expected[i] ^ (guint8) (i < given_len ? given[i] : 0);
  return diff == 0;
}

static gboolean
request_is_authorized (CrApiServer *self, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (headers, "Authorization");
  g_autofree char *given = NULL;

  /* The scheme is case-insensitive (RFC 9110, 11.1). */
  if (value == NULL || g_ascii_strncasecmp (value, "Bearer ", 7) != 0)
    return FALSE;
  given = g_strstrip (g_strdup (value + 7));
  return token_matches (self->token, given);
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

/* {"error":{"code":@code,"message":@message}} */
static void
send_error (SoupServerMessage *msg, guint status, const char *code,
            const char *message)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  JsonObject *inner = json_object_new ();

  json_object_set_string_member (inner, "code", code);
  json_object_set_string_member (inner, "message", message);
  json_object_set_object_member (object, "error", inner);
  json_node_take_object (node, object);
  send_json (msg, status, node);
}

/* HTTP status and API error code for a failure of the request or the
 * recorder. */
static guint
status_for_error (const GError *error, const char **code)
{
  if (error->domain == request_error_quark () ||
      error->domain == CR_CASE_NUMBER_ERROR ||
      g_error_matches (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID))
    {
      *code = "invalid";
      return SOUP_STATUS_BAD_REQUEST;
    }
  if (g_error_matches (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE))
    {
      *code = "conflict";
      return SOUP_STATUS_CONFLICT;
    }
  *code = "failed";
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static const Route *
find_route (const char *path, gboolean *path_known)
{
  *path_known = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (routes[i].path, path))
      {
        *path_known = TRUE;
        return &routes[i];
      }
  return NULL;
}

static void
handle_request (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  CrApiServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GBytes) body = NULL;
  gboolean path_known;
  const Route *route;
  const char *code;
  guint status;

  if (!request_is_authorized (self, msg))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      send_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                  "A valid API token is required: send \"Authorization: Bearer TOKEN\" "
                  "with the token from the room's token file");
      g_message ("API %s %s: 401 unauthorized", method, path);
      return;
    }

  route = find_route (path, &path_known);
  if (!path_known)
    {
      g_autofree char *message = g_strdup_printf ("No such API path: %s", path);
      send_error (msg, SOUP_STATUS_NOT_FOUND, "not-found", message);
      g_message ("API %s %s: 404 not found", method, path);
      return;
    }
  if (!g_str_equal (method, route->method))
    {
      g_autofree char *message =
        g_strdup_printf ("%s does not take %s; use %s", path, method, route->method);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", route->method);
      send_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method-not-allowed", message);
      g_message ("API %s %s: 405 method not allowed", method, path);
      return;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  request = parse_request_body (route, body, &error);
  if (request != NULL)
    reply = route->handler (self, request, &error);

  if (reply == NULL)
    {
      /* A handler that fails must say why; guard against one that does not. */
      if (error == NULL)
        g_set_error_literal (&error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_FAILED,
                             "The recorder gave no answer");
      status = status_for_error (error, &code);
      send_error (msg, status, code, error->message);
      g_message ("API %s %s: %u %s: %s", method, path, status, code, error->message);
      return;
    }

  send_json (msg, SOUP_STATUS_OK, reply);
  g_message ("API %s %s: 200 ok", method, path);
}

/* --- the public live page ---------------------------------------------------- */

static void
live_web_state (CrLiveWebState *state, gpointer user_data)
{
  CrApiServer *self = user_data;
  CrBroadcast *broadcast = cr_recorder_get_broadcast (self->recorder);
  const CrConfig *config = cr_recorder_get_config (self->recorder);

  state->court = config->court;
  state->room_name = config->room_name;
  state->hls_dir = cr_broadcast_get_hls_dir (broadcast);
  state->case_number = cr_broadcast_get_case (broadcast);
  /* Without the HLS running there is nothing for the page to play. */
  state->state = state->hls_dir != NULL ? cr_broadcast_get_public_state (broadcast) : "off";
}

/* --- listening --------------------------------------------------------------- */

/* "host:port", with brackets around an IPv6 literal. */
static char *
format_endpoint (const char *host, guint16 port)
{
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

/* Every address @host stands for: the literal itself, or what the resolver
 * says for a name such as "localhost". (transfer full) */
static GList *
resolve_host (const char *host, GError **error)
{
  GInetAddress *literal = g_inet_address_new_from_string (host);

  if (literal != NULL)
    return g_list_prepend (NULL, literal);
  return g_resolver_lookup_by_name (g_resolver_get_default (), host, NULL, error);
}

static gboolean
listen_on (SoupServer *soup, const char *host, guint16 port, GError **error)
{
  g_autofree char *endpoint = format_endpoint (host, port);
  g_autoptr (GError) first_error = NULL;
  GList *addresses;
  guint listening = 0;

  addresses = resolve_host (host, &first_error);
  if (addresses == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "Cannot listen on %s: %s", endpoint,
                   first_error != NULL ? first_error->message : "the host has no address");
      return FALSE;
    }

  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autoptr (GSocketAddress) address = g_inet_socket_address_new (l->data, port);
      g_autoptr (GError) local_error = NULL;

      if (soup_server_listen (soup, address, 0, &local_error))
        {
          listening++;
          continue;
        }
      /* Another program on our port is fatal whatever else worked: the
       * client would reach it instead of us. A name that also resolves to
       * a family this machine lacks (::1 without IPv6) is not. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_clear_error (&first_error);
          first_error = g_steal_pointer (&local_error);
          listening = 0;
          break;
        }
      if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }
  g_resolver_free_addresses (addresses);

  if (listening == 0)
    {
      g_set_error (error, G_IO_ERROR,
                   first_error != NULL ? first_error->code : G_IO_ERROR_FAILED,
                   "Cannot listen on %s: %s", endpoint,
                   first_error != NULL ? first_error->message : "no address to listen on");
      return FALSE;
    }
  return TRUE;
}

CrApiServer *
cr_api_server_new (CrRecorder *recorder, const char *host, guint16 port,
                   const char *token, GError **error)
{
  g_autoptr (CrApiServer) self = NULL;

  g_return_val_if_fail (recorder != NULL, NULL);
  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (token != NULL && *token != '\0', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (CrApiServer, 1);
  self->recorder = recorder;
  self->token = g_strdup (token);
  self->soup = soup_server_new ("server-header", "courtrecd", NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  /* The public page and its HLS: no token, read-only. */
  cr_live_web_add_handlers (self->soup, cr_recorder_get_config (recorder)->room_id,
                            live_web_state, self);

  if (!listen_on (self->soup, host, port, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
cr_api_server_free (CrApiServer *server)
{
  if (server == NULL)
    return;
  if (server->soup != NULL)
    {
      soup_server_disconnect (server->soup);
      g_object_unref (server->soup);
    }
  if (server->token != NULL)
    {
      explicit_bzero (server->token, strlen (server->token));
      g_free (server->token);
    }
  g_free (server);
}
