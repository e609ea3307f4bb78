/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-scheduler.c: a scheduled slot cannot be missed quietly. The
 * hearings are put into the room's index as the poller would (a feed
 * read before the network went down: the index remembers), and courtrecd
 * is judged by what a clerk and the case-management office see: status,
 * `courtrec status`, /metrics, the sessions and their files (ffprobe),
 * and `courtrec verify`. */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "archive/segment-index.h"
#include "archive/utc.h"
#include "schedule/hearing-store.h"
#include "tests/test-util-metrics.h"
#include "tests/test-util.h"

#define CASE_A "（2026）浙1022民初101号"
#define CASE_B "（2026）浙1022民初102号"
#define CASE_C "（2026）浙1022刑初7号"
#define FRAME_US 40000 /* 25 fps */

typedef struct {
  const char *uid;
  const char *case_no;
  const char *title;
  gint64 starts_us, ends_us;
  const char *status;          /* NULL: scheduled */
} Slot;

static CrSegmentIndex *
open_index (CrTestRoom *room, gboolean read_only)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  CrSegmentIndex *index;

  g_mkdir_with_parents (room->storage_dir, 0700);
  index = cr_segment_index_open (path, read_only, &error);
  g_assert_no_error (error);
  return index;
}

/* The feed as read: its hearings replace the source's, and the source's
 * row says it changed now (what courtrecd notices at its next tick). */
static void
seed (CrTestRoom *room, const Slot *slots, guint n)
{
  g_autoptr (CrSegmentIndex) index = open_index (room, FALSE);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time ();
  CrScheduleSourceRow source = {
    .source = (char *) "feed", .location = (char *) "feed.json",
    .checked_us = now, .changed_us = now, .hearings = n,
  };

  for (guint i = 0; i < n; i++)
    {
      CrHearingRow *row = g_new0 (CrHearingRow, 1);
      row->uid = g_strdup (slots[i].uid);
      row->case_no = g_strdup (slots[i].case_no);
      row->title = g_strdup (slots[i].title);
      row->location = g_strdup ("第一法庭");
      row->starts_us = slots[i].starts_us;
      row->ends_us = slots[i].ends_us;
      row->public_hearing = TRUE;
      row->status = g_strdup (slots[i].status != NULL ? slots[i].status : "scheduled");
      g_ptr_array_add (rows, row);
    }
  g_assert_true (cr_hearing_store_replace (index, "feed", rows, now, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cr_schedule_source_put (index, &source, &error));
  g_assert_no_error (error);
}

static CrTestRoom *
room_new (gboolean autostart, guint segment_seconds)
{
  g_autofree char *extra = g_strdup_printf ("[schedule]\ntimezone = Asia/Shanghai\n"
                                            "grace_seconds = 2\nautostart = %s\n\n",
                                            autostart ? "true" : "false");
  return cr_test_room_new (segment_seconds, extra);
}

/* "2026-12-03 19:19" of @utc_us in Asia/Shanghai. */
static char *
shanghai_minute (gint64 utc_us)
{
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier ("Asia/Shanghai");
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (utc_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, zone);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

static gint64
seconds (double s)
{
  return (gint64) (s * G_USEC_PER_SEC);
}

/* The standing alarm of @kind in status, or NULL. */
static JsonObject *
find_alarm (JsonObject *status, const char *kind)
{
  JsonArray *alarms = json_object_get_array_member (status, "alarms");

  for (guint i = 0; i < json_array_get_length (alarms); i++)
    {
      JsonObject *alarm = json_array_get_object_element (alarms, i);
      if (g_strcmp0 (json_object_get_string_member (alarm, "alarm"), kind) == 0)
        return alarm;
    }
  return NULL;
}

static gboolean
alarm_stands (CrTestRoom *room, const char *kind)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  return find_alarm (status, kind) != NULL;
}

typedef struct {
  CrTestRoom *room;
  const char *kind;
  gboolean standing;
} AlarmWait;

static gboolean
alarm_is (gpointer data)
{
  AlarmWait *wait = data;
  return alarm_stands (wait->room, wait->kind) == wait->standing;
}

static gboolean
wait_alarm (CrTestRoom *room, const char *kind, gboolean standing, guint timeout_ms)
{
  AlarmWait wait = { room, kind, standing };
  return cr_test_wait_until (alarm_is, &wait, timeout_ms);
}

typedef struct {
  CrTestRoom *room;
  const char *case_no;
  gint64 id;
} SessionWait;

static gboolean
session_of_case (gpointer data)
{
  SessionWait *wait = data;
  g_autoptr (JsonObject) status = cr_test_status (wait->room);
  JsonObject *session;

  if (json_object_get_null_member (status, "session"))
    return FALSE;
  session = json_object_get_object_member (status, "session");
  if (g_strcmp0 (json_object_get_string_member (session, "case"), wait->case_no) != 0 ||
      json_object_get_null_member (status, "segment"))
    return FALSE;
  wait->id = json_object_get_int_member (session, "id");
  return TRUE;
}

/* Waits until a session of @case_no records into a file; its id, or 0. */
static gint64
wait_session (CrTestRoom *room, const char *case_no, guint timeout_ms)
{
  SessionWait wait = { room, case_no, 0 };
  cr_test_wait_until (session_of_case, &wait, timeout_ms);
  return wait.id;
}

static void
sleep_until (gint64 utc_us)
{
  while (g_get_real_time () < utc_us)
    g_main_context_iteration (NULL, FALSE), g_usleep (20000);
}

/* The detail of @session_id's first event of @kind, parsed; NULL if none.
 * (transfer full) */
static JsonObject *
event_detail (CrTestRoom *room, gint64 session_id, CrEventKind kind)
{
  g_autoptr (CrSegmentIndex) index = open_index (room, TRUE);
  g_autoptr (GPtrArray) events = cr_segment_index_list_events (index, session_id, NULL);

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      g_autoptr (JsonParser) parser = json_parser_new ();
      if (event->kind != kind)
        continue;
      g_assert_true (json_parser_load_from_data (parser, event->detail, -1, NULL));
      return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
    }
  return NULL;
}

