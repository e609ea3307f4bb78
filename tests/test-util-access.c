/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-access.c: see test-util-access.h. */
#include "tests/test-util-access.h"

#include <archive/records.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

void
cr_test_access_add_users (CrTestRoom *room)
{
  static const char *const users[][2] = { { "clerk1", "clerk" }, { "approver1", "approver" } };
  g_autofree char *courtrec = cr_test_build_path ("courtrec");

  for (gsize i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_autoptr (GSubprocess) process = NULL;
      g_autoptr (GError) error = NULL;

      process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                    G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                                  &error, courtrec, "-c", room->config_path, "user", "add",
                                  users[i][0], "--role", users[i][1], "--password-stdin", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (process, CR_TEST_ACCESS_PASSWORD "\n", NULL, NULL, NULL,
                                     &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
    }
}

char *
cr_test_access_token (CrTestRoom *room, const char *name)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_client (room, &out, NULL, "user", "token", name, NULL), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

gint64
cr_test_access_record (CrTestRoom *room, const char *case_no, double seconds,
                       gboolean with_pause)
{
  gint64 id = cr_test_start_session (room, case_no);

  g_usleep ((gulong) (seconds / 2 * G_USEC_PER_SEC));
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "mark", "证人出庭 / Witness called", NULL),
                   ==, 0);
  if (with_pause)
    {
      g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess", NULL),
                       ==, 0);
      g_usleep (G_USEC_PER_SEC);
      g_assert_cmpint (cr_test_client (room, NULL, NULL, "resume", NULL), ==, 0);
    }
  g_usleep ((gulong) (seconds / 2 * G_USEC_PER_SEC));
  cr_test_stop_and_wait (room, id);
  cr_test_wait_sealed (room, id);
  return id;
}

static JsonObject *
object_of (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("not a JSON object: %s", text != NULL ? text : "(nothing)");
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

gint64
cr_test_access_grant (CrTestRoom *room, const char *case_no, const char *sessions,
                      const char *requester, const char *identity, const char *mode,
                      char **code)
{
  g_autofree char *clerk = cr_test_access_token (room, "clerk1");
  g_autofree char *approver = cr_test_access_token (room, "approver1");
  g_autofree char *body = NULL, *reply = NULL;
  g_autoptr (JsonObject) object = NULL;
  gint64 request, grant;
  guint status;

  body = g_strdup_printf ("{\"case\":\"%s\",\"requester\":\"%s\",\"role\":\"agent\","
                          "\"identity\":\"%s\",\"sessions\":\"%s\",\"purpose\":\"上诉\"}",
                          case_no, requester, identity, sessions);
  status = cr_test_http (room, "POST", "/api/v1/access/request", clerk, body, &reply);
  if (status != 200)
    g_error ("request: %u %s", status, reply);
  object = object_of (reply);
  request = json_object_get_int_member (object, "request");
  g_clear_pointer (&object, json_object_unref);
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);

  body = g_strdup_printf ("{\"request\":\"R%" G_GINT64_FORMAT "\",\"mode\":\"%s\"}", request,
                          mode);
  status = cr_test_http (room, "POST", "/api/v1/access/grant", approver, body, &reply);
  if (status != 200)
    g_error ("grant: %u %s", status, reply);
  object = object_of (reply);
  grant = json_object_get_int_member (object, "grant");
  *code = g_strdup (json_object_get_string_member (object, "code"));
  g_assert_cmpint (grant, >, 0);
  g_assert_nonnull (*code);
  return grant;
}

void
cr_test_access_revoke (CrTestRoom *room, gint64 grant)
{
  g_autofree char *approver = cr_test_access_token (room, "approver1");
  g_autofree char *body = g_strdup_printf ("{\"grant\":\"G%" G_GINT64_FORMAT "\","
                                           "\"reason\":\"申请人撤回 / withdrawn\"}", grant);
  g_autofree char *reply = NULL;
  guint status = cr_test_http (room, "POST", "/api/v1/access/revoke", approver, body, &reply);

  if (status != 200)
    g_error ("revoke: %u %s", status, reply);
}

