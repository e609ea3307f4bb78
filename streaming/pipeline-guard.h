/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pipeline-guard.h: keeps a small always-on pipeline of the live outputs
 * (the broadcast slate, a stream's own encoder) going: on an error or end
 * of stream on its bus, it logs what failed and why, stops the pipeline
 * and plays it again a second later, for as long as its owner wants it
 * running. A destination or the HLS rebuild theirs the same way, with
 * backoff, in their own modules. Main loop only. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct CrPipelineGuard CrPipelineGuard;

/* Watches @pipeline's bus on the thread-default main context; @what names
 * it in the log ("the broadcast slate"). Borrowed: @pipeline outlives the
 * guard. (transfer full) */
CrPipelineGuard *cr_pipeline_guard_new (GstElement *pipeline, const char *what);
void cr_pipeline_guard_free (CrPipelineGuard *guard);

/* Whether the owner wants the pipeline playing: only then is it restarted. */
void cr_pipeline_guard_set_active (CrPipelineGuard *guard, gboolean active);
/* Times it failed and was restarted. */
guint cr_pipeline_guard_get_failures (CrPipelineGuard *guard);

G_END_DECLS
