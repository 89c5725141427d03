#!/usr/bin/env bash
# End-to-end regressions found by a field test of the real binary (README's
# quick start, a day at the till, bills, English and Russian). The harness
# (tmux, polling, TAP, clean-up) is e2e.sh's, sourced as e2e_smalls.sh does.
#
# usage: e2e_field.sh KASSA KASSA_SANDBOX CASE
#   CASE: prompt-ru | half-piece | long-message | long-message-ru | refund-piece | payback-mixed | tx-unlinked
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

# input_line_has TEXT DESCRIPTION: polls until the input line (the last line
# but one) holds TEXT, not only somewhere on the screen.
input_line_has() {
	local text=$1 what=$2
	local end=$((SECONDS + TIMEOUT))
	while :; do
		last_screen=$(screen)
		if tail -n 2 <<<"$last_screen" | head -n 1 | grep -qF -- "$text"; then
			ok "$what"
			return 0
		fi
		[ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	not_ok "$what" "waited ${TIMEOUT}s for the input line to hold: $text" \
		"input line: $(tail -n 2 <<<"$last_screen" | head -n 1)"
	return 1
}

# A Russian prompt longer than 127 bytes (two bytes a letter) was cut short on
# the input line: the bill's "… (kassa продолжит следить за счётом)" lost its end.
case_prompt_ru() {
	check_locales
	start_kassa 160 45 ru_RU.UTF-8
	wait_for "Товар:" "kassa starts in training, in Russian"
	type_text 1001
	keys Enter
	wait_for "Бородинский" "an item in the basket"
	keys M-b
	wait_for "Оплата по ссылке" "M-b opens the bill dialog"
	type_text "+7 916 123-45-67"
	keys Enter
	wait_for "Номер LIFE PAY" "the bill is sent"
	input_line_has "(kassa продолжит следить за счётом)" "the input line's prompt is whole"
	keys Escape
	wait_for "Товар:" "back to the sale"
	quit_kassa
}

# A catalog item refused when added (half a piece) left the input line empty:
# what was typed must stay to be fixed, as for every other refusal.
case_half_piece() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	type_text "1.5*1001"
	keys Enter
	wait_for "goods sold by the piece take whole numbers" "half a piece is refused"
	input_line_has "Item: 1.5*1001" "what was typed stays on the input line"
	keys C-u
	type_text "2*1001"
	keys Enter
	wait_re "Бородинский.* 2 pc" "the fixed line goes in"
	input_line_has "Item:" "the input line is ready for the next item"
	keys F10
	wait_for "Quit and lose them? (y/n)" "F10 asks: the basket is not empty"
	keys y
	wait_for "kassa exited with 0" "y quits kassa with status 0"
}

# long_message LOCALE SETTLEMENT_RE END: a partial prepayment of two lines with
# different VAT rates is refused with a message longer than 80 columns; its
# end (what to do) must be on the screen, not cut off with "…".
long_message() {
	local loc=$1 end=$2
	start_kassa 80 24 "$loc"
	wait_re "Item:|Товар:" "kassa starts in training ($loc)"
	type_text 1001
	keys Enter
	type_text 1006
	keys Enter
	wait_re "(Lines|Строк): 2" "two lines with VAT 10 and VAT 20"
	keys F5
	wait_re "Payment: receipt|Оплата: чек" "F5 opens the pay dialog"
	type_text "#"
	keys BTab Right Right
	wait_re "(partial prepayment|частичная предоплата)" "the settlement is a partial prepayment"
	keys Tab
	type_text 100
	wait_re "(Ready: Enter sends|Готово к отправке|different VAT rates|разные ставки НДС)" \
		"the dialog judges the part taken now"
	refute "Ready: Enter sends" "it never says Ready for what Enter refuses"
	refute "Готово к отправке" "(nor in Russian)"
	keys Enter
	wait_for "$end" "the refusal says what to do, whole, at 80 columns"
	wait_re "(Total to pay|Итого к оплате) +1[ ,]?027[.,]80|(Total to pay|Итого к оплате) +513" \
		"the pay dialog is still drawn above it"
	keys Escape
	keys Escape
	keys F10
	wait_re "\((y/n|д/н)\)" "F10 asks: the basket is not empty"
	keys y
	wait_for "kassa exited with 0" "y quits kassa with status 0"
}

