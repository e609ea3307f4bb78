/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-logs.c: what the daemon writes to its log (stderr, journald under
 * systemd) is one line per message, with no control byte and a bounded
 * length, whatever the text it quotes: a case number, a title, a marker
 * sent over the API (accepted or refused with 400), a path in the config,
 * a config value the loader refuses, a case number already in the index. */
#include <glib/gstdio.h>
#include <string.h>

#include "archive/segment-index.h"
#include "recorder/log-writer.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
/* What an attacker would put after a newline to forge a line of its own. */
#define FORGED "courtrecd-Message: 09:30:00.000: Stopped session 1"
#define LINE_MAX_BYTES 2048

typedef struct {
  CrTestRoom *room;
} Fixture;

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  if (fixture->room != NULL && fixture->room->daemon != NULL)
    cr_test_room_signal (fixture->room, SIGTERM, 20);
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

/* A JSON object of string members, encoded by json-glib: "\n" in C is
 * sent as the JSON escape, the daemon decodes it back to a newline. */
static char *
json_body (const char *first_key, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  va_list args;

  json_builder_begin_object (builder);
  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_string_value (builder, va_arg (args, const char *));
    }
  va_end (args);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* Every line of @log: no control byte (a tab aside), no line separator,
 * no line of the attacker's, at most LINE_MAX_BYTES. */
static void
assert_log_safe (const char *log)
{
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      g_assert_cmpuint (strlen (line), <=, LINE_MAX_BYTES);
      /* Quoted after an escaped newline is fine; a line of its own is not. */
      g_assert_false (g_str_has_prefix (line, FORGED));
      g_assert_null (strstr (line, "\xe2\x80\xa8"));
      g_assert_null (strstr (line, "\xe2\x80\xa9"));
      for (const char *p = line; *p != '\0'; p++)
        if ((guchar) *p < 0x20 && *p != '\t')
          g_error ("control byte 0x%02x in log line %u: %s", (guchar) *p, i, line);
        else if ((guchar) *p == 0x7f)
          g_error ("DEL in log line %u: %s", i, line);
    }
}

static char *
read_log (CrTestRoom *room)
{
  g_autofree char *log = NULL;

  g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
  return g_steal_pointer (&log);
}

/* 200 (accepted) or 400 (refused, once the API refuses control
 * characters): either way the log stays safe. */
static guint refused;

static void
post (CrTestRoom *room, const char *path, const char *body)
{
  g_autofree char *reply = NULL;
  guint status = cr_test_http (room, "POST", path, room->token, body, &reply);

  g_test_message ("POST %s: %u", path, status);
  g_assert_true (status == 200 || status == 400 || status == 413 || status == 409);
  if (status == 400 || status == 413)
    refused++;
}

static void
test_api_text (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room;
  g_autofree char *bad_case = NULL;
  g_autofree char *title = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *huge = NULL;
  g_autofree char *body = NULL;
  g_autofree char *log = NULL;
  g_autoptr (GString) big = g_string_new (NULL);

  fixture->room = room = cr_test_room_new (10, NULL);
  cr_test_room_start (room);

  bad_case = json_body ("case", CASE_NO "\n" FORGED "\r\x1b[2J\xe2\x80\xa8", NULL);
  post (room, "/api/v1/session/start", bad_case);

  title = json_body ("case", CASE_NO, "title",
                     "title\n" FORGED "\r\x1b]0;owned\x07\xe2\x80\xa8 end", NULL);
  post (room, "/api/v1/session/start", title);
  body = json_body ("case", CASE_NO, "title", "plain", NULL);
  post (room, "/api/v1/session/start", body); /* 409 if the first one started */

  marker = json_body ("text", "marker\n" FORGED "\r\x1b[31m\xe2\x80\xa8", NULL);
  post (room, "/api/v1/session/markers", marker);
  while (big->len < 100 * 1024)
    g_string_append (big, "0123456789");
  huge = json_body ("text", big->str, NULL);
  post (room, "/api/v1/session/markers", huge);
  g_clear_pointer (&body, g_free);
  body = json_body ("reason", "recess\n" FORGED "\x1b", NULL);
  post (room, "/api/v1/session/pause", body);

  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 20), ==, 0);
  log = read_log (room);
  g_assert_nonnull (strstr (log, "Stopped"));
  /* A refusal is logged too, as safe as the rest. */
  if (refused > 0)
    g_assert_nonnull (strstr (log, ": 400"));
  assert_log_safe (log);
}

