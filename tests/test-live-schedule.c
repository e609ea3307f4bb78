/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-live-schedule.c: the public schedule of /live/, as a member of the
 * public and a court's IT would try it: the coming public trials approved
 * for broadcast show with the court's time (Asia/Shanghai) and nothing of
 * any other hearing is in any answer; the page names the next live trial
 * and, once one is on air, that one; a crowd costs the index one read per
 * period and leaves the recording whole; hostile requests get 4xx. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "archive/case-number.h"
#include "schedule/hearing-store.h"
#include "streaming/live-schedule.h"
#include "tests/test-util.h"

#define ZONE "Asia/Shanghai"
#define SCRIPT_TITLE "<script>window.__injected=1</script><img src=x onerror=\"window.__injected=2\">"

/* A hearing of the test, and where it must (not) show. */
typedef struct {
  const char *uid;
  const char *case_no;   /* as typed */
  const char *title;
  int day;               /* days after today, in the court's zone */
  int hour, minute;      /* its start, court time; lasts an hour */
  gboolean public_hearing;
  const char *status;
  const char *decision;  /* "approve", "forbid", "approve+forbid" or NULL */
  gboolean listed;
} Seed;

static const Seed seeds[] = {
  { "a", "（2026）浙0102民初101号", "张三诉李四买卖合同纠纷", 1, 9, 0, TRUE, "scheduled",
    "approve", TRUE },
  { "b", "（2026）浙0102民初102号", SCRIPT_TITLE, 1, 14, 0, TRUE, "scheduled", "approve",
    TRUE },
  { "c", "（2026）浙0102民初103号", "王五诉赵六借款合同纠纷", 2, 10, 30, TRUE, "scheduled",
    "approve", TRUE },
  { "np", "（2026）浙0102民初201号", "秘密甲案不公开审理", 1, 11, 0, FALSE, "scheduled",
    "approve", FALSE },
  { "na", "（2026）浙0102民初202号", "未批准乙案", 1, 15, 0, TRUE, "scheduled", NULL, FALSE },
  { "fb", "（2026）浙0102民初203号", "禁播丙案", 1, 16, 0, TRUE, "scheduled",
    "approve+forbid", FALSE },
  { "cx", "（2026）浙0102民初204号", "取消丁案", 2, 9, 0, TRUE, "cancelled", "approve", FALSE },
  { "far", "（2026）浙0102民初205号", "远期戊案", 5, 9, 0, TRUE, "scheduled", "approve", FALSE },
  { "rm", "（2026）浙0102民初206号", "撤下己案", 2, 14, 0, TRUE, "scheduled", "approve", FALSE },
  { "nh", "（2026）浙0102民初207号", "未开庭庚案", 2, 15, 0, TRUE, "scheduled", "approve",
    FALSE },
  { "past", "（2026）浙0102民初208号", "已结束辛案", -2, 9, 0, TRUE, "scheduled", "approve",
    FALSE },
};

/* The hearing on air in the second half. */
#define LIVE_CASE "（2026）浙0102民初301号"
#define LIVE_TITLE "孙七诉周八租赁合同纠纷"

static struct {
  CrTestRoom *room;
  GTimeZone *zone;
  char *canonical[G_N_ELEMENTS (seeds)];
} fx;

/* ---- helpers ----------------------------------------------------------- */

/* UTC microseconds of @hour:@minute, @day days after today, court time. */
static gint64
court_time (int day, int hour, int minute)
{
  g_autoptr (GDateTime) now = g_date_time_new_now (fx.zone);
  g_autoptr (GDateTime) then = g_date_time_add_days (now, day);
  g_autoptr (GDateTime) at = g_date_time_new (fx.zone, g_date_time_get_year (then),
                                              g_date_time_get_month (then),
                                              g_date_time_get_day_of_month (then), hour,
                                              minute, 0);
  return g_date_time_to_unix (at) * G_USEC_PER_SEC;
}

static char *
court_local (int day, int hour, int minute)
{
  g_autoptr (GDateTime) now = g_date_time_new_now (fx.zone);
  g_autoptr (GDateTime) then = g_date_time_add_days (now, day);
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:00+08:00", g_date_time_get_year (then),
                          g_date_time_get_month (then), g_date_time_get_day_of_month (then),
                          hour, minute);
}

