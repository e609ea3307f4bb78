/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-integrity.c: the chain, the seal, verify, the hearing report and
 * retention, on a real recording: courtrecd records a short hearing with two
 * pauses once; the session is sealed with the device key (as courtrecd will
 * at stop); then each test works on its own copy of that room, tampers with
 * it the way an intruder would (bytes, files, rows with plain sqlite3, the
 * signature), and runs the real courtrec client on it. */
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "archive/device-key.h"
#include "archive/segment-index.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
/* Markup in the title: the HTML report must escape it. */
#define TITLE "原告张某诉被告李某 <b>&amp;</b>"
#define MARKER "证人出庭"
#define LOST_REASON "no data for 2 s"

/* The recording every test copies: made once, by the first test. */
static CrTestRoom *pristine;
static gint64 pristine_session;

typedef struct {
  CrTestRoom *room;        /* a copy of the pristine room; no daemon */
  gint64 session_id;
  GPtrArray *segments;     /* CrSegmentRecord, as sealed */
} Fixture;

static CrSegmentIndex *
open_index (CrTestRoom *room, gboolean read_only)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  CrSegmentIndex *index = cr_segment_index_open (path, read_only, &error);

  g_assert_no_error (error);
  return index;
}

static void
client_ok (CrTestRoom *room, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (room->config_path));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (cr_test_run (&out, &err, (const char *const *) argv->pdata) != 0)
    g_error ("courtrec %s failed: %s%s", first, out, err);
}

/* A camera lost for half a second, as the recorder logs it, into the
 * ledger of the session recording now: what verify must keep from being
 * deleted or edited. The daemon goes on writing beside it (WAL). */
static void
log_camera_lost (CrTestRoom *room)
{
  g_autoptr (CrSegmentIndex) index = open_index (room, FALSE);
  g_autoptr (GPtrArray) sessions = NULL;
  g_autoptr (GError) error = NULL;
  gint64 session_id, now = g_get_real_time ();

  sessions = cr_segment_index_list_sessions (index, NULL, &error);
  g_assert_no_error (error);
  session_id = ((CrSessionRecord *) g_ptr_array_index (sessions, sessions->len - 1))->id;
  cr_segment_index_add_event (index, session_id, now, CR_EVENT_INPUT_LOST,
                              "{\"input\":\"witness\",\"kind\":\"camera\","
                              "\"label\":\"证人\",\"reason\":\"" LOST_REASON "\"}", &error);
  g_assert_no_error (error);
  cr_segment_index_add_event (index, session_id, now + G_USEC_PER_SEC / 2, CR_EVENT_INPUT_BACK,
                              "{\"input\":\"witness\",\"kind\":\"camera\","
                              "\"label\":\"证人\"}", &error);
  g_assert_no_error (error);
}

/* A hearing of about 8 s with two pauses and a camera lost: three
 * segments. */
static void
record_pristine (void)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  if (pristine != NULL)
    return;
  pristine = cr_test_room_new (10, NULL);
  cr_test_room_start (pristine);

  client_ok (pristine, "start", "--case", CASE_NO, "--title", TITLE, NULL);
  client_ok (pristine, "mark", MARKER, NULL);
  g_usleep (G_USEC_PER_SEC);
  log_camera_lost (pristine);
  g_usleep (G_USEC_PER_SEC);
  client_ok (pristine, "pause", "--reason", "recess", NULL);
  g_usleep (G_USEC_PER_SEC);
  client_ok (pristine, "resume", NULL);
  g_usleep (2 * G_USEC_PER_SEC);
  client_ok (pristine, "pause", "--reason", "mediation", NULL);
  g_usleep (G_USEC_PER_SEC);
  client_ok (pristine, "resume", NULL);
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (cr_test_client (pristine, &out, NULL, "stop", NULL), ==, 0);
  /* Until courtrecd seals at stop, the client says the value is to come. */
  g_assert_nonnull (strstr (out, "Integrity value"));

  index = open_index (pristine, TRUE);
  {
    g_autoptr (GPtrArray) sessions = cr_segment_index_list_sessions (index, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (sessions->len, ==, 1);
    pristine_session = ((CrSessionRecord *) g_ptr_array_index (sessions, 0))->id;
  }
  g_clear_pointer (&index, cr_segment_index_free);
  g_ptr_array_unref (cr_test_wait_closed (pristine, pristine_session, 3));
  /* What courtrecd does once the last segment has closed: seal with the
   * device key, made at first use beside the config (the default). */
  cr_test_wait_sealed (pristine, pristine_session);
  /* How it exits is test-recording's concern; here only that it is gone. */
  g_assert_cmpint (cr_test_room_signal (pristine, SIGTERM, 15), !=, -1);
}

static void
set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *source = NULL;
  g_autofree char *target = NULL;
  g_autoptr (GString) rewritten = NULL;
  CrTestRoom *room;

  record_pristine ();

  room = g_new0 (CrTestRoom, 1);
  room->dir = g_dir_make_tmp ("courtrec-integrity-XXXXXX", &error);
  g_assert_no_error (error);
  room->config_path = g_build_filename (room->dir, "room.conf", NULL);
  room->storage_dir = g_build_filename (room->dir, "storage", NULL);
  room->daemon_log = g_build_filename (room->dir, "courtrecd.log", NULL);
  fixture->room = room;

  source = g_strconcat (pristine->dir, "/.", NULL);
  {
    const char *argv[] = { "cp", "-a", source, room->dir, NULL };
    g_assert_cmpint (cr_test_run (NULL, NULL, argv), ==, 0);
  }
  g_file_get_contents (room->config_path, &config, NULL, &error);
  g_assert_no_error (error);
  rewritten = g_string_new (config);
  g_string_replace (rewritten, pristine->dir, room->dir, 0);
  g_file_set_contents (room->config_path, rewritten->str, -1, &error);
  g_assert_no_error (error);

  fixture->session_id = pristine_session;
  fixture->segments = cr_test_segments (room, fixture->session_id);
  g_assert_cmpuint (fixture->segments->len, ==, 3);
}

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->segments, g_ptr_array_unref);
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

