/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-copies.c: the derived copies of a grant (access-private.h). One
 * render job per covered session (render-queue.h runs `courtrec render`
 * off the main loop, one at a time); when a copy is whole, its signed
 * manifest (copy-manifest.h) and a copy-rendered event in its session.
 * The original recording is only read. */
#include "access/access-private.h"

#include <errno.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "archive/redaction-list.h"
#include "archive/utc.h"
#include "config/text.h"

#include "render/render-queue.h"
#include "render/session-job.h"
#include "archive/copy-manifest.h"

typedef struct {
  CrAccessService *svc;
  gint64 copy_id, grant_id, session_id;
  guint64 render_id;
  gboolean cancelled;           /* its grant ended: the queue's answer is dropped */
  char *sha256;                 /* rendered: what the renderer said of it */
  gint64 bytes, duration_us;
  guint seal_timer;             /* rendered, waiting for the session's seal */
  guint seal_tries;
  char *dir;                    /* absolute */
  char *watermark, *redactions;
  gint64 from_us, to_us;
  char *requester, *role, *mode, *granted_by;
  gint64 expires_us;
} CopyJob;

/* Tries of 2 s for a session's seal before a copy's manifest is given up. */
#define SEAL_WAIT_TRIES 30

static void
copy_job_free (CopyJob *job)
{
  g_clear_handle_id (&job->seal_timer, g_source_remove);
  g_free (job->sha256);
  g_free (job->dir); g_free (job->watermark); g_free (job->redactions);
  g_free (job->requester); g_free (job->role); g_free (job->mode); g_free (job->granted_by);
  g_free (job);
}

char *
cr_access_copy_path (CrAccessService *svc, gint64 grant_id, gint64 session_id)
{
  g_autofree char *grant = g_strdup_printf ("G%" G_GINT64_FORMAT, grant_id);
  g_autofree char *session = g_strdup_printf ("S%" G_GINT64_FORMAT, session_id);

  return g_build_filename (svc->config->storage_dir, "copies", grant, session, NULL);
}

/* A time of the grant's list (UTC, or an offset from the session's
 * start) as UTC. */
static gint64
resolve_time (const char *text, gint64 started_us)
{
  gint64 utc;

  return cr_redaction_time (text, started_us, &utc) ? utc : started_us;
}

/* The grant's redaction list with every time in UTC for this session.
 * (transfer full) */
static JsonNode *
resolve_redactions (const char *redactions, gint64 started_us)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *array;

  if (redactions == NULL || !json_parser_load_from_data (parser, redactions, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return json_node_init_array (json_node_alloc (), json_array_new ());
  root = json_node_copy (json_parser_get_root (parser));
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      for (const char *const *name = (const char *const[]) { "from", "to", NULL };
           *name != NULL; name++)
        {
          const char *text = json_object_get_string_member_with_default (object, *name, "");
          g_autofree char *utc = cr_format_utc (resolve_time (text, started_us));
          json_object_set_string_member (object, *name, utc);
        }
    }
  return root;
}

/* The job file (render/session-job.h) of @job's copy of @session: the
 * grant's window, watermark and redactions, its times made UTC for this
 * session. (transfer full) */
static char *
job_json (CrAccessService *svc, CopyJob *job, const CrSessionRecord *session, GError **error)
{
  g_autoptr (CrRenderJob) render = NULL;
  g_autoptr (JsonNode) redactions = resolve_redactions (job->redactions, session->started_us);
  g_autofree char *list = json_to_string (redactions, FALSE);

  render = cr_render_job_for_session (svc->index, svc->config, job->session_id, job->dir,
                                      error);
  if (render == NULL || !cr_render_job_set_redactions (render, list, error))
    return NULL;
  render->from_us = job->from_us;
  render->to_us = job->to_us;
  render->watermark = g_strdup (job->watermark);
  return cr_render_job_to_json (render);
}

/* A copy is handed out only with its manifest: without one nobody could
 * tell which recording it came from or for whom, so a copy that cannot
 * get one fails (and is rendered again at the next start). */