static CrHearingRow *
hearing_row (const char *uid, const char *case_no, const char *title, gint64 starts_us,
             gint64 ends_us, gboolean public_hearing, const char *status)
{
  CrHearingRow *row = g_new0 (CrHearingRow, 1);
  g_autoptr (GError) error = NULL;

  row->uid = g_strdup (uid);
  row->case_no = cr_case_number_canonicalize (case_no, &error);
  g_assert_no_error (error);
  row->title = g_strdup (title);
  row->location = g_strdup ("test-room");
  row->starts_us = starts_us;
  row->ends_us = ends_us;
  row->public_hearing = public_hearing;
  row->status = g_strdup (status);
  row->description = g_strdup ("当事人：某某某（身份证 330102197001011234）");
  return row;
}

static CrSegmentIndex *
open_index (CrTestRoom *room)
{
  g_autofree char *path = g_build_filename (room->storage_dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  CrSegmentIndex *index;

  g_mkdir_with_parents (room->storage_dir, 0700);
  index = cr_segment_index_open (path, FALSE, &error);
  g_assert_no_error (error);
  return index;
}

/* The feed lists the seeds (without "rm" when @drop_removed), and with
 * @live the hearing on air now too; "nh" is marked not held. */
static void
seed_feed (CrSegmentIndex *index, gboolean drop_removed, gboolean live)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrHearingRow) not_held = NULL;
  gint64 now = g_get_real_time ();

  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      const Seed *seed = &seeds[i];
      gint64 starts = court_time (seed->day, seed->hour, seed->minute);
      if (drop_removed && g_str_equal (seed->uid, "rm"))
        continue;
      g_ptr_array_add (rows, hearing_row (seed->uid, seed->case_no, seed->title, starts,
                                          starts + G_TIME_SPAN_HOUR, seed->public_hearing,
                                          seed->status));
    }
  if (live)
    g_ptr_array_add (rows, hearing_row ("live", LIVE_CASE, LIVE_TITLE, now - 10 * G_TIME_SPAN_MINUTE,
                                        now + 2 * G_TIME_SPAN_HOUR, TRUE, "scheduled"));
  g_assert_true (cr_hearing_store_replace (index, "feed", rows, now, NULL, &error));
  g_assert_no_error (error);
  not_held = cr_hearing_store_find_uid (index, "feed", "nh", &error);
  g_assert_no_error (error);
  g_assert_nonnull (not_held);
  g_assert_true (cr_hearing_store_set_not_held (index, not_held->id, now, "书记员",
                                                "当事人未到庭", &error));
}

typedef struct {
  guint status;
  char *body;
  SoupMessageHeaders *headers;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->body, g_free);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

/* @method @path on the public listener, with one optional header. */
static void
public_http (const char *method, const char *path, const char *header, const char *value,
             Reply *reply)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", fx.room->public_port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (msg);
  if (header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), header, value);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  reply_clear (reply);
  reply->status = soup_message_get_status (msg);
  reply->body = g_bytes_get_size (body) > 0
                    ? g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body))
                    : g_strdup ("");
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
}

/* Sends @request as is on a new connection; the status of the answer, or
 * 0 when the server closed without one. */
static guint
raw_exchange (const char *request, gsize length)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  char answer[64] = { 0 };
  gsize got = 0;
  guint status = 0;

  g_socket_client_set_timeout (client, 15);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", fx.room->public_port,
                                                NULL, &error);
  g_assert_no_error (error);
  /* The server may answer and close before it has read everything. */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, length, NULL, NULL, NULL);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)), answer,
                           sizeof answer - 1, &got, NULL, NULL);
  if (g_str_has_prefix (answer, "HTTP/1.1 ") || g_str_has_prefix (answer, "HTTP/1.0 "))
    status = (guint) g_ascii_strtoull (answer + 9, NULL, 10);
  g_test_message ("%.40s... -> %.30s", request, answer);
  return status;
}

