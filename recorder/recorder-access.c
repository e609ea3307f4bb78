/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-access.c: the recorder's litigant access and render queue
 * (recorder.h, recorder-private.h). */
#include "recorder/recorder-private.h"

void
cr_recorder_access_start (CrRecorder *recorder)
{
}

void
cr_recorder_access_stop (CrRecorder *recorder)
{
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
