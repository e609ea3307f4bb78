#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/crash.sh BUILD_DIR: what a kill -9 costs, at every kind of instant.
#
#   sh bench/crash.sh build
#
# Records one hearing with courtrecd and kills it with SIGKILL CRASH_KILLS
# times (20), restarting it after each kill (it resumes the session by
# itself). The instants cycle through five kinds:
#   random    anywhere in a segment, 0.5 s to 2 segments after the restart;
#   boundary  within -0.3 .. +1.5 s of a segment boundary (the time the
#             open segment started, from `status --json`, plus
#             segment_seconds), where one file is finished and the next
#             opened;
#   pause     0.2 .. 3 s into a pause (`courtrec pause`), resumed after the
#             restart;
#   restart   0 .. 1.5 s into the first segment after a restart;
#   resume    0 .. 1.5 s after a `courtrec resume`.
# After each kill, before any restart, every file written since the last
# restart is judged as the crash left it:
#   errors    `ffmpeg -v error -i F -map 0 -f null -` (every stream decoded)
#             printed anything;
#   loss      the instant recording should have reached (the kill, or the
#             pause for a kill in a pause) minus the end of the last
#             decodable picture (the file's DateUTC, as ffprobe reads it,
#             plus the end of its last video packet) and of the last sound
#             of the mix (same, audio stream 0); after a resume, what was
#             not recorded counts from the instant `courtrec resume`
#             returned, not from the pause.
#
# Environment: CRASH_KILLS (20), CRASH_SEGMENT_SECONDS (10), CRASH_SEED
# (the PID), CRASH_ROOM (small: one 320x180 test camera and two test
# microphones, tracks = mix+each; reference: config/courtrec.conf.example's
# room, 1280x720 with three cameras and two microphones).
#
# Prints one row per kill and a summary line; exits 1 if a kill lost more
# than one second or a file did not decode, so it can gate a change; the
# raw rows go to bench/out/crash-STAMP.txt.
#
# Starts only its own processes and stops them by PID; removes its temp dir.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
KILLS=${CRASH_KILLS:-20}
SEG=${CRASH_SEGMENT_SECONDS:-10}
SEED=${CRASH_SEED:-$$}
ROOM=${CRASH_ROOM:-small}
CASE='（2026）浙1022民初123号'
OUT=bench/out
STAMP=$(date -u +%Y%m%dT%H%M%SZ)

die () { echo "crash: FAILED: $*" >&2; exit 1; }
note () { echo "crash: $*" >&2; }

for n in "$KILLS" "$SEG" "$SEED"; do
  case $n in ''|*[!0-9]*) die "CRASH_KILLS, CRASH_SEGMENT_SECONDS and CRASH_SEED take whole numbers" ;; esac
done
[ "$KILLS" -ge 1 ] && [ "$SEG" -ge 4 ] || die "need CRASH_KILLS >= 1 and CRASH_SEGMENT_SECONDS >= 4"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first"
for tool in ffmpeg ffprobe awk python3 date; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/courtrec-crash.XXXXXX")
PID=

cleanup () {
  if [ -n "$PID" ]; then kill -KILL "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
RAW=$OUT/crash-$STAMP.txt
LOG=$OUT/crash-$STAMP.log
: > "$LOG"
STORE=$TMP/store
CONF=$TMP/courtrec.conf
PORT=$((20000 + $$ % 20000))
while [ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; do PORT=$((PORT + 1)); done

case $ROOM in
  small)
    cat > "$CONF" <<EOF
[room]
id = crash-room
name = 第一法庭
court = 浙江省三门县人民法院

[storage]
dir = $STORE
segment_seconds = $SEG

[video]
width = 320
height = 180
framerate = 25
bitrate_kbps = 500

[audio]
bitrate_kbps = 96
tracks = mix+each

[camera judge]
source = test
label = 审判长

[microphone judge]
source = test
label = 审判长

[microphone witness]
source = test
label = 证人

[api]
listen = 127.0.0.1:$PORT
token_file = $TMP/api-token
EOF
    ;;
  reference)
    sed -e "s|^dir = .*|dir = $STORE|" \
        -e "s|^token_file = .*|token_file = $TMP/api-token|" \
        -e "s|^key_file = .*|key_file = $TMP/device-key|" \
        -e "s|^listen = 127.0.0.1:8780|listen = 127.0.0.1:$PORT|" \
        -e "s|^listen = 127.0.0.1:8781|listen = 127.0.0.1:$((PORT + 1))|" \
        -e "s|^segment_seconds = .*|segment_seconds = $SEG|" \
        config/courtrec.conf.example > "$CONF" ;;
  *) die "CRASH_ROOM is small or reference, not '$ROOM'" ;;
