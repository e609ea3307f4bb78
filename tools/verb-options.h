/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verb-options.h: a verb's options and arguments, checked, and the
 * room config the global -c names. */
#pragma once

#include <glib.h>

#include "config/config.h"

G_BEGIN_DECLS

/* The most characters an argument may have, by what it is (the daemon
 * holds a case number, a title, a reason and a marker to the same). */
#define CASE_MAX_CHARS 100
#define LINE_MAX_CHARS 200      /* a title, a reason, a name, a word */
#define NOTE_MAX_CHARS 2000     /* a marker's text, an archive note */

/* Set by the global options; used by every verb. */
extern char *config_path;
/* --token-file: an account's token for the control verbs, or NULL. */
extern char *token_file_path;

gboolean parse_verb_options (const char *verb, const char *params, const char *summary,
                             GOptionEntry *entries, int argc, char **argv,
                             guint min_args, guint max_args, char ***positional,
                             int *exit_code);
CrConfig *load_config (int *exit_code);
gboolean parse_session_id (const char *verb, const char *text, gint64 *session_id, int *exit_code);
gboolean parse_required_session (const char *verb, const char *text, gint64 *session_id,
                                 int *exit_code);
CrConfig *load_session_verb (const char *verb, const char *summary, GOptionEntry *entries,
                             int argc, char **argv, char **session_arg, gint64 *session_id,
                             int *exit_code);

G_END_DECLS
