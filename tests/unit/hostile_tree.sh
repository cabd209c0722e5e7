# SPDX-License-Identifier: MIT
# A --root tree of names anyone can set (comm by prctl(PR_SET_NAME),
# dma-buf names by DMA_BUF_SET_NAME) or plant (drivers, regions): made by
# the tests, its bytes are awkward in git.  Sourced; then
#   hostile_tree ROOT TESTS_DIR
# Processes 101-108: CSI, OSC 52, a newline, an invalid byte, a cut
# sequence, multi-byte, a backslash, plain; 108 also holds a DRM client
# whose driver name is an escape.

# hostile_proc PID COMM NAME: a process holding one dma-buf of its own;
# COMM and NAME are printf formats, COMM written as /proc/PID/comm is (a
# newline at the end), NAME as the dma-buf's name.
hostile_proc() {
	mkdir -p "$R/proc/$1/fd" "$R/proc/$1/fdinfo"
	printf "$2\\n" >"$R/proc/$1/comm"
	: >"$R/proc/$1/maps"
	ln -s /dmabuf: "$R/proc/$1/fd/3"
	printf "pos:\t0\nflags:\t02\nmnt_id:\t16\nino:\t%s\nsize:\t4096\ncount:\t1\nexp_name:\tsystem\nname:\t$3\n" \
		"$1" >"$R/proc/$1/fdinfo/3"
	printf 'Rss:\t4 kB\nPss:\t4 kB\nPss_Anon:\t4 kB\nPss_File:\t0 kB\nPss_Shmem:\t0 kB\nSwapPss:\t0 kB\n' \
		>"$R/proc/$1/smaps_rollup"
}

hostile_tree() {
	R=$1
	hostile_proc 101 '\033[2J' 'csi'
	hostile_proc 102 '\033]52;c;aGk=\007' 'osc52'
	hostile_proc 103 'two\nlines' 'newline'
	hostile_proc 104 'x\377y' '\377bad'
	hostile_proc 105 'cut\303' 'cut\303'
	hostile_proc 106 'ééééééé1' 'ok'
	hostile_proc 107 'back\\x41' 'back\\x41'
	hostile_proc 108 'plain' 'plain'

	# A client whose driver's name (which the device then takes) is a terminal
	# escape, and whose region's name is not UTF-8.
	mkdir -p "$R/sys/devices/pci0000:00/0000:00:02.0" "$R/sys/class/drm/card1" \
		"$R/proc/108/fd" "$R/proc/108/fdinfo"
	printf 'DRIVER=i915\nPCI_ID=8086:56A0\nPCI_SLOT_NAME=0000:00:02.0\n' \
		>"$R/sys/devices/pci0000:00/0000:00:02.0/uevent"
	ln -s ../../../devices/pci0000:00/0000:00:02.0 "$R/sys/class/drm/card1/device"
	ln -s /dev/dri/card1 "$R/proc/108/fd/5"
	printf 'pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1071\ndrm-driver:\tev\033[31mil\ndrm-client-id:\t7\ndrm-total-lo\377cal0:\t4096\n' \
		>"$R/proc/108/fdinfo/5"
	cp "$2/explain/meminfo/6.12" "$R/proc/meminfo" 2>/dev/null ||
		printf 'MemTotal:\t1000000 kB\nMemFree:\t1000 kB\n' >"$R/proc/meminfo"
}
