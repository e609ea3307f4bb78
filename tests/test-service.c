/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-service.c: courtrecd as the locked-down systemd service a court's IT
 * installs: the unit's security rating, `make install` with and without
 * DESTDIR, the user and directories scripts/setup-system.sh makes, and a
 * recording made under the unit's restrictions. systemd is not always PID 1
 * where the tests run, so the sandbox is rebuilt by hand: a mount namespace
 * with the unit's mounts, setpriv for the user, capabilities and
 * no_new_privs, and a seccomp filter for MemoryDenyWriteExecute=. */
#include <errno.h>
#include <grp.h>
#include <locale.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "archive/segment-index.h"
#include "tests/test-util.h"

#define SERVICE_USER "courtrec"
/* What `systemd-analyze security` may rate the unit at most: "OK" starts
 * below 4.0; a court's IT asks for better than the bare pass. */
#define MAX_EXPOSURE 3.0

/* ---- helpers ---- */

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);
  return path != NULL;
}

/* The unit as `make install` renders it (the same substitutions as the
 * Makefile), the programs in @bindir. (transfer full) */
static char *
render_unit (const char *bindir, const char *sysconfdir)
{
  g_autofree char *template_path = cr_test_top_path ("systemd/courtrecd@.service.in");
  g_autofree char *template = NULL;
  g_autofree char *half = NULL;
  g_autoptr (GRegex) bin = g_regex_new ("@BINDIR@", 0, 0, NULL);
  g_autoptr (GRegex) etc = g_regex_new ("@SYSCONFDIR@", 0, 0, NULL);
  g_autoptr (GError) error = NULL;

  g_file_get_contents (template_path, &template, NULL, &error);
  g_assert_no_error (error);
  half = g_regex_replace_literal (bin, template, -1, 0, bindir, 0, NULL);
  return g_regex_replace_literal (etc, half, -1, 0, sysconfdir, 0, NULL);
}

static char *
make_tmp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("courtrec-service-XXXXXX", &error);

  g_assert_no_error (error);
  /* The service user walks through it to the bind-mounted directories. */
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  return dir;
}

static void
remove_tree (const char *dir)
{
  const char *argv[] = { "rm", "-rf", dir, NULL };

  if (g_getenv ("CR_TEST_KEEP") != NULL)
    {
      g_test_message ("kept %s", dir);
      return;
    }
  cr_test_run (NULL, NULL, argv);
}

static void
assert_owner_mode (const char *path, const char *user, const char *group, guint mode)
{
  GStatBuf st;
  struct passwd *pw;
  struct group *gr;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  pw = getpwuid (st.st_uid);
  gr = getgrgid (st.st_gid);
  g_assert_nonnull (pw);
  g_assert_nonnull (gr);
  g_test_message ("%s: %s:%s %04o", path, pw->pw_name, gr->gr_name,
                  (guint) (st.st_mode & 07777));
  g_assert_cmpstr (pw->pw_name, ==, user);
  g_assert_cmpstr (gr->gr_name, ==, group);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

static gboolean
user_in_group (const char *user, const char *group)
{
  struct group *gr = getgrnam (group);

  if (gr == NULL)
    return FALSE;
  for (char **member = gr->gr_mem; *member != NULL; member++)
    if (g_strcmp0 (*member, user) == 0)
      return TRUE;
  return FALSE;
}

/* Runs scripts/setup-system.sh for a machine whose /etc and /var are
 * @root/etc and @root/var. Returns its exit status. */
static int
run_setup (const char *root, char **err)
{
  g_autofree char *script = cr_test_top_path ("scripts/setup-system.sh");
  g_autofree char *etc = g_build_filename (root, "etc", NULL);
  g_autofree char *var = g_build_filename (root, "var", NULL);
  g_autofree char *etc_env = g_strconcat ("SYSCONFDIR=", etc, NULL);
  g_autofree char *var_env = g_strconcat ("LOCALSTATEDIR=", var, NULL);
  const char *argv[] = { "env", etc_env, var_env, "sh", script, NULL };

  return cr_test_run (NULL, err, argv);
}

static gboolean
can_sandbox (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root: it makes the user " SERVICE_USER " and mounts "
                   "the sandbox");
      return FALSE;
    }
  for (const char *const *tool = (const char *const[]) { "unshare", "setpriv", "mount",
                                                          "useradd", "openssl", NULL };
       *tool != NULL; tool++)
    if (!have_program (*tool))
      {
        g_autofree char *why = g_strdup_printf ("%s is not installed", *tool);
        g_test_skip (why);
        return FALSE;
      }
  return TRUE;
}

/* ---- the unit ---- */

/* systemd's own rating of the unit, the number a court's IT looks at first,
 * and the lines of it that matter most for a recorder. */
