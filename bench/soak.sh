#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/soak.sh HOURS [BUILD_DIR]: the reference courtroom recording for
# HOURS hours under traffic, camera losses and crashes.
#
#   sh bench/soak.sh 2 build                 (a two-hour soak)
#   SOAK_CAMERA_MINUTES=1 SOAK_KILL_MINUTES=2 SOAK_TABLE_MINUTES=1 \
#   SOAK_SEGMENT_SECONDS=60 SOAK_SETTLE_SECONDS=30 sh bench/soak.sh 0.1 build
#                                            (a six-minute try)
#   sh bench/soak.sh --report RESDIR         (the table again from RESDIR)
#
# The room is issue 3's reference courtroom (bench/room-lib.sh: four cameras
# composed 2x2 into 1280x720 at 25 fps, four microphones, tracks =
# mix+each), with these sources: the judge's camera and microphone are
# test:sync (a white flash and a 1 kHz beep on every second of the system
# clock, bench/sync-lib.sh), the witness's camera is an RTSP camera
# (tests/fixtures/rtsp-camera.py) that this script takes away and brings
# back, the others are the built-in test sources. The public page and its
# HLS are on ([public] listen, [live] hls = true, the case approved for
# broadcast).
#
# While it records:
#   traffic   a viewer polling /live/ROOM/state.json and the HLS playlist
#             every 2 s and the page and the snapshot every 10 s; a console
#             polling /api/v1/status every 2 s; every 10 minutes a burst of
#             tests/fixtures/http-flood.py (200 requests of each kind, 8 at
#             a time). Every answer's status code goes to traffic.txt.
#   camera    every SOAK_CAMERA_MINUTES (10) the RTSP camera is killed and
#             comes back SOAK_CAMERA_DOWN_SECONDS (60) later, first at half
#             the interval.
#   crash     every SOAK_KILL_MINUTES (60) courtrecd gets `kill -9` and is
#             started again at once, as systemd's Restart=always would, first
#             at half the interval (a two-hour soak crashes twice). A restart
#             that does not resume the hearing is logged and the hearing
#             started again.
#   samples   every SOAK_SAMPLE_SECONDS (30): courtrecd's RSS (VmRSS),
#             open descriptors (/proc/PID/fd), threads and CPU ticks
#             (utime+stime, all threads), and the load average.
#   media     each closed segment (SOAK_SEGMENT_SECONDS, 600) is measured as
#             it closes, by a niced worker: the wall time of every video
#             frame (the segment's started_at in the index plus the packet's
#             time), the flash/beep offset on every second (the judge's tile,
#             cropped, against the judge's own microphone track a:1), and
#             ffmpeg's decoding errors on both.
#
# Writes to SOAK_OUT (bench/out/soak-STAMP; bench/out/soak-latest points to
# it): samples.txt, frames.txt, pairs.txt, marks.txt (the kills and camera
# losses, with times), traffic.txt, events.txt (the session's events from
# the index), decode-errors.txt, and report.txt: one row per
# SOAK_TABLE_MINUTES (10) and a summary with a linear extrapolation to an
# 8-hour trial day. SOAK_KEEP=1 keeps the recordings in SOAK_OUT/store.
#
# Exits 0 whatever the figures (a measurement, not a test); exits 1 if
# courtrecd cannot be started or gives no API, or nothing was recorded.
# Starts only its own processes, on free ports of 127.0.0.1 and a temp dir
# of its own, and stops them by PID.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BENCH_NAME=soak
. bench/stream-lib.sh
. bench/room-lib.sh
. bench/sync-lib.sh

HZ=$(getconf CLK_TCK)
FPS=25
TABLE=$((${SOAK_TABLE_MINUTES:-10} * 60))
SETTLE=${SOAK_SETTLE_SECONDS:-300}

# --- the report --------------------------------------------------------------

