/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder.h: one courtroom's recorder: the session state machine on top of
 * the always-running capture pipeline and the segment writer.
 *
 *   standby --start(case)--> recording --pause(reason)--> paused --resume--> recording
 *   recording|paused --stop--> standby
 *
 * Every transition is an event in the index with its UTC time. All calls are
 * made from the main loop. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "access/access-service.h"
#include "config/config.h"

G_BEGIN_DECLS

#define CR_RECORDER_ERROR (cr_recorder_error_quark ())
GQuark cr_recorder_error_quark (void);

typedef enum {
  CR_RECORDER_ERROR_INVALID,  /* bad input: case number, pause reason, empty text */
  CR_RECORDER_ERROR_STATE,    /* not allowed now: a second start, resume when not paused */
  CR_RECORDER_ERROR_FAILED,   /* the index, the disk or a pipeline failed */
} CrRecorderError;

typedef struct CrRecorder CrRecorder;

/* Opens the index, reconciles it with the files on disk and builds the
 * capture pipeline (not yet playing). (transfer full) */
CrRecorder *cr_recorder_new (const CrConfig *config, GError **error);
void cr_recorder_free (CrRecorder *recorder);

/* Starts capture (standby) and resumes a session that a crash interrupted. */
gboolean cr_recorder_run (CrRecorder *recorder, GError **error);

/* Session control. @actor is who asks (an account's name, "room-token"
 * for the room's token; NULL for nobody in particular): each event it
 * causes says so in its detail ("by"), which the session's chain covers.
 * @case_no is as the user typed it. Returns the session id.
 * Start is refused (CR_RECORDER_ERROR_STATE) when less than 10 minutes of
 * recording fit on the storage disk. */
gint64 cr_recorder_start (CrRecorder *recorder, const char *case_no,
                          const char *title, const char *actor, GError **error);
/* @reason: recess | non-public-evidence | mediation | other */
gboolean cr_recorder_pause (CrRecorder *recorder, const char *reason,
                            const char *actor, GError **error);
gboolean cr_recorder_resume (CrRecorder *recorder, const char *actor, GError **error);
gboolean cr_recorder_stop (CrRecorder *recorder, const char *actor, GError **error);
/* A timestamped note in the current session. Returns the marker's event
 * id. */
gint64 cr_recorder_mark (CrRecorder *recorder, const char *text, const char *actor,
                         GError **error);

/* Switches the composed picture's layout (single, pip, grid, voice,
 * evidence); an event of the session when one runs. */
gboolean cr_recorder_set_layout (CrRecorder *recorder, const char *layout,
                                 const char *actor, GError **error);

/* The state as JSON (transfer full); these names are kept stable for
 * `courtrec status` and other clients:
 * { "room": {"id","name","court"}, "state": "standby|recording|paused",
 *   "session": null | {"id","case","title","started","state",
 *                      "pause_reason"|null},
 *   "segment": null | {"sequence","path","started"},
 *   "layout", "inputs": [{"name","kind","label","state","losses"}]
 *             (state: connecting, live, lost),
 *   "microphones": [{"name","label","rms_dbfs","peak_dbfs","silent"}]
 *             (levels every 100 ms, in dBFS, null when there is no sound
 *             to measure, below -100 dBFS; "silent": the peak is below
 *             [audio] silence_dbfs, the silence alarm's threshold),
 *   "alarms": [{"alarm","input","label","message","since"}], standing:
 *             "input-lost" and "microphone-silent" (input: the input's
 *             name), "disk-low" and "disk-full" (input "disk"),
 *             "seal-unavailable" (input "device-key"),
 *   "alarms_standing": whether any alarm stands,
 *   "storage_dir",
 *   "disk": {"free_bytes","seconds_left" (null when unreadable),
 *            "bytes_per_second" (of recording, estimated from the config),
 *            "full" (recording suspended until space returns)},
 *   "broadcast": {"on_air","public_state","decision"}, "streams": [...],
 *   "webhooks": [{"name","queued","delivered","failed_attempts","refused",
 *               "dropped"}], one per [alarm webhook NAME], counted since start,
 *   "capturing": capture delivers video (what the watchdog vouches for),
 *   "healthy": capturing and no alarm standing,
 *   "uptime_seconds" } */
