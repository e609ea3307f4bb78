/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-api-request.c: the control API's request handling without a socket:
 * method, path and headers into cr_api_request_admit(), then the body into
 * cr_api_request_parse(), as api-server.c calls them.
 *
 * The input is a request as on the wire, but with "\n" line ends:
 *   METHOD PATH
 *   Name: value          (any number of header lines)
 *                        (an empty line)
 *   BODY                 (the rest, any bytes)
 * The room's token is "fuzz-token", so "Authorization: Bearer fuzz-token"
 * reaches the routes; "Cookie: courtrec_login_fuzz-room=..." and
 * "Bearer cru_..." go through the accounts' lookups. Invariants checked: an admitted request has a route
 * whose method and path are the request's; a parse that succeeds gives
 * only the route's fields, each valid UTF-8 within its length. */
#include <glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "recorder/api-auth.h"
#include "recorder/api-request.h"
#include "tests/fuzz/fuzz-log.h"

#define TOKEN "fuzz-token"

static void
check_fields (const CrApiRoute *route, GHashTable *fields)
{
  GHashTableIter iter;
  gpointer name, value;

  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      const CrApiField *field = NULL;

      for (const CrApiField *f = route->fields; f != NULL && f->name != NULL; f++)
        if (g_str_equal (f->name, name))
          field = f;
      CHECK (field != NULL && value != NULL && g_utf8_validate (value, -1, NULL) &&
               g_utf8_strlen (value, -1) <= (glong) field->max_chars,
             "field \"%s\" of %s", (const char *) name, route->path);
    }
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GError) error = NULL;
  g_autofree char *method = NULL;
  g_autofree char *path = NULL;
  const char *body = (const char *) data;
  gsize body_size = size;
  const char *line = text;
  static CrApiAuth *auth;
  g_autoptr (CrPrincipal) principal = NULL;
  const CrApiRoute *route;
  gboolean first = TRUE;

  if (auth == NULL)
    {
      /* Accounts too, so that cookies and account tokens are parsed and
       * looked up (a store that is not there: nobody's holds). */
      auth = cr_api_auth_new (TOKEN);
      cr_api_auth_set_accounts (auth, cr_users_open ("/nonexistent/users.db", FALSE, NULL),
                                cr_logins_new (60, 3600), "fuzz-room");
    }

  /* Lines up to the first empty one; text stops at a NUL, the body may
   * hold one. */
  while (line != NULL && *line != '\0')
    {
      const char *end = strchr (line, '\n');
      g_autofree char *content = end != NULL ? g_strndup (line, end - line) : g_strdup (line);

      line = end != NULL ? end + 1 : NULL;
      if (first)
        {
          char *space = strchr (content, ' ');
          if (space == NULL)
            break;
          method = g_strndup (content, space - content);
          path = g_strdup (space + 1);
          first = FALSE;
          continue;
        }
      if (content[0] == '\0')
        break;
      {
        char *colon = strchr (content, ':');
        if (colon != NULL && colon != content)
          {
            *colon = '\0';
            /* Only what libsoup's parser could hand the server: a name
             * without blanks or line ends, a value without line ends. */
            if (strpbrk (content, " \t\r\n") == NULL && strpbrk (colon + 1, "\r\n") == NULL &&
                g_utf8_validate (content, -1, NULL))
              soup_message_headers_append (headers, content, g_strstrip (colon + 1));
          }
      }
    }
  if (line != NULL)
    {
      body = (const char *) data + (line - text);
      body_size = size - (line - text);
    }
  else
    body_size = 0;

  if (method != NULL && path != NULL)
    {
      route = cr_api_request_admit (method, path, headers, auth, &principal, &error);
      if (route != NULL)
        {
          g_autoptr (GHashTable) fields = NULL;

          CHECK (g_str_equal (route->method, method) &&
                   (route->prefix ? g_str_has_prefix (path, route->path)
                                  : g_str_equal (route->path, path)),
                 "%s %s admitted as %s %s", method, path, route->method, route->path);
          CHECK (route->role == CR_ROLE_ANYONE ||
                   (principal != NULL && cr_role_allows (principal->role, route->role)),
                 "%s %s admitted without the role %s", method, path,
                 cr_role_name (route->role));
          fields = cr_api_request_parse (route, body, body_size, NULL);
          if (fields != NULL)
            check_fields (route, fields);
        }
      else
        CHECK (error != NULL && cr_api_request_error_status (error) >= 400,
               "%s %s refused without a 4xx", method, path);
    }
  soup_message_headers_unref (headers);
  return 0;
}
