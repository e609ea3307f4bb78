#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/drift.sh [BUILD_DIR]: audio/video drift of a long recording.
#
#   sh bench/drift.sh build                  (30 minutes of wall time)
#   BENCH_MINUTES=5 sh bench/drift.sh build  (a shorter try)
#   sh bench/drift.sh --analyze DIR          (re-measure the *.mkv in DIR,
#                                             e.g. one kept by BENCH_KEEP=1)
#   sh bench/drift.sh --summarize RESDIR     (the table again from RESDIR's
#                                             pairs.txt)
#
# Records BENCH_MINUTES (30) minutes of one `test:sync` camera and one
# `test:sync` microphone with courtrecd (room 320x180 at 25 fps, tracks =
# mix+each, segment_seconds = BENCH_SEGMENT_SECONDS, default 600: a 30-minute
# recording spans 3 files). The microphone beeps (1 kHz) during the first
# 40 ms of every second of the system clock and the camera flashes white in
# the frame nearest to each whole second (pipelines/input.c mark_sync), so
# in the file the beep minus the flash is the recorder's audio/video offset
# at that moment, to within half a frame.
#
# Measurement, with ffmpeg, per segment file, the same as tests/test-inputs.c
# onsets(): flash onsets are frames whose signalstats YAVG > 128; beep onsets
# are 10 ms windows (asetnsamples=480 at 48 kHz) whose astats RMS level is
# above -30 dBFS; an onset is the first mark after 0.5 s without one. Each
# flash is paired with the beep within 0.5 s of it; offset = beep - flash
# (positive: the sound is late). For each segment the median offset of the
# first 10 and of the last 10 pairs is reported, for the mix (a:0, AAC) and
# for the microphone's own track (a:1, Opus); the drift is the least-squares
# slope of every pair's offset against its position in the recording, in ms
# per hour, and also (last 10 of the last segment - first 10 of the first
# segment) / elapsed time. Positions: (sequence - 1) x segment_seconds +
# packet time in the file. Resolution: 40 ms per frame at 25 fps, 10 ms per
# audio window; a drift shows as the offset stepping from one value to the
# next over time.
#
# Environment: BENCH_MINUTES (30), BENCH_SEGMENT_SECONDS (600), BENCH_KEEP
# (0; 1 keeps the recordings in bench/out/drift-STAMP/). Writes the onsets,
# pairs and summary to bench/out/drift-STAMP/; bench/out/drift-latest points
# to it. Exits 1 if courtrecd fails, a segment is missing or a segment holds
# too few flash/beep pairs to measure.
#
# Starts only its own courtrecd, on a free API port and a temp dir of its
# own, and stops it by PID; removes the temp dir, also when interrupted.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=bench/out

die () { echo "drift: FAILED: $*" >&2; exit 1; }
note () { echo "drift: $(date -u +%H:%M:%S) $*" >&2; }

for tool in ffmpeg awk sed sort; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

# --- measuring ---------------------------------------------------------------

. bench/sync-lib.sh
. bench/room-lib.sh

# The table and the drift, from RES/pairs.txt.
summarize () {  # RES
  res=$1
  # pairs.txt: TRACK SEGMENT FILE POSITION_S OFFSET_S
  awk -v segs="$SEG" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
    { k = $1 SUBSEP $2; c = ++cnt[k]; pos[k, c] = $4; off[k, c] = $5; file[$2] = $3
      if ($2 > nseg) nseg = $2
      n[$1]++; sx[$1] += $4; sy[$1] += $5; sxx[$1] += $4 * $4; sxy[$1] += $4 * $5
      if (!($1 in lo) || $5 < lo[$1]) lo[$1] = $5; if (!($1 in hi) || $5 > hi[$1]) hi[$1] = $5 }
    END {
      printf "%-5s %-3s %-40s %12s %14s %12s %14s %6s\n", "track", "seg", "file", "first10_at_s", "first10_ms", "last10_at_s", "last10_ms", "pairs"
      split("mix own", tracks, " ")
      for (ti = 1; ti <= 2; ti++) {
        tr = tracks[ti]
        for (s = 1; s <= nseg; s++) {
          k = tr SUBSEP s; m = cnt[k]
          for (i = 1; i <= 10; i++) { a[i] = off[k, i]; b[i] = off[k, m - 10 + i] }
          fa = median(a, 10); la = median(b, 10)
          printf "%-5s %-3d %-40s %12.1f %+14.1f %12.1f %+14.1f %6d\n", tr, s, file[s], pos[k, 1], fa * 1000, pos[k, m], la * 1000, m
          if (s == 1) { first[tr] = fa; t0[tr] = pos[k, 1] }
          if (s == nseg) { last[tr] = la; t1[tr] = pos[k, m] }
        }
      }
      print ""
      for (ti = 1; ti <= 2; ti++) {
        tr = tracks[ti]
        slope = (n[tr] * sxy[tr] - sx[tr] * sy[tr]) / (n[tr] * sxx[tr] - sx[tr] * sx[tr])
        printf "%s: offset (beep - flash) first 10 %+.1f ms, last 10 %+.1f ms over %.1f min: %+.1f ms/h end-to-end; least-squares slope over %d pairs %+.2f ms/h; all offsets %+.1f..%+.1f ms\n",
               tr, first[tr] * 1000, last[tr] * 1000, (t1[tr] - t0[tr]) / 60,
               (last[tr] - first[tr]) * 1000 / ((t1[tr] - t0[tr]) / 3600), n[tr], slope * 1000 * 3600, lo[tr] * 1000, hi[tr] * 1000
      }
    }' "$res/pairs.txt"
}

