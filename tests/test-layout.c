/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-layout.c: where each camera goes on the composed picture, checked
 * as a viewer of the recording would: nothing off the picture or on odd
 * pixels, the right camera large, grid cells equal and apart; and which
 * microphone the voice layout follows, fed 100 ms readings. */
#include <glib.h>
#include <math.h>

#include "pipelines/layout.h"

#define MAX_CAMERAS 17
#define READING_US G_GINT64_CONSTANT (100000)
#define HOLD_US G_GINT64_CONSTANT (1500000)
#define MARGIN_DB 6.0
#define FLOOR_DBFS -50.0
#define SILENCE_DBFS -70.0

typedef struct {
  guint width, height;
} Picture;

static const Picture pictures[] = { { 1280, 720 }, { 1920, 1080 } };

static const CrLayoutKind all_kinds[] = {
  CR_LAYOUT_SINGLE, CR_LAYOUT_PIP, CR_LAYOUT_GRID, CR_LAYOUT_VOICE,
  CR_LAYOUT_EVIDENCE,
};

static gboolean
overlap (const CrTileRect *a, const CrTileRect *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width
         && a->y < b->y + b->height && b->y < a->y + a->height;
}

static gboolean
full_frame (const CrTileRect *rect, const Picture *picture)
{
  return rect->visible && rect->x == 0 && rect->y == 0
         && rect->width == (gint) picture->width
         && rect->height == (gint) picture->height;
}

/* What holds in every layout: shown tiles are inside the picture, even,
 * and keep its aspect ratio to within a pixel of height; hidden ones are
 * empty and at the bottom. */
static void
assert_sane (const CrTileRect *rects, guint n_cameras, const Picture *picture)
{
  for (guint i = 0; i < n_cameras; i++)
    {
      const CrTileRect *r = &rects[i];

      if (!r->visible)
        {
          g_assert_cmpint (r->width, ==, 0);
          g_assert_cmpint (r->height, ==, 0);
          g_assert_cmpuint (r->zorder, ==, 0);
          continue;
        }
      g_assert_cmpint (r->width, >, 0);
      g_assert_cmpint (r->height, >, 0);
      g_assert_cmpint (r->x, >=, 0);
      g_assert_cmpint (r->y, >=, 0);
      g_assert_cmpint (r->x + r->width, <=, picture->width);
      g_assert_cmpint (r->y + r->height, <=, picture->height);
      g_assert_cmpint (r->x % 2, ==, 0);
      g_assert_cmpint (r->y % 2, ==, 0);
      g_assert_cmpint (r->width % 2, ==, 0);
      g_assert_cmpint (r->height % 2, ==, 0);
      g_assert_cmpint (ABS ((gint64) r->width * picture->height
                            - (gint64) r->height * picture->width),
                       <=, picture->width);
    }
}

static guint
count_visible (const CrTileRect *rects, guint n_cameras)
{
  guint n = 0;

  for (guint i = 0; i < n_cameras; i++)
    n += rects[i].visible ? 1 : 0;
  return n;
}

static void
test_kind_names (void)
{
  CrLayoutKind kind = CR_LAYOUT_SINGLE;

  for (guint i = 0; i < G_N_ELEMENTS (all_kinds); i++)
    {
      const char *name = cr_layout_kind_to_string (all_kinds[i]);

      g_assert_nonnull (name);
      g_assert_true (cr_layout_kind_from_string (name, &kind));
      g_assert_cmpint (kind, ==, all_kinds[i]);
    }
  g_assert_true (cr_layout_kind_from_string ("single", &kind));
  g_assert_cmpint (kind, ==, CR_LAYOUT_SINGLE);
  g_assert_true (cr_layout_kind_from_string ("pip", &kind));
  g_assert_cmpint (kind, ==, CR_LAYOUT_PIP);
  g_assert_true (cr_layout_kind_from_string ("grid", &kind));
  g_assert_cmpint (kind, ==, CR_LAYOUT_GRID);
  g_assert_true (cr_layout_kind_from_string ("voice", &kind));
  g_assert_cmpint (kind, ==, CR_LAYOUT_VOICE);
  g_assert_true (cr_layout_kind_from_string ("evidence", &kind));
  g_assert_cmpint (kind, ==, CR_LAYOUT_EVIDENCE);

  /* A rejected name leaves @kind alone. */
  g_assert_false (cr_layout_kind_from_string ("", &kind));
  g_assert_false (cr_layout_kind_from_string ("Grid", &kind));
  g_assert_false (cr_layout_kind_from_string ("pip ", &kind));
  g_assert_false (cr_layout_kind_from_string ("picture-in-picture", &kind));
  g_assert_false (cr_layout_kind_from_string (NULL, &kind));
  g_assert_cmpint (kind, ==, CR_LAYOUT_EVIDENCE);
  g_assert_null (cr_layout_kind_to_string ((CrLayoutKind) 99));
}

