/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log-writer.h: how courtrecd writes its log (installed with
 * g_log_set_writer_func). Every record gets the room's fields, CR_ROOM, and
 * while a session runs CR_SESSION and CR_CASE, beside the fields its own
 * call gives (CR_INPUT, CR_ALARM, CR_DESTINATION, CR_WEBHOOK ...):
 *
 *   - stderr is the journal (systemd): the record goes to journald with all
 *     its fields, for `journalctl CR_ROOM=room-101 CR_ALARM=input-lost`;
 *   - otherwise: one line of text, GLib's, with the fields appended as
 *     KEY=value (quoted "..." when the value has a space or a quote, escaped
 *     like every quoted text: no control byte, no line of its own).
 *
 * Which records are written (G_MESSAGES_DEBUG for info and debug) is
 * GLib's rule. Thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The writer (a GLogWriterFunc). */
GLogWriterOutput cr_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                gpointer user_data);

/* The room every record is of from now on; NULL: none. */
void cr_log_set_room (const char *room_id);
/* The session records are of from now on: 0 and NULL once it stops. */
void cr_log_set_session (gint64 session_id, const char *case_no);

/* The text form of a record, the context's fields added, without a
 * newline. (transfer full) */
char *cr_log_format_text (GLogLevelFlags level, const GLogField *fields, gsize n_fields);

G_END_DECLS