# Prints the table and the summary from the files in RES.
report () {  # RES
  res=$1
  # shellcheck disable=SC1091
  . "$res/params.txt"
  TZ=UTC awk -v hz="$HZ" -v fps="$FPS" -v tab="$TABLE" -v settle="$SETTLE" \
      -v t0="$T0" -v tend="$TEND" -v rec0="$REC0" -v rec1="$REC1" '
    function median(a, n,   i, j, t) {
      if (n == 0) return "nan"
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
    function win(t) { return int((t - t0) / tab) }
    # lifetime of the process at wall time t: the number of kills before it
    function life(t,   i, n) { n = 0; for (i = 1; i <= nk; i++) if (kill[i] <= t) n++; return n }
    FILENAME ~ /marks.txt$/ {
      if ($2 == "kill") kill[++nk] = $1
      if ($2 == "died") died[++nd] = $1
      if ($2 == "camera-down") cdown[++ncd] = $1
      if ($2 == "camera-up") cup[++ncu] = $1
      mt[++nm] = $1; mk[nm] = $2
      ev[win($1)] = ev[win($1)] ($2 == "kill" ? "K" : $2 == "died" ? "D" : $2 == "camera-down" ? "c" : $2 == "camera-up" ? "C" : $2 == "restarted-hearing" ? "S" : "")
      next }
    FILENAME ~ /samples.txt$/ {
      # time pid rss_kb fds threads ticks load1
      w = win($1)
      rss[w] = $3; if ($3 > rssmax[w]) rssmax[w] = $3; if ($4 > fdmax[w]) fdmax[w] = $4
      if ($5 > thmax[w]) thmax[w] = $5
      if ($2 == lastpid) cpu[w] += ($6 - lastticks) / hz
      else if (lastpid != "") cpu[w] += $6 / hz
      lastpid = $2; lastticks = $6; load[w] = $7
      ns++; st[ns] = $1; srss[ns] = $3 / 1024; sfd[ns] = $4; spid[ns] = $2
      if (!($2 in born)) born[$2] = $1
      if (ns == 1) { rss_first = $3 / 1024; fd_first = $4 }
      rss_last = $3 / 1024; fd_last = $4
      if ($3 / 1024 > rss_peak) rss_peak = $3 / 1024; if ($4 > fd_peak) fd_peak = $4
      totcpu += ($2 == prevpid ? ($6 - prevticks) : (prevpid == "" ? 0 : $6)) / hz
      prevpid = $2; prevticks = $6
      next }
    FILENAME ~ /frames.txt$/ { nf++; fw[win($1)]++
      if (nf > 1 && $1 - lastf > 2.0 / fps) { ng++; gs[ng] = lastf; gl[ng] = $1 - lastf - 1.0 / fps }
      if (nf == 1) firstf = $1
      lastf = $1; next }
    FILENAME ~ /pairs.txt$/ { w = win($1); c = ++np[w]; po[w, c] = $2
      n++; x = ($1 - t0) / 3600; y = $2 * 1000
      sx += x; sy += y; sxx += x * x; sxy += x * y
      if (n == 1 || y < ylo) ylo = y; if (n == 1 || y > yhi) yhi = y
      l = life($1); ln[l]++; lx[l] += x; ly[l] += y; lxx[l] += x * x; lxy[l] += x * y
      pt[n] = $1; pv[n] = y
      next }
    FILENAME ~ /events.txt$/ { split($0, e, "|")
      # 2026-12-02T16:50:39.948Z, UTC (TZ=UTC for mktime)
      gsub(/[-T:Z]/, " ", e[1]); split(e[1], d, " ")
      at = mktime(d[1] " " d[2] " " d[3] " " d[4] " " d[5] " " int(d[6])) + d[6] - int(d[6])
      if (e[2] == "input-lost" && e[3] ~ /"input":"witness"/) lost[++nlost] = at
      if (e[2] == "input-back" && e[3] ~ /"input":"witness"/) back[++nback] = at
      if (e[2] == "gap") ngapev++
      next }
    FILENAME ~ /traffic.txt$/ { w = win($1); req[w]++
      if ($3 !~ /^[23]/) { bad[w]++; badall++; if ($3 == "000") refused++ } reqall++; next }
    FILENAME ~ /decode-errors.txt$/ { derr++; next }
    END {
      nw = int((tend - t0 + tab - 1) / tab)
      printf "%6s %8s %8s %5s %5s %6s %7s %8s %8s %8s %9s %7s  %s\n", "min", "rss_MB", "rssmax", "fds", "thr", "cpu_%", "load1",
             "frames", "expected", "lost_s", "av_ms", "http_x", "events"
      for (w = 0; w < nw; w++) {
        a0 = t0 + w * tab; a1 = a0 + tab; if (a1 > tend) a1 = tend
        o0 = a0 > rec0 ? a0 : rec0; o1 = a1 < rec1 ? a1 : rec1
        exp_ = o1 > o0 ? (o1 - o0) * fps : 0
        m = np[w]; for (i = 1; i <= m; i++) t[i] = po[w, i]; med = median(t, m)
        printf "%6d %8.1f %8.1f %5d %5d %6.1f %7s %8d %8d %8.1f %9s %7d  %s\n", w * tab / 60, rss[w] / 1024, rssmax[w] / 1024, fdmax[w], thmax[w],
               100 * cpu[w] / (a1 - a0), load[w], fw[w], exp_, (exp_ - fw[w]) / fps,
               med == "nan" ? "-" : sprintf("%+.1f", med * 1000), bad[w], ev[w] }
      print ""
      print "events: K kill -9 and restart, D courtrecd died by itself, c camera taken away, C camera back, S hearing started again after a restart"
      print "http_x: answers not 2xx/3xx (000: no answer, e.g. while courtrecd restarted)"
      print ""
      wall = rec1 - rec0; media = nf / fps
      printf "ran %.2f h (%s .. %s UTC); recorded %.1f s of wall time; video frames %d = %.1f s; lost %.1f s (%.3f%%)\n",
             (tend - t0) / 3600, strftime("%H:%M:%S", t0, 1), strftime("%H:%M:%S", tend, 1), wall, nf, media, wall - media, 100 * (wall - media) / wall
      killloss = 0; other = 0; nkl = 0
      for (g = 1; g <= ng; g++) {
        near = 0; for (i = 1; i <= nk; i++) if (gs[g] >= kill[i] - 5 && gs[g] <= kill[i] + 5) { near = i; break }
        if (near) { kl[near] += gl[g]; killloss += gl[g] } else other += gl[g]
        printf "  gap %s UTC %.2f s%s\n", strftime("%H:%M:%S", gs[g], 1), gl[g], near ? " (kill -9 #" near ")" : ""
      }
      for (i = 1; i <= nk; i++) printf "  kill -9 #%d at %s UTC: %.2f s of video lost\n", i, strftime("%H:%M:%S", kill[i], 1), kl[i]
      printf "  gaps: %d; at the kills %.2f s, elsewhere %.2f s; edges (start %.2f s, stop %.2f s); decode errors %d\n",
             ng, killloss, other, firstf - rec0, rec1 - lastf, derr
      # RSS and descriptors: least-squares slope within each process lifetime
      # (a kill starts from zero), after SETTLE seconds of each.
      for (i = 1; i <= ns; i++) {
        p = spid[i]; if (st[i] - born[p] < settle) continue
        x = (st[i] - born[p]) / 3600
        qn[p]++; qx[p] += x; qxx[p] += x * x; qr[p] += srss[i]; qxr[p] += x * srss[i]; qf[p] += sfd[i]; qxf[p] += x * sfd[i]
      }
      Sxx = 0; Sxr = 0; Sxf = 0; nl = 0
      for (p in qn) { if (qn[p] < 3) continue; nl++
        Sxx += qxx[p] - qx[p] * qx[p] / qn[p]
        Sxr += qxr[p] - qx[p] * qr[p] / qn[p]
        Sxf += qxf[p] - qx[p] * qf[p] / qn[p]
        }
      rs = Sxx > 0 ? Sxr / Sxx : 0; fs = Sxx > 0 ? Sxf / Sxx : 0
      # At 8 h of one lifetime: its mean level, moved along the pooled
      # slope from its mean time; the largest over the lifetimes.
      first = 1
      for (p in qn) { if (qn[p] < 3) continue
        mr = qr[p] / qn[p]; mf = qf[p] / qn[p]; mx = qx[p] / qn[p]
        pr = mr + rs * (8 - mx); pf = mf + fs * (8 - mx)
        if (first || pr > r8) { r8 = pr; r0max = mr }
        if (first || pf > f8) { f8 = pf; f0max = mf }
        first = 0 }
      printf "RSS: first %.1f MB, last %.1f MB, peak %.1f MB; within a process lifetime, after %d s: %+.2f MB/h (%d lifetimes)\n",
             rss_first, rss_last, rss_peak, settle, rs, nl
      printf "descriptors: first %d, last %d, peak %d; within a lifetime: %+.2f /h\n", fd_first, fd_last, fd_peak, fs
      printf "CPU: %.1f%% of one core on average over the run (%d CPU(s) shared with other work; see load1)\n", 100 * totcpu / (tend - t0), ncpu
      if (n > 1) {
        slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
        LS = 0; LX = 0; for (l in ln) if (ln[l] > 1) { LX += lxx[l] - lx[l] * lx[l] / ln[l]; LS += lxy[l] - lx[l] * ly[l] / ln[l] }
        lslope = LX > 0 ? LS / LX : 0
        printf "A/V offset (beep - flash, the judge): %d pairs, %+.1f..%+.1f ms; slope %+.2f ms/h over the run, %+.2f ms/h within lifetimes\n",
               n, ylo, yhi, slope, lslope
        # Steps: a run of 10 or more pairs within 5 ms of its first, at
        # least 20 ms away from the run before it, with the mark (kill,
        # restart, camera) closest to it within 20 s.
        rv = pv[1]; rs0 = 1; lv = "none"
        for (i = 2; i <= n + 1; i++) {
          if (i <= n && pv[i] - rv <= 5 && rv - pv[i] <= 5) continue
          if (i - rs0 >= 10) {
            if (lv != "none" && (rv - lv >= 20 || lv - rv >= 20)) {
              why = ""; best = 20
              for (j = 1; j <= nm; j++) { dt = pt[rs0] - mt[j]; if ((dt < 0 ? -dt : dt) < best) { best = dt < 0 ? -dt : dt; why = sprintf("%s %+.1f s", mk[j], dt) } }
              nstep++; printf "  A/V step at %s UTC: %+.1f -> %+.1f ms%s\n", strftime("%H:%M:%S", pt[rs0], 1), lv, rv, why != "" ? " (" why ")" : ""
            }
            lv = rv
          }
          if (i <= n) { rv = pv[i]; rs0 = i }
        }
        printf "  A/V steps of 20 ms or more: %d\n", nstep
        # A flash or a beep missing: the frame or buffer of that second from
        # the input did not reach the file (a frame repeated in its place).
        miss = int(nf / fps) - n
        printf "  pairs: %d for %d recorded seconds (%d seconds without a pair)\n", n, int(nf / fps), (miss > 0 ? miss : 0)
      } else print "A/V offset: no flash/beep pairs measured"
      # The camera taken away and back, as the recorder saw it.
      for (i = 1; i <= ncd; i++) {
        for (j = 1; j <= nlost; j++) if (lost[j] >= cdown[i] - 5 && lost[j] <= cdown[i] + 60) { dl[++ndl] = lost[j] - cdown[i]; break }
        for (j = 1; j <= nback; j++) if (i <= ncu && back[j] >= cup[i] - 1 && back[j] <= cup[i] + 120) { db[++ndb] = back[j] - cup[i]; break }
      }
      for (i = 1; i <= ndl; i++) t[i] = dl[i]; mdl = median(t, ndl); for (i = 1; i <= ndl; i++) if (i == 1 || dl[i] > xdl) xdl = dl[i]
      for (i = 1; i <= ndb; i++) t[i] = db[i]; mdb = median(t, ndb); for (i = 1; i <= ndb; i++) if (i == 1 || db[i] > xdb) xdb = db[i]
      printf "camera: taken away %d times; input-lost logged for %d (median %s s, max %s s after), input-back for %d of %d returns (median %s s, max %s s after); gap events in the index: %d\n",
             ncd, ndl, mdl == "nan" ? "-" : sprintf("%.1f", mdl), ndl ? sprintf("%.1f", xdl) : "-", ndb, ncu,
             mdb == "nan" ? "-" : sprintf("%.1f", mdb), ndb ? sprintf("%.1f", xdb) : "-", ngapev
      print ""
      print "extrapolated to an 8-hour trial day (linear, from the slopes above):"
      printf "  RSS %.1f MB after 8 h without a restart (a lifetime'"'"'s mean %.1f MB, %+.2f MB/h)\n", r8, r0max, rs
      printf "  descriptors %.0f after 8 h (a lifetime'"'"'s mean %.1f, %+.2f /h)\n", f8, f0max, fs
      if (n > 1) printf "  A/V offset moves %+.1f ms in 8 h within one lifetime (%+.1f ms on the run'"'"'s slope)\n", lslope * 8, slope * 8
      hrs = wall / 3600
      printf "  frames lost: %.1f s a day with a kill -9 every hour (%.2f s per kill x 8) plus %.1f s elsewhere (%.2f s/h x 8)\n",
             (nk ? killloss / nk : 0) * 8 + other / hrs * 8, nk ? killloss / nk : 0, other / hrs * 8, other / hrs
      printf "  http: %d requests, %d not 2xx/3xx (%d unanswered)\n", reqall, badall, refused
    }' ncpu="$(nproc)" "$res/marks.txt" "$res/samples.txt" "$res/frames.txt" "$res/pairs.txt" "$res/traffic.txt" "$res/decode-errors.txt" "$res/events.txt"
}

