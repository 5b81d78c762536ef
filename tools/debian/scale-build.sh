#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's own configuration at distribution scale (issue 12, items 2, 3
# and 5): a measurement, not a test. Takes one to two and a half hours on
# two cores; run it in the background.
#
#   scale-build.sh [build|package|touch|stats]...   (default: all four)
#
# The configuration is build/debian-config/debian-hashes-reduced.config
# (tools/debian/debian-config.sh: Debian's amd64 .config with the changes
# CONFIG_MODULE_HASHES needs, reduced by that script's rule) plus one test
# change: CONFIG_SYSTEM_TRUSTED_KEYS names tools/debian/oot/test-cert.pem,
# copied into the O= directory, so that out-of-tree modules signed with
# the repository's public test key load (item 5), as a distribution builds
# in the certificate of its DKMS or MOK key.
#
#   build    make -j3 INSTALL_MOD_STRIP=1 in build/debian-scale/obj; the
#            log, with a time stamp on every line, in build.log
#   package  make bindeb-pkg (no debug package: pkg.linux-upstream.nokerneldbg)
#            into build/debian-scale/out/
#   touch    touch one module's source and make again: the bytes written
#            (the make's own I/O accounting and the disk's) and the .ko
#            files rewritten (issue 11, item 4)
#   stats    module count, the tool's time inside the build (from the
#            time stamps of MKHASH and the next line), the tree's levels
#            and the proofs' size
#
# Everything measured goes to build/debian-scale/results.
#
# DEBIAN_SCALE_CONFIG=full builds Debian's configuration unreduced
# (debian-hashes.config, 4,225 modules; about 2.7 hours with DWARF) in
# build/debian-full instead; DEBIAN_SCALE_DEBUG_INFO=off turns DEBUG_INFO
# (and with it BTF) off in either, to fit a session (said in results).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by kmake.sh
kernel=7.3
variant=${DEBIAN_SCALE_CONFIG:-reduced}
case $variant in
reduced) config=debian-hashes-reduced.config dir=${DEBIAN_SCALE_DIR:-$top/build/debian-scale} ;;
full) config=debian-hashes.config dir=${DEBIAN_SCALE_DIR:-$top/build/debian-full} ;;
*) echo "scale-build: error: DEBIAN_SCALE_CONFIG=$variant: want reduced or full" >&2; exit 2 ;;
esac
debug_info=${DEBIAN_SCALE_DEBUG_INFO:-on}
case $debug_info in
on | off) ;;
*) echo "scale-build: error: DEBIAN_SCALE_DEBUG_INFO=$debug_info: want on or off" >&2; exit 2 ;;
esac
obj=$dir/obj
src=$top/build/src/linux-source-7.3
results=$dir/results
jobs=${JOBS:-3}
touched=drivers/net/dummy
die() { echo "scale-build: error: $*" >&2; exit 1; }
say() { echo "scale-build: $*"; }
record() { echo "$*" | tee -a "$results"; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.0f", e - s }'; }

# shellcheck source=tools/kmake.sh
. "$top/tools/kmake.sh"

# Time-stamps every line of a make's output (seconds since the epoch).
stamp() { while IFS= read -r line; do printf '%(%s)T %s\n' -1 "$line"; done; }

build() {
	KERNEL=7.3 PREPARE_ONLY=yes "$top/tools/build-kernel.sh" debian "$dir/unused"
	rmdir "$dir/unused" 2>/dev/null || true
	"$top/tools/debian/debian-config.sh"
	mkdir -p "$obj"
	cp "$top/build/debian-config/$config" "$obj/.config"
	cp "$top/tools/debian/oot/test-cert.pem" "$obj/oot-test-cert.pem"
	"$src/scripts/config" --file "$obj/.config" --set-str SYSTEM_TRUSTED_KEYS oot-test-cert.pem
	[ "$debug_info" = on ] || "$src/scripts/config" --file "$obj/.config" --enable DEBUG_INFO_NONE \
		--disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5
	kmake -s -C "$src" O="$obj" olddefconfig
	[ "$debug_info" = on ] || ! grep -q '^CONFIG_DEBUG_INFO=y' "$obj/.config" || die "DEBUG_INFO did not go"
	record "build: $config, DEBUG_INFO $debug_info"
	# What olddefconfig turned off with DEBUG_INFO (BTF and what needs it).
	[ "$debug_info" = on ] || record "build: off with DEBUG_INFO: $(comm -23 \
		<(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=[ym]$/\1/p' "$top/build/debian-config/$config" | sort) \
		<(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\1/p' "$obj/.config" | sort) | paste -sd' ')"
	grep -qx 'CONFIG_SYSTEM_TRUSTED_KEYS="oot-test-cert.pem"' "$obj/.config" ||
		die "SYSTEM_TRUSTED_KEYS did not stay set"
	grep -qx 'CONFIG_MODULE_HASHES=y' "$obj/.config" || die "MODULE_HASHES did not stay set"
	say "building in $obj (make -j$jobs), log in $dir/build.log"
	local start
	start=$(now)
	kmake -C "$src" O="$obj" -j"$jobs" INSTALL_MOD_STRIP=1 2>&1 | stamp >"$dir/build.log" ||
		die "the build failed: $dir/build.log"
	record "build: make -j$jobs INSTALL_MOD_STRIP=1: $(since "$start") s"
}

package() {
	local start pkgdir
	pkgdir=$(dirname "$obj")
	rm -f "$pkgdir"/*.deb "$pkgdir"/*.buildinfo "$pkgdir"/*.changes
	start=$(now)
	DEB_BUILD_PROFILES=pkg.linux-upstream.nokerneldbg \
		kmake -C "$src" O="$obj" -j"$jobs" bindeb-pkg 2>&1 | stamp >"$dir/package.log" ||
		die "bindeb-pkg failed: $dir/package.log"
	record "package: make bindeb-pkg: $(since "$start") s"
	rm -rf "$dir/out"
	mkdir -p "$dir/out"
	mv "$pkgdir"/*.deb "$pkgdir"/*.buildinfo "$pkgdir"/*.changes "$dir/out/"
	record "package: $(cd "$dir/out" && ls -s --block-size=M ./*.deb | paste -sd' ')"
}

# /proc/self/io of a shell that ran the make: the make and everything it
# reaped. write_bytes is what reached the block layer (page cache written
# back or to be), wchar what write(2) was asked to write.
touch_one() {
	local how=$1 marker=$dir/touch.marker start sectors_before sectors_after
	[ -f "$src/$touched.c" ] || die "$src/$touched.c missing"
	touch "$marker"
	sleep 1
	# change: the module's bytes change (a MODULE_INFO line, removed again
	# afterwards), so the root and every proof change; otherwise the source
	# is only touched and rebuilds to the same bytes.
	if [ "$how" = change ]; then
		cp -p "$src/$touched.c" "$dir/touched.orig.c"
		printf '\nMODULE_INFO(scale_touch, "%s");\n' "$(date +%s)" >>"$src/$touched.c"
	else
		touch "$src/$touched.c"
	fi
	sync
	sectors_before=$(awk '{ print $7 }' /sys/block/vda/stat)
	start=$(now)
	kmake_run sh -c 'make -C "$1" O="$2" -j"$3" INSTALL_MOD_STRIP=1 >"$4" 2>&1; rc=$?; cat /proc/$$/io >"$5"; exit $rc' \
		sh "$src" "$obj" "$jobs" "$dir/touch.log" "$dir/touch.io" || die "make after touch failed: $dir/touch.log"
	[ "$how" != change ] || { cp "$dir/touched.orig.c" "$src/$touched.c" && touch "$src/$touched.c"; }
	record "$how: $touched.c ${how%e}ed, make -j$jobs: $(since "$start") s"
	sync
	sectors_after=$(awk '{ print $7 }' /sys/block/vda/stat)
	record "$how: make's I/O: $(grep -E '^(wchar|write_bytes)' "$dir/touch.io" | paste -sd' ')"
	record "$how: disk sectors written meanwhile (whole machine): $(( (sectors_after - sectors_before) * 512 )) bytes"
	record "$how: .ko files rewritten: $(find "$obj" -name '*.ko' -newer "$marker" | wc -l)" \
		"of $(find "$obj" -name '*.ko' | wc -l)," \
		"$(find "$obj" -name '*.ko' -newer "$marker" -printf '%s\n' | awk '{ s += $1 } END { print s }') bytes"
	record "$how: .ko.stripped files rewritten: $(find "$obj" -name '*.ko.stripped' -newer "$marker" | wc -l)," \
		"$(find "$obj" -name '*.ko.stripped' -newer "$marker" -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }') bytes"
	record "$how: vmlinux, vmlinux.unstripped, bzImage rewritten: $(find "$obj/vmlinux" "$obj/vmlinux.unstripped" "$obj/arch/x86/boot/bzImage" -newer "$marker" -printf '%f %s\n' | paste -sd' ')"
	record "$how: all files rewritten: $(find "$obj" -type f -newer "$marker" -printf '%s\n' | awk '{ s += $1; n++ } END { print n " files, " s " bytes" }')"
}

stats() {
	local tool=$obj/scripts/module-hashes/module-hashes mkhash next suffix=.ko
	# With INSTALL_MOD_STRIP recorded, the stripped copies carry the proofs.
	! grep -q '^CONFIG_MODULE_HASHES_INSTALL_STRIP=".' "$obj/.config" || suffix=.ko.stripped
	record "stats: modules in modules.order: $(wc -l <"$obj/modules.order")"
	record "stats: .ko files in the build tree: $(find "$obj" -name '*.ko' | wc -l)," \
		"$(find "$obj" -name '*.ko' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f MiB", s / 1048576 }')"
	record "stats: $suffix files (hashed, proofs appended): $(find "$obj" -name "*$suffix" | wc -l)," \
		"$(find "$obj" -name "*$suffix" -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f MiB", s / 1048576 }')"
	mkhash=$(awk '/ MKHASH / { print $1; exit }' "$dir/build.log")
	next=$(awk -v t="$mkhash" 'f { print $1; exit } / MKHASH / { f = 1 }' "$dir/build.log")
	[ -z "$mkhash" ] || record "stats: MKHASH inside the build: $((next - mkhash)) s (time stamps to the second)"
	record "stats: the tool run again alone on the same tree:"
	(cd "$obj" && /usr/bin/time -f '%e s elapsed, %U s user, %M KiB max RSS' \
		"$tool" inspect "$(head -n 1 modules.order | sed "s/\\.o\$/$suffix/")") 2>&1 | tee -a "$results"
	(cd "$obj" && sed "s/\\.o\$/$suffix/" modules.order | /usr/bin/time -f 'verify: %e s elapsed, %U s user, %M KiB max RSS' \
		xargs "$tool" verify --vmlinux vmlinux >/dev/null) 2>&1 | tee -a "$results"
}

mkdir -p "$dir"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(build package touch change stats)
for step in "${steps[@]}"; do
	case $step in
	build) build ;;
	package) package ;;
	touch) touch_one touch ;;
	change) touch_one change ;;
	stats) stats ;;
	*) die "unknown step $step (build, package, touch, change, stats)" ;;
	esac
done
