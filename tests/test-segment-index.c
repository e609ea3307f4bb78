/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-segment-index.c: the SQLite index of sessions, segments, events and
 * markers. Where it matters, the file is checked with plain sqlite3, as an
 * operator or the court's archive would read it, rather than through the
 * module under test. */
#include "archive/segment-index.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "archive/chain.h"
#include "archive/device-key.h"
#include "archive/reconcile.h"
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define SHA256_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* 2026-11-27T02:13:25.316Z */
#define T0_US G_GINT64_CONSTANT (1795745605316000)

typedef struct {
  char *dir;            /* fresh temporary directory, removed at the end */
  char *path;           /* index.sqlite inside it */
  CrSegmentIndex *index; /* open for writing, or NULL (see set_up_empty) */
} Fixture;

static void
set_up_empty (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("courtrec-index-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "index.sqlite", NULL);
}

static void
set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  set_up_empty (fixture, data);
  fixture->index = cr_segment_index_open (fixture->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->index);
}

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_clear_pointer (&fixture->index, cr_segment_index_free);

  /* The index, its -wal and -shm, and whatever a test made: no subfolders. */
  dir = g_dir_open (fixture->dir, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (fixture->dir, name, NULL);
      g_assert_cmpint (g_remove (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);

  g_free (fixture->path);
  g_free (fixture->dir);
}

/* Plain sqlite3, not the module under test. */

static sqlite3 *
raw_open (const char *path, int flags)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, flags, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
raw_exec (sqlite3 *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* The first column of every row @sql returns, as text. */
static GStrv
raw_column (sqlite3 *db, const char *sql)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  int rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder,
                        (const char *) sqlite3_column_text (stmt, 0));
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  return g_strv_builder_end (builder);
}

static char *
raw_value (sqlite3 *db, const char *sql)
{
  g_auto (GStrv) column = raw_column (db, sql);

  g_assert_cmpuint (g_strv_length (column), ==, 1);
  return g_strdup (column[0]);
}

static gint64
begin (Fixture *fixture, const char *room_id, const char *case_no,
       gint64 started_us)
{
  g_autoptr (GError) error = NULL;
  gint64 session_id;

  session_id = cr_segment_index_begin_session (fixture->index, room_id,
                                               case_no, "民事一审", started_us,
                                               &error);
  g_assert_no_error (error);
  g_assert_cmpint (session_id, >, 0);
  return session_id;
}

static void
test_schema (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *db;
  g_autofree char *version = NULL;
  g_autofree char *mode = NULL;
  g_auto (GStrv) tables = NULL;
  g_auto (GStrv) indexes = NULL;
  const char *const expected_tables[] = {
    "access_grants", "access_requests", "broadcast_decisions", "derived_copies", "events",
    "hearings", "markers", "publications", "purged_segments", "schedule_sources", "segments",
    "sessions", "upload_queue", NULL,
  };

  /* Opened again, the index is left at the same version. */
  cr_segment_index_free (g_steal_pointer (&fixture->index));
  fixture->index = cr_segment_index_open (fixture->path, FALSE, &error);
  g_assert_no_error (error);

  db = raw_open (fixture->path, SQLITE_OPEN_READONLY);
  version = raw_value (db, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "8");
  mode = raw_value (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  tables = raw_column (db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                           "ORDER BY name");
  g_assert_cmpstrv (tables, expected_tables);
  indexes = raw_column (db, "SELECT tbl_name || '(' || name || ')' "
                            "FROM sqlite_master WHERE type = 'index' "
                            "AND sql IS NOT NULL ORDER BY name");
  g_assert_true (g_strv_contains ((const char *const *) indexes,
                                  "events(events_session_id)"));
  g_assert_true (g_strv_contains ((const char *const *) indexes,
                                  "events(events_session_sequence)"));
  g_assert_true (g_strv_contains ((const char *const *) indexes,
                                  "sessions(sessions_case_no)"));
  g_assert_true (g_strv_contains ((const char *const *) indexes,
                                  "broadcast_decisions(broadcast_decisions_case_no)"));
  g_assert_true (g_strv_contains ((const char *const *) indexes,
                                  "publications(publications_session_id)"));
  sqlite3_close (db);
}

static void
assert_event (CrEventRecord *event, const char *kind, const char *detail,
              gint64 at_us)
{
  g_assert_cmpstr (event->kind_name, ==, kind);
  g_assert_cmpstr (event->detail, ==, detail);
  g_assert_cmpint (event->at_us, ==, at_us);
}

static void
assert_state (Fixture *fixture, gint64 session_id, CrSessionState state,
              gint64 stopped_us)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSessionRecord) session = NULL;

  session = cr_segment_index_get_session (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (session->state, ==, state);
  g_assert_cmpint (session->stopped_us, ==, stopped_us);
}

