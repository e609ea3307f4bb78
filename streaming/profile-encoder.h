/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* profile-encoder.h: the picture of a stream that wants less than the
 * recording (a platform's bitrate or size limit): the composed picture,
 * handed over raw before the recording's encoder, scaled and encoded again
 * with the recording's x264 settings at the stream's size and bitrate, in
 * a pipeline of its own:
 *
 *   appsrc (raw, capture times) ! videoscale ! video/x-raw,WxH
 *     ! x264enc (as the capture, the stream's bitrate) ! appsink
 *
 * The hand-off never blocks the capture: the appsrc holds two pictures and
 * drops the oldest beyond that. A failure of the pipeline is logged and it
 * is started again (pipeline-guard.h). Nothing here syncs to a clock, so the
 * capture's running times pass through unchanged: an encoded sample's
 * capture time compares with the capture's own samples (the shared AAC). */
#pragma once

#include <gst/gst.h>

#include "config/config.h"

G_BEGIN_DECLS

typedef struct CrProfileEncoder CrProfileEncoder;

/* Called on the encoder's streaming thread for every encoded picture, with
 * its capture time on the system clock. Never block. */
typedef void (*CrProfileSampleFunc) (GstSample *sample, GstClockTime capture_time,
                                     gpointer user_data);

/* (transfer full) */
CrProfileEncoder *cr_profile_encoder_new (const CrConfig *config, guint width, guint height,
                                          guint bitrate_kbps, CrProfileSampleFunc func,
                                          gpointer user_data, GError **error);
void cr_profile_encoder_free (CrProfileEncoder *encoder);

gboolean cr_profile_encoder_start (CrProfileEncoder *encoder, GError **error);
void cr_profile_encoder_stop (CrProfileEncoder *encoder);

/* One composed picture, @capture_time on the system clock. Any thread;
 * never blocks; dropped while stopped. */
void cr_profile_encoder_push (CrProfileEncoder *encoder, GstSample *sample,
                              GstClockTime capture_time);
/* The next picture out will be a keyframe. Any thread. */
void cr_profile_encoder_request_keyframe (CrProfileEncoder *encoder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrProfileEncoder, cr_profile_encoder_free)

G_END_DECLS
