/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-server.h: courtrecd's HTTP control API (libsoup 3, JSON, /api/v1/),
 * every request authenticated with the bearer token. The public pages have
 * a listener of their own (public-server.h). */
#pragma once

#include <glib.h>

#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef struct CrApiServer CrApiServer;

/* Listens on @host:@port (loopback in the shipped config), with at most
 * @max_connections open at once. The recorder is borrowed and must
 * outlive the server. (transfer full) */
CrApiServer *cr_api_server_new (CrRecorder *recorder, const char *host,
                                guint16 port, const char *token,
                                guint max_connections, GError **error);
void cr_api_server_free (CrApiServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrApiServer, cr_api_server_free)

G_END_DECLS
