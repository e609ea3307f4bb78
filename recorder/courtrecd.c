/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* courtrecd: the capture daemon of one courtroom.
 *
 *   courtrecd -c /etc/courtrec/ROOM.conf [--check-config]
 *
 * Exit codes: 0 after a clean stop, 1 on a runtime failure, 2 on a bad
 * command line or configuration (for --check-config, also a device key
 * that cannot be used). */
#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "archive/device-key.h"
#include "config/archive-secret.h"
#include "config/config.h"
#include "config/text.h"
#include "pipelines/capture.h"
#include "recorder/api-server.h"
#include "recorder/http-server.h"
#include "recorder/log-writer.h"
#include "recorder/public-server.h"
#include "recorder/recorder.h"

#define SHUTDOWN_TIMEOUT_MS 8000

/* Descriptors kept for the recording itself: GStreamer's pipelines and
 * their threads' eventfds, devices, sockets of network inputs and
 * outputs, segment files, the index and its WAL. A reference courtroom
 * uses about 60; this leaves room for many inputs and outputs. */
#define RECORDER_DESCRIPTORS 512
/* What one http-server.c may hold beyond its cap: refused clients being
 * drained (MAX_LINGERING there) and listening sockets. */
#define MAX_LINGERING_PER_SERVER 72

typedef struct {
  GMainLoop *loop;
  CrRecorder *recorder;
  gboolean stopping;
  char *last_status;
  guint sources[3];             /* SIGTERM, SIGINT, watchdog: they read recorder */
} Daemon;

static void
shutdown_done (gpointer user_data)
{
  Daemon *daemon = user_data;
  g_main_loop_quit (daemon->loop);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  Daemon *daemon = user_data;

  if (daemon->stopping)
    return G_SOURCE_CONTINUE;
  daemon->stopping = TRUE;
  g_message ("Stopping: finishing the open segment");
  sd_notify (0, "STOPPING=1\nSTATUS=finishing the open segment");
  cr_recorder_shutdown (daemon->recorder, SHUTDOWN_TIMEOUT_MS, shutdown_done, daemon);
  return G_SOURCE_CONTINUE;
}

/* Vouch for ourselves only while capture delivers: a stuck pipeline gets
 * us restarted by systemd, and the restart resumes the session. */
static gboolean
on_watchdog (gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autofree char *status = cr_recorder_describe (daemon->recorder);

  if (cr_recorder_is_healthy (daemon->recorder))
    sd_notify (0, "WATCHDOG=1");
  else
    g_warning ("Capture has delivered no video for a while; not feeding the watchdog");
  if (g_strcmp0 (status, daemon->last_status) != 0)
    {
      g_autofree char *line = g_strdup_printf ("STATUS=%s", status);
      sd_notify (0, line);
      g_free (daemon->last_status);
      daemon->last_status = g_steal_pointer (&status);
    }
  return G_SOURCE_CONTINUE;
}

/* Whether every stream key and archive key file of @config can be read
 * and holds a key; the first that cannot is the error. Each is wiped at
 * once: a check holds no secret. */
