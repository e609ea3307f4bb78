/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-daemon.c: courtrecd as systemd runs it: the unit file, and the
 * sd_notify protocol spoken to a socket the test listens on, as systemd
 * would; and a device key that cannot be used, which never fails quietly. */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <unistd.h>

#include "archive/device-key.h"
#include "archive/segment-index.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"

/* The shipped unit, with its paths pointing at this build, passes
 * systemd's own checker. */
static void
test_unit_verifies (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *template_path = cr_test_top_path ("systemd/courtrecd@.service.in");
  g_autofree char *build = cr_test_build_path ("");
  g_autofree char *bindir = g_canonicalize_filename (build, NULL);
  g_autofree char *unit_path = g_build_filename (room->dir, "courtrecd@test-room.service", NULL);
  g_autofree char *template = NULL;
  g_autofree char *unit = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) bin = g_regex_new ("@BINDIR@", 0, 0, NULL);
  g_autoptr (GRegex) etc = g_regex_new ("@SYSCONFDIR@", 0, 0, NULL);
  g_autofree char *half = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "systemd-analyze", "verify", unit_path, NULL };

  if (!g_file_test ("/usr/bin/systemd-analyze", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("systemd-analyze is not installed");
      return;
    }
  g_file_get_contents (template_path, &template, NULL, &error);
  g_assert_no_error (error);
  half = g_regex_replace_literal (bin, template, -1, 0, bindir, 0, NULL);
  unit = g_regex_replace_literal (etc, half, -1, 0, room->dir, 0, NULL);
  g_assert_nonnull (strstr (unit, "Type=notify"));
  g_assert_nonnull (strstr (unit, "WatchdogSec="));
  g_assert_nonnull (strstr (unit, "Restart=always"));
  g_file_set_contents (unit_path, unit, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (cr_test_run (&out, &err, argv), ==, 0);
  g_test_message ("%s%s", out, err);
  g_assert_null (strstr (err, unit_path));
}

typedef struct {
  GSocket *socket;
  GString *received;
} Listener;

static gboolean
heard (gpointer data)
{
  Listener *listener = data;
  char buffer[4096];
  gssize n;

  while ((n = g_socket_receive (listener->socket, buffer, sizeof buffer - 1, NULL, NULL)) > 0)
    {
      g_string_append_len (listener->received, buffer, n);
      g_string_append_c (listener->received, '\n');
    }
  return strstr (listener->received->str, "READY=1") != NULL &&
         strstr (listener->received->str, "WATCHDOG=1") != NULL;
}

static gboolean
heard_stopping (gpointer data)
{
  Listener *listener = data;
  heard (data);
  return strstr (listener->received->str, "STOPPING=1") != NULL;
}

static gboolean
heard_alarm (gpointer data)
{
  Listener *listener = data;
  heard (data);
  return strstr (listener->received->str, "STATUS=standby; ALARM input-lost witness\n") != NULL;
}

/* READY=1 once the API answers, WATCHDOG=1 at the asked interval, STATUS=
 * lines (naming the standing alarms: `systemctl status` shows a dead camera
 * first), STOPPING=1 on SIGTERM. */
static void
test_sd_notify (void)
{
  guint16 dead_port = cr_test_free_port ();
  g_autofree char *extra = g_strdup_printf (
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n", dead_port);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autofree char *path = g_build_filename (room->dir, "notify.sock", NULL);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GError) error = NULL;
  Listener listener = { NULL, g_string_new (NULL) };

  listener.socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
  g_assert_no_error (error);
  g_socket_bind (listener.socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (listener.socket, FALSE);

  cr_test_room_setenv (room, "NOTIFY_SOCKET", path);
  cr_test_room_setenv (room, "WATCHDOG_USEC", "1000000");
  cr_test_room_start (room);
  g_assert_true (cr_test_wait_until (heard, &listener, 5000));
  g_assert_nonnull (strstr (listener.received->str, "STATUS=standby"));
  g_assert_true (cr_test_wait_until (heard_alarm, &listener, 10000));

  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 10), ==, 0);
  g_assert_true (cr_test_wait_until (heard_stopping, &listener, 1000));

  g_object_unref (listener.socket);
  g_string_free (listener.received, TRUE);
}

/* --- a port taken before courtrecd binds it -------------------------------- */

/* The suite runs in lanes: a port cr_test_free_port() gave out can be bound
 * by another process before courtrecd binds it. courtrecd says so and
 * exits; the test room moves to new ports and starts again. */
static void
test_port_taken (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  guint16 taken = room->port;
  g_autoptr (GSocketListener) squatter = g_socket_listener_new ();
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, taken);
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;
  g_autofree char *out = NULL;

  g_socket_listener_add_address (squatter, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
  g_assert_no_error (error);
  cr_test_room_start (room);
  g_assert_cmpuint (room->port, !=, taken);
  g_file_get_contents (room->daemon_log, &log, NULL, NULL);
  g_assert_nonnull (strstr (log, "Address already in use"));
  /* The client reads the port from the moved config. */
  g_assert_cmpint (cr_test_client (room, &out, NULL, "status", NULL), ==, 0);
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 10), ==, 0);
}

