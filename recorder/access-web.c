/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-web.c: see access-web.h. The page and its scripts come from the
 * GResource compiled from web/, as the live page's do (live-web.c). The
 * grant is the access service's (access-service.h): this file only asks
 * it, on every request, what the login may still see. */
#include "recorder/access-web.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/access-service.h"
#include "accounts/login-guard.h"
#include "archive/report.h"
#include "archive/utc.h"
#include "config/text.h"
#include "recorder/access-download.h"
#include "recorder/access-logins.h"
#include "recorder/recorder-private.h"

#define RESOURCE_PREFIX "/org/courtrec/web/"
#define PAGE_MARKER "<meta name=\"courtrec-access-page\" content=\"login\">"
#define COOKIE_NAME "courtrec_access"
#define JSON_TYPE "application/json; charset=utf-8"
#define MPEGURL "application/vnd.apple.mpegurl"

/* A login is a code and 4 characters; the request form a few lines of
 * text. Anything larger is not ours. */
#define MAX_SMALL_BODY 1024
#define MAX_REQUEST_BODY 8192
/* HLS files of a copy: a playlist, segments of 2-4 s. */
#define MAX_HLS_BYTES (64 * 1024 * 1024)
/* Downloads at once, all logins together: each holds a descriptor and a
 * share of the uplink for a long time. */
#define MAX_DOWNLOADS 8
#define DOWNLOAD_SEND_BUFFER (32 * 1024)
/* Playback events one login may write into the chains: a page that starts
 * and ends a few dozen times is a person; thousands are a script. */
#define MAX_EVENTS_PER_LOGIN 200
/* Public requests per address within REQUEST_WINDOW. */
#define MAX_REQUESTS_PER_ADDRESS 5
#define REQUEST_WINDOW_US ((gint64) 60 * 60 * G_USEC_PER_SEC)
#define MAX_REQUEST_ADDRESSES 4096
/* The part of a code the guard counts failures by: enough to hold one
 * code's guessing back, too little to say much of it in the log. */
#define CODE_PREFIX_CHARS 4

GResource *cr_web_get_resource (void);

struct CrAccessWeb {
  CrRecorder *recorder;         /* borrowed */
  CrHttpServer *http;           /* borrowed */
  CrAccessLogins *logins;
  CrLoginGuard *guard;
  guint downloads;              /* running now */
  GHashTable *requests_by_address; /* address -> RequestCount */
};

typedef struct {
  gint64 window_start_us;
  guint count;
} RequestCount;

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

static void
respond (SoupServerMessage *msg, guint status, const char *content_type,
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

static void
respond_text (SoupServerMessage *msg, guint status, const char *text)
{
  g_autoptr (GBytes) body = g_bytes_new_static (text, strlen (text));
  respond (msg, status, "text/plain; charset=utf-8", NULL, body);
}

/* The one answer for whatever a login may not see or is not there: a
 * session of another case and a session that does not exist must not be
 * told apart. */
static void
not_found (SoupServerMessage *msg)
{
  respond_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
}

static void
respond_json (SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  gsize length = 0;
  char *text = json_to_string (root, FALSE);
  g_autoptr (GBytes) body = NULL;

  length = strlen (text);
  body = g_bytes_new_take (text, length);
  respond (msg, status, JSON_TYPE, NULL, body);
}

static void
respond_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  char *text = cr_http_error_json (code, message);
  g_autoptr (GBytes) body = g_bytes_new_take (text, strlen (text));

  respond (msg, status, JSON_TYPE, NULL, body);
}

static void
redirect (SoupServerMessage *msg, const char *location)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                location);
  respond_text (msg, SOUP_STATUS_MOVED_PERMANENTLY, "Moved\n");
}

/* The party's address, for the guard and the audit. Behind the court's
 * reverse proxy on the same machine every request comes from loopback:
 * then the proxy's X-Real-IP says who it is (nginx: proxy_set_header
 * X-Real-IP $remote_addr, which replaces any the client sent). From any
 * other peer the header is ignored: a client cannot name itself. */
