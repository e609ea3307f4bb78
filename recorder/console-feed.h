/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* console-feed.h: what the operator console is told as it happens, as
 * server-sent events (text/event-stream) on GET /api/v1/live:
 *
 *   event: hello    {"room","court","room_name","bookmarks":[...],"cameras":[...],
 *                    "microphones":[...], "levels_hz"}     once, first
 *   event: status   the status (cr_recorder_get_status) at once, on every
 *                   change of state, session, alarms, inputs or streams
 *                   (looked at 4 times a second), and every second
 *   event: levels   {"microphones": cr_recorder_get_levels} 10 times a second
 *   event: alarm    {"action": "raised"|"cleared", "alarm","input","label",
 *                    "message","since"} as the standing alarms change
 *   event: event    {"id","session_id","at","kind","class","detail"}: the
 *                   running session's events (the last 50 on connecting,
 *                   then each one as the index has it)
 *
 * Streams are bounded: at most max_streams open (more are refused 503 by
 * the caller, which asks cr_console_feed_is_full); a client that reads
 * slowly loses level frames rather than make the daemon buffer them (a
 * frame is dropped while the previous is still unsent); one that stops
 * reading for STALL seconds, or lets the unsent part grow past a bound, is
 * cut. Nothing runs while no stream is open. Main loop only. */
#pragma once

#include <gio/gio.h>

#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef struct CrConsoleFeed CrConsoleFeed;

/* @bookmarks: the court's usual markers, ';'-separated, or NULL.
 * (transfer full) */
CrConsoleFeed *cr_console_feed_new (CrRecorder *recorder, guint max_streams,
                                    const char *bookmarks);
void cr_console_feed_free (CrConsoleFeed *feed);

/* TRUE when max_streams are open: the next is to be refused. */
gboolean cr_console_feed_is_full (CrConsoleFeed *feed);
/* Answers on @stream (a connection taken from the HTTP server, see
 * cr_http_server_take_connection) with the event stream. Takes @stream. */
void cr_console_feed_take (CrConsoleFeed *feed, GIOStream *stream, GSocket *socket);

guint cr_console_feed_get_streams (CrConsoleFeed *feed);
/* Level frames not sent to a slow client, and clients cut, since the start. */
guint64 cr_console_feed_get_dropped (CrConsoleFeed *feed);
guint64 cr_console_feed_get_cut (CrConsoleFeed *feed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrConsoleFeed, cr_console_feed_free)

G_END_DECLS
