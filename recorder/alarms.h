/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* alarms.h: the recorder's standing alarms (a lost input, a silent
 * microphone, a low or full disk), each raised and cleared as an event of
 * the running session and shown by status until it clears. Main loop only. */
#pragma once

#include <glib.h>

#include "pipelines/capture.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef struct {
  char *what;                   /* input-lost, microphone-silent, disk-low, disk-full */
  char *input;                  /* the input's NAME, "disk" or "device-key" */
  char *label;                  /* the input's label, the storage dir, the key file */
  char *message;
  gint64 since_us;
} CrAlarm;

void cr_alarm_free (CrAlarm *alarm);

/* Stands from now, logged for the operator and in the session. */
void cr_alarms_raise (CrRecorder *recorder, const char *what, const char *input,
                      const char *label, const char *message);
/* The standing alarm @what of @input, or NULL. (transfer none) */
CrAlarm *cr_alarms_find (CrRecorder *recorder, const char *what, const char *input);
void cr_alarms_clear (CrRecorder *recorder, const char *what, const char *input);

/* Logs every standing alarm into the session that has just begun (or
 * resumed after a crash), as if raised at its start: a fault that was
 * there before the hearing is one of the hearing. */
void cr_alarms_log_standing (CrRecorder *recorder);

/* The capture's input callback (CrInputFunc): input-lost and input-back. */
void cr_alarms_on_input (CrInput *input, CrInputState state, const char *reason,
                         gpointer user_data);
/* Once a second (a GSourceFunc on the recorder): the silence alarm. */
gboolean cr_alarms_check_silence (gpointer user_data);

G_END_DECLS
