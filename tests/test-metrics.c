/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-metrics.c: /metrics as a court's IT uses it: the exposition judged
 * by promtool, its values against what the recorder did (the index, the
 * status, a camera killed, a silent microphone), nothing of a case in it,
 * refusals, a crowd of scrapers while a hearing records (the files judged
 * with ffprobe), and a real Prometheus server scraping courtrecd and
 * answering queries. The shipped alert rules and dashboard are checked in
 * test-monitoring.c. */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "archive/segment-index.h"
#include "recorder/metrics.h"
#include "tests/test-util-metrics.h"

#define CASE_NO "（2026）浙1022民初4567号"
/* The canonical form's digits, whatever brackets the output might use. */
#define CASE_CORE "1022民初4567"
#define TITLE "原告\"王某\"诉被告\\李某"
#define ROOM "room=\"test-room\""

/* A tone and a silent microphone, silent "long" after 2 s. */
#define TWO_MICROPHONES \
  "[audio]\nbitrate_kbps = 96\nsilence_alarm_seconds = 2\n\n" \
  "[microphone judge]\nsource = test\nlabel = 审判长\n\n" \
  "[microphone clerk]\nsource = test:silence\nlabel = 书记员\n\n"

/* Waits (@timeout_s at most) until @series has @value in a scrape. */
typedef struct {
  CrTestRoom *room;
  const char *series;
  double value;
} SeriesWait;

static gboolean
series_is (gpointer data)
{
  SeriesWait *wait = data;
  g_autoptr (CrTestScrape) s = cr_test_scrape (wait->room);
  return cr_test_scrape_has (s, wait->series) &&
         cr_test_scrape_value (s, wait->series) == wait->value;
}

static gboolean
wait_series (CrTestRoom *room, const char *series, double value, double timeout_s)
{
  SeriesWait wait = { room, series, value };
  return cr_test_wait_until (series_is, &wait, (guint) (timeout_s * 1000));
}

static gboolean
series_at_least (gpointer data)
{
  SeriesWait *wait = data;
  g_autoptr (CrTestScrape) s = cr_test_scrape (wait->room);
  return cr_test_scrape_value (s, wait->series) >= wait->value;
}

static gboolean
wait_series_at_least (CrTestRoom *room, const char *series, double value, double timeout_s)
{
  SeriesWait wait = { room, series, value };
  return cr_test_wait_until (series_at_least, &wait, (guint) (timeout_s * 1000));
}

/* An account of role viewer, as a court gives Prometheus, and a new token
 * of it. (transfer full) */
static char *
viewer_token (CrTestRoom *room, const char *name)
{
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  g_autoptr (GSubprocess) add = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;

  add = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, courtrec, "-c", room->config_path,
                          "user", "add", name, "--role", "viewer", "--password-stdin", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (add, "scrapes the rooms, never logs in\n", NULL, NULL, NULL,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (add), ==, 0);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "user", "token", name, NULL), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

/* --- the format ------------------------------------------------------------- */

/* Label values are escaped as the text format wants: a backslash, a double
 * quote and a line feed; nothing else changes (UTF-8 passes as it is). */
static void
test_escape (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "judge", "judge" },
    { "a\\b", "a\\\\b" },
    { "say \"x\"", "say \\\"x\\\"" },
    { "two\nlines", "two\\nlines" },
    { "审判长\t", "审判长\t" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = cr_metrics_escape_label (cases[i].in);
      g_assert_cmpstr (escaped, ==, cases[i].out);
    }
}

/* --- what a scrape says ---------------------------------------------------- */

/* One hearing, scraped from standby to its stop: promtool accepts every
 * scrape; the state set, the segments and the recorded seconds agree with
 * the index; the levels with the microphones; the disk with the status;
 * and no case number or title is anywhere in it. */
