#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot-smoke.sh OUTDIR
#
# A minimal end-to-end check of a kernel built by tools/build-kernel.sh with
# CONFIG_MODULE_HASHES: boots OUTDIR/bzImage in QEMU (TCG) with a busybox
# initramfs holding OUTDIR/modules, twice:
#
#   enforce     module.sig_enforce=1: the root is printed at boot; modprobe of
#               in-tree modules works (omfs pulls in crc-itu-t; Rust samples);
#               a module with one flipped byte and a module without its proof
#               are rejected with EKEYREJECTED; with CONFIG_MODULE_SIG, the
#               module without proof signed by scripts/sign-file loads; the
#               kernel is not tainted.
#   permissive  no enforcement: a malformed trailer is still refused
#               (EBADMSG); the module with a flipped byte loads and taints
#               the kernel (TAINT_UNSIGNED_MODULE, 'E').
#
# Both boots must show no oops, WARNING, BUG or panic. Prints one line per
# check and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$(cd "$1" && pwd)
work=$top/build/boot-smoke
busybox=${BUSYBOX:-/bin/busybox}
timeout_s=${BOOT_TIMEOUT:-180}

[ -f "$out/bzImage" ] || { echo "$out/bzImage missing" >&2; exit 1; }
release=$(ls "$out/modules/lib/modules")
moddir=$out/modules/lib/modules/$release
file "$busybox" | grep -q "statically linked" || { echo "$busybox is not static (busybox-static)" >&2; exit 1; }

