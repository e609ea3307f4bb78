/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redaction-list.h: the redaction list of a derived copy, as a grant or
 * a publication stores it: a JSON array of
 *   {"kind":"mute","track","from","to","reason","by"}
 *   {"kind":"blur","x","y","width","height","from","to","reason","by"}
 *   {"kind":"cut","from","to","reason","by"}
 * A time is UTC ISO text or an offset from the session's start
 * (HH:MM:SS, MM:SS or seconds, with at most 3 decimals). One reader for
 * every list the approver gives, so that a grant and a publication refuse
 * the same things with the same words. Applied to derived copies only;
 * the original is never touched. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most entries one list holds, its longest JSON text (as given and
 * as stored), the longest reason, "by" or track. */
#define CR_REDACTION_LIST_MAX 100
#define CR_REDACTION_LIST_MAX_BYTES (64 * 1024)
#define CR_REDACTION_TEXT_MAX 200
#define CR_REDACTION_PIXELS_MAX 10000

/* A scope's start when the list serves several sessions: offsets stay
 * offsets (in their canonical form), resolved per session later. */
#define CR_REDACTION_NO_START G_MININT64

/* What a list is checked against. */
typedef struct {
  gint64 start_us;                 /* the session's start, or CR_REDACTION_NO_START */
  gint64 end_us;                   /* its end; 0 when not known */
  const GPtrArray *microphones;    /* CrInputConfig *: the tracks a mute may name
                                    * besides mix and all (NULL: none) */
  guint width, height;             /* the picture a blur lies inside */
  const char *by;                  /* who made an entry that does not say */
} CrRedactionScope;

/* @text (a JSON array; NULL or "" for none) checked against @scope, in
 * its stored form: members in a fixed order, "by" filled in, times in UTC
 * (or canonical offsets under CR_REDACTION_NO_START). The stored form is
 * a fixed point. Refused before json-glib sees it when over the size or
 * nested deeper than a list of flat objects, or when a member is given
 * twice. An error (G_IO_ERROR_INVALID_DATA, valid UTF-8) names the entry
 * and the member: "redactions[2].track = ...". (transfer full) */
char *cr_redaction_list_normalize (const char *text, const CrRedactionScope *scope,
                                   GError **error);

/* An offset as a list gives it, in microseconds; FALSE when it is not
 * one (01:75:00 is a typing error, not an hour and a quarter). */
gboolean cr_redaction_offset (const char *text, gint64 *offset_us);

/* A time as a list gives it: UTC text, or an offset from @start_us. */
gboolean cr_redaction_time (const char *text, gint64 start_us, gint64 *utc_us);

G_END_DECLS
