/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-webhook.c: [alarm webhook NAME] against receivers the test runs: a
 * real HTTP server (libsoup, in a thread of its own) that checks each
 * notification's signature with GLib's HMAC, not courtrec's; one that is
 * down and comes up; one that accepts and never answers. The recording
 * goes on meanwhile, every frame of it (ffprobe); a bad group is refused by
 * --check-config, naming the group and the key. */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

#include "archive/segment-index.h"
#include "recorder/webhook.h"
#include "tests/test-util.h"

#define CASE_NO "（2026）浙1022民初123号"
#define SECRET "s3cret-for-the-monitoring"
#define FPS 25.0

/* --- a receiver -------------------------------------------------------------- */

typedef struct {
  char *id;                     /* X-Courtrec-Id */
  char *timestamp;              /* X-Courtrec-Timestamp */
  char *signature;              /* X-Courtrec-Signature */
  char *content_type;
  char *body;
  gint64 received_us;           /* monotonic */
} Delivery;

typedef struct {
  guint16 port;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GMutex lock;                  /* protects what follows */
  GCond changed;
  gboolean listening;
  GPtrArray *deliveries;        /* Delivery* */
} Receiver;

static void
delivery_free (Delivery *delivery)
{
  g_free (delivery->id);
  g_free (delivery->timestamp);
  g_free (delivery->signature);
  g_free (delivery->content_type);
  g_free (delivery->body);
  g_free (delivery);
}

static void
on_request (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
            gpointer user_data)
{
  Receiver *receiver = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  Delivery *delivery = g_new0 (Delivery, 1);

  if (g_strcmp0 (soup_server_message_get_method (message), "POST") != 0)
    {
      soup_server_message_set_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      g_free (delivery);
      return;
    }
  delivery->id = g_strdup (soup_message_headers_get_one (headers, "X-Courtrec-Id"));
  delivery->timestamp = g_strdup (soup_message_headers_get_one (headers, "X-Courtrec-Timestamp"));
  delivery->signature = g_strdup (soup_message_headers_get_one (headers, "X-Courtrec-Signature"));
  delivery->content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
  delivery->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  delivery->received_us = g_get_monotonic_time ();
  g_mutex_lock (&receiver->lock);
  g_ptr_array_add (receiver->deliveries, delivery);
  g_cond_broadcast (&receiver->changed);
  g_mutex_unlock (&receiver->lock);
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
}

static gpointer
receiver_thread (gpointer data)
{
  Receiver *receiver = data;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (receiver->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/alarms", on_request, receiver, NULL);
  soup_server_listen_local (server, receiver->port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  g_mutex_lock (&receiver->lock);
  receiver->listening = TRUE;
  g_cond_broadcast (&receiver->changed);
  g_mutex_unlock (&receiver->lock);
  g_main_loop_run (receiver->loop);
  soup_server_disconnect (server);
  g_clear_object (&server);
  g_main_context_pop_thread_default (receiver->context);
  return NULL;
}

/* Listens on 127.0.0.1:@port (0: a free one) from now on. */
static Receiver *
receiver_new (guint16 port)
{
  Receiver *receiver = g_new0 (Receiver, 1);

  receiver->port = port != 0 ? port : cr_test_free_port ();
  receiver->context = g_main_context_new ();
  receiver->loop = g_main_loop_new (receiver->context, FALSE);
  receiver->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) delivery_free);
  g_mutex_init (&receiver->lock);
  g_cond_init (&receiver->changed);
  receiver->thread = g_thread_new ("receiver", receiver_thread, receiver);
  g_mutex_lock (&receiver->lock);
  while (!receiver->listening)
    g_cond_wait (&receiver->changed, &receiver->lock);
  g_mutex_unlock (&receiver->lock);
  return receiver;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
receiver_free (Receiver *receiver)
{
  if (receiver == NULL)
    return;
  g_main_context_invoke (receiver->context, quit_loop, receiver->loop);
  g_thread_join (receiver->thread);
  g_main_loop_unref (receiver->loop);
  g_main_context_unref (receiver->context);
  g_ptr_array_unref (receiver->deliveries);
  g_mutex_clear (&receiver->lock);
  g_cond_clear (&receiver->changed);
  g_free (receiver);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Receiver, receiver_free)

/* Waits until @receiver has had @n deliveries, @timeout_s at most; the
 * number it has had. */
static guint
receiver_wait (Receiver *receiver, guint n, double timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);
  guint had;

  g_mutex_lock (&receiver->lock);
  while (receiver->deliveries->len < n &&
         g_cond_wait_until (&receiver->changed, &receiver->lock, deadline))
    ;
  had = receiver->deliveries->len;
  g_mutex_unlock (&receiver->lock);
  return had;
}

