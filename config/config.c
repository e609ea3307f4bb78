/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.c: see config.h.
 *
 * Every key the file may hold is one row of the table below (systemd
 * timesyncd-gperf style): the group, the key, the function that parses its
 * text into a field, whether it is required and its default. The loader walks
 * the file against the table, so a new key is one row, and every error names
 * the file, the group, the key, the value and what was expected. */
#include "config/config-private.h"

#include "config/small-file.h"
#include "config/text.h"

#include <gio/gio.h>
#include <string.h>

G_DEFINE_QUARK (cr-config-error-quark, cr_config_error)

typedef struct {
  const char *name;
  gboolean named;            /* [NAME ITEM], any number of them */
} GroupSpec;

static const GroupSpec groups[] = {
  { "room", FALSE },
  { "storage", FALSE },
  { "video", FALSE },
  { "audio", FALSE },
  { "api", FALSE },
  { "public", FALSE },
  { "live", FALSE },
  { "console", FALSE },
  { "access", FALSE },
  { "schedule", FALSE },
  { "camera", TRUE },
  { "microphone", TRUE },
  { "stream", TRUE },
  { "alarm", TRUE },            /* [alarm webhook NAME] */
  { "archive", TRUE },
};

static const KeySpec keys[] = {
  { "room", "id", cr_config_parse_room_id, CONFIG_FIELD (room_id), TRUE, NULL, 0, 0,
    "the room id, e.g. room-101" },
  { "room", "name", cr_config_parse_text, CONFIG_FIELD (room_name), TRUE, NULL, 0, TITLE_MAX,
    "the courtroom's name, e.g. 第一法庭" },
  { "room", "court", cr_config_parse_text, CONFIG_FIELD (court), TRUE, NULL, 0, TITLE_MAX,
    "the court's name, e.g. 浙江省三门县人民法院" },

  { "storage", "dir", cr_config_parse_text, CONFIG_FIELD (storage_dir), TRUE, NULL, 0, 0,
    "the directory for recordings, e.g. /var/lib/courtrec/room-101" },
  { "storage", "segment_seconds", cr_config_parse_uint, CONFIG_FIELD (segment_seconds),
    FALSE, "600", 10, 3600, NULL },
  /* Default: device-key beside the config file, filled in after loading
   * because it depends on where the file is. */
  { "storage", "key_file", cr_config_parse_text, CONFIG_FIELD (key_file), FALSE, NULL,
    0, 0, "the device's signing key file, e.g. /etc/courtrec/device-key" },

  { "video", "width", cr_config_parse_even_uint, CONFIG_FIELD (width), FALSE, "1280",
    160, 3840, NULL },
  { "video", "height", cr_config_parse_even_uint, CONFIG_FIELD (height), FALSE, "720",
    120, 2160, NULL },
  { "video", "framerate", cr_config_parse_uint, CONFIG_FIELD (framerate), FALSE, "25",
    1, 60, NULL },
  { "video", "bitrate_kbps", cr_config_parse_uint, CONFIG_FIELD (video_bitrate_kbps),
    FALSE, "2000", 100, 50000, NULL },
  { "video", "keyframe_seconds", cr_config_parse_uint, CONFIG_FIELD (keyframe_seconds),
    FALSE, "2", 1, 10, NULL },

  { "video", "layout", cr_config_parse_layout, CONFIG_FIELD (layout), FALSE, "grid", 0, 0,
    "single, pip, grid, voice or evidence" },

  { "audio", "bitrate_kbps", cr_config_parse_uint, CONFIG_FIELD (audio_bitrate_kbps),
    FALSE, "128", 32, 512, NULL },
  { "audio", "tracks", cr_config_parse_tracks, CONFIG_FIELD (tracks), FALSE, "mix+each", 0, 0,
    "mix or mix+each" },
  { "audio", "track_codec", cr_config_parse_track_codec, CONFIG_FIELD (track_codec), FALSE,
    "opus", 0, 0, "opus or flac" },
  { "audio", "silence_dbfs", cr_config_parse_dbfs, CONFIG_FIELD (silence_dbfs), FALSE, "-60",
    0, 0, NULL },
  { "audio", "silence_alarm_seconds", cr_config_parse_uint, CONFIG_FIELD (silence_alarm_seconds),
    FALSE, "120", 1, 86400, NULL },

  /* listen fills api_host and api_port together. */
  { "api", "listen", cr_config_parse_listen, CONFIG_FIELD (api_host), FALSE,
    "127.0.0.1:8780", 0, 0, NULL },
  /* Default: api-token in the storage directory, filled in after loading
   * because it depends on another key. */
  { "api", "token_file", cr_config_parse_text, CONFIG_FIELD (token_file), FALSE, NULL,
    0, 0, "the API token file, e.g. /var/lib/courtrec/room-101/api-token" },
  { "api", "max_connections", cr_config_parse_uint, CONFIG_FIELD (api_max_connections), FALSE, "64",
    1, 4096, NULL },
  /* Default: CR_CONFIG_DEFAULT_USERS_PATH, filled in after loading. */
  { "api", "users", cr_config_parse_text, CONFIG_FIELD (users_path), FALSE, NULL, 0, 0,
    "the accounts' file, e.g. /var/lib/courtrec/users.db" },
  { "api", "login_idle_minutes", cr_config_parse_uint, CONFIG_FIELD (login_idle_minutes), FALSE,
    "30", 1, 1440, NULL },
  { "api", "login_max_hours", cr_config_parse_uint, CONFIG_FIELD (login_max_hours), FALSE, "12",
    1, 168, NULL },

  /* No default: without [public] listen the public pages are not served. */
  { "public", "listen", cr_config_parse_listen, CONFIG_FIELD (public_host), FALSE, NULL, 0, 0,
    NULL },
  { "public", "max_connections", cr_config_parse_uint, CONFIG_FIELD (public_max_connections), FALSE,
    "512", 1, 65536, NULL },
  { "public", "max_connections_per_client", cr_config_parse_uint,
    CONFIG_FIELD (public_max_connections_per_client), FALSE, "16", 1, 65536, NULL },
  { "public", "requests_per_second_per_client", cr_config_parse_uint,
    CONFIG_FIELD (public_requests_per_second), FALSE, "20", 1, 100000, NULL },

  { "console", "bookmarks", cr_config_parse_text, CONFIG_FIELD (console_bookmarks), FALSE,
    "宣布开庭;法庭调查;法庭辩论;最后陈述;宣判", 0, 0, "the usual markers, separated by ';', e.g. 宣布开庭;法庭调查;宣判" },
  { "console", "max_streams", cr_config_parse_uint, CONFIG_FIELD (console_max_streams), FALSE, "16",
    1, 256, NULL },

  /* No default: the slip then names the [public] listen address. */
  { "access", "public_url", cr_config_parse_public_url, CONFIG_FIELD (access_public_url), FALSE,
    NULL, 0, 0, NULL },
  { "access", "code_days", cr_config_parse_uint, CONFIG_FIELD (access_code_days), FALSE, "3", 1, 90,
    NULL },

  { "schedule", "calendar", cr_config_parse_schedule_source, CONFIG_FIELD (schedule_calendar),
    FALSE, NULL, 0, 0, "an http:// or https:// URL or a file, e.g. /etc/courtrec/hearings.ics" },
  { "schedule", "feed", cr_config_parse_schedule_source, CONFIG_FIELD (schedule_feed), FALSE,
    NULL, 0, 0, "an http:// or https:// URL or a file of JSON or CSV" },
  { "schedule", "timezone", cr_config_parse_timezone, CONFIG_FIELD (schedule_timezone), FALSE,
    NULL, 0, 0, "a time zone, e.g. Asia/Shanghai" },
  { "schedule", "location", cr_config_parse_text, CONFIG_FIELD (schedule_location), FALSE, NULL,
    0, TITLE_MAX, "the calendar's LOCATION of this room, e.g. room-101" },
  { "schedule", "poll_seconds", cr_config_parse_uint, CONFIG_FIELD (schedule_poll_seconds), FALSE,
    "300", 10, 86400, NULL },
  { "schedule", "grace_seconds", cr_config_parse_uint, CONFIG_FIELD (schedule_grace_seconds), FALSE,
    "120", 0, 3600, NULL },
  { "schedule", "autostart", cr_config_parse_bool, CONFIG_FIELD (schedule_autostart), FALSE,
    "false", 0, 0, NULL },
  { "schedule", "public_days", cr_config_parse_uint, CONFIG_FIELD (schedule_public_days), FALSE,
    "7", 1, 60, NULL },

  { "camera", "source", cr_config_parse_camera_source, INPUT_FIELD (source), TRUE, NULL,
    0, 0, "the camera's source: test, v4l2:/dev/videoN, rtsp://URL or file:PATH" },
  /* Default: the NAME of the group, filled in after loading. */
  { "camera", "label", cr_config_parse_text, INPUT_FIELD (label), FALSE, NULL, 0, LABEL_MAX,
    "the label shown on the picture, e.g. 审判长" },
  { "camera", "role", cr_config_parse_role, INPUT_FIELD (role), FALSE, NULL, 0, 0,
    "judge, plaintiff, defendant, witness, evidence or other" },
  /* Checked against the source after loading: file: sources only. */
  { "camera", "loop", cr_config_parse_bool, INPUT_FIELD (loop), FALSE, "false", 0, 0, NULL },

  { "microphone", "source", cr_config_parse_microphone_source, INPUT_FIELD (source),
    TRUE, NULL, 0, 0,
    "the microphone's source: test, alsa:DEVICE, pulse:DEVICE, rtsp://URL or file:PATH" },
  { "microphone", "label", cr_config_parse_text, INPUT_FIELD (label), FALSE, NULL, 0, LABEL_MAX,
    "the label of its track, e.g. 审判长" },
  /* Checked against the [camera NAME] groups after loading. */
  { "microphone", "camera", cr_config_parse_text, INPUT_FIELD (camera), FALSE, NULL, 0, 0,
    "the NAME of a [camera NAME] group" },
  { "microphone", "loop", cr_config_parse_bool, INPUT_FIELD (loop), FALSE, "false", 0, 0, NULL },

  { "live", "hls", cr_config_parse_bool, CONFIG_FIELD (hls), FALSE, "true", 0, 0, NULL },
  { "live", "delay_seconds", cr_config_parse_uint, CONFIG_FIELD (hls_delay_seconds), FALSE, "0",
    0, 300, NULL },

  { "stream", "url", cr_config_parse_stream_url, STREAM_FIELD (url), TRUE, NULL, 0, 0,
    "rtmp://HOST/APP, rtmps://HOST/APP or srt://HOST:PORT" },
  /* Resolved against the config file's directory after loading. */
  { "stream", "key_file", cr_config_parse_text, STREAM_FIELD (key_file), FALSE, NULL, 0, 0,
    "the stream key's file, e.g. /etc/courtrec/portal.key" },
  /* Resolved against the config file's directory after loading. */
  { "stream", "tls_ca_file", cr_config_parse_text, STREAM_FIELD (tls_ca_file), FALSE, NULL, 0, 0,
    "a PEM file of CA certificates, e.g. /etc/courtrec/portal-ca.pem" },
  { "stream", "delay_seconds", cr_config_parse_uint, STREAM_FIELD (delay_seconds), FALSE, "0",
    0, 300, NULL },
  { "stream", "autostart", cr_config_parse_bool, STREAM_FIELD (autostart), FALSE, "true", 0, 0,
    NULL },
  { "stream", "height", cr_config_parse_even_uint, STREAM_FIELD (height), FALSE, NULL, 120, 2160,
    NULL },
  { "stream", "video_bitrate_kbps", cr_config_parse_uint, STREAM_FIELD (video_bitrate_kbps), FALSE,
    NULL, 100, 50000, NULL },

  { "alarm webhook", "url", cr_config_parse_webhook_url, WEBHOOK_FIELD (url), TRUE, NULL, 0, 0,
    "http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH" },
  /* Resolved against the config file's directory after loading. */
  { "alarm webhook", "secret_file", cr_config_parse_text, WEBHOOK_FIELD (secret_file), TRUE, NULL,
    0, 0,
    "the file of the secret that signs each notification, e.g. /etc/courtrec/monitoring.secret" },
  { "alarm webhook", "timeout_seconds", cr_config_parse_uint, WEBHOOK_FIELD (timeout_seconds),
    FALSE, "10", 1, 300, NULL },
  { "alarm webhook", "retry_min_seconds", cr_config_parse_uint, WEBHOOK_FIELD (retry_min_seconds),
    FALSE, "1", 1, 3600, NULL },
  { "alarm webhook", "retry_max_seconds", cr_config_parse_uint, WEBHOOK_FIELD (retry_max_seconds),
    FALSE, "300", 1, 86400, NULL },
  { "alarm webhook", "max_queued", cr_config_parse_uint, WEBHOOK_FIELD (max_queued), FALSE, "1000",
    2, 100000, NULL },

  { "archive", "endpoint", cr_config_parse_archive_endpoint, ARCHIVE_FIELD (endpoint), TRUE, NULL,
    0, 0, "http://HOST[:PORT] or https://HOST[:PORT], e.g. https://s3.court.example" },
  { "archive", "bucket", cr_config_parse_bucket, ARCHIVE_FIELD (bucket), TRUE, NULL, 0, 0,
    "a bucket name, 3 to 63 of a-z 0-9 . -, e.g. court-recordings" },
  /* cr_config_parse_key_prefix takes the empty value: no prefix. */
  { "archive", "prefix", cr_config_parse_key_prefix, ARCHIVE_FIELD (prefix), FALSE, "", 0, 0,
    NULL },
  { "archive", "region", cr_config_parse_text, ARCHIVE_FIELD (region), FALSE, "us-east-1", 0, 64,
    "an S3 region, e.g. us-east-1" },
  /* Resolved against the config file's directory after loading. */
  { "archive", "access_key_file", cr_config_parse_text, ARCHIVE_FIELD (access_key_file), TRUE, NULL,
    0, 0, "the file of the access key, e.g. /etc/courtrec/archive.access" },
  { "archive", "secret_key_file", cr_config_parse_text, ARCHIVE_FIELD (secret_key_file), TRUE, NULL,
    0, 0, "the file of the secret key, e.g. /etc/courtrec/archive.secret" },
  { "archive", "max_age_hours", cr_config_parse_uint, ARCHIVE_FIELD (max_age_hours), FALSE, "24",
    1, 8760, NULL },
  { "archive", "bandwidth_kbps", cr_config_parse_uint, ARCHIVE_FIELD (bandwidth_kbps), FALSE, "0",
    0, 100000000, NULL },
  { "archive", "window", cr_config_parse_window, ARCHIVE_FIELD (window), FALSE, "", 0, 0, NULL },
  { "archive", "object_lock", cr_config_parse_object_lock, ARCHIVE_FIELD (object_lock), FALSE,
    "auto", 0, 0, NULL },
  /* Years, not days: a court's retention schedules are in years, and a
   * hearing's objects must all end on its start's date, whatever day each
   * one was sent. */
  { "archive", "lock_retain_years", cr_config_parse_uint, ARCHIVE_FIELD (lock_retain_years),
    FALSE, "30", 1, 100, NULL },
};

