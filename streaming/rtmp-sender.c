/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmp-sender.c: see rtmp-sender.h.
 *
 * Why the TCP connect is ours and not RTMP_Connect()'s: librtmp's
 * RTMP_Connect0() calls a blocking connect(2) with no timeout (its
 * "timeout=" option only becomes SO_RCVTIMEO afterwards), resolves with
 * gethostbyname (IPv4 only, not cancellable), and creates the socket where
 * no other thread can see it. So this file resolves with GResolver
 * (cancellable), connects non-blocking with a poll(2) bounded by the
 * timeout and woken by the cancellable, sets SO_SNDTIMEO and SO_RCVTIMEO,
 * and hands the connected socket to librtmp, which does the rest
 * (RTMP_Connect1: handshake, connect; then RTMP_ConnectStream: publish).
 *
 * Why the TLS of rtmps:// is ours too: librtmp's (Debian's is built with
 * GnuTLS: TLS_client in rtmp_sys.h) sends no server name and never checks
 * the certificate, so any server that answers on the address would get
 * the stream key. Here GnuTLS does the handshake on the connected socket,
 * with SNI, and gnutls_session_set_verify_cert() makes it fail unless the
 * chain leads to a trusted CA (the system's, or the stream's tls_ca_file)
 * and the certificate names the host; the key goes out only afterwards,
 * in the publish. The session is then handed to librtmp: RTMPSockBuf_Send
 * and RTMPSockBuf_Fill go through m_sb.sb_ssl (gnutls_record_send/recv)
 * whenever it is set, and RTMP_Connect1 only starts a TLS of its own when
 * Link.protocol has RTMP_FEATURE_SSL, so that flag is cleared first (the
 * only other place librtmp reads it is RTMP_SetupURL, for the default
 * port 443). From then on the session is librtmp's: RTMPSockBuf_Close,
 * called by RTMP_Close (ours, or librtmp's own after a failed send or
 * receive), does gnutls_bye, gnutls_deinit and clears sb_ssl before it
 * closes the socket, so this file never frees a session it handed over,
 * and frees the credentials the session uses only after RTMP_Close.
 *
 * Why a dup(2) of the socket: librtmp closes its socket by itself on any
 * send or receive error (WriteN, ReadN call RTMP_Close), so its descriptor
 * number can be reused by anything at any moment. The dup keeps the same
 * socket open until the thread is joined, and shutdown(2) on it from the
 * stopping thread wakes whatever librtmp is blocked in, plain or TLS.
 *
 * How RTMP_Write is fed: like gst-plugins-bad's rtmpsink, the caps'
 * streamheader (FLV header, onMetaData, AVC and AAC sequence headers) goes
 * first on every connection and the header buffers of the stream are
 * skipped. RTMP_Write parses an FLV tag header at the start of each call
 * and reads past the end of a buffer that stops inside one (it skips a
 * 13-byte FLV file header and then reads 11 bytes without a length check),
 * so it is given exactly one whole tag per call. */
#include "streaming/rtmp-sender.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <librtmp/log.h>
#include <librtmp/rtmp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config/text.h"
GST_DEBUG_CATEGORY_STATIC (cr_rtmp_sender_debug);
#define GST_CAT_DEFAULT cr_rtmp_sender_debug

#define PULL_TIMEOUT (100 * GST_MSECOND) /* how often the thread looks at stopping */
#define FLV_TAG_HEADER 11
#define FLV_TAG_TRAILER 4                /* PreviousTagSize */

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_certificate_credentials_t,
                                 gnutls_certificate_free_credentials, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_session_t, gnutls_deinit, NULL)

struct CrRtmpSender {
  char *location;                 /* never logged */
  char *key;                      /* never logged; NULL if none */
  char *tls_ca_file;              /* rtmps://: PEM CA file; NULL: the system's */
  GstAppSink *sink;
  guint timeout_s;
  GCancellable *cancellable;      /* cancelled at stop: resolve, connect */
  gint stopping;                  /* atomic */
  GThread *thread;

