/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-monitoring.c: the monitoring files courtrec ships (contrib/): the
 * Prometheus alert rules, checked and unit-tested with promtool, every
 * rule tested both firing and silent, and the Grafana dashboard, parsed
 * with json-glib: one row per room, and every metric that a rule or a
 * panel names is one a real courtrecd serves. */
#include <glib/gstdio.h>
#include <string.h>

#include "tests/test-util-metrics.h"

/* A room with every family /metrics has: two microphones, a live
 * destination (not started: no case is approved) and the public HLS. */
static CrTestScrape *
full_scrape (void)
{
  g_autofree char *extra = NULL;
  g_autofree char *key_file = NULL;
  g_autoptr (CrTestRoom) room = NULL;
  CrTestScrape *scrape;

  room = cr_test_room_new (60, NULL);
  key_file = g_build_filename (room->dir, "portal.key", NULL);
  g_assert_true (g_file_set_contents (key_file, "stream-key", -1, NULL));
  g_assert_cmpint (g_chmod (key_file, 0600), ==, 0);
  extra = g_strdup_printf ("[microphone clerk]\nsource = test:silence\nlabel = 书记员\n\n"
                           "[stream portal]\nurl = rtmp://127.0.0.1:%u/live\nkey_file = %s\n",
                           cr_test_free_port (), key_file);
  {
    g_autofree char *conf = NULL;
    g_autofree char *more = NULL;
    g_assert_true (g_file_get_contents (room->config_path, &conf, NULL, NULL));
    more = g_strconcat (conf, extra, NULL);
    g_assert_true (g_file_set_contents (room->config_path, more, -1, NULL));
  }
  cr_test_room_start (room);
  scrape = cr_test_scrape (room);
  /* The families the rules and panels may name are all there. */
  g_assert_true (g_hash_table_contains (scrape->families, "courtrec_destination_sent_bytes_total"));
  g_assert_true (g_hash_table_contains (scrape->families, "courtrec_disk_runway_seconds"));
  return scrape;
}

/* Every name in @names is a family of @scrape. */
static void
assert_served (GHashTable *names, CrTestScrape *scrape, const char *where)
{
  GHashTableIter iter;
  const char *name;

  g_assert_cmpuint (g_hash_table_size (names), >, 0);
  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    if (!g_hash_table_contains (scrape->families, name))
      g_error ("%s names %s, which /metrics does not serve", where, name);
}

static void
run_promtool (const char *dir, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) promtool = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  /* The test file names the rules file relative to itself. */
  g_subprocess_launcher_set_cwd (launcher, dir);
  promtool = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (promtool, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s %s %s: %s", argv[0], argv[1], argv[2], out);
  g_assert_true (g_subprocess_get_if_exited (promtool));
  g_assert_cmpint (g_subprocess_get_exit_status (promtool), ==, 0);
}

/* --- alert rules ------------------------------------------------------------- */

static void
test_alert_rules (void)
{
  g_autofree char *dir = cr_test_top_path ("contrib/prometheus");
  g_autofree char *rules_path = g_build_filename (dir, "courtrec-alerts.yml", NULL);
  g_autofree char *tests_path = g_build_filename (dir, "courtrec-alerts.test.yml", NULL);
  g_autofree char *rules_text = NULL;
  g_autofree char *tests_text = NULL;
  g_auto (GStrv) rule_lines = NULL;
  g_auto (GStrv) test_lines = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (CrTestScrape) scrape = NULL;
  guint alerts = 0;

  {
    const char *check[] = { "promtool", "check", "rules", "courtrec-alerts.yml", NULL };
    const char *unit[] = { "promtool", "test", "rules", "courtrec-alerts.test.yml", NULL };
    run_promtool (dir, check);
    run_promtool (dir, unit);
  }

  g_assert_true (g_file_get_contents (rules_path, &rules_text, NULL, NULL));
  g_assert_true (g_file_get_contents (tests_path, &tests_text, NULL, NULL));
  rule_lines = g_strsplit (rules_text, "\n", -1);
  test_lines = g_strsplit (tests_text, "\n", -1);

  /* Each alert is tested firing (exp_alerts with an alert under it) and
   * silent (exp_alerts: []): promtool passes a rule that no test names. */
  for (guint i = 0; rule_lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (rule_lines[i]);
      g_autofree char *wanted = NULL;
      guint firing = 0, silent = 0;

      if (g_str_has_prefix (line, "expr:"))
        cr_test_promql_metric_names (line + strlen ("expr:"), names);
      if (!g_str_has_prefix (line, "- alert: "))
        continue;
      alerts++;
      wanted = g_strdup_printf ("alertname: %s", line + strlen ("- alert: "));
      for (guint t = 0; test_lines[t] != NULL && test_lines[t + 1] != NULL; t++)
        {
          g_autofree char *here = g_strstrip (g_strdup (test_lines[t]));
          g_autofree char *next = g_strstrip (g_strdup (test_lines[t + 1]));

          if (!g_str_equal (here, wanted))
            continue;
          if (g_str_equal (next, "exp_alerts: []"))
            silent++;
          else if (g_str_equal (next, "exp_alerts:"))
            firing++;
        }
      g_test_message ("%s: %u firing, %u silent", wanted, firing, silent);
      g_assert_cmpuint (firing, >=, 1);
      g_assert_cmpuint (silent, >=, 1);
    }
  /* Recorder down, camera lost, microphone silent, disk runway, approved
   * stream down, seal unavailable. */
  g_assert_cmpuint (alerts, >=, 6);

  scrape = full_scrape ();
  assert_served (names, scrape, "courtrec-alerts.yml");
}