/* single and evidence: the main camera full frame, nobody else. */
static void
test_single (gconstpointer data)
{
  CrLayoutKind kind = GPOINTER_TO_INT (data);

  for (guint p = 0; p < G_N_ELEMENTS (pictures); p++)
    for (guint n = 1; n <= 9; n++)
      for (guint main_camera = 0; main_camera < n; main_camera++)
        {
          CrTileRect rects[MAX_CAMERAS];

          cr_layout_compute (kind, n, main_camera, pictures[p].width,
                             pictures[p].height, rects);
          assert_sane (rects, n, &pictures[p]);
          g_assert_true (full_frame (&rects[main_camera], &pictures[p]));
          g_assert_cmpuint (count_visible (rects, n), ==, 1);
        }
}

static void
test_pip (void)
{
  for (guint p = 0; p < G_N_ELEMENTS (pictures); p++)
    for (guint n = 1; n <= 9; n++)
      for (guint main_camera = 0; main_camera < n; main_camera++)
        {
          const Picture *picture = &pictures[p];
          CrTileRect rects[MAX_CAMERAS];
          guint inset = (main_camera + 1) % n;

          cr_layout_compute (CR_LAYOUT_PIP, n, main_camera, picture->width,
                             picture->height, rects);
          assert_sane (rects, n, picture);
          g_assert_true (full_frame (&rects[main_camera], picture));
          if (n == 1)
            {
              g_assert_cmpuint (count_visible (rects, n), ==, 1);
              continue;
            }
          g_assert_cmpuint (count_visible (rects, n), ==, 2);
          g_assert_true (rects[inset].visible);
          g_assert_cmpuint (rects[inset].zorder, >, rects[main_camera].zorder);
          g_assert_cmpint (rects[inset].width, ==, picture->width / 4);
        }
}

/* The exact corner, as an operator would measure it on a frame. */
static void
test_pip_corner (void)
{
  CrTileRect rects[3];

  /* 1280 * 2% = 25.6, to the nearest even pixel: 26. */
  cr_layout_compute (CR_LAYOUT_PIP, 3, 0, 1280, 720, rects);
  g_assert_true (rects[1].visible);
  g_assert_cmpint (rects[1].x, ==, 1280 - 320 - 26);
  g_assert_cmpint (rects[1].y, ==, 720 - 180 - 26);
  g_assert_cmpint (rects[1].width, ==, 320);
  g_assert_cmpint (rects[1].height, ==, 180);
  g_assert_false (rects[2].visible);

  /* The camera after the last is camera 0; 1920 * 2% = 38.4: 38. */
  cr_layout_compute (CR_LAYOUT_PIP, 3, 2, 1920, 1080, rects);
  g_assert_true (rects[0].visible);
  g_assert_cmpint (rects[0].x, ==, 1920 - 480 - 38);
  g_assert_cmpint (rects[0].y, ==, 1080 - 270 - 38);
  g_assert_cmpint (rects[0].width, ==, 480);
  g_assert_cmpint (rects[0].height, ==, 270);
  g_assert_false (rects[1].visible);
  g_assert_true (rects[2].visible);
}