/* --- helpers --------------------------------------------------------------- */

static CrSegmentRecord *
segment (Fixture *fixture, guint sequence)
{
  return g_ptr_array_index (fixture->segments, sequence - 1);
}

static char *
segment_path (Fixture *fixture, guint sequence)
{
  return g_build_filename (fixture->room->storage_dir, segment (fixture, sequence)->path, NULL);
}

static gboolean
segment_exists (Fixture *fixture, guint sequence)
{
  g_autofree char *path = segment_path (fixture, sequence);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
remove_segment (Fixture *fixture, guint sequence)
{
  g_autofree char *path = segment_path (fixture, sequence);
  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* Runs courtrec verify with the args; returns its status, the output in
 * @out (stdout and stderr). */
static int
verify (Fixture *fixture, char **out, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (fixture->room->config_path));
  g_ptr_array_add (argv, g_strdup ("verify"));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = cr_test_run (&stdout_text, &stderr_text, (const char *const *) argv->pdata);
  *out = g_strconcat (stdout_text, stderr_text, NULL);
  g_test_message ("verify said:\n%s", *out);
  return status;
}

/* verify --all exits 3 and says @kind about @path (which may be NULL). */
static void
assert_problem (Fixture *fixture, const char *kind, const char *path)
{
  g_autofree char *out = NULL;
  g_autofree char *line = g_strdup_printf ("  %s ", kind);

  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "NOT INTACT"));
  if (strstr (out, line) == NULL)
    g_error ("verify did not name '%s':\n%s", kind, out);
  if (path != NULL && strstr (out, path) == NULL)
    g_error ("verify did not name '%s':\n%s", path, out);
}

static void
sql (Fixture *fixture, const char *statement)
{
  g_autofree char *path = g_build_filename (fixture->room->storage_dir, "index.db", NULL);
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, statement, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", statement, message);
  sqlite3_close (db);
}

/* The first column of the first row of @query, as sqlite3 shows it. */
static char *
sql_value (Fixture *fixture, const char *query)
{
  g_autofree char *path = g_build_filename (fixture->room->storage_dir, "index.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, query, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_nonnull (value);
  return value;
}

/* verify exits 3 and its output holds every one of the NULL-terminated
 * needles. */
static void
assert_verify_says (Fixture *fixture, const char *first, ...)
{
  g_autofree char *out = NULL;
  va_list ap;

  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  va_start (ap, first);
  for (const char *needle = first; needle != NULL; needle = va_arg (ap, const char *))
    if (strstr (out, needle) == NULL)
      g_error ("verify did not say '%s':\n%s", needle, out);
  va_end (ap);
}

/* --- verify ----------------------------------------------------------------- */

static void
test_intact (Fixture *fixture, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->session_id);

  g_assert_cmpint (verify (fixture, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "INTACT"));
  g_assert_null (strstr (out, "NOT INTACT"));
  g_assert_nonnull (strstr (out, "sealed, signature good"));
  g_assert_nonnull (strstr (out, "3 files"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (verify (fixture, &out, "--session", session, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  /* Any typing of the case number. */
  g_assert_cmpint (verify (fixture, &out, "--case", "(2026)浙1022民初123号", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (verify (fixture, &out, "--all", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (verify (fixture, &out, "--all", "--session", session, NULL), ==, 2);
}

static void
test_flipped_byte (Fixture *fixture, gconstpointer data)
{
  g_autofree char *path = segment_path (fixture, 2);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  contents[length / 2] ^= 0x01;
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);

  assert_problem (fixture, "changed", segment (fixture, 2)->path);
}

static void
test_deleted_file (Fixture *fixture, gconstpointer data)
{
  g_autofree char *path = segment_path (fixture, 3);

  g_assert_cmpint (g_unlink (path), ==, 0);
  assert_problem (fixture, "deleted", segment (fixture, 3)->path);
}

static void
test_added_file (Fixture *fixture, gconstpointer data)
{
  g_autofree char *first = segment_path (fixture, 1);
  g_autofree char *dir = g_path_get_dirname (first);
  g_autofree char *added = g_build_filename (dir, "extra.mkv", NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (added, "not a recording", -1, &error);
  g_assert_no_error (error);
  assert_problem (fixture, "added", "extra.mkv");
}

static void
test_renamed_file (Fixture *fixture, gconstpointer data)
{
  g_autofree char *path = segment_path (fixture, 2);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *renamed = g_build_filename (dir, "renamed.mkv", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (g_rename (path, renamed), ==, 0);
  assert_problem (fixture, "renamed", "renamed.mkv");
  /* One problem, not a deleted file and an added one. */
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "NOT INTACT, 1 problem\n"));
}

static void
test_reordered (Fixture *fixture, gconstpointer data)
{
  g_autofree char *first = segment_path (fixture, 1);
  g_autofree char *second = segment_path (fixture, 2);
  g_autofree char *aside = g_strconcat (first, ".swap", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (g_rename (first, aside), ==, 0);
  g_assert_cmpint (g_rename (second, first), ==, 0);
  g_assert_cmpint (g_rename (aside, second), ==, 0);
  assert_problem (fixture, "reordered", segment (fixture, 1)->path);
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "holds the content of segment #2"));
  g_assert_nonnull (strstr (out, "holds the content of segment #1"));
}

/* Each kind of row edit is named, down to the row. */
static void
test_edited_rows (Fixture *fixture, gconstpointer data)
{
  g_autofree char *out = NULL;

  /* A segment's duration: its link no longer matches. */
  sql (fixture, "UPDATE segments SET duration_us = duration_us + 1000000 WHERE sequence = 2");
  assert_problem (fixture, "edited", segment (fixture, 2)->path);
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "segment #2's row was edited"));
  g_assert_null (strstr (out, "#1's row"));
  g_assert_null (strstr (out, "#3's row"));
  g_clear_pointer (&out, g_free);
  sql (fixture, "UPDATE segments SET duration_us = duration_us - 1000000 WHERE sequence = 2");
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 0);
  g_clear_pointer (&out, g_free);

  /* A hash column: the row was edited, the file is still what was chained. */
  sql (fixture, "UPDATE segments SET sha256 = "
                "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' "
                "WHERE sequence = 3");
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "segment #3's row was edited: its hash or size"));
  g_assert_null (strstr (out, "  changed "));
  g_clear_pointer (&out, g_free);

  /* The session's case number. */
  sql (fixture, "UPDATE sessions SET case_no = '（2026）浙1022民初999号'");
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "the session's row was edited"));
}

