/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-copy-manifest.c: a derived copy's signed manifest, verify-copy, the
 * recipe of docs/copy-manifest.md run as written with openssl and
 * sha256sum, the case's access log (CSV read back by Python's csv module,
 * the page by its HTML parser), the hearing report's Access section, and
 * verify catching an edited access event.
 *
 * A real courtrecd records and seals a short session once; its first
 * segment stands in for the rendered copy (what the manifest proves does
 * not depend on how the copy was rendered). Tests that write into the
 * index work on their own copy of the room. */
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/copy-manifest.h"
#include "archive/device-key.h"
#include "archive/segment-index.h"
#include "config/config.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
#define OTHER_CASE_NO "（2026）浙1022民初124号"
#define REQUESTER "张三"
/* What a hostile requester, address or reason may hold: CSV's and HTML's
 * own syntax, and a formula. */
#define HOSTILE_NAME "李\"四\", <script>alert(1)</script>"
#define HOSTILE_REASON "line one\nline two, \"quoted\" & <b>bold</b>"
/* The index keeps times to the millisecond. */
#define MS G_TIME_SPAN_MILLISECOND
#define FORMULA "=HYPERLINK(\"http://x\",\"y\")"

static CrTestRoom *pristine;
static gint64 session_id;

typedef struct {
  CrTestRoom *room;       /* a copy of the pristine room; no daemon */
  CrConfig *config;
  char *copy;             /* ROOM/storage/copies/G7/S<id>/copy.mp4 */
} Fixture;

/* --- the recording ----------------------------------------------------------- */

static void
record_pristine (void)
{
  if (pristine != NULL)
    return;
  pristine = cr_test_room_new (10, NULL);
  cr_test_room_start (pristine);
  session_id = cr_test_start_session (pristine, CASE_NO);
  g_usleep (2 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (pristine, session_id);
  cr_test_wait_sealed (pristine, session_id);
  g_assert_cmpint (cr_test_room_signal (pristine, SIGTERM, 15), !=, -1);
}

static CrSegmentIndex *
open_index (Fixture *fixture, gboolean read_only)
{
  g_autofree char *path = g_build_filename (fixture->room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  CrSegmentIndex *index = cr_segment_index_open (path, read_only, &error);

  g_assert_no_error (error);
  return index;
}

static void
run_ok (const char *const *argv)
{
  g_autofree char *err = NULL;
  if (cr_test_run (NULL, &err, argv) != 0)
    g_error ("%s failed: %s", argv[0], err);
}

static void
set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *source = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *first = NULL;
  g_autoptr (GString) rewritten = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  CrTestRoom *room;

  record_pristine ();
  room = g_new0 (CrTestRoom, 1);
  room->dir = g_dir_make_tmp ("courtrec-copy-XXXXXX", &error);
  g_assert_no_error (error);
  room->config_path = g_build_filename (room->dir, "room.conf", NULL);
  room->storage_dir = g_build_filename (room->dir, "storage", NULL);
  room->daemon_log = g_build_filename (room->dir, "courtrecd.log", NULL);
  fixture->room = room;
  source = g_strconcat (pristine->dir, "/.", NULL);
  {
    const char *argv[] = { "cp", "-a", source, room->dir, NULL };
    run_ok (argv);
  }
  g_file_get_contents (room->config_path, &config, NULL, &error);
  g_assert_no_error (error);
  rewritten = g_string_new (config);
  g_string_replace (rewritten, pristine->dir, room->dir, 0);
  g_file_set_contents (room->config_path, rewritten->str, -1, &error);
  g_assert_no_error (error);
  fixture->config = cr_config_load (room->config_path, &error);
  g_assert_no_error (error);

  segments = cr_test_segments (room, session_id);
  g_assert_cmpuint (segments->len, >=, 1);
  first = g_build_filename (room->storage_dir,
                            ((CrSegmentRecord *) g_ptr_array_index (segments, 0))->path, NULL);
  dir = g_strdup_printf ("%s/copies/G7/S%" G_GINT64_FORMAT, room->storage_dir, session_id);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  fixture->copy = g_build_filename (dir, "copy.mp4", NULL);
  {
    const char *argv[] = { "cp", first, fixture->copy, NULL };
    run_ok (argv);
  }
}

static void
tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->config, cr_config_free);
  g_clear_pointer (&fixture->copy, g_free);
  g_clear_pointer (&fixture->room, cr_test_room_free);
}

/* --- helpers ------------------------------------------------------------------ */

#define REDACTIONS \
  "[{\"kind\":\"mute\",\"track\":\"mix\",\"from\":\"2026-12-03T01:00:01.000Z\"," \
  "\"to\":\"2026-12-03T01:00:02.000Z\",\"reason\":\"minor's name\",\"by\":\"judge\"}," \
  "{\"kind\":\"blur\",\"x\":10,\"y\":20,\"width\":100,\"height\":50," \
  "\"from\":\"2026-12-03T01:00:01.000Z\",\"to\":\"2026-12-03T01:00:03.000Z\"," \
  "\"reason\":\"witness face\",\"by\":\"judge\"}," \
  "{\"kind\":\"cut\",\"from\":\"2026-12-03T01:00:04.000Z\",\"to\":\"2026-12-03T01:00:05.000Z\"," \
  "\"reason\":\"sealed evidence\",\"by\":\"judge\"}]"

