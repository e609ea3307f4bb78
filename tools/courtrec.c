/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* courtrec: the command-line client of one courtroom's courtrecd.
 *
 * Control verbs (start, pause, resume, stop, mark, status) go to the
 * daemon's HTTP API on the address in the room's config, with the token from
 * its token file. Archive verbs (sessions, events, report, verify) read the
 * index directly, so they work whether the daemon runs or not; archived and
 * retention write to it (see index-access.c).
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input,
 * 3 integrity failure (verify found a problem; archived refused one).
 *
 * Text is UTF-8 whatever the locale: arguments are taken as bytes and
 * checked (a court terminal or a cron job often runs under LC_ALL=C, whose
 * charset is ASCII), and what is printed is written as is. Whatever the
 * client prints that came from outside (an argument, a daemon's message, a
 * field of the index, the config) is escaped for the terminal first.
 *
 * This file holds the verb table, help and main; the verbs are in
 * control-verbs.c, status.c, rooms.c, archive-verbs.c and
 * integrity-verbs.c, on top of verb-call.c (a verb's options, its
 * config, its index and its API calls, from its row), daemon-client.c and
 * daemon-reply.c (the HTTP API), index-access.c (the index) and
 * terminal.c (output). */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "config/text.h"
#include "tools/terminal.h"
#include "tools/verb-options.h"
#include "tools/verbs.h"

static const char *const pause_reasons[] = {
  "recess", "non-public-evidence", "mediation", "other", NULL
};
static const char *const report_formats[] = { "text", "json", "html", NULL };

static const char *const access_roles[] = {
  "party", "agent", "defence", "victim", "media", NULL
};
static const char *const schedule_formats[] = { "ical", "json", "csv", NULL };
static const char *const access_modes[] = { "review", "copy", NULL };

#define JSON_OPTION(what) { "json", 0, OPT_FLAG, FALSE, NULL, what, NULL }

/* Every verb: its name, its positional arguments (how many), the role it
 * needs on the daemon, what it does, its options and its handler. The
 * list of verbs, 'courtrec help VERB', each verb's --help and its usage
 * errors come from here. */
