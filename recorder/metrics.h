/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* metrics.h: the recorder's state for Prometheus, in the text exposition
 * format 0.0.4, served at /metrics on the control listener.
 *
 * Every series has the label room (the config's room id) and at most one
 * or two of input (a camera's or microphone's NAME), destination (a
 * [stream NAME] or "hls") and kind or state, all from the config or from
 * short fixed lists: a case number, a title or a person never appears, so
 * that what is scraped is bounded and says nothing that the court keeps
 * to the API. Base units, `_total` on counters:
 *
 *   courtrec_build_info{version}                1
 *   courtrec_start_time_seconds                 when courtrecd started (Unix)
 *   courtrec_recording{state}                   1 for the recorder's state
 *                                               (standby|recording|paused), 0 for the others
 *   courtrec_capturing                          capture delivers video
 *   courtrec_recorded_seconds_total             the hearing's time in segment files
 *   courtrec_segments_closed_total              files finished, hashed and indexed
 *   courtrec_input_up{input,kind}               camera or microphone delivering
 *   courtrec_input_losses_total{input,kind}
 *   courtrec_audio_peak_dbfs{input}             the latest 100 ms, -100 for no sound
 *   courtrec_audio_rms_dbfs{input}
 *   courtrec_audio_silent_seconds{input}        silent this long while recording
 *   courtrec_disk_free_bytes, courtrec_disk_runway_seconds  (absent when unreadable)
 *   courtrec_broadcast_on_air                   an approved session is on air
 *   courtrec_destination_running{destination}   started (on air, by autostart or hand)
 *   courtrec_destination_up{destination}        bytes are leaving
 *   courtrec_destination_sent_bytes_total{destination}
 *   courtrec_destination_reconnects_total{destination}
 *   courtrec_destination_dropped_frames_total{destination,kind=video|audio}
 *   courtrec_alarms{kind}                       alarms standing, by kind
 *   courtrec_http_connections{kind=control|public}
 *   courtrec_http_refused_total{kind}
 *
 * Counters count from courtrecd's start (Prometheus sees a restart as a
 * reset). Main loop only. */
#pragma once

#include <glib.h>

#include "recorder/http-server.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

#define CR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct CrMetrics CrMetrics;

/* @recorder is borrowed and must outlive it. (transfer full) */
CrMetrics *cr_metrics_new (CrRecorder *recorder);
void cr_metrics_free (CrMetrics *metrics);

/* Counts @http's connections and refusals under its name
 * (cr_http_server_get_name); borrowed until removed. */
void cr_metrics_add_listener (CrMetrics *metrics, CrHttpServer *http);
void cr_metrics_remove_listener (CrMetrics *metrics, CrHttpServer *http);

/* The exposition, @length bytes (transfer full). */
char *cr_metrics_render (CrMetrics *metrics, gsize *length);

/* @value escaped for a label value of the text format: backslash, double
 * quote and line feed. (transfer full) */
char *cr_metrics_escape_label (const char *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrMetrics, cr_metrics_free)

G_END_DECLS
