/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-web-files.c: the copies' files: HLS and chapters read on every
 * request against the grant, the downloads of mode copy streamed and
 * audited (access-web-private.h). */
#include "recorder/access-web-private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/text.h"
#include "recorder/access-download.h"

typedef struct {
  CrAccessWeb *web;
  gint64 grant_id;
  gint64 session_id;
  char *file;
  char *address;
} DownloadAudit;

static void
download_audit_free (gpointer data)
{
  DownloadAudit *audit = data;
  g_free (audit->file);
  g_free (audit->address);
  g_free (audit);
}

static void
download_done (guint64 bytes, gboolean complete, gpointer user_data)
{
  DownloadAudit *audit = user_data;
  CrAccessService *svc = cr_access_web_service_of (audit->web);
  g_autoptr (JsonBuilder) detail = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;

  audit->web->downloads--;
  json_builder_begin_object (detail);
  json_builder_set_member_name (detail, "address");
  json_builder_add_string_value (detail, audit->address);
  json_builder_set_member_name (detail, "session");
  json_builder_add_int_value (detail, audit->session_id);
  json_builder_set_member_name (detail, "file");
  json_builder_add_string_value (detail, audit->file);
  json_builder_set_member_name (detail, "bytes");
  json_builder_add_int_value (detail, (gint64) bytes);
  json_builder_set_member_name (detail, "complete");
  json_builder_add_boolean_value (detail, complete);
  json_builder_end_object (detail);
  root = json_builder_get_root (detail);
  json = json_to_string (root, FALSE);
  g_message ("Access download: grant G%" G_GINT64_FORMAT " session %" G_GINT64_FORMAT
             " %s to %s, %" G_GUINT64_FORMAT " bytes%s", audit->grant_id, audit->session_id,
             audit->file, cr_text_shown (audit->address), bytes, complete ? "" : " (cut short)");
  if (svc != NULL && !cr_access_service_record (svc, audit->grant_id, CR_EVENT_DOWNLOAD, json,
                                                &error))
    g_warning ("Access: the download event of grant G%" G_GINT64_FORMAT
               " was not recorded: %s", audit->grant_id, error->message);
}

/* Lives as long as the request's message (its data): a connection that
 * went away before it could be taken still gives back its descriptor and
 * its place among the downloads. */
/* A long download ends when the grant does. */
static gboolean
download_allowed (gpointer user_data)
{
  DownloadAudit *audit = user_data;
  CrAccessService *svc = cr_access_web_service_of (audit->web);
  CrAccessState state = svc != NULL ? cr_access_service_check (svc, audit->grant_id)
                                    : CR_ACCESS_STATE_UNKNOWN;

  return state == CR_ACCESS_STATE_READY || state == CR_ACCESS_STATE_PENDING;
}

typedef struct {
  CrAccessWeb *web;
  int fd;
  const char *content_type;
  char *file_name;
  DownloadAudit *audit;
} PendingDownload;

static void
pending_download_free (gpointer data)
{
  PendingDownload *pending = data;

  if (pending->audit != NULL)
    {
      pending->web->downloads--;
      download_audit_free (pending->audit);
    }
  if (pending->fd >= 0)
    close (pending->fd);
  g_free (pending->file_name);
  g_free (pending);
}

static void
take_download (GIOStream *stream, GSocket *socket, gpointer user_data)
{
  PendingDownload *pending = user_data;
  DownloadAudit *audit = g_steal_pointer (&pending->audit);
  int fd = pending->fd;

  pending->fd = -1;
  /* A small send buffer: what the audit counts as sent is then what the
   * client took, within 64 kB, not what the kernel was handed. */
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, DOWNLOAD_SEND_BUFFER, NULL);
  cr_access_download_start (stream, fd, pending->content_type, pending->file_name,
                            download_allowed, download_done, audit, download_audit_free);
}

/* A plain name of a copy's file: never a path, never hidden. */
static gboolean
plain_name (const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strstr (name, "..") != NULL || strlen (name) > 128)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return FALSE;
  return TRUE;
}

static const char *
hls_type (const char *name)
{
  if (g_str_has_suffix (name, ".m3u8"))
    return MPEGURL;
  if (g_str_has_suffix (name, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (name, ".m4s") || g_str_has_suffix (name, ".mp4"))
    return "video/mp4";
  if (g_str_has_suffix (name, ".aac"))
    return "audio/aac";
  return NULL;
}

static const char *
download_type (const char *name)
{
  if (g_str_equal (name, "copy.mp4"))
    return "video/mp4";
  if (g_str_equal (name, "copy.mp4.manifest.json"))
    return "application/json";
  if (g_str_equal (name, "copy.mp4.manifest.sig"))
    return "application/octet-stream";
  return NULL;
}

/* @path under @dir opened for reading if it is a regular file, else -1.
 * O_NOFOLLOW: a link must not lead out of the copy; O_NONBLOCK: a FIFO
 * must not hang the main loop. */
static int
open_regular (const char *path, struct stat *st)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return -1;
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
    {
      close (fd);
      return -1;
    }
  return fd;
}

