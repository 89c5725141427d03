#!/bin/bash
# The README's two set-ups over HTTPS on loopback, as a new user would try
# them (issue 13): a private CA and a certificate for 127.0.0.1/localhost made
# with openssl in a temp dir.
#  1. Direct: kassa listens with listen_cert/listen_key, public_url is
#     https://127.0.0.1:PORT, kassa-sandbox posts the callback trusting the CA
#     (--callback-ca); `kassa receipt --wait` ends `processed` by that callback.
#  2. Relay: kassa-relay serves HTTPS itself (--tls-cert/--tls-key), the
#     sandbox posts to it, kassa pulls trusting the CA through relay_ca.
# TLS verification stays on everywhere: without the CA both paths fail.
# Also: a listen_cert that does not name public_url's host is warned about.
# Prints TAP. Usage: test_cli_https.sh KASSA KASSA_SANDBOX KASSA_RELAY DATA_DIR
set -u
kassa=$1
sandbox=$2
relay=$3
data=$4
export LC_ALL=C.UTF-8
unset LANGUAGE
tmp=$(mktemp -d)
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME" "$XDG_CONFIG_HOME/kassa"
. "$(dirname "$0")/../tap.sh"
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
# sandbox_cb STATE: the sandbox's callback list has one in STATE.
sandbox_cb() {
	curl -s "http://127.0.0.1:$sport/sandbox/callbacks" | grep -q "\"state\": *\"$1\""
}

for x in "$kassa" "$sandbox" "$relay"; do [ -x "$x" ] || bail "built: $x"; done
command -v openssl >/dev/null || bail "openssl is installed"
command -v curl >/dev/null || bail "curl is installed"

# ---- a private CA and a certificate for the loopback names ----
pki="$tmp/pki"
mkdir -p "$pki"
(
	cd "$pki" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=kassa test CA" -keyout ca.key -out ca.pem &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=localhost" -keyout till.key -out till.csr &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext &&
		openssl x509 -req -in till.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 30 -extfile san.ext -out till.pem &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
			-subj "/CN=another CA" -keyout other.key -out other.pem
) >"$tmp/openssl.log" 2>&1 || bail "openssl makes the CA and certificate: $(cat "$tmp/openssl.log")"
chmod 600 "$pki"/*.key
ok "a private CA and a certificate for localhost/127.0.0.1"


"$sandbox" --listen 127.0.0.1:0 --callback-ca "$tmp/nonexistent.pem" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q -- "--callback-ca: cannot read" "$tmp/err"; then
	ok "kassa-sandbox --callback-ca with a missing file: exit 2, naming the option"
else
	not_ok "kassa-sandbox --callback-ca with a missing file is refused" "exit $rc"
fi

# ---- 1. direct: kassa's own HTTPS listener ----
lport=$(free_port)
[ -n "$lport" ] || bail "a free port"
write_direct() { # PUBLIC_HOST
	shop_config "listen = 127.0.0.1:$lport" "public_url = https://$1:$lport" \
		"listen_cert = $pki/till.pem" "listen_key = $pki/till.key"
}

start_sandbox --memory --callback-delay 300 --callback-ca "$pki/ca.pem"
write_direct 127.0.0.1
run receipt "$data/seed.json" --wait --timeout 20
if [ "$rc" -eq 0 ] && grep -qi "processed" "$tmp/out" "$tmp/err"; then
	ok "direct over HTTPS: kassa receipt --wait ends processed"
else
	not_ok "direct over HTTPS: kassa receipt --wait ends processed" "exit $rc" \
		"sandbox: $(curl -s "http://127.0.0.1:$sport/sandbox/callbacks")"
fi
if sandbox_cb delivered; then ok "the sandbox delivered the callback over HTTPS (200)"; else not_ok "the sandbox delivered the callback" "$(curl -s "http://127.0.0.1:$sport/sandbox/callbacks")"; fi
id=$(sed -n 's/.*document #\([0-9]*\) is in the journal.*/\1/p' "$tmp/err")
run status "${id:-1}"
if grep -qE "processed.*callback|callback.*processed" "$tmp/out"; then ok "its history names the callback as the source"; else not_ok "its history names the callback as the source"; fi
if grep -q "does not name" "$tmp/err"; then not_ok "a certificate that names 127.0.0.1: no warning"; else ok "a certificate that names 127.0.0.1: no warning"; fi
stop_sandbox

