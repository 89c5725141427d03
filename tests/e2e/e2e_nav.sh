#!/usr/bin/env bash
# End-to-end tests of till safety, navigation and seeing where things stand
# (issue 10, items 7, 8, 9 and 11): Esc from any F-key screen lands in the
# sale; destructive questions take only y/д; an outage shows OFFLINE with its
# reason, the shift as "opening…", a key sends now and quitting warns; the
# last sale's TOTAL and CHANGE stay and the last document's line turns
# processed or rejected live at 80x24. The harness is e2e.sh's (as e2e_day.sh).
#
# usage: e2e_nav.sh KASSA KASSA_SANDBOX CASE
#   CASE: esc | confirm | russian | outage | last
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


add_item() { # CODE: typed (not a scanner burst), then Enter
	type_text "$1"
	sleep 0.1
	keys Enter
	sleep 0.1
}


stop_sandbox() {
	kill "$sandbox_pid" 2>/dev/null
	wait "$sandbox_pid" 2>/dev/null
	sandbox_pid=
}

# write_config: LifePay profiles on the sandbox: shop (right apikey) and bad (wrong apikey).
write_config() {
	mkdir -p "$tmp/config/kassa"
	# A LIVE profile sells only from its own catalog (the demo one is for training).
	cat >"$tmp/catalog.csv" <<-'EOF2'
		code,name,price,unit,vat,object
		1001,Хлеб «Бородинский» 400 г,54.90,piece,vat10,1
		1006,Кофе молотый 250 г,459.00,piece,vat20,1
	EOF2
	shop_config "target_serial = SANDBOX-0001" "retry_schedule = 600" "catalog = $tmp/catalog.csv"
	sandbox_profile bad wrong-apikey "target_serial = SANDBOX-0001" "catalog = $tmp/catalog.csv"
}

sell_cash() { # CODE... : the items, then paid in cash with #
	local c
	for c in "$@"; do add_item "$c"; done
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_for "is on its way" "the receipt goes out"
}

# Item 7: F4, pick a receipt, Esc used to leave the refund chooser under every
# later F-key screen; the next sale was typed into its search.
case_esc() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	sell_cash 1001
	# F4 lists sales the provider has given a uuid: wait for its answer.
	wait_re "Last: #[0-9]+ .* (accepted|processed)" "the provider took the receipt"
	keys F4
	wait_for "Refund: choose the original receipt" "F4 opens the refund screen"
	keys Enter
	wait_for "Left to refund: 54.90" "Enter picks the receipt"
	esc
	wait_for "Item:" "Esc from the refund lines lands in the sale, not in the chooser"
	refute "Refund: choose" "no refund chooser is left open"
	keys F4
	wait_for "Refund: choose the original receipt" "F4 again"
	keys Enter
	wait_for "Left to refund: 54.90" "a receipt picked again"
	keys F8
	wait_for "Shift and cash" "F8 from the refund opens the shift screen"
	esc
	wait_for "Item:" "Esc from the shift screen lands in the sale"
	keys F12
	wait_for "Settings" "F12 opens the settings"
	esc
	wait_for "Item:" "Esc from the settings lands in the sale"
	# The next sale's keys reach the sale, not a search left underneath.
	add_item 1001
	wait_re "1 Хлеб «Бородинский» 400 г" "the next sale's item goes into the basket"
	keys F5
	wait_for "Payment: receipt" "and F5 opens its pay dialog"
	type_text "#"
	keys Enter
	wait_for "is on its way" "the next sale is made"
	keys F9
	wait_for "journal, newest first" "F9 opens the status screen"
	keys F11
	wait_for "Journal:" "F11 from F9 opens the journal"
	esc
	wait_for "Item:" "Esc from the journal lands in the sale, not in F9"
	quit_kassa
}

# Item 9: quit with a basket, delete a line and the Z-report take y only; Enter is no.
case_confirm() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	add_item 1001
	add_item 1006
	wait_re "2 Кофе молотый" "two lines in the basket"
	keys F10
	wait_for "Quit and lose them? (y/n)" "F10 with a basket asks"
	keys Enter
	wait_for "Cancelled; the basket is as it was" "Enter is no: kassa keeps running"
	refute "kassa exited" "kassa did not quit"
	keys F10
	wait_for "Quit and lose them? (y/n)" "F10 asks again"
	keys x
	wait_for "Cancelled; the basket is as it was" "any other key is no too"
	keys F7
	wait_for "Delete line 2 «Кофе молотый 250 г»? (y/n)" "F7 asks before deleting"
	keys Enter
	wait_for "Cancelled; the basket is as it was" "Enter does not delete"
	wait_re "2 Кофе молотый" "the line is still there"
	keys F7
	keys y
	wait_for "Line deleted" "y deletes"
	keys F5
	wait_for "Payment: receipt" "the rest is paid"
	type_text "#"
	keys Enter
	wait_for "is on its way" "the receipt opens the shift"
	keys F8
	wait_for "Shift and cash" "F8 opens the shift screen"
	# The issue's slip: F8 Down Enter Enter closed the shift.
	keys Down
	sleep 0.1
	keys Enter
	wait_for "Close the shift with a Z-report? (y/n)" "the Z-report asks"
	keys Enter
	wait_for "The shift stays open" "Enter is no: the shift stays open"
	keys F9
	refute "Z-report" "no Z-report was sent"
	esc
	keys F8
	keys Down
	sleep 0.1
	keys Enter
	wait_for "Close the shift with a Z-report? (y/n)" "asked again"
	keys y
	wait_for "Z-report: sent" "y closes the shift"
	esc
	quit_kassa
}