static void
test_deleted_rows (Fixture *fixture, gconstpointer data)
{
  g_autofree char *out = NULL;

  /* A row in the middle, and its file. */
  sql (fixture, "DELETE FROM segments WHERE sequence = 2");
  remove_segment (fixture, 2);
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "  deleted "));
  g_assert_nonnull (strstr (out, "segment #2 is not in the index"));
  /* The next row no longer chains: segments were taken out of order. */
  g_assert_nonnull (strstr (out, "segment #3's row was edited"));
  g_clear_pointer (&out, g_free);

  /* The last row: the chain ends before the sealed head. */
  sql (fixture, "DELETE FROM segments WHERE sequence = 3");
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "sealed with 3 segments; the index now has 1"));
}

static void
test_forged_signature (Fixture *fixture, gconstpointer data)
{
  g_autofree char *other_path = g_build_filename (fixture->room->dir, "other-key", NULL);
  g_autoptr (CrDeviceKey) other = NULL;
  g_autoptr (CrSegmentIndex) index = open_index (fixture->room, TRUE);
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *statement = NULL;
  g_autofree char *out = NULL;

  session = cr_segment_index_get_session (index, fixture->session_id, &error);
  g_assert_no_error (error);
  g_clear_pointer (&index, cr_segment_index_free);
  other = cr_device_key_load (other_path, TRUE, &error);
  g_assert_no_error (error);
  forged = cr_device_key_sign (other, session->chain_head);

  /* Signed by someone else, under the device's public key. */
  statement = g_strdup_printf ("UPDATE sessions SET signature = '%s'", forged);
  sql (fixture, statement);
  assert_problem (fixture, "bad-signature", NULL);

  /* Someone else's key and signature both: the signature holds, the key is
   * not the device's. */
  g_free (statement);
  statement = g_strdup_printf ("UPDATE sessions SET public_key = '%s'",
                               cr_device_key_get_public_hex (other));
  sql (fixture, statement);
  assert_problem (fixture, "unknown-key", NULL);

  /* The seal removed: the seal event still tells. */
  sql (fixture, "UPDATE sessions SET chain_head = NULL, signature = NULL, "
                "public_key = NULL, sealed_at = NULL");
  assert_problem (fixture, "missing-signature", NULL);

  /* A head changed to fit: the signature no longer matches. */
  g_free (statement);
  statement = g_strdup_printf ("UPDATE sessions SET chain_head = '%s', signature = '%s', "
                               "public_key = '%s'", segment (fixture, 2)->link,
                               session->signature, session->public_key);
  sql (fixture, statement);
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "  bad-signature "));
}

/* The ledger: pauses with their reasons, faults and markers are in the
 * chain, each named when edited, deleted, inserted or moved. */
static void
test_ledger_edited (Fixture *fixture, gconstpointer data)
{
  g_autofree char *pause = sql_value (fixture, "SELECT sequence FROM events "
                                               "WHERE kind = 'pause' ORDER BY sequence");
  g_autofree char *edited = g_strdup_printf ("event #%s (pause at ", pause);
  g_autofree char *statement = NULL;
  g_autofree char *out = NULL;
  g_autofree char *original = NULL;

  /* A pause's reason. */
  g_free (statement);
  statement = g_strdup_printf ("SELECT detail FROM events WHERE sequence = %s", pause);
  original = sql_value (fixture, statement);
  g_free (statement);
  statement = g_strdup_printf ("UPDATE events SET detail = '{\"reason\":\"other\"}' "
                               "WHERE sequence = %s", pause);
  sql (fixture, statement);
  assert_verify_says (fixture, "  edited ", edited, "was edited: its time, kind or detail",
                      NULL);
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "NOT INTACT, 1 problem\n"));
  g_clear_pointer (&out, g_free);

  /* Put back (the reason and who paused): intact again; then the marker
   * row's text. */
  g_free (statement);
  statement = g_strdup_printf ("UPDATE events SET detail = '%s' WHERE sequence = %s", original,
                               pause);
  sql (fixture, statement);
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 0);
  sql (fixture, "UPDATE markers SET text = '证人未出庭'");
  assert_verify_says (fixture, "  edited ", "marker row", "no longer match its event", NULL);
}

static void
test_ledger_deleted (Fixture *fixture, gconstpointer data)
{
  g_autofree char *lost = sql_value (fixture, "SELECT sequence FROM events "
                                              "WHERE kind = 'input-lost'");
  g_autofree char *gone = g_strdup_printf ("event #%s is gone from the ledger", lost);
  g_autofree char *covered = sql_value (fixture, "SELECT sealed_events FROM sessions");
  g_autofree char *statement = NULL;
  g_autofree char *seal_gone = NULL;

  /* The camera's loss, as if it never happened. */
  sql (fixture, "DELETE FROM events WHERE kind = 'input-lost'");
  assert_verify_says (fixture, "  deleted ", gone, NULL);

  /* The last events the seal covers (the stop), with nothing after them
   * to show the gap: the seal tells. */
  statement = g_strdup_printf ("DELETE FROM events WHERE sequence >= %s", covered);
  sql (fixture, statement);
  seal_gone = g_strdup_printf ("the seal covers %s events; event #%s is gone", covered, covered);
  assert_verify_says (fixture, "  deleted ", seal_gone, NULL);
}

