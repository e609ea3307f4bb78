/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-metrics.c: see test-util-metrics.h. */
#include "tests/test-util-metrics.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "recorder/metrics.h"

struct CrTestPrometheus {
  char *dir;
  guint16 port;
  GSubprocess *process;
};

guint
cr_test_http_auth (guint16 port, const char *method, const char *path,
                   const char *authorization, char **content_type, char **body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) message = soup_message_new (method, uri);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (message);
  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                  authorization);
  reply = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  if (content_type != NULL)
    *content_type = g_strdup (soup_message_headers_get_one (
        soup_message_get_response_headers (message), "Content-Type"));
  if (body != NULL)
    *body = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  return soup_message_get_status (message);
}

void
cr_test_promtool_check_metrics (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) promtool = NULL;
  g_autofree char *out = NULL;

  promtool = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                               "promtool", "check", "metrics", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (promtool, text, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (promtool) || g_subprocess_get_exit_status (promtool) != 0)
    g_error ("promtool check metrics refused the exposition: %s\n%s", out, text);
}

CrTestScrape *
cr_test_scrape_parse (const char *text)
{
  CrTestScrape *scrape = g_new0 (CrTestScrape, 1);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  cr_test_promtool_check_metrics (text);
  scrape->text = g_strdup (text);
  scrape->samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scrape->families = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *space;
      double *value;
      char *end = NULL;

      if (*line == '\0')
        continue;
      if (g_str_has_prefix (line, "# TYPE "))
        {
          g_auto (GStrv) words = g_strsplit (line + strlen ("# TYPE "), " ", 2);
          g_assert_nonnull (words[1]);
          g_assert_false (g_hash_table_contains (scrape->families, words[0]));
          g_hash_table_insert (scrape->families, g_strdup (words[0]), g_strdup (words[1]));
          continue;
        }
      if (*line == '#')
        continue;
      /* The value is the last word (courtrecd writes no timestamp). */
      space = strrchr (line, ' ');
      g_assert_nonnull (space);
      {
        g_autofree char *series = g_strndup (line, space - line);

        value = g_new (double, 1);
        *value = g_ascii_strtod (space + 1, &end);
        g_assert_true (end != NULL && *end == '\0');
        if (g_hash_table_contains (scrape->samples, series))
          g_error ("series twice in a scrape: %s", series);
        g_hash_table_insert (scrape->samples, g_steal_pointer (&series), value);
      }
    }
  return scrape;
}

CrTestScrape *
cr_test_scrape (CrTestRoom *room)
{
  g_autofree char *auth = g_strdup_printf ("Bearer %s", room->token);
  g_autofree char *type = NULL;
  g_autofree char *body = NULL;

  g_assert_cmpuint (cr_test_http_auth (room->port, "GET", "/metrics", auth, &type, &body), ==, 200);
  g_assert_cmpstr (type, ==, CR_METRICS_CONTENT_TYPE);
  return cr_test_scrape_parse (body);
}

gboolean
cr_test_scrape_has (CrTestScrape *scrape, const char *series)
{
  return g_hash_table_contains (scrape->samples, series);
}

double
cr_test_scrape_value (CrTestScrape *scrape, const char *series)
{
  double *value = g_hash_table_lookup (scrape->samples, series);

  if (value == NULL)
    g_error ("no series %s in the scrape:\n%s", series, scrape->text);
  return *value;
}

void
cr_test_scrape_free (CrTestScrape *scrape)
{
  if (scrape == NULL)
    return;
  g_free (scrape->text);
  g_hash_table_unref (scrape->samples);
  g_hash_table_unref (scrape->families);
  g_free (scrape);
}

void
cr_test_promql_metric_names (const char *expr, GHashTable *names)
{
  g_autoptr (GRegex) regex = g_regex_new ("\\bcourtrec_[a-z0-9_]+", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  g_regex_match (regex, expr, 0, &match);
  while (g_match_info_matches (match))
    {
      g_hash_table_add (names, g_match_info_fetch (match, 0));
      g_match_info_next (match, NULL);
    }
}

/* --- a real Prometheus ------------------------------------------------------- */

/* The query's result, or NULL while it has none. (transfer full) */
static JsonArray *
query (CrTestPrometheus *prometheus, const char *promql)
{
  g_autofree char *escaped = g_uri_escape_string (promql, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/query?query=%s", escaped);
  g_autofree char *body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *result;

  if (cr_test_http_auth (prometheus->port, "GET", path, NULL, NULL, &body) != 200)
    g_error ("Prometheus refused the query %s: %s", promql, body);
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "status"), ==, "success");
  result = json_object_get_array_member (json_object_get_object_member (root, "data"), "result");
  return json_array_get_length (result) > 0 ? json_array_ref (result) : NULL;
}