/* --- a device key that cannot be used ---------------------------------------- */

static char *
key_path (CrTestRoom *room)
{
  return g_build_filename (room->dir, "device-key", NULL);
}

static void
make_key (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrDeviceKey) key = cr_device_key_load (path, TRUE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (key);
}

/* --check-config: exit 2, naming the key and what is wrong with it. */
static void
check_config_fails (CrTestRoom *room, const char *config_path, const char *key,
                    const char *what)
{
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *err = NULL;
  const char *argv[] = { courtrecd, "-c", config_path, "--check-config", NULL };

  g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, config_path));
  g_assert_nonnull (strstr (err, "key_file"));
  g_assert_nonnull (strstr (err, key));
  g_assert_nonnull (strstr (err, what));
}

static void
test_check_config_key (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *key = key_path (room);
  g_autofree char *blocker = g_build_filename (room->dir, "not-a-dir", NULL);
  g_autofree char *under_file = g_build_filename (blocker, "device-key", NULL);
  g_autofree char *other_config = g_build_filename (room->dir, "other.conf", NULL);
  g_autofree char *conf = NULL;
  g_autofree char *other = NULL;
  g_autofree char *replacement = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GRegex) storage = g_regex_new ("\\[storage\\]\n", 0, 0, NULL);
  g_autoptr (GError) error = NULL;
  const char *argv[] = { courtrecd, "-c", room->config_path, "--check-config", NULL };
  GStatBuf st;

  /* Missing where courtrecd can make it: valid, and nothing is made. */
  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_assert_nonnull (strstr (out, "made at first start"));
  g_assert_cmpint (g_stat (key, &st), !=, 0);
  g_clear_pointer (&out, g_free);

  make_key (key);
  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_assert_null (strstr (out, "made at first start"));

  g_assert_cmpint (g_chmod (key, 0644), ==, 0);
  check_config_fails (room, room->config_path, key, "mode 0644");

  g_file_set_contents (key, "not a key\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (key, 0600), ==, 0);
  check_config_fails (room, room->config_path, key, "malformed");

  g_assert_cmpint (g_unlink (key), ==, 0);
  g_assert_cmpint (g_mkdir (key, 0700), ==, 0);
  check_config_fails (room, room->config_path, key, "a directory");
  g_assert_cmpint (g_rmdir (key), ==, 0);

  if (geteuid () != 0)
    {
      make_key (key);
      g_assert_cmpint (g_chmod (key, 0200), ==, 0);
      check_config_fails (room, room->config_path, key, "Permission denied");
      g_assert_cmpint (g_chmod (key, 0600), ==, 0);
    }

  /* Missing where it cannot be made: under a regular file. */
  g_file_set_contents (blocker, "", -1, &error);
  g_assert_no_error (error);
  g_file_get_contents (room->config_path, &conf, NULL, &error);
  g_assert_no_error (error);
  /* A group is given once: the key goes into the room's [storage]. */
  replacement = g_strdup_printf ("[storage]\nkey_file = %s\n", under_file);
  other = g_regex_replace_literal (storage, conf, -1, 0, replacement, 0, NULL);
  g_file_set_contents (other_config, other, -1, &error);
  g_assert_no_error (error);
  check_config_fails (room, other_config, under_file, "cannot make one");
}

static GPtrArray *
session_events (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (index_path, TRUE, &error);
  GPtrArray *events;

  g_assert_no_error (error);
  events = cr_segment_index_list_events (index, session_id, &error);
  g_assert_no_error (error);
  return events;
}

