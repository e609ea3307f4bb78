/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-index.h: the courtroom's SQLite index of sessions, segments,
 * events and markers (WAL mode, schema versioned with PRAGMA user_version).
 *
 * One main writer: courtrecd's main loop. Readers (the courtrec client) open
 * the same file read-only while the daemon runs; only courtrec's archived and
 * retention verbs write, a few rows in short IMMEDIATE transactions, which
 * WAL and the busy timeout make safe beside the daemon. Since version 2 every
 * session carries its integrity chain (chain.h), since version 4 with its
 * events in it. Times are UTC, stored as
 * ISO 8601 text with milliseconds ("2026-11-27T02:13:25.316Z") so that they
 * sort and read well in sqlite3 (utc.h); in C they are microseconds since
 * the epoch (g_get_real_time ()). The rows it hands out are records.h.
 * Segment paths are stored relative to the storage directory so an archive
 * can be moved. */
#pragma once

#include <glib.h>

#include "archive/device-key.h"
#include "archive/records.h"
#include "archive/utc.h"

G_BEGIN_DECLS

#define CR_INDEX_ERROR (cr_index_error_quark ())
GQuark cr_index_error_quark (void);

typedef enum {
  CR_INDEX_ERROR_FAILED,     /* SQLite said no; the message has its words */
  CR_INDEX_ERROR_NOT_FOUND,  /* no such session or segment */
  CR_INDEX_ERROR_VERSION,    /* the file's schema is newer than this program */
  CR_INDEX_ERROR_NOT_READY,  /* not yet: the session is not stopped, a segment
                                is still open, it is not sealed or archived */
  CR_INDEX_ERROR_SEALED,     /* the row is chained or sealed and cannot change */
} CrIndexError;

typedef struct CrSegmentIndex CrSegmentIndex;

/* Opens (creating and migrating as needed) the index at @path.
 * @read_only: for readers; never creates or migrates. (transfer full) */
CrSegmentIndex *cr_segment_index_open (const char *path, gboolean read_only,
                                       GError **error);
void cr_segment_index_free (CrSegmentIndex *index);

/* Functions that return an id or a sequence return 0 on error (SQLite
 * never hands out id 0); check @error to tell "none" from a failure. */

/* Sessions. A new session is RECORDING and gets a "start" event. */
gint64 cr_segment_index_begin_session (CrSegmentIndex *index,
                                       const char *room_id, const char *case_no,
                                       const char *title, gint64 started_us,
                                       GError **error);
/* The same, with the account that started it (@by, may be NULL) in the
 * start event's detail, where the chain covers it. */
gint64 cr_segment_index_begin_session_by (CrSegmentIndex *index, const char *room_id,
                                          const char *case_no, const char *title,
                                          gint64 started_us, const char *by,
                                          GError **error);
/* The same for a scheduled hearing: its uid (@hearing_uid, may be NULL) is
 * in the start event's detail as "hearing". */
gint64 cr_segment_index_begin_session_for (CrSegmentIndex *index, const char *room_id,
                                           const char *case_no, const char *title,
                                           gint64 started_us, const char *by,
                                           const char *hearing_uid, GError **error);
/* Sets the state; @at_us is the stop time when @state is STOPPED. */
gboolean cr_segment_index_set_session_state (CrSegmentIndex *index,
                                             gint64 session_id,
                                             CrSessionState state, gint64 at_us,
                                             GError **error);
/* Sets the state and adds the event of kind @kind (with @detail, may be
 * NULL) at @at_us, in one transaction. */
gboolean cr_segment_index_change_session_state (CrSegmentIndex *index,
                                                gint64 session_id,
                                                CrSessionState state,
                                                gint64 at_us, CrEventKind kind,
                                                const char *detail,
                                                GError **error);
/* (transfer full) NULL with CR_INDEX_ERROR_NOT_FOUND when absent. */
CrSessionRecord *cr_segment_index_get_session (CrSegmentIndex *index,
                                               gint64 session_id,
                                               GError **error);
/* Sessions of @case_no (canonical form), or all when NULL; oldest first.
 * (transfer full) (element-type CrSessionRecord) */
GPtrArray *cr_segment_index_list_sessions (CrSegmentIndex *index,
                                           const char *case_no, GError **error);
/* The session of @room_id left RECORDING or PAUSED (after a crash), or NULL
 * without error when there is none. (transfer full) */
CrSessionRecord *cr_segment_index_find_unfinished_session (CrSegmentIndex *index,
                                                           const char *room_id,
                                                           GError **error);

/* Events and markers (event-kind.h). A marker is also an event of kind
 * CR_EVENT_MARKER. Each event is numbered and linked into the session's
 * chain as it is written, in the same transaction. */
gint64 cr_segment_index_add_event (CrSegmentIndex *index, gint64 session_id,
                                   gint64 at_us, CrEventKind kind,
                                   const char *detail, GError **error);
gint64 cr_segment_index_add_marker (CrSegmentIndex *index, gint64 session_id,
                                    gint64 at_us, const char *text,
                                    GError **error);
/* The same, with the account that added it (@by, may be NULL) in its
 * event's detail, {"text": TEXT, "by": BY} (records.h,
 * cr_event_marker_text); the markers row holds the text. */
