/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-request.h: what the control API accepts, decided without a socket:
 * the routes and the role each needs, who the caller is (api-auth.h), the
 * size of the body from the headers, and the body itself, parsed
 * strictly. The HTTP server calls the first half
 * before any of the body is read and the second once it is in; the fuzzer
 * calls both. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "accounts/role.h"
#include "recorder/api-auth.h"

G_BEGIN_DECLS

#define CR_API_REQUEST_ERROR (cr_api_request_error_quark ())
GQuark cr_api_request_error_quark (void);

typedef enum {
  CR_API_REQUEST_ERROR_UNAUTHORIZED,     /* 401: no credentials, or none that hold */
  CR_API_REQUEST_ERROR_FORBIDDEN,        /* 403: a role below the route's, or no CSRF header */
  CR_API_REQUEST_ERROR_NOT_FOUND,        /* 404 */
  CR_API_REQUEST_ERROR_METHOD,           /* 405 */
  CR_API_REQUEST_ERROR_LENGTH_REQUIRED,  /* 411: a body without Content-Length */
  CR_API_REQUEST_ERROR_TOO_LARGE,        /* 413: over the route's limit */
  CR_API_REQUEST_ERROR_INVALID,          /* 400: the body or a field is wrong */
} CrApiRequestError;

typedef enum {
  CR_API_STATUS,
  CR_API_START,
  CR_API_PAUSE,
  CR_API_RESUME,
  CR_API_STOP,
  CR_API_MARKER,
  CR_API_LAYOUT,
  CR_API_BROADCAST_APPROVE,
  CR_API_BROADCAST_FORBID,
  CR_API_STREAM_START,
  CR_API_STREAM_STOP,
  CR_API_STREAM_CUT,
  CR_API_STREAM_RESUME,
  CR_API_LOGIN,             /* api-login.h */
  CR_API_LOGOUT,
  CR_API_WHOAMI,
  CR_API_METRICS,           /* text, not JSON: metrics.h */
  CR_API_LIVE,          /* the console's event stream */
  CR_API_PREVIEW,       /* a preview picture: the path's last part names it */
  CR_API_CASE_NUMBER,   /* a case number's canonical form, written nowhere */
  /* litigant access (api-access.h) */
  CR_API_ACCESS_REQUEST,    /* a clerk enters a party's request */
  CR_API_ACCESS_REQUESTS,   /* the requests and their decisions */
  CR_API_ACCESS_GRANT,      /* an approver grants: the code, once */
  CR_API_ACCESS_REFUSE,
  CR_API_ACCESS_REVOKE,
  CR_API_ACCESS_SLIP,       /* a grant's slip again, HTML, without its code */
  CR_API_VOD_PUBLISH,   /* publication as video on demand (vod-service.h) */
  CR_API_VOD_WITHDRAW,
  CR_API_HEARING_MARK,  /* a clerk's not-held mark (api-hearings.h) */
} CrApiAction;

typedef struct {
  const char *name;
  guint max_chars;       /* characters, not bytes */
  gboolean required;     /* otherwise it may be absent or null */
} CrApiField;

/* One row of the route table (api-request.c). A route's handler is
 * api-server.c's for the JSON routes, or one set with
 * cr_api_server_set_handler() (metrics, the console). */
typedef struct {
  const char *path;          /* exact; with @prefix, every path under it */
  const char *method;
  CrApiAction action;
  const CrApiField *fields;  /* ends with a NULL name; NULL: no fields */
  gsize max_body;            /* bytes of body the route takes */
  CrRole role;               /* the least role that may call it */
  gboolean prefix;           /* @path ends in '/' and stands for its tree */
} CrApiRoute;

/* The HTTP status for an error of this domain. */
guint cr_api_request_error_status (const GError *error);

/* From the request line and headers alone: the route and who calls it,
 * or NULL with the error that refuses it. Checked in this order: who the
 * caller is (@auth; a route for CR_ROLE_ANYONE admits a caller without
 * credentials, with *@principal NULL, and one with them, with theirs),
 * the path, the method, the caller's role against the route's, the
 * body's announced size. A caller without credentials thus learns nothing
 * of other paths. Route: (transfer none); *@principal: (transfer full). */
const CrApiRoute *cr_api_request_admit (const char *method, const char *path,
                                        SoupMessageHeaders *headers, CrApiAuth *auth,
                                        CrPrincipal **principal, GError **error);

/* The route table, for the documentation tests. (transfer none) */
const CrApiRoute *cr_api_request_routes (gsize *n_routes);

/* Parses @body (@size bytes, not NUL-terminated) for @route: one JSON
 * object (RFC 8259, nothing before or after it, no comments, no duplicate
 * member, nesting bounded), each member one of the route's fields, each a
 * string within its length and free of control characters (or null where
 * optional). An empty body is an empty object. Returns field name ->
 * value (NULL for null). (transfer full) */
GHashTable *cr_api_request_parse (const CrApiRoute *route, const char *body, gsize size,
                                  GError **error);

/* The method @path takes, for a 405's Allow header; NULL for no route. */
const char *cr_api_request_allowed_method (const char *path);

/* Compares in time that depends only on the length of @expected. */
gboolean cr_api_token_matches (const char *expected, const char *given);

G_END_DECLS
