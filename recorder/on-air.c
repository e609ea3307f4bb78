/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* on-air.c: see on-air.h. */
#include "recorder/on-air.h"

#include "archive/case-number.h"
#include "config/text.h"
#include "recorder/recorder-private.h"

/* The session's case goes on air if the court approved it for broadcast
 * (and never forbade it). */
void
cr_on_air_update (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBroadcastRecord) decision = NULL;
  gboolean approved = FALSE;

  if (recorder->session != NULL)
    {
      decision = cr_segment_index_get_broadcast_decision (recorder->index,
                                                          recorder->session->case_no,
                                                          &error);
      if (error != NULL)
        g_warning ("Could not read the broadcast decision of %s: %s (not streaming)",
                   cr_text_shown (recorder->session->case_no),
                   cr_text_shown (error->message));
      approved = decision != NULL && decision->decision == CR_BROADCAST_APPROVED;
    }
  if (approved && !cr_broadcast_is_on_air (recorder->broadcast))
    {
      g_autofree char *approved_at = cr_format_utc (decision->at_us);
      g_autofree char *detail = cr_recorder_json_detail ("approved_by", decision->by,
                                                         "approved_at", approved_at, NULL);

      cr_broadcast_go_on_air (recorder->broadcast, recorder->session->case_no,
                              recorder->state == PAUSED);
      /* The approval it goes on air under, in the session's own record. */
      cr_recorder_log_event (recorder, CR_EVENT_ON_AIR, detail);
      g_message ("Session %" G_GINT64_FORMAT " of %s is on air", recorder->session->id,
                 cr_text_shown (recorder->session->case_no));
    }
  else if (!approved && cr_broadcast_is_on_air (recorder->broadcast))
    {
      cr_broadcast_go_off_air (recorder->broadcast);
      cr_recorder_log_event (recorder, CR_EVENT_OFF_AIR, NULL);
      g_message ("Off air");
    }
}

/* Why @case_no cannot be streamed, or NULL if it can. (transfer full) */
static char *
broadcast_refusal (CrRecorder *recorder, const char *case_no)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBroadcastRecord) decision =
      cr_segment_index_get_broadcast_decision (recorder->index, case_no, &error);
  g_autofree char *at = NULL;

  if (error != NULL)
    return g_strdup_printf ("the broadcast decision of %s cannot be read: %s", case_no,
                            error->message);
  if (decision == NULL)
    return g_strdup_printf ("case %s is not approved for broadcast: approve it first "
                            "with `courtrec broadcast approve --case %s --by NAME`",
                            case_no, case_no);
  if (decision->decision == CR_BROADCAST_APPROVED)
    return NULL;
  at = cr_format_utc (decision->at_us);
  return g_strdup_printf ("case %s is non-public: broadcast forbidden%s%s on %s%s%s",
                          case_no, decision->by ? " by " : "", decision->by ? decision->by : "",
                          at, decision->reason ? ": " : "",
                          decision->reason ? decision->reason : "");
}

gint64
cr_recorder_decide_broadcast (CrRecorder *recorder, const char *case_no,
                              gboolean approve, const char *by, const char *reason,
                              GError **error)
{
  GError *local_error = NULL;
  g_autofree char *canonical = NULL;
  g_autoptr (CrBroadcastRecord) before = NULL;
  g_autofree char *detail = NULL;
  gint64 id;

  canonical = cr_case_number_canonicalize (case_no ? case_no : "", &local_error);
  if (canonical == NULL)
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID, "%s",
                   local_error->message);
      g_error_free (local_error);
      return 0;
    }
  if (approve && (by == NULL || *by == '\0'))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "An approval must say which account approved it");
      return 0;
    }
  if (!approve && (reason == NULL || *reason == '\0'))
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "A refusal must give its reason (--reason TEXT)");
      return 0;
    }
  before = cr_segment_index_get_broadcast_decision (recorder->index, canonical, &local_error);
  if (local_error != NULL)
    return cr_recorder_index_failed (error, local_error);
  if (before != NULL)
    {
      g_autofree char *at = cr_format_utc (before->at_us);

      if (before->decision == CR_BROADCAST_FORBIDDEN)
        {
          /* Non-public stays non-public: the rules know no way back. */
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Case %s is already non-public: broadcast forbidden on %s%s%s",
                       canonical, at, before->reason ? ": " : "",
                       before->reason ? before->reason : "");
          return 0;
        }
      if (approve)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Case %s is already approved for broadcast (by %s on %s): a case "
                       "is approved once", canonical, before->by ? before->by : "?", at);
          return 0;
        }
    }
  id = cr_segment_index_add_broadcast_decision (recorder->index, canonical,
                                                approve ? CR_BROADCAST_APPROVED
                                                        : CR_BROADCAST_FORBIDDEN,
                                                g_get_real_time (), by, reason, &local_error);
  if (id <= 0)
    return cr_recorder_index_failed (error, local_error);
  g_message ("Broadcast of %s %s%s%s", cr_text_shown (canonical),
             approve ? "approved" : "forbidden", by ? " by " : "", by ? cr_text_shown (by) : "");
  if (recorder->session != NULL && g_str_equal (recorder->session->case_no, canonical))
    {
      detail = cr_recorder_json_detail ("by", by, "reason", reason, NULL);
      cr_recorder_log_event (recorder,
                             approve ? CR_EVENT_BROADCAST_APPROVED : CR_EVENT_BROADCAST_FORBIDDEN,
                             detail);
      cr_on_air_update (recorder);
    }
  return id;
}

