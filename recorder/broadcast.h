/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* broadcast.h: the room's live outputs: one per [stream NAME] (RTMP, RTMPS,
 * SRT) and the built-in HLS, each behind a public feed (delay, cut, slate)
 * fed from the capture's encoders, never from the recording. A stream with
 * a picture of its own (height, video_bitrate_kbps) gets its own encoder
 * (streaming/profile-encoder.h) and its own slate; the sound is shared.
 *
 * Mechanism only: the recorder decides, by the court's broadcast decisions,
 * when a session goes on air (cr_broadcast_go_on_air) and when it must come
 * off. On air, the outputs with autostart (and the HLS) start; the others
 * on `courtrec stream start NAME`. A recess shows the slate on every
 * output; a cut shows it on one output or all. All calls from the main
 * loop, except cr_broadcast_push(). */
#pragma once

#include <json-glib/json-glib.h>

#include "config/config.h"
#include "pipelines/capture.h"

G_BEGIN_DECLS

#define CR_BROADCAST_ERROR (cr_broadcast_error_quark ())
GQuark cr_broadcast_error_quark (void);

typedef enum {
  CR_BROADCAST_ERROR_UNKNOWN, /* no such stream */
  CR_BROADCAST_ERROR_STATE,   /* not on air */
  CR_BROADCAST_ERROR_SETUP,   /* a key file, an element or a URL is wrong */
} CrBroadcastError;

typedef struct CrBroadcast CrBroadcast;

/* Reads every stream key and builds every output (nothing connects).
 * @capture is borrowed. (transfer full) */
CrBroadcast *cr_broadcast_new (const CrConfig *config, CrCapture *capture,
                               GError **error);
void cr_broadcast_free (CrBroadcast *broadcast);

/* The hearing's encoded samples, from the capture's streaming threads. */
void cr_broadcast_push (CrBroadcast *broadcast, GstSample *sample, guint track,
                        GstClockTime running_time);

/* A session of @case_no, approved, goes on air (its autostart outputs and
 * the HLS start); @recess: it is paused (the slate shows). */
void cr_broadcast_go_on_air (CrBroadcast *broadcast, const char *case_no,
                             gboolean recess);
/* Every output stops at once. */
void cr_broadcast_go_off_air (CrBroadcast *broadcast);
void cr_broadcast_set_recess (CrBroadcast *broadcast, gboolean recess);
gboolean cr_broadcast_is_on_air (CrBroadcast *broadcast);

/* @name NULL: every output. The slate replaces the hearing at once. */
gboolean cr_broadcast_cut (CrBroadcast *broadcast, const char *name, gboolean cut,
                           GError **error);
/* Starts or stops one output by hand (on air only, for start); stop with
 * @name NULL stops every output, and the session stays on air (an output
 * can be started again). */
gboolean cr_broadcast_start_output (CrBroadcast *broadcast, const char *name,
                                    GError **error);
gboolean cr_broadcast_stop_output (CrBroadcast *broadcast, const char *name,
                                   GError **error);

/* [{"name","kind" (rtmp|rtmps|srt|hls),"url" (no key),"running","cut",
 *   "showing" (off|waiting|slate|live),"delay_seconds","delay_overflows","autostart",
 *   "encoder" (shared|own; own: "width","height","video_bitrate_kbps"),
 *   "state","bitrate_kbps","bytes_sent","reconnects","watchdog_stalls",
 *   "dropped_video","dropped_audio","backoff_ms","last_error"}]
 * (transfer full) */
JsonNode *cr_broadcast_get_status (CrBroadcast *broadcast);

/* For the public page: "live", "paused" or "off", and the HLS directory
 * while on air (NULL otherwise). */
const char *cr_broadcast_get_public_state (CrBroadcast *broadcast);
const char *cr_broadcast_get_hls_dir (CrBroadcast *broadcast);
const char *cr_broadcast_get_case (CrBroadcast *broadcast);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBroadcast, cr_broadcast_free)

G_END_DECLS
