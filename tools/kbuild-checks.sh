#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild-checks.sh OBJ: the incremental behaviour of a CONFIG_MODULE_HASHES
# build of Linux 7.3 in the O= directory OBJ (built by tools/build-kernel.sh,
# KERNEL=7.3 as well unless set): make twice
# does nothing, a deleted module is rebuilt and vmlinux resealed, and
# modules_install refuses stale proofs and another INSTALL_MOD_STRIP before
# it touches anything, and the verifier is clippy-clean. Prints TAP and
# "N passed, N failed".
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
		module-hashes.root fs/romfs/romfs.ko fs/romfs/romfs.merkle)
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

! mk INSTALL_MOD_PATH="$tmp/install2" INSTALL_MOD_STRIP=1 modules_install &&
	grep -q 'INSTALL_MOD_STRIP="1" differs from ""' "$tmp/make.log" &&
	[ ! -e "$tmp/install2/lib" ]
ok $? "modules_install refuses an INSTALL_MOD_STRIP the proofs were not made for"

# The verifier under clippy with the kernel's lint set (make CLIPPY=1),
# warnings included; only its object is rebuilt.
rm -f "$obj/kernel/module/hashes.o"
mk CLIPPY=1 kernel/module/hashes.o &&
	grep -q 'CLIPPY.*kernel/module/hashes.o' "$tmp/make.log" &&
	! grep -Eq '^(warning|error)' "$tmp/make.log"
ok $? "make CLIPPY=1: the verifier has no clippy warning"
grep -E -A8 '^(warning|error)' "$tmp/make.log" | head -n 30 | sed 's/^/# /'
mk
ok $? "make after the clippy build"

tap_summary
