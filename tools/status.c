/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status.c: the status verb, the daemon's status as a clerk reads it (the
 * session, the inputs and their levels, alarms, disk, the court archive's
 * queue, live outputs) or as
 * JSON. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/daemon-reply.h"
#include "tools/index-access.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

/* One line per live output, e.g.
 * "stream:   portal (rtmp) live, showing live, 2030 kbit/s, 0 reconnects". */
static void
print_streams (JsonObject *status)
{
  JsonArray *streams = status != NULL && json_object_has_member (status, "streams")
                         ? json_object_get_array_member (status, "streams") : NULL;
  JsonObject *broadcast = member_object (status, "broadcast");

  if (broadcast != NULL)
    printf ("on air:   %s (public: %s)\n",
            json_object_get_boolean_member_with_default (broadcast, "on_air", FALSE) ? "yes"
                                                                                     : "no",
            cr_text_shown (member_string (broadcast, "public_state")));
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      const char *error = member_string (stream, "last_error");

      printf ("stream:   %s (%s) %s, showing %s%s, %" G_GINT64_FORMAT " kbit/s, %"
              G_GINT64_FORMAT " reconnects, %" G_GINT64_FORMAT " frames dropped%s%s\n",
              cr_text_shown (member_string (stream, "name")),
              cr_text_shown (member_string (stream, "kind")),
              cr_text_shown (member_string (stream, "state")),
              cr_text_shown (member_string (stream, "showing")),
              json_object_get_boolean_member_with_default (stream, "cut", FALSE) ? " (cut)" : "",
              member_int (stream, "bitrate_kbps"), member_int (stream, "reconnects"),
              member_int (stream, "dropped_video"), error != NULL ? "; last error: " : "",
              error != NULL ? cr_text_shown (error) : "");
    }
}

/* The level of a microphone as a clerk reads it: "silent" at or below the
 * room's silence floor (the meter's own floor is a number like -699.99
 * that means nothing to anyone), else "-23.4 dBFS (peak -12.0)".
 * The daemon's "silent" says so when it gives one. (transfer full) */
static char *
format_level (const CrConfig *config, JsonObject *microphone)
{
  double rms = 0, peak = 0;
  gboolean silent = FALSE;
  gboolean has_rms = member_number (microphone, "rms_dbfs", &rms);
  gboolean has_peak = member_number (microphone, "peak_dbfs", &peak);

  if (!member_boolean (microphone, "silent", &silent))
    {
      if (!has_peak && !has_rms)
        return g_strdup ("level unknown");
      silent = (has_peak ? peak : rms) <= config->silence_dbfs;
    }
  if (silent)
    return g_strdup_printf ("silent (at or below %d dBFS)", config->silence_dbfs);
  if (has_rms && has_peak)
    return g_strdup_printf ("%.1f dBFS (peak %.1f)", rms, peak);
  return g_strdup_printf ("%.1f dBFS", has_rms ? rms : peak);
}

static JsonObject *
find_microphone (JsonArray *microphones, const char *name)
{
  for (guint i = 0; microphones != NULL && i < json_array_get_length (microphones); i++)
    {
      JsonObject *microphone = element_object (microphones, i);

      if (g_strcmp0 (member_string (microphone, "name"), name) == 0)
        return microphone;
    }
  return NULL;
}

/* One row per input: kind, name, label, state, and a microphone's level;
 * microphones the daemon gives levels of but not a state get a row too. */
