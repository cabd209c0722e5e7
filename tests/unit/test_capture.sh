#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem --capture as root into a directory that may not be ours: refused;
# what it writes is 0600/0700; what it copies are regular files; what it
# holds does not grow with what it copies; a PARTIAL capture says so when
# read back; and explain reads a capture as it read the tree captured.
# Usage: test_capture.sh path/to/gpumem path/to/demo-desktop   Output: TAP.
set -u

GPUMEM=${1:?usage: test_capture.sh GPUMEM DEMO_TREE}
DEMO=${2:?usage: test_capture.sh GPUMEM DEMO_TREE}
. "$(dirname "$0")/tap.sh"
chmod 755 "$TMP"

skip() {
	N=$((N + 1))
	echo "ok $N - $1 # SKIP $2"
}


# run ARGS...: gpumem with stdout in $TMP/out, stderr in $TMP/err, rc in $rc
run() {
	timeout 60 "$GPUMEM" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

empty_dir() { [ -z "$(ls -A "$1")" ]; }

# ---- DIR must be the caller's --------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	mkdir "$TMP/theirs"
	chown nobody "$TMP/theirs"
	run --root "$DEMO" --capture "$TMP/theirs"
	check "DIR owned by nobody: refused (exit 3)" '[ $rc -eq 3 ]'
	check "DIR owned by nobody: the error says why" \
		'grep -q "not your directory" "$TMP/err"'
	check "DIR owned by nobody: nothing written into it" \
		'empty_dir "$TMP/theirs"'
else
	skip "DIR owned by nobody: refused" "needs root to chown"
fi
mkdir "$TMP/open"
chmod 777 "$TMP/open"
run --root "$DEMO" --capture "$TMP/open"
check "DIR writable by all: refused (exit 3)" \
	'[ $rc -eq 3 ] && empty_dir "$TMP/open"'

# A DIR whose parent is missing is the user's path, not "no data source".
run --root "$DEMO" --capture "$TMP/missing/parent"
check "missing parent of DIR: exit 3, not 2" '[ $rc -eq 3 ]'
check "missing parent of DIR: said so" 'grep -q "its parent must exist" "$TMP/err"'
mkdir -p "$TMP/noproc/sys"
run --root "$TMP/noproc" --capture "$TMP/c-noproc"
check "source without proc: still exit 2" '[ $rc -eq 2 ]'

# ---- what a capture holds is not readable by others ----------------------
run --root "$DEMO" --capture "$TMP/c-modes"
check "capture of the demo tree (exit 0)" '[ $rc -eq 0 ]'
loose=$(find "$TMP/c-modes" \( -type f ! -perm 600 \) -o \
	\( -type d ! -perm 700 \) | head -3)
check "files 0600, directories 0700 (DIR included)" \
	'[ $rc -eq 0 ] && [ -z "$loose" ]'
[ -z "$loose" ] || ls -ld $loose | sed 's/^/# /'

# ---- only regular files are copied ---------------------------------------
R=$TMP/links
mkdir -p "$R/proc/100/fd" "$R/proc/100/fdinfo"
echo app >"$R/proc/100/comm"
: >"$R/proc/100/maps"
echo 'secret: 0123456789' >"$TMP/secret"
ln -s /dmabuf: "$R/proc/100/fd/5"
ln -s "$TMP/secret" "$R/proc/100/fdinfo/5"
ln -s "$TMP/secret" "$R/proc/meminfo"
run --root "$R" --capture "$TMP/c-links"
check "symlinked sources: the capture ends (exit 0)" '[ $rc -eq 0 ]'
check "a symlinked source file is not copied" \
	'[ -d "$TMP/c-links/proc/100" ] && ! grep -rq secret "$TMP/c-links/proc"'
check "the manifest counts what was skipped" \
	'grep -q "not regular files, skipped: 2" "$TMP/c-links/gpumem-capture"'
rm -rf "$R/proc/100/fdinfo/5" "$R/proc/meminfo"
mkfifo "$R/proc/100/fdinfo/5"
run --root "$R" --capture "$TMP/c-fifo"
check "a FIFO source: skipped, the capture ends (exit 0)" \
	'[ $rc -eq 0 ] && [ ! -e "$TMP/c-fifo/proc/100/fdinfo/5" ]'

# ---- memory does not grow with what is copied ----------------------------
# One process with FDS dma-buf fds of 12 MiB fdinfo each (sparse: zeros).
# maxrss of 10 fds and of 1 fd: one source file is held at a time, so the
# difference stays below one file (12 MiB); holding every fd of a process
# before writing it costs 9 more files (108 MiB).
big_tree() {
	mkdir -p "$1/proc/100/fd" "$1/proc/100/fdinfo"
	echo app >"$1/proc/100/comm"
	: >"$1/proc/100/maps"
	i=0
	while [ $i -lt "$2" ]; do
		ln -s anon_inode:dmabuf "$1/proc/100/fd/$((10 + i))"
		printf 'pos:\t0\nino:\t%d\nsize:\t4096\n' $((500 + i)) \
			>"$1/proc/100/fdinfo/$((10 + i))"
		truncate -s 12M "$1/proc/100/fdinfo/$((10 + i))"
		i=$((i + 1))
	done
}

maxrss_kb() {
	python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0
      else -1)' "$GPUMEM" "$@"
}

