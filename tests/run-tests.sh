#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs what each BUILD directory holds (default: build) and ends with ONE
# line "N passed, N failed" over all of them:
#   BUILD/tests/test-*       GTest binaries, with TAP output
#   BUILD/tests/fuzz/fuzz-*  libFuzzer targets, through tests/fuzz/run-fuzz.sh
#                            (FUZZ_SECONDS each)
# so that `run-tests.sh build build-asan build-fuzz` is the whole of CI.
# With FUZZ_ALONGSIDE=1 the fuzz targets run one after the other in the
# background, at idle priority (SCHED_IDLE), while the test binaries run:
# the tests are mostly real-time pipelines that leave a core idle, the
# fuzzers take only that, and their reports are counted at the end.
# With CR_TEST_LANES=2 each build runs in a lane of its own, side by side.
# Set CR_TEST_FILTER to a substring of a binary's name to run only those.
set -u
cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- build
export CR_TOP="$(pwd)"
# Criticals and warnings abort a test: a warning in a recorder is a bug.
export G_DEBUG=fatal-criticals
export LC_ALL=C.UTF-8

# The sanitizers, for a build made with them (ignored by any other): stop at
# the first report and abort, so that the test fails where the bug is. The
# reports go to files rather than stderr: a courtrecd started by a test
# writes its stderr into a room directory the test deletes, and a report
# from it would be lost with it. Every report file that a binary (or a
# program it started) leaves is shown and fails that binary.
#   detect_leaks=0: GLib and GStreamer keep type, plugin and thread-pool
#     state for the life of the process and never free it at exit: even
#     `test-destination -l` reports a 16 kB g_malloc() leak. Its stack ends
#     in libglib (no frame pointers there), and every allocation of ours
#     goes through g_malloc() too, so a suppression that hides it hides
#     ours. The fuzz targets check leaks instead (tests/fuzz/run-fuzz.sh).
#   detect_stack_use_after_return=1: a pointer to a dead stack frame handed
#     to another thread (a pad probe, a GTask) is the kind of bug a
#     recorder has; it costs memory per thread, not much time.
sanitizer_logs=$(mktemp -d)
queue=$(mktemp)
alongside=""
lanes=""
trap 'rm -rf "$sanitizer_logs" "$queue" $alongside $lanes' EXIT
asan_base="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0:detect_stack_use_after_return=1:print_summary=1}"
ubsan_base="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:print_summary=1}"
# sanitize_into DIR: the reports of what runs next go to DIR.
sanitize_into() {
	export ASAN_OPTIONS="$asan_base:log_path=$1/asan"
	export UBSAN_OPTIONS="$ubsan_base:log_path=$1/ubsan"
}
sanitize_into "$sanitizer_logs"

passed=0
failed=0
failures=""

