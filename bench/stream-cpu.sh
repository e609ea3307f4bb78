#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/stream-cpu.sh [BUILD_DIR]: CPU cost of each added live destination.
#
#   sh bench/stream-cpu.sh build
#   BENCH_ROUNDS=4 BENCH_SECONDS=30 sh bench/stream-cpu.sh build
#
# Issue 5, item 8: "CPU cost of each added destination, sharing the encoder
# and with its own." Measures CPU seconds per media second of courtrecd
# recording issue 3's reference courtroom (four test cameras composed
# into 1280x720 at 25 fps, H.264 2000 kbit/s; four test microphones,
# tracks = mix+each; segment_seconds = 600, so no segment closes inside a
# window), the case approved for broadcast, in five configurations:
#
#   d0   no destination, [live] hls = false       (the baseline)
#   d1   1 RTMP destination to a local nginx-rtmp, hls = false
#   d2   2 destinations (same nginx, different keys)
#   d3   3 destinations
#   hls  no RTMP destination, hls = true
#   own  1 destination with a picture of its own (height = 480,
#        video_bitrate_kbps = 1200: its own encoder fed from the composed
#        picture), hls = false
#
# d1..d3 share the capture's single H.264/AAC encode; "own" has an encoder
# of its own at 854x480. What a destination with its own encoder at the
# recording's full size would cost is measured as a reference, in the same
# rounds:
#
#   enc  gst-launch-1.0: four 640x360 ball videotestsrcs composed 2x2 into
#        1280x720 at 25 fps with a clockoverlay (the room's picture, less
#        the caption and labels) and a 48 kHz stereo audiotestsrc, each
#        teed to a fakesink and, through a queue named enc / aenc, to
#        x264enc tune=zerolatency speed-preset=veryfast bitrate=2000
#        key-int-max=25 / avenc_aac bitrate=128000 (the capture's
#        settings) and a fakesink. The encoders' CPU is read per thread:
#        every thread named enc:src (x264enc and the slice threads it
#        starts inherit the name) and aenc:src.
#
# CPU is utime+stime of the process (all threads) from /proc/PID/stat over
# BENCH_SECONDS (20) of wall time after BENCH_WARMUP (5) seconds of
# recording, as bench/run.sh; media seconds = wall seconds (live sources).
# nginx's CPU over the same window is read too (it is a process of its
# own, not in courtrecd's figure). Each round runs every configuration
# once, one at a time, in an order rotated from round to round, and the
# per-destination cost is taken against the same round's d0: (dN - d0) / N,
# and, since the first output also starts the broadcast slate's encoder
# (streaming/slate.h; it runs while any output does), the first
# destination (d1 - d0) and each further one ((d3 - d1) / 2) apart. Per-thread
# CPU (/proc/PID/task/*/stat, summed by thread name) is kept for every
# run, to show where the cost goes. (GStreamer numbers elements per
# process: with the slate's videotestsrc, a camera's thread moves from
# videotestsrc0:s to videotestsrc4:s; the two lines cancel out.)
#
# A run counts only if courtrecd is recording and every stream (and the
# HLS output) is "live" at the end of the window, with at least 100 kbit/s
# sent by each destination over the window, no reconnects and no
# dropped frames; else the bench fails (exit 1). Exits 0 otherwise,
# whatever the figures. Default: BENCH_ROUNDS (2), about 5.5 minutes.
#
# Writes bench/out/stream-cpu-STAMP/ (raw.txt, threads-*.txt, logs,
# summary.txt); bench/out/stream-cpu-latest points to it. Starts only its
# own nginx, courtrecd and gst-launch, on free ports and a temp dir of its
# own, and stops them by PID.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
ROUNDS=${BENCH_ROUNDS:-2}
W=${BENCH_SECONDS:-20}
WARM=${BENCH_WARMUP:-5}
CASE='(2026)浙1022刑初1号'
OUT=bench/out
CONFIGS="d0 d1 d2 d3 hls own enc"

BENCH_NAME=stream-cpu
. bench/stream-lib.sh

for n in "$ROUNDS" "$W" "$WARM"; do
  case $n in ''|*[!0-9]*) die "BENCH_ROUNDS, BENCH_SECONDS and BENCH_WARMUP take whole numbers" ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$W" -ge 5 ] || die "need BENCH_ROUNDS >= 1 and BENCH_SECONDS >= 5"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first"
