/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-request.c: see api-request.h.
 *
 * Request bodies are parsed with yajl rather than json-glib: json-glib
 * 1.6 takes comments, single quotes and a second value after the first,
 * and recurses without a bound (a 40 kB body of brackets overflowed the
 * daemon's stack). yajl is strict by default (no comments, nothing after
 * the value, strings checked as UTF-8), keeps its nesting on a heap stack
 * rather than the C stack, and hands each token to a callback, so a body
 * that is not a flat object of strings is refused at its first token out
 * of place, at a depth of at most two. (jansson would do too, but its
 * json_object_iter_next() is also a json-glib symbol: the two cannot be
 * linked into one program.) The daemon's answers are still built with
 * json-glib. */
#include "recorder/api-request.h"

#include <yajl/yajl_parse.h>
#include <string.h>

#include "accounts/password.h"
#include "accounts/users.h"
#include "config/text.h"

G_DEFINE_QUARK (cr-api-request-error-quark, cr_api_request_error)

/* A body of fields is a few kB at most (a marker's 2000 characters,
 * escaped as \uXXXX, is 12 kB); the limit leaves room for that and refuses
 * anything larger before it is read. */
#define FIELDS_BODY_MAX (128 * 1024)
/* A login is a name and a password: 1024 characters escaped as \uXXXX
 * make 6 kB; more is not a login. */
#define LOGIN_BODY_MAX (8 * 1024)
/* A route without fields takes at most an empty object. */
#define EMPTY_BODY_MAX 64

/* The limits clerks and the CLI meet: a case number is about 30
 * characters, a title or a name a line, a marker a sentence or two. */
#define CASE_MAX 100
#define TEXT_LINE_MAX 200
#define MARKER_MAX 2000
#define SHORT_NAME_MAX 64

/* alarms_confirmed = "yes": the clerk was shown the standing alarms and
 * started anyway (an event of the session). */
static const CrApiField start_fields[] = {
  { "case", CASE_MAX, TRUE }, { "title", TEXT_LINE_MAX, FALSE },
  { "alarms_confirmed", SHORT_NAME_MAX, FALSE }, { NULL } };
static const CrApiField case_fields[] = { { "case", CASE_MAX, TRUE }, { NULL } };
static const CrApiField pause_fields[] = { { "reason", TEXT_LINE_MAX, TRUE }, { NULL } };
static const CrApiField marker_fields[] = { { "text", MARKER_MAX, TRUE }, { NULL } };
static const CrApiField layout_fields[] = { { "layout", SHORT_NAME_MAX, TRUE }, { NULL } };
/* "by" is taken from older clients and ignored: the approver is the
 * caller's account. */
static const CrApiField approve_fields[] = {
  { "case", CASE_MAX, TRUE }, { "by", TEXT_LINE_MAX, FALSE }, { NULL } };
static const CrApiField forbid_fields[] = {
  { "case", CASE_MAX, TRUE }, { "reason", TEXT_LINE_MAX, TRUE }, { "by", TEXT_LINE_MAX, FALSE }, { NULL } };
static const CrApiField stream_name_required[] = { { "name", SHORT_NAME_MAX, TRUE }, { NULL } };
static const CrApiField login_fields[] = {
  { "user", CR_USER_NAME_MAX_CHARS, TRUE }, { "password", CR_PASSWORD_MAX_CHARS, TRUE },
  { NULL } };
static const CrApiField stream_name_optional[] = { { "name", SHORT_NAME_MAX, FALSE }, { NULL } };
/* Litigant access (api-access.c). An identity number is at most 40
 * characters; "sessions" is "all" or ids "12,13"; "redactions" is the
 * redaction list as JSON text (every field here is a string). */
#define ACCESS_BODY_MAX (96 * 1024)
#define REDACTIONS_MAX_CHARS (64 * 1024)
static const CrApiField access_request_fields[] = {
  { "case", CASE_MAX, TRUE }, { "requester", TEXT_LINE_MAX, TRUE },
  { "role", SHORT_NAME_MAX, TRUE }, { "identity", SHORT_NAME_MAX, TRUE },
  { "sessions", TEXT_LINE_MAX, FALSE }, { "from", SHORT_NAME_MAX, FALSE },
  { "to", SHORT_NAME_MAX, FALSE }, { "purpose", MARKER_MAX, FALSE },
  { "contact", TEXT_LINE_MAX, FALSE }, { NULL } };