static const char *
address_of (SoupServerMessage *msg)
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
      respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "The page is not built in\n");
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
  respond (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", "no-cache", body);
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
      respond (msg, SOUP_STATUS_OK, assets[i].content_type, "max-age=300", data);
      return;
    }
  not_found (msg);
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

static CrAccessService *
service_of (CrAccessWeb *web)
{
  return cr_recorder_get_access_service (web->recorder);
}

/* The caller's login, or NULL having answered 401 (or 503 when access is
 * not available in this room). */
static CrAccessLogin *
require_login (CrAccessWeb *web, SoupServerMessage *msg)
{
  g_autofree char *id = cookie_of (msg);
  CrAccessLogin *login;

  if (service_of (web) == NULL)
    {
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                     "Access to recordings is not available in this room");
      return NULL;
    }
  login = cr_access_logins_lookup (web->logins, id);
  if (login == NULL)
    respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "login-required",
                   "Log in with the access code first");
  return login;
}

/* The grant's state, read fresh: FALSE having answered 403 when it is
 * revoked or expired (or gone). */
static gboolean
require_live_grant (CrAccessWeb *web, SoupServerMessage *msg, const CrAccessLogin *login)
{
  CrAccessState state = cr_access_service_check (service_of (web), login->grant_id);

  if (state == CR_ACCESS_STATE_READY || state == CR_ACCESS_STATE_PENDING)
    return TRUE;
  respond_error (msg, SOUP_STATUS_FORBIDDEN, cr_access_state_to_string (state),
                 state == CR_ACCESS_STATE_EXPIRED ? "This access has expired"
                                                  : "This access has been revoked");
  return FALSE;
}

static JsonObject *
parse_body (SoupServerMessage *msg)
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
static const char *
string_member (JsonObject *object, const char *name, gsize max_bytes)
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

static void
set_retry_after (SoupServerMessage *msg, guint seconds)
{
  g_autofree char *value = g_strdup_printf ("%u", MAX (seconds, 1));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                value);
}

static void
add_grant_members (JsonBuilder *builder, const CrAccessLogin *login, CrAccessState state)
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
  g_autoptr (JsonObject) body = parse_body (msg);
  g_autoptr (CrAccessGrant) grant = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *key = NULL;
  g_autofree char *id = NULL;
  g_autofree char *cookie = NULL;
  const char *code, *suffix, *address = address_of (msg);
  CrAccessLogin login = { 0 };
  guint retry = 0;

  if (service_of (web) == NULL)
    {
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                     "Access to recordings is not available in this room");
      return;
    }
  code = body != NULL ? string_member (body, "code", 64) : NULL;
  suffix = body != NULL ? string_member (body, "id_last4", 16) : NULL;
  if (code == NULL || suffix == NULL || code[0] == '\0' || suffix[0] == '\0')
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
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
      set_retry_after (msg, retry);
      respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "locked",
                     "Too many wrong codes: locked for now; try again later");
      return;
    case CR_LOGIN_GUARD_WAIT:
    case CR_LOGIN_GUARD_BUSY:
      set_retry_after (msg, retry);
      respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "slow-down",
                     "Too many attempts: wait before the next one");
      return;
    }
  if (!cr_access_service_login (service_of (web), code, suffix, address, &grant, &error))
    {
      gboolean denied = g_error_matches (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED);

      cr_login_guard_done (web->guard, key, address, FALSE);
      g_message ("Access login refused from %s: %s", cr_text_shown (address),
                 cr_text_shown (error->message));
      if (denied)
        respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "login-failed",
                       "Wrong access code or identity number, or the access has ended");
      else
        respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
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
      set_retry_after (msg, 60);
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
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
  add_grant_members (builder, &login, grant->state);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
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
  respond_json (msg, SOUP_STATUS_OK, builder);
}

