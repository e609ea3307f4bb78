/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod-service.c: see vod-service.h. */
#define _GNU_SOURCE   /* nftw */
#include "vod/vod-service.h"

#include <errno.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "archive/utc.h"
#include "config/text.h"
#include "archive/redaction-list.h"

#include "archive/copy-manifest.h"
#include "render/render-queue.h"
#include "render/session-job.h"

G_DEFINE_QUARK (cr-vod-error-quark, cr_vod_error)

#define VOD_DIR "vod"

struct CrVodService {
  CrSegmentIndex *index;        /* borrowed */
  const CrConfig *config;       /* borrowed */
  CrVodQueueFunc queue;
  CrVodDeviceKeyFunc device_key;
  gpointer user_data;
  GHashTable *renders;          /* publication id (gint64*) -> Render* */
};

/* A render under way: what its callbacks need once it is done. */
typedef struct {
  CrVodService *svc;
  gint64 id;
  guint64 job;                  /* the queue's id */
  double progress;
} Render;

void
cr_vod_entry_free (CrVodEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->court);
  g_free (entry->case_no);
  g_free (entry->title);
  g_free (entry->hls_dir);
  g_free (entry);
}

/* --- where the files go ----------------------------------------------------- */

static char *
vod_root (CrVodService *svc)
{
  return g_build_filename (svc->config->storage_dir, VOD_DIR, NULL);
}

/* STORAGE/vod/P<id>, and with @suffix (".partial", ".job.json"). */
static char *
publication_path (CrVodService *svc, gint64 id, const char *suffix)
{
  g_autofree char *root = vod_root (svc);
  g_autofree char *name = g_strdup_printf ("P%" G_GINT64_FORMAT "%s", id,
                                           suffix != NULL ? suffix : "");
  return g_build_filename (root, name, NULL);
}

static int
remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  if (remove (path) != 0 && errno != ENOENT)
    g_warning ("Could not delete %s: %s", cr_text_shown (path), g_strerror (errno));
  return 0;
}

/* Deletes @path and everything under it, links not followed. */
static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    nftw (path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every file publication @id has or had on disk. */
static void
remove_files (CrVodService *svc, gint64 id)
{
  const char *const suffixes[] = { NULL, ".partial", ".job.json" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = publication_path (svc, id, suffixes[i]);
      remove_tree (path);
    }
}

static CrRenderQueue *
queue_of (CrVodService *svc)
{
  return svc->queue != NULL ? svc->queue (svc->user_data) : NULL;
}

static void
queue_cancel (CrVodService *svc, guint64 job)
{
  if (queue_of (svc) != NULL)
    cr_render_queue_cancel (queue_of (svc), job);
}

/* --- what may be published ----------------------------------------------------- */

static gboolean
index_failed (GError **error, GError *index_error)
{
  gint code = g_error_matches (index_error, CR_INDEX_ERROR, CR_INDEX_ERROR_NOT_FOUND)
              ? CR_VOD_ERROR_NOT_FOUND : CR_VOD_ERROR_FAILED;
  g_set_error_literal (error, CR_VOD_ERROR, code, index_error->message);
  g_error_free (index_error);
  return FALSE;
}

/* TRUE when the court approved @case_no for broadcast and never forbade
 * it; else FALSE with why (CR_VOD_ERROR_STATE). */
static gboolean
case_approved (CrVodService *svc, const char *case_no, GError **error)
{
  GError *local_error = NULL;
  g_autoptr (CrBroadcastRecord) decision =
      cr_segment_index_get_broadcast_decision (svc->index, case_no, &local_error);

  if (local_error != NULL)
    return index_failed (error, local_error);
  if (decision == NULL)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_STATE,
                   "Case %s has no broadcast decision: only a case the court approved for "
                   "broadcast may be published", cr_text_shown (case_no));
      return FALSE;
    }
  if (decision->decision == CR_BROADCAST_FORBIDDEN)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_STATE,
                   "Case %s is forbidden for broadcast (non-public): it can never be "
                   "published", cr_text_shown (case_no));
      return FALSE;
    }
  return TRUE;
}