JsonNode *cr_recorder_get_status (CrRecorder *recorder);

/* What the operator console shows between two statuses (console-feed.h).
 * The microphones as in the status, with "clipping" (the peak at or above
 * -1 dBFS): [{"name","label","rms_dbfs","peak_dbfs","clipping","silent"}].
 * (transfer full) */
JsonNode *cr_recorder_get_levels (CrRecorder *recorder);
/* The latest preview JPEG of "composed" or of a camera's NAME; NULL
 * before the first or for no such picture (*@known FALSE). (transfer
 * full) */
GBytes *cr_recorder_get_preview (CrRecorder *recorder, const char *name, gboolean *known);
/* The events of session @session_id above @after_id, the newest @limit,
 * oldest first. (transfer full) (element-type CrEventRecord) */
GPtrArray *cr_recorder_list_events_after (CrRecorder *recorder, gint64 session_id,
                                          gint64 after_id, guint limit, GError **error);
/* The clerk has started the running session knowing that alarms stood:
 * an "alarms-confirmed" event {"alarms", "by"} naming them, as HMCTS logs
 * a hearing started without recording. @by may be NULL. Refused with no
 * session. Returns the event's id. */
gint64 cr_recorder_confirm_alarms (CrRecorder *recorder, const char *by, GError **error);

/* FALSE when capture has delivered no video for several seconds: the
 * watchdog then stops vouching for us and systemd restarts courtrecd, which
 * resumes the session. */
gboolean cr_recorder_is_healthy (CrRecorder *recorder);

/* A one-line summary for the service manager, e.g. "recording （2026）…". */
char *cr_recorder_describe (CrRecorder *recorder);

/* Finishes the open segment and stops capture; calls @done on the main loop
 * when every file is closed, or after @timeout_ms at the latest. */
typedef void (*CrRecorderDoneFunc) (gpointer user_data);
void cr_recorder_shutdown (CrRecorder *recorder, guint timeout_ms,
                           CrRecorderDoneFunc done, gpointer user_data);

/* The court's broadcast decision on @case_no (as typed): @approve, or
 * forbid with @reason; @by is the account that decides (the API passes
 * the caller's, never a name the request typed). A case is
 * approved once; a forbidden case stays forbidden. When the running
 * session is of that case it goes on or off air at once. Returns the
 * decision's row id. */
gint64 cr_recorder_decide_broadcast (CrRecorder *recorder, const char *case_no,
                                     gboolean approve, const char *by,
                                     const char *reason, GError **error);
/* @action: start | stop | cut | resume, of stream @name (NULL or "": every
 * stream; start needs a name). Start is refused unless the session's case
 * is approved for broadcast. Each is an event of the session. */
gboolean cr_recorder_stream_control (CrRecorder *recorder, const char *action,
                                     const char *name, const char *actor, GError **error);
/* The live outputs and the config, for the public web routes. */
struct CrBroadcast *cr_recorder_get_broadcast (CrRecorder *recorder);
const CrConfig *cr_recorder_get_config (CrRecorder *recorder);

/* Litigant access (access-service.h) and the one queue of derived-copy
 * renders (render-queue.h: `courtrec render JOB` children, one at a time),
 * both made with the recorder; the queue runs the courtrec binary beside
 * courtrecd, or $CR_COURTREC. NULL when they could not be made (logged).
 * (transfer none) */
typedef struct CrRenderQueue CrRenderQueue;
CrAccessService *cr_recorder_get_access_service (CrRecorder *recorder);
CrRenderQueue *cr_recorder_get_render_queue (CrRecorder *recorder);
/* Publication as video on demand (vod-service.h), made with the recorder.
 * (transfer none) */
typedef struct CrVodService CrVodService;
CrVodService *cr_recorder_get_vod_service (CrRecorder *recorder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRecorder, cr_recorder_free)

G_END_DECLS
