#!/usr/bin/env bash
# `kassa outbox --flush` while the cashier's screen runs on the same journal
# (issue 10, item 8): it asks the running kassa to send now and reports each
# document, instead of failing with exit 4; a lock holder that cannot take
# the request (it does not catch SIGUSR1) is named and left alone. The screen
# runs in tmux with e2e.sh's harness, against a kassa-sandbox the test starts
# and stops (a provider outage).
#
# usage: test_cli_flush.sh KASSA KASSA_SANDBOX
set -u
here=$(dirname "$(realpath "$0")")
harness=$(sed '/^\[ -x "\$KASSA" \]/,$d' "$here/../e2e/e2e.sh")
if ! grep -q '^wait_for()' <<<"$harness"; then
	echo "not ok 1 - e2e.sh's harness can be sourced (its layout changed)"
	echo "1..1"
	exit 1
fi
# shellcheck source=../e2e/e2e.sh
source <(printf '%s\n' "$harness") "$1" "$2" flush

holder=
cleanup_flush() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	cleanup
}
trap cleanup_flush EXIT

start_sandbox() { # [PORT]
	: >"$tmp/sandbox.out" # not by the redirection: the background child may truncate it late
	"$SANDBOX" --listen "127.0.0.1:${1:-0}" --memory --callback-delay 50 --quiet --strict \
		>"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
	sandbox_pid=$!
	port=""
	local end=$((SECONDS + TIMEOUT))
	while [ -z "$port" ] && [ $SECONDS -lt $end ]; do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/sandbox.out")
		[ -z "$port" ] && sleep 0.05
	done
	[ -n "$port" ] || bail "kassa-sandbox starts" "$(cat "$tmp/sandbox.err")"
}

# cli ARGS...: kassa's command line with the screen's config and data; $rc, $tmp/out, $tmp/err.
cli() {
	env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" \
		XDG_DATA_HOME="$tmp/data" LANG=C.UTF-8 LC_ALL=C.UTF-8 KASSA_SANDBOX_STRICT=1 \
		"$KASSA" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

expect() { # DESCRIPTION CONDITION-COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what" "exit $rc" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"; fi
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need infocmp
need flock

start_sandbox
ok "kassa-sandbox listens on port $port"
mkdir -p "$tmp/config/kassa"
# A LIVE profile sells only from its own catalog (the demo one is for training).
printf '%s\n' "code,name,price,unit,vat,object" "1001,Хлеб «Бородинский» 400 г,54.90,piece,vat10,1" \
	>"$tmp/catalog.csv"
shop_config "target_serial = SANDBOX-0001" "catalog = $tmp/catalog.csv"
start_kassa 100 30 C.UTF-8
wait_for "LIVE" "the screen runs with a LIVE profile"
keep_port=$port
kill "$sandbox_pid" && wait "$sandbox_pid" 2>/dev/null
sandbox_pid=
type_text "1001"
keys Enter
sleep 0.2
keys F5
wait_for "Payment: receipt" "a sale while the provider is away"
type_text "#"
keys Enter
wait_for "OFFLINE" "the screen says OFFLINE"
wait_for "outbox 1" "one document waits"
wait_for "shift opening…" "the receipt that opens the shift shows it opening…, not open"

# The provider is still away: the running kassa tries at once; the answer is "not yet".
cli outbox --flush --timeout 10
expect "--flush beside the screen does not fail with exit 4 (exit 1: still not delivered)" [ "$rc" -eq 1 ]
expect "it says it asked the running kassa" grep -qE "asked the running kassa \(process [0-9]+\) to send 1 document\(s\) now" "$tmp/out"
expect "and reports the document: not delivered yet, with the reason" grep -qF "not delivered yet (connection failed" "$tmp/out"
wait_for "kassa outbox --flush asked to send now: sending 1 waiting document(s)" \
	"the screen says who asked it to send"

# The provider is back: the same command delivers through the screen.
start_sandbox "$keep_port"
cli outbox --flush --timeout 20
expect "--flush beside the screen delivers once the provider answers (exit 0)" [ "$rc" -eq 0 ]
expect "it reports the document accepted or processed" grep -qE "state  (accepted|processed)" "$tmp/out"
wait_for "outbox 0" "the screen's outbox is empty"
wait_gone "OFFLINE" "and OFFLINE is gone"
wait_for "shift 0h00m" "the shift is open once the provider took the receipt"
cli outbox --flush
expect "with nothing waiting it says so (exit 0)" grep -qF "nothing waits to be sent for profile shop (the kassa running as process" "$tmp/out"
quit_kassa

# A process that holds the lock but cannot take the request is named, not signalled.
journal=$(find "$tmp/data" -name '*.db.lock' | head -n 1)
if [ -z "$journal" ]; then bail "the journal's lock file exists"; fi
(
	exec 9<>"$journal"
	flock -n 9 || exit 1
	printf '%s\n' "$BASHPID" >"$journal"
	exec sleep 60
) &
holder=$!
sleep 0.3
cli outbox --flush
expect "a holder that does not catch SIGUSR1: exit 4" [ "$rc" -eq 4 ]
expect "with the reason and what to do" grep -qF "which cannot take a request to send" "$tmp/err"
expect "and the holder is left alone (not killed by a signal)" kill -0 "$holder"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=

# Nobody holds the journal: --flush sends by itself, as before.
cli outbox --flush
expect "without a running kassa --flush works by itself (exit 0)" [ "$rc" -eq 0 ]
say "1..$n"
exit $failed
