/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-manifest.c: see copy-manifest.h. The JSON is made by json-glib's
 * builder in one fixed order, so two manifests of the same facts are the
 * same bytes; the signature is over those bytes as written, so what is
 * read back is checked before it is parsed. */
#include "archive/copy-manifest.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/chain.h"
#include "archive/digest.h"
#include "archive/json-members.h"
#include "archive/utc.h"
#include "config/small-file.h"

#define SIGNATURE_BYTES 64

G_DEFINE_QUARK (cr-copy-manifest-error-quark, cr_copy_manifest_error)

CrCopyManifest *
cr_copy_manifest_new (void)
{
  return g_new0 (CrCopyManifest, 1);
}

CrCopyManifest *
cr_copy_manifest_new_for_session (const CrSessionRecord *session, const char *court)
{
  CrCopyManifest *m;

  g_return_val_if_fail (session != NULL, NULL);

  m = cr_copy_manifest_new ();
  m->court = g_strdup (court);
  m->room_id = g_strdup (session->room_id);
  m->case_no = g_strdup (session->case_no);
  m->session_id = session->id;
  m->session_started_us = session->started_us;
  m->chain_head = g_strdup (session->chain_head);
  m->seal_signature = g_strdup (session->signature);
  return m;
}

void
cr_copy_grant_free (CrCopyGrant *grant)
{
  if (grant == NULL)
    return;
  g_free (grant->requester);
  g_free (grant->role);
  g_free (grant->mode);
  g_free (grant->granted_by);
  g_free (grant);
}

void
cr_copy_publication_free (CrCopyPublication *publication)
{
  if (publication == NULL)
    return;
  g_free (publication->published_by);
  g_free (publication);
}

void
cr_copy_manifest_free (CrCopyManifest *m)
{
  if (m == NULL)
    return;
  g_free (m->court);
  g_free (m->room_id);
  g_free (m->case_no);
  g_free (m->chain_head);
  g_free (m->seal_signature);
  g_free (m->public_key);
  g_free (m->watermark);
  cr_copy_grant_free (m->grant);
  cr_copy_publication_free (m->publication);
  g_free (m->redactions);
  g_free (m->file_name);
  g_free (m->sha256);
  g_free (m);
}

char *
cr_copy_manifest_json_path (const char *copy_path)
{
  return g_strconcat (copy_path, ".manifest.json", NULL);
}

char *
cr_copy_manifest_sig_path (const char *copy_path)
{
  return g_strconcat (copy_path, ".manifest.sig", NULL);
}

/* --- writing ------------------------------------------------------------- */

static gpointer
invalid (GError **error, const char *what)
{
  g_set_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID,
               "Copy manifest: %s", what);
  return NULL;
}

/* The redaction list, parsed: an array of objects, or an empty one for
 * NULL. (transfer full) */
static JsonNode *
parse_redactions (const char *text, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (text == NULL)
    return json_node_init_array (json_node_alloc (), json_array_new ());
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      return invalid (error, "the redaction list is not a JSON array");
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (root), i)))
      {
        return invalid (error, "a redaction is not a JSON object");
      }
  return json_node_copy (root);
}

/* @object's member @name when it is a string, else NULL. */
static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The cuts of the redaction list, {"from", "to"} each: the spans the copy
 * does not have, so that its length and chapters can be understood. */
