# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/sync-lib.sh: finding the marks of test:sync sources in a recording
# (sourced, not run). test:sync cameras flash white and test:sync
# microphones beep (1 kHz) during the first 40 ms of every second of the
# system clock (pipelines/input.c mark_sync): in the file, the beep minus
# the flash is the recorder's audio/video offset at that moment. The same
# measure as tests/test-inputs.c onsets(): flash onsets are frames whose
# signalstats YAVG > 128; beep onsets are 10 ms windows (asetnsamples=480 at
# 48 kHz) whose astats RMS level is above -30 dBFS; an onset is the first
# mark after 0.5 s without one.

# Onset times (s, one a line) of the marks in stream $2 of file $1. $4, for
# video, is a filter put before the measure, e.g. "crop=640:360:0:0," to
# look at one tile of a composed picture.
onsets () {  # FILE STREAM video|audio [VIDEO_FILTER,]
  if [ "$3" = video ]; then
    filter=${4:-}signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-
    flag=-vf; thr=128
  else
    filter=asetnsamples=480,astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-
    flag=-af; thr=-30
  fi
  ffmpeg -nostdin -v error -i "$1" -map "$2" "$flag" "$filter" -f null - |
    awk -v thr="$thr" '
      BEGIN { t = -1; last = -10 }
      /pts_time:/ { sub(/.*pts_time:/, ""); t = $1 + 0; next }
      /=/ && t >= 0 { v = substr($0, index($0, "=") + 1)
                      if (v == "-inf" || v == "nan") v = -1000
                      if (v + 0 > thr) { if (t - last > 0.5) printf "%.4f\n", t; last = t } }'
}

# Pairs each flash (file $1) with the beep (file $2) within 0.5 s:
# prints "FLASH_S OFFSET_S".
pairs () {  # FLASHES BEEPS
  awk 'NR == FNR { b[n++] = $1; next }
       { best = 1; for (i = 0; i < n; i++) { d = b[i] - $1; if (d < 0.5 && d > -0.5 && (d < 0 ? -d : d) < (best < 0 ? -best : best)) best = d }
         if (best < 1) printf "%.4f %.4f\n", $1, best }' "$2" "$1"
}
