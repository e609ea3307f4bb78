/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config-values.c: the parsers of the config's values, one per kind of
 * value, each saying what it expected (config-private.h). */
#include "config/config-private.h"

#include <gio/gio.h>
#include <string.h>

#include "config/text.h"

gboolean
cr_config_parse_text (const KeySpec *spec, const char *value, gpointer base,
                      GError **error)
{
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);
  g_autofree char *text = g_strstrip (g_strdup (value));
  g_autoptr (GError) text_error = NULL;

  if (*text == '\0')
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "expected %s", spec->expected);
      return FALSE;
    }
  /* spec->max: characters; paths and the like are bounded by the value's
   * byte limit alone. */
  if (!cr_text_validate (text, "the value", spec->max > 0 ? spec->max : VALUE_MAX_BYTES,
                         FALSE, &text_error))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID, "%s: expected %s",
                   text_error->message, spec->expected);
      return FALSE;
    }
  g_free (*field);
  *field = g_steal_pointer (&text);
  return TRUE;
}

gboolean
cr_config_parse_bool (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  gboolean *field = G_STRUCT_MEMBER_P (base, spec->offset);

  if (g_ascii_strcasecmp (value, "true") == 0 || g_ascii_strcasecmp (value, "yes") == 0)
    *field = TRUE;
  else if (g_ascii_strcasecmp (value, "false") == 0 || g_ascii_strcasecmp (value, "no") == 0)
    *field = FALSE;
  else
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "expected true or false");
      return FALSE;
    }
  return TRUE;
}

/* A destination's URL: the scheme says the protocol; the host must be
 * there. The stream key belongs in key_file, where it is not logged. */
gboolean
cr_config_parse_stream_url (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  static const char *const schemes[] = { "rtmp", "rtmps", "srt", NULL };
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);
  g_autoptr (GUri) uri = g_uri_parse (value, G_URI_FLAGS_NON_DNS, NULL);

  if (uri == NULL || !g_strv_contains (schemes, g_uri_get_scheme (uri)) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "not a streaming URL: expected rtmp://HOST[:PORT]/APP, "
                   "rtmps://HOST[:PORT]/APP or srt://HOST:PORT");
      return FALSE;
    }
  if (g_str_equal (g_uri_get_scheme (uri), "srt") && g_uri_get_port (uri) <= 0)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "an SRT URL needs a port: expected srt://HOST:PORT");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* A receiver of alarm notifications: plain HTTP(S), nothing curl would
 * also speak (file://, ftp://, ...). */
gboolean
cr_config_parse_webhook_url (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  static const char *const schemes[] = { "http", "https", NULL };
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);
  g_autoptr (GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || !g_strv_contains (schemes, g_uri_get_scheme (uri)) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "not a webhook URL: expected http://HOST[:PORT]/PATH or "
                   "https://HOST[:PORT]/PATH");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* An S3 endpoint: the scheme, host and port only, since keys are made
 * below it path-style and a path, query or password here would be signed
 * and sent where no one looks. */
gboolean
cr_config_parse_archive_endpoint (const KeySpec *spec, const char *value, gpointer base,
                                  GError **error)
{
  static const char *const schemes[] = { "http", "https", NULL };
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);
  g_autoptr (GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *path = uri != NULL ? g_uri_get_path (uri) : NULL;

  if (uri == NULL || !g_strv_contains (schemes, g_uri_get_scheme (uri)) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL ||
      (path != NULL && *path != '\0' && strcmp (path, "/") != 0) || strlen (value) > 256)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "not an S3 endpoint: expected http://HOST[:PORT] or "
                   "https://HOST[:PORT], with no path, query or password");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* S3's bucket names (DNS-like), checked here so that a typo is named at
 * start and not as a signature error at the first upload. */
gboolean
cr_config_parse_bucket (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);
  gsize length = strlen (value);
  gboolean ok = length >= 3 && length <= 63 && g_ascii_isalnum (value[0]) &&
                g_ascii_isalnum (value[length - 1]);

  for (gsize i = 0; ok && i < length; i++)
    ok = g_ascii_islower (value[i]) || g_ascii_isdigit (value[i]) || value[i] == '.' ||
         value[i] == '-';
  if (!ok)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "not a bucket name: expected 3 to 63 of a-z 0-9 . -, starting and "
                   "ending with a letter or digit, e.g. court-recordings");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* A key prefix: ASCII segments of [A-Za-z0-9._~-] separated by single
 * '/', so that every key made under it needs no encoding (what is signed
 * is what is sent). Empty: none. */
