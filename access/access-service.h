/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-service.h: litigant access in the daemon. Requests, decisions
 * (grant, refuse, revoke), the codes and their use, and the derived copies
 * a grant makes: one render job per covered session (render-queue.h), a
 * signed manifest beside each copy when it is done (copy-manifest.h).
 * Every act is an event in EACH covered session's chain
 * (cr_segment_index_add_event), so `courtrec verify` covers it. All calls
 * are made from the main loop; only courtrecd writes the index. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "archive/event-kind.h"
#include "archive/segment-index.h"
#include "config/config.h"

G_BEGIN_DECLS

#define CR_ACCESS_ERROR (cr_access_error_quark ())
GQuark cr_access_error_quark (void);

typedef enum {
  CR_ACCESS_ERROR_INVALID,    /* bad input: a field, a session, an expiry (400) */
  CR_ACCESS_ERROR_NOT_FOUND,  /* no such request or grant (404) */
  CR_ACCESS_ERROR_STATE,      /* decided already, revoked already (409) */
  CR_ACCESS_ERROR_DENIED,     /* a login refused: one message for every cause */
  CR_ACCESS_ERROR_FAILED,     /* the index, the disk */
} CrAccessError;

typedef enum {
  CR_ACCESS_STATE_UNKNOWN,    /* no such grant */
  CR_ACCESS_STATE_PENDING,    /* granted, copies still rendering */
  CR_ACCESS_STATE_READY,
  CR_ACCESS_STATE_EXPIRED,
  CR_ACCESS_STATE_REVOKED,
} CrAccessState;

/* "pending", "ready", "expired", "revoked", "unknown". */
const char *cr_access_state_to_string (CrAccessState state);

typedef struct {
  gint64 id;
  gint64 request_id;
  char *case_no;              /* canonical */
  char *requester;            /* the name, as on the request */
  char *role;                 /* party | agent | defence | victim | media */
  char *mode;                 /* review | copy */
  GArray *sessions;           /* gint64 session ids, ascending */
  gint64 expires_us;          /* UTC */
  CrAccessState state;
} CrAccessGrant;

void cr_access_grant_free (CrAccessGrant *grant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAccessGrant, cr_access_grant_free)

typedef struct CrAccessService CrAccessService;
struct CrRenderQueue;
struct CrDeviceKey;

/* The device key that signs manifests, NULL while it cannot sign. */
typedef struct CrDeviceKey *(*CrAccessDeviceKeyFunc) (gpointer user_data);

/* Over the recorder's index (borrowed), its config (borrowed) and the
 * render queue (borrowed, may be NULL: no copies are rendered). The
 * access key is made on first use in the storage dir. (transfer full) */
CrAccessService *cr_access_service_new (CrSegmentIndex *index, const CrConfig *config,
                                        struct CrRenderQueue *queue,
                                        CrAccessDeviceKeyFunc device_key,
                                        gpointer device_key_data, GError **error);
void cr_access_service_free (CrAccessService *svc);

/* The fields of a request. @sessions: "all" or ids "12,13"; @span_from,
 * @span_to: UTC ISO text or NULL. */
typedef struct {
  const char *case_no;        /* as typed */
  const char *requester;
  const char *role;
  const char *identity;       /* hashed at once, never kept */
  const char *sessions;       /* NULL: all */
  const char *span_from;
  const char *span_to;
  const char *purpose;
  const char *contact;
} CrAccessRequestFields;

/* A request entered by a clerk (@entered_by the account; source
 * "clerk"). Returns its id; an access-requested event in each session of
 * the case it names. */
gint64 cr_access_service_submit (CrAccessService *svc, const CrAccessRequestFields *fields,
                                 const char *entered_by, GError **error);
/* The same from the public form (source "public", entered_by the
 * client's @address). Nothing of which cases or sessions exist is told;
 * its access-requested event goes into the sessions once an approver
 * decides on it. */
gint64 cr_access_service_submit_public (CrAccessService *svc,
                                        const CrAccessRequestFields *fields,
                                        const char *address, GError **error);

/* The approver's decision. @mode review | copy; @expires_us UTC (0: the
 * config's [access] code_days), in the future and within 90 days;
 * @sessions NULL for the request's, else a subset of them ("12,13");
 * @redactions a JSON array (redaction list of the contract) or NULL.
 * Returns the grant id and the code, dashed, in *@code_out (shown once),
 * and the slip's HTML in *@slip_out (may be NULL). */
gint64 cr_access_service_grant (CrAccessService *svc, gint64 request_id, const char *mode,
                                gint64 expires_us, const char *sessions,
                                const char *redactions, const char *by,
                                char **code_out, char **slip_out, GError **error);
gboolean cr_access_service_refuse (CrAccessService *svc, gint64 request_id,
                                   const char *reason, const char *by, GError **error);
gboolean cr_access_service_revoke (CrAccessService *svc, gint64 grant_id,
                                   const char *reason, const char *by, GError **error);

/* Requests with their decision and grant, newest first, as JSON:
 * [{"id","case","requester","role","sessions","purpose","source",
 *   "entered_by","entered_at","state" (pending|granted|refused),
 *   "reason", "grant": null | {"id","mode","expires","state","sessions",
 *   "copies":[{"session","state","sha256"}]}}]. @state_filter NULL for all.
 * (transfer full) */
JsonNode *cr_access_service_list (CrAccessService *svc, const char *state_filter,
                                  GError **error);

/* The slip of grant @grant_id without the code (a reprint says it was
 * shown once). (transfer full) */
char *cr_access_service_slip (CrAccessService *svc, gint64 grant_id, GError **error);

/* Wrong second factors after which a code opens nothing any more. */
#define CR_ACCESS_MAX_WRONG_FACTORS 20

/* A party's login: @code as typed (any case, dashes or not), @id_suffix
 * the last 4 characters of the identity number, @address the client's. Writes access-code-used or
 * access-code-wrong into each covered session. Expired, revoked, unknown
 * or a wrong second factor, or a code locked after
 * CR_ACCESS_MAX_WRONG_FACTORS wrong ones: CR_ACCESS_ERROR_DENIED, one
 * message for all. */
gboolean cr_access_service_login (CrAccessService *svc, const char *code,
                                  const char *id_suffix, const char *address,
                                  CrAccessGrant **grant_out, GError **error);
/* The grant's state now, read fresh. */
CrAccessState cr_access_service_check (CrAccessService *svc, gint64 grant_id);
/* The grant with its state now; NULL when there is none. (transfer full) */
CrAccessGrant *cr_access_service_get_grant (CrAccessService *svc, gint64 grant_id);
/* The copy's directory (STORAGE/copies/G<grant>/S<session>) when the
 * grant is in force (neither expired nor revoked), covers @session_id and
 * that session's copy is rendered (the others may still render); NULL
 * otherwise. (transfer full) */
char *cr_access_service_copy_dir (CrAccessService *svc, gint64 grant_id, gint64 session_id);
/* An event of @kind (an access-class kind: playback-start, download, ...)
 * with @detail_json (a JSON object of at most 16 kB; "grant" is added)
 * into each session the grant covers. */
gboolean cr_access_service_record (CrAccessService *svc, gint64 grant_id, CrEventKind kind,
                                   const char *detail_json, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAccessService, cr_access_service_free)

G_END_DECLS
