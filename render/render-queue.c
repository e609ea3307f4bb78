/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* render-queue.c: see render-queue.h. The child's stdout is read line by
 * line on the main context ("progress F", "done JSON"); its stderr is kept
 * (the last 4 KiB) for the error message; the end is its exit, waited for
 * asynchronously. */
#include "render/render-queue.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
  guint64 id;
  char *job_path;
  CrRenderProgress progress;
  CrRenderDone done;
  gpointer user_data;
  /* While it runs. */
  GSubprocess *process;
  GDataInputStream *out;
  GCancellable *cancellable;
  GString *errors;
  char *sha256;
  gint64 bytes, duration_us;
  gboolean finished;         /* a "done" line came */
  gboolean cancelled;
  guint pending;             /* stdout, stderr and exit reads still out */
  struct Reader *reader;     /* theirs */
} Job;

struct CrRenderQueue {
  char *courtrec_path;
  GQueue jobs;               /* Job*, the head runs */
  guint64 next_id;
  gboolean freeing;
};

static void start_next (CrRenderQueue *queue);

static void
job_free (Job *job)
{
  if (job == NULL)
    return;
  g_free (job->job_path);
  g_clear_object (&job->process);
  g_clear_object (&job->out);
  g_clear_object (&job->cancellable);
  if (job->errors != NULL)
    g_string_free (job->errors, TRUE);
  g_free (job->sha256);
  g_free (job);
}

CrRenderQueue *
cr_render_queue_new (const char *courtrec_path)
{
  CrRenderQueue *queue = g_new0 (CrRenderQueue, 1);

  g_return_val_if_fail (courtrec_path != NULL, NULL);
  queue->courtrec_path = g_strdup (courtrec_path);
  queue->next_id = 1;
  g_queue_init (&queue->jobs);
  return queue;
}

/* Each callback of a running job holds the queue through the job: the
 * job's data lives until its last read is back (pending), and a job whose
 * queue went away only frees itself. */
typedef struct Reader {
  CrRenderQueue *queue;      /* NULL once the queue is freed */
  Job *job;
} Reader;

static void
child_setup (gpointer data)
{
  /* Behind the capture for the CPU and the disk. */
  setpriority (PRIO_PROCESS, 0, 10);
}

static void
finish (Reader *reader)
{
  CrRenderQueue *queue = reader->queue;
  Job *job = reader->job;
  gboolean ok;
  g_autofree char *message = NULL;

  if (--job->pending > 0)
    return;
  if (queue == NULL)
    {
      job_free (job);
      g_free (reader);
      return;
    }
  ok = !job->cancelled && job->finished && g_subprocess_get_if_exited (job->process) &&
       g_subprocess_get_exit_status (job->process) == 0;
  if (!ok)
    {
      if (job->cancelled)
        message = g_strdup ("Cancelled");
      else if (job->errors->len > 0)
        message = g_strdup (g_strchomp (job->errors->str));
      else if (g_subprocess_get_if_signaled (job->process))
        message = g_strdup_printf ("The renderer was killed by signal %d",
                                   g_subprocess_get_term_sig (job->process));
      else
        message = g_strdup ("The renderer ended without a copy");
    }
  g_queue_remove (&queue->jobs, job);
  g_free (reader);
  if (job->done != NULL)
    job->done (ok, ok ? job->sha256 : NULL, job->bytes, job->duration_us, message,
               job->user_data);
  job_free (job);
  start_next (queue);
}

static void
parse_done (Job *job, const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  object = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (object, "sha256"))
    return;
  g_free (job->sha256);
  job->sha256 = g_strdup (json_object_get_string_member_with_default (object, "sha256", ""));
  job->bytes = json_object_get_int_member_with_default (object, "bytes", 0);
  job->duration_us = json_object_get_int_member_with_default (object, "duration_us", 0);
  job->finished = strlen (job->sha256) == 64;
}

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  Reader *reader = data;
  Job *job = reader->job;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (
      G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL)
    {
      finish (reader);
      return;
    }
  if (reader->queue != NULL && g_str_has_prefix (line, "progress "))
    {
      double fraction = g_ascii_strtod (line + 9, NULL);

      if (job->progress != NULL && !job->cancelled)
        job->progress (CLAMP (fraction, 0.0, 1.0), job->user_data);
    }
  else if (g_str_has_prefix (line, "done "))
    parse_done (job, line + 5);
  g_data_input_stream_read_line_async (job->out, G_PRIORITY_DEFAULT, job->cancellable,
                                       on_line, reader);
}