if [ "${1:-}" = --report ]; then
  [ -s "${2:-}/params.txt" ] || die "usage: sh bench/soak.sh --report bench/out/soak-STAMP"
  report "$2"
  exit 0
fi

# --- arguments ---------------------------------------------------------------

HOURS=${1:-}
B=${2:-build}
awk -v h="$HOURS" 'BEGIN { exit !(h ~ /^[0-9]+(\.[0-9]+)?$/ && h > 0) }' ||
  { echo "usage: sh bench/soak.sh HOURS [BUILD_DIR]   (HOURS: a number > 0, e.g. 2 or 0.1)" >&2; exit 2; }
DUR=$(awk -v h="$HOURS" 'BEGIN { printf "%d", h * 3600 }')
CAM=$((${SOAK_CAMERA_MINUTES:-10} * 60))
DOWN=${SOAK_CAMERA_DOWN_SECONDS:-60}
KILLI=$((${SOAK_KILL_MINUTES:-60} * 60))
SAMPLE=${SOAK_SAMPLE_SECONDS:-30}
SEG=${SOAK_SEGMENT_SECONDS:-600}
for n in "$CAM" "$DOWN" "$KILLI" "$SAMPLE" "$SEG" "$TABLE" "$SETTLE"; do
  case $n in ''|*[!0-9]*) echo "soak: SOAK_* intervals take whole numbers" >&2; exit 2 ;; esac
