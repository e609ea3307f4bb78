/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* console-feed.c: see console-feed.h.
 *
 * Server-sent events rather than a WebSocket: the console only listens
 * (its commands are the API's POSTs, which carry their CSRF header and
 * their role like any other), SSE is plain HTTP that the control
 * listener's bounds and a proxy understand, and the browser reconnects by
 * itself. The connection is taken from libsoup once the request is
 * admitted and written here, without blocking: libsoup would queue every
 * chunk in memory for a client that stops reading. */
#include "recorder/console-feed.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/socket.h>

#include "archive/event-kind.h"
#include "archive/segment-index.h"
#include "archive/utc.h"

#define LEVELS_INTERVAL_MS 100     /* the level element's interval: 10 Hz */
#define STATUS_INTERVAL_MS 250     /* looks for changes this often */
#define STATUS_EVERY_US (1 * G_USEC_PER_SEC)   /* and sends it this often anyway */

/* A client's kernel send buffer is kept small, so that one that stops
 * reading shows here within seconds instead of after megabytes. */
#define SEND_BUFFER_BYTES (32 * 1024)
/* Unsent text kept for a client at most: a status or an event is never
 * dropped (the console would show a wrong state), so a client this far
 * behind is cut. */
#define MAX_UNSENT_BYTES (256 * 1024)
/* Unsent text that stays unsent this long: the client is gone or stuck. */
#define STALL_US (10 * G_USEC_PER_SEC)

#define BACKLOG_EVENTS 50
#define EVENTS_PER_TICK 200

typedef struct {
  CrConsoleFeed *feed;
  GIOStream *stream;
  GSocket *socket;
  GString *unsent;
  GSource *in_source;
  GSource *out_source;
  gint64 stalled_since_us;     /* monotonic, 0 while nothing is unsent */
} Client;

struct CrConsoleFeed {
  CrRecorder *recorder;        /* borrowed */
  guint max_streams;
  char **bookmarks;
  GPtrArray *clients;          /* Client* (owned) */
  guint levels_timer;
  guint status_timer;
  char *last_fingerprint;
  gint64 last_status_us;
  GHashTable *alarms;          /* "alarm|input" -> its JSON, as last sent */
  gint64 session_id;           /* the session whose events are followed */
  gint64 last_event_id;
  guint64 dropped;
  guint64 cut;
};

static void start_timers (CrConsoleFeed *feed);
static void stop_timers (CrConsoleFeed *feed);

/* --- clients ---------------------------------------------------------------- */

static void
client_close (Client *client)
{
  CrConsoleFeed *feed = client->feed;

  if (client->in_source != NULL)
    {
      g_source_destroy (client->in_source);
      g_clear_pointer (&client->in_source, g_source_unref);
    }
  if (client->out_source != NULL)
    {
      g_source_destroy (client->out_source);
      g_clear_pointer (&client->out_source, g_source_unref);
    }
  g_io_stream_close (client->stream, NULL, NULL);
  g_object_unref (client->stream);
  g_object_unref (client->socket);
  g_string_free (client->unsent, TRUE);
  g_ptr_array_remove_fast (feed->clients, client);
  g_free (client);
  if (feed->clients->len == 0)
    stop_timers (feed);
}

static void
client_cut (Client *client, const char *why)
{
  client->feed->cut++;
  g_message ("Console: an event stream was cut: %s", why);
  client_close (client);
}

static gboolean on_writable (GSocket *socket, GIOCondition condition, gpointer data);

/* Sends what it can of the unsent text now; FALSE when the client was
 * closed. */
