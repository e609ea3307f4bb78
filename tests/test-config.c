/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-config.c: loading a courtroom's .conf: the shipped example, the
 * defaults, relative paths, sources, every class of error (each must name
 * the file, the group, the key and the value), and the API token file. */
#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/device-key.h"
#include "config/config.h"
#include "tests/test-util.h"

/* Each test writes its configs into a fresh directory of its own. */
typedef struct {
  char *dir;
} ConfigFixture;

/* The smallest valid config: the required keys only. */
#define ROOM_GROUP "[room]\nid = room-101\nname = 第一法庭\ncourt = 浙江省三门县人民法院\n\n"
/* [storage] open for more keys: a group may be given once. */
#define STORAGE_LINES "[storage]\ndir = /srv/courtrec/room-101\n"
#define ROOM_GROUPS ROOM_GROUP STORAGE_LINES "\n"
#define INPUT_GROUPS CAMERA_GROUP MICROPHONE_GROUP
#define CAMERA_GROUP "[camera judge]\nsource = test\n\n"
#define MICROPHONE_GROUP "[microphone judge]\nsource = test\n\n"
#define MINIMAL ROOM_GROUPS CAMERA_GROUP MICROPHONE_GROUP

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        remove_tree (child);
      }
  g_remove (path);
}

static void
fixture_set_up (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("courtrec-config-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (ConfigFixture *fixture, gconstpointer data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static char *
write_config (ConfigFixture *fixture, const char *text)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (fixture->dir, "room.conf", NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static CrConfig *
load_ok (ConfigFixture *fixture, const char *text)
{
  g_autofree char *path = write_config (fixture, text);
  g_autoptr (GError) error = NULL;
  CrConfig *config = cr_config_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* Loads @text, expects @code, and checks that the message names the file
 * and contains each of the NULL-terminated strings that follow. */
static void load_fails (ConfigFixture *fixture, const char *text, int code,
                        ...) G_GNUC_NULL_TERMINATED;

static void
load_fails (ConfigFixture *fixture, const char *text, int code, ...)
{
  g_autofree char *path = write_config (fixture, text);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = cr_config_load (path, &error);
  const char *needle;
  va_list args;

  g_assert_null (config);
  g_assert_error (error, CR_CONFIG_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  va_start (args, code);
  while ((needle = va_arg (args, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_error ("message \"%s\" does not contain \"%s\"", error->message,
               needle);
  va_end (args);
}

static const CrInputConfig *
input_at (GPtrArray *inputs, guint i)
{
  g_assert_cmpuint (i, <, inputs->len);
  return g_ptr_array_index (inputs, i);
}

static void
assert_input (GPtrArray *inputs, guint i, const char *name, const char *label)
{
  const CrInputConfig *input = input_at (inputs, i);

  g_assert_cmpstr (input->name, ==, name);
  g_assert_cmpstr (input->label, ==, label);
  g_assert_cmpint (input->source.kind, ==, CR_SOURCE_TEST);
  g_assert_null (input->source.location);
}

static char *
example_path (void)
{
  const char *top = g_getenv ("CR_TOP");

  return g_build_filename (top != NULL ? top : ".", "config",
                           "courtrec.conf.example", NULL);
}

static void
test_example (void)
{
  g_autofree char *path = example_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = cr_config_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (config->path, ==, path);
  g_assert_cmpstr (config->room_id, ==, "demo");
  g_assert_cmpstr (config->room_name, ==, "第一法庭");
  g_assert_cmpstr (config->court, ==, "浙江省三门县人民法院");
  g_assert_cmpstr (config->storage_dir, ==, "/var/lib/courtrec/demo");
  g_assert_cmpuint (config->segment_seconds, ==, 600);
  g_assert_cmpuint (config->width, ==, 1280);
  g_assert_cmpuint (config->height, ==, 720);
  g_assert_cmpuint (config->framerate, ==, 25);
  g_assert_cmpuint (config->video_bitrate_kbps, ==, 2000);
  g_assert_cmpuint (config->audio_bitrate_kbps, ==, 128);

  g_assert_cmpuint (config->cameras->len, ==, 3);
  assert_input (config->cameras, 0, "judge", "审判长");
  assert_input (config->cameras, 1, "plaintiff", "原告");
  assert_input (config->cameras, 2, "defendant", "被告");
  g_assert_cmpuint (config->microphones->len, ==, 2);
  assert_input (config->microphones, 0, "judge", "审判长");
  assert_input (config->microphones, 1, "witness", "证人");

  g_assert_cmpstr (config->api_host, ==, "127.0.0.1");
  g_assert_cmpuint (config->api_port, ==, 8780);
  g_assert_cmpstr (config->token_file, ==, "/var/lib/courtrec/demo/api-token");
  g_assert_cmpuint (config->api_max_connections, ==, 64);
  g_assert_cmpstr (config->public_host, ==, "127.0.0.1");
  g_assert_cmpuint (config->public_port, ==, 8781);
  g_assert_cmpuint (config->public_max_connections, ==, 512);
  g_assert_cmpuint (config->public_max_connections_per_client, ==, 16);
  g_assert_cmpuint (config->public_requests_per_second, ==, 20);
}

/* The example documents every key by setting it: a key added to the loader
 * but not to the example fails here. */
static void
test_example_sets_every_key (void)
{
  static const char *const every_key[][2] = {
    { "room", "id" }, { "room", "name" }, { "room", "court" },
    { "storage", "dir" }, { "storage", "segment_seconds" },
    { "video", "width" }, { "video", "height" }, { "video", "framerate" },
    { "video", "bitrate_kbps" }, { "audio", "bitrate_kbps" },
    { "camera judge", "source" }, { "camera judge", "label" },
    { "microphone judge", "source" }, { "microphone judge", "label" },
    { "api", "listen" }, { "api", "token_file" },
    { "storage", "key_file" }, { "video", "layout" }, { "audio", "tracks" },
    { "audio", "track_codec" }, { "audio", "silence_dbfs" },
    { "audio", "silence_alarm_seconds" }, { "camera judge", "role" },
    { "microphone judge", "camera" }, { "live", "hls" }, { "live", "delay_seconds" },
    { "api", "max_connections" }, { "public", "listen" }, { "public", "max_connections" },
    { "public", "max_connections_per_client" },
    { "public", "requests_per_second_per_client" }, { "video", "keyframe_seconds" },
    { "camera judge", "loop" }, { "console", "bookmarks" }, { "console", "max_streams" },
    { "access", "public_url" }, { "access", "code_days" },
  };
  g_autofree char *path = example_path ();
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) error = NULL;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (every_key); i++)
    if (!g_key_file_has_key (key_file, every_key[i][0], every_key[i][1], NULL))
      g_error ("the example does not show [%s] %s", every_key[i][0],
               every_key[i][1]);
}

static void
test_defaults (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture, MINIMAL);

  g_assert_cmpuint (config->segment_seconds, ==, 600);
  g_assert_cmpuint (config->width, ==, 1280);
  g_assert_cmpuint (config->height, ==, 720);
  g_assert_cmpuint (config->framerate, ==, 25);
  g_assert_cmpuint (config->video_bitrate_kbps, ==, 2000);
  g_assert_cmpuint (config->audio_bitrate_kbps, ==, 128);
  g_assert_cmpstr (config->api_host, ==, "127.0.0.1");
  g_assert_cmpuint (config->api_port, ==, 8780);
  g_assert_cmpstr (config->token_file, ==, "/srv/courtrec/room-101/api-token");
  /* A label defaults to the name in the group header. */
  assert_input (config->cameras, 0, "judge", "judge");
  assert_input (config->microphones, 0, "judge", "judge");
}

static void
test_values (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture,
      ROOM_GROUPS
      "[video]\nwidth = 3840\nheight = 2160\nframerate = 60\nbitrate_kbps = 50000\n"
      "[audio]\nbitrate_kbps = 32\n"
      "[camera evidence]\nsource = v4l2:/dev/video2\nlabel = 证据展示\n"
      "[camera witness-1]\nsource = rtsp://user:pw@192.168.1.64:554/Streaming/Channels/101\n"
      "[microphone desk_1]\nsource = alsa:hw:1,0\n"
      "[microphone remote]\nsource = pulse:alsa_input.usb-mixer.analog-stereo\n"
      "[api]\nlisten = [::1]:9000\n");

  g_assert_cmpuint (config->width, ==, 3840);
  g_assert_cmpuint (config->height, ==, 2160);
  g_assert_cmpuint (config->framerate, ==, 60);
  g_assert_cmpuint (config->video_bitrate_kbps, ==, 50000);
  g_assert_cmpuint (config->audio_bitrate_kbps, ==, 32);
  g_assert_cmpint (input_at (config->cameras, 0)->source.kind, ==, CR_SOURCE_V4L2);
  g_assert_cmpstr (input_at (config->cameras, 0)->source.location, ==, "/dev/video2");
  g_assert_cmpstr (input_at (config->cameras, 0)->label, ==, "证据展示");
  g_assert_cmpstr (input_at (config->cameras, 1)->name, ==, "witness-1");
  g_assert_cmpint (input_at (config->cameras, 1)->source.kind, ==, CR_SOURCE_RTSP);
  g_assert_cmpstr (input_at (config->cameras, 1)->source.location, ==,
                   "rtsp://user:pw@192.168.1.64:554/Streaming/Channels/101");
  g_assert_cmpint (input_at (config->microphones, 0)->source.kind, ==, CR_SOURCE_ALSA);
  g_assert_cmpstr (input_at (config->microphones, 0)->source.location, ==, "hw:1,0");
  g_assert_cmpint (input_at (config->microphones, 1)->source.kind, ==, CR_SOURCE_PULSE);
  g_assert_cmpstr (config->api_host, ==, "::1");
  g_assert_cmpuint (config->api_port, ==, 9000);
}

static void
test_listen_forms (ConfigFixture *fixture, gconstpointer data)
{
  static const struct {
    const char *listen;
    const char *host;
    guint16 port;
  } good[] = {
    { "localhost:8080", "localhost", 8080 },
    { "0.0.0.0:1", "0.0.0.0", 1 },
    { "192.168.10.20:65535", "192.168.10.20", 65535 },
    { "[fe80::1]:8780", "fe80::1", 8780 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *text = g_strdup_printf (MINIMAL "[api]\nlisten = %s\n",
                                               good[i].listen);
      g_autoptr (CrConfig) config = load_ok (fixture, text);

      g_assert_cmpstr (config->api_host, ==, good[i].host);
      g_assert_cmpuint (config->api_port, ==, good[i].port);
    }
}

/* Relative paths mean "next to the config file", whatever the working
 * directory of the daemon. */
static void
test_relative_paths (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture,
      "[room]\nid = r\nname = n\ncourt = c\n"
      "[storage]\ndir = recordings/room-101\n"
      "[api]\ntoken_file = secrets/../secrets/token\n"
      "[camera judge]\nsource = file:media/card.mkv\n" MICROPHONE_GROUP);
  g_autofree char *storage = g_build_filename (fixture->dir, "recordings",
                                               "room-101", NULL);
  g_autofree char *token = g_build_filename (fixture->dir, "secrets", "token",
                                             NULL);
  g_autofree char *media = g_build_filename (fixture->dir, "media",
                                             "card.mkv", NULL);

  g_assert_true (g_path_is_absolute (config->storage_dir));
  g_assert_cmpstr (config->storage_dir, ==, storage);
  g_assert_cmpstr (config->token_file, ==, token);
  g_assert_cmpstr (input_at (config->cameras, 0)->source.location, ==, media);
}

/* Without token_file the token lives in the (resolved) storage dir. */
static void
test_relative_default_token (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture,
      "[room]\nid = r\nname = n\ncourt = c\n[storage]\ndir = rec\n"
      CAMERA_GROUP MICROPHONE_GROUP);
  g_autofree char *token = g_build_filename (fixture->dir, "rec", "api-token",
                                             NULL);

  g_assert_cmpstr (config->token_file, ==, token);
}

static void
test_source_parse (void)
{
  static const struct {
    const char *text;
    CrSourceKind kind;
    const char *location;
  } good[] = {
    { "test", CR_SOURCE_TEST, NULL },
    { "v4l2:/dev/video0", CR_SOURCE_V4L2, "/dev/video0" },
    { "v4l2:/dev/v4l/by-id/usb-cam-video-index0", CR_SOURCE_V4L2,
      "/dev/v4l/by-id/usb-cam-video-index0" },
    { "rtsp://10.0.0.5/stream1", CR_SOURCE_RTSP, "rtsp://10.0.0.5/stream1" },
    { "rtsps://cam.local:322/s", CR_SOURCE_RTSP, "rtsps://cam.local:322/s" },
    { "alsa:hw:CARD=USB,DEV=0", CR_SOURCE_ALSA, "hw:CARD=USB,DEV=0" },
    { "pulse:default", CR_SOURCE_PULSE, "default" },
    { "file:/srv/a b.mkv", CR_SOURCE_FILE, "/srv/a b.mkv" },
  };
  static const char *const bad[] = {
    "", "Test", "tests", "v4l2:", "v4l2:video0", "alsa:", "pulse:", "file:",
    "rtsp://", "http://cam/stream", "/dev/video0", "usb:1",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      CrSource source = { 0 };
      g_autoptr (GError) error = NULL;

      g_assert_true (cr_source_parse (good[i].text, &source, &error));
      g_assert_no_error (error);
      g_assert_cmpint (source.kind, ==, good[i].kind);
      g_assert_cmpstr (source.location, ==, good[i].location);
      cr_source_clear (&source);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      CrSource source = { 0 };
      g_autoptr (GError) error = NULL;
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", bad[i]);

      g_assert_false (cr_source_parse (bad[i], &source, &error));
      g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, quoted));
      g_assert_null (source.location);
    }

  g_assert_cmpstr (cr_source_kind_to_string (CR_SOURCE_TEST), ==, "test");
  g_assert_cmpstr (cr_source_kind_to_string (CR_SOURCE_V4L2), ==, "v4l2");
  g_assert_cmpstr (cr_source_kind_to_string (CR_SOURCE_RTSP), ==, "rtsp");
  g_assert_cmpstr (cr_source_kind_to_string (CR_SOURCE_ALSA), ==, "alsa");
  g_assert_cmpstr (cr_source_kind_to_string (CR_SOURCE_PULSE), ==, "pulse");
  g_assert_cmpstr (cr_source_kind_to_string (CR_SOURCE_FILE), ==, "file");
}

static void
test_unknown_group (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture, MINIMAL "[camra judge]\nsource = test\n",
              CR_CONFIG_ERROR_UNKNOWN, "unknown group [camra judge]",
              "did you mean [camera judge]?", NULL);
  load_fails (fixture, MINIMAL "[vidoe]\nwidth = 640\n",
              CR_CONFIG_ERROR_UNKNOWN, "unknown group [vidoe]",
              "did you mean [video]?", NULL);
  load_fails (fixture, MINIMAL "[streaming]\nurl = rtmp://x\n",
              CR_CONFIG_ERROR_UNKNOWN, "unknown group [streaming]",
              "expected [room]", NULL);
  /* [room] takes no name. */
  load_fails (fixture, MINIMAL "[room 2]\nid = x\n",
              CR_CONFIG_ERROR_UNKNOWN, "unknown group [room 2]: [room] takes no name", NULL);
}

