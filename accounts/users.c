/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* users.c: see users.h.
 *
 * The file keeps SQLite's rollback journal, not WAL: its readers are
 * daemons that open it read-only, and a WAL reader must be able to write
 * the -shm file, which a file of root's in the group's read cannot give
 * it. Changes are rare (an administrator's command), lookups many. */
#include "accounts/users.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts/password.h"
#include "accounts/principal.h"
#include "archive/utc.h"

G_DEFINE_QUARK (cr-users-error-quark, cr_users_error)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define SCHEMA_VERSION 1
/* The CLI waits for a daemon's read; a daemon, on its main loop, waits
 * only a moment for the CLI's short write and refuses the request after. */
#define BUSY_TIMEOUT_MS 2000
#define READER_BUSY_TIMEOUT_MS 100
/* "cru_" and 32 random bytes as hex: 256 bits, and a prefix that says what
 * it is when one turns up in a script or a leak scanner. */
#define TOKEN_PREFIX "cru_"
#define TOKEN_BYTES 32

struct CrUsers {
  char *path;
  gboolean writable;
  sqlite3 *db;        /* NULL until opened (read-only: when first needed) */
};

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS users ("
  "  name TEXT PRIMARY KEY NOT NULL,"
  "  role TEXT NOT NULL CHECK (role IN ('viewer', 'clerk', 'approver', 'admin')),"
  "  password_hash TEXT,"
  "  disabled INTEGER NOT NULL DEFAULT 0,"
  "  created_at TEXT NOT NULL,"
  "  changed_us INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS tokens ("
  "  id INTEGER PRIMARY KEY,"
  "  user TEXT NOT NULL REFERENCES users (name),"
  "  sha256 TEXT NOT NULL UNIQUE,"
  "  created_at TEXT NOT NULL,"
  "  revoked_at TEXT);";

void
cr_user_free (CrUser *user)
{
  if (user == NULL)
    return;
  g_free (user->name);
  g_free (user->created_at);
  g_free (user);
}

static gboolean
sql_failed (CrUsers *users, const char *what, GError **error)
{
  g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_FAILED, "Users store '%s': could not %s: %s",
               users->path, what, users->db != NULL ? sqlite3_errmsg (users->db) : "not open");
  return FALSE;
}

/* Creates the file 0640 in its directory's group before SQLite opens it
 * (SQLite gives its journal the file's mode), so that whatever the umask
 * and whoever runs the command (root, typically), the rooms' daemons in
 * that group read it and nobody else does. */
static gboolean
create_private (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat dir_stat, file_stat;
  int fd;

  if (g_mkdir_with_parents (dir, 0750) != 0)
    {
      int saved = errno;
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_FAILED,
                   "Users store '%s': could not create its directory: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_FAILED,
                   "Users store '%s': could not create it: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (stat (dir, &dir_stat) == 0 && fstat (fd, &file_stat) == 0 &&
      file_stat.st_gid != dir_stat.st_gid && fchown (fd, (uid_t) -1, dir_stat.st_gid) != 0)
    g_debug ("Users store '%s': left in group %u: %s", path, (guint) file_stat.st_gid,
             g_strerror (errno));
  /* An existing file others could read loses that, as the index does. */
  if (fstat (fd, &file_stat) == 0 && (file_stat.st_mode & 0137) != 0 &&
      fchmod (fd, file_stat.st_mode & 0640) != 0)
    {
      int saved = errno;
      close (fd);
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_FAILED,
                   "Users store '%s' is open to others (mode %04o) and could not be closed: %s",
                   path, (guint) (file_stat.st_mode & 07777), g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
open_db (CrUsers *users, GError **error)
{
  int flags = users->writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
  gint version = 0;

  if (users->db != NULL)
    return TRUE;
  if (users->writable && !create_private (users->path, error))
    return FALSE;
  if (!users->writable && !g_file_test (users->path, G_FILE_TEST_EXISTS))
    return TRUE;   /* no accounts yet */
  if (sqlite3_open_v2 (users->path, &users->db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
    {
      sql_failed (users, "open it", error);
      g_clear_pointer (&users->db, sqlite3_close);
      return FALSE;
    }
  sqlite3_busy_timeout (users->db, users->writable ? BUSY_TIMEOUT_MS : READER_BUSY_TIMEOUT_MS);
  {
    g_autoptr (sqlite3_stmt) stmt = NULL;
    if (sqlite3_prepare_v2 (users->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step (stmt) != SQLITE_ROW)
      {
        sql_failed (users, "read it (is it a users store?)", error);
        g_clear_pointer (&users->db, sqlite3_close);
        return FALSE;
      }
    version = sqlite3_column_int (stmt, 0);
  }
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_FAILED,
                   "Users store '%s' has schema version %d, newer than this courtrec's %d",
                   users->path, version, SCHEMA_VERSION);
      g_clear_pointer (&users->db, sqlite3_close);
      return FALSE;
    }
  if (users->writable && version < SCHEMA_VERSION)
    {
      g_autofree char *sql = g_strdup_printf ("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; "
                                              "COMMIT;", schema, SCHEMA_VERSION);
      if (sqlite3_exec (users->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        {
          sql_failed (users, "create its tables", error);
          sqlite3_exec (users->db, "ROLLBACK", NULL, NULL, NULL);
          g_clear_pointer (&users->db, sqlite3_close);
          return FALSE;
        }
    }
  if (!users->writable && version < SCHEMA_VERSION)
    {
      /* Made by `courtrec user` a moment ago and not filled in yet. */
      g_clear_pointer (&users->db, sqlite3_close);
      return TRUE;
    }
  return TRUE;
}

CrUsers *
cr_users_open (const char *path, gboolean writable, GError **error)
{
  g_autoptr (CrUsers) users = NULL;

  g_return_val_if_fail (path != NULL && *path != '\0', NULL);

  users = g_new0 (CrUsers, 1);
  users->path = g_strdup (path);
  users->writable = writable;
  if (writable && !open_db (users, error))
    return NULL;
  return g_steal_pointer (&users);
}

void
cr_users_free (CrUsers *users)
{
  if (users == NULL)
    return;
  g_clear_pointer (&users->db, sqlite3_close);
  g_free (users->path);
  g_free (users);
}

const char *
cr_users_get_path (CrUsers *users)
{
  g_return_val_if_fail (users != NULL, NULL);
  return users->path;
}

gboolean
cr_user_name_check (const char *name, GError **error)
{
  glong chars;

  g_return_val_if_fail (name != NULL, FALSE);

  if (!g_utf8_validate (name, -1, NULL) || *name == '\0' ||
      (chars = g_utf8_strlen (name, -1)) > CR_USER_NAME_MAX_CHARS)
    {
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                   "A user name is 1 to %d characters of UTF-8", CR_USER_NAME_MAX_CHARS);
      return FALSE;
    }
  if (name[0] == '-' || name[0] == '.')
    {
      g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                           "A user name may not start with '-' or '.'");
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (!g_unichar_isalnum (c) && c != '.' && c != '_' && c != '-')
        {
          g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                               "A user name is letters, digits, '.', '_' and '-' only "
                               "(no spaces)");
          return FALSE;
        }
    }
  if (g_str_equal (name, CR_PRINCIPAL_ROOM_TOKEN_ACTOR))
    {
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                   "\"%s\" is the name the room's token acts under; choose another",
                   CR_PRINCIPAL_ROOM_TOKEN_ACTOR);
      return FALSE;
    }
  return TRUE;
}

/* Ready to read (the daemon: FALSE without error when there is no store
 * yet) or to write. */
static gboolean
ready (CrUsers *users, GError **error)
{
  if (!open_db (users, error))
    return FALSE;
  if (users->db == NULL)
    {
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_NOT_FOUND,
                   "No accounts yet ('%s' is not there)", users->path);
      return FALSE;
    }
  return TRUE;
}

static sqlite3_stmt *
prepare (CrUsers *users, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (users->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sql_failed (users, "prepare a query", error);
      return NULL;
    }
  return stmt;
}

static void
not_found (const char *name, GError **error)
{
  g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_NOT_FOUND, "No user \"%s\"", name);
}

