/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-rooms.c: `courtrec rooms`, every courtroom of a machine at a look:
 * real daemons, one recording and one in standby, one config that is
 * broken, one daemon killed, and daemons that accept and never answer,
 * asked at once. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "test-util.h"

#define CASE_NO "（2026）浙1022民初123号"

/* The room's config with its own room id (the helper's rooms are all
 * "test-room") and, unless @from is NULL, with the line @from made @to,
 * written into the fleet's directory as ROOM_ID.conf. (transfer full) */
static char *
add_to_fleet (const char *fleet, CrTestRoom *room, const char *room_id, const char *from,
              const char *to)
{
  g_autofree char *conf = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = NULL;
  g_autofree char *id_line = g_strdup_printf ("id = %s\n", room_id);
  g_autofree char *file = g_strconcat (room_id, ".conf", NULL);
  char *path = g_build_filename (fleet, file, NULL);

  g_file_get_contents (room->config_path, &conf, NULL, &error);
  g_assert_no_error (error);
  text = g_string_new (conf);
  g_assert_cmpuint (g_string_replace (text, "id = test-room\n", id_line, 1), ==, 1);
  if (from != NULL)
    g_assert_cmpuint (g_string_replace (text, from, to, 1), ==, 1);
  g_file_set_contents (path, text->str, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* The room's config pointed at another [api] listen @port. */
static void
add_listening_elsewhere (const char *fleet, CrTestRoom *room, const char *room_id, guint16 port)
{
  g_autofree char *listen = g_strdup_printf ("listen = 127.0.0.1:%u\n", room->port);
  g_autofree char *elsewhere = g_strdup_printf ("listen = 127.0.0.1:%u\n", port);

  g_free (add_to_fleet (fleet, room, room_id, listen, elsewhere));
}

/* `courtrec ARGS...` with no -c of its own. */
static int
rooms (char **out, char **err, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return cr_test_run (out, err, (const char *const *) argv->pdata);
}

static guint
count_lines (const char *out)
{
  guint n = 0;

  for (const char *c = out; *c != '\0'; c++)
    n += *c == '\n';
  return n;
}

/* The line of @out whose first column is @room_id. (transfer full) */
static char *
line_of (const char *out, const char *room_id)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_autofree char *prefix = g_strconcat (room_id, " ", NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_strdup (lines[i]);
  g_test_message ("no line for %s in:\n%s", room_id, out);
  g_assert_not_reached ();
}

static JsonObject *
room_in (JsonArray *array, const char *config_suffix)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *room = json_array_get_object_element (array, i);
      if (g_str_has_suffix (json_object_get_string_member (room, "config"), config_suffix))
        return room;
    }
  g_assert_not_reached ();
}