static guint
grid_columns (guint n_cameras)
{
  return n_cameras == 1 ? 1 : n_cameras <= 4 ? 2 : n_cameras <= 9 ? 3 : 4;
}

static void
assert_grid (const CrTileRect *rects, guint n, const Picture *picture)
{
  guint columns = grid_columns (n);
  guint n_shown = MIN (n, 16);
  gint left, right, top, bottom;

  assert_sane (rects, n, picture);
  g_assert_cmpuint (count_visible (rects, n), ==, n_shown);
  if (n == 1)
    {
      g_assert_true (full_frame (&rects[0], picture));
      return;
    }
  for (guint i = 0; i < n_shown; i++)
    {
      g_assert_true (rects[i].visible);
      g_assert_cmpint (rects[i].width, ==, rects[0].width);
      g_assert_cmpint (rects[i].height, ==, rects[0].height);
      for (guint j = 0; j < i; j++)
        g_assert_false (overlap (&rects[i], &rects[j]));
    }
  /* As large as the cells allow: within two pixels of the width or height
   * of a cell. */
  g_assert_cmpint (rects[0].width * columns, <=, picture->width);
  g_assert_cmpint (rects[0].height * columns, <=, picture->height);
  g_assert_true (rects[0].width * columns + 2 * columns >= picture->width
                 || rects[0].height * columns + 2 * columns >= picture->height);

  /* Centred: the whole grid's margins differ by at most an even rounding. */
  left = rects[0].x;
  top = rects[0].y;
  right = picture->width - (left + columns * rects[0].width);
  bottom = picture->height - (top + columns * rects[0].height);
  g_assert_cmpint (ABS (left - right), <=, 2);
  g_assert_cmpint (ABS (top - bottom), <=, 2);
}

static void
test_grid (void)
{
  for (guint p = 0; p < G_N_ELEMENTS (pictures); p++)
    for (guint n = 1; n <= 9; n++)
      for (guint main_camera = 0; main_camera < n; main_camera++)
        {
          CrTileRect rects[MAX_CAMERAS];

          cr_layout_compute (CR_LAYOUT_GRID, n, main_camera,
                             pictures[p].width, pictures[p].height, rects);
          assert_grid (rects, n, &pictures[p]);
        }
}

/* 4x4 past nine, and the seventeenth camera has no cell. */
static void
test_grid_sixteen (void)
{
  for (guint p = 0; p < G_N_ELEMENTS (pictures); p++)
    for (guint n = 10; n <= MAX_CAMERAS; n++)
      {
        CrTileRect rects[MAX_CAMERAS];

        cr_layout_compute (CR_LAYOUT_GRID, n, 0, pictures[p].width,
                           pictures[p].height, rects);
        assert_grid (rects, n, &pictures[p]);
        g_assert_cmpint (rects[0].width, ==, pictures[p].width / 4);
        if (n == MAX_CAMERAS)
          g_assert_false (rects[16].visible);
      }
}

static void
test_voice (void)
{
  for (guint p = 0; p < G_N_ELEMENTS (pictures); p++)
    for (guint n = 1; n <= 9; n++)
      for (guint main_camera = 0; main_camera < n; main_camera++)
        {
          const Picture *picture = &pictures[p];
          CrTileRect rects[MAX_CAMERAS];

          cr_layout_compute (CR_LAYOUT_VOICE, n, main_camera, picture->width,
                             picture->height, rects);
          assert_sane (rects, n, picture);
          g_assert_true (full_frame (&rects[main_camera], picture));
          /* Everyone stays in the picture. */
          g_assert_cmpuint (count_visible (rects, n), ==, n);
          for (guint i = 0; i < n; i++)
            {
              if (i == main_camera)
                continue;
              g_assert_cmpuint (rects[i].zorder, >, rects[main_camera].zorder);
              g_assert_cmpint (rects[i].y + rects[i].height, ==, picture->height);
              if (n <= 6)
                g_assert_cmpint (rects[i].width, ==, picture->width / 5);
              for (guint j = 0; j < i; j++)
                if (j != main_camera)
                  g_assert_false (overlap (&rects[i], &rects[j]));
            }
        }
}

