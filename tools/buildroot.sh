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
# The archive is the one the host's own apt sources name for Debian; the
# suites trixie and trixie-backports are asked from it. If the root cannot
# be made, nothing is left behind.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${BUILDROOT:-$top/build/root-7.3}
# Debian's kernel toolchain for 7.3, and the kernel source.
packages=gcc,make,bc,bison,flex,libelf-dev,libssl-dev,rustc,rust-src,rust-clippy
packages+=,bindgen,libclang-dev,clang,lld,llvm,dwarves,python3,cpio,kmod
packages+=,xz-utils,zstd,gzip,rsync,git,ca-certificates,dpkg-dev,linux-source-7.3

die() { echo "buildroot: error: $*" >&2; exit 1; }

# The Debian archive the host's apt sources use (deb822 or one-line format).
debian_archive() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^URIs:/ { uris = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+$/) suite = $i }
		/^$/ { if (uris ~ /\/debian\/?$/ && suite != "") { print uris; exit } uris = ""; suite = "" }
		END { if (uris ~ /\/debian\/?$/ && suite != "") print uris }' | head -n 1)
	[ -n "$uri" ] || uri=$(sed -n 's|^deb \(\[[^]]*\] \)\?\([^ ]*/debian/\?\) [a-z]* .*|\2|p' \
		/etc/apt/sources.list 2>/dev/null | head -n 1)
	[ -n "$uri" ] || die "no Debian archive in /etc/apt/sources.list{,.d}: add one, or set BUILDROOT to an existing trixie root"
	echo "${uri%/}"
}

create() {
	if [ -x "$root/usr/bin/rustc" ] && [ -f "$root/usr/src/linux-source-7.3.tar.xz" ]; then
		return 0
	fi
	command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run 'make deps' (apt-get install mmdebstrap)"
	local archive tmp=$root.tmp
	archive=$(debian_archive)
	echo "buildroot: making $root from $archive (trixie, trixie-backports)"
	rm -rf "$tmp"
	if ! mmdebstrap --quiet --variant=minbase --include="$packages" trixie "$tmp" \
		"deb $archive trixie main" "deb $archive trixie-backports main" >"$root.log" 2>&1; then
		rm -rf "$tmp"
		tail -n 5 "$root.log" | sed 's/^/    /' >&2
		die "could not make the build root from $archive (network to the archive? full log: $root.log); nothing was changed"
	fi
	rm -rf "$root"
	mv "$tmp" "$root"
	echo "buildroot: $root: $("$0" run gcc --version | head -n 1), $("$0" run rustc --version)"
}

run() {
	[ -x "$root/usr/bin/rustc" ] || die "$root missing: run 'tools/buildroot.sh create' (make deps)"
	local dir
	for dir in "$top" /tmp /proc /dev; do
		mkdir -p "$root$dir"
	done
	exec unshare --mount --propagation private /bin/sh -ec '
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
