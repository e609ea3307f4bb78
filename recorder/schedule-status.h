/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedule-status.h: the status's "schedule" member:
 *
 *   {"timezone", "autostart", "grace_seconds",
 *    "current": null | H, "next": null | H,
 *    "sources": [{"source","location","checked","changed","hearings",
 *                 "skipped","error","error_since"}]}
 *
 * H = {"id","uid","case","title","location","starts","ends","starts_local",
 * "ends_local","public","recording"}: starts/ends in UTC (archive/utc.h),
 * *_local in ISO 8601 with the court's offset ([schedule] timezone, else
 * the machine's), "recording" whether a session of its case records now. */
#pragma once

#include <json-glib/json-glib.h>

#include "recorder/recorder.h"

G_BEGIN_DECLS

/* Adds the member "schedule" to the object @builder is in. */
void cr_schedule_status_add (CrRecorder *recorder, JsonBuilder *builder);

G_END_DECLS