/* --- what the login sees ------------------------------------------------- */

static void
copy_member (JsonBuilder *builder, JsonObject *from, const char *name, const char *as)
{
  JsonNode *node = from != NULL ? json_object_get_member (from, name) : NULL;

  json_builder_set_member_name (builder, as != NULL ? as : name);
  if (node != NULL)
    json_builder_add_value (builder, json_node_copy (node));
  else
    json_builder_add_null_value (builder);
}

/* One granted session: the hearing report's facts and whether its copy
 * can be played. */
static void
add_session (CrAccessWeb *web, JsonBuilder *builder, const CrAccessLogin *login,
             gint64 session_id)
{
  g_autofree char *report = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *facts = NULL, *session = NULL, *room = NULL;
  JsonArray *pauses = NULL;

  report = cr_report_render (web->recorder->index, web->recorder->config, session_id,
                             CR_REPORT_JSON, NULL);
  if (report != NULL && json_parser_load_from_data (parser, report, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      facts = json_node_get_object (json_parser_get_root (parser));
      session = json_object_get_object_member (facts, "session");
      room = json_object_get_object_member (facts, "room");
      pauses = json_object_get_array_member (facts, "pauses");
    }
  dir = cr_access_service_copy_dir (service_of (web), login->grant_id, session_id);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, session_id);
  copy_member (builder, facts, "court", NULL);
  copy_member (builder, room, "name", "room");
  copy_member (builder, session, "case", NULL);
  copy_member (builder, session, "title", NULL);
  copy_member (builder, session, "started", NULL);
  copy_member (builder, session, "stopped", NULL);
  copy_member (builder, session, "recorded_seconds", NULL);
  copy_member (builder, session, "paused_seconds", NULL);
  json_builder_set_member_name (builder, "pauses");
  json_builder_begin_array (builder);
  for (guint i = 0; pauses != NULL && i < json_array_get_length (pauses); i++)
    {
      JsonObject *pause = json_array_get_object_element (pauses, i);
      json_builder_begin_object (builder);
      copy_member (builder, pause, "start", NULL);
      copy_member (builder, pause, "end", NULL);
      copy_member (builder, pause, "reason", NULL);
      copy_member (builder, pause, "seconds", NULL);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "copy");
  json_builder_add_string_value (builder, dir != NULL ? "ready" : "pending");
  json_builder_end_object (builder);
}

