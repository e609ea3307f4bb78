/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log-writer.c: see log-writer.h. */
#include "recorder/log-writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/text.h"

/* The fields a record may get from the context. */
#define CONTEXT_FIELDS 3

static GMutex context_lock;     /* protects what follows */
static char *context_room;
static char *context_session;
static char *context_case;

void
cr_log_set_room (const char *room_id)
{
  g_mutex_lock (&context_lock);
  g_free (context_room);
  context_room = g_strdup (room_id);
  g_mutex_unlock (&context_lock);
}

void
cr_log_set_session (gint64 session_id, const char *case_no)
{
  g_mutex_lock (&context_lock);
  g_clear_pointer (&context_session, g_free);
  g_clear_pointer (&context_case, g_free);
  if (session_id > 0)
    {
      context_session = g_strdup_printf ("%" G_GINT64_FORMAT, session_id);
      context_case = g_strdup (case_no);
    }
  g_mutex_unlock (&context_lock);
}

static gboolean
has_field (const GLogField *fields, gsize n_fields, const char *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, key))
      return TRUE;
  return FALSE;
}

static void
add_context (GLogField *all, gsize *n, const char *key, const char *value)
{
  if (value == NULL || has_field (all, *n, key))
    return;
  all[*n].key = key;
  all[*n].value = g_strdup (value);
  all[*n].length = -1;
  (*n)++;
}

/* @fields and the context's, in @all (n_fields + CONTEXT_FIELDS long);
 * returns how many; the context's values are copies, freed by
 * free_context (). */
static gsize
with_context (const GLogField *fields, gsize n_fields, GLogField *all)
{
  gsize n = n_fields;

  memcpy (all, fields, n_fields * sizeof *fields);
  g_mutex_lock (&context_lock);
  add_context (all, &n, "CR_ROOM", context_room);
  add_context (all, &n, "CR_SESSION", context_session);
  add_context (all, &n, "CR_CASE", context_case);
  g_mutex_unlock (&context_lock);
  return n;
}

static void
free_context (GLogField *all, gsize n_fields, gsize n)
{
  for (gsize i = n_fields; i < n; i++)
    g_free ((gpointer) all[i].value);
}

/* KEY=value, or KEY="value" for a value with a space or a quote. */
static void
append_field (GString *line, const GLogField *field)
{
  g_autofree char *shown = cr_text_escape (field->value, field->length, CR_TEXT_SHOWN_MAX);

  g_string_append_printf (line, " %s=", field->key);
  if (*shown != '\0' && strpbrk (shown, " \t\"=") == NULL)
    {
      g_string_append (line, shown);
      return;
    }
  g_string_append_c (line, '"');
  for (const char *p = shown; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (line, '\\');
      g_string_append_c (line, *p);
    }
  g_string_append_c (line, '"');
}

static char *
format_text (GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
  g_autofree char *text = g_log_writer_format_fields (level, fields, n_fields, FALSE);
  /* GLib starts a warning with a newline, to end a line left open on the
   * terminal: a log's line is a line. */
  GString *line = g_string_new (text + strspn (text, "\n"));

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_has_prefix (fields[i].key, "CR_") && fields[i].value != NULL)
      append_field (line, &fields[i]);
  return g_string_free (line, FALSE);
}

char *
cr_log_format_text (GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
  g_autofree GLogField *all = g_new (GLogField, n_fields + CONTEXT_FIELDS);
  gsize n = with_context (fields, n_fields, all);
  char *text = format_text (level, all, n);

  free_context (all, n_fields, n);
  return text;
}

static const char *
domain_of (const GLogField *fields, gsize n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      return fields[i].value;
  return NULL;
}

/* The levels G_DEBUG makes fatal (fatal-criticals, fatal-warnings), as
 * GLib's own writer has them: a structured record does not pass through
 * g_logv, which judges the others. */
static GLogLevelFlags
fatal_levels (void)
{
  static gsize levels = 0;

  if (g_once_init_enter (&levels))
    {
      const char *debug = g_getenv ("G_DEBUG");
      gsize found = G_LOG_FLAG_FATAL;

      if (debug != NULL && strstr (debug, "fatal-criticals") != NULL)
        found |= G_LOG_LEVEL_CRITICAL;
      if (debug != NULL && strstr (debug, "fatal-warnings") != NULL)
        found |= G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING;
      g_once_init_leave (&levels, found);
    }
  return (GLogLevelFlags) levels;
}

GLogWriterOutput
cr_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  GLogField all[n_fields + CONTEXT_FIELDS];
  GLogWriterOutput output;
  gsize n;

  /* GLib's rule: debug and info only for the domains G_MESSAGES_DEBUG names. */
  if (g_log_writer_default_would_drop (level, domain_of (fields, n_fields)))
    return G_LOG_WRITER_HANDLED;
  n = with_context (fields, n_fields, all);
  output = G_LOG_WRITER_UNHANDLED;
  if (g_log_writer_is_journald (fileno (stderr)))
    output = g_log_writer_journald (level, all, n, user_data);
  /* Not under systemd, or the journal would not take it: a line of text. */
  if (output == G_LOG_WRITER_UNHANDLED)
    {
      g_autofree char *line = format_text (level, all, n);

      /* One write: lines of two threads are not interleaved. */
      line = g_realloc (line, strlen (line) + 2);
      strcat (line, "\n");
      output = write (STDERR_FILENO, line, strlen (line)) >= 0 ? G_LOG_WRITER_HANDLED
                                                               : G_LOG_WRITER_UNHANDLED;
    }
  free_context (all, n_fields, n);
  if ((level & fatal_levels ()) != 0 && (level & G_LOG_LEVEL_ERROR) == 0)
    abort ();
  return output;
}
