#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one libFuzzer target, build-fuzz/tests/fuzz/fuzz-NAME, and says how
# it went in TAP lines (run-tests.sh counts them):
#   1. every input of tests/fuzz/regressions/NAME/ once: one line each;
#   2. FUZZ_SECONDS (default 60) of fuzzing from tests/fuzz/corpus/NAME/
#      (and tests/fuzz/NAME.dict if there is one): one line.
# The fuzzing works on a copy of the corpus, so the tree's never grows; set
# FUZZ_CORPUS_DIR to keep the grown corpus in FUZZ_CORPUS_DIR/NAME/ from one
# run to the next (e.g. a CI cache). An input that crashes is kept in
# BUILD/fuzz-artifacts/NAME/.
set -u
target=$1
fuzzer=$(basename "$target")
name=${fuzzer#fuzz-}
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
artifacts="$(dirname "$(dirname "$(dirname "$target")")")/fuzz-artifacts/$name"
regressions="$top/tests/fuzz/regressions/$name"
corpus="$top/tests/fuzz/corpus/$name"
dict="$top/tests/fuzz/$name.dict"
mkdir -p "$artifacts"

# Reports on stderr, where libFuzzer's log is (run-tests.sh sends them to
# files otherwise); leaks count: a loader that leaks on every bad file
# leaks in a daemon that reloads, and GLib's global state is still
# reachable, which LeakSanitizer does not report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1}:detect_leaks=1:log_path=stderr"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}:log_path=stderr"
options="-rss_limit_mb=2048 -timeout=10"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${FUZZ_CORPUS_DIR:-}" ]; then
	grown="$FUZZ_CORPUS_DIR/$name"
	mkdir -p "$grown"
else
	grown="$work/corpus"
	mkdir -p "$grown"
fi
[ -d "$corpus" ] && cp -p "$corpus"/* "$grown"/ 2>/dev/null

failed=0
# quote LOG: the log as TAP comments
quote() { sed 's/^/# /' "$1"; }

for input in "$regressions"/*; do
	[ -f "$input" ] || continue
	if "$target" $options "$input" >"$work/log" 2>&1; then
		echo "ok - $fuzzer: regression $(basename "$input")"
		cp -p "$input" "$grown"/
	else
		quote "$work/log"
		echo "not ok - $fuzzer: regression $(basename "$input") fails"
		failed=1
	fi
done

dict_option=""
[ -f "$dict" ] && dict_option="-dict=$dict"
start=$(date +%s)
timeout -s KILL $((seconds + 120)) "$target" $options $dict_option \
	-max_total_time="$seconds" -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$grown" >"$work/log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
summary="${elapsed} s, ${runs:-?} runs (${speed:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
if [ "$rc" -eq 0 ]; then
	tail -n 12 "$work/log" | quote /dev/stdin
	echo "ok - $fuzzer: $summary"
else
	quote "$work/log"
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -n 1)
	echo "not ok - $fuzzer: exit status $rc after $summary${crash:+; the input: $crash (keep it in tests/fuzz/regressions/$name/)}"
	failed=1
fi
exit "$failed"
