#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian trixie guest's base root: Debian's own packages, unmodified,
# made with mmdebstrap from the archive the host's apt sources name, without
# any kernel. It is a tarball, build/debian/base.tar, that every run unpacks
# into a root of its own (tools/debian/install.sh) before installing the
# kernel packages under test into it.
#
#   image.sh            make build/debian/base.tar unless it is up to date
#   image.sh --force    make it again
#   image.sh --dev      build/debian/base-dev.tar: the same with Debian's C
#                       compiler and make added, a root to build out-of-tree
#                       modules in against a linux-headers package
#                       (tools/debian/oot-build.sh)
#
# The tarball is made again only when its inputs change: this script (the
# package list and the settings below are part of it), lib.sh and the
# archive address; base.tar.inputs beside it holds their hash.
# DEBIAN_ARCHIVE names another archive (a local mirror). A missing network
# or archive stops with a message (at once when the archive cannot be
# reached at all; stalled transfers after 30 s), and leaves the old tarball
# (if any) as it was.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
image=$work/base.tar

# What the guest runs: systemd as init, udev and kmod to load modules,
# initramfs-tools for Debian's kernel hooks (linux-base: Debian's kernel
# packages depend on it), the decompressors for modules and initrds, and
# the tools the in-guest checks use.
packages=systemd,systemd-sysv,udev,kmod,initramfs-tools,linux-base
packages+=,e2fsprogs,xz-utils,zstd,util-linux,procps,iproute2,cpio

die() { echo "debian-image: error: $*" >&2; exit 1; }

force=no
for arg; do
	case $arg in
	--force) force=yes ;;
	--dev)
		image=$work/base-dev.tar
		packages+=,gcc,make,libc6-dev ;;
	*) die "usage: $0 [--force] [--dev]" ;;
	esac
done

archive=$(debian_archive)
inputs=$( { cat "${BASH_SOURCE[0]}" "$top/tools/debian/lib.sh"; echo "$archive $packages"; } | sha256sum | cut -d' ' -f1)

if [ "$force" = no ] && [ -f "$image" ] &&
	[ "$(cat "$image.inputs" 2>/dev/null)" = "$inputs" ]; then
	exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap missing: apt-get install mmdebstrap"

# Fail fast and clearly when the archive cannot be reached at all, rather
# than through apt's retries.
if ! curl -fsS --max-time 30 -o /dev/null "$archive/dists/trixie/InRelease" 2>/dev/null; then
	die "cannot fetch $archive/dists/trixie/InRelease (no network, or the archive has no trixie): nothing was changed"
fi

mkdir -p "$work"
tmp=${image%.tar}.tmp.tar
log=${image%.tar}.log
rm -f "$tmp"
echo "debian-image: making $image from $archive (trixie)"
start=$(date +%s)
# The hooks are an administrator's settings, not changes to any package:
#  - fstab names the root file system (as the installer writes it; mkinitramfs
#    reads it to put the right fsck into the initrd, and systemd checks and
#    remounts the root by it). install.sh labels the file system.
#  - initramfs-tools' FSTYPE=ext4 (conf.d/fstype): the image is made in a
#    chroot where the root's device does not exist, so mkinitramfs cannot
#    probe its type and would leave fsck out of the initrd (initramfs.conf(5)
#    provides FSTYPE for this). MODULES=most and COMPRESS stay Debian's.
#  - no documentation, manual pages or translations (dpkg path-exclude), to
#    keep the image small.
# Timeouts: apt gives up on a stalled connection after 30 s and retries
# once; the whole build is bounded by `timeout`.
# shellcheck disable=SC2016 # the hooks' $1 is mmdebstrap's
if ! timeout 1200 mmdebstrap --variant=essential --include="$packages" \
	--aptopt='Acquire::http::Timeout "30"' --aptopt='Acquire::Retries "1"' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-include=/usr/share/locale/locale.alias' \
	--customize-hook='echo debian-guest >"$1/etc/hostname"' \
	--customize-hook='printf "127.0.1.1\tdebian-guest\n" >>"$1/etc/hosts"' \
	--customize-hook='echo "LABEL=debian-root / ext4 rw,errors=remount-ro 0 1" >"$1/etc/fstab"' \
	--customize-hook='echo FSTYPE=ext4 >"$1/etc/initramfs-tools/conf.d/fstype"' \
	trixie "$tmp" "deb $archive trixie main" >"$log" 2>&1; then
	rm -f "$tmp"
	tail -n 8 "$log" | sed 's/^/    /' >&2
	die "mmdebstrap failed or timed out (archive $archive; log: $log); nothing was changed"
fi
mv "$tmp" "$image"
echo "$inputs" >"$image.inputs"
end=$(date +%s)
echo "debian-image: $image: $(du -m "$image" | cut -f1) MB, $(tar -tf "$image" | wc -l) files, made in $((end - start)) s"
