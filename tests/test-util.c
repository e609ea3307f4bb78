/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util.c: see test-util.h. */
#include "tests/test-util.h"

#include "archive/segment-index.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

char *
cr_test_build_path (const char *name)
{
  const char *build = g_getenv ("CR_BUILD");
  if (build == NULL)
    build = "build";
  return g_build_filename (build, name, NULL);
}

char *
cr_test_top_path (const char *relative)
{
  const char *top = g_getenv ("CR_TOP");
  if (top == NULL)
    top = ".";
  return g_build_filename (top, relative, NULL);
}

static guint16
unbound_port (void)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* The kernel may hand the port it just freed out again at the next bind,
 * so two calls in a row (a room's API and public listeners) could give the
 * same port; a port is given out once per test process. */
guint16
cr_test_free_port (void)
{
  static GHashTable *given;
  G_LOCK_DEFINE_STATIC (given);
  guint16 port;

  G_LOCK (given);
  if (given == NULL)
    given = g_hash_table_new (NULL, NULL);
  do
    port = unbound_port ();
  while (!g_hash_table_add (given, GUINT_TO_POINTER (port)));
  G_UNLOCK (given);
  return port;
}

double
cr_test_timing_factor (void)
{
  const char *text = g_getenv ("CR_TIMING_FACTOR");
  double factor = text != NULL ? g_ascii_strtod (text, NULL) : 1.0;

  return factor >= 1.0 ? factor : 1.0;
}

CrTestRoom *
cr_test_room_new (guint segment_seconds, const char *extra)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) conf = g_string_new (NULL);
  CrTestRoom *room = g_new0 (CrTestRoom, 1);

  room->dir = g_dir_make_tmp ("courtrec-test-XXXXXX", &error);
  g_assert_no_error (error);
  room->config_path = g_build_filename (room->dir, "room.conf", NULL);
  room->storage_dir = g_build_filename (room->dir, "storage", NULL);
  room->daemon_log = g_build_filename (room->dir, "courtrecd.log", NULL);
  room->port = cr_test_free_port ();
  room->public_port = cr_test_free_port ();

  g_string_append_printf (conf,
      "[room]\nid = test-room\nname = 第一法庭\ncourt = 浙江省三门县人民法院\n\n"
      "[storage]\ndir = %s\nsegment_seconds = %u\n\n"
      /* Its own users store: never the machine's. */
      "[api]\nlisten = 127.0.0.1:%u\ntoken_file = %s/api-token\nusers = %s/users.db\n\n",
      room->storage_dir, segment_seconds, room->port, room->dir, room->dir);
  /* A group given in @extra replaces this one: a key file may give each
   * group once. */
  if (extra == NULL || strstr (extra, "[video]") == NULL)
    g_string_append (conf, "[video]\nwidth = 320\nheight = 180\nframerate = 25\n"
                           "bitrate_kbps = 500\n\n");
  if (extra == NULL || strstr (extra, "[audio]") == NULL)
    g_string_append (conf, "[audio]\nbitrate_kbps = 96\n\n");
  if (extra == NULL || strstr (extra, "[public]") == NULL)
    /* Every client of a test is 127.0.0.1, polling as fast as it can: the
     * per-client limits are test-http's to try, not every test's. */
    g_string_append_printf (conf, "[public]\nlisten = 127.0.0.1:%u\n"
                            "max_connections_per_client = 65536\n"
                            "requests_per_second_per_client = 100000\n\n", room->public_port);
  if (extra == NULL || strstr (extra, "[camera ") == NULL)
    g_string_append (conf, "[camera judge]\nsource = test\nlabel = 审判长\n\n");
  if (extra == NULL || strstr (extra, "[microphone ") == NULL)
    g_string_append (conf, "[microphone judge]\nsource = test\nlabel = 审判长\n\n");
  if (extra != NULL)
    g_string_append (conf, extra);

  g_file_set_contents (room->config_path, conf->str, -1, &error);
  g_assert_no_error (error);
  return room;
}

/* A child of a test dies with it, even when the test aborts. */
void
cr_test_child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* A child of its own waits for the end of a pipe only this process holds
 * (close-on-exec: no program the test starts holds it), then runs the
 * script; it holds no other descriptor of the test's. */
