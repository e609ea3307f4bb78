/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util.h: what the integration tests share: a courtroom in a temporary
 * directory, courtrecd started and stopped by PID, the courtrec client, and
 * ffprobe as the independent judge of every media file. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  char *dir;            /* fresh temporary directory, removed at the end */
  char *config_path;
  char *storage_dir;
  char *token;          /* read back from the token file once the daemon runs */
  guint16 port;
  guint16 public_port;      /* [public] listen: the live pages */
  GSubprocess *daemon;
  char *daemon_log;     /* daemon's stdout+stderr */
  GHashTable *environment; /* extra variables for courtrecd */
} CrTestRoom;

/* "$CR_BUILD/@name" (the build directory; "build" by default). */
char *cr_test_build_path (const char *name);
/* "$CR_TOP/@relative" (the project root; "." by default). */
char *cr_test_top_path (const char *relative);

/* A room with one test camera and one test microphone at 320x180, 25 fps,
 * segments of @segment_seconds; @extra is appended to the config as is
 * (more groups), or NULL. */
CrTestRoom *cr_test_room_new (guint segment_seconds, const char *extra);
void cr_test_room_free (CrTestRoom *room);

/* Sets a variable in courtrecd's environment for the next start. */
void cr_test_room_setenv (CrTestRoom *room, const char *name, const char *value);

/* Starts courtrecd on the room and waits until its API answers. */
void cr_test_room_start (CrTestRoom *room);
/* courtrecd's PID, while it runs. */
guint cr_test_room_pid (CrTestRoom *room);
/* Sends @signum to courtrecd and waits for it to exit; returns the wait
 * status (as from waitpid), or -1 if it did not exit in @timeout_s. */
int cr_test_room_signal (CrTestRoom *room, int signum, guint timeout_s);

/* Runs the courtrec client on the room: args after "-c CONFIG", ending in
 * NULL. Returns the exit status; @out and @err may be NULL. */
int cr_test_client (CrTestRoom *room, char **out, char **err, ...) G_GNUC_NULL_TERMINATED;
/* For GSubprocessLauncher: the child is killed when the test dies. */
void cr_test_child_setup (gpointer data);

/* Runs @script with sh once this process has ended, however it ends (an
 * assertion, a signal): for what a test makes outside its directories,
 * such as a network namespace. Call it before making the thing. */
void cr_test_at_exit (const char *script);

/* Runs any program (argv, NULL-terminated); returns its exit status. */
int cr_test_run (char **out, char **err, const char *const *argv);
/* One decoded frame of @path at @at seconds, through ffmpeg's @filter (which
 * ends in the pixel format), as raw pixels; asserts it is @size bytes. */
GBytes *cr_test_raw_frame (const char *path, double at, const char *filter, gsize size);

/* The daemon's status JSON (GET /api/v1/status). (transfer full) */
JsonObject *cr_test_status (CrTestRoom *room);
/* `courtrec start --case @case_no`; returns the new session's id. */
gint64 cr_test_start_session (CrTestRoom *room, const char *case_no);
/* `courtrec stop`, then waits until every segment of @session_id is closed
 * (finished, hashed and in the index). */
void cr_test_stop_and_wait (CrTestRoom *room, gint64 session_id);
/* Waits (15 s at most) until @session_id has at least @at_least segments
 * and every one is closed; returns their rows. (transfer full)
 * (element-type CrSegmentRecord) */
GPtrArray *cr_test_wait_closed (CrTestRoom *room, gint64 session_id, guint at_least);
/* Waits (15 s at most) until courtrecd has sealed @session_id (stopped,
 * its last segment closed): its chain head and signature are in the
 * index. */
void cr_test_wait_sealed (CrTestRoom *room, gint64 session_id);
/* The index rows of @session_id's segments, read-only, by sequence.
 * (transfer full) (element-type CrSegmentRecord) */
GPtrArray *cr_test_segments (CrTestRoom *room, gint64 session_id);
/* How much slower than the normal build this one runs its pipelines
 * (CR_TIMING_FACTOR, 2 under the sanitizers, else 1): for the bounds that
 * measure timing, never for those that measure correctness. */
double cr_test_timing_factor (void);

