/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capture.h: the courtroom's capture pipeline, running from daemon start
 * (standby). Every camera and microphone is an input pipeline of its own
 * (input.h) feeding this one through inter channels: the composer lays the
 * cameras out (layout.h) with their labels and, for a lost camera, a
 * "signal lost" slate; the court, room, case number and wall-clock time are
 * burned in; H.264 is encoded once. The microphones are mixed to stereo AAC
 * once and, with [audio] tracks = mix+each, each is also encoded on a track
 * of its own. Encoded samples are handed to whoever records. */
#pragma once

#include <gst/gst.h>

#include "config/config.h"
#include "pipelines/input.h"
#include "pipelines/layout.h"

G_BEGIN_DECLS

#define CR_CAPTURE_ERROR (cr_capture_error_quark ())
GQuark cr_capture_error_quark (void);

typedef enum {
  CR_CAPTURE_ERROR_BUILD,    /* an element is missing or would not link */
  CR_CAPTURE_ERROR_STATE,    /* the pipeline would not start */
  CR_CAPTURE_ERROR_LAYOUT,   /* a layout that this room cannot show */
} CrCaptureError;

/* Track 0 is the video, track 1 the microphone mix, then one track per
 * microphone (mix+each). */
#define CR_TRACK_VIDEO 0
#define CR_TRACK_MIX 1

/* Called on a streaming thread for every encoded sample: hand it over and
 * return; never block, never touch the index. @running_time is the buffer's
 * running time; @utc_us the wall-clock time at which it was captured. */
typedef void (*CrCaptureSampleFunc) (GstSample *sample, guint track,
                                     GstClockTime running_time, gint64 utc_us,
                                     gpointer user_data);

/* Called on a streaming thread for every composed picture (raw, before
 * the encoder) when a stream has a picture of its own; never block: the
 * hand-off drops rather than waits. */
typedef void (*CrCaptureRawFunc) (GstSample *sample, GstClockTime running_time,
                                  gpointer user_data);

/* Called on the main loop when the pipeline reports an error. */
typedef void (*CrCaptureErrorFunc) (const GError *error, const char *debug,
                                    gpointer user_data);

/* Called on the main loop when an input is lost or comes back. */
typedef void (*CrCaptureInputFunc) (CrInput *input, CrInputState state,
                                    const char *reason, gpointer user_data);

typedef struct CrCapture CrCapture;

/* (transfer full) */
CrCapture *cr_capture_new (const CrConfig *config, GError **error);
void cr_capture_free (CrCapture *capture);

void cr_capture_set_sample_func (CrCapture *capture, CrCaptureSampleFunc func,
                                 gpointer user_data);
void cr_capture_set_raw_video_func (CrCapture *capture, CrCaptureRawFunc func,
                                    gpointer user_data);
void cr_capture_set_error_func (CrCapture *capture, CrCaptureErrorFunc func,
                                gpointer user_data);
void cr_capture_set_input_func (CrCapture *capture, CrCaptureInputFunc func,
                                gpointer user_data);

gboolean cr_capture_play (CrCapture *capture, GError **error);
void cr_capture_stop (CrCapture *capture);

/* Asks the encoder for a keyframe now, so a recording starts at once. */
void cr_capture_request_keyframe (CrCapture *capture);

/* The line burned in under the court and room: the case number while a
 * session runs, a standby notice otherwise. */
void cr_capture_set_caption (CrCapture *capture, const char *caption);

/* Switches the layout of the composed picture. */
gboolean cr_capture_set_layout (CrCapture *capture, CrLayoutKind kind,
                                GError **error);
CrLayoutKind cr_capture_get_layout (CrCapture *capture);

/* Tracks, for the segment writer: how many, and each one's name in the
 * files ("video", "mix", then each microphone's NAME). */
guint cr_capture_get_n_tracks (CrCapture *capture);
const char *cr_capture_get_track_name (CrCapture *capture, guint track);

/* Inputs: cameras first, then microphones with a source of their own. */
guint cr_capture_get_n_inputs (CrCapture *capture);
CrInput *cr_capture_get_input (CrCapture *capture, guint index);

/* The latest level of microphone @index (order of the config), in dBFS,
 * measured every 100 ms; -inf before the first measurement. */
void cr_capture_get_level (CrCapture *capture, guint index, double *rms_dbfs,
                           double *peak_dbfs);

/* The latest preview JPEG (preview.h) of @name: "composed" or a camera's
 * NAME; NULL while there is none of the last 2 s (asking opens the
 * branch: ask again in half a second), or when no picture has that name
 * (then *@known is FALSE). Any thread. (transfer full) */
GBytes *cr_capture_get_preview (CrCapture *capture, const char *name, gint64 *captured_us,
                                gboolean *known);

/* The whole capture (inputs and composer) as one gst-launch-1.0
 * description, muxing straight into @reference_file with matroskamux and
 * filesink instead of handing samples over: what the benchmark compares
 * courtrecd against. (transfer full) */
char *cr_capture_describe (const CrConfig *config, const char *reference_file);

/* The encoders as gst-launch fragments ("x264enc ... ! h264parse ! caps",
 * "avenc_aac ... ! aacparse"), for outputs that must encode exactly like
 * the capture (the broadcast slate). (transfer full) */
char *cr_capture_describe_video_encoder (const CrConfig *config);
char *cr_capture_describe_audio_encoder (const CrConfig *config);
/* The composed picture's caps at another size, with what x264 writes into
 * its headers pinned as the recording's (colorimetry, pixel aspect).
 * (transfer full) */
char *cr_capture_describe_picture (const CrConfig *config, guint width, guint height);
/* The same x264 settings at another bitrate (a stream's own encoder).
 * (transfer full) */
char *cr_describe_video_encoder (const CrConfig *config, guint bitrate_kbps);

/* The pipeline's base time on the system clock (CLOCK_MONOTONIC): running
 * time + base time is the instant a sample was captured. */
GstClockTime cr_capture_get_base_time (CrCapture *capture);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrCapture, cr_capture_free)

G_END_DECLS