/* The manifest courtrecd writes for grant 7 when its copy is rendered,
 * with the session's seal read from the index. (transfer full) */
static CrCopyManifest *
grant_manifest (Fixture *fixture)
{
  g_autoptr (CrSegmentIndex) index = open_index (fixture, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSessionRecord) session = cr_segment_index_get_session (index, session_id, &error);
  CrCopyManifest *m;

  g_assert_no_error (error);
  g_assert_nonnull (session->chain_head);
  m = cr_copy_manifest_new_for_session (session, fixture->config->court);
  m->from_us = session->started_us;
  m->watermark = g_strdup (REQUESTER " · 授权 G7 · 2026-12-03\n仅供本案诉讼使用");
  m->grant = g_new0 (CrCopyGrant, 1);
  m->grant->id = 7;
  m->grant->requester = g_strdup (REQUESTER);
  m->grant->role = g_strdup ("party");
  m->grant->mode = g_strdup ("copy");
  m->grant->expires_us = session->started_us + 3 * G_TIME_SPAN_DAY;
  m->grant->granted_by = g_strdup ("judge");
  m->redactions = g_strdup (REDACTIONS);
  m->duration_us = 2 * G_USEC_PER_SEC;
  return m;
}

static CrDeviceKey *
device_key (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  CrDeviceKey *key = cr_device_key_load (fixture->config->key_file, FALSE, &error);

  g_assert_no_error (error);
  return key;
}

static void
write_manifest (Fixture *fixture, const CrCopyManifest *m)
{
  g_autoptr (CrDeviceKey) key = device_key (fixture);
  g_autoptr (GError) error = NULL;

  cr_copy_manifest_write (key, m, fixture->copy, &error);
  g_assert_no_error (error);
}

static void
write_grant_manifest (Fixture *fixture)
{
  g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
  write_manifest (fixture, m);
}

/* courtrec [-c CONFIG] ARGS...: the status; stdout and stderr in @out. */
static int
courtrec (Fixture *fixture, gboolean with_config, char **out, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  va_list ap;
  int status;

  g_ptr_array_add (argv, cr_test_build_path ("courtrec"));
  if (with_config)
    {
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strdup (fixture->room->config_path));
    }
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = cr_test_run (&stdout_text, &stderr_text, (const char *const *) argv->pdata);
  if (out != NULL)
    *out = g_strconcat (stdout_text, stderr_text, NULL);
  g_test_message ("courtrec %s exited %d:\n%s%s", first, status, stdout_text, stderr_text);
  return status;
}

static void
assert_says (const char *out, const char *needle)
{
  if (strstr (out, needle) == NULL)
    g_error ("expected '%s' in:\n%s", needle, out);
}

/* Flips one bit of @path at @offset (from the end when negative). */
static void
flip_byte (const char *path, gssize offset)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  if (offset < 0)
    offset += length;
  g_assert_cmpint (offset, <, (gssize) length);
  contents[offset] ^= 0x01;
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
}

/* verify-copy -c ROOM COPY exits 1 and says @needle. */
static void
assert_tampered (Fixture *fixture, const char *needle)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (courtrec (fixture, TRUE, &out, "verify-copy", fixture->copy, NULL), ==, 1);
  assert_says (out, "NOT INTACT");
  assert_says (out, needle);
}

/* --- verify-copy ---------------------------------------------------------------- */