gboolean
cr_users_add (CrUsers *users, const char *name, CrRole role, const char *password,
              GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *now = NULL;
  gint64 now_us = g_get_real_time ();
  int rc;

  g_return_val_if_fail (users != NULL && users->writable, FALSE);
  g_return_val_if_fail (name != NULL && password != NULL, FALSE);

  if (!cr_user_name_check (name, error) || !cr_password_check (password, error))
    return FALSE;
  if (role == CR_ROLE_ANYONE)
    {
      g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_INVALID,
                           "An account's role is viewer, clerk, approver or admin");
      return FALSE;
    }
  if (!ready (users, error))
    return FALSE;
  hash = cr_password_hash (password, error);
  if (hash == NULL)
    return FALSE;
  now = cr_format_utc (now_us);
  stmt = prepare (users, "INSERT INTO users (name, role, password_hash, created_at, changed_us) "
                         "VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, cr_role_name (role), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, now_us);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT)
    {
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_EXISTS, "User \"%s\" exists already",
                   name);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return sql_failed (users, "add the user", error);
  return TRUE;
}

/* UPDATE users SET @assignment (its one parameter @value), changed_us WHERE
 * name = @name. */
static gboolean
update_user (CrUsers *users, const char *name, const char *assignment, const char *text,
             gint64 number, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE users SET %s, changed_us = ? WHERE name = ?",
                                          assignment);
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!ready (users, error))
    return FALSE;
  stmt = prepare (users, sql, error);
  if (stmt == NULL)
    return FALSE;
  if (text != NULL)
    sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64 (stmt, 1, number);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_text (stmt, 3, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return sql_failed (users, "change the user", error);
  if (sqlite3_changes (users->db) == 0)
    {
      not_found (name, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
cr_users_set_password (CrUsers *users, const char *name, const char *password, GError **error)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (users != NULL && users->writable, FALSE);
  g_return_val_if_fail (name != NULL && password != NULL, FALSE);

  if (!cr_password_check (password, error))
    return FALSE;
  hash = cr_password_hash (password, error);
  return hash != NULL && update_user (users, name, "password_hash = ?", hash, 0, error);
}

gboolean
cr_users_set_role (CrUsers *users, const char *name, CrRole role, GError **error)
{
  g_return_val_if_fail (users != NULL && users->writable, FALSE);
  g_return_val_if_fail (role != CR_ROLE_ANYONE, FALSE);
  return update_user (users, name, "role = ?", cr_role_name (role), 0, error);
}

gboolean
cr_users_set_disabled (CrUsers *users, const char *name, gboolean disabled, GError **error)
{
  g_return_val_if_fail (users != NULL && users->writable, FALSE);
  return update_user (users, name, "disabled = ?", NULL, disabled ? 1 : 0, error);
}

#define USER_COLUMNS \
  "users.name, users.role, users.disabled, users.password_hash IS NOT NULL, " \
  "users.changed_us, users.created_at, " \
  "(SELECT count(*) FROM tokens WHERE tokens.user = users.name AND revoked_at IS NULL)"

static CrUser *
user_from_row (sqlite3_stmt *stmt)
{
  CrUser *user = g_new0 (CrUser, 1);

  user->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (!cr_role_parse ((const char *) sqlite3_column_text (stmt, 1), &user->role))
    user->role = CR_ROLE_ANYONE;   /* not reachable through the CHECK; holds nothing */
  user->disabled = sqlite3_column_int (stmt, 2) != 0;
  user->has_password = sqlite3_column_int (stmt, 3) != 0;
  user->changed_us = sqlite3_column_int64 (stmt, 4);
  user->created_at = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  user->tokens = (guint) sqlite3_column_int (stmt, 6);
  return user;
}

GPtrArray *
cr_users_list (CrUsers *users, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_user_free);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GError) local_error = NULL;
  int rc;

  g_return_val_if_fail (users != NULL, NULL);

  if (!ready (users, &local_error))
    {
      if (g_error_matches (local_error, CR_USERS_ERROR, CR_USERS_ERROR_NOT_FOUND))
        return g_steal_pointer (&list);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  stmt = prepare (users, "SELECT " USER_COLUMNS " FROM users ORDER BY name", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, user_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      sql_failed (users, "list the users", error);
      return NULL;
    }
  return g_steal_pointer (&list);
}

CrUser *
cr_users_get (CrUsers *users, const char *name, char **password_hash, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (users != NULL && name != NULL, NULL);

  if (password_hash != NULL)
    *password_hash = NULL;
  if (!ready (users, error))
    return NULL;
  stmt = prepare (users, "SELECT " USER_COLUMNS ", password_hash FROM users WHERE name = ?",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      not_found (name, error);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      sql_failed (users, "read the user", error);
      return NULL;
    }
  if (password_hash != NULL)
    *password_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
  return user_from_row (stmt);
}

/* The hex SHA-256 a token is kept as. (transfer full) */
static char *
token_digest (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

char *
cr_users_issue_token (CrUsers *users, const char *name, gint64 *token_id, GError **error)
{
  g_autoptr (CrUser) user = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *now = NULL;
  g_autofree char *digest = NULL;
  guint8 secret[TOKEN_BYTES];
  char hex[TOKEN_BYTES * 2 + 1];
  char *token;

  g_return_val_if_fail (users != NULL && users->writable && name != NULL, NULL);

  user = cr_users_get (users, name, NULL, error);
  if (user == NULL)
    return NULL;
  if (sodium_init () < 0)
    {
      g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_FAILED,
                           "libsodium could not start: no random numbers for a token");
      return NULL;
    }
  randombytes_buf (secret, sizeof secret);
  sodium_bin2hex (hex, sizeof hex, secret, sizeof secret);
  sodium_memzero (secret, sizeof secret);
  token = g_strconcat (TOKEN_PREFIX, hex, NULL);
  sodium_memzero (hex, sizeof hex);
  digest = token_digest (token);
  now = cr_format_utc (g_get_real_time ());
  stmt = prepare (users, "INSERT INTO tokens (user, sha256, created_at) VALUES (?, ?, ?)", error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, digest, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, now, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_DONE)
        {
          if (token_id != NULL)
            *token_id = sqlite3_last_insert_rowid (users->db);
          return token;
        }
      sql_failed (users, "store the token", error);
    }
  sodium_memzero (token, strlen (token));
  g_free (token);
  return NULL;
}

