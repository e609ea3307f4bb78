/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util-metrics.h: what the tests of /metrics and of the shipped
 * monitoring files share: a scrape, judged by promtool and parsed into its
 * series, and a real Prometheus server (Debian's) run by the test and
 * killed by PID. */
#pragma once

#include "tests/test-util.h"

G_BEGIN_DECLS

typedef struct {
  char *text;               /* the exposition as served */
  GHashTable *samples;      /* "name{labels}" as written -> double* */
  GHashTable *families;     /* name -> "counter", "gauge", ... (from # TYPE) */
} CrTestScrape;

/* GET /metrics with the room's token: asserts a 200 in the text format
 * 0.0.4, that `promtool check metrics` accepts it, and that no series is
 * there twice. (transfer full) */
CrTestScrape *cr_test_scrape (CrTestRoom *room);
/* Parses @text (asserting the same); for a scrape made otherwise. */
CrTestScrape *cr_test_scrape_parse (const char *text);
gboolean cr_test_scrape_has (CrTestScrape *scrape, const char *series);
/* The value of @series, e.g. courtrec_recording{room="r",state="paused"},
 * which must be there. */
double cr_test_scrape_value (CrTestScrape *scrape, const char *series);
void cr_test_scrape_free (CrTestScrape *scrape);

/* Any request to 127.0.0.1:@port with @authorization as the header's
 * whole value (NULL: none). Returns the status; @content_type and @body
 * may be NULL. */
guint cr_test_http_auth (guint16 port, const char *method, const char *path,
                         const char *authorization, char **content_type, char **body);

/* Asserts that `promtool check metrics` accepts @text. */
void cr_test_promtool_check_metrics (const char *text);

/* Every courtrec_* metric name that @expr (PromQL) names, added to @names
 * (a set of strings). */
void cr_test_promql_metric_names (const char *expr, GHashTable *names);

typedef struct CrTestPrometheus CrTestPrometheus;

/* Starts `prometheus` on a free port of 127.0.0.1 with its storage in
 * @dir, scraping and evaluating every second: @scrape_configs is the YAML
 * of the scrape_configs list's items, @rule_file NULL or a rules file.
 * Waits until it is ready. (transfer full) */
CrTestPrometheus *cr_test_prometheus_new (const char *dir, const char *scrape_configs,
                                          const char *rule_file);
/* Asks /api/v1/query until @query gives one series or more, each of value
 * @value, or @timeout_s passed. */
gboolean cr_test_prometheus_wait (CrTestPrometheus *prometheus, const char *query, double value,
                                  double timeout_s);
/* How many series @query gives now. */
guint cr_test_prometheus_count (CrTestPrometheus *prometheus, const char *query);
/* Waits until every rule of the rule file has been evaluated, each
 * without error (/api/v1/rules). */
gboolean cr_test_prometheus_rules_ok (CrTestPrometheus *prometheus, double timeout_s);
/* Kills it by PID (SIGTERM, then SIGKILL after 5 s) and waits. */
void cr_test_prometheus_free (CrTestPrometheus *prometheus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestScrape, cr_test_scrape_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestPrometheus, cr_test_prometheus_free)

G_END_DECLS
