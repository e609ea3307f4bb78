/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-ceph.c: see test-util-ceph.h. */
#include "tests/test-util-ceph.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test-util.h"

static char *
env_value (const char *env, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (env, "\n", -1);
  g_autofree char *prefix = g_strdup_printf ("%s=", name);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_strdup (lines[i] + strlen (prefix));
  return NULL;
}

/* The store goes when this process goes, even on a failed assertion: a
 * shell that waits for the end of a pipe only this process holds. */
static void
reap_at_exit (CrTestCeph *ceph)
{
  g_autofree char *stop = cr_test_top_path ("tests/ceph/stop-ceph.sh");
  int pipe_fds[2];

  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  fcntl (pipe_fds[1], F_SETFD, FD_CLOEXEC);
  if (fork () == 0)
    {
      char buffer;

      close (pipe_fds[1]);
      setsid ();
      while (read (pipe_fds[0], &buffer, 1) > 0 || errno == EINTR)
        ;
      execlp ("sh", "sh", "-c", "sh \"$0\" \"$1\"; rm -rf \"$2\"", stop, ceph->dir, ceph->work,
              (char *) NULL);
      _exit (127);
    }
  close (pipe_fds[0]);
  /* Held open for the life of the process, on purpose. */
}

CrTestCeph *
cr_test_ceph_new (const char *name)
{
  CrTestCeph *ceph = g_new0 (CrTestCeph, 1);
  g_autofree char *template = g_strdup_printf ("%s-XXXXXX", name);

  ceph->work = g_dir_make_tmp (template, NULL);
  g_assert_nonnull (ceph->work);
  ceph->dir = g_build_filename (ceph->work, "ceph", NULL);
  reap_at_exit (ceph);
  if (!cr_test_ceph_start (ceph))
    g_test_message ("%s", ceph->skip);
  return ceph;
}

gboolean
cr_test_ceph_start (CrTestCeph *ceph)
{
  g_autofree char *script = cr_test_top_path ("tests/ceph/start-ceph.sh");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "sh", script, ceph->dir, NULL };
  gint64 started = g_get_monotonic_time ();
  int status = cr_test_run (&out, &err, argv);

  if (status == 77)
    {
      g_free (ceph->skip);
      ceph->skip = g_strdup_printf ("no Ceph to test against: %s", g_strstrip (err));
      return FALSE;
    }
  if (status != 0)
    g_error ("tests/ceph/start-ceph.sh failed (%d): %s%s", status, out, err);
  ceph->start_seconds = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_free (ceph->endpoint);
  ceph->endpoint = env_value (out, "S3_ENDPOINT");
  g_free (ceph->access_key);
  ceph->access_key = env_value (out, "S3_ACCESS_KEY");
  g_free (ceph->secret_key);
  ceph->secret_key = env_value (out, "S3_SECRET_KEY");
  g_free (ceph->region);
  ceph->region = env_value (out, "S3_REGION");
  g_assert_nonnull (ceph->endpoint);
  g_assert_nonnull (ceph->secret_key);
  return TRUE;
}

GPid
cr_test_ceph_pid (CrTestCeph *ceph, const char *name)
{
  g_autofree char *path = g_build_filename (ceph->dir, "env", NULL);
  g_autofree char *env = NULL;
  g_autofree char *value = NULL;

  g_assert_true (g_file_get_contents (path, &env, NULL, NULL));
  value = env_value (env, name);
  g_assert_nonnull (value);
  return (GPid) g_ascii_strtoll (value, NULL, 10);
}

gboolean
cr_test_ceph_skipped (CrTestCeph *ceph)
{
  if (ceph->skip == NULL)
    return FALSE;
  g_test_skip (ceph->skip);
  return TRUE;
}

CrS3Client *
cr_test_ceph_client (CrTestCeph *ceph, const char *secret, guint64 max_send)
{
  CrS3Config config = { ceph->endpoint, ceph->region, ceph->access_key,
                        secret != NULL ? secret : ceph->secret_key, 5, 5, max_send, NULL };
  g_autoptr (GError) error = NULL;
  CrS3Client *client = cr_s3_client_new (&config, &error);

  g_assert_no_error (error);
  return client;
}

