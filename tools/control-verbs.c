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

int
run_start (VerbCall *call)
{
  const char *case_no = verb_text (call, "case");
  const CrConfig *config;
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *reply_dir = NULL;
  int code;

  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  code = verb_post (call, "/session/start", &reply, "case", case_no,
                    "title", verb_text (call, "title"), NULL);
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
run_pause (VerbCall *call)
{
  const char *reason = verb_text (call, "reason");
  g_autoptr (JsonNode) reply = NULL;
  int code;

  code = verb_post (call, "/session/pause", &reply, "reason", reason, NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Paused session %" G_GINT64_FORMAT " (%s)\n",
          member_int (member_object (reply_status (reply), "session"), "id"),
          cr_text_shown (reason));
  return EXIT_OK;
}

int
run_resume (VerbCall *call)
{
  g_autoptr (JsonNode) reply = NULL;
  int code;

  code = verb_call_api (call, "POST", "/session/resume", NULL, &reply);
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
run_stop (VerbCall *call)
{
  const CrConfig *config;
  g_autoptr (JsonNode) reply = NULL;
  gint64 session_id;
  int code;

  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  code = verb_call_api (call, "POST", "/session/stop", NULL, &reply);
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
run_mark (VerbCall *call)
{
  g_autoptr (JsonNode) reply = NULL;
  int code;

  if (g_strstrip (call->args[0])[0] == '\0')
    return fail (EXIT_USAGE, "mark: the TEXT is empty");
  code = verb_post (call, "/session/markers", &reply, "text", call->args[0], NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Marker added (event %" G_GINT64_FORMAT ")\n",
          member_int (json_node_get_object (reply), "event_id"));
  return EXIT_OK;
}

int
run_layout (VerbCall *call)
{
  static const char *const layouts[] = { "single", "pip", "grid", "voice", "evidence", NULL };
  g_autoptr (JsonNode) reply = NULL;
  int code;

  if (!g_strv_contains (layouts, call->args[0]))
    return fail (EXIT_USAGE, "layout: unknown layout '%s': expected single, pip, grid, "
                 "voice or evidence", cr_text_shown (call->args[0]));
  code = verb_post (call, "/layout", &reply, "layout", call->args[0], NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Layout: %s\n", cr_text_shown (call->args[0]));
  return EXIT_OK;
}

/* --- the live broadcast ------------------------------------------------------ */

static int
list_broadcast_decisions (VerbCall *call)
{
  CrSegmentIndex *index;
  g_autoptr (GPtrArray) decisions = NULL;
  g_autoptr (GError) error = NULL;
  int code;

  index = verb_index (call, FALSE, &code);
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
run_broadcast (VerbCall *call)
{
  const char *action = call->args[0];
  const char *case_no = verb_text (call, "case");
  g_autofree char *reason = g_strdup (verb_text (call, "reason"));
  g_autoptr (JsonNode) reply = NULL;
  const CrConfig *config;
  int code;

  if (!g_str_equal (action, "approve") && !g_str_equal (action, "forbid") &&
      !g_str_equal (action, "list"))
    return fail (EXIT_USAGE, "broadcast: unknown action '%s': expected approve, forbid or list",
                 cr_text_shown (action));
  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  if (g_str_equal (action, "list"))
    return list_broadcast_decisions (call);
  if (case_no == NULL)
    return fail (EXIT_USAGE, "broadcast %s: --case CASE is required", action);
  /* The approver is the account the request is made as (COURTREC_TOKEN,
   * --token-file; the room's token is recorded as "room-token"), not a
   * name anyone can type. */
  if (verb_text (call, "by") != NULL)
    fprintf (stderr, "courtrec: broadcast %s: --by is ignored: the decision is recorded as "
             "made by the account of the API token\n", action);
  if (g_str_equal (action, "forbid") && (reason == NULL || *g_strstrip (reason) == '\0'))
    return fail (EXIT_USAGE, "broadcast forbid: --reason TEXT is required");
  code = verb_post (call, g_str_equal (action, "approve") ? "/broadcast/approve"
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
run_stream (VerbCall *call)
{
  static const char *const actions[] = { "start", "stop", "cut", "resume", NULL };
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *path = NULL;
  const char *action = call->args[0];
  const char *name = call->args[1];
  int code;

  if (!g_strv_contains (actions, action))
    return fail (EXIT_USAGE, "stream: unknown action '%s': expected start, stop, cut or resume",
                 cr_text_shown (action));
  if (g_str_equal (action, "start") && name == NULL)
    return fail (EXIT_USAGE, "stream start: which stream? Give its NAME");
  path = g_strdup_printf ("/stream/%s", action);
  code = verb_post (call, path, &reply, "name", name, NULL);
  if (code != EXIT_OK)
    return code;
  printf ("Stream %s: %s\n", name != NULL ? cr_text_shown (name) : "(all)",
          g_str_equal (action, "cut") ? "cut, the slate is on air"
          : g_str_equal (action, "resume") ? "the hearing is back on air"
          : g_str_equal (action, "start") ? "started" : "stopped");
  return EXIT_OK;
}
