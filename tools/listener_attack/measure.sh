#!/bin/bash
# measure.sh NAME KASSA SBPORT LPORT: the real kassa screen (tmux) as the listener's owner,
# LIVE profile against kassa-sandbox; each attack from 127.0.0.2 (attack.py), a valid callback
# from 127.0.0.1 (curl) 2 s into it; prints the callback's HTTP code and time, the journal
# state, and the status bar's listener segment.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${WORK:-/tmp/kassa-listener-attack}
mkdir -p "$work"
name=$1 kassa=$2 sbport=$3 lport=$4
sandbox=$(dirname "$kassa")/kassa-sandbox
"$here/setup.sh" "$name" "$kassa" "$sbport" "$lport"
. "$work/$name/env"
"$sandbox" --listen 127.0.0.1:$sbport --callback-delay 3600000 --quiet >"$work/$name/sandbox.out" 2>&1 &
sb=$!
trap 'kill $sb 2>/dev/null; tmux -L listen-live kill-session -t "lv-$name" 2>/dev/null' EXIT
sleep 0.5
for i in $(seq 16); do
	sed -e "s/order-2024-0017/lv-$name-$i/" -e 's/"target_serial": *"[^"]*"/"target_serial": "SANDBOX-0001"/' "$repo/tests/cli/data/seed.json" >"$work/$name/r$i.json"
	"$kassa" receipt "$work/$name/r$i.json" >/dev/null 2>>"$work/$name/receipt.err"
done
j=$XDG_DATA_HOME/kassa/journal.db
mapfile -t uuids < <(sqlite3 "$j" "SELECT uuid FROM documents WHERE state = 'accepted' ORDER BY id")
echo "# $name: ${#uuids[@]} accepted receipts"
token=$(cat "$XDG_DATA_HOME/kassa/callback-token")
screen() { # (re)starts the screen, the listener's owner
	tmux -L listen-live kill-session -t "lv-$name" 2>/dev/null
	sleep 0.5
	tmux -L listen-live new-session -d -s "lv-$name" -x 160 -y 40 "bash -c '. $work/$name/env; exec $kassa'"
	sleep 2
}
screen
bar() { tmux -L listen-live capture-pane -p -t "lv-$name" | grep -o 'listener [^│]*' | head -1 | sed 's/  .*//'; }
echo "# status bar before: $(bar)"
k=0
valid() { # LABEL
	local u=${uuids[$k]}
	k=$((k + 1))
	local out
	out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
		-H 'Content-Type: application/json' -d "{\"uuid\":\"$u\",\"status\":\"processed\"}" \
		"http://127.0.0.1:$lport/cb/$token")
	local st
	st=$(sqlite3 "$j" "SELECT state FROM documents WHERE uuid = '$u'")
	printf '%-22s HTTP %s s, journal: %s, status bar: %s\n' "$1" "$out" "$st" "$(bar)"
}
attack() { # MODE COUNT SECONDS: on a fresh screen; a callback during and one after
	screen
	python3 "$here/attack.py" "$1" "$2" "$lport" "$3" "$token" 2>>"$work/$name/attack.err" &
	local a=$!
	sleep 2
	valid "$1 $2"
	echo "    kassa outbox: $("$kassa" outbox 2>/dev/null | head -1)"
	wait $a
	sleep 1
	valid "  after it ended"
	echo "    listen socket: $(ss -ltn "sport = :$lport" | tail -n +2 | awk '{print "Recv-Q", $2, "backlog", $3}')"
}
valid "no attack"
attack idle 70 6
attack slowloris 200 6
attack reconnect 1000 6
attack spread 150 6
attack oversize 20 6
attack forged 50 6
tmux -L listen-live kill-session -t "lv-$name"
kill $sb; wait $sb 2>/dev/null
