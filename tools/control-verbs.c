/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* control-verbs.c: the verbs that tell the room's courtrecd what to do:
 * start, pause, resume, stop, mark, layout, and the live broadcast's
 * broadcast and stream. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/case-number.h"
#include "archive/chain.h"
#include "archive/segment-index.h"
#include "config/config.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/daemon-reply.h"
#include "tools/index-access.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

static const char *const pause_reasons[] = {
  "recess", "non-public-evidence", "mediation", "other", NULL
};

static gboolean
is_pause_reason (const char *reason)
{
  return g_strv_contains (pause_reasons, reason);
}

int
run_start (const char *verb, int argc, char **argv)
{
  g_autofree char *case_arg = NULL;
  g_autofree char *title = NULL;
  g_autofree char *case_no = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *reply_dir = NULL;
  int code;
  GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_FILENAME, &case_arg,
      "The case number (案号), e.g. （2026）浙1022民初123号", "CASE" },
    { "title", 0, 0, G_OPTION_ARG_FILENAME, &title, "A title for the hearing", "T" },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL, "Starts recording a hearing of a case.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (case_arg == NULL)
    return fail (EXIT_USAGE, "start: --case CASE is required");
  /* Refuse a malformed number here, with the reason, before anything is
   * sent: the daemon would refuse it too, with less to go on. */
  case_no = cr_case_number_canonicalize (case_arg, &error);
  if (case_no == NULL)
    return fail (EXIT_USAGE, "start: --case: %s", error->message);

  config = load_config (&code);
  if (config == NULL)
    return code;

  code = post_fields (config, "/session/start", &reply, "case", case_no, "title", title, NULL);
  if (code != EXIT_OK)
    return code;

  reply_dir = shown_path (member_string (reply_status (reply), "storage_dir") != NULL
                          ? member_string (reply_status (reply), "storage_dir")
                          : config->storage_dir);
  printf ("Recording session %" G_GINT64_FORMAT " of case %s in room %s\n",
          member_int (json_node_get_object (reply), "session_id"), cr_text_shown (case_no),
          cr_text_shown (config->room_id));
  printf ("Storage directory: %s\n", reply_dir);
  return EXIT_OK;
}

int
run_pause (const char *verb, int argc, char **argv)
{
  g_autofree char *reason = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *reasons = g_strjoinv (", ", (char **) pause_reasons);
  int code;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_FILENAME, &reason,
      "recess, non-public-evidence, mediation or other", "R" },
    { NULL }
  };

  if (!parse_verb_options (verb, NULL, "Pauses the recording, for a reason.",
                           entries, argc, argv, 0, 0, NULL, &code))
    return code;
  if (reason == NULL)
    return fail (EXIT_USAGE, "pause: --reason R is required (one of %s)", reasons);
  if (!is_pause_reason (reason))
    return fail (EXIT_USAGE, "pause: unknown reason '%s'; expected one of %s",
                 cr_text_shown (reason), reasons);

  config = load_config (&code);
  if (config == NULL)
    return code;

  code = post_fields (config, "/session/pause", &reply, "reason", reason, NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Paused session %" G_GINT64_FORMAT " (%s)\n",
          member_int (member_object (reply_status (reply), "session"), "id"),
          cr_text_shown (reason));
  return EXIT_OK;
}

int
run_resume (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  int code;

  if (!parse_verb_options (verb, NULL, "Resumes a paused recording.",
                           NULL, argc, argv, 0, 0, NULL, &code))
    return code;
  config = load_config (&code);
  if (config == NULL)
    return code;
  code = call_api (config, "POST", "/session/resume", NULL, &reply);
  if (code != EXIT_OK)
    return code;
  printf ("Recording session %" G_GINT64_FORMAT " again\n",
          member_int (member_object (reply_status (reply), "session"), "id"));
  return EXIT_OK;
}

/* "N segments in DIR" for the session just stopped, from the index. */
static void
print_stopped_segments (const CrConfig *config, gint64 session_id)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GError) error = NULL;
  const char *dir = config->storage_dir;
  g_autofree char *where = NULL;
  g_autofree char *shown = NULL;

  index = open_index_quietly (config);
  if (index != NULL)
    segments = cr_segment_index_list_segments (index, session_id, &error);
  if (segments == NULL)
    {
      shown = shown_path (dir);
      printf ("Files are in %s\n", shown);
      return;
    }
  /* Segments of one session share a directory; name it rather than the
   * storage root so that the operator can go straight there. */
  if (segments->len > 0)
    {
      CrSegmentRecord *first = segments->pdata[0];
      g_autofree char *relative_dir = g_path_get_dirname (first->path);
      where = g_str_equal (relative_dir, ".") ? g_strdup (dir)
                                              : g_build_filename (dir, relative_dir, NULL);
    }
  else
    where = g_strdup (dir);
  shown = shown_path (where);
  printf ("%u segment%s in %s\n", segments->len, segments->len == 1 ? "" : "s", shown);
}

/* The integrity value the parties sign (SPC 2017 rules, Art. 9): from the
 * daemon's reply when it sealed the session before answering, else from the
 * index if the seal is there already. */