static void
test_ledger_inserted (Fixture *fixture, gconstpointer data)
{
  g_autofree char *last = sql_value (fixture, "SELECT max (sequence) FROM events");
  g_autofree char *statement = NULL;
  g_autofree char *named = NULL;

  /* A row written by hand, as sqlite3 takes it. */
  sql (fixture, "INSERT INTO events (session_id, at, kind, detail) "
                "SELECT id, started_at, 'marker', '当事人同意' FROM sessions");
  assert_verify_says (fixture, "  added ", "an event (marker at ",
                      "was inserted into the ledger", "NOT INTACT, 1 problem\n", NULL);
  sql (fixture, "DELETE FROM events WHERE sequence IS NULL");

  /* One given a place at the end, without a link to show for it. */
  statement = g_strdup_printf ("INSERT INTO events (session_id, sequence, at, kind) "
                               "SELECT id, %s + 1, stopped_at, 'resume' FROM sessions", last);
  sql (fixture, statement);
  named = g_strdup_printf ("event #%d (resume at ", (int) g_ascii_strtoll (last, NULL, 10) + 1);
  assert_verify_says (fixture, "  added ", named, "has no chain link: it was inserted", NULL);
}

static void
test_ledger_reordered (Fixture *fixture, gconstpointer data)
{
  g_autofree char *first = sql_value (fixture, "SELECT sequence FROM events "
                                               "WHERE kind = 'pause' ORDER BY sequence");
  g_autofree char *second = sql_value (fixture, "SELECT sequence FROM events "
                                                "WHERE kind = 'pause' ORDER BY sequence DESC");
  g_autofree char *statement = NULL;
  g_autofree char *was_second = NULL;
  g_autofree char *was_first = NULL;

  /* The two pauses change places (their reasons with them). */
  statement = g_strdup_printf ("UPDATE events SET sequence = -1 WHERE sequence = %s;"
                               "UPDATE events SET sequence = %s WHERE sequence = %s;"
                               "UPDATE events SET sequence = %s WHERE sequence = -1",
                               first, first, second, second);
  sql (fixture, statement);
  was_second = g_strdup_printf ("event #%s (pause at ", first);
  was_first = g_strdup_printf ("was #%s: the ledger was reordered", first);
  assert_verify_says (fixture, "  reordered ", was_second, was_first, NULL);
}

/* An index written and sealed by version 3 (its schema made here with the
 * SQL of that version's last step undone, its seal over the segments alone,
 * as that version signed it) opens, is migrated, and verifies intact; from
 * then on its events are in the chain. */
static void
test_ledger_migrated (Fixture *fixture, gconstpointer data)
{
  g_autofree char *key_path = g_build_filename (fixture->room->dir, "device-key", NULL);
  g_autoptr (CrDeviceKey) key = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *statement = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *out = NULL;
  g_autofree char *version = NULL;
  g_autofree char *unlinked = NULL;
  g_autofree char *covered = NULL;
  const char *head = segment (fixture, 3)->link;

  key = cr_device_key_load (key_path, FALSE, &error);
  g_assert_no_error (error);
  signature = cr_device_key_sign (key, head);
  statement = g_strdup_printf (
      "DROP INDEX events_session_sequence;"
      "ALTER TABLE events DROP COLUMN sequence;"
      "ALTER TABLE events DROP COLUMN link;"
      "ALTER TABLE sessions DROP COLUMN sealed_events;"
      "UPDATE sessions SET chain_head = '%s', signature = '%s';"
      "UPDATE events SET detail = json_object ('chain_head', '%s', 'public_key', "
      "  (SELECT public_key FROM sessions), 'segments', 3) WHERE kind = 'seal';"
      "PRAGMA user_version = 3", head, signature, head);
  sql (fixture, statement);

  /* Read-only, it is not touched: the daemon migrates. */
  g_assert_cmpint (verify (fixture, &out, NULL), !=, 0);
  g_assert_nonnull (strstr (out, "schema version 3"));
  g_clear_pointer (&out, g_free);

  index = open_index (fixture->room, FALSE);
  g_clear_pointer (&index, cr_segment_index_free);
  version = sql_value (fixture, "PRAGMA user_version");
  /* Migrated past the ledger's version 4, to the newest. */
  g_assert_cmpint (g_ascii_strtoll (version, NULL, 10), >=, 4);
  unlinked = sql_value (fixture, "SELECT count (*) FROM events "
                                 "WHERE sequence IS NULL OR link IS NULL");
  g_assert_cmpstr (unlinked, ==, "0");
  covered = sql_value (fixture, "SELECT COALESCE (sealed_events, 'none') FROM sessions");
  g_assert_cmpstr (covered, ==, "none");
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "sealed, signature good (over the segments"));
  g_assert_nonnull (strstr (out, "INTACT"));

  sql (fixture, "UPDATE events SET detail = '{\"reason\":\"other\"}' WHERE kind = 'pause'");
  assert_verify_says (fixture, "  edited ", "(pause at ", NULL);
}

/* The README's recipe (the sh blocks under "Integrity" that start by
 * setting DB), as an auditor runs it, with sqlite3 and sha256sum; the
 * example's first line, which names the files, is replaced by the test's
 * values. The hash it computed and the one stored. */
static void
run_recipe (Fixture *fixture, guint which, const char *session, guint event,
            char **computed, char **stored)
{
  g_autofree char *readme_path = cr_test_top_path ("README.md");
  g_autofree char *readme = NULL;
  g_autofree char *db = g_build_filename (fixture->room->storage_dir, "index.db", NULL);
  g_autofree char *db_arg = g_strconcat ("DB=", db, NULL);
  g_autofree char *s_arg = g_strconcat ("S=", session, NULL);
  g_autofree char *n_arg = g_strdup_printf ("N=%u", event);
  g_autofree char *work_arg = g_strconcat ("WORK=", fixture->room->dir, NULL);
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) lines = NULL;
  const char *block = NULL;
  const char *end;

  g_assert_true (g_file_get_contents (readme_path, &readme, NULL, NULL));
  block = strstr (readme, "\n## Integrity\n");
  g_assert_nonnull (block);
  for (guint i = 0; i <= which; i++)
    {
      block = strstr (block, "```sh\nDB=");
      g_assert_nonnull (block);
      block = strchr (block + strlen ("```sh\n"), '\n') + 1;
    }
  end = strstr (block, "```");
  g_assert_nonnull (end);
  script = g_strdup_printf ("cd \"$WORK\" || exit 1\n%.*s", (int) (end - block), block);
  {
    const char *argv[] = { "env", db_arg, s_arg, n_arg, work_arg, "sh", "-e", "-c", script,
                           NULL };
    g_assert_cmpint (cr_test_run (&out, &err, argv), ==, 0);
  }
  g_assert_cmpstr (err, ==, "");
  g_test_message ("the recipe said:\n%s", out);
  lines = g_strsplit (out, "\n", -1);
  /* How many bytes sqlite3 wrote, their SHA-256, the stored value. */
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpint (g_ascii_strtoll (lines[0], NULL, 10), >, 64);
  g_assert_cmpuint (strlen (lines[1]), >, 64);
  *computed = g_strndup (lines[1], 64);
  *stored = g_strdup (lines[2]);
}

