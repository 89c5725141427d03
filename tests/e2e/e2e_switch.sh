#!/usr/bin/env bash
# End-to-end tests of start-up shared by the screen and profile switching
# (issue 12, lib/startup.c): a switch to a profile that cannot start is
# refused with a message naming the profile and the setting, and the till
# goes on with the previous profile, its basket and its journal. The harness
# (tmux, polling, TAP, clean-up) is e2e.sh's, sourced as e2e_keep.sh does.
#
# usage: e2e_switch.sh KASSA KASSA_SANDBOX CASE
#   CASE: refused | refused-ru
set -u
here=$(dirname "$(realpath "$0")")
harness=$(sed '/^\[ -x "\$KASSA" \]/,$d' "$here/e2e.sh")
if ! grep -q '^wait_for()' <<<"$harness"; then
	echo "not ok 1 - e2e.sh's harness can be sourced (its layout changed)"
	echo "1..1"
	exit 1
fi
# shellcheck source=e2e.sh
source <(printf '%s\n' "$harness") "$@"

# write_config: shop runs on the sandbox; broken has an HTTPS listener whose files do not exist.
write_config() {
	shop_config "target_serial = SANDBOX-0001"
	sandbox_profile broken sandbox-apikey "target_serial = SANDBOX-0002" \
		"listen_cert = $tmp/missing-cert.pem" "listen_key = $tmp/missing-key.pem"
}

# refused LOCALE PRICE_PROMPT REFUSAL TOTAL SENT (REFUSAL: the message up to the file)
refused() {
	start_sandbox
	write_config
	start_kassa 100 30 "$1"
	wait_re "shop +│ [^│]*SANDBOX-0001" "profile shop runs, printer SANDBOX-0001"
	type_text "Пакет фирменный"
	keys Enter
	wait_for "$2" "free entry asks for the price"
	type_text "7.50"
	keys Enter
	wait_re "$4" "the basket holds the line"
	keys F12
	wait_re "◂ shop ▸" "F12 opens the settings on profile shop"
	keys Right
	wait_re "◂ broken ▸" "Right chooses the broken profile"
	keys Enter
	keys y
	wait_re "$3 $tmp/missing-cert\.pem" \
		"the switch is refused naming the profile and the certificate file"
	refute 'profile: profile' "the message names the profile once"
	refute 'profile: профиль' "also in Russian"
	wait_re "shop +│ [^│]*SANDBOX-0001" "the previous profile runs again"
	esc
	wait_re "$4" "the basket survived the refused switch"
	keys F5
	type_text "#"
	keys Enter
	keys F9
	wait_re "$5" "a sale goes out with the previous profile"
	esc
	quit_kassa
}

[ -x "$KASSA" ] || bail "kassa is built" "not executable: $KASSA"
need tmux
need infocmp
need pgrep
case "$CASE" in
refused)
	refused C.UTF-8 "Price of «Пакет фирменный»:" \
		"Not switched: profile \"broken\": cannot read" "TOTAL 7\.50" \
		"receipt · sale +7\.50 +processed"
	;;
refused-ru)
	check_locales
	refused ru_RU.UTF-8 "Цена «Пакет фирменный»:" \
		"Не переключено: профиль «broken»: не удаётся прочитать" "ИТОГО 7,50" \
		"чек · приход +7,50 +обработан"
	;;
*) bail "known case" "unknown case '$CASE': refused or refused-ru" ;;
esac
say "1..$n"
exit $failed