static char *
write_manifest (CopyJob *job, const char *sha256, gint64 bytes, gint64 duration_us)
{
  CrAccessService *svc = job->svc;
  struct CrDeviceKey *key = svc->device_key != NULL ? svc->device_key (svc->device_key_data)
                                                    : NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (CrCopyManifest) m = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = g_build_filename (job->dir, "copy.mp4", NULL);

  if (key == NULL)
    return g_strdup ("no manifest: the device key cannot sign");
  session = cr_segment_index_get_session (svc->index, job->session_id, &error);
  if (session == NULL)
    return g_strdup_printf ("no manifest: %s", error->message);
  if (session->chain_head == NULL || session->signature == NULL)
    return g_strdup ("no manifest: the session is not sealed");
  m = cr_copy_manifest_new ();
  m->court = g_strdup (svc->config->court);
  m->room_id = g_strdup (svc->config->room_id);
  m->case_no = g_strdup (session->case_no);
  m->session_id = session->id;
  m->session_started_us = session->started_us;
  m->chain_head = g_strdup (session->chain_head);
  m->seal_signature = g_strdup (session->signature);
  m->from_us = job->from_us;
  m->to_us = job->to_us;
  m->watermark = g_strdup (job->watermark);
  m->grant = g_new0 (CrCopyGrant, 1);
  m->grant->id = job->grant_id;
  m->grant->requester = g_strdup (job->requester);
  m->grant->role = g_strdup (job->role);
  m->grant->mode = g_strdup (job->mode);
  m->grant->expires_us = job->expires_us;
  m->grant->granted_by = g_strdup (job->granted_by);
  m->redactions = g_strdup (job->redactions);
  m->sha256 = g_strdup (sha256);
  m->duration_us = duration_us;
  m->rendered_us = g_get_real_time ();
  if (!cr_copy_manifest_write (key, m, copy, &error))
    return g_strdup_printf ("no manifest: %s", error->message);
  return NULL;
}

/* A copy that is whole: its manifest, its row ready, its event. */
static void
finish_ready (CopyJob *job)
{
  CrAccessService *svc = job->svc;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) one = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *failure = NULL;
  JsonObject *detail;

  g_ptr_array_remove (svc->jobs, job);
  failure = write_manifest (job, job->sha256, job->bytes, job->duration_us);
  if (failure != NULL)
    {
      if (!cr_access_store_finish_copy (svc->index, job->copy_id, FALSE, NULL, 0, 0,
                                        g_get_real_time (), failure, &error))
        g_warning ("%s", error->message);
      g_warning ("The copy of session %" G_GINT64_FORMAT " for G%" G_GINT64_FORMAT
                 " failed: %s", job->session_id, job->grant_id, failure);
      copy_job_free (job);
      return;
    }
  detail = json_object_new ();
  if (!cr_access_store_finish_copy (svc->index, job->copy_id, TRUE, job->sha256, job->bytes,
                                    job->duration_us, g_get_real_time (), NULL, &error))
    g_warning ("%s", error->message);
  g_message ("The copy of session %" G_GINT64_FORMAT " for G%" G_GINT64_FORMAT
             " is ready (%" G_GINT64_FORMAT " bytes)", job->session_id, job->grant_id,
             job->bytes);
  g_array_append_val (one, job->session_id);
  json_object_set_int_member (detail, "grant", job->grant_id);
  json_object_set_string_member (detail, "sha256", job->sha256);
  json_object_set_int_member (detail, "bytes", job->bytes);
  if (job->redactions != NULL && json_parser_load_from_data (parser, job->redactions, -1, NULL))
    json_object_set_member (detail, "redactions", json_node_copy (json_parser_get_root (parser)));
  cr_access_write_events (svc, one, CR_EVENT_COPY_RENDERED, detail, NULL);
  copy_job_free (job);
}

static gboolean
session_sealed (CopyJob *job)
{
  g_autoptr (CrSessionRecord) session =
      cr_segment_index_get_session (job->svc->index, job->session_id, NULL);
  return session != NULL && session->chain_head != NULL && session->signature != NULL;
}

/* The manifest quotes the session's seal: a copy finished before the
 * session is sealed (a grant right after the stop) waits for it, a
 * minute at most. */
static gboolean
wait_for_seal (gpointer user_data)
{
  CopyJob *job = user_data;

  if (!session_sealed (job) && ++job->seal_tries < SEAL_WAIT_TRIES)
    return G_SOURCE_CONTINUE;
  job->seal_timer = 0;
  finish_ready (job);
  return G_SOURCE_REMOVE;
}

