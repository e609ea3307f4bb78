/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* records.h: the rows of the courtroom's index (segment-index.h) as C
 * values: sessions, segments, events and the court's broadcast decisions.
 * Plain data, shared by the index that reads and writes them and by the
 * modules that judge them (the chain, verification, reports, exports),
 * none of which needs the index to hold one. Times are microseconds since
 * the epoch, UTC (utc.h). */
#pragma once

#include <glib.h>

#include "archive/event-kind.h"

G_BEGIN_DECLS

typedef enum {
  CR_SESSION_RECORDING,
  CR_SESSION_PAUSED,
  CR_SESSION_STOPPED,
} CrSessionState;

typedef struct {
  gint64 id;
  char *room_id;
  char *case_no;          /* canonical form */
  char *title;            /* may be NULL */
  gint64 started_us;
  gint64 stopped_us;      /* 0 while not stopped */
  CrSessionState state;
  /* Integrity (chain.h), schema version 2. */
  char *chain_root;       /* hex, set when the session begins */
  char *chain_head;       /* hex, NULL until sealed */
  char *signature;        /* hex Ed25519 signature of chain_head, or NULL */
  char *public_key;       /* hex key that made the signature, or NULL */
  gint64 sealed_us;       /* 0 while not sealed */
  guint sealed_events;    /* the sequence of the last event the seal covers;
                             0 when not sealed, or sealed before version 4
                             (the head covers the segments only) */
  gint64 archived_us;     /* 0 unless the court marked it archived */
  gint64 purged_us;       /* 0 unless retention deleted its media */
} CrSessionRecord;

typedef struct {
  gint64 id;
  gint64 session_id;
  guint sequence;         /* 1, 2, ... within the session */
  char *path;             /* relative to the storage directory */
  gint64 started_us;      /* UTC of its first frame */
  gint64 duration_us;     /* 0 while open */
  gint64 bytes;           /* 0 while open */
  char *sha256;           /* hex; NULL while open */
  gboolean closed;
  char *link;             /* hex chain link (chain.h); NULL until it and every
                             segment before it are closed */
  gboolean purged;        /* its file was deleted by retention; the row stays */
} CrSegmentRecord;

typedef struct {
  gint64 id;
  gint64 session_id;
  guint sequence;         /* 1, 2, ... within the session, in the order
                             written; 0 for a row that has none */
  gint64 at_us;
  CrEventKind kind;       /* CR_EVENT_UNKNOWN for a kind this program does
                             not know: kind_name says which */
  char *kind_name;        /* the kind as stored: "start", "gap", ... */
  char *detail;           /* free text or JSON, may be NULL */
  char *link;             /* hex chain link (chain.h), or NULL */
} CrEventRecord;

/* A marker's row; its event (event_id, of kind marker) holds the same time
 * and text, and is what the chain links. */
typedef struct {
  gint64 id;
  gint64 session_id;
  gint64 event_id;
  gint64 at_us;
  char *text;
} CrMarkerRecord;

typedef enum {
  CR_BROADCAST_UNDECIDED,
  CR_BROADCAST_APPROVED,  /* may be streamed live */
  CR_BROADCAST_FORBIDDEN, /* non-public: never streamed, whatever came before */
} CrBroadcastDecision;

typedef struct {
  gint64 id;
  char *case_no;          /* canonical */
  CrBroadcastDecision decision;
  gint64 at_us;
  char *by;               /* who decided; may be NULL */
  char *reason;           /* may be NULL */
} CrBroadcastRecord;

/* "recording", "paused", "stopped": the words the index stores. */
const char *cr_session_state_to_string (CrSessionState state);
gboolean cr_session_state_from_string (const char *text, CrSessionState *state);
/* "approved", "forbidden", "undecided". */
const char *cr_broadcast_decision_to_string (CrBroadcastDecision decision);

void cr_session_record_free (CrSessionRecord *record);
void cr_segment_record_free (CrSegmentRecord *record);
void cr_event_record_free (CrEventRecord *record);
void cr_marker_record_free (CrMarkerRecord *record);

/* The event numbered @sequence in @ledger (element-type CrEventRecord), or
 * NULL. (transfer none) */
CrEventRecord *cr_event_records_find (GPtrArray *ledger, guint sequence);
void cr_broadcast_record_free (CrBroadcastRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSessionRecord, cr_session_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSegmentRecord, cr_segment_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBroadcastRecord, cr_broadcast_record_free)
/* A marker event's text and who added it. Its detail is the text alone
 * (markers added without an account: before accounts, or by the archive
 * itself) or {"text": TEXT, "by": NAME}; @by gets NULL for the first.
 * (transfer full) */
char *cr_event_marker_text (const CrEventRecord *event, char **by);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrEventRecord, cr_event_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrMarkerRecord, cr_marker_record_free)

G_END_DECLS
