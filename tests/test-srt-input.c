/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-srt-input.c: an SRT stream as one more camera with its sound (issue 3,
 * item 4): a field unit that listens while courtrecd calls, and a remote
 * testimony terminal that calls while courtrecd listens. The far end is a
 * gst-launch-1.0 pipeline sending H.264 + AAC in MPEG-TS: a green picture
 * and an 880 Hz tone. The recording is judged with ffprobe and ffmpeg: the
 * witness's tile is green, and the witness's own track carries the tone. */
#include <locale.h>
#include <math.h>
#include <signal.h>

#include "archive/segment-index.h"
#include "pipelines/layout.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
#define WIDTH 640
#define HEIGHT 360
#define TONE_HZ 880.0
#define JUDGE_HZ 440.0  /* the "test" microphone with index 0 */

/* --- helpers ---------------------------------------------------------------- */

static const char *
input_state (CrTestRoom *room, const char *name)
{
  g_autoptr (JsonObject) st = cr_test_status (room);
  JsonArray *inputs = json_object_get_array_member (st, "inputs");

  for (guint i = 0; i < json_array_get_length (inputs); i++)
    {
      JsonObject *input = json_array_get_object_element (inputs, i);
      if (g_strcmp0 (json_object_get_string_member (input, "name"), name) == 0)
        return g_intern_string (json_object_get_string_member (input, "state"));
    }
  g_assert_not_reached ();
}

static guint16
free_udp_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
sleep_seconds (double seconds)
{
  if (seconds > 0)
    g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
}

/* The far end: gst-launch-1.0 sending a green picture and an 880 Hz tone
 * as MPEG-TS over SRT in @mode ("listener" or "caller") on @port. Its
 * output goes to @log. */
static GSubprocess *
start_sender (guint16 port, const char *mode, const char *log)
{
  g_autofree char *command = g_strdup_printf (
      "gst-launch-1.0 "
      "videotestsrc is-live=true pattern=green "
      "! video/x-raw,format=I420,width=320,height=180,framerate=25/1 "
      "! x264enc tune=zerolatency key-int-max=25 ! h264parse ! queue ! mux. "
      "audiotestsrc is-live=true wave=sine freq=%.0f "
      "! audioconvert ! avenc_aac ! aacparse ! queue ! mux. "
      "mpegtsmux name=mux alignment=7 "
      "! srtsink uri=\"srt://127.0.0.1:%u?mode=%s\" wait-for-connection=false",
      TONE_HZ, port, mode);
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  GSubprocess *sender;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, NULL));
  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  sender = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, &error);
  g_assert_no_error (error);
  return sender;
}

static void
stop_process (GSubprocess *process)
{
  if (process == NULL)
    return;
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
}

typedef struct {
  CrTestRoom *room;
  const char *input;
  GSubprocess **sender;  /* respawned if it exits, when not NULL */
  guint16 port;
  const char *mode;
  const char *log;
  guint spawns;
} LiveWait;

static gboolean
input_live (gpointer data)
{
  LiveWait *wait = data;

  /* A caller gives up when nobody listens yet: call again. */
  if (wait->sender != NULL && g_subprocess_get_identifier (*wait->sender) == NULL)
    {
      g_subprocess_wait (*wait->sender, NULL, NULL);
      g_clear_object (wait->sender);
      *wait->sender = start_sender (wait->port, wait->mode, wait->log);
      wait->spawns++;
    }
  return input_state (wait->room, wait->input) == g_intern_static_string ("live");
}

/* The path of the session's only segment. */
static char *
only_segment_path (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, TRUE, NULL);
  g_autoptr (GPtrArray) rows = NULL;

  g_assert_nonnull (index);
  rows = cr_segment_index_list_segments (index, session_id, NULL);
  g_assert_cmpuint (rows->len, ==, 1);
  return g_build_filename (room->storage_dir,
                           ((CrSegmentRecord *) g_ptr_array_index (rows, 0))->path, NULL);
}

/* The mean colour (RGB) of a region of the frame at @at seconds. */
static void
measure_colour (const char *path, double at, const CrTileRect *rect, guint8 rgb[3])
{
  g_autofree char *seek = g_strdup_printf ("%.3f", at);
  g_autofree char *filter = g_strdup_printf (
      "crop=%d:%d:%d:%d,scale=1:1:flags=area,format=rgb24", rect->width, rect->height,
      rect->x, rect->y);
  g_autoptr (GBytes) out = cr_test_raw_frame (path, at, filter, 3);

  memcpy (rgb, g_bytes_get_data (out, NULL), 3);
}

/* The RMS level (dBFS) and the dominant frequency (Hz, from the zero
 * crossings: right for a pure tone) of audio stream @stream ("0:a:N") from
 * @from for @length seconds. */
