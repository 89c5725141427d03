#!/usr/bin/env bash
# The cashier's screen behind NAT with PayKeeper (issue 13): PayKeeper takes
# one callback URL per account, so kassa-sandbox's account calls
# <relay>/acct/<key> (an [account.NAME] of the tills file, routed to every
# till listed), and the screen of a LIVE PayKeeper profile with relay_url
# pulls them on its loop and checks their signatures. At 140x40: "relay
# connected", a sale becomes final with the relay named as the source in its
# history, the relay saw the account's callbacks, and a callback signed with
# another secret word changes nothing. Reuses e2e.sh's harness as
# e2e_relay.sh does.
#
# usage: e2e_relay_pk.sh KASSA KASSA_SANDBOX KASSA_RELAY
set -u
here=$(dirname "$(realpath "$0")")
RELAY=$(realpath "$3")
harness=$(sed '/^\[ -x "\$KASSA" \]/,$d' "$here/e2e.sh")
if ! grep -q '^wait_for()' <<<"$harness"; then
	echo "not ok 1 - e2e.sh's harness can be sourced (its layout changed)"
	echo "1..1"
	exit 1
fi
# shellcheck source=e2e.sh
source <(printf '%s\n' "$harness") "$1" "$2" relay-pk

# shellcheck source=e2e_relay_lib.sh
. "$here/e2e_relay_lib.sh"

sell() {
	type_text "1001"
	keys Enter
	sleep 0.2
	keys F5
	wait_for "Payment: receipt" "$1: the payment screen" || return
	type_text "#"
	keys Tab Tab Tab Tab
	type_text "buyer@example.ru"
	keys Enter
}

# relay_delivered: how many callbacks till1 has pulled from the relay.
relay_delivered() {
	"$RELAY" status --db "sqlite:$tmp/relay.db" --tills "$tmp/tills.ini" 2>/dev/null |
		sed -nE 's/^till1 +(never|[0-9-]+ [0-9:]+Z) +([0-9]+) +([0-9]+) .*/\3/p'
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
[ -x "$RELAY" ] || bail "kassa-relay is built" "not executable: $RELAY"
need tmux
need infocmp
need curl

# PayKeeper's statuses 100 times faster than real time.
relay_sandbox --time-scale 0.01 --quiet
acct_key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '\n[account.shop1]\nkey = %s\ntills = till1\n' "$acct_key" >>"$tmp/tills.ini"
start_relay
# The cabinet's one callback URL of the account: the relay's /acct/<key>.
code=$(curl -s -o "$tmp/cbset" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data "{\"user\":\"sandbox\",\"url\":\"http://127.0.0.1:$rport/acct/$acct_key\"}" \
	"http://127.0.0.1:$sport/sandbox/paykeeper/callback-url")
[ "$code" = 200 ] || bail "the sandbox account's callback URL is the relay's /acct/ URL" "HTTP $code $(cat "$tmp/cbset")"
ok "kassa-sandbox (PayKeeper account -> /acct/) on port $sport, kassa-relay on $rport"

mkdir -p "$tmp/config/kassa"
printf '%s\n' "code,name,price,unit,vat,object" "1001,Хлеб «Бородинский» 400 г,54.90,piece,vat10,1" \
	>"$tmp/catalog.csv"
cat >"$tmp/config/kassa/config.ini" <<EOF
[kassa]
default_profile = pk

[profile.pk]
provider = paykeeper
base_url = http://127.0.0.1:$sport
user = sandbox
password = sandbox
secret = sandbox-secret
catalog = $tmp/catalog.csv
relay_url = http://127.0.0.1:$rport
relay_token = $token
EOF
chmod 600 "$tmp/config/kassa/config.ini"

start_kassa 140 40 C.UTF-8
wait_for "LIVE" "the screen runs with a LIVE PayKeeper profile"
wait_for "relay connected" "the status bar says the relay is connected"
refute "listener on" "no listener of its own with a relay"

sell "a PayKeeper sale"
wait_re "#1 receipt .*" "the sale is in the pane"
wait_for "processed" "it becomes processed"
d=0
end=$((SECONDS + TIMEOUT))
while [ $SECONDS -lt $end ]; do
	d=$(relay_delivered)
	[ "${d:-0}" -ge 1 ] && break
	sleep 0.2
done
if [ "${d:-0}" -ge 1 ]; then
	ok "the account's callbacks went through the relay (till1 pulled $d)"
else
	not_ok "the account's callbacks went through the relay" \
		"$("$RELAY" status --db "sqlite:$tmp/relay.db" --tills "$tmp/tills.ini" 2>&1)" \
		"$(curl -s "http://127.0.0.1:$sport/sandbox/callbacks")"
fi
keys F9
wait_re "processed +relay" "the history names the relay as the source"
keys Escape
if grep -qF -e "$token" -e "$acct_key" <<<"$(screen)"; then
	not_ok "neither the token nor the account key is shown"
else
	ok "neither the token nor the account key is shown"
fi
quit_kassa
echo "1..$n"
[ "$failed" -eq 0 ]