static void
test_hearing (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (10, TWO_MICROPHONES);
  g_autoptr (CrTestScrape) standby = NULL;
  g_autoptr (CrTestScrape) recording = NULL;
  g_autoptr (CrTestScrape) stopped = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  gint64 session_id, closed_us = 0;
  double free_bytes;

  cr_test_room_start (room);
  standby = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (standby, "courtrec_recording{" ROOM ",state=\"standby\"}"),
                     ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (standby, "courtrec_recording{" ROOM ",state=\"recording\"}"),
                     ==, 0);
  g_assert_cmpfloat (cr_test_scrape_value (standby, "courtrec_build_info{" ROOM ",version=\""
                                                    COURTREC_VERSION "\"}"), ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (standby, "courtrec_segments_closed_total{" ROOM "}"),
                     ==, 0);
  /* A microphone is not "silent while recording" in standby. */
  g_assert_cmpfloat (cr_test_scrape_value (standby, "courtrec_audio_silent_seconds{" ROOM
                                                    ",input=\"clerk\"}"), ==, 0);

  g_assert_cmpint (cr_test_client (room, NULL, NULL, "start", "--case", CASE_NO, "--title", TITLE,
                                   NULL), ==, 0);
  status = cr_test_status (room);
  session_id = json_object_get_int_member (json_object_get_object_member (status, "session"), "id");
  g_clear_pointer (&status, json_object_unref);

  /* The silence alarm after 2 s of the silent microphone. */
  g_assert_true (wait_series (room, "courtrec_alarms{" ROOM ",kind=\"microphone-silent\"}", 1, 6));
  recording = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_recording{" ROOM ",state=\"recording\"}"),
                     ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_recording{" ROOM ",state=\"standby\"}"),
                     ==, 0);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_capturing{" ROOM "}"), ==, 1);
  /* The tone is loud, the silent microphone at the floor and counting. */
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_audio_peak_dbfs{" ROOM
                                                      ",input=\"judge\"}"), >, -30);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_audio_peak_dbfs{" ROOM
                                                      ",input=\"clerk\"}"), ==, -100);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_audio_silent_seconds{" ROOM
                                                      ",input=\"clerk\"}"), >=, 2);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_audio_silent_seconds{" ROOM
                                                      ",input=\"judge\"}"), ==, 0);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_recorded_seconds_total{" ROOM "}"),
                     >, 0);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_http_connections{" ROOM
                                                      ",kind=\"control\"}"), >=, 1);
  /* The disk as status sees it (both within a scan of 10 s). */
  status = cr_test_status (room);
  free_bytes = json_object_get_int_member (json_object_get_object_member (status, "disk"),
                                           "free_bytes");
  g_assert_cmpfloat (fabs (cr_test_scrape_value (recording, "courtrec_disk_free_bytes{" ROOM "}") -
                           free_bytes), <, 64e6);
  g_assert_cmpfloat (cr_test_scrape_value (recording, "courtrec_disk_runway_seconds{" ROOM "}"), >,
                     7200);

  /* The first file closes at 10 s, the second at the stop. */
  g_assert_true (wait_series_at_least (room, "courtrec_segments_closed_total{" ROOM "}", 1,
                                       20 * cr_test_timing_factor ()));
  cr_test_stop_and_wait (room, session_id);
  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, >=, 2);
  for (guint i = 0; i < rows->len; i++)
    closed_us += ((CrSegmentRecord *) g_ptr_array_index (rows, i))->duration_us;

  stopped = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (stopped, "courtrec_recording{" ROOM ",state=\"standby\"}"),
                     ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (stopped, "courtrec_segments_closed_total{" ROOM "}"), ==,
                     rows->len);
  /* Every file closed: the counter is the files' length in the index. */
  g_test_message ("recorded %.3f s, the index %.3f s",
                  cr_test_scrape_value (stopped, "courtrec_recorded_seconds_total{" ROOM "}"),
                  closed_us / 1e6);
  g_assert_cmpfloat_with_epsilon (cr_test_scrape_value (stopped,
                                                        "courtrec_recorded_seconds_total{" ROOM "}"),
                                  closed_us / 1e6, 0.5);
  /* Silence is an alarm only while recording: it clears at the next
   * second's check. */
  g_assert_true (wait_series (room, "courtrec_alarms{" ROOM ",kind=\"microphone-silent\"}", 0, 3));

  /* What was typed for the hearing is the API's, never the scrape's. */
  for (CrTestScrape **s = (CrTestScrape *[]) { standby, recording, stopped, NULL }; *s; s++)
    {
      g_assert_null (strstr ((*s)->text, CASE_CORE));
      g_assert_null (strstr ((*s)->text, "王某"));
      g_assert_null (strstr ((*s)->text, "李某"));
    }
}

