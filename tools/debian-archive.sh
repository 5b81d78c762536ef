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

# private_apt DIR SUITE [ARCH]: an apt configuration of its own in DIR for
# SUITE of debian_archive and architecture ARCH (default amd64), the host's
# sources and state untouched; sets apt_opts for apt-get and apt-cache and
# runs apt-get update (30 s without an answer fails, 300 s in all).
private_apt() {
	local dir=$1 suite=$2 arch=${3:-amd64} archive
	archive=$(debian_archive) || return 1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $suite main" >"$dir/sources.list"
	: >"$dir/status"
	apt_opts=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
		-o Dir::State::status="$dir/status" -o APT::Architecture="$arch"
		-o Acquire::http::Timeout=30 -o Acquire::Retries=1 -o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
	timeout 300 apt-get "${apt_opts[@]}" -qq --error-on=any update >"$dir/update.log" 2>&1 || {
		echo "debian: error: apt-get update for $suite from $archive failed or timed out (no network? log: $dir/update.log)" >&2
		return 1
	}
}