static void
test_security_rating (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *unit = render_unit ("/usr/local/bin", "/etc");
  g_autofree char *unit_path = g_build_filename (dir, "courtrecd@test.service", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GRegex) overall = NULL;
  g_autoptr (GMatchInfo) match = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *level_text = NULL;
  double level;
  const char *argv[] = { "systemd-analyze", "security", "--offline=true",
                         "--no-pager", unit_path, NULL };
  /* Each must be a passed (✓) line: not root, no capability, a read-only
   * system, no privilege gained through exec, no W+X memory, the system call
   * filter without privileged calls. */
  static const char *const must_pass[] = {
    "User=/DynamicUser=", "CapabilityBoundingSet=~CAP_SYS_ADMIN",
    "AmbientCapabilities=", "NoNewPrivileges=", "ProtectSystem=", "ProtectHome=",
    "PrivateTmp=", "MemoryDenyWriteExecute=", "SystemCallFilter=~@privileged",
    "SystemCallFilter=~@mount", "RestrictNamespaces=~user", "ProtectKernelModules=",
    "RestrictAddressFamilies=~AF_PACKET", "SystemCallArchitectures=",
    NULL
  };

  if (!have_program ("systemd-analyze"))
    {
      g_test_skip ("systemd-analyze is not installed");
      remove_tree (dir);
      return;
    }
  g_file_set_contents (unit_path, unit, -1, &error);
  g_assert_no_error (error);

  cr_test_run (&out, &err, argv);
  g_test_message ("%s%s", out, err);
  overall = g_regex_new ("Overall exposure level for courtrecd@test\\.service: "
                         "([0-9]+\\.[0-9]+) ", 0, 0, NULL);
  g_assert_true (g_regex_match (overall, out, 0, &match));
  level_text = g_match_info_fetch (match, 1);
  level = g_ascii_strtod (level_text, NULL);
  g_test_message ("exposure %.1f", level);
  g_assert_cmpfloat (level, <=, MAX_EXPOSURE);

  for (const char *const *name = must_pass; *name != NULL; name++)
    {
      g_autofree char *line = g_strconcat ("\n✓ ", *name, " ", NULL);
      if (strstr (out, line) == NULL)
        g_error ("systemd-analyze security does not pass %s", *name);
    }
  remove_tree (dir);
}

/* systemd's checker finds nothing to say about the unit: a directive it
 * does not know or cannot parse is ignored with a message, and an ignored
 * ProtectSystem= is a sandbox that silently is not there. */
