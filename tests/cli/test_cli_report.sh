#!/bin/bash
# The X- and Z-report commands print the shift's totals from the journal
# (issue 10, item 10), and amounts typed with thousands separators are taken
# (item 12). Runs the real kassa in training (its built-in sandbox), with
# --wait. Prints TAP.
# Usage: test_cli_report.sh KASSA DATA_DIR
set -u
# kassa's own tests run the sandbox strict: kassa never sends what only a tolerant one takes.
export KASSA_SANDBOX_STRICT=1
kassa=$1
data=$2
export LC_ALL=C.UTF-8
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
export KASSA_TRAINING_CALLBACK_DELAY_MS=50
mkdir -p "$HOME"
. "$(dirname "$0")/../tap.sh"
run() {
	"$kassa" "$@" --training --wait >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# expect NAME TEXT...: the last run exited 0 and printed every TEXT (fixed strings, in order of lines)
expect() {
	local name=$1
	shift
	if [ "$rc" -ne 0 ]; then
		not_ok "$name" "exit status $rc, want 0"
		return
	fi
	local t
	for t in "$@"; do
		if ! grep -qxF -- "$t" "$tmp/out"; then
			not_ok "$name" "stdout lacks the line: $t"
			return
		fi
	done
	ok "$name"
}

run open-shift
expect "the shift opens" "  state  processed"
run cash-in "1 500,50"
expect "cash-in takes \"1 500,50\" (thousands grouped by a space)" \
	"document #2: cash in, total 1500.50"
run receipt "$data/change.json"
expect "a sale of 299.00 paid 500.00 in cash" "document #3: receipt (payment), total 299.00"
run cash-out "5 000"
if [ "$rc" -eq 1 ] && grep -qxF "  state  rejected" "$tmp/out"; then
	ok "a cash-out above the drawer is refused by the provider"
else
	not_ok "a cash-out above the drawer is refused by the provider" "exit status $rc"
fi
run cash-out "1,000.00"
expect "cash-out takes \"1,000.00\" as shown" "document #5: cash out, total 1000.00"
run x-report
expect "x-report --wait prints the shift's totals; the refused cash-out is left out" \
	"  Sales: 1, 299.00 (card 0.00, cash 299.00)" \
	"  Refunds: 0, 0.00 (card 0.00, cash 0.00)" \
	"  Cash in: 1, 1500.50 · cash out: 1, 1000.00" \
	"  Cash in the drawer: 799.50" \
	"  Documents: 5: processed 4, rejected 1"
run z-report
expect "z-report --wait prints the totals of the shift it closes" \
	"  Sales: 1, 299.00 (card 0.00, cash 299.00)" \
	"  Cash in the drawer: 799.50" \
	"  Documents: 6: processed 5, rejected 1"
run x-report
expect "after the Z-report the next shift starts from nothing" \
	"  Sales: 0, 0.00 (card 0.00, cash 0.00)" \
	"  Documents: 0"
"$kassa" cash-in "1 00" --training >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -qF "thousands are grouped by three digits" "$tmp/err" &&
	! grep -qF "20730" "$tmp/err"; then
	ok "a wrongly grouped amount is refused with a message about grouping, not 20730.00"
else
	not_ok "a wrongly grouped amount is refused with a message about grouping, not 20730.00" \
		"exit status $rc"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