void
cr_test_at_exit (const char *script)
{
  int pipe_fds[2];
  pid_t child;

  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  fcntl (pipe_fds[1], F_SETFD, FD_CLOEXEC);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      char buffer;

      for (int fd = 3; fd < 1024; fd++)
        if (fd != pipe_fds[0])
          close (fd);
      setsid ();
      while (read (pipe_fds[0], &buffer, 1) > 0 || errno == EINTR)
        ;
      execlp ("sh", "sh", "-c", script, (char *) NULL);
      _exit (127);
    }
  close (pipe_fds[0]);
  /* pipe_fds[1] is held open for the life of the process, on purpose. */
}

static gboolean
api_answers (gpointer data)
{
  CrTestRoom *room = data;
  g_autofree char *body = NULL;

  /* g_subprocess_get_if_exited() is only for a process already waited for
   * (a critical otherwise); the identifier goes NULL once it has exited. */
  if (room->daemon != NULL && g_subprocess_get_identifier (room->daemon) == NULL)
    return TRUE; /* it died: stop waiting, the caller checks */
  return cr_test_http (room, "GET", "/api/v1/status", NULL, NULL, &body) == 401;
}

void
cr_test_room_setenv (CrTestRoom *room, const char *name, const char *value)
{
  if (room->environment == NULL)
    room->environment = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_replace (room->environment, g_strdup (name), g_strdup (value));
}

static gboolean
room_capturing (gpointer data)
{
  CrTestRoom *room = data;
  g_autofree char *body = NULL;
  g_autoptr (JsonNode) status = NULL;

  /* A daemon that has gone (some tests make one exit) captures nothing. */
  if (cr_test_http (room, "GET", "/api/v1/status", room->token, NULL, &body) != 200 ||
      body == NULL)
    return TRUE;
  status = json_from_string (body, NULL);
  return status == NULL || !JSON_NODE_HOLDS_OBJECT (status) ||
         json_object_get_boolean_member_with_default (json_node_get_object (status),
                                                      "capturing", FALSE);
}

/* The room's listen ports moved to new free ones, in its config too. */
static void
move_ports (CrTestRoom *room)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  guint16 *ports[] = { &room->port, &room->public_port };

  g_file_get_contents (room->config_path, &text, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      g_autofree char *old = g_strdup_printf ("127.0.0.1:%u\n", *ports[i]);
      g_autofree char *now = NULL;
      g_auto (GStrv) parts = g_strsplit (text, old, -1);

      *ports[i] = cr_test_free_port ();
      now = g_strdup_printf ("127.0.0.1:%u\n", *ports[i]);
      g_free (text);
      text = g_strjoinv (now, parts);
    }
  g_file_set_contents (room->config_path, text, -1, &error);
  g_assert_no_error (error);
}

/* courtrecd spawned on the room; TRUE once its API answers, FALSE if it
 * exited because a port of the room was taken: a port from
 * cr_test_free_port() is only free when asked for, and another test
 * process (the suite runs in lanes) may bind it before courtrecd does. */
static gboolean
spawn_daemon (CrTestRoom *room)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *log = NULL;
  gsize log_from = 0, log_length = 0;
  GStatBuf st;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  if (room->environment != NULL)
    {
      GHashTableIter iter;
      gpointer name, value;
      g_hash_table_iter_init (&iter, room->environment);
      while (g_hash_table_iter_next (&iter, &name, &value))
        g_subprocess_launcher_setenv (launcher, name, value, TRUE);
    }
  if (g_stat (room->daemon_log, &st) == 0)
    log_from = st.st_size;
  /* Append, so that a restart after a crash keeps the first run's log. */
  {
    int fd = g_open (room->daemon_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    g_assert_cmpint (fd, >=, 0);
    g_subprocess_launcher_take_stdout_fd (launcher, fd);
  }
  room->daemon = g_subprocess_launcher_spawn (launcher, &error, courtrecd,
                                              "-c", room->config_path, NULL);
  g_assert_no_error (error);

  if (cr_test_wait_until (api_answers, room, 20000) &&
      g_subprocess_get_identifier (room->daemon) != NULL)
    return TRUE;
  if (g_subprocess_get_identifier (room->daemon) == NULL &&
      g_file_get_contents (room->daemon_log, &log, &log_length, NULL) &&
      log_from <= log_length && strstr (log + log_from, "Address already in use") != NULL)
    {
      g_test_message ("courtrecd found a port of the room taken: new ports");
      g_clear_object (&room->daemon);
      return FALSE;
    }
  g_error ("courtrecd did not come up; its log:\n%s", log != NULL ? log : "(see the file)");
}