static void
test_fleet (void)
{
  g_autoptr (CrTestRoom) recording = cr_test_room_new (60, NULL);
  g_autoptr (CrTestRoom) standby = cr_test_room_new (60, NULL);
  g_autoptr (CrTestRoom) killed = cr_test_room_new (60, NULL);
  g_autofree char *fleet = g_build_filename (recording->dir, "fleet", NULL);
  g_autofree char *recording_conf = NULL;
  g_autofree char *standby_conf = NULL;
  g_autofree char *killed_conf = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *line = NULL;
  g_autoptr (JsonNode) json = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *array;
  JsonObject *room;
  gint64 session_id;

  g_assert_cmpint (g_mkdir (fleet, 0755), ==, 0);
  cr_test_room_start (recording);
  cr_test_room_start (standby);
  cr_test_room_start (killed);
  recording_conf = add_to_fleet (fleet, recording, "room-101", NULL, NULL);
  standby_conf = add_to_fleet (fleet, standby, "room-102", NULL, NULL);
  killed_conf = add_to_fleet (fleet, killed, "room-103", NULL, NULL);
  /* A room config with one bad value, as a hand edit leaves it. */
  g_free (add_to_fleet (fleet, standby, "room-104", "segment_seconds = 60\n",
                        "segment_seconds = often\n"));
  /* A room whose token this user cannot read: not asked, so not down. */
  {
    g_autofree char *token_line = g_strdup_printf ("token_file = %s/api-token\n", standby->dir);

    g_free (add_to_fleet (fleet, standby, "room-105", token_line,
                          "token_file = /nonexistent/api-token\n"));
  }
  /* Not a room config: only *.conf are. */
  {
    g_autofree char *example = g_build_filename (fleet, "courtrec.conf.example", NULL);
    g_file_set_contents (example, "not a config", -1, &error);
    g_assert_no_error (error);
  }

  session_id = cr_test_start_session (recording, CASE_NO);
  g_assert_cmpint (session_id, >, 0);
  g_assert_cmpint (cr_test_room_signal (killed, SIGKILL, 10), !=, -1);
  /* An elapsed time a clerk can read: a second at least. */
  g_usleep (1100 * 1000);

  g_assert_cmpint (rooms (&out, &err, "rooms", "--dir", fleet, NULL), ==, 1);
  g_test_message ("%s%s", out, err);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_str_has_prefix (out, "ROOM "));
  /* One line a room, and no line for what is not a *.conf. */
  g_assert_cmpuint (count_lines (out), ==, 1 + 5);

  line = line_of (out, "room-101");
  g_assert_nonnull (strstr (line, " recording "));
  g_assert_nonnull (strstr (line, CASE_NO));
  g_assert_nonnull (strstr (line, "第一法庭"));
  g_assert_true (g_regex_match_simple (" [0-9]+ s ", line, 0, 0));
  g_assert_nonnull (strstr (line, " none "));      /* no alarm standing */
  g_assert_true (g_regex_match_simple (" [0-9]+ h [0-9]{2} min ", line, 0, 0)); /* runway */
  g_clear_pointer (&line, g_free);

  line = line_of (out, "room-102");
  g_assert_nonnull (strstr (line, " standby "));
  g_assert_null (strstr (line, CASE_NO));
  g_clear_pointer (&line, g_free);

  line = line_of (out, "room-103");
  g_assert_nonnull (strstr (line, " down "));
  g_assert_nonnull (strstr (line, "not answering"));
  g_clear_pointer (&line, g_free);

  /* A broken config is named by its file, with what is wrong in it. */
  line = line_of (out, "room-104.conf");
  g_assert_nonnull (strstr (line, "often"));
  g_assert_nonnull (strstr (line, " broken "));
  g_assert_nonnull (strstr (line, "segment_seconds"));
  g_clear_pointer (&line, g_free);

  line = line_of (out, "room-105");
  g_assert_nonnull (strstr (line, " unknown "));
  g_assert_nonnull (strstr (line, "/nonexistent/api-token"));
  g_clear_pointer (&line, g_free);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (rooms (&out, NULL, "rooms", "--json", "--dir", fleet, NULL), ==, 1);
  json = json_from_string (out, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json);
  g_assert_cmpuint (json_array_get_length (array), ==, 5);
  room = room_in (array, "/room-101.conf");
  g_assert_cmpstr (json_object_get_string_member (room, "room"), ==, "room-101");
  g_assert_cmpstr (json_object_get_string_member (room, "state"), ==, "recording");
  g_assert_cmpstr (json_object_get_string_member (room, "case"), ==, CASE_NO);
  g_assert_cmpint (json_object_get_int_member (room, "session_id"), ==, session_id);
  g_assert_cmpint (json_object_get_int_member (room, "elapsed_seconds"), >=, 1);
  g_assert_cmpint (json_object_get_int_member (room, "alarm_count"), ==, 0);
  g_assert_true (json_object_get_boolean_member (room, "well"));
  g_assert_cmpfloat (json_object_get_double_member (room, "seconds_left"), >, 3600);
  room = room_in (array, "/room-102.conf");
  g_assert_cmpstr (json_object_get_string_member (room, "state"), ==, "standby");
  g_assert_true (json_object_get_null_member (room, "case"));
  room = room_in (array, "/room-103.conf");
  g_assert_cmpstr (json_object_get_string_member (room, "state"), ==, "down");
  g_assert_nonnull (strstr (json_object_get_string_member (room, "reason"), "Connection refused"));
  g_assert_false (json_object_get_boolean_member (room, "well"));
  room = room_in (array, "/room-104.conf");
  g_assert_cmpstr (json_object_get_string_member (room, "state"), ==, "broken");
  g_assert_true (json_object_get_null_member (room, "room"));
  room = room_in (array, "/room-105.conf");
  g_assert_cmpstr (json_object_get_string_member (room, "state"), ==, "unknown");

  /* The rooms that are well, given with -c: exit status 0. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (rooms (&out, NULL, "-c", recording_conf, "rooms", "-c", standby_conf, NULL),
                   ==, 0);
  g_assert_cmpuint (count_lines (out), ==, 1 + 2);

  cr_test_stop_and_wait (recording, session_id);
}

/* Daemons that accept and never answer (hung, or a firewall that drops):
 * asked at once, they take about one timeout, not one each. */
