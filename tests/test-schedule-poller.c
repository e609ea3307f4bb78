/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-schedule-poller.c: the calendar served over HTTP by a test server
 * on 127.0.0.1 (first read, unchanged with its ETag, changed, HTTP 503,
 * too large, unreachable), the feed read from a file, and `courtrec
 * schedule` over what was stored and on files given to --check. What is
 * stored is read back with sqlite3; the body's hash with sha256sum. */
#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <string.h>

#include "archive/segment-index.h"
#include "archive/utc.h"
#include "config/config.h"
#include "schedule/hearing-store.h"
#include "schedule/schedule-poller.h"
#include "tests/test-util.h"

typedef struct {
  SoupServer *server;
  guint16 port;
  char *body;
  gsize length;
  char *etag;
  guint status;              /* what to answer; 200 gives the body */
  gboolean honour_etag;      /* 304 to a matching If-None-Match */
  gboolean chunked;          /* no Content-Length: the size is learnt by reading */
  guint requests, not_modified;
  char *if_none_match;       /* of the last request */
} Calendar;

static void
serve (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
       gpointer data)
{
  Calendar *calendar = data;
  const char *inm = soup_message_headers_get_one (
      soup_server_message_get_request_headers (message), "If-None-Match");

  calendar->requests++;
  g_free (calendar->if_none_match);
  calendar->if_none_match = g_strdup (inm);
  if (calendar->status != SOUP_STATUS_OK)
    {
      soup_server_message_set_status (message, calendar->status, NULL);
      return;
    }
  if (calendar->honour_etag && inm != NULL && g_strcmp0 (inm, calendar->etag) == 0)
    {
      calendar->not_modified++;
      soup_server_message_set_status (message, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "ETag",
                                calendar->etag);
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  if (calendar->chunked)
    {
      SoupMessageBody *body = soup_server_message_get_response_body (message);

      soup_message_headers_set_encoding (soup_server_message_get_response_headers (message),
                                         SOUP_ENCODING_CHUNKED);
      for (gsize at = 0; at < calendar->length; at += 1024 * 1024)
        soup_message_body_append (body, SOUP_MEMORY_COPY, calendar->body + at,
                                  MIN (1024 * 1024, calendar->length - at));
      soup_message_body_complete (body);
      return;
    }
  soup_server_message_set_response (message, "text/calendar; charset=utf-8", SOUP_MEMORY_COPY,
                                    calendar->body, calendar->length);
}

static char *
fixture_path (const char *name)
{
  g_autofree char *relative = g_build_filename ("tests/fixtures/schedule", name, NULL);
  return cr_test_top_path (relative);
}

static void
set_body (Calendar *calendar, const char *text, gsize length, const char *etag)
{
  g_free (calendar->body);
  calendar->body = g_memdup2 (text, length);
  calendar->length = length;
  g_free (calendar->etag);
  calendar->etag = g_strdup (etag);
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until the poller's reads are over. */
static void
wait_reads (CrSchedulePoller *poller)
{
  gint64 deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;
  guint waker = g_timeout_add (50, wake, NULL);

  g_main_context_iteration (NULL, FALSE);
  while (cr_schedule_poller_busy (poller))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (waker);
}

static char *
sql (const char *index_path, const char *query)
{
  const char *argv[] = { "sqlite3", index_path, query, NULL };
  char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  return out;
}

static guint changes;

static void
on_changed (gpointer data)
{
  changes++;
}

static JsonObject *
source_json (CrSchedulePoller *poller, const char *name)
{
  g_autoptr (JsonNode) sources = cr_schedule_poller_get_sources (poller);
  JsonArray *array = json_node_get_array (sources);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      if (strcmp (json_object_get_string_member (object, "source"), name) == 0)
        return json_object_ref (object);
    }
  g_assert_not_reached ();
}

static void
test_http_calendar (void)
{
  Calendar calendar = { .status = SOUP_STATUS_OK, .honour_etag = TRUE };
  g_autoptr (GError) error = NULL;
  g_autofree char *ics_path = fixture_path ("shanghai.ics");
  g_autofree char *ics = NULL;
  g_autofree char *feed_path = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *sha = NULL;
  gsize ics_length;
  CrTestRoom *room;
  CrConfig *config;
  CrSegmentIndex *index;
  CrSchedulePoller *poller;
  g_autoptr (JsonObject) source = NULL;
  g_autofree char *why = NULL;
  g_autofree char *checked_before = NULL;
  g_autofree char *error_since = NULL;

  g_assert_true (g_file_get_contents (ics_path, &ics, &ics_length, &error));
  set_body (&calendar, ics, ics_length, "\"v1\"");
  calendar.server = soup_server_new (NULL, NULL);
  calendar.port = cr_test_free_port ();
  soup_server_add_handler (calendar.server, "/cal.ics", serve, &calendar, NULL);
  soup_server_listen_local (calendar.server, calendar.port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  room = cr_test_room_new (10, NULL);
  feed_path = g_build_filename (room->dir, "feed.json", NULL);
  {
    g_autofree char *fixture = fixture_path ("feed.json");
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (fixture, &text, NULL, NULL));
    g_assert_true (g_file_set_contents (feed_path, text, -1, NULL));
  }
  extra = g_strdup_printf ("[schedule]\ncalendar = http://clerk:s3cret@127.0.0.1:%u/cal.ics\n"
                           "feed = feed.json\ntimezone = Asia/Shanghai\nlocation = room-101\n",
                           calendar.port);
  {
    g_autofree char *conf = NULL;
    g_assert_true (g_file_get_contents (room->config_path, &conf, NULL, NULL));
    g_autofree char *more = g_strconcat (conf, extra, NULL);
    g_assert_true (g_file_set_contents (room->config_path, more, -1, NULL));
  }
  config = cr_config_load (room->config_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (room->storage_dir, 0700), ==, 0);
  index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  index = cr_segment_index_open (index_path, FALSE, &error);
  g_assert_no_error (error);

  /* The first read: at once, unconditional, stored. */
  poller = cr_schedule_poller_new (config, index, on_changed, NULL);
  wait_reads (poller);
  g_assert_cmpuint (calendar.requests, ==, 1);
  g_assert_null (calendar.if_none_match);
  g_assert_cmpuint (changes, >=, 1);
  out = sql (index_path, "SELECT source, uid, starts_at FROM hearings ORDER BY source, starts_at, uid");
  g_assert_cmpstr (out, ==,
                   "calendar|h-1001@court.example|2026-12-03T01:00:00.000Z\n"
                   "calendar|h-1002@court.example|2026-12-03T06:00:00.000Z\n"
                   "calendar|h-1003@court.example|2026-12-04T01:00:00.000Z\n"
                   "calendar|h-1004@court.example|2026-12-04T07:00:00.000Z\n"
                   "feed|（2026）浙1022民初123号@2026-12-03T01:00:00.000Z|2026-12-03T01:00:00.000Z\n"
                   "feed|F-2|2026-12-03T06:00:00.000Z\n"
                   "feed|（2026）浙1022刑初7号@2026-12-04T01:00:00.000Z|2026-12-04T01:00:00.000Z\n");
  g_clear_pointer (&out, g_free);
  {
    const char *argv[] = { "sha256sum", ics_path, NULL };
    g_assert_cmpint (cr_test_run (&sha, NULL, argv), ==, 0);
    sha[64] = '\0';
  }
  out = sql (index_path, "SELECT etag, sha256, hearings, error IS NULL, checked_at = changed_at "
                         "FROM schedule_sources WHERE source = 'calendar'");
  g_autofree char *expected = g_strdup_printf ("\"v1\"|%s|4|1|1\n", sha);
  g_assert_cmpstr (out, ==, expected);
  g_clear_pointer (&out, g_free);
  source = source_json (poller, "calendar");
  g_assert_null (strstr (json_object_get_string_member (source, "location"), "s3cret"));
  g_assert_cmpint (json_object_get_int_member (source, "hearings"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (source, "skipped"), ==, 3);
  g_assert_nonnull (strstr (json_object_get_string_member (source, "skipped_reason"), "h-1005"));
  g_assert_true (json_object_get_null_member (source, "error"));
  g_clear_pointer (&source, json_object_unref);
  source = source_json (poller, "feed");
  g_assert_cmpint (json_object_get_int_member (source, "hearings"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (source, "skipped"), ==, 5);
  g_clear_pointer (&source, json_object_unref);

  /* Unchanged: 304 to the ETag, which the request carried. */
  checked_before = sql (index_path, "SELECT checked_at FROM schedule_sources WHERE source = 'calendar'");
  changes = 0;
  g_usleep (5000);
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  g_assert_cmpuint (calendar.requests, ==, 2);
  g_assert_cmpstr (calendar.if_none_match, ==, "\"v1\"");
  g_assert_cmpuint (calendar.not_modified, ==, 1);
  g_assert_cmpuint (changes, ==, 0);
  out = sql (index_path, "SELECT checked_at FROM schedule_sources WHERE source = 'calendar'");
  g_assert_cmpstr (out, !=, checked_before);
  g_clear_pointer (&out, g_free);

  /* The same body under a new ETag, the server ignoring If-None-Match:
   * its hash says unchanged. */
  calendar.honour_etag = FALSE;
  g_free (calendar.etag);
  calendar.etag = g_strdup ("\"v1b\"");
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  g_assert_cmpuint (changes, ==, 0);
  out = sql (index_path, "SELECT etag, checked_at > changed_at FROM schedule_sources "
                         "WHERE source = 'calendar'");
  g_assert_cmpstr (out, ==, "\"v1b\"|1\n");
  g_clear_pointer (&out, g_free);

  /* Changed: h-1002 dropped, h-1001 moved an hour. */
  {
    g_autofree char *changed_text = NULL;
    char *start = strstr (ics, "BEGIN:VEVENT\r\nUID:h-1002");
    char *end = strstr (start, "END:VEVENT\r\n") + strlen ("END:VEVENT\r\n");
    g_autoptr (GString) text = g_string_new_len (ics, start - ics);

    g_string_append (text, end);
    changed_text = g_string_free (g_steal_pointer (&text), FALSE);
    g_autoptr (GString) moved = g_string_new (changed_text);
    g_string_replace (moved, "20261203T090000", "20261203T100000", 1);
    set_body (&calendar, moved->str, moved->len, "\"v2\"");
  }
  calendar.honour_etag = TRUE;
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  g_assert_cmpuint (changes, ==, 1);
  out = sql (index_path, "SELECT uid, starts_at, removed_at IS NOT NULL FROM hearings "
                         "WHERE source = 'calendar' ORDER BY uid");
  g_assert_cmpstr (out, ==,
                   "h-1001@court.example|2026-12-03T02:00:00.000Z|0\n"
                   "h-1002@court.example|2026-12-03T06:00:00.000Z|1\n"
                   "h-1003@court.example|2026-12-04T01:00:00.000Z|0\n"
                   "h-1004@court.example|2026-12-04T07:00:00.000Z|0\n");
  g_clear_pointer (&out, g_free);
  g_autofree char *hearings_before = sql (index_path, "SELECT * FROM hearings ORDER BY id");

  /* HTTP 503: the error is recorded, no hearing changes. */
  calendar.status = SOUP_STATUS_SERVICE_UNAVAILABLE;
  changes = 0;
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  g_assert_cmpuint (changes, ==, 0);
  out = sql (index_path, "SELECT * FROM hearings ORDER BY id");
  g_assert_cmpstr (out, ==, hearings_before);
  g_clear_pointer (&out, g_free);
  out = sql (index_path, "SELECT error FROM schedule_sources WHERE source = 'calendar'");
  g_assert_cmpstr (out, ==, "HTTP 503 Service Unavailable\n");
  g_clear_pointer (&out, g_free);
  source = source_json (poller, "calendar");
  g_assert_cmpstr (json_object_get_string_member (source, "error"), ==,
                   "HTTP 503 Service Unavailable");
  error_since = g_strdup (json_object_get_string_member (source, "error_since"));
  g_clear_pointer (&source, json_object_unref);
  g_assert_false (cr_schedule_poller_is_stale (poller, g_get_real_time (), &why));
  g_assert_null (why);
  /* poll_seconds 300: stale after max(15 min, 3 x 5 min) = 15 min. */
  g_assert_false (cr_schedule_poller_is_stale (poller, g_get_real_time ()
                                               + 14 * G_TIME_SPAN_MINUTE, NULL));
  g_assert_true (cr_schedule_poller_is_stale (poller, g_get_real_time ()
                                              + 16 * G_TIME_SPAN_MINUTE, &why));
  g_assert_nonnull (strstr (why, "the calendar has failed since"));
  g_assert_nonnull (strstr (why, "HTTP 503"));

  /* Too large: refused with the cap named, nothing changes. */
  {
    gsize big = CR_SCHEDULE_MAX_BYTES + 1024;
    g_autofree char *huge = g_malloc (big);
    memset (huge, 'A', big);
    memcpy (huge, "BEGIN:VCALENDAR\r\n", 17);
    set_body (&calendar, huge, big, "\"huge\"");
  }
  calendar.status = SOUP_STATUS_OK;
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  out = sql (index_path, "SELECT error FROM schedule_sources WHERE source = 'calendar'");
  g_assert_nonnull (strstr (out, "larger than 8 MiB"));
  g_assert_nonnull (strstr (out, "Content-Length"));
  g_clear_pointer (&out, g_free);
  /* The same without Content-Length: refused while reading, at the cap. */
  calendar.chunked = TRUE;
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  calendar.chunked = FALSE;
  out = sql (index_path, "SELECT error FROM schedule_sources WHERE source = 'calendar'");
  g_assert_nonnull (strstr (out, "larger than 8 MiB"));
  g_assert_null (strstr (out, "Content-Length"));
  g_clear_pointer (&out, g_free);
  out = sql (index_path, "SELECT * FROM hearings ORDER BY id");
  g_assert_cmpstr (out, ==, hearings_before);
  g_clear_pointer (&out, g_free);

  /* Binary junk with 200: unparsable, nothing changes. */
  set_body (&calendar, "\x7f" "ELF\x02\x01\x01\0\0\0garbage", 18, "\"junk\"");
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  out = sql (index_path, "SELECT error FROM schedule_sources WHERE source = 'calendar'");
  g_assert_nonnull (strstr (out, "NUL byte"));
  g_clear_pointer (&out, g_free);

  /* Unreachable: the server is gone; the hearings stay, the failure's
   * start is kept from the first failure. */
  soup_server_disconnect (calendar.server);
  g_clear_object (&calendar.server);
  g_unlink (feed_path);
  cr_schedule_poller_poll_now (poller);
  wait_reads (poller);
  out = sql (index_path, "SELECT * FROM hearings ORDER BY id");
  g_assert_cmpstr (out, ==, hearings_before);
  g_clear_pointer (&out, g_free);
  source = source_json (poller, "calendar");
  g_assert_false (json_object_get_null_member (source, "error"));
  g_test_message ("unreachable: %s", json_object_get_string_member (source, "error"));
  g_assert_cmpstr (json_object_get_string_member (source, "error_since"), ==, error_since);
  g_clear_pointer (&source, json_object_unref);
  source = source_json (poller, "feed");
  g_assert_nonnull (strstr (json_object_get_string_member (source, "error"), "feed.json"));
  g_clear_pointer (&source, json_object_unref);

  /* The verb lists what the index holds, in the court's zone. */
  cr_schedule_poller_free (poller);
  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--from", "2026-12-01", "--to",
                                   "2026-12-31", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "2026-12-03 10:00-11:00 +08:00  （2026）浙1022民初123号"));
  g_assert_nonnull (strstr (out, "removed from the calendar"));
  g_assert_nonnull (strstr (out, "cancelled"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--from", "2026-12-01", "--to",
                                   "2026-12-31", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"starts_local\" : \"2026-12-03T10:00:00+08:00\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--from", "2026-12-05",
                                   "--to", "2026-12-05", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "no hearings"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--from", "yesterday", NULL),
                   ==, 2);
  g_assert_nonnull (strstr (err, "--from 'yesterday' is not a date"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--from", "2026-12-05",
                                   "--to", "2026-12-01", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--to must be later than --from"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--format", "csv", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--format goes with --check FILE"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--to", "2026-02-30", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --check with the room's config: its room and zone. */
  g_assert_cmpint (cr_test_client (room, &out, &err, "schedule", "--check", ics_path, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "8 events, 4 hearings of this room, 1 of other rooms, 3 not stored"));
  g_assert_nonnull (strstr (out, "2026-12-03 09:00-11:00 +08:00"));
  g_assert_nonnull (strstr (out, "not stored: UID h-1006@court.example (line 68)"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  cr_segment_index_free (index);
  cr_config_free (config);
  cr_test_room_free (room);
  g_free (calendar.body);
  g_free (calendar.etag);
  g_free (calendar.if_none_match);
}


/* A room config with @schedule appended, loaded; its index opened. */
static CrConfig *
room_with_schedule (CrTestRoom *room, const char *schedule, CrSegmentIndex **index)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *more = NULL;
  g_autofree char *index_path = g_build_filename (room->storage_dir, "index.db", NULL);
  CrConfig *config;

  g_assert_true (g_file_get_contents (room->config_path, &conf, NULL, NULL));
  more = g_strconcat (conf, schedule, NULL);
  g_assert_true (g_file_set_contents (room->config_path, more, -1, NULL));
  config = cr_config_load (room->config_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (room->storage_dir, 0700), ==, 0);
  *index = cr_segment_index_open (index_path, FALSE, &error);
  g_assert_no_error (error);
  return config;
}

/* A server that accepts and never answers: the read gives up at its
 * deadline and says so; a poller freed with a read under way drops it. */
static void
test_deaf_server (void)
{
  guint16 port = 0;
  CrTestSilentServer *deaf = cr_test_silent_server_new (&port);
  CrTestRoom *room = cr_test_room_new (10, NULL);
  g_autofree char *schedule = g_strdup_printf ("[schedule]\ncalendar = http://127.0.0.1:%u/cal.ics\n",
                                               port);
  CrSegmentIndex *index = NULL;
  CrConfig *config = room_with_schedule (room, schedule, &index);
  CrSchedulePoller *poller = cr_schedule_poller_new (config, index, on_changed, NULL);
  g_autoptr (JsonObject) source = NULL;
  gint64 started = g_get_monotonic_time ();
  double seconds;

  wait_reads (poller);
  seconds = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_test_message ("gave up after %.1f s", seconds);
  g_assert_cmpfloat (seconds, >=, CR_SCHEDULE_TIMEOUT_SECONDS - 1);
  g_assert_cmpfloat (seconds, <, CR_SCHEDULE_TIMEOUT_SECONDS + 10 * cr_test_timing_factor ());
  source = source_json (poller, "calendar");
  g_assert_nonnull (strstr (json_object_get_string_member (source, "error"), "within 20 s"));

  /* Freed with a read under way (connected, waiting): nothing runs after. */
  cr_schedule_poller_poll_now (poller);
  g_assert_true (cr_schedule_poller_busy (poller));
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  cr_schedule_poller_free (poller);
  {
    gint64 until = g_get_monotonic_time () + 300 * G_TIME_SPAN_MILLISECOND;
    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE);
  }

  /* No source: a poller that does nothing, and says so. */
  {
    CrConfig bare = *config;
    g_autoptr (JsonNode) sources = NULL;

    bare.schedule_calendar = NULL;
    bare.schedule_feed = NULL;
    poller = cr_schedule_poller_new (&bare, index, NULL, NULL);
    g_assert_false (cr_schedule_poller_busy (poller));
    sources = cr_schedule_poller_get_sources (poller);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (sources)), ==, 0);
    g_assert_false (cr_schedule_poller_is_stale (poller, G_MAXINT64 / 2, NULL));
    cr_schedule_poller_free (poller);
  }

  cr_segment_index_free (index);
  cr_config_free (config);
  cr_test_room_free (room);
  cr_test_silent_server_free (deaf);
}

static void
serve_loop (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
            gpointer data)
{
  guint *count = data;

  (*count)++;
  soup_server_message_set_redirect (message, SOUP_STATUS_FOUND, "/loop");
}

/* A redirect loop ends in an error after a bounded number of hops. */
static void
test_redirect_loop (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  guint16 port = cr_test_free_port ();
  guint count = 0;
  CrTestRoom *room = cr_test_room_new (10, NULL);
  g_autofree char *schedule = g_strdup_printf ("[schedule]\ncalendar = http://127.0.0.1:%u/loop\n",
                                               port);
  CrSegmentIndex *index = NULL;
  CrConfig *config;
  CrSchedulePoller *poller;
  g_autoptr (JsonObject) source = NULL;

  soup_server_add_handler (server, "/loop", serve_loop, &count, NULL);
  soup_server_listen_local (server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  config = room_with_schedule (room, schedule, &index);
  poller = cr_schedule_poller_new (config, index, NULL, NULL);
  wait_reads (poller);
  source = source_json (poller, "calendar");
  g_test_message ("%u requests: %s", count, json_object_get_string_member (source, "error"));
  g_assert_false (json_object_get_null_member (source, "error"));
  g_assert_cmpuint (count, >=, 2);
  g_assert_cmpuint (count, <=, 21);
  cr_schedule_poller_free (poller);
  soup_server_disconnect (server);
  cr_segment_index_free (index);
  cr_config_free (config);
  cr_test_room_free (room);
}

static int
check (const char *file, const char *format, char **out, char **err)
{
  g_autofree char *courtrec = cr_test_build_path ("courtrec");
  const char *argv[] = { courtrec, "schedule", "--check", file,
                         format != NULL ? "--format" : NULL, format, NULL };

  return cr_test_run (out, err, argv);
}

static void
test_check_exit_codes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("courtrec-check-XXXXXX", NULL);
  g_autofree char *junk = g_build_filename (dir, "junk.ics", NULL);
  g_autofree char *bad_csv = g_build_filename (dir, "bad.csv", NULL);
  g_autofree char *ics = fixture_path ("berlin.ics");
  g_autofree char *csv = fixture_path ("feed-zh.csv");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_file_set_contents (junk, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", -1, NULL));
  g_assert_true (g_file_set_contents (bad_csv, "case,room,start,end\n\"x,y\n", -1, NULL));

  g_assert_cmpint (check (ics, NULL, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "5 events, 5 hearings"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (check (csv, "csv", &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "not stored: record 5: no end"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (check (junk, NULL, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "junk.ics: line 4: the text ends without END:VCALENDAR"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (check (bad_csv, NULL, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "bad.csv: record 2: a quoted field is not closed"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* An iCalendar read as CSV: its header names no column. */
  g_assert_cmpint (check (ics, "csv", &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "no column \"case\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (check ("/nonexistent/cal.ics", NULL, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "/nonexistent/cal.ics"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (check (ics, "xml", &out, &err), ==, 2);

  g_unlink (junk);
  g_unlink (bad_csv);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/schedule-poller/http-calendar", test_http_calendar);
  g_test_add_func ("/courtrec/schedule-poller/check-exit-codes", test_check_exit_codes);
  g_test_add_func ("/courtrec/schedule-poller/deaf-server", test_deaf_server);
  g_test_add_func ("/courtrec/schedule-poller/redirect-loop", test_redirect_loop);
  return g_test_run ();
}
