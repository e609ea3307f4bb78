/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* terminal.h: how the client writes: exit codes, escaped messages and
 * paths, errors on stderr, JSON and tables for a terminal. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

enum {
  EXIT_OK = 0,
  EXIT_RUNTIME = 1,
  EXIT_USAGE = 2,
  EXIT_INTEGRITY = 3,
};

#define PATH_MAX_CHARS 4096
/* The most of a message (the daemon's, a library's) shown on a terminal. */
#define MESSAGE_MAX_CHARS 1000

char *terminal_message (const char *message);
char *shown_path (const char *path);
int G_GNUC_PRINTF (2, 3) fail (int code, const char *format, ...);
char *escape_in_document (const char *text, gboolean html);
void print_json_text (const char *json);
void print_json (JsonNode *node);
void add_string_or_null (JsonBuilder *builder, const char *name, const char *value);
void print_table (GPtrArray *rows);
char *format_time_or_dash (gint64 utc_us);
char *format_duration (gint64 seconds);
gint64 seconds_since (const char *iso);

G_END_DECLS