static void
add_cuts (JsonBuilder *builder, JsonArray *redactions)
{
  json_builder_set_member_name (builder, "cuts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < json_array_get_length (redactions); i++)
    {
      JsonObject *edit = json_array_get_object_element (redactions, i);

      if (g_strcmp0 (string_member (edit, "kind"), "cut") != 0)
        continue;
      json_builder_begin_object (builder);
      cr_json_add_text (builder, "from", string_member (edit, "from"));
      cr_json_add_text (builder, "to", string_member (edit, "to"));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

char *
cr_copy_manifest_to_json (const CrCopyManifest *m, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) redactions = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (m != NULL, NULL);

  if (m->case_no == NULL || m->room_id == NULL || m->session_id <= 0)
    return invalid (error, "the session (room, case, id) is missing");
  if (!cr_chain_is_digest (m->chain_head) || m->seal_signature == NULL)
    return invalid (error, "the session's sealed chain head and signature are missing "
                           "(only a sealed session can be copied)");
  if (!cr_chain_is_digest (m->public_key))
    return invalid (error, "the public key is missing");
  if ((m->grant == NULL) == (m->publication == NULL))
    return invalid (error, "a copy is made for one grant or one publication");
  if (m->file_name == NULL || !cr_chain_is_digest (m->sha256) || m->bytes < 0)
    return invalid (error, "the file's name, size and SHA-256 are missing");
  redactions = parse_redactions (m->redactions, error);
  if (redactions == NULL)
    return NULL;

  json_builder_begin_object (builder);
  cr_json_add_text (builder, "format", CR_COPY_MANIFEST_FORMAT);
  cr_json_add_text (builder, "court", m->court);
  cr_json_add_text (builder, "room_id", m->room_id);
  cr_json_add_text (builder, "case_no", m->case_no);
  cr_json_add_int (builder, "session_id", m->session_id);
  cr_json_add_time (builder, "session_started_at", m->session_started_us);
  cr_json_add_text (builder, "chain_head", m->chain_head);
  cr_json_add_text (builder, "seal_signature", m->seal_signature);
  cr_json_add_text (builder, "public_key", m->public_key);
  json_builder_set_member_name (builder, "span");
  json_builder_begin_object (builder);
  cr_json_add_time (builder, "from", m->from_us);
  cr_json_add_time (builder, "to", m->to_us);
  json_builder_end_object (builder);
  add_cuts (builder, json_node_get_array (redactions));
  cr_json_add_text (builder, "watermark", m->watermark);
  json_builder_set_member_name (builder, "grant");
  if (m->grant != NULL)
    {
      json_builder_begin_object (builder);
      cr_json_add_int (builder, "id", m->grant->id);
      cr_json_add_text (builder, "requester", m->grant->requester);
      cr_json_add_text (builder, "role", m->grant->role);
      cr_json_add_text (builder, "mode", m->grant->mode);
      cr_json_add_time (builder, "expires_at", m->grant->expires_us);
      cr_json_add_text (builder, "granted_by", m->grant->granted_by);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "publication");
  if (m->publication != NULL)
    {
      json_builder_begin_object (builder);
      cr_json_add_int (builder, "id", m->publication->id);
      cr_json_add_text (builder, "published_by", m->publication->published_by);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "redactions");
  json_builder_add_value (builder, g_steal_pointer (&redactions));
  cr_json_add_text (builder, "file_name", m->file_name);
  cr_json_add_int (builder, "bytes", m->bytes);
  cr_json_add_text (builder, "sha256", m->sha256);
  cr_json_add_int (builder, "duration_us", m->duration_us);
  cr_json_add_time (builder, "rendered_at", m->rendered_us);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return g_strconcat (text, "\n", NULL);
}

static CrCopyGrant *
copy_grant (const CrCopyGrant *grant)
{
  CrCopyGrant *copy;

  if (grant == NULL)
    return NULL;
  copy = g_new0 (CrCopyGrant, 1);
  copy->id = grant->id;
  copy->requester = g_strdup (grant->requester);
  copy->role = g_strdup (grant->role);
  copy->mode = g_strdup (grant->mode);
  copy->expires_us = grant->expires_us;
  copy->granted_by = g_strdup (grant->granted_by);
  return copy;
}

gboolean
cr_copy_manifest_write (const CrDeviceKey *key, const CrCopyManifest *m,
                        const char *copy_path, GError **error)
{
  g_autoptr (CrCopyManifest) filled = cr_copy_manifest_new ();
  g_autofree char *sha256 = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *sig_path = NULL;
  guint8 signature[SIGNATURE_BYTES];
  gint64 bytes = 0;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (m != NULL, FALSE);
  g_return_val_if_fail (copy_path != NULL, FALSE);

  sha256 = cr_digest_file_sha256 (copy_path, &bytes, error);
  if (sha256 == NULL)
    {
      g_prefix_error (error, "Cannot sign the copy's manifest: ");
      return FALSE;
    }
  /* The renderer's digest of what it wrote: a file changed since is not
   * the copy it rendered. */
  if (m->sha256 != NULL && g_ascii_strcasecmp (m->sha256, sha256) != 0)
    {
      g_set_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID,
                   "Copy manifest: '%s' has SHA-256 %s, not the rendered %s", copy_path,
                   sha256, m->sha256);
      return FALSE;
    }

  /* A shallow copy with the file's facts and the key filled in. */
  filled->court = g_strdup (m->court);
  filled->room_id = g_strdup (m->room_id);
  filled->case_no = g_strdup (m->case_no);
  filled->session_id = m->session_id;
  filled->session_started_us = m->session_started_us;
  filled->chain_head = g_strdup (m->chain_head);
  filled->seal_signature = g_strdup (m->seal_signature);
  filled->public_key = g_strdup (cr_device_key_get_public_hex (key));
  filled->from_us = m->from_us;
  filled->to_us = m->to_us;
  filled->watermark = g_strdup (m->watermark);
  filled->grant = copy_grant (m->grant);
  if (m->publication != NULL)
    {
      filled->publication = g_new0 (CrCopyPublication, 1);
      filled->publication->id = m->publication->id;
      filled->publication->published_by = g_strdup (m->publication->published_by);
    }
  filled->redactions = g_strdup (m->redactions);
  filled->file_name = g_path_get_basename (copy_path);
  filled->bytes = bytes;
  filled->sha256 = g_steal_pointer (&sha256);
  filled->duration_us = m->duration_us;
  filled->rendered_us = m->rendered_us != 0 ? m->rendered_us : g_get_real_time ();

  json = cr_copy_manifest_to_json (filled, error);
  if (json == NULL)
    return FALSE;
  cr_device_key_sign_bytes (key, (const guint8 *) json, strlen (json), signature);

  json_path = cr_copy_manifest_json_path (copy_path);
  sig_path = cr_copy_manifest_sig_path (copy_path);
  if (!g_file_set_contents_full (json_path, json, -1, G_FILE_SET_CONTENTS_CONSISTENT |
                                 G_FILE_SET_CONTENTS_DURABLE, 0600, error) ||
      !g_file_set_contents_full (sig_path, (const char *) signature, sizeof signature,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, "Cannot write the copy's manifest: ");
      return FALSE;
    }
  return TRUE;
}

/* --- reading --------------------------------------------------------------- */

/* Member @name: an object, or NULL for null (@present says which). */
static JsonObject *
get_object (JsonObject *object, const char *name, gboolean nullable, GString *wrong)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return json_node_get_object (node);
  if (node == NULL || !JSON_NODE_HOLDS_NULL (node) || !nullable)
    g_string_append_printf (wrong, "%s\"%s\" (an object%s)", wrong->len > 0 ? ", " : "",
                            name, nullable ? " or null" : "");
  return NULL;
}