static void
copy_done (CopyJob *job, gboolean ok, const char *sha256, gint64 bytes, gint64 duration_us,
           const char *error_message)
{
  CrAccessService *svc = job->svc;
  g_autoptr (GError) error = NULL;

  if (job->cancelled)
    {
      g_ptr_array_remove (svc->cancelled, job);
      copy_job_free (job);
      return;
    }
  job->render_id = 0;
  if (ok)
    {
      job->sha256 = g_strdup (sha256);
      job->bytes = bytes;
      job->duration_us = duration_us;
      if (session_sealed (job))
        finish_ready (job);
      else
        job->seal_timer = g_timeout_add_seconds (2, wait_for_seal, job);
      return;
    }
  g_ptr_array_remove (svc->jobs, job);
  if (!cr_access_store_finish_copy (svc->index, job->copy_id, FALSE, NULL, 0, 0,
                                    g_get_real_time (), error_message, &error))
    g_warning ("%s", error->message);
  g_warning ("The copy of session %" G_GINT64_FORMAT " for G%" G_GINT64_FORMAT " failed: %s",
             job->session_id, job->grant_id,
             cr_text_shown (error_message != NULL ? error_message : "?"));
  copy_job_free (job);
}

static void
on_render_progress (double fraction, gpointer user_data)
{
}

static void
on_render_done (gboolean ok, const char *sha256, gint64 bytes, gint64 duration_us,
                const char *error_message, gpointer user_data)
{
  copy_done (user_data, ok, sha256, bytes, duration_us, error_message);
}

static gboolean
write_private (const char *path, const char *text, GError **error)
{
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

/* Deletes @path and what is under it, without following links. */
static gboolean
remove_tree (const char *path)
{
  GDir *dir;
  const char *name;
  gboolean ok = TRUE;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return g_unlink (path) == 0;
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      ok &= remove_tree (child);
    }
  g_dir_close (dir);
  return ok && g_rmdir (path) == 0;
}

/* Writes the job of one copy and submits it; @copy_id 0 for a new copy
 * (its row is made), else the pending row to render again. */
static void
start_copy (CrAccessService *svc, const CrAccessGrantRow *grant,
            const CrAccessRequestRow *request, gint64 session_id, gint64 copy_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *relative = NULL;
  g_autofree char *job_path = NULL;
  g_autofree char *text = NULL;
  CopyJob *job = g_new0 (CopyJob, 1);

  job->svc = svc;
  job->grant_id = grant->id;
  job->session_id = session_id;
  job->copy_id = copy_id;
  job->dir = cr_access_copy_path (svc, grant->id, session_id);
  job->watermark = g_strdup (grant->watermark);
  job->redactions = g_strdup (grant->redactions);
  job->from_us = request->span_from_us;
  job->to_us = request->span_to_us;
  job->requester = g_strdup (request->requester);
  job->role = g_strdup (request->role);
  job->mode = g_strdup (grant->mode);
  job->granted_by = g_strdup (grant->granted_by);
  job->expires_us = grant->expires_us;

  parent = g_path_get_dirname (job->dir);
  relative = g_strdup_printf ("copies/G%" G_GINT64_FORMAT "/S%" G_GINT64_FORMAT,
                              grant->id, session_id);
  job_path = g_strdup_printf ("%s.job.json", job->dir);
  /* A copy rendered again starts from nothing: what a render left (it
   * was never checked in, or it failed) is not trusted. */
  if (copy_id != 0 && g_file_test (job->dir, G_FILE_TEST_EXISTS) && !remove_tree (job->dir))
    g_warning ("Could not remove the unfinished copy %s", cr_text_shown (job->dir));
  session = cr_segment_index_get_session (svc->index, session_id, &error);
  if (session == NULL ||
      (job->copy_id == 0 &&
       (job->copy_id = cr_access_store_add_copy (svc->index, grant->id, session_id,
                                                 relative, &error)) <= 0) ||
      (text = job_json (svc, job, session, &error)) == NULL)
    {
      g_warning ("The copy of session %" G_GINT64_FORMAT " for G%" G_GINT64_FORMAT
                 " cannot be made: %s", session_id, grant->id, error->message);
      copy_job_free (job);
      return;
    }
  if (g_mkdir_with_parents (parent, 0700) != 0)
    {
      g_warning ("Cannot make %s: %s", cr_text_shown (parent), g_strerror (errno));
      copy_job_free (job);
      return;
    }
  if (!write_private (job_path, text, &error))
    {
      g_warning ("%s", error->message);
      copy_job_free (job);
      return;
    }
  if (svc->queue != NULL)
    {
      g_ptr_array_add (svc->jobs, job);
      job->render_id = cr_render_queue_submit (svc->queue, job_path, on_render_progress,
                                               on_render_done, job);
      return;
    }
  g_message ("The copy of session %" G_GINT64_FORMAT " for G%" G_GINT64_FORMAT
             " waits: no render queue (job %s)", session_id, grant->id,
             cr_text_shown (job_path));
  copy_job_free (job);
}

