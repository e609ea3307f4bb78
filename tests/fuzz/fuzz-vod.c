/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-vod.c: a publication's redaction list as the approver sends it
 * (cr_redaction_list_normalize as a publication reads it), against a
 * session of an hour and a room with one microphone and a 1280x720
 * picture, on any bytes. Beyond what ASan and UBSan catch, it
 * checks:
 *   - a list or an error, never both, never neither; the error
 *     G_IO_ERROR_INVALID_DATA with a UTF-8 message;
 *   - a list is a JSON array of objects of a known kind, each with a
 *     reason and a "by", its span in UTC text, from before to, and
 *     touching the session; a mute names mix, all or the microphone; a
 *     blur has a rectangle of positive size inside the picture;
 *   - normalizing it again gives it back (a fixed point): what is stored
 *     is what the renderer and the manifest read. */
#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <string.h>

#include "archive/records.h"
#include "archive/redaction-list.h"
#include "archive/utc.h"
#include "config/config.h"
#include "tests/fuzz/fuzz-log.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static CrSessionRecord session;
static CrConfig config;
static CrRedactionScope scope;
static CrInputConfig microphone = { .name = (char *) "judge", .label = (char *) "审判长" };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  session.id = 7;
  g_assert (cr_parse_utc ("2026-11-27T02:13:25.316Z", &session.started_us));
  session.stopped_us = session.started_us + (gint64) 3600 * G_USEC_PER_SEC;
  session.state = CR_SESSION_STOPPED;
  config.microphones = g_ptr_array_new ();
  g_ptr_array_add (config.microphones, &microphone);
  config.width = 1280;
  config.height = 720;
  scope = (CrRedactionScope) { .start_us = session.started_us, .end_us = session.stopped_us,
                               .microphones = config.microphones, .width = config.width,
                               .height = config.height, .by = "fuzzer" };
  return 0;
}

static void
check_entry (JsonObject *entry)
{
  const char *kind = json_object_get_string_member_with_default (entry, "kind", "");
  const char *from = json_object_get_string_member_with_default (entry, "from", NULL);
  const char *to = json_object_get_string_member_with_default (entry, "to", NULL);
  gint64 from_us = 0, to_us = 0;

  CHECK (g_str_equal (kind, "mute") || g_str_equal (kind, "blur") || g_str_equal (kind, "cut"),
         "a known kind, not '%s'", kind);
  CHECK (json_object_get_string_member_with_default (entry, "reason", NULL) != NULL, "a reason");
  CHECK (json_object_get_string_member_with_default (entry, "by", NULL) != NULL, "a by");
  CHECK (from != NULL && to != NULL && cr_parse_utc (from, &from_us) &&
           cr_parse_utc (to, &to_us), "a span in UTC");
  CHECK (from_us < to_us, "from before to");
  CHECK (to_us > session.started_us && from_us < session.stopped_us, "touching the session");
  if (g_str_equal (kind, "mute"))
    {
      const char *track = json_object_get_string_member_with_default (entry, "track", "");
      CHECK (g_str_equal (track, "mix") || g_str_equal (track, "all") ||
               g_str_equal (track, "judge"), "a track of the room, not '%s'", track);
    }
  if (g_str_equal (kind, "blur"))
    CHECK (json_object_get_int_member_with_default (entry, "width", 0) > 0 &&
             json_object_get_int_member_with_default (entry, "height", 0) > 0 &&
             json_object_get_int_member_with_default (entry, "x", -1) >= 0 &&
             json_object_get_int_member_with_default (entry, "y", -1) >= 0 &&
             json_object_get_int_member_with_default (entry, "x", 0) +
               json_object_get_int_member_with_default (entry, "width", 0) <= config.width &&
             json_object_get_int_member_with_default (entry, "y", 0) +
               json_object_get_int_member_with_default (entry, "height", 0) <= config.height,
           "a rectangle inside the picture");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) again_error = NULL;
  g_autofree char *list = NULL;
  g_autofree char *again = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array;

  /* As the API hands it over: a UTF-8 string, cut at its first NUL. */
  if (!g_utf8_validate (text, -1, NULL))
    return 0;
  list = cr_redaction_list_normalize (text, &scope, &error);
  CHECK ((list == NULL) != (error == NULL), "a list or an error");
  if (list == NULL)
    {
      CHECK (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA), "refused as invalid");
      CHECK (g_utf8_validate (error->message, -1, NULL), "a UTF-8 message");
      return 0;
    }
  root = json_from_string (list, NULL);
  CHECK (root != NULL && JSON_NODE_HOLDS_ARRAY (root), "a JSON array");
  array = json_node_get_array (root);
  CHECK (json_array_get_length (array) <= CR_REDACTION_LIST_MAX, "at most %d entries",
         CR_REDACTION_LIST_MAX);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      CHECK (JSON_NODE_HOLDS_OBJECT (node), "objects");
      check_entry (json_node_get_object (node));
    }
  scope.by = "someone else";
  again = cr_redaction_list_normalize (list, &scope, &again_error);
  scope.by = "fuzzer";
  CHECK (again != NULL && g_str_equal (again, list), "a fixed point: %s -> %s", list,
         again != NULL ? again : again_error->message);
  return 0;
}