static void
test_intact (Fixture *fixture, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *json_path = cr_copy_manifest_json_path (fixture->copy);
  g_autofree char *sig_path = cr_copy_manifest_sig_path (fixture->copy);
  g_autofree char *json = NULL;
  g_autofree char *sha = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GList) members = NULL;
  g_autoptr (GError) error = NULL;
  const char *order[] = { "format", "court", "room_id", "case_no", "session_id",
                          "session_started_at", "chain_head", "seal_signature", "public_key",
                          "span", "cuts", "watermark", "grant", "publication", "redactions",
                          "file_name", "bytes", "sha256", "duration_us", "rendered_at" };
  JsonObject *root;
  GStatBuf st;
  guint i = 0;

  write_grant_manifest (fixture);

  /* The files, as an auditor sees them: owner-only, a bare signature. */
  g_assert_cmpint (g_stat (json_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (sig_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 64);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (json_parser_load_from_file (parser, json_path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  members = json_object_get_members (root);
  g_assert_cmpuint (g_list_length (members), ==, G_N_ELEMENTS (order));
  for (GList *l = members; l != NULL; l = l->next, i++)
    g_assert_cmpstr (l->data, ==, order[i]);
  {
    const char *argv[] = { "sha256sum", fixture->copy, NULL };
    g_assert_cmpint (cr_test_run (&sha, NULL, argv), ==, 0);
    g_assert_cmpuint (strlen (sha), >, 64);
    sha[64] = '\0';
  }
  g_assert_cmpstr (json_object_get_string_member (root, "sha256"), ==, sha);
  g_assert_cmpint (g_stat (fixture->copy, &st), ==, 0);
  g_assert_cmpint (json_object_get_int_member (root, "bytes"), ==, st.st_size);
  g_assert_cmpstr (json_object_get_string_member (root, "file_name"), ==, "copy.mp4");
  /* The cuts are read from the redaction list. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "cuts")), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "redactions")),
                    ==, 3);
  g_assert_true (json_object_get_null_member (root, "publication"));

  /* Against the room: everything checked, and for whom. */
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "verify-copy", fixture->copy, NULL), ==, 0);
  assert_says (out, "INTACT");
  assert_says (out, "manifest signature good");
  assert_says (out, "the key is this recorder's device key");
  assert_says (out, "sealed by the same key");
  assert_says (out, "SHA-256");
  assert_says (out, "in the index: same room, case, start, sealed chain head and seal");
  assert_says (out, "Requester      " REQUESTER);
  assert_says (out, "Grant          7");
  assert_says (out, "Mode           copy");
  assert_says (out, "Role           party");
  assert_says (out, "Granted by     judge");
  assert_says (out, "Span           from ");
  assert_says (out, "Redactions     3");
  assert_says (out, "mute  track: mix;");
  assert_says (out, "reason: witness face");
  assert_says (out, "cut  from: 2026-12-03T01:00:04.000Z");
  assert_says (out, "仅供本案诉讼使用");
  assert_says (out, CASE_NO);
  g_assert_null (strstr (out, "PROBLEM"));
  g_clear_pointer (&out, g_free);

  /* -c after the verb is the same; without a room it says what it could
   * not check, and still passes. */
  g_assert_cmpint (courtrec (fixture, FALSE, &out, "verify-copy", fixture->copy, "-c",
                             fixture->room->config_path, NULL), ==, 0);
  assert_says (out, "in the index");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (courtrec (fixture, FALSE, &out, "verify-copy", fixture->copy, NULL), ==, 0);
  assert_says (out, "not compared with the room's index");
  assert_says (out, "no trusted key given");
  g_clear_pointer (&out, g_free);
  /* Given the manifest rather than the copy: the copy beside it. */
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "verify-copy", json_path, NULL), ==, 0);
  assert_says (out, "INTACT");
  g_clear_pointer (&out, g_free);

  /* As JSON, the verdict and the manifest. */
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "verify-copy", "--json", fixture->copy, NULL),
                   ==, 0);
  {
    g_autoptr (JsonParser) verdict = json_parser_new ();
    JsonObject *object;

    g_assert_true (json_parser_load_from_data (verdict, out, -1, &error));
    object = json_node_get_object (json_parser_get_root (verdict));
    g_assert_true (json_object_get_boolean_member (object, "intact"));
    g_assert_true (json_object_get_boolean_member (object, "index_checked"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "problems")),
                      ==, 0);
    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (
                         json_object_get_object_member (object, "manifest"), "grant"),
                       "requester"), ==, REQUESTER);
  }
}

static void
test_tampered_copy (Fixture *fixture, gconstpointer data)
{
  write_grant_manifest (fixture);
  flip_byte (fixture->copy, 1000);
  assert_tampered (fixture, "the copy's SHA-256 is ");
  assert_tampered (fixture, "the file was changed");

  /* Cut short: the size says so too. */
  g_assert_cmpint (truncate (fixture->copy, 4096), ==, 0);
  assert_tampered (fixture, "the copy has 4096 bytes, the manifest says ");
}

static void
test_tampered_manifest (Fixture *fixture, gconstpointer data)
{
  g_autofree char *json_path = cr_copy_manifest_json_path (fixture->copy);
  g_autofree char *json = NULL;
  g_autoptr (GString) edited = NULL;
  g_autoptr (GError) error = NULL;

  write_grant_manifest (fixture);
  /* Another requester's name, the JSON still well-formed. */
  g_file_get_contents (json_path, &json, NULL, &error);
  g_assert_no_error (error);
  edited = g_string_new (json);
  g_assert_cmpuint (g_string_replace (edited, "\"mode\" : \"copy\"", "\"mode\" : \"COPY\"", 1),
                    ==, 1);
  g_file_set_contents (json_path, edited->str, -1, &error);
  g_assert_no_error (error);
  assert_tampered (fixture, "the manifest's signature does not match its content");

  /* One bit anywhere, here in the final newline. */
  write_grant_manifest (fixture);
  flip_byte (json_path, -1);
  assert_tampered (fixture, "the manifest's signature does not match its content");

  /* Not JSON at all any more. */
  g_file_set_contents (json_path, "{\"format\":", -1, &error);
  g_assert_no_error (error);
  assert_tampered (fixture, "not a JSON object");
}

static void
test_tampered_signature (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sig_path = cr_copy_manifest_sig_path (fixture->copy);
  g_autoptr (GError) error = NULL;

  write_grant_manifest (fixture);
  flip_byte (sig_path, 17);
  assert_tampered (fixture, "the manifest's signature does not match its content");

  g_file_set_contents (sig_path, "0123456789abcdef", -1, &error);
  g_assert_no_error (error);
  assert_tampered (fixture, "the signature file has 16 bytes, not 64");
}