/* What loading one file needs at hand. */
typedef struct {
  const char *path;          /* as the caller gave it, for messages */
  GKeyFile *key_file;
} Loader;

/* ---- the loader ---- */

static void
stream_config_free (CrStreamConfig *stream)
{
  if (stream == NULL)
    return;
  g_free (stream->name);
  g_free (stream->url);
  g_free (stream->key_file);
  g_free (stream->tls_ca_file);
  g_free (stream);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrStreamConfig, stream_config_free)

static void
webhook_config_free (CrWebhookConfig *webhook)
{
  if (webhook == NULL)
    return;
  g_free (webhook->name);
  g_free (webhook->url);
  g_free (webhook->secret_file);
  g_free (webhook);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrWebhookConfig, webhook_config_free)

static void
archive_config_free (CrArchiveConfig *archive)
{
  if (archive == NULL)
    return;
  g_free (archive->name);
  g_free (archive->endpoint);
  g_free (archive->bucket);
  g_free (archive->prefix);
  g_free (archive->region);
  g_free (archive->access_key_file);
  g_free (archive->secret_key_file);
  g_free (archive);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrArchiveConfig, archive_config_free)

static void
input_config_free (CrInputConfig *input)
{
  if (input == NULL)
    return;
  g_free (input->name);
  cr_source_clear (&input->source);
  g_free (input->label);
  g_free (input->role);
  g_free (input->camera);
  g_free (input);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrInputConfig, input_config_free)