const Verb cr_verbs[] = {
  { "start", NULL, 0, 0, CR_ROLE_CLERK, "start recording a hearing",
    "Starts recording a hearing of a case.",
    (const VerbOption[]) {
      { "case", 0, OPT_CASE, TRUE, "CASE", "The case number (案号), e.g. （2026）浙1022民初123号", NULL },
      { "title", 0, OPT_TEXT, FALSE, "T", "A title for the hearing", NULL },
      { NULL } },
    run_start },
  { "pause", NULL, 0, 0, CR_ROLE_CLERK, "pause (recess, non-public-evidence, mediation, other)",
    "Pauses the recording, for a reason.",
    (const VerbOption[]) {
      { "reason", 0, OPT_TEXT, TRUE, "R", "recess, non-public-evidence, mediation or other",
        pause_reasons },
      { NULL } },
    run_pause },
  { "resume", NULL, 0, 0, CR_ROLE_CLERK, "resume a paused recording",
    "Resumes a paused recording.", NULL, run_resume },
  { "stop", NULL, 0, 0, CR_ROLE_CLERK, "stop recording and end the session",
    "Stops the recording and ends the session.", NULL, run_stop },
  { "mark", "TEXT", 1, 1, CR_ROLE_CLERK, "add a timestamped marker to the session",
    "Adds a timestamped note to the session.", NULL, run_mark },
  { "status", NULL, 0, 0, CR_ROLE_VIEWER, "show what the recorder is doing",
    "Shows what the recorder is doing: the state, the case and session with the time "
    "elapsed, each input with its state and each microphone's level (\"silent\" at or below "
    "the room's silence_dbfs), the alarms standing, the disk's free space and the recording "
    "time left, each court archive's queue, the live streams.",
    (const VerbOption[]) { JSON_OPTION ("Print the daemon's JSON as is"), { NULL } },
    run_status },
  { "rooms", NULL, 0, 0, CR_ROLE_VIEWER, "one line per room of this machine (every config)",
    "Shows every courtroom of the machine, one line each: its state (recording, paused, "
    "standby, or down with the reason), the case, the time elapsed, the alarms standing, "
    "the disk's recording time left and the live streams. The rooms are the configs given "
    "with -c, else every *.conf in the directory (/etc/courtrec); their daemons are asked "
    "at once. Exit status 0 when every room answered with no alarm standing, 1 when one "
    "did not, its config is broken or an alarm stands.",
    (const VerbOption[]) {
      { "config", 'c', OPT_FILES, FALSE, "FILE", "A room's config (repeatable)", NULL },
      { "dir", 0, OPT_TEXT, FALSE, "DIR", "Every *.conf in DIR (default /etc/courtrec)", NULL },
      { "timeout", 0, OPT_TEXT, FALSE, "SECONDS",
        "How long to wait for the daemons (default 3)", NULL },
      JSON_OPTION ("Print a JSON array, one object per room"),
      { NULL } },
    run_rooms },
  { "sessions", NULL, 0, 0, CR_ROLE_ANYONE, "list sessions (reads the index; daemon not needed)",
    "Lists the recorded sessions, from the index.",
    (const VerbOption[]) {
      { "case", 0, OPT_CASE, FALSE, "CASE", "Only sessions of this case number (any typing of it)", NULL },
      JSON_OPTION ("Print a JSON array"),
      { NULL } },
    run_sessions },
  { "events", "SESSION_ID", 1, 1, CR_ROLE_ANYONE, "list a session's events (reads the index)",
    "Lists a session's events, from the index.",
    (const VerbOption[]) { JSON_OPTION ("Print a JSON array"), { NULL } },
    run_events },
  { "report", NULL, 0, 0, CR_ROLE_ANYONE, "the hearing report filed with the case",
    "Prints the hearing report filed with the case: times, pauses, faults, markers, "
    "segments with their hashes, chain head and signature.",
    (const VerbOption[]) {
      { "session", 0, OPT_SESSION, TRUE, "ID", "The session (required)", NULL },
      { "format", 0, OPT_TEXT, FALSE, "F", "text (default), json, or html (a printable page)",
        report_formats },
      { NULL } },
    run_report },
  { "verify", NULL, 0, 0, CR_ROLE_ANYONE, "check files, index and seals; exit 3 if not intact",
    "Checks every segment file against its SHA-256, every index row against the chain, "
    "every seal against its signature, and looks for files the index does not know. Names "
    "each problem. Exit status 0 when all is intact, 3 when not.",
    (const VerbOption[]) {
      { "case", 0, OPT_CASE, FALSE, "CASE", "Only the sessions of this case number", NULL },
      { "session", 0, OPT_SESSION, FALSE, "ID", "Only this session", NULL },
      { "all", 0, OPT_FLAG, FALSE, NULL,
        "The whole archive, unknown files included (the default)", NULL },
      { "public-key", 0, OPT_TEXT, FALSE, "HEX",
        "The key seals must carry (64 hex digits); default: the device's KEY_FILE.pub", NULL },
      { NULL } },
    run_verify },
  { "archived", NULL, 0, 0, CR_ROLE_ANYONE, "mark a verified, sealed session archived by the court",
    "Marks a session archived by the court, so that retention may later delete its media. "
    "Only a stopped, sealed session that verifies intact is marked; the mark is an event.",
    (const VerbOption[]) {
      { "session", 0, OPT_SESSION, TRUE, "ID", "The session (required)", NULL },
      { "note", 0, OPT_TEXT, FALSE, "TEXT",
        "Where it was archived, e.g. the electronic archive's receipt", NULL },
      { NULL } },
    run_archived },
  { "archive", "verify", 1, 1, CR_ROLE_ANYONE,
    "re-read a session from the court archive and verify it there",
    "Reads a session back from the court archive's bucket ([archive NAME]) and verifies it "
    "from the archive's copy alone: the manifest's rows and ledger against their chain from "
    "the root, every segment's object fetched and hashed, the seal's signature against the "
    "device key, and the sealed head against the room's own index. Names each problem, with "
    "the object's key. Exit status 0 when the copy is intact in every archive, 3 when not, "
    "1 when an archive cannot be read.",
    (const VerbOption[]) {
      { "session", 0, OPT_SESSION, FALSE, "ID", "The session, from the room's index", NULL },
      { "key", 0, OPT_TEXT, FALSE, "KEY",
        "The session's place in the bucket (PREFIX/ROOM/DATE/TIME-ID), without the index: "
        "when the room's disk is gone", NULL },
      { "archive", 0, OPT_TEXT, FALSE, "NAME", "Only this [archive NAME] (default: every one)",
        NULL },
      { "public-key", 0, OPT_TEXT, FALSE, "HEX",
        "The key seals must carry (64 hex digits); default: the device's KEY_FILE.pub", NULL },
      { NULL } },
    run_archive },
  { "seal", NULL, 0, 0, CR_ROLE_ANYONE, "seal a stopped session left unsealed (its key was unusable)",
    "Seals a stopped session that was not sealed at its stop (the device key could not be "
    "used), with the device key; a seal-late event says when and why.",
    (const VerbOption[]) {
      { "session", 0, OPT_SESSION, TRUE, "ID", "The session (required)", NULL },
      { NULL } },
    run_seal },
  { "retention", NULL, 0, 0, CR_ROLE_ANYONE, "delete media of archived sessions older than DAYS",
    "Deletes the media files of sessions the court marked archived (courtrec archived) that "
    "stopped more than DAYS days ago, and nothing else. With [archive NAME]s: only sessions "
    "whose every segment and manifest is verified in every archive, marked or not; each file "
    "says why it was kept or where the archive holds it. The index keeps their rows and events.",
    (const VerbOption[]) {
      { "older-than", 0, OPT_TEXT, TRUE, "DAYS",
        "Sessions that stopped more than DAYS days ago (required)", NULL },
      { "dry-run", 0, OPT_FLAG, FALSE, NULL, "Only say what would be deleted", NULL },
      { NULL } },
    run_retention },
  { "export", NULL, 0, 0, CR_ROLE_ANYONE, "write a BagIt package of MP4s and reports",
    "Writes a package for a litigant or the court's electronic archive: one MP4 per session "
    "(no re-encoding), the hearing reports, as a BagIt bag with SHA-256 manifests.",
    (const VerbOption[]) {
      { "case", 0, OPT_CASE, TRUE, "CASE", "The case, in any typing", NULL },
      { "session", 0, OPT_SESSION, FALSE, "ID", "Only this session", NULL },
      { "from", 0, OPT_TEXT, FALSE, "TIME", "From this time (local, or ISO 8601 with Z)", NULL },
      { "to", 0, OPT_TEXT, FALSE, "TIME", "Up to this time", NULL },
      { "output", 'o', OPT_TEXT, TRUE, "DIR", "The package directory (new or empty)", NULL },
      { NULL } },
    run_export },
  { "layout", "NAME", 1, 1, CR_ROLE_CLERK, "switch the picture: single, pip, grid, voice, evidence",
    "Switches the composed picture's layout: single, pip, grid, voice (follows the loudest "
    "microphone) or evidence (the evidence camera full screen).", NULL, run_layout },
  { "broadcast", "approve|forbid|list", 1, 1, CR_ROLE_APPROVER,
    "the court's live-broadcast decision on a case",
    "The court's broadcast decisions: approve a case for live broadcast (once), or forbid it "
    "(a non-public case: no stream of it can ever start). list reads the index.",
    (const VerbOption[]) {
      { "case", 0, OPT_CASE, FALSE, "CASE", "The case, in any typing", NULL },
      { "by", 0, OPT_TEXT, FALSE, "NAME",
        "Ignored, for older scripts: who decides is the token's account", NULL },
      { "reason", 0, OPT_TEXT, FALSE, "TEXT", "Why it is non-public (required to forbid)", NULL },
      { NULL } },
    run_broadcast },
  { "stream", "start|stop|cut|resume [NAME]", 1, 2, CR_ROLE_CLERK,
    "control the live streams (cut: the slate at once)",
    "Controls the live streams: cut puts the \"庭审直播暂停 / broadcast paused\" slate and "
    "silence on the public stream at once while the recording goes on; resume brings the "
    "hearing back. Without NAME: every stream (start needs a NAME).", NULL, run_stream },
  { "user", "ACTION [NAME]", 1, 2, CR_ROLE_ANYONE,
    "the machine's accounts and their API tokens",
    "Manages the accounts that use the rooms of this machine; ACTION is one of add NAME "
    "--role ROLE, passwd NAME, role NAME --role ROLE, disable NAME, enable NAME, list, token "
    "NAME [--revoke ID|all] [--list]. Writes the users store itself.",
    (const VerbOption[]) {
      { "role", 0, OPT_TEXT, FALSE, "ROLE", "add, role: viewer, clerk, approver or admin", NULL },
      { "password-stdin", 0, OPT_FLAG, FALSE, NULL,
        "add, passwd: read the password from the first line of standard input", NULL },
      { "revoke", 0, OPT_TEXT, FALSE, "ID|all",
        "token: revoke token ID (or all) instead of issuing one", NULL },
      { "list", 0, OPT_FLAG, FALSE, NULL, "token: list the numbers of the tokens in force", NULL },
      JSON_OPTION ("list: as JSON"),
      { "users", 0, OPT_TEXT, FALSE, "FILE",
        "The users store (default: the config's [api] users)", NULL },
      { NULL } },
    run_user },
  { "access", "request|grant|refuse|revoke|list|slip", 1, 1, CR_ROLE_CLERK,
    "litigants' access to their recordings: requests, grants, slips",
    "A party's request to review or copy the recordings of their case, and the court's "
    "decision. request (a clerk) enters one; grant, refuse and revoke are an approver's; "
    "grant prints the access code once and writes the slip (--slip FILE) with the address "
    "and a QR code; list shows the requests and their grants; slip prints a grant's slip "
    "again, without the code. Redactions of the copies: --mute TRACK@FROM-TO:REASON, --blur "
    "X,Y,W,H@FROM-TO:REASON, --cut FROM-TO:REASON (FROM, TO: UTC or HH:MM:SS from the "
    "session's start; repeatable). Every step is an event in each session it covers.",
    (const VerbOption[]) {
      { "case", 0, OPT_CASE, FALSE, "CASE", "request: the case, in any typing", NULL },
      { "name", 0, OPT_TEXT, FALSE, "NAME", "request: the requester's name", NULL },
      { "role", 0, OPT_TEXT, FALSE, "ROLE", "request: party, agent, defence, victim or media",
        access_roles },
      { "id-number-stdin", 0, OPT_FLAG, FALSE, NULL,
        "request: read the requester's identity number from standard input (kept only as a "
        "keyed hash)", NULL },
      { "id-number", 0, OPT_TEXT, FALSE, "N",
        "request: the identity number on the command line (visible to other users: prefer "
        "--id-number-stdin)", NULL },
      { "sessions", 0, OPT_TEXT, FALSE, "IDS",
        "request, grant: session ids \"12,13\" or all (default)", NULL },
      { "from", 0, OPT_TEXT, FALSE, "TIME", "request: from this UTC time", NULL },
      { "to", 0, OPT_TEXT, FALSE, "TIME", "request: up to this UTC time", NULL },
      { "purpose", 0, OPT_TEXT, FALSE, "TEXT", "request: what it is for", NULL },
      { "contact", 0, OPT_TEXT, FALSE, "TEXT", "request: how to reach the requester", NULL },
      { "request", 0, OPT_TEXT, FALSE, "ID", "grant, refuse: the request, e.g. R12", NULL },
      { "grant", 0, OPT_TEXT, FALSE, "ID", "revoke, slip: the grant, e.g. G12", NULL },
      { "mode", 0, OPT_TEXT, FALSE, "MODE", "grant: review (watch online) or copy (and "
        "download)", access_modes },
      { "days", 0, OPT_TEXT, FALSE, "N", "grant: lasts N days, 1 to 90 (default [access] "
        "code_days)", NULL },
      { "expires", 0, OPT_TEXT, FALSE, "TIME", "grant: until this UTC time (at most 90 days)",
        NULL },
      { "mute", 0, OPT_FILES, FALSE, "TRACK@FROM-TO:REASON",
        "grant: silence a track (mix, all or a microphone's name) over a span", NULL },
      { "blur", 0, OPT_FILES, FALSE, "X,Y,W,H@FROM-TO:REASON",
        "grant: blur a rectangle of the picture over a span", NULL },
      { "cut", 0, OPT_FILES, FALSE, "FROM-TO:REASON", "grant: leave a span out", NULL },
      { "slip", 0, OPT_TEXT, FALSE, "FILE", "grant: write the slip (HTML, with the code) here",
        NULL },
      { "reason", 0, OPT_TEXT, FALSE, "TEXT", "refuse, revoke: why (required)", NULL },
      { "output", 'o', OPT_TEXT, FALSE, "FILE", "slip: write it here, not to standard output",
        NULL },
      { "pending", 0, OPT_FLAG, FALSE, NULL, "list: only the requests not decided yet", NULL },
      JSON_OPTION ("grant, list: as JSON"),
      { NULL } },
    run_access },
  { "publish", "SESSION", 1, 1, CR_ROLE_APPROVER,
    "publish a stopped session of a broadcast-approved case as video on demand",
    "Publishes a stopped, sealed session of a case the court approved for broadcast on the "
    "public catalogue /vod/, as a copy rendered with the redactions given (the original is "
    "never touched). FROM and TO are UTC (2026-11-27T02:13:25Z) or HH:MM:SS from the "
    "session's start. A forbidden case is never published.",
    (const VerbOption[]) {
      { "title", 0, OPT_TEXT, FALSE, "T", "The title shown in the catalogue", NULL },
      { "mute", 0, OPT_FILES, FALSE, "TRACK@FROM-TO:REASON",
        "Silence TRACK (mix, all or a microphone) over the span (repeatable)", NULL },
      { "blur", 0, OPT_FILES, FALSE, "X,Y,W,H@FROM-TO:REASON",
        "Blur the rectangle (pixels) over the span (repeatable)", NULL },
      { "cut", 0, OPT_FILES, FALSE, "FROM-TO:REASON", "Leave the span out (repeatable)", NULL },
      JSON_OPTION ("The daemon's answer as JSON"),
      { NULL } },
    run_publish },
  { "withdraw", "PUBLICATION", 1, 1, CR_ROLE_APPROVER,
    "take a publication off the catalogue and delete its files",
    "Withdraws a publication: it leaves the catalogue /vod/ and its files are deleted at "
    "once; the session's chain records who withdrew it and why.",
    (const VerbOption[]) {
      { "reason", 0, OPT_TEXT, TRUE, "R", "Why it is withdrawn (required)", NULL },
      JSON_OPTION ("The daemon's answer as JSON"),
      { NULL } },
    run_withdraw },
  { "publications", NULL, 0, 0, CR_ROLE_ANYONE,
    "list the publications and their state (reads the index)",
    "Lists every publication of the room, from the index: rendering, published, failed or "
    "withdrawn, by whom, when, and why it was withdrawn or failed.",
    (const VerbOption[]) { JSON_OPTION ("Print a JSON array"), { NULL } },
    run_publications },
  { "verify-copy", "FILE", 1, 1, CR_ROLE_ANYONE,
    "prove a derived copy is intact, and say for whom it was made",
    "Checks a derived copy (a party's watermarked copy, a published one) against its signed "
    "manifest beside it, FILE.manifest.json and FILE.manifest.sig: the signature, by the "
    "device key; the sealed chain head it quotes; the file's size and SHA-256; with -c, "
    "that the session in the room's index has that head and seal. Prints what was checked "
    "and for whom the copy was made (requester, grant, mode, span, redactions). Exit "
    "status 0 intact, 1 tampered or not matching (it says what), 2 bad usage or no "
    "manifest. docs/copy-manifest.md says how to check the same with openssl and sha256sum.",
    (const VerbOption[]) {
      { "config", 'c', OPT_FILES, FALSE, "FILE",
        "The room's config: compare with its index and its device key", NULL },
      { "public-key", 0, OPT_TEXT, FALSE, "HEX",
        "The key the manifest must be signed by (64 hex digits); default: the room's "
        "KEY_FILE.pub with -c", NULL },
      JSON_OPTION ("Print the checks and the manifest as JSON"),
      { NULL } },
    run_verify_copy },
  /* `courtrec access log`: main () sends "access" followed by "log" here,
   * every other "access ..." to the "access" row (access-verbs.c), so
   * that each keeps its own options and help. */
  { "access log", NULL, 0, 0, CR_ROLE_ANYONE,
    "a case's access trail: requests, grants, views, downloads",
    "Lists every access event of every session of the case, oldest first: requests, "
    "decisions, codes used or wrong, playback, downloads (with address and bytes), copies "
    "rendered, publications; as a table, CSV (RFC 4180), JSON or a printable HTML page. "
    "Reads the index.",
    (const VerbOption[]) {
      { "case", 0, OPT_CASE, TRUE, "CASE", "The case, in any typing", NULL },
      { "csv", 0, OPT_FLAG, FALSE, NULL, "As CSV (RFC 4180, CRLF line ends)", NULL },
      { "html", 0, OPT_FLAG, FALSE, NULL, "As a printable HTML page", NULL },
      JSON_OPTION ("As a JSON array"),
      { "config", 'c', OPT_FILES, FALSE, "FILE", "The room's config", NULL },
      { NULL } },
    run_access_log },
  { "schedule", NULL, 0, 0, CR_ROLE_ANYONE,
    "the room's scheduled hearings (reads the index); --check FILE reads a calendar",
    "Lists the room's hearings from the court's calendar and feed as the index holds them "
    "([schedule] of the config; the daemon keeps them current), times in the court's zone, "
    "from today for 14 days unless --from and --to say otherwise; cancelled, removed and "
    "not-held hearings are listed and marked. With --check FILE: reads an iCalendar, JSON or "
    "CSV file as the daemon would and prints what it would store for the room and every "
    "event it would not, with why; exit 2 when the file cannot be read as one, naming where.",
    (const VerbOption[]) {
      { "from", 0, OPT_TEXT, FALSE, "DATE", "From this day (YYYY-MM-DD, court's zone)", NULL },
      { "to", 0, OPT_TEXT, FALSE, "DATE", "Up to and with this day", NULL },
      { "check", 0, OPT_TEXT, FALSE, "FILE", "Read FILE offline instead of the index", NULL },
      { "format", 0, OPT_TEXT, FALSE, "F", "--check: ical, json or csv (default: by content)",
        schedule_formats },
      JSON_OPTION ("Print JSON"),
      { NULL } },
    run_schedule },
  { "coverage", NULL, 0, 0, CR_ROLE_ANYONE,
    "the recording rate: every scheduled hearing full, partial, missing, not held or cancelled",
    "Sets every hearing of the rooms' calendars between the court's days FROM and TO (both "
    "included, in [schedule] timezone) against what was recorded: its class, coverage "
    "(recorded over its sessions' span less lawful pauses), start lag, whether every file "
    "verifies and none is empty, and the rate over the scheduled and over the held "
    "hearings. Rooms: the -c FILEs, else every *.conf in --dir (default /etc/courtrec). "
    "--nightly writes yesterday's (or --today's, --date's) report to STORAGE/coverage/DAY.{txt,json,"
    "csv,html} and exits 1 when a hearing is missing, partial or has an empty or "
    "unverifiable file. docs/coverage.md describes the JSON.",
    (const VerbOption[]) {
      { "from", 0, OPT_TEXT, FALSE, "DATE", "The first day (YYYY-MM-DD)", NULL },
      { "to", 0, OPT_TEXT, FALSE, "DATE", "The last day (YYYY-MM-DD)", NULL },
      { "config", 'c', OPT_FILES, FALSE, "FILE", "A room's config (repeatable)", NULL },
      { "dir", 0, OPT_TEXT, FALSE, "DIR", "Every *.conf in DIR (default /etc/courtrec)", NULL },
      { "csv", 0, OPT_FLAG, FALSE, NULL, "As CSV (RFC 4180, CRLF line ends)", NULL },
      { "html", 0, OPT_FLAG, FALSE, NULL, "As a printable HTML page", NULL },
      JSON_OPTION ("As JSON (docs/coverage.md)"),
      { "output", 'o', OPT_TEXT, FALSE, "FILE", "Write it here (atomically)", NULL },
      { "nightly", 0, OPT_FLAG, FALSE, NULL, "File the day's report under STORAGE/coverage/",
        NULL },
      { "date", 0, OPT_TEXT, FALSE, "DATE", "nightly: this day rather than yesterday", NULL },
      { "today", 0, OPT_FLAG, FALSE, NULL,
        "nightly: today (the timer's 22:30 run) rather than yesterday", NULL },
      { NULL } },
    run_coverage },
  { "hearing", "not-held|held ID", 2, 2, CR_ROLE_CLERK,
    "mark a scheduled hearing not held (postponed, a party absent), or take the mark back",
    "A clerk's word that hearing ID (its number in courtrec coverage) was not held: the "
    "report then counts it not-held rather than missing, and leaves it out of the held "
    "hearings. 'held ID' takes the mark back. A hearing that was recorded is counted as "
    "recorded whatever the mark. Asks the room's courtrecd (POST /api/v1/hearings/ID/...).",
    (const VerbOption[]) {
      { "reason", 0, OPT_TEXT, FALSE, "TEXT", "not-held: why (required)", NULL },
      { NULL } },
    run_hearing },
  { "help", "[VERB [SUBVERB]]", 0, 2, CR_ROLE_ANYONE,
    "a verb's options and what it does; this list without VERB",
    "Shows a verb's options and what it does; without VERB, the list of verbs. The manual "
    "pages are courtrec(1), courtrecd(8) and courtrec.conf(5).", NULL, run_help },
};
const gsize cr_n_verbs = G_N_ELEMENTS (cr_verbs);

