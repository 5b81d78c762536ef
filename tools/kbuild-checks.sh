#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild-checks.sh OBJ: the incremental behaviour of a CONFIG_MODULE_HASHES
# build of Linux KERNEL (7.3 unless set) in the O= directory OBJ (built by
# tools/build-kernel.sh): make twice does nothing, a deleted module is
# rebuilt and vmlinux resealed, modules_install refuses stale proofs,
# another INSTALL_MOD_STRIP and a vmlinux without the proofs' root before it
# touches anything, an objcopy without --update-section is refused before
# the build, a module rebuilt alone (M=) gets no proof, modules_install
# installs with xz,
# zstd and gzip and with INSTALL_MOD_STRIP set at build time, and the
# verifier is clippy-clean. Prints TAP and "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
obj=$(cd "${1:?usage: kbuild-checks.sh OBJ}" && pwd)
tool=$obj/scripts/module-hashes/module-hashes
# Inside the project directory: the build root sees it at the same path.
mkdir -p "$top/build/tmp"
tmp=$(mktemp -d "$top/build/tmp/kbuild-checks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

. "$top/tools/tap.sh"
# shellcheck source=tools/kmake.sh
. "$top/tools/kmake.sh"
kernel=${KERNEL:-7.3}
linked=vmlinux.unstripped
[ "$kernel" = 7.3 ] || linked=vmlinux.unsealed

mk() {
	kmake -C "$obj" -j3 "$@" >"$tmp/make.log" 2>&1
}

stamps() {
	(cd "$obj" && stat -c '%n %Y.%y' vmlinux $linked arch/x86/boot/bzImage \
		module-hashes.root fs/romfs/romfs.ko)
}

mk
before=$(stamps)
mk
[ "$(stamps)" = "$before" ] && ! grep -Eq ' (MKHASH|SEAL|LD|CC) ' "$tmp/make.log"
ok $? "make a second time rebuilds, rehashes and reseals nothing"

cp "$obj/vmlinux" "$tmp/vmlinux.before"
rm "$obj/fs/romfs/romfs.ko"
mk
[ -f "$obj/fs/romfs/romfs.ko" ] && grep -q 'MKHASH' "$tmp/make.log" && grep -q 'SEAL' "$tmp/make.log" &&
	cmp -s "$obj/vmlinux" "$tmp/vmlinux.before"
ok $? "a deleted module is rebuilt, the tree rehashed, vmlinux resealed bit-identical"
kmake_run "$tool" verify --vmlinux "$obj/vmlinux" "$obj/fs/romfs/romfs.ko" >/dev/null
ok $? "the rebuilt module in the build tree carries a valid proof"

touch "$obj/fs/romfs/romfs.ko"
! mk INSTALL_MOD_PATH="$tmp/install" modules_install &&
	grep -q 'module hashes are missing or out of date' "$tmp/make.log" &&
	[ ! -e "$tmp/install/lib" ]
ok $? "modules_install refuses a module newer than the root, before installing anything"

mk
mk INSTALL_MOD_PATH="$tmp/install" modules_install
ok $? "after make, modules_install works again"

# installed_ok DIR SUFFIX: the in-tree modules installed under DIR are all
# compressed with SUFFIX (or not, for ""), and each, decompressed, verifies
# against the sealed vmlinux.
installed_ok() {
	local dir=$1 suffix=$2 f n=0 bad=0
	while IFS= read -r f; do
		case $f in
		*.ko.xz) xz -dc "$f" ;;
		*.ko.zst) zstd -qdc "$f" ;;
		*.ko.gz) gzip -dc "$f" ;;
		*.ko) cat "$f" ;;
		*) bad=$((bad + 1)) ;;
		esac >"$tmp/module.ko"
		[[ $f == *.ko$suffix ]] || bad=$((bad + 1))
		kmake_run "$tool" verify --vmlinux "$obj/vmlinux" "$tmp/module.ko" >/dev/null ||
			bad=$((bad + 1))
		n=$((n + 1))
	done < <(find "$dir/lib/modules" -name '*.ko*' -path '*/kernel/*')
	echo "# $dir: $n modules, $bad failures"
	[ "$n" -eq "$(wc -l <"$obj/modules.order")" ] && [ $bad -eq 0 ]
}

