#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a small x86_64 bzImage for the gpumem QEMU rig from Debian's
# linux-source-6.12 tarball, the patch series in kernel/patches/, the
# rig-only patches in kernel/rig/ and the config fragment
# kernel/config.fragment.
#
# Needs (Debian 12):
#   apt-get install -y linux-source-6.12 build-essential flex bison bc \
#       libssl-dev libelf-dev dwarves cpio xz-utils
#
# Usage: kernel/build.sh [--unpatched] [-j N]
#
#   --unpatched  same config, without the patch series (separate cache key),
#                for benchmarks against the stock kernel.
#
# The LAST line on stdout is the absolute path of the bzImage.  Everything
# else goes to stderr or to the build log in the cache directory.
#
# Cache (GPUMEM_CACHE, default /var/cache/gpumem):
#   kernel-<key>/bzImage       result; key = sha256 over the source package
#                              version, the mode, every patch (name+content),
#                              the fragment and this script
#   kernel-<key>/build.log     log of the build that produced it
#   src-<mode>/                reusable unpacked tree (+ applied patches)
#   obj-<mode>/                out-of-tree object dir (O=), kept for
#                              incremental rebuilds
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }
note() { echo "build.sh: $*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
cache=${GPUMEM_CACHE:-/var/cache/gpumem}
tarball=/usr/src/linux-source-6.12.tar.xz
fragment="$here/config.fragment"
patchdir="$here/patches"
mode=patched
jobs=$(nproc 2>/dev/null || echo 2)

while [ $# -gt 0 ]; do
	case "$1" in
	--unpatched) mode=unpatched ;;
	-j) shift; jobs=${1:?-j needs a number} ;;
	-j*) jobs=${1#-j} ;;
	-h|--help) sed -n '2,30p' "$self" >&2; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done