static void
test_session_life (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (GStrv) times = NULL;
  JsonObject *start;
  sqlite3 *db;
  gint64 session_id;
  gint64 previous_us = 0;

  session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  session = cr_segment_index_get_session (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (session->room_id, ==, "room-1");
  g_assert_cmpstr (session->case_no, ==, "（2026）浙1022民初123号");
  g_assert_cmpstr (session->title, ==, "民事一审");
  g_assert_cmpint (session->started_us, ==, T0_US);
  assert_state (fixture, session_id, CR_SESSION_RECORDING, 0);

  g_assert_true (cr_segment_index_set_session_state (
      fixture->index, session_id, CR_SESSION_PAUSED, T0_US + 60000000, &error));
  g_assert_no_error (error);
  cr_segment_index_add_event (fixture->index, session_id, T0_US + 60000000,
                              CR_EVENT_PAUSE, "休庭", &error);
  g_assert_no_error (error);
  assert_state (fixture, session_id, CR_SESSION_PAUSED, 0);

  g_assert_true (cr_segment_index_set_session_state (
      fixture->index, session_id, CR_SESSION_RECORDING, T0_US + 120000000,
      &error));
  g_assert_no_error (error);
  cr_segment_index_add_event (fixture->index, session_id, T0_US + 120000000,
                              CR_EVENT_RESUME, NULL, &error);
  g_assert_no_error (error);
  assert_state (fixture, session_id, CR_SESSION_RECORDING, 0);

  g_assert_true (cr_segment_index_set_session_state (
      fixture->index, session_id, CR_SESSION_STOPPED, T0_US + 180000000,
      &error));
  g_assert_no_error (error);
  cr_segment_index_add_event (fixture->index, session_id, T0_US + 180000000,
                              CR_EVENT_STOP, NULL, &error);
  g_assert_no_error (error);
  assert_state (fixture, session_id, CR_SESSION_STOPPED, T0_US + 180000000);

  events = cr_segment_index_list_events (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 4);
  g_assert_cmpstr (((CrEventRecord *) events->pdata[0])->kind_name, ==, "start");
  g_assert_cmpint (((CrEventRecord *) events->pdata[0])->at_us, ==, T0_US);
  assert_event (events->pdata[1], "pause", "休庭", T0_US + 60000000);
  assert_event (events->pdata[2], "resume", NULL, T0_US + 120000000);
  assert_event (events->pdata[3], "stop", NULL, T0_US + 180000000);

  /* The start event says what was started, as JSON. */
  json_parser_load_from_data (parser,
                              ((CrEventRecord *) events->pdata[0])->detail, -1,
                              &error);
  g_assert_no_error (error);
  start = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (start, "case"), ==,
                   "（2026）浙1022民初123号");
  g_assert_cmpstr (json_object_get_string_member (start, "title"), ==,
                   "民事一审");

  /* On disk, as an auditor reads it: UTC text, increasing. */
  db = raw_open (fixture->path, SQLITE_OPEN_READONLY);
  times = raw_column (db, "SELECT at FROM events ORDER BY id");
  g_assert_cmpuint (g_strv_length (times), ==, 4);
  g_assert_cmpstr (times[0], ==, "2026-11-27T02:13:25.316Z");
  for (guint i = 0; times[i] != NULL; i++)
    {
      gint64 at_us = 0;

      g_assert_true (cr_parse_utc (times[i], &at_us));
      g_assert_cmpint (at_us, >, previous_us);
      previous_us = at_us;
    }
  sqlite3_close (db);

  /* A session that is not there. */
  g_assert_false (cr_segment_index_set_session_state (
      fixture->index, session_id + 1, CR_SESSION_STOPPED, T0_US, &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cr_segment_index_get_session (fixture->index, session_id + 1,
                                               &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND);
}

static void
test_markers (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *marker_row = NULL;
  g_autofree char *expected_row = NULL;
  g_autofree char *query = NULL;
  g_autofree char *marker_count = NULL;
  g_autofree char *event_count = NULL;
  g_autofree char *session_count = NULL;
  sqlite3 *db;
  gint64 session_id;
  gint64 event_id;

  session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  event_id = cr_segment_index_add_marker (fixture->index, session_id,
                                          T0_US + 5000000, "原告出示证据一",
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpint (event_id, >, 0);

  events = cr_segment_index_list_events (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpint (((CrEventRecord *) events->pdata[1])->id, ==, event_id);
  assert_event (events->pdata[1], "marker", "原告出示证据一", T0_US + 5000000);

  db = raw_open (fixture->path, SQLITE_OPEN_READONLY);
  query = g_strdup_printf ("SELECT session_id || '|' || at || '|' || text "
                           "FROM markers WHERE event_id = %" G_GINT64_FORMAT,
                           event_id);
  marker_row = raw_value (db, query);
  expected_row = g_strdup_printf ("%" G_GINT64_FORMAT
                                  "|2026-11-27T02:13:30.316Z|原告出示证据一",
                                  session_id);
  g_assert_cmpstr (marker_row, ==, expected_row);

  /* A marker on a session that does not exist is refused. */
  g_assert_cmpint (cr_segment_index_add_marker (fixture->index, session_id + 1,
                                                T0_US, "孤儿", &error), ==, 0);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The event and the marker row go in together or not at all: when the
   * marker row is refused (here by a trigger), its event is gone too. */
  sqlite3_close (db);
  db = raw_open (fixture->path, SQLITE_OPEN_READWRITE);
  raw_exec (db, "CREATE TRIGGER refuse BEFORE INSERT ON markers "
                "BEGIN SELECT RAISE (ABORT, 'marker refused'); END");
  g_assert_cmpint (cr_segment_index_add_marker (fixture->index, session_id,
                                                T0_US + 6000000, "半截",
                                                &error), ==, 0);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "marker refused"));
  g_clear_error (&error);
  marker_count = raw_value (db, "SELECT count(*) FROM markers");
  g_assert_cmpstr (marker_count, ==, "1");
  event_count = raw_value (db, "SELECT count(*) FROM events");
  g_assert_cmpstr (event_count, ==, "2");

  /* The same for a session and its start event. */
  raw_exec (db, "DROP TRIGGER refuse; "
                "CREATE TRIGGER refuse BEFORE INSERT ON events "
                "BEGIN SELECT RAISE (ABORT, 'event refused'); END");
  g_assert_cmpint (cr_segment_index_begin_session (fixture->index, "room-1",
                                                   "（2026）浙1022民初124号",
                                                   NULL, T0_US, &error), ==, 0);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "event refused"));
  session_count = raw_value (db, "SELECT count(*) FROM sessions");
  g_assert_cmpstr (session_count, ==, "1");
  sqlite3_close (db);
}

/* The vocabulary: every kind has its text, which reads back as the same
 * kind, and the class the report files it under; a kind this program does
 * not know (a newer program's, or one written by hand) reads back as
 * unknown with its text, never lost. */