/* TRUE when a page can be driven in a browser: node, playwright-core in
 * $CR_TOP/node_modules and /usr/bin/chromium. */
gboolean cr_test_browser_available (void);

/* A free TCP port on 127.0.0.1, never the same twice in one process. */
guint16 cr_test_free_port (void);

/* HTTP to the room's API, or to its public listener for a path under
 * /live; @token may be NULL (no Authorization header).
 * Returns the status code and the body in @body. */
guint cr_test_http (CrTestRoom *room, const char *method, const char *path,
                    const char *token, const char *json_body, char **body);

/* The session's segments, closed (at least @at_least), follow each other
 * without a gap and each decodes (ffprobe) to its indexed length. */
void cr_test_assert_recording_whole (CrTestRoom *room, gint64 session_id, guint at_least);

/* ffprobe -show_format -show_streams [-count_frames] -of json @path.
 * NULL when ffprobe cannot open the file. (transfer full) */
JsonObject *cr_test_ffprobe (const char *path, gboolean count_frames);
/* Decodes the whole file with ffmpeg; TRUE when it decodes without error. */
gboolean cr_test_ffmpeg_decodes (const char *path, char **errors);

/* Lists the regular files ending in @suffix under @dir, sorted. */
GPtrArray *cr_test_find_files (const char *dir, const char *suffix);

/* Runs the main loop until @cond(@data) or @timeout_ms; returns @cond's last answer. */
gboolean cr_test_wait_until (gboolean (*cond) (gpointer data), gpointer data,
                             guint timeout_ms);

/* TRUE when something accepts TCP connections on 127.0.0.1:@port. */
gboolean cr_test_port_answers (guint16 port);

/* A real nginx with its RTMP module (and the stream module loaded), in
 * @dir, started by the test and killed by PID:
 *   rtmp://127.0.0.1:PORT/live/KEY  (application "live", live on)
 * @extra_conf is appended at the top level of nginx.conf, or NULL.
 * cr_test_nginx_available() says whether the modules are installed. */
typedef struct {
  char *dir;
  guint16 port;
  char *extra_conf;
  GSubprocess *process;
} CrTestNginx;

gboolean cr_test_nginx_available (void);
/* Picks a free port and starts nginx; waits until it listens. */
CrTestNginx *cr_test_nginx_new (const char *dir, const char *extra_conf);
/* Starts it again on the same port (after a kill). */
void cr_test_nginx_start (CrTestNginx *nginx);
/* SIGKILL and wait; nothing if not running. */
void cr_test_nginx_kill (CrTestNginx *nginx);
void cr_test_nginx_free (CrTestNginx *nginx);
/* "rtmp://127.0.0.1:PORT/live/@key" (transfer full) */
char *cr_test_nginx_url (CrTestNginx *nginx, const char *key);

/* ffprobe -show_streams on a live URL (killed after @timeout_s), with the
 * main loop running; a comma-separated list of the codec names read, e.g.
 * "h264,aac", or NULL when nothing could be read. (transfer full) */
char *cr_test_probe_stream (const char *url, guint timeout_s);

/* A TCP server on 127.0.0.1 that accepts and never reads nor answers: a
 * streaming server gone deaf. Connections are kept open until freed. */
typedef struct CrTestSilentServer CrTestSilentServer;
CrTestSilentServer *cr_test_silent_server_new (guint16 *port);
guint cr_test_silent_server_connections (CrTestSilentServer *server);
void cr_test_silent_server_free (CrTestSilentServer *server);

/* A real RTSP camera (tests/fixtures/rtsp-camera.py: a moving picture
 * and a tone) at rtsp://127.0.0.1:@port/camera, ready when this returns;
 * kill it by its PID. (transfer full) */
GSubprocess *cr_test_rtsp_camera_new (guint16 port);
/* Waits (@timeout_ms at most) until status says @input is in @state
 * ("live", "lost", ...); whether it is. */
gboolean cr_test_wait_for_input (CrTestRoom *room, const char *input, const char *state,
                                 guint timeout_ms);


G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestRoom, cr_test_room_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestNginx, cr_test_nginx_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestSilentServer, cr_test_silent_server_free)

G_END_DECLS
