#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# graft-kernel.sh SRC_DIR
#
# Turns an unpacked Linux 7.3 or 6.12 source tree into one with
# CONFIG_MODULE_HASHES. This is the one place that says what the project
# changes in a kernel tree, for the base BASE (7.3 or 6.12) it finds there:
#
#   1. copy the overlay files: the files of this repository that carry the
#      kernel path they land at (OVERLAY below), shared by both bases, and
#      those in patches/BASE/overlay/, which only that base has or which
#      replace a shared file there;
#   2. apply patches/BASE/series, the changes to existing kernel files, with
#      `patch -p1 --forward`, after checking that every patch applies.
#
# Re-runnable: on a tree grafted before, the overlay files are refreshed
# (copied only when they differ, so that an incremental kernel build stays
# incremental) and the patches are left alone. If the tree was grafted with
# an older version of the series, that version (saved in the tree) is
# reverted first. A tree that the series does not apply to cleanly is
# refused, with the name of the failing patch, and left unchanged.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Overlay: paths relative to the repository root and the kernel tree.
# Globs; entries that match nothing are skipped (e.g. Documentation).
OVERLAY=(
	'kernel/module/hashes*.rs'
	'kernel/module/hashes*.[ch]'
	include/linux/module_hashes.h
	scripts/module-hashes/Makefile
	'scripts/module-hashes/*.rs'
	'Documentation/admin-guide/module-hashes*.rst'
	'Documentation/kbuild/module-hashes*.rst'
	'Documentation/ABI/testing/sysfs-kernel-module_hashes'
)

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
pdir=$top/patches/$version

