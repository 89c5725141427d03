#!/usr/bin/env bash
# End-to-end tests of pay by link (issue 14) on the real kassa in tmux,
# against a kassa-sandbox the test starts: a bill paid at its payment page
# ends in a processed receipt and its notification shows in the status pane
# (confirmed); a cancelled bill ends in no receipt; with the sandbox's faults
# on (500s, dropped replies, stalls, failed notification deliveries) and
# kassa killed with -9 in the middle, no bill and no receipt is doubled or
# lost. The harness is e2e.sh's (sourced, as e2e_keep.sh does).
#
# usage: e2e_bill.sh KASSA KASSA_SANDBOX CASE
#   CASE: paid | cancel | faults | training-ru | refund
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

# A fast sandbox: 1 minute of the notification schedule lasts 0.6 s.
start_bill_sandbox() {
	: >"$tmp/sandbox.out" # not by the redirection: the background child may truncate it late
	"$SANDBOX" --listen 127.0.0.1:0 --memory --callback-delay 50 --time-scale 0.01 --quiet \
		--seed 14 >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
	sandbox_pid=$!
	port=""
	local end=$((SECONDS + TIMEOUT))
	while [ -z "$port" ] && [ $SECONDS -lt $end ]; do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/sandbox.out")
		[ -z "$port" ] && sleep 0.05
	done
	[ -n "$port" ] || bail "kassa-sandbox starts" "$(cat "$tmp/sandbox.err")"
	S=http://127.0.0.1:$port
	mkdir -p "$tmp/config/kassa"
	# A fixed listener address: notifications retried while kassa is down reach the next run.
	lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$tmp/config/kassa/config.ini" <<-EOF2
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
	EOF2
	chmod 600 "$tmp/config/kassa/config.ini"
}

kill_kassa() {
	local shell_pid pid
	shell_pid=$(tmux -L "$sock" list-panes -t e2e -F '#{pane_pid}' 2>/dev/null | head -n 1)
	pid=$(pgrep -P "$shell_pid" -x kassa | head -n 1)
	[ -n "$pid" ] || bail "kassa runs in the pane" "no kassa child of pane shell $shell_pid"
	kill -9 "$pid"
	wait_for "kassa exited with 137" "kill -9 stops kassa at once"
	tmux -L "$sock" kill-session -t e2e 2>/dev/null
}

cli() {
	env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" \
		XDG_DATA_HOME="$tmp/data" LC_ALL=C.UTF-8 "$KASSA" "$@"
}

# sell NAME PRICE: a free-entry line.
sell() {
	type_text "$1"
	keys Enter
	wait_for "Price of «$1»:" "free entry asks the price of $1"
	type_text "$2"
	keys Enter
	wait_re "$1 +1 pc" "$1 is in the basket"
}

# bill_for CONTACT: M-b, the contact, Enter; the bill is shown.
bill_for() {
	keys M-b
	wait_for "Pay by link" "M-b opens the bill dialog"
	type_text "$1"
	keys Enter
	wait_re "State: (waiting for the buyer|unknown)" "the bill is journaled and sent"
}

count() { grep -o "$1" | wc -l; }

case_paid() {
	start_bill_sandbox
	start_kassa 150 40 C.UTF-8
	wait_for "LIVE" "kassa runs the sandbox profile"
	# A cash sale first: the bill's receipt must then be the "Last:" document.
	sell "Соль" "30"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_re "Last: #1 receipt · sale 30\.00" "the cash sale is the last document"
	sell "Хлеб" "1250"
	wait_for "TOTAL 1,250.00" "the basket's total"
	bill_for "+7 916 123-45-67"
	wait_for "Link: $S/pay/1000001" "the payment link is shown"
	wait_for "▀▀▀▀▀▀▀▀▀▀" "an SBP QR code is drawn"
	curl -s -X POST "$S/pay/1000001/pay" >/dev/null
	wait_for "State: paid" "paid at its page: the screen says paid"
	wait_re "Paid: receipt #2" "the paid bill's receipt is queued"
	esc
	wait_for "TOTAL 0.00" "back at the sale: the basket left with the bill"
	wait_re "Last: #2 receipt · sale 1,250\.00" "the sale screen's Last: is the bill's receipt"
	wait_re "SBP payment 1,250\.00 success bill #1, confirmed" \
		"the notification is in the status pane, linked and confirmed"
	wait_re "#2 receipt · sale +1,250\.00" "the receipt is in the status pane"
	wait_re "processed +callback" "and is processed"
	keys M-b
	wait_for "State: paid" "M-b on an empty basket reopens the newest bill"
	esc
	[ "$(curl -s "$S/sandbox/ledger" | count '"kind":"receipt"')" = 2 ] &&
		ok "two receipts at LIFE PAY: the cash sale and the bill's" || not_ok "two receipts at LIFE PAY"
	quit_kassa
}

