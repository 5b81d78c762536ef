#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# graft-kernel.sh SRC_DIR
#
# Turns an unpacked Linux 7.3 or 6.12 source tree into one with
# CONFIG_MODULE_HASHES: the equivalent of `git am` of the series that
# tools/make-series.sh exports for the base BASE it finds there
# (build/series/BASE/), followed by the project's local patches
# (build/series/BASE-local/, not part of the feature).
#
# Incremental: the series is applied to a scratch copy of the files it
# touches, and only the files whose contents change are written, so that a
# kernel built from the tree before is rebuilt only where the series
# changed. A tree grafted before with another version of the series (saved
# in the tree) gets that version reverted first. A tree the series does not
# apply to is refused, with the failing patch named, and left unchanged.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "graft-kernel: error: $*" >&2; exit 1; }
say() { echo "graft-kernel: $*"; }

[ $# -eq 1 ] || { echo "usage: $0 SRC_DIR" >&2; exit 2; }
src=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such directory"

[ -f "$src/Makefile" ] && [ -f "$src/kernel/module/signing.c" ] ||
	die "$src is not a Linux source tree"
version=$(sed -n 's/^VERSION = //p;s/^PATCHLEVEL = //p' "$src/Makefile" | paste -sd.)
case $version in
7.3 | 6.12) ;;
*) die "$src is Linux ${version:-of no known version}; the series exists for 7.3 and 6.12 only (patches/*/series): unpack Debian's linux-source-7.3 or linux-source-6.12 instead; nothing was changed" ;;
esac

"$top/tools/make-series.sh" "$version" >/dev/null
new=$(mktemp -d)
trap 'rm -rf "$new"' EXIT
# The patches to apply, in order, gathered in one directory.
n=0
for dir in "$top/build/series/$version" "$top/build/series/$version-local"; do
	[ -f "$dir/series" ] || continue
	while read -r p; do
		n=$((n + 1))
		name=$(printf '%03d-%s' "$n" "$p")
		cp "$dir/$p" "$new/$name"
		echo "$name" >>"$new/series"
	done <"$dir/series"
done

# Where the tree keeps the patches it was grafted with.
state=$src/.module-hashes-graft
old=$state/patches
[ -f "$old/series" ] || old=

if [ -n "$old" ] && diff -r -q "$new" "$old" >/dev/null; then
	say "$src is grafted with this series already"
	exit 0
fi

# files_of DIR: the kernel files the patches in DIR touch.
files_of() {
	(cd "$1" && sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p;s|^--- a/\([^[:space:]]*\).*|\1|p' $(cat series))
}
# run DIR [-R]: applies (-R: reverts) the patches of DIR in the scratch tree.
run() {
	local dir=$1 p out
	shift
	local order
	order=$(cat "$dir/series")
	[ $# -eq 0 ] || order=$(echo "$order" | tac)
	for p in $order; do
		out=$(cd "$scratch" && patch -p1 --force --no-backup-if-mismatch \
			--reject-file=- "$@" -i "$dir/$p" 2>&1) || { echo "${p#???-}"; echo "$out" | sed 's/^/    /'; return 1; }
	done
}

# 1. The scratch tree: the touched files as they are in the tree, the old
# series reverted, the new one applied.
scratch=$new/scratch
mkdir "$scratch"
mapfile -t files < <({ files_of "$new"; [ -z "$old" ] || files_of "$old"; } | sort -u)
for f in "${files[@]}"; do
	if [ -f "$src/$f" ]; then
		mkdir -p "$scratch/$(dirname "$f")"
		cp -p "$src/$f" "$scratch/$f"
	fi
done
if [ -n "$old" ] && ! failed=$(run "$old" -R); then
	die "$src: the series it was grafted with no longer reverts (the tree was changed since), at $(echo "$failed" | head -1); nothing was changed:
$(echo "$failed" | tail -n +2)"
fi
if ! failed=$(run "$new"); then
	die "$src: patch $(echo "$failed" | head -1) does not apply cleanly; nothing was changed:
$(echo "$failed" | tail -n +2)"
fi

# 2. Write what differs; remove what the series no longer adds.
written=0
for f in "${files[@]}"; do
	if [ -f "$scratch/$f" ]; then
		cmp -s "$scratch/$f" "$src/$f" && continue
		mkdir -p "$(dirname "$src/$f")"
		cp "$scratch/$f" "$src/$f.graft-tmp"
		mv "$src/$f.graft-tmp" "$src/$f"
	elif [ -f "$src/$f" ]; then
		rm "$src/$f"
	else
		continue
	fi
	say "updated $f"
	written=$((written + 1))
done

# 3. Remember the series, so that a later version can replace it.
rm -rf "$state.tmp"
mkdir -p "$state.tmp"
rm -rf "$scratch"
cp -r "$new" "$state.tmp/patches"
rm -rf "$state"
mv "$state.tmp" "$state"
say "done: $src has CONFIG_MODULE_HASHES ($n patches, $written files written)"