static JsonObject *
schedule_json (const char *path, char **raw)
{
  g_auto (Reply) reply = { 0 };
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  public_http ("GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (reply.headers, NULL), ==,
                   "application/json");
  node = json_from_string (reply.body, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  if (raw != NULL)
    *raw = g_strdup (reply.body);
  return json_object_ref (json_node_get_object (node));
}

/* Nothing of a hearing that is not listed is in @bytes: not its case number
 * (as typed or canonical), not its title; no description of any. */
static void
assert_nothing_hidden (const char *bytes)
{
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      if (seeds[i].listed)
        continue;
      g_assert_null (strstr (bytes, seeds[i].case_no));
      g_assert_null (strstr (bytes, fx.canonical[i]));
      g_assert_null (strstr (bytes, seeds[i].title));
    }
  g_assert_null (strstr (bytes, "330102197001011234"));
  g_assert_null (strstr (bytes, "当事人"));
}

/* tests/live-schedule-page.mjs on /live/ with @spec; asserts it passes. */
static void
assert_page (const char *path, JsonBuilder *spec)
{
  g_autoptr (JsonNode) root = json_builder_get_root (spec);
  g_autofree char *spec_text = json_to_string (root, FALSE);
  g_autofree char *script = cr_test_top_path ("tests/live-schedule-page.mjs");
  g_autofree char *page = g_strdup_printf ("http://127.0.0.1:%u%s", fx.room->public_port, path);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "node", script, page, spec_text, NULL };
  gint64 started = g_get_monotonic_time ();
  int status = cr_test_run (&out, &err, argv);

  g_test_message ("live-schedule-page.mjs %s (%.1f s): %s%s", page,
                  (g_get_monotonic_time () - started) / 1e6, out, err);
  g_assert_cmpint (status, ==, 0);
}

