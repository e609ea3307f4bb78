/* broadcast.c: the room's live outputs behind their public feeds (see
 * broadcast.h). */
#include "recorder/broadcast.h"

#include "streaming/destination.h"
#include "streaming/hls.h"
#include "streaming/public-feed.h"
#include "streaming/slate.h"

#include <string.h>

#define HLS_NAME "hls"

G_DEFINE_QUARK (cr-broadcast-error-quark, cr_broadcast_error)

typedef struct {
  char *name;
  char *kind;                 /* rtmp, rtmps, srt, hls */
  char *url;                  /* without the key */
  gboolean autostart;
  CrDestination *destination; /* or */
  CrHls *hls;
  CrPublicFeed *feed;
  gboolean running;
  gboolean cut;               /* by the operator */
} Output;

struct CrBroadcast {
  const CrConfig *config;
  CrCapture *capture;
  CrSlate *slate;
  GPtrArray *outputs;         /* Output*, fixed after new(): read by streaming threads */
  char *case_no;              /* on air when set */
  gboolean recess;
  guint slate_timer;          /* stops the slate once no output wants it */
  gint64 slate_unwanted_since;
};

/* The slate is a second x264 encode, as costly as the hearing's even for
 * a still picture: it runs only while an output shows it or may have to
 * (cut, recess, a delay filling), and a little longer, so that a quick
 * cut after a resume does not wait for it to start again. */
#define SLATE_LINGER_US (10 * G_USEC_PER_SEC)

static void
output_free (Output *output)
{
  if (output->feed != NULL)
    cr_public_feed_stop (output->feed);
  cr_destination_free (output->destination);
  if (output->hls != NULL)
    cr_hls_free (output->hls);
  cr_public_feed_free (output->feed);
  g_free (output->name);
  g_free (output->kind);
  g_free (output->url);
  g_free (output);
}

static gboolean
push_to_destination (gpointer output, GstSample *sample, guint track)
{
  return cr_destination_push (output, sample, track);
}

static gboolean
push_to_hls (gpointer output, GstSample *sample, guint track)
{
  return cr_hls_push (output, sample, track);
}

static void
slate_keyframe (gpointer data)
{
  CrBroadcast *broadcast = data;
  cr_slate_request_keyframe (broadcast->slate);
}

static void
live_keyframe (gpointer data)
{
  CrBroadcast *broadcast = data;
  /* Also a keyframe in the recording: harmless, and the public stream
   * resumes at once rather than within a second. */
  cr_capture_request_keyframe (broadcast->capture);
}

static void
on_slate_sample (GstSample *sample, guint track, GstClockTime capture_time, gpointer data)
{
  CrBroadcast *broadcast = data;

  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      cr_public_feed_push_slate (output->feed, sample, track, capture_time);
    }
}

static void
add_output (CrBroadcast *broadcast, Output *output, guint delay_seconds, CrFeedOutputFunc push,
            gpointer target)
{
  output->feed = cr_public_feed_new (output->name, delay_seconds, push, target);
  cr_public_feed_set_keyframe_funcs (output->feed, slate_keyframe, live_keyframe, broadcast);
  g_ptr_array_add (broadcast->outputs, output);
}

static gboolean
add_stream (CrBroadcast *broadcast, const CrStreamConfig *stream, GError **error)
{
  g_autofree char *key = cr_config_load_stream_key (stream, error);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GUri) uri = NULL;
  CrDestination *destination;
  Output *output;

  if (key == NULL)
    return FALSE;
  destination = cr_destination_new (stream->name, stream->url, key, &local_error);
  explicit_bzero (key, strlen (key));
  if (destination == NULL)
    {
      g_set_error (error, CR_BROADCAST_ERROR, CR_BROADCAST_ERROR_SETUP,
                   "%s: [stream %s] url = \"%s\": %s", broadcast->config->path, stream->name,
                   stream->url, local_error->message);
      return FALSE;
    }
  cr_destination_set_tls_ca_file (destination, stream->tls_ca_file);
  uri = g_uri_parse (stream->url, G_URI_FLAGS_NON_DNS, NULL);
  output = g_new0 (Output, 1);
  output->name = g_strdup (stream->name);
  output->kind = g_strdup (uri != NULL ? g_uri_get_scheme (uri) : "rtmp");
  output->url = g_strdup (stream->url);
  output->autostart = stream->autostart;
  output->destination = destination;
  add_output (broadcast, output, stream->delay_seconds, push_to_destination, destination);
  return TRUE;
}

