/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pipeline-guard.c: see pipeline-guard.h. */
#include "streaming/pipeline-guard.h"

#include "streaming/handoff.h"

#include "config/text.h"
#define RESTART_DELAY_S 1

struct CrPipelineGuard {
  GstElement *pipeline;
  char *what;
  gboolean active;
  guint watch;
  guint timer;
  guint failures;
};

static gboolean
play_again (gpointer data)
{
  CrPipelineGuard *guard = data;

  guard->timer = 0;
  if (guard->active &&
      gst_element_set_state (guard->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    g_warning ("%s would not start again", cr_text_shown (guard->what));
  return G_SOURCE_REMOVE;
}

static gboolean
on_message (GstBus *bus, GstMessage *message, gpointer data)
{
  CrPipelineGuard *guard = data;
  g_autofree char *reason = cr_handoff_bus_failure (message);

  if (reason == NULL || !guard->active)
    return G_SOURCE_CONTINUE;
  guard->failures++;
  g_warning ("%s failed (%s); starting it again in %u s", cr_text_shown (guard->what),
             cr_text_shown (reason),
             RESTART_DELAY_S);
  gst_element_set_state (guard->pipeline, GST_STATE_NULL);
  if (guard->timer == 0)
    guard->timer = g_timeout_add_seconds (RESTART_DELAY_S, play_again, guard);
  return G_SOURCE_CONTINUE;
}

CrPipelineGuard *
cr_pipeline_guard_new (GstElement *pipeline, const char *what)
{
  CrPipelineGuard *guard = g_new0 (CrPipelineGuard, 1);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);

  guard->pipeline = pipeline;
  guard->what = g_strdup (what);
  guard->watch = gst_bus_add_watch (bus, on_message, guard);
  return guard;
}

void
cr_pipeline_guard_free (CrPipelineGuard *guard)
{
  if (guard == NULL)
    return;
  if (guard->timer != 0)
    g_source_remove (guard->timer);
  if (guard->watch != 0)
    g_source_remove (guard->watch);
  g_free (guard->what);
  g_free (guard);
}

void
cr_pipeline_guard_set_active (CrPipelineGuard *guard, gboolean active)
{
  guard->active = active;
  if (!active && guard->timer != 0)
    {
      g_source_remove (guard->timer);
      guard->timer = 0;
    }
}

guint
cr_pipeline_guard_get_failures (CrPipelineGuard *guard)
{
  return guard->failures;
}
