#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang-14 in build-fuzz/ and runs each
# for SECONDS_EACH (default 20) from a copy of the checked-in corpus; new
# corpus entries stay in a temporary directory.  Prints TAP; exits non-zero
# when a target crashes (its reproducer is kept in build-fuzz/crashes/).
#   tests/fuzz/run.sh [SECONDS_EACH]
set -u

SECS=${1:-20}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$SRC/build-fuzz}
CORPUS=$SRC/tests/fuzz/corpus
TARGETS="drm_fdinfo dmabuf_fdinfo maps parse_u64 key_value meminfo uevent status cgroup shares dmem cmdline recording request"
TARGETS="$TARGETS task_iter dmabuf_iter document"
CLANG=${CC:-clang-14}

case $CLANG in clang*) ;; *) CLANG=clang-14 ;; esac

mkdir -p "$BUILD"
LOG=$BUILD/fuzz-build.log
if [ ! -f "$BUILD/build.ninja" ]; then
	CC=$CLANG meson setup "$BUILD" "$SRC" -Dfuzz=true \
		-Dbuildtype=debugoptimized >"$LOG" 2>&1 || {
		echo "Bail out! meson setup failed, see $LOG"
		exit 2
	}
fi
ninja -C "$BUILD" $(for t in $TARGETS; do printf 'tests/fuzz/fuzz_%s ' "$t"; done) \
	>>"$LOG" 2>&1 || {
	echo "Bail out! build failed, see $LOG"
	exit 2
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpumem-fuzz-XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT INT TERM
mkdir -p "$BUILD/crashes"

echo "1..$(echo $TARGETS | wc -w)"
n=0
failed=0
for t in $TARGETS; do
	n=$((n + 1))
	mkdir -p "$WORK/$t"
	cp "$CORPUS/$t"/* "$WORK/$t/" 2>/dev/null
	log=$BUILD/fuzz_$t.log
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$BUILD/crashes/${t}-" \
		"$WORK/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "ok $n - fuzz_$t # ${runs:-?} runs in ${SECS}s"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz_$t (exit $rc, log $log)"
		grep -m1 -E 'ERROR:|runtime error|SUMMARY' "$log" | sed 's/^/# /'
		ls "$BUILD/crashes/${t}-"* 2>/dev/null | sed 's/^/# reproducer: /'
	fi
done
[ $failed -eq 0 ]
