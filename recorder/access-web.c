/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-web.c: see access-web.h. The page and its scripts come from the
 * GResource compiled from web/, as the live page's do (live-web.c). The
 * grant is the access service's (access-service.h): this file only asks
 * it, on every request, what the login may still see. */
#include "recorder/access-web-private.h"

#include <string.h>

#include "archive/utc.h"
#include "config/text.h"

#define RESOURCE_PREFIX "/org/courtrec/web/"
#define PAGE_MARKER "<meta name=\"courtrec-access-page\" content=\"login\">"
#define COOKIE_NAME "courtrec_access"

/* A login is a code and 4 characters; the request form a few lines of
 * text. Anything larger is not ours. */
#define MAX_SMALL_BODY 1024
#define MAX_REQUEST_BODY 8192
/* The part of a code the guard counts failures by: enough to hold one
 * code's guessing back, too little to say much of it in the log. */
#define CODE_PREFIX_CHARS 4

GResource *cr_web_get_resource (void);


typedef struct {
  const char *name;
  const char *content_type;
} Asset;

static const Asset assets[] = {
  { "access.js", "text/javascript; charset=utf-8" },
  { "access.css", "text/css; charset=utf-8" },
  { "hls.min.js", "text/javascript; charset=utf-8" },
  { "hls.js-LICENSE.txt", "text/plain; charset=utf-8" },
};

/* The POST routes and the bodies they take. */
static const struct {
  const char *path;
  gsize max_body;
} posts[] = {
  { "/access/api/login", MAX_SMALL_BODY },
  { "/access/api/logout", MAX_SMALL_BODY },
  { "/access/api/playback", MAX_SMALL_BODY },
  { "/access/api/request", MAX_REQUEST_BODY },
};

/* --- answers ------------------------------------------------------------ */

void
cr_access_web_respond (SoupServerMessage *msg, guint status, const char *content_type,
                       const char *cache_control, GBytes *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Cache-Control",
                                cache_control != NULL ? cache_control : "no-store");
  if (body != NULL)
    {
      soup_message_headers_set_content_type (headers, content_type, NULL);
      if (g_bytes_get_size (body) > 0)
        soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
    }
}

void
cr_access_web_respond_text (SoupServerMessage *msg, guint status, const char *text)
{
  g_autoptr (GBytes) body = g_bytes_new_static (text, strlen (text));
  cr_access_web_respond (msg, status, "text/plain; charset=utf-8", NULL, body);
}

/* The one answer for whatever a login may not see or is not there: a
 * session of another case and a session that does not exist must not be
 * told apart. */
void
cr_access_web_not_found (SoupServerMessage *msg)
{
  cr_access_web_respond_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
}

void
cr_access_web_respond_json (SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  gsize length = 0;
  char *text = json_to_string (root, FALSE);
  g_autoptr (GBytes) body = NULL;

  length = strlen (text);
  body = g_bytes_new_take (text, length);
  cr_access_web_respond (msg, status, JSON_TYPE, NULL, body);
}

void
cr_access_web_respond_error (SoupServerMessage *msg, guint status, const char *code,
                             const char *message)
{
  char *text = cr_http_error_json (code, message);
  g_autoptr (GBytes) body = g_bytes_new_take (text, strlen (text));

  cr_access_web_respond (msg, status, JSON_TYPE, NULL, body);
}

static void
redirect (SoupServerMessage *msg, const char *location)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                location);
  cr_access_web_respond_text (msg, SOUP_STATUS_MOVED_PERMANENTLY, "Moved\n");
}

/* The party's address, for the guard and the audit. Behind the court's
 * reverse proxy on the same machine every request comes from loopback:
 * then the proxy's X-Real-IP says who it is (nginx: proxy_set_header
 * X-Real-IP $remote_addr, which replaces any the client sent). From any
 * other peer the header is ignored: a client cannot name itself. */
