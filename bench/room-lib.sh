# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/room-lib.sh: the benchmarks' courtrooms and their courtrecd
# (sourced, not run). The sourcing script defines die and note, sets B,
# the directory of courtrecd and courtrec, and keeps in PIDS the processes
# it started and has not reaped.

# Issue 3's reference courtroom: the example config's room, storage, video
# (1280x720 at 25 fps, 2000 kbit/s) and audio groups, with layout = grid,
# tracks = mix+each and four cameras (640x360 tiles: the inputs deliver the
# grid's tile size) and four microphones, printed on stdout. The sources are
# the built-in test ones unless given, one word per seat in the order judge,
# plaintiff, defendant, witness (e.g. "test:sync test test rtsp://..."); a
# file: source loops.
reference_room () {  # EXAMPLE [CAMERA_SOURCES [MICROPHONE_SOURCES]]
  awk '/^\[camera /{ exit } /^(layout|tracks) *=/ { next } { print }
       /^\[video\]/ { print "layout = grid" } /^\[audio\]/ { print "tracks = mix+each" }' "$1"
  for kind in camera microphone; do
    if [ "$kind" = camera ]; then srcs=${2:-test test test test}; else srcs=${3:-test test test test}; fi
    for who in judge:审判长 plaintiff:原告 defendant:被告 witness:证人; do
      src=${srcs%% *}; srcs=${srcs#* }
      printf '[%s %s]\nsource = %s\nlabel = %s\n' "$kind" "${who%%:*}" "$src" "${who#*:}"
      # A bench records longer than its clips.
      case $src in file:*) echo 'loop = true' ;; esac
      echo
    done
  done
  printf '[api]\nlisten = 127.0.0.1:8780\ntoken_file = api-token\n'
}

# Starts courtrecd -c CONF, its output appended to LOG, and waits up to
# 30 s for its API to answer. Sets COURTRECD to its PID, also added to PIDS
# at once so that the bench's clean-up stops it however the wait ends.
courtrecd_up () {  # CONF LOG
  "$B/courtrecd" -c "$1" >>"$2" 2>&1 &
  COURTRECD=$!; PIDS="${PIDS:-} $COURTRECD"
  i=0
  until "$B/courtrec" -c "$1" status >/dev/null 2>&1; do
    kill -0 "$COURTRECD" 2>/dev/null || die "courtrecd exited at start-up; see $2"
    i=$((i + 1)); [ "$i" -lt 300 ] || die "courtrecd's API did not answer in 30 s; see $2"
    sleep 0.1
  done
}

# The processes of a run: $1 no longer to be killed at exit.
forget_pid () {
  rest=""
  for p in $PIDS; do [ "$p" = "$1" ] || rest="$rest $p"; done
  PIDS=$rest
}

# Waits up to $2 seconds for PID $1 to exit; then kills it. Reaps it.
stop_pid () {
  i=0
  while kill -0 "$1" 2>/dev/null && [ "$i" -lt "$(($2 * 10))" ]; do
    sleep 0.1; i=$((i + 1))
  done
  if kill -0 "$1" 2>/dev/null; then
    note "PID $1 did not exit within $2 s; killing it"
    kill -KILL "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

# utime+stime of every thread of PID $1, in clock ticks. The command name
# (field 2) is in parentheses and may hold spaces: cut up to the last ')'.
cpu_ticks () {
  sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
