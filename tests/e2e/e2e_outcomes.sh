#!/usr/bin/env bash
# Every provider outcome in training (issue 15): the in-process sandbox's
# faults (KASSA_TRAINING_FAULTS, docs/SANDBOX.md "Faults") make LifePay answer
# "awaiting retry" then a final callback, 6095 (access denied), 3975 (the FN
# refused) and the POS terminal's approved / declined / timeout. Each case
# asserts what the cashier sees (the message line, the F9 status pane, the
# detail) and what the journal records (`kassa status`). The harness (tmux,
# polling, TAP, clean-up) is e2e.sh's, sourced as e2e_day.sh does.
#
# usage: e2e_outcomes.sh KASSA KASSA_SANDBOX CASE
#   CASE: retry | denied-ru | fn3975 | pos
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

# kassa_cli FAULTS ARGS...: the command line on the same training journal as the screen.
kassa_cli() {
	local faults=$1
	shift
	mkdir -p "$tmp/home" "$tmp/config" "$tmp/data"
	env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" \
		XDG_DATA_HOME="$tmp/data" LANG=C.UTF-8 LC_ALL=C.UTF-8 \
		KASSA_TRAINING_CALLBACK_DELAY_MS=100 KASSA_SANDBOX_STRICT=1 \
		KASSA_TRAINING_FAULTS="$faults" \
		${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
		${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
		"$KASSA" "$@"
}

# status_has ID TEXT DESCRIPTION: `kassa status --training ID` prints TEXT (fixed string).
status_has() {
	local out
	out=$(kassa_cli "" status --training "$1" 2>&1)
	if grep -qF -- "$2" <<<"$out"; then
		ok "$3"
	else
		not_ok "$3" "kassa status --training $1 lacks: $2" "$out"
	fi
}

# sell CODE: one item, paid in cash (# = the rest), sent.
sell() {
	type_text "$1"
	keys Enter
	sleep 0.1
	keys F5
	wait_re "Payment: receipt|Оплата: чек" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
}

# "Awaiting retry" (seeds: "ожидает повтора"), then the final callback a round later.
case_retry() {
	E2E_CALLBACK_DELAY_MS=1500 KASSA_TRAINING_FAULTS=retry=1 start_kassa 100 30 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	sell 1001
	wait_for "is on its way" "the receipt goes out"
	keys F9
	wait_re "receipt · sale +54\.90 +provider retry" \
		"the status pane shows the provider's retry while it tries again"
	wait_re "receipt · sale +54\.90 +processed" "then the later final callback: processed"
	keys Enter
	wait_for "State: processed" "the detail opens on the final state"
	wait_re "accepted → provider retry +\(callback\) +awaiting retry: the provider tries again" \
		"its history keeps the retry callback in words"
	wait_re "provider retry → processed +\(callback\)" "and the final callback after it"
	esc
	esc
	quit_kassa
	status_has 1 "accepted       -> provider_retry callback  awaiting retry: the provider tries again" \
		"the journal records the retry callback"
	status_has 1 "provider_retry -> processed      callback" "and the final one"
	status_has 1 "state       processed" "the document ends processed"
}

# 6095: LifePay refuses at once (seeds S0, S1), nothing is created. The Russian screen.
case_denied_ru() {
	KASSA_TRAINING_FAULTS=denied=1 start_kassa 100 30 ru_RU.UTF-8
	wait_for "Товар:" "kassa starts in training, in Russian"
	sell 1001
	wait_for "Доступ запрещен." "the provider's refusal reaches the message line"
	keys F9
	wait_re "чек · приход +54,90 +отклонён +6095" "the status pane: отклонён with code 6095"
	keys Enter
	wait_for "Состояние: отклонён" "the detail opens"
	wait_for "Доступ запрещен." "with the provider's own words"
	esc
	esc
	quit_kassa
	status_has 1 "state       rejected" "the journal records the document as rejected"
	status_has 1 "code 6095" "with code 6095"
}

# 3975: accepted, then the FN refuses the command (seed S2) in the error callback.
case_fn3975() {
	KASSA_TRAINING_FAULTS=fn3975=1 start_kassa 100 30 C.UTF-8
	wait_for "Item:" "kassa starts in training"
	sell 1001
	keys F9
	wait_re "receipt · sale +54\.90 +failed +3975" "the status pane shows failed with code 3975"
	keys Enter
	wait_for "State: failed" "the detail opens"
	wait_for "the fiscal drive refused the command's parameters" "the detail explains 3975 in words"
	wait_for "(LifePay: code 3975: Некорректное" "with the overview's message"
	wait_for "Next step:" "and what to do next"
	esc
	esc
	quit_kassa
	status_has 1 "accepted       -> failed         callback  3975: code 3975: Некорректное значение параметров команды ФН" \
		"the journal records the error callback with code 3975"
	status_has 1 "state       failed" "the document ends failed"
}

# The POS terminal (pos.perform=1, two slips): approved, declined, timeout. The receipts go
# from the command line; the screen then shows each outcome.
case_pos() {
	cat >"$tmp/pos.json" <<-'EOF2'
		{"type": "payment", "card_amount": "#", "pos": {"perform": 1, "slip_count": 2},
		 "purchase": {"products": [{"name": "Кофе в зёрнах", "price": 150, "quantity": 1,
		                            "tax": "vat20"}]}}
	EOF2
	local f rc
	for f in "" pos_decline=1 pos_timeout=1; do
		kassa_cli "$f" receipt --training --wait "$tmp/pos.json" >"$tmp/pos.out" 2>&1
		rc=$?
		if [ "$f" = "" ]; then
			if [ $rc -eq 0 ]; then
				ok "POS approved: kassa receipt --wait exits 0"
			else
				not_ok "POS approved: kassa receipt --wait exits 0" "exit $rc" "$(cat "$tmp/pos.out")"
			fi
		else
			if [ $rc -eq 1 ]; then
				ok "$f: kassa receipt --wait exits 1 (delivery failed)"
			else
				not_ok "$f: kassa receipt --wait exits 1" "exit $rc" "$(cat "$tmp/pos.out")"
			fi
			# The terminal gives no provider code: no "code 0", no call to LifePay support.
			if grep -qE "code 0|contact LifePay support" "$tmp/pos.out"; then
				not_ok "$f: the outcome is told in words, without a code 0 or a support call" \
					"$(cat "$tmp/pos.out")"
			else
				ok "$f: the outcome is told in words, without a code 0 or a support call"
			fi
		fi
	done
	status_has 1 "state       processed" "approved: the journal records processed"
	status_has 2 "POS terminal declined the card; nothing was charged: Операция по POS-терминалу отклонена." \
		"declined: the journal says nothing was charged, in the provider's words too"
	status_has 3 "POS terminal timeout, 2 slip(s) asked for: the card may have been charged; check the terminal" \
		"timeout: the journal keeps slip_count and says to check the terminal"
	start_kassa 120 30 C.UTF-8
	wait_for "Item:" "kassa starts in training on the same journal"
	keys F9
	wait_re " 1 receipt · sale +150\.00 +processed" "the status pane: the approved POS sale is processed"
	wait_re " 2 receipt · sale +150\.00 +failed" "the declined one failed"
	wait_re " 3 receipt · sale +150\.00 +failed" "the timed-out one failed"
	keys Enter
	wait_for "State: failed" "the detail of the newest (the timeout) opens"
	wait_for "2 slip(s) asked for: the card may have been charged" \
		"the cashier reads that the card may have been charged, with the slips asked for"
	esc
	keys Down
	keys Enter
	wait_for "POS terminal declined the card; nothing was charged" \
		"the declined one says nothing was charged"
	esc
	esc
	quit_kassa
}

[ -x "$KASSA" ] || bail "kassa binary exists" "$KASSA"
need tmux
check_locales
case $CASE in
retry) case_retry ;;
denied-ru) case_denied_ru ;;
fn3975) case_fn3975 ;;
pos) case_pos ;;
*) bail "known case" "unknown case '$CASE': retry, denied-ru, fn3975 or pos" ;;
esac
say "1..$n"
exit $failed
