/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capture-description.c: the capture pipeline as a gst-launch description
 * made from the config (capture-private.h): every input into its channel,
 * the composer and its layout, the encoders and the tracks. Written as
 * text so that the benchmark runs the very same elements and settings
 * through gst-launch-1.0. */
#include "pipelines/capture-private.h"

#include <stdio.h>

#include "pipelines/description.h"
#include "pipelines/preview.h"

void
cr_capture_grid_tile (const CrConfig *config, guint *tile_w, guint *tile_h)
{
  CrTileRect rects[16];
  guint n = MIN (config->cameras->len, 16);

  /* Inputs deliver the grid's tile size: the composer scales from there
   * for the other layouts. */
  cr_layout_compute (CR_LAYOUT_GRID, n, 0, config->width, config->height, rects);
  *tile_w = MAX (rects[0].width, 16) & ~1u;
  *tile_h = MAX (rects[0].height, 16) & ~1u;
}

char *
cr_capture_channel_name (const CrConfig *config, const char *what, guint index)
{
  /* Inter channels are global to the process: name them after the room. */
  return g_strdup_printf ("courtrec-%s-%s-%u", config->room_id, what, index);
}

gint
cr_capture_camera_index (const CrConfig *config, const char *name)
{
  for (guint i = 0; i < config->cameras->len; i++)
    if (g_strcmp0 (((CrInputConfig *) g_ptr_array_index (config->cameras, i))->name,
                   name) == 0)
      return i;
  return -1;
}

/* The channel microphone @index is read from: its own, or the sound of the
 * camera it names. */
static char *
microphone_channel (const CrConfig *config, guint index)
{
  const CrInputConfig *microphone = g_ptr_array_index (config->microphones, index);

  if (microphone->source.kind == CR_SOURCE_CAMERA)
    return cr_capture_channel_name (config, "camera-sound",
                         cr_capture_camera_index (config, microphone->source.location));
  return cr_capture_channel_name (config, "microphone", index);
}

