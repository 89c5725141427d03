#!/bin/bash
# Training on the real path behind NAT (issue 13): with KASSA_TRAINING_RELAY=1
# the training sandbox calls an embedded kassa-relay back and kassa pulls from
# it, so the final status's source is "relay", not "callback"; no listener
# is opened. Without it, training keeps its listener. Prints TAP.
# Usage: test_cli_training_relay.sh KASSA DATA_DIR
set -u
export KASSA_SANDBOX_STRICT=1
kassa=$1
data=$2
export LC_ALL=C.UTF-8 KASSA_TRAINING_CALLBACK_DELAY_MS=200
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME"
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
res() { # OK NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		sed 's/^/#   /' "$tmp/out" "$tmp/err"
	fi
}
run() { timeout 60 "$kassa" "$@" >"$tmp/out" 2>"$tmp/err"; }

KASSA_TRAINING_RELAY=1 run --training receipt "$data/seed.json" --wait
rc=$?
grep -q "state  processed" "$tmp/out"
res $? "with the embedded relay: the receipt becomes processed (exit $rc)"
run --training status 1
grep -Eq "accepted +-> processed +relay " "$tmp/out"
res $? "its status came through the relay (the history names it)"
! grep -Eq "processed +callback " "$tmp/out"
res $? "... and not to a listener"
mode=$(stat -c %a "$XDG_DATA_HOME/kassa/training-relay.db" 2>/dev/null)
[ "$mode" = 600 ]
res $? "the relay's database is private (mode $mode)"
! ls "$XDG_DATA_HOME"/kassa/training-relay-tills-* >/dev/null 2>&1
res $? "no till token is left on disk"
run --training receipt "$data/seed.json" --wait
run --training status 2
grep -Eq "accepted +-> processed +callback " "$tmp/out"
res $? "without KASSA_TRAINING_RELAY: the training listener, as before"
echo "1..$n"
[ "$failed" -eq 0 ]
