/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* destination.h: one live RTMP, RTMPS or SRT destination, in a pipeline of
 * its own.
 *
 * The capture's encoders hand their encoded samples over with
 * cr_destination_push(), from their streaming threads; the call never
 * blocks: it queues into a bounded appsrc (video: 4 MiB or 2 s) and, when
 * the destination is congested, disconnected or waiting to reconnect, drops
 * video up to the next keyframe (audio only when its own, larger queue is
 * full). Timestamps are taken as running time through the sample's segment
 * (x264enc shifts its own by 1000 h). The destination's
 * pipeline is, for rtmp:// and rtmps://
 *
 *   appsrc(video) ! h264parse ! flvmux streamable=true ! appsink -> librtmp
 *   appsrc(audio) ! aacparse  ! /
 *
 * where a thread of the destination's own (rtmp-sender.h) connects with
 * librtmp, with a connect timeout and socket send and receive timeouts of
 * the watchdog's + 5 s, and writes the FLV; for srt:// (caller mode)
 *
 *   appsrc(video) ! h264parse ! mpegtsmux alignment=7 ! srtsink
 *   appsrc(audio) ! aacparse  ! /
 *
 * On any error or EOS of that pipeline or connection, or when its watchdog
 * sees no bytes leave for 5 s while data is waiting, the pipeline is torn
 * down in a thread of its own (shutting the socket down, so it never
 * hangs) and rebuilt after a backoff (2 s, x1.5 with +-20 % jitter, at most
 * 60 s, forever; back to 2 s after 10 s live). A rebuilt stream starts with
 * the codec headers (flvmux's header; SPS/PPS and PAT/PMT in MPEG-TS) and
 * a keyframe, with timestamps from 0.
 *
 * The stream key and the SRT passphrase are never logged and are replaced
 * by "***" in every error kept or reported, librtmp's log lines included.
 * rtmps:// is TLS done by the sender with GnuTLS before librtmp gets the
 * connection: the host goes as SNI, and the server's certificate must
 * chain to a trusted CA (the system's, or cr_destination_set_tls_ca_file())
 * and be valid for the host, or the connection fails like any other
 * ("rtmps: The certificate of HOST is not trusted (signer not found)")
 * before the key is sent.
 *
 * Threads: everything but cr_destination_push() is for the thread whose
 * thread-default main context was current at cr_destination_new(); bus
 * messages, the watchdog and the state callback run there. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_DESTINATION_ERROR (cr_destination_error_quark ())
GQuark cr_destination_error_quark (void);

typedef enum {
  CR_DESTINATION_ERROR_INVALID_URL, /* not rtmp://, rtmps:// nor srt://HOST:PORT */
  CR_DESTINATION_ERROR_NO_ELEMENT,  /* a GStreamer element is not installed */
} CrDestinationError;

typedef enum {
  CR_DESTINATION_TRACK_VIDEO = 0, /* video/x-h264, stream-format=avc, alignment=au */
  CR_DESTINATION_TRACK_AUDIO = 1, /* audio/mpeg, mpegversion=4 (AAC), raw */
} CrDestinationTrack;

typedef enum {
  CR_DESTINATION_STOPPED,    /* not started, or stopped */
  CR_DESTINATION_CONNECTING, /* pipeline built, no bytes sent yet */
  CR_DESTINATION_LIVE,       /* bytes are leaving */
  CR_DESTINATION_BACKOFF,    /* torn down, waiting to reconnect */
} CrDestinationState;

typedef struct {
  CrDestinationState state;
  guint bitrate_kbps;        /* bytes sent over the last 5 s, in kbit/s */
  guint64 bytes_sent;        /* by all connections since start */
  guint reconnects;          /* pipelines torn down to reconnect */
  guint watchdog_stalls;     /* of those, because no bytes left for 5 s */
  guint64 dropped_video;     /* frames never handed to the sink */
  guint64 dropped_audio;
  guint backoff_ms;          /* the delay in force (or last used) */
  char *last_error;          /* NULL if none; never holds the stream key */
} CrDestinationStats;

typedef struct CrDestination CrDestination;

typedef void (*CrDestinationStateFunc) (CrDestination *destination,
                                        CrDestinationState state,
                                        gpointer user_data);

/* @name labels logs ("portal"); @url is "rtmp[s]://host[:port]/app" and
 * @key (may be NULL or "") is appended as "/KEY"; or @url is
 * "srt://host:port[?latency=MS&passphrase=...]" (srtsink's query
 * parameters, passed through) and @key, if any, is sent as the SRT
 * streamid. Takes a copy of both. An unknown scheme is
 * CR_DESTINATION_ERROR_INVALID_URL, with a message that names the scheme
 * and never quotes the url. Nothing connects until cr_destination_start().
 * (transfer full) */
CrDestination *cr_destination_new (const char *name, const char *url,
                                   const char *key, GError **error);
/* Stops (joining the teardown threads) and frees; NULL is fine. */
void cr_destination_free (CrDestination *destination);

/* Called on the main context at every state change. */
void cr_destination_set_state_func (CrDestination *destination,
                                    CrDestinationStateFunc func,
                                    gpointer user_data, GDestroyNotify notify);

/* Which tracks flvmux waits for; both by default. Before start. */
void cr_destination_set_tracks (CrDestination *destination,
                                gboolean video, gboolean audio);
/* Backoff bounds in ms (2000 and 60000 by default). Before start. */
void cr_destination_set_backoff (CrDestination *destination,
                                 guint initial_ms, guint max_ms);
/* Seconds without bytes sent, while data waits, before the watchdog tears
 * the connection down (5 by default). Before start. */
void cr_destination_set_watchdog (CrDestination *destination, guint seconds);
/* rtmps:// only: the PEM file of CA certificates the server's certificate must chain to; NULL (default): the system's. Before start. */
void cr_destination_set_tls_ca_file (CrDestination *destination, const char *path);

/* Builds the pipeline and connects; reconnects forever until stopped. */
void cr_destination_start (CrDestination *destination);
/* Tears the pipeline down (waits for it) and drops every push afterwards. */
void cr_destination_stop (CrDestination *destination);

/* Hands one encoded frame over. Any thread, never blocks; takes no
 * ownership of @sample (it is reffed as needed). Returns TRUE if the frame
 * was queued for the sink, FALSE if it was dropped. */
gboolean cr_destination_push (CrDestination *destination, GstSample *sample,
                              guint track);

/* A snapshot; clear with cr_destination_stats_clear(). */
void cr_destination_get_stats (CrDestination *destination,
                               CrDestinationStats *stats);
void cr_destination_stats_clear (CrDestinationStats *stats);
const char *cr_destination_state_to_string (CrDestinationState state);
const char *cr_destination_get_name (CrDestination *destination);
/* The url as logged and shown: without the key, any SRT passphrase
 * replaced by "***". */
const char *cr_destination_get_url (CrDestination *destination);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrDestination, cr_destination_free)

G_END_DECLS
