/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedule-poller.c: see schedule-poller.h.
 *
 * One read of a source: open a stream (a GET through libsoup, or the file
 * through GIO), read it to CR_SCHEDULE_MAX_BYTES at most, compare its
 * SHA-256 with the last body's, parse it in a worker thread, replace the
 * source's hearings on the main context. The first read of a process is
 * unconditional (no If-None-Match) so that what the body skipped is known
 * again after a restart; later ones send the source's ETag and
 * Last-Modified and take 304 as "unchanged". Redirects are bounded by
 * libsoup (20). */
#include "schedule/schedule-poller.h"

#include <libsoup/soup.h>
#include <string.h>

#include "archive/utc.h"
#include "schedule/hearing-feed.h"
#include "schedule/hearing-store.h"
#include "schedule/ical-calendar.h"

#define READ_CHUNK (64 * 1024)
/* A calendar of thousands of events without case numbers must not fill
 * the journal at each change. */
#define MAX_LOGGED_SKIPS 20
#define STALE_FLOOR_US (15 * G_TIME_SPAN_MINUTE)

typedef struct Source Source;

struct CrSchedulePoller {
  const CrConfig *config;
  CrSegmentIndex *index;
  void (*changed) (gpointer user_data);
  gpointer user_data;
  GMainContext *context;
  SoupSession *session;
  GSource *timer;
  GSource *first;             /* the read at once, until it runs */
  Source *sources[2];
  guint n_sources;
};

/* A source outlives its poller while a read is under way: the read's
 * callbacks hold a reference and find poller NULL once it is freed. */
struct Source {
  CrSchedulePoller *poller;
  char *name;                 /* calendar | feed */
  char *location;             /* URL or file */
  gboolean busy;
  gboolean parsed;            /* a body was parsed by this process */
  guint skipped;
  char *skipped_reason;
  /* The read under way. */
  GCancellable *cancellable;
  GSource *deadline;
  SoupMessage *message;
  GInputStream *stream;
  GByteArray *body;
  char *content_type;
  char *etag, *last_modified;
};

typedef struct {
  GBytes *body;
  gboolean calendar;
  char *content_type;
  CrScheduleScope *scope;
} ParseJob;

static Source *
source_ref (Source *source)
{
  return g_atomic_rc_box_acquire (source);
}

static void
source_clear (Source *source)
{
  g_free (source->name);
  g_free (source->location);
  g_free (source->skipped_reason);
  g_clear_object (&source->cancellable);
  g_clear_object (&source->message);
  g_clear_object (&source->stream);
  g_clear_pointer (&source->body, g_byte_array_unref);
  g_free (source->content_type);
  g_free (source->etag);
  g_free (source->last_modified);
  if (source->deadline != NULL)
    {
      g_source_destroy (source->deadline);
      g_source_unref (source->deadline);
    }
}

static void
source_unref (Source *source)
{
  g_atomic_rc_box_release_full (source, (GDestroyNotify) source_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Source, source_unref)

static void
parse_job_free (ParseJob *job)
{
  g_bytes_unref (job->body);
  g_free (job->content_type);
  cr_schedule_scope_free (job->scope);
  g_free (job);
}

/* The source's address as status shows it: a password in the URL is
 * not shown. */
static char *
shown_location (const char *location)
{
  g_autoptr (GUri) uri = NULL;

  if (strstr (location, "://") == NULL)
    return g_strdup (location);
  uri = g_uri_parse (location, G_URI_FLAGS_HAS_PASSWORD, NULL);
  return uri != NULL ? g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD)
                     : g_strdup (location);
}

/* The source's row, or a fresh one when there is none or it was of
 * another address (the config changed: its ETag means nothing here). */
static CrScheduleSourceRow *
source_row (Source *source)
{
  g_autoptr (GError) error = NULL;
  CrScheduleSourceRow *row = cr_schedule_source_get (source->poller->index, source->name,
                                                     &error);

  if (error != NULL)
    g_warning ("schedule %s: %s", source->name, error->message);
  if (row != NULL && g_strcmp0 (row->location, source->location) != 0)
    g_clear_pointer (&row, cr_schedule_source_row_free);
  if (row == NULL)
    {
      row = g_new0 (CrScheduleSourceRow, 1);
      row->source = g_strdup (source->name);
      row->location = g_strdup (source->location);
    }
  return row;
}