/* A camera killed mid-hearing: its input_up goes 0 within the 2 s the
 * recorder takes to declare it lost, its losses count 1, an input-lost
 * alarm stands; the recording goes on. */
static void
test_camera_lost (void)
{
  guint16 port = cr_test_free_port ();
  g_autofree char *extra = g_strdup_printf (
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n\n", port);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autoptr (GSubprocess) camera = cr_test_rtsp_camera_new (port);
  g_autoptr (CrTestScrape) lost = NULL;
  gint64 session_id, killed_us;
  const char *up = "courtrec_input_up{" ROOM ",input=\"witness\",kind=\"camera\"}";
  const char *losses = "courtrec_input_losses_total{" ROOM ",input=\"witness\",kind=\"camera\"}";

  cr_test_room_start (room);
  g_assert_true (wait_series (room, up, 1, 15));
  session_id = cr_test_start_session (room, CASE_NO);
  {
    g_autoptr (CrTestScrape) live = cr_test_scrape (room);
    g_assert_cmpfloat (cr_test_scrape_value (live, losses), ==, 0);
    g_assert_cmpfloat (cr_test_scrape_value (live, "courtrec_alarms{" ROOM ",kind=\"input-lost\"}"),
                       ==, 0);
  }

  g_subprocess_send_signal (camera, SIGKILL);
  g_subprocess_wait (camera, NULL, NULL);
  killed_us = g_get_monotonic_time ();
  g_assert_true (wait_series (room, up, 0, 5));
  g_test_message ("input_up 0 %.2f s after the camera died",
                  (g_get_monotonic_time () - killed_us) / 1e6);
  lost = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (lost, losses), ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (lost, "courtrec_alarms{" ROOM ",kind=\"input-lost\"}"), ==,
                     1);
  g_assert_cmpfloat (cr_test_scrape_value (lost, "courtrec_input_up{" ROOM
                                                 ",input=\"judge\",kind=\"camera\"}"), ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (lost, "courtrec_recording{" ROOM ",state=\"recording\"}"),
                     ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (lost, "courtrec_capturing{" ROOM "}"), ==, 1);
  cr_test_stop_and_wait (room, session_id);
}

/* --- refused --------------------------------------------------------------- */

/* Without the token, with another, in another scheme, with another
 * method, or at a neighbouring path: refused like every API path, and the
 * refusals counted. */
static void
test_refused (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autoptr (CrTestScrape) after = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *basic = NULL;
  g_autofree char *bearer = NULL;
  static const struct { const char *method, *path; guint status; } paths[] = {
    { "POST", "/metrics", 405 }, { "PUT", "/metrics", 405 }, { "DELETE", "/metrics", 405 },
    { "GET", "/metrics/", 404 }, { "GET", "/metrics.txt", 404 }, { "GET", "/api/v1/metrics", 404 },
  };

  cr_test_room_start (room);
  wrong = g_strdup_printf ("Bearer %s", "0000000000000000000000000000000000000000000000");
  basic = g_strdup_printf ("Basic %s", room->token);
  bearer = g_strdup_printf ("bearer %s", room->token);
  {
    const char *refused[] = { NULL, wrong, basic, "Bearer ", "Bearer" };
    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autofree char *body = NULL;
        g_autofree char *type = NULL;
        guint status = cr_test_http_auth (room->port, "GET", "/metrics", refused[i], &type, &body);
        g_assert_cmpuint (status, ==, 401);
        /* A refusal tells nothing of the room. */
        g_assert_null (strstr (body, "courtrec_"));
      }
  }
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", room->token);
      g_autofree char *body = NULL;
      g_assert_cmpuint (cr_test_http_auth (room->port, paths[i].method, paths[i].path, auth, NULL,
                                           &body), ==, paths[i].status);
    }
  /* The scheme's case does not matter (RFC 9110). */
  {
    g_autofree char *body = NULL;
    g_assert_cmpuint (cr_test_http_auth (room->port, "GET", "/metrics", bearer, NULL, &body), ==,
                      200);
  }
  after = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (after, "courtrec_http_refused_total{" ROOM
                                                  ",kind=\"control\"}"), >=, 5 + G_N_ELEMENTS (paths));
}

/* A viewer's token, the least role, is enough to scrape, while it cannot
 * start a hearing; revoked, it scrapes no more. */
