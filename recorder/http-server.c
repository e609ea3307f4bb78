/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* http-server.c: see http-server.h.
 *
 * Connections are accepted here, not by soup_server_listen(), so that each
 * one is counted, bounded and given deadlines before libsoup sees it
 * (soup_server_accept_iostream). A message finds its connection through
 * the remote address object handed to libsoup, which libsoup keeps for
 * the connection's life; the connection's bookkeeping ends when libsoup
 * drops the stream (its data's destroy notify). */
#include "recorder/http-server.h"

#include <errno.h>
#include <netinet/in.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/resource.h>

#include "config/text.h"

#define CONNECTION_KEY "cr-http-connection"

/* A refused client's remaining bytes are read and dropped for this long
 * (or this much) after the answer, so that closing with unread data does
 * not reset the connection before the client has read why (RFC 9112,
 * 9.6): a client that sends its whole body before it reads (libsoup, most
 * scripts) gets the answer for a body up to the limit. At most MAX_LINGERING at once; beyond that, closed at once. */
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1024 * 1024)
#define MAX_LINGERING 64

/* accept() out of descriptors: try again this much later rather than spin
 * on a listening socket that stays readable. */
#define ACCEPT_RETRY_MS 250

/* Clients remembered for their rate (one per address, IPv6 per /64): the
 * table is swept of idle ones beyond SWEEP_ABOVE, and refuses new clients
 * beyond MAX_CLIENTS rather than grow without bound. */
#define SWEEP_ABOVE 1024
#define MAX_CLIENTS 65536

/* A log line about refusals at most this often per server. */
#define REFUSAL_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

typedef struct {
  char *key;               /* the address, or an IPv6 /64 */
  guint connections;       /* open now */
  double tokens;           /* requests it may make now */
  gint64 refilled_us;      /* when @tokens was last brought up to date */
} Client;

typedef struct {
  CrHttpServer *server;    /* NULL once the server is gone */
  Client *client;          /* owned by server->clients; NULL with server */
  GSocket *socket;
  GSocketAddress *remote;  /* carries CONNECTION_KEY for the messages */
  guint deadline_id;
} Connection;

typedef struct {
  CrHttpServer *server;
  GSocket *socket;
  GIOStream *stream;       /* what held the socket (stolen from libsoup), or NULL */
  GSource *source;
  guint deadline_id;
  gsize drained;
} Linger;

typedef struct {
  CrHttpServer *server;
  GSocket *socket;
  GSource *source;
} Listener;

struct CrHttpServer {
  CrHttpLimits limits;
  CrHttpAdmitFunc admit;
  gpointer admit_data;
  SoupServer *soup;
  GPtrArray *listeners;      /* Listener* */
  guint accept_retry_id;     /* while accept() is out of descriptors */
  GHashTable *clients;       /* key -> Client* (owned) */
  gint64 swept_us;
  GHashTable *connections;   /* Connection* set (not owned: libsoup's streams own them) */
  GHashTable *lingering;     /* Linger* set (owned) */
  guint64 refused;
  guint64 refused_logged;
  gint64 refusal_logged_us;
  gboolean accept_failure_logged;
};

/* --- clients -------------------------------------------------------------- */

/* One client per IPv4 address (an IPv4-mapped IPv6 address is its IPv4
 * one) and per IPv6 /64: one home or office gets a /64, and a client must
 * not get a fresh rate for each of its addresses. (transfer full) */
static char *
client_key (GSocketAddress *address)
{
  GInetAddress *inet;
  const guint8 *bytes;
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("?");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  if (g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (inet);
  bytes = g_inet_address_to_bytes (inet);
  if (memcmp (bytes, v4_mapped, sizeof v4_mapped) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
  return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", bytes[0], bytes[1],
                          bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
}

static void
client_free (gpointer data)
{
  Client *client = data;
  g_free (client->key);
  g_free (client);
}

static double
bucket_size (const CrHttpServer *self)
{
  return 2.0 * self->limits.requests_per_second;
}

static void
refill (const CrHttpServer *self, Client *client, gint64 now_us)
{
  double rate = self->limits.requests_per_second;

  client->tokens = MIN (bucket_size (self),
                        client->tokens + (now_us - client->refilled_us) * rate / G_USEC_PER_SEC);
  client->refilled_us = now_us;
}

/* Forgets clients with no connection and a full bucket: they would be
 * made again exactly as they are. */
static void
sweep_clients (CrHttpServer *self, gint64 now_us)
{
  GHashTableIter iter;
  Client *client;

  self->swept_us = now_us;
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &client))
    {
      if (client->connections > 0)
        continue;
      refill (self, client, now_us);
      if (self->limits.requests_per_second == 0 || client->tokens >= bucket_size (self))
        g_hash_table_iter_remove (&iter);
    }
}