static guint
count_sessions (CrTestRoom *room)
{
  g_autoptr (CrSegmentIndex) index = open_index (room, TRUE);
  g_autoptr (GPtrArray) sessions = cr_segment_index_list_sessions (index, NULL, NULL);
  return sessions->len;
}

static double
timing (double s)
{
  return s * cr_test_timing_factor ();
}

/* courtrecd comes up 20 s into a slot: it records the slot's case at once,
 * started by the schedule for that hearing; the next hearing is shown and
 * raises nothing. */
static void
test_late_autostart (void)
{
  g_autoptr (CrTestRoom) room = room_new (TRUE, 60);
  gint64 now = g_get_real_time ();
  Slot slots[] = {
    { "late-1", CASE_A, "张某诉李某借款纠纷", now - seconds (20), now + seconds (120), NULL },
    { "later-1", CASE_B, "王某离婚纠纷", now + seconds (600), now + seconds (1200), NULL },
  };
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (JsonObject) start = NULL;
  JsonObject *schedule, *current, *next;
  gint64 id;

  seed (room, slots, G_N_ELEMENTS (slots));
  cr_test_room_start (room);
  id = wait_session (room, CASE_A, timing (8) * 1000);
  g_assert_cmpint (id, >, 0);

  start = event_detail (room, id, CR_EVENT_START);
  g_assert_nonnull (start);
  g_assert_cmpstr (json_object_get_string_member (start, "by"), ==, "schedule");
  g_assert_cmpstr (json_object_get_string_member (start, "hearing"), ==, "late-1");

  status = cr_test_status (room);
  schedule = json_object_get_object_member (status, "schedule");
  g_assert_true (json_object_get_boolean_member (schedule, "autostart"));
  g_assert_cmpint (json_object_get_int_member (schedule, "grace_seconds"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (schedule, "timezone"), ==, "Asia/Shanghai");
  current = json_object_get_object_member (schedule, "current");
  g_assert_cmpstr (json_object_get_string_member (current, "uid"), ==, "late-1");
  g_assert_cmpstr (json_object_get_string_member (current, "case"), ==, CASE_A);
  g_assert_true (json_object_get_boolean_member (current, "recording"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (current, "starts_local"),
                                   "+08:00"));
  next = json_object_get_object_member (schedule, "next");
  g_assert_cmpstr (json_object_get_string_member (next, "uid"), ==, "later-1");
  g_assert_false (json_object_get_boolean_member (next, "recording"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (schedule, "sources")),
                    ==, 0);
  g_assert_null (find_alarm (status, "scheduled-not-recording"));
  g_assert_null (find_alarm (status, "hearing-overrun"));
  /* One session: autostart does not start the case twice. */
  g_usleep (1500000);
  g_assert_cmpuint (count_sessions (room), ==, 1);
  cr_test_stop_and_wait (room, id);
}

/* Autostart off: the slot's start passes by the grace with the room in
 * standby, and the alarm stands within a tick or two of it; status, the
 * plain `courtrec status` and /metrics all show it; a clerk's start of
 * the case clears it. Cancelled, not-held and future hearings raise
 * nothing. */
static void
test_not_recording_alarm (void)
{
  g_autoptr (CrTestRoom) room = room_new (FALSE, 60);
  gint64 now, slot_start;
  Slot slots[] = {
    { "cancelled-1", CASE_C, "取消的庭", 0, 0, "cancelled" },
    { "not-held-1", CASE_B, "未开庭", 0, 0, NULL },
    { "due-1", CASE_A, "张某诉李某借款纠纷", 0, 0, NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (CrTestScrape) scrape = NULL;
  g_autoptr (CrTestScrape) recording = NULL;
  g_autofree char *out = NULL;
  g_autofree char *series = NULL;
  JsonObject *alarm;
  gint64 raised_at, id;

  /* Up before the feed is read: the schedule arrives while it runs. */
  cr_test_room_start (room);
  now = g_get_real_time ();
  slot_start = now + seconds (2.5);
  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      slots[i].starts_us = i < 2 ? now - seconds (60) : slot_start;
      slots[i].ends_us = i < 2 ? now + seconds (300) : slot_start + seconds (300);
    }
  seed (room, slots, G_N_ELEMENTS (slots));
  {
    g_autoptr (CrSegmentIndex) index = open_index (room, FALSE);
    g_autoptr (CrHearingRow) row = cr_hearing_store_find_uid (index, "feed", "not-held-1", &error);
    g_assert_nonnull (row);
    g_assert_true (cr_hearing_store_set_not_held (index, row->id, now, "clerk", "当事人未到庭",
                                                  &error));
    g_assert_no_error (error);
  }
  /* Before the due slot: nothing stands, nothing is current. */
  g_usleep (2000000);
  status = cr_test_status (room);
  g_assert_null (find_alarm (status, "scheduled-not-recording"));
  g_assert_true (json_object_get_null_member (json_object_get_object_member (status, "schedule"),
                                              "current"));
  g_clear_pointer (&status, json_object_unref);

  g_assert_true (wait_alarm (room, "scheduled-not-recording", TRUE,
                             (slot_start - g_get_real_time ()) / 1000 + timing (6) * 1000));
  raised_at = g_get_real_time ();
  /* Not before the grace, and within the grace and two ticks. */
  g_assert_cmpint (raised_at, >=, slot_start + seconds (2));
  g_assert_cmpint (raised_at, <=, slot_start + seconds (2 + 2 * cr_test_timing_factor ()));

  status = cr_test_status (room);
  alarm = find_alarm (status, "scheduled-not-recording");
  g_assert_cmpstr (json_object_get_string_member (alarm, "input"), ==, "schedule");
  g_assert_cmpstr (json_object_get_string_member (alarm, "label"), ==, "due-1");
  g_assert_nonnull (strstr (json_object_get_string_member (alarm, "message"), CASE_A));
  g_assert_false (json_object_get_boolean_member (status, "healthy"));

  g_assert_cmpint (cr_test_client (room, &out, NULL, "status", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "scheduled-not-recording"));
  g_assert_nonnull (strstr (out, CASE_A));
  g_assert_nonnull (strstr (out, "张某诉李某借款纠纷"));
  /* The slot in the court's own time, and that it is not recorded. */
  {
    g_autofree char *local = shanghai_minute (slot_start);
    g_autofree char *line = g_strdup_printf ("hearing:  %s", local);
    g_assert_nonnull (strstr (out, line));
    g_assert_nonnull (strstr (out, "NOT RECORDING"));
  }

  scrape = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (
      scrape, "courtrec_alarms{room=\"test-room\",kind=\"scheduled-not-recording\"}"), ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (scrape, "courtrec_hearing_in_slot{room=\"test-room\"}"),
                     ==, 1);
  g_assert_cmpfloat (cr_test_scrape_value (
      scrape, "courtrec_hearing_slot_recording{room=\"test-room\"}"), ==, 0);
  g_assert_cmpfloat_with_epsilon (
      cr_test_scrape_value (scrape, "courtrec_hearing_slot_start_timestamp_seconds{room=\"test-room\"}"),
      slot_start / 1e6, 0.01);

  id = cr_test_start_session (room, CASE_A);
  g_assert_true (wait_alarm (room, "scheduled-not-recording", FALSE, timing (3) * 1000));
  recording = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (
      recording, "courtrec_alarms{room=\"test-room\",kind=\"scheduled-not-recording\"}"), ==, 0);
  g_assert_cmpfloat (cr_test_scrape_value (
      recording, "courtrec_hearing_slot_recording{room=\"test-room\"}"), ==, 1);
  /* The clerk's session: no split, no hearing in its start. */
  {
    g_autoptr (JsonObject) start = event_detail (room, id, CR_EVENT_START);
    g_assert_false (json_object_has_member (start, "hearing"));
  }
  /* The alarm that stood when the session began is in its log, cleared. */
  {
    g_autoptr (JsonObject) raised = event_detail (room, id, CR_EVENT_ALARM);
    g_autoptr (JsonObject) cleared = event_detail (room, id, CR_EVENT_ALARM_CLEARED);
    g_assert_nonnull (raised);
    g_assert_cmpstr (json_object_get_string_member (raised, "alarm"), ==,
                     "scheduled-not-recording");
    g_assert_nonnull (cleared);
  }
  series = g_strdup ("courtrec_hearing_next_start_timestamp_seconds{room=\"test-room\"}");
  g_assert_false (cr_test_scrape_has (recording, series));
  cr_test_stop_and_wait (room, id);

  /* The hearing ended early and the clerk stopped it: recorded in its
   * slot, it is not "unrecorded" for the rest of the slot. */
  g_assert_false (wait_alarm (room, "scheduled-not-recording", TRUE, timing (4) * 1000));
  /* Another case begun inside the slot does not record the scheduled one. */
  id = cr_test_start_session (room, CASE_C);
  g_assert_true (wait_alarm (room, "scheduled-not-recording", TRUE, timing (3) * 1000));
  cr_test_stop_and_wait (room, id);
}

