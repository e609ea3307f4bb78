/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* export.c: see export.h.
 *
 * The timeline of an exported session. A session's segments are back to
 * back except across a pause or a crash; the MP4 joins every part of the
 * session back to back, with no gap, and says in its metadata (comment)
 * and in the package (timeline.tsv) at which MP4 time each part starts and
 * the UTC time that was. A recess kept as a timestamp jump would make an
 * MP4 that players show as one frame frozen for the whole recess, with a
 * hole in the audio, and whose length no longer matches the recorded time
 * in the index; joined, the MP4 is exactly what was recorded, and the real
 * time of every part stays on record beside it.
 *
 * Parts are joined on the reference stream (the first video stream): the
 * recorder cuts segments at video keyframes and stamps every stream of a
 * segment from the same clock, so the first frame of a part is placed
 * where the last frame of the previous part ends, and the part's other
 * streams move by the same amount, which keeps them in sync. */
#include "archive/export.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libavformat/avformat.h>

#include "archive/av-cleanup.h"
#include <libavutil/avutil.h>
#include <libavutil/mathematics.h>
#include <string.h>

#include "archive/bagit.h"
#include "archive/report.h"

G_DEFINE_QUARK (cr-export-error-quark, cr_export_error)

/* --- the plan: which part of which segment goes into which MP4 ---------- */

/* One segment's share of an MP4. Times without "utc" are in the segment
 * file's own time, which starts at 0 at its first frame, the frame whose
 * UTC time is the segment's started_us. */
typedef struct {
  const CrSegmentRecord *segment;  /* owned by the SessionPlan */
  char *path;                      /* absolute */
  gint64 from_us;                  /* start at the keyframe at or before this */
  gint64 to_us;                    /* end before this; G_MAXINT64: the end */
  /* Known once remuxed. */
  gint64 first_us;                 /* its first exported frame */
  gint64 mp4_start_us;             /* where that frame is in the MP4 */
  gint64 duration_us;
} Part;

typedef struct {
  CrSessionRecord *session;
  GPtrArray *segments;             /* CrSegmentRecord */
  GPtrArray *parts;                /* Part */
} SessionPlan;

static void
part_free (Part *part)
{
  g_free (part->path);
  g_free (part);
}

static void
session_plan_free (SessionPlan *plan)
{
  if (plan == NULL)
    return;
  g_clear_pointer (&plan->session, cr_session_record_free);
  g_clear_pointer (&plan->segments, g_ptr_array_unref);
  g_clear_pointer (&plan->parts, g_ptr_array_unref);
  g_free (plan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SessionPlan, session_plan_free)

static char *
describe_window (const CrExportRequest *request)
{
  g_autofree char *from = request->from_us != 0 ? cr_format_utc (request->from_us) : NULL;
  g_autofree char *to = request->to_us != 0 ? cr_format_utc (request->to_us) : NULL;

  if (from != NULL && to != NULL)
    return g_strdup_printf ("between %s and %s", from, to);
  if (from != NULL)
    return g_strdup_printf ("after %s", from);
  if (to != NULL)
    return g_strdup_printf ("before %s", to);
  return g_strdup ("at all");
}

/* The parts of @session inside the request's window; every file they need
 * is checked here, before anything is written, so that an export never
 * comes out silently short. NULL without error when the session has
 * nothing in the window. */
static SessionPlan *
plan_session (CrSegmentIndex *index, const CrConfig *config,
              const CrExportRequest *request, CrSessionRecord *session,
              GError **error)
{
  g_autoptr (SessionPlan) plan = g_new0 (SessionPlan, 1);
  gint64 from = request->from_us != 0 ? request->from_us : G_MININT64;
  gint64 to = request->to_us != 0 ? request->to_us : G_MAXINT64;

  plan->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) part_free);
  plan->segments = cr_segment_index_list_segments (index, session->id, error);
  if (plan->segments == NULL)
    return NULL;

  for (guint i = 0; i < plan->segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (plan->segments, i);
      gint64 start = segment->started_us;
      gint64 end = segment->closed ? start + segment->duration_us : G_MAXINT64;
      Part *part;
      GStatBuf st;

      /* A closed segment of no length holds no frame (a crash at once
       * after it opened): leaving it out shortens nothing. */
      if (end <= from || start >= to || (segment->closed && segment->duration_us == 0))
        continue;
      if (!segment->closed)
        {
          g_autofree char *at = cr_format_utc (start);
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                       "Segment %u of session %" G_GINT64_FORMAT " is still being "
                       "recorded: stop the session, or end the window before %s",
                       segment->sequence, session->id, at);
          return NULL;
        }

      part = g_new0 (Part, 1);
      part->segment = segment;
      part->path = g_build_filename (config->storage_dir, segment->path, NULL);
      part->from_us = from > start ? from - start : 0;
      part->to_us = to < end ? to - start : G_MAXINT64;
      g_ptr_array_add (plan->parts, part);

      if (g_stat (part->path, &st) != 0)
        {
          int errnum = errno;
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Segment %u of session %" G_GINT64_FORMAT " is missing: "
                       "'%s': %s", segment->sequence, session->id, part->path,
                       g_strerror (errnum));
          return NULL;
        }
      /* A cheap check that the file is the one the index recorded; the
       * full check is the integrity chain's (courtrec verify). */
      if (st.st_size != segment->bytes)
        {
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Segment %u of session %" G_GINT64_FORMAT " ('%s') has %"
                       G_GINT64_FORMAT " bytes but the index recorded %" G_GINT64_FORMAT
                       ": it was changed after it was recorded", segment->sequence,
                       session->id, part->path, (gint64) st.st_size, segment->bytes);
          return NULL;
        }
    }
  if (plan->parts->len == 0)
    return NULL;
  /* Taken only now, so that a plan dropped above leaves it to the caller. */
  plan->session = session;
  return g_steal_pointer (&plan);
}

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

