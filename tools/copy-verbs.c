/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-verbs.c: the verbs about what left the archive for a party or the
 * public: verify-copy, which proves a derived copy came intact from a
 * sealed recording and says for whom it was made, and `access log`, the
 * case's audit trail of requests, grants, views and downloads. Both read
 * the index directly, like the other archive verbs.
 *
 * `access log` is one row of its own in the verb table, named "access
 * log"; courtrec.c sends `courtrec access log ...` to it and every other
 * `courtrec access ...` to the "access" row (tools/access-verbs.c). */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/access-audit.h"
#include "archive/chain.h"
#include "archive/copy-manifest.h"
#include "archive/device-key.h"
#include "archive/segment-index.h"
#include "config/config.h"
#include "config/small-file.h"
#include "config/text.h"
#include "tools/index-access.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

/* Outside text (the manifest's, the index's) for the terminal. */
static char *
shown (const char *text)
{
  return text != NULL ? cr_text_escape (text, -1, NOTE_MAX_CHARS) : g_strdup ("-");
}

static void
print_field (const char *label, const char *value)
{
  g_autofree char *text = shown (value);
  printf ("  %-14s %s\n", label, text);
}

/* -c given after the verb, as `verify-copy FILE -c CONF`, counts as the
 * global one. */
static void
take_verb_config (VerbCall *call)
{
  char **files = verb_files (call, "config");

  if (files != NULL && (config_paths == NULL || config_paths[0] == NULL))
    {
      g_strfreev (config_paths);
      config_paths = g_strdupv (files);
    }
}

/* --- verify-copy ------------------------------------------------------------ */

/* "the whole session", "from T", "from T to T". (transfer full) */
static char *
describe_span (const CrCopyManifest *m)
{
  g_autofree char *from = m->from_us != 0 ? cr_format_utc (m->from_us) : NULL;
  g_autofree char *to = m->to_us != 0 ? cr_format_utc (m->to_us) : NULL;

  if (from == NULL && to == NULL)
    return g_strdup ("the whole session");
  return g_strdup_printf ("from %s to %s", from != NULL ? from : "the session's start",
                          to != NULL ? to : "the session's end");
}

/* One redaction, "mute  track: mix; from: ...; reason: ...". (transfer full) */
static char *
describe_edit (JsonNode *node)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GList) members = NULL;
  JsonObject *edit;
  JsonNode *kind;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return json_to_string (node, FALSE);
  edit = json_node_get_object (node);
  kind = json_object_get_member (edit, "kind");
  if (kind != NULL && JSON_NODE_HOLDS_VALUE (kind) &&
      json_node_get_value_type (kind) == G_TYPE_STRING)
    g_string_append_printf (text, "%s ", json_node_get_string (kind));
  members = json_object_get_members (edit);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *member = json_object_get_member (edit, l->data);
      g_autofree char *value = NULL;

      if (member == kind)
        continue;
      value = JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING
              ? g_strdup (json_node_get_string (member)) : json_to_string (member, FALSE);
      g_string_append_printf (text, " %s: %s;", (const char *) l->data, value);
    }
  if (text->len > 0 && text->str[text->len - 1] == ';')
    g_string_truncate (text, text->len - 1);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