installed_ok "$tmp/install" .xz
ok $? "modules_install with xz: every installed module verifies against vmlinux"

# One in-tree module rebuilt alone (M=, its output in MO=): a build of its
# own, without a proof, so it cannot be installed with a stale one, and the
# tree's modules and proofs are left as they were.
alone=(M="$obj/source/fs/romfs" MO="$tmp/romfs-alone")
before=$(stamps)
mk "${alone[@]}" modules &&
	mk "${alone[@]}" INSTALL_MOD_PATH="$tmp/install-alone" modules_install &&
	f=$(find "$tmp/install-alone" -name 'romfs.ko*' | head -n 1) && [ -n "$f" ] &&
	{ xz -dc "$f" 2>/dev/null || cat "$f"; } >"$tmp/alone.ko" &&
	kmake_run "$tool" verify --vmlinux "$obj/vmlinux" "$tmp/alone.ko" 2>&1 |
	grep -q 'no signature trailer' && [ "$(stamps)" = "$before" ] &&
	mk INSTALL_MOD_PATH="$tmp/install-after-alone" modules_install &&
	installed_ok "$tmp/install-after-alone" .xz
ok $? "a module rebuilt alone (M=) is installed without a proof; the tree's proofs stay valid"

# Other compressions: the proofs survive them as they are (the kernel or
# kmod decompresses before the trailer is read). modules_install alone
# decides the compression, so the options are given to it on the command
# line instead of rebuilding the kernel for each.
for method in zstd:ZSTD:.zst gzip:GZIP:.gz; do
	IFS=: read -r name option suffix <<<"$method"
	mk INSTALL_MOD_PATH="$tmp/install-$name" CONFIG_MODULE_COMPRESS_XZ= \
		"CONFIG_MODULE_COMPRESS_$option=y" modules_install &&
		installed_ok "$tmp/install-$name" "$suffix"
	ok $? "modules_install with $name: every installed module verifies against vmlinux"
done

! mk INSTALL_MOD_PATH="$tmp/install2" INSTALL_MOD_STRIP=1 modules_install &&
	grep -q 'INSTALL_MOD_STRIP="1" differs from ""' "$tmp/make.log" &&
	[ ! -e "$tmp/install2/lib" ]
ok $? "modules_install refuses an INSTALL_MOD_STRIP the proofs were not made for"

# A vmlinux without the root the proofs lead to: missing (make deletes it
# when SEAL fails), unsealed (as linked), or sealed with another root (left
# from an older build: here the root with one byte of its hash changed).
cp -p "$obj/vmlinux" "$tmp/vmlinux.sealed"
objcopy --dump-section .module_hashes="$tmp/root.bin" "$tmp/vmlinux.sealed"
last=$(od -An -tu1 -j35 -N1 "$tmp/root.bin")
# shellcheck disable=SC2059 # the format is the byte, as an octal escape
printf "$(printf '\\%03o' $((last ^ 0xff)))" |
	dd of="$tmp/root.bin" bs=1 seek=35 conv=notrunc status=none
for state in missing unsealed sealed-with-another-root; do
	case $state in
	missing) rm "$obj/vmlinux" ;;
	unsealed) cp "$obj/$linked" "$obj/vmlinux" ;;
	*) objcopy --update-section .module_hashes="$tmp/root.bin" "$tmp/vmlinux.sealed" "$obj/vmlinux" ;;
	esac
	! mk INSTALL_MOD_PATH="$tmp/install-$state" modules_install &&
		grep -q "vmlinux does not hold the root the modules' proofs lead to" "$tmp/make.log" &&
		[ ! -e "$tmp/install-$state/lib" ]
	ok $? "modules_install refuses when vmlinux is ${state//-/ }, before installing anything"
	cp -p "$tmp/vmlinux.sealed" "$obj/vmlinux"
