/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* console-web.h: the operator console's page, compiled in from web/
 * (console.html, console.js, console.css) and served on the control
 * listener:
 *
 *   /console            301 to /console/
 *   /console/           the page
 *   /console/NAME       its script and style
 *
 * GET and HEAD only. The page holds nothing of the room: what it shows
 * comes from the API (/api/v1/live, /api/v1/preview/, /api/v1/status),
 * which asks who is calling; so the page itself needs no login. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* TRUE for the paths above (what the API's admission lets through). */
gboolean cr_console_web_owns (const char *path);

/* Adds the /console handler to @server. */
void cr_console_web_add_handlers (SoupServer *server);

G_END_DECLS