/* The first event of @kind whose detail holds @needle, or NULL. */
static CrEventRecord *
find_event (GPtrArray *events, const char *kind, const char *needle)
{
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      if (g_str_equal (event->kind_name, kind) &&
          (needle == NULL || (event->detail != NULL && strstr (event->detail, needle) != NULL)))
        return event;
    }
  return NULL;
}

static JsonObject *
standing_alarm (CrTestRoom *room, const char *what)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  JsonArray *alarms = json_object_get_array_member (status, "alarms");

  for (guint i = 0; i < json_array_get_length (alarms); i++)
    {
      JsonObject *alarm = json_array_get_object_element (alarms, i);
      if (g_str_equal (json_object_get_string_member (alarm, "alarm"), what))
        return json_object_ref (alarm);
    }
  return NULL;
}

static gint64
record_briefly (CrTestRoom *room, char **stop_out)
{
  gint64 session_id = cr_test_start_session (room, CASE_NO);

  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (room, stop_out, NULL, "stop", NULL), ==, 0);
  g_ptr_array_unref (cr_test_wait_closed (room, session_id, 1));
  return session_id;
}

/* A key open to others: the daemon records, says at once and in every
 * session that nothing is sealed, verify calls the sessions unsealed, and
 * `courtrec seal` seals them late, saying so, once the key is fixed. */
static void
test_seal_unavailable (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *key = key_path (room);
  g_autoptr (JsonObject) alarm = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *stop_out = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *session_arg = NULL;
  g_autofree char *second_arg = NULL;
  g_autofree char *third_arg = NULL;
  CrEventRecord *late;
  gint64 first, second, third;

  make_key (key);
  g_assert_cmpint (g_chmod (key, 0644), ==, 0);
  cr_test_room_start (room);

  alarm = standing_alarm (room, "seal-unavailable");
  g_assert_nonnull (alarm);
  {
    g_autoptr (JsonObject) status = cr_test_status (room);
    g_assert_true (json_object_get_boolean_member (status, "alarms_standing"));
    g_assert_false (json_object_get_boolean_member (status, "healthy"));
  }
  g_test_message ("%s", json_object_get_string_member (alarm, "message"));
  g_assert_cmpstr (json_object_get_string_member (alarm, "input"), ==, "device-key");
  g_assert_nonnull (strstr (json_object_get_string_member (alarm, "message"), key));
  g_assert_nonnull (strstr (json_object_get_string_member (alarm, "message"), "0644"));
  g_assert_cmpint (cr_test_client (room, &out, NULL, "status", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "seal-unavailable"));
  g_clear_pointer (&out, g_free);

  /* Recorded, not promised a seal, and told so in its log. */
  first = record_briefly (room, &stop_out);
  g_test_message ("%s", stop_out);
  g_assert_nonnull (strstr (stop_out, "NOT SEALED"));
  g_assert_null (strstr (stop_out, "Integrity value"));
  events = session_events (room, first);
  g_assert_nonnull (find_event (events, "alarm", "seal-unavailable"));
  g_assert_null (find_event (events, "seal", NULL));
  g_clear_pointer (&events, g_ptr_array_unref);
  second = record_briefly (room, NULL);
  events = session_events (room, second);
  g_assert_nonnull (find_event (events, "alarm", "seal-unavailable"));
  g_clear_pointer (&events, g_ptr_array_unref);

  session_arg = g_strdup_printf ("%" G_GINT64_FORMAT, first);
  second_arg = g_strdup_printf ("%" G_GINT64_FORMAT, second);
  g_assert_cmpint (cr_test_client (room, &out, &err, "verify", "--session", session_arg, NULL),
                   ==, 3);
  g_test_message ("%s%s", out, err);
  g_assert_nonnull (strstr (out, "missing-signature"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Not while the key is still open to others. */
  g_assert_cmpint (cr_test_client (room, NULL, &err, "seal", "--session", session_arg, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, key));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (g_chmod (key, 0600), ==, 0);
  /* Not a session still recording. */
  third = cr_test_start_session (room, CASE_NO);
  third_arg = g_strdup_printf ("%" G_GINT64_FORMAT, third);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "seal", "--session", third_arg, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "still recording"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (cr_test_client (room, &out, &err, "seal", "--session", session_arg, NULL),
                   ==, 0);
  g_test_message ("%s%s", out, err);
  g_assert_nonnull (strstr (out, "Integrity value (chain head): "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  events = session_events (room, first);
  late = find_event (events, "seal-late", "courtrec seal");
  g_assert_nonnull (late);
  g_test_message ("seal-late: %s", late->detail);
  g_assert_nonnull (strstr (late->detail, "could not be used"));
  g_assert_nonnull (strstr (late->detail, "0644"));
  g_assert_nonnull (strstr (late->detail, "\"stopped\""));
  g_assert_nonnull (find_event (events, "seal", NULL));
  g_clear_pointer (&events, g_ptr_array_unref);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "verify", "--session", session_arg, NULL),
                   ==, 0);

  /* At the next stop the daemon finds the key usable: the alarm clears,
   * the session stopped meanwhile is sealed late by it, this one at once. */
  g_assert_cmpint (cr_test_client (room, &out, NULL, "stop", NULL), ==, 0);
  g_assert_null (strstr (out, "NOT SEALED"));
  g_clear_pointer (&out, g_free);
  g_ptr_array_unref (cr_test_wait_closed (room, third, 1));
  g_clear_pointer (&alarm, json_object_unref);
  alarm = standing_alarm (room, "seal-unavailable");
  g_assert_null (alarm);
  {
    /* Nothing stands any more: healthy again. */
    g_autoptr (JsonObject) status = cr_test_status (room);
    g_assert_false (json_object_get_boolean_member (status, "alarms_standing"));
    g_assert_true (json_object_get_boolean_member (status, "healthy"));
  }
  events = session_events (room, second);
  g_assert_nonnull (find_event (events, "seal-late", "courtrecd"));
  g_clear_pointer (&events, g_ptr_array_unref);
  events = session_events (room, third);
  g_assert_nonnull (find_event (events, "alarm", "seal-unavailable"));
  g_assert_nonnull (find_event (events, "alarm-cleared", "seal-unavailable"));
  g_clear_pointer (&events, g_ptr_array_unref);
  g_assert_cmpint (cr_test_client (room, &out, &err, "verify", "--all", NULL), ==, 0);
  g_test_message ("%s%s", out, err);

  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 10), ==, 0);
}

