#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Is kernel/patches ready to be sent?  Runs scripts/checkpatch.pl --strict
# on every patch and refuses a series that nobody has signed: a From: or
# Signed-off-by: line whose address is in a reserved, undeliverable domain
# (.example, .invalid, .test, .localhost: RFC 2606), as the placeholder
# identity the series carries is.  The DCO needs a real person; this script
# cannot provide one, so until someone signs it exits 1.
#
# Needs (Debian 12), for checkpatch's SPDX check: python3-ply python3-git
#
# Usage: kernel/send-check.sh [KERNEL_TREE]
#   KERNEL_TREE  a Linux tree with scripts/checkpatch.pl (default: the
#                patched tree kernel/build.sh unpacked,
#                ${GPUMEM_CACHE:-/var/cache/gpumem}/src-patched)
#
# Prints one line per patch and a verdict; exit 0 only when every patch is
# checkpatch-clean apart from the MAINTAINERS question on new files (see
# kernel/README.md) and every identity is a deliverable address.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=${1:-${GPUMEM_CACHE:-/var/cache/gpumem}/src-patched}
checkpatch=$tree/scripts/checkpatch.pl
[ -x "$checkpatch" ] || {
	echo "send-check: no $checkpatch (run kernel/build.sh or name a tree)" >&2
	exit 2
}

status=0
for p in "$here"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
	name=${p##*/}
	[ "${name%%-*}" = 0000 ] && continue
	# Debian's python3 has ply and git; a checker that crashed checked nothing
	out=$(cd "$tree" && PATH=/usr/bin:$PATH perl "$checkpatch" --strict \
		--terse --ignore FILE_PATH_CHANGES "$p" 2>&1)
	if grep -q Traceback <<<"$out"; then
		echo "FAIL checkpatch $name: a checker crashed (python3-ply, python3-git?)"
		sed 's/^/    /' <<<"$out"
		status=1
	elif grep -qE ': (ERROR|WARNING|CHECK):' <<<"$out"; then
		echo "FAIL checkpatch $name"
		grep -E ': (ERROR|WARNING|CHECK):' <<<"$out" | sed 's/^/    /'
		status=1
	else
		echo "ok   checkpatch $name"
	fi
done

# Header lines (a From: continued on the next line is joined) and trailers.
unsigned=$(awk '
	FNR == 1 { hdr = 1 }
	hdr && /^$/ { hdr = 0 }
	hdr && /^From:/ { line = $0; getline nxt; if (nxt ~ /^[ \t]/) line = line nxt
			  print FILENAME ": " line; next }
	/^(Signed-off-by|From):/ { print FILENAME ": " $0 }
' "$here"/patches/*.patch |
	grep -E '@[^>]*\.(example|invalid|test|localhost)>' |
	sed "s|^$here/||")
if [ -n "$unsigned" ]; then
	echo "FAIL identity: placeholder From:/Signed-off-by: (see kernel/README.md, 'Before sending'):"
	sed 's/^/    /' <<<"$unsigned" | sort -u
	status=1
else
	echo "ok   identity: every From:/Signed-off-by: is a deliverable address"
fi

if [ "$status" = 0 ]; then
	echo "send-check: ready to send"
else
	echo "send-check: NOT ready to send"
fi
exit "$status"
