#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs kernel packages into a copy of the guest's base root the way an
# administrator does on Debian (dpkg -i, in a chroot), so that Debian's own
# hooks run: the kernel package's postinst calls /etc/kernel/postinst.d/*,
# whose initramfs-tools hook builds /boot/initrd.img-VERSION with
# mkinitramfs under Debian's default configuration (MODULES=most). Then it
# checks what Debian's tools did to the modules, adds the in-guest checks,
# and makes the guest's disk. It prints TAP on standard output.
#
#   install.sh DEBDIR RUNDIR
#
# DEBDIR holds the .deb files; those named linux-image-*.deb are installed
# (not the -dbg package), or those DEBIAN_DEBS names (a shell glob inside
# DEBDIR, e.g. 'linux-image-*.deb linux-headers-*.deb'). The modules in
# the directory DEBIAN_OOT names (tools/debian/oot-build.sh) go to
# /usr/local/lib/module-checks/ for the in-guest checks; DEBIAN_HOOK and
# DEBIAN_CHECKS: see below. RUNDIR receives:
#   disk.img      the guest's root file system (ext4, label debian-root)
#   vmlinuz       /boot/vmlinuz-VERSION, for QEMU's direct kernel boot
#   initrd.img    /boot/initrd.img-VERSION, as Debian's hook built it
#   version       VERSION (uname -r of the installed kernel)
#   install.log   dpkg's output and the hooks'
# The root itself (RUNDIR/root) is removed unless KEEP_ROOT=1.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
image=$work/base.tar

die() { echo "debian-install: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 DEBDIR RUNDIR"
debdir=$(cd "$1" && pwd) || die "no directory $1"
run=$2
root=$run/root
[ -f "$image" ] || die "$image missing: run tools/debian/image.sh"

debs=()
for pattern in ${DEBIAN_DEBS:-linux-image-*.deb}; do
	for deb in "$debdir"/$pattern; do
		case $deb in *-dbg_*|*-dbgsym_*) continue ;; esac
		[ -f "$deb" ] && debs+=("$deb")
	done
