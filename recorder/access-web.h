/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-web.h: the party's pages under /access/ on the public listener
 * (public-server.h): a litigant or their lawyer logs in with the access
 * code of their slip and the last 4 characters of their identity number,
 * sees the sessions granted to them with the hearing report's facts, plays
 * the grant's derived copies (hls.js) with the markers as chapters, and in
 * mode copy downloads them with their signed manifests. The public request
 * form is /access/request.
 *
 * Routes (SESSION a session id of the grant):
 *   GET  /access/                     the page (web/access.html)
 *   GET  /access/request              the same page, showing the request form
 *   GET  /access/assets/NAME          access.js, access.css, hls.min.js
 *   POST /access/api/login            {"code","id_last4"}: the login's cookie
 *        (HttpOnly, SameSite=Strict, Path=/access/) and the grant; 401 for
 *        any refusal (one answer for all), 429 + Retry-After when slowed or
 *        locked (login-guard.h, per code prefix and per address)
 *   POST /access/api/logout           ends the login
 *   GET  /access/api/me               the grant, its state and its sessions
 *        with the report's facts (court, case, title, times, pauses)
 *   GET  /access/api/state            {"state","expires"}, polled by the page
 *   POST /access/api/playback         {"session","event":"start"|"end","seconds"}
 *   POST /access/api/request          the public form: {"reference"}
 *   GET  /access/s/SESSION/hls/NAME   the copy's HLS playlist and segments
 *   GET  /access/s/SESSION/chapters.json
 *   GET  /access/s/SESSION/copy.mp4[.manifest.json|.manifest.sig]  mode copy
 *        only, as attachments, each a download event (address, bytes sent,
 *        complete)
 *
 * Every request under /access/s/ and /access/api/ (but login and request)
 * needs the cookie (else 401) and re-reads the grant: revoked or expired
 * 403; a session not in the grant, a copy not rendered, a file not there
 * or a name not of ours 404, the same answer for each. POST bodies are
 * JSON with a Content-Length within a few kB (else 411, 413 or 415). */
#pragma once

#include <libsoup/soup.h>

#include "recorder/http-server.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef struct CrAccessWeb CrAccessWeb;

/* Adds the /access handler to @http's server. @recorder and @http are
 * borrowed; free the server first (its handler is not removed), then
 * this. (transfer full) */
CrAccessWeb *cr_access_web_new (CrRecorder *recorder, CrHttpServer *http);
void cr_access_web_free (CrAccessWeb *web);

/* Whether @path is one of ours (/access or under /access/). */
gboolean cr_access_web_owns (const char *path);

/* The admission of a request for one of our paths, before its body is
 * read (CrHttpAdmitFunc): methods, body sizes and types. */
gboolean cr_access_web_admit (CrAccessWeb *web, SoupServerMessage *msg, const char *path,
                              CrHttpRefusal *refusal);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAccessWeb, cr_access_web_free)

G_END_DECLS
