#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A holder this user cannot read: every figure that depends on it says so
# (a lower bound, or unknown), none is shown smaller and complete.
# The demo fixture, read as nobody with one process's fd/ closed to it.
set -u
gpumem=$1
src=$2
. "$(dirname "$0")/tap.sh"
T=$TMP
if ! command -v setpriv >/dev/null || [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root and setpriv to read as nobody"
	exit 0
fi
cp -a "$src" "$T/d"
# The build may sit where only root can enter (a mktemp -d clone): nobody
# runs a copy, beside a copy of the library its rpath ($ORIGIN/../lib) finds.
mkdir -p "$T/bin/src" "$T/bin/lib"
cp "$gpumem" "$T/bin/src/gpumem"
cp -P "$(dirname "$gpumem")"/../lib/libgpumem.so* "$T/bin/lib/"
chmod -R a+rX "$T"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$T/bin/src/gpumem" "$@"
}

as_nobody --root "$T/d" -j >"$T/all.json" 2>"$T/all.err"
check "all readable: no total is partial" \
	'[ "$(jq "[.devices[].total_partial] | any" "$T/all.json")" = false ]'
check "all readable: kernel-held dma-buf bytes known" \
	'[ "$(jq .dmabuf.kernel_bytes "$T/all.json")" = 25952256 ]'

# mpv (3388) holds i915 clients and dma-bufs.
chmod 700 "$T/d/proc/3388/fd"
as_nobody --root "$T/d" -j >"$T/json" 2>"$T/err"
rc=$?
check "exit 0 with one process unreadable" '[ $rc -eq 0 ]'
check "it is counted" '[ "$(jq .unreadable_processes "$T/json")" = 1 ]'
check "it is said on stderr" 'grep -q "not readable" "$T/err"'
check "the derived i915 total is marked partial" \
	'[ "$(jq -c "[.devices[] | select(.driver == \"i915\") | .total_partial]" "$T/json")" = "[true]" ]'
check "the driver-counted amdgpu total is not" \
	'[ "$(jq -c "[.devices[] | select(.driver == \"amdgpu\") | .total_partial]" "$T/json")" = "[false]" ]'
check "kernel-held dma-buf bytes are null, with a reason" \
	'[ "$(jq -c "[.dmabuf.kernel_bytes, (.dmabuf.kernel_bytes_unknown | length > 0)]" "$T/json")" = "[null,true]" ]'
as_nobody --root "$T/d" -p 3388 >/dev/null 2>"$T/err"
rc=$?
check "-p of an unreadable process says so, not 'cannot read /proc'" \
	'[ $rc -eq 2 ] && grep -q "process 3388 is not readable" "$T/err"'
# A capture taken by that user lacks mpv; read back by root, it still
# counts mpv as unreadable, so the same figures are marked.
mkdir -m 755 "$T/cap" && chown 65534 "$T/cap"
as_nobody --root "$T/d" --capture "$T/cap/c" >/dev/null 2>"$T/err"
"$gpumem" --root "$T/cap/c" -j >"$T/capjson" 2>/dev/null
check "a capture remembers the process it could not read" \
	'[ "$(jq .unreadable_processes "$T/capjson")" = 1 ]'
check "and reading it back marks the i915 total partial" \
	'[ "$(jq -c "[.devices[] | select(.driver == \"i915\") | .total_partial]" "$T/capjson")" = "[true]" ]'
as_nobody --root "$T/d" >"$T/table" 2>/dev/null
# Its readable clients share buffers too, so the sum is no bound at all.
check "the table marks the i915 total as neither bound (~)" \
	'grep -Eq "^card1 +i915 .*~ [0-9.]+ MiB derived" "$T/table"'
check "the table does not give a kernel-held figure" \
	'grep -q "held only by the kernel: unknown" "$T/table"'
echo "1..$N"
[ "$FAILED" -eq 0 ]
