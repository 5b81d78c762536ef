#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# In-kernel cost of module authentication, proof against PKCS#7, in QEMU:
#
#   1. verification: the kernel built with "hashes-sig+bench" runs
#      CONFIG_MODULE_HASHES_BENCH at boot over payloads of 4 KiB, 64 KiB,
#      1 MiB and 8 MiB, each with a Merkle proof (a tree of 4230 entries,
#      13 levels, as many as Debian's modules) and with a PKCS#7 signature
#      from scripts/sign-file (the default SHA-512, the build's RSA-4096
#      key), and prints ns per verification;
#   2. load time: the same kernel loads every module of the test
#      configuration ROUNDS times with finit_module, in one boot with their
#      proofs and in one boot with PKCS#7 signatures instead, enforcing.
#
# Runs under QEMU TCG, where only the ratios mean something (KVM=1 for KVM).
# Logs in build/bench-kernel/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/build/bench-kernel
out=$top/build/out-bench
obj=$top/build/obj-hashes-sig+bench
rounds=${ROUNDS:-200}
mkdir -p "$work"

. "$top/tools/qemu-test/lib.sh"
prepare_host_tools
tool=$qemu_work/module-hashes

echo "bench-kernel: building hashes-sig+bench (log $work/build.log)"
KERNEL=6.12 "$top/tools/build-kernel.sh" hashes-sig+bench "$out" >"$work/build.log" 2>&1 ||
	{ tail -n 20 "$work/build.log"; exit 1; }
sign() { "$obj/scripts/sign-file" sha512 "$obj/certs/signing_key.pem" "$obj/certs/signing_key.x509" "$1"; }

stage=$work/stage
rm -rf "$stage"
mkdir -p "$stage"/{bin,proc,sys,dev,bench,cases,t/proof,t/pkcs7}
cp "$(command -v busybox)" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$qemu_work/modtest" "$stage/modtest"
install -m 755 "$top/tools/qemu-test/init" "$stage/init"

# 1. Payloads, their proofs in a 13-level tree, their signatures.
tree=$work/tree
rm -rf "$tree"
mkdir -p "$tree"
python3 - "$tree" <<'PY'
import os, random, sys
tree = sys.argv[1]
sizes = {"4K": 4 << 10, "64K": 64 << 10, "1M": 1 << 20, "8M": 8 << 20}
lines = []
for name, size in sizes.items():
    with open(os.path.join(tree, name + ".ko"), "wb") as f:
        f.write(random.Random(size).randbytes(size))
    lines.append(name + ".o\n")
os.makedirs(os.path.join(tree, "filler"))
for i in range(4230 - len(sizes)):
    with open(os.path.join(tree, "filler", f"m{i}.ko"), "wb") as f:
        f.write(i.to_bytes(4, "big"))
    lines.append(f"filler/m{i}.o\n")
with open(os.path.join(tree, "modules.order"), "w") as f:
    f.writelines(lines)
PY
for size in 4K 64K 1M 8M; do
	cp "$tree/$size.ko" "$stage/bench/$size.pkcs7"
	sign "$stage/bench/$size.pkcs7"
done
(cd "$tree" && "$tool" build --order modules.order --suffix .ko --root-bin root.bin --append)
for size in 4K 64K 1M 8M; do cp "$tree/$size.ko" "$stage/bench/$size.proof"; done
cp "$tree/root.bin" "$stage/bench/root.bin"