case_long_message() { long_message C.UTF-8 "take a full prepayment or split the order"; }
case_long_message_ru() {
	check_locales
	long_message ru_RU.UTF-8 "примите предоплату 100% или разделите заказ"
}

# A refund of 0.2 of a piece good was taken on its line (the totals then went
# blank without a word) and refused only at F5: it is refused as typed.
case_refund_piece() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	type_text 1001
	keys Enter
	wait_for "Lines: 1" "one piece good in the basket"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_for "is on its way" "the sale goes out"
	# F4 lists sales the provider has given a uuid
	wait_re "Last: #1 receipt · sale 54\.90 · (accepted|processed)" "the provider accepts it"
	keys F4
	wait_for "Refund: choose the original receipt" "F4 lists the originals"
	keys Enter
	wait_for "Line 1: refund qty" "the original's lines"
	type_text "0.2"
	keys Enter
	wait_for "goods sold by the piece take whole numbers" "0.2 of a piece is refused as typed"
	input_line_has "0.2" "what was typed stays to be fixed"
	refute "0.2 pc" "the line does not take it"
	keys C-u
	type_text 1
	keys Enter
	wait_re "REFUND 54.90" "one whole piece is taken, with its sum"
	keys Escape
	keys Escape
	wait_for "Item:" "back to the sale"
	quit_kassa
}

# A refund of a sale paid card + cash goes back the same way: PAY BACK in large
# digits is the cash to hand back (51.23), not the whole refund (54.90).
case_payback_mixed() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	for code in 1001 "0.455*1003" 1006; do
		type_text "$code"
		keys Enter
		sleep 0.1
	done
	wait_for "Lines: 3" "three lines"
	type_text 10
	keys F3
	wait_for "TOTAL 535.80" "10 % off the coffee"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text 500
	keys F3
	wait_for "paid: cash 500.00 · card 35.80" "cash 500 and the card for the rest"
	wait_re "Last: #1 receipt · sale 535\.80 · (accepted|processed)" "the provider accepts it"
	keys F4
	wait_for "Refund: choose the original receipt" "F4 lists the originals"
	keys Enter
	wait_for "Line 1: refund qty" "the original's lines"
	keys Enter
	wait_for "REFUND 54.90 card 3.67 + cash 51.23" "the bread goes back as it was paid"
	keys F5
	wait_for "(y/n)" "F5 asks"
	keys y
	wait_for "refund: in cash 51.23 · to the card 3.67" "the split is shown"
	wait_for "PAY BACK 51.23" "PAY BACK is the cash to hand back"
	refute "PAY BACK 54.90" "not the whole refund, part of which goes to the card"
	quit_kassa
}

# A LIFE PAY notification names no bill of this till (anyone may post one; they
# carry no signature): the pane must not show it like a confirmed payment.
case_tx_unlinked() {
	need curl
	start_kassa 160 45 C.UTF-8
	wait_re "listener on :[0-9]+" "kassa starts in training with its listener"
	local port token
	port=$(grep -oE "listener on :[0-9]+" <<<"$last_screen" | grep -oE "[0-9]+$")
	token=$(cat "$tmp/data/kassa/training-callback-token")
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		--data-urlencode 'data={"number":"990001","type":"payment","status":"success","amount":"10.00","method":"card"}' \
		"http://127.0.0.1:$port/cb/$token/lifepay-tx")
	if [ "$code" = 200 ]; then ok "the listener takes the notification"; else
		not_ok "the listener takes the notification" "HTTP $code on port $port"; fi
	wait_for "card payment 10.00 success, unconfirmed (no bill here)" \
		"the notification about no bill here is marked unconfirmed"
	quit_kassa
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need infocmp
case "$CASE" in
prompt-ru) case_prompt_ru ;;
half-piece) case_half_piece ;;
long-message) case_long_message ;;
long-message-ru) case_long_message_ru ;;
refund-piece) case_refund_piece ;;
payback-mixed) case_payback_mixed ;;
tx-unlinked) case_tx_unlinked ;;
*) bail "known case" "unknown case '$CASE'" ;;
esac
say "1..$n"
exit $failed