/* The session, if it may be published: stopped, sealed, its media there. */
static CrSessionRecord *
publishable_session (CrVodService *svc, gint64 session_id, GPtrArray **segments,
                     GError **error)
{
  GError *local_error = NULL;
  g_autoptr (CrSessionRecord) session =
      cr_segment_index_get_session (svc->index, session_id, &local_error);
  g_autoptr (GPtrArray) rows = NULL;

  if (session == NULL)
    {
      index_failed (error, local_error);
      return NULL;
    }
  if (session->state != CR_SESSION_STOPPED)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_STATE,
                   "Session %" G_GINT64_FORMAT " is still %s: only a stopped session may be "
                   "published", session_id, cr_session_state_to_string (session->state));
      return NULL;
    }
  if (session->sealed_us == 0)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_STATE,
                   "Session %" G_GINT64_FORMAT " is not sealed yet: a copy is made only of "
                   "a sealed record (try again once it is; `courtrec seal` if its key was "
                   "unusable)", session_id);
      return NULL;
    }
  if (session->purged_us != 0)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_STATE,
                   "Session %" G_GINT64_FORMAT "'s media were deleted by retention",
                   session_id);
      return NULL;
    }
  if (!case_approved (svc, session->case_no, error))
    return NULL;
  rows = cr_segment_index_list_segments (svc->index, session_id, &local_error);
  if (rows == NULL)
    {
      index_failed (error, local_error);
      return NULL;
    }
  if (rows->len == 0)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_STATE,
                   "Session %" G_GINT64_FORMAT " has no recorded files", session_id);
      return NULL;
    }
  if (segments != NULL)
    *segments = g_steal_pointer (&rows);
  return g_steal_pointer (&session);
}

/* --- the render job ------------------------------------------------------------- */

static void
add_string_member (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_utc_member (JsonBuilder *builder, const char *name, gint64 utc_us)
{
  g_autofree char *text = cr_format_utc (utc_us);
  add_string_member (builder, name, text);
}

/* The job file's text (render-job.h's "courtrec-render-1"). (transfer full) */
static char *
job_json (CrVodService *svc, const CrPublicationRecord *publication, GError **error)
{
  g_autoptr (CrRenderJob) job = NULL;
  g_autofree char *output_dir = publication_path (svc, publication->id, NULL);
  GError *local_error = NULL;

  /* A published copy names nobody: the public is its audience (no
   * watermark), and it is the whole session. */
  job = cr_render_job_for_session (svc->index, svc->config, publication->session_id,
                                   output_dir, &local_error);
  if (job == NULL || !cr_render_job_set_redactions (job, publication->redactions, &local_error))
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_FAILED,
                   "Publication %" G_GINT64_FORMAT " cannot be rendered: %s", publication->id,
                   local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  return cr_render_job_to_json (job);
}

static void render_progress (double fraction, gpointer user_data) G_GNUC_UNUSED;
static void render_finished (CrVodService *svc, gint64 id, gboolean ok, const char *sha256,
                             gint64 bytes, gint64 duration_us, const char *error_message);
static void render_done (gboolean ok, const char *sha256, gint64 bytes, gint64 duration_us,
                         const char *error_message, gpointer user_data) G_GNUC_UNUSED;

static gboolean
make_private_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_FAILED, "Could not make %s: %s",
                   cr_text_shown (path), g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Writes publication @id's job file and hands it to the queue. */
static gboolean
submit_render (CrVodService *svc, const CrPublicationRecord *publication, GError **error)
{
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autofree char *root = vod_root (svc);
  g_autofree char *job_path = publication_path (svc, publication->id, ".job.json");
  g_autofree char *text = NULL;
  g_autoptr (GError) write_error = NULL;
  Render *render;

  if (queue_of (svc) == NULL)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_FAILED,
                   "This recorder has no renderer for copies (see its log)");
      return FALSE;
    }
  session = publishable_session (svc, publication->session_id, &segments, error);
  if (session == NULL)
    return FALSE;
  text = job_json (svc, publication, error);
  if (text == NULL || !make_private_dir (root, error))
    return FALSE;
  /* A render that stopped halfway leaves its .partial: begin afresh. */
  remove_files (svc, publication->id);
  if (!g_file_set_contents_full (job_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &write_error))
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_FAILED, "Could not write %s: %s",
                   cr_text_shown (job_path), write_error->message);
      return FALSE;
    }
  render = g_new0 (Render, 1);
  render->svc = svc;
  render->id = publication->id;
  g_hash_table_insert (svc->renders, g_memdup2 (&render->id, sizeof render->id), render);
  render->job = cr_render_queue_submit (queue_of (svc), job_path, render_progress, render_done,
                                        render);
  return TRUE;
}

