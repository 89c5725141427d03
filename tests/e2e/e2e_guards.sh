#!/usr/bin/env bash
# End-to-end tests of the till's safety guards (issue 10, items 3 to 6 and
# "fewer keys"): kassa's own tender rules, refunds against their original
# with the card capped and the money split as it was paid, the explicit
# refund without an original, whole pieces, the max_receipt ceiling, the
# pay dialog's tender keys, and a scan while the pay dialog is open. The
# harness (tmux, polling, TAP, clean-up) is e2e.sh's, sourced as e2e_day.sh
# does.
#
# usage: e2e_guards.sh KASSA KASSA_SANDBOX CASE
#   CASE: tender | refund-cap | no-original | pieces | ceiling | keys | scan | russian
set -u
here=$(dirname "$(realpath "$0")")
harness=$(sed '/^\[ -x "\$KASSA" \]/,$d' "$here/e2e.sh")
if ! grep -q '^wait_for()' <<<"$harness"; then
	echo "not ok 1 - e2e.sh's harness can be sourced (its layout changed)"
	echo "1..1"
	exit 1
fi
# shellcheck source=e2e.sh
source <(printf '%s\n' "$harness") "$@"


# A scanner: the code and Enter in one burst (one tmux command, one write).
scan() { tmux -L "$sock" send-keys -t e2e -l -- "$1" \; send-keys -t e2e Enter; }


# live_profile [EXTRA LINE]: a LIVE LifePay profile on the sandbox with its own catalog.
live_profile() {
	mkdir -p "$tmp/config/kassa"
	cat >"$tmp/catalog.csv" <<-'EOF2'
		code,name,price,unit,vat,object
		2001,Хлеб «Бородинский» 400 г,54.90,piece,vat10,1
		2002,Кофе в зёрнах 1 кг,480.90,piece,vat20,1
		2003,Сыр пармезан,637.80,piece,vat20,1
		4601234567890,Йогурт клубничный,64.90,piece,vat10,1
	EOF2
	shop_config "target_serial = SANDBOX-0001" "catalog = $tmp/catalog.csv" "${1:-}"
}

