/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recorder-control.c: see recorder.h. The clerk's and the schedule's
 * control of the session: start, pause, resume, stop, the hand-over at a
 * slot's end, markers and the layout; each a transition of the state
 * machine and its events in the index. The recorder's life, the capture's
 * and the writer's callbacks are in recorder.c. */
#include "recorder/recorder.h"

#include "archive/case-number.h"
#include "config/text.h"
#include "recorder/alarms.h"
#include "recorder/disk-guard.h"
#include "recorder/log-writer.h"
#include "recorder/on-air.h"
#include "recorder/recorder-private.h"
#include "recorder/sealing.h"

static const char *const pause_reasons[] = {
  "recess", "non-public-evidence", "mediation", "other", NULL
};

/* --- control ------------------------------------------------------------- */

gint64
cr_recorder_start (CrRecorder *recorder, const char *case_no, const char *title,
                   const char *actor, GError **error)
{
  return cr_recorder_start_for_hearing (recorder, case_no, title, actor, NULL, error);
}

gint64
cr_recorder_start_for_hearing (CrRecorder *recorder, const char *case_no, const char *title,
                               const char *actor, const char *hearing_uid, GError **error)
{
  g_autofree char *canonical = NULL;
  GError *local_error = NULL;
  gint64 id;
  gint64 now = g_get_real_time ();

  if (recorder->state != STANDBY)
    {
      g_autofree char *since = cr_format_utc (recorder->session->started_us);
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                   "A session is already %s in this room: session %" G_GINT64_FORMAT
                   " of %s, since %s. Stop it before starting another.",
                   recorder->state == RECORDING ? "recording" : "paused",
                   recorder->session->id, recorder->session->case_no, since);
      return 0;
    }
  canonical = cr_case_number_canonicalize (case_no ? case_no : "", &local_error);
  if (canonical == NULL)
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                   local_error->message);
      g_error_free (local_error);
      return 0;
    }
  if (title != NULL && *title == '\0')
    title = NULL;

  if (!cr_disk_guard_allows_start (recorder, error))
    return 0;

  id = cr_segment_index_begin_session_for (recorder->index, recorder->config->room_id,
                                           canonical, title, now, actor, hearing_uid,
                                           &local_error);
  if (id <= 0)
    return cr_recorder_index_failed (error, local_error);
  g_free (recorder->session_hearing);
  recorder->session_hearing = g_strdup (hearing_uid);

  recorder->session = cr_segment_index_get_session (recorder->index, id, &local_error);
  if (recorder->session == NULL)
    return cr_recorder_index_failed (error, local_error);
  cr_log_set_session (recorder->session->id, recorder->session->case_no);
  recorder->state = RECORDING;
  recorder->next_sequence = 1;
  cr_alarms_log_standing (recorder, recorder->session->started_us);
  cr_recorder_update_caption (recorder);
  cr_recorder_begin_segments (recorder);
  g_message ("Started session %" G_GINT64_FORMAT " of %s by %s", id, cr_text_shown (canonical),
             actor != NULL ? cr_text_shown (actor) : "the recorder");
  cr_on_air_update (recorder);
  return id;
}

static gboolean
require_state (CrRecorder *recorder, RecorderState wanted, const char *verb,
               GError **error)
{
  static const char *const names[] = { "in standby", "recording", "paused" };

  if (recorder->state == wanted)
    return TRUE;
  g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
               "Cannot %s: the room is %s%s", verb, names[recorder->state],
               recorder->state == STANDBY ? " (no session is running)" : "");
  return FALSE;
}

static gboolean
transition (CrRecorder *recorder, CrSessionState state, RecorderState next,
            CrEventKind event, const char *detail, GError **error)
{
  GError *local_error = NULL;
  gint64 now = g_get_real_time ();

  if (!cr_segment_index_change_session_state (recorder->index, recorder->session->id,
                                              state, now, event, detail, &local_error))
    return cr_recorder_index_failed (error, local_error);
  recorder->session->state = state;
  recorder->state = next;
  return TRUE;
}

