# SPDX-License-Identifier: GPL-2.0
# UEFI Secure Boot under QEMU (TCG) for tests that need a kernel booted by
# firmware that enforces Secure Boot (the IMA architecture policy, lockdown).
# Source it (bash) with $top set to the project root.
#
#   sb_prepare                    test keys and an OVMF variable store with
#                                 them enrolled, Secure Boot on (cached in
#                                 build/secureboot/, made only when missing)
#   sb_sign IN OUT [KEY]          signs the bzImage IN with KEY (default db,
#                                 the enrolled one; "other" is a key the
#                                 firmware does not trust) into OUT
#   sb_boot IMAGE INITRD LOG [CMDLINE...]
#                                 boots IMAGE with INITRD under OVMF with
#                                 Secure Boot, console log to LOG
#   sb_check_enforced IMAGE INITRD
#                                 shows that the firmware refuses IMAGE
#                                 unsigned and signed with "other"
#
# The kernel is booted from a disk, not with QEMU's -kernel: with -kernel,
# OVMF (Debian 12's 2022.11 and Debian 13's 2025.02 alike) falls back to its
# legacy loader when the image fails verification and boots an unsigned
# kernel with Secure Boot reported on. Here the signed image is the file
# \linux.efi of a FAT disk (QEMU's vvfat, read-only), next to \initrd.img,
# and a boot entry Boot0100 (BootNext and BootOrder) in the per-boot copy of
# the variable store starts it with the command line as its load options;
# the kernel's EFI stub reads the initrd= file from that disk. The firmware's
# boot manager verifies the image against db before starting it and prints
# "BdsDxe: failed to load Boot0100 ...: Access Denied" when it does not
# verify.
#
# Needs (Debian): ovmf, sbsigntool, openssl, qemu-system-x86, python3 and
# virt-fw-vars from python3-virt-firmware (bookworm-backports or trixie;
# sb_install_virt_firmware installs it from bookworm-backports).
# The Secure Boot firmware needs SMM, so the machine is q35 (smm=on), not pc.

sb_dir=$top/build/secureboot
sb_ovmf_code=${SB_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd}
sb_ovmf_vars=${SB_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
# Owner GUID of the enrolled certificates (any fixed value does).
sb_owner=6d6f6475-6c65-2d68-6173-686573000001
sb_virt_fw_vars=${SB_VIRT_FW_VARS:-virt-fw-vars}
# shellcheck source=tools/debian-archive.sh
. "$top/tools/debian-archive.sh"

# sb_install_virt_firmware: installs python3-virt-firmware from the
# bookworm-backports suite of the Debian archive that the host's apt sources
# name (or DEBIAN_ARCHIVE), with a private apt configuration: the host's
# sources are not changed.
sb_install_virt_firmware() {
	command -v "$sb_virt_fw_vars" >/dev/null && return 0
	local archive d rc
	archive=$(debian_archive) || return 1
	d=$(mktemp -d)
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$archive" bookworm "$archive" bookworm-backports >"$d/sources.list"
	local o=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o APT::Sandbox::User=root)
	apt-get "${o[@]}" update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get "${o[@]}" install -y -qq \
			--no-install-recommends -t bookworm-backports python3-virt-firmware >/dev/null
	rc=$?
	rm -rf "$d"
	return $rc
}

# sb_prepare: build/secureboot/{PK,KEK,db,other}.{key,crt} (RSA 2048,
# self-signed, made here, never committed) and vars.fd, OVMF's empty store
# with PK, KEK and db enrolled and Secure Boot enabled. Only what is missing
# is made; a new key means a new store.
sb_prepare() {
	local k f t missing=""
	for f in "$sb_ovmf_code" "$sb_ovmf_vars"; do
		[ -f "$f" ] || { echo "secureboot: $f missing (apt-get install ovmf)" >&2; return 1; }
	done
	for t in sbsign openssl qemu-system-x86_64 python3 "$sb_virt_fw_vars"; do
		command -v "$t" >/dev/null ||
			{ echo "secureboot: $t missing (packages: ovmf sbsigntool openssl qemu-system-x86 python3 python3-virt-firmware)" >&2; return 1; }
	done
	mkdir -p "$sb_dir"
	for k in PK KEK db other; do
		[ -s "$sb_dir/$k.key" ] && [ -s "$sb_dir/$k.crt" ] && continue
		openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
			-subj "/CN=module-hashes test Secure Boot $k/" \
			-keyout "$sb_dir/$k.key.tmp" -out "$sb_dir/$k.crt.tmp" 2>/dev/null || return 1
		mv "$sb_dir/$k.key.tmp" "$sb_dir/$k.key"
		mv "$sb_dir/$k.crt.tmp" "$sb_dir/$k.crt"
		missing=1
	done
	[ -z "$missing" ] && [ -s "$sb_dir/vars.fd" ] && return 0
	"$sb_virt_fw_vars" -i "$sb_ovmf_vars" -o "$sb_dir/vars.fd.tmp" \
		--set-pk "$sb_owner" "$sb_dir/PK.crt" \
		--add-kek "$sb_owner" "$sb_dir/KEK.crt" \
		--add-db "$sb_owner" "$sb_dir/db.crt" --sb >"$sb_dir/enroll.log" 2>&1 ||
		{ cat "$sb_dir/enroll.log" >&2; return 1; }
	mv "$sb_dir/vars.fd.tmp" "$sb_dir/vars.fd"
}

