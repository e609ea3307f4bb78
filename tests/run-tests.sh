#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs what each BUILD directory holds (default: build) and ends with ONE
# line "N passed, N failed" over all of them:
#   BUILD/tests/test-*       GTest binaries, with TAP output
#   BUILD/tests/fuzz/fuzz-*  libFuzzer targets, through tests/fuzz/run-fuzz.sh
#                            (FUZZ_SECONDS each)
# so that `run-tests.sh build build-asan build-fuzz` is the whole of CI.
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
#     state for the life of the process and never free it at exit; leak
#     checking without a suppressions file that hides most of those
#     libraries would report them in every test.
#   detect_stack_use_after_return=1: a pointer to a dead stack frame handed
#     to another thread (a pad probe, a GTask) is the kind of bug a
#     recorder has; it costs memory per thread, not much time.
sanitizer_logs=$(mktemp -d)
trap 'rm -rf "$sanitizer_logs"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0:detect_stack_use_after_return=1:print_summary=1}:log_path=$sanitizer_logs/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:print_summary=1}:log_path=$sanitizer_logs/ubsan"

passed=0
failed=0
failures=""

# count NAME LOG RC: adds LOG's TAP lines to the totals; a non-zero RC with
# no failing line, or a sanitizer report, is a failure too.
count() {
	p=$(grep -c '^ok ' "$2")
	f=$(grep -c '^not ok ' "$2")
	for report in "$sanitizer_logs"/*; do
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

for build in "$@"; do
	export CR_BUILD="$CR_TOP/$build"
	for t in "$build"/tests/test-* "$build"/tests/fuzz/fuzz-*; do
		case "$t" in *.o|*.d) continue ;; esac
		[ -f "$t" ] && [ -x "$t" ] || continue
		name=$(basename "$t")
		case "$name" in *"${CR_TEST_FILTER:-}"*) ;; *) continue ;; esac
		# Named by build when there are several, as each runs the same tests.
		[ $# -gt 1 ] && name="$build/$name"
		echo "# $name"
		log=$(mktemp)
		start=$(date +%s)
		case "$t" in
		*/fuzz/*) sh tests/fuzz/run-fuzz.sh "$t" >"$log" 2>&1 ;;
		*) timeout 600 "$t" --tap >"$log" 2>&1 ;;
		esac
		rc=$?
		cat "$log"
		# What CI's time budget is made of.
		echo "# $name: $(($(date +%s) - start)) s"
		count "$name" "$log" "$rc"
		rm -f "$log"
	done
done

[ -n "$failures" ] && echo "# failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