gboolean
cr_recorder_pause (CrRecorder *recorder, const char *reason, const char *actor, GError **error)
{
  g_autofree char *detail = NULL;

  if (reason == NULL || !g_strv_contains (pause_reasons, reason))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Unknown pause reason '%s': expected recess, "
                   "non-public-evidence, mediation or other", reason ? reason : "");
      return FALSE;
    }
  if (!require_state (recorder, RECORDING, "pause", error))
    return FALSE;
  detail = cr_recorder_json_detail ("reason", reason, actor != NULL ? "by" : NULL, actor, NULL);
  if (!transition (recorder, CR_SESSION_PAUSED, PAUSED, CR_EVENT_PAUSE, detail, error))
    return FALSE;
  /* A session boundary for the files: the recess is not in any of them. */
  cr_recorder_end_segments (recorder);
  g_free (recorder->pause_reason);
  recorder->pause_reason = g_strdup (reason);
  cr_recorder_update_caption (recorder);
  cr_broadcast_set_recess (recorder->broadcast, TRUE);
  g_message ("Paused session %" G_GINT64_FORMAT ": %s", recorder->session->id,
             cr_text_shown (reason));
  return TRUE;
}

gboolean
cr_recorder_resume (CrRecorder *recorder, const char *actor, GError **error)
{
  g_autofree char *detail = actor != NULL ? cr_recorder_json_detail ("by", actor, NULL) : NULL;

  if (!require_state (recorder, PAUSED, "resume", error))
    return FALSE;
  if (!transition (recorder, CR_SESSION_RECORDING, RECORDING, CR_EVENT_RESUME, detail, error))
    return FALSE;
  g_clear_pointer (&recorder->pause_reason, g_free);
  cr_recorder_update_caption (recorder);
  cr_recorder_begin_segments (recorder);
  cr_broadcast_set_recess (recorder->broadcast, FALSE);
  g_message ("Resumed session %" G_GINT64_FORMAT, recorder->session->id);
  return TRUE;
}

gboolean
cr_recorder_stop (CrRecorder *recorder, const char *actor, GError **error)
{
  g_autofree char *detail = actor != NULL ? cr_recorder_json_detail ("by", actor, NULL) : NULL;
  gint64 id;

  if (recorder->state == STANDBY)
    return require_state (recorder, RECORDING, "stop", error);
  /* A key mended during the session: its alarm ends in this session's log. */
  cr_sealing_key_usable (recorder);
  if (recorder->state == RECORDING)
    cr_recorder_end_segments (recorder);
  if (!transition (recorder, CR_SESSION_STOPPED, STANDBY, CR_EVENT_STOP, detail, error))
    return FALSE;
  id = recorder->session->id;
  if (cr_broadcast_is_on_air (recorder->broadcast))
    cr_recorder_log_event (recorder, CR_EVENT_OFF_AIR, NULL);
  /* Also when never on air: a cut made in this session ends with it. */
  cr_broadcast_go_off_air (recorder->broadcast);
  g_clear_pointer (&recorder->session, cr_session_record_free);
  g_clear_pointer (&recorder->pause_reason, g_free);
  g_clear_pointer (&recorder->session_hearing, g_free);
  cr_recorder_update_caption (recorder);
  g_message ("Stopped session %" G_GINT64_FORMAT, id);
  cr_log_set_session (0, NULL);
  /* Sealed now if every file is already closed (stopped while paused),
   * else when the last one closes. */
  cr_sealing_try (recorder, id);
  if (!cr_sealing_key_usable (recorder))
    g_warning ("Session %" G_GINT64_FORMAT " is not sealed: the device key '%s' cannot be "
               "used (see the seal-unavailable alarm)", id,
               cr_text_shown (recorder->config->key_file));
  return TRUE;
}