static void
serve_small_file (SoupServerMessage *msg, const char *path, const char *content_type,
                  const char *cache_control)
{
  g_autofree char *data = NULL;
  struct stat st;
  gsize length;
  GBytes *body;
  int fd = open_regular (path, &st);

  if (fd < 0 || st.st_size > MAX_HLS_BYTES)
    {
      if (fd >= 0)
        close (fd);
      cr_access_web_not_found (msg);
      return;
    }
  close (fd);
  /* The copy is written once and renamed into place whole: a read
   * never meets it half-written. */
  if (!g_file_get_contents (path, &data, &length, NULL))
    {
      cr_access_web_not_found (msg);
      return;
    }
  body = g_bytes_new_take (g_steal_pointer (&data), length);
  cr_access_web_respond (msg, SOUP_STATUS_OK, content_type, cache_control, body);
  g_bytes_unref (body);
}

static void
serve_download (CrAccessWeb *web, SoupServerMessage *msg, const CrAccessLogin *login,
                gint64 session_id, const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char *content_type = download_type (name);
  g_autofree char *file_name = NULL;
  PendingDownload *pending;
  DownloadAudit *audit;
  struct stat st;
  int fd;

  /* Mode review never downloads: to it the files are not there. */
  if (!login->copy_mode || content_type == NULL)
    {
      cr_access_web_not_found (msg);
      return;
    }
  fd = open_regular (path, &st);
  if (fd < 0)
    {
      cr_access_web_not_found (msg);
      return;
    }
  /* Named for what it is: the case's grant and session, not "copy". */
  file_name = g_strdup_printf ("G%" G_GINT64_FORMAT "-S%" G_GINT64_FORMAT "-%s",
                               login->grant_id, session_id, name);
  if (g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_HEAD))
    {
      g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s\"", file_name);
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
      close (fd);
      soup_message_headers_replace (headers, "Content-Disposition", disposition);
      cr_access_web_respond (msg, SOUP_STATUS_OK, content_type, NULL, NULL);
      soup_message_headers_set_content_type (headers, content_type, NULL);
      soup_message_headers_set_content_length (headers, st.st_size);
      return;
    }
  if (web->downloads >= MAX_DOWNLOADS)
    {
      close (fd);
      cr_access_web_set_retry_after (msg, 30);
      cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
                                   "Too many downloads at once: try again in a moment");
      return;
    }
  web->downloads++;
  audit = g_new0 (DownloadAudit, 1);
  audit->web = web;
  audit->grant_id = login->grant_id;
  audit->session_id = session_id;
  audit->file = g_strdup (name);
  audit->address = g_strdup (cr_access_web_address_of (msg));
  pending = g_new0 (PendingDownload, 1);
  pending->web = web;
  pending->fd = fd;
  pending->content_type = content_type;
  pending->file_name = g_steal_pointer (&file_name);
  pending->audit = audit;
  g_object_set_data_full (G_OBJECT (msg), "courtrec-access-download", pending,
                          pending_download_free);
  cr_http_server_take_connection (web->http, msg, take_download, pending);
}

/* /access/s/SESSION/...: @rest is what follows "/access/s/". */
void
cr_access_web_serve_session_file (CrAccessWeb *web, SoupServerMessage *msg, const char *rest)
{
  g_auto (GStrv) parts = g_strsplit (rest, "/", 0);
  guint n = g_strv_length (parts);
  CrAccessLogin *login;
  g_autofree char *dir = NULL;
  gint64 session_id = 0;
  guint64 value;

  login = cr_access_web_require_login (web, msg);
  if (login == NULL)
    return;
  if (!cr_access_web_require_live_grant (web, msg, login))
    return;
  if (n < 2 || n > 3 || parts[0][0] == '\0' || strlen (parts[0]) > 18 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXINT64, &value, NULL))
    {
      cr_access_web_not_found (msg);
      return;
    }
  session_id = (gint64) value;
  if (cr_access_web_login_covers (login, session_id))
    dir = cr_access_service_copy_dir (cr_access_web_service_of (web), login->grant_id, session_id);
  if (dir == NULL)
    {
      cr_access_web_not_found (msg);
      return;
    }
  if (n == 3 && g_str_equal (parts[1], "hls") && plain_name (parts[2]) &&
      hls_type (parts[2]) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, "hls", parts[2], NULL);
      /* A login that ends must not leave a copy in a shared cache. */
      serve_small_file (msg, path, hls_type (parts[2]), "private, no-store");
    }
  else if (n == 2 && g_str_equal (parts[1], "chapters.json"))
    {
      g_autofree char *path = g_build_filename (dir, "chapters.json", NULL);
      serve_small_file (msg, path, JSON_TYPE, "private, no-store");
    }
  else if (n == 2 && plain_name (parts[1]))
    serve_download (web, msg, login, session_id, dir, parts[1]);
  else
    cr_access_web_not_found (msg);
}

