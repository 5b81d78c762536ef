#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the Debian guest that install.sh made in RUNDIR under QEMU (TCG):
# direct kernel boot of the installed vmlinuz and Debian's initrd, the root
# on virtio-blk (or AHCI), an e1000 NIC and a virtio RNG for udev to find,
# three serial ports: the console (ttyS0), the checks' TAP (ttyS1) and the
# journal the guest writes at the end (ttyS2). The guest runs its checks
# and powers off.
#
#   boot.sh RUNDIR NAME [KERNEL ARGUMENTS...]
#
# Each boot starts from the installed disk (a copy of RUNDIR/disk.img,
# NAME.img, kept for inspection) and leaves RUNDIR/NAME.console.log,
# NAME.tap and NAME.journal.log. The command line is
#   root=/dev/vda rw console=ttyS0 module.sig_enforce=1 panic=-1 ARGUMENTS
# Environment: DEBIAN_DISK=virtio (default) or ahci (root=/dev/sda),
# DEBIAN_NIC=e1000 (default; any QEMU NIC model, e.g. virtio-net-pci),
# DEBIAN_TIMEOUT seconds (default 900), DEBIAN_ACCEL=tcg (default) or kvm
# (the benchmark's, where /dev/kvm works), DEBIAN_SHELL=1 for an interactive
# boot on this terminal without the checks: systemd's debug shell (a root
# shell, no login) on the serial console; Ctrl-A x ends QEMU.
# The exit status is QEMU's, 124 on timeout.
set -euo pipefail

die() { echo "debian-boot: error: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 RUNDIR NAME [KERNEL ARGUMENTS...]"
run=$1 name=$2
shift 2
for f in vmlinuz initrd.img disk.img; do
	[ -f "$run/$f" ] || die "$run/$f missing: run tools/debian/install.sh first"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"

overlay=$run/$name.img
rm -f "$overlay"
cp --sparse=always "$run/disk.img" "$overlay"

# shellcheck disable=SC2054 # QEMU's options have commas
case ${DEBIAN_DISK:-virtio} in
virtio)
	rootdev=/dev/vda
	disk=(-drive "file=$overlay,format=raw,if=virtio,cache=unsafe") ;;
ahci)
	rootdev=/dev/sda
	disk=(-device ahci,id=ahci -drive "file=$overlay,format=raw,if=none,id=root,cache=unsafe"
		-device ide-hd,drive=root,bus=ahci.0) ;;
*) die "DEBIAN_DISK is virtio or ahci" ;;
esac

# shellcheck disable=SC2054
qemu=(qemu-system-x86_64 -M pc -accel "${DEBIAN_ACCEL:-tcg}" -cpu max -smp 2 -m 1024 -no-reboot -vga none
	-kernel "$run/vmlinuz" -initrd "$run/initrd.img"
	"${disk[@]}"
	# A NIC with no way out (restrict=on): udev only needs the device.
	-netdev user,id=net0,restrict=on -device "${DEBIAN_NIC:-e1000},netdev=net0"
	-device virtio-rng-pci)
append="root=$rootdev rw console=ttyS0 module.sig_enforce=1 panic=-1"

if [ "${DEBIAN_SHELL:-0}" = 1 ]; then
	exec "${qemu[@]}" -nographic -serial mon:stdio \
		-append "$append systemd.mask=module-checks.service systemd.mask=serial-getty@ttyS0.service systemd.debug_shell=ttyS0 $*"
fi

rm -f "$run/$name".{console.log,tap,journal.log}
rc=0
timeout "${DEBIAN_TIMEOUT:-900}" "${qemu[@]}" -display none -monitor none \
	-serial "file:$run/$name.console.log" -serial "file:$run/$name.tap" \
	-serial "file:$run/$name.journal.log" \
	-append "$append $*" </dev/null || rc=$?
# The guest's tty adds carriage returns.
sed -i 's/\r$//' "$run/$name".{console.log,tap,journal.log} 2>/dev/null || true
exit $rc
