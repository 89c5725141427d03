#!/bin/bash
# Seed 002's prepayment pair through `kassa receipt --dry-run`: the final
# receipt's prepayment_amount is taken and shown, and every refusal names its
# field, in English and in Russian. Prints TAP.
# Usage: test_cli_prepay.sh KASSA
set -u
export KASSA_SANDBOX_STRICT=1
kassa=$1
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME"
. "$(dirname "$0")/../tap.sh"

# body HEAD TYPE: a 1,000.00 order (kettle 600.00, two mugs 200.00) with HEAD fields, lines of TYPE
body() {
	local t=""
	[ -n "$2" ] && t=",\"type\":$2"
	printf '{%s,"purchase":{"products":[{"name":"Чайник","price":600,"quantity":1,"tax":"vat20"%s},{"name":"Кружка","price":200,"quantity":2,"tax":"vat20"%s}]}}' \
		"$1" "$t" "$t" >"$tmp/r.json"
}

# refuse NAME FIELD RUSSIAN_WORD HEAD TYPE: exit 2, nothing on stdout, the field named in both languages
refuse() {
	local name=$1 field=$2 ru=$3
	body "$4" "$5"
	LC_ALL=C.UTF-8 "$kassa" receipt --dry-run "$tmp/r.json" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" != 2 ] || [ -s "$tmp/out" ] || ! grep -qF "$field:" "$tmp/err"; then
		not_ok "$name: refused naming $field" "exit $rc, stdout $(head -c 200 "$tmp/out")"
		return
	fi
	ok "$name: refused naming $field"
	LC_ALL=ru_RU.UTF-8 LANG=ru_RU.UTF-8 "$kassa" receipt --dry-run "$tmp/r.json" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -qF "$field:" "$tmp/err" && grep -qF "$ru" "$tmp/err"; then
		ok "$name: in Russian too"
	else
		not_ok "$name: in Russian too" "exit $rc, want «$ru»"
	fi
}

# The final receipt of seed 002: 300.00 prepaid, 700.00 by card now.
body '"type":"payment","prepayment_amount":300,"card_amount":"#"' 4
LC_ALL=C.UTF-8 "$kassa" receipt --dry-run "$tmp/r.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && grep -q '"prepayment_amount": "300.00"' "$tmp/out" &&
	grep -q '"card_amount": "700.00"' "$tmp/out" &&
	grep -q '"prepayment_amount": 300.00' "$tmp/out" && [ "$(grep -c '"type": 4' "$tmp/out")" = 2 ]; then
	ok "final receipt: prepayment_amount in the request, 700.00 by card"
else
	not_ok "final receipt: prepayment_amount in the request, 700.00 by card" "exit $rc" "$(cat "$tmp/out")"
fi
# Receipt 1 of the pair: type 1, paid in full, no prepayment_amount.
body '"type":"payment","card_amount":"#"' 1
LC_ALL=C.UTF-8 "$kassa" receipt --dry-run "$tmp/r.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && grep -q '"card_amount": "1000.00"' "$tmp/out" && ! grep -q prepayment_amount "$tmp/out"; then
	ok "prepayment receipt (type 1): paid in full"
else
	not_ok "prepayment receipt (type 1): paid in full" "exit $rc" "$(cat "$tmp/out")"
fi

refuse "lines without type" "purchase.products[0].type" "полный расчёт" \
	'"prepayment_amount":300,"card_amount":"#"' ""
refuse "a prepayment line (type 1)" "purchase.products[0].type" "полный расчёт" \
	'"prepayment_amount":300,"card_amount":"#"' 1
refuse "an advance line (type 3)" "purchase.products[0].type" "полный расчёт" \
	'"prepayment_amount":300,"card_amount":"#"' 3
refuse "above the total" "prepayment_amount" "суммы чека" \
	'"prepayment_amount":1000.01,"card_amount":"#"' 4
refuse "negative" "prepayment_amount" "без + и -" \
	'"prepayment_amount":-1,"card_amount":"#"' 4
refuse "not a number" "prepayment_amount" "prepayment_amount" \
	'"prepayment_amount":"триста","card_amount":"#"' 4
refuse "three decimals" "prepayment_amount" "prepayment_amount" \
	'"prepayment_amount":300.005,"card_amount":"#"' 4
refuse "on a refund" "prepayment_amount" "чеке прихода" \
	'"type":"refund","ref_uuid":"84fefc72-cbc5-5cc1-ba40-d00f035f05cb","prepayment_amount":300,"card_amount":"#"' 4
refuse "cash beside a covering advance" "cash_amount" "платить нечего" \
	'"prepayment_amount":1000,"cash_amount":50' 4
refuse "card beside a covering advance" "card_amount" "платить нечего" \
	'"prepayment_amount":1000,"card_amount":50' 4
refuse "less than the rest (settlement above advance + paid now)" "card_amount" "" \
	'"prepayment_amount":300,"card_amount":600' 4
refuse "cash short of the rest" "cash_amount" "осталось оплатить 0.01" \
	'"prepayment_amount":300,"cash_amount":699.99' 4

# Sent for real to the training sandbox (strict): both receipts of the pair are processed,
# and the first is journaled as a prepaid order the screen can settle (F11, F8).
send() {
	LC_ALL=C.UTF-8 "$kassa" receipt "$tmp/r.json" --training --wait --timeout 30 >"$tmp/out" 2>"$tmp/err"
}
body '"type":"payment","customer_email":"b@example.ru","card_amount":"#"' 1
send
rc1=$?
body '"type":"payment","customer_email":"b@example.ru","prepayment_amount":300,"cash_amount":"#"' 4
send
rc2=$?
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && grep -q "state  processed" "$tmp/out"; then
	ok "the pair is processed by the strict training sandbox"
else
	not_ok "the pair is processed by the strict training sandbox" "exit $rc1 and $rc2" "$(cat "$tmp/out")"
fi
if command -v sqlite3 >/dev/null; then
	got=$(sqlite3 "$XDG_DATA_HOME/kassa/training-journal.db" \
		"SELECT doc_id, prepaid_kop, order_total_kop, contact FROM prepaid_orders")
	if [ "$got" = "1|100000|100000|b@example.ru" ]; then
		ok "receipt 1 is journaled as a prepaid order with its buyer"
	else
		not_ok "receipt 1 is journaled as a prepaid order with its buyer" "got: $got"
	fi
fi

echo "1..$n"
[ "$failed" = 0 ]
