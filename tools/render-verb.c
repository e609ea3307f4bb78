/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* render-verb.c: `courtrec render JOB.json`, the renderer's process. Not
 * in the list of verbs: courtrecd's render queue runs it (niced, one at a
 * time, off the capture's path) with a job file it wrote; a person has no
 * use for it, but may run it by hand on a job file to see why one fails.
 *
 * Its output is the queue's protocol, one line each:
 *   progress 0.37
 *   done {"sha256":HEX,"bytes":N,"duration_us":N}
 * Exit 0 done, 1 failure (the message on stderr), 2 bad job file (the
 * message names the field). SIGTERM or SIGINT stop it and remove what it
 * had written; a SIGKILL leaves OUTPUT_DIR.partial, which the next render
 * of the same copy removes. */
#include <gst/gst.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "render/copy-render.h"
#include "tools/terminal.h"
#include "tools/verbs.h"

static volatile gint cancelled;

static void
on_signal (int signum)
{
  cancelled = 1;
}

static void
print_progress (double fraction, gpointer data)
{
  int *last = data;
  int percent = (int) (fraction * 100);

  if (percent == *last)
    return;
  *last = percent;
  printf ("progress %.2f\n", percent / 100.0);
  fflush (stdout);
}

int
cr_render_verb_main (int argc, char **argv)
{
  g_autoptr (CrRenderJob) job = NULL;
  g_autoptr (GError) error = NULL;
  CrCopyRenderResult result;
  struct sigaction action = { 0 };
  int last = -1;

  if (argc != 2 || argv[1][0] == '-')
    return fail (EXIT_USAGE, "render: usage: courtrec render JOB.json");
  /* The copy is the grant's alone: closed to other users, whatever the
   * umask of the daemon that runs this. */
  umask (0077);
  job = cr_render_job_load (argv[1], &error);
  if (job == NULL)
    return fail (EXIT_USAGE, "render: %s", error->message);

  action.sa_handler = on_signal;
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGINT, &action, NULL);
  gst_init (NULL, NULL);
  if (!cr_copy_render (job, print_progress, &last, &cancelled, &result, &error))
    return fail (g_error_matches (error, CR_RENDER_ERROR, CR_RENDER_ERROR_INVALID)
                 ? EXIT_USAGE : EXIT_RUNTIME, "render: %s", error->message);
  printf ("done {\"sha256\":\"%s\",\"bytes\":%" G_GINT64_FORMAT ",\"duration_us\":%"
          G_GINT64_FORMAT "}\n", result.sha256, result.bytes, result.duration_us);
  fflush (stdout);
  return EXIT_OK;
}