static void
print_chain_head (const CrConfig *config, gint64 session_id, const char *from_reply)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (CrSessionRecord) session = NULL;

  if (from_reply != NULL)
    {
      printf ("Integrity value (chain head): %s\n", cr_text_shown (from_reply));
      return;
    }
  index = open_index_quietly (config);
  /* The daemon seals the session as soon as its last segment is finished
   * and hashed: a moment after the stop. Wait for it, within reason. */
  for (guint tries = 0; index != NULL && tries < 100; tries++)
    {
      g_clear_pointer (&session, cr_session_record_free);
      session = cr_segment_index_get_session (index, session_id, NULL);
      if (session == NULL || session->chain_head != NULL)
        break;
      g_usleep (100 * 1000);
    }
  if (session != NULL && session->chain_head != NULL)
    printf ("Integrity value (chain head): %s\n", cr_text_shown (session->chain_head));
  else
    printf ("Integrity value: not sealed yet (the last segment is still being "
            "finished); 'courtrec -c FILE report --session %" G_GINT64_FORMAT
            "' shows it once sealed\n", session_id);
}

int
run_stop (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  gint64 session_id;
  int code;

  if (!parse_verb_options (verb, NULL, "Stops the recording and ends the session.",
                           NULL, argc, argv, 0, 0, NULL, &code))
    return code;
  config = load_config (&code);
  if (config == NULL)
    return code;
  code = call_api (config, "POST", "/session/stop", NULL, &reply);
  if (code != EXIT_OK)
    return code;

  session_id = member_int (json_node_get_object (reply), "session_id");
  if (session_id <= 0)
    {
      printf ("Nothing was recording\n");
      return EXIT_OK;
    }
  printf ("Stopped session %" G_GINT64_FORMAT "\n", session_id);
  print_stopped_segments (config, session_id);
  {
    /* No promise of a seal that cannot come: the daemon's alarm says why. */
    JsonObject *status = member_object (json_node_get_object (reply), "status");
    JsonNode *alarms = status != NULL ? json_object_get_member (status, "alarms") : NULL;
    JsonArray *list = alarms != NULL && JSON_NODE_HOLDS_ARRAY (alarms)
                        ? json_node_get_array (alarms) : NULL;
    for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
      {
        JsonNode *element = json_array_get_element (list, i);
        JsonObject *alarm = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element)
                                                             : NULL;
        if (g_strcmp0 (member_string (alarm, "alarm"), "seal-unavailable") == 0)
          {
            printf ("NOT SEALED: the device key cannot be used: %s\nOnce it can, "
                    "courtrecd seals the session within a minute; or seal it then with "
                    "courtrec seal --session %" G_GINT64_FORMAT "\n",
                    cr_text_shown (member_string (alarm, "message")), session_id);
            return EXIT_OK;
          }
      }
  }
  print_chain_head (config, session_id,
                    member_string (json_node_get_object (reply), "chain_head"));
  return EXIT_OK;
}

int
run_mark (const char *verb, int argc, char **argv)
{
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_auto (GStrv) positional = NULL;
  int code;

  if (!parse_verb_options (verb, "TEXT", "Adds a timestamped note to the session.",
                           NULL, argc, argv, 1, 1, &positional, &code))
    return code;
  if (g_strstrip (positional[0])[0] == '\0')
    return fail (EXIT_USAGE, "mark: the TEXT is empty");
  config = load_config (&code);
  if (config == NULL)
    return code;

  code = post_fields (config, "/session/markers", &reply, "text", positional[0], NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Marker added (event %" G_GINT64_FORMAT ")\n",
          member_int (json_node_get_object (reply), "event_id"));
  return EXIT_OK;
}