GPtrArray *
cr_config_list_keys (void)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_ptr_array_add (names, g_strdup_printf ("%s %s", keys[i].group, keys[i].key));
  return names;
}

void
cr_config_free (CrConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->path);
  g_free (config->room_id);
  g_free (config->room_name);
  g_free (config->court);
  g_free (config->storage_dir);
  g_clear_pointer (&config->cameras, g_ptr_array_unref);
  g_clear_pointer (&config->microphones, g_ptr_array_unref);
  g_clear_pointer (&config->streams, g_ptr_array_unref);
  g_clear_pointer (&config->webhooks, g_ptr_array_unref);
  g_clear_pointer (&config->archives, g_ptr_array_unref);
  g_free (config->api_host);
  g_free (config->public_host);
  g_free (config->token_file);
  g_free (config->users_path);
  g_free (config->console_bookmarks);
  g_free (config->access_public_url);
  g_free (config->schedule_calendar);
  g_free (config->schedule_feed);
  g_free (config->schedule_timezone);
  g_free (config->schedule_location);
  g_free (config->key_file);
  g_free (config->layout);
  g_free (config->tracks);
  g_free (config->track_codec);
  g_free (config);
}

/* Optimal string alignment distance (Levenshtein plus swapping two
 * neighbours, the commonest typo), ASCII case folded: only used to suggest
 * a key name, which is ASCII. */