/* Signed by a key that is not the recorder's: the manifest is whole, but
 * not this court's, and the seal it quotes is not its key's. */
static void
test_other_key (Fixture *fixture, gconstpointer data)
{
  g_autofree char *other_path = g_build_filename (fixture->room->dir, "other.key", NULL);
  g_autoptr (CrDeviceKey) other = NULL;
  g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  other = cr_device_key_load (other_path, TRUE, &error);
  g_assert_no_error (error);
  cr_copy_manifest_write (other, m, fixture->copy, &error);
  g_assert_no_error (error);
  assert_tampered (fixture, "not this recorder's device key");
  assert_tampered (fixture, "the seal signature quoted does not sign chain head");
  /* Even with no room at hand: its key did not seal the head it names. */
  g_assert_cmpint (courtrec (fixture, FALSE, &out, "verify-copy", fixture->copy, NULL), ==, 1);
  assert_says (out, "manifest signature good");
  assert_says (out, "the seal signature quoted does not sign");
  g_clear_pointer (&out, g_free);

  /* The recorder's own manifest, against a key given by hand. */
  write_grant_manifest (fixture);
  g_assert_cmpint (courtrec (fixture, FALSE, &out, "verify-copy", "--public-key",
                             cr_device_key_get_public_hex (other), fixture->copy, NULL), ==, 1);
  assert_says (out, "not this recorder's device key");
}

/* Signed by the recorder, but naming a session the index does not have
 * that way: only the index can tell. */
static void
test_index_mismatch (Fixture *fixture, gconstpointer data)
{
  g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
  g_autofree char *out = NULL;

  g_free (m->case_no);
  m->case_no = g_strdup (OTHER_CASE_NO);
  write_manifest (fixture, m);
  g_assert_cmpint (courtrec (fixture, FALSE, &out, "verify-copy", fixture->copy, NULL), ==, 0);
  assert_tampered (fixture, "is of case " CASE_NO ", the manifest says " OTHER_CASE_NO);

  m->session_id = 999;
  write_manifest (fixture, m);
  assert_tampered (fixture, "session 999 is not in this room's index");
}

static void
test_bad_usage (Fixture *fixture, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (fixture->room->dir, "nothing.mp4", NULL);
  g_autofree char *json_path = cr_copy_manifest_json_path (fixture->copy);
  g_autofree char *sig_path = cr_copy_manifest_sig_path (fixture->copy);
  g_autofree char *huge = g_malloc0 (CR_COPY_MANIFEST_MAX_BYTES + 10);
  g_autoptr (GError) error = NULL;
  char *out = NULL;

#define EXPECT_USAGE(needle, ...) \
  G_STMT_START { \
    g_assert_cmpint (courtrec (fixture, TRUE, &out, __VA_ARGS__, NULL), ==, 2); \
    assert_says (out, needle); \
    g_clear_pointer (&out, g_free); \
  } G_STMT_END

  EXPECT_USAGE ("missing argument", "verify-copy");
  EXPECT_USAGE ("No copy at", "verify-copy", missing);
  /* A copy without its manifest, then without its signature. */
  EXPECT_USAGE (".manifest.json", "verify-copy", fixture->copy);
  write_grant_manifest (fixture);
  g_assert_cmpint (g_unlink (sig_path), ==, 0);
  EXPECT_USAGE (".manifest.sig", "verify-copy", fixture->copy);
  EXPECT_USAGE ("--public-key: expected 64 lowercase hex digits", "verify-copy",
                "--public-key", "not-a-key", fixture->copy);
  EXPECT_USAGE ("unexpected argument", "verify-copy", fixture->copy, fixture->copy);
  /* A manifest too large to be one, and one that is a directory. */
  write_grant_manifest (fixture);
  memset (huge, ' ', CR_COPY_MANIFEST_MAX_BYTES + 9);
  g_file_set_contents (json_path, huge, -1, &error);
  g_assert_no_error (error);
  EXPECT_USAGE ("manifest", "verify-copy", fixture->copy);
  g_assert_cmpint (g_unlink (json_path), ==, 0);
  g_assert_cmpint (g_mkdir (json_path, 0700), ==, 0);
  EXPECT_USAGE ("manifest", "verify-copy", fixture->copy);
#undef EXPECT_USAGE
}

