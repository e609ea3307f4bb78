/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* broadcast.c: the room's live outputs behind their public feeds (see
 * broadcast.h). */
#include "recorder/broadcast.h"

#include "config/text.h"
#include "streaming/destination.h"
#include "streaming/hls.h"
#include "streaming/profile-encoder.h"
#include "streaming/public-feed.h"
#include "streaming/slate.h"

#include <string.h>

#define HLS_NAME "hls"

G_DEFINE_QUARK (cr-broadcast-error-quark, cr_broadcast_error)

/* One slate and when it is needed: the shared one (the recording's
 * picture) or a stream's own (its own picture). */
typedef struct {
  CrBroadcast *broadcast;
  CrSlate *slate;
  guint timer;                /* stops the slate once no output wants it */
  gint64 unwanted_since;
} SlateUse;

typedef struct {
  CrBroadcast *broadcast;
  char *name;
  char *kind;                 /* rtmp, rtmps, srt, hls */
  char *url;                  /* without the key */
  gboolean autostart;
  CrDestination *destination; /* or */
  CrHls *hls;
  CrPublicFeed *feed;
  SlateUse *slate;            /* borrowed: the broadcast's */
  CrProfileEncoder *encoder;  /* a picture of its own, or NULL: the recording's */
  guint width, height, video_bitrate_kbps;
  gboolean running;
  gboolean cut;               /* by the operator */
} Output;

struct CrBroadcast {
  const CrConfig *config;
  CrCapture *capture;
  GPtrArray *slates;          /* SlateUse*, each output's */
  SlateUse *shared_slate;     /* the recording's picture's, or NULL */
  GPtrArray *outputs;         /* Output*, fixed after new(): read by streaming threads */
  char *case_no;              /* on air when set */
  gboolean recess;
};

/* The slate is a second x264 encode, as costly as the hearing's even for
 * a still picture: it runs only while an output shows it or may have to
 * (cut, recess, a delay filling), and a little longer, so that a quick
 * cut after a resume does not wait for it to start again. */
#define SLATE_LINGER_US (10 * G_USEC_PER_SEC)

static void
output_free (Output *output)
{
  /* Its encoder first: its streaming thread pushes into the feed. */
  if (output->encoder != NULL)
    cr_profile_encoder_stop (output->encoder);
  if (output->feed != NULL)
    cr_public_feed_stop (output->feed);
  cr_destination_free (output->destination);
  if (output->hls != NULL)
    cr_hls_free (output->hls);
  cr_public_feed_free (output->feed);
  if (output->encoder != NULL)
    cr_profile_encoder_free (output->encoder);
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
  Output *output = data;
  cr_slate_request_keyframe (output->slate->slate);
}

static void
live_keyframe (gpointer data)
{
  Output *output = data;

  if (output->encoder != NULL)
    cr_profile_encoder_request_keyframe (output->encoder);
  else
    /* Also a keyframe in the recording: harmless, and the public stream
     * resumes at once rather than within a second. */
    cr_capture_request_keyframe (output->broadcast->capture);
}

static void
on_slate_sample (GstSample *sample, guint track, GstClockTime capture_time, gpointer data)
{
  SlateUse *use = data;
  GPtrArray *outputs = use->broadcast->outputs;

  for (guint i = 0; i < outputs->len; i++)
    {
      Output *output = g_ptr_array_index (outputs, i);
      if (output->slate == use)
        cr_public_feed_push_slate (output->feed, sample, track, capture_time);
    }
}

static void
slate_use_free (SlateUse *use)
{
  if (use->timer != 0)
    g_source_remove (use->timer);
  cr_slate_free (use->slate);
  g_free (use);
}

static SlateUse *
add_slate (CrBroadcast *broadcast, guint width, guint height, guint bitrate_kbps,
           GError **error)
{
  SlateUse *use = g_new0 (SlateUse, 1);

  use->broadcast = broadcast;
  use->slate = cr_slate_new (broadcast->config, width, height, bitrate_kbps, on_slate_sample,
                             use, error);
  if (use->slate == NULL)
    {
      g_free (use);
      return NULL;
    }
  g_ptr_array_add (broadcast->slates, use);
  return use;
}

/* The slate for the recording's picture, made on first need. */
static SlateUse *
shared_slate (CrBroadcast *broadcast, GError **error)
{
  const CrConfig *config = broadcast->config;

  if (broadcast->shared_slate == NULL)
    broadcast->shared_slate = add_slate (broadcast, config->width, config->height,
                                         config->video_bitrate_kbps, error);
  return broadcast->shared_slate;
}