static const CrApiField access_grant_fields[] = {
  { "request", SHORT_NAME_MAX, TRUE }, { "mode", SHORT_NAME_MAX, TRUE },
  { "expires", SHORT_NAME_MAX, FALSE }, { "days", SHORT_NAME_MAX, FALSE },
  { "sessions", TEXT_LINE_MAX, FALSE }, { "redactions", REDACTIONS_MAX_CHARS, FALSE },
  { NULL } };
static const CrApiField access_refuse_fields[] = {
  { "request", SHORT_NAME_MAX, TRUE }, { "reason", MARKER_MAX, TRUE }, { NULL } };
static const CrApiField access_revoke_fields[] = {
  { "grant", SHORT_NAME_MAX, TRUE }, { "reason", MARKER_MAX, TRUE }, { NULL } };
/* A session or publication by its number; the redaction list is JSON
 * text in a string (archive/redaction-list.h), checked by the service. */
#define ID_MAX 20
#define REDACTIONS_MAX 32768
static const CrApiField vod_publish_fields[] = {
  { "session", ID_MAX, TRUE }, { "title", TEXT_LINE_MAX, FALSE },
  { "redactions", REDACTIONS_MAX, FALSE }, { NULL } };
static const CrApiField vod_withdraw_fields[] = {
  { "publication", ID_MAX, TRUE }, { "reason", TEXT_LINE_MAX, TRUE }, { NULL } };

/* Each route with the least role that may call it (role.h). */
/* A clerk's not-held mark: the reason, required to mark (api-hearings.c). */
static const CrApiField hearing_mark_fields[] = { { "reason", TEXT_LINE_MAX, FALSE }, { NULL } };

static const CrApiRoute routes[] = {
  { "/api/v1/hearings/", "POST", CR_API_HEARING_MARK, hearing_mark_fields, FIELDS_BODY_MAX,
    CR_ROLE_CLERK, TRUE },
  { "/api/v1/status", "GET", CR_API_STATUS, NULL, EMPTY_BODY_MAX, CR_ROLE_VIEWER, FALSE },
  { "/api/v1/session/start", "POST", CR_API_START, start_fields, FIELDS_BODY_MAX,
    CR_ROLE_CLERK, FALSE },
  { "/api/v1/session/pause", "POST", CR_API_PAUSE, pause_fields, FIELDS_BODY_MAX,
    CR_ROLE_CLERK, FALSE },
  { "/api/v1/session/resume", "POST", CR_API_RESUME, NULL, EMPTY_BODY_MAX, CR_ROLE_CLERK,
    FALSE },
  { "/api/v1/session/stop", "POST", CR_API_STOP, NULL, EMPTY_BODY_MAX, CR_ROLE_CLERK, FALSE },
  { "/api/v1/session/markers", "POST", CR_API_MARKER, marker_fields, FIELDS_BODY_MAX,
    CR_ROLE_CLERK, FALSE },
  { "/api/v1/layout", "POST", CR_API_LAYOUT, layout_fields, FIELDS_BODY_MAX, CR_ROLE_CLERK,
    FALSE },
  { "/api/v1/broadcast/approve", "POST", CR_API_BROADCAST_APPROVE, approve_fields,
    FIELDS_BODY_MAX, CR_ROLE_APPROVER, FALSE },
  { "/api/v1/broadcast/forbid", "POST", CR_API_BROADCAST_FORBID, forbid_fields,
    FIELDS_BODY_MAX, CR_ROLE_APPROVER, FALSE },
  { "/api/v1/stream/start", "POST", CR_API_STREAM_START, stream_name_required,
    FIELDS_BODY_MAX, CR_ROLE_CLERK, FALSE },
  { "/api/v1/stream/stop", "POST", CR_API_STREAM_STOP, stream_name_optional, FIELDS_BODY_MAX,
    CR_ROLE_CLERK, FALSE },
  { "/api/v1/stream/cut", "POST", CR_API_STREAM_CUT, stream_name_optional, FIELDS_BODY_MAX,
    CR_ROLE_CLERK, FALSE },
  { "/api/v1/stream/resume", "POST", CR_API_STREAM_RESUME, stream_name_optional,
    FIELDS_BODY_MAX, CR_ROLE_CLERK, FALSE },
  { "/api/v1/login", "POST", CR_API_LOGIN, login_fields, LOGIN_BODY_MAX, CR_ROLE_ANYONE,
    FALSE },
  { "/api/v1/logout", "POST", CR_API_LOGOUT, NULL, EMPTY_BODY_MAX, CR_ROLE_VIEWER, FALSE },
  { "/api/v1/whoami", "GET", CR_API_WHOAMI, NULL, EMPTY_BODY_MAX, CR_ROLE_VIEWER, FALSE },
  { "/metrics", "GET", CR_API_METRICS, NULL, EMPTY_BODY_MAX, CR_ROLE_VIEWER, FALSE },
  /* The console's (console-feed.h, console-web.h): what a viewer sees. */
  { "/api/v1/live", "GET", CR_API_LIVE, NULL, EMPTY_BODY_MAX, CR_ROLE_VIEWER, FALSE },
  { "/api/v1/preview/", "GET", CR_API_PREVIEW, NULL, EMPTY_BODY_MAX, CR_ROLE_VIEWER, TRUE },
  { "/api/v1/case-number", "POST", CR_API_CASE_NUMBER, case_fields, FIELDS_BODY_MAX,
    CR_ROLE_VIEWER, FALSE },
  /* Litigant access: the clerk enters requests, the approver decides. */
  { "/api/v1/access/request", "POST", CR_API_ACCESS_REQUEST, access_request_fields,
    FIELDS_BODY_MAX, CR_ROLE_CLERK, FALSE },
  { "/api/v1/access/requests", "GET", CR_API_ACCESS_REQUESTS, NULL, EMPTY_BODY_MAX,
    CR_ROLE_CLERK, FALSE },
  { "/api/v1/access/grant", "POST", CR_API_ACCESS_GRANT, access_grant_fields,
    ACCESS_BODY_MAX, CR_ROLE_APPROVER, FALSE },
  { "/api/v1/access/refuse", "POST", CR_API_ACCESS_REFUSE, access_refuse_fields,
    FIELDS_BODY_MAX, CR_ROLE_APPROVER, FALSE },
  { "/api/v1/access/revoke", "POST", CR_API_ACCESS_REVOKE, access_revoke_fields,
    FIELDS_BODY_MAX, CR_ROLE_APPROVER, FALSE },
  { "/api/v1/access/slip/", "GET", CR_API_ACCESS_SLIP, NULL, EMPTY_BODY_MAX,
    CR_ROLE_APPROVER, TRUE },
  { "/api/v1/vod/publish", "POST", CR_API_VOD_PUBLISH, vod_publish_fields, FIELDS_BODY_MAX,
    CR_ROLE_APPROVER, FALSE },
  { "/api/v1/vod/withdraw", "POST", CR_API_VOD_WITHDRAW, vod_withdraw_fields, FIELDS_BODY_MAX,
    CR_ROLE_APPROVER, FALSE },
};

