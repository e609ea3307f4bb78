/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rooms.c: the rooms verb, every courtroom of the machine on one screen:
 * each room's config read, each daemon asked for its status at the same
 * time (twenty rooms answer in about one timeout, not twenty), one line a
 * room. A room whose config is broken or whose daemon does not answer is a
 * line that says so; it never keeps the other rooms from being shown. */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/daemon-reply.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

#define ROOMS_DIR "/etc/courtrec"
#define DEFAULT_TIMEOUT_SECONDS 3

typedef struct Survey Survey;

typedef struct {
  Survey *survey;            /* the survey it is part of */
  char *config_path;
  CrConfig *config;          /* NULL when the config is broken */
  char *broken;              /* why the config could not be read */
  JsonNode *status;          /* the daemon's status, once it answered */
  char *down;                /* why there is no status */
  gboolean asked;            /* the daemon was asked (its token could be read) */
  gboolean answered;         /* something answered in HTTP, if not with a status */
  SoupMessage *message;
} Room;

struct Survey {
  GPtrArray *rooms;          /* (element-type Room) */
  guint pending;             /* requests not yet answered */
  guint timeout_seconds;
  GMainLoop *loop;
  GCancellable *cancellable;
};

static void
room_free (Room *room)
{
  g_free (room->config_path);
  g_clear_pointer (&room->config, cr_config_free);
  g_free (room->broken);
  g_clear_pointer (&room->status, json_node_unref);
  g_free (room->down);
  g_clear_object (&room->message);
  g_free (room);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The room configs: the -c FILEs, the global ones and the verb's own, else
 * every *.conf in @dir, sorted. NULL, the message printed, when there are
 * none. (transfer full) */
static GPtrArray *
find_configs (VerbCall *call, const char *dir, int *exit_code)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) listing = NULL;
  char **given = verb_files (call, "config");
  const char *name;
  g_autofree char *shown = shown_path (dir);

  for (guint i = 0; config_paths != NULL && config_paths[i] != NULL; i++)
    g_ptr_array_add (paths, g_strdup (config_paths[i]));
  for (guint i = 0; given != NULL && given[i] != NULL; i++)
    g_ptr_array_add (paths, g_strdup (given[i]));
  if (paths->len > 0)
    return g_steal_pointer (&paths);

  listing = g_dir_open (dir, 0, &error);
  if (listing == NULL)
    {
      *exit_code = fail (EXIT_USAGE, "rooms: cannot read the room configs in %s: %s", shown,
                         error->message);
      return NULL;
    }
  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (name, ".conf") && name[0] != '.')
      g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
  if (paths->len == 0)
    {
      *exit_code = fail (EXIT_USAGE, "rooms: no room config (*.conf) in %s; give -c FILE "
                         "or --dir DIR", shown);
      return NULL;
    }
  g_ptr_array_sort (paths, compare_paths);
  return g_steal_pointer (&paths);
}

static void
room_answered (Survey *survey)
{
  if (--survey->pending == 0)
    g_main_loop_quit (survey->loop);
}

static void
on_status (GObject *source, GAsyncResult *result, gpointer data)
{
  Room *room = data;
  Survey *survey = room->survey;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  g_autofree char *endpoint = api_endpoint (room->config);
  guint status;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        room->down = g_strdup_printf ("courtrecd did not answer on %s within %u s",
                                      cr_text_shown (endpoint), survey->timeout_seconds);
      else
        room->down = g_strdup_printf ("courtrecd is not answering on %s: %s",
                                      cr_text_shown (endpoint), error->message);
      room_answered (survey);
      return;
    }
  room->answered = TRUE;
  status = soup_message_get_status (room->message);
  if (status == SOUP_STATUS_OK)
    room->status = api_reply_json (body);
  if (room->status != NULL && !JSON_NODE_HOLDS_OBJECT (room->status))
    g_clear_pointer (&room->status, json_node_unref);
  if (room->status == NULL && status == SOUP_STATUS_OK)
    room->down = g_strdup_printf ("what answers on %s sent a status that is not JSON",
                                  cr_text_shown (endpoint));
  else if (room->status == NULL && status == SOUP_STATUS_UNAUTHORIZED)
    room->down = g_strdup_printf ("courtrecd on %s refused the API token from %s",
                                  cr_text_shown (endpoint), api_token_source ());
  else if (room->status == NULL)
    room->down = g_strdup_printf ("courtrecd on %s answered %u %s", cr_text_shown (endpoint),
                                  status, cr_text_shown (soup_message_get_reason_phrase (
                                                           room->message)));
  room_answered (survey);
}

