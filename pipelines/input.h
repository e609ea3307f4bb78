/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* input.h: one camera or microphone, isolated in a pipeline of its own.
 *
 * The input pipeline converts whatever its device or stream gives into the
 * raw format the composer or the mixer takes and hands it over through an
 * inter sink on a named channel; the capture pipeline reads the channel
 * with an inter source, which goes on producing (black, or silence) when
 * nothing arrives. So an input that fails, stalls or sends garbage can
 * never stall the recording: this object notices (an error, an end of
 * stream, or no data for a second), reports it, throws the pipeline away
 * and builds a new one with backoff until data flows again. A file is
 * played at its own pace (its sinks wait on the clock) and at its end
 * starts again (loop = true) or has ended: not a failure, no retry. */
#pragma once

#include <gst/gst.h>

#include "config/config.h"

G_BEGIN_DECLS

typedef enum {
  CR_INPUT_CAMERA,
  CR_INPUT_MICROPHONE,
} CrInputRole;

typedef enum {
  CR_INPUT_CONNECTING,   /* pipeline built, no data yet */
  CR_INPUT_LIVE,         /* data flowing */
  CR_INPUT_LOST,         /* failed or stalled; a retry is scheduled */
  CR_INPUT_ENDED,        /* a file played to its end, without loop: for good */
} CrInputState;

typedef struct CrInput CrInput;

/* On the main context, at every change of state; @reason says why an input
 * was lost (NULL otherwise). */
typedef void (*CrInputStateFunc) (CrInput *input, CrInputState state,
                                  const char *reason, gpointer user_data);

/* The raw formats on the channels. A camera's frames are exactly
 * CR_INPUT_VIDEO_CAPS (printf: width, height, framerate) on both sides of
 * the inter channel: intervideosrc renegotiates, and the composer's branch
 * fails not-negotiated, if anything of it differs. */
#define CR_INPUT_VIDEO_CAPS "video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1," \
  "pixel-aspect-ratio=1/1,interlace-mode=progressive,colorimetry=bt601,chroma-site=mpeg2"

/* The raw formats on the channels. */
#define CR_INPUT_AUDIO_CAPS "audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=1"

/* @channel: the inter video channel a camera feeds (NULL for a
 * microphone). @sound: the live appsrc of the capture pipeline that this
 * input's sound goes to (a microphone's, or the sound of a camera's
 * stream; NULL when a camera's sound is not used), and @capture that
 * pipeline: sound keeps its capture timestamps across the hand-off, moved
 * onto the capture pipeline's running time (every pipeline runs on the
 * system clock), so the mixer lines it up exactly with the other sounds.
 * @width x @height at @framerate is the picture a camera delivers.
 * (transfer full) */
CrInput *cr_input_new (const CrInputConfig *config, CrInputRole role,
                       guint index, const char *channel, GstElement *sound,
                       GstElement *capture, guint width, guint height,
                       guint framerate, CrInputStateFunc func,
                       gpointer user_data);
void cr_input_free (CrInput *input);

/* Builds the pipeline and keeps it alive from now on. */
void cr_input_start (CrInput *input);

const char *cr_input_get_name (CrInput *input);
const char *cr_input_get_label (CrInput *input);
CrInputRole cr_input_get_role (CrInput *input);
guint cr_input_get_index (CrInput *input);
CrInputState cr_input_get_state (CrInput *input);
const char *cr_input_state_to_string (CrInputState state);
/* How many times it was lost since start. */
guint cr_input_get_losses (CrInput *input);

/* The gst-launch description of the input pipeline. @sound_channel: NULL
 * for courtrecd's own pipeline (sound ends in an appsink named "sound"),
 * or the interaudiosink channel that sound goes to in the benchmark's
 * one-pipeline reference (where appsink/appsrc cannot be written).
 * (transfer full) */
char *cr_input_describe (const CrInputConfig *config, CrInputRole role,
                         guint index, const char *channel,
                         gboolean with_sound, const char *sound_channel,
                         guint width, guint height, guint framerate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrInput, cr_input_free)

G_END_DECLS
