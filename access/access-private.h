/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-private.h: what the files of the access service share:
 * access-service.c (requests, decisions, codes), access-copies.c (the
 * derived copies a grant renders and their manifests). */
#pragma once

#include "access/access-code.h"
#include "access/access-service.h"
#include "access/access-store.h"

G_BEGIN_DECLS

struct CrAccessService {
  CrSegmentIndex *index;        /* borrowed */
  const CrConfig *config;       /* borrowed */
  struct CrRenderQueue *queue;  /* borrowed, may be NULL */
  CrAccessDeviceKeyFunc device_key;
  gpointer device_key_data;
  CrAccessKey *key;
  GPtrArray *jobs;              /* CopyJob*: renders submitted, not yet done */
};

/* Writes @kind with @detail (an object, consumed) into every session of
 * @sessions (gint64). */
gboolean cr_access_write_events (CrAccessService *svc, GArray *sessions, CrEventKind kind,
                                 JsonObject *detail, GError **error);
/* "12,13" as ids; FALSE when it is not a list of positive numbers. */
gboolean cr_access_parse_sessions (const char *text, GArray *ids);

/* access-copies.c: one copy per session of the grant: its row, its job
 * file and its render. A failure is logged and left as a pending copy. */
void cr_access_copies_start (CrAccessService *svc, const CrAccessGrantRow *grant,
                             const CrAccessRequestRow *request, GArray *sessions);
void cr_access_copies_cancel_all (CrAccessService *svc);
/* STORAGE/copies/G<grant>/S<session>. (transfer full) */
char *cr_access_copy_path (CrAccessService *svc, gint64 grant_id, gint64 session_id);

G_END_DECLS
