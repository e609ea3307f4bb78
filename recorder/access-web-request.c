/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-web-request.c: the public request form: a request from the public,
 * waiting for an approver; its answer says nothing of whether the case is
 * recorded here (access-web-private.h). */
#include "recorder/access-web-private.h"

#include <string.h>

/* Whether @address may file one more request now. */
static gboolean
request_allowed (CrAccessWeb *web, const char *address)
{
  gint64 now = g_get_monotonic_time ();
  RequestCount *count = g_hash_table_lookup (web->requests_by_address, address);

  if (count != NULL && now - count->window_start_us >= REQUEST_WINDOW_US)
    {
      count->window_start_us = now;
      count->count = 0;
    }
  if (count == NULL)
    {
      /* Bounded: a flood from many addresses forgets the old windows. */
      if (g_hash_table_size (web->requests_by_address) >= MAX_REQUEST_ADDRESSES)
        g_hash_table_remove_all (web->requests_by_address);
      count = g_new0 (RequestCount, 1);
      count->window_start_us = now;
      g_hash_table_replace (web->requests_by_address, g_strdup (address), count);
    }
  if (count->count >= MAX_REQUESTS_PER_ADDRESS)
    return FALSE;
  count->count++;
  return TRUE;
}

void
cr_access_web_handle_request (CrAccessWeb *web, SoupServerMessage *msg)
{
  g_autoptr (JsonObject) body = cr_access_web_parse_body (msg);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reference = NULL;
  CrAccessRequestFields fields = { 0 };
  const char *address = cr_access_web_address_of (msg);
  gint64 id;

  if (cr_access_web_service_of (web) == NULL)
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                   "Access to recordings is not available in this room");
      return;
    }
  if (body == NULL)
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                                   "Expected a JSON object");
      return;
    }
  fields.requester = cr_access_web_string_member (body, "name", 512);
  fields.role = cr_access_web_string_member (body, "role", 32);
  fields.identity = cr_access_web_string_member (body, "identity", 64);
  fields.case_no = cr_access_web_string_member (body, "case", 256);
  fields.sessions = cr_access_web_string_member (body, "sessions", 256);
  fields.purpose = cr_access_web_string_member (body, "purpose", 4096);
  fields.contact = cr_access_web_string_member (body, "contact", 512);
  if (fields.sessions != NULL && fields.sessions[0] == '\0')
    fields.sessions = NULL;
  if (fields.requester == NULL || fields.role == NULL || fields.identity == NULL ||
      fields.case_no == NULL)
    {
      cr_access_web_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid",
                                   "name, role, identity and case are required (text)");
      return;
    }
  if (!request_allowed (web, address))
    {
      cr_access_web_set_retry_after (msg, 3600);
      cr_access_web_respond_error (msg, CR_HTTP_STATUS_TOO_MANY_REQUESTS, "too-many",
                                   "Too many requests from this address: try again "
                                   "later or ask the court's clerk");
      return;
    }
  id = cr_access_service_submit_public (cr_access_web_service_of (web), &fields, address, &error);
  if (id <= 0)
    {
      if (g_error_matches (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_INVALID))
        cr_access_web_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid", error->message);
      else
        cr_access_web_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                     "The request cannot be filed now; try again later");
      return;
    }
  reference = g_strdup_printf ("R%" G_GINT64_FORMAT, id);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reference");
  json_builder_add_string_value (builder, reference);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, "received");
  json_builder_end_object (builder);
  cr_access_web_respond_json (msg, SOUP_STATUS_ACCEPTED, builder);
}

