/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-verbs.c: `courtrec access request|grant|refuse|revoke|list|slip`,
 * litigants' access to the recordings of their case, through the room's
 * courtrecd (only it writes the index). `access log` is copy-verbs.c's.
 *
 * Redactions are given as the contract's short forms
 * (tools/redaction-options.h); the daemon resolves their offsets per
 * session. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/utc.h"
#include "config/text.h"
#include "tools/daemon-client.h"
#include "tools/daemon-reply.h"
#include "tools/redaction-options.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

#define SLIP_TIMEOUT_SECONDS 15

static char *
read_identity_stdin (void)
{
  char line[256];

  if (fgets (line, sizeof line, stdin) == NULL)
    return NULL;
  return g_strstrip (g_strdup (line));
}

static int
access_request (VerbCall *call)
{
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *identity = NULL;
  const char *typed = verb_text (call, "id-number");
  int code;

  if (verb_text (call, "case") == NULL)
    return fail (EXIT_USAGE, "access request: --case CASE is required");
  if (verb_text (call, "name") == NULL)
    return fail (EXIT_USAGE, "access request: --name NAME (the requester) is required");
  if (verb_text (call, "role") == NULL)
    return fail (EXIT_USAGE, "access request: --role ROLE is required (party, agent, "
                 "defence, victim or media)");
  if (typed != NULL && verb_flag (call, "id-number-stdin"))
    return fail (EXIT_USAGE, "access request: give --id-number or --id-number-stdin, not both");
  /* From stdin, the number is in no process list or shell history. */
  identity = verb_flag (call, "id-number-stdin") ? read_identity_stdin () : g_strdup (typed);
  if (identity == NULL || *identity == '\0')
    return fail (EXIT_USAGE, "access request: --id-number-stdin (or --id-number N) is "
                 "required: the requester's identity number, kept only as a keyed hash");
  code = verb_post (call, "/access/request", &reply, "case", verb_text (call, "case"),
                    "requester", verb_text (call, "name"), "role", verb_text (call, "role"),
                    "identity", identity, "sessions", verb_text (call, "sessions"),
                    "from", verb_text (call, "from"), "to", verb_text (call, "to"),
                    "purpose", verb_text (call, "purpose"),
                    "contact", verb_text (call, "contact"), NULL);
  memset (identity, 0, strlen (identity));
  if (code != EXIT_OK)
    return code;
  printf ("Request R%" G_GINT64_FORMAT " entered for case %s; an approver decides it "
          "(courtrec access grant|refuse --request %" G_GINT64_FORMAT ")\n",
          member_int (json_node_get_object (reply), "request"),
          cr_text_shown (verb_text (call, "case")),
          member_int (json_node_get_object (reply), "request"));
  return EXIT_OK;
}

static gboolean
write_private (const char *path, const char *text, int *code)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      *code = fail (EXIT_RUNTIME, "Cannot write %s: %s", cr_text_shown (path), error->message);
      return FALSE;
    }
  return TRUE;
}

static int
access_grant (VerbCall *call)
{
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *redactions = NULL;
  const char *slip = verb_text (call, "slip");
  JsonObject *object;
  int code;

  if (verb_text (call, "request") == NULL)
    return fail (EXIT_USAGE, "access grant: --request ID is required");
  if (verb_text (call, "mode") == NULL)
    return fail (EXIT_USAGE, "access grant: --mode review|copy is required");
  redactions = redaction_options_json (call, "access grant", &code);
  if (code != EXIT_OK)
    return code;
  code = verb_post (call, "/access/grant", &reply, "request", verb_text (call, "request"),
                    "mode", verb_text (call, "mode"), "days", verb_text (call, "days"),
                    "expires", verb_text (call, "expires"),
                    "sessions", verb_text (call, "sessions"), "redactions", redactions, NULL);
  if (code != EXIT_OK)
    return code;
  object = json_node_get_object (reply);
  if (slip != NULL && !write_private (slip, member_string (object, "slip_html"), &code))
    fprintf (stderr, "courtrec: access grant: the slip was not written; the code below is "
             "shown this once\n");
  if (verb_flag (call, "json"))
    {
      json_object_remove_member (object, "slip_html");
      print_json (reply);
      return code;
    }
  printf ("Grant G%" G_GINT64_FORMAT " for request R%" G_GINT64_FORMAT " (%s), until %s\n",
          member_int (object, "grant"), member_int (object, "request"),
          cr_text_shown (verb_text (call, "mode")),
          cr_text_shown (member_string (object, "expires")));
  printf ("Access code (shown this once, give it to the requester): %s\n",
          cr_text_shown (member_string (object, "code")));
  if (slip != NULL && code == EXIT_OK)
    printf ("Slip: %s\n", cr_text_shown (slip));
  return code;
}

static int
access_refuse_or_revoke (VerbCall *call, gboolean revoke)
{
  const char *what = revoke ? "grant" : "request";
  const char *id = verb_text (call, what);
  g_autofree char *reason = g_strdup (verb_text (call, "reason"));
  g_autoptr (JsonNode) reply = NULL;
  int code;

  if (id == NULL)
    return fail (EXIT_USAGE, "access %s: --%s ID is required", call->args[0], what);
  if (reason == NULL || *g_strstrip (reason) == '\0')
    return fail (EXIT_USAGE, "access %s: --reason TEXT is required", call->args[0]);
  code = verb_post (call, revoke ? "/access/revoke" : "/access/refuse", &reply, what, id,
                    "reason", reason, NULL);
  if (code != EXIT_OK)
    return code;
  printf ("%s %s%" G_GINT64_FORMAT " %s\n", revoke ? "Grant" : "Request", revoke ? "G" : "R",
          member_int (json_node_get_object (reply), what), revoke ? "revoked" : "refused");
  return EXIT_OK;
}