int
run_layout (const char *verb, int argc, char **argv)
{
  static const char *const layouts[] = { "single", "pip", "grid", "voice", "evidence", NULL };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_auto (GStrv) positional = NULL;
  int code;

  if (!parse_verb_options (verb, "NAME", "Switches the composed picture's layout: single, "
                           "pip, grid, voice (follows the loudest microphone) or evidence "
                           "(the evidence camera full screen).",
                           NULL, argc, argv, 1, 1, &positional, &code))
    return code;
  if (!g_strv_contains (layouts, positional[0]))
    return fail (EXIT_USAGE, "layout: unknown layout '%s': expected single, pip, grid, "
                 "voice or evidence", cr_text_shown (positional[0]));
  config = load_config (&code);
  if (config == NULL)
    return code;
  code = post_fields (config, "/layout", &reply, "layout", positional[0], NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Layout: %s\n", cr_text_shown (positional[0]));
  return EXIT_OK;
}

/* --- the live broadcast ------------------------------------------------------ */

static int
list_broadcast_decisions (const CrConfig *config)
{
  g_autoptr (CrSegmentIndex) index = NULL;
  g_autoptr (GPtrArray) decisions = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *index_path = NULL;
  int code;

  index = open_index (config, FALSE, &index_path, &code);
  if (index == NULL)
    return code;
  decisions = cr_segment_index_list_broadcast_decisions (index, &error);
  if (decisions == NULL)
    return fail (EXIT_RUNTIME, "broadcast: %s", error->message);
  if (decisions->len == 0)
    printf ("No broadcast decisions yet\n");
  for (guint i = 0; i < decisions->len; i++)
    {
      CrBroadcastRecord *record = g_ptr_array_index (decisions, i);
      g_autofree char *at = cr_format_utc (record->at_us);
      printf ("%s  %-10s %s%s%s%s%s\n", at, cr_broadcast_decision_to_string (record->decision),
              cr_text_shown (record->case_no), record->by ? "  by " : "",
              record->by ? cr_text_shown (record->by) : "",
              record->reason ? "  reason: " : "",
              record->reason ? cr_text_shown (record->reason) : "");
    }
  return EXIT_OK;
}

int
run_broadcast (const char *verb, int argc, char **argv)
{
  g_autofree char *case_arg = NULL;
  g_autofree char *by = NULL;
  g_autofree char *reason = NULL;
  GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_FILENAME, &case_arg, "The case, in any typing", "CASE" },
    { "by", 0, 0, G_OPTION_ARG_FILENAME, &by,
      "Ignored, for older scripts: who decides is the token's account", "NAME" },
    { "reason", 0, 0, G_OPTION_ARG_FILENAME, &reason, "Why it is non-public (required to forbid)", "TEXT" },
    { NULL }
  };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_auto (GStrv) positional = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *case_no = NULL;
  const char *action;
  int code;

  if (!parse_verb_options (verb, "approve|forbid|list", "The court's broadcast decisions: "
                           "approve a case for live broadcast (once), or forbid it (a "
                           "non-public case: no stream of it can ever start).",
                           entries, argc, argv, 1, 1, &positional, &code))
    return code;
  action = positional[0];
  if (!g_str_equal (action, "approve") && !g_str_equal (action, "forbid") &&
      !g_str_equal (action, "list"))
    return fail (EXIT_USAGE, "broadcast: unknown action '%s': expected approve, forbid or list",
                 cr_text_shown (action));
  config = load_config (&code);
  if (config == NULL)
    return code;
  if (g_str_equal (action, "list"))
    return list_broadcast_decisions (config);
  if (case_arg == NULL)
    return fail (EXIT_USAGE, "broadcast %s: --case CASE is required", action);
  case_no = cr_case_number_canonicalize (case_arg, &error);
  if (case_no == NULL)
    return fail (EXIT_USAGE, "broadcast %s: --case: %s", action, error->message);
  /* The approver is the account the request is made as (COURTREC_TOKEN,
   * --token-file; the room's token is recorded as "room-token"), not a
   * name anyone can type. */
  if (by != NULL)
    fprintf (stderr, "courtrec: broadcast %s: --by is ignored: the decision is recorded as "
             "made by the account of the API token\n", action);
  if (g_str_equal (action, "forbid") && (reason == NULL || *g_strstrip (reason) == '\0'))
    return fail (EXIT_USAGE, "broadcast forbid: --reason TEXT is required");
  code = post_fields (config, g_str_equal (action, "approve") ? "/broadcast/approve"
                                                             : "/broadcast/forbid",
                      &reply, "case", case_no, "reason", reason, NULL);
  if (code != EXIT_OK)
    return code;
  if (g_str_equal (action, "approve"))
    printf ("Case %s approved for live broadcast by %s\n", cr_text_shown (case_no),
            cr_text_shown (member_string (json_node_get_object (reply), "by") != NULL
                           ? member_string (json_node_get_object (reply), "by") : "?"));
  else
    printf ("Case %s is non-public: no stream of it can start\n", cr_text_shown (case_no));
  return EXIT_OK;
}

int
run_stream (const char *verb, int argc, char **argv)
{
  static const char *const actions[] = { "start", "stop", "cut", "resume", NULL };
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_auto (GStrv) positional = NULL;
  g_autofree char *path = NULL;
  const char *action, *name;
  int code;

  if (!parse_verb_options (verb, "start|stop|cut|resume [NAME]", "Controls the live "
                           "streams: cut puts the \"庭审直播暂停 / broadcast paused\" slate "
                           "and silence on the public stream at once while the recording "
                           "goes on; resume brings the hearing back. Without NAME: every "
                           "stream (start needs a NAME).",
                           NULL, argc, argv, 1, 2, &positional, &code))
    return code;
  action = positional[0];
  name = positional[1];
  if (!g_strv_contains (actions, action))
    return fail (EXIT_USAGE, "stream: unknown action '%s': expected start, stop, cut or resume",
                 cr_text_shown (action));
  if (g_str_equal (action, "start") && name == NULL)
    return fail (EXIT_USAGE, "stream start: which stream? Give its NAME");
  config = load_config (&code);
  if (config == NULL)
    return code;
  path = g_strdup_printf ("/stream/%s", action);
  code = post_fields (config, path, &reply, "name", name, NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Stream %s: %s\n", name != NULL ? cr_text_shown (name) : "(all)",
          g_str_equal (action, "cut") ? "cut, the slate is on air"
          : g_str_equal (action, "resume") ? "the hearing is back on air"
          : g_str_equal (action, "start") ? "started" : "stopped");
  return EXIT_OK;
}