CrBroadcast *
cr_broadcast_new (const CrConfig *config, CrCapture *capture, GError **error)
{
  g_autoptr (CrBroadcast) broadcast = g_new0 (CrBroadcast, 1);

  broadcast->config = config;
  broadcast->capture = capture;
  broadcast->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) output_free);

  for (guint i = 0; i < config->streams->len; i++)
    if (!add_stream (broadcast, g_ptr_array_index (config->streams, i), error))
      return NULL;
  if (config->hls)
    {
      g_autofree char *dir = g_build_filename (config->storage_dir, "live", NULL);
      CrHls *hls = cr_hls_new (dir, error);
      Output *output;

      if (hls == NULL)
        return NULL;
      output = g_new0 (Output, 1);
      output->name = g_strdup (HLS_NAME);
      output->kind = g_strdup ("hls");
      output->url = g_strdup_printf ("/live/%s/index.m3u8", config->room_id);
      output->autostart = TRUE;
      output->hls = hls;
      add_output (broadcast, output, config->hls_delay_seconds, push_to_hls, hls);
    }
  if (broadcast->outputs->len > 0)
    {
      broadcast->slate = cr_slate_new (config, on_slate_sample, broadcast, error);
      if (broadcast->slate == NULL)
        return NULL;
    }
  return g_steal_pointer (&broadcast);
}

void
cr_broadcast_free (CrBroadcast *broadcast)
{
  if (broadcast == NULL)
    return;
  if (broadcast->slate_timer != 0)
    g_source_remove (broadcast->slate_timer);
  /* The slate first: its streaming threads read the outputs. */
  if (broadcast->slate != NULL)
    cr_slate_free (broadcast->slate);
  g_clear_pointer (&broadcast->outputs, g_ptr_array_unref);
  g_free (broadcast->case_no);
  g_free (broadcast);
}

void
cr_broadcast_push (CrBroadcast *broadcast, GstSample *sample, guint track,
                   GstClockTime running_time)
{
  GstClockTime capture_time;

  if (track > 1)
    return;
  capture_time = running_time + cr_capture_get_base_time (broadcast->capture);
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      cr_public_feed_push_live (output->feed, sample, track, capture_time);
    }
}

/* --- outputs ---------------------------------------------------------------- */

static Output *
find_output (CrBroadcast *broadcast, const char *name, GError **error)
{
  g_autoptr (GString) names = g_string_new (NULL);

  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      if (g_str_equal (output->name, name))
        return output;
      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", output->name);
    }
  g_set_error (error, CR_BROADCAST_ERROR, CR_BROADCAST_ERROR_UNKNOWN,
               "No stream named '%s' in this room: expected %s", name,
               names->len > 0 ? names->str : "none (no [stream NAME] group, HLS off)");
  return NULL;
}

static gboolean
slate_wanted (CrBroadcast *broadcast)
{
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      if (output->running && cr_public_feed_wants_slate (output->feed))
        return TRUE;
    }
  return FALSE;
}

static gboolean
check_slate (gpointer data)
{
  CrBroadcast *broadcast = data;
  gint64 now = g_get_monotonic_time ();

  if (slate_wanted (broadcast))
    broadcast->slate_unwanted_since = 0;
  else if (broadcast->slate_unwanted_since == 0)
    broadcast->slate_unwanted_since = now;
  else if (now - broadcast->slate_unwanted_since >= SLATE_LINGER_US)
    {
      cr_slate_stop (broadcast->slate);
      broadcast->slate_timer = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Starts the slate if an output wants it; the timer stops it later. */
static void
update_slate (CrBroadcast *broadcast)
{
  g_autoptr (GError) error = NULL;

  if (broadcast->slate == NULL || !slate_wanted (broadcast))
    return;
  broadcast->slate_unwanted_since = 0;
  if (!cr_slate_is_running (broadcast->slate) &&
      !cr_slate_start (broadcast->slate, &error))
    g_warning ("%s: the public streams will show nothing while cut", error->message);
  if (broadcast->slate_timer == 0)
    broadcast->slate_timer = g_timeout_add (500, check_slate, broadcast);
}

static void
output_start (CrBroadcast *broadcast, Output *output)
{
  if (output->running)
    return;
  output->running = TRUE;
  cr_public_feed_start (output->feed, output->cut || broadcast->recess);
  update_slate (broadcast);
  if (output->destination != NULL)
    cr_destination_start (output->destination);
  else
    cr_hls_start (output->hls);
  g_message ("Stream %s started (%s)", output->name, output->url);
}

static void
output_stop (CrBroadcast *broadcast, Output *output)
{
  if (!output->running)
    return;
  output->running = FALSE;
  cr_public_feed_stop (output->feed);
  if (output->destination != NULL)
    cr_destination_stop (output->destination);
  else
    cr_hls_stop (output->hls);
  g_message ("Stream %s stopped", output->name);
}

static void
apply_cut (CrBroadcast *broadcast, Output *output)
{
  cr_public_feed_set_cut (output->feed, output->cut || broadcast->recess);
  update_slate (broadcast);
}

void
cr_broadcast_go_on_air (CrBroadcast *broadcast, const char *case_no, gboolean recess)
{
  g_free (broadcast->case_no);
  broadcast->case_no = g_strdup (case_no);
  broadcast->recess = recess;
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      output->cut = FALSE;
      if (output->autostart)
        output_start (broadcast, output);
    }
}

void
cr_broadcast_go_off_air (CrBroadcast *broadcast)
{
  for (guint i = 0; i < broadcast->outputs->len; i++)
    output_stop (broadcast, g_ptr_array_index (broadcast->outputs, i));
  g_clear_pointer (&broadcast->case_no, g_free);
  broadcast->recess = FALSE;
}

void
cr_broadcast_set_recess (CrBroadcast *broadcast, gboolean recess)
{
  broadcast->recess = recess;
  for (guint i = 0; i < broadcast->outputs->len; i++)
    apply_cut (broadcast, g_ptr_array_index (broadcast->outputs, i));
}

gboolean
cr_broadcast_is_on_air (CrBroadcast *broadcast)
{
  return broadcast->case_no != NULL;
}

gboolean
cr_broadcast_cut (CrBroadcast *broadcast, const char *name, gboolean cut, GError **error)
{
  if (name != NULL)
    {
      Output *output = find_output (broadcast, name, error);
      if (output == NULL)
        return FALSE;
      output->cut = cut;
      apply_cut (broadcast, output);
      return TRUE;
    }
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      output->cut = cut;
      apply_cut (broadcast, output);
    }
  return TRUE;
}