void
cr_test_room_start (CrTestRoom *room)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token_path = g_build_filename (room->dir, "api-token", NULL);
  g_autofree char *token = NULL;
  guint attempt = 0;

  g_assert_null (room->daemon);
  while (!spawn_daemon (room))
    {
      g_assert_cmpuint (++attempt, <, 3);
      move_ports (room);
    }

  g_file_get_contents (token_path, &token, NULL, &error);
  g_assert_no_error (error);
  g_free (room->token);
  room->token = g_strstrip (g_steal_pointer (&token));

  /* Up is not yet capturing: on a loaded machine the pictures may flow a
   * second or two after the API answers, and a test that starts a
   * session at once would time its recording from before there was one.
   * A room that never captures (what some tests make) is theirs to judge:
   * this only waits. */
  cr_test_wait_until (room_capturing, room, 10000);
}

static void
wait_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

int
cr_test_room_signal (CrTestRoom *room, int signum, guint timeout_s)
{
  gboolean done = FALSE;
  int status;

  g_assert_nonnull (room->daemon);
  g_subprocess_send_signal (room->daemon, signum);
  g_subprocess_wait_async (room->daemon, NULL, wait_cb, &done);
  if (!cr_test_wait_until (flag_is_set, &done, timeout_s * 1000))
    return -1;
  status = g_subprocess_get_status (room->daemon);
  g_clear_object (&room->daemon);
  return status;
}

void
cr_test_room_free (CrTestRoom *room)
{
  if (room == NULL)
    return;
  if (room->daemon != NULL)
    {
      g_subprocess_force_exit (room->daemon);
      g_subprocess_wait (room->daemon, NULL, NULL);
      g_clear_object (&room->daemon);
    }
  if (g_getenv ("CR_TEST_KEEP") == NULL)
    {
      g_autofree char *quoted = g_shell_quote (room->dir);
      g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);
      g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
    }
  else
    g_test_message ("kept %s", room->dir);
  g_free (room->dir);
  g_free (room->config_path);
  g_free (room->storage_dir);
  g_free (room->token);
  g_free (room->daemon_log);
  g_clear_pointer (&room->environment, g_hash_table_unref);
  g_free (room);
}

/* A child's output as text. Ours must be UTF-8 (a clerk's terminal and
 * the daemon's line readers depend on it), so a stray byte from courtrec
 * fails the test, naming where; another program's (tesseract reading a
 * blurred frame) is only made valid, with the place in the log. */
static char *
output_text (const char *program, const char *stream, GBytes *bytes)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  const char *end;

  if (size == 0)
    return g_strdup ("");
  if (g_utf8_validate_len (data, size, &end))
    return g_strndup (data, size);
  {
    gsize at = end - data;
    gsize from = at >= 16 ? at - 16 : 0;
    gsize to = MIN (size, at + 16);
    g_autoptr (GString) hex = g_string_new (NULL);
    g_autofree char *base = g_path_get_basename (program);

    for (gsize i = from; i < to; i++)
      g_string_append_printf (hex, "%s%02x", i == at ? " [" : " ",
                              (guint8) data[i]);
    g_test_message ("%s wrote invalid UTF-8 on %s at byte %" G_GSIZE_FORMAT
                    " of %" G_GSIZE_FORMAT ":%s", program, stream, at, size, hex->str);
    if (g_str_has_prefix (base, "courtrec"))
      g_error ("%s: invalid UTF-8 on %s at byte %" G_GSIZE_FORMAT, base, stream, at);
  }
  return g_utf8_make_valid (data, size);
}