static void
test_event_kinds (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = NULL;
  sqlite3 *db;
  gint64 session_id;
  static const struct { CrEventKind kind; const char *text; CrEventClass class_; } some[] = {
    { CR_EVENT_START, "start", CR_EVENT_CLASS_STATE },
    { CR_EVENT_PAUSE, "pause", CR_EVENT_CLASS_PAUSE },
    { CR_EVENT_MARKER, "marker", CR_EVENT_CLASS_MARKER },
    { CR_EVENT_INPUT_LOST, "input-lost", CR_EVENT_CLASS_FAULT },
    { CR_EVENT_MICROPHONE_SOUND, "microphone-sound", CR_EVENT_CLASS_FAULT },
    { CR_EVENT_GAP, "gap", CR_EVENT_CLASS_FAULT },
    { CR_EVENT_SEAL_UNAVAILABLE, "seal-unavailable", CR_EVENT_CLASS_FAULT },
    { CR_EVENT_DISK_STALL, "disk-stall", CR_EVENT_CLASS_FAULT },
    { CR_EVENT_SEGMENT_OPEN_FAILED, "segment-open-failed", CR_EVENT_CLASS_FAULT },
    { CR_EVENT_SEAL, "seal", CR_EVENT_CLASS_OTHER },
  };

  for (guint kind = CR_EVENT_UNKNOWN + 1; kind < CR_EVENT_N_KINDS; kind++)
    {
      const char *text = cr_event_kind_to_string (kind);

      g_assert_nonnull (text);
      g_assert_false (g_hash_table_contains (seen, text));
      g_hash_table_add (seen, (gpointer) text);
      g_assert_cmpint (cr_event_kind_from_string (text), ==, kind);
      /* An alarm is cleared by something, and what clears is no alarm. */
      if (cr_event_kind_clears (kind) != CR_EVENT_UNKNOWN)
        {
          g_assert_false (cr_event_kind_is_alarm (kind));
          g_assert_true (cr_event_kind_is_alarm (cr_event_kind_clears (kind)));
        }
      if (cr_event_kind_is_alarm (kind) || cr_event_kind_clears (kind) != CR_EVENT_UNKNOWN)
        g_assert_cmpint (cr_event_kind_get_class (kind), ==, CR_EVENT_CLASS_FAULT);
    }
  g_assert_null (cr_event_kind_to_string (CR_EVENT_UNKNOWN));
  g_assert_null (cr_event_kind_to_string (CR_EVENT_N_KINDS));
  g_assert_cmpint (cr_event_kind_from_string ("input-lsot"), ==, CR_EVENT_UNKNOWN);
  g_assert_cmpint (cr_event_kind_from_string (NULL), ==, CR_EVENT_UNKNOWN);
  for (guint i = 0; i < G_N_ELEMENTS (some); i++)
    {
      g_assert_cmpstr (cr_event_kind_to_string (some[i].kind), ==, some[i].text);
      g_assert_cmpint (cr_event_kind_get_class (some[i].kind), ==, some[i].class_);
    }
  g_assert_cmpstr (cr_event_class_to_string (CR_EVENT_CLASS_FAULT), ==, "fault");

  /* As stored, and as read back. */
  session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  g_assert_cmpint (cr_segment_index_add_event (fixture->index, session_id, T0_US + 1000,
                                               CR_EVENT_INPUT_LOST, NULL, &error), >, 0);
  g_assert_no_error (error);
  db = raw_open (fixture->path, SQLITE_OPEN_READWRITE);
  stored = raw_value (db, "SELECT group_concat (kind, ',') FROM events");
  g_assert_cmpstr (stored, ==, "start,input-lost");
  raw_exec (db, "INSERT INTO events (session_id, at, kind) "
                "VALUES (1, '2026-11-27T02:13:26.000Z', 'from-the-future')");
  sqlite3_close (db);
  events = cr_segment_index_list_events (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_cmpint (((CrEventRecord *) events->pdata[1])->kind, ==, CR_EVENT_INPUT_LOST);
  g_assert_cmpint (((CrEventRecord *) events->pdata[2])->kind, ==, CR_EVENT_UNKNOWN);
  g_assert_cmpstr (((CrEventRecord *) events->pdata[2])->kind_name, ==, "from-the-future");
}

static void
test_segments (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) all = NULL;
  CrSegmentRecord *first;
  CrSegmentRecord *second;
  gint64 session_id;
  gint64 other_id;
  gint64 first_id;
  gint64 second_id;

  session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  other_id = begin (fixture, "room-1", "（2026）浙1022民初124号",
                    T0_US + 3600000000);
  g_assert_cmpuint (cr_segment_index_last_sequence (fixture->index, session_id,
                                                    &error), ==, 0);
  g_assert_no_error (error);

  first_id = cr_segment_index_add_segment (fixture->index, session_id, 1,
                                           "2026/11/27/s1-0001.mkv", T0_US,
                                           &error);
  g_assert_no_error (error);
  second_id = cr_segment_index_add_segment (fixture->index, session_id, 2,
                                            "2026/11/27/s1-0002.mkv",
                                            T0_US + 900000000, &error);
  g_assert_no_error (error);
  cr_segment_index_add_segment (fixture->index, other_id, 1,
                                "2026/11/27/s2-0001.mkv", T0_US + 3600000000,
                                &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cr_segment_index_last_sequence (fixture->index, session_id,
                                                    &error), ==, 2);
  g_assert_no_error (error);

  g_assert_true (cr_segment_index_close_segment (fixture->index, first_id,
                                                 900000000, 123456789,
                                                 SHA256_A, &error));
  g_assert_no_error (error);

  segments = cr_segment_index_list_segments (fixture->index, session_id,
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, ==, 2);
  first = segments->pdata[0];
  second = segments->pdata[1];
  g_assert_cmpint (first->id, ==, first_id);
  g_assert_cmpint (first->session_id, ==, session_id);
  g_assert_cmpuint (first->sequence, ==, 1);
  g_assert_cmpstr (first->path, ==, "2026/11/27/s1-0001.mkv");
  g_assert_cmpint (first->started_us, ==, T0_US);
  g_assert_cmpint (first->duration_us, ==, 900000000);
  g_assert_cmpint (first->bytes, ==, 123456789);
  g_assert_cmpstr (first->sha256, ==, SHA256_A);
  g_assert_true (first->closed);
  /* Still open. */
  g_assert_cmpint (second->id, ==, second_id);
  g_assert_cmpuint (second->sequence, ==, 2);
  g_assert_cmpint (second->started_us, ==, T0_US + 900000000);
  g_assert_cmpint (second->duration_us, ==, 0);
  g_assert_cmpint (second->bytes, ==, 0);
  g_assert_null (second->sha256);
  g_assert_false (second->closed);

  all = cr_segment_index_list_segments (fixture->index, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpint (((CrSegmentRecord *) all->pdata[2])->session_id, ==,
                   other_id);

  /* A segment of a session that does not exist: foreign keys are on. */
  g_assert_cmpint (cr_segment_index_add_segment (fixture->index, 99, 1,
                                                 "nowhere.mkv", T0_US, &error),
                   ==, 0);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY"));
  g_clear_error (&error);

  g_assert_true (cr_segment_index_delete_segment (fixture->index, second_id,
                                                  &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cr_segment_index_last_sequence (fixture->index, session_id,
                                                    &error), ==, 1);
  g_assert_no_error (error);
  g_assert_false (cr_segment_index_delete_segment (fixture->index, second_id,
                                                   &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cr_segment_index_close_segment (fixture->index, second_id,
                                                  1, 1, SHA256_A, &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND);
}

static void
test_segments_unique (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  gint64 session_id;

  session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  cr_segment_index_add_segment (fixture->index, session_id, 1, "a.mkv", T0_US,
                                &error);
  g_assert_no_error (error);

  /* The same sequence twice in one session. */
  g_assert_cmpint (cr_segment_index_add_segment (fixture->index, session_id, 1,
                                                 "b.mkv", T0_US, &error),
                   ==, 0);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "UNIQUE"));
  g_assert_nonnull (strstr (error->message, "segments.sequence"));
  g_clear_error (&error);

  /* The same file twice. */
  g_assert_cmpint (cr_segment_index_add_segment (fixture->index, session_id, 2,
                                                 "a.mkv", T0_US, &error),
                   ==, 0);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "segments.path"));
  g_clear_error (&error);

  segments = cr_segment_index_list_segments (fixture->index, session_id,
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, ==, 1);
  g_assert_cmpstr (((CrSegmentRecord *) segments->pdata[0])->path, ==,
                   "a.mkv");
}

