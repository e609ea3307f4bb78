/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-vod.c: the recorder's publications (recorder.h,
 * recorder-private.h, vod-service.h). */
#include "recorder/recorder-private.h"

#include "vod/vod-service.h"

static struct CrRenderQueue *
render_queue (gpointer user_data)
{
  return cr_recorder_get_render_queue (user_data);
}

static struct CrDeviceKey *
device_key (gpointer user_data)
{
  CrRecorder *recorder = user_data;
  return recorder->key;
}

void
cr_recorder_vod_start (CrRecorder *recorder)
{
  recorder->vod = cr_vod_service_new (recorder->index, recorder->config, render_queue,
                                      device_key, recorder);
}

void
cr_recorder_vod_resume (CrRecorder *recorder)
{
  if (recorder->vod != NULL)
    cr_vod_service_resume (recorder->vod);
}

void
cr_recorder_vod_stop (CrRecorder *recorder)
{
  g_clear_pointer (&recorder->vod, cr_vod_service_free);
}

CrVodService *
cr_recorder_get_vod_service (CrRecorder *recorder)
{
  g_return_val_if_fail (recorder != NULL, NULL);
  return recorder->vod;
}
