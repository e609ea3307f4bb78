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

/* A file in @ceph's work directory holding @text, mode 0600 (the uploader
 * refuses a key file open to all). (transfer full: its path) */
char *cr_test_ceph_key_file (CrTestCeph *ceph, const char *name, const char *text);

/* The room's one archive in status, "archive"[0]. (transfer full) */
JsonObject *cr_test_archive_status (CrTestRoom *room);
/* The message of the alarm @kind standing in status, or NULL. (transfer full) */
char *cr_test_alarm_message (CrTestRoom *room, const char *kind);

G_END_DECLS
