/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verbs.h: the verbs of the client, each run with its own name and arguments
 * (argv[0] is the verb); each returns the exit status. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* control-verbs.c */
int run_start (const char *verb, int argc, char **argv);
int run_pause (const char *verb, int argc, char **argv);
int run_resume (const char *verb, int argc, char **argv);
int run_stop (const char *verb, int argc, char **argv);
int run_mark (const char *verb, int argc, char **argv);
int run_layout (const char *verb, int argc, char **argv);
int run_broadcast (const char *verb, int argc, char **argv);
int run_stream (const char *verb, int argc, char **argv);

/* status.c */
int run_status (const char *verb, int argc, char **argv);

/* archive-verbs.c */
int run_sessions (const char *verb, int argc, char **argv);
int run_events (const char *verb, int argc, char **argv);
int run_export (const char *verb, int argc, char **argv);

/* integrity-verbs.c */
int run_verify (const char *verb, int argc, char **argv);
int run_report (const char *verb, int argc, char **argv);
int run_archived (const char *verb, int argc, char **argv);
int run_seal (const char *verb, int argc, char **argv);
int run_retention (const char *verb, int argc, char **argv);

/* user-verbs.c */
int run_user (const char *verb, int argc, char **argv);

G_END_DECLS
