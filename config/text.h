/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* text.h: text that comes from outside (a request, a config file, a file on
 * disk, the command line), checked on its way in and escaped on its way to
 * a log line or a terminal, so that nobody can forge a log line, move a
 * clerk's cursor or flood a screen with what they typed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_TEXT_ERROR (cr_text_error_quark ())
GQuark cr_text_error_quark (void);

typedef enum {
  CR_TEXT_ERROR_INVALID,  /* not UTF-8, a control character, too long */
} CrTextError;

/* How many characters of outside text a log line or a terminal shows. */
#define CR_TEXT_SHOWN_MAX 200

/* @text (@length bytes, or up to its NUL when -1) made safe to print:
 * control characters (C0, DEL, C1), line and paragraph separators and the
 * bidirectional overrides become \u001b-style escapes, a backslash becomes
 * "\\", bytes that are not UTF-8 become \xNN, and text longer than
 * @max_chars characters is cut there and followed by "… (N bytes)".
 * NULL gives "(null)". (transfer full) */
char *cr_text_escape (const char *text, gssize length, gsize max_chars);

/* cr_text_escape() with CR_TEXT_SHOWN_MAX, for log lines and messages:
 * the result lives until the calling thread's next 16 calls, so that it can
 * stand inside a g_message() argument list. (transfer none) */
const char *cr_text_shown (const char *text);

/* Checks outside text before it is used: valid UTF-8, at most @max_chars
 * characters, no control characters (a newline and a tab only when
 * @multiline), no line separators or bidirectional overrides. The error
 * names @what (e.g. "Field \"text\""). */
gboolean cr_text_validate (const char *text, const char *what, gsize max_chars,
                           gboolean multiline, GError **error);

G_END_DECLS