done

# An objcopy that cannot write the root is refused before anything is built.
printf '#!/bin/sh\necho "Usage: objcopy [option(s)] in-file [out-file]"\n' >"$tmp/objcopy"
chmod +x "$tmp/objcopy"
before=$(stamps)
! mk OBJCOPY="$tmp/objcopy" &&
	grep -qF "CONFIG_MODULE_HASHES needs objcopy --update-section, which \"$tmp/objcopy\" does not have" "$tmp/make.log" &&
	[ "$(stamps)" = "$before" ]
ok $? "an objcopy without --update-section is refused before anything is built"

# clippy with the kernel's lint set, as make CLIPPY=1 runs it: the command
# kbuild saved for an object, with clippy-driver in place of rustc and the
# outputs in $tmp. Run directly, against the crates the build made, so that
# nothing is rebuilt under clippy (minutes) and then again without it.
# clippy OBJECT: prints clippy's output; fails if it did not run.
clippy() {
	local cmd
	cmd=$(sed -n "s|^savedcmd_$1 := ||p" "$obj/${1%/*}/.${1##*/}.cmd" |
		sed -E "s#(^| )(/usr/bin/)?rustc #\1\2clippy-driver #;
			s#--out-dir [^ ]*#--out-dir $tmp/#;
			s#--emit=([a-z-]+)=[^ ]*/([^/ ]*)#--emit=\1=$tmp/\2#g")
	[[ $cmd == *clippy-driver* ]] || return 1
	(cd "$obj" && RUSTC_BOOTSTRAP=1 kmake_run sh -c "$cmd") 2>&1
}

clippy kernel/module/hashes.o >"$tmp/clippy.log" && [ -s "$tmp/hashes.o" ] &&
	! grep -Eq '^(warning|error)' "$tmp/clippy.log"
ok $? "clippy (make CLIPPY=1's command for the verifier): no warning"
grep -E -A8 '^(warning|error)' "$tmp/clippy.log" | head -n 30 | sed 's/^/# /'

# The kernel crate: the series adds rust/kernel/sha256.rs and changes
# task.rs; warnings elsewhere in the crate are upstream's.
clippy rust/kernel.o >"$tmp/clippy-kernel.log" && [ -s "$tmp/kernel.o" ] &&
	! grep -E -A3 '^(warning|error)' "$tmp/clippy-kernel.log" | grep -Eq -- '--> .*rust/kernel/(sha256|task)\.rs'
ok $? "clippy (make CLIPPY=1's command for the kernel crate): no warning in sha256.rs or task.rs"
grep -E -A8 '^(warning|error)' "$tmp/clippy-kernel.log" | grep -E -B3 -A5 'rust/kernel/(sha256|task)\.rs' | head -n 30 | sed 's/^/# /'

# INSTALL_MOD_STRIP set at build time: the build strips, hashes the
# stripped modules and modules_install installs them. A configuration
# target first (Kconfig then runs without the build's variables): the
# build must still notice INSTALL_MOD_STRIP.
mk olddefconfig && mk INSTALL_MOD_STRIP=1 && grep -q 'STRIP   fs/romfs/romfs.ko.stripped' "$tmp/make.log" &&
	grep -q SEAL "$tmp/make.log" &&
	mk INSTALL_MOD_PATH="$tmp/install-strip" INSTALL_MOD_STRIP=1 modules_install &&
	installed_ok "$tmp/install-strip" .xz &&
	cmp -s <(xz -dc "$(find "$tmp/install-strip" -name romfs.ko.xz)") "$obj/fs/romfs/romfs.ko.stripped"
ok $? "make olddefconfig, then INSTALL_MOD_STRIP=1 at build and install: stripped modules with valid proofs are installed"
mk
grep -q SEAL "$tmp/make.log"
ok $? "building again without INSTALL_MOD_STRIP reseals vmlinux"

tap_summary
