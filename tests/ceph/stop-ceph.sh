#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# stop-ceph.sh DIR: ends the daemons tests/ceph/start-ceph.sh started in
# DIR, by the PIDs it wrote there (SIGKILL: the store is thrown away), and
# removes DIR. Safe on a DIR already half gone.
set -u
DIR=${1:?usage: stop-ceph.sh DIR}
[ -d "$DIR" ] || exit 0

alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$state" != Z ] && [ "$state" != X ]
}

pids=""
for name in rgw osd mon; do
	[ -f "$DIR/run/$name.pid" ] || continue
	pid=$(cat "$DIR/run/$name.pid")
	case "$pid" in ''|*[!0-9]*) continue ;; esac
	kill -KILL "$pid" 2>/dev/null && pids="$pids $pid"
done
# Wait (at most 5 s) until they are gone or zombies, so that the block
# file is no longer held open when it is removed.
i=0
for pid in $pids; do
	while alive "$pid" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
done
rm -rf "$DIR"
