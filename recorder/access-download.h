/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-download.h: a party's download of a copy (copy.mp4 is hundreds of
 * MB for an hour), sent over a connection taken out of libsoup
 * (cr_http_server_take_connection): out of the public listener's one-minute
 * exchange deadline, which a slow link could never meet, and counted byte
 * by byte so that the audit says how much was sent and whether all of it.
 *
 * The file is read in chunks as the client takes them; a client that takes
 * nothing for CR_ACCESS_DOWNLOAD_STALL_SECONDS is cut. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CR_ACCESS_DOWNLOAD_STALL_SECONDS 30

/* Called once on the main loop when the download ends: @bytes of the
 * file's @size sent, @complete when all of them were. */
typedef void (*CrAccessDownloadDone) (guint64 bytes, gboolean complete, gpointer user_data);

/* Asked every CR_ACCESS_DOWNLOAD_CHECK_BYTES: FALSE cuts the download
 * (the grant was revoked or expired meanwhile). */
typedef gboolean (*CrAccessDownloadAllowed) (gpointer user_data);
#define CR_ACCESS_DOWNLOAD_CHECK_BYTES (4 * 1024 * 1024)

/* Sends "200 OK" with @content_type, the length of @fd (a regular file,
 * taken: closed at the end), Content-Disposition attachment with
 * @file_name, then the file; takes @stream. @allowed (may be NULL) is
 * asked as it goes; @done is called once, then @destroy on @user_data. */
void cr_access_download_start (GIOStream *stream, int fd, const char *content_type,
                               const char *file_name, CrAccessDownloadAllowed allowed,
                               CrAccessDownloadDone done, gpointer user_data,
                               GDestroyNotify destroy);

G_END_DECLS
