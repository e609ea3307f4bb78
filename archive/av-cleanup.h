/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* av-cleanup.h: g_autoptr for the libav types the archive reads and
 * writes with, declared once. An AVFormatContext under g_autoptr is an
 * *input* (avformat_close_input); output contexts are freed by hand. */
#pragma once

#include <glib.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>

static inline void
cr_av_close_input (AVFormatContext *context)
{
  avformat_close_input (&context);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AVFormatContext, cr_av_close_input)

static inline void
cr_av_free_packet (AVPacket *packet)
{
  av_packet_free (&packet);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AVPacket, cr_av_free_packet)

static inline void
cr_av_free_dictionary (AVDictionary *dictionary)
{
  av_dict_free (&dictionary);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AVDictionary, cr_av_free_dictionary)