/* (transfer none): deliveries are only added, and read after waiting. */
static Delivery *
receiver_get (Receiver *receiver, guint i)
{
  Delivery *delivery;

  g_mutex_lock (&receiver->lock);
  delivery = g_ptr_array_index (receiver->deliveries, i);
  g_mutex_unlock (&receiver->lock);
  return delivery;
}

/* What a receiver does with a notification: the signature recomputed with
 * GLib's HMAC over "TIMESTAMP.BODY", the timestamp near its clock, the id
 * the body's. The body, parsed. (transfer full) */
static JsonObject *
verify (const Delivery *delivery, const char *secret)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret,
                                       strlen (secret));
  g_autofree char *expected = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  gint64 timestamp;

  g_assert_nonnull (delivery->timestamp);
  g_assert_nonnull (delivery->signature);
  g_assert_cmpstr (delivery->content_type, ==, "application/json");
  g_hmac_update (hmac, (const guchar *) delivery->timestamp, strlen (delivery->timestamp));
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, (const guchar *) delivery->body, strlen (delivery->body));
  expected = g_strconcat ("sha256=", g_hmac_get_string (hmac), NULL);
  g_assert_cmpstr (delivery->signature, ==, expected);
  timestamp = g_ascii_strtoll (delivery->timestamp, NULL, 10);
  g_assert_cmpint (ABS (timestamp - g_get_real_time () / G_USEC_PER_SEC), <, 120);

  root = json_from_string (delivery->body, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "id"), ==,
                   delivery->id);
  return json_object_ref (json_node_get_object (root));
}

/* --- helpers ----------------------------------------------------------------- */

