/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* event-kind.h: the one vocabulary of a session's events, as the index
 * stores them (events.kind) and as the writer, the hearing report and
 * verification read them. Every kind is written through its CrEventKind, so
 * that a misspelt kind does not compile; the text form is in one table
 * (event-kind.c), and a kind read back that the table does not know (written
 * by a newer program, or by hand) is CR_EVENT_UNKNOWN, never dropped.
 *
 * Each kind has a class, which says where the hearing report puts it:
 *   state   the session's own start and stop
 *   pause   a pause and the resume that ends it (SPC 2017 rules, Art. 3)
 *   marker  a clerk's marker
 *   fault   an equipment failure or a gap in the record (Art. 4): an alarm,
 *           the event that clears one, or a fault of its own
 *   other   everything else the room did: seals, exports, broadcast
 *
 * An alarm kind raises a fault that lasts until an event clears it or the
 * session ends. The generic CR_EVENT_ALARM names its alarm in its detail
 * ({"alarm": "microphone-silent", "input": ...}): the alarm's name is the
 * text of an alarm kind here. A clearing kind ends the alarm its detail's
 * "alarm" names, or else the one the table gives; its detail's "input" says
 * which input (none: the alarm whatever its input).
 *
 * To add a kind: a value here (anywhere: only the text is stored) and its
 * row in the table. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_EVENT_UNKNOWN,             /* read back only: a kind not in the table */

  /* state */
  CR_EVENT_START,               /* {"case", "title"} */
  CR_EVENT_STOP,

  /* pause */
  CR_EVENT_PAUSE,               /* {"reason"} */
  CR_EVENT_RESUME,

  /* marker */
  CR_EVENT_MARKER,              /* the marker's text */

  /* fault: alarms, each standing until cleared or the session's end */
  CR_EVENT_ALARM,               /* {"alarm", "input", "label", "message"} */
  CR_EVENT_INPUT_LOST,          /* {"input", "kind", "label", "reason"} */
  CR_EVENT_MICROPHONE_SILENT,
  CR_EVENT_DISK_LOW,
  CR_EVENT_DISK_FULL,
  CR_EVENT_DISK_STALL,          /* writes to the storage stalled */
  CR_EVENT_SEAL_UNAVAILABLE,    /* the device key cannot sign */
  /* the schedule (schedule/): a slot whose start passed by the grace with
   * the room not recording; a hearing run past its slot into the next
   * one; the calendar unreadable for long; the nightly recording-rate
   * check found a hearing missing, partial or with a bad file. Each
   * {"alarm", "input": "schedule", "label": hearing uid or source, "message"} */
  CR_EVENT_SCHEDULED_NOT_RECORDING,
  CR_EVENT_HEARING_OVERRUN,
  CR_EVENT_SCHEDULE_STALE,
  CR_EVENT_COVERAGE_SHORTFALL,
  /* fault: what clears an alarm */
  CR_EVENT_INPUT_BACK,          /* clears input-lost; {"input", ...} */
  CR_EVENT_MICROPHONE_SOUND,    /* clears microphone-silent; {"input", ...} */
  CR_EVENT_DISK_OK,             /* clears disk-low; {"alarm", "message"} */
  CR_EVENT_RECORDING_RESUMED,   /* clears disk-full; {"after", "from", "to", ...} */
  CR_EVENT_ALARM_CLEARED,       /* clears {"alarm", "input"} */
  /* fault: of a moment, or with a span of its own */
  CR_EVENT_GAP,                 /* not recorded {"from"} to {"to"}, {"reason"} */
  CR_EVENT_CAPTURE_ERROR,
  CR_EVENT_SEGMENT_ERROR,
  CR_EVENT_SEGMENT_OPEN_FAILED, /* a segment's file could not be opened */
  CR_EVENT_SEGMENT_MISSING,     /* reconciliation: a row without its file */
  CR_EVENT_SEGMENT_RECOVERED,   /* reconciliation: an open row completed */
  CR_EVENT_SEGMENT_ADOPTED,     /* reconciliation: a file without its row */
  CR_EVENT_DAEMON_STOP,         /* courtrecd stopped while the session ran */
  CR_EVENT_SEAL_ERROR,
  CR_EVENT_ALARMS_CONFIRMED,    /* started with alarms standing, knowingly:
                                   {"alarms", "by"} */

  /* other */
  CR_EVENT_SEAL,                /* {"chain_head", "public_key", "segments", ...} */
  CR_EVENT_SEAL_LATE,           /* just before a late seal: {"stopped", "reason", "by"} */
  CR_EVENT_ARCHIVED,
  CR_EVENT_MEDIA_DELETED,
  CR_EVENT_EXPORT,
  CR_EVENT_LAYOUT,
  CR_EVENT_ON_AIR,
  CR_EVENT_OFF_AIR,
  CR_EVENT_BROADCAST_APPROVED,
  CR_EVENT_BROADCAST_FORBIDDEN,
  CR_EVENT_STREAM_REFUSED,
  CR_EVENT_STREAM_START,
  CR_EVENT_STREAM_STOP,
  CR_EVENT_STREAM_CUT,
  CR_EVENT_STREAM_RESUME,
  CR_EVENT_INPUT_ENDED,         /* a file source played to its end: {"input", ...} */
  /* a scheduled slot's boundary split the recording into this session and
   * the next, with no gap: {"hearing", "next_hearing", "next_session"} in
   * the ending one, {"hearing", "previous_session"} in the next */
  CR_EVENT_HEARING_BOUNDARY,

  /* access: litigants' requests and grants, and every use of them
   * (access/), and publication (the court's portal). Each names its
   * request or grant, and "by" (an account) or the client's address. */
  CR_EVENT_ACCESS_REQUESTED,    /* {"request", "name", "role", "purpose", "by"} */
  CR_EVENT_ACCESS_GRANTED,      /* {"request", "grant", "mode", "expires", "by"} */
  CR_EVENT_ACCESS_REFUSED,      /* {"request", "reason", "by"} */
  CR_EVENT_ACCESS_REVOKED,      /* {"grant", "reason", "by"} */
  CR_EVENT_ACCESS_CODE_USED,    /* {"grant", "address"} */
  CR_EVENT_ACCESS_CODE_WRONG,   /* {"grant", "address", "failures"}: the code, wrong second factor */
  CR_EVENT_PLAYBACK_START,      /* {"grant", "address"} */
  CR_EVENT_PLAYBACK_END,        /* {"grant", "address", "seconds"} */
  CR_EVENT_DOWNLOAD,            /* {"grant", "address", "file", "bytes", "complete"} */
  CR_EVENT_COPY_RENDERED,       /* {"grant" or "publication", "sha256", "bytes", "redactions"} */
  CR_EVENT_PUBLISHED,           /* {"publication", "redactions", "by"} */
  CR_EVENT_WITHDRAWN,           /* {"publication", "reason", "by"} */
  /* the court archive's oldest waiting upload is older than [archive NAME]
   * max_age_hours: {"alarm", "input": "archive", "label": NAME, "message"} */
  CR_EVENT_UPLOAD_OVERDUE,
  /* an [archive NAME]'s key files cannot be read (missing, or open to
   * others): nothing goes to that archive until they can; the room
   * records as ever. {"alarm", "input": "archive", "label": NAME, "message"} */
  CR_EVENT_ARCHIVE_UNAVAILABLE,
  /* an [archive NAME] with object_lock = auto whose bucket does not hold
   * its objects against deletion: its lock canary was refused the lock
   * (no Object Lock) or could be deleted. {"alarm", "input": "archive",
   * "label": NAME, "message"} */
  CR_EVENT_ARCHIVE_LOCK_FAILED,
  /* the local clock against an archive's (its Date), measured when the
   * store answers at start and after it was unreachable:
   * {"archive", "offset_seconds" (store minus local), "store_date",
   * "local_date", "threshold_seconds"} */
  CR_EVENT_CLOCK_OFFSET,
  /* the last clock-offset measured was beyond its threshold: segment times
   * come from this clock. {"alarm", "input": "archive", "label": NAME,
   * "message"}; cleared by a measurement within it */
  CR_EVENT_CLOCK_SKEW,

  CR_EVENT_N_KINDS              /*< private >*/
} CrEventKind;