static gboolean
on_deadline (gpointer data)
{
  Survey *survey = data;

  g_cancellable_cancel (survey->cancellable);
  return G_SOURCE_REMOVE;
}

/* Every room's config read and every daemon asked at once; back when all
 * have answered or the timeout is over, whichever is first. */
static void
survey_rooms (Survey *survey, GPtrArray *paths)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (GSource) deadline = NULL;

  g_main_context_push_thread_default (context);
  /* Rooms share 127.0.0.1: with libsoup's default, it would ask two at a
   * time. */
  session = api_session_new (survey->timeout_seconds, MAX (paths->len, 2));
  survey->loop = g_main_loop_new (context, FALSE);
  survey->cancellable = g_cancellable_new ();
  for (guint i = 0; i < paths->len; i++)
    {
      Room *room = g_new0 (Room, 1);
      g_autoptr (GError) error = NULL;

      room->survey = survey;
      room->config_path = g_strdup (paths->pdata[i]);
      g_ptr_array_add (survey->rooms, room);
      room->config = cr_config_load (room->config_path, &error);
      if (room->config == NULL)
        {
          room->broken = g_strdup (error->message);
          continue;
        }
      room->message = api_request_new (room->config, "GET", "/status", NULL, &error);
      if (room->message == NULL)
        {
          room->down = g_strdup (error->message);
          continue;
        }
      room->asked = TRUE;
      survey->pending++;
      soup_session_send_and_read_async (session, room->message, G_PRIORITY_DEFAULT,
                                        survey->cancellable, on_status, room);
    }
  if (survey->pending > 0)
    {
      deadline = g_timeout_source_new_seconds (survey->timeout_seconds);
      g_source_set_callback (deadline, on_deadline, survey, NULL);
      g_source_attach (deadline, context);
      g_main_loop_run (survey->loop);
      g_source_destroy (deadline);
    }
  g_clear_object (&survey->cancellable);
  g_clear_pointer (&survey->loop, g_main_loop_unref);
  g_clear_object (&session);
  g_main_context_pop_thread_default (context);
}

/* --- one room, as a line and as JSON ------------------------------------------ */

static JsonObject *
room_status (const Room *room)
{
  return room->status != NULL ? json_node_get_object (room->status) : NULL;
}

/* What stands for the state of a room that gave none: "broken" when its
 * config cannot be read, "down" when nothing answered in time, "unknown"
 * when this user cannot read the room's token to ask or what answered
 * would not say (the token refused, an error, not JSON); NULL when the
 * daemon gave its status. */
static const char *
room_condition (const Room *room)
{
  if (room->broken != NULL)
    return "broken";
  if (room->status != NULL)
    return NULL;
  return room->asked && !room->answered ? "down" : "unknown";
}

/* "recording", "paused (recess)", "standby", or room_condition's. */
static char *
room_state (const Room *room)
{
  JsonObject *status = room_status (room);
  const char *state = member_string (status, "state");
  const char *reason = member_string (member_object (status, "session"), "pause_reason");

  if (room_condition (room) != NULL)
    return g_strdup (room_condition (room));
  if (g_strcmp0 (state, "paused") == 0 && reason != NULL)
    return g_strdup_printf ("paused (%s)", cr_text_shown (reason));
  return g_strdup (state != NULL ? cr_text_shown (state) : "unknown");
}