static void
test_viewer (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *token = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *type = NULL;
  g_autofree char *body = NULL;
  g_autofree char *refused = NULL;
  g_autoptr (CrTestScrape) scrape = NULL;

  cr_test_room_start (room);
  token = viewer_token (room, "prometheus");
  auth = g_strdup_printf ("Bearer %s", token);
  g_assert_cmpuint (cr_test_http_auth (room->port, "GET", "/metrics", auth, &type, &body), ==, 200);
  g_assert_cmpstr (type, ==, CR_METRICS_CONTENT_TYPE);
  scrape = cr_test_scrape_parse (body);
  g_assert_cmpfloat (cr_test_scrape_value (scrape, "courtrec_recording{" ROOM ",state=\"standby\"}"),
                     ==, 1);
  g_assert_cmpuint (cr_test_http_auth (room->port, "POST", "/api/v1/session/stop", auth, NULL,
                                       &refused), ==, 403);
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "user", "token", "prometheus", "--revoke",
                                   "all", NULL), ==, 0);
  g_assert_cmpuint (cr_test_http_auth (room->port, "GET", "/metrics", auth, NULL, NULL), ==, 401);
}

/* --- scrapers while recording ---------------------------------------------- */

/* 16 scrapers as fast as they can for 8 s (thousands of scrapes, a
 * thousand times Prometheus's pace) while a hearing records: every scrape
 * answered, and the files are whole: no gap, consecutive files meet, each
 * has a frame for every 40 ms of its length. */
static void
test_scrapers_while_recording (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (10, NULL);
  g_autofree char *script = cr_test_top_path ("tests/fixtures/http-flood.py");
  g_autofree char *pid = NULL, *port = NULL, *out = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *index_path = NULL;
  JsonObject *result, *statuses;
  gint64 session_id, started_us;
  gint64 requests;

  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  started_us = g_get_monotonic_time ();
  pid = g_strdup_printf ("%u", cr_test_room_pid (room));
  port = g_strdup_printf ("%u", room->port);
  {
    const char *argv[] = { "/usr/bin/python3", script, "flood", pid, port, "/metrics", "8", "16",
                           room->token, NULL };
    g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  }
  g_test_message ("scrapers: %s", out);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  result = json_node_get_object (json_parser_get_root (parser));
  statuses = json_object_get_object_member (result, "statuses");
  requests = json_object_get_int_member (result, "requests");
  g_assert_cmpint (requests, >, 500);
  g_assert_cmpint (json_object_get_int_member_with_default (statuses, "200", 0), ==, requests);

  /* Past the first boundary, so that two files meet. */
  while (g_get_monotonic_time () - started_us < 12.5 * G_USEC_PER_SEC)
    g_usleep (G_USEC_PER_SEC / 10);
  cr_test_stop_and_wait (room, session_id);
  cr_test_assert_recording_whole (room, session_id, 2);
  rows = cr_test_segments (room, session_id);
  for (guint i = 0; i < rows->len; i++)
    {
      const CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, TRUE);
      JsonArray *streams = json_object_get_array_member (probe, "streams");
      gint64 frames = -1;

      for (guint s = 0; s < json_array_get_length (streams); s++)
        {
          JsonObject *stream = json_array_get_object_element (streams, s);
          if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
            frames = g_ascii_strtoll (json_object_get_string_member (stream, "nb_read_frames"),
                                      NULL, 10);
        }
      g_test_message ("%s: %" G_GINT64_FORMAT " frames in %.3f s", row->path, frames,
                      row->duration_us / 1e6);
      g_assert_cmpfloat_with_epsilon (frames / 25.0, row->duration_us / 1e6, 0.1);
    }
  index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  index = cr_segment_index_open (index_path, TRUE, NULL);
  g_assert_nonnull (index);
  events = cr_segment_index_list_events (index, session_id, NULL);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpstr (((CrEventRecord *) g_ptr_array_index (events, i))->kind_name, !=, "gap");
}

/* --- a real Prometheus ------------------------------------------------------- */

/* Prometheus (Debian's) scrapes courtrecd every second with a viewer's
 * token, and a second job with a wrong token, and evaluates the shipped
 * alert rules; its query API then answers what a court's dashboards and
 * rules will ask. */