int
cr_test_run (char **out, char **err, const char *const *argv)
{
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) stdout_bytes = NULL;
  g_autoptr (GBytes) stderr_bytes = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  /* As bytes, not communicate_utf8: that one drops the whole output on a
   * stray byte and names no offset worth reading. */
  g_subprocess_communicate (process, NULL, NULL, &stdout_bytes, &stderr_bytes, &error);
  g_assert_no_error (error);
  if (out != NULL)
    *out = output_text (argv[0], "stdout", stdout_bytes);
  if (err != NULL)
    *err = output_text (argv[0], "stderr", stderr_bytes);
  if (!g_subprocess_get_if_exited (process))
    return 128 + g_subprocess_get_term_sig (process);
  return g_subprocess_get_exit_status (process);
}

GBytes *
cr_test_raw_frame (const char *path, double at, const char *filter, gsize size)
{
  g_autofree char *seek = g_strdup_printf ("%.3f", at);
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-ss", seek, "-i", path,
                         "-frames:v", "1", "-vf", filter, "-f", "rawvideo", "-", NULL };
  g_autoptr (GSubprocess) ffmpeg = NULL;
  g_autoptr (GError) error = NULL;
  GBytes *pixels = NULL;

  ffmpeg = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate (ffmpeg, NULL, NULL, &pixels, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (ffmpeg));
  g_assert_cmpuint (g_bytes_get_size (pixels), ==, size);
  return pixels;
}

int
cr_test_client (CrTestRoom *room, char **out, char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (room->config_path));
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = cr_test_run (out, err, (const char *const *) argv->pdata);
  return status;
}

guint
cr_test_http (CrTestRoom *room, const char *method, const char *path,
              const char *token, const char *json_body, char **body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) reply = NULL;
  /* The public pages have a listener of their own. */
  guint16 port = g_str_has_prefix (path, "/live") ? room->public_port : room->port;
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);

  message = soup_message_new (method, uri);
  g_assert_nonnull (message);
  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", auth);
    }
  if (json_body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (json_body, strlen (json_body));
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  reply = soup_session_send_and_read (session, message, NULL, NULL);
  if (body != NULL)
    *body = reply ? g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply))
                  : NULL;
  return soup_message_get_status (message);
}

JsonObject *
cr_test_ffprobe (const char *path, gboolean count_frames)
{
  const char *argv[] = { "ffprobe", "-v", "error", "-show_format", "-show_streams",
                         "-of", "json", count_frames ? "-count_frames" : path,
                         count_frames ? path : NULL, NULL };
  g_autofree char *out = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (cr_test_run (&out, NULL, argv) != 0)
    return NULL;
  if (!json_parser_load_from_data (parser, out, -1, NULL))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

gboolean
cr_test_ffmpeg_decodes (const char *path, char **errors)
{
  const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path,
                         "-f", "null", "-", NULL };
  g_autofree char *err = NULL;
  int status = cr_test_run (NULL, &err, argv);
  gboolean clean = status == 0 && (err == NULL || *err == '\0');

  if (errors != NULL)
    *errors = g_steal_pointer (&err);
  return clean;
}

static void
find_files (const char *dir, const char *suffix, GPtrArray *found)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        find_files (path, suffix, found);
      else if (g_str_has_suffix (name, suffix))
        g_ptr_array_add (found, g_steal_pointer (&path));
    }
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
cr_test_find_files (const char *dir, const char *suffix)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  find_files (dir, suffix, found);
  g_ptr_array_sort (found, compare_strings);
  return found;
}

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
cr_test_wait_until (gboolean (*cond) (gpointer data), gpointer data,
                    guint timeout_ms)
{
  gboolean expired = FALSE;
  guint timer = g_timeout_add (timeout_ms, timed_out, &expired);
  /* Wake at least every 20 ms: some conditions (files on disk, another
   * process) have no event to wake us. */
  guint ticker = g_timeout_add (20, tick, NULL);

  while (!cond (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timer);
  g_source_remove (ticker);
  return cond (data);
}

JsonObject *
cr_test_status (CrTestRoom *room)
{
  g_autofree char *body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/status", room->token, NULL,
                                  &body), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gboolean
has_segment (gpointer data)
{
  g_autoptr (JsonObject) status = cr_test_status (data);

  return json_object_has_member (status, "segment") &&
         !json_object_get_null_member (status, "segment");
}

gint64
cr_test_start_session (CrTestRoom *room, const char *case_no)
{
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) status = NULL;
  int exit_status = cr_test_client (room, NULL, &err, "start", "--case", case_no, NULL);

  if (exit_status != 0)
    g_error ("courtrec start failed (%d): %s", exit_status, err);
  status = cr_test_status (room);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "recording");
  /* The first file opens at the first keyframe taken after the start,
   * a frame or a few later: a test that stops at once would find none.
   * A room that cannot open one (what some tests make) only waits. */
  cr_test_wait_until (has_segment, room, 5000);
  return json_object_get_int_member (json_object_get_object_member (status, "session"), "id");
}

