/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report-facts.c: the facts of a hearing report (report-private.h).
 *
 * Pauses are paired from their pause and resume events; a pause still open
 * at the stop ends there. Faults are read by their class in the vocabulary
 * (event-kind.h): an alarm opens a fault that the event clearing it closes,
 * or else the session's end; an alarm raised as the session began, or
 * cleared without having been raised in the session, stood from the
 * session's start (an input dead when the hearing began is a fault of
 * the whole hearing until it came back). */
#include "archive/report-private.h"

#include "archive/access-audit.h"

/* How soon after the session's start an alarm counts as standing from the
 * start. */
#define AT_START_US G_USEC_PER_SEC

static void
pause_free (CrReportPause *pause)
{
  g_free (pause->reason);
  g_free (pause);
}

static void
fault_free (CrReportFault *fault)
{
  g_free (fault->what);
  g_free (fault->input);
  g_free (fault->label);
  g_free (fault->role);
  g_free (fault->message);
  g_free (fault->ended_by);
  g_clear_pointer (&fault->events, g_ptr_array_unref);
  g_free (fault);
}

void
cr_report_facts_free (CrReportFacts *facts)
{
  if (facts == NULL)
    return;
  cr_session_record_free (facts->session);
  g_clear_pointer (&facts->events, g_ptr_array_unref);
  g_clear_pointer (&facts->segments, g_ptr_array_unref);
  g_clear_pointer (&facts->pauses, g_ptr_array_unref);
  g_clear_pointer (&facts->faults, g_ptr_array_unref);
  g_clear_pointer (&facts->markers, g_ptr_array_unref);
  g_clear_pointer (&facts->others, g_ptr_array_unref);
  g_clear_pointer (&facts->access, g_ptr_array_unref);
  g_free (facts);
}

JsonObject *
cr_report_detail_object (const CrEventRecord *event, JsonNode **holder)
{
  *holder = event->detail != NULL ? json_from_string (event->detail, NULL) : NULL;
  if (*holder == NULL || !JSON_NODE_HOLDS_OBJECT (*holder))
    return NULL;
  return json_node_get_object (*holder);
}