static void
measure_tone (const char *path, const char *stream, double from, double length,
              guint sample_rate, double *rms_dbfs, double *hz)
{
  g_autofree char *seek = g_strdup_printf ("%.3f", from);
  g_autofree char *span = g_strdup_printf ("%.3f", length);
  const char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info",
                         "-ss", seek, "-t", span, "-i", path, "-map", stream,
                         "-af", "astats", "-f", "null", "-", NULL };
  g_autofree char *err = NULL;
  g_auto (GStrv) lines = NULL;
  double rate = -1;

  *rms_dbfs = -INFINITY;
  g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 0);
  lines = g_strsplit (err, "\n", -1);
  /* Per channel, then "Overall": the last of each is the overall figure. */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *v;
      if ((v = strstr (lines[i], "RMS level dB: ")) != NULL)
        *rms_dbfs = g_ascii_strtod (v + strlen ("RMS level dB: "), NULL);
      else if ((v = strstr (lines[i], "Zero crossings rate: ")) != NULL)
        rate = g_ascii_strtod (v + strlen ("Zero crossings rate: "), NULL);
    }
  g_assert_cmpfloat (rate, >=, 0);
  *hz = rate * sample_rate / 2;
}

static JsonObject *
stream_titled (JsonObject *probe, const char *title, guint *audio_index)
{
  JsonArray *streams = json_object_get_array_member (probe, "streams");
  guint audio = 0;

  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      JsonObject *tags = json_object_get_object_member (stream, "tags");
      gboolean is_audio = g_strcmp0 (json_object_get_string_member (stream, "codec_type"),
                                     "audio") == 0;
      if (is_audio && tags != NULL && json_object_has_member (tags, "TITLE") &&
          g_strcmp0 (json_object_get_string_member (tags, "TITLE"), title) == 0)
        {
          *audio_index = audio;
          return stream;
        }
      audio += is_audio;
    }
  g_error ("no audio stream titled \"%s\"", title);
}

static void
dump_log (const char *what, const char *path)
{
  g_autofree char *text = NULL;
  if (g_file_get_contents (path, &text, NULL, NULL))
    g_test_message ("%s:\n%s", what, text);
}

/* --- the test ---------------------------------------------------------------- */

/* courtrecd in @our_mode ("caller": the far end listens; "listener": the
 * far end calls) records the far end as the camera and microphone
 * "witness", next to a test camera and microphone "judge". */
