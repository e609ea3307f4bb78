/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* layout.c: see layout.h.
 *
 * Sizes are computed in integers and rounded to even numbers, because
 * I420 subsamples chroma by two in both directions: an odd offset or size
 * makes the composer shift or smear colour by a pixel. */
#include "pipelines/layout.h"

#include <math.h>
#include <string.h>

#define ZORDER_HIDDEN 0
#define ZORDER_MAIN   1
#define ZORDER_ABOVE  2

/* A grid of at most 4x4 cells. */
#define GRID_MAX_COLUMNS 4
/* Voice tiles are a fifth of the width while five or fewer must fit. */
#define VOICE_TILES_PER_ROW 5

static const char *const kind_names[] = {
  [CR_LAYOUT_SINGLE] = "single",
  [CR_LAYOUT_PIP] = "pip",
  [CR_LAYOUT_GRID] = "grid",
  [CR_LAYOUT_VOICE] = "voice",
  [CR_LAYOUT_EVIDENCE] = "evidence",
};

gboolean
cr_layout_kind_from_string (const char *text, CrLayoutKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    {
      if (strcmp (text, kind_names[i]) == 0)
        {
          *kind = (CrLayoutKind) i;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
cr_layout_kind_to_string (CrLayoutKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kind_names))
    return NULL;
  return kind_names[kind];
}

/* The largest even number not above @value (@value >= 0). */
static guint
even_floor (guint64 value)
{
  return (guint) (value & ~G_GUINT64_CONSTANT (1));
}

/* @numerator / @denominator rounded to the nearest even number. */
static guint
even_round (guint64 numerator, guint64 denominator)
{
  return (guint) (2 * ((numerator + denominator) / (2 * denominator)));
}

static void
hide (CrTileRect *rect)
{
  *rect = (CrTileRect) { .visible = FALSE, .zorder = ZORDER_HIDDEN };
}

static void
place (CrTileRect *rect, guint x, guint y, guint width, guint height,
       guint zorder)
{
  /* A tile that rounds to nothing (a tiny picture) is not shown at all. */
  if (width == 0 || height == 0)
    {
      hide (rect);
      return;
    }
  *rect = (CrTileRect) {
    .x = (gint) x, .y = (gint) y,
    .width = (gint) width, .height = (gint) height,
    .zorder = zorder, .visible = TRUE,
  };
}

/* The even tile at most @max_width x @max_height with the picture's aspect
 * ratio, as wide as possible. */
static void
fit_tile (guint width, guint height, guint max_width, guint max_height,
          guint *tile_width, guint *tile_height)
{
  guint w = even_floor (max_width);
  guint h = even_round ((guint64) w * height, width);

  if (h > even_floor (max_height))
    {
      h = even_floor (max_height);
      w = MIN (even_round ((guint64) h * width, height), even_floor (max_width));
    }
  *tile_width = w;
  *tile_height = h;
}

static void
compute_pip (guint n_cameras, guint main_camera, guint width, guint height,
             CrTileRect *rects)
{
  guint inset = (main_camera + 1) % n_cameras;
  guint margin = even_round ((guint64) width * 2, 100);
  guint tile_width = even_floor (width / 4);
  guint tile_height = even_round ((guint64) tile_width * height, width);

  if (inset == main_camera)
    return;
  /* tile_width + margin is well under the width; the height can be short
   * in a very wide picture, so the tile then sits at the top. */
  place (&rects[inset], width - tile_width - margin,
         height >= tile_height + margin ? height - tile_height - margin : 0,
         tile_width, tile_height, ZORDER_ABOVE);
}

static void
compute_grid (guint n_cameras, guint width, guint height, CrTileRect *rects)
{
  guint columns, tile_width, tile_height, x0, y0, n_shown;

  if (n_cameras == 1)
    columns = 1;
  else if (n_cameras <= 4)
    columns = 2;
  else if (n_cameras <= 9)
    columns = 3;
  else
    columns = GRID_MAX_COLUMNS;

  fit_tile (width, height, width / columns, height / columns,
            &tile_width, &tile_height);
  x0 = even_floor ((width - columns * tile_width) / 2);
  y0 = even_floor ((height - columns * tile_height) / 2);
  n_shown = MIN (n_cameras, columns * columns);

  for (guint i = 0; i < n_shown; i++)
    place (&rects[i], x0 + (i % columns) * tile_width,
           y0 + (i / columns) * tile_height, tile_width, tile_height,
           ZORDER_MAIN);
}

static void
compute_voice (guint n_cameras, guint main_camera, guint width, guint height,
               CrTileRect *rects)
{
  guint n_others = n_cameras - 1;
  guint slots = MAX (n_others, VOICE_TILES_PER_ROW);
  guint tile_width, tile_height, x;

  if (n_others == 0)
    return;
  fit_tile (width, height, width / slots, height, &tile_width, &tile_height);
  x = even_floor ((width - n_others * tile_width) / 2);
  for (guint i = 0; i < n_cameras; i++)
    {
      if (i == main_camera)
        continue;
      place (&rects[i], x, height - tile_height, tile_width, tile_height,
             ZORDER_ABOVE);
      x += tile_width;
    }
}

void
cr_layout_compute (CrLayoutKind kind, guint n_cameras, guint main_camera,
                   guint width, guint height, CrTileRect *rects)
{
  g_return_if_fail (rects != NULL || n_cameras == 0);
  g_return_if_fail (width >= 2 && width % 2 == 0);
  g_return_if_fail (height >= 2 && height % 2 == 0);
  g_return_if_fail ((guint) kind < G_N_ELEMENTS (kind_names));

  if (n_cameras == 0)
    return;
  if (main_camera >= n_cameras)
    main_camera = 0;

  for (guint i = 0; i < n_cameras; i++)
    hide (&rects[i]);

  if (kind == CR_LAYOUT_GRID)
    {
      compute_grid (n_cameras, width, height, rects);
      return;
    }

  place (&rects[main_camera], 0, 0, width, height, ZORDER_MAIN);
  if (kind == CR_LAYOUT_PIP)
    compute_pip (n_cameras, main_camera, width, height, rects);
  else if (kind == CR_LAYOUT_VOICE)
    compute_voice (n_cameras, main_camera, width, height, rects);
}

struct CrVoiceSwitch {
  guint n_microphones;
  gint64 hold_us;
  double margin_db;
  double floor_dbfs;

  guint current;          /* the microphone the picture follows */
  gboolean has_candidate; /* some other microphone is the loudest speaker */
  guint candidate;        /* ... this one */
  gint64 candidate_since_us; /* ... since this reading */
};

CrVoiceSwitch *
cr_voice_switch_new (guint n_microphones, gint64 hold_us, double margin_db,
                     double floor_dbfs)
{
  CrVoiceSwitch *voice;

  g_return_val_if_fail (n_microphones > 0, NULL);
  g_return_val_if_fail (hold_us >= 0, NULL);
  g_return_val_if_fail (margin_db >= 0 && !isnan (margin_db), NULL);
  g_return_val_if_fail (!isnan (floor_dbfs), NULL);

  voice = g_new0 (CrVoiceSwitch, 1);
  voice->n_microphones = n_microphones;
  voice->hold_us = hold_us;
  voice->margin_db = margin_db;
  voice->floor_dbfs = floor_dbfs;
  voice->current = 0;
  return voice;
}

void
cr_voice_switch_free (CrVoiceSwitch *voice)
{
  g_free (voice);
}

/* NaN (a meter that has not reported) is silence. */
static double
level_of (const double *levels_dbfs, guint microphone)
{
  double level = levels_dbfs[microphone];

  return isnan (level) ? -INFINITY : level;
}

guint
cr_voice_switch_update (CrVoiceSwitch *voice, const double *levels_dbfs,
                        gint64 now_us)
{
  guint loudest = 0;
  double loudest_level = -INFINITY;

  g_return_val_if_fail (voice != NULL, 0);
  g_return_val_if_fail (levels_dbfs != NULL, voice->current);

  for (guint i = 0; i < voice->n_microphones; i++)
    {
      double level = level_of (levels_dbfs, i);

      if (level > loudest_level)
        {
          loudest = i;
          loudest_level = level;
        }
    }

  /* Nobody speaking, or the current speaker is the loudest: nothing to
   * follow, and whoever was catching up starts again. */
  if (!(loudest_level > voice->floor_dbfs) || loudest == voice->current)
    {
      voice->has_candidate = FALSE;
      return voice->current;
    }

  /* A clock stepping back (the caller's mistake) restarts the count rather
   * than making it negative or huge. */
  if (!voice->has_candidate || voice->candidate != loudest
      || now_us < voice->candidate_since_us)
    {
      voice->has_candidate = TRUE;
      voice->candidate = loudest;
      voice->candidate_since_us = now_us;
    }

  if (now_us - voice->candidate_since_us >= voice->hold_us
      && loudest_level >= level_of (levels_dbfs, voice->current) + voice->margin_db)
    {
      voice->current = loudest;
      voice->has_candidate = FALSE;
    }
  return voice->current;
}
