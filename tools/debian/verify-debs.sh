#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# verify-debs.sh [DEBDIR]
#
# Checks the linux-image package that `make debian` (make bindeb-pkg) left
# in DEBDIR (default build/debian/out) as a user would get it: every module
# the package ships verifies against the root sealed into the package's own
# vmlinuz (taken out of the boot image, not from the build tree), the
# modules are the ones modules.order lists, hashed for builddeb's stripped
# install and xz-compressed. Prints TAP and "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/tap.sh"
debdir=${1:-$top/build/debian/out}
tool=$top/tools/module-hashes/target/release/module-hashes
extract=$top/build/src/linux-source-7.3/scripts/extract-vmlinux
work=$(mktemp -d "${TMPDIR:-/tmp}/verify-debs.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"
cargo build -q --release --manifest-path "$top/tools/module-hashes/Cargo.toml" || exit 1
image=$(find "$debdir" -maxdepth 1 -name 'linux-image-*.deb' ! -name '*-dbg_*' | head -n 1)
[ -n "$image" ]
ok $? "a linux-image package in ${debdir#"$top"/}: ${image##*/}"
[ -n "$image" ] || { tap_summary; exit 1; }
dpkg-deb -x "$image" "$work/pkg"
vmlinuz=$(echo "$work"/pkg/boot/vmlinuz-*)
moddir=$(echo "$work"/pkg/lib/modules/*)
release=${moddir##*/}

# The root as the boot image carries it: vmlinux out of the vmlinuz.
"$extract" "$vmlinuz" >"$work/vmlinux" 2>/dev/null && [ -s "$work/vmlinux" ]
ok $? "vmlinux taken out of the package's boot/vmlinuz-$release"
root=$("$tool" root "$work/vmlinux")
echo "$root" | sed 's/^/# /'
echo "$root" | grep -Eq '^levels: [0-9]+$'
ok $? "the boot image holds a sealed root"

# The modules: those of modules.order, compressed with xz, each
# decompressed into one tree for one verify run.
mapfile -t listed < <(sed 's/\.ko$//' "$moddir/modules.order")
mapfile -t shipped < <(cd "$moddir" && find kernel -name '*.ko*' | sed 's/\.ko.*$//' | LC_ALL=C sort)
[ "$(printf '%s\n' "${listed[@]}" | LC_ALL=C sort)" = "$(printf '%s\n' "${shipped[@]}")" ]
ok $? "the package ships exactly the ${#listed[@]} modules of modules.order"
! find "$moddir/kernel" -name '*.ko' | grep -q .
ok $? "every module is compressed (.ko.xz), as CONFIG_MODULE_COMPRESS_XZ asks"
mkdir -p "$work/ko"
files=()
for m in "${listed[@]}"; do
	f=$work/ko/${m//\//_}.ko
	xz -dc "$moddir/$m.ko.xz" >"$f" || break
	files+=("$f")
done
[ ${#files[@]} -eq ${#listed[@]} ]
ok $? "every module decompresses"
# builddeb installs with INSTALL_MOD_STRIP=1; the kernel was built, and
# its modules hashed, for that value (the proofs verify: below).
grep -qx 'CONFIG_MODULE_HASHES_INSTALL_STRIP="1"' "$work/pkg/boot/config-$release"
ok $? "the package's kernel was built for builddeb's INSTALL_MOD_STRIP=1"
failed=$("$tool" verify --vmlinux "$work/vmlinux" "${files[@]}" 2>&1 | grep -v ': ok$')
[ -z "$failed" ]
ok $? "all ${#files[@]} modules verify against the root in the package's vmlinuz"
[ -z "$failed" ] || echo "$failed" | head -n 5 | sed 's/^/# /'
tap_summary