const char *
cr_access_web_address_of (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);
  GSocketAddress *peer = soup_server_message_get_remote_address (msg);
  const char *real;
  g_autoptr (GInetAddress) named = NULL;

  if (host == NULL)
    return "unknown";
  if (peer == NULL || !G_IS_INET_SOCKET_ADDRESS (peer) ||
      !g_inet_address_get_is_loopback (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (peer))))
    return host;
  real = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                       "X-Real-IP");
  if (real == NULL || strlen (real) > 64)
    return host;
  named = g_inet_address_new_from_string (real);
  return named != NULL ? real : host;
}

static GBytes *
lookup (const char *name)
{
  g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name, NULL);
  return g_resource_lookup_data (cr_web_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                 NULL);
}

/* --- the page ------------------------------------------------------------ */

static void
serve_page (SoupServerMessage *msg, const char *page_name)
{
  g_autoptr (GBytes) page = lookup ("access.html");
  g_autoptr (GString) html = NULL;
  g_autofree char *meta = NULL;
  g_autoptr (GBytes) body = NULL;

  if (page == NULL)
    {
      cr_access_web_respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                  "The page is not built in\n");
      return;
    }
  html = g_string_new_len (g_bytes_get_data (page, NULL), g_bytes_get_size (page));
  meta = g_strdup_printf ("<meta name=\"courtrec-access-page\" content=\"%s\">", page_name);
  g_string_replace (html, PAGE_MARKER, meta, 1);
  body = g_string_free_to_bytes (g_steal_pointer (&html));
  /* The page frames nothing and is framed by nothing: a grant's
   * player inside another site's frame would be a way to misuse it. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Security-Policy",
                                "default-src 'self'; media-src 'self' blob:; "
                                "worker-src 'self' blob:; img-src 'self' data:; "
                                "frame-ancestors 'none'; form-action 'self'");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "X-Frame-Options", "DENY");
  cr_access_web_respond (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", "no-cache", body);
}

static void
serve_asset (SoupServerMessage *msg, const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      g_autoptr (GBytes) data = NULL;

      if (!g_str_equal (name, assets[i].name))
        continue;
      data = lookup (name);
      if (data == NULL)
        break;
      cr_access_web_respond (msg, SOUP_STATUS_OK, assets[i].content_type, "max-age=300", data);
      return;
    }
  cr_access_web_not_found (msg);
}

/* --- logins -------------------------------------------------------------- */

/* The cookie's value, or NULL. (transfer full) */
static char *
cookie_of (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_list (
    soup_server_message_get_request_headers (msg), "Cookie");
  g_auto (GStrv) parts = NULL;

  if (header == NULL)
    return NULL;
  parts = g_strsplit (header, ";", 0);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);
      if (g_str_has_prefix (part, COOKIE_NAME "="))
        return g_strdup (part + strlen (COOKIE_NAME "="));
    }
  return NULL;
}

CrAccessService *
cr_access_web_service_of (CrAccessWeb *web)
{
  return cr_recorder_get_access_service (web->recorder);
}

/* The caller's login, or NULL having answered 401 (or 503 when access is
 * not available in this room). */
CrAccessLogin *
cr_access_web_require_login (CrAccessWeb *web, SoupServerMessage *msg)
{
  g_autofree char *id = cookie_of (msg);
  CrAccessLogin *login;

  if (cr_access_web_service_of (web) == NULL)
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                   "Access to recordings is not available in this room");
      return NULL;
    }
  login = cr_access_logins_lookup (web->logins, id);
  if (login == NULL)
    cr_access_web_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "login-required",
                                 "Log in with the access code first");
  return login;
}

/* The grant's state, read fresh: FALSE having answered 403 when it is
 * revoked or expired (or gone). */
