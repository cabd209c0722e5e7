#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/alerts: the rules load (promtool check rules) and fire as their
# unit tests say (promtool test rules), TAP.
#   test_alerts.sh EXAMPLES_ALERTS_DIR
set -u
dir=${1:?usage: test_alerts.sh DIR}
. "$(dirname "$0")/../unit/tap.sh"
if ! command -v promtool >/dev/null 2>&1; then
	echo "1..0 # SKIP no promtool (scripts/deps.sh installs prometheus)"
	exit 0
fi
check "promtool check rules" \
	'promtool check rules "$dir/gpumem.rules.yml" >"$TMP/out" 2>"$TMP/err"'
check "promtool test rules: a leak, a full device, a source down" \
	'(cd "$dir" && promtool test rules gpumem.rules.test.yml) >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/out" >>"$TMP/err"; false; }'
echo "1..$N"
[ "$FAILED" -eq 0 ]
