#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds an out-of-tree module the way DKMS does on Debian: in a root made
# from Debian's packages only (the guest's base with gcc and make added:
# image.sh --dev), with the linux-headers package of the kernel under test
# installed by dpkg, against /lib/modules/VERSION/build. Neither rustc nor
# this project's module-hashes tool is there: the tool that the headers
# package carries in scripts/module-hashes/ is removed before the build, so
# a build that needed it would fail. Then it signs a copy with the headers'
# scripts/sign-file and the repository's public test key
# (tools/debian/oot/test-key.pem), as DKMS signs with its MOK key.
#
#   oot-build.sh DEBDIR OUTDIR
#
# OUTDIR receives oot_hello.ko (unsigned), oot_hello-signed.ko and
# oot-build.log; TAP on standard output.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
here=$top/tools/debian
die() { echo "debian-oot: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 DEBDIR OUTDIR"
debdir=$(cd "$1" && pwd) || die "no directory $1"
out=$2
headers=()
for f in "$debdir"/linux-headers-*.deb; do [ -f "$f" ] && headers+=("$f"); done
[ ${#headers[@]} -eq 1 ] || die "want exactly one linux-headers-*.deb in $debdir, found ${#headers[@]}"

n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/# /'; }

"$here/image.sh" --dev >&2 || die "could not make the build image (image.sh --dev)"
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/oot-build.log
root=$out/root
rm -rf "$root" "$out"/*.ko
mkdir -p "$root"
tar -xpf "$work/base-dev.tar" -C "$root" --numeric-owner

cp "${headers[0]}" "$root/tmp/"
rc=0
in_root "$root" dpkg -i "/tmp/${headers[0]##*/}" >"$log" 2>&1 || rc=$?
ok $rc "dpkg -i ${headers[0]##*/} in the build image (exit $rc)"
[ $rc -eq 0 ] || { tail -n 20 "$log" | diag; exit 1; }
build=$(cd "$root" && echo lib/modules/*/build)
version=${build#lib/modules/}
version=${version%/build}
# builddeb makes build an absolute link (/usr/src/linux-headers-VERSION):
# resolve it inside the root, not on the host.
headers_dir=$(in_root "$root" readlink -e "/$build") ||
	die "the headers package installed no /lib/modules/VERSION/build (or it points nowhere)"
[ -d "$root$headers_dir" ] || die "/$build -> $headers_dir is not a directory"

in_root "$root" sh -c '! command -v rustc && ! command -v cargo' >/dev/null
ok $? "the build image has no rustc or cargo"
tools=$(cd "$root$headers_dir" && find . -type f -name module-hashes -print -delete | paste -sd' ')
echo "module-hashes in the headers package: ${tools:-none}; removed" | diag

mkdir -p "$root/usr/src/oot_hello"
cp "$top/tools/debian/oot/oot_hello.c" "$top/tools/debian/oot/Kbuild" "$root/usr/src/oot_hello/"
rc=0
in_root "$root" make -C "/$build" M=/usr/src/oot_hello modules >>"$log" 2>&1 || rc=$?
ok $rc "make -C /lib/modules/$version/build M=/usr/src/oot_hello modules (exit $rc; log $log)"
[ $rc -eq 0 ] || { tail -n 20 "$log" | diag; exit 1; }
ko=$root/usr/src/oot_hello/oot_hello.ko
! tail -c 28 "$ko" | grep -q 'Module signature appended'
ok $? "the module kbuild built has no trailer (kbuild signs out-of-tree modules only with MODULE_SIG_ALL and a key)"

# Signed as DKMS signs: sign-file from the headers package.
mkdir -p "$root/var/lib/oot-key"
cp "$top/tools/debian/oot/test-key.pem" "$top/tools/debian/oot/test-cert.pem" "$root/var/lib/oot-key/"
cp "$ko" "$root/usr/src/oot_hello/oot_hello-signed.ko"
rc=0
in_root "$root" "/$build/scripts/sign-file" sha256 /var/lib/oot-key/test-key.pem /var/lib/oot-key/test-cert.pem \
	/usr/src/oot_hello/oot_hello-signed.ko >>"$log" 2>&1 || rc=$?
ok $rc "scripts/sign-file sha256 from the headers package signed a copy with the test key (exit $rc)"
signer=$(in_root "$root" modinfo -F signer /usr/src/oot_hello/oot_hello-signed.ko 2>>"$log")
[ "$signer" = "Out-of-tree module test key (public, tests only)" ]
ok $? "modinfo names the signer: \"$signer\""
cp "$ko" "$root/usr/src/oot_hello/oot_hello-signed.ko" "$out/"
rm -rf "$root"
[ "$failed" -eq 0 ]