/* What the writer refuses: a manifest that would not say what it must. */
static void
test_write_refuses (Fixture *fixture, gconstpointer data)
{
  g_autoptr (CrDeviceKey) key = device_key (fixture);
  g_autoptr (GError) error = NULL;
  g_autofree char *json_path = cr_copy_manifest_json_path (fixture->copy);

  {
    g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
    m->sha256 = g_strdup ("0000000000000000000000000000000000000000000000000000000000000000");
    g_assert_false (cr_copy_manifest_write (key, m, fixture->copy, &error));
    g_assert_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "not the rendered"));
    g_clear_error (&error);
  }
  {
    g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
    m->publication = g_new0 (CrCopyPublication, 1);
    g_assert_false (cr_copy_manifest_write (key, m, fixture->copy, &error));
    g_assert_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID);
    g_clear_error (&error);
  }
  {
    g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
    g_free (m->redactions);
    m->redactions = g_strdup ("{\"kind\":\"cut\"}");
    g_assert_false (cr_copy_manifest_write (key, m, fixture->copy, &error));
    g_assert_nonnull (strstr (error->message, "not a JSON array"));
    g_clear_error (&error);
  }
  {
    g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
    g_clear_pointer (&m->chain_head, g_free);
    g_assert_false (cr_copy_manifest_write (key, m, fixture->copy, &error));
    g_assert_nonnull (strstr (error->message, "only a sealed session"));
    g_clear_error (&error);
  }
  g_assert_false (g_file_test (json_path, G_FILE_TEST_EXISTS));

  /* A publication: no watermark, no grant. */
  {
    g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
    g_autofree char *out = NULL;

    g_clear_pointer (&m->grant, cr_copy_grant_free);
    g_clear_pointer (&m->watermark, g_free);
    m->publication = g_new0 (CrCopyPublication, 1);
    m->publication->id = 3;
    m->publication->published_by = g_strdup ("approver");
    write_manifest (fixture, m);
    g_assert_cmpint (courtrec (fixture, TRUE, &out, "verify-copy", fixture->copy, NULL), ==, 0);
    assert_says (out, "Publication    3 (the court's portal)");
    assert_says (out, "Published by   approver");
  }
}

/* --- the documented recipe ----------------------------------------------------------- */

/* The sh block of docs/copy-manifest.md, run as written (its first line,
 * which names the copy, set to the test's) in an empty directory. */
static int
run_recipe (Fixture *fixture, char **out)
{
  g_autofree char *doc_path = cr_test_top_path ("docs/copy-manifest.md");
  g_autofree char *doc = NULL;
  g_autofree char *work = g_build_filename (fixture->room->dir, "auditor", NULL);
  g_autofree char *script = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  const char *block, *end;
  int status;

  g_assert_true (g_file_get_contents (doc_path, &doc, NULL, NULL));
  block = strstr (doc, "```sh\nCOPY=");
  g_assert_nonnull (block);
  block = strchr (block + strlen ("```sh\n"), '\n') + 1;
  end = strstr (block, "```");
  g_assert_nonnull (end);
  const char *argv_rm[] = { "rm", "-rf", work, NULL };
  run_ok (argv_rm);
  g_assert_cmpint (g_mkdir (work, 0700), ==, 0);
  script = g_strdup_printf ("cd \"$WORK\" || exit 1\nCOPY=\"$TEST_COPY\"\n%.*s",
                            (int) (end - block), block);
  {
    g_autofree char *work_arg = g_strconcat ("WORK=", work, NULL);
    g_autofree char *copy_arg = g_strconcat ("TEST_COPY=", fixture->copy, NULL);
    const char *argv[] = { "env", work_arg, copy_arg, "sh", "-e", "-c", script, NULL };
    status = cr_test_run (&stdout_text, &stderr_text, argv);
  }
  *out = g_strconcat (stdout_text, stderr_text, NULL);
  g_test_message ("the recipe exited %d:\n%s", status, *out);
  return status;
}

static void
test_openssl_recipe (Fixture *fixture, gconstpointer data)
{
  g_autofree char *json_path = cr_copy_manifest_json_path (fixture->copy);
  g_autofree char *sig_path = cr_copy_manifest_sig_path (fixture->copy);
  g_autofree char *out = NULL;
  g_autofree char *copy_ok = g_strconcat (fixture->copy, ": OK", NULL);
  const char *verified;

  write_grant_manifest (fixture);
  g_assert_cmpint (run_recipe (fixture, &out), ==, 0);
  /* Both signatures, then the file. */
  verified = strstr (out, "Signature Verified Successfully");
  g_assert_nonnull (verified);
  g_assert_nonnull (strstr (verified + 1, "Signature Verified Successfully"));
  assert_says (out, copy_ok);
  g_clear_pointer (&out, g_free);

  flip_byte (fixture->copy, 2000);
  g_assert_cmpint (run_recipe (fixture, &out), !=, 0);
  assert_says (out, "FAILED");
  g_clear_pointer (&out, g_free);

  write_grant_manifest (fixture);
  flip_byte (json_path, 40);
  g_assert_cmpint (run_recipe (fixture, &out), !=, 0);
  g_assert_null (strstr (out, ": OK"));
  g_clear_pointer (&out, g_free);

  write_grant_manifest (fixture);
  flip_byte (sig_path, 0);
  g_assert_cmpint (run_recipe (fixture, &out), !=, 0);
  assert_says (out, "Signature Verification Failure");
  g_clear_pointer (&out, g_free);

  /* Another key signed it: the manifest holds, the seal does not. */
  {
    g_autofree char *other_path = g_build_filename (fixture->room->dir, "other.key", NULL);
    g_autoptr (CrDeviceKey) other = NULL;
    g_autoptr (CrCopyManifest) m = grant_manifest (fixture);
    g_autoptr (GError) error = NULL;

    other = cr_device_key_load (other_path, TRUE, &error);
    g_assert_no_error (error);
    cr_copy_manifest_write (other, m, fixture->copy, &error);
    g_assert_no_error (error);
    g_assert_cmpint (run_recipe (fixture, &out), !=, 0);
    assert_says (out, "Signature Verified Successfully");
    assert_says (out, "Signature Verification Failure");
  }
}