gboolean
cr_access_web_require_live_grant (CrAccessWeb *web, SoupServerMessage *msg,
                                  const CrAccessLogin *login)
{
  CrAccessState state = cr_access_service_check (cr_access_web_service_of (web), login->grant_id);

  if (state == CR_ACCESS_STATE_READY || state == CR_ACCESS_STATE_PENDING)
    return TRUE;
  cr_access_web_respond_error (msg, SOUP_STATUS_FORBIDDEN, cr_access_state_to_string (state),
                               state == CR_ACCESS_STATE_EXPIRED ? "This access has expired"
                               : "This access has been revoked");
  return FALSE;
}

JsonObject *
cr_access_web_parse_body (SoupServerMessage *msg)
{
  g_autoptr (GBytes) body =
    soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   g_bytes_get_size (body), NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* A string member of at most @max_bytes, or NULL. */
const char *
cr_access_web_string_member (JsonObject *object, const char *name, gsize max_bytes)
{
  JsonNode *node = json_object_get_member (object, name);
  const char *value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  value = json_node_get_string (node);
  if (value == NULL || strlen (value) > max_bytes || !g_utf8_validate (value, -1, NULL))
    return NULL;
  return value;
}

/* What the guard counts a code's failures under: its first characters,
 * as the service reads them (case and dashes do not matter). */
static char *
guard_key (const char *code)
{
  GString *key = g_string_new ("code ");

  for (const char *c = code; *c != '\0' && key->len < 5 + CODE_PREFIX_CHARS; c++)
    if (g_ascii_isalnum (*c))
      g_string_append_c (key, g_ascii_toupper (*c));
  return g_string_free (key, FALSE);
}

void
cr_access_web_set_retry_after (SoupServerMessage *msg, guint seconds)
{
  g_autofree char *value = g_strdup_printf ("%u", MAX (seconds, 1));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                value);
}

void
cr_access_web_add_grant_members (JsonBuilder *builder, const CrAccessLogin *login,
                                 CrAccessState state)
{
  g_autofree char *expires = cr_format_utc (login->expires_us);

  json_builder_set_member_name (builder, "grant");
  json_builder_add_int_value (builder, login->grant_id);
  json_builder_set_member_name (builder, "case");
  json_builder_add_string_value (builder, login->case_no);
  json_builder_set_member_name (builder, "requester");
  json_builder_add_string_value (builder, login->requester);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, login->role);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, login->copy_mode ? "copy" : "review");
  json_builder_set_member_name (builder, "expires");
  json_builder_add_string_value (builder, expires);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, cr_access_state_to_string (state));
}

