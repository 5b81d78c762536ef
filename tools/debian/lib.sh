# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared by the scripts of tools/debian/: source it with $top set.

work=${DEBIAN_WORK:-$top/build/debian}

# debian_archive: the Debian archive the host's apt sources use (deb822 or
# one-line format), or DEBIAN_ARCHIVE; the mirror serves trixie too.
debian_archive() {
	local uri=${DEBIAN_ARCHIVE:-}
	[ -n "$uri" ] || uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^URIs:/ { uris = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+$/) suite = $i }
		/^$/ { if (uris ~ /\/debian\/?$/ && suite != "") { print uris; exit } uris = ""; suite = "" }
		END { if (uris ~ /\/debian\/?$/ && suite != "") print uris }' | head -n 1)
	[ -n "$uri" ] || uri=$(sed -n 's|^deb \(\[[^]]*\] \)\?\([^ ]*/debian/\?\) [a-z]* .*|\2|p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
	if [ -z "$uri" ]; then
		echo "debian: error: no Debian archive in /etc/apt/sources.list{,.d}: add one, or set DEBIAN_ARCHIVE" >&2
		return 1
	fi
	echo "${uri%/}"
}