gboolean
cr_config_parse_key_prefix (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);
  g_auto (GStrv) parts = g_strsplit (value, "/", -1);
  gboolean ok = strlen (value) <= 200;

  for (guint i = 0; ok && *value != '\0' && parts[i] != NULL; i++)
    {
      ok = *parts[i] != '\0' && strcmp (parts[i], ".") != 0 && strcmp (parts[i], "..") != 0;
      for (const char *p = parts[i]; ok && *p != '\0'; p++)
        ok = g_ascii_isalnum (*p) || strchr ("._~-", *p) != NULL;
    }
  if (!ok)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "not a key prefix: expected ASCII letters, digits and . _ ~ - in parts "
                   "separated by single '/', at most 200 characters, e.g. courts/sanmen");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static gboolean
parse_clock_minute (const char *text, guint *minute)
{
  guint64 hours, minutes;

  if (strlen (text) != 5 || text[2] != ':' || !g_ascii_isdigit (text[0]) ||
      !g_ascii_isdigit (text[1]) || !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;
  hours = (text[0] - '0') * 10 + (text[1] - '0');
  minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59)
    return FALSE;
  *minute = hours * 60 + minutes;
  return TRUE;
}

/* "HH:MM-HH:MM" in local time, across midnight when the end is earlier;
 * empty: always. */
gboolean
cr_config_parse_window (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  CrArchiveWindow *window = G_STRUCT_MEMBER_P (base, spec->offset);
  g_auto (GStrv) ends = g_strsplit (value, "-", -1);
  CrArchiveWindow parsed = { FALSE, 0, 0 };

  if (*value == '\0')
    {
      *window = (CrArchiveWindow) { TRUE, 0, 0 };
      return TRUE;
    }
  if (g_strv_length (ends) != 2 || !parse_clock_minute (g_strstrip (ends[0]), &parsed.start_minute) ||
      !parse_clock_minute (g_strstrip (ends[1]), &parsed.end_minute) ||
      parsed.start_minute == parsed.end_minute)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "not an upload window: expected HH:MM-HH:MM (local time, two different "
                   "times), e.g. 22:00-06:00, or nothing for always");
      return FALSE;
    }
  *window = parsed;
  return TRUE;
}

gboolean
cr_config_parse_object_lock (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  gboolean *field = G_STRUCT_MEMBER_P (base, spec->offset);

  if (strcmp (value, "auto") != 0 && strcmp (value, "off") != 0)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "expected auto (use the bucket's Object Lock when it has one) or off");
      return FALSE;
    }
  *field = strcmp (value, "auto") == 0;
  return TRUE;
}

gboolean
cr_archive_window_open (const CrArchiveWindow *window, guint local_minute)
{
  if (window->always)
    return TRUE;
  if (window->start_minute < window->end_minute)
    return local_minute >= window->start_minute && local_minute < window->end_minute;
  return local_minute >= window->start_minute || local_minute < window->end_minute;
}

/* The party types it from the slip: an http or https address with a
 * host, no password in it. */
gboolean
cr_config_parse_public_url (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  static const char *const schemes[] = { "http", "https", NULL };
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);
  g_autoptr (GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || !g_strv_contains (schemes, g_uri_get_scheme (uri)) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || strlen (value) > 200)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "not a public address: expected http://HOST[:PORT]/PATH or "
                   "https://HOST[:PORT]/PATH (at most 200 characters), e.g. "
                   "https://court.example/access/");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

gboolean
cr_config_is_name (const char *text, gsize max_length)
{
  gsize length = 0;

  for (const char *p = text; *p != '\0'; p++, length++)
    if (!is_name_char (*p))
      return FALSE;
  return length >= 1 && length <= max_length;
}

/* The room id ends up in paths and systemd unit names, hence the narrow
 * alphabet. */
/* [schedule] calendar and feed: a web address, or a file resolved
 * against the config file's directory after loading. */
gboolean
cr_config_parse_schedule_source (const KeySpec *spec, const char *value, gpointer base,
                                 GError **error)
{
  if (!cr_config_parse_text (spec, value, base, error))
    return FALSE;
  const char *text = *(char **) G_STRUCT_MEMBER_P (base, spec->offset);
  if (strstr (text, "://") != NULL && !g_str_has_prefix (text, "http://")
      && !g_str_has_prefix (text, "https://"))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID, "expected %s",
                   spec->expected);
      return FALSE;
    }
  return TRUE;
}

/* A zone GLib knows from the system's tz database: a typo would otherwise
 * read every hearing's time as UTC. */
