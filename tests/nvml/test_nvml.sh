#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# NVML, through a fake libnvidia-ml.so.1 (fake_nvml.c) that answers from a
# script: today's library and an old driver's (first versions only),
# NOT_SUPPORTED, a figure NVML does not have, and no library at all, when
# gpumem must be what it is without NVIDIA.  The processes are this test's
# own children, so that /proc has them; the live system is read (NVML is
# never asked for a --root tree).
# Usage: test_nvml.sh GPUMEM NEW_LIB OLD_LIB        Output: TAP.
set -u
gpumem=$1
new=$(dirname "$2")
old=$(dirname "$3")
. "$(dirname "$0")/../unit/tap.sh"

sleep 300 & a=$!
sleep 300 & b=$!
trap 'kill $a $b 2>/dev/null; rm -rf "$TMP"' EXIT

# meson puts the fake libraries' directories in LD_LIBRARY_PATH: only the
# one a case names may be found.
unset LD_LIBRARY_PATH

# LIBDIR SCRIPT: gpumem --json with that library and script.
run() {
	LD_LIBRARY_PATH=$1 FAKE_NVML=$2 "$gpumem" --json >"$TMP/out" \
		2>"$TMP/err"
}
q() { jq -c "$1" "$TMP/out"; }
nvml_state() { q '.sources[] | select(.name == "nvml") | [.state, .detail]'; }

# No library: no NVIDIA device, the source says so, nothing else moves.
"$gpumem" --json >"$TMP/before" 2>/dev/null
run "$TMP/nowhere" /dev/null
check "no library: missing, said" \
	'[ "$(q "[.sources[] | select(.name == \"nvml\") | .state]")" = "[\"missing\"]" ] &&
	 grep -q "no libnvidia-ml.so.1" "$TMP/out"'
check "no library: devices and processes as without NVML" \
	'[ "$(q "[.devices, [.processes[].pid]]")" = "$(jq -c "[.devices, [.processes[].pid]]" "$TMP/before")" ]'

cat >"$TMP/today" <<EOF2
init 0
gpu 25757220864 2147483648 536870912 268410de 0 1 0 NVIDIA GeForce RTX 4090
compute 0 $a:524288000 999999999:1048576
graphics 0 $a:104857600 $b:na
EOF2
run "$new" "$TMP/today"
check "today's API: exit 0" '[ -s "$TMP/out" ]'
check "an NVIDIA device: driver, name, pdev, total = used, from nvml" \
	'[ "$(q "[.devices[] | select(.driver == \"nvidia\") | [.card, .name, .pdev, .total_bytes, .total_origin, .vram_total_bytes, .vram_reserved_bytes]]")" = "[[\"nvidia0\",\"NVIDIA GeForce RTX 4090\",\"0000:01:00.0\",2147483648,\"nvml\",25757220864,536870912]]" ]'
check "a process in both lists counts once, the larger figure" \
	'[ "$(q "[.processes[] | select(.pid == $a) | [.gpu_total_bytes, .gpu_devices[0].card, .gpu_devices[0].rss_bytes, .clients]]")" = "[[524288000,\"nvidia0\",524288000,1]]" ]'
check "a figure NVML does not have: an unknown client, its bytes null" \
	'[ "$(q "[.processes[] | select(.pid == $b) | [.unknown_clients, .gpu_total_bytes]]")" = "[[1,null]]" ]'
check "its clients are nvidia's, on that device" \
	'[ "$(q "[.clients[] | select(.driver == \"nvidia\") | .device] | unique")" = "[\"nvidia0\"]" ]'
check "a pid not in /proc is said, not shown" \
	'[ "$(nvml_state)" = "[\"found\",\"1 GPUs, 3 processes (1 not in this /proc), 0 calls not supported\"]" ] &&
	 [ "$(q "[.processes[] | select(.pid == 999999999)] | length")" = 0 ]'

# An old driver: nvmlInit, GetCount, the 16-byte process struct.
run "$old" "$TMP/today"
check "old API: the same figures through the first versions" \
	'[ "$(q "[.processes[] | select(.pid == $a) | .gpu_total_bytes]")" = "[524288000]" ] &&
	 [ "$(q "[.devices[] | select(.driver == \"nvidia\") | [.total_bytes, .vram_reserved_bytes]]")" = "[[2147483648,0]]" ]'

cat >"$TMP/unsupported" <<EOF2
gpu 8589934592 1073741824 0 1eb810de 0 41 0 Tesla T4
compute 3
graphics 3
EOF2
run "$new" "$TMP/unsupported"
check "NOT_SUPPORTED process lists: the device stays, said" \
	'[ "$(q "[.devices[] | select(.driver == \"nvidia\") | [.pdev, .total_bytes]]")" = "[[\"0000:41:00.0\",1073741824]]" ] &&
	 [ "$(nvml_state)" = "[\"found\",\"1 GPUs, 0 processes (0 not in this /proc), 2 calls not supported\"]" ]'

printf 'init 9\n' >"$TMP/noinit"
run "$new" "$TMP/noinit"
check "nvmlInit fails (driver not loaded): missing, with NVML's words" \
	'[ "$(nvml_state)" = "[\"missing\",\"NVML: Driver Not Loaded: NVIDIA GPUs are not seen\"]" ] &&
	 [ "$(q "[.devices[] | select(.driver == \"nvidia\")] | length")" = 0 ]'

# Samples of one process: NVML is loaded and initialised once, and kept;
# an nvmlInit that failed (the driver not loaded yet) is tried again.
LD_LIBRARY_PATH=$new FAKE_NVML=$TMP/today FAKE_NVML_LOG=$TMP/calls \
	"$gpumem" --json 0.05 4 >"$TMP/out" 2>/dev/null
check "4 samples: one nvmlInit, no shutdown, the GPU in every sample" \
	'[ "$(cat "$TMP/calls")" = init ] &&
	 [ "$(q "[.devices[] | select(.driver == \"nvidia\") | .total_bytes]" | tr -d "\n")" = "[2147483648][2147483648][2147483648][2147483648]" ]'
rm -f "$TMP/calls"
LD_LIBRARY_PATH=$new FAKE_NVML=$TMP/noinit FAKE_NVML_LOG=$TMP/calls \
	"$gpumem" --json 0.05 3 >"$TMP/out" 2>/dev/null
check "a failed nvmlInit is tried again at each sample" \
	'[ "$(grep -c "^init$" "$TMP/calls")" = 3 ]'

mkdir -p "$TMP/tree/proc"
LD_LIBRARY_PATH=$new FAKE_NVML=$TMP/today "$gpumem" --root "$TMP/tree" \
	--json >"$TMP/out" 2>/dev/null
check "a --root tree: NVML is not asked" \
	'[ "$(q "[.sources[] | select(.name == \"nvml\") | .state]")" = "[\"unused\"]" ]'
echo "1..$N"
[ "$FAILED" -eq 0 ]
