/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verbs.h: the client's verbs as one table (courtrec.c): each row names a
 * verb, what it does, the options it takes, the role it needs on the
 * daemon and its handler. verb-call.c parses a row's options, checks them
 * and gives the handler a VerbCall, through which it gets the room's
 * config, its index and the daemon's API, each from one place.
 *
 * Adding a verb is one row in courtrec.c plus its handler. */
#pragma once

#include <json-glib/json-glib.h>

#include "accounts/role.h"
#include "archive/segment-index.h"
#include "archive/verify.h"
#include "config/config.h"

G_BEGIN_DECLS

typedef enum {
  OPT_TEXT,     /* a value, checked: UTF-8, no control character, not too long */
  OPT_FLAG,     /* no value */
  OPT_CASE,     /* a case number in any typing, canonicalized */
  OPT_SESSION,  /* a session id, a number from 'courtrec sessions' */
  OPT_FILES,    /* a file name, the option repeatable */
} VerbOptionKind;

typedef struct {
  const char *name;          /* the long name, without "--" */
  char short_name;           /* or 0 */
  VerbOptionKind kind;
  gboolean required;         /* "VERB: --NAME VALUE is required" without it */
  const char *value_name;    /* "CASE"; NULL for a flag */
  const char *description;
  const char *const *choices; /* the values it may take, or NULL for any */
} VerbOption;

typedef struct VerbCall VerbCall;

typedef struct {
  const char *name;
  const char *params;        /* the positional arguments, e.g. "TEXT", or NULL */
  guint min_args, max_args;  /* how many positional arguments */
  /* The role the account whose token it sends needs on the room's
   * courtrecd (the room token is admin); CR_ROLE_ANYONE for a verb that
   * does not call the daemon ("local": it reads and writes the index, the
   * files, the users store itself). */
  CrRole role;
  const char *summary;       /* one line, for the list of verbs */
  const char *description;   /* a sentence or more, for 'courtrec help VERB' */
  const VerbOption *options; /* ended by { NULL }, or NULL for none */
  int (*run) (VerbCall *call);
} Verb;

struct VerbCall {
  const Verb *verb;
  const char *name;          /* the verb's name, for messages */
  char **args;               /* the positional arguments, checked; never NULL */
  guint n_args;
  /* The rest is verb-call.c's: the values of the options, by the
   * position of the option in the verb's row; the config and the index,
   * loaded once. */
  char **text;
  gboolean *flag;
  gint64 *number;
  char ***files;
  CrConfig *config;
  CrSegmentIndex *index;
  char *index_path;
};

/* The table, in courtrec.c. */
extern const Verb cr_verbs[];
extern const gsize cr_n_verbs;
const Verb *find_verb (const char *name);
const char *verb_role_name (CrRole role);

/* verb-call.c: runs @verb on its arguments (argv[0] is the verb's name):
 * options parsed and checked, then the handler; the exit status. */
int run_verb (const Verb *verb, int argc, char **argv);
/* "--case CASE", "-o DIR", "--json". (transfer full) */
char *verb_option_usage (const VerbOption *option);

/* An option's value (the canonical case number for an OPT_CASE), or NULL
 * when it was not given. */
const char *verb_text (VerbCall *call, const char *option);
gboolean verb_flag (VerbCall *call, const char *option);
/* An OPT_SESSION's id, 0 when not given. */
gint64 verb_session (VerbCall *call, const char *option);
/* An OPT_FILES's values, NULL when none. */
char **verb_files (VerbCall *call, const char *option);

/* The room config (-c FILE), loaded once; NULL, with the message printed
 * and *@exit_code set, when it cannot be. */
const CrConfig *verb_config (VerbCall *call, int *exit_code);
/* The room's index, opened once (see index-access.c); the path in
 * call->index_path. */
CrSegmentIndex *verb_index (VerbCall *call, gboolean for_writing, int *exit_code);
/* The daemon's API as the verb: @method @path under /api/v1 with @request
 * (or none); on success *@reply is the JSON. Every failure is printed. */
int verb_call_api (VerbCall *call, const char *method, const char *path,
                   JsonNode *request, JsonNode **reply);
/* POSTs {"NAME": VALUE, ...} (pairs ended by NULL; NULL values left out). */
int verb_post (VerbCall *call, const char *path, JsonNode **reply, ...) G_GNUC_NULL_TERMINATED;

/* The handlers. */
/* control-verbs.c */
int run_start (VerbCall *call);
int run_pause (VerbCall *call);
int run_resume (VerbCall *call);
int run_stop (VerbCall *call);
int run_mark (VerbCall *call);
int run_layout (VerbCall *call);
int run_broadcast (VerbCall *call);
int run_stream (VerbCall *call);

/* status.c */
int run_status (VerbCall *call);

/* rooms.c */
int run_rooms (VerbCall *call);

/* archive-verbs.c */
int run_sessions (VerbCall *call);
int run_events (VerbCall *call);
int run_export (VerbCall *call);

/* integrity-verbs.c */
int run_verify (VerbCall *call);
int run_report (VerbCall *call);
int run_archived (VerbCall *call);
int run_seal (VerbCall *call);
int run_retention (VerbCall *call);
/* The key seals must carry: @given (--public-key), else the device's .pub
 * beside its signing key; NULL when neither (*@exit_code EXIT_OK) or on a
 * failure (printed, *@exit_code set). (transfer full) */
char *verify_trusted_key (const CrConfig *config, const char *given, int *exit_code);
/* A verification's findings, session by session, and the verdict. */
void print_verify_report (const CrVerifyReport *report, gint64 elapsed_us);

/* court-archive-verbs.c */
int run_archive (VerbCall *call);

/* copy-verbs.c */
int run_verify_copy (VerbCall *call);
int run_access_log (VerbCall *call);

/* schedule-verbs.c */
int run_schedule (VerbCall *call);

/* user-verbs.c */
int run_user (VerbCall *call);

/* access-verbs.c */
int run_access (VerbCall *call);

/* vod-verbs.c */
int run_publish (VerbCall *call);
int run_withdraw (VerbCall *call);
int run_publications (VerbCall *call);

/* coverage-verbs.c */
int run_coverage (VerbCall *call);
int run_hearing (VerbCall *call);

/* courtrec.c */
int run_help (VerbCall *call);

/* render-verb.c: `courtrec render JOB.json` (argv[0] is "render"), not in
 * the table: courtrecd's render queue runs it. */
int cr_render_verb_main (int argc, char **argv);

G_END_DECLS
