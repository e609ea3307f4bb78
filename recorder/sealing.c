/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sealing.c: see sealing.h. */
#include "recorder/sealing.h"

#include "archive/late-seal.h"
#include "config/text.h"
#include "recorder/alarms.h"
#include "recorder/recorder-private.h"

#define SEAL_ALARM CR_EVENT_SEAL_UNAVAILABLE
#define SEAL_ALARM_INPUT "device-key"

/* The sessions that stopped while the key could not be used. */
static void
seal_left_unsealed (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;
  guint sealed = 0;

  if (!cr_late_seal_pending (recorder->index, recorder->key, "courtrecd", g_get_real_time (),
                             &sealed, &error))
    g_warning ("Could not seal the sessions left unsealed: %s",
               cr_text_shown (error->message));
  if (sealed > 0)
    g_message ("Sealed %u session(s) left unsealed at their stop (each has a seal-late "
               "event)", sealed);
}

/* The alarm stands, with the latest reason; raised (and logged) once. */
/* The alarm stands, with the key's latest fault as its message (which
 * says how to mend it); raised, and so logged, once. */
static void
key_unusable (CrRecorder *recorder, const GError *error)
{
  CrAlarm *alarm = cr_alarms_find (recorder, SEAL_ALARM, SEAL_ALARM_INPUT);

  if (alarm == NULL)
    cr_alarms_raise (recorder, SEAL_ALARM, SEAL_ALARM_INPUT, recorder->config->key_file,
                     error->message);
  else if (!g_str_equal (alarm->message, error->message))
    {
      g_free (alarm->message);
      alarm->message = g_strdup (error->message);
    }
}

static gboolean
load_key (CrRecorder *recorder)
{
  g_autoptr (GError) error = NULL;

  recorder->key = cr_device_key_load (recorder->config->key_file, TRUE, &error);
  if (recorder->key == NULL)
    {
      key_unusable (recorder, error);
      return FALSE;
    }
  return TRUE;
}

void
cr_sealing_init (CrRecorder *recorder)
{
  if (load_key (recorder))
    seal_left_unsealed (recorder);
}

gboolean
cr_sealing_key_usable (CrRecorder *recorder)
{
  if (recorder->key != NULL)
    return TRUE;
  if (!load_key (recorder))
    return FALSE;
  g_message ("The device key '%s' can be used again: sessions are sealed",
             cr_text_shown (recorder->config->key_file));
  cr_alarms_clear (recorder, SEAL_ALARM, SEAL_ALARM_INPUT, CR_EVENT_ALARM_CLEARED, NULL);
  g_clear_handle_id (&recorder->key_timer, g_source_remove);
  seal_left_unsealed (recorder);
  return TRUE;
}

static gboolean
retry_key (gpointer user_data)
{
  CrRecorder *recorder = user_data;

  if (cr_sealing_key_usable (recorder))
    {
      /* Removed by cr_sealing_key_usable already. */
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
cr_sealing_run (CrRecorder *recorder)
{
  if (recorder->key == NULL && recorder->key_timer == 0)
    recorder->key_timer = g_timeout_add_seconds (KEY_RETRY_SECONDS, retry_key, recorder);
}

/* The chain head signed with the device key: the integrity value the
 * parties sign (SPC 2017 rules, Art. 9). */
void
cr_sealing_try (CrRecorder *recorder, gint64 session_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *head = NULL;
  /* A seal comes after the stop, when the log no longer runs in the session. */
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);

  if (!cr_sealing_key_usable (recorder))
    return;
  if (cr_segment_index_seal_session (recorder->index, session_id, recorder->key,
                                     g_get_real_time (), &head, &error))
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_SESSION", session, "MESSAGE",
                        "Session %" G_GINT64_FORMAT " sealed: chain head %s", session_id, head);
      return;
    }
  if (g_error_matches (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY))
    return;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_SESSION", session, "MESSAGE",
                    "Session %" G_GINT64_FORMAT " could not be sealed: %s", session_id,
                    cr_text_shown (error->message));
  {
    g_autofree char *detail = cr_recorder_json_detail ("message", error->message, NULL);
    g_autoptr (GError) event_error = NULL;
    if (cr_segment_index_add_event (recorder->index, session_id, g_get_real_time (),
                                    CR_EVENT_SEAL_ERROR, detail, &event_error) <= 0)
      g_warning ("%s", cr_text_shown (event_error->message));
  }
}
