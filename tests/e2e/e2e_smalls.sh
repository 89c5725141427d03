#!/usr/bin/env bash
# End-to-end tests of issue 10's X/Z totals (item 10) and smaller items
# (item 12): the journal's search, ФН/ФД/ФП in the preview, Russian numbers,
# start-up errors, the printer field, a stale refusal on the shift screen
# and the theme kept in training. The harness (tmux, polling, TAP,
# clean-up) is e2e.sh's, sourced as e2e_day.sh does.
#
# usage: e2e_smalls.sh KASSA KASSA_SANDBOX CASE
#   CASE: totals | search | search-ru | fiscal | numbers-ru | startup | printer | stale | theme
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


# item CODE: one item into the basket, by code.
item() {
	type_text "$1"
	keys Enter
	sleep 0.1
}

# pay_cash TEXT: F5, cash TEXT (e.g. "#" or "100"), Enter.
pay_cash() {
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "$1"
	keys Enter
	wait_for "is on its way" "the receipt goes out"
}

# pay_card: F5, the card pays the rest.
pay_card() {
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	keys Tab
	type_text "#"
	keys Enter
	wait_for "is on its way" "the receipt goes out"
}

# shift_amount OP AMOUNT: on the shift screen, 4 (cash in) or 5 (cash out) with an amount.
shift_amount() {
	type_text "$1"
	keys Enter
	wait_re "Amount to (put into|take out of) the drawer:" "$1 asks for the amount"
	type_text "$2"
	keys Enter
}


write_config() {
	mkdir -p "$tmp/config/kassa"
	# A live profile sells from its own catalog (the demo one is training only).
	printf '%s\n' 'code,name,price,unit,vat,object' \
		'1001,Хлеб «Бородинский» 400 г,54.90,piece,vat10,1' >"$tmp/shop.csv"
	shop_config "target_serial = SANDBOX-0001" "catalog = $tmp/shop.csv"
}

# Item 10: the shift's totals on F8, before the Z-report and after it.
case_totals() {
	start_kassa 100 30 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	item 1001
	pay_cash 100
	wait_for "Change 45.10" "54.90 paid with 100.00 in cash: change 45.10"
	item 1006
	pay_card
	keys F8
	wait_for "Shift and cash" "F8 opens the shift screen"
	shift_amount 4 "1500,50"
	wait_re "cash in +1,500\.50 +processed" "cash in of 1,500.50 is processed"
	shift_amount 5 300
	wait_re "cash out +300\.00 +processed" "cash out of 300.00 is processed"
	wait_for "Sales: 2, 513.90 (card 459.00, cash 54.90)" \
		"the sales: count, sum, by card and in cash (net of change)"
	wait_for "Refunds: 0, 0.00 (card 0.00, cash 0.00)" "no refunds"
	wait_for "Cash in: 1, 1,500.50 · cash out: 1, 300.00" "cash in and out"
	wait_for "Cash in the drawer: 1,255.40" "the drawer: 54.90 + 1,500.50 - 300.00"
	wait_for "Documents: 4: processed 4" "the documents by state"
	type_text "3"
	keys Enter
	wait_for "The Z-report closes the shift with these totals" \
		"the Z-report's question shows what it closes"
	wait_for "Cash in the drawer: 1,255.40" "with the drawer"
	keys y
	wait_re "Z-report +processed" "y closes the shift"
	wait_for "Since the last Z-report" "the totals now count from the Z-report"
	wait_for "Sales: 0, 0.00 (card 0.00, cash 0.00)" "the next shift starts from nothing"
	wait_for "Cash in the drawer: 0.00" "and an empty drawer"
	esc
	quit_kassa
}

# journal_count TEXT SHOWN WHAT: the search TEXT shows SHOWN ("Journal: 1 of 4").
journal_count() {
	keys C-u
	type_text "$1"
	wait_for "$2" "$3"
}

# Item 12: the journal's search by amount as shown and by words.
case_search() {
	start_kassa 100 30 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	sell_three
	pay_cash "#"
	keys F8
	wait_for "Shift and cash" "F8 opens the shift screen"
	shift_amount 4 2000
	wait_re "cash in +2,000\.00 +processed" "cash in of 2,000.00 is processed"
	esc
	item 1006
	pay_card
	keys F4
	wait_for "Refund: choose the original receipt" "F4 opens the refund screen"
	type_text "535.80"
	keys Enter
	wait_for "Refund of receipt #1 · 535.80" "the sale of 535.80 is picked"
	keys Enter
	keys F5
	wait_re "Refund 54\.90 in cash\?" "F5 asks before the refund"
	keys y
	wait_for "in cash: sent" "the refund goes out"
	keys F11
	wait_for "Journal: 4 of 4 documents" "F11: four documents"
	journal_count 535 "Journal: 1 of 4 documents" "535 finds the sale of 535.80"
	journal_count "2,000.00" "Journal: 1 of 4 documents" "2,000.00, as the screen shows it, finds the cash in"
	journal_count 2000 "Journal: 1 of 4 documents" "2000 finds it too"
	journal_count refund "Journal: 1 of 4 documents" "refund finds the refund"
	journal_count card "Journal: 1 of 4 documents" "card finds the sale paid by card"
	journal_count cash "Journal: 3 of 4 documents" "cash finds the cash sale, the cash in and the cash refund"
	keys C-u
	wait_for "Journal: 4 of 4 documents" "an empty search shows all again"
	esc
	quit_kassa
}