static void
test_unit_verifies (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *build = cr_test_build_path ("");
  g_autofree char *bindir = g_canonicalize_filename (build, NULL);
  g_autofree char *unit = render_unit (bindir, "/etc");
  g_autofree char *unit_path = g_build_filename (dir, "courtrecd@test.service", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "systemd-analyze", "verify", "--no-pager", unit_path, NULL };

  if (!have_program ("systemd-analyze"))
    {
      g_test_skip ("systemd-analyze is not installed");
      remove_tree (dir);
      return;
    }
  g_assert_null (strstr (unit, "@BINDIR@"));
  g_assert_null (strstr (unit, "@SYSCONFDIR@"));
  g_file_set_contents (unit_path, unit, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (cr_test_run (&out, &err, argv), ==, 0);
  g_test_message ("%s%s", out, err);
  g_assert_cmpstr (err, ==, "");
  remove_tree (dir);
}

/* ---- make install ---- */

static void
assert_same_file (const char *installed, const char *original, guint mode)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  gsize a_length = 0, b_length = 0;
  GStatBuf st;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (installed, &a, &a_length, &error);
  g_assert_no_error (error);
  g_file_get_contents (original, &b, &b_length, &error);
  g_assert_no_error (error);
  g_assert_true (a_length == b_length && memcmp (a, b, a_length) == 0);
  g_assert_cmpint (g_stat (installed, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

/* A package build (DESTDIR) gets the programs, the example config, the
 * setup script and the unit, and nothing of the machine: no user, no owned
 * directory, and above all no device key, which would then be the same on
 * every recorder the package goes to. */
static void
test_install_destdir (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *top = cr_test_top_path ("");
  g_autofree char *build = cr_test_build_path ("");
  g_autofree char *build_abs = g_canonicalize_filename (build, NULL);
  g_autofree char *b_arg = g_strconcat ("B=", build_abs, NULL);
  g_autofree char *destdir_arg = g_strconcat ("DESTDIR=", dir, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *unit = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "make", "-s", "-C", top, b_arg, destdir_arg, "install", NULL };
  struct {
    const char *installed;
    const char *original;   /* relative to the build (b) or the top (t) */
    char where;
    guint mode;
  } files[] = {
    { "usr/local/bin/courtrecd", "courtrecd", 'b', 0755 },
    { "usr/local/bin/courtrec", "courtrec", 'b', 0755 },
    { "usr/local/lib/courtrec/setup-system.sh", "scripts/setup-system.sh", 't', 0755 },
    { "etc/courtrec/courtrec.conf.example", "config/courtrec.conf.example", 't', 0644 },
    { "usr/local/share/man/man1/courtrec.1", "man/courtrec.1", 't', 0644 },
    { "usr/local/share/man/man5/courtrec.conf.5", "man/courtrec.conf.5", 't', 0644 },
    { "usr/local/share/man/man8/courtrecd.8", "man/courtrecd.8", 't', 0644 },
  };
  g_autofree char *unit_path = g_build_filename (dir, "lib/systemd/system/courtrecd@.service", NULL);
  g_autofree char *expected_unit = render_unit ("/usr/local/bin", "/etc");
  g_autofree char *confdir = g_build_filename (dir, "etc/courtrec", NULL);
  g_autofree char *key = g_build_filename (dir, "etc/courtrec/device-key", NULL);
  g_autofree char *storage = g_build_filename (dir, "var/lib/courtrec", NULL);
  GStatBuf st;

  if (!have_program ("make"))
    {
      g_test_skip ("make is not installed");
      remove_tree (dir);
      return;
    }
  g_assert_cmpint (cr_test_run (&out, &err, argv), ==, 0);
  g_test_message ("%s%s", out, err);

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *installed = g_build_filename (dir, files[i].installed, NULL);
      g_autofree char *original = files[i].where == 'b'
          ? g_build_filename (build, files[i].original, NULL)
          : cr_test_top_path (files[i].original);
      g_test_message ("%s", files[i].installed);
      assert_same_file (installed, original, files[i].mode);
    }

  g_file_get_contents (unit_path, &unit, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (unit, ==, expected_unit);
  g_assert_nonnull (strstr (unit, "\nExecStart=/usr/local/bin/courtrecd -c /etc/courtrec/%i.conf\n"));
  g_assert_nonnull (strstr (unit, "\nUser=" SERVICE_USER "\n"));
  g_assert_cmpint (g_stat (unit_path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0644);

  /* The config directory is not for everyone to read, even in a package. */
  g_assert_cmpint (g_stat (confdir, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0750);
  g_assert_false (g_file_test (key, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (storage, G_FILE_TEST_EXISTS));
  remove_tree (dir);
}

/* ---- scripts/setup-system.sh ---- */

/* The user courtrec, its directories and its device key, as `make install`
 * makes them, and again without harm. */
static void
test_setup_system (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *confdir = NULL;
  g_autofree char *storage = NULL;
  g_autofree char *key = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *old_room = NULL;
  g_autofree char *old_index = NULL;
  g_autofree char *example = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *secret_again = NULL;
  g_autofree char *public = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  struct passwd *pw;

  if (!can_sandbox ())
    return;
  dir = make_tmp_dir ();
  confdir = g_build_filename (dir, "etc/courtrec", NULL);
  storage = g_build_filename (dir, "var/lib/courtrec", NULL);
  key = g_build_filename (confdir, "device-key", NULL);
  pub = g_build_filename (confdir, "device-key.pub", NULL);
  example = g_build_filename (confdir, "room-101.conf", NULL);

  /* A machine where a root-run courtrecd recorded before: a room whose
   * files are root's, and a config of the court's own. */
  old_room = g_build_filename (storage, "room-101", NULL);
  old_index = g_build_filename (old_room, "index.db", NULL);
  g_assert_cmpint (g_mkdir_with_parents (old_room, 0750), ==, 0);
  g_file_set_contents (old_index, "index", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (confdir, 0755), ==, 0);
  g_file_set_contents (example, "[room]\nid = room-101\n", -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run_setup (dir, &err), ==, 0);
  g_test_message ("%s", err);

  pw = getpwnam (SERVICE_USER);
  g_assert_nonnull (pw);
  g_assert_cmpuint (pw->pw_uid, !=, 0);
  g_assert_cmpuint (pw->pw_uid, <, 1000);    /* a system user */
  g_assert_cmpstr (pw->pw_dir, ==, "/nonexistent");
  g_assert_true (g_str_has_suffix (pw->pw_shell, "/nologin"));
  g_assert_nonnull (getgrnam (SERVICE_USER));
  g_assert_true (user_in_group (SERVICE_USER, "video"));
  g_assert_true (user_in_group (SERVICE_USER, "audio"));

  assert_owner_mode (confdir, "root", SERVICE_USER, 0750);
  assert_owner_mode (storage, SERVICE_USER, SERVICE_USER, 0750);
  assert_owner_mode (key, SERVICE_USER, SERVICE_USER, 0600);
  assert_owner_mode (pub, "root", SERVICE_USER, 0644);
  assert_owner_mode (old_index, SERVICE_USER, SERVICE_USER, 0644);
  /* The court's config is not the script's to change. */
  assert_owner_mode (example, "root", "root", 0644);

  /* courtrecd's format: 128 hex digits, the public key the last 64. */
  g_file_get_contents (key, &secret, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (pub, &public, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (secret), ==, 129);
  g_assert_true (g_regex_match_simple ("^[0-9a-f]{128}\n$", secret, 0, 0));
  g_assert_cmpstr (public, ==, secret + 64);

  /* Again: the same key, the same owners, no error. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_setup (dir, &err), ==, 0);
  g_file_get_contents (key, &secret_again, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret_again, ==, secret);
  assert_owner_mode (confdir, "root", SERVICE_USER, 0750);
  assert_owner_mode (storage, SERVICE_USER, SERVICE_USER, 0750);
  assert_owner_mode (key, SERVICE_USER, SERVICE_USER, 0600);
  remove_tree (dir);
}

/* ---- the sandbox ---- */

/* Where the sandbox sees the test's copy of courtrecd (under /var, which
 * the sandbox lays an overlay on). */
#define SANDBOX_BIN "/var/opt/courtrec-test-bin"

/* The unit's file system as a shell script run as root in a fresh mount
 * namespace; $1 is the test directory, holding etc/courtrec,
 * var/lib/courtrec and var/cache/courtrec for the ones the unit names, and
 * an empty ns/; the rest is the command run as courtrec. */
static const char sandbox_script[] =
  "set -eu\n"
  "t=$1; shift\n"
  "mount --make-rprivate /\n"
  "mount -t tmpfs -o mode=0700 tmpfs \"$t/ns\"\n"
  /* The machine's /etc/courtrec and /var/lib/courtrec are not touched: the
   * test's own are mounted there, on overlays so that the mount points need
   * not exist on the machine. */
  "for d in etc var; do\n"
  "  mkdir \"$t/ns/$d-upper\" \"$t/ns/$d-work\"\n"
  "  mount -t overlay overlay -o \"lowerdir=/$d,upperdir=$t/ns/$d-upper,workdir=$t/ns/$d-work\" \"/$d\"\n"
  "done\n"
  "mkdir -p /etc/courtrec /var/lib/courtrec /var/cache/courtrec\n"
  "mount --bind \"$t/etc/courtrec\" /etc/courtrec\n"
  "mount --bind \"$t/var/lib/courtrec\" /var/lib/courtrec\n"
  "mount --bind \"$t/var/cache/courtrec\" /var/cache/courtrec\n"
  /* The programs under test, where the unit's private /tmp and
   * ProtectHome= cannot hide them (a checkout may live in either). */
  "if [ -d \"$t/bin\" ]; then mkdir -p " SANDBOX_BIN "; mount --bind \"$t/bin\" " SANDBOX_BIN "; fi\n"
  /* ProtectSystem=strict: read-only but for StateDirectory= and
   * CacheDirectory=. */
  "for m in / /etc /var /etc/courtrec; do mount -o remount,bind,ro \"$m\"; done\n"
  /* DevicePolicy=closed with DeviceAllow=char-video4linux, char-alsa: a
   * /dev with only what that policy lets it open. */
  "mkdir \"$t/ns/dev\"\n"
  "mount --rbind /dev \"$t/ns/dev\"\n"
  "mount -t tmpfs -o mode=0755,nosuid tmpfs /dev\n"
  "for n in null zero full random urandom tty ptmx; do\n"
  "  : >\"/dev/$n\"; mount --bind \"$t/ns/dev/$n\" \"/dev/$n\"\n"
  "done\n"
  "for n in \"$t\"/ns/dev/video*; do\n"
  "  [ -e \"$n\" ] || continue\n"
  "  : >\"/dev/${n##*/}\"; mount --bind \"$n\" \"/dev/${n##*/}\"\n"
  "done\n"
  "if [ -d \"$t/ns/dev/snd\" ]; then mkdir /dev/snd; mount --bind \"$t/ns/dev/snd\" /dev/snd; fi\n"
  "mkdir /dev/pts /dev/shm\n"
  "mount --bind \"$t/ns/dev/pts\" /dev/pts\n"
  "mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm\n"
  "ln -s /proc/self/fd /dev/fd\n"
  "ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr\n"
  "umount -l \"$t/ns/dev\"\n"
  /* PrivateTmp=, ProtectHome=. */
  "mount -t tmpfs -o mode=1777 tmpfs /tmp\n"
  "mount -t tmpfs -o mode=1777 tmpfs /var/tmp\n"
  "for d in /home /root /run/user; do\n"
  "  if [ -d \"$d\" ]; then mount -t tmpfs -o ro,mode=000 tmpfs \"$d\"; fi\n"
  "done\n"
  /* ProtectProc=invisible, ProcSubset=pid (which takes /proc/sys away:
   * ProtectKernelTunables=), ProtectControlGroups= with /sys. */
  "mount -t proc -o hidepid=invisible,subset=pid proc /proc\n"
  "mount -o remount,bind,ro /sys\n"
  /* UMask=, User=, Group=, SupplementaryGroups= (courtrec's groups),
   * CapabilityBoundingSet=, AmbientCapabilities=, NoNewPrivileges=. */
  "umask 027\n"
  "exec setpriv --reuid=" SERVICE_USER " --regid=" SERVICE_USER " --init-groups "
  "--inh-caps=-all --bounding-set=-all --no-new-privs -- \"$@\"\n";

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef NATIVE_AUDIT_ARCH
#define ARG_LOW(n) offsetof (struct seccomp_data, args[n]) /* little-endian */
#define REFUSE (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

/* MemoryDenyWriteExecute= as systemd 252 makes it: EPERM for a mapping
 * both writable and executable, for making memory executable afterwards,
 * and for executable shared memory. */
static int
deny_write_execute (void)
{
  struct sock_filter filter[] = {
    /* 0 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    /* 1 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, 5),
    /* 2 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    /* 3 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 4, 0),
    /* 4 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 8, 0),
    /* 5 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 7, 0),
    /* 6 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_shmat, 8, 0),
    /* 7 */ BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* 8: mmap */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, ARG_LOW (2)),
    BPF_STMT (BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, REFUSE),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* 13: mprotect, pkey_mprotect */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, ARG_LOW (2)),
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 2, 3),
    /* 15: shmat */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, ARG_LOW (2)),
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, SHM_EXEC, 0, 1),
    /* 17 */ BPF_STMT (BPF_RET | BPF_K, REFUSE),
    /* 18 */ BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = { G_N_ELEMENTS (filter), filter };

  return prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}
#endif

/* In the child, before exec: die with the test, and the memory rule. */
static void
sandbox_child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#ifdef NATIVE_AUDIT_ARCH
  if (deny_write_execute () != 0)
    _exit (127);
#endif
}

/* The environment systemd gives the service: nothing of the test's but
 * what the unit sets, and the project's rule that a critical is fatal. */
static void
set_service_environment (GSubprocessLauncher *launcher)
{
  const char *const environment[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8", "HOME=/nonexistent", "USER=" SERVICE_USER,
    "LOGNAME=" SERVICE_USER, "SHELL=/usr/sbin/nologin",
    "GST_REGISTRY_1_0=/var/cache/courtrec/gstreamer-registry.bin",
    "G_DEBUG=fatal-criticals", NULL
  };

  g_subprocess_launcher_set_environ (launcher, (char **) environment);
}

/* Starts @argv (NULL-terminated) as courtrec in the sandbox, with @dir
 * laid out as sandbox_script says; stdout and stderr to @log. */
static GSubprocess *
sandbox_spawn (const char *dir, const char *log, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  set_service_environment (launcher);
  g_subprocess_launcher_set_child_setup (launcher, sandbox_child_setup, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  /* No PID namespace (the unit has none): courtrecd keeps this process's
   * PID, so the test signals it as systemd would. */
  for (const char *const *arg = (const char *const[]) {
         "unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
         sandbox_script, "sandbox", dir, NULL };
       *arg != NULL; arg++)
    g_ptr_array_add (args, (gpointer) *arg);
  for (const char *const *arg = argv; *arg != NULL; arg++)
    g_ptr_array_add (args, (gpointer) *arg);
  g_ptr_array_add (args, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* What a recorder's sandbox needs on the test's side: the machine's setup
 * of etc/ and var/ in @dir, the cache, and room test-room's config as the
 * daemon sees it (/etc/courtrec/test-room.conf) and as the client outside
 * sees it (@dir/host.conf). */
typedef struct {
  char *dir;
  CrTestRoom *room;     /* config_path, storage_dir: the outside view */
  char *key;
  char *log;
} Sandbox;

static void
sandbox_free (Sandbox *sandbox)
{
  if (sandbox == NULL)
    return;
  if (sandbox->room != NULL)
    {
      /* The room's own temporary directory goes with it; ours here. */
      cr_test_room_free (sandbox->room);
    }
  if (sandbox->dir != NULL)
    remove_tree (sandbox->dir);
  g_free (sandbox->dir);
  g_free (sandbox->key);
  g_free (sandbox->log);
  g_free (sandbox);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sandbox, sandbox_free)

static const char room_config[] =
  "[room]\nid = test-room\nname = 第一法庭\ncourt = 浙江省三门县人民法院\n\n"
  "[storage]\ndir = %s/test-room\nsegment_seconds = 10\n%s\n"
  "[video]\nwidth = 320\nheight = 180\nframerate = 25\nbitrate_kbps = 500\n\n"
  "[audio]\nbitrate_kbps = 96\n\n"
  "[api]\nlisten = 127.0.0.1:%u\n\n"
  "[camera judge]\nsource = test\nlabel = 审判长\n\n"
  "[microphone judge]\nsource = test\nlabel = 审判长\n";

static Sandbox *
sandbox_new (void)
{
  g_autoptr (Sandbox) sandbox = g_new0 (Sandbox, 1);
  g_autofree char *err = NULL;
  g_autofree char *inside = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *inside_path = NULL;
  g_autofree char *outside_path = NULL;
  g_autofree char *key_line = NULL;
  g_autofree char *storage = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *ns = NULL;
  g_autoptr (GError) error = NULL;
  struct passwd *pw;

  sandbox->dir = make_tmp_dir ();
  g_assert_cmpint (run_setup (sandbox->dir, &err), ==, 0);
  pw = getpwnam (SERVICE_USER);
  g_assert_nonnull (pw);

  storage = g_build_filename (sandbox->dir, "var/lib/courtrec", NULL);
  cache = g_build_filename (sandbox->dir, "var/cache/courtrec", NULL);
  ns = g_build_filename (sandbox->dir, "ns", NULL);
  sandbox->key = g_build_filename (sandbox->dir, "etc/courtrec/device-key", NULL);
  sandbox->log = g_build_filename (sandbox->dir, "courtrecd.log", NULL);
  /* CacheDirectory=: systemd makes it, owned by the user. */
  g_assert_cmpint (g_mkdir_with_parents (cache, 0750), ==, 0);
  g_assert_cmpint (chown (cache, pw->pw_uid, pw->pw_gid), ==, 0);
  g_assert_cmpint (g_mkdir (ns, 0700), ==, 0);

  sandbox->room = cr_test_room_new (10, NULL);
  /* The daemon reads its config at the path the unit gives; the key
   * beside it by default. The client reads the same room from outside. */
  inside = g_strdup_printf (room_config, "/var/lib/courtrec", "", sandbox->room->port);
  key_line = g_strdup_printf ("key_file = %s\n", sandbox->key);
  outside = g_strdup_printf (room_config, storage, key_line, sandbox->room->port);
  inside_path = g_build_filename (sandbox->dir, "etc/courtrec/test-room.conf", NULL);
  outside_path = g_build_filename (sandbox->dir, "host.conf", NULL);
  g_file_set_contents (inside_path, inside, -1, &error);
  g_assert_no_error (error);
  /* As the court's IT installs a room's config: root's, for courtrec to read. */
  g_assert_cmpint (chown (inside_path, 0, pw->pw_gid), ==, 0);
  g_assert_cmpint (g_chmod (inside_path, 0640), ==, 0);
  g_file_set_contents (outside_path, outside, -1, &error);
  g_assert_no_error (error);

  g_free (sandbox->room->config_path);
  sandbox->room->config_path = g_steal_pointer (&outside_path);
  g_free (sandbox->room->storage_dir);
  sandbox->room->storage_dir = g_build_filename (storage, "test-room", NULL);
  return g_steal_pointer (&sandbox);
}

/* The sandbox is what it claims, checked from inside as courtrec: who it
 * runs as, no capability, no_new_privs, the memory rule, and where it can
 * write. Without this, a recording that works would prove nothing. */
static void
test_sandbox_holds (void)
{
  g_autoptr (Sandbox) sandbox = NULL;
  g_autoptr (GSubprocess) probe = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *build = NULL;
  g_autofree char *build_abs = NULL;
  g_autofree char *write_build = NULL;
  const char *probe_script =
    "id -un; id -Gn\n"
    "grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status\n"
    "w() { if (: >\"$1\") 2>/dev/null; then echo \"writable $1\"; else echo \"read-only $1\"; fi; }\n"
    "w /etc/courtrec/x; w /etc/x; w /usr/x; w \"$CR_BUILD_DIR/x\"; w /var/lib/x\n"
    "w /var/lib/courtrec/x; w /var/cache/courtrec/x; w /tmp/x; w /var/tmp/x\n"
    "[ -r /etc/courtrec/device-key ] && echo 'reads the key'\n"
    "[ -e /dev/vda ] || [ -e /dev/sda ] || echo 'no disk device'\n"
    "[ -e /proc/1 ] || echo 'no other process'\n"
    "[ -e /proc/sys ] || echo 'no /proc/sys'\n"
    "[ -r /home ] || echo 'no /home'\n"
    "python3 -c 'import mmap; mmap.mmap(-1, 4096, prot=7)' 2>/dev/null || echo 'no W+X memory'\n"
    "echo done\n";
  const char *argv[] = { "env", NULL, "sh", "-c", probe_script, NULL };
  int status;

  if (!can_sandbox ())
    return;
#ifndef NATIVE_AUDIT_ARCH
  g_test_skip ("MemoryDenyWriteExecute= is emulated for x86_64 and aarch64 only");
  return;
#endif
  sandbox = sandbox_new ();
  build = cr_test_build_path ("");
  build_abs = g_canonicalize_filename (build, NULL);
  write_build = g_strconcat ("CR_BUILD_DIR=", build_abs, NULL);
  argv[1] = write_build;

  probe = sandbox_spawn (sandbox->dir, sandbox->log, argv);
  g_subprocess_wait (probe, NULL, &error);
  g_assert_no_error (error);
  status = g_subprocess_get_status (probe);
  g_file_get_contents (sandbox->log, &out, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s", out);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  g_assert_true (g_str_has_prefix (out, SERVICE_USER "\n"));
  g_assert_true (g_regex_match_simple ("^" SERVICE_USER "( \\S+)*$", strchr (out, '\n') + 1,
                                       G_REGEX_MULTILINE, 0));
  g_assert_nonnull (strstr (out, " video"));
  g_assert_nonnull (strstr (out, " audio"));
  g_assert_nonnull (strstr (out, "CapEff:\t0000000000000000\n"));
  g_assert_nonnull (strstr (out, "CapBnd:\t0000000000000000\n"));
  g_assert_nonnull (strstr (out, "CapAmb:\t0000000000000000\n"));
  g_assert_nonnull (strstr (out, "NoNewPrivs:\t1\n"));
  g_assert_nonnull (strstr (out, "Seccomp:\t2\n"));
  g_assert_nonnull (strstr (out, "\nread-only /etc/courtrec/x\n"));
  g_assert_nonnull (strstr (out, "\nread-only /etc/x\n"));
  g_assert_nonnull (strstr (out, "\nread-only /usr/x\n"));
  g_assert_nonnull (strstr (out, "\nread-only /var/lib/x\n"));
  {
    g_autofree char *line = g_strdup_printf ("\nread-only %s/x\n", build_abs);
    g_assert_nonnull (strstr (out, line));
  }
  g_assert_nonnull (strstr (out, "\nwritable /var/lib/courtrec/x\n"));
  g_assert_nonnull (strstr (out, "\nwritable /var/cache/courtrec/x\n"));
  g_assert_nonnull (strstr (out, "\nwritable /tmp/x\n"));
  g_assert_nonnull (strstr (out, "\nwritable /var/tmp/x\n"));
  g_assert_nonnull (strstr (out, "\nreads the key\n"));
  g_assert_nonnull (strstr (out, "\nno disk device\n"));
  g_assert_nonnull (strstr (out, "\nno other process\n"));
  g_assert_nonnull (strstr (out, "\nno /proc/sys\n"));
  g_assert_nonnull (strstr (out, "\nno /home\n"));
  if (have_program ("python3"))
    g_assert_nonnull (strstr (out, "\nno W+X memory\n"));
  g_assert_true (g_str_has_suffix (out, "\ndone\n"));
}

/* ---- the system call filter ---- */

/* The groups of `systemd-analyze syscall-filter`: "@name" at the start of a
 * line, its members (system calls and @groups) indented below it. name ->
 * GPtrArray of members. (transfer full) */
static GHashTable *
syscall_groups (void)
{
  const char *argv[] = { "systemd-analyze", "syscall-filter", "--no-pager", NULL };
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_ptr_array_unref);
  GPtrArray *members = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      if ((*line)[0] == '@')
        {
          members = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (groups, g_strdup (g_strstrip (*line)), members);
          continue;
        }
      g_strstrip (*line);
      if ((*line)[0] == '\0' || (*line)[0] == '#' || members == NULL)
        continue;
      g_ptr_array_add (members, g_strdup (*line));
    }
  g_assert_true (g_hash_table_contains (groups, "@system-service"));
  return groups;
}

static void
expand_group (GHashTable *groups, const char *name, GHashTable *into)
{
  GPtrArray *members;

  if (name[0] != '@')
    {
      g_hash_table_add (into, g_strdup (name));
      return;
    }
  members = g_hash_table_lookup (groups, name);
  g_assert_nonnull (members);
  for (guint i = 0; i < members->len; i++)
    expand_group (groups, g_ptr_array_index (members, i), into);
}

static gboolean
api_answers (gpointer data)
{
  CrTestRoom *room = data;
  g_autofree char *body = NULL;

  if (g_subprocess_get_identifier (room->daemon) == NULL)
    return TRUE; /* it died: stop waiting, the caller checks */
  return cr_test_http (room, "GET", "/api/v1/status", NULL, NULL, &body) == 401;
}

/* The system calls the unit's SystemCallFilter= lines let through, as
 * systemd reads them: the first line is the allow list, and each later one
 * adds to it or, with '~', takes away from it. (transfer full) */
static GHashTable *
unit_allowed_syscalls (void)
{
  g_autoptr (GHashTable) groups = syscall_groups ();
  GHashTable *allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *unit = render_unit ("/usr/local/bin", "/etc");
  g_auto (GStrv) lines = g_strsplit (unit, "\n", -1);
  guint lists = 0;

  for (char **line = lines; *line != NULL; line++)
    {
      g_autoptr (GHashTable) names = NULL;
      g_auto (GStrv) words = NULL;
      GHashTableIter iter;
      gpointer name;
      const char *value;
      gboolean deny;

      if (!g_str_has_prefix (*line, "SystemCallFilter="))
        continue;
      value = *line + strlen ("SystemCallFilter=");
      deny = value[0] == '~';
      /* An allow list first: a deny list first would be another matter. */
      g_assert_true (lists > 0 || !deny);
      names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      words = g_strsplit (deny ? value + 1 : value, " ", -1);
      for (char **word = words; *word != NULL; word++)
        if (**word != '\0')
          expand_group (groups, *word, names);
      g_hash_table_iter_init (&iter, names);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        if (deny)
          g_hash_table_remove (allowed, name);
        else
          g_hash_table_add (allowed, g_strdup (name));
      lists++;
    }
  g_assert_cmpuint (lists, >=, 1);
  return allowed;
}

/* The children of @pid, from /proc: the first one's PID, or 0. */
static GPid
first_child (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/task/%d/children", pid, pid);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* Starts courtrecd on the sandbox's room as the unit does, after the
 * programs of @before (NULL-terminated, or NULL), and waits until its API
 * answers. */
static void
start_courtrecd (Sandbox *sandbox, const char *const *before)
{
  CrTestRoom *room = sandbox->room;
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");
  g_autofree char *bin = g_build_filename (sandbox->dir, "bin", NULL);
  g_autofree char *copy = g_build_filename (bin, "courtrecd", NULL);
  g_autofree char *token_path = g_build_filename (room->storage_dir, "api-token", NULL);
  g_autofree char *token = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) from = g_file_new_for_path (courtrecd);
  g_autoptr (GFile) to = g_file_new_for_path (copy);

  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  g_assert_cmpint (g_chmod (bin, 0755), ==, 0);
  g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (copy, 0755), ==, 0);
  for (const char *const *arg = before; arg != NULL && *arg != NULL; arg++)
    g_ptr_array_add (argv, (gpointer) *arg);
  g_ptr_array_add (argv, SANDBOX_BIN "/courtrecd");
  g_ptr_array_add (argv, "-c");
  g_ptr_array_add (argv, "/etc/courtrec/test-room.conf");
  g_ptr_array_add (argv, NULL);
  room->daemon = sandbox_spawn (sandbox->dir, sandbox->log, (const char *const *) argv->pdata);
  /* The first start builds GStreamer's registry in the cache. */
  if (!cr_test_wait_until (api_answers, room, 120000) ||
      g_subprocess_get_identifier (room->daemon) == NULL)
    {
      g_autofree char *log = NULL;
      g_file_get_contents (sandbox->log, &log, NULL, NULL);
      g_error ("courtrecd did not come up in the sandbox; its log:\n%s", log ? log : "(none)");
    }
  g_file_get_contents (token_path, &token, NULL, &error);
  g_assert_no_error (error);
  g_free (room->token);
  room->token = g_strstrip (g_steal_pointer (&token));
}

static double
probe_duration (const char *path, gboolean *has_video, gboolean *has_audio)
{
  g_autoptr (JsonObject) probe = cr_test_ffprobe (path, FALSE);
  JsonArray *streams;
  const char *text;

  g_assert_nonnull (probe);
  streams = json_object_get_array_member (probe, "streams");
  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      const char *type = json_object_get_string_member_with_default (stream, "codec_type", "");
      if (g_str_equal (type, "video"))
        *has_video = TRUE;
      else if (g_str_equal (type, "audio"))
        *has_audio = TRUE;
    }
  text = json_object_get_string_member_with_default (
      json_object_get_object_member (probe, "format"), "duration", NULL);
  g_assert_nonnull (text);
  return g_ascii_strtod (text, NULL);
}

/* A hearing recorded by courtrecd under the unit's restrictions: the
 * segments are there, play, last as long as the hearing, belong to
 * courtrec and no one else, and `courtrec verify` finds them intact and
 * sealed with the key made at install. */
/* The sanitizers' runtime maps and calls what the unit's filter and
 * MemoryDenyWriteExecute= forbid, and writes its reports where the private
 * /tmp hides them: courtrecd in the sandbox is judged on the normal build.
 * TRUE (and the test skipped) in a sanitized run. */
static gboolean
skipped_when_sanitized (void)
{
  if (g_getenv ("CR_SANITIZED") == NULL)
    return FALSE;
  g_test_skip ("the sanitized courtrecd cannot run under the unit's restrictions");
  return TRUE;
}

static void
test_sandboxed_recording (void)
{
  g_autoptr (Sandbox) sandbox = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key_before = NULL;
  g_autofree char *key_after = NULL;
  g_autofree char *log = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *session_arg = NULL;
  CrTestRoom *room;
  gint64 session_id, started, stopped;
  double total = 0, recorded;
  struct passwd *pw;
  int status;
  if (skipped_when_sanitized ())
    return;

  if (!can_sandbox ())
    return;
  if (!have_program ("ffprobe"))
    {
      g_test_skip ("ffprobe is not installed");
      return;
    }
#ifndef NATIVE_AUDIT_ARCH
  g_test_skip ("MemoryDenyWriteExecute= is emulated for x86_64 and aarch64 only");
  return;
#endif
  sandbox = sandbox_new ();
  room = sandbox->room;
  pw = getpwnam (SERVICE_USER);
  g_file_get_contents (sandbox->key, &key_before, NULL, &error);
  g_assert_no_error (error);

  start_courtrecd (sandbox, NULL);

  session_id = cr_test_start_session (room, "（2026）浙1022民初123号");
  started = g_get_monotonic_time ();
  cr_test_wait_until (never, NULL, 6000);
  stopped = g_get_monotonic_time ();
  cr_test_stop_and_wait (room, session_id);
  recorded = (stopped - started) / 1e6;

  rows = cr_test_segments (room, session_id);
  g_assert_cmpuint (rows->len, >=, 1);
  for (guint i = 0; i < rows->len; i++)
    {
      CrSegmentRecord *row = g_ptr_array_index (rows, i);
      g_autofree char *path = g_build_filename (room->storage_dir, row->path, NULL);
      gboolean has_video = FALSE, has_audio = FALSE;
      double duration;
      GStatBuf st;

      g_assert_true (row->closed);
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      /* courtrec's, and UMask=0027: nothing for other users. */
      g_assert_cmpuint (st.st_uid, ==, pw->pw_uid);
      g_assert_cmpuint (st.st_mode & 0007, ==, 0);
      duration = probe_duration (path, &has_video, &has_audio);
      g_test_message ("segment %u: %.3f s", row->sequence, duration);
      g_assert_true (has_video);
      g_assert_true (has_audio);
      g_assert_true (cr_test_ffmpeg_decodes (path, NULL));
      total += duration;
    }
  g_test_message ("recorded %.3f s by the wall clock, %.3f s in the files", recorded, total);
  g_assert_cmpfloat_with_epsilon (total, recorded, 0.5);

  status = cr_test_room_signal (room, SIGTERM, 15);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  session_arg = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
  g_assert_cmpint (cr_test_client (room, &out, &err, "verify", "--session", session_arg, NULL), ==, 0);
  g_test_message ("%s%s", out, err);
  /* Sealed at stop, with a signature the key made at install checks. */
  g_assert_nonnull (strstr (out, "sealed, signature good: intact"));
  g_assert_nonnull (strstr (out, ": INTACT"));

  /* It signed with the key made at install and left it alone: it could not
   * have replaced it, and had no reason to complain about it. */
  g_file_get_contents (sandbox->key, &key_after, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key_after, ==, key_before);
  g_file_get_contents (sandbox->log, &log, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s", log);
  g_assert_null (strstr (log, "will not be sealed"));
  g_assert_null (strstr (log, "public key"));
  g_assert_null (strstr (log, "WARNING"));
  g_assert_null (strstr (log, "CRITICAL"));
}

/* Every system call courtrecd makes while it starts, records, seals and
 * stops, traced by strace in the sandbox, is one the unit's
 * SystemCallFilter= lets through: a refused call would fail with EPERM in
 * a courtroom, where no one reads the log in time. */
static void
test_system_calls (void)
{
  g_autoptr (Sandbox) sandbox = NULL;
  g_autoptr (GHashTable) allowed = NULL;
  g_autoptr (GHashTable) used = NULL;
  g_autoptr (GRegex) call = NULL;
  g_autoptr (GString) refused = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *trace_path = NULL;
  g_autofree char *trace = NULL;
  g_auto (GStrv) lines = NULL;
  const char *const strace[] = { "strace", "-f", "-qq", "-o", "/var/cache/courtrec/trace", NULL };
  CrTestRoom *room;
  GHashTableIter iter;
  gpointer name;
  gint64 session_id;
  GPid courtrecd;
  int status;
  if (skipped_when_sanitized ())
    return;

  if (!can_sandbox ())
    return;
  if (!have_program ("strace") || !have_program ("systemd-analyze"))
    {
      g_test_skip ("strace and systemd-analyze are needed");
      return;
    }
#ifndef NATIVE_AUDIT_ARCH
  g_test_skip ("MemoryDenyWriteExecute= is emulated for x86_64 and aarch64 only");
  return;
#endif
  allowed = unit_allowed_syscalls ();
  g_assert_false (g_hash_table_contains (allowed, "setuid"));
  g_assert_false (g_hash_table_contains (allowed, "mount"));
  g_assert_false (g_hash_table_contains (allowed, "setrlimit"));
  g_assert_true (g_hash_table_contains (allowed, "openat"));

  sandbox = sandbox_new ();
  room = sandbox->room;
  trace_path = g_build_filename (sandbox->dir, "var/cache/courtrec/trace", NULL);
  start_courtrecd (sandbox, strace);
  session_id = cr_test_start_session (room, "（2026）浙1022民初123号");
  cr_test_wait_until (never, NULL, 3000);
  cr_test_stop_and_wait (room, session_id);

  /* SIGTERM to courtrecd itself, strace's child; strace ends with it. */
  courtrecd = first_child (atoi (g_subprocess_get_identifier (room->daemon)));
  g_assert_cmpint (courtrecd, >, 0);
  g_assert_cmpint (kill (courtrecd, SIGTERM), ==, 0);
  status = cr_test_room_signal (room, 0, 30);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  g_file_get_contents (trace_path, &trace, NULL, &error);
  g_assert_no_error (error);
  used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  call = g_regex_new ("^[0-9]+ +([a-z0-9_]+)\\(", 0, 0, NULL);
  lines = g_strsplit (trace, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      g_autoptr (GMatchInfo) match = NULL;
      if (g_regex_match (call, *line, 0, &match))
        g_hash_table_add (used, g_match_info_fetch (match, 1));
    }
  g_test_message ("%u lines traced, %u different system calls",
                  g_strv_length (lines), g_hash_table_size (used));
  /* Where ORC compiled code under MemoryDenyWriteExecute=: a file in the
   * private /tmp mapped twice, never one mapping writable and executable. */
  g_test_message ("ORC code mapped from /tmp: %s",
                  strstr (trace, "\"/tmp/orcexec.") != NULL ? "yes" : "no");
  /* It did start, record and seal under strace. */
  g_assert_true (g_hash_table_contains (used, "execve"));
  g_assert_true (g_hash_table_contains (used, "accept4") || g_hash_table_contains (used, "accept"));
  g_assert_true (g_hash_table_contains (used, "fsync") || g_hash_table_contains (used, "fdatasync"));

  g_hash_table_iter_init (&iter, used);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!g_hash_table_contains (allowed, name))
      g_string_append_printf (refused, " %s", (const char *) name);
  if (refused->len > 0)
    g_error ("courtrecd made system calls the unit refuses:%s", refused->str);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/service/security-rating", test_security_rating);
  g_test_add_func ("/courtrec/service/unit-verifies", test_unit_verifies);
  g_test_add_func ("/courtrec/service/install-destdir", test_install_destdir);
  g_test_add_func ("/courtrec/service/setup-system", test_setup_system);
  g_test_add_func ("/courtrec/service/sandbox-holds", test_sandbox_holds);
  g_test_add_func ("/courtrec/service/sandboxed-recording", test_sandboxed_recording);
  g_test_add_func ("/courtrec/service/system-calls", test_system_calls);
  return g_test_run ();
}
