#!/bin/bash
# Runs the real kassa binary on the sample files in data/ and checks exit
# statuses, stdout (exactly, against *.out) and stderr. Prints TAP.
# Usage: test_cli.sh KASSA DATA_DIR
set -u
# kassa's own tests run the sandbox strict: kassa never sends what only a tolerant one takes.
export KASSA_SANDBOX_STRICT=1
kassa=$1
data=$2
export LC_ALL=C.UTF-8
unset LANGUAGE
tmp=$(mktemp -d)
# Never read or write the real user's config and journals.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME"
. "$(dirname "$0")/../tap.sh"

# expect_ok NAME EXPECTED_OUT ARGS...: status 0, stdout exactly the file, stderr empty
expect_ok() {
	local name=$1 want=$2
	shift 2
	run "$@"
	if [ "$rc" -ne 0 ]; then
		not_ok "$name" "exit status $rc, want 0"
	elif ! diff -u "$want" "$tmp/out" >"$tmp/diff"; then
		not_ok "$name" "stdout differs from $(basename "$want"):" "$(cat "$tmp/diff")"
	elif [ -s "$tmp/err" ]; then
		not_ok "$name" "stderr is not empty"
	else
		ok "$name"
	fi
}

# expect_bad NAME STATUS TEXT ARGS...: that status, empty stdout, TEXT in stderr
expect_bad() {
	local name=$1 want_rc=$2 text=$3
	shift 3
	run "$@"
	if [ "$rc" -ne "$want_rc" ]; then
		not_ok "$name" "exit status $rc, want $want_rc"
	elif [ -s "$tmp/out" ]; then
		not_ok "$name" "stdout is not empty: $(head -c 200 "$tmp/out")"
	elif ! grep -qF -- "$text" "$tmp/err"; then
		not_ok "$name" "stderr lacks: $text"
	elif [ "$(wc -l <"$tmp/err")" -gt 3 ]; then
		not_ok "$name" "stderr is longer than a message"
	else
		ok "$name"
	fi
}

# never_shows NAME SECRET: the secret is in neither stdout nor stderr of the last run
never_shows() {
	if grep -qF -- "$2" "$tmp/out" "$tmp/err"; then
		not_ok "$1" "the secret appears in the output"
	else
		ok "$1"
	fi
}

# --- the seed's worked example: total 21996.00, card 11996.00 ---------------
expect_ok "seed example" "$data/seed.out" receipt --dry-run "$data/seed.json"
never_shows "seed example: apikey masked" "sandbox-apikey-7f3a9c21"
if grep -qF '"total": "21996.00"' "$tmp/out" && grep -qF '"card_amount": "11996.00"' "$tmp/out" &&
	grep -qF '"card_amount": "#"' "$tmp/out"; then
	ok "seed example: total, resolved card and # kept"
else
	not_ok "seed example: total, resolved card and # kept"
fi

# stdin as -
"$kassa" receipt --dry-run - <"$data/seed.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && diff -q "$data/seed.out" "$tmp/out" >/dev/null; then
	ok "stdin as -"
else
	not_ok "stdin as -" "exit status $rc or output differs"
fi
# a UTF-8 byte order mark, as Windows editors write it
{ printf '\xef\xbb\xbf'; cat "$data/seed.json"; } >"$tmp/bom.json"
expect_ok "byte order mark skipped" "$data/seed.out" receipt --dry-run "$tmp/bom.json"
# options after the file and the -- separator
expect_ok "options in any order" "$data/seed.out" receipt "$data/seed.json" --dry-run
expect_ok "-- ends options" "$data/seed.out" receipt --dry-run -- "$data/seed.json"

# --- every field, strings for amounts, cash with change ---------------------
expect_ok "all fields" "$data/full.out" receipt --dry-run "$data/full.json"
never_shows "all fields: apikey masked" "live-key-0123456789abcdef"
expect_ok "cash with change" "$data/change.out" receipt --dry-run "$data/change.json"

# the body must carry no binary-float artefacts
run receipt --dry-run "$data/full.json"
if grep -qE '": -?[0-9]+\.[0-9]{4,}|": -?[0-9.]+[eE]' "$tmp/out"; then
	not_ok "exact decimals" "a float artefact in the body"
else
	ok "exact decimals"
fi

# --kind
run receipt --dry-run --kind non-fiscal "$data/seed.json"
if [ "$rc" -eq 0 ] && grep -qF '"endpoint": "https://sapi.life-pay.ru/cloud-print/create-non-fiscal-receipt"' "$tmp/out"; then
	ok "--kind non-fiscal"
else
	not_ok "--kind non-fiscal" "exit status $rc"
fi
run receipt --dry-run --kind=non-fiscal "$data/full.json"
if [ "$rc" -eq 2 ] && grep -qF 'cashier_inn: is not sent with a non-fiscal receipt' "$tmp/err"; then
	ok "--kind non-fiscal refuses receipt-only fields"
else
	not_ok "--kind non-fiscal refuses receipt-only fields" "exit status $rc"
fi
expect_bad "--kind z-report refused" 2 "--kind must be receipt, non-fiscal or correction" \
	receipt --dry-run --kind z-report "$data/seed.json"