done
[ "$CAM" -gt 0 ] && [ "$KILLI" -gt 0 ] && [ "$SAMPLE" -gt 0 ] && [ "$TABLE" -gt 0 ] ||
  { echo "soak: SOAK_CAMERA_MINUTES, SOAK_KILL_MINUTES, SOAK_SAMPLE_SECONDS and SOAK_TABLE_MINUTES must be > 0" >&2; exit 2; }
[ "$DOWN" -lt "$CAM" ] || { echo "soak: SOAK_CAMERA_DOWN_SECONDS must be shorter than SOAK_CAMERA_MINUTES" >&2; exit 2; }
[ -x "$B/courtrecd" ] && [ -x "$B/courtrec" ] || die "$B/courtrecd or $B/courtrec missing: run make first (the soak builds nothing)"
for tool in ffmpeg ffprobe sqlite3 curl python3 awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

bench_begin
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=${SOAK_OUT:-bench/out/soak-$STAMP}
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
for f in samples frames pairs marks traffic decode-errors analyzed; do : > "$RES/$f.txt"; done

# Copies: the tree is shared and may be rebuilt during the soak.
mkdir -p "$TMP/bin"
cp "$B/courtrecd" "$B/courtrec" "$TMP/bin/"
BUILD=$B; B=$TMP/bin
STORE=$TMP/store
[ "${SOAK_KEEP:-0}" = 0 ] || STORE=$RES/store
mkdir -p "$STORE"

