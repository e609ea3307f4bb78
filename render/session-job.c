/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* session-job.c: see session-job.h. */
#include "render/session-job.h"

CrRenderJob *
cr_render_job_for_session (CrSegmentIndex *index, const CrConfig *config, gint64 session_id,
                           const char *output_dir, GError **error)
{
  g_autoptr (CrRenderJob) job = cr_render_job_new ();
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) markers = NULL;

  segments = cr_segment_index_list_segments (index, session_id, error);
  if (segments == NULL)
    return NULL;
  markers = cr_segment_index_list_markers (index, session_id, error);
  if (markers == NULL)
    return NULL;

  job->output_dir = g_strdup (output_dir);
  /* An open segment is still being written and a purged one has no file:
   * the copy is made of what is whole (none at all: the renderer refuses
   * the job, and the copy fails there, recorded as any render's failure). */
  for (guint i = 0; i < segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      g_autofree char *path = NULL;

      if (!segment->closed || segment->purged)
        continue;
      path = g_build_filename (config->storage_dir, segment->path, NULL);
      cr_render_job_add_segment (job, path, segment->started_us, segment->duration_us);
    }
  /* The files' audio streams in order: the mix, then each microphone when
   * the room records a track per microphone. */
  cr_render_job_add_track (job, "mix", CR_RENDER_MIX_TITLE);
  if (g_strcmp0 (config->tracks, "mix") != 0)
    for (guint i = 0; i < config->microphones->len; i++)
      {
        const CrInputConfig *microphone = g_ptr_array_index (config->microphones, i);
        cr_render_job_add_track (job, microphone->name,
                                 microphone->label != NULL ? microphone->label
                                                           : microphone->name);
      }

  for (guint i = 0; i < markers->len; i++)
    {
      const CrMarkerRecord *marker = g_ptr_array_index (markers, i);
      cr_render_job_add_marker (job, marker->at_us, marker->text);
    }
  job->video_kbps = config->video_bitrate_kbps;
  return g_steal_pointer (&job);
}

gboolean
cr_render_job_set_redactions (CrRenderJob *job, const char *list, GError **error)
{
  GArray *redactions = cr_redactions_parse (list != NULL ? list : "[]", error);

  if (redactions == NULL)
    return FALSE;
  g_clear_pointer (&job->redactions, g_array_unref);
  job->redactions = redactions;
  return TRUE;
}
