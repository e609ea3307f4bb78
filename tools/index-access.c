/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* index-access.c: opening the room's index for the archive verbs, with an
 * error that says why it cannot be read rather than an empty archive. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "archive/storage-dir.h"
#include "config/text.h"
#include "tools/index-access.h"
#include "tools/terminal.h"

/* "/var/lib/courtrec/room-101 is courtrec:courtrec, mode 0750": the
 * nearest of @path and its parents this user can look at, which is what
 * keeps it out. (transfer full) */
char *
describe_access (const char *path)
{
  g_autofree char *at = g_strdup (path);

  for (;;)
    {
      g_autofree char *parent = NULL;
      GStatBuf st;

      if (g_stat (at, &st) == 0)
        {
          struct passwd *owner = getpwuid (st.st_uid);
          struct group *group = getgrgid (st.st_gid);
          g_autofree char *shown = shown_path (at);
          g_autofree char *owner_name = owner != NULL ? g_strdup (owner->pw_name)
                                                      : g_strdup_printf ("%u", (guint) st.st_uid);
          g_autofree char *group_name = group != NULL ? g_strdup (group->gr_name)
                                                      : g_strdup_printf ("%u", (guint) st.st_gid);

          return g_strdup_printf ("%s is %s:%s, mode %04o", shown, owner_name, group_name,
                                  (guint) (st.st_mode & 07777));
        }
      parent = g_path_get_dirname (at);
      if (g_str_equal (parent, at))
        return NULL;
      g_free (at);
      at = g_steal_pointer (&parent);
    }
}

/* Opens the room's index, read-only unless @for_writing. Whatever keeps it
 * from being read (no index there, no permission, not a database) is an
 * error that names the index, never an empty archive: "No sessions" from
 * an index this user may not read would tell an operator a court's
 * recordings are not there.
 *
 * courtrecd is the index's main writer; archived, retention and export
 * write a few rows of their own. That is safe while it runs: the index is
 * in WAL mode, every write is one short IMMEDIATE transaction, and both
 * sides wait out the other's lock (busy timeout) rather than fail. */
CrSegmentIndex *
open_index (const CrConfig *config, gboolean for_writing, char **index_path, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (config->storage_dir, CR_STORAGE_INDEX_NAME, NULL);
  g_autofree char *shown = shown_path (path);
  CrSegmentIndex *index;
  int fd;

  *exit_code = EXIT_OK;
  if (index_path != NULL)
    *index_path = g_strdup (path);
  /* SQLite says "unable to open database file" whatever the cause; open(2)
   * says which. */
  fd = g_open (path, (for_writing ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int errnum = errno;
      g_autofree char *config_shown = shown_path (config->path);

      if (errnum == ENOENT)
        *exit_code = fail (EXIT_RUNTIME, "no index at %s: nothing has been recorded in room "
                           "%s, or [storage] dir in %s is not where courtrecd records",
                           shown, cr_text_shown (config->room_id), config_shown);
      else if (errnum == EACCES || errnum == EPERM || errnum == EROFS)
        {
          g_autofree char *why = describe_access (path);
          *exit_code = fail (EXIT_RUNTIME, "cannot %s the index %s: %s%s%s%s",
                             for_writing ? "write to" : "read", shown, g_strerror (errnum),
                             why != NULL ? " (" : "", why != NULL ? why : "",
                             why != NULL ? "; the archive is for that owner and group only)"
                                         : "");
        }
      else
        *exit_code = fail (EXIT_RUNTIME, "cannot open the index %s: %s", shown,
                           g_strerror (errnum));
      return NULL;
    }
  close (fd);
  index = cr_segment_index_open (path, !for_writing, &error);
  if (index == NULL && strstr (error->message, path) != NULL)
    *exit_code = fail (EXIT_RUNTIME, "%s", error->message);
  else if (index == NULL)
    *exit_code = fail (EXIT_RUNTIME, "cannot read the index %s: %s", shown, error->message);
  return index;
}

/* The index for what only adds to what a verb did (stop's summary): NULL,
 * quietly, when it cannot be read. */
CrSegmentIndex *
open_index_quietly (const CrConfig *config)
{
  g_autofree char *path = g_build_filename (config->storage_dir, CR_STORAGE_INDEX_NAME, NULL);

  return cr_segment_index_open (path, TRUE, NULL);
}
