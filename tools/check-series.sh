#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-series.sh [CONFIGNAME]
#
# Bisectability of the series of base KERNEL (7.3 unless set): `git am` of
# build/series/KERNEL/ and then build/series/KERNEL-local/ on the pristine
# base gives exactly the tree tools/make-series.sh made, and the kernel
# builds (vmlinux, modules, modules_install) with the test configuration
# CONFIGNAME (default hashes) after every patch, from one O= directory, so
# that each step rebuilds only what the patch changed. Options a patch does
# not have yet are dropped by Kconfig and reported. checkpatch.pl runs on
# every patch: errors fail, warnings are shown. Prints TAP.
#
# Takes one kernel build and one incremental build per patch: 15 minutes
# for 7.3, 18 for 6.12 on 2 cores. Not part of make test (see README.md).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# Measured and checked on x86_64 (arm64: qemu-suite.sh, reproducible.sh).
[ "${ARCH:-x86_64}" = x86_64 ] || { echo "check-series: x86_64 only, not ARCH=$ARCH" >&2; exit 2; }
. "$top/tools/tap.sh"
kernel=${KERNEL:-7.3}
name=${1:-hashes}
repo=$top/build/series/base-$kernel
tree=$top/build/series/check-$kernel
obj=$top/build/obj-$kernel-series-$name
out=$top/build/tmp/check-series-$kernel
mkdir -p "$out"

"$top/tools/make-series.sh" "$kernel" || exit 1
want=$(git -C "$repo" rev-parse 'HEAD^{tree}')

# A worktree of its own: make-series.sh may check out the repository again.
if [ ! -e "$tree/.git" ]; then
	rm -rf "$tree"
	git -C "$repo" worktree prune
	git -C "$repo" worktree add -q --detach "$tree" base
fi
git -C "$tree" checkout -q -f --detach base && git -C "$tree" clean -q -fdx
mapfile -t patches < <(sed "s|^|$top/build/series/$kernel/|" "$top/build/series/$kernel/series"
	[ ! -f "$top/build/series/$kernel-local/series" ] ||
		sed "s|^|$top/build/series/$kernel-local/|" "$top/build/series/$kernel-local/series")

export GIT_COMMITTER_NAME='Module Hashes Developers' GIT_COMMITTER_EMAIL='module-hashes@localhost'
i=0
for p in "${patches[@]}"; do
	i=$((i + 1))
	label="$(basename "$p" .patch)"
	if ! git -C "$tree" am -q "$p" >"$out/am.log" 2>&1; then
		ok 1 "$label: git am"
		sed 's/^/# /' "$out/am.log"
		git -C "$tree" am --abort
		break
	fi
	(cd "$tree" && ./scripts/checkpatch.pl --no-signoff -q "$p") >"$out/checkpatch-$i.log" 2>&1
	errors=$(grep -c '^ERROR:' "$out/checkpatch-$i.log")
	[ "$errors" -eq 0 ]
	ok $? "$label: checkpatch.pl, no error ($(grep -c '^WARNING:' "$out/checkpatch-$i.log") warnings)"
	grep -E '^(ERROR|WARNING):' "$out/checkpatch-$i.log" | sed 's/^/# /'
	rm -f "$obj/.config-fragments"
	start=$(date +%s)
	GRAFT=no KERNEL_SRC=$tree KERNEL_OBJ=$obj "$top/tools/build-kernel.sh" "$name" "$out/out" \
		>"$out/build-$i.log" 2>&1
	ok $? "$label: builds ($(($(date +%s) - start)) s)"
	grep -E 'options this tree does not have|error:' "$out/build-$i.log" | head -5 | sed 's/^/# /'
done
[ "$(git -C "$tree" rev-parse 'HEAD^{tree}')" = "$want" ]
ok $? "git am of the whole series gives the tree make-series.sh exported"
tap_summary