APORT=$(free_port); PPORT=$(free_port); RPORT=$(free_port)
CASE='（2026）浙1022民初123号'
CONF=$TMP/courtrec.conf
reference_room config/courtrec.conf.example "test:sync test test rtsp://127.0.0.1:$RPORT/camera" "test:sync test test test" |
  sed -e "s|^dir = .*|dir = $STORE|" \
      -e "s|^key_file = .*|key_file = $TMP/device-key|" \
      -e "s|^segment_seconds = .*|segment_seconds = $SEG|" \
      -e "s|^listen = .*|listen = 127.0.0.1:$APORT|" \
      -e "s|^token_file = .*|token_file = $TMP/api-token|" > "$CONF"
printf '\n[public]\nlisten = 127.0.0.1:%s\n\n[live]\nhls = true\n' "$PPORT" >> "$CONF"
"$B/courtrecd" -c "$CONF" --check-config >/dev/null || die "the soak config $CONF is not valid"
cp "$CONF" "$RES/courtrec.conf"
ROOM=$(sed -n 's/^id *= *//p' "$CONF" | head -1)
LOG=$RES/courtrecd.log

{
  echo "# courtrec soak $STAMP: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "# hours=$HOURS camera_every_s=$CAM camera_down_s=$DOWN kill_every_s=$KILLI sample_s=$SAMPLE segment_s=$SEG build=$BUILD"
  echo "# courtrecd: $(sha256sum "$B/courtrecd" | cut -c1-16) built $(date -u -r "$BUILD/courtrecd" +%Y-%m-%dT%H:%M:%SZ); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo +uncommitted); $(gst-launch-1.0 --version | sed -n 2p)"
} > "$RES/info.txt"