# Verification stays on: a sandbox trusting another CA cannot deliver.
start_sandbox --memory --callback-delay 300 --callback-ca "$pki/other.pem"
run receipt "$data/seed.json" --wait --timeout 3
sleep 1
if sandbox_cb delivered; then
	not_ok "a callback client trusting another CA is refused by TLS"
else
	ok "a callback client trusting another CA is refused by TLS (not delivered)"
fi
stop_sandbox

# A public_url host the certificate does not name: warned at once.
start_sandbox --memory --callback-delay 300 --callback-ca "$pki/ca.pem"
write_direct till.example.ru
run outbox
if grep -q "listen_cert $pki/till.pem does not name till.example.ru, the host of public_url" "$tmp/err"; then
	ok "public_url's host not in listen_cert: kassa warns, naming both"
else
	not_ok "public_url's host not in listen_cert: kassa warns" "exit $rc"
fi
stop_sandbox

# ---- 2. the relay with its own TLS; kassa trusts it through relay_ca ----
start_sandbox --memory --callback-delay 300 --callback-ca "$pki/ca.pem"
add_till shop1
: >"$tmp/relay.out"
"$relay" --listen 127.0.0.1:0 --db "sqlite:$tmp/relay.db" --tills "$tmp/tills.ini" \
	--tls-cert "$pki/till.pem" --tls-key "$pki/till.key" \
	>"$tmp/relay.out" 2>"$tmp/relay.err" &
pids+=($!)
rport=$(port_of "$tmp/relay.out" https)
[ -n "$rport" ] || bail "kassa-relay starts with TLS: $(cat "$tmp/relay.err")"
ok "kassa-relay listens on https://127.0.0.1:$rport"
write_relay() { # [relay_ca line]
	shop_config "relay_url = https://127.0.0.1:$rport" "relay_token = $token" "${1:-}"
}
write_relay "relay_ca = $pki/ca.pem"
run receipt "$data/seed.json"
id=$(sed -n 's/.*document #\([0-9]*\) is in the journal.*/\1/p' "$tmp/err")
[ "$rc" -eq 0 ] && [ -n "$id" ] && ok "kassa receipt through the HTTPS relay: document $id" || not_ok "kassa receipt through the HTTPS relay" "exit $rc"
end=$((SECONDS + TIMEOUT))
until sandbox_cb delivered || [ $SECONDS -ge $end ]; do sleep 0.1; done
if sandbox_cb delivered; then ok "the sandbox posted the callback to the relay over HTTPS"; else not_ok "the sandbox posted the callback to the relay" "$(curl -s "http://127.0.0.1:$sport/sandbox/callbacks")"; fi
# Without relay_ca the relay's certificate is not trusted: nothing is pulled.
write_relay ""
run status "$id"
if grep -q "the relay could not be pulled" "$tmp/err" && ! grep -qE "state +processed" "$tmp/out"; then
	ok "without relay_ca the private CA is not trusted (TLS stays on)"
else
	not_ok "without relay_ca the private CA is not trusted" "exit $rc"
fi
write_relay "relay_ca = $tmp/missing-ca.pem"
run status "$id"
if grep -q "relay_ca" "$tmp/err" && grep -q "missing-ca.pem" "$tmp/err"; then
	ok "an unreadable relay_ca is named"
else
	not_ok "an unreadable relay_ca is named" "exit $rc"
fi
write_relay "relay_ca = $pki/ca.pem"
run status "$id"
if [ "$rc" -eq 0 ] && grep -qE "state +processed" "$tmp/out" && grep -q relay "$tmp/out"; then
	ok "with relay_ca, kassa status $id pulls over HTTPS and shows processed"
else
	not_ok "with relay_ca, kassa status shows processed" "exit $rc"
fi
if grep -q "$token" "$tmp/out" "$tmp/err"; then not_ok "the token is never printed"; else ok "the token is never printed"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
