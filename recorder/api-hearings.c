/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-hearings.c: see api-hearings.h. */
#include "recorder/api-hearings.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/json-members.h"
#include "archive/utc.h"
#include "config/text.h"
#include "recorder/http-server.h"
#include "recorder/recorder-private.h"
#include "schedule/hearing-store.h"

#define JSON_TYPE "application/json; charset=utf-8"

static void
answer (SoupServerMessage *msg, guint status, char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, JSON_TYPE, SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
refuse (SoupServerMessage *msg, const CrPrincipal *principal, guint status, const char *code,
        const char *message)
{
  const char *actor = cr_principal_actor (principal);

  answer (msg, status, cr_http_error_json (code, message));
  g_message ("API POST /api/v1/hearings/ by %s: %u %s: %s",
             cr_text_shown (actor != NULL ? actor : "(anyone)"), status, code,
             cr_text_shown (message));
}

static char *
describe (const CrHearingRow *row)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *starts = cr_format_utc (row->starts_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "hearing");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, row->id);
  cr_json_add_text (builder, "uid", row->uid);
  cr_json_add_text (builder, "case", row->case_no);
  cr_json_add_text (builder, "starts", starts);
  json_builder_set_member_name (builder, "not_held");
  if (row->not_held_us != 0)
    {
      g_autofree char *at = cr_format_utc (row->not_held_us);
      json_builder_begin_object (builder);
      cr_json_add_text (builder, "at", at);
      cr_json_add_text (builder, "by", row->not_held_by);
      cr_json_add_text (builder, "reason", row->not_held_reason);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* "7/not-held" -> 7, TRUE; "7/held" -> 7, FALSE; else 0. */
static gint64
parse_path (const char *rest, gboolean *not_held)
{
  const char *slash = strchr (rest, '/');
  g_autofree char *number = NULL;
  char *end = NULL;
  gint64 id;

  if (slash == NULL || slash == rest || slash - rest > 18)
    return 0;
  if (g_str_equal (slash + 1, "not-held"))
    *not_held = TRUE;
  else if (g_str_equal (slash + 1, "held"))
    *not_held = FALSE;
  else
    return 0;
  number = g_strndup (rest, slash - rest);
  for (const char *p = number; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return 0;
  id = g_ascii_strtoll (number, &end, 10);
  return *end == '\0' && id > 0 ? id : 0;
}

void
cr_api_hearings_serve (SoupServerMessage *msg, const CrApiRoute *route,
                       const CrPrincipal *principal, gpointer user_data)
{
  CrRecorder *recorder = user_data;
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (GHashTable) fields = NULL;
  g_autoptr (CrHearingRow) row = NULL;
  g_autoptr (GError) error = NULL;
  const char *reason, *actor = cr_principal_actor (principal);
  gboolean not_held = FALSE;
  gint64 id = parse_path (path + strlen (route->path), &not_held);

  if (id == 0)
    {
      refuse (msg, principal, SOUP_STATUS_NOT_FOUND, "not-found",
              "Expected /api/v1/hearings/ID/not-held or /api/v1/hearings/ID/held");
      return;
    }
  fields = cr_api_request_parse (route, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                 &error);
  if (fields == NULL)
    {
      refuse (msg, principal, SOUP_STATUS_BAD_REQUEST, "invalid", error->message);
      return;
    }
  reason = g_hash_table_lookup (fields, "reason");
  if (not_held && (reason == NULL || *g_strstrip ((char *) reason) == '\0'))
    {
      refuse (msg, principal, SOUP_STATUS_BAD_REQUEST, "invalid",
              "A hearing marked not held needs a \"reason\"");
      return;
    }
  if (!not_held && reason != NULL)
    {
      refuse (msg, principal, SOUP_STATUS_BAD_REQUEST, "invalid",
              "Taking the mark back takes no \"reason\"");
      return;
    }
  row = recorder->index != NULL ? cr_hearing_store_get (recorder->index, id, &error) : NULL;
  if (row == NULL)
    {
      g_autofree char *message = g_strdup_printf ("No hearing %" G_GINT64_FORMAT
                                                  " in this room's calendar", id);
      if (error != NULL)
        refuse (msg, principal, SOUP_STATUS_INTERNAL_SERVER_ERROR, "failed", error->message);
      else
        refuse (msg, principal, SOUP_STATUS_NOT_FOUND, "not-found", message);
      return;
    }
  if (!cr_hearing_store_set_not_held (recorder->index, id, not_held ? g_get_real_time () : 0,
                                      not_held ? (actor != NULL ? actor : "token") : NULL,
                                      not_held ? reason : NULL, &error))
    {
      refuse (msg, principal, SOUP_STATUS_INTERNAL_SERVER_ERROR, "failed", error->message);
      return;
    }
  g_clear_pointer (&row, cr_hearing_row_free);
  row = cr_hearing_store_get (recorder->index, id, &error);
  if (row == NULL)
    {
      refuse (msg, principal, SOUP_STATUS_INTERNAL_SERVER_ERROR, "failed",
              error != NULL ? error->message : "the hearing is gone");
      return;
    }
  answer (msg, SOUP_STATUS_OK, describe (row));
  g_message ("API POST %s by %s: 200 ok", route->path,
             cr_text_shown (actor != NULL ? actor : "(anyone)"));
}
