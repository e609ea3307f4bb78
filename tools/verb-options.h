/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verb-options.h: the limits of a verb's arguments, and the room configs
 * the global -c names. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most characters an argument may have, by what it is (the daemon
 * holds a case number, a title, a reason and a marker to the same). */
#define CASE_MAX_CHARS 100
#define LINE_MAX_CHARS 200      /* a title, a reason, a name, a word */
#define NOTE_MAX_CHARS 2000     /* a marker's text, an archive note */

/* Set by the global options (-c FILE, repeatable for 'rooms'). */
extern char **config_paths;
/* --token-file: an account's token for the control verbs, or NULL. */
extern char *token_file_path;

gboolean parse_session_id (const char *verb, const char *text, gint64 *session_id, int *exit_code);

G_END_DECLS