gboolean
cr_broadcast_start_output (CrBroadcast *broadcast, const char *name, GError **error)
{
  Output *output = find_output (broadcast, name, error);

  if (output == NULL)
    return FALSE;
  if (broadcast->case_no == NULL)
    {
      g_set_error (error, CR_BROADCAST_ERROR, CR_BROADCAST_ERROR_STATE,
                   "Cannot start stream %s: no approved session is on air", name);
      return FALSE;
    }
  output_start (broadcast, output);
  return TRUE;
}

gboolean
cr_broadcast_stop_output (CrBroadcast *broadcast, const char *name, GError **error)
{
  Output *output;

  if (name == NULL)
    {
      for (guint i = 0; i < broadcast->outputs->len; i++)
        output_stop (broadcast, g_ptr_array_index (broadcast->outputs, i));
      return TRUE;
    }
  output = find_output (broadcast, name, error);
  if (output == NULL)
    return FALSE;
  output_stop (broadcast, output);
  return TRUE;
}

/* --- status ------------------------------------------------------------------ */

JsonNode *
cr_broadcast_get_status (CrBroadcast *broadcast)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      CrFeedShowing showing = cr_public_feed_get_showing (output->feed);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, output->name);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, output->kind);
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, output->url);
      json_builder_set_member_name (builder, "running");
      json_builder_add_boolean_value (builder, output->running);
      json_builder_set_member_name (builder, "cut");
      json_builder_add_boolean_value (builder, output->cut || broadcast->recess);
      json_builder_set_member_name (builder, "showing");
      json_builder_add_string_value (builder, cr_feed_showing_to_string (showing));
      json_builder_set_member_name (builder, "delay_seconds");
      json_builder_add_int_value (builder, cr_public_feed_get_delay (output->feed));
      json_builder_set_member_name (builder, "autostart");
      json_builder_add_boolean_value (builder, output->autostart);
      if (output->destination != NULL)
        {
          CrDestinationStats stats;

          cr_destination_get_stats (output->destination, &stats);
          json_builder_set_member_name (builder, "state");
          json_builder_add_string_value (builder, cr_destination_state_to_string (stats.state));
          json_builder_set_member_name (builder, "bitrate_kbps");
          json_builder_add_int_value (builder, stats.bitrate_kbps);
          json_builder_set_member_name (builder, "bytes_sent");
          json_builder_add_int_value (builder, (gint64) stats.bytes_sent);
          json_builder_set_member_name (builder, "reconnects");
          json_builder_add_int_value (builder, stats.reconnects);
          json_builder_set_member_name (builder, "watchdog_stalls");
          json_builder_add_int_value (builder, stats.watchdog_stalls);
          json_builder_set_member_name (builder, "dropped_video");
          json_builder_add_int_value (builder, (gint64) stats.dropped_video);
          json_builder_set_member_name (builder, "dropped_audio");
          json_builder_add_int_value (builder, (gint64) stats.dropped_audio);
          json_builder_set_member_name (builder, "backoff_ms");
          json_builder_add_int_value (builder, stats.backoff_ms);
          json_builder_set_member_name (builder, "last_error");
          if (stats.last_error != NULL)
            json_builder_add_string_value (builder, stats.last_error);
          else
            json_builder_add_null_value (builder);
          cr_destination_stats_clear (&stats);
        }
      else
        {
          json_builder_set_member_name (builder, "state");
          json_builder_add_string_value (builder, output->running ? "live" : "stopped");
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

const char *
cr_broadcast_get_public_state (CrBroadcast *broadcast)
{
  if (broadcast->case_no == NULL)
    return "off";
  if (broadcast->recess)
    return "paused";
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      if (output->hls != NULL && output->cut)
        return "paused";
    }
  return "live";
}

const char *
cr_broadcast_get_hls_dir (CrBroadcast *broadcast)
{
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      if (output->hls != NULL)
        return output->running ? cr_hls_get_dir (output->hls) : NULL;
    }
  return NULL;
}

const char *
cr_broadcast_get_case (CrBroadcast *broadcast)
{
  return broadcast->case_no;
}