  GMutex lock;                    /* protects socket_fd and bytes_sent */
  int socket_fd;                  /* dup of librtmp's socket, or -1 */
  guint64 bytes_sent;
};

/* The stream keys of every sender alive, masked in librtmp's log lines:
 * librtmp's log callback is process-wide and says nothing of whose
 * connection a line is about. */
static GMutex keys_lock;          /* protects keys */
static GPtrArray *keys;           /* char *, borrowed from the senders */
/* Per thread: the first error line librtmp logged since librtmp_reset(),
 * masked, for our errors. The first, because librtmp's own clean-up after
 * a failure logs more (a failed send closes the socket, then tries to
 * send deleteStream on it). */
static GPrivate first_error = G_PRIVATE_INIT (g_free);

/* @text with every registered key replaced by "***". (transfer full) */
static char *
mask_keys (const char *text)
{
  g_autoptr (GString) out = g_string_new (text);
  g_mutex_lock (&keys_lock);
  for (guint i = 0; keys != NULL && i < keys->len; i++)
    g_string_replace (out, g_ptr_array_index (keys, i), "***", 0);
  g_mutex_unlock (&keys_lock);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
rtmp_log (int level, const char *format, va_list args)
{
  g_autofree char *raw = g_strdup_vprintf (format, args);
  g_autofree char *text = mask_keys (g_strchomp (raw));

  if (level <= RTMP_LOGERROR && g_private_get (&first_error) == NULL)
    g_private_set (&first_error, g_strdup (text));
  /* Errors are reported once, by whoever handles the failure; here they
   * are only traces. */
  GST_CAT_LEVEL_LOG (cr_rtmp_sender_debug,
                     level <= RTMP_LOGWARNING ? GST_LEVEL_INFO : GST_LEVEL_DEBUG,
                     NULL, "librtmp: %s", cr_text_shown (text));
}

static void
librtmp_reset (void)
{
  g_private_replace (&first_error, NULL);
}

static const char *
librtmp_said (void)
{
  const char *text = g_private_get (&first_error);
  return text != NULL ? text : "no detail from librtmp";
}

/* The errno of the send librtmp logged as failed ("WriteN, RTMP send error
 * 104 (...)"), or 0: errno itself is gone by the time RTMP_Write returns. */
static int
librtmp_send_errno (void)
{
  const char *text = g_private_get (&first_error);
  const char *at = text != NULL ? strstr (text, "send error ") : NULL;
  int code = 0;
  if (at == NULL || sscanf (at, "send error %d", &code) != 1)
    return 0;
  return code;
}

static void
init_once (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      RTMP *rtmp;
      GST_DEBUG_CATEGORY_INIT (cr_rtmp_sender_debug, "courtrec-rtmp", 0,
                               "courtrec RTMP connections (librtmp)");
      keys = g_ptr_array_new ();
      RTMP_LogSetCallback (rtmp_log);
      RTMP_LogSetLevel (gst_debug_category_get_threshold (cr_rtmp_sender_debug)
                        >= GST_LEVEL_DEBUG ? RTMP_LOGDEBUG : RTMP_LOGWARNING);
      /* The first RTMP_Init() sets up librtmp's global TLS context, with no
       * lock: do it once here, not in racing sender threads. */
      rtmp = RTMP_Alloc ();
      RTMP_Init (rtmp);
      RTMP_Free (rtmp);
      g_once_init_leave (&done, 1);
    }
}

/* Posts the failure on the sink's bus, unless the sender is stopping (then
 * nobody listens, and the failure is ours). */
G_GNUC_PRINTF (2, 3) static void
fail (CrRtmpSender *sender, const char *format, ...)
{
  va_list args;
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (g_atomic_int_get (&sender->stopping))
    return;
  va_start (args, format);
  raw = g_strdup_vprintf (format, args);
  va_end (args);
  text = mask_keys (raw);
  GST_DEBUG ("connection failed: %s", cr_text_shown (text));
  error = g_error_new_literal (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE, text);
  gst_element_post_message (GST_ELEMENT (sender->sink),
                            gst_message_new_error (GST_OBJECT (sender->sink), error, NULL));
}