gint
cr_users_revoke_tokens (CrUsers *users, const char *name, gint64 token_id, GError **error)
{
  g_autoptr (CrUser) user = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *now = NULL;
  gint changed;

  g_return_val_if_fail (users != NULL && users->writable && name != NULL, -1);

  user = cr_users_get (users, name, NULL, error);
  if (user == NULL)
    return -1;
  now = cr_format_utc (g_get_real_time ());
  stmt = prepare (users, token_id > 0
                           ? "UPDATE tokens SET revoked_at = ? WHERE user = ? AND "
                             "revoked_at IS NULL AND id = ?"
                           : "UPDATE tokens SET revoked_at = ? WHERE user = ? AND "
                             "revoked_at IS NULL",
                  error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  if (token_id > 0)
    sqlite3_bind_int64 (stmt, 3, token_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sql_failed (users, "revoke the token", error);
      return -1;
    }
  changed = sqlite3_changes (users->db);
  if (token_id > 0 && changed == 0)
    {
      g_set_error (error, CR_USERS_ERROR, CR_USERS_ERROR_NOT_FOUND,
                   "User \"%s\" has no token %" G_GINT64_FORMAT " in force", name, token_id);
      return -1;
    }
  return changed;
}

CrUser *
cr_users_find_token (CrUsers *users, const char *token, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *digest = NULL;
  int rc;

  g_return_val_if_fail (users != NULL && token != NULL, NULL);

  if (!g_str_has_prefix (token, TOKEN_PREFIX) || !ready (users, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_NOT_FOUND,
                             "Not an account's token");
      return NULL;
    }
  digest = token_digest (token);
  stmt = prepare (users, "SELECT " USER_COLUMNS " FROM users JOIN tokens ON tokens.user = "
                         "users.name WHERE tokens.sha256 = ? AND tokens.revoked_at IS NULL",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, digest, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return user_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error_literal (error, CR_USERS_ERROR, CR_USERS_ERROR_NOT_FOUND,
                         "No token in force is this one");
  else
    sql_failed (users, "look the token up", error);
  return NULL;
}

GArray *
cr_users_list_tokens (CrUsers *users, const char *name, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (users != NULL && name != NULL, NULL);

  if (!ready (users, error))
    return NULL;
  stmt = prepare (users, "SELECT id FROM tokens WHERE user = ? AND revoked_at IS NULL "
                         "ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (rc != SQLITE_DONE)
    {
      sql_failed (users, "list the tokens", error);
      return NULL;
    }
  return g_steal_pointer (&ids);
}