analyze () {  # DIR_OF_RESULTS FILE...   (files in recording order)
  res=$1; shift
  seg=0
  : > "$res/pairs.txt"
  for f do
    seg=$((seg + 1))
    base=$res/segment-$seg
    # The stop comes a little after a whole number of segments: a last
    # segment of a few seconds is left out.
    if [ "$seg" = "$#" ] && [ "$seg" -gt 1 ] &&
       [ "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" | cut -d. -f1)" -lt "$((SEG / 2))" ]; then
      note "segment $seg ($(basename "$f")) is shorter than half a segment: not measured"
      set -- $(i=0; for g do i=$((i + 1)); [ "$i" -lt "$seg" ] && echo "$g"; done)
      break
    fi
    onsets "$f" 0:v:0 video > "$base-flashes.txt"
    onsets "$f" 0:a:0 audio > "$base-beeps-mix.txt"
    onsets "$f" 0:a:1 audio > "$base-beeps-own.txt"
    pairs "$base-flashes.txt" "$base-beeps-mix.txt" > "$base-pairs-mix.txt"
    pairs "$base-flashes.txt" "$base-beeps-own.txt" > "$base-pairs-own.txt"
    for track in mix own; do
      np=$(wc -l < "$base-pairs-$track.txt")
      [ "$np" -ge 10 ] ||
        die "segment $seg ($f) has $np flash/beep pairs on the $track track (flashes: $(wc -l < "$base-flashes.txt"), beeps: $(wc -l < "$base-beeps-$track.txt")); see $res"
      awk -v seg="$seg" -v segs="$SEG" -v tr="$track" -v file="$(basename "$f")" \
          '{ printf "%s %d %s %.4f %.4f\n", tr, seg, file, (seg - 1) * segs + $1, $2 }' \
          "$base-pairs-$track.txt" >> "$res/pairs.txt"
    done
  done
  summarize "$res"
  # A flash or a beep every second is expected: count what is missing.
  echo
  seg=0
  for f do
    seg=$((seg + 1)); base=$res/segment-$seg
    awk -v seg="$seg" -v nf="$(wc -l < "$base-flashes.txt")" -v nm="$(wc -l < "$base-beeps-mix.txt")" \
        -v no="$(wc -l < "$base-beeps-own.txt")" -v pm="$(wc -l < "$base-pairs-mix.txt")" \
        -v po="$(wc -l < "$base-pairs-own.txt")" \
        'NR == 1 { a = $1 } { z = $1 } END { printf "segment %d: flashes %d, beeps mix %d, own %d, pairs mix %d, own %d over %.0f s between first and last flash\n", seg, nf, nm, no, pm, po, z - a }' \
        "$base-flashes.txt"
  done
}

if [ "${1:-}" = --summarize ]; then
  # Only the table, again, from the pairs of an earlier run's result dir.
  [ -s "${2:-}/pairs.txt" ] || die "usage: sh bench/drift.sh --summarize bench/out/drift-STAMP"
  SEG=${BENCH_SEGMENT_SECONDS:-600}
  summarize "$2"
  exit 0
fi

if [ "${1:-}" = --analyze ]; then
  [ -d "${2:-}" ] || die "usage: sh bench/drift.sh --analyze DIR (the segment *.mkv files of one session)"
  SEG=${BENCH_SEGMENT_SECONDS:-600}
  STAMP=$(date -u +%Y%m%dT%H%M%SZ)
  RES=$OUT/drift-$STAMP; mkdir -p "$RES"
  # shellcheck disable=SC2046
  set -- $(find "$2" -name '*.mkv' | sort)
  [ "$#" -gt 0 ] || die "no *.mkv under $2"
  analyze "$RES" "$@" | tee "$RES/summary.txt"
  exit 0
