#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/export/run.sh [BUILD_DIR]: how fast an export cuts one hour out of
# an eight-hour archive, against `ffmpeg -f concat -c copy` of the same
# segments, in the same run.
#
#   make && sh bench/export/run.sh build
#
# The archive is made cheaply, not recorded for 8 hours: a 10 s clip is
# encoded once (H.264 1280x720@25, 2 Mbit/s CBR, one keyframe a second, no
# B-frames, as the recorder's x264 settings; AAC 128 kbit/s stereo 48 kHz),
# looped without re-encoding into one 600 s Matroska segment, and that file
# is copied 48 times as the segments of one session, indexed through the
# CrSegmentIndex API (make-archive.c). The window is the fifth hour,
# segments 25 to 30, so that the reference concatenates exactly the files
# the export reads.
#
# Timed, alternately, BENCH_ROUNDS times each, in two cache states:
#   cold  the six segments are evicted from the page cache first
#         (dd iflag=nocache on those files only; nothing else is touched)
#   warm  right after, the segments still in the page cache
# A  cr_export_package (export-window.c, the call the `export` verb makes):
#    remux to MP4 with +faststart, the three reports, timeline.tsv, SHA-256
#    of every payload file, BagIt tag files, fsync of all, rename.
# B  ffmpeg -f concat -safe 0 -i LIST -c copy -movflags +faststart OUT.mp4
#    (no hashing, no fsync).
# C  `courtrec -c CONF export ...`, when the build has that verb.
# x real time = media seconds written / wall seconds.
#
# Environment: BENCH_ROUNDS (3), BENCH_KEEP (0; 1 keeps the work dir),
# TMPDIR (where the ~10 GB work dir goes; /var/tmp by default).
#
# Prints a table; keeps the raw figures and the table in
# bench/out/export-STAMP/. Exits 0 whatever the speed (a measurement, not a
# test); exits 1 if a step fails or an export is not one hour long. Starts
# only its own processes and removes its work dir.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=${1:-build}
ROUNDS=${BENCH_ROUNDS:-3}
CASE='（2026）浙1022民初123号'
START=2026-01-05T01:00:00.000Z
SEGMENTS=48
FIRST=25      # the window: segments FIRST .. FIRST+5, the fifth hour
LAST=30

die () { echo "bench/export: FAILED: $*" >&2; exit 1; }
note () { echo "bench/export: $*" >&2; }
now () { date +%s.%N; }

case $ROUNDS in ''|*[!0-9]*|0) die "BENCH_ROUNDS takes a whole number >= 1" ;; esac
[ -f "$B/libcourtrec.a" ] || die "$B/libcourtrec.a missing: run make first"
for tool in ffmpeg ffprobe pkg-config cc awk sha256sum dd; do
  command -v $tool >/dev/null || die "$tool not found"
done

