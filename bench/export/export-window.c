/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* export-window.c: calls cr_export_package () the way the `export` verb
 * does, and prints how long it took, for bench/export/run.sh.
 *
 *   export-window CONFIG CASE OUTPUT_DIR [FROM_UTC TO_UTC] */
#include <stdio.h>
#include <stdlib.h>

#include "archive/export.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autofree char *index_path = NULL;
  CrExportRequest request = { 0 };
  CrExportResult result = { 0 };
  gint64 t0;
  double seconds;

  if (argc != 4 && argc != 6)
    {
      fprintf (stderr, "usage: %s CONFIG CASE OUTPUT_DIR [FROM_UTC TO_UTC]\n", argv[0]);
      return 2;
    }
  config = cr_config_load (argv[1], &error);
  if (config == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  index_path = g_build_filename (config->storage_dir, "index.db", NULL);
  index = cr_segment_index_open (index_path, TRUE, &error);
  if (index == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  request.case_no = argv[2];
  request.output_dir = argv[3];
  if (argc == 6 && (!cr_parse_utc (argv[4], &request.from_us) ||
                    !cr_parse_utc (argv[5], &request.to_us)))
    {
      fprintf (stderr, "times are like 2026-11-27T02:13:25.316Z\n");
      return 2;
    }

  t0 = g_get_monotonic_time ();
  if (!cr_export_package (index, config, &request, &result, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  printf ("sessions=%u media_s=%.3f bytes=%" G_GINT64_FORMAT " wall_s=%.3f speed_x=%.1f\n",
          result.sessions, result.media_us / 1e6, result.bytes, seconds,
          result.media_us / 1e6 / seconds);
  return 0;
}
