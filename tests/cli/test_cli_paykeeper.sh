#!/usr/bin/env bash
# kassa's PayKeeper sending from the command line (issue 15): FFD 1.2
# corrections (`kassa receipt --kind correction FILE` on a PayKeeper profile)
# are checked by kassa before anything is sent, with the sandbox's own rules,
# and each refusal names the field; a good one reaches the strict sandbox
# with is_correction and the three correction fields.
#
# usage: test_cli_paykeeper.sh KASSA KASSA_SANDBOX
set -u
KASSA=$1
SANDBOX=$2
tmp=$(mktemp -d /tmp/kassa-cli-pk-XXXXXX)
. "$(dirname "$0")/../tap.sh"
sandbox=$SANDBOX
start_sandbox --memory --time-scale 0.02 --quiet --strict
port=$sport

mkdir -p "$tmp/config/kassa" "$tmp/home" "$tmp/data"
cat >"$tmp/config/kassa/config.ini" <<INI
[kassa]
default_profile = pk

[profile.pk]
provider = paykeeper
base_url = http://127.0.0.1:$port
user = sandbox
password = sandbox
secret = sandbox-secret
INI
chmod 600 "$tmp/config/kassa/config.ini"

cli() {
	env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" \
		XDG_DATA_HOME="$tmp/data" LANG=C.UTF-8 LC_ALL=C.UTF-8 KASSA_SANDBOX_STRICT=1 \
		"$KASSA" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# correction FILE INITIATOR DOC_DATE DOC_NUMBER
correction() {
	cat >"$1" <<JSON
{"type": "sell_correction", "initiator": "$2", "description": "недобитый чек",
 "doc_date": "$3", "doc_number": "$4", "customer_email": "buyer@example.ru",
 "purchase": {"products": [{"name": "Молоко 1 л", "price": 89.90, "quantity": 1,
  "tax": "vat10"}]}, "cash_amount": "#"}
JSON
}

ledger_corrections() {
	curl -s "http://127.0.0.1:$port/sandbox/ledger" | grep -o '"is_correction":"1"' | wc -l
}

# Each refusal: exit 2, the field named, nothing sent.
refuse() { # WHAT FIELD INITIATOR DATE NUMBER
	correction "$tmp/c.json" "$3" "$4" "$5"
	cli receipt --kind correction "$tmp/c.json"
	if [ "$rc" = 2 ] && grep -q -- "$2" "$tmp/err"; then
		ok "$1: refused naming $2"
	else
		not_ok "$1: refused naming $2" "exit $rc" "stderr: $(cat "$tmp/err")" "stdout: $(cat "$tmp/out")"
	fi
}
refuse "correction_type whatever" correction_type whatever 2024-12-31 ""
refuse "date 31.12.2024" correction_operation_date independently 31.12.2024 ""
refuse "date 2023-02-29" correction_operation_date independently 2023-02-29 ""
refuse "by_order without a number" correction_document_number directive 2024-12-31 ""
refuse "a 40-character number" doc_number directive 2024-12-31 \
	1234567890123456789012345678901234567890
got=$(ledger_corrections)
if [ "$got" = 0 ]; then ok "nothing refused reached PayKeeper"; else not_ok "nothing refused reached PayKeeper" "ledger corrections: $got"; fi

# Russian: the same refusal in the cashier's language.
correction "$tmp/c.json" whatever 2024-12-31 ""
env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
	LANG=ru_RU.UTF-8 LC_ALL=ru_RU.UTF-8 "$KASSA" receipt --kind correction "$tmp/c.json" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "correction_type" "$tmp/err" && grep -q "by_order" "$tmp/err" &&
	! grep -q "must be" "$tmp/err"; then
	ok "the refusal is in Russian under a Russian locale"
else
	not_ok "the refusal is in Russian under a Russian locale" "exit $rc" "stderr: $(cat "$tmp/err")"
fi

# A good by_order correction is sent and accepted (PayKeeper's status comes by polling).
correction "$tmp/c.json" directive 2024-12-31 "ФНС-77/123"
cli receipt --kind correction "$tmp/c.json"
ledger=$(curl -s "http://127.0.0.1:$port/sandbox/ledger")
want='"correction_type\":\"by_order\",\"correction_operation_date\":\"2024-12-31\",\"correction_document_number\":\"ФНС-77/123\"'
if [ "$rc" = 0 ] && grep -q '"is_correction":"1"' <<<"$ledger" && grep -qF "$want" <<<"$ledger" &&
	grep -q '"contact":"buyer@example.ru"' <<<"$ledger"; then
	ok "a by_order correction reaches PayKeeper with its fields"
else
	not_ok "a by_order correction reaches PayKeeper with its fields" \
		"exit $rc" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")" "ledger: $ledger"
fi

# The account check is the provider's (the settings screen's too): a token fetch.
cli check-account
if [ "$rc" = 0 ] && grep -q "fetching a PayKeeper token from http://127.0.0.1:$port" "$tmp/out" &&
	grep -q "OK: user and password are right; PayKeeper issued a token" "$tmp/out"; then
	ok "check-account fetches a PayKeeper token and says the account works"
else
	not_ok "check-account fetches a PayKeeper token and says the account works" \
		"exit $rc" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
fi
sed -i 's/^password = sandbox$/password = Wr0ng-pw-42/' "$tmp/config/kassa/config.ini"
cli check-account
if [ "$rc" = 1 ] && grep -q "Refused (HTTP 401): the user or password is wrong" "$tmp/out" &&
	! grep -q Wr0ng-pw-42 "$tmp/out" "$tmp/err"; then
	ok "check-account with a wrong password says so (exit 1) and never shows it"
else
	not_ok "check-account with a wrong password says so (exit 1) and never shows it" \
		"exit $rc" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
fi

echo "1..$n"
exit $failed
