#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's own amd64 configuration of Linux 7.3 with CONFIG_MODULE_HASHES,
# in full and reduced to distribution scale (issue 12, items 2 and 3).
#
#   debian-config.sh [--force] [--verify-count]
#
# Writes to build/debian-config/ (DEBIAN_CONFIG_DIR):
#
#   debian.config      the .config Debian ships in
#                      linux-headers-VERSION-amd64, the package of the same
#                      source version as the build root's linux-source-7.3
#                      (7.3.4-1~bpo13+1, trixie-backports; debian.config.source
#                      names package and version)
#   debian-hashes.config
#                      debian.config with tools/configs/debian-7.3-changes
#                      applied (scripts/config arguments, each with its
#                      reason) and olddefconfig'd in the grafted tree,
#                      build/src/linux-source-7.3, inside the build root
#   debian-hashes.diff scripts/diffconfig from debian.config to it; the
#                      script stops if anything differs beyond the changes
#                      and the values kconfig derives itself (below)
#   debian-hashes-reduced.config
#                      debian-hashes.config reduced by THE RULE (below),
#                      olddefconfig'd
#   *.modules, *.stats the modules kbuild will build from each
#                      configuration, and counts, found without building
#                      (below)
#
# THE RULE (item 3). A modular option of Debian's configuration stays =m
# when the Kconfig file that defines it lies outside drivers/ and sound/,
# or under one of drivers/ata/ block/ char/ hid/ input/ md/ net/ nvme/
# scsi/ usb/ virtio/, or is drivers/gpu/drm/Kconfig itself; every other
# =m option is set to n, and olddefconfig follows (options that only
# dropped ones depended on go, libraries a kept option selects stay). Built-in
# (=y) options are not touched. What stays is every module of the kernel's
# own subsystems (file systems, networking, crypto, libraries, security,
# KVM, ...) and the drivers of storage, networking (wired, wireless, USB,
# PHYs: both Rust modules, qt2025 and ax88796b_rust), virtio, character
# devices (TPM, hw_random, IPMI) and USB/HID/input; the DRM core stays for
# drm.ko, the third Debian module with Rust in it (drm_panic_qr.rs, the
# QR-code panic screen). One built-in option goes too: SFC_CXL (bool,
# default y with SFC), since 7.3's sfc.ko calls devm_cxl_probe_mem() of
# cxl_mem.ko with it while Kconfig makes it depend on CXL_BUS only; with
# CXL_MEM gone by the rule, modpost fails ("symbol 'devm_cxl_probe_mem'
# undefined"), a 7.3 Kconfig gap that Debian's full configuration
# (CXL_MEM=m) does not meet. What goes is the GPU drivers (amdgpu alone is 1,150
# object files, nouveau 769: over a fifth of all module objects), media,
# sound, IIO, hwmon, platform drivers and the other hardware classes. Measured
# with 7.3.4-1~bpo13+1: Debian's 4,043 =m options give 4,225 modules from
# 13,055 object files; the rule leaves 1,772 giving 1,778 modules from 5,749
# (built in: 2,796 and 2,765 object files). DEBUG_INFO stays as Debian has
# it (DWARF of the toolchain's default, BTF for vmlinux and modules). The
# estimate for make -j3 on the 2 cores here, from the object files and the
# rates of this project's builds: about 1.5 hours (1 to 2.3), the full
# configuration about 2.7.
#
# The module lists come from kbuild's own Makefiles, read by make the way
# scripts/Makefile.build reads them (obj-m less obj-y, composite objects
# expanded, descending into the obj-y/obj-m subdirectories from the
# top-level Kbuild) with the configuration's values, without compiling
# anything: about 15 s a configuration. For Debian's configuration the list
# is exactly the 4,225 modules of Debian's linux-modules-7.3.4+deb13-amd64
# package; --verify-count checks that again (it downloads that package,
# 107 MB, cached).
#
# What kconfig derives by itself, allowed in debian-hashes.diff besides the
# changes: CC_VERSION_TEXT (Debian's rules build with
# CC=x86_64-linux-gnu-gcc-14, the build root's `gcc` is the same GCC 14.2.0-19
# under another name; kconfig takes it again from whatever CC a build uses),
# and the series' new symbols MODULE_AUTHENTICATION (y: MODULE_SIG or
# MODULE_HASHES) and MODULE_HASHES_INSTALL_STRIP (the INSTALL_MOD_STRIP of
# the build, recomputed at every build: `make INSTALL_MOD_STRIP=1` or
# bindeb-pkg sets it to "1").
#
# Building either (not done here; a kernel build occupies both cores),
# from the project's top directory:
#
#   top=$PWD obj=$PWD/build/obj-7.3-debian-reduced; mkdir -p "$obj"
#   cp build/debian-config/debian-hashes-reduced.config "$obj/.config"
#   cd build/src/linux-source-7.3
#   "$top/tools/buildroot.sh" run make O="$obj" -j3 INSTALL_MOD_STRIP=1
#   "$top/tools/buildroot.sh" run make O="$obj" INSTALL_MOD_STRIP=1 \
#       INSTALL_MOD_PATH="$obj/install" modules_install
#
# INSTALL_MOD_STRIP=1 as Debian's packages (and bindeb-pkg) install them.
#
# Downloads are cached; the configurations are made again only when their
# inputs change (this script, the changes, Debian's config, the Kconfig
# files and Makefiles of the tree, the build root). The archive is the one
# the host's apt sources name (or DEBIAN_ARCHIVE), asked for
# trixie-backports with a private apt configuration (the host's own sources
# untouched); an unreachable archive is a clear error after at most 30 s,
# a stalled transfer after 30 s. KERNEL_SRC, BUILDROOT select another tree
# or build root.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
self=$top/tools/debian/debian-config.sh
die() { echo "debian-config: error: $*" >&2; exit 1; }
say() { echo "debian-config: $*"; }

