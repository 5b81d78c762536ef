#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every test layer of the project and closes with one line
# "N passed, N failed". Each layer's full output goes to build/test-logs/;
# its counts come from the runner's own summary lines (cargo's "test result",
# the TAP "N passed, N failed" lines of our suites), or, for a check that
# has no count of its own, its exit status as one test.
#
# Usage: tools/run-tests.sh [LAYER...]   (default: all layers)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# Each layer picks its architecture (x86_64 unless it says arm64), whatever
# the caller's ARCH (make exports a command-line ARCH=).
unset ARCH
logs=$top/build/test-logs
mkdir -p "$logs"
total_pass=0
total_fail=0
layer_times=()
# A closing count, optionally after one word and a colon.
count_line='^([^ ]+: )?[0-9]+ passed, [0-9]+ failed'

# run_layer NAME COMMAND...: runs COMMAND, adds its counts to the totals.
run_layer() {
	local name=$1; shift
	local log=$logs/$name.log start end rc pass fail
	start=$(date +%s)
	printf '=== %s: %s\n' "$name" "$*"
	"$@" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	pass=0; fail=0
	if grep -q '^test result:' "$log"; then
		pass=$(grep '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
		fail=$(grep '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\2/' | awk '{s+=$1} END {print s+0}')
	elif grep -Eq "$count_line" "$log"; then
		pass=$(grep -E "$count_line" "$log" | sed -E 's/^([^ ]+: )?([0-9]+) passed.*/\2/' | awk '{s+=$1} END {print s+0}')
		fail=$(grep -E "$count_line" "$log" | sed -E 's/^([^ ]+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' | awk '{s+=$1} END {print s+0}')
	elif [ $rc -eq 0 ]; then
		pass=1
	fi
	# A runner that died without reporting a failure still failed.
	if [ $rc -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	layer_times+=("$name: $((end - start)) s")
	printf '%s: %d passed, %d failed (exit %d, %d s, log %s)\n' \
		"$name" "$pass" "$fail" "$rc" $((end - start)) "${log#$top/}"
	if [ $rc -ne 0 ]; then
		tail -n 40 "$log" | sed 's/^/    /'
	fi
}

cargo_dir=$top/tools/module-hashes
ref=$cargo_dir/reference/merkle_ref.py

layers=("$@")
# "extended" runs only when asked for (make test-extended).
for layer in host reference kernel kmod debian extended; do
	if [ ${#layers[@]} -eq 0 ]; then
		[ $layer != extended ] || continue
	else
		[[ " ${layers[*]} " == *" $layer "* ]] || continue
	fi
	case $layer in
	host)
		run_layer cargo-test cargo test --release --manifest-path "$cargo_dir/Cargo.toml"
		run_layer kbuild-flags "$top/tools/check-kbuild-flags.sh"
		run_layer docs "$top/tools/check-docs.sh"
		run_layer bases "$top/tools/check-bases.sh"
		;;
	reference)
		run_layer python-selftest python3 "$ref" selftest
		run_layer python-vectors python3 "$ref" check "$cargo_dir/vectors"
		# The KUnit suite's header is generated from those vectors.
		run_layer kunit-vectors python3 "$cargo_dir/reference/kunit_vectors.py" --check
		;;
	kmod)
		# modinfo with patches/kmod/ on Debian's kmod, over stand-in
		# modules and those the "kernel" layer built.
		run_layer kmod-check "$top/tools/kmod-check.sh"
		;;
	debian)
		# make debian (bindeb-pkg), the packages checked against their
		# own vmlinuz, then make debian-run: Debian's guest with them.
		run_layer debian-build env KERNEL=7.3 PACKAGE=deb \
			"$top/tools/build-kernel.sh" hashes+debian "$top/build/debian/out"
		run_layer debian-debs "$top/tools/debian/verify-debs.sh" "$top/build/debian/out"
		run_layer debian-guest "$top/tools/debian/run.sh" "$top/build/debian/out"
		;;
	kernel)
		if [ -x "$top/tools/qemu-suite.sh" ]; then
			run_layer qemu-suite "$top/tools/qemu-suite.sh"
		fi
		;;
	extended)
		# Two builds of the default configuration of 7.3 in different
		# directories, compared byte for byte.
		run_layer reproducible-7.3 env KERNEL=7.3 "$top/tools/reproducible.sh" hashes
		run_layer reproducible-7.3-arm64 env KERNEL=7.3 ARCH=arm64 "$top/tools/reproducible.sh" hashes
		# The Debian guest's packages (make bindeb-pkg) built twice, and
		# the same configuration with MODULE_SIG_ALL instead, which differs.
		run_layer reproducible-debs env KERNEL=7.3 PACKAGE=deb \
			"$top/tools/reproducible.sh" hashes+debian plain+debian+sig
		# The default configuration built with clang, and its boot.
		run_layer qemu-suite-llvm "$top/tools/qemu-suite.sh" llvm
		;;
	esac
done

printf '\ntime per layer: %s\n' "$(IFS=';'; echo "${layer_times[*]}")"
printf '%d passed, %d failed\n' "$total_pass" "$total_fail"
[ "$total_fail" -eq 0 ]