static void
handle_me (CrAccessWeb *web, SoupServerMessage *msg, CrAccessLogin *login)
{
  CrAccessState state = cr_access_service_check (service_of (web), login->grant_id);
  gboolean live = state == CR_ACCESS_STATE_READY || state == CR_ACCESS_STATE_PENDING;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_grant_members (builder, login, state);
  json_builder_set_member_name (builder, "sessions");
  json_builder_begin_array (builder);
  /* A grant that ended shows nothing of what it covered. */
  for (guint i = 0; live && i < login->sessions->len; i++)
    add_session (web, builder, login, g_array_index (login->sessions, gint64, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
}

static void
handle_state (CrAccessWeb *web, SoupServerMessage *msg, CrAccessLogin *login)
{
  CrAccessState state = cr_access_service_check (service_of (web), login->grant_id);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *expires = cr_format_utc (login->expires_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, cr_access_state_to_string (state));
  json_builder_set_member_name (builder, "expires");
  json_builder_add_string_value (builder, expires);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
}

static gboolean
login_covers (const CrAccessLogin *login, gint64 session_id)
{
  for (guint i = 0; i < login->sessions->len; i++)
    if (g_array_index (login->sessions, gint64, i) == session_id)
      return TRUE;
  return FALSE;
}

static void
handle_playback (CrAccessWeb *web, SoupServerMessage *msg, CrAccessLogin *login)
{
  g_autoptr (JsonObject) body = parse_body (msg);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonBuilder) detail = json_builder_new ();
  g_autoptr (JsonNode) detail_root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *detail_json = NULL;
  g_autofree char *dir = NULL;
  const char *event;
  JsonNode *session_node, *seconds_node;
  gint64 session_id;
  double seconds = 0;

  event = body != NULL ? string_member (body, "event", 8) : NULL;
  session_node = body != NULL ? json_object_get_member (body, "session") : NULL;
  seconds_node = body != NULL ? json_object_get_member (body, "seconds") : NULL;
  if (event == NULL || (!g_str_equal (event, "start") && !g_str_equal (event, "end")) ||
      session_node == NULL || !JSON_NODE_HOLDS_VALUE (session_node) ||
      json_node_get_value_type (session_node) != G_TYPE_INT64 ||
      (seconds_node != NULL && (!JSON_NODE_HOLDS_VALUE (seconds_node) ||
                                (json_node_get_value_type (seconds_node) != G_TYPE_INT64 &&
                                 json_node_get_value_type (seconds_node) != G_TYPE_DOUBLE))))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                     "Expected {\"session\": ID, \"event\": \"start\" or \"end\", "
                     "\"seconds\": N}");
      return;
    }
  session_id = json_node_get_int (session_node);
  if (seconds_node != NULL)
    seconds = json_node_get_double (seconds_node);
  if (!(seconds >= 0 && seconds < 1e7))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                     "seconds: expected the seconds played, 0 or more");
      return;
    }
  /* A start needs the grant as it is now; an end is still written once
   * the grant has ended under the player (revoked meanwhile): the audit
   * then says how long it was watched. */
  if (g_str_equal (event, "start"))
    {
      if (!require_live_grant (web, msg, login))
        return;
      if (login_covers (login, session_id))
        dir = cr_access_service_copy_dir (service_of (web), login->grant_id, session_id);
    }
  else if (login_covers (login, session_id))
    dir = g_strdup ("");
  if (dir == NULL)
    {
      not_found (msg);
      return;
    }
  if (login->events >= MAX_EVENTS_PER_LOGIN)
    {
      set_retry_after (msg, 3600);
      respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "too-many",
                     "Too many playback events from this login");
      return;
    }
  login->events++;

  json_builder_begin_object (detail);
  json_builder_set_member_name (detail, "address");
  json_builder_add_string_value (detail, address_of (msg));
  json_builder_set_member_name (detail, "session");
  json_builder_add_int_value (detail, session_id);
  if (g_str_equal (event, "end"))
    {
      json_builder_set_member_name (detail, "seconds");
      /* Whole seconds: a double would be written as 1.8999999999999999. */
      json_builder_add_int_value (detail, (gint64) (seconds + 0.5));
    }
  json_builder_end_object (detail);
  detail_root = json_builder_get_root (detail);
  detail_json = json_to_string (detail_root, FALSE);
  if (!cr_access_service_record (service_of (web), login->grant_id,
                                 g_str_equal (event, "start") ? CR_EVENT_PLAYBACK_START
                                                              : CR_EVENT_PLAYBACK_END,
                                 detail_json, &error))
    {
      g_warning ("Access: the playback event of grant G%" G_GINT64_FORMAT
                 " was not recorded: %s", login->grant_id, error->message);
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                     "The event could not be recorded");
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "recorded");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
}

/* --- the public request form --------------------------------------------- */

/* Whether @address may file one more request now. */
static gboolean
request_allowed (CrAccessWeb *web, const char *address)
{
  gint64 now = g_get_monotonic_time ();
  RequestCount *count = g_hash_table_lookup (web->requests_by_address, address);

  if (count != NULL && now - count->window_start_us >= REQUEST_WINDOW_US)
    {
      count->window_start_us = now;
      count->count = 0;
    }
  if (count == NULL)
    {
      /* Bounded: a flood from many addresses forgets the old windows. */
      if (g_hash_table_size (web->requests_by_address) >= MAX_REQUEST_ADDRESSES)
        g_hash_table_remove_all (web->requests_by_address);
      count = g_new0 (RequestCount, 1);
      count->window_start_us = now;
      g_hash_table_replace (web->requests_by_address, g_strdup (address), count);
    }
  if (count->count >= MAX_REQUESTS_PER_ADDRESS)
    return FALSE;
  count->count++;
  return TRUE;
}

