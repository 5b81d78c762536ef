#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make-series.sh KERNEL
# make-series.sh --save KERNEL N
#
# Exports the patch series of base KERNEL (7.3 or 6.12) as a maintainer or a
# distribution takes it: build/series/KERNEL/ holds `git format-patch` files
# and a `series` file with their order; every file the feature adds is
# inside the patch that introduces it, so `git am` of the series on Debian's
# linux-source-KERNEL tree gives the whole feature.
#
# The sources stay where they are edited:
#   patches/KERNEL/series      the patches in order (changes to existing files
#                              and each patch's message)
#   patches/KERNEL/new-files   "PATCH-NUMBER PATH": the new files each patch
#                              adds, taken from this repository at their
#                              kernel path, or from patches/KERNEL/overlay/
#                              where that base has its own version
#   patches/KERNEL/local/      the same for changes that are not the feature
#                              (a reproducibility fix for this toolchain):
#                              exported to build/series/KERNEL-local/ and
#                              applied after the series by graft-kernel.sh
#
# The export commits each patch in a git repository of the pristine base
# (build/series/base-KERNEL, made once from the tarball), so the output is
# exactly what `git am` produces and reproduces. Every file of the overlay
# must belong to exactly one patch.
#
# To change a patch's message or its changes to existing files, or the order:
# rework the commits in build/series/base-KERNEL (git rebase -i), then
# `make-series.sh --save KERNEL N` writes its commits since the base back to
# patches/KERNEL/ (the first N) and patches/KERNEL/local/ (the rest),
# without the new files, which stay in the repository. Renumbered patches
# need their numbers changed in new-files.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "make-series: error: $*" >&2; exit 1; }

save=
if [ "${1:-}" = --save ] && [ $# -eq 3 ]; then
	kernel=$2 save=$3
elif [ $# -eq 1 ]; then
	kernel=$1
else
	echo "usage: $0 KERNEL | $0 --save KERNEL N (KERNEL: 7.3 or 6.12)" >&2
	exit 2
fi
case $kernel in
7.3 | 6.12) ;;
*) die "KERNEL=$kernel: the bases are 7.3 and 6.12" ;;
esac
# shellcheck source=tools/kmake.sh
. "$top/tools/kmake.sh"

pdir=$top/patches/$kernel
repo=$top/build/series/base-$kernel
out=$top/build/series/$kernel
export GIT_AUTHOR_DATE='2026-12-01T00:00:00Z' GIT_COMMITTER_DATE='2026-12-01T00:00:00Z'
export GIT_COMMITTER_NAME='Module Hashes Developers' GIT_COMMITTER_EMAIL='module-hashes@localhost'
# A fixed abbreviation keeps the index lines of the patches independent of
# how many objects the repository holds.
git_() { git -C "$repo" -c core.autocrlf=false -c core.abbrev=9 -c advice.detachedHead=false "$@"; }

# The overlay: the repository's files at kernel paths, shared by both bases.
overlay_files() {
	(cd "$top" && git ls-files -- kernel include scripts/module-hashes rust \
		Documentation/admin-guide Documentation/kbuild Documentation/ABI)
	[ ! -d "$pdir/overlay" ] || (cd "$pdir/overlay" && find . -type f | sed 's|^\./||')
}

# The source of a new file: the base's own version wins.
source_of() {
	if [ -f "$pdir/overlay/$1" ]; then echo "$pdir/overlay/$1"; else echo "$top/$1"; fi
}

list() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"; }

# 1. The pristine base, once.
if ! git_ rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	tarball=$(kernel_tarball)
	[ -f "$tarball" ] || die "$tarball missing (Debian package linux-source-$kernel); run 'make deps'"
	echo "make-series: unpacking $tarball into $repo (once)"
	rm -rf "$repo" "$repo.tmp"
	mkdir -p "$repo.tmp"
	tar -xJf "$tarball" -C "$repo.tmp"
	mv "$repo.tmp/linux-source-$kernel" "$repo"
	rmdir "$repo.tmp"
	git_ init -q
	git_ add -A -f .
	git_ -c user.name="$GIT_COMMITTER_NAME" -c user.email="$GIT_COMMITTER_EMAIL" \
		commit -q -m "Debian linux-source-$kernel"
	git_ tag base