static void
test_unfinished (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSessionRecord) found = NULL;
  g_autoptr (CrSessionRecord) paused = NULL;
  g_autoptr (CrSessionRecord) none = NULL;
  g_autoptr (CrSessionRecord) elsewhere = NULL;
  gint64 stopped_id;
  gint64 recording_id;

  stopped_id = begin (fixture, "room-1", "（2026）浙1022民初1号", T0_US);
  g_assert_true (cr_segment_index_set_session_state (
      fixture->index, stopped_id, CR_SESSION_STOPPED, T0_US + 1000000, &error));
  g_assert_no_error (error);
  recording_id = begin (fixture, "room-1", "（2026）浙1022民初2号",
                        T0_US + 2000000);

  found = cr_segment_index_find_unfinished_session (fixture->index, "room-1",
                                                    &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpint (found->id, ==, recording_id);
  g_assert_cmpint (found->state, ==, CR_SESSION_RECORDING);

  /* Another room's session is not this room's business. */
  elsewhere = cr_segment_index_find_unfinished_session (fixture->index,
                                                        "room-2", &error);
  g_assert_no_error (error);
  g_assert_null (elsewhere);

  g_assert_true (cr_segment_index_set_session_state (
      fixture->index, recording_id, CR_SESSION_PAUSED, T0_US + 3000000,
      &error));
  g_assert_no_error (error);
  paused = cr_segment_index_find_unfinished_session (fixture->index, "room-1",
                                                     &error);
  g_assert_no_error (error);
  g_assert_nonnull (paused);
  g_assert_cmpint (paused->id, ==, recording_id);
  g_assert_cmpint (paused->state, ==, CR_SESSION_PAUSED);

  g_assert_true (cr_segment_index_set_session_state (
      fixture->index, recording_id, CR_SESSION_STOPPED, T0_US + 4000000,
      &error));
  g_assert_no_error (error);
  none = cr_segment_index_find_unfinished_session (fixture->index, "room-1",
                                                   &error);
  g_assert_no_error (error);
  g_assert_null (none);
}

static void
test_sessions_by_case (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) of_case = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) unknown = NULL;
  gint64 first_id;
  gint64 second_id;

  first_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  begin (fixture, "room-1", "（2026）浙1022刑初7号", T0_US + 3600000000);
  second_id = begin (fixture, "room-2", "（2026）浙1022民初123号",
                     T0_US + 86400000000);

  of_case = cr_segment_index_list_sessions (fixture->index,
                                            "（2026）浙1022民初123号", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (of_case->len, ==, 2);
  g_assert_cmpint (((CrSessionRecord *) of_case->pdata[0])->id, ==, first_id);
  g_assert_cmpint (((CrSessionRecord *) of_case->pdata[1])->id, ==, second_id);
  g_assert_cmpstr (((CrSessionRecord *) of_case->pdata[1])->room_id, ==,
                   "room-2");

  all = cr_segment_index_list_sessions (fixture->index, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);

  unknown = cr_segment_index_list_sessions (fixture->index,
                                            "（2025）浙1022民初1号", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unknown->len, ==, 0);
}

static void
test_read_only_while_writing (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) reader = NULL;
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) later = NULL;
  gint64 session_id;

  session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  cr_segment_index_add_segment (fixture->index, session_id, 1, "a.mkv", T0_US,
                                &error);
  g_assert_no_error (error);

  /* The writer stays open, as courtrecd does while courtrec reads. */
  reader = cr_segment_index_open (fixture->path, TRUE, &error);
  g_assert_no_error (error);
  sessions = cr_segment_index_list_sessions (reader, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sessions->len, ==, 1);
  g_assert_cmpint (((CrSessionRecord *) sessions->pdata[0])->id, ==,
                   session_id);
  segments = cr_segment_index_list_segments (reader, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, ==, 1);

  /* What the writer commits next is seen by the reader's next query. */
  cr_segment_index_add_segment (fixture->index, session_id, 2, "b.mkv",
                                T0_US + 1000, &error);
  g_assert_no_error (error);
  later = cr_segment_index_list_segments (reader, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (later->len, ==, 2);

  /* And the reader cannot write. */
  g_assert_cmpint (cr_segment_index_add_event (reader, session_id, T0_US,
                                               CR_EVENT_MARKER, "x", &error), ==, 0);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
}

static void
test_read_only_missing (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;

  index = cr_segment_index_open (fixture->path, TRUE, &error);
  g_assert_null (index);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, fixture->path));
  /* Looking did not create it. */
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_newer_version (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) writer = NULL;
  g_autoptr (CrSegmentIndex) reader = NULL;
  g_autofree char *version = NULL;
  g_autofree char *tables = NULL;
  sqlite3 *db;

  db = raw_open (fixture->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  raw_exec (db, "PRAGMA user_version = 99");
  sqlite3_close (db);

  writer = cr_segment_index_open (fixture->path, FALSE, &error);
  g_assert_null (writer);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_VERSION);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_clear_error (&error);

  reader = cr_segment_index_open (fixture->path, TRUE, &error);
  g_assert_null (reader);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_VERSION);

  /* The newer program's file was left as it was. */
  db = raw_open (fixture->path, SQLITE_OPEN_READONLY);
  version = raw_value (db, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "99");
  tables = raw_value (db, "SELECT count(*) FROM sqlite_master");
  g_assert_cmpstr (tables, ==, "0");
  sqlite3_close (db);
}

static void
test_not_a_database (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;

  g_file_set_contents (fixture->path, "[room]\nid = room-1\n", -1, &error);
  g_assert_no_error (error);
  index = cr_segment_index_open (fixture->path, FALSE, &error);
  g_assert_null (index);
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, fixture->path));
}

