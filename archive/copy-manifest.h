/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-manifest.h: the signed manifest of a derived copy (a watermarked,
 * possibly redacted rendering of a session for a party, or a published
 * one), which proves which sealed recording the copy came from, for whom it
 * was made and what was changed in it.
 *
 * Beside COPY lie COPY.manifest.json, UTF-8 JSON with its members in a
 * fixed order (docs/copy-manifest.md lists every one), and
 * COPY.manifest.sig, the bare 64-byte Ed25519 signature of the JSON file's
 * exact bytes by the device key (device-key.h). The file is signed as it
 * is, never re-serialised: anyone checks it with `openssl pkeyutl -verify
 * -rawin` and the copy with sha256sum, without this program.
 *
 * The manifest quotes the session's sealed chain head and its seal
 * signature, so the same public key that signs the manifest also proves
 * the head was sealed by this recorder; with the room's index at hand,
 * the head is compared with the one the session holds. */
#pragma once

#include <glib.h>

#include "archive/device-key.h"
#include "archive/segment-index.h"

G_BEGIN_DECLS

#define CR_COPY_MANIFEST_ERROR (cr_copy_manifest_error_quark ())
GQuark cr_copy_manifest_error_quark (void);

typedef enum {
  CR_COPY_MANIFEST_ERROR_IO,       /* a file could not be read or written */
  CR_COPY_MANIFEST_ERROR_MISSING,  /* no manifest or no signature beside the copy */
  CR_COPY_MANIFEST_ERROR_INVALID,  /* what was given to write is incomplete or wrong */
} CrCopyManifestError;

/* "courtrec-copy-manifest-1": the "format" member. */
#define CR_COPY_MANIFEST_FORMAT "courtrec-copy-manifest-1"
/* More than this is not a manifest (a redaction list of thousands fits). */
#define CR_COPY_MANIFEST_MAX_BYTES (1024 * 1024)

/* For whom a copy was made: a grant (access/), ... */
typedef struct {
  gint64 id;
  char *requester;        /* the requester's name */
  char *role;             /* party, agent, defence, victim, media */
  char *mode;             /* review or copy */
  gint64 expires_us;
  char *granted_by;       /* the approver's account */
} CrCopyGrant;

/* ... or a publication on the court's portal (vod). */
typedef struct {
  gint64 id;
  char *published_by;
} CrCopyPublication;

typedef struct {
  char *court;
  char *room_id;
  char *case_no;            /* canonical */
  gint64 session_id;
  gint64 session_started_us;
  char *chain_head;         /* the session's sealed head (hex) */
  char *seal_signature;     /* its signature by the device key (hex) */
  char *public_key;         /* hex; the writer sets it from its key */
  gint64 from_us, to_us;    /* the span copied; 0 for the session's start/end */
  char *watermark;          /* the text burned in, or NULL (a publication) */
  CrCopyGrant *grant;       /* exactly one of grant and publication */
  CrCopyPublication *publication;
  char *redactions;         /* the redaction list as JSON text (an array), or
                               NULL for none; "cuts" is derived from it */
  char *file_name;          /* the copy's base name; the writer sets it */
  gint64 bytes;             /* the writer sets it from the file */
  char *sha256;             /* hex; the writer checks it against the file
                               when given, and sets it */
  gint64 duration_us;       /* the copy's own length (after cuts) */
  gint64 rendered_us;
} CrCopyManifest;

CrCopyManifest *cr_copy_manifest_new (void);
/* A manifest with @session's facts filled in (room, case, id, start,
 * chain head, seal signature) and @court (may be NULL); the rest is the
 * caller's: the span, the watermark, the grant or publication, the
 * redactions, the duration. (transfer full) */
CrCopyManifest *cr_copy_manifest_new_for_session (const CrSessionRecord *session,
                                                  const char *court);
void cr_copy_manifest_free (CrCopyManifest *manifest);
void cr_copy_grant_free (CrCopyGrant *grant);
void cr_copy_publication_free (CrCopyPublication *publication);

/* "COPY.manifest.json" and "COPY.manifest.sig". (transfer full) */
char *cr_copy_manifest_json_path (const char *copy_path);
char *cr_copy_manifest_sig_path (const char *copy_path);

/* The manifest's JSON as it is written and signed (members in their fixed
 * order, pretty-printed, a final newline). @m's file fields as given.
 * NULL with CR_COPY_MANIFEST_ERROR_INVALID when a required field is
 * missing or the redaction list is not a JSON array. (transfer full) */
char *cr_copy_manifest_to_json (const CrCopyManifest *m, GError **error);
/* The manifest @json holds, checked for shape (every member there, of its
 * type); NULL with CR_COPY_MANIFEST_ERROR_INVALID naming what is wrong.
 * (transfer full) */
CrCopyManifest *cr_copy_manifest_from_json (const char *json, gsize length, GError **error);

/* Writes COPY.manifest.json and COPY.manifest.sig beside @copy_path (each
 * whole or not at all, mode 0600): hashes the copy (its size and SHA-256
 * go in; a given @m->sha256 that differs is refused), takes the public key
 * from @key. @m itself is not changed. */
gboolean cr_copy_manifest_write (const CrDeviceKey *key, const CrCopyManifest *m,
                                 const char *copy_path, GError **error);

/* What cr_copy_manifest_verify found. Each check that was made is in
 * @checks ("signature good", ...), each failure in @problems, in the
 * words verify-copy prints. */
typedef struct {
  CrCopyManifest *manifest;  /* as read; NULL when it could not be parsed */
  gboolean signature_good;   /* the manifest's signature, by its own key */
  gboolean key_trusted;      /* that key is the trusted one (one was given) */
  gboolean seal_good;        /* the quoted seal signature signs the chain head */
  gboolean file_good;        /* the copy's size and SHA-256 are the manifest's */
  gboolean index_checked;    /* an index was given and consulted */
  gboolean index_good;       /* the session, its head and seal are the manifest's */
  GPtrArray *checks;         /* char *: what was checked and held */
  GPtrArray *problems;       /* char *: what did not */
} CrCopyVerdict;

void cr_copy_verdict_clear (CrCopyVerdict *verdict);
/* TRUE when nothing was found wrong. */
gboolean cr_copy_verdict_is_intact (const CrCopyVerdict *verdict);

/* Checks the copy at @copy_path against its manifest: the signature with
 * the key in the manifest (and that it is @trusted_public_hex when given),
 * the seal signature it quotes, the copy's size and SHA-256, and with
 * @index, that the session is there with the same case, start, chain head
 * and seal. Fills @verdict (cleared first) and returns TRUE when the checks
 * could be made, whatever they found; FALSE with an error when the copy,
 * its manifest or its signature is missing (CR_COPY_MANIFEST_ERROR_MISSING)
 * or unreadable (CR_COPY_MANIFEST_ERROR_IO). */
gboolean cr_copy_manifest_verify (const char *copy_path, CrSegmentIndex *index,
                                  const char *trusted_public_hex, CrCopyVerdict *verdict,
                                  GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrCopyManifest, cr_copy_manifest_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CrCopyVerdict, cr_copy_verdict_clear)

G_END_DECLS