/* The alarms standing, as a count: the daemon's list, or its flag alone. */
static guint
room_alarm_count (const Room *room)
{
  JsonArray *alarms = member_array (room_status (room), "alarms");
  gboolean standing = FALSE;

  if (alarms != NULL && json_array_get_length (alarms) > 0)
    return json_array_get_length (alarms);
  member_boolean (room_status (room), "alarms_standing", &standing);
  return standing ? 1 : 0;
}

/* Well: its config read, its daemon answered, no alarm standing. */
static gboolean
room_is_well (const Room *room)
{
  return room->status != NULL && room_alarm_count (room) == 0;
}

/* "none", or "2: camera-lost 证人, disk-low". */
static char *
format_alarms (const Room *room)
{
  JsonArray *alarms = member_array (room_status (room), "alarms");
  guint n = alarms != NULL ? json_array_get_length (alarms) : 0;
  GString *text;

  if (room_alarm_count (room) == 0)
    return g_strdup ("none");
  if (n == 0)
    return g_strdup ("STANDING");
  text = g_string_new (NULL);
  g_string_append_printf (text, "%u:", n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *alarm = element_object (alarms, i);
      const char *what = member_string (alarm, "alarm");
      const char *input = member_string (alarm, "input");

      g_string_append_printf (text, "%s %s", i > 0 ? "," : "",
                              what != NULL ? cr_text_shown (what) : "alarm");
      if (input != NULL)
        g_string_append_printf (text, " %s", cr_text_shown (input));
    }
  return g_string_free (text, FALSE);
}

/* "5 h 30 min", "FULL", or "-" when not measured yet. */
static char *
format_runway (const Room *room)
{
  JsonObject *disk = member_object (room_status (room), "disk");
  double seconds_left = 0;
  gboolean full = FALSE;

  member_boolean (disk, "full", &full);
  if (full)
    return g_strdup ("FULL");
  if (!member_number (disk, "seconds_left", &seconds_left))
    return g_strdup ("-");
  return format_duration ((gint64) seconds_left);
}

/* "portal live, hls stopped", or "-". */
static char *
format_streams (const Room *room)
{
  JsonArray *streams = member_array (room_status (room), "streams");
  GString *text = g_string_new (NULL);

  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = element_object (streams, i);
      gboolean cut = FALSE;

      member_boolean (stream, "cut", &cut);
      g_string_append_printf (text, "%s%s %s%s", text->len > 0 ? ", " : "",
                              cr_text_shown (member_string (stream, "name")),
                              cr_text_shown (member_string (stream, "state")),
                              cut ? " (cut)" : "");
    }
  if (text->len == 0)
    g_string_append (text, "-");
  return g_string_free (text, FALSE);
}

static gint64
room_elapsed (const Room *room)
{
  return seconds_since (member_string (member_object (room_status (room), "session"),
                                       "started"));
}

static char **
room_row (const Room *room)
{
  JsonObject *session = member_object (room_status (room), "session");
  const char *case_no = member_string (session, "case");
  gint64 elapsed = room_elapsed (room);
  char **row = g_new0 (char *, 10);
  g_autofree char *base = g_path_get_basename (room->config_path);

  if (room->config != NULL)
    {
      row[0] = g_strdup (cr_text_shown (room->config->room_id));
      row[1] = g_strdup (cr_text_shown (room->config->room_name));
    }
  else
    {
      row[0] = g_strdup (cr_text_shown (base));
      row[1] = g_strdup ("-");
    }
  row[2] = room_state (room);
  row[3] = g_strdup (case_no != NULL ? cr_text_shown (case_no) : "-");
  row[4] = session != NULL && elapsed >= 0 ? format_duration (elapsed) : g_strdup ("-");
  if (room->status != NULL)
    {
      row[5] = format_alarms (room);
      row[6] = format_runway (room);
      row[7] = format_streams (room);
      row[8] = g_strdup ("");
    }
  else
    {
      row[5] = g_strdup ("-");
      row[6] = g_strdup ("-");
      row[7] = g_strdup ("-");
      row[8] = terminal_message (room->broken != NULL ? room->broken : room->down);
    }
  return row;
}

