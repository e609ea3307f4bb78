/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* render-queue.h: courtrecd's renders, one at a time, each in a child
 * process (`courtrec render JOB`) at nice 10, so that a render never takes
 * the capture's CPU first nor shares its address space: a renderer that
 * crashes loses a copy, never a recording. Progress and the end are
 * reported on the main context of the thread that made the queue. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct CrRenderQueue CrRenderQueue;

typedef void (*CrRenderProgress) (double fraction, gpointer user_data);
/* @ok: the copy is in the job's output_dir; else @error_message says why
 * (the renderer's message, or "Cancelled"). @sha256 is NULL unless @ok. */
typedef void (*CrRenderDone) (gboolean ok, const char *sha256, gint64 bytes,
                              gint64 duration_us, const char *error_message,
                              gpointer user_data);

/* @courtrec_path: the client binary that runs `render`. (transfer full) */
CrRenderQueue *cr_render_queue_new (const char *courtrec_path);
/* Frees the queue: the running render is killed (its .partial is removed
 * by the next render of the same copy), the queued ones dropped; no
 * callback is called after this. */
void cr_render_queue_free (CrRenderQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRenderQueue, cr_render_queue_free)

/* Queues @job_path; returns its id (never 0). @progress may be NULL;
 * @done is called once, unless the job is cancelled first or the queue
 * freed. */
guint64 cr_render_queue_submit (CrRenderQueue *queue, const char *job_path,
                                CrRenderProgress progress, CrRenderDone done,
                                gpointer user_data);
/* Drops a queued job, or stops the running one (SIGTERM: the renderer
 * removes what it wrote). Its done callback is called with ok FALSE and
 * "Cancelled" when it was running, not at all when it was only queued.
 * FALSE when @id is not known (already done). */
gboolean cr_render_queue_cancel (CrRenderQueue *queue, guint64 id);
/* Jobs queued or running. */
guint cr_render_queue_length (CrRenderQueue *queue);

G_END_DECLS