void
cr_access_copies_start (CrAccessService *svc, const CrAccessGrantRow *grant,
                        const CrAccessRequestRow *request, GArray *sessions)
{
  for (guint i = 0; i < sessions->len; i++)
    start_copy (svc, grant, request, g_array_index (sessions, gint64, i), 0);
}

void
cr_access_copies_resume (CrAccessService *svc)
{
  g_autoptr (GPtrArray) copies = cr_access_store_list_pending_copies (svc->index, NULL);
  gint64 now = g_get_real_time ();

  /* Renders that a restart cut short, or that failed (a full disk, a
   * renderer killed), of grants still in force: once per start. */
  for (guint i = 0; copies != NULL && i < copies->len; i++)
    {
      CrDerivedCopyRow *copy = g_ptr_array_index (copies, i);
      g_autoptr (CrAccessGrantRow) grant =
          cr_access_store_get_grant (svc->index, copy->grant_id, NULL);
      g_autoptr (CrAccessRequestRow) request =
          grant != NULL ? cr_access_store_get_request (svc->index, grant->request_id, NULL)
                        : NULL;

      if (request == NULL || grant->revoked_us != 0 || grant->expires_us <= now)
        continue;
      g_message ("Rendering the copy of session %" G_GINT64_FORMAT " for G%" G_GINT64_FORMAT
                 " again: the last render %s", copy->session_id, grant->id,
                 g_strcmp0 (copy->state, "failed") == 0 ? "failed" : "did not finish");
      start_copy (svc, grant, request, copy->session_id, copy->id);
    }
}

void
cr_access_copies_discard (CrAccessService *svc, gint64 grant_id)
{
  g_autofree char *name = g_strdup_printf ("G%" G_GINT64_FORMAT, grant_id);
  g_autofree char *dir = g_build_filename (svc->config->storage_dir, "copies", name, NULL);

  for (guint i = 0; i < svc->jobs->len; i++)
    {
      CopyJob *job = g_ptr_array_index (svc->jobs, i);

      if (job->grant_id != grant_id)
        continue;
      g_ptr_array_remove_index (svc->jobs, i--);
      if (job->render_id == 0)
        {
          /* Rendered, waiting for the seal: nothing will answer. */
          copy_job_free (job);
          continue;
        }
      /* A running render still answers, "Cancelled": the job waits for
       * it (a queued one is dropped without an answer, and freed with
       * the service). */
      job->cancelled = TRUE;
      g_ptr_array_add (svc->cancelled, job);
      if (svc->queue != NULL)
        cr_render_queue_cancel (svc->queue, job->render_id);
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return;
  /* The copies carry the requester's name in every picture: once the
   * grant has ended nobody may fetch them, so they are not kept. */
  if (!remove_tree (dir))
    g_warning ("Could not delete the copies of G%" G_GINT64_FORMAT " in %s: %s", grant_id,
               cr_text_shown (dir), g_strerror (errno));
  else
    g_message ("Deleted the copies of G%" G_GINT64_FORMAT, grant_id);
}

void
cr_access_copies_cancel_all (CrAccessService *svc)
{
  /* The queue is freed right after the service, before the main loop
   * runs again: no callback comes for a job freed here. */
  while (svc->cancelled->len > 0)
    copy_job_free (g_ptr_array_steal_index (svc->cancelled, svc->cancelled->len - 1));
  while (svc->jobs->len > 0)
    {
      CopyJob *job = g_ptr_array_steal_index (svc->jobs, svc->jobs->len - 1);
      if (svc->queue != NULL && job->render_id != 0)
        cr_render_queue_cancel (svc->queue, job->render_id);
      copy_job_free (job);
    }
}
