/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* event-kind.c: see event-kind.h. The table is the vocabulary: a kind's
 * text never changes once it has shipped, since indexes and sealed chains
 * hold it. */
#include "archive/event-kind.h"

typedef struct {
  const char *name;
  CrEventClass event_class;
  gboolean alarm;
  CrEventKind clears;
} KindInfo;

#define STATE(name)       { name, CR_EVENT_CLASS_STATE, FALSE, CR_EVENT_UNKNOWN }
#define PAUSE(name)       { name, CR_EVENT_CLASS_PAUSE, FALSE, CR_EVENT_UNKNOWN }
#define ALARM(name)       { name, CR_EVENT_CLASS_FAULT, TRUE, CR_EVENT_UNKNOWN }
#define CLEARS(name, what) { name, CR_EVENT_CLASS_FAULT, FALSE, what }
#define FAULT(name)       { name, CR_EVENT_CLASS_FAULT, FALSE, CR_EVENT_UNKNOWN }
#define ACCESS(name)      { name, CR_EVENT_CLASS_ACCESS, FALSE, CR_EVENT_UNKNOWN }
#define OTHER(name)       { name, CR_EVENT_CLASS_OTHER, FALSE, CR_EVENT_UNKNOWN }

static const KindInfo kinds[] = {
  [CR_EVENT_UNKNOWN] = { NULL, CR_EVENT_CLASS_OTHER, FALSE, CR_EVENT_UNKNOWN },

  [CR_EVENT_START] = STATE ("start"),
  [CR_EVENT_STOP] = STATE ("stop"),

  [CR_EVENT_PAUSE] = PAUSE ("pause"),
  [CR_EVENT_RESUME] = PAUSE ("resume"),

  [CR_EVENT_MARKER] = { "marker", CR_EVENT_CLASS_MARKER, FALSE, CR_EVENT_UNKNOWN },

  [CR_EVENT_ALARM] = ALARM ("alarm"),
  [CR_EVENT_INPUT_LOST] = ALARM ("input-lost"),
  [CR_EVENT_MICROPHONE_SILENT] = ALARM ("microphone-silent"),
  [CR_EVENT_DISK_LOW] = ALARM ("disk-low"),
  [CR_EVENT_DISK_FULL] = ALARM ("disk-full"),
  [CR_EVENT_DISK_STALL] = ALARM ("disk-stall"),
  [CR_EVENT_SEAL_UNAVAILABLE] = ALARM ("seal-unavailable"),
  [CR_EVENT_SCHEDULED_NOT_RECORDING] = ALARM ("scheduled-not-recording"),
  [CR_EVENT_HEARING_OVERRUN] = ALARM ("hearing-overrun"),
  [CR_EVENT_SCHEDULE_STALE] = ALARM ("schedule-stale"),
  [CR_EVENT_COVERAGE_SHORTFALL] = ALARM ("coverage-shortfall"),
  [CR_EVENT_UPLOAD_OVERDUE] = ALARM ("upload-overdue"),
  [CR_EVENT_ARCHIVE_UNAVAILABLE] = ALARM ("archive-unavailable"),
  [CR_EVENT_INPUT_BACK] = CLEARS ("input-back", CR_EVENT_INPUT_LOST),
  [CR_EVENT_MICROPHONE_SOUND] = CLEARS ("microphone-sound", CR_EVENT_MICROPHONE_SILENT),
  [CR_EVENT_DISK_OK] = CLEARS ("disk-ok", CR_EVENT_DISK_LOW),
  [CR_EVENT_RECORDING_RESUMED] = CLEARS ("recording-resumed", CR_EVENT_DISK_FULL),
  [CR_EVENT_ALARM_CLEARED] = CLEARS ("alarm-cleared", CR_EVENT_ALARM),
  [CR_EVENT_GAP] = FAULT ("gap"),
  [CR_EVENT_CAPTURE_ERROR] = FAULT ("capture-error"),
  [CR_EVENT_SEGMENT_ERROR] = FAULT ("segment-error"),
  [CR_EVENT_SEGMENT_OPEN_FAILED] = FAULT ("segment-open-failed"),
  [CR_EVENT_SEGMENT_MISSING] = FAULT ("segment-missing"),
  [CR_EVENT_SEGMENT_RECOVERED] = FAULT ("segment-recovered"),
  [CR_EVENT_SEGMENT_ADOPTED] = FAULT ("segment-adopted"),
  [CR_EVENT_DAEMON_STOP] = FAULT ("daemon-stop"),
  [CR_EVENT_SEAL_ERROR] = FAULT ("seal-error"),
  [CR_EVENT_ALARMS_CONFIRMED] = FAULT ("alarms-confirmed"),

  [CR_EVENT_SEAL] = OTHER ("seal"),
  [CR_EVENT_SEAL_LATE] = OTHER ("seal-late"),
  [CR_EVENT_ARCHIVED] = OTHER ("archived"),
  [CR_EVENT_MEDIA_DELETED] = OTHER ("media-deleted"),
  [CR_EVENT_EXPORT] = OTHER ("export"),
  [CR_EVENT_LAYOUT] = OTHER ("layout"),
  [CR_EVENT_ON_AIR] = OTHER ("on-air"),
  [CR_EVENT_OFF_AIR] = OTHER ("off-air"),
  [CR_EVENT_BROADCAST_APPROVED] = OTHER ("broadcast-approved"),
  [CR_EVENT_BROADCAST_FORBIDDEN] = OTHER ("broadcast-forbidden"),
  [CR_EVENT_STREAM_REFUSED] = OTHER ("stream-refused"),
  [CR_EVENT_STREAM_START] = OTHER ("stream-start"),
  [CR_EVENT_STREAM_STOP] = OTHER ("stream-stop"),
  [CR_EVENT_STREAM_CUT] = OTHER ("stream-cut"),
  [CR_EVENT_STREAM_RESUME] = OTHER ("stream-resume"),
  [CR_EVENT_INPUT_ENDED] = OTHER ("input-ended"),
  [CR_EVENT_HEARING_BOUNDARY] = OTHER ("hearing-boundary"),

  [CR_EVENT_ACCESS_REQUESTED] = ACCESS ("access-requested"),
  [CR_EVENT_ACCESS_GRANTED] = ACCESS ("access-granted"),
  [CR_EVENT_ACCESS_REFUSED] = ACCESS ("access-refused"),
  [CR_EVENT_ACCESS_REVOKED] = ACCESS ("access-revoked"),
  [CR_EVENT_ACCESS_CODE_USED] = ACCESS ("access-code-used"),
  [CR_EVENT_ACCESS_CODE_WRONG] = ACCESS ("access-code-wrong"),
  [CR_EVENT_PLAYBACK_START] = ACCESS ("playback-start"),
  [CR_EVENT_PLAYBACK_END] = ACCESS ("playback-end"),
  [CR_EVENT_DOWNLOAD] = ACCESS ("download"),
  [CR_EVENT_COPY_RENDERED] = ACCESS ("copy-rendered"),
  [CR_EVENT_PUBLISHED] = ACCESS ("published"),
  [CR_EVENT_WITHDRAWN] = ACCESS ("withdrawn"),

  [CR_EVENT_ARCHIVE_LOCK_FAILED] = ALARM ("archive-lock-failed"),
  [CR_EVENT_CLOCK_OFFSET] = OTHER ("clock-offset"),
  [CR_EVENT_CLOCK_SKEW] = ALARM ("clock-skew"),
};

