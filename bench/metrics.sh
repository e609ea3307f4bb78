#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/metrics.sh [BUILD_DIR]: what Prometheus scraping /metrics costs the
# recording.
#
#   sh bench/metrics.sh build
#   BENCH_ROUNDS=4 BENCH_SECONDS=60 sh bench/metrics.sh build
#
# Issue 11: "measure the recording's CPU with a scrape every 5 s against
# without, in the same run." One courtrecd records issue 3's reference
# courtroom (four test cameras composed into 1280x720 at 25 fps, H.264
# 2000 kbit/s; four test microphones, tracks = mix+each; segment_seconds =
# 600, so no file closes inside a window) for the whole bench, and its CPU
# (utime+stime of every thread, /proc/PID/stat) is read over windows of
# BENCH_SECONDS (30) of wall time, after BENCH_WARMUP (10) seconds:
#
#   off   nothing scrapes
#   on    curl GETs /metrics with the token every BENCH_INTERVAL (5) s,
#         as a Prometheus would (a new connection each time)
#
# Each round runs one of each, the order swapped from round to round (off
# on, on off, ...), so that a drift of the machine's load weighs on both.
# The figure is the ratio on / off of each round and its median. Since a
# few scrapes in a window cost less than the noise of a shared machine,
# the cost of one scrape is measured too, in the same process: a burst of
# BENCH_BURST (500) scrapes back to back, the CPU of courtrecd's main
# thread (where the HTTP listeners and /metrics run; the media threads'
# CPU is the noise) less what that thread took in the same time of the off
# windows; that CPU per scrape over the interval is the share of a core
# scraping costs.
#
# The recording must go on: the bench fails (exit 1) unless courtrecd is
# recording at the end, every scrape was answered 200, and the log shows
# no gap or input lost. Exits 0 otherwise, whatever the figures.
#
# Writes bench/out/metrics-STAMP/ (raw.txt, scrapes-*.txt, the log,
# summary.txt). Starts only its own courtrecd, on a free port and a temp
# dir of its own, and stops it by PID.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
ROUNDS=${BENCH_ROUNDS:-3}
W=${BENCH_SECONDS:-30}
WARM=${BENCH_WARMUP:-10}
INTERVAL=${BENCH_INTERVAL:-5}
BURST=${BENCH_BURST:-500}
CASE='（2026）浙1022民初123号'
EXAMPLE=config/courtrec.conf.example
OUT=bench/out
HZ=$(getconf CLK_TCK)

BENCH_NAME=metrics
. bench/stream-lib.sh
. bench/room-lib.sh

for n in "$ROUNDS" "$W" "$WARM" "$INTERVAL" "$BURST"; do
  case $n in ''|*[!0-9]*) die "BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP, BENCH_INTERVAL and BENCH_BURST take whole numbers" ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$W" -ge 10 ] && [ "$INTERVAL" -ge 1 ] && [ "$BURST" -ge 10 ] ||
  die "need BENCH_ROUNDS >= 1, BENCH_SECONDS >= 10, BENCH_INTERVAL >= 1 and BENCH_BURST >= 10"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first"
for tool in curl awk sed python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