mark () { echo "$(date +%s.%N) $*" >> "$RES/marks.txt"; note "$*"; }

# --- the processes -----------------------------------------------------------

CAMPID=""
camera_up () {
  /usr/bin/python3 tests/fixtures/rtsp-camera.py "$RPORT" >>"$RES/rtsp-camera.log" 2>&1 &
  CAMPID=$!; PIDS="$PIDS $CAMPID"
  wait_listen "$RPORT" "$CAMPID" "the RTSP camera" "$RES/rtsp-camera.log"
}
camera_down () { stop_pid "$CAMPID" KILL 5; CAMPID=""; }

PID=""
daemon_up () { courtrecd_up "$CONF" "$LOG"; PID=$COURTRECD; echo "$PID" > "$RES/courtrecd.pid"; }

recording () { "$B/courtrec" -c "$CONF" status --json 2>/dev/null | grep -q '"state" *: *"recording"'; }

# After a crash the hearing resumes by itself (README); if it did not, say
# so in marks.txt and start it again, so that the soak goes on recording.
resumed () {
  i=0
  while ! recording; do
    i=$((i + 1))
    if [ "$i" -ge 100 ]; then
      mark restarted-hearing "courtrecd did not resume the hearing within 10 s of its restart"
      "$B/courtrec" -c "$CONF" start --case "$CASE" >>"$LOG" 2>&1 || die "courtrec start failed after a restart; see $LOG"
      return
    fi
    sleep 0.1
  done
}

# The public page's viewer and a clerk's console, polling; one line per
# answer: TIME KIND CODE.
get () {  # KIND URL [CURL_ARGS...]
  k=$1; u=$2; shift 2
  c=$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$@" "$u" || true)
  echo "$(date +%s) $k ${c:-000}" >> "$RES/traffic.txt"
}
viewer () {
  n=0
  while :; do
    get state "http://127.0.0.1:$PPORT/live/$ROOM/state.json"
    get playlist "http://127.0.0.1:$PPORT/live/$ROOM/index.m3u8"
    if [ $((n % 5)) = 0 ]; then
      get page "http://127.0.0.1:$PPORT/live/$ROOM/"
      get snapshot "http://127.0.0.1:$PPORT/live/$ROOM/snapshot.jpg"
    fi
    n=$((n + 1)); sleep 2
  done
}
console () {
  while :; do
    get status "http://127.0.0.1:$APORT/api/v1/status" -H "Authorization: Bearer $(cat "$TMP/api-token")"
    sleep 2
  done
}
burst () {
  /usr/bin/python3 tests/fixtures/http-flood.py requests "$(cat "$RES/courtrecd.pid")" "$APORT" "$PPORT" \
    "$(cat "$TMP/api-token")" 200 8 >> "$RES/flood.txt" 2>&1 || echo "flood failed at $(date -u +%T)" >> "$RES/flood.txt"
}

