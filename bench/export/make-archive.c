/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* make-archive.c: an archive of one long session, cheaply, for
 * bench/export/run.sh: COUNT copies of one SEGMENT file (a Matroska
 * segment like the recorder's), laid out and indexed as courtrecd would,
 * back to back from START.
 *
 *   make-archive STORAGE_DIR SEGMENT COUNT START_UTC CASE
 *
 * Prints one line per segment: "SEQUENCE UTC_START RELATIVE_PATH". */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

#include "archive/digest.h"
#include "archive/media-probe.h"
#include "archive/segment-index.h"
#include "archive/segment-writer.h"

#define ROOM_ID "bench"

static int
fail (const GError *error)
{
  fprintf (stderr, "make-archive: %s\n", error->message);
  return 1;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GFile) source = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *sha256 = NULL;
  const char *storage_dir, *segment_path, *case_no;
  gint64 bytes = 0, duration_us = 0, start_us, at, session_id;
  guint count;

  if (argc != 6)
    {
      fprintf (stderr, "usage: %s STORAGE_DIR SEGMENT COUNT START_UTC CASE\n", argv[0]);
      return 2;
    }
  storage_dir = argv[1];
  segment_path = argv[2];
  count = strtoul (argv[3], NULL, 10);
  case_no = argv[5];
  if (count == 0 || !cr_parse_utc (argv[4], &start_us))
    {
      fprintf (stderr, "make-archive: COUNT > 0, START_UTC like 2026-01-05T01:00:00.000Z\n");
      return 2;
    }

  /* Every copy is the same file: hash and measure it once. */
  sha256 = cr_digest_file_sha256 (segment_path, &bytes, &error);
  if (sha256 == NULL || !cr_media_probe_duration (segment_path, &duration_us, &error))
    return fail (error);

  if (g_mkdir_with_parents (storage_dir, 0755) != 0)
    {
      fprintf (stderr, "make-archive: cannot create %s\n", storage_dir);
      return 1;
    }
  index_path = g_build_filename (storage_dir, "index.db", NULL);
  index = cr_segment_index_open (index_path, FALSE, &error);
  if (index == NULL)
    return fail (error);
  session_id = cr_segment_index_begin_session (index, ROOM_ID, case_no, "export benchmark",
                                               start_us, &error);
  if (session_id == 0)
    return fail (error);

  source = g_file_new_for_path (segment_path);
  at = start_us;
  for (guint sequence = 1; sequence <= count; sequence++)
    {
      g_autofree char *relative = cr_segment_writer_relative_path (ROOM_ID, session_id,
                                                                   sequence, at);
      g_autofree char *path = g_build_filename (storage_dir, relative, NULL);
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *utc = cr_format_utc (at);
      g_autoptr (GFile) copy = g_file_new_for_path (path);
      gint64 segment_id;

      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          fprintf (stderr, "make-archive: cannot create %s\n", dir);
          return 1;
        }
      /* Real copies, not links: each segment is its own file on disk, as
       * the recorder leaves them. */
      if (!g_file_copy (source, copy, G_FILE_COPY_NONE, NULL, NULL, NULL, &error))
        return fail (error);
      segment_id = cr_segment_index_add_segment (index, session_id, sequence, relative, at,
                                                 &error);
      if (segment_id == 0 ||
          !cr_segment_index_close_segment (index, segment_id, duration_us, bytes, sha256,
                                           &error))
        return fail (error);
      printf ("%u %s %s\n", sequence, utc, relative);
      at += duration_us;
    }
  if (!cr_segment_index_change_session_state (index, session_id, CR_SESSION_STOPPED, at,
                                              CR_EVENT_STOP, NULL, &error))
    return fail (error);
  return 0;
}