/* The UTC start a file says of itself (its video track's title). */
static gint64
file_utc_start (JsonObject *probe)
{
  JsonArray *streams = json_object_get_array_member (probe, "streams");

  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      JsonObject *tags;
      const char *title, *at;
      gint64 utc = 0;

      if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") != 0)
        continue;
      tags = json_object_get_object_member (stream, "tags");
      title = json_object_get_string_member_with_default (
          tags, "TITLE", json_object_get_string_member_with_default (tags, "title", ""));
      at = strstr (title, "utc_start:");
      g_assert_nonnull (at);
      {
        g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (at + strlen ("utc_start:"),
                                                                   NULL);
        g_assert_nonnull (when);
        utc = g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
      }
      return utc;
    }
  g_assert_not_reached ();
}

static gint64
file_video_frames (JsonObject *probe)
{
  JsonArray *streams = json_object_get_array_member (probe, "streams");

  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
        return g_ascii_strtoll (json_object_get_string_member (stream, "nb_read_frames"), NULL,
                                10);
    }
  g_assert_not_reached ();
}

/* Two back-to-back slots of different cases, autostarted: two sessions,
 * the first's last picture followed by the second's first with no gap,
 * both sealed and verified. */
static void
test_back_to_back (void)
{
  g_autoptr (CrTestRoom) room = room_new (TRUE, 60);
  gint64 a, b;
  Slot slots[] = {
    { "slot-a", CASE_A, "甲案", 0, 0, NULL },
    { "slot-b", CASE_B, "乙案", 0, 0, NULL },
  };
  g_autoptr (GPtrArray) segments_a = NULL;
  g_autoptr (GPtrArray) segments_b = NULL;
  g_autoptr (JsonObject) boundary_a = NULL;
  g_autoptr (JsonObject) boundary_b = NULL;
  g_autoptr (JsonObject) start_b = NULL;
  g_autoptr (JsonObject) probe_a = NULL;
  g_autoptr (JsonObject) probe_b = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session_a = NULL;
  g_autofree char *out = NULL;
  const CrSegmentRecord *last_a, *first_b;
  g_autofree char *path_a = NULL;
  g_autofree char *path_b = NULL;
  gint64 id_a, id_b, hole;

  cr_test_room_start (room);
  a = g_get_real_time () + seconds (1);
  b = a + seconds (6);
  slots[0].starts_us = a;
  slots[0].ends_us = slots[1].starts_us = b;
  slots[1].ends_us = b + seconds (8);
  seed (room, slots, G_N_ELEMENTS (slots));
  id_a = wait_session (room, CASE_A, (a - g_get_real_time ()) / 1000 + timing (4) * 1000);
  g_assert_cmpint (id_a, >, 0);
  id_b = wait_session (room, CASE_B, (b - g_get_real_time ()) / 1000 + timing (4) * 1000);
  g_assert_cmpint (id_b, >, id_a);
  /* B records a few seconds, then its clerk stops it. */
  sleep_until (b + seconds (3));
  cr_test_stop_and_wait (room, id_b);
  cr_test_wait_sealed (room, id_a);
  cr_test_wait_sealed (room, id_b);

  index = open_index (room, TRUE);
  session_a = cr_segment_index_get_session (index, id_a, NULL);
  g_assert_cmpint (session_a->state, ==, CR_SESSION_STOPPED);
  /* Stopped at the slot's end (a tick after it at most), by the schedule. */
  /* The index keeps milliseconds. */
  g_assert_cmpint (session_a->stopped_us, >=, b - 1000);
  g_assert_cmpint (session_a->stopped_us, <, b + seconds (timing (2)));
  {
    g_autoptr (JsonObject) stop = event_detail (room, id_a, CR_EVENT_STOP);
    g_assert_cmpstr (json_object_get_string_member (stop, "by"), ==, "schedule");
  }
  boundary_a = event_detail (room, id_a, CR_EVENT_HEARING_BOUNDARY);
  g_assert_cmpstr (json_object_get_string_member (boundary_a, "hearing"), ==, "slot-a");
  g_assert_cmpstr (json_object_get_string_member (boundary_a, "next_hearing"), ==, "slot-b");
  boundary_b = event_detail (room, id_b, CR_EVENT_HEARING_BOUNDARY);
  g_assert_cmpstr (json_object_get_string_member (boundary_b, "hearing"), ==, "slot-b");
  start_b = event_detail (room, id_b, CR_EVENT_START);
  g_assert_cmpstr (json_object_get_string_member (start_b, "by"), ==, "schedule");
  g_assert_cmpstr (json_object_get_string_member (start_b, "hearing"), ==, "slot-b");

  cr_test_assert_recording_whole (room, id_a, 1);
  cr_test_assert_recording_whole (room, id_b, 1);
  segments_a = cr_test_segments (room, id_a);
  segments_b = cr_test_segments (room, id_b);
  last_a = g_ptr_array_index (segments_a, segments_a->len - 1);
  first_b = g_ptr_array_index (segments_b, 0);
  g_assert_cmpuint (first_b->sequence, ==, 1);
  /* The index: A's last file ends where B's first begins. */
  hole = first_b->started_us - (last_a->started_us + last_a->duration_us);
  g_test_message ("index: %" G_GINT64_FORMAT " us between the sessions", hole);
  g_assert_cmpint (ABS (hole), <=, FRAME_US);
  /* The files themselves: A's start plus its frames meets B's start. */
  path_a = g_build_filename (room->storage_dir, last_a->path, NULL);
  path_b = g_build_filename (room->storage_dir, first_b->path, NULL);
  probe_a = cr_test_ffprobe (path_a, TRUE);
  probe_b = cr_test_ffprobe (path_b, TRUE);
  hole = file_utc_start (probe_b) - (file_utc_start (probe_a) +
                                     file_video_frames (probe_a) * FRAME_US);
  g_test_message ("files: %" G_GINT64_FORMAT " us between the sessions", hole);
  g_assert_cmpint (ABS (hole), <=, FRAME_US);
  /* The boundary is at the slot's end, within the tick and a keyframe. */
  g_assert_cmpint (first_b->started_us, >=, b - 1000);
  g_assert_cmpint (first_b->started_us, <, b + seconds (timing (2)));

  g_assert_cmpint (cr_test_client (room, &out, NULL, "verify", "--case", CASE_A, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "verify", "--case", CASE_B, NULL), ==, 0);
}

