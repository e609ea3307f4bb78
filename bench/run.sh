#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/run.sh BUILD_DIR: courtrecd's recording CPU against the bare pipeline.
#
#   sh bench/run.sh build            (what `make bench` runs)
#
# Measures CPU seconds per media second of
#   A  courtrecd recording a courtroom (one input pipeline per camera and
#      microphone, intervideosink/appsink hand-offs, the capture pipeline,
#      appsinks, segment writer, fdatasync per cluster, SHA-256 at close,
#      SQLite rows), and
#   B  the reference: the very same capture pipeline, as printed by
#      `courtrecd --print-reference-pipeline`, run by gst-launch-1.0 and muxed
#      straight into one Matroska file,
# in the same run, side by side over the same window (BENCH_ORDER=together,
# the default) or one at a time, interleaved A B B A A B ... (turns). CPU is
# utime+stime of the process (all threads) from /proc/PID/stat over a window
# of BENCH_SECONDS of wall time, taken after BENCH_WARMUP seconds of
# recording; media seconds = wall seconds of the window (live sources).
#
# The courtroom, BENCH_ROOM: "reference" (default; issue 3's reference
# courtroom: 4 cameras as 640x360 tiles composed into 1280x720 at 25 fps,
# layout grid, 4 microphones, tracks = mix+each) or "demo"
# (config/courtrec.conf.example as it is).
#
# The inputs, BENCH_INPUTS: "file" (default) or "test". With file, both
# programs play the very same media, made once per run by ffmpeg into the
# temp dir: one H.264 clip (640x360, 25 fps, testsrc2, a picture that
# changes every frame) that every camera decodes, and one WAV of pink noise per
# microphone, each BENCH_CLIP_SECONDS long (longer than a round) and with
# loop = true; so both decode, compose and encode identical pictures.
# With test, each program draws its own test patterns (videotestsrc,
# audiotestsrc), identical between the two as well.
#
# Both encode with the same x264 settings, hence the same GOP ([video]
# keyframe_seconds, default 2 s): the bench checks the keyframe interval of
# both recordings with ffprobe and fails if they differ. Peak RSS (VmHWM of
# /proc/PID/status, read at the end of the window) is reported beside CPU.
#
# Environment: BENCH_ROUNDS (3), BENCH_SECONDS (30), BENCH_WARMUP (5),
# BENCH_ORDER (together),
# BENCH_INPUTS (file), BENCH_CLIP_SECONDS (120),
# BENCH_SEGMENT_SECONDS (10: courtrecd closes, hashes and indexes segments
# inside the window; 600 is the demo config's own value), BENCH_KEEP (0; 1
# keeps the recordings in bench/out/STAMP/ to look at).
#
# Prints a table and the median ratios A/B (CPU, peak RSS); writes the raw figures to
# bench/out/. Exits 0 whatever the ratio (a measurement, not a test); exits 1
# if a process fails or a recording is missing video or audio or is much
# shorter than the window (the comparison would be meaningless).
#
# Starts only its own processes and stops them by PID; removes its temp dir.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
ROUNDS=${BENCH_ROUNDS:-3}
W=${BENCH_SECONDS:-30}
WARM=${BENCH_WARMUP:-5}
SEG=${BENCH_SEGMENT_SECONDS:-10}
ROOM=${BENCH_ROOM:-reference}
INPUTS=${BENCH_INPUTS:-file}
CLIP=${BENCH_CLIP_SECONDS:-120}
ORDER=${BENCH_ORDER:-together}
CASE='（2026）浙1022民初123号'
EXAMPLE=config/courtrec.conf.example
OUT=bench/out
HZ=$(getconf CLK_TCK)
. bench/room-lib.sh

die () { echo "bench: FAILED: $*" >&2; exit 1; }
note () { echo "bench: $*" >&2; }

for n in "$ROUNDS" "$W" "$WARM" "$SEG" "$CLIP"; do
  case $n in ''|*[!0-9]*) die "BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP, BENCH_SEGMENT_SECONDS and BENCH_CLIP_SECONDS take whole numbers" ;; esac
