/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* segment-sink.c: see segment-sink.h. */
#define _GNU_SOURCE /* renameat2 */
#include "archive/segment-sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <gst/base/gstbasesink.h>
#include <string.h>
#include <unistd.h>

#include "config/text.h"
GST_DEBUG_CATEGORY_STATIC (cr_segment_sink_debug);
#define GST_CAT_DEFAULT cr_segment_sink_debug

typedef struct {
  GstBaseSink parent;
  char *location;
  char *partial;          /* the hidden name the file has until its header is whole */
  gboolean named;         /* the file has its own name */
  int fd;
  guint64 position;       /* where the next write goes */
  guint64 length;         /* the file's length: the end of what was written */
  guint64 whole_length;   /* where the last top-level element appended began:
                             everything before it is whole */
  guint64 first_cluster;  /* where the first cluster began (the header's
                             length); 0 before it */
  guint64 unsynced;       /* bytes written since the last fdatasync */
  gboolean failed;        /* a write failed: nothing more is written */
  GByteArray *held;       /* a block whose frame has not come yet (hold_block) */
  guint64 held_at;        /* where it goes in the file */
  guint64 held_total;     /* its length once whole */
} CrSegmentSink;

typedef struct {
  GstBaseSinkClass parent_class;
} CrSegmentSinkClass;

GType cr_segment_sink_get_type (void);
G_DEFINE_TYPE (CrSegmentSink, cr_segment_sink, GST_TYPE_BASE_SINK)

enum { PROP_0, PROP_LOCATION };

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void
post_write_error (CrSegmentSink *self, const char *what, int errnum)
{
  self->failed = TRUE;
  if (errnum == ENOSPC || errnum == EDQUOT)
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
                       ("No space left on the device for '%s'", self->location),
                       ("%s: %s", what, g_strerror (errnum)));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
                       ("Could not write '%s': %s", self->location, g_strerror (errnum)),
                       ("%s", what));
}

static gboolean
sync_data (CrSegmentSink *self)
{
  if (self->unsynced == 0)
    return TRUE;
  if (fdatasync (self->fd) != 0)
    {
      post_write_error (self, "fdatasync", errno);
      return FALSE;
    }
  GST_LOG_OBJECT (self, "synced %" G_GUINT64_FORMAT " bytes", self->unsynced);
  self->unsynced = 0;
  return TRUE;
}

static gboolean
sync_directory (CrSegmentSink *self)
{
  g_autofree char *dir = g_path_get_dirname (self->location);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  /* The file's name must survive a power cut as well as its bytes. */
  ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

static gboolean
cr_segment_sink_start (GstBaseSink *sink)
{
  CrSegmentSink *self = (CrSegmentSink *) sink;

  if (self->location == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No location set"), (NULL));
      return FALSE;
    }
  /* Nothing touches the disk here: the state change runs on whichever
   * thread starts the segment (the capture's, at a keyframe), and a slow or
   * failing disk must never hold that thread. The file is opened with the
   * first buffer, on this pipeline's own streaming thread. */
  self->position = 0;
  self->length = 0;
  self->whole_length = 0;
  self->first_cluster = 0;
  self->unsynced = 0;
  g_byte_array_set_size (self->held, 0);
  self->failed = FALSE;
  return TRUE;
}

/* On the streaming thread, at the first buffer. The file is made under a
 * hidden name in its directory and takes its own name once its header is
 * whole (give_name): a kill -9 or a power cut in between leaves no file
 * with half a header under a segment's name, which no player could open. */
static gboolean
open_file (CrSegmentSink *self)
{
  g_autofree char *dir = g_path_get_dirname (self->location);
  g_autofree char *base = g_path_get_basename (self->location);
  g_autofree char *hidden = g_strdup_printf (".%s.partial", base);
  int errnum;

  if (g_mkdir_with_parents (dir, 0750) != 0)
    {
      errnum = errno;
      self->failed = TRUE;
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
                         ("Could not create '%s': %s", dir, g_strerror (errnum)), (NULL));
      return FALSE;
    }
  g_free (self->partial);
  self->partial = g_build_filename (dir, hidden, NULL);
  self->named = FALSE;
  self->fd = open (self->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (self->fd < 0)
    {
      errnum = errno;
      self->failed = TRUE;
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
                         ("Could not open '%s' for writing: %s", self->location,
                          g_strerror (errnum)), (NULL));
      return FALSE;
    }
  return TRUE;
}

/* Renames @from to @to unless @to exists: a segment's file is never put
 * over another's, whatever a bug upstream or a clock set back names it.
 * RENAME_NOREPLACE where the filesystem has it, else a hard link (which
 * fails on an existing name too), else, on a filesystem with neither (a
 * FAT-formatted USB disk), a look before the rename. */
