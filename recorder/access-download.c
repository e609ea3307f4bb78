/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-download.c: see access-download.h. */
#include "recorder/access-download.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_BYTES (64 * 1024)

typedef struct {
  GIOStream *stream;
  GCancellable *cancellable;
  int fd;
  guint64 size;
  guint64 sent;               /* of the file, headers not counted */
  GString *head;              /* the status line and headers, sent first */
  guint8 *chunk;
  gsize chunk_length;
  gsize chunk_sent;
  guint stall_id;
  guint64 checked;            /* sent when @allowed was last asked */
  CrAccessDownloadAllowed allowed;
  CrAccessDownloadDone done;
  gpointer user_data;
  GDestroyNotify destroy;
} Download;

static void write_more (Download *download);

static void
finish (Download *download)
{
  if (download->stall_id != 0)
    g_source_remove (download->stall_id);
  g_io_stream_close (download->stream, NULL, NULL);
  download->done (download->sent, download->sent == download->size, download->user_data);
  if (download->destroy != NULL)
    download->destroy (download->user_data);
  close (download->fd);
  g_object_unref (download->stream);
  g_object_unref (download->cancellable);
  if (download->head != NULL)
    g_string_free (download->head, TRUE);
  g_free (download->chunk);
  g_free (download);
}

static gboolean
stalled (gpointer data)
{
  Download *download = data;

  download->stall_id = 0;
  g_cancellable_cancel (download->cancellable);
  return G_SOURCE_REMOVE;
}

static void
rearm (Download *download)
{
  if (download->stall_id != 0)
    g_source_remove (download->stall_id);
  download->stall_id = g_timeout_add_seconds (CR_ACCESS_DOWNLOAD_STALL_SECONDS, stalled,
                                              download);
}

static void
written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *download = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_output_stream_write_finish (G_OUTPUT_STREAM (source), result, &error);

  if (n <= 0)
    {
      g_debug ("A download ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
               " bytes: %s", download->sent, download->size,
               error != NULL ? error->message : "nothing written");
      finish (download);
      return;
    }
  rearm (download);
  if (download->head != NULL)
    {
      g_string_erase (download->head, 0, n);
      if (download->head->len == 0)
        {
          g_string_free (download->head, TRUE);
          download->head = NULL;
        }
    }
  else
    {
      download->chunk_sent += (gsize) n;
      download->sent += (guint64) n;
    }
  write_more (download);
}

/* The next chunk of the file; FALSE at its end or on an error. */
static gboolean
read_chunk (Download *download)
{
  gsize want = (gsize) MIN ((guint64) CHUNK_BYTES, download->size - download->sent);
  ssize_t n;

  if (want == 0)
    return FALSE;
  do
    n = read (download->fd, download->chunk, want);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return FALSE;
  download->chunk_length = (gsize) n;
  download->chunk_sent = 0;
  return TRUE;
}

static void
write_more (Download *download)
{
  GOutputStream *out = g_io_stream_get_output_stream (download->stream);
  const void *data;
  gsize length;

  if (download->head != NULL)
    {
      data = download->head->str;
      length = download->head->len;
    }
  else
    {
      if (download->chunk_sent == download->chunk_length &&
          download->sent - download->checked >= CR_ACCESS_DOWNLOAD_CHECK_BYTES)
        {
          download->checked = download->sent;
          if (download->allowed != NULL && !download->allowed (download->user_data))
            {
              finish (download);
              return;
            }
        }
      if (download->chunk_sent == download->chunk_length && !read_chunk (download))
        {
          finish (download);
          return;
        }
      data = download->chunk + download->chunk_sent;
      length = download->chunk_length - download->chunk_sent;
    }
  g_output_stream_write_async (out, data, length, G_PRIORITY_LOW, download->cancellable,
                               written, download);
}

/* A file name as a quoted-string: only the characters we name files
 * with get through. */
static char *
safe_file_name (const char *name)
{
  GString *safe = g_string_new (NULL);

  for (const char *c = name; *c != '\0'; c++)
    g_string_append_c (safe, g_ascii_isalnum (*c) || *c == '.' || *c == '-' || *c == '_'
                               ? *c : '_');
  return g_string_free (safe, FALSE);
}

void
cr_access_download_start (GIOStream *stream, int fd, const char *content_type,
                          const char *file_name, CrAccessDownloadAllowed allowed,
                          CrAccessDownloadDone done, gpointer user_data,
                          GDestroyNotify destroy)
{
  Download *download;
  g_autofree char *name = NULL;
  struct stat st;

  g_return_if_fail (G_IS_IO_STREAM (stream) && fd >= 0 && done != NULL);

  download = g_new0 (Download, 1);
  download->stream = stream;
  download->cancellable = g_cancellable_new ();
  download->fd = fd;
  download->allowed = allowed;
  download->done = done;
  download->user_data = user_data;
  download->destroy = destroy;
  download->chunk = g_malloc (CHUNK_BYTES);
  download->size = fstat (fd, &st) == 0 && S_ISREG (st.st_mode) ? (guint64) st.st_size : 0;
  name = safe_file_name (file_name);
  download->head = g_string_new (NULL);
  g_string_append_printf (download->head,
                          "HTTP/1.1 200 OK\r\n"
                          "Content-Type: %s\r\n"
                          "Content-Length: %" G_GUINT64_FORMAT "\r\n"
                          "Content-Disposition: attachment; filename=\"%s\"\r\n"
                          "Cache-Control: no-store\r\n"
                          "X-Content-Type-Options: nosniff\r\n"
                          "Connection: close\r\n"
                          "\r\n",
                          content_type, download->size, name);
  rearm (download);
  write_more (download);
}