done
case $INPUTS in file|test) ;; *) die "BENCH_INPUTS is file or test, not $INPUTS" ;; esac
case $ORDER in together|turns) ;; *) die "BENCH_ORDER is together or turns, not $ORDER" ;; esac
[ "$INPUTS" = test ] || [ "$CLIP" -ge $((W + WARM + 30)) ] ||
  die "BENCH_CLIP_SECONDS ($CLIP) must outlast a round: at least BENCH_SECONDS + BENCH_WARMUP + 30"
[ "$ROUNDS" -ge 1 ] && [ "$W" -ge 5 ] || die "need BENCH_ROUNDS >= 1 and BENCH_SECONDS >= 5"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first (the bench builds nothing)"
for tool in gst-launch-1.0 ffprobe ffmpeg awk sed getconf; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/courtrec-bench.XXXXXX")
PIDS=""          # processes started here and not yet reaped

cleanup () {
  for p in $PIDS; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ns () { date +%s%N; }

free_port () {
  p=$((20000 + $$ % 20000))
  while [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; do p=$((p + 1)); done
  echo "$p"
}

# The media both programs play with BENCH_INPUTS=file.
make_media () {
  ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$CLIP" \
    -c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p "$TMP/camera.mkv" ||
    die "ffmpeg could not make the camera clip"
  for n in 0 1 2 3; do
    # Pink noise, a seed of its own per microphone, not a tone: the AAC
    # encoder's cost on a mix of four pure tones depends on their phases,
    # that is on the instants the four microphones started (the same
    # instant in the reference's one pipeline, each its own in
    # courtrecd), and went from one round to the next between 1x and 3x
    # (the mixer's thread: 0.022 or 0.065 CPU s per media s), which alone
    # moved a round's ratio by 10 %. Noise costs the same whatever the
    # offsets.
    ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=colour=pink:amplitude=0.1:seed=$((n + 1)):sample_rate=44100:duration=$CLIP" \
      -c:a pcm_s16le "$TMP/microphone-$n.wav" || die "ffmpeg could not make a microphone's sound"
  done
}

# Peak resident set size of PID $1, in kB (VmHWM).
peak_rss () {
  sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# The median interval between keyframes of FILE's video, in seconds.
gop () {
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,flags -of csv=p=0 "$1" |
    awk -F, '$2 ~ /K/ { if (n++) d[n - 1] = $1 - last; last = $1 }
      END { m = n - 1; if (m < 1) { print "none"; exit }
            for (i = 2; i <= m; i++) for (j = i; j > 1 && d[j-1] > d[j]; j--) { t = d[j]; d[j] = d[j-1]; d[j-1] = t }
            printf "%.2f\n", d[int((m + 1) / 2)] }'
}

# The courtroom with storage, token and API port of our own.
make_config () {  # DIR
  mkdir -p "$1/store"
  sed -e "s|^dir = .*|dir = $1/store|" \
      -e "s|^token_file = .*|token_file = $1/api-token|" \
      -e "s|^key_file = .*|key_file = $1/device-key|" \
      -e "s|^listen = .*|listen = 127.0.0.1:$PORT|" \
      -e "s|^segment_seconds = .*|segment_seconds = $SEG|" \
      "$EXAMPLE" > "$1/courtrec.conf"
  "$B/courtrecd" -c "$1/courtrec.conf" --check-config >/dev/null ||
    die "the bench config $1/courtrec.conf is not valid"
}

# Durations and frame count of what a round recorded. Prints
# "VIDEO_S AUDIO_S VIDEO_FRAMES FILES" summed over the files given.
# Packet timestamps, not the container's duration: a file need not be
# finalised for this.
probe () {
  v=0; a=0; frames=0; files=0
  for f in "$@"; do
    [ -s "$f" ] || continue
    files=$((files + 1))
    set -- $(ffprobe -v error -select_streams v:0 -show_entries packet=pts_time \
               -of csv=p=0 "$f" | awk -F, -v fps="$FPS" '$1 != "N/A" { if (n == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1; n++ }
                 END { printf "%.3f %d\n", n ? hi - lo + 1 / fps : 0, n }')
    v=$(awk "BEGIN { print $v + $1 }"); frames=$((frames + $2))
    d=$(ffprobe -v error -select_streams a:0 -show_entries packet=pts_time \
          -of csv=p=0 "$f" | awk -F, '$1 != "N/A" { if (n == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1; n++ }
            END { printf "%.3f\n", n ? hi - lo + 0.021 : 0 }')
    a=$(awk "BEGIN { print $a + $d }")
  done
  echo "$v $a $frames $files"
}

# The codecs of FILE's streams, e.g. "h264 aac opus opus".
tracks () {
  ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$1" | tr '\n' ' ' | sed 's/ $//'
}

# Both recordings must hold video and audio covering at least the window,
# at the configured frame rate, else a cheaper-looking process may simply
# have recorded less.
check_recording () {  # LABEL ROUND "V A FRAMES FILES" RECORDED_WALL_S
  set -- "$1" "$2" $3 "$4"
  awk -v w="$W" -v fps="$FPS" -v v="$3" -v a="$4" -v fr="$5" -v wall="$7" 'BEGIN {
        ok = v >= 0.9 * w && a >= 0.9 * w && v <= wall + 2 && a <= wall + 2 &&
             fr >= 0.95 * fps * v && fr <= 1.05 * fps * v
        exit !ok }' ||
    die "$1 round $2 recorded video ${3}s ($5 frames) and audio ${4}s in $6 file(s); expected both >= 0.9 x ${W}s at $FPS fps (recording lasted ${7}s of wall time). Logs: $OUT/$STAMP/"
}

measure () {  # PID -> prints "TICKS0 TICKS1 NS0 NS1 LOADAVG1 PEAK_RSS_KB"
  load=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(cpu_ticks "$1"); t0=$(now_ns)
  sleep "$W"
  c1=$(cpu_ticks "$1"); t1=$(now_ns)
  echo "$c0 $c1 $t0 $t1 $load $(peak_rss "$1")"
}

# Both programs over one window, side by side: sets M_A and M_B as
# measure prints them. Each program's ticks are read around the same
# instants, so both meet the same neighbours' load.
measure_pair () {  # PID_A PID_B
  load=$(cut -d' ' -f1 /proc/loadavg)
  thread_ticks "$1" > "$OUT/$STAMP/threads-$ROUND-courtrecd.0"
  thread_ticks "$2" > "$OUT/$STAMP/threads-$ROUND-reference.0"
  a0=$(cpu_ticks "$1"); b0=$(cpu_ticks "$2"); t0=$(now_ns)
  sleep "$W"
  a1=$(cpu_ticks "$1"); b1=$(cpu_ticks "$2"); t1=$(now_ns)
  thread_ticks "$1" > "$OUT/$STAMP/threads-$ROUND-courtrecd.1"
  thread_ticks "$2" > "$OUT/$STAMP/threads-$ROUND-reference.1"
  M_A="$a0 $a1 $t0 $t1 $load $(peak_rss "$1")"
  M_B="$b0 $b1 $t0 $t1 $load $(peak_rss "$2")"
}

# "TID NAME TICKS" of every thread of PID $1, the name's digits as N (the
# six track2..track5 threads are one kind of work).
thread_ticks () {
  awk '{ match($0, /\(.*\)/); name = substr($0, RSTART + 1, RLENGTH - 2)
         gsub(/[0-9]+/, "N", name); gsub(/[ \t]/, "_", name)
         split(substr($0, RSTART + RLENGTH + 1), f, " ")
         print $1, name, f[12] + f[13] }' /proc/"$1"/task/*/stat 2>/dev/null
}

# Per kind of thread, CPU s per media s over round $1's window, both
# programs side by side (BENCH_ORDER=together only).
# A thread born in the window counts from zero; what threads that ended in
# it took is the process's total less the rest.
thread_table () {  # ROUND "MEASURE_A" "MEASURE_B"
  set -- "$1" $2 $3
  awk -v hz="$HZ" -v w="$W" -v ta="$(($3 - $2))" -v tb="$((${9} - ${8}))" '
    FNR == 1 { f++ }
    f == 1 { a0[$1] = $3; next }
    f == 2 { d = $3 - ($1 in a0 ? a0[$1] : 0); ca[$2] += d; sa += d; next }
    f == 3 { b0[$1] = $3; next }
    f == 4 { d = $3 - ($1 in b0 ? b0[$1] : 0); cb[$2] += d; sb += d }
    END {
      ca["(threads_ended_in_the_window)"] = ta - sa; cb["(threads_ended_in_the_window)"] = tb - sb
      for (k in ca) n[k] = 1; for (k in cb) n[k] = 1
      for (k in n) printf "  %-32s %8.4f %8.4f\n", k, ca[k] / hz / w, cb[k] / hz / w
    }' "$OUT/$STAMP/threads-$1-courtrecd.0" "$OUT/$STAMP/threads-$1-courtrecd.1" \
       "$OUT/$STAMP/threads-$1-reference.0" "$OUT/$STAMP/threads-$1-reference.1" | sort -k2,2nr
}

# courtrecd started and recording: sets A_DIR, A_CONF, A_LOG, A_PID, A_REC0.
courtrecd_begin () {  # ROUND
  A_DIR=$TMP/courtrecd-$1; make_config "$A_DIR"; A_CONF=$A_DIR/courtrec.conf
  A_LOG=$OUT/$STAMP/courtrecd-$1.log
  courtrecd_up "$A_CONF" "$A_LOG"; A_PID=$COURTRECD
  "$B/courtrec" -c "$A_CONF" start --case "$CASE" >>"$A_LOG" 2>&1 ||
    die "courtrec start failed; see $A_LOG"
  A_REC0=$(now_ns)
}

# courtrecd stopped, its recording checked: appends a raw row.
courtrecd_end () {  # ROUND MEASURE
  d=$A_DIR; conf=$A_CONF; log=$A_LOG; pid=$A_PID; m=$2
  kill -0 "$pid" 2>/dev/null || die "courtrecd died during the window; see $log"
  "$B/courtrec" -c "$conf" stop >>"$log" 2>&1 || die "courtrec stop failed; see $log"
  rec1=$(now_ns)
  # Let the last segment close (EOS, fdatasync, SHA-256, index row).
  i=0
  if command -v sqlite3 >/dev/null 2>&1; then
    while [ "$(sqlite3 "$d/store/index.db" 'SELECT count(*) FROM segments WHERE closed = 0 OR sha256 IS NULL' 2>/dev/null || echo 1)" != 0 ] &&
          [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    rows=$(sqlite3 "$d/store/index.db" 'SELECT count(*) FROM segments WHERE closed = 1 AND sha256 IS NOT NULL')
  else
    sleep 3; rows=-
  fi
  kill -TERM "$pid" 2>/dev/null || true; stop_pid "$pid" 15
  set -- $(find "$d/store/recordings" -name '*.mkv' 2>/dev/null | sort)
  [ "$#" -gt 0 ] || die "courtrecd round $ROUND wrote no segment; see $log"
  nfiles=$#
  [ "$rows" = - ] || [ "$rows" = "$nfiles" ] ||
    die "courtrecd wrote $nfiles segment file(s) but closed and hashed $rows in the index"
  p=$(probe "$@")
  TRACKS_A=$(tracks "$1")
  GOP_A=$(gop "$1")
  wall=$(awk "BEGIN { printf \"%.3f\", ($rec1 - $A_REC0) / 1e9 }")
  check_recording courtrecd "$ROUND" "$p" "$wall"
  du -k "$d/store/recordings" | tail -1 | cut -f1 > "$d/kb"
  echo "$ROUND courtrecd $m $p $(cat "$d/kb") $rows" >> "$RAW"
  [ "${BENCH_KEEP:-0}" = 0 ] || mv "$d/store" "$OUT/$STAMP/courtrecd-$ROUND-store"
  rm -rf "$d"
}

run_courtrecd () {  # ROUND
  courtrecd_begin "$1"
  sleep "$WARM"
  courtrecd_end "$1" "$(measure "$A_PID")"
}

# gst-launch-1.0 wants the description split into argv. The description's
# quoting is the shell's double quotes with backslash escapes, so eval splits
# it. (The description comes from our own config file: eval is safe here
# only because that file is ours.) Then: a value holding a newline (the
# caption, "court  room\n待机 standby") must reach gst-launch still quoted,
# because gst-launch re-joins argv escaping only spaces and its parser stops
# silently at a bare newline, dropping every element after it (see
# BENCHMARKS.md). Re-quote such values.
start_reference () {  # DESCRIPTION -> starts gst-launch-1.0, sets pid
  eval "set -- $1"
  names=" "; dup=0
  for a do
    shift
    case $a in
      # The caption as courtrecd shows it while recording (recorder.c
      # update_caption: two lines, the case number), not the one-line
      # standby caption the description carries: two lines of text blended
      # into every frame cost about 0.003 CPU s per media s more than one
      # (BENCHMARKS.md), a bias against courtrecd.
      text=*"  待机 standby") k=${a%%=*}; v=${a#*=}
          v="${v%  待机 standby}
案号 $CASE  ● 录制中 REC"
          v=$(printf '%s' "$v" | sed 's/[\\"]/\\&/g')
          a="$k=\"$v\"" ;;
      *"
"*) k=${a%%=*}; v=${a#*=}
          v=$(printf '%s' "$v" | sed 's/[\\"]/\\&/g')
          a="$k=\"$v\"" ;;
      # Element names must be unique in one pipeline; each input's own
      # pipeline in courtrecd calls its sink "handoff", and the reference
      # puts them all in one. Nothing refers to them by name: rename.
      name=*)
        case $names in
          *" ${a#name=} "*) dup=$((dup + 1)); a="${a}_bench$dup" ;;
          *) names="$names${a#name=} " ;;
        esac ;;
    esac
    set -- "$@" "$a"
    [ "$a" = name=composer ] && [ -n "$PADS" ] && set -- "$@" $PADS
  done
  # GST_DEBUG=1: ERROR lines only, so that a failure says why.
  GST_DEBUG=${GST_DEBUG:-1} gst-launch-1.0 -e "$@" >"$log" 2>&1 &
  pid=$!
}

# courtrecd places the tiles by setting the compositor's pad properties at
# run time (pipelines/layout.c); a description without them stacks every
# tile at 0,0, a cheaper picture to compose and encode. Until the printed
# description carries the layout, give the reference the grid layout's
# pads, computed as compute_grid() in pipelines/layout.c does.
grid_pads () {  # CONF -> "sink_0::xpos=... ..." for [video] layout = grid
  awk '
    /^\[camera / { n++ }
    /^width *=/ { w = $3 } /^height *=/ { h = $3 }
    /^layout *=/ { layout = $3 }
    function ef(v) { v = int(v); return v - v % 2 }
    function er(num, den) { return 2 * int((num + den) / (2 * den)) }
    END {
      if (w == "") w = 1280; if (h == "") h = 720
      if (layout != "" && layout != "grid") { print "unsupported:" layout; exit }
      c = n == 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4
      tw = ef(w / c); th = er(tw * h, w)
      if (th > ef(h / c)) { th = ef(h / c); tw = er(th * w, h); if (tw > ef(w / c)) tw = ef(w / c) }
      x0 = ef((w - c * tw) / 2); y0 = ef((h - c * th) / 2)
      for (i = 0; i < n; i++)
        if (i < c * c)
          printf "sink_%d::xpos=%d sink_%d::ypos=%d sink_%d::width=%d sink_%d::height=%d sink_%d::zorder=1 ",
                 i, x0 + (i % c) * tw, i, y0 + int(i / c) * th, i, tw, i, th, i
        else
          printf "sink_%d::zorder=0 sink_%d::alpha=0 ", i, i
    }' "$1"
}

# The reference started and past its warm-up: sets B_DIR, B_LOG, B_PID,
# B_REC0.
reference_begin () {  # ROUND
  d=$TMP/reference-$1; mkdir -p "$d"
  log=$OUT/$STAMP/reference-$1.log
  desc=$("$B/courtrecd" -c "$CONF" --print-reference-pipeline "$d/reference.mkv") ||
    die "courtrecd --print-reference-pipeline failed"
  printf '%s\n' "$desc" > "$OUT/$STAMP/reference-pipeline.txt"
  PADS=
  case $desc in
    *sink_0::xpos=*) ;;
    *) PADS=$(grid_pads "$CONF")
       case $PADS in unsupported:*) die "the reference description has no tile layout and the bench emulates only layout = grid (config has ${PADS#unsupported:})" ;; esac
       [ "$1" != 1 ] || note "reference: the description places no tiles; adding the grid layout's pads: $PADS" ;;
  esac
  # An intervideosrc in the reference has been seen to fail at start-up,
  # now and then, with "Internal data stream error ... not-negotiated" (see
  # BENCHMARKS.md). Such a start is logged, counted and retried, twice at
  # most; a failure after the warm-up still fails the bench.
  try=0
  while :; do
    try=$((try + 1))
    start_reference "$desc"
    PIDS="$PIDS $pid"
    i=0
    until grep -q 'Setting pipeline to PLAYING' "$log" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || die "gst-launch-1.0 exited at start-up; see $log"
      i=$((i + 1)); [ "$i" -lt 200 ] || die "the reference did not reach PLAYING in 20 s; see $log"
      sleep 0.1
    done
    rec0=$(now_ns)
    sleep "$WARM"
    if kill -0 "$pid" 2>/dev/null; then break; fi
    stop_pid "$pid" 1
    mv "$log" "$OUT/$STAMP/reference-$1-failed-start-$try.log"
    echo "$1 $(grep -m1 'ERROR: from element' "$OUT/$STAMP/reference-$1-failed-start-$try.log" | sed 's|.*/||') $(grep -m1 -o 'reason [a-z-]*' "$OUT/$STAMP/reference-$1-failed-start-$try.log")" >> "$OUT/$STAMP/failed-starts.txt"
    [ "$try" -lt 3 ] ||
      die "the reference failed at start-up $try times in round $1; see $OUT/$STAMP/reference-$1-failed-start-*.log"
    note "round $1: the reference died during its warm-up (start $try; $(grep -m1 -o 'reason [a-z-]*' "$OUT/$STAMP/reference-$1-failed-start-$try.log" || echo 'no reason logged')); retrying. Log: $OUT/$STAMP/reference-$1-failed-start-$try.log"
    rm -f "$d/reference.mkv"
  done
  B_DIR=$d; B_LOG=$log; B_PID=$pid; B_REC0=$rec0
}

