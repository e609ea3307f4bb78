/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sealing.h: the recorder's seal policy. Each stopped session is sealed
 * (its chain head signed with the device key) as soon as its last segment
 * has closed. A device key that cannot be used does not stop the
 * recording, but it is never quiet: a standing "seal-unavailable" alarm
 * (input "device-key") says why, an alarm event is in every session
 * recorded meanwhile, and the key is tried again every KEY_RETRY_SECONDS
 * and at every stop. Once it can be used, the sessions stopped meanwhile
 * are sealed late, each with a "seal-late" event (late-seal.h). Main loop
 * only. */
#pragma once

#include "recorder/recorder.h"

G_BEGIN_DECLS

#define KEY_RETRY_SECONDS 30

/* Loads the device key (made at first use) and seals late what is left
 * unsealed, or raises the alarm. At creation, before any session. */
void cr_sealing_init (CrRecorder *recorder);

/* Keeps trying the key while it cannot be used; from cr_recorder_run. */
void cr_sealing_run (CrRecorder *recorder);

/* TRUE when sessions can be sealed now: the key is loaded, or loads now
 * (the alarm then clears and the sessions stopped meanwhile are sealed). */
gboolean cr_sealing_key_usable (CrRecorder *recorder);

/* Seals @session_id once it is stopped and its last segment is closed; not
 * ready yet is not an error. */
void cr_sealing_try (CrRecorder *recorder, gint64 session_id);

G_END_DECLS