/* ---- TCP ------------------------------------------------------------------ */

/* A blocking socket connected to @address within the timeout, or -1. */
static int
connect_one (CrRtmpSender *sender, const struct sockaddr *address, socklen_t length,
             GError **error)
{
  int fd = socket (address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   IPPROTO_TCP);
  int status = 0;
  socklen_t status_length = sizeof status;

  if (fd < 0)
    {
      status = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (status), "%s",
                   g_strerror (status));
      return -1;
    }
  if (connect (fd, address, length) < 0 && errno != EINPROGRESS)
    status = errno;
  else
    {
      struct pollfd fds[2] = { { .fd = fd, .events = POLLOUT }, { .fd = -1 } };
      GPollFD cancel;
      gboolean cancellable = g_cancellable_make_pollfd (sender->cancellable, &cancel);
      int ready;

      if (cancellable)
        {
          fds[1].fd = cancel.fd;
          fds[1].events = POLLIN;
        }
      do
        ready = poll (fds, 2, (int) sender->timeout_s * 1000);
      while (ready < 0 && errno == EINTR);
      if (cancellable)
        g_cancellable_release_fd (sender->cancellable);

      if (g_cancellable_is_cancelled (sender->cancellable))
        status = ECANCELED;
      else if (ready == 0)
        status = ETIMEDOUT;
      else if (ready < 0 || getsockopt (fd, SOL_SOCKET, SO_ERROR, &status, &status_length) < 0)
        status = errno;
    }
  if (status == 0 && fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) < 0)
    status = errno;
  if (status != 0)
    {
      close (fd);
      if (status == ETIMEDOUT)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                     "no answer within %u s", sender->timeout_s);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (status), "%s",
                     g_strerror (status));
      return -1;
    }
  return fd;
}

static int
connect_tcp (CrRtmpSender *sender, const char *host, guint16 port, GError **error)
{
  g_autoptr (GResolver) resolver = g_resolver_get_default ();
  GList *addresses = g_resolver_lookup_by_name (resolver, host, sender->cancellable, error);
  int fd = -1;

  for (GList *l = addresses; l != NULL && fd < 0; l = l->next)
    {
      g_autoptr (GSocketAddress) address = g_inet_socket_address_new (l->data, port);
      struct sockaddr_storage native;

      g_clear_error (error);
      if (g_socket_address_to_native (address, &native, sizeof native, error))
        fd = connect_one (sender, (struct sockaddr *) &native,
                          g_socket_address_get_native_size (address), error);
    }
  g_resolver_free_addresses (addresses);
  return fd;
}

