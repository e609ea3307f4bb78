/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* destination.c: see destination.h.
 *
 * Why librtmp in a thread of our own and neither GStreamer RTMP sink:
 * rtmpsink connects and writes in the streaming thread with blocking
 * sockets and no send timeout, so a server that stops reading wedges the
 * thread and a state change to NULL can hang behind it; rtmp2sink clears
 * its socket timeout after the handshake (design.md, Pitfalls). Here flvmux
 * ends in an appsink and CrRtmpSender (rtmp-sender.c) writes its tags with
 * librtmp, with socket timeouts, a connect timeout, and a shutdown(2) that
 * frees it from any blocked call at teardown; for rtmps:// it does and
 * verifies the TLS itself before librtmp takes over. The bytes it has
 * written feed the bitrate and the watchdog.
 *
 * srt:// goes through srtsink (caller mode, its own reconnect off), with a
 * poll timeout so that its render wakes up to be flushed; its
 * bytes-sent-total statistic feeds the same watchdog. srtsink resolves its
 * host in the state change, so a host name is resolved here first,
 * asynchronously, and srtsink only ever gets an address.
 *
 * Timestamps: the capture's samples carry its running time. Each pipeline
 * takes the first keyframe it accepts as its zero, so every rebuilt stream
 * starts at 0 with the codec headers flvmux writes first. */
#include "streaming/destination.h"

#include "streaming/handoff.h"

#include "streaming/rtmp-sender.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <string.h>

#include "config/text.h"
GST_DEBUG_CATEGORY_STATIC (cr_destination_debug);
#define GST_CAT_DEFAULT cr_destination_debug

G_DEFINE_QUARK (cr-destination-error-quark, cr_destination_error)

#define VIDEO_MAX_BYTES (4 * 1024 * 1024)
#define AUDIO_MAX_BYTES (512 * 1024)
#define MAX_QUEUE_TIME (2 * GST_SECOND) /* latency a congested link may add */
#define WATCHDOG_TICK_MS 500
#define BITRATE_WINDOW 10         /* ticks: the bitrate is over the last 5 s */
#define LIVE_RESETS_BACKOFF_US (10 * G_USEC_PER_SEC)
#define SENDER_MAX_TAGS 64        /* FLV tags between flvmux and the sender */
#define SOCKET_TIMEOUT_EXTRA_S 5  /* socket timeouts: the watchdog's + this */
#define SRT_POLL_TIMEOUT_MS 500

typedef enum {
  SCHEME_RTMP,                    /* rtmp:// and rtmps:// */
  SCHEME_SRT,
} Scheme;

typedef struct {
  GThread *thread;
  GstElement *pipeline;
  CrRtmpSender *sender;
  gint done;                      /* atomic */
} Teardown;

struct CrDestination {
  char *name;
  char *url;                      /* as logged: no key, passphrase "***" */
  char *key;                      /* never logged */
  char *passphrase;               /* srt:// only, "" if none; never logged */
  char *location;                 /* rtmp: url/key; srt: url: never logged */
  Scheme scheme;
  gboolean tls;                   /* rtmps:// */
  char *srt_host;                 /* srt:// only */
  guint16 srt_port;
  char *srt_query;                /* NULL if none; never logged */
  GMainContext *context;

  /* Settings, before start. */
  gboolean want_video, want_audio;
  guint backoff_initial_ms, backoff_max_ms;
  guint watchdog_s;
  char *tls_ca_file;              /* rtmps://: NULL for the system's CAs */

  CrDestinationStateFunc state_func;
  gpointer state_data;
  GDestroyNotify state_notify;

