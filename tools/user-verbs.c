/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* user-verbs.c: `courtrec user`, the accounts of the machine's rooms
 * (accounts/users.h), written straight to the users store (`[api] users`
 * of the config, or --users FILE): add, passwd, role, disable, enable,
 * list, token. A password is asked twice on the terminal, without echo,
 * or read from the first line of standard input with --password-stdin
 * (for provisioning scripts); it is never an argument, which every user of
 * the machine could read in ps. */
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "accounts/password.h"
#include "accounts/users.h"
#include "config/config.h"
#include "config/text.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

#define PASSWORD_READ_MAX (CR_PASSWORD_MAX_CHARS * 4 + 2)

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  sodium_memzero (secret, strlen (secret));
  g_free (secret);
}

typedef char SecretText;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretText, wipe_free)

/* One line from @fd, without its line end; NULL at once on end of file
 * before any byte. (transfer full) */
static char *
read_line (int fd)
{
  char buffer[PASSWORD_READ_MAX + 1];
  gsize length = 0;
  char *line;

  while (length < PASSWORD_READ_MAX)
    {
      ssize_t got = read (fd, buffer + length, 1);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0 || buffer[length] == '\n')
        {
          if (got <= 0 && length == 0)
            return NULL;
          break;
        }
      length++;
    }
  if (length > 0 && buffer[length - 1] == '\r')
    length--;
  line = g_strndup (buffer, length);
  sodium_memzero (buffer, sizeof buffer);
  return line;
}

/* Asks on the terminal, without echo. (transfer full) */
static char *
ask (int tty, const char *prompt)
{
  struct termios saved, quiet;
  gboolean restore;
  char *line;

  if (write (tty, prompt, strlen (prompt)) < 0)
    return NULL;
  restore = tcgetattr (tty, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ECHONL;
      tcsetattr (tty, TCSAFLUSH, &quiet);
    }
  line = read_line (tty);
  if (restore)
    tcsetattr (tty, TCSAFLUSH, &saved);
  return line;
}

/* The new password for @name, checked; NULL with the exit code set. */
static char *
new_password (const char *verb, const char *name, gboolean from_stdin, int *code)
{
  g_autoptr (SecretText) first = NULL;
  g_autoptr (SecretText) second = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *prompt = NULL;
  int tty;

  if (from_stdin)
    {
      first = read_line (STDIN_FILENO);
      if (first == NULL)
        {
          *code = fail (EXIT_USAGE, "%s: --password-stdin: nothing on standard input", verb);
          return NULL;
        }
    }
  else
    {
      tty = open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
      if (tty < 0)
        {
          *code = fail (EXIT_USAGE, "%s: no terminal to ask the password on; use "
                        "--password-stdin", verb);
          return NULL;
        }
      prompt = g_strdup_printf ("New password for %s: ", cr_text_shown (name));
      first = ask (tty, prompt);
      second = first != NULL ? ask (tty, "The same again: ") : NULL;
      close (tty);
      if (first == NULL || second == NULL)
        {
          *code = fail (EXIT_USAGE, "%s: no password given", verb);
          return NULL;
        }
      if (!g_str_equal (first, second))
        {
          *code = fail (EXIT_USAGE, "%s: the two passwords differ; nothing changed", verb);
          return NULL;
        }
    }
  if (!cr_password_check (first, &error))
    {
      *code = fail (EXIT_USAGE, "%s: %s", verb, error->message);
      return NULL;
    }
  return g_steal_pointer (&first);
}

/* The exit code for an error of the store. */
static int
users_failure (const char *verb, const GError *error)
{
  int code = error->domain == CR_USERS_ERROR && (error->code == CR_USERS_ERROR_INVALID ||
                                                 error->code == CR_USERS_ERROR_EXISTS ||
                                                 error->code == CR_USERS_ERROR_NOT_FOUND)
               ? EXIT_USAGE : EXIT_RUNTIME;
  return fail (code, "%s: %s", verb, cr_text_shown (error->message));
}

static gboolean
parse_role (const char *verb, const char *text, CrRole *role, int *code)
{
  if (text == NULL)
    {
      *code = fail (EXIT_USAGE, "%s: --role is required: viewer, clerk, approver or admin",
                    verb);
      return FALSE;
    }
  if (!cr_role_parse (text, role))
    {
      *code = fail (EXIT_USAGE, "%s: unknown role '%s': viewer, clerk, approver or admin",
                    verb, cr_text_shown (text));
      return FALSE;
    }
  return TRUE;
}

static void
print_list (GPtrArray *list, gboolean json)
{
  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonGenerator) generator = json_generator_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < list->len; i++)
        {
          CrUser *user = list->pdata[i];
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, user->name);
          json_builder_set_member_name (builder, "role");
          json_builder_add_string_value (builder, cr_role_name (user->role));
          json_builder_set_member_name (builder, "disabled");
          json_builder_add_boolean_value (builder, user->disabled);
          json_builder_set_member_name (builder, "tokens");
          json_builder_add_int_value (builder, user->tokens);
          json_builder_set_member_name (builder, "created_at");
          json_builder_add_string_value (builder, user->created_at);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
      return;
    }
  if (list->len == 0)
    {
      printf ("No accounts\n");
      return;
    }
  printf ("%-24s %-9s %-9s %-7s %s\n", "NAME", "ROLE", "STATE", "TOKENS", "CREATED");
  for (guint i = 0; i < list->len; i++)
    {
      CrUser *user = list->pdata[i];
      printf ("%-24s %-9s %-9s %-7u %s\n", cr_text_shown (user->name),
              cr_role_name (user->role), user->disabled ? "disabled" : "enabled", user->tokens,
              cr_text_shown (user->created_at));
    }
}