static void
set_timeouts (CrRtmpSender *sender, int fd)
{
  struct timeval timeout = { .tv_sec = sender->timeout_s };
  int on = 1;

  if (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) < 0 ||
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
    GST_WARNING ("could not set the socket timeouts: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

/* ---- TLS ------------------------------------------------------------------ */

/* Why @status (gnutls_certificate_status_t) refused the certificate of
 * @host. (transfer full) */
static char *
untrusted (const char *host, unsigned int status)
{
  static const struct {
    unsigned int flag;
    const char *reason;
  } reasons[] = {
    { GNUTLS_CERT_SIGNER_NOT_FOUND, "signer not found" },
    { GNUTLS_CERT_SIGNER_NOT_CA, "signed by a certificate that is not a CA" },
    { GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "the signer may not sign it" },
    { GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
    { GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
    { GNUTLS_CERT_EXPIRED, "expired" },
    { GNUTLS_CERT_NOT_ACTIVATED, "not yet valid" },
    { GNUTLS_CERT_REVOKED, "revoked" },
    { GNUTLS_CERT_PURPOSE_MISMATCH, "not for a TLS server" },
  };
  g_autoptr (GString) why = g_string_new (NULL);
  gboolean wrong_name = (status & GNUTLS_CERT_UNEXPECTED_OWNER) != 0;

  for (gsize i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (status & reasons[i].flag)
      g_string_append_printf (why, "%s%s", why->len > 0 ? ", " : "", reasons[i].reason);
  if (why->len == 0 && !wrong_name)
    {
      gnutls_datum_t text = { NULL, 0 };
      if (gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &text, 0) == 0)
        g_string_append_len (why, (const char *) text.data, text.size);
      gnutls_free (text.data);
      if (why->len == 0)
        g_string_printf (why, "status 0x%x", status);
    }
  if (why->len == 0)
    return g_strdup_printf ("The certificate of %s does not match the host name", host);
  return g_strdup_printf ("The certificate of %s is not trusted (%s)%s", host, why->str,
                          wrong_name ? " and does not match the host name" : "");
}

/* The CA certificates a server's must chain to: the PEM file, or the
 * system's. FALSE if there are none. */
static gboolean
load_trust (CrRtmpSender *sender, gnutls_certificate_credentials_t credentials,
            GError **error)
{
  int loaded;

  if (sender->tls_ca_file != NULL)
    {
      loaded = gnutls_certificate_set_x509_trust_file (credentials, sender->tls_ca_file,
                                                       GNUTLS_X509_FMT_PEM);
      if (loaded <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "No CA certificate could be read from '%s' (tls_ca_file): %s",
                       sender->tls_ca_file,
                       loaded < 0 ? gnutls_strerror (loaded) : "no PEM certificate in it");
          return FALSE;
        }
    }
  else
    {
      loaded = gnutls_certificate_set_x509_system_trust (credentials);
      if (loaded <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The system has no trusted CA certificates (%s)",
                       loaded < 0 ? gnutls_strerror (loaded) : "none found");
          return FALSE;
        }
    }
  GST_DEBUG ("%d trusted CA certificates from %s", loaded,
             sender->tls_ca_file != NULL ? cr_text_shown (sender->tls_ca_file) : "the system");
  return TRUE;
}

/* The TLS handshake on the connected socket @fd, with @host as the server
 * name and the name the certificate must hold. Returns the verified
 * session, which uses @credentials (they must outlive it), or NULL.
 * Bounded by the socket timeouts, and woken by shutdown(2). */
static gnutls_session_t
tls_handshake (CrRtmpSender *sender, int fd, const char *host,
               gnutls_certificate_credentials_t credentials, GError **error)
{
  g_auto (gnutls_session_t) session = NULL;
  int code;

  if ((code = gnutls_init (&session, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL)) < 0 ||
      (code = gnutls_set_default_priority (session)) < 0 ||
      (code = gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, credentials)) < 0 ||
      (!g_hostname_is_ip_address (host) &&
       (code = gnutls_server_name_set (session, GNUTLS_NAME_DNS, host, strlen (host))) < 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not set up TLS: %s",
                   gnutls_strerror (code));
      return NULL;
    }
  /* The handshake fails unless the chain and the host name are good. */
  gnutls_session_set_verify_cert (session, host, 0);
  gnutls_transport_set_int (session, fd);

  /* Blocking socket: GNUTLS_E_AGAIN is SO_RCVTIMEO or SO_SNDTIMEO. */
  do
    code = gnutls_handshake (session);
  while (code < 0 && code != GNUTLS_E_AGAIN && !gnutls_error_is_fatal (code));

  if (code == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
    {
      g_autofree char *why = untrusted (host, gnutls_session_get_verify_cert_status (session));
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, why);
      return NULL;
    }
  if (code == GNUTLS_E_AGAIN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "The TLS handshake with %s timed out: no answer within %u s", host,
                   sender->timeout_s);
      return NULL;
    }
  if (code < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The TLS handshake with %s failed: %s", host, gnutls_strerror (code));
      return NULL;
    }
  if (GST_LEVEL_DEBUG <= gst_debug_category_get_threshold (cr_rtmp_sender_debug))
    {
      char *description = gnutls_session_get_desc (session);
      GST_DEBUG ("TLS with %s, certificate verified: %s", cr_text_shown (host),
                 cr_text_shown (description));
      gnutls_free (description);
    }
  return g_steal_pointer (&session);
}

/* ---- FLV out ---------------------------------------------------------------- */