static gboolean
secrets_readable (const CrConfig *config, GError **error)
{
  for (guint i = 0; i < config->streams->len; i++)
    {
      const CrStreamConfig *stream = g_ptr_array_index (config->streams, i);
      g_autofree char *key = cr_config_load_stream_key (stream, error);

      if (key == NULL)
        return FALSE;
      explicit_bzero (key, strlen (key));
    }
  for (guint i = 0; i < config->archives->len; i++)
    {
      g_autofree char *access = NULL;
      g_autofree char *secret = NULL;

      if (!cr_config_load_archive_keys (g_ptr_array_index (config->archives, i), &access,
                                        &secret, error))
        return FALSE;
      explicit_bzero (access, strlen (access));
      explicit_bzero (secret, strlen (secret));
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean check_config = FALSE;
  gboolean version = FALSE;
  g_autofree char *reference_file = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "The courtroom's configuration file", "FILE" },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
      "Validate the configuration and exit", NULL },
    { "print-reference-pipeline", 0, 0, G_OPTION_ARG_FILENAME, &reference_file,
      "Print the capture pipeline as a gst-launch-1.0 description that records "
      "into FILE (for benchmarks), and exit", "FILE" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("- record one courtroom");
  g_autoptr (GError) error = NULL;
  g_autoptr (CrConfig) config = NULL;
  g_autoptr (CrRecorder) recorder = NULL;
  g_autoptr (CrApiServer) api = NULL;
  g_autoptr (CrPublicServer) public_server = NULL;
  guint http_budget;
  g_autofree char *token = NULL;
  Daemon daemon = { 0 };
  guint64 watchdog_us = 0;

  setlocale (LC_ALL, "");
  /* Before anything is logged: the journal's fields, or key=value text. */
  g_log_set_writer_func (cr_log_writer, NULL, NULL);
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      fprintf (stderr, "courtrecd: %s (see courtrecd --help)\n", cr_text_shown (error->message));
      return 2;
    }
  if (version)
    {
      printf ("courtrecd %s\n", COURTREC_VERSION);
      return 0;
    }
  if (config_path == NULL || argc > 1)
    {
      fprintf (stderr, "courtrecd: usage: courtrecd -c FILE [--check-config]\n");
      return 2;
    }

  config = cr_config_load (config_path, &error);
  if (config == NULL)
    {
      fprintf (stderr, "courtrecd: %s\n", error->message);
      return 2;
    }
  cr_log_set_room (config->room_id);
  if (check_config)
    {
      g_autofree char *public_page = config->public_host != NULL
        ? g_strdup_printf ("public page on %s:%u", config->public_host, config->public_port)
        : g_strdup ("no public page");
      gboolean key_missing = FALSE;

      /* The daemon records without a usable key, but seals nothing: for a
       * check, that is a configuration that does not work. */
      if (!cr_device_key_check (config->key_file, &key_missing, &error))
        {
          fprintf (stderr, "courtrecd: %s: [storage] key_file: %s\n",
                   cr_text_shown (config->path), cr_text_shown (error->message));
          return 2;
        }
      /* A stream or an archive whose key cannot be read runs without it
       * (an alarm, the recording goes on): for a check, and above all for
       * a field unit checked before it leaves, that does not work. */
      if (!secrets_readable (config, &error))
        {
          fprintf (stderr, "courtrecd: %s: %s\n", cr_text_shown (config->path),
                   cr_text_shown (error->message));
          return 2;
        }
      /* The daemon would refuse to start without them (exit 2 too). */
      for (guint i = 0; i < config->webhooks->len; i++)
        {
          const CrWebhookConfig *webhook = g_ptr_array_index (config->webhooks, i);
          g_autofree char *secret = cr_config_load_webhook_secret (webhook, &error);

          if (secret == NULL)
            {
              fprintf (stderr, "courtrecd: %s: %s\n", cr_text_shown (config->path),
                       cr_text_shown (error->message));
              return 2;
            }
          explicit_bzero (secret, strlen (secret));
        }
      printf ("%s: valid: room %s (%s, %s), %u camera(s), %u microphone(s), "
              "storage %s, API on %s:%u, %s, device key %s%s\n", cr_text_shown (config->path),
              cr_text_shown (config->room_id), cr_text_shown (config->room_name),
              cr_text_shown (config->court), config->cameras->len,
              config->microphones->len, cr_text_shown (config->storage_dir),
              cr_text_shown (config->api_host), config->api_port, public_page,
              cr_text_shown (config->key_file), key_missing ? " (made at first start)" : "");
      return 0;
    }

  if (reference_file != NULL)
    {
      g_autofree char *description = cr_capture_describe (config, reference_file);
      printf ("%s\n", description);
      return 0;
    }

  gst_init (&argc, &argv);

  token = cr_config_load_token (config, TRUE, &error);
  if (token == NULL)
    {
      fprintf (stderr, "courtrecd: %s\n", error->message);
      return 2;
    }

  recorder = cr_recorder_new (config, &error);
  if (recorder == NULL)
    {
      fprintf (stderr, "courtrecd: %s\n", cr_text_shown (error->message));
      /* A stream's key file or URL is the config's fault: not restarted. */
      return g_error_matches (error, CR_RECORDER_ERROR, CR_RECORDER_ERROR_INVALID) ? 2 : 1;
    }
  /* The HTTP listeners share what the recorder can spare: its segment
   * files, index, devices and pipelines keep RECORDER_DESCRIPTORS. */
  http_budget = cr_http_descriptor_budget (RECORDER_DESCRIPTORS);
  if (http_budget < config->api_max_connections + 2 * MAX_LINGERING_PER_SERVER)
    {
      fprintf (stderr, "courtrecd: too few file descriptors: %u for the HTTP listeners once %u "
               "are kept for the recording; raise LimitNOFILE (the unit sets 65536)\n",
               http_budget, RECORDER_DESCRIPTORS);
      return 1;
    }
  http_budget -= 2 * MAX_LINGERING_PER_SERVER;
  api = cr_api_server_new (recorder, config->api_host, config->api_port, token,
                           MIN (config->api_max_connections, http_budget), &error);
  g_clear_pointer (&token, g_free);
  if (api == NULL)
    {
      fprintf (stderr, "courtrecd: %s\n", cr_text_shown (error->message));
      return 1;
    }
  cr_api_server_enable_accounts (api, config->users_path, config->room_id,
                                 config->login_idle_minutes * 60,
                                 config->login_max_hours * 3600, NULL);
  if (config->public_host != NULL)
    {
      guint spare = http_budget - MIN (config->api_max_connections, http_budget);
      if (spare < config->public_max_connections)
        g_warning ("[public] max_connections = %u: only %u descriptors are free for it; "
                   "capped at %u (raise LimitNOFILE)", config->public_max_connections, spare,
                   spare);
      public_server = spare > 0 ? cr_public_server_new (recorder, spare, &error) : NULL;
      if (public_server == NULL && error != NULL)
        {
          fprintf (stderr, "courtrecd: %s\n", cr_text_shown (error->message));
          return 1;
        }
    }
  if (public_server != NULL)
    cr_metrics_add_listener (cr_api_server_get_metrics (api),
                             cr_public_server_get_http (public_server));
  if (!cr_recorder_run (recorder, &error))
    {
      fprintf (stderr, "courtrecd: %s\n", cr_text_shown (error->message));
      return 1;
    }

  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.recorder = recorder;
  daemon.sources[0] = g_unix_signal_add (SIGTERM, on_stop_signal, &daemon);
  daemon.sources[1] = g_unix_signal_add (SIGINT, on_stop_signal, &daemon);

  if (sd_watchdog_enabled (0, &watchdog_us) > 0)
    daemon.sources[2] = g_timeout_add (MAX (watchdog_us / 2000, 100), on_watchdog, &daemon);
  else
    daemon.sources[2] = g_timeout_add_seconds (5, on_watchdog, &daemon);
  sd_notify (0, "READY=1\nSTATUS=standby");
  g_message ("Room %s (%s) ready: API on http://%s:%u/api/v1/, recordings in %s",
             cr_text_shown (config->room_id), cr_text_shown (config->room_name),
             cr_text_shown (config->api_host), config->api_port,
             cr_text_shown (config->storage_dir));
  if (public_server != NULL)
    g_message ("Public live page on http://%s:%u/live/", cr_text_shown (config->public_host),
               config->public_port);
  else
    g_message ("No [public] listen: the public live page is not served");

  g_main_loop_run (daemon.loop);

  /* The signal handlers and the watchdog read the recorder: gone before
   * it, like the listeners, so that no command or viewer arrives while the
   * recorder goes. */
  for (guint i = 0; i < G_N_ELEMENTS (daemon.sources); i++)
    g_clear_handle_id (&daemon.sources[i], g_source_remove);
  if (public_server != NULL)
    cr_metrics_remove_listener (cr_api_server_get_metrics (api),
                                cr_public_server_get_http (public_server));
  g_clear_pointer (&public_server, cr_public_server_free);
  g_clear_pointer (&api, cr_api_server_free);
  g_clear_pointer (&recorder, cr_recorder_free);
  g_main_loop_unref (daemon.loop);
  g_free (daemon.last_status);
  g_message ("Stopped");
  return 0;
}