/* --- the dashboard ------------------------------------------------------------ */

typedef struct {
  GHashTable *names;
  guint panels;
  guint targets;
  guint repeated_rows;
} DashboardWalk;

static void
walk_panels (JsonArray *panels, DashboardWalk *walk)
{
  for (guint i = 0; i < json_array_get_length (panels); i++)
    {
      JsonObject *panel = json_array_get_object_element (panels, i);
      const char *type = json_object_get_string_member (panel, "type");
      const char *title = json_object_get_string_member (panel, "title");
      JsonArray *targets;

      g_assert_nonnull (title);
      if (g_strcmp0 (type, "row") == 0)
        {
          if (g_strcmp0 (json_object_get_string_member_with_default (panel, "repeat", ""),
                         "room") == 0)
            walk->repeated_rows++;
          if (json_object_has_member (panel, "panels"))
            walk_panels (json_object_get_array_member (panel, "panels"), walk);
          continue;
        }
      walk->panels++;
      targets = json_object_get_array_member (panel, "targets");
      g_assert_cmpuint (json_array_get_length (targets), >, 0);
      for (guint t = 0; t < json_array_get_length (targets); t++)
        {
          const char *expr = json_object_get_string_member (
              json_array_get_object_element (targets, t), "expr");
          g_autoptr (GHashTable) here = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                               NULL);
          GHashTableIter iter;
          gpointer name;

          g_assert_nonnull (expr);
          /* Each panel is of its row's room. */
          if (strstr (expr, "room=\"$room\"") == NULL)
            g_error ("panel \"%s\": %s is not of the row's room", title, expr);
          cr_test_promql_metric_names (expr, here);
          if (g_hash_table_size (here) == 0)
            g_error ("panel \"%s\": %s names no courtrec metric", title, expr);
          g_hash_table_iter_init (&iter, here);
          while (g_hash_table_iter_next (&iter, &name, NULL))
            g_hash_table_add (walk->names, g_strdup (name));
          walk->targets++;
        }
    }
}

static void
test_dashboard (void)
{
  g_autofree char *path = cr_test_top_path ("contrib/grafana/courtrec-dashboard.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTestScrape) scrape = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  DashboardWalk walk = { names, 0, 0, 0 };
  JsonObject *dashboard;
  JsonArray *variables;
  gboolean room_variable = FALSE;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  dashboard = json_node_get_object (json_parser_get_root (parser));
  g_assert_nonnull (json_object_get_string_member (dashboard, "title"));
  g_assert_nonnull (json_object_get_string_member (dashboard, "uid"));

  /* The rooms come from the recorders themselves. */
  variables = json_object_get_array_member (json_object_get_object_member (dashboard,
                                                                           "templating"), "list");
  for (guint i = 0; i < json_array_get_length (variables); i++)
    {
      JsonObject *variable = json_array_get_object_element (variables, i);
      JsonNode *query = json_object_get_member (variable, "query");
      const char *text;

      if (g_strcmp0 (json_object_get_string_member (variable, "name"), "room") != 0)
        continue;
      room_variable = TRUE;
      g_assert_true (json_object_get_boolean_member (variable, "multi"));
      g_assert_true (json_object_get_boolean_member (variable, "includeAll"));
      text = JSON_NODE_HOLDS_OBJECT (query)
               ? json_object_get_string_member (json_node_get_object (query), "query")
               : json_node_get_string (query);
      g_assert_true (g_str_has_prefix (text, "label_values("));
      g_assert_nonnull (strstr (text, ", room)"));
      cr_test_promql_metric_names (text, names);
    }
  g_assert_true (room_variable);

  walk_panels (json_object_get_array_member (dashboard, "panels"), &walk);
  g_test_message ("%u panels, %u queries, %u metrics", walk.panels, walk.targets,
                  g_hash_table_size (names));
  g_assert_cmpuint (walk.repeated_rows, ==, 1);
  g_assert_cmpuint (walk.panels, >=, 10);

  scrape = full_scrape ();
  assert_served (names, scrape, "courtrec-dashboard.json");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/monitoring/alert-rules", test_alert_rules);
  g_test_add_func ("/courtrec/monitoring/dashboard", test_dashboard);
  return g_test_run ();
}
