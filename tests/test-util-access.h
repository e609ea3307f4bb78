/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-access.h: what the tests of the parties' pages share: the
 * accounts, recorded sessions, a request granted through the control API
 * (the code as the slip shows it), the grant's copies ready to play, and
 * HTTP to the public listener with a login's cookie. */
#pragma once

#include <libsoup/soup.h>

#include "tests/test-util.h"

G_BEGIN_DECLS

#define CR_TEST_ACCESS_PASSWORD "access-web-pass-1"

/* clerk1 (clerk) and approver1 (approver); before the daemon starts. */
void cr_test_access_add_users (CrTestRoom *room);
/* A user's API token. (transfer full) */
char *cr_test_access_token (CrTestRoom *room, const char *name);

/* A session of @case_no recorded for about @seconds, with a marker half
 * way (and after it a recess of a second, @with_pause), stopped and
 * sealed. */
gint64 cr_test_access_record (CrTestRoom *room, const char *case_no, double seconds,
                              gboolean with_pause);

/* The clerk's request for @sessions ("all" or "12,13") of @case_no by
 * @requester with @identity, granted by the approver in @mode. Returns
 * the grant's id and the code in *@code. */
gint64 cr_test_access_grant (CrTestRoom *room, const char *case_no, const char *sessions,
                             const char *requester, const char *identity, const char *mode,
                             char **code);

/* Revokes @grant through the API (approver). */
void cr_test_access_revoke (CrTestRoom *room, gint64 grant);

/* Waits until each copy of @grant is rendered. Where the render queue is
 * not built in, makes them the way the renderer lays them out
 * (copies/G<grant>/S<session>/: copy.mp4 by ffmpeg from the session's
 * segments, hls/index.m3u8 and its segments by ffmpeg from it,
 * chapters.json, a manifest and its signature) and marks them rendered
 * in the index with sqlite3. */
void cr_test_access_copies_ready (CrTestRoom *room, gint64 grant);

/* The copy's directory. (transfer full) */
char *cr_test_access_copy_dir (CrTestRoom *room, gint64 grant, gint64 session);

typedef struct {
  guint status;
  char *body;
  gsize length;
  SoupMessageHeaders *headers;   /* the response's */
} CrTestReply;

void cr_test_reply_clear (CrTestReply *reply);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CrTestReply, cr_test_reply_clear)

/* @method @path on the public listener with @cookie ("courtrec_access=…"
 * or NULL) and @body of @content_type (or NULL). */
void cr_test_access_http (CrTestRoom *room, const char *method, const char *path,
                          const char *cookie, const char *content_type, const char *body,
                          CrTestReply *reply);

/* Logs in: returns "courtrec_access=ID" for the Cookie header, or NULL
 * with the reply in *@reply (may be NULL). (transfer full) */
char *cr_test_access_login (CrTestRoom *room, const char *code, const char *id_last4,
                            CrTestReply *reply);

/* Raw bytes to the public listener; what came back until it closed (5 s at
 * most). (transfer full) */
char *cr_test_access_raw (CrTestRoom *room, const char *request, gsize length);

/* The kinds of @session's events with their detail: "kind detail\n" each,
 * read by sqlite3. (transfer full) */
char *cr_test_access_events (CrTestRoom *room, gint64 session);

/* sqlite3 on the room's index (waiting for courtrecd's writes); its
 * output, stripped. (transfer full) */
char *cr_test_access_sql (CrTestRoom *room, const char *query);

G_END_DECLS