static void
test_unknown_key (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture,
              ROOM_GROUPS "[camera judge]\nsorce = v4l2:/dev/video0\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_UNKNOWN,
              "[camera judge] unknown key \"sorce\"", "v4l2:/dev/video0",
              "did you mean \"source\"?", NULL);
  load_fails (fixture, MINIMAL "[video]\nframe_rate = 30\n",
              CR_CONFIG_ERROR_UNKNOWN, "[video] unknown key \"frame_rate\"",
              "\"30\"", "did you mean \"framerate\"?", NULL);
  load_fails (fixture, MINIMAL "[video]\ncolour = blue\n",
              CR_CONFIG_ERROR_UNKNOWN, "[video] unknown key \"colour\"",
              "\"blue\"", "expected one of width, height, framerate, bitrate_kbps",
              NULL);
  /* A translated key (name[zh_CN]) is a key like any other here; in the
   * one [room] group, since a second one is refused as such. */
  load_fails (fixture,
              "[room]\nid = room-101\nname = 第一法庭\nname[zh_CN] = 第二法庭\n"
              "court = 浙江省三门县人民法院\n[storage]\ndir = /srv/r\n"
              CAMERA_GROUP MICROPHONE_GROUP,
              CR_CONFIG_ERROR_UNKNOWN, "[room] unknown key \"name[zh_CN]\"",
              NULL);
}

static void
test_bad_number (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture, MINIMAL "[video]\nframerate = abc\n",
              CR_CONFIG_ERROR_INVALID,
              "[video] framerate = \"abc\": expected a whole number from 1 to 60",
              NULL);
  load_fails (fixture, MINIMAL "[video]\nframerate = +25\n",
              CR_CONFIG_ERROR_INVALID, "[video] framerate = \"+25\"", NULL);
  load_fails (fixture, MINIMAL "[video]\nbitrate_kbps = 2.5\n",
              CR_CONFIG_ERROR_INVALID, "[video] bitrate_kbps = \"2.5\"",
              "from 100 to 50000", NULL);
  load_fails (fixture, ROOM_GROUP STORAGE_LINES "segment_seconds = 600 # ten minutes\n"
              INPUT_GROUPS,
              CR_CONFIG_ERROR_INVALID,
              "[storage] segment_seconds = \"600 # ten minutes\"",
              "comments must be on a line of their own", NULL);
}

