/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* live-web.c: see live-web.h.
 *
 * The page and its scripts come from the GResource compiled from web/
 * (/org/courtrec/web). Media files are served from memory maps of the
 * files hlssink2 and CrHls write: a segment deleted while it is sent
 * stays readable, and the main loop never waits on a read. */
#include "streaming/live-web.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "streaming/live-schedule.h"

#define RESOURCE_PREFIX "/org/courtrec/web/"

/* Generated from web/courtrec.gresource.xml (the Makefile's WEB_XML rule).
 * Called rather than only looked up globally: it is what makes the linker
 * take the resource out of libcourtrec.a, whose constructor registers it. */
GResource *cr_web_get_resource (void);
#define ROOM_MARKER "<meta name=\"courtrec-room\" content=\"\">"
#define MPEGURL "application/vnd.apple.mpegurl"

typedef struct {
  char *room_id;
  CrLiveWebStateFunc func;
  gpointer user_data;
  CrLiveSchedule *schedule;     /* borrowed, or NULL: no schedule.json */
} LiveWeb;

typedef struct {
  const char *name;           /* under /live/assets/ and in the resource */
  const char *content_type;
} Asset;

static const Asset assets[] = {
  { "live.js", "text/javascript; charset=utf-8" },
  { "live.css", "text/css; charset=utf-8" },
  { "hls.min.js", "text/javascript; charset=utf-8" },
  { "hls.js-LICENSE.txt", "text/plain; charset=utf-8" },
};

