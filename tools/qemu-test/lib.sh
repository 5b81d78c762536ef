# SPDX-License-Identifier: GPL-2.0
# Shared by tools/qemu-suite.sh and tools/boot.sh: the test initramfs and a
# QEMU boot. Source it with $top set to the project root.

qemu_work=$top/build/qemu
mkdir -p "$qemu_work"

# prepare_host_tools: modtest (static) and the module-hashes tool.
prepare_host_tools() {
	gcc -static -O2 -Wall -o "$qemu_work/modtest" "$top/tools/qemu-test/modtest.c" &&
		cargo build -q --release --manifest-path "$top/tools/module-hashes/Cargo.toml" &&
		cp "$top/tools/module-hashes/target/release/module-hashes" "$qemu_work/module-hashes"
}

# make_initramfs NAME OUTDIR MODES [make-cases options]: writes
# $qemu_work/initramfs-NAME.cpio with busybox, modtest, the installed
# modules of OUTDIR, and the test modules and case files for MODES.
make_initramfs() {
	local name=$1 out=$2 modes=$3 stage=$qemu_work/stage-$1 moddir
	shift 3
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,proc,sys,dev,lib/modules}
	cp "$(command -v busybox || echo /bin/busybox)" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	cp "$qemu_work/modtest" "$stage/modtest"
	install -m 755 "$top/tools/qemu-test/init" "$stage/init"
	cp "$top/tools/qemu-test/demo.sh" "$stage/demo.sh"
	cp -a "$out"/modules/lib/modules/* "$stage/lib/modules/"
	moddir=$(echo "$stage"/lib/modules/*)
	local sealed
	sealed=$("$qemu_work/module-hashes" root "$out/vmlinux" |
		sed -n 's/^levels: //p;s/^root: //p' | paste -sd:)
	python3 "$top/tools/qemu-test/make-cases.py" --moddir "$moddir" \
		--tool "$qemu_work/module-hashes" --out "$stage" --modes "$modes" \
		--sealed-root "$sealed" "$@" || return 1
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
		>"$qemu_work/initramfs-$name.cpio"
}

# boot_qemu NAME OUTDIR MODE LOG [CMDLINE...]: boots OUTDIR/bzImage (or
# $kernel_image) with the initramfs NAME; modtest runs the case file of
# MODE. TCG, no KVM.
boot_qemu() {
	local name=$1 out=$2 mode=$3 log=$4
	shift 4
	timeout 300 qemu-system-x86_64 -M pc -cpu max -smp 2 -m 512 -nographic \
		-no-reboot -kernel "${kernel_image:-$out/bzImage}" -initrd "$qemu_work/initramfs-$name.cpio" \
		-append "console=ttyS0 panic=-1 modtest.mode=$mode $*" </dev/null \
		2>&1 | tr -d '\r' >"$log"
}