static void
test_out_of_range (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture, ROOM_GROUP STORAGE_LINES "segment_seconds = 9\n"
              INPUT_GROUPS,
              CR_CONFIG_ERROR_INVALID,
              "[storage] segment_seconds = \"9\": expected a whole number from 10 to 3600",
              NULL);
  load_fails (fixture, ROOM_GROUP STORAGE_LINES "segment_seconds = 3601\n"
              INPUT_GROUPS,
              CR_CONFIG_ERROR_INVALID, "[storage] segment_seconds = \"3601\"",
              NULL);
  load_fails (fixture, MINIMAL "[video]\nwidth = 1281\n",
              CR_CONFIG_ERROR_INVALID,
              "[video] width = \"1281\": expected an even whole number from 160 to 3840",
              NULL);
  load_fails (fixture, MINIMAL "[video]\nheight = -720\n",
              CR_CONFIG_ERROR_INVALID, "[video] height = \"-720\"",
              "from 120 to 2160", NULL);
  load_fails (fixture, MINIMAL "[video]\nframerate = 0\n",
              CR_CONFIG_ERROR_INVALID, "[video] framerate = \"0\"", NULL);
  load_fails (fixture, MINIMAL "[audio]\nbitrate_kbps = 99999999999999999999\n",
              CR_CONFIG_ERROR_INVALID,
              "[audio] bitrate_kbps = \"99999999999999999999\": expected a whole number from 32 to 512",
              NULL);
}

/* [video] keyframe_seconds and an input's loop: their defaults, their
 * values, and a bad value named, by the loader and by courtrecd
 * --check-config (exit 2). */
static void
test_media_keys (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *path = NULL;
  g_autofree char *err = NULL;

  {
    g_autoptr (CrConfig) config = load_ok (fixture, MINIMAL);
    g_assert_cmpuint (config->keyframe_seconds, ==, 2);
    g_assert_false (input_at (config->cameras, 0)->loop);
    g_assert_false (input_at (config->microphones, 0)->loop);
  }
  {
    g_autoptr (CrConfig) config = load_ok (fixture,
        ROOM_GROUPS "[video]\nkeyframe_seconds = 10\n"
        "[camera exhibit]\nsource = file:/srv/evidence.mkv\nloop = true\n"
        "[camera judge]\nsource = test\nloop = false\n"
        "[microphone exhibit]\nsource = file:/srv/evidence.wav\nloop = yes\n");
    g_assert_cmpuint (config->keyframe_seconds, ==, 10);
    g_assert_true (input_at (config->cameras, 0)->loop);
    g_assert_false (input_at (config->cameras, 1)->loop);
    g_assert_true (input_at (config->microphones, 0)->loop);
  }
  load_fails (fixture, MINIMAL "[video]\nkeyframe_seconds = 0\n", CR_CONFIG_ERROR_INVALID,
              "[video] keyframe_seconds = \"0\": expected a whole number from 1 to 10", NULL);
  load_fails (fixture, MINIMAL "[video]\nkeyframe_seconds = 2s\n", CR_CONFIG_ERROR_INVALID,
              "[video] keyframe_seconds = \"2s\"", NULL);
  load_fails (fixture, ROOM_GROUPS "[camera judge]\nsource = rtsp://10.0.0.5/cam\nloop = true\n"
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID,
              "[camera judge] loop = true: only a file: source can loop", NULL);
  load_fails (fixture, ROOM_GROUPS CAMERA_GROUP "[microphone judge]\nsource = file:/a.wav\n"
              "loop = sometimes\n", CR_CONFIG_ERROR_INVALID,
              "[microphone judge] loop = \"sometimes\": expected true or false", NULL);

  /* The daemon says the same and exits 2, naming file, group and key. */
  path = write_config (fixture, MINIMAL "[video]\nkeyframe_seconds = 60\n");
  {
    const char *argv[] = { courtrecd, "-c", path, "--check-config", NULL };
    g_assert_cmpint (cr_test_run (NULL, &err, argv), ==, 2);
  }
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, path));
  g_assert_nonnull (strstr (err, "[video] keyframe_seconds = \"60\""));
}

/* [live] and [stream NAME]: defaults, paths next to the file, a picture
 * of its own, and each bad value named. */
static void
test_streams (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture, MINIMAL
      "[live]\ndelay_seconds = 30\n"
      "[stream portal]\nurl = rtmps://live.court.example/app\nkey_file = portal.key\n"
      "tls_ca_file = ca.pem\n"
      "[stream weibo]\nurl = rtmp://127.0.0.1:1935/live\nheight = 480\n"
      "video_bitrate_kbps = 800\nautostart = false\ndelay_seconds = 300\n"
      "[stream centre]\nurl = srt://10.0.0.9:9000?latency=200\n");
  const CrStreamConfig *portal, *weibo, *centre;
  guint width, height, kbps;

  g_assert_true (config->hls);
  g_assert_cmpuint (config->hls_delay_seconds, ==, 30);
  g_assert_cmpuint (config->streams->len, ==, 3);
  portal = g_ptr_array_index (config->streams, 0);
  weibo = g_ptr_array_index (config->streams, 1);
  centre = g_ptr_array_index (config->streams, 2);
  g_assert_cmpstr (portal->name, ==, "portal");
  g_assert_true (g_path_is_absolute (portal->key_file));
  g_assert_true (g_str_has_suffix (portal->key_file, "/portal.key"));
  g_assert_true (g_str_has_suffix (portal->tls_ca_file, "/ca.pem"));
  g_assert_true (portal->autostart);
  g_assert_cmpuint (portal->delay_seconds, ==, 0);
  g_assert_false (cr_stream_own_profile (config, portal, &width, &height, &kbps));
  g_assert_cmpuint (width, ==, 1280);
  g_assert_false (weibo->autostart);
  g_assert_cmpuint (weibo->delay_seconds, ==, 300);
  g_assert_true (cr_stream_own_profile (config, weibo, &width, &height, &kbps));
  g_assert_cmpuint (width, ==, 854);
  g_assert_cmpuint (height, ==, 480);
  g_assert_cmpuint (kbps, ==, 800);
  g_assert_null (centre->key_file);

  load_fails (fixture, MINIMAL "[stream portal]\nurl = http://live.court.example/app\n",
              CR_CONFIG_ERROR_INVALID, "[stream portal] url = \"http://live.court.example/app\"",
              "expected rtmp://HOST[:PORT]/APP", NULL);
  load_fails (fixture, MINIMAL "[stream centre]\nurl = srt://10.0.0.9\n",
              CR_CONFIG_ERROR_INVALID, "[stream centre] url", "needs a port", NULL);
  load_fails (fixture, MINIMAL "[stream portal]\nkey_file = k\n",
              CR_CONFIG_ERROR_MISSING, "[stream portal] url is missing", NULL);
  load_fails (fixture, MINIMAL "[stream portal]\nurl = rtmp://h/a\ndelay_seconds = 301\n",
              CR_CONFIG_ERROR_INVALID, "[stream portal] delay_seconds = \"301\"",
              "from 0 to 300", NULL);
  load_fails (fixture, MINIMAL "[stream portal]\nurl = rtmp://h/a\nautostart = maybe\n",
              CR_CONFIG_ERROR_INVALID, "[stream portal] autostart = \"maybe\"",
              "expected true or false", NULL);
  load_fails (fixture, MINIMAL "[stream portal]\nurl = rtmp://h/a\nheight = 1080\n",
              CR_CONFIG_ERROR_INVALID, "[stream portal] height = 1080",
              "taller than the recording", NULL);
  load_fails (fixture, MINIMAL "[stream portal]\nurl = rtmp://h/a\nkey = abc\n",
              CR_CONFIG_ERROR_UNKNOWN, "[stream portal]", "key", NULL);
  load_fails (fixture, MINIMAL "[stream bad/name]\nurl = rtmp://h/a\n",
              CR_CONFIG_ERROR_INVALID, "bad/name", NULL);
  load_fails (fixture, MINIMAL "[live]\nhls = sometimes\n",
              CR_CONFIG_ERROR_INVALID, "[live] hls = \"sometimes\"", NULL);
}

/* A stream key: read stripped, never printed when wrong. */
static void
test_stream_key (ConfigFixture *fixture, gconstpointer data)
{
  CrStreamConfig stream = { .name = (char *) "portal" };
  g_autofree char *path = g_build_filename (fixture->dir, "portal.key", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;

  stream.key_file = path;
  g_assert_true (g_file_set_contents (path, "  s3cret-K3Y\n", -1, NULL));
  key = cr_config_load_stream_key (&stream, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "s3cret-K3Y");
  g_clear_pointer (&key, g_free);

  g_assert_true (g_file_set_contents (path, "two words\n", -1, NULL));
  key = cr_config_load_stream_key (&stream, &error);
  g_assert_null (key);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[stream portal] key_file"));
  g_assert_null (strstr (error->message, "two words"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "\n", -1, NULL));
  key = cr_config_load_stream_key (&stream, &error);
  g_assert_null (key);
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);

  stream.key_file = NULL;
  key = cr_config_load_stream_key (&stream, &error);
  g_assert_cmpstr (key, ==, "");
}

static void
test_bad_camera_source (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture,
              ROOM_GROUPS "[camera judge]\nsource = alsa:hw:0\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID,
              "[camera judge] source = \"alsa:hw:0\"", "not a camera", NULL);
  load_fails (fixture,
              ROOM_GROUPS "[camera judge]\nsource = pulse:default\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID,
              "[camera judge] source = \"pulse:default\"", "not a camera", NULL);
  load_fails (fixture,
              ROOM_GROUPS "[camera judge]\nsource = v4l2:\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID,
              "[camera judge] source = \"v4l2:\"", "e.g. v4l2:/dev/video0", NULL);
  load_fails (fixture,
              ROOM_GROUPS "[camera judge]\nsource = webcam\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID, "[camera judge] source = \"webcam\"",
              "expected test, v4l2:/dev/videoN, rtsp://URL, srt://URL, rtmp://URL or file:PATH", NULL);
}

