# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/stream-lib.sh: what the streaming and metrics benchmarks share
# (sourced, not run): messages, their own temporary directory and processes (stopped by
# PID on exit), free ports, CPU ticks, and an nginx with its RTMP module.
# The sourcing script sets BENCH_NAME first.

RTMP_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so

die () { echo "$BENCH_NAME: FAILED: $*" >&2; exit 1; }
note () { echo "$BENCH_NAME: $(date -u +%H:%M:%S) $*" >&2; }

# TMP, a directory of the bench's own; PIDS, the processes it started.
# Both are cleaned up on exit, however it ends.
bench_begin () {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/courtrec-$BENCH_NAME.XXXXXX")
  PIDS=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup () {
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in $PIDS; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}

forget_pid () {
  rest=""
  for p in $PIDS; do [ "$p" = "$1" ] || rest="$rest $p"; done
  PIDS=$rest
}

stop_pid () {  # PID SIGNAL SECONDS
  kill "-$2" "$1" 2>/dev/null || true
  i=0
  while kill -0 "$1" 2>/dev/null && [ "$i" -lt "$(($3 * 10))" ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cpu_ticks () { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
now_ns () { date +%s%N; }

# Starts nginx with its RTMP module on a free port of 127.0.0.1
# (rtmp://127.0.0.1:NPORT/live/KEY); sets NPORT and NGINX (its PID); its
# output goes to $1.
start_nginx () {  # LOG
  NPORT=$(free_port)
  mkdir -p "$TMP/nginx/logs"
  cat > "$TMP/nginx/nginx.conf" <<CONF
load_module $RTMP_MODULE;
daemon off;
master_process off;
error_log $TMP/nginx/logs/error.log info;
pid $TMP/nginx/nginx.pid;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:$NPORT; chunk_size 4096;
                application live { live on; record off; } } }
CONF
  nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >"$1" 2>&1 &
  NGINX=$!; PIDS="$PIDS $NGINX"
  wait_listen "$NPORT" "$NGINX" nginx "$1"
}

# Waits up to 5 s for process PID (WHAT, logging to LOG) to listen on TCP
# port PORT of this machine.
wait_listen () {  # PORT PID WHAT LOG
  i=0
  until [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; do
    kill -0 "$2" 2>/dev/null || die "$3 did not start; see $4"
    i=$((i + 1)); [ "$i" -lt 50 ] || die "$3 did not listen on $1"
    sleep 0.1
  done
}
