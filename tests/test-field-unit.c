/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-field-unit.c: a field unit (contrib/field-units/) whose network
 * goes and comes back, against a real single-node Ceph
 * (tests/test-util-ceph.h).
 *
 * The unit lives in a network namespace the test makes itself (ip netns),
 * joined to this machine by a veth pair: its only way to the archive is
 * that link, to a forwarder of the test's own on the host's end of it,
 * which passes the bytes on to the gateway on 127.0.0.1. The link is cut
 * by taking the unit's end down, as a modem losing its network does.
 *
 * The test's main thread moves into the namespace too, after the
 * forwarder's thread has started outside it: courtrecd, the courtrec
 * client, the API's port and every program the test runs are then on the
 * unit's side, so status and the index can be read while the link is cut.
 * The objects are fetched back over the same link once it is up, with
 * curl's own SigV4, and judged with sha256sum and md5sum against the
 * files on the unit's disk: a way that changed a byte could not make a
 * copy pass.
 *
 * Without Ceph or without network namespaces the cases skip, saying why;
 * the namespace and its link go when the test ends, however it ends. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "archive/records.h"
#include "archive/utc.h"
#include "tests/test-util.h"
#include "tests/test-util-ceph.h"
#include "tests/test-util-metrics.h"

#define CASE_NO "（2026）浙1022执456号"
#define SERIES "{room=\"test-room\",archive=\"court\"}"
/* The stall timeout courtrecd's client gets here (30 s in the field): a
 * transfer the cut catches ends soon. */
#define STALL_SECONDS "3"
#define SEGMENT_SECONDS 10
#define FRAMERATE 25

static CrTestCeph *store;

/* ---- the unit's network ---------------------------------------------------- */

typedef struct {
  char *skip;             /* why the cases cannot run, or NULL */
  char *netns;            /* the namespace's name */
  char *host_link;        /* the veth's end on this machine */
  char *unit_link;        /* the veth's end in the namespace */
  char *endpoint;         /* the archive as the unit reaches it */
  int listener;           /* the forwarder's, on the host's end */
  guint16 upstream_port;  /* the gateway's, on 127.0.0.1 */
} FieldNet;

static FieldNet *field;

/* One TCP connection through the forwarder; freed by the last of its two
 * pumps. */
typedef struct {
  int unit;
  int gateway;
  gint pumps;
} Relay;

static void
relay_done (Relay *relay)
{
  if (g_atomic_int_dec_and_test (&relay->pumps))
    {
      close (relay->unit);
      close (relay->gateway);
      g_free (relay);
    }
}