# --- measuring the media -----------------------------------------------------

sample () {
  [ -r "/proc/$PID/status" ] || return 0
  s=$(awk '/^VmRSS:/ { r = $2 } /^Threads:/ { t = $2 } END { print r, t }' "/proc/$PID/status" 2>/dev/null) || return 0
  f=$(ls "/proc/$PID/fd" 2>/dev/null | wc -l)
  c=$(cpu_ticks "$PID" 2>/dev/null) || return 0
  set -- $s
  echo "$(date +%s) $PID $1 $f $2 $c $(cut -d' ' -f1 /proc/loadavg)" >> "$RES/samples.txt"
}

# One closed segment: the wall time of each video frame, the flash/beep
# offsets with their wall times, and the decoding errors.
measure_segment () {  # ID STARTED_AT PATH
  f=$STORE/$3; w=$TMP/seg-$1
  t=$(date -u -d "$2" +%s.%N)
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$f" 2>>"$w.err" |
    awk -F, '$1 != "N/A"' | sort -n > "$w.pts"
  first=$(head -1 "$w.pts")
  [ -n "$first" ] || { echo "$1 $3: no video packet" >> "$RES/decode-errors.txt"; return 0; }
  awk -v t="$t" -v f="$first" '{ printf "%.4f\n", t + $1 - f }' "$w.pts" >> "$RES/frames.txt"
  onsets "$f" 0:v:0 video crop=640:360:0:0, > "$w.flashes" 2>>"$w.err"
  onsets "$f" 0:a:1 audio > "$w.beeps" 2>>"$w.err"
  pairs "$w.flashes" "$w.beeps" | awk -v t="$t" -v f="$first" '{ printf "%.4f %.4f\n", t + $1 - f, $2 }' >> "$RES/pairs.txt"
  sed "s|^|$1 $3: |" "$w.err" >> "$RES/decode-errors.txt"
  echo "$1 $2 $3 $(wc -l < "$w.pts") $(wc -l < "$w.flashes") $(wc -l < "$w.beeps")" >> "$RES/analyzed.txt"
  rm -f "$w".*
}

measure_closed () {
  sqlite3 "$STORE/index.db" 'SELECT id, started_at, path FROM segments WHERE closed = 1 AND sha256 IS NOT NULL ORDER BY id' 2>/dev/null |
    while IFS='|' read -r id at path; do
      grep -q "^$id " "$RES/analyzed.txt" || measure_segment "$id" "$at" "$path"
    done
}

WORKER=""
worker_poll () {  # starts a niced measuring pass unless one is running
  if [ -n "$WORKER" ]; then
    [ -e "$TMP/worker.done" ] || return 0
    wait "$WORKER" 2>/dev/null || true; forget_pid "$WORKER"; WORKER=""
  fi
  rm -f "$TMP/worker.done"
  ( renice -n 10 "$(sh -c 'echo $PPID')" >/dev/null 2>&1 || true; measure_closed; : > "$TMP/worker.done" ) &
  WORKER=$!; PIDS="$PIDS $WORKER"
}

# --- the soak ----------------------------------------------------------------

note "results in $RES; API 127.0.0.1:$APORT, public 127.0.0.1:$PPORT, RTSP camera $RPORT"
camera_up
daemon_up
"$B/courtrec" -c "$CONF" broadcast approve --case "$CASE" --by 审判长 >>"$LOG" 2>&1 ||
  die "courtrec broadcast approve failed; see $LOG"
