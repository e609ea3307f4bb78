/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coverage-render.h: the recording-rate report (coverage.h) as the court
 * reads it: aligned text for a clerk, JSON (docs/coverage.md names every
 * member), CSV (RFC 4180, formula-safe, one row a hearing) and a
 * self-contained printable HTML page. All four come from the same report,
 * so they never disagree. */
#pragma once

#include "schedule/coverage.h"

G_BEGIN_DECLS

typedef enum {
  CR_COVERAGE_TEXT,
  CR_COVERAGE_JSON,
  CR_COVERAGE_CSV,
  CR_COVERAGE_HTML,
} CrCoverageFormat;

/* "txt", "json", "csv", "html": the nightly files' extensions. */
const char *cr_coverage_format_extension (CrCoverageFormat format);

/* @court heads the text and the page (may be NULL). (transfer full) */
char *cr_coverage_render (const CrCoverageReport *report, const char *court,
                          CrCoverageFormat format);

G_END_DECLS
