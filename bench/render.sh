#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/render.sh [BUILD_DIR]: how fast a watermarked, redacted copy of a
# recording is rendered while the room records, and what it costs the
# recording.
#
#   sh bench/render.sh build                  # a copy of 60 minutes
#   BENCH_MINUTES=10 sh bench/render.sh build # a shorter one
#
# Issue 12 point 8: "rendering a watermarked copy of one hour runs at 5x
# real time or faster on two cores while a hearing is recording, without
# the recording losing a frame". One courtrecd records issue 3's reference
# courtroom (four test cameras composed into 1280x720 at 25 fps, H.264
# 2000 kbit/s; four test microphones, tracks = mix+each; segment_seconds =
# 60) for BENCH_SOURCE (65) s: its first segment, one minute, is the
# source. The job lists that file BENCH_MINUTES times, back to back (the
# renderer reads each as a segment of its own: an hour's work without an
# hour of recording), with the watermark, a mute, a blur and a marker every
# ten minutes, as courtrecd would write it. Then the room starts a second
# session and records for the whole render, and `courtrec render` runs at
# nice 10, as the render queue runs it. Measured:
#
#   speed      BENCH_MINUTES minutes over the render's wall time (x real time)
#   renderer   its CPU (user + system) and its share of the two cores
#   recording  courtrecd's CPU s per s in the 20 s before the render and
#              during it; the second session's frames (ffprobe
#              -count_frames over its segments) against its indexed length
#              at 25 fps: "frames lost" is how many fewer
#
# Fails (exit 1) if the render fails, the copy is not the expected length,
# or the recording lost a frame or logged a gap. Writes
# bench/out/render-STAMP/ (raw.txt, the job, the logs, summary.txt).
# Starts only its own courtrecd, on a free port and a temp dir, and stops
# it by PID.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
MINUTES=${BENCH_MINUTES:-60}
SOURCE=${BENCH_SOURCE:-65}
CASE='（2026）浙1022民初123号'
EXAMPLE=config/courtrec.conf.example
OUT=bench/out
HZ=$(getconf CLK_TCK)

BENCH_NAME=render
. bench/stream-lib.sh
. bench/room-lib.sh

for n in "$MINUTES" "$SOURCE"; do
  case $n in ''|*[!0-9]*) die "BENCH_MINUTES and BENCH_SOURCE take whole numbers" ;; esac
done
[ "$MINUTES" -ge 1 ] && [ "$SOURCE" -ge 62 ] || die "need BENCH_MINUTES >= 1 and BENCH_SOURCE >= 62"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first"
for tool in ffprobe sqlite3 awk sed python3 /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