static char *
write_secret (CrTestRoom *room, const char *name, const char *secret, int mode)
{
  g_autofree char *file = g_strdup_printf ("%s.secret", name);
  char *path = g_build_filename (room->dir, file, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents_full (path, secret, -1, G_FILE_SET_CONTENTS_NONE, mode, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

/* The room's config with @extra appended. */
static void
append_config (CrTestRoom *room, const char *extra)
{
  g_autofree char *config = NULL;
  g_autofree char *both = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (room->config_path, &config, NULL, &error);
  g_assert_no_error (error);
  both = g_strconcat (config, "\n", extra, NULL);
  g_file_set_contents (room->config_path, both, -1, &error);
  g_assert_no_error (error);
}

static char *
daemon_log (CrTestRoom *room)
{
  char *log = NULL;

  g_file_get_contents (room->daemon_log, &log, NULL, NULL);
  return log != NULL ? log : g_strdup ("");
}

typedef struct {
  CrTestRoom *room;
  const char *text;
} LogWait;

static gboolean
log_says (gpointer data)
{
  LogWait *wait = data;
  g_autofree char *log = daemon_log (wait->room);
  return strstr (log, wait->text) != NULL;
}

/* Every segment of @session_id holds every frame of its time: pictures
 * at 25 a second for as long as its row says, none missing. */
static void
assert_no_frame_lost (CrTestRoom *room, gint64 session_id)
{
  g_autoptr (GPtrArray) rows = cr_test_segments (room, session_id);

  g_assert_cmpuint (rows->len, >=, 1);
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, TRUE);
      JsonArray *streams;
      gint64 frames = 0;

      g_assert_nonnull (probe);
      streams = json_object_get_array_member (probe, "streams");
      for (guint s = 0; s < json_array_get_length (streams); s++)
        {
          JsonObject *stream = json_array_get_object_element (streams, s);
          if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
            frames = g_ascii_strtoll (json_object_get_string_member (stream, "nb_read_frames"),
                                      NULL, 10);
        }
      g_test_message ("%s: %" G_GINT64_FORMAT " frames in %.2f s", row->path, frames,
                      row->duration_us / 1e6);
      g_assert_cmpint (row->duration_us, >, 0);
      g_assert_cmpfloat_with_epsilon (row->duration_us / 1e6, frames / FPS, 0.15);
    }
}

/* --- tests ------------------------------------------------------------------- */

/* A camera dies mid-hearing and comes back: the monitoring is told it was
 * raised, then cleared, each signed; a second receiver that accepts and
 * never answers times out and is tried again, without delaying the first
 * or costing the recording a frame. */
static void
test_camera_lost (void)
{
  guint16 camera_port = cr_test_free_port ();
  guint16 deaf_port = 0;
  g_autoptr (CrTestSilentServer) deaf = cr_test_silent_server_new (&deaf_port);
  g_autoptr (Receiver) receiver = receiver_new (0);
  g_autofree char *extra = g_strdup_printf (
      "[camera judge]\nsource = test\nlabel = 审判长\n\n"
      "[camera witness]\nsource = rtsp://127.0.0.1:%u/camera\nlabel = 证人\n\n"
      "[microphone judge]\nsource = test\nlabel = 审判长\n", camera_port);
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, extra);
  g_autofree char *secret_path = write_secret (room, "monitoring", SECRET "\n", 0600);
  g_autofree char *deaf_secret = write_secret (room, "deaf", "another secret", 0640);
  g_autofree char *webhooks = g_strdup_printf (
      "[alarm webhook deaf]\nurl = http://127.0.0.1:%u/alarms\nsecret_file = %s\n"
      "timeout_seconds = 2\nretry_min_seconds = 1\nretry_max_seconds = 2\n\n"
      "[alarm webhook monitoring]\nurl = http://127.0.0.1:%u/alarms\nsecret_file = %s\n"
      "timeout_seconds = 5\n",
      deaf_port, deaf_secret, receiver->port, secret_path);
  g_autoptr (GSubprocess) camera = cr_test_rtsp_camera_new (camera_port);
  g_autoptr (JsonObject) raised = NULL;
  g_autoptr (JsonObject) cleared = NULL;
  LogWait timed_out = { room, "[alarm webhook deaf] input-lost raised witness" };
  Delivery *first, *second;
  gint64 session_id, killed_us;
  double factor = cr_test_timing_factor ();

  append_config (room, webhooks);
  cr_test_room_start (room);
  g_assert_true (cr_test_wait_for_input (room, "witness", "live", 15000));
  session_id = cr_test_start_session (room, CASE_NO);
  g_usleep (3 * G_USEC_PER_SEC);

  g_subprocess_send_signal (camera, SIGKILL);
  g_subprocess_wait (camera, NULL, NULL);
  g_clear_object (&camera);
  killed_us = g_get_monotonic_time ();
  g_assert_true (cr_test_wait_for_input (room, "witness", "lost", 5000));

  /* Raised: at the monitoring within moments, though the deaf receiver
   * holds its own notification for its whole timeout. */
  g_assert_cmpuint (receiver_wait (receiver, 1, 5 * factor), ==, 1);
  first = receiver_get (receiver, 0);
  g_test_message ("raised delivered %.2f s after the kill: %s",
                  (first->received_us - killed_us) / 1e6, first->body);
  g_assert_cmpint (first->received_us - killed_us, <, (gint64) (4 * factor * G_USEC_PER_SEC));
  raised = verify (first, SECRET);
  g_assert_cmpstr (json_object_get_string_member (raised, "state"), ==, "raised");
  g_assert_cmpstr (json_object_get_string_member (raised, "kind"), ==, "input-lost");
  g_assert_cmpstr (json_object_get_string_member (raised, "input"), ==, "witness");
  g_assert_cmpstr (json_object_get_string_member (raised, "label"), ==, "证人");
  g_assert_cmpstr (json_object_get_string_member (raised, "room"), ==, "test-room");
  g_assert_cmpstr (json_object_get_string_member (raised, "case"), ==, CASE_NO);
  g_assert_cmpint (json_object_get_int_member (raised, "session"), ==, session_id);
  g_assert_nonnull (json_object_get_string_member (raised, "since"));
  g_assert_nonnull (json_object_get_string_member (raised, "message"));
  g_assert_false (json_object_has_member (raised, "until"));

  /* The deaf one: connected to, timed out, to be tried again. */
  g_assert_true (cr_test_wait_until (log_says, &timed_out, (guint) (6000 * factor)));
  g_assert_cmpuint (cr_test_silent_server_connections (deaf), >=, 1);
  {
    g_autofree char *log = daemon_log (room);
    g_test_message ("%s", strstr (log, timed_out.text));
    g_assert_nonnull (strstr (log, "attempt 1 failed"));
    g_assert_nonnull (strstr (log, "timed out"));
    /* Neither secret is ever logged. */
    g_assert_null (strstr (log, SECRET));
    g_assert_null (strstr (log, "another secret"));
  }

  camera = cr_test_rtsp_camera_new (camera_port);
  g_assert_true (cr_test_wait_for_input (room, "witness", "live", 15000));
  g_assert_cmpuint (receiver_wait (receiver, 2, 5 * factor), ==, 2);
  second = receiver_get (receiver, 1);
  g_test_message ("cleared: %s", second->body);
  cleared = verify (second, SECRET);
  g_assert_cmpstr (json_object_get_string_member (cleared, "state"), ==, "cleared");
  g_assert_cmpstr (json_object_get_string_member (cleared, "kind"), ==, "input-lost");
  g_assert_cmpstr (json_object_get_string_member (cleared, "input"), ==, "witness");
  g_assert_cmpstr (json_object_get_string_member (cleared, "since"), ==,
                   json_object_get_string_member (raised, "since"));
  g_assert_nonnull (json_object_get_string_member (cleared, "until"));
  g_assert_cmpstr (second->id, !=, first->id);

  g_usleep (2 * G_USEC_PER_SEC);
  cr_test_stop_and_wait (room, session_id);
  /* Nothing more came, nothing twice. */
  g_assert_cmpuint (receiver_wait (receiver, 3, 0.5), ==, 2);
  assert_no_frame_lost (room, session_id);
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 15), ==, 0);
}