# The top-level directories kbuild descends into on x86 (the top-level
# Kbuild's obj-y and obj-$(CONFIG_...) entries, arch/x86/Makefile's libs-y
# and drivers-y); those the configuration does not enable have nothing to
# build anyway.
walk_roots=(init usr arch/x86 kernel certs mm fs ipc security crypto block
	io_uring rust lib arch/x86/lib drivers sound samples net virt arch/x86/pci
	arch/x86/power arch/x86/video)

# walk SRC CONFIG OUT: the modules kbuild builds from CONFIG in SRC, one
# "path.ko objects rust-objects" a line, sorted, in OUT; "objects built-in N"
# and "objects in modules N" in OUT.objects. Runs in the build root (its
# make and the tools the Makefiles' $(shell ...) calls look for).
walk() {
	local src=$1 config=$2 list=$3 mk work level=()
	mk=$(mktemp)
	work=$(mktemp -d)
	# shellcheck disable=SC2016 # make's $(...), not the shell's
	printf '%s\n' \
		'srctree := .' 'objtree := .' 'src := $(DIR)' 'obj := $(DIR)' \
		'ARCH := x86' 'SRCARCH := x86' 'BITS := 64' 'CONFIG_SHELL := sh' \
		'include $(KCONFIG)' 'include scripts/Kbuild.include' \
		'include $(or $(wildcard $(src)/Kbuild),$(src)/Makefile)' \
		'obj-m := $(filter-out $(obj-y),$(obj-m))' \
		'lib-y := $(filter-out $(obj-y),$(sort $(lib-y) $(lib-m)))' \
		'walk-subdirs := $(sort $(subdir-y) $(subdir-m) $(patsubst %/,%,$(filter %/,$(obj-y) $(obj-m))))' \
		'walk-parts = $(strip $(foreach s,-objs -y -m,$($(1:.o=$s))))' \
		'walk-real = $(foreach m,$1,$(or $(call walk-parts,$m),$m))' \
		'walk-mods := $(filter %.o,$(obj-m))' \
		'walk:' \
		'	@: $(foreach m,$(walk-mods),$(info M $(DIR)/$(m:.o=).ko $(words $(filter %.o,$(call walk-real,$m))) $(words $(wildcard $(patsubst %.o,$(src)/%.rs,$(filter %.o,$(call walk-real,$m)))))))' \
		'	@: $(foreach d,$(walk-subdirs),$(info D $(DIR)/$d))' \
		'	@: $(info Y $(words $(filter %.o,$(call walk-real,$(filter-out %/,$(obj-y))) $(lib-y))))' \
		>"$mk"
	cd "$src"
	for d in "${walk_roots[@]}"; do
		[ -f "$d/Makefile" ] || [ -f "$d/Kbuild" ] && level+=("$d")
	done
	: >"$work/all"
	while [ ${#level[@]} -gt 0 ]; do
		# One make per directory (as kbuild runs them), eight at a time.
		printf '%s\n' "${level[@]}" | xargs -P 8 -I{} \
			make -s --no-print-directory -f "$mk" KCONFIG="$config" DIR={} walk \
			>"$work/level" 2>/dev/null || true
		grep -v '^D ' "$work/level" >>"$work/all" || true
		mapfile -t level < <(sed -n 's|^D ||p' "$work/level" | sed 's|/\./|/|g' |
			while read -r d; do
				if [ -f "$d/Makefile" ] || [ -f "$d/Kbuild" ]; then echo "$d"; fi
			done | sort -u)
	done
	sed -n 's/^M //p' "$work/all" | sort -u >"$list"
	awk '$1 == "Y" { y += $2 } $1 == "M" { m += $3 }
		END { print "objects built-in " y; print "objects in modules " m }' \
		"$work/all" >"$list.objects"
	rm -rf "$mk" "$work"
}

if [ "${1:-}" = --walk ]; then
	shift
	walk "$@"
	exit 0
fi

force=no verify=no
for arg; do
	case $arg in
	--force) force=yes ;;
	--verify-count) verify=yes ;;
	*) echo "usage: $0 [--force] [--verify-count]" >&2; exit 2 ;;
	esac