static void
test_bad_microphone_source (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture,
              ROOM_GROUPS CAMERA_GROUP "[microphone witness]\nsource = v4l2:/dev/video0\n",
              CR_CONFIG_ERROR_INVALID,
              "[microphone witness] source = \"v4l2:/dev/video0\"",
              "not a microphone", NULL);
  load_fails (fixture,
              ROOM_GROUPS CAMERA_GROUP "[microphone witness]\nsource = alsa:\n",
              CR_CONFIG_ERROR_INVALID,
              "[microphone witness] source = \"alsa:\"", "needs a device", NULL);
  load_fails (fixture,
              ROOM_GROUPS CAMERA_GROUP "[microphone witness]\nsource = hw:1,0\n",
              CR_CONFIG_ERROR_INVALID,
              "[microphone witness] source = \"hw:1,0\"",
              "expected test, alsa:DEVICE, pulse:DEVICE, camera:NAME, rtsp://URL, srt://URL, rtmp://URL or file:PATH",
              NULL);
}

static void
test_missing_key (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture,
              "[room]\nname = n\ncourt = c\n[storage]\ndir = /srv\n"
              CAMERA_GROUP MICROPHONE_GROUP,
              CR_CONFIG_ERROR_MISSING,
              "[room] id is missing: expected the room id, e.g. room-101", NULL);
  load_fails (fixture,
              "[room]\nid = r\nname = n\ncourt = c\n" CAMERA_GROUP MICROPHONE_GROUP,
              CR_CONFIG_ERROR_MISSING, "[storage] dir is missing", NULL);
  load_fails (fixture,
              ROOM_GROUPS "[camera judge]\nlabel = 审判长\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_MISSING, "[camera judge] source is missing",
              NULL);
  /* An empty value is no value. */
  load_fails (fixture,
              "[room]\nid = r\nname =\ncourt = c\n[storage]\ndir = /srv\n"
              CAMERA_GROUP MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID, "[room] name = \"\"", NULL);
}

static void
test_no_inputs (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture, ROOM_GROUPS MICROPHONE_GROUP, CR_CONFIG_ERROR_MISSING,
              "no camera", "[camera NAME]", NULL);
  load_fails (fixture, ROOM_GROUPS CAMERA_GROUP, CR_CONFIG_ERROR_MISSING,
              "no microphone", "[microphone NAME]", NULL);
  load_fails (fixture, ROOM_GROUPS "[camera]\nsource = test\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID, "[camera] has no name", NULL);
  load_fails (fixture, ROOM_GROUPS "[camera judge's]\nsource = test\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID, "[camera judge's]", "\"judge's\"", NULL);
}

static void
test_bad_listen (ConfigFixture *fixture, gconstpointer data)
{
  static const char *const bad[] = {
    "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http",
    "courtroom.example.cn:8780", "::1:8780", "[::1]8780", "[127.0.0.1]:80",
    "1.2.3:80", ":8780", "[::1]:",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf (MINIMAL "[api]\nlisten = %s\n",
                                               bad[i]);
      g_autofree char *shown = g_strdup_printf ("[api] listen = \"%s\"", bad[i]);

      load_fails (fixture, text, CR_CONFIG_ERROR_INVALID, shown,
                  "expected host:port", NULL);
    }
}

static void
test_bad_room_id (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *too_long = g_strdup_printf (
      "[room]\nid = %s\nname = n\ncourt = c\n[storage]\ndir = /srv\n"
      CAMERA_GROUP MICROPHONE_GROUP, "r1234567890123456789012345678901234567890123456789012345678901234");

  load_fails (fixture,
              "[room]\nid = room 101\nname = n\ncourt = c\n[storage]\ndir = /srv\n"
              CAMERA_GROUP MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID, "[room] id = \"room 101\"",
              "1 to 64 letters", NULL);
  load_fails (fixture,
              "[room]\nid = ../etc\nname = n\ncourt = c\n[storage]\ndir = /srv\n"
              CAMERA_GROUP MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID, "[room] id = \"../etc\"", NULL);
  load_fails (fixture, too_long, CR_CONFIG_ERROR_INVALID, "[room] id = \"r123",
              NULL);
}

static void
test_not_a_key_file (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "nowhere.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = NULL;

  load_fails (fixture, "id = room-101\n", CR_CONFIG_ERROR_SYNTAX, NULL);
  load_fails (fixture, MINIMAL "[video\nwidth = 640\n", CR_CONFIG_ERROR_SYNTAX,
              NULL);

  config = cr_config_load (missing, &error);
  g_assert_null (config);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
}

static CrConfig *
config_with_token_file (ConfigFixture *fixture, const char *token_file)
{
  g_autofree char *text = g_strdup_printf (MINIMAL "[api]\ntoken_file = %s\n",
                                           token_file);
  return load_ok (fixture, text);
}

static void
test_token_created (ConfigFixture *fixture, gconstpointer data)
{
  /* The directory does not exist yet: it is made. */
  g_autoptr (CrConfig) config = config_with_token_file (fixture, "state/a/api-token");
  g_autoptr (GError) error = NULL;
  g_autofree char *token = cr_config_load_token (config, TRUE, &error);
  g_autofree char *again = NULL;
  g_autofree char *other = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (token), ==, 64);
  for (const char *p = token; *p != '\0'; p++)
    g_assert_true (g_ascii_isxdigit (*p));

  g_assert_cmpint (g_stat (config->token_file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  again = cr_config_load_token (config, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, token);
  /* With create, an existing token is kept, not replaced. */
  other = cr_config_load_token (config, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (other, ==, token);
}

static void
test_token_read (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = config_with_token_file (fixture, "api-token");
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;

  g_file_set_contents (config->token_file, "  s3cret-token_42\n\n", -1, &error);
  g_assert_no_error (error);
  token = cr_config_load_token (config, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "s3cret-token_42");
}

static void
test_token_errors (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = config_with_token_file (fixture, "api-token");
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;

  /* Missing and not to be created. */
  token = cr_config_load_token (config, FALSE, &error);
  g_assert_null (token);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, config->token_file));
  g_assert_false (g_file_test (config->token_file, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* Empty: an error even with create, never silently replaced. */
  g_file_set_contents (config->token_file, " \n", -1, &error);
  g_assert_no_error (error);
  token = cr_config_load_token (config, TRUE, &error);
  g_assert_null (token);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, config->token_file));
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);

  g_file_set_contents (config->token_file, "two words\n", -1, &error);
  g_assert_no_error (error);
  token = cr_config_load_token (config, FALSE, &error);
  g_assert_null (token);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID);
  /* The token is a secret: not even a broken one is shown. */
  g_assert_null (strstr (error->message, "words"));
  g_clear_error (&error);

  g_file_set_contents (config->token_file, "abc\0def", 7, &error);
  g_assert_no_error (error);
  token = cr_config_load_token (config, FALSE, &error);
  g_assert_null (token);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID);
}

/* The courtroom's inputs beyond a local device: streams, a camera's
 * sound, the picture's layout and the audio tracks. */
static void
test_courtroom_inputs (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture,
      ROOM_GROUPS
      "[video]\nlayout = voice\n\n"
      "[audio]\ntracks = mix\ntrack_codec = flac\nsilence_dbfs = -55\n"
      "silence_alarm_seconds = 30\n\n"
      "[camera judge]\nsource = test:sync\nrole = judge\n\n"
      "[camera witness]\nsource = srt://0.0.0.0:7001?mode=listener\n\n"
      "[camera field]\nsource = rtmp://127.0.0.1/live/field\nrole = evidence\n\n"
      "[microphone judge]\nsource = test:silence\ncamera = judge\n\n"
      "[microphone witness]\nsource = camera:witness\n\n");
  const CrInputConfig *witness = g_ptr_array_index (config->cameras, 1);
  const CrInputConfig *field = g_ptr_array_index (config->cameras, 2);
  const CrInputConfig *judge_mic = g_ptr_array_index (config->microphones, 0);
  const CrInputConfig *witness_mic = g_ptr_array_index (config->microphones, 1);

  g_assert_cmpstr (config->layout, ==, "voice");
  g_assert_cmpstr (config->tracks, ==, "mix");
  g_assert_cmpstr (config->track_codec, ==, "flac");
  g_assert_cmpint (config->silence_dbfs, ==, -55);
  g_assert_cmpuint (config->silence_alarm_seconds, ==, 30);
  g_assert_cmpint (witness->source.kind, ==, CR_SOURCE_SRT);
  g_assert_cmpstr (witness->source.location, ==, "srt://0.0.0.0:7001?mode=listener");
  g_assert_cmpint (field->source.kind, ==, CR_SOURCE_RTMP);
  g_assert_cmpstr (field->role, ==, "evidence");
  g_assert_cmpint (judge_mic->source.kind, ==, CR_SOURCE_TEST);
  g_assert_cmpstr (judge_mic->source.location, ==, "silence");
  g_assert_cmpstr (judge_mic->camera, ==, "judge");
  g_assert_cmpint (witness_mic->source.kind, ==, CR_SOURCE_CAMERA);
  g_assert_cmpstr (witness_mic->source.location, ==, "witness");
}