# The reference stopped, its recording checked against courtrecd's of the
# same round: appends a raw row.
reference_end () {  # ROUND MEASURE
  d=$B_DIR; log=$B_LOG; pid=$B_PID; rec0=$B_REC0; m=$2
  kill -0 "$pid" 2>/dev/null || die "gst-launch-1.0 died during the window; see $log"
  [ -s "$d/reference.mkv" ] || die "the reference has not created $d/reference.mkv; see $log"
  # -e: SIGINT sends EOS so the file is finalised; a clean EOS is not needed
  # for the figures, so after 10 s it is killed.
  kill -INT "$pid" 2>/dev/null || true; rec1=$(now_ns); stop_pid "$pid" 10
  p=$(probe "$d/reference.mkv")
  tb=$(tracks "$d/reference.mkv")
  [ "$tb" = "$TRACKS_A" ] ||
    die "round $ROUND: courtrecd recorded the tracks $TRACKS_A but the reference $tb: not the same job"
  [ "$1" != 1 ] || note "tracks of both: $tb"
  gb=$(gop "$d/reference.mkv")
  [ "$gb" = "$GOP_A" ] ||
    die "round $ROUND: courtrecd's keyframes are ${GOP_A} s apart but the reference's ${gb} s: not the same job"
  [ "$1" != 1 ] || note "keyframe interval of both: $gb s"
  wall=$(awk "BEGIN { printf \"%.3f\", ($rec1 - $rec0) / 1e9 }")
  check_recording reference "$ROUND" "$p" "$wall"
  kb=$(du -k "$d/reference.mkv" | cut -f1)
  echo "$ROUND reference $m $p $kb -" >> "$RAW"
  [ "${BENCH_KEEP:-0}" = 0 ] || mv "$d/reference.mkv" "$OUT/$STAMP/reference-$ROUND.mkv"
  rm -rf "$d"
}