  /* Main context only. */
  gboolean running;
  GstElement *pipeline;
  GstElement *sink;               /* srtsink, or the appsink of the sender */
  CrRtmpSender *sender;           /* rtmp only */
  GCancellable *resolving;        /* srt: the host lookup in flight */
  GSource *bus_source;
  GSource *watchdog_source;
  GSource *backoff_source;
  guint64 pipeline_bytes;         /* bytes the connection had sent at the last tick */
  gint64 last_progress_us;
  gint64 live_since_us;
  guint next_backoff_ms;
  guint64 window[BITRATE_WINDOW + 1]; /* bytes_sent at the last ticks */
  gint64 window_us[BITRATE_WINDOW + 1]; /* and when */
  guint window_len;
  GPtrArray *teardowns;           /* Teardown*, joined when done or at free */

  /* Protects the hand-off (the appsrcs, the keyframe gate, the zero) and
   * the stats: push() runs in the capture's streaming threads. */
  GMutex lock;
  CrHandoff handoff;              /* no pipeline attached: pushes dropped */
  guint64 queued_since_progress;  /* frames queued since bytes last left */
  CrDestinationStats stats;
};

static void reconnect (CrDestination *dest, const char *reason, gboolean stall);

const char *
cr_destination_state_to_string (CrDestinationState state)
{
  switch (state)
    {
    case CR_DESTINATION_STOPPED: return "stopped";
    case CR_DESTINATION_CONNECTING: return "connecting";
    case CR_DESTINATION_LIVE: return "live";
    case CR_DESTINATION_BACKOFF: return "backoff";
    }
  return "unknown";
}

/* @text with every occurrence of the stream key and of the SRT
 * passphrase replaced. (transfer full) */
