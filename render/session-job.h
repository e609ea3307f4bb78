/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* session-job.h: the render job of a derived copy of one recorded session,
 * as a grant's copy and a publication both start from it: the session's
 * closed segments whose files are still there, the room's audio tracks
 * with their titles (the mix, then each microphone by its label when the
 * room records a track for each), its markers and the room's bit rate.
 * What differs between them (the window, the watermark, the redactions)
 * the caller sets on the job. */
#pragma once

#include "archive/segment-index.h"
#include "config/config.h"
#include "render/render-job.h"

G_BEGIN_DECLS

/* The title of the mix's track, as players show it. */
#define CR_RENDER_MIX_TITLE "混音 / Mix"

/* @session_id's job, to be rendered into @output_dir. Fails when the index
 * cannot be read. (transfer full) */
CrRenderJob *cr_render_job_for_session (CrSegmentIndex *index, const CrConfig *config,
                                        gint64 session_id, const char *output_dir,
                                        GError **error);

/* Sets the job's redactions from a stored list (a JSON array, times in
 * UTC): FALSE with CR_RENDER_ERROR_INVALID when it does not parse. */
gboolean cr_render_job_set_redactions (CrRenderJob *job, const char *list, GError **error);

G_END_DECLS