GPtrArray *
cr_test_segments (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, &error);
  GPtrArray *rows;

  g_assert_no_error (error);
  rows = cr_segment_index_list_segments (index, session_id, &error);
  g_assert_no_error (error);
  return rows;
}

typedef struct {
  CrTestRoom *room;
  gint64 session_id;
  guint at_least;
} ClosedWait;

static gboolean
all_closed (gpointer data)
{
  ClosedWait *wait = data;
  g_autoptr (GPtrArray) rows = cr_test_segments (wait->room, wait->session_id);

  if (rows->len < MAX (wait->at_least, 1))
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    if (!((CrSegmentRecord *) g_ptr_array_index (rows, i))->closed)
      return FALSE;
  return TRUE;
}

GPtrArray *
cr_test_wait_closed (CrTestRoom *room, gint64 session_id, guint at_least)
{
  ClosedWait wait = { room, session_id, at_least };

  g_assert_true (cr_test_wait_until (all_closed, &wait, 15000));
  return cr_test_segments (room, session_id);
}

static gboolean
is_sealed (gpointer data)
{
  ClosedWait *wait = data;
  g_autofree char *path = g_build_filename (wait->room->storage_dir, "index.db", NULL);
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, NULL);
  g_autoptr (CrSessionRecord) session = NULL;

  if (index == NULL)
    return FALSE;
  session = cr_segment_index_get_session (index, wait->session_id, NULL);
  return session != NULL && session->chain_head != NULL && session->signature != NULL;
}

void
cr_test_wait_sealed (CrTestRoom *room, gint64 session_id)
{
  ClosedWait wait = { room, session_id, 1 };

  g_assert_true (cr_test_wait_until (is_sealed, &wait, 15000));
}

void
cr_test_stop_and_wait (CrTestRoom *room, gint64 session_id)
{
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);
  g_ptr_array_unref (cr_test_wait_closed (room, session_id, 1));
}

/* ---- nginx with its RTMP module ----------------------------------------- */

#define NGINX "/usr/sbin/nginx"
#define NGINX_MODULES "/usr/lib/nginx/modules/"

static gboolean
port_answers_cb (gpointer data)
{
  return cr_test_port_answers (GPOINTER_TO_UINT (data));
}

