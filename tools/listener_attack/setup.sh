#!/bin/bash
# setup.sh NAME KASSA SBPORT LPORT: a LIVE profile against kassa-sandbox, 5 accepted receipts
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${WORK:-/tmp/kassa-listener-attack}
mkdir -p "$work"
name=$1 kassa=$2 sbport=$3 lport=$4
d=$work/$name
rm -rf "$d"; mkdir -p "$d/home" "$d/config/kassa" "$d/data"
cat >"$d/config/kassa/config.ini" <<INI
[kassa]
default_profile = shop

[profile.shop]
provider = lifepay
base_url = http://127.0.0.1:$sbport
login = 70000000000
apikey = sandbox-apikey
target_serial = SANDBOX-0001
tax_system = osn
listen = 127.0.0.1:$lport
INI
chmod 600 "$d/config/kassa/config.ini"
cat >"$d/env" <<ENV
export HOME=$d/home XDG_CONFIG_HOME=$d/config XDG_DATA_HOME=$d/data LC_ALL=C.UTF-8
ENV