static void
handle_request (CrAccessWeb *web, SoupServerMessage *msg)
{
  g_autoptr (JsonObject) body = parse_body (msg);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reference = NULL;
  CrAccessRequestFields fields = { 0 };
  const char *address = address_of (msg);
  gint64 id;

  if (service_of (web) == NULL)
    {
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                     "Access to recordings is not available in this room");
      return;
    }
  if (body == NULL)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid", "Expected a JSON object");
      return;
    }
  fields.requester = string_member (body, "name", 512);
  fields.role = string_member (body, "role", 32);
  fields.identity = string_member (body, "identity", 64);
  fields.case_no = string_member (body, "case", 256);
  fields.sessions = string_member (body, "sessions", 256);
  fields.purpose = string_member (body, "purpose", 4096);
  fields.contact = string_member (body, "contact", 512);
  if (fields.sessions != NULL && fields.sessions[0] == '\0')
    fields.sessions = NULL;
  if (fields.requester == NULL || fields.role == NULL || fields.identity == NULL ||
      fields.case_no == NULL)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                     "name, role, identity and case are required (text)");
      return;
    }
  if (!request_allowed (web, address))
    {
      set_retry_after (msg, 3600);
      respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "too-many",
                     "Too many requests from this address: try again later or ask the "
                     "court's clerk");
      return;
    }
  id = cr_access_service_submit_public (service_of (web), &fields, address, &error);
  if (id <= 0)
    {
      if (g_error_matches (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID))
        respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid", error->message);
      else
        respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                       "The request cannot be filed now; try again later");
      return;
    }
  reference = g_strdup_printf ("R%" G_GINT64_FORMAT, id);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reference");
  json_builder_add_string_value (builder, reference);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, "received");
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_ACCEPTED, builder);
}

/* --- the copies' files --------------------------------------------------- */

typedef struct {
  CrAccessWeb *web;
  gint64 grant_id;
  gint64 session_id;
  char *file;
  char *address;
} DownloadAudit;

static void
download_audit_free (gpointer data)
{
  DownloadAudit *audit = data;
  g_free (audit->file);
  g_free (audit->address);
  g_free (audit);
}

static void
download_done (guint64 bytes, gboolean complete, gpointer user_data)
{
  DownloadAudit *audit = user_data;
  CrAccessService *svc = service_of (audit->web);
  g_autoptr (JsonBuilder) detail = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;

  audit->web->downloads--;
  json_builder_begin_object (detail);
  json_builder_set_member_name (detail, "address");
  json_builder_add_string_value (detail, audit->address);
  json_builder_set_member_name (detail, "session");
  json_builder_add_int_value (detail, audit->session_id);
  json_builder_set_member_name (detail, "file");
  json_builder_add_string_value (detail, audit->file);
  json_builder_set_member_name (detail, "bytes");
  json_builder_add_int_value (detail, (gint64) bytes);
  json_builder_set_member_name (detail, "complete");
  json_builder_add_boolean_value (detail, complete);
  json_builder_end_object (detail);
  root = json_builder_get_root (detail);
  json = json_to_string (root, FALSE);
  g_message ("Access download: grant G%" G_GINT64_FORMAT " session %" G_GINT64_FORMAT
             " %s to %s, %" G_GUINT64_FORMAT " bytes%s", audit->grant_id, audit->session_id,
             audit->file, cr_text_shown (audit->address), bytes, complete ? "" : " (cut short)");
  if (svc != NULL && !cr_access_service_record (svc, audit->grant_id, CR_EVENT_DOWNLOAD, json,
                                                &error))
    g_warning ("Access: the download event of grant G%" G_GINT64_FORMAT
               " was not recorded: %s", audit->grant_id, error->message);
}

