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
  GPtrArray *cancelled;         /* CopyJob*: cancelled, their answer still to come */
  guint sweep_timer;            /* deletes the copies of expired grants */
};

/* Writes @kind with @detail (an object, consumed) into every session of
 * @sessions (gint64). */
gboolean cr_access_write_events (CrAccessService *svc, GArray *sessions, CrEventKind kind,
                                 JsonObject *detail, GError **error);
/* "12,13" as ids; FALSE when it is not a list of positive numbers. */
gboolean cr_access_parse_sessions (const char *text, GArray *ids);

/* access-service.c: helpers the other files share. */
/* Sets CR_ACCESS_ERROR_FAILED from @index_error (freed); FALSE. */
gboolean cr_access_index_failed (GError **error, GError *index_error);
gboolean cr_access_invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* The request or grant @id, or CR_ACCESS_ERROR_NOT_FOUND. (transfer full) */
CrAccessRequestRow *cr_access_get_request (CrAccessService *svc, gint64 id, GError **error);
CrAccessGrantRow *cr_access_get_grant_row (CrAccessService *svc, gint64 id, GError **error);
/* The sessions @grant covers. (transfer full) (element-type gint64) */
GArray *cr_access_grant_sessions (const CrAccessGrantRow *grant);
JsonArray *cr_access_sessions_array (GArray *ids);
void cr_access_set_utc (JsonObject *object, const char *name, gint64 utc_us);

/* access-party.c: revoked, expired, pending (copies rendering) or ready. */
CrAccessState cr_access_grant_state (CrAccessService *svc, const CrAccessGrantRow *grant);

/* access-listing.c: the slip of @grant, with @code or without (NULL).
 * (transfer full) */
char *cr_access_make_slip (CrAccessService *svc, const CrAccessRequestRow *request,
                           const CrAccessGrantRow *grant, GArray *sessions, const char *code);

/* access-copies.c: one copy per session of the grant: its row, its job
 * file and its render. A failure is logged and left as a pending copy. */
void cr_access_copies_start (CrAccessService *svc, const CrAccessGrantRow *grant,
                             const CrAccessRequestRow *request, GArray *sessions);
void cr_access_copies_cancel_all (CrAccessService *svc);
/* Renders again the copies of grants in force left pending or failed
 * (at start). */
void cr_access_copies_resume (CrAccessService *svc);
/* Cancels the renders of grant @grant_id and deletes its copies: a
 * revoked or expired grant's. */
void cr_access_copies_discard (CrAccessService *svc, gint64 grant_id);
/* STORAGE/copies/G<grant>/S<session>. (transfer full) */
char *cr_access_copy_path (CrAccessService *svc, gint64 grant_id, gint64 session_id);

G_END_DECLS