/* A wrong main camera (a room's config) shows camera 0 rather than black. */
static void
test_main_out_of_range (void)
{
  CrTileRect rects[3];

  for (guint k = 0; k < G_N_ELEMENTS (all_kinds); k++)
    {
      if (all_kinds[k] == CR_LAYOUT_GRID)
        continue;
      cr_layout_compute (all_kinds[k], 3, 7, 1280, 720, rects);
      assert_sane (rects, 3, &pictures[0]);
      g_assert_true (full_frame (&rects[0], &pictures[0]));
    }
}

/* Small and odd-shaped pictures still give even tiles inside the frame. */
static void
test_other_sizes (void)
{
  static const Picture sizes[] = {
    { 2, 2 }, { 320, 180 }, { 640, 480 }, { 720, 576 }, { 1080, 1920 },
    { 3840, 2160 }, { 2000, 20 }, { 402, 226 },
  };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint k = 0; k < G_N_ELEMENTS (all_kinds); k++)
      for (guint n = 1; n <= MAX_CAMERAS; n++)
        {
          CrTileRect rects[MAX_CAMERAS];

          cr_layout_compute (all_kinds[k], n, n / 2, sizes[s].width,
                             sizes[s].height, rects);
          for (guint i = 0; i < n; i++)
            {
              const CrTileRect *r = &rects[i];

              if (!r->visible)
                continue;
              g_assert_cmpint (r->x, >=, 0);
              g_assert_cmpint (r->y, >=, 0);
              g_assert_cmpint (r->x + r->width, <=, sizes[s].width);
              g_assert_cmpint (r->y + r->height, <=, sizes[s].height);
              g_assert_cmpint ((r->x | r->y | r->width | r->height) % 2, ==, 0);
              g_assert_cmpint (r->width, >, 0);
              g_assert_cmpint (r->height, >, 0);
            }
        }
}

/* Voice switch. Readings every 100 ms from t = 0. */

typedef struct {
  CrVoiceSwitch *voice;
  gint64 now_us;
} VoiceFixture;

static void
voice_set_up (VoiceFixture *fixture, gconstpointer data)
{
  fixture->voice = cr_voice_switch_new (4, HOLD_US, MARGIN_DB, FLOOR_DBFS);
  g_assert_nonnull (fixture->voice);
  fixture->now_us = 0;
}

static void
voice_tear_down (VoiceFixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->voice, cr_voice_switch_free);
}

/* One reading where @speaker is at @loud and the others at @quiet. */
static guint
feed (VoiceFixture *fixture, guint speaker, double loud, double quiet)
{
  double levels[4] = { quiet, quiet, quiet, quiet };
  guint choice;

  levels[speaker] = loud;
  choice = cr_voice_switch_update (fixture->voice, levels, fixture->now_us);
  fixture->now_us += READING_US;
  return choice;
}

static void
test_voice_start (VoiceFixture *fixture, gconstpointer data)
{
  double levels[4] = { SILENCE_DBFS, SILENCE_DBFS, SILENCE_DBFS, SILENCE_DBFS };

  g_assert_cmpuint (cr_voice_switch_update (fixture->voice, levels, 0), ==, 0);
}

/* A new speaker who keeps talking is followed after exactly the hold. */
static void
test_voice_steady (VoiceFixture *fixture, gconstpointer data)
{
  gint64 started_us;

  for (guint i = 0; i < 20; i++)
    g_assert_cmpuint (feed (fixture, 0, -20, SILENCE_DBFS), ==, 0);

  started_us = fixture->now_us;
  while (fixture->now_us - started_us < HOLD_US)
    g_assert_cmpuint (feed (fixture, 2, -20, SILENCE_DBFS), ==, 0);
  g_assert_cmpuint (fixture->now_us - started_us, ==, HOLD_US);
  g_assert_cmpuint (feed (fixture, 2, -20, SILENCE_DBFS), ==, 2);
  g_assert_cmpuint (feed (fixture, 2, -20, SILENCE_DBFS), ==, 2);

  /* And back to the first speaker the same way. */
  started_us = fixture->now_us;
  while (fixture->now_us - started_us < HOLD_US)
    g_assert_cmpuint (feed (fixture, 0, -20, SILENCE_DBFS), ==, 2);
  g_assert_cmpuint (feed (fixture, 0, -20, SILENCE_DBFS), ==, 0);
}

