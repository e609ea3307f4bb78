/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-proxy.h: a TCP proxy of the test's own on 127.0.0.1, between a
 * client under test and an HTTP server (the archive's gateway), run by
 * threads of the test. It passes bytes both ways unchanged, but for one
 * byte of the body of the first PUT of an object (a path with a key after
 * the bucket) when asked to, and logs each request in the order sent. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct CrTestProxy CrTestProxy;

/* Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:
 * @upstream_port; @flip: change one byte of the first object PUT's body. */
CrTestProxy *cr_test_proxy_new (guint16 upstream_port, gboolean flip);
/* Ends every connection and the threads. */
void cr_test_proxy_free (CrTestProxy *proxy);
guint16 cr_test_proxy_port (CrTestProxy *proxy);
/* The request line's path whose body was changed, or NULL. (transfer full) */
char *cr_test_proxy_flipped (CrTestProxy *proxy);
/* The methods of the requests for @path ("/BUCKET/KEY", with or without a
 * query), in order, as "PUT HEAD PUT HEAD". (transfer full) */
char *cr_test_proxy_methods (CrTestProxy *proxy, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestProxy, cr_test_proxy_free)

G_END_DECLS
