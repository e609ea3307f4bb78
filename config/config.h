/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.h: one courtroom's configuration, parsed and validated from a
 * GKeyFile .conf. Read-only once loaded: every other module takes the values
 * it needs from here and never reads a file of its own. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_CONFIG_ERROR (cr_config_error_quark ())
GQuark cr_config_error_quark (void);

typedef enum {
  CR_CONFIG_ERROR_IO,        /* the file could not be read */
  CR_CONFIG_ERROR_SYNTAX,    /* not a key file */
  CR_CONFIG_ERROR_UNKNOWN,   /* unknown group or key */
  CR_CONFIG_ERROR_MISSING,   /* a required key is missing */
  CR_CONFIG_ERROR_INVALID,   /* a value of the wrong form or out of range */
} CrConfigError;

typedef enum {
  CR_SOURCE_TEST,   /* "test": built-in moving picture / tone */
  CR_SOURCE_V4L2,   /* "v4l2:/dev/videoN" */
  CR_SOURCE_RTSP,   /* "rtsp://..." (location is the whole URL) */
  CR_SOURCE_ALSA,   /* "alsa:DEVICE" */
  CR_SOURCE_PULSE,  /* "pulse:DEVICE" */
  CR_SOURCE_FILE,   /* "file:PATH" */
  CR_SOURCE_SRT,    /* "srt://HOST:PORT?mode=listener|caller" (whole URL) */
  CR_SOURCE_RTMP,   /* "rtmp://..." or "rtmps://..." (whole URL) */
  CR_SOURCE_CAMERA, /* "camera:NAME": the sound of camera NAME's stream */
} CrSourceKind;

typedef struct {
  CrSourceKind kind;
  char *location;   /* device, URL, path or camera NAME; for CR_SOURCE_TEST
                       NULL (a moving picture, a tone), "silence" or "sync"
                       (a white flash and a beep on every whole second) */
} CrSource;

/* One [camera NAME] or [microphone NAME] group. */
typedef struct {
  char *name;       /* NAME from the group header */
  CrSource source;
  char *label;      /* shown on the picture, e.g. 审判长 */
  char *role;       /* cameras: judge, plaintiff, ..., evidence; may be NULL */
  char *camera;     /* microphones: the camera the voice layout shows when
                       this microphone is loudest; may be NULL */
  gboolean loop;    /* file: sources: start again at the end (default
                       false: play once, then the input has "ended") */
} CrInputConfig;

/* One [stream NAME] group: a live destination (streaming/). */
typedef struct {
  char *name;               /* NAME from the group header, e.g. portal */
  char *url;                /* rtmp://HOST[:PORT]/APP, rtmps://... or srt://HOST:PORT[?...] */
  char *key_file;           /* the stream key, kept out of the config: absolute once
                               loaded; NULL when the URL needs no key */
  char *tls_ca_file;        /* rtmps://: the CA certificates (PEM) that the server's
                               certificate must chain to, absolute once loaded;
                               NULL: the system's (ca-certificates) */
  guint delay_seconds;      /* 0 (default) to 300: the public sees the hearing this late */
  gboolean autostart;       /* streams as soon as an approved session runs (default
                               true); otherwise on `courtrec stream start NAME` */
  /* The stream's own picture, for a platform that wants less than the
   * recording: 0 means as [video]. A stream with either set gets an
   * encoder of its own (width follows the aspect); the others share the
   * recording's. */
  guint height;             /* even, at most [video] height */
  guint video_bitrate_kbps;
} CrStreamConfig;

/* One [alarm webhook NAME] group: a receiver that each alarm raised and
 * cleared is posted to (recorder/webhook.h). */
typedef struct {
  char *name;               /* NAME from the group header, e.g. monitoring */
  char *url;                /* http://... or https://... */
  char *secret_file;        /* the HMAC secret, kept out of the config: absolute once
                               loaded; required */
  guint timeout_seconds;    /* one attempt, connecting included; default 10 */
  guint retry_min_seconds;  /* the first retry's delay, doubled each time; default 1 */
  guint retry_max_seconds;  /* the longest delay between attempts; default 300 */
  guint max_queued;         /* notifications waiting, at most; default 1000 */
} CrWebhookConfig;