gint64
cr_recorder_split_at_boundary (CrRecorder *recorder, const char *case_no, const char *title,
                               const char *hearing_uid, GError **error)
{
  g_autofree char *canonical = NULL;
  g_autofree char *next_id = NULL;
  g_autofree char *previous_id = NULL;
  g_autofree char *ending_detail = NULL;
  g_autofree char *stop_detail = NULL;
  g_autofree char *next_detail = NULL;
  g_autoptr (CrSessionRecord) ending = NULL;
  GError *local_error = NULL;
  gint64 now = g_get_real_time ();
  gint64 id;

  if (!require_state (recorder, RECORDING, "split the recording at the slot's end", error))
    return 0;
  canonical = cr_case_number_canonicalize (case_no ? case_no : "", &local_error);
  if (canonical == NULL)
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                   local_error->message);
      g_error_free (local_error);
      return 0;
    }
  if (title != NULL && *title == '\0')
    title = NULL;

  /* The next session first: if the index refuses it, the running one goes
   * on untouched (an overrun, not a lost hearing). */
  id = cr_segment_index_begin_session_for (recorder->index, recorder->config->room_id,
                                           canonical, title, now, "schedule", hearing_uid,
                                           &local_error);
  if (id <= 0)
    return cr_recorder_index_failed (error, local_error);

  next_id = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  previous_id = g_strdup_printf ("%" G_GINT64_FORMAT, recorder->session->id);
  ending_detail = cr_recorder_json_detail ("hearing", recorder->session_hearing,
                                           "next_hearing", hearing_uid,
                                           "next_session", next_id, NULL);
  cr_recorder_log_event_at (recorder, now, CR_EVENT_HEARING_BOUNDARY, ending_detail);
  cr_sealing_key_usable (recorder);
  stop_detail = cr_recorder_json_detail ("by", "schedule", NULL);
  if (!cr_segment_index_change_session_state (recorder->index, recorder->session->id,
                                              CR_SESSION_STOPPED, now, CR_EVENT_STOP,
                                              stop_detail, &local_error))
    g_warning ("Session %" G_GINT64_FORMAT " could not be stopped at the slot's end (it is "
               "sealed when stopped): %s", recorder->session->id,
               cr_text_shown (local_error->message));
  g_clear_error (&local_error);
  if (cr_broadcast_is_on_air (recorder->broadcast))
    cr_recorder_log_event (recorder, CR_EVENT_OFF_AIR, NULL);
  cr_broadcast_go_off_air (recorder->broadcast);

  ending = g_steal_pointer (&recorder->session);
  recorder->session = cr_segment_index_get_session (recorder->index, id, &local_error);
  if (recorder->session == NULL)
    {
      /* Not to be: the files go on into the new session's row all the same. */
      g_warning ("%s", cr_text_shown (local_error->message));
      g_clear_error (&local_error);
      recorder->session = g_steal_pointer (&ending);
      return 0;
    }
  g_free (recorder->session_hearing);
  recorder->session_hearing = g_strdup (hearing_uid);
  next_detail = cr_recorder_json_detail ("hearing", hearing_uid,
                                         "previous_session", previous_id, NULL);
  cr_recorder_log_event_at (recorder, now, CR_EVENT_HEARING_BOUNDARY, next_detail);
  cr_log_set_session (recorder->session->id, recorder->session->case_no);
  recorder->next_sequence = 1;
  /* The open file of the ending session is handed over at the next
   * keyframe, asked for now: its last picture is followed by the new
   * file's first. */
  g_clear_pointer (&recorder->segment, cr_recorder_open_segment_free);
  cr_segment_writer_switch (recorder->writer, id, 1);
  cr_capture_request_keyframe (recorder->capture);
  cr_alarms_log_standing (recorder, now);
  cr_recorder_update_caption (recorder);
  cr_on_air_update (recorder);
  g_message ("Session %" G_GINT64_FORMAT " of %s ended at its slot's end; session %"
             G_GINT64_FORMAT " of %s follows without a gap", ending->id,
             cr_text_shown (ending->case_no), id, cr_text_shown (canonical));
  /* Sealed once its last file, still open, closes. */
  cr_sealing_try (recorder, ending->id);
  return id;
}

gint64
cr_recorder_mark (CrRecorder *recorder, const char *text, const char *actor, GError **error)
{
  GError *local_error = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (text ? text : ""));
  gint64 id;

  if (*stripped == '\0')
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "A marker needs some text");
      return 0;
    }
  if (recorder->session == NULL)
    {
      require_state (recorder, RECORDING, "add a marker", error);
      return 0;
    }
  id = cr_segment_index_add_marker_by (recorder->index, recorder->session->id,
                                       g_get_real_time (), text, actor, &local_error);
  if (id <= 0)
    return cr_recorder_index_failed (error, local_error);
  return id;
}

gboolean
cr_recorder_set_layout (CrRecorder *recorder, const char *layout, const char *actor,
                        GError **error)
{
  CrLayoutKind kind;
  g_autoptr (GError) capture_error = NULL;
  g_autofree char *detail = NULL;

  if (layout == NULL || !cr_layout_kind_from_string (layout, &kind))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Unknown layout '%s': expected single, pip, grid, voice or evidence",
                   layout ? layout : "");
      return FALSE;
    }
  if (!cr_capture_set_layout (recorder->capture, kind, &capture_error))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Cannot show the %s layout: %s", layout, capture_error->message);
      return FALSE;
    }
  detail = cr_recorder_json_detail ("layout", layout, actor != NULL ? "by" : NULL, actor, NULL);
  cr_recorder_log_event (recorder, CR_EVENT_LAYOUT, detail);
  g_message ("Layout: %s", cr_text_shown (layout));
  return TRUE;
}