# sb_sign IN OUT [KEY]: OUT is IN (a bzImage with the EFI stub, or any PE
# image) with an Authenticode signature by KEY (db: trusted; other: not).
sb_sign() {
	local in=$1 out=$2 key=${3:-db}
	local msg
	msg=$(sbsign --key "$sb_dir/$key.key" --cert "$sb_dir/$key.crt" \
		--output "$out.tmp" "$in" 2>&1) || { echo "$msg" >&2; rm -f "$out.tmp"; return 1; }
	mv "$out.tmp" "$out"
}

# sb_boot IMAGE INITRD LOG [CMDLINE...]: boots IMAGE (signed with sb_sign)
# with INITRD and the command line "console=ttyS0 panic=-1 CMDLINE
# initrd=\initrd.img" under OVMF with Secure Boot: q35 with SMM, TCG, -smp 2
# -m 512, no network, at most 300 s (SB_TIMEOUT). LOG gets the serial
# console (firmware and kernel, without carriage returns and terminal escape
# sequences) and QEMU's own messages. Returns
#   0  the kernel booted, said "Secure boot enabled", and QEMU ended by itself
#   1  anything else (time-out, QEMU error, boot entry not found)
#   2  the firmware refused IMAGE (Secure Boot verification failed)
#   3  the kernel booted and QEMU ended, but Secure Boot was not on
sb_boot() {
	local image=$1 initrd=$2 log=$3 run pid refused="" rc
	shift 3
	[ -s "$sb_dir/vars.fd" ] || { echo "secureboot: run sb_prepare first" >&2; return 1; }
	run=$(mktemp -d "$sb_dir/run.XXXXXX") || return 1
	mkdir "$run/esp"
	cp "$image" "$run/esp/linux.efi" && cp "$initrd" "$run/esp/initrd.img" &&
		cp "$sb_dir/vars.fd" "$run/vars.fd" || { rm -rf "$run"; return 1; }
	# Boot0100: the file \linux.efi on any disk (short-form device path),
	# with the command line, UCS-2, as its optional data.
	python3 - "$run/boot.json" "console=ttyS0 panic=-1 $* initrd=\\initrd.img" <<'EOF' &&
import json, struct, sys
def ucs2(s):
    return (s + "\0").encode("utf-16-le")
path = ucs2("\\linux.efi")
devpath = struct.pack("<BBH", 4, 4, 4 + len(path)) + path + bytes([0x7f, 0xff, 4, 0])
option = (struct.pack("<IH", 1, len(devpath)) + ucs2("secureboot test") + devpath
          + ucs2(sys.argv[2]))
glob = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
var = lambda name, data: dict(name=name, guid=glob, attr=7, data=data.hex())
json.dump(dict(version=2, variables=[
    var("Boot0100", option), var("BootOrder", struct.pack("<H", 0x100)),
    var("BootNext", struct.pack("<H", 0x100))]), open(sys.argv[1], "w"))
EOF
		"$sb_virt_fw_vars" --inplace "$run/vars.fd" --set-json "$run/boot.json" >"$run/vars.log" 2>&1 ||
		{ cat "$run/vars.log" >&2; rm -rf "$run"; return 1; }
	: >"$run/serial"
	timeout "${SB_TIMEOUT:-300}" qemu-system-x86_64 -M q35,smm=on -cpu max -smp 2 -m 512 \
		-nographic -monitor none -serial "file:$run/serial" -no-reboot -nic none \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$sb_ovmf_code" \
		-drive "if=pflash,format=raw,unit=1,file=$run/vars.fd" \
		-drive "if=virtio,format=raw,readonly=on,file=fat:$run/esp" \
		</dev/null >"$run/qemu.out" 2>&1 &
	pid=$!
	# The firmware does not power off after a refused image: it waits in
	# its boot menu. Stop QEMU as soon as the boot entry failed.
	while kill -0 "$pid" 2>/dev/null; do
		if grep -aq 'BdsDxe: failed to load Boot0100' "$run/serial"; then
			grep -aqE 'BdsDxe: failed to load Boot0100.*(Access Denied|Security Violation)' \
				"$run/serial" && refused=1
			kill "$pid"
			break
		fi
		sleep 1
	done
	wait "$pid"
	rc=$?
	tr -d '\r' <"$run/serial" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' >"$log"
	cat "$run/qemu.out" >>"$log"
	rm -rf "$run"
	[ -n "$refused" ] && return 2
	[ "$rc" -eq 0 ] || return 1
	grep -q 'Secure boot enabled' "$log" || return 3
	return 0
}

# sb_check_enforced IMAGE INITRD: boots IMAGE, the unsigned bzImage, as it
# is and signed with the untrusted key "other"; the firmware must refuse
# both (sb_boot returns 2). About 10 s each: the firmware refuses before
# any kernel code runs. Logs in build/secureboot/refused-{unsigned,other}.log.
sb_check_enforced() {
	local image=$1 initrd=$2 rc ok=0
	sb_boot "$image" "$initrd" "$sb_dir/refused-unsigned.log"
	rc=$?
	[ $rc -eq 2 ] || { echo "secureboot: unsigned image not refused (sb_boot $rc)" >&2; ok=1; }
	sb_sign "$image" "$sb_dir/other-signed.efi" other || return 1
	sb_boot "$sb_dir/other-signed.efi" "$initrd" "$sb_dir/refused-other.log"
	rc=$?
	rm -f "$sb_dir/other-signed.efi"
	[ $rc -eq 2 ] || { echo "secureboot: image signed by an untrusted key not refused (sb_boot $rc)" >&2; ok=1; }
	return $ok
}