# 2. The test configuration's modules, with proofs and re-signed.
moddir=$(echo "$out"/modules/lib/modules/*)
load_order=(crc-itu-t omfs romfs rust_minimal rust_print)
proof_paths=() pkcs7_paths=()
for m in "${load_order[@]}"; do
	src=$(find "$moddir/kernel" -name "$m.ko*" | head -n 1)
	[ -n "$src" ] || { echo "bench-kernel: $m not installed" >&2; exit 1; }
	case $src in *.xz) xz -dc "$src" ;; *) cat "$src" ;; esac >"$stage/t/proof/$m.ko"
	python3 - "$stage/t/proof/$m.ko" "$stage/t/pkcs7/$m.ko" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
marker = b"~Module signature appended~\n"
assert data.endswith(marker)
sig_len = struct.unpack(">I", data[-len(marker) - 4:-len(marker)])[0]
open(sys.argv[2], "wb").write(data[: len(data) - len(marker) - 12 - sig_len])
PY
	sign "$stage/t/pkcs7/$m.ko"
	proof_paths+=("/t/proof/$m.ko") pkcs7_paths+=("/t/pkcs7/$m.ko")
done
for kind in proof pkcs7; do
	eval "paths=(\"\${${kind}_paths[@]}\")"
	{
		echo "sh 0 echo 5 > /proc/sys/kernel/printk"
		echo "timeload $rounds ${paths[*]}"
		echo "sh 0 echo 7 > /proc/sys/kernel/printk"
	} >"$stage/cases/load-$kind.txt"
done
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$work/initramfs.cpio"

# TCG by default: on these machines /dev/kvm exists but a guest under KVM
# never runs (it hangs without output). KVM=1 asks for KVM.
if [ "${KVM:-0}" = 1 ]; then
	accel=(-enable-kvm -cpu host)
	how="KVM, -cpu host"
else
	accel=(-cpu max)
	how="QEMU TCG -cpu max: ratios only"
fi
for kind in proof pkcs7; do
	timeout 600 qemu-system-x86_64 -M pc "${accel[@]}" -smp 2 -m 1024 -nographic -no-reboot \
		-kernel "$out/bzImage" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 module.sig_enforce=1 modtest.mode=load-$kind" \
		</dev/null 2>&1 | tr -d '\r' >"$work/boot-$kind.log"
done

# Report.
log=$work/boot-proof.log
grep -q 'module_hashes_bench: end' "$log" || { echo "bench-kernel: the benchmark did not run, see $log" >&2; exit 1; }
! grep -Eq 'module_hashes_bench: .*(not measured|does not verify|failed)' "$log" ||
	{ grep module_hashes_bench "$log" >&2; exit 1; }
echo
echo "in-kernel verification ($how; $(sed -n 's/.*module_hashes_bench: start: //p' "$log"))"
printf '%-5s %12s %12s %12s %12s %12s %12s %12s\n' size "proof ns" "pkcs7 ns" "sha256 ns" \
	"driver ns" "library ns" "pkcs7/proof" "proof/sha256"
sed -n 's/.*module_hashes_bench: result //p' "$log" | while read -r -a kv; do
	declare -A r=()
	for f in "${kv[@]}"; do
		case $f in
		*_ns=*) r[${f%%_ns=*}]=${f#*=} ;;
		*=*) r[${f%%=*}]=${f#*=} ;;
		esac
	done
	driver=$(printf '%s\n' "${!r[@]}" | grep -vxE 'size|bytes|rounds|proof|pkcs7|sha256|library')
	printf '%-5s %12s %12s %12s %12s %12s %12s %12s\n' "${r[size]}" "${r[proof]}" "${r[pkcs7]}" \
		"${r[sha256]}" "${r[$driver]}" "${r[library]}" \
		"$(awk -v a="${r[pkcs7]}" -v b="${r[proof]}" 'BEGIN {printf "%.2f", a / b}')" \
		"$(awk -v a="${r[proof]}" -v b="${r[sha256]}" 'BEGIN {printf "%.3f", a / b}')"
	echo "$driver" >"$work/driver"
done
echo "(driver = $(cat "$work/driver" 2>/dev/null) through the crypto API, library = lib/crypto's sha256;"
echo " sha256 = the faster of the two, which the verifier uses: $(sed -n 's/.*module_hashes: SHA-256: //p' "$log");"
echo " pkcs7 = mod_verify_sig(): SHA-512 of the payload, then RSA-4096)"
echo
echo "loading every module of the test configuration (${load_order[*]}), $rounds rounds, enforcing"
for kind in proof pkcs7; do
	line=$(grep -E '^(not )?ok [0-9]+ - timeload' "$work/boot-$kind.log" || true)
	case $line in ok*) ;; *) echo "bench-kernel: $kind loads failed: ${line:-no result} (see $work/boot-$kind.log)" >&2; exit 1 ;; esac
	us=$(echo "$line" | sed -n 's/.* \([0-9]*\) us per load.*/\1/p')
	eval "load_$kind=$us"
	printf '%-8s %s\n' "$kind:" "${line#*timeload: }"
done
awk -v a="$load_pkcs7" -v b="$load_proof" 'BEGIN {printf "per load, pkcs7 / proof: %.2f\n", a / b}'