static void
print_inputs (const CrConfig *config, JsonObject *status)
{
  JsonArray *inputs = member_array (status, "inputs");
  JsonArray *microphones = member_array (status, "microphones");
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; inputs != NULL && i < json_array_get_length (inputs); i++)
    {
      JsonObject *input = element_object (inputs, i);
      const char *kind = member_string (input, "kind");
      const char *name = member_string (input, "name");
      gint64 losses = member_int (input, "losses");
      g_autofree char *state = NULL;
      char **row = g_new0 (char *, 5);

      if (g_strcmp0 (member_string (input, "state"), "lost") == 0)
        state = g_strdup ("LOST");
      else
        state = g_strdup (member_string (input, "state") != NULL
                          ? cr_text_shown (member_string (input, "state")) : "unknown");
      if (losses > 0)
        {
          char *with_losses = g_strdup_printf ("%s (lost %" G_GINT64_FORMAT " time%s)", state,
                                               losses, losses == 1 ? "" : "s");
          g_free (state);
          state = with_losses;
        }
      if (g_strcmp0 (kind, "microphone") == 0)
        {
          JsonObject *microphone = find_microphone (microphones, name);
          g_autofree char *level = microphone != NULL ? format_level (config, microphone) : NULL;

          if (name != NULL)
            g_hash_table_add (listed, (gpointer) name);
          if (level != NULL)
            {
              char *with_level = g_strdup_printf ("%s, %s", state, level);
              g_free (state);
              state = with_level;
            }
        }
      row[0] = g_strdup (kind != NULL ? cr_text_shown (kind) : "input");
      row[1] = g_strdup (name != NULL ? cr_text_shown (name) : "?");
      row[2] = g_strdup (member_string (input, "label") != NULL
                         ? cr_text_shown (member_string (input, "label")) : "");
      row[3] = g_steal_pointer (&state);
      g_ptr_array_add (rows, row);
    }
  for (guint i = 0; microphones != NULL && i < json_array_get_length (microphones); i++)
    {
      JsonObject *microphone = element_object (microphones, i);
      const char *name = member_string (microphone, "name");
      char **row;

      if (microphone == NULL || (name != NULL && g_hash_table_contains (listed, name)))
        continue;
      row = g_new0 (char *, 5);
      row[0] = g_strdup ("microphone");
      row[1] = g_strdup (name != NULL ? cr_text_shown (name) : "?");
      row[2] = g_strdup (member_string (microphone, "label") != NULL
                         ? cr_text_shown (member_string (microphone, "label")) : "");
      row[3] = format_level (config, microphone);
      g_ptr_array_add (rows, row);
    }
  if (rows->len == 0)
    {
      printf ("inputs:   none reported\n");
      return;
    }
  printf ("inputs:\n");
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      char *indented = g_strconcat ("  ", row[0], NULL);
      g_free (row[0]);
      row[0] = indented;
    }
  print_table (rows);
}

/* "alarms:   none", or how many stand and one line each. */
static void
print_alarms (JsonObject *status)
{
  JsonArray *alarms = member_array (status, "alarms");
  guint n = alarms != NULL ? json_array_get_length (alarms) : 0;
  gboolean standing = n > 0;

  member_boolean (status, "alarms_standing", &standing);
  if (!standing && n == 0)
    {
      printf ("alarms:   none\n");
      return;
    }
  if (n == 0)
    {
      printf ("alarms:   STANDING (see status --json)\n");
      return;
    }
  printf ("alarms:   %u STANDING\n", n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *alarm = element_object (alarms, i);
      const char *what = member_string (alarm, "alarm");
      const char *input = member_string (alarm, "input");
      const char *label = member_string (alarm, "label");
      const char *since = member_string (alarm, "since");
      gint64 seconds = seconds_since (since);
      g_autofree char *message = terminal_message (member_string (alarm, "message") != NULL
                                                   ? member_string (alarm, "message") : "");
      g_autofree char *how_long = seconds >= 0 ? format_duration (seconds) : NULL;
      g_autofree char *shown_label = label != NULL && g_strcmp0 (label, input) != 0
                                     ? g_strdup_printf (" (%s)", cr_text_shown (label)) : NULL;

      printf ("  %s%s%s%s, since %s%s%s%s: %s\n", what != NULL ? cr_text_shown (what) : "alarm",
              input != NULL ? " " : "", input != NULL ? cr_text_shown (input) : "",
              shown_label != NULL ? shown_label : "", since != NULL ? cr_text_shown (since) : "?",
              how_long != NULL ? " (" : "", how_long != NULL ? how_long : "",
              how_long != NULL ? ")" : "", message);
    }
}

