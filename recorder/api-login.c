/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-login.c: see api-login.h. */
#include "recorder/api-login.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "accounts/password-check.h"
#include "accounts/password.h"
#include "config/text.h"
#include "recorder/http-server.h"

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* Two checks at once on two cores leave the recording one, and with six
 * waiting, 8 x 64 MB at most; the rest are refused at once. */
#define CHECK_THREADS 2
#define CHECK_QUEUE 6

struct CrApiLogin {
  CrApiServer *server;           /* borrowed */
  CrApiAuth *auth;               /* borrowed, the server's */
  CrLoginGuard *guard;
  CrPasswordChecker *checker;
  GHashTable *waiting;           /* Attempt, set: the logins being checked */
};

typedef struct {
  CrApiLogin *login;
  SoupServerMessage *msg;        /* a ref */
  gulong disconnected_id;
  gboolean gone;                 /* the connection closed meanwhile */
  char *user;
  char *client;
  gboolean known;                /* an enabled account of that name exists */
} Attempt;

static void
set_json (SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  gsize length = 0;
  char *text;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE, text, length);
}

static void
set_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  char *text = cr_http_error_json (code, message);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE, text,
                                    strlen (text));
}

static void
set_retry_after (SoupServerMessage *msg, guint seconds)
{
  g_autofree char *value = g_strdup_printf ("%u", seconds);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                value);
}

static void
set_cookie (CrApiLogin *login, SoupServerMessage *msg, const char *key)
{
  /* No Secure: the control listener is plain HTTP on loopback; a proxy
   * that serves it over TLS adds it. HttpOnly keeps it from scripts,
   * SameSite=Strict from other sites' requests. */
  g_autofree char *value =
    key != NULL ? g_strdup_printf ("%s=%s; Path=/; HttpOnly; SameSite=Strict",
                                   cr_api_auth_get_cookie_name (login->auth), key)
                : g_strdup_printf ("%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
                                   cr_api_auth_get_cookie_name (login->auth));
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               value);
  /* A login's answer is nobody else's. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
}

static void
attempt_free (Attempt *attempt)
{
  if (attempt->disconnected_id != 0)
    g_signal_handler_disconnect (attempt->msg, attempt->disconnected_id);
  g_object_unref (attempt->msg);
  g_free (attempt->user);
  g_free (attempt->client);
  g_free (attempt);
}

static void
on_disconnected (SoupServerMessage *msg, gpointer user_data)
{
  Attempt *attempt = user_data;
  attempt->gone = TRUE;
}

static void
answer_login (CrApiLogin *login, Attempt *attempt, gboolean matched)
{
  SoupServerMessage *msg = attempt->msg;
  g_autoptr (CrUser) user = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *key = NULL;
  g_autofree char *csrf = NULL;

  /* The account is read again: it may have been disabled meanwhile. */
  if (matched && attempt->known)
    user = cr_users_get (cr_api_auth_get_users (login->auth), attempt->user, NULL, NULL);
  if (user == NULL || user->disabled || user->role == CR_ROLE_ANYONE)
    {
      cr_login_guard_done (login->guard, attempt->user, attempt->client, FALSE);
      set_error (msg, SOUP_STATUS_UNAUTHORIZED, "login-failed",
                 "Wrong user name or password, or the account is disabled");
      return;
    }
  cr_login_guard_done (login->guard, attempt->user, attempt->client, TRUE);
  key = cr_logins_open (cr_api_auth_get_logins (login->auth), user->name, &csrf);
  set_cookie (login, msg, key);
  explicit_bzero (key, strlen (key));
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, user->name);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, cr_role_name (user->role));
  json_builder_set_member_name (builder, "csrf");
  json_builder_add_string_value (builder, csrf);
  json_builder_end_object (builder);
  set_json (msg, SOUP_STATUS_OK, builder);
  explicit_bzero (csrf, strlen (csrf));
  g_message ("Login: user \"%s\" (%s) from %s", cr_text_shown (user->name),
             cr_role_name (user->role), cr_text_shown (attempt->client));
}

static void
checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Attempt *attempt = user_data;
  CrApiLogin *login = attempt->login;
  gboolean matched = cr_password_checker_finish (result);

  g_hash_table_steal (login->waiting, attempt);
  answer_login (login, attempt, matched);
  /* A client that went away gets no answer, but its attempt counted. */
  if (!attempt->gone)
    soup_server_message_unpause (attempt->msg);
  attempt_free (attempt);
}