static void
test_hung_daemons_at_once (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *fleet = g_build_filename (room->dir, "fleet", NULL);
  g_autoptr (GPtrArray) servers = g_ptr_array_new_with_free_func (
      (GDestroyNotify) cr_test_silent_server_free);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  double factor = cr_test_timing_factor ();
  gint64 started, elapsed_us;
  const guint n_hung = 4;

  g_assert_cmpint (g_mkdir (fleet, 0755), ==, 0);
  cr_test_room_start (room);
  g_free (add_to_fleet (fleet, room, "room-100", NULL, NULL));
  for (guint i = 0; i < n_hung; i++)
    {
      guint16 port;
      g_autofree char *room_id = g_strdup_printf ("room-2%02u", i);

      g_ptr_array_add (servers, cr_test_silent_server_new (&port));
      add_listening_elsewhere (fleet, room, room_id, port);
    }

  started = g_get_monotonic_time ();
  g_assert_cmpint (rooms (&out, &err, "rooms", "--timeout", "2", "--dir", fleet, NULL), ==, 1);
  elapsed_us = g_get_monotonic_time () - started;
  g_test_message ("%s%s%.1f s", out, err, elapsed_us / 1e6);
  /* One after another they would take 8 s. It did wait for them (its
   * deadline's timer may fire a little early, as GLib's coarse timers do). */
  g_assert_cmpint (elapsed_us, >=, 3 * G_USEC_PER_SEC / 2);
  g_assert_cmpint (elapsed_us, <, (2 + 1.5 * factor) * G_USEC_PER_SEC);
  for (guint i = 0; i < n_hung; i++)
    {
      g_autofree char *room_id = g_strdup_printf ("room-2%02u", i);
      g_autofree char *line = line_of (out, room_id);

      g_assert_nonnull (strstr (line, " down "));
      g_assert_nonnull (strstr (line, "did not answer"));
      g_assert_nonnull (strstr (line, "within 2 s"));
      g_assert_cmpuint (cr_test_silent_server_connections (servers->pdata[i]), ==, 1);
    }
  {
    g_autofree char *line = line_of (out, "room-100");
    g_assert_nonnull (strstr (line, " standby "));
  }
}

/* What the verb is given wrong is a usage error that names it. */
static void
test_usage (void)
{
  g_autofree char *dir = g_dir_make_tmp ("courtrec-rooms-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "nowhere", NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (rooms (NULL, &err, "rooms", "--dir", dir, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "no room config"));
  g_assert_nonnull (strstr (err, dir));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (rooms (NULL, &err, "rooms", "--dir", missing, NULL), ==, 2);
  g_assert_nonnull (strstr (err, missing));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (rooms (NULL, &err, "rooms", "--timeout", "soon", "--dir", dir, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--timeout"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (rooms (NULL, &err, "rooms", "--every", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--every"));
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/rooms/fleet", test_fleet);
  g_test_add_func ("/courtrec/rooms/hung-daemons-at-once", test_hung_daemons_at_once);
  g_test_add_func ("/courtrec/rooms/usage", test_usage);
  return g_test_run ();
}