series_file=$pdir/series
[ -f "$series_file" ] || die "$series_file is missing"
mapfile -t series < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$series_file")
[ ${#series[@]} -gt 0 ] || die "$series_file lists no patches"
for p in "${series[@]}"; do
	[ -f "$pdir/$p" ] || die "patches/$version/series names $p, which does not exist"
done

# Where the tree remembers the series it was grafted with.
state=$src/.module-hashes-graft

patch_opts=(-p1 --batch --no-backup-if-mismatch)
# With --batch alone, patch -R meets a patch that is not applied, "ignores
# -R" and applies it forward, reporting success. --force makes it fail.
reverse_opts=(--reverse --force)

# files_of DIR PATCH...: the kernel files the patches touch.
files_of() {
	local dir=$1; shift
	local p
	for p in "$@"; do
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p;s|^--- a/\([^[:space:]]*\).*|\1|p' "$dir/$p"
	done | sort -u
}

# simulate DIR DIRECTION PATCH...: applies (DIRECTION=forward) or reverts
# (reverse, in reverse order) the patches from DIR, one after the other, on a
# scratch copy of the files they touch. Prints the first patch that fails
# and its messages, and returns 1 then.
simulate() {
	local dir=$1 dir_opt=$2; shift 2
	local scratch f p out
	scratch=$(mktemp -d)
	while read -r f; do
		if [ -f "$src/$f" ]; then
			mkdir -p "$scratch/$(dirname "$f")"
			cp -p "$src/$f" "$scratch/$f"
		fi
	done < <(files_of "$dir" "$@")
	local list=("$@")
	if [ "$dir_opt" = reverse ]; then
		local i
		list=()
		for ((i = $# - 1; i >= 0; i--)); do list+=("${@:i+1:1}"); done
	fi
	for p in "${list[@]}"; do
		local flags=(--forward)
		[ "$dir_opt" = reverse ] && flags=("${reverse_opts[@]}")
		if ! out=$(cd "$scratch" && patch "${patch_opts[@]}" "${flags[@]}" \
				--reject-file=- -i "$dir/$p" 2>&1); then
			echo "$p"
			echo "$out" | sed 's/^/    /'
			rm -rf "$scratch"
			return 1
		fi
	done
	rm -rf "$scratch"
	return 0
}

# apply DIR DIRECTION PATCH...: the same on the real tree, each patch
# checked with --dry-run right before.
apply() {
	local dir=$1 dir_opt=$2; shift 2
	local list=("$@") p flags
	if [ "$dir_opt" = reverse ]; then
		local i
		list=()
		for ((i = $# - 1; i >= 0; i--)); do list+=("${@:i+1:1}"); done
		flags=("${reverse_opts[@]}")
	else
		flags=(--forward)
	fi
	for p in "${list[@]}"; do
		(cd "$src" && patch "${patch_opts[@]}" "${flags[@]}" --dry-run -i "$dir/$p" >/dev/null) ||
			die "$p: --dry-run failed on $src (tree changed while grafting?)"
		(cd "$src" && patch "${patch_opts[@]}" --silent "${flags[@]}" -i "$dir/$p") ||
			die "$p: failed on $src; the tree is now partly patched"
		if [ "$dir_opt" = reverse ]; then say "reverted $p"; else say "applied  $p"; fi
	done
}

series_id() { (cd "$1" && cat series "${@:2}") | sha256sum | cut -d' ' -f1; }

# 1. The patches.
new_id=$(series_id "$pdir" "${series[@]}")
old_series=()
if [ -f "$state/patches/series" ]; then
	mapfile -t old_series < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$state/patches/series")
fi

if [ -f "$state/id" ] && [ "$(cat "$state/id")" = "$new_id" ] &&
		simulate "$pdir" reverse "${series[@]}" >/dev/null; then
	say "$src is grafted with this series already; patches left alone"
elif failed=$(simulate "$pdir" forward "${series[@]}"); then
	apply "$pdir" forward "${series[@]}"
elif simulate "$pdir" reverse "${series[@]}" >/dev/null; then
	say "$src has this series applied already; patches left alone"
elif [ ${#old_series[@]} -gt 0 ] &&
		simulate "$state/patches" reverse "${old_series[@]}" >/dev/null; then
	# Grafted with an older series: check the new one applies after
	# reverting the old one, on a scratch tree, before touching anything.
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
	{ files_of "$state/patches" "${old_series[@]}"; files_of "$pdir" "${series[@]}"; } |
		sort -u | while read -r f; do
			if [ -f "$src/$f" ]; then
				mkdir -p "$scratch/$(dirname "$f")"
				cp -p "$src/$f" "$scratch/$f"
			fi
		done
	real_src=$src
	src=$scratch
	simulate "$state/patches" reverse "${old_series[@]}" >/dev/null
	apply "$state/patches" reverse "${old_series[@]}" >/dev/null
	if ! failed=$(simulate "$pdir" forward "${series[@]}"); then
		src=$real_src
		die "$src: after reverting its older series, patch $(echo "$failed" | head -1) does not apply:
$(echo "$failed" | tail -n +2)"
	fi
	src=$real_src
	# Keep the patches the two series share at their start: files they
	# touch keep their timestamps, so less of the kernel is rebuilt.
	keep=0
	while [ $keep -lt ${#old_series[@]} ] && [ $keep -lt ${#series[@]} ] &&
			[ "${old_series[keep]}" = "${series[keep]}" ] &&
			cmp -s "$state/patches/${series[keep]}" "$pdir/${series[keep]}"; do
		keep=$((keep + 1))
	done
	say "$src is grafted with an older series: replacing its last $((${#old_series[@]} - keep)) patches"
	[ $keep -lt ${#old_series[@]} ] && apply "$state/patches" reverse "${old_series[@]:keep}"
	[ $keep -lt ${#series[@]} ] && apply "$pdir" forward "${series[@]:keep}"
else
	die "$src: patch $(echo "$failed" | head -1) does not apply cleanly; nothing was changed:
$(echo "$failed" | tail -n +2)"
fi

# Remember the series, so that a later version can replace it.
rm -rf "$state.tmp"
mkdir -p "$state.tmp/patches"
cp "$series_file" "$state.tmp/patches/series"
for p in "${series[@]}"; do cp "$pdir/$p" "$state.tmp/patches/$p"; done
echo "$new_id" > "$state.tmp/id"
rm -rf "$state"
mv "$state.tmp" "$state"

# 2. The overlay files, copied only when they differ; a file of the base's
# own overlay wins over the shared file at the same path.
copied=0 same=0
shopt -s nullglob globstar
base_overlay=$pdir/overlay
for pattern in "${OVERLAY[@]}" "${base_overlay#"$top"/}/**"; do
	# shellcheck disable=SC2206 # the glob is meant to expand here
	matches=("$top"/$pattern)
	for from in "${matches[@]}"; do
		[ -f "$from" ] || continue
		rel=${from#"$top"/}
		rel=${rel#"${base_overlay#"$top"/}"/}
		[ "$from" != "$top/$rel" ] || [ ! -f "$base_overlay/$rel" ] || continue
		to=$src/$rel
		if cmp -s "$from" "$to"; then
			same=$((same + 1))
		else
			mkdir -p "$(dirname "$to")"
			cp "$from" "$to"
			say "copied   $rel"
			copied=$((copied + 1))
		fi
	done
done
say "overlay: $copied copied, $same unchanged"
say "done: $src has CONFIG_MODULE_HASHES"
