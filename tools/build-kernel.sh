#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh CONFIGNAME OUTDIR
#
# Builds Linux KERNEL (7.3, the default, or 6.12) for ARCH (x86_64, the
# default, or arm64: 7.3 only) with this project grafted on, in
# configuration CONFIGNAME (tools/configs/CONFIGNAME.config on top of
# tinyconfig, tools/configs/base.config and tools/configs/KERNEL.config, and
# tools/configs/ARCH.config last; "default" means "hashes"), and leaves in
# OUTDIR:
#   bzImage (x86_64) or Image and Image.gz (arm64), vmlinux, System.map,
#   config                                  the kernel
#   modules/                                make modules_install INSTALL_MOD_PATH
#
# Toolchains: 7.3 is built with Debian's own, GCC and rustc 1.85, in the
# trixie build root (tools/buildroot.sh); with LLVM=1 with its clang 19;
# for arm64 with its cross GCC 14 (aarch64-linux-gnu-).
# 6.12 is built on the host with LLVM=1 and Debian's rustc-web.
#
# Steps, each skipped when already done:
#   1. unpack Debian's linux-source-KERNEL tarball into build/src/ (once);
#   2. graft the project onto it (tools/graft-kernel.sh: the series of
#      tools/make-series.sh, written only where files change);
#   3. configure in the O= directory: tinyconfig, then the fragments with
#      scripts/kconfig/merge_config.sh; redone when a fragment changes;
#   4. make -j3, then modules_install.
#
# With PACKAGE=deb, step 4 is `make bindeb-pkg` instead (it builds and
# packages, installing the modules as builddeb does), and OUTDIR gets the
# .deb files with their .buildinfo and .changes.
#
# Environment: KERNEL, ARCH, LLVM, JOBS (default 3), KERNEL_TARBALL, KERNEL_SRC (the
# source tree, default build/src/linux-source-KERNEL; with GRAFT=no it is
# built as it is, and options it lacks are reported only), KERNEL_OBJ (the O=
# directory, default build/obj-KERNEL-CONFIGNAME, -llvm appended with
# LLVM=1, -arm64 for arm64); KBUILD_BUILD_TIMESTAMP etc. are passed through; V=1 shows the
# commands; EXTRA_MAKE_ARGS is appended to every make command line (e.g.
# "INSTALL_MOD_STRIP=1"); PREPARE_ONLY=yes stops after step 2.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build

die() { echo "build-kernel: error: $*" >&2; exit 1; }
say() { echo "build-kernel: $*"; }

