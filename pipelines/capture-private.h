/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capture-private.h: what the capture's files share: capture.c runs the
 * pipeline, capture-description.c writes it as a gst-launch description
 * from the config. */
#pragma once

#include "pipelines/capture.h"

G_BEGIN_DECLS

/* How late sound may reach the mixer after it was captured: an RTSP
 * input's jitter buffer (200 ms) and decoding. */
#define SOUND_LATENCY (300 * GST_MSECOND)

/* The size every camera delivers its picture at: the grid's tile. */
void cr_capture_grid_tile (const CrConfig *config, guint *tile_w, guint *tile_h);
/* The name of the inter channel of input @index of kind @what ("camera",
 * "microphone", "camera-sound"), unique to the room. (transfer full) */
char *cr_capture_channel_name (const CrConfig *config, const char *what, guint index);
/* The index of the camera called @name, or -1. */
gint cr_capture_camera_index (const CrConfig *config, const char *name);
/* Whether each microphone has a track of its own beside the mix. */
gboolean cr_capture_each_microphone_tracked (const CrConfig *config);
/* The whole capture pipeline: with @reference_file NULL the daemon's,
 * handing samples to appsinks; else the benchmark's, muxing straight into
 * it (cr_capture_describe). (transfer full) */
char *cr_capture_build_description (const CrConfig *config, const char *reference_file);

G_END_DECLS
