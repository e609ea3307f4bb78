/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-proxy.c: see test-util-proxy.h. Requests are framed by
 * libsoup's header parser and Content-Length; nothing else of HTTP is
 * read. */
#include "tests/test-util-proxy.h"

#include <string.h>

#include <libsoup/soup.h>

struct CrTestProxy {
  GSocket *listener;
  guint16 port;
  GSocketAddress *gateway;
  GCancellable *cancellable;
  GThread *acceptor;
  gboolean flip;
  GMutex lock;              /* guards what follows */
  GPtrArray *log;           /* char *: the requests */
  char *flipped;            /* the request whose body was changed */
  GPtrArray *sockets;       /* GSocket: shut at the end to free the pumps */
  GPtrArray *pumps;         /* GThread */
};

typedef struct {
  CrTestProxy *proxy;
  GSocket *from;
  GSocket *to;
  gboolean requests;        /* courtrecd to the gateway: framed, logged */
} Pump;

static gboolean
send_all (GSocket *socket, const guint8 *data, gsize length)
{
  while (length > 0)
    {
      gssize n = g_socket_send (socket, (const char *) data, length, NULL, NULL);

      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/* Sends what of @pending is whole (headers) or body; keeps the rest. */
static gboolean
forward_requests (Pump *pump, GByteArray *pending, gint64 *body_left, gint64 *flip_at)
{
  while (pending->len > 0)
    {
      g_autoptr (SoupMessageHeaders) headers = NULL;
      g_autofree char *method = NULL;
      g_autofree char *path = NULL;
      const guint8 *end;
      gsize head_length;

      if (*body_left > 0)
        {
          gsize n = (gsize) MIN (*body_left, (gint64) pending->len);

          if (*flip_at >= 0 && *flip_at < (gint64) n)
            pending->data[*flip_at] ^= 0x20;
          if (*flip_at >= 0)
            *flip_at = *flip_at < (gint64) n ? -1 : *flip_at - (gint64) n;
          if (!send_all (pump->to, pending->data, n))
            return FALSE;
          g_byte_array_remove_range (pending, 0, (guint) n);
          *body_left -= (gint64) n;
          continue;
        }
      /* Headers hold no NUL: a search that stops at one is enough. */
      end = (const guint8 *) g_strstr_len ((const char *) pending->data, pending->len,
                                           "\r\n\r\n");
      if (end == NULL)
        return TRUE;
      head_length = (gsize) (end - pending->data) + 4;
      headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_assert_cmpuint (soup_headers_parse_request ((const char *) pending->data,
                                                    (int) head_length, headers, &method,
                                                    &path, NULL), ==, SOUP_STATUS_OK);
      *body_left = soup_message_headers_get_content_length (headers);
      g_mutex_lock (&pump->proxy->lock);
      g_ptr_array_add (pump->proxy->log, g_strdup_printf ("%s %s", method, path));
      /* An object's body: a path with a key after the bucket; not the Object
       * Lock canary the uploader writes first, whose refusal is its own alarm. */
      if (pump->proxy->flip && pump->proxy->flipped == NULL && strcmp (method, "PUT") == 0 &&
          *body_left > 0 && strchr (path + 1, '/') != NULL &&
          strstr (path, "/.courtrec-lock-canary/") == NULL)
        {
          pump->proxy->flipped = g_strdup (path);
          *flip_at = *body_left / 2;
        }
      g_mutex_unlock (&pump->proxy->lock);
      if (!send_all (pump->to, pending->data, head_length))
        return FALSE;
      g_byte_array_remove_range (pending, 0, (guint) head_length);
    }
  return TRUE;
}

static gpointer
pump_run (gpointer data)
{
  Pump *pump = data;
  g_autoptr (GByteArray) pending = g_byte_array_new ();
  gint64 body_left = 0;
  gint64 flip_at = -1;
  guint8 buffer[65536];
  gssize n;

  while ((n = g_socket_receive (pump->from, (char *) buffer, sizeof buffer, NULL, NULL)) > 0)
    {
      gboolean sent;

      if (pump->requests)
        {
          g_byte_array_append (pending, buffer, (guint) n);
          sent = forward_requests (pump, pending, &body_left, &flip_at);
        }
      else
        sent = send_all (pump->to, buffer, (gsize) n);
      if (!sent)
        break;
    }
  /* One side is done: so is the other's way in, as without a proxy. */
  g_socket_shutdown (pump->to, FALSE, TRUE, NULL);
  g_socket_shutdown (pump->from, TRUE, FALSE, NULL);
  g_object_unref (pump->from);
  g_object_unref (pump->to);
  g_free (pump);
  return NULL;
}

static void
start_pump (CrTestProxy *proxy, GSocket *from, GSocket *to, gboolean requests)
{
  Pump *pump = g_new0 (Pump, 1);

  *pump = (Pump) { proxy, g_object_ref (from), g_object_ref (to), requests };
  g_mutex_lock (&proxy->lock);
  g_ptr_array_add (proxy->pumps, g_thread_new ("proxy-pump", pump_run, pump));
  g_mutex_unlock (&proxy->lock);
}

static gpointer
proxy_accept (gpointer data)
{
  CrTestProxy *proxy = data;
  GSocket *client;

  while ((client = g_socket_accept (proxy->listener, proxy->cancellable, NULL)) != NULL)
    {
      g_autoptr (GSocket) gateway = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                                  G_SOCKET_PROTOCOL_TCP, NULL);

      if (gateway == NULL || !g_socket_connect (gateway, proxy->gateway, NULL, NULL))
        {
          /* The gateway down: courtrecd sees the door shut, as it would. */
          g_object_unref (client);
          continue;
        }
      g_mutex_lock (&proxy->lock);
      g_ptr_array_add (proxy->sockets, g_object_ref (client));
      g_ptr_array_add (proxy->sockets, g_object_ref (gateway));
      g_mutex_unlock (&proxy->lock);
      start_pump (proxy, client, gateway, TRUE);
      start_pump (proxy, gateway, client, FALSE);
      g_object_unref (client);
    }
  return NULL;
}

CrTestProxy *
cr_test_proxy_new (guint16 upstream_port, gboolean flip)
{
  CrTestProxy *proxy = g_new0 (CrTestProxy, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  proxy->gateway = g_inet_socket_address_new (loopback, upstream_port);
  proxy->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (proxy->listener, any_port, TRUE, &error));
  g_assert_true (g_socket_listen (proxy->listener, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (proxy->listener, &error);
  g_assert_no_error (error);
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  proxy->flip = flip;
  proxy->cancellable = g_cancellable_new ();
  proxy->log = g_ptr_array_new_with_free_func (g_free);
  proxy->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  proxy->pumps = g_ptr_array_new ();
  g_mutex_init (&proxy->lock);
  proxy->acceptor = g_thread_new ("proxy-accept", proxy_accept, proxy);
  return proxy;
}

void
cr_test_proxy_free (CrTestProxy *proxy)
{
  if (proxy == NULL)
    return;
  g_cancellable_cancel (proxy->cancellable);
  g_thread_join (proxy->acceptor);
  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->sockets->len; i++)
    g_socket_shutdown (g_ptr_array_index (proxy->sockets, i), TRUE, TRUE, NULL);
  g_mutex_unlock (&proxy->lock);
  /* No pump starts now that the acceptor is gone. */
  for (guint i = 0; i < proxy->pumps->len; i++)
    g_thread_join (g_ptr_array_index (proxy->pumps, i));
  g_ptr_array_unref (proxy->pumps);
  g_ptr_array_unref (proxy->sockets);
  g_ptr_array_unref (proxy->log);
  g_socket_close (proxy->listener, NULL);
  g_object_unref (proxy->listener);
  g_object_unref (proxy->gateway);
  g_object_unref (proxy->cancellable);
  g_free (proxy->flipped);
  g_mutex_clear (&proxy->lock);
  g_free (proxy);
}

guint16
cr_test_proxy_port (CrTestProxy *proxy)
{
  return proxy->port;
}

char *
cr_test_proxy_flipped (CrTestProxy *proxy)
{
  char *flipped;

  g_mutex_lock (&proxy->lock);
  flipped = g_strdup (proxy->flipped);
  g_mutex_unlock (&proxy->lock);
  return flipped;
}

char *
cr_test_proxy_methods (CrTestProxy *proxy, const char *path)
{
  GString *methods = g_string_new (NULL);

  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->log->len; i++)
    {
      const char *line = g_ptr_array_index (proxy->log, i);
      const char *at = strchr (line, ' ') + 1;

      if (g_str_has_prefix (at, path) && (at[strlen (path)] == '\0' || at[strlen (path)] == '?'))
        g_string_append_printf (methods, "%s%.*s", methods->len > 0 ? " " : "",
                                (int) (at - line - 1), line);
    }
  g_mutex_unlock (&proxy->lock);
  return g_string_free (methods, FALSE);
}