done

# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
out=${DEBIAN_CONFIG_DIR:-$top/build/debian-config}
src=${KERNEL_SRC:-$top/build/src/linux-source-7.3}
root=${BUILDROOT:-$top/build/root-7.3}
changes=$top/tools/configs/debian-7.3-changes
flavour=amd64

# THE RULE's directories (see the header), as prefixes of Kconfig file paths.
keep_prefixes=(drivers/ata/ drivers/block/ drivers/char/ drivers/hid/
	drivers/input/ drivers/md/ drivers/net/ drivers/nvme/ drivers/scsi/
	drivers/usb/ drivers/virtio/ drivers/gpu/drm/Kconfig)

[ -f "$src/Makefile" ] || die "$src missing: run 'make kernel' (or tools/build-kernel.sh) once to unpack and graft Linux 7.3"
grep -q '^config MODULE_HASHES$' "$src/kernel/module/Kconfig" ||
	die "$src has no CONFIG_MODULE_HASHES: graft it first (tools/graft-kernel.sh $src)"
[ -x "$root/usr/bin/rustc" ] || die "$root missing: run 'tools/buildroot.sh create' (make deps)"
[ -f "$changes" ] || die "$changes missing"
version=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' linux-source-7.3 2>/dev/null) ||
	die "the build root $root has no linux-source-7.3"
upstream=${version%%-*}
mkdir -p "$out/downloads"

# --- Debian's configuration (cached) ---------------------------------------

apt_ready=no
# Private apt state in $out/apt for trixie-backports: the package lists of
# that suite only, the host's sources and state untouched.
apt_setup() {
	[ "$apt_ready" = yes ] && return 0
	local archive
	archive=$(debian_archive)
	if ! curl -fsS --max-time 30 -o /dev/null "$archive/dists/trixie-backports/InRelease" 2>/dev/null; then
		die "cannot fetch $archive/dists/trixie-backports/InRelease (no network, or the archive has no trixie-backports); nothing was changed"
	fi
	private_apt "$out/apt" trixie-backports || exit 1
	apt_ready=yes
}

# fetch KIND: downloads linux-KIND-ABI-amd64 of $version (KIND headers or
# modules) into $out/downloads unless it is there; prints the file.
fetch() {
	local kind=$1 pkg file files
	files=("$out/downloads/linux-$kind-$upstream"+*"-${flavour}_${version}_amd64.deb")
	file=${files[0]}
	if [ ! -f "$file" ]; then
		apt_setup
		# The package of the source version: linux-KIND-7.3.4+deb13-amd64,
		# not -cloud-amd64 or -rt-amd64.
		pkg=$(apt-cache "${apt_opts[@]}" pkgnames "linux-$kind-$upstream+" |
			grep -E "^linux-$kind-${upstream//./\\.}\\+[a-z0-9.~]+-$flavour\$" | head -n 1) || true
		[ -n "$pkg" ] || die "trixie-backports has no linux-$kind-$upstream+*-$flavour package"
		apt-cache "${apt_opts[@]}" show "$pkg=$version" >/dev/null 2>&1 ||
			die "trixie-backports has $pkg, but not at version $version (the build root's linux-source-7.3)"
		say "downloading $pkg $version" >&2
		(cd "$out/downloads" && timeout 900 apt-get "${apt_opts[@]}" -qq download "$pkg=$version") ||
			die "could not download $pkg $version"
		file=$out/downloads/${pkg}_${version}_amd64.deb
		[ -f "$file" ] || die "apt-get download left no $file"
	fi
	echo "$file"
}

