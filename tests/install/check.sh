#!/bin/sh
# SPDX-License-Identifier: MIT
# The installed library as a user gets it: meson install into a scratch
# DESTDIR, then examples/per_device.c built against the installed header and
# pkg-config file alone, run on the demo fixture, must print what the
# build's own per_device prints; the installed .so exports only gpumem_*.
# Usage: check.sh BUILD_DIR SOURCE_DIR PER_DEVICE        Output: TAP.
set -u
BUILD=$1
SRC=$2
REF=$3
. "$SRC/tests/unit/tap.sh"
D=$TMP/root

meson install --no-rebuild --quiet -C "$BUILD" --destdir "$D" \
	>"$TMP/install.log" 2>"$TMP/err"
check "meson install into a DESTDIR" '[ $? -eq 0 ]'
pc=$(find "$D" -name gpumem.pc | head -n 1)
so=$(find "$D" -name 'libgpumem.so.2' | head -n 1)
check "the .pc, the header and libgpumem.so.2 are installed" \
	'[ -n "$pc" ] && [ -n "$so" ] && [ -n "$(find "$D" -path "*/gpumem/gpumem.h")" ]'
check "the man pages gpumem(1) and libgpumem(3) are installed" \
	'[ -n "$(find "$D" -name gpumem.1)" ] && [ -n "$(find "$D" -name libgpumem.3)" ]'
check "sysusers.d makes the group gpumem; the bash completion is installed" \
	'grep -qx "g gpumem - -" "$(find "$D" -path "*/sysusers.d/gpumem.conf")" &&
	 [ -n "$(find "$D" -path "*/bash-completion/completions/gpumem")" ]'
unit=$(find "$D" -name gpumemd.service | head -n 1)
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null)
check "gpumemd.service is installed; its ExecStart is the installed gpumemd" \
	'[ -n "$exe" ] && [ -x "$D$exe" ] && [ -n "$(find "$D" -name gpumemd.8)" ]'

# The .pc names the prefix; the sysroot points it into DESTDIR.
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$D \
	pkg-config --cflags --libs gpumem 2>"$TMP/err")
cc -std=c11 -Wall -Werror -o "$TMP/per_device" "$SRC/examples/per_device.c" \
	$flags 2>"$TMP/err"
check "per_device builds from the installed header and gpumem.pc" \
	'[ -x "$TMP/per_device" ]'
LD_LIBRARY_PATH=$(dirname "$so") "$TMP/per_device" \
	"$SRC/tests/fixtures/demo-desktop" >"$TMP/got" 2>"$TMP/err"
"$REF" "$SRC/tests/fixtures/demo-desktop" >"$TMP/want" 2>/dev/null
check "it prints what the build's per_device prints" \
	'[ -s "$TMP/got" ] && cmp -s "$TMP/got" "$TMP/want"'
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' |
	grep -v '^gpumem_' >"$TMP/extra"
check "the installed library exports only gpumem_*" '[ ! -s "$TMP/extra" ]'
echo "1..$N"
[ "$FAILED" -eq 0 ]