esac
"$B/courtrecd" -c "$CONF" --check-config >/dev/null || die "the bench config $CONF is not valid"

now () { date +%s.%N; }
client () { "$B/courtrec" -c "$CONF" "$@" >>"$LOG" 2>&1; }

# A pseudo-random number in [$1, $2), from the seed and the kill's number.
uniform () {
  awk -v lo="$1" -v hi="$2" -v s="$SEED" -v k="$3" 'BEGIN { srand(s * 1000 + k); print lo + rand() * (hi - lo) }'
}

start_daemon () {
  "$B/courtrecd" -c "$CONF" >>"$LOG" 2>&1 &
  PID=$!
  i=0
  until "$B/courtrec" -c "$CONF" status >/dev/null 2>&1; do
    kill -0 "$PID" 2>/dev/null || die "courtrecd exited at start-up; see $LOG"
    i=$((i + 1)); [ "$i" -lt 300 ] || die "courtrecd's API did not answer in 30 s; see $LOG"
    sleep 0.1
  done
}

# "STATE SEGMENT_START_EPOCH" from status --json ("- -" when not known).
status_line () {
  "$B/courtrec" -c "$CONF" status --json 2>/dev/null | python3 -c '
import json, sys, datetime
try:
    s = json.load(sys.stdin)
except ValueError:
    print("- -"); sys.exit()
state = (s.get("session") or {}).get("state") or "-"
seg = s.get("segment") or {}
t = seg.get("started")
if t:
    t = datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
print(state, t if t else "-")'
}

# Waits until the session records into a segment; prints its start (epoch).
wait_recording () {
  i=0
  while :; do
    set -- $(status_line)
    [ "$1" = recording ] && [ "$2" != - ] && { echo "$2"; return; }
    i=$((i + 1)); [ "$i" -lt 150 ] || die "not recording into a segment 15 s after a (re)start; see $LOG"
    sleep 0.1
  done
}

sleep_until () {  # EPOCH
  d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; print (d > 0 ? d : 0) }')
  sleep "$d"
}

# End (epoch) of the last packet of stream type $2 (video|audio, the first
# of that type) in file $1, or 0.
media_end () {
  created=$(ffprobe -v error -show_entries format_tags=creation_time -of csv=p=0 "$1" 2>/dev/null) || true
  [ -n "$created" ] || { echo 0; return; }
  base=$(date -d "$created" +%s.%N)
  sel=v:0; [ "$2" = audio ] && sel=a:0
  ffprobe -v error -select_streams "$sel" -show_entries packet=pts_time,duration_time \
          -of csv=p=0 "$1" 2>/dev/null |
    awk -F, -v base="$base" '$1 != "N/A" { e = $1 + ($2 == "N/A" ? 0 : $2); if (e > hi) hi = e; n++ }
                             END { printf "%.3f\n", n ? base + hi : 0 }'
}

# Judges the files written since marker $1 against the instant $2, for
# media that should have been recorded since $3 (a resume); prints
# "VIDEO_LOSS AUDIO_LOSS FILES ERRORS".
judge () {
  vend=0; aend=0; files=0; errors=0
  for f in $(find "$STORE/recordings" -name '*.mkv' -newer "$1" | sort); do
    files=$((files + 1))
    if [ -n "$(ffmpeg -nostdin -v error -i "$f" -map 0 -f null - 2>&1 | head -5 | tee -a "$LOG")" ]; then
      errors=$((errors + 1)); echo "crash: errors in $f" >>"$LOG"
    fi
    v=$(media_end "$f" video); a=$(media_end "$f" audio)
    vend=$(awk -v x="$vend" -v y="$v" 'BEGIN { print (y > x ? y : x) }')
    aend=$(awk -v x="$aend" -v y="$a" 'BEGIN { print (y > x ? y : x) }')
  done
  awk -v t="$2" -v s="$3" -v v="$vend" -v a="$aend" -v f="$files" -v e="$errors" \
      'BEGIN { if (v < s) v = s; if (a < s) a = s
               printf "%.3f %.3f %d %d\n", t - v, t - a, f, e }'
}