CrCopyManifest *
cr_copy_manifest_from_json (const char *json, gsize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (CrCopyManifest) m = cr_copy_manifest_new ();
  g_autoptr (GString) wrong = g_string_new (NULL);
  g_autoptr (GError) parse_error = NULL;
  g_autofree char *format = NULL;
  JsonObject *root, *span, *grant, *publication;
  JsonNode *redactions;

  if (!g_utf8_validate (json, length, NULL) ||
      !json_parser_load_from_data (parser, json, length, &parse_error) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      /* json-glib quotes the input around the fault, and may cut a
       * character in two. */
      g_autofree char *why = parse_error != NULL ? g_utf8_make_valid (parse_error->message, -1)
                                                 : NULL;
      g_set_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID,
                   "the manifest is not a JSON object%s%s", why != NULL ? ": " : "",
                   why != NULL ? why : "");
      return NULL;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  cr_json_get_text (root, "format", FALSE, &format, wrong);
  if (format != NULL && !g_str_equal (format, CR_COPY_MANIFEST_FORMAT))
    {
      g_set_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID,
                   "the manifest's format is not %s", CR_COPY_MANIFEST_FORMAT);
      return NULL;
    }
  cr_json_get_text (root, "court", TRUE, &m->court, wrong);
  cr_json_get_text (root, "room_id", FALSE, &m->room_id, wrong);
  cr_json_get_text (root, "case_no", FALSE, &m->case_no, wrong);
  cr_json_get_int (root, "session_id", &m->session_id, wrong);
  cr_json_get_time (root, "session_started_at", &m->session_started_us, wrong);
  cr_json_get_text (root, "chain_head", FALSE, &m->chain_head, wrong);
  cr_json_get_text (root, "seal_signature", FALSE, &m->seal_signature, wrong);
  cr_json_get_text (root, "public_key", FALSE, &m->public_key, wrong);
  span = get_object (root, "span", FALSE, wrong);
  if (span != NULL)
    {
      cr_json_get_time (span, "from", &m->from_us, wrong);
      cr_json_get_time (span, "to", &m->to_us, wrong);
    }
  cr_json_get_text (root, "watermark", TRUE, &m->watermark, wrong);
  grant = get_object (root, "grant", TRUE, wrong);
  if (grant != NULL)
    {
      m->grant = g_new0 (CrCopyGrant, 1);
      cr_json_get_int (grant, "id", &m->grant->id, wrong);
      cr_json_get_text (grant, "requester", TRUE, &m->grant->requester, wrong);
      cr_json_get_text (grant, "role", TRUE, &m->grant->role, wrong);
      cr_json_get_text (grant, "mode", TRUE, &m->grant->mode, wrong);
      cr_json_get_time (grant, "expires_at", &m->grant->expires_us, wrong);
      cr_json_get_text (grant, "granted_by", TRUE, &m->grant->granted_by, wrong);
    }
  publication = get_object (root, "publication", TRUE, wrong);
  if (publication != NULL)
    {
      m->publication = g_new0 (CrCopyPublication, 1);
      cr_json_get_int (publication, "id", &m->publication->id, wrong);
      cr_json_get_text (publication, "published_by", TRUE, &m->publication->published_by, wrong);
    }
  redactions = json_object_get_member (root, "redactions");
  if (redactions == NULL || !JSON_NODE_HOLDS_ARRAY (redactions))
    g_string_append_printf (wrong, "%s\"redactions\" (an array)", wrong->len > 0 ? ", " : "");
  else
    m->redactions = json_to_string (redactions, FALSE);
  cr_json_get_text (root, "file_name", FALSE, &m->file_name, wrong);
  cr_json_get_int (root, "bytes", &m->bytes, wrong);
  cr_json_get_text (root, "sha256", FALSE, &m->sha256, wrong);
  cr_json_get_int (root, "duration_us", &m->duration_us, wrong);
  cr_json_get_time (root, "rendered_at", &m->rendered_us, wrong);

  if (wrong->len == 0 && (m->grant == NULL) == (m->publication == NULL))
    g_string_append (wrong, "one of \"grant\" and \"publication\"");
  if (wrong->len > 0)
    {
      g_set_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_INVALID,
                   "the manifest lacks or misstates %s", wrong->str);
      return NULL;
    }
  return g_steal_pointer (&m);
}