/* The global options' context: 'courtrec help' prints its help. */
static GOptionContext *main_context;

const Verb *
find_verb (const char *name)
{
  for (gsize i = 0; i < cr_n_verbs; i++)
    if (g_str_equal (name, cr_verbs[i].name))
      return &cr_verbs[i];
  return NULL;
}

/* A row named "VERB SUB" (such as "access log") is a subverb with its own
 * options: `courtrec VERB SUB ...` runs it, every other `courtrec VERB
 * ...` runs the row VERB. Until VERB has a row of its own, VERB alone
 * (its help) is its first subverb. */
static const Verb *
find_subverb (const char *name, const char *sub)
{
  g_autofree char *full = g_strdup_printf ("%s %s", name, sub);
  return find_verb (full);
}

static const Verb *
find_verb_or_subverb (const char *name)
{
  const Verb *verb = find_verb (name);

  for (gsize i = 0; verb == NULL && i < cr_n_verbs; i++)
    if (g_str_has_prefix (cr_verbs[i].name, name) &&
        cr_verbs[i].name[strlen (name)] == ' ')
      verb = &cr_verbs[i];
  return verb;
}

const char *
verb_role_name (CrRole role)
{
  return role == CR_ROLE_ANYONE ? "local" : cr_role_name (role);
}

