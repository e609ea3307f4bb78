/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* export-mp4.c: the export's remuxer, see export-private.h and, for the
 * timeline it keeps, export.c. Packets are copied as they are (libavformat),
 * never re-encoded: the MP4 holds the recorded bytes. */
#include "archive/export-private.h"

#include <string.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/mathematics.h>

#include "archive/av-cleanup.h"

/* --- the remuxer: segments in, one MP4 out --------------------------------- */

typedef struct {
  AVFormatContext *output;
  char *name;                /* for messages: the MP4's path in the package */
  gboolean header_written;
  int reference;             /* the stream that sets the timeline */
  gint64 *last_dts;          /* per stream, output time base */
  gboolean *inband;          /* per stream: parameter sets go in-band */
  gint64 end_us;             /* end of the reference stream in the MP4 */
  gint64 media_end_us;       /* end of the longest stream in the MP4 */
  gint64 last_reference_us;  /* its latest frame's time in the MP4; -1: none */
  gint64 frame_us;           /* the spacing of its frames seen last */
} Muxer;

static void
muxer_free (Muxer *muxer)
{
  if (muxer == NULL)
    return;
  if (muxer->output != NULL)
    {
      avio_closep (&muxer->output->pb);
      avformat_free_context (muxer->output);
    }
  g_free (muxer->name);
  g_free (muxer->last_dts);
  g_free (muxer->inband);
  g_free (muxer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Muxer, muxer_free)

static gboolean
set_av_error (GError **error, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
set_av_error (GError **error, int code, const char *format, ...)
{
  char text[AV_ERROR_MAX_STRING_SIZE] = "";
  g_autofree char *what = NULL;
  va_list args;

  av_strerror (code, text, sizeof text);
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED, "%s: %s", what, text);
  return FALSE;
}

static gboolean
muxer_open (Muxer *muxer, AVFormatContext *input, const char *path, GError **error)
{
  int ret;

  ret = avformat_alloc_output_context2 (&muxer->output, NULL, "mp4", path);
  if (ret < 0)
    return set_av_error (error, ret, "Could not make '%s'", muxer->name);

  muxer->reference = -1;
  muxer->last_reference_us = -1;
  /* Every stream, in the segment's order: more audio tracks may come. */
  for (guint i = 0; i < input->nb_streams; i++)
    {
      AVStream *in = input->streams[i];
      AVStream *out = avformat_new_stream (muxer->output, NULL);

      if (out == NULL)
        return set_av_error (error, AVERROR (ENOMEM), "Could not make '%s'", muxer->name);
      ret = avcodec_parameters_copy (out->codecpar, in->codecpar);
      if (ret < 0)
        return set_av_error (error, ret, "Could not make '%s'", muxer->name);
      /* Matroska's codec tags mean nothing in MP4: let the muxer choose. */
      out->codecpar->codec_tag = 0;
      out->time_base = in->time_base;
      out->disposition = in->disposition;
      if (muxer->reference < 0 && in->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
        muxer->reference = i;
    }
  if (muxer->reference < 0)
    muxer->reference = 0;
  muxer->last_dts = g_new (gint64, input->nb_streams);
  muxer->inband = g_new0 (gboolean, input->nb_streams);
  for (guint i = 0; i < input->nb_streams; i++)
    muxer->last_dts[i] = AV_NOPTS_VALUE;

  ret = avio_open (&muxer->output->pb, path, AVIO_FLAG_WRITE);
  if (ret < 0)
    return set_av_error (error, ret, "Could not create '%s'", muxer->name);
  return TRUE;
}

static gboolean
muxer_write_header (Muxer *muxer, const char *title, gint64 first_utc_us,
                    GError **error)
{
  g_autoptr (AVDictionary) options = NULL;
  g_autofree char *created = cr_format_utc (first_utc_us);
  int ret;

  av_dict_set (&muxer->output->metadata, "title", title, 0);
  /* Read when the header is written: the first exported frame's UTC time. */
  av_dict_set (&muxer->output->metadata, "creation_time", created, 0);
  /* The index at the front, so that the file plays while it downloads. */
  av_dict_set (&options, "movflags", "+faststart", 0);
  ret = avformat_write_header (muxer->output, &options);
  if (ret < 0)
    return set_av_error (error, ret, "Could not write '%s'", muxer->name);
  muxer->header_written = TRUE;
  return TRUE;
}

/* An avcC record's SPS and PPS as NAL units with @length_size-byte
 * lengths, the form of the samples; NULL if it is not a well-formed avcC. */
static GByteArray *
avcc_parameter_sets (const guint8 *avcc, gsize size, guint *length_size)
{
  g_autoptr (GByteArray) sets = g_byte_array_new ();
  gsize at = 5;

  if (size < 7 || avcc[0] != 1)
    return NULL;
  *length_size = (avcc[4] & 3) + 1;
  for (guint list = 0; list < 2; list++)
    {
      guint count = list == 0 ? avcc[at] & 0x1f : avcc[at];

      at++;
      for (guint i = 0; i < count; i++)
        {
          guint length;
          guint8 prefix[4];

          if (at + 2 > size)
            return NULL;
          length = avcc[at] << 8 | avcc[at + 1];
          at += 2;
          if (at + length > size)
            return NULL;
          for (guint b = 0; b < *length_size; b++)
            prefix[b] = length >> (8 * (*length_size - 1 - b));
          g_byte_array_append (sets, prefix, *length_size);
          g_byte_array_append (sets, avcc + at, length);
          at += length;
        }
      if (list == 0 && at >= size)
        return NULL;
    }
  return g_steal_pointer (&sets);
}

/* A later segment must hold the same streams as the first: an MP4 track
 * has one codec configuration. The one difference that can be carried is
 * H.264 parameter sets (an encoder restarted after a crash): they are then
 * repeated in-band at every keyframe from that part on, which decoders
 * follow. Returns, per stream, the in-band parameter sets in @inband_sets. */
static gboolean
check_same_streams (Muxer *muxer, AVFormatContext *input, const Part *part,
                    GPtrArray *inband_sets, GError **error)
{
  AVFormatContext *output = muxer->output;

  if (input->nb_streams != output->nb_streams)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                   "Segment %u ('%s') has %u streams where the session's first has %u: "
                   "export the parts before and after it as separate windows",
                   part->segment->sequence, part->path, input->nb_streams,
                   output->nb_streams);
      return FALSE;
    }
  for (guint i = 0; i < input->nb_streams; i++)
    {
      const AVCodecParameters *in = input->streams[i]->codecpar;
      const AVCodecParameters *out = output->streams[i]->codecpar;
      gboolean same_extradata = in->extradata_size == out->extradata_size &&
          (in->extradata_size == 0 ||
           memcmp (in->extradata, out->extradata, in->extradata_size) == 0);
      GByteArray *sets = NULL;

      if (in->codec_type != out->codec_type || in->codec_id != out->codec_id ||
          in->width != out->width || in->height != out->height ||
          in->sample_rate != out->sample_rate ||
          in->ch_layout.nb_channels != out->ch_layout.nb_channels)
        {
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Stream %u of segment %u ('%s') is %s %dx%d %d Hz %d ch where "
                       "the session's first segment has %s %dx%d %d Hz %d ch: export "
                       "the parts before and after it as separate windows", i,
                       part->segment->sequence, part->path, avcodec_get_name (in->codec_id),
                       in->width, in->height, in->sample_rate, in->ch_layout.nb_channels,
                       avcodec_get_name (out->codec_id), out->width, out->height,
                       out->sample_rate, out->ch_layout.nb_channels);
          return FALSE;
        }
      if (!same_extradata || muxer->inband[i])
        {
          guint in_length = 0, out_length = 0;
          g_autoptr (GByteArray) out_sets = NULL;

          if (in->codec_id == AV_CODEC_ID_H264)
            {
              sets = avcc_parameter_sets (in->extradata, in->extradata_size, &in_length);
              out_sets = avcc_parameter_sets (out->extradata, out->extradata_size,
                                              &out_length);
            }
          if (sets == NULL || out_sets == NULL || in_length != out_length)
            {
              g_clear_pointer (&sets, g_byte_array_unref);
              g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                           "Stream %u of segment %u ('%s') was encoded with other "
                           "settings than the session's first segment: export the "
                           "parts before and after it as separate windows", i,
                           part->segment->sequence, part->path);
              return FALSE;
            }
          /* From here on, for good: a decoder that took this part's sets
           * in-band keeps them until it is given others. */
          muxer->inband[i] = TRUE;
        }
      g_ptr_array_add (inband_sets, sets);
    }
  return TRUE;
}