/* --- the access trail --------------------------------------------------------------- */

static void
add_event (CrSegmentIndex *index, gint64 session, gint64 at_us, CrEventKind kind,
           const char *detail)
{
  g_autoptr (GError) error = NULL;

  cr_segment_index_add_event (index, session, at_us, kind, detail, &error);
  g_assert_no_error (error);
}

static char *
json_detail (const char *first, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  va_list ap;

  json_builder_begin_object (builder);
  va_start (ap, first);
  for (const char *name = first; name != NULL; name = va_arg (ap, const char *))
    {
      const char *value = va_arg (ap, const char *);
      json_builder_set_member_name (builder, name);
      if (value[0] == '#')
        json_builder_add_int_value (builder, g_ascii_strtoll (value + 1, NULL, 10));
      else
        json_builder_add_string_value (builder, value);
    }
  va_end (ap);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* What the access service writes for one grant: the request, the grant,
 * a wrong code, the code used, playback, a download; a second session of
 * the case heard earlier, its events older, and another case's session
 * whose events must not appear. Returns the second session's id. */
static gint64
write_access_trail (Fixture *fixture, gint64 *other_case_session)
{
  g_autoptr (CrSegmentIndex) index = open_index (fixture, FALSE);
  g_autoptr (GError) error = NULL;
  gint64 t = g_get_real_time ();
  gint64 earlier, other;
  g_autofree char *requested = json_detail ("request", "#3", "name", HOSTILE_NAME,
                                            "role", "party", "purpose", HOSTILE_REASON,
                                            "by", "clerk", NULL);
  g_autofree char *granted = json_detail ("request", "#3", "grant", "#7", "mode", "copy",
                                          "expires", "2026-12-06T00:00:00.000Z", "by", "judge",
                                          NULL);
  g_autofree char *wrong = json_detail ("grant", "#7", "address", FORMULA, "failures", "#1",
                                        NULL);
  g_autofree char *used = json_detail ("grant", "#7", "address", "192.0.2.7", NULL);
  g_autofree char *download = json_detail ("grant", "#7", "address", "192.0.2.7",
                                           "file", "copy.mp4", "bytes", "#1048576",
                                           "complete", "yes", NULL);

  add_event (index, session_id, t + 1000 * MS, CR_EVENT_ACCESS_REQUESTED, requested);
  add_event (index, session_id, t + 2000 * MS, CR_EVENT_ACCESS_GRANTED, granted);
  add_event (index, session_id, t + 3000 * MS, CR_EVENT_ACCESS_CODE_WRONG, wrong);
  add_event (index, session_id, t + 4000 * MS, CR_EVENT_ACCESS_CODE_USED, used);
  add_event (index, session_id, t + 5000 * MS, CR_EVENT_PLAYBACK_START, used);
  add_event (index, session_id, t + 6000 * MS, CR_EVENT_DOWNLOAD, download);

  /* A session of the same case, with its own copy of the grant's events
   * (a grant's event goes into each session it covers). */
  earlier = cr_segment_index_begin_session (index, "room-x", CASE_NO, "second hearing",
                                            t - 60 * G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  add_event (index, earlier, t + 1500 * MS, CR_EVENT_ACCESS_GRANTED, granted);
  other = cr_segment_index_begin_session (index, "room-x", OTHER_CASE_NO, NULL, t, &error);
  g_assert_no_error (error);
  add_event (index, other, t + 10 * MS, CR_EVENT_ACCESS_REQUESTED, requested);
  *other_case_session = other;
  return earlier;
}

/* Python's csv module reads the CSV back: the rows as JSON arrays. */
static JsonArray *
parse_csv (const char *csv, JsonParser *parser)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) python = NULL;

  python = g_subprocess_launcher_spawn (launcher, &error, "python3", "-c",
      "import csv, io, json, sys\n"
      "data = sys.stdin.buffer.read().decode('utf-8')\n"
      "assert data.endswith('\\r\\n')\n"
      "rows = list(csv.reader(io.StringIO(data, newline=''), strict=True))\n"
      "print(json.dumps(rows))\n", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (python, csv, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (python) != 0)
    g_error ("python's csv module could not read the CSV: %s\n%s", err, csv);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  return json_node_get_array (json_parser_get_root (parser));
}

/* The page read by Python's HTML parser: every start tag, and the text of
 * each table cell. */
static JsonObject *
parse_html (const char *html, JsonParser *parser)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) python = NULL;

  python = g_subprocess_launcher_spawn (launcher, &error, "python3", "-c",
      "import json, sys\n"
      "from html.parser import HTMLParser\n"
      "class P(HTMLParser):\n"
      "    def __init__(self):\n"
      "        super().__init__(convert_charrefs=True)\n"
      "        self.tags, self.cells, self.cell = [], [], None\n"
      "    def handle_starttag(self, tag, attrs):\n"
      "        self.tags.append(tag)\n"
      "        if tag == 'td': self.cell = ''\n"
      "    def handle_endtag(self, tag):\n"
      "        if tag == 'td': self.cells.append(self.cell); self.cell = None\n"
      "    def handle_data(self, data):\n"
      "        if self.cell is not None: self.cell += data\n"
      "p = P()\n"
      "p.feed(sys.stdin.buffer.read().decode('utf-8'))\n"
      "print(json.dumps({'tags': sorted(set(p.tags)), 'cells': p.cells}))\n", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (python, html, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (python), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  return json_node_get_object (json_parser_get_root (parser));
}

static gboolean
array_has_string (JsonArray *array, const char *text)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), text) == 0)
      return TRUE;
  return FALSE;
}