/* When an [archive NAME] may send: every minute from start_minute up to
 * (not including) end_minute, local time, across midnight when end is
 * earlier ("22:00-06:00"). always: no window given. */
typedef struct {
  gboolean always;
  guint start_minute, end_minute;   /* 0 to 1439 */
} CrArchiveWindow;

/* One [archive NAME] group: an S3 bucket that every closed segment and
 * every sealed session's manifest is copied to and verified in
 * (recorder/uploader.h). */
typedef struct {
  char *name;               /* NAME from the group header, e.g. court */
  char *endpoint;           /* http://HOST[:PORT] or https://...; path-style */
  char *bucket;             /* 3 to 63 of [a-z0-9.-] */
  char *prefix;             /* key prefix, ASCII key characters, no leading or
                               trailing '/'; "" (default): none */
  char *region;             /* default us-east-1 */
  char *access_key_file;    /* both required, each in a file of its own, read like */
  char *secret_key_file;    /* a stream key (config/archive-secret.h); absolute once loaded */
  guint max_age_hours;      /* the oldest waiting item older than this: alarm; 24 */
  guint bandwidth_kbps;     /* the upload's cap; 0 (default): none */
  CrArchiveWindow window;   /* default: always */
  gboolean object_lock;     /* object_lock = auto (default, TRUE) or off */
  guint lock_retain_years;  /* with a lock: COMPLIANCE from the session's start for
                               this many years, 1 to 100; 30 */
} CrArchiveConfig;

typedef struct {
  char *path;               /* the file this was loaded from */

  /* [room] */
  char *room_id;            /* [A-Za-z0-9_-]+, used in paths and unit names */
  char *room_name;
  char *court;

  /* [storage] */
  char *storage_dir;        /* absolute, or relative to the config file */
  guint segment_seconds;    /* default 600 */

  /* [video] */
  guint width, height;      /* default 1280x720 */
  guint framerate;          /* frames per second, default 25 */
  guint video_bitrate_kbps; /* default 2000 */
  guint keyframe_seconds;   /* the H.264 keyframe interval, 1 to 10, default 2 */

  char *layout;             /* single, pip, grid, voice, evidence; default grid */

  /* [audio] */
  guint audio_bitrate_kbps; /* default 128 */
  char *tracks;             /* "mix" or "mix+each" (default): a track per microphone too */
  char *track_codec;        /* per-microphone tracks: "opus" (default) or "flac" */
  int silence_dbfs;         /* a microphone below this is silent; default -60 */
  guint silence_alarm_seconds; /* silent this long while recording: alarm; default 120 */

  /* [camera NAME], [microphone NAME], in file order; CrInputConfig* */
  GPtrArray *cameras;
  GPtrArray *microphones;

  /* [api] */
  char *api_host;           /* listen = host:port; default 127.0.0.1:8780 */
  guint16 api_port;
  char *token_file;         /* absolute, or relative to the config file */
  guint api_max_connections; /* [api] max_connections, default 64 */
  /* [api] users: the machine's accounts (accounts/users.h), shared by its
   * rooms; default /var/lib/courtrec/users.db. Absolute once loaded. */
  char *users_path;
#define CR_CONFIG_DEFAULT_USERS_PATH "/var/lib/courtrec/users.db"
  guint login_idle_minutes;  /* [api]: a console login ends idle this long; default 30 */
  guint login_max_hours;     /* [api]: and at this age; default 12 */

  /* [public]: the listener of the public live pages (/live/), apart from
   * the API so that the API stays on loopback while the court's reverse
   * proxy exposes this one. public_host is NULL when [public] listen is
   * not given: then no public page is served. */
  char *public_host;
  guint16 public_port;
  guint public_max_connections;            /* default 512 */
  guint public_max_connections_per_client; /* default 16 */
  guint public_requests_per_second;        /* per client, default 20 */

  /* [console]: the operator console (/console/ on the [api] listener). */
  char *console_bookmarks;  /* the court's usual markers, ';'-separated */
  guint console_max_streams; /* event streams open at once, default 16 */

  /* [storage] key_file: the device's Ed25519 signing key (archive/
   * device-key.h), mode 0600; its public key is beside it in KEY_FILE.pub.
   * Default: device-key in the config file's directory, e.g.
   * /etc/courtrec/device-key, one key for every room of the machine and not
   * on the recordings disk. Absolute once loaded. */
  char *key_file;
  /* [stream NAME], in file order; CrStreamConfig* */
  GPtrArray *streams;
  /* [alarm webhook NAME], in file order; CrWebhookConfig* */
  GPtrArray *webhooks;
  /* [archive NAME], in file order; CrArchiveConfig* */
  GPtrArray *archives;
  /* [access]: litigants' access to their recordings (access/). */
  char *access_public_url;  /* the address printed on the slip, e.g.
                               https://court.example/access/; NULL: made
                               from [public] listen */
  guint access_code_days;   /* a grant's default life in days, 1 to 90, default 3 */
  /* [live]: the built-in HLS at /live/ROOM/index.m3u8 and its public page */
  gboolean hls;             /* default true */
  guint hls_delay_seconds;  /* [live] delay_seconds, 0 to 300, default 0 */
  /* [schedule]: the court's hearing calendar (schedule/). Each source is
   * an http:// or https:// URL, or a file (absolute once loaded); NULL
   * when not given. Without either the room has no schedule. */
  char *schedule_calendar;  /* iCal (RFC 5545), one VEVENT per hearing */
  char *schedule_feed;      /* the 开庭公告 as JSON or CSV */
  char *schedule_timezone;  /* the court's zone for times without one, e.g.
                               Asia/Shanghai; NULL: the machine's */
  char *schedule_location;  /* the LOCATION / room that is this room;
                               NULL: the room's id (its name matches too) */
  guint schedule_poll_seconds;  /* default 300, 10 to 86400 */
  guint schedule_grace_seconds; /* a slot's start passed by this long with
                                   no recording: alarm; default 120 */
  gboolean schedule_autostart;  /* start the scheduled case at its slot */
  guint schedule_public_days;   /* /live/ lists this many days ahead, default 7 */
} CrConfig;

