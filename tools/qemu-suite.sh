#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU suite: builds the test kernels, boots each under every command
# line of the matrix with an initramfs that runs modtest (init_module and
# finit_module with exact errno checks), and checks each boot's log for the
# sealed root and for any oops, BUG, WARNING or Rust panic. Prints TAP and a
# closing "N passed, N failed".
#
# Kernels (tools/configs/), Linux 7.3 built with Debian's GCC unless said:
#   hashes-sig   hashes plus MODULE_SIG without MODULE_SIG_ALL, configured
#                as distributions do (+distro: MODVERSIONS through
#                GENDWARFKSYMS, module BTF, Rust overflow checks), KUnit;
#                build/out-hashes-sig/
#   hashes       hashes only, the default configuration; build/out/
#   hashes LLVM  the same built with LLVM=1; one enforcing boot;
#                build/out-llvm/ (part "llvm" only)
#   hashes+ima   hashes with EFI and IMA, booted by OVMF with Secure Boot
#                (tools/qemu-test/secureboot.sh): IMA's architecture
#                policy; build/out-ima/
#   hashes 6.12  Linux 6.12 (LLVM=1), the slice kept for the LTS base: one
#                enforcing boot, with a module revoked by Debian's blacklist
#                of hashes; build/out-6.12/
#   hashes arm64 hashes plus KUnit, cross-built for arm64 with Debian's
#                aarch64-linux-gnu-gcc 14, booted on QEMU's virt machine:
#                the root in the Image, KUnit, the hostile corpus enforced
#                and not; build/out-arm64-kunit/
#
# Usage: qemu-suite.sh [main|llvm|arm64]. "main" (make test) is everything
# but the clang build; "llvm" (make test-extended) builds hashes-sig (its key
# signs the PKCS#7 cases) and then only the clang kernel, with its boot;
# "arm64" likewise only the arm64 kernel and its boots.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
part=${1:-main}
case $part in
main | llvm | arm64) ;;
*) echo "usage: $0 [main|llvm|arm64]" >&2; exit 2 ;;
esac
work=$top/build/qemu
mkdir -p "$work"

. "$top/tools/tap.sh"
# shellcheck source=tools/kmake.sh
. "$top/tools/kmake.sh"
kernel=7.3
# Each kernel's compiler and architecture are set below, whatever the
# caller's LLVM and ARCH.
unset LLVM ARCH

# build CONFIG OUTDIR [NAME]: builds a kernel (base $kernel, LLVM from the
# environment) and installs its modules; one test.
build() {
	local name=${3:-$1} log=$work/build-${3:-$1}.log start=$SECONDS
	KERNEL=$kernel "$top/tools/build-kernel.sh" "$1" "$2" >"$log" 2>&1
	local rc=$?
	ok $rc "kernel $name ($kernel${LLVM:+, LLVM=1}${ARCH:+, $ARCH}) builds and installs ($((SECONDS - start)) s)"
	[ $rc -eq 0 ] || tail -n 30 "$log" | sed 's/^/# /'
	return $rc
}

. "$top/tools/qemu-test/lib.sh"
prepare_host_tools || exit 1

