#!/usr/bin/env bash
# Installs the Debian 12 packages gpumem builds and tests with; quick when
# they are all present.  README.md says why each is needed.
set -euo pipefail

pkgs=(
	# build
	build-essential meson ninja-build pkg-config
	libjansson-dev libcmocka-dev libpci-dev pci.ids
	# gpumem top; its tests drive it in tmux
	libncurses-dev tmux
	# gpumem plot draws PNG and SVG
	libcairo2-dev
	# BPF collector: libbpf (static for the VM), clang BPF target, skeletons
	libbpf-dev libelf-dev zlib1g-dev clang-14 llvm-14 bpftool
	# fuzzing and sanitizers
	libclang-rt-14-dev
	# kernel build (kernel/build.sh)
	linux-source-6.12 flex bison bc libssl-dev dwarves cpio xz-utils kmod
	# QEMU virtio-gpu rig (tests/vm)
	qemu-system-x86 busybox-static libdrm-dev
	# gpumemd: /metrics (libmicrohttpd); its tests scrape with Prometheus
	libmicrohttpd-dev prometheus
	# tests read JSON and render the man page
	python3 jq man-db groff-base
	# the Debian packages (debian/, tests/install/deb.sh); systemd rates
	# the unit and runs it (PID 1 of the test's namespaces)
	debhelper lintian bash-completion systemd
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "scripts/deps.sh: missing packages: ${missing[*]}; run as root" >&2
	exit 1
fi
echo "scripts/deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
