/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* render-job.c: see render-job.h. */
#include "render/render-job.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "archive/json-members.h"
#include "archive/utc.h"

G_DEFINE_QUARK (cr-render-error-quark, cr_render_error)

/* A job file is written by the daemon and small; anything bigger than
 * this is not one. */
#define MAX_JOB_BYTES (4 * 1024 * 1024)
#define MAX_TEXT_CHARS 4096

static void
segment_clear (CrRenderSegment *segment)
{
  g_free (segment->path);
}

static void
redaction_clear (CrRedaction *redaction)
{
  g_free (redaction->track);
  g_free (redaction->reason);
  g_free (redaction->by);
}

static void
track_clear (CrRenderTrack *track)
{
  g_free (track->name);
  g_free (track->title);
  g_free (track->language);
}

static void
marker_clear (CrRenderMarker *marker)
{
  g_free (marker->text);
}

static GArray *
redaction_array_new (void)
{
  GArray *array = g_array_new (FALSE, TRUE, sizeof (CrRedaction));

  g_array_set_clear_func (array, (GDestroyNotify) redaction_clear);
  return array;
}

CrRenderJob *
cr_render_job_new (void)
{
  CrRenderJob *job = g_new0 (CrRenderJob, 1);

  job->segments = g_array_new (FALSE, TRUE, sizeof (CrRenderSegment));
  g_array_set_clear_func (job->segments, (GDestroyNotify) segment_clear);
  job->redactions = redaction_array_new ();
  job->tracks = g_array_new (FALSE, TRUE, sizeof (CrRenderTrack));
  g_array_set_clear_func (job->tracks, (GDestroyNotify) track_clear);
  job->markers = g_array_new (FALSE, TRUE, sizeof (CrRenderMarker));
  g_array_set_clear_func (job->markers, (GDestroyNotify) marker_clear);
  return job;
}

void
cr_render_job_free (CrRenderJob *job)
{
  if (job == NULL)
    return;
  g_free (job->output_dir);
  g_free (job->watermark);
  g_free (job->title);
  g_clear_pointer (&job->segments, g_array_unref);
  g_clear_pointer (&job->redactions, g_array_unref);
  g_clear_pointer (&job->tracks, g_array_unref);
  g_clear_pointer (&job->markers, g_array_unref);
  g_free (job);
}

void
cr_render_job_add_segment (CrRenderJob *job, const char *path, gint64 started_us,
                           gint64 duration_us)
{
  CrRenderSegment segment = { g_strdup (path), started_us, duration_us };

  g_array_append_val (job->segments, segment);
}

static void
add_track (CrRenderJob *job, const char *name, const char *title, const char *language)
{
  CrRenderTrack track = { g_strdup (name), g_strdup (title),
                          g_strdup (language != NULL ? language : "zho") };

  g_array_append_val (job->tracks, track);
}

void
cr_render_job_add_track (CrRenderJob *job, const char *name, const char *title)
{
  add_track (job, name, title, NULL);
}

void
cr_render_job_add_marker (CrRenderJob *job, gint64 at_us, const char *text)
{
  CrRenderMarker marker = { at_us, g_strdup (text) };

  g_array_append_val (job->markers, marker);
}

static void
append_redaction (GArray *array, const CrRedaction *redaction)
{
  CrRedaction copy = *redaction;

  copy.track = g_strdup (redaction->track);
  copy.reason = g_strdup (redaction->reason);
  copy.by = g_strdup (redaction->by);
  g_array_append_val (array, copy);
}

void
cr_render_job_add_redaction (CrRenderJob *job, const CrRedaction *redaction)
{
  append_redaction (job->redactions, redaction);
}

/* --- writing ---------------------------------------------------------------- */

static const char *const kind_names[] = { "mute", "blur", "cut" };

