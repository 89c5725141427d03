#!/usr/bin/env bash
# replay.sh TARGET CORPUS_DIR [REGRESSIONS_DIR]
#
# The fuzz suite's test: runs a libFuzzer target once over every committed
# input of its corpus and regressions. libFuzzer given files (not
# directories) only reads them, so the committed corpus is never changed.
# With KASSA_FUZZ_SECONDS=N (N > 0) it then fuzzes for N seconds from a
# scratch copy of the corpus, as CI does. A crash fails the test; libFuzzer's
# report (with the sanitizer's) is on stderr, the crashing input under
# $KASSA_FUZZ_ARTIFACTS (default: the directory of TARGET).
set -euo pipefail

target=$1
corpus=$2
regressions=${3:-}
seconds=${KASSA_FUZZ_SECONDS:-0}
artifacts=${KASSA_FUZZ_ARTIFACTS:-$(dirname "$target")}
name=$(basename "$target")

inputs=()
for dir in "$corpus" "$regressions"; do
	[ -n "$dir" ] && [ -d "$dir" ] || continue
	while IFS= read -r -d '' f; do
		inputs+=("$f")
	done < <(find "$dir" -type f ! -name '.*' ! -name '*.md' -print0 | sort -z)
done
if [ "${#inputs[@]}" -eq 0 ]; then
	echo "$name: no inputs in $corpus" >&2
	exit 1
fi

# Leaks are findings too; UBSan stops at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "$name: replaying ${#inputs[@]} inputs"
"$target" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$artifacts/$name-" "${inputs[@]}" \
	>/dev/null 2>"$artifacts/$name-replay.log" || {
	cat "$artifacts/$name-replay.log" >&2
	echo "$name: FAILED on a committed input (see above)" >&2
	exit 1
}
rm -f "$artifacts/$name-replay.log"

if [ "$seconds" -gt 0 ] 2>/dev/null; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/kassa-$name.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	cp "${inputs[@]}" "$work/"
	log="$work/fuzz.log"
	if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$work" >"$log" 2>&1; then
		tail -n 60 "$log" >&2
		echo "$name: FAILED while fuzzing for $seconds s" >&2
		exit 1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "$name: fuzzed $seconds s, ${execs:-?} executions, no finding"
fi
echo "$name: ok"
