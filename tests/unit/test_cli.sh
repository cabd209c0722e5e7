#!/bin/sh
# SPDX-License-Identifier: MIT
# The gpumem command: exit codes, --help, --json on a fake /proc + /sys.
# Usage: test_cli.sh path/to/gpumem        Output: TAP.
set -u

GPUMEM=${1:?usage: test_cli.sh path/to/gpumem}
. "$(dirname "$0")/tap.sh"

# expect_exit CODE NAME ARGS...: runs gpumem, checks its exit code.
expect_exit() {
	want=$1
	name=$2
	shift 2
	"$GPUMEM" "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name (exit $want)"
	else
		echo "# got exit $got, want $want"
		not_ok "$name (exit $want)"
	fi
}

# A fake tree: an i915 render node held by two processes, one dma-buf.
R=$TMP/root
mkdir -p "$R/proc/100/fd" "$R/proc/100/fdinfo" "$R/proc/200/fd" \
	"$R/proc/200/fdinfo" "$R/proc/300/fd" "$R/proc/300/fdinfo" \
	"$R/sys/devices/pci0000:00/0000:00:02.0" "$R/sys/class/drm/card1" \
	"$R/sys/class/drm/renderD129"
printf 'DRIVER=i915\nPCI_ID=8086:56A0\nPCI_SLOT_NAME=0000:00:02.0\n' \
	>"$R/sys/devices/pci0000:00/0000:00:02.0/uevent"
ln -s ../../../devices/pci0000:00/0000:00:02.0 "$R/sys/class/drm/card1/device"
ln -s ../../../devices/pci0000:00/0000:00:02.0 \
	"$R/sys/class/drm/renderD129/device"
FDINFO='pos:	0
flags:	02100002
mnt_id:	26
ino:	1071
drm-driver:	i915
drm-client-id:	7
drm-pdev:	0000:00:02.0
drm-total-local0:	1001
drm-resident-local0:	1001
drm-engine-render:	5 ns
'
for p in 100 200; do
	echo app$p >"$R/proc/$p/comm"
	: >"$R/proc/$p/maps"
	ln -s /dev/dri/renderD129 "$R/proc/$p/fd/5"
	printf '%s' "$FDINFO" >"$R/proc/$p/fdinfo/5"
done
echo idle >"$R/proc/300/comm"
: >"$R/proc/300/maps"
ln -s /dmabuf: "$R/proc/100/fd/6"
printf 'pos:\t0\nflags:\t02\nmnt_id:\t16\nino:\t55\nsize:\t8192\ncount:\t1\nexp_name:\tsystem\n' \
	>"$R/proc/100/fdinfo/6"
echo '7f1c2a000000-7f1c2a002000 rw-s 00000000 00:08 55                         /dmabuf:' \
	>"$R/proc/200/maps"
mkdir -p "$TMP/noproc/sys"

expect_exit 0 "--help" --help
for opt in --pid -p --json -j --bytes -b --root -r --help -h --version -V; do
	if grep -q -e "$opt\\b" "$TMP/out" 2>/dev/null; then
		ok "--help mentions $opt"
	else
		not_ok "--help mentions $opt"
	fi
done
expect_exit 0 "-h" -h
expect_exit 0 "--version" --version
if grep -q '^gpumem [0-9]' "$TMP/out"; then ok "--version prints it"; else
	not_ok "--version prints it"; fi

# Output that cannot be written is a failure, even for --help.
"$GPUMEM" -h >/dev/full 2>"$TMP/err"
if [ $? -eq 3 ] && grep -q "writing output" "$TMP/err"; then
	ok "-h > /dev/full exits 3 and says why"
else
	not_ok "-h > /dev/full exits 3 and says why"
fi

# bpf unload --pin-dir on an ordinary directory removes nothing.
mkdir -p "$TMP/pins"
echo keep >"$TMP/pins/gpu_mem_total_map"
"$GPUMEM" bpf unload --pin-dir "$TMP/pins" >/dev/null 2>"$TMP/err"
if [ $? -ne 0 ] && [ -f "$TMP/pins/gpu_mem_total_map" ] &&
	grep -q "not a directory on a bpf" "$TMP/err"; then
	ok "bpf unload leaves a non-bpffs directory alone"