static gboolean
client_flush (Client *client)
{
  while (client->unsent->len > 0)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_send_with_blocking (client->socket, client->unsent->str,
                                              client->unsent->len, FALSE, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n <= 0)
        {
          /* The client went away: not worth a log line of its own. */
          client_close (client);
          return FALSE;
        }
      g_string_erase (client->unsent, 0, n);
      client->stalled_since_us = 0;
    }
  if (client->unsent->len == 0)
    {
      if (client->out_source != NULL)
        {
          g_source_destroy (client->out_source);
          g_clear_pointer (&client->out_source, g_source_unref);
        }
      client->stalled_since_us = 0;
      return TRUE;
    }
  if (client->stalled_since_us == 0)
    client->stalled_since_us = g_get_monotonic_time ();
  if (client->out_source == NULL)
    {
      client->out_source = g_socket_create_source (client->socket, G_IO_OUT, NULL);
      g_source_set_callback (client->out_source, G_SOURCE_FUNC (on_writable), client, NULL);
      g_source_attach (client->out_source, NULL);
    }
  return TRUE;
}

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer data)
{
  Client *client = data;

  if (!client_flush (client))
    return G_SOURCE_REMOVE;
  /* client_flush dropped this source once all was sent. */
  return client->out_source != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The client says nothing after its request: whatever comes is read and
 * dropped; the end of it is the client gone. */
static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer data)
{
  Client *client = data;
  char buffer[4096];
  g_autoptr (GError) error = NULL;
  gssize n = g_socket_receive_with_blocking (socket, buffer, sizeof buffer, FALSE, NULL,
                                             &error);

  if (n > 0 || (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
    return G_SOURCE_CONTINUE;
  /* client_close destroys this source: drop our reference first. */
  g_clear_pointer (&client->in_source, g_source_unref);
  client_close (client);
  return G_SOURCE_REMOVE;
}

/* Queues @text for @client. A @droppable frame (levels) is dropped while
 * anything is still unsent: the next one is 100 ms away and says more.
 * FALSE when the client was closed. */
static gboolean
client_send (Client *client, const char *text, gsize length, gboolean droppable)
{
  if (client->unsent->len > 0)
    {
      if (droppable)
        {
          client->feed->dropped++;
          return TRUE;
        }
      if (client->unsent->len + length > MAX_UNSENT_BYTES)
        {
          client_cut (client, "the client reads too slowly");
          return FALSE;
        }
    }
  g_string_append_len (client->unsent, text, length);
  return client_flush (client);
}

/* "event: @name\ndata: @json\n\n" (transfer full) */
static char *
frame (const char *name, JsonNode *data, gsize *length)
{
  g_autofree char *json = json_to_string (data, FALSE);
  char *text = g_strdup_printf ("event: %s\ndata: %s\n\n", name, json);

  *length = strlen (text);
  return text;
}

static void
broadcast (CrConsoleFeed *feed, const char *name, JsonNode *data, gboolean droppable)
{
  gsize length;
  g_autofree char *text = frame (name, data, &length);

  /* Backwards: a client cut on the way is removed with remove_fast. */
  for (guint i = feed->clients->len; i > 0; i--)
    client_send (g_ptr_array_index (feed->clients, i - 1), text, length, droppable);
}

/* --- what is sent ------------------------------------------------------------- */

static JsonNode *
event_node (const CrEventRecord *event)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *at = cr_format_utc (event->at_us);
  JsonNode *detail = event->detail != NULL ? json_from_string (event->detail, NULL) : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, event->id);
  json_builder_set_member_name (b, "session_id");
  json_builder_add_int_value (b, event->session_id);
  json_builder_set_member_name (b, "at");
  json_builder_add_string_value (b, at);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, event->kind_name);
  json_builder_set_member_name (b, "class");
  json_builder_add_string_value (b, cr_event_class_to_string (
                                     cr_event_kind_get_class (event->kind)));
  json_builder_set_member_name (b, "detail");
  /* A marker's detail is its text, not JSON. */
  if (detail != NULL)
    json_builder_add_value (b, detail);
  else if (event->detail != NULL)
    json_builder_add_string_value (b, event->detail);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The status with the daemon's clock ("now", UTC), so that the console
 * counts the elapsed time on the recorder's clock, not on its own. */