static void
render_progress (double fraction, gpointer user_data)
{
  Render *render = user_data;
  render->progress = fraction;
}

/* The signed manifest beside the copy (copy-manifest.h): the sealed
 * recording it came from, the publication, its redactions. A copy is
 * published only with it, as a party's copy is handed out only with its
 * own: the reason it could not be written, or NULL. (transfer full) */
static char *
write_manifest (CrVodService *svc, const CrPublicationRecord *publication,
                const CrSessionRecord *session, const char *sha256, gint64 bytes,
                gint64 duration_us)
{
  g_autofree char *dir = publication_path (svc, publication->id, NULL);
  g_autofree char *copy = g_build_filename (dir, "copy.mp4", NULL);
  g_autoptr (CrCopyManifest) m = NULL;
  g_autoptr (GError) error = NULL;
  const CrDeviceKey *key = svc->device_key != NULL ? svc->device_key (svc->user_data) : NULL;

  if (key == NULL)
    return g_strdup ("no manifest: the device key cannot sign");
  if (!g_file_test (copy, G_FILE_TEST_IS_REGULAR))
    return g_strdup ("no manifest: the render left no copy.mp4");
  m = cr_copy_manifest_new ();
  m->court = g_strdup (svc->config->court);
  m->room_id = g_strdup (session->room_id);
  m->case_no = g_strdup (session->case_no);
  m->session_id = session->id;
  m->session_started_us = session->started_us;
  m->chain_head = g_strdup (session->chain_head);
  m->seal_signature = g_strdup (session->signature);
  m->watermark = NULL;
  m->publication = g_new0 (CrCopyPublication, 1);
  m->publication->id = publication->id;
  m->publication->published_by = g_strdup (publication->published_by);
  m->redactions = g_strdup (publication->redactions);
  m->sha256 = g_strdup (sha256);
  m->bytes = bytes;
  m->duration_us = duration_us;
  m->rendered_us = g_get_real_time ();
  if (!cr_copy_manifest_write (key, m, copy, &error))
    return g_strdup_printf ("no manifest: %s", error->message);
  return NULL;
}

/* The copy is whole: published, unless the case was forbidden meanwhile or
 * the publication withdrawn. */
static void
render_done (gboolean ok, const char *sha256, gint64 bytes, gint64 duration_us,
             const char *error_message, gpointer user_data)
{
  Render *render = user_data;
  CrVodService *svc = render->svc;
  gint64 id = render->id;

  if (svc == NULL)
    {
      g_free (render);
      return;
    }
  render_finished (svc, id, ok, sha256, bytes, duration_us, error_message);
}