run_reference () {  # ROUND
  reference_begin "$1"
  reference_end "$1" "$(measure "$B_PID")"
}

# Both programs at once over the same window.
# The one started first takes the other's start-up as warm-up; which one
# that is alternates, as in turns (two references side by side differed by
# up to 3 % in a round, the first-started cheaper in two rounds of three).
run_together () {  # ROUND
  if [ $(($1 % 2)) = 1 ]; then
    courtrecd_begin "$1"
    reference_begin "$1"
  else
    reference_begin "$1"
    courtrecd_begin "$1"
    sleep "$WARM"
  fi
  measure_pair "$A_PID" "$B_PID"
  courtrecd_end "$1" "$M_A"
  reference_end "$1" "$M_B"
  { echo "round $1: CPU s per media s by thread (courtrecd, reference)"; thread_table "$1" "$M_A" "$M_B"; } \
    > "$OUT/$STAMP/threads-$1.txt"
  rm -f "$OUT/$STAMP/threads-$1-"*
}

# The tree is shared: a rebuild or a config edit mid-run would mix versions
# across rounds. Run copies taken now (the programs link libcourtrec
# statically).
mkdir -p "$TMP/bin"
cp "$B/courtrecd" "$B/courtrec" "$TMP/bin/"
case $ROOM in
  demo) cp "$EXAMPLE" "$TMP/example.conf" ;;
  reference)
    if [ "$INPUTS" = test ]; then
      reference_room "$EXAMPLE" > "$TMP/example.conf"
    else
      make_media
      reference_room "$EXAMPLE" "file:$TMP/camera.mkv file:$TMP/camera.mkv file:$TMP/camera.mkv file:$TMP/camera.mkv" \
        "file:$TMP/microphone-0.wav file:$TMP/microphone-1.wav file:$TMP/microphone-2.wav file:$TMP/microphone-3.wav" > "$TMP/example.conf"
    fi ;;
  *) die "BENCH_ROOM is reference or demo, not $ROOM" ;;