static void
on_profile_sample (GstSample *sample, GstClockTime capture_time, gpointer data)
{
  Output *output = data;
  cr_public_feed_push_live (output->feed, sample, 0, capture_time);
}

static gboolean
add_output (CrBroadcast *broadcast, Output *output, guint delay_seconds, CrFeedOutputFunc push,
            gpointer target, GError **error)
{
  guint kbps = (output->encoder != NULL ? output->video_bitrate_kbps
                                        : broadcast->config->video_bitrate_kbps) +
               broadcast->config->audio_bitrate_kbps;

  output->broadcast = broadcast;
  output->feed = cr_public_feed_new (output->name, delay_seconds, kbps, push, target);
  cr_public_feed_set_keyframe_funcs (output->feed, slate_keyframe, live_keyframe, output);
  g_ptr_array_add (broadcast->outputs, output);
  if (output->encoder != NULL)
    output->slate = add_slate (broadcast, output->width, output->height,
                               output->video_bitrate_kbps, error);
  else
    output->slate = shared_slate (broadcast, error);
  return output->slate != NULL;
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
      /* Not the URL itself: an SRT URL may hold a passphrase. */
      g_set_error (error, CR_BROADCAST_ERROR, CR_BROADCAST_ERROR_SETUP,
                   "%s: [stream %s] url: %s", broadcast->config->path, stream->name,
                   local_error->message);
      return FALSE;
    }
  cr_destination_set_tls_ca_file (destination, stream->tls_ca_file);
  uri = g_uri_parse (stream->url, G_URI_FLAGS_NON_DNS, NULL);
  output = g_new0 (Output, 1);
  output->name = g_strdup (stream->name);
  output->kind = g_strdup (uri != NULL ? g_uri_get_scheme (uri) : "rtmp");
  output->url = g_strdup (cr_destination_get_url (destination)); /* secrets masked */
  output->autostart = stream->autostart;
  output->destination = destination;
  if (cr_stream_own_profile (broadcast->config, stream, &output->width, &output->height,
                             &output->video_bitrate_kbps))
    {
      output->encoder = cr_profile_encoder_new (broadcast->config, output->width,
                                                output->height, output->video_bitrate_kbps,
                                                on_profile_sample, output, error);
      if (output->encoder == NULL)
        {
          g_ptr_array_add (broadcast->outputs, output); /* freed with them */
          return FALSE;
        }
    }
  return add_output (broadcast, output, stream->delay_seconds, push_to_destination,
                     destination, error);
}

static void
on_raw_video (GstSample *sample, GstClockTime running_time, gpointer data)
{
  CrBroadcast *broadcast = data;
  GstClockTime capture_time;

  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    return;
  capture_time = running_time + cr_capture_get_base_time (broadcast->capture);

  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      if (output->encoder != NULL)
        cr_profile_encoder_push (output->encoder, sample, capture_time);
    }
}

CrBroadcast *
cr_broadcast_new (const CrConfig *config, CrCapture *capture, GError **error)
{
  g_autoptr (CrBroadcast) broadcast = g_new0 (CrBroadcast, 1);

  broadcast->config = config;
  broadcast->capture = capture;
  broadcast->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) output_free);
  broadcast->slates = g_ptr_array_new_with_free_func ((GDestroyNotify) slate_use_free);

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
      if (!add_output (broadcast, output, config->hls_delay_seconds, push_to_hls, hls, error))
        return NULL;
    }
  cr_capture_set_raw_video_func (capture, on_raw_video, broadcast);
  return g_steal_pointer (&broadcast);
}

void
cr_broadcast_free (CrBroadcast *broadcast)
{
  if (broadcast == NULL)
    return;
  /* The sources first: their streaming threads read the outputs. */
  cr_capture_set_raw_video_func (broadcast->capture, NULL, NULL);
  g_clear_pointer (&broadcast->slates, g_ptr_array_unref);
  g_clear_pointer (&broadcast->outputs, g_ptr_array_unref);
  g_free (broadcast->case_no);
  g_free (broadcast);
}

