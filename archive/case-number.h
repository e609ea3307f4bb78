/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* case-number.h: the national case number (案号), e.g. （2026）浙1022民初123号.
 * People type it with half- or full-width brackets, stray spaces and
 * full-width digits; the index stores one canonical form so that a session is
 * found by any typing of its number. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_CASE_NUMBER_ERROR (cr_case_number_error_quark ())
GQuark cr_case_number_error_quark (void);

typedef enum {
  CR_CASE_NUMBER_ERROR_INVALID,
} CrCaseNumberError;

/* Returns the canonical form of @text: full-width round brackets, ASCII
 * digits, no spaces, serial without leading zeros. A malformed number gives
 * NULL and an error that says what is wrong with it. (transfer full) */
char *cr_case_number_canonicalize (const char *text, GError **error);

G_END_DECLS