static gboolean
camera_has_sound (const CrConfig *config, guint camera)
{
  const CrInputConfig *c = g_ptr_array_index (config->cameras, camera);

  for (guint i = 0; i < config->microphones->len; i++)
    {
      const CrInputConfig *m = g_ptr_array_index (config->microphones, i);
      if (m->source.kind == CR_SOURCE_CAMERA && g_strcmp0 (m->source.location, c->name) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
cr_capture_each_microphone_tracked (const CrConfig *config)
{
  return g_strcmp0 (config->tracks, "mix+each") == 0;
}

/* The live outputs splice the broadcast slate (streaming/slate.h) into
 * the same stream as the hearing: encoded with the same settings, its
 * codec headers are the same, so players carry on across the switch. */
char *
cr_capture_describe_video_encoder (const CrConfig *config)
{
  return cr_describe_video_encoder (config, config->video_bitrate_kbps);
}

/* A keyframe every [video] keyframe_seconds exactly: key-int-max alone
 * is a ceiling, and x264's scene-cut detection would put keyframes in
 * between (a camera switch is a scene cut), so scenecut is off; a
 * segment's first frame is still a keyframe, on request (force-key-unit). */
char *
cr_describe_video_encoder (const CrConfig *config, guint bitrate_kbps)
{
  return g_strdup_printf ("x264enc name=video_encoder tune=zerolatency "
                          "speed-preset=veryfast bitrate=%u key-int-max=%u "
                          "option-string=scenecut=0 "
                          "! h264parse ! video/x-h264,stream-format=avc,alignment=au",
                          bitrate_kbps, config->framerate * config->keyframe_seconds);
}

/* What x264 writes into its headers from the picture's caps, pinned for
 * the broadcast slate and a stream's own encoder as the composed picture
 * carries it, measured on 1.22: colorimetry bt601 (the inputs'), square
 * pixels, and, at the composer's own size, its chroma siting (jpeg; a
 * scaled picture keeps its own). A stream warns if its sources' codec
 * headers ever differ (public-feed.c). */
char *
cr_capture_describe_picture (const CrConfig *config, guint width, guint height)
{
  gboolean composed_size = width == config->width && height == config->height;
  return g_strdup_printf ("video/x-raw,format=I420,width=%u,height=%u,"
                          "pixel-aspect-ratio=1/1,colorimetry=bt601%s", width, height,
                          composed_size ? ",chroma-site=jpeg" : "");
}

/* A stream with a picture of its own (streaming/profile-encoder.h) is
 * encoded from the composed picture, handed over before the encoder. */
static gboolean
needs_raw_video (const CrConfig *config)
{
  for (guint i = 0; i < config->streams->len; i++)
    if (cr_stream_own_profile (config, g_ptr_array_index (config->streams, i), NULL, NULL,
                               NULL))
      return TRUE;
  return FALSE;
}

char *
cr_capture_describe_audio_encoder (const CrConfig *config)
{
  return g_strdup_printf ("avenc_aac name=audio_encoder bitrate=%u ! aacparse",
                          config->audio_bitrate_kbps * 1000);
}

char *
cr_capture_build_description (const CrConfig *config, const char *reference_file)
{
  GString *desc = g_string_new (NULL);
  guint tile_w, tile_h;
  guint caption_px = MAX (10, config->height / 30);
  guint label_px, slate_px;
  /* gst-launch-1.0 stops parsing at a raw newline, even inside quotes:
   * the reference's caption keeps to one line (same text, same cost). */
  g_autofree char *header = g_strdup_printf ("%s  %s%s待机 standby", config->court,
                                             config->room_name,
                                             reference_file ? "  " : "\n");
  g_autofree char *caption = cr_description_quote (header);
  g_autofree char *location = reference_file ? cr_description_quote (reference_file)
                                             : NULL;
  g_autofree char *video_encoder = cr_capture_describe_video_encoder (config);
  g_autofree char *audio_encoder = cr_capture_describe_audio_encoder (config);
  g_autofree char *raw_branches = NULL;

  cr_capture_grid_tile (config, &tile_w, &tile_h);
  if (reference_file == NULL)
    {
      /* The raw picture's branches, each a leaky queue and a dropping
       * appsink: the recording's encoder never waits for a stream's
       * encoder nor for the console's preview (preview.h). */
      g_autofree char *preview = cr_preview_describe ("raw_tee", "preview_composed",
                                                      config->width, config->height);
      raw_branches = g_strdup_printf (
          "! tee name=raw_tee %s%s raw_tee. ", preview,
          needs_raw_video (config)
            ? "raw_tee. ! queue leaky=downstream max-size-buffers=2 "
              "max-size-bytes=0 max-size-time=0 ! appsink name=raw_video sync=false "
              "async=false max-buffers=2 drop=true emit-signals=false "
            : "");
    }
  label_px = MAX (10, tile_h / 16);
  slate_px = MAX (10, tile_h / 10);

  /* The composer, then court/room/case and the clock burned in (SPC 2017
   * rules, Art. 4), then one H.264 encode. */
  g_string_append (desc, "compositor name=composer background=black ");
  if (reference_file != NULL)
    {
      /* courtrecd places the tiles at run time (apply_layout); the
       * reference is given the starting layout's places here. */
      guint n = config->cameras->len;
      g_autofree CrTileRect *rects = g_new0 (CrTileRect, n);
      CrLayoutKind kind = CR_LAYOUT_GRID;

      cr_layout_kind_from_string (config->layout, &kind);
      cr_layout_compute (kind == CR_LAYOUT_EVIDENCE ? CR_LAYOUT_SINGLE : kind, n, 0,
                         config->width, config->height, rects);
      for (guint i = 0; i < n; i++)
        g_string_append_printf (desc,
            "sink_%u::xpos=%d sink_%u::ypos=%d sink_%u::width=%d sink_%u::height=%d "
            "sink_%u::zorder=%u sink_%u::alpha=%s ", i, rects[i].x, i, rects[i].y, i,
            MAX (rects[i].width, 2), i, MAX (rects[i].height, 2), i, rects[i].zorder, i,
            rects[i].visible ? "1.0" : "0.0");
    }
  g_string_append_printf (desc,
      "! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 "
      "! textoverlay name=caption text=%s valignment=top halignment=left "
      "line-alignment=left shaded-background=true auto-resize=false "
      "font-desc=\"Noto Sans CJK SC %upx\" "
      "! clockoverlay name=clock time-format=\"%%Y-%%m-%%d %%H:%%M:%%S\" "
      "valignment=bottom halignment=right shaded-background=true auto-resize=false "
      "font-desc=\"Noto Sans Mono CJK SC %upx\" "
      "%s"
      "! %s "
      "! tee name=video_tee video_tee. ! queue name=video_record_queue "
      "max-size-buffers=0 max-size-bytes=0 max-size-time=10000000000 ! ",
      config->width, config->height, config->framerate, caption, caption_px,
      caption_px,
      raw_branches != NULL ? raw_branches : "", video_encoder);
  if (reference_file == NULL)
    g_string_append (desc, "appsink name=track0 sync=false async=false emit-signals=false ");
  else
    g_string_append_printf (desc, "reference_mux.video_0 matroskamux name=reference_mux "
                            "! filesink location=%s ", location);

  for (guint i = 0; i < config->cameras->len; i++)
    {
      const CrInputConfig *camera = g_ptr_array_index (config->cameras, i);
      g_autofree char *channel = cr_capture_channel_name (config, "camera", i);
      g_autofree char *label = cr_description_quote (camera->label);
      g_autofree char *slate_text = g_strdup_printf ("%s%s信号中断 / signal lost",
                                                     camera->label,
                                                     reference_file ? "  " : "\n");
      g_autofree char *slate = cr_description_quote (slate_text);

      if (reference_file != NULL)
        {
          g_autofree char *sound = cr_capture_channel_name (config, "camera-sound", i);
          g_autofree char *input = cr_input_describe (camera, CR_INPUT_CAMERA, i, channel,
                                                      camera_has_sound (config, i), sound,
                                                      tile_w, tile_h, config->framerate);
          g_string_append_printf (desc, "%s ", input);
        }
      /* After a second without frames the inter source sends black; the
       * slate's text is switched on when the input is declared lost. */
      g_string_append_printf (desc,
          "intervideosrc name=camera%u_feed channel=%s timeout=1000000000 "
          "! " CR_INPUT_VIDEO_CAPS " "
          "! textoverlay name=camera%u_slate text=%s silent=true valignment=center "
          "halignment=center line-alignment=center auto-resize=false "
          "font-desc=\"Noto Sans CJK SC %upx\" "
          "! textoverlay name=camera%u_label text=%s valignment=bottom halignment=left "
          "shaded-background=true auto-resize=false font-desc=\"Noto Sans CJK SC %upx\" "
          "! ",
          i, channel, tile_w, tile_h, config->framerate, i, slate, slate_px, i, label,
          label_px);
      if (reference_file == NULL)
        {
          /* The camera's own preview, slate and label included, beside
           * the composer's feed. */
          g_autofree char *tee = g_strdup_printf ("camera%u_tee", i);
          g_autofree char *sink = g_strdup_printf ("preview_camera%u", i);
          g_autofree char *preview = cr_preview_describe (tee, sink, tile_w, tile_h);
          g_string_append_printf (desc, "tee name=%s %s%s. ! ", tee, preview, tee);
        }
      g_string_append_printf (desc, "queue max-size-buffers=3 ! composer.sink_%u ", i);
    }

  g_string_append_printf (desc,
      "audiomixer name=mixer latency=%" G_GUINT64_FORMAT " "
      "! audio/x-raw,rate=48000,channels=2 ! audioconvert "
      "! %s ! tee name=audio_tee "
      "audio_tee. ! queue name=audio_record_queue max-size-buffers=0 "
      "max-size-bytes=0 max-size-time=10000000000 ! ",
      (guint64) SOUND_LATENCY, audio_encoder);
  if (reference_file == NULL)
    g_string_append (desc, "appsink name=track1 sync=false async=false emit-signals=false ");
  else
    g_string_append (desc, "reference_mux.audio_0 ");

  for (guint i = 0; i < config->microphones->len; i++)
    {
      const CrInputConfig *microphone = g_ptr_array_index (config->microphones, i);
      g_autofree char *channel = microphone_channel (config, i);

      if (reference_file != NULL)
        {
          if (microphone->source.kind != CR_SOURCE_CAMERA)
            {
              g_autofree char *input = cr_input_describe (microphone, CR_INPUT_MICROPHONE, i,
                                                          NULL, TRUE, channel, 0, 0, 0);
              g_string_append_printf (desc, "%s ", input);
            }
          g_string_append_printf (desc,
              "interaudiosrc name=microphone%u_feed channel=%s ! " CR_INPUT_AUDIO_CAPS " ",
              i, channel);
        }
      else
        /* Sound arrives with its capture timestamps (input.c,
         * forward_sound), up to SOUND_LATENCY late: the mixer waits that
         * long for it. */
        g_string_append_printf (desc,
            "appsrc name=microphone%u_feed is-live=true format=time do-timestamp=false "
            "caps=\"" CR_INPUT_AUDIO_CAPS "\" min-latency=%" G_GUINT64_FORMAT " "
            "max-bytes=1000000 block=false ", i, (guint64) SOUND_LATENCY);
      g_string_append_printf (desc,
          "! level name=microphone%u_level interval=100000000 post-messages=true "
          "! tee name=microphone%u_tee "
          "microphone%u_tee. ! queue max-size-time=1000000000 ! audioconvert ! mixer. ",
          i, i, i);
      if (cr_capture_each_microphone_tracked (config))
        {
          const char *encoder = g_strcmp0 (config->track_codec, "flac") == 0
                                ? "flacenc ! flacparse"
                                : "opusenc bitrate=64000 ! opusparse";
          g_string_append_printf (desc,
              "microphone%u_tee. ! queue max-size-buffers=0 max-size-bytes=0 "
              "max-size-time=10000000000 ! audioconvert ! %s ! ", i, encoder);
          if (reference_file == NULL)
            g_string_append_printf (desc, "appsink name=track%u sync=false async=false "
                                    "emit-signals=false ", CR_TRACK_MIX + 1 + i);
          else
            g_string_append_printf (desc, "reference_mux.audio_%u ", i + 1);
        }
    }
  return g_string_free (desc, FALSE);
}

char *
cr_capture_describe (const CrConfig *config, const char *reference_file)
{
  return cr_capture_build_description (config, reference_file);
}