static int
rename_no_replace (const char *from, const char *to)
{
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    return -1;
  if (link (from, to) == 0)
    return unlink (from) == 0 || errno == ENOENT ? 0 : -1;
  if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP)
    return -1;
  if (g_file_test (to, G_FILE_TEST_EXISTS))
    {
      errno = EEXIST;
      return -1;
    }
  return rename (from, to);
}

/* The header is whole: the file takes its name, synced into the directory,
 * and the application hears of it on the bus. */
static gboolean
give_name (CrSegmentSink *self)
{
  if (rename_no_replace (self->partial, self->location) != 0)
    {
      int errnum = errno;
      self->failed = TRUE;
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
                         ("Could not create '%s': %s", self->location, g_strerror (errnum)),
                         (NULL));
      return FALSE;
    }
  self->named = TRUE;
  sync_directory (self);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
                               gst_structure_new_empty (CR_SEGMENT_SINK_OPENED)));
  return TRUE;
}

static gboolean
cr_segment_sink_stop (GstBaseSink *sink)
{
  CrSegmentSink *self = (CrSegmentSink *) sink;

  if (self->fd >= 0)
    {
      if (!self->failed)
        sync_data (self);
      close (self->fd);
      self->fd = -1;
      /* Never named: it holds no frame. */
      if (!self->named)
        g_unlink (self->partial);
    }
  return TRUE;
}

#define MATROSKA_CLUSTER_ID 0x1F43B675

/* TRUE when @data begins a top-level element of a Matroska segment (a
 * cluster, the cues, the tags, ...): matroskamux hands each of them over
 * from its start, and everything it wrote before one is complete. */
static gboolean
begins_top_level_element (const guint8 *data, gsize size)
{
  static const guint32 ids[] = {
    MATROSKA_CLUSTER_ID,
    0x1C53BB6B, /* Cues */
    0x1254C367, /* Tags */
    0x114D9B74, /* SeekHead */
    0x1043A770, /* Chapters */
    0x1941A469, /* Attachments */
  };
  guint32 id;

  if (size < 4)
    return FALSE;
  id = GST_READ_UINT32_BE (data);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    if (id == ids[i])
      return TRUE;
  return FALSE;
}

/* A full disk cuts the file back to where the last top-level element began:
 * what stays ends with whole clusters, like a file cut by a power failure
 * after its last fdatasync, and plays to its last whole fragment instead of
 * ending in half a frame. Only an append can run out of room: the muxer's
 * seeks back overwrite bytes that are already there. */
static void
cut_partial_append (CrSegmentSink *self, guint64 element_start, guint64 length_before)
{
  if (element_start < length_before || self->whole_length == 0)
    return;
  if (ftruncate (self->fd, self->whole_length) != 0)
    {
      GST_WARNING_OBJECT (self, "could not cut '%s' back to %" G_GUINT64_FORMAT
                          " bytes: %s", cr_text_shown (self->location), self->whole_length,
                          g_strerror (errno));
      return;
    }
  GST_INFO_OBJECT (self, "disk full: '%s' cut back to %" G_GUINT64_FORMAT " bytes",
                   cr_text_shown (self->location), self->whole_length);
  self->length = self->whole_length;
}

/* A file cut back to its header holds no frame and no player opens it:
 * it goes, named or not, and the application hears of it before the
 * error, so that it indexes no row for it. */
static void
withdraw_if_empty (CrSegmentSink *self)
{
  if (!self->named || self->length > self->first_cluster)
    return;
  if (g_unlink (self->location) != 0)
    {
      GST_WARNING_OBJECT (self, "could not remove '%s', which holds no frame: %s",
                          cr_text_shown (self->location), g_strerror (errno));
      return;
    }
  self->named = FALSE;
  sync_directory (self);
  GST_INFO_OBJECT (self, "disk full in the first cluster: '%s' removed",
                   cr_text_shown (self->location));
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
                               gst_structure_new_empty (CR_SEGMENT_SINK_WITHDRAWN)));
}