[ $# -eq 2 ] || { echo "usage: $0 CONFIGNAME OUTDIR" >&2; exit 2; }
name=$1
[ "$name" = default ] && name=hashes
kernel=${KERNEL:-7.3}
case $kernel in
7.3 | 6.12) ;;
*) die "KERNEL=$kernel: the bases are 7.3 and 6.12" ;;
esac
arch=${ARCH:-x86_64}
case $arch in
x86_64 | x86) arch=x86_64 image=arch/x86/boot/bzImage ;;
arm64) image="arch/arm64/boot/Image arch/arm64/boot/Image.gz" ;;
*) die "ARCH=$arch: the architectures are x86_64 and arm64" ;;
esac
[ "$arch" = x86_64 ] || [ "$kernel" = 7.3 ] || die "ARCH=$arch is built on 7.3 only"
out=$(mkdir -p "$2" && cd "$2" && pwd)
# NAME+EXTRA adds the fragment EXTRA.config on top of NAME.config.
fragments=("$top/tools/configs/base.config" "$top/tools/configs/$kernel.config")
for part in ${name//+/ }; do
	fragment=$top/tools/configs/$part.config
	[ -f "$fragment" ] || die "no configuration '$part' (tools/configs/$part.config); have: $(cd "$top/tools/configs" && ls *.config | sed 's/\.config$//' | grep -vxE 'base|x86_64|arm64' | paste -sd' ')"
	fragments+=("$fragment")
done
fragments+=("$top/tools/configs/$arch.config")

src=${KERNEL_SRC:-$build/src/linux-source-$kernel}
suffix=${LLVM:+-llvm}
[ "$arch" = x86_64 ] || suffix+=-$arch
obj=${KERNEL_OBJ:-$build/obj-$kernel-$name$suffix}
# dpkg-buildpackage writes the packages beside the O= directory: give the
# package build a directory of its own.
[ "${PACKAGE:-}" != deb ] || obj=${KERNEL_OBJ:-$build/deb/obj-$kernel-$name$suffix}
jobs=${JOBS:-3}

# shellcheck source=tools/kmake.sh
. "$top/tools/kmake.sh"
[ "$kernel" != 7.3 ] || "$top/tools/buildroot.sh" create
tarball=$(kernel_tarball)
# shellcheck disable=SC2206 # EXTRA_MAKE_ARGS is a list of words
make_args=(-C "$src" O="$obj" ${V:+V=$V} ${EXTRA_MAKE_ARGS:-})

# 1. Unpack (once).
if [ ! -f "$src/Makefile" ]; then
	[ -f "$tarball" ] || die "$tarball missing (Debian package linux-source-$kernel); run 'make deps'"
	say "unpacking $tarball"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp"
	[ -f "$src.tmp/linux-source-$kernel/Makefile" ] || die "$tarball has no linux-source-$kernel/"
	rm -rf "$src"
	mv "$src.tmp/linux-source-$kernel" "$src"
	rmdir "$src.tmp"
fi

# 2. Graft (GRAFT=no: the tree is used as it is, e.g. by check-series.sh).
[ "${GRAFT:-yes}" = no ] || "$top/tools/graft-kernel.sh" "$src"
# PREPARE_ONLY=yes: the source tree is all the caller wants.
[ "${PREPARE_ONLY:-}" != yes ] || exit 0

# 3. Configure, when the fragments changed or there is no configuration.
mkdir -p "$obj"
config_id=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.config-fragments" 2>/dev/null)" != "$config_id" ]; then
	say "configuring $name for $kernel in $obj"
	kmake -s "${make_args[@]}" tinyconfig
	(cd "$src" && kmake_run scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
		"${fragments[@]}") >/dev/null
	kmake -s "${make_args[@]}" olddefconfig
	# Every option the fragments set must have survived (the last fragment
	# that sets an option decides its value).
	missing=$(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=\(.*\)$/\1=\2/p;s/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1=n/p' \
		"${fragments[@]}" | awk -F= '{last[$1] = $0} END {for (k in last) print last[k]}' |
		while IFS= read -r line; do
			if [ "${line#*=}" = n ]; then
				! grep -q "^${line%%=*}=" "$obj/.config" || echo "$line"
			else
				grep -qxF "$line" "$obj/.config" || echo "$line"
			fi
		done)
	if [ "${GRAFT:-yes}" = no ]; then
		[ -z "$missing" ] || say "options this tree does not have (yet): $(echo "$missing" | paste -sd' ')"
	else
		[ -z "$missing" ] || die "options not set as requested (dependencies?): $(echo "$missing" | paste -sd' ')"
	fi
	echo "$config_id" > "$obj/.config-fragments"
fi
# A relative CONFIG_SYSTEM_TRUSTED_KEYS names a certificate file of this
# repository; kbuild looks for it relative to the O= directory.
trusted=$(sed -n 's/^CONFIG_SYSTEM_TRUSTED_KEYS="\([^/].*\)"$/\1/p' "$obj/.config")
if [ -n "$trusted" ]; then
	[ -f "$top/$trusted" ] || die "CONFIG_SYSTEM_TRUSTED_KEYS=\"$trusted\": no such file in $top"
	mkdir -p "$(dirname "$obj/$trusted")"
	cmp -s "$top/$trusted" "$obj/$trusted" || cp "$top/$trusted" "$obj/$trusted"
fi

# 4. Build and install.
if [ "${PACKAGE:-}" = deb ]; then
	say "building and packaging $name for $kernel in $obj (make -j$jobs bindeb-pkg)"
	pkgdir=$(dirname "$obj")
	rm -f "$pkgdir"/*.deb "$pkgdir"/*.buildinfo "$pkgdir"/*.changes
	kmake "${make_args[@]}" -j"$jobs" bindeb-pkg
	rm -rf "$out"
	mkdir -p "$out"
	mv "$pkgdir"/*.deb "$pkgdir"/*.buildinfo "$pkgdir"/*.changes "$out/"
	say "done: $out: $(cd "$out" && ls *.deb | paste -sd' ')"
	exit 0
fi
say "building $name for $kernel ($arch) in $obj (make -j$jobs${LLVM:+ LLVM=$LLVM})"
start=$(date +%s.%N)
kmake "${make_args[@]}" -j"$jobs"
say "built in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s"

rm -rf "$out/modules"
kmake -s "${make_args[@]}" INSTALL_MOD_PATH="$out/modules" modules_install
for f in $image vmlinux System.map; do
	cp "$obj/$f" "$out/$(basename "$f")"
done
cp "$obj/.config" "$out/config"
say "done: $out"
