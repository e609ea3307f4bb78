/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redaction-options.h: the redaction options of `access grant` and
 * `publish`, the contract's short forms
 *   --mute TRACK@FROM-TO:REASON   --blur X,Y,W,H@FROM-TO:REASON
 *   --cut FROM-TO:REASON
 * turned into the JSON list the daemon checks (archive/redaction-list.h).
 * FROM and TO are UTC ("2026-11-27T02:13:25.316Z") or offsets from the
 * session's start (HH:MM:SS, MM:SS or seconds), which the daemon
 * resolves. Only the form is checked here; tracks, the picture and the
 * session's span are the daemon's to check. */
#pragma once

#include <glib.h>

#include "tools/verbs.h"

G_BEGIN_DECLS

/* The list of @call's --mute, --blur and --cut as JSON text, messages
 * starting with @verb ("access grant"); NULL when
 * none is given (*@code EXIT_OK) or on a usage error (printed, naming the
 * option; *@code EXIT_USAGE). (transfer full) */
char *redaction_options_json (VerbCall *call, const char *verb, int *code);

G_END_DECLS