static void
count (CrRtmpSender *sender, gsize bytes)
{
  g_mutex_lock (&sender->lock);
  sender->bytes_sent += bytes;
  g_mutex_unlock (&sender->lock);
}

/* Writes @buffer's FLV tags, one RTMP_Write() per whole tag (see the top
 * of the file); skips an FLV file header. */
static gboolean
write_flv (CrRtmpSender *sender, RTMP *rtmp, GstBuffer *buffer, const char *peer)
{
  GstMapInfo map;
  gsize offset = 0;
  gboolean ok = TRUE;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      fail (sender, "Could not read the FLV stream");
      return FALSE;
    }
  if (map.size >= 9 + FLV_TAG_TRAILER && memcmp (map.data, "FLV", 3) == 0)
    {
      /* Unaligned: GST_READ_UINT32_BE reads it as a guint32 where the CPU
       * allows, which the sanitizer rightly flags. */
      guint32 header_size;
      memcpy (&header_size, map.data + 5, sizeof header_size);
      offset = GUINT32_FROM_BE (header_size) + FLV_TAG_TRAILER;
    }
  while (ok && offset < map.size)
    {
      gsize left = map.size - offset, tag;
      int code;

      tag = left >= FLV_TAG_HEADER
            ? FLV_TAG_HEADER + GST_READ_UINT24_BE (map.data + offset + 1) + FLV_TAG_TRAILER
            : G_MAXSIZE;
      if (tag > left || tag > G_MAXINT)
        {
          fail (sender, "The FLV stream has a truncated tag (%" G_GSIZE_FORMAT
                " bytes left at %" G_GSIZE_FORMAT ")", left, offset);
          ok = FALSE;
          break;
        }
      librtmp_reset ();
      ok = RTMP_Write (rtmp, (const char *) map.data + offset, (int) tag) > 0;
      if (!ok)
        {
          code = librtmp_send_errno ();
          if (code == EAGAIN || code == EWOULDBLOCK)
            fail (sender, "Sending to %s timed out: the server read nothing for %u s",
                  peer, sender->timeout_s);
          else if (code != 0)
            fail (sender, "Sending to %s failed: %s", peer, g_strerror (code));
          else
            fail (sender, "Sending to %s failed (%s)", peer, librtmp_said ());
          break;
        }
      count (sender, tag);
      offset += tag;
    }
  gst_buffer_unmap (buffer, &map);
  return ok;
}

/* The FLV header and the codec headers flvmux put in its caps. */
static gboolean
write_headers (CrRtmpSender *sender, RTMP *rtmp, GstCaps *caps, const char *peer)
{
  const GValue *headers = NULL;
  g_autoptr (GstBuffer) all = gst_buffer_new ();

  if (caps != NULL && gst_caps_get_size (caps) > 0)
    headers = gst_structure_get_value (gst_caps_get_structure (caps, 0), "streamheader");
  if (headers == NULL || !GST_VALUE_HOLDS_ARRAY (headers) ||
      gst_value_array_get_size (headers) == 0)
    {
      fail (sender, "The FLV stream has no codec headers");
      return FALSE;
    }
  for (guint i = 0; i < gst_value_array_get_size (headers); i++)
    {
      const GValue *value = gst_value_array_get_value (headers, i);
      if (GST_VALUE_HOLDS_BUFFER (value))
        all = gst_buffer_append (all, gst_buffer_ref (gst_value_get_buffer (value)));
    }
  return write_flv (sender, rtmp, all, peer);
}

/* Handles what the server sent meanwhile (acknowledgements, pings, chunk
 * sizes, a close), so that a server that expects answers keeps the stream
 * and one that closes it is noticed at once. */