static void
add_member_copy (JsonBuilder *builder, JsonObject *object, const char *name)
{
  JsonNode *member = object != NULL ? json_object_get_member (object, name) : NULL;

  json_builder_set_member_name (builder, name);
  if (member != NULL)
    json_builder_add_value (builder, json_node_copy (member));
  else
    json_builder_add_null_value (builder);
}

static void
add_room_json (JsonBuilder *builder, const Room *room)
{
  JsonObject *status = room_status (room);
  JsonObject *session = member_object (status, "session");
  JsonObject *disk = member_object (status, "disk");
  g_autofree char *absolute = g_canonicalize_filename (room->config_path, NULL);
  const char *state = room_condition (room) != NULL ? room_condition (room)
                                                    : member_string (status, "state");
  gint64 elapsed = room_elapsed (room);

  json_builder_begin_object (builder);
  add_string_or_null (builder, "room", room->config != NULL ? room->config->room_id : NULL);
  add_string_or_null (builder, "name", room->config != NULL ? room->config->room_name : NULL);
  add_string_or_null (builder, "config", absolute);
  add_string_or_null (builder, "state", state);
  add_string_or_null (builder, "reason", room->broken != NULL ? room->broken : room->down);
  json_builder_set_member_name (builder, "well");
  json_builder_add_boolean_value (builder, room_is_well (room));
  add_string_or_null (builder, "pause_reason", member_string (session, "pause_reason"));
  add_string_or_null (builder, "case", member_string (session, "case"));
  add_string_or_null (builder, "title", member_string (session, "title"));
  json_builder_set_member_name (builder, "session_id");
  if (session != NULL)
    json_builder_add_int_value (builder, member_int (session, "id"));
  else
    json_builder_add_null_value (builder);
  add_string_or_null (builder, "started", member_string (session, "started"));
  json_builder_set_member_name (builder, "elapsed_seconds");
  if (session != NULL && elapsed >= 0)
    json_builder_add_int_value (builder, elapsed);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "alarm_count");
  json_builder_add_int_value (builder, room_alarm_count (room));
  add_member_copy (builder, status, "alarms");
  add_member_copy (builder, disk, "seconds_left");
  add_member_copy (builder, disk, "free_bytes");
  add_member_copy (builder, status, "streams");
  json_builder_end_object (builder);
}

int
run_rooms (VerbCall *call)
{
  const char *dir = verb_text (call, "dir") != NULL ? verb_text (call, "dir") : ROOMS_DIR;
  const char *timeout_arg = verb_text (call, "timeout");
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GPtrArray) rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) room_free);
  Survey survey = { .rooms = rooms, .timeout_seconds = DEFAULT_TIMEOUT_SECONDS };
  gboolean all_well = TRUE;
  guint64 timeout = DEFAULT_TIMEOUT_SECONDS;
  int code;

  if (timeout_arg != NULL && !g_ascii_string_to_unsigned (timeout_arg, 10, 1, 60, &timeout, NULL))
    return fail (EXIT_USAGE, "rooms: --timeout: expected a whole number of seconds from 1 to "
                 "60, got '%s'", cr_text_shown (timeout_arg));
  survey.timeout_seconds = (guint) timeout;
  paths = find_configs (call, dir, &code);
  if (paths == NULL)
    return code;
  survey_rooms (&survey, paths);

  for (guint i = 0; i < rooms->len; i++)
    all_well = all_well && room_is_well (rooms->pdata[i]);
  if (verb_flag (call, "json"))
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < rooms->len; i++)
        add_room_json (builder, rooms->pdata[i]);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
    }
  else
    {
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

      g_ptr_array_add (rows, g_strsplit ("ROOM NAME STATE CASE ELAPSED ALARMS RUNWAY STREAMS "
                                         "REASON", " ", -1));
      for (guint i = 0; i < rooms->len; i++)
        g_ptr_array_add (rows, room_row (rooms->pdata[i]));
      print_table (rows);
    }
  return all_well ? EXIT_OK : EXIT_RUNTIME;
}