/* A file: path the loader accepts (no control character: those it
 * refuses, see config-refused) but 3,000 characters long: the input fails,
 * and its failure is logged shortened, one line. */
static void
test_config_path (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room;
  g_autofree char *extra = NULL;
  g_autofree char *log = NULL;
  g_autofree char *long_name = g_strnfill (3000, 'x');

  extra = g_strdup_printf ("[camera judge]\nsource = test\nlabel = 审判长\n\n"
                           "[camera evidence]\nsource = file:/nonexistent/%s.mkv\n"
                           "label = 证据\n\n", long_name);
  fixture->room = room = cr_test_room_new (10, extra);
  cr_test_room_start (room);
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 20), ==, 0);
  log = read_log (room);
  g_test_message ("%s", log);
  assert_log_safe (log);
}

/* A label the loader refuses (U+2028): courtrecd exits, and what it says
 * is one escaped line. */
static void
test_config_refused (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room;
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *err = NULL;
  const char *argv[] = { courtrecd, "-c", NULL, NULL };

  fixture->room = room = cr_test_room_new (
      10, "[camera judge]\nsource = test\nlabel = 审判长\xe2\x80\xa8" FORGED "\n\n");
  argv[2] = room->config_path;
  g_assert_cmpint (cr_test_run (NULL, &err, argv), !=, 0);
  g_assert_nonnull (strstr (err, "\\u2028"));
  assert_log_safe (err);
}

/* A case number in the index that today's API would refuse (written by an
 * older version, or by hand): the resumed session's log lines quote it
 * escaped. */
static void
test_index_case (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *log = NULL;
  gint64 id;

  fixture->room = room = cr_test_room_new (10, NULL);
  g_assert_cmpint (g_mkdir_with_parents (room->storage_dir, 0750), ==, 0);
  index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  index = cr_segment_index_open (index_path, FALSE, &error);
  g_assert_no_error (error);
  id = cr_segment_index_begin_session (index, "test-room",
                                       CASE_NO "\n" FORGED "\x1b[2J\xe2\x80\xa8",
                                       "title\r\n" FORGED, g_get_real_time () - G_USEC_PER_SEC,
                                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_clear_pointer (&index, cr_segment_index_free);

  cr_test_room_start (room);
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 20), ==, 0);
  log = read_log (room);
  g_test_message ("%s", log);
  g_assert_nonnull (strstr (log, "\\u000a" FORGED));
  assert_log_safe (log);
}

/* The line of @log that holds @text; fails when there is none.
 * (transfer full) */
static char *
line_with (const char *log, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], text) != NULL)
      return g_strdup (lines[i]);
  g_error ("no line of the log says \"%s\":\n%s", text, log);
}

static void
assert_field (const char *line, const char *field)
{
  g_autofree char *spaced = g_strconcat (" ", field, NULL);

  if (strstr (line, spaced) == NULL)
    g_error ("no %s in: %s", field, line);
}

/* Without a journal, each line is GLib's with the record's fields after
 * it, KEY=value: the module's log domain in front, the room on every line,
 * the session and case while one runs, the input and the alarm on the
 * lines about them; a field's value is quoted and escaped like any text
 * from outside. */
