/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-web-private.h: the body of CrAccessWeb and the answers its
 * files share: access-web.c (the page, the login, the routes),
 * access-web-session.c (what a login sees: the grant, its state, playback
 * events), access-web-files.c (the copies' files and downloads),
 * access-web-request.c (the public request form). */
#pragma once

#include <json-glib/json-glib.h>

#include "access/access-service.h"
#include "accounts/login-guard.h"
#include "recorder/access-logins.h"
#include "recorder/access-web.h"

G_BEGIN_DECLS

#define JSON_TYPE "application/json; charset=utf-8"
#define MPEGURL "application/vnd.apple.mpegurl"

/* HLS files of a copy: a playlist, segments of 2-4 s. */
#define MAX_HLS_BYTES (64 * 1024 * 1024)
/* Downloads at once, all logins together: each holds a descriptor and a
 * share of the uplink for a long time. */
#define MAX_DOWNLOADS 8
#define DOWNLOAD_SEND_BUFFER (32 * 1024)
/* Playback events one login may write into the chains: a page that starts
 * and ends a few dozen times is a person; thousands are a script. */
#define MAX_EVENTS_PER_LOGIN 200
/* Public requests per address within REQUEST_WINDOW. */
#define MAX_REQUESTS_PER_ADDRESS 5
#define REQUEST_WINDOW_US ((gint64) 60 * 60 * G_USEC_PER_SEC)
#define MAX_REQUEST_ADDRESSES 4096

struct CrAccessWeb {
  CrRecorder *recorder;         /* borrowed */
  CrHttpServer *http;           /* borrowed */
  CrAccessLogins *logins;
  CrLoginGuard *guard;
  guint downloads;              /* running now */
  GHashTable *requests_by_address; /* address -> RequestCount */
};

typedef struct {
  gint64 window_start_us;
  guint count;
} RequestCount;

void cr_access_web_respond (SoupServerMessage *msg, guint status, const char *content_type,
                            const char *cache_control, GBytes *body);
void cr_access_web_respond_text (SoupServerMessage *msg, guint status, const char *text);
/* The one answer for whatever a login may not see or is not there. */
void cr_access_web_not_found (SoupServerMessage *msg);
void cr_access_web_respond_json (SoupServerMessage *msg, guint status, JsonBuilder *builder);
void cr_access_web_respond_error (SoupServerMessage *msg, guint status, const char *code,
                                  const char *message);
void cr_access_web_set_retry_after (SoupServerMessage *msg, guint seconds);
/* The party's address (the proxy's X-Real-IP from a loopback peer). */
const char *cr_access_web_address_of (SoupServerMessage *msg);
/* NULL when access is not available in this room. */
CrAccessService *cr_access_web_service_of (CrAccessWeb *web);
/* The caller's login, or NULL having answered 401 (503 without access). */
CrAccessLogin *cr_access_web_require_login (CrAccessWeb *web, SoupServerMessage *msg);
/* FALSE having answered 403 when the grant is revoked or expired. */
gboolean cr_access_web_require_live_grant (CrAccessWeb *web, SoupServerMessage *msg,
                                           const CrAccessLogin *login);
/* The request's body as a JSON object, or NULL. (transfer full) */
JsonObject *cr_access_web_parse_body (SoupServerMessage *msg);
/* A string member of at most @max_bytes of valid UTF-8, or NULL. */
const char *cr_access_web_string_member (JsonObject *object, const char *name,
                                         gsize max_bytes);
/* The grant's members of a login's answer and of /access/api/me. */
void cr_access_web_add_grant_members (JsonBuilder *builder, const CrAccessLogin *login,
                                      CrAccessState state);
gboolean cr_access_web_login_covers (const CrAccessLogin *login, gint64 session_id);

/* GET /access/api/me, /access/api/state; POST /access/api/playback. */
void cr_access_web_handle_me (CrAccessWeb *web, SoupServerMessage *msg, CrAccessLogin *login);
void cr_access_web_handle_state (CrAccessWeb *web, SoupServerMessage *msg,
                                 CrAccessLogin *login);
void cr_access_web_handle_playback (CrAccessWeb *web, SoupServerMessage *msg,
                                    CrAccessLogin *login);
/* POST /access/api/request. */
void cr_access_web_handle_request (CrAccessWeb *web, SoupServerMessage *msg);
/* /access/s/...: @rest is what follows "/access/s/". */
void cr_access_web_serve_session_file (CrAccessWeb *web, SoupServerMessage *msg,
                                       const char *rest);

G_END_DECLS