static gboolean
write_mp4 (const CrConfig *config, SessionPlan *plan, const char *path,
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

/* --- the package ----------------------------------------------------------- */

static char *
timeline_tsv (SessionPlan *plan)
{
  GString *tsv = g_string_new (NULL);

  g_string_append_printf (tsv, "# Session %" G_GINT64_FORMAT " of case %s: the parts "
                          "of session-%" G_GINT64_FORMAT ".mp4, joined without the "
                          "gaps between them.\n", plan->session->id,
                          plan->session->case_no, plan->session->id);
  g_string_append (tsv, "part\tmp4_start_s\tduration_s\tutc_start\tsegment\tsegment_sha256\n");
  for (guint i = 0; i < plan->parts->len; i++)
    {
      const Part *part = g_ptr_array_index (plan->parts, i);
      g_autofree char *utc = cr_format_utc (part->segment->started_us + part->first_us);
      g_string_append_printf (tsv, "%u\t%.3f\t%.3f\t%s\t%s\t%s\n", i + 1,
                              part->mp4_start_us / 1e6, part->duration_us / 1e6, utc,
                              part->segment->path,
                              part->segment->sha256 != NULL ? part->segment->sha256 : "");
    }
  return g_string_free (tsv, FALSE);
}

static gboolean
write_text (const char *dir, const char *name, const char *contents, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) local = NULL;

  /* 0640: the bag is closed to others (bagit.h), whatever the umask; it is
   * synced as a whole when it is finished. */
  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0640,
                                 &local))
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_session (CrSegmentIndex *index, const CrConfig *config, SessionPlan *plan,
               const char *payload_dir, gint64 *duration_us, GError **error)
{
  static const struct { CrReportFormat format; const char *name; } reports[] = {
    { CR_REPORT_TEXT, "report.txt" },
    { CR_REPORT_HTML, "report.html" },
    { CR_REPORT_JSON, "report.json" },
  };
  gint64 id = plan->session->id;
  g_autofree char *dir_name = g_strdup_printf ("session-%" G_GINT64_FORMAT, id);
  g_autofree char *dir = g_build_filename (payload_dir, dir_name, NULL);
  g_autofree char *mp4_name = g_strdup_printf ("session-%" G_GINT64_FORMAT ".mp4", id);
  g_autofree char *mp4_path = g_build_filename (dir, mp4_name, NULL);
  g_autofree char *shown = g_strdup_printf ("data/%s/%s", dir_name, mp4_name);
  g_autofree char *timeline = NULL;

  if (g_mkdir (dir, 0750) != 0)
    {
      int errnum = errno;
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                   "Could not create '%s': %s", dir, g_strerror (errnum));
      return FALSE;
    }
  if (!write_mp4 (config, plan, mp4_path, shown, duration_us, error))
    return FALSE;
  timeline = timeline_tsv (plan);
  if (!write_text (dir, "timeline.tsv", timeline, error))
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (reports); i++)
    {
      g_autoptr (GError) local = NULL;
      g_autofree char *report = cr_report_render (index, config, id, reports[i].format,
                                                  &local);
      if (report == NULL)
        {
          g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                       "Could not make the report of session %" G_GINT64_FORMAT ": %s",
                       id, local->message);
          return FALSE;
        }
      if (!write_text (dir, reports[i].name, report, error))
        return FALSE;
    }
  return TRUE;
}

/* The bag's errors are G_IO_ERROR; the ones the user caused are INVALID. */
static void
set_bag_error (GError **error, const GError *cause)
{
  gboolean user = g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY) ||
                  g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_EXISTS);

  g_set_error (error, CR_EXPORT_ERROR,
               user ? CR_EXPORT_ERROR_INVALID : CR_EXPORT_ERROR_FAILED, "%s",
               cause->message);
}