/* An auditor with sqlite3 and sha256sum recomputes every link of the
 * ledger and the sealed head, following the README word for word. */
static void
test_readme_recipe (Fixture *fixture, gconstpointer data)
{
  g_autoptr (CrSegmentIndex) index = open_index (fixture->room, TRUE);
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GPtrArray) ledger = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->session_id);
  g_autofree char *computed = NULL;
  g_autofree char *stored = NULL;

  session = cr_segment_index_get_session (index, fixture->session_id, &error);
  g_assert_no_error (error);
  ledger = cr_segment_index_list_ledger (index, fixture->session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, >, 5);
  for (guint i = 0; i < ledger->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (ledger, i);

      run_recipe (fixture, 0, id, event->sequence, &computed, &stored);
      g_assert_cmpstr (stored, ==, event->link);
      g_assert_cmpstr (computed, ==, event->link);
      g_clear_pointer (&computed, g_free);
      g_clear_pointer (&stored, g_free);
    }
  run_recipe (fixture, 1, id, 0, &computed, &stored);
  g_assert_cmpstr (stored, ==, session->chain_head);
  g_assert_cmpstr (computed, ==, session->chain_head);

  /* The recipe can fail: an edited reason no longer hashes to its link. */
  g_clear_pointer (&computed, g_free);
  g_clear_pointer (&stored, g_free);
  sql (fixture, "UPDATE events SET detail = '{\"reason\":\"other\"}' WHERE kind = 'pause'");
  for (guint i = 0; i < ledger->len; i++)
    if (((CrEventRecord *) g_ptr_array_index (ledger, i))->kind == CR_EVENT_PAUSE)
      {
        run_recipe (fixture, 0, id, ((CrEventRecord *) g_ptr_array_index (ledger, i))->sequence,
                    &computed, &stored);
        g_assert_cmpstr (computed, !=, stored);
        break;
      }
}

/* While a session records, its open segment is noted, and the closed ones
 * are checked all the same. */
static void
test_open_segment (Fixture *fixture, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *path = segment_path (fixture, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  /* The index as it is while #3 is being written. */
  sql (fixture, "UPDATE sessions SET state = 'recording', stopped_at = NULL, chain_head = NULL, "
                "signature = NULL, public_key = NULL, sealed_at = NULL;"
                "DELETE FROM events WHERE kind IN ('seal', 'stop');"
                "UPDATE segments SET closed = 0, link = NULL, sha256 = NULL, duration_us = 0, "
                "bytes = 0 WHERE sequence = 3");
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "1 open, not yet verifiable"));
  g_assert_nonnull (strstr (out, "2 files"));
  g_clear_pointer (&out, g_free);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  contents[length - 1] ^= 0x80;
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  assert_problem (fixture, "changed", segment (fixture, 1)->path);
}

/* --- the report -------------------------------------------------------------- */

static char *
report (Fixture *fixture, const char *format)
{
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->session_id);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (cr_test_client (fixture->room, &out, &err, "report", "--session", session,
                                   "--format", format, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  return g_steal_pointer (&out);
}

static const char *const html_void[] = { "meta", "br", "hr", "img", "link", NULL };

/* Well-formed enough to print and to file: every element closed in order,
 * no stray '<' or '&' in text, no script. */
static void
assert_well_formed_html (const char *html)
{
  g_autoptr (GPtrArray) open = g_ptr_array_new_with_free_func (g_free);
  const char *p = html;

  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
  g_assert_null (strstr (html, "<script"));
  p = strchr (html, '>') + 1;
  while (*p != '\0')
    {
      if (*p == '&')
        {
          const char *end = strchr (p, ';');
          g_assert_nonnull (end);
          g_assert_cmpint (end - p, <=, 8);
          for (const char *c = p + 1; c < end; c++)
            g_assert_true (g_ascii_isalnum (*c) || *c == '#');
          p = end + 1;
        }
      else if (*p == '<')
        {
          const char *end = strchr (p, '>');
          gboolean closing = p[1] == '/';
          const char *name = p + (closing ? 2 : 1);
          gsize n = strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789");
          g_autofree char *tag = g_strndup (name, n);

          g_assert_nonnull (end);
          g_assert_cmpuint (n, >, 0);
          if (closing)
            {
              g_assert_cmpuint (open->len, >, 0);
              g_assert_cmpstr (g_ptr_array_index (open, open->len - 1), ==, tag);
              g_ptr_array_remove_index (open, open->len - 1);
            }
          else if (!g_strv_contains (html_void, tag))
            g_ptr_array_add (open, g_steal_pointer (&tag));
          /* Inside <style>, '>' is a CSS character, not markup. */
          if (!closing && strncmp (name, "style", 5) == 0)
            end = strstr (end, "</style>") - 1;
          p = end + 1;
        }
      else
        {
          g_assert_cmpint (*p, !=, '>');
          p++;
        }
    }
  g_assert_cmpuint (open->len, ==, 0);
}

static void
test_report (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = report (fixture, "text");
  g_autofree char *json = report (fixture, "json");
  g_autofree char *html = report (fixture, "html");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = open_index (fixture->room, TRUE);
  g_autoptr (CrSessionRecord) session = cr_segment_index_get_session (index, fixture->session_id,
                                                                      &error);
  JsonObject *root;
  JsonArray *pauses;
  const char *const reasons[] = { "recess", "mediation" };

  g_assert_no_error (error);

  /* Text: the facts a clerk files. */
  g_test_message ("%s", text);
  for (const char *const *needle = (const char *const[]) {
         "浙江省三门县人民法院", "第一法庭", CASE_NO, TITLE, MARKER, "recess", "mediation",
         "stop", NULL }; *needle != NULL; needle++)
    if (strstr (text, *needle) == NULL)
      g_error ("the text report lacks '%s'", *needle);
  g_assert_nonnull (strstr (text, session->chain_head));
  g_assert_nonnull (strstr (text, session->signature));
  for (guint i = 1; i <= 3; i++)
    g_assert_nonnull (strstr (text, segment (fixture, i)->sha256));

  /* JSON: the same facts, machine-readable; pauses with lengths. */
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "session"),
                                                  "case"), ==, CASE_NO);
  pauses = json_object_get_array_member (root, "pauses");
  g_assert_cmpuint (json_array_get_length (pauses), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *pause = json_array_get_object_element (pauses, i);
      double seconds = json_object_get_double_member (pause, "seconds");
      g_assert_cmpstr (json_object_get_string_member (pause, "reason"), ==, reasons[i]);
      g_assert_cmpfloat (seconds, >, 0.5);
      g_assert_cmpfloat (seconds, <, 5.0);
    }
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "segments")), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "markers")), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "integrity"),
                                                  "chain_head"), ==, session->chain_head);

  /* HTML: a page that prints, the title's markup escaped. */
  assert_well_formed_html (html);
  g_assert_nonnull (strstr (html, CASE_NO));
  g_assert_nonnull (strstr (html, "原告张某诉被告李某 &lt;b&gt;&amp;amp;&lt;/b&gt;"));
  g_assert_nonnull (strstr (html, "recess"));
  g_assert_nonnull (strstr (html, "mediation"));
  g_assert_nonnull (strstr (html, session->chain_head));
}