/* Lives as long as the request's message (its data): a connection that
 * went away before it could be taken still gives back its descriptor and
 * its place among the downloads. */
typedef struct {
  CrAccessWeb *web;
  int fd;
  const char *content_type;
  char *file_name;
  DownloadAudit *audit;
} PendingDownload;

static void
pending_download_free (gpointer data)
{
  PendingDownload *pending = data;

  if (pending->audit != NULL)
    {
      pending->web->downloads--;
      download_audit_free (pending->audit);
    }
  if (pending->fd >= 0)
    close (pending->fd);
  g_free (pending->file_name);
  g_free (pending);
}

static void
take_download (GIOStream *stream, GSocket *socket, gpointer user_data)
{
  PendingDownload *pending = user_data;
  DownloadAudit *audit = g_steal_pointer (&pending->audit);
  int fd = pending->fd;

  pending->fd = -1;
  /* A small send buffer: what the audit counts as sent is then what the
   * client took, within 64 kB, not what the kernel was handed. */
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, DOWNLOAD_SEND_BUFFER, NULL);
  cr_access_download_start (stream, fd, pending->content_type, pending->file_name,
                            download_done, audit, download_audit_free);
}

/* A plain name of a copy's file: never a path, never hidden. */
static gboolean
plain_name (const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strstr (name, "..") != NULL || strlen (name) > 128)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return FALSE;
  return TRUE;
}

static const char *
hls_type (const char *name)
{
  if (g_str_has_suffix (name, ".m3u8"))
    return MPEGURL;
  if (g_str_has_suffix (name, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (name, ".m4s") || g_str_has_suffix (name, ".mp4"))
    return "video/mp4";
  if (g_str_has_suffix (name, ".aac"))
    return "audio/aac";
  return NULL;
}

static const char *
download_type (const char *name)
{
  if (g_str_equal (name, "copy.mp4"))
    return "video/mp4";
  if (g_str_equal (name, "copy.mp4.manifest.json"))
    return "application/json";
  if (g_str_equal (name, "copy.mp4.manifest.sig"))
    return "application/octet-stream";
  return NULL;
}

/* @path under @dir opened for reading if it is a regular file, else -1.
 * O_NOFOLLOW: a link must not lead out of the copy; O_NONBLOCK: a FIFO
 * must not hang the main loop. */
static int
open_regular (const char *path, struct stat *st)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return -1;
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
    {
      close (fd);
      return -1;
    }
  return fd;
}

static void
serve_small_file (SoupServerMessage *msg, const char *path, const char *content_type,
                  const char *cache_control)
{
  g_autofree char *data = NULL;
  struct stat st;
  gsize length;
  GBytes *body;
  int fd = open_regular (path, &st);

  if (fd < 0 || st.st_size > MAX_HLS_BYTES)
    {
      if (fd >= 0)
        close (fd);
      not_found (msg);
      return;
    }
  close (fd);
  /* The copy is written once and renamed into place whole: a read
   * never meets it half-written. */
  if (!g_file_get_contents (path, &data, &length, NULL))
    {
      not_found (msg);
      return;
    }
  body = g_bytes_new_take (g_steal_pointer (&data), length);
  respond (msg, SOUP_STATUS_OK, content_type, cache_control, body);
  g_bytes_unref (body);
}