/* A clerk's session runs into the next case's slot: hearing-overrun, and
 * the session is neither split nor stopped. */
static void
test_overrun (void)
{
  g_autoptr (CrTestRoom) room = room_new (TRUE, 60);
  gint64 b;
  Slot slots[] = {
    { "slot-b", CASE_B, "乙案", 0, 0, NULL },
  };
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (CrTestScrape) scrape = NULL;
  JsonObject *alarm;
  gint64 id;

  cr_test_room_start (room);
  id = cr_test_start_session (room, CASE_A);
  b = g_get_real_time () + seconds (2);
  slots[0].starts_us = b;
  slots[0].ends_us = b + seconds (60);
  seed (room, slots, G_N_ELEMENTS (slots));
  g_assert_true (wait_alarm (room, "hearing-overrun", TRUE,
                             (b - g_get_real_time ()) / 1000 + timing (3) * 1000));
  g_assert_cmpint (g_get_real_time (), >=, b);
  status = cr_test_status (room);
  alarm = find_alarm (status, "hearing-overrun");
  g_assert_cmpstr (json_object_get_string_member (alarm, "label"), ==, "slot-b");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (status, "session"),
                                               "id"), ==, id);
  g_assert_null (find_alarm (status, "scheduled-not-recording"));
  scrape = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (
      scrape, "courtrec_alarms{room=\"test-room\",kind=\"hearing-overrun\"}"), ==, 1);
  g_usleep (1000000);
  g_assert_cmpuint (count_sessions (room), ==, 1);
  cr_test_stop_and_wait (room, id);
  /* Stopped: the overrun is over, and autostart takes the slot now. */
  g_assert_true (wait_alarm (room, "hearing-overrun", FALSE, timing (3) * 1000));
  g_assert_cmpint (wait_session (room, CASE_B, timing (4) * 1000), >, id);
  cr_test_stop_and_wait (room, id + 1);
}