case_search_ru() {
	check_locales
	start_kassa 80 24 ru_RU.UTF-8
	wait_for "Товар:" "kassa starts in training, in Russian"
	item 1001
	keys F5
	wait_for "Оплата: чек" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_for "отправляется" "the receipt goes out"
	keys F8
	wait_for "Смена и наличные" "F8 opens the shift screen"
	type_text 4
	keys Enter
	type_text "2 000"
	keys Enter
	wait_re "внесение +2 000,00 +обработан" "a cash in typed as «2 000» is taken and processed"
	esc
	keys F11
	wait_for "документов 2 из 2" "F11: two documents"
	journal_count "2 000,00" "Журнал: документов 1 из 2" "«2 000,00», as the screen shows it, finds the cash in"
	journal_count "наличные" "Журнал: документов 2 из 2" "«наличные» finds the cash sale and the cash in"
	journal_count "возврат" "Журнал: документов 0 из 2" "«возврат» finds no refund: there is none"
	journal_count "54,9" "Журнал: документов 1 из 2" "«54,9» finds the sale of 54,90"
	esc
	quit_kassa
}

# Item 12: ФН, ФД, ФП and the OFD link of a processed receipt.
case_fiscal() {
	start_kassa 80 40 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	item 1001
	pay_cash "#"
	keys F11
	wait_re "receipt · sale +54\.90 +processed" "the sale is processed"
	keys Enter
	wait_re "Fiscal: ФН [0-9]{16} · ФД [0-9]+ · ФП [0-9]+" "the detail shows ФН, ФД and ФП"
	wait_for "The receipt at the OFD: https://ofd.sandbox.invalid/receipt?fn=" \
		"and the OFD link"
	esc
	esc
	wait_for "Item:" "back to the sale"
	keys F11
	wait_re "receipt · sale +54\.90 +processed" "the journal again"
	keys F3
	wait_re "ФН +[0-9]{16}" "the preview shows the ФН"
	wait_re "ФД +[0-9]+" "the ФД"
	wait_re "ФП +[0-9]+" "the ФП"
	wait_for "The receipt at the OFD:" "and the OFD link"
	wait_for "https://ofd.sandbox.invalid/receipt?fn=" "the link itself"
	esc
	esc
	wait_for "Item:" "back to the sale"
	quit_kassa
}

# Item 12: the decimal comma in Russian and amounts with spaces.
case_numbers_ru() {
	check_locales
	start_kassa 80 24 ru_RU.UTF-8
	wait_for "Товар:" "kassa starts in Russian"
	type_text "0,455*"
	keys Enter
	wait_for "0,455 × товар:" "a pending quantity shows with a decimal comma"
	type_text 1003
	keys Enter
	wait_re "Яблоки Гала +0,455 кг" "the weighed line too"
	keys F8
	wait_for "Смена и наличные" "F8 opens the shift screen"
	type_text 4
	keys Enter
	type_text "1 00"
	keys Enter
	wait_for "тысячи" "a wrongly grouped amount is refused with a message about grouping"
	refute "20730" "without the unrelated example 20730.00"
	refute "write" "and in Russian"
	keys C-u
	type_text "1 000,50"
	keys Enter
	wait_re "внесение +1 000,50 +обработан" "«1 000,50» is taken"
	wait_for "Наличных в ящике: 1 000,50" "the drawer in Russian with a decimal comma"
	esc
	keys F5
	wait_for "Оплата: чек" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_for "ИТОГО 0,00" "the apples are sold"
	wait_re "№2 .*обработан" "the sale is processed"
	keys F4
	wait_for "67,80" "F4 lists the sale of 67,80"
	type_text "67,80"
	keys Enter
	wait_for "Возврат по чеку №2 · 67,80" "the sale is picked for a refund"
	type_text 1
	keys Enter
	wait_for "не больше 0,455: столько продано" "a refund above the weight sold names it with a decimal comma"
	esc
	esc
	wait_for "Товар:" "back to the sale"
	quit_kassa
}

