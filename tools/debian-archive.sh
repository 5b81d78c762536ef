# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the scripts that fetch from Debian's archive (the build root,
# the Debian guest, kmod-check, the Secure Boot firmware tools).

# debian_archive: prints DEBIAN_ARCHIVE, or else the Debian archive the
# host's apt sources use (deb822 .sources, or one-line deb/deb-src in
# sources.list or *.list), without a trailing slash. The mirror serves the
# other suites too (trixie, trixie-backports, bookworm-backports). Fails,
# saying so, when there is none.
debian_archive() {
	local uri=${DEBIAN_ARCHIVE:-}
	[ -n "$uri" ] || uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^URIs:/ { uris = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+$/) suite = $i }
		/^$/ { if (uris ~ /\/debian\/?$/ && suite != "") { print uris; exit } uris = ""; suite = "" }
		END { if (uris ~ /\/debian\/?$/ && suite != "") print uris }' | head -n 1)
	[ -n "$uri" ] || uri=$(sed -n 's|^deb\(-src\)\? \(\[[^]]*\] \)\?\([^ ]*/debian/\?\) [a-z]* .*|\3|p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
	if [ -z "$uri" ]; then
		echo "no Debian archive in /etc/apt/sources.list{,.d}: add one, or set DEBIAN_ARCHIVE" >&2
		return 1
	fi
	echo "${uri%/}"
}