else
	not_ok "bpf unload leaves a non-bpffs directory alone"
fi

expect_exit 1 "unknown long option" --bogus
expect_exit 1 "unknown short option" -x
expect_exit 1 "missing argument to -p" -p
expect_exit 1 "missing argument to --root" --root
expect_exit 1 "non-numeric PID" -p abc
expect_exit 1 "a command after the options" --root "$R" sources
if grep -q "a command goes before the options.*'sources'" "$TMP/err"; then
	ok "... says the command goes first"
else
	not_ok "... says the command goes first"
fi
expect_exit 1 "PID 0" -p 0
expect_exit 1 "negative PID" -p -5
expect_exit 1 "PID with junk" -p 12x
expect_exit 1 "PID too large" -p 99999999999999999999
expect_exit 1 "unexpected argument" extra
expect_exit 1 "empty --root" --root ""
expect_exit 1 "no such PID" --root "$R" -p 999
expect_exit 2 "--root without proc" --root "$TMP/noproc"
expect_exit 2 "--root that does not exist" --root "$TMP/nonexistent"

expect_exit 0 "table on a fake tree" --root "$R"
expect_exit 0 "exact bytes on a fake tree" --root "$R" --bytes
if grep -q '1001' "$TMP/out" && grep -q '8192' "$TMP/out"; then
	ok "--bytes prints exact byte figures"
else
	not_ok "--bytes prints exact byte figures"
fi

expect_exit 0 "--json on a fake tree" --root "$R" --json
cp "$TMP/out" "$TMP/json"
if python3 -m json.tool "$TMP/json" >/dev/null 2>&1; then
	ok "--json output parses"
else
	not_ok "--json output parses"
fi

# jq_is NAME EXPR WANT: a value of the fake tree's JSON document.
jq_is() {
	if ! command -v jq >/dev/null; then
		N=$((N + 1))
		echo "ok $N - $1 # SKIP jq not installed"
		return
	fi
	got=$(jq -c "$2" "$TMP/json" 2>&1)
	if [ "$got" = "$3" ]; then
		ok "$1"
	else
		echo "# $2: got $got, want $3"
		not_ok "$1"
	fi
}

jq_is "json top-level keys" 'keys_unsorted' \
	'["schema_version","gpumem_version","kernel_release","time","devices","processes","clients","dmabufs","dmabuf","unreadable_processes","scan","tracepoint","sources"]'
jq_is "json schema_version" '.schema_version' '2'
jq_is "json device keys" '.devices[0] | keys_unsorted' \
	'["card","minor","render_minor","driver","pdev","pci_id","total_bytes","total_origin","clients_bytes","clients_shared_bytes","clients","unknown_clients","vram_used_bytes","vram_total_bytes","gtt_used_bytes","gtt_total_bytes","vram_reserved_bytes","name","capacity","readings","readings_disagree","total_partial","total_upper_bound","shares_exact","shared_pool_bytes","unattributed_bytes"]'
jq_is "json device figures" \
	'.devices[0] | [.card, .render_minor, .driver, .pci_id, .total_bytes, .total_origin]' \
	'["card1",129,"i915","8086:56a0",1001,"derived"]'
jq_is "json one client, two holders" \
	'[(.clients | length), .clients[0].bytes, .clients[0].holders, .clients[0].client_id, .clients[0].device]' \
	'[1,1001,2,7,"card1"]'
jq_is "json client region" '.clients[0].regions.local0' \
	'{"total_bytes":1001,"resident_bytes":1001,"legacy":false,"kind":"vram"}'
jq_is "json process keys" '.processes[0] | keys_unsorted' \
	'["pid","comm","gpu_total_bytes","gpu_rss_exact","gpu_pss_bytes","gpu_pss_upper_bytes","dmabuf_rss_bytes","dmabuf_pss_bytes","clients","unknown_clients","dmabufs","tracepoint_bytes","sources_disagree","gpu_devices","owner","cgroup","dmem","uid","ppid"]'