static void
add_strings (JsonBuilder *builder, const char *name, const char *const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (gsize i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_absent (JsonBuilder *builder)
{
  json_builder_set_member_name (builder, "absent");
  json_builder_begin_array (builder);
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    if (!seeds[i].listed)
      {
        json_builder_add_string_value (builder, fx.canonical[i]);
        json_builder_add_string_value (builder, seeds[i].title);
      }
  json_builder_end_array (builder);
}

/* The page at @path shows the line holding every @line text and exactly the
 * rows of @rows (case numbers, in order), a cell for each of @cells (each
 * NULL-terminated; @cells may be NULL), and nothing of the hidden seeds. */
static void
check_page (const char *path, const char *const *line, const char *const *rows,
            const char *const *cells)
{
  g_autoptr (JsonBuilder) spec = json_builder_new ();
  const char *none[] = { NULL };

  if (!cr_test_browser_available ())
    return;
  json_builder_begin_object (spec);
  add_strings (spec, "line", line);
  add_strings (spec, "rows", rows);
  add_strings (spec, "cells", cells != NULL ? cells : none);
  add_absent (spec);
  json_builder_end_object (spec);
  assert_page (path, spec);
}

/* ---- tests ------------------------------------------------------------- */

/* In process: the cache reads the index once per period however many ask,
 * keeps its ETag for the same bytes, and the court's offset follows
 * daylight saving. */
static void
test_cache (void)
{
  g_autofree char *dir = g_dir_make_tmp ("courtrec-live-schedule-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "index.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = cr_segment_index_open (path, FALSE, &error);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_hearing_row_free);
  g_autoptr (CrLiveSchedule) schedule = NULL;
  g_autoptr (GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  g_autofree char *first_tag = NULL;
  g_autofree char *json = NULL;
  gint64 now = g_get_real_time ();
  gint64 dst_now;
  const char *etag = NULL;

  g_assert_no_error (error);
  g_ptr_array_add (rows, hearing_row ("x", "（2026）浙0102民初401号", "甲", now + G_TIME_SPAN_HOUR,
                                      now + 2 * G_TIME_SPAN_HOUR, TRUE, "scheduled"));
  g_assert_true (cr_hearing_store_replace (index, "feed", rows, now, NULL, &error));
  g_assert_cmpint (cr_segment_index_add_broadcast_decision (
                       index, ((CrHearingRow *) g_ptr_array_index (rows, 0))->case_no,
                       CR_BROADCAST_APPROVED, now, "张法官", NULL, &error), >, 0);

  schedule = cr_live_schedule_new (index, ZONE, 7, TRUE, 60);
  for (guint i = 0; i < 5000; i++)
    {
      g_autoptr (GBytes) body = cr_live_schedule_get (schedule, &etag, &error);
      g_assert_no_error (error);
      g_assert_nonnull (body);
      if (first_tag == NULL)
        first_tag = g_strdup (etag);
      g_assert_cmpstr (etag, ==, first_tag);
    }
  g_assert_cmpuint (cr_live_schedule_builds (schedule), ==, 1);
  cr_live_schedule_invalidate (schedule);
  g_bytes_unref (cr_live_schedule_get (schedule, &etag, &error));
  g_assert_cmpuint (cr_live_schedule_builds (schedule), ==, 2);
  /* Built again, the same bytes: the same tag, a viewer's copy stays good. */
  g_assert_cmpstr (etag, ==, first_tag);
  g_ptr_array_add (rows, hearing_row ("y", "（2026）浙0102民初401号", "乙", now + 3 * G_TIME_SPAN_HOUR,
                                      now + 4 * G_TIME_SPAN_HOUR, TRUE, "scheduled"));
  g_assert_true (cr_hearing_store_replace (index, "feed", rows, now, NULL, &error));
  cr_live_schedule_invalidate (schedule);
  g_bytes_unref (cr_live_schedule_get (schedule, &etag, &error));
  g_assert_cmpstr (etag, !=, first_tag);

  /* Daylight saving: Berlin goes to +02:00 on 28 March 2027. */
  g_ptr_array_set_size (rows, 0);
  cr_parse_utc ("2027-03-27T12:00:00.000Z", &dst_now);
  g_ptr_array_add (rows, hearing_row ("w", "（2026）浙0102民初401号", "冬", dst_now + G_TIME_SPAN_HOUR,
                                      dst_now + 2 * G_TIME_SPAN_HOUR, TRUE, "scheduled"));
  g_ptr_array_add (rows, hearing_row ("s", "（2026）浙0102民初401号", "夏",
                                      dst_now + 2 * G_TIME_SPAN_DAY - 5 * G_TIME_SPAN_HOUR,
                                      dst_now + 2 * G_TIME_SPAN_DAY - 4 * G_TIME_SPAN_HOUR,
                                      TRUE, "scheduled"));
  g_assert_true (cr_hearing_store_replace (index, "feed", rows, now, NULL, &error));
  json = cr_live_schedule_build (index, berlin, 7, FALSE, dst_now, &error);
  g_assert_no_error (error);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "\"starts_local\":\"2027-03-27T14:00:00+01:00\""));
  g_assert_nonnull (strstr (json, "\"starts_local\":\"2027-03-29T09:00:00+02:00\""));
  g_assert_nonnull (strstr (json, "\"starts\":\"2027-03-29T07:00:00.000Z\""));
  g_assert_nonnull (strstr (json, "\"timezone\":\"Europe/Berlin\""));
  g_assert_nonnull (strstr (json, "\"published\":false"));

  g_clear_pointer (&index, cr_segment_index_free);
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);
    g_assert_cmpint (system (rm), ==, 0);
  }
}

/* The JSON, from both routes: the three listed hearings in order with the
 * court's time, the earliest as next, nothing of the others. */