if command -v python3 >/dev/null && command -v truncate >/dev/null; then
	big_tree "$TMP/big1" 1
	big_tree "$TMP/big10" 10
	one=$(maxrss_kb --root "$TMP/big1" --capture "$TMP/c-big1")
	ten=$(maxrss_kb --root "$TMP/big10" --capture "$TMP/c-big10")
	echo "# maxrss: 1 fd $one KiB, 10 fds $ten KiB"
	check "10 x 12 MiB fdinfo captured (exit 0)" \
		'[ "$one" -gt 0 ] && [ "$ten" -gt 0 ]'
	check "maxrss grows by less than one 12 MiB file for 9 more" \
		'[ "$one" -gt 0 ] && [ "$ten" -gt 0 ] && [ $((ten - one)) -lt 12288 ]'
	rm -rf "$TMP/big1" "$TMP/big10" "$TMP/c-big1" "$TMP/c-big10"
else
	skip "memory bound" "no python3 or truncate"
fi

# ---- explain reads a capture as the tree it came from --------------------
# The demo tree, with what explain also reads: zoneinfo, smaps_rollup of
# processes holding GPU memory and of others, a kernel thread (empty
# smaps_rollup) and a process that holds nothing.
X=$TMP/xtree
cp -a "$DEMO" "$X"
printf 'Node 0, zone   Normal\n  pagesets\n    cpu: 0\n              count: 10\n              high:  100\n    cpu: 1\n              count: 6\n' \
	>"$X/proc/zoneinfo"
rollup() {
	printf '55d0a0000000-7ffc00000000 ---p 00000000 00:00 0 [rollup]\nRss: %d kB\nPss: %d kB\nPss_Anon: %d kB\nPss_File: 300 kB\nPss_Shmem: 100 kB\nSwapPss: 8 kB\n' \
		$(($2 * 2)) "$2" $(($2 / 2)) >"$X/proc/$1/smaps_rollup"
}
for p in $(ls "$X/proc" | grep '^[0-9]*$'); do
	rollup "$p" $((p * 3))
done
mkdir -p "$X/proc/2/fd" "$X/proc/2/fdinfo" "$X/proc/7777/fd" \
	"$X/proc/7777/fdinfo"
echo kthreadd >"$X/proc/2/comm"
: >"$X/proc/2/maps"
: >"$X/proc/2/smaps_rollup"
echo idle >"$X/proc/7777/comm"
: >"$X/proc/7777/maps"
rollup 7777 40000

run --root "$X" --capture "$TMP/c-x"
check "capture of a tree with meminfo, zoneinfo, smaps_rollup (exit 0)" \
	'[ $rc -eq 0 ]'
same_json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for d in (a, b):
    d.pop("time", None)   # when it was read: the one thing that moves
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print("# %s: tree %s\n#   capture %s" % (k, json.dumps(a.get(k))[:300],
                                                    json.dumps(b.get(k))[:300]))
    sys.exit(1)
EOF
}
for args in "" "-p 3388"; do
	# shellcheck disable=SC2086
	run explain --root "$X" --json $args
	cp "$TMP/out" "$TMP/x-tree.json"
	# shellcheck disable=SC2086
	run explain --root "$TMP/c-x" --json $args
	cp "$TMP/out" "$TMP/x-cap.json"
	check "explain --json ${args:+$args }of the capture = of the tree" \
		'[ $rc -eq 0 ] && same_json "$TMP/x-tree.json" "$TMP/x-cap.json"'