/* A state change and its event land together, or neither does. */
static void
test_change_state_with_event (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) events = NULL;
  CrEventRecord *last;
  gint64 id = cr_segment_index_begin_session (fixture->index, "room-1",
                                              "（2026）浙1022民初123号", NULL,
                                              1700000000000000, &error);

  g_assert_no_error (error);
  g_assert_true (cr_segment_index_change_session_state (
      fixture->index, id, CR_SESSION_PAUSED, 1700000001000000, CR_EVENT_PAUSE,
      "{\"reason\":\"recess\"}", &error));
  g_assert_no_error (error);
  session = cr_segment_index_get_session (fixture->index, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (session->state, ==, CR_SESSION_PAUSED);
  events = cr_segment_index_list_events (fixture->index, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  last = g_ptr_array_index (events, 1);
  g_assert_cmpstr (last->kind_name, ==, "pause");
  g_assert_cmpint (last->at_us, ==, 1700000001000000);

  /* No such session: an error, and no stray event. */
  g_assert_false (cr_segment_index_change_session_state (
      fixture->index, id + 1, CR_SESSION_STOPPED, 1700000002000000, CR_EVENT_STOP, NULL,
      &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = cr_segment_index_list_events (fixture->index, id + 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
}

static void
test_utc (void)
{
  const char *const garbage[] = {
    "",
    "2026-11-27",
    "2026-11-27T02:13:25Z",            /* no milliseconds */
    "2026-11-27T02:13:25.316",         /* no zone */
    "2026-11-27T02:13:25.316+08:00",   /* not UTC */
    "2026-11-27 02:13:25.316Z",
    "2026-11-27T02:13:25.3160Z",
    "2026-11-27T02:13:25.316Z ",
    " 2026-11-27T02:13:25.316Z",
    "2026-13-27T02:13:25.316Z",
    "2026-02-30T02:13:25.316Z",
    "2026-11-27T24:00:00.000Z",
    "2026-11-27T02:60:25.316Z",
    "2026-11-27T02:13:60.000Z",
    "2026-11-27T02:13:-5.316Z",
    "２026-11-27T02:13:25.316Z",        /* a full-width digit */
    "yesterday",
  };
  const gint64 round_trip[] = {
    0, T0_US, G_GINT64_CONSTANT (-1000), G_GINT64_CONSTANT (951782400000000),
    G_GINT64_CONSTANT (253402300799999000),  /* 9999-12-31T23:59:59.999Z */
  };
  g_autofree char *t0 = cr_format_utc (T0_US);
  g_autofree char *epoch = cr_format_utc (0);
  g_autofree char *truncated = cr_format_utc (T0_US + 999);
  g_autofree char *before_epoch = cr_format_utc (-1);
  gint64 parsed = 0;

  g_assert_cmpstr (t0, ==, "2026-11-27T02:13:25.316Z");
  g_assert_cmpstr (epoch, ==, "1970-01-01T00:00:00.000Z");
  /* Milliseconds: the microseconds below them are dropped, not rounded
   * into the next second. */
  g_assert_cmpstr (truncated, ==, "2026-11-27T02:13:25.316Z");
  g_assert_cmpstr (before_epoch, ==, "1969-12-31T23:59:59.999Z");

  for (gsize i = 0; i < G_N_ELEMENTS (round_trip); i++)
    {
      g_autofree char *text = cr_format_utc (round_trip[i]);

      g_assert_true (cr_parse_utc (text, &parsed));
      g_assert_cmpint (parsed, ==, round_trip[i]);
    }
  g_assert_true (cr_parse_utc ("2024-02-29T23:59:59.999Z", NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      parsed = 42;
      if (cr_parse_utc (garbage[i], &parsed))
        g_error ("'%s' was taken for a time", garbage[i]);
      g_assert_cmpint (parsed, ==, 42);
    }
  g_assert_false (cr_parse_utc (NULL, &parsed));
}

static void
test_states_and_records (void)
{
  CrSessionState state = CR_SESSION_STOPPED;

  for (CrSessionState s = CR_SESSION_RECORDING; s <= CR_SESSION_STOPPED; s++)
    {
      g_assert_true (cr_session_state_from_string (
          cr_session_state_to_string (s), &state));
      g_assert_cmpint (state, ==, s);
    }
  g_assert_false (cr_session_state_from_string ("Recording", &state));
  g_assert_false (cr_session_state_from_string (NULL, &state));

  cr_session_record_free (NULL);
  cr_segment_record_free (NULL);
  cr_event_record_free (NULL);
  cr_segment_index_free (NULL);
}

/* --- the chain, as an outside auditor computes it ----------------------- */

/* The layout of chain.h, written again from its text with nothing but
 * GChecksum, over the values exactly as sqlite3 shows them: if the module
 * and its documentation ever disagree, this fails. */
static void
auditor_field (GByteArray *bytes, const char *text)
{
  guint32 length = strlen (text);
  guint8 be[4] = { length >> 24, length >> 16, length >> 8, length };

  g_byte_array_append (bytes, be, 4);
  g_byte_array_append (bytes, (const guint8 *) text, length);
}

static void
auditor_raw (GByteArray *bytes, const char *hex)
{
  g_assert_cmpuint (strlen (hex), ==, 64);
  for (guint i = 0; i < 32; i++)
    {
      guint8 byte = g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]);
      g_byte_array_append (bytes, &byte, 1);
    }
}

static char *
auditor_hash (GByteArray *bytes)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, bytes->data, bytes->len);
}

/* The root of session @id, from its row. */
static char *
auditor_root (sqlite3 *db, gint64 id)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT id || char(10) || room_id || char(10) || case_no || char(10) || started_at "
      "FROM sessions WHERE id = %" G_GINT64_FORMAT, id);
  g_autofree char *row = raw_value (db, sql);
  g_auto (GStrv) fields = g_strsplit (row, "\n", -1);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();

  auditor_field (bytes, "courtrec-chain-1");
  for (guint i = 0; i < 4; i++)
    auditor_field (bytes, fields[i]);
  return auditor_hash (bytes);
}

/* The links of session @id's segments, in sequence order, each from the
 * one before as the auditor computed it. */
static GStrv
auditor_links (sqlite3 *db, gint64 id)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT session_id || char(10) || sequence || char(10) || path || char(10) || "
      "started_at || char(10) || duration_us || char(10) || bytes || char(10) || sha256 "
      "FROM segments WHERE session_id = %" G_GINT64_FORMAT " ORDER BY sequence", id);
  g_auto (GStrv) rows = raw_column (db, sql);
  g_autoptr (GStrvBuilder) links = g_strv_builder_new ();
  g_autofree char *previous = auditor_root (db, id);

  for (guint r = 0; rows[r] != NULL; r++)
    {
      g_auto (GStrv) fields = g_strsplit (rows[r], "\n", -1);
      g_autoptr (GByteArray) metadata = g_byte_array_new ();
      g_autoptr (GByteArray) bytes = g_byte_array_new ();
      guint8 be[4];

      for (guint i = 0; i < 6; i++)
        auditor_field (metadata, fields[i]);
      auditor_raw (bytes, previous);
      auditor_raw (bytes, fields[6]);
      be[0] = metadata->len >> 24;
      be[1] = metadata->len >> 16;
      be[2] = metadata->len >> 8;
      be[3] = metadata->len;
      g_byte_array_append (bytes, be, 4);
      g_byte_array_append (bytes, metadata->data, metadata->len);
      g_free (previous);
      previous = auditor_hash (bytes);
      g_strv_builder_add (links, previous);
    }
  return g_strv_builder_end (links);
}

static GStrv
stored_links (sqlite3 *db, gint64 id)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT COALESCE (link, 'NULL') FROM segments WHERE session_id = %" G_GINT64_FORMAT
      " ORDER BY sequence", id);
  return raw_column (db, sql);
}

/* The links of session @id's events (its ledger), in sequence order. */
static GStrv
auditor_event_links (sqlite3 *db, gint64 id)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT session_id || char(10) || sequence || char(10) || at || char(10) || kind "
      "|| char(10) || COALESCE (detail, '') FROM events WHERE session_id = %"
      G_GINT64_FORMAT " ORDER BY sequence", id);
  g_auto (GStrv) rows = raw_column (db, sql);
  g_autoptr (GStrvBuilder) links = g_strv_builder_new ();
  g_autofree char *previous = auditor_root (db, id);

  for (guint r = 0; rows[r] != NULL; r++)
    {
      g_auto (GStrv) fields = g_strsplit (rows[r], "\n", 5);
      g_autoptr (GByteArray) bytes = g_byte_array_new ();

      auditor_raw (bytes, previous);
      auditor_field (bytes, "event");
      for (guint i = 0; i < 5; i++)
        auditor_field (bytes, fields[i]);
      g_free (previous);
      previous = auditor_hash (bytes);
      g_strv_builder_add (links, previous);
    }
  return g_strv_builder_end (links);
}

static GStrv
stored_event_links (sqlite3 *db, gint64 id)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT COALESCE (link, 'NULL') FROM events WHERE session_id = %" G_GINT64_FORMAT
      " ORDER BY sequence", id);
  return raw_column (db, sql);
}

