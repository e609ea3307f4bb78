/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-log.h: what every fuzz target shares: its log writer, and CHECK()
 * for the invariants it asserts.
 *
 * A warning or a critical is a bug like any other (a g_return_if_fail()
 * tripped): abort, which libFuzzer catches and keeps the input of, where
 * GLib's own fatal handling raises SIGTRAP, which it does not. The rest
 * (debug, info, message) is dropped: it only slows the loop. */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

/* An invariant: broken, it says which and aborts (libFuzzer keeps the
 * input). */
#define CHECK(condition, ...)                                        \
  do                                                                 \
    {                                                                \
      if (!(condition))                                              \
        {                                                            \
          fprintf (stderr, "%s: %s: ", __FILE__, #condition);         \
          fprintf (stderr, __VA_ARGS__);                             \
          fputc ('\n', stderr);                                      \
          abort ();                                                  \
        }                                                            \
    }                                                                \
  while (0)

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_log_writer_standard_streams (level, fields, n_fields, data);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}