static void
test_prometheus (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autoptr (CrTestPrometheus) prometheus = NULL;
  g_autofree char *targets = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *wrong_file = NULL;
  g_autofree char *jobs = NULL;
  g_autofree char *rules = cr_test_top_path ("contrib/prometheus/courtrec-alerts.yml");
  gint64 t0;

  cr_test_room_start (room);
  cr_test_start_session (room, CASE_NO);
  token_file = g_build_filename (room->dir, "prometheus-token", NULL);
  wrong_file = g_build_filename (room->dir, "prometheus-wrong-token", NULL);
  {
    g_autofree char *token = viewer_token (room, "prometheus");
    g_assert_true (g_file_set_contents (token_file, token, -1, NULL));
  }
  g_assert_true (g_file_set_contents (wrong_file, "not-the-token", -1, NULL));
  g_assert_cmpint (g_chmod (token_file, 0600), ==, 0);
  jobs = g_strdup_printf (
      "  - job_name: courtrec\n"
      "    authorization:\n      credentials_file: %s\n"
      "    static_configs:\n      - targets: ['127.0.0.1:%u']\n"
      "  - job_name: courtrec-wrong-token\n"
      "    authorization:\n      credentials_file: %s\n"
      "    static_configs:\n      - targets: ['127.0.0.1:%u']\n",
      token_file, room->port, wrong_file, room->port);

  t0 = g_get_monotonic_time ();
  prometheus = cr_test_prometheus_new (room->dir, jobs, rules);
  g_assert_true (cr_test_prometheus_wait (prometheus, "up{job=\"courtrec\"}", 1, 20));
  g_test_message ("first scrape answered %.1f s after Prometheus started",
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (cr_test_prometheus_wait (prometheus, "courtrec_recording{state=\"recording\"}", 1,
                                          5));
  g_assert_true (cr_test_prometheus_wait (prometheus, "up{job=\"courtrec-wrong-token\"}", 0, 5));
  /* A state set: exactly one state holds. */
  g_assert_true (cr_test_prometheus_wait (prometheus, "sum by (room) (courtrec_recording)", 1, 5));
  g_assert_true (cr_test_prometheus_wait (prometheus,
                                          "count(courtrec_build_info{version=\"" COURTREC_VERSION
                                          "\",room=\"test-room\"})", 1, 5));
  g_assert_true (cr_test_prometheus_wait (prometheus,
                                          "courtrec_input_up{kind=\"camera\",input=\"judge\"}", 1,
                                          5));
  /* The counter moves between two scrapes, as rate() needs. */
  g_assert_true (cr_test_prometheus_wait (prometheus,
                                          "rate(courtrec_recorded_seconds_total[5s]) > bool 0.5",
                                          1, 10));
  /* Prometheus's own view of the target: no sample it had to drop. */
  g_assert_true (cr_test_prometheus_wait (prometheus,
                                          "scrape_samples_scraped{job=\"courtrec\"} > bool 30", 1,
                                          5));
  /* The shipped rules evaluate against a real room without an error; a
   * healthy room recording raises none of them, not even pending, while
   * the job whose token is wrong is a recorder not watched: down. */
  g_assert_true (cr_test_prometheus_rules_ok (prometheus, 10));
  g_assert_true (cr_test_prometheus_wait (prometheus,
                                          "count(ALERTS{alertname=\"CourtrecRecorderDown\","
                                          "job=\"courtrec-wrong-token\"})", 1, 5));
  g_assert_cmpuint (cr_test_prometheus_count (prometheus,
                                              "ALERTS{job!=\"courtrec-wrong-token\"}"), ==, 0);
  cr_test_prometheus_free (g_steal_pointer (&prometheus));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/metrics/escape", test_escape);
  g_test_add_func ("/courtrec/metrics/hearing", test_hearing);
  g_test_add_func ("/courtrec/metrics/camera-lost", test_camera_lost);
  g_test_add_func ("/courtrec/metrics/refused", test_refused);
  g_test_add_func ("/courtrec/metrics/viewer", test_viewer);
  g_test_add_func ("/courtrec/metrics/scrapers-while-recording", test_scrapers_while_recording);
  g_test_add_func ("/courtrec/metrics/prometheus", test_prometheus);
  return g_test_run ();
}