jq_is "json PSS adds up" '[.processes[].gpu_pss_bytes] | add' '1001'
jq_is "json dma-buf PSS adds up" '[.processes[].dmabuf_pss_bytes] | add' \
	'8192'
jq_is "json dmabuf" '.dmabufs[0] | [.ino, .size_bytes, .holders, .mapped, .fd_held]' \
	'[55,8192,2,true,true]'
jq_is "json dmabuf totals" '.dmabuf' \
	'{"total_bytes":8192,"gpu_overlap_bytes":0,"userspace_bytes":8192,"kernel_bytes":null,"buffers":1,"sysfs":false,"kernel_bytes_unknown":"no /sys/kernel/dmabuf/buffers","total_partial":false}'
# A client with engine keys only (msm before memory stats): unknown, not 0.
R2=$TMP/root2
cp -a "$R" "$R2"
ln -s /dev/dri/renderD129 "$R2/proc/300/fd/4"
printf 'pos:\t0\nflags:\t02\nmnt_id:\t26\nino:\t1072\ndrm-driver:\ti915\ndrm-client-id:\t9\ndrm-engine-render:\t7 ns\n' \
	>"$R2/proc/300/fdinfo/4"
"$GPUMEM" --root "$R2" --json >"$TMP/json2" 2>/dev/null
"$GPUMEM" --root "$R2" >"$TMP/table2" 2>/dev/null
got=$(jq -c '.processes[] | select(.pid == 300) | [.gpu_total_bytes, .gpu_pss_bytes, .gpu_pss_upper_bytes, .unknown_clients, .gpu_devices[0].rss_bytes]' "$TMP/json2" 2>&1)
if [ "$got" = "[null,null,null,1,null]" ] &&
	grep -Eq '^ +300 idle +unknown +unknown ' "$TMP/table2"; then
	ok "memory a client does not report is unknown (null), never 0"
else
	echo "# got $got; table: $(grep ' 300 ' "$TMP/table2")"
	not_ok "memory a client does not report is unknown (null), never 0"
fi
jq_is "json scan keys" '.scan | keys_unsorted' \
	'["listed","processes","vanished","malformed_lines","unresolved_fds","refreshed","discovery"]'
jq_is "json: a --root tree is walked" '.scan.discovery' '"proc"'
expect_exit 1 "--discovery takes bpf or proc only" --root "$R" --discovery=kernel
expect_exit 0 "--discovery=bpf on a --root tree: walked, sample complete" \
	--root "$R" --discovery=bpf -j
cp "$TMP/out" "$TMP/json"
jq_is "--discovery=bpf on a --root tree says proc" '.scan.discovery' '"proc"'

expect_exit 0 "-p PID on a fake tree" --root "$R" -p 200 -j
cp "$TMP/out" "$TMP/json"
# 1001 bytes over 2 holders: 501 to the first holder, 500 to the second;
# which one pid 200 is depends on readdir order.
jq_is "-p keeps one process, system-wide shares" \
	'[(.processes | length), .processes[0].pid, (.processes[0].gpu_pss_bytes | . == 500 or . == 501), .processes[0].gpu_total_bytes, .processes[0].dmabuf_pss_bytes]' \
	'[1,200,true,1001,4096]'

expect_exit 0 "sources --root on a fake tree" sources --root "$R"
if grep -q '^found   process fds (/proc) *3 processes read' "$TMP/out" &&
	! grep -q 'tracepoint\|bpf (loading)' "$TMP/out"; then
	ok "sources --root: the tree's sources, none of the live system's"
else
	cat "$TMP/out" | sed 's/^/# /'
	not_ok "sources --root: the tree's sources, none of the live system's"
fi

expect_exit 0 "the live system" -b
expect_exit 0 "the live system, --json" --json
if python3 -m json.tool "$TMP/out" >/dev/null 2>&1; then
	ok "live --json parses"
else
	not_ok "live --json parses"
fi

echo "1..$N"
[ "$FAILED" -eq 0 ]