/* "disk:     12.3 GB free in DIR, about 5 h 30 min of recording left". */
static void
print_disk (const CrConfig *config, JsonObject *status)
{
  JsonObject *disk = member_object (status, "disk");
  const char *dir = member_string (status, "storage_dir");
  g_autofree char *shown = shown_path (dir != NULL ? dir : config->storage_dir);
  double free_bytes = 0, seconds_left = 0;
  gboolean full = FALSE;
  g_autofree char *left = NULL;

  member_boolean (disk, "full", &full);
  if (!member_number (disk, "free_bytes", &free_bytes))
    {
      printf ("disk:     %s, not measured yet\n", shown);
      return;
    }
  if (member_number (disk, "seconds_left", &seconds_left))
    left = format_duration ((gint64) seconds_left);
  printf ("disk:     %s%.1f GB free in %s%s%s%s\n", full ? "FULL, " : "", free_bytes / 1e9,
          shown, left != NULL ? ", about " : "", left != NULL ? left : "",
          left != NULL ? " of recording left" : "");
}

/* One line per court archive, e.g. "archive:  court: 3 waiting (41.2 MB),
 * the oldest for 2 h 5 min; last success 2026-12-04T10:00:00.000Z; last
 * error: ...", or "archive:  court: all sent, last success ...". */
static void
print_archives (JsonObject *status)
{
  JsonArray *archives = member_array (status, "archive");

  for (guint i = 0; archives != NULL && i < json_array_get_length (archives); i++)
    {
      JsonObject *archive = element_object (archives, i);
      gint64 waiting = member_int (archive, "queue_length");
      const char *last_success = member_string (archive, "last_success");
      const char *last_error = member_string (archive, "last_error");
      const char *opens = member_string (archive, "window_opens");
      gboolean open = TRUE;
      g_autofree char *oldest = format_duration (member_int (archive, "oldest_age_seconds"));
      g_autoptr (GString) line = g_string_new (NULL);

      if (archive == NULL)
        continue;
      member_boolean (archive, "window_open", &open);
      if (waiting == 0)
        g_string_append (line, "all sent and verified");
      else
        g_string_append_printf (line, "%" G_GINT64_FORMAT " waiting (%.1f MB), the oldest for %s",
                                waiting, member_int (archive, "queue_bytes") / 1e6, oldest);
      if (!open)
        g_string_append_printf (line, "; window closed%s%s", opens != NULL ? ", opens " : "",
                                opens != NULL ? cr_text_shown (opens) : "");
      g_string_append_printf (line, "; last success %s",
                              last_success != NULL ? cr_text_shown (last_success) : "never");
      if (last_error != NULL && waiting > 0)
        g_string_append_printf (line, "; last error: %s", cr_text_shown (last_error));
      printf ("archive:  %s: %s\n", cr_text_shown (member_string (archive, "name")), line->str);
    }
}

/* The hearing being recorded: case, title, how long, the open file. */
static void
print_session (JsonObject *session, JsonObject *segment)
{
  const char *title = member_string (session, "title");
  const char *started = member_string (session, "started");
  gint64 elapsed = seconds_since (started);
  g_autofree char *elapsed_text = elapsed >= 0 ? format_duration (elapsed) : NULL;

  printf ("case:     %s%s%s\n", cr_text_shown (member_string (session, "case")),
          title != NULL ? " — " : "", title != NULL ? cr_text_shown (title) : "");
  printf ("session:  %" G_GINT64_FORMAT ", since %s%s%s\n", member_int (session, "id"),
          started != NULL ? cr_text_shown (started) : "?",
          elapsed_text != NULL ? ", elapsed " : "", elapsed_text != NULL ? elapsed_text : "");
  if (segment != NULL)
    {
      const char *path = member_string (segment, "path");
      g_autofree char *shown = shown_path (path != NULL ? path : "?");

      printf ("segment:  #%" G_GINT64_FORMAT " %s, since %s\n",
              member_int (segment, "sequence"), shown,
              member_string (segment, "started")
                ? cr_text_shown (member_string (segment, "started")) : "?");
    }
  else
    printf ("segment:  none open\n");
}