esac
BUILD=$B; B=$TMP/bin; EXAMPLE=$TMP/example.conf

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT/$STAMP"
RAW=$OUT/$STAMP/raw.txt
PORT=$(free_port)
CONF_DIR=$TMP/print; make_config "$CONF_DIR"; CONF=$CONF_DIR/courtrec.conf
cp "$CONF" "$OUT/$STAMP/courtrec.conf"
FPS=$(sed -n 's/^framerate *= *//p' "$CONF")
[ -n "$FPS" ] || FPS=25

{
  echo "# courtrec bench $STAMP: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "# room=$ROOM inputs=$INPUTS rounds=$ROUNDS window_s=$W warmup_s=$WARM order=$ORDER segment_s=$SEG clk_tck=$HZ build=$BUILD"
  echo "# courtrecd: $(sha256sum "$B/courtrecd" | cut -c1-16) built $(date -u -r "$BUILD/courtrecd" +%Y-%m-%dT%H:%M:%SZ); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo +uncommitted); $(gst-launch-1.0 --version | sed -n 2p)"
  echo "# round who cpu_ticks_start cpu_ticks_end wall_ns_start wall_ns_end loadavg1 peak_rss_kb video_s audio_s video_frames files kbytes hashed_rows"
} > "$RAW"

case $ORDER in
  together) note "$ROUNDS round(s) of ${W} s (after ${WARM} s warm-up), the two side by side; raw figures in $OUT/$STAMP/" ;;
  turns) note "$ROUNDS round(s) of ${W} s (after ${WARM} s warm-up), the two in turn, the first alternating; raw figures in $OUT/$STAMP/" ;;