# count NAME LOG RC [REPORTS]: adds LOG's TAP lines to the totals; a
# non-zero RC with no failing line, or a sanitizer report (in REPORTS, by
# default the one directory of a run in sequence), is a failure too.
count() {
	p=$(grep -c '^ok ' "$2")
	f=$(grep -c '^not ok ' "$2")
	for report in "${4:-$sanitizer_logs}"/*; do
		[ -f "$report" ] || continue
		echo "# sanitizer report $(basename "$report"):"
		sed 's/^/# /' "$report"
		echo "not ok - $1: sanitizer report $(basename "$report")"
		rm -f "$report"
		f=$((f + 1))
	done
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		# A crash or timeout outside any assertion still counts as a failure.
		echo "not ok - $1 exited with status $3"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -gt 0 ] && failures="$failures $1"
}

# run_one BINARY LOG: runs a test binary or a fuzz target into LOG.
run_one() {
	case "$1" in
	*/fuzz/*) sh tests/fuzz/run-fuzz.sh "$1" >"$2" 2>&1 ;;
	*) timeout 600 "$1" --tap >"$2" 2>&1 ;;
	esac
}

# report NAME LOG RC SECONDS [REPORTS]: shows and counts what a binary did.
report() {
	cat "$2"
	# What CI's time budget is made of.
	echo "# $1: $4 s"
	count "$1" "$2" "$3" "${5:-}"
}

# The binaries to run, one "BUILD BINARY" a line.
# Under the sanitizers every binary runs but these two, whose minutes are
# fixed waits rather than code (test-destination: an RTMP server taken
# down and up again and again, the reconnect timers of the normal build's
# run; test-stall: a process stopped 8 s, a filesystem frozen 10 s). Their
# code runs sanitized in the others: the destinations in test-streaming and
# test-hls, the writer's gaps and boundaries in test-recording and
# test-disk. They keep the whole of CI near 20 minutes on 2 cores.
SANITIZED_SKIP="${CR_SANITIZED_SKIP-test-destination test-stall}"

binaries() {
	for build in "$@"; do
		for t in "$build"/tests/test-* "$build"/tests/fuzz/fuzz-*; do
			case "$t" in *.o|*.d) continue ;; esac
			[ -f "$t" ] && [ -x "$t" ] || continue
			case "$build" in
			*asan*) case " $SANITIZED_SKIP " in *" $(basename "$t") "*) continue ;; esac ;;
			esac
			case "$(basename "$t")" in *"${CR_TEST_FILTER:-}"*) echo "$build $t" ;; esac
		done
	done
}

# Named by build when there are several, as each runs the same tests.
several=$([ $# -gt 1 ] && echo 1)
display_name() { if [ -n "$several" ]; then echo "$1/$(basename "$2")"; else basename "$2"; fi; }

if [ "${FUZZ_ALONGSIDE:-0}" = 1 ]; then
	alongside=$(mktemp -d)
	idle="nice -n 19"
	chrt -i 0 true 2>/dev/null && idle="chrt -i 0"
	binaries "$@" | grep '/fuzz/' >"$alongside/list"
	(
		while read -r build t; do
			export CR_BUILD="$CR_TOP/$build"
			key="$alongside/$(echo "$build" | tr / _)-$(basename "$t")"
			start=$(date +%s)
			$idle sh tests/fuzz/run-fuzz.sh "$t" >"$key.log" 2>&1
			echo "$? $(($(date +%s) - start))" >"$key.rc"
		done <"$alongside/list"
	) &
	fuzzing=$!
fi

# set_build_env BUILD: what a binary of BUILD runs with.
set_build_env() {
	export CR_BUILD="$CR_TOP/$1"
	# The sanitizers run the pipelines two to three times slower: the few
	# bounds that are about timing, not correctness, scale by this
	# (cr_test_timing_factor); the normal build holds them at 1.
	case "$1" in
	*asan*) export CR_TIMING_FACTOR=2 CR_SANITIZED=1 ;;
	*) export CR_TIMING_FACTOR=1; unset CR_SANITIZED ;;
	esac
}

binaries "$@" >"$queue"
if [ -n "$alongside" ]; then
	grep -v '/fuzz/' "$queue" >"$queue.tests"
	mv "$queue.tests" "$queue"
fi

# With CR_TEST_LANES=N (make ci) N workers run the binaries of every build
# side by side, each taking the next one of one shared queue: the tests
# are real-time pipelines that wait far more than they compute, so the
# wall time is about the sum over N. The queue starts with the binaries
# known to take longest (SLOW_FIRST, from the "# NAME: N s" lines of a
# run), so that none of them is left to run alone at the end. Every
# binary's log is kept and shown, in queue order, once all are done; a
# line says when each finishes, for a log that is watched.
SLOW_FIRST="test-destination test-inputs test-console test-streaming test-recording
	test-scheduler test-stall test-upload test-upload-faults test-field-unit test-hls test-users
	test-coverage"
if [ "${CR_TEST_LANES:-1}" -gt 1 ]; then
	lanes=$(mktemp -d)
	slow_names=$(echo $SLOW_FIRST | tr ' ' '|')
	{
		for slow in $SLOW_FIRST; do grep -E "/$slow\$" "$queue"; done
		grep -v -E "/($slow_names)\$" "$queue"
	} >"$lanes/order"
	: >"$lanes/taken"
	# next_binary: the next "BUILD BINARY" of the order, once, whichever
	# worker asks (one line of "taken" per line handed out).
	next_binary() {
		flock "$lanes/lock" sh -c '
			n=$(wc -l <"$1/taken")
			line=$(sed -n "$((n + 1))p" "$1/order")
			[ -n "$line" ] && echo x >>"$1/taken"
			echo "$line"' next "$lanes"
	}
	lane_pids=""
	for _ in $(seq "${CR_TEST_LANES}"); do
		(
			while line=$(next_binary) && [ -n "$line" ]; do
				build=${line%% *} t=${line#* }
				set_build_env "$build"
				key="$lanes/$(echo "$build" | tr / _)-$(basename "$t")"
				mkdir "$key.san"
				sanitize_into "$key.san"
				start=$(date +%s)
				run_one "$t" "$key.log" </dev/null
				echo "$? $(($(date +%s) - start))" >"$key.rc"
				echo "# finished $(display_name "$build" "$t")"
			done
		) &
		lane_pids="$lane_pids $!"
	done
	# shellcheck disable=SC2086
	wait $lane_pids
	while read -r build t; do
		name=$(display_name "$build" "$t")
		key="$lanes/$(echo "$build" | tr / _)-$(basename "$t")"
		echo "# $name"
		# A lane that died leaves no result: its binary failed.
		rc=1 seconds=0
		[ -f "$key.rc" ] && read -r rc seconds <"$key.rc"
		[ -f "$key.log" ] || : >"$key.log"
		mkdir -p "$key.san"
		report "$name" "$key.log" "$rc" "$seconds" "$key.san"
	done <"$queue"
else
	while read -r build t; do
		set_build_env "$build"
		name=$(display_name "$build" "$t")
		echo "# $name"
		log=$(mktemp)
		start=$(date +%s)
		run_one "$t" "$log" </dev/null
		rc=$?
		report "$name" "$log" "$rc" "$(($(date +%s) - start))"
		rm -f "$log"
	done <"$queue"
fi

if [ -n "$alongside" ]; then
	wait "$fuzzing"
	while read -r build t; do
		name=$(display_name "$build" "$t")
		key="$alongside/$(echo "$build" | tr / _)-$(basename "$t")"
		echo "# $name (alongside the tests)"
		read -r rc seconds <"$key.rc"
		report "$name" "$key.log" "$rc" "$seconds"
	done <"$alongside/list"
fi

[ -n "$failures" ] && echo "# failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
