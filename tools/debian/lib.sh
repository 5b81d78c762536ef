# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared by the scripts of tools/debian/: source it with $top set.

work=${DEBIAN_WORK:-$top/build/debian}

# shellcheck source=tools/debian-archive.sh
. "$top/tools/debian-archive.sh"

# private_apt DIR SUITE: an apt configuration of its own in DIR for SUITE
# of debian_archive, the host's sources and state untouched; sets apt_opts
# for apt-get and apt-cache and runs apt-get update (30 s without an
# answer fails, 300 s in all).
private_apt() {
	local dir=$1 suite=$2 archive
	archive=$(debian_archive) || return 1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $suite main" >"$dir/sources.list"
	: >"$dir/status"
	apt_opts=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
		-o Dir::State::status="$dir/status" -o APT::Architecture=amd64
		-o Acquire::http::Timeout=30 -o Acquire::Retries=1 -o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
	timeout 300 apt-get "${apt_opts[@]}" -qq --error-on=any update >"$dir/update.log" 2>&1 || {
		echo "debian: error: apt-get update for $suite from $archive failed or timed out (no network? log: $dir/update.log)" >&2
		return 1
	}
}

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