static void
test_fields_text (Fixture *fixture, gconstpointer data)
{
  guint16 dead_port = cr_test_free_port ();
  g_autofree char *extra = g_strdup_printf (
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n", dead_port);
  CrTestRoom *room;
  g_autofree char *log = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *lost = NULL;
  g_autofree char *alarm = NULL;
  g_autofree char *started = NULL;
  g_autofree char *sealed = NULL;
  g_autofree char *quoted = NULL;
  gint64 session_id;
  const GLogField fields[] = {
    { "MESSAGE", "Marker refused", -1 },
    { "GLIB_DOMAIN", "courtrec-recorder", -1 },
    { "CR_INPUT", "a b\"c\n" FORGED, -1 },
  };

  fixture->room = room = cr_test_room_new (60, extra);
  cr_test_room_start (room);
  g_assert_true (cr_test_wait_for_input (room, "witness", "lost", 10000));
  session_id = cr_test_start_session (room, CASE_NO);
  g_usleep (G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session_id);
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 20), ==, 0);
  log = read_log (room);
  g_test_message ("%s", log);
  assert_log_safe (log);

  ready = line_with (log, "ready: API on");
  g_assert_true (g_str_has_prefix (ready, "courtrec-recorder-Message: "));
  assert_field (ready, "CR_ROOM=test-room");
  g_assert_null (strstr (ready, "CR_SESSION="));
  lost = line_with (log, "Input witness (证人) lost");
  g_assert_nonnull (strstr (lost, "): courtrec-pipelines-WARNING **: "));
  assert_field (lost, "CR_INPUT=witness");
  assert_field (lost, "CR_ROOM=test-room");
  alarm = line_with (log, "ALARM input-lost: witness");
  g_assert_nonnull (strstr (alarm, "): courtrec-recorder-WARNING **: "));
  assert_field (alarm, "CR_ALARM=input-lost");
  assert_field (alarm, "CR_INPUT=witness");
  started = line_with (log, "Started session");
  assert_field (started, "CR_ROOM=test-room");
  assert_field (started, "CR_SESSION=1");
  assert_field (started, "CR_CASE=" CASE_NO);
  /* Sealed after the stop, of the session all the same. */
  sealed = line_with (log, "Session 1 sealed");
  assert_field (sealed, "CR_SESSION=1");

  /* A value with a space, a quote and a newline: one line still, quoted. */
  cr_log_set_room ("room 101");
  quoted = cr_log_format_text (G_LOG_LEVEL_WARNING, fields, G_N_ELEMENTS (fields));
  cr_log_set_room (NULL);
  g_test_message ("%s", quoted);
  assert_log_safe (quoted);
  g_assert_null (strchr (quoted, '\n'));
  assert_field (quoted, "CR_INPUT=\"a b\\\"c\\u000a" FORGED "\"");
  assert_field (quoted, "CR_ROOM=\"room 101\"");
}

static gboolean
api_answers (gpointer data)
{
  CrTestRoom *room = data;
  return cr_test_port_answers (room->port);
}

/* Under systemd, the same records reach the journal with their fields, to
 * be searched by them. Only where a journal is reachable. */
static void
test_fields_journal (Fixture *fixture, gconstpointer data)
{
  CrTestRoom *room;
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *tag = NULL;
  g_autofree char *match = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GSubprocess) daemon = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_test ("/run/systemd/journal/stdout", G_FILE_TEST_EXISTS) ||
      g_find_program_in_path ("systemd-cat") == NULL ||
      g_find_program_in_path ("journalctl") == NULL)
    {
      g_test_skip ("no journal reachable here (/run/systemd/journal/stdout, systemd-cat, "
                   "journalctl): the journal form is not tested");
      return;
    }
  fixture->room = room = cr_test_room_new (60, NULL);
  tag = g_strdup_printf ("courtrec-test-%u", g_random_int ());
  /* systemd-cat connects courtrecd's stderr to the journal's stream. */
  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "systemd-cat", "-t", tag,
                             courtrecd, "-c", room->config_path, NULL);
  g_assert_no_error (error);
  g_assert_true (cr_test_wait_until (api_answers, room, 15000));
  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, NULL);
  match = g_strdup_printf ("SYSLOG_IDENTIFIER=%s", tag);
  {
    const char *argv[] = { "journalctl", "--no-pager", "-o", "verbose", match,
                           "CR_ROOM=test-room", NULL };
    g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  }
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "GLIB_DOMAIN=courtrec-recorder"));
  g_assert_nonnull (strstr (out, "ready: API on"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/courtrec/logs/" path, Fixture, NULL, NULL, func, tear_down)
  ADD ("api-text", test_api_text);
  ADD ("config-path", test_config_path);
  ADD ("config-refused", test_config_refused);
  ADD ("index-case", test_index_case);
  ADD ("fields-text", test_fields_text);
  ADD ("fields-journal", test_fields_journal);
  return g_test_run ();
}