gint64 cr_segment_index_add_marker_by (CrSegmentIndex *index, gint64 session_id,
                                       gint64 at_us, const char *text, const char *by,
                                       GError **error);
/* The court's broadcast decisions, per canonical case number; never
 * changed once written. */
gint64 cr_segment_index_add_broadcast_decision (CrSegmentIndex *index,
                                                const char *case_no,
                                                CrBroadcastDecision decision,
                                                gint64 at_us, const char *by,
                                                const char *reason, GError **error);
/* The decision in force: the refusal if the case was ever forbidden, else
 * its approval; NULL without error when undecided. (transfer full) */
CrBroadcastRecord *cr_segment_index_get_broadcast_decision (CrSegmentIndex *index,
                                                            const char *case_no,
                                                            GError **error);
/* Every decision, oldest first. (transfer full) (element-type CrBroadcastRecord) */
GPtrArray *cr_segment_index_list_broadcast_decisions (CrSegmentIndex *index,
                                                      GError **error);

/* Oldest first. (transfer full) (element-type CrEventRecord) */
GPtrArray *cr_segment_index_list_events (CrSegmentIndex *index,
                                         gint64 session_id, GError **error);
/* The events of @session_id numbered above @after_id, the newest @limit
 * of them, by id (the order they were written). Another process (the
 * CLI's seals and exports) writes into the same index: this is how a
 * reader sees every event. (transfer full) (element-type CrEventRecord) */
GPtrArray *cr_segment_index_list_events_after (CrSegmentIndex *index,
                                               gint64 session_id, gint64 after_id,
                                               guint limit, GError **error);
/* The session's ledger as the chain links it: by sequence, rows without
 * one last. (transfer full) (element-type CrEventRecord) */
GPtrArray *cr_segment_index_list_ledger (CrSegmentIndex *index,
                                         gint64 session_id, GError **error);
/* The rows of markers of @session_id, by id.
 * (transfer full) (element-type CrMarkerRecord) */
GPtrArray *cr_segment_index_list_markers (CrSegmentIndex *index,
                                          gint64 session_id, GError **error);

/* Segments: a row is added when the file is opened and completed when it is
 * closed and hashed. Closing also computes the segment's chain link, in the
 * same transaction, and the links of the closed segments after it that were
 * waiting for it (segments may close out of order). A row that has its link
 * cannot be closed again (CR_INDEX_ERROR_SEALED). */
gint64 cr_segment_index_add_segment (CrSegmentIndex *index, gint64 session_id,
                                     guint sequence, const char *path,
                                     gint64 started_us, GError **error);
gboolean cr_segment_index_close_segment (CrSegmentIndex *index,
                                         gint64 segment_id, gint64 duration_us,
                                         gint64 bytes, const char *sha256,
                                         GError **error);
gboolean cr_segment_index_delete_segment (CrSegmentIndex *index,
                                          gint64 segment_id, GError **error);
/* Segments of @session_id by sequence, or of all sessions when 0.
 * (transfer full) (element-type CrSegmentRecord) */
GPtrArray *cr_segment_index_list_segments (CrSegmentIndex *index,
                                           gint64 session_id, GError **error);
/* The highest sequence number of @session_id, 0 when it has none. */
guint cr_segment_index_last_sequence (CrSegmentIndex *index,
                                      gint64 session_id, GError **error);
/* Every segment row of @session_id by sequence, the rows of files that
 * retention deleted included (purged = TRUE): the whole chain.
 * (transfer full) (element-type CrSegmentRecord) */
GPtrArray *cr_segment_index_list_chain (CrSegmentIndex *index,
                                        gint64 session_id, GError **error);

/* Sealing: signs the chain head of @session_id (its segments and every
 * event so far, chain.h layout 2) with @key, stores head, signature, public
 * key and the last event covered, and adds a "seal" event after it, in one
 * transaction.
 * The session must be stopped and all its segments closed, else
 * CR_INDEX_ERROR_NOT_READY (a normal "not yet": call again when its last
 * segment has closed). Sealing a sealed session again returns the same
 * head; if its chain has changed since, CR_INDEX_ERROR_SEALED.
 * @chain_head: (out) (optional) (transfer full) */
gboolean cr_segment_index_seal_session (CrSegmentIndex *index,
                                        gint64 session_id,
                                        const CrDeviceKey *key, gint64 at_us,
                                        char **chain_head, GError **error);

/* Retention (archive/retention.h decides; these only write). */
/* Marks a stopped, sealed session archived, with an "archived" event
 * (@detail, may be NULL); CR_INDEX_ERROR_NOT_READY when it is not stopped
 * and sealed. Already archived: TRUE, nothing written. */
gboolean cr_segment_index_mark_archived (CrSegmentIndex *index,
                                         gint64 session_id, gint64 at_us,
                                         const char *detail, GError **error);
/* Records that the media of an archived session were deleted: its segment
 * rows move to the purged table (kept, so the chain and its signature can
 * still be checked), purged_at is set and a "media-deleted" event (@detail)
 * added, in one transaction. Already purged: TRUE, nothing written. */
gboolean cr_segment_index_purge_session (CrSegmentIndex *index,
                                         gint64 session_id, gint64 at_us,
                                         const char *detail, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSegmentIndex, cr_segment_index_free)

G_END_DECLS
