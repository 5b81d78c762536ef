#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian trixie build root that Linux 7.3 is built in: Debian's own
# kernel toolchain (gcc 14, rustc 1.85, bindgen 0.71, LLVM 19, pahole) and
# Debian's linux-source-7.3 from trixie-backports. 7.3 needs LLVM >= 17 for
# bindgen, which the bookworm host does not have.
#
#   buildroot.sh create        make build/root-7.3 unless it exists (mmdebstrap)
#   buildroot.sh run CMD...    run CMD inside it, as root, in the current
#                              directory: the project directory, /tmp, /proc
#                              and /dev are mounted at the same paths, in a
#                              mount namespace of its own (nothing stays
#                              mounted afterwards)
#
# The archive is the one the host's own apt sources name for Debian (or
# DEBIAN_ARCHIVE, e.g. a local mirror); the suites trixie and
# trixie-backports are asked from it. If the root cannot be made, nothing is
# left behind. BUILDROOT names another place for the root.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${BUILDROOT:-$top/build/root-7.3}
# Debian's kernel toolchain for 7.3, the kernel source, and what `make
# bindeb-pkg` runs (dpkg-buildpackage, debhelper).
packages=gcc,make,bc,bison,flex,libelf-dev,libssl-dev,rustc,rust-src,rust-clippy
packages+=,bindgen,libclang-dev,clang,lld,llvm,dwarves,libdw-dev,python3,cpio
packages+=,kmod,xz-utils,zstd,gzip,rsync,git,ca-certificates,dpkg-dev,debhelper
packages+=,build-essential
packages+=,linux-source-7.3
# The arm64 cross toolchain (make kernel ARCH=arm64): GCC 14 as for amd64,
# and a C library for the test program.
packages+=,gcc-aarch64-linux-gnu,libc6-dev-arm64-cross
# Where the root records the list it was made with or brought up to.
stamp=.module-hashes-packages

die() { echo "buildroot: error: $*" >&2; exit 1; }

# shellcheck source=tools/debian-archive.sh
. "$top/tools/debian-archive.sh"

create() {
	if [ -x "$root/usr/bin/rustc" ] && [ -f "$root/usr/src/linux-source-7.3.tar.xz" ]; then
		[ "$(cat "$root/$stamp" 2>/dev/null)" = "$packages" ] && return 0
		# A root made with an older list: add what is missing.
		echo "buildroot: installing into $root: ${packages//,/ }"
		log=$(mktemp /tmp/buildroot.XXXXXX.log)
		run sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"' \
			sh ${packages//,/ } >"$log" 2>&1 ||
			die "could not install the packages into $root (no network to the archive? log: $log)"
		rm -f "$log"
		echo "$packages" >"$root/$stamp"
		return 0
	fi
	command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run 'make deps' (apt-get install mmdebstrap)"
	local archive tmp=$root.tmp log
	archive=$(debian_archive) || die "no archive to make the build root from; or set BUILDROOT to an existing trixie root"
	echo "buildroot: making $root from $archive (trixie, trixie-backports)"
	mkdir -p "$(dirname "$root")"
	rm -rf "$tmp"
	log=$(mktemp /tmp/buildroot.XXXXXX.log)
	if ! mmdebstrap --quiet --variant=minbase --include="$packages" trixie "$tmp" \
		"deb $archive trixie main" "deb $archive trixie-backports main" >"$log" 2>&1; then
		rm -rf "$tmp"
		tail -n 5 "$log" | sed 's/^/    /' >&2
		die "could not make the build root from $archive (no network to the archive? log: $log); nothing was changed"
	fi
	rm -f "$log"
	echo "$packages" >"$tmp/$stamp"
	rm -rf "$root"
	mv "$tmp" "$root"
	echo "buildroot: $root: $(run gcc --version | head -n 1), $(run rustc --version)"
}

run() {
	[ -x "$root/usr/bin/rustc" ] || die "$root missing: run 'tools/buildroot.sh create' (make deps)"
	local dir
	for dir in "$top" /tmp /proc /dev; do
		mkdir -p "$root$dir"
	done
	unshare --mount --propagation private /bin/sh -ec '
		root=$1 top=$2 cwd=$3; shift 3
		mount --bind "$top" "$root$top"
		mount --bind /tmp "$root/tmp"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		exec chroot "$root" /usr/bin/env -C "$cwd" PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
	' sh "$root" "$top" "$PWD" "$@"
}

case ${1:-} in
create) create ;;
run) shift; [ $# -gt 0 ] || die "usage: $0 run CMD..."; run "$@" ;;
*) echo "usage: $0 create | run CMD..." >&2; exit 2 ;;
esac
