#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Replaces the Merkle proof of every module installed in a Debian root by a
# PKCS#7 signature made with the repository's public test key
# (tools/debian/oot/), then rebuilds the root's initrd with Debian's
# update-initramfs: the same kernel and the same modules, authenticated by
# signatures instead of proofs, for the boot-cost benchmark
# (tools/debian/boot-cost.sh). The kernel must trust the test key
# (CONFIG_SYSTEM_TRUSTED_KEYS, as build/debian-scale builds it).
#
#   resign-modules.sh DEBDIR ROOT
#
# sign-file is the one of DEBDIR's linux-headers package, run in the build
# root (the trixie system it was built for). Modules are decompressed, cut
# at their trailer, signed and compressed again as kbuild compresses them
# (xz --check=crc32 --lzma2=dict=1MiB; zstd -T0 --ultra -22; gzip -n -f).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
self=$top/tools/debian/resign-modules.sh

# --one SIGNFILE KEY CERT MODULE: one module (runs in the build root).
if [ "${1:-}" = --one ]; then
	signfile=$2 key=$3 cert=$4 f=$5
	tmp=$f.resign.ko
	case $f in
	*.xz) xz -dc "$f" >"$tmp" ;;
	*.zst) zstd -qdc "$f" >"$tmp" ;;
	*.gz) gzip -dc "$f" >"$tmp" ;;
	*) cp "$f" "$tmp" ;;
	esac
	size=$(stat -c %s "$tmp")
	if [ "$(tail -c 28 "$tmp")" = "~Module signature appended~" ]; then
		# struct module_signature ends with sig_len, big endian.
		siglen=$(tail -c 32 "$tmp" | head -c 4 | od -An -tu1 |
			awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
		truncate -s $((size - 40 - siglen)) "$tmp"
	fi
	"$signfile" sha256 "$key" "$cert" "$tmp"
	case $f in
	*.xz) xz --check=crc32 --lzma2=dict=1MiB -c "$tmp" >"$f" ;;
	*.zst) zstd -q -T0 --ultra -22 -c "$tmp" >"$f" ;;
	*.gz) gzip -n -c "$tmp" >"$f" ;;
	*) cp "$tmp" "$f" ;;
	esac
	rm -f "$tmp"
	exit 0
fi

# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
die() { echo "resign-modules: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 DEBDIR ROOT"
debdir=$(cd "$1" && pwd) root=$(cd "$2" && pwd)
case $root in "$top"/*) ;; *) die "$root is outside $top (the build root sees only $top)" ;; esac
headers=("$debdir"/linux-headers-*.deb)
[ -f "${headers[0]}" ] || die "no linux-headers-*.deb in $debdir"

tools=$(mktemp -d "$top/build/resign.XXXXXX")
trap 'rm -rf "$tools"' EXIT
dpkg-deb -x "${headers[0]}" "$tools/headers"
signfile=$(find "$tools/headers" -path '*/scripts/sign-file' -type f | head -n 1)
[ -n "$signfile" ] || die "${headers[0]} has no scripts/sign-file"
cp "$top/tools/debian/oot/test-key.pem" "$top/tools/debian/oot/test-cert.pem" "$tools/"

versions=("$root"/lib/modules/*)
[ ${#versions[@]} -eq 1 ] || die "want one kernel in $root/lib/modules"
version=${versions[0]##*/}
n=$(find "$root/lib/modules/$version" -name '*.ko*' -type f | wc -l)
echo "resign-modules: signing $n modules of $version with the test key"
find "$root/lib/modules/$version" -name '*.ko*' -type f -print0 |
	"$top/tools/buildroot.sh" run xargs -0 -P "$(nproc)" -n 1 \
		"$self" --one "$signfile" "$tools/test-key.pem" "$tools/test-cert.pem"
in_root "$root" update-initramfs -u -k "$version"