static void
test_bad_courtroom_inputs (ConfigFixture *fixture, gconstpointer data)
{
  load_fails (fixture, ROOM_GROUPS CAMERA_GROUP
              "[microphone witness]\nsource = camera:nobody\n",
              CR_CONFIG_ERROR_INVALID, "[microphone witness]", "camera:nobody",
              "no such camera", NULL);
  load_fails (fixture, ROOM_GROUPS CAMERA_GROUP
              "[microphone witness]\nsource = camera:judge\n",
              CR_CONFIG_ERROR_INVALID, "[microphone witness]", "camera:judge",
              "has no sound", NULL);
  load_fails (fixture, ROOM_GROUPS CAMERA_GROUP MICROPHONE_GROUP
              "[microphone clerk]\nsource = test\ncamera = bench\n",
              CR_CONFIG_ERROR_INVALID, "[microphone clerk] camera = \"bench\"",
              "no such camera", NULL);
  load_fails (fixture, ROOM_GROUPS "[camera judge]\nsource = camera:judge\n"
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID, "[camera judge]",
              "not a camera", NULL);
  load_fails (fixture, ROOM_GROUPS "[camera judge]\nsource = srt://\n" MICROPHONE_GROUP,
              CR_CONFIG_ERROR_INVALID, "[camera judge] source = \"srt://\"",
              "needs a host", NULL);
  load_fails (fixture, ROOM_GROUPS "[video]\nlayout = mosaic\n" CAMERA_GROUP
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID, "[video] layout",
              "\"mosaic\"", "single, pip, grid, voice or evidence", NULL);
  load_fails (fixture, ROOM_GROUPS "[audio]\ntracks = each\n" CAMERA_GROUP
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID, "[audio] tracks",
              "mix or mix+each", NULL);
  load_fails (fixture, ROOM_GROUPS "[audio]\nsilence_dbfs = 3\n" CAMERA_GROUP
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID, "[audio] silence_dbfs",
              "-120 to 0", NULL);
  load_fails (fixture, ROOM_GROUPS "[camera judge]\nsource = test\nrole = usher\n"
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID, "[camera judge] role",
              "\"usher\"", "evidence", NULL);
}

/* Asserts that @error's message contains every NULL-terminated string. */
static void assert_message (const GError *error, ...) G_GNUC_NULL_TERMINATED;

static void
assert_message (const GError *error, ...)
{
  const char *needle;
  va_list args;

  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  va_start (args, error);
  while ((needle = va_arg (args, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_error ("message \"%s\" does not contain \"%s\"", error->message, needle);
  va_end (args);
}

/* ---- groups and keys given twice ---- */

/* GKeyFile would merge them silently: a second [storage] with another dir
 * would move the recordings. The error names both lines. */
static void
test_duplicates (ConfigFixture *fixture, gconstpointer data)
{
  /* Lines: 1 [room] ... 6 [storage], 7 dir; 9 [camera judge] ... */
  load_fails (fixture, MINIMAL "[storage]\ndir = /tmp/elsewhere\n",
              CR_CONFIG_ERROR_INVALID,
              "room.conf:15: [storage] is given twice (first at line 6)", NULL);
  load_fails (fixture, MINIMAL "[camera judge]\nsource = v4l2:/dev/video0\n",
              CR_CONFIG_ERROR_INVALID,
              "room.conf:15: [camera judge] is given twice (first at line 9)", NULL);
  load_fails (fixture, MINIMAL "[stream portal]\nurl = rtmp://a/live\n\n"
              "[stream portal]\nurl = rtmp://b/live\n",
              CR_CONFIG_ERROR_INVALID,
              "room.conf:18: [stream portal] is given twice (first at line 15)", NULL);
  /* Keys: spaces around '=' do not make another key. */
  load_fails (fixture, MINIMAL "[video]\nwidth = 640\nheight = 360\nwidth=1920\n",
              CR_CONFIG_ERROR_INVALID,
              "room.conf:18: [video] width is given twice (first at line 16)", NULL);
  load_fails (fixture, ROOM_GROUP STORAGE_LINES "  dir   =   /tmp/elsewhere\n" INPUT_GROUPS,
              CR_CONFIG_ERROR_INVALID,
              "room.conf:8: [storage] dir is given twice (first at line 7)", NULL);
  /* CRLF lines count as lines. */
  load_fails (fixture, "[room]\r\nid = a\r\nid = b\r\n", CR_CONFIG_ERROR_INVALID,
              "room.conf:3: [room] id is given twice (first at line 2)", NULL);
  /* A localised key is its own key, and may be given twice no more than
   * another. */
  load_fails (fixture,
              "[room]\nid = room-101\nname = 第一法庭\nname[zh] = 一\nname[zh] = 二\n",
              CR_CONFIG_ERROR_INVALID,
              "room.conf:5: [room] name[zh] is given twice (first at line 4)", NULL);
  load_fails (fixture,
              "[room]\nid = room-101\nname = 第一法庭\nname[zh] = 一\n"
              "court = c\n[storage]\ndir = /srv/r\n" INPUT_GROUPS,
              CR_CONFIG_ERROR_UNKNOWN, "[room] unknown key \"name[zh]\"", NULL);
  /* A group header's name is shown escaped and cut. */
  {
    g_autofree char *long_name = g_strnfill (5000, 'x');
    g_autofree char *text = g_strdup_printf (MINIMAL "[%s]\n[%s]\n", long_name, long_name);
    g_autofree char *path = write_config (fixture, text);
    g_autoptr (GError) error = NULL;
    g_autoptr (CrConfig) config = cr_config_load (path, &error);

    g_assert_null (config);
    assert_message (error, "room.conf:16: [xxxx", "is given twice (first at line 15)",
                    "(5000 bytes)", NULL);
    g_assert_cmpuint (strlen (error->message), <, 1000);
  }
}

/* The same key in other groups, and commented-out lines, are no
 * duplicates. */
static void
test_not_duplicates (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture,
      ROOM_GROUP STORAGE_LINES "# dir = /tmp/old\n#dir=/tmp/older\n\n"
      "[video]\nbitrate_kbps = 1500\n[audio]\nbitrate_kbps = 96\n"
      "[camera judge]\nsource = test\nlabel = 审判长\n"
      "[camera clerk]\nsource = test\nlabel = 书记员\n" MICROPHONE_GROUP);

  g_assert_cmpstr (config->storage_dir, ==, "/srv/courtrec/room-101");
  g_assert_cmpuint (config->video_bitrate_kbps, ==, 1500);
  g_assert_cmpuint (config->audio_bitrate_kbps, ==, 96);
  g_assert_cmpuint (config->cameras->len, ==, 2);
}

/* ---- values: size, length, control characters ---- */

static void
test_value_size (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *huge = g_strnfill (1000 * 1000, 'A');
  g_autofree char *over = g_strnfill (4096, 'a');
  g_autofree char *at = g_strnfill (4095, 'a');
  g_autofree char *text = NULL;
  g_autoptr (CrConfig) config = NULL;

  /* The 1 MB camera label that used to reach the text overlay. */
  text = g_strdup_printf (ROOM_GROUPS "[camera judge]\nsource = test\nlabel = %s\n"
                          MICROPHONE_GROUP, huge);
  load_fails (fixture, text, CR_CONFIG_ERROR_INVALID,
              "[camera judge] label: the value is too long: 1000000 bytes, at most 4096",
              NULL);
  g_clear_pointer (&text, g_free);

  /* Any key: "/" and 4096 bytes more is one too many, 4095 fit. */
  text = g_strdup_printf (ROOM_GROUP "[storage]\ndir = /%s\n\n" INPUT_GROUPS, over);
  load_fails (fixture, text, CR_CONFIG_ERROR_INVALID,
              "[storage] dir: the value is too long: 4097 bytes, at most 4096", NULL);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf (ROOM_GROUP "[storage]\ndir = /%s\n\n" INPUT_GROUPS, at);
  config = load_ok (fixture, text);
  g_assert_cmpuint (strlen (config->storage_dir), ==, 4096);
  g_clear_pointer (&text, g_free);

  /* An unknown key's value is shown cut, not in full. */
  text = g_strdup_printf (MINIMAL "[video]\ncolour = %s\n", over);
  {
    g_autofree char *path = write_config (fixture, text);
    g_autoptr (GError) error = NULL;
    g_autoptr (CrConfig) refused = cr_config_load (path, &error);

    g_assert_null (refused);
    assert_message (error, "[video] unknown key \"colour\"", "(4096 bytes)", NULL);
    g_assert_cmpuint (strlen (error->message), <, 1000);
  }
}

/* Labels: 32 characters (not bytes: Chinese is three bytes each); room
 * name and court: 200. */
static void
test_text_length (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (GString) label = g_string_new (NULL);
  g_autoptr (GString) title = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (guint i = 0; i < 32; i++)
    g_string_append (label, "审");
  for (guint i = 0; i < 200; i++)
    g_string_append (title, "法");

  text = g_strdup_printf ("[room]\nid = r\nname = %s\ncourt = %s\n" STORAGE_LINES
                          "[camera judge]\nsource = test\nlabel = %s\n"
                          "[microphone judge]\nsource = test\nlabel = %s\n",
                          title->str, title->str, label->str, label->str);
  {
    g_autoptr (CrConfig) config = load_ok (fixture, text);
    g_assert_cmpstr (input_at (config->cameras, 0)->label, ==, label->str);
    g_assert_cmpstr (config->room_name, ==, title->str);
  }
  g_clear_pointer (&text, g_free);

  g_string_append (label, "x");
  g_string_append (title, "x");
  text = g_strdup_printf (ROOM_GROUPS "[camera judge]\nsource = test\nlabel = %s\n"
                          MICROPHONE_GROUP, label->str);
  load_fails (fixture, text, CR_CONFIG_ERROR_INVALID, "[camera judge] label = \"",
              "too long: at most 32 characters", NULL);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf (ROOM_GROUPS CAMERA_GROUP "[microphone judge]\nsource = test\n"
                          "label = %s\n", label->str);
  load_fails (fixture, text, CR_CONFIG_ERROR_INVALID, "[microphone judge] label = \"",
              "too long: at most 32 characters", NULL);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("[room]\nid = r\nname = %s\ncourt = c\n" STORAGE_LINES
                          INPUT_GROUPS, title->str);
  load_fails (fixture, text, CR_CONFIG_ERROR_INVALID, "[room] name = \"",
              "too long: at most 200 characters", NULL);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("[room]\nid = r\nname = n\ncourt = %s\n" STORAGE_LINES
                          INPUT_GROUPS, title->str);
  load_fails (fixture, text, CR_CONFIG_ERROR_INVALID, "[room] court = \"",
              "too long: at most 200 characters", NULL);
}

/* Control characters, raw or through the key file's escapes, in any
 * value; the message shows them escaped. */
static void
test_control_characters (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = NULL;

  load_fails (fixture, ROOM_GROUPS "[camera judge]\nsource = test\nlabel = 审\033[2J判\n"
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID, "[camera judge] label = \"",
              "control character (U+001B", "\\u001b[2J", NULL);
  load_fails (fixture, "[room]\nid = r\nname = 第一\\n法庭\ncourt = c\n" STORAGE_LINES
              INPUT_GROUPS, CR_CONFIG_ERROR_INVALID, "[room] name = \"",
              "control character (U+000A", NULL);
  load_fails (fixture, ROOM_GROUPS "[camera judge]\nsource = rtsp://cam/a\\rb\n"
              MICROPHONE_GROUP, CR_CONFIG_ERROR_INVALID, "[camera judge] source = \"",
              "control character (U+000D", NULL);
  load_fails (fixture, MINIMAL "[video]\nlayout = grid\033]0;owned\007\n",
              CR_CONFIG_ERROR_INVALID, "[video] layout = \"", "control character", NULL);
  load_fails (fixture, ROOM_GROUP "[storage]\ndir = /srv/\302\205x\n\n" INPUT_GROUPS,
              CR_CONFIG_ERROR_INVALID, "[storage] dir = \"", "control character (U+0085",
              NULL);

  /* No message carries the raw bytes. */
  path = write_config (fixture, MINIMAL "[video]\nlayout = \033[31mred\n");
  config = cr_config_load (path, &error);
  g_assert_null (config);
  assert_message (error, "[video] layout", NULL);
  g_assert_null (strchr (error->message, '\033'));
  g_clear_error (&error);

  /* A NUL would hide the rest of its line from GKeyFile. */
  g_assert_true (g_file_set_contents (path, MINIMAL "[video]\nlayout = grid\0 pip\n",
                                      sizeof MINIMAL + 22, NULL));
  config = cr_config_load (path, &error);
  g_assert_null (config);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_SYNTAX);
  assert_message (error, "room.conf:16: a NUL byte", NULL);
}

/* ---- hostile files ---- */

static char *
make_fifo (ConfigFixture *fixture, const char *name)
{
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  return path;
}

/* Loads @path, which must fail as CR_CONFIG_ERROR_IO naming it and @kind. */
static void
config_file_refused (const char *path, const char *kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = cr_config_load (path, &error);

  g_assert_null (config);
  g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, path));
  assert_message (error, kind, NULL);
}