# Item 12: start-up errors that read well.
case_startup() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "the first kassa runs in training"
	local out envs
	envs=(env -i PATH="$PATH" TERM=xterm HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config"
		XDG_DATA_HOME="$tmp/data" LANG=C.UTF-8 LC_ALL=C.UTF-8 KASSA_SANDBOX_STRICT=1)
	command -v script >/dev/null || bail "script(1) is installed" "util-linux's script is missing"
	out=$(timeout 20 script -qec "$(printf '%q ' "${envs[@]}" "$KASSA")" /dev/null </dev/null 2>&1 |
		tr -d '\r' | grep '^kassa:' | tail -n 1)
	if grep -qF 'profile ""' <<<"$out" || grep -qF 'profile: profile' <<<"$out"; then
		not_ok "a second kassa does not say 'profile: profile \"\"'" "got: $out"
	else
		ok "a second kassa does not say 'profile: profile \"\"'"
	fi
	if grep -qE '^kassa: training: journal .* is in use by another kassa' <<<"$out"; then
		ok "it says the training journal is in use by another kassa"
	else
		not_ok "it says the training journal is in use by another kassa" "got: $out"
	fi
	quit_kassa
	mkdir -p "$tmp/config/kassa"
	printf '[kassa]\ndefault_profile = shop\n\n[profile.]\nprovider = lifepay\n' \
		>"$tmp/config/kassa/config.ini"
	chmod 600 "$tmp/config/kassa/config.ini"
	out=$(timeout 20 script -qec "$(printf '%q ' "${envs[@]}" "$KASSA")" /dev/null </dev/null 2>&1 |
		tr -d '\r' | grep '^kassa:' | head -n 1)
	if grep -qE 'config\.ini:4: \[profile\.\]: the profile name is empty' <<<"$out"; then
		ok "an empty profile name: config.ini line 4, the profile name is empty"
	else
		not_ok "an empty profile name: config.ini line 4, the profile name is empty" "got: $out"
	fi
}

# Item 12: the printer field checks the serial.
case_printer() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	keys F12
	wait_for "Settings" "F12 opens the settings"
	keys Down Down Enter
	wait_for "Printer (target_serial" "Enter on the printer asks for the serial"
	keys C-u
	type_text "SANDBOX 0001"
	keys Enter
	wait_for "printer: has a space" "a serial with a space is refused, naming the field"
	wait_for "target_serial; Tab completes): SANDBOX 0001" "what was typed stays to be fixed"
	keys C-u
	type_text "ПРИНТЕР-1"
	keys Enter
	wait_for "printer: only Latin letters" "Cyrillic is refused"
	keys C-u
	type_text "ABCDEFGHIJKLMNOPQRSTU"
	keys Enter
	wait_for "printer: is 21 characters; a serial has at most 20" "a long serial is refused"
	wait_for "printer SANDBOX-0001" "the printer in use is unchanged"
	keys C-u
	type_text "SANDBOX-0002"
	keys Enter
	wait_for "printer SANDBOX-0002" "a good serial is taken"
	esc
	quit_kassa
}

# Item 12: the shift screen drops a refusal from before the shift now open.
case_stale() {
	start_sandbox
	write_config
	start_kassa 100 30 C.UTF-8
	wait_for "LIVE" "a LIVE profile on kassa-sandbox"
	keys F8
	wait_for "Shift and cash" "F8 opens the shift screen"
	type_text 1
	keys Enter
	wait_re "open shift +processed" "the shift opens"
	curl -sf -X POST -d '{"advance_ms": 90000000}' "http://127.0.0.1:$port/sandbox/clock" \
		>/dev/null || bail "the sandbox's clock moves 25 hours on"
	ok "the sandbox's clock moves 25 hours on"
	esc
	item 1001
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_re "Document #2 (was )?(refused|rejected)" "the receipt is refused: the shift is older than 24 hours"
	keys F8
	wait_for "Document #2 was refused:" "the shift screen explains the refusal"
	type_text 3
	keys Enter
	keys y
	wait_re "Z-report +processed" "the Z-report closes the old shift"
	type_text 1
	keys Enter
	wait_re "open shift +processed.*" "a new shift opens"
	wait_for "Shift: open for 0h0" "the new shift is open"
	wait_gone "Document #2 was refused:" "the old refusal is no longer shown"
	esc
	quit_kassa
}

# Item 12: a theme chosen in training is kept.
case_theme() {
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	keys F12
	wait_for "Settings" "F12 opens the settings"
	keys Down Down Down Right
	wait_re "Theme +◂ dark ▸" "Right chooses the dark theme"
	keys Enter
	wait_for "Theme dark, kept for training" "Enter applies it and says it is kept"
	esc
	quit_kassa
	tmux -L "$sock" kill-server >/dev/null 2>&1
	sleep 0.3
	start_kassa 80 24 C.UTF-8
	wait_for "Item:" "kassa starts again"
	keys F12
	wait_re "Theme +◂ dark ▸" "the dark theme is still chosen"
	esc
	quit_kassa
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need infocmp
case "$CASE" in
totals) case_totals ;;
search) case_search ;;
search-ru) case_search_ru ;;
fiscal) case_fiscal ;;
numbers-ru) case_numbers_ru ;;
startup) case_startup ;;
printer) case_printer ;;
stale) case_stale ;;
theme) case_theme ;;
*) bail "known case" "unknown case '$CASE'" ;;
esac
say "1..$n"
exit $failed