static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *d = g_new0 (guint, (la + 1) * (lb + 1));
#define D(i, j) d[(i) * (lb + 1) + (j)]

  for (gsize i = 0; i <= la; i++)
    D (i, 0) = i;
  for (gsize j = 0; j <= lb; j++)
    D (0, j) = j;
  for (gsize i = 1; i <= la; i++)
    for (gsize j = 1; j <= lb; j++)
      {
        guint cost = g_ascii_tolower (a[i - 1]) != g_ascii_tolower (b[j - 1]);
        guint best = MIN (D (i - 1, j) + 1, D (i, j - 1) + 1);

        best = MIN (best, D (i - 1, j - 1) + cost);
        if (i > 1 && j > 1 &&
            g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 2]) &&
            g_ascii_tolower (a[i - 2]) == g_ascii_tolower (b[j - 1]))
          best = MIN (best, D (i - 2, j - 2) + 1);
        D (i, j) = best;
      }
  return D (la, lb);
#undef D
}

/* A value as the user wrote it, safe to put into a message. */
static char *
quote_value (GKeyFile *key_file, const char *group, const char *key)
{
  g_autofree char *raw = g_key_file_get_value (key_file, group, key, NULL);

  return cr_text_escape (raw != NULL ? raw : "", -1, CR_TEXT_SHOWN_MAX);
}

static const GroupSpec *
find_group (const char *kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
    if (strcmp (groups[i].name, kind) == 0)
      return &groups[i];
  return NULL;
}

static const KeySpec *
find_key (const char *kind, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (strcmp (keys[i].group, kind) == 0 && strcmp (keys[i].key, key) == 0)
      return &keys[i];
  return NULL;
}

static gboolean
unknown_key_error (const Loader *loader, const char *header, const char *kind,
                   const char *key, GError **error)
{
  g_autofree char *value = quote_value (loader->key_file, header, key);
  g_autofree char *shown_key = cr_text_escape (key, -1, CR_TEXT_SHOWN_MAX);
  g_autoptr (GString) known = g_string_new (NULL);
  const char *closest = NULL;
  guint closest_distance = G_MAXUINT;

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      guint distance;

      if (strcmp (keys[i].group, kind) != 0)
        continue;
      g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "",
                              keys[i].key);
      distance = edit_distance (key, keys[i].key);
      if (distance < closest_distance)
        {
          closest = keys[i].key;
          closest_distance = distance;
        }
    }

  if (closest != NULL && closest_distance <= 2)
    g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_UNKNOWN,
                 "%s: [%s] unknown key \"%s\" (= \"%s\"): did you mean \"%s\"?",
                 loader->path, header, shown_key, value, closest);
  else
    g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_UNKNOWN,
                 "%s: [%s] unknown key \"%s\" (= \"%s\"): expected one of %s",
                 loader->path, header, shown_key, value, known->str);
  return FALSE;
}

static gboolean
unknown_group_error (const Loader *loader, const char *header,
                     const char *kind, const char *item, GError **error)
{
  g_autofree char *shown = cr_text_escape (header, -1, CR_TEXT_SHOWN_MAX);
  g_autofree char *suggestion = NULL;
  guint closest_distance = G_MAXUINT;
  const GroupSpec *group = find_group (kind);

  if (group != NULL && !group->named)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_UNKNOWN,
                   "%s: unknown group [%s]: [%s] takes no name",
                   loader->path, shown, kind);
      return FALSE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      guint distance = edit_distance (kind, groups[i].name);

      if (distance >= closest_distance)
        continue;
      closest_distance = distance;
      g_free (suggestion);
      if (!groups[i].named)
        suggestion = g_strdup_printf ("[%s]", groups[i].name);
      else if (item != NULL)
        suggestion = g_strdup_printf ("[%s %s]", groups[i].name, cr_text_shown (item));
      else
        suggestion = g_strdup_printf ("[%s NAME]", groups[i].name);
    }

  if (closest_distance <= 2)
    g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_UNKNOWN,
                 "%s: unknown group [%s]: did you mean %s?",
                 loader->path, shown, suggestion);
  else
    g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_UNKNOWN,
                 "%s: unknown group [%s]: expected [room], [storage], "
                 "[video], [audio], [api], [public], [live], [camera NAME], "
                 "[microphone NAME], [stream NAME], [alarm webhook NAME] or [archive NAME]", loader->path, shown);
  return FALSE;
}