/* A file of web/, or NULL. (transfer full) */
static GBytes *
lookup (const char *path)
{
  return g_resource_lookup_data (cr_web_get_resource (), path,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

static void
live_web_free (gpointer data)
{
  LiveWeb *web = data;
  g_free (web->room_id);
  g_free (web);
}

/* Segments are a few hundred kB; anything far larger is not ours. */
#define MAX_MEDIA_BYTES (64 * 1024 * 1024)

/* Up to @size bytes of @fd (fewer if it shrank meanwhile); NULL on error. */
static GBytes *
read_all (int fd, gsize size)
{
  g_autofree guint8 *data = g_malloc (MAX (size, 1));
  gsize done = 0;

  while (done < size)
    {
      ssize_t n = read (fd, data + done, size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      done += (gsize) n;
    }
  return g_bytes_new_take (g_steal_pointer (&data), done);
}

static void
respond (SoupServerMessage *msg, guint status, const char *content_type,
         const char *cache_control, GBytes *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
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
  respond (msg, status, "text/plain; charset=utf-8", NULL, body);
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

/* The page, with the room's id put in for its script. */
static void
serve_page (LiveWeb *web, SoupServerMessage *msg)
{
  g_autoptr (GBytes) page = lookup (RESOURCE_PREFIX "live.html");
  g_autoptr (GString) html = NULL;
  g_autofree char *room = g_markup_escape_text (web->room_id, -1);
  g_autofree char *meta = g_strdup_printf ("<meta name=\"courtrec-room\" content=\"%s\">",
                                           room);
  g_autoptr (GBytes) body = NULL;

  if (page == NULL)
    {
      respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "The page is not built in\n");
      return;
    }
  html = g_string_new_len (g_bytes_get_data (page, NULL), g_bytes_get_size (page));
  g_string_replace (html, ROOM_MARKER, meta, 1);
  body = g_string_free_to_bytes (g_steal_pointer (&html));
  respond (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", "no-cache", body);
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

static void
serve_state (SoupServerMessage *msg, const CrLiveWebState *state, const char *room_id,
             gboolean off)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GBytes) body = NULL;
  char *json;
  gboolean media = !off && state->hls_dir != NULL;
  struct {
    const char *key, *value;
  } members[] = {
    { "room", room_id },
    { "state", off ? "off" : state->state },
    { "court", state->court },
    { "room_name", state->room_name },
    { "case_number", off ? NULL : state->case_number },
    { "video", media ? "index.m3u8" : NULL },
    { "audio", media ? "audio.m3u8" : NULL },
    { "snapshot", media ? "snapshot.jpg" : NULL },
  };

  json_builder_begin_object (builder);
  for (gsize i = 0; i < G_N_ELEMENTS (members); i++)
    {
      json_builder_set_member_name (builder, members[i].key);
      if (members[i].value != NULL)
        json_builder_add_string_value (builder, members[i].value);
      else
        json_builder_add_null_value (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  body = g_bytes_new_take (json, strlen (json));
  respond (msg, SOUP_STATUS_OK, "application/json", "no-cache", body);
}

/* TRUE when the request's If-None-Match names @etag (or is "*"). */
static gboolean
etag_matches (SoupServerMessage *msg, const char *etag)
{
  const char *header = soup_message_headers_get_list (
      soup_server_message_get_request_headers (msg), "If-None-Match");
  g_auto (GStrv) tags = NULL;

  if (header == NULL || etag == NULL)
    return FALSE;
  tags = g_strsplit (header, ",", 0);
  for (guint i = 0; tags[i] != NULL; i++)
    {
      const char *tag = g_strstrip (tags[i]);
      /* A weak comparison, as RFC 9110 asks for If-None-Match. */
      if (g_str_has_prefix (tag, "W/"))
        tag += 2;
      if (g_str_equal (tag, "*") || g_str_equal (tag, etag))
        return TRUE;
    }
  return FALSE;
}

/* The public schedule (live-schedule.h), the same for every viewer for a
 * few seconds: a proxy or the browser may keep it that long, and ask
 * again with its ETag for a 304. */
static void
serve_schedule (LiveWeb *web, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr (GError) error = NULL;
  const char *etag = NULL;
  g_autoptr (GBytes) body = cr_live_schedule_get (web->schedule, &etag, &error);
  g_autofree char *cache_control = NULL;

  if (body == NULL)
    {
      soup_message_headers_replace (headers, "Retry-After", "10");
      respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                    "The schedule cannot be read now\n");
      return;
    }
  cache_control = g_strdup_printf ("public, max-age=%u",
                                   cr_live_schedule_max_age (web->schedule));
  soup_message_headers_replace (headers, "ETag", etag);
  if (etag_matches (msg, etag))
    {
      respond (msg, SOUP_STATUS_NOT_MODIFIED, NULL, cache_control, NULL);
      return;
    }
  respond (msg, SOUP_STATUS_OK, "application/json", cache_control, body);
}

/* The content type of a file we serve from hls_dir, or NULL if @name is
 * not one: a plain name of our own kinds, so never a path. */
static const char *
media_type (const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strstr (name, "..") != NULL)
    return NULL;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return NULL;
  if (g_str_equal (name, "index.m3u8") || g_str_equal (name, "audio.m3u8"))
    return MPEGURL;
  if (g_str_equal (name, "snapshot.jpg"))
    return "image/jpeg";
  if (g_str_has_suffix (name, ".ts"))
    return "video/mp2t";
  return NULL;
}

static void
serve_media (SoupServerMessage *msg, const char *hls_dir, const char *name)
{
  const char *content_type = media_type (name);
  g_autofree char *path = NULL;
  g_autoptr (GBytes) body = NULL;
  struct stat st;
  int fd;

  if (content_type == NULL)
    {
      not_found (msg);
      return;
    }
  path = g_build_filename (hls_dir, name, NULL);
  /* O_NONBLOCK: a FIFO of that name must not hang the main loop;
   * O_NOFOLLOW: a link must not lead out of hls_dir. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      not_found (msg);
      return;
    }
  /* Read, not mapped: a file truncated under a mapping (a playlist
   * rewritten in place) would kill the daemon with SIGBUS. */
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size <= MAX_MEDIA_BYTES)
    body = read_all (fd, st.st_size);
  close (fd);
  /* An empty file is one being written (hlssink2 creates the first
   * playlist in place): not there yet, for the player to ask again. */
  if (body == NULL || g_bytes_get_size (body) == 0)
    {
      not_found (msg);
      return;
    }
  respond (msg, SOUP_STATUS_OK, content_type,
           g_str_has_suffix (name, ".ts") ? "max-age=60" : "no-cache", body);
}

static void
handle_live (SoupServer *server, SoupServerMessage *msg, const char *path,
             GHashTable *query, gpointer data)
{
  LiveWeb *web = data;
  const char *method = soup_server_message_get_method (msg);
  CrLiveWebState state = { 0 };
  g_auto (GStrv) parts = NULL;
  g_autofree char *room = NULL;
  g_autofree char *name = NULL;
  gboolean off;
  gboolean raw_paths = FALSE;

  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed\n");
      return;
    }
  if (g_str_equal (path, "/live"))
    {
      redirect (msg, "/live/");
      return;
    }
  if (!g_str_has_prefix (path, "/live/"))
    {
      not_found (msg);
      return;
    }
  if (g_str_equal (path, "/live/"))
    {
      serve_page (web, msg);
      return;
    }

  parts = g_strsplit (path + strlen ("/live/"), "/", 0);
  if (g_strv_length (parts) > 2)
    {
      not_found (msg);
      return;
    }
  /* libsoup hands handlers the path decoded, and refuses ".." segments
   * itself (400), unless the server was made with raw-paths: then decode
   * each part here, refusing an escaped '/'. */
  g_object_get (server, "raw-paths", &raw_paths, NULL);
  room = raw_paths ? g_uri_unescape_string (parts[0], "/") : g_strdup (parts[0]);
  if (parts[1] != NULL)
    name = raw_paths ? g_uri_unescape_string (parts[1], "/") : g_strdup (parts[1]);
  if (room == NULL || (parts[1] != NULL && name == NULL))
    {
      not_found (msg);
      return;
    }
  if (g_str_equal (room, "assets") && name != NULL)
    {
      serve_asset (msg, name);
      return;
    }
  /* The room's schedule also beside the page at /live/: the one room of
   * this daemon is the only one it knows. */
  if (g_str_equal (room, "schedule.json") && name == NULL && web->schedule != NULL)
    {
      serve_schedule (web, msg);
      return;
    }
  if (!g_str_equal (room, web->room_id))
    {
      not_found (msg);
      return;
    }
  if (name == NULL)
    {
      g_autofree char *location = g_strconcat (path, "/", NULL);
      redirect (msg, location);
      return;
    }
  if (name[0] == '\0')
    {
      serve_page (web, msg);
      return;
    }

  if (g_str_equal (name, "schedule.json") && web->schedule != NULL)
    {
      serve_schedule (web, msg);
      return;
    }

  web->func (&state, web->user_data);
  off = state.state == NULL || g_str_equal (state.state, "off");
  if (g_str_equal (name, "state.json"))
    serve_state (msg, &state, web->room_id, off);
  else if (off || state.hls_dir == NULL)
    not_found (msg);
  else
    serve_media (msg, state.hls_dir, name);
}

void
cr_live_web_add_handlers (SoupServer *server, const char *room_id,
                          CrLiveWebStateFunc func, gpointer user_data)
{
  cr_live_web_add_handlers_full (server, room_id, func, user_data, NULL);
}

void
cr_live_web_add_handlers_full (SoupServer *server, const char *room_id,
                               CrLiveWebStateFunc func, gpointer user_data,
                               CrLiveSchedule *schedule)
{
  LiveWeb *web;

  g_return_if_fail (SOUP_IS_SERVER (server));
  g_return_if_fail (room_id != NULL && room_id[0] != '\0');
  g_return_if_fail (strchr (room_id, '/') == NULL && !g_str_equal (room_id, ".") &&
                    !g_str_equal (room_id, ".."));
  g_return_if_fail (func != NULL);

  web = g_new0 (LiveWeb, 1);
  web->room_id = g_strdup (room_id);
  web->func = func;
  web->user_data = user_data;
  web->schedule = schedule;
  soup_server_add_handler (server, "/live", handle_live, web, live_web_free);
}