/* --revoke ID or all: the token's number, 0 for all of them. */
static gboolean
parse_revoke (const char *verb, const char *text, gint64 *token_id, int *code)
{
  guint64 id;

  if (g_str_equal (text, "all"))
    {
      *token_id = 0;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL))
    {
      *code = fail (EXIT_USAGE, "%s: --revoke: '%s' is not a token number (from 'courtrec "
                    "user token NAME --list') nor 'all'", verb, cr_text_shown (text));
      return FALSE;
    }
  *token_id = (gint64) id;
  return TRUE;
}

static int
run_token (const char *verb, CrUsers *users, const char *name, const char *revoke,
           gboolean list)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretText) token = NULL;
  gint64 token_id = 0;
  int code;

  if (list)
    {
      g_autoptr (CrUser) user = cr_users_get (users, name, NULL, &error);
      g_autoptr (GArray) ids = user != NULL ? cr_users_list_tokens (users, name, &error) : NULL;

      if (ids == NULL)
        return users_failure (verb, error);
      for (guint i = 0; i < ids->len; i++)
        printf ("%" G_GINT64_FORMAT "\n", g_array_index (ids, gint64, i));
      return EXIT_OK;
    }
  if (revoke != NULL)
    {
      gint revoked;

      if (!parse_revoke (verb, revoke, &token_id, &code))
        return code;
      revoked = cr_users_revoke_tokens (users, name, token_id, &error);
      if (revoked < 0)
        return users_failure (verb, error);
      printf ("Revoked %d token(s) of %s\n", revoked, cr_text_shown (name));
      return EXIT_OK;
    }
  token = cr_users_issue_token (users, name, &token_id, &error);
  if (token == NULL)
    return users_failure (verb, error);
  /* The token alone on standard output, for a script to keep; what it is
   * on standard error, for the person. */
  fprintf (stderr, "Token %" G_GINT64_FORMAT " of %s; it is shown this once and kept only "
           "as a hash (revoke: courtrec user token %s --revoke %" G_GINT64_FORMAT "):\n",
           token_id, cr_text_shown (name), cr_text_shown (name), token_id);
  printf ("%s\n", token);
  return EXIT_OK;
}

int
run_user (VerbCall *call)
{
  const char *verb = call->name;
  const char *role_arg = verb_text (call, "role");
  const char *revoke = verb_text (call, "revoke");
  const char *users_arg = verb_text (call, "users");
  gboolean password_stdin = verb_flag (call, "password-stdin");
  gboolean json = verb_flag (call, "json");
  gboolean list_tokens = verb_flag (call, "list");
  g_autoptr (CrUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretText) password = NULL;
  g_autofree char *users_path = NULL;
  const char *action = call->args[0];
  const char *name = call->args[1];
  CrRole role = CR_ROLE_ANYONE;
  guint wanted;
  int code;

  if (!g_strv_contains ((const char *const[]) { "add", "passwd", "role", "disable", "enable",
                                                "list", "token", NULL }, action))
    return fail (EXIT_USAGE, "%s: unknown action '%s': add, passwd, role, disable, enable, "
                 "list or token", verb, cr_text_shown (action));
  wanted = g_str_equal (action, "list") ? 0 : 1;
  if ((name != NULL) != (wanted == 1))
    return fail (EXIT_USAGE, wanted ? "%s %s: NAME is required" : "%s %s: takes no NAME",
                 verb, action);
  if (name != NULL && !cr_user_name_check (name, &error))
    return fail (EXIT_USAGE, "%s %s: '%s': %s", verb, action, cr_text_shown (name),
                 error->message);
  if ((g_str_equal (action, "add") || g_str_equal (action, "role")) &&
      !parse_role (verb, role_arg, &role, &code))
    return code;

  if (users_arg != NULL)
    users_path = g_strdup (users_arg);
  else
    {
      const CrConfig *config = verb_config (call, &code);
      if (config == NULL)
        return code;
      users_path = g_strdup (config->users_path);
    }
  /* A password is asked before the store is touched: a mistyped one
   * leaves nothing behind. */
  if (g_str_equal (action, "add") || g_str_equal (action, "passwd"))
    {
      password = new_password (verb, name, password_stdin, &code);
      if (password == NULL)
        return code;
    }
  users = cr_users_open (users_path, !g_str_equal (action, "list"), &error);
  if (users == NULL)
    return users_failure (verb, error);

  if (g_str_equal (action, "list"))
    {
      g_autoptr (GPtrArray) list = cr_users_list (users, &error);
      if (list == NULL)
        return users_failure (verb, error);
      print_list (list, json);
      return EXIT_OK;
    }
  if (g_str_equal (action, "token"))
    return run_token (verb, users, name, revoke, list_tokens);
  if (g_str_equal (action, "add") ? !cr_users_add (users, name, role, password, &error)
      : g_str_equal (action, "passwd") ? !cr_users_set_password (users, name, password, &error)
      : g_str_equal (action, "role") ? !cr_users_set_role (users, name, role, &error)
      : !cr_users_set_disabled (users, name, g_str_equal (action, "disable"), &error))
    return users_failure (verb, error);
  if (g_str_equal (action, "add"))
    printf ("Added %s (%s) to %s\n", cr_text_shown (name), cr_role_name (role),
            cr_text_shown (users_path));
  else if (g_str_equal (action, "passwd"))
    printf ("Password of %s changed; its console logins have ended\n", cr_text_shown (name));
  else if (g_str_equal (action, "role"))
    printf ("%s is now %s\n", cr_text_shown (name), cr_role_name (role));
  else
    printf ("%s %s\n", cr_text_shown (name),
            g_str_equal (action, "disable") ? "disabled: its logins and tokens no longer work"
                                            : "enabled");
  return EXIT_OK;
}
