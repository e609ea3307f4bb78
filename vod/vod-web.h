/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod-web.h: the court's published hearings on the public listener, under
 * /vod (vod-service.h decides what is served, afresh on every request).
 * Public and read-only: GET and HEAD only, no token. Routes, ID being a
 * publication's number:
 *
 *   /vod                      301 to /vod/
 *   /vod/                     the catalogue page (web/vod.html)
 *   /vod/api/catalogue        the catalogue as JSON (no-cache)
 *   /vod/api/p/ID             one publication as JSON, 404 once it is not
 *                               served (withdrawn, forbidden, never was)
 *   /vod/p/ID/                the player page (404 with the same page,
 *                               which says so, when it is not served)
 *   /vod/p/ID/hls/NAME        the copy's playlist and segments
 *   /vod/p/ID/chapters.json   the markers as chapters
 *   /vod/assets/NAME          the pages' scripts and styles
 *
 * Anything else, an ID not served, and a NAME that is not a plain file
 * name (no '/', no "..", no leading '.') is 404; files are opened only
 * inside the publication's hls directory, links not followed, regular
 * files only. */
#pragma once

#include <libsoup/soup.h>

#include "vod/vod-service.h"

G_BEGIN_DECLS

/* Adds the /vod handler to @server; @svc must outlive it (remove it with
 * soup_server_remove_handler (server, "/vod")). */
void cr_vod_web_add_handlers (SoupServer *server, CrVodService *svc);

G_END_DECLS