static char *
without_key (CrDestination *dest, const char *text)
{
  g_autoptr (GString) out = g_string_new (text);
  if (dest->key != NULL && dest->key[0] != '\0')
    g_string_replace (out, dest->key, "***", 0);
  if (dest->passphrase != NULL && dest->passphrase[0] != '\0')
    g_string_replace (out, dest->passphrase, "***", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* @query with the value of every passphrase= replaced. (transfer full) */
static char *
mask_query (const char *query)
{
  g_auto (GStrv) params = g_strsplit (query, "&", -1);
  for (guint i = 0; params[i] != NULL; i++)
    if (g_ascii_strncasecmp (params[i], "passphrase=", strlen ("passphrase=")) == 0)
      {
        g_free (params[i]);
        params[i] = g_strdup ("passphrase=***");
      }
  return g_strjoinv ("&", params);
}

/* Checks an srt:// url and fills in the host, the port, the query and the
 * passphrase. The error never quotes the url (it may hold a passphrase). */
static gboolean
parse_srt (CrDestination *dest, const char *url, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  const char *query;

  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      g_uri_get_port (uri) <= 0 || g_uri_get_port (uri) > G_MAXUINT16)
    {
      g_set_error (error, CR_DESTINATION_ERROR, CR_DESTINATION_ERROR_INVALID_URL,
                   "Destination '%s': an srt:// url needs a host and a port "
                   "(srt://HOST:PORT[?latency=MS&passphrase=...])", dest->name);
      return FALSE;
    }
  query = g_uri_get_query (uri);
  dest->srt_host = g_strdup (g_uri_get_host (uri));
  dest->srt_port = (guint16) g_uri_get_port (uri);
  dest->srt_query = query != NULL && query[0] != '\0' ? g_strdup (query) : NULL;
  if (dest->srt_query != NULL)
    {
      g_autoptr (GHashTable) params = g_uri_parse_params (dest->srt_query, -1, "&",
                                                          G_URI_PARAMS_CASE_INSENSITIVE,
                                                          NULL);
      const char *passphrase = params != NULL ? g_hash_table_lookup (params, "passphrase")
                                              : NULL;
      g_autofree char *masked = mask_query (dest->srt_query);
      g_free (dest->passphrase);
      dest->passphrase = g_strdup (passphrase != NULL ? passphrase : "");
      dest->url = g_strdup_printf ("srt://%s%s%s:%u?%s",
                                   strchr (dest->srt_host, ':') ? "[" : "", dest->srt_host,
                                   strchr (dest->srt_host, ':') ? "]" : "", dest->srt_port,
                                   masked);
    }
  else
    dest->url = g_strdup (url);
  dest->location = g_strdup (url);
  return TRUE;
}

CrDestination *
cr_destination_new (const char *name, const char *url, const char *key,
                    GError **error)
{
  CrDestination *dest;
  g_autofree char *trimmed = NULL;
  g_autofree char *scheme_name = NULL;
  Scheme scheme;
  const char *const rtmp_needed[] = { "appsrc", "h264parse", "aacparse", "flvmux",
                                      "appsink", NULL };
  const char *const srt_needed[] = { "appsrc", "h264parse", "aacparse", "mpegtsmux",
                                     "srtsink", NULL };
  const char *const *needed;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Errors name the scheme, never the url: it may hold a key. */
  scheme_name = g_uri_parse_scheme (url);
  if (scheme_name != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (scheme_name, -1);
      g_free (scheme_name);
      scheme_name = g_steal_pointer (&lower);
    }
  if (scheme_name == NULL)
    {
      g_set_error (error, CR_DESTINATION_ERROR, CR_DESTINATION_ERROR_INVALID_URL,
                   "Destination '%s': the url has no scheme "
                   "(expected rtmp://, rtmps:// or srt://)", name);
      return NULL;
    }
  if (g_str_equal (scheme_name, "rtmp") || g_str_equal (scheme_name, "rtmps"))
    {
      scheme = SCHEME_RTMP;
      needed = rtmp_needed;
    }
  else if (g_str_equal (scheme_name, "srt"))
    {
      scheme = SCHEME_SRT;
      needed = srt_needed;
    }
  else
    {
      g_set_error (error, CR_DESTINATION_ERROR, CR_DESTINATION_ERROR_INVALID_URL,
                   "Destination '%s': scheme '%s' is not supported "
                   "(expected rtmp://, rtmps:// or srt://)", name, scheme_name);
      return NULL;
    }
  for (gsize i = 0; needed[i] != NULL; i++)
    {
      g_autoptr (GstElementFactory) factory = gst_element_factory_find (needed[i]);
      if (factory == NULL)
        {
          g_set_error (error, CR_DESTINATION_ERROR, CR_DESTINATION_ERROR_NO_ELEMENT,
                       "Destination '%s': GStreamer element '%s' is not installed",
                       name, needed[i]);
          return NULL;
        }
    }

  if (cr_destination_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (cr_destination_debug, "courtrec-destination", 0,
                             "courtrec live destinations");

  dest = g_new0 (CrDestination, 1);
  dest->name = g_strdup (name);
  dest->scheme = scheme;
  dest->tls = g_str_equal (scheme_name, "rtmps");
  dest->key = g_strdup (key != NULL ? key : "");
  dest->passphrase = g_strdup ("");
  dest->context = g_main_context_ref_thread_default ();
  dest->want_video = TRUE;
  dest->want_audio = TRUE;
  cr_handoff_init (&dest->handoff, dest->name, VIDEO_MAX_BYTES, AUDIO_MAX_BYTES,
                   MAX_QUEUE_TIME);
  dest->backoff_initial_ms = 2000;
  dest->backoff_max_ms = 60000;
  dest->watchdog_s = 5;
  dest->teardowns = g_ptr_array_new ();
  g_mutex_init (&dest->lock);

  if (scheme == SCHEME_SRT)
    {
      if (!parse_srt (dest, url, error))
        {
          cr_destination_free (dest);
          return NULL;
        }
    }
  else
    {
      trimmed = g_strdup (url);
      while (g_str_has_suffix (trimmed, "/"))
        trimmed[strlen (trimmed) - 1] = '\0';
      dest->url = g_strdup (trimmed);
      dest->location = dest->key[0] != '\0'
                       ? g_strdup_printf ("%s/%s", trimmed, dest->key)
                       : g_strdup (trimmed);
    }
  return dest;
}

const char *
cr_destination_get_name (CrDestination *dest)
{
  return dest->name;
}

const char *
cr_destination_get_url (CrDestination *dest)
{
  return dest->url;
}

void
cr_destination_set_state_func (CrDestination *dest, CrDestinationStateFunc func,
                               gpointer user_data, GDestroyNotify notify)
{
  g_return_if_fail (dest != NULL);
  if (dest->state_notify != NULL)
    dest->state_notify (dest->state_data);
  dest->state_func = func;
  dest->state_data = user_data;
  dest->state_notify = notify;
}

void
cr_destination_set_tracks (CrDestination *dest, gboolean video, gboolean audio)
{
  g_return_if_fail (dest != NULL && !dest->running && (video || audio));
  dest->want_video = video;
  dest->want_audio = audio;
  dest->handoff.want_video = video;
}

void
cr_destination_set_backoff (CrDestination *dest, guint initial_ms, guint max_ms)
{
  g_return_if_fail (dest != NULL && !dest->running);
  g_return_if_fail (initial_ms > 0 && initial_ms <= max_ms);
  dest->backoff_initial_ms = initial_ms;
  dest->backoff_max_ms = max_ms;
}

void
cr_destination_set_watchdog (CrDestination *dest, guint seconds)
{
  g_return_if_fail (dest != NULL && !dest->running && seconds > 0);
  dest->watchdog_s = seconds;
}

void
cr_destination_set_tls_ca_file (CrDestination *dest, const char *path)
{
  g_return_if_fail (dest != NULL && !dest->running);
  g_free (dest->tls_ca_file);
  dest->tls_ca_file = g_strdup (path);
}

static void
set_state (CrDestination *dest, CrDestinationState state)
{
  g_mutex_lock (&dest->lock);
  gboolean changed = dest->stats.state != state;
  dest->stats.state = state;
  g_mutex_unlock (&dest->lock);

  if (changed && dest->state_func != NULL)
    dest->state_func (dest, state, dest->state_data);
}

/* ---- hand-off: any thread ---------------------------------------------- */

gboolean
cr_destination_push (CrDestination *dest, GstSample *sample, guint track)
{
  gboolean queued;

  g_return_val_if_fail (dest != NULL, FALSE);
  g_return_val_if_fail (GST_IS_SAMPLE (sample), FALSE);
  g_return_val_if_fail (track <= CR_DESTINATION_TRACK_AUDIO, FALSE);

  g_mutex_lock (&dest->lock);
  queued = cr_handoff_push (&dest->handoff, sample, track == CR_DESTINATION_TRACK_VIDEO);
  if (queued)
    dest->queued_since_progress++;
  g_mutex_unlock (&dest->lock);
  return queued;
}

/* ---- pipeline: main context ---------------------------------------------- */

static gpointer
teardown_thread (gpointer data)
{
  Teardown *teardown = data;
  /* The sender first: it shuts its socket down, so it returns at once. */
  g_clear_pointer (&teardown->sender, cr_rtmp_sender_free);
  if (teardown->pipeline != NULL)
    gst_element_set_state (teardown->pipeline, GST_STATE_NULL);
  gst_clear_object (&teardown->pipeline);
  g_atomic_int_set (&teardown->done, 1);
  return NULL;
}

static void
join_teardowns (CrDestination *dest, gboolean all)
{
  for (guint i = dest->teardowns->len; i > 0; i--)
    {
      Teardown *teardown = g_ptr_array_index (dest->teardowns, i - 1);
      if (!all && !g_atomic_int_get (&teardown->done))
        continue;
      g_thread_join (teardown->thread);
      g_free (teardown);
      g_ptr_array_remove_index (dest->teardowns, i - 1);
    }
}

/* Stops the hand-off at once and takes the pipeline apart in a thread, so
 * that a sink stuck in the network never holds up the main loop. */
static void
detach_pipeline (CrDestination *dest, gboolean wait)
{
  Teardown *teardown;

  g_mutex_lock (&dest->lock);
  cr_handoff_detach (&dest->handoff);
  dest->queued_since_progress = 0;
  g_mutex_unlock (&dest->lock);

  if (dest->resolving != NULL)
    {
      g_cancellable_cancel (dest->resolving);
      g_clear_object (&dest->resolving);
    }
  if (dest->bus_source != NULL)
    {
      g_source_destroy (dest->bus_source);
      g_clear_pointer (&dest->bus_source, g_source_unref);
    }
  gst_clear_object (&dest->sink);
  if (dest->pipeline == NULL && dest->sender == NULL)
    return;

  teardown = g_new0 (Teardown, 1);
  teardown->pipeline = g_steal_pointer (&dest->pipeline);
  teardown->sender = g_steal_pointer (&dest->sender);
  teardown->thread = g_thread_new ("cr-dest-teardown", teardown_thread, teardown);
  g_ptr_array_add (dest->teardowns, teardown);
  join_teardowns (dest, wait);
}

static gboolean
bus_cb (GstBus *bus, GstMessage *message, gpointer data)
{
  CrDestination *dest = data;
  g_autofree char *reason = cr_handoff_bus_failure (message);

  if (reason == NULL)
    return G_SOURCE_CONTINUE;
  reconnect (dest, reason, FALSE);
  return G_SOURCE_REMOVE;
}

/* The srtsink uri for @host (an address): the url's port and query. */
static char *
srt_uri (CrDestination *dest, const char *host)
{
  gboolean ipv6 = strchr (host, ':') != NULL;
  return g_strdup_printf ("srt://%s%s%s:%u%s%s", ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                          dest->srt_port, dest->srt_query != NULL ? "?" : "",
                          dest->srt_query != NULL ? dest->srt_query : "");
}

/* @srt_address: the SRT host's address; NULL for rtmp. */
static void
build_pipeline (CrDestination *dest, const char *srt_address)
{
  GstBin *bin;
  GstElement *mux, *sink;
  g_autoptr (GstAppSrc) video_src = NULL;
  g_autoptr (GstAppSrc) audio_src = NULL;
  g_autoptr (GstBus) bus = NULL;
  gboolean linked = TRUE;

  dest->pipeline = gst_pipeline_new (NULL);
  bin = GST_BIN (dest->pipeline);
  /* sync=false: send as soon as a frame comes, the capture is the clock.
   * async=false: the sink may wait long for its server; the pipeline
   * need not. */
  if (dest->scheme == SCHEME_RTMP)
    {
      mux = cr_handoff_add_element (bin, "flvmux", "mux");
      /* Named for the errors the sender posts from it ("rtmp: ...",
       * "rtmps: ..."). A sender that stops taking tags blocks flvmux, the
       * appsrcs fill up and cr_destination_push() drops whole GOPs. */
      sink = cr_handoff_add_element (bin, "appsink", dest->tls ? "rtmps" : "rtmp");
      g_object_set (mux, "streamable", TRUE, NULL);
      g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", SENDER_MAX_TAGS,
                    "drop", FALSE, "enable-last-sample", FALSE, "wait-on-eos", FALSE, NULL);
    }
  else
    {
      g_autofree char *uri = srt_uri (dest, srt_address);
      mux = cr_handoff_add_element (bin, "mpegtsmux", "mux");
      sink = cr_handoff_add_element (bin, "srtsink", "srt");
      /* 7 TS packets: one SRT live-mode payload (1316 bytes). The poll
       * timeout lets a render waiting for the socket see the flush at
       * teardown; srtsink's own reconnect is off, ours does it. */
      g_object_set (mux, "alignment", 7, NULL);
      g_object_set (sink, "uri", uri, "sync", FALSE, "async", FALSE,
                    "auto-reconnect", FALSE, "poll-timeout", SRT_POLL_TIMEOUT_MS, NULL);
      if (dest->key[0] != '\0')
        g_object_set (sink, "streamid", dest->key, NULL);
    }
  linked = gst_element_link (mux, sink);
  if (dest->want_video)
    {
      GstElement *parse = cr_handoff_add_element (bin, "h264parse", NULL);
      /* In MPEG-TS the codec headers travel in band: SPS/PPS before every
       * keyframe. flvmux puts them in its own header instead. */
      if (dest->scheme == SCHEME_SRT)
        g_object_set (parse, "config-interval", -1, NULL);
      video_src = cr_handoff_make_src (bin, "video", VIDEO_MAX_BYTES);
      linked = linked && gst_element_link_many (GST_ELEMENT (video_src), parse, mux, NULL);
    }
  if (dest->want_audio)
    {
      GstElement *parse = cr_handoff_add_element (bin, "aacparse", NULL);
      audio_src = cr_handoff_make_src (bin, "audio", AUDIO_MAX_BYTES);
      linked = linked && gst_element_link_many (GST_ELEMENT (audio_src), parse, mux, NULL);
    }
  dest->sink = gst_object_ref (sink);

  bus = gst_pipeline_get_bus (GST_PIPELINE (dest->pipeline));
  dest->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (dest->bus_source, G_SOURCE_FUNC (bus_cb), dest, NULL);
  g_source_attach (dest->bus_source, dest->context);

  dest->pipeline_bytes = 0;
  dest->last_progress_us = g_get_monotonic_time ();
  dest->live_since_us = 0;

  if (!linked ||
      gst_element_set_state (dest->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      reconnect (dest, linked ? "the pipeline did not start" : "could not link the pipeline",
                 FALSE);
      return;
    }
  if (dest->scheme == SCHEME_RTMP)
    dest->sender = cr_rtmp_sender_new (dest->location, dest->key, dest->tls_ca_file,
                                       GST_APP_SINK (sink),
                                       dest->watchdog_s + SOCKET_TIMEOUT_EXTRA_S);

  g_mutex_lock (&dest->lock);
  cr_handoff_attach (&dest->handoff, video_src, audio_src);
  dest->queued_since_progress = 0;
  g_mutex_unlock (&dest->lock);
}

typedef struct {
  CrDestination *destination;     /* only touched if not cancelled */
  GCancellable *cancellable;
} Resolving;

static void
resolved_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Resolving *resolving = data;
  g_autoptr (GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  /* Cancelled on this context before the destination went away. */
  if (!g_cancellable_is_cancelled (resolving->cancellable))
    {
      CrDestination *dest = resolving->destination;
      g_clear_object (&dest->resolving);
      if (addresses == NULL)
        {
          g_autofree char *reason = g_strdup_printf ("could not resolve '%s': %s",
                                                     dest->srt_host, error->message);
          reconnect (dest, reason, FALSE);
        }
      else
        {
          g_autofree char *address = g_inet_address_to_string (addresses->data);
          build_pipeline (dest, address);
        }
    }
  g_resolver_free_addresses (addresses);
  g_object_unref (resolving->cancellable);
  g_free (resolving);
}

static void
build (CrDestination *dest)
{
  join_teardowns (dest, FALSE);
  set_state (dest, CR_DESTINATION_CONNECTING);
  if (dest->scheme == SCHEME_SRT && !g_hostname_is_ip_address (dest->srt_host))
    {
      /* srtsink would resolve in its state change, on this main loop. */
      g_autoptr (GResolver) resolver = g_resolver_get_default ();
      Resolving *resolving = g_new0 (Resolving, 1);
      resolving->destination = dest;
      resolving->cancellable = g_cancellable_new ();
      dest->resolving = g_object_ref (resolving->cancellable);
      g_main_context_push_thread_default (dest->context);
      g_resolver_lookup_by_name_async (resolver, dest->srt_host, resolving->cancellable,
                                       resolved_cb, resolving);
      g_main_context_pop_thread_default (dest->context);
      return;
    }
  build_pipeline (dest, dest->srt_host);
}

static gboolean
backoff_done (gpointer data)
{
  CrDestination *dest = data;
  g_clear_pointer (&dest->backoff_source, g_source_unref);
  build (dest);
  return G_SOURCE_REMOVE;
}

static void
reconnect (CrDestination *dest, const char *reason, gboolean stall)
{
  g_autofree char *clean = without_key (dest, reason);
  guint delay_ms;

  if (!dest->running || dest->backoff_source != NULL)
    return;

  /* A stream that was live for a while before this loss is a new outage:
   * its backoff starts again from the first delay. Judged here, at the
   * loss, from when it went live: not on a later tick that may never come
   * once the link is gone. A server that takes the stream and drops it at
   * once keeps the backoff growing. */
  if (dest->live_since_us != 0 &&
      g_get_monotonic_time () - dest->live_since_us >= LIVE_RESETS_BACKOFF_US)
    dest->next_backoff_ms = 0;
  dest->live_since_us = 0;

  detach_pipeline (dest, FALSE);

  /* 2 s, 3 s, 4.5 s, ... at most 60 s, each +-20 %. */
  if (dest->next_backoff_ms == 0)
    dest->next_backoff_ms = dest->backoff_initial_ms;
  delay_ms = (guint) (dest->next_backoff_ms * g_random_double_range (0.8, 1.2));
  delay_ms = MIN (delay_ms, dest->backoff_max_ms);
  dest->next_backoff_ms = MIN ((guint) (dest->next_backoff_ms * 1.5), dest->backoff_max_ms);

  g_mutex_lock (&dest->lock);
  dest->stats.reconnects++;
  if (stall)
    dest->stats.watchdog_stalls++;
  dest->stats.backoff_ms = delay_ms;
  g_free (dest->stats.last_error);
  dest->stats.last_error = g_strdup (clean);
  g_mutex_unlock (&dest->lock);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                    "CR_DESTINATION", cr_text_shown (dest->name),
                    "MESSAGE", "Stream '%s' to %s lost: %s; reconnecting in %.1f s",
                    cr_text_shown (dest->name), cr_text_shown (dest->url),
                    cr_text_shown (clean), delay_ms / 1000.0);

  dest->backoff_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (dest->backoff_source, backoff_done, dest, NULL);
  g_source_attach (dest->backoff_source, dest->context);
  set_state (dest, CR_DESTINATION_BACKOFF);
}

static gboolean
watchdog_tick (gpointer data)
{
  CrDestination *dest = data;
  gint64 now = g_get_monotonic_time ();
  guint64 total = 0, sent, delta = 0, waiting, oldest;
  gint64 oldest_us;
  gboolean started;

  if (dest->sender != NULL || dest->sink != NULL)
    {
      if (dest->sender != NULL)
        total = cr_rtmp_sender_get_bytes_sent (dest->sender);
      else
        {
          g_autoptr (GstStructure) sink_stats = NULL;
          g_object_get (dest->sink, "stats", &sink_stats, NULL);
          if (sink_stats != NULL)
            gst_structure_get_uint64 (sink_stats, "bytes-sent-total", &total);
        }
      if (total > dest->pipeline_bytes)
        delta = total - dest->pipeline_bytes;
      dest->pipeline_bytes = MAX (total, dest->pipeline_bytes);
    }

  g_mutex_lock (&dest->lock);
  dest->stats.bytes_sent += delta;
  sent = dest->stats.bytes_sent;
  started = dest->handoff.video_started || !dest->want_video;
  if (delta > 0)
    dest->queued_since_progress = 0;
  waiting = dest->queued_since_progress;
  g_mutex_unlock (&dest->lock);

  /* Bitrate over the last BITRATE_WINDOW ticks (bytes that left the sink). */
  if (dest->window_len == G_N_ELEMENTS (dest->window))
    {
      memmove (dest->window, dest->window + 1, sizeof dest->window - sizeof dest->window[0]);
      memmove (dest->window_us, dest->window_us + 1,
               sizeof dest->window_us - sizeof dest->window_us[0]);
      dest->window_len--;
    }
  dest->window[dest->window_len] = sent;
  dest->window_us[dest->window_len++] = now;
  oldest = dest->window[0];
  oldest_us = dest->window_us[0];
  g_mutex_lock (&dest->lock);
  /* bits per ms = kbit/s */
  dest->stats.bitrate_kbps = now > oldest_us
      ? (guint) ((sent - oldest) * 8 * 1000 / (guint64) (now - oldest_us)) : 0;
  g_mutex_unlock (&dest->lock);

  if (dest->pipeline == NULL)
    return G_SOURCE_CONTINUE;

  if (delta > 0)
    {
      dest->last_progress_us = now;
      if (dest->live_since_us == 0 && started)
        {
          dest->live_since_us = now;
          g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO,
                            "CR_DESTINATION", cr_text_shown (dest->name),
                            "MESSAGE", "Stream '%s' to %s is live", cr_text_shown (dest->name),
                            cr_text_shown (dest->url));
          set_state (dest, CR_DESTINATION_LIVE);
        }
    }
  else if (waiting > 0 && now - dest->last_progress_us >= dest->watchdog_s * G_USEC_PER_SEC)
    {
      g_autofree char *reason = g_strdup_printf (
          "watchdog: no progress, no bytes sent for %u s", dest->watchdog_s);
      reconnect (dest, reason, TRUE);
    }
  return G_SOURCE_CONTINUE;
}