for tool in nginx python3 gst-launch-1.0 awk sed; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
[ -f "$RTMP_MODULE" ] || die "$RTMP_MODULE not found (apt-get install libnginx-mod-rtmp)"

bench_begin

# "TID TICKS NAME" for every thread of PID $1.
thread_ticks () {
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "${t##*/}" "$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{ print $12 + $13 }')" \
      "$(tr ' ' '_' < "$t/comm" 2>/dev/null)"
  done 2>/dev/null
}

mkdir -p "$TMP/bin"
cp "$B/courtrecd" "$B/courtrec" "$TMP/bin/"
BUILD=$B; B=$TMP/bin

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$OUT/stream-cpu-$STAMP
mkdir -p "$RES"
{
  echo "# courtrec stream CPU $STAMP: $(nproc) CPU(s); rounds=$ROUNDS seconds=$W warmup=$WARM build=$BUILD"
  echo "# courtrecd: $(sha256sum "$B/courtrecd" | cut -c1-16) built $(date -u -r "$BUILD/courtrecd" +%Y-%m-%dT%H:%M:%SZ); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo +uncommitted); $(gst-launch-1.0 --version | sed -n 2p); $(nginx -v 2>&1)"
} > "$RES/info.txt"

# --- nginx --------------------------------------------------------------------
start_nginx "$RES/nginx.log"

# --- the room -------------------------------------------------------------------
make_room () {  # DIR DESTINATIONS HLS [STREAM_EXTRA: lines for the first stream]
  mkdir -p "$1/store"
  {
    cat <<EOF
[room]
id = streamcpu
name = 第一法庭
court = 浙江省三门县人民法院

[storage]
dir = $1/store
segment_seconds = 600
key_file = $1/device-key

[video]
width = 1280
height = 720
framerate = 25
bitrate_kbps = 2000
layout = grid

[audio]
bitrate_kbps = 128
tracks = mix+each

EOF
    for who in judge:审判长 plaintiff:原告 defendant:被告 witness:证人; do
      printf '[camera %s]\nsource = test\nlabel = %s\n\n' "${who%%:*}" "${who#*:}"
    done
    for who in judge:审判长 plaintiff:原告 defendant:被告 witness:证人; do
      printf '[microphone %s]\nsource = test\nlabel = %s\n\n' "${who%%:*}" "${who#*:}"
    done
    printf '[live]\nhls = %s\n\n' "$3"
    n=1
    while [ "$n" -le "$2" ]; do
      echo "key$n-$(basename "$1")" > "$1/stream$n.key"
      printf '[stream portal%d]\nurl = rtmp://127.0.0.1:%s/live\nkey_file = %s\ndelay_seconds = 0\nautostart = true\n' \
        "$n" "$NPORT" "$1/stream$n.key"
      [ "$n" -eq 1 ] && [ -n "${4:-}" ] && printf '%s\n' "$4"
      echo
      n=$((n + 1))
    done
    printf '[api]\nlisten = 127.0.0.1:%s\ntoken_file = %s\n' "$(free_port)" "$1/api-token"
  } > "$1/courtrec.conf"
  "$B/courtrecd" -c "$1/courtrec.conf" --check-config >/dev/null || die "the room $1/courtrec.conf is not valid"
}

# Streams' bytes sent, summed, and a verdict line; from status --json.
stream_check () {  # STATUS_JSON EXPECTED_OUTPUTS
  python3 - "$1" "$2" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
streams = st.get("streams", [])
bad = []
if st.get("state") != "recording":
    bad.append("state %s" % st.get("state"))
if len(streams) != int(sys.argv[2]):
    bad.append("%d outputs, expected %s" % (len(streams), sys.argv[2]))
for s in streams:
    if s.get("state") != "live" or s.get("reconnects", 0) or s.get("dropped_video", 0) or s.get("dropped_audio", 0):
        bad.append("%s: state %s, reconnects %s, dropped %s/%s" % (s.get("name"), s.get("state"), s.get("reconnects"), s.get("dropped_video"), s.get("dropped_audio")))
print(" ".join(str(s.get("bytes_sent", -1) or 0) for s in streams if s.get("kind") != "hls") or "-", "|", "; ".join(bad) or "ok")
EOF
}