/* The client @address belongs to, made if new; NULL when the table is full
 * of clients that are all still active. (transfer none) */
static Client *
find_client (CrHttpServer *self, GSocketAddress *address)
{
  g_autofree char *key = client_key (address);
  Client *client = g_hash_table_lookup (self->clients, key);
  gint64 now_us;

  if (client != NULL)
    return client;
  now_us = g_get_monotonic_time ();
  if (g_hash_table_size (self->clients) >= SWEEP_ABOVE && now_us - self->swept_us > G_USEC_PER_SEC)
    sweep_clients (self, now_us);
  if (g_hash_table_size (self->clients) >= MAX_CLIENTS)
    return NULL;
  client = g_new0 (Client, 1);
  client->key = g_steal_pointer (&key);
  client->tokens = bucket_size (self);
  client->refilled_us = now_us;
  g_hash_table_insert (self->clients, client->key, client);
  return client;
}

/* Takes one request from @client's bucket; FALSE when it is empty. */
static gboolean
take_token (CrHttpServer *self, Client *client)
{
  if (self->limits.requests_per_second == 0)
    return TRUE;
  refill (self, client, g_get_monotonic_time ());
  if (client->tokens < 1.0)
    return FALSE;
  client->tokens -= 1.0;
  return TRUE;
}

/* --- refusals ----------------------------------------------------------------- */

/* libsoup 3.2 knows no phrase for 429 (RFC 6585). */
static const char *
status_phrase (guint status)
{
  return status == CR_HTTP_STATUS_TOO_MANY_REQUESTS ? "Too Many Requests"
                                                    : soup_status_get_phrase (status);
}