/* Fills @base from group @header (which may be absent) by the rows of
 * @kind: every key in the file must have a row, every required row a key,
 * and rows with a default get it when the key is absent. */

/* The key file's escapes: a backslash before s, n, t, r or another one. */
static gboolean
escapes_valid (const char *raw)
{
  for (const char *p = raw; *p != '\0'; p++)
    if (*p == '\\')
      {
        p++;
        if (*p == '\0' || strchr ("sntr\\", *p) == NULL)
          return FALSE;
      }
  return TRUE;
}

static gboolean
load_group (const Loader *loader, const char *header, const char *kind,
            gpointer base, GError **error)
{
  g_auto (GStrv) present = NULL;

  if (g_key_file_has_group (loader->key_file, header))
    present = g_key_file_get_keys (loader->key_file, header, NULL, NULL);

  for (gsize i = 0; present != NULL && present[i] != NULL; i++)
    if (find_key (kind, present[i]) == NULL)
      return unknown_key_error (loader, header, kind, present[i], error);

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const KeySpec *spec = &keys[i];
      g_autoptr (GError) local_error = NULL;
      g_autofree char *value = NULL;
      char *raw = NULL;

      if (strcmp (spec->group, kind) != 0)
        continue;

      if (present == NULL || !g_strv_contains ((const char *const *) present,
                                               spec->key))
        {
          if (spec->required)
            {
              g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_MISSING,
                           "%s: [%s] %s is missing: expected %s",
                           loader->path, header, spec->key, spec->expected);
              return FALSE;
            }
          /* A default that does not parse is a bug in the table above. */
          if (spec->default_value != NULL &&
              !spec->parse (spec, spec->default_value, base, &local_error))
            g_critical ("default %s = %s: %s", spec->key, spec->default_value,
                        local_error->message);
          continue;
        }

      /* get_string undoes the key file's escapes (\s, \n, ...) and checks
       * that the text is UTF-8. */
      /* GLib 2.74 sets its GError twice (a warning) for a value with more
       * than one bad escape: judge the escapes first, then let it undo them. */
      raw = g_key_file_get_value (loader->key_file, header, spec->key, NULL);
      if (raw != NULL && !escapes_valid (raw))
        g_set_error_literal (&local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                             "an invalid escape sequence, or a backslash at the end of "
                             "the line (the escapes are \\s \\n \\t \\r \\\\)");
      else
        value = g_key_file_get_string (loader->key_file, header, spec->key,
                                       &local_error);
      g_clear_pointer (&raw, g_free);
      /* GKeyFile may answer "" and an error at once (a value ending in a
       * lone backslash): the error wins. */
      if (local_error != NULL)
        g_clear_pointer (&value, g_free);
      if (value != NULL && strlen (value) > VALUE_MAX_BYTES)
        {
          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s: [%s] %s: the value is too long: %" G_GSIZE_FORMAT
                       " bytes, at most %u", loader->path, header, spec->key, strlen (value),
                       VALUE_MAX_BYTES);
          return FALSE;
        }
      /* Every value, not only the texts that are shown: a URL, a path or
       * a device name ends up in a log line and a GStreamer property, and
       * the key file's escapes make "\n" or "\033" of two harmless bytes. */
      if (value != NULL &&
          !cr_text_validate (value, "the value", VALUE_MAX_BYTES, FALSE, &local_error))
        {
          g_autofree char *given = quote_value (loader->key_file, header, spec->key);

          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s: [%s] %s = \"%s\": %s", loader->path, header, spec->key, given,
                       local_error->message);
          return FALSE;
        }
      if (value == NULL || !spec->parse (spec, value, base, &local_error))
        {
          g_autofree char *given = quote_value (loader->key_file, header,
                                                spec->key);
          /* Key files have no comments after a value: "600  # ten minutes"
           * is all value, which surprises people. */
          const char *hint = strstr (given, " #") != NULL || strstr (given, "\t#") != NULL
                               ? " (comments must be on a line of their own)"
                               : "";

          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s: [%s] %s = \"%s\": %s%s", loader->path, header,
                       spec->key, given, cr_text_shown (local_error->message), hint);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_item_name (const Loader *loader, const char *header, const char *kind,
                 const char *name, GError **error)
{
  if (!cr_config_is_name (name, G_MAXSIZE))
    {
      g_autofree char *shown = cr_text_escape (header, -1, CR_TEXT_SHOWN_MAX);

      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: [%s]: the name \"%s\" is not valid: expected letters "
                   "(A-Z, a-z), digits, '-' or '_' after \"%s \", e.g. "
                   "[%s judge]", loader->path, shown, cr_text_shown (name), kind, kind);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_stream (const Loader *loader, const char *header, const char *name,
             GPtrArray *streams, GError **error)
{
  g_autoptr (CrStreamConfig) stream = g_new0 (CrStreamConfig, 1);

  if (!check_item_name (loader, header, "stream", name, error))
    return FALSE;
  for (guint i = 0; i < streams->len; i++)
    if (g_str_equal (((CrStreamConfig *) g_ptr_array_index (streams, i))->name, name))
      {
        g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                     "%s: [stream %s] appears twice: expected one group per destination",
                     loader->path, name);
        return FALSE;
      }
  stream->name = g_strdup (name);
  if (!load_group (loader, header, "stream", stream, error))
    return FALSE;
  g_ptr_array_add (streams, g_steal_pointer (&stream));
  return TRUE;
}

