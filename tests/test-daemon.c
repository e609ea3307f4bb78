/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-daemon.c: courtrecd as systemd runs it: the unit file, and the
 * sd_notify protocol spoken to a socket the test listens on, as systemd
 * would. */
#include <gio/gunixsocketaddress.h>
#include <locale.h>
#include <signal.h>

#include "tests/test-util.h"

/* The shipped unit, with its paths pointing at this build, passes
 * systemd's own checker. */
static void
test_unit_verifies (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *template_path = cr_test_top_path ("systemd/courtrecd@.service.in");
  g_autofree char *build = cr_test_build_path ("");
  g_autofree char *bindir = g_canonicalize_filename (build, NULL);
  g_autofree char *unit_path = g_build_filename (room->dir, "courtrecd@test-room.service", NULL);
  g_autofree char *template = NULL;
  g_autofree char *unit = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) bin = g_regex_new ("@BINDIR@", 0, 0, NULL);
  g_autoptr (GRegex) etc = g_regex_new ("@SYSCONFDIR@", 0, 0, NULL);
  g_autofree char *half = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "systemd-analyze", "verify", unit_path, NULL };

  if (!g_file_test ("/usr/bin/systemd-analyze", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("systemd-analyze is not installed");
      return;
    }
  g_file_get_contents (template_path, &template, NULL, &error);
  g_assert_no_error (error);
  half = g_regex_replace_literal (bin, template, -1, 0, bindir, 0, NULL);
  unit = g_regex_replace_literal (etc, half, -1, 0, room->dir, 0, NULL);
  g_assert_nonnull (strstr (unit, "Type=notify"));
  g_assert_nonnull (strstr (unit, "WatchdogSec="));
  g_assert_nonnull (strstr (unit, "Restart=always"));
  g_file_set_contents (unit_path, unit, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (cr_test_run (&out, &err, argv), ==, 0);
  g_test_message ("%s%s", out, err);
  g_assert_null (strstr (err, unit_path));
}

typedef struct {
  GSocket *socket;
  GString *received;
} Listener;

static gboolean
heard (gpointer data)
{
  Listener *listener = data;
  char buffer[4096];
  gssize n;

  while ((n = g_socket_receive (listener->socket, buffer, sizeof buffer - 1, NULL, NULL)) > 0)
    {
      g_string_append_len (listener->received, buffer, n);
      g_string_append_c (listener->received, '\n');
    }
  return strstr (listener->received->str, "READY=1") != NULL &&
         strstr (listener->received->str, "WATCHDOG=1") != NULL;
}

static gboolean
heard_stopping (gpointer data)
{
  Listener *listener = data;
  heard (data);
  return strstr (listener->received->str, "STOPPING=1") != NULL;
}

/* READY=1 once the API answers, WATCHDOG=1 at the asked interval, STATUS=
 * lines, STOPPING=1 on SIGTERM. */
static void
test_sd_notify (void)
{
  g_autoptr (CrTestRoom) room = cr_test_room_new (60, NULL);
  g_autofree char *path = g_build_filename (room->dir, "notify.sock", NULL);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GError) error = NULL;
  Listener listener = { NULL, g_string_new (NULL) };

  listener.socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
  g_assert_no_error (error);
  g_socket_bind (listener.socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (listener.socket, FALSE);

  cr_test_room_setenv (room, "NOTIFY_SOCKET", path);
  cr_test_room_setenv (room, "WATCHDOG_USEC", "1000000");
  cr_test_room_start (room);
  g_assert_true (cr_test_wait_until (heard, &listener, 5000));
  g_assert_nonnull (strstr (listener.received->str, "STATUS=standby"));

  g_assert_cmpint (cr_test_room_signal (room, SIGTERM, 10), ==, 0);
  g_assert_true (cr_test_wait_until (heard_stopping, &listener, 1000));

  g_object_unref (listener.socket);
  g_string_free (listener.received, TRUE);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/daemon/systemd-unit", test_unit_verifies);
  g_test_add_func ("/courtrec/daemon/sd-notify", test_sd_notify);
  return g_test_run ();
}