char *
cr_test_access_copy_dir (CrTestRoom *room, gint64 grant, gint64 session)
{
  g_autofree char *g = g_strdup_printf ("G%" G_GINT64_FORMAT, grant);
  g_autofree char *s = g_strdup_printf ("S%" G_GINT64_FORMAT, session);

  return g_build_filename (room->storage_dir, "copies", g, s, NULL);
}

char *
cr_test_access_sql (CrTestRoom *room, const char *query)
{
  g_autofree char *db = g_build_filename (room->storage_dir, "index.db", NULL);
  const char *argv[] = { "sqlite3", "-cmd", ".timeout 10000", db, query, NULL };
  g_autofree char *out = NULL, *err = NULL;

  if (cr_test_run (&out, &err, argv) != 0)
    g_error ("sqlite3 %s: %s", query, err);
  return g_strstrip (g_steal_pointer (&out));
}

void
cr_test_access_copies_ready (CrTestRoom *room, gint64 grant)
{
  g_autofree char *query = g_strdup_printf ("SELECT session_id FROM derived_copies WHERE "
                                            "grant_id = %" G_GINT64_FORMAT
                                            " AND state != 'ready'", grant);
  /* The daemon's render queue makes them, one at a time: wait. */
  gint64 deadline = g_get_monotonic_time () + 40 * cr_test_timing_factor () * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *pending = cr_test_access_sql (room, query);
      if (pending[0] == '\0')
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("the copies of G%" G_GINT64_FORMAT " were not rendered: %s", grant, pending);
      g_usleep (G_USEC_PER_SEC / 5);
    }
}

void
cr_test_reply_clear (CrTestReply *reply)
{
  g_clear_pointer (&reply->body, g_free);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  reply->status = 0;
  reply->length = 0;
}

void
cr_test_access_http (CrTestRoom *room, const char *method, const char *path,
                     const char *cookie, const char *content_type, const char *body,
                     CrTestReply *reply)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", room->public_port, path);

  cr_test_reply_clear (reply);
  message = soup_message_new (method, uri);
  g_assert_nonnull (message);
  if (cookie != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Cookie",
                                  cookie);
  if (body != NULL)
    {
      g_autoptr (GBytes) request = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (message, content_type, request);
    }
  bytes = soup_session_send_and_read (session, message, NULL, NULL);
  reply->status = soup_message_get_status (message);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  if (bytes != NULL)
    {
      reply->length = g_bytes_get_size (bytes);
      reply->body = g_malloc (reply->length + 1);
      if (reply->length > 0)
        memcpy (reply->body, g_bytes_get_data (bytes, NULL), reply->length);
      reply->body[reply->length] = '\0';
    }
}

char *
cr_test_access_login (CrTestRoom *room, const char *code, const char *id_last4,
                      CrTestReply *reply)
{
  g_auto (CrTestReply) local = { 0 };
  CrTestReply *out = reply != NULL ? reply : &local;
  g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\",\"id_last4\":\"%s\"}", code,
                                           id_last4);
  const char *set_cookie;
  g_auto (GStrv) parts = NULL;

  cr_test_access_http (room, "POST", "/access/api/login", NULL, "application/json", body, out);
  if (out->status != 200)
    return NULL;
  set_cookie = soup_message_headers_get_one (out->headers, "Set-Cookie");
  g_assert_nonnull (set_cookie);
  parts = g_strsplit (set_cookie, ";", 2);
  return g_strdup (parts[0]);
}

char *
cr_test_access_raw (CrTestRoom *room, const char *request, gsize length)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) answer = g_string_new (NULL);
  GInputStream *in;
  char buffer[4096];
  gssize n;

  g_socket_client_set_timeout (client, 5);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", room->public_port, NULL,
                                                &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             length, NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (answer, buffer, n);
  return g_string_free (g_steal_pointer (&answer), FALSE);
}

char *
cr_test_access_events (CrTestRoom *room, gint64 session)
{
  g_autofree char *query = g_strdup_printf ("SELECT kind || ' ' || COALESCE(detail, '') FROM "
                                            "events WHERE session_id = %" G_GINT64_FORMAT
                                            " ORDER BY id", session);
  return cr_test_access_sql (room, query);
}
