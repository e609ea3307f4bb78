/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-slip.c: see access-slip.h. */
#include "access/access-slip.h"

#include <qrencode.h>

#include "archive/utc.h"

/* Modules of white around the code, as the standard asks. */
#define QUIET_ZONE 4

char *
cr_access_qr_svg (const char *text)
{
  QRcode *qr;
  GString *svg;
  guint size;

  g_return_val_if_fail (text != NULL, NULL);
  /* M: a creased or smudged slip still reads. */
  qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (qr == NULL)
    return NULL;
  size = (guint) qr->width + 2 * QUIET_ZONE;
  svg = g_string_new (NULL);
  g_string_append_printf (svg,
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" "
                          "viewBox=\"0 0 %u %u\" width=\"%u\" height=\"%u\" "
                          "shape-rendering=\"crispEdges\" role=\"img\" "
                          "aria-label=\"QR\"><rect width=\"%u\" height=\"%u\" "
                          "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                          size, size, size * 6, size * 6, size, size);
  for (int y = 0; y < qr->width; y++)
    for (int x = 0; x < qr->width; x++)
      if (qr->data[y * qr->width + x] & 1)
        g_string_append_printf (svg, "M%d %dh1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE);
  g_string_append (svg, "\"/></svg>");
  QRcode_free (qr);
  return g_string_free (svg, FALSE);
}

static void
row (GString *page, const char *label, const char *value)
{
  g_autofree char *escaped = g_markup_escape_text (value != NULL ? value : "", -1);
  g_string_append_printf (page, "<tr><th>%s</th><td>%s</td></tr>\n", label, escaped);
}

static const char *
mode_shown (const char *mode)
{
  return g_strcmp0 (mode, "copy") == 0 ? "观看并下载 / watch and download (copy)"
                                       : "仅在线观看 / watch online only (review)";
}

char *
cr_access_slip_html (const CrAccessSlip *slip)
{
  GString *page = g_string_new (NULL);
  g_autofree char *expires = NULL;
  g_autofree char *expires_utc = NULL;
  g_autofree char *grant = NULL;
  g_autofree char *qr_text = NULL;
  g_autofree char *qr = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;
  g_autofree char *local_text = NULL;

  g_return_val_if_fail (slip != NULL && slip->url != NULL, NULL);

  utc = g_date_time_new_from_unix_utc (slip->expires_us / G_USEC_PER_SEC);
  local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  local_text = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M %Z") : NULL;
  expires_utc = cr_format_utc (slip->expires_us);
  expires = g_strdup_printf ("%s (UTC %s)", local_text != NULL ? local_text : "",
                             expires_utc);
  grant = g_strdup_printf ("G%" G_GINT64_FORMAT, slip->grant_id);
  /* The QR opens the page with the code filled in (after the '#', which
   * no browser sends to a server or into its logs); the second factor
   * is still typed. */
  qr_text = slip->code != NULL ? g_strdup_printf ("%s#code=%s", slip->url, slip->code)
                               : g_strdup (slip->url);
  qr = cr_access_qr_svg (qr_text);
  url = g_markup_escape_text (slip->url, -1);

  g_string_append (page,
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
      "<title>庭审录像查阅凭条 / Recording access slip</title>\n"
      "<style>body{font-family:sans-serif;max-width:42em;margin:2em auto;color:#000}"
      "h1{font-size:1.4em}table{border-collapse:collapse;width:100%}"
      "th,td{border:1px solid #444;padding:.35em .6em;text-align:left;vertical-align:top}"
      "th{width:12em;background:#eee}.code{font:bold 1.5em monospace;letter-spacing:.08em}"
      ".qr{display:block;margin:1em auto;width:15em;height:15em}"
      ".note{font-size:.9em}@page{size:A5;margin:1cm}</style>\n"
      "</head><body>\n<h1>庭审录像查阅凭条<br>Court recording access slip</h1>\n<table>\n");
  row (page, "法院 / Court", slip->court);
  row (page, "法庭 / Courtroom", slip->room_name);
  row (page, "案号 / Case", slip->case_no);
  row (page, "申请人 / Requester", slip->requester);
  row (page, "身份 / Role", slip->role);
  row (page, "授权 / Grant", grant);
  row (page, "方式 / Mode", mode_shown (slip->mode));
  for (guint i = 0; slip->sessions != NULL && i < slip->sessions->len; i++)
    row (page, i == 0 ? "庭次 / Sessions" : "", g_ptr_array_index (slip->sessions, i));
  row (page, "有效期至 / Valid until", expires);
  g_string_append_printf (page, "<tr><th>网址 / Address</th><td><a href=\"%s\">%s</a>"
                          "</td></tr>\n", url, url);
  if (slip->code != NULL)
    {
      g_autofree char *code = g_markup_escape_text (slip->code, -1);
      g_string_append_printf (page, "<tr><th>查阅码 / Access code</th>"
                              "<td class=\"code\" id=\"code\">%s</td></tr>\n", code);
    }
  else
    g_string_append (page, "<tr><th>查阅码 / Access code</th><td>仅在授权时显示一次，"
                     "遗失请重新申请 / shown once, at the grant; if lost, ask for a new "
                     "grant</td></tr>\n");
  g_string_append (page, "</table>\n");
  if (qr != NULL)
    g_string_append (page, qr);
  g_string_append (page,
      "\n<p class=\"note\">登录时还需输入身份证件号码的后四位。查阅码如同钥匙，请勿交给他人；"
      "录像带有您的姓名水印，每次观看和下载都有记录。<br>"
      "To sign in you also type the last 4 characters of your identity number. Keep the "
      "code to yourself: the recording carries your name, and every viewing and download "
      "is recorded.</p>\n</body></html>\n");
  return g_string_free (page, FALSE);
}