/* --- verifying -------------------------------------------------------------- */

void
cr_copy_verdict_clear (CrCopyVerdict *verdict)
{
  g_clear_pointer (&verdict->manifest, cr_copy_manifest_free);
  g_clear_pointer (&verdict->checks, g_ptr_array_unref);
  g_clear_pointer (&verdict->problems, g_ptr_array_unref);
  memset (verdict, 0, sizeof *verdict);
}

gboolean
cr_copy_verdict_is_intact (const CrCopyVerdict *verdict)
{
  return verdict->problems != NULL && verdict->problems->len == 0 &&
         verdict->signature_good && verdict->file_good;
}

static void G_GNUC_PRINTF (2, 3)
checked (CrCopyVerdict *verdict, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  g_ptr_array_add (verdict->checks, g_strdup_vprintf (format, ap));
  va_end (ap);
}

static void G_GNUC_PRINTF (2, 3)
problem (CrCopyVerdict *verdict, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  g_ptr_array_add (verdict->problems, g_strdup_vprintf (format, ap));
  va_end (ap);
}

/* A manifest or signature beside the copy; missing is its own error. */
static gboolean
read_beside (const char *path, const char *what, gsize max_bytes, char **contents,
             gsize *length, GError **error)
{
  g_autoptr (GError) read_error = NULL;

  if (cr_small_file_read (path, what, max_bytes, contents, length, &read_error))
    return TRUE;
  g_set_error (error, CR_COPY_MANIFEST_ERROR,
               g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                 ? CR_COPY_MANIFEST_ERROR_MISSING : CR_COPY_MANIFEST_ERROR_IO,
               "%s", read_error->message);
  return FALSE;
}