char *
cr_http_error_json (const char *code, const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

void
cr_http_refusal_set_json (CrHttpRefusal *refusal, guint status, const char *code,
                          const char *message)
{
  refusal->status = status;
  refusal->content_type = "application/json; charset=utf-8";
  g_free (refusal->body);
  refusal->body = cr_http_error_json (code, message);
}

static void
refusal_set_text (CrHttpRefusal *refusal, guint status, const char *text)
{
  refusal->status = status;
  refusal->content_type = "text/plain; charset=utf-8";
  g_free (refusal->body);
  refusal->body = g_strdup (text);
}

static void
note_refusal (CrHttpServer *self, const char *client, guint status)
{
  gint64 now_us = g_get_monotonic_time ();

  self->refused++;
  /* A flood must not become a flood of log lines. */
  if (now_us - self->refusal_logged_us < REFUSAL_LOG_INTERVAL_US)
    return;
  g_message ("HTTP %s: refused %" G_GUINT64_FORMAT " request(s) since the last report, "
             "the latest %u from %s", self->limits.name, self->refused - self->refused_logged,
             status, cr_text_shown (client));
  self->refused_logged = self->refused;
  self->refusal_logged_us = now_us;
}

static void
linger_finish (Linger *linger)
{
  CrHttpServer *self = linger->server;

  if (linger->source != NULL)
    {
      g_source_destroy (linger->source);
      g_source_unref (linger->source);
    }
  if (linger->deadline_id != 0)
    g_source_remove (linger->deadline_id);
  g_socket_close (linger->socket, NULL);
  g_object_unref (linger->socket);
  g_clear_object (&linger->stream);
  g_hash_table_remove (self->lingering, linger);
  g_free (linger);
}

static gboolean
linger_deadline (gpointer data)
{
  Linger *linger = data;
  linger->deadline_id = 0;
  linger_finish (linger);
  return G_SOURCE_REMOVE;
}

static gboolean
linger_drain (GSocket *socket, GIOCondition condition, gpointer data)
{
  Linger *linger = data;
  char buffer[16384];

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive_with_blocking (socket, buffer, sizeof buffer, FALSE, NULL,
                                                 &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (n <= 0 || (linger->drained += n) >= LINGER_MAX_BYTES)
        break;
    }
  /* linger_finish destroys this source: drop it first, it is returning. */
  g_clear_pointer (&linger->source, g_source_unref);
  linger_finish (linger);
  return G_SOURCE_REMOVE;
}

/* Answers on @socket with @refusal, half-closes it, and drains what the
 * client still sends for a moment before closing it. Takes @socket and
 * @stream (which may be NULL); frees @refusal's body. */
static void
refuse_on_socket (CrHttpServer *self, GSocket *socket, GIOStream *stream,
                  CrHttpRefusal *refusal)
{
  g_autofree char *extra = NULL;
  g_autofree char *response = NULL;
  const char *body = refusal->body != NULL ? refusal->body : "";
  Linger *linger;

  if (refusal->header_name != NULL)
    extra = g_strdup_printf ("%s: %s\r\n", refusal->header_name, refusal->header_value);
  response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                              "Content-Type: %s\r\n"
                              "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                              "Cache-Control: no-store\r\n"
                              "Connection: close\r\n"
                              "%s\r\n%s",
                              refusal->status, status_phrase (refusal->status),
                              refusal->content_type != NULL ? refusal->content_type : "text/plain",
                              strlen (body), extra != NULL ? extra : "", body);
  g_clear_pointer (&refusal->body, g_free);
  /* A fresh connection's send buffer takes a short answer whole; if it
   * does not, the client is not reading and loses nothing it would read. */
  g_socket_send_with_blocking (socket, response, strlen (response), FALSE, NULL, NULL);
  g_socket_shutdown (socket, FALSE, TRUE, NULL);

  linger = g_new0 (Linger, 1);
  linger->server = self;
  linger->socket = socket;
  linger->stream = stream;
  g_hash_table_add (self->lingering, linger);
  if (g_hash_table_size (self->lingering) > MAX_LINGERING)
    {
      linger_finish (linger);
      return;
    }
  linger->source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (linger->source, G_SOURCE_FUNC (linger_drain), linger, NULL);
  g_source_attach (linger->source, NULL);
  linger->deadline_id = g_timeout_add (LINGER_MS, linger_deadline, linger);
}

/* --- connections ------------------------------------------------------------ */

static void
connection_detach (Connection *conn)
{
  if (conn->deadline_id != 0)
    g_source_remove (conn->deadline_id);
  conn->deadline_id = 0;
  conn->server = NULL;
  conn->client = NULL;
}

/* The stream libsoup had is gone: the connection is closed. */
static void
connection_gone (gpointer data)
{
  Connection *conn = data;
  CrHttpServer *self = conn->server;

  if (self != NULL)
    {
      g_hash_table_remove (self->connections, conn);
      conn->client->connections--;
    }
  connection_detach (conn);
  g_object_set_data (G_OBJECT (conn->remote), CONNECTION_KEY, NULL);
  g_object_unref (conn->remote);
  g_object_unref (conn->socket);
  g_free (conn);
}

/* A client too slow with its headers, or an exchange that takes too long:
 * shutting the socket down makes libsoup's pending read or write fail, and
 * libsoup closes the connection as it would for a client that went away. */
