/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-users.c: accounts and roles: the route table's roles, the
 * admission check's principal, the users store, logins and their
 * cookies, the brute-force lock, and what courtrecd records of who did
 * what. */
#include "tests/test-util.h"

#include <libsoup/soup.h>
#include <string.h>

#include "accounts/principal.h"
#include "accounts/role.h"
#include "recorder/api-auth.h"
#include "recorder/api-request.h"

#define ROOM_TOKEN "0123456789abcdef0123456789abcdef"

/* --- the route table --------------------------------------------------------- */

static CrRole
role_of (const char *path)
{
  gsize n = 0;
  const CrApiRoute *routes = cr_api_request_routes (&n);

  for (gsize i = 0; i < n; i++)
    if (g_str_equal (routes[i].path, path))
      return routes[i].role;
  g_assert_not_reached ();
}

static void
test_route_roles (void)
{
  g_assert_cmpint (role_of ("/api/v1/status"), ==, CR_ROLE_VIEWER);
  for (const char *const *path = (const char *const[]) {
         "/api/v1/session/start", "/api/v1/session/pause", "/api/v1/session/resume",
         "/api/v1/session/stop", "/api/v1/session/markers", "/api/v1/layout",
         "/api/v1/stream/cut", "/api/v1/stream/resume", "/api/v1/stream/start",
         "/api/v1/stream/stop", NULL };
       *path != NULL; path++)
    g_assert_cmpint (role_of (*path), ==, CR_ROLE_CLERK);
  g_assert_cmpint (role_of ("/api/v1/broadcast/approve"), ==, CR_ROLE_APPROVER);
  g_assert_cmpint (role_of ("/api/v1/broadcast/forbid"), ==, CR_ROLE_APPROVER);
}

static void
test_role_names (void)
{
  CrRole role = CR_ROLE_ANYONE;

  g_assert_true (cr_role_parse ("approver", &role));
  g_assert_cmpint (role, ==, CR_ROLE_APPROVER);
  g_assert_cmpstr (cr_role_name (CR_ROLE_CLERK), ==, "clerk");
  /* Nobody is given "anyone", and names are exact. */
  g_assert_false (cr_role_parse ("anyone", &role));
  g_assert_false (cr_role_parse ("Admin", &role));
  g_assert_false (cr_role_parse ("", &role));
  g_assert_true (cr_role_allows (CR_ROLE_ADMIN, CR_ROLE_CLERK));
  g_assert_false (cr_role_allows (CR_ROLE_VIEWER, CR_ROLE_CLERK));
}

/* The room's token is the room's admin; anything else is refused before
 * its path is looked at. */
static void
test_room_token_admin (void)
{
  g_autoptr (CrApiAuth) auth = cr_api_auth_new (ROOM_TOKEN);
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (CrPrincipal) principal = NULL;
  g_autoptr (GError) error = NULL;
  const CrApiRoute *route;

  route = cr_api_request_admit ("GET", "/no/such/path", headers, auth, &principal, &error);
  g_assert_null (route);
  g_assert_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_UNAUTHORIZED);
  g_assert_null (principal);
  g_clear_error (&error);

  soup_message_headers_replace (headers, "Authorization", "Bearer " ROOM_TOKEN "x");
  route = cr_api_request_admit ("POST", "/api/v1/session/start", headers, auth, &principal,
                                &error);
  g_assert_error (error, CR_API_REQUEST_ERROR, CR_API_REQUEST_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  soup_message_headers_replace (headers, "Authorization", "bearer " ROOM_TOKEN);
  soup_message_headers_set_content_length (headers, 10);
  route = cr_api_request_admit ("POST", "/api/v1/broadcast/approve", headers, auth,
                                &principal, &error);
  g_assert_no_error (error);
  g_assert_nonnull (route);
  g_assert_nonnull (principal);
  g_assert_cmpstr (principal->user, ==, CR_PRINCIPAL_ROOM_TOKEN_ACTOR);
  g_assert_cmpint (principal->role, ==, CR_ROLE_ADMIN);
  g_assert_cmpint (principal->via, ==, CR_PRINCIPAL_ROOM_TOKEN);
  soup_message_headers_unref (headers);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/users/route-roles", test_route_roles);
  g_test_add_func ("/courtrec/users/role-names", test_role_names);
  g_test_add_func ("/courtrec/users/room-token-admin", test_room_token_admin);
  return g_test_run ();
}
