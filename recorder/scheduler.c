/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scheduler.c: see scheduler.h. */
#include "recorder/scheduler.h"

#include "archive/utc.h"
#include "config/text.h"
#include "recorder/alarms.h"
#include "recorder/recorder-private.h"
#include "schedule/schedule-poller.h"
#include "schedule/slots.h"

/* The index is read again at least this often, whatever the poller says:
 * another process (`courtrec schedule`, a clerk's not-held) writes it too. */
#define REREAD_US (60 * G_USEC_PER_SEC)
/* A source failing this long at least makes the schedule stale. */
#define STALE_FLOOR_US (15 * 60 * G_USEC_PER_SEC)

struct CrScheduler {
  CrRecorder *recorder;         /* borrowed */
  GPtrArray *hearings;          /* CrHearingRow*, from cr_slots_around */
  gint64 read_mono_us;          /* when they were read; 0: read at the next tick */
  gint64 sources_changed_us;    /* the sources' latest change, as last seen */
  guint timer;
  CrSchedulePoller *poller;     /* when [schedule] calendar or feed is set */
  /* Hearings autostart has dealt with (started, or found already recorded
   * or stopped by a clerk): never started twice. uid -> TRUE */
  GHashTable *autostarted;
  char *autostart_failed;       /* the uid whose start failed, said once */
};

static const char *const INPUT = "schedule";


void
cr_scheduler_changed (gpointer data)
{
  CrScheduler *scheduler = data;

  scheduler->read_mono_us = 0;
}

static void
read_hearings (CrScheduler *scheduler, gint64 now)
{
  const CrConfig *config = scheduler->recorder->config;
  g_autoptr (GError) error = NULL;
  GPtrArray *hearings = cr_slots_around (scheduler->recorder->index, now,
                                         MAX (config->schedule_public_days, 2), &error);

  scheduler->read_mono_us = g_get_monotonic_time ();
  if (hearings == NULL)
    {
      /* The hearings read last time still run everything. */
      g_warning ("The schedule could not be read from the index: %s",
                 cr_text_shown (error->message));
      return;
    }
  g_clear_pointer (&scheduler->hearings, g_ptr_array_unref);
  scheduler->hearings = hearings;
}

GPtrArray *
cr_scheduler_get_hearings (CrScheduler *scheduler)
{
  /* Changed since the last tick: status shows what the index says now. */
  if (scheduler->hearings == NULL || scheduler->read_mono_us == 0)
    read_hearings (scheduler, g_get_real_time ());
  return scheduler->hearings;
}

static const CrHearingRow *
find_uid (CrScheduler *scheduler, const char *uid)
{
  for (guint i = 0; uid != NULL && i < scheduler->hearings->len; i++)
    {
      const CrHearingRow *hearing = g_ptr_array_index (scheduler->hearings, i);
      if (g_strcmp0 (hearing->uid, uid) == 0)
        return hearing;
    }
  return NULL;
}

/* Raises @what for @label, or moves it there (cleared for the old label,
 * raised for the new). */
static void
stand (CrRecorder *recorder, CrEventKind what, const char *label, const char *message)
{
  CrAlarm *alarm = cr_alarms_find (recorder, what, INPUT);

  if (alarm != NULL && g_strcmp0 (alarm->label, label) == 0)
    return;
  if (alarm != NULL)
    cr_alarms_clear (recorder, what, INPUT, CR_EVENT_ALARM_CLEARED, NULL);
  cr_alarms_raise (recorder, what, INPUT, label, message);
}

static void
clear (CrRecorder *recorder, CrEventKind what, const char *why)
{
  if (cr_alarms_find (recorder, what, INPUT) != NULL)
    cr_alarms_clear (recorder, what, INPUT, CR_EVENT_ALARM_CLEARED, "reason", why, NULL);
}