static gboolean
read_incoming (CrRtmpSender *sender, RTMP *rtmp, const char *peer)
{
  struct pollfd readable = { .fd = RTMP_Socket (rtmp), .events = POLLIN };

  librtmp_reset ();

  while (RTMP_IsConnected (rtmp) && poll (&readable, 1, 0) > 0)
    {
      RTMPPacket packet = { 0 };
      while (RTMP_ReadPacket (rtmp, &packet) && !RTMPPacket_IsReady (&packet))
        ;
      if (!RTMPPacket_IsReady (&packet))
        {
          RTMPPacket_Free (&packet);
          fail (sender, "%s closed the connection", peer);
          return FALSE;
        }
      RTMP_ClientPacket (rtmp, &packet);
      RTMPPacket_Free (&packet);
    }
  if (!RTMP_IsConnected (rtmp))
    {
      fail (sender, "%s closed the stream (%s)", peer, librtmp_said ());
      return FALSE;
    }
  return TRUE;
}

static void
stream (CrRtmpSender *sender, RTMP *rtmp, const char *peer)
{
  gboolean sent_headers = FALSE;

  while (!g_atomic_int_get (&sender->stopping))
    {
      g_autoptr (GstSample) sample = gst_app_sink_try_pull_sample (sender->sink, PULL_TIMEOUT);
      GstBuffer *buffer;

      if (sample == NULL)
        {
          if (gst_app_sink_is_eos (sender->sink))
            return; /* the pipeline posts the EOS itself */
          if (!read_incoming (sender, rtmp, peer))
            return;
          continue;
        }
      buffer = gst_sample_get_buffer (sample);
      if (buffer == NULL || GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER))
        continue; /* the caps' streamheader has them */
      if (!sent_headers)
        {
          if (!write_headers (sender, rtmp, gst_sample_get_caps (sample), peer))
            return;
          sent_headers = TRUE;
        }
      if (!write_flv (sender, rtmp, buffer, peer) || !read_incoming (sender, rtmp, peer))
        return;
    }
}

/* Connects and publishes, then streams until a failure or the stop.
 * rtmps://: *credentials are set to those of the TLS session handed to
 * @rtmp; free them after RTMP_Close(). */
static void
run (CrRtmpSender *sender, RTMP *rtmp, char *url,
     gnutls_certificate_credentials_t *credentials)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *peer = NULL;
  guint16 port;
  int fd, copy;

  librtmp_reset ();
  if (!RTMP_SetupURL (rtmp, url))
    {
      fail (sender, "Not a valid RTMP URL (%s)", librtmp_said ());
      return;
    }
  RTMP_EnableWrite (rtmp);
  host = g_strndup (rtmp->Link.hostname.av_val, rtmp->Link.hostname.av_len);
  port = rtmp->Link.port; /* RTMP_SetupURL: 1935, or 443 for rtmps:// */
  peer = g_strdup_printf ("%s:%u", host, port);

  fd = connect_tcp (sender, host, port, &error);
  if (fd < 0)
    {
      fail (sender, "Could not connect to %s: %s", peer, error->message);
      return;
    }
  set_timeouts (sender, fd);
  copy = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  g_mutex_lock (&sender->lock);
  sender->socket_fd = copy;
  g_mutex_unlock (&sender->lock);
  rtmp->m_sb.sb_socket = fd; /* librtmp's from now on: RTMP_Close() closes it */
  if (copy < 0)
    {
      fail (sender, "Could not duplicate the socket to %s: %s", peer, g_strerror (errno));
      return;
    }
  if (g_atomic_int_get (&sender->stopping))
    return;

  if (rtmp->Link.protocol & RTMP_FEATURE_SSL)
    {
      gnutls_session_t session;

      GST_DEBUG ("connected to %s, TLS handshake", cr_text_shown (peer));
      if (gnutls_certificate_allocate_credentials (credentials) < 0)
        {
          fail (sender, "Could not set up TLS for %s: out of memory", peer);
          return;
        }
      if (!load_trust (sender, *credentials, &error))
        {
          fail (sender, "%s", error->message);
          return;
        }
      session = tls_handshake (sender, fd, host, *credentials, &error);
      if (session == NULL)
        {
          fail (sender, "%s", error->message);
          return;
        }
      /* librtmp's from now on (see the top of the file). */
      rtmp->m_sb.sb_ssl = session;
      rtmp->Link.protocol &= ~RTMP_FEATURE_SSL;
    }

  GST_DEBUG ("connected to %s, RTMP handshake", cr_text_shown (peer));
  librtmp_reset ();
  if (!RTMP_Connect1 (rtmp, NULL))
    {
      fail (sender, "The RTMP handshake with %s failed (%s)", peer, librtmp_said ());
      return;
    }
  librtmp_reset ();
  if (!RTMP_ConnectStream (rtmp, 0))
    {
      fail (sender, "%s did not accept the stream (%s)", peer, librtmp_said ());
      return;
    }
  GST_DEBUG ("publishing to %s", cr_text_shown (peer));
  stream (sender, rtmp, peer);
}

