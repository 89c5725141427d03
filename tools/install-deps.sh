#!/usr/bin/env bash
# Installs the Debian 12 packages kassa needs to build, test and run.
# Idempotent: does nothing when everything is present. Needs root (or sudo).
set -euo pipefail

packages=(
	meson ninja-build pkg-config gcc clang gettext
	libncurses-dev libreadline-dev libcurl4-openssl-dev libjansson-dev
	libcmocka-dev libmicrohttpd-dev libsqlite3-dev libssl-dev libinih-dev uuid-dev
	libqrencode-dev
	libpq-dev
	tmux locales curl ca-certificates wrk libclang-rt-14-dev clang-format
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
else
	echo "install-deps: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Russian locale, so the Russian UI can be shown and tested.
if ! locale -a 2>/dev/null | grep -qi '^ru_RU.utf8$'; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	if [ -f /etc/locale.gen ]; then
		$sudo sed -i 's/^# *ru_RU.UTF-8 UTF-8/ru_RU.UTF-8 UTF-8/' /etc/locale.gen
		$sudo locale-gen >/dev/null 2>&1 || true
	fi
fi