static void
test_json (void)
{
  g_autofree char *raw = NULL;
  g_autofree char *raw_room = NULL;
  g_autoptr (JsonObject) answer = schedule_json ("/live/schedule.json", &raw);
  g_autoptr (JsonObject) room_answer = schedule_json ("/live/test-room/schedule.json", &raw_room);
  JsonArray *hearings;
  JsonObject *first, *next;
  g_autofree char *local = court_local (1, 9, 0);
  g_autofree char *utc = cr_format_utc (court_time (1, 9, 0));
  g_autofree char *ends_local = court_local (1, 10, 0);
  guint listed = 0;

  g_test_message ("%s", raw);
  g_assert_cmpstr (raw, ==, raw_room);
  g_assert_cmpstr (json_object_get_string_member (answer, "timezone"), ==, ZONE);
  g_assert_cmpint (json_object_get_int_member (answer, "days"), ==, 3);
  /* The room reads no calendar (the test writes the index itself): the
   * page shows the list because it has hearings. */
  g_assert_false (json_object_get_boolean_member (answer, "published"));
  g_assert_cmpstr (json_object_get_string_member (answer, "utc_offset"), ==, "+08:00");
  g_assert_true (json_object_get_null_member (answer, "current"));
  hearings = json_object_get_array_member (answer, "hearings");
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    if (seeds[i].listed)
      {
        JsonObject *hearing = json_array_get_object_element (hearings, listed++);
        g_assert_cmpstr (json_object_get_string_member (hearing, "case"), ==, fx.canonical[i]);
        g_assert_cmpstr (json_object_get_string_member (hearing, "title"), ==, seeds[i].title);
      }
  g_assert_cmpuint (json_array_get_length (hearings), ==, listed);

  first = json_array_get_object_element (hearings, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "starts_local"), ==, local);
  g_assert_cmpstr (json_object_get_string_member (first, "ends_local"), ==, ends_local);
  g_assert_cmpstr (json_object_get_string_member (first, "starts"), ==, utc);
  /* 09:00 in Shanghai is 01:00 UTC. */
  g_assert_nonnull (strstr (utc, "T01:00:00.000Z"));
  g_assert_false (json_object_has_member (first, "description"));
  next = json_object_get_object_member (answer, "next");
  g_assert_cmpstr (json_object_get_string_member (next, "case"), ==, fx.canonical[0]);
  assert_nothing_hidden (raw);
}