# cli ARGS...: the kassa command line with the test's config and data; sets $rc, $out, $err.
cli() {
	out=$(env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" \
		XDG_DATA_HOME="$tmp/data" LANG=C.UTF-8 LC_ALL=C.UTF-8 KASSA_SANDBOX_STRICT=1 "$KASSA" "$@" 2>"$tmp/cli.err")
	rc=$?
	err=$(cat "$tmp/cli.err")
}

add() { # CODE: typed and entered, then seen in the basket
	type_text "$1"
	keys Enter
	sleep 0.1
}

# Item 3: cash only when non-cash leaves something to pay.
case_tender() {
	start_sandbox
	live_profile
	start_kassa 100 30 C.UTF-8
	wait_for "LIVE" "a LIVE profile on kassa-sandbox"
	add 2003
	wait_re "Сыр пармезан +1 pc +637\.80" "one line of 637.80"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "5000"
	keys Tab
	type_text "637.80"
	wait_for "card already covers the total; cash would all be change" \
		"cash 5000 + card 637.80 is refused with the rule"
	wait_re "Cash: card already covers" "the refusal names the cash field"
	refute "Ready: Enter sends" "the dialog is not ready"
	keys Enter
	sleep 0.5
	refute "is on its way" "Enter sends nothing"
	wait_re "Card +637\.80" "the amounts typed are kept"
	keys BTab
	keys C-u
	wait_for "Ready: Enter sends" "without the cash it is ready"
	keys Enter
	wait_for "is on its way" "card 637.80 alone goes out"
	keys F9
	wait_re "receipt · sale +637\.80 +processed" "and is processed"
	esc
	quit_kassa
	# The command line refuses the same payment before it reaches the journal.
	cat >"$tmp/r.json" <<-'EOF2'
		{"purchase": {"products": [{"name": "Сыр", "price": "637.80", "quantity": 1}]},
		 "card_amount": "637.80", "cash_amount": "5000"}
	EOF2
	cli receipt "$tmp/r.json"
	if [ "$rc" = 2 ] && grep -q "cash_amount: card already covers the total" <<<"$err"; then
		ok "kassa receipt refuses it too (exit 2, names cash_amount)"
	else
		not_ok "kassa receipt refuses it too (exit 2, names cash_amount)" "rc=$rc" "$err"
	fi
	cli receipt --dry-run "$tmp/r.json"
	if [ "$rc" = 2 ] && grep -q "card already covers the total" <<<"$err"; then
		ok "and so does --dry-run"
	else
		not_ok "and so does --dry-run" "rc=$rc" "$err"
	fi
}

# Item 4: the card gets back at most what it paid; the default follows the payment.
case_refund_cap() {
	start_sandbox
	live_profile
	start_kassa 100 30 C.UTF-8
	wait_for "LIVE" "a LIVE profile on kassa-sandbox"
	add 2001
	add 2002
	wait_for "TOTAL 535.80" "two lines, 535.80"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "500"
	keys Tab
	type_text "#"
	keys Enter
	wait_for "is on its way" "cash 500.00, card # (35.80)"
	keys F9
	wait_re "receipt · sale +535\.80 +processed" "the sale is processed"
	esc
	keys F4
	wait_for "Refund: choose the original receipt" "F4 opens the refund screen"
	keys Enter
	wait_for "paid: card 35.80, cash 500.00" "the original was paid card 35.80 + cash 500.00"
	keys Enter
	wait_re "REFUND 54\.90 card 3\.67 \+ cash 51\.23" \
		"refund 54.90 defaults to a split as the sale was paid, not all to the card"
	keys Right
	wait_re "REFUND 54\.90 to the card" "Right: all to the card"
	keys F5
	wait_for "Refused: 54.90 to the card is more than is left of the card payment: at most 35.80" \
		"F5 refuses more to the card than the card paid"
	refute "Enter = no)" "and asks nothing"
	keys Left
	wait_re "REFUND 54\.90 card 3\.67 \+ cash 51\.23" "Left: the split again"
	keys F5
	wait_for "Refund 54.90 card 3.67 + cash 51.23? (y/n)" "F5 asks, y/д only"
	keys Enter
	wait_for "Not sent; change the lines or Esc" "Enter is no"
	keys F5
	wait_for "(y/n)" "asked again"
	keys y
	wait_for "Refund of 54.90 card 3.67 + cash 51.23: sent · hand back 51.23 in cash" \
		"y sends it and says what to hand back"
	keys F9
	wait_re "receipt · refund +54\.90 +processed" "the refund is processed"
	esc
	keys F4
	keys Enter
	wait_for "Left to refund: 480.90" "480.90 left on the original"
	local uuid
	uuid=$(screen | grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -n 1)
	type_text "all"
	keys Enter
	keys Right
	wait_re "REFUND 480\.90 to the card" "the rest, all to the card"
	keys F5
	wait_for "480.90 to the card is more than is left of the card payment: at most 32.13" \
		"the cap counts the earlier card refund from the journal"
	esc
	esc
	esc
	wait_for "Item:" "back to the sale"
	quit_kassa
	# The command line applies the same cap, from the same journal.
	cat >"$tmp/r.json" <<-EOF2
		{"type": "refund", "ref_uuid": "$uuid",
		 "purchase": {"products": [{"name": "Кофе в зёрнах 1 кг", "price": "480.90", "quantity": 1}]},
		 "card_amount": "#"}
	EOF2
	cli receipt "$tmp/r.json"
	if [ "$rc" = 2 ] && grep -q "card_amount: 480.90 to the card is more than is left of the card payment: at most 32.13" <<<"$err"; then
		ok "kassa receipt refuses the same card refund (exit 2)"
	else
		not_ok "kassa receipt refuses the same card refund (exit 2)" "rc=$rc" "$err"
	fi
	sed -i 's/"card_amount": "#"/"card_amount": "32.13", "cash_amount": "#"/' "$tmp/r.json"
	# No relay: the command sends no callback_url and cannot wait for the final status.
	cli receipt "$tmp/r.json"
	if [ "$rc" = 0 ]; then
		ok "card 32.13 + cash the rest goes out"
	else
		not_ok "card 32.13 + cash the rest goes out" "rc=$rc" "$err"
	fi
}

# Item 5: no refund from the pay dialog; the refund without an original is explicit.
case_no_original() {
	start_sandbox
	live_profile
	start_kassa 100 30 C.UTF-8
	wait_for "LIVE" "a LIVE profile on kassa-sandbox"
	add 2002
	wait_re "Кофе в зёрнах 1 кг +1 pc +480\.90" "one line of 480.90"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	keys Tab Tab
	wait_re "▸ Receipt type +◂ sale ▸" "the receipt type is a sale"
	keys Right
	wait_for "A refund is made with F4" "Right does not make a refund here; it says where"
	refute "◂ refund ▸" "the pay dialog offers no refund"
	keys Left
	wait_re "◂ sale ▸" "back to a sale"
	esc
	keys F4
	wait_for "F6: refund the basket without an original receipt" "F4 says how to refund without one"
	keys F6
	wait_for "Refund 480.90 in cash WITHOUT an original receipt? (y/n)" \
		"F6 asks, naming what is missing"
	wait_for "HAND BACK 480.90 IN CASH" "the money to hand back is on the screen"
	keys Enter
	wait_for "Not sent; the basket is kept" "Enter is no"
	keys F6
	wait_for "WITHOUT an original receipt?" "asked again"
	keys y
	wait_for "Refund without an original: hand back 480.90 in cash · on its way" "y sends it"
	wait_for "TOTAL 0.00" "the basket is emptied"
	keys F9
	wait_re "receipt · refund +480\.90 +processed" "the refund is processed"
	esc
	quit_kassa
	# The command line: a refund names its original, or says --no-original.
	cat >"$tmp/r.json" <<-'EOF2'
		{"type": "refund",
		 "purchase": {"products": [{"name": "Кофе", "price": "480.90", "quantity": 1}]},
		 "cash_amount": "#"}
	EOF2
	cli receipt "$tmp/r.json"
	if [ "$rc" = 2 ] && grep -q "ref_uuid: a refund cites its original sale" <<<"$err"; then
		ok "kassa receipt refuses a refund without ref_uuid (exit 2)"
	else
		not_ok "kassa receipt refuses a refund without ref_uuid (exit 2)" "rc=$rc" "$err"
	fi
	cli receipt --no-original "$tmp/r.json"
	if [ "$rc" = 0 ] && grep -qE "state +accepted" <<<"$out"; then
		ok "with --no-original it is sent and accepted"
	else
		not_ok "with --no-original it is sent and accepted" "rc=$rc" "$err" "$out"
	fi
}

# Item 6 (part): piece goods take whole quantities; weighed goods three decimals.
case_pieces() {
	start_kassa 100 30 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	type_text "1.5*1001"
	keys Enter
	wait_for "goods sold by the piece take whole numbers" "1.5 pieces of bread are refused"
	refute "Хлеб «Бородинский» 400 г" "nothing goes into the basket"
	keys C-u
	add "0.455*1003"
	wait_re "Яблоки Гала +0\.455 kg" "0.455 kg of apples is fine"
	add "2*1001"
	wait_re "Хлеб «Бородинский» 400 г +2 pc" "2 pieces are fine"
	keys F7
	keys y
	keys F7
	keys y
	wait_for "TOTAL 0.00" "the basket emptied"
	quit_kassa
}

# Item 6: the max_receipt ceiling asks on the screen and needs --allow-large on the CLI.
case_ceiling() {
	start_sandbox
	live_profile
	start_kassa 100 30 C.UTF-8
	wait_for "LIVE" "a LIVE profile on kassa-sandbox"
	add "Золото"
	wait_for "enter its price" "a free item asks for its price"
	type_text "2000000"
	keys Enter
	wait_re "Золото +1 pc .*2,000,000\.00 *$" "a line of 2,000,000.00"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	keys Enter
	wait_for "above the profile's ceiling max_receipt 1000000.00" "above the ceiling the dialog asks"
	wait_for "Above the ceiling: send it anyway? (y/n)" "y/д only"
	keys Enter
	wait_for "Not sent; the amounts are kept" "Enter is no"
	refute "is on its way" "nothing is sent"
	keys Enter
	wait_for "send it anyway?" "asked again"
	keys y
	wait_for "is on its way" "y sends it"
	keys F9
	wait_re "receipt · sale +2,000,000.* +processed" "and it is processed"
	esc
	add "99999999*2001"
	keys F5
	keys Enter
	wait_for "line 1: quantity: 99999999 is above the ceiling of 10000 for one line" \
		"a quantity of 99,999,999 asks too"
	keys n
	wait_for "Not sent; the amounts are kept" "n is no"
	esc
	keys F7
	keys y
	wait_for "TOTAL 0.00" "the line deleted"
	keys F8
	wait_for "Shift and cash" "F8 opens the shift screen"
	type_text "4"
	keys Enter
	wait_for "Amount to put into the drawer:" "4: cash in"
	type_text "99999999999"
	keys Enter
	wait_for "amount: 99999999999.00 is above the profile's ceiling max_receipt 1000000.00" \
		"a cash in of 99,999,999,999.00 is above the ceiling"
	wait_for "Above the ceiling: send it anyway? (y/n)" "it asks, y/д only"
	keys Enter
	wait_for "Cancelled; nothing was sent" "Enter is no"
	type_text "4"
	keys Enter
	type_text "1500"
	keys Enter
	wait_for "Cash in of 1,500.00: sent" "an ordinary cash in is not asked about"
	esc
	quit_kassa
	cli cash-in 99999999999
	if [ "$rc" = 2 ] && grep -q "amount: 99999999999.00 is above the profile's ceiling max_receipt 1000000.00" <<<"$err"; then
		ok "kassa cash-in 99,999,999,999 is refused (exit 2)"
	else
		not_ok "kassa cash-in 99,999,999,999 is refused (exit 2)" "rc=$rc" "$err"
	fi
	cli cash-in 99999999999 --allow-large
	if ! grep -q "ceiling" <<<"$err"; then
		ok "--allow-large lets it through the ceiling"
	else
		not_ok "--allow-large lets it through the ceiling" "rc=$rc" "$err"
	fi
	cli cash-in 1500
	if ! grep -q "ceiling" <<<"$err"; then
		ok "an ordinary cash-in is not asked about"
	else
		not_ok "an ordinary cash-in is not asked about" "rc=$rc" "$err"
	fi
}

# Fewer keys: the 3-item sale paid cash 500 + card #, counted.
nall=0       # every key except the characters of item codes and quantities
nafter=0     # the same, without the Enter that ends each item (a scanner sends it)
sent=()
press() { keys "$@"; nall=$((nall + $#)); nafter=$((nafter + $#)); sent+=("$@"); }
typed() { type_text "$1"; nall=$((nall + ${#1})); nafter=$((nafter + ${#1})); sent+=("'$1'"); }
item() { type_text "$1"; keys Enter; nall=$((nall + 1)); sent+=("<$1>" Enter); sleep 0.1; }

case_keys() {
	start_kassa 100 30 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	item 1001
	item "0.455*1003"
	item 1006
	wait_for "Кофе молотый 250 г" "three lines"
	typed 10
	press F3
	wait_re "-45\.90" "10 then F3: 10% off the selected line"
	wait_for "TOTAL 535.80" "the total is 535.80"
	press F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	press F7
	wait_re "Cash +500" "F7: a 500 banknote in the cash field"
	press F3
	wait_for "is on its way" "F7 F3: cash 500, the card pays the rest, the receipt goes out"
	diag "keys: ${sent[*]}"
	diag "counted: $nall with the Enter after each item, $nafter without (today: 15 and 12)"
	if [ "$nall" -le 9 ]; then
		ok "at most 9 keys beyond item codes and quantities, the Enter after each item counted ($nall; 15 before)"
	else
		not_ok "at most 9 keys beyond item codes and quantities, the Enter after each item counted ($nall; 15 before)"
	fi
	keys F9
	wait_re "receipt · sale +535\.80 +processed" "the 535.80 receipt is processed"
	keys Enter
	wait_for "Total 535.80: card 35.80, cash 500.00, change 0.00" "paid cash 500.00 + card 35.80"
	esc
	esc
	# Cash typed instead of the banknote key: 500 then F3.
	item 1002
	press F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	typed 500
	press F3
	wait_for "receipt for 89.90 is on its way" "500 then F3 works too"
	keys F8
	wait_for "Shift and cash" "F8 on the sale screen still opens the shift screen"
	esc
	# Enter on an empty pay field means # there: F5 Enter is an exact cash sale.
	item 1002
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	keys Enter
	wait_for "Change 0.00 · receipt for 89.90 is on its way" "F5 Enter: exact cash in two keys"
	quit_kassa
}

# The guards and the new keys speak Russian, and F1 lists the keys.
case_russian() {
	check_locales
	start_kassa 80 24 ru_RU.UTF-8
	wait_for "Товар:" "kassa starts in Russian"
	type_text "1.5*1001"
	keys Enter
	wait_for "штучный товар продаётся целым числом" "1,5 шт. хлеба: отказ по-русски"
	keys C-u
	add 1001
	wait_re "Хлеб «Бородинский» 400 г +1 шт" "one piece"
	keys F5
	wait_for "Оплата: чек" "the pay dialog"
	wait_for "F2 Без сдачи" "the footer shows F2"
	wait_for "F3 Остаток картой" "and F3"
	type_text "100"
	keys Tab
	type_text "54,90"
	wait_for "Наличные: карта уже покрывает итог" "cash when the card covers: refused in Russian"
	keys F1
	wait_for "Клавиши: Оплата" "F1: the pay dialog's keys"
	keys PgDn
	wait_re "F2, M-2 +Оплата: остаток наличными \(#\) и отправить" "F1 lists F2 in the pay dialog"
	wait_re "F3, M-3 +Оплата: остаток после введённых наличных — картой" "and F3"
	keys PgDn
	wait_for "на пустом поле наличных или карты: там #" "and Enter on an empty field"
	wait_for "при оплате: купюра 500, 1000, 2000, 5000" "and the banknote keys"
	esc
	keys Tab
	wait_for "▸ Тип чека" "Tab: the receipt type"
	keys Right
	wait_for "Возврат делается через F4" "no refund from the pay dialog, in Russian"
	esc
	keys F7
	keys y
	quit_kassa
}

# Item 12 (part): a scan while the pay dialog is open adds the item.
case_scan() {
	start_kassa 100 30 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	add 1001
	wait_re "Хлеб «Бородинский» 400 г +1 pc +54\.90" "one line"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "100"
	sleep 0.3
	scan 1002
	wait_for "Scanned «Молоко 3,2% 1 л»: added to the basket; total now 144.80" \
		"a scan in the pay dialog adds the item"
	wait_re "Total to pay +144\.80" "the dialog's total follows"
	wait_re "Cash +100 *$" "the cash typed stays as it was"
	wait_for "Not yet:" "100.00 does not cover 144.80"
	keys F3
	wait_for "is on its way" "F3: the card pays the rest"
	keys F9
	wait_re "receipt · sale +144\.80 +processed" "the receipt with the scanned item is processed"
	esc
	quit_kassa
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need infocmp
case "$CASE" in
tender) case_tender ;;
refund-cap) case_refund_cap ;;
no-original) case_no_original ;;
pieces) case_pieces ;;
ceiling) case_ceiling ;;
keys) case_keys ;;
scan) case_scan ;;
russian) case_russian ;;
*) bail "known case" "unknown case '$CASE': tender, refund-cap, no-original, pieces, ceiling, keys, scan or russian" ;;
esac
say "1..$n"
exit $failed