/* "2026-12-03 14:00" of "2026-12-03T14:00:00+08:00": the court's own
 * clock, as the calendar shows it. (transfer full) */
static char *
local_minute (const char *iso)
{
  if (iso == NULL || strlen (iso) < 16)
    return g_strdup ("?");
  return g_strdup_printf ("%.10s %.5s", iso, iso + 11);
}

/* One line for a scheduled hearing: "hearing:  2026-12-03 14:00-15:30
 * CASE — TITLE", and whether it is being recorded. */
static void
print_hearing (const char *label, JsonObject *hearing, gboolean now)
{
  const char *title = member_string (hearing, "title");
  g_autofree char *starts = local_minute (member_string (hearing, "starts_local"));
  g_autofree char *ends = local_minute (member_string (hearing, "ends_local"));
  gboolean recording = FALSE;

  member_boolean (hearing, "recording", &recording);
  /* The end on the same day shows as its time only. */
  printf ("%s %s-%s %s%s%s%s\n", label, starts,
          strncmp (starts, ends, 10) == 0 ? ends + 11 : ends,
          cr_text_shown (member_string (hearing, "case") ? member_string (hearing, "case") : "?"),
          title != NULL ? " — " : "", title != NULL ? cr_text_shown (title) : "",
          now ? (recording ? " (recording)" : " (NOT RECORDING)") : "");
}

/* The calendar: the slot on now and the next one. */
static void
print_schedule (JsonObject *status)
{
  JsonObject *schedule = member_object (status, "schedule");
  JsonObject *current = member_object (schedule, "current");
  JsonObject *next = member_object (schedule, "next");

  if (schedule == NULL)
    return;
  if (current != NULL)
    print_hearing ("hearing: ", current, TRUE);
  else
    printf ("hearing:  none scheduled now\n");
  if (next != NULL)
    print_hearing ("next:    ", next, FALSE);
}

int
run_status (VerbCall *call)
{
  const CrConfig *config;
  g_autoptr (JsonNode) reply = NULL;
  JsonObject *status, *room, *session, *segment;
  const char *state, *pause_reason;
  gboolean healthy = TRUE;
  int code;

  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  code = verb_call_api (call, "GET", "/status", NULL, &reply);
  if (code != EXIT_OK)
    return code;
  if (verb_flag (call, "json"))
    {
      print_json (reply);
      return EXIT_OK;
    }

  status = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  room = member_object (status, "room");
  session = member_object (status, "session");
  segment = member_object (status, "segment");
  state = member_string (status, "state");

  printf ("room:     %s (%s, %s)\n", cr_text_shown (config->room_id),
          cr_text_shown (member_string (room, "name") ? member_string (room, "name")
                                                      : config->room_name),
          cr_text_shown (member_string (room, "court") ? member_string (room, "court")
                                                       : config->court));
  pause_reason = member_string (session, "pause_reason");
  if (pause_reason != NULL && g_strcmp0 (state, "paused") == 0)
    printf ("state:    paused (%s)\n", cr_text_shown (pause_reason));
  else
    printf ("state:    %s\n", state != NULL ? cr_text_shown (state) : "unknown");
  if (session != NULL)
    print_session (session, segment);
  /* "capturing" says it; an older daemon's "healthy" meant the same. */
  if ((member_boolean (status, "capturing", &healthy) ||
       member_boolean (status, "healthy", &healthy)) && !healthy)
    printf ("capture:  NO PICTURE from capture for a while: see the daemon's log\n");
  print_schedule (status);
  print_inputs (config, status);
  print_alarms (status);
  print_disk (config, status);
  print_archives (status);
  print_streams (status);
  return EXIT_OK;
}
