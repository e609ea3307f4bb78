/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* description.c: see description.h. */
#include "pipelines/description.h"

char *
cr_description_quote (const char *text)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}
