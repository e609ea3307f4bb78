/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* media-probe.c: see media-probe.h. */
#include "archive/media-probe.h"

#include <libavformat/avformat.h>

#include "archive/av-cleanup.h"
#include <libavutil/avutil.h>

G_DEFINE_QUARK (cr-media-error-quark, cr_media_error)

static void
set_av_error (GError **error, const char *path, const char *what, int code)
{
  char text[AV_ERROR_MAX_STRING_SIZE] = "";

  av_strerror (code, text, sizeof text);
  g_set_error (error, CR_MEDIA_ERROR, CR_MEDIA_ERROR_OPEN,
               "Could not %s '%s': %s", what, path, text);
}

gboolean
cr_media_probe_duration (const char *path, gint64 *duration_us, GError **error)
{
  g_autoptr (AVFormatContext) context = NULL;
  g_autoptr (AVPacket) packet = av_packet_alloc ();
  gint64 first = G_MAXINT64, last = G_MININT64;
  int ret;

  av_log_set_level (AV_LOG_QUIET);
  ret = avformat_open_input (&context, path, NULL, NULL);
  if (ret < 0)
    {
      set_av_error (error, path, "open", ret);
      return FALSE;
    }
  ret = avformat_find_stream_info (context, NULL);
  if (ret < 0)
    {
      set_av_error (error, path, "read the streams of", ret);
      return FALSE;
    }

  /* A truncated file ends in an error rather than EOF: what was read
   * before it still counts. */
  while (av_read_frame (context, packet) >= 0)
    {
      AVStream *stream = context->streams[packet->stream_index];
      gint64 ts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;

      if (ts != AV_NOPTS_VALUE)
        {
          gint64 start = av_rescale_q (ts, stream->time_base, AV_TIME_BASE_Q);
          gint64 end = av_rescale_q (ts + MAX (packet->duration, 0),
                                     stream->time_base, AV_TIME_BASE_Q);
          first = MIN (first, start);
          last = MAX (last, end);
        }
      av_packet_unref (packet);
    }

  *duration_us = last > first ? last - first : 0;
  return TRUE;
}