gboolean
cr_test_port_answers (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

gboolean
cr_test_nginx_available (void)
{
  return g_file_test (NGINX, G_FILE_TEST_IS_EXECUTABLE) &&
         g_file_test (NGINX_MODULES "ngx_rtmp_module.so", G_FILE_TEST_EXISTS) &&
         g_file_test (NGINX_MODULES "ngx_stream_module.so", G_FILE_TEST_EXISTS);
}

CrTestNginx *
cr_test_nginx_new (const char *dir, const char *extra_conf)
{
  CrTestNginx *nginx = g_new0 (CrTestNginx, 1);
  nginx->dir = g_strdup (dir);
  nginx->port = cr_test_free_port ();
  nginx->extra_conf = g_strdup (extra_conf != NULL ? extra_conf : "");
  cr_test_nginx_start (nginx);
  return nginx;
}

void
cr_test_nginx_start (CrTestNginx *nginx)
{
  g_autofree char *conf_path = g_build_filename (nginx->dir, "nginx.conf", NULL);
  g_autofree char *log_path = g_build_filename (nginx->dir, "nginx.out", NULL);
  g_autofree char *conf = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_null (nginx->process);
  conf = g_strdup_printf (
      "load_module " NGINX_MODULES "ngx_rtmp_module.so;\n"
      "load_module " NGINX_MODULES "ngx_stream_module.so;\n"
      "daemon off;\nmaster_process off;\n"
      "error_log %s/error.log info;\npid %s/nginx.pid;\n"
      "events { worker_connections 64; }\n"
      "rtmp { server { listen 127.0.0.1:%u; chunk_size 4096;\n"
      "  application live { live on; record off; } } }\n%s\n",
      nginx->dir, nginx->dir, nginx->port, nginx->extra_conf);
  g_file_set_contents (conf_path, conf, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  nginx->process = g_subprocess_launcher_spawn (launcher, &error, NGINX, "-p", nginx->dir,
                                                "-c", conf_path, "-e", "/dev/stderr",
                                                NULL);
  g_assert_no_error (error);
  if (!cr_test_wait_until (port_answers_cb, GUINT_TO_POINTER (nginx->port), 5000))
    {
      g_autofree char *log = NULL;
      g_file_get_contents (log_path, &log, NULL, NULL);
      g_error ("nginx did not listen on %u: %s", nginx->port, log ? log : "");
    }
}

typedef struct {
  gboolean done;
  char *out;
} Finished;

static gboolean
finished_cb (gpointer data)
{
  return ((Finished *) data)->done;
}

static void
waited_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  ((Finished *) data)->done = TRUE;
}

void
cr_test_nginx_kill (CrTestNginx *nginx)
{
  Finished finished = { FALSE, NULL };
  if (nginx->process == NULL)
    return;
  g_subprocess_send_signal (nginx->process, SIGKILL);
  g_subprocess_wait_async (nginx->process, NULL, waited_cb, &finished);
  g_assert_true (cr_test_wait_until (finished_cb, &finished, 5000));
  g_clear_object (&nginx->process);
}

void
cr_test_nginx_free (CrTestNginx *nginx)
{
  if (nginx == NULL)
    return;
  cr_test_nginx_kill (nginx);
  g_free (nginx->dir);
  g_free (nginx->extra_conf);
  g_free (nginx);
}

char *
cr_test_nginx_url (CrTestNginx *nginx, const char *key)
{
  return g_strdup_printf ("rtmp://127.0.0.1:%u/live/%s", nginx->port, key);
}

static void
communicated_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Finished *finished = data;
  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &finished->out,
                                        NULL, NULL);
  finished->done = TRUE;
}

char *
cr_test_probe_stream (const char *url, guint timeout_s)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) codecs = g_string_new (NULL);
  g_autofree char *timeout = g_strdup_printf ("%u", timeout_s);
  Finished probe = { FALSE, NULL };
  JsonArray *streams = NULL;
  JsonNode *root;

  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, "timeout", "-s", "KILL", timeout,
                                         "ffprobe", "-v", "error", "-rw_timeout", "4000000",
                                         "-show_streams", "-of", "json", url, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &probe);
  g_assert_true (cr_test_wait_until (finished_cb, &probe, (timeout_s + 5) * 1000));
  if (probe.out != NULL && json_parser_load_from_data (parser, probe.out, -1, NULL))
    {
      root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
          json_object_has_member (json_node_get_object (root), "streams"))
        streams = json_object_get_array_member (json_node_get_object (root), "streams");
    }
  g_free (probe.out);
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      if (codecs->len > 0)
        g_string_append_c (codecs, ',');
      g_string_append (codecs, json_object_get_string_member_with_default (stream,
                                                                           "codec_name", "?"));
    }
  return codecs->len > 0 ? g_strdup (codecs->str) : NULL;
}

/* ---- a server that accepts and never reads ------------------------------- */

struct CrTestSilentServer {
  GSocketListener *listener;
  GCancellable *cancellable;
  GPtrArray *connections;   /* kept open, never read */
  GMutex lock;              /* protects connections */
  GThread *thread;          /* accepts */
};

static gpointer
silent_server_thread (gpointer data)
{
  CrTestSilentServer *server = data;
  GSocketConnection *connection;

  while ((connection = g_socket_listener_accept (server->listener, NULL, server->cancellable,
                                                 NULL)) != NULL)
    {
      g_mutex_lock (&server->lock);
      g_ptr_array_add (server->connections, connection);
      g_mutex_unlock (&server->lock);
    }
  return NULL;
}