expect_bad "--kind without value" 2 "--kind needs a value" receipt --dry-run --kind

# --- bad input: status 2, the field named, nothing on stdout ----------------
bad() { expect_bad "$1" 2 "$2" receipt --dry-run "$data/$1"; }
bad bad-quantity.json "purchase.products[1].quantity: must be more than zero"
bad bad-card-over.json "card_amount: card payment is more than the receipt total 100.00"
bad bad-card-over.json "3896"
bad bad-both-remainder.json "card_amount: only one of card and cash may be #"
bad bad-short.json "cash_amount: 30.00 is still to pay"
bad bad-price.json "purchase.products[0].price: has more than 2 decimal places"
bad bad-unknown-field.json "purchase.products[0].colour: is not a product field"
bad bad-empty-products.json "purchase.products: is empty"
bad bad-refund-pos.json "ref_uuid: is required for a refund through the POS terminal"
bad bad-json.json "not valid JSON at line 1"
bad bad-not-object.json "must be one JSON object"
bad bad-empty.json "the input is empty"
bad bad-nul.json "not valid JSON"
bad bad-login.json "login: must be the LifePay account's phone number"
bad bad-apikey.json "apikey: holds a space"
never_shows "bad apikey is not echoed" "my secret key 42"
bad bad-name-control.json "purchase.products[0].name: contains a control character"
bad bad-ext-id.json "ext_id: is 51 characters long; at most 50"
bad bad-email.json "customer_email: must be an e-mail address"
expect_bad "missing file" 2 "cannot open" receipt --dry-run "$data/no-such-file.json"
expect_bad "a directory" 2 "cannot read" receipt --dry-run "$data"

# --dry-run checks what a send checks (lib/guard.c): a refund's original, whole
# pieces, the ceiling; and takes the options a send takes
refund='{"type":"refund","purchase":{"products":[{"name":"X","price":10,"quantity":1}]},"cash_amount":"#"}'
echo "$refund" >"$tmp/refund.json"
echo '{"purchase":{"products":[{"name":"X","price":2000000,"quantity":1}]},"cash_amount":"#"}' \
	>"$tmp/large.json"
echo '{"purchase":{"products":[{"name":"X","price":10,"quantity":1.5}]},"cash_amount":"#"}' \
	>"$tmp/half.json"
expect_bad "dry run: a refund without ref_uuid" 2 "ref_uuid: a refund cites its original" \
	receipt --dry-run "$tmp/refund.json"
expect_bad "dry run: above max_receipt" 2 "max_receipt 1000000.00" receipt --dry-run "$tmp/large.json"
expect_bad "dry run: half a piece" 2 "purchase.products[0].quantity: 1.5: goods sold by the piece" \
	receipt --dry-run "$tmp/half.json"
expect_bad "dry run: --profile without a config" 3 "no configuration at" \
	receipt --dry-run --profile shop "$tmp/large.json"
dry_ok() {
	local name=$1
	shift
	run "$@"
	if [ "$rc" -eq 0 ] && grep -q '"request"' "$tmp/out"; then ok "$name"; else
		not_ok "$name" "exit status $rc, want 0 and the request"; fi
}
expect_bad "status: an unknown id says how to name a document" 2 \
	"the first 6 or more characters of either" status 48 --training
dry_ok "dry run: --no-original" receipt --dry-run --no-original "$tmp/refund.json"
dry_ok "dry run: --allow-large, --training, -v" --training receipt -v --dry-run --allow-large \
	"$tmp/large.json"

# more than the input limit
head -c 1100000 /dev/zero | tr '\0' ' ' >"$tmp/big.json"
expect_bad "input over 1 MiB" 2 "is larger than" receipt --dry-run "$tmp/big.json"

# --- usage ------------------------------------------------------------------
expect_bad "receipt without FILE" 2 "give the receipt FILE" receipt --dry-run
expect_bad "receipt with two files" 2 "one too many" receipt --dry-run a.json b.json
expect_bad "receipt with an unknown option" 2 "unknown option '--fast'" receipt --fast x.json
expect_bad "receipt without --dry-run checks before sending" 2 "not valid JSON" \
	receipt "$data/bad-json.json"
expect_bad "unknown command" 2 "there is no command 'fly'" fly
expect_bad "unknown option" 2 "unknown option '--frobnicate'" --frobnicate
expect_bad "help for an unknown command" 2 "there is no command 'fly'" help fly

run --help
if [ "$rc" -eq 0 ] && grep -q '^  receipt ' "$tmp/out" && grep -q 'Exit status' "$tmp/out" &&
	grep -q '^  4  journal error' "$tmp/out" && grep -q '^  3  configuration error' "$tmp/out" &&
	grep -q '^  2  bad input' "$tmp/out" && grep -q '^  1  the provider refused' "$tmp/out" &&
	grep -q '^  0  done' "$tmp/out"; then
	ok "--help lists commands and exit statuses"
else
	not_ok "--help lists commands and exit statuses" "exit status $rc"