static gboolean
deadline_passed (gpointer data)
{
  Connection *conn = data;

  conn->deadline_id = 0;
  g_debug ("HTTP %s: a connection from %s passed its deadline", conn->server->limits.name,
           conn->client->key);
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static Connection *
connection_of (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  Connection *conn = remote != NULL ? g_object_get_data (G_OBJECT (remote), CONNECTION_KEY)
                                    : NULL;
  return conn != NULL && conn->server != NULL ? conn : NULL;
}

typedef struct {
  SoupServerMessage *msg;  /* its connection is found again through it */
  CrHttpRefusal refusal;
} PendingRefusal;

/* Out of libsoup's reading, which the message was paused in: take the
 * connection from libsoup and answer on it ourselves, so that the body is
 * never read. */
static gboolean
refuse_paused (gpointer data)
{
  PendingRefusal *pending = data;
  Connection *conn = connection_of (pending->msg);

  if (conn != NULL)
    {
      CrHttpServer *self = conn->server;
      GIOStream *stream = soup_server_message_steal_connection (pending->msg);

      if (stream != NULL)
        refuse_on_socket (self, g_object_ref (conn->socket), stream, &pending->refusal);
    }
  g_free (pending->refusal.body);
  g_object_unref (pending->msg);
  g_free (pending);
  return G_SOURCE_REMOVE;
}

static void
got_headers (SoupServerMessage *msg, gpointer user_data)
{
  Connection *conn = connection_of (msg);
  CrHttpServer *self;
  CrHttpRefusal refusal = { 0 };
  PendingRefusal *pending;

  if (conn == NULL)
    return;
  self = conn->server;
  if (conn->deadline_id != 0)
    g_source_remove (conn->deadline_id);
  conn->deadline_id = g_timeout_add (self->limits.exchange_timeout_ms, deadline_passed, conn);

  /* libsoup answers what it could not parse itself (a bad URI: 400). */
  if (soup_server_message_get_status (msg) != 0)
    return;
  if (!take_token (self, conn->client))
    {
      refusal_set_text (&refusal, CR_HTTP_STATUS_TOO_MANY_REQUESTS,
                        "Too many requests: slow down\n");
      refusal.header_name = "Retry-After";
      refusal.header_value = "1";
    }
  else if (self->admit == NULL ||
           self->admit (msg, g_uri_get_path (soup_server_message_get_uri (msg)), &refusal,
                        self->admit_data))
    return;

  note_refusal (self, conn->client->key, refusal.status);
  pending = g_new0 (PendingRefusal, 1);
  pending->msg = g_object_ref (msg);
  pending->refusal = refusal;
  soup_server_message_pause (msg);
  /* At the connections' own priority: an idle one would starve under the
   * very flood it answers, and the client would wait for its 429. */
  g_idle_add_full (G_PRIORITY_DEFAULT, refuse_paused, pending, NULL);
}

typedef struct {
  SoupServerMessage *msg;
  CrHttpTakeFunc func;
  gpointer user_data;
} PendingTake;

/* Out of the handler, as for a refusal (refuse_paused). */
static gboolean
take_paused (gpointer data)
{
  PendingTake *pending = data;
  Connection *conn = connection_of (pending->msg);

  if (conn != NULL)
    {
      GIOStream *stream = soup_server_message_steal_connection (pending->msg);

      if (stream != NULL)
        {
          if (conn->deadline_id != 0)
            g_source_remove (conn->deadline_id);
          conn->deadline_id = 0;
          pending->func (stream, conn->socket, pending->user_data);
        }
    }
  g_object_unref (pending->msg);
  g_free (pending);
  return G_SOURCE_REMOVE;
}

void
cr_http_server_take_connection (CrHttpServer *server, SoupServerMessage *msg,
                                CrHttpTakeFunc func, gpointer user_data)
{
  PendingTake *pending;

  g_return_if_fail (server != NULL && msg != NULL && func != NULL);

  pending = g_new0 (PendingTake, 1);
  pending->msg = g_object_ref (msg);
  pending->func = func;
  pending->user_data = user_data;
  soup_server_message_pause (msg);
  g_idle_add_full (G_PRIORITY_DEFAULT, take_paused, pending, NULL);
}

static void
request_started (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers), NULL);
}

/* Admits a socket accept() gave, or answers and closes it when a cap is
 * reached. Takes @socket. */