fi

# --- recording ---------------------------------------------------------------

B=${1:-build}
MIN=${BENCH_MINUTES:-30}
SEG=${BENCH_SEGMENT_SECONDS:-600}
CASE='（2026）浙1022民初123号'
for n in "$MIN" "$SEG"; do
  case $n in ''|*[!0-9]*) die "BENCH_MINUTES and BENCH_SEGMENT_SECONDS take whole numbers" ;; esac
done
[ "$MIN" -ge 1 ] || die "need BENCH_MINUTES >= 1"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first"
command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 not found"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/courtrec-drift.XXXXXX")
PID=""; PIDS=""
cleanup () {
  for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Copies: the tree is shared and may be rebuilt during the 30 minutes.
mkdir -p "$TMP/bin" "$TMP/store"
cp "$B/courtrecd" "$B/courtrec" "$TMP/bin/"
BUILD=$B; B=$TMP/bin

PORT=$((30000 + $$ % 20000))
while [ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; do PORT=$((PORT + 1)); done

CONF=$TMP/courtrec.conf
cat > "$CONF" <<EOF
[room]
id = drift
name = 漂移测试
court = 浙江省三门县人民法院

[storage]
dir = $TMP/store
segment_seconds = $SEG
key_file = $TMP/device-key

[video]
width = 320
height = 180
framerate = 25
bitrate_kbps = 300
layout = grid

[audio]
bitrate_kbps = 128
tracks = mix+each

[camera judge]
source = test:sync
label = 审判长

[microphone judge]
source = test:sync
label = 审判长

[api]
listen = 127.0.0.1:$PORT
token_file = $TMP/api-token
EOF
"$B/courtrecd" -c "$CONF" --check-config >/dev/null || die "the drift config $CONF is not valid"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$OUT/drift-$STAMP
mkdir -p "$RES"
cp "$CONF" "$RES/courtrec.conf"
LOG=$RES/courtrecd.log
{
  echo "# courtrec drift $STAMP: $(nproc) CPU(s); minutes=$MIN segment_s=$SEG build=$BUILD"
  echo "# courtrecd: $(sha256sum "$B/courtrecd" | cut -c1-16) built $(date -u -r "$BUILD/courtrecd" +%Y-%m-%dT%H:%M:%SZ); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo +uncommitted); $(gst-launch-1.0 --version | sed -n 2p)"
} > "$RES/info.txt"

courtrecd_up "$CONF" "$LOG"; PID=$COURTRECD
echo "$PID" > "$RES/courtrecd.pid"
"$B/courtrec" -c "$CONF" start --case "$CASE" >>"$LOG" 2>&1 || die "courtrec start failed; see $LOG"
note "recording $MIN min (PID $PID, port $PORT, results in $RES)"
end=$(( $(date +%s) + MIN * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do
  kill -0 "$PID" 2>/dev/null || die "courtrecd died while recording; see $LOG"
  sleep 5
done
"$B/courtrec" -c "$CONF" stop >>"$LOG" 2>&1 || die "courtrec stop failed; see $LOG"
i=0
while [ "$(sqlite3 "$TMP/store/index.db" 'SELECT count(*) FROM segments WHERE closed = 0 OR sha256 IS NULL' 2>/dev/null || echo 1)" != 0 ] &&
      [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$PID" 2>/dev/null || true
i=0
while kill -0 "$PID" 2>/dev/null && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
PID=""; PIDS=""
note "recording stopped; measuring"

sqlite3 "$TMP/store/index.db" \
  'SELECT sequence, started_at, duration_us, closed, path FROM segments ORDER BY session_id, sequence' > "$RES/segments.txt"
# shellcheck disable=SC2046
set -- $(sqlite3 "$TMP/store/index.db" 'SELECT path FROM segments ORDER BY session_id, sequence' |
         sed "s|^|$TMP/store/|")
[ "$#" -gt 0 ] || die "no segment in the index; see $LOG"
want=$(( (MIN * 60 + SEG - 1) / SEG ))
[ "$#" -ge "$want" ] || die "$# segment(s) for $MIN min at $SEG s each (expected $want); see $RES/segments.txt"
if [ "${BENCH_KEEP:-0}" != 0 ]; then
  # Kept before measuring, so that a failed measurement can be redone with
  # --analyze.
  mkdir -p "$RES/recordings"
  for f do mv "$f" "$RES/recordings/"; set -- "$@" "$RES/recordings/$(basename "$f")"; shift; done
fi
analyze "$RES" "$@" | tee "$RES/summary.txt"
rm -f "$OUT/drift-latest"; ln -s "drift-$STAMP" "$OUT/drift-latest"
exit 0
