#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# start-ceph.sh DIR: a throw-away single-node Ceph (one monitor, one OSD on
# a sparse bluestore file, one RADOS Gateway on 127.0.0.1) in DIR, which
# the caller owns and tests/ceph/stop-ceph.sh removes. Debian 12's
# packages, no root needed, no mgr (RGW does not need one). Prints, and
# writes to DIR/env, what a test needs:
#   S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION CEPH_DIR
#   CEPH_MON_PID CEPH_OSD_PID CEPH_RGW_PID
# Run again on a DIR that holds a cluster, it restarts the OSD and the
# gateway if they are dead (a fault test revives what it killed) and prints
# the same lines. Exit 77 with a "skipped:" line when the packages are not
# installed (scripts/install-deps.sh installs them): never a fake store.
# The sequence and its settings are the measured ones: about 4 s on a quiet
# 2-core machine, about 105 MiB of memory at idle.
set -eu

DIR=${1:?usage: start-ceph.sh DIR}
TIMEOUT=${CEPH_START_TIMEOUT:-60}

for tool in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph python3 curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "start-ceph: skipped: $tool is not installed (Debian: ceph-mon ceph-osd" \
		     "radosgw ceph-common, see scripts/install-deps.sh)" >&2
		exit 77
	fi
done

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CONF=$DIR/ceph.conf
export CEPH_CONF=$CONF

# alive PID: kill -0 counts a zombie as alive; a killed daemon stays one
# for a second or two until init reaps it.
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$state" != Z ] && [ "$state" != X ]
}

elapsed() { echo $(( $(date +%s) - START )); }
START=$(date +%s)

fail() {
	echo "start-ceph: $*" >&2
	for log in "$DIR"/log/*.log; do
		[ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }
	done
	exit 1
}

# start_daemon NAME CMD...: runs a daemon in the foreground of a process of
# its own, detached from the caller's output, its PID in DIR/run/NAME.pid.
start_daemon() {
	name=$1; shift
	setsid "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
	echo $! >"$DIR/run/$name.pid"
}

wait_osd_active() {
	while ! grep -q 'state: booting -> active' "$DIR/log/osd.0.log" 2>/dev/null; do
		alive "$(cat "$DIR/run/osd.pid")" || fail "the OSD died while starting"
		[ "$(elapsed)" -lt "$TIMEOUT" ] || fail "the OSD not up after ${TIMEOUT}s"
		sleep 0.05
	done
}

start_rgw() {
	start_daemon rgw radosgw -c "$CONF" -n client.rgw.a -f
	until curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/"; do
		alive "$(cat "$DIR/run/rgw.pid")" || fail "radosgw died while starting"
		[ "$(elapsed)" -lt "$TIMEOUT" ] || fail "radosgw not answering after ${TIMEOUT}s"
		sleep 0.05
	done
}

print_env() {
	{
		echo "S3_ENDPOINT=http://127.0.0.1:$RGW_PORT"
		echo "S3_ACCESS_KEY=$ACCESS_KEY"
		echo "S3_SECRET_KEY=$SECRET_KEY"
		echo "S3_REGION=us-east-1"
		echo "CEPH_DIR=$DIR"
		echo "CEPH_MON_PID=$(cat "$DIR/run/mon.pid")"
		echo "CEPH_OSD_PID=$(cat "$DIR/run/osd.pid")"
		echo "CEPH_RGW_PID=$(cat "$DIR/run/rgw.pid")"
	} >"$DIR/env.new"
	mv "$DIR/env.new" "$DIR/env"
	cat "$DIR/env"
}

if [ -f "$DIR/env" ]; then
	# Revive: the monitor holds the cluster map; without it start afresh.
	. "$DIR/env"
	alive "$CEPH_MON_PID" || fail "the monitor of $DIR is dead: stop-ceph.sh it and start afresh"
	RGW_PORT=${S3_ENDPOINT##*:}
	ACCESS_KEY=$S3_ACCESS_KEY
	SECRET_KEY=$S3_SECRET_KEY
	if ! alive "$CEPH_OSD_PID"; then
		: >"$DIR/log/osd.0.log"
		start_daemon osd ceph-osd -c "$CONF" -i 0 -f
		wait_osd_active
	fi
	alive "$CEPH_RGW_PID" || start_rgw
	print_env
	exit 0
fi

mkdir -p "$DIR/run" "$DIR/log" "$DIR/crash" "$DIR/mon.a" "$DIR/osd.0" "$DIR/rgw"
# Two free ports, chosen by the kernel (two clusters at once work).
set -- $(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
MON_PORT=$1
RGW_PORT=$2
FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ACCESS_KEY=CR$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
SECRET_KEY=$(head -c 30 /dev/urandom | base64 | tr -d '\n/+=')

cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:$MON_PORT
mon_initial_members = a
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_bind_msgr1 = false
ms_bind_msgr2 = true
# radosgw's built-in default (secure) cannot be met with auth none: it
# would hunt for the monitor for 300 s.
ms_mon_client_mode = crc
ms_client_mode = crc
ms_cluster_mode = crc
ms_service_mode = crc
# The default 1 s makes every pool create and the OSD boot wait a second.
paxos_propose_interval = 0.05
run_dir = $DIR/run
pid_file = $DIR/run/\$name.daemonpid
admin_socket = $DIR/run/\$name.asok
log_file = $DIR/log/\$name.log
crash_dir = $DIR/crash
log_to_stderr = false
err_to_stderr = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_osd_full_ratio = .99
mon_osd_backfillfull_ratio = .98
mon_osd_nearfull_ratio = .97
mon_allow_pool_delete = true
[mon]
mon_data = $DIR/mon.\$id
[osd]
osd_data = $DIR/osd.\$id
osd_objectstore = bluestore
# A sparse file, not a loop device: no root needed. Its path stays the
# default (pointing it at \$osd_data/block makes bluestore link it to itself).
bluestore_block_create = true
bluestore_block_size = 21474836480
osd_memory_target = 939524096
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw_thread_pool_size = 32
rgw_init_timeout = 60
rgw_data = $DIR/rgw
CONF

monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" \
	"$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >/dev/null 2>&1 ||
	fail "ceph-mon --mkfs failed"
# The OSD's mkfs (bluestore, the longest step) needs no running monitor.
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" --monmap "$DIR/monmap" \
	>"$DIR/log/osd-mkfs.out" 2>&1 &
MKFS_PID=$!
start_daemon mon ceph-mon -c "$CONF" -i a -f

# One ceph shell for every command: one Python start and one session.
{
	echo "osd new $OSD_UUID 0"
	for pool in .rgw.root default.rgw.control default.rgw.meta default.rgw.log \
	            default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
		echo "osd pool create $pool 8 8"
		echo "osd pool application enable $pool rgw"
	done
} | timeout "$TIMEOUT" ceph -c "$CONF" >"$DIR/log/ceph-shell.out" 2>&1 ||
	fail "the monitor did not take the pools (log/ceph-shell.out)"

wait "$MKFS_PID" || fail "ceph-osd --mkfs failed (log/osd-mkfs.out)"
start_daemon osd ceph-osd -c "$CONF" -i 0 -f
wait_osd_active
start_rgw
radosgw-admin -c "$CONF" user create --uid=courtrec-test --display-name="courtrec test" \
	--access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$DIR/log/user.out" 2>&1 ||
	fail "radosgw-admin user create failed (log/user.out)"
print_env
