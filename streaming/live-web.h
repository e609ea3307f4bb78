/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* live-web.h: the public live page and its media, served under /live by an
 * existing libsoup 3 server (the daemon's API server).
 *
 * Everything under /live is public and read-only: GET and HEAD only (405
 * otherwise), no token. Routes, ROOM being the room's id:
 *
 *   /live                     301 to /live/
 *   /live/, /live/ROOM/       the page (web/live.html), room filled in
 *   /live/ROOM                301 to /live/ROOM/
 *   /live/ROOM/state.json     the state below as JSON (no-cache)
 *   /live/ROOM/index.m3u8     the playlists (no-cache), 404 unless live or
 *   /live/ROOM/audio.m3u8       paused
 *   /live/ROOM/snapshot.jpg   the latest picture (no-cache)
 *   /live/ROOM/NAME.ts        a segment named by the playlists
 *   /live/schedule.json,      the public schedule (live-schedule.h), when
 *   /live/ROOM/schedule.json    given one: public, max-age of its cache,
 *                             ETag (If-None-Match: 304); 503 while the
 *                             index cannot be read and nothing is cached.
 *                             A query string changes nothing.
 *   /live/assets/NAME         the page's scripts and styles
 *
 * Anything else, an unknown ROOM, and any name that is not a plain file
 * name of the kinds above (no '/', no "..", no leading '.') is 404. Files
 * are only ever opened inside hls_dir, without following symlinks, and
 * only if regular. */
#pragma once

#include <libsoup/soup.h>

#include "streaming/live-schedule.h"

G_BEGIN_DECLS

typedef struct {
  const char *state;        /* "live", "paused" (slate shown: broadcast paused
                             * or recess), "off" (no approved live hearing) */
  const char *court;
  const char *room_name;
  const char *case_number;  /* NULL when off */
  const char *hls_dir;      /* NULL when off */
} CrLiveWebState;

/* Fills @state; called on the server's main context for each request. The
 * strings must stay valid until the request's handler returns (they are
 * copied or used at once). */
typedef void (*CrLiveWebStateFunc) (CrLiveWebState *state, gpointer user_data);

/* Adds the /live handler to @server. Takes a copy of @room_id; @user_data
 * must outlive the server's handler (remove it with
 * soup_server_remove_handler (server, "/live")). */
void cr_live_web_add_handlers (SoupServer *server, const char *room_id,
                               CrLiveWebStateFunc func, gpointer user_data);
/* The same, with the public schedule at schedule.json (@schedule borrowed,
 * outliving the handler; NULL: none). */
void cr_live_web_add_handlers_full (SoupServer *server, const char *room_id,
                                    CrLiveWebStateFunc func, gpointer user_data,
                                    CrLiveSchedule *schedule);

G_END_DECLS