"$B/courtrec" -c "$CONF" start --case "$CASE" >>"$LOG" 2>&1 || die "courtrec start failed; see $LOG"
T0=$(date +%s); REC0=$(date +%s.%N)
mark start "recording for $DUR s (PID $PID)"
viewer & PIDS="$PIDS $!"
console & PIDS="$PIDS $!"

END=$((T0 + DUR))
next_sample=$T0; next_cam=$((T0 + CAM / 2)); next_kill=$((T0 + KILLI / 2))
next_burst=$((T0 + 60)); cam_back=0; next_worker=$((T0 + 60)); BURST=""
while :; do
  now=$(date +%s)
  [ "$now" -lt "$END" ] || break
  if ! kill -0 "$PID" 2>/dev/null; then
    wait "$PID" 2>/dev/null && rc=0 || rc=$?
    forget_pid "$PID"
    mark died "courtrecd exited by itself (status $rc); restarting it"
    daemon_up; resumed
  fi
  if [ "$now" -ge "$next_kill" ] && [ "$now" -lt $((END - 30)) ]; then
    mark kill "kill -9 $PID"
    kill -KILL "$PID"; wait "$PID" 2>/dev/null || true; forget_pid "$PID"
    daemon_up; resumed
    mark restarted "courtrecd back, PID $PID"
    next_kill=$((next_kill + KILLI))
  fi
  if [ "$cam_back" = 0 ] && [ "$now" -ge "$next_cam" ] && [ "$now" -lt $((END - DOWN - 30)) ]; then
    mark camera-down "RTSP camera killed for $DOWN s"; camera_down
    cam_back=$((now + DOWN)); next_cam=$((next_cam + CAM))
  fi
  if [ "$cam_back" != 0 ] && [ "$now" -ge "$cam_back" ]; then
    camera_up; mark camera-up "RTSP camera back"; cam_back=0
  fi
  if [ "$now" -ge "$next_sample" ]; then sample; next_sample=$((next_sample + SAMPLE)); fi
  if [ "$now" -ge "$next_burst" ]; then
    if [ -n "$BURST" ]; then wait "$BURST" 2>/dev/null || true; forget_pid "$BURST"; fi
    burst & BURST=$!; PIDS="$PIDS $BURST"
    next_burst=$((next_burst + 600))
  fi
  if [ "$now" -ge "$next_worker" ]; then worker_poll; next_worker=$((now + 30)); fi
  sleep 1
done

mark stop "courtrec stop"
"$B/courtrec" -c "$CONF" stop >>"$LOG" 2>&1 || note "courtrec stop failed; see $LOG"
REC1=$(date +%s.%N)
i=0
while [ "$(sqlite3 "$STORE/index.db" 'SELECT count(*) FROM segments WHERE closed = 0 OR sha256 IS NULL' 2>/dev/null || echo 1)" != 0 ] &&
      [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sample
TEND=$(date +%s)
stop_pid "$PID" TERM 15
for p in $PIDS; do
  [ "$p" = "$WORKER" ] || stop_pid "$p" TERM 5
done
cat > "$RES/params.txt" <<EOF
FPS=$FPS
TABLE=$TABLE
SETTLE=$SETTLE
T0=$T0
TEND=$TEND
REC0=$REC0
REC1=$REC1
EOF
sqlite3 "$STORE/index.db" 'SELECT at, kind, detail FROM events ORDER BY id' > "$RES/events.txt" || true
sqlite3 "$STORE/index.db" 'SELECT id, session_id, sequence, started_at, duration_us, closed, path FROM segments ORDER BY id' > "$RES/segments.txt"
note "recording stopped; measuring the last segments"
if [ -n "$WORKER" ]; then wait "$WORKER" 2>/dev/null || true; forget_pid "$WORKER"; fi
measure_closed
sort -n -o "$RES/frames.txt" "$RES/frames.txt"
sort -n -o "$RES/pairs.txt" "$RES/pairs.txt"
[ -s "$RES/frames.txt" ] || die "no video frame was recorded; see $LOG"
report "$RES" | tee "$RES/report.txt"
case $RES in "$ROOT"/bench/out/*) rm -f bench/out/soak-latest; ln -s "$(basename "$RES")" bench/out/soak-latest ;; esac
exit 0