static void
put_row (Source *source, CrScheduleSourceRow *row)
{
  g_autoptr (GError) error = NULL;

  if (!cr_schedule_source_put (source->poller->index, row, &error))
    g_warning ("schedule %s: %s", source->name, error->message);
}

static void
end_read (Source *source)
{
  source->busy = FALSE;
  g_clear_object (&source->cancellable);
  g_clear_object (&source->message);
  g_clear_object (&source->stream);
  g_clear_pointer (&source->body, g_byte_array_unref);
  g_clear_pointer (&source->content_type, g_free);
  g_clear_pointer (&source->etag, g_free);
  g_clear_pointer (&source->last_modified, g_free);
  if (source->deadline != NULL)
    {
      g_source_destroy (source->deadline);
      g_clear_pointer (&source->deadline, g_source_unref);
    }
}

/* A failed read: the row says so, the hearings stay as they were. The
 * error's time is when the failures began, so that stale can be told
 * across restarts. */
static void
fail (Source *source, const char *format, ...) G_GNUC_PRINTF (2, 3);
static void
fail (Source *source, const char *format, ...)
{
  g_autoptr (CrScheduleSourceRow) row = source_row (source);
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  {
    /* A message, not a warning: the status and the schedule-stale alarm
     * carry it to whoever must act; the journal keeps it. */
    g_autofree char *shown = shown_location (source->location);
    g_message ("schedule %s (%s): %s; the hearings known stay as they are", source->name,
               shown, message);
  }
  if (row->error == NULL || row->error_us == 0)
    row->error_us = g_get_real_time ();
  g_free (row->error);
  row->error = g_steal_pointer (&message);
  put_row (source, row);
  end_read (source);
}

/* A read that succeeded without changing anything. */
static void
unchanged (Source *source)
{
  g_autoptr (CrScheduleSourceRow) row = source_row (source);

  row->checked_us = g_get_real_time ();
  if (source->etag != NULL)
    g_free (row->etag), row->etag = g_strdup (source->etag);
  if (source->last_modified != NULL)
    g_free (row->last_modified), row->last_modified = g_strdup (source->last_modified);
  g_clear_pointer (&row->error, g_free);
  row->error_us = 0;
  put_row (source, row);
  end_read (source);
}

static void
parse_in_thread (GTask *task, gpointer object, gpointer data, GCancellable *cancellable)
{
  ParseJob *job = data;
  gsize length;
  const char *text = g_bytes_get_data (job->body, &length);
  GError *error = NULL;
  CrScheduleParse *parse;

  text = text != NULL ? text : "";
  if (job->calendar)
    parse = cr_ical_calendar_parse (text, length, job->scope, &error);
  else
    parse = cr_hearing_feed_parse (text, length,
                                   cr_hearing_feed_detect (text, length, job->content_type),
                                   job->scope, &error);
  if (parse == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, parse, (GDestroyNotify) cr_schedule_parse_free);
}

static void
parsed (GObject *object, GAsyncResult *result, gpointer data)
{
  g_autoptr (Source) source = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrScheduleParse) parse = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr (CrScheduleSourceRow) row = NULL;
  gint64 now_us = g_get_real_time ();
  guint changed = 0;

  if (source->poller == NULL)
    return;
  if (parse == NULL)
    {
      fail (source, "%s", error->message);
      return;
    }
  if (!cr_hearing_store_replace (source->poller->index, source->name, parse->hearings, now_us,
                                 &changed, &error))
    {
      fail (source, "%s", error->message);
      return;
    }
  source->parsed = TRUE;
  source->skipped = parse->skipped->len;
  g_free (source->skipped_reason);
  source->skipped_reason = parse->skipped->len > 0 ? g_strdup (parse->skipped->pdata[0]) : NULL;
  for (guint i = 0; i < MIN (parse->skipped->len, MAX_LOGGED_SKIPS); i++)
    g_message ("schedule %s: not stored: %s", source->name,
               (const char *) parse->skipped->pdata[i]);
  if (parse->skipped->len > MAX_LOGGED_SKIPS)
    g_message ("schedule %s: and %u more not stored (courtrec schedule --check lists them)",
               source->name, parse->skipped->len - MAX_LOGGED_SKIPS);

  row = source_row (source);
  row->checked_us = now_us;
  if (changed > 0 || row->changed_us == 0)
    row->changed_us = now_us;
  g_free (row->sha256);
  row->sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, source->body->data,
                                             source->body->len);
  g_free (row->etag);
  row->etag = g_strdup (source->etag);
  g_free (row->last_modified);
  row->last_modified = g_strdup (source->last_modified);
  row->hearings = parse->hearings->len;
  g_clear_pointer (&row->error, g_free);
  row->error_us = 0;
  put_row (source, row);
  end_read (source);
  if (changed > 0 && source->poller->changed != NULL)
    source->poller->changed (source->poller->user_data);
}

