/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-access.c: litigants' access against a real courtrecd: a clerk
 * enters a request for a case with two recorded sessions (a third
 * session is of another case), roles are held to (a viewer and a clerk
 * cannot grant), an approver grants and gets a code and a slip whose QR
 * code zbarimg reads off chromium's rendering of it, sqlite3 finds the
 * identity number and the code nowhere in the index, the events are in
 * each covered session's chain (`courtrec verify` passes, and fails once
 * an access row is edited), refusal needs a reason, revocation and expiry
 * show in the list, and hostile bodies and CLI options are refused with
 * the field or option named. */
#include "access/access-code.h"
#include "access/access-service.h"
#include "archive/segment-index.h"
#include "access/access-slip.h"
#include "archive/utc.h"
#include "tests/test-util.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#define CASE_A "（2026）浙1022民初88号"
#define CASE_B "（2026）浙1022刑初7号"
#define IDENTITY "33010219900101123X"
#define PASSWORD "access-test-pass-1"

/* --- helpers -------------------------------------------------------------- */

/* `courtrec user ARGS --password-stdin` with PASSWORD on stdin. */
static void
add_user (CrTestRoom *room, const char *name, const char *role)
{
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                              &error, courtrec, "-c", room->config_path, "user", "add", name,
                              "--role", role, "--password-stdin", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, PASSWORD "\n", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

static char *
token_of (CrTestRoom *room, const char *name)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_client (room, &out, NULL, "user", "token", name, NULL), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

/* @method @path with @token and @body; the status, the body in *@reply. */
static guint
api (CrTestRoom *room, const char *method, const char *path, const char *token,
     const char *body, char **reply)
{
  g_autofree char *text = NULL;
  guint status = cr_test_http (room, method, path, token, body, &text);

  if (reply != NULL)
    *reply = g_steal_pointer (&text);
  return status;
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_nonnull (text);
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    g_error ("not JSON: %s", text);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Asserts @status and that the error message says @says. A refusal made
 * from the headers alone is sent before the body is read, and the
 * connection closed: the client may then miss the message (the status
 * still comes). */
static void
assert_refused (guint status, const char *reply, guint expected, const char *says)
{
  if (status != expected ||
      (says != NULL && reply != NULL && *reply != '\0' && strstr (reply, says) == NULL) ||
      (says != NULL && expected != 403 && expected != 413 && (reply == NULL || *reply == '\0')))
    g_error ("expected %u saying \"%s\", got %u: %s", expected, says != NULL ? says : "",
             status, reply != NULL ? reply : "(nothing)");
}

static void
expect_refusal (CrTestRoom *room, const char *method, const char *path, const char *token,
                const char *body, guint expected, const char *says)
{
  g_autofree char *reply = NULL;
  guint status = api (room, method, path, token, body, &reply);

  assert_refused (status, reply, expected, says);
}

static gint64
record_session (CrTestRoom *room, const char *case_no)
{
  gint64 id = cr_test_start_session (room, case_no);

  g_usleep (G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, id);
  cr_test_wait_sealed (room, id);
  return id;
}

static char *
sql_value (CrTestRoom *room, const char *query)
{
  g_autofree char *db = g_build_filename (room->storage_dir, "index.db", NULL);
  const char *argv[] = { "sqlite3", db, query, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

/* The kinds of @session_id's events, comma-separated, from `courtrec
 * events --json`, which reads the index. */
static char *
event_kinds (CrTestRoom *room, gint64 session_id)
{
  g_autofree char *out = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_autoptr (JsonParser) parser = json_parser_new ();
  GString *kinds = g_string_new (NULL);
  JsonArray *events;

  g_assert_cmpint (cr_test_client (room, &out, NULL, "events", id, "--json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  events = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (events); i++)
    g_string_append_printf (kinds, "%s,", json_object_get_string_member (
                              json_array_get_object_element (events, i), "kind"));
  return g_string_free (kinds, FALSE);
}

typedef struct {
  CrTestRoom *room;
  const char *token;
  gint64 grant;
} WaitReady;

/* The grant's state in the list is "ready": its copies are rendered. */
static gboolean
grant_ready (gpointer data)
{
  WaitReady *wait = data;
  g_autofree char *reply = NULL;
  g_autofree char *needle = g_strdup_printf ("\"id\":%" G_GINT64_FORMAT ",\"mode\":\"copy\","
                                             "\"expires\":", wait->grant);
  const char *at;

  if (api (wait->room, "GET", "/api/v1/access/requests", wait->token, NULL, &reply) != 200)
    return FALSE;
  at = strstr (reply, needle);
  return at != NULL && g_str_has_prefix (strstr (at, "\"state\":"), "\"state\":\"ready\"");
}

/* What zbarimg reads off the slip as chromium renders it; NULL when
 * either is missing. */
static char *
read_qr (const char *dir, const char *html)
{
  g_autofree char *page = g_build_filename (dir, "slip.html", NULL);
  g_autofree char *png = g_build_filename (dir, "slip.png", NULL);
  g_autofree char *url = g_strconcat ("file://", page, NULL);
  g_autofree char *shot = g_strconcat ("--screenshot=", png, NULL);
  g_autofree char *profile = g_build_filename (dir, "chromium-profile", NULL);
  g_autofree char *profile_arg = g_strconcat ("--user-data-dir=", profile, NULL);
  g_autofree char *out = NULL;
  const char *chromium[] = { "/usr/bin/chromium", "--headless", "--no-sandbox",
                             "--disable-gpu", profile_arg, "--window-size=900,1600",
                             shot, url, NULL };
  const char *zbar[] = { "zbarimg", "--quiet", "--raw", png, NULL };

  if (g_find_program_in_path ("zbarimg") == NULL ||
      !g_file_test ("/usr/bin/chromium", G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  g_assert_true (g_file_set_contents (page, html, -1, NULL));
  g_assert_cmpint (cr_test_run (NULL, NULL, chromium), ==, 0);
  g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
  g_assert_cmpint (cr_test_run (&out, NULL, zbar), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

/* --- without a daemon --------------------------------------------------------- */

static void
test_codes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("courtrec-access-XXXXXX", NULL);
  g_autoptr (CrAccessKey) key = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *code = cr_access_code_new ();
  g_autofree char *other = cr_access_code_new ();
  g_autofree char *canonical = cr_access_code_normalize (code);
  g_autofree char *lower = g_ascii_strdown (code, -1);
  g_autofree char *key_path = g_build_filename (dir, "access-key", NULL);
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  GStatBuf st;

  key = cr_access_key_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, 32);
  /* 26 symbols of 5 bits: 130 bits, dashed in groups of 4 and 5. */
  g_assert_true (g_regex_match_simple ("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}"
                                       "(-[0-9A-HJKMNP-TV-Z]{5}){2}$", code, 0, 0));
  g_assert_cmpstr (code, !=, other);
  g_assert_cmpuint (strlen (canonical), ==, 26);
  /* What a party types: any case, without dashes, O for 0. */
  a = cr_access_code_hash (key, code);
  b = cr_access_code_hash (key, lower);
  g_assert_cmpstr (a, ==, b);
  g_assert_null (cr_access_code_normalize ("ABCD"));
  g_assert_null (cr_access_code_normalize ("UUUU-UUUU-UUUU-UUUU-UUUUU-UUUUU"));
  g_assert_null (cr_access_code_normalize (NULL));
  /* The hash is keyed: no one without the key can try identity numbers. */
  c = cr_access_identity_hash (key, IDENTITY);
  g_assert_nonnull (c);
  g_assert_null (strstr (c, "1234"));
  {
    g_autofree char *suffix = cr_access_identity_suffix_hash (key, "123x");
    g_autofree char *whole = cr_access_identity_suffix_hash (key, IDENTITY);
    g_assert_cmpstr (suffix, ==, whole);
  }
  g_assert_null (cr_access_identity_normalize ("12"));
  g_assert_null (cr_access_identity_normalize ("1234<script>"));
  /* A key file readable by others is refused. */
  g_clear_pointer (&key, cr_access_key_free);
  g_assert_cmpint (g_chmod (key_path, 0644), ==, 0);
  key = cr_access_key_load (dir, &error);
  g_assert_null (key);
  g_assert_nonnull (strstr (error->message, "access-key"));
  g_unlink (key_path);
  g_rmdir (dir);
}

static void
test_slip_escapes (void)
{
  g_autoptr (GPtrArray) sessions = g_ptr_array_new ();
  CrAccessSlip slip = { .court = "法院", .room_name = "一庭", .case_no = CASE_A,
                        .requester = "<script>alert(1)</script>", .role = "party",
                        .mode = "review", .grant_id = 3, .sessions = sessions,
                        .expires_us = 1800000000000000, .url = "https://x/access/\"><b>",
                        .code = "AAAA-BBBB-CCCC-DDDD-EEEEE-FFFFF" };
  g_autofree char *html = NULL;

  g_ptr_array_add (sessions, (gpointer) "S1 <i>");
  html = cr_access_slip_html (&slip);
  g_assert_null (strstr (html, "<script>"));
  g_assert_null (strstr (html, "<i>"));
  g_assert_null (strstr (html, "\"><b>"));
  g_assert_nonnull (strstr (html, "&lt;script&gt;"));
  g_assert_nonnull (strstr (html, "<svg"));
  g_assert_nonnull (strstr (html, "AAAA-BBBB-CCCC-DDDD-EEEEE-FFFFF"));
  slip.code = NULL;
  g_clear_pointer (&html, g_free);
  html = cr_access_slip_html (&slip);
  g_assert_null (strstr (html, "AAAA-BBBB"));
}

/* The service in this process, over an index of its own: the public
 * form's request, the party's login and what it may fetch. */
static void
test_service_party_side (void)
{
  g_autofree char *dir = g_dir_make_tmp ("courtrec-access-XXXXXX", NULL);
  g_autofree char *storage = g_build_filename (dir, "storage", NULL);
  g_autofree char *conf = g_build_filename (dir, "room.conf", NULL);
  g_autofree char *db = g_build_filename (storage, "index.db", NULL);
  g_autofree char *text = g_strdup_printf (
      "[room]\nid = r1\nname = 一庭\ncourt = 法院\n\n[storage]\ndir = %s\n\n"
      "[camera judge]\nsource = test\n\n[microphone judge]\nsource = test\n", storage);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrAccessService) svc = NULL;
  g_autoptr (CrAccessGrant) grant = NULL;
  g_autofree char *code = NULL;
  g_autofree char *wrong = NULL;
  g_autoptr (GPtrArray) events = NULL;
  CrAccessRequestFields fields = { .case_no = "(2026)浙1022民初5号", .requester = "周八",
                                   .role = "agent", .identity = IDENTITY,
                                   .purpose = "阅卷" };
  gint64 session, request, id;
  guint requested = 0, used = 0, wrong_events = 0;

  g_assert_cmpint (g_mkdir_with_parents (storage, 0700), ==, 0);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  config = cr_config_load (conf, &error);
  g_assert_no_error (error);
  index = cr_segment_index_open (db, FALSE, &error);
  g_assert_no_error (error);
  session = cr_segment_index_begin_session (index, "r1", "（2026）浙1022民初5号", NULL,
                                            g_get_real_time () - 60 * G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_true (cr_segment_index_set_session_state (index, session, CR_SESSION_STOPPED,
                                                     g_get_real_time (), &error));
  svc = cr_access_service_new (index, config, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  /* The public form: no event until an approver decides. */
  request = cr_access_service_submit_public (svc, &fields, "203.0.113.9", &error);
  g_assert_no_error (error);
  g_assert_cmpint (request, >, 0);
  events = cr_segment_index_list_events (index, session, NULL);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpint (((CrEventRecord *) g_ptr_array_index (events, i))->kind, !=,
                     CR_EVENT_ACCESS_REQUESTED);
  g_clear_pointer (&events, g_ptr_array_unref);
  fields.identity = "12";
  g_assert_cmpint (cr_access_service_submit_public (svc, &fields, "203.0.113.9", &error), ==, 0);
  g_assert_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID);
  g_clear_error (&error);

  id = cr_access_service_grant (svc, request, "review", 0, NULL, NULL, "approver1", &code, NULL,
                                &error);
  g_assert_no_error (error);
  g_assert_cmpint (cr_access_service_check (svc, id), ==, CR_ACCESS_STATE_PENDING);
  /* No copy yet (no render queue here): nothing to fetch. */
  g_assert_null (cr_access_service_copy_dir (svc, id, session));
  g_assert_null (cr_access_service_copy_dir (svc, id, session + 1));

  /* Every refusal says the same; a wrong second factor is an event. */
  wrong = g_strdup (code);
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  for (const char *const *attempt = (const char *const[]) { wrong, "123X", code, "9999",
                                                            "not a code", "123X", code, "",
                                                            NULL };
       *attempt != NULL; attempt += 2)
    {
      g_assert_false (cr_access_service_login (svc, attempt[0], attempt[1], "198.51.100.7",
                                               &grant, &error));
      g_assert_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED);
      g_assert_cmpstr (error->message, ==,
                       "The access code or the identity number is wrong, or the grant has ended");
      g_clear_error (&error);
    }
  {
    /* As the party types it: lower case, no dashes, 'x' for 'X'. */
    g_autofree char *typed = g_ascii_strdown (code, -1);
    g_strdelimit (typed, "-", ' ');
    g_assert_true (cr_access_service_login (svc, typed, "123x", "198.51.100.7", &grant, &error));
  }
  g_assert_no_error (error);
  g_assert_cmpint (grant->id, ==, id);
  g_assert_cmpstr (grant->requester, ==, "周八");
  g_assert_cmpstr (grant->mode, ==, "review");
  g_assert_cmpuint (grant->sessions->len, ==, 1);
  g_assert_cmpint (g_array_index (grant->sessions, gint64, 0), ==, session);
  g_assert_true (cr_access_service_record (svc, id, CR_EVENT_PLAYBACK_START,
                                           "{\"address\":\"198.51.100.7\"}", &error));
  g_assert_false (cr_access_service_record (svc, id, CR_EVENT_START, "{}", &error));
  g_clear_error (&error);
  g_assert_false (cr_access_service_record (svc, id, CR_EVENT_DOWNLOAD, "[1]", &error));
  g_clear_error (&error);

  events = cr_segment_index_list_events (index, session, NULL);
  for (guint i = 0; i < events->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (events, i);

      requested += event->kind == CR_EVENT_ACCESS_REQUESTED;
      used += event->kind == CR_EVENT_ACCESS_CODE_USED;
      wrong_events += event->kind == CR_EVENT_ACCESS_CODE_WRONG;
      if (event->kind == CR_EVENT_ACCESS_REQUESTED)
        g_assert_nonnull (strstr (event->detail, "\"source\":\"public\""));
      if (event->kind == CR_EVENT_PLAYBACK_START)
        g_assert_nonnull (strstr (event->detail, "\"grant\":"));
    }
  g_assert_cmpuint (requested, ==, 1);
  g_assert_cmpuint (used, ==, 1);
  g_assert_cmpuint (wrong_events, ==, 2);    /* the right code, a wrong or no 4 */

  /* Enough wrong identity numbers lock the code, even for the right one. */
  for (guint i = 2; i < CR_ACCESS_MAX_WRONG_FACTORS; i++)
    {
      g_assert_false (cr_access_service_login (svc, code, "0000", "198.51.100.8", NULL, &error));
      g_clear_error (&error);
    }
  g_assert_false (cr_access_service_login (svc, code, "123X", "198.51.100.7", NULL, &error));
  g_assert_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED);
  g_clear_error (&error);

  /* Revoked: the next check says so, and the code no longer opens. */
  g_assert_true (cr_access_service_revoke (svc, id, "撤回", "approver1", &error));
  g_assert_cmpint (cr_access_service_check (svc, id), ==, CR_ACCESS_STATE_REVOKED);
  g_clear_pointer (&grant, cr_access_grant_free);
  g_assert_false (cr_access_service_login (svc, code, "123X", "198.51.100.7", &grant, &error));
  g_assert_error (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED);
  g_assert_cmpint (cr_access_service_check (svc, 9999), ==, CR_ACCESS_STATE_UNKNOWN);

  g_clear_pointer (&svc, cr_access_service_free);
  g_clear_pointer (&index, cr_segment_index_free);
  {
    const char *argv[] = { "rm", "-rf", dir, NULL };
    cr_test_run (NULL, NULL, argv);
  }
}

/* --- against courtrecd ----------------------------------------------------------- */

static void
test_requests_and_grants (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *viewer = NULL, *clerk = NULL, *approver = NULL;
  g_autofree char *reply = NULL, *body = NULL, *code = NULL, *slip = NULL, *dump = NULL;
  g_autofree char *canonical_code = NULL, *qr = NULL, *log = NULL, *kinds = NULL;
  g_autoptr (JsonObject) object = NULL;
  gint64 a1, a2, a3, b1, request, request2, request3, grant;
  g_autofree char *path = NULL;
  g_autofree char *err = NULL, *out = NULL;
  guint status;

  add_user (room, "viewer1", "viewer");
  add_user (room, "clerk1", "clerk");
  add_user (room, "approver1", "approver");
  cr_test_room_start (room);
  viewer = token_of (room, "viewer1");
  clerk = token_of (room, "clerk1");
  approver = token_of (room, "approver1");

  /* A request needs a recorded session of its case. */
  status = api (room, "POST", "/api/v1/access/request", clerk,
                "{\"case\":\"" CASE_A "\",\"requester\":\"张三\",\"role\":\"party\","
                "\"identity\":\"" IDENTITY "\"}", &reply);
  assert_refused (status, reply, 400, "No session of case");
  g_clear_pointer (&reply, g_free);

  a1 = record_session (room, CASE_A);
  a2 = record_session (room, CASE_A);
  b1 = record_session (room, CASE_B);

  /* --- the clerk enters a request; hostile bodies ------------------------ */
  status = api (room, "POST", "/api/v1/access/request", viewer,
                "{\"case\":\"" CASE_A "\",\"requester\":\"张三\",\"role\":\"party\","
                "\"identity\":\"" IDENTITY "\"}", &reply);
  assert_refused (status, reply, 403, "needs the role clerk");
  g_clear_pointer (&reply, g_free);
  status = api (room, "POST", "/api/v1/access/request", clerk, "{\"case\":", &reply);
  assert_refused (status, reply, 400, "not valid JSON");
  g_clear_pointer (&reply, g_free);
  body = g_strnfill (200 * 1024, ' ');
  status = api (room, "POST", "/api/v1/access/request", clerk, body, &reply);
  assert_refused (status, reply, 413, "too large");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);
  status = api (room, "POST", "/api/v1/access/request", clerk,
                "{\"case\":\"" CASE_A "\",\"requester\":\"张三\",\"role\":\"judge\","
                "\"identity\":\"" IDENTITY "\"}", &reply);
  assert_refused (status, reply, 400, "role = \\\"judge\\\"");
  g_clear_pointer (&reply, g_free);
  status = api (room, "POST", "/api/v1/access/request", clerk,
                "{\"case\":\"" CASE_A "\",\"requester\":\"张三\",\"role\":\"party\"}", &reply);
  assert_refused (status, reply, 400, "\\\"identity\\\" is missing");
  g_clear_pointer (&reply, g_free);
  body = g_strdup_printf ("{\"case\":\"" CASE_A "\",\"requester\":\"张三\",\"role\":\"party\","
                          "\"identity\":\"" IDENTITY "\",\"sessions\":\"%" G_GINT64_FORMAT
                          "\"}", b1);
  status = api (room, "POST", "/api/v1/access/request", clerk, body, &reply);
  assert_refused (status, reply, 400, "is not a session of case");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);

  status = api (room, "POST", "/api/v1/access/request", clerk,
                "{\"case\":\"(2026)浙1022民初88号\",\"requester\":\"张三\",\"role\":\"party\","
                "\"identity\":\"" IDENTITY "\",\"purpose\":\"上诉准备\"}", &reply);
  g_assert_cmpuint (status, ==, 200);
  object = parse_object (reply);
  request = json_object_get_int_member (object, "request");
  g_assert_cmpint (request, >, 0);
  g_clear_pointer (&object, json_object_unref);
  g_clear_pointer (&reply, g_free);

  /* The list is a clerk's; it holds no identity number. */
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/requests", viewer, NULL, NULL), ==, 403);
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/requests", clerk, NULL, &reply), ==, 200);
  g_assert_nonnull (strstr (reply, "张三"));
  g_assert_nonnull (strstr (reply, "\"pending\""));
  g_assert_null (strstr (reply, IDENTITY));
  g_clear_pointer (&reply, g_free);

  /* --- the approver decides --------------------------------------------- */
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"mode\":\"copy\"}", request);
  expect_refusal (room, "POST", "/api/v1/access/grant", viewer, body, 403, "needs the role approver");
  g_clear_pointer (&reply, g_free);
  expect_refusal (room, "POST", "/api/v1/access/grant", clerk, body, 403, "needs the role approver");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);
  for (const char *const *bad = (const char *const[]) {
         "\"mode\":\"download\"", "mode = \\\"download\\\"",
         "\"mode\":\"copy\",\"expires\":\"2020-01-01T00:00:00.000Z\"", "the time is past",
         "\"mode\":\"copy\",\"days\":\"91\"", "days = \\\"91\\\"",
         "\"mode\":\"copy\",\"expires\":\"2099-01-01T00:00:00.000Z\"", "at most 90 days",
         "\"mode\":\"copy\",\"expires\":\"tomorrow\"", "expires = \\\"tomorrow\\\"",
         "\"mode\":\"copy\",\"redactions\":\"[{\\\"kind\\\":\\\"cut\\\"}]\"",
         "redactions[0].from: required",
         "\"mode\":\"copy\",\"redactions\":\"[[[[1]]]]\"", "flat objects",
         "\"mode\":\"copy\",\"redactions\":\"[{\\\"kind\\\":\\\"mute\\\",\\\"track\\\":"
         "\\\"judgee\\\",\\\"from\\\":\\\"00:00:01\\\",\\\"to\\\":\\\"00:00:02\\\","
         "\\\"reason\\\":\\\"x\\\"}]\"", "track = \\\"judgee\\\"",
         "\"mode\":\"copy\",\"redactions\":\"[{\\\"kind\\\":\\\"blur\\\",\\\"x\\\":300,"
         "\\\"y\\\":0,\\\"width\\\":100,\\\"height\\\":10,\\\"from\\\":\\\"00:00:01\\\","
         "\\\"to\\\":\\\"00:00:02\\\",\\\"reason\\\":\\\"x\\\"}]\"", "outside the 320x180",
         "\"mode\":\"copy\",\"redactions\":\"[{\\\"kind\\\":\\\"cut\\\",\\\"from\\\":"
         "\\\"00:00:01\\\",\\\"to\\\":\\\"00:00:02\\\"}]\"", "reason: required",
         NULL };
       *bad != NULL; bad += 2)
    {
      body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",%s}", request, bad[0]);
      expect_refusal (room, "POST", "/api/v1/access/grant", approver, body, 400, bad[1]);
      g_clear_pointer (&reply, g_free);
      g_clear_pointer (&body, g_free);
    }
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"mode\":\"copy\","
                          "\"sessions\":\"%" G_GINT64_FORMAT "\"}", request, b1);
  expect_refusal (room, "POST", "/api/v1/access/grant", approver, body, 400, "is not a session of case");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);
  expect_refusal (room, "POST", "/api/v1/access/grant", approver,
                       "{\"request\":\"9999\",\"mode\":\"copy\"}", 404, "No access request R9999");
  g_clear_pointer (&reply, g_free);

  /* A session still being recorded is not granted, even of the case. */
  a3 = cr_test_start_session (room, CASE_A);
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"mode\":\"copy\","
                          "\"sessions\":\"%" G_GINT64_FORMAT "\"}", request, a3);
  expect_refusal (room, "POST", "/api/v1/access/grant", approver, body, 400,
                  "still being recorded");
  g_clear_pointer (&body, g_free);

  body = g_strdup_printf ("{\"request\":\"R%" G_GINT64_FORMAT "\",\"mode\":\"copy\",\"days\":"
                          "\"7\",\"redactions\":\"[{\\\"kind\\\":\\\"mute\\\",\\\"track\\\":"
                          "\\\"mix\\\",\\\"from\\\":\\\"00:00:00\\\",\\\"to\\\":"
                          "\\\"00:00:01\\\",\\\"reason\\\":\\\"未成年人姓名\\\"}]\"}", request);
  status = api (room, "POST", "/api/v1/access/grant", approver, body, &reply);
  g_clear_pointer (&body, g_free);
  if (status != 200)
    g_error ("grant: %u %s", status, reply);
  object = parse_object (reply);
  grant = json_object_get_int_member (object, "grant");
  code = g_strdup (json_object_get_string_member (object, "code"));
  slip = g_strdup (json_object_get_string_member (object, "slip_html"));
  g_assert_cmpint (grant, >, 0);
  canonical_code = g_strdelimit (g_strdup (code), "-", ' ');
  {
    /* At least 26 base32 characters, shown once. */
    g_autoptr (GString) bare = g_string_new (NULL);
    for (const char *p = code; *p != '\0'; p++)
      if (*p != '-')
        g_string_append_c (bare, *p);
    g_assert_cmpuint (bare->len, >=, 26);
    g_assert_true (g_regex_match_simple ("^[0-9A-HJKMNP-TV-Z]+$", bare->str, 0, 0));
    g_free (canonical_code);
    canonical_code = g_strdup (bare->str);
  }
  g_assert_nonnull (strstr (slip, code));
  g_assert_nonnull (strstr (slip, "张三"));
  g_assert_nonnull (strstr (slip, CASE_A));
  g_assert_nonnull (strstr (slip, "<svg"));
  path = g_strdup_printf ("/api/v1/access/slip/%" G_GINT64_FORMAT, grant);
  g_assert_cmpstr (json_object_get_string_member (object, "slip_url"), ==, path);
  g_clear_pointer (&object, json_object_unref);
  g_clear_pointer (&reply, g_free);

  /* The grant of "all" left the running session out. */
  cr_test_stop_and_wait (room, a3);

  /* A copy per covered session, rendered in the background: watermarked,
   * with its signed manifest, a copy-rendered event, verify-copy content. */
  {
    WaitReady wait = { room, clerk, grant };
    g_autofree char *copy = g_strdup_printf ("%s/copies/G%" G_GINT64_FORMAT "/S%" G_GINT64_FORMAT
                                             "/copy.mp4", room->storage_dir, grant, a1);
    g_autofree char *manifest = g_strconcat (copy, ".manifest.json", NULL);
    g_autofree char *ready = NULL;
    g_autofree char *q = g_strdup_printf ("SELECT count (*) FROM derived_copies WHERE grant_id = %"
                                          G_GINT64_FORMAT " AND state = 'ready' AND length "
                                          "(sha256) = 64", grant);
    g_autoptr (JsonObject) probe = NULL;

    if (!cr_test_wait_until (grant_ready, &wait, 45000))
      {
        g_autofree char *list = NULL;
        api (room, "GET", "/api/v1/access/requests", clerk, NULL, &list);
        g_autofree char *daemon = NULL;
        g_file_get_contents (room->daemon_log, &daemon, NULL, NULL);
        g_error ("the copies of G%" G_GINT64_FORMAT " were not ready in 45 s: %s\n%s", grant,
                 list, daemon);
      }
    ready = sql_value (room, q);
    g_assert_cmpstr (ready, ==, "2");
    probe = cr_test_ffprobe (copy, FALSE);
    g_assert_nonnull (probe);
    g_assert_true (g_file_test (manifest, G_FILE_TEST_EXISTS));
    g_assert_cmpint (cr_test_client (room, &out, &err, "verify-copy", copy, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "张三"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    kinds = event_kinds (room, a1);
    g_assert_nonnull (strstr (kinds, "copy-rendered,"));
    g_clear_pointer (&kinds, g_free);
  }

  /* The QR code as a phone sees it: the address with the code. */
  qr = read_qr (room->dir, slip);
  if (qr != NULL)
    {
      g_test_message ("the QR code reads %s", qr);
      g_assert_true (g_str_has_suffix (qr, code));
      g_assert_nonnull (strstr (qr, "/access/#code="));
    }
  else
    g_test_message ("zbarimg or chromium missing: the QR code is only looked at");

  /* One decision per request. */
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"mode\":\"review\"}", request);
  expect_refusal (room, "POST", "/api/v1/access/grant", approver, body, 409, "granted already");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);

  /* The reprint has no code; only an approver's. */
  g_assert_cmpuint (api (room, "GET", path, clerk, NULL, NULL), ==, 403);
  g_assert_cmpuint (api (room, "GET", path, approver, NULL, &reply), ==, 200);
  g_assert_nonnull (strstr (reply, "张三"));
  g_assert_null (strstr (reply, code));
  g_clear_pointer (&reply, g_free);
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/slip/x1", approver, NULL, NULL), ==, 400);
  g_assert_cmpuint (api (room, "POST", path, approver, "{}", NULL), ==, 405);
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/grant", approver, NULL, NULL), ==, 405);
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/requests", NULL, NULL, NULL), ==, 401);
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/requests", "cru_forged", NULL, NULL), ==,
                    401);
  {
    /* A redaction list past the route's 96 kB. */
    g_autofree char *filler = g_strnfill (100 * 1024, 'a');
    g_autofree char *big = g_strdup_printf ("{\"request\":\"1\",\"mode\":\"copy\","
                                            "\"redactions\":\"%s\"}", filler);
    g_assert_cmpuint (api (room, "POST", "/api/v1/access/grant", approver, big, NULL), ==, 413);
  }
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/slip/999", approver, NULL, NULL), ==, 404);

  /* --- nothing in clear ---------------------------------------------------- */
  {
    g_autofree char *db = g_build_filename (room->storage_dir, "index.db", NULL);
    const char *argv[] = { "sqlite3", db, ".dump", NULL };
    g_autofree char *lower = g_ascii_strdown (IDENTITY, -1);

    g_assert_cmpint (cr_test_run (&dump, NULL, argv), ==, 0);
    g_assert_nonnull (strstr (dump, "access_requests"));
    g_assert_nonnull (strstr (dump, "张三"));
    g_assert_null (strstr (dump, IDENTITY));
    g_assert_null (strstr (dump, lower));
    g_assert_null (strstr (dump, "199001011"));
    g_assert_null (strstr (dump, canonical_code));
    g_assert_null (strstr (dump, code));
  }
  g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
  g_assert_null (strstr (log, IDENTITY));
  g_assert_null (strstr (log, code));

  /* --- in each covered session's chain ------------------------------------- */
  kinds = event_kinds (room, a1);
  g_assert_nonnull (strstr (kinds, "access-requested,"));
  g_assert_nonnull (strstr (kinds, "access-granted,"));
  g_clear_pointer (&kinds, g_free);
  kinds = event_kinds (room, a2);
  g_assert_nonnull (strstr (kinds, "access-requested,"));
  g_assert_nonnull (strstr (kinds, "access-granted,"));
  g_clear_pointer (&kinds, g_free);
  kinds = event_kinds (room, b1);
  g_assert_null (strstr (kinds, "access-"));
  g_clear_pointer (&kinds, g_free);
  {
    g_autofree char *q = g_strdup_printf ("SELECT count (*) FROM events WHERE kind = "
                                          "'access-granted' AND json_extract (detail, "
                                          "'$.grant') = %" G_GINT64_FORMAT " AND json_extract "
                                          "(detail, '$.by') = 'approver1'", grant);
    g_autofree char *n = sql_value (room, q);
    g_assert_cmpstr (n, ==, "2");
  }
  /* One render job per covered session, private. */
  {
    g_autofree char *job = g_strdup_printf ("%s/copies/G%" G_GINT64_FORMAT "/S%" G_GINT64_FORMAT
                                            ".job.json", room->storage_dir, grant, a1);
    g_autofree char *text = NULL;
    GStatBuf st;

    g_assert_true (g_file_get_contents (job, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "courtrec-render-1"));
    g_assert_nonnull (strstr (text, "张三 · 授权 G"));
    g_assert_nonnull (strstr (text, "未成年人姓名"));
    g_assert_null (strstr (text, "\"00:00:01\""));   /* resolved to UTC */
    g_assert_cmpint (g_stat (job, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  g_assert_cmpint (cr_test_client (room, &out, &err, "verify", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --- refusal needs a reason; revocation; expiry ---------------------------- */
  status = api (room, "POST", "/api/v1/access/request", clerk,
                "{\"case\":\"" CASE_A "\",\"requester\":\"李四\",\"role\":\"media\","
                "\"identity\":\"110101198001010011\"}", &reply);
  g_assert_cmpuint (status, ==, 200);
  object = parse_object (reply);
  request2 = json_object_get_int_member (object, "request");
  g_clear_pointer (&object, json_object_unref);
  g_clear_pointer (&reply, g_free);
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\"}", request2);
  expect_refusal (room, "POST", "/api/v1/access/refuse", approver, body, 400, "\\\"reason\\\" is missing");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"reason\":\"  \"}", request2);
  expect_refusal (room, "POST", "/api/v1/access/refuse", approver, body, 400, NULL);
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"reason\":\"不公开审理\"}",
                          request2);
  expect_refusal (room, "POST", "/api/v1/access/refuse", clerk, body, 403, NULL);
  g_clear_pointer (&reply, g_free);
  g_assert_cmpuint (api (room, "POST", "/api/v1/access/refuse", approver, body, NULL), ==, 200);
  g_clear_pointer (&body, g_free);
  body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"mode\":\"review\"}", request2);
  expect_refusal (room, "POST", "/api/v1/access/grant", approver, body, 409, "refused already");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);

  body = g_strdup_printf ("{\"grant\":\"%" G_GINT64_FORMAT "\"}", grant);
  expect_refusal (room, "POST", "/api/v1/access/revoke", approver, body, 400, "\\\"reason\\\" is missing");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);
  {
    /* A revoked grant's copies are deleted at once. */
    g_autofree char *copies = g_strdup_printf ("%s/copies/G%" G_GINT64_FORMAT,
                                               room->storage_dir, grant);
    g_assert_true (g_file_test (copies, G_FILE_TEST_IS_DIR));
    body = g_strdup_printf ("{\"grant\":\"G%" G_GINT64_FORMAT "\",\"reason\":\"申请人撤回\"}",
                            grant);
    g_assert_cmpuint (api (room, "POST", "/api/v1/access/revoke", approver, body, NULL), ==,
                      200);
    g_assert_false (g_file_test (copies, G_FILE_TEST_EXISTS));
  }
  expect_refusal (room, "POST", "/api/v1/access/revoke", approver, body, 409, "revoked already");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&body, g_free);

  /* A grant that ends in a second. */
  status = api (room, "POST", "/api/v1/access/request", clerk,
                "{\"case\":\"" CASE_A "\",\"requester\":\"王五\",\"role\":\"agent\","
                "\"identity\":\"110101198001010022\"}", &reply);
  g_assert_cmpuint (status, ==, 200);
  object = parse_object (reply);
  request3 = json_object_get_int_member (object, "request");
  g_clear_pointer (&object, json_object_unref);
  g_clear_pointer (&reply, g_free);
  {
    g_autofree char *soon = cr_format_utc (g_get_real_time () + 1500000);
    body = g_strdup_printf ("{\"request\":\"%" G_GINT64_FORMAT "\",\"mode\":\"review\","
                            "\"expires\":\"%s\"}", request3, soon);
  }
  g_assert_cmpuint (api (room, "POST", "/api/v1/access/grant", approver, body, NULL), ==, 200);
  g_clear_pointer (&body, g_free);
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpuint (api (room, "GET", "/api/v1/access/requests", clerk, NULL, &reply), ==, 200);
  g_assert_nonnull (strstr (reply, "\"revoked\""));
  g_assert_nonnull (strstr (reply, "\"expired\""));
  g_assert_nonnull (strstr (reply, "\"refused\""));
  g_clear_pointer (&reply, g_free);
  kinds = event_kinds (room, a2);
  g_assert_nonnull (strstr (kinds, "access-refused,"));
  g_assert_nonnull (strstr (kinds, "access-revoked,"));
  g_clear_pointer (&kinds, g_free);

  /* --- the console's panel, in chromium ------------------------------------- */
  if (cr_test_browser_available ())
    {
      g_autofree char *script = cr_test_top_path ("tests/console-page.mjs");
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/console/", room->port);
      /* The panel's screenshot is kept in $CR_ARTIFACTS/access. */
      g_autofree char *kept = g_getenv ("CR_ARTIFACTS") != NULL
                                ? g_build_filename (g_getenv ("CR_ARTIFACTS"), "access", NULL)
                                : g_strdup (room->dir);
      g_autofree char *artifacts = g_strdup_printf ("--artifacts=%s", kept);
      const char *argv[] = { "node", script, url, "approver", "--user=approver1",
                             "--password=" PASSWORD, artifacts, NULL };
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (JsonObject) summary = NULL;
      g_autofree char *q = NULL, *n = NULL;
      gint64 page_request;

      g_assert_cmpuint (api (room, "POST", "/api/v1/access/request", clerk,
                             "{\"case\":\"" CASE_A "\",\"requester\":\"孙七\","
                             "\"role\":\"victim\",\"identity\":\"110101198001010044\"}",
                             NULL), ==, 200);
      g_mkdir_with_parents (kept, 0700);
      status = cr_test_run (&out, &err, argv);
      g_test_message ("console-page.mjs approver: %s%s", out, err);
      g_assert_cmpint (status, ==, 0);
      g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
      summary = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
      page_request = json_object_get_int_member (summary, "request");
      /* What the page did is in the index, by the approver's account. */
      q = g_strdup_printf ("SELECT g.mode || '|' || g.granted_by || '|' || g.revoked_by || '|' || "
                           "(julianday (g.expires_at) - julianday (g.granted_at) BETWEEN 4.99 "
                           "AND 5.01) FROM access_grants g WHERE g.request_id = %"
                           G_GINT64_FORMAT, page_request);
      n = sql_value (room, q);
      g_assert_cmpstr (n, ==, "copy|approver1|approver1|1");
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
    }
  else
    g_test_message ("node, playwright-core or chromium missing: the console's panel untried");

  /* --- the CLI ------------------------------------------------------------- */
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "grant", "--mode", "review",
                                   NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--request"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "grant", "--request", "1",
                                   "--mode", "download", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "mode 'download'"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "grant", "--request", "1",
                                   "--mode", "copy", "--cut", "00:00:01:nothing", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--cut"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "grant", "--request", "1",
                                   "--mode", "copy", "--blur", "1,2,x,4@00:00:01-00:00:02:face",
                                   NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--blur"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "request", "--case", CASE_A,
                                   "--name", "赵六", "--role", "judge", "--id-number", "1234",
                                   NULL), ==, 2);
  g_assert_nonnull (strstr (err, "role 'judge'"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "refuse", "--request", "1",
                                   NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--reason"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "grant", "--request", "1",
                                   "--mode", "copy", "--days", "100", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "days"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "frobnicate", NULL), ==, 2);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (cr_test_client (room, &out, &err, "access", "request", "--case",
                                   "(2026)浙1022民初88号", "--name", "赵六", "--role", "defence",
                                   "--id-number", "110101198001010033", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Request R"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *slip_file = g_build_filename (room->dir, "slip-cli.html", NULL);
    g_autofree char *id = NULL;
    g_autofree char *last = sql_value (room, "SELECT max (id) FROM access_requests");
    g_autofree char *sessions = g_strdup_printf ("%" G_GINT64_FORMAT, a2);
    g_autofree char *html = NULL;
    GStatBuf st;

    id = g_strdup_printf ("R%s", last);
    g_assert_cmpint (cr_test_client (room, &out, &err, "access", "grant", "--request", id,
                                     "--mode", "review", "--sessions", sessions, "--cut",
                                     "00:00:00-00:00:01:证人保护", "--slip", slip_file,
                                     NULL), ==, 0);
    g_assert_nonnull (strstr (out, "Access code"));
    g_assert_true (g_file_get_contents (slip_file, &html, NULL, NULL));
    g_assert_nonnull (strstr (html, "赵六"));
    g_assert_cmpint (g_stat (slip_file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    /* The slip again, from the CLI: the name, never the code. */
    g_autofree char *again = g_build_filename (room->dir, "slip-again.html", NULL);
    g_autofree char *id = g_strdup_printf ("G%" G_GINT64_FORMAT, grant);
    g_autofree char *html = NULL;

    g_assert_cmpint (cr_test_client (room, &out, &err, "access", "slip", "--grant", id, "-o",
                                     again, NULL), ==, 0);
    g_assert_true (g_file_get_contents (again, &html, NULL, NULL));
    g_assert_nonnull (strstr (html, "张三"));
    g_assert_null (strstr (html, code));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "slip", "--grant", "G-1",
                                     NULL), ==, 2);
    g_assert_nonnull (strstr (err, "--grant"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cr_test_client (room, NULL, &err, "access", "slip", "--grant", "G999",
                                     NULL), ==, 2);
    g_assert_nonnull (strstr (err, "No access grant G999"));
    g_clear_pointer (&err, g_free);
  }
  g_assert_cmpint (cr_test_client (room, &out, &err, "access", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "赵六"));
  g_assert_nonnull (strstr (out, "refused"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --- an edited access row is caught ---------------------------------------- */
  g_assert_cmpint (cr_test_client (room, &out, &err, "verify", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *edit = g_strdup_printf (
        "UPDATE events SET detail = json_set (detail, '$.mode', 'review') WHERE session_id = %"
        G_GINT64_FORMAT " AND kind = 'access-granted' AND json_extract (detail, '$.grant') = %"
        G_GINT64_FORMAT, a1, grant);
    g_autofree char *done = sql_value (room, edit);
  }
  g_assert_cmpint (cr_test_client (room, &out, &err, "verify", NULL), ==, 3);
  g_assert_nonnull (strstr (out, "edited"));

  /* A restart renders again the copies that failed, of grants in force
   * only. */
  {
    g_autofree char *q = g_strdup_printf ("UPDATE derived_copies SET state = 'failed', error = "
                                          "'disk full' WHERE grant_id IN (%" G_GINT64_FORMAT
                                          ", (SELECT max (id) FROM access_grants))", grant);
    g_autofree char *done = sql_value (room, q);
  }
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 20), ==, 0);
  cr_test_room_start (room);
  g_clear_pointer (&log, g_free);
  g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
  {
    g_autofree char *again = g_strdup_printf ("for G%" G_GINT64_FORMAT " again", grant);
    g_autofree char *last = sql_value (room, "SELECT max (id) FROM access_grants");
    g_autofree char *latest = g_strdup_printf ("for G%s again: the last render failed", last);

    g_assert_null (strstr (log, again));        /* revoked */
    g_assert_nonnull (strstr (log, latest));
    for (guint i = 0; i < 300; i++)
      {
        g_autofree char *state = sql_value (room, "SELECT group_concat (state) FROM "
                                            "derived_copies WHERE grant_id = (SELECT max (id) "
                                            "FROM access_grants)");
        if (g_str_equal (state, "ready"))
          break;
        g_assert_cmpuint (i, <, 299);
        g_usleep (100 * 1000);
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/access/codes", test_codes);
  g_test_add_func ("/courtrec/access/slip-escapes", test_slip_escapes);
  g_test_add_func ("/courtrec/access/service-party-side", test_service_party_side);
  g_test_add_func ("/courtrec/access/requests-and-grants", test_requests_and_grants);
  return g_test_run ();
}
