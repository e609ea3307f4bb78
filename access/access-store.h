/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-store.h: the index's tables of litigant access (schema step
 * 4 -> 5 in segment-index.c): access_requests, access_grants and
 * derived_copies. Rows only; what they mean, and the events that record
 * each act in the sessions' chains, are access-service.c's. */
#pragma once

#include <glib.h>

#include "archive/segment-index.h"

G_BEGIN_DECLS

typedef struct {
  gint64 id;
  char *case_no;                /* canonical */
  char *requester;
  char *role;                   /* party | agent | defence | victim | media */
  char *identity_hash;          /* access-code.h: keyed, never the number */
  char *identity_suffix_hash;
  char *sessions;               /* "12,13", NULL for every session of the case */
  gint64 span_from_us, span_to_us;   /* 0: open */
  char *purpose, *contact;
  char *source;                 /* clerk | public */
  char *entered_by;             /* an account, or the public client's address */
  gint64 entered_us;
  char *state;                  /* pending | granted | refused */
  char *decided_by;
  gint64 decided_us;
  char *reason;                 /* of a refusal */
} CrAccessRequestRow;

typedef struct {
  gint64 id;
  gint64 request_id;
  char *mode;                   /* review | copy */
  char *sessions;               /* "12,13": the sessions it covers */
  gint64 expires_us;
  char *redactions;             /* JSON array */
  char *watermark;
  char *code_hash;
  char *granted_by;
  gint64 granted_us;
  gint64 revoked_us;            /* 0 unless revoked */
  char *revoked_by, *revoke_reason;
  gint64 failures;              /* wrong second factors with this code */
} CrAccessGrantRow;

typedef struct {
  gint64 id;
  gint64 grant_id;
  gint64 session_id;
  char *dir;                    /* relative to the storage directory */
  char *state;                  /* pending | ready | failed */
  char *sha256;
  gint64 bytes, duration_us, rendered_us;
  char *error;
} CrDerivedCopyRow;

void cr_access_request_row_free (CrAccessRequestRow *row);
void cr_access_grant_row_free (CrAccessGrantRow *row);
void cr_derived_copy_row_free (CrDerivedCopyRow *row);

gint64 cr_access_store_add_request (CrSegmentIndex *index, const CrAccessRequestRow *row,
                                    GError **error);
/* NULL without error when there is none. (transfer full) */
CrAccessRequestRow *cr_access_store_get_request (CrSegmentIndex *index, gint64 id,
                                                 GError **error);
/* The newest 1000, newest first; @state NULL for all.
 * (element-type CrAccessRequestRow) */
GPtrArray *cr_access_store_list_requests (CrSegmentIndex *index, const char *state,
                                          GError **error);
/* A pending request refused. */
gboolean cr_access_store_refuse (CrSegmentIndex *index, gint64 request_id, const char *by,
                                 gint64 at_us, const char *reason, GError **error);
/* A pending request granted: the grant row and the request's state, in
 * one transaction. Returns the grant's id. */
gint64 cr_access_store_add_grant (CrSegmentIndex *index, const CrAccessGrantRow *row,
                                  GError **error);
gboolean cr_access_store_set_watermark (CrSegmentIndex *index, gint64 grant_id,
                                        const char *watermark, GError **error);
CrAccessGrantRow *cr_access_store_get_grant (CrSegmentIndex *index, gint64 id,
                                             GError **error);
CrAccessGrantRow *cr_access_store_grant_of_request (CrSegmentIndex *index,
                                                    gint64 request_id, GError **error);
CrAccessGrantRow *cr_access_store_grant_by_code (CrSegmentIndex *index,
                                                 const char *code_hash, GError **error);
gboolean cr_access_store_revoke (CrSegmentIndex *index, gint64 grant_id, const char *by,
                                 gint64 at_us, const char *reason, GError **error);
/* One more wrong second factor; the count after it. */
gint64 cr_access_store_count_failure (CrSegmentIndex *index, gint64 grant_id,
                                      GError **error);

gint64 cr_access_store_add_copy (CrSegmentIndex *index, gint64 grant_id, gint64 session_id,
                                 const char *dir, GError **error);
gboolean cr_access_store_finish_copy (CrSegmentIndex *index, gint64 copy_id, gboolean ok,
                                      const char *sha256, gint64 bytes, gint64 duration_us,
                                      gint64 at_us, const char *error_text, GError **error);
/* Every copy of a grant not rendered (pending, or failed), by id.
 * (element-type CrDerivedCopyRow) */
GPtrArray *cr_access_store_list_pending_copies (CrSegmentIndex *index, GError **error);
/* The ids of grants that expired before @now_us, not revoked, with copies. */
GArray *cr_access_store_expired_grants (CrSegmentIndex *index, gint64 now_us, GError **error);
/* By session. (element-type CrDerivedCopyRow) */
GPtrArray *cr_access_store_list_copies (CrSegmentIndex *index, gint64 grant_id,
                                        GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAccessRequestRow, cr_access_request_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAccessGrantRow, cr_access_grant_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrDerivedCopyRow, cr_derived_copy_row_free)

G_END_DECLS