guint
cr_api_request_error_status (const GError *error)
{
  static const guint statuses[] = {
    [CR_API_REQUEST_ERROR_UNAUTHORIZED] = SOUP_STATUS_UNAUTHORIZED,
    [CR_API_REQUEST_ERROR_FORBIDDEN] = SOUP_STATUS_FORBIDDEN,
    [CR_API_REQUEST_ERROR_NOT_FOUND] = SOUP_STATUS_NOT_FOUND,
    [CR_API_REQUEST_ERROR_METHOD] = SOUP_STATUS_METHOD_NOT_ALLOWED,
    [CR_API_REQUEST_ERROR_LENGTH_REQUIRED] = SOUP_STATUS_LENGTH_REQUIRED,
    [CR_API_REQUEST_ERROR_TOO_LARGE] = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
    [CR_API_REQUEST_ERROR_INVALID] = SOUP_STATUS_BAD_REQUEST,
  };

  g_return_val_if_fail (error != NULL, SOUP_STATUS_INTERNAL_SERVER_ERROR);
  if (error->domain != CR_API_REQUEST_ERROR || error->code < 0 ||
      (gsize) error->code >= G_N_ELEMENTS (statuses))
    return SOUP_STATUS_BAD_REQUEST;
  return statuses[error->code];
}

gboolean
cr_api_token_matches (const char *expected, const char *given)
{
  gsize expected_len = strlen (expected);
  gsize given_len = strlen (given);
  guint8 diff = expected_len != given_len;

  for (gsize i = 0; i < expected_len; i++)
    diff |= (guint8) expected[i] ^ (guint8) (i < given_len ? given[i] : 0);
  return diff == 0;
}