/* A FIFO would be read until a writer comes, /dev/zero until memory runs
 * out: both are refused before a byte is read, as is a directory. (This
 * test hangs rather than fails if the FIFO is opened blocking.) */
static void
test_config_not_regular (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *fifo = make_fifo (fixture, "room.conf");
  g_autofree char *dir = g_build_filename (fixture->dir, "conf.d", NULL);
  g_autofree char *link = g_build_filename (fixture->dir, "zero.conf", NULL);

  config_file_refused (fifo, "is a FIFO: expected a regular file");
  config_file_refused ("/dev/zero", "is a character device: expected a regular file");
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  config_file_refused (dir, "is a directory: expected a regular file");
  /* A link is followed, and what it leads to is judged. */
  g_assert_cmpint (symlink ("/dev/zero", link), ==, 0);
  config_file_refused (link, "is a character device");
}

/* MINIMAL padded with comment lines to exactly @size bytes. */
static char *
padded_config (gsize size)
{
  GString *text = g_string_new (MINIMAL);

  while (text->len + 64 < size)
    g_string_append_printf (text, "# %-60s\n", "padding");
  g_string_append (text, "#");
  while (text->len + 1 < size)
    g_string_append_c (text, 'x');
  g_string_append_c (text, '\n');
  g_assert_cmpuint (text->len, ==, size);
  return g_string_free (text, FALSE);
}

static void
test_config_size (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *at_limit = padded_config (1024 * 1024);
  g_autofree char *over_limit = padded_config (1024 * 1024 + 1);
  g_autoptr (CrConfig) config = load_ok (fixture, at_limit);
  g_autofree char *path = write_config (fixture, over_limit);

  config_file_refused (path, "is too large: 1048577 bytes, at most 1048576");
}

/* The same loader runs at --check-config and at start: a FIFO given as
 * the config makes courtrecd exit at once with 2 (a config error, which
 * systemd does not restart), naming it. */
static void
test_check_config_fifo (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *fifo = make_fifo (fixture, "room.conf");
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  gint64 started = g_get_monotonic_time ();
  gint64 waited_ms = 0;

  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, courtrecd, "-c", fifo,
                                         "--check-config", NULL);
  g_assert_no_error (error);
  /* Polled, not waited for: a courtrecd that blocks on the FIFO must fail
   * this test, not hang it. GSubprocess reaps the child on GLib's worker
   * thread, which clears its identifier. */
  while (waited_ms < 10000 && g_subprocess_get_identifier (process) != NULL)
    {
      g_usleep (20 * 1000);
      waited_ms = (g_get_monotonic_time () - started) / 1000;
    }
  if (g_subprocess_get_identifier (process) != NULL)
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      g_error ("courtrecd --check-config on a FIFO still ran after %" G_GINT64_FORMAT " ms",
               waited_ms);
    }
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_test_message ("%s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
  g_assert_nonnull (strstr (err, fifo));
  g_assert_nonnull (strstr (err, "is a FIFO"));
}

/* ---- secret files: token, stream key, device key ---- */

/* token_file leading to a FIFO, /dev/zero, a directory or a file over
 * 4 KiB: refused, naming the file and what is wrong, even with create (a
 * FIFO is not replaced by a fresh token). A link is followed. */
static void
test_token_files (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *fifo = make_fifo (fixture, "fifo-token");
  g_autofree char *dir = g_build_filename (fixture->dir, "dir-token", NULL);
  g_autofree char *large = g_build_filename (fixture->dir, "large-token", NULL);
  g_autofree char *target = g_build_filename (fixture->dir, "real-token", NULL);
  g_autofree char *big = g_strnfill (4097, 'k');
  const struct {
    const char *token_file;
    const char *says;
  } refused[] = {
    { fifo, "is a FIFO: expected a regular file" },
    { "/dev/zero", "is a character device: expected a regular file" },
    { dir, "is a directory: expected a regular file" },
    { large, "is too large: 4097 bytes, at most 4096" },
  };

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (large, big, -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (CrConfig) config = config_with_token_file (fixture, refused[i].token_file);
      g_autoptr (GError) error = NULL;
      g_autofree char *token = cr_config_load_token (config, TRUE, &error);

      g_assert_null (token);
      g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
      assert_message (error, refused[i].token_file, refused[i].says, NULL);
      g_assert_null (strstr (error->message, "kkkk"));
    }
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *link = g_build_filename (fixture->dir, "api-token", NULL);
    g_autoptr (CrConfig) config = config_with_token_file (fixture, "api-token");
    g_autofree char *token = NULL;

    /* A token in /etc linked from the storage dir is legitimate. */
    g_assert_true (g_file_set_contents (target, "linked-token\n", -1, NULL));
    g_assert_cmpint (symlink (target, link), ==, 0);
    token = cr_config_load_token (config, FALSE, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (token, ==, "linked-token");
  }
  g_assert_true (g_file_test (fifo, G_FILE_TEST_EXISTS) &&
                 !g_file_test (fifo, G_FILE_TEST_IS_REGULAR));
}