char *
cr_test_ceph_key_file (CrTestCeph *ceph, const char *name, const char *text)
{
  char *path = g_build_filename (ceph->work, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (path, 0600), ==, 0);
  return path;
}

char *
cr_test_ceph_archive_section (CrTestCeph *ceph, const char *endpoint, const char *bucket,
                              const char *more)
{
  g_autofree char *paths[2] = {
    cr_test_ceph_key_file (ceph, "archive.access", ceph->access_key),
    cr_test_ceph_key_file (ceph, "archive.secret", ceph->secret_key),
  };
  return g_strdup_printf ("[archive court]\nendpoint = %s\nbucket = %s\nprefix = sanmen\n"
                          "region = %s\naccess_key_file = %s\nsecret_key_file = %s\n%s",
                          endpoint != NULL ? endpoint : ceph->endpoint, bucket, ceph->region,
                          paths[0], paths[1], more != NULL ? more : "");
}

int
cr_test_ceph_curl (CrTestCeph *ceph, const char *path, const char *into, char **out)
{
  /* A body-less request declares the SHA-256 of nothing. */
  static const char *const empty_sha256 =
      "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  g_autofree char *url = g_strdup_printf ("%s/%s", ceph->endpoint, path);
  g_autofree char *sigv4 = g_strdup_printf ("aws:amz:%s:s3", ceph->region);
  g_autofree char *user = g_strdup_printf ("%s:%s", ceph->access_key, ceph->secret_key);
  const char *argv[] = { "curl", "-sS", "-f", "--aws-sigv4", sigv4, "--user", user,
                         "-H", empty_sha256, into != NULL ? "-o" : "-I",
                         into != NULL ? into : url, into != NULL ? url : NULL, NULL };

  return cr_test_run (out, NULL, argv);
}

CrTestRoom *
cr_test_ceph_room (CrTestCeph *ceph, const char *bucket, gboolean object_lock, const char *more)
{
  g_autoptr (CrS3Client) client = cr_test_ceph_client (ceph, NULL, 0);
  g_autofree char *extra = cr_test_ceph_archive_section (ceph, NULL, bucket, more);
  CrS3Reply reply = CR_S3_REPLY_INIT;
  g_autoptr (GError) error = NULL;
  CrTestRoom *room;

  g_assert_true (cr_s3_bucket_create (client, bucket, object_lock, &reply, &error));
  g_assert_no_error (error);
  cr_s3_reply_clear (&reply);
  room = cr_test_room_new (10, extra);
  cr_test_room_start (room);
  return room;
}

char *
cr_test_tool_digest (const char *tool, const char *path)
{
  const char *argv[] = { tool, path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  *strchr (out, ' ') = '\0';
  return g_steal_pointer (&out);
}

JsonObject *
cr_test_archive_status (CrTestRoom *room)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  JsonArray *archives = json_object_get_array_member (status, "archive");

  g_assert_nonnull (archives);
  g_assert_cmpuint (json_array_get_length (archives), ==, 1);
  return json_object_ref (json_array_get_object_element (archives, 0));
}

char *
cr_test_alarm_message (CrTestRoom *room, const char *kind)
{
  g_autoptr (JsonObject) status = cr_test_status (room);
  JsonArray *alarms = json_object_get_array_member (status, "alarms");

  for (guint i = 0; i < json_array_get_length (alarms); i++)
    {
      JsonObject *alarm = json_array_get_object_element (alarms, i);

      if (g_strcmp0 (json_object_get_string_member (alarm, "alarm"), kind) == 0)
        return g_strdup (json_object_get_string_member (alarm, "message"));
    }
  return NULL;
}

char *
cr_test_random_file (const char *path, gsize bytes, guint32 seed)
{
  g_autoptr (GChecksum) sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint32 *block = g_new (guint32, 1 << 18);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  FILE *file = fopen (path, "wb");

  g_assert_nonnull (file);
  for (gsize done = 0; done < bytes; done += (1 << 20))
    {
      for (guint i = 0; i < (1 << 18); i++)
        block[i] = g_rand_int (rand);
      g_assert_cmpuint (fwrite (block, 1, 1 << 20, file), ==, 1 << 20);
      g_checksum_update (sha256, (const guchar *) block, 1 << 20);
    }
  g_assert_cmpint (fclose (file), ==, 0);
  return g_strdup (g_checksum_get_string (sha256));
}