static void
render_finished (CrVodService *svc, gint64 id, gboolean ok, const char *sha256, gint64 bytes,
                 gint64 duration_us, const char *error_message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrPublicationRecord) publication = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autofree char *job_path = publication_path (svc, id, ".job.json");
  g_autofree char *output_dir = NULL;
  g_autofree char *playlist = NULL;
  g_autofree char *no_manifest = NULL;

  g_hash_table_remove (svc->renders, &id);   /* frees @render */
  g_unlink (job_path);
  publication = cr_publication_store_get (svc->index, id, &error);
  if (publication == NULL || publication->state != CR_PUBLICATION_RENDERING)
    {
      /* Withdrawn while it rendered: nothing of it stays. */
      remove_files (svc, id);
      g_message ("Publication %" G_GINT64_FORMAT " was withdrawn while it rendered: its "
                 "files are deleted", id);
      return;
    }
  if (!ok)
    {
      g_warning ("The copy of publication %" G_GINT64_FORMAT " failed: %s", id,
                 cr_text_shown (error_message != NULL ? error_message : "(no message)"));
      remove_files (svc, id);
      if (!cr_publication_store_set_failed (svc->index, id, error_message, &error))
        g_warning ("%s", cr_text_shown (error->message));
      return;
    }
  session = cr_segment_index_get_session (svc->index, publication->session_id, &error);
  if (session == NULL)
    {
      g_warning ("Publication %" G_GINT64_FORMAT ": %s", id, cr_text_shown (error->message));
      remove_files (svc, id);
      g_clear_error (&error);
      if (!cr_publication_store_set_failed (svc->index, id, "its session is unreadable", &error))
        g_warning ("%s", cr_text_shown (error->message));
      return;
    }
  if (!case_approved (svc, session->case_no, &error))
    {
      /* Forbidden while it rendered: never published, by the court's own
       * decision. */
      g_message ("Publication %" G_GINT64_FORMAT ": %s", id, cr_text_shown (error->message));
      remove_files (svc, id);
      g_clear_error (&error);
      if (!cr_publication_store_set_withdrawn (svc->index, id,
                                               "the case was forbidden for broadcast", NULL,
                                               g_get_real_time (), &error))
        g_warning ("%s", cr_text_shown (error->message));
      return;
    }
  g_clear_error (&error);
  output_dir = publication_path (svc, id, NULL);
  playlist = g_build_filename (output_dir, "hls", "index.m3u8", NULL);
  if (!g_file_test (playlist, G_FILE_TEST_IS_REGULAR))
    {
      g_warning ("Publication %" G_GINT64_FORMAT ": the render left no %s", id,
                 cr_text_shown (playlist));
      remove_files (svc, id);
      if (!cr_publication_store_set_failed (svc->index, id, "the render left no playlist",
                                            &error))
        g_warning ("%s", cr_text_shown (error->message));
      return;
    }
  no_manifest = write_manifest (svc, publication, session, sha256, bytes, duration_us);
  if (no_manifest != NULL)
    {
      g_warning ("Publication %" G_GINT64_FORMAT ": %s", id, cr_text_shown (no_manifest));
      remove_files (svc, id);
      if (!cr_publication_store_set_failed (svc->index, id, no_manifest, &error))
        g_warning ("%s", cr_text_shown (error->message));
      return;
    }
  if (!cr_publication_store_set_published (svc->index, id, sha256, bytes, duration_us,
                                           g_get_real_time (), &error))
    {
      g_warning ("%s", cr_text_shown (error->message));
      return;
    }
  g_message ("Publication %" G_GINT64_FORMAT " of session %" G_GINT64_FORMAT
             " is in the catalogue", id, publication->session_id);
}

/* --- the service ------------------------------------------------------------------ */

static void
render_free (gpointer data)
{
  g_free (data);
}

CrVodService *
cr_vod_service_new (CrSegmentIndex *index, const CrConfig *config, CrVodQueueFunc queue,
                    CrVodDeviceKeyFunc device_key, gpointer user_data)
{
  CrVodService *svc;

  g_return_val_if_fail (index != NULL && config != NULL, NULL);

  svc = g_new0 (CrVodService, 1);
  svc->index = index;
  svc->config = config;
  svc->queue = queue;
  svc->device_key = device_key;
  svc->user_data = user_data;
  svc->renders = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, render_free);
  return svc;
}

void
cr_vod_service_resume (CrVodService *svc)
{
  g_autoptr (GPtrArray) unfinished = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (svc != NULL);
  unfinished = cr_publication_store_list (svc->index, CR_PUBLICATION_RENDERING, &error);
  if (unfinished == NULL)
    {
      g_warning ("%s", cr_text_shown (error->message));
      return;
    }
  for (guint i = 0; i < unfinished->len; i++)
    {
      const CrPublicationRecord *publication = g_ptr_array_index (unfinished, i);
      g_autoptr (GError) submit_error = NULL;

      if (g_hash_table_contains (svc->renders, &publication->id))
        continue;
      if (!submit_render (svc, publication, &submit_error))
        {
          g_warning ("Publication %" G_GINT64_FORMAT ": %s", publication->id,
                     cr_text_shown (submit_error->message));
          remove_files (svc, publication->id);
          g_clear_error (&submit_error);
          if (!cr_publication_store_set_failed (svc->index, publication->id,
                                                "could not be rendered again", &submit_error))
            g_warning ("%s", cr_text_shown (submit_error->message));
        }
    }
}

