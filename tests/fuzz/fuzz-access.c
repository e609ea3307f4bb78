/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-access.c: what an approver, a clerk or a party types for litigant
 * access, on any bytes: a grant's redaction list (cr_redaction_list_normalize
 * as a grant reads it: for a room with one microphone and a 1280x720
 * picture, no one session's start), an access code as typed
 * (cr_access_code_normalize) and an identity number
 * (cr_access_identity_normalize). Beyond what ASan and UBSan catch, it
 * checks:
 *   - a list or an error, never both, never neither; the error
 *     G_IO_ERROR_INVALID_DATA with a UTF-8 message; a list is a JSON
 *     array of objects each of a known kind with a reason and a "by", a
 *     span both UTC or both offsets with from before to, and checking it
 *     again gives it back (a fixed point);
 *   - a normalized code is 26 characters of Crockford's base32, and
 *     normalizes to itself;
 *   - a normalized identity number is 4 to 40 upper-case letters and
 *     digits. */
#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <string.h>

#include "access/access-code.h"
#include "archive/redaction-list.h"
#include "archive/utc.h"
#include "config/config.h"
#include "tests/fuzz/fuzz-log.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static CrInputConfig microphone = { .name = (char *) "judge", .label = (char *) "审判长" };
static CrRedactionScope scope = { .start_us = CR_REDACTION_NO_START, .width = 1280,
                                  .height = 720, .by = "fuzzer" };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  GPtrArray *microphones = g_ptr_array_new ();

  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  g_ptr_array_add (microphones, &microphone);
  scope.microphones = microphones;
  return 0;
}

/* Both UTC or both offsets, from before to. */
static void
check_span (JsonObject *object)
{
  const char *from = json_object_get_string_member_with_default (object, "from", "");
  const char *to = json_object_get_string_member_with_default (object, "to", "");
  gint64 from_us = 0, to_us = 0;
  gboolean utc = cr_parse_utc (from, &from_us);

  CHECK (utc ? cr_parse_utc (to, &to_us)
             : cr_redaction_offset (from, &from_us) && cr_redaction_offset (to, &to_us),
         "both UTC or both offsets: %s, %s", from, to);
  CHECK (from_us < to_us, "from before to");
}

static void
check_redactions (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) again_error = NULL;
  g_autofree char *list = cr_redaction_list_normalize (text, &scope, &error);
  g_autofree char *again = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *array;

  CHECK ((list == NULL) != (error == NULL), "a list or an error");
  if (list == NULL)
    {
      CHECK (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA), "refused as invalid");
      CHECK (g_utf8_validate (error->message, -1, NULL), "a UTF-8 message");
      return;
    }
  CHECK (json_parser_load_from_data (parser, list, -1, NULL), "the list is JSON");
  CHECK (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)), "an array");
  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      const char *kind = json_object_get_string_member_with_default (object, "kind", "");

      CHECK (g_str_equal (kind, "mute") || g_str_equal (kind, "blur") ||
               g_str_equal (kind, "cut"), "a known kind");
      CHECK (json_object_get_string_member_with_default (object, "reason", NULL) != NULL,
             "a reason");
      CHECK (json_object_get_string_member_with_default (object, "by", NULL) != NULL, "a by");
      check_span (object);
    }
  scope.by = "someone else";
  again = cr_redaction_list_normalize (list, &scope, &again_error);
  scope.by = "fuzzer";
  CHECK (again != NULL && g_str_equal (again, list), "a fixed point");
}

static void
check_code (const char *text)
{
  g_autofree char *code = cr_access_code_normalize (text);
  g_autofree char *again = NULL;

  if (code == NULL)
    return;
  CHECK (strlen (code) == CR_ACCESS_CODE_CHARS &&
           strspn (code, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == CR_ACCESS_CODE_CHARS,
         "26 characters of base32");
  again = cr_access_code_normalize (code);
  CHECK (again != NULL && g_str_equal (again, code), "a code normalizes to itself");
}

static void
check_identity (const char *text)
{
  g_autofree char *id = cr_access_identity_normalize (text);
  gsize length;

  if (id == NULL)
    return;
  length = strlen (id);
  CHECK (length >= 4 && length <= 40 &&
           strspn (id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == length,
         "letters and digits");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);

  /* As the API hands it over: a string, cut at its first NUL. */
  if (!g_utf8_validate (text, -1, NULL))
    return 0;
  check_redactions (text);
  check_code (text);
  check_identity (text);
  return 0;
}