done
[ ${#debs[@]} -gt 0 ] || die "no ${DEBIAN_DEBS:-linux-image-*.deb} in $debdir (make debian builds them there)"

mkdir -p "$run"
rm -rf "$root"
mkdir -p "$root"
n=0 failed=0
# ok STATUS DESCRIPTION: a TAP line on stdout.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() { sed 's/^/# /'; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
tar -xpf "$image" -C "$root" --numeric-owner
t_copy=$(now)

mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
echo "# dpkg -i ${debs[*]##*/}"
rc=0
in_root "$root" sh -c 'dpkg -i /tmp/debs/*.deb' >"$run/install.log" 2>&1 || rc=$?
t_dpkg=$(now)
rm -rf "$root/tmp/debs"
ok $rc "dpkg -i installed ${#debs[@]} package(s) (exit $rc, $(secs "$t_copy" "$t_dpkg") s, log $run/install.log)"
[ $rc -eq 0 ] || { tail -n 20 "$run/install.log" | diag; exit 1; }

# The kernel the packages installed.
kernels=()
for f in "$root"/boot/vmlinuz-*; do
	[ -f "$f" ] && kernels+=("${f##*/vmlinuz-}")
done
[ ${#kernels[@]} -eq 1 ] || { ok 1 "exactly one kernel in /boot (found: ${kernels[*]:-none})"; exit 1; }
version=${kernels[0]}
echo "$version" >"$run/version"
initrd=$root/boot/initrd.img-$version
moddir=$root/lib/modules/$version

grep -E '^(update-initramfs|I:|W:|E:)' "$run/install.log" | diag || true
[ -s "$initrd" ]
ok $? "Debian's hook built /boot/initrd.img-$version ($(du -m "$initrd" 2>/dev/null | cut -f1) MB)"
[ -s "$initrd" ] || exit 1
modules_conf=$(sed -n 's/^MODULES=//p' "$root/etc/initramfs-tools/initramfs.conf")
compress_conf=$(sed -n 's/^COMPRESS=//p' "$root/etc/initramfs-tools/initramfs.conf")
echo "initramfs.conf: MODULES=$modules_conf COMPRESS=$compress_conf (Debian's defaults, unchanged)" | diag

# Debian's tools and the modules: unpack the package and the initrd and
# compare every module the initrd holds with the package's, after
# decompression; and every module installed in /lib/modules with the
# package's (nothing rewrote them after dpkg).
scratch=$run/scratch
rm -rf "$scratch"
mkdir -p "$scratch/deb" "$root/tmp/initrd"
for deb in "${debs[@]}"; do
	dpkg-deb -x "$deb" "$scratch/deb"
done
in_root "$root" unmkinitramfs /boot/initrd.img-"$version" /tmp/initrd >>"$run/install.log" 2>&1
ok $? "unmkinitramfs unpacked the initrd"

# The package's module directory (lib/ or usr/lib/).
debmods=$(find "$scratch/deb" -path "*/modules/$version" -type d | head -n 1)
[ -n "$debmods" ] || { ok 1 "the package has /lib/modules/$version"; exit 1; }
# decompress FILE: the module's bytes on stdout.
decompress() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}
total=0 same=0 equal=0 differ=0 missing=0 recompressed=0
declare -A ext_pkg=() ext_initrd=()
while IFS= read -r -d '' f; do
	total=$((total + 1))
	rel=${f#*/modules/"$version"/}
	base=${rel%.ko*}
	ext_initrd[.ko${rel##*.ko}]=1
	pkg=
	for cand in "$debmods/$base.ko" "$debmods/$base.ko.xz" "$debmods/$base.ko.zst" "$debmods/$base.ko.gz"; do
		[ -f "$cand" ] && { pkg=$cand; break; }
	done
	if [ -z "$pkg" ]; then
		missing=$((missing + 1))
		echo "not in the package: $rel"
	elif cmp -s "$f" "$pkg"; then
		same=$((same + 1))
	elif [ "${pkg##*.ko}" != "${rel##*.ko}" ] && cmp -s <(decompress "$f") <(decompress "$pkg"); then
		equal=$((equal + 1))
		recompressed=$((recompressed + 1))
	elif cmp -s <(decompress "$f") <(decompress "$pkg"); then
		equal=$((equal + 1))
	else
		differ=$((differ + 1))
		echo "differs from the package: $rel"
	fi
done < <(find "$root/tmp/initrd" -name '*.ko*' -type f -print0) > "$scratch/initrd-compare.txt"
head -n 20 "$scratch/initrd-compare.txt" | diag
while IFS= read -r -d '' f; do ext_pkg[.ko${f##*.ko}]=1; done < <(find "$debmods" -name '*.ko*' -type f -print0)
echo "initrd: $total modules ($(printf '%s ' "${!ext_initrd[@]}")), package: $(find "$debmods" -name '*.ko*' -type f | wc -l) modules ($(printf '%s ' "${!ext_pkg[@]}"))" | diag
echo "initrd modules: $same byte-identical to the package's file, $equal identical after decompression ($recompressed stored in another compression), $differ differ, $missing not in the package" | diag
[ "$total" -gt 0 ] && [ $((differ + missing)) -eq 0 ]
ok $? "every module in the initrd ($total) is the package's module, byte for byte after decompression"
listed_virtio=$(find "$root/tmp/initrd" -name 'virtio_blk.ko*' | wc -l)
listed_ext4=$(find "$root/tmp/initrd" -name 'ext4.ko*' | wc -l)
echo "initrd has virtio_blk: $listed_virtio, ext4: $listed_ext4 (0 where built in or missing)" | diag

diff -rq "$debmods" "$moddir" | grep -v "^Only in $moddir" >"$scratch/installed-compare.txt" || true
head -n 20 "$scratch/installed-compare.txt" | diag
[ ! -s "$scratch/installed-compare.txt" ]
ok $? "every file of the package's /lib/modules/$version is installed unchanged"
rm -rf "$root/tmp/initrd" "$scratch"
t_check=$(now)

# DEBIAN_HOOK: a command run with the root's path, for changes to the
# installed system that the checks above would report (e.g. modules
# signed again); it rebuilds the initrd itself if it needs to.
if [ -n "${DEBIAN_HOOK:-}" ]; then
	rc=0
	$DEBIAN_HOOK "$root" >>"$run/install.log" 2>&1 || rc=$?
	ok $rc "$DEBIAN_HOOK ran on the root (exit $rc, log $run/install.log)"
	[ $rc -eq 0 ] || { tail -n 20 "$run/install.log" | diag; exit 1; }
fi

# The in-guest checks: a script (DEBIAN_CHECKS, default guest/module-checks)
# and a systemd unit that runs it once the system is up, then powers the
# guest off (not part of any package).
install -m 755 "${DEBIAN_CHECKS:-$top/tools/debian/guest/module-checks}" "$root/usr/local/sbin/module-checks"
install -m 644 "$top/tools/debian/guest/module-checks.service" "$root/etc/systemd/system/module-checks.service"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../module-checks.service "$root/etc/systemd/system/multi-user.target.wants/module-checks.service"
printf 'KVER=%s\n' "$version" >"$root/etc/module-checks.conf"
if [ -n "${DEBIAN_OOT:-}" ]; then
	mkdir -p "$root/usr/local/lib/module-checks"
	cp "$DEBIAN_OOT"/*.ko "$root/usr/local/lib/module-checks/"
fi

cp "$root/boot/vmlinuz-$version" "$run/vmlinuz"
cp "$initrd" "$run/initrd.img"
# The disk: the root's size, a quarter more and 256 MiB for the guest to
# write (journal, tampered module, depmod).
size=$(du -sm "$root" | cut -f1)
size=$((size + size / 4 + 256))
rm -f "$run/disk.img"
mkfs.ext4 -q -F -L debian-root -d "$root" "$run/disk.img" "${size}M" >>"$run/install.log" 2>&1
ok $? "mkfs.ext4 -d made the root disk (${size} MiB)"
t_mkfs=$(now)
[ "${KEEP_ROOT:-0}" = 1 ] || rm -rf "$root"

echo "times: unpack base $(secs "$t0" "$t_copy") s, dpkg -i with hooks $(secs "$t_copy" "$t_dpkg") s, unpack and compare $(secs "$t_dpkg" "$t_check") s, mkfs $(secs "$t_check" "$t_mkfs") s" | diag
[ "$failed" -eq 0 ]
