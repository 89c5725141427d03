#!/usr/bin/env bash
# kassa bill (issue 14): every refusal names its field or says what to do and
# leaves nothing behind (no bill journaled, none at the provider); a bill is
# made once per basket; a paid bill ends in one processed receipt, a
# cancelled one in none; a paid bill cannot be cancelled.
#
# usage: test_cli_bill.sh KASSA KASSA_SANDBOX DATA_DIR
set -u
KASSA=$1
SANDBOX=$2
TIMEOUT=${E2E_TIMEOUT:-20}
tmp=$(mktemp -d /tmp/kassa-cli-bill-XXXXXX)
n=0
failed=0
sandbox_pid=
cleanup() {
	[ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	shift
	for l in "$@"; do printf '#   %s\n' "$l"; done
}
bail() { echo "Bail out! $*"; exit 1; }

"$SANDBOX" --listen 127.0.0.1:0 --memory --callback-delay 50 --time-scale 0.1 --quiet \
	>"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
sandbox_pid=$!
port=""
end=$((SECONDS + TIMEOUT))
while [ -z "$port" ] && [ $SECONDS -lt $end ]; do
	port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/sandbox.out")
	[ -z "$port" ] && sleep 0.05
done
[ -n "$port" ] || bail "kassa-sandbox does not start: $(cat "$tmp/sandbox.err")"
S=http://127.0.0.1:$port

mkdir -p "$tmp/config/kassa" "$tmp/home" "$tmp/data"
# The callback listener of each command (receipt callbacks, notifications): a free port.
lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/config/kassa/config.ini" <<INI
[kassa]
default_profile = shop

[profile.shop]
provider = lifepay
base_url = $S
login = 70000000000
apikey = sandbox-apikey
target_serial = SANDBOX-0001
listen = 127.0.0.1:$lport
public_url = http://127.0.0.1:$lport

[profile.pk]
provider = paykeeper
base_url = $S
user = sandbox
password = sandbox
INI
chmod 600 "$tmp/config/kassa/config.ini"
cat >"$tmp/r.json" <<'JSON'
{"purchase":{"products":[{"name":"Хлеб","price":1250.00,"quantity":1}]},"type":"payment","card_amount":"#"}
JSON
cat >"$tmp/refund.json" <<'JSON'
{"purchase":{"products":[{"name":"Хлеб","price":1250.00,"quantity":1}]},"type":"refund","card_amount":"#"}
JSON
sed 's/"type"/"ext_id":"basket-1","type"/' "$tmp/r.json" >"$tmp/r1.json"
sed 's/"type"/"ext_id":"basket-2","type"/' "$tmp/r.json" >"$tmp/r2.json"

cli() {
	env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" \
		XDG_DATA_HOME="$tmp/data" LANG=C.UTF-8 LC_ALL=C.UTF-8 \
		"$KASSA" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
sandbox_bills() { curl -s "$S/sandbox/bills" | grep -o '"number"' | wc -l; }
journal_bills() { cli bill list --json; grep -c '"id"' "$tmp/out"; }

# refuse DESCRIPTION EXIT PATTERN ARGS...: exit status and stderr naming the field.
refuse() {
	local what=$1 want=$2 pattern=$3
	shift 3
	cli "$@"
	if [ "$rc" = "$want" ] && grep -q -- "$pattern" "$tmp/err"; then
		ok "refused: $what"
	else
		not_ok "refused: $what" "exit $rc (want $want)" "stderr: $(cat "$tmp/err")"
	fi
}

refuse "no subcommand" 2 "Usage" bill
refuse "unknown subcommand" 2 "use create, status, cancel, refund or list" bill pay
refuse "create without FILE" 2 "receipt FILE" bill create --phone 79161234567
refuse "a FILE that does not exist" 2 "cannot open" bill create "$tmp/none.json" --phone 79161234567
refuse "neither phone nor e-mail" 2 "customer_phone" bill create "$tmp/r.json"
refuse "a short phone" 2 "customer_phone" bill create "$tmp/r.json" --phone 12345
refuse "letters in the phone" 2 "customer_phone" bill create "$tmp/r.json" --phone 7916abc4567
refuse "a bad e-mail" 2 "customer_email" bill create "$tmp/r.json" --email nobody
refuse "an unknown method" 2 "--method must be" bill create "$tmp/r.json" --phone 79161234567 --method cash
refuse "mobile commerce without a phone" 2 "customer_phone" bill create "$tmp/r.json" --email a@b.ru --method mobile
refuse "--phone without a value" 2 "--phone needs" bill create "$tmp/r.json" --phone
refuse "a bad --timeout" 2 "--timeout" bill create "$tmp/r.json" --phone 79161234567 --timeout 0
refuse "an unknown option" 2 "unknown option" bill create "$tmp/r.json" --phone 79161234567 --cash
refuse "two FILEs" 2 "unexpected argument" bill create "$tmp/r.json" "$tmp/r.json" --phone 79161234567
refuse "a refund receipt" 2 "type" bill create "$tmp/refund.json" --phone 79161234567
refuse "a PayKeeper profile" 3 "not LIFE PAY" bill create "$tmp/r.json" --phone 79161234567 --profile pk
refuse "status without BILL" 2 "give the bill" bill status
refuse "cancel without BILL" 2 "give the bill" bill cancel
refuse "status of an unknown bill" 2 "no bill has" bill status nosuchbill
refuse "cancel of an unknown bill" 2 "no bill has" bill cancel 999
refuse "list with an argument" 2 "unexpected argument" bill list extra
if [ "$(sandbox_bills)" = 0 ] && [ "$(journal_bills)" = 0 ]; then
	ok "refusals left nothing: no bill journaled, none at LIFE PAY"
else
	not_ok "refusals left nothing" "sandbox $(sandbox_bills), journal $(journal_bills)"
fi

# A bill paid through the sandbox's payment page ends in one processed receipt.
cli bill create "$tmp/r1.json" --phone "+7 916 123-45-67"
number=$(sed -n 's/.*LIFE PAY number: \([0-9]*\).*/\1/p' "$tmp/out")
link=$(sed -n 's/.*payment link: \(http[^ ]*\).*/\1/p' "$tmp/out")
if [ "$rc" = 0 ] && [ -n "$number" ] && grep -q "1,250.00" "$tmp/out"; then
	ok "create prints the amount, the number and the link"
else
	not_ok "create prints the amount, the number and the link" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
fi
cli bill create "$tmp/r1.json" --phone 79161234567
if [ "$rc" = 0 ] && grep -q "already has bill #1" "$tmp/out" && [ "$(sandbox_bills)" = 1 ]; then
	ok "the same basket again: the same bill, not a second one"
else
	not_ok "the same basket again" "exit $rc" "$(cat "$tmp/out" "$tmp/err")" "sandbox bills $(sandbox_bills)"
fi
curl -s -X POST "$link/pay" >/dev/null
cli bill status "$number" --wait --timeout "$TIMEOUT"
if [ "$rc" = 0 ] && grep -q "paid" "$tmp/out" && grep -q "receipt: #1 processed" "$tmp/out"; then
	ok "paid at its page: status shows paid and receipt #1 processed"
else
	not_ok "paid: receipt processed" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
fi
ledger=$(curl -s "$S/sandbox/ledger" | grep -o '"ext_id":"basket-1"' | wc -l)
[ "$ledger" = 1 ] && ok "one receipt at LIFE PAY for the paid bill" || not_ok "one receipt" "ledger has $ledger"
refuse "cancel a paid bill" 1 "only a bill waiting for the buyer" bill cancel 1

# A cancelled bill: cancelled at LIFE PAY, no receipt.
cli bill create "$tmp/r2.json" --email buyer@example.ru --method card
cli bill cancel '#2'
st=$(curl -s "$S/sandbox/bills" | grep -o '"status":30' | wc -l)
if [ "$rc" = 0 ] && grep -q "cancelled" "$tmp/out" && [ "$st" = 1 ]; then
	ok "cancel: cancelled here and at LIFE PAY"
else
	not_ok "cancel" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
fi
ledger=$(curl -s "$S/sandbox/ledger" | grep -o '"ext_id":"basket-2"' | wc -l)
[ "$ledger" = 0 ] && ok "no receipt for the cancelled bill" || not_ok "no receipt" "ledger has $ledger"
refuse "cancel it again" 1 "only a bill waiting" bill cancel '#2'

# Refunds of a paid bill (bill 1, 1250.00): never more than paid minus earlier refunds.
refuse "refund without BILL" 2 "give the bill to refund" bill refund
refuse "refund of an unknown bill" 2 "no bill has" bill refund 999
refuse "--amount that is not a sum" 2 "--amount needs" bill refund 1 --amount abc
refuse "--amount of zero" 2 "--amount needs" bill refund 1 --amount 0
refuse "--amount without a value" 2 "--amount needs" bill refund 1 --amount
refuse "refund of a cancelled bill" 1 "bill: bill #2 is cancelled: only a paid bill" bill refund '#2'
refuse "refund of more than was paid" 1 "amount: is 2000.00, but at most 1250.00" bill refund 1 --amount 2000
env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
	LANG=ru_RU.UTF-8 LC_ALL=ru_RU.UTF-8 "$KASSA" bill refund 1 --amount 2000 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q "amount: указано 2000.00, но вернуть можно не больше 1250.00" "$tmp/err"; then
	ok "refused in Russian too, naming amount"
else
	not_ok "refused in Russian too" "exit $rc" "$(cat "$tmp/err")"
fi
if [ "$(curl -s "$S/sandbox/bills" | grep -o '"refunds":[1-9]' | wc -l)" = 0 ]; then
	ok "refused refunds reached no one"
else
	not_ok "refused refunds reached no one" "$(curl -s "$S/sandbox/bills")"
fi
cli bill refund 1 --amount 500 --timeout "$TIMEOUT"
if [ "$rc" = 0 ] && grep -q "refund #1: 500.00, refunded, LIFE PAY number [0-9]*, refund receipt #[0-9]* processed" "$tmp/out"; then
	ok "partial refund: refunded at LIFE PAY, refund receipt processed"
else
	not_ok "partial refund" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
fi
refuse "refund of more than is left" 1 "amount: is 800.00, but at most 750.00 can be refunded (paid 1250.00, refunded 500.00)" bill refund 1 --amount 800
cli bill refund basket-1 --timeout "$TIMEOUT"
if [ "$rc" = 0 ] && grep -q "refund #2: 750.00, refunded" "$tmp/out"; then
	ok "the rest refunded (no --amount)"
else
	not_ok "the rest refunded" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
fi
refuse "refund once refunded in full" 1 "nothing is left to refund" bill refund 1
refunds=$(curl -s "$S/sandbox/ledger" | grep -o '"ext_id":"rf-[0-9a-f-]*"' | sort -u | wc -l)
docs=$(curl -s "$S/sandbox/ledger" | grep -o '"ext_id":"rf-[0-9a-f-]*"' | wc -l)
if [ "$refunds" = 2 ] && [ "$docs" = 2 ] && curl -s "$S/sandbox/bills" | grep -q '"refunded":"1250.00"'; then
	ok "two refund receipts at LIFE PAY, 1250.00 refunded, nothing doubled"
else
	not_ok "two refund receipts" "ledger $docs ($refunds distinct)" "$(curl -s "$S/sandbox/bills")"
fi
cli bill status 1
if grep -q "refund #2: 750.00" "$tmp/out" && grep -q "refund #1: 500.00" "$tmp/out"; then
	ok "status lists the bill's refunds"
else
	not_ok "status lists the refunds" "$(cat "$tmp/out")"
fi

# kassa journal --json: the bill's receipt names its bill, the refund receipts their refunds.
cli journal --json
got=$(python3 -c '
import json, sys
docs = json.load(open(sys.argv[1]))
sale = [x for x in docs if x["ext_id"] == "basket-1"][0]
rf = sorted((x["bill_refund"]["refund_id"], x["bill_refund"]["bill_id"], x["bill_refund"]["amount"], x["ref_uuid"] == sale["uuid"])
            for x in docs if x["bill_refund"])
print(sale["bill"]["id"], sale["bill"]["state"], sale["bill_refund"], rf)' "$tmp/out" 2>&1)
if [ "$rc" = 0 ] && [ "$got" = "1 success None [(1, 1, '500.00', True), (2, 1, '750.00', True)]" ]; then
	ok "journal --json: bill on the receipt, bill_refund on each refund receipt (citing it)"
else
	not_ok "journal --json shows bills" "exit $rc, got «$got»"
fi

echo "1..$n"
exit $failed
