#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/api-latency.sh BUILD_DIR: the control API's latency while a crowd
# floods the public page, against the same API quiet, in one run.
#
#   sh bench/api-latency.sh build
#
# courtrecd records the demo courtroom (config/courtrec.conf.example: three
# test cameras at 1280x720, two microphones) with its public listener's
# per-client limits raised out of the way, as behind a reverse proxy that
# relays every viewer from one address: the worst case for the daemon,
# which then serves every request rather than answering 429. Each round,
# interleaved: QUIET, BENCH_REQUESTS sequential GET /api/v1/status with the
# token, each timed; FLOOD, the same while BENCH_VIEWERS clients poll
# /live/ROOM/state.json as fast as they are answered. Prints the median and
# 99th percentile of each and their ratio, and what the recording lost
# (segments checked by ffprobe afterwards: duration against the index).
#
# Environment: BENCH_ROUNDS (3), BENCH_REQUESTS (300), BENCH_VIEWERS (200).
# Starts only its own processes and stops them by PID; removes its temp dir.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=${1:-build}
ROUNDS=${BENCH_ROUNDS:-3}
REQUESTS=${BENCH_REQUESTS:-300}
VIEWERS=${BENCH_VIEWERS:-200}
work=$(mktemp -d)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
api_port=$(free_port)
public_port=$(free_port)
sed -e "s|^dir = .*|dir = $work/storage|" \
    -e "s|^token_file = .*|token_file = $work/api-token|" \
    -e "s|^key_file = .*|key_file = $work/device-key|" \
    -e "s|^listen = 127.0.0.1:8780|listen = 127.0.0.1:$api_port|" \
    -e "s|^listen = 127.0.0.1:8781|listen = 127.0.0.1:$public_port|" \
    -e "s|^max_connections_per_client = .*|max_connections_per_client = 65536|" \
    -e "s|^requests_per_second_per_client = .*|requests_per_second_per_client = 100000|" \
    -e "s|^segment_seconds = .*|segment_seconds = 10|" \
    config/courtrec.conf.example > "$work/room.conf"
room=$(sed -n 's/^id = //p' "$work/room.conf" | head -1)

"$B/courtrecd" -c "$work/room.conf" > "$work/courtrecd.log" 2>&1 &
daemon=$!
for _ in $(seq 50); do
	[ -f "$work/api-token" ] && "$B/courtrec" -c "$work/room.conf" status >/dev/null 2>&1 && break
	sleep 0.2
done
"$B/courtrec" -c "$work/room.conf" start --case '（2026）浙1022民初1号' >/dev/null
token=$(cat "$work/api-token")

# Times @1 sequential status requests; prints one latency (ms) a line.
time_status() {
	python3 - "$api_port" "$token" "$1" <<'EOF'
import http.client, sys, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for _ in range(n):
    start = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/api/v1/status", headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); r.read(); c.close()
    assert r.status == 200, r.status
    print("%.3f" % ((time.perf_counter() - start) * 1000))
EOF
}

stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { p = int(NR * 0.99); if (p < 1) p = 1; printf "%.2f %.2f\n", v[int((NR + 1) / 2)], v[p] }'
}

printf "%-6s %-8s %10s %10s\n" round phase median_ms p99_ms
for r in $(seq "$ROUNDS"); do
	time_status "$REQUESTS" > "$work/quiet-$r"
	printf "%-6s %-8s %10s %10s\n" "$r" quiet $(stats "$work/quiet-$r")
	python3 tests/fixtures/http-flood.py flood "$daemon" "$public_port" \
		"/live/$room/state.json" 600 "$VIEWERS" > "$work/flood-$r.json" &
	flood=$!
	sleep 2
	time_status "$REQUESTS" > "$work/loaded-$r"
	kill "$flood" 2>/dev/null || true
	wait "$flood" 2>/dev/null || true
	printf "%-6s %-8s %10s %10s\n" "$r" flood $(stats "$work/loaded-$r")
done
cat "$work"/quiet-* > "$work/quiet"
cat "$work"/loaded-* > "$work/loaded"
set -- $(stats "$work/quiet") $(stats "$work/loaded")
echo "all rounds: quiet median $1 ms p99 $2 ms; under the flood median $3 ms p99 $4 ms"
awk -v a="$3" -v b="$1" -v c="$4" -v d="$2" 'BEGIN { printf "ratio flood/quiet: median %.2fx, p99 %.2fx\n", a / b, c / d }'

"$B/courtrec" -c "$work/room.conf" stop >/dev/null
sleep 3
# The recording: every segment decodes to its indexed length.
for f in $(find "$work/storage/recordings" -name '*.mkv' | sort); do
	d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
	echo "segment $(basename "$f"): ${d}s"
done
sqlite3 "$work/storage/index.db" "select count(*), sum(duration_us)/1e6 from segments" |
	awk -F'|' '{ printf "index: %d segments, %.1f s recorded\n", $1, $2 }'
grep -c "gap\|lost" "$work/courtrecd.log" | awk '{ print "log lines about gaps or lost inputs: " $1 }'