/* The sealed head over the segments' head and the ledger's (layout 2). */
static char *
auditor_head (const char *segments_head, const char *ledger_head)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();

  auditor_field (bytes, "courtrec-head-2");
  auditor_raw (bytes, segments_head);
  auditor_raw (bytes, ledger_head);
  return auditor_hash (bytes);
}

#define SHA256_B "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define SHA256_C "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"

/* Three segments of @session_id, not closed. */
static void
add_three (Fixture *fixture, gint64 session_id, gint64 ids[3])
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("recordings/2026-11-27/room-1_s%"
                                               G_GINT64_FORMAT "_%04u.mkv", session_id, i + 1);
      ids[i] = cr_segment_index_add_segment (fixture->index, session_id, i + 1, path,
                                             T0_US + i * 600 * G_USEC_PER_SEC, &error);
      g_assert_no_error (error);
    }
}

static void
close_one (Fixture *fixture, gint64 segment_id, guint i)
{
  static const char *const hashes[] = { SHA256_A, SHA256_B, SHA256_C };
  g_autoptr (GError) error = NULL;

  g_assert_true (cr_segment_index_close_segment (fixture->index, segment_id,
                                                 600 * G_USEC_PER_SEC + i,
                                                 1000000 + i, hashes[i], &error));
  g_assert_no_error (error);
}

/* Links are filled as soon as every segment before is closed, whatever the
 * order they close in, and match the auditor's. */
static void
test_chain_links (Fixture *fixture, gconstpointer data)
{
  gint64 in_order = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  gint64 out_of_order = begin (fixture, "room-1", "（2026）浙1022民初124号", T0_US);
  gint64 a[3], b[3];
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) links = NULL;
  g_auto (GStrv) expected = NULL;
  g_autofree char *root = NULL;
  sqlite3 *db = raw_open (fixture->path, SQLITE_OPEN_READONLY);

  add_three (fixture, in_order, a);
  add_three (fixture, out_of_order, b);

  /* The root is there from the start. */
  session = cr_segment_index_get_session (fixture->index, in_order, &error);
  g_assert_no_error (error);
  root = auditor_root (db, in_order);
  g_assert_cmpstr (session->chain_root, ==, root);
  g_assert_null (session->chain_head);

  for (guint i = 0; i < 3; i++)
    close_one (fixture, a[i], i);
  links = stored_links (db, in_order);
  expected = auditor_links (db, in_order);
  g_assert_cmpstrv (links, expected);
  g_clear_pointer (&links, g_strfreev);
  g_clear_pointer (&expected, g_strfreev);

  /* #3 first: it waits for #2, which waits for #1. */
  close_one (fixture, b[2], 2);
  links = stored_links (db, out_of_order);
  g_assert_cmpstr (links[0], ==, "NULL");
  g_assert_cmpstr (links[2], ==, "NULL");
  g_clear_pointer (&links, g_strfreev);
  close_one (fixture, b[0], 0);
  links = stored_links (db, out_of_order);
  g_assert_cmpstr (links[0], !=, "NULL");
  g_assert_cmpstr (links[1], ==, "NULL");
  g_assert_cmpstr (links[2], ==, "NULL");
  g_clear_pointer (&links, g_strfreev);
  close_one (fixture, b[1], 1);
  links = stored_links (db, out_of_order);
  expected = auditor_links (db, out_of_order);
  g_assert_cmpstrv (links, expected);

  /* A chained row stays as it is. */
  g_assert_false (cr_segment_index_close_segment (fixture->index, a[1], 1, 1, SHA256_A,
                                                  &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_SEALED);
  sqlite3_close (db);
}

static CrDeviceKey *
make_key (Fixture *fixture)
{
  g_autofree char *path = g_build_filename (fixture->dir, "device-key", NULL);
  g_autoptr (GError) error = NULL;
  CrDeviceKey *key = cr_device_key_load (path, TRUE, &error);

  g_assert_no_error (error);
  return key;
}

static void
stop (Fixture *fixture, gint64 session_id, gint64 at_us)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (cr_segment_index_change_session_state (fixture->index, session_id,
                                                        CR_SESSION_STOPPED, at_us,
                                                        CR_EVENT_STOP, NULL, &error));
  g_assert_no_error (error);
}

/* The README's worked example, as the index writes it. */
static void
test_worked_example (Fixture *fixture, gconstpointer data)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) ledger = NULL;
  g_autoptr (GError) error = NULL;
  gint64 id = cr_segment_index_begin_session (fixture->index, "room-101",
                                              "（2026）浙1022民初123号", NULL, T0_US, &error);
  CrEventRecord *start;

  g_assert_no_error (error);
  g_assert_cmpint (id, ==, 1);
  session = cr_segment_index_get_session (fixture->index, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (session->chain_root, ==,
                   "5d400caa28edfad6b8dbba31a90159d6b72b6db038ad76ba2880539c04e409eb");
  ledger = cr_segment_index_list_ledger (fixture->index, id, &error);
  g_assert_no_error (error);
  start = g_ptr_array_index (ledger, 0);
  g_assert_cmpuint (start->sequence, ==, 1);
  g_assert_cmpint (start->at_us, ==, T0_US);
  g_assert_cmpstr (start->kind_name, ==, "start");
  g_assert_cmpstr (start->detail, ==, "{\"case\":\"（2026）浙1022民初123号\",\"title\":null}");
  g_assert_cmpuint (strlen (start->detail), ==, 53);
  g_assert_cmpstr (start->link, ==,
                   "6bb960d909639fe6f0b67f18a51e1bf547ea5f9f3d06ebc3b895da5b22f17abf");
}

/* A session is sealed once stopped and complete; the seal is its last
 * segment link and its last event link, signed by the device key, and an
 * event after them. */
