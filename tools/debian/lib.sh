# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared by the scripts of tools/debian/: source it with $top set.

work=${DEBIAN_WORK:-$top/build/debian}

# shellcheck source=tools/debian-archive.sh
. "$top/tools/debian-archive.sh"

# in_root ROOT CMD...: runs CMD in the Debian root ROOT (a chroot) with
# /proc, /sys and /dev mounted, in a mount namespace of its own (nothing
# stays mounted), with a clean environment.
in_root() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private /bin/sh -ec '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount -t sysfs sysfs "$root/sys"
		mount --rbind /dev "$root/dev"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive "$@"
	' sh "$@"
}
