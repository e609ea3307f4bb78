/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access-service.c: see access-service.h. */
#include "access/access-service.h"

G_DEFINE_QUARK (cr-access-error-quark, cr_access_error)

#define NOT_YET(error) \
  g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_FAILED, "Not available")

struct CrAccessService {
  CrSegmentIndex *index;
};

const char *
cr_access_state_to_string (CrAccessState state)
{
  switch (state)
    {
    case CR_ACCESS_STATE_PENDING: return "pending";
    case CR_ACCESS_STATE_READY: return "ready";
    case CR_ACCESS_STATE_EXPIRED: return "expired";
    case CR_ACCESS_STATE_REVOKED: return "revoked";
    case CR_ACCESS_STATE_UNKNOWN: break;
    }
  return "unknown";
}

void
cr_access_grant_free (CrAccessGrant *grant)
{
  if (grant == NULL)
    return;
  g_free (grant->case_no);
  g_free (grant->requester);
  g_free (grant->role);
  g_free (grant->mode);
  g_clear_pointer (&grant->sessions, g_array_unref);
  g_free (grant);
}

CrAccessService *
cr_access_service_new (CrSegmentIndex *index, const CrConfig *config,
                       struct CrRenderQueue *queue, CrAccessDeviceKeyFunc device_key,
                       gpointer device_key_data, GError **error)
{
  CrAccessService *svc = g_new0 (CrAccessService, 1);
  svc->index = index;
  return svc;
}

void
cr_access_service_free (CrAccessService *svc)
{
  g_free (svc);
}

gint64
cr_access_service_submit (CrAccessService *svc, const CrAccessRequestFields *fields,
                          const char *entered_by, GError **error)
{
  NOT_YET (error);
  return 0;
}

gint64
cr_access_service_submit_public (CrAccessService *svc, const CrAccessRequestFields *fields,
                                 const char *address, GError **error)
{
  NOT_YET (error);
  return 0;
}

gint64
cr_access_service_grant (CrAccessService *svc, gint64 request_id, const char *mode,
                         gint64 expires_us, const char *sessions, const char *redactions,
                         const char *by, char **code_out, char **slip_out, GError **error)
{
  NOT_YET (error);
  return 0;
}

gboolean
cr_access_service_refuse (CrAccessService *svc, gint64 request_id, const char *reason,
                          const char *by, GError **error)
{
  NOT_YET (error);
  return FALSE;
}

gboolean
cr_access_service_revoke (CrAccessService *svc, gint64 grant_id, const char *reason,
                          const char *by, GError **error)
{
  NOT_YET (error);
  return FALSE;
}

JsonNode *
cr_access_service_list (CrAccessService *svc, const char *state_filter, GError **error)
{
  NOT_YET (error);
  return NULL;
}

char *
cr_access_service_slip (CrAccessService *svc, gint64 grant_id, GError **error)
{
  NOT_YET (error);
  return NULL;
}

gboolean
cr_access_service_login (CrAccessService *svc, const char *code, const char *id_suffix,
                         const char *address, CrAccessGrant **grant_out, GError **error)
{
  g_set_error_literal (error, CR_ACCESS_ERROR, CR_ACCESS_ERROR_DENIED,
                       "The code or the identity number is wrong, or the grant has ended");
  return FALSE;
}

CrAccessState
cr_access_service_check (CrAccessService *svc, gint64 grant_id)
{
  return CR_ACCESS_STATE_UNKNOWN;
}

CrAccessGrant *
cr_access_service_get_grant (CrAccessService *svc, gint64 grant_id)
{
  return NULL;
}

char *
cr_access_service_copy_dir (CrAccessService *svc, gint64 grant_id, gint64 session_id)
{
  return NULL;
}

gboolean
cr_access_service_record (CrAccessService *svc, gint64 grant_id, CrEventKind kind,
                          const char *detail_json, GError **error)
{
  NOT_YET (error);
  return FALSE;
}