/* [alarm webhook NAME]: @item is "webhook NAME". */
static gboolean
load_webhook (const Loader *loader, const char *header, const char *item,
              GPtrArray *webhooks, GError **error)
{
  g_autoptr (CrWebhookConfig) webhook = g_new0 (CrWebhookConfig, 1);
  const char *name = item != NULL && g_str_has_prefix (item, "webhook ") ? item + 8 : NULL;

  if (name == NULL)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: [%s]: expected [alarm webhook NAME], e.g. [alarm webhook monitoring]",
                   loader->path, cr_text_shown (header));
      return FALSE;
    }
  if (!check_item_name (loader, header, "alarm webhook", name, error))
    return FALSE;
  for (guint i = 0; i < webhooks->len; i++)
    if (g_str_equal (((CrWebhookConfig *) g_ptr_array_index (webhooks, i))->name, name))
      {
        g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                     "%s: [alarm webhook %s] appears twice: expected one group per receiver",
                     loader->path, name);
        return FALSE;
      }
  webhook->name = g_strdup (name);
  if (!load_group (loader, header, "alarm webhook", webhook, error))
    return FALSE;
  if (webhook->retry_min_seconds > webhook->retry_max_seconds)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: [alarm webhook %s] retry_min_seconds = %u: more than "
                   "retry_max_seconds (%u): expected at most that", loader->path, name,
                   webhook->retry_min_seconds, webhook->retry_max_seconds);
      return FALSE;
    }
  g_ptr_array_add (webhooks, g_steal_pointer (&webhook));
  return TRUE;
}

/* [archive NAME]. */
static gboolean
load_archive (const Loader *loader, const char *header, const char *name,
              GPtrArray *archives, GError **error)
{
  g_autoptr (CrArchiveConfig) archive = g_new0 (CrArchiveConfig, 1);

  if (!check_item_name (loader, header, "archive", name, error))
    return FALSE;
  for (guint i = 0; i < archives->len; i++)
    if (g_str_equal (((CrArchiveConfig *) g_ptr_array_index (archives, i))->name, name))
      {
        g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                     "%s: [archive %s] appears twice: expected one group per archive",
                     loader->path, name);
        return FALSE;
      }
  archive->name = g_strdup (name);
  if (!load_group (loader, header, "archive", archive, error))
    return FALSE;
  g_ptr_array_add (archives, g_steal_pointer (&archive));
  return TRUE;
}

static gboolean
load_input (const Loader *loader, const char *header, const char *kind,
            const char *name, GPtrArray *inputs, GError **error)
{
  g_autoptr (CrInputConfig) input = g_new0 (CrInputConfig, 1);

  if (!check_item_name (loader, header, kind, name, error))
    return FALSE;
  input->name = g_strdup (name);
  if (!load_group (loader, header, kind, input, error))
    return FALSE;
  /* Only a file has an end to start again from; a loop asked of a device
   * or a stream is a misunderstanding worth saying. */
  if (input->loop && input->source.kind != CR_SOURCE_FILE)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: [%s] loop = true: only a file: source can loop (source is %s)",
                   loader->path, header, cr_source_kind_to_string (input->source.kind));
      return FALSE;
    }
  if (input->label == NULL)
    input->label = g_strdup (name);
  g_ptr_array_add (inputs, g_steal_pointer (&input));
  return TRUE;
}

/* Relative paths in a config mean "next to this file", not "wherever the
 * daemon was started from". */
static void
resolve_path (char **path, const char *base_dir)
{
  char *resolved = g_canonicalize_filename (*path, base_dir);

  g_free (*path);
  *path = resolved;
}

static void
resolve_file_sources (GPtrArray *inputs, const char *base_dir)
{
  for (guint i = 0; i < inputs->len; i++)
    {
      CrInputConfig *input = g_ptr_array_index (inputs, i);

      if (input->source.kind == CR_SOURCE_FILE)
        resolve_path (&input->source.location, base_dir);
    }
}

static const CrInputConfig *
find_camera (const CrConfig *config, const char *name)
{
  for (guint i = 0; i < config->cameras->len; i++)
    {
      const CrInputConfig *camera = g_ptr_array_index (config->cameras, i);
      if (g_strcmp0 (camera->name, name) == 0)
        return camera;
    }
  return NULL;
}

/* A microphone's "camera = NAME" and "source = camera:NAME" must name a
 * camera of this file; the evidence layout needs its camera. */
static gboolean
check_camera_references (const Loader *loader, const CrConfig *config,
                         GError **error)
{
  for (guint i = 0; i < config->microphones->len; i++)
    {
      const CrInputConfig *microphone = g_ptr_array_index (config->microphones, i);
      const CrInputConfig *heard = NULL;

      if (microphone->camera != NULL && find_camera (config, microphone->camera) == NULL)
        {
          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s: [microphone %s] camera = \"%s\": no such camera: expected "
                       "the NAME of a [camera NAME] group", loader->path,
                       microphone->name, cr_text_shown (microphone->camera));
          return FALSE;
        }
      if (microphone->source.kind != CR_SOURCE_CAMERA)
        continue;
      heard = find_camera (config, microphone->source.location);
      if (heard == NULL || (heard->source.kind != CR_SOURCE_RTSP &&
                            heard->source.kind != CR_SOURCE_SRT &&
                            heard->source.kind != CR_SOURCE_RTMP &&
                            heard->source.kind != CR_SOURCE_FILE))
        {
          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s: [microphone %s] source = \"camera:%s\": %s: expected the "
                       "NAME of a camera whose source is a stream (rtsp://, srt://, "
                       "rtmp://) or a file", loader->path, microphone->name,
                       cr_text_shown (microphone->source.location),
                       heard == NULL ? "no such camera" : "that camera has no sound");
          return FALSE;
        }
    }
  return TRUE;
}

