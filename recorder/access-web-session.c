/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-web-session.c: what a login sees: its grant with the sessions'
 * facts, the grant's state, and the playback events it writes (access-web-
 * private.h). */
#include "recorder/access-web-private.h"

#include <string.h>

#include "archive/report.h"
#include "archive/utc.h"
#include "recorder/recorder-private.h"

static void
copy_member (JsonBuilder *builder, JsonObject *from, const char *name, const char *as)
{
  JsonNode *node = from != NULL ? json_object_get_member (from, name) : NULL;

  json_builder_set_member_name (builder, as != NULL ? as : name);
  if (node != NULL)
    json_builder_add_value (builder, json_node_copy (node));
  else
    json_builder_add_null_value (builder);
}

/* One granted session: the hearing report's facts and whether its copy
 * can be played. */
static void
add_session (CrAccessWeb *web, JsonBuilder *builder, const CrAccessLogin *login,
             gint64 session_id)
{
  g_autofree char *report = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *facts = NULL, *session = NULL, *room = NULL;
  JsonArray *pauses = NULL;

  report = cr_report_render (web->recorder->index, web->recorder->config, session_id,
                             CR_REPORT_JSON, NULL);
  if (report != NULL && json_parser_load_from_data (parser, report, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      facts = json_node_get_object (json_parser_get_root (parser));
      session = json_object_get_object_member (facts, "session");
      room = json_object_get_object_member (facts, "room");
      pauses = json_object_get_array_member (facts, "pauses");
    }
  dir = cr_access_service_copy_dir (cr_access_web_service_of (web), login->grant_id, session_id);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, session_id);
  copy_member (builder, facts, "court", NULL);
  copy_member (builder, room, "name", "room");
  copy_member (builder, session, "case", NULL);
  copy_member (builder, session, "title", NULL);
  copy_member (builder, session, "started", NULL);
  copy_member (builder, session, "stopped", NULL);
  copy_member (builder, session, "recorded_seconds", NULL);
  copy_member (builder, session, "paused_seconds", NULL);
  json_builder_set_member_name (builder, "pauses");
  json_builder_begin_array (builder);
  for (guint i = 0; pauses != NULL && i < json_array_get_length (pauses); i++)
    {
      JsonObject *pause = json_array_get_object_element (pauses, i);
      json_builder_begin_object (builder);
      copy_member (builder, pause, "start", NULL);
      copy_member (builder, pause, "end", NULL);
      copy_member (builder, pause, "reason", NULL);
      copy_member (builder, pause, "seconds", NULL);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "copy");
  json_builder_add_string_value (builder, dir != NULL ? "ready" : "pending");
  json_builder_end_object (builder);
}

