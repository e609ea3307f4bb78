/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hls.h: the built-in HLS output, in pipelines of its own, for the public
 * live page (live-web.h).
 *
 * The capture's encoders hand their encoded samples over with
 * cr_hls_push(), from their streaming threads, with the same contract as
 * cr_destination_push(): it never blocks; it queues into a bounded appsrc
 * (video: 4 MiB or 2 s) and, when the output is congested or being rebuilt,
 * drops video up to the next keyframe (audio only when its own, larger
 * queue is full). Timestamps are taken as running time through the
 * sample's segment; each pipeline takes the first keyframe it accepts as
 * its zero. The pipeline is
 *
 *   appsrc(video) ! h264parse ! hlssink2            -> index.m3u8, live-G-N.ts
 *   appsrc(audio) ! aacparse  ! tee ! /
 *                                   \ ! hlssink2    -> audio.m3u8, audio-G-N.ts
 *
 * Files in the directory (G counts the pipelines built since cr_hls_new(),
 * N the segments of one pipeline):
 *   index.m3u8     video + audio, sliding playlist of 4 segments of ~2 s
 *   audio.m3u8     the same sound alone, for listeners on a poor connection
 *   live-G-N.ts    MPEG-TS segments of index.m3u8
 *   audio-G-N.ts   MPEG-TS segments (AAC only) of audio.m3u8
 *   snapshot.jpg   the picture, a keyframe decoded every 10 s; replaced by
 *                  rename, so a reader never sees half a file
 * A segment stays on disk ~10 s after it left its playlist (HLS 6.2.2:
 * segment duration + playlist duration), then hlssink2 deletes it.
 *
 * On an error of the pipeline, or when it takes nothing for 5 s while the
 * video queue is full (a hung disk), its playlists are removed and it is
 * torn down in a thread of its own (whose last act is deleting its
 * segments); a new one is built after a backoff (2 s doubling to 60 s,
 * back to 2 s after a build lived 30 s), with the next G.
 *
 * cr_hls_stop() ends both playlists with #EXT-X-ENDLIST and leaves the
 * segments in place: a player plays out what it has and ends cleanly,
 * where a removed playlist would be a network error to retry. Files left
 * from a previous run are removed by cr_hls_new() and cr_hls_start().
 *
 * Threads: everything but cr_hls_push() is for the thread whose
 * thread-default main context was current at cr_hls_new(); bus messages
 * and the watchdog run there. Snapshots are decoded on a thread of their
 * own. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_HLS_ERROR (cr_hls_error_quark ())
GQuark cr_hls_error_quark (void);

typedef enum {
  CR_HLS_ERROR_DIRECTORY,   /* the directory cannot be made or is unusable */
  CR_HLS_ERROR_NO_ELEMENT,  /* a GStreamer element is not installed */
} CrHlsError;

typedef enum {
  CR_HLS_TRACK_VIDEO = 0,   /* video/x-h264, stream-format=avc, alignment=au */
  CR_HLS_TRACK_AUDIO = 1,   /* audio/mpeg, mpegversion=4 (AAC), raw */
} CrHlsTrack;

typedef struct CrHls CrHls;

/* Makes @dir (with parents) if missing and removes the files a previous
 * run left in it (only names this module writes). Nothing is written
 * until cr_hls_start(). (transfer full) */
CrHls *cr_hls_new (const char *dir, GError **error);
/* Stops (waiting for the teardowns) and frees; NULL is fine. */
void cr_hls_free (CrHls *hls);

/* Removes the files of a previous run, builds the pipeline; from now on
 * pushes are accepted. Rebuilds it after errors until stopped. */
void cr_hls_start (CrHls *hls);
/* Tears the pipeline down (waits for it), ends the playlists with
 * #EXT-X-ENDLIST, drops every push afterwards. */
void cr_hls_stop (CrHls *hls);

/* Hands one encoded frame over. Any thread, never blocks; takes no
 * ownership of @sample (it is reffed as needed). Returns TRUE if the frame
 * was queued for the pipeline, FALSE if it was dropped. */
gboolean cr_hls_push (CrHls *hls, GstSample *sample, guint track);

/* The directory given to cr_hls_new(). */
const char *cr_hls_get_dir (CrHls *hls);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrHls, cr_hls_free)

G_END_DECLS