measure () {  # PID ROUND CONFIG -> "TICKS NS NGINX_TICKS LOAD1"
  load=$(cut -d' ' -f1 /proc/loadavg)
  thread_ticks "$1" > "$TMP/threads0"
  c0=$(cpu_ticks "$1"); n0=$(cpu_ticks "$NGINX"); t0=$(now_ns)
  sleep "$W"
  c1=$(cpu_ticks "$1"); n1=$(cpu_ticks "$NGINX"); t1=$(now_ns)
  thread_ticks "$1" > "$TMP/threads1"
  # Per thread name: ticks in the window (threads by TID; new ones from 0).
  awk 'NR == FNR { a[$1] = $2; next } { d = $2 - ($1 in a ? a[$1] : 0); s[$3] += d; k[$3]++ }
       END { for (n in s) printf "%s %d %d\n", n, s[n], k[n] }' "$TMP/threads0" "$TMP/threads1" |
    sort -k2,2nr > "$RES/threads-$2-$3.txt"
  echo "$((c1 - c0)) $((t1 - t0)) $((n1 - n0)) $load"
}

run_courtrecd () {  # ROUND CONFIG
  case $2 in
    d*) dests=${2#d}; hls=false; outputs=$dests; own= ;;
    hls) dests=0; hls=true; outputs=1; own= ;;
    own) dests=1; hls=false; outputs=1; own="height = 480
video_bitrate_kbps = 1200" ;;
  esac
  d=$TMP/$1-$2; make_room "$d" "$dests" "$hls" "$own"; conf=$d/courtrec.conf
  log=$RES/courtrecd-$1-$2.log
  "$B/courtrecd" -c "$conf" >"$log" 2>&1 &
  pid=$!; PIDS="$PIDS $pid"
  i=0
  until "$B/courtrec" -c "$conf" status >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "courtrecd exited at start-up; see $log"
    i=$((i + 1)); [ "$i" -lt 200 ] || die "courtrecd's API did not answer in 20 s; see $log"
    sleep 0.1
  done
  "$B/courtrec" -c "$conf" broadcast approve --case "$CASE" --by 张法官 >>"$log" 2>&1 ||
    die "broadcast approve failed; see $log"
  "$B/courtrec" -c "$conf" start --case "$CASE" >>"$log" 2>&1 || die "courtrec start failed; see $log"
  sleep "$WARM"
  "$B/courtrec" -c "$conf" status --json > "$RES/status-$1-$2-start.json" 2>>"$log" || true
  m=$(measure "$pid" "$1" "$2")
  "$B/courtrec" -c "$conf" status --json > "$RES/status-$1-$2-end.json" 2>>"$log" ||
    die "status failed at the end of the window; see $log"
  b0=$(stream_check "$RES/status-$1-$2-start.json" "$outputs")
  b1=$(stream_check "$RES/status-$1-$2-end.json" "$outputs")
  case $b1 in *"| ok") ;; *) die "round $1 $2: ${b1#*| }; see $RES/status-$1-$2-end.json and $log" ;; esac
  # Bytes sent in the window by every destination: >= 100 kbit/s.
  awk -v a="${b0%%|*}" -v b="${b1%%|*}" -v w="$W" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i <= n; i++) if (x[i] != "-" && (y[i] - x[i]) * 8 / w < 100000) exit 1 }' ||
    die "round $1 $2: a destination sent too little in the window (bytes $b0 -> $b1)"
  "$B/courtrec" -c "$conf" stop >>"$log" 2>&1 || die "courtrec stop failed; see $log"
  stop_pid "$pid" TERM 15
  echo "$1 $2 $m" >> "$RES/raw.txt"
}

ENC_DESC="compositor name=c sink_1::xpos=640 sink_2::ypos=360 sink_3::xpos=640 sink_3::ypos=360
  ! video/x-raw,format=I420,width=1280,height=720,framerate=25/1
  ! clockoverlay time-format=\"%Y-%m-%d %H:%M:%S\" valignment=bottom halignment=right shaded-background=true
  ! tee name=vt vt. ! queue ! fakesink sync=false async=false
  vt. ! queue name=enc ! x264enc tune=zerolatency speed-preset=veryfast bitrate=2000 key-int-max=25
  ! h264parse ! fakesink sync=false async=false
  audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! tee name=at
  at. ! queue ! fakesink sync=false async=false
  at. ! queue name=aenc ! avenc_aac bitrate=128000 ! aacparse ! fakesink sync=false async=false"
