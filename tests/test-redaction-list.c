/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-redaction-list.c: the one reader of a derived copy's redaction
 * list, as a publication (one session, offsets resolved to UTC) and as a
 * grant (several sessions, offsets kept) read it: its stored form, and
 * each hostile list refused with a message naming the entry and member. */
#include <gio/gio.h>
#include <glib.h>
#include <locale.h>
#include <string.h>

#include "archive/redaction-list.h"
#include "archive/utc.h"
#include "config/config.h"

#define START "2026-11-27T02:13:25.316Z"

static CrInputConfig judge = { .name = (char *) "judge", .label = (char *) "审判长" };
static GPtrArray *microphones;

static CrRedactionScope
publication (void)
{
  gint64 start_us;

  g_assert_true (cr_parse_utc (START, &start_us));
  return (CrRedactionScope) { .start_us = start_us, .end_us = start_us + (gint64) 3600 * G_USEC_PER_SEC,
                              .microphones = microphones, .width = 1280, .height = 720,
                              .by = "approver" };
}

static CrRedactionScope
grant (void)
{
  return (CrRedactionScope) { .start_us = CR_REDACTION_NO_START, .microphones = microphones,
                              .width = 1280, .height = 720, .by = "approver" };
}

/* @text stored as @expected under @scope, and the stored form stored
 * again unchanged. */
static void
assert_stored (const CrRedactionScope *scope, const char *text, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = cr_redaction_list_normalize (text, scope, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, expected);
  again = cr_redaction_list_normalize (stored, scope, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, stored);
}

static void
assert_refused (const CrRedactionScope *scope, const char *text, const char *says)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = cr_redaction_list_normalize (text, scope, &error);

  g_assert_null (stored);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (strstr (error->message, says) == NULL)
    g_error ("refusing %s: the message does not say '%s': %s", text, says, error->message);
}

static void
test_offsets (void)
{
  static const struct { const char *text; gint64 ms; } good[] = {
    { "0", 0 }, { "75", 75000 }, { "1.5", 1500 }, { "01:02", 62000 },
    { "1:02:03.25", 3723250 }, { "100:00:00", 360000000 }, { "999999", 999999000 },
  };
  static const char *const bad[] = {
    "", ":", "1:", ":1", "01:75:00", "00:00:60", "01:60", "1.2345", "1.", ".5", "-1", "+1",
    " 1", "1 ", "1000:00:00", "1:2:3:4", "0x10", "１", "1234567", "00:001", NULL,
  };
  gint64 us;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_assert_true (cr_redaction_offset (good[i].text, &us));
      g_assert_cmpint (us, ==, good[i].ms * 1000);
    }
  for (const char *const *text = bad; *text != NULL; text++)
    if (cr_redaction_offset (*text, &us))
      g_error ("'%s' read as an offset", *text);
  g_assert_true (cr_redaction_time (START, 0, &us));
  g_assert_true (cr_redaction_time ("00:00:02", 1000000, &us));
  g_assert_cmpint (us, ==, 3000000);
  g_assert_false (cr_redaction_time (NULL, 0, &us));
}