# boot CONFIG OUTDIR MODE CMDLINE...: one boot (by $booter, default
# boot_qemu); checks modtest's results and the kernel log.
boot() {
	local config=$1 out=$2 mode=$3 log=$work/boot-$1-$3.log
	shift 3
	local start=$SECONDS
	${booter:-boot_qemu} "$config" "$out" "$mode" "$log" "$@"
	local name="$config/$mode"
	echo "# boot $name: $((SECONDS - start)) s, log ${log#"$top"/}"
	# modtest's own TAP lines, renumbered into this stream.
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "$name: ${line#ok * - }" ;;
		"not ok "*)
			local rest=${line#not ok }
			ok 1 "$name: ${rest#* - }"
			;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+ - ' "$log")
	grep -q '^modtest: end' "$log"
	ok $? "$name: modtest ran to the end"
	# modtest's own count must agree with the lines read above, so that a
	# line garbled by interleaved kernel messages cannot go unnoticed.
	local summary seen
	# (A kernel message may follow it on the same console line.)
	summary=$(grep -oE '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	seen=$(grep -cE '^(not )?ok [0-9]+ - ' "$log")
	[ -n "$summary" ] && [ "${summary#*, }" = "0 failed" ] &&
		[ "${summary%% *}" -eq "$seen" ]
	ok $? "$name: modtest reports ${summary:-no summary}, $seen results read"
	local bad='BUG:|WARNING:|Oops|Kernel panic|panicked at|rust_panic|Call [Tt]race'
	! grep -Eq "$bad" "$log"
	ok $? "$name: no oops, BUG, WARNING or panic in the kernel log"
	grep -E -m 3 -B 2 "$bad" "$log" | sed 's/^/# /'
	if [ "$mode" = unsealed ]; then
		grep -q 'module_hashes: vmlinux was not sealed' "$log"
		ok $? "$name: the kernel says at boot that it was not sealed"
		return
	fi
	# The root the booted bzImage prints is the one sealed into vmlinux.
	local levels hash
	levels=$("$qemu_work/module-hashes" root "$out/vmlinux" | sed -n 's/^levels: //p')
	hash=$("$qemu_work/module-hashes" root "$out/vmlinux" | sed -n 's/^root: //p')
	[ "$levels" -gt 0 ] && grep -q "module_hashes: root: $levels levels, sha256 $hash" "$log"
	ok $? "$name: the kernel prints the root sealed into vmlinux ($levels levels)"
}

# oot_module OBJ: builds tools/qemu-test/oot against the kernel in OBJ and
# signs it with that build's key; prints the signed module's path.
oot_module() {
	local obj=$1 dir=$work/oot
	rm -rf "$dir"
	cp -a "$top/tools/qemu-test/oot" "$dir"
	kmake -s -C "$obj" M="$dir" modules >&2 &&
		kmake_run "$obj/scripts/sign-file" sha256 "$obj/certs/signing_key.pem" \
			"$obj/certs/signing_key.x509" "$dir/oot_hello.ko" &&
		echo "$dir/oot_hello.ko"
}

# sign_file_wrapper OBJ: a sign-file for make-cases.py that runs OBJ's
# scripts/sign-file with the toolchain (and libraries) it was built with.
sign_file_wrapper() {
	printf '#!/bin/sh\nexec "%s" run "%s" "$@"\n' "$top/tools/buildroot.sh" \
		"$1/scripts/sign-file" >"$work/sign-file"
	chmod +x "$work/sign-file"
	echo "$work/sign-file"
}

# btf_accepted NAME LOG: the kernel took every module's BTF (modtest checks
# /sys/kernel/btf/MODULE with --btf; a rejection is also logged).
btf_accepted() {
	! grep -Eq 'failed to validate module \[[a-z_0-9]+\] BTF|BTF: .*(invalid|mismatch)' "$2" &&
		grep -Eq '^ok [0-9]+ - sh: modprobe omfs && \[ -s /sys/kernel/btf/omfs \]' "$2"
	ok $? "$1: the kernel accepted the modules' BTF"
}

# kunit_results LOG [PREFIX]: the KTAP of the verifier's KUnit suite
# (hashes-sig and hashes-arm64 run it at boot): one line per test case or
# parameter, and a check that their number is the suite's own total, with
# no failure.
kunit_results() {
	local log=$1 prefix=${2:-kunit} status name seen=0 totals
	while IFS=$'\t' read -r status name; do
		ok "$status" "$prefix: $name"
		seen=$((seen + 1))
	done < <(awk '
		/^KTAP version 1$/ { on = 1 }
		!on { next }
		{ match($0, /^ */); ind = RLENGTH; line = substr($0, ind + 1) }
		ind == 8 && line ~ /^# Subtest: / { sub_name = substr(line, 12); params = 1; next }
		line ~ /^(not )?ok [0-9]+ / {
			st = (line ~ /^not /) ? 1 : 0
			name = line; sub(/^(not )?ok [0-9]+ /, "", name)
			if (ind == 8) print st "\t" sub_name ": " name
			else if (ind == 4) { if (!params) print st "\t" name; params = 0 }
			else if (ind == 0) exit
		}' "$log")
	totals=$(grep -E '^# Totals: pass:[0-9]+ fail:0 skip:0 total:[0-9]+$' "$log")
	[ -n "$totals" ] && [ "${totals##*total:}" -eq "$seen" ]
	ok $? "$prefix: the module_hashes suite ran: ${totals:-no totals line}, $seen results read"
}

echo "TAP version 13"
sig_out=$top/build/out-hashes-sig
sig_obj=$top/build/obj-7.3-hashes-sig+distro
sign=(--sign-file "$(sign_file_wrapper "$sig_obj")" --key "$sig_obj/certs/signing_key.pem"
	--cert "$sig_obj/certs/signing_key.x509")
# The MODULE_SIG build first: its sign-file and key also make the PKCS#7
# module that the hashes-only kernel must not accept as authenticated.
if build hashes-sig+distro "$sig_out" && [ "$part" = main ]; then
	oot=$(oot_module "$sig_obj")
	ok $? "an out-of-tree module builds against hashes-sig and is signed with sign-file"
	# Its modules carry DWARF, so every load hashes ten times as many
	# bytes: 200 rounds of concurrent loads here, 1000 on "hashes".
	if make_initramfs hashes-sig "$sig_out" sig,off "${sign[@]}" --oot "$oot" \
		--kernel-has-module-sig --btf --stress-rounds 200; then
		boot hashes-sig "$sig_out" sig module.sig_enforce=1
		kunit_results "$work/boot-hashes-sig-sig.log"
		btf_accepted hashes-sig/sig "$work/boot-hashes-sig-sig.log"
		boot hashes-sig "$sig_out" off
	fi
fi
# kbuild_checks OBJ: incremental builds and modules_install, renumbered.
kbuild_checks() {
	local log=$work/kbuild-checks.log line
	KERNEL=$kernel "$top/tools/kbuild-checks.sh" "$1" >"$log" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "kbuild: ${line#ok * - }" ;;
		"not ok "*) line=${line#not ok }; ok 1 "kbuild: ${line#* - }" ;;
		esac
	done <"$log"
	grep -q '^[0-9]* passed, 0 failed$' "$log"
	ok $? "kbuild: all incremental-build checks ran"
}

other=(--other-moddir "$(echo "$sig_out"/modules/lib/modules/*)")
# image_root OUT: the 36 bytes at .module_hashes, as hex, read from
# OUT/vmlinux (section offset) and, given FILE, from FILE (an image that
# starts at _text) at the section's distance from _text.
image_root() {
	local out=$1 file=${2:-} addr off text
	read -r addr off < <(readelf -SW "$out/vmlinux" |
		sed -n 's/^ *\[ *[0-9]*\] \.module_hashes *[A-Z]* *\([0-9a-f]*\) \([0-9a-f]*\) .*/\1 \2/p')
	[ -n "$addr" ] || return 1
	if [ -z "$file" ]; then
		off=$((0x$off))
	else
		text=$(awk '$3 == "_text" { print $1 }' "$out/System.map")
		off=$((0x$addr - 0x$text))
	fi
	dd if="${file:-$out/vmlinux}" bs=1 skip="$off" count=36 status=none | od -An -tx1 | tr -d ' \n'
}
# arm64_suite: the same verifier and kbuild flow on the second architecture,
# whose boot image is made by objcopy -O binary from the sealed vmlinux.
arm64_suite() {
	local arm64_out=$top/build/out-arm64-kunit sealed arm64_tools
	kernel=7.3
	if ARCH=arm64 build hashes+kunit "$arm64_out" hashes-arm64; then
		sealed=$(image_root "$arm64_out")
		[ ${#sealed} -eq 72 ] && [ "${sealed:0:8}" != ffffffff ] &&
			[ "$(image_root "$arm64_out" "$arm64_out/Image")" = "$sealed" ] &&
			gzip -dc "$arm64_out/Image.gz" | cmp -s - "$arm64_out/Image"
		ok $? "arm64: Image and Image.gz hold the root sealed into vmlinux (${sealed:0:16}...)"
		prepare_arm64_tools
		arm64_tools=$?
		ok $arm64_tools "arm64: modtest cross-compiled, Debian's arm64 busybox-static"
		if [ $arm64_tools -eq 0 ] && ARCH=arm64 make_initramfs hashes-arm64 "$arm64_out" off,enforce "${sign[@]}" "${other[@]}" \
			--stress-rounds 200; then
			ARCH=arm64 boot hashes-arm64 "$arm64_out" enforce module.sig_enforce=1
			kunit_results "$work/boot-hashes-arm64-enforce.log" "arm64 kunit"
			ARCH=arm64 boot hashes-arm64 "$arm64_out" off
		fi
	fi
}

# Only the arm64 kernel (after hashes-sig, whose key and modules it uses).
if [ "$part" = arm64 ]; then
	arm64_suite
	tap_summary
	exit
fi
# The same configuration built with clang: one enforcing boot.
if [ "$part" = llvm ]; then
	if LLVM=1 build hashes "$top/build/out-llvm" hashes-llvm &&
		make_initramfs hashes-llvm "$top/build/out-llvm" enforce "${sign[@]}" "${other[@]}"; then
		boot hashes-llvm "$top/build/out-llvm" enforce module.sig_enforce=1
	fi
	tap_summary
	exit
fi

if build hashes "$top/build/out"; then
	kbuild_checks "$top/build/obj-7.3-hashes"
	if make_initramfs hashes "$top/build/out" off,enforce,lockdown,unsealed "${sign[@]}" "${other[@]}"; then
		boot hashes "$top/build/out" off
		boot hashes "$top/build/out" enforce module.sig_enforce=1
		boot hashes "$top/build/out" lockdown lockdown=integrity
		# The image as linked, before SEAL, which qemu boots through PVH.
		kernel_image=$top/build/obj-7.3-hashes/vmlinux.unstripped \
			boot hashes "$top/build/out" unsealed module.sig_enforce=1
	fi
fi


# IMA's architecture policy, which a kernel gets only when UEFI firmware
# started it with Secure Boot: the hashes kernel with EFI and IMA (with its
# appraisal of appended signatures), signed with the test firmware's key,
# one boot.
. "$top/tools/qemu-test/secureboot.sh"
# boot_secure: boot_qemu's arguments; signs OUTDIR/bzImage and boots it.
boot_secure() {
	local name=$1 out=$2 mode=$3 log=$4
	shift 4
	sb_sign "$out/bzImage" "$qemu_work/bzImage-$name.signed" &&
		sb_boot "$qemu_work/bzImage-$name.signed" "$qemu_work/initramfs-$name.cpio" \
			"$log" "modtest.mode=$mode" "$@"
}
ima_out=$top/build/out-ima
if build hashes+ima "$ima_out"; then
	sb_prepare
	ok $? "Secure Boot firmware with the test keys enrolled (build/secureboot/)"
	if make_initramfs hashes-ima "$ima_out" ima "${sign[@]}"; then
		sb_check_enforced "$ima_out/bzImage" "$qemu_work/initramfs-hashes-ima.cpio"
		ok $? "the firmware refuses the kernel unsigned and signed with an untrusted key"
		booter=boot_secure boot hashes-ima "$ima_out" ima
	fi
fi

# Linux 6.12 LTS (Debian's tree): one enforcing boot, with Debian's
# blacklist of module hashes naming rust_print as built, which must then be
# refused despite its valid proof. The list has to exist for the first
# build (a hash no file has); once the module is built, it gets the
# module's hash and the kernel is built again (certs/ and vmlinux only).
kernel=6.12
out612=$top/build/out-6.12
list612=$top/build/obj-6.12-hashes+blacklist/module-blacklist.txt
mkdir -p "$(dirname "$list612")"
[ -s "$list612" ] || printf '"bin:%064d"\n' 0 >"$list612"
installed_sha256() { # OUT NAME: the SHA-256 of module NAME as loaded
	local f
	f=$(find "$1/modules" -name "$2.ko*" | head -n 1)
	case $f in
	*.xz) xz -dc "$f" ;;
	*) cat "$f" ;;
	esac | sha256sum | cut -d' ' -f1
}
if build hashes+blacklist "$out612" hashes-6.12; then
	revoking="\"bin:$(installed_sha256 "$out612" rust_print)\""
	if [ "$(cat "$list612")" = "$revoking" ] ||
		{ echo "$revoking" >"$list612" && build hashes+blacklist "$out612" hashes-6.12-revoking; }; then
		if make_initramfs hashes-6.12 "$out612" enforce "${sign[@]}" "${other[@]}" \
			--revoked rust_print; then
			boot hashes-6.12 "$out612" enforce module.sig_enforce=1
		fi
	fi
fi

arm64_suite

tap_summary