static void
pump (Relay *relay, int from, int to)
{
  char buffer[64 * 1024];
  ssize_t n;

  while ((n = read (from, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    for (ssize_t sent = 0, w; n > 0 && sent < n; sent += w)
      if ((w = send (to, buffer + sent, n - sent, MSG_NOSIGNAL)) <= 0)
        {
          if (w < 0 && errno == EINTR)
            {
              w = 0;
              continue;
            }
          goto out;
        }
out:
  shutdown (to, SHUT_WR);
  relay_done (relay);
}

static gpointer
pump_up (gpointer data)
{
  Relay *relay = data;

  pump (relay, relay->unit, relay->gateway);
  return NULL;
}

static gpointer
pump_down (gpointer data)
{
  Relay *relay = data;

  pump (relay, relay->gateway, relay->unit);
  return NULL;
}

/* The forwarder's accepting thread: started outside the namespace, so the
 * sockets it opens to the gateway are this machine's. It runs for the life
 * of the process. */
static gpointer
forward (gpointer data)
{
  FieldNet *net = data;

  for (;;)
    {
      struct sockaddr_in gateway = { .sin_family = AF_INET,
                                     .sin_port = htons (net->upstream_port),
                                     .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
      int unit = accept4 (net->listener, NULL, NULL, SOCK_CLOEXEC);
      Relay *relay;

      if (unit < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          g_error ("the field forwarder cannot accept: %s", g_strerror (errno));
        }
      relay = g_new0 (Relay, 1);
      relay->unit = unit;
      relay->gateway = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      relay->pumps = 2;
      if (relay->gateway < 0 ||
          connect (relay->gateway, (struct sockaddr *) &gateway, sizeof gateway) != 0)
        {
          /* The gateway down (a case may kill it): the unit sees a reset. */
          close (unit);
          if (relay->gateway >= 0)
            close (relay->gateway);
          g_free (relay);
          continue;
        }
      g_thread_unref (g_thread_new ("field-up", pump_up, relay));
      g_thread_unref (g_thread_new ("field-down", pump_down, relay));
    }
  return NULL;
}

/* Runs `ip ARGS...`; FALSE with its complaint in @err when it fails. */
static gboolean
ip (char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) "ip");
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return cr_test_run (NULL, err, (const char *const *) argv->pdata) == 0;
}

/* A /30 of 198.18.0.0/15 (RFC 2544's range for tests of networks) per
 * process, so that two runs at once (the normal and the sanitized build)
 * do not meet: @n 1 is the host's end, 2 the unit's. */
static char *
field_address (guint n, gboolean with_prefix)
{
  guint32 address = (198u << 24 | 18u << 16) + (guint32) (getpid () % 32768) * 4 + n;

  return g_strdup_printf ("%u.%u.%u.%u%s", address >> 24, (address >> 16) & 255,
                          (address >> 8) & 255, address & 255, with_prefix ? "/30" : "");
}

/* Makes the namespace and its link, starts the forwarder, and moves this
 * thread into the namespace. On failure ->skip says why. */
static FieldNet *
field_net_new (guint16 upstream_port)
{
  FieldNet *net = g_new0 (FieldNet, 1);
  g_autofree char *host_address = field_address (1, FALSE);
  g_autofree char *host_cidr = field_address (1, TRUE);
  g_autofree char *unit_cidr = field_address (2, TRUE);
  g_autofree char *ip_path = g_find_program_in_path ("ip");
  g_autofree char *cleanup = NULL;
  g_autofree char *err = NULL;
  g_autofree char *netns_path = NULL;
  struct sockaddr_in at = { .sin_family = AF_INET };
  socklen_t length = sizeof at;
  int netns_fd;

  net->netns = g_strdup_printf ("courtrec-field-%d", (int) getpid ());
  net->host_link = g_strdup_printf ("crf%dh", (int) getpid ());
  net->unit_link = g_strdup_printf ("crf%du", (int) getpid ());
  net->upstream_port = upstream_port;
  net->listener = -1;
  if (ip_path == NULL)
    {
      net->skip = g_strdup ("no ip (iproute2) to make the field unit's network namespace with");
      return net;
    }
  /* Deleting the host's end of a veth deletes the unit's too. */
  cleanup = g_strdup_printf ("ip link del %s 2>/dev/null; ip netns del %s 2>/dev/null",
                             net->host_link, net->netns);
  cr_test_at_exit (cleanup);
  if (!ip (&err, "netns", "add", net->netns, NULL))
    {
      net->skip = g_strdup_printf ("no network namespace for the field unit: ip netns add: %s",
                                   g_strstrip (err));
      return net;
    }
  g_clear_pointer (&err, g_free);
  if (!ip (&err, "link", "add", net->host_link, "type", "veth", "peer", "name", net->unit_link,
           "netns", net->netns, NULL))
    {
      net->skip = g_strdup_printf ("no veth pair for the field unit's link: ip link add: %s",
                                   g_strstrip (err));
      return net;
    }
  g_assert_true (ip (NULL, "addr", "add", host_cidr, "dev", net->host_link, NULL));
  g_assert_true (ip (NULL, "link", "set", net->host_link, "up", NULL));
  g_assert_true (ip (NULL, "-n", net->netns, "addr", "add", unit_cidr, "dev", net->unit_link,
                     NULL));
  g_assert_true (ip (NULL, "-n", net->netns, "link", "set", net->unit_link, "up", NULL));
  g_assert_true (ip (NULL, "-n", net->netns, "link", "set", "lo", "up", NULL));

  net->listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (net->listener, >=, 0);
  g_assert_cmpint (inet_pton (AF_INET, host_address, &at.sin_addr), ==, 1);
  g_assert_cmpint (bind (net->listener, (struct sockaddr *) &at, sizeof at), ==, 0);
  g_assert_cmpint (listen (net->listener, 16), ==, 0);
  g_assert_cmpint (getsockname (net->listener, (struct sockaddr *) &at, &length), ==, 0);
  net->endpoint = g_strdup_printf ("http://%s:%u", host_address, ntohs (at.sin_port));
  g_thread_unref (g_thread_new ("field-forward", forward, net));

  netns_path = g_strdup_printf ("/run/netns/%s", net->netns);
  netns_fd = open (netns_path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (netns_fd, >=, 0);
  g_assert_cmpint (setns (netns_fd, CLONE_NEWNET), ==, 0);
  close (netns_fd);
  g_test_message ("the field unit's network: %s, the archive at %s", net->netns,
                  net->endpoint);
  return net;
}

/* Takes the unit's end of the link down (@cut) or up again. */
static void
field_cut (gboolean cut)
{
  g_autofree char *err = NULL;

  if (!ip (&err, "-n", field->netns, "link", "set", field->unit_link, cut ? "down" : "up",
           NULL))
    g_error ("ip link set %s %s: %s", field->unit_link, cut ? "down" : "up", err);
  g_test_message ("the field unit's link is %s", cut ? "cut" : "back");
}

/* TRUE, and the case skipped with the reason, when it cannot run. */
static gboolean
field_skipped (void)
{
  if (cr_test_ceph_skipped (store))
    return TRUE;
  if (field->skip == NULL)
    return FALSE;
  g_test_skip (field->skip);
  return TRUE;
}

/* ---- the unit, its queue and its log ---------------------------------------- */

/* A room in the namespace that sends to @bucket over the link. */
static CrTestRoom *
field_room (const char *bucket)
{
  g_autofree char *section = cr_test_ceph_archive_section (store, field->endpoint, bucket, NULL);
  CrTestRoom *room = cr_test_room_new (SEGMENT_SECONDS, section);

  cr_test_room_setenv (room, "COURTREC_S3_STALL_SECONDS", STALL_SECONDS);
  cr_test_room_start (room);
  return room;
}

/* Waits until the uploader has reached the store once (its clock measured
 * at start), so that what follows starts from a unit that was online. */
static void
wait_online (CrTestRoom *room)
{
  gint64 until = g_get_monotonic_time () + 30 * cr_test_timing_factor () * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) archive = cr_test_archive_status (room);

      if (!json_object_get_null_member (archive, "clock_offset_seconds"))
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (250 * 1000);
    }
}

/* sqlite3 -readonly on the room's index: the rows of @sql, their columns
 * joined by '|', one a line. (transfer full) */
static GStrv
index_rows (CrTestRoom *room, const char *sql)
{
  g_autofree char *index = g_build_filename (room->storage_dir, "index.db", NULL);
  const char *argv[] = { "sqlite3", "-readonly", index, sql, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cr_test_run (&out, NULL, argv), ==, 0);
  g_strchomp (out);
  return *out == '\0' ? g_new0 (char *, 1) : g_strsplit (out, "\n", -1);
}

/* The queue's rows of @session_id where @where, @columns each. */
static GStrv
queue_rows (CrTestRoom *room, gint64 session_id, const char *columns, const char *where)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT %s FROM upload_queue WHERE session_id = %" G_GINT64_FORMAT " AND (%s)"
      " ORDER BY item DESC, sequence", columns, session_id, where);

  return index_rows (room, sql);
}