static void
handle_login (CrApiLogin *login, SoupServerMessage *msg, const CrApiRoute *route)
{
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (GHashTable) fields = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrUser) user = NULL;
  g_autofree char *hash = NULL;
  const char *name, *password, *client;
  guint retry = 0;
  Attempt *attempt;

  fields = cr_api_request_parse (route, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                 &error);
  if (fields == NULL)
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid", error->message);
      return;
    }
  name = g_hash_table_lookup (fields, "user");
  password = g_hash_table_lookup (fields, "password");
  client = soup_server_message_get_remote_host (msg);
  if (client == NULL)
    client = "unknown";
  switch (cr_login_guard_admit (login->guard, name, client, &retry))
    {
    case CR_LOGIN_GUARD_GO:
      break;
    case CR_LOGIN_GUARD_LOCKED:
      set_retry_after (msg, retry);
      set_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "locked",
                 "Too many failed logins: locked for now; try again later");
      return;
    case CR_LOGIN_GUARD_WAIT:
    case CR_LOGIN_GUARD_BUSY:
      set_retry_after (msg, retry);
      set_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "slow-down",
                 "Too many logins: wait before the next one");
      return;
    }
  user = cr_users_get (cr_api_auth_get_users (login->auth), name, &hash, NULL);
  attempt = g_new0 (Attempt, 1);
  attempt->login = login;
  attempt->msg = g_object_ref (msg);
  attempt->user = g_strdup (name);
  attempt->client = g_strdup (client);
  attempt->known = user != NULL && !user->disabled;
  /* An unknown or disabled account is checked against a decoy all the
   * same: its answer takes as long as a wrong password's. */
  if (!cr_password_checker_check (login->checker, attempt->known ? hash : NULL, password,
                                  checked, attempt))
    {
      cr_login_guard_release (login->guard, name, client);
      attempt_free (attempt);
      set_retry_after (msg, 1);
      set_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
                 "Too many logins are being checked: try again in a moment");
      return;
    }
  if (hash != NULL)
    explicit_bzero (hash, strlen (hash));
  attempt->disconnected_id = g_signal_connect (msg, "disconnected",
                                               G_CALLBACK (on_disconnected), attempt);
  g_hash_table_add (login->waiting, attempt);
  soup_server_message_pause (msg);
}

static void
handle_logout (CrApiLogin *login, SoupServerMessage *msg, const CrPrincipal *principal)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  if (principal->via == CR_PRINCIPAL_LOGIN && principal->login != NULL)
    {
      cr_logins_close (cr_api_auth_get_logins (login->auth), principal->login);
      g_message ("Logout: user \"%s\"", cr_text_shown (principal->user));
    }
  set_cookie (login, msg, NULL);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "logged_out");
  json_builder_add_boolean_value (builder, principal->via == CR_PRINCIPAL_LOGIN);
  json_builder_end_object (builder);
  set_json (msg, SOUP_STATUS_OK, builder);
}

static void
handle_whoami (CrApiLogin *login, SoupServerMessage *msg, const CrPrincipal *principal)
{
  static const char *const vias[] = {
    [CR_PRINCIPAL_ROOM_TOKEN] = "room-token",
    [CR_PRINCIPAL_USER_TOKEN] = "token",
    [CR_PRINCIPAL_LOGIN] = "login",
  };
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *csrf = NULL;

  if (principal->via == CR_PRINCIPAL_LOGIN)
    cr_logins_lookup (cr_api_auth_get_logins (login->auth), principal->login, &csrf, NULL);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, principal->user);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, cr_role_name (principal->role));
  json_builder_set_member_name (builder, "via");
  json_builder_add_string_value (builder, vias[principal->via]);
  json_builder_set_member_name (builder, "csrf");
  if (csrf != NULL)
    json_builder_add_string_value (builder, csrf);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  set_json (msg, SOUP_STATUS_OK, builder);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
}

static void
handle (SoupServerMessage *msg, const CrApiRoute *route, const CrPrincipal *principal,
        gpointer user_data)
{
  CrApiLogin *login = user_data;

  switch (route->action)
    {
    case CR_API_LOGIN:
      handle_login (login, msg, route);
      return;
    case CR_API_LOGOUT:
      handle_logout (login, msg, principal);
      return;
    case CR_API_WHOAMI:
      handle_whoami (login, msg, principal);
      return;
    default:
      g_return_if_reached ();
    }
}

CrApiLogin *
cr_api_login_new (CrApiServer *server, gint64 (*clock_us) (void))
{
  CrApiLogin *login;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (cr_api_auth_get_users (cr_api_server_get_auth (server)) != NULL, NULL);

  login = g_new0 (CrApiLogin, 1);
  login->server = server;
  login->auth = cr_api_server_get_auth (server);
  login->guard = cr_login_guard_new (clock_us);
  login->checker = cr_password_checker_new (CHECK_THREADS, CHECK_QUEUE);
  login->waiting = g_hash_table_new (NULL, NULL);
  cr_api_server_set_handler (server, CR_API_LOGIN, handle, login);
  cr_api_server_set_handler (server, CR_API_LOGOUT, handle, login);
  cr_api_server_set_handler (server, CR_API_WHOAMI, handle, login);
  return login;
}

void
cr_api_login_free (CrApiLogin *login)
{
  GHashTableIter iter;
  gpointer attempt;

  if (login == NULL)
    return;
  /* Once the checker is gone no check calls back: the attempts waiting
   * are dropped here, unanswered (the server closes their connections). */
  cr_password_checker_free (login->checker);
  g_hash_table_iter_init (&iter, login->waiting);
  while (g_hash_table_iter_next (&iter, &attempt, NULL))
    attempt_free (attempt);
  g_hash_table_unref (login->waiting);
  cr_login_guard_free (login->guard);
  g_free (login);
}
