#!/usr/bin/env bash
# Source checks CI runs before building: the C library calls kassa's own code
# never uses (unbounded copies, non-reentrant or locale-blind conversions,
# predictable randomness, shell-outs) in lib/, cli/, tui/, relay/ and sandbox/ (tests may use
# them on fixed data), a #! line on every script, and .clang-format applied to
# every C file. Exits 1 naming each place found.
set -uo pipefail
cd "$(dirname "$0")/.."

banned='strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|tmpnam|tempnam|mktemp|rand|srand|random|alloca|localtime|gmtime|ctime|asctime|system|popen|setjmp|longjmp'
dirs=()
for d in lib cli tui relay sandbox; do
	[ -d "$d" ] && dirs+=("$d")
done

# A call is the name as a whole word followed by "(", outside a comment line.
hits=$(git grep -nE "(^|[^_A-Za-z0-9.>])($banned)[[:space:]]*\(" -- "${dirs[@]/%//*.c}" "${dirs[@]/%//*.h}" |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)')
status=0
if [ -n "$hits" ]; then
	echo "check-source: banned calls (use the bounded or reentrant form: str_copy/snprintf, strtol with checks, *_r, RAND_bytes, posix_spawn):"
	printf '%s\n' "$hits" | sed 's/^/  /'
	status=1
else
	echo "check-source: no banned calls in ${dirs[*]}"
fi
# Every shell script starts with its #! line: bash runs a script whatever its
# first line says, so lines pasted above it would run (and fail) unseen.
for f in $(git ls-files '*.sh'); do
	if [ "$(head -c 2 "$f")" != "#!" ]; then
		echo "check-source: $f does not start with #!"
		status=1
	fi
done
# Every C file is formatted as .clang-format says (clang-format 14, Debian 12's).
# Run `git ls-files '*.c' '*.h' | xargs clang-format -i` to apply it.
if command -v clang-format >/dev/null 2>&1; then
	unformatted=$(git ls-files '*.c' '*.h' | while read -r f; do
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
	done)
	if [ -n "$unformatted" ]; then
		echo "check-source: not formatted as .clang-format says (clang-format -i FILE):"
		printf '%s\n' "$unformatted" | sed 's/^/  /'
		status=1
	else
		echo "check-source: every C file formatted as .clang-format says"
	fi
else
	echo "check-source: clang-format is missing (tools/install-deps.sh installs it)"
	status=1
fi
exit $status