static void
run_srt_witness (const char *our_mode)
{
  gboolean we_call = g_str_equal (our_mode, "caller");
  guint16 port = free_udp_port ();
  g_autofree char *extra = g_strdup_printf (
      "[video]\nwidth = %d\nheight = %d\nframerate = 25\nbitrate_kbps = 800\n\n"
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = srt://127.0.0.1:%u?mode=%s\nlabel = 证人\n\n"
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
      "[microphone witness]\nsource = camera:witness\nlabel = 证人\n",
      WIDTH, HEIGHT, port, our_mode);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autofree char *sender_log = g_build_filename (room->dir, "sender.log", NULL);
  g_autoptr (GSubprocess) sender = NULL;
  g_autoptr (JsonObject) probe = NULL;
  g_autofree char *path = NULL;
  g_autofree char *mix_map = NULL;
  g_autofree char *witness_map = NULL;
  g_autofree char *judge_map = NULL;
  JsonObject *video, *mix, *witness, *judge;
  JsonArray *streams;
  guint mix_index, witness_index, judge_index, rate;
  CrTileRect rects[2], middle;
  guint8 rgb[3];
  gint64 session_id, t_start, t_end;
  double took, duration, rms, hz;
  LiveWait wait = { room, "witness", NULL, port, we_call ? "listener" : "caller",
                    sender_log, 0 };
  gint64 t0;

  /* The far end listens before we call; when we listen, it calls once we
   * are up (and again if it gave up before our listener was open). */
  if (we_call)
    sender = start_sender (port, "listener", sender_log);
  cr_test_room_start (room);
  if (!we_call)
    {
      sender = start_sender (port, "caller", sender_log);
      wait.sender = &sender;
    }

  t0 = g_get_monotonic_time ();
  if (!cr_test_wait_until (input_live, &wait, 20000))
    {
      dump_log ("courtrecd", room->daemon_log);
      dump_log ("sender", sender_log);
      g_error ("the SRT witness (courtrecd as %s) never went live", our_mode);
    }
  took = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("witness live %.2f s after the far end started (%u respawns)", took,
                  wait.spawns);

  session_id = cr_test_start_session (room, CASE_NO);
  t_start = g_get_monotonic_time ();
  sleep_seconds (6);
  /* Still live: the stream did not drop mid-hearing. */
  g_assert_cmpstr (input_state (room, "witness"), ==, "live");
  t_end = g_get_monotonic_time ();
  cr_test_stop_and_wait (room, session_id);
  stop_process (sender);
  g_clear_object (&sender);

  /* One file: h264 video, the AAC mix, and a track per microphone. */
  path = only_segment_path (room, session_id);
  probe = cr_test_ffprobe (path, FALSE);
  g_assert_nonnull (probe);
  g_assert_true (cr_test_ffmpeg_decodes (path, NULL));
  streams = json_object_get_array_member (probe, "streams");
  g_assert_cmpuint (json_array_get_length (streams), ==, 4);
  video = json_array_get_object_element (streams, 0);
  g_assert_cmpstr (json_object_get_string_member (video, "codec_name"), ==, "h264");
  g_assert_cmpint (json_object_get_int_member (video, "width"), ==, WIDTH);
  mix = stream_titled (probe, "mix", &mix_index);
  g_assert_cmpstr (json_object_get_string_member (mix, "codec_name"), ==, "aac");
  judge = stream_titled (probe, "judge", &judge_index);
  g_assert_cmpstr (json_object_get_string_member (judge, "codec_name"), ==, "opus");
  witness = stream_titled (probe, "witness", &witness_index);
  g_assert_cmpstr (json_object_get_string_member (witness, "codec_name"), ==, "opus");
  duration = g_ascii_strtod (json_object_get_string_member (
      json_object_get_object_member (probe, "format"), "duration"), NULL);
  g_test_message ("%.2f s recorded, %.2f s in the file", (t_end - t_start) / 1e6, duration);
  g_assert_cmpfloat_with_epsilon (duration, (t_end - t_start) / 1e6, 0.6);

  /* The witness's tile (the second of a 2x2 grid) is the far end's green,
   * in its middle (clear of the label); the judge's is not. */
  cr_layout_compute (CR_LAYOUT_GRID, 2, 0, WIDTH, HEIGHT, rects);
  for (guint c = 0; c < 2; c++)
    {
      middle = rects[c];
      middle.x += middle.width / 8 * 2;
      middle.width = middle.width / 8 * 4;
      middle.y += middle.height / 8 * 2;
      middle.height = middle.height / 8 * 4;
      measure_colour (path, duration / 2, &middle, rgb);
      g_test_message ("%s tile: rgb %u,%u,%u", c == 0 ? "judge" : "witness",
                      rgb[0], rgb[1], rgb[2]);
      if (c == 1)
        {
          g_assert_cmpuint (rgb[1], >, 180);
          g_assert_cmpuint (rgb[0], <, 80);
          g_assert_cmpuint (rgb[2], <, 80);
        }
      else
        g_assert_false (rgb[1] > 150 && rgb[0] < 80 && rgb[2] < 80);
    }

  /* The witness's own track carries the far end's 880 Hz tone, the
   * judge's its 440 Hz, and the mix is not silent. */
  witness_map = g_strdup_printf ("0:a:%u", witness_index);
  judge_map = g_strdup_printf ("0:a:%u", judge_index);
  mix_map = g_strdup_printf ("0:a:%u", mix_index);
  rate = g_ascii_strtoull (json_object_get_string_member (witness, "sample_rate"), NULL, 10);
  measure_tone (path, witness_map, 1.0, duration - 2.0, rate, &rms, &hz);
  g_test_message ("witness track (%s): %.1f dBFS, %.0f Hz", witness_map, rms, hz);
  g_assert_cmpfloat (rms, >, -40);
  g_assert_cmpfloat (fabs (hz - TONE_HZ), <, TONE_HZ * 0.05);
  rate = g_ascii_strtoull (json_object_get_string_member (judge, "sample_rate"), NULL, 10);
  measure_tone (path, judge_map, 1.0, duration - 2.0, rate, &rms, &hz);
  g_test_message ("judge track (%s): %.1f dBFS, %.0f Hz", judge_map, rms, hz);
  g_assert_cmpfloat (rms, >, -40);
  g_assert_cmpfloat (fabs (hz - JUDGE_HZ), <, JUDGE_HZ * 0.05);
  rate = g_ascii_strtoull (json_object_get_string_member (mix, "sample_rate"), NULL, 10);
  measure_tone (path, mix_map, 1.0, duration - 2.0, rate, &rms, &hz);
  g_test_message ("mix (%s): %.1f dBFS", mix_map, rms);
  g_assert_cmpfloat (rms, >, -40);
}

/* A field unit listens; courtrecd calls it. */
static void
test_srt_caller (void)
{
  run_srt_witness ("caller");
}

/* courtrecd listens; the remote testimony terminal calls it. */
static void
test_srt_listener (void)
{
  run_srt_witness ("listener");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/inputs/srt-caller", test_srt_caller);
  g_test_add_func ("/courtrec/inputs/srt-listener", test_srt_listener);
  return g_test_run ();
}
