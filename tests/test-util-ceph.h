/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-ceph.h: a real object store for the archive's tests, a
 * single-node Ceph with its RADOS Gateway on 127.0.0.1 started from
 * Debian's packages by tests/ceph/start-ceph.sh, in a directory of the
 * test's own, and removed when the test process ends however it ends.
 * Without the packages the tests skip, saying why: never a fake store. */
#pragma once

#include "archive/s3-client.h"
#include "tests/test-util.h"

G_BEGIN_DECLS

typedef struct {
  char *skip;               /* why the cases are skipped, or NULL */
  char *work;               /* the test's files; the cluster is in work/ceph */
  char *dir;
  char *endpoint;           /* http://127.0.0.1:PORT */
  char *access_key;
  char *secret_key;
  char *region;
  double start_seconds;     /* how long the last start took */
} CrTestCeph;

/* Makes the work directory, arranges for the cluster and the directory to
 * go when this process goes, and starts the cluster. Call before
 * g_test_run(); cr_test_ceph_skipped() then tells each case. */
CrTestCeph *cr_test_ceph_new (const char *name);
/* Starts what is not running (a case revives what it killed). FALSE when
 * there is no Ceph to start (ceph->skip says why). */
gboolean cr_test_ceph_start (CrTestCeph *ceph);
/* The PID of a daemon of the cluster: "CEPH_RGW_PID", "CEPH_OSD_PID". */
GPid cr_test_ceph_pid (CrTestCeph *ceph, const char *name);
/* TRUE, and the case skipped with the reason, when there is no store. */
gboolean cr_test_ceph_skipped (CrTestCeph *ceph);
/* A client of the store; @secret NULL for the right one, @max_send bytes/s
 * (0: no cap). (transfer full) */
CrS3Client *cr_test_ceph_client (CrTestCeph *ceph, const char *secret, guint64 max_send);

/* The "[archive court]" section of a room's config for @bucket, its key
 * files (mode 0600) written in the test's directory; @endpoint NULL for
 * the gateway itself (a proxy of the test's own otherwise); @more is
 * appended as is. (transfer full) */
char *cr_test_ceph_archive_section (CrTestCeph *ceph, const char *endpoint, const char *bucket,
                                    const char *more);
/* A room of 10 s segments sending to @bucket, made beforehand (with
 * Object Lock when @object_lock), started; @more goes into its [archive
 * court]. (transfer full) */
CrTestRoom *cr_test_ceph_room (CrTestCeph *ceph, const char *bucket, gboolean object_lock,
                               const char *more);
/* curl's own SigV4, straight to the gateway, on @path ("BUCKET/KEY", may
 * end in a canonical "?query"): GET into @into ("-": into @out), or HEAD
 * (@into NULL) with the headers in @out. Returns curl's exit status
 * (22: an HTTP error such as 404). */
int cr_test_ceph_curl (CrTestCeph *ceph, const char *path, const char *into, char **out);
/* The room's one archive in its status ("archive"[0]). (transfer full) */
JsonObject *cr_test_archive_status (CrTestRoom *room);
/* The digest @tool ("sha256sum", "md5sum") prints for @path. (transfer full) */
char *cr_test_tool_digest (const char *tool, const char *path);
/* A file of the test's own holding @text, mode 0600 (an uploader refuses
 * a key file open to all). (transfer full) the path */
char *cr_test_ceph_key_file (CrTestCeph *ceph, const char *name, const char *text);

/* @bytes (a multiple of 1 MiB) of random bytes from @seed in @path, a
 * segment of noise for an uploader on an index of the test's own. Returns
 * their SHA-256 in hex. (transfer full) */
char *cr_test_random_file (const char *path, gsize bytes, guint32 seed);

/* The message of the alarm @kind standing in status, or NULL. (transfer full) */
char *cr_test_alarm_message (CrTestRoom *room, const char *kind);

G_END_DECLS
