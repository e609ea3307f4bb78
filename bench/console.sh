#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/console.sh [BUILD_DIR]: what an open operator console costs the
# recording.
#
#   sh bench/console.sh build
#   BENCH_ROUNDS=4 BENCH_SECONDS=30 sh bench/console.sh build
#
# Issue 11: "The console and metrics must cost the recording little:
# measure the recording's CPU with the console open and a scrape every 5 s
# against without, in the same run." One courtrecd records issue 3's
# reference courtroom (bench/room-lib.sh: four test cameras composed into
# 1280x720 at 25 fps, H.264 2000 kbit/s; four test microphones, tracks =
# mix+each) for the whole bench, and its CPU (utime+stime of the process,
# all threads, /proc/PID/stat) is read over windows of BENCH_SECONDS (20)
# of two kinds, interleaved:
#
#   closed  nobody looks: no event stream, no preview asked for in the
#           last 12 s (the previews' branches shut after 10 s)
#   open    what a console asks for: the event stream (GET /api/v1/live,
#           read as it comes), the five previews (composed and each
#           camera, GET /api/v1/preview/NAME.jpg each asked for again once
#           the last came, twice a second at most) and GET /api/v1/status
#           every 5 s (the scrape). The client (bench/console-client.py)
#           is started 3 s before the window, so that the previews are
#           open when it begins.
#
# Each round measures one window of each kind, in an order that alternates
# from round to round (closed-open, open-closed, ...), so that a drift of
# the machine's load falls on both alike; the ratio open / closed is
# taken per round. The client's own CPU is not courtrecd's and is not
# counted (a browser's would not be either). A window of the open kind
# counts only if the client got at least 9 level frames a second and 90 %
# of the previews it could have; the bench fails (exit 1) otherwise, and if
# the recording lost a frame (ffprobe: video frames against the files'
# length, and no gap event in the ledger). Default: BENCH_ROUNDS (3),
# about 4 minutes.
#
# Writes bench/out/console-STAMP/ (raw.txt, client-*.json, summary.txt,
# courtrecd.log) and prints the summary.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
ROUNDS=${BENCH_ROUNDS:-3}
W=${BENCH_SECONDS:-20}
WARM=${BENCH_WARMUP:-5}
IDLE=12
CASE='(2026)浙1022刑初1号'
OUT=bench/out

BENCH_NAME=console
. bench/stream-lib.sh
. bench/room-lib.sh

for n in "$ROUNDS" "$W" "$WARM"; do
  case $n in ''|*[!0-9]*) die "BENCH_ROUNDS, BENCH_SECONDS and BENCH_WARMUP take whole numbers" ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$W" -ge 5 ] || die "need BENCH_ROUNDS >= 1 and BENCH_SECONDS >= 5"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first"
for tool in python3 ffprobe sqlite3 awk sed; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

bench_begin

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$OUT/console-$STAMP
mkdir -p "$RES" "$TMP/room/store"
{
  echo "# courtrec console cost $STAMP: $(nproc) CPU(s); rounds=$ROUNDS seconds=$W warmup=$WARM build=$B"
  echo "# courtrecd: $(sha256sum "$B/courtrecd" | cut -c1-16); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo +uncommitted); $(gst-launch-1.0 --version | sed -n 2p)"
} > "$RES/info.txt"

PORT=$(free_port)
CONF=$TMP/room/courtrec.conf
reference_room config/courtrec.conf.example |
  sed -e "s|^dir = .*|dir = $TMP/room/store|" \
      -e "s|^key_file = .*|key_file = $TMP/room/device-key|" \
      -e "s|^listen = 127.0.0.1:8780|listen = 127.0.0.1:$PORT|" \
      -e "s|^token_file = .*|token_file = $TMP/room/api-token|" > "$CONF"
"$B/courtrecd" -c "$CONF" --check-config >/dev/null || die "the room $CONF is not valid"
courtrecd_up "$CONF" "$RES/courtrecd.log"
"$B/courtrec" -c "$CONF" start --case "$CASE" >>"$RES/courtrecd.log" 2>&1 || die "courtrec start failed"
sleep "$WARM"

measure () {  # -> "TICKS NS LOAD1"
  load=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(cpu_ticks "$COURTRECD"); t0=$(now_ns)
  sleep "$W"
  c1=$(cpu_ticks "$COURTRECD"); t1=$(now_ns)
  echo "$((c1 - c0)) $((t1 - t0)) $load"
}

