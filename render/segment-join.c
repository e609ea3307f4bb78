/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-join.c: see segment-join.h.
 *
 * The rules are export.c's (see its opening comment): segment files start
 * at 0 at their first frame, the recorder cuts them at video keyframes and
 * stamps every stream from one clock, it encodes without B-frames (decode
 * order is presentation order). Export's joiner is bound to the index and
 * the bag; this one takes the job's list of files, writes Matroska (the
 * renderer decodes it at once) and keeps the UTC map. It does not carry a
 * change of H.264 parameter sets between parts (an encoder restarted
 * after a crash): it refuses such a file, naming the segment. */
#include "render/segment-join.h"

#include <errno.h>
#include <string.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "archive/av-cleanup.h"
#include "archive/utc.h"
#include "render/render-job.h"

void
cr_joined_recording_clear (CrJoinedRecording *joined)
{
  g_clear_pointer (&joined->parts, g_array_unref);
  g_clear_pointer (&joined->audio_codecs, g_free);
}

gint64
cr_joined_recording_map (const CrJoinedRecording *joined, gint64 utc_us)
{
  for (guint i = 0; i < joined->parts->len; i++)
    {
      const CrJoinedPart *part = &g_array_index (joined->parts, CrJoinedPart, i);

      if (utc_us < part->utc_us)
        return part->joined_us;
      if (utc_us < part->utc_us + part->duration_us)
        return part->joined_us + (utc_us - part->utc_us);
    }
  return joined->duration_us;
}

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

typedef struct {
  AVFormatContext *output;
  int video;                 /* the reference stream */
  gint64 end_us;             /* end of the video so far */
  gint64 *last_dts;          /* per stream, output time base */
  gboolean header_written;
} Joiner;

static void
joiner_clear (Joiner *joiner)
{
  if (joiner->output != NULL)
    {
      avio_closep (&joiner->output->pb);
      avformat_free_context (joiner->output);
      joiner->output = NULL;
    }
  g_clear_pointer (&joiner->last_dts, g_free);
}

static CrJoinedAudio
audio_kind (enum AVCodecID id)
{
  switch (id)
    {
    case AV_CODEC_ID_AAC: return CR_JOINED_AAC;
    case AV_CODEC_ID_OPUS: return CR_JOINED_OPUS;
    case AV_CODEC_ID_FLAC: return CR_JOINED_FLAC;
    default: return CR_JOINED_OTHER;
    }
}

static gboolean
joiner_open (Joiner *joiner, AVFormatContext *input, const char *path,
             CrJoinedRecording *joined, GError **error)
{
  int ret = avformat_alloc_output_context2 (&joiner->output, NULL, "matroska", path);

  if (ret < 0)
    return av_failed (error, ret, "Could not make '%s'", path);
  joiner->video = -1;
  joined->audio_codecs = g_new0 (CrJoinedAudio, input->nb_streams);
  for (guint i = 0; i < input->nb_streams; i++)
    {
      AVStream *in = input->streams[i];
      AVStream *out = avformat_new_stream (joiner->output, NULL);

      if (out == NULL)
        return av_failed (error, AVERROR (ENOMEM), "Could not make '%s'", path);
      ret = avcodec_parameters_copy (out->codecpar, in->codecpar);
      if (ret < 0)
        return av_failed (error, ret, "Could not make '%s'", path);
      out->codecpar->codec_tag = 0;
      out->time_base = in->time_base;
      if (in->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && joiner->video < 0)
        {
          joiner->video = i;
          joined->width = in->codecpar->width;
          joined->height = in->codecpar->height;
          joined->fps_num = in->avg_frame_rate.num;
          joined->fps_den = in->avg_frame_rate.den;
          out->avg_frame_rate = in->avg_frame_rate;
        }
      else if (in->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
        joined->audio_codecs[joined->n_audio++] = audio_kind (in->codecpar->codec_id);
    }
  if (joiner->video != 0)
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                   "'%s' does not start with a video stream", path);
      return FALSE;
    }
  joiner->last_dts = g_new (gint64, input->nb_streams);
  for (guint i = 0; i < input->nb_streams; i++)
    joiner->last_dts[i] = AV_NOPTS_VALUE;
  ret = avio_open (&joiner->output->pb, path, AVIO_FLAG_WRITE);
  if (ret < 0)
    return av_failed (error, ret, "Could not create '%s'", path);
  ret = avformat_write_header (joiner->output, NULL);
  if (ret < 0)
    return av_failed (error, ret, "Could not write '%s'", path);
  joiner->header_written = TRUE;
  return TRUE;
}

