/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-config.c: cr_config_load() on any file. The input is written to a
 * memfd and loaded through /proc/self/fd/N as courtrecd -c would load a
 * file: a regular file, and nothing left on disk by a crash. Beyond
 * what ASan and UBSan catch, it checks:
 *   - a config or an error, never both, never neither; the error in the
 *     config domain;
 *   - the message is UTF-8 without control characters other than a
 *     newline or a tab: courtrecd prints it as it is to a terminal or the
 *     journal, and a config's text must not forge a line there or move the
 *     cursor (config/text.h);
 *   - a loaded config holds what config.h promises: a camera and a
 *     microphone, absolute paths, every value in its range. */
#define _GNU_SOURCE
#include <glib.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz-log.h"
#include "config/config.h"

static int config_fd = -1;
static char *config_path;


int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  config_fd = memfd_create ("room.conf", MFD_CLOEXEC);
  CHECK (config_fd >= 0, "memfd_create: %s", g_strerror (errno));
  config_path = g_strdup_printf ("/proc/self/fd/%d", config_fd);
  return 0;
}

static void
write_config (const uint8_t *data, size_t size)
{
  off_t offset = 0;

  CHECK (ftruncate (config_fd, 0) == 0, "ftruncate: %s", g_strerror (errno));
  while ((size_t) offset < size)
    {
      ssize_t written = pwrite (config_fd, data + offset, size - (size_t) offset, offset);
      CHECK (written > 0, "cannot write %s: %s", config_path, g_strerror (errno));
      offset += written;
    }
}

static void
check_message (const char *message)
{
  CHECK (g_utf8_validate (message, -1, NULL), "the message is not UTF-8: %s", message);
  for (const char *p = message; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      CHECK (c == '\n' || c == '\t' || !g_unichar_iscntrl (c),
             "the message holds control character U+%04X: %s", c, message);
    }
}

static void
check_input (const CrInputConfig *input, const char *kind)
{
  CHECK (input->name != NULL && input->name[0] != '\0', "a %s without a name", kind);
  CHECK (input->label != NULL, "%s %s has no label", kind, input->name);
  CHECK (g_utf8_validate (input->label, -1, NULL), "%s %s: label not UTF-8", kind,
         input->name);
  if (input->source.kind == CR_SOURCE_FILE)
    CHECK (g_path_is_absolute (input->source.location), "%s %s: file source %s not absolute",
           kind, input->name, input->source.location);
}

static void
check_config (const CrConfig *config)
{
  CHECK (config->room_id != NULL && config->room_name != NULL && config->court != NULL,
         "[room] incomplete");
  CHECK (config->storage_dir != NULL && g_path_is_absolute (config->storage_dir),
         "storage dir %s", config->storage_dir);
  CHECK (config->token_file != NULL && g_path_is_absolute (config->token_file),
         "token file %s", config->token_file);
  CHECK (config->key_file != NULL && g_path_is_absolute (config->key_file),
         "key file %s", config->key_file);
  CHECK (config->cameras->len > 0 && config->microphones->len > 0,
         "%u cameras, %u microphones", config->cameras->len, config->microphones->len);
  CHECK (config->width % 2 == 0 && config->height % 2 == 0 && config->width > 0 &&
         config->height > 0, "picture %ux%u", config->width, config->height);
  CHECK (config->framerate > 0, "framerate %u", config->framerate);
  CHECK (config->segment_seconds > 0, "segment_seconds %u", config->segment_seconds);
  CHECK (config->api_host != NULL && config->api_port > 0, "[api] listen");
  for (guint i = 0; i < config->cameras->len; i++)
    check_input (g_ptr_array_index (config->cameras, i), "camera");
  for (guint i = 0; i < config->microphones->len; i++)
    check_input (g_ptr_array_index (config->microphones, i), "microphone");
  for (guint i = 0; i < config->streams->len; i++)
    {
      const CrStreamConfig *stream = g_ptr_array_index (config->streams, i);
      guint width = 0, height = 0, bitrate = 0;

      CHECK (stream->name != NULL && stream->url != NULL, "a stream without name or URL");
      CHECK (stream->delay_seconds <= 300, "stream %s delay %u", stream->name,
             stream->delay_seconds);
      CHECK (stream->height <= config->height, "stream %s height %u", stream->name,
             stream->height);
      CHECK (stream->key_file == NULL || g_path_is_absolute (stream->key_file),
             "stream %s key file %s", stream->name, stream->key_file);
      if (cr_stream_own_profile (config, stream, &width, &height, &bitrate))
        CHECK (width > 0 && height > 0 && bitrate > 0, "stream %s profile %ux%u %u kbit/s",
               stream->name, width, height, bitrate);
    }
  CHECK (config->hls_delay_seconds <= 300, "[live] delay %u", config->hls_delay_seconds);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = NULL;

  write_config (data, size);
  config = cr_config_load (config_path, &error);
  CHECK ((config == NULL) != (error == NULL),
         "a config and an error must not come together, nor be both missing");
  if (config == NULL)
    {
      CHECK (error->domain == CR_CONFIG_ERROR, "error %s:%d",
             g_quark_to_string (error->domain), error->code);
      check_message (error->message);
      return 0;
    }
  check_config (config);
  return 0;
}