/* A verb's help is its own --help: the options it parses are the ones it
 * shows, so the two cannot drift apart. */
int
run_help (VerbCall *call)
{
  const Verb *verb;
  char *help_argv[3] = { NULL, (char *) "--help", NULL };

  if (call->n_args == 0)
    {
      g_autofree char *help = g_option_context_get_help (main_context, TRUE, NULL);
      fputs (help, stdout);
      return EXIT_OK;
    }
  /* "help access log": the subverb's row. */
  if (call->n_args == 2)
    {
      verb = find_subverb (call->args[0], call->args[1]);
      if (verb == NULL)
        return fail (EXIT_USAGE, "help: unknown verb '%s %s'; run 'courtrec help' for the list",
                     cr_text_shown (call->args[0]), cr_text_shown (call->args[1]));
    }
  else
    verb = find_verb_or_subverb (call->args[0]);
  if (verb == NULL)
    return fail (EXIT_USAGE, "help: unknown verb '%s'; run 'courtrec help' for the list",
                 cr_text_shown (call->args[0]));
  help_argv[0] = (char *) verb->name;
  return run_verb (verb, 2, help_argv);
}

/* "start --case CASE [OPTION…]": the verb, its positional arguments and
 * required options, from its row ('help VERB' shows the others). */
static char *
verb_synopsis (const Verb *verb)
{
  GString *synopsis = g_string_new (verb->name);
  gboolean optional = FALSE;

  if (verb->params != NULL)
    g_string_append_printf (synopsis, " %s", verb->params);
  for (const VerbOption *option = verb->options; option != NULL && option->name != NULL;
       option++)
    {
      g_autofree char *usage = verb_option_usage (option);

      if (!option->required)
        optional = TRUE;
      else
        g_string_append_printf (synopsis, " %s", usage);
    }
  if (optional)
    g_string_append (synopsis, " [OPTION…]");
  return g_string_free (synopsis, FALSE);
}