print_manifest (const CrCopyManifest *m, gboolean trusted)
{
  g_autofree char *started = m->session_started_us != 0 ? cr_format_utc (m->session_started_us)
                                                        : NULL;
  g_autofree char *session = g_strdup_printf ("%" G_GINT64_FORMAT " (started %s)",
                                              m->session_id, started != NULL ? started : "-");
  g_autofree char *span = describe_span (m);
  g_autofree char *rendered = m->rendered_us != 0 ? cr_format_utc (m->rendered_us) : NULL;
  g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT " bytes, %.1f s", m->bytes,
                                           m->duration_us / (double) G_USEC_PER_SEC);
  g_autoptr (JsonNode) redactions = json_from_string (m->redactions, NULL);
  guint n_edits = redactions != NULL && JSON_NODE_HOLDS_ARRAY (redactions)
                  ? json_array_get_length (json_node_get_array (redactions)) : 0;

  printf ("Made for%s:\n", trusted ? "" : " (as the manifest says; its signature did not hold)");
  if (m->grant != NULL)
    {
      g_autofree char *grant = g_strdup_printf ("%" G_GINT64_FORMAT, m->grant->id);
      g_autofree char *expires = m->grant->expires_us != 0 ? cr_format_utc (m->grant->expires_us)
                                                           : NULL;
      print_field ("Grant", grant);
      print_field ("Requester", m->grant->requester);
      print_field ("Role", m->grant->role);
      print_field ("Mode", m->grant->mode);
      print_field ("Expires", expires);
      print_field ("Granted by", m->grant->granted_by);
    }
  if (m->publication != NULL)
    {
      g_autofree char *publication = g_strdup_printf ("%" G_GINT64_FORMAT " (the court's "
                                                      "portal)", m->publication->id);
      print_field ("Publication", publication);
      print_field ("Published by", m->publication->published_by);
    }
  if (m->watermark != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (m->watermark, "\n", -1);
      g_autofree char *joined = g_strjoinv (" / ", lines);
      print_field ("Watermark", joined);
    }
  else
    print_field ("Watermark", "none");
  printf ("From the recording:\n");
  print_field ("Court", m->court);
  print_field ("Room", m->room_id);
  print_field ("Case", m->case_no);
  print_field ("Session", session);
  print_field ("Chain head", m->chain_head);
  print_field ("Public key", m->public_key);
  print_field ("Span", span);
  printf ("  %-14s %u\n", "Redactions", n_edits);
  for (guint i = 0; i < n_edits; i++)
    {
      g_autofree char *edit = describe_edit (json_array_get_element (json_node_get_array
                                                                     (redactions), i));
      g_autofree char *text = shown (edit);
      printf ("    %u. %s\n", i + 1, text);
    }
  printf ("The copy:\n");
  print_field ("File", m->file_name);
  print_field ("Size", size);
  print_field ("SHA-256", m->sha256);
  print_field ("Rendered", rendered);
}

