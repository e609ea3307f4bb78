#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/upload.sh [BUILD_DIR]: the uploader's throughput to the court's
# archive, and what uploading costs the recording (issue 14, point 7).
#
#   sh bench/upload.sh build
#   BENCH_BACKLOG_SECONDS=90 BENCH_ROUNDS=2 sh bench/upload.sh build
#
# Starts a throw-away single-node Ceph (tests/ceph/start-ceph.sh: monitor,
# one OSD on bluestore, RADOS Gateway on 127.0.0.1), then:
#
#   backlog  courtrecd records BENCH_BACKLOG_SECONDS (60) of one camera
#            of noise (a file: source made by ffmpeg) at 640x360 and
#            50000 kbit/s, 10 s segments, with no [archive]: the backlog of
#            a room that recorded while its archive was away (about 45 MB a
#            segment, some 250 MB in all). BENCH_BACKLOG_SEGMENT_SECONDS
#            (10) sets its segments' length: from 20 on they pass the
#            uploader's multipart threshold (64 MiB) and go in parts of
#            16 MiB.
#   (a)      courtrecd, not recording, restarted with an [archive upN] that
#            reaches the gateway: its uploader moves the whole backlog
#            (PUT with Content-MD5 and the signed SHA-256, a HEAD each,
#            Object Lock on: canary and COMPLIANCE retention). Throughput =
#            the bytes of every object but the first over the time between
#            the first and the last object verified (the index's
#            verified_at), so that the start (bucket, clock, canary) is not
#            counted. Its reference, in the same run: `curl --aws-sigv4
#            "aws:amz:us-east-1:s3" -T FILE` of the same files with their
#            x-amz-content-sha256, one after the other, into a bucket of its
#            own with Object Lock, each under COMPLIANCE as the uploader's
#            (and again into a plain bucket, for what the lock costs), timed
#            from the end of the first to the end of the last, while the
#            same courtrecd still runs (its room's inputs and picture go on
#            when it does not record, and take a core's fraction).
#            Each round uses a new archive (a new bucket): the whole backlog
#            is queued again. Reported: MB/s of both and the ratio
#            uploader/curl (medians over BENCH_ROUNDS), and the uploader
#            thread's CPU seconds per GB.
#   (b)      issue 3's reference courtroom (bench/room-lib.sh: four test
#            cameras composed into 1280x720 at 25 fps, 2000 kbit/s, four
#            test microphones, tracks = mix+each), 10 s segments, recorded
#            for BENCH_WARMUP (5) + BENCH_SECONDS (15) + 2 s, in two kinds
#            of run, interleaved (rec up up rec ..., BENCH_ROUNDS rounds):
#              rec  no [archive]: nothing is uploaded;
#              up   an [archive bN] of its own (a new bucket, so the whole
#                   backlog is queued again) capped at BENCH_UPLOAD_KBPS
#                   (100000: a 100 Mbit/s link), so that the upload lasts
#                   through the window; the run counts only if objects were
#                   still waiting at the window's end.
#            CPU = utime+stime of courtrecd (all threads) over the window,
#            per media second, and the uploader thread's part of it; the
#            recording's frames are judged by ffprobe on the segments the
#            run wrote: frames lost = the steps between consecutive video
#            timestamps of more than one frame's time, summed in frames.
#            Per-thread CPU of each run in threads-ROUND-KIND.txt.
#            Reported: medians per kind and the ratio up/rec.
#
# Environment: BENCH_BACKLOG_SECONDS (60), BENCH_BACKLOG_SEGMENT_SECONDS
# (10), BENCH_ROUNDS (2), BENCH_SECONDS
# (15), BENCH_WARMUP (5), BENCH_UPLOAD_KBPS (100000). The default run takes
# about 4 minutes. Writes bench/out/upload-STAMP/ (raw.txt, logs).
# Exits 0 whatever the figures (a measurement, not a test), 1 if a process
# fails, an upload does not end or a recording is missing; 77 without Ceph.
#
# Starts only its own processes and stops them by PID; removes its temp dir
# and the cluster.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
BACKLOG=${BENCH_BACKLOG_SECONDS:-60}
BACKLOG_SEGMENT=${BENCH_BACKLOG_SEGMENT_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
W=${BENCH_SECONDS:-15}
WARM=${BENCH_WARMUP:-5}
CAP=${BENCH_UPLOAD_KBPS:-100000}
CASE='（2026）浙1022民初123号'
EXAMPLE=config/courtrec.conf.example
FPS=25
HZ=$(getconf CLK_TCK)
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
. bench/room-lib.sh

die () { echo "bench: FAILED: $*" >&2; exit 1; }
note () { echo "bench: $*" >&2; }

for n in "$BACKLOG" "$BACKLOG_SEGMENT" "$ROUNDS" "$W" "$WARM" "$CAP"; do
  case $n in ''|*[!0-9]*) die "BENCH_BACKLOG_SECONDS, BENCH_BACKLOG_SEGMENT_SECONDS, BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP and BENCH_UPLOAD_KBPS take whole numbers" ;; esac