static void
test_stream_key_files (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *fifo = make_fifo (fixture, "portal.key");
  g_autofree char *large = g_build_filename (fixture->dir, "large.key", NULL);
  g_autofree char *big = g_strnfill (4097, 'k');
  const char *const key_files[] = { fifo, "/dev/zero", fixture->dir, large };
  const char *const says[] = { "is a FIFO", "is a character device", "is a directory",
                               "is too large: 4097 bytes, at most 4096" };

  g_assert_true (g_file_set_contents (large, big, -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (key_files); i++)
    {
      CrStreamConfig stream = { .name = (char *) "portal", .key_file = (char *) key_files[i] };
      g_autoptr (GError) error = NULL;
      g_autofree char *key = cr_config_load_stream_key (&stream, &error);

      g_assert_null (key);
      g_assert_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO);
      assert_message (error, "[stream portal] key_file", key_files[i], says[i], NULL);
      g_assert_null (strstr (error->message, "kkkk"));
    }
}

/* [storage] key_file: the device's signing key, read in archive/. */
static void
test_device_key_files (ConfigFixture *fixture, gconstpointer data)
{
  g_autofree char *fifo = g_build_filename (fixture->dir, "fifo-key", NULL);
  g_autofree char *dir = g_build_filename (fixture->dir, "dir-key", NULL);
  g_autofree char *large = g_build_filename (fixture->dir, "large-key", NULL);
  g_autofree char *made = g_build_filename (fixture->dir, "keys", "device-key", NULL);
  g_autofree char *link = g_build_filename (fixture->dir, "device-key", NULL);
  g_autofree char *big = g_strnfill (4097, 'a');
  const char *const paths[] = { fifo, "/dev/zero", dir, large };
  const char *const says[] = { "is a FIFO: expected a regular file",
                               "is a character device: expected a regular file",
                               "is a directory: expected a regular file",
                               "is too large: 4097 bytes, at most 4096" };
  g_autoptr (CrDeviceKey) key = NULL;
  g_autoptr (CrDeviceKey) through_link = NULL;
  g_autoptr (GError) error = NULL;

  /* Mode 0600 and 0700: refused for what they are, not for their mode. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents_full (large, big, -1, G_FILE_SET_CONTENTS_NONE, 0600,
                                           NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (CrDeviceKey) refused = cr_device_key_load (paths[i], TRUE, &error);

      g_assert_null (refused);
      g_assert_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_INVALID);
      assert_message (error, paths[i], says[i], NULL);
      g_assert_null (strstr (error->message, "aaaa"));
      g_clear_error (&error);
    }

  key = cr_device_key_load (made, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink (made, link), ==, 0);
  through_link = cr_device_key_load (link, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cr_device_key_get_public_hex (through_link), ==,
                   cr_device_key_get_public_hex (key));
}

/* ---- the HTTP listeners: [api] and [public] ---- */

static void
test_listeners (ConfigFixture *fixture, gconstpointer data)
{
  {
    g_autoptr (CrConfig) config = load_ok (fixture, MINIMAL);

    /* No [public] listen: no public listener. */
    g_assert_null (config->public_host);
    g_assert_cmpuint (config->public_port, ==, 0);
    g_assert_cmpuint (config->api_max_connections, ==, 64);
    g_assert_cmpuint (config->public_max_connections, ==, 512);
    g_assert_cmpuint (config->public_max_connections_per_client, ==, 16);
    g_assert_cmpuint (config->public_requests_per_second, ==, 20);
  }
  {
    g_autoptr (CrConfig) config = load_ok (fixture, MINIMAL "[public]\nmax_connections = 9\n");

    g_assert_null (config->public_host);
    g_assert_cmpuint (config->public_max_connections, ==, 9);
  }
  {
    g_autoptr (CrConfig) config = load_ok (fixture,
        MINIMAL "[api]\nlisten = 127.0.0.1:8780\nmax_connections = 4096\n"
        "[public]\nlisten = [::]:8080\nmax_connections = 65536\n"
        "max_connections_per_client = 1\nrequests_per_second_per_client = 100000\n");

    g_assert_cmpstr (config->public_host, ==, "::");
    g_assert_cmpuint (config->public_port, ==, 8080);
    g_assert_cmpuint (config->api_max_connections, ==, 4096);
    g_assert_cmpuint (config->public_max_connections, ==, 65536);
    g_assert_cmpuint (config->public_max_connections_per_client, ==, 1);
    g_assert_cmpuint (config->public_requests_per_second, ==, 100000);
  }
  {
    /* Another port, or another address of the same port. */
    g_autoptr (CrConfig) config = load_ok (fixture,
        MINIMAL "[api]\nlisten = [::1]:8780\n[public]\nlisten = 0.0.0.0:8780\n");

    g_assert_cmpstr (config->public_host, ==, "0.0.0.0");
    g_assert_cmpuint (config->public_port, ==, 8780);
  }
}

static void
test_bad_listeners (ConfigFixture *fixture, gconstpointer data)
{
  static const struct {
    const char *text;
    const char *says;
  } bad[] = {
    { "[api]\nmax_connections = 0\n", "[api] max_connections = \"0\": expected a whole "
      "number from 1 to 4096" },
    { "[api]\nmax_connections = 4097\n", "[api] max_connections = \"4097\"" },
    { "[public]\nmax_connections = 0\n", "[public] max_connections = \"0\": expected a "
      "whole number from 1 to 65536" },
    { "[public]\nmax_connections = 65537\n", "[public] max_connections = \"65537\"" },
    { "[access]\ncode_days = 0\n", "[access] code_days = \"0\": expected a whole number "
      "from 1 to 90" },
    { "[access]\ncode_days = 91\n", "[access] code_days = \"91\"" },
    { "[access]\npublic_url = ftp://court.example/\n",
      "[access] public_url = \"ftp://court.example/\": not a public address" },
    { "[access]\npublic_url = https://clerk:pw@court.example/\n",
      "[access] public_url = \"https://clerk:pw@court.example/\": not a public address" },
    { "[public]\nmax_connections_per_client = 0\n",
      "[public] max_connections_per_client = \"0\": expected a whole number from 1 to 65536" },
    { "[public]\nrequests_per_second_per_client = 100001\n",
      "[public] requests_per_second_per_client = \"100001\": expected a whole number "
      "from 1 to 100000" },
    { "[public]\nlisten = court.example:80\n", "[public] listen = \"court.example:80\": "
      "expected host:port" },
    { "[public]\nlisten = 127.0.0.1\n", "[public] listen = \"127.0.0.1\"" },
    { "[public]\nlisten = 127.0.0.1:0\n", "[public] listen = \"127.0.0.1:0\"" },
    { "[public]\nlisten = 127.0.0.1:8780\n",
      "[public] listen = 127.0.0.1:8780 and [api] listen = 127.0.0.1:8780 take the same "
      "port on the same address" },
    { "[api]\nlisten = [::1]:9000\n[public]\nlisten = [0:0::1]:9000\n",
      "[public] listen = [0:0::1]:9000 and [api] listen = [::1]:9000" },
    { "[api]\nlisten = 127.0.0.1:9000\n[public]\nlisten = 0.0.0.0:9000\n",
      "[public] listen = 0.0.0.0:9000 and [api] listen = 127.0.0.1:9000" },
    { "[api]\nlisten = localhost:9000\n[public]\nlisten = [::]:9000\n",
      "[public] listen = [::]:9000 and [api] listen = localhost:9000" },
    { "[api]\nlisten = 127.0.0.1:9000\n[public]\nlisten = localhost:9000\n",
      "[public] listen = localhost:9000 and [api] listen = 127.0.0.1:9000" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strconcat (MINIMAL, bad[i].text, NULL);
      load_fails (fixture, text, CR_CONFIG_ERROR_INVALID, bad[i].says, NULL);
    }
}

/* [archive NAME]: defaults, key files next to the config, the window. */
static void
test_archives (ConfigFixture *fixture, gconstpointer data)
{
  g_autoptr (CrConfig) config = load_ok (fixture, MINIMAL
      "[archive court]\nendpoint = https://s3.court.example\nbucket = court-recordings\n"
      "access_key_file = archive.access\nsecret_key_file = /etc/courtrec/archive.secret\n"
      "[archive night]\nendpoint = http://127.0.0.1:7480/\nbucket = night.copy\n"
      "prefix = courts/sanmen\nregion = cn-east-1\naccess_key_file = a\n"
      "secret_key_file = s\nmax_age_hours = 48\nbandwidth_kbps = 8000\n"
      "window = 22:00-06:00\nobject_lock = off\n");
  const CrArchiveConfig *court, *night;

  g_assert_cmpuint (config->archives->len, ==, 2);
  court = g_ptr_array_index (config->archives, 0);
  night = g_ptr_array_index (config->archives, 1);
  g_assert_cmpstr (court->name, ==, "court");
  g_assert_cmpstr (court->endpoint, ==, "https://s3.court.example");
  g_assert_cmpstr (court->bucket, ==, "court-recordings");
  g_assert_cmpstr (court->prefix, ==, "");
  g_assert_cmpstr (court->region, ==, "us-east-1");
  g_assert_true (g_path_is_absolute (court->access_key_file));
  g_assert_true (g_str_has_suffix (court->access_key_file, "/archive.access"));
  g_assert_cmpstr (court->secret_key_file, ==, "/etc/courtrec/archive.secret");
  g_assert_cmpuint (court->max_age_hours, ==, 24);
  g_assert_cmpuint (court->bandwidth_kbps, ==, 0);
  g_assert_true (court->window.always);
  g_assert_true (court->object_lock);
  g_assert_true (cr_archive_window_open (&court->window, 12 * 60));
  g_assert_cmpstr (night->prefix, ==, "courts/sanmen");
  g_assert_cmpstr (night->region, ==, "cn-east-1");
  g_assert_cmpuint (night->max_age_hours, ==, 48);
  g_assert_cmpuint (night->bandwidth_kbps, ==, 8000);
  g_assert_false (night->object_lock);
  g_assert_false (night->window.always);
  g_assert_true (cr_archive_window_open (&night->window, 22 * 60));
  g_assert_true (cr_archive_window_open (&night->window, 3 * 60));
  g_assert_false (cr_archive_window_open (&night->window, 6 * 60));
  g_assert_false (cr_archive_window_open (&night->window, 12 * 60));
  g_assert_false (cr_archive_window_open (&night->window, 21 * 60 + 59));

  {
    CrArchiveWindow day = { FALSE, 8 * 60, 18 * 60 };
    g_assert_true (cr_archive_window_open (&day, 8 * 60));
    g_assert_false (cr_archive_window_open (&day, 18 * 60));
    g_assert_false (cr_archive_window_open (&day, 2 * 60));
  }
}

/* Every bad [archive NAME] value is refused at start, naming the group,
 * the key and the value, never loaded and found out at the first upload. */
static void
test_bad_archives (ConfigFixture *fixture, gconstpointer data)
{
#define ARCHIVE_OK "endpoint = http://127.0.0.1:7480\nbucket = court\n" \
                   "access_key_file = a\nsecret_key_file = s\n"
  static const struct { const char *text; int code; const char *says; } bad[] = {
    { "[archive]\n" ARCHIVE_OK, CR_CONFIG_ERROR_INVALID, "[archive] has no name" },
    { "[archive a b]\n" ARCHIVE_OK, CR_CONFIG_ERROR_INVALID, "the name \"a b\" is not valid" },
    { "[archive c]\n" ARCHIVE_OK "[archive c]\n" ARCHIVE_OK, CR_CONFIG_ERROR_INVALID,
      "[archive c] is given twice" },
    { "[archive c]\nbucket = court\naccess_key_file = a\nsecret_key_file = s\n",
      CR_CONFIG_ERROR_MISSING, "[archive c] endpoint is missing" },
    { "[archive c]\nendpoint = http://h\naccess_key_file = a\nsecret_key_file = s\n",
      CR_CONFIG_ERROR_MISSING, "[archive c] bucket is missing" },
    { "[archive c]\nendpoint = http://h\nbucket = court\nsecret_key_file = s\n",
      CR_CONFIG_ERROR_MISSING, "[archive c] access_key_file is missing" },
    { "[archive c]\nendpoint = http://h\nbucket = court\naccess_key_file = a\n",
      CR_CONFIG_ERROR_MISSING, "[archive c] secret_key_file is missing" },
    { "[archive c]\n" ARCHIVE_OK "secret_key = hunter2\n", CR_CONFIG_ERROR_UNKNOWN,
      "secret_key" },
    { "[archive c]\n" ARCHIVE_OK "endpoint = ftp://h\n", CR_CONFIG_ERROR_INVALID,
      "[archive c] endpoint is given twice" },
  };
  static const struct { const char *key, *value, *says; } values[] = {
    { "endpoint", "ftp://s3.example", "not an S3 endpoint" },
    { "endpoint", "file:///etc/passwd", "not an S3 endpoint" },
    { "endpoint", "http://user:pw@s3.example", "not an S3 endpoint" },
    { "endpoint", "http://s3.example/bucket", "not an S3 endpoint" },
    { "endpoint", "http://s3.example?x=1", "not an S3 endpoint" },
    { "endpoint", "http://", "not an S3 endpoint" },
    { "endpoint", "s3.example", "not an S3 endpoint" },
    { "bucket", "ab", "not a bucket name" },
    { "bucket", "Court", "not a bucket name" },
    { "bucket", "court_recordings", "not a bucket name" },
    { "bucket", "-court", "not a bucket name" },
    { "bucket", "court.", "not a bucket name" },
    { "bucket", "法院录像", "not a bucket name" },
    { "bucket", "a123456789012345678901234567890123456789012345678901234567890123",
      "not a bucket name" },
    { "prefix", "/courts", "not a key prefix" },
    { "prefix", "courts/", "not a key prefix" },
    { "prefix", "courts//sanmen", "not a key prefix" },
    { "prefix", "courts/../x", "not a key prefix" },
    { "prefix", "（2026）浙1022民初123号", "not a key prefix" },
    { "prefix", "a b", "not a key prefix" },
    { "prefix", "a%2Fb", "not a key prefix" },
    { "max_age_hours", "0", "" },
    { "max_age_hours", "8761", "" },
    { "max_age_hours", "-1", "" },
    { "max_age_hours", "24h", "" },
    { "bandwidth_kbps", "fast", "" },
    { "bandwidth_kbps", "100000001", "" },
    { "window", "22:00", "not an upload window" },
    { "window", "22:00-22:00", "not an upload window" },
    { "window", "24:00-06:00", "not an upload window" },
    { "window", "22:60-06:00", "not an upload window" },
    { "window", "9:00-17:00", "not an upload window" },
    { "window", "22:00-06:00-08:00", "not an upload window" },
    { "window", "nights", "not an upload window" },
    { "object_lock", "on", "expected auto" },
    { "object_lock", "yes", "expected auto" },
    { "region", "a\\nb", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strconcat (MINIMAL, bad[i].text, NULL);
      load_fails (fixture, text, bad[i].code, bad[i].says, NULL);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *text = g_strdup_printf (MINIMAL "[archive court]\n%s%s = %s\n",
          strcmp (values[i].key, "endpoint") == 0
            ? "bucket = court\naccess_key_file = a\nsecret_key_file = s\n"
            : strcmp (values[i].key, "bucket") == 0
                ? "endpoint = http://h\naccess_key_file = a\nsecret_key_file = s\n"
                : ARCHIVE_OK, values[i].key, values[i].value);
      g_autofree char *names = g_strdup_printf ("[archive court] %s", values[i].key);

      load_fails (fixture, text, CR_CONFIG_ERROR_INVALID, names, values[i].says, NULL);
    }
#undef ARCHIVE_OK
}

#define ADD(path, func) \
  g_test_add ("/courtrec/config/" path, ConfigFixture, NULL, \
              fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  /* So that messages with Chinese text print as such, not as '?'. */
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/config/example", test_example);
  g_test_add_func ("/courtrec/config/example-sets-every-key",
                   test_example_sets_every_key);
  g_test_add_func ("/courtrec/config/source-parse", test_source_parse);
  ADD ("defaults", test_defaults);
  ADD ("values", test_values);
  ADD ("listen-forms", test_listen_forms);
  ADD ("relative-paths", test_relative_paths);
  ADD ("relative-default-token", test_relative_default_token);
  ADD ("error/unknown-group", test_unknown_group);
  ADD ("error/unknown-key", test_unknown_key);
  ADD ("error/bad-number", test_bad_number);
  ADD ("error/out-of-range", test_out_of_range);
  ADD ("media-keys", test_media_keys);
  ADD ("streams", test_streams);
  ADD ("stream-key", test_stream_key);
  ADD ("error/camera-source", test_bad_camera_source);
  ADD ("error/microphone-source", test_bad_microphone_source);
  ADD ("error/missing-key", test_missing_key);
  ADD ("error/no-inputs", test_no_inputs);
  ADD ("courtroom-inputs", test_courtroom_inputs);
  ADD ("error/courtroom-inputs", test_bad_courtroom_inputs);
  ADD ("error/listen", test_bad_listen);
  ADD ("error/room-id", test_bad_room_id);
  ADD ("error/not-a-key-file", test_not_a_key_file);
  ADD ("token/created", test_token_created);
  ADD ("token/read", test_token_read);
  ADD ("token/errors", test_token_errors);
  ADD ("error/duplicates", test_duplicates);
  ADD ("not-duplicates", test_not_duplicates);
  ADD ("error/value-size", test_value_size);
  ADD ("error/text-length", test_text_length);
  ADD ("error/control-characters", test_control_characters);
  ADD ("file/not-regular", test_config_not_regular);
  ADD ("file/size", test_config_size);
  ADD ("file/check-config-fifo", test_check_config_fifo);
  ADD ("file/token", test_token_files);
  ADD ("file/stream-key", test_stream_key_files);
  ADD ("file/device-key", test_device_key_files);
  ADD ("listeners", test_listeners);
  ADD ("error/listeners", test_bad_listeners);
  ADD ("archives", test_archives);
  ADD ("error/archives", test_bad_archives);

  return g_test_run ();
}