/* The whole body is in: unchanged, or parsed off the main loop. */
static void
body_read (Source *source)
{
  g_autoptr (CrScheduleSourceRow) row = source_row (source);
  g_autofree char *sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                         source->body->data, source->body->len);
  ParseJob *job;
  GTask *task;

  if (source->parsed && g_strcmp0 (sha256, row->sha256) == 0)
    {
      unchanged (source);
      return;
    }
  job = g_new0 (ParseJob, 1);
  job->body = g_bytes_new (source->body->data, source->body->len);
  job->calendar = strcmp (source->name, "calendar") == 0;
  job->content_type = g_strdup (source->content_type);
  job->scope = cr_schedule_scope_new (source->poller->config, g_get_real_time ());
  task = g_task_new (NULL, NULL, parsed, source_ref (source));
  g_task_set_task_data (task, job, (GDestroyNotify) parse_job_free);
  g_task_run_in_thread (task, parse_in_thread);
  g_object_unref (task);
}

static void read_more (Source *source);

static void
chunk_read (GObject *object, GAsyncResult *result, gpointer data)
{
  g_autoptr (Source) source = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result,
                                                              &error);

  if (source->poller == NULL)
    return;
  if (chunk == NULL)
    {
      fail (source, "reading: %s", g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
            || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
            ? "no complete answer within " G_STRINGIFY (CR_SCHEDULE_TIMEOUT_SECONDS) " s"
            : error->message);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      body_read (source);
      return;
    }
  if (source->body->len + g_bytes_get_size (chunk) > CR_SCHEDULE_MAX_BYTES)
    {
      fail (source, "larger than %d MiB, the most a schedule may be",
            CR_SCHEDULE_MAX_BYTES / (1024 * 1024));
      return;
    }
  g_byte_array_append (source->body, g_bytes_get_data (chunk, NULL),
                       (guint) g_bytes_get_size (chunk));
  read_more (source);
}

static void
read_more (Source *source)
{
  g_input_stream_read_bytes_async (source->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   source->cancellable, chunk_read, source_ref (source));
}

static void
start_body (Source *source, GInputStream *stream)
{
  source->stream = stream;
  source->body = g_byte_array_new ();
  read_more (source);
}

static void
sent (GObject *object, GAsyncResult *result, gpointer data)
{
  g_autoptr (Source) source = data;
  g_autoptr (GError) error = NULL;
  GInputStream *stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  SoupMessageHeaders *headers;
  guint status;
  goffset length;

  if (source->poller == NULL)
    {
      g_clear_object (&stream);
      return;
    }
  if (stream == NULL)
    {
      fail (source, "%s", g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                          || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
                          ? "no answer within " G_STRINGIFY (CR_SCHEDULE_TIMEOUT_SECONDS) " s"
                          : error->message);
      return;
    }
  status = soup_message_get_status (source->message);
  headers = soup_message_get_response_headers (source->message);
  source->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  source->last_modified = g_strdup (soup_message_headers_get_one (headers, "Last-Modified"));
  source->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  if (status == SOUP_STATUS_NOT_MODIFIED)
    {
      g_object_unref (stream);
      unchanged (source);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_object_unref (stream);
      fail (source, "HTTP %u %s", status, soup_message_get_reason_phrase (source->message));
      return;
    }
  length = soup_message_headers_get_content_length (headers);
  if (length > CR_SCHEDULE_MAX_BYTES)
    {
      g_object_unref (stream);
      fail (source, "larger than %d MiB, the most a schedule may be (Content-Length %"
            G_GOFFSET_FORMAT ")", CR_SCHEDULE_MAX_BYTES / (1024 * 1024), length);
      return;
    }
  start_body (source, stream);
}