esac
# together: both record at once and are measured over the same window, so
# a neighbour's load that comes and goes (this machine is shared; rounds in
# turn differed by 0.94..1.31 on a quiet one) falls on both alike. turns:
# one at a time, the order alternating, A B, B A, A B, ...: with a load
# that rises or falls through a run, the program that always went first
# would always meet the other load. Either way courtrecd's recording is
# checked first: the reference's checks compare with it (its tracks and
# keyframe interval).
ROUND=1
while [ "$ROUND" -le "$ROUNDS" ]; do
  if [ "$ORDER" = together ]; then
    note "round $ROUND/$ROUNDS: courtrecd and the reference (gst-launch-1.0) side by side, $([ $((ROUND % 2)) = 1 ] && echo courtrecd || echo the reference) started first"
    run_together "$ROUND"
  elif [ $((ROUND % 2)) = 1 ]; then
    note "round $ROUND/$ROUNDS: courtrecd"
    run_courtrecd "$ROUND"
    note "round $ROUND/$ROUNDS: reference (gst-launch-1.0)"
    run_reference "$ROUND"
  else
    note "round $ROUND/$ROUNDS: reference (gst-launch-1.0)"
    run_reference "$ROUND"
    note "round $ROUND/$ROUNDS: courtrecd"
    run_courtrecd "$ROUND"
  fi
  ROUND=$((ROUND + 1))
