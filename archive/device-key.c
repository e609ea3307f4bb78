/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* device-key.c: see device-key.h. */
#include "archive/device-key.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/small-file.h"

/* The key file is one line of hex (a few hundred bytes); far more is not
 * a key, and a device such as /dev/zero must not be read forever. */
#define KEY_FILE_MAX_BYTES 4096

G_DEFINE_QUARK (cr-device-key-error-quark, cr_device_key_error)

struct CrDeviceKey {
  unsigned char secret[crypto_sign_SECRETKEYBYTES];
  char public_hex[crypto_sign_PUBLICKEYBYTES * 2 + 1];
};

static gboolean
start_sodium (GError **error)
{
  /* Idempotent and thread-safe; 1 means it was already done. */
  if (sodium_init () < 0)
    {
      g_set_error_literal (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_FAILED,
                           "libsodium could not be initialised");
      return FALSE;
    }
  return TRUE;
}

static char *
to_hex (const unsigned char *bytes, gsize length)
{
  char *hex = g_malloc (length * 2 + 1);

  sodium_bin2hex (hex, length * 2 + 1, bytes, length);
  return hex;
}

/* Exactly @length bytes from @hex, lowercase, nothing else. */
static gboolean
from_hex (const char *hex, unsigned char *bytes, gsize length)
{
  gsize decoded = 0;

  if (hex == NULL || strlen (hex) != length * 2)
    return FALSE;
  for (const char *p = hex; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return sodium_hex2bin (bytes, length, hex, length * 2, NULL, &decoded, NULL) == 0 &&
         decoded == length;
}

static char *
public_path (const char *path)
{
  return g_strconcat (path, ".pub", NULL);
}

static gboolean
write_public (const char *path, const char *public_hex, GError **error)
{
  g_autofree char *pub = public_path (path);
  g_autofree char *text = g_strconcat (public_hex, "\n", NULL);

  /* Readable by all: it is what auditors check signatures with. */
  if (!g_file_set_contents_full (pub, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0644, error))
    {
      g_prefix_error (error, "Could not write the public key: ");
      return FALSE;
    }
  return TRUE;
}

static CrDeviceKey *
parse_secret (const char *path, char *contents, GError **error)
{
  g_autoptr (CrDeviceKey) key = g_new0 (CrDeviceKey, 1);
  unsigned char public[crypto_sign_PUBLICKEYBYTES];

  g_strstrip (contents);
  if (!from_hex (contents, key->secret, sizeof key->secret))
    {
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_INVALID,
                   "Device key '%s' is malformed: expected one line of %u "
                   "lowercase hex digits", path,
                   (guint) sizeof key->secret * 2);
      return NULL;
    }
  crypto_sign_ed25519_sk_to_pk (public, key->secret);
  sodium_bin2hex (key->public_hex, sizeof key->public_hex, public, sizeof public);
  return g_steal_pointer (&key);
}

/* The key in the existing file @path (@st its stat): a FIFO, a device or a
 * directory is refused as such, before its mode is judged, and /dev/zero
 * is not read forever. (transfer full) */
static CrDeviceKey *
read_secret (const char *path, const GStatBuf *st, GError **error)
{
  g_autoptr (GError) read_error = NULL;
  CrDeviceKey *key;
  char *contents = NULL;
  gsize length = 0;

  if (!cr_small_file_read (path, "The device key", KEY_FILE_MAX_BYTES, &contents, &length,
                           &read_error))
    {
      /* In this module's domain: a caller tells "not a key file" from a
       * failing disk without knowing how the file is read. */
      g_set_error (error, CR_DEVICE_KEY_ERROR,
                   g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_INVAL)
                     ? CR_DEVICE_KEY_ERROR_INVALID : CR_DEVICE_KEY_ERROR_IO,
                   "Could not read the device key: %s", read_error->message);
      return NULL;
    }
  /* Like ssh with its keys: a signing key that others can read proves
   * nothing, so say so rather than sign with it. */
  if ((st->st_mode & 0077) != 0)
    {
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_INVALID,
                   "Device key '%s' may be read by others (mode %04o); it must "
                   "be readable by its owner only: chmod 600 '%s'", path,
                   (guint) (st->st_mode & 07777), path);
      sodium_memzero (contents, length);
      g_free (contents);
      return NULL;
    }

  key = parse_secret (path, contents, error);
  sodium_memzero (contents, length);
  g_free (contents);
  return key;
}