static gboolean
same_streams (Joiner *joiner, AVFormatContext *input, const char *segment_path,
              GError **error)
{
  AVFormatContext *output = joiner->output;

  if (input->nb_streams != output->nb_streams)
    goto differs;
  for (guint i = 0; i < input->nb_streams; i++)
    {
      const AVCodecParameters *in = input->streams[i]->codecpar;
      const AVCodecParameters *out = output->streams[i]->codecpar;

      if (in->codec_id != out->codec_id || in->width != out->width ||
          in->height != out->height || in->sample_rate != out->sample_rate ||
          in->ch_layout.nb_channels != out->ch_layout.nb_channels ||
          (in->codec_type == AVMEDIA_TYPE_VIDEO &&
           (in->extradata_size != out->extradata_size ||
            memcmp (in->extradata, out->extradata, in->extradata_size) != 0)))
        goto differs;
    }
  return TRUE;
differs:
  g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
               "'%s' holds other streams or encoder settings than the window's first "
               "segment: render the parts before and after it as separate copies",
               segment_path);
  return FALSE;
}

static gboolean
write_packet (Joiner *joiner, AVStream *in, AVPacket *packet, gint64 shift_us,
              const char *path, GError **error)
{
  int i = packet->stream_index;
  AVStream *out = joiner->output->streams[i];
  gint64 shift = av_rescale_q (shift_us, AV_TIME_BASE_Q, in->time_base);
  int ret;

  if (packet->dts == AV_NOPTS_VALUE)
    packet->dts = packet->pts;
  if (packet->duration <= 0 && i == joiner->video && in->avg_frame_rate.num > 0)
    packet->duration = av_rescale_q (1, av_inv_q (in->avg_frame_rate), in->time_base);
  packet->pts += shift;
  packet->dts += shift;
  av_packet_rescale_ts (packet, in->time_base, out->time_base);
  if (joiner->last_dts[i] != AV_NOPTS_VALUE && packet->dts <= joiner->last_dts[i])
    {
      packet->dts = joiner->last_dts[i] + 1;
      packet->pts = MAX (packet->pts, packet->dts);
    }
  joiner->last_dts[i] = packet->dts;
  if (i == joiner->video)
    joiner->end_us = MAX (joiner->end_us,
                          av_rescale_q (packet->pts + packet->duration, out->time_base,
                                        AV_TIME_BASE_Q));
  packet->pos = -1;
  ret = av_interleaved_write_frame (joiner->output, packet);
  if (ret < 0)
    return av_failed (error, ret, "Could not write '%s'", path);
  return TRUE;
}

/* One segment's share, from the keyframe at or before @from_us (segment
 * time; 0: its start) to before @to_us. */