static void
build_redactions (JsonBuilder *builder, GArray *redactions)
{
  json_builder_begin_array (builder);
  for (guint i = 0; redactions != NULL && i < redactions->len; i++)
    {
      const CrRedaction *r = &g_array_index (redactions, CrRedaction, i);

      json_builder_begin_object (builder);
      cr_json_add_text (builder, "kind", kind_names[r->kind]);
      if (r->kind == CR_REDACTION_MUTE)
        cr_json_add_text (builder, "track", r->track);
      if (r->kind == CR_REDACTION_BLUR)
        {
          json_builder_set_member_name (builder, "x");
          json_builder_add_int_value (builder, r->x);
          json_builder_set_member_name (builder, "y");
          json_builder_add_int_value (builder, r->y);
          json_builder_set_member_name (builder, "width");
          json_builder_add_int_value (builder, r->width);
          json_builder_set_member_name (builder, "height");
          json_builder_add_int_value (builder, r->height);
        }
      cr_json_add_time (builder, "from", r->from_us);
      cr_json_add_time (builder, "to", r->to_us);
      cr_json_add_text (builder, "reason", r->reason);
      cr_json_add_text (builder, "by", r->by);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static char *
builder_text (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

char *
cr_redactions_to_json (GArray *redactions)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  build_redactions (builder, redactions);
  return builder_text (builder);
}

char *
cr_render_job_to_json (const CrRenderJob *job)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (job != NULL, NULL);

  json_builder_begin_object (builder);
  cr_json_add_text (builder, "format", CR_RENDER_JOB_FORMAT);
  cr_json_add_text (builder, "output_dir", job->output_dir);
  json_builder_set_member_name (builder, "segments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < job->segments->len; i++)
    {
      const CrRenderSegment *s = &g_array_index (job->segments, CrRenderSegment, i);

      json_builder_begin_object (builder);
      cr_json_add_text (builder, "path", s->path);
      cr_json_add_time (builder, "started_at", s->started_us);
      json_builder_set_member_name (builder, "duration_us");
      json_builder_add_int_value (builder, s->duration_us);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  cr_json_add_time (builder, "from", job->from_us);
  cr_json_add_time (builder, "to", job->to_us);
  cr_json_add_text (builder, "watermark", job->watermark);
  if (job->title != NULL)
    cr_json_add_text (builder, "title", job->title);
  json_builder_set_member_name (builder, "redactions");
  build_redactions (builder, job->redactions);
  json_builder_set_member_name (builder, "tracks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < job->tracks->len; i++)
    {
      const CrRenderTrack *t = &g_array_index (job->tracks, CrRenderTrack, i);

      json_builder_begin_object (builder);
      cr_json_add_text (builder, "name", t->name);
      cr_json_add_text (builder, "title", t->title);
      cr_json_add_text (builder, "language", t->language);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "markers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < job->markers->len; i++)
    {
      const CrRenderMarker *m = &g_array_index (job->markers, CrRenderMarker, i);

      json_builder_begin_object (builder);
      cr_json_add_time (builder, "at", m->at_us);
      cr_json_add_text (builder, "text", m->text);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "video_kbps");
  json_builder_add_int_value (builder, job->video_kbps);
  json_builder_end_object (builder);
  return builder_text (builder);
}

gboolean
cr_render_job_save (const CrRenderJob *job, const char *path, GError **error)
{
  g_autofree char *text = cr_render_job_to_json (job);

  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

/* --- reading ---------------------------------------------------------------- */

/* Each check names the field by its path in the file. */
static gboolean
invalid (GError **error, const char *where, const char *field, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
invalid (GError **error, const char *where, const char *field, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_INVALID, "%s%s%s: %s",
               where != NULL ? where : "", where != NULL ? ": " : "", field, what);
  return FALSE;
}

static JsonNode *
member (JsonObject *object, const char *name)
{
  return json_object_has_member (object, name) ? json_object_get_member (object, name)
                                                : NULL;
}

static gboolean
is_null (JsonNode *node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

/* A string member: required or not; NULL kept as NULL. */
static gboolean
get_text (JsonObject *object, const char *name, const char *field, gboolean required,
          const char *where, char **out, GError **error)
{
  JsonNode *node = member (object, name);
  const char *text;

  *out = NULL;
  if (is_null (node))
    {
      if (required)
        return invalid (error, where, field, "required, a string");
      return TRUE;
    }
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, where, field, "expected a string");
  text = json_node_get_string (node);
  if (g_utf8_strlen (text, -1) > MAX_TEXT_CHARS)
    return invalid (error, where, field, "longer than %d characters", MAX_TEXT_CHARS);
  if (required && *text == '\0')
    return invalid (error, where, field, "must not be empty");
  *out = g_strdup (text);
  return TRUE;
}

static gboolean
get_time (JsonObject *object, const char *name, const char *field, gboolean required,
          const char *where, gint64 *out, GError **error)
{
  g_autofree char *text = NULL;

  *out = 0;
  if (!get_text (object, name, field, required, where, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!cr_parse_utc (text, out) || *out <= 0)
    return invalid (error, where, field, "expected a UTC time like "
                    "\"2026-11-27T02:13:25.316Z\", not \"%s\"", text);
  return TRUE;
}

static gboolean
get_int (JsonObject *object, const char *name, const char *field, gint64 min, gint64 max,
         const char *where, gint64 *out, GError **error)
{
  JsonNode *node = member (object, name);

  if (is_null (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, where, field, "required, an integer");
  *out = json_node_get_int (node);
  if (*out < min || *out > max)
    return invalid (error, where, field, "%" G_GINT64_FORMAT " is out of range (%"
                    G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")", *out, min, max);
  return TRUE;
}

/* *out NULL when absent and not required. */
static gboolean
get_array (JsonObject *object, const char *name, gboolean required, const char *where,
           JsonArray **out, GError **error)
{
  JsonNode *node = member (object, name);

  *out = NULL;
  if (is_null (node) && !required)
    return TRUE;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, where, name, "required, an array");
  *out = json_node_get_array (node);
  return TRUE;
}

static JsonObject *
element_object (JsonArray *array, guint i, const char *field, const char *where,
                GError **error)
{
  JsonNode *node = json_array_get_element (array, i);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid (error, where, field, "expected an object");
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
parse_redaction (JsonObject *object, const char *prefix, const char *where,
                 GArray *out, GError **error)
{
  g_autofree char *kind = NULL;
  g_autofree char *f_kind = g_strdup_printf ("%s.kind", prefix);
  g_autofree char *f_track = g_strdup_printf ("%s.track", prefix);
  g_autofree char *f_from = g_strdup_printf ("%s.from", prefix);
  g_autofree char *f_to = g_strdup_printf ("%s.to", prefix);
  g_autofree char *f_reason = g_strdup_printf ("%s.reason", prefix);
  g_autofree char *f_by = g_strdup_printf ("%s.by", prefix);
  CrRedaction r = { 0 };
  gboolean ok = FALSE;

  if (!get_text (object, "kind", f_kind, TRUE, where, &kind, error))
    return FALSE;
  if (g_str_equal (kind, "mute"))
    r.kind = CR_REDACTION_MUTE;
  else if (g_str_equal (kind, "blur"))
    r.kind = CR_REDACTION_BLUR;
  else if (g_str_equal (kind, "cut"))
    r.kind = CR_REDACTION_CUT;
  else
    return invalid (error, where, f_kind, "\"%s\" is not mute, blur or cut", kind);

  if (r.kind == CR_REDACTION_MUTE &&
      !get_text (object, "track", f_track, TRUE, where, &r.track, error))
    goto out;
  if (r.kind == CR_REDACTION_BLUR)
    {
      static const char *const names[] = { "x", "y", "width", "height" };
      gint *fields[] = { &r.x, &r.y, &r.width, &r.height };

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          g_autofree char *field = g_strdup_printf ("%s.%s", prefix, names[i]);
          gint64 value;

          /* 16384: no recording is wider or taller. */
          if (!get_int (object, names[i], field, i < 2 ? 0 : 1, 16384, where, &value, error))
            goto out;
          *fields[i] = value;
        }
    }
  if (!get_time (object, "from", f_from, TRUE, where, &r.from_us, error) ||
      !get_time (object, "to", f_to, TRUE, where, &r.to_us, error))
    goto out;
  if (r.from_us >= r.to_us)
    {
      invalid (error, where, f_to, "must be after %s.from", prefix);
      goto out;
    }
  if (!get_text (object, "reason", f_reason, TRUE, where, &r.reason, error) ||
      !get_text (object, "by", f_by, TRUE, where, &r.by, error))
    goto out;
  g_array_append_val (out, r);
  return TRUE;
out:
  redaction_clear (&r);
  return ok;
}

static gboolean
parse_redaction_array (JsonArray *array, const char *name, const char *where, GArray *out,
                       GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *prefix = g_strdup_printf ("%s[%u]", name, i);
      JsonObject *object = element_object (array, i, prefix, where, error);

      if (object == NULL || !parse_redaction (object, prefix, where, out, error))
        return FALSE;
    }
  return TRUE;
}

static JsonNode *
parse_json (const char *json, gssize length, const char *where, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (length < 0)
    length = strlen (json);
  if (length > MAX_JOB_BYTES)
    {
      invalid (error, where, "(file)", "%" G_GSSIZE_FORMAT " bytes, more than %d",
               length, MAX_JOB_BYTES);
      return NULL;
    }
  if (!g_utf8_validate (json, length, NULL))
    {
      invalid (error, where, "(file)", "not UTF-8");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, length, &local))
    {
      invalid (error, where, "(file)", "not JSON: %s", local->message);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

GArray *
cr_redactions_parse (const char *json, GError **error)
{
  g_autoptr (JsonNode) root = parse_json (json, -1, NULL, error);
  g_autoptr (GArray) out = redaction_array_new ();

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      invalid (error, NULL, "redactions", "expected an array");
      return NULL;
    }
  if (!parse_redaction_array (json_node_get_array (root), "redactions", NULL, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

static gboolean
parse_segments (JsonObject *root, const char *where, CrRenderJob *job, GError **error)
{
  JsonArray *array;
  guint n;

  if (!get_array (root, "segments", TRUE, where, &array, error))
    return FALSE;
  n = json_array_get_length (array);
  if (n == 0)
    return invalid (error, where, "segments", "must list at least one segment");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("segments[%u]", i);
      g_autofree char *f_path = g_strdup_printf ("%s.path", prefix);
      g_autofree char *f_start = g_strdup_printf ("%s.started_at", prefix);
      g_autofree char *f_duration = g_strdup_printf ("%s.duration_us", prefix);
      JsonObject *object = element_object (array, i, prefix, where, error);
      g_autofree char *path = NULL;
      gint64 started_us, duration_us;

      if (object == NULL ||
          !get_text (object, "path", f_path, TRUE, where, &path, error) ||
          !get_time (object, "started_at", f_start, TRUE, where, &started_us, error) ||
          !get_int (object, "duration_us", f_duration, 1, G_GINT64_CONSTANT (1) << 40,
                    where, &duration_us, error))
        return FALSE;
      if (!g_path_is_absolute (path))
        return invalid (error, where, f_path, "must be an absolute path");
      if (job->segments->len > 0)
        {
          const CrRenderSegment *last = &g_array_index (job->segments, CrRenderSegment,
                                                        job->segments->len - 1);
          if (started_us < last->started_us + last->duration_us - G_USEC_PER_SEC)
            return invalid (error, where, f_start, "overlaps segments[%u] (segments go "
                            "by sequence)", i - 1);
        }
      cr_render_job_add_segment (job, path, started_us, duration_us);
    }
  return TRUE;
}

static gboolean
parse_tracks (JsonObject *root, const char *where, CrRenderJob *job, GError **error)
{
  JsonArray *array;
  guint n;

  if (!get_array (root, "tracks", TRUE, where, &array, error))
    return FALSE;
  n = json_array_get_length (array);
  if (n == 0)
    return invalid (error, where, "tracks", "must list at least the mix");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("tracks[%u]", i);
      g_autofree char *f_name = g_strdup_printf ("%s.name", prefix);
      g_autofree char *f_title = g_strdup_printf ("%s.title", prefix);
      g_autofree char *f_language = g_strdup_printf ("%s.language", prefix);
      JsonObject *object = element_object (array, i, prefix, where, error);
      g_autofree char *name = NULL, *title = NULL, *language = NULL;

      if (object == NULL ||
          !get_text (object, "name", f_name, TRUE, where, &name, error) ||
          !get_text (object, "title", f_title, TRUE, where, &title, error) ||
          !get_text (object, "language", f_language, FALSE, where, &language, error))
        return FALSE;
      if (i == 0 && !g_str_equal (name, "mix"))
        return invalid (error, where, f_name, "the first track is the mix (\"mix\"), "
                        "not \"%s\"", name);
      if (g_str_equal (name, "all") || (i > 0 && g_str_equal (name, "mix")))
        return invalid (error, where, f_name, "\"%s\" is not a microphone's name", name);
      for (guint j = 0; j < job->tracks->len; j++)
        if (g_str_equal (g_array_index (job->tracks, CrRenderTrack, j).name, name))
          return invalid (error, where, f_name, "\"%s\" is listed twice", name);
      if (language != NULL &&
          (strlen (language) != 3 || !g_ascii_isalpha (language[0]) ||
           !g_ascii_isalpha (language[1]) || !g_ascii_isalpha (language[2])))
        return invalid (error, where, f_language, "expected an ISO 639-2 code like "
                        "\"zho\", not \"%s\"", language);
      add_track (job, name, title, language);
    }
  return TRUE;
}

static gboolean
parse_markers (JsonObject *root, const char *where, CrRenderJob *job, GError **error)
{
  JsonArray *array;

  if (!get_array (root, "markers", FALSE, where, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *prefix = g_strdup_printf ("markers[%u]", i);
      g_autofree char *f_at = g_strdup_printf ("%s.at", prefix);
      g_autofree char *f_text = g_strdup_printf ("%s.text", prefix);
      JsonObject *object = element_object (array, i, prefix, where, error);
      g_autofree char *text = NULL;
      gint64 at_us;

      if (object == NULL ||
          !get_time (object, "at", f_at, TRUE, where, &at_us, error) ||
          !get_text (object, "text", f_text, TRUE, where, &text, error))
        return FALSE;
      cr_render_job_add_marker (job, at_us, text);
    }
  return TRUE;
}

/* What the redactions name must exist: a muted track is one of the
 * file's. */
static gboolean
check_redactions (const CrRenderJob *job, const char *where, GError **error)
{
  for (guint i = 0; i < job->redactions->len; i++)
    {
      const CrRedaction *r = &g_array_index (job->redactions, CrRedaction, i);
      gboolean known = FALSE;

      if (r->kind != CR_REDACTION_MUTE || g_str_equal (r->track, "all"))
        continue;
      for (guint j = 0; j < job->tracks->len; j++)
        known |= g_str_equal (g_array_index (job->tracks, CrRenderTrack, j).name, r->track);
      if (!known)
        {
          g_autofree char *field = g_strdup_printf ("redactions[%u].track", i);
          return invalid (error, where, field, "\"%s\" is not \"all\" nor one of the "
                          "tracks", r->track);
        }
    }
  return TRUE;
}

CrRenderJob *
cr_render_job_parse (const char *json, gssize length, const char *where, GError **error)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (CrRenderJob) job = cr_render_job_new ();
  g_autofree char *format = NULL;
  JsonObject *root;
  JsonArray *redactions;
  JsonNode *kbps;

  g_return_val_if_fail (json != NULL, NULL);

  node = parse_json (json, length, where, error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid (error, where, "(file)", "expected a JSON object");
      return NULL;
    }
  root = json_node_get_object (node);
  if (!get_text (root, "format", "format", TRUE, where, &format, error))
    return NULL;
  if (!g_str_equal (format, CR_RENDER_JOB_FORMAT))
    {
      invalid (error, where, "format", "\"%s\" is not \"%s\"", format, CR_RENDER_JOB_FORMAT);
      return NULL;
    }
  if (!get_text (root, "output_dir", "output_dir", TRUE, where, &job->output_dir, error))
    return NULL;
  if (!g_path_is_absolute (job->output_dir) || g_str_equal (job->output_dir, "/"))
    {
      invalid (error, where, "output_dir", "must be an absolute path below /");
      return NULL;
    }
  if (!parse_segments (root, where, job, error) ||
      !get_time (root, "from", "from", FALSE, where, &job->from_us, error) ||
      !get_time (root, "to", "to", FALSE, where, &job->to_us, error) ||
      !get_text (root, "watermark", "watermark", FALSE, where, &job->watermark, error) ||
      !get_text (root, "title", "title", FALSE, where, &job->title, error))
    return NULL;
  if (job->from_us != 0 && job->to_us != 0 && job->from_us >= job->to_us)
    {
      invalid (error, where, "to", "must be after from");
      return NULL;
    }
  if (job->watermark != NULL && *job->watermark == '\0')
    g_clear_pointer (&job->watermark, g_free);
  if (!get_array (root, "redactions", FALSE, where, &redactions, error) ||
      !parse_redaction_array (redactions, "redactions", where, job->redactions, error))
    return NULL;
  if (!parse_tracks (root, where, job, error) ||
      !parse_markers (root, where, job, error) ||
      !check_redactions (job, where, error))
    return NULL;
  kbps = member (root, "video_kbps");
  if (!is_null (kbps))
    {
      gint64 value;

      if (!get_int (root, "video_kbps", "video_kbps", 0, 100000, where, &value, error))
        return NULL;
      job->video_kbps = value;
    }
  return g_steal_pointer (&job);
}

CrRenderJob *
cr_render_job_load (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, CR_RENDER_ERROR, CR_RENDER_ERROR_INVALID, "%s", local->message);
      return NULL;
    }
  return cr_render_job_parse (contents, length, path, error);
}
