/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-access-page.c: the party's pages in headless chromium
 * (tests/access-page.mjs) against a real courtrecd: a lawyer logs in with
 * the slip's code as typed, sees the case's hearings and only those,
 * plays one (time advances, a seek lands, a chapter click jumps), in mode
 * copy downloads the copy (the same bytes as the copy on disk, by
 * SHA-256), in mode review finds no download anywhere, and watches the
 * player stop within seconds of the approver's revocation. The public
 * request form files a request the clerk then lists. The events the pages
 * caused are read back from each session's chain with sqlite3. */
#include "tests/test-util-access.h"

#include <string.h>

#define CASE_A "（2026）浙1022民初88号"
#define CASE_B "（2026）浙1022刑初7号"
#define IDENTITY "33010219900101123X"

static char *
artifacts_dir (void)
{
  const char *base = g_getenv ("CR_ARTIFACTS");
  g_autofree char *build = base == NULL ? cr_test_build_path ("artifacts") : NULL;
  char *dir = g_build_filename (base != NULL ? base : build, "access", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return dir;
}

/* tests/access-page.mjs @scenario with @args (NULL-terminated), asserting
 * it exits 0. (transfer full): its JSON summary. */
static JsonObject *
run_page (CrTestRoom *room, const char *scenario, ...)
{
  g_autofree char *script = cr_test_top_path ("tests/access-page.mjs");
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/access/%s", room->public_port,
                                          g_str_equal (scenario, "request") ? "request" : "");
  g_autofree char *dir = artifacts_dir ();
  g_autofree char *artifacts = g_strdup_printf ("--artifacts=%s", dir);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL, *err = NULL;
  gint64 started = g_get_monotonic_time ();
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, "node");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, url);
  g_ptr_array_add (argv, (gpointer) scenario);
  g_ptr_array_add (argv, artifacts);
  va_start (args, scenario);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  status = cr_test_run (&out, &err, (const char *const *) argv->pdata);
  g_test_message ("access-page.mjs %s (%.1f s): %s%s", scenario,
                  (g_get_monotonic_time () - started) / 1e6, out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static guint
count_lines_with (const char *text, const char *needle)
{
  guint n = 0;
  g_auto (GStrv) lines = g_strsplit (text, "\n", 0);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      n++;
  return n;
}

static void
test_pages (void)
{
  g_autoptr (CrTestRoom) room = NULL;
  g_autoptr (JsonObject) copy = NULL, review = NULL;
  g_autofree char *copy_code = NULL, *review_code = NULL, *ignored = NULL;
  g_autofree char *sessions = NULL, *foreign = NULL, *code_arg = NULL, *events = NULL;
  g_autofree char *dir = NULL, *copy_path = NULL, *expected = NULL, *out = NULL;
  g_autofree char *revoke_url = NULL, *token = NULL, *grant_arg = NULL, *clerk = NULL;
  g_autofree char *listed = NULL;
  JsonObject *download;
  gint64 a1, a2, b1, copy_grant, review_grant;

  if (!cr_test_browser_available ())
    {
      g_test_skip ("node, playwright-core or /usr/bin/chromium missing");
      return;
    }
  room = cr_test_room_new (60, NULL);
  cr_test_access_add_users (room);
  cr_test_room_start (room);
  a1 = cr_test_access_record (room, CASE_A, 6, FALSE);
  a2 = cr_test_access_record (room, CASE_A, 1, FALSE);
  b1 = cr_test_access_record (room, CASE_B, 1, FALSE);
  copy_grant = cr_test_access_grant (room, CASE_A, "all", "张三", IDENTITY, "copy", &copy_code);
  review_grant = cr_test_access_grant (room, CASE_A, "all", "张三", IDENTITY, "review",
                                       &review_code);
  /* Case B's grant: its session exists and is rendered, for another. */
  cr_test_access_grant (room, CASE_B, "all", "赵六", "330102198001015678", "copy", &ignored);
  cr_test_access_copies_ready (room, copy_grant);
  cr_test_access_copies_ready (room, review_grant);
  sessions = g_strdup_printf ("--sessions=%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, a1, a2);
  foreign = g_strdup_printf ("--foreign=%" G_GINT64_FORMAT, b1);

  /* Mode copy: play, then download; the second session's copy shown as
   * still being rendered (its row set back for the while). */
  code_arg = g_strdup_printf ("--code=%s", copy_code);
  {
    g_autofree char *pending = g_strdup_printf ("--pending=%" G_GINT64_FORMAT, a2);
    g_autofree char *query = g_strdup_printf ("UPDATE derived_copies SET state = '%%s' WHERE "
                                              "grant_id = %" G_GINT64_FORMAT
                                              " AND session_id = %" G_GINT64_FORMAT,
                                              copy_grant, a2);
    g_autofree char *to_pending = g_strdup_printf (query, "pending");
    g_autofree char *to_ready = g_strdup_printf (query, "ready");
    g_free (cr_test_access_sql (room, to_pending));
    copy = run_page (room, "copy", code_arg, "--id=123X", sessions, foreign, pending, NULL);
    g_free (cr_test_access_sql (room, to_ready));
  }
  download = json_object_get_object_member (copy, "download");
  dir = cr_test_access_copy_dir (room, copy_grant, a1);
  copy_path = g_build_filename (dir, "copy.mp4", NULL);
  {
    const char *argv[] = { "sha256sum", copy_path, NULL };
    g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
    expected = g_strndup (out, 64);
  }
  g_assert_cmpstr (json_object_get_string_member (download, "sha256"), ==, expected);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (download, "name"),
                                   "copy.mp4"));

  /* Mode review: play, no download, revoked under the player's feet. */
  g_free (code_arg);
  code_arg = g_strdup_printf ("--code=%s", review_code);
  revoke_url = g_strdup_printf ("--revoke-url=http://127.0.0.1:%u/api/v1/access/revoke",
                                room->port);
  token = cr_test_access_token (room, "approver1");
  {
    g_autofree char *token_arg = g_strdup_printf ("--token=%s", token);
    grant_arg = g_strdup_printf ("--grant=G%" G_GINT64_FORMAT, review_grant);
    review = run_page (room, "review", code_arg, "--id=123x", sessions, foreign, revoke_url,
                       token_arg, grant_arg, NULL);
  }
  g_assert_cmpfloat (json_object_get_double_member (review, "revoked_seconds"), <=, 6.0);

  /* What the pages did is in each covered session's chain. */
  for (guint i = 0; i < 100; i++)
    {
      g_free (events);
      events = cr_test_access_events (room, a2);
      if (count_lines_with (events, "download ") >= 1 &&
          count_lines_with (events, "playback-end") >= 2)
        break;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_test_message ("events of session %" G_GINT64_FORMAT ":\n%s", a2, events);
  g_assert_cmpuint (count_lines_with (events, "access-code-used"), ==, 2);
  g_assert_cmpuint (count_lines_with (events, "playback-start"), >=, 2);
  g_assert_cmpuint (count_lines_with (events, "playback-end"), >=, 1);
  g_assert_cmpuint (count_lines_with (events, "download "), ==, 1);
  g_assert_nonnull (strstr (events, "\"complete\":true"));
  g_assert_cmpuint (count_lines_with (events, "access-revoked"), ==, 1);
  g_free (events);
  events = cr_test_access_events (room, b1);
  g_assert_cmpuint (count_lines_with (events, "playback-"), ==, 0);
  /* Those events are links of the chain: `courtrec verify` holds them. */
  {
    g_autofree char *verify_out = NULL, *verify_err = NULL;
    int verified = cr_test_client (room, &verify_out, &verify_err, "verify", "--case", CASE_A,
                                   NULL);
    if (verified != 0)
      g_error ("verify: %d %s%s", verified, verify_out, verify_err);
  }

  /* The public form, filled in after the copy scenario's download. */
  g_assert_true (g_regex_match_simple ("^R[0-9]+$",
                                       json_object_get_string_member (copy, "reference"), 0, 0));
  clerk = cr_test_access_token (room, "clerk1");
  g_assert_cmpuint (cr_test_http (room, "GET", "/api/v1/access/requests", clerk, NULL, &listed),
                    ==, 200);
  g_assert_nonnull (strstr (listed, "钱七"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/access-page/pages", test_pages);
  return g_test_run ();
}