static void
test_seal (Fixture *fixture, gconstpointer data)
{
  g_autoptr (CrDeviceKey) key = make_key (fixture);
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *head = NULL;
  g_autofree char *again = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *sealed_events = NULL;
  g_auto (GStrv) links = NULL;
  g_auto (GStrv) event_links = NULL;
  g_auto (GStrv) auditor_events = NULL;
  gint64 session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  gint64 empty_id = begin (fixture, "room-1", "（2026）浙1022民初125号", T0_US);
  gint64 ids[3];
  sqlite3 *db = raw_open (fixture->path, SQLITE_OPEN_READONLY);

  add_three (fixture, session_id, ids);
  close_one (fixture, ids[0], 0);
  close_one (fixture, ids[1], 1);

  /* Not stopped: not yet. */
  g_assert_false (cr_segment_index_seal_session (fixture->index, session_id, key,
                                                 T0_US, &head, &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY);
  g_clear_error (&error);
  /* Stopped, the last file still closing: not yet either. */
  stop (fixture, session_id, T0_US + 1800 * G_USEC_PER_SEC);
  g_assert_false (cr_segment_index_seal_session (fixture->index, session_id, key,
                                                 T0_US, &head, &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY);
  g_assert_nonnull (strstr (error->message, "#3"));
  g_clear_error (&error);
  g_assert_null (head);

  close_one (fixture, ids[2], 2);
  g_assert_true (cr_segment_index_seal_session (fixture->index, session_id, key,
                                                T0_US + 1801 * G_USEC_PER_SEC, &head,
                                                &error));
  g_assert_no_error (error);
  links = stored_links (db, session_id);
  /* Its events: start, stop, then the seal, linked after what it covers. */
  event_links = stored_event_links (db, session_id);
  auditor_events = auditor_event_links (db, session_id);
  g_assert_cmpstrv (event_links, auditor_events);
  g_assert_cmpuint (g_strv_length (event_links), ==, 3);
  expected = auditor_head (links[2], event_links[1]);
  g_assert_cmpstr (head, ==, expected);
  sealed_events = raw_value (db, "SELECT sealed_events FROM sessions WHERE id = 1");
  g_assert_cmpstr (sealed_events, ==, "2");

  session = cr_segment_index_get_session (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (session->chain_head, ==, head);
  g_assert_cmpstr (session->public_key, ==, cr_device_key_get_public_hex (key));
  g_assert_cmpint (session->sealed_us, ==, T0_US + 1801 * G_USEC_PER_SEC);
  g_assert_true (cr_device_key_verify (session->public_key, head, session->signature));
  g_assert_false (cr_device_key_verify (session->public_key, links[1], session->signature));
  events = cr_segment_index_list_events (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((CrEventRecord *) g_ptr_array_index (events, events->len - 1))->kind_name,
                   ==, "seal");

  /* Again: the same head, no second event. */
  g_assert_true (cr_segment_index_seal_session (fixture->index, session_id, key,
                                                T0_US, &again, &error));
  g_assert_cmpstr (again, ==, head);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = cr_segment_index_list_events (fixture->index, session_id, NULL);
  g_assert_cmpuint (events->len, ==, 3); /* start, stop, seal */
  /* Events after the seal are linked beyond what it covers. */
  cr_segment_index_add_event (fixture->index, session_id, T0_US + 1900 * G_USEC_PER_SEC,
                              CR_EVENT_EXPORT, "{}", &error);
  g_assert_no_error (error);
  g_clear_pointer (&again, g_free);
  g_assert_true (cr_segment_index_seal_session (fixture->index, session_id, key,
                                                T0_US, &again, &error));
  g_assert_cmpstr (again, ==, head);

  /* A segment that turns up after the seal (adopted after a crash) changes
   * the chain: it is not sealed over. */
  {
    gint64 late = cr_segment_index_add_segment (fixture->index, session_id, 4,
                                                "recordings/late.mkv", T0_US, &error);
    g_assert_no_error (error);
    close_one (fixture, late, 0);
    g_assert_false (cr_segment_index_seal_session (fixture->index, session_id, key,
                                                   T0_US, NULL, &error));
    g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_SEALED);
    g_clear_error (&error);
  }

  /* A stopped session without segments seals its root and its events. */
  stop (fixture, empty_id, T0_US + 60 * G_USEC_PER_SEC);
  g_assert_true (cr_segment_index_seal_session (fixture->index, empty_id, key, T0_US, NULL,
                                                &error));
  g_assert_no_error (error);
  g_clear_pointer (&session, cr_session_record_free);
  session = cr_segment_index_get_session (fixture->index, empty_id, &error);
  {
    g_auto (GStrv) empty_events = stored_event_links (db, empty_id);
    g_autofree char *empty_head = auditor_head (session->chain_root, empty_events[1]);
    g_assert_cmpstr (session->chain_head, ==, empty_head);
  }
  sqlite3_close (db);
}

/* Archived, then purged: the rows stay, out of the live table. */
static void
test_archived_and_purged (Fixture *fixture, gconstpointer data)
{
  g_autoptr (CrDeviceKey) key = make_key (fixture);
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) live = NULL;
  g_autoptr (GPtrArray) chain = NULL;
  g_autoptr (GError) error = NULL;
  gint64 session_id = begin (fixture, "room-1", "（2026）浙1022民初123号", T0_US);
  gint64 ids[3];

  add_three (fixture, session_id, ids);
  for (guint i = 0; i < 3; i++)
    close_one (fixture, ids[i], i);

  /* Not sealed: neither archived nor purged. */
  stop (fixture, session_id, T0_US + 1800 * G_USEC_PER_SEC);
  g_assert_false (cr_segment_index_mark_archived (fixture->index, session_id, T0_US,
                                                  NULL, &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY);
  g_clear_error (&error);
  g_assert_false (cr_segment_index_purge_session (fixture->index, session_id, T0_US,
                                                  NULL, &error));
  g_assert_error (error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_READY);
  g_clear_error (&error);

  g_assert_true (cr_segment_index_seal_session (fixture->index, session_id, key,
                                                T0_US, NULL, &error));
  g_assert_true (cr_segment_index_mark_archived (fixture->index, session_id,
                                                 T0_US + 1000, "{\"note\":\"x\"}", &error));
  g_assert_no_error (error);
  g_assert_true (cr_segment_index_purge_session (fixture->index, session_id,
                                                 T0_US + 2000, "{}", &error));
  g_assert_no_error (error);

  session = cr_segment_index_get_session (fixture->index, session_id, &error);
  g_assert_cmpint (session->archived_us, ==, T0_US + 1000);
  g_assert_cmpint (session->purged_us, ==, T0_US + 2000);
  live = cr_segment_index_list_segments (fixture->index, session_id, &error);
  g_assert_cmpuint (live->len, ==, 0);
  chain = cr_segment_index_list_chain (fixture->index, session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (chain, i);
      g_assert_true (row->purged);
      g_assert_cmpuint (row->sequence, ==, i + 1);
      g_assert_nonnull (row->link);
    }
  /* The sealed head still follows from the purged rows and the ledger. */
  {
    g_autoptr (GPtrArray) ledger = cr_segment_index_list_ledger (fixture->index, session_id,
                                                                 &error);
    CrEventRecord *sealed = NULL;
    g_autofree char *head = NULL;

    g_assert_no_error (error);
    for (guint i = 0; i < ledger->len; i++)
      if (((CrEventRecord *) g_ptr_array_index (ledger, i))->sequence == session->sealed_events)
        sealed = g_ptr_array_index (ledger, i);
    g_assert_nonnull (sealed);
    head = cr_chain_head (((CrSegmentRecord *) g_ptr_array_index (chain, 2))->link,
                          sealed->link, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (head, ==, session->chain_head);
  }
}

/* An index written by version 1 is chained when it is opened for writing. */
static void
test_migrate_from_1 (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_auto (GStrv) links = NULL;
  g_auto (GStrv) expected = NULL;
  g_autofree char *version = NULL;
  g_autofree char *root = NULL;
  sqlite3 *db = raw_open (fixture->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

  /* Version 1's schema and rows, as that program wrote them. */
  raw_exec (db,
            "CREATE TABLE sessions (id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, "
            "case_no TEXT NOT NULL, title TEXT, started_at TEXT NOT NULL, stopped_at TEXT, "
            "state TEXT NOT NULL CHECK (state IN ('recording', 'paused', 'stopped')));"
            "CREATE INDEX sessions_case_no ON sessions (case_no);"
            "CREATE TABLE segments (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL "
            "REFERENCES sessions (id), sequence INTEGER NOT NULL CHECK (sequence > 0), "
            "path TEXT NOT NULL UNIQUE, started_at TEXT NOT NULL, duration_us INTEGER NOT "
            "NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0, sha256 TEXT, closed INTEGER "
            "NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)), UNIQUE (session_id, sequence));"
            "CREATE TABLE events (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL "
            "REFERENCES sessions (id), at TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT);"
            "CREATE INDEX events_session_id ON events (session_id);"
            "CREATE TABLE markers (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL "
            "REFERENCES sessions (id), event_id INTEGER NOT NULL REFERENCES events (id), "
            "at TEXT NOT NULL, text TEXT NOT NULL);"
            "INSERT INTO sessions VALUES (7, 'room-1', '（2026）浙1022民初123号', NULL, "
            "'2026-11-27T02:13:25.316Z', '2026-11-27T02:43:25.316Z', 'stopped');"
            "INSERT INTO segments VALUES (1, 7, 1, 'recordings/a.mkv', "
            "'2026-11-27T02:13:25.316Z', 600000000, 1000, '" SHA256_A "', 1);"
            "INSERT INTO segments VALUES (2, 7, 2, 'recordings/b.mkv', "
            "'2026-11-27T02:23:25.316Z', 600000000, 2000, '" SHA256_B "', 1);"
            "PRAGMA user_version = 1;");

  index = cr_segment_index_open (fixture->path, FALSE, &error);
  g_assert_no_error (error);
  version = raw_value (db, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "8");
  session = cr_segment_index_get_session (index, 7, &error);
  g_assert_no_error (error);
  root = auditor_root (db, 7);
  g_assert_cmpstr (session->chain_root, ==, root);
  g_assert_null (session->chain_head);
  links = stored_links (db, 7);
  expected = auditor_links (db, 7);
  g_assert_cmpstrv (links, expected);
  sqlite3_close (db);
}

/* The device key: made once with mode 0600, the public key beside it, the
 * same key read back; a key others may read is refused. */
static void
test_device_key (Fixture *fixture, gconstpointer data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "device-key", NULL);
  g_autofree char *pub_path = g_strconcat (path, ".pub", NULL);
  g_autofree char *pub = NULL;
  g_autofree char *signature = NULL;
  g_autoptr (CrDeviceKey) key = NULL;
  g_autoptr (CrDeviceKey) again = NULL;
  g_autoptr (CrDeviceKey) refused = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  refused = cr_device_key_load (path, FALSE, &error);
  g_assert_null (refused);
  g_assert_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  key = cr_device_key_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (pub_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  pub = cr_device_key_read_public (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pub, ==, cr_device_key_get_public_hex (key));

  again = cr_device_key_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cr_device_key_get_public_hex (again), ==, pub);
  signature = cr_device_key_sign (again, SHA256_A);
  g_assert_cmpuint (strlen (signature), ==, 128);
  g_assert_true (cr_device_key_verify (pub, SHA256_A, signature));
  g_assert_false (cr_device_key_verify (pub, SHA256_B, signature));
  signature[0] = signature[0] == '0' ? '1' : '0';
  g_assert_false (cr_device_key_verify (pub, SHA256_A, signature));
  g_assert_false (cr_device_key_verify ("not hex", SHA256_A, signature));

  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  refused = cr_device_key_load (path, FALSE, &error);
  g_assert_null (refused);
  g_assert_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "chmod 600"));
}

/* A kill between creating a segment's file and its first cluster leaves its
 * hidden ".NAME.mkv.partial": a header without a frame, removed at the next
 * start. Nothing else hidden or linked is touched. */
static void
test_reconcile_unnamed (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *day = g_build_filename (fixture->dir, "recordings", "2026-12-02", NULL);
  g_autofree char *unnamed = g_build_filename (day, ".s1-0001-x.mkv.partial", NULL);
  g_autofree char *other = g_build_filename (day, ".notes.partial", NULL);
  g_autofree char *outside = g_build_filename (fixture->dir, "outside.mkv", NULL);
  g_autofree char *linked = g_build_filename (day, ".s1-0002-x.mkv.partial", NULL);
  g_autofree char *recordings = g_build_filename (fixture->dir, "recordings", NULL);
  CrReconcileReport report;

  g_assert_cmpint (g_mkdir_with_parents (day, 0750), ==, 0);
  g_assert_true (g_file_set_contents (unnamed, "\x1a\x45\xdf\xa3 header", -1, NULL));
  g_assert_true (g_file_set_contents (other, "kept", -1, NULL));
  g_assert_true (g_file_set_contents (outside, "kept", -1, NULL));
  g_assert_cmpint (symlink (outside, linked), ==, 0);

  g_assert_true (cr_reconcile (fixture->index, fixture->dir, &report, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.unnamed, ==, 1);
  g_assert_false (g_file_test (unnamed, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (outside, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (linked, G_FILE_TEST_IS_SYMLINK));

  /* tear_down takes files only. */
  g_assert_cmpint (g_unlink (other), ==, 0);
  g_assert_cmpint (g_unlink (linked), ==, 0);
  g_assert_cmpint (g_rmdir (day), ==, 0);
  g_assert_cmpint (g_rmdir (recordings), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, set_up_func, func) \
  g_test_add ("/courtrec/archive/index/" path, Fixture, NULL, set_up_func, \
              func, tear_down)

  ADD ("schema", set_up, test_schema);
  ADD ("session-life", set_up, test_session_life);
  ADD ("markers", set_up, test_markers);
  ADD ("change-state-with-event", set_up, test_change_state_with_event);
  ADD ("event-kinds", set_up, test_event_kinds);
  ADD ("segments", set_up, test_segments);
  ADD ("segments/unique", set_up, test_segments_unique);
  ADD ("unfinished", set_up, test_unfinished);
  ADD ("sessions-by-case", set_up, test_sessions_by_case);
  ADD ("read-only/while-writing", set_up, test_read_only_while_writing);
  ADD ("read-only/missing", set_up_empty, test_read_only_missing);
  ADD ("version/newer", set_up_empty, test_newer_version);
  ADD ("not-a-database", set_up_empty, test_not_a_database);
  ADD ("chain/links", set_up, test_chain_links);
  ADD ("chain/seal", set_up, test_seal);
  ADD ("chain/worked-example", set_up, test_worked_example);
  ADD ("chain/archived-and-purged", set_up, test_archived_and_purged);
  ADD ("version/migrate-from-1", set_up_empty, test_migrate_from_1);
  ADD ("device-key", set_up_empty, test_device_key);
  ADD ("reconcile/unnamed", set_up, test_reconcile_unnamed);
#undef ADD

  g_test_add_func ("/courtrec/archive/index/utc", test_utc);
  g_test_add_func ("/courtrec/archive/index/states", test_states_and_records);

  return g_test_run ();
}