/* Calendars a court's system can send: the running slot's end moved while
 * it records (the session goes on: the schedule never stops a hearing), a
 * slot of no length (nothing), two slots overlapping (the first runs to
 * its end, then the recording moves to the second without a gap). */
static void
test_hostile_calendars (void)
{
  g_autoptr (CrTestRoom) room = room_new (TRUE, 60);
  gint64 now = g_get_real_time ();
  Slot first[] = {
    { "moving", CASE_A, "甲案", now - seconds (2), now + seconds (600), NULL },
    { "empty", CASE_C, "零长", now + seconds (300), now + seconds (300), NULL },
  };
  g_autoptr (JsonObject) status = NULL;
  gint64 id, c, id_c, id_d;

  seed (room, first, G_N_ELEMENTS (first));
  cr_test_room_start (room);
  id = wait_session (room, CASE_A, timing (8) * 1000);
  g_assert_cmpint (id, >, 0);

  /* The feed moves the slot's end to a moment ago. */
  now = g_get_real_time ();
  {
    Slot moved[] = {
      { "moving", CASE_A, "甲案", now - seconds (30), now - seconds (1), NULL },
      { "empty", CASE_C, "零长", now + seconds (2), now + seconds (2), NULL },
    };
    seed (room, moved, G_N_ELEMENTS (moved));
  }
  /* Two ticks. */
  g_usleep (2500000);
  status = cr_test_status (room);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "recording");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (status, "session"),
                                               "id"), ==, id);
  g_assert_true (json_object_get_null_member (json_object_get_object_member (status, "schedule"),
                                              "current"));
  /* The zero-length slot is neither current nor next. */
  g_assert_true (json_object_get_null_member (json_object_get_object_member (status, "schedule"),
                                              "next"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (status, "alarms")), ==,
                    0);
  cr_test_stop_and_wait (room, id);

  /* Overlapping: C from now, D from 2 s later; C runs to its end. */
  now = g_get_real_time ();
  c = now + seconds (timing (1));
  {
    Slot overlapping[] = {
      { "moving", CASE_A, "甲案", now - seconds (60), now - seconds (30), NULL },
      { "over-c", CASE_C, "丙案", c, c + seconds (5), NULL },
      { "over-d", CASE_B, "丁案", c + seconds (2), c + seconds (30), NULL },
    };
    seed (room, overlapping, G_N_ELEMENTS (overlapping));
  }
  id_c = wait_session (room, CASE_C, timing (5) * 1000);
  g_assert_cmpint (id_c, >, id);
  /* D's start inside C's slot: C goes on, no alarm. */
  sleep_until (c + seconds (3.5));
  g_assert_cmpint (wait_session (room, CASE_C, 100), ==, id_c);
  g_assert_false (alarm_stands (room, "hearing-overrun"));
  id_d = wait_session (room, CASE_B, (c + seconds (5) - g_get_real_time ()) / 1000 +
                                     timing (4) * 1000);
  g_assert_cmpint (id_d, >, id_c);
  g_assert_false (alarm_stands (room, "hearing-overrun"));
  cr_test_stop_and_wait (room, id_d);
  cr_test_wait_sealed (room, id_c);
  {
    g_autoptr (GPtrArray) last = cr_test_segments (room, id_c);
    g_autoptr (GPtrArray) next = cr_test_segments (room, id_d);
    const CrSegmentRecord *l = g_ptr_array_index (last, last->len - 1);
    const CrSegmentRecord *n = g_ptr_array_index (next, 0);
    g_assert_cmpint (ABS (n->started_us - (l->started_us + l->duration_us)), <=, FRAME_US);
  }
}

