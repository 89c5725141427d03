#!/bin/bash
# kassa settle ORDER (issue 14): a prepaid order settled from the command
# line, found by #id, ext_id or the buyer's contact; the final receipt has
# prepayment_amount = what was prepaid and what is left paid by card or
# cash; an order settles once; every refusal names the option or field.
# Runs against the strict training sandbox. Prints TAP.
# Usage: test_cli_settle.sh KASSA
set -u
export KASSA_SANDBOX_STRICT=1
kassa=$1
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME"
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "# $line"; done
	sed 's/^/#   stderr: /' "$tmp/err"
}
k() {
	LC_ALL=${LCALL:-C.UTF-8} "$kassa" "$@" --training >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# prepay EMAIL EXT: a full prepayment (type 1) of a 1,000.00 order for EMAIL.
prepay() {
	printf '{"type":"payment","ext_id":"%s","customer_email":"%s","card_amount":"#","purchase":{"products":[{"name":"Чайник","price":600,"quantity":1,"tax":"vat20","type":1},{"name":"Кружка","price":200,"quantity":2,"tax":"vat20","type":1}]}}' \
		"$2" "$1" >"$tmp/p.json"
	k receipt "$tmp/p.json" --wait --timeout 30
	[ "$rc" = 0 ] || echo "Bail out! the prepayment for $1 was not processed: $(cat "$tmp/err" "$tmp/out")"
}
# refuse NAME EXIT PATTERN ARGS...
refuse() {
	local name=$1 want=$2 pattern=$3
	shift 3
	k settle "$@"
	if [ "$rc" = "$want" ] && grep -qF -- "$pattern" "$tmp/err"; then
		ok "refused: $name"
	else
		not_ok "refused: $name" "exit $rc (want $want), want «$pattern»"
	fi
}

prepay anna@example.ru order-anna
prepay boris@example.ru order-boris
# A plain sale: not a prepaid order.
printf '{"type":"payment","card_amount":"#","purchase":{"products":[{"name":"Хлеб","price":45.5,"quantity":1}]}}' >"$tmp/s.json"
k receipt "$tmp/s.json" --wait --timeout 30
# Boris prepaid 300.00 of his 1,000.00 order (as the screen's partial prepayment stores it).
sqlite3 "$XDG_DATA_HOME/kassa/training-journal.db" "UPDATE prepaid_orders SET prepaid_kop = 30000 WHERE doc_id = 2"

refuse "no ORDER" 2 "give the ORDER" 
refuse "two ORDERs" 2 "unexpected argument" '#1' '#2'
refuse "an unknown contact" 2 "ORDER: no open prepaid order" nobody@example.ru
refuse "a contact two orders match" 2 'ORDER: 2 open prepaid orders match "example.ru" (#2, #1)' example.ru
refuse "a receipt that took no prepayment" 1 "prepayment_amount: document #3 took no prepayment" '#3'
refuse "--card without a value" 2 "--card needs an amount" boris --card
refuse "--cash that is not an amount" 2 "--cash:" boris --cash abc
refuse "nothing paid for what is left" 2 "--card: 700.00 is still to pay" boris
refuse "card short of what is left" 2 "--card:" boris --card 600
refuse "cash beside a covering prepayment" 2 "--cash: nothing is left to pay" anna --cash 10
refuse "an unknown option" 2 "unknown option" boris --cheque 1
LCALL=ru_RU.UTF-8 k settle boris
if [ "$rc" = 2 ] && grep -qF -- "--card: осталось оплатить 700.00" "$tmp/err"; then
	ok "refused in Russian too, naming --card"
else
	not_ok "refused in Russian too" "exit $rc"
fi
db() { sqlite3 "$XDG_DATA_HOME/kassa/training-journal.db" "$1"; }
if [ "$(db "SELECT COUNT(*) FROM documents")" = 3 ]; then
	ok "refusals left nothing in the journal"
else
	not_ok "refusals left nothing" "$(db "SELECT id, ext_id FROM documents")"
fi

# Anna's order by her contact: fully prepaid, nothing to pay now.
k settle ANNA@example --wait --timeout 30
if [ "$rc" = 0 ] && grep -q "state  processed" "$tmp/out" && [ "$(db "SELECT settled_by FROM prepaid_orders WHERE doc_id = 1")" = 4 ] &&
	db "SELECT body FROM documents WHERE id = 4" | grep -q '"prepayment_amount":1000.00'; then
	ok "settled by the buyer's contact: final receipt #4 processed, linked, prepayment_amount 1000.00"
else
	not_ok "settled by contact" "exit $rc" "$(cat "$tmp/out")" "$(db "SELECT body FROM documents WHERE id = 4")"
fi
refuse "settling it again" 1 "settled already by receipt #4" order-anna
# Boris's by ext_id: 700.00 by card now.
k settle order-boris --card '#' --wait --timeout 30
if [ "$rc" = 0 ] && grep -q "state  processed" "$tmp/out" && [ "$(db "SELECT card_kop, total_kop FROM documents WHERE id = 5")" = "70000|100000" ] &&
	[ "$(db "SELECT settled_by FROM prepaid_orders WHERE doc_id = 2")" = 5 ]; then
	ok "settled by ext_id: 700.00 by card, linked"
else
	not_ok "settled by ext_id" "exit $rc" "$(cat "$tmp/out")" "$(db "SELECT id, card_kop, total_kop FROM documents")"
fi
refuse "a settled order by its #id" 1 "settled already by receipt #5" '#2'

# kassa journal --json and kassa status show the link both ways.
k journal --json
got=$(python3 -c '
import json, sys
d = {x["id"]: x for x in json.load(open(sys.argv[1]))}
print(d[2]["prepaid_order"]["settled_by"], d[2]["prepaid_order"]["prepaid"], d[2]["prepaid_order"]["contact"],
      d[5]["settles"], d[5]["prepaid_order"], d[3]["settles"], d[3]["prepaid_order"], d[3]["bill"])' "$tmp/out" 2>&1)
if [ "$rc" = 0 ] && [ "$got" = "5 300.00 boris@example.ru 2 None None None None" ]; then
	ok "journal --json: prepaid_order (settled_by, prepaid, contact) and settles"
else
	not_ok "journal --json shows the link" "exit $rc, got «$got»"
fi
k status 5
if [ "$rc" = 0 ] && grep -q "settles     prepaid order #2" "$tmp/out"; then
	ok "status of the final receipt names the order it settles"
else
	not_ok "status shows settles" "$(cat "$tmp/out")"
fi
k status order-boris
if [ "$rc" = 0 ] && grep -q "prepaid     order of 1000.00, 300.00 prepaid (buyer boris@example.ru), settled by #5" "$tmp/out"; then
	ok "status of the prepayment receipt shows its order and the settlement"
else
	not_ok "status shows the prepaid order" "$(cat "$tmp/out")"
fi

echo "1..$n"
[ "$failed" = 0 ]