/* The route for @path: an exact one, else the longest prefix route. */
static const CrApiRoute *
find_route (const char *path)
{
  const CrApiRoute *best = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const CrApiRoute *route = &routes[i];

      if (!route->prefix && g_str_equal (route->path, path))
        return route;
      if (route->prefix && g_str_has_prefix (path, route->path) &&
          (best == NULL || strlen (route->path) > strlen (best->path)))
        best = route;
    }
  return best;
}

const CrApiRoute *
cr_api_request_routes (gsize *n_routes)
{
  g_return_val_if_fail (n_routes != NULL, NULL);
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}

const char *
cr_api_request_allowed_method (const char *path)
{
  const CrApiRoute *route = find_route (path);
  return route != NULL ? route->method : NULL;
}

const CrApiRoute *
cr_api_request_admit (const char *method, const char *path, SoupMessageHeaders *headers,
                      CrApiAuth *auth, CrPrincipal **principal, GError **error)
{
  g_autoptr (CrPrincipal) caller = NULL;
  g_autoptr (GError) auth_error = NULL;
  const CrApiRoute *route;
  goffset length;

  g_return_val_if_fail (method != NULL && path != NULL && headers != NULL, NULL);
  g_return_val_if_fail (auth != NULL && principal != NULL, NULL);

  *principal = NULL;
  route = find_route (path);
  caller = cr_api_auth_resolve (auth, method, headers, &auth_error);
  /* Who first: a request without credentials learns nothing, not even
   * which paths exist, unless it asks for a route that anyone may call
   * (the login, the console's page). */
  if (caller == NULL && (route == NULL || route->role != CR_ROLE_ANYONE))
    {
      g_propagate_error (error, g_steal_pointer (&auth_error));
      return NULL;
    }
  if (route == NULL)
    {
      g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_NOT_FOUND,
                   "No such API path: %s", cr_text_shown (path));
      return NULL;
    }
  if (!g_str_equal (method, route->method))
    {
      g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_METHOD,
                   "%s does not take %s; use %s", route->path, cr_text_shown (method),
                   route->method);
      return NULL;
    }
  if (!cr_role_allows (caller != NULL ? caller->role : CR_ROLE_ANYONE, route->role))
    {
      g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_FORBIDDEN,
                   "%s needs the role %s; %s is %s", route->path, cr_role_name (route->role),
                   cr_text_shown (caller->user), cr_role_name (caller->role));
      return NULL;
    }
  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_NONE:
      break;
    case SOUP_ENCODING_CONTENT_LENGTH:
      length = soup_message_headers_get_content_length (headers);
      if (length < 0 || (guint64) length > route->max_body)
        {
          g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_TOO_LARGE,
                       "The request body is too large for %s: %" G_GINT64_FORMAT
                       " bytes, at most %" G_GSIZE_FORMAT, route->path, (gint64) length,
                       route->max_body);
          return NULL;
        }
      break;
    default:
      g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_LENGTH_REQUIRED,
                   "Send the request body with a Content-Length (at most %" G_GSIZE_FORMAT
                   " bytes for %s)", route->max_body, route->path);
      return NULL;
    }
  *principal = g_steal_pointer (&caller);
  return route;
}

static const CrApiField *
find_field (const CrApiRoute *route, const char *name)
{
  for (const CrApiField *field = route->fields; field != NULL && field->name != NULL; field++)
    if (g_str_equal (field->name, name))
      return field;
  return NULL;
}

/* The parse of one body: where the tokens are, and what they made. */
typedef struct {
  const CrApiRoute *route;
  GHashTable *fields;         /* name -> value (NULL for null) */
  const CrApiField *field;    /* the member whose value comes next */
  guint depth;                /* 0 outside the object, 1 inside */
  GError *error;              /* why a callback stopped the parse */
} BodyParse;

static int
refuse (BodyParse *parse, const char *format, ...) G_GNUC_PRINTF (2, 3);

static int
refuse (BodyParse *parse, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  parse->error = g_error_new_valist (CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_INVALID,
                                     format, args);
  va_end (args);
  return 0;   /* stops yajl */
}

/* A value that is not a string: where it stands decides what is said. */
static int
not_a_string (BodyParse *parse, const char *what)
{
  if (parse->depth == 0)
    return refuse (parse, "The request body must be a JSON object, not %s", what);
  return refuse (parse, "Field \"%s\" must be a string", parse->field->name);
}

static int
on_null (void *ctx)
{
  BodyParse *parse = ctx;

  if (parse->depth == 0 || parse->field->required)
    return not_a_string (parse, "a single value");
  /* null is an optional field left out: its key's NULL stays, to catch a
   * second member of the name, and is dropped at the end. */
  return 1;
}

