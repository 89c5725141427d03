#!/usr/bin/env bash
# End-to-end tests of the cashier's screen: the real kassa binary runs in a
# terminal (a private tmux server), keys are typed with send-keys and the
# tests assert on what the cashier sees (capture-pane), polling with a
# timeout instead of sleeping. Nothing of the user's is touched: HOME and the
# XDG directories are temporary, the tmux server has its own socket and no
# config file.
#
# usage: e2e.sh KASSA KASSA_SANDBOX CASE
#   CASE: sale | provider-error | resize | russian
# Output: TAP. Exit status 0 when every check passed.
set -u
# kassa's own tests run the sandbox strict: kassa never sends what only a tolerant one takes.
export KASSA_SANDBOX_STRICT=1

KASSA=$(realpath "$1")
SANDBOX=$(realpath "$2")
CASE=$3
TIMEOUT=${E2E_TIMEOUT:-15} # seconds for any one expected screen

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kassa-e2e.XXXXXX")
sock="kassa-e2e-$$"
export TMUX_TMPDIR=$tmp
unset TMUX
sandbox_pid=
n=0
failed=0
last_screen=

cleanup() {
	tmux -L "$sock" kill-server >/dev/null 2>&1
	[ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

ok() {
	n=$((n + 1))
	say "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=1
	say "not ok $n - $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	diag "screen:" "${last_screen:-$(screen)}"
	if [ -s "$tmp/kassa.err" ]; then
		diag "kassa's stderr:"
		diag "$(tail -n 20 "$tmp/kassa.err")"
	fi
}

# Gives up on the case: the rest would only fail for the same reason.
bail() {
	not_ok "$@"
	say "1..$n"
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 ||
		bail "$1 is installed" "$1 is missing: run tools/install-deps.sh (it installs $1)"
}

screen() { tmux -L "$sock" capture-pane -p -t e2e 2>/dev/null; }

# wait_for TEXT [DESCRIPTION]: polls the screen until it holds TEXT (fixed string).
wait_for() {
	local text=$1 what=${2:-"screen shows \"$1\""}
	local end=$((SECONDS + TIMEOUT))
	while :; do
		last_screen=$(screen)
		if grep -qF -- "$text" <<<"$last_screen"; then
			ok "$what"
			return 0
		fi
		[ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	not_ok "$what" "waited ${TIMEOUT}s for: $text"
	return 1
}

# wait_re REGEX [DESCRIPTION]: the same with an extended regular expression.
wait_re() {
	local re=$1 what=${2:-"screen matches /$1/"}
	local end=$((SECONDS + TIMEOUT))
	while :; do
		last_screen=$(screen)
		if grep -qE -- "$re" <<<"$last_screen"; then
			ok "$what"
			return 0
		fi
		[ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	not_ok "$what" "waited ${TIMEOUT}s for /$re/"
	return 1
}

# wait_gone TEXT [DESCRIPTION]: polls until the screen no longer holds TEXT.
wait_gone() {
	local text=$1 what=${2:-"screen no longer shows \"$1\""}
	local end=$((SECONDS + TIMEOUT))
	while :; do
		last_screen=$(screen)
		if ! grep -qF -- "$text" <<<"$last_screen"; then
			ok "$what"
			return 0
		fi
		[ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	not_ok "$what" "still there after ${TIMEOUT}s: $text"
	return 1
}

# refute TEXT DESCRIPTION: the current screen must not hold TEXT.
refute() {
	last_screen=$(screen)
	if grep -qF -- "$1" <<<"$last_screen"; then
		not_ok "$2" "found: $1"
	else
		ok "$2"
	fi
}

keys() { tmux -L "$sock" send-keys -t e2e "$@"; }
# Literal text (no key names), then nothing else.
type_text() { tmux -L "$sock" send-keys -t e2e -l -- "$1"; }

terminal_type() {
	local t
	for t in tmux-256color screen-256color screen xterm-256color; do
		if infocmp "$t" >/dev/null 2>&1; then
			echo "$t"
			return
		fi
	done
	echo xterm
}

# start_kassa COLS ROWS LOCALE [ARGS...]: kassa in a fresh tmux server.
start_kassa() {
	local cols=$1 rows=$2 loc=$3
	shift 3
	# A missing locale would show a different screen: say so rather than fail obscurely.
	local want
	want=$(sed 's/\.UTF-8$//I; s/\.utf8$//I' <<<"$loc")
	locale -a 2>/dev/null | grep -qiE "^${want//./\\.}\.utf-?8$" ||
		bail "the $loc locale exists" \
			"locale -a lacks $loc: run tools/install-deps.sh (installs locales, generates ru_RU.UTF-8)"
	mkdir -p "$tmp/home" "$tmp/config" "$tmp/data"
	local envs=(PATH="$PATH" TERM="$(terminal_type)" HOME="$tmp/home"
		XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
		LANG="$loc" LC_ALL="$loc" KASSA_TRAINING_CALLBACK_DELAY_MS="${E2E_CALLBACK_DELAY_MS:-100}"
		KASSA_SANDBOX_STRICT="${KASSA_SANDBOX_STRICT:-1}")
	[ -n "${ASAN_OPTIONS:-}" ] && envs+=(ASAN_OPTIONS="$ASAN_OPTIONS")
	[ -n "${UBSAN_OPTIONS:-}" ] && envs+=(UBSAN_OPTIONS="$UBSAN_OPTIONS")
	[ -n "${LSAN_OPTIONS:-}" ] && envs+=(LSAN_OPTIONS="$LSAN_OPTIONS")
	[ -n "${TZ:-}" ] && envs+=(TZ="$TZ")
	[ -n "${KASSA_TRAINING_RELAY:-}" ] && envs+=(KASSA_TRAINING_RELAY="$KASSA_TRAINING_RELAY")
	[ -n "${KASSA_TRAINING_FAULTS:-}" ] && envs+=(KASSA_TRAINING_FAULTS="$KASSA_TRAINING_FAULTS")
	local cmd
	cmd=$(printf '%q ' env -i "${envs[@]}" "$KASSA" "$@")
	# The shell stays after kassa so its exit status can be read off the screen, on a line of
	# its own (a killed kassa leaves the cursor wherever it was).
	tmux -L "$sock" -f /dev/null new-session -d -s e2e -x "$cols" -y "$rows" \
		"$cmd 2>$(printf %q "$tmp/kassa.err"); s=\$?; printf '\\r\\n'; echo \"kassa exited with \$s\"; sleep 60" ||
		bail "tmux starts a ${cols}x${rows} terminal"
	tmux -L "$sock" set-option -t e2e status off >/dev/null
	tmux -L "$sock" set-option -g remain-on-exit off >/dev/null
}

# quit_kassa: F10 on an empty basket quits; the terminal must come back.
quit_kassa() {
	keys F10
	# A document still on its way makes F10 ask first (y quits, it goes at next start).
	local end=$((SECONDS + 3))
	while [ $SECONDS -lt $end ]; do
		last_screen=$(screen)
		if grep -qE "not yet delivered|не доставлен" <<<"$last_screen"; then
			keys y
			break
		fi
		grep -qF "kassa exited with" <<<"$last_screen" && break
		sleep 0.1
	done
	wait_for "kassa exited with 0" "F10 quits kassa with status 0 and restores the terminal"
}

check_locales() {
	local have
	have=$(locale -a 2>/dev/null)
	grep -qiE '^c\.utf-?8$' <<<"$have" ||
		bail "the C.UTF-8 locale exists" "locale -a lacks C.UTF-8: install the locales package (tools/install-deps.sh)"
	grep -qiE '^ru_RU\.utf-?8$' <<<"$have" ||
		bail "the ru_RU.UTF-8 locale exists" \
			"locale -a lacks ru_RU.utf8: run tools/install-deps.sh (it generates ru_RU.UTF-8)," \
			"or: sed -i 's/^# *ru_RU.UTF-8/ru_RU.UTF-8/' /etc/locale.gen && locale-gen"
	ok "the C.UTF-8 and ru_RU.UTF-8 locales exist"
}

# The basket of issue 5: three lines, one weighed, one discounted.
sell_three() {
	type_text "1001"
	keys Enter
	wait_for "Хлеб «Бородинский» 400 г" "item 1001 by code goes into the basket"
	type_text "0.455*1003"
	keys Enter
	wait_re "Яблоки Гала +0[.,]455 " "a weighed item takes the quantity 0.455"
	type_text "1006"
	keys Enter
	wait_for "Кофе молотый 250 г" "a third item goes into the basket"
	keys F3
	wait_re "(Discount for line 3|Скидка на строку 3)" "F3 asks for the selected line's discount"
	type_text "10%"
	keys Enter
	wait_re "-45[.,]90" "10% off the third line shows as -45.90"
	wait_re "(TOTAL|ИТОГО) 535[.,]80" "the total is 54.90 + 67.80 + 413.10 = 535.80"
}

# start_sandbox [PORT]: kassa-sandbox (strict, in memory) on 127.0.0.1:PORT (0:
# any), its port in $port; SANDBOX_DELAY sets the callback delay (ms, 50).
start_sandbox() {
	local want=${1:-0} delay=${SANDBOX_DELAY:-50}
	: >"$tmp/sandbox.out"
	"$SANDBOX" --listen "127.0.0.1:$want" --memory --callback-delay "$delay" --quiet --strict \
		>"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
	sandbox_pid=$!
	port=""
	local end=$((SECONDS + TIMEOUT))
	while [ -z "$port" ] && [ $SECONDS -lt $end ]; do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/sandbox.out")
		[ -z "$port" ] && sleep 0.05
	done
	[ -n "$port" ] || bail "kassa-sandbox starts" "$(cat "$tmp/sandbox.err")"
	ok "kassa-sandbox listens on port $port"
}

# sandbox_profile NAME APIKEY LINE...: appends the LifePay profile NAME on the
# sandbox at $port, then LINE... (target_serial, catalog, ...), to config.ini (0600).
sandbox_profile() {
	mkdir -p "$tmp/config/kassa"
	printf '%s\n' "" "[profile.$1]" "provider = lifepay" "base_url = http://127.0.0.1:$port" \
		"login = 70000000000" "apikey = $2" "${@:3}" >>"$tmp/config/kassa/config.ini"
	chmod 600 "$tmp/config/kassa/config.ini"
}

# shop_config LINE...: a new config.ini whose default is the profile "shop"
# (sandbox_profile, apikey sandbox-apikey) with LINE....
shop_config() {
	mkdir -p "$tmp/config/kassa"
	printf '%s\n' "[kassa]" "default_profile = shop" >"$tmp/config/kassa/config.ini"
	sandbox_profile shop sandbox-apikey "$@"
}

# Esc, then a pause so the next key is not read as Alt+key.
esc() {
	keys Escape
	sleep 0.15
}

case_sale() {
	start_kassa 80 24 C.UTF-8
	wait_for "TRAINING" "no profile configured: kassa starts in training mode"
	wait_for "Item:" "the input line waits for an item"
	sell_three
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "#"
	keys Tab
	type_text "300"
	wait_re "Cash +# +=[[:space:]]+235\.80" "cash # resolves to the rest: 235.80"
	wait_re "Card +300 +=[[:space:]]+300\.00" "card pays 300.00"
	keys Enter
	wait_for "is on its way" "Enter sends the receipt and says so"
	wait_for "TOTAL 0.00" "the sale screen is free for the next customer at once"
	keys F9
	wait_re "receipt · sale +535\.80 +processed" \
		"F9: the receipt reaches processed in the status pane (reply, then callback)"
	keys Enter
	wait_for "State: processed" "Enter opens the document's detail"
	wait_for "Total 535.80: card 300.00, cash 235.80, change 0.00" \
		"the detail shows card 300.00 and cash 235.80"
	wait_for "accepted → processed  (callback)" "the history shows the callback's transition"
	refute "sandbox-apikey" "the detail shows no apikey"
	keys Escape
	wait_for "Find (number, ext_id, uuid):" "Esc goes back to the list"
	keys Escape
	wait_for "Item:" "Esc goes back to the sale"
	quit_kassa
}

case_provider_error() {
	start_sandbox
	mkdir -p "$tmp/config/kassa"
	# A live profile sells from its own catalog (the demo one is training only).
	printf '%s\n' 'code,name,price,unit,vat,object' \
		'1001,Хлеб «Бородинский» 400 г,54.90,piece,vat10,1' >"$tmp/shop.csv"
	shop_config "target_serial = NOPE" "catalog = $tmp/shop.csv"
	start_kassa 80 24 C.UTF-8
	wait_for "LIVE" "a configured profile runs live"
	wait_for "printer NOPE" "the status bar names the printer"
	type_text "1001"
	keys Enter
	wait_for "Хлеб «Бородинский» 400 г" "an item goes into the basket"
	keys F5
	wait_for "Payment: receipt" "F5 opens the pay dialog"
	type_text "#"
	keys Enter
	wait_for "Принтер не найден." "the provider's refusal reaches the message line at once"
	wait_re "Document #1 rejected" "the message names the document and the state"
	keys F9
	wait_re "receipt · sale +54\.90 +rejected +400: " "the status pane shows rejected, code 400"
	keys Enter
	wait_for "State: rejected" "the detail opens"
	wait_for "Provider error" "the detail explains the provider's error"
	wait_for "target_serial: Принтер не найден." "with the provider's own message"
	wait_for "Next step:" "and what to do next"
	refute "sandbox-apikey" "the detail shows no apikey"
	keys Escape
	keys Escape
	wait_for "Item:" "back to the sale"
	quit_kassa
}

case_resize() {
	start_kassa 140 40 C.UTF-8
	wait_for "Item:" "kassa starts at 140x40"
	type_text "1001"
	keys Enter
	type_text "3*1002"
	keys Enter
	wait_re "Молоко 3,2% 1 л +3 pc" "two lines in the basket"
	wait_for "Documents sent" "140 columns: the status pane stands beside the sale"
	tmux -L "$sock" resize-window -t e2e -x 80 -y 24
	wait_gone "Documents sent" "at 80x24 the side pane gives way"
	wait_re "Хлеб «Бородинский» 400 г +1 pc" "after shrinking to 80x24 the first line is kept"
	wait_re "Молоко 3,2% 1 л +3 pc" "and the second"
	wait_for "TOTAL 324.60" "and the total"
	tmux -L "$sock" resize-window -t e2e -x 30 -y 4
	wait_for "Terminal too small" "a tiny terminal says so"
	tmux -L "$sock" resize-window -t e2e -x 140 -y 40
	wait_for "Documents sent" "back at 140x40 the pane returns"
	wait_re "Молоко 3,2% 1 л +3 pc" "the basket survived every resize"
	wait_for "TOTAL 324.60" "with its total"
	keys F10
	wait_re "Quit and lose them\? \(y/n\)" "F10 with a full basket asks first"
	keys n
	wait_for "Item:" "n keeps the basket"
	keys F7
	keys y
	keys F7
	keys y
	wait_for "TOTAL 0.00" "F7 and y empty the basket"
	quit_kassa
}

case_russian() {
	check_locales
	start_kassa 80 24 ru_RU.UTF-8
	wait_for "ОБУЧЕНИЕ" "the status bar speaks Russian"
	wait_for "Товар:" "the input line speaks Russian"
	wait_for "F5 Оплата" "the footer speaks Russian"
	sell_three
	wait_for "Скидка" "the basket's headings speak Russian"
	keys F5
	wait_for "Оплата: чек" "the pay dialog speaks Russian"
	wait_for "Наличные" "with Russian field names"
	type_text "#"
	keys Enter
	wait_for "ИТОГО 0,00" "the receipt goes out; amounts use a decimal comma"
	keys F9
	wait_re "чек · приход +535,80 +обработан" "the status pane: processed is обработан"
	keys Enter
	wait_for "Состояние: обработан" "the detail speaks Russian"
	keys Escape
	keys Escape
	wait_for "Товар:" "back to the sale"
	quit_kassa
}

# The binary alone, away from its build tree and with no theme files anywhere:
# the default theme is built in, so it still starts (and F10 quits).
case_alone() {
	mkdir -p "$tmp/alone"
	cp "$KASSA" "$tmp/alone/kassa"
	KASSA="$tmp/alone/kassa"
	start_kassa 80 24 C.UTF-8 --theme default
	wait_for "Item:" "a lone kassa binary starts with the built-in default theme"
	refute "no theme" "and says nothing about a missing theme file"
	keys F10
	wait_for "kassa exited with 0" "F10 quits"
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need infocmp
case "$CASE" in
sale) case_sale ;;
provider-error) case_provider_error ;;
resize) case_resize ;;
russian) case_russian ;;
alone) case_alone ;;
*) bail "known case" "unknown case '$CASE': sale, provider-error, resize, russian or alone" ;;
esac
say "1..$n"
exit $failed
