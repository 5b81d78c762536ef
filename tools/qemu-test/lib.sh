# SPDX-License-Identifier: GPL-2.0
# Shared by tools/qemu-suite.sh and tools/boot.sh: the test initramfs and a
# QEMU boot. Source it with $top set to the project root. ARCH=arm64 in the
# environment of make_initramfs and boot_qemu selects arm64 (modtest and
# busybox from prepare_arm64_tools, QEMU's virt machine).

qemu_work=$top/build/qemu
mkdir -p "$qemu_work"

# prepare_host_tools: modtest (static) and the module-hashes tool.
prepare_host_tools() {
	gcc -static -O2 -Wall -o "$qemu_work/modtest" "$top/tools/qemu-test/modtest.c" &&
		cargo build -q --release --manifest-path "$top/tools/module-hashes/Cargo.toml" &&
		cp "$top/tools/module-hashes/target/release/module-hashes" "$qemu_work/module-hashes"
}

# prepare_arm64_tools: modtest cross-compiled with the build root's
# aarch64-linux-gnu-gcc, and Debian's arm64 busybox-static (trixie),
# fetched once into $qemu_work/arm64/.
prepare_arm64_tools() {
	local dir=$qemu_work/arm64
	mkdir -p "$dir"
	rm -f "$dir/modtest"
	"$top/tools/buildroot.sh" run aarch64-linux-gnu-gcc -static -O2 -Wall \
		-o "$dir/modtest" "$top/tools/qemu-test/modtest.c" || return 1
	[ ! -x "$dir/busybox" ] || return 0
	# shellcheck source=tools/debian-archive.sh
	. "$top/tools/debian-archive.sh"
	private_apt "$dir/apt" trixie arm64 &&
		(cd "$dir/apt" && rm -f ./*.deb && timeout 300 apt-get "${apt_opts[@]}" -qq download busybox-static) &&
		dpkg-deb -x "$dir"/apt/busybox-static_*.deb "$dir/deb" &&
		[ "$(od -An -tx1 -j18 -N2 "$dir/deb/usr/bin/busybox")" = " b7 00" ] && # EM_AARCH64
		cp "$dir/deb/usr/bin/busybox" "$dir/busybox"
}

# make_initramfs NAME OUTDIR MODES [make-cases options]: writes
# $qemu_work/initramfs-NAME.cpio with busybox, modtest, the installed
# modules of OUTDIR, and the test modules and case files for MODES.
make_initramfs() {
	local name=$1 out=$2 modes=$3 stage=$qemu_work/stage-$1 moddir
	shift 3
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,proc,sys,dev,lib/modules}
	if [ "${ARCH:-x86_64}" = arm64 ]; then
		cp "$qemu_work/arm64/busybox" "$stage/bin/busybox" &&
			cp "$qemu_work/arm64/modtest" "$stage/modtest" || return 1
	else
		cp "$(command -v busybox || echo /bin/busybox)" "$stage/bin/busybox" &&
			cp "$qemu_work/modtest" "$stage/modtest" || return 1
	fi
	ln -s busybox "$stage/bin/sh"
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
# $kernel_image; OUTDIR/Image on arm64) with the initramfs NAME; modtest
# runs the case file of MODE. TCG, no KVM. On arm64, QEMU's virt machine
# with -cpu max, whose pointer authentication is emulated with QEMU's own
# algorithm (pauth-impdef), much faster under TCG than the architected one.
boot_qemu() {
	local name=$1 out=$2 mode=$3 log=$4
	shift 4
	local machine=(qemu-system-x86_64 -M pc -cpu max) image=${kernel_image:-$out/bzImage}
	local console=ttyS0 limit=300
	if [ "${ARCH:-x86_64}" = arm64 ]; then
		machine=(qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on)
		image=${kernel_image:-$out/Image} console=ttyAMA0 limit=600
	fi
	timeout "$limit" "${machine[@]}" -smp 2 -m 512 -nographic \
		-no-reboot -kernel "$image" -initrd "$qemu_work/initramfs-$name.cpio" \
		-append "console=$console panic=-1 modtest.mode=$mode $*" </dev/null \
		2>&1 | tr -d '\r' >"$log"
}
