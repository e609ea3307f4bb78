/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* console-web.c: see console-web.h. */
#include "recorder/console-web.h"

#include <string.h>

#define RESOURCE_PREFIX "/org/courtrec/web/"

/* Generated from web/courtrec.gresource.xml; see live-web.c. */
GResource *cr_web_get_resource (void);

typedef struct {
  const char *path;           /* under /console */
  const char *resource;       /* in web/ */
  const char *content_type;
} Asset;

static const Asset assets[] = {
  { "/console/", "console.html", "text/html; charset=utf-8" },
  { "/console/console.js", "console.js", "text/javascript; charset=utf-8" },
  { "/console/console-access.js", "console-access.js", "text/javascript; charset=utf-8" },
  { "/console/console-archive.js", "console-archive.js", "text/javascript; charset=utf-8" },
  { "/console/console.css", "console.css", "text/css; charset=utf-8" },
};

gboolean
cr_console_web_owns (const char *path)
{
  return g_str_equal (path, "/console") || g_str_has_prefix (path, "/console/");
}

static void
respond_text (SoupServerMessage *msg, guint status, const char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

static void
handle_console (SoupServer *server, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0)
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed\n");
      return;
    }
  if (g_str_equal (path, "/console"))
    {
      soup_message_headers_replace (headers, "Location", "/console/");
      respond_text (msg, SOUP_STATUS_MOVED_PERMANENTLY, "Moved\n");
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (assets); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr (GBytes) body = NULL;

      if (!g_str_equal (path, assets[i].path))
        continue;
      name = g_strconcat (RESOURCE_PREFIX, assets[i].resource, NULL);
      body = g_resource_lookup_data (cr_web_get_resource (), name,
                                     G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      if (body == NULL)
        break;
      /* The page only talks to its own origin, is never framed (a click
       * on "stop" must be the clerk's), and is fetched again after an
       * upgrade rather than kept. */
      soup_message_headers_replace (headers, "Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' blob:; "
                                    "connect-src 'self'; frame-ancestors 'none'; "
                                    "base-uri 'none'; form-action 'self'");
      soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
      soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
      soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
      soup_message_headers_replace (headers, "Cache-Control", "no-cache");
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (headers, assets[i].content_type, NULL);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
      return;
    }
  respond_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
}

void
cr_console_web_add_handlers (SoupServer *server)
{
  soup_server_add_handler (server, "/console", handle_console, NULL, NULL);
}