/* Two people interrupting each other every 100 ms: the picture stays. */
static void
test_voice_alternating (VoiceFixture *fixture, gconstpointer data)
{
  for (guint i = 0; i < 600; i++)
    g_assert_cmpuint (feed (fixture, 1 + i % 2, -20, -30), ==, 0);

  /* Also when they alternate with the current speaker. */
  for (guint i = 0; i < 600; i++)
    g_assert_cmpuint (feed (fixture, i % 2 == 0 ? 0 : 3, -20, -40), ==, 0);
}

/* A burst shorter than the hold is not followed. */
static void
test_voice_short_burst (VoiceFixture *fixture, gconstpointer data)
{
  for (guint burst = 0; burst < 10; burst++)
    {
      for (gint64 t = 0; t < HOLD_US; t += READING_US)
        g_assert_cmpuint (feed (fixture, 1, -10, SILENCE_DBFS), ==, 0);
      g_assert_cmpuint (feed (fixture, 0, -20, SILENCE_DBFS), ==, 0);
    }
}

/* Nobody above the floor: the picture stays, whoever is the least quiet. */
static void
test_voice_below_floor (VoiceFixture *fixture, gconstpointer data)
{
  for (guint i = 0; i < 100; i++)
    g_assert_cmpuint (feed (fixture, 3, FLOOR_DBFS - 1, SILENCE_DBFS), ==, 0);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpuint (feed (fixture, 3, FLOOR_DBFS, SILENCE_DBFS), ==, 0);

  /* After a switch, silence keeps the new choice. */
  for (gint64 t = 0; t <= HOLD_US; t += READING_US)
    feed (fixture, 3, -20, SILENCE_DBFS);
  g_assert_cmpuint (feed (fixture, 3, -20, SILENCE_DBFS), ==, 3);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpuint (feed (fixture, i % 4, SILENCE_DBFS + 5, SILENCE_DBFS), ==, 3);
}

/* A pause in the new speaker's speech starts the hold again. */
static void
test_voice_pause_restarts (VoiceFixture *fixture, gconstpointer data)
{
  for (gint64 t = 0; t < HOLD_US; t += READING_US)
    g_assert_cmpuint (feed (fixture, 1, -20, SILENCE_DBFS), ==, 0);
  g_assert_cmpuint (feed (fixture, 1, SILENCE_DBFS, SILENCE_DBFS), ==, 0);
  for (gint64 t = 0; t < HOLD_US; t += READING_US)
    g_assert_cmpuint (feed (fixture, 1, -20, SILENCE_DBFS), ==, 0);
  g_assert_cmpuint (feed (fixture, 1, -20, SILENCE_DBFS), ==, 1);
}

/* Loudest for a long time but not by the margin: no switch; by the margin:
 * switch. */
static void
test_voice_margin (VoiceFixture *fixture, gconstpointer data)
{
  double levels[4] = { -30, SILENCE_DBFS, SILENCE_DBFS, SILENCE_DBFS };

  for (guint i = 0; i < 100; i++)
    {
      levels[1] = -30 + MARGIN_DB - 0.5;
      g_assert_cmpuint (cr_voice_switch_update (fixture->voice, levels,
                                                fixture->now_us), ==, 0);
      fixture->now_us += READING_US;
    }

  /* Loudest all along, so once the margin is there it switches at once. */
  levels[1] = -30 + MARGIN_DB + 0.5;
  g_assert_cmpuint (cr_voice_switch_update (fixture->voice, levels,
                                            fixture->now_us), ==, 1);
  fixture->now_us += READING_US;

  /* Back: the first speaker must beat the new one by the margin too. */
  levels[0] = levels[1] + 1;
  for (guint i = 0; i < 100; i++)
    {
      g_assert_cmpuint (cr_voice_switch_update (fixture->voice, levels,
                                                fixture->now_us), ==, 1);
      fixture->now_us += READING_US;
    }
}

