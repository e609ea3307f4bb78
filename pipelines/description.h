/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* description.h: writing gst-launch pipeline descriptions safely. Labels,
 * device paths and URLs come from the config: each is quoted so that no
 * value can change the shape of a pipeline. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "\"" + @text with '"' and '\\' escaped + "\"". (transfer full) */
char *cr_description_quote (const char *text);

G_END_DECLS
