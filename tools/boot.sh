#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh OUTDIR: what `make run` shows. Boots OUTDIR/bzImage (OUTDIR/Image
# with ARCH=arm64; built by tools/build-kernel.sh) in QEMU with module.sig_enforce=1 and an initramfs
# holding its installed modules; modprobe loads in-tree modules by their
# proofs, a copy of romfs with one flipped byte is refused; then it exits.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(cd "${1:?usage: boot.sh OUTDIR}" && pwd)
. "$top/tools/qemu-test/lib.sh"
prepare_host_tools
[ "${ARCH:-x86_64}" != arm64 ] || prepare_arm64_tools
make_initramfs demo "$out" off
log=$qemu_work/boot-demo.log
echo "boot.sh: booting the kernel in $out in QEMU (TCG, ${ARCH:-x86_64}), console below"
boot_qemu demo "$out" demo "$log" module.sig_enforce=1 quiet
sed -n '/modtest: kernel/,/^modtest: end/p' "$log" | sed 's/.*modtest: kernel/modtest: kernel/'
grep -q '^rejected, as it must be' "$log"
