/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod-web.c: see vod-web.h. The pages come from the GResource compiled
 * from web/ (/org/courtrec/web), like the live page's. */
#include "vod/vod-web.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/utc.h"

#define RESOURCE_PREFIX "/org/courtrec/web/"
#define MPEGURL "application/vnd.apple.mpegurl"
/* The copy's segments are a few seconds each: a few MB at most. */
#define MAX_MEDIA_BYTES (64 * 1024 * 1024)

GResource *cr_web_get_resource (void);

typedef struct {
  const char *name;
  const char *content_type;
} Asset;

static const Asset assets[] = {
  { "vod.js", "text/javascript; charset=utf-8" },
  { "vod.css", "text/css; charset=utf-8" },
  { "hls.min.js", "text/javascript; charset=utf-8" },
  { "hls.js-LICENSE.txt", "text/plain; charset=utf-8" },
};

static GBytes *
lookup (const char *path)
{
  return g_resource_lookup_data (cr_web_get_resource (), path,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

static void
respond (SoupServerMessage *msg, guint status, const char *content_type,
         const char *cache_control, GBytes *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  if (cache_control != NULL)
    soup_message_headers_replace (headers, "Cache-Control", cache_control);
  if (body != NULL)
    {
      soup_message_headers_set_content_type (headers, content_type, NULL);
      if (g_bytes_get_size (body) > 0)
        soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
    }
}

static void
respond_text (SoupServerMessage *msg, guint status, const char *text)
{
  g_autoptr (GBytes) body = g_bytes_new_static (text, strlen (text));
  respond (msg, status, "text/plain; charset=utf-8", "no-cache", body);
}

static void
not_found (SoupServerMessage *msg)
{
  respond_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
}

static void
redirect (SoupServerMessage *msg, const char *location)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Location", location);
  respond_text (msg, SOUP_STATUS_MOVED_PERMANENTLY, "Moved\n");
}

static void
respond_json (SoupServerMessage *msg, guint status, JsonNode *root)
{
  char *json = json_to_string (root, FALSE);
  g_autoptr (GBytes) body = g_bytes_new_take (json, strlen (json));
  respond (msg, status, "application/json", "no-cache", body);
}

static void
serve_page (SoupServerMessage *msg, guint status)
{
  g_autoptr (GBytes) page = lookup (RESOURCE_PREFIX "vod.html");

  if (page == NULL)
    {
      respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "The page is not built in\n");
      return;
    }
  respond (msg, status, "text/html; charset=utf-8", "no-cache", page);
}

static void
serve_asset (SoupServerMessage *msg, const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr (GBytes) data = NULL;
      if (!g_str_equal (name, assets[i].name))
        continue;
      path = g_strconcat (RESOURCE_PREFIX, name, NULL);
      data = lookup (path);
      if (data == NULL)
        break;
      respond (msg, SOUP_STATUS_OK, assets[i].content_type, "max-age=300", data);
      return;
    }
  not_found (msg);
}

/* A publication's number as the path gives it: digits, no sign, no
 * leading zero, within gint64; else 0. */
static gint64
parse_id (const char *text)
{
  guint64 value = 0;

  if (text == NULL || text[0] < '1' || text[0] > '9' || strlen (text) > 18)
    return 0;
  for (const char *c = text; *c != '\0'; c++)
    {
      if (!g_ascii_isdigit (*c))
        return 0;
      value = value * 10 + (guint64) (*c - '0');
    }
  return (gint64) value;
}

static void
add_entry (JsonBuilder *builder, const CrVodEntry *entry)
{
  g_autofree char *started = cr_format_utc (entry->started_us);
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (entry->started_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  g_autofree char *date = local != NULL ? g_date_time_format (local, "%Y-%m-%d") : NULL;
  g_autofree char *page = g_strdup_printf ("/vod/p/%" G_GINT64_FORMAT "/", entry->id);
  g_autofree char *playlist = g_strdup_printf ("/vod/p/%" G_GINT64_FORMAT "/hls/index.m3u8",
                                               entry->id);
  g_autofree char *chapters = g_strdup_printf ("/vod/p/%" G_GINT64_FORMAT "/chapters.json",
                                               entry->id);
  struct {
    const char *key, *value;
  } members[] = {
    { "court", entry->court }, { "case", entry->case_no }, { "title", entry->title },
    { "date", date }, { "started", started }, { "page", page }, { "playlist", playlist },
    { "chapters", chapters },
  };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, entry->id);
  for (gsize i = 0; i < G_N_ELEMENTS (members); i++)
    {
      json_builder_set_member_name (builder, members[i].key);
      if (members[i].value != NULL)
        json_builder_add_string_value (builder, members[i].value);
      else
        json_builder_add_null_value (builder);
    }
  /* Whole seconds: json-glib writes a double with 17 digits (6.33 as
   * 6.3300000000000001), and a catalogue shows minutes anyway. */
  json_builder_set_member_name (builder, "duration_seconds");
  json_builder_add_int_value (builder, (entry->duration_us + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC);
  json_builder_end_object (builder);
}

static void
serve_catalogue (SoupServerMessage *msg, CrVodService *svc)
{
  g_autoptr (GPtrArray) entries = cr_vod_service_catalogue (svc);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "publications");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    add_entry (builder, g_ptr_array_index (entries, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (msg, SOUP_STATUS_OK, root);
}

static void
serve_publication (SoupServerMessage *msg, CrVodService *svc, gint64 id)
{
  g_autoptr (CrVodEntry) entry = id > 0 ? cr_vod_service_lookup (svc, id) : NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  if (entry == NULL)
    {
      /* Withdrawn, forbidden or never published: one answer for all. */
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, "not-available");
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      respond_json (msg, SOUP_STATUS_NOT_FOUND, root);
      return;
    }
  add_entry (builder, entry);
  root = json_builder_get_root (builder);
  respond_json (msg, SOUP_STATUS_OK, root);
}

/* The content type of a file of the copy's HLS, or NULL if @name is not
 * one: a plain name of those kinds, never a path. */
static const char *
media_type (const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strstr (name, "..") != NULL || strlen (name) > 64)
    return NULL;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return NULL;
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

static GBytes *
read_file (const char *path)
{
  struct stat st;
  g_autofree guint8 *data = NULL;
  gsize done = 0;
  /* O_NONBLOCK: a FIFO must not hang the main loop; O_NOFOLLOW: a link
   * must not lead out of the copy. */
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > MAX_MEDIA_BYTES)
    {
      close (fd);
      return NULL;
    }
  data = g_malloc (MAX (st.st_size, 1));
  while (done < (gsize) st.st_size)
    {
      ssize_t n = read (fd, data + done, st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  close (fd);
  return g_bytes_new_take (g_steal_pointer (&data), done);
}

static void
serve_file (SoupServerMessage *msg, const char *dir, const char *name, const char *type)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GBytes) body = read_file (path);

  if (body == NULL)
    {
      not_found (msg);
      return;
    }
  /* A withdrawal is at once: a cache (the court's proxy, the browser)
   * asks again every time, and meets the 404. */
  respond (msg, SOUP_STATUS_OK, type, "no-cache", body);
}