if [ "$(cat "$out/debian.config.source" 2>/dev/null)" != "linux-headers $version" ] ||
	[ ! -s "$out/debian.config" ]; then
	deb=$(fetch headers)
	if ! dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-headers-*/.config' >"$out/debian.config.tmp"; then
		rm -f "$out/debian.config.tmp"
		die "$deb holds no usr/src/linux-headers-*/.config"
	fi
	if ! grep -q "^# Linux/x86 $upstream Kernel Configuration\$" "$out/debian.config.tmp"; then
		rm -f "$out/debian.config.tmp"
		die "the .config in $deb is not an x86 $upstream configuration"
	fi
	mv "$out/debian.config.tmp" "$out/debian.config"
	echo "linux-headers $version" >"$out/debian.config.source"
fi

# --- Up to date? ------------------------------------------------------------

inputs=$({
	cat "$self" "$changes" "$out/debian.config"
	echo "$version"
	cat "$root/.module-hashes-packages" 2>/dev/null || true
	(cd "$src" && find . \( -name 'Kconfig*' -o -name Makefile -o -name Kbuild -o -name Kbuild.include \) \
		-not -path './Documentation/*' -not -path './tools/*' -printf '%p %s %T@\n' | sort)
} | sha256sum | cut -d' ' -f1)
outputs=(debian-hashes.config debian-hashes.diff debian-hashes.modules debian-hashes.stats
	debian-hashes-reduced.config debian-hashes-reduced.modules debian-hashes-reduced.stats)
uptodate=yes
for f in "${outputs[@]}"; do [ -f "$out/$f" ] || uptodate=no; done
[ "$(cat "$out/inputs" 2>/dev/null)" = "$inputs" ] || uptodate=no

kc=$out/kconfig
olddefconfig() {
	(cd "$src" && "$top/tools/buildroot.sh" run make -s O="$kc" olddefconfig) >"$kc/olddefconfig.log" 2>&1 ||
		die "make olddefconfig failed (log: $kc/olddefconfig.log)"
}

# The changes, as scripts/config arguments (xargs keeps "" as an argument).
apply_changes() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$changes" | xargs "$src/scripts/config" --file "$1"
}

