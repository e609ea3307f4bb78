#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs every GTest binary in BUILD/tests with TAP output and ends with the
# line "N passed, N failed". Set CR_TEST_FILTER to a substring of a binary's
# name to run only those.
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1
export CR_TOP="$(pwd)"
export CR_BUILD="$CR_TOP/$build"
# Criticals and warnings abort a test: a warning in a recorder is a bug.
export G_DEBUG=fatal-criticals
export LC_ALL=C.UTF-8

passed=0
failed=0
failures=""
for t in "$build"/tests/test-*; do
	case "$t" in *.o|*.d) continue ;; esac
	[ -x "$t" ] || continue
	name=$(basename "$t")
	case "$name" in *"${CR_TEST_FILTER:-}"*) ;; *) continue ;; esac
	echo "# $name"
	log=$(mktemp)
	timeout 600 "$t" --tap >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# A crash or timeout outside any assertion still counts as a failure.
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -gt 0 ] && failures="$failures $name"
	rm -f "$log"
done

[ -n "$failures" ] && echo "# failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