/* The same readings give the same choices: time is only what is passed. */
static void
test_voice_deterministic (void)
{
  g_autoptr (CrVoiceSwitch) a = cr_voice_switch_new (5, 800000, 3, -45);
  g_autoptr (CrVoiceSwitch) b = cr_voice_switch_new (5, 800000, 3, -45);
  GRand *rand = g_rand_new_with_seed (20261127);
  guint n_switches = 0, last = 0, speaker = 0, turn_left = 0;

  for (guint i = 0; i < 5000; i++)
    {
      double levels[5];
      guint choice;

      /* Speakers take turns of 0.1 to 4 s; the others murmur. */
      if (turn_left == 0)
        {
          speaker = g_rand_int_range (rand, 0, 5);
          turn_left = g_rand_int_range (rand, 1, 41);
        }
      turn_left--;
      for (guint m = 0; m < 5; m++)
        levels[m] = g_rand_double_range (rand, -70, -40);
      levels[speaker] = g_rand_double_range (rand, -25, -15);
      if (i % 97 == 0)
        levels[2] = NAN;
      choice = cr_voice_switch_update (a, levels, i * READING_US);
      g_assert_cmpuint (choice, <, 5);
      g_assert_cmpuint (cr_voice_switch_update (b, levels, i * READING_US), ==, choice);
      n_switches += choice != last ? 1 : 0;
      last = choice;
    }
  g_assert_cmpuint (n_switches, >, 0);
  g_rand_free (rand);
}

static void
test_voice_single_microphone (void)
{
  g_autoptr (CrVoiceSwitch) voice = cr_voice_switch_new (1, HOLD_US, MARGIN_DB, FLOOR_DBFS);
  double level = -10;

  for (gint64 t = 0; t < 10 * HOLD_US; t += READING_US)
    g_assert_cmpuint (cr_voice_switch_update (voice, &level, t), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/courtrec/layout/kind-names", test_kind_names);
  g_test_add_data_func ("/courtrec/layout/single",
                        GINT_TO_POINTER (CR_LAYOUT_SINGLE), test_single);
  g_test_add_data_func ("/courtrec/layout/evidence",
                        GINT_TO_POINTER (CR_LAYOUT_EVIDENCE), test_single);
  g_test_add_func ("/courtrec/layout/pip", test_pip);
  g_test_add_func ("/courtrec/layout/pip-corner", test_pip_corner);
  g_test_add_func ("/courtrec/layout/grid", test_grid);
  g_test_add_func ("/courtrec/layout/grid-sixteen", test_grid_sixteen);
  g_test_add_func ("/courtrec/layout/voice", test_voice);
  g_test_add_func ("/courtrec/layout/main-out-of-range", test_main_out_of_range);
  g_test_add_func ("/courtrec/layout/other-sizes", test_other_sizes);

#define ADD_VOICE(path, func) \
  g_test_add ("/courtrec/layout/voice-switch/" path, VoiceFixture, NULL, \
              voice_set_up, func, voice_tear_down)
  ADD_VOICE ("start", test_voice_start);
  ADD_VOICE ("steady", test_voice_steady);
  ADD_VOICE ("alternating", test_voice_alternating);
  ADD_VOICE ("short-burst", test_voice_short_burst);
  ADD_VOICE ("below-floor", test_voice_below_floor);
  ADD_VOICE ("pause-restarts", test_voice_pause_restarts);
  ADD_VOICE ("margin", test_voice_margin);
#undef ADD_VOICE
  g_test_add_func ("/courtrec/layout/voice-switch/deterministic", test_voice_deterministic);
  g_test_add_func ("/courtrec/layout/voice-switch/single-microphone",
                   test_voice_single_microphone);

  return g_test_run ();
}