static gboolean
join_part (Joiner *joiner, const CrRenderSegment *segment, gint64 from_us, gint64 to_us,
           const char *path, volatile gint *cancelled, CrJoinedRecording *joined,
           GError **error)
{
  g_autoptr (AVFormatContext) input = NULL;
  g_autoptr (AVPacket) packet = av_packet_alloc ();
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func (
      (GDestroyNotify) cr_av_free_packet);
  gboolean started = FALSE;
  gboolean first_part = !joiner->header_written;
  gint64 first_us = 0, shift_us = 0;
  CrJoinedPart part = { 0 };
  int ret;

  ret = avformat_open_input (&input, segment->path, NULL, NULL);
  if (ret < 0)
    return av_failed (error, ret, "Could not open segment '%s'", segment->path);
  if (joiner->output == NULL)
    {
      if (!joiner_open (joiner, input, path, joined, error))
        return FALSE;
    }
  else if (!same_streams (joiner, input, segment->path, error))
    return FALSE;

  if (from_us > 0)
    {
      AVStream *video = input->streams[joiner->video];
      gint64 target = av_rescale_q (from_us, AV_TIME_BASE_Q, video->time_base);

      ret = avformat_seek_file (input, joiner->video, G_MININT64, target, target, 0);
      if (ret < 0)
        return av_failed (error, ret, "Could not seek in '%s'", segment->path);
    }

  while ((ret = av_read_frame (input, packet)) >= 0)
    {
      AVStream *in = input->streams[packet->stream_index];
      gint64 pts_us;

      if (cancelled != NULL && g_atomic_int_get (cancelled))
        {
          g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_CANCELLED, "Cancelled");
          return FALSE;
        }
      if (packet->pts == AV_NOPTS_VALUE)
        {
          av_packet_unref (packet);
          continue;
        }
      pts_us = av_rescale_q (packet->pts, in->time_base, AV_TIME_BASE_Q);
      if (pts_us >= to_us)
        {
          av_packet_unref (packet);
          if (packet->stream_index == joiner->video)
            break;
          continue;
        }
      if (!started)
        {
          if (packet->stream_index != joiner->video)
            {
              AVPacket *held = av_packet_alloc ();

              if (held == NULL)
                return av_failed (error, AVERROR (ENOMEM), "Could not read '%s'",
                                  segment->path);
              av_packet_move_ref (held, packet);
              g_ptr_array_add (pending, held);
              continue;
            }
          if (!(packet->flags & AV_PKT_FLAG_KEY))
            {
              av_packet_unref (packet);
              continue;
            }
          started = TRUE;
          first_us = pts_us;
          shift_us = joiner->end_us - first_us;
          part.joined_us = joiner->end_us;
          part.utc_us = segment->started_us + first_us;
          for (guint p = 0; p < pending->len; p++)
            {
              AVPacket *held = g_ptr_array_index (pending, p);
              AVStream *held_in = input->streams[held->stream_index];

              /* Nothing before the copy's first frame. */
              if (first_part &&
                  av_rescale_q (held->pts, held_in->time_base, AV_TIME_BASE_Q) < first_us)
                continue;
              if (!write_packet (joiner, held_in, held, shift_us, path, error))
                return FALSE;
            }
          g_ptr_array_set_size (pending, 0);
        }
      else if (first_part && pts_us < first_us)
        {
          av_packet_unref (packet);
          continue;
        }
      if (!write_packet (joiner, in, packet, shift_us, path, error))
        return FALSE;
    }
  /* A segment cut short by a crash ends in a read error: what could be
   * read of it is what the index recorded. */
  if (!started)
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                   "Segment '%s' has no video keyframe in the window", segment->path);
      return FALSE;
    }
  part.duration_us = joiner->end_us - part.joined_us;
  g_array_append_val (joined->parts, part);
  return TRUE;
}

gboolean
cr_segment_join (GArray *segments, gint64 from_us, gint64 to_us, const char *output_path,
                 volatile gint *cancelled, CrJoinedRecording *joined, GError **error)
{
  Joiner joiner = { 0 };
  gboolean ok = FALSE;
  gint64 from = from_us != 0 ? from_us : G_MININT64;
  gint64 to = to_us != 0 ? to_us : G_MAXINT64;
  int ret;

  memset (joined, 0, sizeof *joined);
  joined->parts = g_array_new (FALSE, TRUE, sizeof (CrJoinedPart));
  for (guint i = 0; i < segments->len; i++)
    {
      const CrRenderSegment *segment = &g_array_index (segments, CrRenderSegment, i);
      gint64 start = segment->started_us;
      gint64 end = start + segment->duration_us;

      if (end <= from || start >= to)
        continue;
      if (!join_part (&joiner, segment, from > start ? from - start : 0,
                      to < end ? to - start : G_MAXINT64, output_path, cancelled, joined,
                      error))
        goto out;
    }
  if (!joiner.header_written)
    {
      g_autofree char *a = from_us != 0 ? cr_format_utc (from_us) : g_strdup ("the start");
      g_autofree char *b = to_us != 0 ? cr_format_utc (to_us) : g_strdup ("the end");
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                   "No segment holds anything between %s and %s", a, b);
      goto out;
    }
  ret = av_write_trailer (joiner.output);
  if (ret < 0)
    {
      av_failed (error, ret, "Could not write '%s'", output_path);
      goto out;
    }
  joined->duration_us = joiner.end_us;
  ok = TRUE;
out:
  joiner_clear (&joiner);
  if (!ok)
    cr_joined_recording_clear (joined);
  return ok;
}
