#!/bin/bash
# rawmeasure.sh NAME KASSA SBPORT LPORT: raw callback growth with the screen as the listener's owner
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${WORK:-/tmp/kassa-listener-attack}
mkdir -p "$work"
name=$1 kassa=$2 sbport=$3 lport=$4
sandbox=$(dirname "$kassa")/kassa-sandbox
"$here/setup.sh" "$name" "$kassa" "$sbport" "$lport"
. "$work/$name/env"
"$sandbox" --listen 127.0.0.1:$sbport --callback-delay 3600000 --quiet >/dev/null 2>&1 &
sb=$!
trap 'kill $sb 2>/dev/null; tmux -L listen-live kill-session -t "raw-$name" 2>/dev/null' EXIT
sleep 0.5
"$kassa" receipt "$repo/tests/cli/data/seed.json" >/dev/null 2>&1
j=$XDG_DATA_HOME/kassa/journal.db
u=$(sqlite3 "$j" "SELECT uuid FROM documents ORDER BY id LIMIT 1")
token=$(cat "$XDG_DATA_HOME/kassa/callback-token")
tmux -L listen-live new-session -d -s "raw-$name" -x 160 -y 40 "bash -c '. $work/$name/env; exec $kassa'"
sleep 2
before=$(du -sk "$XDG_DATA_HOME/kassa" | cut -f1)
python3 "$here/raw.py" "$lport" "$token" "$u"
sleep 1
echo "rows: $(sqlite3 "$j" "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = '$u'") for the replayed callback," \
	"$(sqlite3 "$j" "SELECT COUNT(*) FROM raw_callbacks WHERE doc_id IS NULL") for unknown uuids," \
	"largest body $(sqlite3 "$j" "SELECT MAX(LENGTH(body)) FROM raw_callbacks") bytes;" \
	"journal folder grew $(( $(du -sk "$XDG_DATA_HOME/kassa" | cut -f1) - before )) KiB"
