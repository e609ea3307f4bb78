/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* public-server.h: the listener of the public live pages (/live/, no
 * token, read-only), apart from the control API so that the API can stay
 * on loopback while the court's reverse proxy exposes this one, and so
 * that a viewers' flood meets limits of its own: connections overall and
 * per client, requests per second per client. The parties' pages,
 * /access/ (access-web.h), are served here too, with rules of their own
 * for the few requests that carry a body. */
#pragma once

#include <glib.h>

#include "recorder/http-server.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef struct CrPublicServer CrPublicServer;

/* Listens on the config's [public] listen with its limits, capped at
 * @max_connections open at once (the descriptors the recorder can spare).
 * The recorder is borrowed and must outlive the server. (transfer full) */
CrPublicServer *cr_public_server_new (CrRecorder *recorder, guint max_connections,
                                      GError **error);
void cr_public_server_free (CrPublicServer *server);

/* Its listener, for /metrics. (transfer none) */
CrHttpServer *cr_public_server_get_http (CrPublicServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPublicServer, cr_public_server_free)

G_END_DECLS