static char *
verbs_help (void)
{
  GString *help = g_string_new ("Verbs:\n");

  for (gsize i = 0; i < cr_n_verbs; i++)
    {
      g_autofree char *synopsis = verb_synopsis (&cr_verbs[i]);

      /* display width: "…" is one column and three bytes. */
      glong pad = 42 - g_utf8_strlen (synopsis, -1);

      g_string_append_printf (help, "  %s%*s %-9s %s\n", synopsis, (int) MAX (pad, 0), "",
                              verb_role_name (cr_verbs[i].role), cr_verbs[i].summary);
    }
  g_string_append (help,
      "\nThe second column is the role the verb needs on courtrecd, which it talks to\n"
      "at the config's [api] listen address; \"local\" verbs read the index and the\n"
      "files themselves and work with the daemon down.\n"
      "Run 'courtrec help VERB' for a verb's options; man courtrec for the whole of it.\n"
      "Exit status: 0 success, 1 runtime failure, 2 bad usage or bad input,\n"
      "3 integrity failure (verify found a problem; archived refused a session).");
  return g_string_free (help, FALSE);
}

/* g_print, which prints --help, converts to the locale's charset: under
 * LC_ALL=C the help's Chinese examples would come out as "?". The client
 * writes UTF-8 whatever the locale. */