static void
stamp_now (JsonNode *status)
{
  g_autofree char *now = cr_format_utc (g_get_real_time ());
  json_object_set_string_member (json_node_get_object (status), "now", now);
}

static gint64
session_of (JsonNode *status)
{
  JsonNode *session = json_object_get_member (json_node_get_object (status), "session");

  if (session == NULL || !JSON_NODE_HOLDS_OBJECT (session))
    return 0;
  return json_object_get_int_member_with_default (json_node_get_object (session), "id", 0);
}

/* Sends the events of @session_id written since the last look. */
static void
follow_events (CrConsoleFeed *feed, gint64 session_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = NULL;

  if (session_id <= 0)
    return;
  events = cr_recorder_list_events_after (feed->recorder, session_id, feed->last_event_id,
                                          EVENTS_PER_TICK, &error);
  if (events == NULL)
    {
      g_debug ("Console: cannot read the events: %s", error->message);
      return;
    }
  for (guint i = 0; i < events->len; i++)
    {
      const CrEventRecord *event = g_ptr_array_index (events, i);
      g_autoptr (JsonNode) node = event_node (event);

      feed->last_event_id = MAX (feed->last_event_id, event->id);
      broadcast (feed, "event", node, FALSE);
    }
}

/* What a change of is worth telling at once: everything but the levels,
 * the clock and the disk's slow count down. (transfer full) */
static char *
fingerprint (JsonNode *status)
{
  static const char *const members[] = { "state", "session", "segment", "layout", "inputs",
                                         "alarms", "broadcast", "streams", "capturing" };
  JsonObject *object = json_node_get_object (status);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *kept = json_object_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (members); i++)
    {
      JsonNode *member = json_object_get_member (object, members[i]);
      if (member != NULL)
        json_object_set_member (kept, members[i], json_node_copy (member));
    }
  json_node_take_object (node, kept);
  return json_to_string (node, FALSE);
}

/* "alarm|input" -> the alarm's JSON, of the status's standing alarms.
 * (transfer full) */
static GHashTable *
standing_alarms (JsonNode *status)
{
  GHashTable *alarms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonArray *array = json_object_get_array_member (json_node_get_object (status), "alarms");

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *alarm = json_node_get_object (node);
      char *key = g_strdup_printf ("%s|%s",
                                   json_object_get_string_member_with_default (alarm, "alarm", ""),
                                   json_object_get_string_member_with_default (alarm, "input", ""));
      g_hash_table_replace (alarms, key, json_to_string (node, FALSE));
    }
  return alarms;
}

static void
send_alarm_change (CrConsoleFeed *feed, const char *json, const char *action)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  json_object_set_string_member (json_node_get_object (node), "action", action);
  broadcast (feed, "alarm", node, FALSE);
}

static void
diff_alarms (CrConsoleFeed *feed, JsonNode *status)
{
  g_autoptr (GHashTable) now = standing_alarms (status);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (feed->alarms, key))
      send_alarm_change (feed, value, "raised");
  g_hash_table_iter_init (&iter, feed->alarms);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (now, key))
      send_alarm_change (feed, value, "cleared");
  g_hash_table_unref (feed->alarms);
  feed->alarms = g_steal_pointer (&now);
}