[ -r "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.12"
[ -r "$fragment" ] || die "$fragment missing"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	die "dpkg-query cannot see linux-source-6.12 (is it installed?)"
[ -n "$srcver" ] || die "empty linux-source-6.12 version"

patches=()
if [ "$mode" = patched ]; then
	shopt -s nullglob
	patches=("$patchdir"/*.patch)
	shopt -u nullglob
	# 0000-cover-letter.patch carries no diff; it is not applied.
	for i in "${!patches[@]}"; do
		case "$(basename "${patches[$i]}")" in
		0000-cover-letter.patch) unset "patches[$i]" ;;
		esac
	done
	patches=("${patches[@]}")
	# Rig-only changes (not part of the series): applied last.
	shopt -s nullglob
	patches+=("$here"/rig/*.patch)
	shopt -u nullglob
fi

# ---- cache key -----------------------------------------------------------
key=$( {
	echo "srcver $srcver"
	echo "mode $mode"
	for p in "${patches[@]}"; do
		echo "patch $(basename "$p") $(sha256sum < "$p" | cut -d' ' -f1)"
	done
	echo "fragment $(sha256sum < "$fragment" | cut -d' ' -f1)"
	echo "script $(sha256sum < "$self" | cut -d' ' -f1)"
} | sha256sum | cut -c1-16)

out="$cache/kernel-$key"
if [ -f "$out/bzImage" ]; then
	note "cached ($mode): $out"
	echo "$out/bzImage"
	exit 0
fi

mkdir -p "$cache" || die "cannot create cache dir $cache"
cache=$(cd "$cache" && pwd)
out="$cache/kernel-$key"
mkdir -p "$out"
log="$out/build.log"
: > "$log"

fail() {
	echo "build.sh: error: $* (mode $mode)" >&2
	echo "build.sh: build log: $log" >&2
	echo "---- last 40 lines of $log ----" >&2
	tail -n 40 "$log" >&2 || true
	exit 1
}

# One build at a time per cache directory (the trees are shared).
exec 9>"$cache/.lock"
if ! flock -n 9; then
	note "waiting for another build.sh in $cache"
	flock 9
fi
# Someone else may have built it while we waited.
if [ -f "$out/bzImage" ]; then
	echo "$out/bzImage"
	exit 0
fi

src="$cache/src-$mode"
obj="$cache/obj-$mode"
state="$src/.gpumem"	# our bookkeeping, inside the tree

start=$(date +%s)
note "building $mode kernel (key $key), log: $log"

# ---- source tree: extract once per tarball version -----------------------
extract() {
	note "extracting $tarball"
	rm -rf "$src" "$obj"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1 >>"$log" 2>&1 ||
		fail "extracting $tarball failed"
	mkdir -p "$state/applied"
	echo "$srcver" > "$state/srcver"
}

if [ ! -f "$state/srcver" ] || [ "$(cat "$state/srcver")" != "$srcver" ] ||
   [ -e "$state/dirty" ]; then
	extract
fi

# ---- patches: revert what is applied unless it is exactly what we want ---
want=$( for p in "${patches[@]}"; do
	echo "$(basename "$p") $(sha256sum < "$p" | cut -d' ' -f1)"; done )
have=$(cat "$state/series" 2>/dev/null || true)

if [ "$want" != "$have" ]; then
	touch "$state/dirty"
	# Files the old series touched: remember content and mtime, so that
	# files the new series leaves as they were keep their old mtime and
	# make does not rebuild everything that includes them.
	: > "$state/touched"
	if [ -n "$have" ]; then
		sed -n 's|^+++ b/\([^\t]*\).*|\1|p' "$state/applied/"*.patch |
		sort -u | while IFS= read -r f; do
			[ -f "$src/$f" ] || continue
			printf '%s %s %s\n' "$(sha256sum < "$src/$f" | cut -d' ' -f1)" \
				"$(stat -c %Y "$src/$f")" "$f"
		done > "$state/touched"
		note "reverting previously applied patches"
		mapfile -t old < <(sort -r <<<"$(cd "$state/applied" && ls)")
		for p in "${old[@]}"; do
			[ -n "$p" ] || continue
			if ! (cd "$src" && patch -R -p1 -s -f --no-backup-if-mismatch \
			      < "$state/applied/$p") >>"$log" 2>&1; then
				note "revert of $p failed; re-extracting"
				extract	# also empties $obj: nothing to preserve
				: > "$state/touched"
				touch "$state/dirty"
				break
			fi
			rm -f "$state/applied/$p"
		done
	fi
	rm -f "$state/series" "$state/applied/"*
	for p in "${patches[@]}"; do
		note "applying $(basename "$p")"
		echo "=== patch -p1 < $p" >>"$log"
		(cd "$src" && patch -p1 -f --no-backup-if-mismatch < "$p") >>"$log" 2>&1 ||
			fail "patch $(basename "$p") does not apply"
		cp "$p" "$state/applied/"
	done
	while read -r sum mtime f; do
		[ -f "$src/$f" ] || continue
		[ "$(sha256sum < "$src/$f" | cut -d' ' -f1)" = "$sum" ] &&
			touch -m -d "@$mtime" "$src/$f"
	done < "$state/touched"
	[ -z "$want" ] || echo "$want" > "$state/series"
	rm -f "$state/dirty"
fi

# ---- config: tinyconfig + fragment, only replace .config if it changed ----
mkdir -p "$obj"
mk() { make -C "$src" O="$obj" ARCH=x86_64 "$@"; }
cfgdir=$(mktemp -d "$cache/.cfg.XXXXXX")
trap 'rm -rf "$cfgdir"' EXIT
{
	mk KCONFIG_CONFIG="$cfgdir/config" tinyconfig &&
	"$src/scripts/kconfig/merge_config.sh" -m -O "$cfgdir" \
		"$cfgdir/config" "$fragment" &&
	mk KCONFIG_CONFIG="$cfgdir/.config" olddefconfig
} >>"$log" 2>&1 || fail "configuring failed"

# Every option of the fragment must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) sym=${line%%=*}; val=${line#*=} ;;
	"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; val=n ;;
	*) continue ;;
	esac
	if [ "$val" = n ]; then
		got=$(grep -E "^$sym=" "$cfgdir/.config" || true)
		[ -z "$got" ] && continue
	else
		grep -qxF "$sym=$val" "$cfgdir/.config" && continue
		got=$(grep -E "^$sym=" "$cfgdir/.config" || echo "unset")
	fi
	if [ "$mode" = unpatched ]; then
		note "note: $sym=$val not set in the unpatched config ($got)"
	else
		note "config: $sym=$val requested, got: $got"
		missing=1
	fi
done < "$fragment"
[ "$missing" = 0 ] || fail "config fragment options were dropped (unmet dependencies?)"

if ! cmp -s "$cfgdir/.config" "$obj/.config"; then
	cp "$cfgdir/.config" "$obj/.config"
fi

# ---- build ----------------------------------------------------------------
note "make -j$jobs bzImage (this takes a few minutes from scratch)"
mk -j"$jobs" bzImage >>"$log" 2>&1 || fail "kernel build failed"

cp "$obj/arch/x86/boot/bzImage" "$out/bzImage.tmp"
cp "$obj/.config" "$out/config"
mv "$out/bzImage.tmp" "$out/bzImage"
note "done in $(( $(date +%s) - start )) s: $out/bzImage"
echo "$out/bzImage"
