/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* on-air.h: the recorder's live broadcast policy: a session goes on air
 * only when the court approved its case (and never forbade it); stream
 * control and broadcast decisions (cr_recorder_decide_broadcast,
 * cr_recorder_stream_control in recorder.h) are events of the session.
 * Main loop only. */
#pragma once

#include "recorder/recorder.h"

G_BEGIN_DECLS

/* Puts the running session on or off air as its case's decision says. */
void cr_on_air_update (CrRecorder *recorder);

G_END_DECLS