done
check "explain summed the processes' PSS (not 0 processes)" \
	'grep -q "Pss_Anon of 13 processes" "$TMP/x-cap.json"'
check "a complete capture: no partial warning" \
	'[ $rc -eq 0 ] && ! grep -q partial "$TMP/err"'

# ---- a PARTIAL capture says so when read back ----------------------------
cp -a "$TMP/c-x" "$TMP/c-part"
rm "$TMP/c-part/gpumem-capture"
printf 'incomplete, stopped: \033[31mred\001 \\ end\nsecond line\n' \
	>"$TMP/c-part/PARTIAL"
for cmd in show explain; do
	run $cmd --root "$TMP/c-part"
	check "$cmd --root PARTIAL capture: exit 0" '[ $rc -eq 0 ]'
	check "$cmd --root PARTIAL capture: stderr says partial, escaped" \
		'grep -qF "partial capture, not the whole system: incomplete, stopped: \\x1b[31mred\\x01 \\\\ end" "$TMP/err"'
	check "$cmd: only the first line, no raw escape byte" \
		'[ -s "$TMP/err" ] && ! grep -q "second line" "$TMP/err" && ! grep -q "$(printf "\033")" "$TMP/err"'
done

# ---- the partial warning on every path -------------------------------------
# A capture read at each sample of an INTERVAL: said once.
run --root "$TMP/c-part" 0.01 3
check "INTERVAL on a PARTIAL capture: said once, not per sample" \
	'[ $rc -eq 0 ] && [ "$(grep -c "is a partial capture" "$TMP/err")" -eq 1 ]'
run top --batch -n 2 -d 0.1 --root "$TMP/c-part"
check "top --batch on a PARTIAL capture: said once" \
	'[ $rc -eq 0 ] && [ "$(grep -c "is a partial capture" "$TMP/err")" -eq 1 ]'
run explain --root "$TMP/c-part" --json
check "explain --json of a PARTIAL capture: not complete, the reason among missing" \
	'[ "$(jq -r ".complete" "$TMP/out")" = false ] && jq -e ".missing | map(startswith(\"a partial capture, not the whole system: incomplete, stopped: \")) | any" "$TMP/out" >/dev/null'
run sources --root "$TMP/c-part"
check "sources: the capture's manifest missing, its reason escaped" \
	'grep -qF "a partial capture, not the whole system: incomplete, stopped: \\x1b[31mred" "$TMP/out" && ! grep -q "$(printf "\033")" "$TMP/out"'
# A series of a complete capture, a partial one, a complete one: the
# warning names the second sample, and only it.
mkdir "$TMP/series"
cp -a "$TMP/c-x" "$TMP/series/1"
cp -a "$TMP/c-part" "$TMP/series/2"
cp -a "$TMP/c-x" "$TMP/series/3"
run --root "$TMP/series" 0.01 --json
check "a series with a PARTIAL capture: said for its sample only" \
	'[ $rc -eq 0 ] && [ "$(wc -l <"$TMP/out")" -eq 3 ] && [ "$(grep -c "partial capture" "$TMP/err")" -eq 1 ] && grep -qF "(sample 2 of the series) is a partial capture" "$TMP/err"'
run --root "$TMP/series" 0.01 --json
py "a series: the JSON of the partial sample says so in its sources" "$TMP/out" '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
st = [[s["state"] for s in x["sources"] if s["name"] == "capture-manifest"][0] for x in d]
assert st == ["found", "missing", "found"], st'
# PARTIAL at the root of a series is no capture's: not said.
printf 'a series has no PARTIAL of its own\n' >"$TMP/series/PARTIAL"
rm -rf "$TMP/series/2"
run --root "$TMP/series" 0.01 --json
check "a series whose captures are whole: nothing said, whatever its own dir holds" \
	'[ $rc -eq 0 ] && ! grep -q partial "$TMP/err"'
# The live system is no capture.
run --json
check "the live system: no partial warning" '! grep -q "partial capture" "$TMP/err"'
run --root / --json
check "--root /: the live system, no partial warning" '! grep -q "partial capture" "$TMP/err"'

echo "1..$N"
[ "$FAILED" -eq 0 ]