static GPtrArray *
plan_export (CrSegmentIndex *index, const CrConfig *config,
             const CrExportRequest *request, GError **error)
{
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) plans = g_ptr_array_new_with_free_func (
      (GDestroyNotify) session_plan_free);
  g_autoptr (GError) local = NULL;
  gboolean found = FALSE;

  sessions = cr_segment_index_list_sessions (index, request->case_no, &local);
  if (sessions == NULL)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                   "Could not read the index: %s", local->message);
      return NULL;
    }
  if (sessions->len == 0)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "No sessions of case '%s' in the index", request->case_no);
      return NULL;
    }
  for (guint i = 0; i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      SessionPlan *plan;

      if (request->session_id != 0 && session->id != request->session_id)
        continue;
      found = TRUE;
      plan = plan_session (index, config, request, session, &local);
      if (local != NULL)
        {
          if (local->domain == CR_EXPORT_ERROR)
            g_propagate_error (error, g_steal_pointer (&local));
          else
            g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_FAILED,
                         "Could not read the index: %s", local->message);
          return NULL;
        }
      if (plan != NULL)
        {
          /* The plan owns its session from here. */
          g_ptr_array_index (sessions, i) = NULL;
          g_ptr_array_add (plans, plan);
        }
    }
  if (!found)
    {
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "Session %" G_GINT64_FORMAT " is not a session of case '%s'",
                   request->session_id, request->case_no);
      return NULL;
    }
  if (plans->len == 0)
    {
      g_autofree char *window = describe_window (request);
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "Nothing of case '%s'%s was recorded %s", request->case_no,
                   request->session_id != 0 ? " in that session" : "", window);
      return NULL;
    }
  return g_steal_pointer (&plans);
}

static char *
describe_package (const CrConfig *config, const CrExportRequest *request,
                  GPtrArray *plans)
{
  g_autoptr (GString) ids = g_string_new (NULL);
  g_autofree char *window = NULL;

  for (guint i = 0; i < plans->len; i++)
    g_string_append_printf (ids, "%s%" G_GINT64_FORMAT, i == 0 ? "" : ", ",
                            ((SessionPlan *) g_ptr_array_index (plans, i))->session->id);
  if (request->from_us != 0 || request->to_us != 0)
    {
      g_autofree char *between = describe_window (request);
      window = g_strdup_printf ("the part recorded %s", between);
    }
  else
    window = g_strdup ("all that was recorded");
  return g_strdup_printf (
      "Recording of the hearings of case %s in %s, %s (room %s): session(s) %s, %s. "
      "One MP4 per session (H.264 and AAC as recorded, not re-encoded), its "
      "timeline.tsv (the UTC start of each part), and its report as text, HTML "
      "and JSON.", request->case_no, config->court, config->room_name,
      config->room_id, ids->str, window);
}

gboolean
cr_export_package (CrSegmentIndex *index, const CrConfig *config,
                   const CrExportRequest *request, CrExportResult *result,
                   GError **error)
{
  g_autoptr (GPtrArray) plans = NULL;
  g_autoptr (CrBagit) bag = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *description = NULL;
  CrExportResult done = { 0 };
  guint files = 0;

  g_return_val_if_fail (index != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (request->case_no != NULL && *request->case_no != '\0', FALSE);
  g_return_val_if_fail (request->output_dir != NULL && *request->output_dir != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (request->from_us != 0 && request->to_us != 0 && request->from_us >= request->to_us)
    {
      g_autofree char *from = cr_format_utc (request->from_us);
      g_autofree char *to = cr_format_utc (request->to_us);
      g_set_error (error, CR_EXPORT_ERROR, CR_EXPORT_ERROR_INVALID,
                   "The window's start (%s) is not before its end (%s)", from, to);
      return FALSE;
    }

  plans = plan_export (index, config, request, error);
  if (plans == NULL)
    return FALSE;

  bag = cr_bagit_new (request->output_dir, &local);
  if (bag == NULL)
    {
      set_bag_error (error, local);
      return FALSE;
    }
  done.partials_removed = cr_bagit_get_partials_removed (bag);
  for (guint i = 0; i < plans->len; i++)
    {
      gint64 duration_us = 0;

      if (!write_session (index, config, g_ptr_array_index (plans, i),
                          cr_bagit_get_payload_dir (bag), &duration_us, error))
        return FALSE;
      done.sessions++;
      done.media_us += duration_us;
    }

  description = describe_package (config, request, plans);
  cr_bagit_add_info (bag, "Source-Organization", config->court);
  cr_bagit_add_info (bag, "External-Identifier", request->case_no);
  cr_bagit_add_info (bag, "External-Description", description);
  cr_bagit_add_info (bag, "Bag-Software-Agent", "courtrec " COURTREC_VERSION);
  if (!cr_bagit_finish (bag, &done.bytes, &files, &local))
    {
      set_bag_error (error, local);
      return FALSE;
    }
  if (result != NULL)
    *result = done;
  return TRUE;
}