static void
test_publication (void)
{
  CrRedactionScope scope = publication ();

  assert_stored (&scope, NULL, "[]");
  assert_stored (&scope, "", "[]");
  assert_stored (&scope, " [ ] ", "[]");
  /* Offsets in UTC, members in order, "by" filled in where left out. */
  assert_stored (&scope,
                 "[{\"to\":\"00:00:02\",\"from\":\"1\",\"track\":\"judge\",\"kind\":\"mute\","
                 "\"reason\":\"证人姓名\"},"
                 "{\"kind\":\"blur\",\"height\":20,\"width\":10,\"y\":700,\"x\":1270,"
                 "\"from\":\"" START "\",\"to\":\"01:00.5\",\"reason\":\"face\",\"by\":\"王法官\"},"
                 "{\"kind\":\"cut\",\"from\":\"59:59\",\"to\":\"02:00:00\",\"reason\":\"r\"}]",
                 "[{\"kind\":\"mute\",\"track\":\"judge\",\"from\":\"2026-11-27T02:13:26.316Z\","
                 "\"to\":\"2026-11-27T02:13:27.316Z\",\"reason\":\"证人姓名\",\"by\":\"approver\"},"
                 "{\"kind\":\"blur\",\"x\":1270,\"y\":700,\"width\":10,\"height\":20,"
                 "\"from\":\"" START "\",\"to\":\"2026-11-27T02:14:25.816Z\",\"reason\":\"face\","
                 "\"by\":\"王法官\"},"
                 "{\"kind\":\"cut\",\"from\":\"2026-11-27T03:13:24.316Z\","
                 "\"to\":\"2026-11-27T04:13:25.316Z\",\"reason\":\"r\",\"by\":\"approver\"}]");
  assert_refused (&scope, "[{\"kind\":\"cut\",\"from\":\"01:00:00\",\"to\":\"01:00:01\","
                  "\"reason\":\"r\"}]", "redactions[0]: the span");
  assert_refused (&scope, "[{\"kind\":\"cut\",\"from\":\"2026-11-27T02:00:00.000Z\","
                  "\"to\":\"" START "\",\"reason\":\"r\"}]", "outside the session");
}

static void
test_grant (void)
{
  CrRedactionScope scope = grant ();

  /* Offsets kept, in one form, for each session's own start. */
  assert_stored (&scope,
                 "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"1:00:00.5\",\"reason\":\"r\"},"
                 "{\"kind\":\"mute\",\"track\":\"all\",\"from\":\"" START "\","
                 "\"to\":\"2026-11-27T02:13:26.000Z\",\"reason\":\"r\",\"by\":\"b\"}]",
                 "[{\"kind\":\"cut\",\"from\":\"00:00:01\",\"to\":\"01:00:00.500\","
                 "\"reason\":\"r\",\"by\":\"approver\"},"
                 "{\"kind\":\"mute\",\"track\":\"all\",\"from\":\"" START "\","
                 "\"to\":\"2026-11-27T02:13:26.000Z\",\"reason\":\"r\",\"by\":\"b\"}]");
  assert_refused (&scope, "[{\"kind\":\"cut\",\"from\":\"" START "\",\"to\":\"00:00:02\","
                  "\"reason\":\"r\"}]", "redactions[0]: from and to both UTC, or both HH:MM:SS");
}