static void
handle_login (CrAccessWeb *web, SoupServerMessage *msg)
{
  g_autoptr (JsonObject) body = cr_access_web_parse_body (msg);
  g_autoptr (CrAccessGrant) grant = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *key = NULL;
  g_autofree char *id = NULL;
  g_autofree char *cookie = NULL;
  const char *code, *suffix, *address = cr_access_web_address_of (msg);
  CrAccessLogin login = { 0 };
  guint retry = 0;

  if (cr_access_web_service_of (web) == NULL)
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                   "Access to recordings is not available in this room");
      return;
    }
  code = body != NULL ? cr_access_web_string_member (body, "code", 64) : NULL;
  suffix = body != NULL ? cr_access_web_string_member (body, "id_last4", 16) : NULL;
  if (code == NULL || suffix == NULL || code[0] == '\0' || suffix[0] == '\0')
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                                   "Expected {\"code\": the access code, \"id_last4\": the last 4 "
                                   "characters of the identity number}");
      return;
    }
  key = guard_key (code);
  switch (cr_login_guard_admit (web->guard, key, address, &retry))
    {
    case CR_LOGIN_GUARD_GO:
      break;
    case CR_LOGIN_GUARD_LOCKED:
      cr_access_web_set_retry_after (msg, retry);
      cr_access_web_respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "locked",
                                   "Too many wrong codes: locked for now; try again later");
      return;
    case CR_LOGIN_GUARD_WAIT:
    case CR_LOGIN_GUARD_BUSY:
      cr_access_web_set_retry_after (msg, retry);
      cr_access_web_respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "slow-down",
                                   "Too many attempts: wait before the next one");
      return;
    }
  if (!cr_access_service_login (cr_access_web_service_of (web), code, suffix, address, &grant,
                                &error))
    {
      gboolean denied = g_error_matches (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED);

      cr_login_guard_done (web->guard, key, address, FALSE);
      g_message ("Access login refused from %s: %s", cr_text_shown (address),
                 cr_text_shown (error->message));
      if (denied)
        cr_access_web_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "login-failed",
                                     "Wrong access code or identity number, or the "
                                     "access has ended");
      else
        cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                     "The login cannot be checked now; try again later");
      return;
    }
  cr_login_guard_done (web->guard, key, address, TRUE);

  login.grant_id = grant->id;
  login.case_no = grant->case_no;
  login.requester = grant->requester;
  login.role = grant->role;
  login.copy_mode = g_strcmp0 (grant->mode, "copy") == 0;
  login.expires_us = grant->expires_us;
  login.sessions = grant->sessions;
  id = cr_access_logins_open (web->logins, &login);
  if (id == NULL)
    {
      cr_access_web_set_retry_after (msg, 60);
      cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
                                   "Too many parties are logged in: try again later");
      return;
    }
  /* No Secure: the listener is plain HTTP; the court's proxy in front of
   * it serves TLS and adds it. No Max-Age: the browser forgets it when
   * it closes. */
  cookie = g_strdup_printf (COOKIE_NAME "=%s; Path=/access/; HttpOnly; SameSite=Strict", id);
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               cookie);
  explicit_bzero (cookie, strlen (cookie));
  explicit_bzero (id, strlen (id));
  g_message ("Access login: grant G%" G_GINT64_FORMAT " (case %s) from %s", grant->id,
             grant->case_no, cr_text_shown (address));

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  cr_access_web_add_grant_members (builder, &login, grant->state);
  json_builder_end_object (builder);
  cr_access_web_respond_json (msg, SOUP_STATUS_OK, builder);
}

static void
handle_logout (CrAccessWeb *web, SoupServerMessage *msg)
{
  g_autofree char *id = cookie_of (msg);
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  cr_access_logins_close (web->logins, id);
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               COOKIE_NAME "=; Path=/access/; HttpOnly; SameSite=Strict; "
                               "Max-Age=0");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "logged_out");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  cr_access_web_respond_json (msg, SOUP_STATUS_OK, builder);
}

/* --- what the login sees ------------------------------------------------- */

/* --- routing ------------------------------------------------------------- */

gboolean
cr_access_web_owns (const char *path)
{
  return path != NULL && (g_str_equal (path, "/access") || g_str_has_prefix (path, "/access/"));
}

static gssize
post_limit (const char *path)
{
  for (gsize i = 0; i < G_N_ELEMENTS (posts); i++)
    if (g_str_equal (path, posts[i].path))
      return (gssize) posts[i].max_body;
  return -1;
}

static void
refuse_text (CrHttpRefusal *refusal, guint status, const char *text)
{
  refusal->status = status;
  refusal->content_type = "text/plain; charset=utf-8";
  refusal->body = g_strdup (text);
}