static gboolean
feed_read (gpointer data)
{
  g_autoptr (JsonObject) status = cr_test_status (data);
  JsonArray *sources = json_object_get_array_member (
      json_object_get_object_member (status, "schedule"), "sources");
  JsonObject *feed;

  if (json_array_get_length (sources) != 1)
    return FALSE;
  feed = json_array_get_object_element (sources, 0);
  return !json_object_get_null_member (feed, "checked") &&
         json_object_get_int_member (feed, "hearings") == 1;
}

/* The feed read by courtrecd's own poller from [schedule] feed; then the
 * feed is gone (the network down) and courtrecd, restarted late inside
 * the slot, records it from what the index remembers. */
static void
test_feed_then_offline (void)
{
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (JsonObject) start = NULL;
  g_autoptr (CrTestScrape) scrape = NULL;
  g_autofree char *feed_path = NULL;
  g_autofree char *feed = NULL;
  g_autofree char *starts = NULL;
  g_autofree char *ends = NULL;
  g_autofree char *extra = NULL;
  gint64 slot_start = g_get_real_time () + seconds (timing (4));
  JsonObject *schedule, *source;
  gint64 id;

  {
    g_autoptr (GDateTime) s = g_date_time_new_from_unix_utc (slot_start / G_USEC_PER_SEC + 1);
    g_autoptr (GDateTime) e = g_date_time_add_seconds (s, 600);
    starts = g_date_time_format (s, "%Y-%m-%dT%H:%M:%SZ");
    ends = g_date_time_format (e, "%Y-%m-%dT%H:%M:%SZ");
  }
  extra = g_strdup ("[schedule]\nfeed = feed.json\ntimezone = Asia/Shanghai\n"
                    "grace_seconds = 2\nautostart = true\n\n");
  room = cr_test_room_new (60, extra);
  feed_path = g_build_filename (room->dir, "feed.json", NULL);
  feed = g_strdup_printf ("{\"hearings\": [{\"case\": \"%s\", \"title\": \"甲案\", "
                          "\"room\": \"第一法庭\", \"start\": \"%s\", \"end\": \"%s\", "
                          "\"public\": true, \"uid\": \"F-1\"}]}", CASE_A, starts, ends);
  g_file_set_contents (feed_path, feed, -1, &error);
  g_assert_no_error (error);

  cr_test_room_start (room);
  g_assert_true (cr_test_wait_until (feed_read, room, timing (5) * 1000));
  status = cr_test_status (room);
  schedule = json_object_get_object_member (status, "schedule");
  source = json_array_get_object_element (json_object_get_array_member (schedule, "sources"), 0);
  g_assert_cmpstr (json_object_get_string_member (source, "source"), ==, "feed");
  g_assert_true (json_object_get_null_member (source, "error"));
  g_assert_cmpstr (json_object_get_string_member (
      json_object_get_object_member (schedule, "next"), "uid"), ==, "F-1");
  scrape = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (
      scrape, "courtrec_schedule_hearings{room=\"test-room\",source=\"feed\"}"), ==, 1);
  g_assert_true (cr_test_scrape_has (
      scrape, "courtrec_schedule_last_success_timestamp_seconds{room=\"test-room\",source=\"feed\"}"));
  g_assert_cmpfloat_with_epsilon (cr_test_scrape_value (
      scrape, "courtrec_hearing_next_start_timestamp_seconds{room=\"test-room\"}"),
      (slot_start / G_USEC_PER_SEC + 1), 0.01);

  /* Down before the slot, the feed gone with the network. */
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 10), ==, 0);
  g_assert_cmpint (g_unlink (feed_path), ==, 0);
  sleep_until (slot_start + seconds (2));
  cr_test_room_start (room);
  id = wait_session (room, CASE_A, timing (6) * 1000);
  g_assert_cmpint (id, >, 0);
  start = event_detail (room, id, CR_EVENT_START);
  g_assert_cmpstr (json_object_get_string_member (start, "hearing"), ==, "F-1");
  g_clear_pointer (&status, json_object_unref);
  status = cr_test_status (room);
  source = json_array_get_object_element (json_object_get_array_member (
      json_object_get_object_member (status, "schedule"), "sources"), 0);
  g_assert_false (json_object_get_null_member (source, "error"));
  /* A source failing a few seconds is not yet stale. */
  g_assert_null (find_alarm (status, "schedule-stale"));
  cr_test_stop_and_wait (room, id);
}