for c in 0xffff4040 0xff40ff40 0xff4040ff 0xffffff40; do
  ENC_DESC="$ENC_DESC
  videotestsrc is-live=true pattern=ball foreground-color=$c background-color=0xff202830
  ! video/x-raw,width=640,height=360,framerate=25/1 ! c."
done
echo "$ENC_DESC" > "$RES/encoder-reference-pipeline.txt"

run_encoder () {  # ROUND
  round=$1
  log=$RES/encoder-$round.log
  # shellcheck disable=SC2086
  eval "set -- $(echo "$ENC_DESC" | tr "\n" " ")"
  gst-launch-1.0 -q "$@" >"$log" 2>&1 &
  pid=$!; PIDS="$PIDS $pid"
  sleep "$WARM"
  kill -0 "$pid" 2>/dev/null || die "the encoder reference exited; see $log"
  m=$(measure "$pid" "$round" enc)
  kill -0 "$pid" 2>/dev/null || die "the encoder reference exited; see $log"
  stop_pid "$pid" INT 5
  echo "$round enc $m" >> "$RES/raw.txt"
}

: > "$RES/raw.txt"
set -- $CONFIGS
NCONF=$#
r=1
while [ "$r" -le "$ROUNDS" ]; do
  # Rotate the order by one each round.
  order=$(echo $CONFIGS | awk -v k="$(( (r - 1) % NCONF ))" '{ for (i = 0; i < NF; i++) printf "%s ", $(((i + k) % NF) + 1) }')
  for c in $order; do
    note "round $r/$ROUNDS: $c"
    if [ "$c" = enc ]; then run_encoder "$r"; else run_courtrecd "$r" "$c"; fi
  done
  r=$((r + 1))
done
stop_pid "$NGINX" TERM 5

# --- report -------------------------------------------------------------------
python3 - "$RES" "$(getconf CLK_TCK)" "$(nproc)" <<'EOF' > "$RES/summary.txt" || die "the report failed; see $RES/raw.txt"
import os, statistics, sys
res, hz, cpus = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = {}
for line in open(os.path.join(res, "raw.txt")):
    r, c, ticks, ns, nticks, load = line.split()
    runs[(int(r), c)] = (int(ticks) / hz / (int(ns) / 1e9), int(nticks) / hz / (int(ns) / 1e9), float(load), int(ns) / 1e9)
rounds = sorted({r for r, _ in runs})
def threads(r, c):
    out = {}
    for line in open(os.path.join(res, "threads-%d-%s.txt" % (r, c))):
        name, ticks, n = line.split()
        out[name] = (int(ticks), int(n))
    return out
print("CPU s / media s (courtrecd process; nginx separately); load1 at the window's start")
print("%-6s %-5s %10s %8s %6s" % ("round", "conf", "courtrecd", "nginx", "load1"))
for r in rounds:
    for c in ("d0", "d1", "d2", "d3", "hls", "own"):
        a, n, l, _ = runs[(r, c)]
        print("%-6d %-5s %10.3f %8.3f %6.2f%s" % (r, c, a, n, l, "  (!)" if l > cpus else ""))
print()
print("added CPU per destination, against the same round's d0 (CPU s / media s; fraction of d0)")
per = {"d1": [], "d2": [], "d3": [], "hls": [], "own": []}
frac = {k: [] for k in per}
for r in rounds:
    base = runs[(r, "d0")][0]
    row = []
    for c, n in (("d1", 1), ("d2", 2), ("d3", 3), ("hls", 1), ("own", 1)):
        x = (runs[(r, c)][0] - base) / n
        per[c].append(x); frac[c].append(x / base)
        row.append("%s %+.4f (%+.1f%%)" % (c, x, 100 * x / base))
    print("round %d: d0 %.3f; " % (r, base) + "; ".join(row))
for c in ("d1", "d2", "d3", "hls", "own"):
    what = ("HLS output" if c == "hls" else "1 destination, own 480p encoder" if c == "own"
            else "each of %s destination(s)" % c[1])
    print("median %-28s %+.4f CPU s/s = %+.1f%% of d0 (spread %+.1f%%..%+.1f%%)" % (
        what, statistics.median(per[c]), 100 * statistics.median(frac[c]),
        100 * min(frac[c]), 100 * max(frac[c])))
