#!/bin/bash
# The relay SIGKILLed at random while a provider posts callbacks and a till
# pulls: every callback answered 200 reaches the till, offsets have no gaps,
# nothing is delivered that was never posted. With PostgreSQL two relay
# processes share the database, the provider alternates between them, the
# till pulls from either, and both are killed.
# Usage: soak_relay.sh KASSA_RELAY sqlite|pg [CALLBACKS] [KILLS]
set -u
relay=$1
kind=$2
count=${3:-400}
kills=${4:-20}
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
. "$(dirname "$0")/../tap.sh"
cleanup() {
	for f in "$tmp"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
	kill -9 $(jobs -p) 2>/dev/null
	tap_cleanup
}
trap cleanup EXIT

relay_db "$kind" kassa_relay_soak 77
if [ "$kind" = pg ]; then relays=(r0 r1); else relays=(r0); fi

"$relay" add-till soak --tills "$tmp/tills.ini" >"$tmp/add.txt" || exit 1
tok=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
key=$(printf '%s' 'kassa-relay callback v1' | openssl dgst -sha256 -hmac "$tok" | awk '{print $NF}' | cut -c1-32)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start NAME PORT: (re)starts a relay on its fixed port and waits for its line.
start() {
	"$relay" --listen "127.0.0.1:$2" --db "$db" --tills "$tmp/tills.ini" >"$tmp/$1.out" 2>>"$tmp/$1.err" &
	echo $! >"$tmp/$1.pid"
	disown $! 2>/dev/null
	for _ in $(seq 200); do
		grep -q listening "$tmp/$1.out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "relay $1 did not start: $(cat "$tmp/$1.err")" >&2
	return 1
}
for r in "${relays[@]}"; do
	port=$(free_port)
	echo "$port" >"$tmp/$r.port"
	start "$r" "$port" || exit 1
done

# The killer: SIGKILL a random relay, restart it on the same port.
(
	for i in $(seq "$kills"); do
		sleep "0.$((RANDOM % 5 + 2))"
		r=${relays[$((RANDOM % ${#relays[@]}))]}
		kill -9 "$(cat "$tmp/$r.pid")" 2>/dev/null
		sleep 0.1
		start "$r" "$(cat "$tmp/$r.port")" || exit 1
	done
	touch "$tmp/killer.done"
) &

# The till: pulls from any relay, keeps what arrives, acknowledges by offset.
(
	next=0
	n=0
	while :; do
		r=${relays[$((n++ % ${#relays[@]}))]}
		if curl -s -m 5 -o "$tmp/pull.json" -H "Authorization: Bearer $tok" \
			"http://127.0.0.1:$(cat "$tmp/$r.port")/pull?offset=$next&timeout=1" &&
			python3 - "$tmp/pull.json" "$next" >>"$tmp/delivered.txt" 2>/dev/null <<'PY'; then
import json, base64, sys
r = json.load(open(sys.argv[1]))
for u in r["updates"]:
    print(u["offset"], base64.b64decode(u["body"]).decode())
PY
			last=$(tail -n 1 "$tmp/delivered.txt" | cut -d' ' -f1)
			[ -n "$last" ] && next=$((last + 1))
		fi
		[ -f "$tmp/till.stop" ] && break
	done
) &
till=$!

# The provider: posts callback i, to the relays in turn; a callback not
# answered 200 is posted again (as LifePay retries), up to 20 times.
for i in $(seq "$count"); do
	for try in $(seq 20); do
		r=${relays[$(((i + try) % ${#relays[@]}))]}
		c=$(curl -s -m 3 -o /dev/null -w '%{http_code}' --data-binary "cb-$i" \
			"http://127.0.0.1:$(cat "$tmp/$r.port")/cb/$key")
		echo "$i $c" >>"$tmp/posted.txt"
		[ "$c" = 200 ] && break
		sleep 0.05
	done
done
while [ ! -f "$tmp/killer.done" ]; do sleep 0.2; done
# Let the till drain what is left, then stop it.
for _ in $(seq 100); do
	sleep 0.2
	want=$(awk '$2 == 200 {print $1}' "$tmp/posted.txt" | sort -u | wc -l)
	got=$(cut -d' ' -f2- "$tmp/delivered.txt" 2>/dev/null | sort -u | wc -l)
	[ "$got" -ge "$want" ] && break
done
touch "$tmp/till.stop"
wait "$till" 2>/dev/null

ok200=$(awk '$2 == 200 {print "cb-" $1}' "$tmp/posted.txt" | sort -u)
delivered=$(cut -d' ' -f2- "$tmp/delivered.txt" | sort -u)
missing=$(comm -23 <(echo "$ok200") <(echo "$delivered") | grep -c . || true)
unknown=$(comm -13 <(seq "$count" | sed 's/^/cb-/' | sort) <(echo "$delivered") | grep -c . || true)
# Offsets: each one's body never changes, and they run 1..last without a gap.
offsets=$(sort -u "$tmp/delivered.txt" | cut -d' ' -f1 | sort -n -u)
dup_bodies=$(sort -u "$tmp/delivered.txt" | cut -d' ' -f1 | sort -n | uniq -d | grep -c . || true)
last=$(echo "$offsets" | tail -n 1)
gapless=$([ "$(echo "$offsets" | wc -l)" = "$last" ] && echo yes || echo no)
non200=$(awk '$2 != 200' "$tmp/posted.txt" | wc -l)
restarts=$(cat "$tmp"/r*.err | grep -c "tills, database")
echo "soak_relay ($kind, ${#relays[@]} relays): $count callbacks, $non200 answers other than 200," \
	"$((restarts - ${#relays[@]})) restarts after SIGKILL; $(echo "$ok200" | grep -c .) answered 200," \
	"$(echo "$delivered" | grep -c .) distinct delivered over $last offsets; missing $missing," \
	"unknown $unknown, offsets gapless: $gapless, an offset with two bodies: $dup_bodies"
[ "$missing" = 0 ] && [ "$unknown" = 0 ] && [ "$gapless" = yes ] && [ "$dup_bodies" = 0 ] &&
	[ "$(echo "$ok200" | grep -c .)" = "$count" ]