static void
test_report_not_sealed (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->session_id);
  g_autofree char *err = NULL;

  sql (fixture, "UPDATE sessions SET chain_head = NULL, signature = NULL, public_key = NULL");
  text = report (fixture, "text");
  g_assert_nonnull (strstr (text, "not sealed"));
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (cr_test_client (fixture->room, &text, &err, "report", "--session", "999",
                                   NULL), ==, 1);
  g_assert_nonnull (strstr (err, "no session 999"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (fixture->room, NULL, &err, "report", "--session", session,
                                   "--format", "pdf", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "pdf"));
}

/* The fault of @kind (and @input, when not NULL) in the JSON report's
 * faults; fails when there is none. */
static JsonObject *
fault_of (JsonObject *root, const char *kind, const char *input)
{
  JsonArray *faults = json_object_get_array_member (root, "faults");

  for (guint i = 0; i < json_array_get_length (faults); i++)
    {
      JsonObject *fault = json_array_get_object_element (faults, i);
      if (g_strcmp0 (json_object_get_string_member (fault, "kind"), kind) == 0 &&
          (input == NULL ||
           g_strcmp0 (json_object_get_string_member_with_default (fault, "input", NULL),
                      input) == 0))
        return fault;
    }
  g_error ("the report has no %s fault%s%s", kind, input != NULL ? " of " : "",
           input != NULL ? input : "");
}

static gint64
json_time_of (JsonObject *object, const char *member)
{
  gint64 utc_us = 0;

  g_assert_true (cr_parse_utc (json_object_get_string_member (object, member), &utc_us));
  return utc_us;
}

static JsonObject *
report_json (Fixture *fixture, JsonParser *parser)
{
  g_autofree char *json = report (fixture, "json");
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static gboolean
other_event_has (JsonObject *root, const char *kind)
{
  JsonArray *others = json_object_get_array_member (root, "other_events");

  for (guint i = 0; i < json_array_get_length (others); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (others, i),
                                                  "kind"), kind) == 0)
      return TRUE;
  return FALSE;
}

/* Every alarm is a fault with its span, in the faults and in the Art. 4
 * statement: a camera dead when the hearing began counts from its start to
 * its end, a silent microphone from its alarm to its sound, a gap from its
 * "from" to its "to", a disk alarm never cleared to the session's end. The
 * events are those the recorder writes, at the times a hearing would have
 * them, on the real recording. */
