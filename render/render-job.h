/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* render-job.h: what the daemon asks the renderer to make, as a value and
 * as its file (JSON, "format": "courtrec-render-1"): which segments of a
 * session, the window, the watermark, the redactions, the audio tracks'
 * titles and the markers. The daemon builds a CrRenderJob, writes it with
 * cr_render_job_to_json () into a 0600 file and runs `courtrec render
 * FILE`; the renderer parses it back. Every field of a bad file is named
 * in the error ("segments[2].started_at: ..."). Times are UTC, in the
 * index's text form on file and microseconds in memory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_RENDER_ERROR (cr_render_error_quark ())
GQuark cr_render_error_quark (void);

typedef enum {
  CR_RENDER_ERROR_INVALID,   /* the job file is malformed: `courtrec render` exits 2 */
  CR_RENDER_ERROR_FAILED,    /* reading, rendering or writing failed: exit 1 */
  CR_RENDER_ERROR_CANCELLED, /* stopped on request (SIGTERM, cr_render_queue_cancel) */
} CrRenderError;

#define CR_RENDER_JOB_FORMAT "courtrec-render-1"

typedef struct {
  char *path;                /* absolute */
  gint64 started_us;         /* UTC of its first frame */
  gint64 duration_us;
} CrRenderSegment;

typedef enum {
  CR_REDACTION_MUTE,
  CR_REDACTION_BLUR,
  CR_REDACTION_CUT,
} CrRedactionKind;

typedef struct {
  CrRedactionKind kind;
  char *track;               /* mute: "mix", "all" or a microphone's name */
  gint x, y, width, height;  /* blur: pixels of the recording */
  gint64 from_us, to_us;     /* UTC, from < to */
  char *reason;
  char *by;
} CrRedaction;

typedef struct {
  char *name;                /* "mix", then each microphone's name */
  char *title;               /* shown by players: the config's label */
  char *language;            /* ISO 639-2, "zho" when the file gives none */
} CrRenderTrack;

typedef struct {
  gint64 at_us;
  char *text;
} CrRenderMarker;

typedef struct {
  char *output_dir;          /* absolute; made via OUTPUT_DIR.partial */
  GArray *segments;          /* CrRenderSegment, by sequence */
  gint64 from_us;            /* 0: from the start */
  gint64 to_us;              /* 0: to the end */
  char *watermark;           /* or NULL; may hold newlines */
  char *title;               /* the copy's title (metadata), or NULL */
  GArray *redactions;        /* CrRedaction */
  GArray *tracks;            /* CrRenderTrack, the files' audio streams in order */
  GArray *markers;           /* CrRenderMarker */
  guint video_kbps;          /* 0: the renderer chooses from the resolution */
} CrRenderJob;

/* An empty job, to be filled by the daemon. (transfer full) */
CrRenderJob *cr_render_job_new (void);
void cr_render_job_free (CrRenderJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRenderJob, cr_render_job_free)

/* Appends to the job's lists; the strings are copied. */
void cr_render_job_add_segment (CrRenderJob *job, const char *path, gint64 started_us,
                                gint64 duration_us);
void cr_render_job_add_track (CrRenderJob *job, const char *name, const char *title);
void cr_render_job_add_marker (CrRenderJob *job, gint64 at_us, const char *text);
/* A copy of @redaction (its strings copied). */
void cr_render_job_add_redaction (CrRenderJob *job, const CrRedaction *redaction);

/* The job file's text (UTF-8 JSON). (transfer full) */
char *cr_render_job_to_json (const CrRenderJob *job);
/* Parses and checks a job: CR_RENDER_ERROR_INVALID naming the field.
 * @where names the source in messages (a file name) or is NULL. */
CrRenderJob *cr_render_job_parse (const char *json, gssize length, const char *where,
                                  GError **error);
CrRenderJob *cr_render_job_load (const char *path, GError **error);
/* Writes the job file, 0600, whole or not at all. */
gboolean cr_render_job_save (const CrRenderJob *job, const char *path, GError **error);

/* Parses a redaction list (the JSON array the grant or publication
 * stores, as in the job file). (transfer full) (element-type CrRedaction) */
GArray *cr_redactions_parse (const char *json, GError **error);
/* The list as JSON text, as the manifest lists it. (transfer full) */
char *cr_redactions_to_json (GArray *redactions);

G_END_DECLS