static gpointer
sender_thread (gpointer data)
{
  CrRtmpSender *sender = data;
  g_autofree char *url = g_strdup (sender->location); /* librtmp points into it */
  /* Freed on return, after RTMP_Close(): the TLS session librtmp frees
   * there uses them. */
  g_auto (gnutls_certificate_credentials_t) credentials = NULL;
  RTMP *rtmp = RTMP_Alloc ();
  sigset_t pipe;

  /* librtmp sends with send(2) without MSG_NOSIGNAL: a connection reset
   * must fail the write, not kill the process. A SIGPIPE this thread
   * raises stays pending on it, blocked, and goes with it. */
  sigemptyset (&pipe);
  sigaddset (&pipe, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe, NULL);

  RTMP_Init (rtmp);
  run (sender, rtmp, url, &credentials);
  RTMP_Close (rtmp); /* bounded: socket timeouts, or shut down by free() */
  RTMP_Free (rtmp);
  return NULL;
}

/* ---- public ------------------------------------------------------------------ */

CrRtmpSender *
cr_rtmp_sender_new (const char *location, const char *key, const char *tls_ca_file,
                    GstAppSink *sink, guint timeout_s)
{
  CrRtmpSender *sender;

  g_return_val_if_fail (location != NULL, NULL);
  g_return_val_if_fail (GST_IS_APP_SINK (sink), NULL);
  g_return_val_if_fail (timeout_s > 0, NULL);

  init_once ();
  sender = g_new0 (CrRtmpSender, 1);
  sender->location = g_strdup (location);
  sender->key = key != NULL && key[0] != '\0' ? g_strdup (key) : NULL;
  sender->tls_ca_file = g_strdup (tls_ca_file);
  sender->sink = gst_object_ref (sink);
  sender->timeout_s = timeout_s;
  sender->cancellable = g_cancellable_new ();
  sender->socket_fd = -1;
  g_mutex_init (&sender->lock);
  if (sender->key != NULL)
    {
      g_mutex_lock (&keys_lock);
      g_ptr_array_add (keys, sender->key);
      g_mutex_unlock (&keys_lock);
    }
  sender->thread = g_thread_new ("cr-rtmp-sender", sender_thread, sender);
  return sender;
}

guint64
cr_rtmp_sender_get_bytes_sent (CrRtmpSender *sender)
{
  guint64 bytes;
  g_return_val_if_fail (sender != NULL, 0);
  g_mutex_lock (&sender->lock);
  bytes = sender->bytes_sent;
  g_mutex_unlock (&sender->lock);
  return bytes;
}

void
cr_rtmp_sender_free (CrRtmpSender *sender)
{
  if (sender == NULL)
    return;

  g_atomic_int_set (&sender->stopping, 1);
  g_cancellable_cancel (sender->cancellable);
  g_mutex_lock (&sender->lock);
  if (sender->socket_fd >= 0)
    shutdown (sender->socket_fd, SHUT_RDWR);
  g_mutex_unlock (&sender->lock);
  g_thread_join (sender->thread);

  if (sender->socket_fd >= 0)
    close (sender->socket_fd);
  if (sender->key != NULL)
    {
      g_mutex_lock (&keys_lock);
      g_ptr_array_remove (keys, sender->key);
      g_mutex_unlock (&keys_lock);
    }
  g_mutex_clear (&sender->lock);
  g_object_unref (sender->cancellable);
  gst_object_unref (sender->sink);
  g_free (sender->key);
  g_free (sender->tls_ca_file);
  g_free (sender->location);
  g_free (sender);
}
