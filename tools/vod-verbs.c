/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod-verbs.c: publish and withdraw, the court's publication of a
 * stopped hearing as video on demand (vod-service.h), through the room's
 * courtrecd. The redaction options are turned into the list the daemon
 * takes (tools/redaction-options.h); their times may be UTC or offsets
 * from the session's start, which the daemon resolves. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "archive/utc.h"
#include "config/text.h"
#include "tools/daemon-reply.h"
#include "tools/redaction-options.h"
#include "tools/terminal.h"
#include "tools/verbs.h"
#include "vod/publication-store.h"

/* A positive number given as a positional argument; 0 (message printed)
 * when it is not one. */
static gint64
number_argument (const char *verb, const char *what, const char *text, int *code)
{
  guint64 value = 0;

  if (text[0] == '0' || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    {
      *code = fail (EXIT_USAGE, "%s: %s '%s' is not a number (see 'courtrec %s')", verb, what,
                    cr_text_shown (text), g_str_equal (what, "SESSION") ? "sessions" : "help");
      return 0;
    }
  return (gint64) value;
}

static void
print_publication (JsonNode *reply)
{
  JsonObject *publication = member_object (json_node_get_object (reply), "publication");

  if (publication == NULL)
    return;
  printf ("Publication %" G_GINT64_FORMAT " of session %" G_GINT64_FORMAT " (case %s): %s\n",
          member_int (publication, "id"), member_int (publication, "session"),
          cr_text_shown (member_string (publication, "case") != NULL
                         ? member_string (publication, "case") : "?"),
          cr_text_shown (member_string (publication, "state") != NULL
                         ? member_string (publication, "state") : "?"));
}

int
run_publish (VerbCall *call)
{
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *redactions = NULL;
  g_autofree char *session_text = NULL;
  gint64 session_id;
  int code = EXIT_OK;

  session_id = number_argument (call->name, "SESSION", call->args[0], &code);
  if (session_id == 0)
    return code;
  redactions = redaction_options_json (call, call->name, &code);
  if (code != EXIT_OK)
    return code;
  session_text = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  code = verb_post (call, "/vod/publish", &reply, "session", session_text,
                    "title", verb_text (call, "title"), "redactions", redactions, NULL);
  if (code != EXIT_OK)
    return code;
  if (verb_flag (call, "json"))
    {
      print_json (reply);
      return EXIT_OK;
    }
  print_publication (reply);
  printf ("It is listed at /vod/ on the public listener once its copy is rendered\n");
  return EXIT_OK;
}

int
run_withdraw (VerbCall *call)
{
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *reason = g_strdup (verb_text (call, "reason"));
  g_autofree char *id_text = NULL;
  gint64 id;
  int code = EXIT_OK;

  id = number_argument (call->name, "PUBLICATION", call->args[0], &code);
  if (id == 0)
    return code;
  if (reason == NULL || *g_strstrip (reason) == '\0')
    return fail (EXIT_USAGE, "withdraw: --reason TEXT is required");
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  code = verb_post (call, "/vod/withdraw", &reply, "publication", id_text, "reason", reason,
                    NULL);
  if (code != EXIT_OK)
    return code;
  if (verb_flag (call, "json"))
    {
      print_json (reply);
      return EXIT_OK;
    }
  print_publication (reply);
  printf ("Out of the catalogue; its files are deleted\n");
  return EXIT_OK;
}

/* The publications from the index (the daemon need not run), with the
 * state the public catalogue does not show: rendering, failed, withdrawn
 * and why. */
int
run_publications (VerbCall *call)
{
  CrSegmentIndex *index;
  g_autoptr (GPtrArray) publications = NULL;
  g_autoptr (GError) error = NULL;
  int code;

  index = verb_index (call, FALSE, &code);
  if (index == NULL)
    return code;
  publications = cr_publication_store_list (index, -1, &error);
  if (publications == NULL)
    return fail (EXIT_RUNTIME, "cannot read the index %s: %s",
                 cr_text_shown (call->index_path), error->message);

  if (verb_flag (call, "json"))
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < publications->len; i++)
        {
          CrPublicationRecord *publication = publications->pdata[i];
          g_autofree char *created = cr_format_utc (publication->created_us);
          g_autofree char *ready = publication->ready_us > 0
                                   ? cr_format_utc (publication->ready_us) : NULL;
          g_autofree char *withdrawn = publication->withdrawn_us > 0
                                       ? cr_format_utc (publication->withdrawn_us) : NULL;
          JsonNode *redactions = json_from_string (publication->redactions, NULL);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_int_value (builder, publication->id);
          json_builder_set_member_name (builder, "session");
          json_builder_add_int_value (builder, publication->session_id);
          add_string_or_null (builder, "title", publication->title);
          add_string_or_null (builder, "state",
                              cr_publication_state_to_string (publication->state));
          add_string_or_null (builder, "published_by", publication->published_by);
          add_string_or_null (builder, "created", created);
          add_string_or_null (builder, "ready", ready);
          add_string_or_null (builder, "sha256", publication->sha256);
          add_string_or_null (builder, "withdrawn", withdrawn);
          add_string_or_null (builder, "withdrawn_by", publication->withdrawn_by);
          add_string_or_null (builder, "reason", publication->reason);
          json_builder_set_member_name (builder, "redactions");
          json_builder_add_value (builder, redactions != NULL ? redactions
                                                              : json_node_new (JSON_NODE_NULL));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_OK;
    }

  if (publications->len == 0)
    {
      printf ("No publications in room %s\n", cr_text_shown (call->config->room_id));
      return EXIT_OK;
    }
  {
    g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    g_ptr_array_add (rows, g_strsplit ("ID SESSION STATE BY CREATED READY REASON", " ", -1));
    for (guint i = 0; i < publications->len; i++)
      {
        CrPublicationRecord *publication = publications->pdata[i];
        char **row = g_new0 (char *, 8);

        row[0] = g_strdup_printf ("%" G_GINT64_FORMAT, publication->id);
        row[1] = g_strdup_printf ("%" G_GINT64_FORMAT, publication->session_id);
        row[2] = g_strdup (cr_publication_state_to_string (publication->state));
        row[3] = g_strdup (publication->published_by != NULL
                           ? cr_text_shown (publication->published_by) : "-");
        row[4] = format_time_or_dash (publication->created_us);
        row[5] = format_time_or_dash (publication->ready_us);
        row[6] = g_strdup (publication->reason != NULL ? cr_text_shown (publication->reason)
                                                       : "-");
        g_ptr_array_add (rows, row);
      }
    print_table (rows);
  }
  return EXIT_OK;
}
