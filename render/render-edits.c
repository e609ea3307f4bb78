/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* render-edits.c: the job's UTC times on the joined file's time and on the
 * copy's (see copy-render-private.h). A cut, and what lies outside the
 * window, is removed: the copy's time is the joined time less what was
 * removed before it. A microphone's mute silences the mix over the same
 * span too: the mix carries every microphone, and muting a seat whose
 * voice stays in the default track would redact nothing. */
#include "render/copy-render-private.h"

static gint
compare_spans (gconstpointer a, gconstpointer b)
{
  const CrSpan *x = a, *y = b;

  return x->from_us < y->from_us ? -1 : x->from_us > y->from_us;
}

static void
add_span (GArray *spans, gint64 from_us, gint64 to_us)
{
  CrSpan span = { from_us, to_us };

  if (to_us > from_us)
    g_array_append_val (spans, span);
}

/* Sorted, overlapping spans merged. */
static void
merge_spans (GArray *spans)
{
  guint kept = 0;

  g_array_sort (spans, compare_spans);
  for (guint i = 0; i < spans->len; i++)
    {
      CrSpan *span = &g_array_index (spans, CrSpan, i);
      CrSpan *last = kept > 0 ? &g_array_index (spans, CrSpan, kept - 1) : NULL;

      if (last != NULL && span->from_us <= last->to_us)
        last->to_us = MAX (last->to_us, span->to_us);
      else
        g_array_index (spans, CrSpan, kept++) = *span;
    }
  g_array_set_size (spans, kept);
}

static gint
compare_chapters (gconstpointer a, gconstpointer b)
{
  const CrChapter *x = a, *y = b;

  return x->offset_us < y->offset_us ? -1 : x->offset_us > y->offset_us;
}

gboolean
cr_edit_plan_removed (const CrEditPlan *plan, gint64 at_us)
{
  for (guint i = 0; i < plan->removed->len; i++)
    {
      const CrSpan *span = &g_array_index (plan->removed, CrSpan, i);

      if (at_us < span->from_us)
        return FALSE;
      if (at_us < span->to_us)
        return TRUE;
    }
  return FALSE;
}

gint64
cr_edit_plan_copy_time (const CrEditPlan *plan, gint64 at_us)
{
  gint64 removed = 0;

  for (guint i = 0; i < plan->removed->len; i++)
    {
      const CrSpan *span = &g_array_index (plan->removed, CrSpan, i);

      if (at_us <= span->from_us)
        break;
      removed += MIN (at_us, span->to_us) - span->from_us;
    }
  return at_us - removed;
}

CrEditPlan *
cr_edit_plan_new (const CrRenderJob *job, const CrJoinedRecording *joined)
{
  CrEditPlan *plan = g_new0 (CrEditPlan, 1);
  gint64 end = joined->duration_us;

  plan->removed = g_array_new (FALSE, FALSE, sizeof (CrSpan));
  plan->blurs = g_array_new (FALSE, FALSE, sizeof (CrBlurSpan));
  plan->chapters = g_array_new (FALSE, FALSE, sizeof (CrChapter));
  plan->n_audio = joined->n_audio;
  plan->muted = g_new0 (GArray *, MAX (joined->n_audio, 1));
  for (guint i = 0; i < joined->n_audio; i++)
    plan->muted[i] = g_array_new (FALSE, FALSE, sizeof (CrSpan));

  /* The joiner starts at the keyframe at or before the window: the frames
   * before it go, as do those after its end. */
  if (job->from_us != 0)
    add_span (plan->removed, 0, cr_joined_recording_map (joined, job->from_us));
  if (job->to_us != 0)
    add_span (plan->removed, cr_joined_recording_map (joined, job->to_us), G_MAXINT64);
  for (guint i = 0; i < job->redactions->len; i++)
    {
      const CrRedaction *r = &g_array_index (job->redactions, CrRedaction, i);
      CrSpan span = { cr_joined_recording_map (joined, r->from_us),
                      cr_joined_recording_map (joined, r->to_us) };

      if (span.to_us <= span.from_us)
        continue;
      switch (r->kind)
        {
        case CR_REDACTION_CUT:
          g_array_append_val (plan->removed, span);
          break;
        case CR_REDACTION_BLUR:
          {
            CrBlurSpan blur = { span, r->x, r->y, r->width, r->height };
            g_array_append_val (plan->blurs, blur);
          }
          break;
        case CR_REDACTION_MUTE:
          for (guint t = 0; t < joined->n_audio && t < job->tracks->len; t++)
            {
              const char *name = g_array_index (job->tracks, CrRenderTrack, t).name;

              /* Track 0 is the mix: muted with any microphone. */
              if (g_str_equal (r->track, "all") || t == 0 || g_str_equal (r->track, name))
                g_array_append_val (plan->muted[t], span);
            }
          break;
        }
    }
  merge_spans (plan->removed);
  for (guint i = 0; i < joined->n_audio; i++)
    merge_spans (plan->muted[i]);

  plan->duration_us = cr_edit_plan_copy_time (plan, end);
  for (guint i = 0; i < job->markers->len; i++)
    {
      const CrRenderMarker *m = &g_array_index (job->markers, CrRenderMarker, i);
      gint64 at = cr_joined_recording_map (joined, m->at_us);
      CrChapter chapter;

      /* A marker in a cut or outside the window is not in the copy. */
      if ((job->from_us != 0 && m->at_us < job->from_us) ||
          (job->to_us != 0 && m->at_us >= job->to_us) || cr_edit_plan_removed (plan, at))
        continue;
      chapter.offset_us = cr_edit_plan_copy_time (plan, at);
      chapter.text = m->text;
      if (chapter.offset_us < plan->duration_us)
        g_array_append_val (plan->chapters, chapter);
    }
  g_array_sort (plan->chapters, compare_chapters);
  return plan;
}

void
cr_edit_plan_free (CrEditPlan *plan)
{
  if (plan == NULL)
    return;
  g_array_unref (plan->removed);
  for (guint i = 0; i < plan->n_audio; i++)
    g_array_unref (plan->muted[i]);
  g_free (plan->muted);
  g_array_unref (plan->blurs);
  g_array_unref (plan->chapters);
  g_free (plan);
}
