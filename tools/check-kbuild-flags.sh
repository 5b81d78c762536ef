#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the tool the way kbuild does (one crate, plain rustc, the kernel's
# host Rust flags, no cargo) with warnings as errors, and the proof core as
# a no_std crate without alloc, as the kernel compiles it. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
rustc=${RUSTC:-$(command -v /usr/bin/rustc || command -v rustc)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The subset of the kernel's rust_common_flags and KBUILD_HOSTRUSTFLAGS
# (Makefile, 6.12) that rustc itself checks.
flags=(--edition=2021 -Dnon_ascii_idents -Dunsafe_op_in_unsafe_fn -Dmissing_docs
	-Drust_2018_idioms -Dunreachable_pub -Dwarnings -O -Zallow-features=)
pass=0 fail=0 n=0
check() {
	local what=$1; shift
	n=$((n + 1))
	if env RUSTC_BOOTSTRAP=1 "$@" >"$out/log" 2>&1; then
		echo "ok $n - $what"; pass=$((pass + 1))
	else
		echo "not ok $n - $what"; sed 's/^/# /' "$out/log"; fail=$((fail + 1))
	fi
}
cat >"$out/core.rs" <<EOR
//! The proof core alone, as the kernel builds it: no std, no alloc.
#![no_std]
#[path = "$top/kernel/module/hashes_proof.rs"]
pub mod proof;
EOR
# The rustc of each base: Debian's rustc-web on the host (6.12) and trixie's
# in the build root (7.3).
rustcs=("$rustc")
[ -x "$top/build/root-7.3/usr/bin/rustc" ] && rustcs+=("$top/tools/buildroot.sh run rustc")
echo "1..$((2 * ${#rustcs[@]}))"
for r in "${rustcs[@]}"; do
	# shellcheck disable=SC2086 # "buildroot.sh run rustc" is two words
	version=$($r --version | cut -d' ' -f2)
	# shellcheck disable=SC2086
	check "module-hashes builds with plain rustc $version and kbuild's host flags" \
		$r "${flags[@]}" --out-dir "$out" --emit=link="$out/module-hashes" \
		"$top/scripts/module-hashes/module-hashes.rs"
	# shellcheck disable=SC2086
	check "the proof core builds as no_std without alloc with rustc $version" \
		$r "${flags[@]}" --crate-type=lib --out-dir "$out" "$out/core.rs"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
