#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# reproducible.sh [CONFIG...]: builds each configuration of Linux KERNEL (7.3
# unless set) for ARCH (x86_64 unless set; see tools/build-kernel.sh) twice
# from clean,
# in two different source and build directories, at different times, with
# the build metadata set the way distributions set it, and compares
# vmlinux, the boot image (bzImage; Image and Image.gz on arm64), System.map
# and every installed module byte for byte.
# Default configurations: "hashes" (CONFIG_MODULE_HASHES, no key) and "sig"
# (MODULE_SIG_ALL with a key generated during the build), for comparison.
#
# With PACKAGE=deb each build is `make bindeb-pkg` (tools/build-kernel.sh)
# and the .deb files are compared instead (their .buildinfo and .changes
# name the build's paths and times by design): e.g. the Debian guest's
# configuration against the same with MODULE_SIG_ALL in place of
# MODULE_HASHES, `PACKAGE=deb reproducible.sh hashes+debian plain+debian+sig`
# (make reproducible-debs). Every package of a MODULE_HASHES configuration
# must be identical, but for linux-headers: kbuild's own files (host
# programs) carry the build path with or without this feature, so it passes if every
# file that differs in it differs as well between the two builds of the
# MODULE_SIG_ALL baseline of the same run (plain+debian+sig for
# hashes+debian); what differs is listed either way.
#
# Prints a table per configuration: artifact, identical or not, and for a
# differing ELF file the sections that differ (diffoscope, where installed,
# gives more: DIFFOSCOPE=1). Every configuration but those with "sig"
# (MODULE_SIG_ALL), whose builds differ by design, must be identical: the
# closing line counts one check per configuration and the exit status is 1
# if one failed.
set -uo pipefail
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${KERNEL:-7.3}
work=$top/build/repro/$kernel
images=(bzImage)
if [ "${ARCH:-x86_64}" = arm64 ]; then
	work+=-arm64
	images=(Image Image.gz)
fi
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(hashes sig)

# What distributions pin (Debian: the changelog date, a fixed user/host).
export KBUILD_BUILD_TIMESTAMP="Sun, 01 Nov 2026 00:00:00 +0000"
export KBUILD_BUILD_USER=builder
export KBUILD_BUILD_HOST=reproducible
export KBUILD_BUILD_VERSION=1

# Two trees that differ in every path component and path length.
dir_a=$work/a
dir_b=$work/second-build-in-a-longer-path

build_one() { # CONFIG DIR
	local config=$1 dir=$2
	rm -rf "$dir/obj-$config" "$dir/deb-$config" "$dir/out-$config"
	local obj=$dir/obj-$config
	# A package build writes beside its O= directory: one of its own.
	[ "${PACKAGE:-}" != deb ] || obj=$dir/deb-$config/obj
	KERNEL=$kernel KERNEL_SRC=$dir/linux-source-$kernel KERNEL_OBJ=$obj \
		"$top/tools/build-kernel.sh" "$config" "$dir/out-$config" \
		>"$work/build-$config-$(basename "$dir").log" 2>&1
}

# differing_sections A B: the ELF sections whose contents differ.
differing_sections() {
	local a=$1 b=$2 s out=()
	for s in $(readelf -SW "$a" 2>/dev/null | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p'); do
		[ "$s" = NULL ] && continue
		if ! cmp -s <(objcopy -O binary --only-section="$s" "$a" /dev/stdout 2>/dev/null) \
			<(objcopy -O binary --only-section="$s" "$b" /dev/stdout 2>/dev/null); then
			out+=("$s")
		fi
	done
	echo "${out[*]:-headers only}"
}

# unpacked FILE: the bytes to compare sections of (modules are xz).
unpacked() {
	case $1 in
	*.xz) xz -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# contrast CONFIG: true for the configurations whose builds differ by
# design (a signing key made during the build).
contrast() { case +$1+ in *+sig+*) return 0 ;; esac; return 1; }