typedef enum {
  CR_EVENT_CLASS_OTHER,
  CR_EVENT_CLASS_STATE,
  CR_EVENT_CLASS_PAUSE,
  CR_EVENT_CLASS_MARKER,
  CR_EVENT_CLASS_FAULT,
  CR_EVENT_CLASS_ACCESS,
} CrEventClass;

/* "input-lost", ... as stored; NULL for CR_EVENT_UNKNOWN and values
 * outside the enum. */
const char *cr_event_kind_to_string (CrEventKind kind);
/* The kind stored as @text; CR_EVENT_UNKNOWN for any other text or NULL. */
CrEventKind cr_event_kind_from_string (const char *text);
CrEventClass cr_event_kind_get_class (CrEventKind kind);
/* TRUE for the kinds that raise an alarm (CR_EVENT_ALARM among them). */
gboolean cr_event_kind_is_alarm (CrEventKind kind);
/* The alarm @kind clears when its detail names none; CR_EVENT_ALARM for
 * alarm-cleared, which clears whichever alarm its detail names;
 * CR_EVENT_UNKNOWN when @kind clears nothing. */
CrEventKind cr_event_kind_clears (CrEventKind kind);
/* "state", "pause", "marker", "fault", "access", "other". */
const char *cr_event_class_to_string (CrEventClass event_class);

G_END_DECLS