static void
print_verdict_json (const char *copy_path, const CrCopyVerdict *verdict)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json_path = cr_copy_manifest_json_path (copy_path);
  g_autofree char *json = NULL;
  JsonNode *manifest = NULL;

  if (verdict->manifest != NULL &&
      cr_small_file_read (json_path, "The copy's manifest", CR_COPY_MANIFEST_MAX_BYTES, &json,
                          NULL, NULL))
    manifest = json_from_string (json, NULL);
  json_builder_begin_object (builder);
  add_string_or_null (builder, "copy", copy_path);
  json_builder_set_member_name (builder, "intact");
  json_builder_add_boolean_value (builder, cr_copy_verdict_is_intact (verdict));
  json_builder_set_member_name (builder, "index_checked");
  json_builder_add_boolean_value (builder, verdict->index_checked);
  json_builder_set_member_name (builder, "checks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < verdict->checks->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (verdict->checks, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "problems");
  json_builder_begin_array (builder);
  for (guint i = 0; i < verdict->problems->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (verdict->problems, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "manifest");
  if (manifest != NULL)
    json_builder_add_value (builder, manifest);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  print_json (root);
}

/* The key the manifest must be signed by: --public-key, else the room's
 * device key (KEY_FILE.pub) when a config is given; NULL when neither. */
static gboolean
trusted_key (VerbCall *call, const CrConfig *config, char **key, int *exit_code)
{
  const char *given = verb_text (call, "public-key");

  *key = NULL;
  if (given != NULL)
    {
      if (!cr_chain_is_digest (given))
        {
          *exit_code = fail (EXIT_USAGE, "verify-copy: --public-key: expected 64 lowercase "
                             "hex digits, got '%s'", cr_text_shown (given));
          return FALSE;
        }
      *key = g_strdup (given);
    }
  else if (config != NULL)
    *key = cr_device_key_read_public (config->key_file, NULL);
  return TRUE;
}

/* The copy FILE names: FILE itself, or the copy beside it when FILE is
 * its manifest or its signature (what a party may well give). (transfer full) */
static char *
copy_named (const char *file)
{
  const char *suffixes[] = { ".manifest.json", ".manifest.sig" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (file, suffixes[i]) && !g_file_test (file, G_FILE_TEST_IS_DIR))
      {
        g_autofree char *copy = g_strndup (file, strlen (file) - strlen (suffixes[i]));
        if (g_file_test (copy, G_FILE_TEST_IS_REGULAR))
          return g_steal_pointer (&copy);
      }
  return g_strdup (file);
}

int
run_verify_copy (VerbCall *call)
{
  g_autofree char *copy_path = copy_named (call->args[0]);
  g_autofree char *trusted = NULL;
  g_autofree char *copy_shown = NULL;
  const CrConfig *config = NULL;
  CrSegmentIndex *index = NULL;
  g_auto (CrCopyVerdict) verdict = { 0 };
  g_autoptr (GError) error = NULL;
  int code = EXIT_OK;

  take_verb_config (call);
  if (config_paths != NULL && config_paths[0] != NULL)
    {
      config = verb_config (call, &code);
      if (config == NULL)
        return code;
      index = verb_index (call, FALSE, &code);
      if (index == NULL)
        return code;
    }
  if (!trusted_key (call, config, &trusted, &code))
    return code;

  copy_shown = shown_path (copy_path);
  if (!cr_copy_manifest_verify (copy_path, index, trusted, &verdict, &error))
    return fail (EXIT_USAGE, "verify-copy: %s", error->message);

  if (verb_flag (call, "json"))
    {
      print_verdict_json (copy_path, &verdict);
      return cr_copy_verdict_is_intact (&verdict) ? EXIT_OK : EXIT_RUNTIME;
    }

  printf ("Copy %s\n", copy_shown);
  if (verdict.manifest != NULL)
    print_manifest (verdict.manifest, verdict.signature_good);
  printf ("Checked:\n");
  for (guint i = 0; i < verdict.checks->len; i++)
    {
      g_autofree char *text = shown (g_ptr_array_index (verdict.checks, i));
      printf ("  ok       %s\n", text);
    }
  for (guint i = 0; i < verdict.problems->len; i++)
    {
      g_autofree char *text = shown (g_ptr_array_index (verdict.problems, i));
      printf ("  PROBLEM  %s\n", text);
    }
  if (trusted == NULL)
    printf ("note: no trusted key given (-c FILE or --public-key HEX): the manifest's own key "
            "was used; compare it with the court's published device key\n");
  if (index == NULL)
    printf ("note: not compared with the room's index (give -c FILE on the recorder)\n");
  if (cr_copy_verdict_is_intact (&verdict))
    {
      printf ("INTACT: this copy is the one the manifest describes, made from the sealed "
              "recording it names\n");
      return EXIT_OK;
    }
  printf ("NOT INTACT, %u problem%s\n", verdict.problems->len,
          verdict.problems->len == 1 ? "" : "s");
  return EXIT_RUNTIME;
}

/* --- access log ------------------------------------------------------------- */

static void
print_audit_text (GPtrArray *rows, const char *case_no)
{
  g_autoptr (GPtrArray) table = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autofree char *case_shown = shown (case_no);

  if (rows->len == 0)
    {
      printf ("No access to the recordings of case %s is recorded\n", case_shown);
      return;
    }
  g_ptr_array_add (table, g_strdupv ((char *[]) { "TIME (UTC)", "SESSION", "KIND",
                                                  "GRANT/REQUEST", "WHO/ADDRESS", "BYTES",
                                                  "DETAIL", NULL }));
  for (guint i = 0; i < rows->len; i++)
    {
      CrAccessAuditRow *row = g_ptr_array_index (rows, i);
      char **cells = g_new0 (char *, 8);

      cells[0] = cr_format_utc (row->at_us);
      cells[1] = g_strdup_printf ("%" G_GINT64_FORMAT, row->session_id);
      cells[2] = shown (row->kind_name);
      cells[3] = shown (row->subject);
      cells[4] = shown (row->who);
      cells[5] = row->bytes >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, row->bytes)
                                 : g_strdup ("-");
      cells[6] = shown (row->detail);
      g_ptr_array_add (table, cells);
    }
  print_table (table);
}

int
run_access_log (VerbCall *call)
{
  const char *case_no = verb_text (call, "case");
  gboolean csv = verb_flag (call, "csv");
  gboolean html = verb_flag (call, "html");
  gboolean json = verb_flag (call, "json");
  const CrConfig *config;
  CrSegmentIndex *index;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  int code;

  if (csv + html + json > 1)
    return fail (EXIT_USAGE, "access log: give one of --csv, --html and --json");
  take_verb_config (call);
  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  rows = cr_access_audit_collect (index, case_no, &error);
  if (rows == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                 cr_text_shown (call->index_path), error->message);

  /* The documents carry the index's text in their own syntax (quoted,
   * escaped); only the terminal's table escapes for the terminal. */
  if (csv)
    out = cr_access_audit_to_csv (rows);
  else if (html)
    out = cr_access_audit_to_html (rows, config->court, case_no);
  else if (json)
    out = cr_access_audit_to_json (rows);
  if (out != NULL)
    {
      /* CSV is quoted as RFC 4180 says (access-audit.c took out the
       * controls); the page and JSON escape in their own syntax whatever
       * a terminal would act on. */
      g_autofree char *safe = csv ? g_utf8_make_valid (out, -1) : escape_in_document (out, html);
      fputs (safe, stdout);
      if (json)
        fputc ('\n', stdout);
      return EXIT_OK;
    }
  print_audit_text (rows, case_no);
  return EXIT_OK;
}