# package_file CONFIG SIDE PACKAGE: the .deb of PACKAGE (its name, as
# linux-headers-7.3.0) that build SIDE (a or b) of CONFIG made, if any.
package_file() {
	local dir=$dir_a
	[ "$2" = a ] || dir=$dir_b
	compgen -G "$dir/out-$1/$3_*.deb" | head -n 1
}

# differing_files CONFIG PACKAGE: what differs inside PACKAGE between the
# two builds of CONFIG, one entry per line: the paths of the data whose
# contents differ or that one side lacks, "control: " and the first line
# of the control files that differs, "metadata: PATH" for modes, owners
# and times. Nothing if CONFIG made no such package.
differing_files() {
	local config=$1 package=$2 side deb f
	local x=$work/unpacked-$config/$package
	if [ ! -e "$x.list" ]; then
		mkdir -p "${x%/*}"
		for side in a b; do
			deb=$(package_file "$config" $side "$package") || { : >"$x.list"; cat "$x.list"; return; }
			rm -rf "${x:?}-$side" "$x-$side.control"
			mkdir -p "$x-$side"
			dpkg-deb -x "$deb" "$x-$side"
			dpkg-deb -e "$deb" "$x-$side.control"
			# The control archive but md5sums and Installed-Size, which
			# follow from the contents.
			(cd "$x-$side.control" && for f in *; do
				[ "$f" != md5sums ] || continue
				echo "== $f"
				grep -v '^Installed-Size:' "$f"
			done) >"$x.$side.control"
			(cd "$x-$side" && find . \( -type f -o -type l \) | sort) >"$x.$side"
			# Everything tar lists but the size (the contents are compared):
			# mode, owner, date, time, path.
			dpkg-deb --fsys-tarfile "$deb" | tar -tv --full-time |
				awk '{ $3 = ""; print }' | sort >"$x.$side.meta"
		done
		{
			comm -3 "$x.a" "$x.b" | tr -d '\t'
			comm -12 "$x.a" "$x.b" | while IFS= read -r f; do
				if [ -L "$x-a/$f" ] || [ -L "$x-b/$f" ]; then
					[ "$(readlink "$x-a/$f")" = "$(readlink "$x-b/$f")" ] || echo "$f"
				else
					cmp -s "$x-a/$f" "$x-b/$f" || echo "$f"
				fi
			done
			cmp -s "$x.a.control" "$x.b.control" ||
				echo "control: $(diff "$x.a.control" "$x.b.control" | grep -m 1 '^[<>]')"
			comm -3 "$x.a.meta" "$x.b.meta" | awk '{ p = $5; for (i = 6; i <= NF; i++) p = p " " $i; print "metadata: " p }'
		} | sort -u >"$x.list"
	fi
	cat "$x.list"
}

# components CONFIG: its parts other than what decides the authentication
# (hashes, plain, sig), sorted: hashes+debian and plain+debian+sig share
# "debian".
components() { tr + '\n' <<<"$1" | grep -vxE 'hashes|plain|sig' | sort | paste -sd+; }

# baseline_config CONFIG: the configuration of this run built like CONFIG
# but without this feature and with MODULE_SIG_ALL, if there is one.
baseline_config() {
	local c
	for c in "${configs[@]}"; do
		if contrast "$c" && [ "$(components "$c")" = "$(components "$1")" ]; then
			echo "$c"
			return
		fi
	done
}