start_daemon
client start --case "$CASE" || die "courtrec start failed; see $LOG"
seg_start=$(wait_recording)
marker=$TMP/marker; touch -d "@$(awk -v t="$seg_start" 'BEGIN { print int(t) - 1 }')" "$marker"
restarted=$(now)

printf '%-4s %-9s %9s %9s %6s %7s\n' kill kind video_s audio_s files errors | tee "$RAW"
worst=0; bad=0
k=1
while [ "$k" -le "$KILLS" ]; do
  expected=; since=0
  case $((k % 5)) in
    1) kind=random
       sleep_until "$(awk -v r="$restarted" -v u="$(uniform 0.5 $((2 * SEG)) "$k")" 'BEGIN { printf "%.6f\n", r + u }')" ;;
    2) kind=boundary
       set -- $(status_line)
       at=$(awk -v s="$2" -v seg="$SEG" -v u="$(uniform -0.3 1.5 "$k")" -v n="$(now)" \
              'BEGIN { b = s + seg; while (b + u < n + 0.2) b += seg; printf "%.6f\n", b + u }')
       sleep_until "$at" ;;
    3) kind=pause
       sleep 1
       expected=$(now)
       client pause --reason recess || die "courtrec pause failed; see $LOG"
       sleep "$(uniform 0.2 3 "$k")" ;;
    4) kind=restart
       sleep_until "$(awk -v s="$seg_start" -v u="$(uniform 0 1.5 "$k")" 'BEGIN { printf "%.6f\n", s + u }')" ;;
    0) kind=resume
       client pause --reason recess || die "courtrec pause failed; see $LOG"
       sleep 1
       client resume || die "courtrec resume failed; see $LOG"
       since=$(now)
       sleep "$(uniform 0 1.5 "$k")" ;;
  esac
  killed=$(now)
  echo "crash: kill $k ($kind) at $killed" >>"$LOG"
  kill -KILL "$PID"; wait "$PID" 2>/dev/null || true; PID=
  [ -n "$expected" ] || expected=$killed
  set -- $(judge "$marker" "$expected" "$since")
  printf '%-4s %-9s %9s %9s %6s %7s\n' "$k" "$kind" "$1" "$2" "$3" "$4" | tee -a "$RAW"
  worst=$(awk -v w="$worst" -v v="$1" -v a="$2" 'BEGIN { m = (v > a ? v : a); print (m > w ? m : w) }')
  if awk -v v="$1" -v a="$2" 'BEGIN { exit !(v > 1.0 || a > 1.0) }' || [ "$4" != 0 ]; then
    bad=$((bad + 1))
  fi

  touch "$marker"
  start_daemon
  [ "$kind" != pause ] || client resume || die "courtrec resume after the restart failed; see $LOG"
  seg_start=$(wait_recording)
  restarted=$(now)
  k=$((k + 1))
done

sleep 1
client stop || die "courtrec stop failed; see $LOG"
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=
final_errors=0
for f in $(find "$STORE/recordings" -name '*.mkv' | sort); do
  [ -z "$(ffmpeg -nostdin -v error -i "$f" -map 0 -f null - 2>&1 | head -1)" ] ||
    final_errors=$((final_errors + 1))
done
echo "crash: $KILLS kills (seed $SEED, room $ROOM, ${SEG} s segments): worst loss ${worst} s; $bad over 1 s or undecodable; $final_errors of $(find "$STORE/recordings" -name '*.mkv' | wc -l) files with errors after the stop" | tee -a "$RAW"
[ "$bad" = 0 ] && [ "$final_errors" = 0 ]