static void
file_opened (GObject *object, GAsyncResult *result, gpointer data)
{
  g_autoptr (Source) source = data;
  g_autoptr (GError) error = NULL;
  GFileInputStream *stream = g_file_read_finish (G_FILE (object), result, &error);

  if (source->poller == NULL)
    {
      g_clear_object (&stream);
      return;
    }
  if (stream == NULL)
    {
      fail (source, "%s", error->message);
      return;
    }
  start_body (source, G_INPUT_STREAM (stream));
}

static gboolean
deadline_passed (gpointer data)
{
  Source *source = data;

  g_cancellable_cancel (source->cancellable);
  g_clear_pointer (&source->deadline, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
poll_source (Source *source)
{
  CrSchedulePoller *poller = source->poller;

  if (source->busy)
    return;
  source->busy = TRUE;
  source->cancellable = g_cancellable_new ();
  if (g_str_has_prefix (source->location, "http://")
      || g_str_has_prefix (source->location, "https://"))
    {
      g_autoptr (CrScheduleSourceRow) row = source_row (source);
      SoupMessageHeaders *headers;

      source->message = soup_message_new (SOUP_METHOD_GET, source->location);
      if (source->message == NULL)
        {
          fail (source, "not a URL libsoup can fetch");
          return;
        }
      headers = soup_message_get_request_headers (source->message);
      if (source->parsed && row->etag != NULL)
        soup_message_headers_replace (headers, "If-None-Match", row->etag);
      if (source->parsed && row->last_modified != NULL)
        soup_message_headers_replace (headers, "If-Modified-Since", row->last_modified);
      source->deadline = g_timeout_source_new_seconds (CR_SCHEDULE_TIMEOUT_SECONDS);
      g_source_set_callback (source->deadline, deadline_passed, source, NULL);
      g_source_attach (source->deadline, poller->context);
      soup_session_send_async (poller->session, source->message, G_PRIORITY_DEFAULT,
                               source->cancellable, sent, source_ref (source));
    }
  else
    {
      g_autoptr (GFile) file = g_file_new_for_path (source->location);

      g_file_read_async (file, G_PRIORITY_DEFAULT, source->cancellable, file_opened,
                         source_ref (source));
    }
}

void
cr_schedule_poller_poll_now (CrSchedulePoller *poller)
{
  g_return_if_fail (poller != NULL);
  for (guint i = 0; i < poller->n_sources; i++)
    poll_source (poller->sources[i]);
}

gboolean
cr_schedule_poller_busy (CrSchedulePoller *poller)
{
  for (guint i = 0; i < poller->n_sources; i++)
    if (poller->sources[i]->busy)
      return TRUE;
  return FALSE;
}

static gboolean
poll_tick (gpointer data)
{
  cr_schedule_poller_poll_now (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
poll_first (gpointer data)
{
  CrSchedulePoller *poller = data;

  g_clear_pointer (&poller->first, g_source_unref);
  cr_schedule_poller_poll_now (poller);
  return G_SOURCE_REMOVE;
}

static void
add_source (CrSchedulePoller *poller, const char *name, const char *location)
{
  Source *source;

  if (location == NULL)
    return;
  source = g_atomic_rc_box_new0 (Source);
  source->poller = poller;
  source->name = g_strdup (name);
  source->location = g_strdup (location);
  poller->sources[poller->n_sources++] = source;
}

CrSchedulePoller *
cr_schedule_poller_new (const CrConfig *config, CrSegmentIndex *index,
                        void (*changed) (gpointer user_data), gpointer user_data)
{
  CrSchedulePoller *poller = g_new0 (CrSchedulePoller, 1);
  g_autofree char *agent = g_strdup_printf ("courtrec/%s", COURTREC_VERSION);

  poller->config = config;
  poller->index = index;
  poller->changed = changed;
  poller->user_data = user_data;
  poller->context = g_main_context_ref_thread_default ();
  add_source (poller, "calendar", config->schedule_calendar);
  add_source (poller, "feed", config->schedule_feed);
  if (poller->n_sources == 0)
    return poller;
  poller->session = soup_session_new_with_options ("timeout", CR_SCHEDULE_TIMEOUT_SECONDS,
                                                   "user-agent", agent, NULL);
  poller->first = g_idle_source_new ();
  g_source_set_callback (poller->first, poll_first, poller, NULL);
  g_source_attach (poller->first, poller->context);
  poller->timer = g_timeout_source_new_seconds (config->schedule_poll_seconds);
  g_source_set_callback (poller->timer, poll_tick, poller, NULL);
  g_source_attach (poller->timer, poller->context);
  return poller;
}

static void
set_time (JsonBuilder *builder, const char *name, gint64 us)
{
  json_builder_set_member_name (builder, name);
  if (us == 0)
    json_builder_add_null_value (builder);
  else
    {
      g_autofree char *text = cr_format_utc (us);
      json_builder_add_string_value (builder, text);
    }
}

static void
set_text (JsonBuilder *builder, const char *name, const char *text)
{
  json_builder_set_member_name (builder, name);
  if (text == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, text);
}

JsonNode *
cr_schedule_poller_get_sources (CrSchedulePoller *poller)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < poller->n_sources; i++)
    {
      Source *source = poller->sources[i];
      g_autoptr (CrScheduleSourceRow) row = source_row (source);
      g_autofree char *shown = shown_location (source->location);

      json_builder_begin_object (builder);
      set_text (builder, "source", source->name);
      set_text (builder, "location", shown);
      set_time (builder, "checked", row->checked_us);
      set_time (builder, "changed", row->changed_us);
      json_builder_set_member_name (builder, "hearings");
      json_builder_add_int_value (builder, row->hearings);
      json_builder_set_member_name (builder, "skipped");
      json_builder_add_int_value (builder, source->skipped);
      set_text (builder, "skipped_reason", source->skipped_reason);
      set_text (builder, "error", row->error);
      set_time (builder, "error_since", row->error != NULL ? row->error_us : 0);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

gboolean
cr_schedule_poller_is_stale (CrSchedulePoller *poller, gint64 now_us, char **why)
{
  gint64 limit_us = MAX (3 * (gint64) poller->config->schedule_poll_seconds * G_USEC_PER_SEC,
                         STALE_FLOOR_US);

  for (guint i = 0; i < poller->n_sources; i++)
    {
      Source *source = poller->sources[i];
      g_autoptr (CrScheduleSourceRow) row = source_row (source);

      if (row->error != NULL && row->error_us != 0 && now_us - row->error_us > limit_us)
        {
          if (why != NULL)
            {
              g_autofree char *since = cr_format_utc (row->error_us);
              *why = g_strdup_printf ("the %s has failed since %s: %s", source->name, since,
                                      row->error);
            }
          return TRUE;
        }
    }
  if (why != NULL)
    *why = NULL;
  return FALSE;
}

void
cr_schedule_poller_free (CrSchedulePoller *poller)
{
  if (poller == NULL)
    return;
  if (poller->timer != NULL)
    {
      g_source_destroy (poller->timer);
      g_source_unref (poller->timer);
    }
  if (poller->first != NULL)
    {
      g_source_destroy (poller->first);
      g_source_unref (poller->first);
    }
  for (guint i = 0; i < poller->n_sources; i++)
    {
      Source *source = poller->sources[i];

      source->poller = NULL;
      if (source->cancellable != NULL)
        g_cancellable_cancel (source->cancellable);
      if (source->deadline != NULL)
        {
          g_source_destroy (source->deadline);
          g_clear_pointer (&source->deadline, g_source_unref);
        }
      source_unref (source);
    }
  g_clear_object (&poller->session);
  g_main_context_unref (poller->context);
  g_free (poller);
}