/* GKeyFile merges a group or a key given twice without a word: a second
 * [storage] with another dir would move the recordings. It cannot say so,
 * so the lines are scanned for group headers and keys first; GKeyFile
 * still does the parsing. Key-file lines are "[group]", "key=value" (with
 * optional blanks around '='), "# comment" or blank; a localised key
 * "name[zh_CN]" is a key of its own. */
static gboolean
check_duplicates (const char *path, const char *text, gsize length, GError **error)
{
  g_autoptr (GHashTable) group_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                              NULL);
  g_autoptr (GHashTable) key_lines = NULL;
  g_autofree char *group = NULL;
  const char *line = text;
  const char *end = text + length;
  guint number = 0;

  for (; line < end; number++)
    {
      const char *newline = memchr (line, '\n', end - line);
      const char *stop = newline != NULL ? newline : end;
      g_autofree char *content = g_strstrip (g_strndup (line, stop - line));

      line = stop + 1;
      if (content[0] == '\0' || content[0] == '#')
        continue;
      if (content[0] == '[')
        {
          char *close = strrchr (content, ']');
          guint first;

          if (close == NULL)
            continue;   /* GKeyFile names the syntax error */
          *close = '\0';
          first = GPOINTER_TO_UINT (g_hash_table_lookup (group_lines, content + 1));
          if (first != 0)
            {
              g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                           "%s:%u: [%s] is given twice (first at line %u): a group may be "
                           "given once", path, number + 1, cr_text_shown (content + 1), first);
              return FALSE;
            }
          g_free (group);
          group = g_strdup (content + 1);
          g_hash_table_insert (group_lines, g_strdup (group), GUINT_TO_POINTER (number + 1));
          g_clear_pointer (&key_lines, g_hash_table_unref);
          key_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
        }
      else if (key_lines != NULL && strchr (content, '=') != NULL)
        {
          g_autofree char *key = g_strstrip (g_strndup (content, strchr (content, '=') - content));
          guint first = GPOINTER_TO_UINT (g_hash_table_lookup (key_lines, key));

          if (first != 0)
            {
              g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                           "%s:%u: [%s] %s is given twice (first at line %u): a key may be "
                           "given once", path, number + 1, cr_text_shown (group),
                           cr_text_shown (key), first);
              return FALSE;
            }
          g_hash_table_insert (key_lines, g_steal_pointer (&key), GUINT_TO_POINTER (number + 1));
        }
    }
  return TRUE;
}

