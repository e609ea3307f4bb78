/* rtmp-sender.h: one RTMP or RTMPS connection through librtmp, fed with
 * the FLV tags of an appsink, in a thread of its own.
 *
 * The thread resolves the host, connects (with a timeout), does the TLS
 * handshake for rtmps://, the RTMP handshake and the publish, then writes
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
 * TLS: librtmp (Debian's, built with GnuTLS) encrypts rtmps:// but neither
 * verifies the server's certificate nor sends the server name (SNI). */
#pragma once

#include <gst/app/gstappsink.h>

G_BEGIN_DECLS

typedef struct CrRtmpSender CrRtmpSender;

/* Starts the connection to @location ("rtmp[s]://host[:port]/app/KEY");
 * @key (may be NULL) is masked wherever the connection reports or logs.
 * @timeout_s bounds the TCP connect and every socket send and receive.
 * Takes a reference on @sink. (transfer full) */
CrRtmpSender *cr_rtmp_sender_new (const char *location, const char *key,
                                  GstAppSink *sink, guint timeout_s);

/* FLV bytes librtmp has written to the socket so far. Any thread. */
guint64 cr_rtmp_sender_get_bytes_sent (CrRtmpSender *sender);

/* Shuts the socket down, joins the thread and frees; returns promptly
 * whatever the server does. NULL is fine. */
void cr_rtmp_sender_free (CrRtmpSender *sender);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRtmpSender, cr_rtmp_sender_free)

G_END_DECLS
