/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coverage-watch.h: the daemon's side of the nightly recording-rate check.
 * `courtrec coverage --nightly` (courtrec-coverage@.timer) files each
 * day's report as STORAGE/coverage/YYYY-MM-DD.json; the recorder reads the
 * newest once a minute and keeps a standing coverage-shortfall alarm
 * (input "schedule", label "coverage") while it names a hearing missing,
 * partial or with an empty or unverifiable file, so that status, the
 * console and /metrics show it until a newer clean report is filed.
 * Main loop only. */
#pragma once

#include "recorder/recorder.h"

G_BEGIN_DECLS

void cr_coverage_watch_check (CrRecorder *recorder);

G_END_DECLS