window () {  # ROUND KIND
  if [ "$2" = open ]; then
    python3 bench/console-client.py "$PORT" "$TMP/room/api-token" "$RES/client-$1.json" &
    client=$!; PIDS="$PIDS $client"
    sleep 3
    m=$(measure)
    stop_pid "$client" TERM 5
    python3 - "$RES/client-$1.json" "$W" <<'EOF' || die "round $1: the console client got too little; see $RES/client-$1.json"
import json, sys
c = json.load(open(sys.argv[1])); w = float(sys.argv[2])
# Over the client's whole life (the window and the 3 s before it).
secs = c["seconds"]
ok = c["levels"] >= 9 * secs and c["previews"] >= 0.9 * 2 * c["pictures"] * secs and c["status"] >= 1
print("client: %(levels)d level frames, %(previews)d previews of %(pictures)d pictures, %(refused)d refused, %(status)d status in %(seconds).1f s" % c, file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
    LAST_OPEN=$(date +%s)
  else
    # The previews shut 10 s after the last request.
    while [ $(( $(date +%s) - ${LAST_OPEN:-0} )) -lt "$IDLE" ]; do sleep 1; done
    m=$(measure)
  fi
  echo "$1 $2 $m" >> "$RES/raw.txt"
  note "round $1 $2: $m"
}

: > "$RES/raw.txt"
r=1
while [ "$r" -le "$ROUNDS" ]; do
  if [ $((r % 2)) -eq 1 ]; then window "$r" closed; window "$r" open
  else window "$r" open; window "$r" closed; fi
  r=$((r + 1))
done

"$B/courtrec" -c "$CONF" status --json > "$RES/status-end.json" 2>>"$RES/courtrecd.log" || die "status failed"
SESSION=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"]["id"])' "$RES/status-end.json")
"$B/courtrec" -c "$CONF" stop >>"$RES/courtrecd.log" 2>&1 || die "courtrec stop failed"
sleep 3
stop_pid "$COURTRECD" TERM 20

# The recording lost no frame: video frames against the files' length.
frames=0; duration=0
for f in $(sqlite3 -readonly "$TMP/room/store/index.db" "SELECT path FROM segments WHERE session_id = $SESSION ORDER BY sequence"); do
  p=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames:format=duration -of default=nw=1:nk=1 "$TMP/room/store/$f" | tr '\n' ' ')
  frames=$(echo "$frames ${p%% *}" | awk '{ print $1 + $2 }')
  duration=$(echo "$duration ${p#* }" | awk '{ print $1 + $2 }')
done
gaps=$(sqlite3 -readonly "$TMP/room/store/index.db" "SELECT count(*) FROM events WHERE session_id = $SESSION AND kind = 'gap'")
echo "recording: $frames video frames in $duration s, $gaps gap event(s)" > "$RES/recording.txt"
awk -v f="$frames" -v d="$duration" 'BEGIN { e = f / 25 - d; exit (e < -0.1 || e > 0.1) }' ||
  die "the recording lost frames: $(cat "$RES/recording.txt")"
[ "$gaps" -eq 0 ] || die "the recording has gaps: $(cat "$RES/recording.txt")"

HZ=$(getconf CLK_TCK)
awk -v hz="$HZ" '
  { cpu = $3 / hz / ($4 / 1e9) * 100; v[$1, $2] = cpu; rounds[$1] = 1
    sum[$2] += cpu; n[$2]++ }
  END {
    printf "courtrecd CPU, %% of one core (mean of %d rounds):\n", n["closed"]
    printf "  console closed  %6.1f %%\n", sum["closed"] / n["closed"]
    printf "  console open    %6.1f %%\n", sum["open"] / n["open"]
    printf "per round, open / closed:"
    for (r in rounds) { ratio = v[r, "open"] / v[r, "closed"]; printf " %.3f", ratio; rs += ratio; k++ }
    printf "\nmean ratio %.3f (+%.1f %%)\n", rs / k, (rs / k - 1) * 100
  }' "$RES/raw.txt" > "$RES/summary.txt"
cat "$RES/recording.txt" >> "$RES/summary.txt"
cat "$RES/summary.txt"
echo "results in $RES"