/* The same refusals for a grant and a publication. */
static void
test_hostile (void)
{
  static const struct { const char *text, *says; } lists[] = {
    { "  ", "expected a JSON array, not blank" },
    { "not json", "redactions: not JSON" },
    { "[1,]", "redactions: not JSON" },
    { "[\"\\u0003\" /* c */]", "redactions: not JSON" },
    { "{}", "expected a JSON array" },
    { "[[[1]]]", "flat objects" },
    { "[1]", "redactions[0]: expected an object" },
    { "[{\"kind\":\"cut\",\"kind\":\"mute\"}]", "\"kind\" is given twice" },
    { "[{\"kind\":\"erase\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]",
      "redactions[0].kind = \"erase\"" },
    { "[{\"kind\":\"cut\",\"to\":\"2\",\"reason\":\"r\"}]", "redactions[0].from: required" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\"}]", "redactions[0].reason: required" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"   \"}]",
      "redactions[0].reason: required, not blank" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\",\"by\":5}]",
      "redactions[0].by: expected a string" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\",\"by\":null}]",
      "redactions[0].by: expected a string" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\",\"by\":\"\"}]",
      "redactions[0].by: required, not blank" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"a\\u202eb\"}]",
      "redactions[0].reason" },
    { "[{\"kind\":\"cut\",\"from\":\"2\",\"to\":\"2\",\"reason\":\"r\"}]", "from must be before to" },
    { "[{\"kind\":\"cut\",\"from\":\"01:75:00\",\"to\":\"2\",\"reason\":\"r\"}]",
      "redactions[0].from = \"01:75:00\"" },
    { "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\",\"extra\":1}]",
      "redactions[0].extra: unknown member" },
    { "[{\"kind\":\"cut\",\"track\":\"mix\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]",
      "redactions[0].track: only a mute" },
    { "[{\"kind\":\"mute\",\"x\":1,\"track\":\"mix\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]",
      "redactions[0].x: only a blur" },
    { "[{\"kind\":\"mute\",\"track\":\"../etc\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]",
      "redactions[0].track = \"../etc\": expected mix, all or the NAME" },
    { "[{\"kind\":\"mute\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]",
      "redactions[0].track: required" },
    { "[{\"kind\":\"blur\",\"x\":0,\"y\":0,\"width\":10,\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}]",
      "redactions[0].height: a blur needs \"height\"" },
    { "[{\"kind\":\"blur\",\"x\":-1,\"y\":0,\"width\":10,\"height\":10,\"from\":\"1\",\"to\":\"2\","
      "\"reason\":\"r\"}]", "redactions[0].x = -1: out of range" },
    { "[{\"kind\":\"blur\",\"x\":0,\"y\":0,\"width\":0,\"height\":10,\"from\":\"1\",\"to\":\"2\","
      "\"reason\":\"r\"}]", "redactions[0].width = 0: out of range" },
    { "[{\"kind\":\"blur\",\"x\":1.5,\"y\":0,\"width\":1,\"height\":10,\"from\":\"1\",\"to\":\"2\","
      "\"reason\":\"r\"}]", "redactions[0].x: expected a whole number" },
    { "[{\"kind\":\"blur\",\"x\":1200,\"y\":0,\"width\":100,\"height\":10,\"from\":\"1\",\"to\":\"2\","
      "\"reason\":\"r\"}]", "redactions[0]: the rectangle is outside the 1280x720 picture" },
  };
  CrRedactionScope scopes[2] = { publication (), grant () };
  g_autoptr (GString) many = g_string_new ("[");
  g_autofree char *big = NULL;
  g_autofree char *long_reason = NULL;
  g_autofree char *deep = g_strnfill (40000, '[');
  g_autofree char *a70k = g_strnfill (70000, 'a');
  g_autofree char *a201 = g_strnfill (CR_REDACTION_TEXT_MAX + 1, 'a');

  for (guint s = 0; s < 2; s++)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
        assert_refused (&scopes[s], lists[i].text, lists[i].says);
      assert_refused (&scopes[s], deep, "flat objects");
    }
  for (guint i = 0; i <= CR_REDACTION_LIST_MAX; i++)
    g_string_append_printf (many, "%s{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"r\"}",
                            i > 0 ? "," : "");
  g_string_append (many, "]");
  assert_refused (&scopes[0], many->str, "redactions: 101 entries; at most 100");
  big = g_strdup_printf ("[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"%s\"}]",
                         a70k);
  assert_refused (&scopes[0], big, "redactions: at most 64 kB");
  long_reason = g_strdup_printf ("[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"%s\"}]",
                                 a201);
  assert_refused (&scopes[1], long_reason, "redactions[0].reason");
  /* Half a character in the text: the message is still UTF-8. */
  assert_refused (&scopes[1], "[{\"kind\":\"cut\",\"from\":\"1\",\"to\":\"2\",\"reason\":\"\xe5\x88\"}]",
                  "redactions");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  microphones = g_ptr_array_new ();
  g_ptr_array_add (microphones, &judge);
  g_test_add_func ("/courtrec/redaction-list/offsets", test_offsets);
  g_test_add_func ("/courtrec/redaction-list/publication", test_publication);
  g_test_add_func ("/courtrec/redaction-list/grant", test_grant);
  g_test_add_func ("/courtrec/redaction-list/hostile", test_hostile);
  return g_test_run ();
}
