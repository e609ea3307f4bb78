/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-mux.c: the encoded streams into the files a litigant gets, with
 * libavformat and without re-encoding: copy.mp4 (each audio track titled
 * and tagged with its language, the mix the default one, the markers as
 * chapters, the index at the front), its HLS rendition (video and the
 * mix) and chapters.json.
 *
 * An MP4 track's title is its handler name: MP4 has no other per-track
 * name that players and ffprobe read ("title" is written by the muxer in
 * QuickTime mode only). */
#include "render/copy-render-private.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "archive/av-cleanup.h"

static gboolean
av_failed (GError **error, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
av_failed (GError **error, int code, const char *format, ...)
{
  char text[AV_ERROR_MAX_STRING_SIZE] = "";
  g_autofree char *what = NULL;
  va_list args;

  av_strerror (code, text, sizeof text);
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED, "%s: %s", what, text);
  return FALSE;
}

static void
free_output (AVFormatContext *output)
{
  if (output == NULL)
    return;
  if (output->pb != NULL && !(output->oformat->flags & AVFMT_NOFILE))
    avio_closep (&output->pb);
  avformat_free_context (output);
}

static gboolean
add_chapters (AVFormatContext *output, const CrEditPlan *plan)
{
  AVRational ms = { 1, 1000 };

  if (plan->chapters->len == 0)
    return TRUE;
  output->chapters = av_calloc (plan->chapters->len, sizeof (AVChapter *));
  if (output->chapters == NULL)
    return FALSE;
  for (guint i = 0; i < plan->chapters->len; i++)
    {
      const CrChapter *chapter = &g_array_index (plan->chapters, CrChapter, i);
      gint64 end = i + 1 < plan->chapters->len
          ? g_array_index (plan->chapters, CrChapter, i + 1).offset_us : plan->duration_us;
      AVChapter *c = av_mallocz (sizeof (AVChapter));

      if (c == NULL)
        return FALSE;
      output->chapters[output->nb_chapters++] = c;
      c->id = i + 1;
      c->time_base = ms;
      c->start = chapter->offset_us / 1000;
      c->end = MAX (end / 1000, c->start + 1);
      av_dict_set (&c->metadata, "title", chapter->text, 0);
    }
  return TRUE;
}