static gboolean
write_all (CrSegmentSink *self, const guint8 *data, gsize size)
{
  guint64 element_start = self->position;
  guint64 length_before = self->length;

  if (element_start >= length_before && begins_top_level_element (data, size))
    {
      self->whole_length = element_start;
      /* The first cluster: what came before it is the whole header (the
       * SeekHead, a top-level element too, is part of it). */
      if (!self->named && GST_READ_UINT32_BE (data) == MATROSKA_CLUSTER_ID)
        {
          self->first_cluster = element_start;
          if (!give_name (self))
            return FALSE;
        }
    }

  while (size > 0)
    {
      ssize_t n = pwrite (self->fd, data, size, self->position);
      if (n < 0)
        {
          int errnum = errno;
          if (errnum == EINTR)
            continue;
          if (errnum == ENOSPC || errnum == EDQUOT)
            {
              cut_partial_append (self, element_start, length_before);
              withdraw_if_empty (self);
            }
          post_write_error (self, "write", errnum);
          return FALSE;
        }
      data += n;
      size -= n;
      self->position += n;
      self->unsynced += n;
      if (self->position > self->length)
        self->length = self->position;
    }
  return TRUE;
}

/* matroskamux hands a block over in two buffers: the element's header and
 * the block's own header first, then the frame. A kill -9 between the two
 * writes would leave a block that claims a frame the file does not have,
 * and every player reports the file "ended prematurely". The first part
 * is held, and the block written with one pwrite once whole: a kill loses
 * at most that frame, and the file still ends between two elements.
 * Returns the block element's whole length when @data begins one that
 * @size does not complete. */
#define MATROSKA_SIMPLE_BLOCK_ID 0xA3
#define MATROSKA_BLOCK_GROUP_ID 0xA0
#define MATROSKA_BLOCK_ID 0xA1
#define HELD_MAX (16 * 1024 * 1024)

static guint64
incomplete_block_length (const guint8 *data, gsize size)
{
  guint length;
  guint64 value;
  gboolean unknown;

  if (size < 2 || (data[0] != MATROSKA_SIMPLE_BLOCK_ID && data[0] != MATROSKA_BLOCK_GROUP_ID &&
                   data[0] != MATROSKA_BLOCK_ID) || data[1] == 0)
    return 0;
  /* The size is an EBML variable-length integer: its first byte's leading
   * zeros say how many bytes follow; all ones is "unknown". */
  length = 1;
  while (!(data[1] & (0x80 >> (length - 1))))
    length++;
  if (size < 1 + (gsize) length)
    return 0;
  value = data[1] & (0xFF >> length);
  unknown = value == (guint64) (0xFF >> length);
  for (guint i = 1; i < length; i++)
    {
      value = value << 8 | data[1 + i];
      unknown = unknown && data[1 + i] == 0xFF;
    }
  if (unknown || 1 + length + value <= size || 1 + length + value > HELD_MAX)
    return 0;
  return 1 + length + value;
}

/* Writes the held block where it belongs. */
static gboolean
flush_held (CrSegmentSink *self)
{
  gboolean ok;

  if (self->held->len == 0)
    return TRUE;
  self->position = self->held_at;
  ok = write_all (self, self->held->data, self->held->len);
  g_byte_array_set_size (self->held, 0);
  return ok;
}

