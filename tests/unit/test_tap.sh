#!/bin/sh
# SPDX-License-Identifier: MIT
# tap.sh's TMP and signals, under sh and bash (deb.sh runs under bash): a
# test sent SIGTERM ends there, exit 143, its TMP removed, and runs not one
# command more (a trap that only cleaned up let it go on, say to install
# and purge packages, without its TMP); an EXIT trap set anew still runs.
# Usage: test_tap.sh        Output: TAP.
set -u
. "$(dirname "$0")/tap.sh"
TAP=$(cd "$(dirname "$0")" && pwd)/tap.sh

# stopped SH FILE: a test under SH that sources tap.sh, sets its own EXIT
# trap (as deb.sh does), writes its TMP to FILE, then SIGTERMs itself.
stopped() {
	"$1" -c '. "$1"
		trap "rm -rf \"\$TMP\"; echo cleaned >>\"$2.exit\"" EXIT
		echo "$TMP" >"$2"
		kill -TERM $$
		echo "went on" >>"$2.exit"' -- "$TAP" "$2"
}

for sh in sh bash; do
	command -v "$sh" >/dev/null || continue
	stopped "$sh" "$TMP/$sh" 2>"$TMP/err"
	st=$?
	check "$sh: SIGTERM ends the test, exit 143" '[ $st -eq 143 ]'
	check "$sh: ... its EXIT trap runs, and nothing after the signal" \
		'[ "$(cat "$TMP/$sh.exit")" = cleaned ]'
	check "$sh: ... its TMP is removed" \
		'[ -s "$TMP/$sh" ] && [ ! -e "$(cat "$TMP/$sh")" ]'
done

echo "1..$N"
[ "$FAILED" -eq 0 ]
