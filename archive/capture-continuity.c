/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capture-continuity.c: see capture-continuity.h.
 *
 * Threads: the watchdog thread writes tick_us and stopped_us (atomics);
 * everything else is touched by the caller of check/written/forget, one
 * thread at a time (the segment writer calls them under its lock). */
#include "archive/capture-continuity.h"

GST_DEBUG_CATEGORY_STATIC (cr_continuity_debug);
#define GST_CAT_DEFAULT cr_continuity_debug

#define WATCHDOG_PERIOD_US (100 * 1000)
/* The process did not run for this long: it was stopped. */
#define STOPPED_US (1000 * 1000)
/* After a stop, a picture this late was made up. */
#define CAPTURE_LATE_US (1000 * 1000)
/* A machine that stays too slow records late pictures rather than none. */
#define CATCH_UP_MAX_US (10 * G_USEC_PER_SEC)
#define CAPTURE_HOLE_NS GST_SECOND

struct CrCaptureContinuity {
  /* The watchdog, and what watchdog_lock protects (quit). */
  GThread *watchdog;
  GMutex watchdog_lock;
  GCond watchdog_cond;
  gboolean quit;
  gint64 tick_us;              /* atomic: monotonic time of its last wake-up */
  gint64 stopped_us;           /* atomic: monotonic end of the last stop it saw */

  gint64 stopped_seen_us;      /* stopped_us when last looked at */
  gboolean catching_up;        /* after a stop: late pictures are left out */
  gint64 catching_up_since_us;
  GstClockTime last_rt;        /* the last picture written; NONE after forget */
  GstClockTime last_duration;
  gint64 last_utc_us;
};

static gpointer
watchdog_thread (gpointer data)
{
  CrCaptureContinuity *continuity = data;
  gint64 last_us = g_get_monotonic_time ();

  g_mutex_lock (&continuity->watchdog_lock);
  while (!continuity->quit)
    {
      gint64 now_us;

      g_cond_wait_until (&continuity->watchdog_cond, &continuity->watchdog_lock,
                         last_us + WATCHDOG_PERIOD_US);
      now_us = g_get_monotonic_time ();
      if (now_us - last_us > WATCHDOG_PERIOD_US + STOPPED_US)
        {
          GST_WARNING ("the process did not run for %.1f s",
                       (now_us - last_us) / (double) G_USEC_PER_SEC);
          __atomic_store_n (&continuity->stopped_us, now_us, __ATOMIC_RELAXED);
        }
      __atomic_store_n (&continuity->tick_us, now_us, __ATOMIC_RELAXED);
      last_us = now_us;
    }
  g_mutex_unlock (&continuity->watchdog_lock);
  return NULL;
}

CrCaptureContinuity *
cr_capture_continuity_new (void)
{
  CrCaptureContinuity *continuity = g_new0 (CrCaptureContinuity, 1);

  if (cr_continuity_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (cr_continuity_debug, "courtrec-continuity", 0,
                             "courtrec capture continuity");
  g_mutex_init (&continuity->watchdog_lock);
  g_cond_init (&continuity->watchdog_cond);
  continuity->tick_us = g_get_monotonic_time ();
  continuity->last_rt = GST_CLOCK_TIME_NONE;
  continuity->watchdog = g_thread_new ("cr-watchdog", watchdog_thread, continuity);
  return continuity;
}

void
cr_capture_continuity_free (CrCaptureContinuity *continuity)
{
  if (continuity == NULL)
    return;
  g_mutex_lock (&continuity->watchdog_lock);
  continuity->quit = TRUE;
  g_cond_signal (&continuity->watchdog_cond);
  g_mutex_unlock (&continuity->watchdog_lock);
  g_thread_join (continuity->watchdog);
  g_cond_clear (&continuity->watchdog_cond);
  g_mutex_clear (&continuity->watchdog_lock);
  g_free (continuity);
}

void
cr_capture_continuity_forget (CrCaptureContinuity *continuity)
{
  continuity->last_rt = GST_CLOCK_TIME_NONE;
}

void
cr_capture_continuity_written (CrCaptureContinuity *continuity, GstClockTime running_time,
                               GstClockTime duration, gint64 utc_us)
{
  continuity->last_rt = running_time;
  continuity->last_duration = duration;
  continuity->last_utc_us = utc_us;
}

gboolean
cr_capture_continuity_check (CrCaptureContinuity *continuity, GstClockTime running_time,
                             gint64 utc_us, char **interruption, gint64 *from_us)
{
  gint64 now_us = g_get_monotonic_time ();
  gint64 late_us = g_get_real_time () - utc_us;
  gboolean known = GST_CLOCK_TIME_IS_VALID (continuity->last_rt);
  gint64 tick_us = __atomic_load_n (&continuity->tick_us, __ATOMIC_RELAXED);
  gint64 stopped_us = __atomic_load_n (&continuity->stopped_us, __ATOMIC_RELAXED);
  char *reason = NULL;

  /* A stop the watchdog saw, or sees now that it has not ticked for so
   * long (this thread may run first after SIGCONT). */
  if (stopped_us != continuity->stopped_seen_us ||
      now_us - tick_us > WATCHDOG_PERIOD_US + STOPPED_US)
    {
      continuity->stopped_seen_us = stopped_us;
      if (!continuity->catching_up)
        continuity->catching_up_since_us = now_us;
      continuity->catching_up = TRUE;
    }
  if (continuity->catching_up &&
      (late_us <= CAPTURE_LATE_US || now_us - continuity->catching_up_since_us > CATCH_UP_MAX_US))
    continuity->catching_up = FALSE;

  if (continuity->catching_up)
    reason = g_strdup_printf ("capture was stopped: pictures came up to %.1f s late",
                              late_us / (double) G_USEC_PER_SEC);
  else if (known && running_time > continuity->last_rt + continuity->last_duration +
                                   CAPTURE_HOLE_NS)
    reason = g_strdup ("capture stalled: no picture came");
  else if (known)
    {
      gint64 expected_us = continuity->last_utc_us +
                           (gint64) (running_time - continuity->last_rt) / GST_USECOND;
      if (ABS (utc_us - expected_us) > (gint64) (CAPTURE_HOLE_NS / GST_USECOND))
        reason = g_strdup_printf ("the wall clock jumped %+.1f s against the capture clock "
                                  "(the machine was suspended, or the clock was set)",
                                  (utc_us - expected_us) / (double) G_USEC_PER_SEC);
    }
  if (reason != NULL)
    {
      *interruption = reason;
      *from_us = known ? continuity->last_utc_us +
                         (gint64) continuity->last_duration / GST_USECOND
                       : utc_us;
    }
  return !continuity->catching_up;
}
