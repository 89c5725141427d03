#!/bin/bash
# kassa-relay under a connection attack (docs/RELAY.md, "Limits"): trickling
# and idle clients beyond the limits never keep a provider's callback out, a
# whole-request deadline closes a trickle, an oversize chunked body is answered
# 413, and --max-connections is capped by the open-file limit. Prints TAP.
# Usage: test_relay_guard.sh KASSA_RELAY
set -u
relay=$(readlink -f "$1")
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
. "$(dirname "$0")/../tap.sh"
db=sqlite:$tmp/relay.db

key_of() { # the callback key a till derives from its token
	printf '%s' 'kassa-relay callback v1' | openssl dgst -sha256 -hmac "$1" | awk '{print $NF}' | cut -c1-32
}
"$relay" add-till a --tills "$tmp/tills.ini" >"$tmp/add.txt" 2>&1
tok=$(sed -n 's/^relay_token = //p' "$tmp/add.txt")
key=$(key_of "$tok")

# start NOFILE ARGS...: the relay on a free port under ulimit -n NOFILE; sets port, rpid
start() {
	local nofile=$1
	shift
	: >"$tmp/r.out"
	: >"$tmp/r.err"
	(
		ulimit -n "$nofile"
		exec "$relay" --listen 127.0.0.1:0 --db "$db" --tills "$tmp/tills.ini" "$@"
	) >"$tmp/r.out" 2>"$tmp/r.err" &
	rpid=$!
	pids+=("$rpid")
	for _ in $(seq 100); do
		[ -s "$tmp/r.out" ] && break
		sleep 0.05
	done
	port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/r.out")
}
stop() {
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
}

# attack PORT MODE N SECONDS: N connections from 127.0.0.2..9 (round robin)
# that send a partial request and then one byte a second (trickle) or nothing
# (idle), for SECONDS; writes "open K" to $tmp/att.ready once all are
# connected and "closed C" (how many the relay closed) at the end.
attack() {
	python3 - "$@" >"$tmp/att.log" 2>&1 <<'PY' &
import socket, sys, time
port, mode, n, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i % 8), 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"POST /cb/0123 HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    except OSError:
        pass
    s.setblocking(False)
    socks.append(s)
open("ready", "w").write("open %d\n" % len(socks))
closed = set()
end = time.time() + secs
while time.time() < end and len(closed) < len(socks):
    for i, s in enumerate(socks):
        if i in closed:
            continue
        try:
            if s.recv(4096) == b"":
                closed.add(i)
                continue
        except BlockingIOError:
            pass
        except OSError:
            closed.add(i)
            continue
        if mode == "trickle":
            try:
                s.send(b"x")
            except OSError:
                closed.add(i)
    time.sleep(1 if mode == "trickle" else 0.2)
print("closed %d" % len(closed))
PY
	apid=$!
	pids+=("$apid")
}
wait_ready() {
	for _ in $(seq 200); do
		[ -s ready ] && return 0
		sleep 0.05
	done
	return 1
}
cd "$tmp" || exit 1

# ---- trickling clients beyond --max-connections ----
start 4096 --max-connections 20 --timeout 30 --per-ip-limit off
# A till's long-poll, suspended waiting: it sent its whole request, so it
# is never shed as slow.
curl -s -o "$tmp/lp.json" -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $tok" \
	"http://127.0.0.1:$port/pull?offset=0&timeout=15" >"$tmp/lp.code" &
lpid=$!
sleep 0.5
rm -f ready
attack "$port" trickle 40 12
wait_ready
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 --data-binary 'id=1&status=ok' \
	"http://127.0.0.1:$port/cb/$key")
kill -0 "$apid" 2>/dev/null
alive=$?
[ "$code" = 200 ] && [ "$alive" = 0 ]
check "a callback is answered 200 while 40 trickling clients hold a relay of 20 connections" $? \
	"code=$code attack-still-open=$alive $(cat "$tmp/r.err")"
wait "$lpid"
kill -0 "$apid" 2>/dev/null
alive=$?
[ "$(cat "$tmp/lp.code")" = 200 ] && grep -q '"offset"' "$tmp/lp.json" && [ "$alive" = 0 ]
check "a long-poll waiting before the attack is not shed and gets the callback" $? \
	"code=$(cat "$tmp/lp.code") $(cat "$tmp/lp.json")"
c=$(curl -s -o "$tmp/pull.json" -w '%{http_code}' --max-time 8 -H "Authorization: Bearer $tok" \
	"http://127.0.0.1:$port/pull?offset=0&timeout=0")
kill -0 "$apid" 2>/dev/null
alive=$?
[ "$c" = 200 ] && grep -q '"offset"' "$tmp/pull.json" && [ "$alive" = 0 ]
check "the till pulls that callback while the attack is still open" $? "code=$c $(cat "$tmp/pull.json")"
kill "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
stop

# ---- a whole-request deadline, not an idle timeout ----
start 4096 --timeout 2 --per-ip-limit off
rm -f ready
attack "$port" trickle 4 8
wait "$apid"
grep -q '^closed 4$' "$tmp/att.log"
check "--timeout closes a client trickling a byte a second before its 8 s trickle ends" $? \
	"$(cat "$tmp/att.log")"

# ---- an oversize chunked body is answered ----
head -c 102400 /dev/zero | tr '\0' x >"$tmp/big"
code=$(curl -s -o "$tmp/big.out" -w '%{http_code}' --max-time 8 -H 'Transfer-Encoding: chunked' \
	--data-binary @"$tmp/big" "http://127.0.0.1:$port/cb/$key")
[ "$code" = 413 ] && grep -q "too large" "$tmp/big.out"
check "a 100 KiB chunked callback body is answered 413" $? "code=$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 --data-binary 'id=2' \
	"http://127.0.0.1:$port/cb/$key")
[ "$code" = 200 ]
check "the relay serves the next callback after a 413" $? "code=$code"
stop

# ---- --max-connections capped by the open-file limit ----
start 256 --max-connections 12000 --per-ip-limit off --timeout 30
grep -q -- "--max-connections 12000 is more than the open-file limit allows (ulimit -n 256): using 192" \
	"$tmp/r.err" && [ -n "$port" ]
check "--max-connections is capped by ulimit -n (256 - 64) and says so once" $? "$(cat "$tmp/r.err")"
[ "$(grep -c 'open-file limit' "$tmp/r.err")" = 1 ]
check "the cap is said once" $?
rm -f ready
attack "$port" idle 400 12
wait_ready
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 --data-binary 'id=3&status=ok' \
	"http://127.0.0.1:$port/cb/$key")
kill -0 "$apid" 2>/dev/null
alive=$?
[ "$code" = 200 ] && [ "$alive" = 0 ]
check "under ulimit -n 256, 400 idle connections from 8 addresses keep no callback out" $? \
	"code=$code attack-still-open=$alive $(tail -3 "$tmp/r.err")"
kill "$apid" 2>/dev/null
stop
echo "1..$n"
[ "$failed" -eq 0 ]
