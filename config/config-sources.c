/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config-sources.c: the input sources a camera or microphone names
 * (test, v4l2:, rtsp://, srt://, rtmp://, alsa:, pulse:, camera:, file:). */
#include "config/config-private.h"

#include <string.h>

#include "config/text.h"

const char *
cr_source_kind_to_string (CrSourceKind kind)
{
  switch (kind)
    {
    case CR_SOURCE_TEST:
      return "test";
    case CR_SOURCE_V4L2:
      return "v4l2";
    case CR_SOURCE_RTSP:
      return "rtsp";
    case CR_SOURCE_ALSA:
      return "alsa";
    case CR_SOURCE_PULSE:
      return "pulse";
    case CR_SOURCE_FILE:
      return "file";
    case CR_SOURCE_SRT:
      return "srt";
    case CR_SOURCE_RTMP:
      return "rtmp";
    case CR_SOURCE_CAMERA:
      return "camera";
    }
  return "unknown";
}

void
cr_source_clear (CrSource *source)
{
  if (source == NULL)
    return;
  g_clear_pointer (&source->location, g_free);
  source->kind = CR_SOURCE_TEST;
}

/* The message leaves out @text (the config loader shows it already) and,
 * for text that is no source at all, lists @forms. */
gboolean
cr_config_parse_source (const char *text, CrSource *source, const char *forms,
                        GError **error)
{
  static const struct {
    const char *prefix;
    CrSourceKind kind;
    const char *example;
  } prefixed[] = {
    { "v4l2:", CR_SOURCE_V4L2, "v4l2:/dev/video0" },
    { "alsa:", CR_SOURCE_ALSA, "alsa:hw:1,0" },
    { "pulse:", CR_SOURCE_PULSE, "pulse:alsa_input.usb-mic.analog-stereo" },
    { "file:", CR_SOURCE_FILE, "file:/srv/courtrec/test-card.mkv" },
    { "camera:", CR_SOURCE_CAMERA, "camera:witness" },
  };

  if (strcmp (text, "test") == 0 || strcmp (text, "test:silence") == 0 ||
      strcmp (text, "test:sync") == 0)
    {
      source->kind = CR_SOURCE_TEST;
      source->location = text[4] == ':' ? g_strdup (text + 5) : NULL;
      return TRUE;
    }

  {
    static const struct {
      const char *scheme;
      CrSourceKind kind;
      const char *example;
    } urls[] = {
      { "srt://", CR_SOURCE_SRT, "srt://0.0.0.0:7001?mode=listener" },
      { "rtmp://", CR_SOURCE_RTMP, "rtmp://192.168.1.80/live/witness" },
      { "rtmps://", CR_SOURCE_RTMP, "rtmps://portal.example/live/witness" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
      {
        const char *rest = text + strlen (urls[i].scheme);
        if (g_ascii_strncasecmp (text, urls[i].scheme, strlen (urls[i].scheme)) != 0)
          continue;
        if (*rest == '\0' || *rest == '/' || *rest == '?')
          {
            g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                         "a %.*s URL needs a host, e.g. %s",
                         (int) (strlen (urls[i].scheme) - 3), urls[i].scheme,
                         urls[i].example);
            return FALSE;
          }
        source->kind = urls[i].kind;
        source->location = g_strdup (text);
        return TRUE;
      }
  }

  /* The URL scheme is case-insensitive (RFC 3986); the whole URL is kept
   * as written for rtspsrc. */
  if (g_ascii_strncasecmp (text, "rtsp://", 7) == 0 ||
      g_ascii_strncasecmp (text, "rtsps://", 8) == 0)
    {
      const char *rest = strstr (text, "://") + 3;

      if (*rest == '\0' || *rest == '/')
        {
          g_set_error_literal (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                               "an RTSP URL needs a host, e.g. "
                               "rtsp://192.168.1.64:554/stream1");
          return FALSE;
        }
      source->kind = CR_SOURCE_RTSP;
      source->location = g_strdup (text);
      return TRUE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (prefixed); i++)
    {
      g_autofree char *location = NULL;

      if (!g_str_has_prefix (text, prefixed[i].prefix))
        continue;
      location = g_strstrip (g_strdup (text + strlen (prefixed[i].prefix)));
      if (*location == '\0' ||
          (prefixed[i].kind == CR_SOURCE_V4L2 && *location != '/'))
        {
          g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                       "%s needs a %s after the colon, e.g. %s",
                       prefixed[i].prefix,
                       prefixed[i].kind == CR_SOURCE_FILE ? "path"
                       : prefixed[i].kind == CR_SOURCE_V4L2 ? "device path"
                       : prefixed[i].kind == CR_SOURCE_CAMERA ? "camera NAME"
                       : "device",
                       prefixed[i].example);
          return FALSE;
        }
      source->kind = prefixed[i].kind;
      source->location = g_steal_pointer (&location);
      return TRUE;
    }

  g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
               "not a source: expected %s", forms);
  return FALSE;
}

gboolean
cr_source_parse (const char *text, CrSource *source, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (source != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cr_config_parse_source (text, source, SOURCE_FORMS, &local_error))
    {
      g_autofree char *shown = cr_text_escape (text, -1, CR_TEXT_SHOWN_MAX);

      g_set_error (error, CR_CONFIG_ERROR, CR_CONFIG_ERROR_INVALID,
                   "\"%s\": %s", shown, local_error->message);
      return FALSE;
    }
  return TRUE;
}
