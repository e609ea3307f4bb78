/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* alarms.h: the recorder's standing alarms (a lost input, a silent
 * microphone, a low or full disk, a device key that cannot seal), shown by
 * status until they clear. Each is a span in the running session's log:
 *
 *   "alarm"          {"alarm","input","label","message","since"}  raised,
 *                    or standing when the session began (then at its start)
 *   the event that clears it (input-back, microphone-sound, disk-ok,
 *   recording-resumed, or else alarm-cleared), one, with
 *                    {"alarm","input","label","since","until", ...}
 *
 * with "since" and "until" in UTC; an alarm not cleared by the session's
 * stop lasted until then. Main loop only. */
#pragma once

#include <glib.h>

#include "archive/event-kind.h"
#include "pipelines/capture.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef struct {
  CrEventKind what;             /* input-lost, microphone-silent, disk-..., seal-... */
  char *input;                  /* the input's NAME, "disk" or "device-key" */
  char *label;                  /* the input's label, the storage dir, the key file */
  char *message;
  gint64 since_us;
} CrAlarm;

void cr_alarm_free (CrAlarm *alarm);

/* Stands from now, logged for the operator and in the session. */
void cr_alarms_raise (CrRecorder *recorder, CrEventKind what, const char *input,
                      const char *label, const char *message);
/* The standing alarm @what of @input, or NULL. (transfer none) */
CrAlarm *cr_alarms_find (CrRecorder *recorder, CrEventKind what, const char *input);
/* Ends it with one event in the session, of @kind (CR_EVENT_INPUT_BACK,
 * _MICROPHONE_SOUND, _DISK_OK, _RECORDING_RESUMED or _ALARM_CLEARED), its
 * detail {"alarm","input","label","since","until"} and the string pairs
 * given after, ended by NULL. Nothing when it does not stand. */
void cr_alarms_clear (CrRecorder *recorder, CrEventKind what, const char *input,
                      CrEventKind kind, const char *first_key, ...);

/* Logs every standing alarm into the session that has just begun (or
 * resumed after a crash) at @at_us, its start, as if raised then, and an
 * input-lost event for every input down: a fault that was there before the
 * hearing is one of the hearing, from its first instant. */
void cr_alarms_log_standing (CrRecorder *recorder, gint64 at_us);

/* The capture's input callback (CrInputFunc): input-lost and input-back. */
void cr_alarms_on_input (CrInput *input, CrInputState state, const char *reason,
                         gpointer user_data);
/* Counts every microphone's silence from now on. */
void cr_alarms_restart_silence (CrRecorder *recorder);
/* Once a second (a GSourceFunc on the recorder): the silence alarm. */
gboolean cr_alarms_check_silence (gpointer user_data);

G_END_DECLS