static void
test_report_faults (Fixture *fixture, gconstpointer data)
{
  g_autoptr (CrSegmentIndex) index = open_index (fixture->room, FALSE);
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *gap = NULL;
  g_autofree char *gap_from = NULL;
  g_autofree char *gap_to = NULL;
  g_autofree char *text = NULL;
  g_autofree char *html = NULL;
  JsonObject *root, *fault;
  gint64 start, stop;
  const struct { gint64 after_ms; CrEventKind kind; const char *detail; } events[] = {
    /* Down before the session began: the recorder logs it as it starts. */
    { 5, CR_EVENT_INPUT_LOST, "{\"input\":\"gallery\",\"kind\":\"camera\","
                              "\"label\":\"旁听席\",\"reason\":\"no signal\"}" },
    { 5, CR_EVENT_ALARM, "{\"alarm\":\"input-lost\",\"input\":\"gallery\","
                         "\"label\":\"旁听席\",\"message\":\"no signal\"}" },
    { 2500, CR_EVENT_ALARM, "{\"alarm\":\"microphone-silent\",\"input\":\"clerk\","
                            "\"label\":\"书记员\",\"message\":\"below -50 dBFS\"}" },
    { 4000, CR_EVENT_MICROPHONE_SOUND, "{\"input\":\"clerk\",\"label\":\"书记员\"}" },
    { 6500, CR_EVENT_ALARM, "{\"alarm\":\"disk-low\",\"input\":\"disk\","
                            "\"message\":\"about 1 h of recording left\"}" },
  };

  session = cr_segment_index_get_session (index, fixture->session_id, &error);
  g_assert_no_error (error);
  start = session->started_us;
  stop = session->stopped_us;
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      cr_segment_index_add_event (index, fixture->session_id,
                                  start + events[i].after_ms * 1000, events[i].kind,
                                  events[i].detail, &error);
      g_assert_no_error (error);
    }
  gap_from = cr_format_utc (start + 5 * G_USEC_PER_SEC);
  gap_to = cr_format_utc (start + 6 * G_USEC_PER_SEC);
  gap = g_strdup_printf ("{\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"the capture "
                         "stalled\"}", gap_from, gap_to);
  cr_segment_index_add_event (index, fixture->session_id, start + 6 * G_USEC_PER_SEC,
                              CR_EVENT_GAP, gap, &error);
  g_assert_no_error (error);
  g_clear_pointer (&index, cr_segment_index_free);

  root = report_json (fixture, parser);
  /* The recording's own camera lost, and these four. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "faults")),
                    ==, 5);

  /* One fault for input-lost and its alarm, from the session's start. */
  fault = fault_of (root, "input-lost", "gallery");
  g_assert_true (json_object_get_boolean_member (fault, "from_session_start"));
  g_assert_cmpint (json_time_of (fault, "start") / 1000, ==, start / 1000);
  g_assert_cmpint (json_time_of (fault, "end") / 1000, ==, stop / 1000);
  g_assert_cmpstr (json_object_get_string_member (fault, "ended_by"), ==, "the session's end");
  g_assert_cmpstr (json_object_get_string_member (fault, "role"), ==, "camera");

  /* The recording's own witness camera, lost and back mid-hearing. */
  fault = fault_of (root, "input-lost", "witness");
  g_assert_false (json_object_get_boolean_member (fault, "from_session_start"));
  g_assert_cmpstr (json_object_get_string_member (fault, "ended_by"), ==, "input-back");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (fault, "seconds"), 0.5, 0.01);
  g_assert_cmpstr (json_object_get_string_member (fault, "message"), ==, LOST_REASON);

  fault = fault_of (root, "microphone-silent", "clerk");
  g_assert_false (json_object_get_boolean_member (fault, "from_session_start"));
  g_assert_cmpint (json_time_of (fault, "start") / 1000, ==, start / 1000 + 2500);
  g_assert_cmpint (json_time_of (fault, "end") / 1000, ==, start / 1000 + 4000);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (fault, "seconds"), 1.5, 0.01);
  g_assert_cmpstr (json_object_get_string_member (fault, "ended_by"), ==, "microphone-sound");
  g_assert_false (other_event_has (root, "alarm"));
  g_assert_false (other_event_has (root, "microphone-sound"));

  fault = fault_of (root, "gap", NULL);
  g_assert_cmpstr (json_object_get_string_member (fault, "start"), ==, gap_from);
  g_assert_cmpstr (json_object_get_string_member (fault, "end"), ==, gap_to);

  fault = fault_of (root, "disk-low", NULL);
  g_assert_cmpint (json_time_of (fault, "end") / 1000, ==, stop / 1000);
  g_assert_false (json_object_get_boolean_member (fault, "standing"));

  /* The statement a judge signs lists each, with its span. */
  text = report (fixture, "text");
  g_test_message ("%s", text);
  {
    const char *statement = strstr (text, "STATEMENT OF EQUIPMENT FAILURES");
    g_autofree char *start_text = cr_format_utc (start);
    g_autofree char *stop_text = cr_format_utc (stop);
    g_autofree char *witness = g_strdup_printf ("1. %s (the session's start) to %s", start_text,
                                                stop_text);

    g_assert_nonnull (statement);
    g_assert_nonnull (strstr (statement, witness));
    g_assert_nonnull (strstr (statement, "signal lost 信号中断: camera 旁听席 (gallery)"));
    g_assert_nonnull (strstr (statement, "microphone silent 麦克风无声: 书记员 (clerk)"));
    g_assert_nonnull (strstr (statement, "5. "));
    g_assert_null (strstr (statement, "6. "));
    g_assert_nonnull (strstr (statement, "Presiding judge"));
  }
  {
    const char *others = strstr (text, "OTHER EVENTS");
    const char *end = strstr (text, "Check the files");
    g_autofree char *section = others != NULL ? g_strndup (others, end - others) : NULL;

    g_assert_true (section == NULL || (strstr (section, " alarm ") == NULL &&
                                       strstr (section, "microphone-sound") == NULL));
  }
  html = report (fixture, "html");
  assert_well_formed_html (html);
  g_assert_nonnull (strstr (html, "Statement of equipment failures"));
  g_assert_nonnull (strstr (html, "旁听席 (gallery)"));
}

/* A real hearing with a dead microphone: the recorder's alarm is a fault
 * with its span in the report, not an "other event". */
static void
test_report_silent_microphone (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60,
      "[microphone judge]\nsource = test\nlabel = 审判长\n\n"
      "[microphone clerk]\nsource = test:silence\nlabel = 书记员\n");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GString) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *id = NULL;
  g_autofree char *out = NULL;
  JsonObject *root, *fault;
  gint64 session_id;

  /* A short alarm time; the default is 120 s. */
  g_assert_true (g_file_get_contents (room->config_path, &contents, NULL, NULL));
  config = g_string_new (contents);
  g_assert_cmpuint (g_string_replace (config, "[audio]\n",
                                      "[audio]\nsilence_alarm_seconds = 2\n", 1), ==, 1);
  g_assert_true (g_file_set_contents (room->config_path, config->str, -1, NULL));
  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  g_usleep (5 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session_id);

  id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "report", "--session", id,
                                   "--format", "json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  fault = fault_of (root, "microphone-silent", "clerk");
  g_assert_false (other_event_has (root, "alarm"));

  {
    g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
    index = cr_segment_index_open (path, TRUE, &error);
    g_assert_no_error (error);
    session = cr_segment_index_get_session (index, session_id, &error);
    g_assert_no_error (error);
  }
  /* Raised once the microphone had been silent for 2 s (counted from the
   * once-a-second check before the start), standing until the stop (or
   * cleared by it). */
  g_assert_cmpint (json_time_of (fault, "start"), >=, session->started_us + G_USEC_PER_SEC);
  g_assert_cmpint (json_time_of (fault, "start"), <, session->started_us + 4 * G_USEC_PER_SEC);
  g_assert_cmpint (json_time_of (fault, "end"), <=, session->stopped_us);
  g_assert_cmpint (json_time_of (fault, "end"), >, json_time_of (fault, "start"));
  g_assert_cmpstr (json_object_get_string_member (fault, "label"), ==, "书记员");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cr_test_client (room, &out, NULL, "report", "--session", id, NULL), ==, 0);
  g_assert_nonnull (strstr (strstr (out, "STATEMENT OF EQUIPMENT FAILURES"),
                            "microphone silent 麦克风无声: 书记员 (clerk)"));
}