gboolean
cr_access_web_admit (CrAccessWeb *web, SoupServerMessage *msg, const char *path,
                     CrHttpRefusal *refusal)
{
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  gssize limit = post_limit (path);
  const char *type;

  if (limit < 0)
    {
      /* The pages and files are read; nothing sent to them has a body. */
      if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0)
        {
          refuse_text (refusal, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed\n");
          refusal->header_name = "Allow";
          refusal->header_value = "GET, HEAD";
          return FALSE;
        }
      if (encoding != SOUP_ENCODING_NONE &&
          !(encoding == SOUP_ENCODING_CONTENT_LENGTH &&
            soup_message_headers_get_content_length (headers) == 0))
        {
          refuse_text (refusal, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                       "A request to these pages has no body\n");
          return FALSE;
        }
      return TRUE;
    }
  if (g_strcmp0 (method, SOUP_METHOD_POST) != 0)
    {
      cr_http_refusal_set_json (refusal, SOUP_STATUS_METHOD_NOT_ALLOWED, "method",
                                "Only POST is allowed here");
      refusal->header_name = "Allow";
      refusal->header_value = "POST";
      return FALSE;
    }
  if (encoding != SOUP_ENCODING_CONTENT_LENGTH)
    {
      cr_http_refusal_set_json (refusal, SOUP_STATUS_LENGTH_REQUIRED, "length-required",
                                "A Content-Length is required");
      return FALSE;
    }
  if (soup_message_headers_get_content_length (headers) > (goffset) limit)
    {
      cr_http_refusal_set_json (refusal, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large",
                                "The body is too large for this request");
      return FALSE;
    }
  /* JSON only: a form of another site can post text/plain or a form's
   * encoding without asking, never application/json. */
  type = soup_message_headers_get_content_type (headers, NULL);
  if (g_strcmp0 (type, "application/json") != 0)
    {
      cr_http_refusal_set_json (refusal, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "json-required",
                                "The body must be application/json");
      return FALSE;
    }
  return TRUE;
}

static void
handle_access (SoupServer *server, SoupServerMessage *msg, const char *path,
               GHashTable *query, gpointer data)
{
  CrAccessWeb *web = data;
  CrAccessLogin *login;

  if (g_str_equal (path, "/access"))
    redirect (msg, "/access/");
  else if (g_str_equal (path, "/access/"))
    serve_page (msg, "login");
  else if (g_str_equal (path, "/access/request"))
    serve_page (msg, "request");
  else if (g_str_has_prefix (path, "/access/assets/"))
    serve_asset (msg, path + strlen ("/access/assets/"));
  else if (g_str_equal (path, "/access/api/login"))
    handle_login (web, msg);
  else if (g_str_equal (path, "/access/api/logout"))
    handle_logout (web, msg);
  else if (g_str_equal (path, "/access/api/request"))
    cr_access_web_handle_request (web, msg);
  else if (g_str_has_prefix (path, "/access/s/"))
    cr_access_web_serve_session_file (web, msg, path + strlen ("/access/s/"));
  else if (g_str_equal (path, "/access/api/me") || g_str_equal (path, "/access/api/state") ||
           g_str_equal (path, "/access/api/playback"))
    {
      login = cr_access_web_require_login (web, msg);
      if (login == NULL)
        return;
      if (g_str_equal (path, "/access/api/me"))
        cr_access_web_handle_me (web, msg, login);
      else if (g_str_equal (path, "/access/api/state"))
        cr_access_web_handle_state (web, msg, login);
      else
        cr_access_web_handle_playback (web, msg, login);
    }
  else
    cr_access_web_not_found (msg);
}

CrAccessWeb *
cr_access_web_new (CrRecorder *recorder, CrHttpServer *http)
{
  CrAccessWeb *web;

  g_return_val_if_fail (recorder != NULL && http != NULL, NULL);

  web = g_new0 (CrAccessWeb, 1);
  web->recorder = recorder;
  web->http = http;
  web->logins = cr_access_logins_new (NULL);
  web->guard = cr_login_guard_new (NULL);
  web->requests_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  soup_server_add_handler (cr_http_server_get_soup (http), "/access", handle_access, web, NULL);
  return web;
}

void
cr_access_web_free (CrAccessWeb *web)
{
  if (web == NULL)
    return;
  cr_access_logins_free (web->logins);
  cr_login_guard_free (web->guard);
  g_hash_table_unref (web->requests_by_address);
  g_free (web);
}