/* --- faults from the session's start ------------------------------------------ */

/* The UTC time in member @name of @event's JSON detail. */
static gint64
detail_time (const CrEventRecord *event, const char *name)
{
  g_autoptr (JsonNode) node = json_from_string (event->detail, NULL);
  gint64 utc_us = 0;

  g_assert_nonnull (node);
  g_assert_true (cr_parse_utc (json_object_get_string_member (json_node_get_object (node), name),
                               &utc_us));
  return utc_us;
}

/* status --json of a room whose witness camera is lost and whose clerk's
 * microphone hears nothing: not healthy, though capture goes on, and the
 * silent microphone has no level but "silent". */
static void
assert_status_says_lost (CrTestRoom *room)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  JsonArray *microphones = json_object_get_array_member (status, "microphones");
  JsonObject *judge = json_array_get_object_element (microphones, 0);
  JsonObject *clerk = json_array_get_object_element (microphones, 1);
  g_autoptr (JsonObject) lost = standing_alarm (room, "input-lost");

  g_assert_true (json_object_get_boolean_member (status, "alarms_standing"));
  g_assert_false (json_object_get_boolean_member (status, "healthy"));
  g_assert_true (json_object_get_boolean_member (status, "capturing"));
  g_assert_nonnull (lost);
  g_assert_cmpstr (json_object_get_string_member (lost, "input"), ==, "witness");

  g_assert_cmpstr (json_object_get_string_member (clerk, "name"), ==, "clerk");
  g_assert_true (json_object_get_boolean_member (clerk, "silent"));
  g_assert_true (json_object_get_null_member (clerk, "rms_dbfs"));
  g_assert_true (json_object_get_null_member (clerk, "peak_dbfs"));
  g_assert_cmpstr (json_object_get_string_member (judge, "name"), ==, "judge");
  g_assert_false (json_object_get_boolean_member (judge, "silent"));
  g_assert_cmpfloat (json_object_get_double_member (judge, "rms_dbfs"), >, -30);
  g_assert_cmpfloat (json_object_get_double_member (judge, "rms_dbfs"), <=, 0);
}

/* A camera dead before the hearing began is a fault of the hearing from
 * its first instant, and the report says so; an alarm raised and cleared
 * during it is a span with both ends in the log. */