CrConfig *
cr_config_load (const char *path, GError **error)
{
  g_autoptr (CrConfig) config = g_new0 (CrConfig, 1);
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) headers = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *base_dir = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  Loader loader = { path, key_file };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  config->path = g_strdup (path);
  config->cameras = g_ptr_array_new_with_free_func ((GDestroyNotify) input_config_free);
  config->microphones = g_ptr_array_new_with_free_func ((GDestroyNotify) input_config_free);
  config->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_config_free);
  config->webhooks = g_ptr_array_new_with_free_func ((GDestroyNotify) webhook_config_free);
  config->archives = g_ptr_array_new_with_free_func ((GDestroyNotify) archive_config_free);

  if (!cr_small_file_read (path, "The config file", CONFIG_MAX_BYTES, &text, &length,
                           &local_error))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO, "%s: cannot read the config: %s",
                   path, local_error->message);
      return NULL;
    }
  /* GKeyFile stops reading a line at a NUL and takes the rest of the line
   * for nothing: what follows it would be in the file yet unseen. */
  if (memchr (text, '\0', length) != NULL)
    {
      const char *nul = memchr (text, '\0', length);
      guint line = 1;

      for (const char *p = text; p < nul; p++)
        line += *p == '\n';
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_SYNTAX,
                   "%s:%u: a NUL byte: expected text (UTF-8)", path, line);
      return NULL;
    }
  if (!check_duplicates (path, text, length, error))
    return NULL;
  /* KEEP_TRANSLATIONS: otherwise GKeyFile silently drops name[zh_CN] and
   * the like, and a key that is not read must not pass unnoticed. */
  if (!g_key_file_load_from_data (key_file, text, length, G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local_error))
    {
      if (local_error->domain == G_KEY_FILE_ERROR)
        g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_SYNTAX,
                     "%s: not a valid config file: %s", path,
                     cr_text_shown (local_error->message));
      else
        g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_IO,
                     "%s: cannot read the config: %s", path,
                     cr_text_shown (local_error->message));
      return NULL;
    }

  /* Groups in file order, so that cameras keep the order they are written
   * in (the composer's tile order). */
  headers = g_key_file_get_groups (key_file, NULL);
  for (gsize i = 0; headers[i] != NULL; i++)
    {
      g_autofree char *kind = g_strdup (headers[i]);
      char *item = strchr (kind, ' ');
      const GroupSpec *group;

      if (item != NULL)
        *item++ = '\0';
      group = find_group (kind);
      if (group == NULL || (!group->named && item != NULL))
        {
          unknown_group_error (&loader, headers[i], kind, item, error);
          return NULL;
        }
      if (group->named && strcmp (kind, "alarm") == 0)
        {
          if (!load_webhook (&loader, headers[i], item, config->webhooks, error))
            return NULL;
          continue;
        }
      if (group->named && item == NULL)
        {
          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s: [%s] has no name: expected [%s NAME], e.g. "
                       "[%s judge]", path, cr_text_shown (kind), cr_text_shown (kind),
                       cr_text_shown (kind));
          return NULL;
        }
      if (group->named && strcmp (kind, "stream") == 0)
        {
          if (!load_stream (&loader, headers[i], item, config->streams, error))
            return NULL;
        }
      else if (group->named && strcmp (kind, "archive") == 0)
        {
          if (!load_archive (&loader, headers[i], item, config->archives, error))
            return NULL;
        }
      else if (group->named &&
          !load_input (&loader, headers[i], kind, item,
                       strcmp (kind, "camera") == 0 ? config->cameras
                                                    : config->microphones,
                       error))
        return NULL;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
    if (!groups[i].named &&
        !load_group (&loader, groups[i].name, groups[i].name, config, error))
      return NULL;

  if (config->cameras->len == 0)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_MISSING,
                   "%s: no camera: expected at least one [camera NAME] group, "
                   "e.g. [camera judge] with source = v4l2:/dev/video0", path);
      return NULL;
    }
  if (config->microphones->len == 0)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_MISSING,
                   "%s: no microphone: expected at least one "
                   "[microphone NAME] group, e.g. [microphone judge] with "
                   "source = alsa:hw:1,0", path);
      return NULL;
    }

  if (!check_camera_references (&loader, config, error))
    return NULL;
  for (guint i = 0; i < config->streams->len; i++)
    {
      const CrStreamConfig *stream = g_ptr_array_index (config->streams, i);
      if (stream->height > config->height)
        {
          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s: [stream %s] height = %u: a stream cannot be taller than the "
                       "recording: expected an even number from 120 to [video] height (%u)",
                       path, stream->name, stream->height, config->height);
          return NULL;
        }
    }

  if (config->public_host != NULL &&
      cr_config_listeners_clash (config->public_host, config->public_port, config->api_host,
                       config->api_port))
    {
      g_autofree char *public_listen = cr_config_format_listen (config->public_host,
                                                      config->public_port);
      g_autofree char *api_listen = cr_config_format_listen (config->api_host, config->api_port);

      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: [public] listen = %s and [api] listen = %s take the same port on "
                   "the same address: the public pages need a listener of their own, e.g. "
                   "another port",
                   path, public_listen, api_listen);
      return NULL;
    }

  absolute = g_canonicalize_filename (path, NULL);
  base_dir = g_path_get_dirname (absolute);
  resolve_path (&config->storage_dir, base_dir);
  if (config->token_file == NULL)
    config->token_file = g_build_filename (config->storage_dir, "api-token", NULL);
  else
    resolve_path (&config->token_file, base_dir);
  if (config->users_path == NULL)
    config->users_path = g_strdup (CR_CONFIG_DEFAULT_USERS_PATH);
  else
    resolve_path (&config->users_path, base_dir);
  if (config->key_file == NULL)
    config->key_file = g_build_filename (base_dir, "device-key", NULL);
  else
    resolve_path (&config->key_file, base_dir);
  resolve_file_sources (config->cameras, base_dir);
  resolve_file_sources (config->microphones, base_dir);
  for (guint i = 0; i < config->streams->len; i++)
    {
      CrStreamConfig *stream = g_ptr_array_index (config->streams, i);
      if (stream->key_file != NULL)
        resolve_path (&stream->key_file, base_dir);
      if (stream->tls_ca_file != NULL)
        resolve_path (&stream->tls_ca_file, base_dir);
    }
  for (guint i = 0; i < config->webhooks->len; i++)
    resolve_path (&((CrWebhookConfig *) g_ptr_array_index (config->webhooks, i))->secret_file,
                  base_dir);
  for (guint i = 0; i < config->archives->len; i++)
    {
      CrArchiveConfig *archive = g_ptr_array_index (config->archives, i);
      resolve_path (&archive->access_key_file, base_dir);
      resolve_path (&archive->secret_key_file, base_dir);
    }
  if (config->schedule_calendar != NULL && strstr (config->schedule_calendar, "://") == NULL)
    resolve_path (&config->schedule_calendar, base_dir);
  if (config->schedule_feed != NULL && strstr (config->schedule_feed, "://") == NULL)
    resolve_path (&config->schedule_feed, base_dir);

  return g_steal_pointer (&config);
}

/* ---- streams ---- */

gboolean
cr_stream_own_profile (const CrConfig *config, const CrStreamConfig *stream, guint *width,
                       guint *height, guint *bitrate_kbps)
{
  guint h = stream->height != 0 ? stream->height : config->height;
  /* The recording's aspect, rounded to even (x264 wants even sizes). */
  guint w = (guint) ((guint64) config->width * h / config->height + 1) & ~1u;
  guint kbps = stream->video_bitrate_kbps != 0 ? stream->video_bitrate_kbps
                                               : config->video_bitrate_kbps;

  if (stream->height == config->height)
    w = config->width;
  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
  if (bitrate_kbps != NULL)
    *bitrate_kbps = kbps;
  return h != config->height || kbps != config->video_bitrate_kbps;
}