/* --- archived and retention ----------------------------------------------- */

static int
client (Fixture *fixture, char **out, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (fixture->room->config_path));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = cr_test_run (&stdout_text, &stderr_text, (const char *const *) argv->pdata);
  *out = g_strconcat (stdout_text, stderr_text, NULL);
  g_test_message ("%s said:\n%s", first, *out);
  return status;
}

static void
test_archived_refuses_tampered (Fixture *fixture, gconstpointer data)
{
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->session_id);
  g_autofree char *out = NULL;

  remove_segment (fixture, 1);
  g_assert_cmpint (client (fixture, &out, "archived", "--session", session, NULL), ==, 3);
  g_assert_nonnull (strstr (out, "deleted"));
  g_assert_nonnull (strstr (out, "not marked archived"));
  g_clear_pointer (&out, g_free);

  /* Not sealed: refused as well. */
  sql (fixture, "UPDATE sessions SET chain_head = NULL");
  g_assert_cmpint (client (fixture, &out, "archived", "--session", session, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "not sealed"));
}

static void
test_retention (Fixture *fixture, gconstpointer data)
{
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->session_id);
  g_autofree char *out = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) chain = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  gboolean seen_archived = FALSE, seen_deleted = FALSE;

  /* Not archived: nothing is deleted, however old. */
  g_assert_cmpint (client (fixture, &out, "retention", "--older-than", "0", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "nothing deleted"));
  for (guint i = 1; i <= 3; i++)
    g_assert_true (segment_exists (fixture, i));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (client (fixture, &out, "archived", "--session", session, "--note",
                           "电子档案 2026-0001", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "marked archived"));
  g_clear_pointer (&out, g_free);

  /* Archived, but stopped less than a day ago. */
  g_assert_cmpint (client (fixture, &out, "retention", "--older-than", "1", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "nothing deleted"));
  g_clear_pointer (&out, g_free);

  /* A dry run names the files and keeps them. */
  g_assert_cmpint (client (fixture, &out, "retention", "--older-than", "0", "--dry-run", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out, "Would delete 3 files"));
  for (guint i = 1; i <= 3; i++)
    {
      g_assert_nonnull (strstr (out, segment (fixture, i)->path));
      g_assert_true (segment_exists (fixture, i));
    }
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (client (fixture, &out, "retention", "--older-than", "0", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Deleted 3 files"));
  for (guint i = 1; i <= 3; i++)
    {
      g_assert_nonnull (strstr (out, segment (fixture, i)->path));
      g_assert_false (segment_exists (fixture, i));
    }
  g_clear_pointer (&out, g_free);

  /* The record stays: rows, events, and a chain that still verifies. */
  index = open_index (fixture->room, TRUE);
  chain = cr_segment_index_list_chain (index, fixture->session_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 3);
  events = cr_segment_index_list_events (index, fixture->session_id, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);
      seen_archived |= g_str_equal (event->kind_name, "archived") &&
                       strstr (event->detail, "电子档案 2026-0001") != NULL;
      seen_deleted |= g_str_equal (event->kind_name, "media-deleted");
    }
  g_assert_true (seen_archived);
  g_assert_true (seen_deleted);
  g_assert_cmpint (verify (fixture, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "media of 3 deleted by retention"));
  g_clear_pointer (&out, g_free);

  /* Run again: nothing left to do. */
  g_assert_cmpint (client (fixture, &out, "retention", "--older-than", "0", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "nothing deleted"));
}

int
main (int argc, char **argv)
{
  int status;

  /* Test messages quote Chinese text. */
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/courtrec/integrity/" path, Fixture, NULL, set_up, func, tear_down)

  ADD ("verify/intact", test_intact);
  ADD ("verify/flipped-byte", test_flipped_byte);
  ADD ("verify/deleted-file", test_deleted_file);
  ADD ("verify/added-file", test_added_file);
  ADD ("verify/renamed-file", test_renamed_file);
  ADD ("verify/reordered", test_reordered);
  ADD ("verify/edited-rows", test_edited_rows);
  ADD ("verify/deleted-rows", test_deleted_rows);
  ADD ("verify/forged-signature", test_forged_signature);
  ADD ("verify/open-segment", test_open_segment);
  ADD ("ledger/edited", test_ledger_edited);
  ADD ("ledger/deleted", test_ledger_deleted);
  ADD ("ledger/inserted", test_ledger_inserted);
  ADD ("ledger/reordered", test_ledger_reordered);
  ADD ("ledger/migrated", test_ledger_migrated);
  ADD ("ledger/readme-recipe", test_readme_recipe);
  ADD ("report/three-formats", test_report);
  ADD ("report/not-sealed", test_report_not_sealed);
  ADD ("report/faults", test_report_faults);
  g_test_add_func ("/courtrec/integrity/report/silent-microphone", test_report_silent_microphone);
  ADD ("archived/refuses-tampered", test_archived_refuses_tampered);
  ADD ("retention", test_retention);
#undef ADD

  status = g_test_run ();
  g_clear_pointer (&pristine, cr_test_room_free);
  return status;
}