fi
run --help
if [ "$rc" -eq 0 ] && grep -q '^  --profile NAME' "$tmp/out" && grep -q '^  --training' "$tmp/out" &&
	grep -q '^  --theme NAME' "$tmp/out" && grep -q '^  --no-color' "$tmp/out"; then
	ok "--help lists the options (--profile, --training, --theme, --no-color)"
else
	not_ok "--help lists the options (--profile, --training, --theme, --no-color)" "exit status $rc"
fi
run help --help
if [ "$rc" -eq 0 ] && grep -q 'Usage: kassa' "$tmp/out"; then
	ok "help --help prints the usage"
else
	not_ok "help --help prints the usage" "exit status $rc"
fi
run --version
if [ "$rc" -eq 0 ] && grep -qE '^kassa [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"; then
	ok "--version"
else
	not_ok "--version" "exit status $rc: $(cat "$tmp/out")"
fi
run
if [ "$rc" -eq 0 ] && grep -q 'Usage: kassa' "$tmp/out"; then
	ok "no command prints the usage"
else
	not_ok "no command prints the usage" "exit status $rc"
fi
run receipt --help
if [ "$rc" -eq 0 ] && grep -q 'Usage: kassa receipt' "$tmp/out" && grep -q -- '--dry-run' "$tmp/out"; then
	ok "receipt --help"
else
	not_ok "receipt --help" "exit status $rc"
fi
run help receipt
if [ "$rc" -eq 0 ] && grep -q 'Usage: kassa receipt' "$tmp/out"; then
	ok "help receipt"
else
	not_ok "help receipt" "exit status $rc"
fi
# Issue 15: the help shows how to send (not only the dry run) and --kind.
run --help
if grep -q '^  receipt FILE \[--kind KIND\]' "$tmp/out" && grep -q -- '--dry-run checks it' "$tmp/out"; then
	ok "--help shows the sending form of receipt and --kind"
else
	not_ok "--help shows the sending form of receipt and --kind" "$(grep receipt "$tmp/out")"
fi
run help receipt
if grep -q '^Usage: kassa receipt FILE \[--kind KIND\] \[--wait\]' "$tmp/out" &&
	grep -q -- '--kind KIND  receipt (default), non-fiscal or correction' "$tmp/out" &&
	grep -q '"card_amount": "#"' "$tmp/out" && grep -q 'correction_type self or by_order' "$tmp/out"; then
	ok "help receipt shows the sending form, a request and --kind"
else
	not_ok "help receipt shows the sending form, a request and --kind" "$(head -3 "$tmp/out")"
fi

# --- options before the command; a document by the beginning of its ext_id ---
run --training receipt "$data/seed.json" --wait
if [ "$rc" -eq 0 ] && grep -q 'state  processed' "$tmp/out"; then
	ok "--training before the command is the command's option"
else
	not_ok "--training before the command is the command's option" "exit status $rc"
fi
ext=$(sed -n 's/^  ext_id \([0-9a-f-]*\)$/\1/p' "$tmp/out")
run -v --training status "${ext:0:8}"
if [ "$rc" -eq 0 ] && grep -q "ext_id      $ext" "$tmp/out"; then
	ok "status finds a document by the first 8 characters of its ext_id"
else
	not_ok "status finds a document by the first 8 characters of its ext_id" "exit status $rc"
fi
run status --training "${ext:0:3}"
if [ "$rc" -ne 0 ] && grep -q "no document" "$tmp/err"; then
	ok "a prefix shorter than 6 characters is not looked up"
else
	not_ok "a prefix shorter than 6 characters is not looked up" "exit status $rc"
fi

# --- the account check: the provider's, the settings screen's words -------------
run check-account --training
if [ "$rc" -eq 0 ] && grep -q 'checking profile training: a test X-report (test=1' "$tmp/out" &&
	grep -q 'OK: login and API key are right and cloud fiscalization is on' "$tmp/out"; then
	ok "check-account gives the provider's verdict, as the settings screen does"
else
	not_ok "check-account gives the provider's verdict, as the settings screen does" \
		"exit status $rc" "stdout: $(cat "$tmp/out")"
fi

# --- one sender per journal ---------------------------------------------------
# Another process holds the training journal's sender lock: a sending command
# is refused as a journal error (4) that names that process, and nothing waits.
run outbox --training
lockfile="$XDG_DATA_HOME/kassa/training-journal.db.lock"
if [ -d "$XDG_DATA_HOME/kassa" ] && command -v flock >/dev/null; then
	( flock -n 9 && echo 4242 >&9 && sleep 20 ) 9>"$lockfile" &
	holder=$!
	for _ in $(seq 50); do [ -s "$lockfile" ] && break; sleep 0.1; done
	run outbox --flush --training
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	if [ "$rc" -eq 4 ] && grep -q '4242' "$tmp/err"; then
		ok "a journal locked by another kassa is refused with exit 4 naming it"
	else
		not_ok "a journal locked by another kassa is refused with exit 4 naming it" \
			"exit status $rc"
	fi
else
	not_ok "a journal locked by another kassa is refused with exit 4 naming it" \
		"no data directory after 'kassa outbox' (or no flock)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
