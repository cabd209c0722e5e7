# SPDX-License-Identifier: MIT
# Host-side helpers of the gpumem VM rig, sourced by tests/vm/run.sh and
# bench/vm/run.sh (bash).  Needs: gcc, libdrm-dev, busybox-static, cpio,
# gzip, qemu-system-x86.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_ROOT=$(cd "$VM_DIR/../.." && pwd)
VM_CFLAGS=(-static -O2 -Wall -Wextra -std=c11 -I/usr/include/libdrm)

vm_note() { echo "vm: $*" >&2; }
vm_die() { echo "vm: error: $*" >&2; exit 1; }

# vm_kernel [--unpatched]: path of the bzImage from kernel/build.sh.
vm_kernel() {
	local img
	[ -f "$VM_ROOT/kernel/build.sh" ] || vm_die "kernel/build.sh is missing"
	img=$(bash "$VM_ROOT/kernel/build.sh" "$@" | tail -n 1) ||
		vm_die "kernel/build.sh $* failed"
	[ -f "$img" ] || vm_die "kernel/build.sh printed '$img', not a file"
	echo "$img"
}

# vm_cc OUT SRC...: one static VM program, linked with vmlib.c.
vm_cc() {
	local out=$1
	shift
	cc "${VM_CFLAGS[@]}" -I"$VM_DIR" -o "$out" "$@" "$VM_DIR/vmlib.c" -lpthread ||
		vm_die "compiling $out failed"
}

# vm_gpumemd_bins GPUMEMD DIR: gpumemd has no static build (Debian's
# libmicrohttpd needs a shared gnutls): the dynamic one goes into DIR with
# its libraries and the loader, which the VM runs it through
# (/bin/ld-linux-x86-64.so.2 --library-path /bin /bin/gpumemd); prints
# the files, for vm_initrd.
vm_gpumemd_bins() {
	local exe=$1 dir=$2 lib
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	install -m 755 "$exe" "$dir/gpumemd" || return 1
	for lib in $(ldd "$exe" | awk '$2 == "=>" { print $3 }
		/^\t\/lib/ { print $1 }'); do
		install -m 755 "$(readlink -f "$lib")" "$dir/${lib##*/}" || return 1
	done
	echo "$dir"/*
}

# vm_patches: "0001,0002,..." for each kernel/patches/NNNN-*.patch but 0000.
vm_patches() {
	local p n list=
	for p in "$VM_ROOT"/kernel/patches/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$p" ] || continue
		n=$(basename "$p")
		n=${n%%-*}
		[ "$n" = 0000 ] || list=${list:+$list,}$n
	done
	echo "$list"
}

# vm_initrd OUT STAGE BINS TESTS [DATA]: gzip'd newc cpio of busybox, /init
# (tests/vm/init.sh), the static binaries BINS (space-separated paths, put in
# /bin), the test scripts TESTS (put in /tests) and a copy of the directory
# DATA as /data.
vm_initrd() {
	local out=$1 stage=$2 bins=$3 tests=$4 data=${5:-} f
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,tests}
	cp /bin/busybox "$stage/bin/busybox" || vm_die "busybox-static missing"
	ln -s busybox "$stage/bin/sh"
	install -m 755 "$VM_DIR/init.sh" "$stage/init"
	for f in $bins; do
		[ -x "$f" ] || vm_die "extra binary '$f' is not an executable file"
		cp "$f" "$stage/bin/"
	done
	for f in $tests; do
		install -m 755 "$f" "$stage/tests/"
	done
	if [ -n "$data" ]; then
		cp -a "$data" "$stage/data" || vm_die "copying $data failed"
	fi
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out" ||
		vm_die "building $out failed"
}

# vm_bench_boots OUT BOOTS TIMEOUT SED: boot $kernel[unpatched] and
# $kernel[patched] (an associative array of the caller) BOOTS times each,
# alternating, so that drift of the shared host does not bias one kernel,
# with OUT/initrd.gz; each console's lines through sed -n SED (a script in
# which $k stands for the kernel's name) go to OUT/results.txt.  A boot
# whose console has a "not ok" line stops it.
vm_bench_boots() {
	local out=$1 boots=$2 limit=$3 script=$4 boot k log bad
	: > "$out/results.txt"
	echo "host load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	for boot in $(seq "$boots"); do
		for k in unpatched patched; do
			log="$out/console-$k-$boot.log"
			vm_note "boot $boot: $k kernel"
			vm_boot "${kernel[$k]}" "$out/initrd.gz" "$log" "$limit" "" ||
				vm_die "$k VM failed (see $log)"
			grep -q GPUMEM-SUITE-END "$log" ||
				vm_die "$k VM did not finish (see $log)"
			# A boot whose rig said "not ok" (fewer CPUs than given, a
			# script that failed) measured something else.
			bad=$(grep -m1 '^GPUMEM: not ok' "$log" | tr -d '\r') || true
			[ -z "$bad" ] || vm_die "$k VM: ${bad#GPUMEM: } (see $log)"
			sed -n "${script//\$k/$k}" "$log" >> "$out/results.txt"
		done
	done
	echo "host load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# vm_boot KERNEL INITRD LOG TIMEOUT APPEND [interactive]: run QEMU (VM_SMP
# vCPUs, default 2; VM_GPUS virtio-gpu devices, default 1; VM_QEMU_ARGS
# more options); the serial console goes to LOG.  Returns QEMU's (or
# timeout's, 124) status.
vm_boot() {
	local kernel=$1 initrd=$2 log=$3 limit=$4 append=$5 interactive=${6:-}
	local qemu=(qemu-system-x86_64 -machine q35 -m 1024 -smp "${VM_SMP:-2}" -nographic
		-no-reboot -kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 quiet loglevel=4 panic=-1 no_timer_check kunit.filter_glob=drm_gem_totals gpumem.cpus=${VM_SMP:-2} $append"
		-display none)
	local i
	for ((i = 0; i < ${VM_GPUS:-1}; i++)); do
		qemu+=(-device virtio-gpu-pci)
	done
	# shellcheck disable=SC2206
	qemu+=(${VM_QEMU_ARGS:-})
	if [ -n "$interactive" ]; then
		"${qemu[@]}" 2>&1 | tee "$log"
		return "${PIPESTATUS[0]}"
	fi
	timeout --kill-after=5 "$limit" "${qemu[@]}" < /dev/null > "$log" 2>&1
}