bench_begin

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$OUT/render-$STAMP
mkdir -p "$RES"
{
  echo "# courtrec render bench $STAMP: $(nproc) CPU(s); minutes=$MINUTES source=$SOURCE build=$B"
  echo "# courtrec: $(sha256sum "$B/courtrec" | cut -c1-16); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo +uncommitted); load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/raw.txt"

# --- the room and the source minute -----------------------------------------
PORT=$(free_port)
mkdir -p "$TMP/store"
reference_room "$EXAMPLE" |
  sed -e "s|^dir = .*|dir = $TMP/store|" \
      -e "s|^key_file = .*|key_file = $TMP/device-key|" \
      -e "s|^segment_seconds = .*|segment_seconds = 60|" \
      -e "s|^listen = .*|listen = 127.0.0.1:$PORT|" \
      -e "s|^token_file = .*|token_file = $TMP/api-token|" > "$TMP/room.conf"
"$B/courtrecd" -c "$TMP/room.conf" --check-config >/dev/null || die "the bench config $TMP/room.conf is not valid"
LOG=$RES/courtrecd.log
courtrecd_up "$TMP/room.conf" "$LOG"
CR="$B/courtrec -c $TMP/room.conf"
INDEX=$TMP/store/index.db

$CR start --case "$CASE" >/dev/null || die "start failed; see $LOG"
note "recording the source minute (${SOURCE} s)"
sleep "$SOURCE"
$CR stop >/dev/null || die "stop failed; see $LOG"
i=0
until [ "$(sqlite3 "$INDEX" 'SELECT count(*) FROM segments WHERE session_id = 1 AND closed = 0')" = 0 ]; do
  i=$((i + 1)); [ "$i" -lt 300 ] || die "the source session's segments did not close; see $LOG"
  sleep 0.1
done
set -- $(sqlite3 -separator ' ' "$INDEX" \
  "SELECT path, started_at, duration_us FROM segments WHERE session_id = 1 AND sequence = 1")
SRC=$TMP/store/$1; SRC_START=$2; SRC_US=$3
[ "$SRC_US" -ge 59000000 ] || die "the source segment is $SRC_US us, not a minute"

# --- the job --------------------------------------------------------------------
python3 - "$SRC" "$SRC_START" "$SRC_US" "$MINUTES" "$TMP/copy" > "$RES/job.json" <<'EOF'
import datetime, json, sys
path, start, us, minutes, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
t0 = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%S.%fZ")
def utc(offset_us):
    t = t0 + datetime.timedelta(microseconds=offset_us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
step = 60000000
seats = ["judge", "plaintiff", "defendant", "witness"]
titles = ["审判长", "原告", "被告", "证人"]
job = {
  "format": "courtrec-render-1", "output_dir": out,
  "segments": [{"path": path, "started_at": utc(i * step), "duration_us": us} for i in range(minutes)],
  "from": None, "to": None,
  "watermark": "张三 · 授权 G12 · 2026-12-03",
  "redactions": [
    {"kind": "mute", "track": "witness", "from": utc(30000000), "to": utc(90000000), "reason": "未成年人", "by": "审判长"},
    {"kind": "blur", "x": 640, "y": 0, "width": 640, "height": 360, "from": utc(60000000), "to": utc(180000000), "reason": "证人面部", "by": "审判长"}],
  "tracks": [{"name": "mix", "title": "混音 / Mix"}] + [{"name": s, "title": t} for s, t in zip(seats, titles)],
  "markers": [{"at": utc(i * 600000000 + 1000000), "text": "第 %d 段" % (i + 1)} for i in range((minutes + 9) // 10)],
  "video_kbps": 0,
}
json.dump(job, sys.stdout, ensure_ascii=False, indent=1)
EOF
chmod 600 "$RES/job.json"

# --- the render, while the room records ---------------------------------------
$CR start --case "$CASE" >/dev/null || die "the second start failed; see $LOG"
sleep 5
note "the room records; 20 s without a render"
c0=$(cpu_ticks "$COURTRECD"); t0=$(now_ns)
sleep 20
c1=$(cpu_ticks "$COURTRECD"); t1=$(now_ns)
echo "before ticks=$((c1 - c0)) wall_ns=$((t1 - t0))" >> "$RES/raw.txt"

note "rendering $MINUTES minute(s)"
c0=$(cpu_ticks "$COURTRECD"); t0=$(now_ns)
/usr/bin/time -f '%e %U %S' -o "$RES/render-time.txt" nice -n 10 "$B/courtrec" render "$RES/job.json" \
  > "$RES/render-out.txt" 2> "$RES/render-err.txt" || die "the render failed; see $RES/render-err.txt"
c1=$(cpu_ticks "$COURTRECD"); t1=$(now_ns)
echo "render ticks=$((c1 - c0)) wall_ns=$((t1 - t0))" >> "$RES/raw.txt"
echo "render time (wall user system): $(cat "$RES/render-time.txt")" >> "$RES/raw.txt"
grep '^done ' "$RES/render-out.txt" >> "$RES/raw.txt" || die "no done line; see $RES/render-out.txt"

$CR stop >/dev/null || die "the second stop failed; see $LOG"
i=0
until [ "$(sqlite3 "$INDEX" 'SELECT count(*) FROM segments WHERE session_id = 2 AND closed = 0')" = 0 ]; do
  i=$((i + 1)); [ "$i" -lt 300 ] || die "the recording's segments did not close; see $LOG"
  sleep 0.1
done
stop_pid "$COURTRECD" TERM 10

# --- checks: the copy and the recording ------------------------------------------
copy_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$TMP/copy/copy.mp4")
echo "copy duration_s=$copy_s expected_s=$(awk "BEGIN { print $MINUTES * $SRC_US / 1e6 }")" >> "$RES/raw.txt"
awk -v d="$copy_s" -v e="$MINUTES" -v s="$SRC_US" 'BEGIN { exit (d - e * s / 1e6 > 1 || e * s / 1e6 - d > 1) }' ||
  die "the copy is $copy_s s, not $MINUTES x $SRC_US us"
frames=0; expected=0
for row in $(sqlite3 -separator ':' "$INDEX" "SELECT path, duration_us FROM segments WHERE session_id = 2 ORDER BY sequence"); do
  f=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames \
        -of csv=p=0 "$TMP/store/${row%%:*}")
  frames=$((frames + f))
  expected=$((expected + (${row##*:} + 20000) / 40000))
done
echo "recording frames=$frames expected=$expected" >> "$RES/raw.txt"
if grep -Eq 'gap|[Ll]ost' "$LOG"; then die "the log shows a gap or an input lost; see $LOG"; fi
[ "$frames" -ge "$((expected - 1))" ] || die "the recording has $frames frames, $expected expected"

# --- summary ----------------------------------------------------------------------
awk -v hz="$HZ" -v minutes="$MINUTES" -v src_us="$SRC_US" -v cores="$(nproc)" '
  $1 == "before" { split($2, a, "="); split($3, b, "="); before = a[2] / hz / (b[2] / 1e9) }
  $1 == "render" && $2 ~ /^ticks/ { split($2, a, "="); split($3, b, "="); during = a[2] / hz / (b[2] / 1e9) }
  $1 == "render" && $2 == "time" { wall = $6; user = $7; sys = $8 }
  $1 == "recording" { split($2, a, "="); split($3, b, "="); frames = a[2]; expected = b[2] }
  END {
    media = minutes * src_us / 1e6
    printf "render: %d min (%.0f s of 1280x720 25 fps, 4 microphones) in %.1f s: %.2fx real time\n", minutes, media, wall, media / wall
    printf "renderer CPU: %.1f s user + %.1f s system = %.2f of %d cores over the render\n", user, sys, (user + sys) / wall, cores
    printf "courtrecd CPU: %.3f s/s before the render, %.3f s/s during it\n", before, during
    lost = expected - frames; if (lost < 0) lost = 0
    printf "recording during the render: %d frames of %d expected (%d lost)\n", frames, expected, lost
  }' "$RES/raw.txt" > "$RES/summary.txt"
cat "$RES/summary.txt"
ln -sfn "render-$STAMP" "$OUT/render-latest"