static void
print_utf8 (const char *text)
{
  fputs (text, stdout);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *description = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME_ARRAY, &config_paths,
      "The courtroom's config file (several for 'rooms')", "FILE" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file_path,
      "An account's API token for the control verbs (or COURTREC_TOKEN; default: the "
      "room's token)", "FILE" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  const Verb *verb;
  int status;

  setlocale (LC_ALL, "");
  /* Numbers the same in every locale: scripts read what the client prints. */
  setlocale (LC_NUMERIC, "C");
  g_set_print_handler (print_utf8);
  context = g_option_context_new ("VERB [ARGS…]");
  g_option_context_set_summary (context,
      "Controls one courtroom's recorder (courtrecd) and reads its archive index.");
  description = verbs_help ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  /* Stop at the verb: what follows it is the verb's own options. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (EXIT_USAGE, "%s", error->message);
  if (version)
    {
      printf ("courtrec %s\n", COURTREC_VERSION);
      return EXIT_OK;
    }
  main_context = context;

  if (argc < 2)
    return fail (EXIT_USAGE, "no verb given; run 'courtrec --help' for the list");
  /* Hidden: the renderer's process, run by courtrecd (render-verb.c). */
  if (g_str_equal (argv[1], "render"))
    return cr_render_verb_main (argc - 1, argv + 1);
  /* The verb's arguments are checked where the verb's row is parsed, so
   * that the message can name the option. */
  /* "access log" is a row of its own (copy-verbs.c): the other access
   * subverbs are the "access" row's (access-verbs.c). */
  verb = argc > 2 ? find_subverb (argv[1], argv[2]) : NULL;
  if (verb != NULL)
    {
      argc--;
      argv++;
      argv[1] = (char *) verb->name;
    }
  else
    verb = find_verb_or_subverb (argv[1]);
  if (verb == NULL)
    return fail (EXIT_USAGE, "unknown verb '%s'; run 'courtrec --help' for the list",
                 cr_text_shown (argv[1]));
  status = run_verb (verb, argc - 1, argv + 1);
  g_strfreev (config_paths);
  g_free (token_file_path);
  return status;
}