done

# Per round: CPU s per media s of each, their ratio, and the peak RSS of
# each; then medians and spread (min..max).
awk -v hz="$HZ" -v w="$W" -v cpus="$(nproc)" '
  /^#/ { next }
  { cpu = ($4 - $3) / hz; wall = ($6 - $5) / 1e9
    r[$1] = 1; x[$1, $2] = cpu / wall; load[$1, $2] = $7; rss[$1, $2] = $8 / 1024 }
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
  END {
    printf "%-6s %16s %16s %7s %10s %10s %7s   %s\n", "round", "courtrecd cpu/s", "reference cpu/s", "ratio",
           "A rss MiB", "B rss MiB", "ratio", "load1 (A, B)"
    n = 0
    for (i = 1; (i in r); i++) {
      n++; a[n] = x[i, "courtrecd"]; b[n] = x[i, "reference"]; q[n] = a[n] / b[n]
      ra[n] = rss[i, "courtrecd"]; rb[n] = rss[i, "reference"]; rq[n] = ra[n] / rb[n]
      busy = load[i, "courtrecd"] > cpus || load[i, "reference"] > cpus
      contended += busy
      printf "%-6d %16.3f %16.3f %7.3f %10.1f %10.1f %7.3f   %s, %s%s\n", i, a[n], b[n], q[n], ra[n], rb[n], rq[n],
             load[i, "courtrecd"], load[i, "reference"], busy ? "  (!)" : ""
      lo = (n == 1 || q[n] < lo) ? q[n] : lo; hi = (n == 1 || q[n] > hi) ? q[n] : hi
    }
    ma = median(a, n); mb = median(b, n); mq = median(q, n)
    mra = median(ra, n); mrb = median(rb, n); mrq = median(rq, n)
    printf "%-6s %16.3f %16.3f %7.3f %10.1f %10.1f %7.3f\n", "median", ma, mb, mq, mra, mrb, mrq
    printf "ratio spread (min..max over %d rounds): %.3f..%.3f\n", n, lo, hi
    if (contended)
      printf "(!) %d round(s) started with a load average above the %d CPU(s): other work competed; rerun on a quiet machine to tighten the spread\n", contended, cpus
    printf "median CPU ratio courtrecd/reference: %.3f (target <= 1.00: %s)\n", mq, mq <= 1.00 ? "met" : "MISSED"
    printf "median peak RSS ratio courtrecd/reference: %.3f (target <= 1.20: %s)\n", mrq, mrq <= 1.20 ? "met" : "MISSED"
  }' "$RAW" | tee "$OUT/$STAMP/summary.txt"

if [ -s "$OUT/$STAMP/failed-starts.txt" ]; then
  echo "reference start-up failures retried (round, element, error): $(wc -l < "$OUT/$STAMP/failed-starts.txt")" | tee -a "$OUT/$STAMP/summary.txt"
  sed 's/^/  /' "$OUT/$STAMP/failed-starts.txt" | tee -a "$OUT/$STAMP/summary.txt"
fi
rm -f "$OUT/latest"; ln -s "$STAMP" "$OUT/latest"
exit 0