/* Every value has its row (test-segment-index checks that each has a
 * name); a value added at the end without one fails here. */
G_STATIC_ASSERT (G_N_ELEMENTS (kinds) == CR_EVENT_N_KINDS);

static const KindInfo *
info (CrEventKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kinds))
    return &kinds[CR_EVENT_UNKNOWN];
  return &kinds[kind];
}

const char *
cr_event_kind_to_string (CrEventKind kind)
{
  return info (kind)->name;
}

CrEventKind
cr_event_kind_from_string (const char *text)
{
  if (text == NULL)
    return CR_EVENT_UNKNOWN;
  for (guint i = CR_EVENT_UNKNOWN + 1; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kinds[i].name, text) == 0)
      return (CrEventKind) i;
  return CR_EVENT_UNKNOWN;
}

CrEventClass
cr_event_kind_get_class (CrEventKind kind)
{
  return info (kind)->event_class;
}

gboolean
cr_event_kind_is_alarm (CrEventKind kind)
{
  return info (kind)->alarm;
}

CrEventKind
cr_event_kind_clears (CrEventKind kind)
{
  return info (kind)->clears;
}

const char *
cr_event_class_to_string (CrEventClass event_class)
{
  switch (event_class)
    {
    case CR_EVENT_CLASS_STATE:
      return "state";
    case CR_EVENT_CLASS_PAUSE:
      return "pause";
    case CR_EVENT_CLASS_MARKER:
      return "marker";
    case CR_EVENT_CLASS_FAULT:
      return "fault";
    case CR_EVENT_CLASS_ACCESS:
      return "access";
    case CR_EVENT_CLASS_OTHER:
      break;
    }
  return "other";
}
