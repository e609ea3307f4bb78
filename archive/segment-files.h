/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-files.h: the media files under a storage directory's
 * recordings/, as verification and reconciliation both need to see them:
 * every file a segment could be, whatever the index says. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Paths relative to @storage_dir ("recordings/2026-11-27/...mkv") of every
 * .mkv or .mp4 file below @storage_dir/recordings, hidden files left out, a
 * symbolic link listed as itself and never followed. (transfer full)
 * (element-type utf8) */
GPtrArray *cr_segment_files_list (const char *storage_dir);

/* The same for the hidden ".NAME.mkv.partial" files a segment has until
 * its header is whole (archive/segment-sink.c): one left behind by a kill
 * between creating a file and its first cluster holds no frame.
 * (transfer full) (element-type utf8) */
GPtrArray *cr_segment_files_list_unnamed (const char *storage_dir);

G_END_DECLS