static void
on_errors (GObject *source, GAsyncResult *result, gpointer data)
{
  Reader *reader = data;
  Job *job = reader->job;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source),
                                                               result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      finish (reader);
      return;
    }
  g_string_append_len (job->errors, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  /* The end of it says why. */
  if (job->errors->len > 4096)
    g_string_erase (job->errors, 0, job->errors->len - 4096);
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 4096, G_PRIORITY_DEFAULT,
                                   job->cancellable, on_errors, reader);
}

static void
on_renderer_exit (GObject *source, GAsyncResult *result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  finish (data);
}

static void
start_next (CrRenderQueue *queue)
{
  Job *job = g_queue_peek_head (&queue->jobs);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;

  if (job == NULL || job->process != NULL || queue->freeing)
    return;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  job->process = g_subprocess_launcher_spawn (launcher, &error, queue->courtrec_path,
                                              "render", job->job_path, NULL);
  if (job->process == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Could not run '%s': %s",
                                                  queue->courtrec_path, error->message);

      g_queue_pop_head (&queue->jobs);
      if (job->done != NULL)
        job->done (FALSE, NULL, 0, 0, message, job->user_data);
      job_free (job);
      start_next (queue);
      return;
    }
  job->cancellable = g_cancellable_new ();
  job->errors = g_string_new (NULL);
  job->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (job->process));
  job->pending = 3;
  {
    Reader *reader = g_new0 (Reader, 1);

    reader->queue = queue;
    reader->job = job;
    job->reader = reader;
    /* One Reader for the three reads: finish() counts them down. */
    g_data_input_stream_read_line_async (job->out, G_PRIORITY_DEFAULT, job->cancellable,
                                         on_line, reader);
    g_input_stream_read_bytes_async (g_subprocess_get_stderr_pipe (job->process), 4096,
                                     G_PRIORITY_DEFAULT, job->cancellable, on_errors,
                                     reader);
    g_subprocess_wait_async (job->process, NULL, on_renderer_exit, reader);
  }
}

guint64
cr_render_queue_submit (CrRenderQueue *queue, const char *job_path,
                        CrRenderProgress progress, CrRenderDone done, gpointer user_data)
{
  Job *job;

  g_return_val_if_fail (queue != NULL, 0);
  g_return_val_if_fail (job_path != NULL, 0);

  job = g_new0 (Job, 1);
  job->id = queue->next_id++;
  job->job_path = g_strdup (job_path);
  job->progress = progress;
  job->done = done;
  job->user_data = user_data;
  g_queue_push_tail (&queue->jobs, job);
  start_next (queue);
  return job->id;
}

gboolean
cr_render_queue_cancel (CrRenderQueue *queue, guint64 id)
{
  g_return_val_if_fail (queue != NULL, FALSE);

  for (GList *l = queue->jobs.head; l != NULL; l = l->next)
    {
      Job *job = l->data;

      if (job->id != id)
        continue;
      if (job->process == NULL)
        {
          g_queue_delete_link (&queue->jobs, l);
          job_free (job);
          return TRUE;
        }
      if (!job->cancelled)
        {
          job->cancelled = TRUE;
          g_subprocess_send_signal (job->process, SIGTERM);
        }
      return TRUE;
    }
  return FALSE;
}

guint
cr_render_queue_length (CrRenderQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);
  return queue->jobs.length;
}

void
cr_render_queue_free (CrRenderQueue *queue)
{
  Job *job;

  if (queue == NULL)
    return;
  queue->freeing = TRUE;
  while ((job = g_queue_pop_head (&queue->jobs)) != NULL)
    {
      if (job->process == NULL)
        {
          job_free (job);
          continue;
        }
      /* Its reads come back on the main context and free it then. */
      g_subprocess_force_exit (job->process);
      g_cancellable_cancel (job->cancellable);
      job->done = NULL;
      job->progress = NULL;
      job->reader->queue = NULL;
    }
  g_free (queue->courtrec_path);
  g_free (queue);
}