/* Waits until every object of the sealed @session_id (its segments and
 * its manifest) is verified in the archive. */
static void
wait_caught_up (CrTestRoom *room, gint64 session_id, guint seconds)
{
  g_autoptr (GPtrArray) segments = cr_test_segments (room, session_id);
  gint64 until = g_get_monotonic_time () + seconds * cr_test_timing_factor () * G_USEC_PER_SEC;

  for (;;)
    {
      g_auto (GStrv) verified = queue_rows (room, session_id, "key", "state = 'verified'");

      if (g_strv_length (verified) == segments->len + 1)
        return;
      if (g_get_monotonic_time () > until)
        {
          g_auto (GStrv) all = queue_rows (room, session_id,
                                           "key, state, attempts, last_error", "1");
          g_autofree char *shown = g_strjoinv ("\n", all);

          g_error ("the backlog was not caught up in %u s; the queue:\n%s", seconds, shown);
        }
      g_usleep (250 * 1000);
    }
}

/* "Content-Length" or "ETag" of a HEAD's headers, unquoted. (transfer full) */
static char *
header_value (const char *headers, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (headers, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');

      if (colon != NULL && (gsize) (colon - lines[i]) == strlen (name) &&
          g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0)
        {
          char *value = g_strstrip (colon + 1);

          if (*value == '"')
            value++;
          if (*value != '\0' && value[strlen (value) - 1] == '"')
            value[strlen (value) - 1] = '\0';
          return g_strdup (value);
        }
    }
  return NULL;
}