static int
access_list (VerbCall *call)
{
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  JsonArray *requests;
  int code;

  code = verb_call_api (call, "GET", "/access/requests", NULL, &reply);
  if (code != EXIT_OK)
    return code;
  if (verb_flag (call, "json"))
    {
      print_json (reply);
      return EXIT_OK;
    }
  requests = member_array (json_node_get_object (reply), "requests");
  if (requests == NULL || json_array_get_length (requests) == 0)
    {
      printf ("No access requests\n");
      return EXIT_OK;
    }
  g_ptr_array_add (rows, g_strsplit ("REQUEST STATE CASE REQUESTER ROLE SESSIONS GRANT MODE "
                                     "GRANT-STATE EXPIRES", " ", -1));
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *request = element_object (requests, i);
      JsonObject *grant = member_object (request, "grant");
      const char *state = member_string (request, "state");
      char **row = g_new0 (char *, 11);

      if (verb_flag (call, "pending") && g_strcmp0 (state, "pending") != 0)
        {
          g_free (row);
          continue;
        }
      row[0] = g_strdup_printf ("R%" G_GINT64_FORMAT, member_int (request, "id"));
      row[1] = g_strdup (cr_text_shown (state != NULL ? state : "?"));
      row[2] = g_strdup (cr_text_shown (member_string (request, "case")));
      row[3] = g_strdup (cr_text_shown (member_string (request, "requester")));
      row[4] = g_strdup (cr_text_shown (member_string (request, "role")));
      row[5] = g_strdup (cr_text_shown (member_string (request, "sessions")));
      row[6] = grant != NULL ? g_strdup_printf ("G%" G_GINT64_FORMAT, member_int (grant, "id"))
                             : g_strdup ("-");
      row[7] = g_strdup (grant != NULL ? cr_text_shown (member_string (grant, "mode")) : "-");
      row[8] = g_strdup (grant != NULL ? cr_text_shown (member_string (grant, "state")) : "-");
      row[9] = g_strdup (grant != NULL ? cr_text_shown (member_string (grant, "expires")) : "-");
      g_ptr_array_add (rows, row);
    }
  print_table (rows);
  return EXIT_OK;
}

/* The slip again, without its code (shown once, at the grant). */
static int
access_slip (VerbCall *call)
{
  const char *grant = verb_text (call, "grant");
  const char *output = verb_text (call, "output");
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *html = NULL;
  const CrConfig *config;
  guint64 id;
  int code;

  if (grant == NULL)
    return fail (EXIT_USAGE, "access slip: --grant ID is required");
  if (!g_ascii_string_to_unsigned (grant[0] == 'G' || grant[0] == 'g' ? grant + 1 : grant, 10,
                                   1, G_MAXINT64, &id, NULL))
    return fail (EXIT_USAGE, "access slip: --grant \"%s\": expected a grant number like G12",
                 cr_text_shown (grant));
  config = verb_config (call, &code);
  if (config == NULL)
    return code;
  path = g_strdup_printf ("/access/slip/%" G_GUINT64_FORMAT, id);
  message = api_request_new (config, "GET", path, NULL, &error);
  if (message == NULL)
    return fail (EXIT_RUNTIME, "room %s: %s", cr_text_shown (config->room_id), error->message);
  session = api_session_new (SLIP_TIMEOUT_SECONDS, 0);
  body = soup_session_send_and_read (session, message, NULL, &error);
  if (body == NULL)
    return fail (EXIT_RUNTIME, "courtrecd for room %s is not answering: %s",
                 cr_text_shown (config->room_id), error->message);
  html = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (soup_message_get_status (message) != SOUP_STATUS_OK)
    {
      g_autoptr (JsonNode) root = api_reply_json (body);
      JsonObject *err = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                          ? member_object (json_node_get_object (root), "error") : NULL;
      const char *says = err != NULL ? member_string (err, "message") : NULL;

      return fail (soup_message_get_status (message) == SOUP_STATUS_NOT_FOUND ||
                   soup_message_get_status (message) == SOUP_STATUS_BAD_REQUEST
                     ? EXIT_USAGE : EXIT_RUNTIME,
                   "access slip: courtrecd answered %u: %s", soup_message_get_status (message),
                   cr_text_shown (says != NULL ? says : "no slip"));
    }
  if (output == NULL)
    {
      fwrite (html, 1, strlen (html), stdout);
      return EXIT_OK;
    }
  if (!write_private (output, html, &code))
    return code;
  printf ("Slip of G%" G_GUINT64_FORMAT " (without its code) written to %s\n", id,
          cr_text_shown (output));
  return EXIT_OK;
}

int
run_access (VerbCall *call)
{
  const char *action = call->args[0];

  if (g_str_equal (action, "request"))
    return access_request (call);
  if (g_str_equal (action, "grant"))
    return access_grant (call);
  if (g_str_equal (action, "refuse"))
    return access_refuse_or_revoke (call, FALSE);
  if (g_str_equal (action, "revoke"))
    return access_refuse_or_revoke (call, TRUE);
  if (g_str_equal (action, "list"))
    return access_list (call);
  if (g_str_equal (action, "slip"))
    return access_slip (call);
  return fail (EXIT_USAGE, "access: unknown action '%s': expected request, grant, refuse, "
               "revoke, list, slip or log", cr_text_shown (action));
}