static gboolean
prepend_bytes (AVPacket *packet, const GByteArray *bytes)
{
  g_autoptr (AVPacket) joined = av_packet_alloc ();

  if (joined == NULL || av_new_packet (joined, bytes->len + packet->size) < 0 ||
      av_packet_copy_props (joined, packet) < 0)
    return FALSE;
  memcpy (joined->data, bytes->data, bytes->len);
  memcpy (joined->data + bytes->len, packet->data, packet->size);
  av_packet_unref (packet);
  av_packet_move_ref (packet, joined);
  return TRUE;
}

static gboolean
write_packet (Muxer *muxer, const Part *part, AVStream *in, AVPacket *packet,
              const GByteArray *inband_sets, GError **error)
{
  int i = packet->stream_index;
  AVStream *out = muxer->output->streams[i];
  gint64 offset = av_rescale_q (part->mp4_start_us - part->first_us, AV_TIME_BASE_Q,
                                in->time_base);
  int ret;

  /* Matroska stores presentation times only; the recorder encodes without
   * B-frames (x264 tune=zerolatency), so decode order is the same. */
  if (packet->dts == AV_NOPTS_VALUE)
    packet->dts = packet->pts;
  /* The last frame's length sets where the next part starts: never 0,
   * or two frames would share one instant. */
  if (packet->duration <= 0 && in->avg_frame_rate.num > 0)
    packet->duration = av_rescale_q (1, av_inv_q (in->avg_frame_rate), in->time_base);
  if (packet->duration <= 0 && i == muxer->reference && muxer->frame_us > 0)
    packet->duration = av_rescale_q (muxer->frame_us, AV_TIME_BASE_Q, in->time_base);
  packet->pts += offset;
  packet->dts += offset;
  av_packet_rescale_ts (packet, in->time_base, out->time_base);
  /* Where two parts meet, audio of the earlier one can reach a few
   * milliseconds past its last video frame; MP4 needs each track's
   * decode times to increase, so such a packet moves on by one tick. */
  if (muxer->last_dts[i] != AV_NOPTS_VALUE && packet->dts <= muxer->last_dts[i])
    {
      packet->dts = muxer->last_dts[i] + 1;
      packet->pts = MAX (packet->pts, packet->dts);
    }
  muxer->last_dts[i] = packet->dts;
  if (i == muxer->reference)
    {
      gint64 at_us = av_rescale_q (packet->pts, out->time_base, AV_TIME_BASE_Q);

      if (muxer->last_reference_us >= 0 && at_us > muxer->last_reference_us)
        muxer->frame_us = at_us - muxer->last_reference_us;
      muxer->last_reference_us = at_us;
      muxer->end_us = MAX (muxer->end_us,
                           av_rescale_q (packet->pts + packet->duration, out->time_base,
                                         AV_TIME_BASE_Q));
    }
  muxer->media_end_us = MAX (muxer->media_end_us,
                             av_rescale_q (packet->pts + packet->duration, out->time_base,
                                           AV_TIME_BASE_Q));
  packet->pos = -1;
  if (inband_sets != NULL && (packet->flags & AV_PKT_FLAG_KEY) &&
      !prepend_bytes (packet, inband_sets))
    return set_av_error (error, AVERROR (ENOMEM), "Could not write '%s'", muxer->name);

  /* Takes the packet's reference, even when it fails. */
  ret = av_interleaved_write_frame (muxer->output, packet);
  if (ret < 0)
    return set_av_error (error, ret, "Could not write '%s'", muxer->name);
  return TRUE;
}

