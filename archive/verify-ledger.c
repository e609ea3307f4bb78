/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify-ledger.c: a session's ledger against its links (verify-private.h,
 * chain.h layout 2).
 *
 * Each event is checked against the stored link of the event before it,
 * so that an edit shows at the edited event alone (the next one still
 * chains from the stored link). An event that does not chain from the one
 * before it is looked for after every other event of the ledger, at the
 * place it had then and at its own: found, it or the one before it was
 * moved; not found, it was edited, or inserted if it has no link at all. */
#include "archive/verify-private.h"

#include "archive/chain.h"

/* TRUE when @event, numbered @sequence, chains from @previous. */
static gboolean
chains_from (const char *previous, const CrEventRecord *event, guint sequence)
{
  CrEventRecord as_numbered = *event;
  g_autofree char *link = NULL;

  as_numbered.sequence = sequence;
  link = cr_chain_event_link (previous, &as_numbered, NULL);
  return link != NULL && g_strcmp0 (link, event->link) == 0;
}

/* The sequence @event had when it was linked, found by what it chains
 * from: after another event of @ledger (at that one's place + 1, or at its
 * own place when only that one moved), or after @root as the first; 0 when
 * it chains from nothing. */
static guint
linked_as (const char *root, GPtrArray *ledger, const CrEventRecord *event)
{
  if (chains_from (root, event, 1))
    return 1;
  for (guint i = 0; i < ledger->len; i++)
    {
      CrEventRecord *other = g_ptr_array_index (ledger, i);

      if (other == event || other->link == NULL)
        continue;
      if (chains_from (other->link, event, event->sequence))
        return event->sequence;
      if (other->sequence > 0 && chains_from (other->link, event, other->sequence + 1))
        return other->sequence + 1;
      if (other->sequence > 0 && chains_from (other->link, event, other->sequence))
        return other->sequence;
    }
  return 0;
}

static char *
describe (const CrEventRecord *event)
{
  g_autofree char *at = cr_format_utc (event->at_us);

  return g_strdup_printf ("%s at %s", event->kind_name != NULL ? event->kind_name : "?", at);
}

static void
check_markers (CrVerifyReport *report, CrVerifySession *summary, GPtrArray *ledger,
               GPtrArray *markers)
{
  g_autoptr (GHashTable) marked = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint m = 0; m < markers->len; m++)
    {
      CrMarkerRecord *marker = g_ptr_array_index (markers, m);
      CrEventRecord *event = NULL;
      g_autofree char *text = NULL;

      for (guint i = 0; i < ledger->len && event == NULL; i++)
        if (((CrEventRecord *) g_ptr_array_index (ledger, i))->id == marker->event_id)
          event = g_ptr_array_index (ledger, i);
      /* An event gone is named by the ledger's walk. */
      if (event == NULL)
        continue;
      g_hash_table_add (marked, &event->id);
      /* The event holds the text, or the text and who added it. */
      text = cr_event_marker_text (event, NULL);
      if (event->kind != CR_EVENT_MARKER || event->at_us != marker->at_us ||
          g_strcmp0 (text, marker->text) != 0)
        cr_verify_add_problem (report, summary, CR_VERIFY_EDITED, 0, event->sequence, NULL,
                               "marker row %" G_GINT64_FORMAT " was edited: its time or "
                               "text no longer match its event #%u, which the chain links",
                               marker->id, event->sequence);
    }
  for (guint i = 0; i < ledger->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (ledger, i);
      /* One inserted by hand is named as inserted, not for its missing row. */
      if (event->kind == CR_EVENT_MARKER && event->sequence > 0 &&
          !g_hash_table_contains (marked, &event->id))
        cr_verify_add_problem (report, summary, CR_VERIFY_DELETED, 0, event->sequence, NULL,
                               "the marker row of event #%u (%s) is gone from markers",
                               event->sequence, event->detail != NULL ? event->detail : "");
    }
}

void
cr_verify_ledger (CrVerifyReport *report, CrVerifySession *summary, const char *root,
                  GPtrArray *ledger, GPtrArray *markers)
{
  const char *previous = root;
  guint expected = 1;

  summary->events = 0;
  for (guint i = 0; i < ledger->len; i++)
    {
      CrEventRecord *event = g_ptr_array_index (ledger, i);
      g_autofree char *what = describe (event);
      gboolean after_gap = FALSE;
      guint was;

      if (event->sequence == 0)
        {
          cr_verify_add_problem (report, summary, CR_VERIFY_ADDED, 0, 0, NULL,
                                 "an event (%s) was inserted into the ledger: it has no "
                                 "place in the chain", what);
          continue;
        }
      summary->events++;
      if (event->sequence > expected)
        {
          g_autofree char *which = event->sequence - 1 > expected
              ? g_strdup_printf ("events #%u to #%u are", expected, event->sequence - 1)
              : g_strdup_printf ("event #%u is", expected);
          cr_verify_add_problem (report, summary, CR_VERIFY_DELETED, 0, expected, NULL,
                                 "%s gone from the ledger: deleted", which);
          after_gap = TRUE;
        }
      expected = event->sequence + 1;

      if (event->link == NULL)
        cr_verify_add_problem (report, summary, CR_VERIFY_ADDED, 0, event->sequence, NULL,
                               "event #%u (%s) has no chain link: it was inserted",
                               event->sequence, what);
      else if (previous != NULL && chains_from (previous, event, event->sequence))
        ;
      /* Its predecessor is gone: nothing to check it from. */
      else if (after_gap)
        ;
      else if ((was = linked_as (root, ledger, event)) == event->sequence)
        /* In its place, after an event that moved: that one is named. */
        ;
      else if (was != 0)
        cr_verify_add_problem (report, summary, CR_VERIFY_REORDERED, 0, event->sequence, NULL,
                               "event #%u (%s) was #%u: the ledger was reordered",
                               event->sequence, what, was);
      else
        cr_verify_add_problem (report, summary, CR_VERIFY_EDITED, 0, event->sequence, NULL,
                               "event #%u (%s) was edited: its time, kind or detail no "
                               "longer match its chain link", event->sequence, what);
      previous = event->link;
    }
  if (markers != NULL)
    check_markers (report, summary, ledger, markers);
}