# check_changes CONFIG: every change of the list holds in CONFIG.
check_changes() {
	local config=$1 op sym value line bad=()
	while read -r op sym value; do
		value=${value#\"}
		value=${value%\"}
		case $op in
		--enable | -e) line="CONFIG_$sym=y" ;;
		--module | -m) line="CONFIG_$sym=m" ;;
		--set-str) line="CONFIG_$sym=\"$value\"" ;;
		--set-val) line="CONFIG_$sym=$value" ;;
		--disable | -d)
			grep -qE "^CONFIG_$sym=" "$config" && bad+=("$sym (still set)")
			continue ;;
		*) die "$changes: scripts/config operation $op is not checked here" ;;
		esac
		grep -qxF "$line" "$config" || bad+=("$line")
	done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$changes")
	[ ${#bad[@]} -eq 0 ] || die "$(basename "$config"): not as the changes ask (a dependency?): ${bad[*]}"
}

symbols_of() { grep -v -e '^#' -e '^[[:space:]]*$' "$changes" | awk '{ print $2 }'; }

stats() {
	local config=$1 list=$2
	{
		echo "m-options $(grep -c '=m$' "$config")"
		echo "modules $(wc -l <"$list")"
		cat "$list.objects"
		echo "rust-modules $(awk '$3 > 0 { printf "%s%s", sep, $1; sep = " " }' "$list")"
	}
}

if [ "$force" = yes ] || [ "$uptodate" = no ]; then
	rm -f "$out/inputs"
	mkdir -p "$kc"

	# Item 2: Debian's configuration with the changes.
	say "applying $(basename "$changes") to Debian's $version configuration, olddefconfig in $src"
	cp "$out/debian.config" "$kc/.config"
	apply_changes "$kc/.config"
	olddefconfig
	check_changes "$kc/.config"
	cp "$kc/.config" "$out/debian-hashes.config.tmp"
	"$src/scripts/diffconfig" "$out/debian.config" "$out/debian-hashes.config.tmp" >"$out/debian-hashes.diff"
	# Nothing may differ beyond the changes and what kconfig derives.
	extra=$(sed -E 's/^[-+ ]?([A-Za-z0-9_]+) .*/\1/' "$out/debian-hashes.diff" |
		grep -vxF -f <(symbols_of; printf '%s\n' CC_VERSION_TEXT MODULE_AUTHENTICATION MODULE_HASHES_INSTALL_STRIP) || true)
	[ -z "$extra" ] || die "olddefconfig changed more than the changes ask: $(echo "$extra" | paste -sd' ') (see $out/debian-hashes.diff)"
	mv "$out/debian-hashes.config.tmp" "$out/debian-hashes.config"

	# Item 3: THE RULE. Which Kconfig file defines each option.
	say "reducing it by the rule, olddefconfig"
	# shellcheck disable=SC2016 # awk's $2, not the shell's
	(cd "$src" && find . -name 'Kconfig*' -not -path './Documentation/*' -not -path './tools/*' \
		-not -path './scripts/*' -print0 | xargs -0 awk '
		/^[ \t]*(menu)?config[ \t]+[A-Za-z0-9_]+[ \t]*$/ { f = FILENAME; sub(/^\.\//, "", f); print $2, f }') \
		>"$kc/option-files"
	awk -v keep="${keep_prefixes[*]}" '
		NR == FNR {
			if ($2 !~ /^(drivers|sound)\//) kept[$1] = 1
			n = split(keep, k, " ")
			for (i = 1; i <= n; i++) if (index($2, k[i]) == 1) kept[$1] = 1
			next
		}
		/^CONFIG_[A-Za-z0-9_]+=m$/ {
			s = substr($0, 8); sub(/=m$/, "", s)
			if (!(s in kept)) { print "# CONFIG_" s " is not set"; next }
		}
		$0 == "CONFIG_SFC_CXL=y" { print "# CONFIG_SFC_CXL is not set"; next }
		{ print }' "$kc/option-files" "$out/debian-hashes.config" >"$kc/.config"
	olddefconfig
	check_changes "$kc/.config"
	cp "$kc/.config" "$out/debian-hashes-reduced.config"

	# The modules each configuration gives, without building.
	say "listing the modules kbuild would build (no compiling)"
	for name in debian-hashes debian-hashes-reduced; do
		(cd "$src" && "$top/tools/buildroot.sh" run "$self" --walk "$src" "$out/$name.config" "$out/$name.modules")
		stats "$out/$name.config" "$out/$name.modules" >"$out/$name.stats"
		rm -f "$out/$name.modules.objects"
	done
	n=$(wc -l <"$out/debian-hashes-reduced.modules")
	[ "$n" -ge 1000 ] || die "the reduced configuration gives $n modules, fewer than 1,000"
	for m in drivers/net/phy/qt2025.ko drivers/net/phy/ax88796b_rust.ko; do
		grep -q "^$m " "$out/debian-hashes-reduced.modules" || die "the reduced configuration lost the Rust module $m"
	done
	echo "$inputs" >"$out/inputs"
fi

if [ "$verify" = yes ]; then
	deb=$(fetch modules)
	dpkg-deb -c "$deb" | sed -n 's|.*/lib/modules/[^/]*/kernel/\(.*\.ko\)\(\.[a-z]*\)\?$|\1|p' | sort >"$out/debian-package.modules"
	if diff <(cut -d' ' -f1 "$out/debian-hashes.modules") "$out/debian-package.modules" >"$out/debian-package.modules.diff"; then
		say "verified: the $(wc -l <"$out/debian-package.modules") modules of $(basename "$deb") are exactly the list for debian-hashes.config"
	else
		die "the list for debian-hashes.config differs from the modules of $(basename "$deb"): $out/debian-package.modules.diff"
	fi
fi

for name in debian-hashes debian-hashes-reduced; do
	st=$out/$name.stats
	printf 'debian-config: %-32s %5s =m options, %5s modules, object files %s built-in + %s in modules\n' \
		"$name.config:" "$(awk '$1 == "m-options" { print $2 }' "$st")" \
		"$(awk '$1 == "modules" { print $2 }' "$st")" \
		"$(awk '$2 == "built-in" { print $3 }' "$st")" \
		"$(awk '$3 == "modules" { print $4 }' "$st")"
done
say "Rust in the reduced modules: $(sed -n 's/^rust-modules //p' "$out/debian-hashes-reduced.stats")"
say "changes against Debian's configuration: $out/debian-hashes.diff"
