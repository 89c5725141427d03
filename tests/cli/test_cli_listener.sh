#!/bin/bash
# `kassa outbox` tells the health of the callback listener that the kassa
# sending from the journal runs (issue 11): it reads the file that listener
# keeps beside the journal (<journal>-listener). Prints TAP.
# Usage: test_cli_listener.sh KASSA
set -u
# kassa's own tests run the sandbox strict: kassa never sends what only a tolerant one takes.
export KASSA_SANDBOX_STRICT=1
kassa=$1
export LC_ALL=C.UTF-8
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME"
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$tmp"' EXIT
n=0
failed=0
check() { # NAME PATTERN: the last output has PATTERN
	n=$((n + 1))
	if grep -qF -- "$2" "$tmp/out"; then
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		sed 's/^/#   /' "$tmp/out" "$tmp/err"
	fi
}
run() { "$kassa" "$@" >"$tmp/out" 2>"$tmp/err"; }

run outbox --training
check "no listener runs: said so" "callback listener: none runs for this journal"
file="$XDG_DATA_HOME/kassa/training-journal.db-listener"
sleep 30 &
holder=$!
write() { # STATE REASON [AGE_MS]
	printf 'pid=%s\nwritten_ms=%s\nstate=%s\nport=8080\nconnections=8\nmax_connections=64\nreason=%s\n' \
		"$holder" "$(( $(date +%s%3N) - ${3:-0} ))" "$1" "$2" >"$file"
}
write listening ""
run outbox --training
check "a serving listener: port and pid" "callback listener: serving on port 8080, 8 connection(s) open (kassa pid $holder)"
write degraded "refusing connections from 127.0.0.2: it holds 8, the most for one address"
run outbox --training
check "a degraded listener: the reason" "callback listener: DEGRADED on port 8080 (kassa pid $holder): refusing connections from 127.0.0.2"
write failed "the listen socket failed (Invalid argument): cannot listen on 127.0.0.1:8080: Address already in use; retrying"
run outbox --training
check "a failed listener: the reason" "callback listener: FAILED (kassa pid $holder): the listen socket failed"
write listening "" 60000
run outbox --training
check "a listener that stopped reporting: stuck" "last reported 60 s ago: it may be stuck"
kill "$holder"
wait "$holder" 2>/dev/null
holder=
run outbox --training
check "its kassa is gone: none runs" "callback listener: none runs for this journal"
echo "1..$n"
[ "$failed" -eq 0 ]