/* A feed that has failed for 20 minutes (longer than max(3 x poll, 15
 * min)): schedule-stale stands, named for the feed, in status and
 * /metrics; the hearings the index holds still run the room. */
static void
test_stale (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (
      60, "[schedule]\nfeed = gone.json\npoll_seconds = 60\ngrace_seconds = 2\n\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (CrTestScrape) scrape = NULL;
  gint64 now = g_get_real_time ();
  JsonObject *alarm;

  g_autofree char *location = g_build_filename (room->dir, "gone.json", NULL);

  {
    g_autoptr (CrSegmentIndex) index = open_index (room, FALSE);
    /* Where the feed is, as the config resolves it: the same source. */
    CrScheduleSourceRow source = {
      .source = (char *) "feed", .location = location,
      .checked_us = now - seconds (25 * 60), .changed_us = now - seconds (25 * 60),
      .hearings = 0, .error = (char *) "unreachable", .error_us = now - seconds (20 * 60),
    };
    g_assert_true (cr_schedule_source_put (index, &source, &error));
    g_assert_no_error (error);
  }
  cr_test_room_start (room);
  g_assert_true (wait_alarm (room, "schedule-stale", TRUE, timing (4) * 1000));
  status = cr_test_status (room);
  alarm = find_alarm (status, "schedule-stale");
  g_assert_cmpstr (json_object_get_string_member (alarm, "label"), ==, "feed");
  g_assert_nonnull (strstr (json_object_get_string_member (alarm, "message"), "feed"));
  scrape = cr_test_scrape (room);
  g_assert_cmpfloat (cr_test_scrape_value (
      scrape, "courtrec_alarms{room=\"test-room\",kind=\"schedule-stale\"}"), ==, 1);
  g_assert_cmpfloat_with_epsilon (cr_test_scrape_value (
      scrape, "courtrec_schedule_last_success_timestamp_seconds{room=\"test-room\",source=\"feed\"}"),
      (now - seconds (25 * 60)) / 1e6, 0.01);
}

/* A row no parser would store (a case number that is none, as another
 * program might write into the index): autostart cannot start it, says
 * so once, and the slot still raises its alarm rather than pass quietly. */
static void
test_bad_case_row (void)
{
  g_autoptr (CrTestRoom) room = room_new (TRUE, 60);
  gint64 now;
  Slot slots[] = { { "bad-1", "not a case number", "?", 0, 0, NULL } };
  g_autoptr (JsonObject) status = NULL;

  cr_test_room_start (room);
  now = g_get_real_time ();
  slots[0].starts_us = now - seconds (5);
  slots[0].ends_us = now + seconds (60);
  seed (room, slots, G_N_ELEMENTS (slots));
  g_assert_true (wait_alarm (room, "scheduled-not-recording", TRUE, timing (4) * 1000));
  status = cr_test_status (room);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "standby");
  g_assert_cmpuint (count_sessions (room), ==, 0);
  {
    g_autofree char *log = NULL;
    g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
    g_assert_nonnull (strstr (log, "The schedule could not start"));
    /* Said once, not at every tick. */
    g_assert_null (strstr (strstr (log, "The schedule could not start") + 1,
                           "The schedule could not start"));
  }
}

/* The court's calendar server, as courtrecd's poller meets it: an
 * iCalendar with an ETag, answered 304 when asked with it. */
typedef struct {
  char *body;
  guint requests;
  guint not_modified;
  char *if_none_match;          /* of the last request */
} CalendarServer;

static void
serve_calendar (SoupServer *server, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer data)
{
  CalendarServer *calendar = data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  const char *etag = soup_message_headers_get_one (request, "If-None-Match");

  calendar->requests++;
  g_free (calendar->if_none_match);
  calendar->if_none_match = g_strdup (etag);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag",
                                "\"v1\"");
  if (g_strcmp0 (etag, "\"v1\"") == 0)
    {
      calendar->not_modified++;
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/calendar", SOUP_MEMORY_COPY, calendar->body,
                                    strlen (calendar->body));
}

static gboolean
calendar_asked_twice (gpointer data)
{
  return ((CalendarServer *) data)->requests >= 2;
}

static gboolean
calendar_hearing_known (gpointer data)
{
  g_autoptr (JsonObject) status = cr_test_status (data);
  JsonObject *schedule = json_object_get_object_member (status, "schedule");
  JsonNode *next = json_object_get_member (schedule, "next");

  return next != NULL && !JSON_NODE_HOLDS_NULL (next) &&
         g_strcmp0 (json_object_get_string_member (json_node_get_object (next), "uid"),
                    "H-1") == 0;
}