OUT=bench/out/export-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/courtrec-bench-export-XXXXXX")
cleanup () { [ "${BENCH_KEEP:-0}" = 1 ] && note "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

# The Makefile's own library list, so the tools build as the programs do.
PKGS=$(awk '/^PKGS *=/ { on = 1 }
            on { line = $0; more = line ~ /\\$/; sub(/\\$/, "", line);
                 sub(/^PKGS *= */, "", line); printf "%s ", line; if (!more) exit }' Makefile)
CFLAGS="-O2 -g -std=gnu17 -Wall -Wextra -Werror -Wno-unused-parameter -I. $(pkg-config --cflags $PKGS)"
LIBS="$B/libcourtrec.a $(pkg-config --libs $PKGS) -lm"
for tool in make-archive export-window; do
  # shellcheck disable=SC2086
  cc $CFLAGS -o "$WORK/$tool" "bench/export/$tool.c" $LIBS || die "cannot build $tool"
done

note "encoding a 10 s clip and looping it into a 600 s segment"
ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=1280x720:rate=25 \
  -f lavfi -i sine=frequency=440:sample_rate=48000 -t 10 \
  -c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p \
  -b:v 2000k -minrate 2000k -maxrate 2000k -bufsize 2000k -x264-params nal-hrd=cbr \
  -g 25 -keyint_min 25 -sc_threshold 0 -bf 0 \
  -c:a aac -b:a 128k -ac 2 "$WORK/clip.mkv" || die "cannot encode the clip"
ffmpeg -nostdin -v error -stream_loop 59 -i "$WORK/clip.mkv" -c copy -t 600 \
  "$WORK/segment.mkv" || die "cannot loop the clip"
SEG_INFO=$(ffprobe -v error -show_entries format=duration,bit_rate,size -of csv=p=0 "$WORK/segment.mkv")
note "segment: duration,size,bit_rate = $SEG_INFO"

note "making the archive: $SEGMENTS segments"
"$WORK/make-archive" "$WORK/storage" "$WORK/segment.mkv" $SEGMENTS $START "$CASE" \
  > "$WORK/segments.txt" || die "make-archive failed"
rm -f "$WORK/segment.mkv" "$WORK/clip.mkv"
FROM=$(awk -v n=$FIRST '$1 == n { print $2 }' "$WORK/segments.txt")
TO=$(awk -v n=$((LAST + 1)) '$1 == n { print $2 }' "$WORK/segments.txt")
awk -v a=$FIRST -v b=$LAST -v dir="$WORK/storage" \
  '$1 >= a && $1 <= b { print "file \x27" dir "/" $3 "\x27" }' "$WORK/segments.txt" > "$WORK/concat.txt"
WINDOW_FILES=$(awk '{ sub(/^file \x27/, ""); sub(/\x27$/, ""); print }' "$WORK/concat.txt")
ARCHIVE_BYTES=$(du -sb "$WORK/storage" | cut -f1)

cat > "$WORK/bench.conf" <<EOF
[room]
id = bench
name = 第一法庭
court = 浙江省三门县人民法院

[storage]
dir = $WORK/storage
segment_seconds = 600

[api]
listen = 127.0.0.1:8799
token_file = $WORK/api-token

[camera judge]
source = test

[microphone judge]
source = test
EOF

HAVE_VERB=0
if "$B/courtrec" -c "$WORK/bench.conf" export --help >/dev/null 2>&1; then HAVE_VERB=1; fi

evict () {
  for f in $WINDOW_FILES; do
    sync "$f"
    dd if="$f" iflag=nocache count=0 status=none
  done
}

# One timed run: prints "media_s wall_s".
run_a () {
  rm -rf "$WORK/out"
  t0=$(now)
  "$WORK/export-window" "$WORK/bench.conf" "$CASE" "$WORK/out" "$FROM" "$TO" > "$WORK/a.txt" \
    || die "export failed"
  t1=$(now)
  media=$(sed -n 's/.*media_s=\([0-9.]*\).*/\1/p' "$WORK/a.txt")
  awk -v m="$media" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.3f\n", m, b - a }'
}
run_b () {
  rm -f "$WORK/ref.mp4"
  t0=$(now)
  ffmpeg -nostdin -v error -f concat -safe 0 -i "$WORK/concat.txt" -c copy \
    -movflags +faststart "$WORK/ref.mp4" || die "ffmpeg concat failed"
  t1=$(now)
  media=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/ref.mp4")
  awk -v m="$media" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.3f\n", m, b - a }'
}
run_c () {
  rm -rf "$WORK/out-verb"
  t0=$(now)
  "$B/courtrec" -c "$WORK/bench.conf" export --case "$CASE" --from "$FROM" --to "$TO" \
    -o "$WORK/out-verb" > /dev/null || die "courtrec export failed"
  t1=$(now)
  media=$(ffprobe -v error -show_entries format=duration -of csv=p=0 \
          "$(find "$WORK/out-verb" -name '*.mp4' | head -1)")
  awk -v m="$media" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.3f\n", m, b - a }'
}

note "window $FROM .. $TO (segments $FIRST-$LAST); $ROUNDS rounds"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$WORK/results.txt"
r=1
while [ $r -le "$ROUNDS" ]; do
  for state in cold warm; do
    for who in a b $( [ $HAVE_VERB = 1 ] && echo c ); do
      [ $state = cold ] && evict
      set -- $(run_$who)
      echo "$who $state $1 $2" >> "$WORK/results.txt"
      note "round $r $state $who: $1 s of media in $2 s"
    done
  done
  r=$((r + 1))
done

# The last export is judged: an hour long, starts on a keyframe, bag checks.
DUR=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/out"/data/session-*/session-*.mp4)
awk -v d="$DUR" 'BEGIN { exit !(d > 3599 && d < 3601.1) }' || die "export is $DUR s, not one hour"
(cd "$WORK/out" && sha256sum --quiet --strict -c manifest-sha256.txt) || die "manifest does not check"
FIRST_FLAGS=$(ffprobe -v error -select_streams v -show_entries packet=flags -read_intervals %+#1 \
              -of csv=p=0 "$WORK/out"/data/session-*/session-*.mp4)
case $FIRST_FLAGS in K*) ;; *) die "export does not start on a keyframe" ;; esac
MP4_BYTES=$(stat -c %s "$WORK/out"/data/session-*/session-*.mp4)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