static GstFlowReturn
cr_segment_sink_render (GstBaseSink *sink, GstBuffer *buffer)
{
  CrSegmentSink *self = (CrSegmentSink *) sink;
  GstMapInfo map;
  gboolean ok;
  guint64 block_length;

  /* After a failed write the file is as complete as it will get. */
  if (self->failed || (self->fd < 0 && !open_file (self)))
    return GST_FLOW_ERROR;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_ERROR;
  /* The rest of a held block: written with it once the block is whole. A
   * seek (a segment event) has flushed it already. */
  if (self->held->len > 0 && begins_top_level_element (map.data, map.size) &&
      !flush_held (self))
    {
      /* Never a cluster inside a block: what is held is flushed as it is
       * (it was not a block after all) and the cluster goes on as usual. */
      gst_buffer_unmap (buffer, &map);
      return GST_FLOW_ERROR;
    }
  if (self->held->len > 0)
    {
      g_byte_array_append (self->held, map.data, map.size);
      self->position += map.size;
      ok = self->held->len < self->held_total || flush_held (self);
      gst_buffer_unmap (buffer, &map);
      return ok ? GST_FLOW_OK : GST_FLOW_ERROR;
    }
  /* A new cluster appended: the previous one is complete, so make it
   * durable before going on. Known by its element ID: a cluster that the
   * muxer starts for its length (max-cluster-duration), not at a
   * keyframe, is a delta unit like any other buffer. */
  if (self->position >= self->length && map.size >= 4 &&
      GST_READ_UINT32_BE (map.data) == MATROSKA_CLUSTER_ID && !sync_data (self))
    {
      gst_buffer_unmap (buffer, &map);
      return GST_FLOW_ERROR;
    }
  if (self->position >= self->length &&
      (block_length = incomplete_block_length (map.data, map.size)) > 0)
    {
      self->held_at = self->position;
      self->held_total = block_length;
      GST_LOG_OBJECT (self, "holding %" G_GSIZE_FORMAT " bytes of a %" G_GUINT64_FORMAT
                      "-byte block", map.size, block_length);
      g_byte_array_append (self->held, map.data, map.size);
      self->position += map.size;
      gst_buffer_unmap (buffer, &map);
      return GST_FLOW_OK;
    }
  ok = write_all (self, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return ok ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static gboolean
cr_segment_sink_event (GstBaseSink *sink, GstEvent *event)
{
  CrSegmentSink *self = (CrSegmentSink *) sink;

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_SEGMENT:
      {
        const GstSegment *segment;
        gst_event_parse_segment (event, &segment);
        /* The muxer seeks back to fill in sizes, duration and cues; a
         * block held whole goes first, where it belongs. */
        if (segment->format == GST_FORMAT_BYTES)
          {
            /* A failed write has posted its error and set failed. */
            if (!self->failed && self->fd >= 0)
              flush_held (self);
            self->position = segment->start;
          }
        break;
      }
    case GST_EVENT_EOS:
      if (self->failed || self->fd < 0 || !flush_held (self) ||
          (!self->named && !give_name (self)))
        break;
      if (!sync_data (self) || !sync_directory (self))
        {
          if (self->unsynced != 0)
            return FALSE;
        }
      break;
    default:
      break;
    }
  return GST_BASE_SINK_CLASS (cr_segment_sink_parent_class)->event (sink, event);
}

static gboolean
cr_segment_sink_query (GstBaseSink *sink, GstQuery *query)
{
  CrSegmentSink *self = (CrSegmentSink *) sink;
  GstFormat format;

  switch (GST_QUERY_TYPE (query))
    {
    case GST_QUERY_SEEKING:
      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      /* Byte seeks let the muxer write a proper index at the end. */
      gst_query_set_seeking (query, format, format == GST_FORMAT_BYTES, 0, -1);
      return TRUE;
    case GST_QUERY_POSITION:
      gst_query_parse_position (query, &format, NULL);
      if (format != GST_FORMAT_BYTES)
        break;
      gst_query_set_position (query, GST_FORMAT_BYTES, self->position);
      return TRUE;
    case GST_QUERY_FORMATS:
      gst_query_set_formats (query, 2, GST_FORMAT_DEFAULT, GST_FORMAT_BYTES);
      return TRUE;
    default:
      break;
    }
  return GST_BASE_SINK_CLASS (cr_segment_sink_parent_class)->query (sink, query);
}

static void
cr_segment_sink_set_property (GObject *object, guint prop_id,
                              const GValue *value, GParamSpec *pspec)
{
  CrSegmentSink *self = (CrSegmentSink *) object;

  switch (prop_id)
    {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_segment_sink_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  CrSegmentSink *self = (CrSegmentSink *) object;

  switch (prop_id)
    {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_segment_sink_finalize (GObject *object)
{
  CrSegmentSink *self = (CrSegmentSink *) object;

  if (self->fd >= 0)
    close (self->fd);
  g_free (self->location);
  g_free (self->partial);
  g_byte_array_unref (self->held);
  G_OBJECT_CLASS (cr_segment_sink_parent_class)->finalize (object);
}

static void
cr_segment_sink_init (CrSegmentSink *self)
{
  self->fd = -1;
  self->held = g_byte_array_new ();
  /* The segment pipeline is fed as fast as the capture produces: never
   * wait on the clock, never drop. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

static void
cr_segment_sink_class_init (CrSegmentSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);

  object_class->set_property = cr_segment_sink_set_property;
  object_class->get_property = cr_segment_sink_get_property;
  object_class->finalize = cr_segment_sink_finalize;

  g_object_class_install_property (object_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "Path of the segment file",
                           NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "courtrec segment sink",
      "Sink/File", "Writes a segment file and makes each fragment durable",
      "courtrec");

  sink_class->start = cr_segment_sink_start;
  sink_class->stop = cr_segment_sink_stop;
  sink_class->render = cr_segment_sink_render;
  sink_class->event = cr_segment_sink_event;
  sink_class->query = cr_segment_sink_query;
}

void
cr_segment_sink_register (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      GST_DEBUG_CATEGORY_INIT (cr_segment_sink_debug, "courtrec-segmentsink", 0,
                               "courtrec segment file sink");
      gst_element_register (NULL, "courtrecsegmentsink", GST_RANK_NONE,
                            cr_segment_sink_get_type ());
      g_once_init_leave (&registered, 1);
    }
}