bench_begin

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$OUT/metrics-$STAMP
mkdir -p "$RES"
{
  echo "# courtrec metrics bench $STAMP: $(nproc) CPU(s); rounds=$ROUNDS seconds=$W warmup=$WARM interval=$INTERVAL burst=$BURST build=$B"
  echo "# courtrecd: $(sha256sum "$B/courtrecd" | cut -c1-16); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo +uncommitted); load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/raw.txt"

# --- the room ---------------------------------------------------------------
PORT=$(free_port)
mkdir -p "$TMP/store"
reference_room "$EXAMPLE" |
  sed -e "s|^dir = .*|dir = $TMP/store|" \
      -e "s|^key_file = .*|key_file = $TMP/device-key|" \
      -e "s|^segment_seconds = .*|segment_seconds = 600|" \
      -e "s|^listen = .*|listen = 127.0.0.1:$PORT|" \
      -e "s|^token_file = .*|token_file = $TMP/api-token|" > "$TMP/room.conf"
"$B/courtrecd" -c "$TMP/room.conf" --check-config >/dev/null || die "the bench config $TMP/room.conf is not valid"
LOG=$RES/courtrecd.log
courtrecd_up "$TMP/room.conf" "$LOG"
"$B/courtrec" -c "$TMP/room.conf" start --case "$CASE" >/dev/null || die "start failed; see $LOG"
# The token in a header file, not on a command line others can read.
umask 077
printf 'Authorization: Bearer %s\n' "$(cat "$TMP/api-token")" > "$TMP/auth-header"
URL=http://127.0.0.1:$PORT/metrics

# One scrape: "SECONDS BYTES STATUS" on stdout.
scrape () {
  curl -s -o /dev/null -H @"$TMP/auth-header" -w '%{time_total} %{size_download} %{http_code}\n' "$URL"
}

# The main thread's ticks (its task id is the PID).
main_ticks () { sed 's/.*) //' "/proc/$1/task/$1/stat" | awk '{ print $12 + $13 }'; }

# A window of $W seconds; with "on", a scrape every $INTERVAL s. Prints
# "TICKS WALL_NS MAIN_TICKS".
window () {  # on|off SCRAPE_LOG
  t0=$(now_ns); c0=$(cpu_ticks "$COURTRECD"); m0=$(main_ticks "$COURTRECD")
  if [ "$1" = on ]; then
    end=$((t0 + W * 1000000000))
    next=$t0
    while [ "$next" -lt "$end" ]; do
      scrape >> "$2"
      next=$((next + INTERVAL * 1000000000))
      left=$((next - $(now_ns)))
      [ "$next" -ge "$end" ] && left=$((end - $(now_ns)))
      [ "$left" -gt 0 ] && sleep "$(awk "BEGIN { print $left / 1e9 }")"
    done
  else
    sleep "$W"
  fi
  c1=$(cpu_ticks "$COURTRECD"); m1=$(main_ticks "$COURTRECD"); t1=$(now_ns)
  echo "$((c1 - c0)) $((t1 - t0)) $((m1 - m0))"
}

note "warming up ${WARM} s (courtrecd PID $COURTRECD, port $PORT)"
sleep "$WARM"
echo "# round phase ticks wall_ns cpu_s_per_s scrapes main_ticks" >> "$RES/raw.txt"
r=1
while [ "$r" -le "$ROUNDS" ]; do
  if [ $((r % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
  for phase in $order; do
    : > "$RES/scrapes-$r-$phase.txt"
    set -- $(window "$phase" "$RES/scrapes-$r-$phase.txt")
    n=$(wc -l < "$RES/scrapes-$r-$phase.txt")
    rate=$(awk "BEGIN { printf \"%.4f\", $1 / $HZ / ($2 / 1e9) }")
    echo "$r $phase $1 $2 $rate $n $3" >> "$RES/raw.txt"
    note "round $r $phase: $rate CPU s per s, $n scrapes"
  done
  r=$((r + 1))
done

# The burst: the CPU of $BURST scrapes beyond the recording's own.
: > "$RES/scrapes-burst.txt"
t0=$(now_ns); c0=$(cpu_ticks "$COURTRECD"); m0=$(main_ticks "$COURTRECD")
i=0
while [ "$i" -lt "$BURST" ]; do scrape >> "$RES/scrapes-burst.txt"; i=$((i + 1)); done
c1=$(cpu_ticks "$COURTRECD"); m1=$(main_ticks "$COURTRECD"); t1=$(now_ns)
echo "burst - $((c1 - c0)) $((t1 - t0)) - $BURST $((m1 - m0))" >> "$RES/raw.txt"

# --- checks -------------------------------------------------------------------
status=$("$B/courtrec" -c "$TMP/room.conf" status --json) || die "status failed at the end; see $LOG"
echo "$status" | grep -q '"state" *: *"recording"' || die "courtrecd is not recording at the end; see $LOG"
bad=$(cat "$RES"/scrapes-*.txt | awk '$3 != 200' | wc -l)
[ "$bad" -eq 0 ] || die "$bad scrape(s) not answered 200; see $RES/scrapes-*.txt"
if grep -Eq 'gap|[Ll]ost' "$LOG"; then die "the log shows a gap or an input lost; see $LOG"; fi
"$B/courtrec" -c "$TMP/room.conf" stop >/dev/null || die "stop failed; see $LOG"
stop_pid "$COURTRECD" TERM 10

# --- summary -------------------------------------------------------------------
awk -v hz="$HZ" -v interval="$INTERVAL" '
  $1 ~ /^[0-9]+$/ { rate[$1, $2] = $5; if ($1 > rounds) rounds = $1; if ($2 == "off") { ot += $3; ow += $4; om += $7 } }
  $1 == "burst" { bt = $3; bw = $4; bn = $6; bm = $7 }
  END {
    printf "| round | off: CPU s / s | on: CPU s / s | on / off |\n|--:|--:|--:|--:|\n"
    for (r = 1; r <= rounds; r++) {
      q[r] = rate[r, "on"] / rate[r, "off"]
      printf "| %d | %.4f | %.4f | %.4f |\n", r, rate[r, "off"], rate[r, "on"], q[r]
    }
    for (i = 2; i <= rounds; i++) for (j = i; j > 1 && q[j-1] > q[j]; j--) { t = q[j]; q[j] = q[j-1]; q[j-1] = t }
    m = rounds % 2 ? q[(rounds + 1) / 2] : (q[rounds / 2] + q[rounds / 2 + 1]) / 2
    printf "\nmedian on / off: %.4f\n", m
    base = ot / hz / (ow / 1e9)
    mainbase = om / hz / (ow / 1e9)
    per = (bm / hz - mainbase * bw / 1e9) / bn
    printf "burst: %d scrapes in %.2f s; courtrecd %.3f CPU s (recording alone %.4f CPU s per s), its main thread %.3f CPU s (alone %.4f CPU s per s)\n", bn, bw / 1e9, bt / hz, base, bm / hz, mainbase
    printf "CPU per scrape: %.3f ms; at one scrape per %d s: %.5f of a core, %.3f%% of the recording\n",
           per * 1000, interval, per / interval, 100 * per / interval / base
  }' "$RES/raw.txt" > "$RES/summary.txt"
awk '{ t += $1; b = $2 } END { printf "scrape: %.2f ms mean over %d, %d bytes\n", 1000 * t / NR, NR, b }' \
  "$RES"/scrapes-burst.txt >> "$RES/summary.txt"
cat "$RES/summary.txt"
ln -sfn "metrics-$STAMP" "$OUT/metrics-latest"
