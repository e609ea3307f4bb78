/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-redactions.h: a grant's redaction list, as the approver gives
 * it: a JSON array of {"kind":"mute","track","from","to","reason","by"},
 * {"kind":"blur","x","y","width","height",...} and {"kind":"cut",...},
 * times in UTC or HH:MM:SS from the session's start. Applied to derived
 * copies only (render-job.h); the original is never touched. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text checked: at most 200 flat objects of known kinds, each with a
 * reason and from < to; "by" is @by where not given. Returns the list as
 * JSON text ("[]" for NULL or ""), or NULL with CR_ACCESS_ERROR_INVALID
 * naming the entry and member. (transfer full) */
char *cr_access_redactions_check (const char *text, const char *by, GError **error);

/* The same, and each mute's track is "mix", "all" or one of @microphones
 * (CrInputConfig*), each blur inside @width x @height. */
char *cr_access_redactions_check_for (const char *text, const char *by,
                                      const GPtrArray *microphones, guint width,
                                      guint height, GError **error);

G_END_DECLS
