/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmp-sender.h: one RTMP or RTMPS connection through librtmp, fed with
 * the FLV tags of an appsink, in a thread of its own.
 *
 * The thread resolves the host, connects (with a timeout), does the TLS
 * handshake for rtmps:// (GnuTLS, verified), the RTMP handshake and the
 * publish, then writes
 * the FLV codec headers (the caps' streamheader) and every tag the appsink
 * gives, each with RTMP_Write. The socket has send and receive timeouts, so
 * a server that stops reading fails the connection instead of holding the
 * thread forever; cr_rtmp_sender_free() shuts the socket down, so it never
 * waits for one either.
 *
 * A failure is posted as an error message from the appsink, on the bus of
 * the pipeline that holds it; it never contains the stream key, nor does
 * anything librtmp logs (it goes to the GStreamer debug log with the key
 * replaced by "***"). One sender is one connection: to reconnect, free it
 * and make a new one.
 *
 * TLS (rtmps://): the handshake is done here with GnuTLS, not by librtmp
 * (which would verify nothing): it sends the host as the server name (SNI)
 * and fails unless the server's certificate chains to a trusted CA (the
 * system's, or those of @tls_ca_file) and is valid for the host, with the
 * same timeouts and shutdown; only then does librtmp get the session, for
 * the RTMP handshake and the publish, so the key is never sent to a server
 * that failed. A refused certificate is a failure like any other ("The
 * certificate of HOST is not trusted (signer not found)", "... does not
 * match the host name"). */
#pragma once

#include <gst/app/gstappsink.h>

G_BEGIN_DECLS

typedef struct CrRtmpSender CrRtmpSender;

/* Starts the connection to @location ("rtmp[s]://host[:port]/app/KEY");
 * @key (may be NULL) is masked wherever the connection reports or logs.
 * @tls_ca_file (rtmps:// only; NULL: the system's CAs) is the PEM file of
 * the CA certificates the server's must chain to. @timeout_s bounds the
 * TCP connect and every socket send and receive, the TLS handshake's too.
 * Takes a reference on @sink. (transfer full) */
CrRtmpSender *cr_rtmp_sender_new (const char *location, const char *key,
                                  const char *tls_ca_file, GstAppSink *sink,
                                  guint timeout_s);

/* FLV bytes librtmp has written to the socket so far. Any thread. */
guint64 cr_rtmp_sender_get_bytes_sent (CrRtmpSender *sender);

/* Shuts the socket down, joins the thread and frees; returns promptly
 * whatever the server does. NULL is fine. */
void cr_rtmp_sender_free (CrRtmpSender *sender);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRtmpSender, cr_rtmp_sender_free)

G_END_DECLS
