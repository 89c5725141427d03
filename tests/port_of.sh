#!/usr/bin/env bash
# Sourced by tests/tap.sh and tests/e2e/e2e_relay_lib.sh.
# port_of FILE [SCHEME]: the port of its "listening on SCHEME://127.0.0.1:PORT"
# line, waiting up to $TIMEOUT seconds for it.
port_of() {
	local p="" end=$((SECONDS + TIMEOUT))
	while [ -z "$p" ] && [ $SECONDS -lt $end ]; do
		p=$(sed -n "s/^listening on ${2:-http}:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p" "$1")
		[ -z "$p" ] && sleep 0.05
	done
	echo "$p"
}
