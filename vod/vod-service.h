/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod-service.h: publication of recorded hearings as video on demand, in
 * the daemon. An approver publishes a STOPPED, sealed session of a case
 * the court approved for broadcast, with a redaction list; a render job
 * (render-queue.h, watermark none) makes its copy in
 * STORAGE/vod/P<id>/ (copy.mp4, hls/index.m3u8 and its segments,
 * chapters.json, the signed manifest beside copy.mp4), and the public
 * catalogue (vod-web.h) lists it once the copy is whole. A case forbidden
 * for broadcast is never published: checked at publish, when the render
 * finishes and on every request for the copy. Withdrawal takes the entry
 * out of the catalogue and deletes the files at once.
 *
 * Every act is an event in the session's chain: "published" at the
 * decision, "copy-rendered" when the copy is whole, "withdrawn". All calls
 * are made from the main loop. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "archive/segment-index.h"
#include "config/config.h"
#include "vod/publication-store.h"

G_BEGIN_DECLS

#define CR_VOD_ERROR (cr_vod_error_quark ())
GQuark cr_vod_error_quark (void);

typedef enum {
  CR_VOD_ERROR_INVALID,    /* a field, the redaction list (400) */
  CR_VOD_ERROR_NOT_FOUND,  /* no such session or publication (404) */
  CR_VOD_ERROR_STATE,      /* not stopped, not sealed, not approved, forbidden,
                              withdrawn already (409) */
  CR_VOD_ERROR_FAILED,     /* the index, the disk, no renderer */
} CrVodError;

typedef struct CrVodService CrVodService;
struct CrRenderQueue;
struct CrDeviceKey;

/* The device key that signs manifests, NULL while it cannot sign; the
 * render queue, NULL when there is none (publishing is then refused).
 * Asked for each time, so that the service may be made before them. */
typedef struct CrDeviceKey *(*CrVodDeviceKeyFunc) (gpointer user_data);
typedef struct CrRenderQueue *(*CrVodQueueFunc) (gpointer user_data);

/* Over the recorder's index and config (borrowed). (transfer full) */
CrVodService *cr_vod_service_new (CrSegmentIndex *index, const CrConfig *config,
                                  CrVodQueueFunc queue, CrVodDeviceKeyFunc device_key,
                                  gpointer user_data);
/* Renders again the publications a daemon that stopped left rendering
 * (or marks them failed when that cannot be). Once the queue is there. */
void cr_vod_service_resume (CrVodService *svc);
void cr_vod_service_free (CrVodService *svc);

/* Publishes @session_id as @title (NULL: the session's) with @redactions
 * (JSON list text, archive/redaction-list.h; NULL: none) by the account @by.
 * Returns the publication's id, RENDERING. */
gint64 cr_vod_service_publish (CrVodService *svc, gint64 session_id, const char *title,
                               const char *redactions, const char *by, GError **error);
/* Withdraws publication @id: out of the catalogue, its render stopped, its
 * files deleted, a "withdrawn" event; @reason is required. */
gboolean cr_vod_service_withdraw (CrVodService *svc, gint64 id, const char *reason,
                                  const char *by, GError **error);

/* The publication as the API answers it: {"id", "session", "case",
 * "title", "state", "redactions", "published_by", "created", "ready",
 * "reason"}. (transfer full) */
JsonNode *cr_vod_service_describe (CrVodService *svc, gint64 id, GError **error);

/* What the public sees of a publication. */
typedef struct {
  gint64 id;
  char *court;
  char *case_no;
  char *title;              /* the publication's, else the session's; may be NULL */
  gint64 started_us;        /* the hearing's start, UTC */
  gint64 duration_us;       /* of the published copy */
  char *hls_dir;            /* absolute */
} CrVodEntry;

void cr_vod_entry_free (CrVodEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrVodEntry, cr_vod_entry_free)

/* The publications served now, newest hearing first: PUBLISHED, their case
 * approved and not forbidden, their files there. Read fresh on every call.
 * (transfer full) (element-type CrVodEntry) */
GPtrArray *cr_vod_service_catalogue (CrVodService *svc);
/* Publication @id if it is served now, else NULL. (transfer full) */
CrVodEntry *cr_vod_service_lookup (CrVodService *svc, gint64 id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrVodService, cr_vod_service_free)

G_END_DECLS
