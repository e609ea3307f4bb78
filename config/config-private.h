/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config-private.h: what the files of the config loader share. config.c
 * holds the table of every key and the loader that walks a file against
 * it; config-values.c the parsers of the table's values, one per kind of
 * value; config-sources.c the input sources (test, v4l2:, rtsp://, ...);
 * stream-key.c and api-token.c the secrets read from files of their own. */
#pragma once

#include <stddef.h>

#include "config/config.h"

G_BEGIN_DECLS

/* A config is a few kB; a value a path or a line. Anything far larger is
 * a mistake or an attack, and a label is drawn on every frame. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define VALUE_MAX_BYTES 4096
#define TITLE_MAX 200
#define LABEL_MAX 32
/* A token or a stream key is a word; a file far larger is not one. */
#define SECRET_MAX_BYTES 4096

#define SOURCE_FORMS "test, v4l2:/dev/videoN, rtsp://URL, srt://URL, rtmp://URL, alsa:DEVICE, pulse:DEVICE, camera:NAME or file:PATH"
#define CAMERA_FORMS "test, v4l2:/dev/videoN, rtsp://URL, srt://URL, rtmp://URL or file:PATH"
#define MICROPHONE_FORMS "test, alsa:DEVICE, pulse:DEVICE, camera:NAME, rtsp://URL, srt://URL, rtmp://URL or file:PATH"

typedef struct KeySpec KeySpec;

/* Parses @value into the field at @spec->offset of @base (a CrConfig, or a
 * CrInputConfig for [camera NAME] and [microphone NAME]). On failure the
 * message says what was expected; the caller adds file, group, key and
 * value. */
typedef gboolean (*KeyParser) (const KeySpec *spec, const char *value,
                               gpointer base, GError **error);

struct KeySpec {
  const char *group;         /* "room"; "camera" stands for each [camera NAME] */
  const char *key;
  KeyParser parse;
  gsize offset;
  gboolean required;
  const char *default_value; /* parsed like text from the file; NULL: none */
  guint min, max;            /* for whole numbers */
  const char *expected;      /* a good value, for "is missing: expected ..." */
};

/* The field a key fills, in the struct its group is loaded into. */
#define CONFIG_FIELD(field) offsetof (CrConfig, field)
#define INPUT_FIELD(field) offsetof (CrInputConfig, field)
#define STREAM_FIELD(field) offsetof (CrStreamConfig, field)
#define WEBHOOK_FIELD(field) offsetof (CrWebhookConfig, field)
#define ARCHIVE_FIELD(field) offsetof (CrArchiveConfig, field)

/* The parsers of the table's values (config-values.c). */
gboolean cr_config_parse_text (const KeySpec *spec, const char *value,
                               gpointer base, GError **error);
gboolean cr_config_parse_room_id (const KeySpec *spec, const char *value,
                                  gpointer base, GError **error);
gboolean cr_config_parse_uint (const KeySpec *spec, const char *value,
                               gpointer base, GError **error);
gboolean cr_config_parse_even_uint (const KeySpec *spec, const char *value,
                                    gpointer base, GError **error);
gboolean cr_config_parse_camera_source (const KeySpec *spec, const char *value,
                                        gpointer base, GError **error);
gboolean cr_config_parse_microphone_source (const KeySpec *spec,
                                            const char *value, gpointer base,
                                            GError **error);
gboolean cr_config_parse_listen (const KeySpec *spec, const char *value,
                                 gpointer base, GError **error);
gboolean cr_config_parse_layout (const KeySpec *spec, const char *value,
                                 gpointer base, GError **error);
gboolean cr_config_parse_tracks (const KeySpec *spec, const char *value,
                                 gpointer base, GError **error);
gboolean cr_config_parse_track_codec (const KeySpec *spec, const char *value,
                                      gpointer base, GError **error);
gboolean cr_config_parse_dbfs (const KeySpec *spec, const char *value,
                               gpointer base, GError **error);
gboolean cr_config_parse_role (const KeySpec *spec, const char *value,
                               gpointer base, GError **error);

gboolean cr_config_parse_bool (const KeySpec *spec, const char *value,
                               gpointer base, GError **error);
gboolean cr_config_parse_stream_url (const KeySpec *spec, const char *value,
                                     gpointer base, GError **error);
gboolean cr_config_parse_public_url (const KeySpec *spec, const char *value,
                                     gpointer base, GError **error);
gboolean cr_config_parse_webhook_url (const KeySpec *spec, const char *value,
                                      gpointer base, GError **error);
gboolean cr_config_parse_archive_endpoint (const KeySpec *spec, const char *value,
                                           gpointer base, GError **error);
gboolean cr_config_parse_bucket (const KeySpec *spec, const char *value,
                                 gpointer base, GError **error);
gboolean cr_config_parse_key_prefix (const KeySpec *spec, const char *value,
                                     gpointer base, GError **error);
gboolean cr_config_parse_window (const KeySpec *spec, const char *value,
                                 gpointer base, GError **error);
gboolean cr_config_parse_object_lock (const KeySpec *spec, const char *value,
                                      gpointer base, GError **error);
gboolean cr_config_parse_schedule_source (const KeySpec *spec, const char *value,
                                          gpointer base, GError **error);
gboolean cr_config_parse_timezone (const KeySpec *spec, const char *value,
                                   gpointer base, GError **error);

gboolean cr_config_parse_source (const char *text, CrSource *source,
                                 const char *forms, GError **error);

/* [a-zA-Z0-9_-]{1,@max_length} (config-values.c). */
gboolean cr_config_is_name (const char *text, gsize max_length);
/* HOST:PORT, with [HOST] for an IPv6 address. (transfer full) */
char *cr_config_format_listen (const char *host, guint16 port);
/* Whether two listeners would take the same address and port. */
gboolean cr_config_listeners_clash (const char *host_a, guint16 port_a, const char *host_b,
                                    guint16 port_b);

G_END_DECLS
