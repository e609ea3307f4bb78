/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-sink.h: "courtrecsegmentsink", the element that writes one
 * segment file. Unlike filesink it makes the file durable as it grows: when
 * the muxer starts a new fragment (a Matroska cluster, known by its
 * element ID; the segment writer keeps them to a second), everything
 * written before it is flushed with fdatasync(2), so a power cut loses at
 * most the fragment being written.
 * At EOS the file and its directory entry are synced before EOS goes on.
 * The file is created at the first buffer, on the segment pipeline's own
 * streaming thread, never in a state change; once it exists, its name
 * synced into the directory, the sink posts an element message named
 * CR_SEGMENT_SINK_OPENED. A file that cannot be created is an error
 * GST_RESOURCE_ERROR_OPEN_WRITE. A full disk in the file's first cluster
 * would leave it a header without a frame, which no player opens: the
 * file is removed again and the sink posts CR_SEGMENT_SINK_WITHDRAWN
 * before its GST_RESOURCE_ERROR_NO_SPACE_LEFT. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_SEGMENT_SINK_OPENED "courtrec-segment-opened"
#define CR_SEGMENT_SINK_WITHDRAWN "courtrec-segment-withdrawn"

/* Registers the element with GStreamer; safe to call more than once. */
void cr_segment_sink_register (void);

G_END_DECLS
