# SPDX-License-Identifier: MIT
# TAP for the shell tests, sourced by each: ok, not_ok, check, py, run,
# rc_is, and TMP, a
# scratch directory removed at exit, also on SIGINT and SIGTERM, which end
# the test.  not_ok shows the start of $TMP/err.
N=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gpumem-test-XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
# A trap that returns lets the test run on, without its TMP: a signal
# that stops a test ends it (through the EXIT trap, which may be set anew).
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
	N=$((N + 1))
	echo "ok $N - $1"
}

not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	[ -s "$TMP/err" ] && sed 's/^/# stderr: /' "$TMP/err" | head -5
	return 0
}

# py NAME FILE SCRIPT: ok when the python script exits 0 on FILE.
py() {
	if python3 -c "$3" "$2" 2>"$TMP/err"; then ok "$1"; else not_ok "$1"; fi
}

# run ARGS...: $GPUMEM ARGS into $TMP/out, $TMP/err, its exit code $TMP/rc;
# rc_is NAME CODE: that code was CODE.
run() {
	"$GPUMEM" "$@" >"$TMP/out" 2>"$TMP/err"
	echo $? >"$TMP/rc"
}

rc_is() {
	check "$1 (exit $2)" "[ \"\$(cat \$TMP/rc)\" = $2 ]"
}

# check NAME SHELL-TEST: ok when the test (eval'ed) succeeds.
check() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}
