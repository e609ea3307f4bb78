/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* publication-store.h: the index's publications table, the court's
 * published sessions (video on demand). A publication is born RENDERING
 * (its copy being made), becomes PUBLISHED when the copy is whole, or
 * FAILED; WITHDRAWN ends it. Rows are never deleted: a withdrawn one keeps
 * who withdrew it, when and why. Written only by courtrecd's main loop. */
#pragma once

#include <glib.h>

#include "archive/segment-index.h"

G_BEGIN_DECLS

typedef enum {
  CR_PUBLICATION_RENDERING,
  CR_PUBLICATION_PUBLISHED,
  CR_PUBLICATION_FAILED,
  CR_PUBLICATION_WITHDRAWN,
} CrPublicationState;

typedef struct {
  gint64 id;
  gint64 session_id;
  char *title;              /* may be NULL: the session's title stands */
  char *redactions;         /* the JSON list, as stored */
  CrPublicationState state;
  char *published_by;
  gint64 created_us;
  gint64 ready_us;          /* 0 until published */
  char *sha256;             /* of copy.mp4; NULL until published */
  gint64 bytes;
  gint64 duration_us;
  gint64 withdrawn_us;      /* 0 unless withdrawn */
  char *withdrawn_by;
  char *reason;             /* why withdrawn or why it failed */
} CrPublicationRecord;

const char *cr_publication_state_to_string (CrPublicationState state);
void cr_publication_record_free (CrPublicationRecord *record);

/* A new RENDERING row and its "published" event {"publication",
 * "redactions", "by"} in the session's chain, in one transaction; its id, 0
 * on error. */
gint64 cr_publication_store_add (CrSegmentIndex *index, gint64 session_id,
                                 const char *title, const char *redactions,
                                 const char *by, gint64 at_us, GError **error);
/* (transfer full) NULL with CR_INDEX_ERROR_NOT_FOUND when absent. */
CrPublicationRecord *cr_publication_store_get (CrSegmentIndex *index, gint64 id,
                                               GError **error);
/* Every row, or those in @state when @state >= 0, oldest first.
 * (transfer full) (element-type CrPublicationRecord) */
GPtrArray *cr_publication_store_list (CrSegmentIndex *index, gint state, GError **error);
/* RENDERING -> PUBLISHED with what the render made, and its
 * "copy-rendered" event {"publication", "sha256", "bytes", "redactions"}. */
gboolean cr_publication_store_set_published (CrSegmentIndex *index, gint64 id,
                                             const char *sha256, gint64 bytes,
                                             gint64 duration_us, gint64 at_us,
                                             GError **error);
/* RENDERING -> FAILED, with why, and a "withdrawn" event {"publication",
 * "reason": "not rendered: ...", "by": null}: the publication never was. */
gboolean cr_publication_store_set_failed (CrSegmentIndex *index, gint64 id,
                                          const char *reason, GError **error);
/* Any state but WITHDRAWN -> WITHDRAWN, and its "withdrawn" event
 * {"publication", "reason", "by"} (@by NULL: the court itself). */
gboolean cr_publication_store_set_withdrawn (CrSegmentIndex *index, gint64 id,
                                             const char *reason, const char *by,
                                             gint64 at_us, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPublicationRecord, cr_publication_record_free)

G_END_DECLS