# Item 9 in Russian: the question shows (д/н) and д confirms.
case_russian() {
	start_kassa 80 24 ru_RU.UTF-8
	wait_for "Товар:" "kassa starts in Russian"
	add_item 1001
	wait_re "1 Хлеб «Бородинский»" "a line in the basket"
	keys F7
	wait_for "(д/н)" "the question shows (д/н)"
	wait_for "д Да н Нет" "and the footer names д and н"
	refute "(y/n)" "not (y/n)"
	keys Enter
	wait_re "1 Хлеб «Бородинский»" "Enter does not delete"
	keys F7
	wait_for "(д/н)" "asked again"
	type_text "д"
	wait_for "Строка удалена" "д deletes"
	quit_kassa
}

# Item 8: the provider goes away in the middle of the day (LIVE profile, kassa-sandbox).
case_outage() {
	start_sandbox
	write_config
	start_kassa 80 24 C.UTF-8
	wait_for "LIVE" "kassa starts with the LIVE profile"
	local keep_port=$port
	stop_sandbox
	keys F8
	wait_for "Shift and cash" "F8 opens the shift screen"
	keys Enter
	wait_for "OFFLINE" "the status bar says OFFLINE the moment the provider cannot be reached"
	wait_for "shift opening…" "the shift is opening…, not open"
	refute "shift 0h00m" "no shift age while the provider has not accepted it"
	wait_for "Shift: opening…" "the shift screen says opening… too"
	keys F9
	wait_for "OFFLINE since" "F9 says since when"
	wait_for "connection failed" "and why (connection failed)"
	wait_for "C-s sends now" "and which key sends now"
	esc
	wait_re "Last: #1 open shift +· queued \(connection failed" \
		"the last-document line says queued, and why"
	keys F10
	wait_for "1 document not yet delivered; it will be sent at next start. Quit? (y/n)" \
		"F10 with an undelivered document warns and says what happens to it"
	keys Enter
	sleep 0.3
	refute "kassa exited" "Enter is no: kassa keeps running"
	start_sandbox "$keep_port"
	keys C-s
	wait_for "Sending 1 waiting document(s) now" "C-s sends the outbox now (the next retry is minutes away)"
	wait_gone "OFFLINE" "the OFFLINE mark goes at the next success"
	wait_re "Last: #1 open shift +· processed" "the last-document line turns processed"
	wait_for "shift 0h00m" "the shift is open once the provider accepted it"
	wait_for "outbox 0" "nothing waits"
	quit_kassa
}

# Item 11: TOTAL and CHANGE stay until the next sale starts; the last
# document's line turns processed, or rejected, live at 80x24.
case_last() {
	SANDBOX_DELAY=1500 start_sandbox
	write_config
	start_kassa 80 24 C.UTF-8
	wait_for "LIVE" "kassa starts with the LIVE profile"
	add_item 1001
	add_item 1006
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "1000"
	keys Enter
	wait_for "CHANGE 486.10" "CHANGE is shown"
	wait_for "TOTAL 513.90" "with the TOTAL"
	wait_for "█" "in large digits"
	wait_re "Last: #1 receipt · sale 513\.90 · (queued|sending|accepted)" \
		"the last-document line shows the receipt on its way"
	wait_re "Last: #1 receipt · sale 513\.90 · processed" "and turns processed when the callback comes"
	keys C-l
	sleep 0.3
	wait_for "CHANGE 486.10" "the change is still shown after other keys and a while"
	type_text "1"
	wait_gone "CHANGE 486.10" "the first key of the next sale ends it"
	keys C-u
	# A refund: PAY BACK instead of CHANGE.
	keys F4
	wait_for "Refund: choose the original receipt" "F4 opens the refund screen"
	keys Enter
	wait_for "Left to refund: 513.90" "the sale is picked"
	keys Enter
	wait_re "REFUND 54\.90" "its first line is taken"
	keys F5
	wait_for "(y/n)" "F5 asks"
	keys y
	wait_for "PAY BACK 54.90" "the sale screen shows PAY BACK for the refund"
	wait_re "Last: #2 receipt · refund 54\.90" "and the refund on the last-document line"
	quit_kassa
	# The wrong apikey: the line says rejected, with the code.
	start_kassa_again --profile bad
	wait_for "LIVE" "kassa starts with the profile that has a wrong apikey"
	add_item 1001
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_re "Last: #[0-9]+ receipt · sale 54\.90 · rejected" "the last-document line turns rejected"
	quit_kassa
}

# A second kassa in the same tmux server, after the first one quit.
start_kassa_again() {
	tmux -L "$sock" kill-server >/dev/null 2>&1
	sleep 0.2
	start_kassa 80 24 C.UTF-8 "$@"
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need infocmp
case "$CASE" in
esc) case_esc ;;
confirm) case_confirm ;;
russian) case_russian ;;
outage) case_outage ;;
last) case_last ;;
*) bail "known case" "unknown case '$CASE': esc, confirm, russian, outage or last" ;;
esac
say "1..$n"
exit $failed