# A paid bill refunded from its dialog (F4): a part, a refusal naming the amount, the rest;
# each refund receipt once; Up/Down go through the bills, listed with their states.
case_refund() {
	start_bill_sandbox
	start_kassa 150 40 C.UTF-8
	wait_for "LIVE" "kassa runs the sandbox profile"
	sell "Хлеб" "1250"
	bill_for "+7 916 123-45-67"
	curl -s -X POST "$S/pay/1000001/pay" >/dev/null
	wait_re "Paid: receipt #1" "paid: the receipt is queued"
	esc
	wait_re "processed +callback" "the bill's receipt is processed"
	keys M-b
	wait_for "State: paid" "M-b reopens the paid bill"
	wait_for "F4: refund the bill" "the dialog offers the refund"
	keys F4
	wait_for "Refund amount (empty: all that is left)" "F4 asks the amount"
	type_text "500"
	keys Enter
	wait_re "Refund #1: 500\.00, refunded, refund receipt #2" "500.00 refunded, its receipt queued"
	keys F4
	type_text "2000"
	keys Enter
	wait_re "amount: is 2000\.00, but at most 750\.00 can be refunded" "more than is left: refused naming the amount"
	esc
	wait_for "Not refunded; nothing was sent" "Esc leaves the amount: nothing sent"
	keys F4
	wait_for "Refund amount" "F4 again"
	keys Enter
	wait_re "Refund #2: 750\.00, refunded, refund receipt #3" "the rest refunded"
	esc
	sell "Молоко" "99.90"
	bill_for "buyer@example.ru"
	wait_re "▸#2 +99\.90 +waiting for the buyer" "the bills are listed beside the new one"
	wait_re " #1 +1,250\.00 +paid" "with the older bill's state"
	keys Down
	wait_for "Bill #1 · 1,250.00" "Down goes to the older bill"
	wait_re "Refund #2: 750\.00" "with its refunds"
	keys Up
	wait_for "Bill #2 · 99.90" "Up comes back"
	esc
	sleep 1
	ledger=$(curl -s "$S/sandbox/ledger")
	[ "$(count '"ext_id":"rf-' <<<"$ledger")" = 2 ] && [ "$(count '"type":"refund"' <<<"$ledger")" = 2 ] &&
		ok "two refund receipts at LIFE PAY, none doubled" || not_ok "two refund receipts" "$ledger"
	curl -s "$S/sandbox/bills" | grep -q '"refunded":"1250.00"' &&
		ok "1,250.00 refunded at LIFE PAY" || not_ok "refunded at LIFE PAY" "$(curl -s "$S/sandbox/bills")"
	quit_kassa
}

case_cancel() {
	start_bill_sandbox
	start_kassa 150 40 C.UTF-8
	wait_for "LIVE" "kassa runs the sandbox profile"
	keys M-b
	wait_for "No bill yet: add the items, then M-b makes one" "M-b with no basket and no bill says what to do"
	sell "Молоко" "99.90"
	bill_for "buyer@example.ru"
	keys F7
	wait_for "C-r on the sale screen brings its basket back" "F7 says how the basket comes back"
	wait_for "State: cancelled" "F7 cancels the unpaid bill"
	[ "$(curl -s "$S/sandbox/bills" | count '"status":30')" = 1 ] &&
		ok "cancelled at LIFE PAY too" || not_ok "cancelled at LIFE PAY" "$(curl -s "$S/sandbox/bills")"
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$S/pay/1000001/pay")
	[ "$code" = 409 ] && ok "a cancelled bill cannot be paid" || not_ok "cannot be paid" "HTTP $code"
	sleep 1
	[ "$(curl -s "$S/sandbox/ledger" | count '"kind":"receipt"')" = 0 ] &&
		ok "no receipt for the cancelled bill" || not_ok "no receipt"
	esc
	wait_for "TOTAL 0.00" "back at the sale: the basket left with the bill"
	keys C-r
	wait_for "The basket of bill #1 is back: 1 lines, 99.90" "C-r brings the cancelled bill's basket back"
	wait_re "Молоко +1 pc" "its line is in the basket again"
	wait_for "TOTAL 99.90" "with its total"
	keys F10
	wait_for "Lines in the basket: 1. Quit and lose them?" "F10 asks: the basket is the sale's again"
	keys y
	wait_for "kassa exited with 0" "y quits kassa"
}

case_faults() {
	start_bill_sandbox
	curl -s "$S/sandbox/faults" -d '{"faults":"http500=0.2,drop=0.15,stall=0.1:1,callback_fail=0.3","seed":14}' >/dev/null
	start_kassa 150 40 C.UTF-8
	wait_for "LIVE" "kassa runs the sandbox profile"
	sell "Хлеб" "1250"
	bill_for "79161234567"
	# The bill exists at LIFE PAY (its create may have lost its reply): kill kassa now.
	local end=$((SECONDS + TIMEOUT)) number=""
	while [ -z "$number" ] && [ $SECONDS -lt $end ]; do
		number=$(curl -s "$S/sandbox/bills" | sed -n 's/.*"number":"\([0-9]*\)".*/\1/p' | head -n 1)
		[ -z "$number" ] && sleep 0.2
	done
	[ -n "$number" ] && ok "LIFE PAY has the bill ($number)" || bail "LIFE PAY has the bill"
	kill_kassa
	# The buyer pays while kassa is down.
	curl -s "$S/sandbox/bills/pay" -d "{\"number\":\"$number\"}" >/dev/null
	start_kassa 150 40 C.UTF-8
	wait_for "LIVE" "kassa starts again"
	keys F9
	wait_re "receipt · sale +1,250\.00 +processed" "the paid bill's receipt is processed after the restart"
	wait_re "payment 1,250\.00 success bill #1, confirmed" "its notification is linked and confirmed"
	esc
	quit_kassa
	curl -s "$S/sandbox/faults" -d 'none' >/dev/null
	[ "$(curl -s "$S/sandbox/bills" | count '"number":"1')" = 1 ] &&
		ok "one bill at LIFE PAY: none doubled" || not_ok "one bill" "$(curl -s "$S/sandbox/bills")"
	[ "$(curl -s "$S/sandbox/ledger" | count '"kind":"receipt"')" = 1 ] &&
		ok "one receipt at LIFE PAY: none doubled or lost" || not_ok "one receipt" "$(curl -s "$S/sandbox/ledger")"
	local bills
	bills=$(cli bill list --json | count '"id"')
	[ "$bills" = 1 ] && ok "one bill in the journal" || not_ok "one bill in the journal" "$bills"
	cli bill list --json | grep -q '"state":"success"' && ok "the journal's bill is paid" ||
		not_ok "the journal's bill is paid" "$(cli bill list --json)"
}

# At 80x24 (field test): the method line whole, a refused phone kept on the line with the
# field named, the SBP QR code beside the bill's text.
case_small() {
	start_bill_sandbox
	start_kassa 80 24 C.UTF-8
	wait_for "LIVE" "kassa runs the sandbox profile"
	sell "Хлеб" "1250"
	keys M-b
	wait_for "Pay by link" "M-b opens the bill dialog"
	wait_for "(phone bill)" "the method line is whole at 80 columns"
	type_text "+7 916 123"
	keys Enter
	wait_for "phone: must be a Russian number" "a short phone is refused naming the field"
	wait_for "phone or e-mail: +7 916 123" "the typed phone is kept to be fixed"
	type_text "-45-67"
	sleep 1 # not a scanner's burst
	keys Enter
	wait_re "State: (waiting for the buyer|unknown)" "the fixed phone makes the bill"
	wait_for "Link: $S/pay/1000001" "the payment link is shown"
	wait_for "▀▀▀▀▀▀▀▀▀▀" "an SBP QR code is drawn at 80x24"
	refute "too small" "no 'window too small' at 80x24"
	esc
	quit_kassa
}

# Training in Russian: the built-in sandbox takes bills too; paid at its page.
case_training_ru() {
	start_kassa 150 40 ru_RU.UTF-8
	wait_for "ОБУЧЕНИЕ" "training starts in Russian"
	type_text "1001"
	keys Enter
	wait_for "Хлеб «Бородинский» 400 г" "a demo item in the basket"
	keys M-b
	wait_for "Оплата по ссылке: LIFE PAY отправит покупателю счёт" "M-b: the bill dialog in Russian"
	keys Tab
	wait_for "Способ:" "Tab changes the method"
	type_text "buyer@example.ru"
	keys Enter
	wait_for "Состояние: ждёт покупателя" "the bill waits for the buyer"
	local link
	link=$(screen | grep -o 'http://127\.0\.0\.1:[0-9]*/pay/[0-9]*' | head -n 1)
	[ -n "$link" ] && ok "the link is shown ($link)" || bail "the link is shown"
	curl -s -X POST "$link/pay" >/dev/null
	wait_for "Состояние: оплачен" "paid: the screen says so in Russian"
	esc
	wait_re "оплата 54,90 успешно счёт №1, подтвер" "the notification in the pane, confirmed"
	wait_re "чек · приход +54,90" "the receipt of the paid bill"
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need curl
check_locales
case "$CASE" in
paid) case_paid ;;
cancel) case_cancel ;;
faults) case_faults ;;
training-ru) case_training_ru ;;
refund) case_refund ;;
small) case_small ;;
*) bail "known case" "unknown case '$CASE': paid, cancel, faults, training-ru, refund or small" ;;
esac
say "1..$n"
exit $failed