static void
free_packet_pointer (gpointer packet)
{
  cr_av_free_packet (packet);
}

static void
free_byte_array_or_null (gpointer bytes)
{
  if (bytes != NULL)
    g_byte_array_unref (bytes);
}

/* Copies @part into the MP4: from the keyframe at or before part->from_us
 * to part->to_us, placed where the MP4 ends so far. */
static gboolean
remux_part (Muxer *muxer, SessionPlan *plan, Part *part, gboolean first_part,
            const char *mp4_path, const char *title, GError **error)
{
  g_autoptr (AVFormatContext) input = NULL;
  g_autoptr (AVPacket) packet = av_packet_alloc ();
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func (free_packet_pointer);
  g_autoptr (GPtrArray) inband_sets = g_ptr_array_new_with_free_func (
      free_byte_array_or_null);
  g_autofree gboolean *done = NULL;
  guint streams_done = 0;
  gboolean started = FALSE;
  gint64 read_until_us = 0;
  guint sequence = part->segment->sequence;
  gint64 session_id = plan->session->id;
  int ret;

  if (packet == NULL)
    return set_av_error (error, AVERROR (ENOMEM), "Could not read '%s'", part->path);
  /* No avformat_find_stream_info (): the Matroska track headers carry all
   * that MP4 needs, and probing would decode frames of every segment. */
  ret = avformat_open_input (&input, part->path, NULL, NULL);
  if (ret < 0)
    return set_av_error (error, ret, "Could not open segment %u of session %"
                         G_GINT64_FORMAT " ('%s')", sequence, session_id, part->path);
  if (muxer->output == NULL)
    {
      if (!muxer_open (muxer, input, mp4_path, error))
        return FALSE;
      for (guint i = 0; i < input->nb_streams; i++)
        g_ptr_array_add (inband_sets, NULL);
    }
  else if (!check_same_streams (muxer, input, part, inband_sets, error))
    return FALSE;
  done = g_new0 (gboolean, input->nb_streams);

  if (part->from_us > 0)
    {
      AVStream *reference = input->streams[muxer->reference];
      gint64 target = av_rescale_q (part->from_us, AV_TIME_BASE_Q, reference->time_base);

      /* At most @target: the keyframe at or before it. */
      ret = avformat_seek_file (input, muxer->reference, G_MININT64, target, target, 0);
      if (ret < 0)
        return set_av_error (error, ret, "Could not seek in segment %u of session %"
                             G_GINT64_FORMAT " ('%s')", sequence, session_id, part->path);
    }

  while ((ret = av_read_frame (input, packet)) >= 0)
    {
      int i = packet->stream_index;
      AVStream *in = input->streams[i];
      gint64 pts_us;

      if (done[i])
        {
          av_packet_unref (packet);
          continue;
        }
      if (packet->pts == AV_NOPTS_VALUE)
        {
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Segment %u of session %" G_GINT64_FORMAT " ('%s') has a frame "
                       "without a time", sequence, session_id, part->path);
          return FALSE;
        }
      pts_us = av_rescale_q (packet->pts, in->time_base, AV_TIME_BASE_Q);
      read_until_us = MAX (read_until_us, pts_us);
      if (pts_us >= part->to_us)
        {
          av_packet_unref (packet);
          done[i] = TRUE;
          if (++streams_done == input->nb_streams)
            break;
          continue;
        }

      if (!started)
        {
          if (i != muxer->reference)
            {
              /* Placed once the part's first reference frame is known. */
              AVPacket *held = av_packet_alloc ();
              if (held == NULL)
                return set_av_error (error, AVERROR (ENOMEM), "Could not read '%s'",
                                     part->path);
              av_packet_move_ref (held, packet);
              g_ptr_array_add (pending, held);
              continue;
            }
          if (!(packet->flags & AV_PKT_FLAG_KEY) ||
              (part->from_us > 0 && pts_us > part->from_us))
            {
              g_autofree char *at = cr_format_utc (part->segment->started_us + part->from_us);
              g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                           "Could not find the keyframe at or before %s in segment %u "
                           "of session %" G_GINT64_FORMAT " ('%s')", at, sequence,
                           session_id, part->path);
              return FALSE;
            }
          started = TRUE;
          part->first_us = pts_us;
          part->mp4_start_us = muxer->end_us;
          if (!muxer->header_written &&
              !muxer_write_header (muxer, title, part->segment->started_us + pts_us, error))
            return FALSE;
          for (guint p = 0; p < pending->len; p++)
            {
              AVPacket *held = g_ptr_array_index (pending, p);
              AVStream *held_in = input->streams[held->stream_index];

              /* Cut with the video: nothing before the export's first frame. */
              if (first_part &&
                  av_rescale_q (held->pts, held_in->time_base, AV_TIME_BASE_Q) < pts_us)
                continue;
              if (!write_packet (muxer, part, held_in, held,
                                 g_ptr_array_index (inband_sets, held->stream_index), error))
                return FALSE;
            }
          g_ptr_array_set_size (pending, 0);
        }
      else if (first_part && pts_us < part->first_us)
        {
          /* Audio read after the first frame but meant to play before it. */
          av_packet_unref (packet);
          continue;
        }

      if (!write_packet (muxer, part, in, packet, g_ptr_array_index (inband_sets, i), error))
        return FALSE;
    }

  /* A segment cut short by a crash ends in a read error rather than EOF;
   * the index recorded what could be read of it then. Anything short of
   * that is a failure, never a silently shorter export. */
  if (ret < 0 && ret != AVERROR_EOF &&
      read_until_us < MIN (part->to_us, part->segment->duration_us) - G_USEC_PER_SEC)
    return set_av_error (error, ret, "Could not read segment %u of session %"
                         G_GINT64_FORMAT " ('%s')", sequence, session_id, part->path);
  if (!started)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                   "Segment %u of session %" G_GINT64_FORMAT " ('%s') has no video "
                   "keyframe in the window", sequence, session_id, part->path);
      return FALSE;
    }
  part->duration_us = muxer->end_us - part->mp4_start_us;
  return TRUE;
}

