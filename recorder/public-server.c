/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* public-server.c: see public-server.h. */
#include "recorder/public-server.h"

#include "recorder/access-web.h"
#include "recorder/broadcast.h"
#include "recorder/http-server.h"
#include "recorder/recorder-private.h"
#include "streaming/live-schedule.h"
#include "streaming/live-web.h"
#include "vod/vod-web.h"

/* A viewer's request is a playlist, a segment or the page: its headers
 * come within seconds, and a segment of a few hundred kB goes out well
 * within the second deadline even to a slow phone. */
#define HEADER_TIMEOUT_MS 10000
#define EXCHANGE_TIMEOUT_MS 60000
/* The public schedule is read from the index at most this often, however
 * many viewers ask: a calendar change or a decision shows within it. */
#define SCHEDULE_MAX_AGE_S 5

struct CrPublicServer {
  CrRecorder *recorder;   /* borrowed */
  CrHttpServer *http;
  CrAccessWeb *access_web;  /* the parties' pages, /access/ */
  CrLiveSchedule *schedule; /* /live/schedule.json */
};

/* The public reads; nothing it sends has a body. */
static gboolean
admit_request (SoupServerMessage *msg, const char *path, CrHttpRefusal *refusal,
               gpointer user_data)
{
  CrPublicServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  /* The parties' pages take a login and a request form: their own rules. */
  if (cr_access_web_owns (path) && self->access_web != NULL)
    return cr_access_web_admit (self->access_web, msg, path, refusal);
  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0)
    {
      refusal->status = SOUP_STATUS_METHOD_NOT_ALLOWED;
      refusal->content_type = "text/plain; charset=utf-8";
      refusal->body = g_strdup ("Method not allowed\n");
      refusal->header_name = "Allow";
      refusal->header_value = "GET, HEAD";
      return FALSE;
    }
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_NONE &&
      !(soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
        soup_message_headers_get_content_length (headers) == 0))
    {
      refusal->status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
      refusal->content_type = "text/plain; charset=utf-8";
      refusal->body = g_strdup ("A request to the public pages has no body\n");
      return FALSE;
    }
  return TRUE;
}

static void
live_web_state (CrLiveWebState *state, gpointer user_data)
{
  CrPublicServer *self = user_data;
  CrBroadcast *broadcast = cr_recorder_get_broadcast (self->recorder);
  const CrConfig *config = cr_recorder_get_config (self->recorder);

  state->court = config->court;
  state->room_name = config->room_name;
  state->hls_dir = cr_broadcast_get_hls_dir (broadcast);
  state->case_number = cr_broadcast_get_case (broadcast);
  /* Without the HLS running there is nothing for the page to play. */
  state->state = state->hls_dir != NULL ? cr_broadcast_get_public_state (broadcast) : "off";
}

CrPublicServer *
cr_public_server_new (CrRecorder *recorder, guint max_connections, GError **error)
{
  const CrConfig *config;
  g_autoptr (CrPublicServer) self = NULL;
  CrHttpLimits limits = {
    .name = "public",
    .header_timeout_ms = HEADER_TIMEOUT_MS,
    .exchange_timeout_ms = EXCHANGE_TIMEOUT_MS,
  };

  g_return_val_if_fail (recorder != NULL, NULL);
  config = cr_recorder_get_config (recorder);
  g_return_val_if_fail (config->public_host != NULL, NULL);
  g_return_val_if_fail (max_connections > 0, NULL);

  limits.max_connections = MIN (config->public_max_connections, max_connections);
  limits.max_connections_per_client = config->public_max_connections_per_client;
  limits.requests_per_second = config->public_requests_per_second;
  self = g_new0 (CrPublicServer, 1);
  self->recorder = recorder;
  self->http = cr_http_server_new (&limits, admit_request, self);
  self->schedule = cr_live_schedule_new (recorder->index, config->schedule_timezone,
                                         config->schedule_public_days,
                                         config->schedule_calendar != NULL ||
                                             config->schedule_feed != NULL,
                                         SCHEDULE_MAX_AGE_S);
  cr_live_web_add_handlers_full (cr_http_server_get_soup (self->http), config->room_id,
                                 live_web_state, self, self->schedule);
  self->access_web = cr_access_web_new (recorder, self->http);
  if (cr_recorder_get_vod_service (recorder) != NULL)
    cr_vod_web_add_handlers (cr_http_server_get_soup (self->http),
                             cr_recorder_get_vod_service (recorder));
  if (!cr_http_server_listen (self->http, config->public_host, config->public_port, error))
    return NULL;
  return g_steal_pointer (&self);
}

CrHttpServer *
cr_public_server_get_http (CrPublicServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return server->http;
}

void
cr_public_server_free (CrPublicServer *server)
{
  if (server == NULL)
    return;
  cr_http_server_free (server->http);
  cr_access_web_free (server->access_web);
  cr_live_schedule_free (server->schedule);
  g_free (server);
}