static gboolean
status_tick (gpointer data)
{
  CrConsoleFeed *feed = data;
  g_autoptr (JsonNode) status = cr_recorder_get_status (feed->recorder);
  g_autofree char *print = fingerprint (status);
  gint64 now_us = g_get_monotonic_time ();
  gint64 session_id = session_of (status);

  /* The session's last events (its stop) before following the next. */
  if (feed->session_id != 0 && feed->session_id != session_id)
    follow_events (feed, feed->session_id);
  feed->session_id = session_id;
  follow_events (feed, session_id);
  diff_alarms (feed, status);
  if (g_strcmp0 (print, feed->last_fingerprint) != 0 ||
      now_us - feed->last_status_us >= STATUS_EVERY_US)
    {
      g_free (feed->last_fingerprint);
      feed->last_fingerprint = g_steal_pointer (&print);
      feed->last_status_us = now_us;
      stamp_now (status);
      broadcast (feed, "status", status, FALSE);
    }

  /* A client with text unsent for too long is not reading. */
  for (guint i = feed->clients->len; i > 0; i--)
    {
      Client *client = g_ptr_array_index (feed->clients, i - 1);
      if (client->stalled_since_us != 0 && now_us - client->stalled_since_us > STALL_US)
        client_cut (client, "the client stopped reading");
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
levels_tick (gpointer data)
{
  CrConsoleFeed *feed = data;
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  json_object_set_member (object, "microphones", cr_recorder_get_levels (feed->recorder));
  json_node_take_object (node, object);
  broadcast (feed, "levels", node, TRUE);
  return G_SOURCE_CONTINUE;
}

static void
start_timers (CrConsoleFeed *feed)
{
  if (feed->levels_timer == 0)
    feed->levels_timer = g_timeout_add (LEVELS_INTERVAL_MS, levels_tick, feed);
  if (feed->status_timer == 0)
    feed->status_timer = g_timeout_add (STATUS_INTERVAL_MS, status_tick, feed);
}

static void
stop_timers (CrConsoleFeed *feed)
{
  g_clear_handle_id (&feed->levels_timer, g_source_remove);
  g_clear_handle_id (&feed->status_timer, g_source_remove);
}

/* @member: [{"name","label"}] of @inputs (CrInputConfig*). */
static void
add_inputs (JsonBuilder *b, const char *member, GPtrArray *inputs)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < inputs->len; i++)
    {
      const CrInputConfig *input = g_ptr_array_index (inputs, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, input->name);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, input->label);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* The room, its inputs and the court's bookmarks, for the page to lay
 * itself out. (transfer full) */
static JsonNode *
hello (CrConsoleFeed *feed, JsonNode *status)
{
  const CrConfig *config = cr_recorder_get_config (feed->recorder);
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, config->room_id);
  json_builder_set_member_name (b, "room_name");
  json_builder_add_string_value (b, config->room_name);
  json_builder_set_member_name (b, "court");
  json_builder_add_string_value (b, config->court);
  json_builder_set_member_name (b, "levels_hz");
  json_builder_add_int_value (b, 1000 / LEVELS_INTERVAL_MS);
  json_builder_set_member_name (b, "bookmarks");
  json_builder_begin_array (b);
  for (char **mark = feed->bookmarks; mark != NULL && *mark != NULL; mark++)
    json_builder_add_string_value (b, *mark);
  json_builder_end_array (b);
  add_inputs (b, "cameras", config->cameras);
  add_inputs (b, "microphones", config->microphones);
  json_builder_set_member_name (b, "silence_dbfs");
  json_builder_add_int_value (b, config->silence_dbfs);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* --- the feed ------------------------------------------------------------------- */

CrConsoleFeed *
cr_console_feed_new (CrRecorder *recorder, guint max_streams, const char *bookmarks)
{
  CrConsoleFeed *feed;

  g_return_val_if_fail (recorder != NULL, NULL);
  g_return_val_if_fail (max_streams > 0, NULL);

  feed = g_new0 (CrConsoleFeed, 1);
  feed->recorder = recorder;
  feed->max_streams = max_streams;
  feed->clients = g_ptr_array_new ();
  feed->alarms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (bookmarks != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (bookmarks, ";", -1);
      g_autoptr (GStrvBuilder) kept = g_strv_builder_new ();
      for (char **part = parts; *part != NULL; part++)
        {
          g_strstrip (*part);
          if (**part != '\0')
            g_strv_builder_add (kept, *part);
        }
      feed->bookmarks = g_strv_builder_end (kept);
    }
  return feed;
}

void
cr_console_feed_free (CrConsoleFeed *feed)
{
  if (feed == NULL)
    return;
  while (feed->clients->len > 0)
    client_close (g_ptr_array_index (feed->clients, 0));
  stop_timers (feed);
  g_ptr_array_unref (feed->clients);
  g_hash_table_unref (feed->alarms);
  g_strfreev (feed->bookmarks);
  g_free (feed->last_fingerprint);
  g_free (feed);
}

gboolean
cr_console_feed_is_full (CrConsoleFeed *feed)
{
  g_return_val_if_fail (feed != NULL, TRUE);
  return feed->clients->len >= feed->max_streams;
}

void
cr_console_feed_take (CrConsoleFeed *feed, GIOStream *stream, GSocket *socket)
{
  static const char headers[] =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Connection: close\r\n"
      "\r\n"
      /* The browser's EventSource tries again after this many ms. */
      "retry: 2000\n\n";
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (JsonNode) greeting = NULL;
  gint64 session_id;
  Client *client;
  gsize length;

  g_return_if_fail (feed != NULL && G_IS_IO_STREAM (stream) && G_IS_SOCKET (socket));

  /* Full meanwhile (between the admission and now): the caller checked
   * before taking the connection; this is the rare race. */
  if (cr_console_feed_is_full (feed))
    {
      static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                                 "Content-Length: 0\r\nRetry-After: 2\r\n\r\n";
      g_socket_send_with_blocking (socket, busy, strlen (busy), FALSE, NULL, NULL);
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
      return;
    }
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SEND_BUFFER_BYTES, NULL);

  client = g_new0 (Client, 1);
  client->feed = feed;
  client->stream = stream;
  client->socket = g_object_ref (socket);
  client->unsent = g_string_new (NULL);
  g_ptr_array_add (feed->clients, client);
  client->in_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (client->in_source, G_SOURCE_FUNC (on_readable), client, NULL);
  g_source_attach (client->in_source, NULL);
  start_timers (feed);

  if (!client_send (client, headers, strlen (headers), FALSE))
    return;
  status = cr_recorder_get_status (feed->recorder);
  greeting = hello (feed, status);
  {
    g_autofree char *text = frame ("hello", greeting, &length);
    if (!client_send (client, text, length, FALSE))
      return;
  }
  stamp_now (status);
  {
    g_autofree char *text = frame ("status", status, &length);
    if (!client_send (client, text, length, FALSE))
      return;
  }
  /* The running session so far, for this client only. */
  session_id = session_of (status);
  if (session_id > 0)
    {
      g_autoptr (GPtrArray) events =
          cr_recorder_list_events_after (feed->recorder, session_id, 0, BACKLOG_EVENTS, NULL);
      if (events != NULL && events->len > 0 && feed->session_id != session_id)
        {
          /* No one followed this session yet: from here on. */
          const CrEventRecord *last = g_ptr_array_index (events, events->len - 1);
          feed->session_id = session_id;
          feed->last_event_id = MAX (feed->last_event_id, last->id);
        }
      /* Later events reach every client from the timer. */
      for (guint i = 0; events != NULL && i < events->len; i++)
        {
          const CrEventRecord *event = g_ptr_array_index (events, i);
          g_autoptr (JsonNode) node = NULL;
          g_autofree char *text = NULL;

          if (event->id > feed->last_event_id)
            break;
          node = event_node (event);
          text = frame ("event", node, &length);
          if (!client_send (client, text, length, FALSE))
            return;
        }
    }
}

guint
cr_console_feed_get_streams (CrConsoleFeed *feed)
{
  return feed->clients->len;
}

guint64
cr_console_feed_get_dropped (CrConsoleFeed *feed)
{
  return feed->dropped;
}

guint64
cr_console_feed_get_cut (CrConsoleFeed *feed)
{
  return feed->cut;
}