# compare_debs CONFIG: the package files of both builds. For a
# MODULE_HASHES configuration every package must be identical, but for
# linux-headers, which may differ in files that differ as well between
# the two builds of the baseline (kbuild's own files, which carry the
# build path with or without this feature); what differs is listed.
compare_debs() {
	local config=$1
	local a=$dir_a/out-$config b=$dir_b/out-$config f package differ=0 n=0 report
	local baseline='' files new lines known=0
	case +$config+ in *+hashes+*) baseline=$(baseline_config "$config") ;; esac
	printf '\n%s (make bindeb-pkg): %s vs %s\n' "$config" "${a#"$top"/}" "${b#"$top"/}"
	printf '%-60s %s\n' package result
	for f in "$b"/*.deb; do
		[ -e "$a/${f##*/}" ] || { printf '%-60s only in %s\n' "${f##*/}" "${b#"$top"/}"; n=$((n + 1)) differ=$((differ + 1)); }
	done
	for f in "$a"/*.deb; do
		n=$((n + 1))
		f=${f##*/}
		package=${f%%_*}
		if cmp -s "$a/$f" "$b/$f"; then
			printf '%-60s identical\n' "$f"
			continue
		fi
		files=$(differing_files "$config" "$package")
		new=$files
		if [ -n "$baseline" ] && [ -n "$files" ] && [ "${package#linux-headers-}" != "$package" ]; then
			new=$(comm -23 <(echo "$files") <(differing_files "$baseline" "$package"))
		fi
		if [ -z "$new" ] && [ -n "$files" ]; then
			known=$((known + 1))
			printf '%-60s DIFFERENT, only where %s differs too:\n' "$f" "$baseline"
		else
			differ=$((differ + 1))
			printf '%-60s DIFFERENT:\n' "$f"
		fi
		mapfile -t lines <<<"${files:-(the archive, not its contents)}"
		printf '    %s\n' "${lines[@]}"
		report=$work/diffoscope-$config-$package.txt
		if command -v diffoscope >/dev/null; then
			diffoscope --text "$report" "$a/$f" "$b/$f" >/dev/null 2>&1
			printf '%-60s   diffoscope: %s (%s lines)\n' "" "${report#"$top"/}" "$(wc -l <"$report")"
		fi
	done
	printf '%-60s %d identical, %d different as in the baseline, %d different\n' \
		"packages" "$((n - differ - known))" "$known" "$differ"
	contrast "$config" && return 0
	[ "$n" -gt 0 ] && [ "$differ" -eq 0 ]
}

compare() { # CONFIG
	local config=$1
	local a=$dir_a/out-$config b=$dir_b/out-$config same=0 differ=0 f rel artifacts_differ=0
	[ "${PACKAGE:-}" != deb ] || { compare_debs "$config"; return; }
	printf '\n%s: %s vs %s\n' "$config" "${a#"$top"/}" "${b#"$top"/}"
	printf '%-50s %s\n' artifact result
	for f in vmlinux "${images[@]}" System.map; do
		if cmp -s "$a/$f" "$b/$f"; then
			printf '%-50s identical\n' "$f"
		else
			local detail=""
			[ "$f" = vmlinux ] && detail=" ($(differing_sections "$a/$f" "$b/$f"))"
			printf '%-50s DIFFERENT%s\n' "$f" "$detail"
			artifacts_differ=$((artifacts_differ + 1))
		fi
	done
	while IFS= read -r rel; do
		if cmp -s "$a/modules/$rel" "$b/modules/$rel"; then
			same=$((same + 1))
		else
			differ=$((differ + 1))
			unpacked "$a/modules/$rel" "$work/x.ko"
			unpacked "$b/modules/$rel" "$work/y.ko"
			printf '%-50s DIFFERENT (%s)\n' "${rel##*/kernel/}" "$(differing_sections "$work/x.ko" "$work/y.ko")"
		fi
	done < <(cd "$a/modules" && find . -name '*.ko*' | LC_ALL=C sort)
	printf '%-50s %d identical, %d different\n' "modules (installed, proofs included)" "$same" "$differ"
	if [ "${DIFFOSCOPE:-0}" = 1 ] && command -v diffoscope >/dev/null; then
		diffoscope --text "$work/diffoscope-$config.txt" "$a" "$b" >/dev/null 2>&1
		echo "diffoscope report: ${work#"$top"/}/diffoscope-$config.txt"
	fi
	contrast "$config" && return 0
	[ $((artifacts_differ + differ)) -eq 0 ]
}

mkdir -p "$work"
for config in "${configs[@]}"; do
	for dir in "$dir_a" "$dir_b"; do
		echo "reproducible: building $config in ${dir#"$top"/} ($(date -u +%T))"
		build_one "$config" "$dir" || { echo "reproducible: build failed, see $work"; exit 1; }
	done
done
pass=0 fail=0
rm -rf "$work"/unpacked-*
for config in "${configs[@]}"; do
	if compare "$config"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
