/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod-redactions.h: a publication's redaction list (the contract's
 * format: mute, blur and cut entries, each with a span, a reason and who
 * made it), checked and put in its stored form: times in UTC text, "by"
 * filled in with the approver's account where it was left out. A time may
 * be given as UTC ISO text or as an offset from the session's start
 * (HH:MM:SS[.fff], MM:SS or seconds). */
#pragma once

#include <glib.h>

#include "archive/records.h"
#include "config/config.h"

G_BEGIN_DECLS

/* The most entries one list may hold, and its longest JSON text. */
#define CR_VOD_REDACTIONS_MAX 100
#define CR_VOD_REDACTIONS_MAX_CHARS 32768

/* @text (a JSON array, or NULL / "" for none) checked against @session
 * (its span) and @config (the microphones a mute may name); the stored
 * form. An error (G_IO_ERROR_INVALID_DATA) names the entry and the field.
 * (transfer full) */
char *cr_vod_redactions_normalize (const char *text, const CrSessionRecord *session,
                                   const CrConfig *config, const char *by, GError **error);

/* A time as the list may give it: UTC text, or an offset from @start_us.
 * FALSE when it is neither. */
gboolean cr_vod_redaction_time (const char *text, gint64 start_us, gint64 *utc_us);

G_END_DECLS