static char *
detail_string (const CrEventRecord *event, const char *member)
{
  g_autoptr (JsonNode) holder = NULL;
  JsonObject *object = cr_report_detail_object (event, &holder);
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL ||
      !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/* --- pauses --------------------------------------------------------------- */

typedef struct {
  CrReportFacts *facts;
  CrReportPause *open_pause;
  GPtrArray *standing;    /* CrReportFault, the alarms not yet cleared */
  gint64 first_frame_us;  /* the first segment's start, or G_MAXINT64 */
} Gathering;

static void
take_pause (Gathering *gathering, CrEventRecord *event)
{
  if (event->kind == CR_EVENT_PAUSE)
    {
      g_autofree char *reason = detail_string (event, "reason");
      CrReportPause *pause;

      /* Two pauses in a row cannot happen; if the log says so, the first
       * one ends where the second begins. */
      if (gathering->open_pause != NULL)
        {
          gathering->open_pause->end_us = event->at_us;
          gathering->open_pause->ended_by = "pause";
        }
      pause = g_new0 (CrReportPause, 1);
      pause->start_us = event->at_us;
      pause->reason = g_strdup (reason != NULL ? reason
                                : event->detail != NULL ? event->detail : "?");
      g_ptr_array_add (gathering->facts->pauses, pause);
      gathering->open_pause = pause;
    }
  else if ((event->kind == CR_EVENT_RESUME || event->kind == CR_EVENT_STOP) &&
           gathering->open_pause != NULL)
    {
      gathering->open_pause->end_us = event->at_us;
      gathering->open_pause->ended_by = event->kind == CR_EVENT_STOP ? "stop" : "resume";
      gathering->open_pause = NULL;
    }
}

/* --- faults --------------------------------------------------------------- */

static CrReportFault *
new_fault (Gathering *gathering, CrEventKind kind, const char *what,
           CrEventRecord *event)
{
  CrReportFault *fault = g_new0 (CrReportFault, 1);

  fault->kind = kind;
  fault->what = g_strdup (what);
  fault->start_us = event->at_us;
  fault->end_us = event->at_us;
  fault->events = g_ptr_array_new ();
  g_ptr_array_add (gathering->facts->faults, fault);
  return fault;
}

/* Fills in what @event says of @fault's input and cause, where the events
 * before it said nothing. */
static void
learn (CrReportFault *fault, CrEventRecord *event)
{
  g_autoptr (JsonNode) holder = NULL;
  JsonObject *object = cr_report_detail_object (event, &holder);
  struct { char **field; const char *members[3]; } known[] = {
    { &fault->input, { "input", NULL } },
    { &fault->label, { "label", NULL } },
    { &fault->role, { "kind", NULL } },
    { &fault->message, { "reason", "message", NULL } },
  };

  g_ptr_array_add (fault->events, event);
  if (object == NULL)
    {
      if (fault->message == NULL && event->detail != NULL)
        fault->message = g_strdup (event->detail);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    for (guint m = 0; *known[i].field == NULL && known[i].members[m] != NULL; m++)
      *known[i].field = detail_string (event, known[i].members[m]);
}

/* The fault @event's alarm names: the detail's "alarm" for the generic
 * kind, else the kind itself. */
static char *
alarm_name (CrEventRecord *event)
{
  if (event->kind == CR_EVENT_ALARM)
    return detail_string (event, "alarm");
  return g_strdup (event->kind_name);
}

static CrReportFault *
find_standing (Gathering *gathering, const char *what, const char *input)
{
  for (guint i = 0; i < gathering->standing->len; i++)
    {
      CrReportFault *fault = g_ptr_array_index (gathering->standing, i);
      if (g_strcmp0 (fault->what, what) == 0 &&
          (input == NULL || g_strcmp0 (fault->input, input) == 0))
        return fault;
    }
  return NULL;
}

static void
raise_alarm (Gathering *gathering, CrEventRecord *event)
{
  g_autofree char *what = alarm_name (event);
  g_autofree char *input = detail_string (event, "input");
  CrReportFault *fault;
  CrEventKind kind;

  if (what == NULL)
    what = g_strdup (event->kind_name);
  /* input-lost and the alarm it raises come as two events: one fault. */
  fault = find_standing (gathering, what, input);
  if (fault != NULL)
    {
      learn (fault, event);
      return;
    }
  kind = cr_event_kind_from_string (what);
  fault = new_fault (gathering, cr_event_kind_is_alarm (kind) ? kind : CR_EVENT_ALARM,
                     what, event);
  fault->spans = TRUE;
  fault->end_us = 0;
  /* An alarm raised before the session's first frame, or in its first
   * second (where the recorder logs the inputs already down as it begins
   * the session), stood when the hearing began: nothing was recorded with
   * that input up. */
  if (event->at_us <= MAX (gathering->first_frame_us,
                           gathering->facts->session->started_us + AT_START_US))
    {
      fault->start_us = gathering->facts->session->started_us;
      fault->from_start = TRUE;
    }
  learn (fault, event);
  g_ptr_array_add (gathering->standing, fault);
}

static void
clear_alarm (Gathering *gathering, CrEventRecord *event)
{
  g_autofree char *what = detail_string (event, "alarm");
  g_autofree char *input = detail_string (event, "input");
  CrEventKind cleared = cr_event_kind_clears (event->kind);
  CrReportFault *fault;

  if (what == NULL && cleared != CR_EVENT_ALARM)
    what = g_strdup (cr_event_kind_to_string (cleared));
  if (what == NULL)
    {
      /* alarm-cleared that names no alarm: a fault event of its own. */
      learn (new_fault (gathering, event->kind, event->kind_name, event), event);
      return;
    }
  fault = find_standing (gathering, what, input);
  if (fault == NULL)
    {
      /* Cleared, never raised in the session: it was standing when the
       * session began (raised in standby, or before the recorder logged
       * inputs already down). */
      CrEventKind kind = cr_event_kind_from_string (what);

      fault = new_fault (gathering, cr_event_kind_is_alarm (kind) ? kind : CR_EVENT_ALARM,
                         what, event);
      fault->spans = TRUE;
      fault->from_start = TRUE;
      fault->start_us = gathering->facts->session->started_us;
    }
  else
    g_ptr_array_remove (gathering->standing, fault);
  fault->end_us = event->at_us;
  fault->ended_by = g_strdup (event->kind_name);
  learn (fault, event);
}

static void
take_fault (Gathering *gathering, CrEventRecord *event)
{
  CrReportFault *fault;

  if (cr_event_kind_is_alarm (event->kind))
    {
      raise_alarm (gathering, event);
      return;
    }
  if (cr_event_kind_clears (event->kind) != CR_EVENT_UNKNOWN)
    {
      clear_alarm (gathering, event);
      return;
    }
  fault = new_fault (gathering, event->kind, event->kind_name, event);
  learn (fault, event);
  if (event->kind == CR_EVENT_GAP)
    {
      g_autofree char *from = detail_string (event, "from");
      g_autofree char *to = detail_string (event, "to");
      gint64 from_us, to_us;

      if (cr_parse_utc (from, &from_us) && cr_parse_utc (to, &to_us) && to_us >= from_us)
        {
          fault->start_us = from_us;
          fault->end_us = to_us;
          fault->spans = TRUE;
        }
    }
}

static gint
by_start (gconstpointer a, gconstpointer b)
{
  const CrReportFault *x = *(CrReportFault *const *) a;
  const CrReportFault *y = *(CrReportFault *const *) b;

  return (x->start_us > y->start_us) - (x->start_us < y->start_us);
}

/* --- the whole ------------------------------------------------------------ */

CrReportFacts *
cr_report_facts_gather (CrSegmentIndex *index, const CrConfig *config,
                        gint64 session_id, GError **error)
{
  g_autoptr (CrReportFacts) facts = g_new0 (CrReportFacts, 1);
  g_autoptr (GPtrArray) standing = g_ptr_array_new ();
  Gathering gathering = { .facts = facts, .standing = standing,
                          .first_frame_us = G_MAXINT64 };

  facts->config = config;
  facts->session = cr_segment_index_get_session (index, session_id, error);
  if (facts->session == NULL)
    return NULL;
  facts->events = cr_segment_index_list_events (index, session_id, error);
  if (facts->events == NULL)
    return NULL;
  facts->segments = cr_segment_index_list_chain (index, session_id, error);
  if (facts->segments == NULL)
    return NULL;
  facts->pauses = g_ptr_array_new_with_free_func ((GDestroyNotify) pause_free);
  facts->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) fault_free);
  facts->markers = g_ptr_array_new ();
  facts->others = g_ptr_array_new ();
  facts->access = cr_access_audit_rows (facts->events);

  for (guint i = 0; i < facts->segments->len; i++)
    {
      CrSegmentRecord *segment = g_ptr_array_index (facts->segments, i);
      facts->recorded_us += segment->duration_us;
      facts->bytes += segment->bytes;
      if (i == 0)
        gathering.first_frame_us = segment->started_us;
    }

  for (guint i = 0; i < facts->events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (facts->events, i);

      take_pause (&gathering, event);
      switch (cr_event_kind_get_class (event->kind))
        {
        case CR_EVENT_CLASS_STATE:
        case CR_EVENT_CLASS_PAUSE:
          /* The summary and the pause list show them. */
          break;
        case CR_EVENT_CLASS_MARKER:
          g_ptr_array_add (facts->markers, event);
          break;
        case CR_EVENT_CLASS_FAULT:
          take_fault (&gathering, event);
          break;
        case CR_EVENT_CLASS_ACCESS:
          /* Its own section: facts->access. */
          break;
        case CR_EVENT_CLASS_OTHER:
          g_ptr_array_add (facts->others, event);
          break;
        }
    }

  /* What still stands lasted to the session's end. */
  for (guint i = 0; i < standing->len; i++)
    {
      CrReportFault *fault = g_ptr_array_index (standing, i);
      if (facts->session->stopped_us != 0)
        {
          fault->end_us = MAX (facts->session->stopped_us, fault->start_us);
          fault->ended_by = g_strdup ("the session's end");
        }
    }
  g_ptr_array_sort (facts->faults, by_start);

  for (guint i = 0; i < facts->pauses->len; i++)
    {
      CrReportPause *pause = g_ptr_array_index (facts->pauses, i);
      if (pause->end_us > pause->start_us)
        facts->paused_us += pause->end_us - pause->start_us;
    }
  return g_steal_pointer (&facts);
}