/* [schedule] calendar over HTTP: courtrecd reads the court's iCalendar
 * (local times of Asia/Shanghai by TZID), asks again with its ETag and
 * takes the 304; then the server and courtrecd both go down (kill -9) and
 * courtrecd, back inside the slot with the calendar unreachable, records
 * the hearing from what the index remembers. */
static void
test_calendar_over_http (void)
{
  CalendarServer calendar = { 0 };
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) shanghai = g_time_zone_new_identifier ("Asia/Shanghai");
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (JsonObject) start = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *local_start = NULL;
  g_autofree char *local_end = NULL;
  g_autofree char *expected_local = NULL;
  guint16 port = cr_test_free_port ();
  gint64 slot_start = (g_get_real_time () / G_USEC_PER_SEC + (gint64) timing (16)) * G_USEC_PER_SEC;
  JsonObject *schedule, *next, *source;
  gint64 id;

  {
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (slot_start / G_USEC_PER_SEC);
    g_autoptr (GDateTime) s = g_date_time_to_timezone (utc, shanghai);
    g_autoptr (GDateTime) e = g_date_time_add_minutes (s, 30);
    local_start = g_date_time_format (s, "%Y%m%dT%H%M%S");
    local_end = g_date_time_format (e, "%Y%m%dT%H%M%S");
    expected_local = g_date_time_format (s, "%Y-%m-%dT%H:%M:%S+08:00");
  }
  calendar.body = g_strdup_printf (
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//court//cases//ZH\r\n"
      "BEGIN:VEVENT\r\nUID:H-1\r\nDTSTAMP:20261201T000000Z\r\n"
      "DTSTART;TZID=Asia/Shanghai:%s\r\nDTEND;TZID=Asia/Shanghai:%s\r\n"
      "SUMMARY:甲案 开庭\r\nX-COURTREC-CASE:%s\r\nLOCATION:第一法庭\r\nCLASS:PUBLIC\r\n"
      "END:VEVENT\r\nEND:VCALENDAR\r\n",
      local_start, local_end, CASE_A);
  soup_server_add_handler (server, "/room.ics", serve_calendar, &calendar, NULL);
  soup_server_listen_local (server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  extra = g_strdup_printf ("[schedule]\ncalendar = http://127.0.0.1:%u/room.ics\n"
                           "timezone = Asia/Shanghai\npoll_seconds = 10\n"
                           "grace_seconds = 2\nautostart = true\n\n", port);
  room = cr_test_room_new (60, extra);
  cr_test_room_start (room);
  g_assert_true (cr_test_wait_until (calendar_hearing_known, room, timing (8) * 1000));
  status = cr_test_status (room);
  schedule = json_object_get_object_member (status, "schedule");
  next = json_object_get_object_member (schedule, "next");
  g_assert_cmpstr (json_object_get_string_member (next, "case"), ==, CASE_A);
  g_assert_cmpstr (json_object_get_string_member (next, "starts_local"), ==, expected_local);
  {
    g_autofree char *utc = cr_format_utc (slot_start);
    g_assert_cmpstr (json_object_get_string_member (next, "starts"), ==, utc);
  }

  /* The next read carries the ETag and is told nothing changed. */
  g_assert_true (cr_test_wait_until (calendar_asked_twice, &calendar, timing (15) * 1000));
  g_assert_cmpstr (calendar.if_none_match, ==, "\"v1\"");
  g_assert_cmpuint (calendar.not_modified, ==, 1);

  /* The network goes, and courtrecd with it, before the slot. */
  soup_server_disconnect (server);
  g_assert_true (WIFSIGNALED (cr_test_room_signal (room, SIGKILL, 10)));
  sleep_until (slot_start + seconds (3));
  cr_test_room_start (room);
  id = wait_session (room, CASE_A, timing (8) * 1000);
  g_assert_cmpint (id, >, 0);
  start = event_detail (room, id, CR_EVENT_START);
  g_assert_cmpstr (json_object_get_string_member (start, "hearing"), ==, "H-1");
  g_clear_pointer (&status, json_object_unref);
  status = cr_test_status (room);
  source = json_array_get_object_element (json_object_get_array_member (
      json_object_get_object_member (status, "schedule"), "sources"), 0);
  g_assert_cmpstr (json_object_get_string_member (source, "source"), ==, "calendar");
  g_assert_false (json_object_get_null_member (source, "error"));
  cr_test_stop_and_wait (room, id);
  g_free (calendar.body);
  g_free (calendar.if_none_match);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/scheduler/late-autostart", test_late_autostart);
  g_test_add_func ("/courtrec/scheduler/not-recording-alarm", test_not_recording_alarm);
  g_test_add_func ("/courtrec/scheduler/back-to-back", test_back_to_back);
  g_test_add_func ("/courtrec/scheduler/overrun", test_overrun);
  g_test_add_func ("/courtrec/scheduler/hostile-calendars", test_hostile_calendars);
  g_test_add_func ("/courtrec/scheduler/feed-then-offline", test_feed_then_offline);
  g_test_add_func ("/courtrec/scheduler/stale", test_stale);
  g_test_add_func ("/courtrec/scheduler/bad-case-row", test_bad_case_row);
  g_test_add_func ("/courtrec/scheduler/calendar-over-http", test_calendar_over_http);
  return g_test_run ();
}