/* Loads and validates @path. Errors name the file, group, key, the value
 * given and what was expected. (transfer full) */
CrConfig *cr_config_load (const char *path, GError **error);
void cr_config_free (CrConfig *config);

/* Every key the loader knows, as "GROUP KEY" ("camera source" stands for
 * the key of every [camera NAME]): what the documentation must cover.
 * (transfer full) (element-type utf8) */
GPtrArray *cr_config_list_keys (void);

/* Parses a source string such as "v4l2:/dev/video0" into @source.
 * Returns FALSE with a message saying what is accepted. */
gboolean cr_source_parse (const char *text, CrSource *source, GError **error);
const char *cr_source_kind_to_string (CrSourceKind kind);
/* Frees @source's location and leaves it a CR_SOURCE_TEST; NULL is fine. */
void cr_source_clear (CrSource *source);

/* Reads the API bearer token from config->token_file (surrounding white
 * space stripped). With @create, a missing file is made with a fresh random
 * token (from getrandom(2), 32 bytes as hex) and mode 0600; its directory is
 * created as needed. An empty or unreadable file is an error naming the
 * file. The token is a secret: it is never logged. (transfer full) */
char *cr_config_load_token (const CrConfig *config, gboolean create,
                            GError **error);

/* Reads @stream's key from its key_file (white space stripped); "" when the
 * stream has no key_file. An unreadable or empty file is an error naming
 * the file and the stream. The key is a secret: never logged. */
char *cr_config_load_stream_key (const CrStreamConfig *stream, GError **error);

/* Reads @webhook's secret from its secret_file (surrounding white space
 * stripped). An unreadable or empty file, or one that every user of the
 * machine may read (expected mode 0600 or 0640), is an error naming the
 * group, the key and the file. The secret is never logged. (transfer full) */
char *cr_config_load_webhook_secret (const CrWebhookConfig *webhook, GError **error);

/* Whether @window lets the uploader send at @local_minute (0 to 1439). */
gboolean cr_archive_window_open (const CrArchiveWindow *window, guint local_minute);

/* TRUE when @stream needs an encoder of its own; its picture size in
 * @width and @height and bitrate in @bitrate_kbps (all may be NULL). */
gboolean cr_stream_own_profile (const CrConfig *config, const CrStreamConfig *stream,
                                guint *width, guint *height, guint *bitrate_kbps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrConfig, cr_config_free)

G_END_DECLS