static void
admit_connection (CrHttpServer *self, GSocket *socket)
{
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr (GSocketConnection) stream = NULL;
  CrHttpRefusal refusal = { 0 };
  Client *client = remote != NULL ? find_client (self, remote) : NULL;
  Connection *conn;

  if (remote == NULL || local == NULL)
    {
      g_socket_close (socket, NULL);
      g_object_unref (socket);
      return;
    }
  if (client == NULL || g_hash_table_size (self->connections) >= self->limits.max_connections)
    {
      refusal_set_text (&refusal, SOUP_STATUS_SERVICE_UNAVAILABLE,
                        "Too many connections: try again shortly\n");
      refusal.header_name = "Retry-After";
      refusal.header_value = "2";
    }
  else if (self->limits.max_connections_per_client > 0 &&
           client->connections >= self->limits.max_connections_per_client)
    {
      refusal_set_text (&refusal, CR_HTTP_STATUS_TOO_MANY_REQUESTS,
                        "Too many connections from this client\n");
      refusal.header_name = "Retry-After";
      refusal.header_value = "1";
    }
  if (refusal.status != 0)
    {
      g_autofree char *key = client_key (remote);
      note_refusal (self, key, refusal.status);
      refuse_on_socket (self, socket, NULL, &refusal);
      return;
    }

  conn = g_new0 (Connection, 1);
  conn->server = self;
  conn->client = client;
  conn->socket = socket;
  conn->remote = g_object_ref (remote);
  client->connections++;
  g_hash_table_add (self->connections, conn);
  stream = g_socket_connection_factory_create_connection (socket);
  g_object_set_data_full (G_OBJECT (stream), CONNECTION_KEY, conn, connection_gone);
  g_object_set_data (G_OBJECT (remote), CONNECTION_KEY, conn);
  conn->deadline_id = g_timeout_add (self->limits.header_timeout_ms, deadline_passed, conn);
  soup_server_accept_iostream (self->soup, G_IO_STREAM (stream), local, remote, NULL);
}

static void start_accepting (CrHttpServer *self);

static gboolean
retry_accept (gpointer data)
{
  CrHttpServer *self = data;
  self->accept_retry_id = 0;
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

static void
stop_accepting (CrHttpServer *self)
{
  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *listener = g_ptr_array_index (self->listeners, i);
      if (listener->source != NULL)
        {
          g_source_destroy (listener->source);
          g_clear_pointer (&listener->source, g_source_unref);
        }
    }
}

static gboolean
accept_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  Listener *listener = data;
  CrHttpServer *self = listener->server;

  /* A bounded batch per wake-up keeps the main loop fair to the rest. */
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr (GError) error = NULL;
      GSocket *accepted = g_socket_accept (socket, NULL, &error);

      if (accepted != NULL)
        {
          self->accept_failure_logged = FALSE;
          admit_connection (self, accepted);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (!self->accept_failure_logged)
        g_warning ("HTTP %s: cannot accept a connection: %s%s", self->limits.name,
                   error->message,
                   g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)
                     ? " (out of descriptors: trying again every 250 ms)" : "");
      self->accept_failure_logged = TRUE;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
        {
          /* The pending connection keeps the socket readable: wait for
           * descriptors to come free instead of spinning on it. */
          stop_accepting (self);
          if (self->accept_retry_id == 0)
            self->accept_retry_id = g_timeout_add (ACCEPT_RETRY_MS, retry_accept, self);
          return G_SOURCE_REMOVE;
        }
      break;
    }
  return G_SOURCE_CONTINUE;
}

static void
start_accepting (CrHttpServer *self)
{
  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *listener = g_ptr_array_index (self->listeners, i);
      if (listener->source != NULL)
        continue;
      listener->source = g_socket_create_source (listener->socket, G_IO_IN, NULL);
      g_source_set_callback (listener->source, G_SOURCE_FUNC (accept_ready), listener, NULL);
      g_source_attach (listener->source, NULL);
    }
}

/* --- listening ---------------------------------------------------------------- */

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

