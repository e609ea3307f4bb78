# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/room-lib.sh: the benchmarks' courtrooms (sourced, not run).

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
