/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon-client.c: talking to the room's courtrecd over its HTTP API, with
 * a token: an account's (`courtrec user token NAME`) from the
 * COURTREC_TOKEN environment variable or the file of the global
 * --token-file, else the room's from its token file, which acts as the
 * room's admin. Every failure is printed here. */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "config/config.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"

#define HTTP_TIMEOUT_SECONDS 15

/* "host:port", with brackets around an IPv6 literal. */
char *
api_endpoint (const CrConfig *config)
{
  if (strchr (config->api_host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", config->api_host, config->api_port);
  return g_strdup_printf ("%s:%u", config->api_host, config->api_port);
}

static void
wipe_string (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

typedef char SecretString;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretString, wipe_string)

/* Where the token a request is sent with comes from, for the messages. */
const char *
api_token_source (void)
{
  const char *from_env = g_getenv ("COURTREC_TOKEN");

  if (from_env != NULL && *from_env != '\0')
    return "the COURTREC_TOKEN environment variable";
  if (token_file_path != NULL)
    return "--token-file";
  return "the room's token file";
}

/* The token a request is sent with: an account's from COURTREC_TOKEN or
 * --token-file, else the room's. (transfer full) */
static char *
load_token (const CrConfig *config, GError **error)
{
  const char *from_env = g_getenv ("COURTREC_TOKEN");

  if (from_env != NULL && *from_env != '\0')
    return g_strstrip (g_strdup (from_env));
  if (token_file_path != NULL)
    {
      /* Read and checked as the room's token file is. */
      CrConfig with_file = *config;

      with_file.token_file = token_file_path;
      return cr_config_load_token (&with_file, FALSE, error);
    }
  return cr_config_load_token (config, FALSE, error);
}

/* The message of an API error body {"error":{"message":...}}, or NULL. */
static const char *
api_error_message (JsonNode *reply)
{
  JsonObject *object;
  JsonObject *inner;

  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    return NULL;
  object = json_node_get_object (reply);
  if (!json_object_has_member (object, "error") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error")))
    return NULL;
  inner = json_object_get_object_member (object, "error");
  return json_object_get_string_member_with_default (inner, "message", NULL);
}

/* A request for @method @path (under /api/v1) of the room's courtrecd,
 * with the room's token and @request as the body (or none). NULL when the
 * token cannot be read, or (G_IO_ERROR_INVALID_ARGUMENT) when the [api]
 * listen address makes no URL. (transfer full) */
SoupMessage *
api_request_new (const CrConfig *config, const char *method, const char *path,
                 JsonNode *request, GError **error)
{
  g_autoptr (SecretString) token = NULL;
  g_autoptr (SecretString) authorization = NULL;
  g_autofree char *endpoint = api_endpoint (config);
  g_autofree char *uri = g_strdup_printf ("http://%s/api/v1%s", endpoint, path);
  SoupMessage *message;

  token = load_token (config, error);
  if (token == NULL)
    return NULL;
  message = soup_message_new (method, uri);
  if (message == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "cannot make a URL of the [api] listen address %s", cr_text_shown (endpoint));
      return NULL;
    }
  authorization = g_strdup_printf ("Bearer %s", token);
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", authorization);
  if (request != NULL)
    {
      g_autoptr (JsonGenerator) generator = json_generator_new ();
      g_autoptr (GBytes) bytes = NULL;
      gsize length = 0;
      char *text;

      json_generator_set_root (generator, request);
      text = json_generator_to_data (generator, &length);
      bytes = g_bytes_new_take (text, length);
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  return message;
}

/* A session whose every read and write gives up after @timeout_seconds;
 * @connections at once to one host, or libsoup's default (2) for 0.
 * (transfer full) */
SoupSession *
api_session_new (guint timeout_seconds, guint connections)
{
  if (connections == 0)
    return soup_session_new_with_options ("timeout", timeout_seconds,
                                          "user-agent", "courtrec", NULL);
  return soup_session_new_with_options ("timeout", timeout_seconds, "user-agent", "courtrec",
                                        "max-conns", connections,
                                        "max-conns-per-host", connections, NULL);
}

/* The JSON of a reply's body, or NULL when it is none. (transfer full) */
JsonNode *
api_reply_json (GBytes *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (body == NULL || g_bytes_get_size (body) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   g_bytes_get_size (body), NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL ? json_node_copy (root) : NULL;
}

/* Sends @method @path (under /api/v1) with @request as the body (or none)
 * and returns the exit code; on 200 sets @reply to the JSON body. Prints
 * every failure; a refusal for the account's role (403) quotes @needs,
 * what the verb needs ("start needs the clerk role"), if given. */
int
call_api (const CrConfig *config, const char *method, const char *path,
          JsonNode *request, JsonNode **reply, const char *needs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *endpoint = api_endpoint (config);
  const char *daemon_message;
  guint status;

  message = api_request_new (config, method, path, request, &error);
  if (message == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return fail (EXIT_USAGE, "%s", error->message);
  if (message == NULL)
    return fail (EXIT_RUNTIME, "room %s: %s", cr_text_shown (config->room_id),
                 error->message);
  session = api_session_new (HTTP_TIMEOUT_SECONDS, 0);

  body = soup_session_send_and_read (session, message, NULL, &error);
  if (body == NULL)
    return fail (EXIT_RUNTIME, "courtrecd for room %s is not answering on %s: %s",
                 cr_text_shown (config->room_id), cr_text_shown (endpoint), error->message);

  status = soup_message_get_status (message);
  root = api_reply_json (body);
  /* The daemon's messages quote what it was sent, and whatever answers on
   * its port may say anything: escaped and shortened like any outside text. */
  daemon_message = api_error_message (root);
  if (daemon_message != NULL)
    daemon_message = cr_text_shown (daemon_message);

  switch (status)
    {
    case SOUP_STATUS_OK:
      if (root == NULL)
        return fail (EXIT_RUNTIME, "courtrecd on %s answered %s %s with a body that is not JSON",
                     cr_text_shown (endpoint), method, cr_text_shown (path));
      if (reply != NULL)
        *reply = json_node_copy (root);
      return EXIT_OK;
    case SOUP_STATUS_BAD_REQUEST:
      return fail (EXIT_USAGE, "%s", daemon_message != NULL ? daemon_message
                                      : "courtrecd refused the request as invalid");
    case SOUP_STATUS_UNAUTHORIZED:
      return fail (EXIT_RUNTIME, "courtrecd for room %s on %s refused the API token from %s "
                   "(revoked, its account disabled, another daemon on that port, or the "
                   "token file replaced?)", cr_text_shown (config->room_id),
                   cr_text_shown (endpoint), api_token_source ());
    case SOUP_STATUS_FORBIDDEN:
      return fail (EXIT_RUNTIME, "courtrecd for room %s refused %s %s%s%s%s: %s",
                   cr_text_shown (config->room_id), method, cr_text_shown (path),
                   needs != NULL ? " (" : "", needs != NULL ? needs : "",
                   needs != NULL ? ")" : "",
                   daemon_message != NULL ? daemon_message
                                          : "the account's role does not allow it");
    case SOUP_STATUS_CONFLICT:
      return fail (EXIT_RUNTIME, "%s", daemon_message != NULL ? daemon_message
                                        : "courtrecd refused: not allowed now");
    default:
      return fail (EXIT_RUNTIME, "courtrecd for room %s on %s answered %u %s%s%s",
                   cr_text_shown (config->room_id), cr_text_shown (endpoint), status,
                   cr_text_shown (soup_message_get_reason_phrase (message) != NULL
                                  ? soup_message_get_reason_phrase (message) : ""),
                   daemon_message != NULL ? ": " : "",
                   daemon_message != NULL ? daemon_message : "");
    }
}

/* {"NAME": VALUE, ...} from pairs in @ap, ended by NULL; NULL values left
 * out. (transfer full) */
JsonNode *
fields_request (va_list ap)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *name;

  json_builder_begin_object (builder);
  while ((name = va_arg (ap, const char *)) != NULL)
    {
      const char *value = va_arg (ap, const char *);
      if (value == NULL)
        continue;
      json_builder_set_member_name (builder, name);
      json_builder_add_string_value (builder, value);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
