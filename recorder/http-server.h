/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* http-server.h: a libsoup server whose connections courtrecd accepts and
 * bounds itself, so that no client can cost the recording its descriptors,
 * its memory or its main loop.
 *
 * libsoup's SoupServer parses HTTP and runs the handlers; what it lacks for
 * a listener that strangers reach, this adds around it:
 * - a cap on connections, overall and per client, so that the recorder's
 *   own descriptors (segment files, the index, devices) stay free;
 * - a request rate per client (a token bucket);
 * - deadlines: the request's headers within a few seconds of the
 *   connection, the whole exchange within a minute, or it is cut;
 * - an accept that survives running out of descriptors (EMFILE, ENFILE):
 *   it pauses and tries again by itself;
 * - no keep-alive: every response closes its connection. libsoup 3.2 keeps
 *   a kept-alive connection open forever when the client closes it while
 *   idle (CLOSE-WAIT, one descriptor per request; fixed upstream in 3.3 by
 *   d20c6601), and a closed connection costs a loopback client nothing;
 * - an admission check after the headers and before any of the body is
 *   read: a refused request (401, 404, 405, 411, 413, 429) is answered at
 *   once and the rest of what it sends is drained for a moment and dropped,
 *   never buffered. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct CrHttpServer CrHttpServer;

/* RFC 6585, which libsoup 3.2 has no name for. */
#define CR_HTTP_STATUS_TOO_MANY_REQUESTS 429

typedef struct {
  const char *name;                  /* "control" or "public": in log lines */
  guint max_connections;             /* open at once; more are answered 503 */
  guint max_connections_per_client;  /* 0: no cap of its own; more: 429 */
  guint requests_per_second;         /* per client, burst of twice that; 0: none */
  guint header_timeout_ms;           /* from accept to the end of the headers */
  guint exchange_timeout_ms;         /* from the headers to the last byte sent */
} CrHttpLimits;

/* What an admission check answers instead of the handler. */
typedef struct {
  guint status;              /* the HTTP status */
  const char *content_type;  /* of @body */
  char *body;                /* (transfer full), freed by the server */
  const char *header_name;   /* one more response header, or NULL */
  const char *header_value;
} CrHttpRefusal;

/* Called on the main loop once a request's headers are in, before any of
 * its body is read. Returns TRUE to let the request through to the
 * handlers, FALSE with @refusal filled to answer it at once. */
typedef gboolean (*CrHttpAdmitFunc) (SoupServerMessage *msg, const char *path,
                                     CrHttpRefusal *refusal, gpointer user_data);

/* A server with @limits (copied; limits->name must be static). @admit may be
 * NULL. Add handlers to cr_http_server_get_soup(), then listen. (transfer
 * full) */
CrHttpServer *cr_http_server_new (const CrHttpLimits *limits, CrHttpAdmitFunc admit,
                                  gpointer admit_data);
SoupServer *cr_http_server_get_soup (CrHttpServer *server);

/* Listens on every address @host stands for (a literal, or a name such as
 * "localhost"), port @port. Another program on the port is an error even
 * if some address worked. */
gboolean cr_http_server_listen (CrHttpServer *server, const char *host, guint16 port,
                                GError **error);

/* A long-lived answer written by its caller (the console's event stream):
 * @func is called on the main loop with @msg's connection taken out of
 * libsoup, nothing of the response written yet, and the exchange deadline
 * lifted: the caller bounds it itself. The connection still counts as
 * open until @stream is finalized. Not called if the connection went away
 * meanwhile. Call from a handler, once. */
typedef void (*CrHttpTakeFunc) (GIOStream *stream, GSocket *socket, gpointer user_data);
void cr_http_server_take_connection (CrHttpServer *server, SoupServerMessage *msg,
                                     CrHttpTakeFunc func, gpointer user_data);

/* Connections open now, and refused since the start (at accept or after the
 * headers), for status and tests. */
guint cr_http_server_get_connections (CrHttpServer *server);
guint64 cr_http_server_get_refused (CrHttpServer *server);
/* The limits' name: "control" or "public". */
const char *cr_http_server_get_name (CrHttpServer *server);

void cr_http_server_free (CrHttpServer *server);

/* {"error":{"code":@code,"message":@message}}, the body of every error
 * answer of the API. (transfer full) */
char *cr_http_error_json (const char *code, const char *message);

/* A refusal with that body. */
void cr_http_refusal_set_json (CrHttpRefusal *refusal, guint status, const char *code,
                               const char *message);

/* Raises the soft limit on open descriptors as far as the hard limit
 * allows (the systemd default soft limit, 1024, is too low for a recorder
 * with a public page) and returns how many the HTTP servers may hold
 * while @reserved stay for the recorder itself. */
guint cr_http_descriptor_budget (guint reserved);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrHttpServer, cr_http_server_free)

G_END_DECLS