/* Every object of @session_id is in @bucket as the file on the unit's
 * disk: a HEAD shows its size and its MD5 (md5sum) as the ETag, and what a
 * GET brings back hashes (sha256sum) to the file's hash and to the
 * index's. */
static void
assert_all_in_bucket (CrTestRoom *room, gint64 session_id, const char *bucket)
{
  g_autoptr (GPtrArray) segments = cr_test_segments (room, session_id);
  g_auto (GStrv) rows = queue_rows (room, session_id, "item, key, path, sha256, state", "1");
  guint objects = 0;

  for (guint i = 0; rows[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (rows[i], "|", -1);
      g_autofree char *path = g_strdup_printf ("%s/%s", bucket, f[1]);
      g_autofree char *back = g_build_filename (room->dir, "fetched", NULL);
      g_autofree char *local = g_path_is_absolute (f[2])
                                   ? g_strdup (f[2])
                                   : g_build_filename (room->storage_dir, f[2], NULL);
      g_autofree char *head = NULL;
      g_autofree char *etag = NULL;
      g_autofree char *size = NULL;
      g_autofree char *back_sha256 = NULL;
      g_autofree char *local_sha256 = NULL;
      g_autofree char *local_md5 = NULL;
      GStatBuf st;

      g_assert_cmpuint (g_strv_length (f), ==, 5);
      g_assert_cmpstr (f[4], ==, "verified");
      g_assert_cmpint (cr_test_ceph_curl (store, path, NULL, &head), ==, 0);
      etag = header_value (head, "ETag");
      size = header_value (head, "Content-Length");
      local_md5 = cr_test_tool_digest ("md5sum", local);
      g_assert_cmpint (g_stat (local, &st), ==, 0);
      g_assert_cmpstr (etag, ==, local_md5);
      g_assert_cmpint (g_ascii_strtoll (size, NULL, 10), ==, st.st_size);
      g_assert_cmpint (cr_test_ceph_curl (store, path, back, NULL), ==, 0);
      back_sha256 = cr_test_tool_digest ("sha256sum", back);
      local_sha256 = cr_test_tool_digest ("sha256sum", local);
      g_assert_cmpstr (back_sha256, ==, local_sha256);
      g_assert_cmpstr (back_sha256, ==, f[3]);
      g_test_message ("%s %s: %s bytes, sha256 %s, as on the unit's disk", f[0], f[1], size,
                      back_sha256);
      objects++;
    }
  /* Each segment and the manifest, nothing left out. */
  g_assert_cmpuint (objects, ==, segments->len + 1);
}

/* The recording did not notice: segments back to back, each decoding to
 * its length (cr_test_assert_recording_whole), every frame there by
 * ffprobe's count, and no gap or error in the hearing's log. */
static void
assert_recording_untouched (CrTestRoom *room, gint64 session_id, guint at_least)
{
  g_autoptr (GPtrArray) segments = NULL;
  g_autofree char *sql = g_strdup_printf (
      "SELECT kind FROM events WHERE session_id = %" G_GINT64_FORMAT " AND kind IN ("
      "'gap', 'capture-error', 'segment-error', 'segment-open-failed', 'segment-missing', "
      "'input-lost', 'disk-stall')", session_id);
  g_auto (GStrv) faults = NULL;

  cr_test_assert_recording_whole (room, session_id, at_least);
  segments = cr_test_segments (room, session_id);
  for (guint i = 0; i < segments->len; i++)
    {
      const CrSegmentRecord *segment = g_ptr_array_index (segments, i);
      g_autofree char *path = g_build_filename (room->storage_dir, segment->path, NULL);
      g_autoptr (JsonObject) probe = cr_test_ffprobe (path, TRUE);
      JsonArray *streams = json_object_get_array_member (probe, "streams");
      double expected = segment->duration_us / 1e6 * FRAMERATE;
      gint64 frames = -1;

      for (guint s = 0; s < json_array_get_length (streams); s++)
        {
          JsonObject *stream = json_array_get_object_element (streams, s);

          if (g_strcmp0 (json_object_get_string_member (stream, "codec_type"), "video") == 0)
            frames = g_ascii_strtoll (json_object_get_string_member (stream, "nb_read_frames"),
                                      NULL, 10);
        }
      g_test_message ("segment %u: %" G_GINT64_FORMAT " frames in %.2f s", segment->sequence,
                      frames, segment->duration_us / 1e6);
      g_assert_cmpfloat (ABS ((double) frames - expected), <=, 2);
    }
  faults = index_rows (room, sql);
  g_assert_null (faults[0]);
}

/* ---- cases ---- */

static void
test_profiles_valid (void)
{
  const char *profiles[] = { "enforcement-unit", "circuit-laptop" };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("courtrec-field-XXXXXX", &error);
  g_autofree char *courtrecd = cr_test_build_path ("courtrecd");

  g_assert_no_error (error);
  /* The archive's keys, as the guide has them made (--check-config reads
   * them: a unit that leaves with an unreadable key would never upload). */
  {
    g_autofree char *etc = g_build_filename (dir, "etc", NULL);
    g_autofree char *access = g_build_filename (etc, "archive.access", NULL);
    g_autofree char *secret = g_build_filename (etc, "archive.secret", NULL);

    g_assert_cmpint (g_mkdir_with_parents (etc, 0750), ==, 0);
    g_assert_true (g_file_set_contents_full (access, "FIELDACCESS\n", -1,
                                             G_FILE_SET_CONTENTS_NONE, 0600, NULL));
    g_assert_true (g_file_set_contents_full (secret, "fieldsecret\n", -1,
                                             G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  }
  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      g_autofree char *name = g_strdup_printf ("contrib/field-units/%s.conf", profiles[i]);
      g_autofree char *source = cr_test_top_path (name);
      g_autofree char *copy = g_strdup_printf ("%s/%s.conf", dir, profiles[i]);
      g_autofree char *text = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      /* The machine's paths into the test's directory, the devices to the
       * built-in sources; every key and value else as shipped. */
      g_autofree char *script = g_strdup_printf (
          "s|/var/lib/courtrec|%s/var|g; s|/etc/courtrec|%s/etc|g; "
          "s|^source = v4l2:/dev/video[0-9]*$|source = test|; "
          "s|^source = alsa:hw:[0-9,]*$|source = test|", dir, dir);
      const char *sed[] = { "sed", "-e", script, source, NULL };
      const char *check[] = { courtrecd, "-c", copy, "--check-config", NULL };
      int status;

      g_assert_cmpint (cr_test_run (&text, NULL, sed), ==, 0);
      g_assert_null (strstr (text, "\nsource = v4l2:"));
      g_assert_null (strstr (text, "\nsource = alsa:"));
      g_file_set_contents (copy, text, -1, &error);
      g_assert_no_error (error);
      status = cr_test_run (&out, &err, check);
      g_test_message ("%s: %s%s", profiles[i], out, err);
      g_assert_cmpint (status, ==, 0);
      g_assert_nonnull (strstr (out, ": valid: room "));
    }
  /* Without the archive's secret the check fails, naming the key. */
  {
    g_autofree char *secret = g_build_filename (dir, "etc", "archive.secret", NULL);
    g_autofree char *copy = g_strdup_printf ("%s/circuit-laptop.conf", dir);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *check[] = { courtrecd, "-c", copy, "--check-config", NULL };

    g_assert_cmpint (g_unlink (secret), ==, 0);
    g_assert_cmpint (cr_test_run (&out, &err, check), ==, 2);
    g_assert_nonnull (strstr (err, "[archive court] secret_key_file"));
  }
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);
    const char *argv[] = { "sh", "-c", rm, NULL };

    g_assert_cmpint (cr_test_run (NULL, NULL, argv), ==, 0);
  }
}

