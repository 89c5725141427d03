#!/bin/bash
# Shared by the shell tests (sourced after `tmp=$(mktemp -d)`): TAP lines,
# killing what the test started and removing $tmp on exit, running kassa,
# waiting for a server's "listening on" line, and a relay database
# (SQLite in $tmp, or a fresh PostgreSQL database on KASSA_TEST_PG).
n=0
failed=0
pids=()
pgdb=
TIMEOUT=${E2E_TIMEOUT:-20}

tap_cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "$pgdb" ]; then psql -q "$KASSA_TEST_PG" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1; fi
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"
}
trap tap_cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
# not_ok NAME [DETAIL...]: also shows the last run's stdout and stderr.
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "# $line"; done
	[ -s "$tmp/out" ] && sed 's/^/#   stdout: /' "$tmp/out"
	[ -s "$tmp/err" ] && sed 's/^/#   stderr: /' "$tmp/err"
}
check() { # check NAME CONDITION-STATUS [DETAIL...]
	local name=$1 st=$2
	shift 2
	if [ "$st" -eq 0 ]; then ok "$name"; else not_ok "$name" "$@"; fi
}
bail() {
	echo "Bail out! $1"
	exit 1
}
# run ARGS...: kassa ARGS, stdout in $tmp/out, stderr in $tmp/err, status in $rc.
run() {
	"$kassa" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# shellcheck source=port_of.sh
. "$(dirname "${BASH_SOURCE[0]}")/port_of.sh"

# relay_db KIND NAME SKIP_STATUS: sets db for kassa-relay: sqlite in $tmp, or
# (KIND pg) a new database NAME_* on KASSA_TEST_PG, dropped on exit; without
# KASSA_TEST_PG, psql or libpq in $relay the test is skipped (exit SKIP_STATUS).
relay_db() {
	if [ "$1" != pg ]; then
		db="sqlite:$tmp/relay.db"
		return
	fi
	if [ -z "${KASSA_TEST_PG:-}" ] || ! command -v psql >/dev/null; then
		echo "1..0 # SKIP KASSA_TEST_PG is not set (or psql is missing)"
		exit "$3"
	fi
	if grep -q "built without PostgreSQL" "$relay"; then
		echo "1..0 # SKIP this kassa-relay was built without libpq"
		exit "$3"
	fi
	pgdb="$2_$$_$RANDOM"
	psql -q "$KASSA_TEST_PG" -c "CREATE DATABASE $pgdb" >/dev/null || exit 1
	# The same server, another database: replace the path of the URL.
	local base=${KASSA_TEST_PG%%\?*} query=
	case "$KASSA_TEST_PG" in *\?*) query="?${KASSA_TEST_PG#*\?}" ;; esac
	db="${base%/*}/$pgdb$query"
}

# start_sandbox OPTIONS...: kassa-sandbox ($sandbox) on a free loopback port;
# sets sport and sandbox_pid.
start_sandbox() {
	# Emptied here, not by the redirection: that runs in the background child,
	# possibly after port_of read the previous sandbox's port from the file.
	: >"$tmp/sandbox.out"
	"$sandbox" --listen 127.0.0.1:0 "$@" >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
	sandbox_pid=$!
	pids+=("$sandbox_pid")
	sport=$(port_of "$tmp/sandbox.out")
	[ -n "$sport" ] || bail "kassa-sandbox starts: $(cat "$tmp/sandbox.err")"
}
stop_sandbox() {
	kill "$sandbox_pid" 2>/dev/null
	wait "$sandbox_pid" 2>/dev/null
}

# add_till NAME: adds till NAME to $tmp/tills.ini with kassa-relay ($relay); sets token.
add_till() {
	"$relay" add-till "$1" --tills "$tmp/tills.ini" >"$tmp/add.txt" 2>&1 || bail "add-till: $(cat "$tmp/add.txt")"
	token=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
	[ ${#token} -ge 32 ] || bail "add-till printed a token"
}

# start_relay [PORT]: kassa-relay ($relay) on $db and $tmp/tills.ini; sets relay_pid and rport.
start_relay() { # [PORT]
	: >"$tmp/relay.out"
	"$relay" --listen "127.0.0.1:${1:-0}" --db "$db" --tills "$tmp/tills.ini" \
		>"$tmp/relay.out" 2>>"$tmp/relay.err" &
	relay_pid=$!
	pids+=("$relay_pid")
	rport=$(port_of "$tmp/relay.out")
	[ -n "$rport" ] || bail "kassa-relay starts: $(cat "$tmp/relay.err")"
}

# lifepay_profile NAME LINE...: appends the LifePay profile NAME on the sandbox
# at $sport (SANDBOX-0001), then LINE..., to kassa's config.ini (0600).
lifepay_profile() {
	mkdir -p "$XDG_CONFIG_HOME/kassa"
	printf '%s\n' "" "[profile.$1]" "provider = lifepay" "base_url = http://127.0.0.1:$sport" \
		"login = 70000000000" "apikey = sandbox-apikey" "target_serial = SANDBOX-0001" "${@:2}" \
		>>"$XDG_CONFIG_HOME/kassa/config.ini"
	chmod 600 "$XDG_CONFIG_HOME/kassa/config.ini"
}

# shop_config LINE...: a new config.ini whose default is the profile shop (lifepay_profile) with LINE....
shop_config() {
	mkdir -p "$XDG_CONFIG_HOME/kassa"
	printf '%s\n' "[kassa]" "default_profile = shop" >"$XDG_CONFIG_HOME/kassa/config.ini"
	lifepay_profile shop "$@"
}

# relay_waiting: how many callbacks the relay holds for till shop1 (its status view).
relay_waiting() {
	"$relay" status --db "$db" --tills "$tmp/tills.ini" 2>/dev/null |
		sed -nE 's/^shop1 +(-|[0-9-]+ [0-9:]+Z) +([0-9]+) .*/\2/p'
}

# wait_waiting N: until the relay holds N callbacks for till shop1.
wait_waiting() {
	local end=$((SECONDS + TIMEOUT))
	while [ $SECONDS -lt $end ]; do
		[ "$(relay_waiting)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