gboolean
cr_test_prometheus_wait (CrTestPrometheus *prometheus, const char *promql, double value,
                         double timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  do
    {
      g_autoptr (JsonArray) result = query (prometheus, promql);
      gboolean all = result != NULL;

      for (guint i = 0; all && i < json_array_get_length (result); i++)
        {
          JsonArray *sample = json_object_get_array_member (
              json_array_get_object_element (result, i), "value");
          all = g_ascii_strtod (json_array_get_string_element (sample, 1), NULL) == value;
        }
      if (all)
        return TRUE;
      g_usleep (G_USEC_PER_SEC / 5);
    }
  while (g_get_monotonic_time () < deadline);
  g_test_message ("Prometheus: %s never gave %g", promql, value);
  return FALSE;
}

guint
cr_test_prometheus_count (CrTestPrometheus *prometheus, const char *promql)
{
  g_autoptr (JsonArray) result = query (prometheus, promql);
  return result != NULL ? json_array_get_length (result) : 0;
}

/* Every rule of every group evaluated and healthy; FALSE while one is
 * not evaluated yet, an error if one failed. */
static gboolean
rules_evaluated (gpointer data)
{
  CrTestPrometheus *prometheus = data;
  g_autofree char *body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *groups;
  guint rules = 0;

  g_assert_cmpuint (cr_test_http_auth (prometheus->port, "GET", "/api/v1/rules", NULL, NULL,
                                       &body), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  groups = json_object_get_array_member (
      json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "data"),
      "groups");
  for (guint g = 0; g < json_array_get_length (groups); g++)
    {
      JsonArray *list = json_object_get_array_member (json_array_get_object_element (groups, g),
                                                      "rules");
      for (guint r = 0; r < json_array_get_length (list); r++)
        {
          JsonObject *rule = json_array_get_object_element (list, r);
          const char *health = json_object_get_string_member (rule, "health");

          if (g_strcmp0 (health, "err") == 0)
            g_error ("Prometheus: rule %s fails: %s", json_object_get_string_member (rule, "name"),
                     json_object_get_string_member_with_default (rule, "lastError", ""));
          if (g_strcmp0 (health, "ok") != 0)
            return FALSE;
          rules++;
        }
    }
  return rules > 0;
}

gboolean
cr_test_prometheus_rules_ok (CrTestPrometheus *prometheus, double timeout_s)
{
  return cr_test_wait_until (rules_evaluated, prometheus, (guint) (timeout_s * 1000));
}

static gboolean
prometheus_ready (gpointer data)
{
  CrTestPrometheus *prometheus = data;

  g_assert_nonnull (g_subprocess_get_identifier (prometheus->process));
  return cr_test_port_answers (prometheus->port) &&
         cr_test_http_auth (prometheus->port, "GET", "/-/ready", NULL, NULL, NULL) == 200;
}

CrTestPrometheus *
cr_test_prometheus_new (const char *dir, const char *scrape_configs, const char *rule_file)
{
  CrTestPrometheus *prometheus = g_new0 (CrTestPrometheus, 1);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *storage = NULL;
  g_autofree char *listen = NULL;
  g_autoptr (GError) error = NULL;

  prometheus->dir = g_strdup (dir);
  prometheus->port = cr_test_free_port ();
  config_path = g_build_filename (dir, "prometheus.yml", NULL);
  log_path = g_build_filename (dir, "prometheus.log", NULL);
  storage = g_build_filename (dir, "prometheus-data", NULL);
  config = g_strdup_printf ("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                            "  evaluation_interval: 1s\n"
                            "%s%s%s"
                            "scrape_configs:\n%s",
                            rule_file ? "rule_files:\n  - '" : "", rule_file ? rule_file : "",
                            rule_file ? "'\n" : "", scrape_configs);
  g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
  listen = g_strdup_printf ("--web.listen-address=127.0.0.1:%u", prometheus->port);

  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, cr_test_child_setup, NULL, NULL);
  {
    g_autofree char *config_arg = g_strdup_printf ("--config.file=%s", config_path);
    g_autofree char *storage_arg = g_strdup_printf ("--storage.tsdb.path=%s", storage);
    prometheus->process = g_subprocess_launcher_spawn (launcher, &error, "prometheus", config_arg,
                                                       storage_arg, listen, "--log.level=warn",
                                                       NULL);
  }
  g_assert_no_error (error);
  if (!cr_test_wait_until (prometheus_ready, prometheus, 20000))
    {
      g_autofree char *log = NULL;
      g_file_get_contents (log_path, &log, NULL, NULL);
      g_error ("prometheus did not become ready:\n%s", log);
    }
  return prometheus;
}

void
cr_test_prometheus_free (CrTestPrometheus *prometheus)
{
  if (prometheus == NULL)
    return;
  if (prometheus->process != NULL && g_subprocess_get_identifier (prometheus->process) != NULL)
    {
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      g_subprocess_send_signal (prometheus->process, SIGTERM);
      while (g_subprocess_get_identifier (prometheus->process) != NULL &&
             g_get_monotonic_time () < deadline)
        g_usleep (20000);
      if (g_subprocess_get_identifier (prometheus->process) != NULL)
        g_subprocess_send_signal (prometheus->process, SIGKILL);
      g_subprocess_wait (prometheus->process, NULL, NULL);
    }
  g_clear_object (&prometheus->process);
  g_free (prometheus->dir);
  g_free (prometheus);
}