d0 = statistics.median(runs[(r, "d0")][0] for r in rounds)
print("median d0 (no destination): %.3f CPU s/s" % d0)
# The first output starts the broadcast slate's encoder (it runs while any
# output does); the outputs after it cost only their own sending.
first = [runs[(r, "d1")][0] - runs[(r, "d0")][0] for r in rounds]
more = [(runs[(r, "d3")][0] - runs[(r, "d1")][0]) / 2 for r in rounds]
print("first destination (d1 - d0): %+.4f CPU s/s = %+.1f%% of d0; each further one ((d3 - d1) / 2): %+.4f CPU s/s = %+.1f%% of d0 (per round: %s)" % (
    statistics.median(first), 100 * statistics.median(first) / d0, statistics.median(more),
    100 * statistics.median(more) / d0, ", ".join("%+.4f" % x for x in more)))
print()
# Per-thread view: the threads that only exist with destinations, and the
# encoder reference's encoder threads.
print("where it goes: per-thread CPU s / media s, by thread name, median over rounds (names absent from d0 or changed by > 0.005)")
for c in ("d1", "d3", "hls", "own"):
    names = {}
    for r in rounds:
        t0, t1 = threads(r, "d0"), threads(r, c)
        s1, s0 = runs[(r, c)][3], runs[(r, "d0")][3]
        for name in set(t0) | set(t1):
            a = t1.get(name, (0, 0)); b = t0.get(name, (0, 0))
            names.setdefault(name, []).append((a[0] / hz / s1 - b[0] / hz / s0, a[1], b[1]))
    rows = []
    for name, v in names.items():
        d = statistics.median(x[0] for x in v)
        if abs(d) > 0.005 or v[0][2] == 0:
            rows.append((d, name, v[0][1], v[0][2]))
    rows.sort(reverse=True)
    print("  %s minus d0:" % c)
    for d, name, n1, n0 in rows:
        if abs(d) >= 0.001:
            print("    %-20s %+.4f  (threads %d vs %d)" % (name, d, n1, n0))
enc = []; aenc = []; tot = []
for r in rounds:
    t = threads(r, "enc")
    secs = runs[(r, "enc")][3]
    enc.append(t.get("enc:src", (0, 0))[0] / hz / secs)
    aenc.append(t.get("aenc:src", (0, 0))[0] / hz / secs)
    tot.append(runs[(r, "enc")][0])
print()
print("own encoder (reference, gst-launch): x264enc %.4f + avenc_aac %.4f = %.4f CPU s/s (whole process %.3f) = %.1f%% of d0" % (
    statistics.median(enc), statistics.median(aenc), statistics.median(enc) + statistics.median(aenc),
    statistics.median(tot), 100 * (statistics.median(enc) + statistics.median(aenc)) / d0))
print("per round: " + ", ".join("x264 %.4f aac %.4f" % (e, a) for e, a in zip(enc, aenc)))
own = statistics.median(enc) + statistics.median(aenc)
# Each destination's own threads (sender, flvmux, its appsrcs), from the
# per-thread figures of d3: steadier than a difference of two whole-process
# windows.
DEST = ("cr-rtmp-sender", "mux:src", "video:src", "audio:src")
dest = statistics.median(sum(threads(r, "d3").get(n, (0, 0))[0] for n in DEST) / hz / runs[(r, "d3")][3] / 3 for r in rounds)
slate = statistics.median(threads(r, "d1").get("imagefreeze0:sr", (0, 0))[0] / hz / runs[(r, "d1")][3] for r in rounds)
print("per-thread: each destination's own threads (%s) %.4f CPU s/s = %.1f%% of d0; the slate's encoder (imagefreeze0:sr, started by the first output) %.4f = %.1f%% of d0" % (
    ", ".join(DEST), dest, 100 * dest / d0, slate, 100 * slate / d0))
print("a further destination with its own encoder, by the per-thread figures: %.4f + %.4f = %.4f CPU s/s = %.1f%% of d0, against %.4f (%.1f%%) sharing the encoder" % (
    own, dest, own + dest, 100 * (own + dest) / d0, dest, 100 * dest / d0))
print("a further destination with its own encoder would cost about own encoder + its sending ((d3 - d1) / 2): %.4f CPU s/s = %.1f%% of d0, against %.4f (%.1f%%) sharing the encoder" % (
    own + statistics.median(more), 100 * (own + statistics.median(more)) / d0,
    statistics.median(more), 100 * statistics.median(more) / d0))
EOF
cat "$RES/summary.txt"
rm -f "$OUT/stream-cpu-latest"; ln -s "stream-cpu-$STAMP" "$OUT/stream-cpu-latest"
exit 0