/* The monitoring is down when a microphone goes silent (connection
 * refused): the notification is tried again and delivered, once, when it
 * comes up; the clearing follows in order. */
static void
test_down_then_up (void)
{
  guint16 port = cr_test_free_port ();
  g_autoptr (CrTestRoom) room = cr_test_room_new (
      60, "[audio]\nsilence_alarm_seconds = 1\n\n"
          "[microphone clerk]\nsource = test:silence\nlabel = 书记员\n");
  g_autofree char *secret_path = write_secret (room, "monitoring", SECRET, 0600);
  g_autofree char *webhooks = g_strdup_printf (
      "[alarm webhook monitoring]\nurl = http://127.0.0.1:%u/alarms\nsecret_file = %s\n"
      "timeout_seconds = 2\nretry_min_seconds = 1\nretry_max_seconds = 2\n",
      port, secret_path);
  g_autoptr (Receiver) receiver = NULL;
  g_autoptr (JsonObject) raised = NULL;
  g_autoptr (JsonObject) cleared = NULL;
  LogWait refused = { room, "[alarm webhook monitoring] microphone-silent raised clerk" };
  LogWait delivered = { room, "delivered at attempt" };
  double factor = cr_test_timing_factor ();
  gint64 session_id;

  append_config (room, webhooks);
  cr_test_room_start (room);
  session_id = cr_test_start_session (room, CASE_NO);
  /* Tried and refused at least twice before the receiver comes up. */
  g_assert_true (cr_test_wait_until (log_says, &refused, (guint) (8000 * factor)));
  g_usleep (2 * G_USEC_PER_SEC);
  {
    g_autofree char *log = daemon_log (room);
    g_assert_nonnull (strstr (log, "attempt 1 failed"));
    g_assert_nonnull (strstr (log, "attempt 2 failed"));
  }

  receiver = receiver_new (port);
  g_assert_cmpuint (receiver_wait (receiver, 1, 5 * factor), ==, 1);
  raised = verify (receiver_get (receiver, 0), SECRET);
  g_assert_cmpstr (json_object_get_string_member (raised, "state"), ==, "raised");
  g_assert_cmpstr (json_object_get_string_member (raised, "kind"), ==, "microphone-silent");
  g_assert_cmpstr (json_object_get_string_member (raised, "input"), ==, "clerk");
  g_assert_true (cr_test_wait_until (log_says, &delivered, 2000));
  /* The status counts it: delivered once, after failed attempts. */
  {
    g_autoptr (JsonObject) status = cr_test_status (room);
    JsonObject *webhook = json_array_get_object_element (
        json_object_get_array_member (status, "webhooks"), 0);

    g_assert_cmpstr (json_object_get_string_member (webhook, "name"), ==, "monitoring");
    g_assert_cmpint (json_object_get_int_member (webhook, "delivered"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (webhook, "failed_attempts"), >=, 2);
    g_assert_cmpint (json_object_get_int_member (webhook, "dropped"), ==, 0);
    g_assert_cmpint (json_object_get_int_member (webhook, "queued"), ==, 0);
  }

  /* A pause clears the silence. */
  g_assert_cmpint (cr_test_client (room, NULL, NULL, "pause", "--reason", "recess", NULL), ==, 0);
  g_assert_cmpuint (receiver_wait (receiver, 2, 5 * factor), ==, 2);
  cleared = verify (receiver_get (receiver, 1), SECRET);
  g_assert_cmpstr (json_object_get_string_member (cleared, "state"), ==, "cleared");
  g_assert_cmpstr (json_object_get_string_member (cleared, "kind"), ==, "microphone-silent");
  g_assert_cmpuint (receiver_wait (receiver, 3, 1), ==, 2);

  g_assert_cmpint (cr_test_client (room, NULL, NULL, "stop", NULL), ==, 0);
  g_ptr_array_unref (cr_test_wait_closed (room, session_id, 1));
  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 15), ==, 0);
}