static int
on_boolean (void *ctx, int value)
{
  return not_a_string (ctx, "a single value");
}

static int
on_number (void *ctx, const char *number, size_t length)
{
  return not_a_string (ctx, "a single value");
}

static int
on_start_array (void *ctx)
{
  return not_a_string (ctx, "an array");
}

static int
on_string (void *ctx, const unsigned char *text, size_t length)
{
  BodyParse *parse = ctx;
  g_autofree char *what = NULL;
  g_autofree char *value = NULL;
  g_autoptr (GError) text_error = NULL;

  if (parse->depth == 0)
    return not_a_string (parse, "a single value");
  /* "\u0000" would cut the text short where C reads it. */
  if (memchr (text, '\0', length) != NULL)
    return refuse (parse, "Field \"%s\" contains a NUL character", parse->field->name);
  value = g_strndup ((const char *) text, length);
  what = g_strdup_printf ("Field \"%s\"", parse->field->name);
  if (!cr_text_validate (value, what, parse->field->max_chars, FALSE, &text_error))
    return refuse (parse, "%s", text_error->message);
  g_hash_table_insert (parse->fields, (gpointer) parse->field->name, g_steal_pointer (&value));
  return 1;
}

static int
on_start_map (void *ctx)
{
  BodyParse *parse = ctx;

  if (parse->depth > 0)
    return not_a_string (parse, "an object");
  parse->depth = 1;
  return 1;
}

static int
on_map_key (void *ctx, const unsigned char *key, size_t length)
{
  BodyParse *parse = ctx;
  g_autofree char *name = g_strndup ((const char *) key, length);
  const CrApiField *field = memchr (key, '\0', length) == NULL
                              ? find_field (parse->route, name) : NULL;

  if (field == NULL)
    return refuse (parse, "Unknown field \"%s\" in the request body", cr_text_shown (name));
  /* A second member of the same name would silently win. */
  if (g_hash_table_contains (parse->fields, field->name))
    return refuse (parse, "Field \"%s\" is given twice", field->name);
  /* Present from its key on, so that a second key is caught even when
   * the first value was null. */
  g_hash_table_insert (parse->fields, (gpointer) field->name, NULL);
  parse->field = field;
  return 1;
}

static int
on_end_map (void *ctx)
{
  BodyParse *parse = ctx;
  parse->depth = 0;
  return 1;
}

static const yajl_callbacks body_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = on_end_map,
  .yajl_start_array = on_start_array,
};

GHashTable *
cr_api_request_parse (const CrApiRoute *route, const char *body, gsize size, GError **error)
{
  g_autoptr (GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  BodyParse parse = { route, fields, NULL, 0, NULL };
  yajl_handle parser;
  yajl_status status;

  g_return_val_if_fail (route != NULL, NULL);

  if (size > route->max_body)
    {
      g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_TOO_LARGE,
                   "The request body is too large for %s: %" G_GSIZE_FORMAT
                   " bytes, at most %" G_GSIZE_FORMAT, route->path, size, route->max_body);
      return NULL;
    }
  if (size > 0)
    {
      parser = yajl_alloc (&body_callbacks, NULL, &parse);
      status = yajl_parse (parser, (const unsigned char *) body, size);
      if (status == yajl_status_ok)
        status = yajl_complete_parse (parser);
      if (status != yajl_status_ok)
        {
          if (parse.error != NULL)
            g_propagate_error (error, g_steal_pointer (&parse.error));
          else
            {
              unsigned char *why = yajl_get_error (parser, 0, NULL, 0);
              gsize at = yajl_get_bytes_consumed (parser);
              g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_INVALID,
                           "The request body is not valid JSON: %s (at byte %" G_GSIZE_FORMAT
                           ")", cr_text_shown (g_strstrip ((char *) why)), at);
              yajl_free_error (parser, why);
            }
          yajl_free (parser);
          return NULL;
        }
      yajl_free (parser);
    }

  for (const CrApiField *field = route->fields; field != NULL && field->name != NULL; field++)
    if (field->required && g_hash_table_lookup (fields, field->name) == NULL)
      {
        g_set_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_INVALID,
                     "Field \"%s\" is missing from the request body", field->name);
        return NULL;
      }
  /* Optional fields given as null are not there. */
  {
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init (&iter, fields);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (value == NULL)
        g_hash_table_iter_remove (&iter);
  }
  return g_steal_pointer (&fields);
}