gboolean
cr_copy_mux_mp4 (const CrRenderJob *job, const CrEditPlan *plan, const char *encoded_path,
                 const char *mp4_path, gint64 *duration_us, GError **error)
{
  g_autoptr (AVFormatContext) input = NULL;
  g_autoptr (AVPacket) packet = av_packet_alloc ();
  g_autoptr (AVDictionary) options = NULL;
  AVFormatContext *output = NULL;
  gint64 end_us = 0;
  guint audio = 0;
  gboolean ok = FALSE;
  int ret;

  ret = avformat_open_input (&input, encoded_path, NULL, NULL);
  if (ret < 0)
    return av_failed (error, ret, "Could not open '%s'", encoded_path);
  ret = avformat_alloc_output_context2 (&output, NULL, "mp4", mp4_path);
  if (ret < 0)
    return av_failed (error, ret, "Could not make '%s'", mp4_path);

  for (guint i = 0; i < input->nb_streams; i++)
    {
      AVStream *in = input->streams[i];
      AVStream *out = avformat_new_stream (output, NULL);

      if (out == NULL || avcodec_parameters_copy (out->codecpar, in->codecpar) < 0)
        {
          av_failed (error, AVERROR (ENOMEM), "Could not make '%s'", mp4_path);
          goto out;
        }
      out->codecpar->codec_tag = 0;
      out->time_base = in->time_base;
      if (in->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
        {
          const CrRenderTrack *track = audio < job->tracks->len
              ? &g_array_index (job->tracks, CrRenderTrack, audio) : NULL;

          if (track != NULL)
            {
              av_dict_set (&out->metadata, "title", track->title, 0);
              av_dict_set (&out->metadata, "handler_name", track->title, 0);
              av_dict_set (&out->metadata, "language", track->language, 0);
            }
          out->disposition = audio == 0 ? AV_DISPOSITION_DEFAULT : 0;
          audio++;
        }
      else
        {
          av_dict_set (&out->metadata, "handler_name", "Video", 0);
          out->disposition = AV_DISPOSITION_DEFAULT;
        }
    }
  if (job->title != NULL)
    av_dict_set (&output->metadata, "title", job->title, 0);
  if (job->watermark != NULL)
    av_dict_set (&output->metadata, "comment", job->watermark, 0);
  if (!add_chapters (output, plan))
    {
      av_failed (error, AVERROR (ENOMEM), "Could not make '%s'", mp4_path);
      goto out;
    }
  ret = avio_open (&output->pb, mp4_path, AVIO_FLAG_WRITE);
  if (ret < 0)
    {
      av_failed (error, ret, "Could not create '%s'", mp4_path);
      goto out;
    }
  av_dict_set (&options, "movflags", "+faststart", 0);
  ret = avformat_write_header (output, &options);
  if (ret < 0)
    {
      av_failed (error, ret, "Could not write '%s'", mp4_path);
      goto out;
    }
  while ((ret = av_read_frame (input, packet)) >= 0)
    {
      AVStream *in = input->streams[packet->stream_index];
      AVStream *out = output->streams[packet->stream_index];

      /* Encoded without B-frames: decode order is presentation order. */
      if (packet->dts == AV_NOPTS_VALUE)
        packet->dts = packet->pts;
      av_packet_rescale_ts (packet, in->time_base, out->time_base);
      end_us = MAX (end_us, av_rescale_q (packet->pts + packet->duration, out->time_base,
                                          AV_TIME_BASE_Q));
      packet->pos = -1;
      ret = av_interleaved_write_frame (output, packet);
      if (ret < 0)
        {
          av_failed (error, ret, "Could not write '%s'", mp4_path);
          goto out;
        }
    }
  if (ret != AVERROR_EOF)
    {
      av_failed (error, ret, "Could not read '%s'", encoded_path);
      goto out;
    }
  ret = av_write_trailer (output);
  if (ret < 0)
    {
      av_failed (error, ret, "Could not write '%s'", mp4_path);
      goto out;
    }
  ret = avio_closep (&output->pb);
  if (ret < 0)
    {
      av_failed (error, ret, "Could not write '%s'", mp4_path);
      goto out;
    }
  *duration_us = end_us;
  ok = TRUE;
out:
  free_output (output);
  return ok;
}

gboolean
cr_copy_mux_hls (const char *mp4_path, const char *hls_dir, GError **error)
{
  g_autoptr (AVFormatContext) input = NULL;
  g_autoptr (AVPacket) packet = av_packet_alloc ();
  g_autoptr (AVDictionary) options = NULL;
  g_autofree char *playlist = g_build_filename (hls_dir, "index.m3u8", NULL);
  g_autofree char *segments = g_build_filename (hls_dir, "segment-%05d.ts", NULL);
  AVFormatContext *output = NULL;
  int map[64];
  int video = -1, mix = -1;
  gboolean ok = FALSE;
  int ret;

  ret = avformat_open_input (&input, mp4_path, NULL, NULL);
  if (ret < 0)
    return av_failed (error, ret, "Could not open '%s'", mp4_path);
  ret = avformat_alloc_output_context2 (&output, NULL, "hls", playlist);
  if (ret < 0)
    return av_failed (error, ret, "Could not make '%s'", playlist);
  for (guint i = 0; i < input->nb_streams && i < G_N_ELEMENTS (map); i++)
    {
      AVStream *in = input->streams[i];
      gboolean take = FALSE;

      map[i] = -1;
      if (in->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && video < 0)
        take = TRUE, video = i;
      else if (in->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && mix < 0)
        take = TRUE, mix = i;
      if (take)
        {
          AVStream *out = avformat_new_stream (output, NULL);

          if (out == NULL || avcodec_parameters_copy (out->codecpar, in->codecpar) < 0)
            {
              av_failed (error, AVERROR (ENOMEM), "Could not make '%s'", playlist);
              goto out;
            }
          out->codecpar->codec_tag = 0;
          out->time_base = in->time_base;
          map[i] = out->index;
        }
    }
  /* The copy's keyframes are 2 s apart: segments of 4 s. */
  av_dict_set (&options, "hls_time", "4", 0);
  av_dict_set (&options, "hls_list_size", "0", 0);
  av_dict_set (&options, "hls_playlist_type", "vod", 0);
  av_dict_set (&options, "hls_segment_filename", segments, 0);
  ret = avformat_write_header (output, &options);
  if (ret < 0)
    {
      av_failed (error, ret, "Could not write '%s'", playlist);
      goto out;
    }
  while ((ret = av_read_frame (input, packet)) >= 0)
    {
      int i = packet->stream_index;

      if (i >= (int) G_N_ELEMENTS (map) || map[i] < 0)
        {
          av_packet_unref (packet);
          continue;
        }
      av_packet_rescale_ts (packet, input->streams[i]->time_base,
                            output->streams[map[i]]->time_base);
      packet->stream_index = map[i];
      packet->pos = -1;
      ret = av_interleaved_write_frame (output, packet);
      if (ret < 0)
        {
          av_failed (error, ret, "Could not write '%s'", playlist);
          goto out;
        }
    }
  ret = av_write_trailer (output);
  if (ret < 0)
    {
      av_failed (error, ret, "Could not write '%s'", playlist);
      goto out;
    }
  ok = TRUE;
out:
  free_output (output);
  return ok;
}

/* Offsets in milliseconds' precision, written as such ("12.345"): a
 * double through json-glib would read 12.3449999999999. */
gboolean
cr_copy_write_chapters (const CrEditPlan *plan, const char *path, GError **error)
{
  g_autoptr (GString) text = g_string_new ("[");

  for (guint i = 0; i < plan->chapters->len; i++)
    {
      const CrChapter *chapter = &g_array_index (plan->chapters, CrChapter, i);
      g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), chapter->text);
      g_autofree char *quoted = json_to_string (node, FALSE);
      gint64 ms = chapter->offset_us / 1000;

      g_string_append_printf (text, "%s\n  {\"offset\": %" G_GINT64_FORMAT ".%03d, "
                              "\"text\": %s}", i == 0 ? "" : ",", ms / 1000,
                              (int) (ms % 1000), quoted);
    }
  g_string_append (text, plan->chapters->len > 0 ? "\n]\n" : "]\n");
  return g_file_set_contents_full (path, text->str, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}