static char *
describe (const CrHearingRow *hearing)
{
  g_autofree char *starts = cr_format_utc (hearing->starts_us);
  g_autofree char *ends = cr_format_utc (hearing->ends_us);

  return g_strdup_printf ("%s%s%s (%s to %s)", hearing->case_no,
                          hearing->title != NULL ? " " : "",
                          hearing->title != NULL ? hearing->title : "", starts, ends);
}

/* Whether a session of @hearing's case began inside its slot already (a
 * clerk's, or ours before a restart): autostart then leaves the room as
 * the clerk left it. */
static gboolean
recorded_in_slot (CrScheduler *scheduler, const CrHearingRow *hearing)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sessions = cr_segment_index_list_sessions (
      scheduler->recorder->index, hearing->case_no, &error);

  for (guint i = 0; sessions != NULL && i < sessions->len; i++)
    {
      CrSessionRecord *session = g_ptr_array_index (sessions, i);
      if (g_strcmp0 (session->room_id, scheduler->recorder->config->room_id) == 0 &&
          session->started_us >= hearing->starts_us && session->started_us < hearing->ends_us)
        return TRUE;
    }
  return FALSE;
}

static void
autostart (CrScheduler *scheduler, const CrHearingRow *current)
{
  CrRecorder *recorder = scheduler->recorder;
  g_autoptr (GError) error = NULL;

  if (g_hash_table_contains (scheduler->autostarted, current->uid))
    return;
  if (recorded_in_slot (scheduler, current))
    {
      g_hash_table_add (scheduler->autostarted, g_strdup (current->uid));
      return;
    }
  if (cr_recorder_start_for_hearing (recorder, current->case_no, current->title, "schedule",
                                     current->uid, &error) > 0)
    {
      g_hash_table_add (scheduler->autostarted, g_strdup (current->uid));
      g_message ("The schedule started %s", cr_text_shown (current->case_no));
      return;
    }
  /* Tried again at every tick (the disk may come back); said once. */
  if (g_strcmp0 (scheduler->autostart_failed, current->uid) != 0)
    {
      g_warning ("The schedule could not start %s: %s", cr_text_shown (current->case_no),
                 cr_text_shown (error->message));
      g_free (scheduler->autostart_failed);
      scheduler->autostart_failed = g_strdup (current->uid);
    }
}

/* The session the schedule started for a slot that has ended, with the
 * next slot (another case) beginning at that end: handed over to it. A
 * slot of the same case goes on in the same session. */
static void
follow_on (CrScheduler *scheduler, const CrHearingRow *current, gint64 now)
{
  CrRecorder *recorder = scheduler->recorder;
  const CrHearingRow *ending = find_uid (scheduler, recorder->session_hearing);
  g_autoptr (GError) error = NULL;

  if (ending == NULL || g_strcmp0 (ending->uid, current->uid) == 0 || ending->ends_us > now ||
      current->starts_us > ending->ends_us)
    return;
  if (g_strcmp0 (current->case_no, recorder->session->case_no) == 0)
    {
      g_free (recorder->session_hearing);
      recorder->session_hearing = g_strdup (current->uid);
      g_hash_table_add (scheduler->autostarted, g_strdup (current->uid));
      return;
    }
  if (recorder->state != RECORDING)
    return;
  g_hash_table_add (scheduler->autostarted, g_strdup (current->uid));
  if (cr_recorder_split_at_boundary (recorder, current->case_no, current->title, current->uid,
                                     &error) <= 0)
    g_warning ("The recording could not be split at the end of the slot of %s: %s",
               cr_text_shown (ending->case_no), cr_text_shown (error->message));
}

/* A source failing for longer than max(3 x poll_seconds, 15 min), from
 * the sources' rows (another process reads them); *@label says which. */