gboolean
cr_config_parse_timezone (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  if (!cr_config_parse_text (spec, value, base, error))
    return FALSE;
  const char *text = *(char **) G_STRUCT_MEMBER_P (base, spec->offset);
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier (text);
  if (zone == NULL)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "no such time zone: expected %s", spec->expected);
      return FALSE;
    }
  return TRUE;
}

gboolean
cr_config_parse_room_id (const KeySpec *spec, const char *value, gpointer base,
                         GError **error)
{
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);

  if (!cr_config_is_name (value, 64))
    {
      g_set_error_literal (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                           "expected the room id: 1 to 64 letters (A-Z, a-z), "
                           "digits, '-' or '_', e.g. room-101");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* Digits only: no sign, no spaces, no hex; what a person means by "25". */
static gboolean
read_whole_number (const char *text, guint min, guint max, guint *number)
{
  guint64 n;

  if (!g_ascii_isdigit (*text))
    return FALSE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &n, NULL))
    return FALSE;
  *number = (guint) n;
  return TRUE;
}

gboolean
cr_config_parse_uint (const KeySpec *spec, const char *value, gpointer base,
                      GError **error)
{
  guint *field = G_STRUCT_MEMBER_P (base, spec->offset);

  if (!read_whole_number (value, spec->min, spec->max, field))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "expected a whole number from %u to %u",
                   spec->min, spec->max);
      return FALSE;
    }
  return TRUE;
}

/* Picture sizes must be even: the encoders take 4:2:0 video, which halves
 * both dimensions for the chroma planes. */
gboolean
cr_config_parse_even_uint (const KeySpec *spec, const char *value, gpointer base,
                           GError **error)
{
  guint *field = G_STRUCT_MEMBER_P (base, spec->offset);
  guint number;

  if (!read_whole_number (value, spec->min, spec->max, &number) ||
      number % 2 != 0)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "expected an even whole number from %u to %u",
                   spec->min, spec->max);
      return FALSE;
    }
  *field = number;
  return TRUE;
}

static gboolean
parse_input_source (const KeySpec *spec, const char *value, gpointer base,
                    gboolean camera, GError **error)
{
  CrSource *field = G_STRUCT_MEMBER_P (base, spec->offset);
  CrSource source = { 0 };

  if (!cr_config_parse_source (value, &source, camera ? CAMERA_FORMS : MICROPHONE_FORMS,
                     error))
    return FALSE;
  if (camera && (source.kind == CR_SOURCE_ALSA || source.kind == CR_SOURCE_PULSE ||
                 source.kind == CR_SOURCE_CAMERA))
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "%s: is a sound device, not a camera: expected %s",
                   cr_source_kind_to_string (source.kind), CAMERA_FORMS);
      cr_source_clear (&source);
      return FALSE;
    }
  if (!camera && source.kind == CR_SOURCE_V4L2)
    {
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "v4l2: is a video device, not a microphone: expected %s",
                   MICROPHONE_FORMS);
      cr_source_clear (&source);
      return FALSE;
    }
  cr_source_clear (field);
  *field = source;
  return TRUE;
}

gboolean
cr_config_parse_camera_source (const KeySpec *spec, const char *value, gpointer base,
                               GError **error)
{
  return parse_input_source (spec, value, base, TRUE, error);
}

gboolean
cr_config_parse_microphone_source (const KeySpec *spec, const char *value,
                                   gpointer base, GError **error)
{
  return parse_input_source (spec, value, base, FALSE, error);
}

/* A value that must be one of @choices (NULL-terminated). */
static gboolean
parse_choice (const KeySpec *spec, const char *value, gpointer base,
              const char *const *choices, GError **error)
{
  char **field = G_STRUCT_MEMBER_P (base, spec->offset);

  if (!g_strv_contains (choices, value))
    {
      /* The value is left out: the loader shows it, escaped and cut. */
      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID, "expected %s",
                   spec->expected);
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

gboolean
cr_config_parse_layout (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  static const char *const layouts[] = { "single", "pip", "grid", "voice", "evidence", NULL };
  return parse_choice (spec, value, base, layouts, error);
}

gboolean
cr_config_parse_tracks (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  static const char *const tracks[] = { "mix", "mix+each", NULL };
  return parse_choice (spec, value, base, tracks, error);
}

gboolean
cr_config_parse_track_codec (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  static const char *const codecs[] = { "opus", "flac", NULL };
  return parse_choice (spec, value, base, codecs, error);
}

gboolean
cr_config_parse_role (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  static const char *const roles[] = { "judge", "plaintiff", "defendant", "witness",
                                       "evidence", "other", NULL };
  return parse_choice (spec, value, base, roles, error);
}

/* A level in dBFS: a whole number from -120 to 0. */
gboolean
cr_config_parse_dbfs (const KeySpec *spec, const char *value, gpointer base, GError **error)
{
  int *field = G_STRUCT_MEMBER_P (base, spec->offset);
  gint64 number;

  if (!g_ascii_string_to_signed (value, 10, -120, 0, &number, NULL))
    {
      g_set_error_literal (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                           "expected a level in dBFS, a whole number from -120 to 0");
      return FALSE;
    }
  *field = (int) number;
  return TRUE;
}

static gboolean
is_address_of_family (const char *text, GSocketFamily family)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (text);

  return address != NULL && g_inet_address_get_family (address) == family;
}