{
echo
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load average $LOAD_START at start, $LOAD_END at end"
echo "archive: $SEGMENTS x 600 s segments, $ARCHIVE_BYTES bytes; window $FROM .. $TO"
echo "export MP4: $DUR s, $MP4_BYTES bytes (ffprobe; manifest checked; opens on a keyframe)"
echo
printf '%-44s %-5s %10s %10s %10s\n' "what" "cache" "median s" "min s" "x real"
for who in a b c; do
  for state in cold warm; do
    awk -v w=$who -v s=$state '$1 == w && $2 == s { print $4, $3 }' "$WORK/results.txt" \
      | sort -n > "$WORK/sel.txt"
    [ -s "$WORK/sel.txt" ] || continue
    n=$(wc -l < "$WORK/sel.txt")
    med=$(awk -v n="$n" 'NR == int((n + 1) / 2) { print $1 }' "$WORK/sel.txt")
    min=$(head -1 "$WORK/sel.txt" | cut -d' ' -f1)
    media=$(head -1 "$WORK/sel.txt" | cut -d' ' -f2)
    case $who in
      a) label="A cr_export_package (whole bag)" ;;
      b) label="B ffmpeg -f concat -c copy +faststart" ;;
      c) label="C courtrec export" ;;
    esac
    printf '%-44s %-5s %10.2f %10.2f %10.0f\n' "$label" "$state" "$med" "$min" \
      "$(awk -v m="$media" -v t="$med" 'BEGIN { print m / t }')"
    echo "$who $state $med" >> "$WORK/medians.txt"
  done
done
for state in cold warm; do
  a=$(awk -v s=$state '$1 == "a" && $2 == s { print $3 }' "$WORK/medians.txt")
  b=$(awk -v s=$state '$1 == "b" && $2 == s { print $3 }' "$WORK/medians.txt")
  printf 'ratio A/B time, %s: %.2f\n' "$state" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
done
echo
echo "A: $WORK/export-window $WORK/bench.conf '$CASE' OUT $FROM $TO"
echo "   = courtrec -c CONF export --case '$CASE' --from $FROM --to $TO -o OUT"
echo "B: ffmpeg -f concat -safe 0 -i LIST -c copy -movflags +faststart OUT.mp4"
} | tee "$OUT/summary.txt"
cp "$WORK/results.txt" "$WORK/segments.txt" "$OUT/"
note "figures in $OUT"