static gboolean
schedule_stale_rows (CrScheduler *scheduler, gint64 now, char **label, char **message)
{
  const CrConfig *config = scheduler->recorder->config;
  const char *const sources[] = { config->schedule_calendar != NULL ? "calendar" : NULL,
                                  config->schedule_feed != NULL ? "feed" : NULL };
  gint64 limit = MAX (3 * (gint64) config->schedule_poll_seconds * G_USEC_PER_SEC,
                      STALE_FLOOR_US);

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autoptr (CrScheduleSourceRow) row = NULL;
      gint64 since;

      if (sources[i] == NULL)
        continue;
      row = cr_schedule_source_get (scheduler->recorder->index, sources[i], NULL);
      if (row == NULL || row->error == NULL)
        continue;
      /* Failing since the last read that worked, or since its first failure. */
      since = row->checked_us > 0 ? row->checked_us : row->error_us;
      if (since > 0 && now - since > limit)
        {
          g_autofree char *when = cr_format_utc (since);
          *label = g_strdup (sources[i]);
          *message = g_strdup_printf ("The %s has not been read since %s (%s); the "
                                      "schedule known then still runs the room",
                                      sources[i], when, row->error);
          return TRUE;
        }
    }
  return FALSE;
}

/* A source failing for longer than max(3 x poll_seconds, 15 min); *@label
 * says which. */
static gboolean
schedule_stale (CrScheduler *scheduler, gint64 now, char **label, char **message)
{
  if (scheduler->poller != NULL)
    {
      g_autofree char *why = NULL;
      if (!cr_schedule_poller_is_stale (scheduler->poller, now, &why))
        return FALSE;
      /* The source named first in what the poller says. */
      *label = g_strdup (why != NULL && g_str_has_prefix (why, "the feed") ? "feed" : "calendar");
      *message = g_strdup_printf ("%s; the schedule known then still runs the room",
                                  why != NULL ? why : "The schedule could not be read");
      return TRUE;
    }
  return schedule_stale_rows (scheduler, now, label, message);
}

/* A source written by another process (`courtrec schedule`, a poller
 * of another courtrecd on the same index) shows in its row's changed
 * time: the hearings are read again at once, not at the next minute. */
static void
notice_source_change (CrScheduler *scheduler)
{
  static const char *const sources[] = { "calendar", "feed" };
  gint64 latest = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autoptr (CrScheduleSourceRow) row = cr_schedule_source_get (
          scheduler->recorder->index, sources[i], NULL);
      if (row != NULL)
        latest = MAX (latest, row->changed_us);
    }
  if (latest != scheduler->sources_changed_us)
    {
      scheduler->sources_changed_us = latest;
      scheduler->read_mono_us = 0;
    }
}

void
cr_scheduler_tick (CrScheduler *scheduler)
{
  CrRecorder *recorder = scheduler->recorder;
  const CrConfig *config = recorder->config;
  gint64 now = g_get_real_time ();
  const CrHearingRow *current;
  g_autofree char *stale_label = NULL;
  g_autofree char *stale_message = NULL;

  notice_source_change (scheduler);
  if (scheduler->hearings == NULL || scheduler->read_mono_us == 0 ||
      g_get_monotonic_time () - scheduler->read_mono_us >= REREAD_US)
    read_hearings (scheduler, now);
  if (scheduler->hearings == NULL)
    return;
  current = cr_slots_current (scheduler->hearings, now);

  if (config->schedule_autostart && current != NULL)
    {
      if (recorder->state == STANDBY)
        autostart (scheduler, current);
      else if (recorder->session_hearing != NULL)
        follow_on (scheduler, current, now);
    }

  /* Not recording what the calendar says is on: nothing recording, or
   * another case begun inside the slot (one begun before it is an
   * overrun, below). A pause of the same case is the court's own (a
   * recess): lawful; and a hearing recorded in its slot and stopped by the
   * clerk has ended early, not gone unrecorded. */
  if (current != NULL && now >= current->starts_us +
                                 (gint64) config->schedule_grace_seconds * G_USEC_PER_SEC &&
      ((recorder->state == STANDBY && !recorded_in_slot (scheduler, current)) ||
       (recorder->state != STANDBY &&
        g_strcmp0 (recorder->session->case_no, current->case_no) != 0 &&
        recorder->session->started_us >= current->starts_us)))
    {
      g_autofree char *what = describe (current);
      g_autofree char *message = g_strdup_printf (
          "Scheduled hearing %s has started and the room is not recording it", what);
      stand (recorder, CR_EVENT_SCHEDULED_NOT_RECORDING, current->uid, message);
    }
  else
    clear (recorder, CR_EVENT_SCHEDULED_NOT_RECORDING,
           current == NULL ? "the slot ended" : "recording");

  /* A session begun before the current slot, of another case, runs into
   * it: the clerk must stop it (the schedule never does). */
  if (current != NULL && recorder->session != NULL &&
      recorder->session->started_us < current->starts_us &&
      g_strcmp0 (recorder->session->case_no, current->case_no) != 0)
    {
      g_autofree char *what = describe (current);
      g_autofree char *message = g_strdup_printf (
          "Session %" G_GINT64_FORMAT " of %s runs into the slot of %s", recorder->session->id,
          recorder->session->case_no, what);
      stand (recorder, CR_EVENT_HEARING_OVERRUN, current->uid, message);
    }
  else
    clear (recorder, CR_EVENT_HEARING_OVERRUN,
           recorder->session == NULL ? "stopped" : "the slot ended");

  if (schedule_stale (scheduler, now, &stale_label, &stale_message))
    stand (recorder, CR_EVENT_SCHEDULE_STALE, stale_label, stale_message);
  else
    clear (recorder, CR_EVENT_SCHEDULE_STALE, "read again");
}

