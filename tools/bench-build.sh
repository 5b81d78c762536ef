#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What MODULE_HASHES costs a kernel build, in one run:
#
#   1. a full build of the default configuration ("hashes") from an empty
#      O= directory, and in that tree the sealing step alone: the
#      module-hashes command and the objcopy that kbuild run (taken from
#      their .cmd files), best of RUNS;
#   2. a no-op make (everything up to date) with MODULE_HASHES ("hashes")
#      and without ("plain", the same base configuration), best of RUNS.
#
# Builds two kernels (a few minutes each). Logs in build/bench-build/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# Measured and checked on x86_64 (arm64: qemu-suite.sh, reproducible.sh).
[ "${ARCH:-x86_64}" = x86_64 ] || { echo "bench-build: x86_64 only, not ARCH=$ARCH" >&2; exit 2; }
work=$top/build/bench-build
runs=${RUNS:-5}
mkdir -p "$work"

built_in() { sed -n 's/^build-kernel: built in \([0-9.]*\) s$/\1/p' "$1" | tail -n 1; }
best() { sort -g | head -n 1; }
seconds() {
	local s e
	s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f\n", e - s}'
}

# 1. Full build and the sealing step.
obj=$work/obj-full
rm -rf "$obj" "$work/out-full"
echo "bench-build: full build of hashes in an empty O= (log $work/full.log)"
KERNEL_OBJ=$obj "$top/tools/build-kernel.sh" hashes "$work/out-full" >"$work/full.log" 2>&1 ||
	{ tail -n 20 "$work/full.log"; exit 1; }
full=$(built_in "$work/full.log")
hash_cmd=$(sed -n 's/^savedcmd_module-hashes.root := //p' "$obj/.module-hashes.root.cmd")
[ -n "$hash_cmd" ] || { echo "bench-build: no MKHASH command in $obj" >&2; exit 1; }
# The objcopy that writes the root (the command also strips relocations, as
# it does without the feature).
objcopy_cmd=$(sed -n 's/^savedcmd_vmlinux := //p' "$obj/.vmlinux.cmd" | tr ';' '\n' |
	grep -- '--update-section' | sed 's/^ *//')
[ -n "$objcopy_cmd" ] || { echo "bench-build: no SEAL command in $obj" >&2; exit 1; }
# The same objcopy, into a scratch file rather than over vmlinux.
objcopy_cmd=${objcopy_cmd% vmlinux}" $work/vmlinux.sealed"
mkhash=$(for _ in $(seq "$runs"); do (cd "$obj" && seconds eval "$hash_cmd"); done | best)
seal=$(for _ in $(seq "$runs"); do (cd "$obj" && seconds eval "$objcopy_cmd"); done | best)
rm -f "$work/vmlinux.sealed"
modules=$(wc -l <"$obj/modules.order")

# 2. No-op builds, with and without MODULE_HASHES.
noop() {
	local name=$1 log=$work/noop-$1.log
	"$top/tools/build-kernel.sh" "$name" "$work/out-$name" >"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; return 1; }
	for _ in $(seq "$runs"); do
		"$top/tools/build-kernel.sh" "$name" "$work/out-$name" >"$log" 2>&1 || return 1
		built_in "$log"
	done | best
}
echo "bench-build: no-op builds of hashes and plain (logs $work/noop-*.log)"
noop_hashes=$(noop hashes)
noop_plain=$(noop plain)

echo
echo "build overhead (make -j${JOBS:-3}, $(nproc) cores; best of $runs)"
printf '%-58s %10s\n' "what" "seconds"
printf '%-58s %10s\n' "full build, default configuration (hashes), empty O=" "$full"
printf '%-58s %10s\n' "  MKHASH: module-hashes build ($modules modules)" "$mkhash"
printf '%-58s %10s\n' "  SEAL: objcopy --update-section .module_hashes" "$seal"
printf '%-58s %10s\n' "  sealing step share of the full build" \
	"$(awk -v a="$mkhash" -v b="$seal" -v f="$full" 'BEGIN {printf "%.3f%%", (a + b) / f * 100}')"
printf '%-58s %10s\n' "no-op make, MODULE_HASHES (hashes)" "$noop_hashes"
printf '%-58s %10s\n' "no-op make, no module authentication (plain)" "$noop_plain"
printf '%-58s %10s\n' "  difference" "$(awk -v a="$noop_hashes" -v b="$noop_plain" 'BEGIN {printf "%+.2f", a - b}')"