/* Turns a broadcast error into the recorder's: unknown names and bad
 * states are the caller's, set-up failures ours. */
static gboolean
broadcast_failed (GError **error, GError *broadcast_error)
{
  g_set_error (error, CR_RECORDER_ERROR,
               broadcast_error->code == CR_BROADCAST_ERROR_UNKNOWN ? CR_RECORDER_ERROR_INVALID
               : broadcast_error->code == CR_BROADCAST_ERROR_STATE ? CR_RECORDER_ERROR_STATE
                                                                   : CR_RECORDER_ERROR_FAILED,
               "%s", broadcast_error->message);
  g_error_free (broadcast_error);
  return FALSE;
}

gboolean
cr_recorder_stream_control (CrRecorder *recorder, const char *action, const char *name,
                            const char *actor, GError **error)
{
  GError *local_error = NULL;
  g_autofree char *detail = NULL;
  CrEventKind kind = CR_EVENT_UNKNOWN;
  gboolean ok;

  if (name != NULL && *name == '\0')
    name = NULL;
  if (g_strcmp0 (action, "start") == 0)
    {
      g_autofree char *refusal = NULL;

      if (name == NULL)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                       "Which stream? Give its NAME (a [stream NAME] group, or hls)");
          return FALSE;
        }
      if (recorder->session == NULL)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Cannot start stream %s: no session is running", name);
          return FALSE;
        }
      refusal = broadcast_refusal (recorder, recorder->session->case_no);
      if (refusal != NULL)
        {
          detail = cr_recorder_json_detail ("stream", name, "reason", refusal, NULL);
          cr_recorder_log_event (recorder, CR_EVENT_STREAM_REFUSED, detail);
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Cannot start stream %s: %s", name, refusal);
          return FALSE;
        }
      cr_on_air_update (recorder);
      ok = cr_broadcast_start_output (recorder->broadcast, name, &local_error);
      kind = CR_EVENT_STREAM_START;
    }
  else if (g_strcmp0 (action, "stop") == 0)
    {
      ok = cr_broadcast_stop_output (recorder->broadcast, name, &local_error);
      kind = CR_EVENT_STREAM_STOP;
    }
  else if (g_strcmp0 (action, "cut") == 0 || g_strcmp0 (action, "resume") == 0)
    {
      /* A cut belongs to a session (it may precede the approval, and then
       * the stream opens on the slate); in standby there is nothing to cut. */
      if (recorder->session == NULL)
        {
          g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_STATE,
                       "Cannot %s the broadcast: no session is running", action);
          return FALSE;
        }
      ok = cr_broadcast_cut (recorder->broadcast, name, g_str_equal (action, "cut"),
                             &local_error);
      kind = g_str_equal (action, "cut") ? CR_EVENT_STREAM_CUT : CR_EVENT_STREAM_RESUME;
    }
  else
    {
      g_set_error (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID,
                   "Unknown stream action '%s': expected start, stop, cut or resume",
                   action ? action : "");
      return FALSE;
    }
  if (!ok)
    return broadcast_failed (error, local_error);
  detail = cr_recorder_json_detail ("stream", name ? name : "all", actor != NULL ? "by" : NULL,
                                    actor, NULL);
  cr_recorder_log_event (recorder, kind, detail);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_DESTINATION", name ? name : "all",
                    "MESSAGE", "Stream %s: %s by %s", name ? cr_text_shown (name) : "(all)", action,
                    actor != NULL ? cr_text_shown (actor) : "the recorder");
  return TRUE;
}

CrBroadcast *
cr_recorder_get_broadcast (CrRecorder *recorder)
{
  return recorder->broadcast;
}