static void
check_file (const char *copy_path, CrCopyVerdict *verdict)
{
  CrCopyManifest *m = verdict->manifest;
  g_autoptr (GError) error = NULL;
  g_autofree char *sha256 = NULL;
  gint64 bytes = 0;

  sha256 = cr_digest_file_sha256 (copy_path, &bytes, &error);
  if (sha256 == NULL)
    {
      problem (verdict, "the copy cannot be read: %s", error->message);
      return;
    }
  if (bytes != m->bytes)
    problem (verdict, "the copy has %" G_GINT64_FORMAT " bytes, the manifest says %"
             G_GINT64_FORMAT ": the file was changed", bytes, m->bytes);
  if (g_ascii_strcasecmp (sha256, m->sha256) != 0)
    problem (verdict, "the copy's SHA-256 is %s, the manifest says %s: the file was changed",
             sha256, m->sha256);
  verdict->file_good = bytes == m->bytes && g_ascii_strcasecmp (sha256, m->sha256) == 0;
  if (verdict->file_good)
    checked (verdict, "file size (%" G_GINT64_FORMAT " bytes) and SHA-256 %s match the "
             "manifest", bytes, sha256);
}

static void
check_index (CrSegmentIndex *index, CrCopyVerdict *verdict)
{
  CrCopyManifest *m = verdict->manifest;
  g_autoptr (CrSessionRecord) session = NULL;
  g_autoptr (GError) error = NULL;
  guint before = verdict->problems->len;

  verdict->index_checked = TRUE;
  session = cr_segment_index_get_session (index, m->session_id, &error);
  if (session == NULL)
    {
      problem (verdict, "session %" G_GINT64_FORMAT " is not in this room's index (%s)",
               m->session_id, error->message);
      return;
    }
  if (g_strcmp0 (session->room_id, m->room_id) != 0)
    problem (verdict, "session %" G_GINT64_FORMAT " is of room %s, the manifest says %s",
             m->session_id, session->room_id, m->room_id);
  if (g_strcmp0 (session->case_no, m->case_no) != 0)
    problem (verdict, "session %" G_GINT64_FORMAT " is of case %s, the manifest says %s",
             m->session_id, session->case_no, m->case_no);
  if (m->session_started_us != 0 &&
      session->started_us / 1000 != m->session_started_us / 1000)
    problem (verdict, "session %" G_GINT64_FORMAT " started at another time than the "
             "manifest says", m->session_id);
  if (session->chain_head == NULL)
    problem (verdict, "session %" G_GINT64_FORMAT " is not sealed in the index",
             m->session_id);
  else
    {
      if (g_strcmp0 (session->chain_head, m->chain_head) != 0)
        problem (verdict, "the session's sealed chain head is %s, the manifest says %s",
                 session->chain_head, m->chain_head);
      if (g_strcmp0 (session->signature, m->seal_signature) != 0)
        problem (verdict, "the session's seal signature differs from the manifest's");
      if (g_strcmp0 (session->public_key, m->public_key) != 0)
        problem (verdict, "the session was sealed with key %s, the manifest is signed by %s",
                 session->public_key, m->public_key);
    }
  verdict->index_good = verdict->problems->len == before;
  if (verdict->index_good)
    checked (verdict, "session %" G_GINT64_FORMAT " of %s in the index: same room, case, "
             "start, sealed chain head and seal signature", m->session_id, m->case_no);
}

