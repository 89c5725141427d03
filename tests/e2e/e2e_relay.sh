#!/usr/bin/env bash
# The cashier's screen behind NAT (issue 13): a LIVE profile with relay_url
# and relay_token; kassa-sandbox calls a real kassa-relay back, the screen
# pulls on its loop. At 140x40: the status bar says "relay connected", a sale
# becomes processed through the relay (the history names it), the relay
# SIGKILLed shows "relay reconnecting since", and a sale made while it is
# down becomes processed once it is back (the sandbox retries its callback,
# time-scaled). Then training with KASSA_TRAINING_RELAY=1 on the same path.
# Reuses e2e.sh's harness, as test_cli_flush.sh does.
#
# usage: e2e_relay.sh KASSA KASSA_SANDBOX KASSA_RELAY
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
source <(printf '%s\n' "$harness") "$1" "$2" relay

# shellcheck source=e2e_relay_lib.sh
. "$here/e2e_relay_lib.sh"

sell() {
	type_text "1001"
	keys Enter
	sleep 0.2
	keys F5
	wait_for "Payment: receipt" "$1: the payment screen" || return
	type_text "#"
	keys Enter
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
[ -x "$RELAY" ] || bail "kassa-relay is built" "not executable: $RELAY"
need tmux
need infocmp

# Callbacks 100 times faster than LifePay's (the first retry after 0.6 s).
relay_sandbox --callback-delay 20000 --time-scale 0.01 --quiet
start_relay
ok "kassa-sandbox on port $sport, kassa-relay on $rport"

mkdir -p "$tmp/config/kassa"
printf '%s\n' "code,name,price,unit,vat,object" "1001,Хлеб «Бородинский» 400 г,54.90,piece,vat10,1" \
	>"$tmp/catalog.csv"
cat >"$tmp/config/kassa/config.ini" <<EOF
[kassa]
default_profile = shop

[profile.shop]
provider = lifepay
base_url = http://127.0.0.1:$sport
login = 70000000000
apikey = sandbox-apikey
target_serial = SANDBOX-0001
catalog = $tmp/catalog.csv
relay_url = http://127.0.0.1:$rport
relay_token = $token
EOF
chmod 600 "$tmp/config/kassa/config.ini"

start_kassa 140 40 C.UTF-8
wait_for "LIVE" "the screen runs with a LIVE profile"
wait_for "relay connected" "the status bar says the relay is connected"
refute "listener on" "no listener of its own with a relay"

sell "a sale"
wait_re "#1 receipt .*" "the sale is in the pane"
wait_for "processed" "it becomes processed through the relay"
keys F9
wait_re "processed +relay" "the history names the relay as the source"
keys Escape
if grep -qF "$token" <<<"$(screen)"; then not_ok "the token is never shown"; else ok "the token is never shown"; fi
keys F12
wait_for "Settings" "F12 opens the settings"
wait_for "through kassa-relay http://127.0.0.1:$rport" "the settings' callbacks line names the relay"
if grep -qF "$token" <<<"$(screen)"; then not_ok "the settings never show the token"; else ok "the settings never show the token"; fi
keys Escape
wait_for "relay connected" "back on the sale screen"

kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for "relay reconnecting since" "the relay SIGKILLed: reconnecting since ..."
sell "a sale while the relay is down"
wait_re "#2 receipt" "the second sale is in the pane"
wait_for "accepted" "it is accepted, its callback cannot get in"
start_relay "$rport"
wait_for "relay connected" "the relay back: connected again"
end=$((SECONDS + TIMEOUT + 20))
while [ $SECONDS -lt $end ] && screen | grep -q "accepted"; do sleep 0.2; done
if screen | grep -q "accepted"; then
	not_ok "the callback retried by the sandbox reaches the screen through the relay" "$(screen)"
else
	ok "the callback retried by the sandbox reaches the screen through the relay: nothing lost"
fi
quit_kassa

# Training on the same path (KASSA_TRAINING_RELAY=1): the built-in sandbox calls
# an embedded kassa-relay back and the screen pulls from it.
tmux -L "$sock" kill-server >/dev/null 2>&1
rm -f "$tmp/config/kassa/config.ini"
KASSA_TRAINING_RELAY=1 start_kassa 140 40 C.UTF-8 --training
wait_for "TRAINING" "training starts with the embedded relay"
wait_for "relay connected" "training: the status bar says the relay is connected"
refute "listener on" "training with the relay opens no listener"
sell "a training sale"
wait_re "#1 receipt .*" "the training sale is in the pane"
wait_for "processed" "the training sale becomes processed through the embedded relay"
keys F9
wait_re "processed +relay" "training: the history names the relay as the source"
keys Escape
quit_kassa
echo "1..$n"
[ "$failed" -eq 0 ]