/* The queue, in process: in order while the receiver is up; bounded while
 * it is down, the oldest waiting dropped and counted, the newest kept. */
static void
test_queue (void)
{
  guint16 port = cr_test_free_port ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/alarms", port);
  CrWebhookConfig config = {
    .name = (char *) "monitoring", .url = url, .timeout_seconds = 2,
    .retry_min_seconds = 1, .retry_max_seconds = 1, .max_queued = 3,
  };
  g_autoptr (CrWebhook) webhook = cr_webhook_new (&config, SECRET);
  g_autoptr (Receiver) receiver = NULL;
  CrWebhookCounts counts;
  guint had;

  /* Down: 10 pushed, 3 kept: the newest two and the head. */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("n%u", i);
      g_autofree char *body = g_strdup_printf ("{\"id\":\"%s\",\"n\":%u}", id, i);
      cr_webhook_push (webhook, id, "test", body);
    }
  cr_webhook_get_counts (webhook, &counts);
  g_assert_cmpuint (counts.queued, ==, 3);
  g_assert_cmpuint (counts.dropped, ==, 7);
  /* Tried while down (connection refused) before the receiver comes up. */
  for (guint waited = 0; waited < 500 && counts.failures == 0; waited++)
    {
      g_usleep (10000);
      cr_webhook_get_counts (webhook, &counts);
    }
  g_assert_cmpuint (counts.failures, >=, 1);

  receiver = receiver_new (port);
  had = receiver_wait (receiver, 3, 5 * cr_test_timing_factor ());
  g_assert_cmpuint (had, ==, 3);
  /* The newest two kept, in order, after the head. */
  g_assert_cmpstr (receiver_get (receiver, 1)->id, ==, "n8");
  g_assert_cmpstr (receiver_get (receiver, 2)->id, ==, "n9");
  /* The head: whichever the thread had taken to send when the burst went
   * past it (n0 to n7), kept while it was being sent. */
  g_assert_true (g_str_has_prefix (receiver_get (receiver, 0)->id, "n"));
  g_assert_cmpint (g_ascii_strtoll (receiver_get (receiver, 0)->id + 1, NULL, 10), <=, 7);
  for (guint i = 0; i < 3; i++)
    json_object_unref (verify (receiver_get (receiver, i), SECRET));

  /* Up: 50 in a burst (within the bound), all delivered, in the order
   * pushed. */
  config.max_queued = 100;
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *id = g_strdup_printf ("m%u", i);
      g_autofree char *body = g_strdup_printf ("{\"id\":\"%s\"}", id);
      cr_webhook_push (webhook, id, "test", body);
    }
  g_assert_cmpuint (receiver_wait (receiver, 53, 10 * cr_test_timing_factor ()), ==, 53);
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *id = g_strdup_printf ("m%u", i);
      g_assert_cmpstr (receiver_get (receiver, 3 + i)->id, ==, id);
    }
  /* Counted once the answer is read, a moment after the receiver has it. */
  for (guint waited = 0; waited < 100; waited++)
    {
      cr_webhook_get_counts (webhook, &counts);
      if (counts.delivered == 53)
        break;
      g_usleep (10000);
    }
  g_assert_cmpuint (counts.delivered, ==, 53);
  g_assert_cmpuint (counts.dropped, ==, 7);
  g_assert_cmpuint (counts.queued, ==, 0);
}

/* A group that cannot work is refused before the daemon runs: exit 2, the
 * group and the key named. */