/* /vod/p/ID[/REST...] with @parts the decoded parts after "p". */
static void
serve_under_publication (SoupServerMessage *msg, CrVodService *svc, const char *path,
                         char **parts)
{
  gint64 id = parse_id (parts[0]);
  guint n = g_strv_length (parts);
  g_autoptr (CrVodEntry) entry = NULL;

  if (id == 0)
    {
      not_found (msg);
      return;
    }
  if (n == 1)
    {
      g_autofree char *location = g_strconcat (path, "/", NULL);
      redirect (msg, location);
      return;
    }
  entry = cr_vod_service_lookup (svc, id);
  if (n == 2 && parts[1][0] == '\0')
    {
      serve_page (msg, entry != NULL ? SOUP_STATUS_OK : SOUP_STATUS_NOT_FOUND);
      return;
    }
  if (entry == NULL)
    {
      not_found (msg);
      return;
    }
  if (n == 2 && g_str_equal (parts[1], "chapters.json"))
    {
      g_autofree char *dir = g_path_get_dirname (entry->hls_dir);
      serve_file (msg, dir, "chapters.json", "application/json");
      return;
    }
  if (n == 3 && g_str_equal (parts[1], "hls") && media_type (parts[2]) != NULL)
    {
      serve_file (msg, entry->hls_dir, parts[2], media_type (parts[2]));
      return;
    }
  not_found (msg);
}

static void
handle_vod (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  CrVodService *svc = data;
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) raw = NULL;
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  gboolean raw_paths = FALSE;
  guint n;

  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed\n");
      return;
    }
  if (g_str_equal (path, "/vod"))
    {
      redirect (msg, "/vod/");
      return;
    }
  if (!g_str_has_prefix (path, "/vod/") || strlen (path) > 256)
    {
      not_found (msg);
      return;
    }
  if (g_str_equal (path, "/vod/"))
    {
      serve_page (msg, SOUP_STATUS_OK);
      return;
    }

  /* libsoup hands handlers the path decoded and refuses ".." itself,
   * unless the server runs with raw-paths: then each part is decoded
   * here, an escaped '/' refused. */
  g_object_get (server, "raw-paths", &raw_paths, NULL);
  raw = g_strsplit (path + strlen ("/vod/"), "/", 5);
  for (guint i = 0; raw[i] != NULL; i++)
    {
      char *part = raw_paths ? g_uri_unescape_string (raw[i], "/") : g_strdup (raw[i]);
      if (part == NULL || g_str_equal (part, "..") || g_str_equal (part, ".") ||
          strchr (part, '\\') != NULL)
        {
          g_free (part);
          not_found (msg);
          return;
        }
      g_ptr_array_add (parts, part);
    }
  g_ptr_array_add (parts, NULL);
  n = parts->len - 1;

  if (n == 2 && g_str_equal (g_ptr_array_index (parts, 0), "assets"))
    serve_asset (msg, g_ptr_array_index (parts, 1));
  else if (n == 2 && g_str_equal (g_ptr_array_index (parts, 0), "api") &&
           g_str_equal (g_ptr_array_index (parts, 1), "catalogue"))
    serve_catalogue (msg, svc);
  else if (n == 3 && g_str_equal (g_ptr_array_index (parts, 0), "api") &&
           g_str_equal (g_ptr_array_index (parts, 1), "p"))
    serve_publication (msg, svc, parse_id (g_ptr_array_index (parts, 2)));
  else if (n >= 2 && n <= 4 && g_str_equal (g_ptr_array_index (parts, 0), "p"))
    serve_under_publication (msg, svc, path, (char **) parts->pdata + 1);
  else
    not_found (msg);
}

void
cr_vod_web_add_handlers (SoupServer *server, CrVodService *svc)
{
  g_return_if_fail (SOUP_IS_SERVER (server));
  g_return_if_fail (svc != NULL);

  soup_server_add_handler (server, "/vod", handle_vod, svc, NULL);
}
