#!/usr/bin/env bash
# LIFE PAY transaction notifications through kassa-relay (issue 14): a till
# behind NAT gives its bills the relay's callback address (…/lifepay-tx);
# the relay commits the notification before its 200, `kassa bill list`
# pulls it into the journal, linked to the bill but NOT confirmed until
# `kassa bill status` asks LIFE PAY, which confirms it and sends the paid
# bill's receipt once.
#
# usage: test_cli_bill_relay.sh KASSA KASSA_SANDBOX KASSA_RELAY
set -u
kassa=$1
sandbox=$2
relay=$3
export LC_ALL=C.UTF-8
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME" "$XDG_CONFIG_HOME/kassa"
. "$(dirname "$0")/../tap.sh"
relay_db sqlite "" 0

for x in "$kassa" "$sandbox" "$relay"; do [ -x "$x" ] || bail "built: $x"; done
start_sandbox --memory --callback-delay 50 --quiet
add_till shop1
start_relay
S=http://127.0.0.1:$sport
shop_config "relay_url = http://127.0.0.1:$rport" "relay_token = $token"
printf '%s\n' '{"purchase":{"products":[{"name":"Хлеб","price":1250.00,"quantity":1}]},"ext_id":"relay-basket-1","type":"payment","card_amount":"#"}' >"$tmp/r.json"

run bill create "$tmp/r.json" --phone 79161234567
number=$(sed -n 's/.*LIFE PAY number: \([0-9]*\).*/\1/p' "$tmp/out")
[ "$rc" = 0 ] && [ -n "$number" ] && ok "the bill is made ($number)" || bail "the bill is made: $(cat "$tmp/out" "$tmp/err")"
curl -s -X POST "$S/sandbox/bills/pay" -d "{\"number\":\"$number\"}" >/dev/null
if wait_waiting 1; then ok "paid: the notification is committed at the relay"; else not_ok "the notification reached the relay" "waiting: $(relay_waiting)" "$(curl -s "$S/sandbox/callbacks")"; fi
if curl -s "$S/sandbox/callbacks" | grep -q "127.0.0.1:$rport/cb/[^\"]*/lifepay-tx"; then
	ok "the bill's callback_url is the relay's, path lifepay-tx"
else
	not_ok "the callback_url is the relay's" "$(curl -s "$S/sandbox/callbacks")"
fi
if grep -q "$token" "$tmp/out" "$tmp/err"; then not_ok "the token is never printed"; else ok "the token is never printed"; fi
run bill list
if [ "$rc" = 0 ] && grep -q "notification $number payment success 1250.00 bill #1 NOT confirmed" "$tmp/out"; then
	ok "bill list pulls it: linked to bill #1, NOT confirmed yet"
else
	not_ok "bill list pulls it, not confirmed"
fi
wait_waiting 0 && ok "nothing waits at the relay once pulled" || not_ok "nothing waits at the relay"
run bill status "$number" --wait --timeout "$TIMEOUT"
if [ "$rc" = 0 ] && grep -q "paid" "$tmp/out" && grep -q "receipt: #1 processed" "$tmp/out"; then
	ok "bill status confirms it paid; its receipt is processed (callback through the relay)"
else
	not_ok "bill status: paid, receipt processed"
fi
run bill list
if grep -q "bill #1 confirmed" "$tmp/out"; then ok "the notification is now confirmed"; else not_ok "confirmed"; fi
[ "$(grep -c '^notification' "$tmp/out")" = 1 ] && ok "stored once" || not_ok "stored once"
[ "$(curl -s "$S/sandbox/ledger" | grep -o '"ext_id":"relay-basket-1"' | wc -l)" = 1 ] &&
	ok "one receipt at LIFE PAY" || not_ok "one receipt at LIFE PAY"
echo "1..$n"
exit $failed
