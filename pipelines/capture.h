/* capture.h: the courtroom's capture pipeline, running from daemon start
 * (standby): every camera into the composer with its label, the court, room,
 * case number and wall-clock time burned in, H.264 once; every microphone
 * into the mix, AAC once. Encoded samples are handed to whoever records. */
#pragma once

#include <gst/gst.h>

#include "config/config.h"

G_BEGIN_DECLS

#define CR_CAPTURE_ERROR (cr_capture_error_quark ())
GQuark cr_capture_error_quark (void);

typedef enum {
  CR_CAPTURE_ERROR_BUILD,    /* an element is missing or would not link */
  CR_CAPTURE_ERROR_STATE,    /* the pipeline would not start */
} CrCaptureError;

typedef enum {
  CR_MEDIA_VIDEO,
  CR_MEDIA_AUDIO,
} CrMediaKind;

/* Called on a streaming thread for every encoded sample: hand it over and
 * return; never block, never touch the index. @running_time is the buffer's
 * running time; @utc_us the wall-clock time at which it was captured. */
typedef void (*CrCaptureSampleFunc) (GstSample *sample, CrMediaKind kind,
                                     GstClockTime running_time, gint64 utc_us,
                                     gpointer user_data);

/* Called on the main loop when the pipeline reports an error. */
typedef void (*CrCaptureErrorFunc) (const GError *error, const char *debug,
                                    gpointer user_data);

typedef struct CrCapture CrCapture;

/* (transfer full) */
CrCapture *cr_capture_new (const CrConfig *config, GError **error);
void cr_capture_free (CrCapture *capture);

void cr_capture_set_sample_func (CrCapture *capture, CrCaptureSampleFunc func,
                                 gpointer user_data);
void cr_capture_set_error_func (CrCapture *capture, CrCaptureErrorFunc func,
                                gpointer user_data);

gboolean cr_capture_play (CrCapture *capture, GError **error);
void cr_capture_stop (CrCapture *capture);

/* Asks the encoder for a keyframe now, so a recording starts at once. */
void cr_capture_request_keyframe (CrCapture *capture);

/* The line burned in under the court and room: the case number while a
 * session runs, a standby notice otherwise. */
void cr_capture_set_caption (CrCapture *capture, const char *caption);

/* The same pipeline as gst-launch-1.0 takes it, muxing straight into
 * @reference_file with matroskamux and filesink instead of handing samples
 * to the segment writer: what the benchmark compares courtrecd against.
 * (transfer full) */
char *cr_capture_describe (const CrConfig *config, const char *reference_file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrCapture, cr_capture_free)

G_END_DECLS
