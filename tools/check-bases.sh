#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What happens on a base this project cannot use: a kernel tree that is
# neither 7.3 nor 6.12 is refused by graft-kernel.sh with a message naming
# its version and the bases, and left byte for byte as it was; a build root
# whose archive cannot be reached is refused by buildroot.sh with a message
# naming the archive, and leaves nothing behind. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/tap.sh"
mkdir -p "$top/build/tmp"
tmp=$(mktemp -d "$top/build/tmp/check-bases.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A tree that looks like Linux 6.6: the files graft-kernel.sh reads and
# those the series would change.
tree=$tmp/linux-6.6
mkdir -p "$tree/kernel/module" "$tree/scripts"
printf 'VERSION = 6\nPATCHLEVEL = 6\nSUBLEVEL = 0\n' >"$tree/Makefile"
echo '/* signing */' >"$tree/kernel/module/signing.c"
echo 'obj-y += main.o' >"$tree/kernel/module/Makefile"
before=$(cd "$tmp" && find linux-6.6 -type f -exec sha256sum {} + | sort)
"$top/tools/graft-kernel.sh" "$tree" >"$tmp/graft.log" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'is Linux 6.6; the series exists for 7.3 and 6.12 only' "$tmp/graft.log" &&
	[ "$(cd "$tmp" && find linux-6.6 -type f -exec sha256sum {} + | sort)" = "$before" ]
ok $? "graft-kernel.sh refuses Linux 6.6, says which bases exist, changes nothing"
sed 's/^/# /' "$tmp/graft.log"

# A build root from an archive nobody answers at (port 9, discard).
if command -v mmdebstrap >/dev/null; then
	BUILDROOT=$tmp/root DEBIAN_ARCHIVE=http://127.0.0.1:9/debian \
		timeout 300 "$top/tools/buildroot.sh" create >"$tmp/out.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -q 'could not make the build root from http://127.0.0.1:9/debian' "$tmp/out.log" &&
		[ -z "$(ls -A "$tmp" | grep -v '^linux-6.6$\|^out.log$\|^graft.log$')" ]
	ok $? "buildroot.sh without the archive: refuses, names the archive, leaves nothing"
	grep 'buildroot:' "$tmp/out.log" | sed 's/^/# /'
fi
tap_summary
