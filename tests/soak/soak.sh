#!/bin/sh
# The full fault soak by hand: 10,000 receipts from 4 kassa engines killed
# 40 times at random moments, against kassa-sandbox with
# http500=0.2,drop=0.1,stall=0.05:2,callback_fail=0.3 at time scale 0.001.
#   tests/soak/soak.sh [BUILD_DIR] [extra soak options, e.g. --seed 42]
# Needs a build (meson setup BUILD_DIR && ninja -C BUILD_DIR).
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
for f in "$build/tests/soak/soak" "$build/tui/kassa-sandbox"; do
	[ -x "$f" ] || { echo "soak.sh: $f is not built (ninja -C $build)" >&2; exit 2; }
done
start=$(date +%s)
rc=0
"$build/tests/soak/soak" --sandbox "$build/tui/kassa-sandbox" \
	--receipts 10000 --clients 4 --kills 40 --timeout 900 "$@" || rc=$?
echo "soak.sh: $(( $(date +%s) - start )) s wall, exit $rc"
exit $rc
