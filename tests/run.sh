#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Every test of gpumem, as CI runs them; ends with "N passed, N failed,
# N skipped".  Each stage speaks TAP; one test case is one TAP line.
#   1. deps    scripts/deps.sh (installs Debian packages when missing)
#   2. unit    -Werror build, meson test (unit, cli, fixtures, live)
#   3. asan    the same tests under ASan + UBSan
#   4. fuzz    each libFuzzer target for GPUMEM_FUZZ_SECONDS (20)
#   5. deb     tests/install/deb.sh: build, lintian, install, purge the .debs
#   6. vm      tests/vm/run.sh: the patched kernel in QEMU with virtio-gpu
# GPUMEM_TEST_STAGES="unit asan" runs only those stages.
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
stages=${GPUMEM_TEST_STAGES:-"unit asan fuzz deb vm"}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"

note() { printf '== %s\n' "$*" >&2; }

# meson's testlog.json holds each test's TAP; a test that printed no TAP
# (it crashed before its plan) still counts, as one failure.
meson_tap() {
	python3 - "$1" "$2" <<'PY'
import json, sys
log, stage = sys.argv[1], sys.argv[2]
for line in open(log):
    t = json.loads(line)
    tap = [l for l in (t.get("stdout") or "").splitlines()
           if l.startswith(("ok ", "not ok "))]
    ok = t["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
    for l in tap:
        print(l.replace(" - ", " - %s/%s: " % (stage, t["name"]), 1))
    if not tap or (not ok and not any(l.startswith("not ok") for l in tap)):
        print("%s - %s/%s: %s" % ("ok" if ok else "not ok", stage,
                                  t["name"], t["result"]))
PY
}

run_meson() {
	local stage=$1 dir=$2
	shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$out/$stage.setup" 2>&1 || {
			cat "$out/$stage.setup" >&2
			echo "not ok - $stage: meson setup"
			return
		}
	fi
	ninja -C "$dir" >"$out/$stage.build" 2>&1 || {
		tail -40 "$out/$stage.build" >&2
		echo "not ok - $stage: build"
		return
	}
	meson test -C "$dir" --no-rebuild --print-errorlogs \
		>"$out/$stage.log" 2>&1
	meson_tap "$dir/meson-logs/testlog.json" "$stage"
}

stage_unit() {
	run_meson unit build-ci --werror
}

stage_asan() {
	run_meson asan build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all
}

stage_fuzz() {
	bash tests/fuzz/run.sh "${GPUMEM_FUZZ_SECONDS:-20}" | sed 's/ - / - fuzz: /'
}

# It installs packages on this machine: a stage of its own, so that a run
# of "unit asan" leaves the machine's packages alone.
stage_deb() {
	bash tests/install/deb.sh "$src" | sed 's/ - / - deb: /'
}

# The VM has no libraries: gpumem goes in statically linked.
build_static() {
	if [ ! -f build-static/build.ninja ]; then
		meson setup build-static -Ddefault_library=static \
			-Dprefer_static=true -Dc_link_args=-static \
			-Dtests=disabled >"$out/static.setup" 2>&1 || return 1
	fi
	ninja -C build-static src/gpumem lib/libgpumem.a >"$out/static.build" 2>&1 &&
		cc -static -O2 -Wall -Wextra -std=c11 -D_GNU_SOURCE \
			-I/usr/include/libdrm -o build-static/alloc_kinds \
			tests/explain/alloc_kinds.c >>"$out/static.build" 2>&1 &&
		cc -static -O2 -Wall -Wextra -std=c11 -I/usr/include/libdrm \
			-Iinclude -Itests/vm -o build-static/gpumemcheck \
			tests/vm/gpumemcheck.c tests/vm/vmlib.c build-static/lib/libgpumem.a \
			-ljansson -lbpf -lelf -lz -lpthread >>"$out/static.build" 2>&1 &&
		cc -static -O2 -Wall -Wextra -std=c11 -I/usr/include/libdrm \
			-Itests/vm -o build-static/samplecheck tests/vm/samplecheck.c \
			tests/vm/vmlib.c -ljansson >>"$out/static.build" 2>&1 &&
		cc -static -O2 -Wall -Wextra -std=c11 -Iinclude \
			-o build-static/discoverycheck tests/live/test_discovery.c \
			build-static/lib/libgpumem.a -ljansson -lbpf -lelf -lz \
			-lpthread >>"$out/static.build" 2>&1
}

# gpumemd goes in dynamic, with its libraries (tests/vm/lib.sh).
gpumemd_for_vm() {
	if [ ! -f build-ci/build.ninja ]; then
		meson setup build-ci --werror >"$out/vmd.setup" 2>&1 || return 1
	fi
	ninja -C build-ci src/gpumemd >"$out/vmd.build" 2>&1 || return 1
	(source tests/vm/lib.sh &&
		vm_gpumemd_bins build-ci/src/gpumemd build-ci/vm-gpumemd)
}

stage_vm() {
	local vmd
	if ! build_static; then
		cat "$out/static.setup" "$out/static.build" 2>/dev/null | tail -30 >&2
		echo "not ok - vm: static build of gpumem"
		return
	fi
	vmd=$(gpumemd_for_vm) || echo "# gpumemd not built for the VM: 57-gpumemd skips" >&2
	GPUMEM_VM_EXTRA_BINS="$src/build-static/src/gpumem $src/build-static/alloc_kinds $src/build-static/gpumemcheck $src/build-static/samplecheck $src/build-static/discoverycheck $vmd ${GPUMEM_VM_EXTRA_BINS:-}" \
		bash tests/vm/run.sh | sed 's/ - / - vm: /'
}

if ! bash scripts/deps.sh >&2; then
	echo "not ok - deps: scripts/deps.sh" >"$out/tap"
else
	: >"$out/tap"
	for s in $stages; do
		note "stage $s"
		"stage_$s" >"$out/$s.tap"
		status=$?
		# A stage that dies or runs nothing is a failure, never silence.
		if ! grep -qE '^(not )?ok' "$out/$s.tap"; then
			echo "not ok - $s: no test ran (status $status)" >>"$out/$s.tap"
		elif [ "$status" -ne 0 ] && ! grep -q '^not ok' "$out/$s.tap"; then
			echo "not ok - $s: exited with status $status" >>"$out/$s.tap"
		fi
		grep -E '^not ok' "$out/$s.tap" >&2
		cat "$out/$s.tap" >>"$out/tap"
	done
fi

awk '
	/^not ok/ { failed++; next }
	/^ok .*# *[Ss][Kk][Ii][Pp]/ { skipped++; next }
	/^ok/ { passed++ }
	END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	      exit failed > 0 || passed == 0 }
' "$out/tap"