static void
test_access_log (Fixture *fixture, gconstpointer data)
{
  g_autoptr (JsonParser) csv_parser = json_parser_new ();
  g_autoptr (JsonParser) html_parser = json_parser_new ();
  g_autoptr (JsonParser) json_parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *html = NULL;
  g_autofree char *earlier_id = NULL;
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_autofree char *requested_detail = g_strconcat ("name: " HOSTILE_NAME "; role: party; "
                                                   "purpose: " HOSTILE_REASON, NULL);
  g_autoptr (GError) error = NULL;
  gint64 other_case, earlier;
  JsonArray *rows, *cells, *tags;
  JsonObject *page;

  earlier = write_access_trail (fixture, &other_case);
  earlier_id = g_strdup_printf ("%" G_GINT64_FORMAT, earlier);

  /* CSV, as a spreadsheet or Python reads it. */
  g_assert_cmpint (courtrec (fixture, TRUE, &csv, "access", "log", "--case", CASE_NO, "--csv",
                             NULL), ==, 0);
  rows = parse_csv (csv, csv_parser);
  g_assert_cmpuint (json_array_get_length (rows), ==, 8);
  {
    JsonArray *header = json_array_get_array_element (rows, 0);
    g_assert_cmpstr (json_array_get_string_element (header, 0), ==, "time_utc");
    g_assert_cmpstr (json_array_get_string_element (header, 6), ==, "detail");
  }
#define CELL(row, column) \
  json_array_get_string_element (json_array_get_array_element (rows, row), column)
  /* Oldest first across the sessions: the request, then the grant in
   * each session. */
  g_assert_cmpstr (CELL (1, 2), ==, "access-requested");
  g_assert_cmpstr (CELL (1, 1), ==, session);
  g_assert_cmpstr (CELL (1, 3), ==, "request 3");
  g_assert_cmpstr (CELL (1, 4), ==, "clerk");
  g_assert_cmpstr (CELL (1, 6), ==, requested_detail);
  g_assert_cmpstr (CELL (2, 2), ==, "access-granted");
  g_assert_cmpstr (CELL (2, 1), ==, earlier_id);
  g_assert_cmpstr (CELL (2, 3), ==, "request 3, grant 7");
  g_assert_cmpstr (CELL (3, 2), ==, "access-granted");
  g_assert_cmpstr (CELL (3, 1), ==, session);
  /* A formula is shown as text. */
  g_assert_cmpstr (CELL (4, 2), ==, "access-code-wrong");
  g_assert_cmpstr (CELL (4, 4), ==, "'" FORMULA);
  g_assert_cmpstr (CELL (5, 2), ==, "access-code-used");
  g_assert_cmpstr (CELL (5, 4), ==, "192.0.2.7");
  g_assert_cmpstr (CELL (6, 2), ==, "playback-start");
  g_assert_cmpstr (CELL (7, 2), ==, "download");
  g_assert_cmpstr (CELL (7, 5), ==, "1048576");
  g_assert_cmpstr (CELL (7, 6), ==, "file: copy.mp4; complete: yes");
#undef CELL
  /* Another case's request is not in this case's log. */
  {
    g_autofree char *other_id = g_strdup_printf ("%" G_GINT64_FORMAT, other_case);
    for (guint i = 1; i < json_array_get_length (rows); i++)
      g_assert_cmpstr (json_array_get_string_element (json_array_get_array_element (rows, i), 1),
                       !=, other_id);
  }

  /* The page: escaped, no markup of the index's own. */
  g_assert_cmpint (courtrec (fixture, TRUE, &html, "access", "log", "--case", CASE_NO, "--html",
                             NULL), ==, 0);
  g_assert_null (strstr (html, "<script"));
  g_assert_null (strstr (html, "<b>"));
  assert_says (html, "&lt;script&gt;");
  assert_says (html, "Access log");
  assert_says (html, "查阅记录");
  page = parse_html (html, html_parser);
  tags = json_object_get_array_member (page, "tags");
  for (guint i = 0; i < json_array_get_length (tags); i++)
    g_assert_true (g_strv_contains ((const char *const[]) { "html", "head", "meta", "title",
                                                            "style", "body", "h1", "br", "p",
                                                            "table", "tr", "th", "td", NULL },
                                    json_array_get_string_element (tags, i)));
  cells = json_object_get_array_member (page, "cells");
  g_assert_cmpuint (json_array_get_length (cells), ==, 7 * 7);
  g_assert_true (array_has_string (cells, requested_detail));
  g_assert_true (array_has_string (cells, FORMULA));
  g_assert_true (array_has_string (cells, "下载 download"));

  /* JSON and the terminal's table. */
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "access", "log", "--case", CASE_NO, "--json",
                             NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (json_parser, out, -1, &error));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (json_parser))),
                    ==, 7);
  g_clear_pointer (&out, g_free);
  /* The case in another typing; -c after the verb. */
  g_assert_cmpint (courtrec (fixture, FALSE, &out, "access", "log", "--case", "(2026)浙1022民初123号",
                             "-c", fixture->room->config_path, NULL), ==, 0);
  assert_says (out, "WHO/ADDRESS");
  assert_says (out, "access-code-wrong");
  /* The newline of the reason is escaped for the terminal. */
  assert_says (out, "line one\\u000aline two");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "access", "log", "--case",
                             "（2026）浙1022民初999号", NULL), ==, 0);
  assert_says (out, "No access to the recordings of case");
  g_clear_pointer (&out, g_free);

  /* Bad usage. */
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "access", "log", NULL), ==, 2);
  assert_says (out, "--case CASE is required");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "access", "log", "--case", CASE_NO, "--csv",
                             "--html", NULL), ==, 2);
  assert_says (out, "one of --csv, --html and --json");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "access", "log", "--case", "not a case", NULL),
                   ==, 2);
  assert_says (out, "--case");
  g_clear_pointer (&out, g_free);
}

