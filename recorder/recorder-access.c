/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-access.c: the recorder's litigant access and render queue
 * (recorder.h, recorder-private.h). Neither is needed to record: when
 * one cannot be made the room records on, and access answers that it is
 * not available. */
#include "recorder/recorder-private.h"

#include "config/text.h"

#include "render/render-queue.h"

/* The courtrec binary that renders: $CR_COURTREC (tests), else the one
 * beside courtrecd. (transfer full) */
static char *
courtrec_path (void)
{
  const char *override = g_getenv ("CR_COURTREC");
  g_autofree char *self = NULL;
  g_autofree char *dir = NULL;

  if (override != NULL && *override != '\0')
    return g_strdup (override);
  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self == NULL)
    return g_strdup ("courtrec");
  dir = g_path_get_dirname (self);
  return g_build_filename (dir, "courtrec", NULL);
}

static CrDeviceKey *
device_key (gpointer user_data)
{
  CrRecorder *recorder = user_data;
  return recorder->key;
}

void
cr_recorder_access_start (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *courtrec = courtrec_path ();

  recorder->render_queue = cr_render_queue_new (courtrec);
  recorder->access = cr_access_service_new (recorder->index, recorder->config,
                                            recorder->render_queue, device_key, recorder,
                                            &error);
  if (recorder->access == NULL)
    g_warning ("Litigant access is not available: %s", cr_text_shown (error->message));
}

void
cr_recorder_access_stop (CrRecorder *recorder)
{
  g_clear_pointer (&recorder->access, cr_access_service_free);
  g_clear_pointer (&recorder->render_queue, cr_render_queue_free);
}

CrAccessService *
cr_recorder_get_access_service (CrRecorder *recorder)
{
  g_return_val_if_fail (recorder != NULL, NULL);
  return recorder->access;
}

CrRenderQueue *
cr_recorder_get_render_queue (CrRecorder *recorder)
{
  g_return_val_if_fail (recorder != NULL, NULL);
  return recorder->render_queue;
}
