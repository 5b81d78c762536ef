#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what building, booting and testing the kernel needs on a fresh
# Debian 12 machine: the host's packages (the 6.12 toolchain, QEMU, test
# tools) and the trixie build root with Debian's 7.3 toolchain
# (tools/buildroot.sh). Idempotent: when everything is present it only checks.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
packages=(linux-source-6.12 rustc-web rust-web-src rust-web-clippy clang lld llvm
	libclang-dev flex bison bc libelf-dev libssl-dev cpio kmod busybox-static
	qemu-system-x86 qemu-system-arm xz-utils zstd python3 python3-docutils openssl procps mmdebstrap
	gawk ovmf sbsigntool e2fsprogs curl diffoscope-minimal)
# The bindgen the kernel's Rust support is built with (crates.io).
bindgen_version=0.73.0

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# virt-fw-vars, for the Secure Boot boots: bookworm has it only in
# bookworm-backports.
# shellcheck source=tools/qemu-test/secureboot.sh
. "$top/tools/qemu-test/secureboot.sh"
sb_install_virt_firmware || { echo "deps: cannot install python3-virt-firmware" >&2; exit 1; }

bindgen=$(command -v bindgen || true)
if [ -z "$bindgen" ] || ! "$bindgen" --version | grep -q " $bindgen_version\$"; then
	echo "deps: installing bindgen-cli $bindgen_version"
	cargo install --locked --quiet bindgen-cli --version "$bindgen_version"
fi
"$top/tools/buildroot.sh" create
echo "deps: all present"