static gboolean
on_tick (gpointer data)
{
  cr_scheduler_tick (data);
  return G_SOURCE_CONTINUE;
}

/* A session resumed after a restart that the schedule had started: which
 * hearing it was for, from its start event. */
static void
recall_session_hearing (CrRecorder *recorder)
{
  g_autoptr (GPtrArray) events = NULL;

  if (recorder->session == NULL || recorder->session_hearing != NULL)
    return;
  events = cr_segment_index_list_events (recorder->index, recorder->session->id, NULL);
  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      g_autoptr (JsonNode) node = NULL;

      if (event->kind != CR_EVENT_START && event->kind != CR_EVENT_HEARING_BOUNDARY)
        continue;
      if (event->detail == NULL || (node = json_from_string (event->detail, NULL)) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      if (event->kind == CR_EVENT_START &&
          g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node),
                                                                 "by", NULL), "schedule") != 0)
        return;
      g_free (recorder->session_hearing);
      recorder->session_hearing = g_strdup (json_object_get_string_member_with_default (
          json_node_get_object (node), "hearing", NULL));
    }
}

CrScheduler *
cr_scheduler_new (CrRecorder *recorder)
{
  CrScheduler *scheduler = g_new0 (CrScheduler, 1);

  scheduler->recorder = recorder;
  scheduler->autostarted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  recall_session_hearing (recorder);
  if (recorder->session_hearing != NULL)
    g_hash_table_add (scheduler->autostarted, g_strdup (recorder->session_hearing));
  if (recorder->config->schedule_calendar != NULL || recorder->config->schedule_feed != NULL)
    scheduler->poller = cr_schedule_poller_new (recorder->config, recorder->index,
                                                cr_scheduler_changed, scheduler);
  scheduler->timer = g_timeout_add (1000, on_tick, scheduler);
  return scheduler;
}

void
cr_scheduler_free (CrScheduler *scheduler)
{
  if (scheduler == NULL)
    return;
  g_clear_handle_id (&scheduler->timer, g_source_remove);
  g_clear_pointer (&scheduler->poller, cr_schedule_poller_free);
  g_clear_pointer (&scheduler->hearings, g_ptr_array_unref);
  g_hash_table_unref (scheduler->autostarted);
  g_free (scheduler->autostart_failed);
  g_free (scheduler);
}

JsonNode *
cr_scheduler_get_sources (CrScheduler *scheduler)
{
  return scheduler->poller != NULL ? cr_schedule_poller_get_sources (scheduler->poller) : NULL;
}
