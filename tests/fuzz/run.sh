#!/usr/bin/env bash
# Builds the libFuzzer targets in their own clang build directory and fuzzes
# each one for a while from its committed corpus, then prints what ran.
#
#   tests/fuzz/run.sh [SECONDS] [--merge] [--jobs N] [--build DIR] [TARGET...]
#
#   SECONDS     per target (default 10)
#   --merge     afterwards, add the new inputs that raise coverage to
#               tests/fuzz/corpus/TARGET (libFuzzer -merge=1); without it the
#               committed corpus is never written: each run works on a copy
#   --jobs N    run N targets at once (default 1)
#   --build DIR the build directory (default build-fuzz-run)
#   TARGET      money, receipt, ... (default: every fuzz_* target built)
#
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
# A crash leaves its input in DIR/fuzz-artifacts/TARGET-crash-*; replay it
# with `DIR/tests/fuzz/fuzz_TARGET FILE`, minimise it with
# `-minimize_crash=1 -runs=10000 FILE`, and keep it in
# tests/fuzz/regressions/TARGET/ so `meson test --suite fuzz` replays it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

seconds=10
merge=false
jobs=1
build=build-fuzz-run
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--merge) merge=true ;;
	--jobs) jobs=$2; shift ;;
	--build) build=$2; shift ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	[0-9]*) seconds=$1 ;;
	*) targets+=("$1") ;;
	esac
	shift
done
case $build in /*) ;; *) build=$src/$build ;; esac

if [ ! -f "$build/build.ninja" ]; then
	echo "== setting up $build (clang, -Dfuzz=true)"
	CC=clang meson setup "$build" "$src" -Dfuzz=true -Dbuildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
if [ ${#targets[@]} -eq 0 ]; then
	for c in "$here"/fuzz_*.c; do
		targets+=("$(basename "$c" .c | sed 's/^fuzz_//')")
	done
fi
exes=()
for t in "${targets[@]}"; do
	exes+=("tests/fuzz/fuzz_$t")
done
echo "== building ${targets[*]}"
ninja -C "$build" "${exes[@]}" >/dev/null

artifacts=$build/fuzz-artifacts
logs=$build/fuzz-logs
mkdir -p "$artifacts" "$logs"
# Findings already reported (regressions/skip.txt) are looked past, so the
# fuzzer goes on; set KFZ_SKIP= (empty) to stop at them too.
if [ -z "${KFZ_SKIP+set}" ] && [ -f "$here/regressions/skip.txt" ]; then
	KFZ_SKIP=$(grep -v '^#' "$here/regressions/skip.txt" | grep . | paste -sd, - || true)
fi
export KFZ_SKIP=${KFZ_SKIP:-}
if [ -n "$KFZ_SKIP" ]; then echo "== looking past reported findings: $KFZ_SKIP"; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Dictionaries: JSON words for the JSON parsers, INI words for the INI ones.
dict_for() {
	case $1 in
	receipt|lifepay_reply|lifepay_callback|paykeeper|invoice) echo "$here/dict/json.dict" ;;
	config|theme) echo "$here/dict/ini.dict" ;;
	*) [ -f "$here/dict/$1.dict" ] && echo "$here/dict/$1.dict" || true ;;
	esac
}

# One target: fuzz a scratch copy of its corpus (and regressions) for $seconds.
run_one() {
	local t=$1 exe=$build/tests/fuzz/fuzz_$1 work log dict
	work=$(mktemp -d "${TMPDIR:-/tmp}/kassa-fuzz-$t.XXXXXX")
	log=$logs/$t.log
	for d in "$here/corpus/$t" "$here/regressions/$t"; do
		[ -d "$d" ] && find "$d" -type f ! -name '.*' ! -name '*.md' -exec cp {} "$work/" \;
	done
	dict=$(dict_for "$t")
	local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$artifacts/$t-")
	[ -n "$dict" ] && [ -f "$dict" ] && args+=(-dict="$dict")
	local rc=0
	"$exe" "${args[@]}" "$work" >"$log" 2>&1 || rc=$?
	if $merge && [ $rc -eq 0 ]; then
		mkdir -p "$here/corpus/$t"
		"$exe" -merge=1 "$here/corpus/$t" "$work" >>"$log" 2>&1 || true
	fi
	rm -rf "$work"
	echo "$rc" >"$logs/$t.rc"
}

echo "== fuzzing each target for $seconds s ($jobs at a time); logs in $logs"
running=0
for t in "${targets[@]}"; do
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait

status=0
printf '%-18s %12s %9s %7s %7s  %s\n' target executions exec/s cov corpus result
for t in "${targets[@]}"; do
	log=$logs/$t.log
	rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
	[ -z "$execs" ] && execs=$(echo "$done_line" | sed -n 's/^#\([0-9]*\).*/\1/p')
	rate=$(echo "$done_line" | sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p')
	cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	corp=$(echo "$done_line" | sed -n 's/.*corp: \([0-9]*\)\/.*/\1/p')
	if [ "$rc" = 0 ]; then
		result=ok
	else
		result="FINDING (exit $rc): $(grep -m1 -E 'ERROR: |property failed|SUMMARY' "$log" ||
			echo "see $log")"
		status=1
	fi
	printf '%-18s %12s %9s %7s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
		"${corp:-?}" "$result"
done
if [ $status -ne 0 ]; then
	echo "== findings: inputs in $artifacts, logs in $logs"
fi
exit $status
