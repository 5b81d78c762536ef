#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the fuzz targets of tools/module-hashes/fuzz one after the other,
# SECONDS each (default 60), and prints per target its runs, executions per
# second and whether it found anything. A finding is left in
# tools/module-hashes/fuzz/artifacts/TARGET/ and makes the script fail;
# turn it into a regression test before fixing it.
#
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]   (targets: proof_core order elf)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$top/tools/module-hashes/fuzz
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(proof_core order elf)
logs=$top/build/fuzz
mkdir -p "$logs"
export RUSTC_BOOTSTRAP=1
cargo fuzz --version >/dev/null 2>&1 ||
	{ echo "fuzz: cargo-fuzz missing (cargo install --locked cargo-fuzz)" >&2; exit 1; }

# Seeds, made here rather than committed: a small relocatable ELF carrying a
# .module_hashes section, and a modules.order like kbuild writes.
seed() {
	mkdir -p "$fuzz/corpus/elf" "$fuzz/corpus/order"
	printf 'const char r[36] __attribute__((section(".module_hashes"))) = { 3 };\n' |
		gcc -c -x c -o "$fuzz/corpus/elf/seed-module_hashes.o" - &&
		# The elf target reads its first byte as a selector, then the file.
		{ printf '\0'; cat "$fuzz/corpus/elf/seed-module_hashes.o"; } >"$fuzz/corpus/elf/seed"
	rm -f "$fuzz/corpus/elf/seed-module_hashes.o"
	printf 'fs/omfs/omfs.o\nlib/crc-itu-t.o\nfs/romfs/romfs.o\n' >"$fuzz/corpus/order/seed"
}
seed || exit 1

status=0
cd "$fuzz" || exit 1
cargo fuzz build -O >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; exit 1; }
for t in "${targets[@]}"; do
	log=$logs/$t.log
	mkdir -p "corpus/$t"
	cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len=8192 \
		-print_final_stats=1 >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "$t: ${runs:-?} runs in ${seconds} s, ${rate:-?} exec/s, no finding (log ${log#"$top"/})"
	else
		echo "$t: FINDING after ${runs:-?} runs (exit $rc); see ${log#"$top"/} and fuzz/artifacts/$t/"
		status=1
	fi
done
exit $status