static char *
parts_comment (const CrConfig *config, SessionPlan *plan)
{
  GString *comment = g_string_new (NULL);

  g_string_append_printf (comment, "%s, %s. Session %" G_GINT64_FORMAT
                          ", recorded in %u part(s), joined without the gaps between "
                          "them; MP4 time = UTC:", config->court, config->room_name,
                          plan->session->id, plan->parts->len);
  for (guint i = 0; i < plan->parts->len; i++)
    {
      const Part *part = g_ptr_array_index (plan->parts, i);
      g_autofree char *utc = cr_format_utc (part->segment->started_us + part->first_us);
      g_string_append_printf (comment, "%s %.3f s = %s", i == 0 ? "" : ";",
                              part->mp4_start_us / 1e6, utc);
    }
  return g_string_free (comment, FALSE);
}

gboolean
cr_export_write_mp4 (const CrConfig *config, SessionPlan *plan, const char *path,
           const char *name, gint64 *duration_us, GError **error)
{
  g_autoptr (Muxer) muxer = g_new0 (Muxer, 1);
  g_autofree char *title = g_strdup_printf ("%s session %" G_GINT64_FORMAT,
                                            plan->session->case_no, plan->session->id);
  g_autofree char *comment = NULL;
  int ret;

  muxer->name = g_strdup (name);
  for (guint i = 0; i < plan->parts->len; i++)
    if (!remux_part (muxer, plan, g_ptr_array_index (plan->parts, i), i == 0, path,
                     title, error))
      return FALSE;

  /* The MP4's metadata is written with its index, at the end. */
  comment = parts_comment (config, plan);
  av_dict_set (&muxer->output->metadata, "comment", comment, 0);
  ret = av_write_trailer (muxer->output);
  if (ret < 0)
    return set_av_error (error, ret, "Could not write '%s'", name);
  ret = avio_closep (&muxer->output->pb);
  if (ret < 0)
    return set_av_error (error, ret, "Could not write '%s'", name);
  *duration_us = muxer->media_end_us;
  return TRUE;
}

