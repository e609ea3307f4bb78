/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-render.c: see copy-render.h. The steps, and their share of the
 * progress: join the window's segments (copy-free, a few per cent),
 * decode-redact-encode (nearly all of it), MP4, HLS, chapters.json, the
 * SHA-256, and the rename of OUTPUT_DIR.partial. The intermediate files go
 * in OUTPUT_DIR.partial/work and are removed before the rename. */
#include "render/copy-render.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "render/copy-render-private.h"

#define JOIN_SHARE 0.04
#define ENCODE_SHARE 0.90

typedef struct {
  CrCopyRenderProgress progress;
  gpointer user_data;
  double base, share;
} Progress;

static void
report (Progress *p, double fraction)
{
  if (p->progress != NULL)
    p->progress (p->base + p->share * CLAMP (fraction, 0.0, 1.0), p->user_data);
}

static void
encode_progress (double fraction, gpointer data)
{
  report (data, fraction);
}

static gboolean
failed_errno (GError **error, const char *what, const char *path)
{
  int errnum = errno;

  g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED, "Could not %s '%s': %s",
               what, path, g_strerror (errnum));
  return FALSE;
}

/* rm -r, for the renderer's own directory: never follows a link. */
static gboolean
remove_tree (const char *path, GError **error)
{
  GStatBuf st;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (g_lstat (path, &st) != 0)
    return errno == ENOENT ? TRUE : failed_errno (error, "read", path);
  if (!S_ISDIR (st.st_mode))
    return g_unlink (path) == 0 ? TRUE : failed_errno (error, "remove", path);
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return failed_errno (error, "read", path);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (!remove_tree (child, error))
        return FALSE;
    }
  return g_rmdir (path) == 0 ? TRUE : failed_errno (error, "remove", path);
}

static gboolean
make_dir (const char *path, GError **error)
{
  if (g_mkdir (path, 0700) != 0)
    return failed_errno (error, "create", path);
  return TRUE;
}

static gboolean
file_digest (const char *path, char out[65], gint64 *bytes, GError **error)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = g_malloc (1 << 20);
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  gssize n;

  if (fd < 0)
    return failed_errno (error, "read", path);
  *bytes = 0;
  while ((n = read (fd, buffer, 1 << 20)) > 0)
    {
      g_checksum_update (checksum, buffer, n);
      *bytes += n;
    }
  if (n < 0)
    {
      failed_errno (error, "read", path);
      close (fd);
      return FALSE;
    }
  /* The copy is fsynced once, here, before it is renamed into place. */
  if (fsync (fd) != 0)
    {
      failed_errno (error, "sync", path);
      close (fd);
      return FALSE;
    }
  close (fd);
  g_strlcpy (out, g_checksum_get_string (checksum), 65);
  return TRUE;
}

static gboolean
render_into (const CrRenderJob *job, const char *partial, Progress *progress,
             volatile gint *cancelled, CrCopyRenderResult *result, GError **error)
{
  g_autofree char *work = g_build_filename (partial, "work", NULL);
  g_autofree char *joined_path = g_build_filename (work, "joined.mkv", NULL);
  g_autofree char *encoded_path = g_build_filename (work, "encoded.mkv", NULL);
  g_autofree char *mp4_path = g_build_filename (partial, "copy.mp4", NULL);
  g_autofree char *hls_dir = g_build_filename (partial, "hls", NULL);
  g_autofree char *chapters_path = g_build_filename (partial, "chapters.json", NULL);
  g_auto (CrJoinedRecording) joined = { 0 };
  g_autoptr (CrEditPlan) plan = NULL;
  CrEncodeStep step = { 0 };
  gint64 duration_us = 0;

  if (!make_dir (work, error))
    return FALSE;
  progress->base = 0;
  progress->share = JOIN_SHARE;
  if (!cr_segment_join (job->segments, job->from_us, job->to_us, joined_path, cancelled,
                        &joined, error))
    return FALSE;
  if (joined.n_audio == 0)
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                   "The recording has no audio stream");
      return FALSE;
    }
  if (joined.n_audio != job->tracks->len)
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_INVALID,
                   "tracks: the job lists %u tracks but the recording has %u audio "
                   "streams", job->tracks->len, joined.n_audio);
      return FALSE;
    }
  report (progress, 1.0);

  plan = cr_edit_plan_new (job, &joined);
  if (plan->duration_us <= 0)
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_INVALID,
                   "redactions: the cuts leave nothing of the window");
      return FALSE;
    }
  progress->base = JOIN_SHARE;
  progress->share = ENCODE_SHARE;
  step.job = job;
  step.joined = &joined;
  step.plan = plan;
  step.input_path = joined_path;
  step.output_path = encoded_path;
  step.progress = encode_progress;
  step.user_data = progress;
  step.cancelled = cancelled;
  if (!cr_copy_encode (&step, error))
    return FALSE;
  /* The joined file is as big as the window's recording: gone at once. */
  g_unlink (joined_path);

  if (!cr_copy_mux_mp4 (job, plan, encoded_path, mp4_path, &duration_us, error))
    return FALSE;
  progress->base = JOIN_SHARE + ENCODE_SHARE;
  progress->share = 1.0 - progress->base;
  report (progress, 0.3);
  if (!make_dir (hls_dir, error) || !cr_copy_mux_hls (mp4_path, hls_dir, error))
    return FALSE;
  report (progress, 0.8);
  if (!cr_copy_write_chapters (plan, chapters_path, error))
    return FALSE;
  if (!file_digest (mp4_path, result->sha256, &result->bytes, error))
    return FALSE;
  result->duration_us = duration_us;
  return remove_tree (work, error);
}

gboolean
cr_copy_render (const CrRenderJob *job, CrCopyRenderProgress progress, gpointer user_data,
                volatile gint *cancelled, CrCopyRenderResult *result, GError **error)
{
  g_autofree char *partial = NULL;
  g_autofree char *parent = NULL;
  Progress p = { progress, user_data, 0, 0 };
  CrCopyRenderResult done;
  g_autoptr (GError) local = NULL;

  memset (&done, 0, sizeof done);
  g_return_val_if_fail (job != NULL && job->output_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  partial = g_strconcat (job->output_dir, ".partial", NULL);
  parent = g_path_get_dirname (job->output_dir);
  if (g_file_test (job->output_dir, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_FAILED,
                   "'%s' already exists: a copy is rendered once", job->output_dir);
      return FALSE;
    }
  /* What a killed render of the same copy left. */
  if (!remove_tree (partial, error))
    return FALSE;
  if (g_mkdir_with_parents (parent, 0700) != 0)
    return failed_errno (error, "create", parent);
  if (!make_dir (partial, error))
    return FALSE;

  if (!render_into (job, partial, &p, cancelled, &done, &local))
    {
      g_autoptr (GError) ignored = NULL;

      remove_tree (partial, &ignored);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (g_rename (partial, job->output_dir) != 0)
    {
      g_autoptr (GError) ignored = NULL;

      failed_errno (error, "rename into place", partial);
      remove_tree (partial, &ignored);
      return FALSE;
    }
  report (&p, 1.0);
  if (result != NULL)
    *result = done;
  return TRUE;
}