done
[ "$BACKLOG" -ge 20 ] && [ "$ROUNDS" -ge 1 ] && [ "$W" -ge 5 ] ||
  die "need BENCH_BACKLOG_SECONDS >= 20, BENCH_ROUNDS >= 1 and BENCH_SECONDS >= 5"
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first (the bench builds nothing)"
for tool in ffprobe ffmpeg sqlite3 curl sha256sum awk sed getconf; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/courtrec-bench-upload.XXXXXX")
PIDS=""          # processes started here and not yet reaped

cleanup () {
  for p in $PIDS; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ ! -d "$TMP/ceph" ] || sh tests/ceph/stop-ceph.sh "$TMP/ceph" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# utime+stime of PID $1's threads named "uploader", in clock ticks.
uploader_ticks () {
  n=0
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = uploader ] || continue
    n=$((n + $(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }')))
  done
  echo "$n"
}

# "TID TICKS NAME" for every thread of PID $1.
thread_ticks () {
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "${t##*/}" "$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{ print $12 + $13 }')" \
      "$(tr ' ' '_' < "$t/comm" 2>/dev/null)"
  done 2>/dev/null
}

now_ns () { date +%s%N; }

free_port () {
  p=$((20000 + $$ % 20000 + ${1:-0}))
  while [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; do p=$((p + 1)); done
  echo "$p"
}

q () { sqlite3 "$STORE/index.db" "$1"; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=bench/out/upload-$STAMP
mkdir -p "$OUT"
RAW=$OUT/raw.txt
STORE=$TMP/room/store
PORT=$(free_port)
mkdir -p "$STORE"

# --- the store -------------------------------------------------------------
set +e
sh tests/ceph/start-ceph.sh "$TMP/ceph" > "$TMP/ceph.env" 2> "$OUT/ceph.log"
rc=$?
set -e
if [ "$rc" = 77 ]; then
  grep skipped "$OUT/ceph.log" >&2; exit 77
fi
[ "$rc" = 0 ] || die "the Ceph cluster did not start; see $OUT/ceph.log"
. "$TMP/ceph.env"
printf '%s' "$S3_ACCESS_KEY" > "$TMP/archive.access"
printf '%s' "$S3_SECRET_KEY" > "$TMP/archive.secret"
chmod 600 "$TMP/archive.access" "$TMP/archive.secret"
note "Ceph up at $S3_ENDPOINT"

# The room's config on stdout: issue 3's reference courtroom with the
# bench's storage, or with BACKLOG the noise camera at 50 Mbit/s; an
# [archive NAME] section after, when NAME is given.
room_config () {  # backlog|reference [ARCHIVE_NAME [BANDWIDTH_KBPS]]
  if [ "$1" = backlog ]; then
    reference_room "$EXAMPLE" "file:$TMP/noise.mkv test test test" |
      sed -e '/^\[video\]/,/^\[audio\]/ s/^width = .*/width = 640/' \
          -e '/^\[video\]/,/^\[audio\]/ s/^height = .*/height = 360/' \
          -e '/^\[video\]/,/^\[audio\]/ s/^bitrate_kbps = .*/bitrate_kbps = 50000/' \
          -e 's/^layout = grid/layout = single/'
  else
    reference_room "$EXAMPLE"
  fi | sed -e "s|^id = demo|id = bench-room|" \
           -e "s|^dir = .*|dir = $STORE|" \
           -e "s|^segment_seconds = .*|segment_seconds = $([ "$1" = backlog ] && echo "$BACKLOG_SEGMENT" || echo 10)|" \
           -e "s|^key_file = .*|key_file = $TMP/device-key|" \
           -e "s|^token_file = .*|token_file = $TMP/api-token|" \
           -e "s|^listen = .*|listen = 127.0.0.1:$PORT|"
  [ $# -lt 2 ] || printf '\n[archive %s]\nendpoint = %s\nbucket = bench-%s\nregion = %s\naccess_key_file = %s\nsecret_key_file = %s\nbandwidth_kbps = %s\n' \
    "$2" "$S3_ENDPOINT" "$2" "$S3_REGION" "$TMP/archive.access" "$TMP/archive.secret" "${3:-0}"
}

start_room () {  # CONF LOG
  "$B/courtrecd" -c "$1" --check-config >/dev/null || die "the bench config $1 is not valid"
  courtrecd_up "$1" "$2"
}

stop_room () {  # CONF LOG
  kill -TERM "$COURTRECD" 2>/dev/null || true
  stop_pid "$COURTRECD" 20
}

# Records one session; leaves its id in SESSION. courtrecd must run.
begin_session () {  # CONF LOG
  "$B/courtrec" -c "$1" start --case "$CASE" >>"$2" 2>&1 || die "courtrec start failed; see $2"
  SESSION=$(q "SELECT max(id) FROM sessions")
}

end_session () {  # CONF LOG
  "$B/courtrec" -c "$1" stop >>"$2" 2>&1 || die "courtrec stop failed; see $2"
  i=0
  while [ "$(q "SELECT count(*) FROM segments WHERE session_id = $SESSION AND (closed = 0 OR sha256 IS NULL)")" != 0 ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || die "session $SESSION's segments did not close in 20 s; see $2"
    sleep 0.1
  done
}

# Waits until archive $1 holds at least $2 rows, every one verified.
wait_uploaded () {  # ARCHIVE ROWS TIMEOUT_S LOG
  i=0
  until [ "$(q "SELECT count(*) >= $2 AND sum(state != 'verified') = 0 FROM upload_queue WHERE archive = '$1'")" = 1 ]; do
    i=$((i + 1)); [ "$i" -lt $(($3 * 10)) ] || die "archive $1 was not uploaded in $3 s; see $4"
    sleep 0.1
  done
}

# --- the backlog -----------------------------------------------------------
note "recording the backlog: ${BACKLOG}s of noise at 50 Mbit/s"
ffmpeg -nostdin -v error -f lavfi -i "color=c=gray:s=640x360:r=25:d=10,noise=alls=100:allf=t+u" \
  -c:v libx264 -preset ultrafast -qp 20 -g 50 -pix_fmt yuv420p "$TMP/noise.mkv" ||
  die "ffmpeg could not make the noise clip"
room_config backlog > "$TMP/backlog.conf"
start_room "$TMP/backlog.conf" "$OUT/backlog.log"
begin_session "$TMP/backlog.conf" "$OUT/backlog.log"
sleep "$BACKLOG"
end_session "$TMP/backlog.conf" "$OUT/backlog.log"
i=0
until [ -n "$(q "SELECT sealed_at FROM sessions WHERE id = $SESSION AND sealed_at IS NOT NULL")" ]; do
  i=$((i + 1)); [ "$i" -lt 200 ] || die "the backlog's session was not sealed in 20 s"
  sleep 0.1
done
stop_room
BACKLOG_SESSION=$SESSION
OBJECTS=$(( $(q "SELECT count(*) FROM segments WHERE session_id = $SESSION") + 1 ))
BYTES=$(q "SELECT sum(bytes) FROM segments WHERE session_id = $SESSION")
note "backlog: $((OBJECTS - 1)) segments and a manifest, $((BYTES / 1000000)) MB"

# --- (a) throughput ---------------------------------------------------------
curl_s3 () { curl -sS -f --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$@"; }

run_a () {  # ROUND
  conf=$TMP/a-$1.conf; log=$OUT/a-$1.log
  room_config reference "up$1" > "$conf"
  start_room "$conf" "$log"
  wait_uploaded "up$1" "$OBJECTS" 300 "$log"
  ut=$(uploader_ticks "$COURTRECD")
  # The objects in the order they were verified: "bytes|path|sha256".
  q "SELECT bytes, path, sha256 FROM upload_queue WHERE archive = 'up$1' ORDER BY verified_at" > "$TMP/order"
  us=$(q "SELECT (julianday(max(verified_at)) - julianday(min(verified_at))) * 86400 FROM upload_queue WHERE archive = 'up$1'")
  ub=$(q "SELECT sum(bytes) - (SELECT bytes FROM upload_queue WHERE archive = 'up$1' ORDER BY verified_at LIMIT 1) FROM upload_queue WHERE archive = 'up$1'")
  all=$(q "SELECT sum(bytes) FROM upload_queue WHERE archive = 'up$1'")

  # Like for like: a bucket with Object Lock (so versioned), each PUT
  # under COMPLIANCE, as the uploader's; and a plain bucket beside it.
  lock=$(curl_put_all "bench-curl-$1" lock)
  plain=$(curl_put_all "bench-plain-$1" plain)
  # Only now: courtrecd's room runs its inputs and pictures while it does
  # not record, and curl must share the machine with them as the
  # uploader did.
  stop_room
  awk -v r="$1" -v ub="$ub" -v us="$us" -v cs="$lock" -v ps="$plain" -v ut="$ut" -v hz="$HZ" \
      -v all="$all" -v n="$OBJECTS" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    u = ub / us / 1e6; c = ub / cs / 1e6; p = ub / ps / 1e6
    printf "a %s objects %d mb %.1f uploader_mb_s %.1f uploader_s %.2f curl_mb_s %.1f curl_s %.2f ratio %.2f plain_curl_mb_s %.1f uploader_cpu_s_per_gb %.2f load %s\n",
      r, n, all / 1e6, u, us, c, cs, u / c, p, ut / hz / (all / 1e9), load }' | tee -a "$RAW"
}

# PUTs the files of $TMP/order into a new bucket $1 ("lock": with Object
# Lock, each under COMPLIANCE for a day) with curl, one after the other;
# prints the seconds from the end of the first to the end of the last.
curl_put_all () {  # BUCKET lock|plain
  if [ "$2" = lock ]; then
    curl_s3 -X PUT -H "x-amz-content-sha256: $EMPTY_SHA256" -H "x-amz-bucket-object-lock-enabled: true" \
      "$S3_ENDPOINT/$1" >/dev/null || die "curl could not make the bucket $1"
    until=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
  else
    curl_s3 -X PUT -H "x-amz-content-sha256: $EMPTY_SHA256" "$S3_ENDPOINT/$1" >/dev/null ||
      die "curl could not make the bucket $1"
  fi
  n=0; t1=0
  while IFS='|' read -r bytes path sha; do
    n=$((n + 1))
    if [ "$2" = lock ]; then
      curl_s3 -H "x-amz-content-sha256: $sha" -H "x-amz-object-lock-mode: COMPLIANCE" \
        -H "x-amz-object-lock-retain-until-date: $until" -T "$path" "$S3_ENDPOINT/$1/object-$n" >/dev/null
    else
      curl_s3 -H "x-amz-content-sha256: $sha" -T "$path" "$S3_ENDPOINT/$1/object-$n" >/dev/null
    fi || die "curl could not PUT $path into $1"
    [ "$n" != 1 ] || t1=$(now_ns)
  done < "$TMP/order"
  t2=$(now_ns)
  awk "BEGIN { printf \"%.3f\", ($t2 - $t1) / 1e9 }"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do run_a "$r"; r=$((r + 1)); done

# --- (b) the recording's cost ----------------------------------------------
# "FRAMES LOST MAX_STEP_MS" of the video of FILES: every step between two
# consecutive timestamps longer than 1.5 frames counts its missing frames.
frames () {
  f=0; lost=0; step=0
  for file in "$@"; do
    set -- $(ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$file" |
      sort -g | awk -v fps="$FPS" '$1 != "N/A" { if (n++) { d = $1 - last; if (d > m) m = d
          if (d > 1.5 / fps) lost += int(d * fps + 0.5) - 1 } last = $1 }
        END { printf "%d %d %.0f\n", n, lost, m * 1000 }')
    f=$((f + $1)); lost=$((lost + $2)); [ "$3" -le "$step" ] || step=$3
  done
  echo "$f $lost $step"
}

run_b () {  # ROUND KIND
  conf=$TMP/b-$1-$2.conf; log=$OUT/b-$1-$2.log
  if [ "$2" = up ]; then room_config reference "b$1" "$CAP" > "$conf"
  else room_config reference > "$conf"; fi
  start_room "$conf" "$log"; pid=$COURTRECD
  begin_session "$conf" "$log"
  sleep "$WARM"
  load=$(cut -d' ' -f1 /proc/loadavg)
  thread_ticks "$pid" > "$TMP/threads0"
  c0=$(cpu_ticks "$pid"); u0=$(uploader_ticks "$pid"); t0=$(now_ns)
  sleep "$W"
  c1=$(cpu_ticks "$pid"); u1=$(uploader_ticks "$pid"); t1=$(now_ns)
  thread_ticks "$pid" > "$TMP/threads1"
  # Per thread name: ticks in the window (threads by TID; new ones from 0).
  awk 'NR == FNR { t0[$1] = $2; next } { s[$3] += $2 - ($1 in t0 ? t0[$1] : 0); k[$3]++ }
       END { for (n in s) printf "%s %d %d\n", n, s[n], k[n] }' "$TMP/threads0" "$TMP/threads1" |
    sort -k2,2nr > "$OUT/threads-$1-$2.txt"
  waiting=-
  [ "$2" != up ] || waiting=$(q "SELECT count(*) FROM upload_queue WHERE archive = 'b$1' AND state != 'verified'")
  sleep 2
  end_session "$conf" "$log"
  stop_room
  [ "$2" != up ] || [ "$waiting" -gt 0 ] ||
    die "round $1: the upload ended inside the window (lower BENCH_UPLOAD_KBPS or record a longer backlog)"
  set -- "$1" "$2" $(q "SELECT path FROM segments WHERE session_id = $SESSION ORDER BY sequence" | sed "s|^|$STORE/|")
  [ "$#" -gt 2 ] || die "round $1 $2 wrote no segment; see $log"
  r=$1; k=$2; shift 2
  fr=$(frames "$@")
  awk -v r="$r" -v k="$k" -v c0="$c0" -v c1="$c1" -v u0="$u0" -v u1="$u1" -v t0="$t0" -v t1="$t1" \
      -v hz="$HZ" -v load="$load" -v fr="$fr" -v w="$waiting" 'BEGIN {
    s = (t1 - t0) / 1e9; split(fr, f, " ")
    printf "b %s %s cpu_per_s %.3f uploader_per_s %.3f frames %d lost %d max_step_ms %d waiting %s load %s\n",
      r, k, (c1 - c0) / hz / s, (u1 - u0) / hz / s, f[1], f[2], f[3], w, load }' | tee -a "$RAW"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
  if [ $((r % 2)) = 1 ]; then run_b "$r" rec; run_b "$r" up
  else run_b "$r" up; run_b "$r" rec; fi
  r=$((r + 1))
done

median () { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field () { awk -v k="$1" -v f="$2" '$1 == "b" && $3 == k { for (i = 4; i < NF; i++) if ($i == f) print $(i + 1) }' "$RAW"; }
afield () { awk -v f="$1" '$1 == "a" { for (i = 3; i < NF; i++) if ($i == f) print $(i + 1) }' "$RAW"; }
awk -v u="$(afield uploader_mb_s | median)" -v c="$(afield curl_mb_s | median)" \
    -v r="$(afield ratio | median)" -v g="$(afield uploader_cpu_s_per_gb | median)" \
    -v p="$(afield plain_curl_mb_s | median)" 'BEGIN {
  printf "throughput (medians): uploader %.1f MB/s, curl %.1f MB/s (%.1f into a plain bucket), ratio uploader/curl %.2f; the uploader thread %.2f CPU s per GB\n", u, c, p, r, g }' | tee -a "$RAW"
REC_CPU=$(field rec cpu_per_s | median); UP_CPU=$(field up cpu_per_s | median)
UPL_CPU=$(field up uploader_per_s | median)
REC_LOST=$(field rec lost | awk '{ s += $1 } END { print s + 0 }')
UP_LOST=$(field up lost | awk '{ s += $1 } END { print s + 0 }')
awk -v rc="$REC_CPU" -v uc="$UP_CPU" -v ul="$UPL_CPU" -v rl="$REC_LOST" -v ulost="$UP_LOST" -v cap="$CAP" 'BEGIN {
  printf "recording: %.3f CPU s per s without uploading, %.3f while uploading at %d kbit/s (uploader thread %.3f), ratio %.2f; frames lost %d without, %d with\n",
    rc, uc, cap, ul, uc / rc, rl, ulost }' | tee -a "$RAW"
note "raw figures in $RAW"