/* The hearing report lists the session's access events in a section of
 * their own, and no longer among the other events. */
static void
test_report_access (Fixture *fixture, gconstpointer data)
{
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_autofree char *text = NULL;
  g_autofree char *html = NULL;
  g_autofree char *json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;
  JsonArray *access, *others;
  gint64 other_case;
  const char *section, *others_section;

  write_access_trail (fixture, &other_case);
  g_assert_cmpint (courtrec (fixture, TRUE, &text, "report", "--session", session, NULL), ==, 0);
  section = strstr (text, "\nACCESS 查阅、复制及公开记录 (6)\n");
  g_assert_nonnull (section);
  assert_says (section, "download  grant 7  192.0.2.7  bytes 1048576  file: copy.mp4");
  assert_says (section, "access-granted  request 3, grant 7  judge");
  assert_says (section, "playback-start  grant 7  192.0.2.7");
  others_section = strstr (text, "\nOTHER EVENTS");
  if (others_section != NULL)
    g_assert_null (strstr (others_section, "download"));

  g_assert_cmpint (courtrec (fixture, TRUE, &html, "report", "--session", session, "--format",
                             "html", NULL), ==, 0);
  assert_says (html, "<h2>Access 查阅、复制及公开记录 (6)</h2>");
  g_assert_null (strstr (html, "<script"));
  assert_says (html, "李&quot;四&quot;, &lt;script&gt;");

  g_assert_cmpint (courtrec (fixture, TRUE, &json, "report", "--session", session, "--format",
                             "json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  access = json_object_get_array_member (root, "access");
  g_assert_cmpuint (json_array_get_length (access), ==, 6);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (access, 5),
                                               "bytes"), ==, 1048576);
  others = json_object_get_array_member (root, "other_events");
  for (guint i = 0; i < json_array_get_length (others); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (others, i),
                                                    "kind"), !=, "download");
}

/* An access event, written after the seal, is in the chain: an edited row
 * is caught. */
static void
test_edited_access_row (Fixture *fixture, gconstpointer data)
{
  g_autofree char *db_path = g_build_filename (fixture->room->storage_dir, "index.db", NULL);
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_autofree char *out = NULL;
  sqlite3 *db = NULL;
  gint64 other_case;

  write_access_trail (fixture, &other_case);
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "verify", "--session", session, NULL), ==, 0);
  assert_says (out, "INTACT");
  g_clear_pointer (&out, g_free);

  /* Someone makes the download look smaller, with plain sqlite3. */
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE events SET detail = replace (detail, '1048576', "
                                     "'1024') WHERE kind = 'download'", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_close (db);
  g_assert_cmpint (courtrec (fixture, TRUE, &out, "verify", "--session", session, NULL), ==, 3);
  assert_says (out, "NOT INTACT");
  assert_says (out, "edited");
  assert_says (out, "download");
}

int
main (int argc, char **argv)
{
  int status;

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/courtrec/copy-manifest/" path, Fixture, NULL, set_up, func, tear_down)

  ADD ("verify-copy/intact", test_intact);
  ADD ("verify-copy/tampered-copy", test_tampered_copy);
  ADD ("verify-copy/tampered-manifest", test_tampered_manifest);
  ADD ("verify-copy/tampered-signature", test_tampered_signature);
  ADD ("verify-copy/other-key", test_other_key);
  ADD ("verify-copy/index-mismatch", test_index_mismatch);
  ADD ("verify-copy/bad-usage", test_bad_usage);
  ADD ("write/refuses", test_write_refuses);
  ADD ("docs/openssl-recipe", test_openssl_recipe);
  ADD ("access-log/formats", test_access_log);
  ADD ("report/access-section", test_report_access);
  ADD ("verify/edited-access-row", test_edited_access_row);
#undef ADD

  status = g_test_run ();
  g_clear_pointer (&pristine, cr_test_room_free);
  return status;
}