void
cr_access_web_handle_me (CrAccessWeb *web, SoupServerMessage *msg, CrAccessLogin *login)
{
  CrAccessState state = cr_access_service_check (cr_access_web_service_of (web), login->grant_id);
  gboolean live = state == CR_ACCESS_STATE_READY || state == CR_ACCESS_STATE_PENDING;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  cr_access_web_add_grant_members (builder, login, state);
  json_builder_set_member_name (builder, "sessions");
  json_builder_begin_array (builder);
  /* A grant that ended shows nothing of what it covered. */
  for (guint i = 0; live && i < login->sessions->len; i++)
    add_session (web, builder, login, g_array_index (login->sessions, gint64, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  cr_access_web_respond_json (msg, SOUP_STATUS_OK, builder);
}

void
cr_access_web_handle_state (CrAccessWeb *web, SoupServerMessage *msg, CrAccessLogin *login)
{
  CrAccessState state = cr_access_service_check (cr_access_web_service_of (web), login->grant_id);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *expires = cr_format_utc (login->expires_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, cr_access_state_to_string (state));
  json_builder_set_member_name (builder, "expires");
  json_builder_add_string_value (builder, expires);
  json_builder_end_object (builder);
  cr_access_web_respond_json (msg, SOUP_STATUS_OK, builder);
}

gboolean
cr_access_web_login_covers (const CrAccessLogin *login, gint64 session_id)
{
  for (guint i = 0; i < login->sessions->len; i++)
    if (g_array_index (login->sessions, gint64, i) == session_id)
      return TRUE;
  return FALSE;
}

void
cr_access_web_handle_playback (CrAccessWeb *web, SoupServerMessage *msg, CrAccessLogin *login)
{
  g_autoptr (JsonObject) body = cr_access_web_parse_body (msg);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonBuilder) detail = json_builder_new ();
  g_autoptr (JsonNode) detail_root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *detail_json = NULL;
  g_autofree char *dir = NULL;
  const char *event;
  JsonNode *session_node, *seconds_node;
  gint64 session_id;
  double seconds = 0;

  event = body != NULL ? cr_access_web_string_member (body, "event", 8) : NULL;
  session_node = body != NULL ? json_object_get_member (body, "session") : NULL;
  seconds_node = body != NULL ? json_object_get_member (body, "seconds") : NULL;
  if (event == NULL || (!g_str_equal (event, "start") && !g_str_equal (event, "end")) ||
      session_node == NULL || !JSON_NODE_HOLDS_VALUE (session_node) ||
      json_node_get_value_type (session_node) != G_TYPE_INT64 ||
      (seconds_node != NULL && (!JSON_NODE_HOLDS_VALUE (seconds_node) ||
                                (json_node_get_value_type (seconds_node) != G_TYPE_INT64 &&
                                 json_node_get_value_type (seconds_node) != G_TYPE_DOUBLE))))
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                                   "Expected {\"session\": ID, \"event\": \"start\" or \"end\", "
                                   "\"seconds\": N}");
      return;
    }
  session_id = json_node_get_int (session_node);
  if (seconds_node != NULL)
    seconds = json_node_get_double (seconds_node);
  if (!(seconds >= 0 && seconds < 1e7))
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                                   "seconds: expected the seconds played, 0 or more");
      return;
    }
  /* A start needs the grant as it is now; an end is still written once
   * the grant has ended under the player (revoked meanwhile): the audit
   * then says how long it was watched. */
  if (g_str_equal (event, "start"))
    {
      if (!cr_access_web_require_live_grant (web, msg, login))
        return;
      if (cr_access_web_login_covers (login, session_id))
        dir = cr_access_service_copy_dir (cr_access_web_service_of (web), login->grant_id,
                                          session_id);
    }
  else if (cr_access_web_login_covers (login, session_id))
    dir = g_strdup ("");
  if (dir == NULL)
    {
      cr_access_web_not_found (msg);
      return;
    }
  if (login->events >= MAX_EVENTS_PER_LOGIN)
    {
      cr_access_web_set_retry_after (msg, 3600);
      cr_access_web_respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "too-many",
                                   "Too many playback events from this login");
      return;
    }
  login->events++;

  json_builder_begin_object (detail);
  json_builder_set_member_name (detail, "address");
  json_builder_add_string_value (detail, cr_access_web_address_of (msg));
  json_builder_set_member_name (detail, "session");
  json_builder_add_int_value (detail, session_id);
  if (g_str_equal (event, "end"))
    {
      json_builder_set_member_name (detail, "seconds");
      /* Whole seconds: a double would be written as 1.8999999999999999. */
      json_builder_add_int_value (detail, (gint64) (seconds + 0.5));
    }
  json_builder_end_object (detail);
  detail_root = json_builder_get_root (detail);
  detail_json = json_to_string (detail_root, FALSE);
  if (!cr_access_service_record (cr_access_web_service_of (web), login->grant_id,
                                 g_str_equal (event, "start") ? CR_EVENT_PLAYBACK_START
                                                              : CR_EVENT_PLAYBACK_END,
                                 detail_json, &error))
    {
      g_warning ("Access: the playback event of grant G%" G_GINT64_FORMAT
                 " was not recorded: %s", login->grant_id, error->message);
      cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                   "The event could not be recorded");
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "recorded");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  cr_access_web_respond_json (msg, SOUP_STATUS_OK, builder);
}