/* The route's HTTP: cache headers, 304, methods, queries, unknown names. */
static void
test_http (void)
{
  g_auto (Reply) reply = { 0 };
  g_autofree char *etag = NULL;
  g_autofree char *weak = NULL;

  public_http ("GET", "/live/schedule.json", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Cache-Control"), ==,
                   "public, max-age=5");
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "X-Content-Type-Options"), ==,
                   "nosniff");
  etag = g_strdup (soup_message_headers_get_one (reply.headers, "ETag"));
  g_assert_nonnull (etag);
  g_assert_true (etag[0] == '"');

  public_http ("GET", "/live/schedule.json", "If-None-Match", etag, &reply);
  g_assert_cmpuint (reply.status, ==, 304);
  g_assert_cmpstr (reply.body, ==, "");
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "ETag"), ==, etag);
  weak = g_strdup_printf ("\"nope\", W/%s", etag);
  public_http ("GET", "/live/test-room/schedule.json", "If-None-Match", weak, &reply);
  g_assert_cmpuint (reply.status, ==, 304);
  public_http ("GET", "/live/schedule.json", "If-None-Match", "\"nope\"", &reply);
  g_assert_cmpuint (reply.status, ==, 200);

  public_http ("HEAD", "/live/schedule.json", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (reply.body, ==, "");

  /* A query string changes nothing: no cache-busting into the index, no
   * longer look ahead. */
  public_http ("GET", "/live/schedule.json?days=365&case=%3Cx%3E&x", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "ETag"), ==, etag);
  g_assert_null (strstr (reply.body, "<x>"));
  assert_nothing_hidden (reply.body);

  for (guint i = 0; i < 4; i++)
    {
      const char *methods[] = { "POST", "PUT", "DELETE", "OPTIONS" };
      public_http (methods[i], "/live/schedule.json", NULL, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 405);
      g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Allow"), ==, "GET, HEAD");
    }
  public_http ("GET", "/live/schedule.json/x", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  public_http ("GET", "/live/other-room/schedule.json", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  public_http ("GET", "/live/assets/schedule.json", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
}

/* Oversized and malformed requests: 4xx, and the route still answers. */
static void
test_hostile (void)
{
  g_autoptr (GString) big_header = g_string_new ("GET /live/schedule.json HTTP/1.1\r\nHost: t\r\n"
                                                 "X-Big: ");
  g_autoptr (GString) big_path = g_string_new ("GET /live/");
  g_autoptr (GString) many_tags = g_string_new ("GET /live/schedule.json HTTP/1.1\r\nHost: t\r\n"
                                                "If-None-Match: ");
  const char *body = "POST /live/schedule.json HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                     "\r\nhello";
  const char *huge_body = "GET /live/schedule.json HTTP/1.1\r\nHost: t\r\n"
                          "Content-Length: 100000000\r\n\r\n";
  const char *chunked = "GET /live/schedule.json HTTP/1.1\r\nHost: t\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  const char *garbage = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n";
  const char *words = "HELLO THERE\r\n\r\n";
  const char *bad_line = "GET /live/schedule.json HTTP/1.1 extra\r\nHost: t\r\n\r\n";
  const char *bad_version = "GET /live/schedule.json HTTP/9.9\r\nHost: t\r\n\r\n";
  const char *bad_escape = "GET /live/schedule.json%00%zz HTTP/1.1\r\nHost: t\r\n"
                           "Connection: close\r\n\r\n";
  guint status;
  g_autoptr (JsonObject) after = NULL;

  for (guint i = 0; i < 256 * 1024; i++)
    g_string_append_c (big_header, 'a');
  g_string_append (big_header, "\r\n\r\n");
  /* Past libsoup's 64 kB of headers the connection is closed unanswered
   * (it parses them, not courtrecd); never a 2xx. */
  status = raw_exchange (big_header->str, big_header->len);
  g_assert_true (status == 0 || (status >= 400 && status < 500));

  for (guint i = 0; i < 64 * 1024; i++)
    g_string_append_c (big_path, 'b');
  g_string_append (big_path, " HTTP/1.1\r\nHost: t\r\n\r\n");
  status = raw_exchange (big_path->str, big_path->len);
  g_assert_true (status == 0 || (status >= 400 && status < 500));
  /* A long name libsoup reads is simply not found. */
  g_string_truncate (big_path, 16 * 1024);
  g_string_append (big_path, " HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_cmpuint (raw_exchange (big_path->str, big_path->len), ==, 404);

  for (guint i = 0; i < 2000; i++)
    g_string_append (many_tags, "\"abcdef\", ");
  g_string_append (many_tags, "\"x\"\r\nConnection: close\r\n\r\n");
  status = raw_exchange (many_tags->str, many_tags->len);
  g_assert_cmpuint (status, ==, 200);

  g_assert_cmpuint (raw_exchange (body, strlen (body)), ==, 405);
  g_assert_cmpuint (raw_exchange (huge_body, strlen (huge_body)), ==, 413);
  g_assert_cmpuint (raw_exchange (chunked, strlen (chunked)), ==, 413);
  /* A TLS hello on the plain port: libsoup closes it unanswered. */
  status = raw_exchange (garbage, strlen (garbage));
  g_assert_true (status == 0 || (status >= 400 && status < 500));
  status = raw_exchange (words, strlen (words));
  g_test_message ("words: %u", status);
  g_assert_true (status >= 400 && status < 500);
  status = raw_exchange (bad_line, strlen (bad_line));
  g_assert_true (status >= 400 && status < 500);
  g_assert_cmpuint (raw_exchange (bad_version, strlen (bad_version)), ==, 505);
  status = raw_exchange (bad_escape, strlen (bad_escape));
  g_assert_true (status >= 400 && status < 500);

  after = schedule_json ("/live/schedule.json", NULL);
  g_assert_nonnull (after);
}

/* The page in chromium: the three rows, the next live trial named (the
 * earliest, tomorrow at 09:00), the markup title shown as text. */
static void
test_page (void)
{
  const char *rows[] = { fx.canonical[0], fx.canonical[1], fx.canonical[2], NULL };
  const char *line[] = { "下一场直播", "明天 09:00", "Next live trial: 09:00 tomorrow",
                         fx.canonical[0], seeds[0].title, NULL };
  const char *cells[] = { SCRIPT_TITLE, "09:00–10:00", "14:00–15:00", "10:30–11:30", NULL };

  if (!cr_test_browser_available ())
    {
      g_test_skip ("node, playwright-core or /usr/bin/chromium missing");
      return;
    }
  check_page ("/live/", line, rows, cells);
}

/* The waits below ask a few times a second, well inside the per-client
 * rate of the listener. */
#define POLL_PAUSE_US (200 * 1000)

static gboolean
on_air (gpointer data)
{
  g_autofree char *body = NULL;
  g_usleep (POLL_PAUSE_US);
  return cr_test_http (fx.room, "GET", "/live/test-room/state.json", NULL, NULL, &body) == 200 &&
         strstr (body, "\"state\":\"live\"") != NULL;
}

static gboolean
paused_on_air (gpointer data)
{
  g_autofree char *body = NULL;
  g_usleep (POLL_PAUSE_US);
  return cr_test_http (fx.room, "GET", "/live/test-room/state.json", NULL, NULL, &body) == 200 &&
         strstr (body, "\"state\":\"paused\"") != NULL;
}

static gboolean
schedule_empty (gpointer data)
{
  g_autofree char *body = NULL;
  g_usleep (POLL_PAUSE_US);
  return cr_test_http (fx.room, "GET", "/live/schedule.json", NULL, NULL, &body) == 200 &&
         strstr (body, "\"hearings\":[]") != NULL;
}

static gboolean
live_listed (gpointer data)
{
  g_autofree char *body = NULL;
  g_usleep (POLL_PAUSE_US);
  return cr_test_http (fx.room, "GET", "/live/schedule.json", NULL, NULL, &body) == 200 &&
         strstr (body, LIVE_TITLE) != NULL;
}

/* A hearing on air: the line says so; then a crowd on the schedule, on many
 * connections, while it records: limits hold, the API answers, every
 * picture is in the file. */
static void
test_live_and_flood (void)
{
  g_autoptr (CrSegmentIndex) index = open_index (fx.room);
  g_autofree char *script = cr_test_top_path ("tests/fixtures/http-flood.py");
  g_autofree char *pid = g_strdup_printf ("%u", cr_test_room_pid (fx.room));
  g_autofree char *port = g_strdup_printf ("%u", fx.room->public_port);
  g_autofree char *out = NULL;
  g_autofree char *raw = NULL;
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (JsonObject) answer = NULL;
  JsonObject *codes;
  gint64 served = 0, refused = 0;
  gint64 session;
  const char *argv[] = { "python3", script, "flood", pid, port, "/live/schedule.json", "3",
                         "160", NULL };
  g_autofree char *live_case = cr_case_number_canonicalize (LIVE_CASE, NULL);
  const char *rows[] = { live_case, fx.canonical[0], fx.canonical[1], fx.canonical[2], NULL };

  g_assert_cmpint (cr_test_client (fx.room, NULL, NULL, "broadcast", "approve", "--case",
                                   LIVE_CASE, NULL), ==, 0);
  seed_feed (index, TRUE, TRUE);
  /* The cache shows the change within its period. */
  g_assert_true (cr_test_wait_until (live_listed, NULL, 8000));
  answer = schedule_json ("/live/schedule.json", &raw);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer,
                                                                                 "current"),
                                                  "title"), ==, LIVE_TITLE);
  assert_nothing_hidden (raw);

  /* Its slot has begun, nobody has started it yet: due now, not "next". */
  {
    const char *line[] = { "直播即将开始", "Live trial about to start", live_case, NULL };
    check_page ("/live/", line, rows, NULL);
  }

  session = cr_test_start_session (fx.room, LIVE_CASE);
  g_assert_true (cr_test_wait_until (on_air, NULL, 20000));
  {
    const char *line[] = { "正在直播", "Live now", live_case, LIVE_TITLE, NULL };
    check_page ("/live/test-room/", line, rows, NULL);
  }

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_test_message ("http-flood on /live/schedule.json: %s", out);
  result = json_from_string (out, NULL);
  g_assert_nonnull (result);
  codes = json_object_get_object_member (json_node_get_object (result), "statuses");
  served = json_object_get_int_member_with_default (codes, "200", 0);
  refused = json_object_get_int_member_with_default (codes, "503", 0) +
            json_object_get_int_member_with_default (codes, "429", 0);
  /* Hundreds a second answered, and the public listener's per-client
   * limits hold on this route too: at 500 a second (a burst of 1000),
   * more than 2500 in 3 s cannot all be served. */
  g_assert_cmpint (served, >, 1000);
  if (json_object_get_int_member (json_node_get_object (result), "requests") > 2600)
    g_assert_cmpint (refused, >, 0);
  {
    JsonObjectIter iter;
    const char *code;
    JsonNode *count;
    json_object_iter_init (&iter, codes);
    while (json_object_iter_next (&iter, &code, &count))
      g_assert_true (g_str_equal (code, "200") || g_str_equal (code, "503") ||
                     g_str_equal (code, "429") || g_str_equal (code, "0"));
  }

  /* The API answers at once, and the room still records. */
  status = cr_test_status (fx.room);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "recording");
  g_usleep (G_USEC_PER_SEC);
  cr_test_stop_and_wait (fx.room, session);
  cr_test_assert_recording_whole (fx.room, session, 1);

  /* A recess: the line says the broadcast is paused, not live. */
  session = cr_test_start_session (fx.room, LIVE_CASE);
  g_assert_cmpint (cr_test_client (fx.room, NULL, NULL, "pause", "--reason", "recess", NULL),
                   ==, 0);
  g_assert_true (cr_test_wait_until (paused_on_air, NULL, 20000));
  {
    const char *line[] = { "直播暂停中", "Broadcast paused", live_case, LIVE_TITLE, NULL };
    check_page ("/live/", line, rows, NULL);
  }
  cr_test_stop_and_wait (fx.room, session);

  /* Nothing left to announce in a room that reads no calendar: the page
   * says nothing of a schedule. */
  {
    g_autoptr (GPtrArray) none = g_ptr_array_new ();
    g_autoptr (GError) error = NULL;
    g_assert_true (cr_hearing_store_replace (index, "feed", none, g_get_real_time (), NULL,
                                             &error));
  }
  g_assert_true (cr_test_wait_until (schedule_empty, NULL, 8000));
  if (cr_test_browser_available ())
    {
      g_autoptr (JsonBuilder) spec = json_builder_new ();
      json_builder_begin_object (spec);
      json_builder_set_member_name (spec, "hidden");
      json_builder_add_boolean_value (spec, TRUE);
      json_builder_end_object (spec);
      assert_page ("/live/", spec);
    }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  fx.zone = g_time_zone_new_identifier (ZONE);
  g_assert_nonnull (fx.zone);
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      fx.canonical[i] = cr_case_number_canonicalize (seeds[i].case_no, NULL);
      g_assert_nonnull (fx.canonical[i]);
    }

  if (!g_test_subprocess ())
    {
      guint16 public_port = cr_test_free_port ();
      g_autofree char *extra = g_strdup_printf (
          "[schedule]\ntimezone = " ZONE "\npublic_days = 3\n\n"
          /* Per-client caps as a court would set them, loose enough for
           * the page and the tests' own requests. */
          "[public]\nlisten = 127.0.0.1:%u\nmax_connections_per_client = 64\n"
          "requests_per_second_per_client = 500\n\n", public_port);
      g_autoptr (CrSegmentIndex) index = NULL;

      fx.room = cr_test_room_new (10, extra);
      fx.room->public_port = public_port;
      index = open_index (fx.room);
      seed_feed (index, FALSE, FALSE);
      /* "rm" is then dropped by the calendar: removed, never shown. */
      seed_feed (index, TRUE, FALSE);
      g_clear_pointer (&index, cr_segment_index_free);
      cr_test_room_start (fx.room);
      for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
        {
          const char *decision = seeds[i].decision;
          if (decision == NULL)
            continue;
          g_assert_cmpint (cr_test_client (fx.room, NULL, NULL, "broadcast", "approve",
                                           "--case", seeds[i].case_no, NULL), ==, 0);
          if (g_str_equal (decision, "approve+forbid"))
            g_assert_cmpint (cr_test_client (fx.room, NULL, NULL, "broadcast", "forbid",
                                             "--case", seeds[i].case_no, "--reason",
                                             "涉及未成年人", NULL), ==, 0);
        }
    }

  g_test_add_func ("/courtrec/live-schedule/cache", test_cache);
  g_test_add_func ("/courtrec/live-schedule/json", test_json);
  g_test_add_func ("/courtrec/live-schedule/http", test_http);
  g_test_add_func ("/courtrec/live-schedule/hostile", test_hostile);
  g_test_add_func ("/courtrec/live-schedule/page", test_page);
  g_test_add_func ("/courtrec/live-schedule/live-and-flood", test_live_and_flood);
  status = g_test_run ();

  cr_test_room_free (fx.room);
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    g_free (fx.canonical[i]);
  g_time_zone_unref (fx.zone);
  return status;
}