static void
test_faults_from_start (void)
{
  guint16 dead_port = cr_test_free_port ();
  g_autofree char *extra = g_strdup_printf (
      "[audio]\nbitrate_kbps = 96\nsilence_alarm_seconds = 2\n\n"
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n\n"
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
      "[microphone clerk]\nsource = test:silence\nlabel = 书记员\n", dead_port);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *session_arg = NULL;
  g_autofree char *report = NULL;
  g_autofree char *faults = NULL;
  CrEventRecord *lost, *alarm, *silent, *cleared;
  gint64 session_id;

  cr_test_room_start (room);
  g_assert_true (cr_test_wait_for_input (room, "witness", "lost", 10000));
  g_usleep (G_USEC_PER_SEC);
  assert_status_says_lost (room);

  session_id = cr_test_start_session (room, CASE_NO);
  g_usleep (4 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess", NULL), ==, 0);
  g_usleep (G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);
  g_ptr_array_unref (cr_test_wait_closed (room, session_id, 1));

  index = cr_segment_index_open (index_path, TRUE, &error);
  g_assert_no_error (error);
  session = cr_segment_index_get_session (index, session_id, &error);
  g_assert_no_error (error);
  events = session_events (room, session_id);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      g_autofree char *at = cr_format_utc (event->at_us);
      g_test_message ("%s %s %s", at, event->kind_name, event->detail ? event->detail : "");
    }

  /* The witness: lost at the session's start, lost since before it. */
  lost = find_event (events, "input-lost", "\"witness\"");
  g_assert_nonnull (lost);
  g_assert_cmpint (lost->at_us, ==, session->started_us);
  g_assert_cmpint (detail_time (lost, "since"), <, session->started_us - G_USEC_PER_SEC / 2);
  g_assert_null (find_event (events, "input-back", NULL));
  alarm = find_event (events, "alarm", "\"witness\"");
  g_assert_nonnull (alarm);
  g_assert_cmpint (alarm->at_us, ==, session->started_us);
  g_assert_nonnull (strstr (alarm->detail, "input-lost"));

  /* The clerk's silence: raised about 2 s in, cleared by the pause. */
  silent = find_event (events, "alarm", "microphone-silent");
  g_assert_nonnull (silent);
  g_assert_cmpint (silent->at_us - session->started_us, >=, 3 * G_USEC_PER_SEC / 2);
  /* Ended once, by the event that says how, with both ends of its span. */
  cleared = find_event (events, "microphone-sound", "microphone-silent");
  g_assert_nonnull (cleared);
  g_assert_null (find_event (events, "alarm-cleared", NULL));
  g_assert_nonnull (strstr (cleared->detail, "\"clerk\""));
  g_assert_cmpint (detail_time (cleared, "since"), ==, detail_time (silent, "since"));
  g_assert_cmpint (detail_time (cleared, "until"), ==, cleared->at_us);
  g_assert_cmpint (cleared->at_us, >, silent->at_us);

  /* The report filed with the case lists the dead camera among its faults. */
  session_arg = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_assert_cmpint (cr_test_client (room, &report, NULL, "report", "--session", session_arg,
                                   NULL), ==, 0);
  g_test_message ("%s", report);
  g_assert_nonnull (strstr (report, "FAULTS AND GAPS"));
  g_assert_nonnull (strstr (report, "\nMARKERS"));
  faults = g_strndup (strstr (report, "FAULTS AND GAPS"),
                      strstr (report, "\nMARKERS") - strstr (report, "FAULTS AND GAPS"));
  g_assert_null (strstr (faults, "none"));
  g_assert_nonnull (strstr (faults, "input-lost"));
  g_assert_nonnull (strstr (faults, "witness"));
  /* Two faults, each once: the camera from the start, the silence as long
   * as it lasted. */
  g_assert_nonnull (strstr (faults, "(2)"));
  g_assert_nonnull (strstr (faults, "the session's start"));
  g_assert_nonnull (strstr (faults, "ended by microphone-sound"));

  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 10), ==, 0);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/daemon/systemd-unit", test_unit_verifies);
  g_test_add_func ("/courtrec/daemon/sd-notify", test_sd_notify);
  g_test_add_func ("/courtrec/daemon/check-config-key", test_check_config_key);
  g_test_add_func ("/courtrec/daemon/seal-unavailable", test_seal_unavailable);
  g_test_add_func ("/courtrec/daemon/faults-from-start", test_faults_from_start);
  g_test_add_func ("/courtrec/daemon/port-taken", test_port_taken);
  return g_test_run ();
}
