#!/usr/bin/env bash
# Shared by e2e_relay.sh and e2e_relay_pk.sh (sourced after e2e.sh's harness):
# a kassa-relay ($RELAY) on SQLite in $tmp killed on exit, kassa-sandbox with
# the options given, and till1 in the tills file.
relay_pid=
cleanup_relay() {
	[ -n "$relay_pid" ] && kill -9 "$relay_pid" 2>/dev/null
	cleanup
}
trap cleanup_relay EXIT

# shellcheck source=../port_of.sh
. "$(dirname "${BASH_SOURCE[0]}")/../port_of.sh"

start_relay() { # [PORT]: sets rport
	: >"$tmp/relay.out"
	"$RELAY" --listen "127.0.0.1:${1:-0}" --db "sqlite:$tmp/relay.db" --tills "$tmp/tills.ini" \
		>"$tmp/relay.out" 2>>"$tmp/relay.err" &
	relay_pid=$!
	rport=$(port_of "$tmp/relay.out")
	[ -n "$rport" ] || bail "kassa-relay starts" "$(cat "$tmp/relay.err")"
}

# relay_sandbox OPTIONS...: kassa-sandbox in memory with OPTIONS (sets sport),
# and till1 added to the tills file (sets token).
relay_sandbox() {
	: >"$tmp/sandbox.out" # not by the redirection: the background child may truncate it late
	"$SANDBOX" --listen 127.0.0.1:0 --memory "$@" >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
	sandbox_pid=$!
	sport=$(port_of "$tmp/sandbox.out")
	[ -n "$sport" ] || bail "kassa-sandbox starts" "$(cat "$tmp/sandbox.err")"
	"$RELAY" add-till till1 --tills "$tmp/tills.ini" >"$tmp/add.txt" 2>&1 || bail "add-till" "$(cat "$tmp/add.txt")"
	token=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
}