gboolean
cr_copy_manifest_verify (const char *copy_path, CrSegmentIndex *index,
                         const char *trusted_public_hex, CrCopyVerdict *verdict,
                         GError **error)
{
  g_autofree char *json_path = NULL;
  g_autofree char *sig_path = NULL;
  g_autofree char *json = NULL;
  g_autofree char *signature = NULL;
  g_autoptr (GError) parse_error = NULL;
  gsize json_length = 0, sig_length = 0;
  const char *key;

  g_return_val_if_fail (copy_path != NULL, FALSE);
  g_return_val_if_fail (verdict != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cr_copy_verdict_clear (verdict);
  if (!g_file_test (copy_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, CR_COPY_MANIFEST_ERROR, CR_COPY_MANIFEST_ERROR_MISSING,
                   "No copy at '%s' (or not a regular file)", copy_path);
      return FALSE;
    }
  json_path = cr_copy_manifest_json_path (copy_path);
  sig_path = cr_copy_manifest_sig_path (copy_path);
  /* Read the signature with room to spare, so that one too long is told
   * apart from one of the right size. */
  if (!read_beside (json_path, "The copy's manifest", CR_COPY_MANIFEST_MAX_BYTES, &json,
                    &json_length, error) ||
      !read_beside (sig_path, "The manifest's signature", 4096, &signature, &sig_length,
                    error))
    return FALSE;

  verdict->checks = g_ptr_array_new_with_free_func (g_free);
  verdict->problems = g_ptr_array_new_with_free_func (g_free);

  /* The key that signs is named inside what it signs: parse first, but
   * believe nothing of it until the signature holds. */
  verdict->manifest = cr_copy_manifest_from_json (json, json_length, &parse_error);
  key = verdict->manifest != NULL ? verdict->manifest->public_key : trusted_public_hex;
  if (sig_length != SIGNATURE_BYTES)
    problem (verdict, "the signature file has %" G_GSIZE_FORMAT " bytes, not %d: it is not "
             "an Ed25519 signature", sig_length, SIGNATURE_BYTES);
  else if (key == NULL)
    problem (verdict, "the manifest names no public key to check its signature with");
  else if (!cr_device_key_verify_bytes (key, (const guint8 *) json, json_length,
                                        (const guint8 *) signature))
    problem (verdict, "the manifest's signature does not match its content under key %s: "
             "the manifest or its signature was changed", key);
  else
    {
      verdict->signature_good = TRUE;
      checked (verdict, "manifest signature good (Ed25519, key %s)", key);
    }

  if (verdict->manifest == NULL)
    {
      problem (verdict, "%s", parse_error->message);
      return TRUE;
    }
  if (trusted_public_hex != NULL)
    {
      verdict->key_trusted = g_ascii_strcasecmp (trusted_public_hex,
                                                 verdict->manifest->public_key) == 0;
      if (verdict->key_trusted)
        checked (verdict, "the key is this recorder's device key");
      else
        problem (verdict, "the manifest is signed by key %s, not this recorder's device key "
                 "%s", verdict->manifest->public_key, trusted_public_hex);
    }

  /* The head was sealed by the key that signs the manifest. */
  verdict->seal_good = cr_device_key_verify (verdict->manifest->public_key,
                                             verdict->manifest->chain_head,
                                             verdict->manifest->seal_signature);
  if (verdict->seal_good)
    checked (verdict, "chain head %s sealed by the same key", verdict->manifest->chain_head);
  else
    problem (verdict, "the seal signature quoted does not sign chain head %s under key %s",
             verdict->manifest->chain_head, verdict->manifest->public_key);

  check_file (copy_path, verdict);
  if (index != NULL)
    check_index (index, verdict);
  return TRUE;
}