fi

# --save: the commits back to patches/KERNEL/, without the new files.
if [ -n "$save" ]; then
	mapfile -t commits < <(git_ rev-list --reverse base..HEAD)
	[[ $save =~ ^[0-9]+$ ]] && [ "$save" -ge 1 ] && [ "$save" -le ${#commits[@]} ] ||
		die "--save $kernel $save: the branch has ${#commits[@]} commits since the base"
	mapfile -t excluded < <(list "$pdir/new-files" | awk '{print ":(exclude)" $2}')
	save_range() { # RANGE DIR
		rm -f "$2"/*.patch
		mkdir -p "$2"
		git_ format-patch -q --zero-commit --no-signature --numbered -o "$2" "$1" -- . "${excluded[@]}"
		{
			echo "# Applied in this order (see tools/make-series.sh)."
			(cd "$2" && ls ./*.patch | sed 's|^\./||')
		} >"$2/series"
	}
	save_range "base..${commits[save - 1]}" "$pdir"
	if [ "$save" -lt ${#commits[@]} ]; then
		save_range "${commits[save - 1]}..HEAD" "$pdir/local"
	else
		rm -rf "$pdir/local"
	fi
	echo "make-series: saved $save patches to patches/$kernel/, $((${#commits[@]} - save)) to patches/$kernel/local/"
	exit 0
fi

# 2. Every overlay file belongs to exactly one patch, every patch exists.
[ -f "$pdir/series" ] || die "$pdir/series is missing"
mapfile -t patches < <(list "$pdir/series")
mapfile -t local_patches < <([ ! -f "$pdir/local/series" ] || list "$pdir/local/series")
declare -A owner=()
while read -r number file; do
	[ -n "$file" ] || die "patches/$kernel/new-files: '$number' names no file"
	[ -z "${owner[$file]:-}" ] || die "patches/$kernel/new-files: $file is in patches ${owner[$file]} and $number"
	[ -f "$(source_of "$file")" ] || die "patches/$kernel/new-files: $file does not exist"
	owner[$file]=$number
done < <(list "$pdir/new-files")
while read -r file; do
	[ -n "${owner[$file]:-}" ] || die "$file is in no patch: add it to patches/$kernel/new-files"
done < <(overlay_files)

# 3. Commit each patch with its new files, on a fresh branch from the base.
git_ checkout -q -f --detach base
git_ clean -q -fdx
export_series() { # DIR PATCH...: commits the patches; prints nothing
	local dir=$1 p number f
	shift
	for p in "$@"; do
		[ -f "$dir/$p" ] || die "$dir/series names $p, which does not exist"
		git_ am -q --committer-date-is-author-date "$dir/$p" ||
			{ git_ am --abort; die "$dir/$p does not apply to Debian's linux-source-$kernel"; }
		number=${p%%-*}
		for f in "${!owner[@]}"; do
			[ "${owner[$f]}" = "$number" ] && [ "$dir" = "$pdir" ] || continue
			mkdir -p "$repo/$(dirname "$f")"
			cp "$(source_of "$f")" "$repo/$f"
			git_ add -f -- "$f"
		done
		git_ commit -q --amend --no-edit --allow-empty
	done
}
write_out() { # FROM DIR: format-patch FROM..HEAD into DIR with a series file
	rm -rf "$2.tmp"
	git_ format-patch -q --zero-commit --no-signature --numbered -o "$2.tmp" "$1..HEAD"
	(cd "$2.tmp" && ls ./*.patch | sed 's|^\./||' >series)
	rm -rf "$2"
	mv "$2.tmp" "$2"
}
export_series "$pdir" "${patches[@]}"
write_out base "$out"
git_ tag -f series-$kernel >/dev/null
if [ ${#local_patches[@]} -gt 0 ]; then
	export_series "$pdir/local" "${local_patches[@]}"
	write_out "series-$kernel" "$out-local"
else
	rm -rf "$out-local"
fi
echo "make-series: ${#patches[@]} patches in ${out#"$top"/}/ (${#local_patches[@]} local ones in ${out#"$top"/}-local/)"
