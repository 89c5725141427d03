#!/bin/bash
# kassa-relay as providers and tills use it, over real HTTP (curl). Prints TAP.
# Usage: test_relay.sh KASSA_RELAY sqlite|pg
#   pg: needs KASSA_TEST_PG=postgresql://... (a server where the user may
#   create databases) and psql; without them the test is skipped (exit 77).
set -u
relay=$1
kind=$2
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
. "$(dirname "$0")/../tap.sh"
relay_db "$kind" kassa_relay_test 77

key_of() { # the callback key a till derives from its token
	printf '%s' 'kassa-relay callback v1' | openssl dgst -sha256 -hmac "$1" | awk '{print $NF}' | cut -c1-32
}

# start NAME: runs the relay on a free port; sets port_NAME, pid_NAME
start() {
	local name=$1
	"$relay" --listen 127.0.0.1:0 --db "$db" --tills "$tmp/tills.ini" --per-ip-limit off \
		--public-url https://relay.example/ \
		>"$tmp/$name.out" 2>>"$tmp/$name.err" &
	local pid=$!
	pids+=("$pid")
	eval "pid_$name=$pid"
	for _ in $(seq 100); do
		[ -s "$tmp/$name.out" ] && break
		sleep 0.05
	done
	eval "port_$name=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/$name.out")"
}

post() { # post PORT PATH BODY -> http code
	curl -s -o "$tmp/post.body" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary "$3" "http://127.0.0.1:$1$2"
}
pull() { # pull PORT TOKEN QUERY -> body in $tmp/pull.json, code in $code
	code=$(curl -s -o "$tmp/pull.json" -w '%{http_code}' -H "Authorization: Bearer $2" \
		"http://127.0.0.1:$1/pull?$3")
}
bodies() { # the decoded bodies of the last pull, one a line
	python3 -c 'import json,base64,sys
for u in json.load(open(sys.argv[1]))["updates"]: print(u["offset"], base64.b64decode(u["body"]).decode())' "$tmp/pull.json"
}

# ---- the tills file ----
printf '[till.a]\ntoken = %s\n' "$(printf 'x%.0s' $(seq 40))" >"$tmp/loose.ini"
chmod 644 "$tmp/loose.ini"
"$relay" --listen 127.0.0.1:0 --db "$db" --tills "$tmp/loose.ini" >"$tmp/o" 2>"$tmp/e"
rc=$?
grep -q "loose.ini" "$tmp/e" && grep -q "chmod 600" "$tmp/e" && [ "$rc" -ne 0 ] && [ ! -s "$tmp/o" ]
check "a tills file others may read is refused, naming the file and the fix" $? "$(cat "$tmp/e")"

if locale -a 2>/dev/null | grep -qi '^ru_RU.utf8$'; then
	LC_ALL=ru_RU.UTF-8 "$relay" --listen 127.0.0.1:0 --db "$db" --tills "$tmp/loose.ini" >"$tmp/o" 2>"$tmp/e"
	grep -q "loose.ini секреты, но его могут читать другие" "$tmp/e" && grep -q "chmod 600" "$tmp/e"
	check "the refusal is in Russian under a Russian locale" $? "$(cat "$tmp/e")"
fi

printf '[till.a]\ntoken = short\n' >"$tmp/short.ini"
chmod 600 "$tmp/short.ini"
"$relay" --listen 127.0.0.1:0 --db "$db" --tills "$tmp/short.ini" >"$tmp/o" 2>"$tmp/e"
rc=$?
grep -q "token of till a must be 32" "$tmp/e" && [ "$rc" -ne 0 ]
check "a token shorter than 32 characters is refused" $? "$(cat "$tmp/e")"

