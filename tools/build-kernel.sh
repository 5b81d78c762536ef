#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh CONFIGNAME OUTDIR
#
# Builds Linux 6.12 with this project grafted on, in configuration CONFIGNAME
# (tools/configs/CONFIGNAME.config on top of tinyconfig and
# tools/configs/base.config; "default" means "hashes"), and leaves in OUTDIR:
#   bzImage, vmlinux, System.map, config    the kernel
#   modules/                                make modules_install INSTALL_MOD_PATH
#
# Steps, each skipped when already done:
#   1. unpack Debian's linux-source-6.12 tarball into build/src/ (once);
#   2. graft the project onto it (tools/graft-kernel.sh; refreshes the
#      overlay files, replaces an older version of the patch series);
#   3. configure in build/obj-CONFIGNAME/ (O=): tinyconfig, then the
#      fragments with scripts/kconfig/merge_config.sh; redone when a
#      fragment changes;
#   4. make -j3 with LLVM=1 and the Debian rustc, then modules_install.
#
# Environment: JOBS (default 3), KERNEL_TARBALL, KERNEL_SRC (the source tree,
# default build/src/linux-source-6.12), KERNEL_OBJ (the O= directory, default
# build/obj-CONFIGNAME), KBUILD_BUILD_TIMESTAMP etc.
# are passed through; V=1 shows the commands; EXTRA_MAKE_ARGS is appended to
# every make command line (e.g. "INSTALL_MOD_STRIP=1").
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build

die() { echo "build-kernel: error: $*" >&2; exit 1; }
say() { echo "build-kernel: $*"; }

[ $# -eq 2 ] || { echo "usage: $0 CONFIGNAME OUTDIR" >&2; exit 2; }
name=$1
[ "$name" = default ] && name=hashes
out=$(mkdir -p "$2" && cd "$2" && pwd)
# NAME+EXTRA adds the fragment EXTRA.config on top of NAME.config.
fragments=("$top/tools/configs/base.config")
for part in ${name//+/ }; do
	fragment=$top/tools/configs/$part.config
	[ -f "$fragment" ] || die "no configuration '$part' (tools/configs/$part.config); have: $(cd "$top/tools/configs" && ls *.config | sed 's/\.config$//' | grep -vx base | paste -sd' ')"
	fragments+=("$fragment")
done

tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
src=${KERNEL_SRC:-$build/src/linux-source-6.12}
obj=${KERNEL_OBJ:-$build/obj-$name}
jobs=${JOBS:-3}

# The toolchain: Debian's rustc (with rust-src), bindgen from cargo, LLVM.
rustc_bin=/usr/bin/rustc
rustdoc_bin=/usr/bin/rustdoc
bindgen_bin=$(command -v bindgen || echo "$HOME/.cargo/bin/bindgen")
[ -x "$rustc_bin" ] || die "$rustc_bin missing (Debian package rustc-web); run 'make deps'"
[ -x "$bindgen_bin" ] || die "bindgen missing (cargo install --locked bindgen-cli --version 0.73.0); run 'make deps'"
# shellcheck disable=SC2206 # EXTRA_MAKE_ARGS is a list of words
make_args=(-C "$src" O="$obj" LLVM=1 RUSTC="$rustc_bin" RUSTDOC="$rustdoc_bin"
	BINDGEN="$bindgen_bin" ${V:+V=$V} ${EXTRA_MAKE_ARGS:-})

# 1. Unpack (once).
if [ ! -f "$src/Makefile" ]; then
	[ -f "$tarball" ] || die "$tarball missing (Debian package linux-source-6.12)"
	say "unpacking $tarball"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp"
	[ -f "$src.tmp/linux-source-6.12/Makefile" ] || die "$tarball has no linux-source-6.12/"
	rm -rf "$src"
	mv "$src.tmp/linux-source-6.12" "$src"
	rmdir "$src.tmp"
fi

# 2. Graft.
"$top/tools/graft-kernel.sh" "$src"

# 3. Configure, when the fragments changed or there is no configuration.
mkdir -p "$obj"
config_id=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.config-fragments" 2>/dev/null)" != "$config_id" ]; then
	say "configuring $name in $obj"
	make -s "${make_args[@]}" tinyconfig
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
		"${fragments[@]}") >/dev/null
	make -s "${make_args[@]}" olddefconfig
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
	[ -z "$missing" ] || die "options not set as requested (dependencies?): $(echo "$missing" | paste -sd' ')"
	echo "$config_id" > "$obj/.config-fragments"
fi

# 4. Build and install.
say "building $name in $obj (make -j$jobs)"
start=$(date +%s.%N)
make "${make_args[@]}" -j"$jobs"
say "built in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s"

rm -rf "$out/modules"
make -s "${make_args[@]}" INSTALL_MOD_PATH="$out/modules" modules_install
for f in arch/x86/boot/bzImage vmlinux System.map; do
	cp "$obj/$f" "$out/$(basename "$f")"
done
cp "$obj/.config" "$out/config"
say "done: $out"
