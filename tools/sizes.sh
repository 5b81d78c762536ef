#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sizes.sh: what module authentication costs in vmlinux and in the installed
# modules. Builds the same base configuration four ways (no module
# authentication, hashes only, MODULE_SIG only with MODULE_SIG_ALL, hashes
# plus MODULE_SIG) and prints size(1) of each vmlinux, and the bytes each
# method appends to the installed modules.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Measured and checked on x86_64 (arm64: qemu-suite.sh, reproducible.sh).
[ "${ARCH:-x86_64}" = x86_64 ] || { echo "sizes: x86_64 only, not ARCH=$ARCH" >&2; exit 2; }
kernel=${KERNEL:-7.3}
out=$top/build/sizes/$kernel
mkdir -p "$out"

# The test configuration "hashes" carries the lockdown LSM for the suite;
# without it, it differs from the others only in module authentication.
configs=(plain hashes+nolockdown sig hashes-sig)
for c in "${configs[@]}"; do
	echo "sizes: building $c ($kernel)" >&2
	KERNEL=$kernel "$top/tools/build-kernel.sh" "$c" "$out/$c" >"$out/build-$c.log" 2>&1 ||
		{ echo "sizes: build of $c failed, see $out/build-$c.log" >&2; exit 1; }
done

printf '%-20s %10s %8s %8s %10s %10s\n' configuration text data bss total "vs plain"
base=""
for c in "${configs[@]}"; do
	read -r text data bss total _ < <(size "$out/$c/vmlinux" | tail -n 1)
	[ -n "$base" ] || base=$total
	printf '%-20s %10d %8d %8d %10d %+10d\n' "$c" "$text" "$data" "$bss" "$total" $((total - base))
done

# Bytes appended to each installed module: the trailer (signature or proof,
# info block, marker), read from the decompressed module's info block.
echo
printf '%-20s %8s %14s %14s\n' configuration modules "bytes/module" "total bytes"
for c in "${configs[@]}"; do
	python3 - "$out/$c/modules" "$c" <<'EOF'
import lzma, os, struct, sys
root, name = sys.argv[1], sys.argv[2]
marker = b"~Module signature appended~\n"
sizes = []
for d, _, files in os.walk(root):
    for f in files:
        if not (f.endswith(".ko") or f.endswith(".ko.xz")):
            continue
        data = open(os.path.join(d, f), "rb").read()
        if f.endswith(".xz"):
            data = lzma.decompress(data)
        if data.endswith(marker):
            sig_len = struct.unpack(">I", data[-len(marker) - 4:-len(marker)])[0]
            sizes.append(sig_len + 12 + len(marker))
        else:
            sizes.append(0)
per = "-" if not sizes else ("%d" % sizes[0] if len(set(sizes)) == 1 else "%d-%d" % (min(sizes), max(sizes)))
print("%-20s %8d %14s %14d" % (name, len(sizes), per, sum(sizes)))
EOF
done
