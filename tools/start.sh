#!/usr/bin/env bash
# Installs what is missing, builds kassa in ./build and starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
if [ -d build ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build >/dev/null
exec ./build/tui/kassa "$@"