/* host:port, where host is an IPv4 address, localhost or [IPv6]. Names
 * other than localhost are refused: the API must not depend on DNS to come
 * up, and a courtroom box listens on an address it owns. */
gboolean
cr_config_parse_listen (const KeySpec *spec, const char *value, gpointer base,
                        GError **error)
{
  CrConfig *config = base;
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  guint port;

  if (value[0] == '[')
    {
      const char *close = strchr (value, ']');

      if (close != NULL && close[1] == ':')
        {
          host = g_strndup (value + 1, close - value - 1);
          port_text = close + 2;
          if (!is_address_of_family (host, G_SOCKET_FAMILY_IPV6))
            g_clear_pointer (&host, g_free);
        }
    }
  else
    {
      const char *colon = strrchr (value, ':');

      if (colon != NULL && memchr (value, ':', colon - value) == NULL)
        {
          host = g_strndup (value, colon - value);
          port_text = colon + 1;
          if (strcmp (host, "localhost") != 0 &&
              !is_address_of_family (host, G_SOCKET_FAMILY_IPV4))
            g_clear_pointer (&host, g_free);
        }
    }

  if (host == NULL || !read_whole_number (port_text, 1, 65535, &port))
    {
      g_set_error_literal (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                           "expected host:port with a port from 1 to 65535, "
                           "where host is an IPv4 address, localhost or an "
                           "IPv6 address in brackets, e.g. 127.0.0.1:8780 "
                           "or [::1]:8780");
      return FALSE;
    }
  /* One parser for both listeners: the port is the host's neighbour. */
  if (spec->offset == CONFIG_FIELD (public_host))
    {
      g_free (config->public_host);
      config->public_host = g_steal_pointer (&host);
      config->public_port = (guint16) port;
    }
  else
    {
      g_free (config->api_host);
      config->api_host = g_steal_pointer (&host);
      config->api_port = (guint16) port;
    }
  return TRUE;
}

/* host:port as [api] listen takes it: an IPv6 host in brackets. */
char *
cr_config_format_listen (const char *host, guint16 port)
{
  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                    : g_strdup_printf ("%s:%u", host, port);
}

/* Whether one address's socket keeps the other from binding the same
 * port: the same address, or the wildcard (0.0.0.0, ::) of its family;
 * the HTTP server binds IPv6 sockets IPv6-only. */
static gboolean
addresses_clash (const char *text_a, const char *text_b)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (text_a);
  g_autoptr (GInetAddress) b = g_inet_address_new_from_string (text_b);

  if (g_inet_address_get_family (a) != g_inet_address_get_family (b))
    return FALSE;
  return g_inet_address_equal (a, b) || g_inet_address_get_is_any (a) ||
         g_inet_address_get_is_any (b);
}

/* TRUE when both listeners cannot be bound at once (the daemon would fail
 * at start; --check-config should say so first). The hosts are what
 * cr_config_parse_listen accepts: literals, or localhost, which the server binds on
 * 127.0.0.1 and ::1. */
gboolean
cr_config_listeners_clash (const char *host_a, guint16 port_a, const char *host_b, guint16 port_b)
{
  static const char *const localhost[] = { "127.0.0.1", "::1", NULL };
  const char *const one_a[] = { host_a, NULL };
  const char *const one_b[] = { host_b, NULL };
  const char *const *all_a = g_str_equal (host_a, "localhost") ? localhost : one_a;
  const char *const *all_b = g_str_equal (host_b, "localhost") ? localhost : one_b;

  if (port_a != port_b)
    return FALSE;
  for (gsize i = 0; all_a[i] != NULL; i++)
    for (gsize j = 0; all_b[j] != NULL; j++)
      if (addresses_clash (all_a[i], all_b[j]))
        return TRUE;
  return FALSE;
}