static GSocket *
listening_socket (GInetAddress *address, guint16 port, GError **error)
{
  g_autoptr (GSocketAddress) socket_address = g_inet_socket_address_new (address, port);
  GSocketFamily family = g_inet_address_get_family (address);
  g_autoptr (GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return NULL;
  /* An IPv6 socket must not take the IPv4 port too: "localhost" listens
   * on both, separately. */
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, 256);
  if (!g_socket_bind (socket, socket_address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

gboolean
cr_http_server_listen (CrHttpServer *self, const char *host, guint16 port, GError **error)
{
  g_autofree char *endpoint = NULL;
  g_autoptr (GError) first_error = NULL;
  g_autoptr (GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GList *addresses;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  endpoint = format_endpoint (host, port);
  addresses = resolve_host (host, &first_error);
  if (addresses == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Cannot listen on %s: %s",
                   endpoint, first_error != NULL ? first_error->message
                                                 : "the host has no address");
      return FALSE;
    }
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autoptr (GError) local_error = NULL;
      GSocket *socket = listening_socket (l->data, port, &local_error);

      if (socket != NULL)
        {
          g_ptr_array_add (sockets, socket);
          continue;
        }
      /* Another program on our port is fatal whatever else worked: the
       * client would reach it instead of us. A name that also resolves to
       * a family this machine lacks (::1 without IPv6) is not. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_clear_error (&first_error);
          first_error = g_steal_pointer (&local_error);
          g_ptr_array_set_size (sockets, 0);
          break;
        }
      if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }
  g_resolver_free_addresses (addresses);

  if (sockets->len == 0)
    {
      g_set_error (error, G_IO_ERROR, first_error != NULL ? first_error->code : G_IO_ERROR_FAILED,
                   "Cannot listen on %s: %s", endpoint,
                   first_error != NULL ? first_error->message : "no address to listen on");
      return FALSE;
    }
  for (guint i = 0; i < sockets->len; i++)
    {
      Listener *listener = g_new0 (Listener, 1);
      listener->server = self;
      listener->socket = g_object_ref (g_ptr_array_index (sockets, i));
      g_ptr_array_add (self->listeners, listener);
    }
  start_accepting (self);
  return TRUE;
}

/* --- the server ----------------------------------------------------------------- */

static void
listener_free (gpointer data)
{
  Listener *listener = data;

  if (listener->source != NULL)
    {
      g_source_destroy (listener->source);
      g_source_unref (listener->source);
    }
  g_socket_close (listener->socket, NULL);
  g_object_unref (listener->socket);
  g_free (listener);
}

CrHttpServer *
cr_http_server_new (const CrHttpLimits *limits, CrHttpAdmitFunc admit, gpointer admit_data)
{
  CrHttpServer *self;

  g_return_val_if_fail (limits != NULL && limits->name != NULL, NULL);
  g_return_val_if_fail (limits->max_connections > 0, NULL);
  g_return_val_if_fail (limits->header_timeout_ms > 0 && limits->exchange_timeout_ms > 0, NULL);

  self = g_new0 (CrHttpServer, 1);
  self->limits = *limits;
  self->admit = admit;
  self->admit_data = admit_data;
  self->soup = soup_server_new ("server-header", "courtrecd", NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started), self);
  self->listeners = g_ptr_array_new_with_free_func (listener_free);
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, client_free);
  self->connections = g_hash_table_new (NULL, NULL);
  self->lingering = g_hash_table_new (NULL, NULL);
  return self;
}

SoupServer *
cr_http_server_get_soup (CrHttpServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return server->soup;
}

guint
cr_http_server_get_connections (CrHttpServer *server)
{
  g_return_val_if_fail (server != NULL, 0);
  return g_hash_table_size (server->connections);
}

guint64
cr_http_server_get_refused (CrHttpServer *server)
{
  g_return_val_if_fail (server != NULL, 0);
  return server->refused;
}

const char *
cr_http_server_get_name (CrHttpServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return server->limits.name;
}

void
cr_http_server_free (CrHttpServer *server)
{
  GHashTableIter iter;
  gpointer item;

  if (server == NULL)
    return;
  g_clear_handle_id (&server->accept_retry_id, g_source_remove);
  g_clear_pointer (&server->listeners, g_ptr_array_unref);
  /* libsoup may drop a connection's stream after we are gone. */
  g_hash_table_iter_init (&iter, server->connections);
  while (g_hash_table_iter_next (&iter, &item, NULL))
    connection_detach (item);
  {
    g_autoptr (GList) lingering = g_hash_table_get_keys (server->lingering);
    for (GList *l = lingering; l != NULL; l = l->next)
      linger_finish (l->data);
  }
  soup_server_disconnect (server->soup);
  g_object_unref (server->soup);
  g_hash_table_unref (server->connections);
  g_hash_table_unref (server->lingering);
  g_hash_table_unref (server->clients);
  g_free (server);
}

guint
cr_http_descriptor_budget (guint reserved)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max)
    {
      rlim_t wanted = limit.rlim_max == RLIM_INFINITY ? 65536 : MIN (limit.rlim_max, 65536);
      if (wanted > limit.rlim_cur)
        {
          struct rlimit raised = { wanted, limit.rlim_max };
          if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
            limit.rlim_cur = wanted;
        }
    }
  if (limit.rlim_cur == RLIM_INFINITY)
    return G_MAXUINT;
  return limit.rlim_cur > reserved ? (guint) MIN (limit.rlim_cur - reserved, G_MAXUINT) : 0;
}
