/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-vod.c: see api-vod.h. */
#include "recorder/api-vod.h"

#include <libsoup/soup.h>

#include "config/text.h"
#include "vod/vod-service.h"

/* A number as the API takes it: digits only, positive; else 0. */
static gint64
parse_id (const char *text)
{
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL) ||
      text[0] == '0' || text[0] == '+')
    return 0;
  return (gint64) value;
}

static CrVodService *
service (CrRecorder *recorder, GError **error)
{
  CrVodService *svc = cr_recorder_get_vod_service (recorder);

  if (svc == NULL)
    g_set_error_literal (error, CR_VOD_ERROR, CR_VOD_ERROR_FAILED,
                         "Publication is not available on this recorder (see its log)");
  return svc;
}

static JsonNode *
reply (CrVodService *svc, gint64 id, GError **error)
{
  JsonNode *description = cr_vod_service_describe (svc, id, error);
  JsonObject *object;
  JsonNode *node;

  if (description == NULL)
    return NULL;
  object = json_object_new ();
  json_object_set_member (object, "publication", description);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

JsonNode *
cr_api_vod_publish (CrRecorder *recorder, const CrPrincipal *principal, GHashTable *fields,
                    GError **error)
{
  const char *session_text = g_hash_table_lookup (fields, "session");
  gint64 session_id = parse_id (session_text);
  CrVodService *svc = service (recorder, error);
  gint64 id;

  if (svc == NULL)
    return NULL;
  if (session_id == 0)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_INVALID,
                   "Field \"session\" must be a session's number, not \"%s\"",
                   cr_text_shown (session_text));
      return NULL;
    }
  id = cr_vod_service_publish (svc, session_id, g_hash_table_lookup (fields, "title"),
                               g_hash_table_lookup (fields, "redactions"),
                               cr_principal_actor (principal), error);
  if (id == 0)
    return NULL;
  return reply (svc, id, error);
}

JsonNode *
cr_api_vod_withdraw (CrRecorder *recorder, const CrPrincipal *principal, GHashTable *fields,
                     GError **error)
{
  const char *id_text = g_hash_table_lookup (fields, "publication");
  gint64 id = parse_id (id_text);
  CrVodService *svc = service (recorder, error);

  if (svc == NULL)
    return NULL;
  if (id == 0)
    {
      g_set_error (error, CR_VOD_ERROR, CR_VOD_ERROR_INVALID,
                   "Field \"publication\" must be a publication's number, not \"%s\"",
                   cr_text_shown (id_text));
      return NULL;
    }
  if (!cr_vod_service_withdraw (svc, id, g_hash_table_lookup (fields, "reason"),
                                cr_principal_actor (principal), error))
    return NULL;
  return reply (svc, id, error);
}

guint
cr_api_vod_error_status (const GError *error, const char **code)
{
  switch (error->code)
    {
    case CR_VOD_ERROR_INVALID:
      *code = "invalid";
      return SOUP_STATUS_BAD_REQUEST;
    case CR_VOD_ERROR_NOT_FOUND:
      *code = "not-found";
      return SOUP_STATUS_NOT_FOUND;
    case CR_VOD_ERROR_STATE:
      *code = "conflict";
      return SOUP_STATUS_CONFLICT;
    default:
      *code = "failed";
      return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
}