/* Makes a key at @path unless one appears there first. The key is written
 * in full to a file of its own and then linked into place: link(2) refuses
 * to replace an existing file, so of two processes starting at once one
 * wins and the other reads the winner's key; a crash leaves either no key
 * or a whole one. */
static gboolean
create_secret (const char *path, GError **error)
{
  unsigned char public[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret[crypto_sign_SECRETKEYBYTES];
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *temporary = g_strdup_printf ("%s.new-%d", path, (int) getpid ());
  char *text;
  gboolean written;
  int errnum = 0;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      errnum = errno;
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_IO,
                   "Could not create the directory '%s' for the device key: %s",
                   dir, g_strerror (errnum));
      return FALSE;
    }

  crypto_sign_keypair (public, secret);
  text = g_malloc (sizeof secret * 2 + 2);
  sodium_bin2hex (text, sizeof secret * 2 + 1, secret, sizeof secret);
  strcat (text, "\n");
  sodium_memzero (secret, sizeof secret);
  written = g_file_set_contents_full (temporary, text, -1,
                                      G_FILE_SET_CONTENTS_CONSISTENT |
                                      G_FILE_SET_CONTENTS_DURABLE,
                                      0600, error);
  sodium_memzero (text, strlen (text));
  g_free (text);
  if (!written)
    {
      g_prefix_error (error, "Could not write the device key: ");
      return FALSE;
    }

  if (link (temporary, path) != 0)
    errnum = errno;
  g_unlink (temporary);
  if (errnum != 0 && errnum != EEXIST)
    {
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_IO,
                   "Could not put the device key in place at '%s': %s", path,
                   g_strerror (errnum));
      return FALSE;
    }
  return TRUE;
}

CrDeviceKey *
cr_device_key_load (const char *path, gboolean create, GError **error)
{
  g_autoptr (CrDeviceKey) key = NULL;
  g_autofree char *written_public = NULL;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!start_sodium (error))
    return NULL;

  if (g_stat (path, &st) != 0)
    {
      int errnum = errno;
      if (errnum != ENOENT)
        {
          g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_IO,
                       "Could not read the device key '%s': %s", path,
                       g_strerror (errnum));
          return NULL;
        }
      if (!create)
        {
          g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_NOT_FOUND,
                       "No device key at '%s' (courtrecd makes it at first start)",
                       path);
          return NULL;
        }
      if (!create_secret (path, error) || g_stat (path, &st) != 0)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_IO,
                         "Could not read the device key '%s': %s", path,
                         g_strerror (errno));
          return NULL;
        }
    }

  key = read_secret (path, &st, error);
  if (key == NULL)
    return NULL;

  /* The .pub file is derived; put it (back) when it is missing or wrong,
   * as far as we may write there. */
  written_public = cr_device_key_read_public (path, NULL);
  if (g_strcmp0 (written_public, key->public_hex) != 0)
    {
      g_autoptr (GError) pub_error = NULL;
      if (!write_public (path, key->public_hex, &pub_error))
        g_warning ("%s", pub_error->message);
    }
  return g_steal_pointer (&key);
}

/* The nearest directory at or above @path that exists; NULL when @path is
 * under something that is not a directory. (transfer full) */
static char *
existing_ancestor (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  for (;;)
    {
      g_autofree char *parent = NULL;

      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&dir);
      if (g_file_test (dir, G_FILE_TEST_EXISTS))
        return NULL;
      parent = g_path_get_dirname (dir);
      if (g_str_equal (parent, dir))
        return NULL;
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }
}

