#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's own trixie kernel package, as a reference DEBDIR for run.sh: the
# package linux-image-amd64 depends on (linux-image-6.12.*-amd64, modules
# signed with Debian's key, PKCS#7), downloaded with a private apt
# configuration that asks the host's Debian archive for trixie without
# touching the host's own sources.
#
#   debian-kernel.sh [DIR]    DIR defaults to build/debian/debian-kernel;
#                             prints DIR. Nothing is fetched when DIR already
#                             holds the current package.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
dir=${1:-$work/debian-kernel}
die() { echo "debian-kernel: error: $*" >&2; exit 1; }

archive=$(debian_archive)
mkdir -p "$dir"
private_apt "$work/apt" trixie || exit 1
pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1) || true
[ -n "$pkg" ] || die "linux-image-amd64 names no linux-image package"
if ! ls "$dir/${pkg}"_*.deb >/dev/null 2>&1; then
	rm -f "$dir"/linux-image-*.deb
	(cd "$dir" && timeout 600 apt-get "${apt_opts[@]}" -qq download "$pkg") ||
		die "could not download $pkg from $archive"
fi
echo "$dir"