static void
test_bad_config (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *good = write_secret (room, "good", SECRET, 0600);
  g_autofree char *open_to_all = write_secret (room, "open", SECRET, 0644);
  g_autofree char *empty = write_secret (room, "empty", "\n", 0600);
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *original = NULL;
  const struct {
    const char *group;
    const char *expected;
  } cases[] = {
    { "secret_file = %s\n", "[alarm webhook monitoring] url is missing" },
    { "url = ftp://127.0.0.1/alarms\nsecret_file = %s\n",
      "[alarm webhook monitoring] url = \"ftp://127.0.0.1/alarms\": not a webhook URL" },
    { "url = file:///etc/passwd\nsecret_file = %s\n", "[alarm webhook monitoring] url" },
    { "url = http://127.0.0.1:9/alarms\n", "[alarm webhook monitoring] secret_file is missing" },
    { "url = http://127.0.0.1:9/alarms\nsecret_file = %s.missing\n",
      "[alarm webhook monitoring] secret_file = " },
    { "url = http://127.0.0.1:9/alarms\nsecret_file = %s\ntimeout_seconds = 0\n",
      "[alarm webhook monitoring] timeout_seconds = \"0\"" },
    { "url = http://127.0.0.1:9/alarms\nsecret_file = %s\nretry_min_seconds = 10\n"
      "retry_max_seconds = 5\n", "[alarm webhook monitoring] retry_min_seconds = 10" },
    { "url = http://127.0.0.1:9/alarms\nsecret_file = %s\nmax_queud = 5\n",
      "[alarm webhook monitoring] unknown key \"max_queud\"" },
  };
  g_autoptr (GError) error = NULL;

  g_file_get_contents (room->config_path, &original, NULL, &error);
  g_assert_no_error (error);

  for (gsize i = 0; i < G_N_ELEMENTS (cases) + 4; i++)
    {
      g_autofree char *group = NULL;
      g_autofree char *config = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      const char *expected;
      const char *argv[] = { courtrecd, "-c", room->config_path, "--check-config", NULL };
      int status;

      if (i < G_N_ELEMENTS (cases))
        {
          group = g_strdup_printf (cases[i].group, good);
          group = g_strconcat ("[alarm webhook monitoring]\n", group, NULL);
          expected = cases[i].expected;
        }
      else if (i == G_N_ELEMENTS (cases))
        {
          group = g_strdup_printf ("[alarm webhook monitoring]\nurl = https://127.0.0.1/a\n"
                                   "secret_file = %s\n", open_to_all);
          expected = "[alarm webhook monitoring] secret_file = ";
        }
      else if (i == G_N_ELEMENTS (cases) + 1)
        {
          group = g_strdup_printf ("[alarm webhook monitoring]\nurl = https://127.0.0.1/a\n"
                                   "secret_file = %s\n", empty);
          expected = "the file is empty";
        }
      else if (i == G_N_ELEMENTS (cases) + 2)
        {
          group = g_strdup ("[alarm monitoring]\nurl = https://127.0.0.1/a\n");
          expected = "expected [alarm webhook NAME]";
        }
      else
        {
          /* The good one passes. */
          group = g_strdup_printf ("[alarm webhook monitoring]\nurl = https://127.0.0.1/a\n"
                                   "secret_file = %s\n", good);
          expected = NULL;
        }
      config = g_strconcat (original, "\n", group, NULL);
      g_file_set_contents (room->config_path, config, -1, &error);
      g_assert_no_error (error);
      status = cr_test_run (&out, &err, argv);
      g_test_message ("%s-> %d: %s", group, status, err);
      if (expected == NULL)
        {
          g_assert_cmpint (status, ==, 0);
          continue;
        }
      g_assert_cmpint (status, ==, 2);
      if (strstr (err, expected) == NULL)
        g_error ("courtrecd --check-config said \"%s\", not \"%s\"", err, expected);
      if (i == G_N_ELEMENTS (cases))
        g_assert_nonnull (strstr (err, "0644"));
      g_assert_null (strstr (err, SECRET));
    }
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  /* The in-process webhook warns of each failed attempt, as it should;
   * criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/courtrec/webhook/camera-lost", test_camera_lost);
  g_test_add_func ("/courtrec/webhook/down-then-up", test_down_then_up);
  g_test_add_func ("/courtrec/webhook/queue", test_queue);
  g_test_add_func ("/courtrec/webhook/bad-config", test_bad_config);
  return g_test_run ();
}
