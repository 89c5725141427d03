#!/bin/bash
# A till behind NAT (issue 13, "Done when"): kassa-sandbox calls back a real
# kassa-relay (temp SQLite database, a tills file made with `kassa-relay
# add-till`) at the callback_url kassa sends; `kassa receipt FILE` (no
# --wait) exits, and `kassa status ID` afterwards pulls the callback and
# shows `processed`, the history naming the relay. Then the relay is
# SIGKILLed and restarted between the callback and the pull: nothing is lost.
# Prints TAP.
# Usage: test_cli_relay.sh KASSA KASSA_SANDBOX KASSA_RELAY DATA_DIR [sqlite|pg]
#   pg: the relay on PostgreSQL; needs KASSA_TEST_PG=postgresql://... (a server
#   where the user may create databases) and psql, else skipped (TAP 1..0 # SKIP).
set -u
kassa=$1
sandbox=$2
relay=$3
data=$4
kind=${5:-sqlite}
export LC_ALL=C.UTF-8
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME" "$XDG_CONFIG_HOME/kassa"
. "$(dirname "$0")/../tap.sh"
relay_db "$kind" kassa_cli_relay 0


for x in "$kassa" "$sandbox" "$relay"; do [ -x "$x" ] || bail "built: $x"; done

start_sandbox --memory --callback-delay 1500 --quiet
add_till shop1
start_relay
ok "kassa-relay ($kind) listens on port $rport, kassa-sandbox on $sport"

shop_config "relay_url = http://127.0.0.1:$rport" "relay_token = $token"
lifepay_profile norelay

# 1. The receipt is sent and the command exits before the callback.
run receipt "$data/seed.json"
id=$(sed -n 's/.*document #\([0-9]*\) is in the journal.*/\1/p' "$tmp/err")
if [ "$rc" -eq 0 ] && [ -n "$id" ]; then ok "kassa receipt (no --wait) exits 0 with document #$id"; else not_ok "kassa receipt exits 0" "exit $rc"; fi
if grep -q "no relay configured" "$tmp/err"; then not_ok "with a relay, no 'no relay' note"; else ok "with a relay, no 'no relay' note"; fi
if grep -q "$token" "$tmp/out" "$tmp/err"; then not_ok "the token is never printed"; else ok "the token is never printed"; fi
if wait_waiting 1; then ok "the sandbox's callback reached the relay (1 waiting for the till)"; else not_ok "the callback reached the relay" "waiting: $(relay_waiting)"; fi

run status "$id"
if [ "$rc" -eq 0 ] && grep -qE "state +processed|processed" "$tmp/out"; then
	ok "kassa status $id afterwards shows processed"
else
	not_ok "kassa status $id afterwards shows processed" "exit $rc"
fi
if grep -qE "relay" "$tmp/out"; then ok "the history names the relay as the source"; else not_ok "the history names the relay"; fi
if wait_waiting 0 || [ "$(relay_waiting)" = 0 ]; then ok "nothing waits at the relay once the till pulled"; else not_ok "nothing waits at the relay" "waiting: $(relay_waiting)"; fi
run status "$id"
cp "$tmp/out" "$tmp/status1"
hist=$(grep -c "relay" "$tmp/status1")

# 2. The relay dies (SIGKILL) after it committed the callback, before the till pulls.
run receipt "$data/seed.json"
id2=$(sed -n 's/.*document #\([0-9]*\) is in the journal.*/\1/p' "$tmp/err")
[ "$rc" -eq 0 ] && [ -n "$id2" ] && ok "a second receipt #$id2 is sent" || not_ok "a second receipt is sent" "exit $rc"
if wait_waiting 1; then ok "its callback is committed at the relay"; else not_ok "its callback is committed at the relay"; fi
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
run status "$id2"
if [ "$rc" -eq 0 ] && grep -q "the relay could not be pulled" "$tmp/err"; then
	ok "with the relay down, status says so and shows the journal (exit 0)"
else
	not_ok "with the relay down, status says so" "exit $rc"
fi
if grep -qE "state +processed" "$tmp/out"; then not_ok "not processed while the relay is down"; else ok "not processed while the relay is down"; fi
start_relay "$rport"
run status "$id2"
if [ "$rc" -eq 0 ] && grep -qE "state +processed" "$tmp/out"; then
	ok "after the relay's restart, kassa status $id2 shows processed: nothing lost"
else
	not_ok "after the relay's restart, status shows processed" "exit $rc"
fi
run status "$id"
if [ "$(grep -c relay "$tmp/out")" = "$hist" ]; then ok "the first receipt's history did not change (applied once)"; else not_ok "the first receipt's history did not change" "$(diff "$tmp/status1" "$tmp/out")"; fi

# 3. journal and outbox pull too; without a relay a command says how the status is known.
run journal
if [ "$rc" -eq 0 ] && [ "$(grep -c processed "$tmp/out")" -ge 2 ]; then ok "kassa journal lists both processed"; else not_ok "kassa journal lists both processed" "exit $rc"; fi
run outbox
if [ "$rc" -eq 0 ] && grep -q "kassa-relay: connected, 0 callback(s) pulled" "$tmp/out"; then ok "kassa outbox pulls (nothing left) and says so"; else not_ok "kassa outbox pulls and says so" "exit $rc"; fi
run receipt "$data/seed.json" --profile norelay
if [ "$rc" -eq 0 ] && grep -q "no relay configured: no callback_url is sent" "$tmp/err"; then
	ok "without a relay the command sends no callback_url and says how the status is known"
else
	not_ok "without a relay the command says so" "exit $rc"
fi

run journal --json --limit 0
before=$(grep -o '"ext_id"' "$tmp/out" | wc -l)
run receipt "$data/seed.json" --profile norelay --wait
if [ "$rc" -eq 2 ] && grep -q -- "--wait: no final status can reach this command" "$tmp/err"; then
	ok "without a relay --wait is refused at once (exit 2), naming relay_url"
else
	not_ok "without a relay --wait is refused at once" "exit $rc"
fi
run journal --json --limit 0
if [ "$(grep -o '"ext_id"' "$tmp/out" | wc -l)" = "$before" ]; then ok "and nothing was sent"; else not_ok "and nothing was sent"; fi

# 4. A wrong token: said, never shown.
sed -i "s/^relay_token = .*/relay_token = wrong-token-wrong-token-wrong-token-0/" "$XDG_CONFIG_HOME/kassa/config.ini"
run status "$id"
if [ "$rc" -eq 0 ] && grep -q "relay_token" "$tmp/err" && ! grep -q "wrong-token" "$tmp/err"; then
	ok "a wrong relay_token is named, not shown"
else
	not_ok "a wrong relay_token is named, not shown" "exit $rc"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