void
cr_vod_service_free (CrVodService *svc)
{
  GHashTableIter iter;
  gpointer key, value;

  if (svc == NULL)
    return;
  /* A render still running is stopped; its done callback, if the queue
   * still calls it, finds its Render orphaned and only frees it. */
  g_hash_table_iter_init (&iter, svc->renders);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Render *render = value;
      queue_cancel (svc, render->job);
      render->svc = NULL;
      g_hash_table_iter_steal (&iter);
      g_free (key);
    }
  g_hash_table_unref (svc->renders);
  g_free (svc);
}

gint64
cr_vod_service_publish (CrVodService *svc, gint64 session_id, const char *title,
                        const char *redactions, const char *by, GError **error)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (CrPublicationRecord) publication = NULL;
  g_autofree char *stored = NULL;
  GError *local_error = NULL;
  gint64 id;

  g_return_val_if_fail (svc != NULL, 0);

  session = publishable_session (svc, session_id, NULL, error);
  if (session == NULL)
    return 0;
  if (queue_of (svc) == NULL)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_FAILED,
                   "This recorder has no renderer for copies (see its log)");
      return 0;
    }
  stored = cr_redaction_list_normalize (redactions, &(CrRedactionScope) {
                                          .start_us = session->started_us,
                                          .end_us = session->stopped_us,
                                          .microphones = svc->config->microphones,
                                          .width = svc->config->width,
                                          .height = svc->config->height,
                                          .by = by }, &local_error);
  if (stored == NULL)
    {
      g_set_error_literal (error, CR_VOD_ERROR, CR_VOD_ERROR_INVALID, local_error->message);
      g_error_free (local_error);
      return 0;
    }
  id = cr_publication_store_add (svc->index, session_id, title, stored, by, g_get_real_time (),
                                 &local_error);
  if (id == 0)
    {
      index_failed (error, local_error);
      return 0;
    }
  publication = cr_publication_store_get (svc->index, id, &local_error);
  if (publication == NULL || !submit_render (svc, publication, &local_error))
    {
      g_autoptr (GError) mark_error = NULL;
      remove_files (svc, id);
      if (!cr_publication_store_set_failed (svc->index, id, local_error->message, &mark_error))
        g_warning ("%s", cr_text_shown (mark_error->message));
      g_propagate_error (error, local_error);
      return 0;
    }
  g_message ("Session %" G_GINT64_FORMAT " published as %" G_GINT64_FORMAT " by %s; rendering",
             session_id, id, cr_text_shown (by != NULL ? by : "(nobody)"));
  return id;
}

gboolean
cr_vod_service_withdraw (CrVodService *svc, gint64 id, const char *reason, const char *by,
                         GError **error)
{
  GError *local_error = NULL;
  g_autoptr (CrPublicationRecord) publication = NULL;
  Render *render;

  g_return_val_if_fail (svc != NULL, FALSE);

  if (reason == NULL || reason[0] == '\0')
    {
      g_set_error_literal (error, CR_VOD_ERROR, CR_VOD_ERROR_INVALID,
                           "A withdrawal needs a reason");
      return FALSE;
    }
  publication = cr_publication_store_get (svc->index, id, &local_error);
  if (publication == NULL)
    return index_failed (error, local_error);
  if (publication->state == CR_PUBLICATION_WITHDRAWN)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_STATE,
                   "Publication %" G_GINT64_FORMAT " was withdrawn already", id);
      return FALSE;
    }
  /* Out of the catalogue first: from here on nothing of it is served,
   * even if a file resists deletion. */
  if (!cr_publication_store_set_withdrawn (svc->index, id, reason, by, g_get_real_time (),
                                           &local_error))
    return index_failed (error, local_error);
  render = g_hash_table_lookup (svc->renders, &id);
  if (render != NULL)
    queue_cancel (svc, render->job);
  remove_files (svc, id);
  g_message ("Publication %" G_GINT64_FORMAT " withdrawn by %s: %s", id,
             cr_text_shown (by != NULL ? by : "(nobody)"), cr_text_shown (reason));
  return TRUE;
}

