/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-private.h: the body of CrRecorder, shared by the files that make
 * up the recorder (recorder.c: the session state machine; alarms.c,
 * disk-guard.c, on-air.c, recorder-status.c). Nothing outside recorder/
 * includes it. */
#pragma once

#include <glib.h>

#include "archive/device-key.h"
#include "archive/segment-index.h"
#include "archive/segment-writer.h"
#include "pipelines/capture.h"
#include "recorder/broadcast.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

typedef enum {
  STANDBY,
  RECORDING,
  PAUSED,
} RecorderState;

typedef struct {
  guint sequence;
  char *relative_path;
  gint64 started_us;
  gint64 opened_mono_us;        /* when it was opened, for /metrics */
} OpenSegment;

struct CrRecorder {
  const CrConfig *config;
  CrSegmentIndex *index;
  CrDeviceKey *key;             /* signs each session's chain head; NULL while
                                   it cannot be used (sealing.h) */
  guint key_timer;              /* tries the key again while it is NULL */
  CrCapture *capture;
  CrSegmentWriter *writer;
  CrBroadcast *broadcast;       /* the live outputs */
  CrRenderQueue *render_queue;  /* derived copies (recorder-access.c) */
  CrAccessService *access;      /* litigant access (recorder-access.c) */
  CrVodService *vod;            /* publications (recorder-vod.c) */

  RecorderState state;
  CrSessionRecord *session;     /* NULL in standby */
  char *pause_reason;           /* while PAUSED */
  char *session_hearing;        /* the hearing's uid when the schedule started
                                   the session, else NULL */
  struct CrScheduler *scheduler;/* the slots' alarms and autostart (scheduler.h) */
  OpenSegment *segment;         /* the file being written, or NULL */
  GHashTable *segment_rows;     /* relative path -> index row id (gint64*) */
  guint next_sequence;
  /* since courtrecd started, for /metrics (metrics.h) */
  guint64 segments_closed;      /* files finished, hashed and closed */
  gint64 recorded_closed_us;    /* the hearing's time in those files */

  gint64 started_mono_us;
  gint64 last_video_mono_us;    /* atomic: written by the video streaming thread */
  gboolean video_seen;          /* a picture came since capture began (atomic) */

  GPtrArray *alarms;            /* CrAlarm*, the ones still standing */
  gint64 *silent_since_us;      /* by microphone: monotonic time it went quiet */
  gboolean *silent_alarmed;     /* by microphone */
  guint silence_timer;
  GPtrArray *webhooks;          /* CrWebhook*, one per [alarm webhook NAME] */
  GPtrArray *uploaders;         /* CrUploader*, one per [archive NAME] (recorder-upload.c) */
  guint upload_timer;

  /* disk */
  double bytes_per_second;      /* of recording, from the config */
  char *reserve_path;
  gboolean reserve_failed;      /* the last try to make it failed */
  guint disk_timer;
  guint coverage_timer;         /* the nightly report's alarm, once a minute */
  gboolean disk_known;          /* the last statvfs worked */
  guint64 disk_free_bytes;
  gint64 disk_seconds_left;
  gint64 disk_full_since_us;    /* UTC the media stopped at; 0 unless full */
  gint64 open_failed_since_us;  /* UTC of the first file that could not be created; 0 */
  GPtrArray *pending_closes;    /* PendingClose* */

  /* shutdown */
  CrRecorderDoneFunc done;
  gpointer done_data;
  guint shutdown_timer;
};

/* A JSON object {"key": "value", ...} of the string pairs given, ended by
 * NULL: an event's detail. (transfer full) */
/* recorder.c, for recorder-control.c: the open segment's record, the
 * caption burned into the picture, and the run of files of the session:
 * begun at the next keyframe (asked for at once), ended with the open
 * file finished. */
void cr_recorder_open_segment_free (OpenSegment *segment);
void cr_recorder_update_caption (CrRecorder *recorder);
void cr_recorder_begin_segments (CrRecorder *recorder);
void cr_recorder_end_segments (CrRecorder *recorder);
char *cr_recorder_json_detail (const char *first_key, ...) G_GNUC_NULL_TERMINATED;
/* Sets CR_RECORDER_ERROR_FAILED from @index_error, which it frees; FALSE. */
gboolean cr_recorder_index_failed (GError **error, GError *index_error);
/* An event of the current session, if there is one: now, or at @at_us. */
void cr_recorder_log_event (CrRecorder *recorder, CrEventKind kind, const char *detail);
void cr_recorder_log_event_at (CrRecorder *recorder, gint64 at_us, CrEventKind kind,
                               const char *detail);
/* Time of the current session in no file, from @from_us to @to_us (UTC),
 * for @reason: a gap event and a warning. */
void cr_recorder_log_gap (CrRecorder *recorder, gint64 from_us, gint64 to_us,
                          const char *reason);

/* cr_recorder_start for a scheduled hearing: @hearing_uid (may be NULL)
 * goes into the start event's detail as "hearing". */
gint64 cr_recorder_start_for_hearing (CrRecorder *recorder, const char *case_no,
                                      const char *title, const char *actor,
                                      const char *hearing_uid, GError **error);
/* At the end of the slot the running session was started for, when the
 * next slot (another case) begins there: ends the running session (its
 * stop "by" schedule) and begins one of @case_no for @hearing_uid, the
 * files handed over at one keyframe with no gap; a hearing-boundary event
 * in both. RECORDING only. Returns the new session's id, 0 on error (the
 * running session then goes on). */
gint64 cr_recorder_split_at_boundary (CrRecorder *recorder, const char *case_no,
                                      const char *title, const char *hearing_uid,
                                      GError **error);

/* recorder-access.c: makes the render queue and the access service once
 * the index is open (a failure is logged: recording goes on without
 * them), and frees them. */
void cr_recorder_access_start (CrRecorder *recorder);
void cr_recorder_access_stop (CrRecorder *recorder);

/* recorder-vod.c: makes the publication service once the index is open,
 * renders again what a stopped daemon left rendering (at run, once the
 * render queue is there), and frees it before the queue and the index. */
void cr_recorder_vod_start (CrRecorder *recorder);
void cr_recorder_vod_resume (CrRecorder *recorder);
void cr_recorder_vod_stop (CrRecorder *recorder);

/* recorder-upload.c: the uploaders to the court archive, started once the
 * index is open (a key file that cannot be read is an alarm, never a
 * refusal to record) and stopped
 * before it is closed; poked when a segment closes. */
void cr_recorder_uploads_start (CrRecorder *recorder, const char *index_path);
void cr_recorder_uploads_poke (CrRecorder *recorder);
void cr_recorder_uploads_stop (CrRecorder *recorder);
/* The bytes waiting for the archive, every archive together. */
gint64 cr_recorder_uploads_queue_bytes (CrRecorder *recorder);
/* status's "archive": an array, one member per [archive NAME]. */
void cr_recorder_uploads_add_status (CrRecorder *recorder, JsonBuilder *builder);

G_END_DECLS