gboolean
cr_device_key_check (const char *path, gboolean *missing, GError **error)
{
  g_autoptr (CrDeviceKey) key = NULL;
  g_autofree char *dir = NULL;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (missing != NULL)
    *missing = FALSE;
  if (!start_sodium (error))
    return FALSE;
  if (g_stat (path, &st) == 0)
    {
      key = read_secret (path, &st, error);
      return key != NULL;
    }
  /* ENOTDIR: missing too, under something that is not a directory. */
  if (errno != ENOENT && errno != ENOTDIR)
    {
      int errnum = errno;
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_IO,
                   "Could not read the device key '%s': %s", path, g_strerror (errnum));
      return FALSE;
    }

  /* Missing is usable when courtrecd can make it at its first start. */
  dir = existing_ancestor (path);
  if (dir == NULL)
    {
      g_autofree char *parent = g_path_get_dirname (path);
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_NOT_FOUND,
                   "No device key at '%s', and courtrecd cannot make one: '%s' is "
                   "under a file that is not a directory", path, parent);
      return FALSE;
    }
  if (access (dir, W_OK | X_OK) != 0)
    {
      int errnum = errno;
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_NOT_FOUND,
                   "No device key at '%s', and courtrecd cannot make one: the "
                   "directory '%s' is not writable (%s)", path, dir, g_strerror (errnum));
      return FALSE;
    }
  if (missing != NULL)
    *missing = TRUE;
  return TRUE;
}

void
cr_device_key_free (CrDeviceKey *key)
{
  if (key == NULL)
    return;
  sodium_memzero (key, sizeof *key);
  g_free (key);
}

const char *
cr_device_key_get_public_hex (const CrDeviceKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);
  return key->public_hex;
}

char *
cr_device_key_sign (const CrDeviceKey *key, const char *message)
{
  unsigned char signature[crypto_sign_BYTES];

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (message != NULL, NULL);

  crypto_sign_detached (signature, NULL, (const unsigned char *) message,
                        strlen (message), key->secret);
  return to_hex (signature, sizeof signature);
}

gboolean
cr_device_key_verify (const char *public_hex, const char *message,
                      const char *signature_hex)
{
  unsigned char public[crypto_sign_PUBLICKEYBYTES];
  unsigned char signature[crypto_sign_BYTES];

  if (message == NULL || !start_sodium (NULL))
    return FALSE;
  if (!from_hex (public_hex, public, sizeof public) ||
      !from_hex (signature_hex, signature, sizeof signature))
    return FALSE;
  return crypto_sign_verify_detached (signature, (const unsigned char *) message,
                                      strlen (message), public) == 0;
}

void
cr_device_key_sign_bytes (const CrDeviceKey *key, const guint8 *data, gsize length,
                          guint8 signature[64])
{
  G_STATIC_ASSERT (crypto_sign_BYTES == 64);
  g_return_if_fail (key != NULL);
  g_return_if_fail (data != NULL || length == 0);

  crypto_sign_detached (signature, NULL, data, length, key->secret);
}

gboolean
cr_device_key_verify_bytes (const char *public_hex, const guint8 *data, gsize length,
                            const guint8 signature[64])
{
  unsigned char public[crypto_sign_PUBLICKEYBYTES];

  if ((data == NULL && length > 0) || signature == NULL || !start_sodium (NULL))
    return FALSE;
  if (!from_hex (public_hex, public, sizeof public))
    return FALSE;
  return crypto_sign_verify_detached (signature, data, length, public) == 0;
}

char *
cr_device_key_read_public (const char *path, GError **error)
{
  g_autofree char *pub = NULL;
  g_autofree char *contents = NULL;
  unsigned char public[crypto_sign_PUBLICKEYBYTES];

  g_return_val_if_fail (path != NULL, NULL);

  pub = public_path (path);
  if (!cr_small_file_read (pub, "The public device key", KEY_FILE_MAX_BYTES, &contents, NULL,
                           NULL))
    {
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_NOT_FOUND,
                   "No public device key at '%s'", pub);
      return NULL;
    }
  g_strstrip (contents);
  if (!from_hex (contents, public, sizeof public))
    {
      g_set_error (error, CR_DEVICE_KEY_ERROR, CR_DEVICE_KEY_ERROR_INVALID,
                   "Public device key '%s' is malformed: expected %u lowercase "
                   "hex digits", pub, (guint) sizeof public * 2);
      return NULL;
    }
  return g_steal_pointer (&contents);
}