void
cr_destination_start (CrDestination *dest)
{
  g_return_if_fail (dest != NULL);
  if (dest->running)
    return;
  dest->running = TRUE;
  dest->next_backoff_ms = 0;
  dest->window_len = 0;
  dest->watchdog_source = g_timeout_source_new (WATCHDOG_TICK_MS);
  g_source_set_callback (dest->watchdog_source, watchdog_tick, dest, NULL);
  g_source_attach (dest->watchdog_source, dest->context);
  build (dest);
}

void
cr_destination_stop (CrDestination *dest)
{
  g_return_if_fail (dest != NULL);
  dest->running = FALSE;
  if (dest->watchdog_source != NULL)
    {
      g_source_destroy (dest->watchdog_source);
      g_clear_pointer (&dest->watchdog_source, g_source_unref);
    }
  if (dest->backoff_source != NULL)
    {
      g_source_destroy (dest->backoff_source);
      g_clear_pointer (&dest->backoff_source, g_source_unref);
    }
  detach_pipeline (dest, TRUE);
  set_state (dest, CR_DESTINATION_STOPPED);
}

void
cr_destination_free (CrDestination *dest)
{
  if (dest == NULL)
    return;
  cr_destination_stop (dest);
  cr_destination_set_state_func (dest, NULL, NULL, NULL);
  join_teardowns (dest, TRUE);
  g_ptr_array_unref (dest->teardowns);
  cr_destination_stats_clear (&dest->stats);
  cr_handoff_clear (&dest->handoff);
  g_mutex_clear (&dest->lock);
  g_main_context_unref (dest->context);
  g_free (dest->name);
  g_free (dest->url);
  g_free (dest->key);
  g_free (dest->passphrase);
  g_free (dest->location);
  g_free (dest->tls_ca_file);
  g_free (dest->srt_host);
  g_free (dest->srt_query);
  g_free (dest);
}

void
cr_destination_get_stats (CrDestination *dest, CrDestinationStats *stats)
{
  g_return_if_fail (dest != NULL && stats != NULL);
  g_mutex_lock (&dest->lock);
  *stats = dest->stats;
  stats->dropped_video = dest->handoff.dropped_video;
  stats->dropped_audio = dest->handoff.dropped_audio;
  stats->last_error = g_strdup (dest->stats.last_error);
  g_mutex_unlock (&dest->lock);
}

void
cr_destination_stats_clear (CrDestinationStats *stats)
{
  if (stats != NULL)
    g_clear_pointer (&stats->last_error, g_free);
}