/* courtrec status --json's archive, as an operator reads it. (transfer full) */
static JsonObject *
client_archive_status (CrTestRoom *room)
{
  g_autofree char *out = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *archives;

  g_assert_cmpint (cr_test_client (room, &out, NULL, "status", "--json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  archives = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "archive");
  g_assert_cmpuint (json_array_get_length (archives), ==, 1);
  return json_object_ref (json_array_get_object_element (archives, 0));
}

/* Waits (until @deadline_us, monotonic) for the queue to hold @at_least
 * items that wait for want of a network; returns its oldest age. */
static gint64
wait_queue_waiting (CrTestRoom *room, guint at_least, gint64 deadline_us)
{
  for (;;)
    {
      g_autoptr (JsonObject) archive = client_archive_status (room);
      gint64 length = json_object_get_int_member (archive, "queue_length");
      const char *last_error = json_object_get_null_member (archive, "last_error")
                                   ? NULL : json_object_get_string_member (archive, "last_error");

      if (length >= at_least && last_error != NULL)
        {
          gint64 age = json_object_get_int_member (archive, "oldest_age_seconds");

          g_test_message ("offline: %" G_GINT64_FORMAT " waiting, %" G_GINT64_FORMAT
                          " bytes, the oldest %" G_GINT64_FORMAT " s: %s", length,
                          json_object_get_int_member (archive, "queue_bytes"), age, last_error);
          g_assert_nonnull (strstr (last_error, "cannot be reached"));
          g_assert_cmpint (json_object_get_int_member (archive, "queue_bytes"), >, 0);
          return age;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline_us);
      g_usleep (250 * 1000);
    }
}

static void
test_network_cut (void)
{
  const char *bucket = "field-cut";
  CrTestRoom *room;
  gint64 session, cut_at, age_first, age_later;
  g_autofree char *back_at = NULL;
  double factor = cr_test_timing_factor ();

  if (field_skipped ())
    return;
  room = field_room (bucket);
  wait_online (room);
  session = cr_test_start_session (room, CASE_NO);
  field_cut (TRUE);
  cut_at = g_get_monotonic_time ();

  /* Out of reach for 24 s: two segments close meanwhile and wait. */
  age_first = wait_queue_waiting (room, 1, cut_at + 15 * factor * G_USEC_PER_SEC);
  age_later = wait_queue_waiting (room, 2, cut_at + 24 * factor * G_USEC_PER_SEC);
  g_assert_cmpint (age_later, >, age_first);
  {
    g_autoptr (CrTestScrape) scrape = cr_test_scrape (room);

    g_assert_cmpfloat (cr_test_scrape_value (scrape, "courtrec_archive_queue_items" SERIES),
                       >=, 2);
    g_assert_cmpfloat (cr_test_scrape_value (scrape,
                                             "courtrec_archive_oldest_age_seconds" SERIES),
                       >=, SEGMENT_SECONDS - 2);
    g_assert_cmpfloat (cr_test_scrape_value (
                           scrape, "courtrec_archive_failed_items{room=\"test-room\","
                                   "archive=\"court\",reason=\"unreachable\"}"), >=, 1);
  }
  g_assert_null (cr_test_alarm_message (room, "upload-overdue"));

  /* The hearing ends offline, like a circuit hearing's: sealed, and the
   * whole of it waits, its segments and its manifest. */
  while (g_get_monotonic_time () < cut_at + 22 * G_USEC_PER_SEC)
    g_usleep (100 * 1000);
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  {
    g_autoptr (GPtrArray) segments = cr_test_segments (room, session);

    g_assert_cmpuint (segments->len, ==, 3);
    wait_queue_waiting (room, segments->len + 1,
                        g_get_monotonic_time () + 10 * factor * G_USEC_PER_SEC);
  }
  while (g_get_monotonic_time () < cut_at + 24 * G_USEC_PER_SEC)
    g_usleep (100 * 1000);
  back_at = cr_format_utc (g_get_real_time ());
  field_cut (FALSE);

  /* Back, with nothing recording to wake the uploader: it finds the store
   * by itself and catches up. */
  wait_caught_up (room, session, 45);
  /* The clock measured on the way back is in the hearing's log, although
   * the hearing ended offline: the drift is on record with what it dated. */
  {
    g_autofree char *sql = g_strdup_printf (
        "SELECT detail FROM events WHERE session_id = %" G_GINT64_FORMAT
        " AND kind = 'clock-offset' AND at >= '%s'", session, back_at);
    g_auto (GStrv) offsets = index_rows (room, sql);

    g_assert_nonnull (offsets[0]);
    g_assert_nonnull (strstr (offsets[0], "\"archive\":\"court\""));
  }
  assert_all_in_bucket (room, session, bucket);
  assert_recording_untouched (room, session, 3);
  {
    g_autoptr (JsonObject) archive = client_archive_status (room);

    g_assert_cmpint (json_object_get_int_member (archive, "queue_length"), ==, 0);
    g_assert_false (json_object_get_null_member (archive, "last_success"));
  }
  cr_test_room_free (room);
}

/* The line of the daemon's log, from @from on, where @text first is; -1
 * when it is not there. */
static gssize
log_position (const char *log, gsize from, const char *text)
{
  const char *at = strstr (log + from, text);

  return at != NULL ? at - log : -1;
}

static void
test_clock_before_upload (void)
{
  const char *bucket = "field-clock";
  CrTestRoom *room;
  gint64 session;
  g_autofree char *back_at = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *log = NULL;
  g_auto (GStrv) offsets = NULL;
  g_auto (GStrv) measure = NULL;
  g_auto (GStrv) first_upload = NULL;
  gssize refused, logged, uploaded;

  if (field_skipped ())
    return;
  room = field_room (bucket);
  wait_online (room);
  session = cr_test_start_session (room, CASE_NO);
  field_cut (TRUE);
  /* The first segment closes with no network: its upload fails. */
  wait_queue_waiting (room, 1,
                      g_get_monotonic_time () + 15 * cr_test_timing_factor () * G_USEC_PER_SEC);
  {
    g_auto (GStrv) verified = queue_rows (room, session, "key", "state = 'verified'");

    g_assert_null (verified[0]);
  }
  back_at = cr_format_utc (g_get_real_time ());
  field_cut (FALSE);

  /* The next segment's close, or the uploader's own look every 10 to 20 s,
   * finds the store again: its clock is measured and logged, and only then
   * does anything go. */
  {
    gint64 until = g_get_monotonic_time () + 30 * cr_test_timing_factor () * G_USEC_PER_SEC;
    g_auto (GStrv) verified = NULL;

    while ((verified = queue_rows (room, session, "key", "state = 'verified'"))[0] == NULL)
      {
        g_clear_pointer (&verified, g_strfreev);
        g_assert_cmpint (g_get_monotonic_time (), <, until);
        g_usleep (250 * 1000);
      }
  }
  cr_test_stop_and_wait (room, session);
  cr_test_wait_sealed (room, session);
  wait_caught_up (room, session, 45);

  /* In the hearing's own log: the measure after the link came back, its
   * time before the first object verified after it. */
  sql = g_strdup_printf ("SELECT at, detail FROM events WHERE session_id = %" G_GINT64_FORMAT
                         " AND kind = 'clock-offset' AND at >= '%s' ORDER BY id", session,
                         back_at);
  offsets = index_rows (room, sql);
  g_assert_nonnull (offsets[0]);
  g_test_message ("clock-offset after the link came back: %s", offsets[0]);
  g_assert_nonnull (strstr (offsets[0], "\"offset_seconds\""));
  g_assert_nonnull (strstr (offsets[0], "\"archive\":\"court\""));
  measure = g_strsplit (offsets[0], "|", 2);
  first_upload = queue_rows (room, session, "min(verified_at)", "1");
  g_test_message ("first verified after it: %s", first_upload[0]);
  g_assert_cmpstr (measure[0], <, first_upload[0]);
  {
    /* Ceph runs on this machine's clock: within the Date's second. */
    g_autoptr (JsonObject) archive = cr_test_archive_status (room);
    double offset = json_object_get_double_member (archive, "clock_offset_seconds");

    g_assert_cmpfloat (offset, >, -1.5);
    g_assert_cmpfloat (offset, <, 1.5);
  }

  /* And in the daemon's log, in that order: the failure, the measure
   * logged, then the first upload verified. */
  g_assert_true (g_file_get_contents (room->daemon_log, &log, NULL, NULL));
  refused = log_position (log, 0, "the archive cannot be reached");
  g_assert_cmpint (refused, >=, 0);
  logged = log_position (log, refused, "clock-offset: the archive court's clock is");
  uploaded = log_position (log, refused, " verified (");
  g_assert_cmpint (logged, >, refused);
  g_assert_cmpint (uploaded, >, logged);
  cr_test_room_free (room);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/courtrec/field-unit/profiles-valid", test_profiles_valid);
  g_test_add_func ("/courtrec/field-unit/network-cut", test_network_cut);
  g_test_add_func ("/courtrec/field-unit/clock-before-upload", test_clock_before_upload);
  store = cr_test_ceph_new ("test-field-unit");
  if (store->skip == NULL)
    {
      g_autoptr (GUri) uri = g_uri_parse (store->endpoint, G_URI_FLAGS_NONE, NULL);

      g_assert_nonnull (uri);
      field = field_net_new ((guint16) g_uri_get_port (uri));
      /* From inside the namespace, the gateway is where the unit finds it:
       * cr_test_ceph_curl and the archive's section go over the link. */
      if (field->skip == NULL)
        {
          g_free (store->endpoint);
          store->endpoint = g_strdup (field->endpoint);
        }
      else
        g_test_message ("%s", field->skip);
    }
  else
    field = g_new0 (FieldNet, 1);
  return g_test_run ();
}
