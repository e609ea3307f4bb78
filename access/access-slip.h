/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-slip.h: the printable slip a party takes home after a grant: an
 * HTML page (one A5 sheet in print) with the court, the case, the
 * requester, what was granted and until when, the address of /access/
 * and the code, and a QR code of the address as inline SVG (libqrencode)
 * so that a phone opens it. The code is on it only when it is printed at
 * the grant: it is stored nowhere. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *court, *room_name;
  const char *case_no;
  const char *requester, *role;
  const char *mode;             /* review | copy */
  gint64 grant_id;
  GPtrArray *sessions;          /* char *: one line per session */
  gint64 expires_us;
  const char *url;              /* the public /access/ address */
  const char *code;             /* dashed; NULL on a reprint */
} CrAccessSlip;

/* The page. (transfer full) */
char *cr_access_slip_html (const CrAccessSlip *slip);
/* @text as a QR code: an <svg> element of dark squares on white, or NULL
 * when it is too long to encode. (transfer full) */
char *cr_access_qr_svg (const char *text);

G_END_DECLS