CrTestSilentServer *
cr_test_silent_server_new (guint16 *port)
{
  CrTestSilentServer *server = g_new0 (CrTestSilentServer, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) error = NULL;

  *port = cr_test_free_port ();
  address = g_inet_socket_address_new (loopback, *port);
  server->listener = g_socket_listener_new ();
  server->cancellable = g_cancellable_new ();
  server->connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&server->lock);
  g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
  g_assert_no_error (error);
  server->thread = g_thread_new ("silent-server", silent_server_thread, server);
  return server;
}

guint
cr_test_silent_server_connections (CrTestSilentServer *server)
{
  guint n;
  g_mutex_lock (&server->lock);
  n = server->connections->len;
  g_mutex_unlock (&server->lock);
  return n;
}

void
cr_test_silent_server_free (CrTestSilentServer *server)
{
  if (server == NULL)
    return;
  g_cancellable_cancel (server->cancellable);
  g_thread_join (server->thread);
  g_socket_listener_close (server->listener);
  g_object_unref (server->listener);
  g_object_unref (server->cancellable);
  g_ptr_array_unref (server->connections);
  g_mutex_clear (&server->lock);
  g_free (server);
}

/* The session's segments, closed, follow each other without a gap and
 * each decodes to its indexed length. */
void
cr_test_assert_recording_whole (CrTestRoom *room, gint64 session_id, guint at_least)
{
  g_autoptr (GPtrArray) segments = cr_test_wait_closed (room, session_id, at_least);

  for (guint i = 0; i < segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      g_autofree char *path = g_build_filename (room->storage_dir, segment->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, FALSE);
      double probed;

      g_assert_nonnull (probe);
      probed = g_ascii_strtod (json_object_get_string_member (
                                 json_object_get_object_member (probe, "format"), "duration"),
                               NULL);
      g_assert_cmpfloat_with_epsilon (probed, segment->duration_us / 1e6, 0.5);
      if (i > 0)
        {
          const CrSegmentRecord *previous = g_ptr_array_index (segments, i - 1);
          gint64 hole = segment->started_us - (previous->started_us + previous->duration_us);
          /* Consecutive segments meet within a frame or two. */
          g_assert_cmpint (ABS (hole), <, 100000);
        }
    }
}

guint
cr_test_room_pid (CrTestRoom *room)
{
  const char *id = g_subprocess_get_identifier (room->daemon);
  g_assert_nonnull (id);
  return (guint) g_ascii_strtoull (id, NULL, 10);
}

GSubprocess *
cr_test_rtsp_camera_new (guint16 port)
{
  g_autofree char *script = cr_test_top_path ("tests/fixtures/rtsp-camera.py");
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  GSubprocess *server;

  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  server = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script,
                                        port_text, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready");
  return server;
}

typedef struct {
  CrTestRoom *room;
  const char *input;
  const char *state;
} InputWait;

static gboolean
input_is (gpointer data)
{
  InputWait *wait = data;
  g_autoptr (JsonObject) status = cr_test_status (wait->room);
  JsonArray *inputs = json_object_get_array_member (status, "inputs");

  for (guint i = 0; i < json_array_get_length (inputs); i++)
    {
      JsonObject *input = json_array_get_object_element (inputs, i);
      if (g_strcmp0 (json_object_get_string_member (input, "name"), wait->input) == 0)
        return g_strcmp0 (json_object_get_string_member (input, "state"), wait->state) == 0;
    }
  return FALSE;
}

gboolean
cr_test_wait_for_input (CrTestRoom *room, const char *input, const char *state,
                        guint timeout_ms)
{
  InputWait wait = { room, input, state };
  return cr_test_wait_until (input_is, &wait, timeout_ms);
}

gboolean
cr_test_browser_available (void)
{
  g_autofree char *playwright = cr_test_top_path ("node_modules/playwright-core/package.json");
  g_autofree char *node = g_find_program_in_path ("node");
  return node != NULL && g_file_test (playwright, G_FILE_TEST_EXISTS) &&
         g_file_test ("/usr/bin/chromium", G_FILE_TEST_IS_EXECUTABLE);
}