static void
serve_download (CrAccessWeb *web, SoupServerMessage *msg, const CrAccessLogin *login,
                gint64 session_id, const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char *content_type = download_type (name);
  g_autofree char *file_name = NULL;
  PendingDownload *pending;
  DownloadAudit *audit;
  struct stat st;
  int fd;

  /* Mode review never downloads: to it the files are not there. */
  if (!login->copy_mode || content_type == NULL)
    {
      not_found (msg);
      return;
    }
  fd = open_regular (path, &st);
  if (fd < 0)
    {
      not_found (msg);
      return;
    }
  /* Named for what it is: the case's grant and session, not "copy". */
  file_name = g_strdup_printf ("G%" G_GINT64_FORMAT "-S%" G_GINT64_FORMAT "-%s",
                               login->grant_id, session_id, name);
  if (g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_HEAD))
    {
      g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s\"", file_name);
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
      close (fd);
      soup_message_headers_replace (headers, "Content-Disposition", disposition);
      respond (msg, SOUP_STATUS_OK, content_type, NULL, NULL);
      soup_message_headers_set_content_type (headers, content_type, NULL);
      soup_message_headers_set_content_length (headers, st.st_size);
      return;
    }
  if (web->downloads >= MAX_DOWNLOADS)
    {
      close (fd);
      set_retry_after (msg, 30);
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
                     "Too many downloads at once: try again in a moment");
      return;
    }
  web->downloads++;
  audit = g_new0 (DownloadAudit, 1);
  audit->web = web;
  audit->grant_id = login->grant_id;
  audit->session_id = session_id;
  audit->file = g_strdup (name);
  audit->address = g_strdup (address_of (msg));
  pending = g_new0 (PendingDownload, 1);
  pending->web = web;
  pending->fd = fd;
  pending->content_type = content_type;
  pending->file_name = g_steal_pointer (&file_name);
  pending->audit = audit;
  g_object_set_data_full (G_OBJECT (msg), "courtrec-access-download", pending,
                          pending_download_free);
  cr_http_server_take_connection (web->http, msg, take_download, pending);
}

/* /access/s/SESSION/...: @rest is what follows "/access/s/". */
static void
serve_session_file (CrAccessWeb *web, SoupServerMessage *msg, const char *rest)
{
  g_auto (GStrv) parts = g_strsplit (rest, "/", 0);
  guint n = g_strv_length (parts);
  CrAccessLogin *login;
  g_autofree char *dir = NULL;
  gint64 session_id = 0;
  guint64 value;

  login = require_login (web, msg);
  if (login == NULL)
    return;
  if (!require_live_grant (web, msg, login))
    return;
  if (n < 2 || n > 3 || parts[0][0] == '\0' || strlen (parts[0]) > 18 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXINT64, &value, NULL))
    {
      not_found (msg);
      return;
    }
  session_id = (gint64) value;
  if (login_covers (login, session_id))
    dir = cr_access_service_copy_dir (service_of (web), login->grant_id, session_id);
  if (dir == NULL)
    {
      not_found (msg);
      return;
    }
  if (n == 3 && g_str_equal (parts[1], "hls") && plain_name (parts[2]) &&
      hls_type (parts[2]) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, "hls", parts[2], NULL);
      /* A login that ends must not leave a copy in a shared cache. */
      serve_small_file (msg, path, hls_type (parts[2]), "private, no-store");
    }
  else if (n == 2 && g_str_equal (parts[1], "chapters.json"))
    {
      g_autofree char *path = g_build_filename (dir, "chapters.json", NULL);
      serve_small_file (msg, path, JSON_TYPE, "private, no-store");
    }
  else if (n == 2 && plain_name (parts[1]))
    serve_download (web, msg, login, session_id, dir, parts[1]);
  else
    not_found (msg);
}

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
    handle_request (web, msg);
  else if (g_str_has_prefix (path, "/access/s/"))
    serve_session_file (web, msg, path + strlen ("/access/s/"));
  else if (g_str_equal (path, "/access/api/me") || g_str_equal (path, "/access/api/state") ||
           g_str_equal (path, "/access/api/playback"))
    {
      login = require_login (web, msg);
      if (login == NULL)
        return;
      if (g_str_equal (path, "/access/api/me"))
        handle_me (web, msg, login);
      else if (g_str_equal (path, "/access/api/state"))
        handle_state (web, msg, login);
      else
        handle_playback (web, msg, login);
    }
  else
    not_found (msg);
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