void
cr_broadcast_push (CrBroadcast *broadcast, GstSample *sample, guint track,
                   GstClockTime running_time)
{
  GstClockTime capture_time;

  if (track > 1 || !GST_CLOCK_TIME_IS_VALID (running_time))
    return;
  capture_time = running_time + cr_capture_get_base_time (broadcast->capture);
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      /* A picture of its own comes from its own encoder; the sound is
       * shared. */
      if (track == 0 && output->encoder != NULL)
        continue;
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
slate_wanted (SlateUse *use)
{
  GPtrArray *outputs = use->broadcast->outputs;

  for (guint i = 0; i < outputs->len; i++)
    {
      Output *output = g_ptr_array_index (outputs, i);
      if (output->slate == use && output->running && cr_public_feed_wants_slate (output->feed))
        return TRUE;
    }
  return FALSE;
}

static gboolean
check_slate (gpointer data)
{
  SlateUse *use = data;
  gint64 now = g_get_monotonic_time ();

  if (slate_wanted (use))
    use->unwanted_since = 0;
  else if (use->unwanted_since == 0)
    use->unwanted_since = now;
  else if (now - use->unwanted_since >= SLATE_LINGER_US)
    {
      cr_slate_stop (use->slate);
      use->timer = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Starts each slate an output wants; its timer stops it later. */
static void
update_slate (CrBroadcast *broadcast)
{
  for (guint i = 0; i < broadcast->slates->len; i++)
    {
      SlateUse *use = g_ptr_array_index (broadcast->slates, i);
      g_autoptr (GError) error = NULL;

      if (!slate_wanted (use))
        continue;
      use->unwanted_since = 0;
      if (!cr_slate_is_running (use->slate) && !cr_slate_start (use->slate, &error))
        g_warning ("%s: the public streams will show nothing while cut",
                   cr_text_shown (error->message));
      if (use->timer == 0)
        use->timer = g_timeout_add (500, check_slate, use);
    }
}

static void
output_start (CrBroadcast *broadcast, Output *output)
{
  if (output->running)
    return;
  output->running = TRUE;
  if (output->encoder != NULL)
    {
      g_autoptr (GError) error = NULL;
      if (!cr_profile_encoder_start (output->encoder, &error))
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CR_DESTINATION", output->name,
                          "MESSAGE", "Stream %s: %s", cr_text_shown (output->name),
                          cr_text_shown (error->message));
    }
  cr_public_feed_start (output->feed, output->cut || broadcast->recess);
  update_slate (broadcast);
  if (output->destination != NULL)
    cr_destination_start (output->destination);
  else
    cr_hls_start (output->hls);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_DESTINATION", output->name, "MESSAGE",
                    "Stream %s started (%s)", cr_text_shown (output->name),
                    cr_text_shown (output->url));
}

static void
output_stop (CrBroadcast *broadcast, Output *output)
{
  if (!output->running)
    return;
  output->running = FALSE;
  cr_public_feed_stop (output->feed);
  if (output->encoder != NULL)
    cr_profile_encoder_stop (output->encoder);
  if (output->destination != NULL)
    cr_destination_stop (output->destination);
  else
    cr_hls_stop (output->hls);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CR_DESTINATION", output->name, "MESSAGE",
                    "Stream %s stopped", cr_text_shown (output->name));
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
  /* A cut made before the approval stands: the stream opens on the
   * slate. */
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      if (output->autostart)
        output_start (broadcast, output);
    }
}

void
cr_broadcast_go_off_air (CrBroadcast *broadcast)
{
  for (guint i = 0; i < broadcast->outputs->len; i++)
    {
      Output *output = g_ptr_array_index (broadcast->outputs, i);
      output_stop (broadcast, output);
      output->cut = FALSE; /* the next session starts uncut */
    }
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
      /* The hearing dropped by the delay queue's bound (never the
       * recording's). */
      json_builder_set_member_name (builder, "delay_overflows");
      json_builder_add_int_value (builder, (gint64) cr_public_feed_get_overflows (output->feed));
      json_builder_set_member_name (builder, "autostart");
      json_builder_add_boolean_value (builder, output->autostart);
      json_builder_set_member_name (builder, "encoder");
      json_builder_add_string_value (builder, output->encoder != NULL ? "own" : "shared");
      if (output->encoder != NULL)
        {
          json_builder_set_member_name (builder, "width");
          json_builder_add_int_value (builder, output->width);
          json_builder_set_member_name (builder, "height");
          json_builder_add_int_value (builder, output->height);
          json_builder_set_member_name (builder, "video_bitrate_kbps");
          json_builder_add_int_value (builder, output->video_bitrate_kbps);
        }
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