"$relay" add-till a --tills "$tmp/tills.ini" >"$tmp/add.txt" 2>&1
tok_a=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
"$relay" add-till b --tills "$tmp/tills.ini" >"$tmp/add.txt" 2>&1
tok_b=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
[ "$(stat -c %a "$tmp/tills.ini")" = 600 ] && [ ${#tok_a} -ge 32 ] && [ "$tok_a" != "$tok_b" ]
check "add-till creates a 0600 file and prints a fresh token" $?
"$relay" add-till a --tills "$tmp/tills.ini" >"$tmp/o" 2>"$tmp/e"
[ $? -ne 0 ] && grep -q "already" "$tmp/e" && [ "$(grep -c '^\[till.a\]' "$tmp/tills.ini")" = 1 ]
check "add-till refuses a name already there" $?
bad_file() { # bad_file NAME TEXT CONTENT: a tills file with CONTENT is refused with TEXT
	printf '%b' "$3" >"$tmp/bad.ini"
	chmod 600 "$tmp/bad.ini"
	"$relay" --listen 127.0.0.1:0 --db "$db" --tills "$tmp/bad.ini" >"$tmp/o" 2>"$tmp/e"
	local rc=$?
	[ "$rc" -ne 0 ] && grep -qF -- "$2" "$tmp/e" && [ ! -s "$tmp/o" ]
	check "$1" $? "$(cat "$tmp/e")"
}
t40=$(printf 't%.0s' $(seq 40))
bad_file "two tills with one token are refused" "till y uses the same token as another till" \
	"[till.x]\ntoken = $t40\n[till.y]\ntoken = $t40\n"
bad_file "an account naming an unknown till is refused" "account shop lists till \"nope\"" \
	"[till.x]\ntoken = $t40\n[account.shop]\nkey = $(printf 'k%.0s' $(seq 40))\ntills = x nope\n"
bad_file "an unknown key in a till section is refused" "unknown key \"tokn\" in [till.x]" \
	"[till.x]\ntokn = $t40\n"
! grep -q "$t40" "$tmp/e"
check "the refusal does not quote the token" $?
acct_key=$(printf 'k%.0s' $(seq 40))
printf '\n[account.shop]\nkey = %s\ntills = a b\n' "$acct_key" >>"$tmp/tills.ini"
key_a=$(key_of "$tok_a")
key_b=$(key_of "$tok_b")

# ---- serving ----
start r1
[ -n "$port_r1" ] && [ "$(wc -l <"$tmp/r1.out")" = 1 ]
check "prints exactly one line: listening on http://HOST:PORT" $? "$(cat "$tmp/r1.out" "$tmp/r1.err")"

c=$(post "$port_r1" "/cb/$key_a" 'data={"uuid":"u1","status":"processed"}')
pull "$port_r1" "$tok_a" "timeout=0"
[ "$c" = 200 ] && [ "$code" = 200 ] && [ "$(bodies)" = '1 data={"uuid":"u1","status":"processed"}' ]
check "a callback answered 200 is delivered to its till's pull" $? "post $c pull $code $(cat "$tmp/pull.json")"

w=$(curl -s -H "Authorization: Bearer $tok_b" "http://127.0.0.1:$port_r1/whoami")
[ "$w" = "{\"till\":\"b\",\"public_url\":\"https://relay.example/\",\"callback_url\":\"https://relay.example/cb/$key_b\"}" ]
check "/whoami names the till and the callback URL its token gives" $? "$w"

pull "$port_r1" "$tok_b" "timeout=0"
[ "$(cat "$tmp/pull.json")" = '{"updates":[],"last":0}' ]
check "another till does not see it" $? "$(cat "$tmp/pull.json")"

c1=$(post "$port_r1" "/cb/0123456789abcdef0123456789abcdef" x)
c2=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_r1/cb/$key_a")
c3=$(head -c 70000 /dev/zero | tr '\0' x | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "http://127.0.0.1:$port_r1/cb/$key_a")
c4=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_r1/pull")
c5=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${tok_a}x" "http://127.0.0.1:$port_r1/pull")
pull "$port_r1" "$tok_a" "offset=-1"
[ "$c1$c2$c3$c4$c5$code" = 404405413401401400 ] && grep -q offset "$tmp/pull.json"
check "unknown key 404, GET on a callback 405, big body 413, no or wrong token 401, bad offset 400" $? "$c1 $c2 $c3 $c4 $c5 $code"

pull "$port_r1" "$tok_a" "offset=2&timeout=0"
pull "$port_r1" "$tok_a" "timeout=0"
[ "$(cat "$tmp/pull.json")" = '{"updates":[],"last":1}' ]
check "the next pull's offset acknowledges what came before" $? "$(cat "$tmp/pull.json")"

(sleep 0.5; post "$port_r1" "/cb/$key_a/paykeeper" 'second' >/dev/null) &
t0=$(date +%s%N)
pull "$port_r1" "$tok_a" "offset=2&timeout=20"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
wait $!
[ "$ms" -lt 3000 ] && [ "$(bodies)" = '2 second' ] && grep -q '"suffix":"paykeeper"' "$tmp/pull.json"
check "a waiting pull returns at once when a callback arrives (${ms} ms)" $? "$(cat "$tmp/pull.json")"

t0=$(date +%s%N)
pull "$port_r1" "$tok_a" "offset=3&timeout=1"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$code" = 200 ] && [ "$ms" -ge 900 ] && [ "$(cat "$tmp/pull.json")" = '{"updates":[],"last":2}' ]
check "a pull with nothing new returns empty after its timeout (${ms} ms)" $? "$(cat "$tmp/pull.json")"

c=$(post "$port_r1" "/acct/$acct_key" 'pk-callback')
pull "$port_r1" "$tok_a" "offset=3&timeout=0"
la=$(bodies)
pull "$port_r1" "$tok_b" "timeout=0"
[ "$c" = 200 ] && [ "$la" = '3 pk-callback' ] && [ "$(bodies)" = '1 pk-callback' ]
check "an account callback reaches every till of the account" $? "$c / $la / $(bodies)"

# ---- durability: kill -9 between the callback and the pull ----
c=$(post "$port_r1" "/cb/$key_a" 'before-kill')
kill -9 "$pid_r1"
wait "$pid_r1" 2>/dev/null
start r2
pull "$port_r2" "$tok_a" "offset=4&timeout=0"
[ "$c" = 200 ] && [ "$(bodies)" = '4 before-kill' ]
check "a callback answered 200 survives kill -9 of the relay" $? "$(cat "$tmp/pull.json")"

"$relay" status --db "$db" --tills "$tmp/tills.ini" >"$tmp/status.out" 2>"$tmp/status.err"
grep -Eq '^a +[0-9-]+ [0-9:]+Z +1 +3  [0-9-]+ [0-9:]+Z$' "$tmp/status.out" &&
	grep -Eq '^b +[0-9-]+ [0-9:]+Z +1 +0 ' "$tmp/status.out"
check "status shows per till: last pull, waiting, delivered, last callback" $? "$(cat "$tmp/status.out" "$tmp/status.err")"

if [ "$kind" = pg ]; then
	# ---- a chain: two relay processes on one database ----
	start r3
	(sleep 0.5; post "$port_r3" "/cb/$key_a" 'via-r3' >/dev/null) &
	t0=$(date +%s%N)
	pull "$port_r2" "$tok_a" "offset=5&timeout=20"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	wait $!
	[ "$ms" -lt 3000 ] && [ "$(bodies)" = '5 via-r3' ]
	check "a pull waiting on one relay wakes for a callback taken by another (${ms} ms)" $? "$(cat "$tmp/pull.json")"

	# ---- the database connection cut under the relays ----
	psql -q "$KASSA_TEST_PG" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = '$pgdb' AND pid <> pg_backend_pid()" >/dev/null
	codes=
	for i in $(seq 20); do
		c=$(post "$port_r2" "/cb/$key_a" "after-cut-$i")
		codes="$codes $c"
		[ "$c" = 200 ] && break
		sleep 0.25
	done
	pull "$port_r2" "$tok_a" "offset=6&timeout=0"
	got=$(bodies)
	# Every callback answered 200 is there; none answered 500 is.
	want=$(echo $codes | tr ' ' '\n' | grep -n 200 | sed 's/:.*//; s/^/6 after-cut-/')
	[ "$c" = 200 ] && [ "$got" = "$want" ] && grep -q "reconnect" "$tmp/r2.err"
	check "after the database connection is cut: 500 until reconnected, then 200 and delivered" $? "codes:$codes" "got: $got" "want: $want"

	# ---- retention by offset: how far each till acknowledged, noted now and then ----
	sql() { psql -qAt "$db" -c "$1"; }
	callbacks() { sql "SELECT string_agg(till || seq, ' ' ORDER BY till, seq) FROM relay_callbacks"; }
	age_marks() { # stop the relays, make every note look older than the retention period
		kill -9 "$@"
		wait "$@" 2>/dev/null
		sql "UPDATE relay_ack_marks SET at_ms = 1" >/dev/null
	}
	before=$(callbacks)
	age_marks "$pid_r2" "$pid_r3"
	# The restarted relay prunes a second after start: it notes that a
	# acknowledged up to 5 and removes only what older notes cover.
	start r2
	sleep 2
	marks=$(sql "SELECT string_agg(till || acked, ' ' ORDER BY till, acked) FROM relay_ack_marks")
	mid=$(callbacks)
	age_marks "$pid_r2"
	start r2
	sleep 2
	after=$(callbacks)
	[ "${before#a1 a2 a3 a4 a5 a6 }" = b1 ] && [[ "$marks" == *a5 ]] &&
		[[ "$mid" == *"a5 a6 b1" ]] && [ "$after" = "a6 b1" ]
	check "acknowledged callbacks are removed after the retention period, the others kept" $? "before: $before" "marks: $marks" "then: $mid" "after: $after"
else
	# ---- 500 when the callback cannot be committed ----
	(echo "BEGIN EXCLUSIVE;"; sleep 8; echo "COMMIT;") | sqlite3 "$tmp/relay.db" &
	lock=$!
	# Wait until the lock is really held (a loaded machine starts sqlite3 late).
	for _ in $(seq 100); do
		sqlite3 "$tmp/relay.db" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 || break
		sleep 0.05
	done
	c=$(post "$port_r2" "/cb/$key_a" 'locked-out')
	wait "$lock"
	pull "$port_r2" "$tok_a" "offset=5&timeout=0"
	[ "$c" = 500 ] && [ "$(cat "$tmp/pull.json")" = '{"updates":[],"last":4}' ]
	check "a callback that cannot be committed is answered 500 and not stored" $? "post $c $(cat "$tmp/pull.json")"
fi

if [ "$kind" = sqlite ]; then
	# ---- retention: acknowledged callbacks go after the retention period ----
	kill -9 "$pid_r2"
	wait "$pid_r2" 2>/dev/null
	# Offsets 1-4 of till a are acknowledged, b1 is not: make them all look
	# acknowledged (or received) long ago; the relay prunes a second after it starts.
	sqlite3 "$tmp/relay.db" "UPDATE relay_callbacks SET acked_ms = 1 WHERE acked_ms IS NOT NULL;
		UPDATE relay_callbacks SET received_ms = 1;"
	before=$(sqlite3 "$tmp/relay.db" "SELECT group_concat(till || seq, ' ') FROM relay_callbacks")
	start r2
	sleep 2
	after=$(sqlite3 "$tmp/relay.db" "SELECT group_concat(till || seq, ' ') FROM relay_callbacks")
	[ "$before" = "a1 a2 a3 a4 b1" ] && [ "$after" = "b1" ]
	check "acknowledged callbacks are removed after the retention period, the others kept" $? "before: $before" "after: $after"
fi

# ---- hardening: per-IP connection limit and idle timeout ----
# (SQLite: a database of its own, as one SQLite file serves one relay process.)
limdb=$db
[ "$kind" = sqlite ] && limdb="sqlite:$tmp/lim.db"
"$relay" --listen 127.0.0.1:0 --db "$limdb" --tills "$tmp/tills.ini" --per-ip-limit 2 --timeout 1 \
	>"$tmp/lim.out" 2>"$tmp/lim.err" &
pids+=("$!")
for _ in $(seq 100); do [ -s "$tmp/lim.out" ] && break; sleep 0.05; done
lport=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/lim.out")
exec 7<>"/dev/tcp/127.0.0.1/$lport" 8<>"/dev/tcp/127.0.0.1/$lport"
sleep 0.2
# A third connection sheds the one idle longest, so idle ones keep no one out.
c3=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/health")
sleep 1.5 # both idle connections time out
c4=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/health")
exec 7>&- 8>&-
[ "$c3" = 200 ] && [ "$c4" = 200 ]
check "with --per-ip-limit 2 a third connection sheds the idle longest; idle ones time out" $? "$c3 $c4"
# Two long-polls waiting are busy, not idle: a third connection is refused.
# They ask for what comes after the till's last callback, so they wait (the
# PostgreSQL run shares its database with the tests above: till a has some).
pull "$lport" "$tok_a" "timeout=0"
next=$(($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last"])' "$tmp/pull.json") + 1))
for i in 1 2; do
	curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer $tok_a" \
		"http://127.0.0.1:$lport/pull?offset=$next&timeout=3" &
	lp[$i]=$!
done
sleep 0.5
c5=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/health")
wait "${lp[1]}" "${lp[2]}"
[ "$c5" = 000 ]
check "a third connection is refused while both of the address's are waiting long-polls" $? "$c5"

kill -TERM "$pid_r2"
wait "$pid_r2"
check "SIGTERM stops the relay cleanly" $?

if [ "$kind" = sqlite ]; then
	# ---- HTTPS with its own certificate; certificate checks stay on ----
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
		-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
	"$relay" --listen 127.0.0.1:0 --db "$db" --tills "$tmp/tills.ini" --tls-cert "$tmp/cert.pem" \
		--tls-key "$tmp/key.pem" >"$tmp/tls.out" 2>"$tmp/tls.err" &
	pids+=("$!")
	for _ in $(seq 100); do [ -s "$tmp/tls.out" ] && break; sleep 0.05; done
	tport=$(sed -n 's/^listening on https:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/tls.out")
	c1=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$tmp/cert.pem" -H "Authorization: Bearer $tok_b" \
		"https://127.0.0.1:$tport/pull?offset=2&timeout=0")
	c2=$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$tport/health")
	[ -n "$tport" ] && [ "$c1" = 200 ] && [ "$c2" = 000 ]
	check "--tls-cert/--tls-key serve HTTPS and print listening on https://" $? "$(cat "$tmp/tls.out" "$tmp/tls.err") $c1 $c2"
fi

# ---- the tills file reloaded while serving (no restart) ----
rdb=$db
[ "$kind" = sqlite ] && rdb="sqlite:$tmp/reload.db"
start_r() { # start_r NAME: a relay on $rdb
	"$relay" --listen 127.0.0.1:0 --db "$rdb" --tills "$tmp/tills.ini" --per-ip-limit off \
		>"$tmp/$1.out" 2>>"$tmp/$1.err" &
	local pid=$!
	pids+=("$pid")
	eval "pid_$1=$pid"
	for _ in $(seq 100); do
		[ -s "$tmp/$1.out" ] && break
		sleep 0.05
	done
	eval "port_$1=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/$1.out")"
}
start_r r4
"$relay" add-till c --tills "$tmp/tills.ini" >"$tmp/add.txt" 2>&1
tok_c=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
key_c=$(key_of "$tok_c")
grep -q "no restart is needed" "$tmp/add.txt"
check "add-till says a running relay picks the till up without a restart" $? "$(grep -v relay_token "$tmp/add.txt")"
pull "$port_r4" "$tok_c" "timeout=0"
[ "$code" = 200 ] && [ "$(cat "$tmp/pull.json")" = '{"updates":[],"last":0}' ] && grep -q "reloaded (changed)" "$tmp/r4.err"
check "a till added while the relay runs pulls at once: the changed file is read again" $? "$code $(cat "$tmp/pull.json") $(cat "$tmp/r4.err")"
c=$(post "$port_r4" "/cb/$key_c" 'for-c')
pull "$port_r4" "$tok_c" "timeout=0"
[ "$c" = 200 ] && [ "$(bodies)" = '1 for-c' ]
check "and its callbacks are taken and delivered" $? "post $c $(cat "$tmp/pull.json")"

"$relay" add-till d --tills "$tmp/tills.ini" >"$tmp/add.txt" 2>&1
tok_d=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
key_d=$(key_of "$tok_d")
kill -HUP "$pid_r4"
for _ in $(seq 100); do grep -q "reloaded (SIGHUP)" "$tmp/r4.err" && break; sleep 0.05; done
c=$(post "$port_r4" "/cb/$key_d" 'for-d')
pull "$port_r4" "$tok_d" "timeout=0"
[ "$c" = 200 ] && [ "$(bodies)" = '1 for-d' ] && grep -q "reloaded (SIGHUP): 4 tills, 1 new" "$tmp/r4.err"
check "SIGHUP reloads the tills file: a callback for the new till is taken first" $? "post $c $(cat "$tmp/pull.json") $(cat "$tmp/r4.err")"

# A pull waiting across a reload still wakes for its till's callback.
(sleep 0.8; post "$port_r4" "/cb/$key_c" 'after-reload' >/dev/null) &
poster=$!
(sleep 0.3; kill -HUP "$pid_r4") &
t0=$(date +%s%N)
pull "$port_r4" "$tok_c" "offset=2&timeout=20"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$poster"
[ "$ms" -lt 5000 ] && [ "$(bodies)" = '2 after-reload' ] && [ "$(grep -c 'reloaded (SIGHUP)' "$tmp/r4.err")" = 2 ]
check "a pull waiting across a reload wakes for its callback (${ms} ms)" $? "$(cat "$tmp/pull.json")"

# Bytes and a Content-Type the database must carry exactly (quotes, backslashes,
# braces and commas, as the PostgreSQL store writes arrays; every byte value).
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' >"$tmp/odd.bin"
odd_ct='text/x-odd; a="q\"x"; b=\; c='"'"'{1,2}'"'"
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: $odd_ct" --data-binary @"$tmp/odd.bin" \
	"http://127.0.0.1:$port_r4/cb/$key_c")
pull "$port_r4" "$tok_c" "offset=3&timeout=0"
python3 - "$tmp/pull.json" "$tmp/odd.bin" "$odd_ct" <<'PY'
import base64, json, sys
u = json.load(open(sys.argv[1]))["updates"]
ok = len(u) == 1 and base64.b64decode(u[0]["body"]) == open(sys.argv[2], "rb").read() \
	and u[0]["content_type"] == sys.argv[3] and u[0]["offset"] == 3
sys.exit(0 if ok else 1)
PY
check "every byte of a body and an odd Content-Type come back exactly" $? "post $c $(head -c 300 "$tmp/pull.json")"

chmod 644 "$tmp/tills.ini"
kill -HUP "$pid_r4"
for _ in $(seq 100); do grep -q "not reloaded" "$tmp/r4.err" && break; sleep 0.05; done
pull "$port_r4" "$tok_d" "offset=2&timeout=0"
grep -q "not reloaded (SIGHUP):.*chmod 600.*still serving the 4 tills" "$tmp/r4.err" && [ "$code" = 200 ]
check "a tills file others may read is not reloaded (the old set serves on; the log says why)" $? "$code $(grep 'not reloaded' "$tmp/r4.err")"
chmod 600 "$tmp/tills.ini"

if [ "$kind" = sqlite ]; then
	# ---- one SQLite database, one relay process ----
	# (timeout: a relay that wrongly starts would serve until killed)
	timeout 10 "$relay" --listen 127.0.0.1:0 --db "$rdb" --tills "$tmp/tills.ini" >"$tmp/o" 2>"$tmp/e"
	rc=$?
	[ "$rc" -ne 0 ] && [ ! -s "$tmp/o" ] && grep -q "another kassa-relay (pid $pid_r4) already serves $tmp/reload.db" "$tmp/e" &&
		grep -q "PostgreSQL" "$tmp/e"
	check "a second relay on the same SQLite file is refused, naming the first one's pid and PostgreSQL" $? "exit $rc $(cat "$tmp/o" "$tmp/e")"
	kill -9 "$pid_r4"
	wait "$pid_r4" 2>/dev/null
	start_r r5
	pull "$port_r5" "$tok_d" "offset=2&timeout=0"
	[ -n "$port_r5" ] && [ "$code" = 200 ]
	check "after the first relay died (SIGKILL), a new one takes the database" $? "$(cat "$tmp/r5.err")"
	"$relay" status --db "$rdb" --tills "$tmp/tills.ini" >"$tmp/o" 2>"$tmp/e"
	check "kassa-relay status still reads the database while a relay serves it" $? "$(cat "$tmp/e")"
fi

! grep -rqF -e "$tok_a" -e "$tok_b" -e "$key_a" -e "$tok_c" -e "$key_c" "$tmp"/*.err "$tmp"/*.out "$tmp/status.out"
check "no token or callback key in any output or log" $?

echo "1..$n"
[ "$failed" -eq 0 ]
