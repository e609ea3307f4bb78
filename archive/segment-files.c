/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-files.c: see segment-files.h. */
#include "archive/segment-files.h"

#include <string.h>

static const char *const media_suffixes[] = { ".mkv", ".mp4", NULL };

static gboolean
is_media (const char *name)
{
  if (name[0] == '.')
    return FALSE;
  for (guint i = 0; media_suffixes[i] != NULL; i++)
    if (g_str_has_suffix (name, media_suffixes[i]))
      return TRUE;
  return FALSE;
}

/* ".NAME.mkv.partial": NAME.mkv's file before its header was whole. */
static gboolean
is_unnamed_media (const char *name)
{
  g_autofree char *inner = NULL;

  if (name[0] != '.' || !g_str_has_suffix (name, ".partial"))
    return FALSE;
  inner = g_strndup (name + 1, strlen (name) - 1 - strlen (".partial"));
  return is_media (inner);
}

static void
collect (const char *storage_dir, const char *relative, gboolean (*wanted) (const char *),
         GPtrArray *found)
{
  g_autofree char *dir_path = g_build_filename (storage_dir, relative, NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (relative, name, NULL);
      g_autofree char *full = g_build_filename (storage_dir, child, NULL);

      /* A link is checked as what it claims to be, never followed: it could
       * lead out of the archive or round in a circle. */
      if (g_file_test (full, G_FILE_TEST_IS_SYMLINK))
        {
          if (wanted (name))
            g_ptr_array_add (found, g_steal_pointer (&child));
        }
      else if (g_file_test (full, G_FILE_TEST_IS_DIR))
        collect (storage_dir, child, wanted, found);
      else if (wanted (name))
        g_ptr_array_add (found, g_steal_pointer (&child));
    }
}

GPtrArray *
cr_segment_files_list (const char *storage_dir)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  collect (storage_dir, "recordings", is_media, found);
  return found;
}

GPtrArray *
cr_segment_files_list_unnamed (const char *storage_dir)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  collect (storage_dir, "recordings", is_unnamed_media, found);
  return found;
}