# The module to tamper with: crc7, uncompressed.
crc7=$(find "$moddir" -name 'crc7.ko*' | head -1)
[ -n "$crc7" ] || { echo "crc7 module not installed" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/root"/{bin,dev,proc,sys,tmp,test,lib/modules}
cp "$busybox" "$work/root/bin/busybox"
cp -a "$moddir" "$work/root/lib/modules/"
case $crc7 in
*.xz) xz -dc "$crc7" > "$work/good.ko" ;;
*.zst) zstd -qdc "$crc7" > "$work/good.ko" ;;
*.gz) gzip -dc "$crc7" > "$work/good.ko" ;;
*) cp "$crc7" "$work/good.ko" ;;
esac
size=$(stat -c %s "$work/good.ko")
# One flipped byte in the middle of the module, in front of the trailer.
cp "$work/good.ko" "$work/root/test/tampered.ko"
off=$((size / 2))
byte=$(od -An -tu1 -j "$off" -N1 "$work/good.ko" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" |
	dd of="$work/root/test/tampered.ko" bs=1 seek="$off" conv=notrunc status=none
cmp -s "$work/good.ko" "$work/root/test/tampered.ko" && { echo "failed to tamper" >&2; exit 1; }
# The module without its trailer: sig_len is the last 4 bytes of the
# 12-byte info block in front of the 28-byte marker.
tail -c 28 "$work/good.ko" | grep -q "~Module signature appended~" ||
	{ echo "$crc7 has no trailer: were the proofs appended?" >&2; exit 1; }
sig_len=$(tail -c 32 "$work/good.ko" | head -c 4 | od -An -tu1 | awk '{print $1*16777216+$2*65536+$3*256+$4}')
head -c $((size - 40 - sig_len)) "$work/good.ko" > "$work/root/test/unsigned.ko"
# A malformed trailer: sig_len larger than the module (always fatal).
cp "$work/good.ko" "$work/root/test/badmsg.ko"
printf '\177\377\377\377' |
	dd of="$work/root/test/badmsg.ko" bs=1 seek=$((size - 32)) conv=notrunc status=none
# With CONFIG_MODULE_SIG as well: the same module signed with the build's key
# (scripts/sign-file, as for an out-of-tree module) must load.
kbuild=$(readlink -f "$moddir/build" || true)
signed=
if grep -q '^CONFIG_MODULE_SIG=y' "$out/config" && [ -f "$kbuild/certs/signing_key.pem" ]; then
	cp "$work/root/test/unsigned.ko" "$work/root/test/signed.ko"
	"$kbuild/scripts/sign-file" sha256 "$kbuild/certs/signing_key.pem" \
		"$kbuild/certs/signing_key.x509" "$work/root/test/signed.ko"
	signed=y
fi

cat > "$work/root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mode=$(sed -n 's/.*smoke=\([a-z]*\).*/\1/p' /proc/cmdline)
check() { # check NAME COMMAND...: runs COMMAND, prints its status
	if "$@" > /tmp/out 2>&1; then r=0; else r=$?; fi
	echo "SMOKE $name rc=$r: $(tr '\n' ' ' < /tmp/out)"
}
echo "SMOKE mode=$mode release=$(uname -r)"
echo "SMOKE dmesg: $(dmesg | grep 'module_hashes' | head -3 | tr '\n' ' ')"
echo "SMOKE sig_enforce=$(cat /sys/module/module/parameters/sig_enforce)"
if [ "$mode" = enforce ]; then
	name=modprobe-omfs check modprobe omfs
	name=modprobe-rust_minimal check modprobe rust_minimal
	name=modprobe-rust_print check modprobe rust_print
	name=insmod-tampered check insmod /test/tampered.ko
	name=insmod-unsigned check insmod /test/unsigned.ko
	if [ -f /test/signed.ko ]; then
		name=insmod-signed check insmod /test/signed.ko
	else
		name=modprobe-crc7 check modprobe crc7
	fi
	echo "SMOKE lsmod: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
	echo "SMOKE tainted=$(cat /proc/sys/kernel/tainted)"
else
	name=insmod-badmsg check insmod /test/badmsg.ko
	name=insmod-tampered check insmod /test/tampered.ko
	echo "SMOKE lsmod: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
	echo "SMOKE tainted=$(cat /proc/sys/kernel/tainted)"
fi
echo "SMOKE done"
reboot -f
EOF
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initramfs.cpio.gz"

pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
expect() { # expect LOG DESCRIPTION REGEX
	if grep -Eq "$3" "$1"; then ok "$2"; else bad "$2"; fi
}

for mode in enforce permissive; do
	log=$work/console-$mode.log
	append="console=ttyS0 panic=-1 smoke=$mode"
	[ $mode = enforce ] && append="$append module.sig_enforce=1"
	start=$(date +%s.%N)
	timeout "$timeout_s" qemu-system-x86_64 -M q35 -cpu max -m 512 -nographic -no-reboot \
		-kernel "$out/bzImage" -initrd "$work/initramfs.cpio.gz" \
		-append "$append" > "$log" 2>&1 || true
	tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
	echo "# $mode: booted and shut down in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s; console in $log"
	expect "$log" "$mode: init ran to the end" '^SMOKE done'
	expect "$log" "$mode: root printed at boot" 'module_hashes: root: [0-9]+ levels, sha256 [0-9a-f]{64}'
	if grep -Eq 'Oops|WARNING:|BUG:|Kernel panic|Call Trace' "$log"; then
		bad "$mode: no oops, WARNING, BUG or panic"
	else
		ok "$mode: no oops, WARNING, BUG or panic"
	fi
	if [ $mode = enforce ]; then
		expect "$log" "$mode: module.sig_enforce is on" '^SMOKE sig_enforce=Y'
		expect "$log" "$mode: modprobe omfs (with crc-itu-t) works" '^SMOKE modprobe-omfs rc=0'
		expect "$log" "$mode: modprobe rust_minimal works" '^SMOKE modprobe-rust_minimal rc=0'
		expect "$log" "$mode: modprobe rust_print works" '^SMOKE modprobe-rust_print rc=0'
		expect "$log" "$mode: one flipped byte: EKEYREJECTED" '^SMOKE insmod-tampered rc=[1-9].*Key was rejected by service'
		expect "$log" "$mode: no proof: EKEYREJECTED" '^SMOKE insmod-unsigned rc=[1-9].*Key was rejected by service'
		if [ -n "$signed" ]; then
			expect "$log" "$mode: PKCS#7-signed crc7 (sign-file) loads" '^SMOKE insmod-signed rc=0'
		else
			expect "$log" "$mode: modprobe crc7 works" '^SMOKE modprobe-crc7 rc=0'
		fi
		expect "$log" "$mode: all modules loaded" '^SMOKE lsmod: crc7 crc_itu_t omfs rust_minimal rust_print $'
		expect "$log" "$mode: kernel not tainted" '^SMOKE tainted=0$'
	else
		expect "$log" "$mode: malformed trailer: EBADMSG even so" '^SMOKE insmod-badmsg rc=[1-9].*Bad message'
		expect "$log" "$mode: one flipped byte: loads" '^SMOKE insmod-tampered rc=0'
		expect "$log" "$mode: ... and taints the kernel (E)" '^SMOKE tainted=8192$'
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