JsonNode *
cr_vod_service_describe (CrVodService *svc, gint64 id, GError **error)
{
  GError *local_error = NULL;
  g_autoptr (CrPublicationRecord) publication = NULL;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  Render *render;

  publication = cr_publication_store_get (svc->index, id, &local_error);
  if (publication == NULL)
    {
      index_failed (error, local_error);
      return NULL;
    }
  session = cr_segment_index_get_session (svc->index, publication->session_id, NULL);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, publication->id);
  json_builder_set_member_name (builder, "session");
  json_builder_add_int_value (builder, publication->session_id);
  add_string_member (builder, "case", session != NULL ? session->case_no : NULL);
  add_string_member (builder, "title", publication->title != NULL ? publication->title
                                       : session != NULL ? session->title : NULL);
  add_string_member (builder, "state", cr_publication_state_to_string (publication->state));
  json_builder_set_member_name (builder, "redactions");
  {
    JsonNode *list = json_from_string (publication->redactions, NULL);
    json_builder_add_value (builder, list != NULL ? list : json_node_new (JSON_NODE_NULL));
  }
  add_string_member (builder, "published_by", publication->published_by);
  add_utc_member (builder, "created", publication->created_us);
  if (publication->ready_us > 0)
    add_utc_member (builder, "ready", publication->ready_us);
  else
    add_string_member (builder, "ready", NULL);
  add_string_member (builder, "sha256", publication->sha256);
  add_string_member (builder, "reason", publication->reason);
  render = g_hash_table_lookup (svc->renders, &id);
  json_builder_set_member_name (builder, "progress");
  if (render != NULL)
    json_builder_add_double_value (builder, render->progress);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The entry of @publication if it is served now. (transfer full) */
static CrVodEntry *
served_entry (CrVodService *svc, const CrPublicationRecord *publication)
{
  g_autoptr (CrSessionRecord) session = NULL;
  g_autofree char *base = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *playlist = NULL;
  CrVodEntry *entry;

  if (publication->state != CR_PUBLICATION_PUBLISHED)
    return NULL;
  session = cr_segment_index_get_session (svc->index, publication->session_id, NULL);
  /* The court's decision is read for every request: a case forbidden
   * after it was published is not served from that moment. */
  if (session == NULL || !case_approved (svc, session->case_no, NULL))
    return NULL;
  base = publication_path (svc, publication->id, NULL);
  dir = g_build_filename (base, "hls", NULL);
  playlist = g_build_filename (dir, "index.m3u8", NULL);
  if (!g_file_test (playlist, G_FILE_TEST_IS_REGULAR))
    return NULL;
  entry = g_new0 (CrVodEntry, 1);
  entry->id = publication->id;
  entry->court = g_strdup (svc->config->court);
  entry->case_no = g_strdup (session->case_no);
  entry->title = g_strdup (publication->title != NULL ? publication->title : session->title);
  entry->started_us = session->started_us;
  entry->duration_us = publication->duration_us;
  entry->hls_dir = g_steal_pointer (&dir);
  return entry;
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const CrVodEntry *x = *(CrVodEntry *const *) a;
  const CrVodEntry *y = *(CrVodEntry *const *) b;

  if (x->started_us != y->started_us)
    return x->started_us > y->started_us ? -1 : 1;
  return x->id > y->id ? -1 : x->id < y->id;
}

GPtrArray *
cr_vod_service_catalogue (CrVodService *svc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_vod_entry_free);

  g_return_val_if_fail (svc != NULL, entries);
  rows = cr_publication_store_list (svc->index, CR_PUBLICATION_PUBLISHED, &error);
  if (rows == NULL)
    {
      g_warning ("%s", cr_text_shown (error->message));
      return entries;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      CrVodEntry *entry = served_entry (svc, g_ptr_array_index (rows, i));
      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }
  g_ptr_array_sort (entries, newest_first);
  return entries;
}

CrVodEntry *
cr_vod_service_lookup (CrVodService *svc, gint64 id)
{
  g_autoptr (CrPublicationRecord) publication = NULL;

  g_return_val_if_fail (svc != NULL, NULL);
  publication = cr_publication_store_get (svc->index, id, NULL);
  return publication != NULL ? served_entry (svc, publication) : NULL;
}
